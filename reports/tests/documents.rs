//! The three formats of both reports and the letter, end to end: PDFs rendered to
//! PNG with pdftoppm are non-blank, PDF text read back with pdftotext holds the
//! analytics numbers, XLSX read back with calamine holds the same numbers, HTML
//! carries the same figures, and no label key leaks into a document.

mod common;

use common::*;
use reports::{Labels, MonthlyReport, SkmReport};

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
            // column 8 is "Tanggal tidak diketahui", then the percentage
            assert_eq!(num(&sla, i + 2, 8), r.resolve.unknown_date as f64);
            assert_eq!(num(&sla, i + 2, 9), p);
        }
    }
    let register = sheet(&xlsx, "Buku pengaduan");
    assert_eq!(register.height(), 2 + report.register.len());

    let pdf = report.pdf(&labels).unwrap();
    let pages = pages_non_blank(&pdf, "monthly");
    assert!(pages == 0 || pages >= 3, "expected several pages, got {pages}");
}

/// Issue 20: counts and the on-time percentage never share an axis: the trend of
/// counts has no percentage series, and the percentage has its own 0-100 chart, in
/// the HTML (and so the PDF, which draws the same charts) and the chart list.
#[test]
fn monthly_trend_draws_the_percentage_on_its_own_chart() {
    let labels = labels();
    let report = monthly();
    let charts = report.charts(&labels);
    let line = |stem: &str| match charts.iter().find(|(name, _)| name == stem) {
        Some((_, reports::charts::Chart::Line(l))) => l.clone(),
        other => panic!("{stem}: {other:?}"),
    };
    let counts = line("tren");
    let names: Vec<&str> = counts.series.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Masuk", "Selesai"]);
    let percent = line("tren_tepat_waktu");
    assert_eq!(percent.series.len(), 1);
    assert_eq!(percent.series[0].0, "Tepat waktu (%)");
    assert_eq!(percent.range, Some((0.0, 100.0)));
    let html = report.html(&labels).unwrap();
    assert!(html.contains("id=\"chart-tren\"") && html.contains("id=\"chart-tren_tepat_waktu\""));
    // The SP4N-LAPOR! stage table is printed with its limit and regulation.
    let xlsx = report.xlsx(&labels).unwrap();
    let stages = sheet(&xlsx, "Tahap SP4N-LAPOR!");
    let row: Vec<String> = (0..10).map(|c| stages.get((2, c)).unwrap().to_string()).collect();
    assert_eq!(
        row,
        [
            "SP4N-LAPOR!",
            "Verifikasi dan penerusan",
            "3",
            "PermenPAN-RB 62/2018",
            "6",
            "3",
            "1",
            "1",
            "0",
            "1"
        ]
    );
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

/// Checks a monthly report's PDF text against the analytics figures and the XLSX.
fn check_monthly_text(text: &str, report: &MonthlyReport, xlsx: &[u8], labels: &Labels) -> Result<(), String> {
    let s = &report.stats;
    let summary = sheet(xlsx, "Ringkasan");
    // Summary figures, equal to analytics and to the XLSX summary sheet.
    for (row, label, want) in [
        (5, "Pengaduan masuk", s.total),
        (6, "Selesai", s.closed),
        (7, "Masih dalam proses", s.total - s.closed),
    ] {
        let printed = value_below(text, label)?;
        expect(label, &printed, &reports::fmt::int(want as i64))?;
        if parse_id(&printed)? != num(&summary, row, 1) {
            return Err(format!("{label}: PDF {printed} differs from the XLSX"));
        }
    }
    let compliance = reports::monthly::overall_compliance(&s.sla).unwrap();
    expect(
        "tepat waktu",
        &value_below(text, "Tepat waktu (%)")?,
        &reports::fmt::dec(compliance, 2),
    )?;
    // Every channel's count, and together they make the total.
    let mut sum = 0.0;
    for c in &s.by_channel {
        let key = format!("channel.{}", c.value.as_deref().unwrap());
        let name = labels.t(&key);
        let row = table_row(text, "Tabel 1. Pengaduan menurut kanal", name)?;
        expect(name, &row[0], &reports::fmt::int(c.count as i64))?;
        sum += parse_id(&row[0])?;
    }
    if sum != s.total as f64 {
        return Err(format!("channels add up to {sum}, not {}", s.total));
    }
    // SLA per bobot: met and compliance.
    for r in s.sla.iter().filter(|r| r.bobot.as_deref() == Some("ringan")) {
        let row = table_row(text, "Tabel 7.", "Ringan")?;
        expect("ringan complaints", &row[0], &reports::fmt::int(r.complaints as i64))?;
        expect("ringan met", &row[2], &reports::fmt::int(r.resolve.met as i64))?;
        let pct = r
            .resolve
            .compliance_pct
            .map(|p| reports::fmt::dec(p, 2))
            .unwrap_or("—".into());
        expect("ringan compliance", row.last().unwrap(), &pct)?;
    }
    // The first register line.
    let first = &report.register[0];
    let line = text
        .lines()
        .find(|l| l.contains(&first.nomor_agenda) && !l.contains("Terlambat"))
        .ok_or("register line 1 missing")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.first() != Some(&"1") || !line.contains(&first.received_on.format("%-d").to_string()) {
        return Err(format!("register line 1 reads {line:?}"));
    }
    for part in ["Ringan", "Selesai", "SMS"] {
        if !line.contains(part) {
            return Err(format!("register line 1 lacks {part}: {line:?}"));
        }
    }
    Ok(())
}

#[test]
fn monthly_pdf_prints_the_analytics_figures() {
    let labels = labels();
    let report = monthly();
    let xlsx = report.xlsx(&labels).unwrap();
    let pdf = report.pdf(&labels).unwrap();
    let Some(text) = pdf_text(&pdf, "monthly") else { return };
    check_monthly_text(&text, &report, &xlsx, &labels).unwrap();
    // Letterhead, every page numbered "Halaman n dari N", the register's header row
    // on every page that holds register lines, and the signature blocks.
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert!(pages[0].contains("PEMERINTAH KOTA DUMAI") && pages[0].contains("Dinas Sosial Kota Dumai"));
    for (i, page) in pages.iter().enumerate() {
        let footer = format!("Halaman {} dari {}", i + 1, pages.len());
        assert!(page.contains(&footer), "page {} lacks {footer:?}", i + 1);
        let register_lines = page
            .lines()
            .filter(|l| l.contains("ADU/2026/0000") && l.contains("Oktober"))
            .count();
        if register_lines > 0 {
            assert!(
                page.contains("Pokok pengaduan"),
                "page {} has no register header",
                i + 1
            );
        }
    }
    assert!(text.contains("Rina Petugas") && text.contains("Sekretaris Budi"));
    assert!(text.contains("Drs. H. Contoh Nama, M.Si"));

    // A wrong figure is caught: the same checks against a report whose document
    // prints one channel count off by one must fail.
    let mut wrong = report.clone();
    wrong.stats.by_channel[0].count += 1;
    let wrong_text = pdf_text(&wrong.pdf(&labels).unwrap(), "monthly-wrong").unwrap();
    let err = check_monthly_text(&wrong_text, &report, &xlsx, &labels).unwrap_err();
    let key = format!("channel.{}", report.stats.by_channel[0].value.as_deref().unwrap());
    assert!(err.contains(labels.t(&key)), "{err}");
}

/// `n` register entries made from the fixture's, numbered REG/2026/000001 on (a
/// prefix of their own: the overdue table names an ADU/2026/ complaint), entry `i`'s
/// subject `words(i)` words long, some of them hyphenated.
fn long_register(
    report: &MonthlyReport,
    n: usize,
    words: impl Fn(usize) -> usize,
) -> Vec<reports::monthly::RegisterEntry> {
    let vocabulary = [
        "Antrean",
        "lama",
        "di",
        "loket",
        "pelayanan",
        "bantuan-sosial",
        "tidak",
        "jelas",
    ];
    (0..n)
        .map(|i| {
            let mut entry = report.register[i % report.register.len()].clone();
            entry.nomor_agenda = format!("REG/2026/{:06}", i + 1);
            entry.subject = (0..words(i))
                .map(|k| vocabulary[(i + k) % vocabulary.len()])
                .collect::<Vec<_>>()
                .join(" ");
            entry
        })
        .collect()
}

#[test]
fn a_register_of_many_pages_lists_every_complaint_once_in_order() {
    // 900 complaints with subjects of one to several lines, whose heights the
    // register computes before typesetting. Read back page by page, every nomor
    // agenda appears exactly once and in order, every page of the register carries
    // its header row and its "Halaman n dari N", and no page of it but the last is
    // left short (a row height computed too small or too large would overfill or
    // half-empty pages).
    let labels = labels();
    let mut report = monthly();
    report.register = long_register(&report, 900, |i| (i * 7) % 26 + 2);
    let pdf = report.pdf(&labels).unwrap();
    let Some(text) = pdf_text(&pdf, "monthly-long") else {
        return;
    };
    let pages: Vec<&str> = text.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    let mut seen = Vec::new();
    let mut rows_per_page = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let footer = format!("Halaman {} dari {}", i + 1, pages.len());
        assert!(page.contains(&footer), "page {} lacks {footer:?}", i + 1);
        let numbers: Vec<u32> = page
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("REG/2026/"))
            .filter_map(|n| n.parse().ok())
            .collect();
        if !numbers.is_empty() {
            assert!(
                page.contains("Pokok pengaduan"),
                "page {} has no register header",
                i + 1
            );
            rows_per_page.push(numbers.len());
        }
        seen.extend(numbers);
    }
    assert_eq!(seen, (1..=900).collect::<Vec<u32>>());
    let fullest = *rows_per_page.iter().max().unwrap();
    let body = &rows_per_page[1..rows_per_page.len() - 1];
    assert!(body.len() > 8, "900 rows on {} pages", rows_per_page.len());
    let shortest = *body.iter().min().unwrap();
    assert!(
        shortest * 2 > fullest,
        "a register page holds {shortest} rows, another {fullest}: {rows_per_page:?}"
    );
}

