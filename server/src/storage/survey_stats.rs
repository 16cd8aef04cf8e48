//! Survey statistics (issue 18): exact per-cell IKM sums kept beside the responses,
//! so an IKM query reads O(cells), never the responses.
//!
//! - `survey_stats`: one row per (unit, rule set, day, service; 0 = no service).
//! - `survey_profile_stats`: one row per (unit, rule set, month, service, profile
//!   dimension, value; '' = not given), for profile breakdowns of whole months.
//! - `survey_source_stats`: responses per (unit, rule set, day, collection source),
//!   for the SKM report's method text.
//!
//! Each row holds [`analytics::CellSums`] in the rule set's element order. Every
//! insert of responses adds its rows to the cells in the same transaction
//! ([`StatsBatch`], written by `apply_survey_stats`): the touched cells are created
//! empty if new, read (in PostgreSQL locked with `FOR UPDATE`, in key order so two
//! writers never deadlock; SQLite has one writer at a time), added to and written
//! back, so concurrent submissions never lose an update and a transaction that
//! fails leaves them as they were. The marker `survey_stats_state.built_at` says
//! the cells hold every response: a database from before them is built from its
//! responses on first start, and `tanggap survei statistik --bangun-ulang` rebuilds
//! them after responses were edited by hand. No path of the product deletes or
//! changes a response or a service; a service deleted by hand leaves its cells
//! under its old id, which no longer names a service, so they read as "no
//! service", exactly like the responses whose `service_id` became NULL.

use std::collections::{BTreeMap, HashMap};

use analytics::CellSums;
use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};

use super::StoreError;
use super::model::{NewSurveyResponse, SurveyFilter};

/// Cells written per statement (6 to 8 parameters each, below SQLite's limit).
pub(super) const STATS_CHUNK: usize = 500;

/// One stored cell with the labels reports group by.
#[derive(Debug, Clone, PartialEq)]
pub struct StatCell {
    /// Unit code.
    pub unit: String,
    /// Service name, "" for responses without a service.
    pub service: String,
    /// The day (day cells) or the first day of the month (profile cells).
    pub day: NaiveDate,
    /// Profile dimension and value (profile cells); `None` value = not given.
    pub profile: Option<(String, Option<String>)>,
    /// The sums, in the filter's element order.
    pub sums: CellSums,
}

impl StatCell {
    /// The cell as analytics reads it.
    pub fn as_cell(&self) -> analytics::Cell<'_> {
        analytics::Cell {
            unit: &self.unit,
            service: &self.service,
            day: self.day,
            profile: self.profile.as_ref().map(|(d, v)| (d.as_str(), v.as_deref())),
            sums: &self.sums,
        }
    }
}

