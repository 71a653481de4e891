//! # bulwark-assessment
//!
//! The Member State risk assessment of the CER Directive (EU) 2022/2557,
//! Art. 5, computed on the European cascade model (`bulwark-europe`) with
//! the Monte Carlo engine (`bulwark-cascade`), and rendered as one
//! self-contained, printable HTML report with inline SVG plots.
//!
//! [`assess`] runs every scenario of the library ([`bulwark_europe::CATALOGUE`])
//! with the Member State as the focus of the run and returns an
//! [`Assessment`] (plain data, serde); [`render_html`] turns it into the
//! report. Both are pure: no I/O, no database, no HTTP, no clock. The same
//! model, configuration and seed give the same bytes.
//!
//! ## Definitions
//!
//! * **User-hours** in the Member State: users of an essential service × hours
//!   without it, summed over services (a person-service measure).
//! * **Peak people affected**: the largest number of distinct people who
//!   lost at least one essential service at the same time (see
//!   `bulwark_cascade`, "people affected"); never above the population.
//! * **Significant impact** on the Member State: peak people affected at or
//!   above [`bulwark_cascade::SimConfig::significant_users`] (default 10 000;
//!   national thresholds are configuration, CER Art. 7(1)).
//! * **Likelihood** of a scenario for the Member State: the annual frequency
//!   of an event that has a significant impact on it, λ × P(significant |
//!   event), with λ from the [`LikelihoodTable`].
//! * **Impact** of a scenario: mean user-hours in the Member State per
//!   inhabitant over the events that significantly affect it.
//! * **Exceedance**: annual frequency of events whose user-hours in the
//!   Member State exceed a level, Σ over scenarios of λ · P(user-hours > x),
//!   events of different scenarios being independent Poisson processes; the
//!   annual exceedance probability is 1 − exp(−frequency).

mod html;
mod plots;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use bulwark_cascade::{
    CascadeError, CompiledModel, CompiledScenario, HazardClass, SimConfig, SimulationResult,
};
use bulwark_europe::{CATALOGUE, EuropeError, EuropeModel};

pub use html::render_html;

