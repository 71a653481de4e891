//! The JSON body extractor: errors name the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body. Unlike `axum::Json`, a rejection is a JSON error
/// naming the field (`role`, `members[2].name`) and the rule it broke, and an
/// oversized body is a 413 with the limit.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let essence = ct.split(';').next().unwrap_or("").trim();
                essence.eq_ignore_ascii_case("application/json") || essence.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!(
                        "the request body exceeds the limit of {} bytes",
                        crate::BODY_LIMIT_BYTES
                    ),
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    rejection.body_text(),
                )
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, reporting the path of the field that failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(v) => {
            de.end().map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("malformed JSON: {e}"),
                )
            })?;
            Ok(v)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("malformed JSON: {inner}"),
                ));
            }
            let message = strip_position(&inner.to_string());
            let field = if path == "." || path.is_empty() {
                missing_field(&message).unwrap_or_else(|| "(body)".into())
            } else {
                path
            };
            Err(ApiError::invalid(
                field.clone(),
                format!("`{field}`: {message}"),
            ))
        }
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    rest.split('`').next().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        role: bulwark_core::Role,
        name: String,
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse_json::<Req>(br#"{"role":"boss","name":"x"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("role"));
        assert!(
            e.message.contains("boss") && e.message.contains("auditor"),
            "{}",
            e.message
        );
        let e = parse_json::<Req>(br#"{"role":"admin"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = parse_json::<Req>(br#"{"role":"admin","name":"x","extra":1}"#).unwrap_err();
        assert!(e.message.contains("extra"), "{}", e.message);
        let e = parse_json::<Req>(br#"{"role": "#).unwrap_err();
        assert_eq!(e.code, "malformed_json");
        let e = parse_json::<Req>(br#"{"role":"admin","name":"x"} trailing"#).unwrap_err();
        assert_eq!(e.code, "malformed_json");
    }
}
