//! `/api/v1/detection/...`: the detection pillar (proposed CSA Regulation
//! COM(2022) 209, interim Regulation (EU) 2021/1232 regime, TCO Regulation
//! (EU) 2021/784). Handlers are thin calls into `bulwark_detection`.
//!
//! Organisation scoping: provider and reviewer tokens act only on their
//! organisation's records (the pillar functions get `Some(organisation)`);
//! authority tokens see the removal orders and detection orders they issued;
//! auditor tokens read everything and change nothing. Content is hashed in
//! memory and dropped; neither content nor its hashes reach the logs.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::Datelike;
use serde::{Deserialize, Serialize};

use bulwark_core::{Permission, Role, Timestamp};
use bulwark_detection::basis::{self, Basis, BasisId, NewBasis};
use bulwark_detection::complaints::{
    self, Complaint, ComplaintDecision, ComplaintId, NewComplaint,
};
use bulwark_detection::keys::{self, Replacement, SigningKey};
use bulwark_detection::lists::{self, IndicatorView, ListChange, ListSummary, TrustedKey};
use bulwark_detection::recorder::ScanJob;
use bulwark_detection::reinstatement::{self, ReinstatementRequest};
use bulwark_detection::removal::{
    self, NewRemovalOrder, RemovalAction, RemovalId, RemovalOrderView,
};
use bulwark_detection::reports::{self, NewReport, Report};
use bulwark_detection::retention::{self, PurgeReport};
use bulwark_detection::review::{
    self, ErrorRate, MatchDetail, MatchView, PreservationRequest, RemovalRecord, ReviewDecision,
};
use bulwark_detection::scan::{self, MatchId, ScanInput, ScanItem, ScanResult};
use bulwark_detection::signing::SignedEnvelope;
use bulwark_detection::transparency::{self, Figures};
use bulwark_detection::vocab::{BasisKind, BasisStatus, IndicatorStatus};
use bulwark_detection::{DetectionError, Matcher};
use bulwark_store::tokens::Principal;
use bulwark_store::{Actor, Store};

use crate::AppState;
use crate::access::{Caller, Purpose};
use crate::error::ApiError;
use crate::json::ApiJson;
use crate::routes::{Routes, ScopeRule};

/// Most items one hash-scan request may carry.
pub const MAX_SCAN_ITEMS: usize = 1000;

/// The body limit of the image-scan route (bytes); every other route keeps
/// the default of [`crate::BODY_LIMIT_BYTES`].
pub const IMAGE_BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// How often the retention purge runs after the one at start-up.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// A pillar error as an API error: `Invalid` 422 naming the field,
/// `Refused` 403 with the rule, `ListRejected` 422, `NotFound` 404,
/// `Conflict` 409, `Store` 500 without details.
pub fn api_error(e: DetectionError) -> ApiError {
    match e {
        DetectionError::Invalid { field, rule } => {
            ApiError::invalid(field.clone(), format!("`{field}` {rule}"))
        }
        DetectionError::Refused(rule) => ApiError::new(StatusCode::FORBIDDEN, "refused", rule),
        DetectionError::ListRejected(why) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "list_rejected", why)
        }
        DetectionError::NotFound { kind, key } => {
            ApiError::not_found(format!("{kind} {key} not found"))
        }
        DetectionError::Conflict(why) => ApiError::new(StatusCode::CONFLICT, "conflict", why),
        DetectionError::Busy(why) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", why),
        DetectionError::Store(e) => ApiError::internal(&e),
    }
}

type Answer<T> = Result<T, ApiError>;

/// The organisation whose records the caller may see: `None` (all) for an
/// auditor, the caller's organisation for everyone else.
pub(crate) fn party(p: &Principal) -> Option<&str> {
    (p.role != Role::Auditor).then_some(p.organisation.as_str())
}

/// Whose reports the caller may list: an auditor every report, an
/// authority those addressed to it, anyone else its own organisation's.
pub(crate) fn report_scope(p: &Principal) -> reports::ReportScope<'_> {
    match p.role {
        Role::Auditor => reports::ReportScope::All,
        Role::Authority => reports::ReportScope::Recipient(&p.organisation),
        _ => reports::ReportScope::Provider(&p.organisation),
    }
}

/// For figures without personal data (error rates, transparency), signing
/// public keys and providers' own indicator statuses: the provider's and
/// reviewer's own; every provider's for authorities and auditors.
pub(crate) fn figures_party(p: &Principal) -> Option<&str> {
    (!matches!(p.role, Role::Auditor | Role::Authority)).then_some(p.organisation.as_str())
}

/// The bases the caller may see: its organisation's (provider, reviewer),
/// the detection orders it issued or requested (authority), or all (auditor).
pub(crate) async fn visible_bases(
    store: &Store,
    p: &Principal,
) -> Result<Vec<Basis>, DetectionError> {
    match p.role {
        Role::Auditor => basis::list(store, None).await,
        Role::Authority => Ok(basis::list(store, None)
            .await?
            .into_iter()
            .filter(|b| {
                b.facts.order.as_ref().is_some_and(|o| {
                    o.issuing_authority == p.organisation
                        || o.coordinating_authority == p.organisation
                })
            })
            .collect()),
        _ => basis::list(store, Some(&p.organisation)).await,
    }
}

