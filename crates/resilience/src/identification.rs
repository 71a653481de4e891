//! Identification of critical entities: the three cumulative tests of CER
//! Art. 6(2), the six significant-disruptive-effect criteria of Art. 7(1)
//! with national thresholds ([`crate::thresholds`]), the Art. 8 carve-out
//! and the six-Member-State test for critical entities of particular
//! European significance (Art. 17(1)).
//!
//! Every result explains itself: each test and criterion says whether it
//! holds, with the number computed from the registry and the threshold it
//! was compared with.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use bulwark_core::{Country, Sector};
use bulwark_store::Store;

use crate::error::Result;
use crate::registry::{AssetRecord, DependencyRecord, EntityRecord, ProvisionRecord};
use crate::thresholds::Thresholds;

/// The number of Member States from which an entity is of particular
/// European significance (CER Art. 17(1)(b)) and from which an incident is
/// notified to the Commission (Art. 15(1)). Fixed by the Directive.
pub const SIX_MEMBER_STATES: usize = 6;

/// One of the three cumulative tests of CER Art. 6(2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TestResult {
    /// The provision, e.g. `CER Art. 6(2)(a)`.
    pub article: String,
    /// Whether the test holds.
    pub passed: bool,
    /// Why, with the facts used.
    pub explanation: String,
}

/// One criterion of CER Art. 7(1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CriterionResult {
    /// The provision, e.g. `CER Art. 7(1)(a)`.
    pub article: String,
    /// What it measures.
    pub criterion: String,
    /// Whether it fired (indicates a significant disruptive effect).
    pub fired: bool,
    /// The value computed from the registry.
    pub value: f64,
    /// The national threshold it was compared with.
    pub threshold: f64,
    /// Why, with the numbers.
    pub explanation: String,
}

/// The six-Member-State test of CER Art. 17(1)(b).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CepesResult {
    /// The service provided to or in the most Member States.
    pub service: Option<String>,
    /// Those Member States.
    pub member_states: Vec<Country>,
    /// Whether the service reaches six or more Member States.
    pub six_or_more: bool,
    /// Whether the entity is a CEPES candidate: identified as critical and
    /// six or more Member States (Art. 17(1)(a)-(b)); it becomes a CEPES
    /// only on the Commission's notification (Art. 17(1)(c), 17(3)).
    pub candidate: bool,
}

/// A stored simulation run's figure for CER Art. 7(1)(c) in one Member
/// State: how long an incident's disruption lasts there according to the
/// cascading-disruption simulation, used instead of the national
/// `assumed_outage_hours` placeholder (see [`crate::simulations::outage_in`]).
///
/// The registry's entities are not nodes of the European model, so the
/// simulation gives no user-hours per registry entity; it gives per
/// Member State the mean duration of the most disrupted essential service.
/// Art. 7(1)(c) then takes the degree from the registry (users without a
/// substitute) and the duration from the simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SimulatedOutage {
    /// Hours: the mean over the run's samples of the disruption of the
    /// Member State's most disrupted essential service.
    pub hours: f64,
    /// The stored run's id.
    pub run: String,
    /// The run's scenario id.
    pub scenario: String,
}

/// The outcome of identifying one entity in one Member State.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Identification {
    /// The entity's key.
    pub entity: String,
    /// The identifying Member State.
    pub member_state: Country,
    /// The three tests of Art. 6(2), (a) to (c).
    pub tests: Vec<TestResult>,
    /// The six criteria of Art. 7(1), (a) to (f).
    pub criteria: Vec<CriterionResult>,
    /// How many criteria fired.
    pub criteria_fired: u32,
    /// Whether all three Art. 6(2) tests hold: the entity is to be identified as critical.
    pub critical: bool,
    /// CER Art. 8: false for banking, financial market infrastructure and
    /// digital infrastructure, where Art. 11 and Chapters III, IV and VI do
    /// not apply (unless national law says otherwise).
    pub chapter_iii_applies: bool,
    /// Art. 17(1) test.
    pub cepes: CepesResult,
    /// The thresholds applied.
    pub thresholds: Thresholds,
    /// The stored simulation CER Art. 7(1)(c) used, if any (otherwise the
    /// placeholder `thresholds.assumed_outage_hours`).
    #[serde(default)]
    pub simulated_outage: Option<SimulatedOutage>,
}

