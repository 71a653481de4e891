//! Providers' report-signing keys at rest. A report is signed with its
//! provider's Ed25519 key (CSA proposal Art. 13(1)(b)), made on first use
//! ([`provider_key`]). Its secret half is stored only sealed with the
//! store's key-encryption key (`bulwark_store::seal`, the key file outside
//! the database), bound to its row (purpose [`SEAL_PURPOSE`], provider and
//! key id), so that a copy of the database alone cannot forge reports and
//! a sealed secret moved to another provider's row does not open.
//!
//! Databases from before keys were sealed hold plain secrets: the first
//! start with a key file seals them all and erases the plain values in one
//! audited transaction ([`seal_at_rest`], called by [`crate::migrate`]).
//!
//! A provider replaces its key pair with [`replace`] (on a suspected
//! compromise or a schedule): the new key signs every later report, the old
//! secret is overwritten and purged, and the old public key moves to
//! `det_provider_key_history`, so reports signed with it still verify
//! ([`signing_keys`], [`public_keys`]).

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use zeroize::Zeroizing;

use bulwark_core::Timestamp;
use bulwark_store::seal::{Binding, Sealed};
use bulwark_store::{Actor, AuditEntry, Kek, Store};

use crate::error::{DetectionError, Result, corrupt};
use crate::signing::KeyPair;

/// The purpose bound into every sealed provider key (the column it lives in).
pub const SEAL_PURPOSE: &str = "det_provider_keys.sealed_secret";

const TABLE: &str = "det_provider_keys";

/// How a provider's key is described in messages.
fn what(provider: &str) -> String {
    format!("signing key of provider `{provider}`")
}

/// A stored key row.
enum Stored {
    /// Sealed (every key made since migration 2005).
    Sealed {
        key_id: String,
        public_key: String,
        sealed: Sealed,
    },
    /// A plain secret from before migration 2005, not yet sealed.
    Plain,
}

async fn stored(store: &Store, provider: &str) -> Result<Option<Stored>> {
    let Some(r) = sqlx::query(
        "SELECT key_id, public_key, sealed_secret, kek_id FROM det_provider_keys \
         WHERE provider = $1",
    )
    .bind(provider)
    .fetch_optional(store.pool())
    .await?
    else {
        return Ok(None);
    };
    let blob: Option<String> = r.try_get("sealed_secret")?;
    let kek_id: Option<String> = r.try_get("kek_id")?;
    Ok(Some(match (blob, kek_id) {
        (Some(blob), Some(kek_id)) => Stored::Sealed {
            key_id: r.try_get("key_id")?,
            public_key: r.try_get("public_key")?,
            sealed: Sealed { kek_id, blob },
        },
        _ => Stored::Plain,
    }))
}

/// The key pair of `secret`, checked against the row's key id and public key.
fn key_pair(provider: &str, secret: &[u8], key_id: &str, public_key: &str) -> Result<KeyPair> {
    let bytes: [u8; 32] = secret
        .try_into()
        .map_err(|_| corrupt(TABLE, format!("the {} is not 32 bytes", what(provider))))?;
    let kp = KeyPair::from_secret(provider, bytes);
    if kp.key_id != key_id || kp.public_key != public_key {
        return Err(corrupt(
            TABLE,
            format!("the {} does not belong to its public key", what(provider)),
        ));
    }
    Ok(kp)
}

fn open(
    kek: &Kek,
    provider: &str,
    key_id: &str,
    public_key: &str,
    sealed: &Sealed,
) -> Result<KeyPair> {
    let row = [provider, key_id];
    let binding = Binding {
        purpose: SEAL_PURPOSE,
        row: &row,
    };
    let secret = kek.open(&binding, sealed, &what(provider))?;
    key_pair(provider, &secret, key_id, public_key)
}

