//! The streaming file path against the frame-based engine on the same rows.

use chrono::NaiveDate;
use polars_core::prelude::*;
use proptest::prelude::*;

use super::*;
use crate::frame::{SurveyColumns, SurveyRow};
use crate::ikm::{Comparison, Dimension, IkmQuery, ikm};

/// One generated respondent: unit, service, date, scores (0 = unanswered), sex, age.
type Row = (u8, u8, NaiveDate, Vec<u8>, Option<&'static str>, Option<u32>);

fn rows_strategy(max: usize) -> impl Strategy<Value = Vec<Row>> {
    let row = (
        0u8..3,
        0u8..4,
        0i64..500,
        proptest::collection::vec(prop_oneof![1 => Just(0u8), 6 => 1u8..=4], 9),
        prop_oneof![Just(None), Just(Some("L")), Just(Some("P"))],
        proptest::option::of(10u32..80),
    )
        .prop_map(|(u, s, d, scores, jk, umur)| {
            let date = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(d);
            (u, s, date, scores, jk, umur)
        });
    proptest::collection::vec(row, 1..max)
}

fn reference(rows: &[Row], query: &IkmQuery) -> crate::Result<IkmReport> {
    let keys = query.rule_set.element_keys();
    let mut cols = SurveyColumns::new(&keys, &PROFILE);
    for (u, s, date, scores, jk, umur) in rows {
        let scores: Vec<Option<u8>> = scores.iter().map(|v| (*v > 0).then_some(*v)).collect();
        if scores.iter().all(Option::is_none) {
            continue;
        }
        cols.push(SurveyRow {
            unit: &format!("unit-{u}"),
            service: &format!("layanan {s}"),
            date: *date,
            scores: &scores,
            profile: &[*jk, None, None],
            umur: *umur,
        });
    }
    ikm(&cols.into_frame()?, query)
}

fn csv_text(rows: &[Row], delimiter: char) -> String {
    let mut out = format!(
        "\u{feff}umur{d}u9{d}u1{d}u2{d}u3{d}u4{d}u5{d}u6{d}u7{d}\"Sarana dan Prasarana\"{d}tanggal{d}unit{d}layanan{d}jenis_kelamin\n",
        d = delimiter
    );
    for (i, (u, s, date, scores, jk, umur)) in rows.iter().enumerate() {
        let cell = |v: u8| if v == 0 { String::new() } else { v.to_string() };
        let date = if i % 2 == 0 {
            date.to_string()
        } else {
            date.format("%d/%m/%Y").to_string()
        };
        let service = if i % 3 == 0 {
            format!("\"layanan {s}\"")
        } else {
            format!("layanan {s}")
        };
        out += &[
            umur.map(|a| a.to_string()).unwrap_or_default(),
            cell(scores[8]),
            cell(scores[0]),
            cell(scores[1]),
            cell(scores[2]),
            cell(scores[3]),
            cell(scores[4]),
            cell(scores[5]),
            cell(scores[6]),
            cell(scores[7]),
            date,
            format!("unit-{u}"),
            service,
            jk.unwrap_or_default().to_owned(),
        ]
        .join(&delimiter.to_string());
        out += if i % 5 == 0 { "\r\n" } else { "\n" };
        if i % 7 == 0 {
            out += "\n";
        }
    }
    out
}

fn parquet_bytes(rows: &[Row]) -> Vec<u8> {
    let days: Vec<i32> = rows.iter().map(|r| crate::calendar::to_epoch_days(r.2)).collect();
    let mut columns = vec![
        Series::new("tanggal".into(), days)
            .cast(&DataType::Date)
            .unwrap()
            .into_column(),
        Series::new(
            "unit".into(),
            rows.iter().map(|r| format!("unit-{}", r.0)).collect::<Vec<_>>(),
        )
        .into_column(),
        Series::new(
            "layanan".into(),
            rows.iter().map(|r| format!("layanan {}", r.1)).collect::<Vec<_>>(),
        )
        .into_column(),
    ];
    for e in 0..9 {
        let name = format!("u{}", e + 1);
        let values: Vec<Option<u8>> = rows.iter().map(|r| (r.3[e] > 0).then_some(r.3[e])).collect();
        // Alternate widths and float scores, as spreadsheets and pandas write them.
        let s = Series::new(name.as_str().into(), values);
        let s = match e % 3 {
            0 => s,
            1 => s.cast(&DataType::Int64).unwrap(),
            _ => s.cast(&DataType::Float64).unwrap(),
        };
        columns.push(s.into_column());
    }
    columns.push(Series::new("jenis_kelamin".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()).into_column());
    columns.push(
        Series::new(
            "umur".into(),
            rows.iter().map(|r| r.5.map(i64::from)).collect::<Vec<_>>(),
        )
        .into_column(),
    );
    let frame = DataFrame::new(rows.len(), columns).unwrap();
    crate::table::write_frame_parquet(&frame, 7).unwrap()
}

/// Everything a report states, with the interval to the cent.
fn assert_same(got: &IkmReport, want: &IkmReport) {
    assert_eq!(got.respondents, want.respondents);
    assert_eq!(got.groups.len(), want.groups.len());
    for (a, b) in got.groups.iter().zip(&want.groups) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.respondents, b.respondents, "{:?}", a.key);
        assert_eq!(a.elements, b.elements, "{:?}", a.key);
        assert_eq!(a.weakest_first, b.weakest_first);
        assert_eq!(a.previous, b.previous, "{:?}", a.key);
        match (&a.index, &b.index) {
            (Some(x), Some(y)) => {
                assert_eq!((x.konversi, x.mutu, x.ikm), (y.konversi, y.mutu, y.ikm), "{:?}", a.key);
                let close = |p: f64, q: f64| (p - q).abs() <= 0.0100001;
                match (&x.ci, &y.ci) {
                    (Some(c), Some(d)) => assert!(
                        close(c.lower, d.lower) && close(c.upper, d.upper) && close(c.standard_error, d.standard_error),
                        "{:?}: {c:?} vs {d:?}",
                        a.key
                    ),
                    (c, d) => assert_eq!(c, d),
                }
            }
            (x, y) => assert_eq!(x, y),
        }
    }
}

