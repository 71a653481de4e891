//! The route registry: every route is added with the permission it requires
//! and the Member State scope rule it applies, and the access middleware
//! ([`crate::access`]) refuses anything the registry does not grant.
//!
//! Routes take their method and path from their `#[utoipa::path]`
//! annotation, so the router and the OpenAPI document cannot disagree on
//! them. A route added to the router by any other means has no entry here
//! and is refused with 403 by the middleware: deny by default.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{MethodFilter, on};

use bulwark_core::Permission;

use crate::AppState;

/// Which Member States a route's request concerns, and so which token
/// scopes may call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule {
    /// The route only touches the caller's own data (e.g. `/api/v1/me`).
    Own,
    /// The route acts across all Member States (platform administration, the
    /// whole audit log): only an EU-wide (`*`) token may call it.
    EuWide,
    /// The route concerns the Member State named by this path parameter;
    /// the token's scope must cover it.
    PathMemberState(&'static str),
}

/// Which front end a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// JSON API under `/api/v1`, authenticated by bearer token.
    Api,
    /// Web console under `/console`, authenticated by session cookie.
    Console,
}

/// One registered route.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    /// HTTP method.
    pub method: Method,
    /// Path template in axum/OpenAPI syntax, e.g. `/api/v1/tokens/{id}`.
    pub path: String,
    /// The permission a caller's role must grant.
    pub permission: Permission,
    /// The Member State scope rule.
    pub scope: ScopeRule,
    /// API or console.
    pub surface: Surface,
}

/// A router under construction together with its registry.
pub struct Routes {
    pub(crate) router: Router<AppState>,
    pub(crate) specs: Vec<RouteSpec>,
}

impl Default for Routes {
    fn default() -> Self {
        Self::new()
    }
}

fn filter(method: &Method) -> MethodFilter {
    match *method {
        Method::POST => MethodFilter::POST,
        Method::PUT => MethodFilter::PUT,
        Method::PATCH => MethodFilter::PATCH,
        Method::DELETE => MethodFilter::DELETE,
        _ => MethodFilter::GET,
    }
}

fn http_method(m: &utoipa::openapi::HttpMethod) -> Method {
    use utoipa::openapi::HttpMethod as H;
    match m {
        H::Post => Method::POST,
        H::Put => Method::PUT,
        H::Patch => Method::PATCH,
        H::Delete => Method::DELETE,
        _ => Method::GET,
    }
}

impl Routes {
    /// An empty registry.
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    /// Adds an API route whose method and path come from its
    /// `#[utoipa::path]` annotation `P` (the generated `__path_<handler>`).
    pub fn api<P, H, T>(self, permission: Permission, scope: ScopeRule, handler: H) -> Self
    where
        P: utoipa::Path,
        H: Handler<T, AppState>,
        T: 'static,
    {
        let path = P::path();
        let mut out = self;
        for m in P::methods() {
            out = out.add(
                Surface::Api,
                http_method(&m),
                &path,
                permission,
                scope,
                handler.clone(),
            );
        }
        out
    }

    /// Adds a console route.
    pub fn console<H, T>(
        self,
        method: Method,
        path: &str,
        permission: Permission,
        scope: ScopeRule,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Surface::Console, method, path, permission, scope, handler)
    }

    fn add<H, T>(
        mut self,
        surface: Surface,
        method: Method,
        path: &str,
        permission: Permission,
        scope: ScopeRule,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter(&method), handler));
        self.specs.push(RouteSpec {
            method,
            path: path.to_string(),
            permission,
            scope,
            surface,
        });
        self
    }

    /// The registry so far.
    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }
}
