//! Scanning: hash content in memory, match it against the active lists
//! under a basis's policy, and record only hashes, distances and metadata.
//!
//! Content never reaches disk or logs (purpose limitation: CSA proposal
//! Art. 10(3)(b), 10(4)(a); Regulation (EU) 2021/1232 Art. 3(1)(a)): an
//! image is decoded and hashed from the caller's buffer and dropped; the
//! store receives the hash, its quality and the matches.
//!
//! [`evaluate`] is the in-memory part (no I/O); [`record`] writes a batch
//! of evaluated scans and their matches in one audited transaction;
//! [`scan`] does both after [`crate::basis::require_active`].

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use bulwark_core::{Id, Timestamp};
use bulwark_pdq::Hasher;
use bulwark_pdq::decode::DecodeOptions;
use bulwark_store::{Actor, AuditEntry, Store};

use crate::basis::{Basis, BasisId};
use crate::error::{DetectionError, Result};
use crate::matcher::{Candidate, Matcher, to_index_hash};
use crate::sql::CachedInsert;
use crate::vocab::{BasisKind, Category};

/// Images up to this many pixels are hashed with the thread's reused [`Hasher`]; larger
/// ones get a fresh hasher whose buffers are freed afterwards, so no thread keeps a
/// very large buffer.
const REUSED_HASHER_MAX_PIXELS: usize = 4 << 20;

thread_local! {
    /// The hashing thread's PDQ working buffers (about 8 bytes per pixel of the largest
    /// image it hashed). Reusing them saves allocating and zeroing them per image; they
    /// are overwritten by the next image and never leave the process.
    static HASHER: std::cell::RefCell<Hasher> = std::cell::RefCell::new(Hasher::new());
}

/// Decodes `bytes` in memory and computes the PDQ hash and its dihedral variants.
fn hash_image(bytes: &[u8]) -> Result<bulwark_pdq::PdqOutput> {
    let invalid = |e: bulwark_pdq::PdqError| DetectionError::invalid("image", e.to_string());
    let image =
        bulwark_pdq::decode::decode_bytes(bytes, &DecodeOptions::default()).map_err(invalid)?;
    if image.width.saturating_mul(image.height) > REUSED_HASHER_MAX_PIXELS {
        return image.hash(&mut Hasher::new()).map_err(invalid);
    }
    HASHER
        .with(|h| match h.try_borrow_mut() {
            Ok(mut hasher) => image.hash(&mut hasher),
            Err(_) => image.hash(&mut Hasher::new()),
        })
        .map_err(invalid)
}

/// Marker type of scan ids.
#[derive(Debug)]
pub enum ScanMarker {}
/// The id of a scan.
pub type ScanId = Id<ScanMarker>;
/// Marker type of match ids.
#[derive(Debug)]
pub enum MatchMarker {}
/// The id of a match.
pub type MatchId = Id<MatchMarker>;

/// Largest image accepted for scanning, in bytes.
pub const MAX_IMAGE_BYTES: usize = 32 * 1024 * 1024;

/// What is scanned.
#[derive(Debug, Clone)]
pub enum ScanInput<'a> {
    /// An image file's bytes (JPEG, PNG, ...), hashed in memory.
    Image(&'a [u8]),
    /// A precomputed PDQ hash with its quality.
    Hash {
        /// 64 hex digits.
        pdq: &'a str,
        /// Its quality (0-100).
        quality: u8,
    },
}

/// One item of a scan request.
#[derive(Debug, Clone)]
pub struct ScanItem<'a> {
    /// The provider's reference for the content (kept; the content is not).
    pub content_ref: Option<String>,
    /// The content or its hash.
    pub input: ScanInput<'a>,
}

/// The outcome of one scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// At least one indicator matched: the matches wait for human review.
    Matched,
    /// No indicator matched.
    NoMatch,
    /// The hash's quality is below the basis's minimum: not matched (and
    /// said so, rather than reported as "no match").
    LowQuality,
    /// The content is on the provider's negative list of known false positives.
    NegativeListed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Matched => "matched",
            Outcome::NoMatch => "no_match",
            Outcome::LowQuality => "low_quality",
            Outcome::NegativeListed => "negative_listed",
        }
    }
}

/// One match as the scanner reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchSummary {
    /// The match's id (its review-queue entry).
    pub match_id: MatchId,
    /// The list.
    pub list_id: String,
    /// The list version applied when it matched.
    pub list_version: u64,
    /// The issuer's indicator id.
    pub indicator_id: String,
    /// The indicator's category.
    pub category: Category,
    /// Hamming distance (0 for exact MD5/SHA-256 matches).
    pub distance: u32,
    /// Which variant matched (`orig`, `rot90`, ..., `md5`, `sha256`).
    pub variant: String,
}

