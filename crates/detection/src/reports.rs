//! Reports of confirmed matches: the contents of CSA proposal Art. 13(1)
//! and its Annex III form, as signed JSON to the EU Centre role (or, for
//! voluntary detection, the competent authority or public-interest
//! organisation), carrying a handling marking so the cooperation pillar can
//! forward a confirmed case to Europol and national police.
//!
//! Only a confirmed match produces a report. The content itself is
//! referenced by the provider's id (Art. 13(1)(c) content data travel from
//! the provider's own store at send time). If the provider attaches it, it
//! is sealed to the recipient's X25519 key (libsodium sealed box, through
//! the `crypto_box` crate) and handed back in the answer only: Bulwark
//! never stores it, and the signed report carries the SHA-256 of the
//! sealed bytes so the recipient can tie the two together.
//! The provider's signing key is kept sealed at rest ([`crate::keys`]).
//! Reports are kept for at most 12 months (CSA proposal Art. 22(1); 2021/1232
//! Art. 3(1)(h)) and then purged by [`crate::retention::purge`].

use chrono::Months;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use bulwark_core::{EuClassification, HandlingCode, Id, Marking, Timestamp, Tlp};
use bulwark_store::{Actor, AuditEntry, Store};

use crate::error::{DetectionError, Result, corrupt};
use crate::scan::MatchId;
use crate::signing::{PublicKey, SignedEnvelope};
use crate::vocab::{BasisKind, MatchState};

/// Marker type of report ids.
#[derive(Debug)]
pub enum ReportMarker {}
/// The id of a report.
pub type ReportId = Id<ReportMarker>;

/// Months a report is kept (CSA proposal Art. 22(1); 2021/1232 Art. 3(1)(h)).
pub const REPORT_RETENTION_MONTHS: u32 = 12;

/// Where the upload came from (Annex III section 2 point 5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadLocation {
    /// IP address of the upload.
    #[serde(default)]
    pub ip: Option<String>,
    /// Source port (Annex III requires it with the address).
    #[serde(default)]
    pub port: Option<u16>,
    /// Date and time of the upload.
    #[serde(default)]
    pub at: Option<Timestamp>,
    /// The time zone the provider recorded it in (IANA name or UTC offset).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// Identity of the user(s) involved (Annex III section 2 point 6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIdentity {
    /// Username.
    #[serde(default)]
    pub username: Option<String>,
    /// E-mail.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// The provider's unique user identifier.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// A report to a third-country authority or entity (Art. 13(1)(h)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThirdCountryReport {
    /// The recipient (e.g. the US hotline).
    pub name: String,
    /// Its case reference.
    pub case_reference: String,
}

/// What the provider adds to a confirmed match to make a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// The confirmed match.
    pub match_id: MatchId,
    /// Provider identification, legal representative and contact point (Art. 13(1)(a)).
    pub provider_contact: String,
    /// The report requires urgent action, e.g. an imminent threat to a child (Art. 13(1)(j)).
    #[serde(default)]
    pub urgent: bool,
    /// `hosting` or `interpersonal` (Annex III section 2 point 7).
    pub service_type: String,
    /// The service's URL.
    #[serde(default)]
    pub service_url: Option<String>,
    /// Upload location (Art. 13(1)(f)).
    #[serde(default)]
    pub location: UploadLocation,
    /// User identity (Art. 13(1)(g)).
    #[serde(default)]
    pub user: UserIdentity,
    /// Third-country report, if any (Art. 13(1)(h)).
    #[serde(default)]
    pub third_country: Option<ThirdCountryReport>,
    /// The material was removed or access to it disabled (Art. 13(1)(i)).
    pub removed: bool,
    /// Decision taken on the user (blocking, suspension, termination).
    #[serde(default)]
    pub user_decision: Option<String>,
    /// Other information.
    #[serde(default)]
    pub other: Option<String>,
    /// The recipient (default "EU Centre").
    #[serde(default)]
    pub recipient: Option<String>,
    /// Handling marking (default TLP:RED, Europol H2: not to be disseminated
    /// without the provider's permission).
    #[serde(default)]
    pub marking: Option<Marking>,
    /// The content data, to be sealed to the recipient (never stored).
    #[serde(default)]
    pub attachment: Option<Attachment>,
}

