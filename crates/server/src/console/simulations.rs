//! `/console/resilience/simulations`: the simulation runner. A form starts a
//! run of a catalogue scenario (the same pillar function as
//! `POST /api/v1/resilience/simulations`); the run's page refreshes itself
//! while the run is queued or running (a `<meta http-equiv="refresh">`, so
//! no script is needed under the console's Content-Security-Policy) and
//! shows the result tables and the exceedance plot when it is done.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use bulwark_core::{Permission, Timestamp};
use bulwark_resilience::ResilienceError;
use bulwark_resilience::simulations::{
    self, DEFAULT_SAMPLES, MAX_SAMPLES, NewSimulation, RunStatus, SimulationId, SimulationRun,
    SimulationSummary,
};

use super::forms::CsrfForm;
use super::{error_page, layout};
use crate::AppState;
use crate::access::{Caller, ConsoleSession};

/// Seconds between refreshes of a running run's page.
const REFRESH_SECONDS: u32 = 2;

fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "console error");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error; see the server log.",
    )
}

fn pillar_error(e: ResilienceError) -> Response {
    match e {
        ResilienceError::Invalid { field, rule } => error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{field}: {rule}"),
        ),
        ResilienceError::NotFound { .. } => error_page(StatusCode::NOT_FOUND, "No such run."),
        other => failed(other),
    }
}

