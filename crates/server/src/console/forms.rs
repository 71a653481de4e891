//! Form handling with CSRF and origin checks.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

use crate::access::ConsoleSession;
use crate::console::error_page;

/// A console form submission whose `csrf` field matched the session's CSRF
/// secret and whose `Origin` (when the browser sends one) is this server.
pub struct CsrfForm<T>(pub T);

/// Whether a POST comes from this origin (browsers send `Origin` on every
/// cross-site POST, so a mismatch is a forged request).
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    origin_host == host
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(serde::Deserialize)]
struct CsrfField {
    csrf: String,
}

impl<S, T> FromRequest<S> for CsrfForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !same_origin(req.headers()) {
            return Err(error_page(
                StatusCode::FORBIDDEN,
                "Cross-origin form submissions are refused.",
            ));
        }
        let session = req
            .extensions()
            .get::<ConsoleSession>()
            .cloned()
            .ok_or_else(|| error_page(StatusCode::UNAUTHORIZED, "Please sign in again."))?;
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."))?;
        let field: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| {
            error_page(
                StatusCode::FORBIDDEN,
                "The form lacks its CSRF token; reload the page.",
            )
        })?;
        if !constant_time_eq(field.csrf.as_bytes(), session.csrf.as_bytes()) {
            return Err(error_page(
                StatusCode::FORBIDDEN,
                "The form's CSRF token is wrong; reload the page.",
            ));
        }
        let value: T = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            error_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Invalid form: {e}"),
            )
        })?;
        Ok(CsrfForm(value))
    }
}
