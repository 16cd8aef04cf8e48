//! The survey import's readers, one per format, each handing data rows to the
//! typed columns of [`Checker`] without a `String` per cell:
//! - CSV through the LAPOR! import's record reader (encodings, separators,
//!   spreadsheet row numbers), each field borrowed from the reused record;
//! - XLSX through its streaming sheet reader (the archive checks first), each cell
//!   as calamine gives it;
//! - Parquet through the decoders of `analytics::survey_file`, a slice of rows at a
//!   time, only the columns the layout names.
//!
//! The first row that is not blank is the header; blank rows are not counted.

use chrono::NaiveDate;

use super::columns::{Cell, Checker};
use super::{FileError, RejectedRow, find_columns};
use crate::i18n::{Lang, t, tf};
use crate::lapor::ImportError;
use crate::lapor::read::{self, CsvRecord, FileKind, MAX_COLUMNS, MAX_ROWS};
use crate::storage::model::{Service, SurveyRuleSet, Unit};

/// What reading a file gave, before anything is stored.
pub(crate) struct Read<'c> {
    /// How the file was read.
    pub format: String,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// The accepted rows, typed, and the refused ones.
    pub checker: Checker<'c>,
}

/// Where the reading is: before the header, or filling the columns.
struct State<'c> {
    unit: &'c Unit,
    services: &'c [Service],
    rule_set: &'c SurveyRuleSet,
    today: NaiveDate,
    lang: Lang,
    checker: Option<Checker<'c>>,
    file_error: Option<FileError>,
    rows: usize,
    unreadable: Vec<RejectedRow>,
}

impl<'c> State<'c> {
    /// A row of `width` cells; false when the file cannot be read on.
    fn row<'r>(&mut self, row: u64, width: usize, cell: impl Fn(usize) -> Cell<'r>) -> bool {
        if (0..width).all(|c| cell(c).text().trim().is_empty()) {
            return true;
        }
        match self.checker.as_mut() {
            Some(checker) => {
                self.rows += 1;
                checker.push(row, cell);
                true
            }
            None => {
                let names: Vec<String> = (0..width).map(|c| cell(c).text().into_owned()).collect();
                self.header(&names)
            }
        }
    }

    fn header(&mut self, names: &[String]) -> bool {
        match find_columns(names, self.rule_set, self.lang) {
            Ok(columns) => {
                self.checker = Some(Checker::new(
                    self.unit,
                    self.services,
                    self.rule_set,
                    columns,
                    self.today,
                    self.lang,
                ));
                true
            }
            Err(e) => {
                self.file_error = Some(e);
                false
            }
        }
    }
}

/// Reads a survey file (CSV, XLSX or Parquet, told apart by content) into typed
/// columns and checks every row for one unit and rule set.
pub(crate) fn read<'c>(
    bytes: &[u8],
    unit: &'c Unit,
    services: &'c [Service],
    rule_set: &'c SurveyRuleSet,
    today: NaiveDate,
    lang: Lang,
) -> Result<Read<'c>, FileError> {
    let mut state = State {
        unit,
        services,
        rule_set,
        today,
        lang,
        checker: None,
        file_error: None,
        rows: 0,
        unreadable: Vec::new(),
    };
    let mut format = String::new();
    let lapor_error = |e: ImportError| FileError(e.reason.text(lang));
    if bytes.starts_with(b"PAR1") {
        format = "Parquet".to_owned();
        parquet(bytes, &mut state)?;
    } else {
        match read::file_kind(bytes).map_err(lapor_error)? {
            FileKind::Xlsx => xlsx(bytes, &mut state, &mut format).map_err(lapor_error)?,
            FileKind::Csv => csv(bytes, &mut state, &mut format).map_err(lapor_error)?,
        }
    }
    if let Some(e) = state.file_error {
        return Err(e);
    }
    let Some(mut checker) = state.checker else {
        return Err(FileError(t(lang, "survey_import.empty").to_owned()));
    };
    checker.judge();
    checker.rejected.extend(state.unreadable);
    checker.rejected.sort_by_key(|r| r.row);
    Ok(Read {
        format,
        rows: state.rows,
        checker,
    })
}

fn csv(bytes: &[u8], state: &mut State<'_>, format: &mut String) -> Result<(), ImportError> {
    let lang = state.lang;
    read::csv_records(
        bytes,
        |opened| *format = opened.format.clone(),
        |record| match record {
            CsvRecord::Cells(row, record) => {
                let width = record.len().min(MAX_COLUMNS);
                let record = &*record;
                state.row(row, width, |c| match record.get(c) {
                    Some(text) if c < width => Cell::Text(text),
                    _ => Cell::Empty,
                })
            }
            CsvRecord::Unreadable(row, reason) => {
                state.rows += 1;
                state.unreadable.push(RejectedRow {
                    row,
                    reason: reason.text(lang),
                });
                true
            }
        },
    )
}

