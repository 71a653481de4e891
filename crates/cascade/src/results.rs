//! Running many samples in parallel and aggregating results (spec §4.3
//! "across samples", §4.6 explainability).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::compiled::{CompiledModel, CompiledScenario};
use crate::engine::{NONE, SampleOutcome, Scratch};
use crate::error::CascadeError;
use crate::model::{DependencyKind, Resource};
use crate::scenario::{Measure, Scenario};

/// Simulation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Horizon H in hours; spec §4.3 step 3 suggests 7 or 14 days (168 or 336 h).
    pub horizon_hours: f64,
    /// A provision counts as disrupted while its functional level is below
    /// this value (spec §4.3 step 3 "service threshold"; a parameter).
    pub disruption_threshold: f64,
    /// Peak people affected in a Member State from which that Member State
    /// counts as significantly affected for the cross-border and
    /// six-Member-State flags (national thresholds are configurable, spec §1.6).
    pub significant_users: f64,
    /// Safety cap on events per sample; a capped sample is flagged as truncated.
    pub max_events_per_sample: u64,
    /// Quantile of total user-hours that defines the tail for attribution
    /// (spec §4.3: "share of samples in the top 1 %").
    pub tail_quantile: f64,
    /// Number of points on the exceedance curve.
    pub exceedance_points: usize,
    /// Number of entities and dependencies listed in the tail attribution.
    pub top_attribution: usize,
    /// Number of disrupted provisions (largest user-hours first) whose causal
    /// path is reported for the worst sample.
    pub worst_sample_paths: usize,
    /// Annualised runs (spec §4.3 step 1): each sample is one period of
    /// `horizon_hours` (8760 h = one year) with Poisson(λ · horizon / 8760)
    /// events at uniform times, λ = the scenario's `annual_frequency`; a
    /// scenario without λ then has no events. Default: false, one event per
    /// sample at time 0 (what-if run).
    #[serde(default)]
    pub annualised: bool,
    /// A Member State (code as in the model) to report on in detail: its
    /// per-sample user-hours, the tail attribution of its own user-hours and
    /// its cross-border flows ([`FocusResult`]); for a Member State risk
    /// assessment (CER Art. 5). Default: none.
    #[serde(default)]
    pub focus_member_state: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            horizon_hours: 168.0,
            disruption_threshold: 0.5,
            significant_users: 10_000.0,
            max_events_per_sample: 20_000_000,
            tail_quantile: 0.99,
            exceedance_points: 40,
            top_attribution: 25,
            worst_sample_paths: 50,
            annualised: false,
            focus_member_state: None,
        }
    }
}

impl SimConfig {
    fn validate(&self) -> Result<(), CascadeError> {
        if !(self.horizon_hours.is_finite() && self.horizon_hours > 0.0) {
            return Err(CascadeError::Config("horizon_hours must be > 0".into()));
        }
        if !(0.0..=1.0).contains(&self.disruption_threshold) {
            return Err(CascadeError::Config(
                "disruption_threshold must be in [0, 1]".into(),
            ));
        }
        if !(0.0..1.0).contains(&self.tail_quantile) {
            return Err(CascadeError::Config(
                "tail_quantile must be in [0, 1)".into(),
            ));
        }
        if !self.significant_users.is_finite() || self.significant_users < 0.0 {
            return Err(CascadeError::Config(
                "significant_users must be >= 0".into(),
            ));
        }
        Ok(())
    }
}

/// Summary statistics of a per-sample quantity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
}

impl Stats {
    fn of(values: &[f64]) -> Stats {
        if values.is_empty() {
            return Stats::default();
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        Stats {
            mean: v.iter().sum::<f64>() / v.len() as f64,
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: v[v.len() - 1],
        }
    }
}

/// One point of an exceedance curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceedancePoint {
    /// User-hours level.
    pub user_hours: f64,
    /// Probability that one event exceeds the level.
    pub probability: f64,
    /// Annual exceedance probability 1 − exp(−λ·p), when the scenario has a frequency λ.
    pub annual_probability: Option<f64>,
}

