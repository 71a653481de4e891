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
