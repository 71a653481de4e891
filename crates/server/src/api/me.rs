//! `GET /api/v1/me`: who the caller is.

use axum::Json;

use bulwark_store::Principal;

use crate::access::Caller;

/// The caller's token: id, name, role, organisation and Member State scope.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "platform",
    responses(
        (status = 200, description = "The caller", body = Principal),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn me(Caller(principal): Caller) -> Json<Principal> {
    Json(principal)
}
