//! Retention limits, enforced by a scheduled purge that is itself audited:
//! reports after 12 months (CSA proposal Art. 22(1); Regulation (EU)
//! 2021/1232 Art. 3(1)(h)), removed content's metadata six months after
//! removal (TCO Regulation Art. 6(1)), and the scanned hashes and content
//! references of scans 12 months after the scan (2021/1232 Art. 3(1)(h):
//! data kept no longer than strictly necessary, at most 12 months). A scan
//! without a match is then deleted altogether (the annual figures count
//! scans per day in `det_scan_counts`); one behind a match stays with it,
//! stripped to its outcome, provider and time.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::Timestamp;
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{Result, corrupt};

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurgeReport {
    /// Reports deleted.
    pub reports: i64,
    /// Removal orders whose items and reasons were erased.
    pub removal_orders: i64,
    /// Scans whose hash and content reference were erased (deleted or stripped).
    pub scans: i64,
    /// Of those, scans without a match, whose rows were deleted.
    pub scans_deleted: i64,
}

/// Months a scan's hash and content reference are kept (2021/1232 Art. 3(1)(h)).
pub const SCAN_RETENTION_MONTHS: u32 = 12;

/// Scans purged per transaction at most: a purge of many scans runs as a series of
/// short transactions, so that the scans being recorded meanwhile wait for one chunk,
/// not for all of them.
pub const PURGE_CHUNK: i64 = 5_000;

/// Deletes at most `$2` of the scans recorded at or before `$1` that have no match. Its
/// row filter is the partial index `det_scans_unpurged`'s (migration 2004); a scan's
/// matches are found through `det_matches_scan` (migration 2010).
const DELETE_SCANS: &str = "DELETE FROM det_scans WHERE id IN (SELECT s.id FROM det_scans s \
     WHERE s.scanned_at <= $1 AND (s.pdq IS NOT NULL OR s.content_ref IS NOT NULL) \
     AND NOT EXISTS (SELECT 1 FROM det_matches m WHERE m.scan_id = s.id) LIMIT $2)";

/// Clears the hash and content reference of at most `$3` of the scans with a match
/// recorded at or before `$1` that are neither behind a report nor behind a match whose
/// removed content is preserved after `$2` (`review::record_removal`: TCO Art. 6(1), CSA
/// proposal Art. 22(1)). Its row filter is the partial index `det_scans_unpurged`'s
/// (migration 2004), so it reads only the scans still to purge, not every scan recorded.
const PURGE_SCANS: &str = "UPDATE det_scans SET pdq = NULL, content_ref = NULL \
     WHERE id IN (SELECT s.id FROM det_scans s \
     WHERE s.scanned_at <= $1 AND (s.pdq IS NOT NULL OR s.content_ref IS NOT NULL) \
     AND EXISTS (SELECT 1 FROM det_matches m WHERE m.scan_id = s.id) \
     AND s.id NOT IN (SELECT m.scan_id FROM det_matches m JOIN det_reports r ON r.match_id = m.id) \
     AND s.id NOT IN (SELECT scan_id FROM det_matches WHERE preserve_until > $2) LIMIT $3)";

/// Deletes whatever is past its retention limit at `now`: reports and removal
/// orders in one audited transaction (an audit record is written even when
/// nothing was due, so the schedule itself is visible), then the scans'
/// data in audited chunks of at most [`PURGE_CHUNK`] scans.
pub async fn purge(store: &Store, actor: &Actor, now: Timestamp) -> Result<PurgeReport> {
    purge_in_chunks(store, actor, now, PURGE_CHUNK).await
}

