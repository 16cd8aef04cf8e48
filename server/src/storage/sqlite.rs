//! The embedded SQLite store: the default, one file under `./data/`.

use std::str::FromStr;
use std::time::Duration;

use rust_embed::RustEmbed;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};

use super::idempotency::idempotency_fns;
use super::model::*;
use super::shared::{self, Dialect, impl_store, outbox_fns, summary_from_row_fn, unit_from_row_fn};
use super::survey_admin::impl_survey_admin_store;
use super::survey_stats::{impl_survey_stats_store, survey_stats_fns};
use super::triage::impl_triage_store;
use super::{Backend, Store, StoreError};

const DIALECT: Dialect = Dialect::Sqlite;
/// The sqlx database type, for query builders in the shared SQL.
type Db = sqlx::Sqlite;

#[derive(RustEmbed)]
#[folder = "../migrations/sqlite"]
struct Migrations;

/// The embedded migrations as a migrator (see [`super::embedded_migrations`]).
pub(super) fn migrator() -> sqlx::migrate::Migrator {
    super::embedded_migrator(Migrations::iter().filter_map(|name| Migrations::get(&name).map(|f| (name, f.data))))
}

/// A store on one SQLite file, in WAL mode with foreign keys enforced.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database a `sqlite:` URL or a plain path names.
    /// The parent folder is created too, so `./data/tanggap.db` works on a fresh clone.
    pub async fn connect(url_or_path: &str) -> Result<Self, StoreError> {
        let options = if url_or_path.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url_or_path)?
        } else {
            SqliteConnectOptions::new().filename(url_or_path)
        };
        let path = options.get_filename().to_owned();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory")
            // 32 MiB page cache per connection (the default is 2 MiB): bulk writes such
            // as the SPAN-LAPOR! import touch many index pages; with the small default
            // they spill mid-transaction (measured: system time of a 100,000-row import
            // 1.6-1.9 s with the default, 0.8-1.0 s with this).
            .pragma("cache_size", "-32768");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await?;
        // Only the first connection may create the file: a later one must fail
        // rather than start an empty database where the real one went missing.
        pool.set_connect_options(options.create_if_missing(false));
        Ok(Self { pool })
    }

    /// The pool, for tests and bulk readers that need raw access.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Stops this connection from checkpointing the write-ahead log at its commits,
    /// for a run of bulk batches. A checkpoint syncs the log and the database file
    /// to disk; at SQLite's default of one every 1,000 pages a 100,000-row import
    /// made dozens of them and spent more time waiting for the disk than working.
    /// Other connections keep their setting, so ordinary traffic still checkpoints.
    async fn pause_autocheckpoint(conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut **conn)
            .await?;
        Ok(())
    }

    /// Gives the connection back its checkpoint setting (SQLite's default, which
    /// Tanggap does not change); a connection that cannot take it back is closed
    /// rather than returned to the pool.
    async fn resume_autocheckpoint(mut conn: sqlx::pool::PoolConnection<sqlx::Sqlite>) {
        if let Err(e) = sqlx::query("PRAGMA wal_autocheckpoint = 1000")
            .execute(&mut *conn)
            .await
        {
            tracing::warn!(error = %e, "could not restore wal_autocheckpoint; closing the connection");
            let _ = sqlx::Connection::close(conn.detach()).await;
        }
    }

    /// Copies the write-ahead log into the database file without waiting for
    /// readers (what the paused batches left undone).
    async fn checkpoint(pool: &SqlitePool) -> Result<(), StoreError> {
        sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await?;
        Ok(())
    }

    /// Readiness beyond `SELECT 1`: open connections keep working on a database file
    /// that was deleted or moved away (a volume unmounted, a botched restore), and all
    /// that is written then is lost at the next start. Not ready while no file is at
    /// the configured path.
    async fn check_file(pool: &SqlitePool) -> Result<(), StoreError> {
        let options = pool.connect_options();
        let path = options.get_filename();
        if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
            return Ok(());
        }
        tokio::fs::metadata(path)
            .await
            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        Ok(())
    }

    /// Bulk-inserts survey responses (see `bulk_responses`).
    async fn insert_survey_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        rows: &[NewSurveyResponse],
    ) -> Result<(), StoreError> {
        super::bulk_responses::insert_sqlite(tx, rows).await
    }

    /// Drops what a streamed survey load rebuilds at its end (see `bulk_responses`).
    async fn suspend_survey_indexes(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<Vec<String>, StoreError> {
        super::bulk_responses::suspend_sqlite(tx).await
    }

    /// SQLite needs nothing after a streamed survey load: its planner keeps no
    /// statistics until `ANALYZE`, which Tanggap never runs.
    async fn after_survey_load(_pool: &SqlitePool) -> Result<(), StoreError> {
        Ok(())
    }

    /// Nothing after a bulk load of complaints either (see `after_survey_load`).
    async fn after_complaint_load(_pool: &SqlitePool) -> Result<(), StoreError> {
        Ok(())
    }

    /// SQLite hands out ids after the highest one by itself: nothing to do.
    async fn after_explicit_ids(_tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>, _table: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

unit_from_row_fn!(SqliteRow);
summary_from_row_fn!(SqliteRow);
outbox_fns!(SqliteRow, sqlx::Sqlite);
super::notices::notice_fns!(sqlx::Sqlite);
survey_stats_fns!(Db);
idempotency_fns!(sqlx::Sqlite);

impl_store!(SqliteStore, Backend::Sqlite);
impl_survey_admin_store!(SqliteStore, SqliteRow);
impl_triage_store!(SqliteStore);
super::reports::impl_report_store!(SqliteStore);
super::accounts::impl_account_store!(SqliteStore);
super::calendar::impl_calendar_store!(SqliteStore);
super::complaint_facts::impl_complaint_fact_store!(SqliteStore);
super::logos::impl_logo_store!(SqliteStore);
super::survey_sources::impl_survey_source_store!(SqliteStore);
super::stages::impl_stage_store!(SqliteStore, SqliteRow);
super::mail::impl_mail_store!(SqliteStore);
super::conversations::impl_conversation_store!(SqliteStore);
super::providers::impl_provider_store!(SqliteStore);
super::staff_notices::impl_staff_notice_store!(SqliteStore, SqliteRow);
impl_survey_stats_store!(SqliteStore);
super::notices::impl_notice_store!(SqliteStore);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Store;

    /// A LAPOR! batch abandoned midway (its future dropped, as when a client hangs up
    /// during an upload) must not leave a connection with the checkpoint paused in
    /// the pool, and stores nothing; nor may a session abandoned between batches,
    /// whose committed batch stays. A re-run continues, and a finished import gives
    /// its connection back unchanged.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_import_leaves_no_paused_connection_in_the_pool() {
        let (dir, store, unit) = store_with_unit().await;
        let unit_id = unit.id;
        let bytes = crate::lapor::sample::csv(&crate::lapor::sample::rows(500, 1_916_449, 0));
        let options = crate::lapor::ImportOptions {
            unit,
            mapping: crate::lapor::Mapping::default(),
            sheet: None,
            dry_run: false,
            batch_size: 100,
            recorded_by: None,
        };
        let reports: Vec<LaporReport> = crate::lapor::parse(&bytes, &options)
            .unwrap()
            .reports
            .into_iter()
            .map(|(_, r)| r)
            .collect();
        // Another connection holds the write lock, so the batch stops at its first
        // write, inside its transaction with the checkpoint paused; it is then
        // abandoned there.
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        let mut blocker = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut blocker).await.unwrap();
        let mut session = crate::storage::BulkSession::default();
        let abandoned = tokio::time::timeout(
            Duration::from_millis(500),
            store.import_lapor_batch(
                &mut session,
                unit_id,
                &reports,
                None,
                crate::storage::BatchWrite::Commit,
            ),
        )
        .await;
        assert!(abandoned.is_err(), "the batch waited for the write lock");
        sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
        drop(session);
        assert_every_pooled_connection_checkpoints(&store).await;
        assert_eq!(
            store.counts().await.unwrap().complaints,
            0,
            "an abandoned batch stores nothing"
        );
        // A session that committed batches and was then abandoned (never finished)
        // does not hand its paused connection back either.
        let mut session = crate::storage::BulkSession::default();
        let outcomes = store
            .import_lapor_batch(
                &mut session,
                unit_id,
                &reports[..100],
                None,
                crate::storage::BatchWrite::Commit,
            )
            .await
            .unwrap();
        assert_eq!(outcomes.len(), 100);
        drop(session);
        assert_every_pooled_connection_checkpoints(&store).await;
        assert_eq!(store.counts().await.unwrap().complaints, 100, "a committed batch stays");
        let rerun = crate::lapor::import(&store, bytes, &options, &mut |_, _| {})
            .await
            .unwrap();
        assert_eq!(rerun.new_count(), 400, "the re-run continues after the committed batch");
        assert_eq!(rerun.unchanged_count(), 100);
        assert_eq!(store.counts().await.unwrap().complaints, 500);
        // A finished import gives its connection back as it was.
        assert_every_pooled_connection_checkpoints(&store).await;
    }

    /// Upgrading a database at migration 0007 (prefix indexes on the inbox search
    /// index) that already holds complaints: 0008 recreates the index, the
    /// complaints stay findable (by a word begun, too), the triggers of 0006 keep
    /// new complaints in step, and FTS5's own integrity check passes.
    #[tokio::test]
    async fn the_lighter_search_index_keeps_existing_complaints_findable() {
        let (_dir, store, unit) = store_with_unit_at(Some(7)).await;
        let prefixes: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'complaints_fts'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(prefixes.contains("prefix = '2 3 4'"), "starts at the 0007 schema");
        let import = |first: u64| {
            let options = crate::lapor::ImportOptions {
                unit: unit.clone(),
                mapping: crate::lapor::Mapping::default(),
                sheet: None,
                dry_run: false,
                batch_size: crate::lapor::DEFAULT_BATCH,
                recorded_by: None,
            };
            let bytes = crate::lapor::sample::csv(&crate::lapor::sample::rows(40, first, 0));
            let store = store.clone();
            async move {
                crate::lapor::import(&store, bytes, &options, &mut |_, _| {})
                    .await
                    .unwrap()
            }
        };
        assert_eq!(import(5_000).await.new_count(), 40);
        // The upgrade, as a new binary runs it at start.
        store.migrate().await.unwrap();
        let recreated: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'complaints_fts'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(!recreated.contains("prefix"), "{recreated}");
        let matches = |query: &'static str| {
            let pool = store.pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>("SELECT count(*) FROM complaints_fts WHERE complaints_fts MATCH $1")
                    .bind(query)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(matches("\"bantuan\"").await, 40);
        assert_eq!(matches("\"ba\"*").await, 40, "a word begun");
        assert_eq!(matches("\"5039\"").await, 1, "the number in one report's text");
        assert_eq!(matches("\"zq\"*").await, 0);
        assert_eq!(import(6_000).await.new_count(), 40);
        assert_eq!(
            matches("\"bantuan\"").await,
            80,
            "new complaints are indexed by the triggers"
        );
        let automerge: i64 = sqlx::query_scalar("SELECT v FROM complaints_fts_config WHERE k = 'automerge'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(automerge, 16);
        sqlx::query("INSERT INTO complaints_fts (complaints_fts, rank) VALUES ('integrity-check', 1)")
            .execute(store.pool())
            .await
            .unwrap();
    }

    /// A migrated store in a temporary folder (kept alive by the returned guard)
    /// with one unit.
    async fn store_with_unit() -> (tempfile::TempDir, SqliteStore, Unit) {
        store_with_unit_at(None).await
    }

    /// The same, migrated only up to `version` when one is given (to test an
    /// upgrade from it).
    async fn store_with_unit_at(version: Option<i64>) -> (tempfile::TempDir, SqliteStore, Unit) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(&dir.path().join("t.db").display().to_string())
            .await
            .unwrap();
        let files = Migrations::iter()
            .filter(|name| {
                let number = name.split('_').next().and_then(|n| n.parse::<i64>().ok());
                version.is_none_or(|last| number.is_some_and(|n| n <= last))
            })
            .filter_map(|name| Migrations::get(&name).map(|f| (name, f.data)));
        crate::storage::embedded_migrator(files)
            .run(store.pool())
            .await
            .unwrap();
        store
            .create_unit(&NewUnit {
                code: "dinsos-dumai".into(),
                name: "Dinas Sosial Kota Dumai".into(),
                short_name: "Dinsos Dumai".into(),
                address: String::new(),
                city: "Dumai".into(),
                phone: String::new(),
                email: String::new(),
                time_zone: "Asia/Jakarta".into(),
                letterhead: vec![],
                head_title: String::new(),
                head_name: String::new(),
                head_nip: String::new(),
                complaint_channels: vec![],
            })
            .await
            .unwrap();
        let unit = store.unit_by_code("dinsos-dumai").await.unwrap().unwrap();
        (dir, store, unit)
    }

    /// Every connection the pool hands out checkpoints as SQLite does by default
    /// (all eight: a paused one would be among them had it gone back).
    async fn assert_every_pooled_connection_checkpoints(store: &SqliteStore) {
        let mut held = Vec::new();
        for _ in 0..8 {
            let mut conn = store.pool().acquire().await.unwrap();
            let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(pages, 1000, "a pooled connection kept the paused checkpoint");
            held.push(conn);
        }
        drop(held);
    }
}
