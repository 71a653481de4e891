//! Transparency figures a provider publishes, per calendar year, with no
//! personal data: CSA proposal Art. 83(1) (due 31 January), TCO Regulation
//! Art. 7(3) (due before 1 March) and the voluntary-detection annual report
//! of Regulation (EU) 2021/1232 Art. 3(1)(g)(vii) (due 31 January).

use chrono::{NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::Timestamp;
use bulwark_store::Store;

use crate::error::{DetectionError, Result, corrupt};
use crate::vocab::BasisKind;

/// One year's figures for one provider (or all, for an authority).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figures {
    /// The calendar year.
    pub year: i32,
    /// The provider (absent: every provider).
    pub provider: Option<String>,
    /// Items scanned.
    pub scans: i64,
    /// Scans skipped as low quality (reported, not hidden: spec detection.md 6.5 item 1).
    pub low_quality: i64,
    /// Matches.
    pub matches: i64,
    /// Matches confirmed by review.
    pub confirmed: i64,
    /// Matches rejected by review (false positives; CSA Art. 83(1)(a), 2021/1232 Art. 3(1)(g)(vii)).
    pub rejected: i64,
    /// Matches awaiting review.
    pub pending: i64,
    /// rejected / (confirmed + rejected).
    pub false_positive_share: Option<f64>,
    /// Reports made.
    pub reports: i64,
    /// Removal orders received (TCO Art. 7(3)(c)).
    pub removal_orders: i64,
    /// ... executed.
    pub removal_executed: i64,
    /// ... executed within the deadline.
    pub removal_in_time: i64,
    /// ... not executed, with the provider's grounds (TCO Art. 3(7)-(8)).
    pub removal_not_executed: i64,
    /// Complaints received (TCO Art. 7(3)(d); CSA Art. 83(1)(c)).
    pub complaints: i64,
    /// ... decided.
    pub complaints_decided: i64,
    /// ... decided `reversed` (the provider withdrew its decision).
    pub complaints_reversed: i64,
    /// Items of content reinstated in the year after the provider reversed
    /// its decision on a complaint (TCO Art. 7(3)(g)), counted by the time
    /// of reinstatement ([`crate::reinstatement`]).
    pub reinstated_after_complaint: i64,
    /// Items of content reinstated in the year because scrutiny of a
    /// cross-border removal order (TCO Art. 4(7)) or administrative or
    /// judicial review proceedings (Art. 9) required it (TCO Art. 7(3)(f)).
    pub reinstated_after_review: i64,
    /// Matches per kind of legal basis, since each regime publishes its
    /// own: detection orders (CSA proposal Art. 83(1)), voluntary detection
    /// (Regulation (EU) 2021/1232 Art. 3(1)(g)(vii)) and specific measures
    /// against terrorist content (TCO Regulation Art. 7(3)(a)-(c)). Kinds
    /// without matches or removals in the year are left out.
    pub by_basis_kind: Vec<KindFigures>,
    /// Where each figure is required.
    pub articles: Vec<String>,
}

/// One kind of legal basis's matches in a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindFigures {
    /// The kind of basis the matches were found under.
    pub kind: BasisKind,
    /// Matches.
    pub matches: i64,
    /// ... confirmed by review.
    pub confirmed: i64,
    /// ... rejected by review (false positives).
    pub rejected: i64,
    /// Items whose content the provider removed or disabled in the year
    /// after a confirmed match under this kind of basis (TCO Art. 7(3)(c)
    /// for specific measures), counted by the time of removal.
    pub removed: i64,
}

