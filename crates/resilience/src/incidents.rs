//! Incidents: the CER Art. 15 and NIS2 Art. 23 notification clocks running
//! in parallel from one "became aware" time, significance per CER Art. 15(1)
//! (national thresholds) and per Commission Implementing Regulation (EU)
//! 2024/2690 (NIS2 relevant entities), and routing of cross-border incidents.
//!
//! Time is always passed in (`now`), so clocks are computed, not waited for.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Months, TimeDelta};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Country, Id, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{ResilienceError, Result};
use crate::identification::SIX_MEMBER_STATES;
use crate::thresholds::Thresholds;
use crate::vocab::{Nis2EntityType, Regime, Stage};

/// Marker type of incident ids.
#[derive(Debug)]
pub enum IncidentMarker {}
/// The id of an incident.
pub type IncidentId = Id<IncidentMarker>;

/// Facts bearing on NIS2 significance (NIS2 Art. 23(3); Implementing
/// Regulation (EU) 2024/2690 Arts. 3-14). Give what applies; the rest
/// stays at its default (false / absent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Nis2Facts {
    /// The entity type, which selects the thresholds of Reg. 2024/2690 Arts. 5-14.
    pub entity_type: Nis2EntityType,
    /// The effects come from scheduled interruptions or planned maintenance (Reg. 2024/2690 Art. 3(2)).
    pub scheduled_maintenance: bool,
    /// Direct financial loss in EUR (Art. 3(1)(a)).
    pub financial_loss_eur: Option<f64>,
    /// Annual turnover of the previous financial year in EUR (Art. 3(1)(a)).
    pub turnover_eur: Option<f64>,
    /// Trade secrets were exfiltrated (Art. 3(1)(b)).
    pub trade_secrets_exfiltrated: bool,
    /// A natural person died (Art. 3(1)(c)).
    pub death: bool,
    /// Considerable damage to a natural person's health (Art. 3(1)(d)).
    pub health_damage: bool,
    /// Successful, suspectedly malicious, unauthorised access capable of causing severe operational disruption (Art. 3(1)(e)).
    pub malicious_access_severe: bool,
    /// Minutes the service was completely unavailable.
    pub unavailable_minutes: Option<f64>,
    /// Minutes of complete unavailability in the calendar week (trust services, Art. 14).
    pub weekly_unavailable_minutes: Option<f64>,
    /// Minutes of limited availability.
    pub limited_minutes: Option<f64>,
    /// Users affected by the unavailability or limited availability.
    pub users_limited: Option<i64>,
    /// Minutes the average response time exceeded 10 seconds (DNS, TLD: Arts. 5-6).
    pub slow_response_minutes: Option<f64>,
    /// Users of the service in the Union (for the percentage thresholds).
    pub users_total: Option<i64>,
    /// Integrity, confidentiality or authenticity of data or services compromised by suspectedly malicious action.
    pub compromise_suspected_malicious: bool,
    /// Users affected by a compromise of integrity, confidentiality or authenticity.
    pub compromised_users: Option<i64>,
    /// Integrity, confidentiality or authenticity of DNS or TLD data compromised (Arts. 5-6).
    pub integrity_compromised: bool,
    /// Physical access to a restricted area was compromised (Arts. 8, 14).
    pub physical_access_compromised: bool,
    /// NIS2 Art. 23(3)(a), for entities Reg. 2024/2690 does not cover: severe operational disruption or financial loss.
    pub severe_operational_disruption: bool,
    /// NIS2 Art. 23(3)(b): considerable material or non-material damage to other persons.
    pub considerable_damage: bool,
}

/// An incident as notified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// The notifying entity's key (registered in the request's Member State).
    pub entity: String,
    /// When the entity became aware of the incident: every clock starts here.
    pub aware_at: Timestamp,
    /// Notified under CER Art. 15.
    #[serde(default)]
    pub cer: bool,
    /// Notified under NIS2 Art. 23.
    #[serde(default)]
    pub nis2: bool,
    /// Member States whose essential services are or might be significantly
    /// affected (the notifying Member State if empty).
    #[serde(default)]
    pub affected_states: Vec<Country>,
    /// Users affected (CER Art. 15(1)(a)).
    #[serde(default)]
    pub users_affected: Option<i64>,
    /// Users of the disrupted service, for the proportion (CER Art. 15(1)(a)).
    #[serde(default)]
    pub users_total: Option<i64>,
    /// Duration of the disruption in hours (CER Art. 15(1)(b)).
    #[serde(default)]
    pub duration_hours: Option<f64>,
    /// The affected area is geographically isolated (CER Art. 15(1)(c)).
    #[serde(default)]
    pub isolated_area: bool,
    /// NIS2 facts.
    #[serde(default)]
    pub nis2_facts: Option<Nis2Facts>,
}

