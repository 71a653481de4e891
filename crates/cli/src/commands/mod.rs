//! One module per command group.

pub mod assess;
pub mod audit;
pub mod detect;
pub mod hash;
pub mod index;
pub mod keyfile;
pub mod resilience;
pub mod serve;
pub mod simulate;
pub mod token;

/// The `--db` option shared by every command that uses the store.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArgs {
    /// The database: a SQLite file path, or a postgres:// URL.
    #[arg(long, env = "BULWARK_DB", default_value = "bulwark.db")]
    pub db: String,
}

/// A small Tokio runtime for commands that talk to the store.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Logging to stderr; `RUST_LOG` overrides `default`.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
