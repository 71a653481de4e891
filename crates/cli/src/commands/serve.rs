//! `bulwark serve`.

use std::process::ExitCode;

use anyhow::Context;

use bulwark_server::ServerConfig;
use bulwark_store::Store;

use crate::demo;

/// Options of `bulwark serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// The database: a SQLite file path or a postgres:// URL. With --demo and
    /// no --db, `bulwark-demo.db` in the current directory.
    #[arg(long, env = "BULWARK_DB")]
    db: Option<String>,
    /// Create (or reuse) a demo database and print an admin token.
    #[arg(long)]
    demo: bool,
    /// Mark the session cookie Secure (when served over HTTPS).
    #[arg(long)]
    secure_cookies: bool,
    /// The open-data folder (GridKit, SciGRID gas, GeoNames) the European
    /// model for simulation runs is built from, as the project's `../shared/data`.
    #[arg(long, env = "BULWARK_DATA")]
    data: Option<std::path::PathBuf>,
    #[command(flatten)]
    key: super::keyfile::KeyFileArgs,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    super::init_logging("info");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(async move {
        let location = match (&args.db, args.demo) {
            (Some(db), _) => db.clone(),
            (None, true) => "bulwark-demo.db".to_string(),
            (None, false) => "bulwark.db".to_string(),
        };
        // The key file first: a bad one leaves no database behind.
        super::keyfile::refuse_lost_key(&location, &args.key).await?;
        let kek = super::keyfile::load(&location, &args.key)?;
        tracing::info!(
            key_file = %kek.path().display(),
            kek_id = kek.id(),
            "secrets at rest are sealed with this key file"
        );
        let store = Store::open(&location).await?.with_kek(kek);
        // The detection pillar's migrations seal plain signing keys left by an
        // older version; a key file other than the one the keys were sealed
        // with stops the start here (exit 2), before anything listens.
        bulwark_detection::migrate(&store)
            .await
            .map_err(super::keyfile::key_error)?;
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .map_err(|e| crate::exit::UsageError(format!("--addr {}: {e}", args.addr)))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        println!("listening on http://{addr}");
        if args.demo {
            let images = match std::path::Path::new(&location).parent() {
                Some(p) if !location.contains("://") => p.join("bulwark-demo-images"),
                _ => std::path::PathBuf::from("bulwark-demo-images"),
            };
            let tokens = demo::seed(&store, &images).await?;
            println!("demo database: {}", store.location());
            println!("console: http://{addr}/console");
            println!("admin token (shown once): {}", tokens.admin);
            println!("analyst token (shown once): {}", tokens.analyst);
            println!("provider token (shown once): {}", tokens.provider);
            println!("reviewer token (shown once): {}", tokens.reviewer);
            println!("authority token (shown once): {}", tokens.authority);
            println!(
                "detection demo: bulwark detect scan --db {} {}",
                location,
                tokens.images.join("stand-in-03.png").display()
            );
        }
        let config = ServerConfig {
            secure_cookies: args.secure_cookies,
            data_root: args.data,
            ..ServerConfig::default()
        };
        bulwark_server::serve(listener, store, config, bulwark_server::shutdown_signal()).await?;
        tracing::info!("stopped cleanly");
        Ok(ExitCode::SUCCESS)
    });
    // A simulation run still computing on a blocking thread would hold the
    // exit until it finished; it is marked interrupted at the next start.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    outcome
}
