//! Answers (PENGADUAN.md: "the answer goes back through the channel the complaint
//! came in by"): which way an answer goes, the message queued for it, answer
//! templates with placeholders, and reopening when the complainant replies.
//!
//! The answer itself is the `jawaban` control-card entry written by the move to
//! `dijawab`; what must be sent is queued in the outbox in the same transaction with
//! the dedupe key `jawaban:{complaint}:{entry}`, so an answer is never recorded
//! without its message nor sent twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::{Channel, ComplaintStatus};
use crate::i18n::{Lang, tf};
use crate::storage::Store;
use crate::storage::StoreError;
use crate::storage::model::{ComplaintRecord, NewOutbox, Unit};
use crate::storage::triage::StatusMove;

/// How an answer reaches the complainant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// An email reply in the complaint's thread.
    Email {
        /// The complainant's address.
        to: String,
        /// The original Message-ID (without angle brackets), for In-Reply-To.
        in_reply_to: Option<String>,
    },
    /// A message through the unit's SMS or WhatsApp gateway.
    Gateway {
        /// `sms` or `whatsapp`.
        channel: &'static str,
        /// The complainant's number.
        to: String,
    },
    /// A printed reply letter (letter, drop box), from the print page.
    Letter,
    /// Given by phone, in person, on social media or on SPAN-LAPOR!: staff record
    /// that they did (the answer entry is the record).
    Recorded,
    /// Nothing to send it to: the tracking page shows it.
    TrackingOnly,
}

impl Delivery {
    /// The locale key that tells staff how the answer will go.
    pub fn locale_key(&self) -> &'static str {
        match self {
            Delivery::Email { .. } => "triage.answer.by_email",
            Delivery::Gateway { .. } => "triage.answer.by_gateway",
            Delivery::Letter => "triage.answer.by_letter",
            Delivery::Recorded => "triage.answer.by_record",
            Delivery::TrackingOnly => "triage.answer.by_tracking",
        }
    }
}

/// The way back for a complaint: its own channel when that can carry an answer,
/// otherwise (the web form, an SKM saran) the contact the complainant gave.
pub fn delivery(record: &ComplaintRecord) -> Delivery {
    let channel = Channel::parse(&record.summary.channel).unwrap_or(Channel::Website);
    let email = record.complainant.email.clone().filter(|e| !e.trim().is_empty());
    let phone = record.complainant.phone.clone().filter(|p| !p.trim().is_empty());
    match channel {
        Channel::Email => match email {
            Some(to) => Delivery::Email {
                to,
                in_reply_to: record.channel_ref.clone(),
            },
            None => Delivery::TrackingOnly,
        },
        Channel::Sms | Channel::Whatsapp => match phone {
            Some(to) => Delivery::Gateway {
                channel: if channel == Channel::Sms { "sms" } else { "whatsapp" },
                to,
            },
            None => Delivery::TrackingOnly,
        },
        Channel::Surat | Channel::KotakSaran => Delivery::Letter,
        Channel::Telepon | Channel::Fax | Channel::TatapMuka | Channel::MediaSosial | Channel::SpanLapor => {
            Delivery::Recorded
        }
        Channel::Website | Channel::Skm => match (email, phone) {
            (Some(to), _) => Delivery::Email { to, in_reply_to: None },
            (None, Some(to)) => Delivery::Gateway { channel: "sms", to },
            (None, None) => Delivery::TrackingOnly,
        },
    }
}