/// Content data attached to a report (CSA proposal Art. 13(1)(c)).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The recipient's X25519 public key, 64 hex digits.
    pub recipient_key: String,
    /// The content, base64 (standard alphabet).
    pub content_base64: String,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print content, not even in a debug trace.
        f.debug_struct("Attachment")
            .field("recipient_key", &self.recipient_key)
            .field("content_base64", &"(redacted)")
            .finish()
    }
}

/// An attachment sealed to its recipient: returned once, never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SealedAttachment {
    /// The recipient's X25519 public key, hex.
    pub recipient_key: String,
    /// The sealed box (ephemeral public key, then ciphertext), base64.
    pub sealed_base64: String,
    /// SHA-256 of the sealed bytes, hex (also inside the signed report).
    pub sha256: String,
}

/// Seals `content` to the X25519 public key `recipient_key` (hex).
pub fn seal_attachment(a: &Attachment) -> Result<SealedAttachment> {
    use base64::Engine;
    let key: [u8; 32] = hex::decode(&a.recipient_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            DetectionError::invalid("attachment.recipient_key", "must be 64 hex digits")
        })?;
    let content = base64::engine::general_purpose::STANDARD
        .decode(&a.content_base64)
        .map_err(|_| DetectionError::invalid("attachment.content_base64", "not base64"))?;
    if content.is_empty() {
        return Err(DetectionError::invalid(
            "attachment.content_base64",
            "must not be empty",
        ));
    }
    let sealed = crypto_box::PublicKey::from_bytes(key)
        .seal(&mut crypto_box::aead::OsRng, &content)
        .map_err(|_| DetectionError::invalid("attachment", "could not be sealed"))?;
    Ok(SealedAttachment {
        recipient_key: a.recipient_key.to_ascii_lowercase(),
        sha256: crate::signing::sha256_hex(&sealed),
        sealed_base64: base64::engine::general_purpose::STANDARD.encode(&sealed),
    })
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Report {
    /// Id.
    pub id: ReportId,
    /// The match reported.
    pub match_id: MatchId,
    /// The provider.
    pub provider: String,
    /// The authority it is addressed to (the EU Centre role by default).
    pub recipient: String,
    /// Its handling marking.
    pub marking: Marking,
    /// The signed report (payload = the report JSON).
    pub signed: SignedEnvelope,
    /// The provider's public key, to verify it.
    pub public_key: PublicKey,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it is purged.
    pub retain_until: Timestamp,
    /// The sealed attachment, in the answer to `create` only (never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_attachment: Option<SealedAttachment>,
}

fn default_marking() -> Marking {
    Marking {
        tlp: Some(Tlp::Red),
        handling: Some(HandlingCode::H2),
        restriction: None,
        classification: None,
    }
}

