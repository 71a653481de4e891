//! Runs the accuracy harness and writes the published results.
//!
//! ```sh
//! cargo run --release -p bulwark-accuracy --example accuracy -- --out docs/detection-accuracy
//! ```
//!
//! Writes `<out>.md` (only the part between the GENERATED markers is replaced if the file
//! exists, so the hand-written explanation stays), `<out>.csv` (counts and rates per
//! transformation/family and threshold), `<out>-pairs.csv` (one row per transformed copy),
//! `<out>-histogram.csv` (distance histograms),
//! `<out>.svg` and `<out>.png` (the chart).
//!
//! Options: `--images DIR` (default `../shared/data/pdq-vectors/images` next to the
//! workspace), `--generated N` (default 24), `--seed S`, `--threads N`, `--no-real`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use bulwark_accuracy::{AccuracyConfig, AccuracyError, report, run};

const BEGIN: &str = "<!-- BEGIN GENERATED: crates/accuracy/examples/accuracy.rs -->";
const END: &str = "<!-- END GENERATED -->";

struct Args {
    out: PathBuf,
    images: Option<PathBuf>,
    generated: Option<usize>,
    seed: Option<u64>,
    threads: Option<usize>,
    no_real: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("docs/detection-accuracy"),
        images: None,
        generated: None,
        seed: None,
        threads: None,
        no_real: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--images" => args.images = Some(PathBuf::from(value("--images")?)),
            "--generated" => {
                let v = value("--generated")?;
                args.generated = Some(
                    v.parse()
                        .map_err(|_| format!("--generated: bad number {v:?}"))?,
                )
            }
            "--seed" => {
                let v = value("--seed")?;
                args.seed = Some(v.parse().map_err(|_| format!("--seed: bad number {v:?}"))?)
            }
            "--threads" => {
                let v = value("--threads")?;
                args.threads = Some(
                    v.parse()
                        .map_err(|_| format!("--threads: bad number {v:?}"))?,
                )
            }
            "--no-real" => args.no_real = true,
            "-h" | "--help" => {
                return Err(
                    "usage: accuracy [--out PREFIX] [--images DIR] [--generated N] \
                            [--seed S] [--threads N] [--no-real]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(args)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), AccuracyError> {
    std::fs::write(path, bytes).map_err(|source| AccuracyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut s = prefix.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn main() -> ExitCode {
    match real_main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<(), String> {
    let args = parse_args()?;
    let root = args
        .images
        .clone()
        .unwrap_or_else(bulwark_accuracy::default_image_root);
    let mut config = AccuracyConfig::with_shared_images(&root);
    if args.no_real {
        config.image_root = None;
        config.files.clear();
    }
    if let Some(g) = args.generated {
        config.generated = g;
    }
    if let Some(s) = args.seed {
        config.settings.seed = s;
    }
    if let Some(t) = args.threads {
        config.settings.threads = t.max(1);
    }
    let start = Instant::now();
    let rep = run(&config).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();

    let base = args
        .out
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "detection-accuracy".into());
    if let Some(dir) = args.out.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let csv = with_suffix(&args.out, ".csv");
    let pairs = with_suffix(&args.out, "-pairs.csv");
    let hist = with_suffix(&args.out, "-histogram.csv");
    let svg = with_suffix(&args.out, ".svg");
    let png = with_suffix(&args.out, ".png");
    let md = with_suffix(&args.out, ".md");
    write(&csv, report::csv(&rep).as_bytes()).map_err(|e| e.to_string())?;
    write(&pairs, report::pairs_csv(&rep).as_bytes()).map_err(|e| e.to_string())?;
    write(&hist, report::histogram_csv(&rep).as_bytes()).map_err(|e| e.to_string())?;
    let svg_text = bulwark_accuracy::plot::svg(&rep).map_err(|e| e.to_string())?;
    write(&svg, svg_text.as_bytes()).map_err(|e| e.to_string())?;
    let png_bytes = bulwark_accuracy::plot::png(&rep).map_err(|e| e.to_string())?;
    write(&png, &png_bytes).map_err(|e| e.to_string())?;

    let mut command =
        String::from("cargo run --release -p bulwark-accuracy --example accuracy -- --out ");
    command.push_str(&args.out.display().to_string());
    if args.no_real {
        command.push_str(" --no-real");
    }
    if let Some(g) = args.generated {
        command.push_str(&format!(" --generated {g}"));
    }
    if let Some(s) = args.seed {
        command.push_str(&format!(" --seed {s}"));
    }
    let section = generated_section(&rep, &config, &command, &base);
    let existing = std::fs::read_to_string(&md).ok();
    let text = match existing.as_deref().and_then(|t| splice(t, &section)) {
        Some(t) => t,
        None => format!("# Detection accuracy\n\n{BEGIN}\n{section}{END}\n"),
    };
    write(&md, text.as_bytes()).map_err(|e| e.to_string())?;

    let hl = rep.settings.highlight;
    println!(
        "{} originals x {} transformations in {:.1} s ({} threads)",
        rep.originals.len(),
        rep.transforms.len(),
        elapsed.as_secs_f64(),
        rep.settings.threads
    );
    for f in &rep.families {
        if let Some(c) = f.at(hl) {
            println!(
                "{:<22} detected@{hl} plain {:>6.1}%  best-of-8 {:>6.1}%  FPR best-of-8 {:.4}%",
                f.name,
                100.0 * c.detection_rate(f, false),
                100.0 * c.detection_rate(f, true),
                100.0 * c.false_positive_rate(f, true)
            );
        }
    }
    for p in [&md, &csv, &pairs, &hist, &svg, &png] {
        println!("wrote {}", p.display());
    }
    Ok(())
}

/// Replaces the text between the markers; `None` if the markers are missing.
fn splice(text: &str, section: &str) -> Option<String> {
    let b = text.find(BEGIN)?;
    let e = text[b..].find(END)? + b;
    Some(format!("{}{BEGIN}\n{section}{}", &text[..b], &text[e..]))
}

fn generated_section(
    rep: &bulwark_accuracy::AccuracyReport,
    config: &AccuracyConfig,
    command: &str,
    base: &str,
) -> String {
    let s = &rep.settings;
    let real = rep
        .originals
        .iter()
        .filter(|o| o.source.starts_with("file:"))
        .count();
    let thresholds: Vec<String> = s.thresholds.iter().map(|t| t.to_string()).collect();
    format!(
        "_Generated by `crates/accuracy/examples/accuracy.rs`; do not edit by hand. Rerun:_\n\n\
         ```sh\n{command}\n```\n\n\
         Settings: seed {seed}; {n} originals ({real} real, {gen} generated); {t} transformations; \
         thresholds {ths} (inclusive, `distance <= t`), highlighted {hl}; quality gate >= {q}; \
         decoder: `bulwark_pdq::decode` (libjpeg-turbo for JPEG); hashing: `bulwark_pdq` on RGB \
         pixels at full resolution; matching: `bulwark_hamming::HammingIndex` (exact).\n\n\
         Files: [`{base}.csv`]({base}.csv) (counts and rates per transformation, family and \
         threshold), [`{base}-pairs.csv`]({base}-pairs.csv) (one row per copy: qualities and \
         distances), [`{base}-histogram.csv`]({base}-histogram.csv) (distance histograms of \
         copies to their own and to other originals, all transformations pooled), [`{base}.svg`]({base}.svg) / [`{base}.png`]({base}.png) (chart).\n\n\
         ![Detection and false-positive rate by threshold]({base}.svg)\n\n\
         {tables}\n\
         Image attribution: the real originals are test fixtures from GitHub \
         facebook/ThreatExchange (commit baefb4ed67b6, `pdq/data/...` and \
         `python-threatexchange/.../resources/...`), BSD licence, Copyright (c) Meta Platforms, \
         Inc. and affiliates; the `labelme-subset` images appear to originate from the LabelMe \
         dataset. Provenance and licence text: `../shared/data/pdq-vectors/README.txt`. The \
         generated originals are made by `bulwark_accuracy::corpus::generate` from the seed.\n\n",
        seed = s.seed,
        n = rep.originals.len(),
        gen = rep.originals.len() - real,
        t = config.transforms.len(),
        ths = thresholds.join(", "),
        hl = s.highlight,
        q = s.min_quality,
        tables = report::markdown(rep),
    )
}
