//! Storage for triage (issue 6): status moves checked by the life-cycle state
//! machine, classification and assignment, the jenis list, SLA targets, the holiday
//! calendar and the control card with names.
//!
//! The SQL is written once in [`impl_triage_store!`], expanded for both backends like
//! `impl_store!`. Every change is one transaction that starts with a write to the
//! complaint row, so two officers acting on the same complaint at once are served one
//! after the other (a PostgreSQL row lock, the SQLite write lock) and the second sees
//! the first's result.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;
use crate::domain::{Bobot, ComplaintStatus, Klasifikasi};
use crate::triage::lifecycle::MoveError;

/// The triage fields of one complaint, as the complaint page and the checks need them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriageState {
    /// The complaint.
    pub complaint_id: i64,
    /// Its unit.
    pub unit_id: i64,
    /// Status key.
    pub status: String,
    /// Klasifikasi key.
    pub klasifikasi: String,
    /// Jenis (from the unit's list).
    pub jenis_id: Option<i64>,
    /// Service concerned.
    pub service_id: Option<i64>,
    /// Division responsible.
    pub division_id: Option<i64>,
    /// Bobot key.
    pub bobot: Option<String>,
    /// Officer holding it.
    pub assignee_id: Option<i64>,
    /// Original receipt time (the clocks start here).
    pub received_at: DateTime<Utc>,
    /// End of the first-answer target (ringan).
    pub first_answer_due_at: Option<DateTime<Utc>>,
    /// End of the resolution target.
    pub due_at: Option<DateTime<Utc>>,
    /// Last answer.
    pub answered_at: Option<DateTime<Utc>>,
    /// Closing time.
    pub closed_at: Option<DateTime<Utc>>,
    /// Letter reference of a berat escalation.
    pub escalation_ref: Option<String>,
    /// Channel key (the answer goes back this way).
    pub channel: String,
    /// Content never public.
    pub rahasia: bool,
    /// The complaint this one was merged into, if it was.
    pub merged_into_id: Option<i64>,
}

/// A status change asked for by a person (or the API, or a job).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusMove {
    /// The unit of the URL or token: a complaint of another unit is not found.
    pub unit_id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// The status asked for.
    pub to: ComplaintStatus,
    /// Who asks (None for a job or an API token).
    pub actor_id: Option<i64>,
    /// Why, or the answer text for `dijawab`.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The status the asker saw (a staff page's form carries it): when the complaint
    /// has moved on meanwhile, the move is refused as `ChangedMeanwhile` instead of
    /// being applied to a status the asker never saw. None for jobs and the API.
    pub expected_from: Option<ComplaintStatus>,
    /// Messages to queue with the move (the answer by email or gateway, the citizen's
    /// notices of `crate::notices`), in the same transaction; `{event_id}` in a
    /// dedupe key becomes the control-card entry's id and `{tracking_code}` in a body
    /// the complaint's tracking code (see `storage::notices` for the rest).
    pub notify: Vec<super::model::NewOutbox>,
}

/// Classification and assignment of a complaint, with the due dates that follow from
/// its bobot (computed by `triage::sla` from the unit's targets and calendar).
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The unit of the URL.
    pub unit_id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// Pengaduan, aspirasi or permintaan informasi.
    pub klasifikasi: Klasifikasi,
    /// Jenis from the unit's list.
    pub jenis_id: Option<i64>,
    /// Service of the unit's catalog.
    pub service_id: Option<i64>,
    /// Division of the unit.
    pub division_id: Option<i64>,
    /// Severity.
    pub bobot: Option<Bobot>,
    /// Officer of the unit who holds it.
    pub assignee_id: Option<i64>,
    /// First-answer deadline.
    pub first_answer_due_at: Option<DateTime<Utc>>,
    /// Resolution deadline.
    pub due_at: Option<DateTime<Utc>>,
    /// Who classified.
    pub actor_id: Option<i64>,
    /// When.
    pub at: DateTime<Utc>,
    /// Summary for the control card.
    pub note: String,
}

/// Why a classification was refused (nothing is changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    /// No such complaint in this unit.
    #[error("no such complaint")]
    NotFound,
    /// The complaint is closed.
    #[error("complaint closed")]
    Closed,
    /// The jenis is not in this unit's active list.
    #[error("unknown jenis")]
    Jenis,
    /// The service is not in this unit's catalog.
    #[error("unknown service")]
    Service,
    /// The division is not this unit's.
    #[error("unknown division")]
    Division,
    /// The officer holds no role in this unit.
    #[error("unknown assignee")]
    Assignee,
    /// Lowering a sedang or berat bobot needs the kepala bidang or kepala dinas.
    #[error("only a kepala bidang or kepala dinas may lower this bobot")]
    LowerBobot,
}

impl ClassifyError {
    /// The locale key of the message.
    pub fn locale_key(&self) -> &'static str {
        match self {
            ClassifyError::NotFound => "triage.error.not_found",
            ClassifyError::Closed => "triage.error.classify_closed",
            ClassifyError::Jenis => "triage.error.bad_jenis",
            ClassifyError::Service => "triage.error.bad_service",
            ClassifyError::Division => "triage.error.bad_division",
            ClassifyError::Assignee => "triage.error.bad_assignee",
            ClassifyError::LowerBobot => "triage.error.lower_bobot",
        }
    }
}

/// One entry of a unit's jenis pengaduan list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Jenis {
    /// Database key.
    pub id: i64,
    /// Stable key within the unit.
    pub key: String,
    /// Name shown.
    pub name: String,
    /// `skm`, `maladministrasi` or `lainnya`.
    pub kind: String,
    /// The SKM element it corresponds to, for complaints beside satisfaction.
    pub skm_element_key: Option<String>,
    /// Offered when classifying.
    pub active: bool,
}

/// A unit's target for one bobot, in working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaTarget {
    /// Bobot key.
    pub bobot: String,
    /// First answer, where the unit sets one (ringan: 1).
    pub first_answer_days: Option<i64>,
    /// Resolution.
    pub resolve_days: i64,
}

impl SlaTarget {
    /// The targets every new unit starts with (PENGADUAN.md's defaults), for code
    /// that dates complaints without a database (the demo generator's benchmarks).
    pub fn defaults() -> Vec<SlaTarget> {
        super::shared::DEFAULT_SLA
            .iter()
            .map(|(bobot, first, resolve)| SlaTarget {
                bobot: (*bobot).to_owned(),
                first_answer_days: *first,
                resolve_days: *resolve,
            })
            .collect()
    }
}