/// Makes, signs and stores the report of a confirmed match.
pub async fn create(
    store: &Store,
    actor: &Actor,
    input: NewReport,
    provider: Option<&str>,
    now: Timestamp,
    purpose: &str,
) -> Result<Report> {
    if !matches!(input.service_type.as_str(), "hosting" | "interpersonal") {
        return Err(DetectionError::invalid(
            "service_type",
            "`hosting` or `interpersonal` (CSA proposal Annex III section 2 point 7)",
        ));
    }
    if input.provider_contact.trim().is_empty() {
        return Err(DetectionError::invalid(
            "provider_contact",
            "must not be empty (CSA proposal Art. 13(1)(a))",
        ));
    }
    if input.location.ip.is_some() && input.location.port.is_none() {
        return Err(DetectionError::invalid(
            "location.port",
            "required with the IP address (CSA proposal Annex III section 2 point 5)",
        ));
    }
    if let Some(ip) = &input.location.ip
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(DetectionError::invalid("location.ip", "not an IP address"));
    }
    let marking = input.marking.clone().unwrap_or_else(default_marking);
    marking
        .validate(EuClassification::Restricted)
        .map_err(|e| DetectionError::invalid("marking", e.to_string()))?;
    let detail = crate::review::get(store, input.match_id, provider).await?;
    let m = &detail.matched;
    if m.state != MatchState::Confirmed {
        return Err(DetectionError::Conflict(format!(
            "match {} is {}: only a match confirmed by a human reviewer is reported",
            m.id, m.state
        )));
    }
    let exists = sqlx::query("SELECT id FROM det_reports WHERE match_id = $1")
        .bind(m.id.to_string())
        .fetch_optional(store.pool())
        .await?;
    if exists.is_some() {
        return Err(DetectionError::Conflict(format!(
            "match {} is already reported",
            m.id
        )));
    }
    let basis_id: crate::basis::BasisId =
        m.basis_id.parse().map_err(|e| corrupt("det_matches", e))?;
    let basis = crate::basis::get(store, basis_id, None).await?;
    let (awareness, legal_basis) = match basis.facts.kind {
        BasisKind::Order => (
            format!(
                "execution of detection order {}",
                basis
                    .facts
                    .order
                    .as_ref()
                    .map(|o| o.reference.as_str())
                    .unwrap_or("")
            ),
            "Proposed CSA Regulation COM(2022) 209, Arts 12-13",
        ),
        BasisKind::Voluntary => (
            "voluntary detection (provider's own motion)".to_string(),
            "Regulation (EU) 2021/1232 regime, Art. 3(1)(d)",
        ),
        BasisKind::SpecificMeasure => {
            return Err(DetectionError::Refused(format!(
                "match {} was found under a specific measure against terrorist content (TCO \
                 Regulation (EU) 2021/784 Art. 5): reports to the EU Centre concern child \
                 sexual abuse (CSA proposal Art. 12); confirmed terrorist content is removed \
                 under the provider's measure, and content involving an imminent threat to \
                 life is reported to the competent authorities (TCO Art. 14(5))",
                m.id
            )));
        }
    };
    let sealed = input.attachment.as_ref().map(seal_attachment).transpose()?;
    let key = crate::keys::provider_key(store, actor, &m.provider, now).await?;
    let id = ReportId::new();
    let recipient = input
        .recipient
        .clone()
        .unwrap_or_else(|| DEFAULT_RECIPIENT.into());
    let body = serde_json::json!({
        "format": "bulwark-csa-report/1",
        "report_id": id,
        "legal_basis": legal_basis,
        "recipient": recipient,
        "section_1_provider": { "name": m.provider, "contact": input.provider_contact },
        "section_2_report": {
            "urgent": input.urgent,
            "type": "known",
            "content_data": {
                "provider_reference": m.content_ref,
                "attached": sealed.is_some(),
                "sealed_sha256": sealed.as_ref().map(|a| a.sha256.clone()),
                "sealed_to": sealed.as_ref().map(|a| a.recipient_key.clone()),
            },
            "other_data": {
                "pdq": m.scanned_hash, "quality": m.quality, "distance": m.distance,
                "variant": m.variant, "list_id": m.list_id, "list_version": m.list_version,
                "indicator_id": detail.indicator.indicator_id, "category": detail.indicator.category,
                "matched_at": m.created_at, "reviewed_at": m.reviewed_at,
            },
            "location": input.location,
            "user": input.user,
            "service": { "type": input.service_type, "url": input.service_url },
            "how_aware": awareness,
            "third_country_report": input.third_country,
            "removed_or_disabled": input.removed,
            "user_decision": input.user_decision,
            "other": input.other,
        },
        "section_3": { "issued_at": now, "time_zone": "UTC" },
        "marking": marking,
    });
    let payload = serde_json::to_string(&body)
        .map_err(|e| DetectionError::invalid("(body)", e.to_string()))?;
    let signed = key.sign(payload)?;
    let retain_until = now
        .as_datetime()
        .checked_add_months(Months::new(REPORT_RETENTION_MONTHS))
        .map(Timestamp::from_datetime)
        .unwrap_or(now);
    let marking_json = serde_json::to_string(&marking)
        .map_err(|e| DetectionError::invalid("marking", e.to_string()))?;
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO det_reports (id, match_id, provider, marking, body, signature, key_id, created_at, retain_until, recipient) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id.to_string())
    .bind(m.id.to_string())
    .bind(&m.provider)
    .bind(&marking_json)
    .bind(&signed.payload)
    .bind(&signed.signature)
    .bind(&signed.key_id)
    .bind(now.unix_micros())
    .bind(retain_until.unix_micros())
    .bind(&recipient)
    .execute(tx.conn())
    .await?;
    tx.commit(
        actor,
        AuditEntry::new("detection.report.create", format!("report:{id}"), purpose).with_details(
            serde_json::json!({ "match_id": m.id, "urgent": input.urgent, "marking": marking }),
        ),
    )
    .await?;
    Ok(Report {
        id,
        match_id: m.id,
        provider: m.provider.clone(),
        recipient,
        marking,
        signed,
        public_key: key.public(),
        created_at: now,
        retain_until,
        sealed_attachment: sealed,
    })
}

