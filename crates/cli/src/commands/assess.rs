//! `bulwark resilience assess`: the Member State risk assessment of CER
//! Art. 5 over the whole scenario library, written as one printable HTML
//! report (crates/assessment). Thin: parse, check, call, write.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use bulwark_assessment::{AssessmentConfig, AssessmentError, LikelihoodTable};
use bulwark_cascade::SimConfig;
use bulwark_europe::BuildParams;

use crate::exit::UsageError;

/// Options of `bulwark resilience assess`.
#[derive(clap::Args)]
pub struct AssessArgs {
    /// The Member State to assess (EU code; EL or GR for Greece).
    #[arg(long)]
    member_state: String,
    /// The HTML report to write (replaced atomically; nothing is written on error).
    #[arg(long)]
    out: PathBuf,
    /// Monte Carlo samples per scenario.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    samples: u64,
    /// Seed: the same seed gives the same report on any number of threads.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Simulation horizon per event in hours.
    #[arg(long, default_value_t = 168.0)]
    horizon_hours: f64,
    /// A JSON object of scenario id -> annual frequency (events per year)
    /// that replaces the default likelihood table entries.
    #[arg(long)]
    likelihood: Option<PathBuf>,
    /// Assessment date shown in the report (YYYY-MM-DD); not taken from the
    /// clock, so that the report is reproducible.
    #[arg(long)]
    date: Option<String>,
    /// The open-data folder (GridKit, SciGRID gas, GeoNames), as in the
    /// project's `../shared/data`.
    #[arg(long, env = "BULWARK_DATA")]
    data: Option<PathBuf>,
    /// Also print the assessment (all numbers) as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Checks that `out` can be written: returns a temporary file in the same
/// folder (renamed over `out` at the end, removed on any error).
fn temp_for(out: &Path) -> anyhow::Result<tempfile::NamedTempFile> {
    if out.is_dir() {
        return Err(UsageError(format!("--out {}: is a folder", out.display())).into());
    }
    let name = out
        .file_name()
        .ok_or_else(|| UsageError(format!("--out {}: not a file path", out.display())))?;
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    tempfile::Builder::new()
        .prefix(&format!(".{}.", name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| {
            UsageError(format!(
                "--out {}: cannot write in {}: {e}",
                out.display(),
                dir.display()
            ))
            .into()
        })
}

#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

fn likelihood_overrides(path: &Path) -> anyhow::Result<BTreeMap<String, f64>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError(format!("--likelihood {}: cannot read: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "--likelihood {}: expected a JSON object of scenario id -> annual frequency: {e}",
            path.display()
        ))
        .into()
    })
}

/// Maps the library's input errors to usage errors naming the option.
fn usage(args: &AssessArgs, e: AssessmentError) -> anyhow::Error {
    let (flag, value) = match &e {
        AssessmentError::MemberState(_) => ("--member-state", args.member_state.clone()),
        AssessmentError::Samples(_) => ("--samples", args.samples.to_string()),
        AssessmentError::Likelihood(_) => (
            "--likelihood",
            args.likelihood
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        ),
        _ => return e.into(),
    };
    UsageError(format!("{flag} {value}: {e}")).into()
}

/// Runs the assessment and writes the report.
pub fn assess(args: AssessArgs) -> anyhow::Result<ExitCode> {
    // Cheap checks first: nothing is simulated for a bad option.
    bulwark_core::Country::parse_member_state(args.member_state.trim())
        .map_err(|e| UsageError(format!("--member-state {}: {e}", args.member_state)))?;
    if !(args.horizon_hours > 0.0 && args.horizon_hours <= 87_600.0) {
        return Err(UsageError("--horizon-hours: must be above 0 and at most 87600".into()).into());
    }
    if let Some(d) = &args.date {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|e| UsageError(format!("--date {d}: expected YYYY-MM-DD: {e}")))?;
    }
    let overrides = match &args.likelihood {
        Some(p) => Some((p.clone(), likelihood_overrides(p)?)),
        None => None,
    };
    let root = super::simulate::data_root(args.data.clone())?;
    let pool = match args.threads {
        Some(0) => return Err(UsageError("--threads: must be at least 1".into()).into()),
        Some(n) => rayon::ThreadPoolBuilder::new().num_threads(n).build()?,
        None => rayon::ThreadPoolBuilder::new().build()?,
    };
    let mut temp = temp_for(&args.out)?;
    let samples = usize::try_from(args.samples).context("--samples")?;

    let started = Instant::now();
    let bar = super::simulate::spinner("building the European model");
    let model = bulwark_europe::build_model(&root, &BuildParams::default())
        .with_context(|| format!("building the model from {}", root.display()))?;
    let mut likelihood = LikelihoodTable::defaults(&model);
    if let Some((_, o)) = &overrides {
        likelihood = likelihood.with_overrides(o).map_err(|e| usage(&args, e))?;
    }
    let config = AssessmentConfig {
        samples,
        seed: args.seed,
        sim: SimConfig {
            horizon_hours: args.horizon_hours,
            ..SimConfig::default()
        },
        likelihood,
        assessment_date: args.date.clone(),
        ..AssessmentConfig::new(&model, &args.member_state)
    };
    let assessment = pool
        .install(|| {
            bulwark_assessment::assess(&model, &config, &mut |p| {
                if let Some(b) = &bar
                    && p.done < p.total
                {
                    b.set_message(format!(
                        "scenario {}/{}: {} ({} samples)",
                        p.done + 1,
                        p.total,
                        p.scenario,
                        samples
                    ));
                }
            })
        })
        .map_err(|e| usage(&args, e))?;
    let html = bulwark_assessment::render_html(&assessment)?;
    temp.write_all(html.as_bytes())
        .and_then(|_| temp.as_file().sync_all())
        .with_context(|| format!("writing {}", args.out.display()))?;
    // A temporary file is private (0600); the report gets the permissions
    // of the file it replaces, or the usual 0644.
    let permissions = match std::fs::metadata(&args.out) {
        Ok(m) => Some(m.permissions()),
        Err(_) => default_permissions(),
    };
    if let Some(p) = permissions {
        temp.as_file()
            .set_permissions(p)
            .with_context(|| format!("writing {}", args.out.display()))?;
    }
    temp.persist(&args.out)
        .map_err(|e| e.error)
        .with_context(|| format!("--out {}: cannot replace the file", args.out.display()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if args.json {
        println!("{}", serde_json::to_string(&assessment)?);
    } else {
        println!(
            "wrote {} ({} bytes): {} scenarios x {} samples for {}, seed {}, {:.1} s",
            args.out.display(),
            html.len(),
            assessment.scenarios.len(),
            samples,
            assessment.member_state,
            args.seed,
            started.elapsed().as_secs_f64()
        );
        println!(
            "\n{:<32} {:>10} {:>12} {:>14}  RISK",
            "SCENARIO", "P(SIGNIF.)", "EVENTS/YEAR", "IMPACT H/INH."
        );
        for s in &assessment.scenarios {
            let risk = match (s.likelihood_class, s.impact_class) {
                (Some(l), Some(i)) => {
                    format!("{} (L{l} x I{i})", bulwark_assessment::risk_level(l, i))
                }
                _ => "not significant".into(),
            };
            println!(
                "{:<32} {:>9.1}% {:>12.3e} {:>14.3e}  {risk}",
                s.id,
                100.0 * s.probability_significant,
                s.significant_frequency,
                s.impact_hours_per_inhabitant
            );
        }
        println!("\n{}", bulwark_europe::ATTRIBUTION);
    }
    Ok(ExitCode::SUCCESS)
}
