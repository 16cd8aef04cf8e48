//! Property tests: the crate against a deliberately simple reference implementation
//! written as plain loops over rows, on random data.

// The reference is meant to read like the regulation's arithmetic: index loops.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;

use analytics::{
    ComplaintColumns, ComplaintQuery, DateRange, Dimension, IkmQuery, Mutu, Period, RuleSet, SurveyColumns, SurveyRow,
    WeightMode, WorkingCalendar, complaint_stats, ikm, round_half_away,
};
use chrono::{Datelike, Days, NaiveDate, Weekday};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Row {
    unit: String,
    service: String,
    date: NaiveDate,
    jk: Option<String>,
    scores: Vec<Option<u8>>,
}

fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 1).unwrap()
}

fn row_strategy(k: usize) -> impl Strategy<Value = Row> {
    (
        0..3usize,
        0..3usize,
        0..200u64,
        prop::option::of(prop::sample::select(vec!["L", "P"])),
        prop::collection::vec(prop::option::weighted(0.85, 1..=4u8), k),
    )
        .prop_map(|(u, s, day, jk, scores)| Row {
            unit: format!("Unit {u}"),
            service: format!("Layanan {s}"),
            date: base_date().checked_add_days(Days::new(day)).unwrap(),
            jk: jk.map(str::to_string),
            scores,
        })
}

fn label(dim: &Dimension, r: &Row) -> Option<String> {
    let (y, m) = (r.date.year(), r.date.month());
    match dim {
        Dimension::Unit => Some(r.unit.clone()),
        Dimension::Service => Some(r.service.clone()),
        Dimension::Month => Some(format!("{y}-{m:02}")),
        Dimension::Quarter => Some(format!("{y}-Q{}", (m - 1) / 3 + 1)),
        Dimension::Semester => Some(format!("{y}-S{}", if m <= 6 { 1 } else { 2 })),
        Dimension::Year => Some(format!("{y}")),
        Dimension::Profile(_) => r.jk.clone(),
    }
}

#[derive(Debug, Default)]
struct RefGroup {
    n: u64,
    answered: Vec<u64>,
    sum: Vec<u64>,
    members: Vec<usize>,
}

struct RefResult {
    nrr: Vec<Option<f64>>,
    ikm: Option<f64>,
    se: Option<f64>,
}

/// The IKM of SKM.md, computed the long way.
fn reference(
    rows: &[Row],
    k: usize,
    dims: &[Dimension],
    range: &DateRange,
    weight: WeightMode,
) -> BTreeMap<Vec<Option<String>>, (RefGroup, RefResult)> {
    let mut groups: BTreeMap<Vec<Option<String>>, RefGroup> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if !range.contains(r.date) {
            continue;
        }
        let key: Vec<Option<String>> = dims.iter().map(|d| label(d, r)).collect();
        let g = groups.entry(key).or_insert_with(|| RefGroup {
            answered: vec![0; k],
            sum: vec![0; k],
            ..RefGroup::default()
        });
        g.n += 1;
        g.members.push(i);
        for e in 0..k {
            if let Some(s) = r.scores[e] {
                g.answered[e] += 1;
                g.sum[e] += s as u64;
            }
        }
    }
    let mut out = BTreeMap::new();
    for (key, g) in groups {
        let nrr: Vec<Option<f64>> = (0..k)
            .map(|e| (g.answered[e] > 0).then(|| g.sum[e] as f64 / g.answered[e] as f64))
            .collect();
        let answered_elements = nrr.iter().flatten().count();
        let w = match weight {
            WeightMode::Exact => 1.0 / answered_elements as f64,
            WeightMode::Printed3 => round_half_away(1.0 / k as f64, 3),
            WeightMode::Printed2 => round_half_away(1.0 / k as f64, 2),
        };
        let ikm = (answered_elements > 0).then(|| {
            let mut total = 0.0;
            for v in nrr.iter().flatten() {
                total += v;
            }
            match weight {
                WeightMode::Exact => total / answered_elements as f64,
                _ => nrr.iter().flatten().map(|v| v * w).sum(),
            }
        });
        let se = (ikm.is_some() && g.n >= 2).then(|| {
            let mut ss = 0.0;
            for &i in &g.members {
                let mut u = 0.0;
                for e in 0..k {
                    if let (Some(x), Some(m)) = (rows[i].scores[e], nrr[e]) {
                        u += w * (x as f64 - m) / g.answered[e] as f64;
                    }
                }
                ss += u * u;
            }
            25.0 * (g.n as f64 / (g.n - 1) as f64 * ss).sqrt()
        });
        out.insert(key, (g, RefResult { nrr, ikm, se }));
    }
    out
}