/// A scan evaluated in memory, before it is recorded.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// The scan's id.
    pub scan_id: ScanId,
    /// The provider's reference for the content.
    pub content_ref: Option<String>,
    /// `image` or `hash`.
    pub input_kind: &'static str,
    /// The PDQ hash (hex).
    pub pdq: String,
    /// Its quality.
    pub quality: u8,
    /// The outcome.
    pub outcome: Outcome,
    /// The matching indicators, with list versions.
    pub candidates: Vec<(Candidate, u64)>,
}

/// One scan's result as returned to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ScanResult {
    /// The scan's id.
    pub scan_id: ScanId,
    /// The provider's reference for the content.
    pub content_ref: Option<String>,
    /// The PDQ hash (hex).
    pub hash: String,
    /// Its quality.
    pub quality: u8,
    /// The outcome.
    pub outcome: Outcome,
    /// Whether anything matched.
    pub matched: bool,
    /// The matches (each now pending human review).
    pub matches: Vec<MatchSummary>,
}

/// Hashes and matches one item under `basis` (no I/O). The image bytes are
/// only read; nothing of them outlives this call but the hashes.
pub fn evaluate(matcher: &Matcher, basis: &Basis, item: &ScanItem<'_>) -> Result<Evaluated> {
    let policy = basis.facts.policy;
    let (pdq, quality, variants, exact, kind) = match &item.input {
        ScanInput::Image(bytes) => {
            if bytes.len() > MAX_IMAGE_BYTES {
                return Err(DetectionError::invalid(
                    "image",
                    format!("larger than {MAX_IMAGE_BYTES} bytes"),
                ));
            }
            let out = hash_image(bytes)?;
            let d = out.dihedral();
            let names = bulwark_pdq::Dihedral::NAMES;
            let variants: Vec<(&'static str, bulwark_hamming::Hash256)> = if policy.dihedral {
                names
                    .iter()
                    .zip(d.to_array().iter())
                    .map(|(n, h)| (*n, to_index_hash(h)))
                    .collect()
            } else {
                vec![("orig", to_index_hash(&out.hash))]
            };
            let md5: [u8; 16] = Md5::digest(bytes).into();
            let sha: [u8; 32] = Sha256::digest(bytes).into();
            (
                out.hash.to_hex(),
                out.quality,
                variants,
                Some((md5, sha)),
                "image",
            )
        }
        ScanInput::Hash { pdq, quality } => {
            let h = bulwark_hamming::Hash256::from_hex(pdq)
                .map_err(|_| DetectionError::invalid("hash", "must be 64 hex digits"))?;
            if *quality > 100 {
                return Err(DetectionError::invalid("quality", "must be 0-100"));
            }
            (h.to_hex(), *quality, vec![("orig", h)], None, "hash")
        }
    };
    let scan_id = ScanId::new();
    let mut ev = Evaluated {
        scan_id,
        content_ref: item.content_ref.clone(),
        input_kind: kind,
        pdq,
        quality,
        outcome: Outcome::NoMatch,
        candidates: Vec::new(),
    };
    // A detection order executes with the EU Centre's indicators only (CSA
    // proposal Art. 10(1)); a voluntary basis may also use other sources.
    // Indicators the provider disabled or quarantined for itself are out.
    let order = basis.facts.kind == BasisKind::Order;
    let allowed = |c: &Candidate| {
        crate::basis::covers_category(basis.facts.kind, c.meta.category)
            && (basis.facts.lists.is_empty() || basis.facts.lists.contains(&c.meta.list_id))
            && (!order || matcher.is_eu_centre_list(&c.meta.list_id))
            && !matcher.is_off_for(&basis.facts.provider, c.seq)
    };
    // Exact copies first (cheap, spec detection.md 6.5 item 13), then PDQ.
    let mut found: Vec<Candidate> = Vec::new();
    if let Some((md5, sha)) = exact {
        found.extend(matcher.query_exact(&md5, &sha).into_iter().filter(allowed));
    }
    let low_quality = quality < policy.min_quality;
    if !low_quality {
        for c in matcher.query_pdq(&variants, policy.max_distance) {
            if allowed(&c) && !found.iter().any(|f| f.seq == c.seq) {
                found.push(c);
            }
        }
    }
    let orig = variants[0].1;
    if !found.is_empty() && matcher.is_negative(&basis.facts.provider, &orig) {
        ev.outcome = Outcome::NegativeListed;
        return Ok(ev);
    }
    if found.is_empty() {
        ev.outcome = if low_quality {
            Outcome::LowQuality
        } else {
            Outcome::NoMatch
        };
        return Ok(ev);
    }
    ev.outcome = Outcome::Matched;
    ev.candidates = found
        .into_iter()
        .map(|c| {
            let v = matcher.list_version(&c.meta.list_id).unwrap_or(0);
            (c, v)
        })
        .collect();
    Ok(ev)
}

