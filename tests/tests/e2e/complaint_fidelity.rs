//! Regulatory fidelity of complaints (issue 20), on both databases: the SP4N-LAPOR!
//! stage clocks come from data and reach the inbox and the printed monthly report,
//! days late count working days, the 2025/2026 calendar follows the decrees.
//! Printed figures are read back from the PDF (pdftotext) and the XLSX (calamine).

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tanggap::domain::{Bobot, Channel, ComplaintStatus, Role};
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap::storage::triage::{Classification, StatusMove};
use tanggap_tests::{TestDb, on_both_databases, spawn_app};

pub(crate) const PASSWORD: &str = "kata-sandi-uji-123";
const UNIT: &str = "dinsos-lapor";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// WIB (UTC+7, no daylight saving), the test unit's zone.
fn wib_zone() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).unwrap()
}

/// `hh:mm` WIB on a day, as UTC.
fn wib(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    wib_zone()
        .with_ymd_and_hms(y, m, day, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn new_unit(store: &dyn Store) -> Unit {
    unit_taking(store, UNIT, vec![Channel::Website, Channel::SpanLapor]).await
}

/// A test unit `code` taking complaints through `channels`.
pub(crate) async fn unit_taking(store: &dyn Store, code: &str, channels: Vec<Channel>) -> Unit {
    store
        .create_unit(&NewUnit {
            complaint_channels: channels,
            ..tanggap_tests::test_unit(code)
        })
        .await
        .unwrap();
    store.unit_by_code(code).await.unwrap().unwrap()
}

/// A user with the test password and these roles; its id.
pub(crate) async fn add_user(store: &dyn Store, username: &str, roles: Vec<(i64, Role)>) -> i64 {
    store
        .create_user(&NewUser {
            username: username.into(),
            full_name: username.into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles,
        })
        .await
        .unwrap()
}

async fn import(store: &dyn Store, unit: &Unit, csv: &str) -> tanggap::lapor::ImportReport {
    let options = tanggap::lapor::ImportOptions {
        unit: unit.clone(),
        mapping: tanggap::lapor::Mapping::default(),
        sheet: None,
        dry_run: false,
        batch_size: 100,
        recorded_by: None,
    };
    tanggap::lapor::import(store, csv.as_bytes().to_vec(), &options, &mut |_, _| {})
        .await
        .unwrap()
}

/// A status move by nobody in particular, dated `at`.
pub(crate) fn step(unit_id: i64, complaint_id: i64, to: ComplaintStatus, at: DateTime<Utc>) -> StatusMove {
    StatusMove {
        unit_id,
        complaint_id,
        to,
        actor_id: None,
        note: "Sudah kami periksa.".into(),
        at,
        expected_from: None,
        notify: Vec::new(),
    }
}

async fn monthly(store: &dyn Store, unit: &Unit, month: u32, as_of: NaiveDate) -> reports::MonthlyReport {
    tanggap::reporting::monthly_report(
        store,
        unit,
        tanggap::reporting::MonthlyOptions {
            month: tanggap::reporting::period::Period::Month(2026, month),
            as_of,
            show_identity: false,
            note: String::new(),
            approval: reports::Approval::default(),
        },
    )
    .await
    .unwrap()
}

/// The PDF's text with runs of blanks made one space, lines kept; None (outside CI)
/// when pdftotext is missing.
pub(crate) fn pdf_lines(pdf: &[u8]) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("laporan.pdf");
    std::fs::write(&file, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext failed");
            Some(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                    .collect(),
            )
        }
        Err(e) => {
            assert!(!tanggap_tests::in_ci(), "pdftotext is required in CI: {e}");
            None
        }
    }
}

/// The printed line that starts with `label` (the first after `after`, when given).
fn line_after<'a>(lines: &'a [String], after: Option<&str>, label: &str) -> &'a str {
    let start = after.map_or(0, |a| {
        lines
            .iter()
            .position(|l| l.contains(a))
            .unwrap_or_else(|| panic!("{a:?} is not printed:\n{}", lines.join("\n")))
    });
    lines[start..]
        .iter()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no line starting {label:?} after {after:?}:\n{}", lines.join("\n")))
}

pub(crate) fn sheet(xlsx: &[u8], name: &str) -> calamine::Range<Data> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}; sheets {:?}", book.sheet_names()))
}

