//! SMS and WhatsApp: messages an HTTP gateway posts to us. The gateway signs the raw
//! body with HMAC-SHA256 under the gateway's shared secret (the same `hmac_secret`
//! that signs what we send it); an unsigned or wrongly signed
//! post changes nothing. A message from a number with an open complaint on the same
//! channel joins that complaint's thread; otherwise it becomes a new complaint. The
//! gateway's message id makes a redelivery a no-op.
//!
//! Native providers (`crate::providers`) parse their own payloads and come through
//! [`receive`] too, with the photos and documents they fetched as [`InboundMedia`]:
//! those pass the web form's checks (`intake::files`), and one that fails them is
//! named in the stored text instead of being kept, so the complaint is never lost
//! for the sake of its attachment.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Channel, Klasifikasi};
use crate::i18n::{Lang, t, tf};
use crate::storage::model::{Complainant, ComplaintExtras, ComplaintMessage, NewComplaint, Unit};
use crate::storage::{Store, StoreError};

use super::files;
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
    /// Photos and documents a native provider fetched for the message. Never read
    /// from the generic gateway's JSON (its format has no media), only set in code.
    #[serde(skip)]
    pub media: Vec<InboundMedia>,
}

/// One file that came with a message, as the provider's edge fetched it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundMedia {
    /// The name the sender gave it (a label only), or a made-up one.
    pub filename: String,
    /// The bytes, when the edge could fetch them.
    pub content: Vec<u8>,
    /// Set when the edge already refused the file (over the size limit by the
    /// provider's own figure, a kind no form takes, or gone at the provider): the
    /// locale key of the reason, named in the stored text.
    pub refused: Option<&'static str>,
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
    let mut text = clean(&message.text);
    if text.chars().count() > 10_000 || (text.is_empty() && message.media.is_empty()) {
        return Err(GatewayError::Invalid("text"));
    }
    if text.is_empty() {
        text = t(Lang::Id, "gateway_media.media_only").to_owned();
    }
    let (kept, left_out) = admit_media(&message.media);
    if !left_out.is_empty() {
        text.push_str("\n\n");
        text.push_str(&left_out.join("\n"));
    }
    let text = &text;
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
        // With files, the message and its files are stored in one transaction, so a
        // redelivery after a crash cannot find the message without its photo.
        let added = if kept.is_empty() {
            store.add_complaint_message(&thread_message(open)).await?
        } else {
            let note = tf(Lang::Id, "gateway_media.reply_event", &[("from", &phone)]);
            store.add_thread_reply(&thread_message(open), &kept, &note).await?
        };
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
        attachments: kept,
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

/// Checks a message's files as the web form checks uploads (type by content, size,
/// count): the files kept, and one sentence per file left out, for the stored text.
fn admit_media(media: &[InboundMedia]) -> (Vec<crate::storage::model::NewAttachment>, Vec<String>) {
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for (i, m) in media.iter().enumerate() {
        let name = if m.filename.trim().is_empty() {
            format!("lampiran-{}", i + 1)
        } else {
            m.filename.clone()
        };
        let refused = match m.refused {
            Some(reason) => Err(reason),
            None => files::admit(kept.len(), &name, m.content.clone()).map_err(|why| why.message_key()),
        };
        match refused {
            Ok(file) => kept.push(file),
            Err(reason) => left_out.push(tf(
                Lang::Id,
                "gateway_media.file_left_out",
                &[
                    ("name", &files::clean_filename(&name, "application/octet-stream")),
                    ("reason", t(Lang::Id, reason)),
                ],
            )),
        }
    }
    (kept, left_out)
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
    fn media_pass_the_web_forms_checks_and_refusals_are_named() {
        let png = vec![
            0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
        ];
        let media = vec![
            InboundMedia {
                filename: "foto.jpg".into(),
                content: png.clone(),
                refused: None,
            },
            InboundMedia {
                filename: "skrip.pdf".into(),
                content: b"#!/bin/sh".to_vec(),
                refused: None,
            },
            InboundMedia {
                filename: String::new(),
                content: Vec::new(),
                refused: Some("intake.error.file_size"),
            },
        ];
        let (kept, left_out) = admit_media(&media);
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].content_type.as_str(), kept[0].content.as_slice()),
            ("image/png", png.as_slice())
        );
        assert_eq!(left_out.len(), 2);
        assert!(
            left_out[0].contains("skrip.pdf") && left_out[0].contains("harus berupa foto"),
            "{left_out:?}"
        );
        assert!(
            left_out[1].contains("lampiran-3") && left_out[1].contains("5 MB"),
            "{left_out:?}"
        );
        let many: Vec<_> = (0..files::MAX_FILES + 1)
            .map(|i| InboundMedia {
                filename: format!("f{i}.png"),
                content: png.clone(),
                refused: None,
            })
            .collect();
        let (kept, left_out) = admit_media(&many);
        assert_eq!((kept.len(), left_out.len()), (files::MAX_FILES, 1));
    }

    #[test]
    fn subjects_come_from_the_first_line() {
        assert_eq!(subject_of("\nLoket tutup\nsudah 2 hari"), "Loket tutup");
        let long = "Pelayanan pembuatan kartu sangat lambat dan petugas tidak ada di tempat sejak pagi hari ini";
        let s = subject_of(long);
        assert!(s.ends_with('…') && s.chars().count() <= 81, "{s}");
    }
}
