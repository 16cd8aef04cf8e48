//! Storing one read message: a reply on the thread it continues, else a new complaint
//! with its acknowledgement queued in the same transaction. The raw message goes with
//! it as an `.eml` attachment, and a repeat is judged by content as well as by
//! Message-ID ([`EmailIntake::judge_repeat`]).

use chrono::{DateTime, Utc};
use mail_parser::{Message, MessageParser};

use super::parse::{ParsedMail, content_hash};
use super::{EmailIntake, Ingested, IntakeError};
use crate::domain::{Channel, Klasifikasi};
use crate::i18n::{Lang, tf};
use crate::notify::settings::EmailSettings;
use crate::storage::mail::StoredMail;
use crate::storage::model::{Complainant, ComplaintExtras, ComplaintMessage, NewComplaint, NewOutbox, Unit};

impl EmailIntake {
    /// Stores one raw message (RFC 5322 bytes) for `unit`, received now: a reply when
    /// it continues a complaint's thread, else a new complaint with its
    /// acknowledgement queued in the same transaction. `place` says where it was read
    /// (for the log).
    pub async fn ingest(
        &self,
        unit: &Unit,
        settings: &EmailSettings,
        raw: &[u8],
        place: &str,
    ) -> Result<Ingested, IntakeError> {
        self.ingest_at(unit, settings, raw, place, Utc::now()).await
    }

    /// [`EmailIntake::ingest`] for a message received at `received_at` (when the mail
    /// server took it): that time, not the sender's `Date:`, gives the nomor agenda's
    /// year and starts the clocks.
    pub async fn ingest_at(
        &self,
        unit: &Unit,
        settings: &EmailSettings,
        raw: &[u8],
        place: &str,
        received_at: DateTime<Utc>,
    ) -> Result<Ingested, IntakeError> {
        let parsed = ParsedMail::parse(raw, received_at);
        let Some(key) = self.judge_repeat(unit.id, &parsed).await? else {
            return Ok(Ingested::Duplicate);
        };
        let message = MessageParser::default().parse(raw);
        let automatic = match &message {
            Some(m) => automatic_reason(m, &own_addresses(unit, settings)),
            None => Some("tidak terbaca"),
        };
        let thread_message = |complaint_id| ComplaintMessage {
            id: 0,
            complaint_id,
            direction: "in".into(),
            channel: Channel::Email.key().into(),
            at: received_at,
            sender: parsed.from_address.clone().unwrap_or_default(),
            subject: parsed.subject.clone(),
            body: parsed.text.clone(),
            message_ref: Some(key.clone()),
        };
        if let Some(complaint_id) = self
            .store
            .find_thread(unit.id, &parsed.references, &parsed.nomor_candidates)
            .await?
        {
            let note = tf(
                Lang::Id,
                "email_intake.reply_event",
                &[("from", parsed.from_address.as_deref().unwrap_or("-"))],
            );
            let stored = self
                .store
                .add_thread_reply(&thread_message(complaint_id), &parsed.attachments(raw), &note)
                .await?;
            if stored.is_none() {
                // judge_repeat found no message under this key, so the key is another
                // kind of row's (an outgoing message's): the store refuses it.
                return Err(conflict());
            }
            // A reply of the complainant within 10 working days of an answer reopens
            // (issue 6); an auto-reply (out of office, bounce) or a stranger quoting
            // the nomor agenda is kept on the thread but reopens nothing. The window is
            // judged by when the mail reached us, not by the sender's Date header.
            if automatic.is_none()
                && self
                    .sent_by_complainant(unit, complaint_id, parsed.from_address.as_deref())
                    .await?
            {
                crate::triage::answers::after_reply_notifying(
                    self.store.as_ref(),
                    unit,
                    complaint_id,
                    Utc::now(),
                    self.public_url.as_deref(),
                )
                .await?;
            }
            return Ok(Ingested::Reply { complaint_id });
        }
        let mut detail = Vec::new();
        if let Some(reason) = automatic {
            detail.push(format!("otomatis: {reason}"));
        }
        if let Some(date) = &parsed.sender_date {
            detail.push(tf(Lang::Id, "email_intake.sender_date", &[("date", date)]));
        }
        let complaint = NewComplaint {
            unit_id: unit.id,
            channel: Channel::Email,
            channel_ref: Some(key.clone()),
            channel_detail: (!detail.is_empty()).then(|| detail.join("; ")),
            received_at,
            recorded_by: None,
            complainant: Complainant {
                name: parsed.from_name.clone(),
                email: parsed.from_address.clone(),
                ..Default::default()
            },
            anonim: false,
            rahasia: false,
            subject: parsed.short_subject(),
            description: parsed.text.clone(),
            event_place: None,
            event_date: None,
            klasifikasi: Klasifikasi::Pengaduan,
            service_id: None,
        };
        let mut notify = Vec::new();
        if automatic.is_none()
            && let Some(to) = &parsed.from_address
        {
            notify.push(self.acknowledgement(unit, settings, &parsed, to));
        }
        let extras = ComplaintExtras {
            first_message: Some(thread_message(0)),
            attachments: parsed.attachments(raw),
            notify: notify.clone(),
            idempotency: None,
        };
        let recorded = self.store.record_complaint_with(&complaint, &extras).await?;
        if !recorded.created {
            // judge_repeat found no message under this key, yet a complaint holds it
            // (stored without its first message): refused, so it is set aside.
            return Err(conflict());
        }
        tracing::info!(unit = %unit.code, place, nomor = %recorded.nomor_agenda, automatic = ?automatic, "email complaint stored");
        Ok(Ingested::Complaint {
            complaint_id: recorded.id,
            acknowledged: !notify.is_empty(),
        })
    }

