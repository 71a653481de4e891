//! `bulwark audit verify|export|head`.

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use bulwark_store::Store;
use bulwark_store::audit::{self, ChainHead, VerifyOptions};

use super::DbArgs;
use crate::exit::UsageError;

/// Audit-log commands.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain; exit 1 and name the first broken record if any
    /// record was edited, deleted, inserted or reordered.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// A head printed earlier by `bulwark audit head`, as SEQ:HASH; the
        /// chain must still contain it. Repeatable.
        #[arg(long = "anchor", value_name = "SEQ:HASH")]
        anchors: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write every record as JSON lines (oldest first).
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Output file; standard output if absent.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Print the chain head (SEQ:HASH) to keep elsewhere as an anchor.
    Head {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_anchor(text: &str) -> Result<ChainHead, UsageError> {
    let bad = || {
        UsageError(format!(
            "--anchor {text:?}: expected SEQ:HASH, e.g. 42:9f86d081…(64 hex digits)"
        ))
    };
    let (seq, hash) = text.split_once(':').ok_or_else(bad)?;
    let seq: i64 = seq.parse().map_err(|_| bad())?;
    if seq < 1 || hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok(ChainHead {
        seq,
        hash: hash.to_ascii_lowercase(),
    })
}

/// Runs an audit command.
pub fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    super::init_logging("warn");
    super::runtime()?.block_on(async move {
        match cmd {
            AuditCommand::Verify { db, anchors, json } => {
                let anchors = anchors
                    .iter()
                    .map(|a| parse_anchor(a))
                    .collect::<Result<Vec<_>, _>>()?;
                let store = Store::open(&db.db).await?;
                let report = audit::verify(&store, &VerifyOptions { anchors }).await?;
                store.close().await;
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else if let Some(b) = &report.first_break {
                    println!("BROKEN at record {}: {}", b.seq, b.reason);
                    println!("{} records verified before the break", report.records);
                } else {
                    println!(
                        "ok: {} records, head {}:{}",
                        report.records, report.head.seq, report.head.hash
                    );
                }
                Ok(if report.ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            AuditCommand::Export { db, out } => {
                let store = Store::open(&db.db).await?;
                let n = match out {
                    Some(path) => {
                        let file = std::fs::File::create(&path)
                            .map_err(|e| UsageError(format!("--out {}: {e}", path.display())))?;
                        let mut w = std::io::BufWriter::new(file);
                        let n = audit::export(&store, &mut w).await?;
                        w.flush()?;
                        n
                    }
                    None => {
                        let stdout = std::io::stdout();
                        let mut w = std::io::BufWriter::new(stdout.lock());
                        let n = audit::export(&store, &mut w).await?;
                        w.flush()?;
                        n
                    }
                };
                store.close().await;
                eprintln!("{n} records exported");
                Ok(ExitCode::SUCCESS)
            }
            AuditCommand::Head { db, json } => {
                let store = Store::open(&db.db).await?;
                let head = audit::head(&store).await?;
                store.close().await;
                if json {
                    println!("{}", serde_json::to_string(&head)?);
                } else {
                    println!("{}:{}", head.seq, head.hash);
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
