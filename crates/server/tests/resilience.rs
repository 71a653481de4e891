//! The resilience API through a real server on loopback: import (all or
//! nothing, every bad row listed), identification, incidents with clocks,
//! Member State scope and the `entity` role.

mod common;

use bulwark_core::Role;
use common::{TestServer, client};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn bundle() -> Value {
    json!({
        "entities": [
            {"key": "DE-TSO-1", "name": "Nordnetz", "member_state": "DE", "sector": "energy",
             "subsector": "electricity", "category": "transmission system operator"},
            {"key": "DE-HOSP-1", "name": "Klinikum", "member_state": "DE", "sector": "health",
             "category": "healthcare provider"}
        ],
        "provisions": [
            {"key": "P1", "entity": "DE-TSO-1", "service": "electricity.transmission", "member_state": "DE",
             "region": "DE300", "users_served": 3000000, "market_share": 0.6,
             "served_states": ["AT", "PL"], "substitutability": 0.05}
        ],
        "assets": [
            {"key": "A1", "entity": "DE-TSO-1", "kind": "substation", "name": "UW Nord",
             "member_state": "DE", "region": "DE300"}
        ],
        "dependencies": [
            {"key": "D1", "supplier": "DE-TSO-1", "dependent": "DE-HOSP-1", "kind": "physical",
             "resource": "electricity", "strength": 1, "buffer_hours": 24, "recovery_lag_hours": 2}
        ]
    })
}

#[tokio::test]
async fn registry_identification_and_incidents_over_http() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "DE").await;
    let c = client();
    let url = |p: &str| server.url(&format!("/api/v1/resilience{p}"));

    // A bad import: 422, every bad row, nothing written.
    let mut bad = bundle();
    bad["provisions"][0]["market_share"] = json!(2);
    bad["assets"][0]["entity"] = json!("NOPE");
    let r = c
        .post(url("/DE/import"))
        .bearer_auth(&analyst)
        .header("content-type", "application/json")
        .body(serde_json::to_string_pretty(&bad).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "import_rejected");
    let rows = body["error"]["rows"].as_array().unwrap();
    let fields: Vec<&str> = rows.iter().map(|r| r["field"].as_str().unwrap()).collect();
    assert!(
        fields.contains(&"market_share") && fields.contains(&"entity"),
        "{rows:?}"
    );
    // Pretty-printed JSON: each row's own line is reported.
    assert!(
        rows.iter()
            .all(|r| r["file"] == "request.json" && r["line"].as_u64().unwrap() > 1),
        "{rows:?}"
    );
    let list: Value = c
        .get(url("/DE/entities"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0);

    // The good import.
    let r = c
        .post(url("/DE/import"))
        .bearer_auth(&analyst)
        .header("x-purpose", "initial registry")
        .json(&bundle())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["entities"], 2);

    // Identification explains itself.
    let id: Value = c
        .get(url("/DE/entities/DE-TSO-1/identification"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(id["critical"], true);
    assert_eq!(id["criteria"][0]["article"], "CER Art. 7(1)(a)");
    assert_eq!(id["criteria"][0]["value"], 3000000.0);

    // CSV export.
    let r = c
        .get(url("/DE/export?format=csv&kind=provisions"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.starts_with("key,entity,service"), "{text}");
    assert!(text.contains("AT;PL"));

    // A French token cannot read German data.
    let fr = server.token(Role::Analyst, "FR").await;
    let r = c
        .get(url("/DE/entities"))
        .bearer_auth(&fr)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The entity reports its incident; clocks start at aware_at.
    let entity = {
        let scope: bulwark_core::MemberStateScope = "DE".parse().unwrap();
        bulwark_store::tokens::create(
            &server.store,
            &bulwark_store::Actor::system(),
            &bulwark_core::MemberStateScope::All,
            bulwark_store::tokens::NewToken {
                name: "TSO reporting desk".into(),
                role: Role::Entity,
                organisation: "DE-TSO-1".into(),
                scope,
                expires_at: None,
            },
            "test",
        )
        .await
        .unwrap()
        .secret
    };
    let aware = "2026-01-05T10:00:00Z";
    let incident = json!({
        "entity": "DE-TSO-1", "aware_at": aware, "cer": true, "nis2": true,
        "affected_states": ["DE", "AT", "PL", "CZ", "FR", "NL"], "users_affected": 250000
    });
    let r = c
        .post(url("/DE/incidents"))
        .bearer_auth(&entity)
        .json(&incident)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["routing"]["commission"], true);
    assert_eq!(
        v["routing"]["single_points_of_contact"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert_eq!(v["clocks"][0]["due_at"], "2026-01-06T10:00:00.000000Z");
    assert_eq!(v["overdue"], true, "awareness long past: clocks overdue");
    assert_eq!(v["cer_significance"]["significant"], true);
    let id = v["id"].as_str().unwrap().to_string();

    // The entity cannot report for another entity, nor read the register.
    let mut other = incident.clone();
    other["entity"] = json!("DE-HOSP-1");
    let r = c
        .post(url("/DE/incidents"))
        .bearer_auth(&entity)
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .get(url("/DE/entities"))
        .bearer_auth(&entity)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Submitting the early warning stops that clock.
    let r = c
        .post(url(&format!("/DE/incidents/{id}/reports")))
        .bearer_auth(&entity)
        .json(&json!({"stage": "early_warning"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = c
        .get(url(&format!("/DE/incidents/{id}")))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let early = v["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["stage"] == "early_warning")
        .unwrap();
    assert_eq!(early["status"], "submitted_late");

    // Thresholds are national and validated.
    let r = c
        .put(url("/DE/thresholds"))
        .bearer_auth(&analyst)
        .json(&json!({"users": 100000, "min_criteria": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "min_criteria");
    let r = c
        .put(url("/DE/thresholds"))
        .bearer_auth(&analyst)
        .json(&json!({"users": 100000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = c
        .get(url("/DE/thresholds"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["users"], 100000);
    assert_eq!(t["market_share"], 0.25);
    server.stop().await;
}

#[tokio::test]
async fn console_overview_shows_identification_and_is_bound_to_the_member_state() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "DE").await;
    let r = client()
        .post(server.url("/api/v1/resilience/DE/import"))
        .bearer_auth(&analyst)
        .json(&bundle())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c
        .post(server.url("/console/login"))
        .form(&[("token", &analyst)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .get(server.url("/console/resilience/DE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("DE-TSO-1") && html.contains("Nordnetz"),
        "{html}"
    );
    assert!(html.contains("7(1)(a)"), "fired criteria listed");
    assert!(html.contains("No incidents notified."));
    let r = c
        .get(server.url("/console/resilience/FR"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.stop().await;
}