/// Records evaluated scans of one basis and their matches (each entering
/// the review queue) in one transaction with one audit record.
pub async fn record(
    store: &Store,
    actor: &Actor,
    basis: &Basis,
    scans: &[Evaluated],
    now: Timestamp,
    purpose: &str,
) -> Result<Vec<ScanResult>> {
    let mut tx = store.write().await?;
    let job = JobRows { basis, scans, now };
    let (results, match_ids) = insert(tx.conn(), std::slice::from_ref(&job))
        .await?
        .pop()
        .unwrap_or_default();
    tx.commit(actor, audit_entry(basis, scans, match_ids, purpose))
        .await?;
    Ok(results)
}

/// The audit record of a set of scans under one basis: the scan and match
/// ids, never hashes or content.
pub(crate) fn audit_entry(
    basis: &Basis,
    scans: &[Evaluated],
    match_ids: Vec<String>,
    purpose: &str,
) -> AuditEntry {
    let scan_ids: Vec<String> = scans.iter().map(|s| s.scan_id.to_string()).collect();
    AuditEntry::new("detection.scan", format!("basis:{}", basis.id), purpose).with_details(
        serde_json::json!({
            "provider": basis.facts.provider,
            "scans": scan_ids,
            "matches": match_ids,
        }),
    )
}

/// Microseconds in a day: the unit of `det_scan_counts.day`.
pub(crate) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Scan rows (9 values each).
static INSERT_SCANS: CachedInsert = CachedInsert::new(
    "INSERT INTO det_scans (id, basis_id, provider, content_ref, input_kind, pdq, quality, outcome, scanned_at) VALUES ",
    9,
    "",
);

/// Match rows (11 values each), every one entering the review queue.
static INSERT_MATCHES: CachedInsert = CachedInsert::new(
    "INSERT INTO det_matches (id, scan_id, basis_id, provider, seq, list_id, list_version, distance, variant, quality, created_at, state) VALUES ",
    11,
    ", 'pending_review'",
);

/// The evaluated scans of one request, to be inserted: evaluated under `basis`
/// at `now`.
pub(crate) struct JobRows<'a> {
    pub(crate) basis: &'a Basis,
    pub(crate) scans: &'a [Evaluated],
    pub(crate) now: Timestamp,
}

/// What one request's insertion produced: its results and its new match ids.
pub(crate) type Inserted = (Vec<ScanResult>, Vec<String>);

