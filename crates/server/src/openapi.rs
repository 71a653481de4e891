//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `bulwark token create`"))
                    .build(),
            ),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bulwark API",
        description = "EU security toolset: resilience, detection, online harms, cooperation, capability. \
                       Every route needs a bearer token whose role grants the route's permission.",
        license(name = "EUPL-1.2")
    ),
    paths(
        api::me::me,
        openapi_json,
        api::tokens::list_tokens,
        api::tokens::create_token,
        api::tokens::revoke_token,
        api::audit::list_audit,
        api::audit::verify_audit,
        api::resilience::list_services,
        api::resilience::list_entities,
        api::resilience::put_entity,
        api::resilience::get_entity,
        api::resilience::identify,
        api::resilience::import_records,
        api::resilience::export_records,
        api::resilience::get_thresholds,
        api::resilience::put_thresholds,
        api::resilience::list_incidents,
        api::resilience::report_incident,
        api::resilience::get_incident,
        api::resilience::submit_report,
        api::detection::scan_hashes,
        api::detection::scan_image,
        api::detection::get_lists,
        api::detection::import_list,
        api::detection::trust_key,
        api::detection::get_indicator,
        api::detection::set_indicator_status,
        api::detection::list_bases,
        api::detection::declare_basis,
        api::detection::issue_order,
        api::detection::set_basis_status,
        api::detection::set_order_status,
        api::detection::review_queue,
        api::detection::get_match,
        api::detection::decide_match,
        api::detection::record_match_removal,
        api::detection::extend_match_preservation,
        api::detection::reinstate_match,
        api::detection::list_reports,
        api::detection::create_report,
        api::detection::list_signing_keys,
        api::detection::replace_signing_key,
        api::detection::list_removal_orders,
        api::detection::get_removal_order,
        api::detection::issue_removal_order,
        api::detection::act_on_removal_order,
        api::detection::reinstate_removal_order,
        api::detection::list_complaints,
        api::detection::file_complaint,
        api::detection::decide_complaint,
        api::detection::error_rates,
        api::detection::transparency_figures,
        api::detection::purge,
        api::simulations::start_simulation,
        api::simulations::list_simulations,
        api::simulations::get_simulation,
        api::simulations::exceedance_svg,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served: annotated with each route's permission and scope.
pub fn document(specs: &[crate::routes::RouteSpec]) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for spec in specs {
        let Some(item) = doc.paths.paths.get_mut(&spec.path) else {
            continue;
        };
        let op = match spec.method {
            axum::http::Method::GET => item.get.as_mut(),
            axum::http::Method::POST => item.post.as_mut(),
            axum::http::Method::PUT => item.put.as_mut(),
            axum::http::Method::PATCH => item.patch.as_mut(),
            axum::http::Method::DELETE => item.delete.as_mut(),
            _ => None,
        };
        if let Some(op) = op {
            let note = format!(
                "Permission: `{}`. Member State scope: {}.",
                spec.permission,
                match spec.scope {
                    crate::routes::ScopeRule::Own => "any".to_string(),
                    crate::routes::ScopeRule::EuWide => "EU-wide tokens only".to_string(),
                    crate::routes::ScopeRule::PathMemberState(p) =>
                        format!("must cover path parameter `{p}`"),
                }
            );
            op.description = Some(match op.description.take() {
                Some(d) => format!("{d}\n\n{note}"),
                None => note,
            });
        }
    }
    doc
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "platform",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json")),
    security(("bearer" = []))
)]
pub async fn openapi_json(
    axum::extract::State(app): axum::extract::State<crate::AppState>,
) -> Json<serde_json::Value> {
    Json(app.openapi.as_ref().clone())
}
