//! `tanggap export sqlite-to-postgres`: the whole embedded database moves to PostgreSQL
//! when one machine is no longer enough.
//!
//! Everything moves at once (every unit, the accounts that span them, the holiday
//! calendar): ids, tracking codes, nomor agenda counters, password hashes, files and
//! survey responses are copied as they are, in one PostgreSQL transaction, and the
//! identity sequences are then moved past the copied ids. A single unit cannot move
//! alone: its ids would collide with another database's, and accounts and holidays
//! are shared. The target must hold no data beyond the rows its migrations seed
//! (rule sets, holidays), which the copy replaces with the source's own.
//!
//! The tables, their columns and types and the order of copying (every table after
//! the tables it refers to) are read from PostgreSQL's catalog, so a new migration
//! needs no change here; a column of a type not handled below is a clear error.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;
use futures_util::TryStreamExt;
use sqlx::{Postgres, QueryBuilder, Row, sqlite::SqliteRow};

use super::both;
use crate::storage::{Backend, PgStore, SqliteStore, Store, embedded_migrations};

/// Flags of `tanggap export sqlite-to-postgres`.
#[derive(Debug, Args)]
pub struct SqliteToPostgresArgs {
    /// The SQLite database to copy (sqlite:PATH). Default: the configured database.
    #[arg(long, value_name = "URL")]
    pub from: Option<String>,
    /// The PostgreSQL database to fill (postgres://USER@HOST/DB); it must hold no data.
    #[arg(long, value_name = "URL")]
    pub to: String,
}

/// Rows copied per table, in copying order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// (table, rows).
    pub tables: Vec<(String, i64)>,
}

/// A column of a PostgreSQL table and how its values are carried over.
#[derive(Debug, Clone)]
struct Column {
    name: String,
    kind: Kind,
}

/// The PostgreSQL types Tanggap's schema uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Bytes,
    Time,
    Date,
    Text,
}

/// One value read from SQLite, typed for PostgreSQL.
enum Value {
    Int(Option<i64>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
    Time(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Text(Option<String>),
}

/// A table to copy.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// Columns referring to the same table (a merged complaint's `merged_into_id`):
    /// copied as NULL first and set once every row of the table is in.
    self_refs: Vec<String>,
}

/// Copies the SQLite database `from` into the empty PostgreSQL database `to`. Both
/// are migrated first to this binary's level, so their schemas agree. Reads one
/// snapshot of the source (one read transaction), writes in one transaction:
/// either everything is copied, or nothing changed.
pub async fn sqlite_to_postgres(from: &str, to: &str) -> anyhow::Result<ExportSummary> {
    if from.starts_with("postgres://") || from.starts_with("postgresql://") {
        anyhow::bail!(both("export.not_sqlite", &[]));
    }
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        anyhow::bail!(both("export.not_postgres", &[]));
    }
    let path = super::sqlite_options(from)?.get_filename().to_owned();
    if !path.is_file() {
        anyhow::bail!(both("backup.missing", &[("path", &path.display().to_string())]));
    }
    let source = SqliteStore::connect(from).await?;
    source.migrate().await?;
    let target = PgStore::connect(to).await?;
    target.migrate().await?;

    let tables = copy_order(target.pool()).await?;
    let seeded = seeded_tables();
    let mut holding = Vec::new();
    for table in tables.iter().filter(|t| !seeded.contains(&t.name)) {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quoted(&table.name)))
            .fetch_one(target.pool())
            .await?;
        if n > 0 {
            holding.push(format!("{} {n}", table.name));
        }
    }
    if !holding.is_empty() {
        anyhow::bail!(both("export.not_empty", &[("tables", &holding.join(", "))]));
    }
    let present: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
        .fetch_all(source.pool())
        .await?;
    if let Some(missing) = tables.iter().find(|t| !present.contains(&t.name)) {
        anyhow::bail!(both("export.missing_table", &[("table", &missing.name)]));
    }

    // One read transaction: every table is read from the same snapshot.
    let mut read = source.pool().begin().await?;
    let mut tx = target.pool().begin().await?;
    sqlx::query("SET LOCAL timezone = 'UTC'").execute(&mut *tx).await?;
    let seeded_present: Vec<String> = tables
        .iter()
        .filter(|t| seeded.contains(&t.name))
        .map(|t| quoted(&t.name))
        .collect();
    if !seeded_present.is_empty() {
        // Only seeded rows are there (checked above): the source's own replace them.
        sqlx::query(&format!("TRUNCATE {} CASCADE", seeded_present.join(", ")))
            .execute(&mut *tx)
            .await?;
    }
    let mut summary = ExportSummary::default();
    for table in &tables {
        let copied = copy_table(&mut read, &mut tx, table).await?;
        let expected: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quoted(&table.name)))
            .fetch_one(&mut *read)
            .await?;
        let stored: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", quoted(&table.name)))
            .fetch_one(&mut *tx)
            .await?;
        if copied != expected || stored != expected {
            anyhow::bail!(both(
                "export.mismatch",
                &[
                    ("table", &table.name),
                    ("source", &expected.to_string()),
                    ("target", &stored.to_string()),
                ]
            ));
        }
        summary.tables.push((table.name.clone(), copied));
    }
    reset_sequences(&mut tx).await?;
    tx.commit().await?;
    read.commit().await?;
    Ok(summary)
}

