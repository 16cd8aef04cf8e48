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
pub mod expansion;
pub mod fields;
pub mod hostile;
pub mod read;
pub mod sample;

use std::collections::HashMap;

use serde::Serialize;

use crate::i18n::{Lang, tf};
use crate::storage::model::{LaporOutcome, LaporReport, Unit};
use crate::storage::{BatchWrite, BulkSession, Store};
pub use fields::Mapping;
use fields::{Field, RowContext, report_from_row};

/// Reports written per transaction by default: small enough that a crash loses
/// little work (a re-run continues after the last committed batch), large enough
/// that a 100,000-row file is ten commits. Each commit flushes the full-text index
/// into a new segment and rewrites the index pages it touched; replaying 100,000
/// imported rows with the sqlite3 shell took 8.9 s in batches of 2,000 and 6.5 s in
/// batches of 10,000 (docs/performance.md).
pub const DEFAULT_BATCH: usize = 10_000;

/// A batch is handed on early once its rows hold this much text, so that a file of
/// long cells does not gather thousands of them before the database takes any.
pub const BATCH_BYTES: usize = 8 << 20;

/// Checked rows (their text plus [`ROW_BYTES`] each) that may wait for the database:
/// the reader stops at a hand-over while the queue holds this much, so what an
/// import holds in memory is bounded whatever the size of the file (issue 17). Large
/// enough that the reader of a usual export (30,000 rows take about 30 MB) reaches
/// the end of the file early and the held batches can commit.
pub const QUEUE_BYTES: usize = 64 << 20;

/// What a row costs on top of its text (its report's strings and bookkeeping), so
/// that [`BATCH_BYTES`] also closes batches of many short rows.
pub const ROW_BYTES: usize = 512;

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

/// Rows checked so far, handed on in file order so the database can store one batch
/// while the next is being checked.
#[derive(Debug)]
pub struct CheckedBatch {
    /// Checked reports with their row numbers, in file order.
    pub reports: Vec<(u64, LaporReport)>,
    /// Data rows looked at so far (taken, rejected or blank), for progress.
    pub rows_seen: usize,
    /// About how much memory the reports hold (their rows' text plus [`ROW_BYTES`]
    /// each), for the queue's budget.
    pub bytes: usize,
}

