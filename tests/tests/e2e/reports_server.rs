//! Report versions on the server side (issue 9): concurrent drafts take consecutive
//! numbers and each prints its own, and the first-working-day job drafts last
//! month's report exactly once, whatever the number of instances running it.

use std::io::Cursor;
use std::sync::Arc;

use calamine::{Reader, Xlsx};
use chrono::{NaiveDate, TimeZone, Utc};
use tanggap::domain::Role;
use tanggap::reporting::period::Period;
use tanggap::reporting::workflow::{self, MONTHLY, StoredReport};
use tanggap::storage::Store;
use tanggap::storage::model::{Holiday, NewUser};
use tanggap::storage::reports::NewReportVersion;
use tanggap_tests::{TestDb, small_demo, spawn_app};

const UNIT: &str = "dinsospm-dumai";
const PASSWORD: &str = "kata-sandi-uji-123";

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

async fn monthly_versions(store: &dyn Store, unit_id: i64, period: &str) -> Vec<i64> {
    store
        .list_report_versions(unit_id, Some(MONTHLY))
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.period == period)
        .map(|v| v.version)
        .collect()
}

async fn first_working_day_job_drafts_once_on(db: TestDb) {
    use tanggap::reporting::job::run_once;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let store = db.store.clone();
    let unit = store.unit_by_code(UNIT).await.unwrap().unwrap();
    assert_eq!(unit.time_zone, "Asia/Jakarta");
    // 1 November 2026 is a Sunday; the 2nd is made a holiday here, so the first
    // working day of November is Tuesday the 3rd.
    store
        .upsert_holidays(&[Holiday {
            day: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            name: "Libur uji".into(),
            kind: "libur_nasional".into(),
        }])
        .await
        .unwrap();
    store
        .create_user(&NewUser {
            username: "petugas-job".into(),
            full_name: "Petugas Laporan".into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles: vec![(unit.id, Role::Petugas)],
        })
        .await
        .unwrap();
    let units = store.list_units().await.unwrap();
    let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();

    // Not the first working day: the Sunday, the holiday (10:00 WIB), the day after.
    for now in [
        at(2026, 11, 1, 3),
        at(2026, 11, 2, 3),
        at(2026, 11, 4, 3),
        at(2026, 10, 30, 3),
    ] {
        let made = run_once(store.as_ref(), "instance-a", now).await.unwrap();
        assert!(made.is_empty(), "{now}: not a first working day, nothing made");
    }
    for u in &units {
        assert!(
            store
                .list_report_versions(u.id, Some(MONTHLY))
                .await
                .unwrap()
                .is_empty(),
            "{}: no draft yet",
            u.code
        );
    }

    // 2 November 18:00 UTC is 3 November 01:00 in Jakarta: the first working day
    // there (while in UTC it is still the holiday). Two instances, each with its own
    // pool, run the job at that moment.
    let now = at(2026, 11, 2, 18);
    let other: Arc<dyn Store> = tanggap::storage::connect(&db.url).await.unwrap();
    let (a, b) = tokio::join!(
        run_once(store.as_ref(), "instance-a", now),
        run_once(other.as_ref(), "instance-b", now),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.len() + b.len(),
        units.len(),
        "one draft per unit across both instances"
    );
    for u in &units {
        assert_eq!(
            monthly_versions(store.as_ref(), u.id, "2026-10").await,
            vec![1],
            "{}: exactly one draft of October",
            u.code
        );
    }
    let draft = a
        .iter()
        .chain(b.iter())
        .find(|v| v.unit_id == unit.id)
        .cloned()
        .expect("the unit's draft");
    assert_eq!((draft.status.as_str(), draft.created_by), ("draft", None));
    assert_files(store.as_ref(), unit.id, draft.id, 1).await;
    let data = store.report_data(unit.id, draft.id).await.unwrap().unwrap();
    let StoredReport::Monthly(report) = serde_json::from_str(&data).unwrap() else {
        panic!("a monthly report")
    };
    assert_eq!(report.month, NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
    assert_eq!(
        report.as_of,
        NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        "judged as of the day the job ran for, in the unit's zone"
    );
    assert!(report.stats.total > 0, "the demo has October complaints");
    assert_eq!(report.register.len() as u64, report.stats.total);

    // Again, later that day and from a third instance: nothing more.
    for (holder, now) in [("instance-a", now), ("instance-c", at(2026, 11, 3, 6))] {
        let made = run_once(store.as_ref(), holder, now).await.unwrap();
        assert!(made.is_empty(), "{holder}: the draft exists, nothing made");
    }
    let made = run_once(other.as_ref(), "instance-b", at(2026, 11, 3, 8))
        .await
        .unwrap();
    assert!(made.is_empty());
    for u in &units {
        assert_eq!(monthly_versions(store.as_ref(), u.id, "2026-10").await, vec![1]);
    }

    // The draft is on the unit's reports page.
    let app = spawn_app(db).await;
    let petugas = app.login("petugas-job", PASSWORD).await;
    let (status, _, page) = petugas.get(&format!("/staf/{UNIT}/laporan")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!("/staf/{UNIT}/laporan/{}\"", draft.id)) && page.contains("2026-10"),
        "the job's draft is listed"
    );
    // Each download carries its own format (the store reads only that column).
    for (format, magic) in [("pdf", &b"%PDF"[..]), ("xlsx", &b"PK"[..]), ("html", &b"<"[..])] {
        let (status, content_type, bytes) = petugas
            .get_bytes(&format!("/staf/{UNIT}/laporan/{}/berkas/{format}", draft.id))
            .await;
        assert_eq!(status, 200, "{format}");
        assert!(bytes.starts_with(magic), "{format}: {content_type}");
    }
    let (status, _, _) = petugas
        .get_bytes(&format!("/staf/{UNIT}/laporan/{}/berkas/docx", draft.id))
        .await;
    assert_eq!(status, 404);
}

tanggap_tests::on_both_databases!(first_working_day_job_drafts_once, first_working_day_job_drafts_once_on);