/// Errors of an assessment. Messages name the value and the rule; front
/// ends add the name of their option or field.
#[derive(Debug, thiserror::Error)]
pub enum AssessmentError {
    /// The Member State code is not an EU Member State or not in the model.
    #[error("{0}")]
    MemberState(String),
    /// The number of samples is not usable.
    #[error("{0}")]
    Samples(String),
    /// A likelihood entry is unusable.
    #[error("{0}")]
    Likelihood(String),
    /// The European model or a scenario could not be built.
    #[error(transparent)]
    Europe(#[from] EuropeError),
    /// The engine rejected the model, a scenario or the configuration.
    #[error(transparent)]
    Cascade(#[from] CascadeError),
    /// A plot could not be drawn.
    #[error("plot {plot}: {message}")]
    Plot {
        /// Which plot.
        plot: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// Where an annual frequency comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LikelihoodEntry {
    /// Annual frequency λ of the scenario's event (events per year), ≥ 0.
    pub annual_frequency: f64,
    /// Source of the figure, shown in the report.
    pub source: String,
}

/// Annual frequencies per scenario id (configurable; CER Art. 5 leaves the
/// method to the Member State).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LikelihoodTable {
    /// Entries by scenario id.
    pub entries: BTreeMap<String, LikelihoodEntry>,
}

/// Default annual frequencies for the catalogue scenarios that carry none.
/// None of these is sourced in the specification: all are Bulwark
/// assumptions to be replaced by the Member State's own figures (CLI:
/// `--likelihood FILE`).
pub const DEFAULT_UNSOURCED_FREQUENCIES: [(&str, f64); 5] = [
    // Large system splits: Italy 2003, UCTE 2006, Iberia 2025 (spec §4.4) —
    // a few in ~25 years across the European grid [assumption].
    ("iberia-2025-system-split", 0.05),
    ("sabotage-top10-interconnectors", 0.02),
    ("sabotage-top20-substations", 0.01),
    ("cyber-cloud-provider", 0.1),
    ("hybrid-baltic", 0.05),
];

impl LikelihoodTable {
    /// The catalogue's annual frequencies where a scenario has one (source
    /// "scenario catalogue"), else [`DEFAULT_UNSOURCED_FREQUENCIES`] (source
    /// "Bulwark default [assumption]"); a scenario with neither gets 0.
    pub fn defaults(em: &EuropeModel) -> LikelihoodTable {
        let mut entries = BTreeMap::new();
        for info in CATALOGUE.iter() {
            let catalogue = bulwark_europe::scenario(em, info.id).and_then(|s| s.annual_frequency);
            let entry = match catalogue {
                Some(l) => LikelihoodEntry {
                    annual_frequency: l,
                    source: "scenario catalogue (bulwark-europe) [assumption]".into(),
                },
                None => {
                    let l = DEFAULT_UNSOURCED_FREQUENCIES
                        .iter()
                        .find(|(id, _)| *id == info.id)
                        .map_or(0.0, |(_, l)| *l);
                    LikelihoodEntry {
                        annual_frequency: l,
                        source: "Bulwark default [assumption]".into(),
                    }
                }
            };
            entries.insert(info.id.to_string(), entry);
        }
        LikelihoodTable { entries }
    }

    /// Overrides entries with `(scenario id, annual frequency)` pairs given
    /// by the user (source "configured"). Unknown ids and frequencies that
    /// are negative or not finite are refused, naming the entry.
    pub fn with_overrides(
        mut self,
        overrides: &BTreeMap<String, f64>,
    ) -> Result<Self, AssessmentError> {
        for (id, &l) in overrides {
            if !CATALOGUE.iter().any(|s| s.id == id) {
                let ids: Vec<&str> = CATALOGUE.iter().map(|s| s.id).collect();
                return Err(AssessmentError::Likelihood(format!(
                    "{id:?}: unknown scenario id; expected one of {}",
                    ids.join(", ")
                )));
            }
            if !(l.is_finite() && l >= 0.0) {
                return Err(AssessmentError::Likelihood(format!(
                    "{id:?}: annual frequency {l} must be a finite number >= 0"
                )));
            }
            self.entries.insert(
                id.clone(),
                LikelihoodEntry {
                    annual_frequency: l,
                    source: "configured".into(),
                },
            );
        }
        Ok(self)
    }

    fn frequency(&self, id: &str) -> f64 {
        self.entries.get(id).map_or(0.0, |e| e.annual_frequency)
    }
}

/// Class boundaries of the risk matrix (five classes each). Values are
/// Bulwark defaults [assumption], to be set by the Member State.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixClasses {
    /// Lower bounds of likelihood classes 2..=5 in events with significant
    /// impact per year (class 1 is below the first bound).
    pub likelihood_bounds: [f64; 4],
    /// Names of likelihood classes 1..=5.
    pub likelihood_names: [String; 5],
    /// Lower bounds of impact classes 2..=5 in user-hours per inhabitant per
    /// event (class 1 is below the first bound).
    pub impact_bounds: [f64; 4],
    /// Names of impact classes 1..=5.
    pub impact_names: [String; 5],
}

impl Default for MatrixClasses {
    fn default() -> Self {
        MatrixClasses {
            likelihood_bounds: [0.01, 0.03, 0.1, 0.3],
            likelihood_names: [
                "rare (< 1 in 100 years)".into(),
                "unlikely (1 in 100 to 1 in 33 years)".into(),
                "possible (1 in 33 to 1 in 10 years)".into(),
                "likely (1 in 10 to 1 in 3 years)".into(),
                "very likely (≥ 1 in 3 years)".into(),
            ],
            impact_bounds: [0.01, 0.1, 1.0, 10.0],
            impact_names: [
                "minor (< 0.01 h per inhabitant)".into(),
                "moderate (0.01–0.1 h)".into(),
                "significant (0.1–1 h)".into(),
                "major (1–10 h)".into(),
                "severe (≥ 10 h per inhabitant)".into(),
            ],
        }
    }
}

fn class_of(value: f64, bounds: &[f64; 4]) -> u8 {
    1 + bounds.iter().filter(|b| value >= **b).count() as u8
}

/// Risk level of a matrix cell: likelihood class × impact class (1–25),
/// low ≤ 4 < medium ≤ 9 < high ≤ 14 < very high.
pub fn risk_level(likelihood: u8, impact: u8) -> &'static str {
    match u32::from(likelihood) * u32::from(impact) {
        0..=4 => "low",
        5..=9 => "medium",
        10..=14 => "high",
        _ => "very high",
    }
}

