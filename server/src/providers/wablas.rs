//! Wablas (WhatsApp, <https://wablas.com/documentation/api>).
//!
//! In: Wablas posts each incoming message to the webhook URL set on the device, with
//! `id`, `phone`, `message`, `pushName`, `isGroup`, `messageType`, `file`, `deviceId`,
//! `sender`, `timestamp`. Wablas signs nothing, so the URL carries the unit's secret
//! (see [`super::shared`]); `id` makes a redelivery a no-op.
//!
//! Out: `POST {region host}/api/v2/send-message` with `Authorization: {token}.{secret_key}`
//! and JSON `{"data": [{"phone": "628...", "message": "..."}]}`. The region host
//! (e.g. `https://solo.wablas.com`) is per account, so it is a unit setting. The
//! answer `{"status": true, "data": {"messages": [{"id": ...}]}}` is accepted;
//! `"status": false` is a failure even with HTTP 200.

use serde::{Deserialize, Serialize};

use super::shared::{http_failure, json_answer, text_field};
use crate::intake::form::phone_international;
use crate::intake::gateway::InboundMessage;
use crate::notify::{Delivered, SendError};
use crate::storage::model::OutboxMessage;

/// A unit's Wablas settings: the `"wablas"` object of its `whatsapp` channel settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct WablasSettings {
    /// The account's region host, e.g. `https://solo.wablas.com`.
    pub host: String,
    /// The device token.
    pub token: String,
    /// The device's secret key (sent after the token, joined by a dot).
    pub secret_key: String,
}

impl WablasSettings {
    /// Reads the `"wablas"` object of a channel's settings (defaults when missing).
    pub fn from_config(config: &serde_json::Value) -> WablasSettings {
        config
            .get("wablas")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}

/// Reads one Wablas webhook post into the message the intake takes; the error names
/// the field that is missing or unusable.
pub fn inbound(map: &serde_json::Map<String, serde_json::Value>) -> Result<InboundMessage, &'static str> {
    let is_group = match map.get("isGroup") {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s == "true" || s == "1",
        _ => false,
    };
    if is_group {
        return Err("isGroup");
    }
    let id = text_field(map, "id").ok_or("id")?;
    let phone = text_field(map, "phone").ok_or("phone")?;
    let mut text = text_field(map, "message").unwrap_or_default();
    if let Some(file) = text_field(map, "file").or_else(|| text_field(map, "url")) {
        let line = format!(
            "[{}] {file}",
            text_field(map, "messageType").unwrap_or_else(|| "berkas".into())
        );
        text = if text.is_empty() {
            line
        } else {
            format!("{text}\n{line}")
        };
    }
    Ok(InboundMessage {
        id: format!("wablas-{id}"),
        from: phone,
        text,
        received_at: None,
        // Media links are kept in the text; the files are not fetched.
        media: Vec::new(),
    })
}

/// Sends one outbox message through Wablas.
pub async fn send(
    http: &reqwest::Client,
    settings: &WablasSettings,
    message: &OutboxMessage,
) -> Result<Delivered, SendError> {
    let host = settings.host.trim().trim_end_matches('/');
    if host.is_empty() || settings.token.trim().is_empty() {
        return Err(SendError::Temporary("host atau token Wablas belum diisi".into()));
    }
    let authorization = if settings.secret_key.trim().is_empty() {
        settings.token.trim().to_owned()
    } else {
        format!("{}.{}", settings.token.trim(), settings.secret_key.trim())
    };
    let body = serde_json::json!({
        "data": [{
            "phone": phone_international(&message.recipient),
            "message": message.body,
        }]
    });
    let response = http
        .post(format!("{host}/api/v2/send-message"))
        .header(http::header::AUTHORIZATION, authorization)
        .json(&body)
        .send()
        .await
        .map_err(|e| SendError::Temporary(format!("Wablas tidak terjangkau: {e}")))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(http_failure("Wablas", status, &text));
    }
    let answer = json_answer("Wablas", &text)?;
    if answer.get("status").and_then(|s| s.as_bool()) != Some(true) {
        let reason = answer
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("tanpa alasan")
            .chars()
            .take(200)
            .collect::<String>();
        return Err(SendError::Temporary(format!("Wablas menolak: {reason}")));
    }
    let id = answer.pointer("/data/messages/0/id").and_then(|v| match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    Ok(Delivered {
        message_ref: id.map_or_else(|| format!("outbox-{}", message.id), |id| format!("wablas-out-{id}")),
        sender: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_fields_become_one_message_and_groups_are_refused() {
        let m = inbound(
            serde_json::json!({"id": "3EB0A1", "phone": "6281234567890", "message": "Lampu jalan mati",
                "pushName": "Sari", "isGroup": false, "messageType": "text"})
            .as_object()
            .unwrap(),
        )
        .unwrap();
        assert_eq!((m.id.as_str(), m.from.as_str()), ("wablas-3EB0A1", "6281234567890"));
        let group = serde_json::json!({"id": "1", "phone": "628", "message": "x", "isGroup": true});
        assert_eq!(inbound(group.as_object().unwrap()).unwrap_err(), "isGroup");
        let no_id = serde_json::json!({"phone": "6281234567890", "message": "x"});
        assert_eq!(inbound(no_id.as_object().unwrap()).unwrap_err(), "id");
    }
}
