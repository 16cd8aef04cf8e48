//! Storage: one interface, a SQLite and a PostgreSQL implementation.
//!
//! The app holds an `Arc<dyn Store>` chosen at start from the database URL, so every
//! page, channel and job is written once. SQL that both dialects accept lives once,
//! in the `shared_store_methods!` macro expanded into each implementation; only
//! what truly differs (connection setup, migrations folder, bulk loading) is written
//! per backend. Queries are checked at run time (no `query!` macros), so building
//! needs no database.

pub mod accounts;
mod bulk_responses;
pub mod calendar;
pub mod complaint_facts;
pub mod conversations;
mod error;
pub mod idempotency;
pub mod logos;
pub mod mail;
pub mod model;
pub mod notices;
mod postgres;
pub mod providers;
pub mod reports;
mod shared;
mod sqlite;
pub mod staff_notices;
pub mod stages;
pub mod survey_admin;
pub mod survey_sources;
pub mod survey_stats;
pub mod triage;

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::migrate::{Migration, MigrationType, Migrator};

pub use bulk_responses::BulkSurveyChunk;
pub use error::StoreError;
use model::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// What a run of bulk batches keeps between them: the one pooled connection they
/// all write through, and whether the batches changed it for the run (SQLite: no
/// checkpoint at their commits). Start one with `BulkSession::default()` and end
/// it with [`Store::finish_bulk_write`]; a session dropped without that (an import
/// abandoned half-way) closes its connection instead of returning it to the pool
/// changed.
#[derive(Default)]
pub struct BulkSession(Option<Box<dyn std::any::Any + Send>>);

impl std::fmt::Debug for BulkSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkSession")
            .field("holds_connection", &self.0.is_some())
            .finish()
    }
}

