//! The JSON API's one error shape, and the extractors and middleware that make every
//! `/api/v1` answer use it (issue 21): integrators parse `{"error": {"code",
//! "message", "fields"}}` whatever went wrong, from a repeated query parameter to an
//! unknown route, never a framework's plain-text or HTML answer.
//!
//! Messages come from the `api_error` locale section, Indonesian first then English
//! (`"… / …"`), as every API message has been since the API began.

use std::collections::HashSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::ApiDenied;
use crate::backup::both;

/// A refused API request: the status, a stable machine-readable code, a sentence a
/// person reads, and the fields at fault (named as in the OpenAPI document).
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code for programs (`invalid_query`, `not_found`, ...).
    pub code: &'static str,
    /// Indonesian, then English.
    pub message: String,
    /// The fields at fault, when the problem is a field's.
    pub fields: Vec<FieldProblem>,
}

/// One field's problem in an API answer.
#[derive(Debug, Clone, Serialize)]
pub struct FieldProblem {
    /// The parameter or body property, as the OpenAPI document names it.
    pub field: String,
    /// What is wrong with it, Indonesian then English.
    pub message: String,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fields: &'a [FieldProblem],
}

impl ApiError {
    /// An error with no field attached; `key` is in the `api_error` locale section.
    pub fn new(status: StatusCode, code: &'static str, key: &str, args: &[(&str, &str)]) -> ApiError {
        ApiError {
            status,
            code,
            message: both(&format!("api_error.{key}"), args),
            fields: Vec::new(),
        }
    }

    /// 422 for one query or path parameter; the message names it.
    pub fn param(field: &str, key: &str, args: &[(&str, &str)]) -> ApiError {
        Self::field_error("invalid_query", field, key, args)
    }

    /// 422 for one property of a JSON body; the message names it.
    pub fn body_field(field: &str, key: &str, args: &[(&str, &str)]) -> ApiError {
        Self::field_error("invalid", field, key, args)
    }

    fn field_error(code: &'static str, field: &str, key: &str, args: &[(&str, &str)]) -> ApiError {
        let mut all = vec![("field", field)];
        all.extend_from_slice(args);
        let message = both(&format!("api_error.{key}"), &all);
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            fields: vec![FieldProblem {
                field: field.to_owned(),
                message: message.clone(),
            }],
            message,
        }
    }

    /// 404: nothing at this address (or nothing this caller may know exists).
    pub fn not_found() -> ApiError {
        Self::new(StatusCode::NOT_FOUND, "not_found", "not_found", &[])
    }

    /// 500: our fault; the log has the details under the request id.
    pub fn internal() -> ApiError {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal", &[])
    }

    /// The JSON answer for a status some layer produced without a body of ours
    /// (router 404/405, body limit, timeout, rate limit...).
    pub fn for_status(status: StatusCode, method: &Method, allow: &str) -> ApiError {
        let (code, key) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "bad_request"),
            StatusCode::UNAUTHORIZED => ("unauthenticated", "unauthenticated"),
            StatusCode::FORBIDDEN => ("forbidden", "forbidden"),
            StatusCode::NOT_FOUND => ("not_found", "not_found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method_not_allowed"),
            StatusCode::REQUEST_TIMEOUT => ("timeout", "timeout"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "payload_too_large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "unsupported_media_type"),
            StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "too_many_requests"),
            s if s.is_server_error() => ("internal", "internal"),
            _ => ("bad_request", "bad_request"),
        };
        Self::new(status, code, key, &[("method", method.as_str()), ("allow", allow)])
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message: &self.message,
            fields: &self.fields,
        };
        (self.status, Json(serde_json::json!({ "error": body }))).into_response()
    }
}

impl From<ApiDenied> for ApiError {
    fn from(denied: ApiDenied) -> Self {
        match denied {
            ApiDenied::Unauthenticated => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "unauthenticated", &[])
            }
            ApiDenied::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "forbidden", &[]),
            ApiDenied::Internal => ApiError::internal(),
        }
    }
}