fn parse_id<T>(name: &str, value: &str) -> Result<bulwark_core::Id<T>, ApiError> {
    value
        .parse()
        .map_err(|e: bulwark_core::ParseError| ApiError::invalid(name, e.to_string()))
}

/// One precomputed hash to scan.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HashItem {
    /// The provider's reference for the content (kept; the content is not).
    #[serde(default)]
    pub content_ref: Option<String>,
    /// PDQ hash, 64 hex digits.
    pub hash: String,
    /// Its PDQ quality (0-100).
    pub quality: u8,
}

/// A batch of precomputed PDQ hashes to scan under one basis.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// The detection order or voluntary basis scanned under.
    pub basis_id: BasisId,
    /// The service scanned (checked against the basis, CSA proposal Art. 7(8)).
    #[serde(default)]
    pub service: Option<String>,
    /// 1 to 1000 hashes.
    pub items: Vec<HashItem>,
}

/// Scans precomputed PDQ hashes: every match enters the human-review queue.
#[utoipa::path(
    post,
    path = "/api/v1/detection/scan",
    tag = "detection",
    request_body = ScanRequest,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 200, description = "One result per item, in order", body = [ScanResult]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking, or no active basis covers the scan (the rule is named)", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn scan_hashes(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(req): ApiJson<ScanRequest>,
) -> Answer<Json<Vec<ScanResult>>> {
    if req.items.len() > MAX_SCAN_ITEMS {
        return Err(ApiError::invalid(
            "items",
            format!("`items` at most {MAX_SCAN_ITEMS} per request"),
        ));
    }
    let items: Vec<ScanItem<'_>> = req
        .items
        .iter()
        .map(|i| ScanItem {
            content_ref: i.content_ref.clone(),
            input: ScanInput::Hash {
                pdq: &i.hash,
                quality: i.quality,
            },
        })
        .collect();
    let single = items.len() == 1;
    let now = Timestamp::now();
    // The basis from memory (its status is re-read in the recording
    // transaction), the items matched in memory, then recorded by the
    // group-commit writer: the answer follows the commit.
    let outcome = async {
        let basis = app
            .bases
            .require_active(
                &app.store,
                req.basis_id,
                &caller.organisation,
                req.service.as_deref(),
                now,
            )
            .await?;
        let scans = scan::evaluate_all(&app.detection, &basis, &items)?;
        app.recorder
            .record(ScanJob {
                actor: caller.actor(),
                basis,
                purpose,
                scans,
                now,
            })
            .await
    };
    outcome.await.map(Json).map_err(|e| match e {
        // The pillar names a lone item's field without its index.
        DetectionError::Invalid { field, rule } if single && !field.starts_with("items") => {
            api_error(DetectionError::Invalid {
                field: format!("items[0].{field}"),
                rule,
            })
        }
        other => api_error(other),
    })
}

/// Where an uploaded image is scanned.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImageScanQuery {
    /// The basis scanned under (UUID).
    pub basis_id: String,
    /// The provider's reference for the content.
    #[serde(default)]
    pub content_ref: Option<String>,
    /// The service scanned.
    #[serde(default)]
    pub service: Option<String>,
}

const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];

/// Scans one image: the body's bytes are hashed in memory (PDQ with its
/// dihedral variants, MD5, SHA-256) and dropped; only the hashes are kept.
#[utoipa::path(
    post,
    path = "/api/v1/detection/scan/image",
    tag = "detection",
    request_body(content = Vec<u8>, description = "The image file (at most 16 MiB)", content_type = "image/png"),
    params(
        ImageScanQuery,
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The result", body = ScanResult),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking, or no active basis covers the scan (the rule is named)", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than 16 MiB", body = crate::error::ErrorBody),
        (status = 415, description = "Not image/jpeg, image/png, image/webp or image/gif", body = crate::error::ErrorBody),
        (status = 422, description = "Bad parameter or undecodable image", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn scan_image(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    query: Result<Query<ImageScanQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer<Json<ScanResult>> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !IMAGE_TYPES.contains(&ct.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the image with Content-Type image/jpeg, image/png, image/webp or image/gif",
        ));
    }
    let Query(q) = query.map_err(|e| {
        let text = e.body_text();
        let field = if text.contains("basis_id") {
            "basis_id"
        } else {
            "(query)"
        };
        ApiError::invalid(field, text)
    })?;
    let basis_id: BasisId = parse_id("basis_id", &q.basis_id)?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the image exceeds the limit of {IMAGE_BODY_LIMIT_BYTES} bytes"),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                rejection.body_text(),
            )
        }
    })?;
    if bytes.is_empty() {
        return Err(ApiError::invalid("image", "`image` the body is empty"));
    }
    let now = Timestamp::now();
    let basis = app
        .bases
        .require_active(
            &app.store,
            basis_id,
            &caller.organisation,
            q.service.as_deref(),
            now,
        )
        .await
        .map_err(api_error)?;
    // Decoding and hashing are CPU work: off the async threads, at most
    // one image per core at a time (the others wait for a permit rather
    // than crowd the cores). The bytes move into the task and are dropped there.
    let permit = app
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal(&e))?;
    let matcher: Arc<Matcher> = app.detection.clone();
    let task_basis = basis.clone();
    let content_ref = q.content_ref.clone();
    let evaluated = tokio::task::spawn_blocking(move || {
        let item = ScanItem {
            content_ref,
            input: ScanInput::Image(&bytes),
        };
        scan::evaluate(&matcher, &task_basis, &item)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(api_error)?;
    drop(permit);
    let mut results = app
        .recorder
        .record(ScanJob {
            actor: caller.actor(),
            basis,
            purpose,
            scans: vec![evaluated],
            now,
        })
        .await
        .map_err(api_error)?;
    results
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError::internal(&"scan recorded no result"))
}

