//! Human review: every match waits in a queue until a reviewer confirms or
//! rejects it with a reason (spec detection.md 6.5 item 6; Regulation (EU)
//! 2021/1232 Art. 3(1)(g)(iv) requires human confirmation before a report).
//! The reviewer sees the hash, distance, list, the indicator's history and
//! metadata, never the image: Bulwark does not have it.
//!
//! A rejection puts the scanned hash on the provider's negative list and
//! counts as a false positive in [`error_rates`] (CSA proposal Art.
//! 83(1)(a); 2021/1232 Art. 3(1)(g)(vii)).

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Id, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{DetectionError, Result, corrupt};
use crate::lists::IndicatorView;
use crate::matcher::Matcher;
use crate::reinstatement::{self, Reinstatement};
use crate::scan::MatchId;
use crate::vocab::{BasisKind, ContentAction, Decision, MatchState, RemovalRegime};

/// The default radius of a negative-list entry made by a rejection: the same
/// content re-uploaded or recompressed stays within a few bits
/// (spec detection.md 1.11).
pub const DEFAULT_NEGATIVE_RADIUS: u32 = 8;

/// A match as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchView {
    /// Id.
    pub id: MatchId,
    /// The scan.
    pub scan_id: String,
    /// The basis scanned under.
    pub basis_id: String,
    /// The provider.
    pub provider: String,
    /// The provider's reference for the content.
    pub content_ref: Option<String>,
    /// The scanned hash.
    pub scanned_hash: Option<String>,
    /// Its quality.
    pub quality: Option<i64>,
    /// The indicator's index id.
    pub indicator_seq: i64,
    /// The list.
    pub list_id: String,
    /// The list version applied.
    pub list_version: i64,
    /// Hamming distance.
    pub distance: i64,
    /// The variant that matched.
    pub variant: String,
    /// Review state.
    pub state: MatchState,
    /// When it matched.
    pub created_at: Timestamp,
    /// When it was reviewed.
    pub reviewed_at: Option<Timestamp>,
    /// Who reviewed it.
    pub reviewer: Option<String>,
    /// The reviewer's reason.
    pub reason: Option<String>,
    /// What the provider did with the content after confirmation, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removal: Option<ContentRemoval>,
}

/// A provider's removal of (or disabling of access to) content whose match a
/// reviewer confirmed, and how long the match and its scan's data are
/// preserved after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContentRemoval {
    /// Removed or disabled.
    pub action: ContentAction,
    /// When.
    pub at: Timestamp,
    /// Until when the match, its scan's hash and the content reference are
    /// kept (the retention purge leaves them until then): six months from
    /// the removal under the TCO Regulation (Art. 6(1)); 12 months from the
    /// report or the removal, whichever came first, under the CSA proposal
    /// (Art. 22(1)); later if extended.
    pub preserve_until: Timestamp,
    /// The latest extension of the period, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended: Option<PreservationRequest>,
    /// The content was put back online, and why ([`crate::reinstatement`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reinstated: Option<Reinstatement>,
}

/// A competent authority's or court's request to preserve removed content
/// for longer, for ongoing administrative or judicial review proceedings
/// (TCO Regulation Art. 6(2); CSA proposal Art. 22(2)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreservationRequest {
    /// The new end of the period: later than the current one, in the future.
    pub until: Timestamp,
    /// The authority or court that asked.
    pub requested_by: String,
    /// Its reference (case or request number).
    pub reference: String,
}

/// A match with the indicator behind it, for the review page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchDetail {
    /// The match.
    #[serde(flatten)]
    pub matched: MatchView,
    /// The indicator, with its status history.
    pub indicator: IndicatorView,
}

/// A match with its scan's hash and reference and its reinstatement, if any.
static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT m.id, m.scan_id, m.basis_id, m.provider, s.content_ref, s.pdq, m.quality, m.seq, m.list_id, \
         m.list_version, m.distance, m.variant, m.state, m.created_at, m.reviewed_at, m.reviewer, m.reason, \
         m.removed_at, m.removal_action, m.preserve_until, m.preservation_requested_by, \
         m.preservation_reference, {} \
         FROM det_matches m JOIN det_scans s ON s.id = m.scan_id {}",
        reinstatement::COLUMNS,
        reinstatement::JOIN_MATCH
    )
});

