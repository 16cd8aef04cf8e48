//! Survey administration storage (issue 7): survey periods and their populations,
//! the counts the progress page compares with the Krejcie–Morgan sample, one-time
//! invites, and turning a saran into a complaint. The SQL is written once in
//! [`impl_survey_admin_store`] and expanded for both backends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;
use super::model::{NewOutbox, SurveyIntake};

/// A survey period of a unit (a semester, a year, a quarter), with the rule set its
/// responses follow.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurveyPeriod {
    /// Database key.
    pub id: i64,
    /// Unit.
    pub unit_id: i64,
    /// Name, unique in the unit, e.g. "Semester I 2026".
    pub name: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (inclusive).
    pub ends_on: NaiveDate,
    /// Rule set of the period.
    pub rule_set_id: i64,
    /// Responses the unit aims for overall, if it set one.
    pub target_responses: Option<i64>,
}

/// What staff enter to create or change a period.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSurveyPeriod {
    /// Name, unique in the unit.
    pub name: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day (inclusive, not before the first).
    pub ends_on: NaiveDate,
    /// Rule set.
    pub rule_set_id: i64,
    /// Overall target, optional.
    pub target_responses: Option<i64>,
}

/// The population (number of service users) of one service in a period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Population {
    /// Service.
    pub service_id: i64,
    /// Number of service users (N).
    pub population: i64,
    /// `entered` by staff or `counted` by the system.
    pub source: String,
}

/// What was collected for one service in a period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PeriodCount {
    /// Service (None for responses that named no service).
    pub service_id: Option<i64>,
    /// Responses of the period's rule set dated in the period.
    pub responses: i64,
    /// Distinct service transactions invited in the period (the system's own count
    /// of service users, used when staff entered no population).
    pub transactions: i64,
}

/// A response with a saran, for the staff list that turns one into a complaint.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SaranRow {
    /// Response id.
    pub response_id: i64,
    /// Day of the service.
    pub responded_on: NaiveDate,
    /// Service id, if named.
    pub service_id: Option<i64>,
    /// Service name (empty when none).
    pub service: String,
    /// The suggestion.
    pub saran: String,
    /// The complaint made from it, if one was.
    pub complaint_id: Option<i64>,
    /// That complaint's nomor agenda.
    pub nomor_agenda: Option<String>,
}

/// A one-time survey invite to create: only the SHA-256 of its token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSurveyInvite {
    /// Unit.
    pub unit_id: i64,
    /// Service the transaction was for.
    pub service_id: Option<i64>,
    /// SHA-256 of the token in the link.
    pub token_hash: String,
    /// The unit's reference of the service transaction (unique per unit).
    pub transaction_ref: String,
    /// `whatsapp`, `sms` or `email`.
    pub channel: String,
}

/// A stored invite.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SurveyInvite {
    /// Database key.
    pub id: i64,
    /// Unit.
    pub unit_id: i64,
    /// Service.
    pub service_id: Option<i64>,
    /// Transaction reference.
    pub transaction_ref: Option<String>,
    /// Channel it was sent by.
    pub channel: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its one response was stored, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