/// `tanggap export sqlite-to-postgres`: copies, then prints rows per table.
pub async fn run(configured: &str, args: &SqliteToPostgresArgs) -> anyhow::Result<()> {
    let from = args.from.as_deref().unwrap_or(configured);
    let summary = sqlite_to_postgres(from, &args.to).await?;
    for (table, rows) in &summary.tables {
        println!("{table}: {rows}");
    }
    let rows: i64 = summary.tables.iter().map(|(_, n)| n).sum();
    println!(
        "{}",
        both(
            "export.done",
            &[
                ("tables", &summary.tables.len().to_string()),
                ("rows", &rows.to_string())
            ]
        )
    );
    Ok(())
}

/// An identifier in double quotes (table and column names come from the catalog).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Tables that PostgreSQL migrations put rows into (`INSERT INTO name`): the only
/// rows an otherwise empty target may hold.
fn seeded_tables() -> BTreeSet<String> {
    let mut seeded = BTreeSet::new();
    for migration in embedded_migrations(Backend::Postgres).migrations.iter() {
        let sql = migration.sql.to_ascii_lowercase();
        for piece in sql.split("insert into").skip(1) {
            let name: String = piece
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                seeded.insert(name);
            }
        }
    }
    seeded
}

/// The target's tables with their columns, each after every table it refers to.
async fn copy_order(pool: &sqlx::PgPool) -> anyhow::Result<Vec<Table>> {
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.udt_name::text \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '_sqlx_migrations' AND c.is_generated = 'NEVER' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(pool)
    .await?;
    let references: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, ref.relname::text, a.attname::text \
         FROM pg_constraint k \
         JOIN pg_class cl ON cl.oid = k.conrelid \
         JOIN pg_class ref ON ref.oid = k.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) \
         WHERE k.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(pool)
    .await?;
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (table, column, udt) in columns {
        let kind = match udt.as_str() {
            "int2" | "int4" | "int8" => Kind::Int,
            "bool" => Kind::Bool,
            "bytea" => Kind::Bytes,
            "timestamptz" => Kind::Time,
            "date" => Kind::Date,
            "text" | "varchar" => Kind::Text,
            other => anyhow::bail!(both(
                "export.unsupported",
                &[("table", &table), ("column", &column), ("kind", other)]
            )),
        };
        tables
            .entry(table.clone())
            .or_insert_with(|| Table {
                name: table,
                columns: Vec::new(),
                self_refs: Vec::new(),
            })
            .columns
            .push(Column { name: column, kind });
    }
    let mut needs: BTreeMap<String, BTreeSet<String>> = tables.keys().map(|t| (t.clone(), BTreeSet::new())).collect();
    for (table, referred, column) in references {
        if table == referred {
            if let Some(t) = tables.get_mut(&table) {
                t.self_refs.push(column);
            }
        } else if let Some(set) = needs.get_mut(&table) {
            set.insert(referred);
        }
    }
    let mut order = Vec::new();
    while !needs.is_empty() {
        let ready: Vec<String> = needs
            .iter()
            .filter(|(_, wanted)| wanted.iter().all(|w| !needs.contains_key(w)))
            .map(|(t, _)| t.clone())
            .collect();
        if ready.is_empty() {
            let stuck: Vec<&str> = needs.keys().map(String::as_str).collect();
            anyhow::bail!(both("export.cycle", &[("tables", &stuck.join(", "))]));
        }
        for name in ready {
            needs.remove(&name);
            order.push(tables.remove(&name).expect("every table has columns"));
        }
    }
    Ok(order)
}

