//! Reinstatement of removed content: the provider puts content back online,
//! or re-enables access to it, after its removal was found unjustified.
//!
//! One mechanism for both kinds of removal Bulwark records:
//! - content a provider removed after a reviewer confirmed a match
//!   ([`crate::review::record_removal`]), and
//! - content removed on a removal order ([`crate::removal::act`]).
//!
//! Grounds ([`ReinstatementGround`]) and where each may apply:
//! - `complaint`: the provider reversed its decision on the content
//!   provider's complaint (TCO Art. 10(2): "reinstate without undue delay";
//!   CSA proposal Art. 10(4)(d); Regulation (EU) 2021/1232 Art.
//!   3(1)(g)(iv)). Only for a match: removal orders are challenged before a
//!   court, not by complaint (TCO Art. 9). The reference is the complaint,
//!   which must be about this match and decided `reversed`.
//! - `scrutiny`: the competent authority of the provider's Member State
//!   found that a cross-border removal order infringes the Regulation or
//!   fundamental rights; the order ceases to have legal effect and the
//!   content is reinstated at once (TCO Art. 4(4), 4(7)). Only for a TCO
//!   removal order marked cross-border.
//! - `review`: administrative or judicial review proceedings annulled the
//!   order or the decision (TCO Art. 9; CSA proposal Art. 15). The
//!   reference is the decision's.
//!
//! Each object is reinstated at most once (`det_reinstatements`' unique key),
//! in one audited transaction (`detection.reinstatement`). The transparency
//! figures count reinstatements by the year they happened: after complaints
//! (TCO Art. 7(3)(g)) and after review proceedings (Art. 7(3)(f)).
//!
//! Preservation is left as it is: the removed content's data are kept for
//! review and complaint handling "including reinstatement" and for
//! investigations (TCO Art. 6(1)(a)-(b)), whose period the reinstatement
//! does not shorten.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Id, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::complaints::{self, ComplaintId};
use crate::error::{DetectionError, Result, corrupt};
use crate::removal::{self, RemovalId, RemovalOrderView};
use crate::review::{self, MatchDetail};
use crate::scan::MatchId;
use crate::vocab::{
    ComplaintOutcome, ComplaintSubject, ReinstatementGround, RemovalRegime, RemovalState,
};

/// Marker type of reinstatement ids.
#[derive(Debug)]
pub enum ReinstatementMarker {}
/// The id of a reinstatement record.
pub type ReinstatementId = Id<ReinstatementMarker>;

/// A provider's record that it reinstated removed content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReinstatementRequest {
    /// Why the content is back.
    pub ground: ReinstatementGround,
    /// For `complaint`, the id of the complaint decided `reversed`; for
    /// `scrutiny` and `review`, the authority's or court's decision reference.
    pub reference: String,
    /// When the content was reinstated (default: now); not before its
    /// removal, not in the future.
    #[serde(default)]
    pub at: Option<Timestamp>,
}

/// Removed content reinstated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reinstatement {
    /// Why.
    pub ground: ReinstatementGround,
    /// The complaint id or the decision's reference.
    pub reference: String,
    /// When the content was reinstated.
    pub at: Timestamp,
}

/// Joins an object's reinstatement to a query over `det_matches m`.
pub(crate) const JOIN_MATCH: &str =
    "LEFT JOIN det_reinstatements ri ON ri.object_kind = 'match' AND ri.object_id = m.id";
/// Joins an object's reinstatement to a query over `det_removal_orders o`.
pub(crate) const JOIN_ORDER: &str =
    "LEFT JOIN det_reinstatements ri ON ri.object_kind = 'removal_order' AND ri.object_id = o.id";
/// The joined columns [`from_row`] reads.
pub(crate) const COLUMNS: &str = "ri.ground AS reinstatement_ground, \
     ri.reference AS reinstatement_reference, ri.at AS reinstated_at";

