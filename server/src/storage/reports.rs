//! Storage for reports (issue 9): the rows a monthly report lists (register and
//! overdue complaints), report versions with their approval workflow, and the SKM
//! follow-up plans. SQL is written once in [`impl_report_store!`] for both backends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;

/// One complaint of a month's register (Buku Pengaduan), identity included: the
/// caller redacts it per the privacy rules before it reaches a document.
#[derive(Debug, Clone)]
pub struct RegisterRow {
    /// Complaint id.
    pub id: i64,
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Complainant's name, if given.
    pub complainant_name: Option<String>,
    /// The complainant asked to stay anonymous.
    pub anonim: bool,
    /// Channel key.
    pub channel: String,
    /// Subject line.
    pub subject: String,
    /// Jenis pengaduan name.
    pub jenis: Option<String>,
    /// Bobot key.
    pub bobot: Option<String>,
    /// Service name.
    pub service: Option<String>,
    /// Status key.
    pub status: String,
    /// When it was closed, if it is.
    pub closed_at: Option<DateTime<Utc>>,
}

/// An open complaint past its due date.
#[derive(Debug, Clone)]
pub struct OverdueRow {
    /// Complaint id.
    pub id: i64,
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// Bobot key.
    pub bobot: Option<String>,
    /// Division name.
    pub division: Option<String>,
    /// Status key.
    pub status: String,
}

/// A stored report version, without its files.
#[derive(Debug, Clone, Serialize)]
pub struct ReportVersion {
    /// Row id.
    pub id: i64,
    /// Unit.
    pub unit_id: i64,
    /// `pengaduan_bulanan` or `skm`.
    pub kind: String,
    /// `2026-10` (monthly) or `2026-S1`, `2026-Q3`, `2026` (SKM).
    pub period: String,
    /// 1, 2, ... within (unit, kind, period).
    pub version: i64,
    /// `draft`, `submitted`, `returned` or `approved`.
    pub status: String,
    /// When this version was made.
    pub created_at: DateTime<Utc>,
    /// Who made it (none for the scheduled draft).
    pub created_by: Option<i64>,
    /// Their name.
    pub created_by_name: Option<String>,
    /// The preparer's notes printed in the report.
    pub preparer_note: String,
    /// When it was submitted for review.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The sekretaris who approved or returned it.
    pub reviewed_by: Option<i64>,
    /// Their name.
    pub reviewed_by_name: Option<String>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Why it was returned (or a remark on approval).
    pub review_note: Option<String>,
}

/// A new version to store, with its rendered files.
#[derive(Debug, Clone)]
pub struct NewReportVersion {
    /// Unit.
    pub unit_id: i64,
    /// `pengaduan_bulanan` or `skm`.
    pub kind: String,
    /// Period key.
    pub period: String,
    /// The version number printed in the files; stored exactly, or refused with
    /// [`StoreError::Conflict`] when another draft took it first (the caller then
    /// re-renders with the next number), so the printed and stored numbers agree.
    pub version: i64,
    /// Who made it.
    pub created_by: Option<i64>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Preparer's notes.
    pub preparer_note: String,
    /// The report's input as JSON, so a version can be re-rendered exactly.
    pub data_json: String,
    /// HTML rendering.
    pub html: String,
    /// PDF rendering.
    pub pdf: Vec<u8>,
    /// XLSX rendering.
    pub xlsx: Vec<u8>,
}

/// A version's renderings, rewritten at each workflow step so the printed status
/// and signatures match the stored status.
#[derive(Debug, Clone, Default)]
pub struct ReportFiles {
    /// HTML page.
    pub html: String,
    /// PDF bytes.
    pub pdf: Vec<u8>,
    /// XLSX bytes.
    pub xlsx: Vec<u8>,
    /// The report's input as JSON, with the new approval state.
    pub data_json: String,
}

/// A workflow step on a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAction {
    /// draft -> submitted (the preparer). A returned version stays as it was; the
    /// correction is a new version.
    Submit,
    /// submitted -> approved (the sekretaris); freezes the version.
    Approve,
    /// submitted -> returned, with a note (the sekretaris).
    Return,
}

