//! `GET /console/resilience/{ms}`: the resilience overview of one Member
//! State: its entities with their identification (CER Art. 6-8, 17) and its
//! incidents with their CER Art. 15 / NIS2 Art. 23 clocks;
//! `GET /console/resilience/{ms}/entities/{key}`: one entity with its
//! records and its identification reasoning. Read-only; the same domain
//! functions as `/api/v1/resilience/{ms}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use bulwark_core::{Country, Timestamp};
use bulwark_resilience::ResilienceError;
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
    let outage = match bulwark_resilience::simulations::outage_in(&app.store, ms).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let mut results: Vec<Identification> = Vec::new();
    for e in &entities {
        match identification::identify_with(&app.store, ms, &e.record.key, outage.as_ref()).await {
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
                        td { a href={ "/console/resilience/" (ms) "/entities/" (e.record.key) } { (e.record.name) } }
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

/// A number as the identification shows it: shares as percentages,
/// counts without decimals.
fn number(article: &str, v: f64) -> String {
    if article.ends_with("(d)") || article.ends_with("(f)") {
        format!("{:.1} %", v * 100.0)
    } else {
        format!("{v:.0}")
    }
}

/// `GET /console/resilience/{ms}/entities/{key}`: an entity of `ms` with
/// its provisions, assets and dependencies, and its identification
/// reasoning: each CER Art. 6(2) test and Art. 7(1)(a)-(f) criterion with
/// the provision's wording, whether it holds or fired, the value, the
/// threshold and the explanation; the Art. 8 carve-out and the Art. 17(1)
/// six-Member-State test. Everything is computed by
/// `bulwark_resilience::identification`; the page only lays it out.
pub async fn entity(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
    Path((ms, key)): Path<(String, String)>,
) -> Response {
    let Ok(ms) = ms.parse::<Country>() else {
        return error_page(StatusCode::NOT_FOUND, "No such Member State.");
    };
    let detail = match registry::entity_detail(&app.store, Some(ms), &key).await {
        Ok(d) => d,
        Err(ResilienceError::NotFound { .. }) => {
            return error_page(
                StatusCode::NOT_FOUND,
                "No such entity in this Member State.",
            );
        }
        Err(e) => return failed(e),
    };
    let r = match identification::identify(&app.store, ms, &key).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let e = &detail.entity.record;
    let text = |article: &str| identification::provision_text(article).unwrap_or("");
    let title = format!("{} · {ms}", e.name);
    let body = layout::page(
        &title,
        Some((&p, &session)),
        html! {
            p { a href={ "/console/resilience/" (ms) } { "← Resilience: " (ms) } }
            h1 { (e.name) }
            p id="entity-facts" {
                code { (e.key) } " · established in " (e.member_state) " · " (e.sector)
                @if let Some(s) = e.subsector { " / " (s) }
                " · " (e.category)
            }
            p id="verdict" {
                @if r.critical {
                    span.bad { "Critical entity" } ": all three cumulative tests of CER Art. 6(2) hold."
                } @else {
                    "Not a critical entity: not every test of CER Art. 6(2) holds."
                }
            }
            h2 { "Identification (CER Art. 6(2))" }
            table id="tests" {
                tr { th { "Test" } th { "Provision" } th { "Holds" } th { "Why" } }
                @for t in &r.tests {
                    tr {
                        td { (t.article) }
                        td { small { (text(&t.article)) } }
                        td { @if t.passed { span.ok { "yes" } } @else { "no" } }
                        td { (t.explanation) }
                    }
                }
            }
            h2 { "Significant disruptive effect (CER Art. 7(1))" }
            p { (r.criteria_fired) " of 6 criteria fired; " (r.thresholds.min_criteria) " needed (national threshold)." }
            table id="criteria" {
                tr { th { "Criterion" } th { "Provision" } th { "Fired" } th { "Value" } th { "Threshold" } th { "Why" } }
                @for c in &r.criteria {
                    tr {
                        td { (c.article) }
                        td { small { (text(&c.article)) } }
                        td { @if c.fired { span.bad { "fired" } } @else { "not fired" } }
                        td.mono { (number(&c.article, c.value)) }
                        td.mono { (number(&c.article, c.threshold)) }
                        td { (c.explanation) }
                    }
                }
            }
            h2 { "CER Art. 8" }
            p id="art8" {
                small { (text("CER Art. 8")) } br;
                @if r.chapter_iii_applies {
                    "Applies: sector " (e.sector) " is not carved out; Chapter III obligations apply if identified."
                } @else {
                    span.bad { "Carve-out" } ": sector " (e.sector) " — Chapter III does not apply (unless national law says otherwise)."
                }
            }
            h2 { "CER Art. 17(1): six Member States" }
            p id="art17" {
                small { (text("CER Art. 17(1)")) } br;
                @match &r.cepes.service {
                    Some(s) => {
                        "Service " code { (s) } " is provided to or in " (r.cepes.member_states.len()) " Member State(s): "
                        (r.cepes.member_states.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) ". "
                    }
                    None => { "No essential service provided. " }
                }
                @if r.cepes.six_or_more { span.bad { "Six or more Member States" } } @else { "Fewer than six Member States" }
                @if r.cepes.candidate { " · " span.bad { "CEPES candidate" } " (identified as critical; becomes a CEPES on the Commission's notification, Art. 17(3))." }
            }
            h2 { "Provisions of essential services" }
            @if detail.provisions.is_empty() { p { "None registered." } } @else {
                table id="provisions" {
                    tr { th { "Key" } th { "Service" } th { "Where" } th { "Users" } th { "Market share" } th { "Substitutability" } th { "Also serves" } }
                    @for pr in &detail.provisions {
                        tr {
                            td.mono { (pr.key) }
                            td.mono { (pr.service) }
                            td { (pr.member_state) " " (pr.region) @if pr.isolated_area { " (isolated area)" } }
                            td.mono { (pr.users_served) }
                            td.mono { (format!("{:.1} %", pr.market_share * 100.0)) }
                            td.mono { (format!("{:.0} %", pr.substitutability * 100.0)) }
                            td { (pr.served_states.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
            h2 { "Critical infrastructure assets" }
            @if detail.assets.is_empty() { p { "None registered." } } @else {
                table id="assets" {
                    tr { th { "Key" } th { "Kind" } th { "Name" } th { "Where" } th { "Backup (h)" } }
                    @for a in &detail.assets {
                        tr {
                            td.mono { (a.key) } td { (a.kind) } td { (a.name) }
                            td { (a.member_state) " " (a.region) }
                            td.mono { (a.backup_hours) }
                        }
                    }
                }
            }
            h2 { "Dependencies" }
            @if detail.dependencies.is_empty() { p { "None registered." } } @else {
                table id="dependencies" {
                    tr { th { "Key" } th { "Supplier" } th { "Dependent" } th { "Kind / resource" } th { "Strength" } th { "Buffer (h)" } th { "Recovery lag (h)" } th { "Alternatives" } }
                    @for d in &detail.dependencies {
                        tr {
                            td.mono { (d.key) }
                            td.mono { @if d.supplier == e.key { strong { (d.supplier) } } @else { (d.supplier) } }
                            td.mono { @if d.dependent == e.key { strong { (d.dependent) } } @else { (d.dependent) } }
                            td { (d.kind) " / " (d.resource) }
                            td.mono { (d.strength) }
                            td.mono { (d.buffer_hours) }
                            td.mono { (d.recovery_lag_hours) }
                            td.mono { (d.alternatives.join(", ")) }
                        }
                    }
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