/// Whether an incident is significant under one regime, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Significance {
    /// The provisions applied.
    pub article: String,
    /// Whether any criterion is met.
    pub significant: bool,
    /// The criteria met, with the numbers.
    pub reasons: Vec<String>,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Not yet submitted, not yet due.
    Pending,
    /// Not submitted and past due.
    Overdue,
    /// Submitted in time.
    Submitted,
    /// Submitted after the due time.
    SubmittedLate,
}

/// One reporting deadline of one regime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Clock {
    /// The regime.
    pub regime: Regime,
    /// The stage.
    pub stage: Stage,
    /// The provision that sets the deadline.
    pub article: String,
    /// When it is due.
    pub due_at: Timestamp,
    /// How the due time is computed.
    pub basis: String,
    /// The due time rests on a previous stage's deadline because that stage
    /// has not been submitted yet; it moves when it is.
    pub provisional: bool,
    /// When it was submitted, if it was.
    pub submitted_at: Option<Timestamp>,
    /// Where it stands at the time asked.
    pub status: ClockStatus,
}

/// Who must be told of an incident beyond the notified authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Routing {
    /// Whether Member States other than the notifying one are affected.
    pub cross_border: bool,
    /// The other affected Member States, whose single points of contact are informed (CER Art. 15(3); NIS2 Art. 23(6), 23(8)).
    pub single_points_of_contact: Vec<Country>,
    /// The Commission is notified: six or more Member States affected (CER Art. 15(1)).
    pub commission: bool,
    /// ENISA is informed: a cross-border NIS2 incident (NIS2 Art. 23(6)).
    pub enisa: bool,
    /// Why, per rule.
    pub reasons: Vec<String>,
}

/// An incident with its clocks, significance and routing at a given time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentView {
    /// Id.
    pub id: IncidentId,
    /// The notifying Member State.
    pub member_state: Country,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// The notified facts.
    pub facts: NewIncident,
    /// Every clock of every regime the incident is notified under.
    pub clocks: Vec<Clock>,
    /// Whether any clock is overdue.
    pub overdue: bool,
    /// CER Art. 15(1) significance (if notified under CER).
    pub cer_significance: Option<Significance>,
    /// NIS2 significance (if notified under NIS2).
    pub nis2_significance: Option<Significance>,
    /// Cross-border routing.
    pub routing: Routing,
}

impl Clock {
    /// Whether the stage still awaits its report.
    pub fn is_open(&self) -> bool {
        self.submitted_at.is_none()
    }

    /// Time from `now` to the due time: negative once overdue.
    pub fn time_left(&self, now: Timestamp) -> TimeDelta {
        self.due_at.as_datetime() - now.as_datetime()
    }
}

impl IncidentView {
    /// Whether any stage of any regime still awaits its report.
    pub fn is_open(&self) -> bool {
        self.clocks.iter().any(Clock::is_open)
    }
}

// -------------------------------------------------------------- the clocks

/// CER Art. 15(1): the initial notification is due no later than 24 hours
/// after the entity became aware of the incident.
pub const CER_INITIAL_HOURS: i64 = 24;
/// NIS2 Art. 23(4)(a): the early warning is due within 24 hours of becoming aware.
pub const NIS2_EARLY_WARNING_HOURS: i64 = 24;
/// NIS2 Art. 23(4)(b): the incident notification is due within 72 hours of becoming aware.
pub const NIS2_NOTIFICATION_HOURS: i64 = 72;
/// NIS2 Art. 23(4)(b): 24 hours for trust service providers (incidents affecting trust services).
pub const NIS2_TRUST_NOTIFICATION_HOURS: i64 = 24;

fn plus_hours(t: Timestamp, h: i64) -> Timestamp {
    t.plus(TimeDelta::hours(h))
}

/// One calendar month later (the last day of the month when the day does
/// not exist, e.g. 31 Jan -> 28/29 Feb).
pub fn plus_one_month(t: Timestamp) -> Timestamp {
    t.as_datetime()
        .checked_add_months(Months::new(1))
        .map(Timestamp::from_datetime)
        .unwrap_or(t)
}

