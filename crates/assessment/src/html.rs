//! The report: one self-contained, printable HTML page with inline SVG.

use std::fmt::Write as _;

use crate::plots::{self, INBOUND, OUTBOUND};
use crate::{Assessment, AssessmentError, HazardFamily, risk_level};

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A number for people: thousands separators up to 10^5, then
/// m × 10<sup>e</sup> with three significant digits.
fn num(v: f64) -> String {
    if !v.is_finite() {
        return esc(&v.to_string());
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        let e = a.log10().floor() as i32;
        let mut m = v / 10f64.powi(e);
        let mut e = e;
        if (m.abs() * 100.0).round() >= 1000.0 {
            m /= 10.0;
            e += 1;
        }
        return format!("{m:.2}&#8239;×&#8239;10<sup>{e}</sup>");
    }
    if a >= 100.0 {
        let r = v.round() as i64;
        let digits = r.unsigned_abs().to_string();
        let mut grouped = String::new();
        for (k, ch) in digits.chars().enumerate() {
            if k > 0 && (digits.len() - k).is_multiple_of(3) {
                grouped.push('\u{202f}');
            }
            grouped.push(ch);
        }
        return if r < 0 {
            format!("−{grouped}")
        } else {
            grouped
        };
    }
    if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn pct(p: f64) -> String {
    if p == 0.0 {
        "0 %".into()
    } else if p < 0.001 {
        format!("{:.3} %", 100.0 * p)
    } else {
        format!("{:.1} %", 100.0 * p)
    }
}

const CSS: &str = r#"
:root { --ink:#1a1a1a; --muted:#555; --rule:#bbb; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--ink);
  max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.4; font-size: 11pt; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; border-bottom: 2px solid var(--ink); padding-bottom: .15rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin-top: 1.2rem; }
p.sub { color: var(--muted); margin-top: 0; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: 9.5pt; width: 100%; }
th, td { border: 1px solid var(--rule); padding: .2rem .4rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { background: #eee; }
table.meta { width: auto; }
table.matrix td { width: 15%; height: 3.2rem; font-size: 8.5pt; }
table.matrix th { font-size: 8.5pt; }
.low { background: #d9f0d3; } .medium { background: #fff3b0; }
.high { background: #fdc086; } .veryhigh { background: #f4a0a0; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 9.5pt; color: var(--muted); }
.note { font-size: 9.5pt; color: var(--muted); }
code { font-size: 9.5pt; }
pre { white-space: pre-wrap; font-size: 9pt; background: #f6f6f6; padding: .5rem; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-before: auto; break-after: avoid; }
  table, figure { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// Renders the assessment as one self-contained HTML document (inline CSS
/// and SVG, no scripts, no external assets). Deterministic: the same
/// assessment gives the same bytes.
pub fn render_html(a: &Assessment) -> Result<String, AssessmentError> {
    let ms = esc(&a.member_state);
    let mut h = String::with_capacity(256 * 1024);
    let w = &mut h;
    // `write!` to a String cannot fail; the results are ignored on purpose.
    let _ = writeln!(
        w,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Member State risk assessment {ms} — CER Art. 5</title>\n<style>{CSS}</style>\n</head>\n<body>"
    );
    let _ = writeln!(
        w,
        "<header>\n<h1>Member State risk assessment: {ms}</h1>\n\
         <p class=\"sub\">Directive (EU) 2022/2557 on the resilience of critical entities (CER), Article 5 — \
         simulation-based evidence on the European cascade model</p>"
    );
    let date = a
        .assessment_date
        .as_deref()
        .map_or_else(|| "not stated".to_string(), esc);
    let _ = writeln!(
        w,
        "<table class=\"meta\"><tbody>\n\
         <tr><th>Member State</th><td>{ms} (model code {mc}); population in the model {pop}</td></tr>\n\
         <tr><th>Assessment date</th><td>{date}</td></tr>\n\
         <tr><th>Scenarios</th><td>{ns} (the whole Bulwark scenario library)</td></tr>\n\
         <tr><th>Samples per scenario</th><td>{samples}</td></tr>\n\
         <tr><th>Seed</th><td>{seed}</td></tr>\n\
         <tr><th>Horizon per event</th><td>{hz} h</td></tr>\n\
         <tr><th>Model</th><td>{nodes} nodes, {deps} dependencies</td></tr>\n\
         <tr><th>Tool</th><td>Bulwark {ver}</td></tr>\n\
         </tbody></table>\n</header>",
        mc = esc(&a.model_code),
        pop = num(a.population),
        ns = a.scenarios.len(),
        samples = a.samples,
        seed = a.seed,
        hz = num(a.sim.horizon_hours),
        nodes = num(a.model_nodes as f64),
        deps = num(a.model_dependencies as f64),
        ver = env!("CARGO_PKG_VERSION"),
    );

    scope(w, a);
    matrix(w, a);
    exceedance(w, a)?;
    tail(w, a);
    cross_border(w, a)?;
    reproducibility(w, a);
    let _ = writeln!(w, "</body>\n</html>");
    Ok(h)
}

fn scope(w: &mut String, a: &Assessment) {
    let ms = esc(&a.member_state);
    let _ = writeln!(
        w,
        "<section id=\"scope\">\n<h2>1. Scope and method</h2>\n\
         <p>Under <strong>Article 5(1) of Directive (EU) 2022/2557</strong> each Member State assesses the \
         relevant risks that may affect the provision of essential services (with the list of essential \
         services of Delegated Regulation (EU) 2023/2450 as reference), on an <em>all-hazards</em> basis: \
         natural and man-made risks, including cross-sectoral and cross-border ones, accidents, natural \
         disasters, public health emergencies, hybrid threats and other antagonistic threats, including \
         terrorist offences. Article 5(2)(c) asks it to take into account how far the Annex sectors depend \
         on one another, including on entities in other Member States and third countries. Climate enters \
         through natural disasters and the Union Civil Protection Mechanism risk assessment (Art. 5(2)(a)); \
         Article 13(1)(a) asks critical entities for climate adaptation measures. This report supplies \
         quantitative evidence for these points for {ms}; it does not replace the Member State's own \
         assessment or its sectoral inputs (Art. 5(2)(a), (b), (d)).</p>\n\
         <p class=\"note\">Legal texts are summarised in our own words; read the text on EUR-Lex \
         (eli/dir/2022/2557/oj) before quoting. The climate reading of Art. 5(1) is marked [check] in the \
         project specification.</p>"
    );
    let _ = writeln!(
        w,
        "<h3>Hazard coverage (Art. 5(1))</h3>\n<table><thead><tr><th>Hazard family</th><th>Scenarios</th>\
         <th>Climate-related</th></tr></thead><tbody>"
    );
    for fam in HazardFamily::ALL {
        let list: Vec<&crate::ScenarioAssessment> =
            a.scenarios.iter().filter(|s| s.family == fam).collect();
        let names = if list.is_empty() {
            "<em>not covered by the scenario library: assess separately</em>".to_string()
        } else {
            list.iter()
                .map(|s| format!("<code>{}</code> {}", esc(&s.id), esc(&s.name)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let climate = list
            .iter()
            .filter(|s| s.climate_related)
            .map(|s| esc(&s.id))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{names}</td><td>{}</td></tr>",
            esc(fam.label()),
            if climate.is_empty() {
                "—".to_string()
            } else {
                climate
            }
        );
    }
    let _ = writeln!(w, "</tbody></table>");
    let _ = writeln!(
        w,
        "<h3>Method</h3>\n<ul>\n\
         <li><strong>Model.</strong> The European cascade model of Bulwark: the electricity transmission grid \
         (GridKit extract of the ENTSO-E map) and gas transmission (SciGRID_gas) as supply networks, \
         population from GeoNames, and synthetic, calibrated layers for electricity distribution, mobile \
         telecom, drinking water, waste water, card payments, hospitals, rail, gas distribution, airports, \
         payment processors, cloud providers and data centres (see the data attribution below).</li>\n\
         <li><strong>Simulation.</strong> Each scenario runs {samples} Monte Carlo events (one event per \
         sample, horizon {hz} h): initial damage from the hazard footprint and fragility curves, islanding of \
         supply networks, then the cascade along dependencies with buffers (autonomy times), substitutes \
         with spare capacity, repairs and recovery lags. Each disrupted service keeps its causal path.</li>\n\
         <li><strong>User-hours</strong> in {ms}: users of an essential service × hours without it, summed \
         over services (a person-service measure: an hour without power and water counts twice).</li>\n\
         <li><strong>Peak people affected</strong>: the largest number of distinct people in {ms} who had lost \
         at least one essential service at the same time. Per region, a person is counted once: the \
         count is the largest number of users affected of any single service there (exact when the \
         affected users are nested, as in a power cut; a lower bound otherwise); regions are summed. It \
         never exceeds the population.</li>\n\
         <li><strong>Significant impact</strong> on {ms}: peak people affected ≥ {sig} (a configurable \
         threshold; national thresholds are configuration, Art. 7(1)).</li>\n\
         <li><strong>Likelihood</strong> of a scenario for {ms}: events per year with significant impact on \
         {ms}, λ × P(significant | event), with the annual frequency λ from the likelihood table \
         (section 7). <strong>Impact</strong>: mean user-hours in {ms} per inhabitant over the events with \
         significant impact. Both are put in five classes (section 2).</li>\n\
         <li><strong>Tail risk.</strong> For each scenario, the events in the top {tq} % of user-hours in \
         {ms}; an entity's or dependency's share is the share of those events in which it lies on the \
         causal path of a disrupted service in {ms}. Across scenarios the shares are weighted by each \
         scenario's share of {ms}'s expected annual user-hours.</li>\n\
         <li><strong>Limits.</strong> Connectivity only (no power flow); synthetic service layers; \
         annual frequencies partly assumptions; a service in a de-energised grid island is attributed to \
         the island, not to the foreign cause of the split; sampling error shrinks with more samples.</li>\n\
         </ul>\n</section>",
        samples = a.samples,
        hz = num(a.sim.horizon_hours),
        sig = num(a.sim.significant_users),
        tq = num(100.0 * (1.0 - a.sim.tail_quantile)),
    );
}

fn risk_class(l: u8, i: u8) -> &'static str {
    match risk_level(l, i) {
        "low" => "low",
        "medium" => "medium",
        "high" => "high",
        _ => "veryhigh",
    }
}

fn matrix(w: &mut String, a: &Assessment) {
    let ms = esc(&a.member_state);
    let _ = write!(
        w,
        "<section id=\"matrix\">\n<h2>2. Risk matrix</h2>\n\
         <p>Likelihood class (events per year with significant impact on {ms}) × impact class (mean \
         user-hours per inhabitant of {ms} per such event). Risk level = likelihood class × impact class: \
         low ≤ 4, medium ≤ 9, high ≤ 14, very high above.</p>\n\
         <table class=\"matrix\"><thead><tr><th>Likelihood \\ Impact</th>"
    );
    for (k, name) in a.classes.impact_names.iter().enumerate() {
        let _ = write!(w, "<th>{} {}</th>", k + 1, esc(name));
    }
    let _ = writeln!(w, "</tr></thead><tbody>");
    for l in (1..=5u8).rev() {
        let _ = write!(
            w,
            "<tr><th>{l} {}</th>",
            esc(&a.classes.likelihood_names[usize::from(l) - 1])
        );
        for i in 1..=5u8 {
            let ids: Vec<String> = a
                .scenarios
                .iter()
                .filter(|s| s.likelihood_class == Some(l) && s.impact_class == Some(i))
                .map(|s| format!("<code>{}</code>", esc(&s.id)))
                .collect();
            let _ = write!(
                w,
                "<td class=\"{}\">{}</td>",
                risk_class(l, i),
                ids.join("<br>")
            );
        }
        let _ = writeln!(w, "</tr>");
    }
    let _ = writeln!(w, "</tbody></table>");
    let none: Vec<String> = a
        .scenarios
        .iter()
        .filter(|s| s.likelihood_class.is_none())
        .map(|s| format!("<code>{}</code>", esc(&s.id)))
        .collect();
    if !none.is_empty() {
        let _ = writeln!(
            w,
            "<p>No significant impact on {ms} in any sample: {}.</p>",
            none.join(", ")
        );
    }
    let _ = writeln!(
        w,
        "<h3>Numbers behind the matrix</h3>\n<table><thead><tr><th>Scenario</th><th>Hazard family</th>\
         <th class=\"n\">λ per year</th><th>Source of λ</th><th class=\"n\">P(affected)</th>\
         <th class=\"n\">P(significant)</th><th class=\"n\">Significant events per year</th>\
         <th class=\"n\">Impact (h per inhabitant)</th><th class=\"n\">L</th><th class=\"n\">I</th>\
         <th>Risk</th></tr></thead><tbody>"
    );
    for s in &a.scenarios {
        let (l, i, r) = match (s.likelihood_class, s.impact_class) {
            (Some(l), Some(i)) => (l.to_string(), i.to_string(), risk_level(l, i).to_string()),
            _ => ("—".into(), "—".into(), "not significant".into()),
        };
        let _ = writeln!(
            w,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{l}</td>\
             <td class=\"n\">{i}</td><td>{r}</td></tr>",
            esc(&s.id),
            esc(s.family.label()),
            num(s.annual_frequency),
            esc(&s.frequency_source),
            pct(s.probability_affected),
            pct(s.probability_significant),
            num(s.significant_frequency),
            num(s.impact_hours_per_inhabitant),
        );
    }
    let _ = writeln!(w, "</tbody></table>\n</section>");
}

fn exceedance(w: &mut String, a: &Assessment) -> Result<(), AssessmentError> {
    let ms = esc(&a.member_state);
    let _ = writeln!(
        w,
        "<section id=\"exceedance\">\n<h2>3. Exceedance curves of user-hours in {ms}</h2>"
    );
    match plots::exceedance(&a.member_state, &a.scenarios, &a.exceedance)? {
        Some(svg) => {
            let _ = writeln!(
                w,
                "<figure>{svg}<figcaption>Figure 1. Probability per year that one event exceeds a level \
                 of user-hours in {ms}: per scenario 1 − exp(−λ·P(X &gt; x)); all hazards 1 − exp(−Σ λ·P(X \
                 &gt; x)). Scenarios without an annual frequency are left out.</figcaption></figure>"
            );
        }
        None => {
            let _ = writeln!(
                w,
                "<p>No scenario with an annual frequency had any impact on {ms}: no curve to draw.</p>"
            );
        }
    }
    let _ = writeln!(
        w,
        "<h3>Numbers behind Figure 1: all hazards</h3>\n<table><thead><tr><th class=\"n\">User-hours \
         level</th><th class=\"n\">Events per year above</th><th class=\"n\">Annual exceedance \
         probability</th></tr></thead><tbody>"
    );
    for (k, c) in a.exceedance.iter().enumerate() {
        // Every fourth level keeps the table readable; the JSON output has all.
        if k % 4 == 0 || k + 1 == a.exceedance.len() {
            let _ = writeln!(
                w,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                num(c.user_hours),
                num(c.annual_frequency),
                num(c.annual_probability)
            );
        }
    }
    let _ = writeln!(
        w,
        "</tbody></table>\n<h3>Numbers behind Figure 1: per scenario (per event)</h3>\n<table><thead><tr>\
         <th>Scenario</th><th class=\"n\">Mean user-h</th><th class=\"n\">P90</th><th class=\"n\">P99</th>\
         <th class=\"n\">Max</th><th class=\"n\">Mean peak people</th><th class=\"n\">Max peak people</th>\
         <th class=\"n\">Expected annual user-h</th></tr></thead><tbody>"
    );
    for s in &a.scenarios {
        let _ = writeln!(
            w,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.id),
            num(s.user_hours.mean),
            num(s.user_hours.p90),
            num(s.user_hours.p99),
            num(s.user_hours.max),
            num(s.peak_people.mean),
            num(s.peak_people.max),
            num(s.expected_annual_user_hours),
        );
    }
    let _ = writeln!(
        w,
        "<tr><th>All scenarios</th><td></td><td></td><td></td><td></td><td></td><td></td>\
         <td class=\"n\"><strong>{}</strong></td></tr>\n</tbody></table>",
        num(a.expected_annual_user_hours)
    );
    let rows: Vec<(String, f64, plotters::style::RGBColor)> = a
        .scenarios
        .iter()
        .map(|s| (s.id.clone(), s.expected_annual_user_hours, INBOUND))
        .collect();
    if let Some(svg) = plots::hbar(
        "expected-annual",
        &format!(
            "Expected annual user-hours in {} by scenario",
            a.member_state
        ),
        "expected user-hours per year, λ × mean per event (log scale)",
        "scenario",
        &rows,
    )? {
        let _ = writeln!(
            w,
            "<figure>{svg}<figcaption>Figure 2. Expected annual user-hours in {ms} by scenario; the numbers \
             are in the last column of the table above.</figcaption></figure>"
        );
    }
    let _ = writeln!(w, "</section>");
    Ok(())
}

fn tail(w: &mut String, a: &Assessment) {
    let ms = esc(&a.member_state);
    let _ = writeln!(
        w,
        "<section id=\"tail\">\n<h2>4. Top entities and dependencies by share of tail risk</h2>\n\
         <p>Share of the worst {tq} % of events (by user-hours in {ms}) in which the entity or dependency lies on \
         the causal path of a disrupted service in {ms}; weighted over scenarios by their share of expected \
         annual user-hours. Input to Art. 7(1)(b) and (f) (dependence of other sectors, substitutability) and \
         to Art. 5(2)(c) (cross-sector and cross-border dependencies).</p>\n\
         <h3>Entities</h3>\n<table><thead><tr><th>#</th><th>Entity</th><th>Service or layer</th><th>MS</th>\
         <th class=\"n\">MS served</th><th class=\"n\">Weighted share</th><th class=\"n\">Max share</th>\
         <th>in scenario</th></tr></thead><tbody>",
        tq = num(100.0 * (1.0 - a.sim.tail_quantile)),
    );
    for (k, e) in a.top_entities.iter().enumerate() {
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            k + 1,
            esc(&e.name),
            esc(&e.id),
            esc(&e.service),
            esc(&e.member_state),
            if e.served_member_states == 0 {
                1
            } else {
                e.served_member_states
            },
            pct(e.weighted_share),
            pct(e.max_share),
            esc(&e.max_scenario)
        );
    }
    if a.top_entities.is_empty() {
        let _ = writeln!(
            w,
            "<tr><td colspan=\"8\">No tail events with impact on {ms}.</td></tr>"
        );
    }
    let _ = writeln!(
        w,
        "</tbody></table>\n<h3>Dependencies</h3>\n<table><thead><tr><th>#</th><th>Supplier</th>\
         <th>Dependent</th><th>Resource</th><th>Cross-border</th><th class=\"n\">Weighted share</th>\
         <th class=\"n\">Max share</th><th>in scenario</th></tr></thead><tbody>"
    );
    for (k, d) in a.top_dependencies.iter().enumerate() {
        let cross = d.supplier_member_state != d.dependent_member_state;
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td><code>{}</code> ({})</td><td><code>{}</code> ({})</td><td>{}</td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            k + 1,
            esc(&d.supplier),
            esc(&d.supplier_member_state),
            esc(&d.dependent),
            esc(&d.dependent_member_state),
            esc(&d.resource),
            if cross { "yes" } else { "no" },
            pct(d.weighted_share),
            pct(d.max_share),
            esc(&d.max_scenario)
        );
    }
    if a.top_dependencies.is_empty() {
        let _ = writeln!(
            w,
            "<tr><td colspan=\"8\">No tail events with impact on {ms}.</td></tr>"
        );
    }
    let _ = writeln!(w, "</tbody></table>\n</section>");
}

fn cross_border(w: &mut String, a: &Assessment) -> Result<(), AssessmentError> {
    let ms = esc(&a.member_state);
    let _ = writeln!(
        w,
        "<section id=\"cross-border\">\n<h2>5. Cross-border exposures</h2>\n\
         <p>Inbound: expected annual user-hours in {ms} whose causal path runs through a node in the other \
         Member State (its disruptions propagate into {ms}). Outbound: expected annual user-hours in the \
         other Member State whose causal path runs through {ms}. Art. 5(2)(c) (dependencies on entities in \
         other Member States), Art. 11 (consultation on cross-border critical infrastructure) and \
         Art. 15(3) (informing other affected Member States).</p>"
    );
    let mut rows = Vec::new();
    for c in &a.cross_border {
        rows.push((
            format!("{} → {}", c.member_state, a.member_state),
            c.inbound_annual_user_hours,
            INBOUND,
        ));
        rows.push((
            format!("{} → {}", a.member_state, c.member_state),
            c.outbound_annual_user_hours,
            OUTBOUND,
        ));
    }
    match plots::hbar(
        "cross-border",
        &format!("Cross-border flows of disruption, {}", a.member_state),
        "expected user-hours per year along causal paths (log scale)",
        "direction of the flow",
        &rows,
    )? {
        Some(svg) => {
            let _ = writeln!(
                w,
                "<figure>{svg}<figcaption>Figure 3. Blue: other Member State → {ms} (inbound); orange: {ms} → \
                 other Member State (outbound). Scenarios without an annual frequency do not contribute; the \
                 per-event probabilities are in the table.</figcaption></figure>"
            );
        }
        None => {
            let _ = writeln!(
                w,
                "<p>No cross-border flow with an annual frequency in the samples.</p>"
            );
        }
    }
    let _ = writeln!(
        w,
        "<h3>Numbers behind Figure 3</h3>\n<table><thead><tr><th>Member State</th>\
         <th class=\"n\">Inbound user-h per year</th><th class=\"n\">Max P(inbound) per event</th>\
         <th class=\"n\">Outbound user-h per year</th><th class=\"n\">Max P(outbound) per event</th>\
         <th>Scenarios</th></tr></thead><tbody>"
    );
    for c in &a.cross_border {
        let _ = writeln!(
            w,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&c.member_state),
            num(c.inbound_annual_user_hours),
            pct(c.inbound_max_probability),
            num(c.outbound_annual_user_hours),
            pct(c.outbound_max_probability),
            c.scenarios
                .iter()
                .map(|s| esc(s))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if a.cross_border.is_empty() {
        let _ = writeln!(w, "<tr><td colspan=\"6\">None in the samples.</td></tr>");
    }
    let _ = writeln!(
        w,
        "</tbody></table>\n<h3>Six or more Member States</h3>\n\
         <p><strong>Incidents (Art. 15(1)):</strong> where an incident has or might have a significant \
         impact on the continuity of essential services to or in six or more Member States, the authorities \
         notify the Commission. Share of events per scenario with significant impact in six or more \
         Member States, and with significant impact outside the origin Member States (Art. 15(3)):</p>\n\
         <table><thead><tr><th>Scenario</th><th class=\"n\">P(≥ 6 Member States)</th>\
         <th>Art. 15(1) flag</th><th class=\"n\">P(cross-border)</th></tr></thead><tbody>"
    );
    for s in &a.scenarios {
        let _ = writeln!(
            w,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.id),
            pct(s.six_member_states_probability),
            if s.six_member_states_probability > 0.0 {
                "yes"
            } else {
                "no"
            },
            pct(s.cross_border_probability)
        );
    }
    let _ = writeln!(
        w,
        "</tbody></table>\n<p><strong>Entities (Art. 17(1)(b)):</strong> entities that provide the same or \
         similar essential services to or in six or more Member States, operating in or serving {ms} — \
         candidates for critical entities of particular European significance if identified as critical \
         (Art. 6(1)) and notified (Art. 17(3)).</p>\n<table><thead><tr><th>Entity</th><th>Service</th>\
         <th>MS</th><th class=\"n\">Member States served</th><th class=\"n\">Max tail share in {ms}</th>\
         </tr></thead><tbody>"
    );
    for e in &a.six_member_state_entities {
        let _ = writeln!(
            w,
            "<tr><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            esc(&e.name),
            esc(&e.id),
            esc(&e.service),
            esc(&e.member_state),
            e.served_member_states,
            pct(e.max_tail_share)
        );
    }
    if a.six_member_state_entities.is_empty() {
        let _ = writeln!(w, "<tr><td colspan=\"5\">None in the model.</td></tr>");
    }
    let _ = writeln!(w, "</tbody></table>\n</section>");
    Ok(())
}

fn reproducibility(w: &mut String, a: &Assessment) {
    let ms = esc(&a.member_state);
    let _ = writeln!(
        w,
        "<section id=\"reproducibility\">\n<h2>6. Reproducibility</h2>\n\
         <p>Seed {seed}, {samples} samples per scenario. The same model data, options and seed give a \
         byte-identical report on any number of threads:</p>\n\
         <pre>bulwark resilience assess --member-state {ms} --samples {samples} --seed {seed} --out report.html</pre>\n\
         <p>plus <code>--likelihood FILE</code> if the table below was configured, and <code>--date</code> for \
         the assessment date. Engine settings: horizon {hz} h, disruption threshold {dt} (functional level), \
         significance threshold {sig} people, tail quantile {tq}.</p>\n\
         </section>\n<section id=\"likelihood\">\n<h2>7. Likelihood table</h2>\n\
         <p>Annual frequencies λ of the scenario events. Figures marked [assumption] are not sourced in the \
         project specification and must be replaced by the Member State's own (e.g. from the Union Civil \
         Protection Mechanism risk assessment, Art. 5(2)(a)).</p>\n<table><thead><tr><th>Scenario</th>\
         <th class=\"n\">λ per year</th><th>Source</th></tr></thead><tbody>",
        seed = a.seed,
        samples = a.samples,
        hz = num(a.sim.horizon_hours),
        dt = num(a.sim.disruption_threshold),
        sig = num(a.sim.significant_users),
        tq = num(a.sim.tail_quantile),
    );
    for (id, e) in &a.likelihood.entries {
        let _ = writeln!(
            w,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(id),
            num(e.annual_frequency),
            esc(&e.source)
        );
    }
    let _ = writeln!(
        w,
        "</tbody></table>\n</section>\n<section id=\"attribution\">\n<h2>8. Data attribution</h2>\n<p>{}</p>\n\
         <p class=\"note\">The GridKit extract is unofficial; coordinates favour topology over geography; \
         service layers other than the grids are synthetic and calibrated on published figures.</p>\n\
         </section>",
        esc(&a.attribution).replace('\n', "<br>\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(0.25), "0.250");
        assert_eq!(num(12.34), "12.3");
        assert_eq!(num(46_723_749.0), "4.67&#8239;×&#8239;10<sup>7</sup>");
        assert_eq!(num(12_345.0), "12\u{202f}345");
        assert_eq!(num(9.996e6), "1.00&#8239;×&#8239;10<sup>7</sup>");
        assert_eq!(pct(0.5), "50.0 %");
    }
}
