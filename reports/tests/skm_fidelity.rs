//! Issue 20, "SKM report figures that contradict each other", read back from the
//! printed PDF (pdftotext) and the XLSX (calamine): an element's grade is the grade
//! of its printed score; an element nobody answered is named and the weight printed
//! is the one used; BAB II says formula, names the sources with counts, and states
//! what the interval assumes; Lampiran 1 prints each question with its four answers;
//! the BAB IV trend table prints the change, its noise and the flag.

mod common;

use chrono::NaiveDate;
use common::*;
use reports::SkmReport;
use reports::skm::SourceCount;

/// One row per `(service, date, scores)`.
fn frame(rules: &analytics::RuleSet, rows: &[(&str, NaiveDate, Vec<Option<u8>>)]) -> analytics::SurveyFrame {
    let mut b = analytics::SurveyColumns::new(&rules.element_keys(), &[]);
    for (s, date, scores) in rows {
        b.push(analytics::SurveyRow {
            unit: "U",
            service: s,
            date: *date,
            scores,
            profile: &[],
            umur: None,
        });
    }
    b.into_frame().unwrap()
}

/// The report of Semester I 2026 over `frame` with the trend since 2024 and the
/// given source counts.
fn report(
    rules: &analytics::RuleSet,
    frame: &analytics::SurveyFrame,
    weight: analytics::WeightMode,
    sources: Vec<SourceCount>,
) -> SkmReport {
    let mut report = skm_report(rules, frame, weight, &[], Some(d(2024, 1, 1)));
    report.sources = sources;
    report
}

/// `fours` respondents answering 4 and `threes` answering 3 to the first element,
/// everybody 3 to the others, on a day of Semester I 2026.
fn first_element(
    rules: &analytics::RuleSet,
    fours: usize,
    threes: usize,
) -> Vec<(&'static str, NaiveDate, Vec<Option<u8>>)> {
    let k = rules.elements.len();
    (0..fours + threes)
        .map(|i| {
            let mut s = vec![Some(3u8); k];
            s[0] = Some(if i < fours { 4 } else { 3 });
            ("Layanan A", d(2026, 2, 1 + (i % 20) as u32), s)
        })
        .collect()
}

/// PDF text with every run of white space made one space, for sentences that wrap.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_at(range: &calamine::Range<calamine::Data>, row: usize, col: usize) -> String {
    match range.get((row, col)) {
        Some(calamine::Data::String(s)) => s.clone(),
        other => panic!("not text at {row},{col}: {other:?}"),
    }
}

/// Every element row, in the PDF and the XLSX, prints the grade of the konversi it
/// prints beside it; U1's row is also checked against the expected figures.
fn check_element_rows(rules: &analytics::RuleSet, report: &SkmReport, u1: (&str, &str)) {
    let labels = labels();
    let xlsx = report.xlsx(&labels).unwrap();
    let sheet = sheet(&xlsx, "IKM per unsur");
    for (i, _) in report.overall.groups[0].elements.iter().enumerate() {
        let konversi = num(&sheet, i + 2, 5);
        let mutu = text_at(&sheet, i + 2, 6);
        assert_eq!(mutu, rules.grade_konversi(konversi).mutu.as_str(), "XLSX row {}", i + 1);
    }
    assert_eq!(text_at(&sheet, 2, 6), u1.1, "XLSX U1");
    let Some(text) = pdf_text(&report.pdf(&labels).unwrap(), &format!("elements-{}", rules.id)) else {
        return;
    };
    let row = table_row(&text, "Tabel 2. Nilai rata-rata per unsur", "U1").unwrap();
    let (konversi, mutu) = (&row[row.len() - 2], &row[row.len() - 1]);
    assert_eq!((konversi.as_str(), mutu.as_str()), u1, "PDF U1 row {row:?}");
    let printed = parse_id(konversi).unwrap();
    assert_eq!(mutu, rules.grade_konversi(printed).mutu.as_str());
}

#[test]
fn element_grade_is_the_grade_of_the_printed_score() {
    // 14/2017: NRR 219/62 = 3.5323 prints 88,31, A like a headline 88,31 (was B).
    let rules = analytics::RuleSet::permenpan_14_2017();
    let f = frame(&rules, &first_element(&rules, 33, 29));
    let r = report(&rules, &f, analytics::WeightMode::Exact, vec![]);
    check_element_rows(&rules, &r, ("88,31", "A"));
    // 25/2004: NRR 153/47 = 3.2553 prints 81,38, in band A of the konversi column
    // its bar is drawn against (was B).
    let rules = analytics::RuleSet::kepmenpan_25_2004();
    let f = frame(&rules, &first_element(&rules, 12, 35));
    let r = report(&rules, &f, analytics::WeightMode::Exact, vec![]);
    check_element_rows(&rules, &r, ("81,38", "A"));
    // The rule is stated in BAB II with the table it grades against.
    let Some(text) = pdf_text(&r.pdf(&labels()).unwrap(), "grade-rule") else {
        return;
    };
    assert!(
        flat(&text).contains("Mutu yang tercetak di samping sebuah nilai selalu mutu dari nilai yang tercetak itu"),
        "the method text says which grade is printed"
    );
    assert!(flat(&text).contains("A (Sangat Baik) 81,26 - 100,00"));
}

