//! Complaints as analytics columns (issue 18): what the month's figures, the
//! dashboard and the stats API compute from.
//!
//! A unit of a big city holds tens of thousands of complaints a year, and the
//! dashboard reads a year of them on every view. Handed over row by row, sqlx-sqlite
//! spends most of that time passing each row from its SQLite thread to the caller,
//! so on SQLite the database packs the whole answer into one JSON array instead
//! (`json_group_array`), which serde reads. PostgreSQL sends rows over its wire
//! protocol cheaply and builds JSON slowly (`json_agg` of 42,464 complaints: 180 ms
//! against 10 ms for the rows), so there the rows come as they are. Both carry ids
//! rather than joined names, and times as Unix seconds; the names come from the
//! small lookup tables. The covering index `complaints_facts` (migration 0027)
//! answers the query without touching the complaints' rows.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// One complaint's facts: id, unit id, service id, division id, channel, bobot,
/// jenis id, klasifikasi, status, then received, first answered, closed and due as
/// `T`.
pub(super) type FactRowOf<T> = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    Option<i64>,
    String,
    String,
    T,
    Option<T>,
    Option<T>,
    Option<T>,
);

/// One complaint as the JSON array holds it, times as Unix seconds.
pub(super) type FactRow = FactRowOf<i64>;

/// A [`FactRow`] as PostgreSQL returns it: the four times as `timestamptz`, which
/// travel as 8-byte integers. Turning them into seconds in SQL (`extract(epoch ...)`
/// goes through `numeric`) made the dashboard's query of 42,464 complaints take
/// 32 ms instead of 9 ms.
pub(super) type PgFactRow = FactRowOf<DateTime<Utc>>;

/// A [`PgFactRow`] with its times in whole seconds since the epoch (rounded down,
/// as SQLite's `unixepoch`).
pub(super) fn fact_row_from_pg(r: PgFactRow) -> FactRow {
    let seconds = |t: DateTime<Utc>| t.timestamp();
    (
        r.0,
        r.1,
        r.2,
        r.3,
        r.4,
        r.5,
        r.6,
        r.7,
        r.8,
        seconds(r.9),
        r.10.map(seconds),
        r.11.map(seconds),
        r.12.map(seconds),
    )
}

/// Complaint reads for analytics (a supertrait of `Store`).
#[async_trait]
pub trait ComplaintFactStore {
    /// Complaints as analytics columns, with times turned into each unit's local
    /// dates: what the month's figures and the dashboard need, without the events.
    /// With `since`, only the complaints that can count in a period starting then:
    /// received since, closed since, or not closed at all. A 12-month trend thus
    /// reads its year, not every complaint the unit ever had.
    async fn complaint_fact_columns(
        &self,
        unit_id: Option<i64>,
        since: Option<DateTime<Utc>>,
    ) -> Result<analytics::ComplaintColumns, StoreError>;
    /// The control-card events (status changes) of the complaints, in complaint and
    /// time order: only the statistics that follow each complaint's stages read them.
    async fn complaint_event_columns(&self, unit_id: Option<i64>) -> Result<analytics::EventColumns, StoreError>;
    /// Complaints and their control-card events as analytics columns.
    async fn complaint_columns(
        &self,
        unit_id: Option<i64>,
    ) -> Result<(analytics::ComplaintColumns, analytics::EventColumns), StoreError> {
        Ok((
            self.complaint_fact_columns(unit_id, None).await?,
            self.complaint_event_columns(unit_id).await?,
        ))
    }
}

/// Names of the ids a [`FactRow`] holds, read from the small lookup tables.
#[derive(Debug, Default)]
pub(super) struct FactNames {
    /// Unit id to (code, time zone).
    pub(super) units: HashMap<i64, (String, chrono_tz::Tz)>,
    /// Service id to name.
    pub(super) services: HashMap<i64, String>,
    /// Division id to name.
    pub(super) divisions: HashMap<i64, String>,
    /// Jenis pengaduan id to key.
    pub(super) jenis: HashMap<i64, String>,
}

