//! Citizens hear what happens (issue 19, part B): a short notice for each public
//! step of a complaint, and the SKM invite after it is closed, through the way the
//! citizen chose for the nomor agenda.
//!
//! - Public steps: `terverifikasi`, `dikembalikan` (the citizen must complete it),
//!   `didisposisikan` (passed to a division), `bukan_wewenang` (passed to another
//!   agency), `dijawab` (only when the answer itself was not sent: it is the notice),
//!   `selesai`, `dibuka_kembali`. Internal: `ditindaklanjuti` (work in progress),
//!   `diarsipkan` (spam or merged), and `diterima` (the acknowledgement said it).
//! - A notice says the unit, the nomor agenda, the status and the tracking link,
//!   nothing else: never the subject or the description, so a rahasia complaint's
//!   content never leaves in one. No contact (an anonim complaint without one), no
//!   notice.
//! - Every notice is built here and queued by the status move itself
//!   ([`move_complaint`] hands them to `Store::move_complaint`, which writes them in
//!   the move's transaction, `storage::notices`): at most once per step (the dedupe
//!   key holds the control-card entry's id), retried by the outbox.
//! - `BERHENTI` (or `STOP`) by SMS or WhatsApp, or the stop link of an email, stops the
//!   unit's notices and survey invite to that contact; `MULAI` (or `START`) restarts
//!   them. The answer is the service itself and is still delivered.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::domain::{Channel, ComplaintStatus as S};
use crate::i18n::{Lang, t, tf};
use crate::storage::model::{ComplaintRecord, NewOutbox, Unit};
use crate::storage::notices::{INVITE_PREFIX, KIND_HEADER, PARAMS_HEADER, STATUS_PREFIX};
use crate::storage::triage::StatusMove;
use crate::storage::{Store, StoreError};
use crate::triage::lifecycle::MoveError;

/// Whether the citizen hears of a move to `to` (the module documentation says why).
pub fn is_public_step(to: S) -> bool {
    matches!(
        to,
        S::Terverifikasi
            | S::Dikembalikan
            | S::Didisposisikan
            | S::BukanWewenang
            | S::Dijawab
            | S::Selesai
            | S::DibukaKembali
    )
}

/// A reply that is an instruction about the notices, not a message for the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// `BERHENTI` or `STOP`: no more notices or invites.
    Stop,
    /// `MULAI` or `START`: notices again.
    Resume,
}

/// The keyword a whole message is, if it is one: case, spaces and a closing
/// punctuation mark do not matter; a keyword inside a longer text is not one.
pub fn keyword(text: &str) -> Option<Keyword> {
    let word: String = text
        .trim()
        .trim_end_matches(['.', '!'])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    match word.as_str() {
        "BERHENTI" | "STOP" => Some(Keyword::Stop),
        "MULAI" | "START" => Some(Keyword::Resume),
        _ => None,
    }
}

/// The link that stops a contact's notices (`/berhenti/{token}`).
pub fn stop_link(public_url: Option<&str>, token: &str) -> String {
    let base = public_url.unwrap_or("").trim_end_matches('/');
    format!("{base}/berhenti/{token}")
}

/// The way a complaint's notices go: the way the citizen chose for the nomor agenda
/// (the acknowledgement's channel and address). No acknowledgement, no notices: the
/// citizen chose none, gave no contact (an anonim complaint usually), the mail was
/// automatic (never acknowledged, so no mail loop), or the destination cap held it
/// back (the address may be a stranger's).
pub async fn notice_way(store: &dyn Store, record: &ComplaintRecord) -> Result<Option<(String, String)>, StoreError> {
    store.notice_choice(record.unit_id, record.summary.id).await
}

fn headers(kind: &str, params: &[&str]) -> BTreeMap<String, String> {
    let mut h = BTreeMap::new();
    h.insert(KIND_HEADER.to_owned(), kind.to_owned());
    h.insert(
        PARAMS_HEADER.to_owned(),
        serde_json::to_string(params).expect("strings serialize"),
    );
    h
}