/// Reads one column of a SQLite row as the PostgreSQL column wants it.
fn read_value(row: &SqliteRow, index: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Int => Value::Int(row.try_get_unchecked(index)?),
        Kind::Bool => Value::Bool(row.try_get_unchecked(index)?),
        Kind::Bytes => Value::Bytes(row.try_get_unchecked(index)?),
        Kind::Time => Value::Time(row.try_get_unchecked(index)?),
        Kind::Date => Value::Date(row.try_get_unchecked(index)?),
        Kind::Text => Value::Text(row.try_get_unchecked(index)?),
    })
}

/// Copies one table in batches; returns how many rows it copied.
async fn copy_table(
    read: &mut sqlx::SqliteConnection,
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &Table,
) -> anyhow::Result<i64> {
    let names: Vec<String> = table.columns.iter().map(|c| quoted(&c.name)).collect();
    let select = format!("SELECT {} FROM {}", names.join(", "), quoted(&table.name));
    let id_index = table.columns.iter().position(|c| c.name == "id");
    let deferred: Vec<usize> = table
        .self_refs
        .iter()
        .filter_map(|r| table.columns.iter().position(|c| &c.name == r))
        .collect();
    if !deferred.is_empty() && id_index.is_none() {
        anyhow::bail!(both("export.cycle", &[("tables", &table.name)]));
    }
    // PostgreSQL takes at most 65,535 parameters in one statement.
    let per_batch = (30_000 / table.columns.len().max(1)).max(1);
    let mut rows = sqlx::query(&select).fetch(&mut *read);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_batch);
    let mut later: Vec<(usize, i64, i64)> = Vec::new();
    let mut copied = 0i64;
    while let Some(row) = rows.try_next().await? {
        let mut values = Vec::with_capacity(table.columns.len());
        for (i, column) in table.columns.iter().enumerate() {
            let value = read_value(&row, i, column.kind).map_err(|e| {
                anyhow::anyhow!(both(
                    "export.bad_value",
                    &[
                        ("table", &table.name),
                        ("column", &column.name),
                        ("row", &(copied + 1).to_string()),
                        ("detail", &e.to_string()),
                    ]
                ))
            })?;
            values.push(value);
        }
        for &i in &deferred {
            if let (Value::Int(Some(refers)), Some(Value::Int(Some(id)))) = (&values[i], id_index.map(|x| &values[x])) {
                later.push((i, *id, *refers));
                values[i] = Value::Int(None);
            }
        }
        batch.push(values);
        copied += 1;
        if batch.len() == per_batch {
            insert(tx, table, &names, std::mem::take(&mut batch)).await?;
        }
    }
    drop(rows);
    if !batch.is_empty() {
        insert(tx, table, &names, batch).await?;
    }
    for (column, id, refers) in later {
        sqlx::query(&format!(
            "UPDATE {} SET {} = $1 WHERE id = $2",
            quoted(&table.name),
            quoted(&table.columns[column].name)
        ))
        .bind(refers)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(copied)
}

/// One multi-row INSERT of a batch.
async fn insert(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    table: &Table,
    names: &[String],
    batch: Vec<Vec<Value>>,
) -> anyhow::Result<()> {
    let mut query: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("INSERT INTO {} ({}) ", quoted(&table.name), names.join(", ")));
    query.push_values(batch, |mut row, values| {
        for value in values {
            match value {
                Value::Int(v) => row.push_bind(v),
                Value::Bool(v) => row.push_bind(v),
                Value::Bytes(v) => row.push_bind(v),
                Value::Time(v) => row.push_bind(v),
                Value::Date(v) => row.push_bind(v),
                Value::Text(v) => row.push_bind(v),
            };
        }
    });
    query.build().execute(&mut **tx).await?;
    Ok(())
}

/// Moves every identity sequence past the highest id copied, so the next complaint,
/// user or response gets a new id.
async fn reset_sequences(tx: &mut sqlx::Transaction<'_, Postgres>) -> anyhow::Result<()> {
    let sequences: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, \
                pg_get_serial_sequence(quote_ident(table_name::text), column_name::text) \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
           AND pg_get_serial_sequence(quote_ident(table_name::text), column_name::text) IS NOT NULL",
    )
    .fetch_all(&mut **tx)
    .await?;
    for (table, column, sequence) in sequences {
        sqlx::query(&format!(
            "SELECT setval($1::regclass, COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
            quoted(&column),
            quoted(&table)
        ))
        .bind(sequence)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