/// Reads the file, finds its header and checks every data row, handing the checked
/// reports to `sink` in batches of `batch_size` (file order; a batch goes early when
/// its rows hold [`BATCH_BYTES`]) as the file is read.
/// `on_total` hears how many data rows there are: an estimate when the file opens,
/// the exact count before the last batch. Stops early when `sink` answers false (the
/// receiver has gone). Returns how the file was read and the rejected rows in file
/// order.
///
/// A problem with the header is found before any batch; a problem with the rest of
/// the file (an XLSX damaged half-way, too many rows) can come after some batches
/// were handed on, so what the receiver did with them stays provisional until this
/// returns `Ok` ([`import`] keeps them in one open transaction until then).
pub fn check_in_batches(
    bytes: &[u8],
    options: &ImportOptions,
    batch_size: usize,
    mut on_total: impl FnMut(usize),
    mut sink: impl FnMut(CheckedBatch) -> bool,
) -> Result<(String, Vec<RejectedRow>), ImportError> {
    let sheet_name = options.sheet.as_deref().or(options.mapping.sheet.as_deref());
    let zone: chrono_tz::Tz = options.unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let now = chrono::Utc::now();
    let batch_size = batch_size.max(1);
    let mut format = String::new();
    let estimate = std::cell::Cell::new(0usize);
    // Rows before the header is found (title rows, then the header itself).
    let mut leading: Vec<Vec<String>> = Vec::new();
    let mut columns: Option<std::collections::BTreeMap<Field, usize>> = None;
    let mut header_error: Option<ImportError> = None;
    let mut rejected: Vec<RejectedRow> = Vec::new();
    let mut first_row_of: HashMap<String, u64> = HashMap::new();
    let mut batch = Vec::with_capacity(batch_size.min(1 << 16));
    let mut batch_bytes = 0usize;
    // Data rows after the header, blank or not, and whether the receiver still listens.
    let (mut seen, mut listening) = (0usize, true);
    let reading = std::time::Instant::now();
    read::read_rows(
        bytes,
        sheet_name,
        |opened| {
            format = opened.format.clone();
            estimate.set(opened.estimated_rows);
        },
        |row| {
            let (row, cells) = match row {
                read::RowRead::Cells(row, cells) => (row, cells),
                read::RowRead::Unreadable(row, reason) => {
                    rejected.push(RejectedRow {
                        row,
                        reasons: vec![reason],
                    });
                    return true;
                }
            };
            let Some(columns) = &columns else {
                let found = options.mapping.columns(&cells);
                if found.contains_key(&Field::TrackingId) {
                    if let Err(e) = required_columns(&found, &cells) {
                        header_error = Some(e);
                        return false;
                    }
                    // The rows above the header were titles; what follows is data.
                    on_total(estimate.get().saturating_sub(leading.len() + 1));
                    columns = Some(found);
                } else {
                    leading.push(cells);
                    if leading.len() >= read::HEADER_SEARCH_ROWS {
                        header_error = Some(ImportError::new("tanpa_kolom_id", &[]));
                        return false;
                    }
                }
                return true;
            };
            seen += 1;
            if cells.iter().all(|c| c.trim().is_empty()) {
                return true;
            }
            let cx = RowContext {
                unit_id: options.unit.id,
                zone,
                columns,
                mapping: &options.mapping,
                now,
            };
            match report_from_row(&cells, &cx) {
                Ok(report) => match first_row_of.get(&report.tracking_id) {
                    Some(first) => rejected.push(RejectedRow {
                        row,
                        reasons: vec![Reason::new(
                            "id_ganda",
                            &[("id", report.tracking_id.clone()), ("row", first.to_string())],
                        )],
                    }),
                    None => {
                        first_row_of.insert(report.tracking_id.clone(), row);
                        batch.push((row, report));
                        batch_bytes += ROW_BYTES + cells.iter().map(String::len).sum::<usize>();
                    }
                },
                Err(reasons) => rejected.push(RejectedRow { row, reasons }),
            }
            if batch.len() >= batch_size || batch_bytes >= BATCH_BYTES {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size.min(1 << 16)));
                listening = sink(CheckedBatch {
                    reports: full,
                    rows_seen: seen,
                    bytes: std::mem::take(&mut batch_bytes),
                });
            }
            listening
        },
    )?;
    if let Some(e) = header_error {
        return Err(e);
    }
    if columns.is_none() {
        return Err(ImportError::new("tanpa_kolom_id", &[]));
    }
    tracing::debug!(
        seconds = reading.elapsed().as_secs_f64(),
        rows = seen,
        "LAPOR! file read and checked"
    );
    if listening {
        on_total(seen);
        if !batch.is_empty() {
            sink(CheckedBatch {
                reports: batch,
                rows_seen: seen,
                bytes: batch_bytes,
            });
        }
    }
    rejected.sort_by_key(|r| r.row);
    Ok((format, rejected))
}

/// Refuses a header without the columns every report needs, naming what it has.
fn required_columns(columns: &std::collections::BTreeMap<Field, usize>, header: &[String]) -> Result<(), ImportError> {
    let mut missing = Vec::new();
    if !columns.contains_key(&Field::Judul) && !columns.contains_key(&Field::Isi) {
        missing.push("judul/isi");
    }
    if !columns.contains_key(&Field::TanggalLaporan) {
        missing.push("tanggal laporan");
    }
    if missing.is_empty() {
        return Ok(());
    }
    let present: Vec<&str> = header.iter().map(String::as_str).filter(|h| !h.is_empty()).collect();
    Err(ImportError::new(
        "kolom_wajib",
        &[("missing", missing.join(", ")), ("present", present.join(", "))],
    ))
}

/// Reads the file and checks every row, without touching the database: the reports
/// to store (with their row numbers) and the rows rejected.
pub fn parse(bytes: &[u8], options: &ImportOptions) -> Result<Parsed, ImportError> {
    let mut reports = Vec::new();
    let (format, rejected) = check_in_batches(
        bytes,
        options,
        usize::MAX,
        |_| {},
        |batch| {
            reports.extend(batch.reports);
            true
        },
    )?;
    Ok(Parsed {
        format,
        reports,
        rejected,
    })
}

