//! Scenarios (hazard realisations) and what-if measures (spec §4.2 `Scenario`,
//! `Measure`; §4.3 steps 1–2).

use serde::{Deserialize, Serialize};

use crate::dist::Dist;
use crate::model::{Model, Node, Resource};

/// Hazard class, aligned with the CER all-hazards list (Art. 5(1), spec §1.5)
/// and the MISP `nis2` root-cause categories (spec §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardClass {
    /// River or coastal flood.
    Flood,
    /// Windstorm.
    Windstorm,
    /// Heatwave.
    Heat,
    /// Drought.
    Drought,
    /// Wildfire.
    Wildfire,
    /// Earthquake.
    Earthquake,
    /// Space weather.
    SpaceWeather,
    /// Technical failure or system disturbance.
    TechnicalFailure,
    /// Industrial accident.
    IndustrialAccident,
    /// Physical sabotage.
    Sabotage,
    /// Terrorist attack.
    Terrorism,
    /// Cyber attack.
    CyberAttack,
    /// Hybrid campaign (combined physical and cyber actions).
    HybridCampaign,
    /// Public-health emergency.
    PublicHealth,
    /// Failure of a third party.
    ThirdPartyFailure,
}

/// Selects nodes by attributes; every non-empty list must match.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NodeFilter {
    /// Member States (ISO-2); empty = any.
    #[serde(default)]
    pub member_states: Vec<String>,
    /// Region ids; empty = any.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Asset classes; an entry ending in `*` matches by prefix; empty = any.
    #[serde(default)]
    pub asset_classes: Vec<String>,
    /// Services; empty = any.
    #[serde(default)]
    pub services: Vec<String>,
    /// Node ids; empty = any.
    #[serde(default)]
    pub ids: Vec<String>,
    /// Minimum number of served Member States (0 = no condition).
    #[serde(default)]
    pub min_served_member_states: usize,
}

fn class_matches(pattern: &str, class: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => class.starts_with(prefix),
        None => pattern == class,
    }
}

impl NodeFilter {
    /// True when `node` satisfies the filter.
    pub fn matches(&self, node: &Node) -> bool {
        (self.member_states.is_empty() || self.member_states.contains(&node.member_state))
            && (self.regions.is_empty() || self.regions.contains(&node.region))
            && (self.asset_classes.is_empty()
                || self
                    .asset_classes
                    .iter()
                    .any(|p| class_matches(p, &node.asset_class)))
            && (self.services.is_empty() || self.services.contains(&node.service))
            && (self.ids.is_empty() || self.ids.contains(&node.id))
            && node.served_member_states.len().max(1) >= self.min_served_member_states
    }
}

/// Centrality used to pick targets of an adversary (spec §4.3 step 2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Centrality {
    /// Number of dependents plus network links.
    Degree,
    /// Users of all provisions reachable downstream through dependencies.
    DownstreamUsers,
    /// Betweenness on the supply-network graph (links as vertices), estimated
    /// from `pivots` deterministic breadth-first searches.
    Betweenness {
        /// Number of source vertices.
        pivots: usize,
    },
}

/// Where a hazard component strikes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Footprint {
    /// Every node matching the filter is exposed at the sampled intensity.
    Area {
        /// Exposed nodes.
        filter: NodeFilter,
    },
    /// A circle around one of `centres` (chosen uniformly per sample, then
    /// jittered); intensity falls linearly to half at the rim.
    Circle {
        /// Nodes that can be exposed.
        filter: NodeFilter,
        /// Candidate centres (lat, lon).
        centres: Vec<(f64, f64)>,
        /// Radius in km.
        radius_km: Dist,
        /// Maximum random displacement of the centre, km.
        jitter_km: f64,
    },
    /// The `k` most central nodes matching the filter (deterministic ranking).
    MostCentral {
        /// Candidate targets.
        filter: NodeFilter,
        /// Number of targets.
        k: usize,
        /// Ranking metric.
        centrality: Centrality,
    },
    /// One node matching the filter, chosen uniformly per sample.
    OneOf {
        /// Candidate targets.
        filter: NodeFilter,
    },
}

/// Probability that an exposed asset fails at a given intensity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fragility {
    /// Always fails when exposed (targeted attack).
    Certain,
    /// Fails with a fixed probability.
    Probability {
        /// Probability in `[0, 1]`.
        p: f64,
    },
    /// Log-normal fragility curve P(fail | I) = Φ(ln(I / median) / beta).
    LogNormal {
        /// Intensity with 50 % failure probability.
        median: f64,
        /// Log-standard deviation.
        beta: f64,
    },
}

