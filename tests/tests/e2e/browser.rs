//! What a person sees, in a real headless Chromium at phone size.

use fantoccini::Locator;
use tanggap_tests::{Browser, TestDb, small_demo, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_on_a_phone_finds_the_services_of_a_unit() {
    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let app = spawn_app(db).await;
    let Some(browser) = Browser::start(390, 844).await else {
        return;
    };
    let c = &browser.client;

    c.goto(&format!("{}/", app.address)).await.unwrap();
    let h1 = c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(h1, "Unit Pelayanan Publik");
    let cards = c.find_all(Locator::Css("li.card h2")).await.unwrap();
    assert_eq!(cards.len(), 4, "four seed agencies");
    let mut names = Vec::new();
    for card in cards {
        names.push(card.text().await.unwrap());
    }
    assert!(names.iter().any(|n| n.contains("Lubuklinggau")), "{names:?}");

    // The layout fits a phone: nothing wider than the viewport.
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::Value::Bool(false),
        "the page scrolls sideways on a phone"
    );

    // Keyboard users can skip to the content.
    let skip = c.find(Locator::Css("a.skip")).await.unwrap();
    assert_eq!(skip.attr("href").await.unwrap().as_deref(), Some("#main"));

    c.find(Locator::LinkText("Dinas Sosial Kota Lubuklinggau"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let title = c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap();
    assert_eq!(title, "Dinas Sosial Kota Lubuklinggau");
    let services = c.find_all(Locator::Css("li.service h3")).await.unwrap();
    assert_eq!(services.len(), 11);
    let summary = c.find(Locator::Css("li.service details summary")).await.unwrap();
    assert!(summary.text().await.unwrap().starts_with("Persyaratan"));
    summary.click().await.unwrap();
    let first_requirement = c.find(Locator::Css("li.service details[open] li")).await.unwrap();
    assert!(
        first_requirement.is_displayed().await.unwrap(),
        "requirements open without JavaScript"
    );

    c.find(Locator::Css("a[hreflang=en]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = c.find(Locator::Css("#services-h")).await.unwrap().text().await.unwrap();
    assert_eq!(heading, "Services");
    assert!(
        c.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/u/dinsos-lubuklinggau"),
        "stays on the page"
    );
    browser.close().await;
}

/// Issue 4: a citizen on a phone files a complaint on the public form, gets the
/// receipt, and a petugas finds it in the unit's inbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_filed_on_a_phone_reaches_the_staff_inbox() {
    use tanggap::domain::Role;
    use tanggap::storage::model::NewUser;
    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code("dinsos-lubuklinggau").await.unwrap().unwrap();
    db.store
        .create_user(&NewUser {
            username: "petugas-llg".into(),
            full_name: "Petugas Lubuklinggau".into(),
            password_hash: tanggap::passwords::hash("kata-sandi-uji-123").unwrap(),
            roles: vec![(unit.id, Role::Petugas)],
        })
        .await
        .unwrap();
    let app = spawn_app(db).await;
    let Some(browser) = Browser::start(390, 844).await else {
        return;
    };
    let c = &browser.client;
    c.goto(&format!("{}/u/dinsos-lubuklinggau", app.address)).await.unwrap();
    c.find(Locator::Id("file-complaint"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap(),
        "Sampaikan pengaduan"
    );
    // First a mistake: too short a subject. The form comes back with the message and
    // with what was typed.
    c.find(Locator::Id("subject"))
        .await
        .unwrap()
        .send_keys("PKH")
        .await
        .unwrap();
    c.find(Locator::Id("description"))
        .await
        .unwrap()
        .send_keys("Bantuan PKH bulan Oktober belum diterima, padahal nama saya ada di daftar.")
        .await
        .unwrap();
    c.find(Locator::Id("submit")).await.unwrap().click().await.unwrap();
    let alert = browser.text_when("#errors", "Perihal").await;
    assert!(alert.contains("Perihal terlalu pendek"), "{alert}");
    let kept = c
        .find(Locator::Id("description"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert!(kept.unwrap_or_default().contains("PKH bulan Oktober"));
    let subject = c.find(Locator::Id("subject")).await.unwrap();
    subject.clear().await.unwrap();
    subject.send_keys("Bantuan PKH belum diterima").await.unwrap();
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Ibu Marlina")
        .await
        .unwrap();
    c.find(Locator::Id("phone"))
        .await
        .unwrap()
        .send_keys("0812 7000 1234")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=notify][value=whatsapp]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, serde_json::Value::Bool(false), "the form fits a phone");
    c.find(Locator::Id("submit")).await.unwrap().click().await.unwrap();

    let nomor = browser.text_when("#nomor-agenda", "ADU/").await;
    assert!(nomor.starts_with("ADU/"), "{nomor}");
    let code = c
        .find(Locator::Id("tracking-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(code.len(), 16);
    let print = c.find(Locator::Css("button[data-print]")).await.unwrap();
    assert!(
        print.is_displayed().await.unwrap(),
        "the print button shows where script runs"
    );
    let page = c.source().await.unwrap();
    assert!(
        !page.contains("Ibu Marlina") && !page.contains("0812"),
        "no personal data on the receipt"
    );

    // The petugas logs in and finds it in the inbox.
    browser.login(&app.address, "petugas-llg", "kata-sandi-uji-123").await;
    c.goto(&format!("{}/staf/dinsos-lubuklinggau/pengaduan?q=PKH", app.address))
        .await
        .unwrap();
    c.find(Locator::LinkText(&nomor)).await.unwrap().click().await.unwrap();
    let heading = browser.text_when("h1", &nomor).await;
    assert_eq!(heading, format!("{nomor}: Bantuan PKH belum diterima"));
    let detail = c.source().await.unwrap();
    assert!(detail.contains("Ibu Marlina"), "the petugas sees the identity");
    assert!(detail.contains("Pengaduan daring"), "channel shown");
    browser.close().await;
}
