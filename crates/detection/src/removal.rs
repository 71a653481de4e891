//! Removal orders: the Terrorist Content Online Regulation (EU) 2021/784
//! Art. 3 (remove or disable access in all Member States within one hour of
//! receipt) and the proposed CSA Regulation Art. 14 (24 hours).
//!
//! States: `received` (clock running) -> `executed` (removed or disabled;
//! the authority is informed, TCO Art. 3(6)), or `impossible` (force
//! majeure, de facto impossibility, manifest error or missing information,
//! TCO Art. 3(7)-(8): the clock stops) -> `clarify` restarts the one hour
//! from the end of the obstacle. The removed content's metadata is kept for
//! six months after removal (TCO Art. 6(1)), then purged by
//! [`crate::retention::purge`]. The content itself stays with the provider.

use chrono::{Months, TimeDelta};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Country, Id, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{DetectionError, Result, corrupt};
use crate::reinstatement::{self, Reinstatement};
use crate::vocab::{RemovalRegime, RemovalState};

/// Marker type of removal-order ids.
#[derive(Debug)]
pub enum RemovalMarker {}
/// The id of a removal order.
pub type RemovalId = Id<RemovalMarker>;

/// TCO Regulation Art. 3(3): within one hour of receipt.
pub const TCO_DEADLINE_MINUTES: i64 = 60;
/// CSA proposal Art. 14(1): within 24 hours of receipt.
pub const CSA_DEADLINE_MINUTES: i64 = 24 * 60;
/// TCO Regulation Art. 6(1): preserved for six months from removal.
pub const TCO_PRESERVATION_MONTHS: u32 = 6;
/// CSA proposal Art. 22(1): kept for at most 12 months.
pub const CSA_PRESERVATION_MONTHS: u32 = 12;

impl RemovalRegime {
    /// The deadline from receipt (or from the end of an obstacle).
    pub fn deadline(self) -> TimeDelta {
        match self {
            RemovalRegime::Tco => TimeDelta::minutes(TCO_DEADLINE_MINUTES),
            RemovalRegime::Csa => TimeDelta::minutes(CSA_DEADLINE_MINUTES),
        }
    }

    /// The provision setting the deadline.
    pub fn deadline_article(self) -> &'static str {
        match self {
            RemovalRegime::Tco => "TCO Regulation (EU) 2021/784 Art. 3(3)",
            RemovalRegime::Csa => "CSA proposal COM(2022) 209 Art. 14(1)",
        }
    }

    /// Months the removed content's metadata is preserved.
    pub fn preservation_months(self) -> u32 {
        match self {
            RemovalRegime::Tco => TCO_PRESERVATION_MONTHS,
            RemovalRegime::Csa => CSA_PRESERVATION_MONTHS,
        }
    }
}

/// One item an order names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderedItem {
    /// The URL (TCO Annex I section B).
    pub url: String,
    /// The provider's reference for the content, once known.
    #[serde(default)]
    pub content_ref: Option<String>,
}

/// A removal order as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRemovalOrder {
    /// TCO or CSA.
    pub regime: RemovalRegime,
    /// The order's reference number.
    pub reference: String,
    /// The issuing competent authority.
    pub authority: String,
    /// The issuing Member State.
    pub member_state: Country,
    /// The addressed hosting provider (its organisation name).
    pub provider: String,
    /// The content to remove or disable.
    pub items: Vec<OrderedItem>,
    /// The reasons (TCO Annex I section B; categories of Art. 2(7)).
    pub reasons: String,
    /// When the provider received it: the clock starts here (default: now).
    #[serde(default)]
    pub received_at: Option<Timestamp>,
    /// The provider's main establishment is in another Member State (TCO Art. 4).
    #[serde(default)]
    pub cross_border: bool,
}

/// An order with its clock at a given time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RemovalOrderView {
    /// Id.
    pub id: RemovalId,
    /// State.
    pub state: RemovalState,
    /// The order (items and reasons are empty after the preservation period).
    pub order: NewRemovalOrder,
    /// When the provider received it.
    pub received_at: Timestamp,
    /// When the running clock started (receipt, or end of an obstacle).
    pub clock_start: Timestamp,
    /// When removal is due.
    pub due_at: Timestamp,
    /// The provision setting the deadline.
    pub deadline_article: String,
    /// When it was executed.
    pub executed_at: Option<Timestamp>,
    /// Executed by the deadline.
    pub in_time: Option<bool>,
    /// Still to execute and past the deadline.
    pub overdue: bool,
    /// Seconds left on the clock (negative when overdue), while it runs.
    pub seconds_left: Option<i64>,
    /// Why the provider could not comply, if it could not.
    pub obstacle: Option<String>,
    /// Until when the metadata is preserved (TCO Art. 6(1)).
    pub retain_until: Option<Timestamp>,
    /// When the metadata was purged.
    pub purged_at: Option<Timestamp>,
    /// The content was put back online, and why ([`crate::reinstatement`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reinstated: Option<Reinstatement>,
}

#[derive(Serialize, Deserialize)]
struct Stored {
    order: NewRemovalOrder,
    #[serde(default)]
    obstacle: Option<String>,
}

