//! The legal basis for scanning: a detection order (proposed CSA
//! Regulation, COM(2022) 209, Arts 7-10) or a declared voluntary-detection
//! basis (interim Regulation (EU) 2021/1232 and its successors).
//!
//! Rule: no scan without an active basis. Every scan calls
//! [`require_active`], which checks the basis's provider, service, content
//! type, status and period at the time of the scan, so expiry ends
//! scanning by itself.

use std::sync::OnceLock;

use chrono::{Months, NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{Country, Id, Timestamp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{DetectionError, Result, corrupt};
use crate::vocab::{BasisKind, BasisStatus, Category, ContentType, Instrument};

/// Marker type of basis ids.
#[derive(Debug)]
pub enum BasisMarker {}
/// The id of a detection basis.
pub type BasisId = Id<BasisMarker>;

/// The upstream match threshold: distance <= 31 (spec detection.md 1.10).
pub const DEFAULT_MAX_DISTANCE: u32 = 31;
/// The upstream quality threshold: keep hashes of quality >= 50.
pub const DEFAULT_MIN_QUALITY: u8 = 50;
/// The largest distance a basis may allow: beyond 48 unrelated images
/// start to match (spec detection.md 6.2).
pub const MAX_ALLOWED_DISTANCE: u32 = 48;

/// How matching is done under a basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchPolicy {
    /// Match when the Hamming distance is at most this (inclusive).
    #[serde(default = "default_distance")]
    pub max_distance: u32,
    /// Match only hashes of at least this quality; lower ones are reported
    /// as `low_quality`, not as "no match".
    #[serde(default = "default_quality")]
    pub min_quality: u8,
    /// Match all 8 dihedral variants (rotations and mirrors).
    #[serde(default = "default_true")]
    pub dihedral: bool,
}

fn default_distance() -> u32 {
    DEFAULT_MAX_DISTANCE
}
fn default_quality() -> u8 {
    DEFAULT_MIN_QUALITY
}
fn default_true() -> bool {
    true
}

impl Default for MatchPolicy {
    fn default() -> Self {
        MatchPolicy {
            max_distance: DEFAULT_MAX_DISTANCE,
            min_quality: DEFAULT_MIN_QUALITY,
            dihedral: true,
        }
    }
}

/// The facts of a detection order (CSA proposal Art. 8(1), Annex I).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderFacts {
    /// The order's reference.
    pub reference: String,
    /// The judicial or independent administrative authority that issued it (Art. 7(1)).
    pub issuing_authority: String,
    /// The Coordinating Authority that requested it.
    pub coordinating_authority: String,
    /// The issuing Member State.
    pub member_state: Country,
    /// When the provider received it: the period is counted from here (Art. 7(9)).
    pub received_at: Timestamp,
    /// The statement of reasons (Art. 8(1)).
    pub statement_of_reasons: String,
    /// The service is an interpersonal communications service (needed for solicitation, Art. 7(7)).
    #[serde(default)]
    pub interpersonal: bool,
}

/// The facts of a voluntary-detection basis (2021/1232 regime).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoluntaryFacts {
    /// The instrument relied on; its applicability window bounds the basis.
    pub instrument: Instrument,
    /// Reference of the data protection impact assessment.
    pub dpia_reference: String,
    /// Reference of the supervisory authority's prior consultation, if any.
    #[serde(default)]
    pub consultation_reference: Option<String>,
    /// The service is end-to-end encrypted: scanning refused under
    /// Regulation (EU) 2026/1881 (spec detection.md 8.2.1, unverified).
    #[serde(default)]
    pub end_to_end_encrypted: bool,
}

/// The facts of a specific measure against terrorist content (TCO Regulation
/// (EU) 2021/784 Art. 5): the decision that the provider is exposed to
/// terrorist content, which the measure answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecificMeasureFacts {
    /// Reference of the competent authority's decision that the provider is
    /// exposed to terrorist content (Art. 5(4)).
    pub exposure_decision: String,
    /// The competent authority of the Member State of main establishment that
    /// took it (Art. 5(4)).
    pub competent_authority: String,
    /// That Member State.
    pub member_state: Country,
    /// When the provider was notified of the decision: the measure applies
    /// from then on.
    pub notified_at: Timestamp,
}