#[allow(clippy::too_many_arguments)]
fn clock(
    regime: Regime,
    stage: Stage,
    article: &str,
    due_at: Timestamp,
    basis: String,
    provisional: bool,
    submitted: &BTreeMap<Stage, Timestamp>,
    now: Timestamp,
) -> Clock {
    let submitted_at = submitted.get(&stage).copied();
    let status = match submitted_at {
        Some(s) if s <= due_at => ClockStatus::Submitted,
        Some(_) => ClockStatus::SubmittedLate,
        None if now > due_at => ClockStatus::Overdue,
        None => ClockStatus::Pending,
    };
    Clock {
        regime,
        stage,
        article: article.into(),
        due_at,
        basis,
        provisional,
        submitted_at,
        status,
    }
}

/// The CER Art. 15(1) clocks: initial notification within 24 h of becoming
/// aware; detailed report no later than one month after the initial
/// notification (provisionally after its due time until it is submitted).
pub fn cer_clocks(
    aware_at: Timestamp,
    submitted: &BTreeMap<Stage, Timestamp>,
    now: Timestamp,
) -> Vec<Clock> {
    let initial_due = plus_hours(aware_at, CER_INITIAL_HOURS);
    let (base, provisional) = match submitted.get(&Stage::InitialNotification) {
        Some(s) => (*s, false),
        None => (initial_due, true),
    };
    vec![
        clock(
            Regime::Cer,
            Stage::InitialNotification,
            "CER Art. 15(1)",
            initial_due,
            "24 h after becoming aware".into(),
            false,
            submitted,
            now,
        ),
        clock(
            Regime::Cer,
            Stage::DetailedReport,
            "CER Art. 15(1)",
            plus_one_month(base),
            if provisional {
                "one month after the initial notification (not yet submitted: counted from its due time)".into()
            } else {
                "one month after the initial notification".into()
            },
            provisional,
            submitted,
            now,
        ),
    ]
}

/// The NIS2 Art. 23(4) clocks: early warning within 24 h of becoming aware
/// (point (a)); incident notification within 72 h, or 24 h for trust
/// service providers (point (b)); final report within one month of the
/// incident notification (point (d)). The intermediate report (point (c))
/// is on request and has no clock.
pub fn nis2_clocks(
    aware_at: Timestamp,
    trust_service: bool,
    submitted: &BTreeMap<Stage, Timestamp>,
    now: Timestamp,
) -> Vec<Clock> {
    let hours = if trust_service {
        NIS2_TRUST_NOTIFICATION_HOURS
    } else {
        NIS2_NOTIFICATION_HOURS
    };
    let notification_due = plus_hours(aware_at, hours);
    let (base, provisional) = match submitted.get(&Stage::IncidentNotification) {
        Some(s) => (*s, false),
        None => (notification_due, true),
    };
    vec![
        clock(
            Regime::Nis2,
            Stage::EarlyWarning,
            "NIS2 Art. 23(4)(a)",
            plus_hours(aware_at, NIS2_EARLY_WARNING_HOURS),
            "24 h after becoming aware".into(),
            false,
            submitted,
            now,
        ),
        clock(
            Regime::Nis2,
            Stage::IncidentNotification,
            "NIS2 Art. 23(4)(b)",
            notification_due,
            format!(
                "{hours} h after becoming aware{}",
                if trust_service {
                    " (trust service provider)"
                } else {
                    ""
                }
            ),
            false,
            submitted,
            now,
        ),
        clock(
            Regime::Nis2,
            Stage::FinalReport,
            "NIS2 Art. 23(4)(d)",
            plus_one_month(base),
            if provisional {
                "one month after the incident notification (not yet submitted: counted from its due time)".into()
            } else {
                "one month after the incident notification".into()
            },
            provisional,
            submitted,
            now,
        ),
    ]
}

// ------------------------------------------------------------ significance

