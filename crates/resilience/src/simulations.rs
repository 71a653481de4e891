//! Stored simulation runs: the cascading-disruption Monte Carlo
//! (`bulwark-cascade`) on the European model (`bulwark-europe`), run for a
//! scenario of the catalogue and kept with its status, progress and a
//! result summary of numbers (spec §4.3 "across samples": per Member State
//! peak users, duration and user-hours, the exceedance curve, the
//! cross-border and six-Member-State flags of CER Art. 15(1) and (3), and
//! the entities and dependencies most often on the causal path in the tail).
//!
//! The life of a run: [`start`] records it `queued` (audited
//! `resilience.simulation.start`); the front end runs [`Engine::run`] on a
//! blocking thread and reports [`progress`] (status `running`, audited
//! `resilience.simulation.progress`); [`finish`] stores the summary or the
//! failure (`done` / `failed`, audited `resilience.simulation.finish`).
//! [`interrupt_unfinished`] fails runs a stopped server left behind.
//!
//! The engine is pure computation (no database, no I/O beyond reading the
//! open-data CSV files once in [`Engine::build`]); the storage functions
//! hold no model.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_cascade::{CompiledModel, CompiledScenario, SimConfig, SimulationResult};
use bulwark_core::{Country, Id, Timestamp};
use bulwark_europe::{BuildParams, CATALOGUE, EuropeModel};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{ResilienceError, Result};
use crate::identification::SimulatedOutage;

/// Marker type of simulation run ids.
#[derive(Debug)]
pub enum SimulationMarker {}
/// The id of a stored simulation run.
pub type SimulationId = Id<SimulationMarker>;

/// The most samples one run may ask for (a run of this size takes minutes
/// on a small server; larger studies belong on the command line).
pub const MAX_SAMPLES: u64 = 100_000;
/// The largest seed accepted: 2^53 − 1, so that seeds survive JSON numbers
/// in every client (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_SEED: u64 = (1 << 53) - 1;
/// Samples of a run when the request does not say.
pub const DEFAULT_SAMPLES: u64 = 1000;
/// Entities and dependencies listed as top causes.
pub const TOP_CAUSES: usize = 10;

/// A request to run a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSimulation {
    /// Scenario id from the catalogue (see [`scenarios`]), e.g. `cyber-cloud-provider`.
    pub scenario: String,
    /// Monte Carlo samples, 1 to 100 000 (default 1000).
    #[serde(default = "default_samples")]
    pub samples: u64,
    /// Seed: the same scenario, samples and seed give the same result (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_samples() -> u64 {
    DEFAULT_SAMPLES
}

fn default_seed() -> u64 {
    1
}

impl NewSimulation {
    /// Checks the request: a catalogue scenario, samples within
    /// 1..=[`MAX_SAMPLES`], seed at most [`MAX_SEED`]. The error names the field.
    pub fn validate(&self) -> Result<()> {
        if !CATALOGUE.iter().any(|s| s.id == self.scenario) {
            let ids: Vec<&str> = CATALOGUE.iter().map(|s| s.id).collect();
            return Err(ResilienceError::invalid(
                "scenario",
                format!("must be a scenario id of the catalogue: {}", ids.join(", ")),
            ));
        }
        if !(1..=MAX_SAMPLES).contains(&self.samples) {
            return Err(ResilienceError::invalid(
                "samples",
                format!("must be between 1 and {MAX_SAMPLES}"),
            ));
        }
        if self.seed > MAX_SEED {
            return Err(ResilienceError::invalid(
                "seed",
                format!("must be between 0 and {MAX_SEED}"),
            ));
        }
        Ok(())
    }
}

/// A scenario that can be run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioChoice {
    /// Stable id.
    pub id: &'static str,
    /// Short name.
    pub name: &'static str,
    /// What is modelled.
    pub description: &'static str,
}

/// The scenario catalogue of the European model.
pub fn scenarios() -> Vec<ScenarioChoice> {
    CATALOGUE
        .iter()
        .map(|s| ScenarioChoice {
            id: s.id,
            name: s.name,
            description: s.description,
        })
        .collect()
}

