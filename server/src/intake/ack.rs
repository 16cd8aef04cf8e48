//! The acknowledgement: the nomor agenda and the tracking link, sent back on the
//! channel the citizen chose. It is queued in the outbox in the same transaction as
//! the complaint (placeholders filled there), so it is never sent for a complaint that
//! was not stored, and never lost once one was.

use std::collections::BTreeMap;

use crate::i18n::{Lang, tf};
use crate::storage::model::{NewOutbox, Unit};

use super::form::NotifyBy;

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
        headers: BTreeMap::new(),
        dedupe_key: format!("ack:{{complaint_id}}:{}", by.key()),
    }
}