fn ts(v: i64, w: &'static str) -> Result<Timestamp> {
    Timestamp::from_unix_micros(v).ok_or_else(|| corrupt(w, "time out of range"))
}

fn row_to_view(r: &sqlx::any::AnyRow) -> Result<MatchView> {
    let w = "det_matches";
    let id: String = r.try_get("id")?;
    let state: String = r.try_get("state")?;
    let created: i64 = r.try_get("created_at")?;
    let reviewed: Option<i64> = r.try_get("reviewed_at")?;
    let removed: Option<i64> = r.try_get("removed_at")?;
    let action: Option<String> = r.try_get("removal_action")?;
    let preserve: Option<i64> = r.try_get("preserve_until")?;
    let requested_by: Option<String> = r.try_get("preservation_requested_by")?;
    let reference: Option<String> = r.try_get("preservation_reference")?;
    let removal = match (removed, action, preserve) {
        (Some(at), Some(action), Some(until)) => Some(ContentRemoval {
            action: action.parse().map_err(|e| corrupt(w, e))?,
            at: ts(at, w)?,
            preserve_until: ts(until, w)?,
            extended: match (requested_by, reference) {
                (Some(requested_by), Some(reference)) => Some(PreservationRequest {
                    until: ts(until, w)?,
                    requested_by,
                    reference,
                }),
                _ => None,
            },
            reinstated: reinstatement::from_row(r)?,
        }),
        (None, None, None) => None,
        _ => {
            return Err(corrupt(
                w,
                "a removal without its time, action or preservation",
            ));
        }
    };
    Ok(MatchView {
        id: id.parse().map_err(|e| corrupt(w, e))?,
        scan_id: r.try_get("scan_id")?,
        basis_id: r.try_get("basis_id")?,
        provider: r.try_get("provider")?,
        content_ref: r.try_get("content_ref")?,
        scanned_hash: r.try_get("pdq")?,
        quality: r.try_get("quality")?,
        indicator_seq: r.try_get("seq")?,
        list_id: r.try_get("list_id")?,
        list_version: r.try_get("list_version")?,
        distance: r.try_get("distance")?,
        variant: r.try_get("variant")?,
        state: state.parse().map_err(|e| corrupt(w, e))?,
        created_at: ts(created, w)?,
        reviewed_at: reviewed.map(|v| ts(v, w)).transpose()?,
        reviewer: r.try_get("reviewer")?,
        reason: r.try_get("reason")?,
        removal,
    })
}

/// The matches in `state` (all states when `None`), oldest first; only
/// `provider`'s when given.
pub async fn matches(
    store: &Store,
    state: Option<MatchState>,
    provider: Option<&str>,
    limit: i64,
) -> Result<Vec<MatchView>> {
    let sql = format!(
        "{} WHERE ($1 = '' OR m.state = $1) AND ($2 = '' OR m.provider = $2) ORDER BY m.id LIMIT $3",
        *SELECT
    );
    let rows = sqlx::query(&sql)
        .bind(state.map(|s| s.as_str()).unwrap_or(""))
        .bind(provider.unwrap_or(""))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(row_to_view).collect()
}

/// The review queue: matches pending review, oldest first.
pub async fn queue(store: &Store, provider: Option<&str>) -> Result<Vec<MatchView>> {
    matches(store, Some(MatchState::PendingReview), provider, 1000).await
}

/// One match with its indicator; `provider`, when given, must own it.
pub async fn get(store: &Store, id: MatchId, provider: Option<&str>) -> Result<MatchDetail> {
    let sql = format!("{} WHERE m.id = $1", *SELECT);
    let not_found = || DetectionError::NotFound {
        kind: "match",
        key: id.to_string(),
    };
    let r = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(not_found)?;
    let matched = row_to_view(&r)?;
    if provider.is_some_and(|p| p != matched.provider) {
        return Err(not_found());
    }
    let indicator =
        crate::lists::indicator_for(store, matched.indicator_seq, Some(&matched.provider)).await?;
    Ok(MatchDetail { matched, indicator })
}

/// A reviewer's decision on a match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    /// Confirm or reject.
    pub decision: Decision,
    /// Why (required).
    pub reason: String,
    /// For a rejection: how close later hashes must be to this one to be
    /// treated as the same false positive (default 8).
    #[serde(default)]
    pub negative_radius: Option<u32>,
}

