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
