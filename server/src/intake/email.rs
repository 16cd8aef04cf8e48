//! The email channel in: polls each unit's IMAP mailbox and turns every new message
//! into a complaint, or into a reply on the complaint whose thread it continues.
//!
//! - Exactly once: a message's key is its Message-ID (or `uid:<uidvalidity>:<uid>@
//!   <mailbox>` when it has none); the store ignores a key it holds already, so a
//!   poll that crashed halfway and runs again stores nothing twice. The cursor (last
//!   UID with its UIDVALIDITY) moves after each stored message, so a poll reads only
//!   what is new.
//! - One poller per mailbox: a job lease named after the mailbox, so several
//!   instances never poll the same mailbox at once.
//! - One message never stops a mailbox: a message over the size limit, or one the
//!   store refuses (twice), is set aside with its reason (shown to the unit's admin
//!   on the channel settings page) and the cursor moves past it. A database that is
//!   unreachable stops the poll instead, so nothing is set aside for an outage.
//! - The web form's limits apply: text cleaned and cut at its length limit, files
//!   checked by content, size and count ([`files::admit`]) with their names cleaned;
//!   what is left out is noted in the stored text (the mail stays in the mailbox).
//! - No mail loops: automatic mail (Auto-Submitted other than `no`, Precedence
//!   bulk/junk/list, List-Id, an empty return path) and mail from the unit's own
//!   address are still recorded (nothing is lost) but never acknowledged.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::Client;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::domain::{Channel, Klasifikasi};
use crate::i18n::{Lang, t, tf};
use crate::intake::files;
use crate::intake::form::{clean, limits};
use crate::notify::settings::{EmailSettings, Security};
use crate::storage::mail::SetAsideMail;
use crate::storage::model::{
    Complainant, ComplaintExtras, ComplaintMessage, MailboxCursor, NewAttachment, NewComplaint, NewOutbox, Unit,
};
use crate::storage::{Store, StoreError};

/// Longest subject stored; longer ones are cut (the full text stays in the thread).
const MAX_SUBJECT_CHARS: usize = 200;
/// Messages fetched per poll at most; the rest wait for the next poll.
const MAX_PER_POLL: usize = 200;
/// Largest message read: the web form's most files at their largest size, as base64
/// (4/3), plus 2 MiB of text and headers. A larger one is set aside unread.
pub const MAX_MESSAGE_BYTES: usize = files::MAX_FILES * files::MAX_FILE_BYTES / 3 * 4 + 2 * 1024 * 1024;

/// Why a poll failed. The message is for logs and the settings page.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The mailbox could not be reached or refused the login.
    #[error("IMAP: {0}")]
    Imap(String),
    /// The settings are incomplete.
    #[error("pengaturan kotak surat tidak lengkap: {0}")]
    Settings(String),
    /// The database refused or is down.
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// A new complaint; `acknowledged` says whether an acknowledgement was queued.
    Complaint {
        /// The stored complaint.
        complaint_id: i64,
        /// False for automatic or own-address mail (no loops).
        acknowledged: bool,
    },
    /// A reply added to an existing complaint's thread.
    Reply {
        /// The complaint it continues.
        complaint_id: i64,
    },
    /// Seen before (same Message-ID or UID): nothing changed.
    Duplicate,
}

/// What one poll of one mailbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// The mailbox (`user@host:port/folder`).
    pub mailbox: String,
    /// False when another instance holds the mailbox's lease (nothing was read).
    pub polled: bool,
    /// New complaints.
    pub complaints: usize,
    /// Replies threaded onto complaints.
    pub replies: usize,
    /// Messages already stored.
    pub duplicates: usize,
    /// Messages set aside (too large, or refused by the store).
    pub set_aside: usize,
}

/// Polls the mailboxes of every unit with an enabled `email` channel.
#[derive(Clone)]
pub struct EmailIntake {
    store: Arc<dyn Store>,
    public_url: Option<String>,
    holder: String,
    timeout: Duration,
    max_message_bytes: usize,
    tick: Duration,
}

impl EmailIntake {
    /// An intake over `store`; `public_url` makes the tracking link in
    /// acknowledgements, `holder` names this instance in job leases.
    pub fn new(store: Arc<dyn Store>, public_url: Option<String>, holder: String) -> EmailIntake {
        EmailIntake {
            store,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
            holder,
            timeout: Duration::from_secs(60),
            max_message_bytes: MAX_MESSAGE_BYTES,
            tick: Duration::from_secs(5),
        }
    }