/// The wording of each provision the identification applies (CER
/// Directive (EU) 2022/2557, abridged), keyed by the `article` of
/// [`TestResult`] and [`CriterionResult`], plus `CER Art. 8` and
/// `CER Art. 17(1)`: what a reader of a result needs next to the numbers.
pub const PROVISIONS: [(&str, &str); 11] = [
    (
        "CER Art. 6(2)(a)",
        "the entity provides one or more essential services",
    ),
    (
        "CER Art. 6(2)(b)",
        "the entity operates, and its critical infrastructure is located, on the territory of that Member State",
    ),
    (
        "CER Art. 6(2)(c)",
        "an incident would have significant disruptive effects, as determined in accordance with Article 7(1), on the provision by the entity of one or more essential services or on the provision of other essential services in the sectors of the Annex that depend on it",
    ),
    (
        "CER Art. 7(1)(a)",
        "the number of users relying on the essential service provided by the entity concerned",
    ),
    (
        "CER Art. 7(1)(b)",
        "the extent to which other sectors and subsectors as set out in the Annex depend on the essential service in question",
    ),
    (
        "CER Art. 7(1)(c)",
        "the impacts that incidents could have, in terms of degree and duration, on economic and societal activities, the environment, public safety and security, or the health of the population",
    ),
    (
        "CER Art. 7(1)(d)",
        "the entity's market share in the market for the essential service or essential services concerned",
    ),
    (
        "CER Art. 7(1)(e)",
        "the geographic area that could be affected by an incident, including any cross-border impacts, taking into account the vulnerability associated with the degree of isolation of certain types of geographic areas, such as insular regions, remote regions or mountainous areas",
    ),
    (
        "CER Art. 7(1)(f)",
        "the importance of the entity in maintaining a sufficient level of the essential service, taking into account the availability of alternative means for the provision of that essential service",
    ),
    (
        "CER Art. 8",
        "Article 11 and Chapters III, IV and VI do not apply to critical entities identified in the banking, financial market infrastructure and digital infrastructure sectors, unless national law provides otherwise",
    ),
    (
        "CER Art. 17(1)",
        "a critical entity of particular European significance is one identified as critical that provides the same or similar essential services to or in six or more Member States, once the Commission has notified it",
    ),
];

/// The wording of a provision listed in [`PROVISIONS`], if it is one.
pub fn provision_text(article: &str) -> Option<&'static str> {
    PROVISIONS
        .iter()
        .find(|(a, _)| *a == article)
        .map(|(_, text)| *text)
}

fn fmt_int(v: f64) -> String {
    format!("{:.0}", v)
}

