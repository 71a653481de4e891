//! The key-encryption key (KEK): 32 random bytes kept in a key file outside
//! the database, which seals the secrets Bulwark must keep at rest (the
//! detection pillar's report-signing keys) so that a copy of the database
//! alone (a backup, a dump) does not give them away. Sealing itself is in
//! [`crate::seal`]; this module only finds, reads, makes and names key files.
//!
//! **Key file format:** 64 hexadecimal digits (the 32 bytes), optionally
//! followed by one line ending; nothing else. Hex rather than raw bytes so
//! that the file can be printed, compared and kept in a password manager or
//! secret store like any other credential.
//!
//! **Rules** (a file that breaks one is refused with an error naming the
//! file and the rule, and nothing is written):
//! - it is a regular file of at most 66 bytes holding the format above,
//!   and the key is not all zeros;
//! - on Unix, neither its group nor others may read or write it (mode 0600
//!   or stricter), and it is owned by the user running Bulwark or by root
//!   (checked where the effective user id can be read: Linux);
//! - [`Kek::create`] makes a new file only where none exists (create-new,
//!   never overwriting), with mode 0600, from the operating system's random
//!   source.
//!
//! **Where it lives:** given explicitly (`bulwark serve --key-file`,
//! `BULWARK_KEY_FILE`), or for a SQLite database by default `<db file>.key`
//! beside it ([`default_key_file`]). A PostgreSQL database has no default:
//! several servers share it and must share one key file.
//!
//! The key never appears in logs or messages: [`Kek`]'s `Debug` shows its
//! id ([`Kek::id`]) and path only.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::db::{Backend, parse_location};
use crate::error::{Result, StoreError};

/// Length of the key in bytes.
pub const KEY_LEN: usize = 32;

/// Domain-separation prefix of [`Kek::id`]'s hash, so that the id is never
/// the hash of the key used for anything else.
const ID_DOMAIN: &[u8] = b"bulwark-kek-id/1\n";

/// Largest key file accepted: 64 hex digits and a CR LF.
const MAX_FILE_LEN: u64 = 2 * KEY_LEN as u64 + 2;

/// A key-encryption key loaded from its key file.
pub struct Kek {
    key: Zeroizing<[u8; KEY_LEN]>,
    id: String,
    path: PathBuf,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("Kek")
            .field("id", &self.id)
            .field("path", &self.path)
            .finish()
    }
}

fn key_file_error(path: &Path, rule: impl Into<String>) -> StoreError {
    StoreError::KeyFile {
        path: path.display().to_string(),
        rule: rule.into(),
    }
}

const FORMAT_RULE: &str = "must hold 64 hex digits (32 random bytes) and at most a line ending";