/// Records a reviewer's decision. A match is decided once. A rejection adds
/// the scanned hash to the provider's negative list (in the store and the
/// live matcher).
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    store: &Store,
    matcher: &Matcher,
    actor: &Actor,
    id: MatchId,
    decision: &ReviewDecision,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<MatchDetail> {
    if decision.reason.trim().is_empty() {
        return Err(DetectionError::invalid(
            "reason",
            "a reviewer gives a reason",
        ));
    }
    let radius = decision.negative_radius.unwrap_or(DEFAULT_NEGATIVE_RADIUS);
    if radius > 31 {
        return Err(DetectionError::invalid(
            "negative_radius",
            "at most 31 (the match threshold)",
        ));
    }
    let current = get(store, id, provider).await?;
    if current.matched.state != MatchState::PendingReview {
        return Err(DetectionError::Conflict(format!(
            "match {id} was already {}",
            current.matched.state
        )));
    }
    let state = match decision.decision {
        Decision::Confirm => MatchState::Confirmed,
        Decision::Reject => MatchState::Rejected,
    };
    let mut negative_listed = false;
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE det_matches SET state = $1, reviewed_at = $2, reviewer = $3, reason = $4 WHERE id = $5",
    )
    .bind(state.as_str())
    .bind(now.unix_micros())
    .bind(&actor.id)
    .bind(&decision.reason)
    .bind(id.to_string())
    .execute(tx.conn())
    .await?;
    if state == MatchState::Rejected
        && let Some(hash) = &current.matched.scanned_hash
    {
        // A stored scan hash that does not parse is corruption, not a negative entry.
        bulwark_hamming::Hash256::from_hex(hash).map_err(|e| corrupt("det_scans", e))?;
        let change_id = crate::sync::next_change_id(tx.conn()).await?;
        sqlx::query(
            "INSERT INTO det_negative (id, provider, pdq, radius, reason, match_id, created_at, change_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(Id::<()>::new().to_string())
        .bind(&current.matched.provider)
        .bind(hash)
        .bind(i64::from(radius))
        .bind(&decision.reason)
        .bind(id.to_string())
        .bind(now.unix_micros())
        .bind(change_id)
        .execute(tx.conn())
        .await?;
        negative_listed = true;
    }
    tx.commit(
        actor,
        AuditEntry::new(
            format!("detection.review.{}", decision.decision),
            format!("match:{id}"),
            purpose,
        )
        .with_details(serde_json::json!({
            "list_id": current.matched.list_id,
            "indicator_seq": current.matched.indicator_seq,
            "distance": current.matched.distance,
            "negative_listed": negative_listed,
        })),
    )
    .await?;
    // The decision is committed; if the matcher cannot catch up now, the server's
    // schedule applies the negative entry within a second, so this does not fail.
    if negative_listed && let Err(e) = matcher.catch_up(store).await {
        tracing::warn!(error = %e, "matcher catch-up after a review decision failed; left to the schedule");
    }
    get(store, id, provider).await
}

/// A provider's record that it removed, or disabled access to, the content
/// of a confirmed match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovalRecord {
    /// Removed or disabled.
    pub action: ContentAction,
    /// When (default: now); not before the confirmation, not in the future.
    #[serde(default)]
    pub at: Option<Timestamp>,
}

/// The kind of the basis `basis_id` (a match's, say).
pub(crate) async fn basis_kind(store: &Store, basis_id: &str) -> Result<BasisKind> {
    let kind: String = sqlx::query("SELECT kind FROM det_bases WHERE id = $1")
        .bind(basis_id)
        .fetch_one(store.pool())
        .await?
        .try_get("kind")?;
    kind.parse().map_err(|e| corrupt("det_bases", e))
}

/// The regime whose preservation rule applies to content removed after a
/// match under a basis of `kind`: a specific measure is the TCO
/// Regulation's (Art. 5), detection orders and voluntary detection the CSA
/// regime's.
pub fn removal_regime(kind: BasisKind) -> RemovalRegime {
    match kind {
        BasisKind::SpecificMeasure => RemovalRegime::Tco,
        BasisKind::Order | BasisKind::Voluntary => RemovalRegime::Csa,
    }
}

