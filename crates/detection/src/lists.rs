//! Indicator lists: versioned, signed lists of hashes issued by an
//! authority (the EU Centre's databases of indicators, CSA proposal
//! Art. 44(1)(a); for voluntary detection, a named hotline or organisation),
//! imported by a provider only when the signature verifies against a
//! trusted key and the version follows the chain.
//!
//! Version 1 of a list carries its indicators; every later version is a
//! diff (`add`, `remove`) naming the digest of the version it follows, so a
//! tampered, replayed or out-of-order file is refused and the live index is
//! updated by the diff alone ([`ListChange`]), without a rebuild.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::Timestamp;
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{DetectionError, Result, corrupt};
use crate::signing::{KeyPair, PublicKey, SignedEnvelope, sha256_hex};
use crate::sql::ROWS_PER_INSERT;
use crate::vocab::{Category, IndicatorStatus, IssuerRole};

/// One indicator as a list carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorEntry {
    /// The issuer's id of the indicator, unique within the list.
    pub id: String,
    /// PDQ hash, 64 hex digits (perceptual match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdq: Option<String>,
    /// MD5 of the file, 32 hex digits (exact copies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// SHA-256 of the file, 64 hex digits (exact copies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// PDQ quality of the original (0-100), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
}

/// The signed content of one list version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListPayload {
    /// The list's stable id.
    pub list_id: String,
    /// Who issues it.
    pub issuer: String,
    /// What its indicators stand for.
    pub category: Category,
    /// Where the indicators come from (e.g. "CSA Art. 44(1)(a)", a hotline's name).
    pub source: String,
    /// The version: 1 for the first, then each exactly one more.
    pub version: u64,
    /// The digest of the previous version's payload (absent for version 1).
    #[serde(default)]
    pub previous_digest: Option<String>,
    /// When the issuer issued it.
    pub issued_at: Timestamp,
    /// Indicators added.
    #[serde(default)]
    pub add: Vec<IndicatorEntry>,
    /// Ids of indicators removed.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// What an import changed in the live index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListChange {
    /// The list.
    pub list_id: String,
    /// Its version now.
    pub version: u64,
    /// The digest of that version.
    pub digest: String,
    /// Index ids of indicators added (or re-added).
    pub added: Vec<i64>,
    /// Index ids of indicators removed.
    pub removed: Vec<i64>,
}

/// A list as imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListSummary {
    /// The list's id.
    pub list_id: String,
    /// Its issuer.
    pub issuer: String,
    /// Its category.
    pub category: Category,
    /// Its source.
    pub source: String,
    /// The version applied.
    pub version: u64,
    /// The digest of that version.
    pub digest: String,
    /// The key that signed it.
    pub key_id: String,
    /// Active indicators.
    pub active: i64,
    /// Indicators disabled, quarantined or removed.
    pub inactive: i64,
    /// When it was last updated.
    pub updated_at: Timestamp,
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Checks a payload's fields; every error names its field.
pub fn validate_payload(p: &ListPayload) -> Result<()> {
    if p.list_id.trim().is_empty() || p.list_id.len() > 200 {
        return Err(DetectionError::invalid(
            "list_id",
            "must be 1-200 characters",
        ));
    }
    if p.issuer.trim().is_empty() {
        return Err(DetectionError::invalid("issuer", "must not be empty"));
    }
    if p.version == 0 || p.version > i64::MAX as u64 {
        return Err(DetectionError::invalid("version", "must be 1 or more"));
    }
    if p.version == 1 && p.previous_digest.is_some() {
        return Err(DetectionError::invalid(
            "previous_digest",
            "version 1 starts the chain and has none",
        ));
    }
    if p.version > 1 && p.previous_digest.is_none() {
        return Err(DetectionError::invalid(
            "previous_digest",
            "required from version 2 on: the digest of the previous version",
        ));
    }
    let mut ids = BTreeSet::new();
    for (i, e) in p.add.iter().enumerate() {
        let f = |name: &str| format!("add[{i}].{name}");
        if e.id.trim().is_empty() || e.id.len() > 200 {
            return Err(DetectionError::invalid(f("id"), "must be 1-200 characters"));
        }
        if !ids.insert(e.id.as_str()) {
            return Err(DetectionError::invalid(f("id"), "duplicate indicator id"));
        }
        if e.pdq.is_none() && e.md5.is_none() && e.sha256.is_none() {
            return Err(DetectionError::invalid(
                f("pdq"),
                "an indicator needs at least one of pdq, md5, sha256",
            ));
        }
        if let Some(h) = &e.pdq
            && !is_hex(h, 64)
        {
            return Err(DetectionError::invalid(f("pdq"), "must be 64 hex digits"));
        }
        if let Some(h) = &e.md5
            && !is_hex(h, 32)
        {
            return Err(DetectionError::invalid(f("md5"), "must be 32 hex digits"));
        }
        if let Some(h) = &e.sha256
            && !is_hex(h, 64)
        {
            return Err(DetectionError::invalid(
                f("sha256"),
                "must be 64 hex digits",
            ));
        }
        if let Some(q) = e.quality
            && q > 100
        {
            return Err(DetectionError::invalid(f("quality"), "must be 0-100"));
        }
    }
    for (i, r) in p.remove.iter().enumerate() {
        if ids.contains(r.as_str()) {
            return Err(DetectionError::invalid(
                format!("remove[{i}]"),
                "an indicator cannot be added and removed in one version",
            ));
        }
    }
    Ok(())
}