fn queries() -> Vec<IkmQuery> {
    let by = |dims: &[Dimension]| IkmQuery {
        group_by: dims.to_vec(),
        ..IkmQuery::default()
    };
    let mut ranged = by(&[Dimension::Month]);
    ranged.range = crate::DateRange::new(
        NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 9, 30).unwrap(),
    );
    ranged.compare = Some(Comparison::Previous);
    let mut compared = by(&[Dimension::Unit, Dimension::Quarter]);
    compared.compare = Some(Comparison::Previous);
    vec![
        by(&[]),
        by(&[Dimension::Unit, Dimension::Service, Dimension::Month]),
        by(&[
            Dimension::Profile("jenis_kelamin".into()),
            Dimension::Profile("umur_kelompok".into()),
        ]),
        ranged,
        compared,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn files_give_the_frame_engine_s_figures(rows in rows_strategy(120), semicolon in any::<bool>()) {
        let csv = csv_text(&rows, if semicolon { ';' } else { ',' });
        let parquet = parquet_bytes(&rows);
        let answered = rows.iter().filter(|r| r.3.iter().any(|v| *v > 0)).count() as u64;
        for query in queries() {
            let Ok(want) = reference(&rows, &query) else {
                // No age at all: no age column to group by, on both paths.
                prop_assert!(ikm_csv(csv.as_bytes(), &query, "-").is_err());
                prop_assert!(ikm_parquet(parquet.as_slice(), &query, "-").is_err());
                continue;
            };
            let from_csv = ikm_csv(csv.as_bytes(), &query, "-").unwrap();
            prop_assert_eq!(from_csv.accepted, answered);
            assert_same(&from_csv.report, &want);
            // Blocks cut by quote parity (a third of the services are quoted) give
            // the same rows, the same rejections and the same figures.
            let from_file = ikm_csv_file(std::io::Cursor::new(csv.as_bytes()), &query, "-").unwrap();
            prop_assert_eq!(from_file.accepted, answered);
            prop_assert_eq!(&from_file.rejected, &from_csv.rejected);
            assert_same(&from_file.report, &want);
            let from_parquet = ikm_parquet(parquet.as_slice(), &query, "-").unwrap();
            prop_assert_eq!(from_parquet.accepted, answered);
            assert_same(&from_parquet.report, &want);
            // Every row is accepted or rejected (no score at all), never both.
            prop_assert_eq!(from_csv.rejected.len() as u64 + answered, rows.len() as u64);
            prop_assert_eq!(&from_csv.rejected, &from_parquet.rejected);
        }
    }
}