impl Kek {
    /// Reads the key file at `path`, checking every rule of the module
    /// documentation. The file must exist.
    pub fn load(path: &Path) -> Result<Kek> {
        let file = std::fs::File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                key_file_error(path, "does not exist")
            } else {
                key_file_error(path, format!("cannot be opened: {e}"))
            }
        })?;
        // Checked on the open handle, so the file checked is the file read.
        let meta = file
            .metadata()
            .map_err(|e| key_file_error(path, format!("cannot be read: {e}")))?;
        if !meta.is_file() {
            return Err(key_file_error(path, "must be a regular file"));
        }
        check_permissions(path, &meta)?;
        if meta.len() > MAX_FILE_LEN {
            return Err(key_file_error(
                path,
                format!("{FORMAT_RULE}; it has {} bytes", meta.len()),
            ));
        }
        let mut text = Zeroizing::new(Vec::with_capacity(MAX_FILE_LEN as usize));
        file.take(MAX_FILE_LEN + 1)
            .read_to_end(&mut text)
            .map_err(|e| key_file_error(path, format!("cannot be read: {e}")))?;
        let key = parse_key(&text).map_err(|rule| key_file_error(path, rule))?;
        Ok(Kek::from_parts(key, path))
    }

    /// Makes a new key file at `path` holding a fresh random key: created
    /// only if nothing is there (never overwritten), mode 0600 on Unix,
    /// flushed to disk before it is used. The directory must exist.
    pub fn create(path: &Path) -> Result<Kek> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        fill_random(&mut key[..]).map_err(|e| {
            key_file_error(
                path,
                format!("not created: the operating system's random source failed: {e}"),
            )
        })?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                key_file_error(path, "already exists; a key file is never overwritten")
            } else {
                key_file_error(path, format!("cannot be created: {e}"))
            }
        })?;
        let mut text = Zeroizing::new(hex::encode(&key[..]));
        text.push('\n');
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(e) = written {
            drop(file);
            // Leave nothing half-written behind.
            let _ = std::fs::remove_file(path);
            return Err(key_file_error(path, format!("cannot be written: {e}")));
        }
        // Make the new directory entry durable too (best effort: not every
        // platform can open a directory).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(Kek::from_parts(*key, path))
    }

    /// [`Kek::load`] if a file is at `path`, else [`Kek::create`]; also
    /// tells whether it was created. If another process creates the file
    /// meanwhile, its key is loaded.
    pub fn load_or_create(path: &Path) -> Result<(Kek, bool)> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Ok((Kek::load(path)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match Kek::create(path) {
                Ok(kek) => Ok((kek, true)),
                Err(_) if path.exists() => Ok((Kek::load(path)?, false)),
                Err(e) => Err(e),
            },
            Err(e) => Err(key_file_error(path, format!("cannot be read: {e}"))),
        }
    }

    fn from_parts(key: [u8; KEY_LEN], path: &Path) -> Kek {
        let key = Zeroizing::new(key);
        let id = key_id(&key);
        Kek {
            key,
            id,
            path: path.to_path_buf(),
        }
    }

    /// The key's id: the first 16 hex digits of SHA-256 over a
    /// domain-separation prefix and the key. Stored with every sealed
    /// value, so that a value sealed under another key file is named as
    /// such instead of failing as "damaged"; it reveals nothing of the key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key file it was read from (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key bytes, for [`crate::seal`] only.
    pub(crate) fn key(&self) -> &[u8; KEY_LEN] {
        &self.key
    }
}

fn key_id(key: &[u8; KEY_LEN]) -> String {
    let mut h = Sha256::new();
    h.update(ID_DOMAIN);
    h.update(key);
    hex::encode(&h.finalize()[..8])
}

/// The operating system's random source (through the AEAD crate's `OsRng`).
pub(crate) fn fill_random(buf: &mut [u8]) -> std::result::Result<(), String> {
    use chacha20poly1305::aead::rand_core::RngCore;
    chacha20poly1305::aead::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| e.to_string())
}

/// Parses the file's bytes; the error is the rule broken (never the content).
fn parse_key(text: &[u8]) -> std::result::Result<[u8; KEY_LEN], String> {
    let digits = text
        .strip_suffix(b"\r\n")
        .or_else(|| text.strip_suffix(b"\n"))
        .unwrap_or(text);
    if digits.len() != 2 * KEY_LEN {
        return Err(format!("{FORMAT_RULE}; it has {} bytes", text.len()));
    }
    let mut key = [0u8; KEY_LEN];
    if hex::decode_to_slice(digits, &mut key).is_err() {
        return Err(format!(
            "{FORMAT_RULE}; it holds a character that is not a hex digit"
        ));
    }
    if key.iter().all(|&b| b == 0) {
        return Err("must hold a random key, not all zeros".into());
    }
    Ok(key)
}

