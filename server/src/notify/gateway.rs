//! SMS and WhatsApp out through a unit's HTTP gateway.
//!
//! The gateway gets `POST {url}` with JSON `{"to", "text", "id"}`, where `id` is
//! stable per outbox row (`outbox-{row id}`) so a gateway can drop a repeat, an
//! `Authorization: Bearer` token when set, and `X-Tanggap-Signature: sha256=<hex>`,
//! the HMAC-SHA256 of the exact body bytes under the shared secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::settings::GatewaySettings;
use super::{Delivered, SendError};
use crate::storage::model::OutboxMessage;

/// Header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "x-tanggap-signature";

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`: what the gateway (and
/// the inbound webhook, the other way) checks.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `sha256=<hex>` signature in constant time.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let expected = sign(secret, body);
    subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.trim().as_bytes()).into()
}

/// Posts one message; a 2xx answer is success. The gateway's own id (`"id"` in a
/// JSON answer) becomes the thread reference when it gives one.
pub async fn send(
    http: &reqwest::Client,
    settings: &GatewaySettings,
    message: &OutboxMessage,
) -> Result<Delivered, SendError> {
    if settings.url.trim().is_empty() {
        return Err(SendError::Temporary("URL gateway belum diisi".into()));
    }
    let our_id = format!("outbox-{}", message.id);
    let body = serde_json::to_vec(&serde_json::json!({
        "to": message.recipient,
        "text": message.body,
        "id": our_id,
    }))
    .expect("a JSON object serializes");
    let mut request = http
        .post(settings.url.trim())
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, sign(&settings.hmac_secret, &body))
        .body(body);
    if !settings.auth_token.is_empty() {
        request = request.bearer_auth(&settings.auth_token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| SendError::Temporary(format!("gateway tidak terjangkau: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        let text: String = response.text().await.unwrap_or_default().chars().take(200).collect();
        let error = format!("gateway menjawab {status}: {text}");
        // A 4xx other than 408/429 will not change on retry (bad number, bad token).
        return if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
            Err(SendError::Permanent(error))
        } else {
            Err(SendError::Temporary(error))
        };
    }
    let gateway_id = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|v| v.get("id").and_then(|id| id.as_str().map(str::to_owned)))
        .filter(|id| !id.is_empty());
    Ok(Delivered {
        message_ref: gateway_id.unwrap_or(our_id),
        sender: String::new(),
    })
}