bulwark_core::text_enum! {
    /// Where a run stands.
    pub enum RunStatus: "run status" {
        /// Recorded, waiting for the engine.
        Queued = "queued",
        /// Samples are being drawn.
        Running = "running",
        /// Finished; the summary is stored.
        Done = "done",
        /// Stopped with an error; nothing but the error is stored.
        Failed = "failed",
    }
}

impl RunStatus {
    /// Whether the run will not change any more.
    pub fn is_final(self) -> bool {
        matches!(self, RunStatus::Done | RunStatus::Failed)
    }
}

/// Mean and quantiles of a per-sample quantity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quantiles {
    /// Mean over samples.
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

impl From<&bulwark_cascade::Stats> for Quantiles {
    fn from(s: &bulwark_cascade::Stats) -> Self {
        Quantiles {
            mean: s.mean,
            p50: s.p50,
            p90: s.p90,
            p99: s.p99,
            max: s.max,
        }
    }
}

/// The results for one country of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StateSummary {
    /// Country code as in the model (ISO 3166-1, e.g. `DE`, `GR`).
    pub member_state: String,
    /// Share of samples in which its peak users reach the significance
    /// level (`significant_users` of the summary).
    pub probability_significant: f64,
    /// Peak users affected at one time.
    pub peak_users: Quantiles,
    /// User-hours lost.
    pub user_hours: Quantiles,
    /// The longest time any essential service there stayed disrupted in any sample (hours).
    pub max_duration_hours: f64,
    /// The largest mean disruption time of one of its services (hours, over all samples).
    pub mean_duration_hours: f64,
}

/// One point of the exceedance curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExceedanceRow {
    /// User-hours level.
    pub user_hours: f64,
    /// Probability that one event exceeds it.
    pub probability: f64,
    /// Annual exceedance probability, when the scenario has an annual frequency.
    pub annual_probability: Option<f64>,
}

/// An entity on the causal path of the worst samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CauseEntity {
    /// Model node id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Share of tail samples in which it is on a causal path.
    pub share: f64,
}

/// A dependency on the causal path of the worst samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CauseDependency {
    /// Supplier node id.
    pub supplier: String,
    /// Dependent node id.
    pub dependent: String,
    /// Share of tail samples in which it is on a causal path.
    pub share: f64,
}

/// The worst sample drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorstSample {
    /// Its index (replayable with the same seed).
    pub index: u64,
    /// User-hours lost.
    pub user_hours: f64,
    /// Peak users affected.
    pub peak_users: f64,
    /// Countries significantly affected.
    pub affected_member_states: Vec<String>,
    /// More than one country significantly affected (CER Art. 15(3) routing).
    pub cross_border: bool,
    /// Six or more Member States affected (CER Art. 15(1): Commission notification).
    pub six_member_states: bool,
}

/// The stored result of a run: numbers only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SimulationSummary {
    /// Horizon of each sample (hours).
    pub horizon_hours: f64,
    /// Peak users from which a country counts as significantly affected.
    pub significant_users: f64,
    /// Total user-hours per sample.
    pub user_hours: Quantiles,
    /// Total peak users per sample.
    pub peak_users: Quantiles,
    /// Expected annual user-hours (scenarios with an annual frequency).
    pub expected_annual_user_hours: Option<f64>,
    /// Share of samples affecting more than one country significantly (CER Art. 15(3), NIS2 Art. 23(6)).
    pub cross_border_probability: f64,
    /// Share of samples affecting six or more Member States significantly (CER Art. 15(1)).
    pub six_member_states_probability: f64,
    /// Per country, the most affected first.
    pub member_states: Vec<StateSummary>,
    /// The exceedance curve (user-hours ascending).
    pub exceedance: Vec<ExceedanceRow>,
    /// Quantile of user-hours from which a sample is in the tail.
    pub tail_quantile: f64,
    /// Entities most often on the causal path of tail samples.
    pub top_entities: Vec<CauseEntity>,
    /// Dependencies most often on the causal path of tail samples.
    pub top_dependencies: Vec<CauseDependency>,
    /// The worst sample, if any sample lost anything.
    pub worst_sample: Option<WorstSample>,
    /// Queue events processed.
    pub events: u64,
    /// Samples stopped at the event cap.
    pub truncated_samples: u64,
}

