//! Bulk loading of survey responses (the demo's year of up to 10,000,000 of them).
//!
//! SQLite gets multi-row `INSERT .. VALUES` statements of [`SQLITE_ROWS`] rows (one
//! prepared statement, reused); PostgreSQL gets `COPY .. FROM STDIN` in text format.
//! A streamed load ([`super::Store::bulk_load_survey_stream`]) is one transaction:
//! before it the table's plain indexes (and on PostgreSQL its foreign keys) are
//! dropped, after it they are built again from their stored definitions and the
//! keys validated in one pass, as both databases' manuals advise for populating a
//! table; a failure anywhere rolls all of it back, definitions included.

use std::collections::HashMap;
use std::fmt::Write as _;

use sqlx::{PgConnection, QueryBuilder, Sqlite, SqliteConnection};

use super::StoreError;
use super::model::NewSurveyResponse;
use super::shared;

/// One message of a streamed survey load: rows, or the producer's word that it has
/// sent everything. A stream that closes without `End` (its producer failed) is
/// rolled back, so a half-made load is never committed.
#[derive(Debug)]
pub enum BulkSurveyChunk {
    /// The next responses to store.
    Rows(Vec<NewSurveyResponse>),
    /// Nothing more follows: commit.
    End,
}

/// The element keys of every rule set, from `(rule_set_id, key)` rows.
pub(super) fn keys_by_rule_set(elements: Vec<(i64, String)>) -> HashMap<i64, Vec<String>> {
    let mut keys: HashMap<i64, Vec<String>> = HashMap::new();
    for (rule_set, key) in elements {
        keys.entry(rule_set).or_default().push(key);
    }
    keys
}

/// Checks every response's scores against its rule set, as a single submission is.
pub(super) fn check_rows(rows: &[NewSurveyResponse], keys: &HashMap<i64, Vec<String>>) -> Result<(), StoreError> {
    for r in rows {
        shared::check_scores(
            &r.scores,
            keys.get(&r.rule_set_id).map(Vec::as_slice).unwrap_or_default(),
        )?;
    }
    Ok(())
}

/// The error of a stream whose producer stopped without saying `End`.
pub(super) fn stream_cut_short() -> StoreError {
    StoreError::Rejected("the survey response stream ended before its end marker; nothing was stored".into())
}

/// The stored columns of a bulk-loaded response, in the order rows are written.
const COLUMNS: &str = "unit_id, service_id, rule_set_id, responded_on, submitted_at, source, import_key, \
     jenis_kelamin, umur, pendidikan, pekerjaan, saran, scores";

/// Rows per SQLite statement: 13 parameters each, under SQLite's limit of 32,766.
const SQLITE_ROWS: usize = 2_000;

