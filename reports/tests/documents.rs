//! The three formats of both reports and the letter, end to end: PDFs rendered to
//! PNG with pdftoppm are non-blank, XLSX read back with calamine holds the analytics
//! numbers, HTML carries the same figures, and no label key leaks into a document.

use std::collections::HashMap;

use calamine::{Reader, Xlsx};
use chrono::NaiveDate;
use reports::skm::FollowUp;
use reports::{Approval, Labels, Letterhead, MonthlyReport, SkmReport};

fn labels() -> Labels {
    let value: toml::Value = toml::from_str(include_str!("../../server/locales/id.toml")).unwrap();
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

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn letterhead() -> Letterhead {
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
    }
}

fn monthly() -> MonthlyReport {
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

fn skm() -> SkmReport {
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
    let range = analytics::DateRange {
        from: Some(d(2026, 1, 1)),
        to: Some(d(2026, 6, 30)),
    };
    let query = |group_by: Vec<analytics::Dimension>, range| analytics::IkmQuery {
        rule_set: rules.clone(),
        group_by,
        range,
        ..Default::default()
    };
    let ikm = |q: &analytics::IkmQuery| analytics::ikm(&frame, q).unwrap();
    SkmReport {
        letterhead: letterhead(),
        period_label: "Semester I 2026".into(),
        from: d(2026, 1, 1),
        to: d(2026, 6, 30),
        as_of: d(2026, 7, 2),
        overall: ikm(&query(vec![], range)),
        by_service: ikm(&query(vec![analytics::Dimension::Service], range)),
        profiles: ["jenis_kelamin", "pendidikan"]
            .iter()
            .map(|p| ikm(&query(vec![analytics::Dimension::Profile(p.to_string())], range)))
            .collect(),
        trend: ikm(&query(
            vec![analytics::Dimension::Semester],
            analytics::DateRange {
                from: None,
                to: Some(d(2026, 6, 30)),
            },
        )),
        follow_up: vec![FollowUp {
            element_key: "waktu".into(),
            action: "Menambah petugas loket pada jam sibuk".into(),
            owner: "Sekretariat".into(),
            deadline: d(2026, 9, 30),
            realisation: None,
            realised_on: None,
        }],
        previous_follow_up: vec![FollowUp {
            element_key: "sarana".into(),
            action: "Memperbaiki ruang tunggu".into(),
            owner: "Subbag Umum".into(),
            deadline: d(2026, 3, 31),
            realisation: Some("Kursi tunggu diganti".into()),
            realised_on: Some(d(2026, 3, 20)),
        }],
        previous_period_label: Some("Semester II 2025".into()),
        preparer_note: String::new(),
        approval: Approval {
            version: 1,
            status: "draft".into(),
            ..Default::default()
        },
    }
}

/// Renders every page with pdftoppm and checks each is non-blank; returns the page count.
fn pages_non_blank(pdf: &[u8], name: &str) -> usize {
    assert!(pdf.starts_with(b"%PDF-"), "{name} is not a PDF");
    let dir = std::env::temp_dir().join(format!("reports-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = match std::process::Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(&file)
        .arg(dir.join("page"))
        .status()
    {
        Ok(s) => s,
        Err(_) if std::env::var_os("CI").is_none() => {
            eprintln!("pdftoppm not installed: page rendering skipped");
            return 0;
        }
        Err(e) => panic!("pdftoppm is required in CI: {e}"),
    };
    assert!(status.success());
    let mut pages = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "png") {
            let img = image::open(&path).unwrap().to_luma8();
            let dark = img.pixels().filter(|p| p.0[0] < 200).count();
            assert!(dark > 50, "{} is blank", path.display());
            pages += 1;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    pages
}

fn sheet(xlsx: &[u8], name: &str) -> calamine::Range<calamine::Data> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    book.worksheet_range(name).unwrap()
}

fn num(range: &calamine::Range<calamine::Data>, row: usize, col: usize) -> f64 {
    match range.get((row, col)).unwrap() {
        calamine::Data::Float(f) => *f,
        calamine::Data::Int(i) => *i as f64,
        other => panic!("not a number at {row},{col}: {other:?}"),
    }
}

#[test]
fn monthly_report_in_three_formats_agrees_with_analytics() {
    let labels = labels();
    let report = monthly();
    let html = report.html(&labels).unwrap();
    assert!(!html.contains("reports."), "a label key leaked into the HTML");
    assert!(html.contains("LAPORAN PENGADUAN PELAYANAN PUBLIK") && html.contains("Oktober 2026"));
    assert!(html.contains(&format!("data-key=\"total\" data-value=\"{}\"", report.stats.total)));
    assert!(
        html.contains("Warga &quot;0&quot; #[x]"),
        "names are escaped, not dropped"
    );
    assert!(html.contains("(disamarkan)") && html.contains("(anonim)"));
    assert!(html.contains("<svg") && html.contains("id=\"chart-per_kanal\""));

    let xlsx = report.xlsx(&labels).unwrap();
    let summary = sheet(&xlsx, "Ringkasan");
    // the first figure is the month's total, row 6 (0-based 5), column B
    assert_eq!(num(&summary, 5, 1), report.stats.total as f64);
    let by_channel = sheet(&xlsx, "Per kanal");
    for (i, c) in report.stats.by_channel.iter().enumerate() {
        assert_eq!(num(&by_channel, i + 2, 1), c.count as f64);
    }
    let sla = sheet(&xlsx, "Ketepatan waktu");
    for (i, r) in report.stats.sla.iter().enumerate() {
        assert_eq!(num(&sla, i + 2, 3), r.resolve.met as f64);
        if let Some(p) = r.resolve.compliance_pct {
            assert_eq!(num(&sla, i + 2, 8), p);
        }
    }
    let register = sheet(&xlsx, "Buku pengaduan");
    assert_eq!(register.height(), 2 + report.register.len());

    let pdf = report.pdf(&labels).unwrap();
    let pages = pages_non_blank(&pdf, "monthly");
    assert!(pages == 0 || pages >= 3, "expected several pages, got {pages}");
}

#[test]
fn skm_report_follows_the_chapters_and_matches_the_index() {
    let labels = labels();
    let report = skm();
    let index = report.overall.groups[0].index.clone().unwrap();
    let html = report.html(&labels).unwrap();
    assert!(!html.contains("reports."), "a label key leaked into the HTML");
    for chapter in ["BAB I PENDAHULUAN", "BAB II", "BAB III", "BAB IV", "BAB V", "LAMPIRAN"] {
        assert!(html.contains(chapter), "{chapter} missing");
    }
    assert!(html.contains(&format!("data-key=\"konversi\" data-value=\"{}\"", index.konversi)));
    assert!(html.contains("Menambah petugas loket") && html.contains("Kursi tunggu diganti"));

    let xlsx = report.xlsx(&labels).unwrap();
    let elements = sheet(&xlsx, "IKM per unsur");
    for (i, e) in report.overall.groups[0].elements.iter().enumerate() {
        assert_eq!(num(&elements, i + 2, 3), e.score.as_ref().unwrap().nrr);
    }
    let services = sheet(&xlsx, "IKM per layanan");
    for (i, g) in report.by_service.groups.iter().enumerate() {
        assert_eq!(num(&services, i + 2, 3), g.index.as_ref().unwrap().konversi);
    }
    let pdf = report.pdf(&labels).unwrap();
    pages_non_blank(&pdf, "skm");
}

#[test]
fn reply_letter_is_one_non_blank_page() {
    let pdf = reports::letter::pdf(&reports::letter::Letter {
        letterhead: letterhead(),
        nomor: "ADU/2026/000123".into(),
        date: d(2026, 11, 22),
        place: "Dumai".into(),
        subject: "Jawaban atas pengaduan nomor ADU/2026/000123".into(),
        addressee: vec!["Yth. Sdr. Budi Santoso".into(), "di Dumai".into()],
        body: "Dengan hormat,\n\nMenindaklanjuti pengaduan Saudara, kami sampaikan bahwa antrean telah diperbaiki.\n\nDemikian kami sampaikan."
            .into(),
        labels: Default::default(),
    })
    .unwrap();
    let pages = pages_non_blank(&pdf, "letter");
    assert!(pages <= 1);
    let empty = reports::letter::pdf(&reports::letter::Letter {
        letterhead: letterhead(),
        nomor: "1".into(),
        date: d(2026, 11, 22),
        place: "Dumai".into(),
        subject: "x".into(),
        addressee: vec![],
        body: "  ".into(),
        labels: Default::default(),
    });
    assert!(matches!(empty, Err(reports::ReportError::Invalid(_))));
}
