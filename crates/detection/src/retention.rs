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

/// Deletes the scans recorded at or before `$1` that have no match. Its row filter is the
/// partial index `det_scans_unpurged`'s (migration 2004); a scan's matches are found
/// through `det_matches_scan` (migration 2010).
const DELETE_SCANS: &str = "DELETE FROM det_scans \
     WHERE scanned_at <= $1 AND (pdq IS NOT NULL OR content_ref IS NOT NULL) \
     AND NOT EXISTS (SELECT 1 FROM det_matches m WHERE m.scan_id = det_scans.id)";

/// Clears the hash and content reference of the scans recorded at or before `$1` that are
/// neither behind a report nor behind a match whose removed content is preserved after `$2`
/// (`review::record_removal`: TCO Art. 6(1), CSA proposal Art. 22(1)). Its row filter is
/// the partial index `det_scans_unpurged`'s (migration 2004), so it reads only the scans
/// still to purge, not every scan recorded.
const PURGE_SCANS: &str = "UPDATE det_scans SET pdq = NULL, content_ref = NULL \
     WHERE scanned_at <= $1 AND (pdq IS NOT NULL OR content_ref IS NOT NULL) \
     AND id NOT IN (SELECT m.scan_id FROM det_matches m JOIN det_reports r ON r.match_id = m.id) \
     AND id NOT IN (SELECT scan_id FROM det_matches WHERE preserve_until > $2)";

/// Deletes whatever is past its retention limit at `now`, in one audited
/// transaction (an audit record is written even when nothing was due, so
/// the schedule itself is visible).
pub async fn purge(store: &Store, actor: &Actor, now: Timestamp) -> Result<PurgeReport> {
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
    // A scan behind a report still in its retention period keeps its data
    // until the report goes; one behind removed content, until its
    // preservation ends.
    let scans_deleted = sqlx::query(DELETE_SCANS)
        .bind(scan_cut)
        .execute(tx.conn())
        .await?
        .rows_affected() as i64;
    let stripped = sqlx::query(PURGE_SCANS)
        .bind(scan_cut)
        .bind(t)
        .execute(tx.conn())
        .await?
        .rows_affected() as i64;
    let report = PurgeReport {
        reports,
        removal_orders: due.len() as i64,
        scans: scans_deleted + stripped,
        scans_deleted,
    };
    tx.commit(
        actor,
        AuditEntry::new("detection.purge", "detection:retention", "retention limits")
            .with_details(serde_json::json!(report)),
    )
    .await?;
    Ok(report)
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
            for (sql, binds) in [(PURGE_SCANS, 2), (DELETE_SCANS, 1)] {
                let plan = plan(&db.store, sql, binds).await;
                assert!(
                    plan.iter()
                        .any(|d| d.contains("det_scans") && d.contains("det_scans_unpurged")),
                    "{plan:?}"
                );
                assert!(!plan.iter().any(|d| d == "SCAN det_scans"), "{plan:?}");
                assert!(!plan.iter().any(|d| d == "SCAN det_matches"), "{plan:?}");
            }
            let plan = plan(&db.store, DELETE_SCANS, 1).await;
            assert!(
                plan.iter().any(|d| d.contains("det_matches_scan")),
                "{plan:?}"
            );
        }
    }
}