#[test]
fn bad_rows_are_reported_with_their_lines() {
    let csv: &[u8] = b"tanggal,unit,u1,u2\n\
               2026-01-02,a,4,3\n\
               kemarin,a,4,3\n\
               2026-01-02,a,5,x\n\
               \n\
               2026-01-02,a,,\n\
               2026-01-02,a,\"4\",\xff\n\
               2026-01-03,,2,2\n";
    let query = IkmQuery {
        group_by: vec![Dimension::Unit],
        ..IkmQuery::default()
    };
    let got = ikm_csv(csv, &query, "(satu)").unwrap();
    let lines: Vec<(u64, RowProblem)> = got.rejected.iter().map(|r| (r.line, r.problem.clone())).collect();
    assert_eq!(lines[0], (3, RowProblem::BadDate("kemarin".into())));
    assert_eq!(
        lines[1],
        (
            4,
            RowProblem::BadScore {
                element: 1,
                value: "x".into()
            }
        ),
        "the last bad element in file order"
    );
    assert_eq!(lines[2], (5, RowProblem::NoScores), "a blank line is no record");
    assert_eq!(lines[3].0, 6);
    assert!(matches!(&lines[3].1, RowProblem::Unreadable(m) if m.contains("invalid utf-8")));
    assert_eq!(got.accepted, 2);
    let units: Vec<_> = got.report.groups.iter().map(|g| g.key[0].value.clone()).collect();
    assert_eq!(units, [Some("(satu)".to_owned()), Some("a".to_owned())]);
}

#[test]
fn headers_and_broken_files_are_file_errors() {
    let q = IkmQuery::default();
    assert!(matches!(
        ikm_csv(&b"a,b\n1,2\n"[..], &q, "-"),
        Err(FileError::MissingColumn(_))
    ));
    assert!(matches!(ikm_csv(&b""[..], &q, "-"), Err(FileError::MissingColumn(_))));
    assert!(matches!(
        ikm_csv(&b"tanggal,x\n2026-01-01,2\n"[..], &q, "-"),
        Err(FileError::NoElements(9))
    ));
    let good = parquet_bytes(&[(
        0,
        0,
        NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
        vec![4; 9],
        None,
        None,
    )]);
    assert_eq!(ikm_parquet(good.as_slice(), &q, "-").unwrap().accepted, 1);
    for bad in [Vec::new(), b"PAR1".to_vec(), good[..good.len() / 2].to_vec()] {
        assert!(matches!(
            ikm_parquet(bad.as_slice(), &q, "-"),
            Err(FileError::Unreadable(_))
        ));
    }
    for at in (0..good.len()).step_by(7) {
        let mut flipped = good.clone();
        flipped[at] ^= 0x5A;
        // A damaged file is an error or a result, never a panic.
        let _ = ikm_parquet(flipped.as_slice(), &q, "-");
    }
}

#[test]
fn numeric_labels_read_as_a_spreadsheet_shows_them() {
    // Unit and service columns written as numbers (as pandas writes codes): a whole
    // float is "4", never "4.0", as in the CSV of the same table.
    let day = crate::calendar::to_epoch_days(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap());
    let mut columns = vec![
        Series::new("tanggal".into(), [day, day, day])
            .cast(&DataType::Date)
            .unwrap()
            .into_column(),
        Series::new("unit".into(), [Some(4.0f64), Some(4.5), None]).into_column(),
        Series::new("layanan".into(), [7i64, 7, 12]).into_column(),
    ];
    for e in 1..=9 {
        columns.push(Series::new(format!("u{e}").as_str().into(), [4u8, 3, 2]).into_column());
    }
    let frame = DataFrame::new(3, columns).unwrap();
    let parquet = crate::table::write_frame_parquet(&frame, 1 << 18).unwrap();
    let csv = "tanggal,unit,layanan,u1,u2,u3,u4,u5,u6,u7,u8,u9\n\
               2026-01-02,4,7,4,4,4,4,4,4,4,4,4\n\
               2026-01-02,4.5,7,3,3,3,3,3,3,3,3,3\n\
               2026-01-02,,12,2,2,2,2,2,2,2,2,2\n";
    let query = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Service],
        ..IkmQuery::default()
    };
    let keys = |got: FileIkm| -> Vec<Vec<Option<String>>> {
        got.report
            .groups
            .iter()
            .map(|g| g.key.iter().map(|k| k.value.clone()).collect())
            .collect()
    };
    let want: Vec<Vec<Option<String>>> = [["4", "7"], ["4.5", "7"], ["(satu)", "12"]]
        .iter()
        .map(|k| k.iter().map(|v| Some((*v).to_owned())).collect())
        .collect();
    let mut from_parquet = keys(ikm_parquet(parquet.as_slice(), &query, "(satu)").unwrap());
    let mut from_csv = keys(ikm_csv(csv.as_bytes(), &query, "(satu)").unwrap());
    from_parquet.sort();
    from_csv.sort();
    let mut want = want;
    want.sort();
    assert_eq!(from_parquet, want);
    assert_eq!(from_csv, want);
}