/// The message that carries an answer, when its way back is email or a gateway.
/// `{event_id}` in the dedupe key is filled in by the store with the answer entry's id.
pub fn answer_message(
    unit: &Unit,
    record: &ComplaintRecord,
    how: &Delivery,
    text: &str,
    lang: Lang,
    public_url: Option<&str>,
) -> Option<NewOutbox> {
    let link = crate::intake::ack::tracking_link(public_url, "{tracking_code}");
    let args = [
        ("unit", unit.name.as_str()),
        ("nomor_agenda", record.summary.nomor_agenda.as_str()),
        ("answer", text),
    ];
    let (channel, recipient, subject, body, headers) = match how {
        Delivery::Email { to, in_reply_to } => {
            let mut headers = BTreeMap::new();
            if let Some(original) = in_reply_to {
                let id = format!("<{}>", original.trim_matches(|c| c == '<' || c == '>'));
                headers.insert("In-Reply-To".to_owned(), id.clone());
                headers.insert("References".to_owned(), id);
            }
            let subject = tf(
                lang,
                "triage.answer.email_subject",
                &[
                    ("subject", record.summary.subject.as_str()),
                    ("nomor_agenda", &record.summary.nomor_agenda),
                ],
            );
            (
                "email",
                to.clone(),
                Some(subject),
                tf(lang, "triage.answer.email_body", &args),
                headers,
            )
        }
        Delivery::Gateway { channel, to } => (
            *channel,
            to.clone(),
            None,
            tf(lang, "triage.answer.short", &args),
            BTreeMap::new(),
        ),
        _ => return None,
    };
    Some(NewOutbox {
        unit_id: Some(unit.id),
        complaint_id: Some(record.summary.id),
        channel: channel.to_owned(),
        recipient,
        subject,
        body: body.replace("{link}", &link),
        headers: {
            let mut headers = headers;
            // The answer is the service itself, not a notice: a stop keeps it.
            headers.insert(crate::storage::notices::KIND_HEADER.to_owned(), "answer".to_owned());
            headers
        },
        dedupe_key: format!("jawaban:{}:{{event_id}}", record.summary.id),
    })
}

