//! Survey files (issue 18, and issue 22's "every parser fuzzed"):
//! - the streaming, column-wise readers of `tanggap analytics ikm` give exactly what
//!   the row-wise reference readers give: the same rejected lines with the same
//!   reasons, the same groups with the same figures, on random plausible files;
//! - the survey import readers (CSV, XLSX) and the streaming readers (CSV, Parquet)
//!   never panic on arbitrary bytes or damaged files, and account for every row once:
//!   accepted or rejected with a reason, never both;
//! - the inputs that once failed are kept in `tests/corpus/survey/` and replayed.

use std::collections::BTreeSet;
use std::path::PathBuf;

use analytics::survey_file::{FileError, ikm_csv, ikm_parquet};
use analytics::table::TextTable;
use analytics::{Dimension, IkmQuery, IkmReport, RuleSet};
use chrono::NaiveDate;
use proptest::prelude::*;
use tanggap::i18n::Lang;
use tanggap::storage::model::{Service, SurveyRuleSet, Unit};
use tanggap::survey::{import, interchange};

/// Header names the generator picks from (each table takes a random subset, in a
/// random order): the layout's own names, element names and some unknown columns.
const HEADERS: [&str; 17] = [
    "tanggal",
    "unit",
    "layanan",
    "u1",
    "u2",
    "u3",
    "Waktu Penyelesaian",
    "u5",
    "u6",
    "u7",
    "Penanganan Pengaduan, Saran dan Masukan",
    "Sarana dan Prasarana",
    "jenis_kelamin",
    "umur",
    "pendidikan",
    "saran",
    "catatan",
];

/// Cells the generator picks from: good and bad dates, scores, ages and text.
const CELLS: [&str; 30] = [
    "2026-11-02",
    "2026-10-31",
    "02/11/2026",
    "15-06-2026",
    "2026-02-30",
    " 2026-11-03 ",
    "kemarin",
    "",
    "",
    "1",
    "2",
    "3",
    "4",
    "4",
    " 3 ",
    "0",
    "5",
    "4.0",
    "+2",
    "x",
    "34",
    "-1",
    "L",
    "P",
    "dinsos",
    "Dinas Sosial",
    "KTP",
    "Akta \"Kelahiran\"; cepat, ramah",
    "Pelayanan\nbaik",
    "ñandú €",
];

fn table_strategy() -> impl Strategy<Value = TextTable> {
    let headers = proptest::sample::subsequence(HEADERS.to_vec(), 1..HEADERS.len()).prop_shuffle();
    (headers, 0usize..40, any::<u64>()).prop_map(|(headers, rows, seed)| {
        let mut state = seed | 1;
        let mut pick = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            CELLS[(state % CELLS.len() as u64) as usize]
        };
        let width = headers.len();
        TextTable {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: (0..rows)
                .map(|i| (0..width - (i % 4 == 3) as usize).map(|_| pick().to_owned()).collect())
                .collect(),
        }
    })
}

fn csv_bytes(table: &TextTable, delimiter: u8, bom: bool) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() });
    out.write_record(&table.headers).unwrap();
    for row in &table.rows {
        out.write_record(row).unwrap();
    }
    out.into_inner().unwrap()
}

