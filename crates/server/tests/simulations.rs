//! Stored simulation runs through a real server on loopback over a real
//! SQLite file and the real European model from `shared/data`: start a small
//! run, poll it to done, read its results and plot; validation errors name
//! the field; EU-wide scope; every write audited.

mod common;

use std::time::Duration;

use bulwark_core::Role;
use bulwark_store::audit;
use common::{TestServer, client};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Polls a run until it is final. The loop is bounded only to keep a broken
/// build from hanging CI; no time is asserted.
async fn wait_until_final(server: &TestServer, token: &str, id: &str) -> Value {
    let c = client();
    for _ in 0..6000 {
        let run: Value = c
            .get(server.url(&format!("/api/v1/resilience/simulations/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let status = run["status"].as_str().unwrap().to_string();
        assert!(
            ["queued", "running", "done", "failed"].contains(&status.as_str()),
            "{run}"
        );
        let p = run["progress"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p), "{run}");
        if status == "done" || status == "failed" {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("run {id} did not finish");
}

async fn start(server: &TestServer, token: &str, body: Value) -> reqwest::Response {
    client()
        .post(server.url("/api/v1/resilience/simulations"))
        .bearer_auth(token)
        .header("x-purpose", "simulation test")
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_small_run_goes_to_done_with_results_and_a_plot() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "*").await;
    let body = json!({"scenario": "iberia-2025-system-split", "samples": 12, "seed": 7});

    // A Spanish operator in the registry: before any run, CER Art. 7(1)(c)
    // uses the placeholder duration.
    let r = client()
        .post(server.url("/api/v1/resilience/ES/import"))
        .bearer_auth(&analyst)
        .json(&json!({
            "entities": [{"key": "ES-TSO-1", "name": "Red Sur", "member_state": "ES",
                          "sector": "energy", "subsector": "electricity",
                          "category": "transmission system operator"}],
            "provisions": [{"key": "P-ES-1", "entity": "ES-TSO-1",
                            "service": "electricity.transmission", "member_state": "ES",
                            "region": "ES300", "users_served": 1000000, "market_share": 0.5,
                            "substitutability": 0.5}],
            "assets": [{"key": "A-ES-1", "entity": "ES-TSO-1", "kind": "substation",
                        "name": "Subestación", "member_state": "ES", "region": "ES300"}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let identify = || async {
        let v: Value = client()
            .get(server.url("/api/v1/resilience/ES/entities/ES-TSO-1/identification"))
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v
    };
    let before = identify().await;
    assert!(before["simulated_outage"].is_null(), "{before}");
    assert_eq!(before["criteria"][2]["value"], 500_000.0 * 24.0);

    let r = start(&server, &analyst, body.clone()).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let run: Value = r.json().await.unwrap();
    let id = run["id"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/api/v1/resilience/simulations/{id}"));
    assert_eq!(run["scenario"], "iberia-2025-system-split");
    assert_eq!(run["samples"], 12);
    assert_eq!(run["seed"], 7);
    assert!(run["summary"].is_null());

    let done = wait_until_final(&server, &analyst, &id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["samples_done"], 12);
    assert_eq!(done["progress"], 1.0);
    assert!(done["finished_at"].is_string() && done["started_at"].is_string());
    let s = &done["summary"];
    // Iberia: a system split blacks out Spain (spec: tens of millions).
    let states = s["member_states"].as_array().unwrap();
    let es = states
        .iter()
        .find(|m| m["member_state"] == "ES")
        .unwrap_or_else(|| panic!("Spain not affected: {s}"));
    assert!(
        es["peak_users"]["max"].as_f64().unwrap() > 1_000_000.0,
        "{es}"
    );
    assert!(es["user_hours"]["mean"].as_f64().unwrap() > 0.0, "{es}");
    assert!(es["max_duration_hours"].as_f64().unwrap() > 0.0, "{es}");
    let p = s["cross_border_probability"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&p));
    let curve = s["exceedance"].as_array().unwrap();
    assert!(!curve.is_empty());
    for pair in curve.windows(2) {
        assert!(pair[0]["user_hours"].as_f64() <= pair[1]["user_hours"].as_f64());
        assert!(pair[0]["probability"].as_f64() >= pair[1]["probability"].as_f64());
    }
    assert!(!s["top_entities"].as_array().unwrap().is_empty(), "{s}");
    assert!(s["worst_sample"]["affected_member_states"].is_array());

    // The plot.
    let r = client()
        .get(server.url(&format!(
            "/api/v1/resilience/simulations/{id}/exceedance.svg"
        )))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{svg:.200}"
    );
    assert!(svg.contains("user-hours") && svg.contains("</svg>"));
    assert!(
        svg.contains("<polyline") || svg.contains("<path"),
        "no curve drawn"
    );

    // The finished run now gives Art. 7(1)(c) its duration in Spain.
    let after = identify().await;
    let hours = es["mean_duration_hours"].as_f64().unwrap();
    assert!(hours > 0.0, "{es}");
    assert_eq!(after["simulated_outage"]["run"], id.as_str(), "{after}");
    assert_eq!(after["simulated_outage"]["hours"].as_f64(), Some(hours));
    let c = &after["criteria"][2];
    assert!(
        (c["value"].as_f64().unwrap() - 500_000.0 * hours).abs() < 1e-3,
        "{c}"
    );
    assert!(
        c["explanation"]
            .as_str()
            .unwrap()
            .contains("simulated duration"),
        "{c}"
    );

    // Same scenario, samples and seed: the same summary.
    let r = start(&server, &analyst, body).await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let again: Value = r.json().await.unwrap();
    let again = wait_until_final(&server, &analyst, again["id"].as_str().unwrap()).await;
    assert_eq!(again["summary"], done["summary"]);

    // Listed, newest first, without summaries.
    let list: Value = client()
        .get(server.url("/api/v1/resilience/simulations"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["id"], id.as_str());
    assert!(list.iter().all(|r| r["summary"].is_null()));

    // Audited: start, progress, finish, with the purpose given.
    let records = audit::recent(&server.store, 200).await.unwrap();
    let object = format!("simulation:{id}");
    let of_run: Vec<_> = records.iter().filter(|r| r.object == object).collect();
    let actions: Vec<&str> = of_run.iter().map(|r| r.action.as_str()).collect();
    assert!(
        actions.contains(&"resilience.simulation.start"),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"resilience.simulation.finish"),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"resilience.simulation.progress"),
        "{actions:?}"
    );
    let started = of_run
        .iter()
        .find(|r| r.action == "resilience.simulation.start")
        .unwrap();
    assert_eq!(started.purpose, "simulation test");
    assert_eq!(started.details["samples"], 12);
    assert!(
        audit::verify(&server.store, &Default::default())
            .await
            .unwrap()
            .ok
    );
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_name_the_field_and_write_nothing() {
    let server = TestServer::start().await;
    let analyst = server.token(Role::Analyst, "*").await;
    let cases = [
        (
            json!({"scenario": "no-such-scenario", "samples": 10}),
            "scenario",
        ),
        (json!({"samples": 10}), "scenario"),
        (
            json!({"scenario": "cyber-cloud-provider", "samples": 0}),
            "samples",
        ),
        (
            json!({"scenario": "cyber-cloud-provider", "samples": 100_001}),
            "samples",
        ),
        (
            json!({"scenario": "cyber-cloud-provider", "samples": -5}),
            "samples",
        ),
        (
            json!({"scenario": "cyber-cloud-provider", "samples": "many"}),
            "samples",
        ),
        (
            json!({"scenario": "cyber-cloud-provider", "seed": 9_007_199_254_740_992_u64}),
            "seed",
        ),
    ];
    for (body, field) in cases {
        let r = start(&server, &analyst, body.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains(field),
            "{body}: {e}"
        );
    }
    let r = start(
        &server,
        &analyst,
        json!({"scenario": "cyber-cloud-provider", "colour": "red"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["message"].as_str().unwrap().contains("colour"),
        "{e}"
    );
    let list: Value = client()
        .get(server.url("/api/v1/resilience/simulations"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        0,
        "a refused run was stored"
    );

    // Unknown and malformed ids.
    let r = client()
        .get(server.url("/api/v1/resilience/simulations/0190c7d2-9f1e-7cc0-8a4f-3c2b1d0e9f8a"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client()
        .get(server.url("/api/v1/resilience/simulations/not-an-id/exceedance.svg"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "id");

    // The model spans every Member State: a national token may not run it,
    // nor may a reviewer start runs.
    let national = server.token(Role::Analyst, "DE").await;
    let r = start(
        &server,
        &national,
        json!({"scenario": "cyber-cloud-provider", "samples": 1}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let reviewer = server.token(Role::Reviewer, "*").await;
    let r = start(
        &server,
        &reviewer,
        json!({"scenario": "cyber-cloud-provider", "samples": 1}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    server.stop().await;
}

#[tokio::test]
async fn a_run_without_the_open_data_fails_and_says_so() {
    let empty = tempfile::tempdir().unwrap();
    let server = TestServer::start_with(bulwark_server::ServerConfig {
        data_root: Some(empty.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let analyst = server.token(Role::Analyst, "*").await;
    let r = start(
        &server,
        &analyst,
        json!({"scenario": "cyber-cloud-provider", "samples": 2}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let run: Value = r.json().await.unwrap();
    let id = run["id"].as_str().unwrap();
    let failed = wait_until_final(&server, &analyst, id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().unwrap();
    assert!(error.contains("could not be built"), "{error}");
    let dir = empty.path().to_str().unwrap();
    assert!(
        !error.contains(dir),
        "a server path reached the answer: {error}"
    );
    assert!(failed["summary"].is_null());
    let r = client()
        .get(server.url(&format!(
            "/api/v1/resilience/simulations/{id}/exceedance.svg"
        )))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let records = audit::recent(&server.store, 20).await.unwrap();
    let finish = records
        .iter()
        .find(|r| r.action == "resilience.simulation.finish")
        .expect("the failure is audited");
    assert_eq!(finish.details["status"], "failed");
    server.stop().await;
}
