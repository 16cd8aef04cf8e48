//! The survey interchange file (../shared/domain/SKM.md, "Interchange layout"): one
//! row per respondent, UTF-8 CSV with a header. Element columns are recognised by
//! `u1..uN` or by element name in any order, so files that list Pengaduan before
//! Sarana land right.
//!
//! `tanggap analytics ikm` reads files with the streaming, column-wise readers of
//! `analytics::survey_file` and words their rejections with [`reason`]. The row-wise
//! readers here ([`read_csv`], [`read_table`]) build whole columns of owned cells;
//! they stay as the reference the streaming path is checked against, row for row
//! and group for group (tests/tests/e2e/survey_files.rs).

use std::io::Read;

use analytics::survey_file::{FileError, Layout, PROFILE, RowProblem};
use analytics::{RuleSet, SurveyColumns, SurveyRow};

/// Why a file could not be read at all (as opposed to single bad rows).
#[derive(Debug, thiserror::Error)]
pub enum InterchangeError {
    /// Not CSV, or unreadable.
    #[error("berkas tidak dapat dibaca sebagai CSV / not a readable CSV file: {0}")]
    Csv(#[from] csv::Error),
    /// A required column is absent.
    #[error("kolom wajib tidak ada / required column missing: {0}")]
    MissingColumn(String),
    /// No element column was recognised.
    #[error("tidak ada kolom unsur yang dikenali (u1..u{0} atau nama unsur) / no element column recognised")]
    NoElements(usize),
    /// Not Parquet, cut short, or unreadable.
    #[error("berkas tidak dapat dibaca / unreadable file: {0}")]
    Unreadable(String),
    /// The question cannot be answered on this file.
    #[error(transparent)]
    Analytics(#[from] analytics::AnalyticsError),
}

/// One row that was skipped, with its line number (header = line 1) and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Line in the file.
    pub line: u64,
    /// Why, in Indonesian.
    pub reason: String,
}

/// What was read: the columns for analytics, and the rows that were not taken.
#[derive(Debug)]
pub struct InterchangeData {
    /// Accepted respondents.
    pub columns: SurveyColumns,
    /// Skipped rows.
    pub rejected: Vec<RejectedRow>,
}

pub use analytics::survey_file::{normalize, parse_date};

/// The reason shown for a row the streaming readers skipped, worded as the row-wise
/// reader words it.
pub fn reason(problem: &RowProblem, rule_set: &RuleSet) -> String {
    match problem {
        RowProblem::Unreadable(e) => format!("baris tidak dapat dibaca: {e}"),
        RowProblem::BadDate(v) => format!("tanggal tidak valid: {v:?}"),
        RowProblem::BadScore { element, value } => {
            format!("nilai {} harus 1-4, bukan {value:?}", rule_set.elements[*element].code)
        }
        RowProblem::NoScores => "tidak ada nilai unsur yang diisi".into(),
    }
}

impl From<FileError> for InterchangeError {
    fn from(e: FileError) -> Self {
        match e {
            FileError::MissingColumn(c) => InterchangeError::MissingColumn(c),
            FileError::NoElements(k) => InterchangeError::NoElements(k),
            FileError::Unreadable(why) => InterchangeError::Unreadable(why),
            FileError::Analytics(e) => InterchangeError::Analytics(e),
        }
    }
}

/// Reads an interchange CSV (comma or semicolon separated) for `rule_set`.
/// `default_unit` is used when the file has no `unit` column.
pub fn read_csv(input: impl Read, rule_set: &RuleSet, default_unit: &str) -> Result<InterchangeData, InterchangeError> {
    let mut bytes = Vec::new();
    let mut input = input;
    input.read_to_end(&mut bytes).map_err(csv::Error::from)?;
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter =
        if first_line.iter().filter(|b| **b == b';').count() > first_line.iter().filter(|b| **b == b',').count() {
            b';'
        } else {
            b','
        };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text);
    let raw_headers: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
    let records = reader.records().map(|r| {
        r.map(|record| record.iter().map(str::to_owned).collect::<Vec<_>>())
            .map_err(|e| format!("baris tidak dapat dibaca: {e}"))
    });
    read_records(&raw_headers, records, rule_set, default_unit)
}

/// Reads a survey table that came as Parquet (see `analytics::table`), with the same
/// headers, checks and rejection reasons as a CSV. Line numbers count the header as
/// line 1, as in a spreadsheet.
pub fn read_table(
    table: &analytics::table::TextTable,
    rule_set: &RuleSet,
    default_unit: &str,
) -> Result<InterchangeData, InterchangeError> {
    read_records(
        &table.headers,
        table.rows.iter().cloned().map(Ok),
        rule_set,
        default_unit,
    )
}