/// Seals `secret` (checked against the row's key id and public key) with
/// `kek` for its row, and proves that the sealed value opens again: a
/// stored secret is never replaced by a sealed one that does not open.
fn seal_checked(
    kek: &Kek,
    provider: &str,
    key_id: &str,
    public_key: &str,
    secret: &[u8],
) -> Result<Sealed> {
    key_pair(provider, secret, key_id, public_key)?;
    let row = [provider, key_id];
    let binding = Binding {
        purpose: SEAL_PURPOSE,
        row: &row,
    };
    let sealed = kek.seal(&binding, secret, &what(provider))?;
    open(kek, provider, key_id, public_key, &sealed)?;
    Ok(sealed)
}

/// Replaces the stored value of `provider`'s key, on an open write
/// transaction, with `secret` sealed by [`seal_checked`]; erases any plain
/// value.
async fn store_sealed(
    conn: &mut sqlx::AnyConnection,
    kek: &Kek,
    provider: &str,
    key_id: &str,
    public_key: &str,
    secret: &[u8],
) -> Result<()> {
    let sealed = seal_checked(kek, provider, key_id, public_key, secret)?;
    sqlx::query(
        "UPDATE det_provider_keys SET sealed_secret = $1, kek_id = $2, plain_secret = NULL \
         WHERE provider = $3",
    )
    .bind(&sealed.blob)
    .bind(&sealed.kek_id)
    .bind(provider)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes, seals and stores a new key for `provider`; `None` if another
/// writer stored one first (then that one is used).
async fn create(
    store: &Store,
    kek: &Kek,
    actor: &Actor,
    provider: &str,
    now: Timestamp,
) -> Result<Option<KeyPair>> {
    let secret: [u8; 32] = rand::random();
    let kp = KeyPair::from_secret(provider, secret);
    let row = [provider, kp.key_id.as_str()];
    let binding = Binding {
        purpose: SEAL_PURPOSE,
        row: &row,
    };
    let sealed = kek.seal(&binding, &secret, &what(provider))?;
    let mut tx = store.write().await?;
    let done = sqlx::query(
        "INSERT INTO det_provider_keys (provider, key_id, public_key, created_at, sealed_secret, kek_id) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider) DO NOTHING",
    )
    .bind(provider)
    .bind(&kp.key_id)
    .bind(&kp.public_key)
    .bind(now.unix_micros())
    .bind(&sealed.blob)
    .bind(&sealed.kek_id)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        // Dropping the transaction rolls it back: nothing written.
        return Ok(None);
    }
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.key.create",
            format!("key:{}", kp.key_id),
            "report signing",
        )
        .with_details(json!({ "provider": provider, "kek_id": kek.id() })),
    )
    .await?;
    Ok(Some(kp))
}

/// The provider's report-signing key: opened from its sealed row, or made
/// on first use (sealed, audited as `detection.key.create`). Needs the
/// store's key-encryption key; a key sealed under another key file, altered
/// or moved from another row is refused with an error naming the reason.
pub async fn provider_key(
    store: &Store,
    actor: &Actor,
    provider: &str,
    now: Timestamp,
) -> Result<KeyPair> {
    let kek = store.kek()?;
    // At most: a plain row sealed or a lost race to make the key, then the
    // sealed row read.
    for _ in 0..3 {
        match stored(store, provider).await? {
            Some(Stored::Sealed {
                key_id,
                public_key,
                sealed,
            }) => return open(kek, provider, &key_id, &public_key, &sealed),
            Some(Stored::Plain) => {
                seal_at_rest(store).await?;
            }
            None => {
                if let Some(kp) = create(store, kek, actor, provider, now).await? {
                    return Ok(kp);
                }
            }
        }
    }
    Err(DetectionError::Conflict(format!(
        "the {} kept changing while it was read; try again",
        what(provider)
    )))
}

