//! What Meta posts to the webhook: `entry[].changes[].value.messages[]` (and
//! `statuses[]`, which are accepted and ignored), read leniently so a field Meta adds
//! tomorrow changes nothing. Each message becomes an `InboundMessage` for the one
//! intake funnel; photos and documents are fetched from the Graph API by their media
//! id (`GET {graph}/{media-id}` gives a short-lived URL, fetched with the same bearer
//! token) and checked there like web-form uploads.
//!
//! Meta retries a delivery until it gets a 2xx, so the answer is 2xx only once every
//! message of the body is stored (a redelivery is then a no-op), and 5xx when a store
//! or a media download failed for a reason a retry can cure.

use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::MetaSettings;
use crate::domain::Channel;
use crate::i18n::{Lang, tf};
use crate::intake::files::MAX_FILE_BYTES;
use crate::intake::gateway::{self, GatewayError, InboundMedia, InboundMessage, Outcome};
use crate::storage::model::Unit;
use crate::storage::{Store, StoreError};

/// The webhook body, only as far as Tanggap reads it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Payload {
    /// `whatsapp_business_account`.
    pub object: String,
    /// One per business account.
    pub entry: Vec<Entry>,
}

/// One business account's changes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Entry {
    /// The changes (`field: messages`).
    pub changes: Vec<Change>,
}

/// One change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Change {
    /// `messages` for messages and statuses.
    pub field: String,
    /// What changed.
    pub value: ChangeValue,
}

/// Messages and statuses for one business number.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeValue {
    /// Which business number they concern.
    pub metadata: Metadata,
    /// Messages citizens sent.
    pub messages: Vec<Message>,
    /// Delivery and read receipts of what the unit sent (ignored).
    pub statuses: Vec<serde_json::Value>,
}

/// The business number a change concerns.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// Its id; messages for another number than the unit's are not the unit's.
    pub phone_number_id: String,
}

/// One message from a citizen.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Message {
    /// The sender's number, `62812…`.
    pub from: String,
    /// `wamid.…`: makes a redelivery a no-op.
    pub id: String,
    /// Unix seconds, as a string.
    pub timestamp: serde_json::Value,
    /// `text`, `image`, `document`, `location`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// For `text`.
    pub text: Option<Text>,
    /// For `image`.
    pub image: Option<Media>,
    /// For `document`.
    pub document: Option<Media>,
    /// For `location`.
    pub location: Option<Location>,
}

/// A text message's body.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Text {
    /// The text.
    pub body: String,
}

/// A photo or document: fetched by its id.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Media {
    /// Media id for `GET {graph}/{id}`.
    pub id: String,
    /// The type Meta reports (a label only: the bytes decide).
    pub mime_type: String,
    /// The caption the citizen typed.
    pub caption: String,
    /// A document's file name.
    pub filename: String,
}

/// A shared location.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Location {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// The place's name, when chosen from a list.
    pub name: String,
    /// Its address.
    pub address: String,
}

/// What happened to one message of a delivery (the webhook's answer, for logs and
/// tests; Meta reads only the status code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taken {
    /// Meta's message id.
    pub id: String,
    /// `created`, `threaded`, `duplicate`, `ignored` or `invalid`.
    pub status: &'static str,
    /// The complaint's nomor agenda, when created or threaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nomor_agenda: Option<String>,
}

/// Why a signed delivery was not taken.
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    /// The body is not Meta's JSON at all.
    #[error("unreadable body")]
    Unreadable,
    /// A media download failed in a way a retry can cure (Meta will redeliver).
    #[error("media temporarily unavailable: {0}")]
    MediaTemporary(String),
    /// The database failed (Meta will redeliver).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes one signed delivery for `unit`: every message for the unit's number through