/// Signs a list version with the issuer's key (the authority's tool).
pub fn sign_list(key: &KeyPair, payload: &ListPayload) -> Result<SignedEnvelope> {
    validate_payload(payload)?;
    let text = serde_json::to_string(payload)
        .map_err(|e| DetectionError::invalid("(payload)", e.to_string()))?;
    key.sign(text)
}

/// The digest that identifies a list version: SHA-256 of its signed payload text.
pub fn digest_of(envelope: &SignedEnvelope) -> String {
    sha256_hex(envelope.payload.as_bytes())
}

/// A list issuer's public key to trust, with whose indicators it signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    /// Who signs with it.
    pub issuer: String,
    /// [`crate::signing::key_id`] of the key.
    pub key_id: String,
    /// The 32-byte Ed25519 public key, hex.
    pub public_key: String,
    /// `eu_centre` (the only source a detection order may use, CSA proposal
    /// Art. 10(1)) or `other` (e.g. a hotline named in a voluntary basis).
    /// Required: a key gets the EU Centre's standing only when the caller
    /// says so.
    pub role: IssuerRole,
}

impl TrustedKey {
    /// The public key without its role.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            issuer: self.issuer.clone(),
            key_id: self.key_id.clone(),
            public_key: self.public_key.clone(),
        }
    }
}

/// Registers `key` as a trusted list issuer's key, signing indicators of
/// `role` (only [`IssuerRole::EuCentre`] keys' lists serve detection orders,
/// CSA proposal Art. 10(1)).
pub async fn trust_key(
    store: &Store,
    actor: &Actor,
    key: &PublicKey,
    role: IssuerRole,
    now: Timestamp,
    purpose: &str,
) -> Result<()> {
    key.validate()?;
    let mut tx = store.write().await?;
    let exists = sqlx::query("SELECT key_id FROM det_trusted_keys WHERE key_id = $1")
        .bind(&key.key_id)
        .fetch_optional(tx.conn())
        .await?;
    if exists.is_some() {
        return Err(DetectionError::Conflict(format!(
            "key {} is already trusted",
            key.key_id
        )));
    }
    sqlx::query(
        "INSERT INTO det_trusted_keys (key_id, issuer, public_key, added_at, role) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.key_id)
    .bind(&key.issuer)
    .bind(&key.public_key)
    .bind(now.unix_micros())
    .bind(role.as_str())
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.key.trust",
            format!("key:{}", key.key_id),
            purpose,
        )
        .with_details(serde_json::json!({ "issuer": key.issuer, "role": role.as_str() })),
    )
    .await?;
    Ok(())
}

