//! Reports on demo data (issue 9): `tanggap report monthly|skm` writes PDF, XLSX and
//! HTML whose PDF pages render non-blank with pdftoppm, whose XLSX read back with
//! calamine holds the analytics numbers, and whose HTML figures equal the stats API's.

use calamine::{Reader, Xlsx};
use clap::Parser;
use serde_json::Value;
use tanggap_tests::{TestApp, TestDb, small_demo, spawn_app};

const SECRET: &str = "tgp_reports_token_for_tests_0123456789abcdefgh";
const UNIT: &str = "dinsospm-dumai";

async fn demo_app(db: TestDb) -> TestApp {
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code(UNIT).await.unwrap().unwrap();
    db.store
        .create_api_token(
            unit.id,
            "stats",
            &tanggap::auth::hash_secret(SECRET),
            &["stats:read".into()],
            None,
        )
        .await
        .unwrap();
    spawn_app(db).await
}

async fn api(app: &TestApp, path: &str) -> Value {
    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{path}");
    r.json().await.unwrap()
}

/// Runs `tanggap <args>` through the real argument parser and command.
async fn tanggap(app: &TestApp, args: &[&str]) {
    let cli = tanggap::cli::Cli::try_parse_from(std::iter::once("tanggap").chain(args.iter().copied())).unwrap();
    let tanggap::cli::Command::Report(command) = cli.command else {
        panic!("not a report command")
    };
    tanggap::reporting::cli::run(app.store.as_ref(), command).await.unwrap();
}

/// Renders every page of a PDF with pdftoppm and checks none is blank.
pub fn assert_pages_non_blank(pdf: &std::path::Path) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let status = match std::process::Command::new("pdftoppm")
        .args(["-r", "30", "-png"])
        .arg(pdf)
        .arg(dir.path().join("page"))
        .status()
    {
        Ok(s) => s,
        Err(_) if !tanggap_tests::in_ci() => {
            eprintln!("pdftoppm is not installed: page rendering skipped");
            return 0;
        }
        Err(e) => panic!("pdftoppm is required in CI: {e}"),
    };
    assert!(status.success(), "pdftoppm failed on {}", pdf.display());
    let mut pages = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let png = std::fs::read(&path).unwrap();
        let img = image_luma(&png);
        let dark = img.iter().filter(|&&p| p < 200).count();
        assert!(dark > 50, "page {} is blank", path.display());
        pages += 1;
    }
    assert!(pages > 0, "no page rendered");
    pages
}

fn image_luma(png: &[u8]) -> Vec<u8> {
    // A PNG decoder is already in the tree through the reports crate's charts.
    reports::charts::decode_luma(png).expect("pdftoppm wrote a PNG")
}