/// A control-card entry with the names of who did it and who held the complaint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDetail {
    /// Database key.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor_id: Option<i64>,
    /// Their display name.
    pub actor_name: Option<String>,
    /// What happened.
    pub kind: String,
    /// Status before.
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: Option<String>,
    /// Who held the complaint from here on.
    pub holder_id: Option<i64>,
    /// Their display name.
    pub holder_name: Option<String>,
    /// Note.
    pub note: String,
}

/// A holiday with the decree it comes from, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolidayRow {
    /// The day.
    pub day: NaiveDate,
    /// Name.
    pub name: String,
    /// `libur_nasional` or `cuti_bersama`.
    pub kind: String,
    /// Decree or note.
    pub source: String,
}

/// How the inbox is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InboxSort {
    /// Newest received first.
    #[default]
    Received,
    /// Nearest deadline first (no deadline last).
    Due,
}

/// The inbox filters of one unit's complaints (all optional).
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// Words that must all appear (as word prefixes) in the subject or description.
    pub text: Option<String>,
    /// Status key.
    pub status: Option<String>,
    /// Channel key.
    pub channel: Option<String>,
    /// Bobot key.
    pub bobot: Option<String>,
    /// Jenis id.
    pub jenis_id: Option<i64>,
    /// Service id.
    pub service_id: Option<i64>,
    /// Division id.
    pub division_id: Option<i64>,
    /// Holder id.
    pub assignee_id: Option<i64>,
    /// Only open complaints past their resolution deadline at `now`.
    pub overdue: bool,
    /// Received at or after.
    pub from: Option<DateTime<Utc>>,
    /// Received before.
    pub to: Option<DateTime<Utc>>,
    /// The moment "overdue" is judged at.
    pub now: DateTime<Utc>,
    /// Order.
    pub sort: InboxSort,
    /// Page size.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// One inbox row: the list fields, who holds it, and whether it is overdue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxRow {
    /// The list fields.
    #[serde(flatten)]
    pub summary: super::model::ComplaintSummary,
    /// Holder's name.
    pub assignee: Option<String>,
    /// Open and past its deadline.
    pub overdue: bool,
}

/// A page of the inbox with the count per status of everything the filters (other
/// than status) select.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxPage {
    /// The rows of this page.
    pub rows: Vec<InboxRow>,
    /// (status key, count).
    pub status_counts: Vec<(String, i64)>,
}

/// The search words of a query: letters and digits only (so no search syntax can be
/// injected), at most 8 words.
pub fn search_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect()
}

/// The full-text query for a dialect: FTS5 `"word"* "word"*` (every word as a prefix)
/// or a PostgreSQL tsquery `word:* & word:*`. None when there are no words.
pub(super) fn search_query(d: super::shared::Dialect, text: Option<&str>) -> Option<String> {
    let words = search_words(text?);
    if words.is_empty() {
        return None;
    }
    Some(match d {
        super::shared::Dialect::Sqlite => words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
        super::shared::Dialect::Postgres => words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
    })
}

/// A value bound to an inbox query parameter.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum InboxBind {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
    /// Timestamp.
    Time(DateTime<Utc>),
}

/// The WHERE clause of the inbox with only the filters in use (so each database can
/// use its indexes; a clause of `(param IS NULL OR ...)` terms defeats them), its
/// values in parameter order, and whether to leave the status filter out (for the
/// per-status counts). `$1` is always the unit.
pub(super) fn inbox_where(
    d: super::shared::Dialect,
    unit_id: i64,
    q: &InboxQuery,
    with_status: bool,
) -> (String, Vec<InboxBind>) {
    let mut sql = vec!["c.unit_id = $1".to_owned()];
    let mut binds = vec![InboxBind::Int(unit_id)];
    let mut add = |clause: &str, value: InboxBind, binds: &mut Vec<InboxBind>| {
        binds.push(value);
        sql.push(clause.replace("{}", &format!("${}", binds.len())));
    };
    if let Some(text) = search_query(d, q.text.as_deref()) {
        let clause = match d {
            super::shared::Dialect::Sqlite => {
                "c.id IN (SELECT rowid FROM complaints_fts WHERE complaints_fts MATCH {})"
            }
            super::shared::Dialect::Postgres => {
                "to_tsvector('simple', c.subject || ' ' || c.description) @@ to_tsquery('simple', {})"
            }
        };
        add(clause, InboxBind::Text(text), &mut binds);
    }
    if with_status && let Some(v) = &q.status {
        add("c.status = {}", InboxBind::Text(v.clone()), &mut binds);
    }
    for (clause, value) in [("c.channel = {}", &q.channel), ("c.bobot = {}", &q.bobot)] {
        if let Some(v) = value {
            add(clause, InboxBind::Text(v.clone()), &mut binds);
        }
    }
    for (clause, value) in [
        ("c.jenis_id = {}", q.jenis_id),
        ("c.service_id = {}", q.service_id),
        ("c.division_id = {}", q.division_id),
        ("c.assignee_id = {}", q.assignee_id),
    ] {
        if let Some(v) = value {
            add(clause, InboxBind::Int(v), &mut binds);
        }
    }
    if q.overdue {
        add(
            &format!("c.status IN {OWED_STATUSES} AND c.due_at < {{}}"),
            InboxBind::Time(q.now),
            &mut binds,
        );
    }
    if let Some(from) = q.from {
        add("c.received_at >= {}", InboxBind::Time(from), &mut binds);
    }
    if let Some(to) = q.to {
        add("c.received_at < {}", InboxBind::Time(to), &mut binds);
    }
    (sql.join(" AND "), binds)
}

/// The statuses in which the unit owes the complainant an answer: the complement of
/// [`OPEN_WAITING_EXCLUDED`], written out so that the overdue filter can use the
/// (unit, status, due_at) index for each.
pub(super) const OWED_STATUSES: &str =
    "('diterima', 'terverifikasi', 'didisposisikan', 'ditindaklanjuti', 'dibuka_kembali')";

/// Statuses in which a passed deadline is not the unit's delay: closed, answered
/// (waiting for the complainant) and returned (waiting for the complainant).
pub(super) const OPEN_WAITING_EXCLUDED: &str = "('selesai', 'bukan_wewenang', 'diarsipkan', 'dijawab', 'dikembalikan')";

