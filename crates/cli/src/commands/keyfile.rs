//! Key files of the key-encryption key that seals secrets at rest
//! (`bulwark_store::kek`): the `--key-file` option of the commands that may
//! seal or open them (`bulwark serve`, the only one that makes reports),
//! and `bulwark key-file new|id|rotate|recover`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bulwark_store::{Actor, Backend, Kek, Store};

use crate::exit::UsageError;

/// The `--key-file` option.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyFileArgs {
    /// The key file whose key seals the secrets kept in the database (64 hex
    /// digits, mode 0600). Default for a SQLite database: `<db file>.key`
    /// beside it, created on first use. Required for a postgres:// database:
    /// its servers share one key file (make it with `bulwark key-file new`).
    /// Back it up apart from the database.
    #[arg(long = "key-file", env = "BULWARK_KEY_FILE", value_name = "PATH")]
    pub key_file: Option<PathBuf>,
}

/// Refuses to start a SQLite database whose key file is missing while the
/// database already holds secrets sealed with a key: a new key file could
/// not open them, so none is made; the operator restores the old one.
pub async fn refuse_lost_key(location: &str, args: &KeyFileArgs) -> anyhow::Result<()> {
    if Backend::of_location(location)? != Backend::Sqlite {
        return Ok(());
    }
    let Some(default) = bulwark_store::kek::default_key_file(location)? else {
        return Ok(());
    };
    let key_file = args.key_file.clone().unwrap_or_else(|| default.clone());
    let database = database_file(&default);
    if key_file.exists() || !database.exists() {
        return Ok(());
    }
    let store = bulwark_store::Store::open(location).await?;
    let sealed = bulwark_detection::keys::sealed_with(&store).await;
    store.close().await;
    if let Some(kek_id) = sealed? {
        return Err(UsageError(format!(
            "key file {}: does not exist, and the database holds report-signing keys sealed \
             with key {kek_id}: restore that key file (a new key could not open them)",
            key_file.display()
        ))
        .into());
    }
    Ok(())
}

/// The SQLite database file whose default key file is `default_key_file`
/// (its name without `.key`).
fn database_file(default_key_file: &Path) -> PathBuf {
    default_key_file.with_extension("")
}

/// The key file of the database at `location`: the given one, or for a
/// SQLite file `<db file>.key` beside it. A postgres:// database (and an
/// in-memory SQLite one) has no default place: `--key-file` is required.
fn key_file_path(location: &str, args: &KeyFileArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = &args.key_file {
        return Ok(path.clone());
    }
    match Backend::of_location(location)? {
        Backend::Postgres => Err(UsageError(
            "--key-file (or BULWARK_KEY_FILE) is required with a postgres:// database: \
             its servers share the database and must share one key file (make it once \
             with `bulwark key-file new PATH`)"
                .into(),
        )
        .into()),
        Backend::Sqlite => Ok(bulwark_store::kek::default_key_file(location)?.ok_or_else(
            || {
                UsageError(format!(
                    "--key-file (or BULWARK_KEY_FILE) is required: the database `{location}` \
                 is not a file a key file could sit beside"
                ))
            },
        )?),
    }
}

/// The key-encryption key for the database at `location`, from the key
/// file [`load`] uses, but never made: the key file must exist (a new key
/// could not open what is sealed already).
pub fn load_existing(location: &str, args: &KeyFileArgs) -> anyhow::Result<Kek> {
    let path = key_file_path(location, args)?;
    if !path.exists() {
        return Err(UsageError(format!(
            "key file {}: does not exist; give the database's current key file",
            path.display()
        ))
        .into());
    }
    Ok(Kek::load(&path)?)
}

/// The key-encryption key for the database at `location` ([`key_file_path`]),
/// read before the database is opened, so that a bad key file leaves nothing
/// written. SQLite: made if absent. PostgreSQL: the file must exist (a file
/// made here would not be the one the other servers use).
pub fn load(location: &str, args: &KeyFileArgs) -> anyhow::Result<Kek> {
    let path = key_file_path(location, args)?;
    if Backend::of_location(location)? == Backend::Postgres {
        if !path.exists() {
            return Err(UsageError(format!(
                "key file {}: does not exist; the servers of a postgres:// database share \
                 one key file: make it once with `bulwark key-file new {}` and give the \
                 same file to each (--key-file or BULWARK_KEY_FILE)",
                path.display(),
                path.display()
            ))
            .into());
        }
        return Ok(Kek::load(&path)?);
    }
    let (kek, created) = Kek::load_or_create(&path)?;
    if created {
        tracing::info!(
            key_file = %path.display(),
            kek_id = kek.id(),
            "created a new key file: back it up apart from the database"
        );
    }
    Ok(kek)
}