/// CER Art. 15(1): significance from (a) the number and proportion of users
/// affected, (b) the duration and (c) the geographic area, taking isolation
/// into account, against the Member State's thresholds.
pub fn cer_significance(i: &NewIncident, t: &Thresholds) -> Significance {
    let mut reasons = Vec::new();
    if let Some(u) = i.users_affected
        && u >= t.incident_users
    {
        reasons.push(format!(
            "Art. 15(1)(a): {u} users affected (threshold {})",
            t.incident_users
        ));
    }
    if let (Some(u), Some(total)) = (i.users_affected, i.users_total)
        && total > 0
    {
        let p = u as f64 / total as f64;
        if p >= t.incident_proportion {
            reasons.push(format!(
                "Art. 15(1)(a): {:.1} % of users affected (threshold {:.1} %)",
                p * 100.0,
                t.incident_proportion * 100.0
            ));
        }
    }
    if let Some(h) = i.duration_hours
        && h >= t.incident_duration_hours
    {
        reasons.push(format!(
            "Art. 15(1)(b): disruption of {h} h (threshold {} h)",
            t.incident_duration_hours
        ));
    }
    if i.isolated_area && t.incident_isolated_area {
        reasons.push("Art. 15(1)(c): a geographically isolated area is affected".into());
    }
    Significance {
        article: "CER Art. 15(1)".into(),
        significant: !reasons.is_empty(),
        reasons,
    }
}

/// The smaller of `share` of `total` users and `absolute` (Reg. 2024/2690's
/// "whichever is smaller"); `absolute` when the total is unknown.
fn user_threshold(total: Option<i64>, share: f64, absolute: f64) -> f64 {
    match total {
        Some(t) if t > 0 => (t as f64 * share).min(absolute),
        _ => absolute,
    }
}