    /// The key to store `parsed` under, or None when it is a repeat of a message the
    /// unit holds. A repeat is the same Message-ID *and* the same content
    /// ([`content_hash`] of the raw message kept with it): a true redelivery is a
    /// no-op, while a different message reusing a Message-ID is stored under
    /// `<message-id>#<hash prefix>` instead of being dropped, as is one that reuses the
    /// Message-ID of a message the unit sent. A message stored before raw messages
    /// were kept can only be judged by its Message-ID, as then.
    pub async fn judge_repeat(&self, unit_id: i64, parsed: &ParsedMail) -> Result<Option<String>, IntakeError> {
        let candidates = [
            parsed.key.clone(),
            format!("{}#{}", parsed.key, &parsed.content_hash[..16]),
        ];
        for key in candidates {
            match self.store.stored_mail(unit_id, &key).await? {
                None => return Ok(Some(key)),
                // Stored before raw messages were kept: judged by Message-ID, as then.
                Some(StoredMail {
                    incoming: true,
                    raw: None,
                }) => return Ok(None),
                Some(StoredMail { raw: Some(raw), .. }) if content_hash(&raw) == parsed.content_hash => {
                    return Ok(None);
                }
                // Another message holds the key (a different mail, or one the unit sent).
                Some(_) => {}
            }
        }
        Ok(Some(format!("{}#{}", parsed.key, parsed.content_hash)))
    }

    /// Whether a thread reply comes from the complaint's own complainant (same email
    /// address, ignoring case): only such a reply may reopen an answered complaint.
    async fn sent_by_complainant(
        &self,
        unit: &Unit,
        complaint_id: i64,
        from: Option<&str>,
    ) -> Result<bool, IntakeError> {
        let Some(from) = from.map(str::trim).filter(|f| !f.is_empty()) else {
            return Ok(false);
        };
        let record = self.store.complaint(unit.id, complaint_id).await?;
        Ok(record
            .and_then(|r| r.complainant.email)
            .is_some_and(|e| e.trim().eq_ignore_ascii_case(from)))
    }