/// A cell as text (a number as the spreadsheet shows it: 4, not 4.0).
fn cell_text(c: &Data) -> String {
    c.to_string()
}

/// The row of a sheet whose first cell is `first`, as text.
pub(crate) fn xlsx_row(range: &calamine::Range<Data>, first: &str) -> Vec<String> {
    range
        .rows()
        .find(|r| r.first().is_some_and(|c| cell_text(c) == first))
        .unwrap_or_else(|| panic!("no row {first:?}"))
        .iter()
        .map(cell_text)
        .collect()
}

on_both_databases!(
    sp4n_stage_clocks_reach_the_inbox_and_the_monthly_report,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit = new_unit(store.as_ref()).await;
        // The limits are data, with the regulation they come from.
        let stages = store.channel_stages(unit.id).await.unwrap();
        let limits: Vec<(&str, &str, i64)> = stages
            .iter()
            .filter(|s| s.stage != "tutup_otomatis")
            .map(|s| (s.channel.as_str(), s.stage.as_str(), s.working_days))
            .collect();
        assert_eq!(
            limits,
            vec![("span_lapor", "verifikasi", 3), ("span_lapor", "tindak_lanjut", 5)]
        );
        // The auto-close after an answer: 10 working days on every channel.
        let auto_close: Vec<(&str, i64)> = stages
            .iter()
            .filter(|s| s.stage == "tutup_otomatis")
            .map(|s| (s.channel.as_str(), s.working_days))
            .collect();
        assert_eq!(auto_close.len(), Channel::ALL.len(), "{auto_close:?}");
        assert!(auto_close.iter().all(|(_, days)| *days == 10));
        assert!(
            stages
                .iter()
                .all(|s| s.regulation.contains("62/2018") && s.regulation.contains("5/2025"))
        );
        // A later regulation is a new row from its day; the other limits stay.
        store
            .save_channel_stage(
                unit.id,
                &tanggap::storage::stages::ChannelStage {
                    channel: "span_lapor".into(),
                    stage: "tindak_lanjut".into(),
                    position: 2,
                    working_days: 7,
                    regulation: "PermenPAN-RB 5/2025 (uji)".into(),
                    valid_from: d(2027, 1, 1),
                },
            )
            .await
            .unwrap();
        let stages = store.channel_stages(unit.id).await.unwrap();
        assert_eq!(stages.len(), 3 + Channel::ALL.len(), "{stages:?}");
        let in_2027 = tanggap::triage::stages::applicable(&stages, "span_lapor", d(2027, 1, 4));
        // Verification, follow-up, then the auto-close after the answer.
        assert_eq!(
            in_2027.iter().map(|s| s.working_days).collect::<Vec<_>>(),
            vec![3, 7, 10]
        );
        let in_2026 = tanggap::triage::stages::applicable(&stages, "span_lapor", d(2026, 11, 2));
        assert_eq!(
            in_2026.iter().map(|s| s.working_days).collect::<Vec<_>>(),
            vec![3, 5, 10]
        );

        // Monday 2 November 2026: verification due Thursday 5, follow-up Thursday 12.
        let received = wib(2026, 11, 2, 9, 0);
        let lapor = |reference: &str| NewComplaint {
            channel: Channel::SpanLapor,
            channel_ref: Some(reference.into()),
            ..tanggap_tests::test_complaint(unit.id, received)
        };
        // Typed in, verified and answered on Wednesday 4: both stages on time.
        let on_time = store.record_complaint(&lapor("1900001")).await.unwrap();
        let division = store.create_division(unit.id, "Bidang Linjamsos").await.unwrap();
        tanggap_tests::answer_complaint(
            store.as_ref(),
            unit.id,
            on_time.id,
            Some(division),
            None,
            None,
            wib(2026, 11, 4, 10, 0),
        )
        .await;
        // Typed in, verified on Friday 6 (late), never answered.
        let late = store.record_complaint(&lapor("1900002")).await.unwrap();
        store
            .move_complaint(&step(
                unit.id,
                late.id,
                ComplaintStatus::Terverifikasi,
                wib(2026, 11, 6, 10, 0),
            ))
            .await
            .unwrap()
            .unwrap();
        // A website complaint has no stages.
        store
            .record_complaint(&tanggap_tests::test_complaint(unit.id, received))
            .await
            .unwrap();
        // Imported: one still unverified, one verified on LAPOR! on a day the export
        // does not give.
        let report = import(
            store.as_ref(),
            &unit,
            "ID Laporan;Judul;Isi Laporan;Tanggal Laporan;Status\n\
             1916449;Bantuan PKH belum cair;Sudah tiga bulan.;02/11/2026 09:00;Belum Terverifikasi\n\
             1916450;Surat keterangan lambat;Sudah dua minggu.;02/11/2026 09:00;Sedang Diproses\n",
        )
        .await;
        assert_eq!((report.new_count(), report.rejected.len()), (2, 0), "{report:?}");

        let as_of = d(2026, 11, 20);
        let month = monthly(store.as_ref(), &unit, 11, as_of).await;
        let rows: Vec<(&str, u64, u64, u64, u64, u64, u64)> = month
            .stages
            .iter()
            .map(|r| {
                (
                    r.stage.as_str(),
                    r.complaints,
                    r.met,
                    r.missed,
                    r.open_overdue,
                    r.pending,
                    r.unknown_date,
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![("verifikasi", 4, 1, 1, 1, 0, 1), ("tindak_lanjut", 4, 1, 0, 3, 0, 0)]
        );

        // Printed: the PDF row and the XLSX row say the same, with the limit and
        // the regulation.
        let labels = tanggap::reporting::labels(tanggap::i18n::Lang::Id);
        if let Some(lines) = pdf_lines(&month.pdf(&labels).unwrap()) {
            let caption = "Tabel 8. Ketepatan waktu per tahap SP4N-LAPOR!";
            let v = line_after(&lines, Some(caption), "SP4N-LAPOR! Verifikasi");
            assert!(v.contains(" 3 ") && v.ends_with("4 1 1 1 0 1"), "{v}");
            let f = line_after(&lines, Some(caption), "SP4N-LAPOR! Tindak lanjut");
            assert!(f.contains(" 5 ") && f.ends_with("4 1 0 3 0 0"), "{f}");
            assert!(lines.iter().any(|l| l.contains("62/2018")), "the regulation is printed");
        }
        let range = sheet(&month.xlsx(&labels).unwrap(), "Tahap SP4N-LAPOR!");
        let channel = labels.t("channel.span_lapor").to_owned();
        let row = xlsx_row(&range, &channel);
        assert_eq!(row[1], "Verifikasi dan penerusan");
        assert_eq!(row[2], "3");
        assert!(row[3].contains("62/2018"), "{row:?}");
        assert_eq!(row[4..].join(" "), "4 1 1 1 0 1");

        // The inbox shows the running stage and its limit, flagged when past.
        add_user(store.as_ref(), "admin", vec![(unit.id, Role::Admin)]).await;
        let app = spawn_app(db).await;
        let staff = app.login("admin", PASSWORD).await;
        let (code, _, inbox) = staff.get(&format!("/staf/{UNIT}/pengaduan")).await;
        assert_eq!(code, 200);
        assert!(
            inbox.contains("Verifikasi dan penerusan: 05-11-2026 23:59 <strong class=\"overdue\">"),
            "{inbox}"
        );
        assert!(
            inbox.contains("Tindak lanjut instansi: 12-11-2026 23:59 <strong class=\"overdue\">"),
            "{inbox}"
        );
    }
);

on_both_databases!(days_late_are_working_days_of_the_unit, |db: TestDb| async move {
    let store = db.store.clone();
    let unit = new_unit(store.as_ref()).await;
    // Due at the end of Friday 13 November 2026; the report is made on Monday 16.
    let c = store
        .record_complaint(&tanggap_tests::test_complaint(unit.id, wib(2026, 11, 2, 9, 0)))
        .await
        .unwrap();
    store
        .classify_complaint(&Classification {
            unit_id: unit.id,
            complaint_id: c.id,
            klasifikasi: tanggap::domain::Klasifikasi::Pengaduan,
            jenis_id: None,
            service_id: None,
            division_id: None,
            bobot: Some(Bobot::Sedang),
            assignee_id: None,
            first_answer_due_at: None,
            due_at: Some(wib(2026, 11, 13, 23, 59)),
            actor_id: None,
            at: wib(2026, 11, 2, 10, 0),
            note: String::new(),
        })
        .await
        .unwrap()
        .unwrap();
    let month = monthly(store.as_ref(), &unit, 11, d(2026, 11, 16)).await;
    assert_eq!(month.overdue.len(), 1);
    assert_eq!(month.overdue[0].days_late, 1, "Friday to Monday is one working day");
    let labels = tanggap::reporting::labels(tanggap::i18n::Lang::Id);
    if let Some(lines) = pdf_lines(&month.pdf(&labels).unwrap()) {
        // The heading wraps in its narrow column: "Hari kerja" / "terlambat".
        let header = line_after(&lines, Some("Tabel 9."), "No. Nomor agenda");
        assert!(header.contains("Batas waktu Hari kerja"), "{header}");
        let row = line_after(&lines, Some("Tabel 9."), "1 ");
        assert!(
            row.contains(&c.nomor_agenda) && row.contains(" 13 November 1 Sedang"),
            "{row}"
        );
    }
    let range = sheet(&month.xlsx(&labels).unwrap(), labels.t("reports.monthly.sheet_overdue"));
    let row = xlsx_row(&range, "1");
    assert_eq!(row[4], "1", "{row:?}");
    assert!(
        range
            .rows()
            .any(|r| r.iter().any(|c| cell_text(c) == "Hari kerja terlambat")),
        "the XLSX heading says working days"
    );
});

on_both_databases!(the_2025_and_2026_decrees_are_in_the_calendar, |db: TestDb| async move {
    let store = db.store.clone();
    let unit = new_unit(store.as_ref()).await;
    // A ringan complaint received Monday 11 August 2025: 12, 13, 14, 15 August, then
    // 18 August is cuti bersama, so the fifth working day is Tuesday 19 August.
    let (_, due) = tanggap::triage::sla::due_dates_for(store.as_ref(), &unit, Bobot::Ringan, wib(2025, 8, 11, 9, 0))
        .await
        .unwrap();
    assert_eq!(
        due.map(|t| t.with_timezone(&wib_zone()).date_naive()),
        Some(d(2025, 8, 19))
    );
    let days = store.list_holidays(d(2025, 8, 18), d(2025, 8, 18)).await.unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].kind, "cuti_bersama");
    // The decrees are cited on the system's holiday page.
    let sistem = add_user(store.as_ref(), "sistem", vec![]).await;
    store.set_system_admin(sistem, true).await.unwrap();
    let app = spawn_app(db).await;
    let admin = app.login("sistem", PASSWORD).await;
    let (code, _, page) = admin.get("/sistem/hari-libur?tahun=2025").await;
    assert_eq!(code, 200);
    let row = page
        .split("<tr>")
        .find(|r| r.contains("2025-08-18"))
        .unwrap_or_else(|| panic!("18 August 2025 is listed: {page}"));
    assert!(
        row.contains("933/2025, 1/2025, 3/2025") && row.contains("1017/2024"),
        "{row}"
    );
    let (_, _, page) = admin.get("/sistem/hari-libur?tahun=2026").await;
    let row = page.split("<tr>").find(|r| r.contains("2026-08-17")).unwrap();
    assert!(row.contains("1497/2025, 2/2025, 5/2025"), "{row}");
});

