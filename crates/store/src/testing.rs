//! Throwaway test databases: a fresh SQLite file always, and a fresh PostgreSQL
//! database when `BULWARK_TEST_POSTGRES_URL` names a server (CI sets it and
//! `BULWARK_REQUIRE_POSTGRES=1`, so that a missing server fails the suite
//! instead of silently skipping).

use sqlx::{Connection, Executor};

use crate::Store;

/// One test database; dropping it removes a SQLite file (PostgreSQL test
/// databases are left for the throwaway server).
pub struct TestDb {
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub label: &'static str,
    /// The open store, migrated.
    pub store: Store,
    /// Where it is (to reopen it).
    pub location: String,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite file in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulwark.db");
    let location = path.to_str().unwrap().to_string();
    let store = Store::open(&location).await.unwrap();
    TestDb {
        label: "sqlite",
        store,
        location,
        _dir: Some(dir),
    }
}

/// A fresh database on the server named by `BULWARK_TEST_POSTGRES_URL`.
pub async fn postgres() -> Option<TestDb> {
    let Ok(admin_url) = std::env::var("BULWARK_TEST_POSTGRES_URL").map(|u| u.trim().to_string())
    else {
        if std::env::var("BULWARK_REQUIRE_POSTGRES").as_deref() == Ok("1") {
            panic!("BULWARK_REQUIRE_POSTGRES=1 but BULWARK_TEST_POSTGRES_URL is not set");
        }
        eprintln!("note: BULWARK_TEST_POSTGRES_URL not set; PostgreSQL variant skipped");
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("bulwark_test_{}", uuid_like());
    let mut admin = sqlx::AnyConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("BULWARK_TEST_POSTGRES_URL={admin_url:?}: {e}"));
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    let location = url.to_string();
    let store = Store::open(&location).await.unwrap();
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
