//! Fonnte (WhatsApp, <https://docs.fonnte.com>).
//!
//! In: Fonnte posts every incoming message to the webhook URL set on the device, as
//! JSON with `device`, `sender`, `message`, `name`, `inboxid`, `timestamp` and, for
//! media, `url`, `filename`, `extension`. Fonnte signs nothing, so the URL carries
//! the unit's secret (see [`super::shared`]); `inboxid` is the message id that makes
//! a redelivery a no-op.
//!
//! Out: `POST {base}/send` with the device token in `Authorization` (no `Bearer`)
//! and the form fields `target`, `message`, `countryCode` (62: Fonnte turns the
//! leading 0 of `08...` into 62). Fonnte answers HTTP 200 even when it refuses:
//! `{"status": false, "reason": "..."}` is a failure, `{"status": true, "id": [..]}`
//! is accepted.

use serde::{Deserialize, Serialize};

use super::shared::{http_failure, json_answer, text_field};
use crate::intake::gateway::InboundMessage;
use crate::notify::{Delivered, SendError};
use crate::storage::model::OutboxMessage;

/// Fonnte's API when a unit sets no other base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.fonnte.com";

/// A unit's Fonnte settings: the `"fonnte"` object of its `whatsapp` channel settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FonnteSettings {
    /// API base URL (empty: [`DEFAULT_BASE_URL`]).
    pub base_url: String,
    /// The device token from Fonnte's device list.
    pub token: String,
}

impl FonnteSettings {
    /// Reads the `"fonnte"` object of a channel's settings (defaults when missing).
    pub fn from_config(config: &serde_json::Value) -> FonnteSettings {
        config
            .get("fonnte")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// The base URL in use.
    pub fn base(&self) -> &str {
        let b = self.base_url.trim().trim_end_matches('/');
        if b.is_empty() { DEFAULT_BASE_URL } else { b }
    }
}

/// Reads one Fonnte webhook post into the message the intake takes; the error names
/// the field that is missing or unusable. A post without `inboxid` (packages that
/// send none) is identified by its sender, timestamp and text, so a redelivery of it
/// is still a no-op.
pub fn inbound(map: &serde_json::Map<String, serde_json::Value>) -> Result<InboundMessage, &'static str> {
    let sender = text_field(map, "sender").ok_or("sender")?;
    // A group message names the group (`...@g.us`) as sender; its `member` wrote it.
    if sender.contains('@') {
        return Err("sender");
    }
    let mut text = text_field(map, "message")
        .or_else(|| text_field(map, "text"))
        .unwrap_or_default();
    if let Some(url) = text_field(map, "url") {
        // Media are not fetched from Fonnte's URL (it expires); the officer sees what
        // was sent and where, and can ask for it through the web form.
        let name = match (text_field(map, "filename"), text_field(map, "extension")) {
            (Some(f), Some(e)) if !f.ends_with(&format!(".{e}")) => format!("{f}.{e}"),
            (Some(f), _) => f,
            (None, Some(e)) => format!("berkas.{e}"),
            (None, None) => "berkas".into(),
        };
        let line = format!("[{name}] {url}");
        text = if text.is_empty() {
            line
        } else {
            format!("{text}\n{line}")
        };
    }
    let timestamp = text_field(map, "timestamp").and_then(|t| t.parse::<i64>().ok());
    let id = match text_field(map, "inboxid") {
        Some(id) => format!("fonnte-{id}"),
        None => {
            let t = timestamp.ok_or("inboxid")?;
            let digest = crate::auth::hash_secret(&format!("{sender}\n{t}\n{text}"));
            format!("fonnte-h-{}", &digest[..32])
        }
    };
    Ok(InboundMessage {
        id,
        from: sender,
        text,
        received_at: timestamp.and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
        // Media links are kept in the text; the files are not fetched.
        media: Vec::new(),
    })
}