/// Storage of survey administration; part of [`super::Store`].
#[async_trait]
pub trait SurveyAdminStore: Send + Sync {
    /// Creates a period; a name already used in the unit is a conflict.
    async fn create_survey_period(&self, unit_id: i64, period: &NewSurveyPeriod) -> Result<i64, StoreError>;
    /// Changes a period of the unit; false when it has no such period.
    async fn update_survey_period(&self, unit_id: i64, id: i64, period: &NewSurveyPeriod) -> Result<bool, StoreError>;
    /// The unit's periods, newest first.
    async fn list_survey_periods(&self, unit_id: i64) -> Result<Vec<SurveyPeriod>, StoreError>;
    /// One period, only if it belongs to the unit.
    async fn survey_period(&self, unit_id: i64, id: i64) -> Result<Option<SurveyPeriod>, StoreError>;
    /// Sets (or replaces) the population staff entered for a service in a period.
    async fn set_survey_population(&self, period_id: i64, service_id: i64, population: i64) -> Result<(), StoreError>;
    /// The populations of a period.
    async fn survey_populations(&self, period_id: i64) -> Result<Vec<Population>, StoreError>;
    /// Responses and invited transactions per service in a period of the unit.
    async fn survey_period_counts(&self, unit_id: i64, period: &SurveyPeriod) -> Result<Vec<PeriodCount>, StoreError>;
    /// The unit's newest responses that carry a saran, with the complaint made from
    /// each, if any.
    async fn survey_saran(&self, unit_id: i64, limit: i64) -> Result<Vec<SaranRow>, StoreError>;
    /// One response's saran row, only if it belongs to the unit.
    async fn survey_saran_row(&self, unit_id: i64, response_id: i64) -> Result<Option<SaranRow>, StoreError>;
    /// Links a complaint to the response whose saran it came from. A response keeps
    /// its first complaint: linking another is a conflict.
    async fn link_complaint_to_response(&self, complaint_id: i64, response_id: i64) -> Result<(), StoreError>;
    /// Stores an invite and queues its message in one transaction; a transaction
    /// reference already invited in the unit is a conflict and queues nothing.
    async fn create_survey_invite(&self, invite: &NewSurveyInvite, message: &NewOutbox) -> Result<i64, StoreError>;
    /// The invite holding a token hash.
    async fn survey_invite_by_token(&self, token_hash: &str) -> Result<Option<SurveyInvite>, StoreError>;
    /// Stores the one response of an invite and marks the invite used, in one
    /// transaction. `None` (and nothing stored) when the invite was used already.
    async fn record_invite_response(&self, invite_id: i64, intake: &SurveyIntake) -> Result<Option<i64>, StoreError>;
}