/// Per service × region × Member State results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    /// Essential service.
    pub service: String,
    /// Region.
    pub region: String,
    /// Member State.
    pub member_state: String,
    /// Share of samples in which the group had any impact.
    pub probability_affected: f64,
    /// Mean over all samples of the peak users affected (users of this one
    /// service, so distinct persons).
    pub mean_peak_users: f64,
    /// Maximum peak users affected.
    pub max_peak_users: f64,
    /// Mean duration in hours with at least one disrupted provision.
    pub mean_duration_hours: f64,
    /// Maximum duration in hours.
    pub max_duration_hours: f64,
    /// Mean user-hours.
    pub mean_user_hours: f64,
    /// Maximum user-hours.
    pub max_user_hours: f64,
}

/// Per Member State results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberStateResult {
    /// ISO-2 code.
    pub member_state: String,
    /// Share of samples in which the Member State was significantly affected.
    pub probability_significant: f64,
    /// Statistics of user-hours.
    pub user_hours: Stats,
    /// Statistics of the peak number of people affected in the Member State:
    /// distinct persons, not person-services (see the crate documentation,
    /// "people affected"); never above the Member State's population.
    pub peak_users: Stats,
}

/// Share of tail samples in which an entity lies on a causal path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityShare {
    /// Node id.
    pub id: String,
    /// Node name.
    pub name: String,
    /// Share of tail samples.
    pub share: f64,
}

/// Share of tail samples in which a dependency lies on a causal path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependencyShare {
    /// Index into the model's dependencies.
    pub index: u32,
    /// Supplier id.
    pub supplier: String,
    /// Dependent id.
    pub dependent: String,
    /// Share of tail samples.
    pub share: f64,
}

/// Contribution of entities and dependencies to tail risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TailAttribution {
    /// Quantile defining the tail.
    pub quantile: f64,
    /// User-hours at that quantile.
    pub threshold_user_hours: f64,
    /// Number of tail samples.
    pub samples: usize,
    /// Entities by share, largest first.
    pub entities: Vec<EntityShare>,
    /// Dependencies by share, largest first.
    pub dependencies: Vec<DependencyShare>,
}

/// One step of a causal path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    /// Node id.
    pub id: String,
    /// Service of the node.
    pub service: String,
    /// Member State of the node.
    pub member_state: String,
    /// How the disruption reached this node: `None` for the root.
    pub via: Option<(DependencyKind, Resource)>,
    /// For the root: the hazard component or network-islanding label.
    pub origin: Option<String>,
}

/// A disrupted provision with its causal path (spec §4.1 "explainable").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisruptedProvision {
    /// Node id.
    pub id: String,
    /// Service.
    pub service: String,
    /// Region.
    pub region: String,
    /// Member State.
    pub member_state: String,
    /// Hours after event start when it was first disrupted.
    pub first_disrupted_hours: f64,
    /// Peak users affected.
    pub peak_users: f64,
    /// Hours below the disruption threshold.
    pub duration_hours: f64,
    /// User-hours.
    pub user_hours: f64,
    /// Path from the initiating asset to this provision.
    pub path: Vec<PathStep>,
}

/// Full detail of one sample, reproducible from (seed, index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleDetail {
    /// Sample index.
    pub index: u64,
    /// Total user-hours.
    pub user_hours: f64,
    /// Peak number of people affected (distinct persons over all services,
    /// see the crate documentation, "people affected").
    pub peak_users: f64,
    /// Queue events processed.
    pub events: u64,
    /// Assets damaged by the hazard.
    pub initial_failures: u32,
    /// Member States significantly affected.
    pub affected_member_states: Vec<String>,
    /// Cross-border flag (CER Art. 15(3)).
    pub cross_border: bool,
    /// Six-or-more Member States flag (CER Art. 15(1)).
    pub six_member_states: bool,
    /// Disrupted provisions (all, or the largest by user-hours when capped), with causal paths.
    pub provisions: Vec<DisruptedProvision>,
    /// Total number of disrupted provisions.
    pub provisions_total: usize,
}