#[test]
fn an_element_nobody_answered_is_named_and_the_weight_used_printed() {
    let rules = analytics::RuleSet::permenpan_14_2017();
    let rows: Vec<_> = (0..30)
        .map(|i| {
            let mut s = vec![Some(3 + (i % 2) as u8); 9];
            s[3] = None; // U4 Biaya/Tarif: nobody answered
            ("Layanan A", d(2026, 3, 1 + (i % 25) as u32), s)
        })
        .collect();
    let f = frame(&rules, &rows);
    let labels = labels();
    let exact = report(&rules, &f, analytics::WeightMode::Exact, vec![]);
    let Some(text) = pdf_text(&exact.pdf(&labels).unwrap(), "unanswered") else {
        return;
    };
    let text = flat(&text);
    assert!(
        text.contains(
            "Unsur yang tidak dijawab oleh satu pun responden: U4 Biaya/Tarif. Unsur tersebut tidak ikut \
             dihitung: IKM adalah rata-rata 8 unsur yang dijawab, dengan bobot tiap unsur 1/8."
        ),
        "{text}"
    );
    assert!(
        !text.contains("1/9"),
        "the nominal weight is not printed as the one used"
    );
    // A reader recomputing Σ NRR × 1/8 from the printed table gets the printed index.
    let g = &exact.overall.groups[0];
    let sum: f64 = g
        .elements
        .iter()
        .filter_map(|e| e.score.as_ref())
        .map(|s| s.nrr / 8.0)
        .sum();
    let printed = value_below(
        &pdf_text(&exact.pdf(&labels).unwrap(), "unanswered2").unwrap(),
        "Nilai IKM (25–100)",
    )
    .unwrap();
    assert_eq!(reports::fmt::dec(sum * 25.0, 2), printed);

    // Legacy 0.111: the missing element adds nothing, and the text says so.
    let legacy = report(&rules, &f, analytics::WeightMode::Printed3, vec![]);
    let text = flat(&pdf_text(&legacy.pdf(&labels).unwrap(), "unanswered-legacy").unwrap());
    assert!(
        text.contains(
            "Dengan bobot tercetak 0,111, unsur tersebut tidak ikut dijumlahkan (sama dengan bernilai 0), \
             sehingga nilai tertinggi yang mungkin turun menjadi 88,80."
        ),
        "{text}"
    );
}