/// The trusted issuer keys.
pub async fn trusted_keys(store: &Store) -> Result<Vec<PublicKey>> {
    let rows =
        sqlx::query("SELECT key_id, issuer, public_key FROM det_trusted_keys ORDER BY key_id")
            .fetch_all(store.pool())
            .await?;
    rows.iter()
        .map(|r| {
            Ok(PublicKey {
                key_id: r.try_get("key_id")?,
                issuer: r.try_get("issuer")?,
                public_key: r.try_get("public_key")?,
            })
        })
        .collect()
}

/// Parses a signed list file's text.
pub fn parse_envelope(text: &str) -> Result<SignedEnvelope> {
    serde_json::from_str(text)
        .map_err(|e| DetectionError::ListRejected(format!("not a signed list file: {e}")))
}

/// Verifies and applies one signed list version, all or nothing: the
/// signature against a trusted key, the payload's fields, the version chain
/// (exactly one more than the applied version, naming its digest), and every
/// `remove` naming a present indicator. Returns what changed for the live
/// index.
pub async fn import(
    store: &Store,
    actor: &Actor,
    envelope: &SignedEnvelope,
    now: Timestamp,
    purpose: &str,
) -> Result<ListChange> {
    let keys = trusted_keys(store).await?;
    let key = keys
        .iter()
        .find(|k| k.key_id == envelope.key_id)
        .ok_or_else(|| {
            DetectionError::ListRejected(format!(
                "signed by key {}, which is not a trusted issuer key",
                envelope.key_id
            ))
        })?;
    key.verify(envelope)?;
    let payload: ListPayload = serde_json::from_str(&envelope.payload)
        .map_err(|e| DetectionError::ListRejected(format!("payload: {e}")))?;
    validate_payload(&payload)?;
    if payload.issuer != key.issuer {
        return Err(DetectionError::ListRejected(format!(
            "payload names issuer `{}` but the key belongs to `{}`",
            payload.issuer, key.issuer
        )));
    }
    let digest = digest_of(envelope);
    let version = payload.version as i64;

    let mut tx = store.write().await?;
    let current = sqlx::query("SELECT issuer, version, digest FROM det_lists WHERE list_id = $1")
        .bind(&payload.list_id)
        .fetch_optional(tx.conn())
        .await?;
    match &current {
        None if payload.version != 1 => {
            return Err(DetectionError::ListRejected(format!(
                "list `{}` is new here: version 1 must come first, got version {}",
                payload.list_id, payload.version
            )));
        }
        None => {}
        Some(row) => {
            let issuer: String = row.try_get("issuer")?;
            let cur: i64 = row.try_get("version")?;
            let cur_digest: String = row.try_get("digest")?;
            if issuer != payload.issuer {
                return Err(DetectionError::ListRejected(format!(
                    "list `{}` belongs to issuer `{issuer}`",
                    payload.list_id
                )));
            }
            if version <= cur {
                return Err(DetectionError::ListRejected(format!(
                    "replayed: version {version} is not newer than the applied version {cur}"
                )));
            }
            if version != cur + 1 {
                return Err(DetectionError::ListRejected(format!(
                    "out of order: version {version} given, version {} expected next",
                    cur + 1
                )));
            }
            if payload.previous_digest.as_deref() != Some(cur_digest.as_str()) {
                return Err(DetectionError::ListRejected(format!(
                    "chain broken: previous_digest does not match the digest of version {cur}"
                )));
            }
        }
    }

    if current.is_none() {
        sqlx::query(
            "INSERT INTO det_lists (list_id, issuer, category, source, version, digest, key_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&payload.list_id)
        .bind(&payload.issuer)
        .bind(payload.category.as_str())
        .bind(&payload.source)
        .bind(version)
        .bind(&digest)
        .bind(&envelope.key_id)
        .bind(now.unix_micros())
        .execute(tx.conn())
        .await?;
    } else {
        sqlx::query(
            "UPDATE det_lists SET version = $1, digest = $2, key_id = $3, updated_at = $4 WHERE list_id = $5",
        )
        .bind(version)
        .bind(&digest)
        .bind(&envelope.key_id)
        .bind(now.unix_micros())
        .bind(&payload.list_id)
        .execute(tx.conn())
        .await?;
    }

    // Every row this version touches is stamped for the matchers' change feed.
    let change_id = crate::sync::next_change_id(tx.conn()).await?;
    let next: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS m FROM det_indicators")
        .fetch_one(tx.conn())
        .await?
        .try_get("m")?;
    let mut change = ListChange {
        list_id: payload.list_id.clone(),
        version: payload.version,
        digest: digest.clone(),
        ..Default::default()
    };
    let stamp = Stamp {
        list: &payload,
        version,
        now: now.unix_micros(),
        change_id,
    };
    // In chunks: one look-up and one multi-row insert per chunk, instead
    // of two statements per indicator (a 1M-indicator version is common).
    let mut next_seq = next;
    for (c, chunk) in payload.add.chunks(ROWS_PER_INSERT).enumerate() {
        let ids: Vec<&str> = chunk.iter().map(|e| e.id.as_str()).collect();
        let existing = existing_seqs(tx.conn(), &payload.list_id, &ids).await?;
        let mut fresh = Vec::with_capacity(chunk.len());
        for (k, e) in chunk.iter().enumerate() {
            let i = c * ROWS_PER_INSERT + k;
            match existing.get(e.id.as_str()) {
                Some((_, status)) if status != IndicatorStatus::Removed.as_str() => {
                    return Err(DetectionError::ListRejected(format!(
                        "add[{i}]: indicator `{}` is already in list `{}`",
                        e.id, payload.list_id
                    )));
                }
                Some((seq, _)) => {
                    readd(tx.conn(), &stamp, e, *seq).await?;
                    change.added.push(*seq);
                }
                None => {
                    next_seq += 1;
                    fresh.push((next_seq, e));
                    change.added.push(next_seq);
                }
            }
        }
        insert_new(tx.conn(), &stamp, &fresh).await?;
    }
    for (c, chunk) in payload.remove.chunks(ROWS_PER_INSERT).enumerate() {
        let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
        let existing = existing_seqs(tx.conn(), &payload.list_id, &ids).await?;
        let mut seqs = Vec::with_capacity(chunk.len());
        for (k, r) in chunk.iter().enumerate() {
            let Some((seq, _)) = existing.get(r.as_str()) else {
                return Err(DetectionError::ListRejected(format!(
                    "remove[{}]: indicator `{r}` is not in list `{}`",
                    c * ROWS_PER_INSERT + k,
                    payload.list_id
                )));
            };
            seqs.push(*seq);
        }
        let sql = format!(
            "UPDATE det_indicators SET status = 'removed', updated_at = $1, change_id = $2 WHERE seq IN ({})",
            crate::sql::list(3, seqs.len())
        );
        let mut q = sqlx::query(&sql).bind(stamp.now).bind(change_id);
        for seq in &seqs {
            q = q.bind(*seq);
        }
        q.execute(tx.conn()).await?;
        change.removed.extend(seqs);
    }
    sqlx::query(
        "INSERT INTO det_list_versions (list_id, version, digest, previous_digest, issued_at, imported_at, added, removed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&payload.list_id)
    .bind(version)
    .bind(&digest)
    .bind(&payload.previous_digest)
    .bind(payload.issued_at.unix_micros())
    .bind(now.unix_micros())
    .bind(change.added.len() as i64)
    .bind(change.removed.len() as i64)
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.list.import",
            format!("list:{}", payload.list_id),
            purpose,
        )
        .with_details(serde_json::json!({
            "version": payload.version,
            "digest": digest,
            "key_id": envelope.key_id,
            "added": change.added.len(),
            "removed": change.removed.len(),
        })),
    )
    .await?;
    Ok(change)
}