/// The imported indicator lists with version, digest and active counts.
#[utoipa::path(
    get,
    path = "/api/v1/detection/lists",
    tag = "detection",
    responses(
        (status = 200, description = "Lists", body = [ListSummary]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_lists(State(app): State<AppState>) -> Answer<Json<Vec<ListSummary>>> {
    lists::list(&app.store).await.map(Json).map_err(api_error)
}

/// Imports one signed list version (all or nothing) and applies its diff to
/// the live matcher.
#[utoipa::path(
    post,
    path = "/api/v1/detection/lists",
    tag = "detection",
    request_body = SignedEnvelope,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "Imported; what changed", body = ListChange),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 422, description = "Rejected: signature, key, version chain or a field", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import_list(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(envelope): ApiJson<SignedEnvelope>,
) -> Answer<(StatusCode, Json<ListChange>)> {
    let change = lists::import(
        &app.store,
        &caller.actor(),
        &envelope,
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(api_error)?;
    app.detection
        .catch_up(&app.store)
        .await
        .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(change)))
}

/// Trusts a list issuer's public key.
#[utoipa::path(
    post,
    path = "/api/v1/detection/keys",
    tag = "detection",
    request_body = TrustedKey,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "Trusted", body = TrustedKey),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 409, description = "Already trusted", body = crate::error::ErrorBody),
        (status = 422, description = "Malformed key", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn trust_key(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(key): ApiJson<TrustedKey>,
) -> Answer<(StatusCode, Json<TrustedKey>)> {
    lists::trust_key(
        &app.store,
        &caller.actor(),
        &key.public(),
        key.role,
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(key)))
}

fn parse_seq(seq: &str) -> Result<i64, ApiError> {
    seq.parse::<i64>()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| ApiError::invalid("seq", "`seq` must be a positive integer"))
}

/// One indicator with its status history: the deployment-wide status, and
/// the caller's organisation's own status and events (every provider's
/// events for authorities and auditors).
#[utoipa::path(
    get,
    path = "/api/v1/detection/indicators/{seq}",
    tag = "detection",
    params(("seq" = i64, Path, description = "The indicator's index id")),
    responses(
        (status = 200, description = "The indicator", body = IndicatorView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such indicator", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_indicator(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(seq): Path<String>,
) -> Answer<Json<IndicatorView>> {
    let seq = parse_seq(&seq)?;
    lists::indicator_for(&app.store, seq, figures_party(&caller))
        .await
        .map(Json)
        .map_err(api_error)
}

/// A new status for an indicator.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorStatusChange {
    /// `active`, `disabled` or `quarantined` (`removed` is the issuer's, by list version).
    pub status: IndicatorStatus,
    /// Why (required).
    pub reason: String,
}

