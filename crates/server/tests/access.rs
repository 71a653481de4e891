//! Deny by default: every registered route refuses a missing token, a token
//! of a role without the route's permission and a token whose Member State
//! scope does not cover the request. A route added without a permission
//! fails this suite, because the router only takes routes through the
//! registry and this test walks the registry.

mod common;

use bulwark_core::{Permission, Role};
use bulwark_server::{RouteSpec, ScopeRule, Surface, route_specs};
use bulwark_store::audit;
use common::{TestServer, client};
use reqwest::StatusCode;

/// A concrete URL for a route template: ids become a fresh UUID, Member
/// State parameters `DE`.
fn concrete(spec: &RouteSpec) -> String {
    let mut out = String::new();
    for seg in spec.path.split('/').skip(1) {
        out.push('/');
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            match spec.scope {
                ScopeRule::PathMemberState(p) if p == name => out.push_str("DE"),
                _ => out.push_str("0190c7d2-9f1e-7cc0-8a4f-3c2b1d0e9f8a"),
            }
        } else {
            out.push_str(seg);
        }
    }
    out
}

async fn call(server: &TestServer, spec: &RouteSpec, token: Option<&str>) -> reqwest::Response {
    let c = client();
    let mut req = c.request(spec.method.clone(), server.url(&concrete(spec)));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if spec.method != reqwest::Method::GET {
        req = req.header("content-type", "application/json").body("{}");
    }
    req.send().await.unwrap()
}

const PUBLIC_ALLOWLIST: [&str; 2] = ["GET /console/login", "POST /console/login"];

#[tokio::test]
async fn every_route_declares_and_enforces_its_permission() {
    let server = TestServer::start().await;
    let specs = route_specs();
    assert!(specs.len() >= 10, "registry unexpectedly small");
    let mut checked = 0;
    for spec in &specs {
        let line = format!("{} {}", spec.method, spec.path);
        if spec.permission == Permission::Public {
            assert!(
                PUBLIC_ALLOWLIST.contains(&line.as_str()),
                "{line} is public but not on the allowlist"
            );
            assert_eq!(
                spec.surface,
                Surface::Console,
                "no API route may be public: {line}"
            );
            continue;
        }
        // 1. No credentials.
        let r = call(&server, spec, None).await;
        match spec.surface {
            Surface::Api => {
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{line} without token");
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(body["error"]["code"], "unauthenticated", "{line}");
            }
            Surface::Console if spec.method == reqwest::Method::GET => {
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{line} without session");
                assert_eq!(r.headers()["location"], "/console/login");
            }
            Surface::Console => assert_eq!(
                r.status(),
                StatusCode::UNAUTHORIZED,
                "{line} without session"
            ),
        }
        if spec.surface == Surface::Console {
            // Console sessions are exercised in console.rs; a bearer token
            // must not open a console route.
            let admin = server.token(Role::Admin, "*").await;
            let r = call(&server, spec, Some(&admin)).await;
            assert!(
                r.status() == StatusCode::SEE_OTHER || r.status() == StatusCode::UNAUTHORIZED,
                "{line}: a bearer token opened a console route"
            );
            checked += 1;
            continue;
        }
        // 2. A role without the permission.
        if let Some(role) = Role::ALL.iter().find(|r| !r.allows(spec.permission)) {
            let t = server.token(*role, "*").await;
            let r = call(&server, spec, Some(&t)).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{line} with role {role}");
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "forbidden");
        } else {
            assert_eq!(
                spec.permission,
                Permission::SelfRead,
                "{line}: every role allowed, but not SelfRead"
            );
        }
        // 3. A role with the permission but the wrong Member State scope.
        let role = Role::ALL
            .iter()
            .find(|r| r.allows(spec.permission))
            .copied()
            .unwrap();
        match spec.scope {
            ScopeRule::Own => {}
            ScopeRule::EuWide | ScopeRule::PathMemberState(_) => {
                let t = server.token(role, "MT").await;
                let r = call(&server, spec, Some(&t)).await;
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{line} with scope MT");
            }
        }
        // 4. The right role and scope gets past access control.
        let t = server.token(role, "*").await;
        let r = call(&server, spec, Some(&t)).await;
        assert!(
            r.status() != StatusCode::UNAUTHORIZED && r.status() != StatusCode::FORBIDDEN,
            "{line} refused a permitted caller: {}",
            r.status()
        );
        checked += 1;
    }
    assert!(checked >= 8);
    server.stop().await;
}

#[tokio::test]
async fn refusals_are_audited_without_the_token() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "*").await;
    let c = client();
    let r = c.get(server.url("/api/v1/tokens")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get(server.url("/api/v1/tokens"))
        .bearer_auth("bwk_not_a_real_token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .get(server.url("/api/v1/tokens"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let records = audit::recent(&server.store, 3).await.unwrap();
    assert!(records.iter().all(|r| r.action == "access.denied"));
    assert_eq!(records[0].details["status"], 403);
    assert!(records[0].actor.starts_with("token:"));
    assert_eq!(records[1].actor, "anonymous");
    let dump = serde_json::to_string(&records).unwrap();
    assert!(!dump.contains("bwk_"), "a token reached the audit log");
    server.stop().await;
}

#[tokio::test]
async fn openapi_document_lists_exactly_the_registered_api_routes() {
    let server = TestServer::start().await;
    let t = server.token(Role::Analyst, "DE").await;
    let doc: serde_json::Value = client()
        .get(server.url("/api/v1/openapi.json"))
        .bearer_auth(&t)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let mut registered: Vec<String> = route_specs()
        .iter()
        .filter(|s| s.surface == Surface::Api)
        .map(|s| format!("{} {}", s.method, s.path))
        .collect();
    documented.sort();
    registered.sort();
    assert_eq!(documented, registered);
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every schema a route refers to is in the document.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20, "{refs:?}");
    for r in refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r}"));
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "{r} is referred to but not defined"
        );
    }
    server.stop().await;
}

/// Every `$ref` in an OpenAPI document.
fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => collect_refs(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn revoked_token_is_refused_at_once() {
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin, "*").await;
    let c = client();
    let issued: serde_json::Value = c
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "temp", "role": "auditor", "organisation": "x", "scope": "*"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = issued["secret"].as_str().unwrap();
    let id = issued["token"]["id"].as_str().unwrap();
    let r = c
        .get(server.url("/api/v1/audit"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .delete(server.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&admin)
        .header("x-purpose", "leaver")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(server.url("/api/v1/audit"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let last = audit::recent(&server.store, 5).await.unwrap();
    let revoke = last.iter().find(|r| r.action == "token.revoke").unwrap();
    assert_eq!(revoke.purpose, "leaver");
    server.stop().await;
}
