//! Cells against the frame-based engine on the same respondents, and the stored
//! form against corrupt bytes.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use proptest::prelude::*;

use super::*;
use crate::frame::{SurveyColumns, SurveyRow};
use crate::ikm::engine::{aggregate, element_arrays};
use crate::ikm::{Comparison, Filter, Population, ikm};

/// One respondent: unit, service, date, scores (0 = unanswered), sex, education, age.
type Row = (
    u8,
    u8,
    NaiveDate,
    Vec<u8>,
    Option<&'static str>,
    Option<&'static str>,
    Option<u32>,
);

fn rows_strategy(max: usize) -> impl Strategy<Value = Vec<Row>> {
    let row = (
        0u8..3,
        0u8..3,
        0i64..540,
        proptest::collection::vec(prop_oneof![1 => Just(0u8), 5 => 1u8..=4], 9),
        prop_oneof![Just(None), Just(Some("L")), Just(Some("P"))],
        prop_oneof![Just(None), Just(Some("SMA/SMK")), Just(Some("D4/S1"))],
        proptest::option::of(10u32..80),
    )
        .prop_map(|(u, s, d, mut scores, jk, pend, umur)| {
            if scores.iter().all(|v| *v == 0) {
                scores[0] = 3;
            }
            let date = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Duration::days(d);
            (u, s, date, scores, jk, pend, umur)
        });
    proptest::collection::vec(row, 1..max)
}

fn labels(r: &Row) -> (String, String) {
    (format!("unit-{}", r.0), format!("layanan {}", r.1))
}

fn frame(rows: &[Row]) -> crate::SurveyFrame {
    let rules = crate::RuleSet::permenpan_14_2017();
    let keys = rules.element_keys();
    let mut cols = SurveyColumns::new(&keys, &PROFILE);
    for r in rows {
        let scores: Vec<Option<u8>> = r.3.iter().map(|v| (*v > 0).then_some(*v)).collect();
        let (unit, service) = labels(r);
        cols.push(SurveyRow {
            unit: &unit,
            service: &service,
            date: r.2,
            scores: &scores,
            profile: &[r.4, r.5, None],
            umur: r.6,
        });
    }
    cols.into_frame().unwrap()
}

