//! The detection API and console through a real server on loopback over a
//! real SQLite file, seeded with the pillar's demo (benign stand-in images,
//! a signed demo list, an active voluntary basis): image and hash scans,
//! refusals without a basis, human review, signed reports, removal orders
//! with their clocks, list updates applied to the live matcher, and
//! validation errors that name the field.

mod common;

use chrono::TimeDelta;
use reqwest::StatusCode;
use serde_json::{Value, json};

use bulwark_core::{MemberStateScope, Role, Timestamp};
use bulwark_detection::basis::{self, BasisId};
use bulwark_detection::demo::{self, DEMO_PROVIDER, DEMO_SERVICE, DemoDetection};
use bulwark_detection::lists::{ListPayload, sign_list};
use bulwark_detection::reports::Report;
use bulwark_store::tokens::{self, NewToken};
use bulwark_store::{Actor, Store};
use common::{TestServer, client};

/// A server whose store was seeded with the demo before the server started
/// (so the matcher loads the demo list), and what the demo seeded.
async fn seeded() -> (TestServer, DemoDetection) {
    let server = TestServer::start_prepared(|store: Store| async move {
        bulwark_detection::migrate(&store).await.unwrap();
        demo::seed(&store, &Actor::system(), Timestamp::now())
            .await
            .unwrap();
    })
    .await;
    // Idempotent: returns the basis seeded above.
    let d = demo::seed(&server.store, &Actor::system(), Timestamp::now())
        .await
        .unwrap();
    (server, d)
}

/// A token of `role` acting for `organisation`, EU-wide.
async fn token(server: &TestServer, role: Role, organisation: &str) -> String {
    tokens::create(
        &server.store,
        &Actor::system(),
        &MemberStateScope::All,
        NewToken {
            name: format!("{role} of {organisation}"),
            role,
            organisation: organisation.into(),
            scope: MemberStateScope::All,
            expires_at: None,
        },
        "test",
    )
    .await
    .unwrap()
    .secret
}

fn url(server: &TestServer, path: &str) -> String {
    server.url(&format!("/api/v1/detection{path}"))
}

fn png(i: usize) -> Vec<u8> {
    demo::stand_in_png(i).unwrap()
}

/// Scans stand-in image `i` as the demo provider; returns the response.
async fn scan_image(server: &TestServer, tok: &str, basis: BasisId, i: usize) -> reqwest::Response {
    client()
        .post(url(
            server,
            &format!("/scan/image?basis_id={basis}&content_ref=upload-{i}"),
        ))
        .bearer_auth(tok)
        .header("content-type", "image/png")
        .body(png(i))
        .send()
        .await
        .unwrap()
}

/// Scans image `i` and returns the id of its match with `demo-<i>`.
async fn matched(server: &TestServer, tok: &str, basis: BasisId, i: usize) -> String {
    let r = scan_image(server, tok, basis, i).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "matched", "{body}");
    let m = body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["indicator_id"] == format!("demo-{i:02}"))
        .unwrap_or_else(|| panic!("no match with demo-{i:02}: {body}"));
    m["match_id"].as_str().unwrap().to_string()
}