impl SimulationSummary {
    /// Condenses an engine result.
    pub fn of(r: &SimulationResult) -> SimulationSummary {
        let mut durations: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        for g in &r.groups {
            let d = durations.entry(g.member_state.as_str()).or_default();
            d.0 = d.0.max(g.max_duration_hours);
            d.1 = d.1.max(g.mean_duration_hours);
        }
        let member_states = r
            .member_states
            .iter()
            .map(|m| {
                let (max_d, mean_d) = durations
                    .get(m.member_state.as_str())
                    .copied()
                    .unwrap_or_default();
                StateSummary {
                    member_state: m.member_state.clone(),
                    probability_significant: m.probability_significant,
                    peak_users: (&m.peak_users).into(),
                    user_hours: (&m.user_hours).into(),
                    max_duration_hours: max_d,
                    mean_duration_hours: mean_d,
                }
            })
            .collect();
        SimulationSummary {
            horizon_hours: r.config.horizon_hours,
            significant_users: r.config.significant_users,
            user_hours: (&r.user_hours).into(),
            peak_users: (&r.peak_users).into(),
            expected_annual_user_hours: r.expected_annual_user_hours,
            cross_border_probability: r.cross_border_probability,
            six_member_states_probability: r.six_member_states_probability,
            member_states,
            exceedance: r
                .exceedance
                .iter()
                .map(|p| ExceedanceRow {
                    user_hours: p.user_hours,
                    probability: p.probability,
                    annual_probability: p.annual_probability,
                })
                .collect(),
            tail_quantile: r.tail.quantile,
            top_entities: r
                .tail
                .entities
                .iter()
                .take(TOP_CAUSES)
                .map(|e| CauseEntity {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    share: e.share,
                })
                .collect(),
            top_dependencies: r
                .tail
                .dependencies
                .iter()
                .take(TOP_CAUSES)
                .map(|d| CauseDependency {
                    supplier: d.supplier.clone(),
                    dependent: d.dependent.clone(),
                    share: d.share,
                })
                .collect(),
            worst_sample: r.worst_sample.as_ref().map(|w| WorstSample {
                index: w.index,
                user_hours: w.user_hours,
                peak_users: w.peak_users,
                affected_member_states: w.affected_member_states.clone(),
                cross_border: w.cross_border,
                six_member_states: w.six_member_states,
            }),
            events: r.events,
            truncated_samples: r.truncated_samples as u64,
        }
    }
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SimulationRun {
    /// Id.
    pub id: SimulationId,
    /// Scenario id.
    pub scenario: String,
    /// Samples asked for.
    pub samples: u64,
    /// Seed.
    pub seed: u64,
    /// Where it stands.
    pub status: RunStatus,
    /// Samples finished so far.
    pub samples_done: u64,
    /// `samples_done / samples`, from 0 to 1.
    pub progress: f64,
    /// Why it failed (failed runs only).
    pub error: Option<String>,
    /// The actor who started it (`token:<id>`).
    pub created_by: String,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// When the engine took it up.
    pub started_at: Option<Timestamp>,
    /// When it finished or failed.
    pub finished_at: Option<Timestamp>,
    /// The result (done runs; left out of listings).
    pub summary: Option<SimulationSummary>,
}

// ------------------------------------------------------------------ engine

/// The European model, built and compiled once, ready to run scenarios.
pub struct Engine {
    model: EuropeModel,
    compiled: CompiledModel,
}

/// Why the engine could not build or run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct EngineError(pub String);

impl Engine {
    /// Builds the European model from the open-data folder (`grid/`, `geo/`,
    /// as `shared/data`) and compiles it. Takes seconds; do it once.
    pub fn build(data_root: &Path) -> std::result::Result<Engine, EngineError> {
        let model = bulwark_europe::build_model(data_root, &BuildParams::default())
            .map_err(|e| EngineError(format!("building the European model: {e}")))?;
        let compiled = CompiledModel::new(model.model.clone())
            .map_err(|e| EngineError(format!("compiling the European model: {e}")))?;
        Ok(Engine { model, compiled })
    }

