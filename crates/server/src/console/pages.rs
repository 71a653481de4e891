//! The console's pages. Each handler calls the same domain functions as the
//! API and renders the result.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::{Markup, html};
use serde::Deserialize;

use bulwark_core::{MemberStateScope, Permission, Role};
use bulwark_store::audit::{self, AuditEntry, AuditRecord, VerifyOptions};
use bulwark_store::tokens::{self, NewToken, TokenId};
use bulwark_store::{Actor, sessions};

use super::forms::{CsrfForm, same_origin};
use super::{error_page, layout};
use crate::AppState;
use crate::access::{Caller, ConsoleSession, SESSION_COOKIE};

fn html_page(markup: Markup) -> Response {
    Html(markup.into_string()).into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console error");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error; see the server log.",
    )
}

fn login_form(message: Option<&str>) -> Markup {
    layout::page(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            @if let Some(m) = message { p.error id="login-error" { (m) } }
            p { "Sign in with an API token (" code { "bulwark token create" } ", or the admin token "
                code { "bulwark serve --demo" } " prints)." }
            form method="post" action="/console/login" {
                label for="token" { "API token" }
                input type="password" id="token" name="token" autocomplete="off" required;
                " " button type="submit" id="sign-in" { "Sign in" }
            }
        },
    )
}

/// `GET /console/login`.
pub async fn login_page() -> Response {
    html_page(login_form(None))
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /console/login`: exchanges a token for a session cookie.
pub async fn login_submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    if !same_origin(&headers) {
        return error_page(
            StatusCode::FORBIDDEN,
            "Cross-origin form submissions are refused.",
        );
    }
    match sessions::sign_in(&app.store, form.token.trim()).await {
        Ok(Some((_principal, session))) => {
            let cookie = Cookie::build((SESSION_COOKIE, session.secret))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Strict)
                .secure(app.config.secure_cookies)
                .build();
            (jar.add(cookie), Redirect::to("/console")).into_response()
        }
        Ok(None) => {
            let actor = Actor {
                id: "anonymous".into(),
                organisation: String::new(),
            };
            let entry = AuditEntry::new("access.denied", "POST /console/login", "access control")
                .with_details(
                    serde_json::json!({"status": 401, "reason": "sign-in with an invalid token"}),
                );
            if let Err(e) = audit::record(&app.store, &actor, entry).await {
                return internal(e);
            }
            (
                StatusCode::UNAUTHORIZED,
                Html(login_form(Some("That token is not valid.")).into_string()),
            )
                .into_response()
        }
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /console/logout`.
pub async fn logout(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
    jar: CookieJar,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    if let Err(e) = sessions::sign_out(&app.store, &session.secret, &p).await {
        return internal(e);
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/console/login"),
    )
        .into_response()
}

fn audit_table(records: &[AuditRecord]) -> Markup {
    html! {
        table id="audit-table" {
            thead { tr { th { "#" } th { "Time (UTC)" } th { "Actor" } th { "Organisation" } th { "Action" } th { "Object" } th { "Purpose" } } }
            tbody {
                @for r in records {
                    tr {
                        td.mono { (r.seq) }
                        td.mono { (r.at.as_datetime().format("%Y-%m-%d %H:%M:%S")) }
                        td.mono { (r.actor) }
                        td { (r.organisation) }
                        td.mono { (r.action) }
                        td.mono { (r.object) }
                        td { (r.purpose) }
                    }
                }
            }
        }
    }
}

const PILLARS: [(&str, &str); 5] = [
    (
        "Resilience",
        "CER and NIS2: critical entities, risk assessments, cascading disruption, incidents.",
    ),
    (
        "Detection",
        "Known CSAM and terrorist material: PDQ hashing, indicator lists, human review.",
    ),
    (
        "Online harms",
        "DSA notices, statements of reasons, complaints, transparency reports.",
    ),
    (
        "Cooperation",
        "Prüm hit/no-hit searches, handling codes, cross-border case links.",
    ),
    (
        "Capability",
        "ASAP ammunition ramp-up and EDIRPA common procurement planning.",
    ),
];

/// `GET /console`: the dashboard.
pub async fn dashboard(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let recent = if p.role.allows(Permission::AuditRead) && p.scope.is_all() {
        match audit::recent(&app.store, 10).await {
            Ok(r) => Some(r),
            Err(e) => return internal(e),
        }
    } else {
        None
    };
    html_page(layout::page(
        "Dashboard",
        Some((&p, &session)),
        html! {
            h1 { "Dashboard" }
            p id="whoami" { "Signed in as " strong { (p.name) } " (" (p.role) ", " (p.organisation) ", scope " (p.scope) ")." }
            @if p.role.allows(Permission::ResilienceRead) {
                h2 { "Resilience" }
                ul id="resilience-links" {
                    li { a href="/console/resilience/incidents" id="dash-incidents" { "Incident boards" }
                         ": open incidents with their CER Art. 15 and NIS2 Art. 23 clocks" }
                    @if layout::may_simulate(&p) {
                        li { a href="/console/resilience/simulations" id="dash-simulations" { "Simulations" }
                             ": cascading disruption on the European model" }
                    }
                }
            }
            h2 { "Pillars" }
            div.cards {
                @for (name, what) in PILLARS {
                    div.card { h3 { (name) } p { (what) } }
                }
            }
            @if p.role.allows(Permission::DetectionRead) {
                p { a href="/console/detection" id="detection-link" { "Detection: bases, review queue, reports, removal orders, transparency" } }
            }
            @if let Some(records) = recent {
                h2 { "Recent audit events" }
                (audit_table(&records))
                p { a href="/console/audit" { "Whole audit log and verification" } }
            }
        },
    ))
}

/// `GET /console/audit`: the audit log with its verification status.
pub async fn audit_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let report = match audit::verify(&app.store, &VerifyOptions::default()).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let records = match audit::recent(&app.store, 200).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    html_page(layout::page(
        "Audit log",
        Some((&p, &session)),
        html! {
            h1 { "Audit log" }
            @if report.ok {
                p.ok id="chain-status" { "Chain verified: " (report.records) " records, head " code { (report.head.hash) } "." }
            } @else if let Some(b) = &report.first_break {
                p.bad id="chain-status" { "Chain BROKEN at record " (b.seq) ": " (b.reason) }
            }
            p { "Newest first; at most 200 shown. Export all with " code { "bulwark audit export" } "." }
            (audit_table(&records))
        },
    ))
}

