//! `/api/v1/resilience/{ms}/...`: the resilience pillar (CER Directive,
//! NIS2 incident reporting). Every route names a Member State `ms`, and the
//! caller's token scope must cover it. Handlers are thin calls into
//! `bulwark_resilience`.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use bulwark_core::{Country, Role, Timestamp};
use bulwark_resilience::identification::{self, Identification};
use bulwark_resilience::import::{self, ImportFile, ImportSummary};
use bulwark_resilience::incidents::{self, IncidentId, IncidentView, NewIncident, StageReport};
use bulwark_resilience::registry::{self, Bundle, Entity, EntityDetail, EntityRecord};
use bulwark_resilience::services::{self, EssentialService};
use bulwark_resilience::thresholds::{self, Thresholds};
use bulwark_resilience::{Format, RecordKind, ResilienceError};

use crate::AppState;
use crate::access::{Caller, Purpose};
use crate::error::ApiError;
use crate::json::ApiJson;

/// A pillar error as an HTTP response; an import's bad rows are all listed
/// under `error.rows`.
fn fail(e: ResilienceError) -> Response {
    match e {
        ResilienceError::Invalid { field, rule } => {
            ApiError::invalid(field.clone(), format!("`{field}` {rule}")).into_response()
        }
        ResilienceError::NotFound { kind, key } => {
            ApiError::not_found(format!("{kind} {key} not found")).into_response()
        }
        ResilienceError::Import(rows) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({"error": {
                "status": 422,
                "code": "import_rejected",
                "message": format!("import rejected, nothing written: {} bad row(s)", rows.len()),
                "rows": rows,
            }})),
        )
            .into_response(),
        ResilienceError::Store(e) => ApiError::from(e).into_response(),
    }
}

fn member_state(ms: &str) -> Result<Country, ApiError> {
    ms.parse::<Country>()
        .map_err(|e| ApiError::invalid("ms", e.to_string()))
}

fn reporter(caller: &Caller) -> Option<&str> {
    (caller.0.role == Role::Entity).then_some(caller.0.organisation.as_str())
}

/// A refused request: an API error or a pillar error.
pub enum Refusal {
    /// Bad request parameters.
    Api(ApiError),
    /// The pillar refused or failed.
    Pillar(ResilienceError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Api(e)
    }
}

impl From<ResilienceError> for Refusal {
    fn from(e: ResilienceError) -> Self {
        Refusal::Pillar(e)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Api(e) => e.into_response(),
            Refusal::Pillar(e) => fail(e),
        }
    }
}

type Answer<T> = Result<T, Refusal>;

