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

use serde_json::json;
use sqlx::Row;

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
        key_pair(&provider, &secret, &key_id, &public_key)?;
        let row = [provider.as_str(), key_id.as_str()];
        let binding = Binding {
            purpose: SEAL_PURPOSE,
            row: &row,
        };
        let sealed = kek.seal(&binding, &secret, &what(&provider))?;
        // Never erase a plain secret for a sealed one that does not open.
        open(kek, &provider, &key_id, &public_key, &sealed)?;
        sqlx::query(
            "UPDATE det_provider_keys SET sealed_secret = $1, kek_id = $2, plain_secret = NULL \
             WHERE provider = $3 AND plain_secret IS NOT NULL",
        )
        .bind(&sealed.blob)
        .bind(&sealed.kek_id)
        .bind(&provider)
        .execute(tx.conn())
        .await?;
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
    match store.purge_erased(TABLE).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            "sealed the plain signing keys, but another process kept the SQLite WAL from \
             being truncated: the erased values stay in it until its next checkpoint"
        ),
        Err(e) => tracing::warn!(
            error = %e,
            "sealed the plain signing keys, but could not purge the erased values from the \
             database files"
        ),
    }
    tracing::info!(
        keys = providers.len(),
        kek_id = kek.id(),
        "sealed plain provider signing keys"
    );
    Ok(providers.len())
}