fn tokens_body(
    app_tokens: &[tokens::TokenInfo],
    session: &ConsoleSession,
    issued: Option<&str>,
) -> Markup {
    html! {
        h1 { "API tokens" }
        @if let Some(secret) = issued {
            div.secret {
                p { strong { "New token, shown once. Copy it now: Bulwark keeps only its hash." } }
                code id="new-token" { (secret) }
            }
        }
        h2 { "Issue a token" }
        form method="post" action="/console/tokens" id="token-form" {
            input type="hidden" name="csrf" value=(session.csrf);
            label for="name" { "Name (who or what it is for)" }
            input id="name" name="name" required maxlength="100";
            label for="role" { "Role" }
            select id="role" name="role" {
                @for r in Role::ALL { option value=(r.as_str()) { (r.as_str()) } }
            }
            label for="organisation" { "Organisation" }
            input id="organisation" name="organisation" required maxlength="100";
            label for="scope" { "Member State scope (* or e.g. DE,AT)" }
            input id="scope" name="scope" value="*" required;
            label for="purpose" { "Purpose (for the audit log)" }
            input id="purpose" name="purpose" required;
            p { button type="submit" id="issue-token" { "Issue token" } }
        }
        h2 { "Tokens" }
        table id="token-table" {
            thead { tr { th { "Name" } th { "Role" } th { "Organisation" } th { "Scope" } th { "Issued" } th { "Status" } th {} } }
            tbody {
                @for t in app_tokens {
                    tr {
                        td { (t.name) }
                        td { (t.role) }
                        td { (t.organisation) }
                        td { (t.scope) }
                        td.mono { (t.created_at.as_datetime().format("%Y-%m-%d %H:%M")) }
                        td { @if t.revoked_at.is_some() { span.bad { "revoked" } } @else { span.ok { "active" } } }
                        td {
                            @if t.revoked_at.is_none() {
                                form method="post" action={ "/console/tokens/" (t.id) "/revoke" } {
                                    input type="hidden" name="csrf" value=(session.csrf);
                                    input type="hidden" name="purpose" value="revoked from the console";
                                    button type="submit" { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /console/tokens`.
pub async fn tokens_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    match tokens::list(&app.store).await {
        Ok(list) => html_page(layout::page(
            "Tokens",
            Some((&p, &session)),
            tokens_body(&list, &session, None),
        )),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
    role: String,
    organisation: String,
    scope: String,
    purpose: String,
}

/// `POST /console/tokens`: issues a token and shows its secret once.
pub async fn token_create(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Response {
    let role: Role = match form.role.parse() {
        Ok(r) => r,
        Err(e) => return error_page(StatusCode::UNPROCESSABLE_ENTITY, &format!("role: {e}")),
    };
    let scope: MemberStateScope = match form.scope.parse() {
        Ok(s) => s,
        Err(e) => return error_page(StatusCode::UNPROCESSABLE_ENTITY, &format!("scope: {e}")),
    };
    let request = NewToken {
        name: form.name,
        role,
        organisation: form.organisation,
        scope,
        expires_at: None,
    };
    let purpose = if form.purpose.trim().is_empty() {
        "console"
    } else {
        form.purpose.trim()
    };
    match tokens::create(&app.store, &p.actor(), &p.scope, request, purpose).await {
        Ok(issued) => match tokens::list(&app.store).await {
            Ok(list) => html_page(layout::page(
                "Tokens",
                Some((&p, &session)),
                tokens_body(&list, &session, Some(&issued.secret)),
            )),
            Err(e) => internal(e),
        },
        Err(bulwark_store::StoreError::Invalid { field, rule }) => error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{field}: {rule}"),
        ),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    purpose: String,
}

/// `POST /console/tokens/{id}/revoke`.
pub async fn token_revoke(
    State(app): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Response {
    let Ok(id) = id.parse::<TokenId>() else {
        return error_page(StatusCode::NOT_FOUND, "No such token.");
    };
    match tokens::revoke(&app.store, &p.actor(), id, &form.purpose).await {
        Ok(_) => Redirect::to("/console/tokens").into_response(),
        Err(bulwark_store::StoreError::NotFound { .. }) => {
            error_page(StatusCode::NOT_FOUND, "No such active token.")
        }
        Err(e) => internal(e),
    }
}
