//! Helpers shared by the document tests: the Indonesian labels from the server's
//! locale file, a letterhead, and readers for what a PDF (pdftotext) and an XLSX
//! (calamine) print.
#![allow(dead_code)]

use std::collections::HashMap;

use calamine::{Reader, Xlsx};
use chrono::NaiveDate;
use reports::{Approval, Labels, Letterhead, MonthlyReport, SkmReport};

pub fn labels() -> Labels {
    labels_from(include_str!("../../../server/locales/id.toml"))
}

/// The English labels (server/locales/en.toml).
pub fn labels_en() -> Labels {
    labels_from(include_str!("../../../server/locales/en.toml"))
}

fn labels_from(file: &str) -> Labels {
    let value: toml::Value = toml::from_str(file).unwrap();
    let mut map = HashMap::new();
    fn flatten(prefix: &str, v: &toml::Value, out: &mut HashMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flatten(&key, v, out);
                }
            }
            toml::Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            _ => {}
        }
    }
    flatten("", &value, &mut map);
    Labels::new(map)
}

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

pub fn letterhead() -> Letterhead {
    Letterhead {
        government: "PEMERINTAH KOTA DUMAI".into(),
        unit_name: "Dinas Sosial Kota Dumai".into(),
        address: "Jl. Sultan Syarif Kasim No. 1".into(),
        city: "Dumai".into(),
        phone: "(0765) 31234".into(),
        email: "dinsos@dumaikota.go.id".into(),
        head_title: "Kepala Dinas Sosial Kota Dumai".into(),
        head_name: "Drs. H. Contoh Nama, M.Si".into(),
        head_nip: "196801011990031001".into(),
        logo: None,
    }
}

pub fn sheet(xlsx: &[u8], name: &str) -> calamine::Range<calamine::Data> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    book.worksheet_range(name).unwrap()
}

pub fn num(range: &calamine::Range<calamine::Data>, row: usize, col: usize) -> f64 {
    match range.get((row, col)).unwrap() {
        calamine::Data::Float(f) => *f,
        calamine::Data::Int(i) => *i as f64,
        other => panic!("not a number at {row},{col}: {other:?}"),
    }
}

/// Whether tools the tests shell out to must be present (CI=true).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The PDF's text as `pdftotext -layout` lays it out, pages separated by form feeds;
/// `None` (with a note) when poppler-utils is missing outside CI. In CI it must be
/// there.
pub fn pdf_text(pdf: &[u8], name: &str) -> Option<String> {
    pdf_text_as(pdf, name, "-layout")
}

/// The PDF's text in content-stream order (`pdftotext -raw`): the lines of one table
/// cell stay together, so a cell that wraps reads back as its sentence.
pub fn pdf_text_raw(pdf: &[u8], name: &str) -> Option<String> {
    pdf_text_as(pdf, &format!("{name}-raw"), "-raw")
}

/// A word of a PDF page as `pdftotext -bbox` finds it: its text and its box in
/// points from the page's top left.
#[derive(Debug, Clone)]
pub struct Word {
    pub text: String,
    pub x_min: f64,
    pub y_min: f64,
    pub x_max: f64,
    pub y_max: f64,
}

/// The words of every page with their boxes (`pdftotext -bbox`); `None` as for
/// [`pdf_text`].
pub fn pdf_words(pdf: &[u8], name: &str) -> Option<Vec<Vec<Word>>> {
    let html = pdf_text_as(pdf, &format!("{name}-bbox"), "-bbox")?;
    let attr = |tag: &str, key: &str| -> f64 {
        let from = tag.find(&format!("{key}=\"")).expect(key) + key.len() + 2;
        let len = tag[from..].find('"').unwrap();
        tag[from..from + len].parse().unwrap()
    };
    let mut pages = Vec::new();
    for page in html.split("<page ").skip(1) {
        let mut words = Vec::new();
        for part in page.split("<word ").skip(1) {
            let (tag, rest) = part.split_once('>').unwrap();
            let text = rest.split_once("</word>").unwrap().0;
            words.push(Word {
                text: text
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\""),
                x_min: attr(tag, "xMin"),
                y_min: attr(tag, "yMin"),
                x_max: attr(tag, "xMax"),
                y_max: attr(tag, "yMax"),
            });
        }
        pages.push(words);
    }
    Some(pages)
}

