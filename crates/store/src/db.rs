//! Opening a store: SQLite (embedded default) or PostgreSQL (shared deployments).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::error::{Result, StoreError};
use crate::kek::Kek;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in a local file (WAL mode, foreign keys on, synchronous FULL,
    /// secure_delete on).
    Sqlite,
    /// PostgreSQL reached by a `postgres://` URL.
    Postgres,
}

impl Backend {
    /// The engine a store location (as [`Store::open`] takes it) selects,
    /// without connecting.
    pub fn of_location(location: &str) -> Result<Backend> {
        Ok(parse_location(location)?.0)
    }
}

/// A handle on Bulwark's database. Cheap to clone; all clones share one pool.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// SQLite: the one connection every write transaction runs on. Writes are
    /// serialised anyway; keeping them on one connection keeps its page cache
    /// (the right-hand edges of the growing tables and indexes) warm, where a
    /// pooled connection would find its cache stale after another one wrote.
    writer: Option<AnyPool>,
    backend: Backend,
    /// Serialises write transactions inside this process on SQLite, where
    /// the database allows one writer at a time anyway; waiting here is
    /// cheaper than SQLite's busy polling. Other processes still wait on
    /// SQLite's own lock (busy timeout).
    pub(crate) local_write_lock: Arc<tokio::sync::Mutex<()>>,
    /// Active API tokens recently looked up (see [`crate::token_cache`]).
    pub(crate) token_cache: Arc<crate::token_cache::TokenCache>,
    location: String,
    /// The key-encryption key for secrets at rest, if one was attached.
    kek: Option<Arc<Kek>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .field("kek", &self.kek.as_ref().map(|k| k.id()))
            .finish()
    }
}

/// Removes any password from a URL before it is shown or logged.
pub fn redact_location(location: &str) -> String {
    match url::Url::parse(location) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => location.to_string(),
    }
}

impl Store {
    /// Opens (creating if needed) the store at `location` and applies the
    /// platform migrations.
    ///
    /// `location` is a `postgres://` or `postgresql://` URL, a `sqlite:` URL,
    /// or a file path (SQLite).
    pub async fn open(location: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = parse_location(location)?;
        let options: AnyConnectOptions =
            url.parse().map_err(|e: sqlx::Error| StoreError::Location {
                location: redact_location(location),
                reason: e.to_string(),
            })?;
        let options = options.disable_statement_logging();
        let max = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = sqlite_aware_pool(backend, max, 0)
            .connect_with(options.clone())
            .await?;
        let writer = match backend {
            Backend::Sqlite => Some(
                sqlite_aware_pool(backend, 1, WRITER_CACHE_KIB)
                    .connect_with(options)
                    .await?,
            ),
            Backend::Postgres => None,
        };
        let store = Store {
            pool,
            writer,
            backend,
            local_write_lock: Arc::new(tokio::sync::Mutex::new(())),
            token_cache: Arc::default(),
            location: redact_location(location),
            kek: None,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the platform's versioned migrations (idempotent).
    pub async fn migrate(&self) -> Result<()> {
        let mut migrator = sqlx::migrate!("./migrations");
        // Pillars keep their own migrations in their own version ranges in
        // the same bookkeeping table, so versions unknown here are expected.
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Applies a pillar's own migrations (its versions must not collide with
    /// the platform's 0001-0999 range).
    pub async fn apply_migrations(&self, mut migrator: sqlx::migrate::Migrator) -> Result<()> {
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// This store with the key-encryption key that seals its secrets at rest
    /// ([`crate::seal`]). Clones made afterwards share it.
    pub fn with_kek(mut self, kek: Kek) -> Store {
        self.kek = Some(Arc::new(kek));
        self
    }

    /// The key-encryption key, or [`StoreError::NoKek`] if the store was
    /// opened without one.
    pub fn kek(&self) -> Result<&Kek> {
        self.kek.as_deref().ok_or_else(|| StoreError::NoKek {
            location: self.location.clone(),
        })
    }

    /// Whether a key-encryption key is attached.
    pub fn has_kek(&self) -> bool {
        self.kek.is_some()
    }

    /// After a committed write erased secret values from `table`, makes
    /// them unreachable in the database's files. SQLite (every connection
    /// runs with `secure_delete`, so the erased values are already zeroed
    /// in the main file's pages): checkpoints the WAL, whose older frames
    /// still hold them, and truncates it; `Ok(false)` if a reader in
    /// another process kept the checkpoint from finishing. PostgreSQL:
    /// rewrites `table` (`VACUUM FULL`) so that no dead row version keeps
    /// them; its WAL segments and earlier backups are outside Bulwark's
    /// reach. `table` must be a name from the code, never from input.
    pub async fn purge_erased(&self, table: &'static str) -> Result<bool> {
        match self.backend {
            Backend::Sqlite => {
                let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .fetch_one(&self.pool)
                    .await?;
                let busy: i64 = sqlx::Row::try_get(&row, 0)?;
                Ok(busy == 0)
            }
            Backend::Postgres => {
                if table.is_empty() || !table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(StoreError::invalid("table", "a plain table name"));
                }
                self.pool
                    .execute(format!("VACUUM FULL {table}").as_str())
                    .await?;
                Ok(true)
            }
        }
    }

    /// The database engine in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The location (password removed), for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The pool write transactions begin on: the dedicated writer on SQLite.
    pub(crate) fn write_pool(&self) -> &AnyPool {
        self.writer.as_ref().unwrap_or(&self.pool)
    }

    /// The connection pool, for pillar crates' read queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Checks the database answers (readiness probe).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned.
    /// On SQLite this also checkpoints the WAL into the main file.
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await;
        }
        if let Some(w) = &self.writer {
            w.close().await;
        }
        self.pool.close().await;
    }
}

/// Page cache of the SQLite writer connection, KiB (SQLite's default is 2 MiB).
const WRITER_CACHE_KIB: u32 = 32 * 1024;

/// Pool options with the per-connection settings: on SQLite, WAL with
/// synchronous=FULL (an acknowledged write survives a crash of the process or
/// the machine: every commit is fsynced), foreign keys, a busy timeout,
/// `secure_delete` (deleted or overwritten values, such as a purged hash or an
/// erased plain secret, are zeroed in their page and freed pages are zeroed, so
/// they do not survive in the file; see [`Store::purge_erased`] for the WAL)
/// and, if `cache_kib` is not 0, a page cache of that size.
fn sqlite_aware_pool(backend: Backend, max: u32, cache_kib: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 30000; \
                         PRAGMA secure_delete = ON;",
                    )
                    .await?;
                    if cache_kib > 0 {
                        conn.execute(format!("PRAGMA cache_size = -{cache_kib}").as_str())
                            .await?;
                    }
                }
                Ok(())
            })
        })
}