/// `intake::gateway::receive`, in order; statuses and other numbers' messages are
/// ignored.
pub async fn take(
    store: &dyn Store,
    unit: &Unit,
    settings: &MetaSettings,
    body: &[u8],
    public_url: Option<&str>,
) -> Result<Vec<Taken>, InboundError> {
    let payload: Payload = serde_json::from_slice(body).map_err(|_| InboundError::Unreadable)?;
    let mut taken = Vec::new();
    for change in payload.entry.iter().flat_map(|e| &e.changes) {
        let ours = change.value.metadata.phone_number_id.trim() == settings.phone_number_id.trim();
        for message in &change.value.messages {
            if !ours {
                // One Meta app can serve several numbers; another number's messages
                // are not this unit's complaints.
                tracing::warn!(unit = %unit.code, "Meta message for another phone number id ignored");
                taken.push(Taken {
                    id: message.id.clone(),
                    status: "ignored",
                    nomor_agenda: None,
                });
                continue;
            }
            let Some(inbound) = to_inbound(settings, message).await? else {
                taken.push(Taken {
                    id: message.id.clone(),
                    status: "ignored",
                    nomor_agenda: None,
                });
                continue;
            };
            let result = gateway::receive(store, unit, Channel::Whatsapp, &inbound, public_url).await;
            let (status, nomor_agenda) = match result {
                Ok(Outcome::Created { nomor_agenda }) => ("created", Some(nomor_agenda)),
                Ok(Outcome::Threaded { nomor_agenda }) => ("threaded", Some(nomor_agenda)),
                Ok(Outcome::Duplicate) => ("duplicate", None),
                // BERHENTI / MULAI: the number's notices stopped or restarted.
                Ok(Outcome::Notices { stopped: true }) => ("stopped", None),
                Ok(Outcome::Notices { stopped: false }) => ("resumed", None),
                // A retry would not make it valid: logged, answered 2xx.
                Err(GatewayError::Invalid(field)) => {
                    tracing::warn!(unit = %unit.code, field, "Meta message refused");
                    ("invalid", None)
                }
                Err(GatewayError::BadSignature) => ("invalid", None),
                Err(GatewayError::Store(e)) => return Err(e.into()),
            };
            taken.push(Taken {
                id: message.id.clone(),
                status,
                nomor_agenda,
            });
        }
    }
    Ok(taken)
}

/// Meta's message as the intake funnel's; None for kinds that are no complaint
/// (reactions, stickers, system notices, button replies, ...).
async fn to_inbound(settings: &MetaSettings, m: &Message) -> Result<Option<InboundMessage>, InboundError> {
    // A timestamp ahead of this server's clock (a skewed clock here) would be refused
    // by the funnel and the message lost: the time of receipt stands in for it.
    let received_at = timestamp(&m.timestamp).filter(|t| *t <= Utc::now() + chrono::Duration::minutes(5));
    let mut media = Vec::new();
    let text = match m.kind.as_str() {
        "text" => m.text.as_ref().map(|t| t.body.clone()).unwrap_or_default(),
        "image" | "document" => {
            let Some(item) = (if m.kind == "image" { &m.image } else { &m.document }) else {
                return Ok(None);
            };
            let filename = if item.filename.trim().is_empty() {
                format!("whatsapp-{}.{}", m.kind, extension(&item.mime_type))
            } else {
                item.filename.clone()
            };
            media.push(match fetch(settings, &item.id).await? {
                Fetched::Bytes(content) => InboundMedia {
                    filename,
                    content,
                    refused: None,
                },
                Fetched::Refused(reason) => InboundMedia {
                    filename,
                    content: Vec::new(),
                    refused: Some(reason),
                },
            });
            item.caption.clone()
        }
        // A voice note or a video is a file no form takes: the complaint is kept, with
        // a note that asks the officer to get a photo or the words instead.
        "audio" | "video" | "voice" => {
            media.push(InboundMedia {
                filename: format!("whatsapp-{}", m.kind),
                content: Vec::new(),
                refused: Some("gateway_media.kind_refused"),
            });
            String::new()
        }
        "location" => match &m.location {
            Some(l) => {
                let place = [l.name.trim(), l.address.trim()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ");
                tf(
                    Lang::Id,
                    "gateway_media.location",
                    &[
                        ("place", &place),
                        ("lat", &format!("{:.6}", l.latitude)),
                        ("lon", &format!("{:.6}", l.longitude)),
                    ],
                )
            }
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    Ok(Some(InboundMessage {
        id: m.id.clone(),
        from: m.from.clone(),
        text,
        received_at,
        media,
    }))
}

/// Meta's Unix-seconds timestamp (a string, or a number); None when absent, so the
/// time of receipt is used.
fn timestamp(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    let seconds = match value {
        serde_json::Value::String(s) => s.trim().parse::<i64>().ok()?,
        serde_json::Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    DateTime::from_timestamp(seconds, 0)
}

/// A file extension for a media type, for a photo that comes without a name.
fn extension(mime: &str) -> &'static str {
    match mime.split(';').next().unwrap_or_default().trim() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}

/// A media download's result, short of a failure worth a retry.
enum Fetched {
    /// The bytes, at most [`MAX_FILE_BYTES`] + 1 of them read.
    Bytes(Vec<u8>),
    /// Refused without its bytes: the locale key of why.
    Refused(&'static str),
}

/// The client for media downloads: one per process, with a timeout so a slow
/// download cannot hold a webhook for ever.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .expect("a reqwest client with rustls builds")
    })
}

/// What the media endpoint answers (`file_size` is a string in Meta's examples, a
/// number in some clients').
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MediaInfo {
    url: String,
    file_size: serde_json::Value,
}

/// Fetches one media object: its URL from the Graph API, then its bytes, both with
/// the unit's bearer token. 429, 5xx and network failures are temporary; any other
/// refusal, a size over the limit, or a URL that is not http(s) refuses the file.
async fn fetch(settings: &MetaSettings, media_id: &str) -> Result<Fetched, InboundError> {
    let id = media_id.trim();
    if id.is_empty() || id.len() > 128 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) {
        return Ok(Fetched::Refused("gateway_media.unavailable"));
    }
    let response = match get(settings, &format!("{}/{id}", settings.graph())).await? {
        Ok(r) => r,
        Err(reason) => return Ok(Fetched::Refused(reason)),
    };
    let info: MediaInfo = response.json().await.unwrap_or_default();
    let declared = match &info.file_size {
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
        serde_json::Value::Number(n) => n.as_u64(),
        _ => None,
    };
    if declared.is_some_and(|n| n > MAX_FILE_BYTES as u64) {
        return Ok(Fetched::Refused("intake.error.file_size"));
    }
    // The token goes only to an http(s) address, and only to https when the Graph
    // API itself is reached over https.
    let secure = settings.graph().starts_with("https://");
    match url::Url::parse(&info.url) {
        Ok(u) if u.scheme() == "https" || (u.scheme() == "http" && !secure) => {}
        _ => return Ok(Fetched::Refused("gateway_media.unavailable")),
    }
    let mut response = match get(settings, &info.url).await? {
        Ok(r) => r,
        Err(reason) => return Ok(Fetched::Refused(reason)),
    };
    if response.content_length().is_some_and(|n| n > MAX_FILE_BYTES as u64) {
        return Ok(Fetched::Refused("intake.error.file_size"));
    }
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > MAX_FILE_BYTES {
                    return Ok(Fetched::Refused("intake.error.file_size"));
                }
            }
            Ok(None) => break,
            Err(e) => return Err(InboundError::MediaTemporary(e.to_string())),
        }
    }
    Ok(Fetched::Bytes(bytes))
}