/// NIS2 significance: for the relevant entities of Implementing Regulation
/// (EU) 2024/2690, its Art. 3 (general criteria; scheduled maintenance
/// excluded by Art. 3(2)) and the type-specific Arts. 5-14; for other NIS2
/// entities, NIS2 Art. 23(3). Art. 4 (recurring incidents) needs the
/// incident history and is not applied here.
pub fn nis2_significance(f: &Nis2Facts) -> Significance {
    use Nis2EntityType as T;
    let mut r: Vec<String> = Vec::new();
    if f.entity_type == T::Other {
        if f.severe_operational_disruption {
            r.push("NIS2 Art. 23(3)(a): severe operational disruption or financial loss".into());
        }
        if f.considerable_damage {
            r.push("NIS2 Art. 23(3)(b): considerable damage to other persons".into());
        }
        return Significance {
            article: "NIS2 Art. 23(3)".into(),
            significant: !r.is_empty(),
            reasons: r,
        };
    }
    // Art. 3(1)
    if let Some(loss) = f.financial_loss_eur {
        let limit = match f.turnover_eur {
            Some(t) if t > 0.0 => (t * 0.05).min(500_000.0),
            _ => 500_000.0,
        };
        if loss > limit {
            r.push(format!(
                "Art. 3(1)(a): direct financial loss EUR {loss:.0} exceeds EUR {limit:.0} (EUR 500 000 or 5 % of turnover, whichever is lower)"
            ));
        }
    }
    if f.trade_secrets_exfiltrated {
        r.push("Art. 3(1)(b): trade secrets exfiltrated".into());
    }
    if f.death {
        r.push("Art. 3(1)(c): death of a natural person".into());
    }
    if f.health_damage {
        r.push("Art. 3(1)(d): considerable damage to a person's health".into());
    }
    if f.malicious_access_severe {
        r.push(
            "Art. 3(1)(e): suspectedly malicious unauthorised access capable of severe disruption"
                .into(),
        );
    }
    // Availability criteria do not count for scheduled maintenance (Art. 3(2)).
    let avail = !f.scheduled_maintenance;
    let unavailable = f.unavailable_minutes.filter(|_| avail).unwrap_or(0.0);
    let limited = f.limited_minutes.filter(|_| avail).unwrap_or(0.0);
    let slow = f.slow_response_minutes.filter(|_| avail).unwrap_or(0.0);
    let users_limited = f.users_limited.filter(|_| avail).unwrap_or(0) as f64;
    let compromised = f.compromised_users.unwrap_or(0) as f64;
    let art = match f.entity_type {
        T::Dns => "5",
        T::Tld => "6",
        T::Cloud => "7",
        T::DataCentre => "8",
        T::Cdn => "9",
        T::Msp | T::Mssp => "10",
        T::Marketplace => "11",
        T::SearchEngine => "12",
        T::SocialNetwork => "13",
        T::TrustService => "14",
        T::Other => "",
    };
    let mut push = |cond: bool, text: String| {
        if cond {
            r.push(format!("Art. {art}: {text}"));
        }
    };
    match f.entity_type {
        T::Dns | T::Tld => {
            let (limit, text) = if f.entity_type == T::Dns {
                (30.0, "more than 30 minutes")
            } else {
                (0.0, "any duration")
            };
            push(
                unavailable > limit,
                format!("resolution completely unavailable for {unavailable} min ({text})"),
            );
            push(
                slow > 60.0,
                format!("average response time above 10 s for {slow} min (more than 1 h)"),
            );
            push(
                f.integrity_compromised,
                "integrity, confidentiality or authenticity of data compromised".into(),
            );
        }
        T::Cloud | T::Cdn | T::Msp | T::Mssp => {
            let thr = user_threshold(f.users_total, 0.05, 1_000_000.0);
            push(
                unavailable > 30.0,
                format!("service completely unavailable for {unavailable} min (more than 30)"),
            );
            push(
                limited > 60.0 && users_limited > thr,
                format!(
                    "limited availability for {limited} min for {users_limited} users (more than 1 h and more than {thr:.0} users)"
                ),
            );
            push(
                f.compromise_suspected_malicious,
                "suspectedly malicious compromise of integrity, confidentiality or authenticity"
                    .into(),
            );
            push(
                compromised > thr,
                format!("compromise affecting {compromised} users (more than {thr:.0})"),
            );
        }
        T::DataCentre => {
            push(
                unavailable > 0.0,
                format!(
                    "data centre service completely unavailable ({unavailable} min; any duration)"
                ),
            );
            push(
                limited > 60.0,
                format!("limited availability for {limited} min (more than 1 h)"),
            );
            push(
                f.compromise_suspected_malicious,
                "suspectedly malicious compromise of integrity, confidentiality or authenticity"
                    .into(),
            );
            push(
                f.physical_access_compromised,
                "physical access to the data centre compromised".into(),
            );
        }
        T::Marketplace | T::SearchEngine | T::SocialNetwork => {
            let thr = user_threshold(f.users_total, 0.05, 1_000_000.0);
            push(
                users_limited > thr,
                format!("unavailable or limited for {users_limited} users (more than {thr:.0})"),
            );
            push(
                f.compromise_suspected_malicious,
                "suspectedly malicious compromise of integrity, confidentiality or authenticity"
                    .into(),
            );
            push(
                compromised > thr,
                format!("compromise affecting {compromised} users (more than {thr:.0})"),
            );
        }
        T::TrustService => {
            let weekly = f
                .weekly_unavailable_minutes
                .filter(|_| avail)
                .unwrap_or(0.0);
            let thr_limited = user_threshold(f.users_total, 0.01, 200_000.0);
            let thr_comp = user_threshold(f.users_total, 0.001, 100.0);
            push(
                unavailable > 20.0,
                format!("trust service unavailable for {unavailable} min (more than 20)"),
            );
            push(
                weekly > 60.0,
                format!("unavailable {weekly} min in the calendar week (more than 1 h)"),
            );
            push(
                users_limited > thr_limited,
                format!(
                    "limited availability for {users_limited} users or relying parties (more than {thr_limited:.0})"
                ),
            );
            push(
                f.physical_access_compromised,
                "physical access to a restricted area compromised".into(),
            );
            push(
                compromised > thr_comp,
                format!("compromise affecting {compromised} users (more than {thr_comp:.0})"),
            );
        }
        T::Other => {}
    }
    Significance {
        article: "Implementing Regulation (EU) 2024/2690 Arts. 3-14".into(),
        significant: !r.is_empty(),
        reasons: r,
    }
}

// ------------------------------------------------------------------ routing

/// Cross-border routing. CER Art. 15(3): the single point of contact informs
/// the single points of contact of the other affected Member States. CER
/// Art. 15(1): where six or more Member States are (or might be) affected,
/// the Commission is notified. NIS2 Art. 23(6): for a cross-border NIS2
/// incident the other affected Member States and ENISA are informed.
pub fn route(ms: Country, i: &NewIncident) -> Routing {
    let mut affected: BTreeSet<Country> = i
        .affected_states
        .iter()
        .copied()
        .filter(|c| c.is_member_state())
        .collect();
    if affected.is_empty() {
        affected.insert(ms);
    }
    let others: Vec<Country> = affected.iter().copied().filter(|c| *c != ms).collect();
    let cross_border = !others.is_empty();
    let commission = i.cer && affected.len() >= SIX_MEMBER_STATES;
    let enisa = i.nis2 && cross_border;
    let mut reasons = Vec::new();
    let list = others
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if cross_border && i.cer {
        reasons.push(format!(
            "CER Art. 15(3): inform the single points of contact of {list}"
        ));
    }
    if cross_border && i.nis2 {
        reasons.push(format!("NIS2 Art. 23(6): inform {list} and ENISA"));
    }
    if commission {
        reasons.push(format!(
            "CER Art. 15(1): {} Member States affected (six or more): notify the Commission",
            affected.len()
        ));
    }
    Routing {
        cross_border,
        single_points_of_contact: others,
        commission,
        enisa,
        reasons,
    }
}

