//! Sending through the WhatsApp Cloud API: `POST {graph}/{phone-number-id}/messages`.
//!
//! WhatsApp lets a business write free text only within 24 hours of the citizen's
//! last message to it (the customer-service window); outside it only a template
//! Meta approved beforehand may start the conversation again. The window is read
//! from the unit's own thread messages: the last incoming WhatsApp message from the
//! recipient's number. Outside it the template is the one the unit set for the
//! row's notice kind (`x-notice-kind`), with the row's parameters (`x-notice-params`,
//! a JSON array of strings), or else the unit's default template with one parameter,
//! the message text: the default serves every kind, so it can only take what every
//! message has.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{MetaSettings, meta_number};
use crate::i18n::{Lang, t, tf};
use crate::notify::{Delivered, SendError};
use crate::storage::Store;
use crate::storage::model::OutboxMessage;

/// The customer-service window.
pub const WINDOW_HOURS: i64 = 24;

/// Meta's error code for free text outside the window ("re-engagement message").
pub const OUTSIDE_WINDOW: i64 = 131_047;

/// The outbox headers naming a notice's kind and its template parameters, set by
/// whoever queues the notice (`crate::notices`, the staff notices).
pub use crate::storage::notices::{KIND_HEADER, PARAMS_HEADER};

/// Longest template parameter sent (Meta refuses longer bodies).
const MAX_PARAM_CHARS: usize = 1000;

/// The notice kind of a row: its header, or what its dedupe key says for rows
/// queued before the header existed (acknowledgements, answers, survey invites).
pub fn notice_kind(message: &OutboxMessage) -> Option<String> {
    if let Some(kind) = message
        .headers
        .get(KIND_HEADER)
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
    {
        return Some(kind.to_owned());
    }
    let key = message.dedupe_key.as_str();
    let kind = if key.starts_with("ack:") {
        "ack"
    } else if key.starts_with("jawaban:") {
        "answer"
    } else if key.starts_with("survey-invite:") {
        "survey_invite"
    } else {
        return None;
    };
    Some(kind.to_owned())
}

/// A template parameter as Meta takes it: no newline or tab, no run of more than
/// four spaces, at most [`MAX_PARAM_CHARS`] characters.
pub fn flatten_param(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= MAX_PARAM_CHARS {
        return joined;
    }
    let mut cut: String = joined.chars().take(MAX_PARAM_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// What goes out: free text, or a template with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    Text(String),
    Template { name: String, params: Vec<String> },
}

/// The template for a row outside the window, or the Indonesian reason why there
/// is none (kept on the outbox row, retried: the admin may set one).
fn template_body(settings: &MetaSettings, message: &OutboxMessage) -> Result<Body, SendError> {
    let kind = notice_kind(message);
    let Some((name, own)) = settings.template_for(kind.as_deref()) else {
        return Err(SendError::Temporary(tf(
            Lang::Id,
            "provider_meta.error_no_template",
            &[("kind", kind.as_deref().unwrap_or("-"))],
        )));
    };
    let given = message
        .headers
        .get(PARAMS_HEADER)
        .and_then(|p| serde_json::from_str::<Vec<String>>(p).ok());
    let params = match (own, given) {
        (true, Some(params)) => params.iter().map(|p| flatten_param(p)).collect(),
        _ => vec![flatten_param(&message.body)],
    };
    Ok(Body::Template {
        name: name.to_owned(),
        params,
    })
}

/// The JSON Meta takes for one message to `to` (`62…` digits).
fn request_json(settings: &MetaSettings, to: &str, body: &Body) -> serde_json::Value {
    match body {
        Body::Text(text) => serde_json::json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": { "preview_url": false, "body": text },
        }),
        Body::Template { name, params } => {
            let mut template = serde_json::json!({
                "name": name,
                "language": { "code": settings.template_language.trim() },
            });
            if !params.is_empty() {
                let parameters: Vec<_> = params
                    .iter()
                    .map(|p| serde_json::json!({ "type": "text", "text": p }))
                    .collect();
                template["components"] = serde_json::json!([{ "type": "body", "parameters": parameters }]);
            }
            serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "template",
                "template": template,
            })
        }
    }
}

/// Meta's error answer, as far as it matters here.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorAnswer {
    error: ErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ErrorDetail {
    message: String,
    code: i64,
}