/// Cross-border flow between the focus Member State and another one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossBorderFlow {
    /// The other Member State.
    pub member_state: String,
    /// Share of samples in which disruption reached provisions in the focus
    /// Member State through a node in this Member State (causal paths).
    pub inbound_probability: f64,
    /// Mean over all samples of the user-hours of those provisions.
    pub inbound_mean_user_hours: f64,
    /// Share of samples in which disruption reached provisions in this
    /// Member State through a node in the focus Member State.
    pub outbound_probability: f64,
    /// Mean over all samples of the user-hours of those provisions.
    pub outbound_mean_user_hours: f64,
}

/// Detail on the focus Member State of a run ([`SimConfig::focus_member_state`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FocusResult {
    /// The focus Member State.
    pub member_state: String,
    /// User-hours in the focus Member State per sample, in sample order.
    pub sample_user_hours: Vec<f64>,
    /// Peak people affected in the focus Member State per sample.
    pub sample_peak_users: Vec<f64>,
    /// Tail attribution of the focus Member State's user-hours: the share of
    /// its top-quantile samples in which an entity or dependency lies on the
    /// causal path of a disrupted provision in the focus Member State.
    pub tail: TailAttribution,
    /// Flows with other Member States along causal paths, largest first.
    pub flows: Vec<CrossBorderFlow>,
}

/// Aggregated result of a simulation run (spec §4.2 `SimulationRun` / `Aggregate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationResult {
    /// Scenario id.
    pub scenario_id: String,
    /// Number of samples.
    pub samples: usize,
    /// Seed.
    pub seed: u64,
    /// Configuration used.
    pub config: SimConfig,
    /// Total user-hours per sample.
    pub user_hours: Stats,
    /// Peak number of people affected per sample (distinct persons summed
    /// over regions; see the crate documentation, "people affected").
    pub peak_users: Stats,
    /// Conditional and annual exceedance curve of total user-hours.
    pub exceedance: Vec<ExceedancePoint>,
    /// Expected annual user-hours (λ × mean), when λ is known.
    pub expected_annual_user_hours: Option<f64>,
    /// Per service × region × Member State, sorted by mean user-hours descending.
    pub groups: Vec<GroupResult>,
    /// Per Member State, sorted by mean user-hours descending.
    pub member_states: Vec<MemberStateResult>,
    /// Share of samples with significant impact outside the origin Member States.
    pub cross_border_probability: f64,
    /// Share of samples with six or more significantly affected Member States.
    pub six_member_states_probability: f64,
    /// Tail-risk attribution.
    pub tail: TailAttribution,
    /// The sample with the largest user-hours, with causal paths.
    pub worst_sample: Option<SampleDetail>,
    /// Total queue events processed.
    pub events: u64,
    /// Samples that hit the event cap.
    pub truncated_samples: usize,
    /// Total user-hours of every sample, in sample order (for paired comparisons).
    pub sample_user_hours: Vec<f64>,
    /// Detail on [`SimConfig::focus_member_state`], when set.
    #[serde(default)]
    pub focus: Option<FocusResult>,
}

/// Samples per deterministic aggregation chunk (independent of thread count).
const CHUNK: usize = 64;

#[derive(Default, Clone)]
struct GroupAcc {
    n: u64,
    peak_sum: f64,
    peak_max: f64,
    dur_sum: f64,
    dur_max: f64,
    uh_sum: f64,
    uh_max: f64,
}