/// Settings of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentConfig {
    /// The Member State (EU code, `EL` or `GR` for Greece).
    pub member_state: String,
    /// Monte Carlo samples per scenario (≥ 1).
    pub samples: usize,
    /// Seed; each scenario runs with this seed.
    pub seed: u64,
    /// Engine settings (horizon, thresholds); `focus_member_state` is set by
    /// [`assess`].
    pub sim: SimConfig,
    /// Annual frequencies per scenario.
    pub likelihood: LikelihoodTable,
    /// Risk-matrix classes.
    pub classes: MatrixClasses,
    /// Date of the assessment as text, shown in the report; an input (not
    /// the clock) so that reports are reproducible. `None`: not stated.
    pub assessment_date: Option<String>,
    /// Rows in the top-entity, top-dependency and cross-border tables.
    pub top: usize,
}

impl AssessmentConfig {
    /// Defaults for a Member State: 200 samples, seed 1, default engine
    /// settings, catalogue and default frequencies, default classes.
    pub fn new(em: &EuropeModel, member_state: &str) -> AssessmentConfig {
        AssessmentConfig {
            member_state: member_state.to_string(),
            samples: 200,
            seed: 1,
            sim: SimConfig::default(),
            likelihood: LikelihoodTable::defaults(em),
            classes: MatrixClasses::default(),
            assessment_date: None,
            top: 15,
        }
    }
}

/// Hazard families of CER Art. 5(1) (our wording; read the Directive for
/// the legal text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardFamily {
    /// Natural disasters (floods, storms, heat, drought, wildfire, earthquake, space weather).
    Natural,
    /// Accidents and technical failures, including third-party failures.
    Accidental,
    /// Hybrid threats and other antagonistic threats, including terrorist offences.
    Antagonistic,
    /// Cyber attacks (mainly NIS2, included for their cascade into CER sectors).
    Cyber,
    /// Public health emergencies.
    PublicHealth,
}

impl HazardFamily {
    /// All families in report order.
    pub const ALL: [HazardFamily; 5] = [
        HazardFamily::Natural,
        HazardFamily::Accidental,
        HazardFamily::Antagonistic,
        HazardFamily::Cyber,
        HazardFamily::PublicHealth,
    ];

    /// The family of a hazard class.
    pub fn of(h: HazardClass) -> HazardFamily {
        match h {
            HazardClass::Flood
            | HazardClass::Windstorm
            | HazardClass::Heat
            | HazardClass::Drought
            | HazardClass::Wildfire
            | HazardClass::Earthquake
            | HazardClass::SpaceWeather => HazardFamily::Natural,
            HazardClass::TechnicalFailure
            | HazardClass::IndustrialAccident
            | HazardClass::ThirdPartyFailure => HazardFamily::Accidental,
            HazardClass::Sabotage | HazardClass::Terrorism | HazardClass::HybridCampaign => {
                HazardFamily::Antagonistic
            }
            HazardClass::CyberAttack => HazardFamily::Cyber,
            HazardClass::PublicHealth => HazardFamily::PublicHealth,
        }
    }

    /// A label for the report.
    pub fn label(self) -> &'static str {
        match self {
            HazardFamily::Natural => "natural disasters",
            HazardFamily::Accidental => "accidents and technical failures",
            HazardFamily::Antagonistic => {
                "hybrid and other antagonistic threats, incl. terrorist offences"
            }
            HazardFamily::Cyber => "cyber attacks",
            HazardFamily::PublicHealth => "public health emergencies",
        }
    }
}

/// Whether a hazard class is climate-related (climate enters Art. 5 through
/// natural disasters and the Union Civil Protection Mechanism assessment;
/// Art. 13(1)(a) asks for climate adaptation).
pub fn climate_related(h: HazardClass) -> bool {
    matches!(
        h,
        HazardClass::Flood
            | HazardClass::Windstorm
            | HazardClass::Heat
            | HazardClass::Drought
            | HazardClass::Wildfire
    )
}

/// Summary of a per-event quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// Mean over all events.
    pub mean: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
}

impl Summary {
    fn of(values: &[f64]) -> Summary {
        if values.is_empty() {
            return Summary::default();
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        Summary {
            mean: v.iter().sum::<f64>() / v.len() as f64,
            p90: q(0.9),
            p99: q(0.99),
            max: v[v.len() - 1],
        }
    }
}

/// An entity (node) by its share of the Member State's tail risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityRisk {
    /// Node id.
    pub id: String,
    /// Node name.
    pub name: String,
    /// Essential service or asset layer.
    pub service: String,
    /// Member State where it operates.
    pub member_state: String,
    /// Number of Member States it serves (CER Art. 17(1)(b) test).
    pub served_member_states: usize,
    /// Tail share weighted over scenarios (see [`Assessment::top_entities`]).
    pub weighted_share: f64,
    /// Largest share in one scenario's tail.
    pub max_share: f64,
    /// Scenario with the largest share.
    pub max_scenario: String,
}