    /// Runs `samples` samples of the catalogue scenario `scenario` with
    /// `seed` (default settings: 168 h horizon), calling `progress` with the
    /// samples finished so far (possibly out of order; keep the largest).
    /// CPU-bound: call it from a blocking thread.
    pub fn run(
        &self,
        scenario: &str,
        samples: u64,
        seed: u64,
        progress: &(dyn Fn(u64) + Sync),
    ) -> std::result::Result<SimulationSummary, EngineError> {
        let sc = bulwark_europe::scenario(&self.model, scenario)
            .ok_or_else(|| EngineError(format!("unknown scenario {scenario:?}")))?;
        let cs = CompiledScenario::new(&self.compiled, sc)
            .map_err(|e| EngineError(format!("compiling the scenario: {e}")))?;
        let samples = usize::try_from(samples)
            .map_err(|_| EngineError("too many samples for this machine".into()))?;
        let result = bulwark_cascade::simulate_with_progress(
            &self.compiled,
            &cs,
            samples,
            seed,
            &SimConfig::default(),
            &|n| progress(n as u64),
        )
        .map_err(|e| EngineError(format!("simulating: {e}")))?;
        Ok(SimulationSummary::of(&result))
    }
}

// ----------------------------------------------------------------- storage

const COLUMNS: &str = "id, scenario, samples, seed, status, samples_done, error, created_by, created_at, started_at, finished_at";

fn time(what: &'static str, micros: Option<i64>) -> Result<Option<Timestamp>> {
    micros
        .map(|m| {
            Timestamp::from_unix_micros(m)
                .ok_or_else(|| crate::registry::corrupt(what, "time out of range"))
        })
        .transpose()
}

fn row_to_run(row: &sqlx::any::AnyRow, with_summary: bool) -> Result<SimulationRun> {
    let w = "res_simulations";
    let id: String = row.try_get("id")?;
    let status: String = row.try_get("status")?;
    let samples: i64 = row.try_get("samples")?;
    let seed: i64 = row.try_get("seed")?;
    let done: i64 = row.try_get("samples_done")?;
    let samples = u64::try_from(samples).map_err(|e| crate::registry::corrupt(w, e))?;
    let samples_done = u64::try_from(done).map_err(|e| crate::registry::corrupt(w, e))?;
    let summary = if with_summary {
        let text: Option<String> = row.try_get("summary")?;
        text.map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| crate::registry::corrupt(w, e))?
    } else {
        None
    };
    Ok(SimulationRun {
        id: id.parse().map_err(|e| crate::registry::corrupt(w, e))?,
        scenario: row.try_get("scenario")?,
        samples,
        seed: u64::try_from(seed).map_err(|e| crate::registry::corrupt(w, e))?,
        status: status.parse().map_err(|e| crate::registry::corrupt(w, e))?,
        samples_done,
        progress: if samples == 0 {
            0.0
        } else {
            (samples_done as f64 / samples as f64).min(1.0)
        },
        error: row.try_get("error")?,
        created_by: row.try_get("created_by")?,
        created_at: time(w, Some(row.try_get("created_at")?))?
            .ok_or_else(|| crate::registry::corrupt(w, "time"))?,
        started_at: time(w, row.try_get("started_at")?)?,
        finished_at: time(w, row.try_get("finished_at")?)?,
        summary,
    })
}

fn to_i64(field: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| ResilienceError::invalid(field, "is too large"))
}

