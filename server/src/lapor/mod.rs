//! The SPAN-LAPOR! import (issue 5): complaints that reached a unit through the
//! national system (lapor.go.id) land in the same book as every other complaint.
//!
//! The agency-side export format is not published, so the importer is driven by
//! header names ([`fields`]): built-in aliases for the known LAPOR! fields and a
//! user mapping file for anything else. Files are CSV or XLSX ([`read`]); dates come
//! in the forms Indonesian exports use ([`dates`]). The tracking ID is the key: a
//! report seen before is never a second complaint; a newer export only adds its
//! status change and new follow-ups to the control card. Work is committed per batch
//! ([`crate::storage::Store::import_lapor_batch`]), so a crash leaves no half-imported
//! row and a re-run continues where it stopped (the committed rows are unchanged).

pub mod dates;
pub mod fields;
pub mod read;
pub mod sample;

use std::collections::HashMap;

use serde::Serialize;

use crate::i18n::{Lang, tf};
use crate::storage::Store;
use crate::storage::model::{LaporOutcome, LaporReport, Unit};
pub use fields::Mapping;
use fields::{Field, RowContext, report_from_row};

/// Reports written per transaction by default: small enough that a crash loses
/// little work, large enough that 100,000 rows take a few seconds.
pub const DEFAULT_BATCH: usize = 2_000;

/// Why a row was not taken (or a file could not be read), as a key of the
/// `[lapor_reason]` locale section with its arguments, so it reads in the reader's
/// language; the command line prints it in Bahasa Indonesia.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    /// Key under `lapor_reason.` in the locale files.
    pub key: &'static str,
    /// Values for the `{name}` placeholders.
    pub args: Vec<(&'static str, String)>,
}

impl Reason {
    /// A reason with its placeholder values.
    pub fn new(key: &'static str, args: &[(&'static str, String)]) -> Reason {
        Reason {
            key,
            args: args.to_vec(),
        }
    }

    /// The reason in a language.
    pub fn text(&self, lang: Lang) -> String {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        tf(lang, &format!("lapor_reason.{}", self.key), &args)
    }
}

/// A problem with the whole file (or the database): nothing, or nothing more, is
/// imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// What went wrong.
    pub reason: Reason,
    /// Rows already committed before a database failure (a re-run continues).
    pub committed: usize,
}

impl ImportError {
    /// A file-level error.
    pub fn new(key: &'static str, args: &[(&'static str, String)]) -> ImportError {
        ImportError {
            reason: Reason::new(key, args),
            committed: 0,
        }
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason.text(Lang::Id))
    }
}

impl std::error::Error for ImportError {}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The receiving unit.
    pub unit: Unit,
    /// Extra header names and statuses.
    pub mapping: Mapping,
    /// XLSX sheet (overrides the mapping's).
    pub sheet: Option<String>,
    /// Decide everything, write nothing.
    pub dry_run: bool,
    /// Reports per transaction.
    pub batch_size: usize,
    /// Staff member running the import, for the control card.
    pub recorded_by: Option<i64>,
}

/// One row that was not taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedRow {
    /// Row number as a spreadsheet shows it (the header is a row too).
    pub row: u64,
    /// Every reason found.
    pub reasons: Vec<Reason>,
}

impl RejectedRow {
    /// All reasons as one sentence in a language.
    pub fn text(&self, lang: Lang) -> String {
        self.reasons.iter().map(|r| r.text(lang)).collect::<Vec<_>>().join("; ")
    }
}

/// What happened to one accepted row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowResult {
    /// Row number.
    pub row: u64,
    /// LAPOR! tracking ID.
    pub tracking_id: String,
    /// New, updated or unchanged.
    pub outcome: LaporOutcome,
}

/// The result of an import or a dry run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// How the file was read.
    pub format: String,
    /// Accepted rows in file order.
    pub rows: Vec<RowResult>,
    /// Rejected rows in file order.
    pub rejected: Vec<RejectedRow>,
}

impl ImportReport {
    fn count(&self, f: impl Fn(&LaporOutcome) -> bool) -> usize {
        self.rows.iter().filter(|r| f(&r.outcome)).count()
    }
    /// Rows that became (or would become) new complaints.
    pub fn new_count(&self) -> usize {
        self.count(|o| matches!(o, LaporOutcome::New { .. }))
    }
    /// Rows that updated an imported complaint.
    pub fn updated_count(&self) -> usize {
        self.count(|o| matches!(o, LaporOutcome::Updated { .. }))
    }
    /// Rows imported before exactly like this.
    pub fn unchanged_count(&self) -> usize {
        self.count(|o| matches!(o, LaporOutcome::Unchanged { .. }))
    }
    /// The one-line summary, e.g. "baru 3, diperbarui 1, tidak berubah 0, ditolak 2".
    pub fn summary(&self, lang: Lang) -> String {
        tf(
            lang,
            "lapor_import.summary",
            &[
                ("new", &self.new_count().to_string()),
                ("updated", &self.updated_count().to_string()),
                ("unchanged", &self.unchanged_count().to_string()),
                ("rejected", &self.rejected.len().to_string()),
            ],
        )
    }
}