/// Whether column `name` has a dictionary page in every row group of the file (the
/// writer used here encodes either all pages of a chunk by the dictionary, or none).
fn dictionary_encoded(parquet: &[u8], name: &str) -> bool {
    let metadata = polars_parquet::read::read_metadata(&mut std::io::Cursor::new(parquet)).unwrap();
    metadata.row_groups.iter().all(|g| {
        g.columns_under_root_iter(name)
            .unwrap()
            .all(|c| c.dictionary_page_offset().is_some())
    })
}

#[test]
fn dictionary_and_plain_text_columns_give_the_same_groups() {
    // 600 rows: `unit` takes 3 values (written as a dictionary), `layanan` a new
    // value on every row (written plain): both are read, the first through
    // its codes, and give the CSV's groups.
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let rows: Vec<(String, String, [u8; 9])> = (0..600u32)
        .map(|i| {
            let scores = std::array::from_fn(|e| ((i as usize + e) % 5) as u8);
            (format!("unit-{}", i % 3), format!("layanan {i}"), scores)
        })
        .collect();
    let mut columns = vec![
        Series::new("tanggal".into(), vec![crate::calendar::to_epoch_days(day); rows.len()])
            .cast(&DataType::Date)
            .unwrap()
            .into_column(),
        Series::new("unit".into(), rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>()).into_column(),
        Series::new("layanan".into(), rows.iter().map(|r| r.1.clone()).collect::<Vec<_>>()).into_column(),
    ];
    for e in 0..9 {
        let values: Vec<Option<u8>> = rows.iter().map(|r| (r.2[e] > 0).then_some(r.2[e])).collect();
        columns.push(Series::new(format!("u{}", e + 1).as_str().into(), values).into_column());
    }
    let frame = DataFrame::new(rows.len(), columns).unwrap();
    let parquet = crate::table::write_frame_parquet(&frame, 1 << 18).unwrap();
    assert!(
        dictionary_encoded(&parquet, "unit"),
        "unit must be written as a dictionary"
    );
    assert!(
        !dictionary_encoded(&parquet, "layanan"),
        "layanan must be written plain"
    );
    let mut csv = String::from("tanggal,unit,layanan,u1,u2,u3,u4,u5,u6,u7,u8,u9\n");
    for (unit, service, scores) in &rows {
        let scores: Vec<String> = scores
            .iter()
            .map(|s| if *s == 0 { String::new() } else { s.to_string() })
            .collect();
        csv += &format!("2026-03-02,{unit},{service},{}\n", scores.join(","));
    }
    let query = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Service],
        ..IkmQuery::default()
    };
    let from_parquet = ikm_parquet(parquet.as_slice(), &query, "-").unwrap();
    let from_csv = ikm_csv(csv.as_bytes(), &query, "-").unwrap();
    assert_eq!(from_parquet.accepted, from_csv.accepted);
    assert_eq!(from_parquet.rejected, from_csv.rejected);
    assert_eq!(from_parquet.report.groups.len(), 600);
    assert_same(&from_parquet.report, &from_csv.report);
}

#[test]
fn a_panicking_worker_is_an_error_not_a_hang() {
    // A bug in one block's checks must end the file with an error: the other items
    // are still drained, so the producer handing them over is never left blocked.
    let query = IkmQuery::default();
    let plan = Plan::new(&query).unwrap();
    let (tx, rx) = std::sync::mpsc::sync_channel::<usize>(1);
    let rx = Mutex::new(rx);
    let produce = move || {
        for i in 0..100 {
            if tx.send(i).is_err() {
                break;
            }
        }
        Ok(())
    };
    let next = || rx.lock().unwrap().recv().ok();
    let work = |i: usize, _: &mut Sums| -> Result<usize, FileError> {
        assert_ne!(i, 3, "a bug in the checks of item 3");
        Ok(i)
    };
    let got = run_workers(&plan, 2, produce, next, work);
    assert!(
        matches!(got, Err(FileError::Unreadable(_))),
        "{:?}",
        got.map(|(_, r)| r.len())
    );
}