fn grade(konversi: f64, rules: &RuleSet) -> Mutu {
    // straight from the tables, on the rounded value
    let v = round_half_away(konversi, 2);
    let bounds: [(f64, Mutu); 3] = if rules.id == RuleSet::permenpan_14_2017().id {
        [(88.31, Mutu::A), (76.61, Mutu::B), (65.00, Mutu::C)]
    } else {
        [(81.26, Mutu::A), (62.51, Mutu::B), (43.76, Mutu::C)]
    };
    bounds.iter().find(|(b, _)| v >= *b).map(|(_, m)| *m).unwrap_or(Mutu::D)
}

fn frame_of(rows: &[Row], rules: &RuleSet) -> analytics::SurveyFrame {
    let mut b = SurveyColumns::new(&rules.element_keys(), &["jenis_kelamin"]);
    for r in rows {
        b.push(SurveyRow {
            unit: &r.unit,
            service: &r.service,
            date: r.date,
            scores: &r.scores,
            profile: &[r.jk.as_deref()],
            umur: None,
        });
    }
    b.into_frame().unwrap()
}

fn dims_strategy() -> impl Strategy<Value = Vec<Dimension>> {
    prop::sample::subsequence(
        vec![
            Dimension::Unit,
            Dimension::Service,
            Dimension::Month,
            Dimension::Quarter,
            Dimension::Semester,
            Dimension::Year,
            Dimension::Profile("jenis_kelamin".into()),
        ],
        0..=3,
    )
    .prop_shuffle()
}

fn range_strategy() -> impl Strategy<Value = DateRange> {
    (prop::option::of(0..200u64), prop::option::of(0..200u64)).prop_map(|(a, b)| DateRange {
        from: a.map(|a| base_date().checked_add_days(Days::new(a)).unwrap()),
        to: b.map(|b| base_date().checked_add_days(Days::new(b)).unwrap()),
    })
}