/// Disables, quarantines or re-activates an indicator; the live matcher follows.
#[utoipa::path(
    post,
    path = "/api/v1/detection/indicators/{seq}/status",
    tag = "detection",
    request_body = IndicatorStatusChange,
    params(
        ("seq" = i64, Path, description = "The indicator's index id"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The indicator", body = IndicatorView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such indicator", body = crate::error::ErrorBody),
        (status = 409, description = "Removed by its issuer", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_indicator_status(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(seq): Path<String>,
    ApiJson(change): ApiJson<IndicatorStatusChange>,
) -> Answer<Json<IndicatorView>> {
    let seq = parse_seq(&seq)?;
    // The caller's organisation's own status: it takes the indicator out of
    // (or back into) that organisation's scans only.
    let view = lists::set_status(
        &app.store,
        &caller.actor(),
        seq,
        change.status,
        &change.reason,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(api_error)?;
    // Applies the committed status: active indicators go (back) into the
    // index, any other status takes it out.
    app.detection
        .catch_up(&app.store)
        .await
        .map_err(api_error)?;
    Ok(Json(view))
}

/// The legal bases the caller may see, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/detection/bases",
    tag = "detection",
    responses(
        (status = 200, description = "Detection orders and voluntary bases", body = [Basis]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_bases(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<Vec<Basis>>> {
    visible_bases(&app.store, &caller)
        .await
        .map(Json)
        .map_err(api_error)
}

/// Declares a basis of the caller's own organisation: a voluntary-detection
/// basis (Regulation (EU) 2021/1232 regime) or a specific measure against
/// terrorist content after an exposure decision (TCO Regulation Art. 5).
#[utoipa::path(
    post,
    path = "/api/v1/detection/bases",
    tag = "detection",
    request_body = NewBasis,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "Declared and active", body = Basis),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule (the article is cited)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn declare_basis(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(new): ApiJson<NewBasis>,
) -> Answer<(StatusCode, Json<Basis>)> {
    if new.kind == BasisKind::Order {
        return Err(ApiError::invalid(
            "kind",
            "`kind` a provider declares `voluntary` bases and `specific_measure`s (TCO Art. 5(2)); detection orders are issued by an authority at /api/v1/detection/orders",
        ));
    }
    if new.provider != caller.organisation {
        return Err(ApiError::invalid(
            "provider",
            format!(
                "`provider` must be the caller's organisation `{}`",
                caller.organisation
            ),
        ));
    }
    let b = basis::create(&app.store, &caller.actor(), new, Timestamp::now(), &purpose)
        .await
        .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(b)))
}

/// Issues a detection order (CSA proposal Arts 7-9) to a provider; the
/// caller's organisation must be its issuing or coordinating authority.
#[utoipa::path(
    post,
    path = "/api/v1/detection/orders",
    tag = "detection",
    request_body = NewBasis,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "Recorded", body = Basis),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule (the article is cited)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn issue_order(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(new): ApiJson<NewBasis>,
) -> Answer<(StatusCode, Json<Basis>)> {
    if new.kind != BasisKind::Order {
        return Err(ApiError::invalid(
            "kind",
            "`kind` must be `order` here; providers declare voluntary bases and specific measures at /api/v1/detection/bases",
        ));
    }
    if let Some(o) = &new.order
        && o.issuing_authority != caller.organisation
        && o.coordinating_authority != caller.organisation
    {
        return Err(ApiError::invalid(
            "order.issuing_authority",
            format!(
                "`order.issuing_authority` or `order.coordinating_authority` must be the caller's organisation `{}`",
                caller.organisation
            ),
        ));
    }
    let b = basis::create(&app.store, &caller.actor(), new, Timestamp::now(), &purpose)
        .await
        .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(b)))
}

/// A new status for a basis.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BasisStatusChange {
    /// `active`, `suspended` or `revoked` (a revoked basis stays revoked).
    pub status: BasisStatus,
}