/// A basis as declared or received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBasis {
    /// Order, voluntary basis or specific measure.
    pub kind: BasisKind,
    /// The provider (its organisation name).
    pub provider: String,
    /// The service (and, for orders, the part or component) scanned.
    pub service: String,
    /// Content types covered.
    pub content_types: Vec<ContentType>,
    /// Indicator lists allowed (empty: every imported list).
    #[serde(default)]
    pub lists: Vec<String>,
    /// Matching policy.
    #[serde(default)]
    pub policy: MatchPolicy,
    /// First moment scanning is allowed.
    pub valid_from: Timestamp,
    /// Scanning stops at this moment.
    pub valid_until: Timestamp,
    /// Order facts (kind `order`).
    #[serde(default)]
    pub order: Option<OrderFacts>,
    /// Voluntary facts (kind `voluntary`).
    #[serde(default)]
    pub voluntary: Option<VoluntaryFacts>,
    /// Specific-measure facts (kind `specific_measure`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specific_measure: Option<SpecificMeasureFacts>,
}

/// A stored basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Basis {
    /// Id.
    pub id: BasisId,
    /// Status.
    pub status: BasisStatus,
    /// The facts.
    #[serde(flatten)]
    pub facts: NewBasis,
    /// When it was recorded.
    pub created_at: Timestamp,
}

impl Basis {
    /// Whether scanning is allowed at `now` (status and period).
    pub fn in_force(&self, now: Timestamp) -> bool {
        self.status == BasisStatus::Active
            && self.facts.valid_from <= now
            && now < self.facts.valid_until
    }
}

/// CSA proposal Art. 7(9): the period starts no earlier than 3 months after
/// the provider received the order.
pub const ORDER_START_MIN_MONTHS: u32 = 3;
/// CSA proposal Art. 7(9): ... and no later than 12 months after.
pub const ORDER_START_MAX_MONTHS: u32 = 12;
/// CSA proposal Art. 7(9): at most 24 months for known or new material.
pub const ORDER_MAX_MONTHS: u32 = 24;
/// CSA proposal Art. 7(9): at most 12 months for solicitation.
pub const ORDER_MAX_MONTHS_SOLICITATION: u32 = 12;

fn plus_months(t: Timestamp, m: u32) -> Timestamp {
    t.as_datetime()
        .checked_add_months(Months::new(m))
        .map(Timestamp::from_datetime)
        .unwrap_or(t)
}

fn day(y: i32, m: u32, d: u32) -> Timestamp {
    let date = NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    Timestamp::from_datetime(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The applicability window [start, end) of a voluntary-detection
/// instrument (spec detection.md 8.2.1). Only 2021/1232's dates are
/// confirmed there; the others are marked unverified, so a deployment may
/// override every window through the environment ([`instrument_window`]).
pub fn default_instrument_window(i: Instrument) -> (Timestamp, Timestamp) {
    match i {
        Instrument::R2021_1232 => (day(2021, 8, 2), day(2024, 8, 4)),
        Instrument::R2024_1307 => (day(2024, 8, 4), day(2026, 4, 4)),
        Instrument::R2026_1881 => (day(2026, 7, 31), day(2028, 4, 4)),
    }
}

/// The environment variable that overrides `i`'s window, e.g.
/// `BULWARK_INSTRUMENT_WINDOW_2026_1881`.
pub fn instrument_window_variable(i: Instrument) -> String {
    format!("BULWARK_INSTRUMENT_WINDOW_{}", i.as_str().replace('/', "_"))
}

/// The applicability windows with the deployment's overrides applied: for
/// each instrument, `get(variable)` may give `YYYY-MM-DD/YYYY-MM-DD` (start
/// inclusive, end exclusive, start before end). A value that does not parse
/// is an error naming the variable and the rule, never silently ignored.
pub fn parse_instrument_windows(
    get: impl Fn(&str) -> Option<String>,
) -> Result<Vec<(Instrument, Timestamp, Timestamp)>> {
    let date = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Timestamp::from_datetime(d.and_utc()))
    };
    Instrument::ALL
        .iter()
        .map(|&i| {
            let (start, end) = default_instrument_window(i);
            let var = instrument_window_variable(i);
            let Some(value) = get(&var) else {
                return Ok((i, start, end));
            };
            match value.split_once('/').map(|(a, b)| (date(a), date(b))) {
                Some((Some(a), Some(b))) if a < b => Ok((i, a, b)),
                _ => Err(DetectionError::invalid(
                    var,
                    format!(
                        "`{value}` is not a window: expected YYYY-MM-DD/YYYY-MM-DD with the start before the end"
                    ),
                )),
            }
        })
        .collect()
}