/// The id of the key-encryption key some stored signing key is sealed with,
/// if any (`None` also for a database from before migration 2005, whose
/// secrets are still plain). Reads only; no key needed.
pub async fn sealed_with(store: &Store) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT kek_id FROM det_provider_keys WHERE kek_id IS NOT NULL ORDER BY provider LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await;
    match row {
        Ok(Some(r)) => Ok(Some(r.try_get("kek_id")?)),
        // No table or no column yet: nothing is sealed.
        Ok(None) | Err(sqlx::Error::Database(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Brings the stored keys under the store's key-encryption key; called at
/// every start with a key file ([`crate::migrate`]).
///
/// 1. A key sealed under another key file stops it with an error naming
///    both key ids and the key file: nothing is changed.
/// 2. Plain secrets (stored before migration 2005) are each checked against
///    their public key, sealed, proved to open, and their plain value
///    erased, all in one transaction audited as `detection.key.seal` (by
///    `system`); then the store purges the erased values from its files
///    (`Store::purge_erased`: SQLite's WAL checkpointed and truncated, with
///    `secure_delete` on; PostgreSQL's table rewritten).
///
/// Returns how many keys were sealed (0: nothing written).
pub async fn seal_at_rest(store: &Store) -> Result<usize> {
    let kek = store.kek()?;
    if let Some(r) = sqlx::query(
        "SELECT provider, kek_id FROM det_provider_keys WHERE kek_id IS NOT NULL AND kek_id <> $1 \
         ORDER BY provider LIMIT 1",
    )
    .bind(kek.id())
    .fetch_optional(store.pool())
    .await?
    {
        let provider: String = r.try_get("provider")?;
        let kek_id: String = r.try_get("kek_id")?;
        kek.check_sealed_with(&kek_id, &what(&provider))?;
    }
    let plain: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM det_provider_keys WHERE plain_secret IS NOT NULL")
            .fetch_one(store.pool())
            .await?
            .try_get("n")?;
    if plain == 0 {
        return Ok(0);
    }
    let mut tx = store.write().await?;
    // Read again inside the transaction: another process may have sealed them.
    let rows = sqlx::query(
        "SELECT provider, key_id, public_key, plain_secret FROM det_provider_keys \
         WHERE plain_secret IS NOT NULL ORDER BY provider",
    )
    .fetch_all(tx.conn())
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut providers = Vec::with_capacity(rows.len());
    for r in &rows {
        let provider: String = r.try_get("provider")?;
        let key_id: String = r.try_get("key_id")?;
        let public_key: String = r.try_get("public_key")?;
        let plain: String = r.try_get("plain_secret")?;
        let secret = hex::decode(&plain).map_err(|_| {
            corrupt(
                TABLE,
                format!("the plain {} is not 64 hex digits", what(&provider)),
            )
        })?;
        // Never erase a plain secret for a sealed one that does not open.
        store_sealed(tx.conn(), kek, &provider, &key_id, &public_key, &secret).await?;
        providers.push(provider);
    }
    tx.commit(
        &Actor::system(),
        AuditEntry::new(
            "detection.key.seal",
            TABLE,
            "keys at rest: plain report-signing keys sealed with the key-encryption key, \
             plain values erased",
        )
        .with_details(json!({ "providers": providers, "kek_id": kek.id() })),
    )
    .await?;
    purge_replaced(store, "sealed the plain signing keys").await;
    tracing::info!(
        keys = providers.len(),
        kek_id = kek.id(),
        "sealed plain provider signing keys"
    );
    Ok(providers.len())
}

/// Purges the values just replaced in the key table from the database
/// files (`Store::purge_erased`); a failure only warns, since the new
/// values are committed and the old ones go at the next checkpoint.
async fn purge_replaced(store: &Store, done: &str) {
    match store.purge_erased(TABLE).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "{done}, but another process kept the SQLite WAL from being truncated: the \
             replaced values stay in it until its next checkpoint"
        ),
        Err(e) => tracing::warn!(
            error = %e,
            "{done}, but could not purge the replaced values from the database files"
        ),
    }
}

/// Rotates the key-encryption key: re-seals every stored signing key,
/// sealed with the store's key-encryption key (the current key file), with
/// `to` (the new one), in one transaction audited as `detection.key.rotate`
/// (by `actor`, naming both key ids and the providers), then purges the
/// replaced values from the database files as [`seal_at_rest`] does. The
/// signing keys themselves, and so every report's key id, stay the same.
///
/// - Each value is opened with the current key, checked against its public
///   key, sealed with `to` and proved to open before it replaces the old one.
/// - Values already sealed with `to` are left as they are, so running the
///   rotation again after it succeeded changes nothing (returns 0); plain
///   values from before migration 2005 are sealed with `to` directly.
/// - A value sealed with a third key, or one that does not open, stops the
///   rotation naming it: nothing is changed.
/// - `to` must be another key than the current one.
///
/// Servers still running with the old key file can no longer open the keys:
/// stop them before, and start them with the new key file after.
///
/// Returns how many keys were re-sealed.
pub async fn rotate(store: &Store, actor: &Actor, to: &Kek) -> Result<usize> {
    let from = store.kek()?;
    if from.id() == to.id() {
        return Err(DetectionError::invalid(
            "new key file",
            format!(
                "{} holds the same key ({}) as the current key file {}: a rotation needs a \
                 new key",
                to.path().display(),
                to.id(),
                from.path().display()
            ),
        ));
    }
    let mut tx = store.write().await?;
    let rows = sqlx::query(
        "SELECT provider, key_id, public_key, sealed_secret, kek_id, plain_secret \
         FROM det_provider_keys ORDER BY provider",
    )
    .fetch_all(tx.conn())
    .await?;
    let mut providers = Vec::new();
    for r in &rows {
        let provider: String = r.try_get("provider")?;
        let key_id: String = r.try_get("key_id")?;
        let public_key: String = r.try_get("public_key")?;
        let blob: Option<String> = r.try_get("sealed_secret")?;
        let kek_id: Option<String> = r.try_get("kek_id")?;
        let plain: Option<String> = r.try_get("plain_secret")?;
        let secret = match (blob, kek_id, plain) {
            (Some(_), Some(kek_id), _) if kek_id == to.id() => continue,
            (Some(blob), Some(kek_id), _) => {
                let row = [provider.as_str(), key_id.as_str()];
                let binding = Binding {
                    purpose: SEAL_PURPOSE,
                    row: &row,
                };
                let sealed = Sealed { kek_id, blob };
                from.open(&binding, &sealed, &what(&provider))?
            }
            (_, _, Some(plain)) => Zeroizing::new(hex::decode(&plain).map_err(|_| {
                corrupt(
                    TABLE,
                    format!("the plain {} is not 64 hex digits", what(&provider)),
                )
            })?),
            _ => {
                return Err(corrupt(
                    TABLE,
                    format!(
                        "the {} has neither a sealed nor a plain value",
                        what(&provider)
                    ),
                ));
            }
        };
        store_sealed(tx.conn(), to, &provider, &key_id, &public_key, &secret).await?;
        providers.push(provider);
    }
    if providers.is_empty() {
        // Nothing to re-seal: the transaction rolls back, nothing is written.
        return Ok(0);
    }
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.key.rotate",
            TABLE,
            "keys at rest: report-signing keys re-sealed with a new key-encryption key",
        )
        .with_details(
            json!({ "providers": providers, "from_kek_id": from.id(), "to_kek_id": to.id() }),
        ),
    )
    .await?;
    purge_replaced(store, "re-sealed the signing keys").await;
    tracing::info!(
        keys = providers.len(),
        from_kek_id = from.id(),
        to_kek_id = to.id(),
        "re-sealed provider signing keys with a new key-encryption key"
    );
    Ok(providers.len())
}