fn pdf_text_as(pdf: &[u8], name: &str, mode: &str) -> Option<String> {
    let dir = std::env::temp_dir().join(format!("reports-text-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = match std::process::Command::new("pdftotext")
        .args([mode, "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(_) if !in_ci() => {
            eprintln!("pdftotext not installed: PDF text checks skipped");
            return None;
        }
        Err(e) => panic!("pdftotext is required in CI: {e}"),
    };
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "pdftotext failed");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The figure printed under `label` in a row of figure boxes: the word that starts
/// in the label's column on the next line.
pub fn value_below(text: &str, label: &str) -> Result<String, String> {
    let lines: Vec<&str> = text.lines().collect();
    let (i, x) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.find(label).map(|b| (i, l[..b].chars().count())))
        .ok_or_else(|| format!("figure {label:?} not in the PDF"))?;
    let below: Vec<char> = lines.get(i + 1).copied().unwrap_or("").chars().collect();
    let token: String = below
        .iter()
        .skip(x.saturating_sub(1))
        .skip_while(|c| c.is_whitespace())
        .take_while(|c| !c.is_whitespace())
        .collect();
    Ok(token)
}

/// The words after `label` on the first line, below the line holding `caption`, that
/// starts with `label` followed by a column gap: one row of a printed table.
pub fn table_row(text: &str, caption: &str, label: &str) -> Result<Vec<String>, String> {
    let start = text
        .find(caption)
        .ok_or_else(|| format!("table {caption:?} not in the PDF"))?;
    let line = text[start..]
        .lines()
        .skip(1)
        .find(|l| {
            l.trim_start()
                .strip_prefix(label)
                .is_some_and(|rest| rest.starts_with("  "))
        })
        .ok_or_else(|| format!("row {label:?} of {caption:?} not in the PDF"))?;
    let rest = line.trim_start().strip_prefix(label).unwrap();
    Ok(rest.split_whitespace().map(str::to_owned).collect())
}

/// A number as the documents print it (1.234,56) read back.
pub fn parse_id(text: &str) -> Result<f64, String> {
    text.replace('.', "")
        .replace(',', ".")
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))
}

pub fn expect(what: &str, printed: &str, want: &str) -> Result<(), String> {
    if printed == want {
        Ok(())
    } else {
        Err(format!("{what}: the PDF prints {printed:?}, expected {want:?}"))
    }
}

/// The SKM report of Semester I 2026 over `frame`, as the server builds it: overall,
/// per service, one profile table per name in `profiles`, and the trend by semester
/// (from `trend_from`, or all data) compared with the semester before; no follow-up
/// plan and no source counts, the questionnaire of `rules`.
pub fn skm_report(
    rules: &analytics::RuleSet,
    frame: &analytics::SurveyFrame,
    weight: analytics::WeightMode,
    profiles: &[&str],
    trend_from: Option<NaiveDate>,
) -> SkmReport {
    let range = analytics::DateRange {
        from: Some(d(2026, 1, 1)),
        to: Some(d(2026, 6, 30)),
    };
    let query = |group_by: Vec<analytics::Dimension>, range| analytics::IkmQuery {
        rule_set: rules.clone(),
        group_by,
        range,
        weight,
        ..Default::default()
    };
    let ikm = |q: &analytics::IkmQuery| analytics::ikm(frame, q).unwrap();
    SkmReport {
        letterhead: letterhead(),
        period_label: "Semester I 2026".into(),
        from: d(2026, 1, 1),
        to: d(2026, 6, 30),
        as_of: d(2026, 7, 2),
        overall: ikm(&query(vec![], range)),
        by_service: ikm(&query(vec![analytics::Dimension::Service], range)),
        profiles: profiles
            .iter()
            .map(|p| ikm(&query(vec![analytics::Dimension::Profile(p.to_string())], range)))
            .collect(),
        trend: ikm(&analytics::IkmQuery {
            compare: Some(analytics::Comparison::Previous),
            ..query(
                vec![analytics::Dimension::Semester],
                analytics::DateRange {
                    from: trend_from,
                    to: Some(d(2026, 6, 30)),
                },
            )
        }),
        follow_up: vec![],
        previous_follow_up: vec![],
        sources: vec![],
        questionnaire: rules.elements.clone(),
        complainants: None,
        previous_period_label: Some("Semester II 2025".into()),
        preparer_note: String::new(),
        approval: Approval {
            version: 1,
            status: "draft".into(),
            ..Default::default()
        },
    }
}

