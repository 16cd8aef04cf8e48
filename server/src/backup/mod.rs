//! Backup, restore and the move to PostgreSQL (issue 22).
//!
//! `tanggap backup FILE` copies a live SQLite database with `VACUUM INTO`: one read
//! transaction, so the copy is the database as it stood when that transaction began,
//! while the server keeps taking complaints (WAL mode lets writers go on beside a
//! reader). `tanggap restore FILE` puts such a copy back, but only after checking that
//! it is an intact Tanggap database of a migration level this binary knows, and only
//! while no other process holds the database. PostgreSQL has its own tools
//! (`pg_dump -Fc`, `pg_restore`); both commands point to them. The move from SQLite to
//! PostgreSQL is in [`export`].

pub mod export;
mod level;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Subcommand};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};

use crate::i18n::{Lang, tf};
pub use level::sqlite_level;

/// A message in Indonesian, then English, from the translation files: what the
/// command line prints and fails with.
pub(crate) fn both(key: &str, args: &[(&str, &str)]) -> String {
    format!("{} / {}", tf(Lang::Id, key, args), tf(Lang::En, key, args))
}

/// "PATH is not a Tanggap database: REASON", each language with its own reason
/// (`reason_key` with `args`), and an engine's detail appended when there is one.
pub(crate) fn not_tanggap(
    path: &Path,
    reason_key: &str,
    args: &[(&str, &str)],
    detail: Option<String>,
) -> anyhow::Error {
    let shown = path.display().to_string();
    let one = |lang: Lang| {
        let mut reason = tf(lang, reason_key, args);
        if let Some(detail) = &detail {
            reason.push_str(&format!(" ({detail})"));
        }
        tf(lang, "backup.not_tanggap", &[("path", &shown), ("reason", &reason)])
    };
    anyhow::anyhow!("{} / {}", one(Lang::Id), one(Lang::En))
}

/// Flags of `tanggap backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the copy; must not exist yet.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Flags of `tanggap restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A copy made by `tanggap backup`; it replaces the configured database, whose
    /// old file is kept beside it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// `tanggap export ...`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Copy the whole SQLite database (every unit with its complaints, numbering,
    /// accounts, files and surveys) into an empty PostgreSQL database.
    SqliteToPostgres(export::SqliteToPostgresArgs),
}

/// What a backup or a restore found in the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySummary {
    /// The newest migration applied in the copy.
    pub level: i64,
    /// Complaints in the copy.
    pub complaints: i64,
    /// Survey responses in the copy.
    pub responses: i64,
}

/// True for a `postgres://` URL: the commands here then point to PostgreSQL's tools.
fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connection options for a `sqlite:` URL or plain path, as the store reads them.
fn sqlite_options(url_or_path: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(if url_or_path.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url_or_path)?
    } else {
        SqliteConnectOptions::new().filename(url_or_path)
    })
}

/// Opens an existing SQLite file without creating it, read-only when asked.
async fn open_existing(path: &Path, read_only: bool) -> anyhow::Result<SqliteConnection> {
    if !path.is_file() {
        anyhow::bail!(both("backup.missing", &[("path", &path.display().to_string())]));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .read_only(read_only)
        .busy_timeout(Duration::from_secs(10));
    SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| not_tanggap(path, "backup.not_sqlite", &[], Some(e.to_string())))
}

/// Checks a file is an intact Tanggap database this binary can open, and counts it.
async fn verify_copy(path: &Path) -> anyhow::Result<CopySummary> {
    let mut conn = open_existing(path, true).await?;
    let shown = path.display().to_string();
    let checked: Result<Vec<String>, _> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await;
    let checked = checked.map_err(|e| not_tanggap(path, "backup.not_sqlite", &[], Some(e.to_string())))?;
    if checked != ["ok"] {
        anyhow::bail!(both(
            "backup.damaged",
            &[("path", &shown), ("detail", &checked.join("; "))]
        ));
    }
    let level = sqlite_level(&mut conn, path).await?;
    let (complaints, responses): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM complaints), (SELECT count(*) FROM survey_responses)")
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok(CopySummary {
        level,
        complaints,
        responses,
    })
}

/// `path` with `suffix` added to its file name (`tanggap.db` -> `tanggap.db.partial`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes a consistent copy of the SQLite database at `database_url` to `file`, which
/// must not exist. The copy is written beside it as `FILE.partial`, checked
/// (`PRAGMA integrity_check`, migration level) and only then renamed to `file`, so a
/// file of that name is always a whole, checked backup.
pub async fn backup(database_url: &str, file: &Path) -> anyhow::Result<CopySummary> {
    if is_postgres(database_url) {
        anyhow::bail!(both("backup.postgres", &[]));
    }
    let source = sqlite_options(database_url)?.get_filename().to_owned();
    if file.exists() {
        anyhow::bail!(both("backup.exists", &[("path", &file.display().to_string())]));
    }
    let mut conn = open_existing(&source, false).await?;
    sqlite_level(&mut conn, &source).await?;
    let partial = with_suffix(file, ".partial");
    // A partial copy is only ever left by an interrupted run of this command.
    let _ = std::fs::remove_file(&partial);
    sqlx::query("VACUUM INTO $1")
        .bind(partial.display().to_string())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let summary = match verify_copy(&partial).await {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, file)?;
    Ok(summary)
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// What the restored copy holds.
    pub summary: CopySummary,
    /// Where the database it replaced was kept, when there was one.
    pub kept: Option<PathBuf>,
}