impl GroupAcc {
    fn merge(&mut self, o: &GroupAcc) {
        self.n += o.n;
        self.peak_sum += o.peak_sum;
        self.peak_max = self.peak_max.max(o.peak_max);
        self.dur_sum += o.dur_sum;
        self.dur_max = self.dur_max.max(o.dur_max);
        self.uh_sum += o.uh_sum;
        self.uh_max = self.uh_max.max(o.uh_max);
    }
}

struct Chunk {
    totals: Vec<(f64, f64, bool, bool, u64, bool)>,
    ms_uh: Vec<Vec<(u16, f64, f64)>>,
    ms_sig: Vec<u64>,
    groups: std::collections::BTreeMap<u32, GroupAcc>,
    flows: Vec<Vec<(u16, f64, f64)>>,
}

/// Runs `samples` samples of `scenario` on `model` with `seed`.
///
/// Samples run in parallel on the current rayon pool; sample *i* uses its own
/// ChaCha8 stream (seed, stream *i*) and aggregation happens in fixed chunks in
/// sample order, so the result is bit-identical for any thread count.
pub fn simulate(
    model: &CompiledModel,
    scenario: &CompiledScenario,
    samples: usize,
    seed: u64,
    config: &SimConfig,
) -> Result<SimulationResult, CascadeError> {
    simulate_with_progress(model, scenario, samples, seed, config, &|_| {})
}