/// Key of a day cell: (unit, rule set, day, service key).
pub(super) type DayKey = (i64, i64, NaiveDate, i64);
/// Key of a profile cell: (unit, rule set, month `YYYY-MM`, service key, dimension, value).
pub(super) type ProfileKey = (i64, i64, String, i64, &'static str, String);
/// Key of a source count: (unit, rule set, day, source key such as `web`).
pub(super) type SourceKey = (i64, i64, NaiveDate, String);

/// Element keys of each rule set in questionnaire order: the order of a cell's sums.
#[derive(Debug, Default)]
pub(super) struct ElementOrder(HashMap<i64, Vec<String>>);

impl ElementOrder {
    /// From (rule set id, key) rows sorted by rule set and position.
    pub(super) fn from_rows(rows: Vec<(i64, String)>) -> Self {
        let mut map: HashMap<i64, Vec<String>> = HashMap::new();
        for (rule_set, key) in rows {
            map.entry(rule_set).or_default().push(key);
        }
        ElementOrder(map)
    }

    fn keys(&self, rule_set_id: i64) -> Result<&[String], StoreError> {
        self.0
            .get(&rule_set_id)
            .map(Vec::as_slice)
            .ok_or_else(|| StoreError::MissingReference(format!("rule set {rule_set_id}")))
    }
}

/// The profile of one response as the statistics key it.
pub(super) struct ProfileParts<'a> {
    /// jenis_kelamin, pendidikan, pekerjaan.
    pub(super) text: [Option<&'a str>; 3],
    /// Age in years.
    pub(super) umur: Option<i64>,
}

/// The cells a set of inserted responses adds to, summed in Rust first so a batch
/// writes each touched cell once.
#[derive(Debug, Default)]
pub(super) struct StatsBatch {
    pub(super) days: BTreeMap<DayKey, CellSums>,
    pub(super) profiles: BTreeMap<ProfileKey, CellSums>,
    /// Responses added per source and day.
    pub(super) sources: BTreeMap<SourceKey, i64>,
}

impl StatsBatch {
    /// Whether nothing was added.
    pub(super) fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// Adds one stored response: scores 0 (unanswered) or 1–4 in `order`'s order.
    pub(super) fn add_scores(
        &mut self,
        key: (i64, Option<i64>, i64, NaiveDate),
        profile: &ProfileParts<'_>,
        scores: &[u8],
    ) -> Result<(), StoreError> {
        let (unit_id, service_id, rule_set_id, day) = key;
        let service = service_id.unwrap_or(0);
        let k = scores.len();
        let rejected = |e: analytics::AnalyticsError| StoreError::Rejected(e.to_string());
        self.days
            .entry((unit_id, rule_set_id, day, service))
            .or_insert_with(|| CellSums::new(k))
            .add_response(scores)
            .map_err(rejected)?;
        let month = month_key(day);
        let band = profile
            .umur
            .and_then(|a| u32::try_from(a).ok())
            .map(|a| analytics::age_band(a).to_owned());
        let values = [
            profile.text[0].map(str::to_owned),
            profile.text[1].map(str::to_owned),
            profile.text[2].map(str::to_owned),
            band,
        ];
        for (dim, value) in analytics::ikm::cells::PROFILE_DIMENSIONS.iter().zip(values) {
            self.profiles
                .entry((
                    unit_id,
                    rule_set_id,
                    month.clone(),
                    service,
                    *dim,
                    value.unwrap_or_default(),
                ))
                .or_insert_with(|| CellSums::new(k))
                .add_response(scores)
                .map_err(rejected)?;
        }
        Ok(())
    }

    /// Counts one stored response under its collection source (`web`, `paper`, ...).
    pub(super) fn add_source(&mut self, unit_id: i64, rule_set_id: i64, day: NaiveDate, source: &str) {
        *self
            .sources
            .entry((unit_id, rule_set_id, day, source.to_owned()))
            .or_default() += 1;
    }

    /// Adds one response as the product writes it (scores keyed by element).
    pub(super) fn add_response(&mut self, r: &NewSurveyResponse, order: &ElementOrder) -> Result<(), StoreError> {
        self.add_source(r.unit_id, r.rule_set_id, r.responded_on, r.source.key());
        let keys = order.keys(r.rule_set_id)?;
        let scores: Vec<u8> = keys
            .iter()
            .map(|k| r.scores.get(k).map_or(0, |s| u8::try_from(*s).unwrap_or(u8::MAX)))
            .collect();
        self.add_scores(
            (r.unit_id, r.service_id, r.rule_set_id, r.responded_on),
            &ProfileParts {
                text: [
                    r.profile.jenis_kelamin.as_deref(),
                    r.profile.pendidikan.as_deref(),
                    r.profile.pekerjaan.as_deref(),
                ],
                umur: r.profile.umur,
            },
            &scores,
        )
    }

    /// Adds one response as stored (scores as their JSON text), for rebuilds.
    pub(super) fn add_stored(
        &mut self,
        key: (i64, Option<i64>, i64, NaiveDate),
        profile: &ProfileParts<'_>,
        scores_json: &str,
        order: &ElementOrder,
    ) -> Result<(), StoreError> {
        let keys = order.keys(key.2)?;
        let map: HashMap<&str, i64> = serde_json::from_str(scores_json)
            .map_err(|e| StoreError::Rejected(format!("survey response scores are not a JSON object: {e}")))?;
        let scores: Vec<u8> = keys
            .iter()
            .map(|k| map.get(k.as_str()).map_or(0, |s| u8::try_from(*s).unwrap_or(u8::MAX)))
            .collect();
        self.add_scores(key, profile, &scores)
    }
}

/// The responses of a bulk chunk that its insert stored: all without an import
/// key, and of those with one, the first of each key that was not `known` (present)
/// before the insert: `INSERT .. SELECT .. ON CONFLICT DO NOTHING` takes the rows in
/// array order, so a later duplicate in the chunk is the one skipped.
pub(super) fn inserted_by_bulk<'a>(
    chunk: &'a [NewSurveyResponse],
    known: &std::collections::HashSet<(i64, String)>,
) -> impl Iterator<Item = &'a NewSurveyResponse> {
    let mut seen: std::collections::HashSet<(i64, &str)> = std::collections::HashSet::new();
    chunk.iter().filter(move |r| match r.import_key.as_deref() {
        None => true,
        Some(k) => !known.contains(&(r.unit_id, k.to_owned())) && seen.insert((r.unit_id, k)),
    })
}