impl Fragility {
    /// Failure probability at `intensity`.
    pub fn probability(&self, intensity: f64) -> f64 {
        match *self {
            Fragility::Certain => 1.0,
            Fragility::Probability { p } => p.clamp(0.0, 1.0),
            Fragility::LogNormal { median, beta } => {
                if intensity <= 0.0 || median <= 0.0 {
                    0.0
                } else if beta <= 0.0 {
                    if intensity >= median { 1.0 } else { 0.0 }
                } else {
                    crate::dist::normal_cdf((intensity / median).ln() / beta)
                }
            }
        }
    }
}

/// Damage rule for an asset class: fragility, repair time and residual function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DamageRule {
    /// Asset-class pattern (`*` suffix = prefix match; `*` alone = any).
    pub asset_class: String,
    /// Failure probability given intensity.
    pub fragility: Fragility,
    /// Repair time in hours (spec §4.3 step 2: log-normal per asset class).
    pub repair_hours: Dist,
    /// Functional level of a damaged asset until repaired (0 = fully down).
    #[serde(default)]
    pub residual_function: f64,
}

/// One component of a scenario: a footprint and how it damages assets.
/// Several components make compound or hybrid events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardComponent {
    /// Label shown in causal paths (e.g. `flood`, `cyber attack on provider`).
    pub label: String,
    /// Where the component strikes.
    pub footprint: Footprint,
    /// Hazard intensity per sample (dimensionless or hazard units matching the fragility medians).
    pub intensity: Dist,
    /// Damage rules, first match by asset class wins; unmatched exposed nodes are not damaged.
    pub damage: Vec<DamageRule>,
    /// Hours after the event start at which this component strikes.
    #[serde(default)]
    pub onset_hours: f64,
    /// Whether Member States damaged by this component count as origin of the
    /// event for the cross-border flag (false for components that model
    /// secondary effects of an event that started elsewhere).
    #[serde(default = "yes")]
    pub counts_as_origin: bool,
}

fn yes() -> bool {
    true
}

/// A scenario of the scenario register (spec §4.2 `Scenario`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Stable id.
    pub id: String,
    /// Short name.
    pub name: String,
    /// Documentation: what is modelled, assumptions, sources.
    pub description: String,
    /// Hazard class.
    pub hazard: HazardClass,
    /// Annual frequency λ, if known; used to turn conditional exceedance into
    /// annual exceedance probability (spec §4.3 "across samples").
    #[serde(default)]
    pub annual_frequency: Option<f64>,
    /// Components.
    pub components: Vec<HazardComponent>,
    /// Multiplier on every network's `min_supply_ratio` during this event
    /// (e.g. a low-inertia system state); 1 = no change.
    #[serde(default = "one")]
    pub network_stress: f64,
}

fn one() -> f64 {
    1.0
}

/// Selects dependencies for a measure.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DependencyFilter {
    /// Filter on the dependent node.
    #[serde(default)]
    pub dependent: NodeFilter,
    /// Filter on the supplier node.
    #[serde(default)]
    pub supplier: NodeFilter,
    /// Resources; empty = any.
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// One change that a measure applies (spec §4.2 `Measure`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeasureChange {
    /// Buffers of the selected dependencies become at least `hours`
    /// (e.g. a 72 h generator).
    BufferFloor {
        /// Selected dependencies.
        filter: DependencyFilter,
        /// Minimum autonomy in hours.
        hours: f64,
    },
    /// Buffers of the selected dependencies are multiplied by `factor`.
    BufferScale {
        /// Selected dependencies.
        filter: DependencyFilter,
        /// Multiplier.
        factor: f64,
    },
    /// Strengths of the selected dependencies are multiplied by `factor`.
    StrengthScale {
        /// Selected dependencies.
        filter: DependencyFilter,
        /// Multiplier (result clamped to `[0, 1]`).
        factor: f64,
    },
    /// Recovery lags of the selected dependencies are multiplied by `factor`.
    RecoveryLagScale {
        /// Selected dependencies.
        filter: DependencyFilter,
        /// Multiplier.
        factor: f64,
    },
    /// Spare capacity of the selected nodes is multiplied by `factor`.
    SpareCapacityScale {
        /// Selected nodes.
        filter: NodeFilter,
        /// Multiplier.
        factor: f64,
    },
    /// Repair times of damage rules whose class pattern equals `asset_class` are multiplied by `factor`.
    RepairScale {
        /// Asset-class pattern as written in the scenario's damage rules (`*` = all).
        asset_class: String,
        /// Multiplier.
        factor: f64,
    },
    /// Fragility medians (hardening) of matching damage rules are multiplied by `factor`.
    Harden {
        /// Asset-class pattern as written in the scenario's damage rules (`*` = all).
        asset_class: String,
        /// Multiplier on the median intensity (> 1 = more robust).
        factor: f64,
    },
}