/// Whether any stored signing key is sealed with the key `kek_id`.
pub async fn any_sealed_with(store: &Store, kek_id: &str) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM det_provider_keys WHERE kek_id = $1 LIMIT 1")
        .bind(kek_id)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.is_some())
}

/// A provider's report-signing public key: the one it signs with now, or
/// one it replaced (still needed to verify the reports signed with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SigningKey {
    /// The provider.
    pub provider: String,
    /// The key's id (first 16 hex digits of the SHA-256 of the public key).
    pub key_id: String,
    /// The 32-byte Ed25519 public key, hex.
    pub public_key: String,
    /// When the key was made.
    pub created_at: Timestamp,
    /// When it was replaced; `None` for the key the provider signs with now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<Timestamp>,
    /// Why it was replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What [`replace`] did: the key retired and the key that signs from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Replacement {
    /// The old key, now retired (its public half is kept).
    pub retired: SigningKey,
    /// The new key.
    pub current: SigningKey,
}

/// Longest reason accepted by [`replace`], in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Replaces `provider`'s report-signing key pair (after a suspected
/// compromise of the key or the key file, staff changes, or on a schedule).
///
/// - A new key pair is made and sealed with the store's key-encryption key;
///   in one transaction audited as `detection.key.replace` (both key ids,
///   the reason) it overwrites the provider's row, and the old public key
///   moves to `det_provider_key_history` with the time and the reason. The
///   old secret is never opened (a key that no longer opens can be
///   replaced too) and is purged from the files afterwards as in
///   [`seal_at_rest`].
/// - Reports keep the key id they were signed with: those signed before
///   still verify with the retired public key, which [`signing_keys`] and
///   the reports list keep showing. Recipients need the new public key.
/// - `reason` is required (1..=[`MAX_REASON_CHARS`] characters); a provider
///   without a key yet (none is made before its first report) gets
///   `NotFound`.
pub async fn replace(
    store: &Store,
    actor: &Actor,
    provider: &str,
    reason: &str,
    now: Timestamp,
    purpose: &str,
) -> Result<Replacement> {
    let reason = checked_reason(reason)?;
    let kek = store.kek()?;
    let mut tx = store.write().await?;
    let (replacement, entry) = replace_row(tx.conn(), kek, provider, reason, now, purpose).await?;
    tx.commit(actor, entry).await?;
    purge_replaced(store, "replaced the signing key").await;
    Ok(replacement)
}

