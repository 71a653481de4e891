//! `/console/detection/...`: the detection pillar's pages: overview (bases,
//! orders, lists), the human-review queue with confirm/reject forms, reports
//! with their markings, removal orders with their clocks, and transparency
//! figures with error rates. The same domain functions and the same
//! organisation scoping as `/api/v1/detection`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use bulwark_core::{Marking, Permission, Timestamp};
use bulwark_detection::DetectionError;
use bulwark_detection::keys::{self, SigningKey};
use bulwark_detection::removal::{self, RemovalAction, RemovalId, RemovalOrderView};
use bulwark_detection::review::{self, MatchDetail, ReviewDecision};
use bulwark_detection::scan::MatchId;
use bulwark_detection::vocab::{Decision, RemovalState};
use bulwark_detection::{lists, reports, transparency};
use bulwark_store::tokens::Principal;

use super::forms::CsrfForm;
use super::{error_page, layout};
use crate::AppState;
use crate::access::{Caller, ConsoleSession};
use crate::api::detection::{figures_party, party, visible_bases, year_of};
use crate::routes::{Routes, ScopeRule};

/// Registers the detection pages with their permissions (organisation
/// scoping happens in the handlers, so the Member State rule is `Own`).
pub fn routes(r: Routes) -> Routes {
    use axum::http::Method;
    use bulwark_core::Permission::{DetectionManage, DetectionRead, DetectionReview};
    let own = ScopeRule::Own;
    r.console(
        Method::GET,
        "/console/detection",
        DetectionRead,
        own,
        overview,
    )
    .console(
        Method::GET,
        "/console/detection/review",
        DetectionReview,
        own,
        review_page,
    )
    .console(
        Method::POST,
        "/console/detection/matches/{id}/decision",
        DetectionReview,
        own,
        decide,
    )
    .console(
        Method::GET,
        "/console/detection/reports",
        DetectionRead,
        own,
        reports_page,
    )
    .console(
        Method::GET,
        "/console/detection/removal-orders",
        DetectionRead,
        own,
        removal_orders_page,
    )
    .console(
        Method::POST,
        "/console/detection/removal-orders/{id}/execute",
        DetectionManage,
        own,
        execute_order,
    )
    .console(
        Method::GET,
        "/console/detection/transparency",
        DetectionRead,
        own,
        transparency_page,
    )
}

/// How many queued matches the review page details (with indicator history).
const REVIEW_PAGE_SIZE: usize = 100;

fn failed(e: DetectionError) -> Response {
    match e {
        DetectionError::Store(e) => {
            tracing::error!(error = %e, "console error");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error; see the server log.",
            )
        }
        DetectionError::NotFound { kind, key } => {
            error_page(StatusCode::NOT_FOUND, &format!("No such {kind}: {key}."))
        }
        DetectionError::Conflict(why) => error_page(StatusCode::CONFLICT, &why),
        DetectionError::Refused(why) => error_page(StatusCode::FORBIDDEN, &why),
        other => error_page(StatusCode::UNPROCESSABLE_ENTITY, &other.to_string()),
    }
}