/// Records a new run as `queued` at `now` (audited
/// `resilience.simulation.start`). Nothing runs yet: the caller hands the
/// run to the engine.
pub async fn start(
    store: &Store,
    actor: &Actor,
    request: &NewSimulation,
    now: Timestamp,
    purpose: &str,
) -> Result<SimulationRun> {
    request.validate()?;
    let id = SimulationId::new();
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO res_simulations (id, scenario, samples, seed, status, samples_done, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
    )
    .bind(id.to_string())
    .bind(&request.scenario)
    .bind(to_i64("samples", request.samples)?)
    .bind(to_i64("seed", request.seed)?)
    .bind(RunStatus::Queued.as_str())
    .bind(&actor.id)
    .bind(now.unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "resilience.simulation.start",
            format!("simulation:{id}"),
            purpose,
        )
        .with_details(serde_json::json!({
            "scenario": request.scenario,
            "samples": request.samples,
            "seed": request.seed,
        })),
    )
    .await?;
    get(store, id).await
}

/// Records that the run is `running` with `samples_done` samples finished
/// (audited `resilience.simulation.progress`). A finished run is left as it
/// is (returns `false`).
pub async fn progress(
    store: &Store,
    actor: &Actor,
    id: SimulationId,
    samples_done: u64,
    now: Timestamp,
) -> Result<bool> {
    let mut tx = store.write().await?;
    let changed = sqlx::query(
        "UPDATE res_simulations SET status = $1, samples_done = $2, \
         started_at = COALESCE(started_at, $3) WHERE id = $4 AND status IN ('queued', 'running')",
    )
    .bind(RunStatus::Running.as_str())
    .bind(to_i64("samples_done", samples_done)?)
    .bind(now.unix_micros())
    .bind(id.to_string())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    tx.commit(
        actor,
        AuditEntry::new(
            "resilience.simulation.progress",
            format!("simulation:{id}"),
            "simulation run",
        )
        .with_details(serde_json::json!({"samples_done": samples_done})),
    )
    .await?;
    Ok(true)
}

/// Records the end of a run: `done` with its summary, or `failed` with the
/// reason (audited `resilience.simulation.finish`). A run that already
/// finished is left as it is (returns `false`).
pub async fn finish(
    store: &Store,
    actor: &Actor,
    id: SimulationId,
    outcome: std::result::Result<&SimulationSummary, &str>,
    now: Timestamp,
) -> Result<bool> {
    let (status, summary, error) = match outcome {
        Ok(s) => (
            RunStatus::Done,
            Some(
                serde_json::to_string(s)
                    .map_err(|e| crate::registry::corrupt("res_simulations", e))?,
            ),
            None,
        ),
        Err(reason) => (RunStatus::Failed, None, Some(reason.to_string())),
    };
    let mut tx = store.write().await?;
    let changed = sqlx::query(
        "UPDATE res_simulations SET status = $1, summary = $2, error = $3, finished_at = $4, \
         samples_done = CASE WHEN $5 = 1 THEN samples ELSE samples_done END, \
         started_at = COALESCE(started_at, $6) \
         WHERE id = $7 AND status IN ('queued', 'running')",
    )
    .bind(status.as_str())
    .bind(summary)
    .bind(error)
    .bind(now.unix_micros())
    .bind(i64::from(status == RunStatus::Done))
    .bind(now.unix_micros())
    .bind(id.to_string())
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(false);
    }
    tx.commit(
        actor,
        AuditEntry::new(
            "resilience.simulation.finish",
            format!("simulation:{id}"),
            "simulation run",
        )
        .with_details(serde_json::json!({"status": status.as_str()})),
    )
    .await?;
    Ok(true)
}

/// Finished runs [`outage_in`] looks at, newest first.
pub const OUTAGE_RUNS: u32 = 200;

