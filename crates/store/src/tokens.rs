//! API tokens: issued once, stored only as a hash, revocable.
//!
//! A token is `bwk_` followed by 64 hex digits (256 random bits). Only its
//! SHA-256 is stored: a leak of the database does not leak usable tokens,
//! and since the secret is random and long, a plain hash suffices (no
//! password-hashing work factor is needed).

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use bulwark_core::{Id, MemberStateScope, Role, Timestamp};

use crate::audit::AuditEntry;
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::write::Actor;

/// Marker type for token ids.
#[derive(Debug)]
pub enum TokenMarker {}
/// The id of an API token.
pub type TokenId = Id<TokenMarker>;

/// The prefix of every token secret, so that secret scanners can spot them.
pub const TOKEN_PREFIX: &str = "bwk_";

/// What a request presenting a valid token may do, and on whose behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Principal {
    /// The token's id.
    pub token_id: TokenId,
    /// The token's name (who or what it was issued to).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The organisation it acts for.
    pub organisation: String,
    /// The Member States whose data it may touch.
    pub scope: MemberStateScope,
}

impl Principal {
    /// The audit actor for this principal.
    pub fn actor(&self) -> Actor {
        Actor {
            id: format!("token:{}", self.token_id),
            organisation: self.organisation.clone(),
        }
    }
}

/// A token as listed (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Id.
    pub id: TokenId,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Organisation.
    pub organisation: String,
    /// Member State scope.
    pub scope: MemberStateScope,
    /// When it was issued.
    pub created_at: Timestamp,
    /// Who issued it (audit actor id).
    pub created_by: String,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// The request to issue a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who or what the token is for (1-100 characters).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// The organisation it acts for (1-100 characters).
    pub organisation: String,
    /// Member State scope: `*` or a list such as `DE,AT`.
    pub scope: MemberStateScope,
    /// When it stops working, if ever.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// A freshly issued token: the only time its secret is visible.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// The stored token.
    pub token: TokenInfo,
    /// The secret to present as `Authorization: Bearer <secret>`. Shown once.
    pub secret: String,
}

fn check_text(field: &str, value: &str) -> Result<()> {
    let n = value.trim().chars().count();
    if n == 0 || n > 100 {
        return Err(StoreError::invalid(field, "must be 1 to 100 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Hashes a presented secret for lookup.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// Issues a token. `issuer_scope` is the issuer's own scope: a token can
/// only be issued within it.
pub async fn create(
    store: &Store,
    actor: &Actor,
    issuer_scope: &MemberStateScope,
    request: NewToken,
    purpose: &str,
) -> Result<IssuedToken> {
    check_text("name", &request.name)?;
    check_text("organisation", &request.organisation)?;
    if !issuer_scope.contains(&request.scope) {
        return Err(StoreError::invalid(
            "scope",
            format!("must lie within the issuer's own scope ({issuer_scope})"),
        ));
    }
    let now = Timestamp::now();
    if let Some(exp) = request.expires_at
        && exp <= now
    {
        return Err(StoreError::invalid("expires_at", "must be in the future"));
    }
    let secret = new_secret();
    let info = TokenInfo {
        id: TokenId::new(),
        name: request.name.trim().to_string(),
        role: request.role,
        organisation: request.organisation.trim().to_string(),
        scope: request.scope,
        created_at: now,
        created_by: actor.id.clone(),
        expires_at: request.expires_at,
        revoked_at: None,
    };
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO api_tokens (id, name, secret_hash, role, organisation, scope, created_at, created_by, expires_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
    )
    .bind(info.id.to_string())
    .bind(&info.name)
    .bind(secret_hash(&secret))
    .bind(info.role.as_str())
    .bind(&info.organisation)
    .bind(info.scope.to_string())
    .bind(now.unix_micros())
    .bind(&info.created_by)
    .bind(info.expires_at.map(|t| t.unix_micros()))
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new("token.create", format!("token:{}", info.id), purpose).with_details(
            serde_json::json!({
                "role": info.role.as_str(),
                "organisation": info.organisation,
                "scope": info.scope.to_string(),
            }),
        ),
    )
    .await?;
    Ok(IssuedToken {
        token: info,
        secret,
    })
}

fn parse_col<T: std::str::FromStr>(row: &sqlx::any::AnyRow, col: &'static str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(col)?;
    text.parse().map_err(|e: T::Err| StoreError::Corrupt {
        what: "api_tokens",
        detail: format!("{col}: {e}"),
    })
}

fn time_col(row: &sqlx::any::AnyRow, col: &'static str) -> Result<Option<Timestamp>> {
    let v: Option<i64> = row.try_get(col)?;
    Ok(v.and_then(Timestamp::from_unix_micros))
}

fn token_from_row(row: &sqlx::any::AnyRow) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: parse_col(row, "id")?,
        name: row.try_get("name")?,
        role: parse_col(row, "role")?,
        organisation: row.try_get("organisation")?,
        scope: parse_col(row, "scope")?,
        created_at: time_col(row, "created_at")?.unwrap_or_else(Timestamp::now),
        created_by: row.try_get("created_by")?,
        expires_at: time_col(row, "expires_at")?,
        revoked_at: time_col(row, "revoked_at")?,
    })
}