impl FactNames {
    /// Units from (id, code, time zone name) rows; an unreadable zone is Asia/Jakarta.
    pub(super) fn with_units(rows: Vec<(i64, String, String)>) -> Self {
        FactNames {
            units: rows
                .into_iter()
                .map(|(id, code, zone)| (id, (code, zone.parse().unwrap_or(chrono_tz::Asia::Jakarta))))
                .collect(),
            ..Default::default()
        }
    }
}

/// Reads SQLite's JSON array of [`FactRow`]s (`None` when there was no row).
pub(super) fn fact_rows_from_json(json: Option<&str>) -> Result<Vec<FactRow>, StoreError> {
    match json {
        Some(text) => serde_json::from_str(text)
            .map_err(|e| StoreError::Rejected(format!("complaint facts are not readable: {e}"))),
        None => Ok(Vec::new()),
    }
}

/// Turns the rows into columns, names looked up and times in each unit's local dates.
pub(super) fn fact_columns(rows: Vec<FactRow>, names: &FactNames) -> Result<analytics::ComplaintColumns, StoreError> {
    let mut c = analytics::ComplaintColumns::default();
    let n = rows.len();
    c.id.reserve(n);
    c.unit.reserve(n);
    c.received_at.reserve(n);
    let name = |map: &HashMap<i64, String>, id: Option<i64>| id.and_then(|id| map.get(&id).cloned());
    for (id, unit, service, division, channel, bobot, jenis, klasifikasi, status, received, answered, closed, due) in
        rows
    {
        let (code, zone) = names
            .units
            .get(&unit)
            .ok_or_else(|| StoreError::MissingReference(format!("unit {unit}")))?;
        let local = |seconds: i64| {
            DateTime::<Utc>::from_timestamp(seconds, 0)
                .map(|t| t.with_timezone(zone).date_naive())
                .ok_or_else(|| StoreError::Rejected(format!("complaint {id}: time {seconds} out of range")))
        };
        c.id.push(id);
        c.unit.push(code.clone());
        c.service.push(name(&names.services, service));
        c.division.push(name(&names.divisions, division));
        c.channel.push(channel);
        c.bobot.push(bobot);
        c.jenis.push(name(&names.jenis, jenis));
        c.klasifikasi.push(klasifikasi);
        c.status.push(status);
        c.received_at.push(local(received)?);
        c.first_answer_at.push(answered.map(local).transpose()?);
        c.closed_at.push(closed.map(local).transpose()?);
        c.due_at.push(due.map(local).transpose()?);
    }
    Ok(c)
}

/// The query of the facts, per dialect: SQLite packs them into one JSON array (a
/// time it cannot read as a time is passed through as its text, so reading the
/// array fails with it instead of losing the value); PostgreSQL returns rows. The
/// unit (`$1`) and the window's start (the next parameter) are written in only when
/// given: PostgreSQL plans a prepared statement once for all its parameters, and
/// `($1 IS NULL OR c.unit_id = $1)` made that plan a scan of every complaint and a
/// sort on disk (122 ms) instead of the covering index (10 ms).
pub(super) fn fact_sql(dialect: super::shared::Dialect, by_unit: bool, since: bool) -> String {
    let mut conditions = vec!["TRUE".to_owned()];
    if by_unit {
        conditions.push("c.unit_id = $1".to_owned());
    }
    if since {
        let p = if by_unit { "$2" } else { "$1" };
        conditions.push(format!(
            "(c.received_at >= {p} OR c.closed_at IS NULL OR c.closed_at >= {p})"
        ));
    }
    let filter = conditions.join(" AND ");
    match dialect {
        super::shared::Dialect::Sqlite => format!(
            "SELECT json_group_array(json_array(c.id, c.unit_id, c.service_id, c.division_id, c.channel, c.bobot, \
             c.jenis_id, c.klasifikasi, c.status, coalesce(unixepoch(c.received_at), c.received_at), \
             iif(c.first_answered_at IS NULL, NULL, coalesce(unixepoch(c.first_answered_at), c.first_answered_at)), \
             iif(c.closed_at IS NULL, NULL, coalesce(unixepoch(c.closed_at), c.closed_at)), \
             iif(c.due_at IS NULL, NULL, coalesce(unixepoch(c.due_at), c.due_at))) ORDER BY c.id) \
             FROM complaints c WHERE {filter}"
        ),
        super::shared::Dialect::Postgres => format!(
            "SELECT c.id, c.unit_id, c.service_id, c.division_id, c.channel, c.bobot, \
             c.jenis_id, c.klasifikasi, c.status, c.received_at, c.first_answered_at, c.closed_at, c.due_at \
             FROM complaints c WHERE {filter} ORDER BY c.id"
        ),
    }
}