fn check_ikm(
    rows: &[Row],
    rules: &RuleSet,
    dims: Vec<Dimension>,
    range: DateRange,
    weight: WeightMode,
) -> Result<(), TestCaseError> {
    let k = rules.elements.len();
    let frame = frame_of(rows, rules);
    let report = ikm(
        &frame,
        &IkmQuery {
            rule_set: rules.clone(),
            group_by: dims.clone(),
            range,
            weight,
            ..IkmQuery::default()
        },
    )
    .unwrap();
    let expected = reference(rows, k, &dims, &range, weight);
    prop_assert_eq!(report.groups.len(), expected.len());
    for g in &report.groups {
        let key: Vec<Option<String>> = g.key.iter().map(|kv| kv.value.clone()).collect();
        let (rg, rr) = expected
            .get(&key)
            .ok_or_else(|| TestCaseError::fail(format!("unexpected group {key:?}")))?;
        prop_assert_eq!(g.respondents, rg.n);
        for (e, el) in g.elements.iter().enumerate() {
            prop_assert_eq!(&el.key, &rules.elements[e].key);
            prop_assert_eq!(el.answered, rg.answered[e]);
            prop_assert_eq!(el.sum, rg.sum[e]);
            prop_assert_eq!(el.distribution.iter().sum::<u64>(), rg.answered[e]);
            match (&el.score, rr.nrr[e]) {
                (None, None) => {}
                (Some(s), Some(nrr)) => {
                    prop_assert_eq!(s.nrr, round_half_away(nrr, 2));
                    prop_assert_eq!(s.konversi, round_half_away(nrr * 25.0, 2));
                }
                (a, b) => return Err(TestCaseError::fail(format!("nrr {a:?} vs {b:?}"))),
            }
        }
        // weakest first = ascending NRR, ties in questionnaire order
        let mut order: Vec<usize> = (0..k).filter(|e| rr.nrr[*e].is_some()).collect();
        order.sort_by(|a, b| rr.nrr[*a].partial_cmp(&rr.nrr[*b]).unwrap().then(a.cmp(b)));
        let keys: Vec<String> = order.iter().map(|e| rules.elements[*e].key.clone()).collect();
        prop_assert_eq!(&g.weakest_first, &keys);
        match (&g.index, rr.ikm) {
            (None, None) => {}
            (Some(i), Some(ikm)) => {
                prop_assert!((i.ikm_exact - ikm).abs() < 1e-12);
                prop_assert_eq!(i.konversi, round_half_away(ikm * 25.0, 2));
                prop_assert_eq!(i.ikm, round_half_away(ikm, 2));
                prop_assert_eq!(i.mutu, grade(ikm * 25.0, rules));
                // Exact weights keep every index on the 25-100 scale. Legacy printed
                // weights reproduce old apps' arithmetic (0.111 x each NRR), which tops
                // out below 100 and falls under 25 when elements go unanswered.
                if weight == WeightMode::Exact {
                    prop_assert!(i.konversi >= 25.0 && i.konversi <= 100.0);
                } else {
                    prop_assert!(i.konversi <= 100.0);
                }
                match (&i.ci, rr.se) {
                    (None, None) => {}
                    (Some(ci), Some(se)) => {
                        prop_assert!((ci.standard_error - round_half_away(se, 2)).abs() < 0.011);
                        prop_assert!(ci.lower <= i.konversi + 1e-9);
                        prop_assert!(ci.upper >= i.konversi - 1e-9);
                        prop_assert!(ci.lower >= 25.0 && ci.upper <= 100.0);
                    }
                    (a, b) => return Err(TestCaseError::fail(format!("ci {a:?} vs {b:?}"))),
                }
            }
            (a, b) => return Err(TestCaseError::fail(format!("ikm {a:?} vs {b:?}"))),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn ikm_matches_reference_14_2017(
        rows in prop::collection::vec(row_strategy(9), 0..60),
        dims in dims_strategy(),
        range in range_strategy(),
        weight in prop::sample::select(vec![WeightMode::Exact, WeightMode::Printed3, WeightMode::Printed2]),
    ) {
        check_ikm(&rows, &RuleSet::permenpan_14_2017(), dims, range, weight)?;
    }

    #[test]
    fn ikm_matches_reference_25_2004(
        rows in prop::collection::vec(row_strategy(14), 0..40),
        dims in dims_strategy(),
        range in range_strategy(),
    ) {
        check_ikm(&rows, &RuleSet::kepmenpan_25_2004(), dims, range, WeightMode::Exact)?;
    }

    /// Every value on the scale gets a grade, and the grade never goes down as the
    /// value goes up.
    #[test]
    fn every_konversi_is_graded_monotonically(a in 2500u32..=10000, b in 2500u32..=10000) {
        for rules in RuleSet::builtin() {
            let (lo, hi) = (a.min(b) as f64 / 100.0, a.max(b) as f64 / 100.0);
            let (gl, gh) = (rules.grade_konversi(lo).mutu, rules.grade_konversi(hi).mutu);
            prop_assert!(gh <= gl, "{lo} {gl:?} {hi} {gh:?}"); // A < B < ... in enum order
            prop_assert_eq!(gl, grade(lo, &rules));
        }
    }
}

// ---------------------------------------------------------------------------
// Complaints
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Complaint {
    unit: usize,
    bobot: Option<&'static str>,
    channel: &'static str,
    received: NaiveDate,
    first_answer: Option<NaiveDate>,
    closed: Option<NaiveDate>,
}

fn complaint_strategy() -> impl Strategy<Value = Complaint> {
    (
        0..2usize,
        prop::option::of(prop::sample::select(vec!["ringan", "sedang", "berat"])),
        prop::sample::select(vec!["email", "website", "surat", "whatsapp"]),
        0..120u64,
        prop::option::of(0..30u64),
        prop::option::of(0..90u64),
    )
        .prop_map(|(unit, bobot, channel, r, fa, c)| {
            let received = base_date().checked_add_days(Days::new(r)).unwrap();
            Complaint {
                unit,
                bobot,
                channel,
                received,
                first_answer: fa.map(|d| received.checked_add_days(Days::new(d)).unwrap()),
                closed: c.map(|d| received.checked_add_days(Days::new(d)).unwrap()),
            }
        })
}

fn slow_working_days(from: NaiveDate, to: NaiveDate, holidays: &[NaiveDate]) -> i64 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d.succ_opt().unwrap();
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !holidays.contains(&d) {
            n += 1;
        }
    }
    n
}

