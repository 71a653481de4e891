//! `bulwark resilience scenarios` and `bulwark resilience simulate`: the
//! cascading-disruption Monte Carlo (crates/cascade) on the European model
//! built from the open data (crates/europe).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;

use bulwark_cascade::{SimConfig, SimulationResult};
use bulwark_europe::{BuildParams, CATALOGUE};

use crate::exit::UsageError;

/// Options of `bulwark resilience scenarios`.
#[derive(clap::Args)]
pub struct ScenariosArgs {
    /// Print JSON (one array).
    #[arg(long)]
    json: bool,
}

/// Options of `bulwark resilience simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Scenario id (see `bulwark resilience scenarios`).
    #[arg(long)]
    scenario: String,
    /// Monte Carlo samples.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    samples: u64,
    /// Seed: the same seed gives the same result on any number of threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Simulation horizon in hours.
    #[arg(long, default_value_t = 168.0)]
    horizon_hours: f64,
    /// The open-data folder (GridKit, SciGRID gas, GeoNames), as in the
    /// project's `../shared/data`.
    #[arg(long, env = "BULWARK_DATA")]
    data: Option<PathBuf>,
    /// Print the whole result as JSON.
    #[arg(long)]
    json: bool,
}

/// Lists the scenario library.
pub fn scenarios(args: ScenariosArgs) -> anyhow::Result<ExitCode> {
    if args.json {
        println!("{}", serde_json::to_string(&CATALOGUE)?);
    } else {
        println!("{:<32}  {:<18}  NAME", "ID", "HAZARD");
        for s in &CATALOGUE {
            let hazard = serde_json::to_value(s.hazard)?;
            println!(
                "{:<32}  {:<18}  {}",
                s.id,
                hazard.as_str().unwrap_or("?"),
                s.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn data_root(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let root = given.unwrap_or_else(bulwark_europe::default_data_root);
    if !root.join("grid").is_dir() || !root.join("geo").is_dir() {
        return Err(UsageError(format!(
            "--data {}: not the open-data folder (it needs grid/ and geo/); pass --data or set BULWARK_DATA",
            root.display()
        ))
        .into());
    }
    Ok(root)
}

pub(crate) fn spinner(message: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// Runs a scenario and prints its summary (or the whole result as JSON).
pub fn simulate(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    if !CATALOGUE.iter().any(|s| s.id == args.scenario) {
        let ids: Vec<&str> = CATALOGUE.iter().map(|s| s.id).collect();
        return Err(UsageError(format!(
            "--scenario {:?}: unknown; expected one of {}",
            args.scenario,
            ids.join(", ")
        ))
        .into());
    }
    if !(args.horizon_hours > 0.0 && args.horizon_hours <= 87_600.0) {
        return Err(UsageError("--horizon-hours: must be above 0 and at most 87600".into()).into());
    }
    let root = data_root(args.data)?;
    let pool = match args.threads {
        Some(0) => return Err(UsageError("--threads: must be at least 1".into()).into()),
        Some(n) => rayon::ThreadPoolBuilder::new().num_threads(n).build()?,
        None => rayon::ThreadPoolBuilder::new().build()?,
    };
    let bar = spinner("building the European model");
    let started = Instant::now();
    let model = bulwark_europe::build_model(&root, &BuildParams::default())
        .with_context(|| format!("building the model from {}", root.display()))?;
    if let Some(b) = &bar {
        b.set_message(format!(
            "simulating {} samples of {}",
            args.samples, args.scenario
        ));
    }
    let config = SimConfig {
        horizon_hours: args.horizon_hours,
        ..SimConfig::default()
    };
    let samples = usize::try_from(args.samples).context("--samples")?;
    let result = pool.install(|| {
        bulwark_europe::simulate_scenario(&model, &args.scenario, samples, args.seed, &config)
    })?;
    let elapsed = started.elapsed();
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        print_summary(&result, elapsed);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(r: &SimulationResult, elapsed: Duration) {
    println!(
        "scenario {}: {} samples, seed {}, {} events, {:.1} s",
        r.scenario_id,
        r.samples,
        r.seed,
        r.events,
        elapsed.as_secs_f64()
    );
    println!(
        "user-hours per event: mean {:.3e}, p50 {:.3e}, p90 {:.3e}, p99 {:.3e}, max {:.3e}",
        r.user_hours.mean, r.user_hours.p50, r.user_hours.p90, r.user_hours.p99, r.user_hours.max
    );
    println!(
        "peak users affected:  mean {:.3e}, p99 {:.3e}, max {:.3e}",
        r.peak_users.mean, r.peak_users.p99, r.peak_users.max
    );
    if let Some(annual) = r.expected_annual_user_hours {
        println!("expected annual user-hours: {annual:.3e}");
    }
    println!(
        "cross-border impact in {:.1} % of samples; six or more Member States in {:.1} %",
        100.0 * r.cross_border_probability,
        100.0 * r.six_member_states_probability
    );
    if r.truncated_samples > 0 {
        println!("warning: {} samples hit the event cap", r.truncated_samples);
    }
    println!(
        "\n{:<6} {:>14} {:>14} {:>12}",
        "MS", "MEAN USER-H", "P99 USER-H", "P(SIGNIF.)"
    );
    for ms in r.member_states.iter().take(15) {
        println!(
            "{:<6} {:>14.3e} {:>14.3e} {:>11.1}%",
            ms.member_state,
            ms.user_hours.mean,
            ms.user_hours.p99,
            100.0 * ms.probability_significant
        );
    }
    println!("\n{}", bulwark_europe::ATTRIBUTION);
}