fn when(t: Timestamp) -> String {
    t.as_datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

fn marking_text(m: &Marking) -> String {
    let mut parts = Vec::new();
    if let Some(t) = m.tlp {
        parts.push(t.to_string());
    }
    if let Some(h) = m.handling {
        parts.push(h.to_string());
    }
    if let Some(c) = m.classification {
        parts.push(c.to_string());
    }
    if let Some(r) = &m.restriction {
        parts.push(format!("restriction: {r}"));
    }
    if parts.is_empty() {
        "(none)".into()
    } else {
        parts.join(" · ")
    }
}

/// `3h 05m left` / `1h 12m over`.
fn time_left(seconds: i64) -> String {
    let abs = seconds.unsigned_abs();
    let (h, m) = (abs / 3600, (abs % 3600) / 60);
    if seconds >= 0 {
        format!("{h}h {m:02}m left")
    } else {
        format!("{h}h {m:02}m over")
    }
}

/// The pillar's own navigation, showing only what the role may open.
fn subnav(p: &Principal) -> Markup {
    html! {
        p id="detection-nav" {
            a href="/console/detection" { "Overview" }
            @if p.role.allows(Permission::DetectionReview) { " · " a href="/console/detection/review" { "Review queue" } }
            " · " a href="/console/detection/reports" { "Reports" }
            " · " a href="/console/detection/removal-orders" { "Removal orders" }
            " · " a href="/console/detection/transparency" { "Transparency" }
        }
    }
}

fn render(title: &str, p: &Principal, session: &ConsoleSession, content: Markup) -> Response {
    Html(layout::page(title, Some((p, session)), html! { (subnav(p)) (content) }).into_string())
        .into_response()
}

/// `GET /console/detection`: bases and orders with their periods and
/// status, imported lists with version, digest and counts.
pub async fn overview(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let bases = match visible_bases(&app.store, &p).await {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let imported = match lists::list(&app.store).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let now = Timestamp::now();
    render(
        "Detection",
        &p,
        &session,
        html! {
            h1 { "Detection" }
            p { "Known material is matched by hash (PDQ, MD5, SHA-256) under a detection order (CSA proposal Arts 7-10) or a voluntary basis (Regulation (EU) 2021/1232 regime). No scan runs without an active basis; every match waits for human review. Bulwark never holds the content." }
            h2 { "Legal bases" }
            @if bases.is_empty() { p { "No detection order or voluntary basis." } }
            @else {
                table id="bases" {
                    tr { th { "Id" } th { "Kind" } th { "Provider / service" } th { "Reference" } th { "Period" } th { "Status" } th { "Scanning" } }
                    @for b in &bases {
                        tr {
                            td.mono { (b.id) }
                            td { (b.facts.kind) }
                            td { (b.facts.provider) " / " (b.facts.service) }
                            td {
                                @if let Some(o) = &b.facts.order { (o.reference) " (" (o.issuing_authority) ", " (o.member_state) ")" }
                                @if let Some(v) = &b.facts.voluntary { "Regulation (EU) " (v.instrument) ", DPIA " (v.dpia_reference) }
                            }
                            td.mono { (when(b.facts.valid_from)) " – " (when(b.facts.valid_until)) }
                            td { (b.status) }
                            td { @if b.in_force(now) { span.ok { "in force" } } @else { span.bad { "not in force" } } }
                        }
                    }
                }
            }
            h2 { "Indicator lists" }
            @if imported.is_empty() { p { "No list imported." } }
            @else {
                table id="lists" {
                    tr { th { "List" } th { "Issuer" } th { "Category" } th { "Version" } th { "Digest" } th { "Active" } th { "Inactive" } th { "Updated" } }
                    @for l in &imported {
                        tr {
                            td.mono { (l.list_id) }
                            td { (l.issuer) }
                            td { (l.category) }
                            td { (l.version) }
                            td.mono title=(l.digest) { (l.digest.get(..16).unwrap_or(&l.digest)) "…" }
                            td { (l.active) }
                            td { (l.inactive) }
                            td.mono { (when(l.updated_at)) }
                        }
                    }
                }
            }
        },
    )
}

fn match_card(d: &MatchDetail, session: &ConsoleSession) -> Markup {
    let m = &d.matched;
    let i = &d.indicator;
    html! {
        div.card id={ "match-" (m.id) } {
            p {
                strong { "Match " } code { (m.id) } " · " (when(m.created_at))
                @if let Some(r) = &m.content_ref { " · content " code { (r) } }
            }
            table {
                tr { th { "Scanned hash" } td.mono { (m.scanned_hash.as_deref().unwrap_or("-")) } }
                tr { th { "Quality" } td { @if let Some(q) = m.quality { (q) } @else { "-" } } }
                tr { th { "Distance" } td { (m.distance) } }
                tr { th { "Variant" } td { (m.variant) } }
                tr { th { "List" } td { code { (m.list_id) } " version " (m.list_version) } }
                tr { th { "Indicator" } td { code { (i.indicator_id) } " (#" (i.seq) ", " (i.category) ", " (i.status) ", since version " (i.since_version) ")" } }
                tr { th { "Indicator hash" } td.mono { (i.pdq.as_deref().unwrap_or("-")) } }
                tr { th { "Source" } td { (i.source) } }
                tr {
                    th { "Indicator history" }
                    td {
                        @if i.history.is_empty() { "no status changes" }
                        @for e in &i.history { div { (when(e.at)) ": " (e.status) " by " code { (e.actor) } " (" (e.reason) ")" } }
                    }
                }
            }
            form method="post" action={ "/console/detection/matches/" (m.id) "/decision" } {
                input type="hidden" name="csrf" value=(session.csrf);
                label for={ "reason-" (m.id) } { "Reason (required)" }
                input id={ "reason-" (m.id) } name="reason" required maxlength="1000";
                " "
                button type="submit" name="decision" value="confirm" id={ "confirm-" (m.id) } { "Confirm" }
                " "
                button type="submit" name="decision" value="reject" id={ "reject-" (m.id) } { "Reject (false positive)" }
            }
        }
    }
}

/// `GET /console/detection/review`: pending matches of the reviewer's
/// organisation with everything a reviewer may see (never the image).
pub async fn review_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let queue = match review::queue(&app.store, Some(&p.organisation)).await {
        Ok(q) => q,
        Err(e) => return failed(e),
    };
    let mut details = Vec::new();
    for m in queue.iter().take(REVIEW_PAGE_SIZE) {
        match review::get(&app.store, m.id, Some(&p.organisation)).await {
            Ok(d) => details.push(d),
            Err(e) => return failed(e),
        }
    }
    render(
        "Review queue",
        &p,
        &session,
        html! {
            h1 { "Review queue" }
            p id="queue-size" { (queue.len()) " match(es) pending review" @if queue.len() > REVIEW_PAGE_SIZE { " (the oldest " (REVIEW_PAGE_SIZE) " shown)" } "." }
            p { "Confirm only what is the known material; a rejection puts the scanned hash on your negative list and counts as a false positive (CSA proposal Art. 83(1)(a); Regulation (EU) 2021/1232 Art. 3(1)(g)(vii))." }
            div id="queue" {
                @for d in &details { (match_card(d, &session)) }
            }
        },
    )
}

/// The review form.
#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    reason: String,
}

