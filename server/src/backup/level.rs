//! Which migration level a SQLite file is at, and whether this binary knows it.

use std::path::Path;

use sqlx::SqliteConnection;

use super::not_tanggap;
use crate::storage::{Backend, embedded_migrations};

/// The newest migration applied to a Tanggap SQLite database, after checking that
/// every applied migration is one this binary embeds (same version and checksum,
/// finished) and that none of the known ones below it is missing. A database made
/// by a newer release, or a file that is not a Tanggap database, is an error that
/// names the reason.
pub async fn sqlite_level(conn: &mut SqliteConnection, path: &Path) -> anyhow::Result<i64> {
    let has_table: Result<i64, _> =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
            .fetch_one(&mut *conn)
            .await;
    match has_table {
        Ok(1) => {}
        Ok(_) => return Err(not_tanggap(path, "backup.no_migrations", &[], None)),
        Err(e) => return Err(not_tanggap(path, "backup.not_sqlite", &[], Some(e.to_string()))),
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await?;
    let known = embedded_migrations(Backend::Sqlite);
    let refuse = |key: &str, v: i64| not_tanggap(path, key, &[("version", &v.to_string())], None);
    for (v, checksum, success) in &applied {
        let Some(migration) = known.migrations.iter().find(|m| m.version == *v) else {
            return Err(refuse("backup.unknown_migration", *v));
        };
        if migration.checksum.as_ref() != checksum.as_slice() {
            return Err(refuse("backup.changed_migration", *v));
        }
        if !success {
            return Err(refuse("backup.failed_migration", *v));
        }
    }
    let Some(level) = applied.last().map(|(v, _, _)| *v) else {
        return Err(not_tanggap(path, "backup.no_migrations", &[], None));
    };
    if let Some(hole) = known
        .migrations
        .iter()
        .filter(|m| m.version < level)
        .find(|m| !applied.iter().any(|(v, _, _)| *v == m.version))
    {
        return Err(refuse("backup.missing_migration", hole.version));
    }
    Ok(level)
}