/// Matches per kind of basis in `[a, b)` for `provider` (`""`: every provider).
async fn by_basis_kind(store: &Store, provider: &str, a: i64, b: i64) -> Result<Vec<KindFigures>> {
    let rows = sqlx::query(
        "SELECT b.kind AS kind, COUNT(*) AS matches, \
                SUM(CASE WHEN m.state = 'confirmed' THEN 1 ELSE 0 END) AS confirmed, \
                SUM(CASE WHEN m.state = 'rejected' THEN 1 ELSE 0 END) AS rejected \
         FROM det_matches m JOIN det_bases b ON b.id = m.basis_id \
         WHERE ($1 = '' OR m.provider = $1) AND m.created_at >= $2 AND m.created_at < $3 \
         GROUP BY b.kind ORDER BY b.kind",
    )
    .bind(provider)
    .bind(a)
    .bind(b)
    .fetch_all(store.pool())
    .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(KindFigures {
                kind: kind.parse().map_err(|e| corrupt("det_bases", e))?,
                matches: r.try_get("matches")?,
                confirmed: r.try_get("confirmed")?,
                rejected: r.try_get("rejected")?,
                removed: 0,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Removals count in the year they happened, which may not be the year
    // of the match.
    let removed = sqlx::query(
        "SELECT b.kind AS kind, COUNT(*) AS removed \
         FROM det_matches m JOIN det_bases b ON b.id = m.basis_id \
         WHERE ($1 = '' OR m.provider = $1) AND m.removed_at >= $2 AND m.removed_at < $3 \
         GROUP BY b.kind",
    )
    .bind(provider)
    .bind(a)
    .bind(b)
    .fetch_all(store.pool())
    .await?;
    for r in &removed {
        let kind: String = r.try_get("kind")?;
        let kind: BasisKind = kind.parse().map_err(|e| corrupt("det_bases", e))?;
        let n: i64 = r.try_get("removed")?;
        match out.iter_mut().find(|k| k.kind == kind) {
            Some(k) => k.removed = n,
            None => out.push(KindFigures {
                kind,
                matches: 0,
                confirmed: 0,
                rejected: 0,
                removed: n,
            }),
        }
    }
    out.sort_by_key(|k| k.kind.as_str());
    Ok(out)
}

fn year_bounds(year: i32) -> Result<(i64, i64)> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| DetectionError::invalid("year", "not a valid year"))?;
    let end = NaiveDate::from_ymd_opt(year + 1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or_else(|| DetectionError::invalid("year", "not a valid year"))?;
    Ok((
        Timestamp::from_datetime(Utc.from_utc_datetime(&start)).unix_micros(),
        Timestamp::from_datetime(Utc.from_utc_datetime(&end)).unix_micros(),
    ))
}

async fn count(store: &Store, sql: &str, provider: &str, a: i64, b: i64) -> Result<i64> {
    let r = sqlx::query(sql)
        .bind(provider)
        .bind(a)
        .bind(b)
        .fetch_one(store.pool())
        .await?;
    Ok(r.try_get::<i64, _>(0)?)
}

/// The figures of `year` for `provider` (every provider when `None`).
pub async fn figures(store: &Store, provider: Option<&str>, year: i32) -> Result<Figures> {
    if !(2000..=9998).contains(&year) {
        return Err(DetectionError::invalid("year", "2000-9998"));
    }
    let (a, b) = year_bounds(year)?;
    let p = provider.unwrap_or("");
    let q = |table: &str, time: &str, extra: &str| {
        format!(
            "SELECT COUNT(*) FROM {table} WHERE ($1 = '' OR provider = $1) AND {time} >= $2 AND {time} < $3 {extra}"
        )
    };
    // Years start at UTC midnight, so they are whole days of the counters.
    let day = crate::scan::MICROS_PER_DAY;
    let counted = sqlx::query(
        "SELECT CAST(COALESCE(SUM(scans), 0) AS BIGINT) AS scans, \
                CAST(COALESCE(SUM(low_quality), 0) AS BIGINT) AS low_quality \
         FROM det_scan_counts WHERE ($1 = '' OR provider = $1) AND day >= $2 AND day < $3",
    )
    .bind(p)
    .bind(a.div_euclid(day))
    .bind(b.div_euclid(day))
    .fetch_one(store.pool())
    .await?;
    let scans: i64 = counted.try_get("scans")?;
    let low_quality: i64 = counted.try_get("low_quality")?;
    let matches = count(store, &q("det_matches", "created_at", ""), p, a, b).await?;
    let confirmed = count(
        store,
        &q("det_matches", "created_at", "AND state = 'confirmed'"),
        p,
        a,
        b,
    )
    .await?;
    let rejected = count(
        store,
        &q("det_matches", "created_at", "AND state = 'rejected'"),
        p,
        a,
        b,
    )
    .await?;
    let reports = count(store, &q("det_reports", "created_at", ""), p, a, b).await?;
    let removal_orders = count(store, &q("det_removal_orders", "received_at", ""), p, a, b).await?;
    let removal_executed = count(
        store,
        &q(
            "det_removal_orders",
            "received_at",
            "AND executed_at IS NOT NULL",
        ),
        p,
        a,
        b,
    )
    .await?;
    let removal_in_time = count(
        store,
        &q(
            "det_removal_orders",
            "received_at",
            "AND executed_at IS NOT NULL AND executed_at <= due_at",
        ),
        p,
        a,
        b,
    )
    .await?;
    let removal_not_executed = count(
        store,
        &q(
            "det_removal_orders",
            "received_at",
            "AND state = 'impossible'",
        ),
        p,
        a,
        b,
    )
    .await?;
    let complaints = count(store, &q("det_complaints", "received_at", ""), p, a, b).await?;
    let complaints_decided = count(
        store,
        &q(
            "det_complaints",
            "received_at",
            "AND decided_at IS NOT NULL",
        ),
        p,
        a,
        b,
    )
    .await?;
    let complaints_reversed = count(
        store,
        &q("det_complaints", "received_at", "AND outcome = 'reversed'"),
        p,
        a,
        b,
    )
    .await?;
    let reinstated_after_complaint = count(
        store,
        &q("det_reinstatements", "at", "AND ground = 'complaint'"),
        p,
        a,
        b,
    )
    .await?;
    let reinstated_after_review = count(
        store,
        &q(
            "det_reinstatements",
            "at",
            "AND ground IN ('scrutiny', 'review')",
        ),
        p,
        a,
        b,
    )
    .await?;
    let by_basis_kind = by_basis_kind(store, p, a, b).await?;
    Ok(Figures {
        year,
        provider: provider.map(str::to_string),
        scans,
        low_quality,
        matches,
        confirmed,
        rejected,
        pending: matches - confirmed - rejected,
        false_positive_share: (confirmed + rejected > 0)
            .then(|| rejected as f64 / (confirmed + rejected) as f64),
        reports,
        removal_orders,
        removal_executed,
        removal_in_time,
        removal_not_executed,
        complaints,
        complaints_decided,
        complaints_reversed,
        reinstated_after_complaint,
        reinstated_after_review,
        by_basis_kind,
        articles: vec![
            "CSA proposal Art. 83(1): by 31 January of the following year".into(),
            "TCO Regulation Art. 7(2)-(3): before 1 March of the following year".into(),
            "Regulation (EU) 2021/1232 Art. 3(1)(g)(vii): annual report by 31 January".into(),
        ],
    })
}
