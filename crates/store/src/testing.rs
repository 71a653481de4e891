//! Throwaway test databases: a fresh SQLite file always, and a fresh PostgreSQL
//! database when `BULWARK_TEST_POSTGRES_URL` names a server (CI sets it and
//! `BULWARK_REQUIRE_POSTGRES=1`, so that a missing server fails the suite
//! instead of silently skipping).
//!
//! Every test store has a real key file (`key_file`, in the test's own
//! temporary directory) and its key-encryption key attached, as `bulwark
//! serve` has.

use sqlx::{Connection, Executor};

use crate::Store;

/// One test database; dropping it removes a SQLite file and the key file
/// (PostgreSQL test databases are left for the throwaway server).
pub struct TestDb {
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub label: &'static str,
    /// The open store, migrated.
    pub store: Store,
    /// Where it is (to reopen it).
    pub location: String,
    /// The key file whose key is attached to `store` ([`crate::Store::with_kek`]).
    pub key_file: std::path::PathBuf,
    tmp: tempfile::TempDir,
}

impl TestDb {
    /// The temporary directory of the SQLite file and the key file.
    pub fn dir(&self) -> &std::path::Path {
        self.tmp.path()
    }
}

/// Opens `location` with the key of a new key file `bulwark.key` in `dir`.
async fn open_with_key(location: &str, dir: &tempfile::TempDir) -> (Store, std::path::PathBuf) {
    let key_file = dir.path().join("bulwark.key");
    let kek = crate::Kek::create(&key_file).unwrap();
    let store = Store::open(location).await.unwrap().with_kek(kek);
    (store, key_file)
}

/// A fresh SQLite file in a temporary directory.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulwark.db");
    let location = path.to_str().unwrap().to_string();
    let (store, key_file) = open_with_key(&location, &dir).await;
    TestDb {
        label: "sqlite",
        store,
        location,
        key_file,
        tmp: dir,
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
    let dir = tempfile::tempdir().unwrap();
    let (store, key_file) = open_with_key(&location, &dir).await;
    Some(TestDb {
        label: "postgres",
        store,
        location,
        key_file,
        tmp: dir,
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