/// `bulwark key-file ...`.
#[derive(clap::Subcommand, Debug)]
pub enum KeyFileCommand {
    /// Make a new key file: 32 random bytes as 64 hex digits, mode 0600,
    /// never over an existing file. Prints its key id.
    New {
        /// Where to write it.
        path: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Check a key file against the rules and print its key id (the id
    /// stored with every value it seals).
    Id {
        /// The key file.
        path: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Rotate the key: re-seal every secret the database keeps (the
    /// report-signing keys) with the key of a new key file, in one audited
    /// transaction; the signing keys themselves stay the same. Stop the
    /// servers first and start them with the new key file after; keep the
    /// old file only as long as a backup sealed with it is kept.
    Rotate {
        #[command(flatten)]
        db: super::DbArgs,
        /// The current key file (`--key-file`, default for SQLite: `<db file>.key`).
        #[command(flatten)]
        key: KeyFileArgs,
        /// The new key file: made here (mode 0600) if nothing is there, else
        /// read (e.g. one made before with `bulwark key-file new` and handed to
        /// every server of a shared database).
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Recover from a lost key file: replace every provider's report-signing
    /// key pair with a new one sealed with the key of a new key file, in one
    /// audited transaction. The old keys cannot be opened without their key
    /// file, so they are retired, not re-sealed: reports signed with them
    /// still verify with their public keys, which stay listed (`bulwark
    /// detect signing-key show`); recipients need the new public keys.
    /// Refused while the current key file still opens the stored keys (use
    /// `rotate`, which keeps them). Stop the servers first.
    Recover {
        #[command(flatten)]
        db: super::DbArgs,
        /// The key file that was lost (`--key-file`, default for SQLite:
        /// `<db file>.key`); checked not to open the stored keys.
        #[command(flatten)]
        key: KeyFileArgs,
        /// The new key file: made here (mode 0600) if nothing is there.
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
        /// Why (kept with each retired key and in the audit log).
        #[arg(long)]
        reason: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `bulwark key-file ...`.
pub fn run(cmd: KeyFileCommand) -> anyhow::Result<ExitCode> {
    let (kek, json, made) = match cmd {
        KeyFileCommand::New { path, json } => (Kek::create(&path)?, json, true),
        KeyFileCommand::Id { path, json } => (Kek::load(&path)?, json, false),
        KeyFileCommand::Rotate { db, key, to, json } => return rotate(&db.db, &key, &to, json),
        KeyFileCommand::Recover {
            db,
            key,
            to,
            reason,
            json,
        } => return recover(&db.db, &key, &to, &reason, json),
    };
    print(kek.path(), kek.id(), json, made);
    Ok(ExitCode::SUCCESS)
}

fn print(path: &Path, id: &str, json: bool, made: bool) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "path": path.display().to_string(), "kek_id": id, "created": made })
        );
    } else if made {
        println!(
            "created key file {} (key id {id}): back it up apart from the database",
            path.display()
        );
    } else {
        println!("key file {}: key id {id}", path.display());
    }
}

/// `bulwark key-file rotate`: the current key file and the new one are
/// checked, and the new one made if absent, before the database is touched;
/// a new key file made here is removed again if the rotation fails and no
/// value was sealed with it, so a failed rotation leaves nothing behind.
fn rotate(location: &str, key: &KeyFileArgs, to: &Path, json: bool) -> anyhow::Result<ExitCode> {
    if let Some(default) = bulwark_store::kek::default_key_file(location)? {
        let database = database_file(&default);
        if !database.exists() {
            return Err(UsageError(format!(
                "--db {}: no such database file; nothing to rotate",
                database.display()
            ))
            .into());
        }
    }
    let from = load_existing(location, key)?;
    let (to, made) = Kek::load_or_create(to)?;
    super::runtime()?.block_on(async move {
        let store = Store::open(location).await?;
        let outcome = reseal(store.clone(), from, &to).await;
        if outcome.is_err()
            && made
            && matches!(
                bulwark_detection::keys::any_sealed_with(&store, to.id()).await,
                Ok(false)
            )
        {
            let _ = std::fs::remove_file(to.path());
        }
        store.close().await;
        let (n, from_id) = outcome?;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "resealed": n,
                    "from_kek_id": from_id,
                    "to_kek_id": to.id(),
                    "key_file": to.path().display().to_string(),
                    "created": made,
                })
            );
        } else {
            println!(
                "re-sealed {n} report-signing key(s) with key {} (key file {}{}); start the \
                 servers with --key-file {} (or put it in the old key file's place); key {from_id} \
                 opens nothing stored now: keep its file only while a backup made before needs it",
                to.id(),
                to.path().display(),
                if made { ", created" } else { "" },
                to.path().display(),
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `bulwark key-file recover`: checks that neither the lost key file nor the
/// new one opens the stored keys (then nothing is lost), makes the new key
/// file if absent, and replaces every signing key under it; a new key file
/// made here is removed again if that fails.
fn recover(
    location: &str,
    lost: &KeyFileArgs,
    to: &Path,
    reason: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let lost_path = key_file_path(location, lost)?;
    let lost_id = match lost_path.exists() {
        true => Some(Kek::load(&lost_path)?.id().to_string()),
        false => None,
    };
    let to_id = match to.exists() {
        true => Some(Kek::load(to)?.id().to_string()),
        false => None,
    };
    super::runtime()?.block_on(async move {
        let store = Store::open(location).await?;
        let sealed = bulwark_detection::keys::sealed_with(&store).await;
        let sealed = match sealed {
            Ok(s) => s,
            Err(e) => {
                store.close().await;
                return Err(e.into());
            }
        };
        for (path, id) in [(&lost_path, &lost_id), (&to.to_path_buf(), &to_id)] {
            if let (Some(id), Some(sealed)) = (id, &sealed)
                && id == sealed
            {
                store.close().await;
                return Err(UsageError(format!(
                    "key file {}: its key {id} opens the stored signing keys, so nothing is \
                     lost; to change the key file and keep the keys, use `bulwark key-file \
                     rotate`",
                    path.display()
                ))
                .into());
            }
        }
        let outcome = async {
            let (kek, made) = Kek::load_or_create(to)?;
            let (id, path) = (kek.id().to_string(), kek.path().to_path_buf());
            let result = replace_all(store.clone(), kek, reason).await;
            if result.is_err()
                && made
                && matches!(
                    bulwark_detection::keys::any_sealed_with(&store, &id).await,
                    Ok(false)
                )
            {
                let _ = std::fs::remove_file(&path);
            }
            result.map(|r| (r, id, path, made))
        }
        .await;
        store.close().await;
        let (replaced, id, path, made) = outcome?;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "replaced": replaced,
                    "lost_kek_id": sealed,
                    "to_kek_id": id,
                    "key_file": path.display().to_string(),
                    "created": made,
                })
            );
        } else {
            for r in &replaced {
                println!(
                    "{}: key {} retired, key {} signs from now on",
                    r.current.provider, r.retired.key_id, r.current.key_id
                );
            }
            println!(
                "replaced {} report-signing key(s) under key {} (key file {}{}); start the \
                 servers with --key-file {}; send the new public keys to the report \
                 recipients",
                replaced.len(),
                id,
                path.display(),
                if made { ", created" } else { "" },
                path.display(),
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Applies the detection pillar's migrations (without opening anything
/// sealed) and replaces every signing key under `to`.
async fn replace_all(
    store: Store,
    to: Kek,
    reason: &str,
) -> anyhow::Result<Vec<bulwark_detection::keys::Replacement>> {
    bulwark_detection::migrate(&store).await?;
    let store = store.with_kek(to);
    bulwark_detection::keys::replace_all(
        &store,
        &Actor::cli(""),
        reason,
        bulwark_core::Timestamp::now(),
        "key file lost: signing keys replaced",
    )
    .await
    .map_err(key_error)
}

/// Applies the detection pillar's migrations (without sealing anything with
/// the old key) and re-seals with `to`; returns the count and the old key id.
async fn reseal(store: Store, from: Kek, to: &Kek) -> anyhow::Result<(usize, String)> {
    let from_id = from.id().to_string();
    bulwark_detection::migrate(&store).await?;
    let store = store.with_kek(from);
    let n = bulwark_detection::keys::rotate(&store, &Actor::cli(""), to)
        .await
        .map_err(key_error)?;
    Ok((n, from_id))
}

/// Maps a pillar error of a command that uses the key file: a key file that
/// does not open what is sealed, or a bad one, and bad input exit with code 2.
pub fn key_error(e: bulwark_detection::DetectionError) -> anyhow::Error {
    match e {
        bulwark_detection::DetectionError::Store(
            s @ (bulwark_store::StoreError::Unseal { .. }
            | bulwark_store::StoreError::KeyFile { .. }),
        ) => UsageError(format!("--key-file: {s}")).into(),
        e if e.is_bad_input() => UsageError(e.to_string()).into(),
        e => e.into(),
    }
}