/// Expands [`SurveyAdminStore`] for a backend whose struct has `self.pool`.
macro_rules! impl_survey_admin_store {
    ($store:ty, $row:ty) => {
        fn survey_period_from_row(r: &$row) -> Result<$crate::storage::survey_admin::SurveyPeriod, StoreError> {
            Ok($crate::storage::survey_admin::SurveyPeriod {
                id: r.try_get(0)?,
                unit_id: r.try_get(1)?,
                name: r.try_get(2)?,
                starts_on: r.try_get(3)?,
                ends_on: r.try_get(4)?,
                rule_set_id: r.try_get(5)?,
                target_responses: r.try_get(6)?,
            })
        }

        fn saran_from_row(r: &$row) -> Result<$crate::storage::survey_admin::SaranRow, StoreError> {
            Ok($crate::storage::survey_admin::SaranRow {
                response_id: r.try_get(0)?,
                responded_on: r.try_get(1)?,
                service_id: r.try_get(2)?,
                service: r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
                saran: r.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                complaint_id: r.try_get(5)?,
                nomor_agenda: r.try_get(6)?,
            })
        }

        const SARAN_SELECT: &str = "SELECT r.id, r.responded_on, r.service_id, s.name, r.saran, c.id, c.nomor_agenda \
             FROM survey_responses r LEFT JOIN services s ON s.id = r.service_id \
             LEFT JOIN complaints c ON c.survey_response_id = r.id";

        #[async_trait::async_trait]
        impl $crate::storage::survey_admin::SurveyAdminStore for $store {
            async fn create_survey_period(
                &self,
                unit_id: i64,
                p: &$crate::storage::survey_admin::NewSurveyPeriod,
            ) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO survey_periods (unit_id, name, starts_on, ends_on, rule_set_id, target_responses) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(unit_id)
                .bind(&p.name)
                .bind(p.starts_on)
                .bind(p.ends_on)
                .bind(p.rule_set_id)
                .bind(p.target_responses)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn update_survey_period(
                &self,
                unit_id: i64,
                id: i64,
                p: &$crate::storage::survey_admin::NewSurveyPeriod,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE survey_periods SET name = $3, starts_on = $4, ends_on = $5, rule_set_id = $6, \
                     target_responses = $7 WHERE id = $1 AND unit_id = $2",
                )
                .bind(id)
                .bind(unit_id)
                .bind(&p.name)
                .bind(p.starts_on)
                .bind(p.ends_on)
                .bind(p.rule_set_id)
                .bind(p.target_responses)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_survey_periods(
                &self,
                unit_id: i64,
            ) -> Result<Vec<$crate::storage::survey_admin::SurveyPeriod>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, unit_id, name, starts_on, ends_on, rule_set_id, target_responses FROM survey_periods \
                     WHERE unit_id = $1 ORDER BY starts_on DESC, id DESC",
                )
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(survey_period_from_row).collect()
            }

            async fn survey_period(
                &self,
                unit_id: i64,
                id: i64,
            ) -> Result<Option<$crate::storage::survey_admin::SurveyPeriod>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, unit_id, name, starts_on, ends_on, rule_set_id, target_responses FROM survey_periods \
                     WHERE unit_id = $1 AND id = $2",
                )
                .bind(unit_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(survey_period_from_row).transpose()
            }

            async fn set_survey_population(
                &self,
                period_id: i64,
                service_id: i64,
                population: i64,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO survey_populations (period_id, service_id, population, source) \
                     VALUES ($1, $2, $3, 'entered') ON CONFLICT (period_id, service_id) \
                     DO UPDATE SET population = excluded.population, source = excluded.source",
                )
                .bind(period_id)
                .bind(service_id)
                .bind(population)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn survey_populations(
                &self,
                period_id: i64,
            ) -> Result<Vec<$crate::storage::survey_admin::Population>, StoreError> {
                let rows: Vec<(i64, i64, String)> = sqlx::query_as(
                    "SELECT service_id, population, source FROM survey_populations WHERE period_id = $1 \
                     ORDER BY service_id",
                )
                .bind(period_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(service_id, population, source)| $crate::storage::survey_admin::Population {
                        service_id,
                        population,
                        source,
                    })
                    .collect())
            }

            async fn survey_period_counts(
                &self,
                unit_id: i64,
                period: &$crate::storage::survey_admin::SurveyPeriod,
            ) -> Result<Vec<$crate::storage::survey_admin::PeriodCount>, StoreError> {
                let responses: Vec<(Option<i64>, i64)> = sqlx::query_as(
                    "SELECT service_id, COUNT(*) FROM survey_responses WHERE unit_id = $1 AND rule_set_id = $2 \
                     AND responded_on >= $3 AND responded_on <= $4 GROUP BY service_id",
                )
                .bind(unit_id)
                .bind(period.rule_set_id)
                .bind(period.starts_on)
                .bind(period.ends_on)
                .fetch_all(&self.pool)
                .await?;
                let start = period.starts_on.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
                let end = period
                    .ends_on
                    .succ_opt()
                    .unwrap_or(period.ends_on)
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight")
                    .and_utc();
                let invited: Vec<(Option<i64>, i64)> = sqlx::query_as(
                    "SELECT service_id, COUNT(DISTINCT transaction_ref) FROM survey_invites WHERE unit_id = $1 \
                     AND created_at >= $2 AND created_at < $3 GROUP BY service_id",
                )
                .bind(unit_id)
                .bind(start)
                .bind(end)
                .fetch_all(&self.pool)
                .await?;
                let mut out: Vec<$crate::storage::survey_admin::PeriodCount> = responses
                    .into_iter()
                    .map(|(service_id, responses)| $crate::storage::survey_admin::PeriodCount {
                        service_id,
                        responses,
                        transactions: 0,
                    })
                    .collect();
                for (service_id, n) in invited {
                    match out.iter_mut().find(|c| c.service_id == service_id) {
                        Some(c) => c.transactions = n,
                        None => out.push($crate::storage::survey_admin::PeriodCount {
                            service_id,
                            responses: 0,
                            transactions: n,
                        }),
                    }
                }
                Ok(out)
            }

            async fn survey_saran(
                &self,
                unit_id: i64,
                limit: i64,
            ) -> Result<Vec<$crate::storage::survey_admin::SaranRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "{SARAN_SELECT} WHERE r.unit_id = $1 AND r.saran IS NOT NULL AND r.saran <> '' \
                     ORDER BY r.responded_on DESC, r.id DESC LIMIT $2"
                ))
                .bind(unit_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(saran_from_row).collect()
            }

            async fn survey_saran_row(
                &self,
                unit_id: i64,
                response_id: i64,
            ) -> Result<Option<$crate::storage::survey_admin::SaranRow>, StoreError> {
                let row = sqlx::query(&format!("{SARAN_SELECT} WHERE r.unit_id = $1 AND r.id = $2"))
                    .bind(unit_id)
                    .bind(response_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(saran_from_row).transpose()
            }

            async fn link_complaint_to_response(&self, complaint_id: i64, response_id: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE complaints SET survey_response_id = $2 WHERE id = $1 \
                     AND (survey_response_id IS NULL OR survey_response_id = $2)",
                )
                .bind(complaint_id)
                .bind(response_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn create_survey_invite(
                &self,
                invite: &$crate::storage::survey_admin::NewSurveyInvite,
                message: &NewOutbox,
            ) -> Result<i64, StoreError> {
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO survey_invites (unit_id, service_id, token_hash, transaction_ref, channel, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(invite.unit_id)
                .bind(invite.service_id)
                .bind(&invite.token_hash)
                .bind(&invite.transaction_ref)
                .bind(&invite.channel)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                insert_outbox(&mut *tx, message, now).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn survey_invite_by_token(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::storage::survey_admin::SurveyInvite>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, unit_id, service_id, transaction_ref, channel, created_at, used_at FROM survey_invites \
                     WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| {
                    Ok($crate::storage::survey_admin::SurveyInvite {
                        id: r.try_get(0)?,
                        unit_id: r.try_get(1)?,
                        service_id: r.try_get(2)?,
                        transaction_ref: r.try_get(3)?,
                        channel: r.try_get(4)?,
                        created_at: r.try_get(5)?,
                        used_at: r.try_get(6)?,
                    })
                })
                .transpose()
            }

            async fn record_invite_response(&self, invite_id: i64, intake: &SurveyIntake) -> Result<Option<i64>, StoreError> {
                let r = &intake.response;
                let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM survey_elements WHERE rule_set_id = $1")
                    .bind(r.rule_set_id)
                    .fetch_all(&self.pool)
                    .await?;
                shared::check_scores(&r.scores, &keys)?;
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                let claimed = sqlx::query(
                    "UPDATE survey_invites SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND unit_id = $3",
                )
                .bind(invite_id)
                .bind(now)
                .bind(r.unit_id)
                .execute(&mut *tx)
                .await?;
                if claimed.rows_affected() != 1 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO survey_responses (unit_id, service_id, rule_set_id, responded_on, submitted_at, \
                     source, invite_id, jenis_kelamin, umur, pendidikan, pekerjaan, saran, scores) \
                     VALUES ($1, $2, $3, $4, $5, 'invite', $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                )
                .bind(r.unit_id)
                .bind(r.service_id)
                .bind(r.rule_set_id)
                .bind(r.responded_on)
                .bind(now)
                .bind(invite_id)
                .bind(&r.profile.jenis_kelamin)
                .bind(r.profile.umur)
                .bind(&r.profile.pendidikan)
                .bind(&r.profile.pekerjaan)
                .bind(&r.saran)
                .bind(shared::scores_json(&r.scores))
                .fetch_one(&mut *tx)
                .await?;
                // Counted as stored: under the source `invite`, whatever the intake said.
                let stored = NewSurveyResponse {
                    source: $crate::domain::SurveySource::Invite,
                    ..r.clone()
                };
                Self::add_to_survey_stats(&mut tx, [&stored]).await?;
                tx.commit().await?;
                Ok(Some(id))
            }
        }
    };
}

pub(super) use impl_survey_admin_store;
