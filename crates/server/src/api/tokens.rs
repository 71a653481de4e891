//! `/api/v1/tokens`: issue, list and revoke API tokens.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use bulwark_store::tokens::{self, IssuedToken, NewToken, TokenId, TokenInfo};

use crate::AppState;
use crate::access::{Caller, Purpose};
use crate::error::ApiError;
use crate::json::ApiJson;

/// Lists every token (never their secrets).
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "platform",
    responses(
        (status = 200, description = "All tokens", body = [TokenInfo]),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_tokens(State(app): State<AppState>) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    Ok(Json(tokens::list(&app.store).await?))
}

/// Issues a token. The secret is in this response only; Bulwark keeps its hash.
#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "platform",
    request_body = NewToken,
    params(("X-Purpose" = Option<String>, Header, description = "Why, for the audit log")),
    responses(
        (status = 201, description = "Issued; the secret is shown once", body = IssuedToken),
        (status = 400, description = "Malformed JSON", body = crate::error::ErrorBody),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 413, description = "Body too large", body = crate::error::ErrorBody),
        (status = 422, description = "A field broke a rule", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_token(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    ApiJson(request): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let issued = tokens::create(
        &app.store,
        &caller.actor(),
        &caller.scope,
        request,
        &purpose,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes a token; it stops working at once and its console sessions end.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "platform",
    params(
        ("id" = String, Path, description = "Token id (UUID)"),
        ("X-Purpose" = Option<String>, Header, description = "Why, for the audit log"),
    ),
    responses(
        (status = 200, description = "Revoked", body = TokenInfo),
        (status = 401, description = "No valid token", body = crate::error::ErrorBody),
        (status = 403, description = "Role or scope insufficient", body = crate::error::ErrorBody),
        (status = 404, description = "No such active token", body = crate::error::ErrorBody),
        (status = 422, description = "Malformed id", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_token(
    State(app): State<AppState>,
    Caller(caller): Caller,
    Purpose(purpose): Purpose,
    Path(id): Path<String>,
) -> Result<Json<TokenInfo>, ApiError> {
    let id: TokenId = id
        .parse()
        .map_err(|e: bulwark_core::ParseError| ApiError::invalid("id", e.to_string()))?;
    Ok(Json(
        tokens::revoke(&app.store, &caller.actor(), id, &purpose).await?,
    ))
}
