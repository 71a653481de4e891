//! # bulwark-europe
//!
//! Builds the European cascade model for [`bulwark_cascade`] from the open
//! data prepared in `shared/data` (see its `SOURCES.md`):
//!
//! * electricity: GridKit buses, AC lines and HVDC links in service,
//!   transformers and converters, generators (capacity when known, else the
//!   technology median) — a supply network checked for islanding;
//! * gas: SciGRID_gas-derived pipeline segments and their nodes — a second
//!   supply network; gas-fired plants depend on the nearest gas node;
//! * demand: GeoNames places ≥ 15 000 inhabitants, scaled to the national
//!   population, each with electricity distribution, mobile telecom, drinking
//!   water, waste water and card payments; per region (country × admin1)
//!   hospitals, rail and gas distribution; per Member State mobile cores,
//!   a payment processor and the main airport; four synthetic cloud providers
//!   with data centres in major metros serving every Member State.
//!
//! Synthetic layers are deterministic and calibrated on the spec §4.4/§5.4
//! values ([`BuildParams`]). File reading only: no database, no network.
//!
//! Attribution (required wherever the data or derived results are shown):
//! see [`ATTRIBUTION`].

mod build;
pub mod data;
mod error;
mod scenarios;

pub use build::{
    ATTRIBUTION, BuildParams, EuropeModel, Interconnector, ModelStats, build_from_paths,
    build_model, distance_km,
};
pub use error::EuropeError;
pub use scenarios::{CATALOGUE, ScenarioInfo, measures, scenario, scenarios};

/// The `shared/data` folder as seen from this crate's manifest directory
/// (`crates/europe` → `../../../shared/data`), for tests, examples and benches.
pub fn default_data_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// Runs `samples` samples of the catalogue scenario `id` on the model
/// (convenience wrapper over [`bulwark_cascade::simulate`]; results are
/// identical for any thread count).
pub fn simulate_scenario(
    em: &EuropeModel,
    id: &str,
    samples: usize,
    seed: u64,
    config: &bulwark_cascade::SimConfig,
) -> Result<bulwark_cascade::SimulationResult, EuropeError> {
    let sc = scenario(em, id)
        .ok_or_else(|| EuropeError::Inconsistent(format!("unknown scenario id {id:?}")))?;
    let cm = bulwark_cascade::CompiledModel::new(em.model.clone())?;
    let cs = bulwark_cascade::CompiledScenario::new(&cm, sc)?;
    Ok(bulwark_cascade::simulate(&cm, &cs, samples, seed, config)?)
}

/// Compares the library measures with these ids against the baseline of the
/// catalogue scenario `id`, with common random numbers
/// (wrapper over [`bulwark_cascade::compare`]).
pub fn compare_measures(
    em: &EuropeModel,
    id: &str,
    measure_ids: &[&str],
    samples: usize,
    seed: u64,
    config: &bulwark_cascade::SimConfig,
) -> Result<bulwark_cascade::Comparison, EuropeError> {
    let sc = scenario(em, id)
        .ok_or_else(|| EuropeError::Inconsistent(format!("unknown scenario id {id:?}")))?;
    let library = measures();
    let mut chosen = Vec::with_capacity(measure_ids.len());
    for mid in measure_ids {
        let m = library
            .iter()
            .find(|m| m.id == *mid)
            .ok_or_else(|| EuropeError::Inconsistent(format!("unknown measure id {mid:?}")))?;
        chosen.push(m.clone());
    }
    Ok(bulwark_cascade::compare(
        &em.model, &sc, &chosen, samples, seed, config,
    )?)
}