/// The essential services that count in a Member State: Reg. 2023/2450 plus national additions.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/services",
    tag = "resilience",
    params(("ms" = String, Path, description = "Member State code, e.g. DE")),
    responses(
        (status = 200, description = "Essential services", body = [EssentialService]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_services(
    State(app): State<AppState>,
    Path(ms): Path<String>,
) -> Answer<Json<Vec<EssentialService>>> {
    let ms = member_state(&ms)?;
    services::catalogue(&app.store, Some(ms))
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Entities established in the Member State.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/entities",
    tag = "resilience",
    params(("ms" = String, Path, description = "Member State code")),
    responses(
        (status = 200, description = "Entities", body = [Entity]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_entities(
    State(app): State<AppState>,
    Path(ms): Path<String>,
) -> Answer<Json<Vec<Entity>>> {
    let ms = member_state(&ms)?;
    registry::list_entities(&app.store, Some(ms))
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Registers (or updates, by key) one entity of the Member State.
#[utoipa::path(
    post,
    path = "/api/v1/resilience/{ms}/entities",
    tag = "resilience",
    request_body = EntityRecord,
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 201, description = "Registered", body = Entity),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_entity(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(ms): Path<String>,
    ApiJson(record): ApiJson<EntityRecord>,
) -> Answer<(StatusCode, Json<Entity>)> {
    let ms = member_state(&ms)?;
    let key = record.key.clone();
    let bundle = Bundle {
        entities: vec![record],
        ..Bundle::default()
    };
    import::import_bundle(
        &app.store,
        &caller.actor(),
        "request",
        &bundle,
        Some(ms),
        &purpose,
    )
    .await
    .map_err(Refusal::from)?;
    let entity = registry::get_entity(&app.store, Some(ms), &key)
        .await
        .map_err(Refusal::from)?;
    Ok((StatusCode::CREATED, Json(entity)))
}

/// One entity with its provisions, assets and dependencies.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/entities/{key}",
    tag = "resilience",
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("key" = String, Path, description = "Entity key"),
    ),
    responses(
        (status = 200, description = "The entity", body = EntityDetail),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 404, description = "No such entity in this Member State", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_entity(
    State(app): State<AppState>,
    Path((ms, key)): Path<(String, String)>,
) -> Answer<Json<EntityDetail>> {
    let ms = member_state(&ms)?;
    registry::entity_detail(&app.store, Some(ms), &key)
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Identification of an entity (CER Art. 6(2), 7(1), 8, 17(1)), explained.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/entities/{key}/identification",
    tag = "resilience",
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("key" = String, Path, description = "Entity key"),
    ),
    responses(
        (status = 200, description = "Tests and criteria with their numbers", body = Identification),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 404, description = "No such entity in this Member State", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn identify(
    State(app): State<AppState>,
    Path((ms, key)): Path<(String, String)>,
) -> Answer<Json<Identification>> {
    let ms = member_state(&ms)?;
    identification::identify(&app.store, ms, &key)
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Imports registry records, all or nothing: a JSON bundle, or CSV with `?kind=`.
#[utoipa::path(
    post,
    path = "/api/v1/resilience/{ms}/import",
    tag = "resilience",
    request_body(content = Bundle, description = "A JSON bundle (`application/json`) or one CSV file (`text/csv`, with `?kind=`)"),
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("kind" = Option<String>, Query, description = "For CSV: entities, provisions, assets or dependencies"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "Written", body = ImportSummary),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 422, description = "Rejected; `error.rows` lists every bad row (file, line, field, rule); nothing written"),
    ),
    security(("bearer" = []))
)]
pub async fn import_records(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(ms): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer<Json<ImportSummary>> {
    let ms = member_state(&ms)?;
    let content = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::invalid("(body)", "the body must be UTF-8 text"))?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let file = if ct == "text/csv" {
        let kind: RecordKind = query
            .get("kind")
            .ok_or_else(|| ApiError::invalid("kind", "a CSV body needs `?kind=`"))?
            .parse()
            .map_err(|e: bulwark_core::ParseError| ApiError::invalid("kind", e.to_string()))?;
        ImportFile {
            name: format!("{kind}.csv"),
            format: Format::Csv,
            kind: Some(kind),
            content,
        }
    } else if ct == "application/json" {
        ImportFile {
            name: "request.json".into(),
            format: Format::Json,
            kind: None,
            content,
        }
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json (a bundle) or text/csv (with ?kind=)",
        )
        .into());
    };
    import::import(&app.store, &caller.actor(), &[file], Some(ms), &purpose)
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Exports the Member State's registry: a JSON bundle, or one CSV with `?format=csv&kind=`.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/export",
    tag = "resilience",
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
        ("kind" = Option<String>, Query, description = "For CSV: entities, provisions, assets or dependencies"),
    ),
    responses(
        (status = 200, description = "The records; they import back unchanged", body = Bundle),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 422, description = "Bad format or kind", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export_records(
    State(app): State<AppState>,
    Path(ms): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer<Response> {
    let ms = member_state(&ms)?;
    let format: Format = query
        .get("format")
        .map(|f| f.parse())
        .transpose()
        .map_err(|e: bulwark_core::ParseError| ApiError::invalid("format", e.to_string()))?
        .unwrap_or(Format::Json);
    let bundle = registry::export(&app.store, Some(ms))
        .await
        .map_err(Refusal::from)?;
    match format {
        Format::Json => Ok(Json(bundle).into_response()),
        Format::Csv => {
            let kind: RecordKind = query
                .get("kind")
                .ok_or_else(|| ApiError::invalid("kind", "CSV export needs `?kind=`"))?
                .parse()
                .map_err(|e: bulwark_core::ParseError| ApiError::invalid("kind", e.to_string()))?;
            let text = import::to_csv(&bundle, kind).map_err(Refusal::from)?;
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response())
        }
    }
}

/// The national thresholds in force (CER Art. 7(1), 15(1)).
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/thresholds",
    tag = "resilience",
    params(("ms" = String, Path, description = "Member State code")),
    responses(
        (status = 200, description = "Thresholds", body = Thresholds),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_thresholds(
    State(app): State<AppState>,
    Path(ms): Path<String>,
) -> Answer<Json<Thresholds>> {
    let ms = member_state(&ms)?;
    thresholds::get(&app.store, ms)
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Sets the national thresholds (fields left out keep their defaults).
#[utoipa::path(
    put,
    path = "/api/v1/resilience/{ms}/thresholds",
    tag = "resilience",
    request_body = Thresholds,
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "Set", body = Thresholds),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn put_thresholds(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(ms): Path<String>,
    ApiJson(t): ApiJson<Thresholds>,
) -> Answer<Json<Thresholds>> {
    let ms = member_state(&ms)?;
    thresholds::set(&app.store, &caller.actor(), ms, &t, &purpose)
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Incidents notified in the Member State, with their clocks now.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/incidents",
    tag = "resilience",
    params(("ms" = String, Path, description = "Member State code")),
    responses(
        (status = 200, description = "Incidents, newest first", body = [IncidentView]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_incidents(
    State(app): State<AppState>,
    Path(ms): Path<String>,
) -> Answer<Json<Vec<IncidentView>>> {
    let ms = member_state(&ms)?;
    incidents::list(&app.store, ms, Timestamp::now())
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Notifies an incident (CER Art. 15, NIS2 Art. 23); its clocks start at `aware_at`.
#[utoipa::path(
    post,
    path = "/api/v1/resilience/{ms}/incidents",
    tag = "resilience",
    request_body = NewIncident,
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 201, description = "Recorded, with clocks, significance and routing", body = IncidentView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 404, description = "No such entity in this Member State", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn report_incident(
    State(app): State<AppState>,
    caller: Caller,
    Purpose(purpose): Purpose,
    Path(ms): Path<String>,
    ApiJson(incident): ApiJson<NewIncident>,
) -> Answer<(StatusCode, Json<IncidentView>)> {
    let ms = member_state(&ms)?;
    let view = incidents::report(
        &app.store,
        &caller.0.actor(),
        ms,
        incident,
        reporter(&caller),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map_err(Refusal::from)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One incident with its clocks now.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/{ms}/incidents/{id}",
    tag = "resilience",
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("id" = String, Path, description = "Incident id (UUID)"),
    ),
    responses(
        (status = 200, description = "The incident", body = IncidentView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 404, description = "No such incident in this Member State", body = crate::error::ErrorBody),
        (status = 422, description = "Malformed id", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_incident(
    State(app): State<AppState>,
    Path((ms, id)): Path<(String, String)>,
) -> Answer<Json<IncidentView>> {
    let ms = member_state(&ms)?;
    let id: IncidentId = id
        .parse()
        .map_err(|e: bulwark_core::ParseError| ApiError::invalid("id", e.to_string()))?;
    incidents::get(&app.store, ms, id, Timestamp::now())
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// Records a stage's report (initial notification, early warning, ...), stopping its clock.
#[utoipa::path(
    post,
    path = "/api/v1/resilience/{ms}/incidents/{id}/reports",
    tag = "resilience",
    request_body = StageReport,
    params(
        ("ms" = String, Path, description = "Member State code"),
        ("id" = String, Path, description = "Incident id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "The incident with its clocks", body = IncidentView),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 404, description = "No such incident in this Member State", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit_report(
    State(app): State<AppState>,
    caller: Caller,
    Purpose(purpose): Purpose,
    Path((ms, id)): Path<(String, String)>,
    ApiJson(report): ApiJson<StageReport>,
) -> Answer<Json<IncidentView>> {
    let ms = member_state(&ms)?;
    let id: IncidentId = id
        .parse()
        .map_err(|e: bulwark_core::ParseError| ApiError::invalid("id", e.to_string()))?;
    incidents::submit(
        &app.store,
        &caller.0.actor(),
        ms,
        id,
        report,
        reporter(&caller),
        Timestamp::now(),
        &purpose,
    )
    .await
    .map(Json)
    .map_err(Refusal::from)
}

/// Registers the resilience routes: reading needs `resilience:read`,
/// changing the registry `resilience:write`, notifying incidents
/// `incident:report`; every route is bound to the `ms` path parameter.
pub fn routes(r: crate::routes::Routes) -> crate::routes::Routes {
    use crate::routes::ScopeRule::PathMemberState;
    use bulwark_core::Permission::{IncidentReport, ResilienceRead, ResilienceWrite};
    let ms = PathMemberState("ms");
    r.api::<__path_list_services, _, _>(ResilienceRead, ms, list_services)
        .api::<__path_list_entities, _, _>(ResilienceRead, ms, list_entities)
        .api::<__path_put_entity, _, _>(ResilienceWrite, ms, put_entity)
        .api::<__path_get_entity, _, _>(ResilienceRead, ms, get_entity)
        .api::<__path_identify, _, _>(ResilienceRead, ms, identify)
        .api::<__path_import_records, _, _>(ResilienceWrite, ms, import_records)
        .api::<__path_export_records, _, _>(ResilienceRead, ms, export_records)
        .api::<__path_get_thresholds, _, _>(ResilienceRead, ms, get_thresholds)
        .api::<__path_put_thresholds, _, _>(ResilienceWrite, ms, put_thresholds)
        .api::<__path_list_incidents, _, _>(ResilienceRead, ms, list_incidents)
        .api::<__path_report_incident, _, _>(IncidentReport, ms, report_incident)
        .api::<__path_get_incident, _, _>(ResilienceRead, ms, get_incident)
        .api::<__path_submit_report, _, _>(IncidentReport, ms, submit_report)
}