/// The windows in force, read from the environment once per process.
fn configured_windows() -> &'static Result<Vec<(Instrument, Timestamp, Timestamp)>> {
    static WINDOWS: OnceLock<Result<Vec<(Instrument, Timestamp, Timestamp)>>> = OnceLock::new();
    WINDOWS.get_or_init(|| parse_instrument_windows(|var| std::env::var(var).ok()))
}

/// Checks the deployment's window overrides; `bulwark serve` and `bulwark
/// detect` call it before anything else, so a mistyped override stops the
/// process with the variable named instead of being ignored.
pub fn check_instrument_windows() -> Result<()> {
    match configured_windows() {
        Ok(_) => Ok(()),
        Err(DetectionError::Invalid { field, rule }) => {
            Err(DetectionError::invalid(field.clone(), rule.clone()))
        }
        Err(e) => Err(DetectionError::invalid("instrument windows", e.to_string())),
    }
}

/// The window in force for `i`: the deployment's override (environment
/// variable [`instrument_window_variable`], e.g.
/// `BULWARK_INSTRUMENT_WINDOW_2026_1881=2026-07-31/2028-04-04`, read once) or
/// the default. If an override does not parse, every window is empty: no
/// voluntary basis can be created or used (fail closed; see
/// [`check_instrument_windows`]).
pub fn instrument_window(i: Instrument) -> (Timestamp, Timestamp) {
    match configured_windows() {
        Ok(windows) => windows
            .iter()
            .find(|w| w.0 == i)
            .map_or_else(|| default_instrument_window(i), |w| (w.1, w.2)),
        Err(_) => {
            let (start, _) = default_instrument_window(i);
            (start, start)
        }
    }
}