/// What a notice says, before it is addressed.
struct Draft<'a> {
    /// `x-notice-kind`.
    kind: &'static str,
    /// Locale key prefix: `{prefix}_short`, `{prefix}_email_subject`, `{prefix}_email_body`.
    texts: &'static str,
    /// The placeholders of those texts.
    args: &'a [(&'a str, &'a str)],
    /// `x-notice-params`.
    params: &'a [&'a str],
    /// The outbox dedupe key.
    dedupe_key: String,
}

/// Addresses a draft to the complaint's way: a short text by SMS or WhatsApp, a
/// subject and a letter by email.
fn address(unit: &Unit, record: &ComplaintRecord, way: &(String, String), d: Draft<'_>) -> NewOutbox {
    let lang = Lang::Id;
    let (channel, recipient) = way;
    let text = |part: &str| tf(lang, &format!("notices.{}_{part}", d.texts), d.args);
    let (subject, body) = if channel == "email" {
        (Some(text("email_subject")), text("email_body"))
    } else {
        (None, text("short"))
    };
    NewOutbox {
        unit_id: Some(unit.id),
        complaint_id: Some(record.summary.id),
        channel: channel.clone(),
        recipient: recipient.clone(),
        subject,
        body,
        headers: headers(d.kind, d.params),
        dedupe_key: d.dedupe_key,
    }
}

/// The notice of a move to `to`, with `{tracking_code}`, `{event_id}` and
/// `{stop_token}` left for the store to fill in the move's transaction.
pub fn status_notice(
    unit: &Unit,
    record: &ComplaintRecord,
    way: &(String, String),
    to: S,
    public_url: Option<&str>,
) -> NewOutbox {
    let link = crate::intake::ack::tracking_link(public_url, "{tracking_code}");
    let status = t(Lang::Id, &format!("status.{}", to.key()));
    let stop = stop_link(public_url, "{stop_token}");
    let nomor = record.summary.nomor_agenda.as_str();
    let args = [
        ("unit", unit.name.as_str()),
        ("nomor_agenda", nomor),
        ("status", status),
        ("link", link.as_str()),
        ("stop_link", stop.as_str()),
    ];
    let draft = Draft {
        kind: "status",
        texts: "status",
        args: &args,
        params: &[nomor, status, link.as_str()],
        dedupe_key: format!("{STATUS_PREFIX}{}:{{event_id}}", record.summary.id),
    };
    address(unit, record, way, draft)
}

/// The SKM invite after closure, with `{survey_token}` and `{stop_token}` left for
/// the store (which creates the invite, once per complaint, and delays it).
pub fn survey_invite(
    unit: &Unit,
    record: &ComplaintRecord,
    way: &(String, String),
    public_url: Option<&str>,
) -> NewOutbox {
    let link = crate::web::survey_invite::invite_link(public_url, "{survey_token}");
    let stop = stop_link(public_url, "{stop_token}");
    let args = [
        ("unit", unit.name.as_str()),
        ("nomor_agenda", record.summary.nomor_agenda.as_str()),
        ("link", link.as_str()),
        ("stop_link", stop.as_str()),
    ];
    let draft = Draft {
        kind: "survey_invite",
        texts: "invite",
        args: &args,
        params: &[unit.name.as_str(), link.as_str()],
        dedupe_key: format!("{INVITE_PREFIX}{}", record.summary.id),
    };
    address(unit, record, way, draft)
}

/// The notices a move to `to` sends: the status notice of a public step (for
/// `dijawab` only when `answer_queued` is false), and the survey invite on `selesai`.
pub async fn notices_for(
    store: &dyn Store,
    unit: &Unit,
    complaint_id: i64,
    to: S,
    answer_queued: bool,
    public_url: Option<&str>,
) -> Result<Vec<NewOutbox>, StoreError> {
    if !is_public_step(to) || (to == S::Dijawab && answer_queued) {
        return Ok(Vec::new());
    }
    let Some(record) = store.complaint(unit.id, complaint_id).await? else {
        return Ok(Vec::new());
    };
    let Some(way) = notice_way(store, &record).await? else {
        return Ok(Vec::new());
    };
    let mut out = vec![status_notice(unit, &record, &way, to, public_url)];
    if to == S::Selesai {
        out.push(survey_invite(unit, &record, &way, public_url));
    }
    Ok(out)
}