/// The current month's key (`2026-12`) in WIB, as the dashboard's links write it.
fn this_month() -> String {
    Utc::now().with_timezone(&wib_zone()).format("%Y-%m").to_string()
}

/// The number a dashboard trend cell links with, e.g. `bulan=2026-12&amp;jenis=selesai">0<`.
fn trend_cell(html: &str, month: &str, kind: &str) -> u64 {
    let key = format!("bulan={month}&amp;jenis={kind}\">");
    let table = &html[html.find("id=\"trend\"").expect("trend table")..];
    let at = table.find(&key).unwrap_or_else(|| panic!("{key} in {table}")) + key.len();
    table[at..].split('<').next().unwrap().parse().unwrap()
}

on_both_databases!(imported_history_keeps_the_dates_of_its_file, |db: TestDb| async move {
    let store = db.store.clone();
    let unit = new_unit(store.as_ref()).await;
    // March 2025: answered on 12 March, closed on 14 March, as the file says.
    // April 2025: closed on LAPOR!, on a day the file does not give.
    let report = import(
            store.as_ref(),
            &unit,
            "ID Laporan;Judul;Isi Laporan;Tanggal Laporan;Status;Tindak Lanjut;Tanggal Selesai\n\
             2000001;Bantuan belum cair;Sudah tiga bulan.;10/03/2025 09:00;Selesai;12/03/2025 10:00 Sudah dicairkan.;14/03/2025 15:00\n\
             2000002;Antrean lama;Antre empat jam.;02/04/2025 09:00;Selesai;;\n\
             2000003;Surat lambat;Dua minggu.;03/04/2025 09:00;Sedang Diproses;;\n",
        )
        .await;
    assert_eq!((report.new_count(), report.rejected.len()), (3, 0), "{report:?}");
    let rows = store
        .stage_complaints(
            unit.id,
            &["span_lapor".to_owned()],
            wib(2025, 1, 1, 0, 0),
            wib(2026, 1, 1, 0, 0),
        )
        .await
        .unwrap();
    let local = |t: Option<DateTime<Utc>>| t.map(|t| t.with_timezone(&wib_zone()).date_naive());
    let dated = rows.iter().find(|r| r.nomor_agenda.ends_with("000001")).unwrap();
    assert_eq!(local(dated.first_answered_at), Some(d(2025, 3, 12)));
    assert_eq!(local(dated.closed_at), Some(d(2025, 3, 14)));
    let undated = rows.iter().find(|r| r.status == "selesai" && r.closed_at.is_none());
    assert!(
        undated.is_some(),
        "the undated closing stays unknown, not today: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.first_answered_at.is_none_or(|t| t < wib(2026, 1, 1, 0, 0)))
    );

    // March 2025 closed one (on time: 4 working days, a ringan target would be
    // met); April 2025 counts its undated closing apart, in no timeliness figure.
    let april = tanggap::reporting::monthly_report(
        store.as_ref(),
        &unit,
        tanggap::reporting::MonthlyOptions {
            month: tanggap::reporting::period::Period::Month(2025, 4),
            as_of: d(2025, 6, 30),
            show_identity: false,
            note: String::new(),
            approval: reports::Approval::default(),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (april.stats.total, april.stats.closed, april.stats.closed_date_unknown),
        (2, 0, 1)
    );
    let march = april.trend.iter().find(|t| t.month == d(2025, 3, 1)).unwrap();
    assert_eq!((march.opened, march.closed), (1, 1));
    let april_row = april.trend.iter().find(|t| t.month == d(2025, 4, 1)).unwrap();
    assert_eq!(
        (april_row.closed, april_row.closed_date_unknown, april_row.backlog),
        (0, 1, 1)
    );
    let labels = tanggap::reporting::labels(tanggap::i18n::Lang::Id);
    if let Some(lines) = pdf_lines(&april.pdf(&labels).unwrap()) {
        let at = lines
            .iter()
            .position(|l| l.contains("Selesai, tanggal tidak diketahui"))
            .unwrap_or_else(|| panic!("the unknown line is printed:\n{}", lines.join("\n")));
        assert!(
            lines[at..at + 3].iter().any(|l| l.split(' ').any(|w| w == "1")),
            "{:?}",
            &lines[at..at + 3]
        );
    }
    let range = sheet(&april.xlsx(&labels).unwrap(), labels.t("reports.monthly.sheet_trend"));
    let row = xlsx_row(&range, "April 2025");
    assert_eq!(
        row[1..5].join(" "),
        "2 0 1 1",
        "received, closed, closed date unknown, backlog"
    );

    // The dashboard's trend: nothing was closed in the month of the import.
    add_user(store.as_ref(), "admin", vec![(unit.id, Role::Admin)]).await;
    let app = spawn_app(db).await;
    let staff = app.login("admin", PASSWORD).await;
    let (code, _, page) = staff.get(&format!("/staf/{UNIT}/dasbor")).await;
    assert_eq!(code, 200);
    assert_eq!(trend_cell(&page, &this_month(), "selesai"), 0, "no closing dated today");
});

on_both_databases!(
    dashboard_draws_percentages_apart_and_says_what_each_figure_counts,
    |db: TestDb| async move {
        tanggap::demo::load_demo(db.store.as_ref(), &tanggap_tests::small_demo())
            .await
            .unwrap();
        let store = db.store.clone();
        let unit = store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
        add_user(store.as_ref(), "kadis", vec![(unit.id, Role::KepalaDinas)]).await;
        let app = spawn_app(db).await;
        let kadis = app.login("kadis", PASSWORD).await;
        let (code, _, page) = kadis.get("/staf/dinsospm-dumai/dasbor").await;
        assert_eq!(code, 200);
        // Counts and the percentage are two charts: the counts chart has no
        // percentage series, the percentage chart only that one, on 0-100.
        let chart = |id: &str| {
            let start = page
                .find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("{id} in {page}"));
            page[start..start + page[start..].find("</figure>").unwrap()].to_owned()
        };
        let counts = chart("chart-counts");
        let percent = chart("chart-compliance");
        assert!(counts.contains("<svg") && percent.contains("<svg"));
        assert!(counts.contains("Masuk") && !counts.contains("Tepat waktu"), "{counts}");
        assert!(
            percent.contains("Tepat waktu") && !percent.contains("Masuk"),
            "{percent}"
        );
        // The axis is written in the page's number format: 100, not 100.0 (issue 21).
        assert!(
            percent.contains("\n100\n") && !percent.contains("100.0"),
            "0-100 axis: {percent}"
        );
        // Each figure says what it counts and over which period.
        let month = Utc::now().with_timezone(&wib_zone()).date_naive();
        let month_name = tanggap::reporting::period::Period::month_of(month).label(tanggap::i18n::Lang::Id);
        let today = month.format("%d-%m-%Y").to_string();
        let label = |id: &str| {
            let start = page.find(&format!("id=\"{id}\"")).unwrap();
            let rest = &page[start..];
            let at = rest.find("class=\"muted\">").unwrap() + "class=\"muted\">".len();
            rest[at..].split('<').next().unwrap().to_owned()
        };
        assert!(
            label("fig-sla").contains(&month_name) && label("fig-sla").contains(&today),
            "{}",
            label("fig-sla")
        );
        assert!(label("fig-overdue").contains("bulan apa pun") && label("fig-overdue").contains(&today));
        assert!(label("fig-new").contains(&month_name));
        assert!(label("fig-closed").contains(&month_name) && label("fig-closed").contains(&today));
    }
);