/// `POST /console/detection/matches/{id}/decision`.
pub async fn decide(
    State(app): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Response {
    let Ok(id) = id.parse::<MatchId>() else {
        return error_page(StatusCode::NOT_FOUND, "No such match.");
    };
    let decision: Decision = match form.decision.parse() {
        Ok(d) => d,
        Err(e) => return error_page(StatusCode::UNPROCESSABLE_ENTITY, &format!("decision: {e}")),
    };
    let input = ReviewDecision {
        decision,
        reason: form.reason,
        negative_radius: None,
    };
    match review::decide(
        &app.store,
        &app.detection,
        &p.actor(),
        id,
        &input,
        Some(&p.organisation),
        Timestamp::now(),
        "console review",
    )
    .await
    {
        Ok(_) => Redirect::to("/console/detection/review").into_response(),
        Err(e) => failed(e),
    }
}

/// `GET /console/detection/reports`: signed reports with their markings.
pub async fn reports_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let list = match reports::list(&app.store, crate::api::detection::report_scope(&p)).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    // Which signing keys were replaced since, and why (public halves only).
    let retired: Vec<SigningKey> = match keys::signing_keys(&app.store, None).await {
        Ok(k) => k.into_iter().filter(|k| k.retired_at.is_some()).collect(),
        Err(e) => return failed(e),
    };
    render(
        "Reports",
        &p,
        &session,
        html! {
            h1 { "Reports" }
            p { "Signed reports of confirmed matches (CSA proposal Art. 13, Annex III), kept for at most 12 months (Art. 22(1); Regulation (EU) 2021/1232 Art. 3(1)(h)) and then purged." }
            @if list.is_empty() { p { "No reports." } }
            @else {
                table id="reports" {
                    tr { th { "Report" } th { "Match" } th { "Provider" } th { "Marking" } th { "Signed by key" } th { "Made" } th { "Purged after" } }
                    @for r in &list {
                        tr {
                            td.mono { (r.id) }
                            td.mono { (r.match_id) }
                            td { (r.provider) }
                            td.marking { strong { (marking_text(&r.marking)) } }
                            td {
                                span.mono { (r.signed.key_id) }
                                @if let Some(k) = retired.iter().find(|k| k.key_id == r.signed.key_id) {
                                    br;
                                    span.retired-key {
                                        "replaced " (k.retired_at.map(when).unwrap_or_default())
                                        @if let Some(why) = &k.reason { ": " (why) }
                                    }
                                }
                            }
                            td.mono { (when(r.created_at)) }
                            td.mono { (when(r.retain_until)) }
                        }
                    }
                }
            }
        },
    )
}