async fn post(server: &TestServer, tok: &str, path: &str, body: Value) -> (StatusCode, Value) {
    let r = client()
        .post(url(server, path))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(server: &TestServer, tok: &str, path: &str) -> (StatusCode, Value) {
    let r = client()
        .get(url(server, path))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_image_scan_matches_and_enters_the_review_queue() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let reviewer = token(&server, Role::Reviewer, DEMO_PROVIDER).await;
    let other_reviewer = token(&server, Role::Reviewer, "another-provider").await;

    let r = scan_image(&server, &provider, d.basis.id, 3).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "matched", "{body}");
    assert_eq!(body["content_ref"], "upload-3");
    assert_eq!(body["hash"].as_str().unwrap().len(), 64);
    let m = body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["indicator_id"] == "demo-03")
        .unwrap();
    assert_eq!(m["list_id"], demo::DEMO_LIST);
    assert_eq!(m["list_version"], 1);
    let match_id = m["match_id"].as_str().unwrap();

    // The reviewer of the provider sees it pending; another organisation does not.
    let (s, queue) = get(&server, &reviewer, "/review").await;
    assert_eq!(s, StatusCode::OK);
    let entry = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == match_id)
        .unwrap_or_else(|| panic!("{match_id} not queued: {queue}"));
    assert_eq!(entry["state"], "pending_review");
    assert_eq!(entry["content_ref"], "upload-3");
    let (_, other) = get(&server, &other_reviewer, "/review").await;
    assert_eq!(other.as_array().unwrap().len(), 0);
    let (s, _) = get(&server, &other_reviewer, &format!("/matches/{match_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, detail) = get(&server, &reviewer, &format!("/matches/{match_id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(detail["indicator"]["indicator_id"], "demo-03");

    // Not an image type: 415, nothing recorded.
    let r = client()
        .post(url(
            &server,
            &format!("/scan/image?basis_id={}", d.basis.id),
        ))
        .bearer_auth(&provider)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Bytes that are no image: 422 naming `image`.
    let r = client()
        .post(url(
            &server,
            &format!("/scan/image?basis_id={}", d.basis.id),
        ))
        .bearer_auth(&provider)
        .header("content-type", "image/png")
        .body(vec![0u8; 100])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "image");
    // An image above 1 MiB passes the route's own body limit (16 MiB).
    let big = image::RgbImage::from_fn(1024, 1024, |x, y| {
        image::Rgb([((x * 7) ^ (y * 13)) as u8, (x * y) as u8, (x + y) as u8])
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    big.write_to(&mut buf, image::ImageFormat::Png).unwrap();
    assert!(buf.get_ref().len() > 1024 * 1024, "test image too small");
    let r = client()
        .post(url(
            &server,
            &format!("/scan/image?basis_id={}", d.basis.id),
        ))
        .bearer_auth(&provider)
        .header("content-type", "image/png")
        .body(buf.into_inner())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_ne!(body["outcome"], "matched", "{body}");
    // ... but not above 16 MiB.
    let r = client()
        .post(url(
            &server,
            &format!("/scan/image?basis_id={}", d.basis.id),
        ))
        .bearer_auth(&provider)
        .header("content-type", "image/png")
        .body(vec![0u8; 16 * 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "body_too_large");
    server.stop().await;
}

#[tokio::test]
async fn precomputed_hashes_are_scanned_in_a_batch() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let list = demo::demo_list(Timestamp::now()).unwrap();
    let h4 = list.add[4].pdq.clone().unwrap();
    let (s, body) = post(
        &server,
        &provider,
        "/scan",
        json!({
            "basis_id": d.basis.id,
            "service": DEMO_SERVICE,
            "items": [
                {"content_ref": "a", "hash": h4, "quality": 90},
                {"content_ref": "b", "hash": "0".repeat(64), "quality": 90},
                {"content_ref": "c", "hash": h4, "quality": 10},
            ]
        }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let r = body.as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["outcome"], "matched");
    assert_eq!(r[0]["matches"][0]["indicator_id"], "demo-04");
    assert_eq!(r[0]["matches"][0]["distance"], 0);
    assert_eq!(r[1]["outcome"], "no_match");
    // Below the basis's quality minimum: said so, not "no match".
    assert_eq!(r[2]["outcome"], "low_quality");

    // Too many items.
    let items: Vec<Value> = (0..1001)
        .map(|_| json!({"hash": "0".repeat(64), "quality": 90}))
        .collect();
    let (s, body) = post(
        &server,
        &provider,
        "/scan",
        json!({"basis_id": d.basis.id, "items": items}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "items");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_scans_are_each_recorded_and_audited() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let list = demo::demo_list(Timestamp::now()).unwrap();
    let mut tasks = Vec::new();
    for i in 0..48usize {
        let (server_url, tok, basis) = (server.url(""), provider.clone(), d.basis.id);
        let hash = if i.is_multiple_of(2) {
            list.add[i % list.add.len()].pdq.clone().unwrap()
        } else {
            format!("{:064x}", 0x9e37_79b9_u128 * (i as u128 + 1))
        };
        let image = i.is_multiple_of(6).then(|| png(i % demo::DEMO_IMAGES));
        tasks.push(tokio::spawn(async move {
            let c = client();
            let r = match image {
                Some(bytes) => c
                    .post(format!(
                        "{server_url}/api/v1/detection/scan/image?basis_id={basis}"
                    ))
                    .bearer_auth(&tok)
                    .header("content-type", "image/png")
                    .body(bytes),
                None => c
                    .post(format!("{server_url}/api/v1/detection/scan"))
                    .bearer_auth(&tok)
                    .json(&json!({"basis_id": basis, "items": [{"hash": hash, "quality": 90}]})),
            }
            .send()
            .await
            .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (s, body) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK, "{body}");
        let one = if body.is_array() {
            body[0].clone()
        } else {
            body
        };
        ids.insert(one["scan_id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 48);
    let (_, figures) = get(&server, &provider, "/transparency").await;
    assert_eq!(figures["scans"], 48, "{figures}");
    // Every scan is named in a `detection.scan` audit record; the chain holds.
    let mut audited = std::collections::BTreeSet::new();
    let mut after = 0;
    loop {
        let page = bulwark_store::audit::page(&server.store, after, 500)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for r in page.iter().filter(|r| r.action == "detection.scan") {
            for s in r.details["scans"].as_array().unwrap() {
                audited.insert(s.as_str().unwrap().to_string());
            }
        }
    }
    assert_eq!(audited, ids);
    let report = bulwark_store::audit::verify(&server.store, &Default::default())
        .await
        .unwrap();
    assert!(report.ok, "{:?}", report.first_break);

    // The basis is suspended behind the server's back (as the command line
    // would): the cached basis still passes the request's first check, but
    // the status re-read in the recording transaction refuses the scan.
    basis::set_status(
        &server.store,
        &Actor::system(),
        d.basis.id,
        bulwark_detection::vocab::BasisStatus::Suspended,
        None,
        Timestamp::now(),
        "test",
    )
    .await
    .unwrap();
    let (s, body) = post(
        &server,
        &provider,
        "/scan",
        json!({"basis_id": d.basis.id, "items": [{"hash": "0".repeat(64), "quality": 90}]}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
    let r = scan_image(&server, &provider, d.basis.id, 2).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, figures) = get(&server, &provider, "/transparency").await;
    assert_eq!(figures["scans"], 48, "{figures}");
    server.stop().await;
}

#[tokio::test]
async fn scanning_without_an_active_basis_is_refused_with_the_rule() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let stranger = token(&server, Role::Provider, "another-provider").await;
    let h = "0".repeat(64);
    let scan = |basis: String| json!({"basis_id": basis, "items": [{"hash": h, "quality": 90}]});

    // No such basis.
    let (s, body) = post(
        &server,
        &provider,
        "/scan",
        scan(BasisId::new().to_string()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "refused");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("scanning needs a detection order or a declared voluntary basis"),
        "{body}"
    );
    // Someone else's basis.
    let (s, body) = post(&server, &stranger, "/scan", scan(d.basis.id.to_string())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "refused");
    let r = scan_image(&server, &stranger, d.basis.id, 1).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Another service than the basis covers (CSA proposal Art. 7(8)).
    let mut other = scan(d.basis.id.to_string());
    other["service"] = json!("chat");
    let (s, body) = post(&server, &provider, "/scan", other).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Art. 7(8)")
    );
    // A suspended basis.
    let (s, b) = post(
        &server,
        &provider,
        &format!("/bases/{}/status", d.basis.id),
        json!({"status": "suspended"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["status"], "suspended");
    let (s, body) = post(&server, &provider, "/scan", scan(d.basis.id.to_string())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("suspended")
    );
    // Nothing was recorded for the refused scans.
    let (_, figures) = get(&server, &provider, "/transparency").await;
    assert_eq!(figures["scans"], 0, "{figures}");
    // A reviewer cannot scan at all.
    let reviewer = token(&server, Role::Reviewer, DEMO_PROVIDER).await;
    let (s, body) = post(&server, &reviewer, "/scan", scan(d.basis.id.to_string())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    server.stop().await;
}

#[tokio::test]
async fn a_confirmed_match_is_reported_and_the_report_verifies() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let reviewer = token(&server, Role::Reviewer, DEMO_PROVIDER).await;
    let auditor = token(&server, Role::Auditor, "audit office").await;
    let match_id = matched(&server, &provider, d.basis.id, 2).await;

    let report = json!({
        "match_id": match_id,
        "provider_contact": "Demo Provider, legal representative, abuse@demo.example",
        "service_type": "hosting",
        "service_url": "https://demo-photos.example",
        "location": {"ip": "198.51.100.7", "port": 44123, "time_zone": "Europe/Berlin"},
        "removed": true
    });
    // Not yet reviewed: no report (human review first).
    let (s, body) = post(&server, &provider, "/reports", report.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    // The provider cannot review; the reviewer confirms with a reason.
    let decision = json!({"decision": "confirm", "reason": "the known stand-in"});
    let (s, _) = post(
        &server,
        &provider,
        &format!("/matches/{match_id}/decision"),
        decision.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = post(
        &server,
        &reviewer,
        &format!("/matches/{match_id}/decision"),
        decision.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "confirmed");
    assert_eq!(body["reason"], "the known stand-in");
    let (s, _) = post(
        &server,
        &reviewer,
        &format!("/matches/{match_id}/decision"),
        decision,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);

    let (s, body) = post(&server, &provider, "/reports", report.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let made: Report = serde_json::from_value(body).unwrap();
    made.public_key.verify(&made.signed).unwrap();
    let payload: Value = serde_json::from_str(&made.signed.payload).unwrap();
    assert_eq!(payload["section_2_report"]["location"]["port"], 44123);
    assert_eq!(made.marking.tlp.unwrap().to_string(), "TLP:RED");
    // A changed payload no longer verifies.
    let mut forged = made.signed.clone();
    forged.payload = forged.payload.replace("198.51.100.7", "203.0.113.9");
    assert!(made.public_key.verify(&forged).is_err());
    // Listed for the provider and the auditor, with the marking.
    let (_, list) = get(&server, &provider, "/reports").await;
    assert_eq!(list[0]["id"], made.id.to_string());
    assert_eq!(list[0]["marking"]["tlp"], "TLP:RED");
    let (_, all) = get(&server, &auditor, "/reports").await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    // CSA proposal Art. 12(1): the EU Centre, its recipient, lists it; another
    // authority does not.
    assert_eq!(made.recipient, "EU Centre");
    let centre = token(&server, Role::Authority, "EU Centre").await;
    let (s, to_centre) = get(&server, &centre, "/reports").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(to_centre[0]["id"], made.id.to_string());
    let elsewhere = token(&server, Role::Authority, "Another authority").await;
    let (_, none) = get(&server, &elsewhere, "/reports").await;
    assert_eq!(none.as_array().unwrap().len(), 0);
    // Reported once.
    let (s, _) = post(&server, &provider, "/reports", report).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // A rejection puts the hash on the negative list: the same image is
    // then negative-listed, not queued again.
    let other = matched(&server, &provider, d.basis.id, 6).await;
    let (s, _) = post(
        &server,
        &reviewer,
        &format!("/matches/{other}/decision"),
        json!({"decision": "reject", "reason": "our own logo"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let r = scan_image(&server, &provider, d.basis.id, 6).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "negative_listed", "{body}");
    // Error rates per list count the review.
    let (_, rates) = get(&server, &provider, "/error-rates").await;
    let per_list = rates
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "list" && r["key"] == demo::DEMO_LIST)
        .unwrap();
    assert_eq!(per_list["confirmed"], 1);
    assert_eq!(per_list["rejected"], 1);
    assert_eq!(per_list["false_positive_share"], 0.5);
    server.stop().await;
}

/// The reviewer confirms match `match_id`.
async fn confirmed(server: &TestServer, reviewer: &str, match_id: &str) {
    let decision = json!({"decision": "confirm", "reason": "the known stand-in"});
    let (s, body) = post(
        server,
        reviewer,
        &format!("/matches/{match_id}/decision"),
        decision,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// Scans stand-in `i`, has the reviewer confirm its match and reports it;
/// returns the signed report.
async fn reported(
    server: &TestServer,
    provider: &str,
    reviewer: &str,
    basis: BasisId,
    i: usize,
) -> Report {
    let match_id = matched(server, provider, basis, i).await;
    confirmed(server, reviewer, &match_id).await;
    let report = json!({
        "match_id": match_id,
        "provider_contact": "Demo Provider, legal representative, abuse@demo.example",
        "service_type": "hosting",
        "removed": true
    });
    let (s, body) = post(server, provider, "/reports", report).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn a_provider_replaces_its_signing_key_and_earlier_reports_still_verify() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let reviewer = token(&server, Role::Reviewer, DEMO_PROVIDER).await;
    let centre = token(&server, Role::Authority, "EU Centre").await;
    let other = token(&server, Role::Provider, "Other provider").await;
    let why = json!({"reason": "suspected exposure of a backup"});
    // No key before the first report: nothing to replace.
    let (s, body) = post(&server, &provider, "/signing-keys/replace", why.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let first = reported(&server, &provider, &reviewer, d.basis.id, 2).await;
    // A reason is required.
    let (s, body) = post(
        &server,
        &provider,
        "/signing-keys/replace",
        json!({"reason": " "}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "reason", "{body}");
    // Reviewers and authorities cannot replace a provider's key.
    for tok in [&reviewer, &centre] {
        let (s, _) = post(&server, tok, "/signing-keys/replace", why.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }

    let (s, body) = post(&server, &provider, "/signing-keys/replace", why).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["retired"]["key_id"], first.signed.key_id.as_str());
    assert_eq!(body["retired"]["reason"], "suspected exposure of a backup");
    let new_key = body["current"]["key_id"].as_str().unwrap().to_string();
    assert_ne!(new_key, first.signed.key_id);
    // The next report is signed with the new key.
    let second = reported(&server, &provider, &reviewer, d.basis.id, 3).await;
    assert_eq!(second.signed.key_id, new_key);
    second.public_key.verify(&second.signed).unwrap();
    // Both reports verify as listed, each with the key that signed it.
    let (_, list) = get(&server, &provider, "/reports").await;
    let list: Vec<Report> = serde_json::from_value(list).unwrap();
    assert_eq!(list.len(), 2);
    for r in &list {
        assert_eq!(r.public_key.key_id, r.signed.key_id);
        r.public_key.verify(&r.signed).unwrap();
    }
    assert!(
        list.iter()
            .any(|r| r.id == first.id && r.public_key == first.public_key)
    );
    // The keys: the provider's own, every provider's for the recipient
    // authority, none of the demo provider's for another provider.
    let (s, keys) = get(&server, &provider, "/signing-keys").await;
    assert_eq!(s, StatusCode::OK);
    let ids: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [first.signed.key_id.as_str(), new_key.as_str()]);
    assert!(keys[0]["retired_at"].is_string() && keys[1].get("retired_at").is_none());
    let (_, seen) = get(&server, &centre, "/signing-keys").await;
    assert_eq!(seen, keys);
    let (_, none) = get(&server, &other, "/signing-keys").await;
    assert_eq!(none, json!([]));
    server.stop().await;
}

#[tokio::test]
async fn a_provider_records_the_removal_of_confirmed_content() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let reviewer = token(&server, Role::Reviewer, DEMO_PROVIDER).await;
    let other = token(&server, Role::Provider, "Other provider").await;
    let match_id = matched(&server, &provider, d.basis.id, 4).await;
    let path = format!("/matches/{match_id}/removal");
    let removed = json!({"action": "removed"});
    // Human verification first.
    let (s, body) = post(&server, &provider, &path, removed.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    confirmed(&server, &reviewer, &match_id).await;
    // The provider acts, not the reviewer; another provider does not see it.
    let (s, _) = post(&server, &reviewer, &path, removed.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(&server, &other, &path, removed.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = post(&server, &provider, &path, json!({"action": "deleted"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "action", "{body}");

    let (s, body) = post(&server, &provider, &path, removed.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["removal"]["action"], "removed");
    assert!(body["removal"]["preserve_until"].is_string(), "{body}");
    let (_, m) = get(&server, &provider, &format!("/matches/{match_id}")).await;
    assert_eq!(m["removal"], body["removal"]);
    let (s, _) = post(&server, &provider, &path, removed).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // An authority's request extends the preservation (TCO Art. 6(2)); an
    // extension only lengthens it.
    let extend = format!("/matches/{match_id}/preservation");
    let current: Timestamp = body["removal"]["preserve_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let request = |until: Timestamp| json!({"until": until, "requested_by": "Landgericht Berlin", "reference": "LG-2026-17"});
    let (s, b) = post(
        &server,
        &provider,
        &extend,
        request(current.plus(chrono::TimeDelta::days(-1))),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "until", "{b}");
    let later = current.plus(chrono::TimeDelta::days(90));
    let (s, b) = post(&server, &provider, &extend, request(later)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["removal"]["preserve_until"], json!(later));
    assert_eq!(b["removal"]["extended"]["reference"], "LG-2026-17");
    let (s, _) = post(&server, &reviewer, &extend, request(later)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Counted for the voluntary basis in this year's figures.
    let (_, f) = get(&server, &provider, "/transparency").await;
    let voluntary = f["by_basis_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "voluntary")
        .unwrap();
    assert_eq!(voluntary["removed"], 1, "{f}");
    // A review decision puts the content back (the provider records it, not
    // the reviewer).
    let back = format!("/matches/{match_id}/reinstatement");
    let review = json!({"ground": "review", "reference": "LG Berlin 27 O 12/26"});
    let (s, _) = post(&server, &reviewer, &back, review.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = post(&server, &provider, &back, review).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["removal"]["reinstated"]["ground"], "review", "{b}");
    server.stop().await;
}

fn removal_order(authority: &str, received_at: Option<Timestamp>) -> Value {
    json!({
        "regime": "tco",
        "reference": "TCO-DE-2026-0042",
        "authority": authority,
        "member_state": "DE",
        "provider": DEMO_PROVIDER,
        "items": [{"url": "https://demo-photos.example/p/42"}],
        "reasons": "Art. 2(7)(a) incitement",
        "received_at": received_at,
    })
}

#[tokio::test]
async fn an_authority_issues_a_removal_order_and_the_provider_executes_it() {
    let (server, _d) = seeded().await;
    let authority = token(&server, Role::Authority, "Bundeskriminalamt").await;
    let other_authority = token(&server, Role::Authority, "Politie").await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let stranger = token(&server, Role::Provider, "another-provider").await;
    let auditor = token(&server, Role::Auditor, "audit office").await;

    // A provider cannot issue one; an authority only in its own name.
    let (s, _) = post(
        &server,
        &provider,
        "/removal-orders",
        removal_order(DEMO_PROVIDER, None),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = post(
        &server,
        &authority,
        "/removal-orders",
        removal_order("Politie", None),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "authority");

    let (s, order) = post(
        &server,
        &authority,
        "/removal-orders",
        removal_order("Bundeskriminalamt", None),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    assert_eq!(order["state"], "received");
    assert_eq!(order["overdue"], false);
    assert_eq!(
        order["deadline_article"],
        "TCO Regulation (EU) 2021/784 Art. 3(3)"
    );
    let left = order["seconds_left"].as_i64().unwrap();
    assert!(left > 0 && left <= 3600, "{left}");
    let id = order["id"].as_str().unwrap();

    // Who sees it.
    let (_, list) = get(&server, &provider, "/removal-orders").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = get(&server, &authority, "/removal-orders").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = get(&server, &auditor, "/removal-orders").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = get(&server, &other_authority, "/removal-orders").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (s, _) = get(&server, &stranger, &format!("/removal-orders/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Only the addressed provider executes it, once.
    let (s, _) = post(
        &server,
        &stranger,
        &format!("/removal-orders/{id}/action"),
        json!({"action": "execute"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = post(
        &server,
        &authority,
        &format!("/removal-orders/{id}/action"),
        json!({"action": "execute"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, done) = post(
        &server,
        &provider,
        &format!("/removal-orders/{id}/action"),
        json!({"action": "execute"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "executed");
    assert_eq!(done["in_time"], true);
    let (s, body) = post(
        &server,
        &provider,
        &format!("/removal-orders/{id}/action"),
        json!({"action": "execute"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    let (_, seen) = get(&server, &authority, &format!("/removal-orders/{id}")).await;
    assert_eq!(seen["state"], "executed");

    // A court annuls the order: the provider reinstates the content (TCO
    // Art. 9); a removal order is not reinstated on a complaint (Art. 10
    // covers specific measures). The authority sees it.
    let back = format!("/removal-orders/{id}/reinstatement");
    let review = json!({"ground": "review", "reference": "VG Wiesbaden 6 L 117/26"});
    let (s, _) = post(&server, &authority, &back, review.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(&server, &stranger, &back, review.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, body) = post(
        &server,
        &provider,
        &back,
        json!({"ground": "complaint", "reference": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "ground", "{body}");
    let (s, body) = post(&server, &provider, &back, review.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["reinstated"]["ground"], "review", "{body}");
    let (s, _) = post(&server, &provider, &back, review).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, seen) = get(&server, &authority, &format!("/removal-orders/{id}")).await;
    assert_eq!(seen["reinstated"]["reference"], "VG Wiesbaden 6 L 117/26");
    let (_, f) = get(&server, &provider, "/transparency").await;
    assert_eq!(f["reinstated_after_review"], 1, "{f}");

    // An old order is overdue.
    let (_, late) = post(
        &server,
        &authority,
        "/removal-orders",
        removal_order(
            "Bundeskriminalamt",
            Some(Timestamp::now().plus(TimeDelta::hours(-3))),
        ),
    )
    .await;
    assert_eq!(late["overdue"], true, "{late}");
    assert!(late["seconds_left"].as_i64().unwrap() < 0);

    // Complaints and their decision (TCO Art. 10: two weeks).
    let (s, c) = post(
        &server,
        &provider,
        "/complaints",
        json!({"regime": "tco", "subject": "removal", "object_ref": id, "complainant": "user-7f3a"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert!(c["due_at"].is_string());
    let cid = c["id"].as_str().unwrap();
    let (s, c) = post(
        &server,
        &provider,
        &format!("/complaints/{cid}/decision"),
        json!({"outcome": "upheld", "reasons": "terrorist content per the order"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["outcome"], "upheld");
    let (_, cs) = get(&server, &stranger, "/complaints").await;
    assert_eq!(cs.as_array().unwrap().len(), 0);

    // Transparency figures: the provider's own, every provider's for the authority.
    let (s, f) = get(&server, &provider, "/transparency").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(f["removal_orders"], 2);
    assert_eq!(f["removal_in_time"], 1);
    assert_eq!(f["complaints_decided"], 1);
    let (_, f) = get(&server, &authority, "/transparency").await;
    assert!(f["provider"].is_null());
    let (s, body) = get(&server, &provider, "/transparency?year=abc").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "year");

    // The purge runs on demand (and is audited).
    let (s, p) = post(&server, &provider, "/purge", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["reports"], 0);
    let recent = bulwark_store::audit::recent(&server.store, 50)
        .await
        .unwrap();
    assert!(
        recent
            .iter()
            .any(|r| r.action == "detection.purge" && r.actor == "system")
    );
    assert!(
        recent
            .iter()
            .any(|r| r.action == "detection.purge" && r.actor.starts_with("token:"))
    );
    server.stop().await;
}

#[tokio::test]
async fn list_versions_and_indicator_controls_reach_the_live_matcher() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let reviewer = token(&server, Role::Reviewer, DEMO_PROVIDER).await;
    let (s, lists) = get(&server, &reviewer, "/lists").await;
    assert_eq!(s, StatusCode::OK);
    let v1 = lists
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["list_id"] == demo::DEMO_LIST)
        .unwrap()
        .clone();
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["active"], demo::DEMO_IMAGES);

    // Disable demo-04: image 4 stops matching; re-activate: it matches again.
    let m = matched(&server, &provider, d.basis.id, 4).await;
    let (_, detail) = get(&server, &provider, &format!("/matches/{m}")).await;
    let seq = detail["indicator"]["seq"].as_i64().unwrap();
    let (s, ind) = post(
        &server,
        &provider,
        &format!("/indicators/{seq}/status"),
        json!({"status": "quarantined", "reason": "matches too much"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ind}");
    assert_eq!(ind["history"][0]["status"], "quarantined");
    // The provider's own status: the deployment-wide one stays active.
    assert_eq!(
        (ind["status"].as_str(), ind["local_status"].as_str()),
        (Some("active"), Some("quarantined")),
        "{ind}"
    );
    let r = scan_image(&server, &provider, d.basis.id, 4).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "no_match", "{body}");
    // Another provider of the same deployment neither loses the indicator
    // nor sees the first one's decision.
    let other = token(&server, Role::Provider, "Other provider").await;
    let (s, seen) = get(&server, &other, &format!("/indicators/{seq}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(seen.get("local_status").is_none(), "{seen}");
    assert_eq!(seen["history"].as_array().unwrap().len(), 0, "{seen}");
    let (s, _) = post(
        &server,
        &provider,
        &format!("/indicators/{seq}/status"),
        json!({"status": "active", "reason": "checked"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    matched(&server, &provider, d.basis.id, 4).await;
    let (s, ind) = get(&server, &reviewer, &format!("/indicators/{seq}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ind["history"].as_array().unwrap().len(), 2);
    // `removed` is the issuer's.
    let (s, body) = post(
        &server,
        &provider,
        &format!("/indicators/{seq}/status"),
        json!({"status": "removed", "reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "status");

    // Version 2 removes demo-03: image 3 stops matching at once.
    matched(&server, &provider, d.basis.id, 3).await;
    let key = demo::demo_issuer_key();
    let v2 = ListPayload {
        version: 2,
        previous_digest: Some(v1["digest"].as_str().unwrap().to_string()),
        add: vec![],
        remove: vec!["demo-03".into()],
        ..demo::demo_list(Timestamp::now()).unwrap()
    };
    let envelope = sign_list(&key, &v2).unwrap();
    // Tampered: rejected, nothing changes.
    let mut tampered = envelope.clone();
    tampered.payload = tampered.payload.replace("demo-03", "demo-05");
    let (s, body) = post(
        &server,
        &provider,
        "/lists",
        serde_json::to_value(&tampered).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "list_rejected");
    let (s, change) = post(
        &server,
        &provider,
        "/lists",
        serde_json::to_value(&envelope).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{change}");
    assert_eq!(change["version"], 2);
    assert_eq!(change["removed"].as_array().unwrap().len(), 1);
    let r = scan_image(&server, &provider, d.basis.id, 3).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "no_match", "{body}");
    // Replayed: rejected.
    let (s, body) = post(
        &server,
        &provider,
        "/lists",
        serde_json::to_value(&envelope).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("replayed")
    );

    // A new issuer: unknown key rejected, trusted key accepted.
    let hotline = bulwark_detection::signing::KeyPair::generate("Hotline X");
    let own = ListPayload {
        list_id: "hotline-x".into(),
        issuer: "Hotline X".into(),
        version: 1,
        previous_digest: None,
        add: demo::demo_list(Timestamp::now()).unwrap().add[3..4].to_vec(),
        remove: vec![],
        ..demo::demo_list(Timestamp::now()).unwrap()
    };
    let env = sign_list(&hotline, &own).unwrap();
    let (s, _) = post(
        &server,
        &provider,
        "/lists",
        serde_json::to_value(&env).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A hotline is not the EU Centre: its lists serve voluntary detection
    // only (CSA proposal Art. 10(1)). An unknown role is refused by name.
    let mut key = serde_json::to_value(hotline.public()).unwrap();
    // The role is required: no key gets the EU Centre's standing by default.
    let (s, body) = post(&server, &provider, "/keys", key.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("role"), "{body}");
    key["role"] = "nobody".into();
    let (s, body) = post(&server, &provider, "/keys", key.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("role"), "{body}");
    key["role"] = "other".into();
    let (s, body) = post(&server, &provider, "/keys", key.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["role"], "other", "{body}");
    let (s, _) = post(&server, &provider, "/keys", key).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = post(
        &server,
        &provider,
        "/lists",
        serde_json::to_value(&env).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let r = scan_image(&server, &provider, d.basis.id, 3).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["outcome"], "matched", "{body}");
    assert_eq!(body["matches"][0]["list_id"], "hotline-x");
    server.stop().await;
}

/// A specific measure of the demo provider against terrorist content (TCO
/// Regulation Art. 5), after an exposure decision notified a day before `now`.
fn specific_measure(now: Timestamp) -> Value {
    json!({
        "kind": "specific_measure",
        "provider": DEMO_PROVIDER,
        "service": DEMO_SERVICE,
        "content_types": ["known"],
        "valid_from": now,
        "valid_until": now.plus(TimeDelta::days(90)),
        "specific_measure": {
            "exposure_decision": "IE-EXP-1",
            "competent_authority": "Coimisiún na Meán",
            "member_state": "IE",
            "notified_at": now.plus(TimeDelta::days(-1))
        }
    })
}

#[tokio::test]
async fn validation_errors_name_the_field() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let authority = token(&server, Role::Authority, "Coimisiún na Meán").await;
    let now = Timestamp::now();
    let good = basis::demo_voluntary(DEMO_PROVIDER, "demo-chat", now, 30).unwrap();

    let cases: Vec<(&str, &str, Value, &str)> = vec![
        // Scans.
        (
            "/scan",
            "provider",
            json!({"basis_id": d.basis.id, "items": [{"hash": "xyz", "quality": 90}]}),
            "items[0].hash",
        ),
        (
            "/scan",
            "provider",
            json!({"basis_id": d.basis.id, "items": [{"hash": "0".repeat(64), "quality": 101}]}),
            "items[0].quality",
        ),
        (
            "/scan",
            "provider",
            json!({"basis_id": d.basis.id, "items": [{"hash": "0".repeat(64), "quality": 300}]}),
            "items[0].quality",
        ),
        (
            "/scan",
            "provider",
            json!({"basis_id": "not-an-id", "items": []}),
            "basis_id",
        ),
        (
            "/scan",
            "provider",
            json!({"basis_id": d.basis.id, "items": []}),
            "items",
        ),
        (
            "/scan",
            "provider",
            json!({"basis_id": d.basis.id, "items": [], "colour": "red"}),
            "(body)",
        ),
        // Bases.
        (
            "/bases",
            "provider",
            {
                let mut b = serde_json::to_value(&good).unwrap();
                b["valid_until"] = serde_json::to_value(now.plus(TimeDelta::days(-2))).unwrap();
                b
            },
            "valid_until",
        ),
        (
            "/bases",
            "provider",
            {
                let mut b = serde_json::to_value(&good).unwrap();
                b["provider"] = json!("someone-else");
                b
            },
            "provider",
        ),
        (
            "/bases",
            "provider",
            {
                let mut b = serde_json::to_value(&good).unwrap();
                b["voluntary"]["dpia_reference"] = json!(" ");
                b
            },
            "voluntary.dpia_reference",
        ),
        (
            "/bases",
            "provider",
            {
                let mut b = serde_json::to_value(&good).unwrap();
                b["policy"] = json!({"max_distance": 60});
                b
            },
            "policy.max_distance",
        ),
        // A detection order starting too early (CSA proposal Art. 7(9)).
        (
            "/orders",
            "authority",
            json!({
                "kind": "order",
                "provider": DEMO_PROVIDER,
                "service": DEMO_SERVICE,
                "content_types": ["known"],
                "valid_from": now,
                "valid_until": now.plus(TimeDelta::days(300)),
                "order": {
                    "reference": "IE-DO-1",
                    "issuing_authority": "Coimisiún na Meán",
                    "coordinating_authority": "Coimisiún na Meán",
                    "member_state": "IE",
                    "received_at": now,
                    "statement_of_reasons": "significant risk"
                }
            }),
            "valid_from",
        ),
        (
            "/orders",
            "authority",
            serde_json::to_value(&good).unwrap(),
            "kind",
        ),
        // A specific measure without its exposure decision (TCO Art. 5(4)).
        (
            "/bases",
            "provider",
            {
                let mut b = specific_measure(now);
                b["specific_measure"] = Value::Null;
                b
            },
            "specific_measure",
        ),
        // Reports, removal orders, complaints, reviews.
        (
            "/reports",
            "provider",
            json!({
                "match_id": BasisId::new(), "provider_contact": "x", "service_type": "cloud", "removed": false
            }),
            "service_type",
        ),
        (
            "/removal-orders",
            "authority",
            {
                let mut o = removal_order("Coimisiún na Meán", None);
                o["items"] = json!([{"url": "ftp://x"}]);
                o
            },
            "items[0].url",
        ),
        (
            "/removal-orders",
            "authority",
            {
                let mut o = removal_order("Coimisiún na Meán", None);
                o["regime"] = json!("dsa");
                o
            },
            "regime",
        ),
        (
            "/complaints",
            "provider",
            json!({
                "regime": "csa", "subject": "detection", "object_ref": "m-1", "complainant": "jane@example.org"
            }),
            "complainant",
        ),
    ];
    for (path, who, body, field) in cases {
        let tok = if who == "provider" {
            &provider
        } else {
            &authority
        };
        let (s, answer) = post(&server, tok, path, body).await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {field}: {answer}"
        );
        assert_eq!(answer["error"]["code"], "invalid_field", "{path}: {answer}");
        if field == "(body)" {
            assert!(
                answer["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("colour"),
                "{answer}"
            );
        } else {
            assert_eq!(answer["error"]["field"], field, "{path}: {answer}");
        }
    }
    // A well-formed voluntary basis is declared; a well-formed order issued.
    let (s, b) = post(
        &server,
        &provider,
        "/bases",
        serde_json::to_value(&good).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["status"], "active");
    // So is a specific measure against terrorist content (TCO Art. 5(2)).
    let (s, b) = post(&server, &provider, "/bases", specific_measure(now)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["kind"], "specific_measure", "{b}");
    let received = now.plus(TimeDelta::days(-1));
    let from = received
        .as_datetime()
        .checked_add_months(chrono::Months::new(4))
        .map(Timestamp::from_datetime)
        .unwrap();
    let (s, o) = post(
        &server,
        &authority,
        "/orders",
        json!({
            "kind": "order",
            "provider": DEMO_PROVIDER,
            "service": DEMO_SERVICE,
            "content_types": ["known"],
            "valid_from": from,
            "valid_until": from.plus(TimeDelta::days(300)),
            "order": {
                "reference": "IE-DO-2",
                "issuing_authority": "Coimisiún na Meán",
                "coordinating_authority": "Coimisiún na Meán",
                "member_state": "IE",
                "received_at": received,
                "statement_of_reasons": "significant risk"
            }
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    // The authority sees its order; the provider sees both of its bases plus the demo one.
    let (_, seen) = get(&server, &authority, "/bases").await;
    assert_eq!(seen.as_array().unwrap().len(), 1);
    let (_, seen) = get(&server, &provider, "/bases").await;
    assert_eq!(seen.as_array().unwrap().len(), 4);
    // Only its authority changes the order's status.
    let order_id = o["id"].as_str().unwrap();
    let other_authority = token(&server, Role::Authority, "Politie").await;
    let suspend = json!({"status": "suspended"});
    let (s, _) = post(
        &server,
        &other_authority,
        &format!("/orders/{order_id}/status"),
        suspend.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = post(
        &server,
        &authority,
        &format!("/orders/{}/status", d.basis.id),
        suspend.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a voluntary basis is no order");
    let (s, b) = post(
        &server,
        &authority,
        &format!("/orders/{order_id}/status"),
        suspend,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "suspended");
    let (s, b) = post(
        &server,
        &authority,
        &format!("/orders/{order_id}/status"),
        json!({"status": "active"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The order is not yet in force: scanning under it is refused.
    let (s, body) = post(
        &server,
        &provider,
        "/scan",
        json!({"basis_id": o["id"], "items": [{"hash": "0".repeat(64), "quality": 90}]}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("applies from")
    );
    server.stop().await;
}

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

async fn console_as(server: &TestServer, tok: &str) -> reqwest::Client {
    let c = browser_like();
    let r = c
        .post(server.url("/console/login"))
        .form(&[("token", tok)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}

async fn page(c: &reqwest::Client, server: &TestServer, path: &str) -> (StatusCode, String) {
    let r = c.get(server.url(path)).send().await.unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

#[tokio::test]
async fn console_shows_the_queue_and_overdue_removal_orders() {
    let (server, d) = seeded().await;
    let provider = token(&server, Role::Provider, DEMO_PROVIDER).await;
    let reviewer = token(&server, Role::Reviewer, DEMO_PROVIDER).await;
    let authority = token(&server, Role::Authority, "Bundeskriminalamt").await;
    let match_id = matched(&server, &provider, d.basis.id, 5).await;

    // The reviewer's queue shows the pending match with its facts and forms.
    let rc = console_as(&server, &reviewer).await;
    let (s, html) = page(&rc, &server, "/console").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("href=\"/console/detection\""),
        "no detection link"
    );
    let (s, html) = page(&rc, &server, "/console/detection/review").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&format!("match-{match_id}")), "{html}");
    assert!(html.contains(&format!("confirm-{match_id}")));
    assert!(html.contains("demo-05") && html.contains(demo::DEMO_LIST));
    assert!(html.contains("1 match(es) pending review"), "{html}");
    // Confirm through the form (CSRF-checked).
    let csrf = csrf_of(&html);
    let action = format!("/console/detection/matches/{match_id}/decision");
    let r = rc
        .post(server.url(&action))
        .form(&[("decision", "confirm"), ("reason", "seen")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = rc
        .post(server.url(&action))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "confirm"),
            ("reason", "seen"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&rc, &server, "/console/detection/review").await;
    assert!(html.contains("0 match(es) pending review"), "{html}");
    let (_, html) = page(&rc, &server, "/console/detection/transparency").await;
    assert!(
        html.contains("error-rates") && html.contains(demo::DEMO_LIST),
        "{html}"
    );
    // Matches per kind of basis (each regime publishes its own figures).
    assert!(
        html.contains("by-basis-kind") && html.contains("<td>voluntary</td>"),
        "{html}"
    );

    // An order received three hours ago is OVERDUE (TCO Art. 3(3): one hour).
    let (s, order) = post(
        &server,
        &authority,
        "/removal-orders",
        removal_order(
            "Bundeskriminalamt",
            Some(Timestamp::now().plus(TimeDelta::hours(-3))),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = order["id"].as_str().unwrap();
    let pc = console_as(&server, &provider).await;
    let (s, html) = page(&pc, &server, "/console/detection/removal-orders").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("OVERDUE"), "{html}");
    assert!(html.contains(&format!("execute-{id}")), "{html}");
    let (_, overview) = page(&pc, &server, "/console/detection").await;
    assert!(overview.contains(&d.basis.id.to_string()) && overview.contains(demo::DEMO_LIST));
    // Execute from the console.
    let csrf = csrf_of(&html);
    let r = pc
        .post(server.url(&format!("/console/detection/removal-orders/{id}/execute")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = page(&pc, &server, "/console/detection/removal-orders").await;
    assert!(
        !html.contains("OVERDUE") && html.contains("(late)"),
        "{html}"
    );
    // The authority sees it, without an execute button; the reviewer has no
    // execute permission either.
    let ac = console_as(&server, &authority).await;
    let (_, html) = page(&ac, &server, "/console/detection/removal-orders").await;
    assert!(html.contains("TCO-DE-2026-0042") && !html.contains("execute-"));
    // A court annulled it and the content is back: the order's row says so,
    // and the figures count it (TCO Art. 7(3)(f)).
    let (s, _) = post(
        &server,
        &provider,
        &format!("/removal-orders/{id}/reinstatement"),
        json!({"ground": "review", "reference": "VG-117"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, html) = page(&ac, &server, "/console/detection/removal-orders").await;
    assert!(html.contains("(review: VG-117)"), "{html}");
    let (_, html) = page(&pc, &server, "/console/detection/transparency").await;
    assert!(
        html.contains("<th>Content reinstated after review proceedings</th><td>1</td>"),
        "{html}"
    );
    let (s, _) = page(&ac, &server, "/console/detection/review").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Reports page shows the marking.
    let (s, _) = post(
        &server,
        &provider,
        "/reports",
        json!({"match_id": match_id, "provider_contact": "abuse@demo.example", "service_type": "hosting", "removed": false}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, html) = page(&pc, &server, "/console/detection/reports").await;
    assert!(html.contains("TLP:RED"), "{html}");
    assert!(!html.contains("retired-key"), "{html}");
    // After the provider replaced its signing key, the report shows that its
    // key was replaced, when and why.
    let (s, _) = post(
        &server,
        &provider,
        "/signing-keys/replace",
        json!({"reason": "scheduled change"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, html) = page(&pc, &server, "/console/detection/reports").await;
    assert!(
        html.contains("retired-key") && html.contains("scheduled change"),
        "{html}"
    );
    server.stop().await;
}
