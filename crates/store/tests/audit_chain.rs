//! The audit chain on both stores: appends verify, and every kind of
//! tampering (edit, delete, insert, reorder, truncate) is detected at the
//! first broken record.

mod common;

use bulwark_store::audit::{self, AuditEntry, ChainHead, VerifyOptions};
use bulwark_store::{Actor, Store};

async fn write_n(store: &Store, n: usize) {
    for i in 0..n {
        audit::record(
            store,
            &Actor::system(),
            AuditEntry::new("test.event", format!("object:{i}"), "test"),
        )
        .await
        .unwrap();
    }
}

async fn exec(store: &Store, sql: &str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

async fn first_break(store: &Store) -> Option<i64> {
    let r = audit::verify(store, &VerifyOptions::default())
        .await
        .unwrap();
    assert_eq!(r.ok, r.first_break.is_none());
    r.first_break.map(|b| b.seq)
}

#[tokio::test]
async fn untouched_chain_verifies_on_every_store() {
    for db in common::all().await {
        write_n(&db.store, 25).await;
        let r = audit::verify(&db.store, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.ok, "{}: {:?}", db.label, r.first_break);
        assert_eq!(r.records, 25, "{}", db.label);
        assert_eq!(r.head.seq, 25);
    }
}

#[tokio::test]
async fn edited_record_is_detected() {
    for db in common::all().await {
        write_n(&db.store, 10).await;
        exec(
            &db.store,
            "UPDATE audit_log SET object = 'object:forged' WHERE seq = 4",
        )
        .await;
        assert_eq!(first_break(&db.store).await, Some(4), "{}", db.label);
    }
}

#[tokio::test]
async fn deleted_record_is_detected() {
    for db in common::all().await {
        write_n(&db.store, 10).await;
        exec(&db.store, "DELETE FROM audit_log WHERE seq = 6").await;
        assert_eq!(first_break(&db.store).await, Some(6), "{}", db.label);
    }
}

#[tokio::test]
async fn deleted_newest_records_are_detected_by_the_head() {
    for db in common::all().await {
        write_n(&db.store, 10).await;
        exec(&db.store, "DELETE FROM audit_log WHERE seq >= 9").await;
        assert_eq!(first_break(&db.store).await, Some(9), "{}", db.label);
    }
}

#[tokio::test]
async fn inserted_record_is_detected_even_with_a_valid_hash() {
    for db in common::all().await {
        write_n(&db.store, 10).await;
        // Make room at seq 5 and insert a forged record that links correctly
        // to record 4 and carries its own correct hash.
        exec(
            &db.store,
            "UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 5",
        )
        .await;
        exec(
            &db.store,
            "UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1005",
        )
        .await;
        let four = audit::page(&db.store, 3, 1).await.unwrap().remove(0);
        let mut forged = four.clone();
        forged.seq = 5;
        forged.object = "object:forged".into();
        forged.prev_hash = four.hash.clone();
        forged.hash = forged.compute_hash();
        sqlx::query(
            "INSERT INTO audit_log (seq, at_micros, actor, organisation, action, object, purpose, details, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(forged.seq)
        .bind(forged.at.unix_micros())
        .bind(&forged.actor)
        .bind(&forged.organisation)
        .bind(&forged.action)
        .bind(&forged.object)
        .bind(&forged.purpose)
        .bind(forged.details.to_string())
        .bind(&forged.prev_hash)
        .bind(&forged.hash)
        .execute(db.store.pool())
        .await
        .unwrap();
        assert_eq!(first_break(&db.store).await, Some(6), "{}", db.label);
    }
}

#[tokio::test]
async fn swapped_records_are_detected() {
    for db in common::all().await {
        write_n(&db.store, 10).await;
        exec(&db.store, "UPDATE audit_log SET seq = -1 WHERE seq = 3").await;
        exec(&db.store, "UPDATE audit_log SET seq = 3 WHERE seq = 4").await;
        exec(&db.store, "UPDATE audit_log SET seq = 4 WHERE seq = -1").await;
        assert_eq!(first_break(&db.store).await, Some(3), "{}", db.label);
    }
}

#[tokio::test]
async fn rewritten_chain_is_caught_by_an_anchor() {
    for db in common::all().await {
        write_n(&db.store, 5).await;
        let anchor = audit::head(&db.store).await.unwrap();
        // Rewrite record 5 and recompute it and the head: keyless chains
        // cannot see this, the anchor can.
        let mut rec = audit::page(&db.store, 4, 1).await.unwrap().remove(0);
        rec.object = "object:rewritten".into();
        rec.hash = rec.compute_hash();
        sqlx::query("UPDATE audit_log SET object = $1, hash = $2 WHERE seq = 5")
            .bind(&rec.object)
            .bind(&rec.hash)
            .execute(db.store.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&rec.hash)
            .execute(db.store.pool())
            .await
            .unwrap();
        assert_eq!(first_break(&db.store).await, None, "{}", db.label);
        let opts = VerifyOptions {
            anchors: vec![ChainHead {
                seq: 5,
                hash: anchor.hash,
            }],
        };
        let r = audit::verify(&db.store, &opts).await.unwrap();
        assert_eq!(r.first_break.map(|b| b.seq), Some(5), "{}", db.label);
    }
}

#[tokio::test]
async fn concurrent_writers_never_fork_the_chain() {
    for db in common::all().await {
        let mut tasks = Vec::new();
        for t in 0..8 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..10 {
                    audit::record(
                        &store,
                        &Actor::system(),
                        AuditEntry::new("test.concurrent", format!("t{t}:{i}"), "test"),
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let r = audit::verify(&db.store, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.ok, "{}: {:?}", db.label, r.first_break);
        assert_eq!(r.records, 80, "{}", db.label);
    }
}

#[tokio::test]
async fn export_writes_one_json_line_per_record() {
    for db in common::all().await {
        write_n(&db.store, 3).await;
        let mut out = Vec::new();
        let n = audit::export(&db.store, &mut out).await.unwrap();
        assert_eq!(n, 3);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2]["seq"], 3);
        assert_eq!(lines[1]["hash"], lines[2]["prev_hash"]);
    }
}

#[tokio::test]
async fn reopening_applies_no_migration_twice() {
    for db in common::all().await {
        write_n(&db.store, 2).await;
        db.store.close().await;
        let again = Store::open(&db.location).await.unwrap();
        let r = audit::verify(&again, &VerifyOptions::default())
            .await
            .unwrap();
        assert!(r.ok && r.records == 2, "{}", db.label);
    }
}