/// [`purge`] with scans erased in transactions of at most `chunk` scans.
pub async fn purge_in_chunks(
    store: &Store,
    actor: &Actor,
    now: Timestamp,
    chunk: i64,
) -> Result<PurgeReport> {
    let chunk = chunk.max(1);
    let t = now.unix_micros();
    let mut tx = store.write().await?;
    let reports = sqlx::query("DELETE FROM det_reports WHERE retain_until <= $1")
        .bind(t)
        .execute(tx.conn())
        .await?
        .rows_affected() as i64;
    let due: Vec<(String, String)> = sqlx::query(
        "SELECT id, facts FROM det_removal_orders WHERE retain_until IS NOT NULL AND retain_until <= $1 AND purged_at IS NULL",
    )
    .bind(t)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("facts")?)))
    .collect::<Result<_>>()?;
    for (id, facts) in &due {
        // Keep the order's frame (reference, authority, times) for the
        // transparency figures; erase what identifies the content.
        let mut v: serde_json::Value =
            serde_json::from_str(facts).map_err(|e| corrupt("det_removal_orders", e))?;
        if let Some(order) = v.get_mut("order") {
            order["items"] = serde_json::json!([]);
            order["reasons"] = serde_json::json!("(purged)");
        }
        sqlx::query("UPDATE det_removal_orders SET facts = $1, purged_at = $2 WHERE id = $3")
            .bind(v.to_string())
            .bind(t)
            .bind(id)
            .execute(tx.conn())
            .await?;
    }
    let scan_cut = now
        .as_datetime()
        .checked_sub_months(chrono::Months::new(SCAN_RETENTION_MONTHS))
        .map(Timestamp::from_datetime)
        .unwrap_or(now)
        .unix_micros();
    let removal_orders = due.len() as i64;
    tx.commit(
        actor,
        AuditEntry::new("detection.purge", "detection:retention", "retention limits").with_details(
            serde_json::json!({ "reports": reports, "removal_orders": removal_orders }),
        ),
    )
    .await?;
    let (scans, scans_deleted) = purge_scans(store, actor, scan_cut, t, chunk).await?;
    Ok(PurgeReport {
        reports,
        removal_orders,
        scans,
        scans_deleted,
    })
}

/// Erases the data of the scans recorded at or before `cut` (deleting those
/// without a match, stripping the others), in transactions of at most
/// `chunk` scans each, audited as `detection.purge` with their counts.
/// A scan behind a report still in its retention period keeps its data
/// until the report goes; one behind removed content, until its
/// preservation ends (after `now`). Returns the scans erased and, of them,
/// deleted.
async fn purge_scans(
    store: &Store,
    actor: &Actor,
    cut: i64,
    now: i64,
    chunk: i64,
) -> Result<(i64, i64)> {
    let (mut erased, mut deleted) = (0, 0);
    loop {
        let mut tx = store.write().await?;
        let d = sqlx::query(DELETE_SCANS)
            .bind(cut)
            .bind(chunk)
            .execute(tx.conn())
            .await?
            .rows_affected() as i64;
        let stripped = sqlx::query(PURGE_SCANS)
            .bind(cut)
            .bind(now)
            .bind(chunk)
            .execute(tx.conn())
            .await?
            .rows_affected() as i64;
        if d + stripped == 0 {
            // Nothing (more) to do: the transaction rolls back unwritten.
            return Ok((erased, deleted));
        }
        tx.commit(
            actor,
            AuditEntry::new("detection.purge", "detection:scans", "retention limits")
                .with_details(serde_json::json!({ "scans": d + stripped, "scans_deleted": d })),
        )
        .await?;
        erased += d + stripped;
        deleted += d;
        if d < chunk && stripped < chunk {
            return Ok((erased, deleted));
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::{DELETE_SCANS, PURGE_SCANS};

    /// SQLite's plan of `sql` with `binds` zero parameters: one detail per step.
    async fn plan(store: &bulwark_store::Store, sql: &str, binds: usize) -> Vec<String> {
        let text = format!("EXPLAIN QUERY PLAN {sql}");
        let mut q = sqlx::query(&text);
        for _ in 0..binds {
            q = q.bind(0i64);
        }
        q.fetch_all(store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>("detail").unwrap())
            .collect()
    }

    /// The purge finds its scans through the partial index instead of reading the whole
    /// table inside its write transaction, and a scan's matches through their index
    /// (SQLite's plan; the indexes exist on both).
    #[tokio::test]
    async fn the_scan_purge_searches_the_unpurged_index() {
        for db in bulwark_store::testing::all().await {
            if db.label != "sqlite" {
                continue;
            }
            crate::migrate(&db.store).await.unwrap();
            for (sql, binds) in [(PURGE_SCANS, 3), (DELETE_SCANS, 2)] {
                let plan = plan(&db.store, sql, binds).await;
                assert!(
                    plan.iter()
                        .any(|d| d.contains("det_scans") && d.contains("det_scans_unpurged")),
                    "{plan:?}"
                );
                assert!(!plan.iter().any(|d| d == "SCAN det_scans"), "{plan:?}");
                assert!(!plan.iter().any(|d| d == "SCAN det_matches"), "{plan:?}");
            }
            let plan = plan(&db.store, DELETE_SCANS, 2).await;
            assert!(
                plan.iter().any(|d| d.contains("det_matches_scan")),
                "{plan:?}"
            );
        }
    }
}
