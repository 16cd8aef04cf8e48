use chrono::NaiveDate;
use polars_core::prelude::*;

use super::Dimension;
use super::*;
use crate::frame::{SurveyColumns, SurveyRow};

pub(super) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A frame for `rules` with one row per `(unit, service, date, all-elements score)`.
pub(super) fn frame(rules: &RuleSet, rows: &[(&str, &str, NaiveDate, Vec<Option<u8>>)]) -> SurveyFrame {
    let mut b = SurveyColumns::new(&rules.element_keys(), &["jenis_kelamin"]);
    for (i, (u, s, date, scores)) in rows.iter().enumerate() {
        b.push(SurveyRow {
            unit: u,
            service: s,
            date: *date,
            scores,
            profile: &[Some(if i % 2 == 0 { "L" } else { "P" })],
            umur: Some(18 + (i as u32 * 7) % 50),
        });
    }
    b.into_frame().unwrap()
}

fn all(k: usize, v: u8) -> Vec<Option<u8>> {
    vec![Some(v); k]
}

fn one_group(f: &SurveyFrame, q: &IkmQuery) -> IkmGroup {
    let r = ikm(f, q).unwrap();
    assert_eq!(r.groups.len(), 1);
    r.groups.into_iter().next().unwrap()
}

#[test]
fn one_respondent_all_fours_is_exactly_100() {
    let rules = RuleSet::permenpan_14_2017();
    let f = frame(&rules, &[("U", "S", d(2026, 1, 5), all(9, 4))]);
    let g = one_group(&f, &IkmQuery::default());
    let i = g.index.unwrap();
    assert_eq!(i.ikm, 4.0);
    assert_eq!(i.konversi, 100.0);
    assert_eq!(i.mutu, Mutu::A);
    assert_eq!(i.kinerja, "Sangat Baik");
    assert!(i.ci.is_none(), "no interval from one respondent");
    for e in &g.elements {
        let s = e.score.as_ref().unwrap();
        assert_eq!(s.nrr, 4.0);
        assert_eq!(s.mutu, Mutu::A);
    }
}

#[test]
fn maximum_is_exactly_100_for_both_rule_sets_and_many_respondents() {
    for rules in RuleSet::builtin() {
        let k = rules.elements.len();
        let rows: Vec<_> = (0..37).map(|_| ("U", "S", d(2026, 1, 5), all(k, 4))).collect();
        let f = frame(&rules, &rows);
        let q = IkmQuery {
            rule_set: rules.clone(),
            ..IkmQuery::default()
        };
        let i = one_group(&f, &q).index.unwrap();
        assert_eq!(i.konversi, 100.0, "{}", rules.id);
        assert!(i.konversi_exact <= 100.0 + 1e-9);
        assert_eq!(i.ci.unwrap().upper, 100.0);
    }
}

#[test]
fn all_ones_and_all_fours_give_62_50_d() {
    let rules = RuleSet::permenpan_14_2017();
    let f = frame(
        &rules,
        &[
            ("U", "S", d(2026, 1, 5), all(9, 1)),
            ("U", "S", d(2026, 1, 6), all(9, 4)),
        ],
    );
    let g = one_group(&f, &IkmQuery::default());
    let i = g.index.unwrap();
    assert_eq!(i.ikm, 2.5);
    assert_eq!(i.konversi, 62.5);
    assert_eq!(i.mutu, Mutu::D);
    for e in &g.elements {
        assert_eq!(e.score.as_ref().unwrap().nrr, 2.5);
    }
    // respondent means 1 and 4: s = sqrt(4.5), se = s/sqrt(2) = 1.5, × 25
    let ci = i.ci.unwrap();
    assert_eq!(ci.standard_error, 37.5);
    assert_eq!(ci.lower, 25.0);
    assert_eq!(ci.upper, 100.0);
}