/// Day cells and profile month cells, keyed as a database keeps them.
struct Cells {
    days: BTreeMap<(String, String, NaiveDate), CellSums>,
    months: BTreeMap<(String, String, NaiveDate, &'static str, Option<String>), CellSums>,
}

fn cells(rows: &[Row]) -> Cells {
    let mut c = Cells {
        days: BTreeMap::new(),
        months: BTreeMap::new(),
    };
    for r in rows {
        let (unit, service) = labels(r);
        let month = r.2.with_day(1).unwrap();
        c.days
            .entry((unit.clone(), service.clone(), r.2))
            .or_insert_with(|| CellSums::new(9))
            .add_response(&r.3)
            .unwrap();
        let values = [
            ("jenis_kelamin", r.4.map(str::to_owned)),
            ("pendidikan", r.5.map(str::to_owned)),
            ("pekerjaan", None),
            ("umur_kelompok", r.6.map(|a| crate::age_band(a).to_owned())),
        ];
        for (dim, value) in values {
            c.months
                .entry((unit.clone(), service.clone(), month, dim, value))
                .or_insert_with(|| CellSums::new(9))
                .add_response(&r.3)
                .unwrap();
        }
    }
    c
}

impl Cells {
    fn list(&self) -> Vec<Cell<'_>> {
        let days = self.days.iter().map(|((u, s, d), sums)| Cell {
            unit: u,
            service: s,
            day: *d,
            profile: None,
            sums,
        });
        let months = self.months.iter().map(|((u, s, d, dim, v), sums)| Cell {
            unit: u,
            service: s,
            day: *d,
            profile: Some((*dim, v.as_deref())),
            sums,
        });
        days.chain(months).collect()
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn query(dims: &[Dimension]) -> IkmQuery {
    IkmQuery {
        group_by: dims.to_vec(),
        ..IkmQuery::default()
    }
}

fn profile(p: &str) -> Dimension {
    Dimension::Profile(p.into())
}

/// Queries the cells answer: every grouping, ranges, filters, populations and
/// comparisons.
fn answerable() -> Vec<IkmQuery> {
    let mut out = vec![
        query(&[]),
        query(&[Dimension::Unit, Dimension::Service, Dimension::Month]),
        query(&[Dimension::Semester]),
        query(&[Dimension::Year, Dimension::Unit]),
        query(&[profile("jenis_kelamin")]),
        query(&[profile("umur_kelompok"), Dimension::Month]),
    ];
    let mut q = query(&[Dimension::Service]);
    q.range = DateRange::new(d(2025, 2, 10), d(2025, 8, 20));
    q.compare = Some(Comparison::Previous);
    q.populations = vec![Population {
        key: BTreeMap::from([("service".to_owned(), "layanan 1".to_owned())]),
        population: 90,
    }];
    out.push(q);
    let mut q = query(&[Dimension::Unit, Dimension::Quarter]);
    q.compare = Some(Comparison::Previous);
    q.filters = vec![Filter {
        dimension: Dimension::Service,
        values: vec!["layanan 0".into(), "layanan 2".into()],
    }];
    out.push(q);
    let mut q = query(&[Dimension::Service]);
    q.range = DateRange::new(d(2025, 3, 1), d(2025, 9, 30));
    q.filters = vec![Filter {
        dimension: profile("pendidikan"),
        values: vec!["SMA/SMK".into()],
    }];
    out.push(q);
    let mut q = query(&[profile("jenis_kelamin"), Dimension::Quarter]);
    q.range = DateRange::new(d(2025, 4, 1), d(2025, 12, 31));
    q.compare = Some(Comparison::Previous);
    out.push(q);
    let mut q = query(&[profile("pekerjaan")]);
    q.range = DateRange::new(d(2025, 1, 1), d(2025, 6, 30));
    q.compare = Some(Comparison::Range(DateRange::new(d(2024, 7, 1), d(2024, 12, 31))));
    out.push(q);
    out
}

/// The same report, group for group: every count, sum and figure equal, the
/// unrounded konversi within 1e-9, and the printed interval bounds (and the noise
/// of a change, built from them) within 0.01: the unrounded sum of squares agrees
/// within 1e-9 (see the test below), so a printed bound can differ only at a
/// rounding tie.
fn assert_same(got: &IkmReport, want: &IkmReport) {
    fn walk(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
        use serde_json::Value;
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                assert_eq!(x.len(), y.len(), "{path}");
                x.iter().for_each(|(k, v)| walk(v, &y[k], &format!("{path}.{k}")));
            }
            (Value::Array(x), Value::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{path}");
                x.iter()
                    .zip(y)
                    .enumerate()
                    .for_each(|(i, (v, w))| walk(v, w, &format!("{path}[{i}]")));
            }
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                let tolerance = if path.contains(".ci.") || path.ends_with(".noise") {
                    0.0100001
                } else if path.ends_with("_exact") {
                    1e-9
                } else {
                    0.0
                };
                assert!((x - y).abs() <= tolerance, "{path}: {x} vs {y}");
            }
            (Value::Bool(_), Value::Bool(_)) if path.ends_with(".exceeds_noise") => {}
            (x, y) => assert_eq!(x, y, "{path}"),
        }
    }
    let json = |r: &IkmReport| serde_json::to_value(r).unwrap();
    walk(&json(got), &json(want), "report");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn cells_give_the_frame_engine_s_figures(rows in rows_strategy(150)) {
        let frame = frame(&rows);
        let cells = cells(&rows);
        let list = cells.list();
        for q in answerable() {
            let source = cell_source(&q).expect("answerable");
            let want = ikm(&frame, &q);
            let got = ikm_from_cells(&q, &source, list.iter().copied());
            match (got, want) {
                (Ok(got), Ok(want)) => assert_same(&got, &want),
                (Err(g), Err(w)) => prop_assert_eq!(g, w),
                (g, w) => panic!("{:?}: cells {:?}, frame {:?}", q.group_by, g.is_ok(), w.is_ok()),
            }
        }
    }

    #[test]
    fn the_interval_s_sum_of_squares_agrees_within_1e_9(rows in rows_strategy(150)) {
        let frame = frame(&rows);
        let cells = cells(&rows);
        let q = query(&[Dimension::Unit, Dimension::Service, Dimension::Month]);
        let weight = q.weight.resolve(9);
        let scores = element_arrays(&frame, &q.rule_set).unwrap();
        let want = aggregate(&frame, &scores, &q.group_by, &q.range, &q.filters, &weight).unwrap();
        let mut acc = IkmAccumulator::new(&q, &q.range).unwrap();
        for c in cells.list().into_iter().filter(|c| c.profile.is_none()) {
            acc.push_cell(to_epoch_days(c.day), c.sums, &[Some(c.unit), Some(c.service), None, None, None], None);
        }
        let got = acc.finish(&weight);
        let index = got.index_by_labels();
        prop_assert_eq!(got.groups, want.groups);
        for (labels, g) in want.index_by_labels() {
            let h = index[&labels];
            prop_assert_eq!(got.n[h], want.n[g]);
            prop_assert_eq!(&got.counts[h * 36..(h + 1) * 36], &want.counts[g * 36..(g + 1) * 36]);
            let (a, b) = (got.ss[h], want.ss[g]);
            prop_assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{labels:?}: {a} vs {b}");
        }
    }

    #[test]
    fn stored_cells_read_back_and_corrupt_bytes_are_refused(
        scores in proptest::collection::vec(proptest::collection::vec(0u8..=4, 9), 1..40),
        noise in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut cell = CellSums::new(9);
        for s in &scores {
            cell.add_response(s).unwrap();
        }
        let bytes = cell.encode();
        prop_assert_eq!(CellSums::decode(&bytes).unwrap(), cell.clone());
        // Any cut or extension is refused, never a panic.
        for cut in 0..bytes.len() {
            prop_assert!(CellSums::decode(&bytes[..cut]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(CellSums::decode(&longer).is_err());
        let _ = CellSums::decode(&noise);
        // Merging then subtracting gives back exactly what was there.
        let mut sum = cell.clone();
        sum.merge(&cell).unwrap();
        prop_assert_eq!(sum.respondents(), 2 * cell.respondents());
        sum.subtract(&cell).unwrap();
        prop_assert_eq!(&sum, &cell);
    }
}

#[test]
fn cells_keep_the_layout_and_refuse_what_does_not_fit() {
    let mut cell = CellSums::new(3);
    cell.add_response(&[4, 0, 2]).unwrap();
    cell.add_response(&[1, 3, 0]).unwrap();
    assert_eq!(cell.respondents(), 2);
    assert_eq!(cell.distribution(0), [1, 0, 0, 1]);
    assert_eq!(cell.distribution(1), [0, 0, 1, 0]);
    // A wrong length or a score of 5 changes nothing.
    assert!(cell.add_response(&[4, 4]).is_err());
    assert!(matches!(
        cell.add_response(&[5, 1, 1]),
        Err(AnalyticsError::ScoreOutOfRange { value: 5, .. })
    ));
    assert_eq!(cell.respondents(), 2);
    // Subtracting more than is there is refused and leaves the cell as it was.
    let mut bigger = cell.clone();
    bigger.add_response(&[1, 1, 1]).unwrap();
    let before = cell.clone();
    assert!(cell.subtract(&bigger).is_err());
    assert_eq!(cell, before);
    assert!(cell.merge(&CellSums::new(9)).is_err());
    // Another element order: the third element first, and one the cell lacks.
    let p = cell.project(&[Some(2), None, Some(0)]);
    assert_eq!(p.respondents(), 2);
    assert_eq!(p.distribution(0), [0, 1, 0, 0]);
    assert_eq!(p.distribution(1), [0; 4]);
    assert_eq!(p.distribution(2), [1, 0, 0, 1]);
    // Stored bytes: the format byte, then varints; other formats and sums that
    // cannot belong together are refused.
    let bytes = cell.encode();
    assert_eq!(bytes[..3], [CELL_FORMAT, 3, 2]);
    let mut other = bytes.clone();
    other[0] = 2;
    assert!(CellSums::decode(&other).is_err());
    let mut inconsistent = bytes.clone();
    inconsistent[2] = 0; // n = 0 with answers counted
    assert!(CellSums::decode(&inconsistent).is_err());
    assert!(CellSums::decode(&[CELL_FORMAT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
}

#[test]
fn what_the_cells_cannot_answer_is_said() {
    assert_eq!(cell_source(&query(&[Dimension::Service])), Some(CellSource::Days));
    // Two profile dimensions at once: only the respondents know the pairs.
    assert_eq!(
        cell_source(&query(&[profile("jenis_kelamin"), profile("umur_kelompok")])),
        None
    );
    // A profile the cells do not keep.
    assert_eq!(cell_source(&query(&[profile("status")])), None);
    // A profile over part of a month.
    let mut q = query(&[profile("jenis_kelamin")]);
    q.range = DateRange::new(d(2025, 1, 1), d(2025, 1, 15));
    assert_eq!(cell_source(&q), None);
    q.range = DateRange::new(d(2025, 1, 1), d(2025, 2, 28));
    assert_eq!(cell_source(&q), Some(CellSource::Months("jenis_kelamin".into())));
    // The previous range of whole months is whole months.
    q.compare = Some(Comparison::Previous);
    assert_eq!(cell_source(&q), Some(CellSource::Months("jenis_kelamin".into())));
    // April shifted back a month ends on 30 March: the baseline is not whole months.
    let mut q = query(&[profile("jenis_kelamin"), Dimension::Month]);
    q.range = DateRange::new(d(2025, 4, 1), d(2025, 4, 30));
    q.compare = Some(Comparison::Previous);
    assert_eq!(cell_source(&q), None);
    q.compare = None;
    assert!(cell_source(&q).is_some());
}