/// Inserts the evaluated scans of several requests and their matches on an
/// open write transaction, as multi-row statements over all of them (chunks
/// of [`crate::sql::cached_chunks`], so a group commit of many small requests
/// costs a few cached statements, not one or two per request); returns each
/// request's results and new match ids, in order.
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    jobs: &[JobRows<'_>],
) -> Result<Vec<Inserted>> {
    let dialect = crate::sql::Dialect::of(conn);
    let basis_ids: Vec<String> = jobs.iter().map(|j| j.basis.id.to_string()).collect();
    // Every scan of every job: (job index, scan index in the job, scan).
    let rows: Vec<(usize, usize, &Evaluated)> = jobs
        .iter()
        .enumerate()
        .flat_map(|(k, j)| j.scans.iter().enumerate().map(move |(i, ev)| (k, i, ev)))
        .collect();
    for chunk in crate::sql::cached_chunks(&rows) {
        let sql = INSERT_SCANS.sql(dialect, chunk.len());
        let mut q = sqlx::query(&sql);
        for &(k, _, ev) in chunk {
            let j = &jobs[k];
            q = q
                .bind(ev.scan_id.to_string())
                .bind(&basis_ids[k])
                .bind(&j.basis.facts.provider)
                .bind(&ev.content_ref)
                .bind(ev.input_kind)
                .bind(&ev.pdq)
                .bind(i64::from(ev.quality))
                .bind(ev.outcome.as_str())
                .bind(j.now.unix_micros());
        }
        q.execute(&mut *conn).await?;
    }
    // The per-day counters the transparency figures read (migration 2009).
    let mut counts: Vec<(&str, i64, i64, i64)> = Vec::new();
    for &(k, _, ev) in &rows {
        let j = &jobs[k];
        let provider = j.basis.facts.provider.as_str();
        let day = j.now.unix_micros().div_euclid(MICROS_PER_DAY);
        let low = i64::from(ev.outcome == Outcome::LowQuality);
        match counts.iter_mut().find(|c| c.0 == provider && c.1 == day) {
            Some(c) => {
                c.2 += 1;
                c.3 += low;
            }
            None => counts.push((provider, day, 1, low)),
        }
    }
    for (provider, day, scans, low) in counts {
        sqlx::query(
            "INSERT INTO det_scan_counts (provider, day, scans, low_quality) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (provider, day) DO UPDATE SET scans = det_scan_counts.scans + excluded.scans, \
             low_quality = det_scan_counts.low_quality + excluded.low_quality",
        )
        .bind(provider)
        .bind(day)
        .bind(scans)
        .bind(low)
        .execute(&mut *conn)
        .await?;
    }
    // Every match: (job index, scan index in the job, scan, candidate, list version, id).
    let mut all: Vec<(usize, usize, &Evaluated, &Candidate, u64, MatchId)> = Vec::new();
    for &(k, i, ev) in &rows {
        for (c, version) in &ev.candidates {
            all.push((k, i, ev, c, *version, MatchId::new()));
        }
    }
    for chunk in crate::sql::cached_chunks(&all) {
        let sql = INSERT_MATCHES.sql(dialect, chunk.len());
        let mut q = sqlx::query(&sql);
        for &(k, _, ev, c, version, id) in chunk {
            let j = &jobs[k];
            q = q
                .bind(id.to_string())
                .bind(ev.scan_id.to_string())
                .bind(&basis_ids[k])
                .bind(&j.basis.facts.provider)
                .bind(c.seq)
                .bind(&c.meta.list_id)
                .bind(version as i64)
                .bind(i64::from(c.distance))
                .bind(c.variant)
                .bind(i64::from(ev.quality))
                .bind(j.now.unix_micros());
        }
        q.execute(&mut *conn).await?;
    }
    let mut out: Vec<Inserted> = jobs
        .iter()
        .map(|j| {
            let results = j
                .scans
                .iter()
                .map(|ev| ScanResult {
                    scan_id: ev.scan_id,
                    content_ref: ev.content_ref.clone(),
                    hash: ev.pdq.clone(),
                    quality: ev.quality,
                    outcome: ev.outcome,
                    matched: false,
                    matches: Vec::new(),
                })
                .collect();
            (results, Vec::new())
        })
        .collect();
    for &(k, i, _, c, version, id) in &all {
        let (results, match_ids) = &mut out[k];
        match_ids.push(id.to_string());
        let Some(r) = results.get_mut(i) else {
            continue;
        };
        r.matched = true;
        r.matches.push(MatchSummary {
            match_id: id,
            list_id: c.meta.list_id.clone(),
            list_version: version,
            indicator_id: c.meta.indicator_id.clone(),
            category: c.meta.category,
            distance: c.distance,
            variant: c.variant.to_string(),
        });
    }
    Ok(out)
}

/// Checks the basis, evaluates every item and records them: the whole
/// request is refused (nothing recorded) if the basis does not allow it or
/// any item is malformed.
#[allow(clippy::too_many_arguments)]
pub async fn scan(
    store: &Store,
    matcher: &Matcher,
    actor: &Actor,
    provider: &str,
    basis_id: BasisId,
    service: Option<&str>,
    items: &[ScanItem<'_>],
    now: Timestamp,
    purpose: &str,
) -> Result<Vec<ScanResult>> {
    let basis = crate::basis::require_active(store, basis_id, provider, service, now).await?;
    let evaluated = evaluate_all(matcher, &basis, items)?;
    record(store, actor, &basis, &evaluated, now, purpose).await
}

/// Evaluates every item of a request under `basis` (no I/O): refused if
/// there is none; an item's error names it (`items[i].field`) when there
/// are several.
pub fn evaluate_all(
    matcher: &Matcher,
    basis: &Basis,
    items: &[ScanItem<'_>],
) -> Result<Vec<Evaluated>> {
    if items.is_empty() {
        return Err(DetectionError::invalid("items", "nothing to scan"));
    }
    let mut evaluated = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        evaluated.push(evaluate(matcher, basis, item).map_err(|e| match e {
            DetectionError::Invalid { field, rule } => DetectionError::Invalid {
                field: if items.len() == 1 {
                    field
                } else {
                    format!("items[{i}].{field}")
                },
                rule,
            },
            other => other,
        })?);
    }
    Ok(evaluated)
}
