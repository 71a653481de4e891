//! `bulwark hash`: PDQ hashes of image files and directories.
//!
//! Files are hashed in parallel (rayon, one reusable hasher per worker thread) and printed in
//! input order, one line per file. Directories are searched recursively for image files
//! (by extension: jpg, jpeg, png, gif, webp, bmp, tif, tiff); files named explicitly are
//! always attempted. A file that cannot be hashed is reported on stderr and the batch goes
//! on; the exit code is then 1. A progress bar is drawn on stderr only when stderr is a
//! terminal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bulwark_pdq::decode::{DecodeOptions, decode_file};
use bulwark_pdq::{Dihedral, Hasher, PdqOutput};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

/// Arguments of `bulwark hash`.
#[derive(clap::Args, Debug, Clone)]
pub struct HashArgs {
    /// Image files and/or directories (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also output the 8 dihedral hashes (rotations and mirrors, derived from one DCT).
    #[arg(long)]
    pub dihedral: bool,
    /// Omit hashes with quality below N (0-100; upstream recommends 50). Omitted files are
    /// noted on stderr and do not count as failures.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub min_quality: Option<u8>,
    /// One JSON object per line: {"path","hash","quality"} (+ "dihedral").
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header line: path,hash,quality (+ the 8 dihedral columns).
    #[arg(long)]
    pub csv: bool,
    /// Apply the EXIF orientation tag before hashing (default: hash the stored pixel grid,
    /// as Meta's hashing stack does).
    #[arg(long)]
    pub exif_orientation: bool,
    /// Reject images with more pixels than this (decompression-bomb guard).
    #[arg(long, value_name = "PIXELS", default_value_t = 100_000_000)]
    pub max_pixels: u64,
    /// FAST, INEXACT: decode JPEGs at a reduced DCT scale keeping the shorter side at least
    /// MIN_SIDE pixels. Hashes move by a few bits; see crates/pdq/README.md.
    #[arg(long, value_name = "MIN_SIDE")]
    pub jpeg_reduced_dct: Option<u32>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// Image file extensions picked up when walking directories.
const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff"];

/// Files hashed per parallel batch; results are printed in input order after each batch.
const BATCH: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Csv,
}

/// Runs `bulwark hash`. Exit codes: 0 all files hashed, 1 some file failed, 2 bad usage.
pub fn run(args: HashArgs) -> anyhow::Result<ExitCode> {
    if args.jobs == Some(0) {
        eprintln!("error: --jobs must be at least 1");
        return Ok(ExitCode::from(2));
    }
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Text
    };
    let opts = DecodeOptions {
        max_pixels: args.max_pixels,
        apply_exif_orientation: args.exif_orientation,
        jpeg_reduced_dct_min_side: args.jpeg_reduced_dct,
        ..DecodeOptions::default()
    };

    let mut failed = 0usize;
    let mut attempted = 0usize;
    let mut files = Vec::new();
    for p in &args.paths {
        if let Err(e) = collect(p, true, &mut files) {
            eprintln!("error: {}: {e}", p.display());
            failed += 1;
            attempted += 1;
        }
    }
    attempted += files.len();

    let pool = {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = args.jobs {
            b = b.num_threads(n);
        }
        b.build().context("cannot start worker threads")?
    };
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, eta {eta}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if format == Format::Csv {
        let mut header = String::from("path,hash,quality");
        if args.dihedral {
            for name in Dihedral::NAMES {
                header.push(',');
                header.push_str(name);
            }
        }
        writeln!(out, "{header}")?;
    }
    for chunk in files.chunks(BATCH) {
        let results: Vec<Result<PdqOutput, String>> = pool.install(|| {
            chunk
                .par_iter()
                .map_init(Hasher::new, |hasher, path| {
                    let r = decode_file(path, &opts)
                        .and_then(|img| img.hash(hasher))
                        .map_err(|e| e.to_string());
                    bar.inc(1);
                    r
                })
                .collect()
        });
        for (path, result) in chunk.iter().zip(results) {
            match result {
                Ok(o) => {
                    if let Some(min) = args.min_quality
                        && o.quality < min
                    {
                        bar.suspend(|| {
                            eprintln!(
                                "skipped: {}: quality {} below {min}",
                                path.display(),
                                o.quality
                            )
                        });
                        continue;
                    }
                    writeln!(out, "{}", line(format, path, &o, args.dihedral))?;
                }
                Err(e) => {
                    failed += 1;
                    bar.suspend(|| eprintln!("error: {}: {e}", path.display()));
                }
            }
        }
        out.flush()?;
    }
    bar.finish_and_clear();
    if failed > 0 {
        eprintln!("{failed} of {attempted} file(s) failed");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Adds `path` (a file, or a directory walked recursively) to `files`, sorted per directory.
fn collect(path: &Path, explicit: bool, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            // Unreadable entries inside a directory are reported but do not stop the walk.
            if let Err(err) = collect(&e, false, files) {
                eprintln!("error: {}: {err}", e.display());
            }
        }
    } else if explicit || is_image_name(path) {
        files.push(path.to_path_buf());
    }
    Ok(())
}

fn is_image_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn line(format: Format, path: &Path, o: &PdqOutput, dihedral: bool) -> String {
    let p = path.to_string_lossy();
    let d = dihedral.then(|| o.dihedral());
    match format {
        // ThreatExchange's `hash,quality,path`; with --dihedral the 8 hashes come first.
        Format::Text => match d {
            None => format!("{},{},{p}", o.hash, o.quality),
            Some(d) => {
                let hashes: Vec<String> = d.to_array().iter().map(|h| h.to_string()).collect();
                format!("{},{},{p}", hashes.join(","), o.quality)
            }
        },
        Format::Csv => {
            let mut s = format!("{},{},{}", csv_field(&p), o.hash, o.quality);
            if let Some(d) = d {
                for h in d.to_array() {
                    s.push(',');
                    s.push_str(&h.to_string());
                }
            }
            s
        }
        Format::Json => {
            // Keys in the documented order: path, hash, quality, dihedral.
            let mut s = format!(
                "{{\"path\":{},\"hash\":\"{}\",\"quality\":{}",
                serde_json::Value::String(p.into_owned()),
                o.hash,
                o.quality
            );
            if let Some(d) = d {
                s.push_str(",\"dihedral\":{");
                for (i, (name, h)) in Dihedral::NAMES.iter().zip(d.to_array()).enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&format!("\"{name}\":\"{h}\""));
                }
                s.push('}');
            }
            s.push('}');
            s
        }
    }
}