/// The view of an incident at time `now`.
pub fn view(
    id: IncidentId,
    ms: Country,
    created_at: Timestamp,
    facts: NewIncident,
    submitted: &BTreeMap<Stage, Timestamp>,
    thresholds: &Thresholds,
    now: Timestamp,
) -> IncidentView {
    let mut clocks = Vec::new();
    if facts.cer {
        clocks.extend(cer_clocks(facts.aware_at, submitted, now));
    }
    let nis2_facts = facts.nis2_facts.clone().unwrap_or_default();
    if facts.nis2 {
        let trust = nis2_facts.entity_type == Nis2EntityType::TrustService;
        clocks.extend(nis2_clocks(facts.aware_at, trust, submitted, now));
    }
    IncidentView {
        id,
        member_state: ms,
        created_at,
        overdue: clocks.iter().any(|c| c.status == ClockStatus::Overdue),
        clocks,
        cer_significance: facts.cer.then(|| cer_significance(&facts, thresholds)),
        nis2_significance: facts.nis2.then(|| nis2_significance(&nis2_facts)),
        routing: route(ms, &facts),
        facts,
    }
}

// ------------------------------------------------------------------ storage

fn validate(i: &NewIncident, now: Timestamp) -> Result<()> {
    crate::registry::check_key("entity", &i.entity)?;
    if !i.cer && !i.nis2 {
        return Err(ResilienceError::invalid(
            "cer",
            "an incident is notified under CER, NIS2 or both: set `cer` or `nis2`",
        ));
    }
    if i.aware_at > now {
        return Err(ResilienceError::invalid(
            "aware_at",
            "must not be in the future",
        ));
    }
    if let Some(u) = i.users_affected
        && u < 0
    {
        return Err(ResilienceError::invalid(
            "users_affected",
            "must be 0 or more",
        ));
    }
    if let Some(t) = i.users_total {
        if t < 0 {
            return Err(ResilienceError::invalid("users_total", "must be 0 or more"));
        }
        if i.users_affected.is_some_and(|u| u > t) {
            return Err(ResilienceError::invalid(
                "users_total",
                "must be at least users_affected",
            ));
        }
    }
    if let Some(h) = i.duration_hours
        && !(h.is_finite() && h >= 0.0)
    {
        return Err(ResilienceError::invalid(
            "duration_hours",
            "must be 0 or more",
        ));
    }
    if let Some(f) = &i.nis2_facts {
        for (name, v) in [
            ("nis2_facts.financial_loss_eur", f.financial_loss_eur),
            ("nis2_facts.turnover_eur", f.turnover_eur),
            ("nis2_facts.unavailable_minutes", f.unavailable_minutes),
            (
                "nis2_facts.weekly_unavailable_minutes",
                f.weekly_unavailable_minutes,
            ),
            ("nis2_facts.limited_minutes", f.limited_minutes),
            ("nis2_facts.slow_response_minutes", f.slow_response_minutes),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v >= 0.0)
            {
                return Err(ResilienceError::invalid(name, "must be 0 or more"));
            }
        }
        for (name, v) in [
            ("nis2_facts.users_limited", f.users_limited),
            ("nis2_facts.users_total", f.users_total),
            ("nis2_facts.compromised_users", f.compromised_users),
        ] {
            if v.is_some_and(|v| v < 0) {
                return Err(ResilienceError::invalid(name, "must be 0 or more"));
            }
        }
    }
    Ok(())
}

fn check_reporter(reporter: Option<&str>, entity: &str) -> Result<()> {
    match reporter {
        Some(org) if org != entity => Err(ResilienceError::invalid(
            "entity",
            "a token of role `entity` acts only for the entity whose key is its organisation",
        )),
        _ => Ok(()),
    }
}