#[test]
fn method_text_says_formula_sources_interval_assumption_and_questionnaire() {
    let rules = analytics::RuleSet::permenpan_14_2017();
    let f = frame(&rules, &first_element(&rules, 80, 82));
    let sources = vec![
        SourceCount {
            source: "kiosk".into(),
            responses: 40,
        },
        SourceCount {
            source: "web".into(),
            responses: 110,
        },
        SourceCount {
            source: "paper".into(),
            responses: 12,
        },
    ];
    let r = report(&rules, &f, analytics::WeightMode::Exact, sources);
    let labels = labels();
    let xlsx = r.xlsx(&labels).unwrap();
    let Some(text) = pdf_text(&r.pdf(&labels).unwrap(), "method") else {
        return;
    };
    let flat_text = flat(&text);
    // Krejcie–Morgan: the formula, as the code computes it.
    assert!(flat_text.contains("dihitung dengan rumus Krejcie dan Morgan (1970)"));
    assert!(flat_text.contains("kecuali pada N = 100.000 (rumus 383, tabel 384)"));
    assert!(!flat_text.contains("ditentukan dengan tabel Krejcie dan Morgan"));
    // The sources of this period, with counts, largest first; none typed in.
    assert!(
        flat_text.contains(
            "Kuesioner periode ini diisi melalui: formulir daring (situs web) 110 responden; kios layanan 40 \
             responden; formulir kertas (dimasukkan petugas) 12 responden."
        ),
        "{flat_text}"
    );
    assert!(!flat_text.contains("secara daring, melalui kios, dan formulir kertas"));
    let sheet_sources = sheet(&xlsx, "Cara pengisian");
    for (i, (name, n)) in [
        ("formulir daring (situs web)", 110.0),
        ("kios layanan", 40.0),
        ("formulir kertas (dimasukkan petugas)", 12.0),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(text_at(&sheet_sources, i + 2, 0), *name);
        assert_eq!(num(&sheet_sources, i + 2, 1), *n);
        let row = table_row(&text, "Responden menurut cara pengisian", name).unwrap();
        assert_eq!(row[0], reports::fmt::int(*n as i64), "PDF {name}");
    }
    // The interval's assumption, in plain words.
    assert!(flat_text.contains("menganggap responden dipilih secara acak dari seluruh pengguna layanan"));
    assert!(flat_text.contains("(sampel aksidental), anggapan itu tidak terpenuhi"));
    // Lampiran 1: each question and its four answers from the rule set.
    let sheet_q = sheet(&xlsx, "Kuesioner");
    for (i, e) in rules.elements.iter().enumerate() {
        assert_eq!(text_at(&sheet_q, i + 2, 0), e.code);
        assert_eq!(&text_at(&sheet_q, i + 2, 2), e.question.as_ref().unwrap());
        for (a, answer) in e.answers.as_ref().unwrap().iter().enumerate() {
            assert_eq!(&text_at(&sheet_q, i + 2, 3 + a), answer, "{} answer {}", e.code, a + 1);
        }
    }
    let raw = flat(&pdf_text_raw(&r.pdf(&labels).unwrap(), "method").unwrap());
    let appendix = &raw[raw.find("Lampiran 1. Kuesioner").expect("Lampiran 1 printed")..];
    let appendix = &appendix[..appendix.find("Lampiran 2.").unwrap()];
    for e in &rules.elements {
        // The row reads: code, element, question, then the answers a to d in order.
        let row = format!(
            "{} {} {} {}",
            e.code,
            e.name,
            e.question.as_ref().unwrap(),
            e.answers.as_ref().unwrap().join(" ")
        );
        assert!(appendix.contains(&row), "{row:?} not in {appendix:?}");
    }
}

#[test]
fn trend_table_prints_the_change_its_noise_and_the_flag() {
    let rules = analytics::RuleSet::permenpan_14_2017();
    let mut rows = Vec::new();
    // 2025-S1 and 2025-S2 close together, 2026-S1 clearly higher.
    for (i, day, base) in (0..60).map(|i| (i, d(2025, 3, 1 + i % 20), 2u8)).chain(
        (0..60)
            .map(|i| (i, d(2025, 9, 1 + i % 20), 2u8))
            .chain((0..60).map(|i| (i, d(2026, 3, 1 + i % 20), 3u8))),
    ) {
        let s = (0..9).map(|e| Some(base + ((i + e) % 2) as u8)).collect();
        rows.push(("Layanan A", day, s));
    }
    let f = frame(&rules, &rows);
    let r = report(&rules, &f, analytics::WeightMode::Exact, vec![]);
    let labels = labels();
    let xlsx = r.xlsx(&labels).unwrap();
    let trend = sheet(&xlsx, "Tren IKM");
    let Some(text) = pdf_text(&r.pdf(&labels).unwrap(), "trend") else {
        return;
    };
    let mut flags = Vec::new();
    for (i, g) in r.trend.groups.iter().enumerate() {
        let label = g.key[0].value.clone().unwrap();
        let row = table_row(&text, "Tabel 4. Nilai IKM per periode", &label).unwrap();
        assert_eq!(row.len(), 6, "{label}: {row:?}");
        let prev = g.previous.as_ref().unwrap();
        if prev.previous_respondents == 0 {
            assert_eq!(&row[3..], ["—", "—", "—"], "{label}: nothing to compare with");
            continue;
        }
        // The printed change is the difference of the printed figures above it.
        let (now, change, noise) = (
            parse_id(&row[1]).unwrap(),
            parse_id(&row[3]).unwrap(),
            parse_id(&row[4]).unwrap(),
        );
        let before = r.trend.groups[i - 1].index.as_ref().unwrap().konversi;
        assert_eq!(reports::fmt::dec(now - before, 2), row[3], "{label}");
        // The flag is what the printed change and noise say.
        let flag = if change.abs() > noise { "Ya" } else { "Tidak" };
        assert_eq!(row[5], flag, "{label}: {change} ± {noise}");
        assert_eq!(num(&trend, i + 2, 4), change);
        assert_eq!(num(&trend, i + 2, 5), noise);
        assert_eq!(text_at(&trend, i + 2, 6), flag);
        flags.push(row[5].clone());
    }
    assert_eq!(flags, ["Tidak", "Ya"], "2025-S2 within noise, 2026-S1 beyond it");
}