/// [`simulate`], calling `progress` with the number of samples finished so
/// far each time a chunk of samples completes. It is called from the worker
/// threads, so calls may arrive slightly out of order: keep the largest
/// count seen. The callback does not influence the result: the same seed gives the same
/// result with or without it. Aggregation, tail attribution and the replay
/// of the worst sample follow the last call.
pub fn simulate_with_progress(
    model: &CompiledModel,
    scenario: &CompiledScenario,
    samples: usize,
    seed: u64,
    config: &SimConfig,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<SimulationResult, CascadeError> {
    config.validate()?;
    let n_ms = model.member_states.len();
    let focus = match &config.focus_member_state {
        None => None,
        Some(ms) => Some(
            model
                .member_states
                .iter()
                .position(|m| m == ms)
                .map(|m| m as u16)
                .ok_or_else(|| {
                    CascadeError::Config(format!("focus_member_state {ms:?} is not in the model"))
                })?,
        ),
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let chunks: Vec<Chunk> = (0..samples.div_ceil(CHUNK))
        .into_par_iter()
        .with_min_len(4)
        .map_init(
            || Scratch::new(model),
            |scratch, c| {
                let lo = c * CHUNK;
                let hi = (lo + CHUNK).min(samples);
                let mut chunk = Chunk {
                    totals: Vec::with_capacity(hi - lo),
                    ms_uh: Vec::with_capacity(hi - lo),
                    ms_sig: vec![0; n_ms],
                    groups: Default::default(),
                    flows: Vec::new(),
                };
                for i in lo..hi {
                    let o = scratch.run(model, scenario, config, seed, i as u64);
                    absorb(&mut chunk, &o, config);
                    if let Some(f) = focus {
                        chunk.flows.push(scratch.cross_border_flows(model, f));
                    }
                }
                let finished =
                    done.fetch_add(hi - lo, std::sync::atomic::Ordering::Relaxed) + (hi - lo);
                progress(finished);
                chunk
            },
        )
        .collect();
    let mut totals = Vec::with_capacity(samples);
    let mut ms_rows = Vec::with_capacity(samples);
    let mut ms_sig = vec![0u64; n_ms];
    let mut groups: std::collections::BTreeMap<u32, GroupAcc> = Default::default();
    let mut flow_rows = Vec::new();
    for ch in chunks {
        flow_rows.extend(ch.flows);
        totals.extend(ch.totals);
        ms_rows.extend(ch.ms_uh);
        for (a, b) in ms_sig.iter_mut().zip(&ch.ms_sig) {
            *a += b;
        }
        for (g, acc) in &ch.groups {
            groups.entry(*g).or_default().merge(acc);
        }
    }
    let nf = samples.max(1) as f64;
    let uh: Vec<f64> = totals.iter().map(|t| t.0).collect();
    let peaks: Vec<f64> = totals.iter().map(|t| t.1).collect();
    let events: u64 = totals.iter().map(|t| t.4).sum();
    let truncated = totals.iter().filter(|t| t.5).count();
    let cross = totals.iter().filter(|t| t.2).count() as f64 / nf;
    let six = totals.iter().filter(|t| t.3).count() as f64 / nf;
    let lambda = scenario.scenario.annual_frequency;

    let mut group_results: Vec<GroupResult> = groups
        .iter()
        .map(|(&g, a)| {
            let k = &model.groups[g as usize];
            GroupResult {
                service: k.service.clone(),
                region: k.region.clone(),
                member_state: k.member_state.clone(),
                probability_affected: a.n as f64 / nf,
                mean_peak_users: a.peak_sum / nf,
                max_peak_users: a.peak_max,
                mean_duration_hours: a.dur_sum / nf,
                max_duration_hours: a.dur_max,
                mean_user_hours: a.uh_sum / nf,
                max_user_hours: a.uh_max,
            }
        })
        .collect();
    group_results.sort_by(|a, b| {
        b.mean_user_hours
            .total_cmp(&a.mean_user_hours)
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.region.cmp(&b.region))
    });

    let mut per_ms_uh = vec![vec![0.0; samples]; n_ms];
    let mut per_ms_peak = vec![vec![0.0; samples]; n_ms];
    let mut ms_seen = vec![false; n_ms];
    for (s, row) in ms_rows.iter().enumerate() {
        for &(m, u, p) in row {
            per_ms_uh[m as usize][s] = u;
            per_ms_peak[m as usize][s] = p;
            ms_seen[m as usize] = true;
        }
    }
    let mut ms_results: Vec<MemberStateResult> = (0..n_ms)
        .filter(|&m| ms_seen[m])
        .map(|m| MemberStateResult {
            member_state: model.member_states[m].clone(),
            probability_significant: ms_sig[m] as f64 / nf,
            user_hours: Stats::of(&per_ms_uh[m]),
            peak_users: Stats::of(&per_ms_peak[m]),
        })
        .collect();
    ms_results.sort_by(|a, b| {
        b.user_hours
            .mean
            .total_cmp(&a.user_hours.mean)
            .then_with(|| a.member_state.cmp(&b.member_state))
    });

    let exceedance = exceedance_curve(&uh, config.exceedance_points, lambda);
    let tail = tail_attribution(model, scenario, config, seed, &uh, None);
    let focus = focus.map(|f| {
        let fu = f as usize;
        let mut acc = vec![(0u64, 0.0f64, 0u64, 0.0f64); n_ms];
        for row in &flow_rows {
            for &(m, inbound, outbound) in row {
                let a = &mut acc[m as usize];
                if inbound > 0.0 {
                    a.0 += 1;
                    a.1 += inbound;
                }
                if outbound > 0.0 {
                    a.2 += 1;
                    a.3 += outbound;
                }
            }
        }
        let mut flows: Vec<CrossBorderFlow> = acc
            .iter()
            .enumerate()
            .filter(|(_, a)| a.0 > 0 || a.2 > 0)
            .map(|(m, a)| CrossBorderFlow {
                member_state: model.member_states[m].clone(),
                inbound_probability: a.0 as f64 / nf,
                inbound_mean_user_hours: a.1 / nf,
                outbound_probability: a.2 as f64 / nf,
                outbound_mean_user_hours: a.3 / nf,
            })
            .collect();
        flows.sort_by(|a, b| {
            (b.inbound_mean_user_hours + b.outbound_mean_user_hours)
                .total_cmp(&(a.inbound_mean_user_hours + a.outbound_mean_user_hours))
                .then_with(|| a.member_state.cmp(&b.member_state))
        });
        FocusResult {
            member_state: model.member_states[fu].clone(),
            tail: tail_attribution(model, scenario, config, seed, &per_ms_uh[fu], Some(f)),
            sample_user_hours: per_ms_uh[fu].clone(),
            sample_peak_users: per_ms_peak[fu].clone(),
            flows,
        }
    });
    let worst_sample = uh
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(&a.0)))
        .filter(|(_, v)| **v > 0.0)
        .map(|(i, _)| replay_sample(model, scenario, seed, i as u64, config))
        .transpose()?;

    Ok(SimulationResult {
        scenario_id: scenario.scenario.id.clone(),
        samples,
        seed,
        config: config.clone(),
        user_hours: Stats::of(&uh),
        peak_users: Stats::of(&peaks),
        exceedance,
        expected_annual_user_hours: lambda.map(|l| l * uh.iter().sum::<f64>() / nf),
        groups: group_results,
        member_states: ms_results,
        cross_border_probability: cross,
        six_member_states_probability: six,
        tail,
        worst_sample,
        events,
        truncated_samples: truncated,
        sample_user_hours: uh,
        focus,
    })
}