/// The reinstatement in a row that selected [`COLUMNS`], if any.
pub(crate) fn from_row(r: &sqlx::any::AnyRow) -> Result<Option<Reinstatement>> {
    let w = "det_reinstatements";
    let ground: Option<String> = r.try_get("reinstatement_ground")?;
    let reference: Option<String> = r.try_get("reinstatement_reference")?;
    let at: Option<i64> = r.try_get("reinstated_at")?;
    match (ground, reference, at) {
        (Some(ground), Some(reference), Some(at)) => Ok(Some(Reinstatement {
            ground: ground.parse().map_err(|e| corrupt(w, e))?,
            reference,
            at: Timestamp::from_unix_micros(at).ok_or_else(|| corrupt(w, "time out of range"))?,
        })),
        (None, None, None) => Ok(None),
        _ => Err(corrupt(
            w,
            "a reinstatement without its ground, reference or time",
        )),
    }
}

/// The removed object being reinstated, as the checks need it.
struct Removed {
    kind: &'static str,
    id: String,
    provider: String,
    removed_at: Timestamp,
    regime: RemovalRegime,
    already: Option<Reinstatement>,
}

/// Records that the content of match `id`, removed by the provider after
/// the match was confirmed, is back online. `provider`, when given, must
/// be the match's. Returns the match with its reinstatement.
#[allow(clippy::too_many_arguments)]
pub async fn reinstate_match(
    store: &Store,
    actor: &Actor,
    id: MatchId,
    request: &ReinstatementRequest,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<MatchDetail> {
    let current = review::get(store, id, provider).await?;
    let m = &current.matched;
    let Some(removal) = &m.removal else {
        return Err(DetectionError::Conflict(format!(
            "match {id} has no removal recorded: only removed content is reinstated"
        )));
    };
    let kind = review::basis_kind(store, &m.basis_id).await?;
    let object = Removed {
        kind: "match",
        id: id.to_string(),
        provider: m.provider.clone(),
        removed_at: removal.at,
        regime: review::removal_regime(kind),
        already: removal.reinstated.clone(),
    };
    if request.ground == ReinstatementGround::Scrutiny {
        return Err(DetectionError::invalid(
            "ground",
            "scrutiny applies to cross-border removal orders (TCO Art. 4(4)); content removed \
             after a match is reinstated on a complaint or a review decision",
        ));
    }
    record(store, actor, &object, request, now, purpose).await?;
    review::get(store, id, provider).await
}

/// Records that the content of removal order `id`, executed by the
/// provider, is back online. `provider`, when given, must be the order's
/// addressee. Returns the order with its reinstatement.
#[allow(clippy::too_many_arguments)]
pub async fn reinstate_order(
    store: &Store,
    actor: &Actor,
    id: RemovalId,
    request: &ReinstatementRequest,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<RemovalOrderView> {
    let order = removal::get(store, id, None, now).await?;
    if provider.is_some_and(|p| p != order.order.provider) {
        return Err(DetectionError::NotFound {
            kind: "removal order",
            key: id.to_string(),
        });
    }
    let (RemovalState::Executed, Some(executed_at)) = (order.state, order.executed_at) else {
        return Err(DetectionError::Conflict(format!(
            "removal order {id} is {}: only executed orders' content is reinstated",
            order.state
        )));
    };
    match request.ground {
        ReinstatementGround::Complaint => {
            return Err(DetectionError::invalid(
                "ground",
                "a removal order is challenged before a court (TCO Art. 9), not by a complaint \
                 to the provider (Art. 10 covers specific measures): use `review`",
            ));
        }
        ReinstatementGround::Scrutiny
            if !(order.order.cross_border && order.order.regime == RemovalRegime::Tco) =>
        {
            return Err(DetectionError::invalid(
                "ground",
                "scrutiny concerns TCO removal orders issued to a provider established in \
                 another Member State (TCO Art. 4(4)); this order is not cross-border",
            ));
        }
        _ => {}
    }
    let object = Removed {
        kind: "removal_order",
        id: id.to_string(),
        provider: order.order.provider.clone(),
        removed_at: executed_at,
        regime: order.order.regime,
        already: order.reinstated.clone(),
    };
    record(store, actor, &object, request, now, purpose).await?;
    removal::get(store, id, None, now).await
}

/// The checks every reinstatement passes, then its row and audit record in
/// one transaction.
async fn record(
    store: &Store,
    actor: &Actor,
    object: &Removed,
    request: &ReinstatementRequest,
    now: Timestamp,
    purpose: &str,
) -> Result<()> {
    if let Some(r) = &object.already {
        return Err(DetectionError::Conflict(format!(
            "the content of {} {} was already reinstated at {}",
            object.kind.replace('_', " "),
            object.id,
            r.at.to_rfc3339()
        )));
    }
    let reference = request.reference.trim();
    if reference.is_empty() {
        return Err(DetectionError::invalid(
            "reference",
            "required: the complaint id, or the authority's or court's decision reference",
        ));
    }
    let at = request.at.unwrap_or(now);
    if at > now {
        return Err(DetectionError::invalid("at", "must not be in the future"));
    }
    if at < object.removed_at {
        return Err(DetectionError::invalid(
            "at",
            format!(
                "must not precede the removal, {}",
                object.removed_at.to_rfc3339()
            ),
        ));
    }
    if request.ground == ReinstatementGround::Complaint {
        check_complaint(store, object, reference, now).await?;
    }
    let mut tx = store.write().await?;
    let inserted = sqlx::query(
        "INSERT INTO det_reinstatements (id, object_kind, object_id, provider, regime, ground, reference, at, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (object_kind, object_id) DO NOTHING",
    )
    .bind(ReinstatementId::new().to_string())
    .bind(object.kind)
    .bind(&object.id)
    .bind(&object.provider)
    .bind(object.regime.as_str())
    .bind(request.ground.as_str())
    .bind(reference)
    .bind(at.unix_micros())
    .bind(now.unix_micros())
    .execute(tx.conn())
    .await?;
    if inserted.rows_affected() != 1 {
        // Another writer recorded it first; nothing written here.
        return Err(DetectionError::Conflict(format!(
            "the content of {} {} was already reinstated",
            object.kind.replace('_', " "),
            object.id
        )));
    }
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.reinstatement",
            format!("{}:{}", audit_kind(object.kind), object.id),
            purpose,
        )
        .with_details(serde_json::json!({
            "ground": request.ground,
            "reference": reference,
            "regime": object.regime,
            "at": at.to_rfc3339(),
        })),
    )
    .await?;
    Ok(())
}