/// Records that the provider removed, or disabled access to, the content of
/// a match a reviewer confirmed, in one audited transaction
/// (`detection.match.removal`). From then on the match, its scan's hash and
/// the content reference are preserved for the regime's period
/// ([`removal_regime`]): six months from the removal (TCO Regulation Art.
/// 6(1)), or 12 months from the report or the removal, whichever came first
/// (CSA proposal Art. 22(1)); the retention purge leaves them until then.
/// The content itself stays in the provider's evidence store: Bulwark holds
/// the reference and the clock.
/// The removal counts in the year's transparency figures per kind of basis
/// (TCO Art. 7(3)(c)).
///
/// - Only a confirmed match: human verification comes first (TCO Art. 5(3);
///   CSA proposal Art. 10(4)(c)). A pending or rejected match is a conflict.
/// - Once per match (a conflict after that).
/// - `at` may not precede the confirmation nor lie in the future.
#[allow(clippy::too_many_arguments)]
pub async fn record_removal(
    store: &Store,
    actor: &Actor,
    id: MatchId,
    record: &RemovalRecord,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<MatchDetail> {
    let current = get(store, id, provider).await?;
    let m = &current.matched;
    match (m.state, &m.removal) {
        (MatchState::Confirmed, None) => {}
        (MatchState::Confirmed, Some(r)) => {
            return Err(DetectionError::Conflict(format!(
                "the content of match {id} was already recorded as {} at {}",
                r.action,
                r.at.to_rfc3339()
            )));
        }
        (state, _) => {
            return Err(DetectionError::Conflict(format!(
                "match {id} is {state}: content is removed after a reviewer confirmed the match \
                 (human verification, TCO Regulation Art. 5(3); CSA proposal Art. 10(4)(c))"
            )));
        }
    }
    let at = record.at.unwrap_or(now);
    if at > now {
        return Err(DetectionError::invalid("at", "must not be in the future"));
    }
    if m.reviewed_at.is_some_and(|confirmed| at < confirmed) {
        return Err(DetectionError::invalid(
            "at",
            "must not precede the reviewer's confirmation",
        ));
    }
    let kind = basis_kind(store, &m.basis_id).await?;
    let regime = removal_regime(kind);
    // CSA proposal Art. 22(1): from the report or the removal, whichever
    // came first; TCO Art. 6(1): from the removal.
    let reported: Option<i64> = match regime {
        RemovalRegime::Tco => None,
        RemovalRegime::Csa => sqlx::query("SELECT created_at FROM det_reports WHERE match_id = $1")
            .bind(id.to_string())
            .fetch_optional(store.pool())
            .await?
            .map(|r| r.try_get("created_at"))
            .transpose()?,
    };
    let anchor = match reported.map(|t| ts(t, "det_reports")).transpose()? {
        Some(report) if report < at => report,
        _ => at,
    };
    let until = anchor
        .as_datetime()
        .checked_add_months(chrono::Months::new(regime.preservation_months()))
        .map(Timestamp::from_datetime)
        .ok_or_else(|| DetectionError::invalid("at", "out of range"))?;
    let mut tx = store.write().await?;
    let done = sqlx::query(
        "UPDATE det_matches SET removed_at = $1, removal_action = $2, preserve_until = $3 \
         WHERE id = $4 AND state = 'confirmed' AND removed_at IS NULL",
    )
    .bind(at.unix_micros())
    .bind(record.action.as_str())
    .bind(until.unix_micros())
    .bind(id.to_string())
    .execute(tx.conn())
    .await?;
    if done.rows_affected() != 1 {
        // Another writer recorded it first; nothing written here.
        return Err(DetectionError::Conflict(format!(
            "the content of match {id} was already recorded as removed"
        )));
    }
    tx.commit(
        actor,
        AuditEntry::new("detection.match.removal", format!("match:{id}"), purpose).with_details(
            serde_json::json!({
                "action": record.action,
                "basis_kind": kind,
                "regime": regime,
                "preserve_until": until.to_rfc3339(),
            }),
        ),
    )
    .await?;
    get(store, id, provider).await
}

/// Extends the preservation of a match whose content was removed, at the
/// request of a competent authority or court for ongoing review proceedings
/// (TCO Regulation Art. 6(2); CSA proposal Art. 22(2)), in one audited
/// transaction (`detection.match.preservation`, with the previous end). The
/// retention purge then keeps the scan's data until the new end.
///
/// - Only a match with a recorded removal (a conflict otherwise).
/// - `until` must lie in the future and after the current end: an
///   extension only lengthens the period.
/// - `requested_by` and `reference` are required.
#[allow(clippy::too_many_arguments)]
pub async fn extend_preservation(
    store: &Store,
    actor: &Actor,
    id: MatchId,
    request: &PreservationRequest,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<MatchDetail> {
    for (field, value) in [
        ("requested_by", &request.requested_by),
        ("reference", &request.reference),
    ] {
        if value.trim().is_empty() {
            return Err(DetectionError::invalid(
                field,
                "required: who asked for the extension, and their reference",
            ));
        }
    }
    let current = get(store, id, provider).await?;
    let Some(removal) = &current.matched.removal else {
        return Err(DetectionError::Conflict(format!(
            "match {id} has no removal recorded: only removed content is preserved"
        )));
    };
    if request.until <= now || request.until <= removal.preserve_until {
        return Err(DetectionError::invalid(
            "until",
            format!(
                "must be in the future and after the current end of the preservation, {}",
                removal.preserve_until.to_rfc3339()
            ),
        ));
    }
    let mut tx = store.write().await?;
    let done = sqlx::query(
        "UPDATE det_matches SET preserve_until = $1, preservation_requested_by = $2, \
         preservation_reference = $3 WHERE id = $4 AND preserve_until = $5",
    )
    .bind(request.until.unix_micros())
    .bind(request.requested_by.trim())
    .bind(request.reference.trim())
    .bind(id.to_string())
    .bind(removal.preserve_until.unix_micros())
    .execute(tx.conn())
    .await?;
    if done.rows_affected() != 1 {
        return Err(DetectionError::Conflict(format!(
            "the preservation of match {id} changed meanwhile; read it again"
        )));
    }
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.match.preservation",
            format!("match:{id}"),
            purpose,
        )
        .with_details(serde_json::json!({
            "until": request.until.to_rfc3339(),
            "previous_until": removal.preserve_until.to_rfc3339(),
            "requested_by": request.requested_by.trim(),
            "reference": request.reference.trim(),
        })),
    )
    .await?;
    get(store, id, provider).await
}