/// Checks a basis against the rules of its kind; every error names its
/// field and cites the rule.
pub fn validate(b: &NewBasis) -> Result<()> {
    if b.provider.trim().is_empty() {
        return Err(DetectionError::invalid("provider", "must not be empty"));
    }
    if b.service.trim().is_empty() {
        return Err(DetectionError::invalid("service", "must not be empty"));
    }
    if b.content_types.is_empty() {
        return Err(DetectionError::invalid(
            "content_types",
            "at least one content type",
        ));
    }
    if b.valid_until <= b.valid_from {
        return Err(DetectionError::invalid(
            "valid_until",
            "must be after valid_from",
        ));
    }
    if b.policy.max_distance > MAX_ALLOWED_DISTANCE {
        return Err(DetectionError::invalid(
            "policy.max_distance",
            format!("at most {MAX_ALLOWED_DISTANCE}"),
        ));
    }
    if b.policy.min_quality > 100 {
        return Err(DetectionError::invalid("policy.min_quality", "0-100"));
    }
    match b.kind {
        BasisKind::Order => {
            let Some(o) = &b.order else {
                return Err(DetectionError::invalid(
                    "order",
                    "required for a detection order (CSA proposal Art. 8(1))",
                ));
            };
            if b.voluntary.is_some() {
                return Err(DetectionError::invalid(
                    "voluntary",
                    "not allowed on a detection order",
                ));
            }
            if b.specific_measure.is_some() {
                return Err(DetectionError::invalid(
                    "specific_measure",
                    "not allowed on a detection order",
                ));
            }
            for (f, v) in [
                ("order.reference", &o.reference),
                ("order.issuing_authority", &o.issuing_authority),
                ("order.coordinating_authority", &o.coordinating_authority),
                ("order.statement_of_reasons", &o.statement_of_reasons),
            ] {
                if v.trim().is_empty() {
                    return Err(DetectionError::invalid(
                        f,
                        "must not be empty (CSA proposal Art. 8(1))",
                    ));
                }
            }
            let earliest = plus_months(o.received_at, ORDER_START_MIN_MONTHS);
            let latest = plus_months(o.received_at, ORDER_START_MAX_MONTHS);
            if b.valid_from < earliest || b.valid_from > latest {
                return Err(DetectionError::invalid(
                    "valid_from",
                    "CSA proposal Art. 7(9): the period starts no earlier than 3 and no later than 12 months after the provider received the order",
                ));
            }
            let solicitation = b.content_types.contains(&ContentType::Solicitation);
            let max = if solicitation {
                ORDER_MAX_MONTHS_SOLICITATION
            } else {
                ORDER_MAX_MONTHS
            };
            if b.valid_until > plus_months(b.valid_from, max) {
                return Err(DetectionError::invalid(
                    "valid_until",
                    format!(
                        "CSA proposal Art. 7(9): an order {} lasts at most {max} months",
                        if solicitation {
                            "covering solicitation"
                        } else {
                            "for known or new material"
                        }
                    ),
                ));
            }
            if solicitation && !o.interpersonal {
                return Err(DetectionError::invalid(
                    "content_types",
                    "CSA proposal Art. 7(7): solicitation orders only for interpersonal communications services",
                ));
            }
        }
        BasisKind::Voluntary => {
            let Some(v) = &b.voluntary else {
                return Err(DetectionError::invalid(
                    "voluntary",
                    "required for a voluntary basis: instrument and DPIA reference",
                ));
            };
            if b.order.is_some() {
                return Err(DetectionError::invalid(
                    "order",
                    "not allowed on a voluntary basis",
                ));
            }
            if b.specific_measure.is_some() {
                return Err(DetectionError::invalid(
                    "specific_measure",
                    "not allowed on a voluntary basis",
                ));
            }
            if v.dpia_reference.trim().is_empty() {
                return Err(DetectionError::invalid(
                    "voluntary.dpia_reference",
                    "must not be empty (Regulation (EU) 2021/1232 Art. 3(1)(c))",
                ));
            }
            let (start, end) = instrument_window(v.instrument);
            if b.valid_from < start || b.valid_until > end {
                return Err(DetectionError::invalid(
                    "valid_until",
                    format!(
                        "Regulation (EU) {} applies from {} to {}: the basis must lie within",
                        v.instrument,
                        start.to_rfc3339(),
                        end.to_rfc3339()
                    ),
                ));
            }
        }
        BasisKind::SpecificMeasure => validate_specific_measure(b)?,
    }
    Ok(())
}