/// Maps `wanted` element keys onto a stored rule set's order, or `None` when the
/// orders are the same (nothing to project).
pub(super) fn projection(stored: &[String], wanted: &[String]) -> Option<Vec<Option<usize>>> {
    if stored == wanted {
        return None;
    }
    Some(wanted.iter().map(|w| stored.iter().position(|s| s == w)).collect())
}

/// Decodes stored sums and puts them in the filter's element order.
pub(super) fn read_sums(bytes: &[u8], map: Option<&[Option<usize>]>) -> Result<CellSums, StoreError> {
    let sums = CellSums::decode(bytes).map_err(|e| StoreError::Rejected(e.to_string()))?;
    Ok(match map {
        Some(m) => sums.project(m),
        None => sums,
    })
}

/// `YYYY-MM` of a day, the month key of profile cells.
pub(super) fn month_key(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildSummary {
    /// Responses counted.
    pub responses: u64,
    /// Day cells written.
    pub cells: u64,
    /// Profile cells written.
    pub profile_cells: u64,
}

/// Reading and rebuilding the survey statistics.
#[async_trait]
pub trait SurveyStatsStore {
    /// The day cells of a rule set (by code), unit and date range, labelled by unit
    /// code and service name, sums in `filter.element_keys` order.
    async fn survey_cells(&self, filter: &SurveyFilter) -> Result<Vec<StatCell>, StoreError>;
    /// The profile cells of the months that `filter.from..=filter.to` touch (the
    /// caller asks for whole months), of one dimension or of all four.
    async fn survey_profile_cells(
        &self,
        filter: &SurveyFilter,
        dimension: Option<&str>,
    ) -> Result<Vec<StatCell>, StoreError>;
    /// Whether any response in those months gave an age.
    async fn survey_has_ages(&self, filter: &SurveyFilter) -> Result<bool, StoreError>;
    /// Respondents the day cells count, and responses stored: equal unless
    /// responses were changed behind the product's back.
    async fn survey_stats_counts(&self) -> Result<(i64, i64), StoreError>;
    /// Days whose kept per-source counts (`survey_source_stats`) differ from the
    /// responses' own `source` column, counted by (unit, rule set, day, source): 0
    /// unless responses were changed behind the product's back. A full scan, for
    /// `tanggap survei statistik`, never for a request.
    async fn survey_source_mismatches(&self) -> Result<i64, StoreError>;
    /// Whether the cells hold every response (the marker is set).
    async fn survey_stats_built(&self) -> Result<bool, StoreError>;
    /// Builds the cells from the responses when the marker says they are not built
    /// (a database from before them); returns what it did, if anything.
    async fn ensure_survey_stats(&self) -> Result<Option<RebuildSummary>, StoreError>;
    /// Throws the cells away and builds them again from the responses, in one
    /// transaction that blocks response writes meanwhile, then sets the marker.
    async fn rebuild_survey_stats(&self) -> Result<RebuildSummary, StoreError>;
}

/// The helpers `stats_element_order` and `apply_survey_stats` for the store over
/// database `$db`, expanded next to each store like `idempotency_fns!`.
macro_rules! survey_stats_fns {
    ($db:ty) => {
        /// Element keys of every rule set, in questionnaire order.
        async fn stats_element_order<'e, E: sqlx::Executor<'e, Database = $db>>(
            exec: E,
        ) -> Result<$crate::storage::survey_stats::ElementOrder, StoreError> {
            let rows: Vec<(i64, String)> =
                sqlx::query_as("SELECT rule_set_id, key FROM survey_elements ORDER BY rule_set_id, position")
                    .fetch_all(exec)
                    .await?;
            Ok($crate::storage::survey_stats::ElementOrder::from_rows(rows))
        }

        /// How one kind of cell key is bound, read back and named.
        trait StatsKey: Ord + Clone + Send + Sync {
            const TABLE: &'static str;
            const COLUMNS: &'static str;
            fn bind_into(&self, b: &mut sqlx::query_builder::Separated<'_, '_, $db, &'static str>);
            fn read(row: &<$db as sqlx::Database>::Row) -> Result<Self, StoreError>;
        }

        impl StatsKey for $crate::storage::survey_stats::DayKey {
            const TABLE: &'static str = "survey_stats";
            const COLUMNS: &'static str = "unit_id, rule_set_id, responded_on, service_key";
            fn bind_into(&self, b: &mut sqlx::query_builder::Separated<'_, '_, $db, &'static str>) {
                b.push_bind(self.0)
                    .push_bind(self.1)
                    .push_bind(self.2)
                    .push_bind(self.3);
            }
            fn read(row: &<$db as sqlx::Database>::Row) -> Result<Self, StoreError> {
                Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?))
            }
        }

        impl StatsKey for $crate::storage::survey_stats::ProfileKey {
            const TABLE: &'static str = "survey_profile_stats";
            const COLUMNS: &'static str = "unit_id, rule_set_id, month, service_key, dimension, value";
            fn bind_into(&self, b: &mut sqlx::query_builder::Separated<'_, '_, $db, &'static str>) {
                b.push_bind(self.0)
                    .push_bind(self.1)
                    .push_bind(self.2.clone())
                    .push_bind(self.3)
                    .push_bind(self.4)
                    .push_bind(self.5.clone());
            }
            fn read(row: &<$db as sqlx::Database>::Row) -> Result<Self, StoreError> {
                let dimension: String = row.try_get(4)?;
                let dimension = analytics::ikm::cells::PROFILE_DIMENSIONS
                    .iter()
                    .copied()
                    .find(|d| *d == dimension)
                    .ok_or_else(|| StoreError::Rejected(format!("profile dimension {dimension:?}")))?;
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                    dimension,
                    row.try_get(5)?,
                ))
            }
        }

        /// Adds `cells` to the stored ones of their kind: creates the missing ones
        /// empty, reads (and in PostgreSQL locks, in key order) the touched ones,
        /// and writes back the sums.
        async fn apply_stats_cells<K: StatsKey>(
            tx: &mut sqlx::Transaction<'_, $db>,
            cells: &std::collections::BTreeMap<K, analytics::CellSums>,
        ) -> Result<(), StoreError> {
            let all: Vec<(&K, &analytics::CellSums)> = cells.iter().collect();
            let key_count = K::COLUMNS.split(',').count();
            for chunk in all.chunks($crate::storage::survey_stats::STATS_CHUNK) {
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "INSERT INTO {} ({}, respondents, sums) ",
                    K::TABLE,
                    K::COLUMNS
                ));
                q.push_values(chunk, |mut b, (key, sums)| {
                    key.bind_into(&mut b);
                    b.push_bind(0_i64)
                        .push_bind(analytics::CellSums::new(sums.k()).encode());
                });
                q.push(" ON CONFLICT DO NOTHING");
                q.build().execute(&mut **tx).await?;

                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "SELECT {cols}, sums FROM {table} WHERE ({cols}) IN (",
                    cols = K::COLUMNS,
                    table = K::TABLE
                ));
                q.push_values(chunk, |mut b, (key, _)| key.bind_into(&mut b));
                q.push(format!(") ORDER BY {}", K::COLUMNS));
                if matches!(DIALECT, Dialect::Postgres) {
                    q.push(" FOR UPDATE");
                }
                let rows = q.build().fetch_all(&mut **tx).await?;
                let mut stored = std::collections::BTreeMap::new();
                for row in &rows {
                    let bytes: Vec<u8> = row.try_get(key_count)?;
                    stored.insert(
                        K::read(row)?,
                        $crate::storage::survey_stats::read_sums(&bytes, None)?,
                    );
                }
                let mut merged = Vec::with_capacity(chunk.len());
                for (key, sums) in chunk {
                    let mut total = stored
                        .remove(*key)
                        .ok_or_else(|| StoreError::Rejected(format!("{} cell vanished", K::TABLE)))?;
                    total
                        .merge(sums)
                        .map_err(|e| StoreError::Rejected(e.to_string()))?;
                    merged.push((*key, total));
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(format!(
                    "INSERT INTO {} ({}, respondents, sums) ",
                    K::TABLE,
                    K::COLUMNS
                ));
                q.push_values(&merged, |mut b, (key, sums)| {
                    key.bind_into(&mut b);
                    b.push_bind(sums.respondents() as i64).push_bind(sums.encode());
                });
                q.push(format!(
                    " ON CONFLICT ({}) DO UPDATE SET respondents = excluded.respondents, sums = excluded.sums",
                    K::COLUMNS
                ));
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Adds a batch of inserted responses to the day and profile cells, inside
        /// the transaction that inserted them.
        async fn apply_survey_stats(
            tx: &mut sqlx::Transaction<'_, $db>,
            batch: &$crate::storage::survey_stats::StatsBatch,
        ) -> Result<(), StoreError> {
            if batch.is_empty() {
                return Ok(());
            }
            apply_stats_cells(tx, &batch.days).await?;
            apply_stats_cells(tx, &batch.profiles).await?;
            apply_source_counts(tx, &batch.sources).await?;
            Ok(())
        }

        /// Adds counts to the stored per-source counts: one upsert that adds in the
        /// database, so concurrent writers in PostgreSQL never lose an update.
        async fn apply_source_counts(
            tx: &mut sqlx::Transaction<'_, $db>,
            counts: &std::collections::BTreeMap<$crate::storage::survey_stats::SourceKey, i64>,
        ) -> Result<(), StoreError> {
            let all: Vec<_> = counts.iter().collect();
            for chunk in all.chunks($crate::storage::survey_stats::STATS_CHUNK) {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "INSERT INTO survey_source_stats (unit_id, rule_set_id, responded_on, source, respondents) ",
                );
                q.push_values(chunk, |mut b, ((unit, rule_set, day, source), n)| {
                    b.push_bind(*unit)
                        .push_bind(*rule_set)
                        .push_bind(*day)
                        .push_bind(source.clone())
                        .push_bind(**n);
                });
                q.push(
                    " ON CONFLICT (unit_id, rule_set_id, responded_on, source) \
                     DO UPDATE SET respondents = survey_source_stats.respondents + excluded.respondents",
                );
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }
    };
}
pub(super) use survey_stats_fns;

