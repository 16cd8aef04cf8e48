//! The approval workflow of a monthly report walked in a real browser (issue 9,
//! seed 002 items j and k): the petugas makes and submits a draft, the sekretaris
//! returns it with a note, the petugas makes a corrected version and submits it,
//! the sekretaris approves it, and the kepala dinas finds it delivered, with an
//! email queued. Every version is kept and the approved one is frozen.

use fantoccini::Locator;
use tanggap::domain::Role;
use tanggap::storage::model::NewUser;
use tanggap::storage::reports::{ReportAction, ReportFiles};
use tanggap_tests::{Browser, TestDb, small_demo, spawn_app};

const UNIT: &str = "dinsospm-dumai";
const PASSWORD: &str = "kata-sandi-uji-123";

async fn click(browser: &Browser, id: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id} missing"))
        .click()
        .await
        .unwrap();
}

async fn type_into(browser: &Browser, id: &str, text: &str) {
    let field = browser.client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn login_as(browser: &Browser, address: &str, username: &str) {
    browser.client.delete_all_cookies().await.unwrap();
    browser.login(address, username, PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_report_is_drafted_returned_corrected_and_approved() {
    let db = TestDb::sqlite().await;
    let db_url = db.url.clone();
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code(UNIT).await.unwrap().unwrap();
    let mut ids = Vec::new();
    for (username, name, role) in [
        ("petugas-rina", "Rina Petugas", Role::Petugas),
        ("sekretaris-budi", "Budi Sekretaris", Role::Sekretaris),
        ("kadis-sari", "Sari Kepala Dinas", Role::KepalaDinas),
    ] {
        ids.push(
            db.store
                .create_user(&NewUser {
                    username: username.into(),
                    full_name: name.into(),
                    password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
                    roles: vec![(unit.id, role)],
                })
                .await
                .unwrap(),
        );
    }
    assert!(db.store.set_user_email(ids[2], "kadis@dumaikota.go.id").await.unwrap());
    let app = spawn_app(db).await;
    let Some(browser) = Browser::start(1024, 900).await else {
        return;
    };
    let a = app.address.clone();

    // 1. The petugas makes the draft of October and submits it.
    login_as(&browser, &a, "petugas-rina").await;
    browser.client.goto(&format!("{a}/staf/{UNIT}/laporan")).await.unwrap();
    type_into(&browser, "month", "2026-10").await;
    type_into(&browser, "note-m", "Draf pertama.").await;
    click(&browser, "make-monthly").await;
    browser.text_when("#status", "Draf").await;
    let first_url = browser.client.current_url().await.unwrap().to_string();
    assert_eq!(browser.text_when("#version", "1").await, "1");
    click(&browser, "submit-report").await;
    browser.text_when("#status", "Diajukan").await;

    // 2. The sekretaris returns it with a note.
    login_as(&browser, &a, "sekretaris-budi").await;
    browser.client.goto(&first_url).await.unwrap();
    browser.text_when("#status", "Diajukan").await;
    // Returning without a reason is refused and changes nothing.
    browser
        .client
        .execute(
            "document.getElementById('return-note').removeAttribute('required')",
            vec![],
        )
        .await
        .unwrap();
    click(&browser, "return-report").await;
    browser.text_when("p.alert", "alasan").await;
    type_into(&browser, "return-note", "Lengkapi catatan tentang lonjakan SMS.").await;
    click(&browser, "return-report").await;
    browser.text_when("#status", "Dikembalikan").await;
    browser.text_when("#review-note", "lonjakan SMS").await;

    // 3. The petugas corrects it as version 2 and submits it.
    login_as(&browser, &a, "petugas-rina").await;
    browser.client.goto(&first_url).await.unwrap();
    type_into(
        &browser,
        "fix-note",
        "Lonjakan SMS pada minggu kedua karena gangguan loket.",
    )
    .await;
    click(&browser, "new-version").await;
    browser.text_when("#version", "2").await;
    browser.text_when("#status", "Draf").await;
    let second_url = browser.client.current_url().await.unwrap().to_string();
    assert_ne!(first_url, second_url);
    click(&browser, "submit-report").await;
    browser.text_when("#status", "Diajukan").await;

    // 4. The sekretaris approves version 2.
    login_as(&browser, &a, "sekretaris-budi").await;
    browser.client.goto(&second_url).await.unwrap();
    click(&browser, "approve-report").await;
    browser.text_when("#status", "Disetujui").await;
    browser.text_when("#reviewed", "Budi Sekretaris").await;

    // 5. The kepala dinas finds it delivered.
    login_as(&browser, &a, "kadis-sari").await;
    browser.client.goto(&format!("{a}/staf/{UNIT}/laporan")).await.unwrap();
    browser.text_when("#delivered", "2026-10").await;
    browser.close().await;

    // Every version is kept; the approved one names its approver and is frozen.
    let versions = app
        .store
        .list_report_versions(unit.id, Some("pengaduan_bulanan"))
        .await
        .unwrap();
    let statuses: Vec<(i64, &str)> = versions.iter().map(|v| (v.version, v.status.as_str())).collect();
    assert_eq!(statuses, vec![(2, "approved"), (1, "returned")]);
    let approved = &versions[0];
    assert_eq!(approved.reviewed_by, Some(ids[1]));
    assert!(approved.reviewed_at.is_some());
    let html = String::from_utf8(
        app.store
            .report_file(unit.id, approved.id, "html")
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert!(html.contains("Disetujui") && html.contains("Budi Sekretaris") && html.contains("gangguan loket"));
    let pdf = app
        .store
        .report_file(unit.id, approved.id, "pdf")
        .await
        .unwrap()
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let again = app
        .store
        .transition_report(
            unit.id,
            approved.id,
            ReportAction::Return,
            ids[1],
            Some("x"),
            chrono::Utc::now(),
            &ReportFiles::default(),
        )
        .await
        .unwrap();
    assert!(!again, "an approved version cannot be returned");
    let pool = sqlx::SqlitePool::connect(&db_url).await.unwrap();
    let tampered = sqlx::query("UPDATE report_versions SET preparer_note = 'ubah' WHERE id = $1")
        .bind(approved.id)
        .execute(&pool)
        .await;
    assert!(tampered.is_err(), "the database refuses to change an approved version");
    let mails: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE recipient = 'kadis@dumaikota.go.id'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mails, 1, "the kepala dinas is notified once");
}
