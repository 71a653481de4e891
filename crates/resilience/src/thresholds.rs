//! National thresholds: CER leaves the numbers to the Member States
//! (Art. 7(2)(c) has them report the thresholds they use), so every number
//! here is configuration per Member State with a documented default.
//!
//! The defaults are placeholders for a demo, not legal values: the
//! 500 000-users default follows the long-standing German KRITIS convention
//! (spec: unverified for CER). Set real values with [`set`].

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Country, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{ResilienceError, Result};

/// Thresholds for the significant-disruptive-effect criteria of CER
/// Art. 7(1) and the incident significance parameters of CER Art. 15(1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Art. 7(1)(a): users relying on the service in the Member State at or above which the criterion fires.
    pub users: i64,
    /// Art. 7(1)(b): number of other Annex sectors depending on the entity at or above which it fires.
    pub dependent_sectors: u32,
    /// Art. 7(1)(c): estimated user-hours lost in an incident at or above which it fires.
    pub impact_user_hours: f64,
    /// Art. 7(1)(c): assumed outage duration (hours) for the estimate, until a simulation provides one.
    pub assumed_outage_hours: f64,
    /// Art. 7(1)(d): market share (0-1) at or above which it fires.
    pub market_share: f64,
    /// Art. 7(1)(e): number of regions served at or above which it fires.
    pub regions: u32,
    /// Art. 7(1)(e): whether serving another Member State (cross-border impact) fires it.
    pub cross_border_fires: bool,
    /// Art. 7(1)(e): whether serving an isolated (insular, remote, mountainous) area fires it.
    pub isolated_area_fires: bool,
    /// Art. 7(1)(f): substitutability (0-1) at or below which it fires (few alternatives).
    pub substitutability: f64,
    /// How many of the six criteria must fire for a significant disruptive effect.
    pub min_criteria: u32,
    /// Art. 15(1)(a): users affected by an incident at or above which it is significant.
    pub incident_users: i64,
    /// Art. 15(1)(a): proportion of users affected (0-1) at or above which it is significant.
    pub incident_proportion: f64,
    /// Art. 15(1)(b): duration in hours at or above which it is significant.
    pub incident_duration_hours: f64,
    /// Art. 15(1)(c): whether any disruption of an isolated area is significant.
    pub incident_isolated_area: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            users: 500_000,
            dependent_sectors: 2,
            impact_user_hours: 12_000_000.0,
            assumed_outage_hours: 24.0,
            market_share: 0.25,
            regions: 3,
            cross_border_fires: true,
            isolated_area_fires: true,
            substitutability: 0.2,
            min_criteria: 1,
            incident_users: 100_000,
            incident_proportion: 0.1,
            incident_duration_hours: 4.0,
            incident_isolated_area: true,
        }
    }
}

impl Thresholds {
    /// Checks every value is in range; the error names the field.
    pub fn validate(&self) -> Result<()> {
        let unit = |f: &str, v: f64| {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(ResilienceError::invalid(f, "must be a number from 0 to 1"))
            }
        };
        let pos = |f: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(ResilienceError::invalid(f, "must be a number of 0 or more"))
            }
        };
        if self.users < 0 {
            return Err(ResilienceError::invalid("users", "must be 0 or more"));
        }
        if self.incident_users < 0 {
            return Err(ResilienceError::invalid(
                "incident_users",
                "must be 0 or more",
            ));
        }
        pos("impact_user_hours", self.impact_user_hours)?;
        pos("assumed_outage_hours", self.assumed_outage_hours)?;
        pos("incident_duration_hours", self.incident_duration_hours)?;
        unit("market_share", self.market_share)?;
        unit("substitutability", self.substitutability)?;
        unit("incident_proportion", self.incident_proportion)?;
        if !(1..=6).contains(&self.min_criteria) {
            return Err(ResilienceError::invalid(
                "min_criteria",
                "must be from 1 to 6 (Art. 7(1) has six criteria)",
            ));
        }
        Ok(())
    }
}

/// The thresholds in force for `ms` (the defaults until set).
pub async fn get(store: &Store, ms: Country) -> Result<Thresholds> {
    let row = sqlx::query("SELECT body FROM res_thresholds WHERE member_state = $1")
        .bind(ms.as_str())
        .fetch_optional(store.pool())
        .await?;
    match row {
        None => Ok(Thresholds::default()),
        Some(row) => {
            let body: String = row.try_get("body")?;
            serde_json::from_str(&body).map_err(|e| crate::registry::corrupt("res_thresholds", e))
        }
    }
}

/// Sets the thresholds of `ms` (audited with the old and new values).
pub async fn set(
    store: &Store,
    actor: &Actor,
    ms: Country,
    thresholds: &Thresholds,
    purpose: &str,
) -> Result<Thresholds> {
    thresholds.validate()?;
    if !ms.is_member_state() {
        return Err(ResilienceError::invalid("ms", "must be an EU Member State"));
    }
    let body = serde_json::to_string(thresholds)
        .map_err(|e| ResilienceError::invalid("(body)", e.to_string()))?;
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO res_thresholds (member_state, body, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (member_state) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(ms.as_str())
    .bind(&body)
    .bind(Timestamp::now().unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "resilience.thresholds.set",
            format!("thresholds:{ms}"),
            purpose,
        )
        .with_details(serde_json::json!({ "thresholds": thresholds })),
    )
    .await?;
    Ok(thresholds.clone())
}