fn absorb(chunk: &mut Chunk, o: &SampleOutcome, config: &SimConfig) {
    chunk.totals.push((
        o.user_hours,
        o.peak_users,
        o.cross_border,
        o.six_member_states,
        o.events,
        o.truncated,
    ));
    chunk.ms_uh.push(o.member_states.clone());
    for &(m, _, p) in &o.member_states {
        if p >= config.significant_users && p > 0.0 {
            chunk.ms_sig[m as usize] += 1;
        }
    }
    for g in &o.groups {
        let a = chunk.groups.entry(g.group).or_default();
        a.n += 1;
        a.peak_sum += g.peak;
        a.peak_max = a.peak_max.max(g.peak);
        a.dur_sum += g.duration;
        a.dur_max = a.dur_max.max(g.duration);
        a.uh_sum += g.user_hours;
        a.uh_max = a.uh_max.max(g.user_hours);
    }
}

fn exceedance_curve(uh: &[f64], points: usize, lambda: Option<f64>) -> Vec<ExceedancePoint> {
    if uh.is_empty() || points == 0 {
        return Vec::new();
    }
    let mut v = uh.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let mut levels: Vec<f64> = (0..points)
        .map(|k| v[((n - 1) as f64 * k as f64 / (points.max(2) - 1) as f64).round() as usize])
        .collect();
    levels.dedup();
    levels
        .into_iter()
        .map(|x| {
            // Number of samples strictly above x.
            let above = n - v.partition_point(|&y| y <= x);
            let p = above as f64 / n as f64;
            ExceedancePoint {
                user_hours: x,
                probability: p,
                annual_probability: lambda.map(|l| 1.0 - (-l * p).exp()),
            }
        })
        .collect()
}

