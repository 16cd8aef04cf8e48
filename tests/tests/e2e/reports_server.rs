//! Report versions on the server side (issue 9): concurrent drafts take consecutive
//! numbers and each prints its own.

use std::io::Cursor;

use calamine::{Reader, Xlsx};
use chrono::Utc;
use tanggap::reporting::period::Period;
use tanggap::reporting::workflow::{self, MONTHLY, StoredReport};
use tanggap::storage::Store;
use tanggap::storage::reports::NewReportVersion;
use tanggap_tests::{TestDb, small_demo};

const UNIT: &str = "dinsospm-dumai";

/// What a stored version prints as its number, read from its stored input.
async fn printed_version(store: &dyn Store, unit_id: i64, id: i64) -> i64 {
    let data = store.report_data(unit_id, id).await.unwrap().unwrap();
    let report: StoredReport = serde_json::from_str(&data).unwrap();
    report.approval().version
}

/// Checks a stored version's three files: a PDF, an XLSX calamine opens, an HTML
/// page printing `versi N` with the stored number.
async fn assert_files(store: &dyn Store, unit_id: i64, id: i64, version: i64) {
    let pdf = store.report_file(unit_id, id, "pdf").await.unwrap().unwrap();
    assert!(pdf.starts_with(b"%PDF"), "version {version}: a PDF is stored");
    let xlsx = store.report_file(unit_id, id, "xlsx").await.unwrap().unwrap();
    let mut book = Xlsx::new(Cursor::new(xlsx)).expect("the stored XLSX opens");
    assert!(book.worksheet_range("Ringkasan").is_ok(), "summary sheet");
    let html = store.report_file(unit_id, id, "html").await.unwrap().unwrap();
    let html = String::from_utf8(html).unwrap();
    assert!(
        html.contains(&format!("versi {version}")),
        "version {version}: the HTML prints its stored number"
    );
    assert_eq!(
        store.report_file(unit_id, id, "docx").await.unwrap(),
        None,
        "only known formats are read"
    );
}

async fn concurrent_drafts_take_consecutive_numbers_on(db: TestDb) {
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let store = db.store.clone();
    let unit = store.unit_by_code(UNIT).await.unwrap().unwrap();
    // A second instance: its own pool on the same database.
    let other = tanggap::storage::connect(&db.url).await.unwrap();
    let month = Period::Month(2026, 10);
    // Both drafts propose number 1 before either is stored (the report is built and
    // rendered in between): the second to store must re-render as number 2.
    let (a, b) = tokio::join!(
        workflow::draft_monthly(store.as_ref(), &unit, month, None, "pertama"),
        workflow::draft_monthly(other.as_ref(), &unit, month, None, "kedua"),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut numbers = vec![a.version, b.version];
    numbers.sort();
    assert_eq!(numbers, vec![1, 2], "two overlapping drafts end as 1 and 2");
    for v in [&a, &b] {
        assert_eq!(
            printed_version(store.as_ref(), unit.id, v.id).await,
            v.version,
            "the number printed equals the number stored"
        );
        assert_files(store.as_ref(), unit.id, v.id, v.version).await;
    }
    // A third, later draft follows on.
    let c = workflow::draft_monthly(store.as_ref(), &unit, month, None, "")
        .await
        .unwrap();
    assert_eq!(c.version, 3);
    assert_eq!(printed_version(store.as_ref(), unit.id, c.id).await, 3);
    // The store never stores a number twice: a taken one is a conflict.
    let taken = store
        .insert_report_version(&NewReportVersion {
            unit_id: unit.id,
            kind: MONTHLY.into(),
            period: month.key(),
            version: 2,
            created_by: None,
            created_at: Utc::now(),
            preparer_note: String::new(),
            data_json: "{}".into(),
            html: String::new(),
            pdf: Vec::new(),
            xlsx: Vec::new(),
        })
        .await
        .unwrap_err();
    assert!(taken.is_conflict(), "{taken}");
    assert_eq!(
        store.next_report_version(unit.id, MONTHLY, &month.key()).await.unwrap(),
        4
    );
}

tanggap_tests::on_both_databases!(
    concurrent_drafts_take_consecutive_numbers,
    concurrent_drafts_take_consecutive_numbers_on
);
