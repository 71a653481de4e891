//! Quarantine on flood: an indicator that suddenly matches far more than it
//! should is taken out of matching until a person looks at it (spec
//! detection.md 6.5 item 7; a colliding or overly generic hash would
//! otherwise fill the review queue and the reports with false positives).
//!
//! The numbers are policy, not law: [`FloodPolicy::default`] is a starting
//! point a deployment tunes to its traffic.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::Timestamp;
use bulwark_store::{Actor, Store};

use crate::error::Result;
use crate::matcher::Matcher;
use crate::vocab::IndicatorStatus;

/// When an indicator counts as flooding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FloodPolicy {
    /// The window looked back over.
    pub window_minutes: i64,
    /// More matches than this within the window quarantine the indicator.
    pub max_matches: i64,
}

impl Default for FloodPolicy {
    fn default() -> Self {
        FloodPolicy {
            window_minutes: 60,
            max_matches: 1000,
        }
    }
}

/// One indicator quarantined by [`quarantine_floods`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Flooded {
    /// Index id.
    pub seq: i64,
    /// Matches within the window.
    pub matches: i64,
}

/// Quarantines every active indicator with more than `policy.max_matches`
/// matches in the `policy.window_minutes` before `now` (each change is an
/// audited status change with the numbers as its reason) and takes it out of
/// the live `matcher`.
pub async fn quarantine_floods(
    store: &Store,
    matcher: &Matcher,
    actor: &Actor,
    policy: FloodPolicy,
    now: Timestamp,
) -> Result<Vec<Flooded>> {
    let since = now.plus(TimeDelta::minutes(-policy.window_minutes.max(1)));
    let rows = sqlx::query(
        "SELECT m.seq AS seq, COUNT(*) AS n FROM det_matches m JOIN det_indicators i ON i.seq = m.seq \
         WHERE m.created_at >= $1 AND i.status = 'active' GROUP BY m.seq HAVING COUNT(*) > $2 ORDER BY m.seq",
    )
    .bind(since.unix_micros())
    .bind(policy.max_matches)
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let seq: i64 = r.try_get("seq")?;
        let n: i64 = r.try_get("n")?;
        let reason = format!(
            "flood: {n} matches in {} minutes (limit {})",
            policy.window_minutes, policy.max_matches
        );
        crate::lists::set_status(
            store,
            actor,
            seq,
            IndicatorStatus::Quarantined,
            &reason,
            None,
            now,
            "flood guard",
        )
        .await?;
        out.push(Flooded { seq, matches: n });
    }
    // The quarantines are committed; if the matcher cannot catch up now, the server's
    // schedule applies them within a second.
    if !out.is_empty()
        && let Err(e) = matcher.catch_up(store).await
    {
        tracing::warn!(error = %e, "matcher catch-up after flood quarantine failed; left to the schedule");
    }
    Ok(out)
}
