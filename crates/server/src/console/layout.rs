//! The page frame shared by every console page.

use maud::{DOCTYPE, Markup, html};

use bulwark_core::Permission;
use bulwark_store::Principal;

use crate::access::ConsoleSession;

const STYLE: &str = r#"
:root { --ink:#1b2330; --muted:#5b6677; --line:#d9dee6; --accent:#003399; --bad:#a4001d; --good:#1d6b2f; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; color: var(--ink); margin: 0; background: #f6f7f9; }
header { background: var(--accent); color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.2rem; align-items: center; }
header a { color: #fff; text-decoration: none; } header .brand { font-weight: 700; letter-spacing: .04em; }
header form { margin-left: auto; } header button { background: transparent; color: #fff; border: 1px solid #fff8; }
main { max-width: 1100px; margin: 1.2rem auto; padding: 0 1.2rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; } code, .mono { font-family: ui-monospace, monospace; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: .8rem; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem; }
.ok { color: var(--good); font-weight: 600; } .error, .bad { color: var(--bad); font-weight: 600; }
.secret { background: #fff7d6; border: 1px solid #e6c200; padding: .6rem; word-break: break-all; }
label { display: block; margin: .4rem 0 .1rem; } input, select { padding: .3rem; min-width: 16rem; }
button { padding: .35rem .8rem; cursor: pointer; }
.overdue td { background: #fdecee; } .num { text-align: right; font-variant-numeric: tabular-nums; }
progress { width: 24rem; height: 1.2rem; } img.plot { max-width: 100%; background: #fff; border: 1px solid var(--line); }
"#;

/// Wraps `content` in the console frame. `who` adds the navigation for the
/// signed-in principal (links only to pages their role may open).
pub fn page(title: &str, who: Option<(&Principal, &ConsoleSession)>, content: Markup) -> Markup {
    page_with_head(title, who, html! {}, content)
}

/// Whether the principal may open the simulation pages (they need
/// `resilience:read` and an EU-wide scope, as their routes declare).
pub fn may_simulate(p: &Principal) -> bool {
    p.role.allows(Permission::ResilienceRead) && p.scope.is_all()
}

/// [`page`] with extra elements in `<head>` (e.g. a refresh while a
/// simulation runs).
pub fn page_with_head(
    title: &str,
    who: Option<(&Principal, &ConsoleSession)>,
    head_extra: Markup,
    content: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                (head_extra)
                title { (title) " · Bulwark" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    a.brand href="/console" { "BULWARK" }
                    @if let Some((p, session)) = who {
                        a href="/console" { "Dashboard" }
                        @if p.role.allows(Permission::ResilienceRead) { a href="/console/resilience/incidents" id="nav-incidents" { "Incidents" } }
                        @if may_simulate(p) { a href="/console/resilience/simulations" id="nav-simulations" { "Simulations" } }
                        @if p.role.allows(Permission::AuditRead) { a href="/console/audit" { "Audit log" } }
                        @if p.role.allows(Permission::TokenManage) { a href="/console/tokens" { "Tokens" } }
                        @if p.role.allows(Permission::DetectionRead) { a href="/console/detection" id="nav-detection" { "Detection" } }
                        form method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(session.csrf);
                            span { (p.name) " · " (p.role) " · " (p.organisation) " · " (p.scope) " " }
                            button type="submit" id="sign-out" { "Sign out" }
                        }
                    }
                }
                main { (content) }
            }
        }
    }
}
