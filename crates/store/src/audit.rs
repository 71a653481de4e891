//! The tamper-evident audit log: an append-only, hash-chained record of every
//! write and every refused access.
//!
//! Each record's hash is SHA-256 over a domain tag and its length-prefixed
//! fields, including the previous record's hash. Editing, deleting,
//! inserting or reordering records therefore breaks the chain at the first
//! changed record, which [`verify`] reports. A one-row head table holds the
//! last sequence number and hash, so that deleting the newest records is
//! detected too. An attacker able to rewrite the whole table and recompute
//! every hash is caught only by comparing with a head exported earlier
//! (an anchor, see [`VerifyOptions::anchors`]).
//!
//! This one mechanism serves the logging duties of the Law Enforcement
//! Directive (EU) 2016/680 Art. 25 and of Prüm II, Regulation (EU) 2024/982
//! Art. 33: who did what, to which object, when and for what purpose.
//! Details must never contain content or personal data, only identifiers.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use bulwark_core::Timestamp;

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::write::Actor;

/// The previous hash of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What to record about a write: the action, the object and why.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// A dotted action name, e.g. `token.create`, `access.denied`.
    pub action: String,
    /// The object acted on, e.g. `token:0190…`, or the route for a denial.
    pub object: String,
    /// The purpose or legal justification given for the action.
    pub purpose: String,
    /// Further identifiers (never content, secrets or personal data).
    pub details: serde_json::Value,
}

impl AuditEntry {
    /// An entry with empty details.
    pub fn new(
        action: impl Into<String>,
        object: impl Into<String>,
        purpose: impl Into<String>,
    ) -> Self {
        AuditEntry {
            action: action.into(),
            object: object.into(),
            purpose: purpose.into(),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// Adds details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// One record of the chain, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditRecord {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// When the write committed (UTC).
    pub at: Timestamp,
    /// Who acted (see [`Actor::id`]).
    pub actor: String,
    /// The actor's organisation.
    pub organisation: String,
    /// What was done.
    pub action: String,
    /// To what.
    pub object: String,
    /// Why.
    pub purpose: String,
    /// Further identifiers, JSON.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Hash of the previous record (hex SHA-256; zeros for the first).
    pub prev_hash: String,
    /// This record's hash (hex SHA-256).
    pub hash: String,
}

impl AuditRecord {
    /// Recomputes this record's hash from its fields.
    pub fn compute_hash(&self) -> String {
        let details = self.details.to_string();
        chain_hash(&[
            self.seq.to_string().as_bytes(),
            self.at.unix_micros().to_string().as_bytes(),
            self.actor.as_bytes(),
            self.organisation.as_bytes(),
            self.action.as_bytes(),
            self.object.as_bytes(),
            self.purpose.as_bytes(),
            details.as_bytes(),
            self.prev_hash.as_bytes(),
        ])
    }
}

fn chain_hash(fields: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    h.update(b"bulwark-audit-v1");
    for f in fields {
        h.update((f.len() as u64).to_le_bytes());
        h.update(f);
    }
    hex::encode(h.finalize())
}

/// Appends a record inside an open write transaction (see [`Store::write`]).
pub(crate) async fn append(
    conn: &mut AnyConnection,
    actor: &Actor,
    entry: AuditEntry,
) -> Result<AuditRecord> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    let last_seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;
    let mut record = AuditRecord {
        seq: last_seq + 1,
        at: Timestamp::now(),
        actor: actor.id.clone(),
        organisation: actor.organisation.clone(),
        action: entry.action,
        object: entry.object,
        purpose: entry.purpose,
        details: entry.details,
        prev_hash,
        hash: String::new(),
    };
    record.hash = record.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, at_micros, actor, organisation, action, object, purpose, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(record.seq)
    .bind(record.at.unix_micros())
    .bind(&record.actor)
    .bind(&record.organisation)
    .bind(&record.action)
    .bind(&record.object)
    .bind(&record.purpose)
    .bind(record.details.to_string())
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(record.seq)
        .bind(&record.hash)
        .execute(&mut *conn)
        .await?;
    Ok(record)
}

fn record_from_row(row: &sqlx::any::AnyRow) -> Result<AuditRecord> {
    let at_micros: i64 = row.try_get("at_micros")?;
    let details: String = row.try_get("details")?;
    let seq: i64 = row.try_get("seq")?;
    Ok(AuditRecord {
        seq,
        at: Timestamp::from_unix_micros(at_micros).ok_or_else(|| StoreError::Corrupt {
            what: "audit_log.at_micros",
            detail: format!("seq {seq}: {at_micros} is not a representable time"),
        })?,
        actor: row.try_get("actor")?,
        organisation: row.try_get("organisation")?,
        action: row.try_get("action")?,
        object: row.try_get("object")?,
        purpose: row.try_get("purpose")?,
        // Unparseable details are kept as a JSON string so that verification
        // reports a hash mismatch instead of failing to read the record.
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

const COLUMNS: &str =
    "seq, at_micros, actor, organisation, action, object, purpose, details, prev_hash, hash";

/// Reads up to `limit` records with `seq > after`, oldest first.
pub async fn page(store: &Store, after: i64, limit: i64) -> Result<Vec<AuditRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(record_from_row).collect()
}

/// Reads the newest `limit` records, newest first.
pub async fn recent(store: &Store, limit: i64) -> Result<Vec<AuditRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(record_from_row).collect()
}

/// The chain head: the last sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainHead {
    /// Sequence number of the newest record (0 when empty).
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// Reads the chain head.
pub async fn head(store: &Store) -> Result<ChainHead> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            what: "audit_head",
            detail: "the head row is missing".into(),
        })?;
    Ok(ChainHead {
        seq: row.try_get("seq")?,
        hash: row.try_get("hash")?,
    })
}