on_both_databases!(
    the_demo_is_dated_by_the_servers_clocks_and_looks_like_a_real_office,
    |db: TestDb| async move {
        let store = db.store.clone();
        let options = tanggap::demo::DemoOptions {
            seed: 2026,
            complaints: 3_000,
            responses: 0,
            end_date: d(2026, 11, 20),
        };
        tanggap::demo::load_demo(store.as_ref(), &options).await.unwrap();
        let unit = store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
        let month = monthly(store.as_ref(), &unit, 10, d(2026, 11, 20)).await;
        let s = &month.stats;
        let (met, missed, overdue): (u64, u64, u64) = s.sla.iter().fold((0, 0, 0), |(a, b, c), r| {
            (a + r.resolve.met, b + r.resolve.missed, c + r.resolve.open_overdue)
        });
        let compliance = reports::monthly::overall_compliance(&s.sla).unwrap();
        assert!(s.total >= 40, "a month of complaints: {}", s.total);
        // Most on time, some late, few open past the deadline.
        assert!(
            (70.0..=97.0).contains(&compliance),
            "compliance {compliance}: {met} {missed} {overdue}"
        );
        assert!(missed > 0, "some are late");
        assert!(overdue * 10 <= s.total, "few overdue: {overdue} of {}", s.total);
        // Every due date is the server's own, on the unit's calendar.
        let rows = store
            .report_register(unit.id, wib(2026, 1, 1, 0, 0), wib(2026, 11, 21, 0, 0))
            .await
            .unwrap();
        assert!(rows.len() > 100);
        for r in rows.iter().take(150) {
            let t = store.triage_state(unit.id, r.id).await.unwrap().unwrap();
            if matches!(t.status.as_str(), "diarsipkan" | "dikembalikan") {
                continue;
            }
            let bobot = Bobot::parse(t.bobot.as_deref().unwrap()).unwrap();
            let (_, due) = tanggap::triage::sla::due_dates_for(store.as_ref(), &unit, bobot, t.received_at)
                .await
                .unwrap();
            assert_eq!(t.due_at, due, "{}", r.nomor_agenda);
            let hour = chrono::Timelike::hour(&t.received_at.with_timezone(&wib_zone()));
            assert!((8..16).contains(&hour), "received in office hours: {}", t.received_at);
        }
    }
);