    /// The acknowledgement, queued with the complaint: threaded under the original
    /// (In-Reply-To, References), marked Auto-Submitted so the citizen's own
    /// autoresponder stays quiet, with a Message-ID that is unguessable and stable
    /// across retries (it is stored in the queued headers).
    fn acknowledgement(&self, unit: &Unit, settings: &EmailSettings, parsed: &ParsedMail, to: &str) -> NewOutbox {
        let tracking = match &self.public_url {
            Some(base) => format!("{base}/lacak?kode={{tracking_code}}"),
            None => "{tracking_code}".to_owned(),
        };
        let args = [
            ("nomor", "{nomor_agenda}"),
            ("subject", parsed.short_subject_str()),
            ("tracking", tracking.as_str()),
            ("unit", unit.name.as_str()),
        ];
        let body = format!(
            "{}\n\n-- \n\n{}",
            tf(Lang::Id, "email_intake.ack_body", &args),
            tf(Lang::En, "email_intake.ack_body", &args)
        );
        let domain = settings
            .from_address
            .rsplit_once('@')
            .map_or_else(|| "tanggap.invalid".to_owned(), |(_, d)| d.to_owned());
        let original = format!("<{}>", parsed.key);
        let mut references: Vec<String> = parsed.references.iter().map(|r| format!("<{r}>")).collect();
        references.push(original.clone());
        let mut headers = std::collections::BTreeMap::new();
        // A random part: an id nobody can predict cannot be sent in ahead of the
        // acknowledgement to collide with it. Stored with the row, so a retry keeps it.
        headers.insert(
            "Message-ID".to_owned(),
            format!(
                "<ack-{{complaint_id}}.{}.{}@{domain}>",
                unit.code,
                crate::codes::new_tracking_code().to_lowercase()
            ),
        );
        headers.insert("In-Reply-To".to_owned(), original);
        headers.insert("References".to_owned(), references.join(" "));
        headers.insert("Auto-Submitted".to_owned(), "auto-replied".to_owned());
        NewOutbox {
            unit_id: Some(unit.id),
            complaint_id: None,
            channel: "email".into(),
            recipient: to.to_owned(),
            subject: Some(tf(Lang::Id, "email_intake.ack_subject", &args)),
            body,
            headers,
            dedupe_key: "email-ack:{complaint_id}".into(),
        }
    }
}

/// The store's refusal of a key another row holds: specific to the message, so it is
/// set aside rather than stopping the mailbox.
fn conflict() -> IntakeError {
    IntakeError::Store(crate::storage::StoreError::Conflict {
        constraint: "complaint_messages_unit_ref".into(),
    })
}

/// The addresses that are the unit itself: mail from them is never acknowledged.
fn own_addresses(unit: &Unit, settings: &EmailSettings) -> Vec<String> {
    let mut own = vec![settings.from_address.clone(), unit.email.clone()];
    if settings.imap.user.contains('@') {
        own.push(settings.imap.user.clone());
    }
    own.into_iter()
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty())
        .collect()
}

/// Why a message must not be answered automatically (RFC 3834), or None.
pub fn automatic_reason(message: &Message<'_>, own_addresses: &[String]) -> Option<&'static str> {
    let raw = |name: &'static str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = raw("Auto-Submitted") {
        let value = v.split(';').next().unwrap_or("").trim().to_owned();
        if value != "no" {
            return Some("Auto-Submitted");
        }
    }
    if let Some(v) = raw("Precedence")
        && matches!(v.as_str(), "bulk" | "junk" | "list")
    {
        return Some("Precedence");
    }
    if message.header_raw("List-Id").is_some() {
        return Some("List-Id");
    }
    if let Some(v) = raw("Return-Path")
        && matches!(v.as_str(), "" | "<>")
    {
        return Some("Return-Path kosong");
    }
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase());
    match from {
        None => Some("tanpa pengirim"),
        Some(a) if own_addresses.contains(&a) => Some("alamat unit sendiri"),
        Some(_) => None,
    }
}