/// Records an incident notified to the competent authority of `ms` at
/// `now`. The entity must be registered in `ms`. With `reporter` set (a
/// token of role `entity`), the incident must be the reporter's own.
pub async fn report(
    store: &Store,
    actor: &Actor,
    ms: Country,
    incident: NewIncident,
    reporter: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<IncidentView> {
    validate(&incident, now)?;
    check_reporter(reporter, &incident.entity)?;
    crate::registry::get_entity(store, Some(ms), &incident.entity).await?;
    let id = IncidentId::new();
    let facts = serde_json::to_string(&incident)
        .map_err(|e| ResilienceError::invalid("(body)", e.to_string()))?;
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO res_incidents (id, entity_key, member_state, aware_at, cer, nis2, facts, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(&incident.entity)
    .bind(ms.as_str())
    .bind(incident.aware_at.unix_micros())
    .bind(i64::from(incident.cer))
    .bind(i64::from(incident.nis2))
    .bind(&facts)
    .bind(now.unix_micros())
    .execute(tx.conn())
    .await?;
    let routing = route(ms, &incident);
    tx.commit(
        actor,
        AuditEntry::new(
            "resilience.incident.report",
            format!("incident:{id}"),
            purpose,
        )
        .with_details(serde_json::json!({
            "entity": incident.entity,
            "member_state": ms.as_str(),
            "cer": incident.cer,
            "nis2": incident.nis2,
            "single_points_of_contact": routing.single_points_of_contact,
            "commission": routing.commission,
        })),
    )
    .await?;
    let thresholds = crate::thresholds::get(store, ms).await?;
    Ok(view(
        id,
        ms,
        now,
        incident,
        &BTreeMap::new(),
        &thresholds,
        now,
    ))
}

async fn submitted_of(store: &Store, id: IncidentId) -> Result<BTreeMap<Stage, Timestamp>> {
    let rows =
        sqlx::query("SELECT stage, submitted_at FROM res_incident_reports WHERE incident_id = $1")
            .bind(id.to_string())
            .fetch_all(store.pool())
            .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let stage: String = r.try_get("stage")?;
        let at: i64 = r.try_get("submitted_at")?;
        out.insert(
            stage
                .parse()
                .map_err(|e| crate::registry::corrupt("res_incident_reports", e))?,
            Timestamp::from_unix_micros(at).ok_or_else(|| {
                crate::registry::corrupt("res_incident_reports", "time out of range")
            })?,
        );
    }
    Ok(out)
}

fn row_to_parts(row: &sqlx::any::AnyRow) -> Result<(IncidentId, Country, Timestamp, NewIncident)> {
    let w = "res_incidents";
    let id: String = row.try_get("id")?;
    let ms: String = row.try_get("member_state")?;
    let created: i64 = row.try_get("created_at")?;
    let facts: String = row.try_get("facts")?;
    Ok((
        id.parse().map_err(|e| crate::registry::corrupt(w, e))?,
        ms.parse().map_err(|e| crate::registry::corrupt(w, e))?,
        Timestamp::from_unix_micros(created).ok_or_else(|| crate::registry::corrupt(w, "time"))?,
        serde_json::from_str(&facts).map_err(|e| crate::registry::corrupt(w, e))?,
    ))
}

/// The incidents notified in `ms`, newest first, with their clocks at `now`.
pub async fn list(store: &Store, ms: Country, now: Timestamp) -> Result<Vec<IncidentView>> {
    let rows = sqlx::query(
        "SELECT id, member_state, created_at, facts FROM res_incidents WHERE member_state = $1 ORDER BY id DESC",
    )
    .bind(ms.as_str())
    .fetch_all(store.pool())
    .await?;
    let thresholds = crate::thresholds::get(store, ms).await?;
    let mut out = Vec::new();
    for row in rows {
        let (id, ms, created, facts) = row_to_parts(&row)?;
        let submitted = submitted_of(store, id).await?;
        out.push(view(id, ms, created, facts, &submitted, &thresholds, now));
    }
    Ok(out)
}

/// The incidents of `ms` with a stage still awaiting its report (the
/// incident board), newest first, with their clocks at `now`.
pub async fn open(store: &Store, ms: Country, now: Timestamp) -> Result<Vec<IncidentView>> {
    let mut all = list(store, ms, now).await?;
    all.retain(IncidentView::is_open);
    Ok(all)
}

/// One incident of `ms` with its clocks at `now`.
pub async fn get(
    store: &Store,
    ms: Country,
    id: IncidentId,
    now: Timestamp,
) -> Result<IncidentView> {
    let row = sqlx::query(
        "SELECT id, member_state, created_at, facts FROM res_incidents WHERE id = $1 AND member_state = $2",
    )
    .bind(id.to_string())
    .bind(ms.as_str())
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| ResilienceError::NotFound {
        kind: "incident",
        key: id.to_string(),
    })?;
    let (id, ms, created, facts) = row_to_parts(&row)?;
    let submitted = submitted_of(store, id).await?;
    let thresholds = crate::thresholds::get(store, ms).await?;
    Ok(view(id, ms, created, facts, &submitted, &thresholds, now))
}

