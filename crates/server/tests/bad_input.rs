//! Bad input gets a 4xx with a JSON error that names the field, and
//! nothing is written.

mod common;

use bulwark_core::Role;
use common::{TestServer, client};
use reqwest::StatusCode;

async fn post_tokens(
    server: &TestServer,
    token: &str,
    body: Vec<u8>,
    content_type: &str,
) -> (StatusCode, serde_json::Value) {
    let r = client()
        .post(server.url("/api/v1/tokens"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        ct.starts_with("application/json"),
        "error body is not JSON: {ct}"
    );
    (status, r.json().await.unwrap())
}

async fn token_count(server: &TestServer) -> usize {
    bulwark_store::tokens::list(&server.store)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn malformed_oversized_and_unknown_values_are_4xx_json_naming_the_field() {
    let server = TestServer::start().await;
    let admin = server.token(Role::Admin, "*").await;
    let before = token_count(&server).await;

    let (s, b) = post_tokens(
        &server,
        &admin,
        b"{\"name\": \"x\",".to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(b["error"]["code"], "malformed_json");

    let (s, b) = post_tokens(
        &server,
        &admin,
        br#"{"name":"x","role":"superuser","organisation":"o","scope":"*"}"#.to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "role");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("superuser")
    );

    let (s, b) = post_tokens(
        &server,
        &admin,
        br#"{"name":"x","role":"analyst","organisation":"o","scope":"DE,ZZ"}"#.to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "scope");

    let (s, b) = post_tokens(
        &server,
        &admin,
        br#"{"name":"x","role":"analyst","scope":"*"}"#.to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "organisation");

    let (s, b) = post_tokens(
        &server,
        &admin,
        br#"{"name":"","role":"analyst","organisation":"o","scope":"*"}"#.to_vec(),
        "application/json",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["error"]["field"], "name");

    let mut huge = br#"{"name":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    huge.extend(br#"","role":"analyst","organisation":"o","scope":"*"}"#);
    let (s, b) = post_tokens(&server, &admin, huge, "application/json").await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(b["error"]["code"], "body_too_large");

    let (s, b) = post_tokens(
        &server,
        &admin,
        b"name=x".to_vec(),
        "application/x-www-form-urlencoded",
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(b["error"]["code"], "unsupported_media_type");

    let r = client()
        .get(server.url("/api/v1/audit?limit=5000"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(b["error"]["field"], "limit");

    let r = client()
        .delete(server.url("/api/v1/tokens/not-a-uuid"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        token_count(&server).await,
        before,
        "a refused request wrote something"
    );
    server.stop().await;
}

#[tokio::test]
async fn health_and_readiness_answer_without_credentials() {
    let server = TestServer::start().await;
    let c = client();
    assert_eq!(
        c.get(server.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        c.get(server.url("/readyz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let r = c.get(server.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "not_found");
    server.stop().await;
}