/// The rules of a specific measure (TCO Regulation (EU) 2021/784 Art. 5).
fn validate_specific_measure(b: &NewBasis) -> Result<()> {
    let Some(m) = &b.specific_measure else {
        return Err(DetectionError::invalid(
            "specific_measure",
            "required for a specific measure: the decision that the provider is exposed to \
             terrorist content (TCO Regulation Art. 5(4))",
        ));
    };
    for (field, present) in [
        ("order", b.order.is_some()),
        ("voluntary", b.voluntary.is_some()),
    ] {
        if present {
            return Err(DetectionError::invalid(
                field,
                "not allowed on a specific measure",
            ));
        }
    }
    for (f, v) in [
        ("specific_measure.exposure_decision", &m.exposure_decision),
        (
            "specific_measure.competent_authority",
            &m.competent_authority,
        ),
    ] {
        if v.trim().is_empty() {
            return Err(DetectionError::invalid(
                f,
                "must not be empty (TCO Regulation Art. 5(4))",
            ));
        }
    }
    if b.valid_from < m.notified_at {
        return Err(DetectionError::invalid(
            "valid_from",
            "TCO Regulation Art. 5(2), (4): a specific measure answers the decision that the \
             provider is exposed, so it applies no earlier than the provider was notified of it",
        ));
    }
    if b.content_types != [ContentType::Known] {
        return Err(DetectionError::invalid(
            "content_types",
            "TCO Regulation Art. 5(2): a specific measure here identifies known terrorist \
             content by its indicators; `content_types` must be [\"known\"]",
        ));
    }
    Ok(())
}

/// Records a basis (a received order, or a declared voluntary basis) as active.
pub async fn create(
    store: &Store,
    actor: &Actor,
    basis: NewBasis,
    now: Timestamp,
    purpose: &str,
) -> Result<Basis> {
    validate(&basis)?;
    let id = BasisId::new();
    let facts = serde_json::to_string(&basis)
        .map_err(|e| DetectionError::invalid("(body)", e.to_string()))?;
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO det_bases (id, kind, provider, service, status, valid_from, valid_until, facts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $8)",
    )
    .bind(id.to_string())
    .bind(basis.kind.as_str())
    .bind(&basis.provider)
    .bind(&basis.service)
    .bind(basis.valid_from.unix_micros())
    .bind(basis.valid_until.unix_micros())
    .bind(&facts)
    .bind(now.unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new("detection.basis.create", format!("basis:{id}"), purpose).with_details(
            serde_json::json!({
                "kind": basis.kind.as_str(),
                "provider": basis.provider,
                "service": basis.service,
                "valid_from": basis.valid_from,
                "valid_until": basis.valid_until,
            }),
        ),
    )
    .await?;
    Ok(Basis {
        id,
        status: BasisStatus::Active,
        facts: basis,
        created_at: now,
    })
}

fn row_to_basis(r: &sqlx::any::AnyRow) -> Result<Basis> {
    let w = "det_bases";
    let id: String = r.try_get("id")?;
    let status: String = r.try_get("status")?;
    let facts: String = r.try_get("facts")?;
    let created: i64 = r.try_get("created_at")?;
    Ok(Basis {
        id: id.parse().map_err(|e| corrupt(w, e))?,
        status: status.parse().map_err(|e| corrupt(w, e))?,
        facts: serde_json::from_str(&facts).map_err(|e| corrupt(w, e))?,
        created_at: Timestamp::from_unix_micros(created).ok_or_else(|| corrupt(w, "time"))?,
    })
}

/// The bases, newest first; only `provider`'s when given.
pub async fn list(store: &Store, provider: Option<&str>) -> Result<Vec<Basis>> {
    let rows = match provider {
        Some(p) => {
            sqlx::query("SELECT id, status, facts, created_at FROM det_bases WHERE provider = $1 ORDER BY id DESC")
                .bind(p)
                .fetch_all(store.pool())
                .await?
        }
        None => {
            sqlx::query("SELECT id, status, facts, created_at FROM det_bases ORDER BY id DESC")
                .fetch_all(store.pool())
                .await?
        }
    };
    rows.iter().map(row_to_basis).collect()
}