/// Puts the backup `file` in place of the SQLite database at `database_url`, after
/// checking the backup (intact, a Tanggap database of a known migration level). The
/// database it replaces is renamed, not deleted. Refused while another process (a
/// running server) has the database open: switching it out of WAL mode needs the
/// only connection, and that connection keeps it locked until the new file is in place.
pub async fn restore(database_url: &str, file: &Path) -> anyhow::Result<Restored> {
    if is_postgres(database_url) {
        anyhow::bail!(both("backup.restore_postgres", &[]));
    }
    let target = sqlite_options(database_url)?.get_filename().to_owned();
    let summary = verify_copy(file).await?;
    if target.exists() && std::fs::canonicalize(&target)? == std::fs::canonicalize(file)? {
        anyhow::bail!(both("backup.same_file", &[]));
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    // A clean single file (no write-ahead log beside it) from the checked backup.
    let staged = with_suffix(&target, ".restoring");
    let _ = std::fs::remove_file(&staged);
    let mut from = open_existing(file, true).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(staged.display().to_string())
        .execute(&mut from)
        .await?;
    from.close().await?;
    std::fs::File::open(&staged)?.sync_all()?;

    let mut lock = None;
    let mut kept = None;
    if target.exists() {
        match take_exclusively(&target).await {
            Ok(conn) => lock = Some(conn),
            Err(e) => {
                let _ = std::fs::remove_file(&staged);
                return Err(e);
            }
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let old = with_suffix(&target, &format!(".before-restore-{stamp}"));
        std::fs::rename(&target, &old)?;
        kept = Some(old);
    }
    // The old database's log and shared memory must not meet the new file.
    for sidecar in ["-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(with_suffix(&target, sidecar));
    }
    std::fs::rename(&staged, &target)?;
    if let Some(conn) = lock {
        // Releases the old file, now renamed; the new one is already in place.
        let _ = conn.close().await;
    }
    Ok(Restored { summary, kept })
}

/// Opens the database as its only user, or fails with `backup.in_use`: in exclusive
/// locking mode, leaving WAL mode needs every other connection closed, and the lock
/// then stays with this connection until it closes.
async fn take_exclusively(path: &Path) -> anyhow::Result<SqliteConnection> {
    let in_use = || anyhow::anyhow!(both("backup.in_use", &[("path", &path.display().to_string())]));
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(2))
        .pragma("locking_mode", "EXCLUSIVE");
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(|_| in_use())?;
    let mode: Result<String, _> = sqlx::query_scalar("PRAGMA journal_mode = DELETE")
        .fetch_one(&mut conn)
        .await;
    match mode {
        Ok(mode) if mode.eq_ignore_ascii_case("delete") => {}
        _ => return Err(in_use()),
    }
    // Held until the connection closes (rolled back then): nobody else reads or
    // writes the file while it is swapped.
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut conn)
        .await
        .map_err(|_| in_use())?;
    Ok(conn)
}

/// `tanggap backup FILE`: prints what was copied.
pub async fn run_backup(database_url: &str, args: &BackupArgs) -> anyhow::Result<()> {
    let summary = backup(database_url, &args.file).await?;
    let bytes = std::fs::metadata(&args.file)?.len();
    println!(
        "{}",
        both(
            "backup.done",
            &[
                ("path", &args.file.display().to_string()),
                ("bytes", &bytes.to_string()),
                ("level", &summary.level.to_string()),
                ("complaints", &summary.complaints.to_string()),
                ("responses", &summary.responses.to_string()),
            ]
        )
    );
    Ok(())
}

/// `tanggap restore FILE`: prints what was restored and where the old file went.
pub async fn run_restore(database_url: &str, args: &RestoreArgs) -> anyhow::Result<()> {
    let restored = restore(database_url, &args.file).await?;
    println!(
        "{}",
        both(
            "backup.restored",
            &[
                ("path", &args.file.display().to_string()),
                ("level", &restored.summary.level.to_string()),
                ("complaints", &restored.summary.complaints.to_string()),
                ("responses", &restored.summary.responses.to_string()),
            ]
        )
    );
    if let Some(kept) = restored.kept {
        println!("{}", both("backup.kept", &[("path", &kept.display().to_string())]));
    }
    Ok(())
}