/// A dependency by its share of the Member State's tail risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyRisk {
    /// Supplier id.
    pub supplier: String,
    /// Supplier Member State.
    pub supplier_member_state: String,
    /// Dependent id.
    pub dependent: String,
    /// Dependent Member State.
    pub dependent_member_state: String,
    /// Resource that flows (electricity, telecom, data, ...).
    pub resource: String,
    /// Tail share weighted over scenarios.
    pub weighted_share: f64,
    /// Largest share in one scenario's tail.
    pub max_share: f64,
    /// Scenario with the largest share.
    pub max_scenario: String,
}

/// Cross-border exposure between the Member State and another, over the
/// scenario library (CER Art. 5(2)(c): dependencies on entities in other
/// Member States).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossBorderExposure {
    /// The other Member State.
    pub member_state: String,
    /// Expected annual user-hours in the assessed Member State whose causal
    /// path runs through the other Member State: Σ λ · mean.
    pub inbound_annual_user_hours: f64,
    /// Expected annual user-hours in the other Member State whose causal path
    /// runs through the assessed Member State.
    pub outbound_annual_user_hours: f64,
    /// Largest per-event probability of an inbound flow over the scenarios.
    pub inbound_max_probability: f64,
    /// Largest per-event probability of an outbound flow over the scenarios.
    pub outbound_max_probability: f64,
    /// Scenarios with a flow either way.
    pub scenarios: Vec<String>,
}

/// An entity serving six or more Member States that serves or operates in
/// the assessed Member State (CER Art. 17(1)(b): candidate of particular
/// European significance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SixMemberStateEntity {
    /// Node id.
    pub id: String,
    /// Node name.
    pub name: String,
    /// Service.
    pub service: String,
    /// Member State where it operates.
    pub member_state: String,
    /// Number of Member States served.
    pub served_member_states: usize,
    /// Largest tail share of the entity over the scenarios (0 if never on a
    /// causal path into the assessed Member State's tail).
    pub max_tail_share: f64,
}

/// One point of an exceedance curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// User-hours level in the Member State.
    pub user_hours: f64,
    /// Expected events per year exceeding the level.
    pub annual_frequency: f64,
    /// Annual exceedance probability, 1 − exp(−frequency).
    pub annual_probability: f64,
}

/// Results of one scenario for the Member State.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioAssessment {
    /// Scenario id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Hazard class.
    pub hazard: HazardClass,
    /// Art. 5(1) hazard family.
    pub family: HazardFamily,
    /// Climate-related hazard.
    pub climate_related: bool,
    /// Annual frequency λ of the event.
    pub annual_frequency: f64,
    /// Source of λ.
    pub frequency_source: String,
    /// Share of events with any impact in the Member State.
    pub probability_affected: f64,
    /// Share of events with significant impact (peak people ≥ threshold).
    pub probability_significant: f64,
    /// User-hours in the Member State per event.
    pub user_hours: Summary,
    /// Peak people affected in the Member State per event.
    pub peak_people: Summary,
    /// Expected annual user-hours in the Member State, λ × mean.
    pub expected_annual_user_hours: f64,
    /// Events with significant impact per year, λ × P(significant).
    pub significant_frequency: f64,
    /// Mean user-hours per inhabitant over events with significant impact.
    pub impact_hours_per_inhabitant: f64,
    /// Likelihood class 1–5, `None` when never significant.
    pub likelihood_class: Option<u8>,
    /// Impact class 1–5, `None` when never significant.
    pub impact_class: Option<u8>,
    /// Share of events with significant impact in six or more Member States
    /// (CER Art. 15(1): the Commission is notified).
    pub six_member_states_probability: f64,
    /// Share of events with significant impact outside the origin Member
    /// States (CER Art. 15(3)).
    pub cross_border_probability: f64,
    /// Events processed and samples that hit the event cap.
    pub events: u64,
    /// Samples that hit the engine's event cap.
    pub truncated_samples: usize,
    /// Per-event exceedance points (user-hours level, probability).
    pub exceedance: Vec<(f64, f64)>,
}

