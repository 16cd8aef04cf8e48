//! How a unit's survey responses came in (issue 20): counts per collection source
//! (`web`, `kiosk`, `qr`, `invite`, `paper`, `import`) over a period, so the SKM
//! report's method text names the sources the period's responses actually came
//! from instead of a sentence typed once for every unit. The counts come from
//! `survey_source_stats` (issue 18), kept per day in the same transaction as every
//! response write (see `survey_stats.rs`), so a year's report reads a few thousand
//! rows however many responses the year holds. The SQL is written once in
//! [`impl_survey_source_store!`] for both backends.

use async_trait::async_trait;
use chrono::NaiveDate;

use super::StoreError;

/// Survey-source questions (a supertrait of `Store`).
#[async_trait]
pub trait SurveySourceStore {
    /// The responses of `unit_id` under the rule set with code `rule_set` (e.g.
    /// `permenpan-rb-14-2017`) answered between two days, inclusive, counted per
    /// source, by source name; sources with no response are left out. The same
    /// rows `survey_columns` reads for that unit, rule set and days, so the counts
    /// add up to the report's respondents.
    async fn survey_source_counts(
        &self,
        unit_id: i64,
        rule_set: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, u64)>, StoreError>;

    /// The same counts grouped from the responses themselves, reading every response
    /// of the unit in those days: the diagnostic path (`TANGGAP_IKM_FROM_RESPONSES=1`)
    /// for a doubt about the kept counts.
    async fn survey_source_counts_from_responses(
        &self,
        unit_id: i64,
        rule_set: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, u64)>, StoreError>;
}

/// The SQL of [`SurveySourceStore`], once for both backends (`self.pool` is the backend's pool).
macro_rules! impl_survey_source_store {
    // one counting query: (source, count) rows for a unit, a rule set code and two days
    (@counts $pool:expr, $sql:expr, $unit_id:expr, $rule_set:expr, $from:expr, $to:expr) => {{
        let rows: Vec<(String, i64)> = sqlx::query_as($sql)
            .bind($unit_id)
            .bind($rule_set)
            .bind($from)
            .bind($to)
            .fetch_all($pool)
            .await?;
        Ok(rows.into_iter().map(|(s, n)| (s, n.max(0) as u64)).collect())
    }};
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::survey_sources::SurveySourceStore for $store {
            async fn survey_source_counts(
                &self,
                unit_id: i64,
                rule_set: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<(String, u64)>, StoreError> {
                // From the per-day source counts the response writes keep (at most six
                // rows per day), not from the responses themselves.
                $crate::storage::survey_sources::impl_survey_source_store!(@counts &self.pool,
                    "SELECT c.source, CAST(SUM(c.respondents) AS BIGINT) FROM survey_source_stats c \
                     JOIN survey_rule_sets rs ON rs.id = c.rule_set_id \
                     WHERE c.unit_id = $1 AND rs.code = $2 AND c.responded_on >= $3 AND c.responded_on <= $4 \
                     GROUP BY c.source HAVING SUM(c.respondents) > 0 ORDER BY c.source",
                    unit_id, rule_set, from, to)
            }

            async fn survey_source_counts_from_responses(
                &self,
                unit_id: i64,
                rule_set: &str,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<(String, u64)>, StoreError> {
                $crate::storage::survey_sources::impl_survey_source_store!(@counts &self.pool,
                    "SELECT r.source, CAST(COUNT(*) AS BIGINT) FROM survey_responses r \
                     JOIN survey_rule_sets rs ON rs.id = r.rule_set_id \
                     WHERE r.unit_id = $1 AND rs.code = $2 AND r.responded_on >= $3 AND r.responded_on <= $4 \
                     GROUP BY r.source ORDER BY r.source",
                    unit_id, rule_set, from, to)
            }
        }
    };
}
pub(super) use impl_survey_source_store;
