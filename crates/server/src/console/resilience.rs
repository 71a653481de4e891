//! `GET /console/resilience/{ms}`: the resilience overview of one Member
//! State: its entities with their identification (CER Art. 6-8, 17) and its
//! incidents with their CER Art. 15 / NIS2 Art. 23 clocks. Read-only; the
//! same domain functions as `/api/v1/resilience/{ms}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use bulwark_core::{Country, Timestamp};
use bulwark_resilience::identification::{self, Identification};
use bulwark_resilience::incidents::{self, ClockStatus};
use bulwark_resilience::registry;

use super::{error_page, layout};
use crate::AppState;
use crate::access::{Caller, ConsoleSession};

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console error");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error; see the server log.",
    )
}

/// The overview page.
pub async fn overview(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
    Path(ms): Path<String>,
) -> Response {
    let Ok(ms) = ms.parse::<Country>() else {
        return error_page(StatusCode::NOT_FOUND, "No such Member State.");
    };
    let entities = match registry::list_entities(&app.store, Some(ms)).await {
        Ok(e) => e,
        Err(e) => return failed(e),
    };
    let mut results: Vec<Identification> = Vec::new();
    for e in &entities {
        match identification::identify(&app.store, ms, &e.record.key).await {
            Ok(r) => results.push(r),
            Err(e) => return failed(e),
        }
    }
    let now = Timestamp::now();
    let list = match incidents::list(&app.store, ms, now).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let title = format!("Resilience · {ms}");
    let body = layout::page(
        &title,
        Some((&p, &session)),
        html! {
            h1 { "Resilience: " (ms) }
            h2 { "Entities and identification (CER Art. 6-8, 17)" }
            table id="entities" {
                tr { th { "Key" } th { "Name" } th { "Sector" } th { "Critical" } th { "Art. 7(1) criteria fired" } th { "Member States (Art. 17)" } }
                @for (e, r) in entities.iter().zip(&results) {
                    tr {
                        td.mono { (e.record.key) }
                        td { (e.record.name) }
                        td { (e.record.sector) @if let Some(s) = e.record.subsector { " / " (s) } }
                        td {
                            @if r.critical { span.bad { "yes" } } @else { "no" }
                            @if !r.chapter_iii_applies { " (Art. 8: no Chapter III)" }
                        }
                        td {
                            @for c in r.criteria.iter().filter(|c| c.fired) {
                                span title=(c.explanation) { (c.article.trim_start_matches("CER Art. ")) } " "
                            }
                        }
                        td { (r.cepes.member_states.len()) @if r.cepes.candidate { span.bad { " CEPES candidate" } } }
                    }
                }
            }
            h2 { "Incidents (CER Art. 15, NIS2 Art. 23)" }
            @if list.is_empty() { p { "No incidents notified." } }
            @for v in &list {
                div.card {
                    p {
                        code { (v.id) } " · entity " code { (v.facts.entity) } " · aware " (v.facts.aware_at)
                        @if v.overdue { span.bad { " · OVERDUE" } }
                    }
                    table {
                        tr { th { "Regime" } th { "Stage" } th { "Due" } th { "Status" } th { "Rule" } }
                        @for c in &v.clocks {
                            tr {
                                td { (c.regime) } td { (c.stage) } td.mono { (c.due_at) }
                                td { @if c.status == ClockStatus::Overdue { span.bad { "overdue" } } @else { (format!("{:?}", c.status).to_lowercase()) } }
                                td { (c.article) }
                            }
                        }
                    }
                    @for reason in &v.routing.reasons { p { "Routing: " (reason) } }
                }
            }
        },
    );
    Html(body.into_string()).into_response()
}

/// "3 d 4 h", "5 h 12 min", "40 min" for a positive span.
fn span_text(d: chrono::TimeDelta) -> String {
    let minutes = d.num_minutes().abs();
    let (days, hours, mins) = (minutes / 1440, (minutes % 1440) / 60, minutes % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {mins} min")
    } else {
        format!("{mins} min")
    }
}