/// A Member State risk assessment (CER Art. 5) on the European model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Member State, EU code (`EL` for Greece).
    pub member_state: String,
    /// The code used in the model (ISO: `GR` for Greece).
    pub model_code: String,
    /// Population of the Member State in the model (electricity users).
    pub population: f64,
    /// Samples per scenario.
    pub samples: usize,
    /// Seed.
    pub seed: u64,
    /// Engine settings used.
    pub sim: SimConfig,
    /// Likelihood table used.
    pub likelihood: LikelihoodTable,
    /// Risk-matrix classes used.
    pub classes: MatrixClasses,
    /// Date of the assessment, when given.
    pub assessment_date: Option<String>,
    /// Model size (nodes, dependencies).
    pub model_nodes: usize,
    /// Dependencies in the model.
    pub model_dependencies: usize,
    /// Per scenario, in catalogue order.
    pub scenarios: Vec<ScenarioAssessment>,
    /// All-hazards exceedance curve of user-hours in the Member State.
    pub exceedance: Vec<CurvePoint>,
    /// Expected annual user-hours over all scenarios.
    pub expected_annual_user_hours: f64,
    /// Entities by tail share, each scenario weighted by its share of the
    /// expected annual user-hours (Σ_s w_s · share_s).
    pub top_entities: Vec<EntityRisk>,
    /// Dependencies by tail share, weighted the same way.
    pub top_dependencies: Vec<DependencyRisk>,
    /// Cross-border exposures, largest first.
    pub cross_border: Vec<CrossBorderExposure>,
    /// Entities serving six or more Member States relevant to the Member State.
    pub six_member_state_entities: Vec<SixMemberStateEntity>,
    /// Data attribution.
    pub attribution: String,
}

/// Progress of [`assess`]: scenario `done` of `total` is about to run.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Scenarios finished.
    pub done: usize,
    /// Scenarios in total.
    pub total: usize,
    /// Id of the scenario now running.
    pub scenario: &'a str,
}

/// Resolves a Member State code to (EU code, model code), refusing codes
/// that are not EU Member States or not in the model.
pub fn resolve_member_state(
    em: &EuropeModel,
    code: &str,
) -> Result<(String, String), AssessmentError> {
    let country = bulwark_core::Country::parse_member_state(code.trim())
        .map_err(|e| AssessmentError::MemberState(e.to_string()))?;
    let model_code = country.iso_code().to_string();
    let population = em
        .stats
        .population_by_member_state
        .get(&model_code)
        .copied()
        .unwrap_or(0.0);
    if population <= 0.0 {
        return Err(AssessmentError::MemberState(format!(
            "{code:?}: not in the European model (no population data for {model_code})"
        )));
    }
    Ok((country.eu_code().to_string(), model_code))
}