/// A file read and checked, before the database is asked anything.
#[derive(Debug)]
pub struct Parsed {
    /// How the file was read.
    pub format: String,
    /// Checked reports with their row numbers, in file order.
    pub reports: Vec<(u64, LaporReport)>,
    /// Rejected rows, in file order.
    pub rejected: Vec<RejectedRow>,
}

/// Reads the file and checks every row, without touching the database: the reports
/// to store (with their row numbers) and the rows rejected.
pub fn parse(bytes: &[u8], options: &ImportOptions) -> Result<Parsed, ImportError> {
    let sheet_name = options.sheet.as_deref().or(options.mapping.sheet.as_deref());
    let sheet = read::read_sheet(bytes, sheet_name)?;
    let header_at = sheet
        .rows
        .iter()
        .take(read::HEADER_SEARCH_ROWS)
        .position(|(_, cells)| options.mapping.columns(cells).contains_key(&Field::TrackingId))
        .ok_or_else(|| ImportError::new("tanpa_kolom_id", &[]))?;
    let columns = options.mapping.columns(&sheet.rows[header_at].1);
    let mut missing = Vec::new();
    if !columns.contains_key(&Field::Judul) && !columns.contains_key(&Field::Isi) {
        missing.push("judul/isi");
    }
    if !columns.contains_key(&Field::TanggalLaporan) {
        missing.push("tanggal laporan");
    }
    if !missing.is_empty() {
        let present: Vec<&str> = sheet.rows[header_at]
            .1
            .iter()
            .map(String::as_str)
            .filter(|h| !h.is_empty())
            .collect();
        return Err(ImportError::new(
            "kolom_wajib",
            &[("missing", missing.join(", ")), ("present", present.join(", "))],
        ));
    }
    let zone: chrono_tz::Tz = options.unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let cx = RowContext {
        unit_id: options.unit.id,
        zone,
        columns: &columns,
        mapping: &options.mapping,
        now: chrono::Utc::now(),
    };
    let mut reports = Vec::new();
    let mut rejected: Vec<RejectedRow> = sheet
        .unreadable
        .into_iter()
        .map(|(row, reason)| RejectedRow {
            row,
            reasons: vec![reason],
        })
        .collect();
    let mut first_row_of: HashMap<String, u64> = HashMap::new();
    for (row, cells) in sheet.rows.iter().skip(header_at + 1) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match report_from_row(cells, &cx) {
            Ok(report) => match first_row_of.get(&report.tracking_id) {
                Some(first) => rejected.push(RejectedRow {
                    row: *row,
                    reasons: vec![Reason::new(
                        "id_ganda",
                        &[("id", report.tracking_id.clone()), ("row", first.to_string())],
                    )],
                }),
                None => {
                    first_row_of.insert(report.tracking_id.clone(), *row);
                    reports.push((*row, report));
                }
            },
            Err(reasons) => rejected.push(RejectedRow { row: *row, reasons }),
        }
    }
    rejected.sort_by_key(|r| r.row);
    Ok(Parsed {
        format: sheet.format,
        reports,
        rejected,
    })
}

/// Imports (or with `dry_run`, only decides) a LAPOR! export into a unit. `progress`
/// is told (rows done, rows to store) after each batch.
pub async fn import(
    store: &dyn Store,
    bytes: &[u8],
    options: &ImportOptions,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    let Parsed {
        format,
        reports,
        rejected,
    } = parse(bytes, options)?;
    let total = reports.len();
    tracing::debug!(
        rows = total,
        rejected = rejected.len(),
        seconds = started.elapsed().as_secs_f64(),
        "LAPOR! file read"
    );
    let storing = std::time::Instant::now();
    let mut report = ImportReport {
        dry_run: options.dry_run,
        format,
        rows: Vec::with_capacity(total),
        rejected,
    };
    progress(0, total);
    let (row_numbers, reports): (Vec<u64>, Vec<LaporReport>) = reports.into_iter().unzip();
    let size = options.batch_size.max(1);
    for (rows, batch) in row_numbers.chunks(size).zip(reports.chunks(size)) {
        let outcomes = store
            .import_lapor_batch(options.unit.id, batch, options.recorded_by, options.dry_run)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "LAPOR! import batch failed");
                ImportError {
                    reason: Reason::new("basis_data", &[("detail", e.to_string())]),
                    committed: if options.dry_run { 0 } else { report.rows.len() },
                }
            })?;
        for ((row, r), outcome) in rows.iter().zip(batch).zip(outcomes) {
            report.rows.push(RowResult {
                row: *row,
                tracking_id: r.tracking_id.clone(),
                outcome,
            });
        }
        progress(report.rows.len(), total);
    }
    tracing::debug!(
        rows = total,
        seconds = storing.elapsed().as_secs_f64(),
        dry_run = options.dry_run,
        "LAPOR! rows stored"
    );
    Ok(report)
}