/// What every indicator row a list version writes carries.
struct Stamp<'a> {
    list: &'a ListPayload,
    version: i64,
    now: i64,
    change_id: i64,
}

/// `indicator_id -> (seq, status)` of those of `ids` already in `list_id`.
async fn existing_seqs(
    conn: &mut sqlx::AnyConnection,
    list_id: &str,
    ids: &[&str],
) -> Result<std::collections::HashMap<String, (i64, String)>> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT seq, status, indicator_id FROM det_indicators WHERE list_id = $1 AND indicator_id IN ({})",
        crate::sql::list(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(list_id);
    for id in ids {
        q = q.bind(*id);
    }
    for row in q.fetch_all(&mut *conn).await? {
        out.insert(
            row.try_get("indicator_id")?,
            (row.try_get("seq")?, row.try_get("status")?),
        );
    }
    Ok(out)
}

/// An indicator the issuer removed earlier and now adds again: same index
/// id, the new hashes.
async fn readd(
    conn: &mut sqlx::AnyConnection,
    stamp: &Stamp<'_>,
    e: &IndicatorEntry,
    seq: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE det_indicators SET pdq = $1, md5 = $2, sha256 = $3, quality = $4, status = 'active', \
         since_version = $5, updated_at = $6, change_id = $7 WHERE seq = $8",
    )
    .bind(e.pdq.as_ref().map(|h| h.to_ascii_lowercase()))
    .bind(e.md5.as_ref().map(|h| h.to_ascii_lowercase()))
    .bind(e.sha256.as_ref().map(|h| h.to_ascii_lowercase()))
    .bind(e.quality.map(i64::from))
    .bind(stamp.version)
    .bind(stamp.now)
    .bind(stamp.change_id)
    .bind(seq)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// New indicators, with their index ids, in one multi-row insert.