/// A month of 40 complaints over four channels, with a trend, an overdue row and
/// the SP4N-LAPOR! stage table.
pub fn monthly() -> MonthlyReport {
    let mut c = analytics::ComplaintColumns::default();
    let channels = ["sms", "surat", "whatsapp", "website"];
    let bobot = [Some("ringan"), Some("sedang"), Some("berat"), None];
    for i in 0..40i64 {
        let received = d(2026, 10, 1 + (i % 28) as u32);
        c.id.push(i + 1);
        c.unit.push("dinsos".into());
        c.service
            .push(Some(["Rekomendasi KIS", "Bantuan sosial"][(i % 2) as usize].into()));
        c.division.push(if i % 5 == 0 {
            None
        } else {
            Some("Bidang Rehabilitasi".into())
        });
        c.channel.push(channels[(i % 4) as usize].into());
        c.bobot.push(bobot[(i % 4) as usize].map(String::from));
        c.jenis.push(if i % 3 == 0 { None } else { Some("waktu".into()) });
        c.klasifikasi.push("pengaduan".into());
        let closed = i % 3 != 0;
        c.status.push(if closed { "selesai" } else { "ditindaklanjuti" }.into());
        c.received_at.push(received);
        c.first_answer_at.push(Some(received + chrono::Duration::days(1)));
        c.closed_at
            .push(closed.then(|| received + chrono::Duration::days(i % 9)));
        c.due_at.push(None);
    }
    let frame = c.into_frame().unwrap();
    let as_of = d(2026, 11, 3);
    let mut q = analytics::ComplaintQuery::new(as_of);
    q.range = analytics::DateRange {
        from: Some(d(2026, 10, 1)),
        to: Some(d(2026, 10, 31)),
    };
    let stats = analytics::complaint_stats(&frame, &q).unwrap();
    let register = (0..40)
        .map(|i| reports::monthly::RegisterEntry {
            nomor_agenda: format!("ADU/2026/{:06}", i + 1),
            received_on: d(2026, 10, 1 + (i % 28) as u32),
            complainant: (i % 2 == 0).then(|| format!("Warga \"{i}\" #[x]")),
            anonim: i % 7 == 0,
            channel: channels[(i % 4) as usize].into(),
            subject: "Antrean lama di loket".into(),
            jenis: None,
            bobot: bobot[(i % 4) as usize].map(String::from),
            service: None,
            status: "selesai".into(),
        })
        .collect();
    MonthlyReport {
        letterhead: letterhead(),
        month: d(2026, 10, 1),
        as_of,
        trend: (0..12)
            .map(|k| reports::monthly::TrendMonth {
                month: d(2025 + (10 + k) / 12, ((10 + k) % 12) as u32 + 1, 1),
                opened: 30 + k as u64,
                closed: 25 + k as u64,
                backlog: 5,
                compliance_pct: if k == 3 { None } else { Some(80.0 + k as f64) },
                closed_date_unknown: 0,
            })
            .collect(),
        stats,
        register,
        overdue: vec![reports::monthly::OverdueEntry {
            nomor_agenda: "ADU/2026/000003".into(),
            received_on: d(2026, 9, 2),
            due_on: d(2026, 9, 20),
            days_late: 44,
            bobot: Some("sedang".into()),
            division: None,
            status: "ditindaklanjuti".into(),
        }],
        stages: vec![reports::monthly::StageRow {
            channel: "span_lapor".into(),
            stage: "verifikasi".into(),
            working_days: 3,
            regulation: "PermenPAN-RB 62/2018".into(),
            complaints: 6,
            met: 3,
            missed: 1,
            open_overdue: 1,
            pending: 0,
            unknown_date: 1,
        }],
        preparer_note: "Lonjakan pengaduan SMS pada minggu kedua.".into(),
        approval: Approval {
            version: 2,
            status: "approved".into(),
            prepared_by: Some("Rina Petugas".into()),
            submitted_on: Some(d(2026, 11, 2)),
            reviewed_by: Some("Sekretaris Budi".into()),
            reviewed_on: Some(d(2026, 11, 3)),
        },
    }
}

/// Semester I 2026 over 3,000 synthetic responses, with a follow-up plan and the
/// previous period's realisation.
pub fn skm() -> SkmReport {
    let rules = analytics::RuleSet::permenpan_14_2017();
    let frame = analytics::synthetic::synthetic_survey(&analytics::synthetic::SyntheticSurvey {
        rows: 3000,
        units: 1,
        services_per_unit: 3,
        start: d(2025, 1, 1),
        days: 540,
        missing: 0.02,
        rule_set: rules.clone(),
        seed: 7,
    })
    .unwrap();
    let mut report = skm_report(
        &rules,
        &frame,
        analytics::WeightMode::Exact,
        &["jenis_kelamin", "pendidikan"],
        None,
    );
    report.follow_up = vec![reports::skm::FollowUp {
        element_key: "waktu".into(),
        action: "Menambah petugas loket pada jam sibuk".into(),
        owner: "Sekretariat".into(),
        deadline: d(2026, 9, 30),
        realisation: None,
        realised_on: None,
    }];
    report.previous_follow_up = vec![reports::skm::FollowUp {
        element_key: "sarana".into(),
        action: "Memperbaiki ruang tunggu".into(),
        owner: "Subbag Umum".into(),
        deadline: d(2026, 3, 31),
        realisation: Some("Kursi tunggu diganti".into()),
        realised_on: Some(d(2026, 3, 20)),
    }];
    report
}