/// Options for [`verify`].
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Heads exported earlier (`bulwark audit head`): the chain must still
    /// contain each of them unchanged.
    pub anchors: Vec<ChainHead>,
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChainBreak {
    /// The sequence number of the first record that fails (or where a
    /// record is missing).
    pub seq: i64,
    /// What is wrong there.
    pub reason: String,
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerifyReport {
    /// Whether every link holds.
    pub ok: bool,
    /// Records checked.
    pub records: i64,
    /// The head as stored.
    pub head: ChainHead,
    /// The first broken link, if any.
    pub first_break: Option<ChainBreak>,
}

/// Walks the whole chain and reports the first broken link.
pub async fn verify(store: &Store, options: &VerifyOptions) -> Result<VerifyReport> {
    let head = head(store).await?;
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_string();
    let mut checked = 0i64;
    let mut after = 0i64;
    let broken = |seq: i64, reason: String, checked: i64, head: &ChainHead| VerifyReport {
        ok: false,
        records: checked,
        head: head.clone(),
        first_break: Some(ChainBreak { seq, reason }),
    };
    loop {
        let batch = page(store, after, 2000).await?;
        if batch.is_empty() {
            break;
        }
        for rec in &batch {
            if rec.seq != expected_seq {
                let reason = if rec.seq > expected_seq {
                    format!(
                        "record {expected_seq} is missing (next stored record is {})",
                        rec.seq
                    )
                } else {
                    format!("sequence number {} is out of order", rec.seq)
                };
                return Ok(broken(expected_seq, reason, checked, &head));
            }
            if rec.prev_hash != prev_hash {
                return Ok(broken(
                    rec.seq,
                    "previous-hash link does not match the record before it (a record was deleted, inserted or reordered)".into(),
                    checked,
                    &head,
                ));
            }
            if rec.compute_hash() != rec.hash {
                return Ok(broken(
                    rec.seq,
                    "record contents do not match its hash (the record was edited)".into(),
                    checked,
                    &head,
                ));
            }
            if let Some(a) = options.anchors.iter().find(|a| a.seq == rec.seq)
                && a.hash != rec.hash
            {
                return Ok(broken(
                    rec.seq,
                    "record differs from the anchor exported earlier (the chain was rewritten)"
                        .into(),
                    checked,
                    &head,
                ));
            }
            prev_hash = rec.hash.clone();
            expected_seq += 1;
            checked += 1;
            after = rec.seq;
        }
    }
    let last_seq = expected_seq - 1;
    if head.seq != last_seq || head.hash != prev_hash {
        let reason = if head.seq > last_seq {
            format!(
                "records {}..={} are missing (the chain head says {})",
                last_seq + 1,
                head.seq,
                head.seq
            )
        } else {
            format!(
                "the chain head ({}) does not match the last record ({last_seq})",
                head.seq
            )
        };
        return Ok(broken(last_seq + 1, reason, checked, &head));
    }
    if let Some(a) = options.anchors.iter().find(|a| a.seq > last_seq) {
        return Ok(broken(
            a.seq,
            format!(
                "anchored record {} is missing: the chain is shorter than when it was anchored",
                a.seq
            ),
            checked,
            &head,
        ));
    }
    Ok(VerifyReport {
        ok: true,
        records: checked,
        head,
        first_break: None,
    })
}

/// Writes every record as one JSON object per line, oldest first.
pub async fn export(store: &Store, out: &mut dyn std::io::Write) -> Result<i64> {
    let mut after = 0i64;
    let mut n = 0i64;
    loop {
        let batch = page(store, after, 2000).await?;
        if batch.is_empty() {
            return Ok(n);
        }
        for rec in &batch {
            let line = serde_json::to_string(rec).map_err(|e| StoreError::Corrupt {
                what: "audit_log",
                detail: e.to_string(),
            })?;
            writeln!(out, "{line}").map_err(|e| StoreError::invalid("output", e.to_string()))?;
            after = rec.seq;
            n += 1;
        }
    }
}

/// Records an event that has no business write of its own (a refused
/// access, a sign-in), in its own transaction.
pub async fn record(store: &Store, actor: &Actor, entry: AuditEntry) -> Result<AuditRecord> {
    let tx = store.write().await?;
    tx.commit(actor, entry).await
}