/// Assesses an entity from its registry records (pure; see [`identify`]).
///
/// `dependents` are the dependencies where the entity is the supplier,
/// each with the sector of the dependent entity; `known_service` says
/// whether a service code is an essential service in `ms`; `simulated`
/// is the stored simulation's outage duration in `ms` for CER Art.
/// 7(1)(c), if there is one (a duration that is not a positive finite
/// number counts as none).
#[allow(clippy::too_many_arguments)]
pub fn assess(
    entity: &EntityRecord,
    provisions: &[ProvisionRecord],
    assets: &[AssetRecord],
    dependents: &[(DependencyRecord, Sector)],
    known_service: &dyn Fn(&str) -> bool,
    ms: Country,
    t: &Thresholds,
    simulated: Option<&SimulatedOutage>,
) -> Identification {
    let essential: Vec<&ProvisionRecord> = provisions
        .iter()
        .filter(|p| known_service(&p.service))
        .collect();
    let here: Vec<&ProvisionRecord> = essential
        .iter()
        .copied()
        .filter(|p| p.member_state == ms)
        .collect();
    let assets_here = assets.iter().filter(|a| a.member_state == ms).count();

    // Art. 6(2)(a)
    let services: BTreeSet<&str> = essential.iter().map(|p| p.service.as_str()).collect();
    let test_a = TestResult {
        article: "CER Art. 6(2)(a)".into(),
        passed: !services.is_empty(),
        explanation: if services.is_empty() {
            "provides no essential service of Reg. 2023/2450 or a national addition".into()
        } else {
            format!(
                "provides essential service(s): {}",
                services.iter().copied().collect::<Vec<_>>().join(", ")
            )
        },
    };
    // Art. 6(2)(b)
    let test_b = TestResult {
        article: "CER Art. 6(2)(b)".into(),
        passed: !here.is_empty() && assets_here > 0,
        explanation: format!(
            "{} provision(s) of essential services in {ms}; {assets_here} critical infrastructure asset(s) located in {ms}",
            here.len()
        ),
    };

    // Art. 7(1)(a)
    let users: i64 = here.iter().map(|p| p.users_served).sum();
    let crit_a = CriterionResult {
        article: "CER Art. 7(1)(a)".into(),
        criterion: "users relying on the essential service".into(),
        fired: users >= t.users,
        value: users as f64,
        threshold: t.users as f64,
        explanation: format!("{users} users in {ms} (threshold {})", t.users),
    };
    // Art. 7(1)(b)
    let sectors: BTreeSet<Sector> = dependents
        .iter()
        .map(|(_, s)| *s)
        .filter(|s| *s != entity.sector)
        .collect();
    let crit_b = CriterionResult {
        article: "CER Art. 7(1)(b)".into(),
        criterion: "other Annex sectors depending on the service".into(),
        fired: sectors.len() as u32 >= t.dependent_sectors,
        value: sectors.len() as f64,
        threshold: f64::from(t.dependent_sectors),
        explanation: format!(
            "{} other sector(s) depend on it{} (threshold {})",
            sectors.len(),
            if sectors.is_empty() {
                String::new()
            } else {
                format!(
                    ": {}",
                    sectors
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            t.dependent_sectors
        ),
    };
    // Art. 7(1)(c): degree = users without a substitute (registry),
    // duration = the stored simulation's outage in `ms` when there is one,
    // else the national placeholder.
    let simulated = simulated.filter(|s| s.hours.is_finite() && s.hours > 0.0);
    let hours = simulated.map_or(t.assumed_outage_hours, |s| s.hours);
    let without_substitute: f64 = here
        .iter()
        .map(|p| p.users_served as f64 * (1.0 - p.substitutability))
        .sum();
    let user_hours = without_substitute * hours;
    let source = match simulated {
        Some(s) => format!(
            "simulated duration: {hours:.1} h, the mean disruption of the most disrupted essential service in {ms} in stored simulation run {} (scenario {})",
            s.run, s.scenario
        ),
        None => format!(
            "placeholder duration: an assumed {hours} h outage (no finished simulation run disrupts {ms})"
        ),
    };
    let crit_c = CriterionResult {
        article: "CER Art. 7(1)(c)".into(),
        criterion: "degree and duration of the impact of an incident".into(),
        fired: user_hours >= t.impact_user_hours,
        value: user_hours,
        threshold: t.impact_user_hours,
        explanation: format!(
            "estimated {} user-hours = {} users without substitute x {hours:.1} h; {source} (threshold {})",
            fmt_int(user_hours),
            fmt_int(without_substitute),
            fmt_int(t.impact_user_hours)
        ),
    };
    // Art. 7(1)(d)
    let share = here.iter().map(|p| p.market_share).fold(0.0, f64::max);
    let crit_d = CriterionResult {
        article: "CER Art. 7(1)(d)".into(),
        criterion: "market share".into(),
        fired: !here.is_empty() && share >= t.market_share,
        value: share,
        threshold: t.market_share,
        explanation: format!(
            "largest market share in {ms}: {:.1} % (threshold {:.1} %)",
            share * 100.0,
            t.market_share * 100.0
        ),
    };
    // Art. 7(1)(e)
    let regions: BTreeSet<&str> = here.iter().map(|p| p.region.as_str()).collect();
    let abroad: BTreeSet<Country> = here
        .iter()
        .flat_map(|p| p.served_states.iter().copied())
        .filter(|c| *c != ms)
        .collect();
    let isolated = here.iter().any(|p| p.isolated_area);
    let mut reasons = vec![format!(
        "{} region(s) served (threshold {})",
        regions.len(),
        t.regions
    )];
    if !abroad.is_empty() {
        reasons.push(format!(
            "cross-border: also serves {}{}",
            abroad
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if t.cross_border_fires {
                ""
            } else {
                " (not counted nationally)"
            }
        ));
    }
    if isolated {
        reasons.push(format!(
            "serves an isolated area{}",
            if t.isolated_area_fires {
                ""
            } else {
                " (not counted nationally)"
            }
        ));
    }
    let crit_e = CriterionResult {
        article: "CER Art. 7(1)(e)".into(),
        criterion: "geographic area, cross-border impact, isolated areas".into(),
        fired: regions.len() as u32 >= t.regions
            || (!abroad.is_empty() && t.cross_border_fires)
            || (isolated && t.isolated_area_fires),
        value: regions.len() as f64,
        threshold: f64::from(t.regions),
        explanation: reasons.join("; "),
    };
    // Art. 7(1)(f)
    let subst = here.iter().map(|p| p.substitutability).fold(1.0, f64::min);
    let crit_f = CriterionResult {
        article: "CER Art. 7(1)(f)".into(),
        criterion: "importance for a sufficient level of the service; alternatives".into(),
        fired: !here.is_empty() && subst <= t.substitutability,
        value: subst,
        threshold: t.substitutability,
        explanation: format!(
            "lowest substitutability in {ms}: {:.0} % of demand could be taken over (fires at or below {:.0} %)",
            subst * 100.0,
            t.substitutability * 100.0
        ),
    };
    let criteria = vec![crit_a, crit_b, crit_c, crit_d, crit_e, crit_f];
    let fired = criteria.iter().filter(|c| c.fired).count() as u32;
    let test_c = TestResult {
        article: "CER Art. 6(2)(c)".into(),
        passed: fired >= t.min_criteria,
        explanation: format!(
            "{fired} of 6 Art. 7(1) criteria fired ({}); {} needed for a significant disruptive effect",
            criteria
                .iter()
                .filter(|c| c.fired)
                .map(|c| c.article.trim_start_matches("CER Art. "))
                .collect::<Vec<_>>()
                .join(", "),
            t.min_criteria
        ),
    };
    let tests = vec![test_a, test_b, test_c];
    let critical = tests.iter().all(|t| t.passed);

    // Art. 17(1)(b): Member States each service is provided to or in.
    let mut per_service: BTreeMap<&str, BTreeSet<Country>> = BTreeMap::new();
    for p in &essential {
        let set = per_service.entry(p.service.as_str()).or_default();
        set.insert(p.member_state);
        set.extend(
            p.served_states
                .iter()
                .copied()
                .filter(|c| c.is_member_state()),
        );
    }
    let best = per_service.into_iter().max_by_key(|(_, s)| s.len());
    let (service, states) = match best {
        Some((s, set)) => (Some(s.to_string()), set.into_iter().collect::<Vec<_>>()),
        None => (None, Vec::new()),
    };
    let six = states.len() >= SIX_MEMBER_STATES;
    Identification {
        entity: entity.key.clone(),
        member_state: ms,
        tests,
        criteria,
        criteria_fired: fired,
        critical,
        chapter_iii_applies: !matches!(
            entity.sector,
            Sector::Banking | Sector::FinancialMarketInfrastructure | Sector::DigitalInfrastructure
        ),
        cepes: CepesResult {
            service,
            member_states: states,
            six_or_more: six,
            candidate: six && critical,
        },
        thresholds: t.clone(),
        simulated_outage: simulated.cloned(),
    }
}

/// Identifies entity `key` of `ms` from the registry, `ms`'s thresholds
/// and, for CER Art. 7(1)(c), the stored simulation runs
/// ([`crate::simulations::outage_in`]).
pub async fn identify(store: &Store, ms: Country, key: &str) -> Result<Identification> {
    let outage = crate::simulations::outage_in(store, ms).await?;
    identify_with(store, ms, key, outage.as_ref()).await
}

/// [`identify`] with the Art. 7(1)(c) simulation figure already looked
/// up (once for many entities of one Member State).
pub async fn identify_with(
    store: &Store,
    ms: Country,
    key: &str,
    outage: Option<&SimulatedOutage>,
) -> Result<Identification> {
    let entity = crate::registry::get_entity(store, Some(ms), key).await?;
    let provisions = crate::registry::provisions_of(store, key).await?;
    let assets = crate::registry::assets_of(store, key).await?;
    let states = crate::registry::entity_states(store).await?;
    let dependents: Vec<(DependencyRecord, Sector)> = crate::registry::dependencies_of(store, key)
        .await?
        .into_iter()
        .filter(|d| d.supplier == key)
        .filter_map(|d| {
            let sector = states.get(&d.dependent).map(|(_, s)| *s)?;
            Some((d, sector))
        })
        .collect();
    let catalogue = crate::services::catalogue(store, Some(ms)).await?;
    let known = |code: &str| catalogue.iter().any(|s| s.code == code);
    let thresholds = crate::thresholds::get(store, ms).await?;
    Ok(assess(
        &entity.record,
        &provisions,
        &assets,
        &dependents,
        &known,
        ms,
        &thresholds,
        outage,
    ))
}
