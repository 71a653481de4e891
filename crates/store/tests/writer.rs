//! SQLite writes run on one dedicated connection (its page cache stays warm
//! across write transactions); reads stay on the pool.

use bulwark_store::{Actor, AuditEntry};

#[tokio::test]
async fn sqlite_write_transactions_share_one_connection_with_a_large_cache() {
    let db = bulwark_store::testing::sqlite().await;
    let store = &db.store;
    // A TEMP table lives in its connection only: if the next write
    // transaction sees it, both ran on the same connection.
    let mut tx = store.write().await.unwrap();
    sqlx::query("CREATE TEMP TABLE writer_probe (x INTEGER)")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit(&Actor::system(), AuditEntry::new("test.one", "x", "test"))
        .await
        .unwrap();
    // With every pooled connection held, writes still proceed: they do not
    // come from the pool.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(store.pool().acquire().await.unwrap());
    }
    for i in 0..5 {
        let begin = tokio::time::timeout(std::time::Duration::from_secs(10), store.write());
        let mut tx = begin
            .await
            .expect("a write waited for a pooled connection")
            .unwrap();
        sqlx::query("INSERT INTO writer_probe (x) VALUES ($1)")
            .bind(i)
            .execute(tx.conn())
            .await
            .unwrap_or_else(|e| panic!("write {i} ran on another connection: {e}"));
        let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        assert_eq!(cache, -32 * 1024, "writer page cache (KiB, negative)");
        tx.commit(&Actor::system(), AuditEntry::new("test.more", "x", "test"))
            .await
            .unwrap();
    }
    drop(held);
    // Pool connections (reads) do not see the writer's TEMP table.
    let seen = sqlx::query("SELECT x FROM writer_probe")
        .fetch_all(store.pool())
        .await;
    assert!(
        seen.is_err(),
        "a read connection saw the writer's temp table"
    );
}