#[cfg(unix)]
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(key_file_error(
            path,
            format!(
                "has mode {mode:04o}, which lets group or others read or write it; \
                 it must be 0600 or stricter (chmod 600 {})",
                path.display()
            ),
        ));
    }
    use std::os::unix::fs::MetadataExt;
    let owner = meta.uid();
    if let Some(me) = effective_uid()
        && owner != me
        && owner != 0
    {
        return Err(key_file_error(
            path,
            format!(
                "is owned by user id {owner}; it must be owned by the user running Bulwark \
                 (user id {me}) or by root, since its owner can replace the key"
            ),
        ));
    }
    Ok(())
}

/// The process's effective user id, from `/proc/self/status` (Linux);
/// `None` where that is not available (the owner check is then skipped,
/// the mode check still applies).
#[cfg(unix)]
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    // Real, effective, saved and file-system user ids.
    line.split_whitespace().nth(2)?.parse().ok()
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path, _meta: &std::fs::Metadata) -> Result<()> {
    // Access to the file is the operating system's ACLs' business here.
    Ok(())
}

/// Where the key file of the database at `location` is when none is
/// given: `<db file>.key` beside a SQLite file. `None` for PostgreSQL
/// (several servers share the database and must share one key file, so it
/// must be given) and for an in-memory SQLite database.
pub fn default_key_file(location: &str) -> Result<Option<PathBuf>> {
    let (backend, url) = parse_location(location)?;
    if backend == Backend::Postgres {
        return Ok(None);
    }
    let options: sqlx::sqlite::SqliteConnectOptions =
        url.parse().map_err(|e: sqlx::Error| StoreError::Location {
            location: location.to_string(),
            reason: e.to_string(),
        })?;
    let file = options.get_filename();
    let name = file.to_string_lossy();
    if name.is_empty()
        || name.starts_with(":memory:")
        || name.starts_with("file:")
        || url.contains("mode=memory")
    {
        return Ok(None);
    }
    let mut with_key = file.as_os_str().to_os_string();
    with_key.push(".key");
    Ok(Some(PathBuf::from(with_key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_rule_is_exact() {
        let hex64 = "0123456789abcdef".repeat(4);
        assert!(parse_key(hex64.as_bytes()).is_ok());
        assert!(parse_key(format!("{hex64}\n").as_bytes()).is_ok());
        assert!(parse_key(format!("{hex64}\r\n").as_bytes()).is_ok());
        assert!(parse_key(hex64.to_uppercase().as_bytes()).is_ok());
        for bad in [
            format!("{hex64}\n\n"),
            format!(" {hex64}"),
            hex64[..62].to_string(),
            format!("{hex64}00"),
            format!("{}zz", &hex64[..62]),
            "0".repeat(64),
        ] {
            let e = parse_key(bad.as_bytes()).unwrap_err();
            assert!(!e.contains(&hex64), "the error shows the content: {e}");
        }
        assert!(parse_key(&[7u8; 32]).unwrap_err().contains("64 hex digits"));
    }

    #[test]
    fn the_id_depends_on_the_key_only() {
        let a = key_id(&[1u8; 32]);
        assert_eq!(a.len(), 16);
        assert_eq!(a, key_id(&[1u8; 32]));
        assert_ne!(a, key_id(&[2u8; 32]));
        // Not the plain SHA-256 of the key.
        assert_ne!(a, hex::encode(&Sha256::digest([1u8; 32])[..8]));
    }

    #[test]
    fn default_key_files_sit_beside_sqlite_files_only() {
        let p = default_key_file("/tmp/x y.db").unwrap().unwrap();
        assert_eq!(p, PathBuf::from("/tmp/x y.db.key"));
        let p = default_key_file("sqlite:///var/lib/b.db?mode=rwc")
            .unwrap()
            .unwrap();
        assert_eq!(p, PathBuf::from("/var/lib/b.db.key"));
        assert_eq!(default_key_file("postgres://u:p@h/db").unwrap(), None);
        assert_eq!(default_key_file("sqlite::memory:").unwrap(), None);
        assert!(default_key_file("mysql://x").is_err());
    }
}
