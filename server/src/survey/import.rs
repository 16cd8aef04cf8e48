//! Import of historical survey data (issue 7): a CSV, XLSX or Parquet file in the
//! interchange layout of SKM.md, one row per respondent, lands in `survey_responses`
//! with source `import`, where the analytics read it like any other response.
//!
//! - Element columns are recognised by their header (`u1`..`uN`, the element key or
//!   its name, case and punctuation ignored), so a file that lists Pengaduan before
//!   Sarana lands on the right elements.
//! - Every row is checked on its own: a bad row is reported with its spreadsheet row
//!   number and an Indonesian reason and never stops the good ones.
//! - Each accepted row carries an import key derived from its content and from how
//!   many identical rows came before it in the file, unique per unit in the database:
//!   importing the same file again (or a file that repeats its rows in another order)
//!   adds nothing, while two genuinely identical forms in one file both count.
//! - The file is read column-wise (issue 18, [`files`], [`columns`]): cells go
//!   straight into typed columns, checked in bulk; a response is only built for the
//!   batch being stored.

mod columns;
mod files;

use std::collections::HashMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::i18n::{Lang, tf};
use crate::storage::model::{NewSurveyResponse, Service, SurveyIntake, SurveyRuleSet, Unit};
use crate::storage::{Store, StoreError};
use crate::survey::interchange::{normalize, parse_date};

/// Responses committed per transaction.
pub const IMPORT_BATCH: usize = 500;

/// A problem with the whole file: nothing is imported. The text is in the language
/// the import was asked in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

/// One row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Row number as the spreadsheet shows it (the header is row 1 in a plain file).
    pub row: u64,
    /// Why, in the language of the import.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// How the file was read ("CSV, UTF-8, koma", "XLSX, lembar ...").
    pub format: String,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// Responses newly stored.
    pub added: usize,
    /// Rows stored by an earlier import of the same data (nothing added).
    pub known: usize,
    /// Rows refused, with their reasons.
    pub rejected: Vec<RejectedRow>,
}

impl ImportSummary {
    /// One line for the page, the audit log and the command line.
    pub fn summary(&self, lang: Lang) -> String {
        tf(
            lang,
            "survey_import.summary",
            &[
                ("rows", &self.rows.to_string()),
                ("added", &self.added.to_string()),
                ("known", &self.known.to_string()),
                ("rejected", &self.rejected.len().to_string()),
            ],
        )
    }
}

/// The rows of a file checked and turned into responses, before anything is stored.
#[derive(Debug, Default)]
pub struct Prepared {
    /// How the file was read.
    pub format: String,
    /// Data rows read.
    pub rows: usize,
    /// (row number, response) of every acceptable row, import key set.
    pub responses: Vec<(u64, NewSurveyResponse)>,
    /// Refused rows.
    pub rejected: Vec<RejectedRow>,
}

/// Where each known column of the layout sits in the file.
pub(crate) struct Columns {
    date: usize,
    unit: Option<usize>,
    service: Option<usize>,
    /// (element key, column), in file order.
    elements: Vec<(String, usize)>,
    profile: HashMap<&'static str, usize>,
}

/// Profile columns and the header names that mean them.
const PROFILE_HEADERS: [(&str, &[&str]); 5] = [
    ("jenis_kelamin", &["jenis_kelamin", "jk", "gender"]),
    ("umur", &["umur", "usia", "age"]),
    ("pendidikan", &["pendidikan", "education"]),
    ("pekerjaan", &["pekerjaan", "occupation"]),
    ("saran", &["saran", "saran_masukan", "suggestion"]),
];

fn find_columns(headers: &[String], rule_set: &SurveyRuleSet, lang: Lang) -> Result<Columns, FileError> {
    let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let find = |names: &[&str]| {
        normalized
            .iter()
            .position(|h| !h.is_empty() && names.iter().any(|n| normalize(n) == *h))
    };
    let date = find(&["tanggal", "tanggal_pelayanan", "date"])
        .ok_or_else(|| FileError(tf(lang, "survey_import.missing_column", &[("column", "tanggal")])))?;
    let mut elements: Vec<(String, usize)> = Vec::new();
    for (col, h) in normalized.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        let element = rule_set
            .elements
            .iter()
            .find(|e| normalize(&e.code) == *h || normalize(&e.key) == *h || normalize(&e.name) == *h);
        if let Some(e) = element
            && !elements.iter().any(|(k, _)| *k == e.key)
        {
            elements.push((e.key.clone(), col));
        }
    }
    if elements.is_empty() {
        return Err(FileError(tf(
            lang,
            "survey_import.no_elements",
            &[("rule_set", &rule_set.name)],
        )));
    }
    let profile = PROFILE_HEADERS
        .iter()
        .filter_map(|(field, names)| find(names).map(|c| (*field, c)))
        .collect();
    Ok(Columns {
        date,
        unit: find(&["unit", "unit_layanan", "kode_unit"]),
        service: find(&["layanan", "jenis_layanan", "service"]),
        elements,
        profile,
    })
}