/// `GET /console/resilience/incidents`: the incident boards the caller may
/// open (one per Member State of their scope).
pub async fn boards(
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let states: Vec<Country> = Country::MEMBER_STATES
        .into_iter()
        .filter(|c| p.scope.covers(*c))
        .collect();
    let body = layout::page(
        "Incident boards",
        Some((&p, &session)),
        html! {
            h1 { "Incident boards" }
            p { "Open incidents per notifying Member State, with their CER Art. 15 and NIS2 Art. 23 clocks." }
            ul id="boards" {
                @for ms in &states {
                    li { a href={ "/console/resilience/" (ms) "/incidents" } { (ms) } }
                }
            }
        },
    );
    Html(body.into_string()).into_response()
}

/// `GET /console/resilience/{ms}/incidents`: the incident board of a Member
/// State: every open incident (a stage still awaiting its report) with its
/// parallel legal clocks (CER Art. 15(1): initial notification 24 h,
/// detailed report one month; NIS2 Art. 23(4): early warning 24 h,
/// notification 72 h, final report one month), the time left or how long
/// overdue, and where it is routed. The clocks come from
/// `bulwark_resilience::incidents`.
pub async fn board(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
    Path(ms): Path<String>,
) -> Response {
    let Ok(ms) = ms.parse::<Country>() else {
        return error_page(StatusCode::NOT_FOUND, "No such Member State.");
    };
    let now = Timestamp::now();
    let open = match incidents::open(&app.store, ms, now).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let overdue = open.iter().filter(|v| v.overdue).count();
    let title = format!("Incidents · {ms}");
    let body = layout::page(
        &title,
        Some((&p, &session)),
        html! {
            h1 { "Incident board: " (ms) }
            p id="board-summary" {
                (open.len()) " open incident(s)"
                @if overdue > 0 { ", " span.bad { (overdue) " with an overdue report" } }
                " · as of " (now.as_datetime().format("%Y-%m-%d %H:%M")) " UTC · "
                a href={ "/console/resilience/" (ms) } { "registry overview" }
            }
            @if open.is_empty() { p { "No open incidents." } }
            @for v in &open {
                div.card.incident id={ "incident-" (v.id) } {
                    h3 {
                        "Entity " code { (v.facts.entity) }
                        @if v.overdue { " " span.bad.overdue-flag { "OVERDUE" } }
                    }
                    p {
                        "Aware " span.mono { (v.facts.aware_at.as_datetime().format("%Y-%m-%d %H:%M")) } " UTC · "
                        @if v.facts.cer { "CER " } @if v.facts.nis2 { "NIS2 " }
                        "· id " code { (v.id) }
                    }
                    p.routing {
                        "Routed to: " strong { (ms) } " (notified)"
                        @for c in &v.routing.single_points_of_contact { ", " strong { (c) } " (single point of contact)" }
                        @if v.routing.commission { ", " strong { "European Commission" } }
                        @if v.routing.enisa { ", " strong { "ENISA" } }
                    }
                    table.clocks {
                        thead { tr { th { "Regime" } th { "Stage" } th { "Rule" } th { "Due (UTC)" } th { "Time left" } th { "Status" } } }
                        tbody {
                            @for c in &v.clocks {
                                @let late = c.status == ClockStatus::Overdue;
                                tr class=[late.then_some("overdue")] {
                                    td { (c.regime) }
                                    td { (c.stage) }
                                    td { (c.article) }
                                    td.mono {
                                        (c.due_at.as_datetime().format("%Y-%m-%d %H:%M"))
                                        @if c.provisional { " (provisional)" }
                                    }
                                    td {
                                        @if !c.is_open() { "-" }
                                        @else if late { span.bad { "overdue by " (span_text(c.time_left(now))) } }
                                        @else { (span_text(c.time_left(now))) }
                                    }
                                    td {
                                        @match c.status {
                                            ClockStatus::Overdue => { span.bad { "overdue" } }
                                            ClockStatus::Pending => { "pending" }
                                            ClockStatus::Submitted => { span.ok { "submitted" } }
                                            ClockStatus::SubmittedLate => { span.bad { "submitted late" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @for reason in &v.routing.reasons { p { small { (reason) } } }
                }
            }
        },
    );
    Html(body.into_string()).into_response()
}