fn tail_attribution(
    model: &CompiledModel,
    scenario: &CompiledScenario,
    config: &SimConfig,
    seed: u64,
    uh: &[f64],
    only_member_state: Option<u16>,
) -> TailAttribution {
    if uh.is_empty() {
        return TailAttribution::default();
    }
    let mut sorted = uh.to_vec();
    sorted.sort_by(f64::total_cmp);
    let qi = ((sorted.len() - 1) as f64 * config.tail_quantile).floor() as usize;
    let threshold = sorted[qi];
    let mut tail: Vec<u64> = uh
        .iter()
        .enumerate()
        .filter(|(_, v)| **v >= threshold && **v > 0.0)
        .map(|(i, _)| i as u64)
        .collect();
    // Keep the tail at the intended size when many samples tie at the threshold.
    let want = (uh.len() - qi).max(1);
    if tail.len() > want {
        tail.sort_by(|a, b| uh[*b as usize].total_cmp(&uh[*a as usize]).then(a.cmp(b)));
        tail.truncate(want);
        tail.sort_unstable();
    }
    let sets: Vec<(Vec<u32>, Vec<u32>)> = tail
        .par_iter()
        .map_init(
            || Scratch::new(model),
            |scratch, &i| {
                scratch.run(model, scenario, config, seed, i);
                let mut nodes = Vec::new();
                let mut edges = Vec::new();
                for p in scratch.disrupted_provisions(model) {
                    if only_member_state.is_some_and(|m| model.ms_of[p as usize] != m) {
                        continue;
                    }
                    for (x, e) in scratch.chain(model, p) {
                        nodes.push(x);
                        if e != NONE {
                            edges.push(e);
                        }
                    }
                }
                nodes.sort_unstable();
                nodes.dedup();
                edges.sort_unstable();
                edges.dedup();
                (nodes, edges)
            },
        )
        .collect();
    let mut node_count: std::collections::BTreeMap<u32, u32> = Default::default();
    let mut edge_count: std::collections::BTreeMap<u32, u32> = Default::default();
    for (ns, es) in &sets {
        for &x in ns {
            *node_count.entry(x).or_default() += 1;
        }
        for &e in es {
            *edge_count.entry(e).or_default() += 1;
        }
    }
    let nt = tail.len().max(1) as f64;
    let m = &model.model;
    let mut entities: Vec<EntityShare> = node_count
        .into_iter()
        .map(|(x, c)| EntityShare {
            id: m.nodes[x as usize].id.clone(),
            name: m.nodes[x as usize].name.clone(),
            share: c as f64 / nt,
        })
        .collect();
    entities.sort_by(|a, b| b.share.total_cmp(&a.share).then_with(|| a.id.cmp(&b.id)));
    entities.truncate(config.top_attribution);
    let mut dependencies: Vec<DependencyShare> = edge_count
        .into_iter()
        .map(|(e, c)| {
            let d = &m.dependencies[e as usize];
            DependencyShare {
                index: e,
                supplier: m.nodes[d.supplier as usize].id.clone(),
                dependent: m.nodes[d.dependent as usize].id.clone(),
                share: c as f64 / nt,
            }
        })
        .collect();
    dependencies.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.index.cmp(&b.index)));
    dependencies.truncate(config.top_attribution);
    TailAttribution {
        quantile: config.tail_quantile,
        threshold_user_hours: threshold,
        samples: tail.len(),
        entities,
        dependencies,
    }
}

/// Re-runs sample `index` of (`scenario`, `seed`) and returns its full detail
/// with the causal path of each disrupted provision (deterministic replay,
/// spec §4.1).
pub fn replay_sample(
    model: &CompiledModel,
    scenario: &CompiledScenario,
    seed: u64,
    index: u64,
    config: &SimConfig,
) -> Result<SampleDetail, CascadeError> {
    config.validate()?;
    let mut scratch = Scratch::new(model);
    let o = scratch.run(model, scenario, config, seed, index);
    let m = &model.model;
    let n_comp = scenario.scenario.components.len() as u32;
    let label = |l: u32| -> Option<String> {
        if l == NONE {
            None
        } else if l < n_comp {
            Some(scenario.scenario.components[l as usize].label.clone())
        } else {
            m.networks
                .get((l - n_comp) as usize)
                .map(|n| format!("islanded from {}", n.name))
        }
    };
    let mut provs = scratch.disrupted_provisions(model);
    let total = provs.len();
    provs.sort_by(|a, b| {
        scratch.ns[*b as usize]
            .uh
            .total_cmp(&scratch.ns[*a as usize].uh)
            .then(a.cmp(b))
    });
    provs.truncate(config.worst_sample_paths);
    let provisions = provs
        .iter()
        .map(|&p| {
            let node = &m.nodes[p as usize];
            let path = scratch
                .chain(model, p)
                .into_iter()
                .map(|(x, e)| {
                    let n = &m.nodes[x as usize];
                    PathStep {
                        id: n.id.clone(),
                        service: n.service.clone(),
                        member_state: n.member_state.clone(),
                        via: (e != NONE).then(|| {
                            let d = &m.dependencies[e as usize];
                            (d.kind, d.resource)
                        }),
                        origin: if e == NONE {
                            label(scratch.ns[x as usize].root_label)
                        } else {
                            None
                        },
                    }
                })
                .collect();
            DisruptedProvision {
                id: node.id.clone(),
                service: node.service.clone(),
                region: node.region.clone(),
                member_state: node.member_state.clone(),
                first_disrupted_hours: scratch.ns[p as usize].first_t,
                peak_users: scratch.ns[p as usize].peak,
                duration_hours: scratch.ns[p as usize].dur,
                user_hours: scratch.ns[p as usize].uh,
                path,
            }
        })
        .collect();
    let affected_member_states = o
        .member_states
        .iter()
        .filter(|(_, _, p)| *p >= config.significant_users && *p > 0.0)
        .map(|(m, _, _)| model.member_states[*m as usize].clone())
        .collect();
    Ok(SampleDetail {
        index,
        user_hours: o.user_hours,
        peak_users: o.peak_users,
        events: o.events,
        initial_failures: o.initial_failures,
        affected_member_states,
        cross_border: o.cross_border,
        six_member_states: o.six_member_states,
        provisions,
        provisions_total: total,
    })
}