/// What one bulk batch ([`Store::import_lapor_batch`]) does with what it decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchWrite {
    /// Writes nothing: the outcomes say exactly what would happen.
    DryRun,
    /// Writes and commits, together with any batches held before it.
    Commit,
    /// Writes but leaves the transaction open, so the batch and any held before it
    /// can still be undone: a later `Commit` batch or [`Store::commit_bulk_write`]
    /// makes them permanent, [`Store::finish_bulk_write`] without that rolls them
    /// back. An import holds its first batches until the whole file has been read.
    Hold,
}

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Everything the application asks of its database.
///
/// Implementations must keep "accepted means stored": a method returns `Ok` only
/// after its transaction has committed.
#[async_trait]
pub trait Store:
    survey_admin::SurveyAdminStore
    + survey_stats::SurveyStatsStore
    + triage::TriageStore
    + reports::ReportStore
    + accounts::AccountStore
    + calendar::CalendarStore
    + complaint_facts::ComplaintFactStore
    + logos::LogoStore
    + survey_sources::SurveySourceStore
    + stages::StageStore
    + staff_notices::StaffNoticeStore
    + mail::MailStore
    + conversations::ConversationStore
    + notices::NoticeStore
    + providers::ProviderStore
    + Send
    + Sync
    + 'static
{
    /// Which engine this is, for logs and dialect-specific tests.
    fn backend(&self) -> Backend;
    /// Applies the embedded migrations that are not applied yet.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Cheap round trip for `/readyz` (SQLite: also that the file is still at its path).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Row counts of the main tables.
    async fn counts(&self) -> Result<Counts, StoreError>;

    /// Creates a unit with the default SLA targets and jenis list.
    async fn create_unit(&self, unit: &NewUnit) -> Result<i64, StoreError>;
    /// All units, by name.
    async fn list_units(&self) -> Result<Vec<Unit>, StoreError>;
    /// One unit by its slug.
    async fn unit_by_code(&self, code: &str) -> Result<Option<Unit>, StoreError>;

    /// Adds a division to a unit.
    async fn create_division(&self, unit_id: i64, name: &str) -> Result<i64, StoreError>;
    /// A unit's divisions, by name.
    async fn list_divisions(&self, unit_id: i64) -> Result<Vec<Division>, StoreError>;

    /// Adds a service to a unit's catalog.
    async fn create_service(&self, unit_id: i64, service: &NewService) -> Result<i64, StoreError>;
    /// A unit's active services in catalog order.
    async fn list_services(&self, unit_id: i64) -> Result<Vec<Service>, StoreError>;

    /// Inserts or renames holidays; returns how many rows changed.
    async fn upsert_holidays(&self, holidays: &[Holiday]) -> Result<u64, StoreError>;
    /// National holidays and cuti bersama between two days, inclusive (the same for
    /// every unit; a unit's working days use [`calendar::CalendarStore::days_off`]).
    async fn list_holidays(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Holiday>, StoreError>;

    /// Stores a complaint with the next nomor agenda and its first control-card entry.
    /// A complaint whose (unit, channel, channel_ref) is already stored is not stored
    /// again: the existing one is returned with `created = false`.
    async fn record_complaint(&self, complaint: &NewComplaint) -> Result<RecordedComplaint, StoreError>;
    /// Like [`Store::record_complaint`], and in the same transaction stores what came
    /// with it: the first thread message (an email), its attachments, and the messages
    /// that tell the complainant (acknowledgements, with the placeholders of
    /// [`NewOutbox`] filled in). A re-delivered complaint (`created = false`) stores
    /// and queues nothing new.
    async fn record_complaint_with(
        &self,
        complaint: &NewComplaint,
        extras: &ComplaintExtras,
    ) -> Result<RecordedComplaint, StoreError>;
    /// The public status of a complaint by its tracking code.
    async fn complaint_status(&self, tracking_code: &str) -> Result<Option<ComplaintStatusView>, StoreError>;
    /// A complaint's control card, oldest first.
    async fn complaint_events(&self, complaint_id: i64) -> Result<Vec<ComplaintEvent>, StoreError>;

    /// The SKM rule sets with their elements.
    async fn survey_rule_sets(&self) -> Result<Vec<SurveyRuleSet>, StoreError>;
    /// Stores one survey response; a repeated import key is a no-op that returns
    /// `None`. Scores must name elements of the response's rule set and lie in 1-4.
    async fn record_survey_response(&self, response: &NewSurveyResponse) -> Result<Option<i64>, StoreError>;

    /// A page of one unit's complaints, newest first.
    async fn list_complaints(&self, unit_id: i64, query: &ComplaintQuery) -> Result<Vec<ComplaintSummary>, StoreError>;
    /// [`Store::list_complaints`] for the JSON API: a text query never matches a
    /// `rahasia` complaint, whose content is not public (issue 17), so the search
    /// cannot be used to probe it.
    async fn list_complaints_public_text(
        &self,
        unit_id: i64,
        query: &ComplaintQuery,
    ) -> Result<Vec<ComplaintSummary>, StoreError>;
    /// One complaint, only if it belongs to `unit_id`.
    async fn complaint(&self, unit_id: i64, complaint_id: i64) -> Result<Option<ComplaintRecord>, StoreError>;
    /// Complaints per status key in a unit.
    async fn complaint_status_counts(&self, unit_id: i64) -> Result<Vec<(String, i64)>, StoreError>;

    /// Survey responses of one rule set as analytics columns, streamed from the
    /// database (one row per respondent): unit code, service name, local date, scores
    /// by element key, and the profile (`jenis_kelamin`, `pendidikan`, `pekerjaan`, `umur`).
    async fn survey_columns(&self, filter: &SurveyFilter) -> Result<analytics::SurveyColumns, StoreError>;
    /// Queues a message; false when its dedupe key was queued before (nothing changes).
    async fn enqueue_outbox(&self, message: &NewOutbox) -> Result<bool, StoreError>;
    /// Claims up to `limit` messages that are due (or whose earlier claim lapsed),
    /// locking them until `lock_until` and counting the attempt. Two instances never
    /// claim the same row while its lock holds.
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        lock_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>, StoreError>;
    /// Extends the lock of a claimed message to `lock_until`, but only while `claim`
    /// (the claim's token) still holds it and its lock has not lapsed at `now`: false
    /// means another instance may have it, and the caller must not send it.
    async fn renew_outbox_claim(
        &self,
        id: i64,
        claim: &str,
        now: DateTime<Utc>,
        lock_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Marks a claimed message sent, only while `claim` still holds it (status
    /// `sending` under that token); false when it changed nothing.
    async fn outbox_sent(&self, id: i64, claim: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Records a failed attempt: retried at `retry_at`, or given up (`failed`) when None.
    /// Only while `claim` still holds the row: a lapsed claim's late failure cannot
    /// undo a newer claim's success. False when it changed nothing.
    async fn outbox_failed(
        &self,
        id: i64,
        claim: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;
    /// A complaint's outbox rows, oldest first (for the staff page and tests).
    async fn outbox_for_complaint(&self, complaint_id: i64) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Adds a message to a complaint's thread; None when the same (channel,
    /// message_ref) is stored already (a redelivery changes nothing).
    async fn add_complaint_message(&self, message: &ComplaintMessage) -> Result<Option<i64>, StoreError>;
    /// A complaint's thread, oldest first.
    async fn complaint_messages(&self, complaint_id: i64) -> Result<Vec<ComplaintMessage>, StoreError>;

    /// Stores a file on a complaint (its SHA-256 and size are computed here).
    async fn add_attachment(&self, attachment: &NewAttachment) -> Result<i64, StoreError>;
    /// A complaint's attachments, without their bytes.
    async fn attachments(&self, complaint_id: i64) -> Result<Vec<AttachmentInfo>, StoreError>;
    /// One attachment's description and bytes, only if it belongs to that complaint.
    async fn attachment_content(
        &self,
        complaint_id: i64,
        attachment_id: i64,
    ) -> Result<Option<(AttachmentInfo, Vec<u8>)>, StoreError>;

    /// A unit's settings for one channel.
    async fn channel_settings(&self, unit_id: i64, channel: &str) -> Result<Option<ChannelSettings>, StoreError>;
    /// Every unit's enabled settings for one channel (what a poller walks).
    async fn enabled_channel_settings(&self, channel: &str) -> Result<Vec<ChannelSettings>, StoreError>;
    /// Creates or replaces a unit's settings for a channel.
    async fn set_channel_settings(&self, settings: &ChannelSettings) -> Result<(), StoreError>;

    /// Takes or renews the named job lease for `holder` until `until`; true when this
    /// holder has it. Background jobs run only where this is true, so several
    /// instances never do the same job at once.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The newest complaint still open that came by `channel` from this phone number,
    /// so a further SMS or WhatsApp message threads onto it.
    async fn open_complaint_from(&self, unit_id: i64, channel: &str, phone: &str) -> Result<Option<i64>, StoreError>;
    // --- SPAN-LAPOR! import (issue 5) ---
    /// Imports one batch of LAPOR! reports into a unit: reports
    /// whose tracking ID is new become complaints (nomor agenda taken from the unit's
    /// counter inside the transaction: no gaps, no duplicates), known ones get their
    /// status and new follow-ups as control-card events, and unchanged ones write
    /// nothing. Tracking IDs must be unique within the batch. `write` says whether
    /// to commit, hold the transaction open or only decide ([`BatchWrite`]).
    ///
    /// Every batch of one import passes the same `session`: they all write through
    /// one connection, whose page cache stays warm from batch to batch. A batch that
    /// fails rolls back itself and every batch held before it.
    async fn import_lapor_batch(
        &self,
        session: &mut BulkSession,
        unit_id: i64,
        reports: &[LaporReport],
        recorded_by: Option<i64>,
        write: BatchWrite,
    ) -> Result<Vec<LaporOutcome>, StoreError>;
    /// Commits the batches a session holds ([`BatchWrite::Hold`]); nothing to do
    /// when it holds none.
    async fn commit_bulk_write(&self, session: &mut BulkSession) -> Result<(), StoreError>;
    /// Copies what committed bulk batches wrote into the main database file. It
    /// may run beside a batch that is still writing (SQLite checkpoints the
    /// write-ahead log up to the last commit without blocking the writer), so an
    /// import does it on another connection while its next batch is stored; on
    /// PostgreSQL there is nothing to do.
    async fn checkpoint_bulk_write(&self) -> Result<(), StoreError>;
    /// Ends a run of bulk batches ([`Store::import_lapor_batch`]): rolls back any
    /// batches still held, gives the session's connection back to the pool as it
    /// was and, when the batches wrote, checkpoints what is left. On SQLite the batches leave the
    /// write-ahead log to the checkpoints of [`Store::checkpoint_bulk_write`]
    /// instead of checkpointing (and syncing) every few megabytes at their commits.
    async fn finish_bulk_write(&self, session: BulkSession) -> Result<(), StoreError>;
    /// The LAPOR! side of a complaint imported from SPAN-LAPOR!, if it was.
    async fn lapor_link(&self, complaint_id: i64) -> Result<Option<LaporLink>, StoreError>;

    // --- Email channel (issue 4): threading replies and the IMAP cursor ---

    /// The complaint of `unit_id` that a message belongs to: one whose email
    /// channel_ref or a thread message's message_ref is among `refs` (the message's
    /// In-Reply-To and References, without angle brackets), or whose nomor agenda is
    /// among `nomor_candidates` (taken from the subject). None for a new complaint.
    async fn find_thread(
        &self,
        unit_id: i64,
        refs: &[String],
        nomor_candidates: &[String],
    ) -> Result<Option<i64>, StoreError>;
    /// Adds a citizen's reply to a complaint's thread with its attachments and a
    /// control-card entry (`pesan_masuk`, with `note`), in one transaction. None when
    /// the same (channel, message_ref) is stored already: a redelivery changes nothing.
    async fn add_thread_reply(
        &self,
        message: &ComplaintMessage,
        attachments: &[NewAttachment],
        note: &str,
    ) -> Result<Option<i64>, StoreError>;
    /// How far a polled mailbox has been read.
    async fn mailbox_cursor(&self, mailbox: &str) -> Result<Option<MailboxCursor>, StoreError>;
    /// Moves a mailbox's cursor forward (never back within the same UIDVALIDITY; a
    /// new UIDVALIDITY replaces it).
    async fn set_mailbox_cursor(&self, cursor: &MailboxCursor, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Loads many complaints with their history in few round trips (demo data).
    /// Agenda counters are raised to the highest number loaded.
    async fn bulk_load_complaints(&self, complaints: &[BulkComplaint]) -> Result<(), StoreError>;
    /// Loads many survey responses in few round trips, checked like single ones.
    async fn bulk_load_survey_responses(&self, responses: &[NewSurveyResponse]) -> Result<(), StoreError>;
    /// Loads a stream of survey responses (the demo's year, up to millions) in one
    /// transaction: chunks are stored as they arrive, `progress` hears the running
    /// total after each, and the load commits only at [`BulkSurveyChunk::End`]; an
    /// error, or a stream closed without `End`, stores nothing. The table's plain
    /// indexes (and on PostgreSQL its foreign keys) are rebuilt once at the end, so
    /// this is for filling a database, not for adding a few rows to a large one.
    /// Returns how many responses were stored.
    async fn bulk_load_survey_stream(
        &self,
        chunks: tokio::sync::mpsc::Receiver<BulkSurveyChunk>,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<u64, StoreError>;

    // ---- Survey intake (issue 7): questionnaire wording, group commit, kiosks, export ----
    /// The questions of a rule set with their four answers, in questionnaire order,
    /// as the rule-set data words them (the survey page never hard-codes them).
    async fn survey_questions(&self, rule_set_id: i64) -> Result<Vec<SurveyQuestion>, StoreError>;
    /// Stores many responses in one transaction (group commit): returns the new id of
    /// each, or `None` for a repeated import key. Any invalid response fails the whole
    /// call and stores nothing, so a caller can retry the others one by one.
    async fn record_survey_batch(&self, intakes: &[SurveyIntake]) -> Result<Vec<Option<i64>>, StoreError>;
    /// Registers a counter tablet; only the SHA-256 of its token is stored.
    async fn create_kiosk(
        &self,
        unit_id: i64,
        name: &str,
        token_hash: &str,
        service_id: Option<i64>,
    ) -> Result<i64, StoreError>;
    /// The live (unrevoked) kiosk holding this token hash.
    async fn kiosk_by_token(&self, token_hash: &str) -> Result<Option<Kiosk>, StoreError>;
    /// A unit's kiosks, newest first, revoked ones included.
    async fn list_kiosks(&self, unit_id: i64) -> Result<Vec<Kiosk>, StoreError>;
    /// Revokes a unit's kiosk; false when there is no such live kiosk in that unit.
    async fn revoke_kiosk(&self, unit_id: i64, kiosk_id: i64) -> Result<bool, StoreError>;
    /// A unit's responses of one rule set in a date range, oldest first, in the shape
    /// of the interchange file (for exports).
    async fn survey_export(
        &self,
        unit_id: i64,
        rule_set_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<ExportedResponse>, StoreError>;
}

/// Opens the store a database URL names: `postgres://` or `postgresql://` for
/// PostgreSQL, anything else (`sqlite:` URL or a plain path) for SQLite.
pub async fn connect(database_url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(database_url).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(database_url).await?))
    }
}

/// The migrations this binary embeds for an engine: what backup, restore and export
/// compare a database's `_sqlx_migrations` with, and scan for the rows they seed.
pub fn embedded_migrations(backend: Backend) -> Migrator {
    match backend {
        Backend::Sqlite => sqlite::migrator(),
        Backend::Postgres => postgres::migrator(),
    }
}

/// Builds a migrator from migration files embedded in the binary, so `tanggap
/// migrate` needs nothing beside the executable. File names are `NNNN_name.sql`.
fn embedded_migrator(files: impl Iterator<Item = (Cow<'static, str>, Cow<'static, [u8]>)>) -> Migrator {
    let mut migrations: Vec<Migration> = files
        .filter_map(|(name, bytes)| {
            let stem = name.strip_suffix(".sql")?;
            let (version, description) = stem.split_once('_')?;
            let version: i64 = version.parse().ok()?;
            let sql = String::from_utf8(bytes.into_owned()).expect("migrations are UTF-8");
            Some(Migration::new(
                version,
                Cow::Owned(description.replace('_', " ")),
                MigrationType::Simple,
                Cow::Owned(sql),
                false,
            ))
        })
        .collect();
    migrations.sort_by_key(|m| m.version);
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

/// Formats a nomor agenda from a unit's template: `{year}`, `{number}` and
/// `{number:0N}` (zero-padded to N digits) are replaced.
pub fn format_nomor_agenda(template: &str, year: i64, number: i64) -> String {
    let mut out = template.replace("{year}", &year.to_string());
    while let Some(start) = out.find("{number") {
        let Some(len) = out[start..].find('}') else { break };
        let spec = &out[start + "{number".len()..start + len];
        let width: usize = spec.strip_prefix(":0").and_then(|w| w.parse().ok()).unwrap_or(0);
        out.replace_range(start..=start + len, &format!("{number:0width$}"));
    }
    out
}

pub use crate::codes::new_tracking_code;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nomor_agenda_follows_the_unit_template() {
        assert_eq!(
            format_nomor_agenda("ADU/{year}/{number:06}", 2026, 123),
            "ADU/2026/000123"
        );
        assert_eq!(format_nomor_agenda("{number}/PGD/{year}", 2025, 7), "7/PGD/2025");
        assert_eq!(format_nomor_agenda("P-{number:03}", 2025, 12345), "P-12345");
    }
}