/// Inserts `rows` on SQLite; a repeated (unit, import key) is skipped, as for
/// single responses.
pub(super) async fn insert_sqlite(conn: &mut SqliteConnection, rows: &[NewSurveyResponse]) -> Result<(), StoreError> {
    for part in rows.chunks(SQLITE_ROWS) {
        let mut query = QueryBuilder::<Sqlite>::new(format!("INSERT INTO survey_responses ({COLUMNS}) "));
        query.push_values(part, |mut row, r| {
            row.push_bind(r.unit_id)
                .push_bind(r.service_id)
                .push_bind(r.rule_set_id)
                .push_bind(r.responded_on)
                .push_bind(submitted_at(r))
                .push_bind(r.source.key())
                .push_bind(r.import_key.as_deref())
                .push_bind(r.profile.jenis_kelamin.as_deref())
                .push_bind(r.profile.umur)
                .push_bind(r.profile.pendidikan.as_deref())
                .push_bind(r.profile.pekerjaan.as_deref())
                .push_bind(r.saran.as_deref())
                .push_bind(shared::scores_json(&r.scores));
        });
        query.push(" ON CONFLICT (unit_id, import_key) DO NOTHING");
        query.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts `rows` on PostgreSQL with one `COPY`. COPY cannot skip conflicts, so a
/// batch carrying import keys goes through the `INSERT .. ON CONFLICT` statement.
pub(super) async fn insert_postgres(conn: &mut PgConnection, rows: &[NewSurveyResponse]) -> Result<(), StoreError> {
    if rows.iter().any(|r| r.import_key.is_some()) {
        let sql = shared::bulk_response_sql(shared::Dialect::Postgres);
        for part in rows.chunks(shared::BULK_CHUNK) {
            let json: Vec<serde_json::Value> = part.iter().map(shared::response_json_row).collect();
            sqlx::query(&sql)
                .bind(serde_json::Value::Array(json).to_string())
                .execute(&mut *conn)
                .await?;
        }
        return Ok(());
    }
    let mut text = String::with_capacity(rows.len() * 200);
    for r in rows {
        copy_row(&mut text, r);
    }
    let mut copy = conn
        .copy_in_raw(&format!("COPY survey_responses ({COLUMNS}) FROM STDIN"))
        .await?;
    // Dropped unfinished (an error while sending), the COPY is failed and rolled back.
    copy.send(text.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// A response is dated at noon UTC of its day (a bulk load has no submission time).
fn submitted_at(r: &NewSurveyResponse) -> chrono::DateTime<chrono::Utc> {
    r.responded_on.and_hms_opt(12, 0, 0).expect("noon exists").and_utc()
}

/// One row of COPY's text format: tab-separated, `\N` for NULL.
fn copy_row(out: &mut String, r: &NewSurveyResponse) {
    fn field(out: &mut String, value: Option<&str>) {
        match value {
            None => out.push_str("\\N"),
            Some(v) => {
                for c in v.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
        }
        out.push('\t');
    }
    let number = |n: Option<i64>| n.map(|n| n.to_string());
    field(out, Some(&r.unit_id.to_string()));
    field(out, number(r.service_id).as_deref());
    field(out, Some(&r.rule_set_id.to_string()));
    field(out, Some(&r.responded_on.format("%Y-%m-%d").to_string()));
    field(out, Some(&shared::ts_text(&submitted_at(r))));
    field(out, Some(r.source.key()));
    field(out, r.import_key.as_deref());
    field(out, r.profile.jenis_kelamin.as_deref());
    field(out, number(r.profile.umur).as_deref());
    field(out, r.profile.pendidikan.as_deref());
    field(out, r.profile.pekerjaan.as_deref());
    field(out, r.saran.as_deref());
    field(out, Some(&shared::scores_json(&r.scores)));
    out.pop();
    let _ = writeln!(out);
}

/// SQLite: drops the plain indexes of `survey_responses` for a streamed load and
/// returns the statements that build them again (SQLite checks foreign keys by
/// primary-key lookups in the tiny parent tables, which stays cheap).
pub(super) async fn suspend_sqlite(conn: &mut SqliteConnection) -> Result<Vec<String>, StoreError> {
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'survey_responses' \
         AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut restore = Vec::new();
    for (name, sql) in indexes {
        sqlx::query(&format!("DROP INDEX \"{name}\""))
            .execute(&mut *conn)
            .await?;
        restore.push(sql);
    }
    Ok(restore)
}

/// PostgreSQL: drops the foreign keys and plain indexes of `survey_responses` for a
/// streamed load and returns the statements that restore them. Checking three keys
/// per row costs more than the rest of the insert (measured: 1,000,000 rows in 34 s
/// with them, 18 s without, 0.7 s to validate them afterwards in one pass). Unique
/// constraints and the primary key stay in place.
pub(super) async fn suspend_postgres(conn: &mut PgConnection) -> Result<Vec<String>, StoreError> {
    let keys: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = 'survey_responses'::regclass AND contype = 'f' ORDER BY conname",
    )
    .fetch_all(&mut *conn)
    .await?;
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         WHERE x.indrelid = 'survey_responses'::regclass \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid) ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut restore = vec!["SET LOCAL maintenance_work_mem = '256MB'".to_owned()];
    for (name, definition) in indexes {
        sqlx::query(&format!("DROP INDEX \"{name}\""))
            .execute(&mut *conn)
            .await?;
        restore.push(definition);
    }
    for (name, definition) in keys {
        sqlx::query(&format!("ALTER TABLE survey_responses DROP CONSTRAINT \"{name}\""))
            .execute(&mut *conn)
            .await?;
        restore.push(format!(
            "ALTER TABLE survey_responses ADD CONSTRAINT \"{name}\" {definition}"
        ));
    }
    Ok(restore)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SurveySource;
    use crate::storage::model::RespondentProfile;

    #[test]
    fn copy_rows_escape_text_and_write_nulls() {
        let r = NewSurveyResponse {
            unit_id: 3,
            service_id: None,
            rule_set_id: 1,
            responded_on: chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            source: SurveySource::Paper,
            import_key: None,
            scores: [("waktu".to_owned(), 2)].into_iter().collect(),
            profile: RespondentProfile {
                umur: Some(40),
                ..Default::default()
            },
            saran: Some("tab\there\\ and\nline".to_owned()),
        };
        let mut out = String::new();
        copy_row(&mut out, &r);
        assert_eq!(
            out,
            "3\t\\N\t1\t2026-02-01\t2026-02-01T12:00:00+00:00\tpaper\t\\N\t\\N\t40\t\\N\t\\N\t\
             tab\\there\\\\ and\\nline\t{\"waktu\":2}\n"
        );
    }
}