async fn insert_new(
    conn: &mut sqlx::AnyConnection,
    stamp: &Stamp<'_>,
    rows: &[(i64, &IndicatorEntry)],
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO det_indicators (seq, list_id, indicator_id, pdq, md5, sha256, category, source, quality, since_version, updated_at, change_id, status) VALUES {}",
        crate::sql::placeholders(crate::sql::Dialect::of(conn), rows.len(), 12, ", 'active'")
    );
    let mut q = sqlx::query(&sql);
    for (seq, e) in rows {
        q = q
            .bind(*seq)
            .bind(&stamp.list.list_id)
            .bind(&e.id)
            .bind(e.pdq.as_ref().map(|h| h.to_ascii_lowercase()))
            .bind(e.md5.as_ref().map(|h| h.to_ascii_lowercase()))
            .bind(e.sha256.as_ref().map(|h| h.to_ascii_lowercase()))
            .bind(stamp.list.category.as_str())
            .bind(&stamp.list.source)
            .bind(e.quality.map(i64::from))
            .bind(stamp.version)
            .bind(stamp.now)
            .bind(stamp.change_id);
    }
    q.execute(&mut *conn).await?;
    Ok(())
}

/// The imported lists.
pub async fn list(store: &Store) -> Result<Vec<ListSummary>> {
    let rows = sqlx::query(
        "SELECT l.list_id, l.issuer, l.category, l.source, l.version, l.digest, l.key_id, l.updated_at, \
         (SELECT COUNT(*) FROM det_indicators i WHERE i.list_id = l.list_id AND i.status = 'active') AS active, \
         (SELECT COUNT(*) FROM det_indicators i WHERE i.list_id = l.list_id AND i.status <> 'active') AS inactive \
         FROM det_lists l ORDER BY l.list_id",
    )
    .fetch_all(store.pool())
    .await?;
    let w = "det_lists";
    rows.iter()
        .map(|r| {
            let category: String = r.try_get("category")?;
            let version: i64 = r.try_get("version")?;
            let updated: i64 = r.try_get("updated_at")?;
            Ok(ListSummary {
                list_id: r.try_get("list_id")?,
                issuer: r.try_get("issuer")?,
                category: category.parse().map_err(|e| corrupt(w, e))?,
                source: r.try_get("source")?,
                version: version as u64,
                digest: r.try_get("digest")?,
                key_id: r.try_get("key_id")?,
                active: r.try_get("active")?,
                inactive: r.try_get("inactive")?,
                updated_at: Timestamp::from_unix_micros(updated)
                    .ok_or_else(|| corrupt(w, "time"))?,
            })
        })
        .collect()
}