#[test]
fn register_text_is_drawn_inside_its_column_and_its_row() {
    // The register's body text is drawn by Tanggap into rows typst laid out (see
    // reports::register). Read back with the words' boxes: each nomor agenda sits in
    // the nomor agenda column, each row number right-aligned in the first column,
    // and every word of a subject in the subject column, below its own row's top and
    // above the next row's, so no line spills out of its cell.
    let labels = labels();
    let mut report = monthly();
    report.register = long_register(&report, 300, |i| (i * 5) % 19 + 1);
    let document = report.document(&labels);
    let register = document
        .blocks
        .iter()
        .find_map(|b| match b {
            reports::doc::Block::Table(t) if t.rows.len() == 300 => Some(t.clone()),
            _ => None,
        })
        .expect("the register table");
    // column edges in points: A4 with 1.8 cm side margins, widths in fr
    let (margin, text_width) = (51.0236, 595.2756 - 2.0 * 51.0236);
    let total: u32 = register.widths.iter().sum();
    let mut edges = vec![margin];
    for w in &register.widths {
        edges.push(edges.last().unwrap() + text_width * *w as f64 / total as f64);
    }
    let column = |name: &str| {
        let k = register
            .columns
            .iter()
            .position(|c| c == labels.t(&format!("reports.monthly.col_{name}")))
            .unwrap();
        (edges[k], edges[k + 1])
    };
    let (no, nomor, subject) = (column("no"), column("nomor"), column("subject"));
    let pdf = report.pdf(&labels).unwrap();
    let Some(pages) = pdf_words(&pdf, "register-boxes") else {
        return;
    };
    let inside = |w: &Word, (left, right): (f64, f64)| w.x_min >= left + 3.0 && w.x_max <= right - 3.0;
    let mut rows = Vec::new(); // (number, page, top)
    for (p, page) in pages.iter().enumerate() {
        for w in page {
            if let Some(n) = w.text.strip_prefix("REG/2026/") {
                assert!(inside(w, nomor), "{w:?} outside the nomor agenda column {nomor:?}");
                rows.push((n.parse::<usize>().unwrap(), p, w.y_min));
            }
        }
    }
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        (1..=300).collect::<Vec<_>>()
    );
    for (i, &(n, p, top)) in rows.iter().enumerate() {
        // the next row's top; for a page's last row, the notes' heading or the footer
        let notes = labels.t("reports.monthly.h_notes").split(' ').next().unwrap();
        let bottom = match rows.get(i + 1) {
            Some(&(_, next_page, next_top)) if next_page == p => next_top,
            _ => pages[p]
                .iter()
                .filter(|w| w.text == notes && w.y_min > top)
                .map(|w| w.y_min)
                .fold(841.89 - 56.69, f64::min),
        };
        let line = |w: &Word| w.y_min >= top - 1.0 && w.y_min < bottom - 1.0;
        // the row number, right-aligned in its column, on the row's first line
        let number = pages[p]
            .iter()
            .filter(|w| (w.y_min - top).abs() < 1.0 && w.text == n.to_string())
            .min_by(|a, b| a.x_min.total_cmp(&b.x_min))
            .unwrap_or_else(|| panic!("row {n} has no number"));
        assert!(inside(number, no), "{number:?} outside {no:?}");
        assert!(
            (number.x_max - (no.1 - 4.0)).abs() < 1.0,
            "row number {number:?} not right-aligned"
        );
        // the subject's words, all in the subject column and inside the row
        let want: Vec<&str> = report.register[n - 1].subject.split(' ').collect();
        let got: Vec<&Word> = pages[p]
            .iter()
            .filter(|w| line(w) && w.x_min >= subject.0 - 1.0 && w.x_max <= subject.1 + 1.0)
            .collect();
        assert_eq!(
            got.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            want,
            "row {n}: the subject read back in its cell"
        );
        for w in got {
            assert!(inside(w, subject), "{w:?} outside the subject column {subject:?}");
        }
    }
}