/// Reads a date cell: the interchange forms (2026-11-22, 22/11/2026, 22-11-2026) and
/// what a spreadsheet date cell becomes (2026-11-22T00:00:00, 2026-11-22 00:00:00).
pub fn parse_cell_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    parse_date(t).or_else(|| {
        let day = t.split(['T', ' ']).next()?;
        if day.len() < t.len() { parse_date(day) } else { None }
    })
}

/// A cell as the export wrote it: text a spreadsheet could run was given a leading
/// apostrophe ([`crate::csv_safe`]); the import takes it off again so that an export
/// re-imports unchanged.
pub fn unescape_cell(text: &str) -> &str {
    crate::csv_safe::restore(text)
}

/// The digest an import key starts with: everything stored about a response (the
/// key adds how many identical rows came before it in the same file).
fn import_digest(r: &NewSurveyResponse) -> [u8; 16] {
    let content = serde_json::json!([
        r.rule_set_id,
        r.responded_on.to_string(),
        r.service_id,
        r.scores,
        r.profile.jenis_kelamin,
        r.profile.umur,
        r.profile.pendidikan,
        r.profile.pekerjaan,
        r.saran,
    ])
    .to_string();
    let digest = Sha256::digest(content.as_bytes());
    let mut head = [0u8; 16];
    head.copy_from_slice(&digest[..16]);
    head
}

/// Checks every row of a file for one unit and rule set. `today` is the unit's
/// local date (rows after it are refused). Nothing is stored; every accepted row is
/// built as a response with its import key (the import itself builds them a batch
/// at a time).
pub fn prepare(
    bytes: &[u8],
    unit: &Unit,
    services: &[Service],
    rule_set: &SurveyRuleSet,
    today: NaiveDate,
    lang: Lang,
) -> Result<Prepared, FileError> {
    let read = files::read(bytes, unit, services, rule_set, today, lang)?;
    let mut keys = columns::ImportKeys::default();
    let checker = &read.checker;
    let responses = (0..checker.accepted.len())
        .map(|i| {
            let mut r = checker.response(i);
            keys.assign(&mut r);
            (checker.accepted.rows[i], r)
        })
        .collect();
    Ok(Prepared {
        format: read.format,
        rows: read.rows,
        responses,
        rejected: read.checker.rejected,
    })
}

