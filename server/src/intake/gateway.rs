//! SMS and WhatsApp: messages an HTTP gateway posts to us. The gateway signs the raw
//! body with HMAC-SHA256 under the gateway's shared secret (the same `hmac_secret`
//! that signs what we send it); an unsigned or wrongly signed
//! post changes nothing. A message from a number with an open complaint on the same
//! channel joins that complaint's thread; otherwise it becomes a new complaint. The
//! gateway's message id makes a redelivery a no-op.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Channel, Klasifikasi};
use crate::i18n::Lang;
use crate::storage::model::{Complainant, ComplaintExtras, ComplaintMessage, NewComplaint, Unit};
use crate::storage::{Store, StoreError};

use super::form::{NotifyBy, clean, normalize_phone};

/// The signature header and its HMAC, shared with the outbound sender: one secret
/// per gateway signs both ways.
pub use crate::notify::gateway::{SIGNATURE_HEADER, sign, verify};

/// What a gateway posts.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct InboundMessage {
    /// The gateway's own id for the message (makes redelivery a no-op).
    pub id: String,
    /// Sender number.
    pub from: String,
    /// Message text.
    pub text: String,
    /// When the gateway received it (defaults to now).
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
}

/// What happened to a posted message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// A new complaint.
    Created {
        /// Its nomor agenda.
        nomor_agenda: String,
    },
    /// Added to the thread of an open complaint.
    Threaded {
        /// That complaint's nomor agenda.
        nomor_agenda: String,
    },
    /// Seen before: nothing changed.
    Duplicate,
    /// A `BERHENTI`/`MULAI` reply (`crate::notices`): the number's notices from this
    /// unit stopped or restarted; no complaint and no thread message.
    Notices {
        /// Whether they are stopped now.
        stopped: bool,
    },
}

/// Why a post was refused.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Signature missing or wrong.
    #[error("bad signature")]
    BadSignature,
    /// The payload is not a usable message.
    #[error("invalid message: {0}")]
    Invalid(&'static str),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The subject of a complaint that came as a bare message: its first line, cut at a
/// word near 80 characters.
fn subject_of(text: &str) -> String {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if first.chars().count() <= 80 {
        return first.to_owned();
    }
    let cut: String = first.chars().take(80).collect();
    match cut.rfind(' ') {
        Some(i) if i > 40 => format!("{}…", &cut[..i]),
        _ => format!("{cut}…"),
    }
}

/// Takes one verified message for `unit` on `channel` (SMS or WhatsApp).
pub async fn receive(
    store: &dyn Store,
    unit: &Unit,
    channel: Channel,
    message: &InboundMessage,
    public_url: Option<&str>,
) -> Result<Outcome, GatewayError> {
    let by = match channel {
        Channel::Sms => NotifyBy::Sms,
        Channel::Whatsapp => NotifyBy::Whatsapp,
        _ => return Err(GatewayError::Invalid("channel")),
    };
    let id = message.id.trim();
    // A control character in the key would be stored in it (PostgreSQL refuses NUL).
    if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
        return Err(GatewayError::Invalid("id"));
    }
    let phone = normalize_phone(&message.from).ok_or(GatewayError::Invalid("from"))?;
    // Stored as every edge stores text: no control characters but newline and tab.
    let text = &clean(&message.text);
    if text.is_empty() || text.chars().count() > 10_000 {
        return Err(GatewayError::Invalid("text"));
    }
    let now = Utc::now();
    let at = message.received_at.unwrap_or(now);
    // The nomor agenda's year and the SLA clock come from this time: a gateway clock
    // in the future, or a date before any gateway existed, is refused, not believed.
    if at > now + chrono::Duration::minutes(5) || chrono::Datelike::year(&at) < 2000 {
        return Err(GatewayError::Invalid("received_at"));
    }
    // A bare BERHENTI/MULAI is an instruction about the notices, not a message for
    // the unit: it neither threads nor reopens (issue 19).
    if let Some(word) = crate::notices::keyword(text) {
        crate::notices::act_on_keyword(store, unit, channel, &phone, id, word, at).await?;
        return Ok(Outcome::Notices {
            stopped: word == crate::notices::Keyword::Stop,
        });
    }
    let reference = format!("{}:{id}", unit.id);
    let thread_message = |complaint_id| ComplaintMessage {
        id: 0,
        complaint_id,
        direction: "in".into(),
        channel: channel.key().into(),
        at,
        sender: phone.clone(),
        subject: String::new(),
        body: text.to_owned(),
        message_ref: Some(reference.clone()),
    };
    if let Some(open) = store.open_complaint_from(unit.id, channel.key(), &phone).await? {
        let added = store.add_complaint_message(&thread_message(open)).await?;
        if added.is_some() {
            // A reply within the auto-close limit of an answer (10 working days by
            // default, the unit's `tutup_otomatis` row) reopens (issue 6).
            crate::triage::answers::after_reply_notifying(store, unit, open, at, public_url).await?;
        }
        let Some(record) = store.complaint(unit.id, open).await? else {
            return Ok(Outcome::Duplicate);
        };
        return Ok(match added {
            Some(_) => Outcome::Threaded {
                nomor_agenda: record.summary.nomor_agenda,
            },
            None => Outcome::Duplicate,
        });
    }
    let complaint = NewComplaint {
        unit_id: unit.id,
        channel,
        channel_ref: Some(reference.clone()),
        channel_detail: None,
        received_at: at,
        recorded_by: None,
        complainant: Complainant {
            phone: Some(phone.clone()),
            ..Default::default()
        },
        anonim: false,
        rahasia: false,
        subject: subject_of(text),
        description: text.to_owned(),
        event_place: None,
        event_date: None,
        klasifikasi: Klasifikasi::Pengaduan,
        service_id: None,
    };
    let extras = ComplaintExtras {
        first_message: Some(thread_message(0)),
        attachments: Vec::new(),
        notify: vec![super::ack::acknowledgement(unit, by, &phone, Lang::Id, public_url)],
        idempotency: None,
    };
    let recorded = match store.record_complaint_with(&complaint, &extras).await {
        Ok(recorded) => recorded,
        // The id is already a message in a thread (redelivered after that complaint
        // closed, or reused from another number): seen before, nothing changes.
        Err(StoreError::Conflict { constraint }) if constraint == "complaint_messages_unit_ref" => {
            return Ok(Outcome::Duplicate);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(if recorded.created {
        Outcome::Created {
            nomor_agenda: recorded.nomor_agenda,
        }
    } else {
        Outcome::Duplicate
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_with_the_secret_and_the_exact_body() {
        let body = br#"{"id":"1","from":"0812","text":"halo"}"#;
        let sig = sign("rahasia-gateway", body);
        assert!(verify("rahasia-gateway", body, &sig));
        assert!(!verify("lain", body, &sig));
        assert!(!verify("rahasia-gateway", b"{}", &sig));
        assert!(!verify("rahasia-gateway", body, "sha256=zz"));
        assert!(!verify("rahasia-gateway", body, sig.trim_start_matches("sha256=")));
    }

    #[test]
    fn subjects_come_from_the_first_line() {
        assert_eq!(subject_of("\nLoket tutup\nsudah 2 hari"), "Loket tutup");
        let long = "Pelayanan pembuatan kartu sangat lambat dan petugas tidak ada di tempat sejak pagi hari ini";
        let s = subject_of(long);
        assert!(s.ends_with('…') && s.chars().count() <= 81, "{s}");
    }
}