fn order_row(v: &RemovalOrderView, p: &Principal, session: &ConsoleSession) -> Markup {
    let can_execute = p.role.allows(Permission::DetectionManage)
        && v.state == RemovalState::Received
        && v.order.provider == p.organisation;
    html! {
        tr id={ "order-" (v.id) } {
            td { (v.order.reference) br; span.mono { (v.id) } }
            td { (v.order.regime) " · " (v.deadline_article) }
            td { (v.order.authority) " (" (v.order.member_state) ")" }
            td { (v.order.provider) }
            td { (v.order.items.len()) }
            td.mono { (when(v.received_at)) }
            td.mono { (when(v.due_at)) }
            td {
                @if let Some(s) = v.seconds_left { (time_left(s)) }
                @if v.overdue { " " span.bad { "OVERDUE" } }
            }
            td {
                (v.state)
                @if let Some(e) = v.executed_at { br; (when(e)) @if v.in_time == Some(true) { " (in time)" } @else { " (late)" } }
                @if let Some(o) = &v.obstacle { br; "obstacle: " (o) }
                @if let Some(r) = &v.reinstated { br; "reinstated " (when(r.at)) " (" (r.ground) ": " (r.reference) ")" }
            }
            td {
                @if can_execute {
                    form method="post" action={ "/console/detection/removal-orders/" (v.id) "/execute" } {
                        input type="hidden" name="csrf" value=(session.csrf);
                        button type="submit" id={ "execute-" (v.id) } { "Executed (removed or disabled)" }
                    }
                }
            }
        }
    }
}

/// `GET /console/detection/removal-orders`: orders with their clocks.
pub async fn removal_orders_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let list = match removal::list(&app.store, party(&p), Timestamp::now()).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    render(
        "Removal orders",
        &p,
        &session,
        html! {
            h1 { "Removal orders" }
            p { "TCO Regulation (EU) 2021/784 Art. 3(3): remove or disable within one hour of receipt; CSA proposal Art. 14(1): within 24 hours. The clock stops while the provider cannot comply (TCO Art. 3(7)-(8)) and restarts on clarification." }
            @if list.is_empty() { p { "No removal orders." } }
            @else {
                table id="removal-orders" {
                    tr { th { "Reference" } th { "Regime" } th { "Authority" } th { "Provider" } th { "Items" } th { "Received" } th { "Due" } th { "Clock" } th { "State" } th {} }
                    @for v in &list { (order_row(v, &p, &session)) }
                }
            }
        },
    )
}

/// The execute form (only the CSRF field).
#[derive(Deserialize)]
pub struct ExecuteForm {}

