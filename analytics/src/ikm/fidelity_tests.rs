//! Issue 20: figures that agree with each other. An element's grade is the grade of
//! its printed score; the weight a group used is the one a report prints; the change
//! against the previous period treats both periods alike and its flag agrees with
//! the printed change and noise.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::tests::{d, frame, weighted};
use super::*;

/// One survey row: unit, service, date, scores.
type Row<'a> = (&'a str, &'a str, NaiveDate, Vec<Option<u8>>);

/// `fours` respondents answering 4 and `threes` answering 3 to the first element,
/// everybody 3 to the others: the first element's NRR is (4·fours + 3·threes)/n.
fn first_element_rows<'a>(rules: &RuleSet, service: &'a str, fours: usize, threes: usize) -> Vec<Row<'a>> {
    let k = rules.elements.len();
    (0..fours + threes)
        .map(|i| {
            let mut s = vec![Some(3u8); k];
            s[0] = Some(if i < fours { 4 } else { 3 });
            ("U", service, d(2026, 1, 5), s)
        })
        .collect()
}

#[test]
fn element_grade_is_the_grade_of_its_printed_konversi() {
    // 14/2017: NRR 219/62 = 3.53226 prints 88,31, which is A (as a headline 88,31
    // is); graded on the NRR it was B.
    let rules = RuleSet::permenpan_14_2017();
    let f = frame(&rules, &first_element_rows(&rules, "S", 33, 29));
    let r = ikm(&f, &IkmQuery::default()).unwrap();
    let s = r.groups[0].elements[0].score.clone().unwrap();
    assert!((3.5322..3.5324).contains(&s.nrr_exact), "{}", s.nrr_exact);
    assert_eq!(s.konversi, 88.31);
    assert_eq!(s.mutu, Mutu::A);
    assert_eq!(s.mutu, rules.grade_konversi(88.31).mutu);

    // 25/2004: NRR 153/47 = 3.2553 prints 81,38, in band A (81,26-100) of the
    // konversi column the bar is drawn against; graded on the NRR it was B.
    let rules = RuleSet::kepmenpan_25_2004();
    let f = frame(&rules, &first_element_rows(&rules, "S", 12, 35));
    let q = IkmQuery {
        rule_set: rules.clone(),
        ..IkmQuery::default()
    };
    let s = ikm(&f, &q).unwrap().groups[0].elements[0].score.clone().unwrap();
    assert!((3.2504..3.26).contains(&s.nrr_exact), "{}", s.nrr_exact);
    assert_eq!(s.konversi, 81.38);
    assert_eq!(s.mutu, Mutu::A);
}

#[test]
fn every_element_row_agrees_with_itself_under_both_rule_sets() {
    // Every NRR p/q with q up to 80 respondents: the grade beside the printed
    // konversi is that konversi's grade, the same rule as the headline.
    for rules in RuleSet::builtin() {
        let shares: Vec<(usize, usize, String)> = (1..=80usize)
            .flat_map(|q| (0..=q).map(move |fours| (q, fours, format!("{q}-{fours}"))))
            .collect();
        let rows: Vec<Row<'_>> = shares
            .iter()
            .flat_map(|(q, fours, service)| first_element_rows(&rules, service, *fours, q - fours))
            .collect();
        let f = frame(&rules, &rows);
        let q = IkmQuery {
            rule_set: rules.clone(),
            group_by: vec![Dimension::Service],
            ..IkmQuery::default()
        };
        let r = ikm(&f, &q).unwrap();
        for g in &r.groups {
            for e in &g.elements {
                let s = e.score.as_ref().unwrap();
                assert_eq!(
                    s.mutu,
                    rules.grade_konversi(s.konversi).mutu,
                    "{} {:?}",
                    rules.id,
                    g.key
                );
            }
            let i = g.index.as_ref().unwrap();
            assert_eq!(i.mutu, rules.grade_konversi(i.konversi).mutu);
        }
    }
}

