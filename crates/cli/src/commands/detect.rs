//! `bulwark detect`: the detection pillar from the command line — scan
//! files or hashes under a legal basis, manage signed indicator lists and
//! bases, review matches, purge past retention, publish transparency
//! figures and measure accuracy. Every action is one pillar function.
//!
//! Image bytes are read into memory, hashed and dropped: nothing of the
//! content is written anywhere (CSA proposal Art. 10(3)(b)).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use bulwark_core::Timestamp;
use bulwark_detection::basis::{self, BasisId, NewBasis};
use bulwark_detection::lists::{self, ListPayload};
use bulwark_detection::review::{self, ReviewDecision};
use bulwark_detection::scan::{self, ScanInput, ScanItem};
use bulwark_detection::signing::{KeyPair, PublicKey};
use bulwark_detection::vocab::{
    ContentAction, Decision, IndicatorStatus, IssuerRole, ReinstatementGround,
};
use bulwark_detection::{
    DetectionError, Matcher, demo, keys, reinstatement, retention, transparency,
};
use bulwark_store::{Actor, Store};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use super::DbArgs;
use crate::exit::UsageError;

/// Subcommands of `bulwark detect`.
#[derive(clap::Subcommand, Debug)]
pub enum DetectCommand {
    /// Scan image files (or precomputed hashes) against the active indicator
    /// lists under a legal basis; one result per input.
    Scan(ScanArgs),
    /// Signed indicator lists: show, import, sign, trust an issuer key.
    #[command(subcommand)]
    List(ListCommand),
    /// Make an Ed25519 key pair for signing lists (the issuing authority's tool).
    Keygen {
        /// Who signs with it.
        #[arg(long)]
        issuer: String,
        /// Where to write the key pair (JSON, secret: mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
    /// Legal bases for scanning: list, declare (JSON file), suspend.
    #[command(subcommand)]
    Basis(BasisCommand),
    /// The human-review queue.
    Review {
        #[command(flatten)]
        db: DbArgs,
        /// Only this provider's matches.
        #[arg(long)]
        provider: Option<String>,
        /// JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Confirm or reject a match (a reviewer's decision, with a reason).
    Decide {
        #[command(flatten)]
        db: DbArgs,
        /// The match id.
        match_id: String,
        /// `confirm` or `reject`.
        decision: Decision,
        /// Why (required).
        #[arg(long)]
        reason: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Record that the content of a confirmed match was removed or disabled:
    /// the match and its scan's data are then preserved for the regime's
    /// period (TCO Art. 6(1), CSA proposal Art. 22(1)).
    Removal {
        #[command(flatten)]
        db: DbArgs,
        /// The match id.
        match_id: String,
        /// `removed` or `disabled`.
        action: ContentAction,
        /// When (RFC 3339; default: now).
        #[arg(long)]
        at: Option<Timestamp>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Extend the preservation of removed content at a competent authority's
    /// or court's request (TCO Art. 6(2), CSA proposal Art. 22(2)).
    Preservation {
        #[command(flatten)]
        db: DbArgs,
        /// The match id.
        match_id: String,
        /// The new end (RFC 3339): later than the current one.
        #[arg(long)]
        until: Timestamp,
        /// The authority or court that asked.
        #[arg(long)]
        requested_by: String,
        /// Its reference.
        #[arg(long)]
        reference: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Record that removed content of a match is back online: after a
    /// complaint decided `reversed` (TCO Art. 10(2)) or a review decision
    /// (Art. 9). Counted in the transparency figures (TCO Art. 7(3)(f)-(g)).
    Reinstatement {
        #[command(flatten)]
        db: DbArgs,
        /// The match id.
        match_id: String,
        /// `complaint` or `review`.
        ground: ReinstatementGround,
        /// The complaint id (for `complaint`) or the decision's reference.
        #[arg(long)]
        reference: String,
        /// When (RFC 3339; default: now).
        #[arg(long)]
        at: Option<Timestamp>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Set an indicator's status (disable, quarantine, active) with a reason.
    Indicator {
        #[command(flatten)]
        db: DbArgs,
        /// The indicator's index id (`seq`).
        seq: i64,
        /// `active`, `disabled` or `quarantined`.
        status: IndicatorStatus,
        /// Why (required).
        #[arg(long)]
        reason: String,
        /// Set this provider's own status only (its scans alone); without
        /// it, the status for the whole deployment.
        #[arg(long)]
        provider: Option<String>,
    },
    /// Providers' report-signing keys: show the public keys, replace a key pair.
    #[command(subcommand)]
    SigningKey(SigningKeyCommand),
    /// Delete what is past its retention limit (audited).
    Purge {
        #[command(flatten)]
        db: DbArgs,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// A year's transparency figures (CSA Art. 83(1), TCO Art. 7(3)).
    Transparency {
        #[command(flatten)]
        db: DbArgs,
        /// The calendar year.
        #[arg(long)]
        year: i32,
        /// Only this provider.
        #[arg(long)]
        provider: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Measure detection and false-positive rates under transformations
    /// (thresholds 16-48) and write a table, CSV and plot.
    Accuracy {
        /// Output path prefix: writes PREFIX.md, PREFIX.csv, PREFIX.svg.
        #[arg(long)]
        out: PathBuf,
        /// Real originals (default: ../shared/data/pdq-vectors/images if present).
        #[arg(long)]
        images: Option<PathBuf>,
        /// Generated originals to add.
        #[arg(long, default_value_t = 24)]
        generated: usize,
    },
    /// Write the demo's benign stand-in images (their hashes are the demo list).
    DemoImages {
        /// Directory to write them to.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `bulwark detect scan`.
#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Image files to scan.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// A precomputed PDQ hash to scan (repeatable); needs --quality.
    #[arg(long = "hash", value_name = "HEX")]
    hashes: Vec<String>,
    /// Quality of the --hash values (0-100).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    quality: Option<u8>,
    /// The basis to scan under (default: the only basis in force).
    #[arg(long)]
    basis: Option<String>,
    /// The service scanned (checked against the basis).
    #[arg(long)]
    service: Option<String>,
    /// One JSON object per input: {"path","hash","quality","matched","matches":[...]}.
    #[arg(long)]
    json: bool,
}

/// `bulwark detect list ...`.
#[derive(clap::Subcommand, Debug)]
pub enum ListCommand {
    /// The imported lists.
    Show {
        #[command(flatten)]
        db: DbArgs,
        /// JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Import a signed list version (verified: signature, trusted key, chain).
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The signed list file.
        file: PathBuf,
    },
    /// Sign a list payload (JSON) with an issuer key pair.
    Sign {
        /// The key pair file (from `bulwark detect keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The list payload (JSON).
        payload: PathBuf,
        /// Where to write the signed list.
        #[arg(long)]
        out: PathBuf,
    },
    /// Trust an issuer's public key (JSON with issuer, key_id, public_key).
    Trust {
        #[command(flatten)]
        db: DbArgs,
        /// The public key file (a key pair file works too: only its public half is used).
        file: PathBuf,
        /// Whose indicators the key signs: `eu_centre` (the only source a
        /// detection order may use, CSA proposal Art. 10(1)) or `other` (e.g. a
        /// hotline named in a voluntary basis). Required: a key gets the EU
        /// Centre's standing only when the operator says so.
        #[arg(long)]
        role: IssuerRole,
    },
}

/// `bulwark detect basis ...`.
#[derive(clap::Subcommand, Debug)]
pub enum BasisCommand {
    /// The bases.
    Show {
        #[command(flatten)]
        db: DbArgs,
        /// JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Record a basis from a JSON file (a voluntary declaration or a received order).
    Declare {
        #[command(flatten)]
        db: DbArgs,
        /// The basis (JSON).
        file: PathBuf,
    },
    /// Suspend, revoke or reactivate a basis.
    Status {
        #[command(flatten)]
        db: DbArgs,
        /// The basis id.
        id: String,
        /// `active`, `suspended` or `revoked`.
        status: bulwark_detection::vocab::BasisStatus,
    },
}

/// Subcommands of `bulwark detect signing-key`.
#[derive(clap::Subcommand, Debug)]
pub enum SigningKeyCommand {
    /// The public keys, current and retired (every provider's, or one's).
    Show {
        #[command(flatten)]
        db: DbArgs,
        /// Only this provider's.
        #[arg(long)]
        provider: Option<String>,
        /// JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Replace a provider's key pair (suspected compromise, staff changes,
    /// schedule): later reports are signed with the new key; earlier ones keep
    /// verifying with the retired public key. Needs the database's key file.
    Replace {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        key: super::keyfile::KeyFileArgs,
        /// The provider (its organisation name).
        #[arg(long)]
        provider: String,
        /// Why (required; kept with the retired key and in the audit log).
        #[arg(long)]
        reason: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

async fn open(db: &DbArgs) -> anyhow::Result<Store> {
    let store = Store::open(&db.db).await?;
    bulwark_detection::migrate(&store).await?;
    Ok(store)
}

/// Prints `rows` (or one result), one line each: its JSON with `json`, else
/// `line` of it.
fn print_rows<T: serde::Serialize>(
    rows: impl IntoIterator<Item = T>,
    json: bool,
    line: impl Fn(&T) -> String,
) -> anyhow::Result<ExitCode> {
    for r in rows {
        if json {
            println!("{}", serde_json::to_string(&r)?);
        } else {
            println!("{}", line(&r));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Maps a pillar error: bad input and refusals exit with code 2.
fn map(e: DetectionError) -> anyhow::Error {
    if e.is_bad_input() {
        UsageError(e.to_string()).into()
    } else {
        e.into()
    }
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

fn json_file<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    serde_json::from_str(&read(path)?)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

fn parse_id<T: std::str::FromStr>(s: &str, what: &str) -> anyhow::Result<T> {
    s.parse()
        .map_err(|_| UsageError(format!("`{s}` is not a {what} id")).into())
}

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// so a failure leaves nothing half-written.
fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out")
    ));
    {
        let mut f = std::fs::File::create(&tmp)
            .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        #[cfg(not(unix))]
        let _ = secret;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Runs `bulwark detect`.
pub fn run(cmd: DetectCommand) -> anyhow::Result<ExitCode> {
    super::init_logging("warn");
    match cmd {
        DetectCommand::Keygen { issuer, out } => {
            if issuer.trim().is_empty() {
                return Err(UsageError("--issuer must not be empty".into()).into());
            }
            let kp = KeyPair::generate(&issuer);
            write_atomic(&out, serde_json::to_string_pretty(&kp)?.as_bytes(), true)?;
            println!("{}", serde_json::to_string(&kp.public())?);
            return Ok(ExitCode::SUCCESS);
        }
        DetectCommand::List(ListCommand::Sign { key, payload, out }) => {
            let kp: KeyPair = json_file(&key)?;
            let p: ListPayload = json_file(&payload)?;
            let env = lists::sign_list(&kp, &p).map_err(map)?;
            write_atomic(&out, serde_json::to_string_pretty(&env)?.as_bytes(), false)?;
            println!(
                "signed {} version {} ({})",
                p.list_id,
                p.version,
                lists::digest_of(&env)
            );
            return Ok(ExitCode::SUCCESS);
        }
        DetectCommand::Accuracy {
            out,
            images,
            generated,
        } => return accuracy(out, images, generated),
        DetectCommand::DemoImages { out } => {
            std::fs::create_dir_all(&out)
                .map_err(|e| UsageError(format!("{}: {e}", out.display())))?;
            for i in 0..demo::DEMO_IMAGES {
                let path = out.join(format!("stand-in-{i:02}.png"));
                write_atomic(&path, &demo::stand_in_png(i).map_err(map)?, false)?;
            }
            println!(
                "wrote {} stand-in images to {}",
                demo::DEMO_IMAGES,
                out.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    super::runtime()?.block_on(async move {
        let actor = Actor::cli("");
        let now = Timestamp::now();
        match cmd {
            DetectCommand::Scan(args) => scan_cmd(args).await,
            DetectCommand::List(ListCommand::Show { db, json }) => {
                let store = open(&db).await?;
                let l = lists::list(&store).await.map_err(map);
                store.close().await;
                print_rows(l?, json, |x| {
                    format!(
                        "{}  v{}  {}  {} active, {} inactive  issuer {}  key {}",
                        x.list_id, x.version, x.category, x.active, x.inactive, x.issuer, x.key_id
                    )
                })
            }
            DetectCommand::List(ListCommand::Import { db, file }) => {
                let env = lists::parse_envelope(&read(&file)?).map_err(map)?;
                let store = open(&db).await?;
                let r = lists::import(&store, &actor, &env, now, "list import")
                    .await
                    .map_err(map);
                store.close().await;
                let c = r?;
                println!(
                    "imported {} version {}: {} added, {} removed",
                    c.list_id,
                    c.version,
                    c.added.len(),
                    c.removed.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            DetectCommand::List(ListCommand::Trust { db, file, role }) => {
                let v: serde_json::Value = json_file(&file)?;
                let key = PublicKey {
                    issuer: v["issuer"].as_str().unwrap_or_default().to_string(),
                    key_id: v["key_id"].as_str().unwrap_or_default().to_string(),
                    public_key: v["public_key"].as_str().unwrap_or_default().to_string(),
                };
                let store = open(&db).await?;
                let r = lists::trust_key(&store, &actor, &key, role, now, "trust issuer key")
                    .await
                    .map_err(map);
                store.close().await;
                r?;
                println!("trusted key {} of {} ({role})", key.key_id, key.issuer);
                Ok(ExitCode::SUCCESS)
            }
            DetectCommand::Basis(BasisCommand::Show { db, json }) => {
                let store = open(&db).await?;
                let l = basis::list(&store, None).await.map_err(map);
                store.close().await;
                print_rows(l?, json, |b| {
                    format!(
                        "{}  {}  {}  provider {}  service {}  {} .. {}{}",
                        b.id,
                        b.facts.kind,
                        b.status,
                        b.facts.provider,
                        b.facts.service,
                        b.facts.valid_from.to_rfc3339(),
                        b.facts.valid_until.to_rfc3339(),
                        if b.in_force(now) { "  IN FORCE" } else { "" }
                    )
                })
            }
            DetectCommand::Basis(BasisCommand::Declare { db, file }) => {
                let b: NewBasis = json_file(&file)?;
                let store = open(&db).await?;
                let r = basis::create(&store, &actor, b, now, "basis declaration")
                    .await
                    .map_err(map);
                store.close().await;
                println!("{}", r?.id);
                Ok(ExitCode::SUCCESS)
            }
            DetectCommand::Basis(BasisCommand::Status { db, id, status }) => {
                let id: BasisId = parse_id(&id, "basis")?;
                let store = open(&db).await?;
                let r = basis::set_status(&store, &actor, id, status, None, now, "basis status")
                    .await
                    .map_err(map);
                store.close().await;
                println!("{} is {}", id, r?.status);
                Ok(ExitCode::SUCCESS)
            }
            DetectCommand::Review { db, provider, json } => {
                let store = open(&db).await?;
                let q = review::queue(&store, provider.as_deref())
                    .await
                    .map_err(map);
                store.close().await;
                print_rows(q?, json, |m| {
                    format!(
                        "{}  {}  list {} v{}  indicator {}  distance {} ({})  content {}",
                        m.id,
                        m.provider,
                        m.list_id,
                        m.list_version,
                        m.indicator_seq,
                        m.distance,
                        m.variant,
                        m.content_ref.as_deref().unwrap_or("-")
                    )
                })
            }
            DetectCommand::Decide {
                db,
                match_id,
                decision,
                reason,
                json,
            } => {
                let id = parse_id(&match_id, "match")?;
                let store = open(&db).await?;
                let matcher = Matcher::new();
                let d = ReviewDecision {
                    decision,
                    reason,
                    negative_radius: None,
                };
                let r = review::decide(&store, &matcher, &actor, id, &d, None, now, "review")
                    .await
                    .map_err(map);
                store.close().await;
                print_rows([r?], json, |r| {
                    format!("{} {}", r.matched.id, r.matched.state)
                })
            }
            DetectCommand::Removal {
                db,
                match_id,
                action,
                at,
                json,
            } => {
                let id = parse_id(&match_id, "match")?;
                let store = open(&db).await?;
                let record = review::RemovalRecord { action, at };
                let r = review::record_removal(&store, &actor, id, &record, None, now, "removal")
                    .await
                    .map_err(map);
                store.close().await;
                print_rows([r?], json, |r| match &r.matched.removal {
                    Some(removal) => format!(
                        "{} {} at {}; preserved until {}",
                        r.matched.id,
                        removal.action,
                        removal.at.to_rfc3339(),
                        removal.preserve_until.to_rfc3339()
                    ),
                    None => format!("{} has no removal recorded", r.matched.id),
                })
            }
            DetectCommand::Preservation {
                db,
                match_id,
                until,
                requested_by,
                reference,
                json,
            } => {
                let id = parse_id(&match_id, "match")?;
                let store = open(&db).await?;
                let request = review::PreservationRequest {
                    until,
                    requested_by,
                    reference,
                };
                let r = review::extend_preservation(
                    &store,
                    &actor,
                    id,
                    &request,
                    None,
                    now,
                    "preservation extended",
                )
                .await
                .map_err(map);
                store.close().await;
                print_rows([r?], json, |r| {
                    let until = r.matched.removal.as_ref().map(|x| x.preserve_until);
                    format!(
                        "{} preserved until {}",
                        r.matched.id,
                        until.map(|t| t.to_rfc3339()).unwrap_or_default()
                    )
                })
            }
            DetectCommand::Reinstatement {
                db,
                match_id,
                ground,
                reference,
                at,
                json,
            } => {
                let id = parse_id(&match_id, "match")?;
                let store = open(&db).await?;
                let request = reinstatement::ReinstatementRequest {
                    ground,
                    reference,
                    at,
                };
                let r = reinstatement::reinstate_match(
                    &store,
                    &actor,
                    id,
                    &request,
                    None,
                    now,
                    "reinstatement",
                )
                .await
                .map_err(map);
                store.close().await;
                print_rows([r?], json, |r| {
                    let back = r
                        .matched
                        .removal
                        .as_ref()
                        .and_then(|x| x.reinstated.as_ref());
                    match back {
                        Some(b) => format!(
                            "{} reinstated at {} ({}: {})",
                            r.matched.id,
                            b.at.to_rfc3339(),
                            b.ground,
                            b.reference
                        ),
                        None => format!("{} not reinstated", r.matched.id),
                    }
                })
            }
            DetectCommand::Indicator {
                db,
                seq,
                status,
                reason,
                provider,
            } => {
                let store = open(&db).await?;
                let r = lists::set_status(
                    &store,
                    &actor,
                    seq,
                    status,
                    &reason,
                    provider.as_deref(),
                    now,
                    "indicator control",
                )
                .await
                .map_err(map);
                store.close().await;
                let r = r?;
                match (&provider, r.local_status) {
                    (Some(p), Some(own)) => println!(
                        "indicator {} ({} / {}) is {own} for {p} (deployment: {})",
                        r.seq, r.list_id, r.indicator_id, r.status
                    ),
                    _ => println!(
                        "indicator {} ({} / {}) is {}",
                        r.seq, r.list_id, r.indicator_id, r.status
                    ),
                }
                Ok(ExitCode::SUCCESS)
            }
            DetectCommand::SigningKey(SigningKeyCommand::Show { db, provider, json }) => {
                let store = open(&db).await?;
                let l = keys::signing_keys(&store, provider.as_deref())
                    .await
                    .map_err(map);
                store.close().await;
                print_rows(l?, json, |k| {
                    let state = match (&k.retired_at, &k.reason) {
                        (Some(at), Some(why)) => format!("retired {} ({why})", at.to_rfc3339()),
                        _ => "current".to_string(),
                    };
                    format!(
                        "{}  {}  {}  made {}  {state}",
                        k.provider,
                        k.key_id,
                        k.public_key,
                        k.created_at.to_rfc3339()
                    )
                })
            }
            DetectCommand::SigningKey(SigningKeyCommand::Replace {
                db,
                key,
                provider,
                reason,
                json,
            }) => {
                // The key file is read before the database is opened; a key
                // file other than the one the stored keys are sealed with is
                // refused while migrating (`keys::seal_at_rest`).
                let kek = super::keyfile::load_existing(&db.db, &key)?;
                let store = Store::open(&db.db).await?.with_kek(kek);
                if let Err(e) = bulwark_detection::migrate(&store).await {
                    store.close().await;
                    return Err(super::keyfile::key_error(e));
                }
                let r = keys::replace(
                    &store,
                    &Actor::cli(&provider),
                    &provider,
                    &reason,
                    now,
                    "report signing key replaced",
                )
                .await
                .map_err(super::keyfile::key_error);
                store.close().await;
                print_rows([r?], json, |r| {
                    format!(
                        "replaced the report-signing key of {}: {} retired, {} signs from now \
                         on (public key {}); give recipients the new public key",
                        provider, r.retired.key_id, r.current.key_id, r.current.public_key
                    )
                })
            }
            DetectCommand::Purge { db, json } => {
                let store = open(&db).await?;
                let r = retention::purge(&store, &Actor::cli("retention"), now)
                    .await
                    .map_err(map);
                store.close().await;
                let r = r?;
                if json {
                    println!("{}", serde_json::to_string(&r)?);
                } else {
                    println!(
                        "purged {} reports, {} removal orders' metadata, {} scans' hashes ({} \
                         scans without a match deleted)",
                        r.reports, r.removal_orders, r.scans, r.scans_deleted
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            DetectCommand::Transparency {
                db,
                year,
                provider,
                json,
            } => {
                let store = open(&db).await?;
                let r = transparency::figures(&store, provider.as_deref(), year)
                    .await
                    .map_err(map);
                store.close().await;
                let f = r?;
                if json {
                    println!("{}", serde_json::to_string(&f)?);
                } else {
                    println!("{}", serde_json::to_string_pretty(&f)?);
                }
                Ok(ExitCode::SUCCESS)
            }
            DetectCommand::Keygen { .. }
            | DetectCommand::List(ListCommand::Sign { .. })
            | DetectCommand::Accuracy { .. }
            | DetectCommand::DemoImages { .. } => Ok(ExitCode::SUCCESS),
        }
    })
}

/// Files scanned per recorded batch (one transaction, one audit record).
const BATCH: usize = 256;

async fn scan_cmd(args: ScanArgs) -> anyhow::Result<ExitCode> {
    if args.paths.is_empty() && args.hashes.is_empty() {
        return Err(
            UsageError("give image files to scan, or --hash HEX --quality Q".into()).into(),
        );
    }
    if !args.hashes.is_empty() && args.quality.is_none() {
        return Err(UsageError("--hash needs --quality (0-100)".into()).into());
    }
    let store = open(&args.db).await?;
    let result = scan_inner(&store, &args).await;
    store.close().await;
    result
}

async fn scan_inner(store: &Store, args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let now = Timestamp::now();
    let basis = match &args.basis {
        Some(id) => basis::get(store, parse_id(id, "basis")?, None)
            .await
            .map_err(|e| match e {
                DetectionError::NotFound { .. } => map(DetectionError::Refused(format!(
                    "no basis {id}: scanning needs a detection order or a declared voluntary basis"
                ))),
                e => map(e),
            })?,
        None => {
            let in_force: Vec<_> = basis::list(store, None)
                .await
                .map_err(map)?
                .into_iter()
                .filter(|b| b.in_force(now))
                .collect();
            match in_force.len() {
                0 => {
                    return Err(map(DetectionError::Refused(
                        "no basis in force: scanning needs a detection order or a declared voluntary basis".into(),
                    )));
                }
                1 => in_force
                    .into_iter()
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("no basis"))?,
                n => {
                    return Err(UsageError(format!(
                        "{n} bases are in force: choose one with --basis"
                    ))
                    .into());
                }
            }
        }
    };
    basis::check_in_force(&basis, args.service.as_deref(), now).map_err(map)?;
    let matcher = Matcher::load(store).await.map_err(map)?;
    let actor = Actor::cli(&basis.facts.provider);
    let mut out = std::io::stdout().lock();
    let mut failed = 0usize;

    // Precomputed hashes: one batch.
    if !args.hashes.is_empty() {
        let q = args.quality.unwrap_or(0);
        let items: Vec<ScanItem> = args
            .hashes
            .iter()
            .map(|h| ScanItem {
                content_ref: None,
                input: ScanInput::Hash { pdq: h, quality: q },
            })
            .collect();
        let mut evaluated = Vec::new();
        for (i, it) in items.iter().enumerate() {
            evaluated.push(
                scan::evaluate(&matcher, &basis, it)
                    .map_err(|e| map(prefix(e, &format!("--hash #{}", i + 1))))?,
            );
        }
        let results = scan::record(store, &actor, &basis, &evaluated, now, "scan")
            .await
            .map_err(map)?;
        for (h, r) in args.hashes.iter().zip(results) {
            print_result(&mut out, args.json, h, &r)?;
        }
    }

    let bar = if std::io::stderr().is_terminal() && args.paths.len() > 1 {
        let b = ProgressBar::new(args.paths.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    for chunk in args.paths.chunks(BATCH) {
        // Read and hash in parallel; bytes live only inside this closure.
        let evaluated: Vec<(PathBuf, Result<scan::Evaluated, String>)> = chunk
            .par_iter()
            .map(|p| {
                let r = std::fs::read(p)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        let item = ScanItem {
                            content_ref: Some(p.display().to_string()),
                            input: ScanInput::Image(&bytes),
                        };
                        scan::evaluate(&matcher, &basis, &item).map_err(|e| e.to_string())
                    });
                (p.clone(), r)
            })
            .collect();
        let mut good = Vec::new();
        let mut paths = Vec::new();
        for (p, r) in evaluated {
            match r {
                Ok(ev) => {
                    good.push(ev);
                    paths.push(p);
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("error: {}: {e}", p.display());
                }
            }
            bar.inc(1);
        }
        if !good.is_empty() {
            let results = scan::record(store, &actor, &basis, &good, now, "scan")
                .await
                .map_err(map)?;
            for (p, r) in paths.iter().zip(results) {
                print_result(&mut out, args.json, &p.display().to_string(), &r)?;
            }
        }
    }
    bar.finish_and_clear();
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn prefix(e: DetectionError, what: &str) -> DetectionError {
    match e {
        DetectionError::Invalid { field, rule } => DetectionError::Invalid {
            field: format!("{what}: {field}"),
            rule,
        },
        e => e,
    }
}

fn print_result(
    out: &mut impl Write,
    json: bool,
    path: &str,
    r: &scan::ScanResult,
) -> anyhow::Result<()> {
    if json {
        let v = serde_json::json!({
            "path": path,
            "hash": r.hash,
            "quality": r.quality,
            "outcome": r.outcome,
            "matched": r.matched,
            "matches": r.matches,
            "scan_id": r.scan_id,
        });
        writeln!(out, "{v}")?;
    } else if r.matched {
        let best = r.matches.iter().map(|m| m.distance).min().unwrap_or(0);
        writeln!(
            out,
            "{path}: MATCH ({} indicator(s), best distance {best}) - pending human review",
            r.matches.len()
        )?;
    } else {
        let what = match r.outcome {
            scan::Outcome::LowQuality => "not matched: quality below the basis's minimum",
            scan::Outcome::NegativeListed => "no match (known false positive)",
            _ => "no match",
        };
        writeln!(out, "{path}: {what} (quality {})", r.quality)?;
    }
    Ok(())
}

fn accuracy(out: PathBuf, images: Option<PathBuf>, generated: usize) -> anyhow::Result<ExitCode> {
    let images = images.or_else(|| {
        let p = PathBuf::from("../shared/data/pdq-vectors/images");
        p.is_dir().then_some(p)
    });
    let config = match &images {
        Some(root) => {
            if !root.is_dir() {
                return Err(
                    UsageError(format!("--images {}: not a directory", root.display())).into(),
                );
            }
            let mut c = bulwark_accuracy::AccuracyConfig::with_shared_images(root);
            c.generated = generated;
            c
        }
        None => {
            let mut c = bulwark_accuracy::AccuracyConfig::with_shared_images(PathBuf::new());
            c.image_root = None;
            c.files.clear();
            c.generated = generated.max(2);
            c
        }
    };
    let report = bulwark_accuracy::run(&config).map_err(|e| UsageError(e.to_string()))?;
    let with = |ext: &str| {
        let mut s = out.clone().into_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    write_atomic(
        &with(".md"),
        bulwark_accuracy::report::markdown(&report).as_bytes(),
        false,
    )?;
    write_atomic(
        &with(".csv"),
        bulwark_accuracy::report::csv(&report).as_bytes(),
        false,
    )?;
    let svg = bulwark_accuracy::plot::svg(&report).map_err(|e| UsageError(e.to_string()))?;
    write_atomic(&with(".svg"), svg.as_bytes(), false)?;
    println!("wrote {}.md, .csv and .svg", out.display());
    Ok(ExitCode::SUCCESS)
}