/// Error figures of one list, indicator or basis, from human review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorRate {
    /// `list`, `indicator` or `basis`.
    pub scope: String,
    /// The list id, indicator index id or basis id.
    pub key: String,
    /// Matches.
    pub matches: i64,
    /// Confirmed by a reviewer.
    pub confirmed: i64,
    /// Rejected by a reviewer: false positives.
    pub rejected: i64,
    /// Not yet reviewed.
    pub pending: i64,
    /// rejected / (confirmed + rejected); absent before any review.
    pub false_positive_share: Option<f64>,
}

/// Error figures per list, per indicator and per basis (only `provider`'s
/// matches when given).
pub async fn error_rates(store: &Store, provider: Option<&str>) -> Result<Vec<ErrorRate>> {
    let mut out = Vec::new();
    for (scope, col) in [
        ("list", "list_id"),
        ("indicator", "seq"),
        ("basis", "basis_id"),
    ] {
        let sql = format!(
            "SELECT CAST({col} AS TEXT) AS k, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN state = 'confirmed' THEN 1 ELSE 0 END) AS BIGINT) AS c, \
             CAST(SUM(CASE WHEN state = 'rejected' THEN 1 ELSE 0 END) AS BIGINT) AS r \
             FROM det_matches WHERE ($1 = '' OR provider = $1) GROUP BY {col} ORDER BY k"
        );
        for row in sqlx::query(&sql)
            .bind(provider.unwrap_or(""))
            .fetch_all(store.pool())
            .await?
        {
            let n: i64 = row.try_get("n")?;
            let c: i64 = row.try_get("c")?;
            let r: i64 = row.try_get("r")?;
            out.push(ErrorRate {
                scope: scope.into(),
                key: row.try_get("k")?,
                matches: n,
                confirmed: c,
                rejected: r,
                pending: n - c - r,
                false_positive_share: (c + r > 0).then(|| r as f64 / (c + r) as f64),
            });
        }
    }
    Ok(out)
}