impl ReportAction {
    /// Statuses the action may start from.
    pub fn from_statuses(self) -> &'static [&'static str] {
        match self {
            ReportAction::Submit => &["draft"],
            ReportAction::Approve | ReportAction::Return => &["submitted"],
        }
    }

    /// Status after the action.
    pub fn to_status(self) -> &'static str {
        match self {
            ReportAction::Submit => "submitted",
            ReportAction::Approve => "approved",
            ReportAction::Return => "returned",
        }
    }
}

/// One action of a follow-up plan (rencana tindak lanjut).
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpPlan {
    /// Row id.
    pub id: i64,
    /// Unit.
    pub unit_id: i64,
    /// SKM period key (`2026-S1`).
    pub period: String,
    /// Element addressed.
    pub element_key: String,
    /// Action.
    pub action: String,
    /// Owner.
    pub owner: String,
    /// Deadline.
    pub deadline: NaiveDate,
    /// What was done.
    pub realisation: Option<String>,
    /// When.
    pub realised_on: Option<NaiveDate>,
}

/// Storage the reports need; part of [`super::Store`].
#[allow(clippy::too_many_arguments)]
#[async_trait]
pub trait ReportStore {
    /// Complaints of a unit received in `[from, to)`, in order of receipt.
    async fn report_register(
        &self,
        unit_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RegisterRow>, StoreError>;
    /// Complaints of a unit not closed and due before `now`, most overdue first.
    async fn overdue_complaints(&self, unit_id: i64, now: DateTime<Utc>) -> Result<Vec<OverdueRow>, StoreError>;
    /// The number the next version of (unit, kind, period) would take: last + 1.
    /// Only a proposal: [`ReportStore::insert_report_version`] decides.
    async fn next_report_version(&self, unit_id: i64, kind: &str, period: &str) -> Result<i64, StoreError>;
    /// Stores a new draft version under `new.version`; [`StoreError::Conflict`] when
    /// that number is already taken (the unique key on unit, kind, period, version).
    async fn insert_report_version(&self, new: &NewReportVersion) -> Result<ReportVersion, StoreError>;
    /// Versions of a unit, newest first, optionally of one kind.
    async fn list_report_versions(&self, unit_id: i64, kind: Option<&str>) -> Result<Vec<ReportVersion>, StoreError>;
    /// One version of a unit.
    async fn report_version(&self, unit_id: i64, id: i64) -> Result<Option<ReportVersion>, StoreError>;
    /// A version's stored input (JSON), to re-render it at a workflow step.
    async fn report_data(&self, unit_id: i64, id: i64) -> Result<Option<String>, StoreError>;
    /// A version's stored rendering: `html`, `pdf` or `xlsx`.
    async fn report_file(&self, unit_id: i64, id: i64, format: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Applies a workflow step if the version is in a status it may start from;
    /// false (nothing changed) otherwise.
    async fn transition_report(
        &self,
        unit_id: i64,
        id: i64,
        action: ReportAction,
        actor: i64,
        note: Option<&str>,
        at: DateTime<Utc>,
        files: &ReportFiles,
    ) -> Result<bool, StoreError>;
    /// Sets a user's email address, where approved reports and other notices go.
    async fn set_user_email(&self, user_id: i64, email: &str) -> Result<bool, StoreError>;
    /// A user's email address ("" when none), for the account page.
    async fn user_email(&self, user_id: i64) -> Result<Option<String>, StoreError>;
    /// Active users holding `role` in the unit: (id, full name, email).
    async fn role_holders(&self, unit_id: i64, role: &str) -> Result<Vec<(i64, String, String)>, StoreError>;
    /// The unit's SLA targets per bobot (working days).
    async fn report_sla_targets(&self, unit_id: i64) -> Result<Vec<analytics::SlaTarget>, StoreError>;
    /// Populations (service users) per service name entered for an SKM period.
    async fn report_survey_populations(&self, unit_id: i64, period: &str) -> Result<Vec<(String, u64)>, StoreError>;
    /// Follow-up plan actions of a unit for one period.
    async fn follow_up_plans(&self, unit_id: i64, period: &str) -> Result<Vec<FollowUpPlan>, StoreError>;
    /// Adds a follow-up action; returns its id.
    async fn add_follow_up_plan(&self, plan: &FollowUpPlan) -> Result<i64, StoreError>;
    /// Records how an action was carried out; false if it is not this unit's.
    async fn realise_follow_up_plan(
        &self,
        unit_id: i64,
        id: i64,
        realisation: &str,
        realised_on: NaiveDate,
    ) -> Result<bool, StoreError>;
}

/// A scalar subquery picking the unit's survey period for a report period key:
/// binds `$1` unit, `$2` key, `$3` first day, `$4` last day. A period named by the
/// key wins; otherwise one with exactly the same days ("Semester I 2026" for
/// `2026-S1`), so staff may name their periods as they like.
pub(super) const PERIOD_OF_KEY: &str = "(SELECT id FROM survey_periods WHERE unit_id = $1 \
     AND (name = $2 OR (starts_on = $3 AND ends_on = $4)) ORDER BY CASE WHEN name = $2 THEN 0 ELSE 1 END, id LIMIT 1)";

/// First and last day of a report period key (`2026-S1`, `2026-Q3`, `2026`, ...).
pub(super) fn period_days(key: &str) -> Option<(NaiveDate, NaiveDate)> {
    crate::reporting::period::Period::parse(key)
        .ok()
        .map(|p| (p.from(), p.to()))
}

/// The SQL of [`ReportStore`], once for both backends (`self.pool` is the backend's pool).
macro_rules! impl_report_store {
    ($store:ty) => {
        #[allow(clippy::too_many_arguments)]
        #[async_trait::async_trait]
        impl $crate::storage::reports::ReportStore for $store {
            async fn report_register(
                &self,
                unit_id: i64,
                from: chrono::DateTime<chrono::Utc>,
                to: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::storage::reports::RegisterRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT c.id, c.nomor_agenda, c.received_at, c.complainant_name, c.anonim, c.channel, c.subject, \
                     j.name, c.bobot, s.name, c.status, c.closed_at FROM complaints c \
                     LEFT JOIN jenis_pengaduan j ON j.id = c.jenis_id LEFT JOIN services s ON s.id = c.service_id \
                     WHERE c.unit_id = $1 AND c.received_at >= $2 AND c.received_at < $3 \
                     ORDER BY c.received_at, c.id",
                )
                .bind(unit_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::storage::reports::RegisterRow {
                            id: r.try_get(0)?,
                            nomor_agenda: r.try_get(1)?,
                            received_at: r.try_get(2)?,
                            complainant_name: r.try_get(3)?,
                            anonim: r.try_get(4)?,
                            channel: r.try_get(5)?,
                            subject: r.try_get(6)?,
                            jenis: r.try_get(7)?,
                            bobot: r.try_get(8)?,
                            service: r.try_get(9)?,
                            status: r.try_get(10)?,
                            closed_at: r.try_get(11)?,
                        })
                    })
                    .collect()
            }

            async fn overdue_complaints(
                &self,
                unit_id: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::storage::reports::OverdueRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT c.id, c.nomor_agenda, c.received_at, c.due_at, c.bobot, d.name, c.status FROM complaints c \
                     LEFT JOIN divisions d ON d.id = c.division_id \
                     WHERE c.unit_id = $1 AND c.closed_at IS NULL AND c.due_at IS NOT NULL AND c.due_at < $2 \
                     AND c.status NOT IN ('selesai', 'bukan_wewenang', 'diarsipkan') AND c.merged_into_id IS NULL \
                     ORDER BY c.due_at, c.id",
                )
                .bind(unit_id)
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::storage::reports::OverdueRow {
                            id: r.try_get(0)?,
                            nomor_agenda: r.try_get(1)?,
                            received_at: r.try_get(2)?,
                            due_at: r.try_get(3)?,
                            bobot: r.try_get(4)?,
                            division: r.try_get(5)?,
                            status: r.try_get(6)?,
                        })
                    })
                    .collect()
            }

            async fn next_report_version(&self, unit_id: i64, kind: &str, period: &str) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM report_versions WHERE unit_id = $1 AND kind = $2 AND period = $3",
                )
                .bind(unit_id)
                .bind(kind)
                .bind(period)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn insert_report_version(
                &self,
                new: &$crate::storage::reports::NewReportVersion,
            ) -> Result<$crate::storage::reports::ReportVersion, StoreError> {
                // One statement: the unique key (unit_id, kind, period, version) makes a
                // second draft with the same number fail as a conflict instead of
                // storing a number its files do not print.
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO report_versions (unit_id, kind, period, version, status, created_at, created_by, \
                     preparer_note, data_json, html, pdf, xlsx) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11) \
                     RETURNING id",
                )
                .bind(new.unit_id)
                .bind(&new.kind)
                .bind(&new.period)
                .bind(new.version)
                .bind(new.created_at)
                .bind(new.created_by)
                .bind(&new.preparer_note)
                .bind(&new.data_json)
                .bind(&new.html)
                .bind(&new.pdf)
                .bind(&new.xlsx)
                .fetch_one(&self.pool)
                .await?;
                self.report_version(new.unit_id, id)
                    .await?
                    .ok_or(StoreError::Database(sqlx::Error::RowNotFound))
            }

            async fn list_report_versions(
                &self,
                unit_id: i64,
                kind: Option<&str>,
            ) -> Result<Vec<$crate::storage::reports::ReportVersion>, StoreError> {
                let sql = format!(
                    "{} WHERE r.unit_id = $1 AND ($2 IS NULL OR r.kind = $2) ORDER BY r.period DESC, r.kind, r.version DESC",
                    $crate::storage::reports::REPORT_VERSION_SELECT
                );
                let rows = sqlx::query(&sql).bind(unit_id).bind(kind).fetch_all(&self.pool).await?;
                rows.iter().map(|r| $crate::storage::reports::version_from_row!(r)).collect()
            }

            async fn report_version(
                &self,
                unit_id: i64,
                id: i64,
            ) -> Result<Option<$crate::storage::reports::ReportVersion>, StoreError> {
                let sql = format!("{} WHERE r.unit_id = $1 AND r.id = $2", $crate::storage::reports::REPORT_VERSION_SELECT);
                let row = sqlx::query(&sql).bind(unit_id).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(|r| $crate::storage::reports::version_from_row!(r)).transpose()
            }

            async fn report_data(&self, unit_id: i64, id: i64) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT data_json FROM report_versions WHERE unit_id = $1 AND id = $2")
                    .bind(unit_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn report_file(&self, unit_id: i64, id: i64, format: &str) -> Result<Option<Vec<u8>>, StoreError> {
                // Only the asked-for column is read (a PDF is megabytes; the other two
                // need not travel). The SQL is picked from fixed strings, never built
                // from the request.
                let sql = match format {
                    "html" => "SELECT html FROM report_versions WHERE unit_id = $1 AND id = $2",
                    "pdf" => "SELECT pdf FROM report_versions WHERE unit_id = $1 AND id = $2",
                    "xlsx" => "SELECT xlsx FROM report_versions WHERE unit_id = $1 AND id = $2",
                    _ => return Ok(None),
                };
                let row = sqlx::query(sql)
                    .bind(unit_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(r) = row else { return Ok(None) };
                Ok(if format == "html" {
                    r.try_get::<Option<String>, _>(0)?.map(String::into_bytes)
                } else {
                    r.try_get::<Option<Vec<u8>>, _>(0)?
                })
            }

            async fn transition_report(
                &self,
                unit_id: i64,
                id: i64,
                action: $crate::storage::reports::ReportAction,
                actor: i64,
                note: Option<&str>,
                at: chrono::DateTime<chrono::Utc>,
                files: &$crate::storage::reports::ReportFiles,
            ) -> Result<bool, StoreError> {
                use $crate::storage::reports::ReportAction;
                let from = action.from_statuses();
                let (a, b) = (from[0], from.get(1).copied().unwrap_or(from[0]));
                let set_files = "html = $9, pdf = $10, xlsx = $11, data_json = $12";
                let sql = match action {
                    ReportAction::Submit => format!(
                        "UPDATE report_versions SET status = $1, submitted_at = $2, created_by = COALESCE(created_by, $3), \
                         preparer_note = COALESCE($4, preparer_note), {set_files} \
                         WHERE unit_id = $5 AND id = $6 AND status IN ($7, $8)"
                    ),
                    ReportAction::Approve | ReportAction::Return => format!(
                        "UPDATE report_versions SET status = $1, reviewed_at = $2, reviewed_by = $3, review_note = $4, {set_files} \
                         WHERE unit_id = $5 AND id = $6 AND status IN ($7, $8)"
                    ),
                };
                let done = sqlx::query(&sql)
                    .bind(action.to_status())
                    .bind(at)
                    .bind(actor)
                    .bind(note)
                    .bind(unit_id)
                    .bind(id)
                    .bind(a)
                    .bind(b)
                    .bind(&files.html)
                    .bind(&files.pdf)
                    .bind(&files.xlsx)
                    .bind(&files.data_json)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_user_email(&self, user_id: i64, email: &str) -> Result<bool, StoreError> {
                let done = sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
                    .bind(email)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn user_email(&self, user_id: i64) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn role_holders(&self, unit_id: i64, role: &str) -> Result<Vec<(i64, String, String)>, StoreError> {
                let rows = sqlx::query(
                    "SELECT u.id, u.full_name, u.email FROM users u JOIN user_roles r ON r.user_id = u.id \
                     WHERE r.unit_id = $1 AND r.role = $2 AND u.active = $3 ORDER BY u.id",
                )
                .bind(unit_id)
                .bind(role)
                .bind(true)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                    .collect()
            }

            async fn report_sla_targets(&self, unit_id: i64) -> Result<Vec<analytics::SlaTarget>, StoreError> {
                let rows = sqlx::query(
                    "SELECT bobot, first_answer_days, resolve_days FROM sla_targets WHERE unit_id = $1 ORDER BY resolve_days",
                )
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok(analytics::SlaTarget {
                            bobot: r.try_get(0)?,
                            first_answer_days: r.try_get::<Option<i64>, _>(1)?.map(|d| d.max(0) as u32),
                            resolve_days: r.try_get::<i64, _>(2)?.max(0) as u32,
                        })
                    })
                    .collect()
            }

            async fn report_survey_populations(&self, unit_id: i64, period: &str) -> Result<Vec<(String, u64)>, StoreError> {
                let Some((starts, ends)) = $crate::storage::reports::period_days(period) else {
                    return Ok(Vec::new());
                };
                let rows = sqlx::query(&format!(
                    "SELECT s.name, sp.population FROM survey_populations sp JOIN services s ON s.id = sp.service_id \
                     WHERE sp.period_id = {} ORDER BY s.name",
                    $crate::storage::reports::PERIOD_OF_KEY
                ))
                .bind(unit_id)
                .bind(period)
                .bind(starts)
                .bind(ends)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get::<i64, _>(1)?.max(0) as u64)))
                    .collect()
            }

            async fn follow_up_plans(
                &self,
                unit_id: i64,
                period: &str,
            ) -> Result<Vec<$crate::storage::reports::FollowUpPlan>, StoreError> {
                let Some((starts, ends)) = $crate::storage::reports::period_days(period) else {
                    return Ok(Vec::new());
                };
                let rows = sqlx::query(&format!(
                    "SELECT f.id, f.unit_id, $2, f.element_key, f.action, f.owner, f.deadline, f.realisation, f.realised_on \
                     FROM follow_up_plans f WHERE f.unit_id = $1 AND f.period_id = {} ORDER BY f.id",
                    $crate::storage::reports::PERIOD_OF_KEY
                ))
                .bind(unit_id)
                .bind(period)
                .bind(starts)
                .bind(ends)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok($crate::storage::reports::FollowUpPlan {
                            id: r.try_get(0)?,
                            unit_id: r.try_get(1)?,
                            period: r.try_get(2)?,
                            element_key: r.try_get(3)?,
                            action: r.try_get(4)?,
                            owner: r.try_get(5)?,
                            deadline: r.try_get(6)?,
                            realisation: r.try_get(7)?,
                            realised_on: r.try_get(8)?,
                        })
                    })
                    .collect()
            }

            async fn add_follow_up_plan(&self, plan: &$crate::storage::reports::FollowUpPlan) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                // The plan hangs on the unit's survey period of that key (by name, or
                // by the same first and last day); it is created on first use with the
                // period's dates and the default rule set.
                let (starts, ends) = $crate::reporting::period::Period::parse(&plan.period)
                    .map(|p| (p.from(), p.to()))
                    .map_err(|_| StoreError::Database(sqlx::Error::RowNotFound))?;
                let existing: Option<i64> =
                    sqlx::query_scalar(&format!("SELECT {}", $crate::storage::reports::PERIOD_OF_KEY))
                        .bind(plan.unit_id)
                        .bind(&plan.period)
                        .bind(starts)
                        .bind(ends)
                        .fetch_one(&mut *tx)
                        .await?;
                let period_id = match existing {
                    Some(id) => id,
                    None => {
                        sqlx::query_scalar(
                            "INSERT INTO survey_periods (unit_id, name, starts_on, ends_on, rule_set_id) \
                             VALUES ($1, $2, $3, $4, (SELECT id FROM survey_rule_sets ORDER BY is_default DESC, id LIMIT 1)) RETURNING id",
                        )
                        .bind(plan.unit_id)
                        .bind(&plan.period)
                        .bind(starts)
                        .bind(ends)
                        .fetch_one(&mut *tx)
                        .await?
                    }
                };
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO follow_up_plans (unit_id, period_id, element_key, action, owner, deadline) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(plan.unit_id)
                .bind(period_id)
                .bind(&plan.element_key)
                .bind(&plan.action)
                .bind(&plan.owner)
                .bind(plan.deadline)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn realise_follow_up_plan(
                &self,
                unit_id: i64,
                id: i64,
                realisation: &str,
                realised_on: chrono::NaiveDate,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE follow_up_plans SET realisation = $1, realised_on = $2 WHERE unit_id = $3 AND id = $4",
                )
                .bind(realisation)
                .bind(realised_on)
                .bind(unit_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use impl_report_store;

/// Columns of a [`ReportVersion`], with the names of the users involved.
pub(crate) const REPORT_VERSION_SELECT: &str = "SELECT r.id, r.unit_id, r.kind, r.period, r.version, r.status, r.created_at, \
     r.created_by, cu.full_name, r.preparer_note, r.submitted_at, r.reviewed_by, ru.full_name, r.reviewed_at, r.review_note \
     FROM report_versions r LEFT JOIN users cu ON cu.id = r.created_by LEFT JOIN users ru ON ru.id = r.reviewed_by";

/// Reads a [`ReportVersion`] from a row of [`REPORT_VERSION_SELECT`] (a macro so it
/// works on either backend's row type).
macro_rules! version_from_row {
    ($r:expr) => {{
        let r = $r;
        (|| -> Result<$crate::storage::reports::ReportVersion, StoreError> {
            Ok($crate::storage::reports::ReportVersion {
                id: r.try_get(0)?,
                unit_id: r.try_get(1)?,
                kind: r.try_get(2)?,
                period: r.try_get(3)?,
                version: r.try_get(4)?,
                status: r.try_get(5)?,
                created_at: r.try_get(6)?,
                created_by: r.try_get(7)?,
                created_by_name: r.try_get(8)?,
                preparer_note: r.try_get(9)?,
                submitted_at: r.try_get(10)?,
                reviewed_by: r.try_get(11)?,
                reviewed_by_name: r.try_get(12)?,
                reviewed_at: r.try_get(13)?,
                review_note: r.try_get(14)?,
            })
        })()
    }};
}
pub(crate) use version_from_row;