/// One bearer-authenticated GET: the response on 2xx, the refusal's reason on a 4xx
/// other than 429, an error worth a retry otherwise.
async fn get(settings: &MetaSettings, url: &str) -> Result<Result<reqwest::Response, &'static str>, InboundError> {
    let response = client()
        .get(url)
        .bearer_auth(&settings.access_token)
        .send()
        .await
        .map_err(|e| InboundError::MediaTemporary(e.without_url().to_string()))?;
    let status = response.status();
    if status.is_success() {
        Ok(Ok(response))
    } else if status.as_u16() == 429 || status.is_server_error() {
        Err(InboundError::MediaTemporary(format!("HTTP {status}")))
    } else {
        tracing::warn!(%status, "Meta refused a media download");
        Ok(Err("gateway_media.unavailable"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_unix_seconds_as_text_or_number() {
        let at = DateTime::from_timestamp(1_749_416_383, 0);
        assert_eq!(timestamp(&serde_json::json!("1749416383")), at);
        assert_eq!(timestamp(&serde_json::json!(1_749_416_383)), at);
        assert_eq!(timestamp(&serde_json::json!("kemarin")), None);
        assert_eq!(timestamp(&serde_json::Value::Null), None);
    }

    #[test]
    fn unknown_fields_and_kinds_do_not_break_reading() {
        let body = serde_json::json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "1065"},
                "messages": [{"from": "6281234567890", "id": "wamid.A", "timestamp": "1749416383",
                              "type": "reaction", "reaction": {"emoji": "👍", "message_id": "wamid.B"}}],
                "statuses": [{"id": "wamid.C", "status": "read"}]
            }}]}]
        });
        let p: Payload = serde_json::from_value(body).unwrap();
        let v = &p.entry[0].changes[0].value;
        assert_eq!(
            (v.metadata.phone_number_id.as_str(), v.messages[0].kind.as_str()),
            ("1065", "reaction")
        );
        assert_eq!(v.statuses.len(), 1);
    }
}
