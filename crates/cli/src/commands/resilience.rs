//! `bulwark resilience demo|import|export|entities|identify|thresholds|incident`:
//! the resilience pillar (CER Directive, NIS2 incident reporting) on the
//! command line. Acts directly on the database as the local operator
//! (audited as `cli:<user>`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;

use bulwark_core::{Country, Timestamp};
use bulwark_resilience::demo::ModelOverview;
use bulwark_resilience::identification;
use bulwark_resilience::import::{self, ImportFile};
use bulwark_resilience::incidents::{self, IncidentId, IncidentView, NewIncident, StageReport};
use bulwark_resilience::registry;
use bulwark_resilience::thresholds::{self, Thresholds};
use bulwark_resilience::{Format, RecordKind, ResilienceError, Stage};
use bulwark_store::{Actor, Store};

use super::DbArgs;
use crate::exit::UsageError;

/// Resilience commands.
#[derive(Subcommand)]
pub enum ResilienceCommand {
    /// List the cascading-disruption scenario library (ids, hazards, names).
    Scenarios(super::simulate::ScenariosArgs),
    /// Run a scenario's Monte Carlo on the European model built from the
    /// open data: user-hours, peak users, cross-border and six-Member-State
    /// flags, per Member State.
    Simulate(super::simulate::SimulateArgs),
    /// Member State risk assessment (CER Art. 5): run the whole scenario
    /// library on the European model and write one printable HTML report
    /// (risk matrix, exceedance curves, tail risk, cross-border exposure).
    Assess(super::assess::AssessArgs),
    /// Load the demo: seed the demo registry (a few fictional entities with
    /// provisions, assets and dependencies; idempotent) into --db and build
    /// the European cascade model from the open data, printing what was
    /// loaded: registry records, model nodes and dependencies per layer,
    /// the Member States covered and the scenarios with their ids.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// The open-data folder (GridKit, SciGRID gas, GeoNames), as in the
        /// project's `../shared/data`.
        #[arg(long, env = "BULWARK_DATA")]
        data: Option<PathBuf>,
        /// Print JSON (one object: registry, model, scenarios).
        #[arg(long)]
        json: bool,
    },
    /// Import registry records from CSV files (named entities.csv,
    /// provisions.csv, assets.csv, dependencies.csv) and/or JSON bundles.
    /// All or nothing: every bad row is reported and nothing is written.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only accept records of this Member State.
        #[arg(long)]
        ms: Option<Country>,
        /// Why (audit log).
        #[arg(long, default_value = "imported on the command line")]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export the registry (of one Member State with --ms): a JSON bundle on
    /// stdout, or with --format csv one file per record kind in --out.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Only this Member State's entities and their records.
        #[arg(long)]
        ms: Option<Country>,
        /// json or csv.
        #[arg(long, default_value = "json")]
        format: Format,
        /// Directory for CSV files (created if missing).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print JSON (the bundle; for CSV, the files written).
        #[arg(long)]
        json: bool,
    },
    /// List registered entities.
    Entities {
        #[command(flatten)]
        db: DbArgs,
        /// Only entities established in this Member State.
        #[arg(long)]
        ms: Option<Country>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Identify an entity: CER Art. 6(2) tests, Art. 7(1) criteria, Art. 17 CEPES test.
    Identify {
        #[command(flatten)]
        db: DbArgs,
        /// The identifying Member State.
        #[arg(long)]
        ms: Country,
        /// The entity's key.
        key: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A critical entity's dated obligations: the Art. 6(3) notification and
    /// the Art. 12(1) risk-assessment due date; with --record, record one.
    Obligations {
        #[command(flatten)]
        db: DbArgs,
        /// The identifying Member State.
        #[arg(long)]
        ms: Country,
        /// The entity's key.
        key: String,
        /// Record an event: `notified` or `risk_assessment`.
        #[arg(long, requires_all = ["at", "reference"])]
        record: Option<bulwark_resilience::obligations::ObligationEvent>,
        /// When it happened (RFC 3339).
        #[arg(long)]
        at: Option<Timestamp>,
        /// The notification's or assessment's reference.
        #[arg(long)]
        reference: Option<String>,
        /// The time to take as now (RFC 3339; default: the clock).
        #[arg(long)]
        now: Option<Timestamp>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show (or with --set FILE.json, set) a Member State's thresholds.
    Thresholds {
        #[command(flatten)]
        db: DbArgs,
        /// The Member State.
        #[arg(long)]
        ms: Country,
        /// A JSON file with the thresholds to set (missing fields take defaults).
        #[arg(long)]
        set: Option<PathBuf>,
        /// Why (audit log).
        #[arg(long, default_value = "set on the command line")]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Incidents under CER Art. 15 and NIS2 Art. 23.
    #[command(subcommand)]
    Incident(IncidentCommand),
}

/// Incident commands.
#[derive(Subcommand)]
pub enum IncidentCommand {
    /// Record an incident notification from a JSON file.
    Report {
        #[command(flatten)]
        db: DbArgs,
        /// The Member State notified.
        #[arg(long)]
        ms: Country,
        /// The notification (JSON).
        file: PathBuf,
        /// The time to take as now (RFC 3339; default: the clock).
        #[arg(long)]
        now: Option<Timestamp>,
        /// Why (audit log).
        #[arg(long, default_value = "notified on the command line")]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List incidents with their clocks.
    List {
        #[command(flatten)]
        db: DbArgs,
        /// The Member State.
        #[arg(long)]
        ms: Country,
        /// The time to evaluate clocks at (RFC 3339; default: the clock).
        #[arg(long)]
        now: Option<Timestamp>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record that a stage's report was received.
    Submit {
        #[command(flatten)]
        db: DbArgs,
        /// The Member State.
        #[arg(long)]
        ms: Country,
        /// The incident id.
        id: IncidentId,
        /// initial_notification, detailed_report, early_warning, incident_notification or final_report.
        #[arg(long)]
        stage: Stage,
        /// When it was received (default: now).
        #[arg(long)]
        at: Option<Timestamp>,
        /// The time to take as now (RFC 3339; default: the clock).
        #[arg(long)]
        now: Option<Timestamp>,
        /// Why (audit log).
        #[arg(long, default_value = "recorded on the command line")]
        purpose: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

async fn open(db: &DbArgs) -> anyhow::Result<Store> {
    let store = Store::open(&db.db).await?;
    bulwark_resilience::migrate(&store).await?;
    Ok(store)
}

/// Maps a pillar error: bad input becomes a usage error (exit code 2).
fn map(e: ResilienceError) -> anyhow::Error {
    if e.is_bad_input() {
        UsageError(e.to_string()).into()
    } else {
        e.into()
    }
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

fn print_incident(v: &IncidentView) {
    println!(
        "{}  entity {}  aware {}{}",
        v.id,
        v.facts.entity,
        v.facts.aware_at,
        if v.overdue { "  OVERDUE" } else { "" }
    );
    for c in &v.clocks {
        println!(
            "    {:<5} {:<22} due {}  {:?}  ({})",
            c.regime.as_str(),
            c.stage.as_str(),
            c.due_at,
            c.status,
            c.article
        );
    }
    for r in &v.routing.reasons {
        println!("    route: {r}");
    }
}

/// Runs a resilience command.
pub fn run(cmd: ResilienceCommand) -> anyhow::Result<ExitCode> {
    super::init_logging("warn");
    super::runtime()?.block_on(async move {
        match cmd {
            // Pure computation on the open data: no store.
            ResilienceCommand::Scenarios(args) => super::simulate::scenarios(args),
            ResilienceCommand::Simulate(args) => super::simulate::simulate(args),
            ResilienceCommand::Assess(args) => super::assess::assess(args),
            ResilienceCommand::Demo { db, data, json } => demo(db, data, json).await,
            ResilienceCommand::Import {
                db,
                files,
                ms,
                purpose,
                json,
            } => {
                let mut inputs = Vec::new();
                for path in &files {
                    let content = read(path)?;
                    let name = path.display().to_string();
                    inputs.push(ImportFile::from_name(&name, content).map_err(map)?);
                }
                let store = open(&db).await?;
                let result = import::import(&store, &Actor::cli(""), &inputs, ms, &purpose).await;
                store.close().await;
                match result {
                    Ok(summary) => {
                        if json {
                            println!("{}", serde_json::to_string(&summary)?);
                        } else {
                            println!(
                                "imported {} entities, {} provisions, {} assets, {} dependencies",
                                summary.entities,
                                summary.provisions,
                                summary.assets,
                                summary.dependencies
                            );
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(ResilienceError::Import(rows)) => {
                        if json {
                            println!("{}", serde_json::json!({ "errors": rows }));
                        }
                        for r in &rows {
                            eprintln!("{r}");
                        }
                        eprintln!(
                            "error: import rejected, nothing written: {} bad row(s)",
                            rows.len()
                        );
                        Ok(ExitCode::from(2))
                    }
                    Err(e) => Err(map(e)),
                }
            }
            ResilienceCommand::Export {
                db,
                ms,
                format,
                out,
                json,
            } => {
                let store = open(&db).await?;
                let bundle = registry::export(&store, ms).await;
                store.close().await;
                let bundle = bundle.map_err(map)?;
                match format {
                    Format::Json => {
                        let text = serde_json::to_string_pretty(&bundle)?;
                        match out {
                            Some(path) => std::fs::write(&path, text)
                                .with_context(|| format!("writing {}", path.display()))?,
                            None => println!("{text}"),
                        }
                    }
                    Format::Csv => {
                        let dir =
                            out.ok_or_else(|| UsageError("--format csv needs --out DIR".into()))?;
                        std::fs::create_dir_all(&dir)
                            .with_context(|| format!("creating {}", dir.display()))?;
                        let mut written = Vec::new();
                        for kind in RecordKind::ALL {
                            let path = dir.join(format!("{kind}.csv"));
                            std::fs::write(&path, import::to_csv(&bundle, *kind).map_err(map)?)
                                .with_context(|| format!("writing {}", path.display()))?;
                            written.push(path.display().to_string());
                        }
                        if json {
                            println!("{}", serde_json::json!({ "files": written }));
                        } else {
                            for w in written {
                                println!("{w}");
                            }
                        }
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            ResilienceCommand::Entities { db, ms, json } => {
                let store = open(&db).await?;
                let list = registry::list_entities(&store, ms).await;
                store.close().await;
                let list = list.map_err(map)?;
                if json {
                    println!("{}", serde_json::to_string(&list)?);
                } else {
                    println!("{:<24}  {:<3}  {:<32}  NAME", "KEY", "MS", "SECTOR");
                    for e in list {
                        let r = e.record;
                        let sector = match r.subsector {
                            Some(s) => format!("{}/{}", r.sector, s),
                            None => r.sector.to_string(),
                        };
                        println!(
                            "{:<24}  {:<3}  {:<32}  {}",
                            r.key, r.member_state, sector, r.name
                        );
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            ResilienceCommand::Obligations {
                db,
                ms,
                key,
                record,
                at,
                reference,
                now,
                json,
            } => {
                use bulwark_resilience::obligations;
                let now = now.unwrap_or_else(Timestamp::now);
                let store = open(&db).await?;
                let result = match (record, at, reference) {
                    (Some(event), Some(at), Some(reference)) => {
                        obligations::record(
                            &store,
                            &Actor::cli(""),
                            ms,
                            &key,
                            event,
                            at,
                            &reference,
                            now,
                        )
                        .await
                    }
                    _ => obligations::get(&store, ms, &key, now).await,
                };
                store.close().await;
                let o = result.map_err(map)?;
                if json {
                    println!("{}", serde_json::to_string(&o)?);
                } else {
                    let date = |t: Option<Timestamp>| {
                        t.map(|t| t.to_rfc3339()).unwrap_or_else(|| "-".into())
                    };
                    println!("entity {}", o.entity);
                    println!("  notified (Art. 6(3)):       {}", date(o.notified_at));
                    println!("  Chapter III applies from:   {}", date(o.chapter_iii_from));
                    println!("  risk assessments received:  {}", o.risk_assessments.len());
                    println!(
                        "  next risk assessment due:   {}{}",
                        date(o.risk_assessment_due),
                        if o.overdue { "  OVERDUE" } else { "" }
                    );
                    if let Some(b) = o.basis {
                        println!("  ({b})");
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            ResilienceCommand::Identify { db, ms, key, json } => {
                let store = open(&db).await?;
                let result = identification::identify(&store, ms, &key).await;
                store.close().await;
                let r = result.map_err(map)?;
                if json {
                    println!("{}", serde_json::to_string(&r)?);
                } else {
                    println!(
                        "{} in {}: {}",
                        r.entity,
                        r.member_state,
                        if r.critical {
                            "CRITICAL ENTITY (all Art. 6(2) tests hold)"
                        } else {
                            "not critical"
                        }
                    );
                    for t in &r.tests {
                        println!(
                            "  [{}] {}: {}",
                            if t.passed { "x" } else { " " },
                            t.article,
                            t.explanation
                        );
                    }
                    for c in &r.criteria {
                        println!(
                            "  {} {}: {}",
                            if c.fired { "*" } else { "-" },
                            c.article,
                            c.explanation
                        );
                    }
                    if !r.chapter_iii_applies {
                        println!("  CER Art. 8: Chapter III does not apply to this sector");
                    }
                    println!(
                        "  CER Art. 17(1): {} Member State(s) for {}{}",
                        r.cepes.member_states.len(),
                        r.cepes.service.as_deref().unwrap_or("-"),
                        if r.cepes.candidate {
                            ": CEPES candidate"
                        } else {
                            ""
                        }
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            ResilienceCommand::Thresholds {
                db,
                ms,
                set,
                purpose,
                json,
            } => {
                let store = open(&db).await?;
                let result = match set {
                    Some(path) => {
                        let text = read(&path)?;
                        let t: Thresholds = serde_json::from_str(&text)
                            .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
                        thresholds::set(&store, &Actor::cli(""), ms, &t, &purpose).await
                    }
                    None => thresholds::get(&store, ms).await,
                };
                store.close().await;
                let t = result.map_err(map)?;
                if json {
                    println!("{}", serde_json::to_string(&t)?);
                } else {
                    println!("{}", serde_json::to_string_pretty(&t)?);
                }
                Ok(ExitCode::SUCCESS)
            }
            ResilienceCommand::Incident(cmd) => incident(cmd).await,
        }
    })
}

/// `bulwark resilience demo`: seeds the demo registry, builds the model
/// and reports both (library calls only).
async fn demo(db: DbArgs, data: Option<PathBuf>, json: bool) -> anyhow::Result<ExitCode> {
    let root = super::simulate::data_root(data)?;
    let store = open(&db).await?;
    let seeded = async {
        let summary = bulwark_resilience::demo::seed(&store).await?;
        let entities = registry::list_entities(&store, None).await?;
        Ok::<_, ResilienceError>((summary, entities))
    }
    .await;
    store.close().await;
    let (summary, entities) = seeded.map_err(map)?;
    let mut by_sector: BTreeMap<String, usize> = BTreeMap::new();
    for e in &entities {
        *by_sector.entry(e.record.sector.to_string()).or_default() += 1;
    }
    let bar = super::simulate::spinner("building the European model");
    let model = tokio::task::spawn_blocking(move || bulwark_resilience::demo::build_model(&root))
        .await?
        .context("building the European model from --data")?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let overview = ModelOverview::of(&model);
    if json {
        let out = serde_json::json!({
            "registry": {
                "seeded": summary,
                "entities": entities.len(),
                "entities_by_sector": by_sector,
            },
            "model": overview,
            "scenarios": bulwark_resilience::simulations::scenarios(),
        });
        println!("{}", serde_json::to_string(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "registry: seeded {} entities, {} provisions, {} assets, {} dependencies (demo, fictional)",
        summary.entities, summary.provisions, summary.assets, summary.dependencies
    );
    println!("  {} entities in the registry by sector:", entities.len());
    for (sector, n) in &by_sector {
        println!("    {sector:<32} {n:>6}");
    }
    println!(
        "\nEuropean model: {} nodes, {} dependencies, networks {}",
        overview.nodes,
        overview.dependencies,
        overview.networks.join(", ")
    );
    println!("  {:<32} {:>8} {:>14}", "LAYER", "NODES", "DEPENDENCIES");
    let layers: std::collections::BTreeSet<&String> = overview
        .nodes_by_layer
        .keys()
        .chain(overview.dependencies_by_layer.keys())
        .collect();
    for layer in layers {
        println!(
            "  {:<32} {:>8} {:>14}",
            layer,
            overview.nodes_by_layer.get(layer).copied().unwrap_or(0),
            overview
                .dependencies_by_layer
                .get(layer)
                .copied()
                .unwrap_or(0)
        );
    }
    println!("  dependencies by resource:");
    for (resource, n) in &overview.dependencies_by_resource {
        println!("    {resource:<30} {n:>8}");
    }
    println!(
        "  {} Member States (of {} countries in the model): {}",
        overview.member_states.len(),
        overview.nodes_by_country.len(),
        overview
            .member_states
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("\nscenarios (bulwark resilience simulate --scenario ID):");
    for s in bulwark_resilience::simulations::scenarios() {
        println!("  {:<32}  {}", s.id, s.name);
    }
    println!("\n{}", bulwark_europe::ATTRIBUTION);
    Ok(ExitCode::SUCCESS)
}

async fn incident(cmd: IncidentCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        IncidentCommand::Report {
            db,
            ms,
            file,
            now,
            purpose,
            json,
        } => {
            let text = read(&file)?;
            let new: NewIncident = serde_json::from_str(&text)
                .map_err(|e| UsageError(format!("{}: {e}", file.display())))?;
            let store = open(&db).await?;
            let now = now.unwrap_or_else(Timestamp::now);
            let result =
                incidents::report(&store, &Actor::cli(""), ms, new, None, now, &purpose).await;
            store.close().await;
            let v = result.map_err(map)?;
            if json {
                println!("{}", serde_json::to_string(&v)?);
            } else {
                print_incident(&v);
            }
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::List { db, ms, now, json } => {
            let store = open(&db).await?;
            let result = incidents::list(&store, ms, now.unwrap_or_else(Timestamp::now)).await;
            store.close().await;
            let list = result.map_err(map)?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for v in &list {
                    print_incident(v);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Submit {
            db,
            ms,
            id,
            stage,
            at,
            now,
            purpose,
            json,
        } => {
            let store = open(&db).await?;
            let report = StageReport {
                stage,
                submitted_at: at,
            };
            let result = incidents::submit(
                &store,
                &Actor::cli(""),
                ms,
                id,
                report,
                None,
                now.unwrap_or_else(Timestamp::now),
                &purpose,
            )
            .await;
            store.close().await;
            let v = result.map_err(map)?;
            if json {
                println!("{}", serde_json::to_string(&v)?);
            } else {
                print_incident(&v);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
