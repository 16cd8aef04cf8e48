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

/// Issue 6, done when: a sedang complaint walks through intake (the citizen's form),
/// verification, classification, disposition, both sign-offs, an answer by email
/// (queued in the outbox as a reply to the complainant) and the auto-close, in a real
/// browser, with each officer logged in as themselves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sedang_complaint_walks_from_intake_to_auto_close() {
    use tanggap::domain::{Channel, Role};
    use tanggap::storage::model::{NewUnit, NewUser};
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let unit = store
        .create_unit(&NewUnit {
            code: "dinsos-uji".into(),
            name: "Dinas Sosial Kota Uji".into(),
            short_name: "Dinsos Uji".into(),
            address: "Jl. Merdeka 1".into(),
            city: "Dumai".into(),
            phone: String::new(),
            email: "pengaduan@dinsos-uji.go.id".into(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec!["PEMERINTAH KOTA UJI".into(), "DINAS SOSIAL".into()],
            head_title: "Kepala Dinas Sosial".into(),
            head_name: "Drs. Ahmad".into(),
            head_nip: String::new(),
            complaint_channels: vec![Channel::Website],
        })
        .await
        .unwrap();
    let division = store.create_division(unit, "Bidang Perlindungan Sosial").await.unwrap();
    let hash = tanggap::passwords::hash("kata-sandi-uji-123").unwrap();
    let mut petugas_id = 0;
    for (name, role) in [
        ("petugas", Role::Petugas),
        ("kabid", Role::KepalaBidang),
        ("kadis", Role::KepalaDinas),
    ] {
        let id = store
            .create_user(&NewUser {
                username: name.into(),
                full_name: format!("Ibu {name}"),
                password_hash: hash.clone(),
                roles: vec![(unit, role)],
            })
            .await
            .unwrap();
        if role == Role::Petugas {
            petugas_id = id;
        }
    }
    let app = spawn_app(db).await;
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let c = &browser.client;
    let by_id = |id: &'static str| Locator::Id(id);

    // Intake: the citizen files on the public form and leaves an email address.
    c.goto(&format!("{}/u/dinsos-uji/pengaduan", app.address))
        .await
        .unwrap();
    c.find(by_id("subject"))
        .await
        .unwrap()
        .send_keys("Bantuan sosial belum cair")
        .await
        .unwrap();
    c.find(by_id("description"))
        .await
        .unwrap()
        .send_keys("Sudah tiga bulan bantuan belum masuk ke rekening saya.")
        .await
        .unwrap();
    c.find(by_id("name"))
        .await
        .unwrap()
        .send_keys("Siti Aminah")
        .await
        .unwrap();
    c.find(by_id("email"))
        .await
        .unwrap()
        .send_keys("siti.aminah@contoh.id")
        .await
        .unwrap();
    c.find(Locator::Css("input[name=notify][value=email]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(by_id("submit")).await.unwrap().click().await.unwrap();
    let nomor = browser.text_when("#nomor-agenda", "ADU/").await;
    let code = c.find(by_id("tracking-code")).await.unwrap().text().await.unwrap();

    // Verification, classification (sedang), disposition, follow-up: the petugas.
    browser.login(&app.address, "petugas", "kata-sandi-uji-123").await;
    c.goto(&format!("{}/staf/dinsos-uji/pengaduan?q=bantuan", app.address))
        .await
        .unwrap();
    c.find(Locator::LinkText(&nomor)).await.unwrap().click().await.unwrap();
    browser.text_when("h1", &nomor).await;
    let url = c.current_url().await.unwrap();
    let id: i64 = url.path().rsplit('/').next().unwrap().parse().unwrap();
    let move_to = |to: &'static str, expect: &'static str| {
        let browser = &browser;
        async move {
            let c = &browser.client;
            c.find(Locator::Id("to"))
                .await
                .unwrap()
                .select_by_value(to)
                .await
                .unwrap();
            c.find(Locator::Css("#move-form button[type=submit]"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            browser.text_when("#kartu-kendali", expect).await;
        }
    };
    move_to("terverifikasi", "Terverifikasi").await;
    c.find(by_id("bobot"))
        .await
        .unwrap()
        .select_by_value("sedang")
        .await
        .unwrap();
    c.find(by_id("bidang"))
        .await
        .unwrap()
        .select_by_value(&division.to_string())
        .await
        .unwrap();
    c.find(by_id("petugas"))
        .await
        .unwrap()
        .select_by_value(&petugas_id.to_string())
        .await
        .unwrap();
    c.find(Locator::Css("#classify-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("#kartu-kendali", "Klasifikasi dan disposisi").await;
    let due = c.find(by_id("due")).await.unwrap().text().await.unwrap();
    assert!(
        due.contains('-') && due.len() > 5,
        "a 14-working-day deadline is shown: {due}"
    );
    move_to("didisposisikan", "Didisposisikan").await;
    move_to("ditindaklanjuti", "Ditindaklanjuti").await;

    // The answer is refused until both heads have signed off.
    let answer = "Bantuan Anda telah dicairkan pada 1 Desember; silakan cek rekening Anda.";
    c.find(by_id("isi")).await.unwrap().send_keys(answer).await.unwrap();
    c.find(Locator::Css("#answer-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .text_when("#triage-error", "disetujui kepala bidang dan kepala dinas")
        .await;

    // Sign-offs: the kepala bidang, then the kepala dinas, each as themselves.
    for (user, button, entry) in [
        ("kabid", "sign-kepala_bidang", "Persetujuan kepala bidang"),
        ("kadis", "sign-kepala_dinas", "Persetujuan kepala dinas"),
    ] {
        c.delete_all_cookies().await.unwrap();
        browser.login(&app.address, user, "kata-sandi-uji-123").await;
        c.goto(&format!("{}/staf/dinsos-uji/pengaduan/{id}", app.address))
            .await
            .unwrap();
        c.find(Locator::Id(button)).await.unwrap().click().await.unwrap();
        browser.text_when("#kartu-kendali", entry).await;
    }

    // The petugas sends the answer: by email, since the complaint came from the web
    // form with an email address.
    c.delete_all_cookies().await.unwrap();
    browser.login(&app.address, "petugas", "kata-sandi-uji-123").await;
    c.goto(&format!("{}/staf/dinsos-uji/pengaduan/{id}", app.address))
        .await
        .unwrap();
    let how = c.source().await.unwrap();
    assert!(how.contains("dikirim lewat surel"), "the page says how the answer goes");
    c.find(by_id("isi")).await.unwrap().send_keys(answer).await.unwrap();
    c.find(Locator::Css("#answer-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("#kartu-kendali", "Jawaban").await;
    let outbox = app.store.outbox_for_complaint(id).await.unwrap();
    let sent: Vec<_> = outbox.iter().filter(|m| m.dedupe_key.starts_with("jawaban:")).collect();
    assert_eq!(sent.len(), 1, "{outbox:?}");
    assert_eq!(sent[0].channel, "email");
    assert_eq!(sent[0].recipient, "siti.aminah@contoh.id");
    assert!(sent[0].body.contains(answer) && sent[0].body.contains(&code));

    // The citizen reads the answer on the tracking page.
    c.goto(&format!("{}/lacak?kode={code}", app.address)).await.unwrap();
    assert_eq!(browser.text_when("#answer", "dicairkan").await, answer);
    assert_eq!(c.find(by_id("status")).await.unwrap().text().await.unwrap(), "Dijawab");

    // No reply for more than 10 working days: the auto-close job closes it.
    let jobs = tanggap::triage::jobs::TriageJobs::new(app.store.clone(), "uji".into());
    let pass = jobs
        .run_pass(chrono::Utc::now() + chrono::Duration::days(30))
        .await
        .unwrap();
    assert_eq!(pass.closed, 1);
    c.goto(&format!("{}/lacak?kode={code}", app.address)).await.unwrap();
    assert_eq!(browser.text_when("#status", "Selesai").await, "Selesai");
    browser.close().await;
}