/// A sign-off of a sedang answer, or the record of a berat escalation.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    /// The unit of the URL.
    pub unit_id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// `persetujuan_kepala_bidang`, `persetujuan_kepala_dinas` or `eskalasi`.
    pub kind: String,
    /// For `eskalasi`: the letter reference (stored in `complaints.escalation_ref`).
    pub letter_ref: Option<String>,
    /// Who.
    pub actor_id: Option<i64>,
    /// Note for the control card.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A unit's canned answer with placeholders (`{nama}`, `{nomor_agenda}`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnswerTemplate {
    /// Database key.
    pub id: i64,
    /// Name, unique in the unit.
    pub name: String,
    /// Text with placeholders.
    pub body: String,
}

/// An answered complaint waiting for the complainant, for the auto-close job.
#[derive(Debug, Clone, PartialEq)]
pub struct AnsweredComplaint {
    /// The complaint.
    pub complaint_id: i64,
    /// Its unit.
    pub unit_id: i64,
    /// The unit's zone name.
    pub time_zone: String,
    /// When it was (last) answered.
    pub answered_at: DateTime<Utc>,
    /// The first message from the complainant after the answer, if any.
    pub replied_at: Option<DateTime<Utc>>,
    /// Channel key (the auto-close limit is per channel).
    pub channel: String,
    /// Original receipt (picks the limit in force for the complaint).
    pub received_at: DateTime<Utc>,
}

/// An open complaint near or past its deadline, for the SLA job.
#[derive(Debug, Clone, PartialEq)]
pub struct DueComplaint {
    /// The complaint.
    pub complaint_id: i64,
    /// Its unit.
    pub unit_id: i64,
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// Subject.
    pub subject: String,
    /// Deadline.
    pub due_at: DateTime<Utc>,
    /// The holder's email, when the holder has one.
    pub assignee_email: Option<String>,
}

/// A complaint that may be the same as another: same contact, or a subject sharing
/// words with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateCandidate {
    /// The other complaint.
    pub complaint_id: i64,
    /// Its nomor agenda.
    pub nomor_agenda: String,
    /// Its subject.
    pub subject: String,
    /// Its status key.
    pub status: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// `kontak` (same phone or email) or `teks` (similar words).
    pub reason: String,
}

/// Why a merge was refused (nothing is changed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// One of the two is not a complaint of this unit.
    #[error("no such complaint")]
    NotFound,
    /// A complaint cannot be merged into itself, nor into one merged elsewhere.
    #[error("bad target")]
    BadTarget,
    /// The life cycle does not allow archiving the duplicate now.
    #[error("cannot archive: {0}")]
    Move(MoveError),
    /// One is anonim and the other is not: the link would tie an anonymous complaint
    /// to a named person (issue 17).
    #[error("anonim and named complaints are not merged")]
    Anonymity,
}