/// Error codes worth another try whatever the HTTP status says: throttling
/// (4, 80007, 130429, 131056) and Meta's own trouble (1, 2, 131000, 131016).
const TEMPORARY_CODES: &[i64] = &[1, 2, 4, 80_007, 130_429, 131_000, 131_016, 131_056];

/// One failed call, mapped: 429, 5xx and throttling codes are temporary; 400, 401,
/// 403 and every other refusal are permanent (a bad token, number or template does
/// not heal by waiting). The error code is returned to spot 131047.
fn failure(status: reqwest::StatusCode, text: &str) -> (SendError, i64) {
    let answer: ErrorAnswer = serde_json::from_str(text).unwrap_or_default();
    let detail: String = answer.error.message.chars().take(200).collect();
    let error = tf(
        Lang::Id,
        "provider_meta.error_answer",
        &[
            ("status", status.as_str()),
            ("code", &answer.error.code.to_string()),
            ("detail", &detail),
        ],
    );
    let temporary = status.as_u16() == 429 || status.is_server_error() || TEMPORARY_CODES.contains(&answer.error.code);
    let mapped = if temporary {
        SendError::Temporary(error)
    } else {
        SendError::Permanent(error)
    };
    (mapped, answer.error.code)
}

/// Whether the recipient wrote to the unit on WhatsApp within [`WINDOW_HOURS`]
/// before `at`.
async fn inside_window(store: &dyn Store, unit_id: i64, phone: &str, at: DateTime<Utc>) -> Result<bool, SendError> {
    let last = store
        .last_inbound_at(unit_id, "whatsapp", phone)
        .await
        .map_err(|e| SendError::Temporary(format!("{}: {e}", t(Lang::Id, "provider_meta.error_window"))))?;
    Ok(last.is_some_and(|last| last > at - chrono::Duration::hours(WINDOW_HOURS)))
}

/// Sends one outbox row through the unit's Cloud API number; `at` is the send time
/// the window is judged at. Meta's `messages[0].id` (`wamid.…`) is the thread
/// reference. Free text refused as outside the window (131047: the window closed
/// between the check and the send) is sent again at once as the template.
pub async fn send(
    http: &reqwest::Client,
    store: &dyn Store,
    settings: &MetaSettings,
    message: &OutboxMessage,
    at: DateTime<Utc>,
) -> Result<Delivered, SendError> {
    if settings.phone_number_id.trim().is_empty() || settings.access_token.is_empty() {
        return Err(SendError::Temporary(
            t(Lang::Id, "provider_meta.error_incomplete").to_owned(),
        ));
    }
    let unit_id = message.unit_id.unwrap_or_default();
    let (Some(local), Some(to)) = (
        crate::intake::form::normalize_phone(&message.recipient),
        meta_number(&message.recipient),
    ) else {
        return Err(SendError::Permanent(
            t(Lang::Id, "provider_meta.error_recipient").to_owned(),
        ));
    };
    let first = if inside_window(store, unit_id, &local, at).await? {
        Body::Text(message.body.clone())
    } else {
        template_body(settings, message)?
    };
    let own_id = format!("outbox-{}", message.id);
    let sent = match post(http, settings, &to, &first, &own_id).await {
        Err((_, OUTSIDE_WINDOW)) if matches!(first, Body::Text(_)) => {
            let template = template_body(settings, message)?;
            post(http, settings, &to, &template, &own_id).await
        }
        result => result,
    };
    let message_ref = sent.map_err(|(e, _)| e)?;
    Ok(Delivered {
        message_ref,
        sender: String::new(),
    })
}