const COLUMNS: &str =
    "id, name, role, organisation, scope, created_at, created_by, expires_at, revoked_at";

/// Lists every token, oldest first.
pub async fn list(store: &Store) -> Result<Vec<TokenInfo>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY id"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(token_from_row).collect()
}

/// Revokes a token; its console sessions end with it.
pub async fn revoke(store: &Store, actor: &Actor, id: TokenId, purpose: &str) -> Result<TokenInfo> {
    let mut tx = store.write().await?;
    let now = Timestamp::now();
    let changed =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now.unix_micros())
            .bind(id.to_string())
            .execute(tx.conn())
            .await?
            .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound {
            kind: "active token",
            id: id.to_string(),
        });
    }
    sqlx::query("DELETE FROM console_sessions WHERE token_id = $1")
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1"))
        .bind(id.to_string())
        .fetch_one(tx.conn())
        .await?;
    let info = token_from_row(&row)?;
    tx.commit(
        actor,
        AuditEntry::new("token.revoke", format!("token:{id}"), purpose),
    )
    .await?;
    // Requests after this point must not be let in from the cache.
    store.token_cache.clear();
    Ok(info)
}

/// Looks up the principal a presented secret stands for: `None` if the
/// secret is unknown, revoked or expired.
pub async fn authenticate(store: &Store, secret: &str) -> Result<Option<Principal>> {
    if !secret.starts_with(TOKEN_PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    let hash = secret_hash(secret);
    let now = Timestamp::now();
    if let Some(p) = store.token_cache.get(&hash, now) {
        return Ok(Some(p));
    }
    let generation = store.token_cache.generation();
    let Some((principal, expires_at)) = active_by_hash(store, &hash, now).await? else {
        return Ok(None);
    };
    store
        .token_cache
        .put(generation, hash, principal.clone(), expires_at);
    Ok(Some(principal))
}

/// Looks up the principal of an active token by the hash of its secret.
pub(crate) async fn principal_by_hash(store: &Store, hash: &str) -> Result<Option<Principal>> {
    Ok(active_by_hash(store, hash, Timestamp::now())
        .await?
        .map(|(p, _)| p))
}

/// An active token's principal and expiry time, from the database.
async fn active_by_hash(
    store: &Store,
    hash: &str,
    now: Timestamp,
) -> Result<Option<(Principal, Option<Timestamp>)>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM api_tokens WHERE secret_hash = $1 AND revoked_at IS NULL"
    ))
    .bind(hash)
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let info = token_from_row(&row)?;
    if info.expires_at.is_some_and(|t| t <= now) {
        return Ok(None);
    }
    let expires_at = info.expires_at;
    Ok(Some((
        Principal {
            token_id: info.id,
            name: info.name,
            role: info.role,
            organisation: info.organisation,
            scope: info.scope,
        },
        expires_at,
    )))
}