fn xlsx(bytes: &[u8], state: &mut State<'_>, format: &mut String) -> Result<(), ImportError> {
    use calamine::DataRef;
    let mut budget = crate::lapor::expansion::TextBudget::new(bytes.len());
    let mut at: Vec<usize> = Vec::new();
    read::xlsx_rows(
        bytes,
        None,
        |opened| *format = opened.format.clone(),
        |row, cells| {
            let width = cells.last().map_or(0, |(c, _)| c + 1);
            at.clear();
            at.resize(width, usize::MAX);
            for (i, (c, value)) in cells.iter().enumerate() {
                at[*c] = i;
                // A shared string is stored once but may fill many cells.
                match value {
                    DataRef::String(s) => budget.take(s.len())?,
                    DataRef::SharedString(s) => budget.take(s.len())?,
                    _ => {}
                }
            }
            let cells = &*cells;
            let at = &at;
            Ok(state.row(row, width, |c| {
                let Some(i) = at.get(c).copied().filter(|i| *i != usize::MAX) else {
                    return Cell::Empty;
                };
                match &cells[i].1 {
                    DataRef::Empty => Cell::Empty,
                    DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Cell::Text(s),
                    DataRef::SharedString(s) => Cell::Text(s),
                    DataRef::Int(i) => Cell::Int(*i),
                    DataRef::Float(f) => Cell::Float(*f),
                    DataRef::Bool(b) => Cell::Bool(*b),
                    DataRef::DateTime(d) => d.as_datetime().map_or(Cell::Float(d.as_f64()), Cell::DateTime),
                    DataRef::Error(e) => Cell::Owned(format!("#{e}")),
                }
            }))
        },
    )
}

fn parquet(bytes: &[u8], state: &mut State<'_>) -> Result<(), FileError> {
    use analytics::survey_file::Cell as Typed;
    let lang = state.lang;
    let state = std::cell::RefCell::new(state);
    // File column -> place among the decoded ones.
    let place: std::cell::RefCell<Vec<Option<usize>>> = Default::default();
    let select = |names: &[&str]| {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut state = state.borrow_mut();
        if !state.header(&names) {
            return None;
        }
        let columns = &state.checker.as_ref()?.columns;
        let mut wanted: Vec<usize> = [Some(columns.date), columns.unit, columns.service]
            .into_iter()
            .flatten()
            .chain(columns.elements.iter().map(|(_, c)| *c))
            .chain(columns.profile.values().copied())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut place = place.borrow_mut();
        *place = vec![None; names.len()];
        for (i, c) in wanted.iter().enumerate() {
            place[*c] = Some(i);
        }
        Some(wanted)
    };
    let mut too_many = false;
    let result = analytics::survey_file::parquet_slices(bytes, select, |line, n, columns| {
        let place = place.borrow();
        let mut state = state.borrow_mut();
        for i in 0..n {
            let cell = |c: usize| match place.get(c).copied().flatten().map(|p| columns[p].get(i)) {
                None | Some(Typed::Null) => Cell::Empty,
                Some(Typed::Int(v)) => i64::try_from(v).map_or_else(|_| Cell::Owned(v.to_string()), Cell::Int),
                Some(Typed::Float(f)) => Cell::Float(f),
                Some(Typed::Day(d)) => d
                    .checked_add(719_163)
                    .and_then(NaiveDate::from_num_days_from_ce_opt)
                    .map_or(Cell::Empty, Cell::Day),
                Some(Typed::Text(t)) => Cell::Text(t),
            };
            if !state.row(line + i as u64, place.len(), cell) {
                return false;
            }
            if state.rows > MAX_ROWS {
                too_many = true;
                return false;
            }
        }
        true
    });
    if too_many {
        let max = MAX_ROWS.to_string();
        return Err(FileError(tf(
            lang,
            "lapor_reason.terlalu_banyak_baris",
            &[("max", &max)],
        )));
    }
    result.map_err(|e| {
        let detail = match e {
            analytics::survey_file::FileError::Unreadable(why) => why,
            other => other.to_string(),
        };
        FileError(tf(lang, "survey_import.unreadable", &[("detail", &detail)]))
    })
}