/// The [`SurveyStatsStore`] methods for `$store`.
macro_rules! impl_survey_stats_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::survey_stats::SurveyStatsStore for $store {
            async fn survey_cells(
                &self,
                f: &SurveyFilter,
            ) -> Result<Vec<$crate::storage::survey_stats::StatCell>, StoreError> {
                use futures_util::TryStreamExt;
                let stored = self.stats_rule_set_keys(&f.rule_set).await?;
                let map = $crate::storage::survey_stats::projection(&stored, &f.element_keys);
                // Only the conditions given are written: PostgreSQL soon plans a prepared
                // statement for any parameters, and `($2 IS NULL OR c.unit_id = $2)`
                // made that plan read every unit's cells (17 ms against 9 ms).
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "SELECT u.code, COALESCE(s.name, ''), c.responded_on, c.sums FROM survey_stats c \
                     JOIN units u ON u.id = c.unit_id JOIN survey_rule_sets rs ON rs.id = c.rule_set_id \
                     LEFT JOIN services s ON s.id = c.service_key WHERE c.respondents > 0 AND rs.code = ",
                );
                q.push_bind(&f.rule_set);
                if let Some(unit) = f.unit_id {
                    q.push(" AND c.unit_id = ").push_bind(unit);
                }
                if let Some(from) = f.from {
                    q.push(" AND c.responded_on >= ").push_bind(from);
                }
                if let Some(to) = f.to {
                    q.push(" AND c.responded_on <= ").push_bind(to);
                }
                let mut rows = q.build().fetch(&self.pool);
                let mut out = Vec::new();
                while let Some(r) = rows.try_next().await? {
                    let bytes: Vec<u8> = r.try_get(3)?;
                    out.push($crate::storage::survey_stats::StatCell {
                        unit: r.try_get(0)?,
                        service: r.try_get(1)?,
                        day: r.try_get(2)?,
                        profile: None,
                        sums: $crate::storage::survey_stats::read_sums(&bytes, map.as_deref())?,
                    });
                }
                Ok(out)
            }

            async fn survey_profile_cells(
                &self,
                f: &SurveyFilter,
                dimension: Option<&str>,
            ) -> Result<Vec<$crate::storage::survey_stats::StatCell>, StoreError> {
                use futures_util::TryStreamExt;
                let stored = self.stats_rule_set_keys(&f.rule_set).await?;
                let map = $crate::storage::survey_stats::projection(&stored, &f.element_keys);
                // Only the conditions given are written, as in `survey_cells`.
                let mut q = sqlx::QueryBuilder::<Db>::new(
                    "SELECT u.code, COALESCE(s.name, ''), c.month, c.dimension, c.value, c.sums \
                     FROM survey_profile_stats c \
                     JOIN units u ON u.id = c.unit_id JOIN survey_rule_sets rs ON rs.id = c.rule_set_id \
                     LEFT JOIN services s ON s.id = c.service_key WHERE c.respondents > 0 AND rs.code = ",
                );
                q.push_bind(&f.rule_set);
                if let Some(unit) = f.unit_id {
                    q.push(" AND c.unit_id = ").push_bind(unit);
                }
                if let Some(from) = f.from {
                    q.push(" AND c.month >= ").push_bind($crate::storage::survey_stats::month_key(from));
                }
                if let Some(to) = f.to {
                    q.push(" AND c.month <= ").push_bind($crate::storage::survey_stats::month_key(to));
                }
                if let Some(dimension) = dimension {
                    q.push(" AND c.dimension = ").push_bind(dimension);
                }
                let mut rows = q.build().fetch(&self.pool);
                let mut out = Vec::new();
                while let Some(r) = rows.try_next().await? {
                    let month: String = r.try_get(2)?;
                    let day = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
                        .map_err(|_| StoreError::Rejected(format!("survey_profile_stats month {month:?}")))?;
                    let value: String = r.try_get(4)?;
                    let bytes: Vec<u8> = r.try_get(5)?;
                    out.push($crate::storage::survey_stats::StatCell {
                        unit: r.try_get(0)?,
                        service: r.try_get(1)?,
                        day,
                        profile: Some((r.try_get(3)?, (!value.is_empty()).then_some(value))),
                        sums: $crate::storage::survey_stats::read_sums(&bytes, map.as_deref())?,
                    });
                }
                Ok(out)
            }

            async fn survey_has_ages(&self, f: &SurveyFilter) -> Result<bool, StoreError> {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT c.respondents FROM survey_profile_stats c JOIN survey_rule_sets rs ON rs.id = c.rule_set_id \
                     WHERE rs.code = $1 AND ($2 IS NULL OR c.unit_id = $2) \
                     AND ($3 IS NULL OR c.month >= $3) AND ($4 IS NULL OR c.month <= $4) \
                     AND c.dimension = 'umur_kelompok' AND c.value <> '' AND c.respondents > 0 LIMIT 1",
                )
                .bind(&f.rule_set)
                .bind(f.unit_id)
                .bind(f.from.map($crate::storage::survey_stats::month_key))
                .bind(f.to.map($crate::storage::survey_stats::month_key))
                .fetch_optional(&self.pool)
                .await?;
                Ok(found.is_some())
            }

            async fn survey_stats_counts(&self) -> Result<(i64, i64), StoreError> {
                Ok(sqlx::query_as(
                    "SELECT CAST(COALESCE((SELECT SUM(respondents) FROM survey_stats), 0) AS BIGINT), \
                     (SELECT COUNT(*) FROM survey_responses)",
                )
                .fetch_one(&self.pool)
                .await?)
            }

            async fn survey_source_mismatches(&self) -> Result<i64, StoreError> {
                // Both directions of the set difference: a (unit, rule set, day,
                // source) counted wrongly, or kept for responses that are gone.
                Ok(sqlx::query_scalar(
                    "SELECT CAST((SELECT COUNT(*) FROM ( \
                       SELECT unit_id, rule_set_id, responded_on, source, CAST(COUNT(*) AS BIGINT) \
                       FROM survey_responses GROUP BY unit_id, rule_set_id, responded_on, source \
                       EXCEPT SELECT unit_id, rule_set_id, responded_on, source, CAST(respondents AS BIGINT) \
                       FROM survey_source_stats WHERE respondents > 0) counted_wrongly) \
                     + (SELECT COUNT(*) FROM ( \
                       SELECT unit_id, rule_set_id, responded_on, source, CAST(respondents AS BIGINT) \
                       FROM survey_source_stats WHERE respondents > 0 \
                       EXCEPT SELECT unit_id, rule_set_id, responded_on, source, CAST(COUNT(*) AS BIGINT) \
                       FROM survey_responses GROUP BY unit_id, rule_set_id, responded_on, source) kept_wrongly) \
                     AS BIGINT)",
                )
                .fetch_one(&self.pool)
                .await?)
            }

            async fn survey_stats_built(&self) -> Result<bool, StoreError> {
                let built: Option<Option<chrono::DateTime<chrono::Utc>>> =
                    sqlx::query_scalar("SELECT built_at FROM survey_stats_state WHERE id = 1")
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(matches!(built, Some(Some(_))))
            }

            async fn ensure_survey_stats(
                &self,
            ) -> Result<Option<$crate::storage::survey_stats::RebuildSummary>, StoreError> {
                if self.survey_stats_built().await? {
                    return Ok(None);
                }
                self.build_survey_stats(false).await
            }

            async fn rebuild_survey_stats(&self) -> Result<$crate::storage::survey_stats::RebuildSummary, StoreError> {
                Ok(self.build_survey_stats(true).await?.unwrap_or_default())
            }
        }

        impl $store {
            /// Element keys of a rule set (by code) in questionnaire order.
            async fn stats_rule_set_keys(&self, code: &str) -> Result<Vec<String>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT e.key FROM survey_elements e JOIN survey_rule_sets rs ON rs.id = e.rule_set_id \
                     WHERE rs.code = $1 ORDER BY e.position",
                )
                .bind(code)
                .fetch_all(&self.pool)
                .await?)
            }

            /// Builds the cells from the responses in one transaction: unless
            /// `always`, only when the marker (read under the transaction's lock)
            /// is still unset, so two instances starting at once build them once.
            async fn build_survey_stats(
                &self,
                always: bool,
            ) -> Result<Option<$crate::storage::survey_stats::RebuildSummary>, StoreError> {
                use futures_util::TryStreamExt;
                let mut tx = self.pool.begin().await?;
                if matches!(DIALECT, Dialect::Postgres) {
                    // No response is written while the cells are rebuilt from them.
                    sqlx::query("LOCK TABLE survey_responses IN SHARE MODE")
                        .execute(&mut *tx)
                        .await?;
                }
                // Takes the write lock (SQLite) or the marker's row lock (PostgreSQL).
                sqlx::query("UPDATE survey_stats_state SET id = id WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                let built: Option<chrono::DateTime<chrono::Utc>> =
                    sqlx::query_scalar("SELECT built_at FROM survey_stats_state WHERE id = 1")
                        .fetch_one(&mut *tx)
                        .await?;
                if built.is_some() && !always {
                    tx.rollback().await?;
                    return Ok(None);
                }
                sqlx::query("DELETE FROM survey_stats").execute(&mut *tx).await?;
                sqlx::query("DELETE FROM survey_profile_stats")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM survey_source_stats")
                    .execute(&mut *tx)
                    .await?;
                let order = stats_element_order(&mut *tx).await?;
                let units: Vec<i64> =
                    sqlx::query_scalar("SELECT DISTINCT unit_id FROM survey_responses ORDER BY unit_id")
                        .fetch_all(&mut *tx)
                        .await?;
                let mut summary = $crate::storage::survey_stats::RebuildSummary::default();
                for unit in units {
                    // One unit at a time: memory bounded by one unit's cells.
                    let mut batch = $crate::storage::survey_stats::StatsBatch::default();
                    {
                        let mut rows = sqlx::query(
                            "SELECT service_id, rule_set_id, responded_on, jenis_kelamin, pendidikan, pekerjaan, \
                             umur, scores, source FROM survey_responses WHERE unit_id = $1",
                        )
                        .bind(unit)
                        .fetch(&mut *tx);
                        while let Some(r) = rows.try_next().await? {
                            let text: [Option<String>; 3] = [r.try_get(3)?, r.try_get(4)?, r.try_get(5)?];
                            let scores: String = r.try_get(7)?;
                            let source: String = r.try_get(8)?;
                            let (rule_set, day) = (r.try_get(1)?, r.try_get(2)?);
                            batch.add_source(unit, rule_set, day, &source);
                            batch.add_stored(
                                (unit, r.try_get(0)?, rule_set, day),
                                &$crate::storage::survey_stats::ProfileParts {
                                    text: [text[0].as_deref(), text[1].as_deref(), text[2].as_deref()],
                                    umur: r.try_get(6)?,
                                },
                                &scores,
                                &order,
                            )?;
                            summary.responses += 1;
                        }
                    }
                    summary.cells += batch.days.len() as u64;
                    summary.profile_cells += batch.profiles.len() as u64;
                    apply_survey_stats(&mut tx, &batch).await?;
                }
                sqlx::query("UPDATE survey_stats_state SET built_at = $1 WHERE id = 1")
                    .bind(chrono::Utc::now())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(summary))
            }

            /// The (unit, import key) pairs of `chunk` already stored, read before a
            /// bulk insert so the cells count only the rows it adds. Nothing to
            /// read when the chunk has no import keys (the demo loader's case).
            async fn survey_import_keys_present(
                tx: &mut sqlx::Transaction<'_, Db>,
                chunk: &[NewSurveyResponse],
            ) -> Result<std::collections::HashSet<(i64, String)>, StoreError> {
                let keyed: Vec<(i64, &str)> = chunk
                    .iter()
                    .filter_map(|r| r.import_key.as_deref().map(|k| (r.unit_id, k)))
                    .collect();
                let mut present = std::collections::HashSet::new();
                for part in keyed.chunks($crate::storage::survey_stats::STATS_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<Db>::new(
                        "SELECT unit_id, import_key FROM survey_responses WHERE (unit_id, import_key) IN (",
                    );
                    q.push_values(part, |mut b, (unit, key)| {
                        b.push_bind(*unit).push_bind(key.to_string());
                    });
                    q.push(")");
                    for row in q.build().fetch_all(&mut **tx).await? {
                        present.insert((row.try_get(0)?, row.try_get(1)?));
                    }
                }
                Ok(present)
            }

            /// Adds the responses `inserted` to the cells, in `tx`.
            async fn add_to_survey_stats<'r>(
                tx: &mut sqlx::Transaction<'_, Db>,
                inserted: impl IntoIterator<Item = &'r NewSurveyResponse>,
            ) -> Result<(), StoreError> {
                let order = stats_element_order(&mut **tx).await?;
                let mut batch = $crate::storage::survey_stats::StatsBatch::default();
                for r in inserted {
                    batch.add_response(r, &order)?;
                }
                apply_survey_stats(tx, &batch).await
            }
        }
    };
}
pub(super) use impl_survey_stats_store;
