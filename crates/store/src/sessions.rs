//! Console sessions: a signed-in browser holds a random session secret in an
//! HttpOnly cookie; the store keeps only its hash, the token it stands for
//! and a CSRF secret that every form must echo.

use rand::RngCore;
use sqlx::Row;

use bulwark_core::Timestamp;

use crate::audit::AuditEntry;
use crate::db::Store;
use crate::error::Result;
use crate::tokens::{self, Principal, secret_hash};

/// How long a console session lasts (hours).
pub const SESSION_HOURS: i64 = 8;

/// A started session: the cookie value and the CSRF secret.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The value of the session cookie.
    pub secret: String,
    /// The CSRF secret forms must carry.
    pub csrf: String,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Signs in with an API token secret. Returns `None` if the token is not
/// valid (the caller audits the refusal).
pub async fn sign_in(store: &Store, token_secret: &str) -> Result<Option<(Principal, NewSession)>> {
    let Some(principal) = tokens::authenticate(store, token_secret).await? else {
        return Ok(None);
    };
    let session = NewSession {
        secret: random_hex(),
        csrf: random_hex(),
    };
    let now = Timestamp::now();
    let mut tx = store.write().await?;
    sqlx::query("DELETE FROM console_sessions WHERE expires_at < $1")
        .bind(now.unix_micros())
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO console_sessions (id_hash, token_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(secret_hash(&session.secret))
    .bind(principal.token_id.to_string())
    .bind(&session.csrf)
    .bind(now.unix_micros())
    .bind(now.plus(chrono::TimeDelta::hours(SESSION_HOURS)).unix_micros())
    .execute(tx.conn())
    .await?;
    tx.commit(
        &principal.actor(),
        AuditEntry::new(
            "console.sign_in",
            format!("token:{}", principal.token_id),
            "console session",
        ),
    )
    .await?;
    Ok(Some((principal, session)))
}

/// The principal and CSRF secret of a live session, if the cookie value is
/// valid and its token is still active.
pub async fn lookup(store: &Store, session_secret: &str) -> Result<Option<(Principal, String)>> {
    if session_secret.len() != 64 {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT s.csrf, t.secret_hash FROM console_sessions s JOIN api_tokens t ON t.id = s.token_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND t.revoked_at IS NULL",
    )
    .bind(secret_hash(session_secret))
    .bind(Timestamp::now().unix_micros())
    .fetch_optional(store.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let csrf: String = row.try_get("csrf")?;
    let token_hash: String = row.try_get("secret_hash")?;
    Ok(tokens::principal_by_hash(store, &token_hash)
        .await?
        .map(|p| (p, csrf)))
}

/// Ends a session (sign-out).
pub async fn sign_out(store: &Store, session_secret: &str, principal: &Principal) -> Result<()> {
    let mut tx = store.write().await?;
    sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1")
        .bind(secret_hash(session_secret))
        .execute(tx.conn())
        .await?;
    tx.commit(
        &principal.actor(),
        AuditEntry::new(
            "console.sign_out",
            format!("token:{}", principal.token_id),
            "console session",
        ),
    )
    .await?;
    Ok(())
}
