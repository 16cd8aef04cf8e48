//! The acknowledgement: the nomor agenda and the tracking link, sent back on the
//! channel the citizen chose. It is queued in the outbox in the same transaction as
//! the complaint (placeholders filled there), so it is never sent for a complaint that
//! was not stored, and never lost once one was.

use std::collections::BTreeMap;

use crate::i18n::{Lang, tf};
use crate::storage::model::{NewOutbox, Unit};

use super::form::NotifyBy;

/// At most this many acknowledgements go to one destination (a phone number or an
/// email address, whatever its channel) per [`ACK_WINDOW_MINUTES`]. Anyone can type
/// someone else's number into the public form, so without a cap per destination the
/// product could be used to flood a stranger with SMS, WhatsApp or email (and to run
/// up the unit's gateway bill). Counted in the outbox, so every instance agrees.
pub const MAX_ACKS_PER_DESTINATION: i64 = 3;

/// The window of [`MAX_ACKS_PER_DESTINATION`], in minutes.
pub const ACK_WINDOW_MINUTES: i64 = 60;

/// Whether an outbox message is an acknowledgement of a new complaint (web form,
/// API, gateway: `ack:`; email intake: `email-ack:`), the kind a stranger triggers.
pub fn is_acknowledgement(dedupe_key: &str) -> bool {
    dedupe_key.starts_with("ack:") || dedupe_key.starts_with("email-ack:")
}

/// The tracking link for a code, absolute when `public_url` is configured.
pub fn tracking_link(public_url: Option<&str>, tracking_code: &str) -> String {
    let base = public_url.unwrap_or("").trim_end_matches('/');
    format!("{base}/lacak?kode={tracking_code}")
}

/// The acknowledgement for a new complaint, with `{nomor_agenda}` and
/// `{tracking_code}` still to be filled in by the store.
pub fn acknowledgement(unit: &Unit, by: NotifyBy, recipient: &str, lang: Lang, public_url: Option<&str>) -> NewOutbox {
    let link = tracking_link(public_url, "{tracking_code}");
    let args = [("unit", unit.name.as_str()), ("link", link.as_str())];
    let (subject, body) = match by {
        NotifyBy::Email => (
            Some(tf(lang, "intake.ack.email_subject", &args)),
            tf(lang, "intake.ack.email_body", &args),
        ),
        NotifyBy::Sms | NotifyBy::Whatsapp => (None, tf(lang, "intake.ack.short", &args)),
    };
    NewOutbox {
        unit_id: Some(unit.id),
        complaint_id: None,
        channel: by.key().to_owned(),
        recipient: recipient.to_owned(),
        subject,
        body,
        headers: BTreeMap::from([(crate::storage::notices::KIND_HEADER.to_owned(), "ack".to_owned())]),
        dedupe_key: format!("ack:{{complaint_id}}:{}", by.key()),
    }
}
