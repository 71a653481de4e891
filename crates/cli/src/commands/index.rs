//! `bulwark index build|add|remove|stats` and `bulwark match`: the exact Hamming index
//! for 256-bit hashes (crate `bulwark-hamming`).
//!
//! Hash input is one entry per line, `hex[,id[,...]]`: 64 hex digits, optionally a u64
//! id (default: the 0-based line index), further comma-separated fields ignored (so the
//! Holidays/ThreatExchange CSVs can be read as they are). Blank lines and lines starting
//! with `#` are skipped. Input comes from a file or, with `-` or no path, stdin.
//!
//! Exit codes: 0 success, 1 failure (I/O, damaged index file), 2 bad input (a malformed
//! line is named by its 1-based line number; duplicate ids; bad usage).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bulwark_hamming::{Config, Error as IndexError, HammingIndex, Hash256, Match};

/// Subcommands of `bulwark index`.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum IndexCommand {
    /// Build an index file from hash lines (`hex[,id]`).
    Build {
        /// Index file to write (replaced atomically).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Hash list; `-` or omitted: stdin.
        #[arg(value_name = "HASHES")]
        input: Option<PathBuf>,
    },
    /// Add (or replace, by id) entries in an index file, without a rebuild.
    Add {
        /// Index file to update.
        #[arg(value_name = "FILE")]
        index: PathBuf,
        /// Hash list (`hex[,id]`); `-` or omitted: stdin. Ids default to the line index.
        #[arg(value_name = "HASHES")]
        input: Option<PathBuf>,
    },
    /// Remove entries by id (one id per line) from an index file.
    Remove {
        /// Index file to update.
        #[arg(value_name = "FILE")]
        index: PathBuf,
        /// Id list; `-` or omitted: stdin.
        #[arg(value_name = "IDS")]
        input: Option<PathBuf>,
    },
    /// Print statistics of an index file.
    Stats {
        /// Index file.
        #[arg(value_name = "FILE")]
        index: PathBuf,
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments of `bulwark match`.
#[derive(clap::Args, Debug, Clone)]
pub struct MatchArgs {
    /// Index file (memory-mapped, verified on open).
    #[arg(long, value_name = "FILE")]
    pub index: PathBuf,
    /// Largest Hamming distance reported (0-256; PDQ's threshold is 31).
    #[arg(long, default_value_t = 31, value_parser = clap::value_parser!(u32).range(0..=256))]
    pub radius: u32,
    /// Query hashes, one per line (`hex[,...]`); `-` or omitted: stdin.
    #[arg(value_name = "QUERIES")]
    pub input: Option<PathBuf>,
    /// One JSON object per query: {"query","matches":[{"id","hash","distance"}]}.
    /// Default: one tab-separated line per match: query, id, hash, distance.
    #[arg(long)]
    pub json: bool,
    /// Worker threads (default: 1).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 1)]
    pub jobs: usize,
}

/// Bad input: reported on stderr, exit code 2.
struct BadInput(String);

fn open_input(path: Option<&Path>) -> anyhow::Result<Box<dyn BufRead>> {
    match path {
        None => Ok(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) if p == Path::new("-") => Ok(Box::new(BufReader::new(std::io::stdin()))),
        Some(p) => {
            let f = File::open(p).with_context(|| format!("open {}", p.display()))?;
            Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
        }
    }
}

/// Reads `hex[,id[,...]]` lines. `Ok(Err(_))` is bad input.
fn read_entries(path: Option<&Path>) -> anyhow::Result<Result<Vec<(u64, Hash256)>, BadInput>> {
    let mut out = Vec::new();
    for (i, line) in open_input(path)?.lines().enumerate() {
        let line = line.context("read input")?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split(',');
        let hex = fields.next().unwrap_or("").trim();
        let hash = match Hash256::from_hex(hex) {
            Ok(h) => h,
            Err(e) => return Ok(Err(BadInput(format!("line {}: {e}", i + 1)))),
        };
        let id = match fields.next().map(str::trim) {
            None | Some("") => i as u64,
            Some(s) => match s.parse::<u64>() {
                Ok(v) => v,
                Err(_) => {
                    return Ok(Err(BadInput(format!(
                        "line {}: id {s:?} is not an unsigned 64-bit integer",
                        i + 1
                    ))));
                }
            },
        };
        out.push((id, hash));
    }
    Ok(Ok(out))
}

fn read_ids(path: Option<&Path>) -> anyhow::Result<Result<Vec<u64>, BadInput>> {
    let mut out = Vec::new();
    for (i, line) in open_input(path)?.lines().enumerate() {
        let line = line.context("read input")?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let field = line.split(',').next().unwrap_or("").trim();
        match field.parse::<u64>() {
            Ok(v) => out.push(v),
            Err(_) => {
                return Ok(Err(BadInput(format!(
                    "line {}: id {field:?} is not an unsigned 64-bit integer",
                    i + 1
                ))));
            }
        }
    }
    Ok(Ok(out))
}

fn bad(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

fn open_index(path: &Path) -> anyhow::Result<HammingIndex> {
    // The cause (e.g. "corrupt index file: checksum mismatch ...") goes into the top-level
    // message, whatever way the caller prints errors.
    HammingIndex::open(path).map_err(|e| anyhow::anyhow!("index {}: {e}", path.display()))
}

/// Runs `bulwark index ...`.
pub fn run(cmd: IndexCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IndexCommand::Build { out, input } => {
            let entries = match read_entries(input.as_deref())? {
                Ok(e) => e,
                Err(BadInput(m)) => return Ok(bad(&m)),
            };
            let n = entries.len();
            let idx = match HammingIndex::build(entries, Config::default()) {
                Ok(i) => i,
                Err(IndexError::DuplicateId(id)) => {
                    return Ok(bad(&format!("duplicate id {id} in input")));
                }
                Err(e) => return Err(e).context("build index"),
            };
            idx.save(&out)
                .with_context(|| format!("write {}", out.display()))?;
            eprintln!("indexed {n} entries into {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        IndexCommand::Add { index, input } => {
            let entries = match read_entries(input.as_deref())? {
                Ok(e) => e,
                Err(BadInput(m)) => return Ok(bad(&m)),
            };
            let mut idx = open_index(&index)?;
            let (mut added, mut replaced) = (0usize, 0usize);
            for (id, h) in entries {
                if idx.insert(id, h).context("insert")? {
                    replaced += 1;
                } else {
                    added += 1;
                }
            }
            idx.save(&index)
                .with_context(|| format!("write {}", index.display()))?;
            eprintln!("added {added}, replaced {replaced}; {} entries", idx.len());
            Ok(ExitCode::SUCCESS)
        }
        IndexCommand::Remove { index, input } => {
            let ids = match read_ids(input.as_deref())? {
                Ok(e) => e,
                Err(BadInput(m)) => return Ok(bad(&m)),
            };
            let mut idx = open_index(&index)?;
            let removed = ids.iter().filter(|&&id| idx.remove(id)).count();
            idx.save(&index)
                .with_context(|| format!("write {}", index.display()))?;
            eprintln!(
                "removed {removed}, not found {}; {} entries",
                ids.len() - removed,
                idx.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        IndexCommand::Stats { index, json } => {
            let idx = open_index(&index)?;
            let st = idx.stats();
            let mut out = std::io::stdout().lock();
            if json {
                let segs: Vec<serde_json::Value> = st
                    .segments
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "entries": s.entries,
                            "removed": s.removed,
                            "distinct": s.distinct,
                            "substring_bits": s.substring_bits,
                            "max_bucket": s.max_bucket,
                            "mapped": s.mapped,
                            "bytes": s.bytes,
                        })
                    })
                    .collect();
                let v = serde_json::json!({
                    "entries": st.entries,
                    "delta": st.delta,
                    "design_radius": idx.config().design_radius,
                    "kernel": format!("{:?}", st.kernel),
                    "segments": segs,
                });
                writeln!(out, "{v}")?;
            } else {
                writeln!(out, "entries\t{}", st.entries)?;
                writeln!(out, "delta\t{}", st.delta)?;
                writeln!(out, "design_radius\t{}", idx.config().design_radius)?;
                writeln!(out, "kernel\t{:?}", st.kernel)?;
                for (i, s) in st.segments.iter().enumerate() {
                    writeln!(
                        out,
                        "segment {i}\tentries {} removed {} distinct {} tables {} bits {:?} max_bucket {:?} bytes {}",
                        s.entries,
                        s.removed,
                        s.distinct,
                        s.substring_bits.len(),
                        s.substring_bits,
                        s.max_bucket,
                        s.bytes
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn json_line(query: &Hash256, matches: &[Match]) -> String {
    let mut s = format!("{{\"query\":\"{query}\",\"matches\":[");
    for (i, m) in matches.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"id\":{},\"hash\":\"{}\",\"distance\":{}}}",
            m.id, m.hash, m.distance
        ));
    }
    s.push_str("]}");
    s
}

/// Runs `bulwark match`.
pub fn run_match(args: MatchArgs) -> anyhow::Result<ExitCode> {
    if args.jobs == 0 {
        return Ok(bad("--jobs must be at least 1"));
    }
    let queries: Vec<Hash256> = match read_entries(args.input.as_deref())? {
        Ok(e) => e.into_iter().map(|(_, h)| h).collect(),
        Err(BadInput(m)) => return Ok(bad(&m)),
    };
    let idx = open_index(&args.index)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    const CHUNK: usize = 4096;
    for chunk in queries.chunks(CHUNK) {
        let results = idx.query_batch_parallel(chunk, args.radius, args.jobs);
        for (q, ms) in chunk.iter().zip(&results) {
            if args.json {
                writeln!(out, "{}", json_line(q, ms))?;
            } else {
                for m in ms {
                    writeln!(out, "{q}\t{}\t{}\t{}", m.id, m.hash, m.distance)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