/// The audit object prefix of each kind (as the other records name them).
fn audit_kind(kind: &str) -> &str {
    match kind {
        "removal_order" => "removal",
        other => other,
    }
}

/// A reinstatement on a complaint needs the complaint: the same provider's,
/// about this object's detection or removal, decided `reversed`.
async fn check_complaint(
    store: &Store,
    object: &Removed,
    reference: &str,
    now: Timestamp,
) -> Result<()> {
    let id: ComplaintId = reference.parse().map_err(|_| {
        DetectionError::invalid("reference", "for `complaint`, the id of the complaint")
    })?;
    let complaint = complaints::get(store, id, Some(&object.provider), now)
        .await
        .map_err(|e| match e {
            DetectionError::NotFound { .. } => DetectionError::invalid(
                "reference",
                format!("no complaint {id} handled by {}", object.provider),
            ),
            other => other,
        })?;
    if complaint.facts.object_ref.trim() != object.id
        || complaint.facts.subject == ComplaintSubject::Account
    {
        return Err(DetectionError::invalid(
            "reference",
            format!(
                "complaint {id} is about {} {}, not the detection or removal of {}",
                complaint.facts.subject, complaint.facts.object_ref, object.id
            ),
        ));
    }
    if complaint.outcome != Some(ComplaintOutcome::Reversed) {
        return Err(DetectionError::Conflict(format!(
            "complaint {id} is {}: content is reinstated on a complaint once the provider \
             decides it `reversed` (TCO Art. 10(2))",
            complaint
                .outcome
                .map_or("undecided".to_string(), |o| format!("decided `{o}`"))
        )));
    }
    Ok(())
}