fn int(v: f64) -> String {
    let n = v.round();
    if !n.is_finite() {
        return "-".into();
    }
    let digits = format!("{:.0}", n.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    if n < 0.0 { format!("-{out}") } else { out }
}

fn pct(p: f64) -> String {
    format!("{:.1} %", p * 100.0)
}

fn when(t: Option<Timestamp>) -> String {
    t.map(|t| t.as_datetime().format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn status_text(run: &SimulationRun) -> Markup {
    html! {
        @match run.status {
            RunStatus::Done => { span.ok { "done" } }
            RunStatus::Failed => { span.bad { "failed" } }
            s => { span { (s) " (" (pct(run.progress)) ")" } }
        }
    }
}

/// `GET /console/resilience/simulations`: the form and the latest runs.
pub async fn runner_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
) -> Response {
    let runs = match simulations::list(&app.store, crate::api::simulations::LIST_LIMIT).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let catalogue = simulations::scenarios();
    let body = layout::page(
        "Simulations",
        Some((&p, &session)),
        html! {
            h1 { "Cascading-disruption simulations" }
            p { "Monte Carlo runs of the cascade engine on the European model (grid, gas, population; "
                "spec §4). The same scenario, samples and seed give the same result." }
            @if p.role.allows(Permission::ResilienceWrite) {
                h2 { "Start a run" }
                form method="post" action="/console/resilience/simulations" id="simulation-form" {
                    input type="hidden" name="csrf" value=(session.csrf);
                    label for="scenario" { "Scenario" }
                    select id="scenario" name="scenario" {
                        @for s in &catalogue { option value=(s.id) title=(s.description) { (s.name) " (" (s.id) ")" } }
                    }
                    label for="samples" { "Samples (1 to " (MAX_SAMPLES) ")" }
                    input id="samples" name="samples" type="number" min="1" max=(MAX_SAMPLES) value=(DEFAULT_SAMPLES) required;
                    label for="seed" { "Seed" }
                    input id="seed" name="seed" type="number" min="0" value="1" required;
                    label for="purpose" { "Purpose (for the audit log)" }
                    input id="purpose" name="purpose" value="console simulation";
                    p { button type="submit" id="start-simulation" { "Start" } }
                }
            }
            h2 { "Runs" }
            @if runs.is_empty() { p { "No runs yet." } }
            @else {
                table id="sim-runs" {
                    thead { tr { th { "Started" } th { "Scenario" } th.num { "Samples" } th.num { "Seed" } th { "Status" } th {} } }
                    tbody {
                        @for r in &runs {
                            tr {
                                td.mono { (when(Some(r.created_at))) }
                                td.mono { (r.scenario) }
                                td.num { (r.samples) }
                                td.num { (r.seed) }
                                td { (status_text(r)) }
                                td { a href={ "/console/resilience/simulations/" (r.id) } { "open" } }
                            }
                        }
                    }
                }
            }
        },
    );
    Html(body.into_string()).into_response()
}

/// The runner form as submitted (numbers as text, so that a bad number is
/// answered with the field's name).
#[derive(Deserialize)]
pub struct StartForm {
    scenario: String,
    samples: String,
    seed: String,
    #[serde(default)]
    purpose: String,
}

/// A form number, or the message naming the field.
fn number(field: &str, text: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .map_err(|_| format!("{field}: must be a whole number of 0 or more"))
}

/// `POST /console/resilience/simulations`: starts a run and goes to its page.
pub async fn start(
    State(app): State<AppState>,
    Caller(p): Caller,
    CsrfForm(form): CsrfForm<StartForm>,
) -> Response {
    let (samples, seed) = match (number("samples", &form.samples), number("seed", &form.seed)) {
        (Ok(samples), Ok(seed)) => (samples, seed),
        (Err(m), _) | (_, Err(m)) => return error_page(StatusCode::UNPROCESSABLE_ENTITY, &m),
    };
    let request = NewSimulation {
        scenario: form.scenario,
        samples,
        seed,
    };
    let purpose = match form.purpose.trim() {
        "" => "console simulation",
        p => p,
    };
    let actor = p.actor();
    match simulations::start(&app.store, &actor, &request, Timestamp::now(), purpose).await {
        Ok(run) => {
            let to = format!("/console/resilience/simulations/{}", run.id);
            crate::runner::launch(app.runner.clone(), app.store.clone(), actor, run);
            Redirect::to(&to).into_response()
        }
        Err(e) => pillar_error(e),
    }
}

fn summary_tables(run: &SimulationRun, s: &SimulationSummary) -> Markup {
    html! {
        div.cards id="sim-headline" {
            div.card { h3 { "User-hours lost" } p { "mean " (int(s.user_hours.mean)) br; "99th pct " (int(s.user_hours.p99)) br; "max " (int(s.user_hours.max)) } }
            div.card { h3 { "Peak users affected" } p { "mean " (int(s.peak_users.mean)) br; "99th pct " (int(s.peak_users.p99)) br; "max " (int(s.peak_users.max)) } }
            div.card { h3 { "Cross-border" } p { (pct(s.cross_border_probability)) " of samples (CER Art. 15(3))" } }
            div.card { h3 { "Six or more Member States" } p { (pct(s.six_member_states_probability)) " of samples (CER Art. 15(1))" } }
            @if let Some(e) = s.expected_annual_user_hours {
                div.card { h3 { "Expected annual user-hours" } p { (int(e)) } }
            }
        }
        h2 { "Exceedance curve" }
        img.plot id="exceedance-plot" alt="Exceedance curve: probability that one event exceeds a level of user-hours"
            src={ "/console/resilience/simulations/" (run.id) "/exceedance.svg" };
        h2 { "Per country" }
        p { "A country counts as significantly affected from " (int(s.significant_users)) " peak users; horizon " (s.horizon_hours) " h." }
        table id="sim-states" {
            thead { tr {
                th { "Country" } th.num { "P(significant)" } th.num { "Peak users (mean)" } th.num { "Peak users (max)" }
                th.num { "User-hours (mean)" } th.num { "User-hours (99th pct)" } th.num { "Longest disruption (h)" } th.num { "Longest mean disruption (h)" }
            } }
            tbody {
                @for m in &s.member_states {
                    tr {
                        td.mono { (m.member_state) }
                        td.num { (pct(m.probability_significant)) }
                        td.num { (int(m.peak_users.mean)) }
                        td.num { (int(m.peak_users.max)) }
                        td.num { (int(m.user_hours.mean)) }
                        td.num { (int(m.user_hours.p99)) }
                        td.num { (format!("{:.1}", m.max_duration_hours)) }
                        td.num { (format!("{:.1}", m.mean_duration_hours)) }
                    }
                }
            }
        }
        @if let Some(w) = &s.worst_sample {
            h2 { "Worst sample" }
            p id="sim-worst" {
                "Sample " (w.index) ": " (int(w.user_hours)) " user-hours, " (int(w.peak_users)) " peak users; affected: "
                (w.affected_member_states.join(", "))
                @if w.cross_border { " · " span.bad { "cross-border" } }
                @if w.six_member_states { " · " span.bad { "six or more Member States" } }
            }
        }
        h2 { "Top causes (samples above the " (format!("{:.0}", s.tail_quantile * 100.0)) "th percentile)" }
        table id="sim-causes" {
            thead { tr { th { "Entity" } th { "Name" } th.num { "Share of tail samples" } } }
            tbody {
                @for c in &s.top_entities {
                    tr { td.mono { (c.id) } td { (c.name) } td.num { (pct(c.share)) } }
                }
            }
        }
        @if !s.top_dependencies.is_empty() {
            table id="sim-dependencies" {
                thead { tr { th { "Supplier" } th { "Dependent" } th.num { "Share of tail samples" } } }
                tbody {
                    @for d in &s.top_dependencies {
                        tr { td.mono { (d.supplier) } td.mono { (d.dependent) } td.num { (pct(d.share)) } }
                    }
                }
            }
        }
        h2 { "Exceedance points" }
        table id="sim-exceedance" {
            thead { tr { th.num { "User-hours" } th.num { "P(exceed) per event" } th.num { "P(exceed) per year" } } }
            tbody {
                @for x in &s.exceedance {
                    tr {
                        td.num { (int(x.user_hours)) }
                        td.num { (format!("{:.4}", x.probability)) }
                        td.num { @if let Some(a) = x.annual_probability { (format!("{a:.4}")) } @else { "-" } }
                    }
                }
            }
        }
        p { small { (bulwark_europe::ATTRIBUTION) } }
    }
}

/// `GET /console/resilience/simulations/{id}`: a run's progress or result.
pub async fn run_page(
    State(app): State<AppState>,
    Caller(p): Caller,
    axum::Extension(session): axum::Extension<ConsoleSession>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<SimulationId>() else {
        return error_page(StatusCode::NOT_FOUND, "No such run.");
    };
    let run = match simulations::get(&app.store, id).await {
        Ok(r) => r,
        Err(e) => return pillar_error(e),
    };
    let head = if run.status.is_final() {
        html! {}
    } else {
        html! { meta http-equiv="refresh" content=(REFRESH_SECONDS); }
    };
    let body = layout::page_with_head(
        "Simulation run",
        Some((&p, &session)),
        head,
        html! {
            h1 { "Simulation: " (run.scenario) }
            p { "Run " code { (run.id) } " · " (run.samples) " samples · seed " (run.seed)
                " · recorded " (when(Some(run.created_at))) " UTC" }
            p id="sim-status" { "Status: " (status_text(&run)) }
            @match run.status {
                RunStatus::Queued | RunStatus::Running => {
                    progress id="sim-progress" max=(run.samples) value=(run.samples_done) { (pct(run.progress)) }
                    p { (run.samples_done) " of " (run.samples) " samples. This page refreshes every "
                        (REFRESH_SECONDS) " s; the European model is built on the first run (seconds)." }
                }
                RunStatus::Failed => {
                    p.bad id="sim-error" { (run.error.as_deref().unwrap_or("failed")) }
                }
                RunStatus::Done => {
                    @if let Some(s) = &run.summary { (summary_tables(&run, s)) }
                }
            }
            p { a href="/console/resilience/simulations" { "All runs" } }
        },
    );
    Html(body.into_string()).into_response()
}

/// `GET /console/resilience/simulations/{id}/exceedance.svg`: the plot for
/// the run page (the same image as the API's).
pub async fn plot(State(app): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<SimulationId>() else {
        return error_page(StatusCode::NOT_FOUND, "No such run.");
    };
    crate::api::simulations::exceedance_response(&app, id)
        .await
        .into_response()
}