/// Suspends, revokes or re-activates one of the caller's bases.
#[utoipa::path(
    post,
    path = "/api/v1/detection/bases/{id}/status",
    tag = "detection",
    request_body = BasisStatusChange,
    params(
        ("id" = String, Path, description = "Basis id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The basis", body = Basis),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such basis of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "Revoked", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_basis_status(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<BasisStatusChange>,
) -> Answer<Json<Basis>> {
    let id: BasisId = parse_id("id", &id)?;
    let changed = basis::set_status(
        &app.store,
        &caller.actor(),
        id,
        change.status,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await;
    app.bases.invalidate(id);
    changed.map(Json).map_err(api_error)
}

/// Suspends, revokes or re-activates a detection order the caller's
/// organisation issued or requested.
#[utoipa::path(
    post,
    path = "/api/v1/detection/orders/{id}/status",
    tag = "detection",
    request_body = BasisStatusChange,
    params(
        ("id" = String, Path, description = "Basis id of the order (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The order", body = Basis),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such order of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "Revoked", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn set_order_status(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(change): ApiJson<BasisStatusChange>,
) -> Answer<Json<Basis>> {
    let id: BasisId = parse_id("id", &id)?;
    let current = basis::get(&app.store, id, None).await.map_err(api_error)?;
    let issued_by_caller = current.facts.order.as_ref().is_some_and(|o| {
        o.issuing_authority == caller.organisation
            || o.coordinating_authority == caller.organisation
    });
    if !issued_by_caller {
        return Err(ApiError::not_found(format!(
            "detection order {id} not found"
        )));
    }
    let changed = basis::set_status(
        &app.store,
        &caller.actor(),
        id,
        change.status,
        None,
        Timestamp::now(),
        &purpose,
    )
    .await;
    app.bases.invalidate(id);
    changed.map(Json).map_err(api_error)
}

/// The human-review queue of the caller's organisation, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/detection/review",
    tag = "detection",
    responses(
        (status = 200, description = "Matches pending review", body = [MatchView]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn review_queue(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<Vec<MatchView>>> {
    review::queue(&app.store, Some(&caller.organisation))
        .await
        .map(Json)
        .map_err(api_error)
}

/// One match with the indicator behind it and its history.
#[utoipa::path(
    get,
    path = "/api/v1/detection/matches/{id}",
    tag = "detection",
    params(("id" = String, Path, description = "Match id (UUID)")),
    responses(
        (status = 200, description = "The match", body = MatchDetail),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such match of the caller's", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_match(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Answer<Json<MatchDetail>> {
    let id: MatchId = parse_id("id", &id)?;
    review::get(&app.store, id, party(&caller))
        .await
        .map(Json)
        .map_err(api_error)
}

/// Confirms or rejects a match with a reason; a rejection puts the hash on
/// the provider's negative list (store and live matcher).
#[utoipa::path(
    post,
    path = "/api/v1/detection/matches/{id}/decision",
    tag = "detection",
    request_body = ReviewDecision,
    params(
        ("id" = String, Path, description = "Match id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The decided match", body = MatchDetail),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such match of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "Already decided", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn decide_match(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(decision): ApiJson<ReviewDecision>,
) -> Answer<Json<MatchDetail>> {
    let id: MatchId = parse_id("id", &id)?;
    review::decide(
        &app.store,
        &app.detection,
        &caller.actor(),
        id,
        &decision,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(api_error)
}

/// Records that the provider removed, or disabled access to, the content of
/// a confirmed match; the match and its scan's data are then preserved for
/// the regime's period (TCO Art. 6(1): six months; CSA proposal Art. 22(1):
/// 12 months from the report or removal) and the removal is counted in the
/// transparency figures (TCO Art. 7(3)(c)).
#[utoipa::path(
    post,
    path = "/api/v1/detection/matches/{id}/removal",
    tag = "detection",
    request_body = RemovalRecord,
    params(
        ("id" = String, Path, description = "Match id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The match with its removal and preservation date", body = MatchDetail),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such match of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "Not confirmed by a reviewer, or already recorded", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record_match_removal(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(record): ApiJson<RemovalRecord>,
) -> Answer<Json<MatchDetail>> {
    let id: MatchId = parse_id("id", &id)?;
    review::record_removal(
        &app.store,
        &caller.actor(),
        id,
        &record,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(api_error)
}

/// Extends the preservation of a match whose content was removed, at a
/// competent authority's or court's request (TCO Art. 6(2), CSA proposal
/// Art. 22(2)).
#[utoipa::path(
    post,
    path = "/api/v1/detection/matches/{id}/preservation",
    tag = "detection",
    request_body = PreservationRequest,
    params(
        ("id" = String, Path, description = "Match id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The match with its extended preservation", body = MatchDetail),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such match of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "No removal recorded", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn extend_match_preservation(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PreservationRequest>,
) -> Answer<Json<MatchDetail>> {
    let id: MatchId = parse_id("id", &id)?;
    review::extend_preservation(
        &app.store,
        &caller.actor(),
        id,
        &request,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(api_error)
}

/// Records that the content of a match, removed after confirmation, is
/// back online: after a complaint the provider reversed (TCO Art. 10(2)) or
/// a review decision (Art. 9). Counted in the transparency figures (TCO
/// Art. 7(3)(f)-(g)).
#[utoipa::path(
    post,
    path = "/api/v1/detection/matches/{id}/reinstatement",
    tag = "detection",
    request_body = ReinstatementRequest,
    params(
        ("id" = String, Path, description = "Match id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The match with its removal and reinstatement", body = MatchDetail),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such match of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "No removal recorded, already reinstated, or the complaint not decided `reversed`", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reinstate_match(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ReinstatementRequest>,
) -> Answer<Json<MatchDetail>> {
    let id: MatchId = parse_id("id", &id)?;
    reinstatement::reinstate_match(
        &app.store,
        &caller.actor(),
        id,
        &request,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(api_error)
}

/// Records that the content of an executed removal order is back online:
/// scrutiny of a cross-border order found an infringement (TCO Art. 4(7)),
/// or review proceedings annulled it (Art. 9). Counted in the transparency
/// figures (TCO Art. 7(3)(f)).
#[utoipa::path(
    post,
    path = "/api/v1/detection/removal-orders/{id}/reinstatement",
    tag = "detection",
    request_body = ReinstatementRequest,
    params(
        ("id" = String, Path, description = "Removal order id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The order with its reinstatement", body = RemovalOrderView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such order addressed to the caller", body = crate::error::ErrorBody),
        (status = 409, description = "Not executed, or already reinstated", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reinstate_removal_order(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ReinstatementRequest>,
) -> Answer<Json<RemovalOrderView>> {
    let id: RemovalId = parse_id("id", &id)?;
    reinstatement::reinstate_order(
        &app.store,
        &caller.actor(),
        id,
        &request,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(api_error)
}

/// The signed reports the caller may see, newest first: a provider its own,
/// an authority those addressed to it (`recipient`), an auditor all.
#[utoipa::path(
    get,
    path = "/api/v1/detection/reports",
    tag = "detection",
    responses(
        (status = 200, description = "Reports with their signatures and markings", body = [Report]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_reports(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<Vec<Report>>> {
    reports::list(&app.store, report_scope(&caller))
        .await
        .map(Json)
        .map_err(api_error)
}

/// Makes and signs the report of a confirmed match (CSA proposal Art. 13, Annex III).
#[utoipa::path(
    post,
    path = "/api/v1/detection/reports",
    tag = "detection",
    request_body = NewReport,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "The signed report", body = Report),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such match of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "Not confirmed, or already reported", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_report(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(input): ApiJson<NewReport>,
) -> Answer<(StatusCode, Json<Report>)> {
    let r = reports::create(
        &app.store,
        &caller.actor(),
        input,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Why a provider replaces its report-signing key.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyReplacement {
    /// Why (required; kept with the retired key and in the audit log).
    pub reason: String,
}

/// Report-signing public keys, current and retired: a provider's own (and
/// a reviewer's organisation's); every provider's for authorities, which
/// verify the reports, and auditors.
#[utoipa::path(
    get,
    path = "/api/v1/detection/signing-keys",
    tag = "detection",
    responses(
        (status = 200, description = "Public keys: by provider, the retired in the order they were replaced, then the current one", body = [SigningKey]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_signing_keys(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<Vec<SigningKey>>> {
    keys::signing_keys(&app.store, figures_party(&caller))
        .await
        .map(Json)
        .map_err(api_error)
}

/// Replaces the caller's report-signing key pair (suspected compromise,
/// staff changes, schedule): later reports are signed with the new key;
/// those signed before keep verifying with the retired public key.
#[utoipa::path(
    post,
    path = "/api/v1/detection/signing-keys/replace",
    tag = "detection",
    request_body = KeyReplacement,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "The retired key and the new one", body = Replacement),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No key yet (one is made with the first report)", body = crate::error::ErrorBody),
        (status = 422, description = "No reason, or one too long", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn replace_signing_key(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(input): ApiJson<KeyReplacement>,
) -> Answer<(StatusCode, Json<Replacement>)> {
    let r = keys::replace(
        &app.store,
        &caller.actor(),
        &caller.organisation,
        &input.reason,
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Removal orders addressed to the caller (provider) or issued by it
/// (authority), with their clocks now; all for an auditor.
#[utoipa::path(
    get,
    path = "/api/v1/detection/removal-orders",
    tag = "detection",
    responses(
        (status = 200, description = "Orders, newest first", body = [RemovalOrderView]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_removal_orders(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<Vec<RemovalOrderView>>> {
    removal::list(&app.store, party(&caller), Timestamp::now())
        .await
        .map(Json)
        .map_err(api_error)
}

/// One removal order with its clock now.
#[utoipa::path(
    get,
    path = "/api/v1/detection/removal-orders/{id}",
    tag = "detection",
    params(("id" = String, Path, description = "Removal order id (UUID)")),
    responses(
        (status = 200, description = "The order", body = RemovalOrderView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such order of the caller's", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_removal_order(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Answer<Json<RemovalOrderView>> {
    let id: RemovalId = parse_id("id", &id)?;
    removal::get(&app.store, id, party(&caller), Timestamp::now())
        .await
        .map(Json)
        .map_err(api_error)
}

/// Issues a removal order (TCO Art. 3: one hour; CSA proposal Art. 14: 24
/// hours); the caller's organisation must be the issuing authority.
#[utoipa::path(
    post,
    path = "/api/v1/detection/removal-orders",
    tag = "detection",
    request_body = NewRemovalOrder,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "Recorded; the clock runs", body = RemovalOrderView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn issue_removal_order(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(order): ApiJson<NewRemovalOrder>,
) -> Answer<(StatusCode, Json<RemovalOrderView>)> {
    if order.authority != caller.organisation {
        return Err(ApiError::invalid(
            "authority",
            format!(
                "`authority` must be the caller's organisation `{}`",
                caller.organisation
            ),
        ));
    }
    let v = removal::receive(
        &app.store,
        &caller.actor(),
        order,
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The addressed provider executes an order, declares it impossible, or
/// records the clarification that restarts the clock.
#[utoipa::path(
    post,
    path = "/api/v1/detection/removal-orders/{id}/action",
    tag = "detection",
    request_body = RemovalAction,
    params(
        ("id" = String, Path, description = "Removal order id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The order with its clock", body = RemovalOrderView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such order addressed to the caller", body = crate::error::ErrorBody),
        (status = 409, description = "Not in a state that allows it", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn act_on_removal_order(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(action): ApiJson<RemovalAction>,
) -> Answer<Json<RemovalOrderView>> {
    let id: RemovalId = parse_id("id", &id)?;
    removal::act(
        &app.store,
        &caller.actor(),
        id,
        action,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(api_error)
}

/// Complaints handled by the caller's organisation (all for an auditor).
#[utoipa::path(
    get,
    path = "/api/v1/detection/complaints",
    tag = "detection",
    responses(
        (status = 200, description = "Complaints, newest first", body = [Complaint]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_complaints(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<Vec<Complaint>>> {
    complaints::list(&app.store, party(&caller), Timestamp::now())
        .await
        .map(Json)
        .map_err(api_error)
}

/// Records a user's complaint (CSA proposal Art. 10(4)(d), TCO Art. 10).
#[utoipa::path(
    post,
    path = "/api/v1/detection/complaints",
    tag = "detection",
    request_body = NewComplaint,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "Recorded", body = Complaint),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn file_complaint(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(c): ApiJson<NewComplaint>,
) -> Answer<(StatusCode, Json<Complaint>)> {
    let c = complaints::file(
        &app.store,
        &caller.actor(),
        &caller.organisation,
        c,
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(api_error)?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Decides a complaint once, with reasons (TCO Art. 10(2)).
#[utoipa::path(
    post,
    path = "/api/v1/detection/complaints/{id}/decision",
    tag = "detection",
    request_body = ComplaintDecision,
    params(
        ("id" = String, Path, description = "Complaint id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The decided complaint", body = Complaint),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 404, description = "No such complaint of the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "Already decided", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn decide_complaint(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
    ApiJson(d): ApiJson<ComplaintDecision>,
) -> Answer<Json<Complaint>> {
    let id: ComplaintId = parse_id("id", &id)?;
    complaints::decide(
        &app.store,
        &caller.actor(),
        id,
        d,
        Some(&caller.organisation),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(api_error)
}

/// Error figures from human review per list, indicator and basis (CSA
/// proposal Art. 83(1)(a); Regulation (EU) 2021/1232 Art. 3(1)(g)(vii)).
#[utoipa::path(
    get,
    path = "/api/v1/detection/error-rates",
    tag = "detection",
    responses(
        (status = 200, description = "Figures", body = [ErrorRate]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn error_rates(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<Vec<ErrorRate>>> {
    review::error_rates(&app.store, figures_party(&caller))
        .await
        .map(Json)
        .map_err(api_error)
}

/// The year of a transparency request.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// Calendar year (default: the current one).
    pub year: Option<String>,
}

/// Parses `?year=`, defaulting to the current year.
pub(crate) fn year_of(q: Option<&str>) -> Result<i32, ApiError> {
    match q {
        None | Some("") => Ok(Timestamp::now().as_datetime().year()),
        Some(y) => y
            .trim()
            .parse::<i32>()
            .map_err(|_| ApiError::invalid("year", "`year` must be a calendar year, e.g. 2026")),
    }
}

/// A year's transparency figures (CSA proposal Art. 83(1), TCO Art. 7(3),
/// Regulation (EU) 2021/1232 Art. 3(1)(g)(vii)), without personal data.
#[utoipa::path(
    get,
    path = "/api/v1/detection/transparency",
    tag = "detection",
    params(YearQuery),
    responses(
        (status = 200, description = "Figures", body = Figures),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
        (status = 422, description = "Bad year", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn transparency_figures(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Query(q): Query<YearQuery>,
) -> Answer<Json<Figures>> {
    let year = year_of(q.year.as_deref())?;
    transparency::figures(&app.store, figures_party(&caller), year)
        .await
        .map(Json)
        .map_err(api_error)
}

/// Runs the audited retention purge now (it also runs hourly).
#[utoipa::path(
    post,
    path = "/api/v1/detection/purge",
    tag = "detection",
    responses(
        (status = 200, description = "What was purged", body = PurgeReport),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role lacking", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn purge(
    State(app): State<AppState>,
    Caller(caller): Caller,
) -> Answer<Json<PurgeReport>> {
    retention::purge(&app.store, &caller.actor(), Timestamp::now())
        .await
        .map(Json)
        .map_err(api_error)
}

/// Runs the retention purge once as `system` (audited by the pillar);
/// a failure is logged (without record details) and retried at the next tick.
pub async fn purge_once(store: &Store) {
    match retention::purge(store, &Actor::system(), Timestamp::now()).await {
        Ok(r) => tracing::info!(
            reports = r.reports,
            removal_orders = r.removal_orders,
            "detection retention purge"
        ),
        Err(e) => tracing::error!(error = %e, "detection retention purge failed"),
    }
}

/// The hourly purge loop (the first run is [`purge_once`] at start-up).
pub async fn purge_schedule(store: Store) {
    let start = tokio::time::Instant::now() + PURGE_INTERVAL;
    let mut tick = tokio::time::interval_at(start, PURGE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        purge_once(&store).await;
    }
}

/// How often the flood guard looks for indicators that match too much.
pub const FLOOD_CHECK_INTERVAL: Duration = Duration::from_secs(300);

/// The flood-guard loop: every [`FLOOD_CHECK_INTERVAL`], quarantines
/// indicators over the default [`bulwark_detection::flood::FloodPolicy`]
/// (audited as `system`) and takes them out of the live matcher.
pub async fn flood_schedule(store: Store, matcher: Arc<Matcher>) {
    let start = tokio::time::Instant::now() + FLOOD_CHECK_INTERVAL;
    let mut tick = tokio::time::interval_at(start, FLOOD_CHECK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match bulwark_detection::flood::quarantine_floods(
            &store,
            &matcher,
            &Actor::system(),
            bulwark_detection::flood::FloodPolicy::default(),
            Timestamp::now(),
        )
        .await
        {
            Ok(q) if !q.is_empty() => {
                tracing::warn!(indicators = q.len(), "flood guard quarantined indicators")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "flood guard failed"),
        }
    }
}

/// Keeps the live matcher in step with changes other processes commit (the
/// CLI on the same database, another server on the same PostgreSQL): every
/// [`bulwark_detection::sync::CATCH_UP_EVERY`].
pub async fn catch_up_schedule(store: Store, matcher: Arc<Matcher>) {
    let every = bulwark_detection::sync::CATCH_UP_EVERY;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match matcher.catch_up(&store).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(indicators = n, "matcher applied changes of other processes"),
            Err(e) => tracing::error!(error = %e, "matcher catch-up failed"),
        }
    }
}

/// Registers the detection routes with their permissions. Every route is
/// organisation-scoped inside the handler, so the Member State rule is `Own`.
pub fn routes(r: Routes) -> Routes {
    use Permission::{
        DetectionAuthority, DetectionManage, DetectionRead, DetectionReview, DetectionScan,
    };
    let own = ScopeRule::Own;
    r.api::<__path_scan_hashes, _, _>(DetectionScan, own, scan_hashes)
        .api::<__path_scan_image, _, _>(
            DetectionScan,
            own,
            scan_image.layer(DefaultBodyLimit::max(IMAGE_BODY_LIMIT_BYTES)),
        )
        .api::<__path_get_lists, _, _>(DetectionRead, own, get_lists)
        .api::<__path_import_list, _, _>(DetectionManage, own, import_list)
        .api::<__path_trust_key, _, _>(DetectionManage, own, trust_key)
        .api::<__path_get_indicator, _, _>(DetectionRead, own, get_indicator)
        .api::<__path_set_indicator_status, _, _>(DetectionManage, own, set_indicator_status)
        .api::<__path_list_bases, _, _>(DetectionRead, own, list_bases)
        .api::<__path_declare_basis, _, _>(DetectionManage, own, declare_basis)
        .api::<__path_issue_order, _, _>(DetectionAuthority, own, issue_order)
        .api::<__path_set_basis_status, _, _>(DetectionManage, own, set_basis_status)
        .api::<__path_set_order_status, _, _>(DetectionAuthority, own, set_order_status)
        .api::<__path_review_queue, _, _>(DetectionReview, own, review_queue)
        .api::<__path_get_match, _, _>(DetectionRead, own, get_match)
        .api::<__path_decide_match, _, _>(DetectionReview, own, decide_match)
        .api::<__path_record_match_removal, _, _>(DetectionManage, own, record_match_removal)
        .api::<__path_extend_match_preservation, _, _>(
            DetectionManage,
            own,
            extend_match_preservation,
        )
        .api::<__path_reinstate_match, _, _>(DetectionManage, own, reinstate_match)
        .api::<__path_list_reports, _, _>(DetectionRead, own, list_reports)
        .api::<__path_create_report, _, _>(DetectionManage, own, create_report)
        .api::<__path_list_signing_keys, _, _>(DetectionRead, own, list_signing_keys)
        .api::<__path_replace_signing_key, _, _>(DetectionManage, own, replace_signing_key)
        .api::<__path_list_removal_orders, _, _>(DetectionRead, own, list_removal_orders)
        .api::<__path_get_removal_order, _, _>(DetectionRead, own, get_removal_order)
        .api::<__path_issue_removal_order, _, _>(DetectionAuthority, own, issue_removal_order)
        .api::<__path_act_on_removal_order, _, _>(DetectionManage, own, act_on_removal_order)
        .api::<__path_reinstate_removal_order, _, _>(DetectionManage, own, reinstate_removal_order)
        .api::<__path_list_complaints, _, _>(DetectionRead, own, list_complaints)
        .api::<__path_file_complaint, _, _>(DetectionManage, own, file_complaint)
        .api::<__path_decide_complaint, _, _>(DetectionManage, own, decide_complaint)
        .api::<__path_error_rates, _, _>(DetectionRead, own, error_rates)
        .api::<__path_transparency_figures, _, _>(DetectionRead, own, transparency_figures)
        .api::<__path_purge, _, _>(DetectionManage, own, purge)
}