/// Replaces every provider's report-signing key pair at once, sealing the
/// new ones with the store's key-encryption key: the way back when the key
/// file the stored keys were sealed with is lost (`bulwark key-file
/// recover`). No old secret is opened, so none needs the lost key. One
/// transaction, one `detection.key.replace` audit record per provider (the
/// reason in each); reports signed before still verify with the retired
/// public keys. `reason` as in [`replace`]. Returns the replacements by
/// provider (none when no provider has a key yet).
pub async fn replace_all(
    store: &Store,
    actor: &Actor,
    reason: &str,
    now: Timestamp,
    purpose: &str,
) -> Result<Vec<Replacement>> {
    let reason = checked_reason(reason)?;
    let kek = store.kek()?;
    let mut tx = store.write().await?;
    let providers: Vec<String> =
        sqlx::query("SELECT provider FROM det_provider_keys ORDER BY provider")
            .fetch_all(tx.conn())
            .await?
            .iter()
            .map(|r| r.try_get("provider"))
            .collect::<std::result::Result<_, _>>()?;
    let mut done = Vec::with_capacity(providers.len());
    let mut last = None;
    for provider in &providers {
        let (replacement, entry) =
            replace_row(tx.conn(), kek, provider, reason, now, purpose).await?;
        if let Some(previous) = last.replace(entry) {
            tx.audit(actor, previous).await?;
        }
        done.push(replacement);
    }
    // Nothing to replace: the transaction rolls back with nothing written.
    let Some(entry) = last else {
        return Ok(done);
    };
    tx.commit(actor, entry).await?;
    purge_replaced(store, "replaced every signing key").await;
    Ok(done)
}

/// A replacement's reason, trimmed: 1..=[`MAX_REASON_CHARS`] characters.
fn checked_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(DetectionError::invalid(
            "reason",
            format!("required: why the key is replaced, 1-{MAX_REASON_CHARS} characters"),
        ));
    }
    Ok(reason)
}