/// Runs the whole scenario library with the Member State as focus and
/// builds the assessment. `progress` is called before each scenario.
pub fn assess(
    em: &EuropeModel,
    config: &AssessmentConfig,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Assessment, AssessmentError> {
    let (eu_code, model_code) = resolve_member_state(em, &config.member_state)?;
    if config.samples == 0 {
        return Err(AssessmentError::Samples(
            "0: at least one sample per scenario is needed".into(),
        ));
    }
    for (id, e) in &config.likelihood.entries {
        if !(e.annual_frequency.is_finite() && e.annual_frequency >= 0.0) {
            return Err(AssessmentError::Likelihood(format!(
                "{id:?}: annual frequency {} must be a finite number >= 0",
                e.annual_frequency
            )));
        }
    }
    let population = em
        .stats
        .population_by_member_state
        .get(&model_code)
        .copied()
        .unwrap_or(0.0);
    let sim = SimConfig {
        focus_member_state: Some(model_code.clone()),
        ..config.sim.clone()
    };
    let cm = CompiledModel::new(em.model.clone())?;
    let mut runs: Vec<(ScenarioAssessment, SimulationResult)> = Vec::new();
    for (k, info) in CATALOGUE.iter().enumerate() {
        progress(Progress {
            done: k,
            total: CATALOGUE.len(),
            scenario: info.id,
        });
        let sc = bulwark_europe::scenario(em, info.id).ok_or_else(|| {
            EuropeError::Inconsistent(format!("unknown scenario id {:?}", info.id))
        })?;
        let cs = CompiledScenario::new(&cm, sc)?;
        let r = bulwark_cascade::simulate(&cm, &cs, config.samples, config.seed, &sim)?;
        let a = scenario_assessment(info.id, info.name, info.hazard, &r, config, population);
        runs.push((a, r));
    }
    progress(Progress {
        done: CATALOGUE.len(),
        total: CATALOGUE.len(),
        scenario: "",
    });
    let expected_annual_user_hours: f64 =
        runs.iter().map(|(a, _)| a.expected_annual_user_hours).sum();
    let exceedance = all_hazards_curve(&runs);
    let (top_entities, top_dependencies) =
        tail_tables(em, &runs, expected_annual_user_hours, config.top);
    let cross_border = cross_border_table(&runs, config.top);
    let six_member_state_entities = six_member_state_entities(em, &model_code, &runs);
    Ok(Assessment {
        member_state: eu_code,
        model_code,
        population,
        samples: config.samples,
        seed: config.seed,
        sim,
        likelihood: config.likelihood.clone(),
        classes: config.classes.clone(),
        assessment_date: config.assessment_date.clone(),
        model_nodes: em.model.nodes.len(),
        model_dependencies: em.model.dependencies.len(),
        scenarios: runs.into_iter().map(|(a, _)| a).collect(),
        exceedance,
        expected_annual_user_hours,
        top_entities,
        top_dependencies,
        cross_border,
        six_member_state_entities,
        attribution: bulwark_europe::ATTRIBUTION.to_string(),
    })
}

fn scenario_assessment(
    id: &str,
    name: &str,
    hazard: HazardClass,
    r: &SimulationResult,
    config: &AssessmentConfig,
    population: f64,
) -> ScenarioAssessment {
    let lambda = config.likelihood.frequency(id);
    let source = config
        .likelihood
        .entries
        .get(id)
        .map_or_else(|| "none".to_string(), |e| e.source.clone());
    let (uh, peaks): (&[f64], &[f64]) = match &r.focus {
        Some(f) => (&f.sample_user_hours, &f.sample_peak_users),
        None => (&[], &[]),
    };
    let n = uh.len().max(1) as f64;
    let threshold = config.sim.significant_users;
    let significant: Vec<usize> = (0..peaks.len())
        .filter(|&i| peaks[i] >= threshold && peaks[i] > 0.0)
        .collect();
    let p_sig = significant.len() as f64 / n;
    let user_hours = Summary::of(uh);
    let impact = if significant.is_empty() || population <= 0.0 {
        0.0
    } else {
        significant.iter().map(|&i| uh[i]).sum::<f64>() / significant.len() as f64 / population
    };
    let significant_frequency = lambda * p_sig;
    let (likelihood_class, impact_class) = if significant.is_empty() {
        (None, None)
    } else {
        (
            Some(class_of(
                significant_frequency,
                &config.classes.likelihood_bounds,
            )),
            Some(class_of(impact, &config.classes.impact_bounds)),
        )
    };
    ScenarioAssessment {
        id: id.to_string(),
        name: name.to_string(),
        hazard,
        family: HazardFamily::of(hazard),
        climate_related: climate_related(hazard),
        annual_frequency: lambda,
        frequency_source: source,
        probability_affected: uh.iter().filter(|v| **v > 0.0).count() as f64 / n,
        probability_significant: p_sig,
        expected_annual_user_hours: lambda * user_hours.mean,
        user_hours,
        peak_people: Summary::of(peaks),
        significant_frequency,
        impact_hours_per_inhabitant: impact,
        likelihood_class,
        impact_class,
        six_member_states_probability: r.six_member_states_probability,
        cross_border_probability: r.cross_border_probability,
        events: r.events,
        truncated_samples: r.truncated_samples,
        exceedance: exceedance_points(uh, 30),
    }
}

/// Per-event exceedance points (level, P(X > level)) at evenly spaced
/// order statistics of the positive values.
fn exceedance_points(values: &[f64], points: usize) -> Vec<(f64, f64)> {
    let n = values.len();
    let mut v: Vec<f64> = values.iter().copied().filter(|x| *x > 0.0).collect();
    if v.is_empty() || points < 2 {
        return Vec::new();
    }
    v.sort_by(f64::total_cmp);
    let mut levels: Vec<f64> = (0..points)
        .map(|k| v[((v.len() - 1) as f64 * k as f64 / (points - 1) as f64).round() as usize])
        .collect();
    levels.dedup();
    // Start just below the smallest positive value so that the curve shows
    // the probability of any impact.
    let mut out = vec![(levels[0] * 0.999, v.len() as f64 / n as f64)];
    for x in levels {
        let above = v.len() - v.partition_point(|&y| y <= x);
        out.push((x, above as f64 / n as f64));
    }
    out
}

fn all_hazards_curve(runs: &[(ScenarioAssessment, SimulationResult)]) -> Vec<CurvePoint> {
    let mut positive: Vec<f64> = Vec::new();
    for (a, r) in runs {
        if a.annual_frequency > 0.0
            && let Some(f) = &r.focus
        {
            positive.extend(f.sample_user_hours.iter().copied().filter(|x| *x > 0.0));
        }
    }
    if positive.is_empty() {
        return Vec::new();
    }
    let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = positive.iter().copied().fold(0.0, f64::max);
    let steps = 48usize;
    let levels: Vec<f64> = if hi > lo * 1.000_001 {
        (0..=steps)
            .map(|k| lo * 0.999 * ((hi / (lo * 0.999)).powf(k as f64 / steps as f64)))
            .collect()
    } else {
        vec![lo * 0.999]
    };
    let sorted: Vec<(f64, Vec<f64>)> = runs
        .iter()
        .filter_map(|(a, r)| {
            let f = r.focus.as_ref()?;
            let mut v = f.sample_user_hours.clone();
            v.sort_by(f64::total_cmp);
            Some((a.annual_frequency, v))
        })
        .collect();
    levels
        .into_iter()
        .map(|x| {
            let freq: f64 = sorted
                .iter()
                .filter(|(l, v)| *l > 0.0 && !v.is_empty())
                .map(|(l, v)| {
                    let above = v.len() - v.partition_point(|&y| y <= x);
                    l * above as f64 / v.len() as f64
                })
                .sum();
            CurvePoint {
                user_hours: x,
                annual_frequency: freq,
                annual_probability: 1.0 - (-freq).exp(),
            }
        })
        .collect()
}

fn weights(runs: &[(ScenarioAssessment, SimulationResult)], total: f64) -> Vec<f64> {
    runs.iter()
        .map(|(a, _)| {
            if total > 0.0 {
                a.expected_annual_user_hours / total
            } else {
                0.0
            }
        })
        .collect()
}

fn tail_tables(
    em: &EuropeModel,
    runs: &[(ScenarioAssessment, SimulationResult)],
    total: f64,
    top: usize,
) -> (Vec<EntityRisk>, Vec<DependencyRisk>) {
    let w = weights(runs, total);
    let index: BTreeMap<&str, usize> = em
        .model
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    // id -> (weighted, max, scenario)
    let mut ent: BTreeMap<String, (f64, f64, String)> = BTreeMap::new();
    let mut dep: BTreeMap<u32, (f64, f64, String)> = BTreeMap::new();
    for ((a, r), wk) in runs.iter().zip(&w) {
        let Some(f) = &r.focus else { continue };
        for e in &f.tail.entities {
            let x = ent.entry(e.id.clone()).or_insert((0.0, 0.0, String::new()));
            x.0 += wk * e.share;
            if e.share > x.1 {
                x.1 = e.share;
                x.2 = a.id.clone();
            }
        }
        for d in &f.tail.dependencies {
            let x = dep.entry(d.index).or_insert((0.0, 0.0, String::new()));
            x.0 += wk * d.share;
            if d.share > x.1 {
                x.1 = d.share;
                x.2 = a.id.clone();
            }
        }
    }
    let mut entities: Vec<EntityRisk> = ent
        .into_iter()
        .filter_map(|(id, (ws, ms, sc))| {
            let n = &em.model.nodes[*index.get(id.as_str())?];
            Some(EntityRisk {
                name: n.name.clone(),
                service: n.service.clone(),
                member_state: n.member_state.clone(),
                served_member_states: n.served_member_states.len(),
                id,
                weighted_share: ws,
                max_share: ms,
                max_scenario: sc,
            })
        })
        .collect();
    entities.sort_by(|a, b| {
        b.weighted_share
            .total_cmp(&a.weighted_share)
            .then(b.max_share.total_cmp(&a.max_share))
            .then_with(|| a.id.cmp(&b.id))
    });
    entities.truncate(top);
    let mut dependencies: Vec<DependencyRisk> = dep
        .into_iter()
        .filter_map(|(e, (ws, ms, sc))| {
            let d = em.model.dependencies.get(e as usize)?;
            let s = &em.model.nodes[d.supplier as usize];
            let t = &em.model.nodes[d.dependent as usize];
            Some(DependencyRisk {
                supplier: s.id.clone(),
                supplier_member_state: s.member_state.clone(),
                dependent: t.id.clone(),
                dependent_member_state: t.member_state.clone(),
                resource: serde_json::to_value(d.resource)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                weighted_share: ws,
                max_share: ms,
                max_scenario: sc,
            })
        })
        .collect();
    dependencies.sort_by(|a, b| {
        b.weighted_share
            .total_cmp(&a.weighted_share)
            .then(b.max_share.total_cmp(&a.max_share))
            .then_with(|| a.supplier.cmp(&b.supplier))
            .then_with(|| a.dependent.cmp(&b.dependent))
    });
    dependencies.truncate(top);
    (entities, dependencies)
}

fn cross_border_table(
    runs: &[(ScenarioAssessment, SimulationResult)],
    top: usize,
) -> Vec<CrossBorderExposure> {
    let mut acc: BTreeMap<String, CrossBorderExposure> = BTreeMap::new();
    for (a, r) in runs {
        let Some(f) = &r.focus else { continue };
        for fl in &f.flows {
            let x = acc
                .entry(fl.member_state.clone())
                .or_insert_with(|| CrossBorderExposure {
                    member_state: fl.member_state.clone(),
                    inbound_annual_user_hours: 0.0,
                    outbound_annual_user_hours: 0.0,
                    inbound_max_probability: 0.0,
                    outbound_max_probability: 0.0,
                    scenarios: Vec::new(),
                });
            x.inbound_annual_user_hours += a.annual_frequency * fl.inbound_mean_user_hours;
            x.outbound_annual_user_hours += a.annual_frequency * fl.outbound_mean_user_hours;
            x.inbound_max_probability = x.inbound_max_probability.max(fl.inbound_probability);
            x.outbound_max_probability = x.outbound_max_probability.max(fl.outbound_probability);
            if !x.scenarios.contains(&a.id) {
                x.scenarios.push(a.id.clone());
            }
        }
    }
    let mut v: Vec<CrossBorderExposure> = acc.into_values().collect();
    v.sort_by(|a, b| {
        (b.inbound_annual_user_hours + b.outbound_annual_user_hours)
            .total_cmp(&(a.inbound_annual_user_hours + a.outbound_annual_user_hours))
            .then(
                (b.inbound_max_probability + b.outbound_max_probability)
                    .total_cmp(&(a.inbound_max_probability + a.outbound_max_probability)),
            )
            .then_with(|| a.member_state.cmp(&b.member_state))
    });
    v.truncate(top);
    v
}

fn six_member_state_entities(
    em: &EuropeModel,
    model_code: &str,
    runs: &[(ScenarioAssessment, SimulationResult)],
) -> Vec<SixMemberStateEntity> {
    let mut tail_share: BTreeMap<&str, f64> = BTreeMap::new();
    for (_, r) in runs {
        if let Some(f) = &r.focus {
            for e in &f.tail.entities {
                let x = tail_share.entry(e.id.as_str()).or_default();
                *x = x.max(e.share);
            }
        }
    }
    let mut v: Vec<SixMemberStateEntity> = em
        .model
        .nodes
        .iter()
        .filter(|n| {
            n.served_member_states.len() >= 6
                && (n.member_state == model_code
                    || n.served_member_states.iter().any(|m| m == model_code))
        })
        .map(|n| SixMemberStateEntity {
            id: n.id.clone(),
            name: n.name.clone(),
            service: n.service.clone(),
            member_state: n.member_state.clone(),
            served_member_states: n.served_member_states.len(),
            max_tail_share: tail_share.get(n.id.as_str()).copied().unwrap_or(0.0),
        })
        .collect();
    v.sort_by(|a, b| {
        b.max_tail_share
            .total_cmp(&a.max_tail_share)
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_risk_levels() {
        let b = [0.01, 0.03, 0.1, 0.3];
        assert_eq!(class_of(0.001, &b), 1);
        assert_eq!(class_of(0.01, &b), 2);
        assert_eq!(class_of(0.5, &b), 5);
        assert_eq!(risk_level(1, 4), "low");
        assert_eq!(risk_level(3, 3), "medium");
        assert_eq!(risk_level(3, 4), "high");
        assert_eq!(risk_level(5, 5), "very high");
    }

    #[test]
    fn exceedance_points_start_at_the_probability_of_any_impact() {
        let v = [0.0, 0.0, 10.0, 20.0];
        let p = exceedance_points(&v, 4);
        assert!((p[0].1 - 0.5).abs() < 1e-12);
        assert_eq!(p.last().map(|x| x.1), Some(0.0));
        assert!(exceedance_points(&[0.0, 0.0], 4).is_empty());
    }

    #[test]
    fn every_hazard_class_has_a_family() {
        assert_eq!(HazardFamily::of(HazardClass::Heat), HazardFamily::Natural);
        assert_eq!(
            HazardFamily::of(HazardClass::HybridCampaign),
            HazardFamily::Antagonistic
        );
        assert_eq!(
            HazardFamily::of(HazardClass::CyberAttack),
            HazardFamily::Cyber
        );
        assert!(climate_related(HazardClass::Drought));
        assert!(!climate_related(HazardClass::Sabotage));
    }
}