/// The SQL of [`ComplaintFactStore`], once for both backends (`self.pool` is the
/// backend's pool, `DIALECT` its dialect).
macro_rules! impl_complaint_fact_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::complaint_facts::ComplaintFactStore for $store {
            async fn complaint_fact_columns(
                &self,
                unit_id: Option<i64>,
                since: Option<chrono::DateTime<chrono::Utc>>,
            ) -> Result<analytics::ComplaintColumns, StoreError> {
                use $crate::storage::complaint_facts::{
                    FactNames, FactRow, PgFactRow, fact_columns, fact_row_from_pg, fact_rows_from_json, fact_sql,
                };
                let sql = fact_sql(DIALECT, unit_id.is_some(), since.is_some());
                let rows: Vec<FactRow> = match DIALECT {
                    Dialect::Sqlite => {
                        let mut q = sqlx::query_scalar::<_, Option<String>>(&sql);
                        if let Some(unit) = unit_id {
                            q = q.bind(unit);
                        }
                        if let Some(since) = since {
                            q = q.bind(since);
                        }
                        fact_rows_from_json(q.fetch_one(&self.pool).await?.as_deref())?
                    }
                    Dialect::Postgres => {
                        let mut q = sqlx::query_as::<_, PgFactRow>(&sql);
                        if let Some(unit) = unit_id {
                            q = q.bind(unit);
                        }
                        if let Some(since) = since {
                            q = q.bind(since);
                        }
                        q.fetch_all(&self.pool).await?.into_iter().map(fact_row_from_pg).collect()
                    }
                };
                let mut names = FactNames::with_units(
                    sqlx::query_as("SELECT id, code, time_zone FROM units")
                        .fetch_all(&self.pool)
                        .await?,
                );
                let pairs = |sql: &'static str| sqlx::query_as::<_, (i64, String)>(sql).fetch_all(&self.pool);
                names.services = pairs("SELECT id, name FROM services").await?.into_iter().collect();
                names.divisions = pairs("SELECT id, name FROM divisions").await?.into_iter().collect();
                names.jenis = pairs("SELECT id, key FROM jenis_pengaduan").await?.into_iter().collect();
                fact_columns(rows, &names)
            }

            async fn complaint_event_columns(&self, unit_id: Option<i64>) -> Result<analytics::EventColumns, StoreError> {
                use futures_util::TryStreamExt;
                let mut e = analytics::EventColumns::default();
                let mut rows = sqlx::query(
                    "SELECT e.complaint_id, e.to_status, e.at FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id \
                     WHERE e.to_status IS NOT NULL AND ($1 IS NULL OR c.unit_id = $1) ORDER BY e.complaint_id, e.at, e.id",
                )
                .bind(unit_id)
                .fetch(&self.pool);
                while let Some(r) = rows.try_next().await? {
                    e.complaint_id.push(r.try_get(0)?);
                    e.state.push(r.try_get(1)?);
                    e.at.push(r.try_get(2)?);
                }
                Ok(e)
            }
        }
    };
}
pub(super) use impl_complaint_fact_store;