/// One basis; `provider`, when given, must own it.
pub async fn get(store: &Store, id: BasisId, provider: Option<&str>) -> Result<Basis> {
    let r =
        sqlx::query("SELECT id, provider, status, facts, created_at FROM det_bases WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(store.pool())
            .await?;
    let not_found = || DetectionError::NotFound {
        kind: "basis",
        key: id.to_string(),
    };
    let r = r.ok_or_else(not_found)?;
    let owner: String = r.try_get("provider")?;
    if provider.is_some_and(|p| p != owner) {
        return Err(not_found());
    }
    row_to_basis(&r)
}

/// Changes a basis's status (suspend, revoke, reactivate).
pub async fn set_status(
    store: &Store,
    actor: &Actor,
    id: BasisId,
    status: BasisStatus,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<Basis> {
    let current = get(store, id, provider).await?;
    if current.status == BasisStatus::Revoked {
        return Err(DetectionError::Conflict(
            "a revoked basis stays revoked".into(),
        ));
    }
    if status == BasisStatus::Received {
        return Err(DetectionError::invalid(
            "status",
            "`active`, `suspended` or `revoked`",
        ));
    }
    // A provider may stop scanning under an order at any time, but only the
    // issuing side reactivates or revokes it (CSA proposal Art. 9(4)).
    if provider.is_some()
        && current.facts.kind == BasisKind::Order
        && status != BasisStatus::Suspended
    {
        return Err(DetectionError::Refused(
            "a provider may only suspend a detection order; the authority reactivates or revokes it"
                .into(),
        ));
    }
    let mut tx = store.write().await?;
    sqlx::query("UPDATE det_bases SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now.unix_micros())
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    tx.commit(
        actor,
        AuditEntry::new("detection.basis.status", format!("basis:{id}"), purpose).with_details(
            serde_json::json!({ "from": current.status.as_str(), "to": status.as_str() }),
        ),
    )
    .await?;
    get(store, id, provider).await
}

/// The check every scan makes: the basis exists and belongs to `provider`,
/// is active and within its period at `now`, covers known material and,
/// when given, the `service` scanned; a voluntary basis on an end-to-end
/// encrypted service is refused. Returns the basis to scan under.
pub async fn require_active(
    store: &Store,
    id: BasisId,
    provider: &str,
    service: Option<&str>,
    now: Timestamp,
) -> Result<Basis> {
    let b = match get(store, id, Some(provider)).await {
        Ok(b) => b,
        Err(DetectionError::NotFound { .. }) => {
            return Err(DetectionError::Refused(format!(
                "no basis {id} for provider `{provider}`: scanning needs a detection order or a declared voluntary basis"
            )));
        }
        Err(e) => return Err(e),
    };
    check_in_force(&b, service, now)?;
    Ok(b)
}

/// The rules of [`require_active`] on a basis already loaded.
pub fn check_in_force(b: &Basis, service: Option<&str>, now: Timestamp) -> Result<()> {
    if b.status != BasisStatus::Active {
        return Err(DetectionError::Refused(format!(
            "basis {} is {}",
            b.id, b.status
        )));
    }
    if now < b.facts.valid_from {
        return Err(DetectionError::Refused(format!(
            "basis {} applies from {}",
            b.id,
            b.facts.valid_from.to_rfc3339()
        )));
    }
    if now >= b.facts.valid_until {
        return Err(DetectionError::Refused(format!(
            "basis {} expired at {}",
            b.id,
            b.facts.valid_until.to_rfc3339()
        )));
    }
    if !b.facts.content_types.contains(&ContentType::Known) {
        return Err(DetectionError::Refused(format!(
            "basis {} does not cover known material (CSA proposal Art. 10(1))",
            b.id
        )));
    }
    if let Some(s) = service
        && s != b.facts.service
    {
        return Err(DetectionError::Refused(format!(
            "basis {} covers service `{}`, not `{s}` (CSA proposal Art. 7(8))",
            b.id, b.facts.service
        )));
    }
    if let Some(v) = &b.facts.voluntary {
        if v.end_to_end_encrypted && v.instrument == Instrument::R2026_1881 {
            return Err(DetectionError::Refused(
                "Regulation (EU) 2026/1881 excludes end-to-end encrypted services".into(),
            ));
        }
        let (start, end) = instrument_window(v.instrument);
        if now < start || now >= end {
            return Err(DetectionError::Refused(format!(
                "Regulation (EU) {} does not apply at this time",
                v.instrument
            )));
        }
    }
    Ok(())
}

/// Whether indicators of `category` may be matched under a basis of `kind`.
/// Orders and voluntary bases concern child sexual abuse only: a detection
/// order executes with the EU Centre's indicators of child sexual abuse
/// (CSA proposal Art. 10(1), Art. 44(1)(a)); voluntary detection is a
/// derogation for combating child sexual abuse online (Regulation (EU)
/// 2021/1232 Art. 1). Terrorist content is detected only under a specific
/// measure of a provider exposed to it (TCO Regulation (EU) 2021/784 Art.
/// 5(2)), which in turn covers terrorist content only.
pub fn covers_category(kind: BasisKind, category: Category) -> bool {
    match kind {
        BasisKind::Order | BasisKind::Voluntary => {
            matches!(category, Category::Csam | Category::Test)
        }
        BasisKind::SpecificMeasure => matches!(category, Category::Terrorist | Category::Test),
    }
}

/// A convenience for demos and tests: a voluntary basis under the instrument
/// in force at `now`, for `days` days (cut at the instrument's end).
pub fn demo_voluntary(
    provider: &str,
    service: &str,
    now: Timestamp,
    days: i64,
) -> Option<NewBasis> {
    let instrument = Instrument::ALL.iter().copied().find(|i| {
        let (s, e) = instrument_window(*i);
        s <= now && now < e
    })?;
    let (_, end) = instrument_window(instrument);
    let until = now.plus(TimeDelta::days(days));
    Some(NewBasis {
        kind: BasisKind::Voluntary,
        provider: provider.into(),
        service: service.into(),
        content_types: vec![ContentType::Known],
        lists: vec![],
        policy: MatchPolicy::default(),
        valid_from: now.plus(TimeDelta::hours(-1)),
        valid_until: if until < end { until } else { end },
        order: None,
        specific_measure: None,
        voluntary: Some(VoluntaryFacts {
            instrument,
            dpia_reference: "DPIA-DEMO-1".into(),
            consultation_reference: None,
            end_to_end_encrypted: false,
        }),
    })
}

/// The bases in memory, for the scan path: [`BasisCache::require_active`]
/// answers like [`require_active`] without a database read once a basis
/// has been read. The cache is only a first check: the status that counts
/// is re-read inside the transaction that records the scans
/// ([`crate::recorder::record_batch`]), which also refreshes the cached
/// status, so a change made by another process is honoured at the latest
/// by the next recording. The server also drops an entry after each basis
/// write it makes ([`BasisCache::invalidate`]).
#[derive(Debug, Default)]
pub struct BasisCache {
    map: std::sync::RwLock<std::collections::HashMap<BasisId, Basis>>,
}

impl BasisCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// As [`require_active`], reading the basis from the store only when
    /// it is not cached.
    pub async fn require_active(
        &self,
        store: &Store,
        id: BasisId,
        provider: &str,
        service: Option<&str>,
        now: Timestamp,
    ) -> Result<Basis> {
        let cached = self
            .map
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned();
        let b = match cached {
            Some(b) => b,
            None => match get(store, id, None).await {
                Ok(b) => {
                    self.map
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(id, b.clone());
                    b
                }
                Err(DetectionError::NotFound { .. }) => return Err(no_basis(id, provider)),
                Err(e) => return Err(e),
            },
        };
        if b.facts.provider != provider {
            return Err(no_basis(id, provider));
        }
        check_in_force(&b, service, now)?;
        Ok(b)
    }

    /// Forgets basis `id` (after a write to it).
    pub fn invalidate(&self, id: BasisId) {
        self.map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
    }

    /// Records the status read inside a recording transaction.
    pub fn set_status(&self, id: BasisId, status: BasisStatus) {
        if let Some(b) = self
            .map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(&id)
        {
            b.status = status;
        }
    }
}

fn no_basis(id: BasisId, provider: &str) -> DetectionError {
    DetectionError::Refused(format!(
        "no basis {id} for provider `{provider}`: scanning needs a detection order or a declared voluntary basis"
    ))
}