fn xlsx_bytes(table: &TextTable) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in table.headers.iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in table.rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            match v.trim().parse::<f64>() {
                Ok(n) if !v.is_empty() => sheet.write_number(r as u32 + 1, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32 + 1, c as u16, v).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

fn queries() -> Vec<IkmQuery> {
    let by = |dims: &[Dimension]| IkmQuery {
        group_by: dims.to_vec(),
        ..IkmQuery::default()
    };
    vec![
        by(&[]),
        by(&[Dimension::Unit, Dimension::Service, Dimension::Month]),
        by(&[Dimension::Profile("jenis_kelamin".into()), Dimension::Quarter]),
    ]
}

/// What a reader made of a file: the rejected lines with their reasons and the
/// report (none when no row was taken), or the whole file's error.
type Outcome = Result<(Vec<(u64, String)>, Option<IkmReport>), String>;

/// The row-wise reference: every reason worded, then the frame-based engine.
fn reference(data: Result<interchange::InterchangeData, interchange::InterchangeError>, query: &IkmQuery) -> Outcome {
    let data = data.map_err(|e| e.to_string())?;
    let rejected = data.rejected.iter().map(|r| (r.line, r.reason.clone())).collect();
    if data.columns.is_empty() {
        return Ok((rejected, None));
    }
    let frame = data.columns.into_frame().map_err(|e| e.to_string())?;
    let report = analytics::ikm(&frame, query).map_err(|e| e.to_string())?;
    Ok((rejected, Some(report)))
}

/// The streaming path, worded the same way.
fn streaming(data: Result<analytics::survey_file::FileIkm, FileError>, rules: &RuleSet) -> Outcome {
    let data = data.map_err(|e| interchange::InterchangeError::from(e).to_string())?;
    let rejected = data
        .rejected
        .iter()
        .map(|r| (r.line, interchange::reason(&r.problem, rules)))
        .collect();
    Ok((rejected, (data.accepted > 0).then_some(data.report)))
}

/// Same rejections, same groups, same figures (the interval to the cent).
fn assert_same(got: &Outcome, want: &Outcome) {
    let (Ok((got_rejected, got)), Ok((want_rejected, want))) = (got, want) else {
        assert_eq!(got.is_err(), want.is_err(), "{got:?} vs {want:?}");
        return;
    };
    assert_eq!(got_rejected, want_rejected);
    let (Some(got), Some(want)) = (got, want) else {
        assert_eq!(got.is_some(), want.is_some());
        return;
    };
    assert_eq!(got.respondents, want.respondents);
    assert_eq!(got.groups.len(), want.groups.len());
    for (a, b) in got.groups.iter().zip(&want.groups) {
        assert_eq!(
            (&a.key, a.respondents, &a.elements),
            (&b.key, b.respondents, &b.elements)
        );
        let figures = |g: &analytics::IkmGroup| g.index.as_ref().map(|i| (i.konversi, i.mutu, i.ikm));
        assert_eq!(figures(a), figures(b), "{:?}", a.key);
        let ci = |g: &analytics::IkmGroup| g.index.as_ref().and_then(|i| i.ci.as_ref().map(|c| (c.lower, c.upper)));
        match (ci(a), ci(b)) {
            (Some(x), Some(y)) => assert!((x.0 - y.0).abs() < 0.0101 && (x.1 - y.1).abs() < 0.0101, "{x:?} {y:?}"),
            (x, y) => assert_eq!(x, y),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Issue 18: the new path equals the old one, row for row and group for group.
    #[test]
    fn streaming_readers_equal_the_row_wise_reference(
        table in table_strategy(),
        semicolon in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let rules = RuleSet::permenpan_14_2017();
        let csv = csv_bytes(&table, if semicolon { b';' } else { b',' }, bom);
        let parquet = analytics::table::write_parquet(&table).unwrap();
        for query in queries() {
            let want = reference(interchange::read_csv(csv.as_slice(), &rules, "-"), &query);
            let got = streaming(ikm_csv(csv.as_slice(), &query, "-"), &rules);
            assert_same(&got, &want);
            let text = analytics::table::read_parquet(parquet.clone()).unwrap();
            let want = reference(interchange::read_table(&text, &rules, "-"), &query);
            let got = streaming(ikm_parquet(parquet.as_slice(), &query, "-"), &rules);
            assert_same(&got, &want);
        }
    }

    /// Issue 22: the survey import accounts for every row of any plausible CSV or
    /// XLSX table once, and the streaming readers for every row of CSV and Parquet.
    #[test]
    fn survey_readers_account_for_every_row_once(table in table_strategy(), semicolon in any::<bool>()) {
        let csv = csv_bytes(&table, if semicolon { b';' } else { b',' }, false);
        check_import(&csv);
        check_import(&xlsx_bytes(&table));
        check_streaming(&csv);
        check_streaming(&analytics::table::write_parquet(&table).unwrap());
    }

    /// Issue 22: arbitrary bytes, and damaged copies of real files, never panic.
    #[test]
    fn survey_readers_survive_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        magic in 0usize..4,
        table in table_strategy(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let prefix: &[u8] = [&b""[..], &b"PK\x03\x04"[..], &b"PAR1"[..], &b"tanggal,u1\n"[..]][magic];
        let raw = [prefix, bytes.as_slice()].concat();
        check_import(&raw);
        check_streaming(&raw);
        for mut file in [xlsx_bytes(&table), analytics::table::write_parquet(&table).unwrap()] {
            for (at, byte) in &flips {
                let i = at.index(file.len());
                file[i] ^= byte | 1;
            }
            check_import(&file);
            check_streaming(&file);
        }
    }
}

fn rule_set() -> SurveyRuleSet {
    SurveyRuleSet::seeded(1, &RuleSet::permenpan_14_2017(), true)
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

fn service() -> Service {
    Service {
        id: 3,
        unit_id: 7,
        division_id: None,
        code: "ktp".into(),
        name: "KTP".into(),
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

/// The survey import on `bytes`: a file error, or every counted row either a
/// response or a rejection with a reason, each row number once.
fn check_import(bytes: &[u8]) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    for lang in [Lang::Id, Lang::En] {
        let Ok(p) = import::prepare(bytes, &unit(), &[service()], &rule_set(), today, lang) else {
            continue;
        };
        assert_eq!(p.rows, p.responses.len() + p.rejected.len(), "every row counted once");
        let mut seen = BTreeSet::new();
        for row in p
            .responses
            .iter()
            .map(|(r, _)| *r)
            .chain(p.rejected.iter().map(|r| r.row))
        {
            assert!(seen.insert(row), "row {row} both accepted and rejected, or twice");
        }
        assert!(
            p.rejected.iter().all(|r| !r.reason.trim().is_empty()),
            "{:?}",
            p.rejected
        );
        assert!(p.responses.iter().all(|(_, r)| !r.scores.is_empty()));
    }
}

/// The streaming readers on `bytes`: a file error, or every row accepted or
/// rejected once.
fn check_streaming(bytes: &[u8]) {
    let query = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Month],
        ..IkmQuery::default()
    };
    for result in [ikm_csv(bytes, &query, "-"), ikm_parquet(bytes, &query, "-")] {
        let Ok(data) = result else { continue };
        let lines: BTreeSet<u64> = data.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines.len(), data.rejected.len(), "a line rejected twice");
        assert!(lines.iter().all(|l| *l >= 2), "the header is line 1");
        let grouped: u64 = data.report.groups.iter().map(|g| g.respondents).sum();
        assert_eq!(grouped, data.accepted, "every accepted row in one group");
    }
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/survey")
}

/// Every input that once failed a survey reader, replayed through all of them.
#[test]
fn survey_corpus_replays() {
    let mut files = 0;
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        check_import(&bytes);
        check_streaming(&bytes);
        files += 1;
    }
    assert!(files >= 5, "the corpus is there ({files} files)");
}

/// An int8 Parquet file as pyarrow and pandas write it is read, not refused
/// ("cannot create series from Int8" before issue 18), with its nulls unanswered.
#[test]
fn int8_parquet_from_pyarrow_is_read() {
    let bytes = std::fs::read(corpus().join("pyarrow-int8.parquet")).unwrap();
    let query = IkmQuery {
        group_by: vec![Dimension::Unit],
        ..IkmQuery::default()
    };
    let data = ikm_parquet(bytes.as_slice(), &query, "-").unwrap();
    assert!(data.rejected.is_empty(), "{:?}", data.rejected);
    assert_eq!(data.accepted, 4);
    let group = &data.report.groups[0];
    assert_eq!(group.respondents, 3, "{:?}", group.key);
    // u1 of unit-a: 4, 3, null -> answered 2, NRR 3.5
    assert_eq!(group.elements[0].answered, 2);
    assert_eq!(group.elements[0].sum, 7);
}