#[test]
fn mean_exactly_3_5324_is_88_31_a_not_88_25_b() {
    // 1331 respondents all 4 and 1169 all 3: every NRR = 8831/2500 = 3.5324
    let rules = RuleSet::permenpan_14_2017();
    let mut rows = Vec::new();
    for i in 0..2500 {
        rows.push(("U", "S", d(2026, 2, 1), all(9, if i < 1331 { 4 } else { 3 })));
    }
    let f = frame(&rules, &rows);
    let g = one_group(&f, &IkmQuery::default());
    let i = g.index.unwrap();
    assert!((i.ikm_exact - 3.5324).abs() < 1e-12);
    assert_eq!(i.konversi, 88.31);
    assert_eq!(i.mutu, Mutu::A);
    for e in &g.elements {
        let s = e.score.as_ref().unwrap();
        assert_eq!(s.nrr, 3.53);
        assert_eq!(s.konversi, 88.31);
        assert_eq!(s.mutu, Mutu::A, "element graded at table precision");
    }
}

#[test]
fn missing_answers_leave_only_their_element_denominator() {
    let rules = RuleSet::permenpan_14_2017();
    let mut a = all(9, 4);
    a[2] = None; // waktu unanswered by the first respondent
    let f = frame(
        &rules,
        &[("U", "S", d(2026, 1, 5), a), ("U", "S", d(2026, 1, 5), all(9, 2))],
    );
    let g = one_group(&f, &IkmQuery::default());
    let waktu = &g.elements[2];
    assert_eq!(waktu.key, "waktu");
    assert_eq!((waktu.answered, waktu.sum), (1, 2));
    assert_eq!(waktu.score.as_ref().unwrap().nrr, 2.0);
    assert_eq!(g.elements[0].score.as_ref().unwrap().nrr, 3.0);
    // IKM = (8 × 3 + 2) / 9
    assert!((g.index.unwrap().ikm_exact - 26.0 / 9.0).abs() < 1e-12);
    assert_eq!(g.weakest_first[0], "waktu");
    assert_eq!(waktu.score.as_ref().unwrap().rank, 1);
}

#[test]
fn an_element_nobody_answered_is_listed_and_left_out() {
    let rules = RuleSet::permenpan_14_2017();
    let mut a = all(9, 3);
    a[8] = None;
    let f = frame(&rules, &[("U", "S", d(2026, 1, 5), a)]);
    let g = one_group(&f, &IkmQuery::default());
    assert_eq!(g.unanswered_elements, vec!["pengaduan".to_string()]);
    assert!(g.elements[8].score.is_none());
    assert_eq!(g.index.unwrap().konversi, 75.0);
    assert_eq!(g.weakest_first.len(), 8);
}

/// The report of one group of everybody in `f`, computed with `weight`.
pub(super) fn weighted(f: &SurveyFrame, weight: WeightMode) -> IkmReport {
    ikm(
        f,
        &IkmQuery {
            weight,
            ..IkmQuery::default()
        },
    )
    .unwrap()
}

#[test]
fn legacy_printed_weights_reproduce_old_reports_and_say_so() {
    let rules = RuleSet::permenpan_14_2017();
    let f = frame(&rules, &[("U", "S", d(2026, 1, 5), all(9, 4))]);
    let r = weighted(&f, WeightMode::Printed3);
    assert_eq!(r.weight.label, "0.111");
    assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 99.9);
    let r = weighted(&f, WeightMode::Printed2);
    assert_eq!(r.weight.label, "0.11");
    assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 99.0);
    let r = ikm(&f, &IkmQuery::default()).unwrap();
    assert_eq!(r.weight.label, "1/9");
    assert_eq!(r.weight.mode, WeightMode::Exact);
}

#[test]
fn legacy_rule_set_uses_its_own_table() {
    // konversi 76.47: B under 25/2004, C under 14/2017 (checked on the table in
    // rules.rs); here a whole computation under 25/2004.
    let rules = RuleSet::kepmenpan_25_2004();
    let f = frame(&rules, &[("U", "S", d(2004, 5, 5), all(14, 3))]);
    let q = IkmQuery {
        rule_set: rules,
        ..IkmQuery::default()
    };
    let r = ikm(&f, &q).unwrap();
    assert_eq!(r.weight.label, "1/14");
    assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 75.0);
    assert_eq!(r.groups[0].index.as_ref().unwrap().mutu, Mutu::B);
    assert_eq!(r.elements.len(), 14);
}