/// Moves a complaint and queues the citizen's notices of the move in its
/// transaction: every path that moves a complaint (staff pages, the API, the
/// auto-close job, a reply that reopens) goes through here.
pub async fn move_complaint(
    store: &dyn Store,
    unit: &Unit,
    mut m: StatusMove,
    public_url: Option<&str>,
) -> Result<Result<(), MoveError>, StoreError> {
    let answer_queued = m.notify.iter().any(|n| n.dedupe_key.starts_with("jawaban:"));
    let notices = notices_for(store, unit, m.complaint_id, m.to, answer_queued, public_url).await?;
    m.notify.extend(notices);
    store.move_complaint(&m).await
}

/// [`move_complaint`] for a caller that has only the unit's id (a background job).
pub async fn move_complaint_of_unit(
    store: &dyn Store,
    m: StatusMove,
    public_url: Option<&str>,
) -> Result<Result<(), MoveError>, StoreError> {
    match store.list_units().await?.into_iter().find(|u| u.id == m.unit_id) {
        Some(unit) => move_complaint(store, &unit, m, public_url).await,
        None => store.move_complaint(&m).await,
    }
}

/// Acts on a `BERHENTI`/`MULAI` reply from `phone` on `channel` (message `id`): stops
/// or restarts the unit's notices to that number and queues one confirmation (its
/// dedupe key holds the message id, so a redelivery confirms once).
pub async fn act_on_keyword(
    store: &dyn Store,
    unit: &Unit,
    channel: Channel,
    phone: &str,
    message_id: &str,
    word: Keyword,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (key, prefix) = match word {
        Keyword::Stop => ("notices.stop_confirm", "berhenti"),
        Keyword::Resume => ("notices.resume_confirm", "mulai"),
    };
    let confirmation = NewOutbox {
        unit_id: Some(unit.id),
        complaint_id: None,
        channel: channel.key().to_owned(),
        recipient: phone.to_owned(),
        subject: None,
        body: tf(Lang::Id, key, &[("unit", unit.name.as_str())]),
        headers: headers("notice_preference", &[unit.name.as_str()]),
        dedupe_key: format!("{prefix}:{}:{}:{message_id}", unit.id, channel.key()),
    };
    match word {
        Keyword::Stop => {
            store
                .stop_notices(unit.id, phone, "balasan", at, Some(&confirmation))
                .await?
        }
        Keyword::Resume => store.resume_notices(unit.id, phone, at, Some(&confirmation)).await?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_messages_in_any_case() {
        assert_eq!(keyword("BERHENTI"), Some(Keyword::Stop));
        assert_eq!(keyword("  berhenti \n"), Some(Keyword::Stop));
        assert_eq!(keyword("Ber henti"), Some(Keyword::Stop));
        assert_eq!(keyword("stop."), Some(Keyword::Stop));
        assert_eq!(keyword("Mulai"), Some(Keyword::Resume));
        assert_eq!(keyword("tolong jangan berhenti melayani"), None);
        assert_eq!(keyword("BERHENTI sekarang juga"), None);
        assert_eq!(keyword(""), None);
    }

    #[test]
    fn only_public_steps_notify() {
        let public: Vec<&str> = S::ALL.iter().filter(|s| is_public_step(**s)).map(|s| s.key()).collect();
        let mut public = public;
        public.sort_unstable();
        assert_eq!(
            public,
            [
                "bukan_wewenang",
                "dibuka_kembali",
                "didisposisikan",
                "dijawab",
                "dikembalikan",
                "selesai",
                "terverifikasi"
            ]
        );
    }
}