/// On an open write transaction: makes `provider`'s new key pair, seals it
/// with `kek`, moves the old public key to the history and overwrites the
/// row. Returns the replacement and its audit entry (`NotFound` when the
/// provider has no key yet).
async fn replace_row(
    conn: &mut sqlx::AnyConnection,
    kek: &Kek,
    provider: &str,
    reason: &str,
    now: Timestamp,
    purpose: &str,
) -> Result<(Replacement, AuditEntry)> {
    let secret = Zeroizing::new(rand::random::<[u8; 32]>());
    let kp = KeyPair::from_secret(provider, *secret);
    let sealed = seal_checked(kek, provider, &kp.key_id, &kp.public_key, secret.as_slice())?;
    let Some(old) = sqlx::query(
        "SELECT key_id, public_key, created_at FROM det_provider_keys WHERE provider = $1",
    )
    .bind(provider)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Err(DetectionError::NotFound {
            kind: "signing key of provider",
            key: provider.to_string(),
        });
    };
    let old_created: i64 = old.try_get("created_at")?;
    let retired = SigningKey {
        provider: provider.to_string(),
        key_id: old.try_get("key_id")?,
        public_key: old.try_get("public_key")?,
        created_at: Timestamp::from_unix_micros(old_created)
            .ok_or_else(|| corrupt(TABLE, "created_at out of range"))?,
        retired_at: Some(now),
        reason: Some(reason.to_string()),
    };
    sqlx::query(
        "INSERT INTO det_provider_key_history (key_id, provider, public_key, created_at, retired_at, reason) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&retired.key_id)
    .bind(provider)
    .bind(&retired.public_key)
    .bind(old_created)
    .bind(now.unix_micros())
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE det_provider_keys SET key_id = $1, public_key = $2, created_at = $3, \
         sealed_secret = $4, kek_id = $5, plain_secret = NULL WHERE provider = $6",
    )
    .bind(&kp.key_id)
    .bind(&kp.public_key)
    .bind(now.unix_micros())
    .bind(&sealed.blob)
    .bind(&sealed.kek_id)
    .bind(provider)
    .execute(&mut *conn)
    .await?;
    let entry = AuditEntry::new(
        "detection.key.replace",
        format!("key:{}", retired.key_id),
        purpose,
    )
    .with_details(json!({
        "provider": provider,
        "retired_key_id": retired.key_id,
        "key_id": kp.key_id,
        "reason": reason,
    }));
    let current = SigningKey {
        provider: provider.to_string(),
        key_id: kp.key_id,
        public_key: kp.public_key,
        created_at: now,
        retired_at: None,
        reason: None,
    };
    Ok((Replacement { retired, current }, entry))
}

/// Every provider's signing keys (only `provider`'s when given), current and
/// retired: by provider, the retired ones in the order they were replaced,
/// then the current one. Public halves only.
pub async fn signing_keys(store: &Store, provider: Option<&str>) -> Result<Vec<SigningKey>> {
    let p = provider.unwrap_or("");
    let rows = sqlx::query(
        "SELECT provider, key_id, public_key, created_at, NULL AS retired_at, NULL AS reason, \
         1 AS current_key FROM det_provider_keys WHERE ($1 = '' OR provider = $1) \
         UNION ALL \
         SELECT provider, key_id, public_key, created_at, retired_at, reason, 0 AS current_key \
         FROM det_provider_key_history WHERE ($1 = '' OR provider = $1) \
         ORDER BY provider, current_key, retired_at, created_at, key_id",
    )
    .bind(p)
    .fetch_all(store.pool())
    .await?;
    let time = |micros: i64| {
        Timestamp::from_unix_micros(micros).ok_or_else(|| corrupt(TABLE, "time out of range"))
    };
    rows.iter()
        .map(|r| {
            let retired: Option<i64> = r.try_get("retired_at")?;
            Ok(SigningKey {
                provider: r.try_get("provider")?,
                key_id: r.try_get("key_id")?,
                public_key: r.try_get("public_key")?,
                created_at: time(r.try_get("created_at")?)?,
                retired_at: retired.map(time).transpose()?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Every signing key id with its public key, current and retired: what
/// verifying a stored report needs.
pub async fn public_keys(store: &Store) -> Result<Vec<(String, String)>> {
    sqlx::query(
        "SELECT key_id, public_key FROM det_provider_keys \
         UNION ALL SELECT key_id, public_key FROM det_provider_key_history",
    )
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| Ok((r.try_get("key_id")?, r.try_get("public_key")?)))
    .collect()
}