/// One call to the messages endpoint: Meta's message id (`own_id` when a 2xx names
/// none), or the mapped failure and Meta's error code.
async fn post(
    http: &reqwest::Client,
    settings: &MetaSettings,
    to: &str,
    body: &Body,
    own_id: &str,
) -> Result<String, (SendError, i64)> {
    let url = format!("{}/{}/messages", settings.graph(), settings.phone_number_id.trim());
    let response = http
        .post(url)
        .bearer_auth(&settings.access_token)
        .json(&request_json(settings, to, body))
        .send()
        .await
        .map_err(|e| {
            let error = tf(
                Lang::Id,
                "provider_meta.error_unreachable",
                &[("detail", &e.without_url().to_string())],
            );
            (SendError::Temporary(error), 0)
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(failure(status, &text));
    }
    let id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["messages"][0]["id"].as_str().map(str::to_owned))
        .filter(|id| !id.is_empty());
    // A 2xx without an id was still accepted; the row's own key stands in for it.
    Ok(id.unwrap_or_else(|| own_id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, headers: &[(&str, &str)]) -> OutboxMessage {
        OutboxMessage {
            id: 7,
            unit_id: Some(1),
            complaint_id: Some(2),
            channel: "whatsapp".into(),
            recipient: "081234567890".into(),
            subject: None,
            body: "Pengaduan B-2026-00012\nsudah dijawab.\tLihat tautan.".into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            dedupe_key: key.into(),
            attempts: 1,
            status: "sending".into(),
            last_error: None,
            sent_at: None,
            claim_token: None,
        }
    }

    #[test]
    fn kinds_come_from_the_header_or_the_dedupe_key() {
        assert_eq!(
            notice_kind(&row("x", &[(KIND_HEADER, "status")])).as_deref(),
            Some("status")
        );
        assert_eq!(notice_kind(&row("ack:5:whatsapp", &[])).as_deref(), Some("ack"));
        assert_eq!(notice_kind(&row("jawaban:5:9", &[])).as_deref(), Some("answer"));
        assert_eq!(
            notice_kind(&row("survey-invite:1:x", &[])).as_deref(),
            Some("survey_invite")
        );
        assert_eq!(notice_kind(&row("lain", &[])), None);
    }

    #[test]
    fn parameters_are_flattened_and_cut() {
        assert_eq!(flatten_param("a\nb\t c     d"), "a b c d");
        let long = "x".repeat(MAX_PARAM_CHARS + 50);
        let cut = flatten_param(&long);
        assert_eq!(cut.chars().count(), MAX_PARAM_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn a_kinds_own_template_takes_the_notice_parameters_the_default_takes_the_text() {
        let mut s = MetaSettings {
            default_template: "umum".into(),
            ..MetaSettings::default()
        };
        let params = r#"["B-2026-00012","Dijawab","https://contoh.id/lacak?kode=K"]"#;
        let with_params = row("jawaban:2:9", &[(PARAMS_HEADER, params)]);
        assert_eq!(
            template_body(&s, &with_params).unwrap(),
            Body::Template {
                name: "umum".into(),
                params: vec!["Pengaduan B-2026-00012 sudah dijawab. Lihat tautan.".into()]
            }
        );
        s.templates.insert("answer".into(), "jawaban_pengaduan".into());
        assert_eq!(
            template_body(&s, &with_params).unwrap(),
            Body::Template {
                name: "jawaban_pengaduan".into(),
                params: vec![
                    "B-2026-00012".into(),
                    "Dijawab".into(),
                    "https://contoh.id/lacak?kode=K".into()
                ]
            }
        );
        // Own template, no parameters on the row: the text is the one parameter.
        let Body::Template { params, .. } = template_body(&s, &row("jawaban:2:9", &[])).unwrap() else {
            panic!("a template")
        };
        assert_eq!(params.len(), 1);
        // No template at all: a temporary failure that names the kind, in Indonesian.
        let none = MetaSettings::default();
        match template_body(&none, &with_params) {
            Err(SendError::Temporary(e)) => assert!(e.contains("answer") && e.contains("templat"), "{e}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_map_by_status_and_code() {
        let answer = |code: i64| {
            format!(r#"{{"error":{{"message":"m","type":"OAuthException","code":{code},"fbtrace_id":"x"}}}}"#)
        };
        let s = reqwest::StatusCode::from_u16;
        assert!(matches!(
            failure(s(400).unwrap(), &answer(100)),
            (SendError::Permanent(_), 100)
        ));
        assert!(matches!(
            failure(s(401).unwrap(), &answer(190)),
            (SendError::Permanent(_), 190)
        ));
        assert!(matches!(
            failure(s(403).unwrap(), &answer(10)),
            (SendError::Permanent(_), 10)
        ));
        assert!(matches!(
            failure(s(500).unwrap(), &answer(131_000)),
            (SendError::Temporary(_), _)
        ));
        assert!(matches!(
            failure(s(429).unwrap(), "not json"),
            (SendError::Temporary(_), 0)
        ));
        assert!(matches!(
            failure(s(400).unwrap(), &answer(130_429)),
            (SendError::Temporary(_), _)
        ));
        assert!(matches!(
            failure(s(400).unwrap(), &answer(OUTSIDE_WINDOW)),
            (SendError::Permanent(_), OUTSIDE_WINDOW)
        ));
    }
}