/// Result of one what-if measure compared with the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasureComparison {
    /// Measure id.
    pub measure_id: String,
    /// Measure name.
    pub measure_name: String,
    /// Simulation result with the measure applied.
    pub result: SimulationResult,
    /// Mean of (measure − baseline) user-hours over paired samples.
    pub mean_difference_user_hours: f64,
    /// Standard error of that mean (paired, common random numbers).
    pub std_error_user_hours: f64,
    /// Share of samples where the measure reduced user-hours.
    pub share_improved: f64,
    /// Share of samples where the measure increased user-hours.
    pub share_worsened: f64,
}

/// Baseline and measure results computed with common random numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Baseline result.
    pub baseline: SimulationResult,
    /// One entry per measure, in the given order.
    pub measures: Vec<MeasureComparison>,
}

/// Compares what-if measures with the baseline using common random numbers:
/// every variant runs the same (seed, sample index) streams, and per-element
/// draws are keyed by element, so differences come from the measures only
/// (spec §4.3 "common random numbers when comparing measures").
pub fn compare(
    model: &crate::model::Model,
    scenario: &Scenario,
    measures: &[Measure],
    samples: usize,
    seed: u64,
    config: &SimConfig,
) -> Result<Comparison, CascadeError> {
    let cm = CompiledModel::new(model.clone())?;
    let cs = CompiledScenario::new(&cm, scenario.clone())?;
    let baseline = simulate(&cm, &cs, samples, seed, config)?;
    let mut out = Vec::with_capacity(measures.len());
    for measure in measures {
        let (m2, s2) = measure.apply(model, scenario);
        let cm2 = CompiledModel::new(m2)?;
        let cs2 = CompiledScenario::new(&cm2, s2)?;
        let result = simulate(&cm2, &cs2, samples, seed, config)?;
        let diffs: Vec<f64> = result
            .sample_user_hours
            .iter()
            .zip(&baseline.sample_user_hours)
            .map(|(a, b)| a - b)
            .collect();
        let n = diffs.len().max(1) as f64;
        let mean = diffs.iter().sum::<f64>() / n;
        let var = if diffs.len() > 1 {
            diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        out.push(MeasureComparison {
            measure_id: measure.id.clone(),
            measure_name: measure.name.clone(),
            mean_difference_user_hours: mean,
            std_error_user_hours: (var / n).sqrt(),
            share_improved: diffs.iter().filter(|d| **d < -1e-9).count() as f64 / n,
            share_worsened: diffs.iter().filter(|d| **d > 1e-9).count() as f64 / n,
            result,
        });
    }
    Ok(Comparison {
        baseline,
        measures: out,
    })
}