/// Fills an answer template's placeholders: `{nama}`, `{nomor_agenda}`,
/// `{perihal}`, `{unit}`, `{tanggal}` (the receipt date); unknown ones stay as typed.
pub fn fill_template(body: &str, values: &[(&str, &str)]) -> String {
    let mut out = body.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// After a reply from the complainant reached a complaint's thread: reopens it
/// (`dijawab` -> `dibuka_kembali`) when the reply came within the auto-close limit
/// of the complaint's unit and channel (`tutup_otomatis`, 10 working days by
/// default) after the answer. Returns whether it did.
/// Safe to call twice: a complaint that is no longer `dijawab` is left alone.
/// The reopening notice's tracking link is relative; the intake channels call
/// [`after_reply_notifying`] with the configured public URL.
pub async fn after_reply(
    store: &dyn Store,
    unit: &Unit,
    complaint_id: i64,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    after_reply_notifying(store, unit, complaint_id, at, None).await
}

/// [`after_reply`] whose reopening notice (`crate::notices`) links to `public_url`.
pub async fn after_reply_notifying(
    store: &dyn Store,
    unit: &Unit,
    complaint_id: i64,
    at: DateTime<Utc>,
    public_url: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(t) = store.triage_state(unit.id, complaint_id).await? else {
        return Ok(false);
    };
    let Some(answered) = t.answered_at.filter(|_| t.status == ComplaintStatus::Dijawab.key()) else {
        return Ok(false);
    };
    if at <= answered {
        return Ok(false);
    }
    let zone = super::calendar::zone_of(&unit.time_zone);
    let stages = store.channel_stages(unit.id).await?;
    let received_on = t.received_at.with_timezone(&zone).date_naive();
    let window = super::stages::auto_close_limit(&stages, &t.channel, received_on).working_days;
    let span = u64::try_from(window.max(0) * 7 / 5 + 40).unwrap_or(60);
    let calendar =
        super::calendar::UnitCalendar::load(store, unit.id, zone, answered.with_timezone(&zone).date_naive(), span)
            .await?;
    if calendar.working_days_between(answered, at) > window {
        return Ok(false);
    }
    let days = window.to_string();
    let moved = crate::notices::move_complaint(
        store,
        unit,
        StatusMove {
            unit_id: unit.id,
            complaint_id,
            to: ComplaintStatus::DibukaKembali,
            actor_id: None,
            note: tf(Lang::Id, "triage.answer.reopened_note", &[("days", days.as_str())]),
            at,
            expected_from: None,
            notify: Vec::new(),
        },
        public_url,
    )
    .await?;
    Ok(moved.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::model::{Complainant, ComplaintSummary};

    fn record(channel: &str, email: Option<&str>, phone: Option<&str>) -> ComplaintRecord {
        ComplaintRecord {
            summary: ComplaintSummary {
                id: 7,
                nomor_agenda: "ADU/2026/000007".into(),
                channel: channel.into(),
                received_at: Utc::now(),
                subject: "Antrean lama".into(),
                status: "ditindaklanjuti".into(),
                bobot: None,
                jenis: None,
                service: None,
                due_at: None,
                anonim: false,
                rahasia: false,
            },
            unit_id: 1,
            description: String::new(),
            klasifikasi: "pengaduan".into(),
            event_place: None,
            event_date: None,
            channel_ref: Some("abc@mail.contoh.id".into()),
            complainant: Complainant {
                email: email.map(str::to_owned),
                phone: phone.map(str::to_owned),
                ..Default::default()
            },
        }
    }

    #[test]
    fn answers_go_back_the_way_they_came() {
        assert_eq!(
            delivery(&record("email", Some("a@b.id"), None)),
            Delivery::Email {
                to: "a@b.id".into(),
                in_reply_to: Some("abc@mail.contoh.id".into())
            }
        );
        assert_eq!(
            delivery(&record("whatsapp", None, Some("6281234"))),
            Delivery::Gateway {
                channel: "whatsapp",
                to: "6281234".into()
            }
        );
        assert_eq!(delivery(&record("kotak_saran", Some("a@b.id"), None)), Delivery::Letter);
        assert_eq!(delivery(&record("surat", None, None)), Delivery::Letter);
        assert_eq!(delivery(&record("telepon", None, Some("0812"))), Delivery::Recorded);
        assert_eq!(delivery(&record("tatap_muka", None, None)), Delivery::Recorded);
        assert_eq!(
            delivery(&record("website", None, Some("0812"))),
            Delivery::Gateway {
                channel: "sms",
                to: "0812".into()
            }
        );
        assert_eq!(delivery(&record("website", None, None)), Delivery::TrackingOnly);
    }

    #[test]
    fn an_email_answer_threads_on_the_original() {
        let unit_record = record("email", Some("a@b.id"), None);
        let how = delivery(&unit_record);
        let unit = Unit {
            id: 1,
            code: "u".into(),
            name: "Dinas Uji".into(),
            short_name: "Uji".into(),
            address: String::new(),
            city: String::new(),
            phone: String::new(),
            email: String::new(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec![],
            head_title: String::new(),
            head_name: String::new(),
            head_nip: String::new(),
            agenda_format: String::new(),
            complaint_channels: vec![],
        };
        let m = answer_message(
            &unit,
            &unit_record,
            &how,
            "Sudah kami perbaiki.",
            Lang::Id,
            Some("https://x.id"),
        )
        .unwrap();
        assert_eq!(m.channel, "email");
        assert_eq!(
            m.headers.get("In-Reply-To").map(String::as_str),
            Some("<abc@mail.contoh.id>")
        );
        assert_eq!(m.dedupe_key, "jawaban:7:{event_id}");
        assert!(m.body.contains("Sudah kami perbaiki.") && m.body.contains("https://x.id/lacak?kode="));
        assert!(m.subject.unwrap().contains("ADU/2026/000007"));
        assert!(
            answer_message(
                &unit,
                &record("surat", None, None),
                &Delivery::Letter,
                "x",
                Lang::Id,
                None
            )
            .is_none()
        );
        assert_eq!(
            fill_template(
                "Yth. {nama}, pengaduan {nomor_agenda} {x}",
                &[("nama", "Siti"), ("nomor_agenda", "A/1")]
            ),
            "Yth. Siti, pengaduan A/1 {x}"
        );
    }
}