fn row_to_report(r: &sqlx::any::AnyRow, keys: &[(String, String)]) -> Result<Report> {
    let w = "det_reports";
    let id: String = r.try_get("id")?;
    let match_id: String = r.try_get("match_id")?;
    let provider: String = r.try_get("provider")?;
    let recipient: Option<String> = r.try_get("recipient")?;
    let marking: String = r.try_get("marking")?;
    let key_id: String = r.try_get("key_id")?;
    let created: i64 = r.try_get("created_at")?;
    let retain: i64 = r.try_get("retain_until")?;
    let public_key = keys
        .iter()
        .find(|(k, _)| *k == key_id)
        .map(|(_, pk)| pk.clone())
        .unwrap_or_default();
    Ok(Report {
        id: id.parse().map_err(|e| corrupt(w, e))?,
        match_id: match_id.parse().map_err(|e| corrupt(w, e))?,
        provider: provider.clone(),
        recipient: recipient.ok_or_else(|| corrupt(w, "no recipient"))?,
        marking: serde_json::from_str(&marking).map_err(|e| corrupt(w, e))?,
        signed: SignedEnvelope {
            format: crate::signing::FORMAT.into(),
            key_id: key_id.clone(),
            payload: r.try_get("body")?,
            signature: r.try_get("signature")?,
        },
        public_key: PublicKey {
            issuer: provider,
            key_id,
            public_key,
        },
        created_at: Timestamp::from_unix_micros(created).ok_or_else(|| corrupt(w, "time"))?,
        retain_until: Timestamp::from_unix_micros(retain).ok_or_else(|| corrupt(w, "time"))?,
        sealed_attachment: None,
    })
}

/// Whose reports a caller may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportScope<'a> {
    /// Every report (auditors).
    All,
    /// The reports this provider made.
    Provider(&'a str),
    /// The reports addressed to this authority (the EU Centre role).
    Recipient(&'a str),
}

/// The recipient of a report that names none: the EU Centre's role in the
/// proposal (CSA proposal Art. 12(1)).
pub const DEFAULT_RECIPIENT: &str = "EU Centre";

/// The reports in `scope`, newest first.
pub async fn list(store: &Store, scope: ReportScope<'_>) -> Result<Vec<Report>> {
    // Retired keys too: a report keeps the key it was signed with.
    let keys = crate::keys::public_keys(store).await?;
    let (provider, recipient) = match scope {
        ReportScope::All => ("", ""),
        ReportScope::Provider(p) => (p, ""),
        ReportScope::Recipient(r) => ("", r),
    };
    let rows = sqlx::query(
        "SELECT id, match_id, provider, recipient, marking, body, signature, key_id, created_at, retain_until FROM det_reports \
         WHERE ($1 = '' OR provider = $1) AND ($2 = '' OR recipient = $2) ORDER BY id DESC",
    )
    .bind(provider)
    .bind(recipient)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| row_to_report(r, &keys)).collect()
}

/// Copies each report's recipient from its signed body into the
/// `recipient` column where it is missing (reports made before the column
/// existed); one audited write, nothing when there is nothing to do.
pub async fn fill_recipients(store: &Store) -> Result<usize> {
    let rows = sqlx::query("SELECT id, body FROM det_reports WHERE recipient IS NULL")
        .fetch_all(store.pool())
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut tx = store.write().await?;
    for r in &rows {
        let id: String = r.try_get("id")?;
        let body: String = r.try_get("body")?;
        let recipient = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["recipient"].as_str().map(str::to_string))
            .ok_or_else(|| corrupt("det_reports", format!("report {id} names no recipient")))?;
        sqlx::query("UPDATE det_reports SET recipient = $1 WHERE id = $2 AND recipient IS NULL")
            .bind(&recipient)
            .bind(&id)
            .execute(tx.conn())
            .await?;
    }
    tx.commit(
        &Actor::system(),
        AuditEntry::new(
            "detection.report.recipients",
            "det_reports",
            "schema upgrade: recipients copied from the signed reports",
        )
        .with_details(serde_json::json!({ "reports": rows.len() })),
    )
    .await?;
    Ok(rows.len())
}
