//! The IKM of a survey file (the interchange layout of SKM.md) read column-wise and
//! streaming, so a file of any length runs in memory bounded by its groups.
//!
//! - CSV is cut into blocks at record boundaries and parsed by several threads into
//!   reused byte records (no `String` per cell); Parquet is decoded one row group at a
//!   time, only the columns the layout names, straight into arrow arrays (any integer
//!   width, integral floats, dates, text).
//! - Each block or row group is checked column by column: a date column, then one
//!   pass per element column, marking the rows to reject; the kept rows go into
//!   per-group sums ([`accumulate`]) that merge exactly, so the threads' sums add up to
//!   what one pass would give.
//! - Rejected rows keep their line number (header = line 1, one line per record, as
//!   the row-wise reader counted) and a [`RowProblem`]; the caller words the reason.
//!
//! The files come from the caller: a [`std::io::Read`] for CSV, a [`ReadAt`] (an open
//! file, or bytes in memory) for Parquet.

mod accumulate;
mod batch;
mod cells;
mod csv_blocks;
mod parquet_groups;

use std::sync::Mutex;

pub use cells::{normalize, parse_date};
pub use csv_blocks::{ikm_csv, ikm_csv_file};
pub use parquet_groups::{Cell, ParquetColumn, ReadAt, ikm_parquet, parquet_slices};

use crate::calendar::DateRange;
use crate::error::AnalyticsError;
use crate::ikm::{IkmQuery, IkmReport, WeightUsed, baseline_plan, report};
use crate::rules::RuleSet;
pub(crate) use accumulate::IkmAccumulator;

/// Profile columns of the interchange layout, in the order the text slots hold them.
pub const PROFILE: [&str; 3] = ["jenis_kelamin", "pendidikan", "pekerjaan"];

/// Text slots handed to the accumulator per row: unit, service, then [`PROFILE`].
pub(crate) const TEXT_SLOTS: usize = 2 + PROFILE.len();

/// Where each column of the layout sits in a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The `tanggal` column.
    pub date: usize,
    /// The `unit` column, when the file has one.
    pub unit: Option<usize>,
    /// The `layanan` column, when the file has one.
    pub service: Option<usize>,
    /// (element index in the rule set, column), in file order.
    pub elements: Vec<(usize, usize)>,
    /// The [`PROFILE`] columns.
    pub profile: [Option<usize>; 3],
    /// The `umur` column.
    pub umur: Option<usize>,
}

impl Layout {
    /// Finds the layout's columns in a header row: `tanggal` is required, element
    /// columns are recognised by `u1..uN`, key or name in any order, the rest are
    /// optional.
    pub fn resolve<S: AsRef<str>>(headers: &[S], rule_set: &RuleSet) -> Result<Layout, FileError> {
        let normalized: Vec<String> = headers.iter().map(|h| normalize(h.as_ref())).collect();
        let find = |names: &[&str]| normalized.iter().position(|h| names.iter().any(|n| normalize(n) == *h));
        let date = find(&["tanggal", "date"]).ok_or_else(|| FileError::MissingColumn("tanggal".into()))?;
        let elements: Vec<(usize, usize)> = headers
            .iter()
            .enumerate()
            .filter_map(|(col, h)| {
                let element = rule_set.element_for_header(h.as_ref())?;
                rule_set
                    .elements
                    .iter()
                    .position(|e| e.key == element.key)
                    .map(|i| (i, col))
            })
            .collect();
        if elements.is_empty() {
            return Err(FileError::NoElements(rule_set.elements.len()));
        }
        Ok(Layout {
            date,
            unit: find(&["unit"]),
            service: find(&["layanan", "jenis_layanan", "service"]),
            elements,
            profile: PROFILE.map(|p| find(&[p])),
            umur: find(&["umur", "usia"]),
        })
    }

    /// Every column the computation reads, each once.
    pub(crate) fn columns(&self) -> Vec<usize> {
        let mut cols: Vec<usize> = [Some(self.date), self.unit, self.service, self.umur]
            .into_iter()
            .chain(self.profile)
            .flatten()
            .chain(self.elements.iter().map(|(_, c)| *c))
            .collect();
        cols.sort_unstable();
        cols.dedup();
        cols
    }
}

/// Why a whole file could not be read (as opposed to single bad rows).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// A required column is absent.
    #[error("kolom wajib tidak ada / required column missing: {0}")]
    MissingColumn(String),
    /// No element column was recognised (the rule set has this many elements).
    #[error("tidak ada kolom unsur yang dikenali (u1..u{0} atau nama unsur) / no element column recognised")]
    NoElements(usize),
    /// Not CSV or Parquet, cut short, or unreadable.
    #[error("berkas tidak dapat dibaca / unreadable file: {0}")]
    Unreadable(String),
    /// The query cannot be answered on this data.
    #[error(transparent)]
    Analytics(#[from] AnalyticsError),
}

/// Why one row was not taken. The caller words it (see the server's interchange
/// module); the values are the cell as the file holds it, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowProblem {
    /// The record could not be read (invalid UTF-8): the CSV reader's own words.
    Unreadable(String),
    /// The date cell is not a date.
    BadDate(String),
    /// A score is not 1-4: the element (index in the rule set) and the cell. When
    /// several are bad, the last in file order.
    BadScore {
        /// Element index in the rule set.
        element: usize,
        /// The cell.
        value: String,
    },
    /// No element was answered.
    NoScores,
}

/// A row that was skipped, with its line (header = line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Line in the file: data record index + 2.
    pub line: u64,
    /// Why.
    pub problem: RowProblem,
}