/// Query parameters of an API operation. A parameter named twice is refused (the
/// document gives each one value), and a required one missing is named; the
/// handler checks each value's own rules.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or_default();
        let mut seen = HashSet::new();
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            if !seen.insert(key.clone()) {
                return Err(ApiError::param(&key, "repeated", &[]));
            }
            if value.contains('\0') {
                return Err(ApiError::param(&key, "nul", &[]));
            }
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| serde_problem(&e, ApiError::param))
    }
}

/// A JSON request body: `Content-Type: application/json` (else 415), valid JSON
/// (else 400 with the line and column), an object whose properties are not `null`
/// (no request property of the API is nullable), hold no NUL character and have the
/// documented types (else 422 naming the property).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !declares_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "unsupported_media_type",
                &[],
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            let status = rejection.status();
            ApiError::for_status(status, &Method::POST, "")
        })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                "malformed_json",
                &[("line", &e.line().to_string()), ("column", &e.column().to_string())],
            )
        })?;
        let Some(object) = value.as_object() else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "not_object",
                &[],
            ));
        };
        if let Some((name, _)) = object.iter().find(|(_, v)| v.is_null()) {
            return Err(ApiError::body_field(name, "null_field", &[]));
        }
        if let Some((name, _)) = object.iter().find(|(_, v)| holds_nul(v)) {
            return Err(ApiError::body_field(name, "nul", &[]));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| serde_problem(&e, ApiError::body_field))
    }
}

/// Whether a JSON value holds a NUL character in any string: no person types one,
/// and PostgreSQL can neither store nor compare it.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// Names the field serde stopped at: a missing one by name, a wrong one by its path.
fn serde_problem<E: std::fmt::Display>(
    e: &serde_path_to_error::Error<E>,
    make: fn(&str, &str, &[(&str, &str)]) -> ApiError,
) -> ApiError {
    let inner = e.inner().to_string();
    if let Some(rest) = inner.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        return make(name, "missing", &[]);
    }
    make(&e.path().to_string(), "wrong_type", &[])
}

/// Whether the headers declare a JSON body.
fn declares_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime_type::Essence>().ok())
        .is_some_and(|m| m.is_json())
}

/// Content types, by their essence only (`application/json; charset=utf-8` is JSON).
mod mime_type {
    /// `type/subtype`, lowercased.
    pub struct Essence(String);

    impl std::str::FromStr for Essence {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            let essence = s.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if essence.contains('/') {
                Ok(Essence(essence))
            } else {
                Err(())
            }
        }
    }

    impl Essence {
        /// `application/json` or a `+json` type.
        pub fn is_json(&self) -> bool {
            self.0 == "application/json" || (self.0.starts_with("application/") && self.0.ends_with("+json"))
        }
    }
}

/// Whether a path belongs to the JSON API.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Middleware: a path with an encoded NUL is a 404; any error answer under `/api/`
/// that is not JSON yet (the router's 404
/// and 405, the body limit's 413, the timeout's 408, the rate limit's 429, a panic's
/// 500) becomes the documented `Error` JSON with the same status and headers (`Allow`
/// of a 405, `Retry-After` of a 429 stay).
pub async fn json_errors(req: Request, next: Next) -> Response {
    if !is_api_path(req.uri().path()) {
        return next.run(req).await;
    }
    // A NUL in a path segment names nothing (and PostgreSQL cannot even compare it).
    if req.uri().path().contains("%00") {
        return ApiError::not_found().into_response();
    }
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if declares_json(response.headers()) {
        return response;
    }
    let (parts, _) = response.into_parts();
    let allow = parts
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut answer = ApiError::for_status(status, &method, &allow).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    if status == StatusCode::UNAUTHORIZED && !answer.headers().contains_key(header::WWW_AUTHENTICATE) {
        answer
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    answer
}