fn slow_median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn complaint_stats_match_reference(
        cs in prop::collection::vec(complaint_strategy(), 0..50),
        holiday_offsets in prop::collection::vec(0..200u64, 0..6),
    ) {
        let holidays: Vec<NaiveDate> = holiday_offsets
            .iter()
            .map(|d| base_date().checked_add_days(Days::new(*d)).unwrap())
            .collect();
        let as_of = base_date().checked_add_days(Days::new(150)).unwrap();
        let mut cols = ComplaintColumns::default();
        for (i, c) in cs.iter().enumerate() {
            cols.id.push(i as i64);
            cols.unit.push(format!("U{}", c.unit));
            cols.service.push(Some("Layanan".into()));
            cols.division.push(None);
            cols.channel.push(c.channel.into());
            cols.bobot.push(c.bobot.map(str::to_string));
            cols.jenis.push(None);
            cols.klasifikasi.push("pengaduan".into());
            cols.status.push(if c.closed.is_some() { "selesai" } else { "diterima" }.into());
            cols.received_at.push(c.received);
            cols.first_answer_at.push(c.first_answer);
            cols.closed_at.push(c.closed);
            cols.due_at.push(None);
        }
        let frame = cols.into_frame().unwrap();
        let mut q = ComplaintQuery::new(as_of);
        q.holidays = holidays.clone();
        q.period = Period::Month;
        q.units = vec!["U0".into()];
        let st = complaint_stats(&frame, &q).unwrap();

        let mine: Vec<&Complaint> = cs.iter().filter(|c| c.unit == 0).collect();
        prop_assert_eq!(st.total, mine.len() as u64);
        let email = mine.iter().filter(|c| c.channel == "email").count() as u64;
        let got = st.by_channel.iter().find(|c| c.value.as_deref() == Some("email")).map(|c| c.count).unwrap_or(0);
        prop_assert_eq!(got, email);

        // flow: each month's backlog = received by its end and not closed by its end
        for f in &st.flow {
            let backlog = mine.iter().filter(|c| c.received <= f.to && c.closed.is_none_or(|x| x > f.to)).count() as u64;
            let opened = mine.iter().filter(|c| c.received >= f.from && c.received <= f.to).count() as u64;
            let closed = mine.iter().filter(|c| c.closed.is_some_and(|x| x >= f.from && x <= f.to)).count() as u64;
            prop_assert_eq!((f.opened, f.closed, f.backlog), (opened, closed, backlog), "{}", f.period);
        }

        // close durations in working days
        let close: Vec<f64> = mine.iter()
            .filter_map(|c| c.closed.filter(|d| *d <= as_of).map(|d| slow_working_days(c.received, d, &holidays) as f64))
            .collect();
        prop_assert_eq!(st.close_days.count, close.len() as u64);
        prop_assert_eq!(st.close_days.median, slow_median(close).map(|m| round_half_away(m, 2)));

        // resolution SLA per bobot against targets 5 / 14 / 60 working days
        let cal = WorkingCalendar::new(holidays.iter().copied());
        for row in &st.sla {
            let target = match row.bobot.as_deref() { Some("ringan") => 5, Some("sedang") => 14, Some("berat") => 60, _ => continue };
            let of: Vec<&&Complaint> = mine.iter().filter(|c| c.bobot == row.bobot.as_deref()).collect();
            let mut met = 0;
            let mut late = 0;
            let mut overdue = 0;
            for c in of {
                let mut due = c.received;
                let mut left = target;
                while left > 0 { due = due.succ_opt().unwrap(); if cal.is_working_day(due) { left -= 1; } }
                match c.closed.filter(|d| *d <= as_of) {
                    Some(d) if d <= due => met += 1,
                    Some(_) => late += 1,
                    None if as_of > due => overdue += 1,
                    None => {},
                }
            }
            prop_assert_eq!((row.resolve.met, row.resolve.missed, row.resolve.open_overdue), (met, late, overdue));
        }
    }
}