/// What reading a file gave: the report over the accepted rows, how many there were,
/// and the rows skipped, in line order.
#[derive(Debug)]
pub struct FileIkm {
    /// The IKM per group of the query.
    pub report: IkmReport,
    /// Rows accepted (whatever the query's date range).
    pub accepted: u64,
    /// Rows skipped.
    pub rejected: Vec<Rejected>,
}

/// The query resolved for streaming: the sums to fill and how to report them.
pub(crate) struct Plan<'q> {
    query: &'q IkmQuery,
    weight: WeightUsed,
    baseline: Option<DateRange>,
    comparison_range: Option<DateRange>,
    wants_age: bool,
}

impl<'q> Plan<'q> {
    pub(crate) fn new(query: &'q IkmQuery) -> Result<Self, FileError> {
        query.rule_set.validate()?;
        let plan = baseline_plan(query)?;
        // Checks the dimensions and filters once, before any row is read.
        IkmAccumulator::new(query, &query.range)?;
        let age = crate::ikm::Dimension::Profile(crate::frame::COL_UMUR_KELOMPOK.into());
        Ok(Plan {
            query,
            weight: query.weight.resolve(query.rule_set.elements.len()),
            baseline: plan.aggregate,
            comparison_range: plan.comparison_range,
            wants_age: query.group_by.contains(&age) || query.filters.iter().any(|f| f.dimension == age),
        })
    }

    /// Fresh sums for one worker: the query's range and, when needed, the baseline's.
    pub(crate) fn sums(&self) -> Sums {
        let make = |range: &DateRange| IkmAccumulator::new(self.query, range).expect("checked in Plan::new");
        Sums {
            now: make(&self.query.range),
            base: self.baseline.as_ref().map(make),
            accepted: 0,
            ages: false,
        }
    }

    /// Merges the workers' sums and words the report.
    pub(crate) fn finish(&self, parts: Vec<Sums>, rejected: Vec<Rejected>) -> Result<FileIkm, FileError> {
        let mut parts = parts.into_iter();
        let mut all = parts.next().unwrap_or_else(|| self.sums());
        for p in parts {
            all.now.merge(p.now);
            if let (Some(a), Some(b)) = (all.base.as_mut(), p.base) {
                a.merge(b);
            }
            all.accepted += p.accepted;
            all.ages |= p.ages;
        }
        if self.wants_age && !all.ages && all.accepted > 0 {
            // As the frame-based path: without any age there is no age column.
            return Err(AnalyticsError::MissingColumn(crate::frame::COL_UMUR_KELOMPOK.into()).into());
        }
        let agg = all.now.finish(&self.weight);
        let base = all.base.map(|b| b.finish(&self.weight));
        Ok(FileIkm {
            report: report(self.query, &self.weight, agg, base, self.comparison_range),
            accepted: all.accepted,
            rejected,
        })
    }
}

/// One worker's sums.
pub(crate) struct Sums {
    now: IkmAccumulator,
    base: Option<IkmAccumulator>,
    accepted: u64,
    ages: bool,
}

impl Sums {
    /// Adds the kept rows of a typed batch.
    pub(crate) fn push_rows(&mut self, rows: &batch::Rows<'_>) {
        self.accepted += rows.keep.iter().filter(|k| **k).count() as u64;
        if let Some(ages) = rows.umur {
            self.ages |= ages.iter().zip(rows.keep).any(|(a, k)| *k && a.is_some());
        }
        self.now.push_rows(rows);
        if let Some(b) = self.base.as_mut() {
            b.push_rows(rows);
        }
    }
}

/// Runs `work` on `threads` scoped threads, each with its own sums, pulling work
/// items from `next` until it answers `None`, while `produce` runs on the calling
/// thread (feeding `next`, or doing nothing). After a failure the workers keep
/// draining `next` without working, so a producer never waits on them. Returns every
/// thread's sums and every item's result.
pub(crate) fn run_workers<I, R: Send>(
    plan: &Plan<'_>,
    threads: usize,
    produce: impl FnOnce() -> Result<(), FileError>,
    next: impl Fn() -> Option<I> + Sync,
    work: impl Fn(I, &mut Sums) -> Result<R, FileError> + Sync,
) -> Result<(Vec<Sums>, Vec<R>), FileError> {
    let results = Mutex::new(Vec::new());
    let failure: Mutex<Option<FileError>> = Mutex::new(None);
    let (sums, produced) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let mut sums = plan.sums();
                    while let Some(item) = next() {
                        if failure.lock().expect("no poisoned lock").is_some() {
                            continue;
                        }
                        // A panic is an error like any other: the worker goes on
                        // draining the items, so a producer waiting to hand one over
                        // is never left blocked.
                        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(item, &mut sums)))
                            .unwrap_or_else(|_| {
                                Err(FileError::Unreadable(
                                    "kesalahan internal saat membaca berkas / internal error reading the file".into(),
                                ))
                            });
                        match done {
                            Ok(r) => results.lock().expect("no poisoned lock").push(r),
                            Err(e) => {
                                failure.lock().expect("no poisoned lock").get_or_insert(e);
                            }
                        }
                    }
                    sums
                })
            })
            .collect();
        let produced = produce();
        let sums: Vec<Sums> = handles
            .into_iter()
            .map(|h| h.join().expect("worker thread panicked"))
            .collect();
        (sums, produced)
    });
    produced?;
    if let Some(e) = failure.into_inner().expect("no poisoned lock") {
        return Err(e);
    }
    Ok((sums, results.into_inner().expect("no poisoned lock")))
}

/// Threads for file work: one per core, at most 16.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .clamp(1, 16)
}

#[cfg(test)]
mod tests;