/// One indicator with its status and history, as a reviewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndicatorView {
    /// Index id.
    pub seq: i64,
    /// The list.
    pub list_id: String,
    /// The issuer's id.
    pub indicator_id: String,
    /// PDQ hash, if any.
    pub pdq: Option<String>,
    /// Category.
    pub category: Category,
    /// Source.
    pub source: String,
    /// Quality of the original, if known.
    pub quality: Option<i64>,
    /// Status for the whole deployment (list versions, flood quarantine,
    /// the operator's command).
    pub status: IndicatorStatus,
    /// The viewing provider's own status for it, where it set one: an
    /// indicator it disabled or quarantined stays out of its scans only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_status: Option<IndicatorStatus>,
    /// The list version that (re-)added it.
    pub since_version: i64,
    /// Status changes, oldest first: the deployment-wide ones and the
    /// viewing provider's own (every provider's for authorities and
    /// auditors).
    pub history: Vec<IndicatorEvent>,
}

/// One status change of an indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IndicatorEvent {
    /// The new status.
    pub status: IndicatorStatus,
    /// Why.
    pub reason: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: Timestamp,
    /// The provider whose own status changed; absent for the
    /// deployment-wide status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// One indicator by index id.
pub async fn indicator(store: &Store, seq: i64) -> Result<IndicatorView> {
    indicator_for(store, seq, None).await
}

/// One indicator as `provider` sees it: with its own status and its own and
/// the deployment-wide events (`None`: every provider's events, no own
/// status).
pub async fn indicator_for(
    store: &Store,
    seq: i64,
    provider: Option<&str>,
) -> Result<IndicatorView> {
    let w = "det_indicators";
    let r = sqlx::query(
        "SELECT seq, list_id, indicator_id, pdq, category, source, quality, status, since_version FROM det_indicators WHERE seq = $1",
    )
    .bind(seq)
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| DetectionError::NotFound {
        kind: "indicator",
        key: seq.to_string(),
    })?;
    let events = sqlx::query(
        "SELECT status, reason, actor, at, provider FROM det_indicator_events WHERE seq = $1 \
         AND ($2 = '' OR provider IS NULL OR provider = $2) ORDER BY at, id",
    )
    .bind(seq)
    .bind(provider.unwrap_or(""))
    .fetch_all(store.pool())
    .await?;
    let local_status = match provider {
        Some(p) => {
            sqlx::query("SELECT status FROM det_indicator_local WHERE provider = $1 AND seq = $2")
                .bind(p)
                .bind(seq)
                .fetch_optional(store.pool())
                .await?
                .map(|r| -> Result<IndicatorStatus> {
                    let s: String = r.try_get("status")?;
                    s.parse().map_err(|x| corrupt("det_indicator_local", x))
                })
                .transpose()?
        }
        None => None,
    };
    let mut history = Vec::new();
    for e in events {
        let status: String = e.try_get("status")?;
        let at: i64 = e.try_get("at")?;
        history.push(IndicatorEvent {
            status: status.parse().map_err(|x| corrupt(w, x))?,
            reason: e.try_get("reason")?,
            actor: e.try_get("actor")?,
            at: Timestamp::from_unix_micros(at).ok_or_else(|| corrupt(w, "time"))?,
            provider: e.try_get("provider")?,
        });
    }
    let category: String = r.try_get("category")?;
    let status: String = r.try_get("status")?;
    Ok(IndicatorView {
        seq: r.try_get("seq")?,
        list_id: r.try_get("list_id")?,
        indicator_id: r.try_get("indicator_id")?,
        pdq: r.try_get("pdq")?,
        category: category.parse().map_err(|x| corrupt(w, x))?,
        source: r.try_get("source")?,
        quality: r.try_get("quality")?,
        status: status.parse().map_err(|x| corrupt(w, x))?,
        local_status,
        since_version: r.try_get("since_version")?,
        history,
    })
}

