//! Test databases on both stores (`bulwark_store::testing`) with the
//! resilience migrations applied.

#![allow(dead_code)]

pub use bulwark_store::testing::TestDb;

/// Every backend available to this run, migrated for the pillar.
pub async fn all() -> Vec<TestDb> {
    let dbs = bulwark_store::testing::all().await;
    for db in &dbs {
        bulwark_resilience::migrate(&db.store).await.unwrap();
    }
    dbs
}