/// Sends one outbox message through Fonnte.
pub async fn send(
    http: &reqwest::Client,
    settings: &FonnteSettings,
    message: &OutboxMessage,
) -> Result<Delivered, SendError> {
    if settings.token.trim().is_empty() {
        return Err(SendError::Temporary("token perangkat Fonnte belum diisi".into()));
    }
    let response = http
        .post(format!("{}/send", settings.base()))
        .header(http::header::AUTHORIZATION, settings.token.trim())
        .form(&[
            ("target", message.recipient.as_str()),
            ("message", message.body.as_str()),
            ("countryCode", "62"),
        ])
        .send()
        .await
        .map_err(|e| SendError::Temporary(format!("Fonnte tidak terjangkau: {e}")))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(http_failure("Fonnte", status, &body));
    }
    let answer = json_answer("Fonnte", &body)?;
    // Fonnte is not consistent in the case of its keys ("Status" in some errors).
    let get = |key: &str| {
        answer
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
    };
    if get("status").and_then(|s| s.as_bool()) != Some(true) {
        let reason = get("reason")
            .or_else(|| get("detail"))
            .and_then(|r| r.as_str())
            .unwrap_or("tanpa alasan")
            .to_owned();
        return Err(refusal(&reason));
    }
    let id = get("id").and_then(|v| match v {
        serde_json::Value::Array(ids) => ids.first().cloned(),
        other => Some(other.clone()),
    });
    let id = id.and_then(|v| match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    Ok(Delivered {
        message_ref: id.map_or_else(|| format!("outbox-{}", message.id), |id| format!("fonnte-out-{id}")),
        sender: String::new(),
    })
}

/// A `status: false` answer as a send error: a bad token or number will not change
/// on retry; anything else (quota, a disconnected device) may.
fn refusal(reason: &str) -> SendError {
    let lower = reason.to_ascii_lowercase();
    let text = format!("Fonnte menolak: {}", truncate(reason));
    if [
        "token invalid",
        "invalid token",
        "target invalid",
        "input invalid",
        "unknown target",
    ]
    .iter()
    .any(|r| lower.contains(r))
    {
        SendError::Permanent(text)
    } else {
        SendError::Temporary(text)
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn webhook_fields_become_one_message() {
        let m = inbound(&map(serde_json::json!({
            "device": "6282227097005", "sender": "6281234567890", "message": "Jalan rusak",
            "name": "Budi", "inboxid": 77, "timestamp": 1_764_000_000
        })))
        .unwrap();
        assert_eq!(
            (m.id.as_str(), m.from.as_str(), m.text.as_str()),
            ("fonnte-77", "6281234567890", "Jalan rusak")
        );
        assert_eq!(m.received_at.unwrap().timestamp(), 1_764_000_000);
        let media = inbound(&map(serde_json::json!({
            "sender": "6281234567890", "message": "", "inboxid": "78",
            "url": "https://md.fonnte.com/x.jpg", "filename": "foto", "extension": "jpg"
        })))
        .unwrap();
        assert_eq!(media.text, "[foto.jpg] https://md.fonnte.com/x.jpg");
        assert_eq!(
            inbound(&map(
                serde_json::json!({"sender": "1203@g.us", "message": "x", "inboxid": 1})
            ))
            .unwrap_err(),
            "sender"
        );
        assert_eq!(
            inbound(&map(serde_json::json!({"message": "x", "inboxid": 1}))).unwrap_err(),
            "sender"
        );
        assert_eq!(
            inbound(&map(serde_json::json!({"sender": "0812", "message": "x"}))).unwrap_err(),
            "inboxid"
        );
    }

    #[test]
    fn refusals_are_permanent_only_when_a_retry_cannot_help() {
        assert!(matches!(refusal("token invalid"), SendError::Permanent(_)));
        assert!(matches!(refusal("target invalid"), SendError::Permanent(_)));
        assert!(matches!(refusal("insufficient quota"), SendError::Temporary(_)));
        assert!(matches!(refusal("device disconnected"), SendError::Temporary(_)));
    }
}