fn validate(o: &NewRemovalOrder, now: Timestamp) -> Result<()> {
    for (f, v) in [
        ("reference", &o.reference),
        ("authority", &o.authority),
        ("provider", &o.provider),
        ("reasons", &o.reasons),
    ] {
        if v.trim().is_empty() {
            return Err(DetectionError::invalid(
                f,
                "must not be empty (TCO Annex I)",
            ));
        }
    }
    if o.items.is_empty() {
        return Err(DetectionError::invalid(
            "items",
            "an order names at least one URL (TCO Annex I section B)",
        ));
    }
    for (i, it) in o.items.iter().enumerate() {
        if !(it.url.starts_with("https://") || it.url.starts_with("http://")) {
            return Err(DetectionError::invalid(
                format!("items[{i}].url"),
                "must be an http(s) URL",
            ));
        }
    }
    if o.received_at.is_some_and(|r| r > now) {
        return Err(DetectionError::invalid(
            "received_at",
            "must not be in the future",
        ));
    }
    Ok(())
}

fn view(
    id: RemovalId,
    state: RemovalState,
    stored: Stored,
    times: [Option<i64>; 6],
    reinstated: Option<Reinstatement>,
    now: Timestamp,
) -> Result<RemovalOrderView> {
    let w = "det_removal_orders";
    let t = |v: Option<i64>| -> Result<Option<Timestamp>> {
        v.map(|x| Timestamp::from_unix_micros(x).ok_or_else(|| corrupt(w, "time")))
            .transpose()
    };
    let [received, start, due, executed, retain, purged] = times;
    let received_at = t(received)?.ok_or_else(|| corrupt(w, "received_at"))?;
    let clock_start = t(start)?.ok_or_else(|| corrupt(w, "clock_start"))?;
    let due_at = t(due)?.ok_or_else(|| corrupt(w, "due_at"))?;
    let executed_at = t(executed)?;
    let running = state == RemovalState::Received;
    Ok(RemovalOrderView {
        id,
        state,
        deadline_article: stored.order.regime.deadline_article().into(),
        order: stored.order,
        received_at,
        clock_start,
        due_at,
        executed_at,
        in_time: executed_at.map(|e| e <= due_at),
        overdue: running && now > due_at,
        seconds_left: running.then(|| (due_at.unix_micros() - now.unix_micros()) / 1_000_000),
        obstacle: stored.obstacle,
        retain_until: t(retain)?,
        purged_at: t(purged)?,
        reinstated,
    })
}

/// An order with its reinstatement, if any.
static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT o.id, o.state, o.facts, o.received_at, o.clock_start, o.due_at, o.executed_at, \
         o.retain_until, o.purged_at, {} FROM det_removal_orders o {}",
        reinstatement::COLUMNS,
        reinstatement::JOIN_ORDER
    )
});

fn row_to_view(r: &sqlx::any::AnyRow, now: Timestamp) -> Result<RemovalOrderView> {
    let w = "det_removal_orders";
    let id: String = r.try_get("id")?;
    let state: String = r.try_get("state")?;
    let facts: String = r.try_get("facts")?;
    view(
        id.parse().map_err(|e| corrupt(w, e))?,
        state.parse().map_err(|e| corrupt(w, e))?,
        serde_json::from_str(&facts).map_err(|e| corrupt(w, e))?,
        [
            Some(r.try_get("received_at")?),
            Some(r.try_get("clock_start")?),
            Some(r.try_get("due_at")?),
            r.try_get("executed_at")?,
            r.try_get("retain_until")?,
            r.try_get("purged_at")?,
        ],
        reinstatement::from_row(r)?,
        now,
    )
}

/// Records a removal order as received by the provider; the clock starts at
/// `received_at` (default `now`).
pub async fn receive(
    store: &Store,
    actor: &Actor,
    order: NewRemovalOrder,
    now: Timestamp,
    purpose: &str,
) -> Result<RemovalOrderView> {
    validate(&order, now)?;
    let id = RemovalId::new();
    let received = order.received_at.unwrap_or(now);
    let due = received.plus(order.regime.deadline());
    let facts = serde_json::to_string(&Stored {
        order: order.clone(),
        obstacle: None,
    })
    .map_err(|e| DetectionError::invalid("(body)", e.to_string()))?;
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO det_removal_orders (id, regime, reference, authority, member_state, provider, state, received_at, clock_start, due_at, facts, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'received', $7, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(order.regime.as_str())
    .bind(&order.reference)
    .bind(&order.authority)
    .bind(order.member_state.as_str())
    .bind(&order.provider)
    .bind(received.unix_micros())
    .bind(due.unix_micros())
    .bind(&facts)
    .bind(now.unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.removal.receive",
            format!("removal:{id}"),
            purpose,
        )
        .with_details(serde_json::json!({
            "regime": order.regime.as_str(),
            "reference": order.reference,
            "authority": order.authority,
            "provider": order.provider,
            "items": order.items.len(),
            "due_at": due,
        })),
    )
    .await?;
    get(store, id, None, now).await
}

