//! The access middleware: authenticate, authorise against the route
//! registry, audit every refusal. Deny by default.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;

use bulwark_core::Country;
use bulwark_store::audit::{self, AuditEntry};
use bulwark_store::tokens::{self, Principal};
use bulwark_store::{Actor, sessions};

use crate::AppState;
use crate::error::ApiError;
use crate::routes::{RouteSpec, ScopeRule, Surface};

/// The name of the console's session cookie.
pub const SESSION_COOKIE: &str = "bulwark_session";

/// What the middleware needs: the app and the route registry.
#[derive(Clone)]
pub(crate) struct AccessState {
    pub app: AppState,
    pub specs: Arc<Vec<RouteSpec>>,
}

/// The authenticated caller of a route, placed by the middleware.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The console session of a signed-in browser, placed by the middleware.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    /// The cookie value (to end the session).
    pub secret: String,
    /// The CSRF secret every form of this session must carry.
    pub csrf: String,
}

/// The purpose of a request, for the audit log: the `X-Purpose` header, or
/// a default naming the route.
#[derive(Debug, Clone)]
pub struct Purpose(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Purpose {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("x-purpose") {
            None => Ok(Purpose(format!("{} {}", parts.method, parts.uri.path()))),
            Some(v) => {
                let text = v.to_str().map_err(|_| {
                    ApiError::invalid("X-Purpose", "the purpose header must be visible ASCII")
                })?;
                if text.len() > 500 {
                    return Err(ApiError::invalid(
                        "X-Purpose",
                        "the purpose header is limited to 500 characters",
                    ));
                }
                Ok(Purpose(text.trim().to_string()))
            }
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

enum Refusal {
    Forbidden(String),
    BadScopeParameter(String),
}

async fn audit_refusal(
    app: &AppState,
    actor: &Actor,
    spec_line: &str,
    status: StatusCode,
    reason: &str,
) {
    let entry = AuditEntry::new("access.denied", spec_line, "access control").with_details(
        serde_json::json!({
            "status": status.as_u16(),
            "reason": reason,
        }),
    );
    if let Err(e) = audit::record(&app.store, actor, entry).await {
        tracing::error!(error = %e, "could not audit a refused access");
    }
}

fn check(
    spec: &RouteSpec,
    principal: &Principal,
    params: Option<&RawPathParams>,
) -> Result<(), Refusal> {
    if !principal.role.allows(spec.permission) {
        return Err(Refusal::Forbidden(format!(
            "role {} lacks permission {}",
            principal.role, spec.permission
        )));
    }
    match spec.scope {
        ScopeRule::Own => Ok(()),
        ScopeRule::EuWide if principal.scope.is_all() => Ok(()),
        ScopeRule::EuWide => Err(Refusal::Forbidden(format!(
            "this route needs an EU-wide token; the token's scope is {}",
            principal.scope
        ))),
        ScopeRule::PathMemberState(name) => {
            let value = params
                .and_then(|p| {
                    p.iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| v.to_string())
                })
                .unwrap_or_default();
            let country: Country = value.parse().map_err(|e: bulwark_core::ParseError| {
                Refusal::BadScopeParameter(format!("`{name}`: {e}"))
            })?;
            if principal.scope.covers(country) {
                Ok(())
            } else {
                Err(Refusal::Forbidden(format!(
                    "the token's Member State scope ({}) does not cover {country}",
                    principal.scope
                )))
            }
        }
    }
}

/// The middleware over every API and console route.
pub(crate) async fn authorize(
    State(state): State<AccessState>,
    req: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let Some(matched) = parts.extensions.get::<MatchedPath>().cloned() else {
        // Unmatched: the fallback answers 404 and serves no data.
        return next.run(Request::from_parts(parts, body)).await;
    };
    let line = format!("{} {}", parts.method, matched.as_str());
    let spec = state
        .specs
        .iter()
        .find(|s| s.method == parts.method && s.path == matched.as_str())
        .cloned();
    let Some(spec) = spec else {
        audit_refusal(
            &state.app,
            &anonymous(),
            &line,
            StatusCode::FORBIDDEN,
            "route declares no permission",
        )
        .await;
        return ApiError::forbidden("this route declares no permission and is refused")
            .into_response();
    };
    if spec.permission == bulwark_core::Permission::Public {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let params = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok();

    let found = match spec.surface {
        Surface::Api => match bearer(&parts.headers) {
            Some(secret) => tokens::authenticate(&state.app.store, secret)
                .await
                .map(|p| p.map(|p| (p, None))),
            None => Ok(None),
        },
        Surface::Console => {
            let jar = CookieJar::from_headers(&parts.headers);
            match jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) {
                Some(secret) => sessions::lookup(&state.app.store, &secret)
                    .await
                    .map(|found| found.map(|(p, csrf)| (p, Some(ConsoleSession { secret, csrf })))),
                None => Ok(None),
            }
        }
    };
    let (principal, session) = match found {
        Ok(Some(found)) => found,
        Ok(None) => {
            audit_refusal(
                &state.app,
                &anonymous(),
                &line,
                StatusCode::UNAUTHORIZED,
                "no valid credentials",
            )
            .await;
            return match spec.surface {
                Surface::Api => ApiError::unauthenticated().into_response(),
                Surface::Console if parts.method == axum::http::Method::GET => {
                    Redirect::to("/console/login").into_response()
                }
                Surface::Console => {
                    crate::console::error_page(StatusCode::UNAUTHORIZED, "Please sign in again.")
                        .into_response()
                }
            };
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Err(refusal) = check(&spec, &principal, params.as_ref()) {
        let (status, message) = match refusal {
            Refusal::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            Refusal::BadScopeParameter(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        };
        audit_refusal(&state.app, &principal.actor(), &line, status, &message).await;
        return match spec.surface {
            Surface::Api if status == StatusCode::UNPROCESSABLE_ENTITY => {
                ApiError::new(status, "invalid_field", message).into_response()
            }
            Surface::Api => ApiError::forbidden(message).into_response(),
            Surface::Console => crate::console::error_page(status, &message).into_response(),
        };
    }
    parts.extensions.insert(Caller(principal));
    if let Some(session) = session {
        parts.extensions.insert(session);
    }
    next.run(Request::from_parts(parts, body)).await
}

fn anonymous() -> Actor {
    Actor {
        id: "anonymous".into(),
        organisation: String::new(),
    }
}