#[test]
fn groups_by_unit_service_period_and_profile() {
    let rules = RuleSet::permenpan_14_2017();
    let f = frame(
        &rules,
        &[
            ("B", "S1", d(2026, 1, 5), all(9, 4)),
            ("A", "S1", d(2026, 4, 5), all(9, 3)),
            ("A", "S2", d(2026, 1, 31), all(9, 2)),
            ("A", "S1", d(2026, 2, 5), all(9, 1)),
        ],
    );
    let r = ikm(
        &f,
        &IkmQuery {
            group_by: vec![Dimension::Unit, Dimension::Quarter],
            ..IkmQuery::default()
        },
    )
    .unwrap();
    let keys: Vec<Vec<Option<String>>> = r
        .groups
        .iter()
        .map(|g| g.key.iter().map(|k| k.value.clone()).collect())
        .collect();
    let s = |a: &str, b: &str| vec![Some(a.to_string()), Some(b.to_string())];
    assert_eq!(keys, vec![s("A", "2026-Q1"), s("A", "2026-Q2"), s("B", "2026-Q1")]);
    assert_eq!(r.groups[0].respondents, 2);
    assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 37.5);
    assert_eq!(r.respondents, 4);

    for (dim, n) in [
        (Dimension::Month, 3),
        (Dimension::Semester, 1),
        (Dimension::Year, 1),
        (Dimension::Profile("jenis_kelamin".into()), 2),
        (Dimension::Profile("umur_kelompok".into()), 3),
        (Dimension::Service, 2),
    ] {
        let r = ikm(
            &f,
            &IkmQuery {
                group_by: vec![dim.clone()],
                ..IkmQuery::default()
            },
        )
        .unwrap();
        assert_eq!(r.groups.len(), n, "{dim}");
    }
}

#[test]
fn range_and_filters_select_rows() {
    let rules = RuleSet::permenpan_14_2017();
    let f = frame(
        &rules,
        &[
            ("A", "S1", d(2026, 1, 5), all(9, 4)),
            ("A", "S1", d(2026, 4, 5), all(9, 3)),
            ("B", "S2", d(2026, 1, 31), all(9, 2)),
        ],
    );
    let q = IkmQuery {
        range: DateRange::new(d(2026, 1, 1), d(2026, 3, 31)),
        filters: vec![Filter {
            dimension: Dimension::Unit,
            values: vec!["A".into()],
        }],
        ..IkmQuery::default()
    };
    let g = one_group(&f, &q);
    assert_eq!(g.respondents, 1);
    assert_eq!(g.index.unwrap().konversi, 100.0);
    let q = IkmQuery {
        range: DateRange::new(d(2027, 1, 1), d(2027, 3, 31)),
        ..IkmQuery::default()
    };
    assert!(ikm(&f, &q).unwrap().groups.is_empty());
}

#[test]
fn populations_flag_small_samples_and_narrow_the_interval() {
    let rules = RuleSet::permenpan_14_2017();
    let rows: Vec<_> = (0..30)
        .map(|i| ("A", "S1", d(2026, 1, 5), all(9, 1 + (i % 4) as u8)))
        .collect();
    let f = frame(&rules, &rows);
    let key = BTreeMap::from([("unit".to_string(), "A".to_string())]);
    let base = IkmQuery {
        group_by: vec![Dimension::Unit],
        ..IkmQuery::default()
    };
    let q = IkmQuery {
        populations: vec![Population {
            key: key.clone(),
            population: 100,
        }],
        ..base.clone()
    };
    let g = ikm(&f, &q).unwrap().groups.remove(0);
    assert_eq!(
        g.sample,
        Some(SampleCheck {
            population: 100,
            required: 80,
            collected: 30,
            below_required: true
        })
    );
    let plain = ikm(&f, &base).unwrap().groups.remove(0);
    assert!(plain.sample.is_none());
    let (a, b) = (g.index.unwrap().ci.unwrap(), plain.index.unwrap().ci.unwrap());
    assert!(a.standard_error < b.standard_error);
    let q = IkmQuery {
        populations: vec![Population { key, population: 30 }],
        ..base
    };
    let g = ikm(&f, &q).unwrap().groups.remove(0);
    assert!(!g.sample.unwrap().below_required);
}

