//! API tokens and the write-with-audit guarantee, on both stores.

mod common;

use bulwark_core::{MemberStateScope, Role, Timestamp};
use bulwark_store::audit::{self, VerifyOptions};
use bulwark_store::tokens::{self, NewToken};
use bulwark_store::{Actor, Backend, Store, StoreError};

fn request(role: Role, scope: &str) -> NewToken {
    NewToken {
        name: "ops desk".into(),
        role,
        organisation: "BSI".into(),
        scope: scope.parse().unwrap(),
        expires_at: None,
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let row: (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap();
    row.0
}

#[tokio::test]
async fn token_is_shown_once_stored_hashed_and_authenticates() {
    for db in common::all().await {
        let s = &db.store;
        let issued = tokens::create(
            s,
            &Actor::cli("test"),
            &MemberStateScope::All,
            request(Role::Analyst, "DE"),
            "test",
        )
        .await
        .unwrap();
        assert!(issued.secret.starts_with("bwk_") && issued.secret.len() == 68);
        let stored: (String,) = sqlx::query_as("SELECT secret_hash FROM api_tokens")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_ne!(stored.0, issued.secret, "{}", db.label);
        assert!(!stored.0.contains(&issued.secret[4..]));
        let p = tokens::authenticate(s, &issued.secret)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.role, Role::Analyst);
        assert!(tokens::authenticate(s, "bwk_0000").await.unwrap().is_none());
        tokens::revoke(s, &Actor::cli("test"), issued.token.id, "test")
            .await
            .unwrap();
        assert!(
            tokens::authenticate(s, &issued.secret)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.label
        );
        let audit = audit::recent(s, 10).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, ["token.revoke", "token.create"]);
        let text = serde_json::to_string(&audit).unwrap();
        assert!(
            !text.contains(&issued.secret),
            "secret leaked into the audit log"
        );
    }
}

#[tokio::test]
async fn bad_token_requests_name_the_field_and_write_nothing() {
    for db in common::all().await {
        let s = &db.store;
        let mut r = request(Role::Admin, "*");
        r.name = "  ".into();
        match tokens::create(s, &Actor::system(), &MemberStateScope::All, r, "t").await {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "name"),
            other => panic!("{other:?}"),
        }
        let r = request(Role::Admin, "*");
        let de: MemberStateScope = "DE".parse().unwrap();
        match tokens::create(s, &Actor::system(), &de, r, "t").await {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "scope"),
            other => panic!("{other:?}"),
        }
        let mut r = request(Role::Admin, "*");
        r.expires_at = Some(Timestamp::from_unix_micros(0).unwrap());
        assert!(
            tokens::create(s, &Actor::system(), &MemberStateScope::All, r, "t")
                .await
                .is_err()
        );
        assert_eq!(count(s, "api_tokens").await, 0, "{}", db.label);
        assert_eq!(count(s, "audit_log").await, 0, "{}", db.label);
    }
}

#[tokio::test]
async fn a_write_whose_audit_insert_fails_leaves_nothing_behind() {
    for db in common::all().await {
        let s = &db.store;
        match s.backend() {
            Backend::Sqlite => {
                sqlx::query(
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit store refuses'); END",
                )
                .execute(s.pool())
                .await
                .unwrap();
            }
            Backend::Postgres => {
                sqlx::query(
                    "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit store refuses'; END $$ LANGUAGE plpgsql",
                )
                .execute(s.pool())
                .await
                .unwrap();
                sqlx::query(
                    "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
                )
                .execute(s.pool())
                .await
                .unwrap();
            }
        }
        let result = tokens::create(
            s,
            &Actor::system(),
            &MemberStateScope::All,
            request(Role::Admin, "*"),
            "t",
        )
        .await;
        assert!(result.is_err(), "{}", db.label);
        assert_eq!(
            count(s, "api_tokens").await,
            0,
            "{}: token row survived a failed audit",
            db.label
        );
        assert_eq!(count(s, "audit_log").await, 0);
        let head = audit::head(s).await.unwrap();
        assert_eq!(head.seq, 0, "{}: head moved", db.label);
        assert!(
            audit::verify(s, &VerifyOptions::default())
                .await
                .unwrap()
                .ok
        );
    }
}

#[tokio::test]
async fn expired_tokens_do_not_authenticate() {
    for db in common::all().await {
        let s = &db.store;
        let mut r = request(Role::Auditor, "*");
        r.expires_at = Some(Timestamp::now().plus(chrono::TimeDelta::milliseconds(300)));
        let issued = tokens::create(s, &Actor::system(), &MemberStateScope::All, r, "t")
            .await
            .unwrap();
        assert!(
            tokens::authenticate(s, &issued.secret)
                .await
                .unwrap()
                .is_some()
        );
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        assert!(
            tokens::authenticate(s, &issued.secret)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.label
        );
    }
}

/// A token revoked by another process (here: a second handle on the same
/// database, with its own cache) is refused once the cache's trust period
/// has passed; one revoked through the same handle is refused at once.
#[tokio::test]
async fn revocation_by_another_process_is_seen_within_the_cache_period() {
    for db in common::all().await {
        let server = &db.store;
        let other = Store::open(&db.location).await.unwrap();
        let issued = tokens::create(
            server,
            &Actor::cli("test"),
            &MemberStateScope::All,
            request(Role::Analyst, "DE"),
            "test",
        )
        .await
        .unwrap();
        // Cached by the first handle.
        assert!(
            tokens::authenticate(server, &issued.secret)
                .await
                .unwrap()
                .is_some()
        );
        tokens::revoke(&other, &Actor::cli("test"), issued.token.id, "test")
            .await
            .unwrap();
        // The revoking handle refuses at once.
        assert!(
            tokens::authenticate(&other, &issued.secret)
                .await
                .unwrap()
                .is_none()
        );
        tokio::time::sleep(
            bulwark_store::token_cache::TOKEN_CACHE_TTL + std::time::Duration::from_millis(50),
        )
        .await;
        assert!(
            tokens::authenticate(server, &issued.secret)
                .await
                .unwrap()
                .is_none(),
            "{}: revoked elsewhere, still accepted after the cache period",
            db.label
        );
    }
}