/// `POST /console/detection/removal-orders/{id}/execute`: the addressed
/// provider records removal now.
pub async fn execute_order(
    State(app): State<AppState>,
    Caller(p): Caller,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<ExecuteForm>,
) -> Response {
    let Ok(id) = id.parse::<RemovalId>() else {
        return error_page(StatusCode::NOT_FOUND, "No such removal order.");
    };
    match removal::act(
        &app.store,
        &p.actor(),
        id,
        RemovalAction::Execute { at: None },
        Some(&p.organisation),
        Timestamp::now(),
        "console: removal executed",
    )
    .await
    {
        Ok(_) => Redirect::to("/console/detection/removal-orders").into_response(),
        Err(e) => failed(e),
    }
}

/// `?year=` of the transparency page.
#[derive(Deserialize)]
pub struct YearParam {
    year: Option<String>,
}

/// `GET /console/detection/transparency`: a year's figures and the error
/// rates per list, indicator and basis.
pub async fn transparency_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
    Query(q): Query<YearParam>,
) -> Response {
    let year = match year_of(q.year.as_deref()) {
        Ok(y) => y,
        Err(e) => return error_page(StatusCode::UNPROCESSABLE_ENTITY, &e.message),
    };
    let who = figures_party(&p);
    let f = match transparency::figures(&app.store, who, year).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let rates = match review::error_rates(&app.store, who).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let share = |s: Option<f64>| {
        s.map(|v| format!("{:.1} %", v * 100.0))
            .unwrap_or_else(|| "-".into())
    };
    let rows: [(&str, i64); 16] = [
        ("Items scanned", f.scans),
        ("Skipped as low quality", f.low_quality),
        ("Matches", f.matches),
        ("Confirmed by review", f.confirmed),
        ("Rejected (false positives)", f.rejected),
        ("Pending review", f.pending),
        ("Reports made", f.reports),
        ("Removal orders received", f.removal_orders),
        ("... executed", f.removal_executed),
        ("... executed in time", f.removal_in_time),
        ("... not executed (impossible)", f.removal_not_executed),
        ("Complaints received", f.complaints),
        ("... decided", f.complaints_decided),
        ("... reversed", f.complaints_reversed),
        (
            "Content reinstated after a complaint",
            f.reinstated_after_complaint,
        ),
        (
            "Content reinstated after review proceedings",
            f.reinstated_after_review,
        ),
    ];
    render(
        "Transparency",
        &p,
        &session,
        html! {
            h1 { "Transparency " (year) }
            p { @if let Some(w) = &f.provider { "Figures of " strong { (w) } "." } @else { "Figures of every provider." } }
            form method="get" action="/console/detection/transparency" {
                label for="year" { "Year" }
                input id="year" name="year" value=(year);
                " " button type="submit" { "Show" }
            }
            table id="figures" {
                @for (label, n) in rows { tr { th { (label) } td { (n) } } }
                tr { th { "False-positive share" } td { (share(f.false_positive_share)) } }
            }
            @if !f.by_basis_kind.is_empty() {
                h2 { "Matches by legal basis" }
                table id="by-basis-kind" {
                    tr { th { "Basis" } th { "Matches" } th { "Confirmed" } th { "Rejected" } th { "Content removed" } }
                    @for k in &f.by_basis_kind {
                        tr {
                            td { (k.kind) } td { (k.matches) } td { (k.confirmed) } td { (k.rejected) }
                            td { (k.removed) }
                        }
                    }
                }
            }
            ul { @for a in &f.articles { li { (a) } } }
            h2 { "Error rates from human review" }
            @if rates.is_empty() { p { "No matches yet." } }
            @else {
                table id="error-rates" {
                    tr { th { "Per" } th { "Key" } th { "Matches" } th { "Confirmed" } th { "Rejected" } th { "Pending" } th { "False-positive share" } }
                    @for r in &rates {
                        tr {
                            td { (r.scope) } td.mono { (r.key) } td { (r.matches) } td { (r.confirmed) }
                            td { (r.rejected) } td { (r.pending) } td { (share(r.false_positive_share)) }
                        }
                    }
                }
            }
        },
    )
}
