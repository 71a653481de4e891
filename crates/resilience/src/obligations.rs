//! A critical entity's dated obligations after identification: the
//! authority notifies it (CER Art. 6(3)); its first risk assessment is due
//! within 9 months of that notification and then at least every 4 years
//! (Art. 12(1)); Chapter III obligations (resilience measures, background
//! checks, incident notification) apply 10 months after the notification
//! (Art. 6(3), second subparagraph).
//!
//! The store keeps dates only (notification, each risk assessment received);
//! the due dates are computed at the time asked, like the incident clocks.

use chrono::Months;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Country, Id, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{ResilienceError, Result};

/// CER Art. 12(1): first risk assessment within 9 months of the notification.
pub const FIRST_ASSESSMENT_MONTHS: u32 = 9;
/// CER Art. 12(1): then at least every 4 years.
pub const REASSESSMENT_MONTHS: u32 = 48;
/// CER Art. 6(3) second subparagraph: Chapter III applies 10 months after notification.
pub const CHAPTER_III_MONTHS: u32 = 10;

bulwark_core::text_enum! {
    /// What an obligation event records.
    pub enum ObligationEvent: "obligation event" {
        /// The authority notified the entity that it is critical (Art. 6(3)).
        Notified = "notified",
        /// The entity's risk assessment was received (Art. 12(1)).
        RiskAssessment = "risk_assessment",
    }
}

/// An entity's obligations at a given time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Obligations {
    /// The entity's key.
    pub entity: String,
    /// When it was notified (Art. 6(3)); none: not (yet) a notified critical entity.
    pub notified_at: Option<Timestamp>,
    /// When Chapter III applies (Art. 6(3)).
    pub chapter_iii_from: Option<Timestamp>,
    /// Risk assessments received, oldest first.
    pub risk_assessments: Vec<Timestamp>,
    /// When the next risk assessment is due (Art. 12(1)).
    pub risk_assessment_due: Option<Timestamp>,
    /// The next risk assessment is past due.
    pub overdue: bool,
    /// How the due date was computed, citing the article.
    pub basis: Option<String>,
}

fn plus_months(t: Timestamp, m: u32) -> Timestamp {
    t.as_datetime()
        .checked_add_months(Months::new(m))
        .map(Timestamp::from_datetime)
        .unwrap_or(t)
}

/// The obligations from the dates alone (pure: the clock is `now`).
pub fn compute(
    entity: &str,
    notified_at: Option<Timestamp>,
    assessments: &[Timestamp],
    now: Timestamp,
) -> Obligations {
    let mut assessments = assessments.to_vec();
    assessments.sort();
    let (due, basis) = match (notified_at, assessments.last()) {
        (None, _) => (None, None),
        (Some(n), None) => (
            Some(plus_months(n, FIRST_ASSESSMENT_MONTHS)),
            Some("CER Art. 12(1): within 9 months of the Art. 6(3) notification".to_string()),
        ),
        (Some(_), Some(last)) => (
            Some(plus_months(*last, REASSESSMENT_MONTHS)),
            Some(
                "CER Art. 12(1): at least every 4 years after the last risk assessment".to_string(),
            ),
        ),
    };
    Obligations {
        entity: entity.to_string(),
        notified_at,
        chapter_iii_from: notified_at.map(|n| plus_months(n, CHAPTER_III_MONTHS)),
        risk_assessments: assessments,
        overdue: due.is_some_and(|d| now > d),
        risk_assessment_due: due,
        basis,
    }
}

/// The obligations of entity `key` of `ms` at `now`.
pub async fn get(store: &Store, ms: Country, key: &str, now: Timestamp) -> Result<Obligations> {
    crate::registry::get_entity(store, Some(ms), key).await?;
    let rows =
        sqlx::query("SELECT kind, at FROM res_obligation_events WHERE entity_key = $1 ORDER BY at")
            .bind(key)
            .fetch_all(store.pool())
            .await?;
    let mut notified = None;
    let mut assessments = Vec::new();
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let at: i64 = r.try_get("at")?;
        let at = Timestamp::from_unix_micros(at)
            .ok_or_else(|| crate::registry::corrupt("res_obligation_events", "time"))?;
        match kind
            .parse::<ObligationEvent>()
            .map_err(|e| crate::registry::corrupt("res_obligation_events", e))?
        {
            // The latest notification counts (a re-identification notifies again).
            ObligationEvent::Notified => notified = Some(at),
            ObligationEvent::RiskAssessment => assessments.push(at),
        }
    }
    Ok(compute(key, notified, &assessments, now))
}

/// Records a notification or a received risk assessment for entity `key`
/// of `ms`. A risk assessment needs a notification before it; neither may
/// be in the future.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    store: &Store,
    actor: &Actor,
    ms: Country,
    key: &str,
    event: ObligationEvent,
    at: Timestamp,
    reference: &str,
    now: Timestamp,
) -> Result<Obligations> {
    if at > now {
        return Err(ResilienceError::invalid("at", "must not be in the future"));
    }
    if reference.trim().is_empty() {
        return Err(ResilienceError::invalid(
            "reference",
            "the notification's or assessment's reference",
        ));
    }
    let current = get(store, ms, key, now).await?;
    if event == ObligationEvent::RiskAssessment {
        match current.notified_at {
            None => {
                return Err(ResilienceError::invalid(
                    "event",
                    "CER Art. 12(1): a risk assessment follows the Art. 6(3) notification; record the notification first",
                ));
            }
            Some(n) if at < n => {
                return Err(ResilienceError::invalid(
                    "at",
                    "must not be before the Art. 6(3) notification",
                ));
            }
            _ => {}
        }
    }
    let mut tx = store.write().await?;
    let id = Id::<()>::new();
    sqlx::query(
        "INSERT INTO res_obligation_events (id, entity_key, kind, at, reference, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(key)
    .bind(event.as_str())
    .bind(at.unix_micros())
    .bind(reference)
    .bind(now.unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            format!("resilience.obligation.{event}"),
            format!("entity:{key}"),
            "CER Art. 6(3) / Art. 12(1)",
        )
        .with_details(serde_json::json!({ "member_state": ms.as_str(), "at": at })),
    )
    .await?;
    get(store, ms, key, now).await
}