/// The rows of any interchange table, whatever file they came from: each a list of
/// cells, or why it could not be read.
fn read_records(
    raw_headers: &[String],
    records: impl Iterator<Item = Result<Vec<String>, String>>,
    rule_set: &RuleSet,
    default_unit: &str,
) -> Result<InterchangeData, InterchangeError> {
    let layout = Layout::resolve(raw_headers, rule_set)?;
    let (date_col, unit_col, service_col, umur_col) = (layout.date, layout.unit, layout.service, layout.umur);
    let element_cols = layout.elements;
    let profile_cols = layout.profile;
    let keys = rule_set.element_keys();
    let mut columns = SurveyColumns::new(&keys, &PROFILE);
    let mut rejected = Vec::new();
    let mut scores: Vec<Option<u8>> = vec![None; keys.len()];
    for (index, record) in records.enumerate() {
        let line = index as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(reason) => {
                rejected.push(RejectedRow { line, reason });
                continue;
            }
        };
        let get = |col: usize| record.get(col).map(|c| c.trim()).unwrap_or_default();
        let Some(date) = parse_date(get(date_col)) else {
            rejected.push(RejectedRow {
                line,
                reason: format!("tanggal tidak valid: {:?}", get(date_col)),
            });
            continue;
        };
        scores.iter_mut().for_each(|s| *s = None);
        let mut bad = None;
        for (element, col) in &element_cols {
            match get(*col) {
                "" => {}
                v => match v.parse::<u8>() {
                    Ok(n @ 1..=4) => scores[*element] = Some(n),
                    _ => {
                        bad = Some(format!(
                            "nilai {} harus 1-4, bukan {v:?}",
                            rule_set.elements[*element].code
                        ))
                    }
                },
            }
        }
        if let Some(reason) = bad {
            rejected.push(RejectedRow { line, reason });
            continue;
        }
        if scores.iter().all(Option::is_none) {
            rejected.push(RejectedRow {
                line,
                reason: "tidak ada nilai unsur yang diisi".into(),
            });
            continue;
        }
        let profile: Vec<Option<&str>> = profile_cols
            .iter()
            .map(|c| c.map(get).filter(|v| !v.is_empty()))
            .collect();
        let umur = umur_col.map(get).and_then(|v| v.parse::<u32>().ok());
        columns.push(SurveyRow {
            unit: unit_col.map(get).filter(|u| !u.is_empty()).unwrap_or(default_unit),
            service: service_col.map(get).unwrap_or_default(),
            date,
            scores: &scores,
            profile: &profile,
            umur,
        });
    }
    Ok(InterchangeData { columns, rejected })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn element_names_are_recognised_in_any_order() {
        let rs = RuleSet::permenpan_14_2017();
        let csv = "tanggal,layanan,Persyaratan,\"Sistem, Mekanisme, dan Prosedur\",Waktu Penyelesaian,Biaya/Tarif,\
                   Produk Spesifikasi Jenis Pelayanan,Kompetensi Pelaksana,Perilaku Pelaksana,\
                   \"Penanganan Pengaduan, Saran dan Masukan\",Sarana dan Prasarana\n\
                   2026-01-02,KTP,4,4,4,4,4,4,4,1,3\n";
        let data = read_csv(csv.as_bytes(), &rs, "x").unwrap();
        let score = |key: &str| data.columns.scores.iter().find(|(k, _)| k == key).unwrap().1[0];
        assert_eq!(
            score("pengaduan"),
            Some(1),
            "Pengaduan listed before Sarana still lands on pengaduan"
        );
        assert_eq!(score("sarana"), Some(3));
        assert_eq!(score("prosedur"), Some(4));
    }

    #[test]
    fn rows_are_read_and_bad_rows_reported() {
        let rs = RuleSet::permenpan_14_2017();
        let csv = "\u{feff}tanggal;unit;layanan;u1;u2;u3;u4;u5;u6;u7;u8;u9;jenis_kelamin;umur;pendidikan;pekerjaan;saran\n\
                   2026-11-02;dinsos;KTP;4;4;3;4;3;3;4;3;2;P;34;D4/S1;PNS;bagus\n\
                   22/11/2026;dinsos;KTP;3;3;3;3;3;3;3;3;3;;;;;\n\
                   kemarin;dinsos;KTP;3;3;3;3;3;3;3;3;3;;;;;\n\
                   2026-11-03;dinsos;KTP;5;3;3;3;3;3;3;3;3;;;;;\n\
                   2026-11-04;dinsos;KTP;;;;;;;;;;;;;;\n";
        let data = read_csv(csv.as_bytes(), &rs, "x").unwrap();
        assert_eq!(data.columns.len(), 2);
        assert_eq!(data.columns.date[1], NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!(data.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [4, 5, 6]);
        assert!(data.rejected[0].reason.contains("tanggal tidak valid"));
        assert!(data.rejected[1].reason.contains("U1 harus 1-4"));
        assert!(matches!(
            read_csv("a,b\n1,2\n".as_bytes(), &rs, "x"),
            Err(InterchangeError::MissingColumn(_))
        ));
        assert!(matches!(
            read_csv("tanggal,x\n2026-01-01,2\n".as_bytes(), &rs, "x"),
            Err(InterchangeError::NoElements(9))
        ));
    }
}
