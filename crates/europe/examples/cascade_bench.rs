//! Loads the European model, runs scenarios and reports throughput.
//!
//! ```text
//! cargo run --release -p bulwark-europe --example cascade_bench -- \
//!     [--data DIR] [--scenario ID|all] [--samples N] [--seed S] [--threads T] \
//!     [--export-model FILE] [--export-scenario FILE] [--summary]
//! ```
//!
//! `--export-model` / `--export-scenario` write the built model and the
//! scenario as JSON for the Python reference implementation in `bench/cascade/`.

use std::time::Instant;

use bulwark_cascade::{CompiledModel, CompiledScenario, SimConfig, simulate};
use bulwark_europe::{BuildParams, CATALOGUE, build_model, default_data_root, scenario};

/// Process CPU time (user + system) in seconds from `/proc/self/stat`
/// (Linux; clock ticks assumed to be 100 Hz), if available.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut data = default_data_root();
    let mut which = "windstorm-north-west".to_string();
    let mut samples = 1000usize;
    let mut seed = 42u64;
    let mut threads = 0usize;
    let mut export_model = None;
    let mut export_scenario = None;
    let mut summary = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = val()?.into(),
            "--scenario" => which = val()?,
            "--samples" => samples = val()?.parse()?,
            "--seed" => seed = val()?.parse()?,
            "--threads" => threads = val()?.parse()?,
            "--export-model" => export_model = Some(val()?),
            "--export-scenario" => export_scenario = Some(val()?),
            "--summary" => summary = true,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()?;
    }
    let t0 = Instant::now();
    let em = build_model(&data, &BuildParams::default())?;
    let build_s = t0.elapsed().as_secs_f64();
    eprintln!(
        "model: {} nodes, {} dependencies, built in {build_s:.2} s",
        em.stats.nodes, em.stats.dependencies
    );
    if let Some(path) = &export_model {
        std::fs::write(path, serde_json::to_vec(&em.model)?)?;
    }
    let t1 = Instant::now();
    let cm = CompiledModel::new(em.model.clone())?;
    eprintln!("compiled in {:.2} s", t1.elapsed().as_secs_f64());
    let ids: Vec<&str> = if which == "all" {
        CATALOGUE.iter().map(|s| s.id).collect()
    } else {
        vec![which.as_str()]
    };
    println!(
        "| scenario | samples | seconds | samples/s | events | events/s | mean user-hours | p99 user-hours | mean peak users |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for id in ids {
        let sc = scenario(&em, id).ok_or_else(|| format!("unknown scenario {id}"))?;
        if let Some(path) = &export_scenario {
            std::fs::write(path, serde_json::to_vec(&sc)?)?;
        }
        let cs = CompiledScenario::new(&cm, sc)?;
        let c0 = cpu_seconds();
        let t = Instant::now();
        let r = simulate(&cm, &cs, samples, seed, &SimConfig::default())?;
        let s = t.elapsed().as_secs_f64();
        let cpu = match (c0, cpu_seconds()) {
            (Some(a), Some(b)) => format!("{:.2}", b - a),
            _ => "n/a".to_string(),
        };
        println!(
            "| {id} | {samples} | {s:.2} | {:.0} | {} | {:.3e} | {:.3e} | {:.3e} | {:.3e} | {cpu} |",
            samples as f64 / s,
            r.events,
            r.events as f64 / s,
            r.user_hours.mean,
            r.user_hours.p99,
            r.peak_users.mean
        );
        if summary {
            eprintln!(
                "  cross-border p = {:.3}, six-MS p = {:.3}, truncated = {}",
                r.cross_border_probability, r.six_member_states_probability, r.truncated_samples
            );
            for m in r.member_states.iter().take(6) {
                eprintln!(
                    "  {}: mean user-hours {:.3e}, mean peak {:.3e}, max peak {:.3e}",
                    m.member_state, m.user_hours.mean, m.peak_users.mean, m.peak_users.max
                );
            }
            for g in r.groups.iter().take(8) {
                eprintln!(
                    "  {} {} {}: p {:.2} mean peak {:.3e} mean dur {:.1} h mean uh {:.3e}",
                    g.service,
                    g.region,
                    g.member_state,
                    g.probability_affected,
                    g.mean_peak_users,
                    g.mean_duration_hours,
                    g.mean_user_hours
                );
            }
            for e in r.tail.entities.iter().take(5) {
                eprintln!("  tail entity {} ({}) share {:.2}", e.id, e.name, e.share);
            }
        }
    }
    Ok(())
}