/// A what-if measure: a named set of changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Documentation.
    pub description: String,
    /// Changes.
    pub changes: Vec<MeasureChange>,
}

impl DependencyFilter {
    fn matches(&self, model: &Model, d: &crate::model::Dependency) -> bool {
        let (Some(dep), Some(sup)) = (
            model.nodes.get(d.dependent as usize),
            model.nodes.get(d.supplier as usize),
        ) else {
            return false;
        };
        self.dependent.matches(dep)
            && self.supplier.matches(sup)
            && (self.resources.is_empty() || self.resources.contains(&d.resource))
    }
}

impl Measure {
    /// Applies the measure to copies of the model and the scenario.
    pub fn apply(&self, model: &Model, scenario: &Scenario) -> (Model, Scenario) {
        let mut m = model.clone();
        let mut s = scenario.clone();
        for change in &self.changes {
            match change {
                MeasureChange::BufferFloor { filter, hours } => {
                    for i in 0..m.dependencies.len() {
                        if filter.matches(model, &model.dependencies[i]) {
                            let d = &mut m.dependencies[i];
                            d.buffer_hours = floor_dist(&d.buffer_hours, *hours);
                        }
                    }
                }
                MeasureChange::BufferScale { filter, factor } => {
                    for i in 0..m.dependencies.len() {
                        if filter.matches(model, &model.dependencies[i]) {
                            let d = &mut m.dependencies[i];
                            d.buffer_hours = d.buffer_hours.scaled(factor.max(0.0));
                        }
                    }
                }
                MeasureChange::StrengthScale { filter, factor } => {
                    for i in 0..m.dependencies.len() {
                        if filter.matches(model, &model.dependencies[i]) {
                            let d = &mut m.dependencies[i];
                            d.strength = (d.strength * factor).clamp(0.0, 1.0);
                        }
                    }
                }
                MeasureChange::RecoveryLagScale { filter, factor } => {
                    for i in 0..m.dependencies.len() {
                        if filter.matches(model, &model.dependencies[i]) {
                            let d = &mut m.dependencies[i];
                            d.recovery_lag_hours *= factor.max(0.0);
                        }
                    }
                }
                MeasureChange::SpareCapacityScale { filter, factor } => {
                    for n in &mut m.nodes {
                        if filter.matches(n) {
                            n.spare_capacity *= factor.max(0.0);
                        }
                    }
                }
                MeasureChange::RepairScale {
                    asset_class,
                    factor,
                } => {
                    for c in &mut s.components {
                        for r in &mut c.damage {
                            if &r.asset_class == asset_class || asset_class == "*" {
                                r.repair_hours = r.repair_hours.scaled(factor.max(0.0));
                            }
                        }
                    }
                }
                MeasureChange::Harden {
                    asset_class,
                    factor,
                } => {
                    for c in &mut s.components {
                        for r in &mut c.damage {
                            if let Fragility::LogNormal { median, .. } = &mut r.fragility
                                && (&r.asset_class == asset_class || asset_class == "*")
                            {
                                *median *= factor.max(0.0);
                            }
                        }
                    }
                }
            }
        }
        (m, s)
    }
}

/// Raises a distribution so that no draw is below `floor` while keeping
/// draws monotone in the underlying uniform.
fn floor_dist(d: &Dist, floor: f64) -> Dist {
    match d {
        Dist::Const { value } => Dist::Const {
            value: value.max(floor),
        },
        Dist::Uniform { lo, hi } => Dist::Uniform {
            lo: lo.max(floor),
            hi: hi.max(floor),
        },
        Dist::AtLeast { floor: f0, dist } => Dist::AtLeast {
            floor: f0.max(floor),
            dist: dist.clone(),
        },
        other => Dist::AtLeast {
            floor,
            dist: Box::new(other.clone()),
        },
    }
}
