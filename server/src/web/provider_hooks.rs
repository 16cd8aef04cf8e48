//! `POST /api/v1/webhook/{unit}/{provider}/{secret}`: the webhooks of the native
//! WhatsApp providers that sign nothing (Fonnte, Wablas; issue 19). The secret in
//! the URL is the unit's for that provider: only its SHA-256 is stored, it is
//! compared in constant time, and a wrong, rotated-away or other unit's secret gets
//! the same 403 as an unknown unit, with nothing stored. The payload is read in the
//! provider's own format and goes through the one intake funnel
//! (`intake::gateway::receive`), so threading and redelivery behave as for every
//! other channel.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::api_error::ApiError;
use crate::backup::both;
use crate::domain::Channel;
use crate::intake::gateway::{self, GatewayError};
use crate::providers::{fonnte, provider_of, shared, wablas};

fn refused(status: StatusCode, code: &'static str, key: &str, args: &[(&str, &str)]) -> Response {
    ApiError {
        status,
        code,
        message: both(&format!("provider_webhook.{key}"), args),
        fields: Vec::new(),
    }
    .into_response()
}

/// The one answer to every post that does not prove it comes from the unit's
/// provider: it says nothing about which part was wrong.
fn forbidden() -> Response {
    refused(StatusCode::FORBIDDEN, "forbidden", "forbidden", &[])
}

/// Takes one provider post.
pub async fn provider_webhook(
    State(state): State<AppState>,
    Path((code, provider, secret)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared::URL_SECRET_PROVIDERS.contains(&provider.as_str()) {
        return ApiError::not_found().into_response();
    }
    let unit = match state.store.unit_by_code(&code).await {
        Ok(Some(u)) => u,
        Ok(None) => return forbidden(),
        Err(_) => return ApiError::internal().into_response(),
    };
    let stored = match state.store.webhook_secret_hash(unit.id, &provider).await {
        Ok(s) => s,
        Err(_) => return ApiError::internal().into_response(),
    };
    if !stored.is_some_and(|hash| shared::secret_matches(&hash, &secret)) {
        tracing::warn!(unit = %unit.code, %provider, "provider webhook with a wrong secret");
        return forbidden();
    }
    // Both providers are WhatsApp; the channel must be live and set to this provider.
    let channel = Channel::Whatsapp;
    match state.store.channel_settings(unit.id, channel.key()).await {
        Ok(Some(s)) if s.enabled && provider_of(&s.config) == provider => {}
        Ok(_) => {
            return refused(
                StatusCode::FORBIDDEN,
                "inactive",
                "inactive",
                &[("provider", provider.as_str())],
            );
        }
        Err(_) => return ApiError::internal().into_response(),
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let Some(payload) = shared::payload_object(&body, content_type) else {
        return refused(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "unreadable", &[]);
    };
    let message = match provider.as_str() {
        "fonnte" => fonnte::inbound(&payload),
        _ => wablas::inbound(&payload),
    };
    let message = match message {
        Ok(m) => m,
        Err(field) => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "invalid",
                &[("field", field)],
            );
        }
    };
    match gateway::receive(
        state.store.as_ref(),
        &unit,
        channel,
        &message,
        state.config.public_url.as_deref(),
    )
    .await
    {
        Ok(outcome) => super::intake::outcome_response(outcome),
        Err(GatewayError::Invalid(field)) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "invalid",
            &[("field", field)],
        ),
        Err(e) => {
            tracing::error!(error = %e, %provider, "provider intake failed");
            ApiError::internal().into_response()
        }
    }
}
