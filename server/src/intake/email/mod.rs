//! The email channel in: polls each unit's IMAP mailbox and turns every new message
//! into a complaint, or into a reply on the complaint whose thread it continues.
//!
//! - Nothing lost (issue 22): every stored message keeps its raw bytes as an `.eml`
//!   attachment and every text part, decoded with mail-parser's full charset support
//!   ([`parse`]); a message that cannot be read as text still becomes a complaint with
//!   a placeholder and its raw bytes.
//! - Exactly once: a message's key is its Message-ID (or `sha256:<32 hex>` of its
//!   content when it has none). A repeat is judged by that key *and* the content
//!   ([`parse::content_hash`]): a redelivery stores nothing, a different message that
//!   reuses a Message-ID is stored under a key of its own ([`EmailIntake::judge_repeat`]).
//!   The cursor (last UID with its UIDVALIDITY) moves after each message, so a poll
//!   reads only what is new; a poll that crashed halfway re-reads and stores nothing
//!   twice.
//! - The received time is when the mail server took the message (IMAP INTERNALDATE,
//!   when believable) or when Tanggap did, never the sender's `Date:` header, which
//!   is kept as information only ([`imap::received_at`]).
//! - One poller per mailbox: a job lease named after the mailbox, so several
//!   instances never poll the same mailbox at once.
//! - One message never stops a mailbox: every message ends as a complaint, a reply, a
//!   repeat, or set aside with its reason (over the size limit, or refused twice by
//!   the store), shown to the unit's admin on the channel settings page, and the
//!   cursor moves past it ([`EmailIntake::take`]). A database that is unreachable
//!   stops the poll instead, so nothing is set aside for an outage.
//! - The web form's limits apply: text cleaned and cut at its length limit, files
//!   checked by content, size and count ([`files::admit`]) with their names cleaned;
//!   what is left out is noted in the stored text (the raw message keeps it).
//! - No mail loops: automatic mail (Auto-Submitted other than `no`, Precedence
//!   bulk/junk/list, List-Id, an empty return path) and mail from the unit's own
//!   address are still recorded (nothing is lost) but never acknowledged.

pub mod imap;
mod ingest;
pub mod parse;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::Client;
use chrono::Utc;
use futures_util::StreamExt;
use mail_parser::MessageParser;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

pub use imap::MailPlace;
use imap::{fetch_message, fetch_section, tls_connect};
pub use ingest::automatic_reason;
use parse::MAX_SUBJECT_CHARS;

use crate::intake::files;
use crate::notify::settings::{EmailSettings, Security};
use crate::storage::mail::SetAsideMail;
use crate::storage::model::{MailboxCursor, Unit};
use crate::storage::{Store, StoreError};

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
    /// Seen before (same Message-ID or UID and same content): nothing changed.
    Duplicate,
    /// Not stored: recorded in the set-aside list with this reason (one of
    /// [`crate::storage::mail::SET_ASIDE_REASONS`]), shown to the unit's admin.
    SetAside {
        /// Why.
        reason: &'static str,
    },
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
            } else if let Some((raw, arrived)) = fetch_message(&mut session, uid).await? {
                let received_at = imap::received_at(arrived, Utc::now());
                match self.take(unit, settings, &place, &raw, received_at).await? {
                    Ingested::Complaint { .. } => report.complaints += 1,
                    Ingested::Reply { .. } => report.replies += 1,
                    Ingested::Duplicate => report.duplicates += 1,
                    Ingested::SetAside { .. } => report.set_aside += 1,
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

    /// Takes one message read from `place`: stores it ([`EmailIntake::ingest_at`]), or,
    /// when the store refuses it twice for a reason of its own (a colliding key, a
    /// refused value), sets it aside with reason `not_stored`. Every message ends as
    /// exactly one of the [`Ingested`] outcomes; only a database that is down is an
    /// error (the poll stops and the message is read again later).
    pub async fn take(
        &self,
        unit: &Unit,
        settings: &EmailSettings,
        place: &MailPlace<'_>,
        raw: &[u8],
        received_at: chrono::DateTime<Utc>,
    ) -> Result<Ingested, IntakeError> {
        if raw.len() > self.max_message_bytes {
            // The server did not report its size, or reported it wrong.
            let detail = format!("{} > {} byte", raw.len(), self.max_message_bytes);
            self.set_aside(unit, place, raw, "too_large", &detail).await?;
            return Ok(Ingested::SetAside { reason: "too_large" });
        }
        let uid_ref = format!("uid:{}:{}@{}", place.uid_validity, place.uid, place.mailbox);
        // A refusal may be passing (a lock, a lost race): one more try, then the
        // message is set aside so that it cannot stop the mailbox.
        let mut outcome = self.ingest_at(unit, settings, raw, &uid_ref, received_at).await;
        if let Err(e) = &outcome {
            tracing::warn!(unit = %unit.code, uid = place.uid, error = %e, "message not stored, trying again");
            outcome = self.ingest_at(unit, settings, raw, &uid_ref, received_at).await;
        }
        match outcome {
            Err(IntakeError::Store(e)) if specific_to_message(&e) => {
                tracing::warn!(unit = %unit.code, uid = place.uid, error = %e, "message set aside");
                self.set_aside(unit, place, raw, "not_stored", &e.to_string()).await?;
                Ok(Ingested::SetAside { reason: "not_stored" })
            }
            other => other,
        }
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
        let short = |text: &str| parse::one_line(text, MAX_SUBJECT_CHARS);
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