/// The import's answer when the database fails: the rows committed before it stay
/// (a re-run continues after them).
fn database_failure(e: &crate::storage::StoreError, committed: usize) -> ImportError {
    tracing::error!(error = %e, "LAPOR! import stopped on a database error");
    ImportError {
        reason: Reason::new("basis_data", &[("detail", e.to_string())]),
        committed,
    }
}

/// What the checking thread hands the storing loop.
enum Checked {
    /// Data rows in the file: an estimate when it opens, the count at the end.
    Total(usize),
    /// The next batch of checked reports, with its share of the queue's budget
    /// (given back when the batch has been stored).
    Batch(CheckedBatch, tokio::sync::OwnedSemaphorePermit),
    /// The whole file has been read without a file-level problem: what was stored
    /// so far may be committed.
    Whole,
}

/// Imports (or with `dry_run`, only decides) a LAPOR! export into a unit. `progress`
/// is told (data rows done, data rows in the file) after each batch.
///
/// Reading and checking run on a blocking thread that hands checked batches to this
/// task as the file is read, so the database stores the first batch while the rest
/// of the file is still being decoded: on two cores a large file takes about as
/// long as storing it. The queue between them holds at most [`QUEUE_BYTES`] of
/// checked rows: when the database falls that far behind, the reader waits at its
/// next hand-over, so memory stays bounded however large the file. Until the whole file has been
/// read, the stored batches are
/// held in one open transaction ([`BatchWrite::Hold`]), so a file found broken
/// half-way (or too long) leaves nothing behind, as if it had been refused at once;
/// after that every batch commits by itself, so a crash loses at most the batch in
/// flight and a re-run continues. All batches write through one connection (a
/// [`BulkSession`]); after each commit, another connection checkpoints what it
/// wrote while the next batch is stored, so little is left to copy at the end.
/// When a batch fails, nothing after it is stored and the checking thread stops at
/// its next hand-over.
pub async fn import(
    store: &dyn Store,
    bytes: Vec<u8>,
    options: &ImportOptions,
    progress: &mut (dyn FnMut(usize, usize) + Send),
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    let size = options.batch_size.max(1);
    // Bounded: the reader is several times faster than the writer, so it waits here
    // for the database rather than hold the whole file's checked reports. Until it
    // has reached the end of the file the stored batches stay held (in the
    // database's open transaction, not in memory); a file found broken late is
    // rolled back all the same, only later.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Checked>();
    // The queue's budget in KiB (a semaphore counts in u32).
    let budget_kib = (QUEUE_BYTES >> 10) as u32;
    let budget = std::sync::Arc::new(tokio::sync::Semaphore::new(budget_kib as usize));
    let runtime = tokio::runtime::Handle::current();
    // Set as soon as the whole file has been read: the batches already queued
    // behind it may then commit, without waiting for `Checked::Whole` to come up.
    let file_whole = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checker_whole = file_whole.clone();
    let checker_options = options.clone();
    let checker = tokio::task::spawn_blocking(move || {
        let total_sender = sender.clone();
        let checked = check_in_batches(
            &bytes,
            &checker_options,
            size,
            |total| {
                let _ = total_sender.send(Checked::Total(total));
            },
            |batch| {
                // A batch larger than the whole budget waits for all of it.
                let kib = u32::try_from(batch.bytes >> 10)
                    .unwrap_or(u32::MAX)
                    .clamp(1, budget_kib);
                match runtime.block_on(budget.clone().acquire_many_owned(kib)) {
                    Ok(permit) => sender.send(Checked::Batch(batch, permit)).is_ok(),
                    Err(_) => false,
                }
            },
        );
        if checked.is_ok() {
            checker_whole.store(true, std::sync::atomic::Ordering::Release);
            let _ = sender.send(Checked::Whole);
        }
        checked
    });
    let mut report = ImportReport {
        dry_run: options.dry_run,
        ..ImportReport::default()
    };
    let (mut total, mut done) = (0, 0);
    let mut failed = None;
    let mut session = BulkSession::default();
    // Rows committed so far (a database failure reports them: a re-run continues).
    let mut committed_rows = 0;
    // Wakes the checkpointer after each commit; `storing_done` ends it.
    let committed = tokio::sync::Notify::new();
    let storing_done = std::sync::atomic::AtomicBool::new(false);
    let checkpointer = async {
        if options.dry_run {
            return;
        }
        loop {
            committed.notified().await;
            if storing_done.load(std::sync::atomic::Ordering::Acquire) {
                break;
            }
            if let Err(e) = store.checkpoint_bulk_write().await {
                tracing::warn!(error = %e, "checkpoint during the LAPOR! import failed; the end of the import does it");
            }
        }
    };
    let storing = async {
        let mut whole = false;
        while let Some(message) = receiver.recv().await {
            let (batch, permit) = match message {
                Checked::Total(n) => {
                    total = n;
                    progress(done.min(total), total);
                    continue;
                }
                Checked::Whole => {
                    whole = true;
                    if options.dry_run || committed_rows == report.rows.len() {
                        continue;
                    }
                    match store.commit_bulk_write(&mut session).await {
                        Ok(()) => {
                            committed_rows = report.rows.len();
                            committed.notify_one();
                        }
                        Err(e) => {
                            failed = Some(database_failure(&e, committed_rows));
                            break;
                        }
                    }
                    continue;
                }
                Checked::Batch(batch, permit) => (batch, permit),
            };
            let (rows, reports): (Vec<u64>, Vec<LaporReport>) = batch.reports.into_iter().unzip();
            let batch_started = std::time::Instant::now();
            whole = whole || file_whole.load(std::sync::atomic::Ordering::Acquire);
            let write = match (options.dry_run, whole) {
                (true, _) => BatchWrite::DryRun,
                (false, true) => BatchWrite::Commit,
                (false, false) => BatchWrite::Hold,
            };
            match store
                .import_lapor_batch(&mut session, options.unit.id, &reports, options.recorded_by, write)
                .await
            {
                Ok(outcomes) => {
                    for ((row, r), outcome) in rows.into_iter().zip(reports).zip(outcomes) {
                        report.rows.push(RowResult {
                            row,
                            tracking_id: r.tracking_id,
                            outcome,
                        });
                    }
                    done = batch.rows_seen;
                    progress(done, total.max(done));
                    if write == BatchWrite::Commit {
                        committed_rows = report.rows.len();
                        committed.notify_one();
                    }
                    // Stored: the reader may queue that much more.
                    drop(permit);
                    tracing::debug!(
                        at = started.elapsed().as_secs_f64(),
                        seconds = batch_started.elapsed().as_secs_f64(),
                        rows = batch.rows_seen,
                        ?write,
                        "LAPOR! batch stored"
                    );
                }
                Err(e) => {
                    failed = Some(database_failure(&e, committed_rows));
                    break;
                }
            }
        }
        storing_done.store(true, std::sync::atomic::Ordering::Release);
        committed.notify_one();
    };
    tokio::join!(storing, checkpointer);
    // Closing the queue stops the checking thread at its next hand-over.
    drop(receiver);
    let checked = checker.await;
    // Rolls back batches still held (the file turned out broken), gives the
    // connection back and checkpoints what is left (storage).
    if let Err(e) = store.finish_bulk_write(session).await {
        tracing::warn!(error = %e, "checkpoint after the LAPOR! import failed; the next write will do it");
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let (format, rejected) = checked.map_err(|e| {
        tracing::error!(error = %e, "LAPOR! file check stopped");
        ImportError::new("pemeriksaan_terhenti", &[("detail", e.to_string())])
    })??;
    report.format = format;
    report.rejected = rejected;
    tracing::debug!(
        rows = report.rows.len(),
        rejected = report.rejected.len(),
        seconds = started.elapsed().as_secs_f64(),
        dry_run = options.dry_run,
        "LAPOR! import finished"
    );
    Ok(report)
}
