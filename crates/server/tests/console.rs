//! The console without a browser: sign-in, CSRF and origin checks.

mod common;

use bulwark_core::Role;
use common::TestServer;
use reqwest::StatusCode;

fn browser_like() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..start + 64].to_string()
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie_and_bad_tokens_are_refused() {
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin, "*").await;
    let c = browser_like();
    let r = c
        .post(server.url("/console/login"))
        .form(&[("token", "bwk_wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(server.url("/console/login"))
        .form(&[("token", &admin)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains(&admin),
        "the token itself must not be the cookie"
    );
    let page = c.get(server.url("/console")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Dashboard"));
    server.stop().await;
}

#[tokio::test]
async fn console_posts_need_the_csrf_token_and_the_same_origin() {
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin, "*").await;
    let c = browser_like();
    c.post(server.url("/console/login"))
        .form(&[("token", &admin)])
        .send()
        .await
        .unwrap();
    let html = c
        .get(server.url("/console/tokens"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&html);
    let before = bulwark_store::tokens::list(&server.store)
        .await
        .unwrap()
        .len();
    let fields = |csrf: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("name", "n".to_string()),
            ("role", "analyst".to_string()),
            ("organisation", "o".to_string()),
            ("scope", "DE".to_string()),
            ("purpose", "p".to_string()),
        ]
    };
    let no_csrf: Vec<_> = fields("")
        .into_iter()
        .filter(|(k, _)| *k != "csrf")
        .collect();
    let r = c
        .post(server.url("/console/tokens"))
        .form(&no_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(server.url("/console/tokens"))
        .form(&fields(&"0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(server.url("/console/tokens"))
        .header("origin", "http://evil.example")
        .form(&fields(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        bulwark_store::tokens::list(&server.store)
            .await
            .unwrap()
            .len(),
        before
    );
    let r = c
        .post(server.url("/console/tokens"))
        .form(&fields(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("bwk_"));
    assert_eq!(
        bulwark_store::tokens::list(&server.store)
            .await
            .unwrap()
            .len(),
        before + 1
    );
    server.stop().await;
}

#[tokio::test]
async fn console_pages_refuse_roles_without_permission() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "*").await;
    let c = browser_like();
    c.post(server.url("/console/login"))
        .form(&[("token", &analyst)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get(server.url("/console")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        c.get(server.url("/console/tokens"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.get(server.url("/console/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let scoped = server.token(Role::Auditor, "DE").await;
    let c = browser_like();
    c.post(server.url("/console/login"))
        .form(&[("token", &scoped)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get(server.url("/console/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    server.stop().await;
}

#[tokio::test]
async fn incident_board_flags_overdue_clocks_and_shows_routing() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "DE").await;
    let api = common::client();
    let r = api
        .post(server.url("/api/v1/resilience/DE/import"))
        .bearer_auth(&analyst)
        .json(&serde_json::json!({"entities": [
            {"key": "DE-TSO-1", "name": "Nordnetz", "member_state": "DE", "sector": "energy",
             "subsector": "electricity", "category": "transmission system operator"}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ago = |hours: i64| (chrono::Utc::now() - chrono::TimeDelta::hours(hours)).to_rfc3339();
    let mut ids = Vec::new();
    for (aware, states) in [(ago(72), vec!["DE", "AT"]), (ago(1), vec!["DE"])] {
        let r = api
            .post(server.url("/api/v1/resilience/DE/incidents"))
            .bearer_auth(&analyst)
            .json(
                &serde_json::json!({"entity": "DE-TSO-1", "aware_at": aware, "cer": true,
                                      "nis2": true, "affected_states": states}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: serde_json::Value = r.json().await.unwrap();
        ids.push(v["id"].as_str().unwrap().to_string());
    }

    let c = browser_like();
    c.post(server.url("/console/login"))
        .form(&[("token", &analyst)])
        .send()
        .await
        .unwrap();
    let dash = c
        .get(server.url("/console"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dash.contains("/console/resilience/incidents"), "no link");
    // A national token gets no link to the EU-wide simulations.
    assert!(!dash.contains("/console/resilience/simulations"));
    let index = c
        .get(server.url("/console/resilience/incidents"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(index.contains("/console/resilience/DE/incidents"));
    assert!(!index.contains("/console/resilience/FR/incidents"));

    let r = c
        .get(server.url("/console/resilience/DE/incidents"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let board = r.text().await.unwrap();
    let card = |id: &str| {
        let start = board
            .find(&format!("id=\"incident-{id}\""))
            .expect("incident on the board");
        let rest = &board[start..];
        let end = rest[1..]
            .find("id=\"incident-")
            .map(|i| i + 1)
            .unwrap_or(rest.len());
        rest[..end].to_string()
    };
    let old = card(&ids[0]);
    assert!(old.contains("OVERDUE"), "{old}");
    assert!(old.contains("overdue by"), "{old}");
    // 72 h after becoming aware: the CER initial notification and the NIS2
    // early warning (24 h) are overdue, the NIS2 notification (72 h) is
    // due about now, and the one-month reports are pending.
    assert!(
        old.contains("CER Art. 15") && old.contains("NIS2 Art. 23"),
        "{old}"
    );
    assert!(old.contains("pending"), "{old}");
    assert!(
        old.contains("(single point of contact)") && old.contains("AT"),
        "{old}"
    );
    let fresh = card(&ids[1]);
    assert!(!fresh.contains("OVERDUE"), "{fresh}");
    assert!(fresh.contains("22 h") || fresh.contains("23 h"), "{fresh}");

    // Another Member State's board and the simulations are out of scope.
    assert_eq!(
        c.get(server.url("/console/resilience/FR/incidents"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.get(server.url("/console/resilience/simulations"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    server.stop().await;
}

#[tokio::test]
async fn simulation_form_names_bad_fields_and_starts_a_run() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "*").await;
    let c = browser_like();
    c.post(server.url("/console/login"))
        .form(&[("token", &analyst)])
        .send()
        .await
        .unwrap();
    let page = c
        .get(server.url("/console/resilience/simulations"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("iberia-2025-system-split"), "no catalogue");
    let csrf = csrf_of(&page);
    let post = |scenario: &str, samples: &str, seed: &str| {
        let form = vec![
            ("csrf", csrf.clone()),
            ("scenario", scenario.to_string()),
            ("samples", samples.to_string()),
            ("seed", seed.to_string()),
            ("purpose", "console test".to_string()),
        ];
        c.post(server.url("/console/resilience/simulations"))
            .form(&form)
            .send()
    };
    for (scenario, samples, seed, field) in [
        ("cyber-cloud-provider", "many", "1", "samples"),
        ("cyber-cloud-provider", "0", "1", "samples"),
        ("cyber-cloud-provider", "4", "-1", "seed"),
        ("no-such-scenario", "4", "1", "scenario"),
    ] {
        let r = post(scenario, samples, seed).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(r.text().await.unwrap().contains(field), "{field}");
    }
    let r = post("cyber-cloud-provider", "4", "5").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/console/resilience/simulations/"), "{to}");
    let run = c.get(server.url(&to)).send().await.unwrap();
    assert_eq!(run.status(), StatusCode::OK);
    assert!(run.text().await.unwrap().contains("id=\"sim-status\""));
    // Audited with the form's purpose.
    let records = bulwark_store::audit::recent(&server.store, 20)
        .await
        .unwrap();
    let start = records
        .iter()
        .find(|r| r.action == "resilience.simulation.start")
        .expect("start audited");
    assert_eq!(start.purpose, "console test");
    server.stop().await;
}

#[tokio::test]
async fn entity_page_explains_the_identification_of_a_demo_entity() {
    let server = TestServer::start_prepared(|store| async move {
        bulwark_resilience::demo::seed(&store).await.unwrap();
    })
    .await;
    let reviewer = server.token(Role::Reviewer, "DE").await;
    let c = browser_like();
    c.post(server.url("/console/login"))
        .form(&[("token", &reviewer)])
        .send()
        .await
        .unwrap();
    let get = |path: &str| c.get(server.url(path)).send();

    // The overview links each entity's name to its page.
    let overview = get("/console/resilience/DE")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        overview.contains("href=\"/console/resilience/DE/entities/DE-TSO-1\""),
        "{overview}"
    );

    let r = get("/console/resilience/DE/entities/DE-TSO-1")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    // The three Art. 6(2) tests and six Art. 7(1) criteria, each with the
    // provision's wording, the outcome, value and threshold.
    for article in [
        "CER Art. 6(2)(a)",
        "CER Art. 6(2)(b)",
        "CER Art. 6(2)(c)",
        "CER Art. 7(1)(a)",
        "CER Art. 7(1)(b)",
        "CER Art. 7(1)(c)",
        "CER Art. 7(1)(d)",
        "CER Art. 7(1)(e)",
        "CER Art. 7(1)(f)",
        "CER Art. 8",
        "CER Art. 17(1)",
    ] {
        assert!(page.contains(article), "{article} missing");
        let text = bulwark_resilience::identification::provision_text(article).unwrap();
        let escaped = text.replace('\'', "&#39;");
        assert!(
            page.contains(text) || page.contains(&escaped),
            "wording of {article} missing"
        );
    }
    assert!(page.contains("the number of users relying on the essential service"));
    assert!(
        page.contains("6000000 users in DE"),
        "Art. 7(1)(a) explanation"
    );
    // No simulation has run: Art. 7(1)(c) says it used the placeholder duration.
    assert!(page.contains("placeholder duration: an assumed 24 h outage"));
    assert!(page.contains("Critical entity"), "the TSO is critical");
    // Its records: provisions, assets and dependencies.
    for record in [
        "P-TSO-1",
        "P-TSO-2",
        "A-TSO-1",
        "Umspannwerk Nord",
        "D-3",
        "DE-WATER-1",
    ] {
        assert!(page.contains(record), "{record} missing");
    }
    // Art. 17: the TSO serves DE, AT and PL: fewer than six.
    assert!(page.contains("Fewer than six Member States"));

    // A digital infrastructure entity: the Art. 8 carve-out; seven Member States.
    let cloud = get("/console/resilience/DE/entities/DE-CLOUD-1")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(cloud.contains("Carve-out"), "Art. 8");
    assert!(cloud.contains("Six or more Member States"), "Art. 17");

    // Unknown entities are 404; another Member State is out of scope.
    assert_eq!(
        get("/console/resilience/DE/entities/NOPE")
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/console/resilience/FR/entities/DE-TSO-1")
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    server.stop().await;
}
