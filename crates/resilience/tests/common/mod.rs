//! Test databases (pattern of crates/store/tests/common), with the
//! resilience migrations applied: a fresh SQLite file always, and a fresh PostgreSQL
//! database when `BULWARK_TEST_POSTGRES_URL` names a server (CI sets it and
//! `BULWARK_REQUIRE_POSTGRES=1`, so that a missing server fails the suite
//! instead of silently skipping).

#![allow(dead_code)]

use bulwark_store::Store;
use sqlx::{Connection, Executor};

/// One test database; dropping the guard removes it.
pub struct TestDb {
    pub label: &'static str,
    pub store: Store,
    pub location: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulwark.db");
    let location = path.to_str().unwrap().to_string();
    let store = Store::open(&location).await.unwrap();
    bulwark_resilience::migrate(&store).await.unwrap();
    TestDb {
        label: "sqlite",
        store,
        location,
        _dir: Some(dir),
    }
}

pub async fn postgres() -> Option<TestDb> {
    let Ok(admin_url) = std::env::var("BULWARK_TEST_POSTGRES_URL") else {
        if std::env::var("BULWARK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("BULWARK_REQUIRE_POSTGRES=1 but BULWARK_TEST_POSTGRES_URL is not set");
        }
        eprintln!("note: BULWARK_TEST_POSTGRES_URL not set; PostgreSQL variant skipped");
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("bulwark_test_{}", uuid_like());
    let mut admin = sqlx::AnyConnection::connect(&admin_url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let location = url.to_string();
    let store = Store::open(&location).await.unwrap();
    bulwark_resilience::migrate(&store).await.unwrap();
    Some(TestDb {
        label: "postgres",
        store,
        location,
        _dir: None,
    })
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Every backend available to this run.
pub async fn all() -> Vec<TestDb> {
    let mut v = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        v.push(pg);
    }
    v
}