/// What triage asks of the database (a supertrait of `Store`).
#[async_trait]
pub trait TriageStore {
    /// The triage fields of a complaint of `unit_id`.
    async fn triage_state(&self, unit_id: i64, complaint_id: i64) -> Result<Option<TriageState>, StoreError>;
    /// Moves a complaint to another status if the life cycle allows it
    /// (`triage::lifecycle::check`), writing the control-card entry (kind `status`, or
    /// `jawaban` for an answer) with who, when, note and holder in the same
    /// transaction. An inner `Err` means nothing was changed.
    async fn move_complaint(&self, m: &StatusMove) -> Result<Result<(), MoveError>, StoreError>;
    /// Sets classification, assignment and due dates, with a `klasifikasi`
    /// control-card entry. Every reference must belong to the complaint's unit.
    async fn classify_complaint(&self, c: &Classification) -> Result<Result<(), ClassifyError>, StoreError>;
    /// A unit's jenis list in order (inactive ones too when asked).
    async fn list_jenis(&self, unit_id: i64, include_inactive: bool) -> Result<Vec<Jenis>, StoreError>;
    /// Adds a jenis to a unit's list.
    async fn add_jenis(&self, unit_id: i64, key: &str, name: &str, kind: &str) -> Result<i64, StoreError>;
    /// Offers or withdraws a jenis; false when it is not the unit's.
    async fn set_jenis_active(&self, unit_id: i64, jenis_id: i64, active: bool) -> Result<bool, StoreError>;
    /// A unit's SLA targets per bobot.
    async fn sla_targets(&self, unit_id: i64) -> Result<Vec<SlaTarget>, StoreError>;
    /// A complaint's control card with names, oldest first.
    async fn event_details(&self, complaint_id: i64) -> Result<Vec<EventDetail>, StoreError>;
    /// Holidays of a year range with their source, for the admin page.
    async fn holiday_rows(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<HolidayRow>, StoreError>;
    /// Adds or renames a holiday, with its source.
    async fn save_holiday(&self, row: &HolidayRow) -> Result<(), StoreError>;
    /// Removes a holiday; false when there was none that day.
    async fn delete_holiday(&self, day: NaiveDate) -> Result<bool, StoreError>;
    /// Records a sign-off (sedang) or an escalation letter (berat) as a control-card
    /// entry, after `triage::escalation::check` on the complaint's current status and
    /// bobot, in one transaction.
    async fn escalate(
        &self,
        e: &Escalation,
    ) -> Result<Result<(), crate::triage::escalation::EscalationError>, StoreError>;
    /// A unit's answer templates by name.
    async fn answer_templates(&self, unit_id: i64) -> Result<Vec<AnswerTemplate>, StoreError>;
    /// Adds a template (or replaces the one with the same name).
    async fn save_answer_template(&self, unit_id: i64, name: &str, body: &str) -> Result<i64, StoreError>;
    /// Deletes a unit's template; false when it is not the unit's.
    async fn delete_answer_template(&self, unit_id: i64, id: i64) -> Result<bool, StoreError>;
    /// Complaints in `dijawab` answered before `cutoff`, with the first reply after
    /// the answer (the auto-close job decides per unit calendar and channel limit).
    async fn answered_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<AnsweredComplaint>, StoreError>;
    /// Open complaints the unit still owes (not answered, returned or closed) whose
    /// deadline is before `until`.
    async fn due_before(&self, until: DateTime<Utc>) -> Result<Vec<DueComplaint>, StoreError>;
    /// Complaints of the same unit that may be duplicates of `complaint_id`: same
    /// phone or email first (only when `by_contact`: the caller passes whether the
    /// reader may see this complaint's identity), then subjects sharing words
    /// (full-text, best first). Candidates always have the same `anonim` flag as
    /// `complaint_id`: a suggestion never ties an anonymous complaint to a named one
    /// (issue 17), and only such pairs may be merged.
    async fn duplicate_candidates(
        &self,
        unit_id: i64,
        complaint_id: i64,
        limit: i64,
        by_contact: bool,
    ) -> Result<Vec<DuplicateCandidate>, StoreError>;
    /// Merges `duplicate` into `into`: the duplicate moves to `diarsipkan` (through the
    /// life cycle) with `merged_into_id` set, both control cards get an entry, and
    /// nothing of either history is removed.
    async fn merge_complaints(
        &self,
        unit_id: i64,
        duplicate: i64,
        into: i64,
        actor_id: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<Result<(), MergeError>, StoreError>;
    /// Complaints merged into `complaint_id`: (id, nomor agenda).
    async fn merged_from(&self, complaint_id: i64) -> Result<Vec<(i64, String)>, StoreError>;
    /// A page of a unit's inbox with the filters of `q`, and the count per status.
    async fn inbox(&self, unit_id: i64, q: &InboxQuery) -> Result<InboxPage, StoreError>;
}

macro_rules! impl_triage_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::triage::TriageStore for $store {
            async fn triage_state(
                &self,
                unit_id: i64,
                complaint_id: i64,
            ) -> Result<Option<$crate::storage::triage::TriageState>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, unit_id, status, klasifikasi, jenis_id, service_id, division_id, bobot, assignee_id, \
                     received_at, first_answer_due_at, due_at, answered_at, closed_at, escalation_ref, channel, rahasia, \
                     merged_into_id FROM complaints WHERE unit_id = $1 AND id = $2",
                )
                .bind(unit_id)
                .bind(complaint_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok($crate::storage::triage::TriageState {
                        complaint_id: r.try_get(0)?,
                        unit_id: r.try_get(1)?,
                        status: r.try_get(2)?,
                        klasifikasi: r.try_get(3)?,
                        jenis_id: r.try_get(4)?,
                        service_id: r.try_get(5)?,
                        division_id: r.try_get(6)?,
                        bobot: r.try_get(7)?,
                        assignee_id: r.try_get(8)?,
                        received_at: r.try_get(9)?,
                        first_answer_due_at: r.try_get(10)?,
                        due_at: r.try_get(11)?,
                        answered_at: r.try_get(12)?,
                        closed_at: r.try_get(13)?,
                        escalation_ref: r.try_get(14)?,
                        channel: r.try_get(15)?,
                        rahasia: r.try_get(16)?,
                        merged_into_id: r.try_get(17)?,
                    })
                })
                .transpose()
            }

            async fn move_complaint(
                &self,
                m: &$crate::storage::triage::StatusMove,
            ) -> Result<Result<(), $crate::triage::lifecycle::MoveError>, StoreError> {
                use $crate::domain::ComplaintStatus as S;
                use $crate::triage::lifecycle::{self, MoveContext, MoveError};
                let mut tx = self.pool.begin().await?;
                // A write first: locks the row (PostgreSQL) or the database (SQLite),
                // so the status read below cannot change before this commits.
                let touched = sqlx::query("UPDATE complaints SET updated_at = updated_at WHERE id = $1 AND unit_id = $2")
                    .bind(m.complaint_id)
                    .bind(m.unit_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched == 0 {
                    tx.rollback().await?;
                    return Ok(Err(MoveError::NotFound));
                }
                let (status, division, assignee, bobot, tracking_code): (String, Option<i64>, Option<i64>, Option<String>, String) =
                    sqlx::query_as("SELECT status, division_id, assignee_id, bobot, tracking_code FROM complaints WHERE id = $1")
                        .bind(m.complaint_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let from = S::parse(&status).map_err(|e| StoreError::Rejected(e.to_string()))?;
                if m.expected_from.is_some_and(|seen| seen != from) {
                    tx.rollback().await?;
                    return Ok(Err(MoveError::ChangedMeanwhile));
                }
                let missing_signoffs = if m.to == S::Dijawab && bobot.as_deref() == Some("sedang") {
                    let given: i64 = sqlx::query_scalar(
                        "SELECT COUNT(DISTINCT s.kind) FROM complaint_events s WHERE s.complaint_id = $1 \
                         AND s.kind IN ('persetujuan_kepala_bidang', 'persetujuan_kepala_dinas') \
                         AND NOT EXISTS (SELECT 1 FROM complaint_events r WHERE r.complaint_id = $1 \
                         AND r.to_status = 'dibuka_kembali' AND r.at > s.at)",
                    )
                    .bind(m.complaint_id)
                    .fetch_one(&mut *tx)
                    .await?;
                    usize::try_from(2 - given).unwrap_or(0)
                } else {
                    0
                };
                let ctx = MoveContext {
                    assigned: division.is_some() || assignee.is_some(),
                    has_note: !m.note.trim().is_empty(),
                    missing_signoffs,
                };
                if let Err(e) = lifecycle::check(from, m.to, &ctx) {
                    tx.rollback().await?;
                    return Ok(Err(e));
                }
                let answered = m.to == S::Dijawab;
                let closed = m.to.is_closed();
                // The first move past `diterima` ends the verification stage
                // (SP4N-LAPOR!'s first clock, `triage::stages`).
                let verified = !matches!(m.to, S::Diterima | S::Dikembalikan | S::Diarsipkan);
                sqlx::query(
                    "UPDATE complaints SET status = $1, updated_at = $2, \
                     first_answered_at = CASE WHEN $3 THEN COALESCE(first_answered_at, $2) ELSE first_answered_at END, \
                     answered_at = CASE WHEN $3 THEN $2 ELSE answered_at END, \
                     closed_at = CASE WHEN $4 THEN $2 ELSE closed_at END, \
                     verified_at = CASE WHEN $7 THEN COALESCE(verified_at, $2) ELSE verified_at END \
                     WHERE id = $5 AND status = $6",
                )
                .bind(m.to.key())
                .bind(m.at)
                .bind(answered)
                .bind(closed)
                .bind(m.complaint_id)
                .bind(from.key())
                .bind(verified)
                .execute(&mut *tx)
                .await?;
                let event_id: i64 = sqlx::query_scalar(
                    "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, from_status, to_status, holder_id, note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(m.complaint_id)
                .bind(m.at)
                .bind(m.actor_id)
                .bind(lifecycle::event_kind(m.to))
                .bind(from.key())
                .bind(m.to.key())
                .bind(assignee)
                .bind(m.note.trim())
                .fetch_one(&mut *tx)
                .await?;
                // The answer and the citizen notices (storage::notices), in this transaction.
                queue_move_notices(&mut tx, m, event_id, &tracking_code).await?;
                tx.commit().await?;
                Ok(Ok(()))
            }

            async fn classify_complaint(
                &self,
                c: &$crate::storage::triage::Classification,
            ) -> Result<Result<(), $crate::storage::triage::ClassifyError>, StoreError> {
                use $crate::storage::triage::ClassifyError;
                let mut tx = self.pool.begin().await?;
                let touched = sqlx::query("UPDATE complaints SET updated_at = updated_at WHERE id = $1 AND unit_id = $2")
                    .bind(c.complaint_id)
                    .bind(c.unit_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched == 0 {
                    tx.rollback().await?;
                    return Ok(Err(ClassifyError::NotFound));
                }
                let (status, old_bobot): (String, Option<String>) =
                    sqlx::query_as("SELECT status, bobot FROM complaints WHERE id = $1")
                        .bind(c.complaint_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let old_bobot = old_bobot.and_then(|b| $crate::domain::Bobot::parse(&b).ok());
                let lowered = $crate::triage::escalation::lowers_guarded_bobot(old_bobot, c.bobot);
                let may_lower = if lowered {
                    let held: Vec<String> =
                        sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 AND unit_id = $2")
                            .bind(c.actor_id)
                            .bind(c.unit_id)
                            .fetch_all(&mut *tx)
                            .await?;
                    held.iter().any(|r| {
                        $crate::domain::Role::parse(r)
                            .is_ok_and(|r| $crate::triage::escalation::MAY_LOWER_BOBOT.contains(&r))
                    })
                } else {
                    true
                };
                let refused = if $crate::domain::ComplaintStatus::parse(&status).is_ok_and(|s| s.is_closed()) {
                    Some(ClassifyError::Closed)
                } else if !may_lower {
                    Some(ClassifyError::LowerBobot)
                } else {
                    // The holder must handle complaints in this unit: a role elsewhere
                    // (petugas of another unit, auditor here) does not count.
                    let handlers = $crate::auth::HANDLE_COMPLAINTS
                        .iter()
                        .map(|r| format!("'{}'", r.key()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let (jenis, service, division, assignee): (i64, i64, i64, i64) = sqlx::query_as(&format!(
                        "SELECT (SELECT COUNT(*) FROM jenis_pengaduan WHERE id = $1 AND unit_id = $5 AND active = $6), \
                         (SELECT COUNT(*) FROM services WHERE id = $2 AND unit_id = $5), \
                         (SELECT COUNT(*) FROM divisions WHERE id = $3 AND unit_id = $5), \
                         (SELECT COUNT(*) FROM user_roles r JOIN users u ON u.id = r.user_id \
                          WHERE r.user_id = $4 AND r.unit_id = $5 AND r.role IN ({handlers}) AND u.active = $6)"
                    ))
                    .bind(c.jenis_id)
                    .bind(c.service_id)
                    .bind(c.division_id)
                    .bind(c.assignee_id)
                    .bind(c.unit_id)
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await?;
                    if c.jenis_id.is_some() && jenis == 0 {
                        Some(ClassifyError::Jenis)
                    } else if c.service_id.is_some() && service == 0 {
                        Some(ClassifyError::Service)
                    } else if c.division_id.is_some() && division == 0 {
                        Some(ClassifyError::Division)
                    } else if c.assignee_id.is_some() && assignee == 0 {
                        Some(ClassifyError::Assignee)
                    } else {
                        None
                    }
                };
                if let Some(e) = refused {
                    tx.rollback().await?;
                    return Ok(Err(e));
                }
                sqlx::query(
                    "UPDATE complaints SET klasifikasi = $1, jenis_id = $2, service_id = $3, division_id = $4, bobot = $5, \
                     assignee_id = $6, first_answer_due_at = $7, due_at = $8, updated_at = $9 WHERE id = $10",
                )
                .bind(c.klasifikasi.key())
                .bind(c.jenis_id)
                .bind(c.service_id)
                .bind(c.division_id)
                .bind(c.bobot.map(|b| b.key()))
                .bind(c.assignee_id)
                .bind(c.first_answer_due_at)
                .bind(c.due_at)
                .bind(c.at)
                .bind(c.complaint_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, holder_id, note) \
                     VALUES ($1, $2, $3, 'klasifikasi', $4, $5)",
                )
                .bind(c.complaint_id)
                .bind(c.at)
                .bind(c.actor_id)
                .bind(c.assignee_id)
                .bind(&c.note)
                .execute(&mut *tx)
                .await?;
                if lowered {
                    let name = |b: Option<$crate::domain::Bobot>| {
                        b.map_or("-", |b| $crate::i18n::t($crate::i18n::Lang::Id, &format!("triage.bobot.{}", b.key())))
                    };
                    sqlx::query(
                        "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, holder_id, note) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(c.complaint_id)
                    .bind(c.at)
                    .bind(c.actor_id)
                    .bind($crate::triage::escalation::BOBOT_LOWERED)
                    .bind(c.assignee_id)
                    .bind($crate::i18n::tf(
                        $crate::i18n::Lang::Id,
                        "triage.bobot_lowered_note",
                        &[("from", name(old_bobot)), ("to", name(c.bobot))],
                    ))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(Ok(()))
            }

            async fn list_jenis(
                &self,
                unit_id: i64,
                include_inactive: bool,
            ) -> Result<Vec<$crate::storage::triage::Jenis>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, key, name, kind, skm_element_key, active FROM jenis_pengaduan \
                     WHERE unit_id = $1 AND (active = $2 OR $3) ORDER BY position, name",
                )
                .bind(unit_id)
                .bind(true)
                .bind(include_inactive)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::storage::triage::Jenis {
                            id: r.try_get(0)?,
                            key: r.try_get(1)?,
                            name: r.try_get(2)?,
                            kind: r.try_get(3)?,
                            skm_element_key: r.try_get(4)?,
                            active: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn add_jenis(&self, unit_id: i64, key: &str, name: &str, kind: &str) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO jenis_pengaduan (unit_id, key, name, kind, position) VALUES ($1, $2, $3, $4, \
                     (SELECT COALESCE(MAX(position), 0) + 1 FROM jenis_pengaduan WHERE unit_id = $1)) RETURNING id",
                )
                .bind(unit_id)
                .bind(key)
                .bind(name)
                .bind(kind)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn set_jenis_active(&self, unit_id: i64, jenis_id: i64, active: bool) -> Result<bool, StoreError> {
                Ok(sqlx::query("UPDATE jenis_pengaduan SET active = $1 WHERE id = $2 AND unit_id = $3")
                    .bind(active)
                    .bind(jenis_id)
                    .bind(unit_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn sla_targets(&self, unit_id: i64) -> Result<Vec<$crate::storage::triage::SlaTarget>, StoreError> {
                let rows: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
                    "SELECT bobot, first_answer_days, resolve_days FROM sla_targets WHERE unit_id = $1 ORDER BY resolve_days",
                )
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(bobot, first_answer_days, resolve_days)| $crate::storage::triage::SlaTarget {
                        bobot,
                        first_answer_days,
                        resolve_days,
                    })
                    .collect())
            }

            async fn event_details(&self, complaint_id: i64) -> Result<Vec<$crate::storage::triage::EventDetail>, StoreError> {
                let rows = sqlx::query(
                    "SELECT e.id, e.at, e.actor_id, a.full_name, e.kind, e.from_status, e.to_status, e.holder_id, \
                     h.full_name, e.note FROM complaint_events e LEFT JOIN users a ON a.id = e.actor_id \
                     LEFT JOIN users h ON h.id = e.holder_id WHERE e.complaint_id = $1 ORDER BY e.at, e.id",
                )
                .bind(complaint_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::storage::triage::EventDetail {
                            id: r.try_get(0)?,
                            at: r.try_get(1)?,
                            actor_id: r.try_get(2)?,
                            actor_name: r.try_get(3)?,
                            kind: r.try_get(4)?,
                            from_status: r.try_get(5)?,
                            to_status: r.try_get(6)?,
                            holder_id: r.try_get(7)?,
                            holder_name: r.try_get(8)?,
                            note: r.try_get(9)?,
                        })
                    })
                    .collect()
            }

            async fn holiday_rows(
                &self,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<$crate::storage::triage::HolidayRow>, StoreError> {
                let rows: Vec<(chrono::NaiveDate, String, String, String)> = sqlx::query_as(
                    "SELECT day, name, kind, source FROM holidays WHERE day >= $1 AND day <= $2 ORDER BY day",
                )
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(day, name, kind, source)| $crate::storage::triage::HolidayRow { day, name, kind, source })
                    .collect())
            }

            async fn save_holiday(&self, h: &$crate::storage::triage::HolidayRow) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO holidays (day, name, kind, source) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (day) DO UPDATE SET name = excluded.name, kind = excluded.kind, source = excluded.source",
                )
                .bind(h.day)
                .bind(&h.name)
                .bind(&h.kind)
                .bind(&h.source)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_holiday(&self, day: chrono::NaiveDate) -> Result<bool, StoreError> {
                Ok(sqlx::query("DELETE FROM holidays WHERE day = $1")
                    .bind(day)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn escalate(
                &self,
                e: &$crate::storage::triage::Escalation,
            ) -> Result<Result<(), $crate::triage::escalation::EscalationError>, StoreError> {
                use $crate::domain::{Bobot, ComplaintStatus};
                use $crate::triage::escalation::{self, EscalationError};
                let wanted = if e.kind == "eskalasi" { Bobot::Berat } else { Bobot::Sedang };
                if e.kind == "eskalasi" && e.letter_ref.as_deref().is_none_or(|r| r.trim().is_empty()) {
                    return Ok(Err(EscalationError::LetterRequired));
                }
                if e.kind != "eskalasi" && !escalation::SIGNOFFS.iter().any(|(_, k)| *k == e.kind) {
                    return Ok(Err(EscalationError::Role));
                }
                let mut tx = self.pool.begin().await?;
                let touched = sqlx::query("UPDATE complaints SET updated_at = updated_at WHERE id = $1 AND unit_id = $2")
                    .bind(e.complaint_id)
                    .bind(e.unit_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched == 0 {
                    tx.rollback().await?;
                    return Ok(Err(EscalationError::NotFound));
                }
                let (status, bobot, assignee): (String, Option<String>, Option<i64>) =
                    sqlx::query_as("SELECT status, bobot, assignee_id FROM complaints WHERE id = $1")
                        .bind(e.complaint_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let status = ComplaintStatus::parse(&status).map_err(|x| StoreError::Rejected(x.to_string()))?;
                let bobot = bobot.as_deref().and_then(|b| Bobot::parse(b).ok());
                if let Err(err) = escalation::check(status, bobot, wanted) {
                    tx.rollback().await?;
                    return Ok(Err(err));
                }
                if let Some(letter) = &e.letter_ref {
                    sqlx::query("UPDATE complaints SET escalation_ref = $1, updated_at = $2 WHERE id = $3")
                        .bind(letter.trim())
                        .bind(e.at)
                        .bind(e.complaint_id)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, holder_id, note) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(e.complaint_id)
                .bind(e.at)
                .bind(e.actor_id)
                .bind(&e.kind)
                .bind(assignee)
                .bind(e.note.trim())
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Ok(()))
            }

            async fn answer_templates(&self, unit_id: i64) -> Result<Vec<$crate::storage::triage::AnswerTemplate>, StoreError> {
                let rows: Vec<(i64, String, String)> =
                    sqlx::query_as("SELECT id, name, body FROM answer_templates WHERE unit_id = $1 ORDER BY name")
                        .bind(unit_id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, name, body)| $crate::storage::triage::AnswerTemplate { id, name, body })
                    .collect())
            }

            async fn save_answer_template(&self, unit_id: i64, name: &str, body: &str) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO answer_templates (unit_id, name, body) VALUES ($1, $2, $3) \
                     ON CONFLICT (unit_id, name) DO UPDATE SET body = excluded.body RETURNING id",
                )
                .bind(unit_id)
                .bind(name)
                .bind(body)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn delete_answer_template(&self, unit_id: i64, id: i64) -> Result<bool, StoreError> {
                Ok(sqlx::query("DELETE FROM answer_templates WHERE id = $1 AND unit_id = $2")
                    .bind(id)
                    .bind(unit_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn answered_before(
                &self,
                cutoff: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::storage::triage::AnsweredComplaint>, StoreError> {
                let rows = sqlx::query(
                    "SELECT c.id, c.unit_id, u.time_zone, c.answered_at, \
                     (SELECT MIN(m.at) FROM complaint_messages m WHERE m.complaint_id = c.id AND m.direction = 'in' \
                      AND m.at > c.answered_at \
                      AND (m.channel <> 'email' OR lower(m.sender) = lower(COALESCE(c.complainant_email, '')))), \
                     c.channel, c.received_at \
                     FROM complaints c JOIN units u ON u.id = c.unit_id \
                     WHERE c.status = 'dijawab' AND c.answered_at < $1 ORDER BY c.answered_at, c.id",
                )
                .bind(cutoff)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::storage::triage::AnsweredComplaint {
                            complaint_id: r.try_get(0)?,
                            unit_id: r.try_get(1)?,
                            time_zone: r.try_get(2)?,
                            answered_at: r.try_get(3)?,
                            replied_at: r.try_get(4)?,
                            channel: r.try_get(5)?,
                            received_at: r.try_get(6)?,
                        })
                    })
                    .collect()
            }

            async fn due_before(
                &self,
                until: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::storage::triage::DueComplaint>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT c.id, c.unit_id, c.nomor_agenda, c.subject, c.due_at, NULLIF(u.email, '') \
                     FROM complaints c LEFT JOIN users u ON u.id = c.assignee_id \
                     WHERE c.due_at < $1 AND c.status NOT IN {} ORDER BY c.due_at, c.id",
                    $crate::storage::triage::OPEN_WAITING_EXCLUDED
                ))
                .bind(until)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::storage::triage::DueComplaint {
                            complaint_id: r.try_get(0)?,
                            unit_id: r.try_get(1)?,
                            nomor_agenda: r.try_get(2)?,
                            subject: r.try_get(3)?,
                            due_at: r.try_get(4)?,
                            assignee_email: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn duplicate_candidates(
                &self,
                unit_id: i64,
                complaint_id: i64,
                limit: i64,
                by_contact: bool,
            ) -> Result<Vec<$crate::storage::triage::DuplicateCandidate>, StoreError> {
                use $crate::storage::triage::DuplicateCandidate;
                let Some((subject, phone, email, anonim)): Option<(String, Option<String>, Option<String>, bool)> = sqlx::query_as(
                    "SELECT subject, complainant_phone, complainant_email, anonim FROM complaints WHERE id = $1 AND unit_id = $2",
                )
                .bind(complaint_id)
                .bind(unit_id)
                .fetch_optional(&self.pool)
                .await?
                else {
                    return Ok(Vec::new());
                };
                let mut out: Vec<DuplicateCandidate> = Vec::new();
                if by_contact && (phone.is_some() || email.is_some()) {
                    let rows = sqlx::query(
                        "SELECT id, nomor_agenda, subject, status, received_at FROM complaints \
                         WHERE unit_id = $1 AND id <> $2 AND merged_into_id IS NULL AND anonim = $6 \
                         AND ((complainant_phone IS NOT NULL AND complainant_phone = $3) \
                           OR (complainant_email IS NOT NULL AND lower(complainant_email) = lower($4))) \
                         ORDER BY received_at DESC, id DESC LIMIT $5",
                    )
                    .bind(unit_id)
                    .bind(complaint_id)
                    .bind(&phone)
                    .bind(&email)
                    .bind(limit)
                    .bind(anonim)
                    .fetch_all(&self.pool)
                    .await?;
                    for r in &rows {
                        out.push(DuplicateCandidate {
                            complaint_id: r.try_get(0)?,
                            nomor_agenda: r.try_get(1)?,
                            subject: r.try_get(2)?,
                            status: r.try_get(3)?,
                            received_at: r.try_get(4)?,
                            reason: "kontak".into(),
                        });
                    }
                }
                // Similar text: any of the subject's words of 4+ letters, ranked by the
                // full-text relevance (FTS5 bm25, PostgreSQL ts_rank).
                let words: Vec<String> = $crate::storage::triage::search_words(&subject)
                    .into_iter()
                    .filter(|w| w.chars().count() >= 4)
                    .collect();
                if !words.is_empty() && (out.len() as i64) < limit {
                    let sql = match DIALECT {
                        shared::Dialect::Sqlite => {
                            "SELECT c.id, c.nomor_agenda, c.subject, c.status, c.received_at FROM complaints_fts f \
                             JOIN complaints c ON c.id = f.rowid WHERE complaints_fts MATCH $1 AND c.unit_id = $2 \
                             AND c.id <> $3 AND c.merged_into_id IS NULL AND c.anonim = $5 ORDER BY f.rank LIMIT $4"
                        }
                        shared::Dialect::Postgres => {
                            "SELECT c.id, c.nomor_agenda, c.subject, c.status, c.received_at FROM complaints c \
                             WHERE to_tsvector('simple', c.subject || ' ' || c.description) @@ to_tsquery('simple', $1) \
                             AND c.unit_id = $2 AND c.id <> $3 AND c.merged_into_id IS NULL AND c.anonim = $5 \
                             ORDER BY ts_rank(to_tsvector('simple', c.subject || ' ' || c.description), \
                             to_tsquery('simple', $1)) DESC, c.id DESC LIMIT $4"
                        }
                    };
                    let query = match DIALECT {
                        shared::Dialect::Sqlite => words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" OR "),
                        shared::Dialect::Postgres => words.join(" | "),
                    };
                    let rows = sqlx::query(sql)
                        .bind(query)
                        .bind(unit_id)
                        .bind(complaint_id)
                        .bind(limit)
                        .bind(anonim)
                        .fetch_all(&self.pool)
                        .await?;
                    for r in &rows {
                        let c = DuplicateCandidate {
                            complaint_id: r.try_get(0)?,
                            nomor_agenda: r.try_get(1)?,
                            subject: r.try_get(2)?,
                            status: r.try_get(3)?,
                            received_at: r.try_get(4)?,
                            reason: "teks".into(),
                        };
                        if !out.iter().any(|o| o.complaint_id == c.complaint_id) && (out.len() as i64) < limit {
                            out.push(c);
                        }
                    }
                }
                Ok(out)
            }

            async fn merge_complaints(
                &self,
                unit_id: i64,
                duplicate: i64,
                into: i64,
                actor_id: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Result<(), $crate::storage::triage::MergeError>, StoreError> {
                use $crate::domain::ComplaintStatus as S;
                use $crate::storage::triage::MergeError;
                use $crate::triage::lifecycle::{self, MoveContext};
                if duplicate == into {
                    return Ok(Err(MergeError::BadTarget));
                }
                let mut tx = self.pool.begin().await?;
                let touched = sqlx::query("UPDATE complaints SET updated_at = updated_at WHERE id IN ($1, $2) AND unit_id = $3")
                    .bind(duplicate)
                    .bind(into)
                    .bind(unit_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if touched != 2 {
                    tx.rollback().await?;
                    return Ok(Err(MergeError::NotFound));
                }
                let (status, assignee, nomor, anonim): (String, Option<i64>, String, bool) =
                    sqlx::query_as("SELECT status, assignee_id, nomor_agenda, anonim FROM complaints WHERE id = $1")
                        .bind(duplicate)
                        .fetch_one(&mut *tx)
                        .await?;
                let (target_merged, target_assignee, target_nomor, target_anonim): (Option<i64>, Option<i64>, String, bool) =
                    sqlx::query_as("SELECT merged_into_id, assignee_id, nomor_agenda, anonim FROM complaints WHERE id = $1")
                        .bind(into)
                        .fetch_one(&mut *tx)
                        .await?;
                if target_merged.is_some() {
                    tx.rollback().await?;
                    return Ok(Err(MergeError::BadTarget));
                }
                if anonim != target_anonim {
                    tx.rollback().await?;
                    return Ok(Err(MergeError::Anonymity));
                }
                let from = S::parse(&status).map_err(|e| StoreError::Rejected(e.to_string()))?;
                let ctx = MoveContext { assigned: true, has_note: true, missing_signoffs: 0 };
                if let Err(e) = lifecycle::check(from, S::Diarsipkan, &ctx) {
                    tx.rollback().await?;
                    return Ok(Err(MergeError::Move(e)));
                }
                sqlx::query(
                    "UPDATE complaints SET status = 'diarsipkan', merged_into_id = $1, closed_at = $2, updated_at = $2 WHERE id = $3",
                )
                .bind(into)
                .bind(at)
                .bind(duplicate)
                .execute(&mut *tx)
                .await?;
                let note_dup = $crate::i18n::tf($crate::i18n::Lang::Id, "triage.merge.into_note", &[("nomor", target_nomor.as_str())]);
                let note_target = $crate::i18n::tf($crate::i18n::Lang::Id, "triage.merge.from_note", &[("nomor", nomor.as_str())]);
                sqlx::query(
                    "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, from_status, to_status, holder_id, note) \
                     VALUES ($1, $2, $3, 'gabung', $4, 'diarsipkan', $5, $6)",
                )
                .bind(duplicate)
                .bind(at)
                .bind(actor_id)
                .bind(from.key())
                .bind(assignee)
                .bind(note_dup)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, holder_id, note) VALUES ($1, $2, $3, 'gabung', $4, $5)",
                )
                .bind(into)
                .bind(at)
                .bind(actor_id)
                .bind(target_assignee)
                .bind(note_target)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Ok(()))
            }

            async fn merged_from(&self, complaint_id: i64) -> Result<Vec<(i64, String)>, StoreError> {
                Ok(sqlx::query_as("SELECT id, nomor_agenda FROM complaints WHERE merged_into_id = $1 ORDER BY id")
                    .bind(complaint_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn inbox(
                &self,
                unit_id: i64,
                q: &$crate::storage::triage::InboxQuery,
            ) -> Result<$crate::storage::triage::InboxPage, StoreError> {
                use $crate::storage::triage::{InboxBind, InboxSort, inbox_where};
                let order = match q.sort {
                    InboxSort::Received => "c.received_at DESC, c.id DESC",
                    InboxSort::Due => "(c.due_at IS NULL), c.due_at, c.id",
                };
                let (clause, mut binds) = inbox_where(DIALECT, unit_id, q, true);
                binds.push(InboxBind::Time(q.now));
                let now_param = binds.len();
                let sql = format!(
                    "SELECT {}, u.full_name, (c.due_at < ${now_param} AND c.status NOT IN {}) FROM complaints c {} \
                     LEFT JOIN users u ON u.id = c.assignee_id WHERE {clause} ORDER BY {order} LIMIT {} OFFSET {}",
                    shared::SUMMARY_COLUMNS,
                    $crate::storage::triage::OPEN_WAITING_EXCLUDED,
                    shared::SUMMARY_JOINS,
                    q.limit.clamp(0, 100_000),
                    q.offset.clamp(0, 100_000_000),
                );
                let mut query = sqlx::query(&sql);
                for b in &binds {
                    query = match b {
                        InboxBind::Text(v) => query.bind(v.clone()),
                        InboxBind::Int(v) => query.bind(*v),
                        InboxBind::Time(v) => query.bind(*v),
                    };
                }
                let rows = query.fetch_all(&self.pool).await?;
                let n = shared::SUMMARY_COLUMN_COUNT;
                let rows = rows
                    .iter()
                    .map(|r| {
                        Ok($crate::storage::triage::InboxRow {
                            summary: summary_from_row(r)?,
                            assignee: r.try_get(n)?,
                            overdue: r.try_get::<Option<bool>, _>(n + 1)?.unwrap_or(false),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let (clause, binds) = inbox_where(DIALECT, unit_id, q, false);
                let count_sql = format!("SELECT c.status, COUNT(*) FROM complaints c WHERE {clause} GROUP BY c.status ORDER BY c.status");
                let mut count = sqlx::query_as(&count_sql);
                for b in &binds {
                    count = match b {
                        InboxBind::Text(v) => count.bind(v.clone()),
                        InboxBind::Int(v) => count.bind(*v),
                        InboxBind::Time(v) => count.bind(*v),
                    };
                }
                let status_counts: Vec<(String, i64)> = count.fetch_all(&self.pool).await?;
                Ok($crate::storage::triage::InboxPage { rows, status_counts })
            }
        }
    };
}

pub(super) use impl_triage_store;
