//! Bulwark's HTTP front end.
//!
//! - `/api/v1/...`: the JSON API ([`api`]), bearer-token authenticated, its
//!   OpenAPI 3 document at `/api/v1/openapi.json` ([`openapi`]).
//! - `/console/...`: the server-rendered web console ([`console`]).
//! - `/healthz` (the process runs) and `/readyz` (the database answers).
//!
//! Every API and console route is registered in [`routes::Routes`] with the
//! permission it needs; [`access`] enforces it and audits refusals. Handlers
//! are thin: they parse, call one domain function, render.
//!
//! Architecture invariant: only this crate knows HTTP; it holds no business
//! rules and writes no SQL.

pub mod access;
pub mod api;
pub mod console;
pub mod error;
pub mod json;
pub mod openapi;
pub mod plot;
pub mod routes;
pub mod runner;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use bulwark_store::Store;

pub use routes::{RouteSpec, Routes, ScopeRule, Surface};

/// The largest request body accepted by default (bytes). Routes that take
/// uploads set their own limit.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Mark the session cookie `Secure` (set when served over HTTPS, as any
    /// deployment beyond loopback must be, typically behind a TLS proxy).
    pub secure_cookies: bool,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
    /// The open-data folder (`grid/`, `geo/`) the European model for
    /// simulation runs is built from; `None`: the project's `shared/data`
    /// as seen from the source tree (`bulwark_europe::default_data_root`).
    pub data_root: Option<std::path::PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            secure_cookies: false,
            request_timeout: Duration::from_secs(30),
            data_root: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// The OpenAPI document, built once at start-up.
    pub openapi: Arc<serde_json::Value>,
    /// The detection pillar's live indicator index (loaded at start-up,
    /// updated after each committed list or indicator change).
    pub detection: Arc<bulwark_detection::Matcher>,
    /// The detection bases in memory for the scan path (dropped after each
    /// basis write; statuses re-read in every recording transaction).
    pub bases: Arc<bulwark_detection::basis::BasisCache>,
    /// Records scans by group commit (one transaction for all waiting scans).
    pub recorder: Arc<bulwark_detection::recorder::Recorder>,
    /// Permits for image hashing on the blocking pool: one per core.
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// Runs simulation runs in the background.
    pub runner: Arc<runner::Runner>,
}

/// Most scans recorded in one group-commit transaction.
pub const SCAN_BATCH_MAX: usize = 2000;

/// Every API and console route with its permission (for tests and docs).
pub fn route_specs() -> Vec<RouteSpec> {
    console::routes(api::routes(Routes::new())).specs
}

/// Builds the whole application. `detection` is the live matcher, loaded
/// with `bulwark_detection::Matcher::load` after the pillar's migrations.
pub fn app(
    store: Store,
    config: ServerConfig,
    detection: Arc<bulwark_detection::Matcher>,
) -> Router {
    let registry = console::routes(api::routes(Routes::new()));
    let specs = Arc::new(registry.specs);
    let doc = openapi::document(&specs);
    let doc = serde_json::to_value(&doc).unwrap_or(serde_json::Value::Null);
    let data_root = config
        .data_root
        .clone()
        .unwrap_or_else(bulwark_europe::default_data_root);
    let bases = Arc::new(bulwark_detection::basis::BasisCache::new());
    let recorder = Arc::new(bulwark_detection::recorder::Recorder::new(
        store.clone(),
        bases.clone(),
        SCAN_BATCH_MAX,
    ));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let state = AppState {
        store,
        config: Arc::new(config.clone()),
        openapi: Arc::new(doc),
        detection,
        bases,
        recorder,
        hashing: Arc::new(tokio::sync::Semaphore::new(cores)),
        runner: Arc::new(runner::Runner::new(data_root)),
    };
    let access_state = access::AccessState {
        app: state.clone(),
        specs,
    };
    let guarded = registry.router.layer(middleware::from_fn_with_state(
        access_state,
        access::authorize,
    ));
    Router::new()
        .merge(guarded)
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(|| async { error::ApiError::not_found("no such route").into_response() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(log_request))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ))
        .with_state(state)
}

async fn readyz(State(app): State<AppState>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// Logs method, route template (never the concrete path or query, which may
/// carry identifiers), status and latency.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".into());
    let start = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        %method,
        route,
        status = response.status().as_u16(),
        ms = start.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight
/// requests finish and closes the database cleanly.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The pillars' own tables (idempotent).
    bulwark_resilience::migrate(&store)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // Runs a previous process left unfinished will not finish: say so.
    let interrupted = bulwark_resilience::simulations::interrupt_unfinished(
        &store,
        &bulwark_store::Actor::system(),
        bulwark_core::Timestamp::now(),
    )
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))?;
    if interrupted > 0 {
        tracing::warn!(
            runs = interrupted,
            "marked unfinished simulation runs as failed"
        );
    }
    bulwark_detection::migrate(&store)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let matcher = bulwark_detection::Matcher::load(&store)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    // Detection retention: purge at start, then hourly (audited as `system`).
    api::detection::purge_once(&store).await;
    let purger = tokio::spawn(api::detection::purge_schedule(store.clone()));
    let matcher = Arc::new(matcher);
    // Quarantine on flood, every few minutes (audited as `system`).
    let flood_guard = tokio::spawn(api::detection::flood_schedule(
        store.clone(),
        matcher.clone(),
    ));
    // Changes committed by other processes reach the matcher within a second.
    let follower = tokio::spawn(api::detection::catch_up_schedule(
        store.clone(),
        matcher.clone(),
    ));
    let router = app(store.clone(), config, matcher);
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    purger.abort();
    flood_guard.abort();
    follower.abort();
    store.close().await;
    result
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}
