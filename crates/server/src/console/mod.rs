//! The web console: server-rendered pages over the same domain functions as
//! the API. Sign-in exchanges an API token for a session cookie (HttpOnly,
//! SameSite=Strict); every form carries the session's CSRF secret and every
//! POST must come from this origin.

mod detection;
mod forms;
mod layout;
mod pages;
mod resilience;
mod simulations;

use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use bulwark_core::Permission;

use crate::routes::{Routes, ScopeRule};

pub use forms::CsrfForm;

/// Registers the console's routes.
pub fn routes(r: Routes) -> Routes {
    use pages::*;
    let r = detection::routes(r);
    r.console(
        Method::GET,
        "/console/login",
        Permission::Public,
        ScopeRule::Own,
        login_page,
    )
    .console(
        Method::POST,
        "/console/login",
        Permission::Public,
        ScopeRule::Own,
        login_submit,
    )
    .console(
        Method::POST,
        "/console/logout",
        Permission::SelfRead,
        ScopeRule::Own,
        logout,
    )
    .console(
        Method::GET,
        "/console",
        Permission::SelfRead,
        ScopeRule::Own,
        dashboard,
    )
    .console(
        Method::GET,
        "/console/audit",
        Permission::AuditRead,
        ScopeRule::EuWide,
        audit_page,
    )
    .console(
        Method::GET,
        "/console/tokens",
        Permission::TokenManage,
        ScopeRule::EuWide,
        tokens_page,
    )
    .console(
        Method::POST,
        "/console/tokens",
        Permission::TokenManage,
        ScopeRule::EuWide,
        token_create,
    )
    .console(
        Method::POST,
        "/console/tokens/{id}/revoke",
        Permission::TokenManage,
        ScopeRule::EuWide,
        token_revoke,
    )
    .console(
        Method::GET,
        "/console/resilience/{ms}",
        Permission::ResilienceRead,
        ScopeRule::PathMemberState("ms"),
        resilience::overview,
    )
    .console(
        Method::GET,
        "/console/resilience/{ms}/entities/{key}",
        Permission::ResilienceRead,
        ScopeRule::PathMemberState("ms"),
        resilience::entity,
    )
    // Lists only the Member States of the caller's own scope, no records.
    .console(
        Method::GET,
        "/console/resilience/incidents",
        Permission::ResilienceRead,
        ScopeRule::Own,
        resilience::boards,
    )
    .console(
        Method::GET,
        "/console/resilience/{ms}/incidents",
        Permission::ResilienceRead,
        ScopeRule::PathMemberState("ms"),
        resilience::board,
    )
    // The European model spans every Member State: EU-wide tokens only.
    .console(
        Method::GET,
        "/console/resilience/simulations",
        Permission::ResilienceRead,
        ScopeRule::EuWide,
        simulations::runner_page,
    )
    .console(
        Method::POST,
        "/console/resilience/simulations",
        Permission::ResilienceWrite,
        ScopeRule::EuWide,
        simulations::start,
    )
    .console(
        Method::GET,
        "/console/resilience/simulations/{id}",
        Permission::ResilienceRead,
        ScopeRule::EuWide,
        simulations::run_page,
    )
    .console(
        Method::GET,
        "/console/resilience/simulations/{id}/exceedance.svg",
        Permission::ResilienceRead,
        ScopeRule::EuWide,
        simulations::plot,
    )
}

/// A plain error page (used by the access middleware too).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = layout::page(
        title,
        None,
        maud::html! {
            h1 { (status.as_u16()) " " (title) }
            p.error { (message) }
            p { a href="/console" { "Back to the console" } " · " a href="/console/login" { "Sign in" } }
        },
    );
    (status, Html(body.into_string())).into_response()
}