/// A report submitted for one stage of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageReport {
    /// The stage reported.
    pub stage: Stage,
    /// When it was received (default: now).
    #[serde(default)]
    pub submitted_at: Option<Timestamp>,
}

/// Records that a stage's report was received, stopping its clock. The
/// stage must belong to a regime the incident is notified under, be
/// reported once, and follow its predecessor (CER detailed report after the
/// initial notification; NIS2 final report after the incident notification).
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    store: &Store,
    actor: &Actor,
    ms: Country,
    id: IncidentId,
    report: StageReport,
    reporter: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<IncidentView> {
    let current = get(store, ms, id, now).await?;
    check_reporter(reporter, &current.facts.entity)?;
    let at = report.submitted_at.unwrap_or(now);
    let stage = report.stage;
    let enabled = match stage.regime() {
        Regime::Cer => current.facts.cer,
        Regime::Nis2 => current.facts.nis2,
    };
    if !enabled {
        return Err(ResilienceError::invalid(
            "stage",
            format!("the incident is not notified under {}", stage.regime()),
        ));
    }
    if at > now {
        return Err(ResilienceError::invalid(
            "submitted_at",
            "must not be in the future",
        ));
    }
    if at < current.facts.aware_at {
        return Err(ResilienceError::invalid(
            "submitted_at",
            "must not be before the entity became aware of the incident",
        ));
    }
    let find = |s: Stage| current.clocks.iter().find(|c| c.stage == s);
    if find(stage).is_some_and(|c| c.submitted_at.is_some()) {
        return Err(ResilienceError::invalid(
            "stage",
            format!("{stage} was already submitted"),
        ));
    }
    let predecessor = match stage {
        Stage::DetailedReport => Some(Stage::InitialNotification),
        Stage::FinalReport => Some(Stage::IncidentNotification),
        _ => None,
    };
    if let Some(p) = predecessor {
        match find(p).and_then(|c| c.submitted_at) {
            None => {
                return Err(ResilienceError::invalid(
                    "stage",
                    format!("{stage} follows the {p}, which has not been submitted"),
                ));
            }
            Some(t) if at < t => {
                return Err(ResilienceError::invalid(
                    "submitted_at",
                    format!("must not be before the {p}"),
                ));
            }
            _ => {}
        }
    }
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO res_incident_reports (incident_id, regime, stage, submitted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id.to_string())
    .bind(stage.regime().as_str())
    .bind(stage.as_str())
    .bind(at.unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "resilience.incident.stage",
            format!("incident:{id}"),
            purpose,
        )
        .with_details(serde_json::json!({"stage": stage.as_str(), "submitted_at": at.to_string()})),
    )
    .await?;
    get(store, ms, id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cer_art_15_time_left_runs_negative_once_overdue_and_stops_when_submitted() {
        let aware: Timestamp = "2027-03-10T08:00:00Z".parse().unwrap();
        let now: Timestamp = "2027-03-11T10:00:00Z".parse().unwrap();
        let clocks = cer_clocks(aware, &BTreeMap::new(), now);
        let initial = &clocks[0];
        assert_eq!(initial.stage, Stage::InitialNotification);
        assert_eq!(initial.status, ClockStatus::Overdue);
        assert_eq!(initial.time_left(now), TimeDelta::hours(-2));
        assert!(initial.is_open());
        let submitted = BTreeMap::from([(Stage::InitialNotification, now)]);
        let clocks = cer_clocks(aware, &submitted, now);
        assert!(!clocks[0].is_open());
        assert!(clocks[1].is_open());
    }

    #[test]
    fn one_month_is_a_calendar_month_clamped_to_month_end() {
        let t: Timestamp = "2027-01-31T10:00:00Z".parse().unwrap();
        assert_eq!(plus_one_month(t).to_string(), "2027-02-28T10:00:00.000000Z");
    }
}
