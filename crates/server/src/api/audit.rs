//! `/api/v1/audit`: read and verify the audit chain.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use bulwark_store::audit::{self, AuditRecord, VerifyOptions, VerifyReport};

use crate::AppState;
use crate::error::ApiError;

/// Paging of the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditPage {
    /// Return records with a sequence number above this (default 0).
    #[serde(default)]
    pub after: Option<i64>,
    /// At most this many records (1-1000, default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// Audit records in chain order.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    tag = "platform",
    params(AuditPage),
    responses(
        (status = 200, description = "Records with seq > after, oldest first", body = [AuditRecord]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 422, description = "Bad paging parameter", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_audit(
    State(app): State<AppState>,
    Query(page): Query<AuditPage>,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    let limit = page.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "`limit` must be between 1 and 1000",
        ));
    }
    let after = page.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid("after", "`after` must not be negative"));
    }
    Ok(Json(audit::page(&app.store, after, limit).await?))
}

/// Walks the whole chain and reports the first broken link.
#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "platform",
    responses(
        (status = 200, description = "Verification result (ok or the first break)", body = VerifyReport),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn verify_audit(State(app): State<AppState>) -> Result<Json<VerifyReport>, ApiError> {
    Ok(Json(
        audit::verify(&app.store, &VerifyOptions::default()).await?,
    ))
}