fn figure(html: &str, key: &str) -> f64 {
    let marker = format!("data-key=\"{key}\" data-value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("figure {key} missing")) + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .parse()
        .unwrap_or_else(|_| panic!("figure {key} is not a number"))
}

fn cell(range: &calamine::Range<calamine::Data>, row: usize, col: usize) -> calamine::Data {
    range.get((row, col)).cloned().unwrap_or(calamine::Data::Empty)
}

fn number(d: &calamine::Data) -> f64 {
    match d {
        calamine::Data::Float(f) => *f,
        calamine::Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

async fn monthly_and_skm_reports_on_demo_data(db: TestDb) {
    let app = demo_app(db).await;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    tanggap(
        &app,
        &[
            "report",
            "monthly",
            "--unit",
            UNIT,
            "--month",
            "2026-10",
            "--format",
            "pdf,xlsx,html",
            "--out",
            dir,
            "--as-of",
            "2026-11-20",
        ],
    )
    .await;
    let stem = out.path().join(format!("laporan-pengaduan-{UNIT}-2026-10"));
    let pages = assert_pages_non_blank(&stem.with_extension("pdf"));
    assert!(pages == 0 || pages >= 3, "monthly report has {pages} pages");

    let stats = api(
        &app,
        &format!("/api/v1/complaints/stats?unit={UNIT}&from=2026-10-01&to=2026-10-31&as_of=2026-11-20"),
    )
    .await;
    let total = stats["total"].as_u64().unwrap();
    assert!(total > 0, "the demo has complaints in October");
    let html = std::fs::read_to_string(stem.with_extension("html")).unwrap();
    assert_eq!(figure(&html, "total"), total as f64);
    assert_eq!(figure(&html, "closed"), stats["closed"].as_u64().unwrap() as f64);
    assert!(!html.contains("reports."), "no label key leaks");

    let mut book: Xlsx<_> = calamine::open_workbook(stem.with_extension("xlsx")).unwrap();
    let summary = book.worksheet_range("Ringkasan").unwrap();
    assert_eq!(number(&cell(&summary, 5, 1)), total as f64);
    let by_channel = book.worksheet_range("Per kanal").unwrap();
    let api_channels = stats["by_channel"].as_array().unwrap();
    assert_eq!(by_channel.height(), 2 + api_channels.len());
    for (i, c) in api_channels.iter().enumerate() {
        assert_eq!(
            number(&cell(&by_channel, i + 2, 1)),
            c["count"].as_u64().unwrap() as f64
        );
    }
    let register = book.worksheet_range("Buku pengaduan").unwrap();
    assert_eq!(register.height() as u64, 2 + total, "one register line per complaint");
    // No identity in the register unless asked for.
    let names: Vec<String> = (2..register.height())
        .map(|r| cell(&register, r, 3).to_string())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with('(')),
        "identities are redacted: {names:?}"
    );

    // SKM report for a semester.
    tanggap(
        &app,
        &[
            "report",
            "skm",
            "--unit",
            UNIT,
            "--period",
            "2026-S1",
            "--out",
            dir,
            "--as-of",
            "2026-07-05",
        ],
    )
    .await;
    let stem = out.path().join(format!("laporan-skm-{UNIT}-2026-S1"));
    assert_pages_non_blank(&stem.with_extension("pdf"));
    let ikm = api(&app, &format!("/api/v1/ikm?unit={UNIT}&from=2026-01-01&to=2026-06-30")).await;
    let konversi = ikm["groups"][0]["index"]["konversi"].as_f64().unwrap();
    let html = std::fs::read_to_string(stem.with_extension("html")).unwrap();
    assert_eq!(figure(&html, "konversi"), konversi);
    assert_eq!(figure(&html, "respondents"), ikm["respondents"].as_f64().unwrap());
    for chapter in ["BAB I", "BAB II", "BAB III", "BAB IV", "BAB V", "LAMPIRAN"] {
        assert!(html.contains(chapter), "{chapter}");
    }
    let per_service = api(
        &app,
        &format!("/api/v1/ikm?unit={UNIT}&from=2026-01-01&to=2026-06-30&group_by=service"),
    )
    .await;
    let mut book: Xlsx<_> = calamine::open_workbook(stem.with_extension("xlsx")).unwrap();
    let services = book.worksheet_range("IKM per layanan").unwrap();
    let groups = per_service["groups"].as_array().unwrap();
    assert_eq!(services.height(), 2 + groups.len());
    for (i, g) in groups.iter().enumerate() {
        assert_eq!(
            cell(&services, i + 2, 0).to_string(),
            g["key"][0]["value"].as_str().unwrap()
        );
        if let Some(k) = g["index"]["konversi"].as_f64() {
            assert_eq!(number(&cell(&services, i + 2, 3)), k);
        }
    }
}

tanggap_tests::on_both_databases!(monthly_and_skm_reports, monthly_and_skm_reports_on_demo_data);

#[tokio::test]
async fn bad_report_arguments_are_refused_in_indonesian() {
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    for (args, expected) in [
        (
            vec!["report", "monthly", "--unit", UNIT, "--month", "2026-13"],
            "periode",
        ),
        (vec!["report", "skm", "--unit", UNIT, "--period", "2026-10"], "periode"),
        (
            vec!["report", "monthly", "--unit", "tidak-ada", "--month", "2026-10"],
            "tidak ditemukan",
        ),
        (
            vec![
                "report", "monthly", "--unit", UNIT, "--month", "2026-10", "--format", "docx",
            ],
            "format",
        ),
    ] {
        let cli = tanggap::cli::Cli::try_parse_from(std::iter::once("tanggap").chain(args.iter().copied())).unwrap();
        let tanggap::cli::Command::Report(command) = cli.command else {
            panic!()
        };
        let err = tanggap::reporting::cli::run(store.as_ref(), command).await.unwrap_err();
        assert!(err.to_string().contains(expected), "{args:?}: {err}");
    }
}

async fn follow_up_plan_reaches_the_skm_report_on(db: TestDb) {
    use tanggap::domain::Role;
    use tanggap::storage::model::NewUser;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code(UNIT).await.unwrap().unwrap();
    db.store
        .create_user(&NewUser {
            username: "petugas-plan".into(),
            full_name: "Petugas Rencana".into(),
            password_hash: tanggap::passwords::hash("kata-sandi-uji-123").unwrap(),
            roles: vec![(unit.id, Role::Petugas)],
        })
        .await
        .unwrap();
    let app = spawn_app(db).await;
    let petugas = app.login("petugas-plan", "kata-sandi-uji-123").await;
    let path = format!("/staf/{UNIT}/tindak-lanjut");
    // Bad input: refused with the reason, nothing stored.
    for (fields, reason) in [
        (
            vec![
                ("unsur", "tidak-ada"),
                ("kegiatan", "x"),
                ("penanggung_jawab", "y"),
                ("batas_waktu", "2026-09-30"),
            ],
            "Pilih unsur pelayanan",
        ),
        (
            vec![
                ("unsur", "waktu"),
                ("kegiatan", ""),
                ("penanggung_jawab", "y"),
                ("batas_waktu", "2026-09-30"),
            ],
            "Tulis kegiatan tindak lanjut",
        ),
        (
            vec![
                ("unsur", "waktu"),
                ("kegiatan", "x"),
                ("penanggung_jawab", "y"),
                ("batas_waktu", "30/09"),
            ],
            "Isi batas waktu",
        ),
    ] {
        let mut f = vec![("periode", "2026-S1")];
        f.extend(fields);
        let (status, _, body) = petugas.post(&path, &f).await;
        assert_eq!(status, 422, "{body}");
        assert!(body.contains(reason), "{reason}");
    }
    assert!(app.store.follow_up_plans(unit.id, "2026-S1").await.unwrap().is_empty());
    // Last semester's plan, then its realisation; this semester's plan.
    for (period, action) in [
        ("2025-S2", "Memperbaiki ruang tunggu"),
        ("2026-S1", "Menambah petugas loket"),
    ] {
        let (status, _, body) = petugas
            .post(
                &path,
                &[
                    ("periode", period),
                    ("unsur", "sarana"),
                    ("kegiatan", action),
                    ("penanggung_jawab", "Subbag Umum"),
                    ("batas_waktu", "2026-09-30"),
                ],
            )
            .await;
        assert_eq!(status, 303, "{body}");
    }
    let previous = app.store.follow_up_plans(unit.id, "2025-S2").await.unwrap();
    assert_eq!(previous.len(), 1);
    let (status, _, _) = petugas
        .post(
            &format!("{path}/{}/realisasi", previous[0].id),
            &[
                ("periode", "2026-S1"),
                ("realisasi", "Kursi tunggu diganti"),
                ("tanggal", "2026-03-20"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = petugas.get(&format!("{path}?periode=2026-S1")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Menambah petugas loket") && page.contains("Kursi tunggu diganti"));
    // The SKM report prints this period's plan and the previous period's realisation.
    let report = tanggap::reporting::skm_report(
        app.store.as_ref(),
        &unit,
        tanggap::reporting::SkmOptions {
            period: tanggap::reporting::period::Period::parse_skm("2026-S1").unwrap(),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 7, 5).unwrap(),
            note: String::new(),
            approval: reports::Approval::default(),
            lang: tanggap::i18n::Lang::Id,
        },
    )
    .await
    .unwrap();
    let html = report
        .html(&tanggap::reporting::labels(tanggap::i18n::Lang::Id))
        .unwrap();
    assert!(html.contains("Menambah petugas loket"));
    assert!(html.contains("Kursi tunggu diganti") && html.contains("Semester II 2025"));
}

tanggap_tests::on_both_databases!(
    follow_up_plan_reaches_the_skm_report,
    follow_up_plan_reaches_the_skm_report_on
);

fn data_value(html: &str, id: &str) -> u64 {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("{id} missing"));
    let rest = &html[at..];
    let marker = "data-value=\"";
    let start = rest.find(marker).unwrap() + marker.len();
    let end = start + rest[start..].find('"').unwrap();
    rest[start..end].parse().unwrap()
}

fn href(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\" href=\""))
        .unwrap_or_else(|| panic!("{id} missing"))
        + id.len()
        + 12;
    let end = at + html[at..].find('"').unwrap();
    html[at..end].replace("&amp;", "&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_figure_links_to_its_rows() {
    use tanggap::domain::Role;
    use tanggap::storage::model::NewUser;
    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code(UNIT).await.unwrap().unwrap();
    db.store
        .create_user(&NewUser {
            username: "kadis-dash".into(),
            full_name: "Kepala Dinas".into(),
            password_hash: tanggap::passwords::hash("kata-sandi-uji-123").unwrap(),
            roles: vec![(unit.id, Role::KepalaDinas)],
        })
        .await
        .unwrap();
    db.store
        .create_api_token(
            unit.id,
            "dash",
            &tanggap::auth::hash_secret(SECRET),
            &["stats:read".into()],
            None,
        )
        .await
        .unwrap();
    let app = spawn_app(db).await;
    let kadis = app.login("kadis-dash", "kata-sandi-uji-123").await;
    let (status, _, page) = kadis.get(&format!("/staf/{UNIT}/dasbor")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<svg"), "the trend chart is drawn");
    // The figures equal the stats API's for this month and each trend month.
    let today = tanggap::reporting::today(&unit);
    let this_month = tanggap::reporting::period::Period::month_of(today);
    let month_stats = |p: tanggap::reporting::period::Period| {
        let path = format!(
            "/api/v1/complaints/stats?unit={UNIT}&from={}&to={}&as_of={today}",
            p.from(),
            p.to()
        );
        let app = &app;
        async move { api(app, &path).await }
    };
    let stats = month_stats(this_month).await;
    assert_eq!(data_value(&page, "fig-new"), stats["total"].as_u64().unwrap());
    assert_eq!(data_value(&page, "fig-closed"), stats["closed"].as_u64().unwrap());
    let trend = &page[page.find("id=\"trend\"").expect("trend table")..];
    let mut month = this_month;
    let mut checked_nonzero = false;
    for _ in 0..12 {
        let stats = month_stats(month).await;
        let flow = &stats["flow"][0];
        for (jenis, field) in [("masuk", "opened"), ("selesai", "closed")] {
            let marker = format!("bulan={}&amp;jenis={jenis}\">", month.key());
            let at = trend
                .find(&marker)
                .unwrap_or_else(|| panic!("trend {} {jenis} missing", month.key()))
                + marker.len();
            let shown: u64 = trend[at..at + trend[at..].find('<').unwrap()].parse().unwrap();
            assert_eq!(shown, flow[field].as_u64().unwrap(), "{} {field}", month.key());
            checked_nonzero |= shown > 0;
        }
        month = month.previous();
    }
    // The demo's complaints end in November 2026: while that is within the 12
    // months shown, the trend must hold some.
    if today < chrono::NaiveDate::from_ymd_opt(2027, 10, 1).unwrap() {
        assert!(checked_nonzero, "the trend holds demo complaints");
    }
    for id in ["fig-new", "fig-closed", "fig-overdue"] {
        let value = data_value(&page, id);
        let link = href(&page, id);
        let (status, _, rows) = kadis.get(&link).await;
        assert_eq!(status, 200, "{link}");
        let listed = rows
            .matches(&format!("<tr><td><a href=\"/staf/{UNIT}/pengaduan/"))
            .count() as u64;
        assert_eq!(listed, value, "{id}: the figure equals the rows behind it ({link})");
    }
    // A trend month's count links to exactly that month's received complaints.
    let (_, _, rows) = kadis
        .get(&format!("/staf/{UNIT}/dasbor/pengaduan?bulan=2026-10&jenis=masuk"))
        .await;
    let stats_month = tanggap::reporting::monthly_report(
        app.store.as_ref(),
        &unit,
        tanggap::reporting::MonthlyOptions {
            month: tanggap::reporting::period::Period::Month(2026, 10),
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            show_identity: false,
            note: String::new(),
            approval: reports::Approval::default(),
        },
    )
    .await
    .unwrap();
    let listed = rows
        .matches(&format!("<tr><td><a href=\"/staf/{UNIT}/pengaduan/"))
        .count() as u64;
    assert_eq!(listed, stats_month.stats.total);
    // IKM by service links to that service's survey results.
    if let Some(at) = page.find("/dasbor/survei?layanan=") {
        let end = at + page[at..].find('"').unwrap();
        let (status, _, survey) = kadis
            .get(&format!("/staf/{UNIT}{}", page[at..end].replace("&amp;", "&")))
            .await;
        assert_eq!(status, 200);
        assert!(survey.contains("id=\"elements\""));
        // Each element row prints its score on the 25-100 scale beside the grade,
        // and the grade is that printed score's (issue 20).
        let table = &survey[survey.find("id=\"elements\"").unwrap()..];
        let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
        let rules = analytics::RuleSet::permenpan_14_2017();
        let mut rows = 0;
        for row in body.split("<tr>").skip(1) {
            let cells: Vec<&str> = row
                .split("<td")
                .skip(1)
                .map(|c| c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()].trim())
                .collect();
            assert_eq!(cells.len(), 5, "{row}");
            if cells[3] == "—" {
                continue;
            }
            let konversi: f64 = cells[3].replace('.', "").replace(',', ".").parse().unwrap();
            assert_eq!(cells[4], rules.grade_konversi(konversi).mutu.as_str(), "{row}");
            rows += 1;
        }
        assert!(rows > 0, "no graded element rows");
    }
}

async fn only_approved_skm_results_are_published_on(db: TestDb) {
    use tanggap::reporting::workflow::{self, Actor};
    use tanggap::storage::reports::ReportAction;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code(UNIT).await.unwrap().unwrap();
    let app = spawn_app(db).await;
    let public = |path: String| {
        let client = app.client.clone();
        let url = format!("{}{path}", app.address);
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
        }
    };
    let period = tanggap::reporting::period::Period::parse_skm("2026-S1").unwrap();
    let draft = workflow::draft_skm(app.store.as_ref(), &unit, period, None, "")
        .await
        .unwrap();
    let (status, body) = public(format!("/u/{UNIT}/ikm")).await;
    assert_eq!(status, 200);
    assert!(
        String::from_utf8(body).unwrap().contains("Belum ada hasil survei"),
        "a draft is not published"
    );
    assert_eq!(public(format!("/u/{UNIT}/ikm.png")).await.0, 404);

    // Workflow steps record the actor, a real account.
    let id = app
        .store
        .create_user(&tanggap::storage::model::NewUser {
            username: "sekretaris-pub".into(),
            full_name: "Sekretaris Publikasi".into(),
            password_hash: tanggap::passwords::hash("kata-sandi-uji-123").unwrap(),
            roles: vec![(unit.id, tanggap::domain::Role::Sekretaris)],
        })
        .await
        .unwrap();
    let actor = Actor {
        id,
        name: "Sekretaris Publikasi".into(),
    };
    workflow::act(
        app.store.as_ref(),
        &unit,
        draft.id,
        ReportAction::Submit,
        &actor,
        None,
        None,
    )
    .await
    .unwrap();
    workflow::act(
        app.store.as_ref(),
        &unit,
        draft.id,
        ReportAction::Approve,
        &actor,
        None,
        None,
    )
    .await
    .unwrap();
    let (status, body) = public(format!("/u/{UNIT}/ikm")).await;
    assert_eq!(status, 200);
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains("Semester I 2026"), "{page}");
    let ikm = api_ikm_by_service(&app).await;
    for g in ikm["groups"].as_array().unwrap() {
        let name = g["key"][0]["value"].as_str().unwrap();
        assert!(page.contains(name), "{name} is published");
        if let Some(k) = g["index"]["konversi"].as_f64() {
            assert!(page.contains(&reports::fmt::dec(k, 2)), "{name}: {k}");
        }
    }
    let (status, png) = public(format!("/u/{UNIT}/ikm.png")).await;
    assert_eq!(status, 200);
    let luma = reports::charts::decode_luma(&png).unwrap();
    assert!(
        luma.iter().filter(|&&p| p < 200).count() > 500,
        "the image is not blank"
    );

    // Caching: an ETag naming the approved version, Cache-Control, 304 on a match.
    let image = |if_none_match: Option<String>| {
        let mut r = app.client.get(format!("{}/u/{UNIT}/ikm.png", app.address));
        if let Some(tag) = if_none_match {
            r = r.header("if-none-match", tag);
        }
        async move {
            let r = r.send().await.unwrap();
            let header = |name: &str| {
                r.headers()
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            };
            let (etag, cache) = (header("etag"), header("cache-control"));
            (r.status().as_u16(), etag, cache, r.bytes().await.unwrap().to_vec())
        }
    };
    let (status, etag, cache, again) = image(None).await;
    assert_eq!(status, 200);
    assert!(etag.starts_with(&format!("\"ikm-{}-", draft.id)), "{etag}");
    assert!(cache.contains("max-age="), "{cache}");
    assert_eq!(again, png, "the same image, from the cache");
    let (status, etag_304, _, body) = image(Some(etag.clone())).await;
    assert_eq!(status, 304, "the browser's copy is current");
    assert!(body.is_empty());
    assert_eq!(etag_304, etag);
    let (status, _, _, _) = image(Some(format!("W/{etag}, \"other\""))).await;
    assert_eq!(status, 304, "a list and a weak tag match too");
    let (status, _, _, body) = image(Some("\"ikm-0-stale\"".into())).await;
    assert_eq!((status, body.len() > 100), (200, true), "a stale tag gets the image");
    // The English image has its own title, hence its own tag.
    let english = app
        .client
        .get(format!("{}/u/{UNIT}/ikm.png?lang=en", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(english.status().as_u16(), 200);
    let etag_en = english.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    assert!(etag_en != etag && etag_en.starts_with(&format!("\"ikm-{}-", draft.id)));

    // A newer approved version is a new image with a new tag.
    let second = workflow::draft_skm(app.store.as_ref(), &unit, period, None, "")
        .await
        .unwrap();
    for action in [ReportAction::Submit, ReportAction::Approve] {
        workflow::act(app.store.as_ref(), &unit, second.id, action, &actor, None, None)
            .await
            .unwrap();
    }
    let (status, etag2, _, _) = image(Some(etag.clone())).await;
    assert_eq!(status, 200, "the old tag is stale after a new approval");
    assert!(etag2.starts_with(&format!("\"ikm-{}-", second.id)), "{etag2}");
}

async fn api_ikm_by_service(app: &TestApp) -> Value {
    let unit = app.store.unit_by_code(UNIT).await.unwrap().unwrap();
    app.store
        .create_api_token(
            unit.id,
            "pub",
            &tanggap::auth::hash_secret(SECRET),
            &["stats:read".into()],
            None,
        )
        .await
        .unwrap();
    api(
        app,
        &format!("/api/v1/ikm?unit={UNIT}&from=2026-01-01&to=2026-06-30&group_by=service"),
    )
    .await
}

tanggap_tests::on_both_databases!(
    only_approved_skm_results_are_published,
    only_approved_skm_results_are_published_on
);