    /// The same intake looking at its mailboxes every `tick` (`[jobs]
    /// email_tick_seconds`); each mailbox keeps its own poll interval.
    pub fn with_tick(mut self, tick: Duration) -> EmailIntake {
        self.tick = tick;
        self
    }

    /// The same intake with another message size limit (tests use a small one rather
    /// than appending tens of megabytes).
    pub fn with_max_message_bytes(mut self, max: usize) -> EmailIntake {
        self.max_message_bytes = max;
        self
    }

    /// Polls every enabled mailbox once, now, whatever its interval: what the loop
    /// does per mailbox, and what tests call instead of waiting for a timer.
    pub async fn poll_once(&self) -> Vec<(i64, Result<PollReport, IntakeError>)> {
        let mut out = Vec::new();
        for (unit, settings) in self.mailboxes().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot list mailboxes");
            Vec::new()
        }) {
            out.push((unit.id, self.poll_mailbox(&unit, &settings).await));
        }
        out
    }

    async fn mailboxes(&self) -> Result<Vec<(Unit, EmailSettings)>, IntakeError> {
        let units: HashMap<i64, Unit> = self.store.list_units().await?.into_iter().map(|u| (u.id, u)).collect();
        let mut out = Vec::new();
        for s in self.store.enabled_channel_settings("email").await? {
            let Some(unit) = units.get(&s.unit_id) else { continue };
            match EmailSettings::from_json(&s.config) {
                Ok(settings) if !settings.imap.host.trim().is_empty() => out.push((unit.clone(), settings)),
                Ok(_) => {}
                Err(e) => tracing::warn!(unit = %unit.code, error = %e, "invalid email settings"),
            }
        }
        Ok(out)
    }

    /// Polls one mailbox under its job lease: fetches the UIDs after the cursor and
    /// stores each message, moving the cursor after each.
    pub async fn poll_mailbox(&self, unit: &Unit, settings: &EmailSettings) -> Result<PollReport, IntakeError> {
        let mailbox = settings.mailbox_key();
        let mut report = PollReport {
            mailbox: mailbox.clone(),
            ..Default::default()
        };
        let now = Utc::now();
        let hold = settings.poll_interval().max(Duration::from_secs(60)) * 3;
        let until = now + chrono::Duration::from_std(hold).unwrap_or(chrono::Duration::minutes(5));
        if !self
            .store
            .try_lease(&format!("imap:{mailbox}"), &self.holder, now, until)
            .await?
        {
            return Ok(report);
        }
        report.polled = true;
        let imap = &settings.imap;
        if imap.port == 0 || imap.user.is_empty() {
            return Err(IntakeError::Settings(
                "host, port dan nama pengguna IMAP wajib diisi".into(),
            ));
        }
        let tcp = tokio::time::timeout(self.timeout, TcpStream::connect((imap.host.trim(), imap.port)))
            .await
            .map_err(|_| IntakeError::Imap(format!("waktu habis menghubungi {}:{}", imap.host, imap.port)))?
            .map_err(|e| IntakeError::Imap(format!("tidak dapat menghubungi {}:{}: {e}", imap.host, imap.port)))?;
        let work = async {
            match imap.security {
                Security::Plain => self.read_mailbox(Client::new(tcp), unit, settings, &mut report).await,
                Security::Tls | Security::Starttls => {
                    let tls = tls_connect(tcp, imap.host.trim()).await?;
                    self.read_mailbox(Client::new(tls), unit, settings, &mut report).await
                }
            }
        };
        // A hung server must not hold the lease forever: the whole poll has a limit.
        tokio::time::timeout(hold, work)
            .await
            .map_err(|_| IntakeError::Imap("waktu habis membaca kotak surat".into()))??;
        Ok(report)
    }

    async fn read_mailbox<T>(
        &self,
        mut client: Client<T>,
        unit: &Unit,
        settings: &EmailSettings,
        report: &mut PollReport,
    ) -> Result<(), IntakeError>
    where
        T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
    {
        let imap_err = |e: async_imap::error::Error| IntakeError::Imap(e.to_string());
        match client.read_response().await {
            Some(Ok(_greeting)) => {}
            Some(Err(e)) => return Err(IntakeError::Imap(format!("salam server: {e}"))),
            None => return Err(IntakeError::Imap("server menutup sambungan".into())),
        }
        let mut session = client
            .login(&settings.imap.user, &settings.imap.password)
            .await
            .map_err(|(e, _)| IntakeError::Imap(format!("login ditolak: {e}")))?;
        let folder = session.select(settings.folder()).await.map_err(imap_err)?;
        let uid_validity = i64::from(folder.uid_validity.unwrap_or(0));
        let mailbox = settings.mailbox_key();
        let cursor = self.store.mailbox_cursor(&mailbox).await?;
        let after = match cursor {
            Some(c) if c.uid_validity == uid_validity => c.last_uid,
            _ => 0,
        };
        let mut uids: Vec<u32> = session
            .uid_search(format!("UID {}:*", after + 1))
            .await
            .map_err(imap_err)?
            .into_iter()
            .filter(|uid| i64::from(*uid) > after)
            .collect();
        uids.sort_unstable();
        uids.truncate(MAX_PER_POLL);
        for uid in uids {
            // The size first: a message over the limit is never read into memory.
            let size = {
                let mut fetches = session
                    .uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")
                    .await
                    .map_err(imap_err)?;
                let mut size = None;
                while let Some(fetch) = fetches.next().await {
                    let fetch = fetch.map_err(imap_err)?;
                    if fetch.uid == Some(uid) {
                        size = fetch.size;
                    }
                }
                size
            };
            let place = MailPlace {
                mailbox: &mailbox,
                uid_validity,
                uid,
                size: size.map_or(0, i64::from),
            };
            if size.is_some_and(|n| usize::try_from(n).unwrap_or(usize::MAX) > self.max_message_bytes) {
                let header = fetch_section(
                    &mut session,
                    uid,
                    "(UID BODY.PEEK[HEADER]<0.16384>)",
                    async_imap::types::Fetch::header,
                )
                .await?;
                let detail = format!("{} > {} byte", size.unwrap_or(0), self.max_message_bytes);
                self.set_aside(
                    unit,
                    &place,
                    header.as_deref().unwrap_or_default(),
                    "too_large",
                    &detail,
                )
                .await?;
                report.set_aside += 1;
            } else if let Some(raw) =
                fetch_section(&mut session, uid, "(UID BODY.PEEK[])", async_imap::types::Fetch::body).await?
            {
                let uid_ref = format!("uid:{uid_validity}:{uid}@{mailbox}");
                // A refusal may be passing (a lock, a lost race): one more try, then
                // the message is set aside so that it cannot stop the mailbox.
                let mut outcome = self.ingest(unit, settings, &raw, &uid_ref).await;
                if let Err(e) = &outcome {
                    tracing::warn!(unit = %unit.code, uid, error = %e, "message not stored, trying again");
                    outcome = self.ingest(unit, settings, &raw, &uid_ref).await;
                }
                match outcome {
                    Ok(Ingested::Complaint { .. }) => report.complaints += 1,
                    Ok(Ingested::Reply { .. }) => report.replies += 1,
                    Ok(Ingested::Duplicate) => report.duplicates += 1,
                    Err(IntakeError::Store(e)) if specific_to_message(&e) => {
                        tracing::warn!(unit = %unit.code, uid, error = %e, "message set aside");
                        self.set_aside(unit, &place, &raw, "not_stored", &e.to_string()).await?;
                        report.set_aside += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
            // Only after the message is committed: a crash before this line makes
            // the next poll read it again, and the store drops the repeat.
            self.store
                .set_mailbox_cursor(
                    &MailboxCursor {
                        mailbox: mailbox.clone(),
                        uid_validity,
                        last_uid: i64::from(uid),
                    },
                    Utc::now(),
                )
                .await?;
        }
        let _ = session.logout().await;
        Ok(())
    }

    /// Records a message that is not stored, with what can be read of it (subject and
    /// Message-ID, cleaned and cut; never the sender's address).
    async fn set_aside(
        &self,
        unit: &Unit,
        place: &MailPlace<'_>,
        raw: &[u8],
        reason: &str,
        detail: &str,
    ) -> Result<(), IntakeError> {
        let message = MessageParser::default().parse_headers(raw);
        let short = |text: &str| -> String {
            clean(text)
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MAX_SUBJECT_CHARS)
                .collect()
        };
        let subject = message
            .as_ref()
            .and_then(|m| m.subject())
            .map(short)
            .unwrap_or_default();
        let message_ref = message
            .as_ref()
            .and_then(|m| m.message_id())
            .map(short)
            .filter(|r| !r.is_empty());
        self.store
            .set_aside_mail(&SetAsideMail {
                unit_id: unit.id,
                mailbox: place.mailbox.to_owned(),
                uid_validity: place.uid_validity,
                uid: i64::from(place.uid),
                message_ref,
                subject,
                size_bytes: place.size.max(i64::try_from(raw.len()).unwrap_or(i64::MAX)),
                reason: reason.to_owned(),
                detail: detail.chars().take(500).collect(),
                set_aside_at: Utc::now(),
            })
            .await?;
        Ok(())
    }

    /// Stores one raw message (RFC 5322 bytes) for `unit`: a reply when it continues a
    /// complaint's thread, else a new complaint with its acknowledgement queued in the
    /// same transaction. `uid_ref` is its key when it has no Message-ID.
    pub async fn ingest(
        &self,
        unit: &Unit,
        settings: &EmailSettings,
        raw: &[u8],
        uid_ref: &str,
    ) -> Result<Ingested, IntakeError> {
        let Some(message) = MessageParser::default().parse(raw) else {
            // Not parseable as mail at all: still kept, as a complaint with the raw text.
            let text = String::from_utf8_lossy(raw).into_owned();
            return self.store_unparsed(unit, &text, uid_ref).await;
        };
        let parsed = ParsedMail::from_message(&message, uid_ref);
        let automatic = automatic_reason(&message, &own_addresses(unit, settings));
        let refs = parsed.references.clone();
        if let Some(complaint_id) = self.store.find_thread(unit.id, &refs, &parsed.nomor_candidates).await? {
            let reply = ComplaintMessage {
                id: 0,
                complaint_id,
                direction: "in".into(),
                channel: Channel::Email.key().into(),
                at: parsed.date,
                sender: parsed.from_address.clone().unwrap_or_default(),
                subject: parsed.subject.clone(),
                body: parsed.text.clone(),
                message_ref: Some(parsed.key.clone()),
            };
            let note = tf(
                Lang::Id,
                "email_intake.reply_event",
                &[("from", parsed.from_address.as_deref().unwrap_or("-"))],
            );
            return Ok(
                match self
                    .store
                    .add_thread_reply(&reply, &parsed.attachments(0), &note)
                    .await?
                {
                    Some(_) => {
                        // A reply of the complainant within 10 working days of an answer
                        // reopens (issue 6); an auto-reply (out of office, bounce) or a
                        // stranger quoting the nomor agenda is kept on the thread but
                        // reopens nothing. The window is judged by when the mail reached
                        // us, not by the sender's Date header.
                        if automatic.is_none()
                            && self
                                .sent_by_complainant(unit, complaint_id, parsed.from_address.as_deref())
                                .await?
                        {
                            crate::triage::answers::after_reply(self.store.as_ref(), unit, complaint_id, Utc::now())
                                .await?;
                        }
                        Ingested::Reply { complaint_id }
                    }
                    None => Ingested::Duplicate,
                },
            );
        }
        let complaint = NewComplaint {
            unit_id: unit.id,
            channel: Channel::Email,
            channel_ref: Some(parsed.key.clone()),
            channel_detail: automatic.map(|r| format!("otomatis: {r}")),
            received_at: parsed.date,
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
            first_message: Some(ComplaintMessage {
                id: 0,
                complaint_id: 0,
                direction: "in".into(),
                channel: Channel::Email.key().into(),
                at: parsed.date,
                sender: parsed.from_address.clone().unwrap_or_default(),
                subject: parsed.subject.clone(),
                body: parsed.text.clone(),
                message_ref: Some(parsed.key.clone()),
            }),
            attachments: parsed.attachments(0),
            notify: notify.clone(),
            idempotency: None,
        };
        let recorded = self.store.record_complaint_with(&complaint, &extras).await?;
        if !recorded.created {
            return Ok(Ingested::Duplicate);
        }
        tracing::info!(unit = %unit.code, nomor = %recorded.nomor_agenda, automatic = ?automatic, "email complaint stored");
        Ok(Ingested::Complaint {
            complaint_id: recorded.id,
            acknowledged: !notify.is_empty(),
        })
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

    async fn store_unparsed(&self, unit: &Unit, text: &str, key: &str) -> Result<Ingested, IntakeError> {
        let complaint = NewComplaint {
            unit_id: unit.id,
            channel: Channel::Email,
            channel_ref: Some(key.to_owned()),
            channel_detail: Some("otomatis: tidak terbaca".into()),
            received_at: Utc::now(),
            recorded_by: None,
            complainant: Complainant::default(),
            anonim: false,
            rahasia: false,
            subject: tf(Lang::Id, "email_intake.no_subject", &[]),
            description: clean(text).chars().take(limits::DESCRIPTION_MAX).collect(),
            event_place: None,
            event_date: None,
            klasifikasi: Klasifikasi::Pengaduan,
            service_id: None,
        };
        let recorded = self.store.record_complaint(&complaint).await?;
        Ok(if recorded.created {
            Ingested::Complaint {
                complaint_id: recorded.id,
                acknowledged: false,
            }
        } else {
            Ingested::Duplicate
        })
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

    /// Polls each mailbox at its own interval until `shutdown` turns true.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut last_poll: HashMap<String, Instant> = HashMap::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.mailboxes().await {
                Ok(mailboxes) => {
                    for (unit, settings) in mailboxes {
                        let key = settings.mailbox_key();
                        if last_poll
                            .get(&key)
                            .is_some_and(|t| t.elapsed() < settings.poll_interval())
                        {
                            continue;
                        }
                        last_poll.insert(key, Instant::now());
                        match self.poll_mailbox(&unit, &settings).await {
                            Ok(r) if r.complaints + r.replies > 0 => tracing::info!(?r, "mailbox polled"),
                            Ok(_) => {}
                            Err(e) => tracing::warn!(unit = %unit.code, error = %e, "mailbox poll failed"),
                        }
                        if *shutdown.borrow() {
                            break;
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot list mailboxes"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.tick) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("email intake stopped");
    }
}

/// Where a message is in its mailbox, for the set-aside record.
struct MailPlace<'a> {
    mailbox: &'a str,
    uid_validity: i64,
    uid: u32,
    size: i64,
}

/// Fetches one message's `query` and returns what `pick` takes from the answer.
async fn fetch_section<T>(
    session: &mut async_imap::Session<T>,
    uid: u32,
    query: &str,
    pick: impl Fn(&async_imap::types::Fetch) -> Option<&[u8]>,
) -> Result<Option<Vec<u8>>, IntakeError>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let mut fetches = session
        .uid_fetch(uid.to_string(), query)
        .await
        .map_err(|e| IntakeError::Imap(e.to_string()))?;
    let mut out = None;
    while let Some(fetch) = fetches.next().await {
        let fetch = fetch.map_err(|e| IntakeError::Imap(e.to_string()))?;
        if fetch.uid == Some(uid) {
            out = pick(&fetch).map(<[u8]>::to_vec);
        }
    }
    Ok(out)
}

/// Whether a store error belongs to the message (a colliding key, a refused value)
/// rather than to the database as a whole (unreachable, pool exhausted): only the
/// former sets a message aside; the latter stops the poll until the database is back.
fn specific_to_message(e: &StoreError) -> bool {
    match e {
        StoreError::Conflict { .. }
        | StoreError::MissingReference(_)
        | StoreError::Rejected(_)
        | StoreError::IdempotencyKeyReused => true,
        StoreError::Database(sqlx::Error::Database(_)) => true,
        StoreError::Database(_) | StoreError::Migration(_) => false,
    }
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

/// The parts of a message the channel uses, decoded.
#[derive(Debug, Clone)]
struct ParsedMail {
    key: String,
    subject: String,
    text: String,
    date: DateTime<Utc>,
    from_name: Option<String>,
    from_address: Option<String>,
    references: Vec<String>,
    nomor_candidates: Vec<String>,
    files: Vec<NewAttachment>,
}

impl ParsedMail {
    fn from_message(message: &Message<'_>, uid_ref: &str) -> ParsedMail {
        let key = message
            .message_id()
            .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| uid_ref.to_owned());
        // One line, no control characters: a subject is shown in lists and headers.
        let subject = clean(message.subject().unwrap_or(""))
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(1_000)
            .collect::<String>()
            .trim()
            .to_owned();
        let mut text = message
            .body_text(0)
            .map(|t| clean(&t))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| tf(Lang::Id, "email_intake.no_body", &[]));
        let length = text.chars().count();
        if length > limits::DESCRIPTION_MAX {
            text = text.chars().take(limits::DESCRIPTION_MAX).collect();
            text.push_str("\n\n");
            text.push_str(&tf(
                Lang::Id,
                "email_intake.text_cut",
                &[
                    ("max", &limits::DESCRIPTION_MAX.to_string()),
                    ("length", &length.to_string()),
                ],
            ));
        }
        let now = Utc::now();
        let date = message
            .date()
            .and_then(|d| Utc.timestamp_opt(d.to_timestamp(), 0).single())
            // A clock far ahead is not trusted: the message cannot come from the future.
            .filter(|d| *d <= now + chrono::Duration::hours(1))
            .unwrap_or(now);
        let from = message.from().and_then(|a| a.first());
        let from_name = from
            .and_then(|a| a.name())
            .map(|n| {
                clean(n)
                    .replace(['\n', '\t'], " ")
                    .chars()
                    .take(limits::SHORT_MAX)
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty());
        let from_address = from
            .and_then(|a| a.address())
            .map(|a| a.trim().to_owned())
            .filter(|a| a.contains('@') && a.len() <= 254 && !a.chars().any(char::is_control));
        let mut references = Vec::new();
        for value in [message.references(), message.in_reply_to()] {
            for id in header_ids(value) {
                if !references.contains(&id) {
                    references.push(id);
                }
            }
        }
        let nomor_candidates = subject
            .split(|c: char| c.is_whitespace() || "[](){}<>:;,".contains(c))
            .filter(|t| t.contains('/') && t.chars().any(|c| c.is_ascii_digit()) && t.len() <= 64)
            .take(5)
            .map(str::to_owned)
            .collect();
        // The web form's rules: type from the content, size, count, a clean name.
        // What is left out is named in the text, so staff know to look in the mailbox.
        let mut kept: Vec<NewAttachment> = Vec::new();
        let mut left_out = Vec::new();
        for (i, part) in message.attachments().enumerate() {
            if part.contents().is_empty() {
                continue;
            }
            let name = part
                .attachment_name()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("lampiran-{}", i + 1));
            match files::admit(kept.len(), &name, part.contents().to_vec()) {
                Ok(file) => kept.push(file),
                Err(why) => left_out.push(tf(
                    Lang::Id,
                    "email_intake.file_left_out",
                    &[
                        ("name", &files::clean_filename(&name, "application/octet-stream")),
                        ("reason", t(Lang::Id, why.message_key())),
                    ],
                )),
            }
        }
        if !left_out.is_empty() {
            text.push_str("\n\n");
            text.push_str(&left_out.join("\n"));
        }
        ParsedMail {
            key,
            subject,
            text,
            date,
            from_name,
            from_address,
            references,
            nomor_candidates,
            files: kept,
        }
    }

    fn short_subject_str(&self) -> &str {
        if self.subject.is_empty() {
            crate::i18n::t(Lang::Id, "email_intake.no_subject")
        } else {
            &self.subject
        }
    }

    fn short_subject(&self) -> String {
        self.short_subject_str().chars().take(MAX_SUBJECT_CHARS).collect()
    }

    fn attachments(&self, complaint_id: i64) -> Vec<NewAttachment> {
        self.files
            .iter()
            .map(|file| NewAttachment {
                complaint_id,
                ..file.clone()
            })
            .collect()
    }
}

/// The message ids in an In-Reply-To or References header, without angle brackets.
fn header_ids(value: &HeaderValue<'_>) -> Vec<String> {
    let clean = |s: &str| s.trim().trim_start_matches('<').trim_end_matches('>').to_owned();
    match value {
        HeaderValue::Text(t) => t.split_whitespace().map(clean).filter(|s| !s.is_empty()).collect(),
        HeaderValue::TextList(list) => list.iter().map(|s| clean(s)).filter(|s| !s.is_empty()).collect(),
        _ => Vec::new(),
    }
}

/// A TLS stream to an IMAP server, checked against the Mozilla root certificates.
async fn tls_connect(tcp: TcpStream, host: &str) -> Result<tokio_rustls::client::TlsStream<TcpStream>, IntakeError> {
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| IntakeError::Imap(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| IntakeError::Settings(format!("nama host {host}: {e}")))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| IntakeError::Imap(format!("jabat tangan TLS dengan {host}: {e}")))
}
