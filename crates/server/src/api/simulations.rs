//! `/api/v1/resilience/simulations`: stored runs of the cascading-disruption
//! simulation on the European model. The model spans every Member State, so
//! every route needs an EU-wide token. Handlers are thin calls into
//! `bulwark_resilience::simulations`; the run itself is scheduled by
//! [`crate::runner`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use bulwark_core::Timestamp;
use bulwark_resilience::simulations::{self, NewSimulation, SimulationId, SimulationRun};

use super::resilience::Refusal;
use crate::AppState;
use crate::access::{Caller, Purpose};
use crate::error::ApiError;
use crate::json::ApiJson;

/// How many runs a listing shows.
pub const LIST_LIMIT: u32 = 100;

type Answer<T> = Result<T, Refusal>;

/// Parses a run id from the path.
pub fn run_id(id: &str) -> Result<SimulationId, ApiError> {
    id.parse()
        .map_err(|e: bulwark_core::ParseError| ApiError::invalid("id", e.to_string()))
}

/// Starts a run of a catalogue scenario; it is queued and runs in the background.
#[utoipa::path(
    post,
    path = "/api/v1/resilience/simulations",
    tag = "resilience",
    request_body = NewSimulation,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 202, description = "Recorded as queued; poll its URL for progress", body = SimulationRun),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient (EU-wide tokens only)", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule (`scenario`, `samples`, `seed`)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn start_simulation(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(request): ApiJson<NewSimulation>,
) -> Answer<(
    StatusCode,
    [(header::HeaderName, String); 1],
    Json<SimulationRun>,
)> {
    let actor = caller.actor();
    let run = simulations::start(&app.store, &actor, &request, Timestamp::now(), &purpose)
        .await
        .map_err(Refusal::from)?;
    crate::runner::launch(app.runner.clone(), app.store.clone(), actor, run.clone());
    let location = format!("/api/v1/resilience/simulations/{}", run.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(run),
    ))
}

/// The newest runs (at most 100), newest first, without their summaries.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/simulations",
    tag = "resilience",
    responses(
        (status = 200, description = "Runs", body = [SimulationRun]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient (EU-wide tokens only)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_simulations(State(app): State<AppState>) -> Answer<Json<Vec<SimulationRun>>> {
    simulations::list(&app.store, LIST_LIMIT)
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// One run: status, progress and, when done, the result summary.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/simulations/{id}",
    tag = "resilience",
    params(("id" = String, Path, description = "Run id (UUID)")),
    responses(
        (status = 200, description = "The run", body = SimulationRun),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient (EU-wide tokens only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such run", body = crate::error::ErrorBody),
        (status = 422, description = "Malformed id", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_simulation(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Answer<Json<SimulationRun>> {
    let id = run_id(&id)?;
    simulations::get(&app.store, id)
        .await
        .map(Json)
        .map_err(Refusal::from)
}

/// The exceedance curve of a finished run as an SVG image.
pub async fn exceedance_response(app: &AppState, id: SimulationId) -> Answer<Response> {
    let run = simulations::get(&app.store, id)
        .await
        .map_err(Refusal::from)?;
    let Some(summary) = run.summary.as_ref() else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_finished",
            format!("the run is {}; the plot exists once it is done", run.status),
        )
        .into());
    };
    let title = format!(
        "{}: {} samples, seed {}",
        run.scenario, run.samples, run.seed
    );
    let svg = crate::plot::exceedance_svg(summary, &title).map_err(|e| ApiError::internal(&e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        svg,
    )
        .into_response())
}

/// The exceedance curve of a finished run (probability that one event exceeds a level of user-hours) as SVG.
#[utoipa::path(
    get,
    path = "/api/v1/resilience/simulations/{id}/exceedance.svg",
    tag = "resilience",
    params(("id" = String, Path, description = "Run id (UUID)")),
    responses(
        (status = 200, description = "The plot", content_type = "image/svg+xml", body = String),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient (EU-wide tokens only)", body = crate::error::ErrorBody),
        (status = 404, description = "No such run", body = crate::error::ErrorBody),
        (status = 409, description = "The run has not finished", body = crate::error::ErrorBody),
        (status = 422, description = "Malformed id", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn exceedance_svg(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Answer<Response> {
    let id = run_id(&id)?;
    exceedance_response(&app, id).await
}

/// Registers the simulation routes: starting needs `resilience:write`,
/// reading `resilience:read`; all need an EU-wide token.
pub fn routes(r: crate::routes::Routes) -> crate::routes::Routes {
    use crate::routes::ScopeRule::EuWide;
    use bulwark_core::Permission::{ResilienceRead, ResilienceWrite};
    r.api::<__path_start_simulation, _, _>(ResilienceWrite, EuWide, start_simulation)
        .api::<__path_list_simulations, _, _>(ResilienceRead, EuWide, list_simulations)
        .api::<__path_get_simulation, _, _>(ResilienceRead, EuWide, get_simulation)
        .api::<__path_exceedance_svg, _, _>(ResilienceRead, EuWide, exceedance_svg)
}