#[test]
fn a_register_subject_longer_than_a_page_is_cut_with_a_mark_and_kept_whole_in_xlsx() {
    // A row of fixed height cannot be broken across pages: a subject of 3,000 words
    // (imported, say) is shown to its 40th line ending in "…", and the rows after it
    // still follow; the XLSX register keeps the whole text.
    let labels = labels();
    let mut report = monthly();
    let long: String = (0..3000).map(|i| format!("kata{i} ")).collect();
    report.register[0].subject = long.trim_end().to_owned();
    let pdf = report.pdf(&labels).unwrap();
    let Some(text) = pdf_text_raw(&pdf, "monthly-long-subject") else {
        return;
    };
    assert!(text.contains("kata0 "), "the subject starts");
    assert!(text.contains('…'), "the cut is marked");
    assert!(!text.contains("kata2999"), "the end is left out of the PDF");
    for entry in &report.register[1..] {
        assert!(text.contains(&entry.nomor_agenda), "{} follows", entry.nomor_agenda);
    }
    let xlsx = report.xlsx(&labels).unwrap();
    let register = sheet(&xlsx, labels.t("reports.monthly.sheet_register"));
    let whole = register
        .rows()
        .flat_map(|r| r.iter())
        .any(|c| c.to_string() == report.register[0].subject);
    assert!(whole, "the XLSX register holds the whole subject");
}