/// Sets an indicator's status (disable, quarantine, or back to active) with
/// a reason (safeguard: per-indicator controls, spec detection.md 6.5
/// item 7). `removed` is the issuer's to set, through a list version.
///
/// With a `provider` (every API caller: the caller's organisation) the
/// status is that provider's own: the indicator leaves or re-enters its
/// scans only, so on a deployment several providers share none of them
/// switches detection off for the others. Without one (the operator's
/// `bulwark detect indicator`, the flood guard) it is the deployment-wide
/// status. Audited as `detection.indicator.status` with the scope.
#[allow(clippy::too_many_arguments)]
pub async fn set_status(
    store: &Store,
    actor: &Actor,
    seq: i64,
    status: IndicatorStatus,
    reason: &str,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<IndicatorView> {
    if status == IndicatorStatus::Removed {
        return Err(DetectionError::invalid(
            "status",
            "only the issuer removes indicators, through a new list version",
        ));
    }
    if reason.trim().is_empty() {
        return Err(DetectionError::invalid("reason", "must not be empty"));
    }
    let current = indicator_for(store, seq, provider).await?;
    let removed = || DetectionError::Conflict(format!("indicator {seq} was removed by its issuer"));
    if current.status == IndicatorStatus::Removed {
        return Err(removed());
    }
    let mut tx = store.write().await?;
    let change_id = crate::sync::next_change_id(tx.conn()).await?;
    // Checked again inside the transaction: a list import may have removed
    // the indicator since it was read.
    let changed = match provider {
        None => sqlx::query(
            "UPDATE det_indicators SET status = $1, updated_at = $2, change_id = $3 \
             WHERE seq = $4 AND status <> 'removed'",
        )
        .bind(status.as_str())
        .bind(now.unix_micros())
        .bind(change_id)
        .bind(seq)
        .execute(tx.conn())
        .await?
        .rows_affected(),
        Some(p) => sqlx::query(
            "INSERT INTO det_indicator_local (provider, seq, status, change_id, updated_at) \
             SELECT $1, seq, $2, $3, $4 FROM det_indicators WHERE seq = $5 AND status <> 'removed' \
             ON CONFLICT (provider, seq) DO UPDATE SET status = excluded.status, \
             change_id = excluded.change_id, updated_at = excluded.updated_at",
        )
        .bind(p)
        .bind(status.as_str())
        .bind(change_id)
        .bind(now.unix_micros())
        .bind(seq)
        .execute(tx.conn())
        .await?
        .rows_affected(),
    };
    if changed == 0 {
        return Err(removed());
    }
    sqlx::query(
        "INSERT INTO det_indicator_events (id, seq, status, reason, actor, at, provider) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(bulwark_core::Id::<()>::new().to_string())
    .bind(seq)
    .bind(status.as_str())
    .bind(reason)
    .bind(&actor.id)
    .bind(now.unix_micros())
    .bind(provider)
    .execute(tx.conn())
    .await?;
    let from = match provider {
        None => current.status,
        Some(_) => current.local_status.unwrap_or(IndicatorStatus::Active),
    };
    tx.commit(
        actor,
        AuditEntry::new(
            "detection.indicator.status",
            format!("indicator:{seq}"),
            purpose,
        )
        .with_details(serde_json::json!({
            "list_id": current.list_id,
            "scope": provider.map_or("deployment", |_| "provider"),
            "provider": provider,
            "from": from.as_str(),
            "to": status.as_str(),
        })),
    )
    .await?;
    indicator_for(store, seq, provider).await
}