#[test]
fn previous_period_change_and_noise() {
    let rules = RuleSet::permenpan_14_2017();
    let mut rows = Vec::new();
    for i in 0..40 {
        rows.push(("A", "S", d(2026, 1, 10), all(9, 2 + (i % 2) as u8)));
        rows.push(("A", "S", d(2026, 2, 10), all(9, 3 + (i % 2) as u8)));
        rows.push(("A", "S", d(2026, 3, 10), all(9, 3 + (i % 2) as u8)));
    }
    let f = frame(&rules, &rows);
    let q = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Month],
        range: DateRange::new(d(2026, 2, 1), d(2026, 3, 31)),
        compare: Some(Comparison::Previous),
        ..IkmQuery::default()
    };
    let r = ikm(&f, &q).unwrap();
    assert_eq!(r.groups.len(), 2);
    let feb = r.groups[0].previous.as_ref().unwrap();
    assert_eq!(feb.previous_key[1].value.as_deref(), Some("2026-01"));
    assert_eq!(feb.previous_konversi, Some(62.5));
    assert_eq!(feb.change, Some(25.0));
    assert_eq!(feb.exceeds_noise, Some(true));
    let mar = r.groups[1].previous.as_ref().unwrap();
    assert_eq!(mar.change, Some(0.0));
    assert_eq!(mar.exceeds_noise, Some(false));
    assert_eq!(r.comparison_range, Some(DateRange::new(d(2026, 1, 1), d(2026, 2, 28))));

    // a custom range compares with the range of the same length before it
    let q = IkmQuery {
        range: DateRange::new(d(2026, 2, 1), d(2026, 2, 28)),
        compare: Some(Comparison::Previous),
        ..IkmQuery::default()
    };
    let g = ikm(&f, &q).unwrap().groups.remove(0);
    assert_eq!(g.previous.unwrap().previous_konversi, Some(62.5));

    // without a range or time grouping there is nothing to compare with
    let q = IkmQuery {
        compare: Some(Comparison::Previous),
        ..IkmQuery::default()
    };
    assert!(matches!(ikm(&f, &q), Err(AnalyticsError::InvalidQuery(_))));

    // a first period has no previous data
    let q = IkmQuery {
        group_by: vec![Dimension::Month],
        compare: Some(Comparison::Previous),
        ..IkmQuery::default()
    };
    let r = ikm(&f, &q).unwrap();
    let jan = r.groups[0].previous.as_ref().unwrap();
    assert_eq!(jan.previous_respondents, 0);
    assert_eq!(jan.change, None);
    assert_eq!(r.groups[1].previous.as_ref().unwrap().change, Some(25.0));
}

#[test]
fn bad_input_gets_clear_messages() {
    let rules = RuleSet::permenpan_14_2017();
    let mut b = SurveyColumns::new(&["persyaratan"], &[]);
    b.push(SurveyRow {
        unit: "A",
        service: "S",
        date: d(2026, 1, 1),
        scores: &[Some(4)],
        profile: &[],
        umur: None,
    });
    let f = b.into_frame().unwrap();
    let e = ikm(&f, &IkmQuery::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "kolom 'prosedur (unsur U2 Sistem, Mekanisme, dan Prosedur)' tidak ada di data"
    );
    let f = frame(&rules, &[("A", "S", d(2026, 1, 1), all(9, 4))]);
    let q = IkmQuery {
        group_by: vec!["pekerjaan".parse().unwrap()],
        ..IkmQuery::default()
    };
    assert_eq!(
        ikm(&f, &q).unwrap_err(),
        AnalyticsError::MissingColumn("pekerjaan".into())
    );
    assert!("unsur".parse::<Dimension>().is_err());
    assert_eq!("layanan".parse::<Dimension>().unwrap(), Dimension::Service);
}

