//! The PostgreSQL store, for a city running several instances behind a load balancer.

use std::time::Duration;

use rust_embed::RustEmbed;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};

use super::idempotency::idempotency_fns;
use super::model::*;
use super::shared::{self, Dialect, impl_store, outbox_fns, summary_from_row_fn, unit_from_row_fn};
use super::survey_admin::impl_survey_admin_store;
use super::survey_stats::{impl_survey_stats_store, survey_stats_fns};
use super::triage::impl_triage_store;
use super::{Backend, Store, StoreError};

const DIALECT: Dialect = Dialect::Postgres;
/// The sqlx database type, for query builders in the shared SQL.
type Db = sqlx::Postgres;

#[derive(RustEmbed)]
#[folder = "../migrations/postgres"]
struct Migrations;

/// The embedded migrations as a migrator (see [`super::embedded_migrations`]).
pub(super) fn migrator() -> sqlx::migrate::Migrator {
    super::embedded_migrator(Migrations::iter().filter_map(|name| Migrations::get(&name).map(|f| (name, f.data))))
}

/// A store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database a `postgres://` URL names.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(Self { pool })
    }

    /// The pool, for tests and bulk readers that need raw access.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// PostgreSQL has no per-connection checkpoint setting to pause.
    async fn pause_autocheckpoint(_conn: &mut sqlx::pool::PoolConnection<sqlx::Postgres>) -> Result<(), StoreError> {
        Ok(())
    }

    /// Nothing was paused; the connection goes back to the pool.
    async fn resume_autocheckpoint(_conn: sqlx::pool::PoolConnection<sqlx::Postgres>) {}

    /// The server's own round trip is the whole readiness check.
    async fn check_file(_pool: &PgPool) -> Result<(), StoreError> {
        Ok(())
    }

    /// The server checkpoints by itself.
    async fn checkpoint(_pool: &PgPool) -> Result<(), StoreError> {
        Ok(())
    }

    /// Bulk-inserts survey responses with COPY (see `bulk_responses`).
    async fn insert_survey_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        rows: &[NewSurveyResponse],
    ) -> Result<(), StoreError> {
        super::bulk_responses::insert_postgres(tx, rows).await
    }

    /// Drops what a streamed survey load rebuilds at its end (see `bulk_responses`).
    async fn suspend_survey_indexes(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>) -> Result<Vec<String>, StoreError> {
        super::bulk_responses::suspend_postgres(tx).await
    }

    /// Gives the planner fresh statistics after a streamed survey load, instead of
    /// leaving the first queries on millions of new rows to guess until autovacuum
    /// gets round to it.
    async fn after_survey_load(pool: &PgPool) -> Result<(), StoreError> {
        sqlx::query("ANALYZE survey_responses").execute(pool).await?;
        Ok(())
    }

    /// The same after a bulk load of complaints, with a VACUUM: without the
    /// statistics PostgreSQL guessed 365 complaints for a unit that had 42,464 and
    /// read them through a bitmap scan and a sort (103 ms); without the visibility map
    /// VACUUM sets, the covering index cannot be read alone, and the plan walked the
    /// primary key through the table (93 ms against 9 ms) until autovacuum came by,
    /// which on a server with it turned off is never. (VACUUM cannot run in a
    /// transaction, hence the plain protocol, outside the load's transaction.)
    async fn after_complaint_load(pool: &PgPool) -> Result<(), StoreError> {
        sqlx::raw_sql("VACUUM (ANALYZE) complaints").execute(pool).await?;
        sqlx::raw_sql("VACUUM (ANALYZE) complaint_events").execute(pool).await?;
        Ok(())
    }

    /// Rows inserted with explicit ids leave the identity sequence behind; move it
    /// past the highest id so the next ordinary insert does not collide.
    async fn after_explicit_ids(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, table: &str) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        ))
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

unit_from_row_fn!(PgRow);
summary_from_row_fn!(PgRow);
outbox_fns!(PgRow, sqlx::Postgres);
super::notices::notice_fns!(sqlx::Postgres);
survey_stats_fns!(Db);
idempotency_fns!(sqlx::Postgres);

impl_store!(PgStore, Backend::Postgres);
impl_survey_admin_store!(PgStore, PgRow);
impl_triage_store!(PgStore);
super::reports::impl_report_store!(PgStore);
super::accounts::impl_account_store!(PgStore);
super::calendar::impl_calendar_store!(PgStore);
super::complaint_facts::impl_complaint_fact_store!(PgStore);
super::logos::impl_logo_store!(PgStore);
super::survey_sources::impl_survey_source_store!(PgStore);
super::stages::impl_stage_store!(PgStore, PgRow);
super::mail::impl_mail_store!(PgStore);
super::conversations::impl_conversation_store!(PgStore);
super::providers::impl_provider_store!(PgStore);
super::staff_notices::impl_staff_notice_store!(PgStore, PgRow);
impl_survey_stats_store!(PgStore);
super::notices::impl_notice_store!(PgStore);