/// One order; `party`, when given, must be its provider or issuing authority.
pub async fn get(
    store: &Store,
    id: RemovalId,
    party: Option<&str>,
    now: Timestamp,
) -> Result<RemovalOrderView> {
    let not_found = || DetectionError::NotFound {
        kind: "removal order",
        key: id.to_string(),
    };
    let r = sqlx::query(&format!("{} WHERE o.id = $1", *SELECT))
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(not_found)?;
    let v = row_to_view(&r, now)?;
    if party.is_some_and(|p| p != v.order.provider && p != v.order.authority) {
        return Err(not_found());
    }
    Ok(v)
}

/// The orders addressed to or issued by `party` (all when `None`), newest first.
pub async fn list(
    store: &Store,
    party: Option<&str>,
    now: Timestamp,
) -> Result<Vec<RemovalOrderView>> {
    let rows = sqlx::query(&format!(
        "{} WHERE ($1 = '' OR o.provider = $1 OR o.authority = $1) ORDER BY o.id DESC",
        *SELECT
    ))
    .bind(party.unwrap_or(""))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| row_to_view(r, now)).collect()
}

/// What the provider reports back on an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum RemovalAction {
    /// Removed or disabled in all Member States (TCO Art. 3(3), 3(6)).
    Execute {
        /// When (default: now).
        #[serde(default)]
        at: Option<Timestamp>,
    },
    /// Cannot comply (TCO Art. 3(7) force majeure or impossibility; 3(8)
    /// manifest errors or missing information): the clock stops.
    Impossible {
        /// Why.
        reason: String,
    },
    /// The obstacle ended or the clarification arrived: the one hour runs
    /// again from `at` (TCO Art. 3(7)-(8)).
    Clarified {
        /// When (default: now).
        #[serde(default)]
        at: Option<Timestamp>,
    },
}

/// Applies a provider's action to an order it received.
pub async fn act(
    store: &Store,
    actor: &Actor,
    id: RemovalId,
    action: RemovalAction,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<RemovalOrderView> {
    let cur = get(store, id, None, now).await?;
    if provider.is_some_and(|p| p != cur.order.provider) {
        return Err(DetectionError::NotFound {
            kind: "removal order",
            key: id.to_string(),
        });
    }
    let mut stored = Stored {
        order: cur.order.clone(),
        obstacle: cur.obstacle.clone(),
    };
    let mut tx = store.write().await?;
    let (name, details) = match &action {
        RemovalAction::Execute { at } => {
            if cur.state != RemovalState::Received {
                return Err(DetectionError::Conflict(format!(
                    "the order is {}",
                    cur.state
                )));
            }
            let at = at.unwrap_or(now);
            if at > now || at < cur.received_at {
                return Err(DetectionError::invalid(
                    "at",
                    "between the order's receipt and now",
                ));
            }
            let retain = at
                .as_datetime()
                .checked_add_months(Months::new(cur.order.regime.preservation_months()))
                .map(Timestamp::from_datetime)
                .unwrap_or(at);
            sqlx::query(
                "UPDATE det_removal_orders SET state = 'executed', executed_at = $1, retain_until = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(at.unix_micros())
            .bind(retain.unix_micros())
            .bind(now.unix_micros())
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
            (
                "detection.removal.execute",
                serde_json::json!({ "executed_at": at, "in_time": at <= cur.due_at }),
            )
        }
        RemovalAction::Impossible { reason } => {
            if cur.state != RemovalState::Received {
                return Err(DetectionError::Conflict(format!(
                    "the order is {}",
                    cur.state
                )));
            }
            if reason.trim().is_empty() {
                return Err(DetectionError::invalid(
                    "reason",
                    "must not be empty (TCO Annex III)",
                ));
            }
            stored.obstacle = Some(reason.clone());
            sqlx::query(
                "UPDATE det_removal_orders SET state = 'impossible', facts = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(serde_json::to_string(&stored).map_err(|e| corrupt("det_removal_orders", e))?)
            .bind(now.unix_micros())
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
            ("detection.removal.impossible", serde_json::json!({}))
        }
        RemovalAction::Clarified { at } => {
            if cur.state != RemovalState::Impossible {
                return Err(DetectionError::Conflict(
                    "only an order the provider could not comply with is clarified".into(),
                ));
            }
            let at = at.unwrap_or(now);
            if at > now {
                return Err(DetectionError::invalid("at", "must not be in the future"));
            }
            let due = at.plus(cur.order.regime.deadline());
            sqlx::query(
                "UPDATE det_removal_orders SET state = 'received', clock_start = $1, due_at = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(at.unix_micros())
            .bind(due.unix_micros())
            .bind(now.unix_micros())
            .bind(id.to_string())
            .execute(tx.conn())
            .await?;
            (
                "detection.removal.clarified",
                serde_json::json!({ "due_at": due }),
            )
        }
    };
    tx.commit(
        actor,
        AuditEntry::new(name, format!("removal:{id}"), purpose).with_details(details),
    )
    .await?;
    get(store, id, None, now).await
}