#[test]
fn out_of_range_scores_in_a_polars_frame_are_rejected() {
    let df = DataFrame::new(
        1,
        vec![
            Series::new("unit".into(), ["A"]).into_column(),
            Series::new("service".into(), ["S"]).into_column(),
            Series::new("date".into(), [20_000i32]).into_date().into_column(),
            Series::new("waktu".into(), [7i64]).into_column(),
        ],
    )
    .unwrap();
    let f = SurveyFrame::from_dataframe(df).unwrap();
    let mut rules = RuleSet::permenpan_14_2017();
    rules.elements.retain(|e| e.key == "waktu");
    let q = IkmQuery {
        rule_set: rules.clone(),
        ..IkmQuery::default()
    };
    assert_eq!(
        ikm(&f, &q).unwrap_err().to_string(),
        "nilai 7 di kolom 'waktu' di luar skala 1-4"
    );
    // the same check on UInt8 data, done inside the counting pass
    let df = DataFrame::new(
        1,
        vec![
            Series::new("unit".into(), ["A"]).into_column(),
            Series::new("service".into(), ["S"]).into_column(),
            Series::new("date".into(), [20_000i32]).into_date().into_column(),
            Series::new("waktu".into(), [0u8]).into_column(),
        ],
    )
    .unwrap();
    let f = SurveyFrame::from_dataframe(df).unwrap();
    assert_eq!(
        ikm(&f, &q).unwrap_err(),
        AnalyticsError::ScoreOutOfRange {
            column: "waktu".into(),
            value: 0
        }
    );
}

#[test]
fn query_and_report_serialise() {
    let q = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Profile("pendidikan".into())],
        compare: Some(Comparison::Previous),
        ..IkmQuery::default()
    };
    let json = serde_json::to_string(&q).unwrap();
    assert!(json.contains(r#""group_by":["unit","pendidikan"]"#), "{json}");
    let back: IkmQuery = serde_json::from_str(&json).unwrap();
    assert_eq!(back, q);
    let minimal: IkmQuery = serde_json::from_str(r#"{"group_by":["service"]}"#).unwrap();
    let documented: IkmQuery = serde_json::from_str(
        r#"{"group_by": ["unit", "triwulan"],
                "range": {"from": "2026-01-01", "to": "2026-06-30"},
                "weight": "printed3", "compare": "previous",
                "populations": [{"key": {"unit": "A", "quarter": "2026-Q1"}, "population": 1200}]}"#,
    )
    .unwrap();
    assert_eq!(documented.group_by, vec![Dimension::Unit, Dimension::Quarter]);
    assert_eq!(documented.weight, WeightMode::Printed3);
    assert_eq!(documented.compare, Some(Comparison::Previous));
    assert_eq!(documented.range.to, Some(d(2026, 6, 30)));
    let explicit: IkmQuery =
        serde_json::from_str(r#"{"compare": {"range": {"from": "2025-01-01", "to": "2025-06-30"}}}"#).unwrap();
    assert!(matches!(explicit.compare, Some(Comparison::Range(_))));
    assert_eq!(minimal.rule_set.id, crate::rules::PERMENPAN_14_2017);
    let rules = RuleSet::permenpan_14_2017();
    let f = frame(&rules, &[("A", "S", d(2026, 1, 1), all(9, 4))]);
    let r = ikm(&f, &IkmQuery::default()).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["groups"][0]["index"]["mutu"], "A");
    assert_eq!(r.kinerja(Mutu::C), "Kurang Baik");
}