/// Checks a file and stores its good rows in batches (source `import`, entered by
/// `entered_by`). A batch the database refuses as a whole is retried row by row, so
/// one row the database will not take is reported and the rest still land.
pub async fn import(
    store: &dyn Store,
    unit: &Unit,
    rule_set: &SurveyRuleSet,
    bytes: &[u8],
    today: NaiveDate,
    entered_by: Option<i64>,
    lang: Lang,
) -> Result<ImportSummary, ImportFailure> {
    let services = store.list_services(unit.id).await?;
    let read = files::read(bytes, unit, &services, rule_set, today, lang)?;
    let checker = &read.checker;
    let mut summary = ImportSummary {
        format: read.format.clone(),
        rows: read.rows,
        rejected: checker.rejected.clone(),
        ..ImportSummary::default()
    };
    let intake = |r: &NewSurveyResponse| SurveyIntake {
        response: r.clone(),
        kiosk_id: None,
        entered_by,
    };
    // Responses are built from the typed columns one batch at a time, in file order
    // (the import keys count identical rows in that order).
    let mut keys = columns::ImportKeys::default();
    let accepted = checker.accepted.len();
    for start in (0..accepted).step_by(IMPORT_BATCH) {
        let chunk: Vec<(u64, NewSurveyResponse)> = (start..(start + IMPORT_BATCH).min(accepted))
            .map(|i| {
                let mut r = checker.response(i);
                keys.assign(&mut r);
                (checker.accepted.rows[i], r)
            })
            .collect();
        let intakes: Vec<SurveyIntake> = chunk.iter().map(|(_, r)| intake(r)).collect();
        match store.record_survey_batch(&intakes).await {
            Ok(ids) => count(&mut summary, &ids),
            Err(StoreError::Rejected(_) | StoreError::MissingReference(_)) => {
                for (row, r) in &chunk {
                    match store.record_survey_batch(&[intake(r)]).await {
                        Ok(ids) => count(&mut summary, &ids),
                        Err(e @ (StoreError::Rejected(_) | StoreError::MissingReference(_))) => {
                            // The database's own words (English, constraint names) go to
                            // the log; the person reads the reason in their language.
                            tracing::warn!(row = *row, error = %e, "survey import row refused by the database");
                            summary.rejected.push(RejectedRow {
                                row: *row,
                                reason: crate::i18n::t(lang, "survey_import.refused").to_owned(),
                            })
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    summary.rejected.sort_by_key(|r| r.row);
    Ok(summary)
}

fn count(summary: &mut ImportSummary, ids: &[Option<i64>]) {
    for id in ids {
        match id {
            Some(_) => summary.added += 1,
            None => summary.known += 1,
        }
    }
}

/// Why an import stopped: the file, or the database (batches committed before a
/// database failure stay; a re-run adds only what is missing).
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file cannot be read as a survey file.
    #[error(transparent)]
    File(#[from] FileError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Flags of `tanggap import survei`.
#[derive(Debug, clap::Args)]
pub struct SurveyImportArgs {
    /// The survey file: CSV (comma or semicolon; UTF-8 or Windows-1252), XLSX or
    /// Parquet, in the interchange layout.
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// Receiving unit code. May be left out when the database has one unit.
    #[arg(long)]
    pub unit: Option<String>,
    /// Rule set code of the file (default: the default rule set, PermenPAN-RB 14/2017).
    #[arg(long)]
    pub rule_set: Option<String>,
}

/// Runs `tanggap import survei`: prints the summary and every rejected row (row
/// number and reason, in Indonesian) and fails when the file cannot be read.
pub async fn run_cli(store: &dyn Store, args: &SurveyImportArgs) -> anyhow::Result<()> {
    let units = store.list_units().await?;
    let unit = match &args.unit {
        Some(code) => units.iter().find(|u| u.code == code.trim()),
        None if units.len() == 1 => units.first(),
        None => anyhow::bail!(
            "sebutkan unit penerima dengan --unit; unit yang ada: {}",
            units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>().join(", ")
        ),
    }
    .ok_or_else(|| anyhow::anyhow!("unit {:?} tidak ditemukan", args.unit.clone().unwrap_or_default()))?
    .clone();
    let rule_sets = store.survey_rule_sets().await?;
    let rule_set = match args.rule_set.as_deref() {
        Some(code) => rule_sets.iter().find(|r| r.code == code.trim()),
        None => rule_sets.iter().find(|r| r.is_default).or(rule_sets.first()),
    }
    .ok_or_else(|| {
        anyhow::anyhow!(
            "aturan penilaian tidak dikenal; yang ada: {}",
            rule_sets.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ")
        )
    })?
    .clone();
    let bytes = std::fs::read(&args.file)
        .map_err(|e| anyhow::anyhow!("berkas {} tidak dapat dibaca: {e}", args.file.display()))?;
    let zone: chrono_tz::Tz = unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let summary = import(store, &unit, &rule_set, &bytes, today, None, Lang::Id).await?;
    for r in &summary.rejected {
        eprintln!("baris {}: {}", r.row, r.reason);
    }
    println!("{}: {}", unit.code, summary.summary(Lang::Id));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_set() -> SurveyRuleSet {
        SurveyRuleSet::seeded(1, &analytics::RuleSet::permenpan_14_2017(), true)
    }

    fn unit() -> Unit {
        Unit {
            id: 7,
            code: "dinsos".into(),
            name: "Dinas Sosial".into(),
            short_name: "Dinsos".into(),
            address: String::new(),
            city: String::new(),
            phone: String::new(),
            email: String::new(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec![],
            head_title: String::new(),
            head_name: String::new(),
            head_nip: String::new(),
            agenda_format: String::new(),
            complaint_channels: vec![],
        }
    }

    fn service(id: i64, code: &str, name: &str) -> Service {
        Service {
            id,
            unit_id: 7,
            division_id: None,
            code: code.into(),
            name: name.into(),
            requirements: vec![],
            completion_days: 0,
            completion_text: String::new(),
            working_days: true,
            fee_rupiah: 0,
            fee_text: String::new(),
            product: String::new(),
            complaint_channels: vec![],
        }
    }

    #[test]
    fn cell_dates_and_escapes() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        assert_eq!(parse_cell_date("2026-11-02T00:00:00"), Some(d));
        assert_eq!(parse_cell_date("02/11/2026"), Some(d));
        assert_eq!(parse_cell_date("2026-11-02 08:00:00"), Some(d));
        assert_eq!(parse_cell_date("besok"), None);
        assert_eq!(unescape_cell("'=1+1"), "=1+1");
        assert_eq!(unescape_cell("'biasa"), "'biasa");
    }

    #[test]
    fn rows_are_checked_one_by_one_and_keys_are_stable() {
        let csv = "tanggal,unit,layanan,u1,u2,u3,u4,u5,u6,u7,Penanganan Pengaduan Saran dan Masukan,Sarana dan Prasarana,jenis_kelamin,umur,pendidikan,pekerjaan,saran\n\
                   2026-11-02,dinsos,KTP,4,4,4,4,4,4,4,1,3,P,34,D4/S1,PNS,bagus\n\
                   2026-11-02,dinsos,KTP,4,4,4,4,4,4,4,1,3,P,34,D4/S1,PNS,bagus\n\
                   kemarin,dinsos,KTP,3,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-03,dinsos,KTP,5,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-03,dinkes,KTP,3,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-03,dinsos,Paspor,3,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-03,dinsos,KTP,3,3,3,3,3,3,3,3,3,X,7,,,\n\
                   2026-11-03,dinsos,,,,,,,,,,,,,,,\n\
                   2099-01-01,dinsos,KTP,3,3,3,3,3,3,3,3,3,,,,,\n";
        let unit = unit();
        let services = vec![service(3, "ktp", "KTP")];
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let p = prepare(csv.as_bytes(), &unit, &services, &rule_set(), today, Lang::Id).unwrap();
        assert_eq!(p.rows, 9);
        assert_eq!(p.responses.len(), 2);
        let (_, first) = &p.responses[0];
        assert_eq!(first.scores["pengaduan"], 1, "named column lands on its element");
        assert_eq!(first.scores["sarana"], 3);
        assert_eq!(first.service_id, Some(3));
        assert_eq!(first.saran.as_deref(), Some("bagus"));
        let keys: Vec<&str> = p
            .responses
            .iter()
            .map(|(_, r)| r.import_key.as_deref().unwrap())
            .collect();
        assert_ne!(keys[0], keys[1], "two identical forms both count");
        assert!(keys[0].ends_with("#0") && keys[1].ends_with("#1"));
        let again = prepare(csv.as_bytes(), &unit, &services, &rule_set(), today, Lang::Id).unwrap();
        assert_eq!(again.responses[0].1.import_key, p.responses[0].1.import_key);
        let rejected: Vec<(u64, &str)> = p.rejected.iter().map(|r| (r.row, r.reason.as_str())).collect();
        assert_eq!(rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [4, 5, 6, 7, 8, 9, 10]);
        assert!(rejected[0].1.contains("tanggal"), "{rejected:?}");
        assert!(rejected[1].1.contains("U1"), "{rejected:?}");
        assert!(rejected[2].1.contains("dinkes"), "{rejected:?}");
        assert!(rejected[3].1.contains("Paspor"), "{rejected:?}");
        assert!(
            rejected[4].1.contains("Jenis kelamin") || rejected[4].1.contains("kelamin"),
            "{rejected:?}"
        );
        assert!(rejected[6].1.contains("2099-01-01"), "{rejected:?}");
    }

    #[test]
    fn a_file_without_date_or_elements_is_refused() {
        let unit = unit();
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let e = prepare(b"a,b\n1,2\n", &unit, &[], &rule_set(), today, Lang::Id).unwrap_err();
        assert!(e.0.contains("tanggal"), "{e}");
        let e = prepare(b"tanggal,x\n2026-01-01,2\n", &unit, &[], &rule_set(), today, Lang::Id).unwrap_err();
        assert!(e.0.contains("unsur"), "{e}");
    }

    /// The rows of the first test, as CSV text.
    const ROWS: &str = "tanggal,unit,layanan,u1,u2,u3,u4,u5,u6,u7,Penanganan Pengaduan Saran dan Masukan,Sarana dan Prasarana,jenis_kelamin,umur,pendidikan,pekerjaan,saran\n\
                   2026-11-02,dinsos,KTP,4,4,4,4,4,4,4,1,3,P,34,D4/S1,PNS,bagus\n\
                   2026-11-02,dinsos,KTP,4,4,4,4,4,4,4,1,3,P,34,D4/S1,PNS,bagus\n\
                   kemarin,dinsos,KTP,3,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-03,dinsos,KTP,5,3,3,3,3,3,x,3,3,,,,,\n\
                   2026-11-03,dinkes,KTP,3,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-03,dinsos,Paspor,3,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-03,dinsos,ktp,3,3,3,3,3,3,3,3,3,X,7,sd,swasta,\n\
                   2026-11-03,dinsos,,,,,,,,,,,,,,,\n\
                   2099-01-01,dinsos,KTP,3,3,3,3,3,3,3,3,3,,,,,\n\
                   2026-11-04,Dinas Sosial,,1,2,3,4,,,,,,l,120,sma/smk,pns,' =cukup\n";

    /// What a prepared file says, comparable across formats.
    fn outcome(p: &Prepared) -> (usize, Vec<String>, Vec<(u64, String)>) {
        let responses = p.responses.iter().map(|(row, r)| format!("{row} {r:?}")).collect();
        let rejected = p.rejected.iter().map(|r| (r.row, r.reason.clone())).collect();
        (p.rows, responses, rejected)
    }

    #[test]
    fn csv_xlsx_and_parquet_give_the_same_rows_and_reasons() {
        let cells: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(ROWS.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let parquet = analytics::table::write_parquet(&analytics::table::TextTable {
            headers: cells[0].clone(),
            rows: cells[1..].to_vec(),
        })
        .unwrap();
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (r, row) in cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                // Numbers as numbers, the rest as text, as a spreadsheet holds them.
                match v.parse::<f64>() {
                    Ok(n) => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
                    Err(_) if v.is_empty() => Ok(()),
                    Err(_) => sheet.write_string(r as u32, c as u16, v).map(|_| ()),
                }
                .unwrap();
            }
        }
        let xlsx = book.save_to_buffer().unwrap();
        let unit = unit();
        let services = vec![service(3, "ktp", "KTP")];
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let read = |bytes: &[u8]| prepare(bytes, &unit, &services, &rule_set(), today, Lang::Id).unwrap();
        let from_csv = read(ROWS.as_bytes());
        assert_eq!(from_csv.format, "CSV, UTF-8, koma");
        let want = outcome(&from_csv);
        assert_eq!(want.0, 10);
        assert_eq!(want.1.len(), 3, "{:?}", want);
        let rejected: Vec<u64> = want.2.iter().map(|r| r.0).collect();
        assert_eq!(rejected, [4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(
            want.2[1].1, "nilai U1 harus 1, 2, 3 atau 4, bukan \"5\"; nilai U7 harus 1, 2, 3 atau 4, bukan \"x\"",
            "every bad score, in file order"
        );
        assert!(
            want.2[4].1.contains("kelamin") && want.2[4].1.contains("Umur"),
            "{:?}",
            want.2[4]
        );
        let last = &from_csv.responses[2].1;
        assert_eq!(last.profile.jenis_kelamin.as_deref(), Some("L"));
        assert_eq!(last.profile.umur, Some(120));
        assert_eq!(last.profile.pendidikan.as_deref(), Some("SMA/SMK"));
        assert_eq!(last.saran.as_deref(), Some("' =cukup"));
        assert_eq!(last.scores.len(), 4);
        let from_parquet = read(&parquet);
        assert_eq!(from_parquet.format, "Parquet");
        assert_eq!(outcome(&from_parquet), want);
        let from_xlsx = read(&xlsx);
        assert_eq!(outcome(&from_xlsx), want);
    }

    #[test]
    fn typed_parquet_columns_are_read_as_their_values() {
        // int8 scores with a null, uint16 and float64 score columns (pyarrow's).
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/corpus/survey/pyarrow-int8.parquet"
        ))
        .unwrap();
        let mut unit = unit();
        unit.code = "unit-a".into();
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let p = prepare(&bytes, &unit, &[], &rule_set(), today, Lang::Id).unwrap();
        assert_eq!(p.rows, 4);
        assert_eq!(p.responses.len(), 3);
        let scores: Vec<Vec<i64>> = p
            .responses
            .iter()
            .map(|(_, r)| {
                ["persyaratan", "prosedur", "waktu"]
                    .iter()
                    .filter_map(|k| r.scores.get(*k).copied())
                    .collect()
            })
            .collect();
        assert_eq!(scores, [vec![4, 4, 3], vec![3, 4, 4], vec![4, 2]]);
        assert_eq!(
            p.responses[0].1.responded_on,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
        assert_eq!(p.rejected.len(), 1);
        assert_eq!(p.rejected[0].row, 5);
        assert!(p.rejected[0].reason.contains("unit-b"), "{:?}", p.rejected);
    }
}