/// Checks an SKM report's PDF text against the analytics index and the XLSX.
fn check_skm_text(text: &str, report: &SkmReport, xlsx: &[u8]) -> Result<(), String> {
    let index = report.overall.groups[0].index.clone().unwrap();
    expect(
        "responden",
        &value_below(text, "Responden")?,
        &reports::fmt::int(report.overall.respondents as i64),
    )?;
    let ikm = value_below(text, "IKM (skala 1–4)")?;
    expect("IKM", &ikm, &reports::fmt::dec(index.ikm_exact, 4))?;
    let konversi = value_below(text, "Nilai IKM (25–100)")?;
    expect("konversi", &konversi, &reports::fmt::dec(index.konversi, 2))?;
    expect("mutu", &value_below(text, "Mutu pelayanan")?, index.mutu.as_str())?;
    let summary = sheet(xlsx, "Ringkasan");
    if parse_id(&ikm)? != num(&summary, 6, 1) || parse_id(&konversi)? != num(&summary, 7, 1) {
        return Err("IKM or konversi differ between the PDF and the XLSX".into());
    }
    // IKM per service: respondents, IKM (4 decimals) and konversi of each row.
    let services = sheet(xlsx, "IKM per layanan");
    let mut respondents = 0.0;
    for (i, g) in report.by_service.groups.iter().enumerate() {
        let name = g.key[0].value.clone().unwrap();
        let row = table_row(text, "Tabel 3. IKM per jenis layanan", &name)?;
        let gi = g.index.as_ref().unwrap();
        expect(&name, &row[0], &reports::fmt::int(g.respondents as i64))?;
        expect(&name, &row[1], &reports::fmt::dec(gi.ikm_exact, 4))?;
        expect(&name, &row[2], &reports::fmt::dec(gi.konversi, 2))?;
        if parse_id(&row[2])? != num(&services, i + 2, 3) {
            return Err(format!("{name}: konversi differs between the PDF and the XLSX"));
        }
        respondents += parse_id(&row[0])?;
    }
    if respondents != report.overall.respondents as f64 {
        return Err(format!("services add up to {respondents} respondents"));
    }
    Ok(())
}

