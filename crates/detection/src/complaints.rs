//! Complaints by users about a detection or a decision taken on it: CSA
//! proposal Art. 10(4)(d), Regulation (EU) 2021/1232 Art. 3(1)(g)(iv) and
//! TCO Regulation Art. 10 (a decision within two weeks of receipt).

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Id, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{DetectionError, Result, corrupt};
use crate::vocab::{ComplaintOutcome, ComplaintSubject, RemovalRegime};

/// Marker type of complaint ids.
#[derive(Debug)]
pub enum ComplaintMarker {}
/// The id of a complaint.
pub type ComplaintId = Id<ComplaintMarker>;

/// TCO Regulation Art. 10(2): the provider decides within two weeks.
pub const TCO_COMPLAINT_DAYS: i64 = 14;

/// A complaint as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    /// The regime: `tco` for terrorist content, `csa` otherwise.
    pub regime: RemovalRegime,
    /// What it is about.
    pub subject: ComplaintSubject,
    /// The match, scan or removal order complained of.
    pub object_ref: String,
    /// A pseudonymous reference for the complainant (never a name).
    pub complainant: String,
    /// When it was received (default: now).
    #[serde(default)]
    pub received_at: Option<Timestamp>,
}

/// A complaint with its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Complaint {
    /// Id.
    pub id: ComplaintId,
    /// The provider handling it.
    pub provider: String,
    /// The complaint.
    #[serde(flatten)]
    pub facts: NewComplaint,
    /// When a decision is due (TCO Art. 10(2): two weeks); none set otherwise.
    pub due_at: Option<Timestamp>,
    /// Undecided past its due time.
    pub overdue: bool,
    /// When it was decided.
    pub decided_at: Option<Timestamp>,
    /// The outcome.
    pub outcome: Option<ComplaintOutcome>,
    /// The reasons given.
    pub reasons: Option<String>,
}

fn row_to(r: &sqlx::any::AnyRow, now: Timestamp) -> Result<Complaint> {
    let w = "det_complaints";
    let t = |v: Option<i64>| -> Result<Option<Timestamp>> {
        v.map(|x| Timestamp::from_unix_micros(x).ok_or_else(|| corrupt(w, "time")))
            .transpose()
    };
    let id: String = r.try_get("id")?;
    let regime: String = r.try_get("regime")?;
    let subject: String = r.try_get("subject")?;
    let outcome: Option<String> = r.try_get("outcome")?;
    let received = t(Some(r.try_get("received_at")?))?;
    let due_at = t(r.try_get("due_at")?)?;
    let decided_at = t(r.try_get("decided_at")?)?;
    Ok(Complaint {
        id: id.parse().map_err(|e| corrupt(w, e))?,
        provider: r.try_get("provider")?,
        facts: NewComplaint {
            regime: regime.parse().map_err(|e| corrupt(w, e))?,
            subject: subject.parse().map_err(|e| corrupt(w, e))?,
            object_ref: r.try_get("object_ref")?,
            complainant: r.try_get("complainant")?,
            received_at: received,
        },
        overdue: decided_at.is_none() && due_at.is_some_and(|d| now > d),
        due_at,
        decided_at,
        outcome: outcome
            .map(|o| o.parse().map_err(|e| corrupt(w, e)))
            .transpose()?,
        reasons: r.try_get("reasons")?,
    })
}

const SELECT: &str = "SELECT id, provider, regime, subject, object_ref, complainant, received_at, due_at, decided_at, outcome, reasons FROM det_complaints";

/// Records a complaint received by `provider`.
pub async fn file(
    store: &Store,
    actor: &Actor,
    provider: &str,
    c: NewComplaint,
    now: Timestamp,
    purpose: &str,
) -> Result<Complaint> {
    if c.object_ref.trim().is_empty() {
        return Err(DetectionError::invalid("object_ref", "must not be empty"));
    }
    if c.complainant.trim().is_empty() || c.complainant.contains('@') {
        return Err(DetectionError::invalid(
            "complainant",
            "a pseudonymous reference, not an address",
        ));
    }
    let received = c.received_at.unwrap_or(now);
    if received > now {
        return Err(DetectionError::invalid(
            "received_at",
            "must not be in the future",
        ));
    }
    let due = (c.regime == RemovalRegime::Tco)
        .then(|| received.plus(TimeDelta::days(TCO_COMPLAINT_DAYS)));
    let id = ComplaintId::new();
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO det_complaints (id, provider, regime, subject, object_ref, complainant, received_at, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(provider)
    .bind(c.regime.as_str())
    .bind(c.subject.as_str())
    .bind(&c.object_ref)
    .bind(&c.complainant)
    .bind(received.unix_micros())
    .bind(due.map(|d| d.unix_micros()))
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.complaint.file",
            format!("complaint:{id}"),
            purpose,
        )
        .with_details(
            serde_json::json!({ "regime": c.regime.as_str(), "subject": c.subject.as_str() }),
        ),
    )
    .await?;
    get(store, id, Some(provider), now).await
}

/// One complaint; `provider`, when given, must be its handler.
pub async fn get(
    store: &Store,
    id: ComplaintId,
    provider: Option<&str>,
    now: Timestamp,
) -> Result<Complaint> {
    let not_found = || DetectionError::NotFound {
        kind: "complaint",
        key: id.to_string(),
    };
    let r = sqlx::query(&format!("{SELECT} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(not_found)?;
    let c = row_to(&r, now)?;
    if provider.is_some_and(|p| p != c.provider) {
        return Err(not_found());
    }
    Ok(c)
}

/// The complaints (only `provider`'s when given), newest first.
pub async fn list(store: &Store, provider: Option<&str>, now: Timestamp) -> Result<Vec<Complaint>> {
    sqlx::query(&format!(
        "{SELECT} WHERE ($1 = '' OR provider = $1) ORDER BY id DESC"
    ))
    .bind(provider.unwrap_or(""))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| row_to(r, now))
    .collect()
}

/// A decision on a complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintDecision {
    /// Upheld or reversed.
    pub outcome: ComplaintOutcome,
    /// The reasons, told to the complainant (TCO Art. 10(2)).
    pub reasons: String,
}

/// Decides a complaint once.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    id: ComplaintId,
    d: ComplaintDecision,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<Complaint> {
    if d.reasons.trim().is_empty() {
        return Err(DetectionError::invalid(
            "reasons",
            "must not be empty (TCO Art. 10(2))",
        ));
    }
    let cur = get(store, id, provider, now).await?;
    if cur.decided_at.is_some() {
        return Err(DetectionError::Conflict(
            "the complaint is already decided".into(),
        ));
    }
    let mut tx = store.write().await?;
    sqlx::query(
        "UPDATE det_complaints SET decided_at = $1, outcome = $2, reasons = $3 WHERE id = $4",
    )
    .bind(now.unix_micros())
    .bind(d.outcome.as_str())
    .bind(&d.reasons)
    .bind(id.to_string())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.complaint.decide",
            format!("complaint:{id}"),
            purpose,
        )
        .with_details(
            serde_json::json!({ "outcome": d.outcome.as_str(), "in_time": !cur.overdue }),
        ),
    )
    .await?;
    get(store, id, provider, now).await
}
