//! The WhatsApp Cloud API webhook of a unit, `/webhook/{unit}/whatsapp-meta`: the
//! URL its admin pastes into Meta's app dashboard (issue 19).
//!
//! `GET` is Meta's verification handshake: `hub.mode=subscribe` with the unit's verify
//! token echoes `hub.challenge` as plain text; anything else is 403. `POST` carries
//! messages, signed by Meta with `X-Hub-Signature-256` under the app secret; a
//! missing or wrong signature is 401 and stores nothing, so another unit's (or
//! anyone's) app secret never opens this unit's webhook. Bodies are JSON answers
//! `{"results": [...]}` for logs and tests; Meta reads only the status: 200 once
//! stored, 5xx when a retry can help (Meta redelivers; a redelivery is a no-op).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::backup::both;
use crate::providers::meta::inbound::{self, InboundError};
use crate::providers::meta::{self, MetaSettings};
use crate::storage::model::Unit;

/// A refusal as JSON: a stable code and the sentence in both languages.
fn refuse(status: StatusCode, code: &'static str, key: &str) -> Response {
    let message = both(&format!("provider_meta.{key}"), &[]);
    (
        status,
        Json(serde_json::json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// The unit of the URL and its Meta settings (None when it has none, or another
/// provider's); Err is the answer to give.
async fn unit_and_settings(state: &AppState, code: &str) -> Result<(Unit, Option<(MetaSettings, bool)>), Response> {
    let unit = match state.store.unit_by_code(code).await {
        Ok(Some(u)) => u,
        Ok(None) => return Err(refuse(StatusCode::NOT_FOUND, "not_found", "webhook_no_unit")),
        Err(e) => {
            tracing::error!(error = %e, "Meta webhook: unit lookup failed");
            return Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "webhook_internal",
            ));
        }
    };
    match state.store.channel_settings(unit.id, "whatsapp").await {
        Ok(settings) => {
            let meta = settings.and_then(|s| MetaSettings::from_config(&s.config).map(|m| (m, s.enabled)));
            Ok((unit, meta))
        }
        Err(e) => {
            tracing::error!(error = %e, "Meta webhook: settings lookup failed");
            Err(refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "webhook_internal",
            ))
        }
    }
}

/// `GET /webhook/{unit}/whatsapp-meta`: Meta's verification handshake. It works
/// before the channel is switched on, so an admin can verify first and go live after.
pub async fn handshake(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let (unit, settings) = match unit_and_settings(&state, &code).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let token_ok = settings
        .as_ref()
        .is_some_and(|(s, _)| meta::verify_token_matches(s, param("hub.verify_token").unwrap_or_default()));
    let challenge = param("hub.challenge").unwrap_or_default();
    // The challenge is echoed: only a short plain token is (Meta sends digits).
    let challenge_ok =
        !challenge.is_empty() && challenge.len() <= 200 && challenge.chars().all(|c| c.is_ascii_graphic());
    if param("hub.mode") != Some("subscribe") || !token_ok || !challenge_ok {
        tracing::warn!(unit = %unit.code, "Meta webhook handshake refused");
        return refuse(StatusCode::FORBIDDEN, "forbidden", "webhook_handshake_refused");
    }
    tracing::info!(unit = %unit.code, "Meta webhook verified");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        challenge.to_owned(),
    )
        .into_response()
}

/// `POST /webhook/{unit}/whatsapp-meta`: messages from Meta, checked against the
/// unit's app secret before anything is read.
pub async fn deliver(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (unit, settings) = match unit_and_settings(&state, &code).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let signature = headers
        .get(meta::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // A unit without Meta settings, or with the channel off, has no secret that
    // could have signed this: refused like a forged signature.
    let settings = match settings {
        Some((s, true)) if meta::signature_matches(&s, &body, signature) => s,
        _ => {
            tracing::warn!(unit = %unit.code, "Meta webhook post with a bad or missing signature");
            return refuse(StatusCode::UNAUTHORIZED, "bad_signature", "webhook_bad_signature");
        }
    };
    match inbound::take(
        state.store.as_ref(),
        &unit,
        &settings,
        &body,
        state.config.public_url.as_deref(),
    )
    .await
    {
        Ok(results) => (StatusCode::OK, Json(serde_json::json!({ "results": results }))).into_response(),
        Err(InboundError::Unreadable) => refuse(StatusCode::BAD_REQUEST, "invalid", "webhook_unreadable"),
        Err(InboundError::MediaTemporary(e)) => {
            tracing::warn!(unit = %unit.code, error = %e, "Meta media download failed; Meta will redeliver");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "media_unavailable",
                "webhook_media_retry",
            )
        }
        Err(InboundError::Store(e)) => {
            tracing::error!(unit = %unit.code, error = %e, "Meta webhook: storing failed; Meta will redeliver");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "internal", "webhook_internal")
        }
    }
}