#[test]
fn skm_pdf_prints_the_index_with_four_decimals() {
    let labels = labels();
    let report = skm();
    let xlsx = report.xlsx(&labels).unwrap();
    let pdf = report.pdf(&labels).unwrap();
    let Some(text) = pdf_text(&pdf, "skm") else { return };
    check_skm_text(&text, &report, &xlsx).unwrap();
    assert!(text.contains("PermenPAN-RB 14/2017"), "the rule set is named");
    // A wrong index is caught.
    let mut wrong = report.clone();
    if let Some(i) = wrong.overall.groups[0].index.as_mut() {
        i.ikm_exact += 0.0001;
    }
    let wrong_text = pdf_text(&wrong.pdf(&labels).unwrap(), "skm-wrong").unwrap();
    let err = check_skm_text(&wrong_text, &report, &xlsx).unwrap_err();
    assert!(err.starts_with("IKM"), "{err}");
}

#[test]
fn skm_xlsx_figures_are_numbers() {
    let labels = labels();
    let report = skm();
    let index = report.overall.groups[0].index.clone().unwrap();
    let xlsx = report.xlsx(&labels).unwrap();
    let summary = sheet(&xlsx, "Ringkasan");
    // respondents, IKM (4 decimals), konversi, then mutu (text), the interval as two
    // numbers, the sample as two numbers when populations were entered.
    assert_eq!(num(&summary, 5, 1), report.overall.respondents as f64);
    assert_eq!(num(&summary, 6, 1), analytics::round_half_away(index.ikm_exact, 4));
    assert_eq!(num(&summary, 7, 1), index.konversi);
    let ci = index.ci.clone().unwrap();
    assert_eq!(num(&summary, 9, 1), analytics::round_half_away(ci.lower, 2));
    assert_eq!(num(&summary, 9, 2), analytics::round_half_away(ci.upper, 2));
    let services = sheet(&xlsx, "IKM per layanan");
    for (i, g) in report.by_service.groups.iter().enumerate() {
        let gi = g.index.as_ref().unwrap();
        assert_eq!(num(&services, i + 2, 2), analytics::round_half_away(gi.ikm_exact, 4));
        let ci = gi.ci.as_ref().unwrap();
        assert_eq!(num(&services, i + 2, 5), analytics::round_half_away(ci.lower, 2));
        assert_eq!(num(&services, i + 2, 6), analytics::round_half_away(ci.upper, 2));
    }
}