#[test]
fn the_weight_a_group_used_is_the_weight_reported() {
    let rules = RuleSet::permenpan_14_2017();
    let mut s = vec![Some(4u8); 9];
    s[3] = None; // biaya: nobody answered
    let f = frame(
        &rules,
        &[("U", "S", d(2026, 1, 5), s.clone()), ("U", "S", d(2026, 1, 6), s)],
    );
    let r = ikm(&f, &IkmQuery::default()).unwrap();
    let g = &r.groups[0];
    assert_eq!(g.unanswered_elements, ["biaya"]);
    let w = r.group_weight(g);
    assert_eq!((w.label.as_str(), w.mode), ("1/8", WeightMode::Exact));
    // Σ NRR × printed weight gives the printed index.
    let sum: f64 = g
        .elements
        .iter()
        .filter_map(|e| e.score.as_ref())
        .map(|s| s.nrr * w.value)
        .sum();
    assert_eq!(round_half_away(sum * 25.0, 2), g.index.as_ref().unwrap().konversi);
    assert_eq!(r.group_maximum(g), 100.0);
    // All answered: the rule set's 1/9.
    let full = frame(&rules, &[("U", "S", d(2026, 1, 5), vec![Some(4u8); 9])]);
    let r = ikm(&full, &IkmQuery::default()).unwrap();
    assert_eq!(r.group_weight(&r.groups[0]).label, "1/9");
    // Legacy printed weight: stays 0.111, so the missing element adds 0 and the
    // best possible score drops to 8 × 4 × 0.111 × 25 = 88.80.
    let r = weighted(&f, WeightMode::Printed3);
    let g = &r.groups[0];
    assert_eq!(r.group_weight(g).label, "0.111");
    assert_eq!(r.group_maximum(g), 88.8);
    assert_eq!(g.index.as_ref().unwrap().konversi, 88.8);
}

/// Two quarters of `groups` services with small, varied groups of respondents.
fn two_quarters(rules: &RuleSet, groups: usize) -> SurveyFrame {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let names: Vec<String> = (0..groups).map(|g| format!("L{g:05}")).collect();
    let mut rows: Vec<Row<'_>> = Vec::new();
    for name in &names {
        for (q, day) in [(0u64, d(2026, 2, 10)), (1, d(2026, 5, 10))] {
            let n = 3 + (next() % 10) as usize;
            let bias = next() % 3;
            for _ in 0..n {
                let scores = (0..rules.elements.len())
                    .map(|_| Some((1 + (next() % 3 + bias + q).min(3)) as u8))
                    .collect();
                rows.push(("U", name, day, scores));
            }
        }
    }
    frame(rules, &rows)
}

#[test]
fn the_change_flag_agrees_with_the_printed_change_and_noise() {
    let rules = RuleSet::permenpan_14_2017();
    let f = two_quarters(&rules, 3000);
    let q = IkmQuery {
        group_by: vec![Dimension::Service, Dimension::Quarter],
        range: DateRange::new(d(2026, 4, 1), d(2026, 6, 30)),
        compare: Some(Comparison::Previous),
        ..IkmQuery::default()
    };
    let r = ikm(&f, &q).unwrap();
    let mut checked = 0;
    for g in &r.groups {
        let p = g.previous.as_ref().unwrap();
        let now = g.index.as_ref().unwrap().konversi;
        let then = p.previous_konversi.unwrap();
        // The change is the difference of the printed figures...
        assert_eq!(p.change, Some(round_half_away(now - then, 2)));
        // ...and the flag is what a reader concludes from the printed change and noise.
        let (change, noise) = (p.change.unwrap(), p.noise.unwrap());
        assert_eq!(
            p.exceeds_noise,
            Some(change.abs() > noise + 1e-9),
            "{:?}: {change} ± {noise}",
            g.key
        );
        checked += 1;
    }
    assert_eq!(checked, 3000);
}

#[test]
fn both_periods_get_the_population_correction_or_neither() {
    let rules = RuleSet::permenpan_14_2017();
    let f = two_quarters(&rules, 1);
    let base = IkmQuery {
        group_by: vec![Dimension::Quarter],
        range: DateRange::new(d(2026, 4, 1), d(2026, 6, 30)),
        compare: Some(Comparison::Previous),
        ..IkmQuery::default()
    };
    let pop = |quarter: &str, n: u64| Population {
        key: BTreeMap::from([("quarter".to_string(), quarter.to_string())]),
        population: n,
    };
    let change = |populations: Vec<Population>| {
        let q = IkmQuery {
            populations,
            ..base.clone()
        };
        let g = ikm(&f, &q).unwrap().groups.remove(0);
        (g.previous.unwrap(), g.index.unwrap().ci.unwrap())
    };
    let (none, ci_none) = change(vec![]);
    // Only this quarter's population known: its own interval is corrected, but the
    // comparison corrects neither period, so the noise is the uncorrected one.
    let (only_now, ci_now) = change(vec![pop("2026-Q2", 15)]);
    assert!(
        ci_now.standard_error < ci_none.standard_error,
        "the group's own interval is corrected"
    );
    assert_eq!(only_now.noise, none.noise, "no correction for one side only");
    // Both quarters' populations known: both corrected, so the noise shrinks.
    let (both, _) = change(vec![pop("2026-Q2", 15), pop("2026-Q1", 15)]);
    assert!(both.noise.unwrap() < none.noise.unwrap(), "{both:?} vs {none:?}");
    assert_eq!(both.change, none.change, "the correction never moves the change");
}
