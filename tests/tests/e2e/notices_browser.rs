//! Issue 19, "Done when": a complaint followed in a real browser from a WhatsApp
//! message through verification, answer and closure, checking each notice the
//! citizen received (at the stand-in gateway, in order) and the survey invite at
//! the end; the invite is then answered in the browser and counts as a
//! complainant's on the dashboard.
//!
//! The message comes through the generic signed gateway webhook (the provider
//! formats of part A reach the same `intake::gateway::receive`).

use chrono::{Duration, Utc};
use fantoccini::Locator;
use tanggap_tests::{Browser, TestDb};

use crate::notices::{StandIn, connect_gateway, whatsapp};
use crate::survey::{answer_all, fixture};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whatsapp_complaint_is_followed_to_its_survey_in_the_browser() {
    let f = fixture(TestDb::sqlite().await).await;
    let store = f.app.store.clone();
    let gw = StandIn::start().await;
    connect_gateway(store.as_ref(), f.unit_id, &gw).await;
    let division = store
        .create_division(f.unit_id, "Bidang Rehabilitasi Sosial")
        .await
        .unwrap();
    let sender = tanggap::notify::OutboxSender::new(store.clone(), tanggap::notify::SenderOptions::default());

    let (status, v) = whatsapp(
        &f.app,
        "wamid.HBgM-1",
        "+62 813 7000 1234",
        "Kartu disabilitas belum jadi\nSudah lewat 3 hari kerja.",
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let nomor = v["nomor_agenda"].as_str().unwrap().to_owned();
    sender.run_pass(Utc::now()).await.unwrap();

    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let c = &browser.client;
    browser
        .login(&f.app.address, "petugas_uji", crate::survey::PASSWORD)
        .await;
    c.goto(&format!("{}/staf/dinsos-uji/pengaduan", f.app.address))
        .await
        .unwrap();
    c.find(Locator::LinkText(&nomor)).await.unwrap().click().await.unwrap();
    browser.text_when("h1", &nomor).await;
    let id: i64 = c
        .current_url()
        .await
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = format!("{}/staf/dinsos-uji/pengaduan/{id}", f.app.address);
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
    c.find(Locator::Id("layanan"))
        .await
        .unwrap()
        .select_by_value(&f.ktp.to_string())
        .await
        .unwrap();
    c.find(Locator::Id("bidang"))
        .await
        .unwrap()
        .select_by_value(&division.to_string())
        .await
        .unwrap();
    c.find(Locator::Id("bobot"))
        .await
        .unwrap()
        .select_by_value("ringan")
        .await
        .unwrap();
    c.find(Locator::Css("#classify-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("#kartu-kendali", "Klasifikasi dan disposisi").await;
    move_to("didisposisikan", "Didisposisikan").await;
    let answer = "Kartu Anda sudah jadi dan dapat diambil di loket 2.";
    c.find(Locator::Id("isi"))
        .await
        .unwrap()
        .send_keys(answer)
        .await
        .unwrap();
    c.find(Locator::Css("#answer-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("#kartu-kendali", "Jawaban").await;
    move_to("selesai", "Selesai").await;

    // Each notice reached the citizen's number, in order; the invite waits an hour.
    let now = Utc::now();
    sender.run_pass(now).await.unwrap();
    let got = gw.received();
    let texts: Vec<&str> = got.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts.len(), 5, "{texts:#?}");
    assert!(got.iter().all(|(to, _)| to == "081370001234"));
    assert!(texts[0].contains("pengaduan Anda diterima") && texts[0].contains(&nomor));
    for (text, status) in texts[1..].iter().zip(["Terverifikasi", "Didisposisikan"]) {
        assert!(
            text.contains(&nomor) && text.contains(&format!("berstatus {status}")),
            "{text}"
        );
        assert!(text.contains("/lacak?kode=") && text.contains("BERHENTI"), "{text}");
        assert!(
            !text.contains("Kartu disabilitas belum jadi"),
            "no complaint text: {text}"
        );
    }
    assert!(texts[3].contains(answer));
    assert!(texts[4].contains("berstatus Selesai"));
    sender.run_pass(now + Duration::minutes(61)).await.unwrap();
    let got = gw.received();
    assert_eq!(got.len(), 6);
    let invite = &got[5].1;
    assert!(
        invite.contains("Mohon nilai layanan kami") && invite.contains(&nomor),
        "{invite}"
    );

    // Staff see every message and its state on the complaint's page.
    c.goto(&page).await.unwrap();
    let states = c
        .find(Locator::Id("pemberitahuan"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        states.matches("Terkirim").count(),
        6 + 1,
        "six rows and the column head: {states}"
    );
    assert!(states.contains("Undangan survei"));

    // The citizen opens the invite and answers.
    let path = invite
        .split("/undangan/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    c.delete_all_cookies().await.unwrap();
    c.goto(&format!("{}/undangan/{path}", f.app.address)).await.unwrap();
    browser.text_when("body", "Surat Keterangan Tidak Mampu").await;
    answer_all(c, 4).await;
    c.find(Locator::Css("button.submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(browser.text_when("h1", "Terima kasih").await, "Terima kasih");

    // The dashboard counts it as a complainant's.
    browser
        .login(&f.app.address, "petugas_uji", crate::survey::PASSWORD)
        .await;
    c.goto(&format!("{}/staf/dinsos-uji/dasbor", f.app.address))
        .await
        .unwrap();
    let split = browser.text_when("#ikm-pengadu", "Pengadu").await;
    assert!(split.contains("Pengadu") && split.contains("100,00"), "{split}");
    browser.close().await;
}