pub(crate) fn parse_location(location: &str) -> Result<(Backend, String)> {
    let loc = location.trim();
    if loc.is_empty() {
        return Err(StoreError::Location {
            location: String::new(),
            reason: "empty; give a file path or a postgres:// URL".into(),
        });
    }
    if loc.starts_with("postgres://") || loc.starts_with("postgresql://") {
        return Ok((Backend::Postgres, loc.to_string()));
    }
    if loc.starts_with("sqlite:") {
        return Ok((Backend::Sqlite, loc.to_string()));
    }
    if loc.contains("://") {
        return Err(StoreError::Location {
            location: redact_location(loc),
            reason: "unsupported scheme; use a file path, sqlite: or postgres://".into(),
        });
    }
    let path = Path::new(loc);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| StoreError::Location {
                location: loc.to_string(),
                reason: e.to_string(),
            })?
            .join(path)
    };
    let text = path.to_str().ok_or_else(|| StoreError::Location {
        location: loc.to_string(),
        reason: "path is not valid UTF-8".into(),
    })?;
    let encoded: String = text
        .chars()
        .map(|c| match c {
            '%' => "%25".to_string(),
            '?' => "%3F".to_string(),
            '#' => "%23".to_string(),
            ' ' => "%20".to_string(),
            c => c.to_string(),
        })
        .collect();
    Ok((Backend::Sqlite, format!("sqlite://{encoded}?mode=rwc")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_pick_the_backend() {
        assert_eq!(
            parse_location("postgres://u:p@h/db").unwrap().0,
            Backend::Postgres
        );
        let (b, url) = parse_location("/tmp/a b.db").unwrap();
        assert_eq!(b, Backend::Sqlite);
        assert_eq!(url, "sqlite:///tmp/a%20b.db?mode=rwc");
        assert!(parse_location("mysql://x").is_err());
        assert!(parse_location("  ").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let r = redact_location("postgres://user:secret@localhost/db");
        assert!(!r.contains("secret"));
        assert!(r.contains("user"));
    }
}