/// The stored simulation figure CER Art. 7(1)(c) uses for `ms`: of the
/// newest finished (`done`) run of each scenario (among the newest
/// [`OUTAGE_RUNS`] finished runs), the one in which the most disrupted
/// essential service of `ms` stayed disrupted longest on average over the
/// samples (`StateSummary::mean_duration_hours`); the worst scenario
/// stands for "the impacts that incidents could have". `None` when no such
/// run disrupts `ms` at all: identification then uses the placeholder.
pub async fn outage_in(store: &Store, ms: Country) -> Result<Option<SimulatedOutage>> {
    let rows = sqlx::query(
        "SELECT id, scenario, summary FROM res_simulations WHERE status = $1 \
         ORDER BY finished_at DESC, id DESC LIMIT $2",
    )
    .bind(RunStatus::Done.as_str())
    .bind(i64::from(OUTAGE_RUNS))
    .fetch_all(store.pool())
    .await?;
    let mut seen = std::collections::BTreeSet::new();
    let mut best: Option<SimulatedOutage> = None;
    for row in &rows {
        let scenario: String = row.try_get("scenario")?;
        if !seen.insert(scenario.clone()) {
            continue;
        }
        let Some(text) = row.try_get::<Option<String>, _>("summary")? else {
            continue;
        };
        let summary: SimulationSummary = serde_json::from_str(&text)
            .map_err(|e| crate::registry::corrupt("res_simulations", e))?;
        let hours = summary
            .member_states
            .iter()
            .filter(|s| s.member_state.parse::<Country>().ok() == Some(ms))
            .map(|s| s.mean_duration_hours)
            .fold(0.0, f64::max);
        if hours.is_finite() && hours > 0.0 && best.as_ref().is_none_or(|b| hours > b.hours) {
            best = Some(SimulatedOutage {
                hours,
                run: row.try_get("id")?,
                scenario,
            });
        }
    }
    Ok(best)
}

/// Fails every run left `queued` or `running` (a stopped server's), each
/// with its own audit record. Returns how many.
pub async fn interrupt_unfinished(store: &Store, actor: &Actor, now: Timestamp) -> Result<u64> {
    let rows = sqlx::query("SELECT id FROM res_simulations WHERE status IN ('queued', 'running')")
        .fetch_all(store.pool())
        .await?;
    let mut n = 0;
    for row in rows {
        let id: String = row.try_get("id")?;
        let id: SimulationId = id
            .parse()
            .map_err(|e| crate::registry::corrupt("res_simulations", e))?;
        if finish(
            store,
            actor,
            id,
            Err("interrupted: the server stopped before the run finished"),
            now,
        )
        .await?
        {
            n += 1;
        }
    }
    Ok(n)
}

/// One run with its summary.
pub async fn get(store: &Store, id: SimulationId) -> Result<SimulationRun> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, summary FROM res_simulations WHERE id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| ResilienceError::NotFound {
        kind: "simulation",
        key: id.to_string(),
    })?;
    row_to_run(&row, true)
}

/// The newest `limit` runs, newest first, without their summaries.
pub async fn list(store: &Store, limit: u32) -> Result<Vec<SimulationRun>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM res_simulations ORDER BY id DESC LIMIT $1"
    ))
    .bind(i64::from(limit))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| row_to_run(r, false)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(scenario: &str, samples: u64, seed: u64) -> NewSimulation {
        NewSimulation {
            scenario: scenario.into(),
            samples,
            seed,
        }
    }

    fn field_of(e: ResilienceError) -> String {
        match e {
            ResilienceError::Invalid { field, .. } => field,
            other => panic!("expected a field error, got {other}"),
        }
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        assert!(req("cyber-cloud-provider", 10, 1).validate().is_ok());
        assert!(
            req("cyber-cloud-provider", MAX_SAMPLES, MAX_SEED)
                .validate()
                .is_ok()
        );
        assert_eq!(
            field_of(req("nope", 10, 1).validate().unwrap_err()),
            "scenario"
        );
        assert_eq!(
            field_of(req("cyber-cloud-provider", 0, 1).validate().unwrap_err()),
            "samples"
        );
        assert_eq!(
            field_of(
                req("cyber-cloud-provider", MAX_SAMPLES + 1, 1)
                    .validate()
                    .unwrap_err()
            ),
            "samples"
        );
        assert_eq!(
            field_of(
                req("cyber-cloud-provider", 1, MAX_SEED + 1)
                    .validate()
                    .unwrap_err()
            ),
            "seed"
        );
    }

    #[test]
    fn every_catalogue_scenario_is_offered() {
        assert_eq!(scenarios().len(), CATALOGUE.len());
    }
}
