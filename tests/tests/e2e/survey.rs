//! SKM survey intake (issue 7): the public page, the kiosk, the paper grid and the
//! import, over real HTTP on both databases and in a real browser.

use chrono::NaiveDate;
use fantoccini::Locator;
use serde_json::Value;
use tanggap::domain::{Channel, Role};
use tanggap::storage::model::*;
use tanggap_tests::{Actor, Browser, TestApp, TestDb, on_both_databases, spawn_app_with};

pub const PASSWORD: &str = "kata-sandi-survei-123";
const STATS_TOKEN: &str = "tgp_survey_stats_token_0123456789abcdefghijklmn";
pub const ELEMENTS: [&str; 9] = [
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "sarana",
    "pengaduan",
];

/// A unit with two services, a petugas, a kepala bidang and a stats token.
pub struct Fixture {
    pub app: TestApp,
    pub unit_id: i64,
    pub ktp: i64,
}

pub async fn fixture_with(db: TestDb, rate_per_minute: u32) -> Fixture {
    fixture_config(db, |c| c.public_rate_per_minute = rate_per_minute).await
}

/// The fixture on an app whose configuration `adjust` changed.
pub async fn fixture_config(db: TestDb, adjust: impl FnOnce(&mut tanggap::config::Config)) -> Fixture {
    let store = db.store.clone();
    let unit_id = store
        .create_unit(&NewUnit {
            code: "dinsos-uji".into(),
            name: "Dinas Sosial Kota Uji".into(),
            short_name: "Dinsos Uji".into(),
            address: String::new(),
            city: "Dumai".into(),
            phone: String::new(),
            email: String::new(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec![],
            head_title: String::new(),
            head_name: String::new(),
            head_nip: String::new(),
            complaint_channels: vec![Channel::Website, Channel::Skm],
        })
        .await
        .unwrap();
    let service = |code: &str, name: &str| NewService {
        code: code.into(),
        name: name.into(),
        division_id: None,
        requirements: vec![],
        completion_days: 1,
        completion_text: "1 hari".into(),
        working_days: true,
        fee_rupiah: 0,
        fee_text: String::new(),
        product: "Surat".into(),
        complaint_channels: vec![],
    };
    let ktp = store
        .create_service(unit_id, &service("sktm", "Surat Keterangan Tidak Mampu"))
        .await
        .unwrap();
    store
        .create_service(unit_id, &service("pkh", "Rekomendasi PKH"))
        .await
        .unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    for (name, role) in [("petugas_uji", Role::Petugas), ("kabid_uji", Role::KepalaBidang)] {
        store
            .create_user(&NewUser {
                username: name.into(),
                full_name: name.into(),
                password_hash: hash.clone(),
                roles: vec![(unit_id, role)],
            })
            .await
            .unwrap();
    }
    store
        .create_api_token(
            unit_id,
            "stats",
            &tanggap::auth::hash_secret(STATS_TOKEN),
            &["stats:read".into()],
            None,
        )
        .await
        .unwrap();
    let app = spawn_app_with(db, |c| {
        c.public_rate_per_minute = 6_000;
        adjust(c)
    })
    .await;
    Fixture { app, unit_id, ktp }
}

pub async fn fixture(db: TestDb) -> Fixture {
    fixture_with(db, 6_000).await
}

/// Every response of the unit, as the export reads them.
pub async fn stored(f: &Fixture) -> Vec<ExportedResponse> {
    let rule_set = f
        .app
        .store
        .survey_rule_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_default)
        .unwrap();
    f.app
        .store
        .survey_export(
            f.unit_id,
            rule_set.id,
            NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
        )
        .await
        .unwrap()
}

/// The unit's IKM as `/api/v1/ikm` computes it.
pub async fn ikm(f: &Fixture, from: &str, to: &str) -> Value {
    let r = f
        .app
        .client
        .get(format!(
            "{}/api/v1/ikm?unit=dinsos-uji&group_by=service&from={from}&to={to}",
            f.app.address
        ))
        .bearer_auth(STATS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// A visitor who has opened a survey page (so holds its CSRF cookie and token).
pub async fn respondent(app: &TestApp, path: &str) -> (Actor, String) {
    let anon = app.anonymous().await;
    let (status, _, body) = anon.get(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(tanggap_tests::csrf_in(&body).as_deref(), Some(anon.csrf.as_str()));
    (anon, body)
}

pub fn all_answers(score: &str) -> Vec<(String, String)> {
    ELEMENTS.iter().map(|k| (format!("q_{k}"), score.to_owned())).collect()
}

pub fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

on_both_databases!(
    a_public_response_is_stored_and_counted_by_the_analytics,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let (visitor, page) = respondent(&f.app, "/survei/dinsos-uji").await;
        // The nine questions, worded from the rule set, with their four answers.
        assert!(page.contains("Kesesuaian persyaratan pelayanan dengan jenis pelayanannya"));
        assert!(page.contains("Ada tetapi tidak berfungsi") && page.contains("Dikelola dengan baik"));
        assert_eq!(page.matches("<fieldset class=\"q\"").count(), 9);
        assert_eq!(page.matches("type=\"radio\" name=\"q_").count(), 36);
        assert!(page.contains("<legend>") || page.contains("<legend"));

        let mut fields = all_answers("4");
        fields[8].1 = "2".into();
        fields.extend(
            [
                ("layanan", "sktm"),
                ("jenis_kelamin", "P"),
                ("umur", "41"),
                ("pendidikan", "SMA/SMK"),
                ("pekerjaan", "Wirausaha"),
                ("saran", "Mohon ruang tunggu diberi kipas angin."),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let (status, location, body) = visitor.post("/survei/dinsos-uji", &refs(&fields)).await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/survei/dinsos-uji/terima-kasih"));
        let rows = stored(&f).await;
        assert_eq!(rows.len(), 1, "stored before the thank-you");
        let r = &rows[0];
        assert_eq!(r.service, "Surat Keterangan Tidak Mampu");
        assert_eq!(r.source, "web");
        assert_eq!(r.scores["persyaratan"], 4);
        assert_eq!(r.scores["pengaduan"], 2, "stored by element key");
        assert_eq!(r.profile.pendidikan.as_deref(), Some("SMA/SMK"));
        assert_eq!(r.profile.umur, Some(41));
        assert_eq!(r.saran.as_deref(), Some("Mohon ruang tunggu diberi kipas angin."));
        let (status, _, thanks) = visitor.get("/survei/dinsos-uji/terima-kasih").await;
        assert_eq!(status, 200);
        assert!(thanks.contains("Terima kasih"));

        // The analytics read it.
        let day = r.responded_on.to_string();
        let report = ikm(&f, &day, &day).await;
        assert_eq!(report["respondents"], 1);
        let group = &report["groups"][0];
        assert_eq!(group["key"][0]["value"], "Surat Keterangan Tidak Mampu");
        let pengaduan = group["elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == "pengaduan")
            .unwrap();
        assert_eq!(pengaduan["score"]["nrr"].as_f64(), Some(2.0));

        // The per-service link (QR codes point there) fixes the service and says `qr`.
        let (qr, page) = respondent(&f.app, "/survei/dinsos-uji/pkh?sumber=qr").await;
        assert!(page.contains("Rekomendasi PKH") && page.contains("name=\"layanan_tetap\""));
        let mut fields = all_answers("3");
        fields.push(("layanan".into(), "pkh".into()));
        fields.push(("sumber".into(), "qr".into()));
        assert_eq!(qr.post("/survei/dinsos-uji", &refs(&fields)).await.0, 303);
        let rows = stored(&f).await;
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[1].service.as_str(), rows[1].source.as_str()),
            ("Rekomendasi PKH", "qr")
        );

        // English is one tap away; the questions come from the locale files.
        let (_, _, english) = visitor.get("/survei/dinsos-uji?lang=en").await;
        assert!(english.contains("Public Satisfaction Survey") && english.contains("Well managed"));
        assert_eq!(f.app.anonymous().await.get("/survei/tidak-ada").await.0, 404);
        assert_eq!(f.app.anonymous().await.get("/survei/dinsos-uji/tidak-ada").await.0, 404);
    }
);

on_both_databases!(
    bad_answers_are_named_in_indonesian_and_change_nothing,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let (visitor, _) = respondent(&f.app, "/survei/dinsos-uji").await;
        let mut fields = all_answers("3");
        fields.remove(4); // U5 left out
        fields[0].1 = "9".into(); // not an answer
        fields.extend(
            [("umur", "7"), ("saran", "Petugas ramah sekali"), ("jenis_kelamin", "L")]
                .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let (status, _, page) = visitor.post("/survei/dinsos-uji", &refs(&fields)).await;
        assert_eq!(status, 422);
        assert!(page.contains("Pilih layanan yang Anda terima."));
        assert!(page.contains("Pilih salah satu jawaban untuk pertanyaan ini."));
        assert!(page.contains("Jawaban tidak dikenal."));
        assert!(page.contains("Umur harus berupa angka antara 10 dan 120 tahun."));
        assert!(page.contains("href=\"#q_produk\""), "the summary links to the question");
        // What was typed is kept.
        assert!(page.contains("Petugas ramah sekali"));
        assert!(page.contains("value=\"7\""));
        assert!(page.contains("name=\"q_waktu\" value=\"3\" checked"));
        assert!(page.contains("name=\"jenis_kelamin\" value=\"L\" checked"));
        assert!(stored(&f).await.is_empty(), "nothing stored");
        // Without its CSRF token a post is refused.
        let (status, _, _) = visitor.post_raw("/survei/dinsos-uji", &refs(&all_answers("4"))).await;
        assert_eq!(status, 403);
        assert!(stored(&f).await.is_empty());
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survey_posts_are_rate_limited_per_address() {
    let f = fixture_with(TestDb::sqlite().await, 6).await;
    let (visitor, _) = respondent(&f.app, "/survei/dinsos-uji").await;
    let mut fields = all_answers("4");
    fields.push(("layanan".into(), "sktm".into()));
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(visitor.post("/survei/dinsos-uji", &refs(&fields)).await.0);
    }
    assert!(statuses.contains(&303), "{statuses:?}");
    assert!(statuses.contains(&429), "the burst is limited: {statuses:?}");
    let accepted = statuses.iter().filter(|s| **s == 303).count();
    assert_eq!(stored(&f).await.len(), accepted, "a refused post stores nothing");
}

on_both_databases!(only_the_registered_kiosk_posts_as_itself, |db: TestDb| async move {
    let f = fixture(db).await;
    let petugas = f.app.login("petugas_uji", PASSWORD).await;
    let (status, _, page) = petugas.get("/staf/dinsos-uji/kios").await;
    assert_eq!(status, 200, "{page}");
    let (status, location, _) = petugas
        .post("/staf/dinsos-uji/kios", &[("name", "Loket 1"), ("layanan", "sktm")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/kiosk"));
    // The petugas' browser is now the kiosk; its form fixes the service.
    let (status, _, form) = petugas.get("/kiosk").await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("Surat Keterangan Tidak Mampu") && form.contains("data-idle-seconds"));
    let csrf = tanggap_tests::csrf_in(&form).unwrap();
    let mut fields = all_answers("2");
    fields.insert(0, ("csrf".into(), csrf));
    let (status, location, _) = petugas.post_raw("/kiosk", &refs(&fields)).await;
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/kiosk/terima-kasih"));
    let (_, _, thanks) = petugas.get("/kiosk/terima-kasih").await;
    assert!(thanks.contains("http-equiv=\"refresh\""), "the kiosk resets itself");
    let rows = stored(&f).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source, "kiosk");
    let kiosk = f.app.store.list_kiosks(f.unit_id).await.unwrap().remove(0);
    assert_eq!(rows[0].kiosk_id, Some(kiosk.id));
    assert_eq!(kiosk.service_id, Some(f.ktp));

    // Another browser cannot post as the kiosk, with or without a CSRF token.
    let other = f.app.anonymous().await;
    assert_eq!(other.get("/kiosk").await.0, 403);
    assert_eq!(other.post("/kiosk", &refs(&all_answers("1"))).await.0, 403);
    // A kepala bidang may look at kiosks but not register one.
    let kabid = f.app.login("kabid_uji", PASSWORD).await;
    assert_eq!(kabid.post("/staf/dinsos-uji/kios", &[("name", "X")]).await.0, 403);
    // A revoked kiosk stops at once.
    let (status, _, _) = f
        .app
        .login("petugas_uji", PASSWORD)
        .await
        .post(&format!("/staf/dinsos-uji/kios/{}/cabut", kiosk.id), &[])
        .await;
    assert_eq!(status, 303);
    assert_eq!(petugas.get("/kiosk").await.0, 403);
    assert_eq!(stored(&f).await.len(), 1);
});

/// Clicks the answer with this score in every question.
pub async fn answer_all(c: &fantoccini::Client, score: u8) {
    for key in ELEMENTS {
        let radio = c
            .find(Locator::Css(&format!("input[name=q_{key}][value=\"{score}\"]")))
            .await
            .unwrap();
        // Click the label (the big touch target), as a finger would.
        let label = radio.find(Locator::XPath("..")).await.unwrap();
        label.click().await.unwrap();
        assert!(radio.is_selected().await.unwrap(), "{key} {score} selected");
        // Let the phone's move to the next question finish before the next tap.
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_fills_in_the_survey_on_a_phone() {
    let f = fixture(TestDb::sqlite().await).await;
    let Some(browser) = Browser::start(390, 844).await else {
        return;
    };
    let c = &browser.client;
    c.goto(&format!("{}/survei/dinsos-uji", f.app.address)).await.unwrap();
    let script = "var q = document.querySelector('fieldset.q'); \
                  return [q.getBoundingClientRect().height, window.innerHeight, \
                  document.documentElement.scrollWidth > window.innerWidth];";
    let sizes = c.execute(script, vec![]).await.unwrap();
    let (height, viewport) = (sizes[0].as_f64().unwrap(), sizes[1].as_f64().unwrap());
    assert!(height >= viewport - 1.0, "one question fills the phone screen: {sizes}");
    assert_eq!(sizes[2], Value::Bool(false), "no sideways scrolling");
    // Answer targets are large enough for a thumb.
    let target = c
        .execute(
            "return document.querySelector('label.answer').getBoundingClientRect().height;",
            vec![],
        )
        .await
        .unwrap();
    assert!(target.as_f64().unwrap() >= 44.0, "touch target {target}");

    // Submitting with nothing answered brings the errors back, in Indonesian.
    c.find(Locator::Css("button.submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let alert = browser.text_when("#kesalahan", "Pilih layanan").await;
    assert!(alert.contains("Pilih layanan yang Anda terima."), "{alert}");

    c.find(Locator::Css("select#layanan option[value=pkh]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    answer_all(c, 3).await;
    c.find(Locator::Css("label.answer input[name=jenis_kelamin][value=P]"))
        .await
        .unwrap()
        .find(Locator::XPath(".."))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("umur"))
        .await
        .unwrap()
        .send_keys("29")
        .await
        .unwrap();
    c.find(Locator::Id("saran"))
        .await
        .unwrap()
        .send_keys("Antrean lebih tertib")
        .await
        .unwrap();
    c.find(Locator::Css("button.submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = browser.text_when("h1", "Terima kasih").await;
    assert_eq!(h1, "Terima kasih");
    let rows = stored(&f).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].service, "Rekomendasi PKH");
    assert_eq!(rows[0].profile.umur, Some(29));
    assert!(rows[0].scores.values().all(|s| *s == 3) && rows[0].scores.len() == 9);

    // On a desktop the whole questionnaire is one page.
    c.set_window_size(1280, 900).await.unwrap();
    c.goto(&format!("{}/survei/dinsos-uji", f.app.address)).await.unwrap();
    let height = c
        .execute(
            "return [document.querySelector('fieldset.q').getBoundingClientRect().height, window.innerHeight];",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        height[0].as_f64().unwrap() < height[1].as_f64().unwrap() / 2.0,
        "questions are compact on a desktop: {height}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_takes_a_response_and_resets_itself() {
    let f = fixture(TestDb::sqlite().await).await;
    let Some(browser) = Browser::start(1024, 768).await else {
        return;
    };
    let c = &browser.client;
    // Staff register the tablet from the tablet itself.
    browser.login(&f.app.address, "petugas_uji", PASSWORD).await;
    c.goto(&format!("{}/staf/dinsos-uji/kios", f.app.address))
        .await
        .unwrap();
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Loket 3")
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_path("/kiosk").await;
    // Full screen layout: no site header, big buttons.
    assert!(c.find_all(Locator::Css("header.site")).await.unwrap().is_empty());
    let target = c
        .execute(
            "return document.querySelector('label.answer').getBoundingClientRect().height;",
            vec![],
        )
        .await
        .unwrap();
    assert!(target.as_f64().unwrap() >= 72.0, "big buttons: {target}");
    c.find(Locator::Css("select#layanan option[value=sktm]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    answer_all(c, 4).await;
    c.find(Locator::Css("button.submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let h1 = browser.text_when("h1", "Terima kasih").await;
    assert_eq!(h1, "Terima kasih");
    let rows = stored(&f).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source, "kiosk");
    assert!(rows[0].kiosk_id.is_some());
    // It returns to an empty form for the next visitor by itself.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if c.current_url().await.unwrap().path() == "/kiosk"
            && c.find_all(Locator::Css("form.survey")).await.unwrap().len() == 1
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the kiosk did not reset");
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let checked = c.find_all(Locator::Css("form.survey input:checked")).await.unwrap();
    assert!(checked.is_empty(), "the next visitor starts empty");
    browser.close().await;
}

on_both_databases!(a_stack_of_paper_forms_lands_in_the_analytics, |db: TestDb| async move {
    let f = fixture(db).await;
    let petugas = f.app.login("petugas_uji", PASSWORD).await;
    let (status, _, grid) = petugas.get("/staf/dinsos-uji/survei/kertas").await;
    assert_eq!(status, 200);
    assert!(grid.contains("name=\"r20_pengaduan\"") && grid.contains("pattern=\"[1-4]\""));
    let mut fields: Vec<(String, String)> = vec![
        ("tanggal".into(), "2026-10-05".into()),
        ("layanan".into(), "sktm".into()),
    ];
    // Row 1 all 4, row 2 all 2 with a profile, row 3 has a 5 typed by mistake.
    for (row, score) in [(1, "4"), (2, "2"), (3, "3")] {
        for key in ELEMENTS {
            fields.push((format!("r{row}_{key}"), score.into()));
        }
    }
    fields.push(("r3_sarana".into(), "5".into()));
    fields.push(("r2_jenis_kelamin".into(), "p".into()));
    fields.push(("r2_umur".into(), "52".into()));
    fields.push(("r2_pendidikan".into(), "S2".into()));
    let (status, _, page) = petugas.post("/staf/dinsos-uji/survei/kertas", &refs(&fields)).await;
    assert_eq!(status, 422);
    assert!(page.contains("Nilai harus 1, 2, 3 atau 4."));
    assert!(page.contains("Tidak ada yang disimpan"));
    assert!(page.contains("name=\"r2_umur\" value=\"52\""), "typed values are kept");
    assert!(stored(&f).await.is_empty(), "nothing stored while a row is wrong");

    // A kepala bidang may not type in forms.
    let kabid = f.app.login("kabid_uji", PASSWORD).await;
    assert_eq!(
        kabid.post("/staf/dinsos-uji/survei/kertas", &refs(&fields)).await.0,
        403
    );

    let fields: Vec<(String, String)> = fields
        .into_iter()
        .filter(|(k, v)| !(k == "r3_sarana" && v == "5"))
        .collect();
    let (status, location, body) = petugas.post("/staf/dinsos-uji/survei/kertas", &refs(&fields)).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/staf/dinsos-uji/survei/kertas?tersimpan=3"));
    let rows = stored(&f).await;
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r.source == "paper" && r.responded_on.to_string() == "2026-10-05")
    );
    assert_eq!(rows[1].profile.jenis_kelamin.as_deref(), Some("P"));
    assert_eq!(rows[1].profile.pendidikan.as_deref(), Some("S2"));
    // The analytics read them: (4 + 2 + 3) / 3 = 3.00 for every element.
    let report = ikm(&f, "2026-10-01", "2026-10-31").await;
    assert_eq!(report["respondents"], 3);
    let index = &report["groups"][0]["index"];
    assert!((index["ikm"].as_f64().unwrap() - 3.0).abs() < 1e-9, "{index}");
    assert!((index["konversi"].as_f64().unwrap() - 75.0).abs() < 1e-9);
    assert_eq!(index["mutu"], "C");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kiosk_starts_over() {
    let f = fixture_config(TestDb::sqlite().await, |c| c.kiosk_idle_seconds = 3).await;
    let Some(browser) = Browser::start(1024, 768).await else {
        return;
    };
    let c = &browser.client;
    browser.login(&f.app.address, "petugas_uji", PASSWORD).await;
    c.goto(&format!("{}/staf/dinsos-uji/kios", f.app.address))
        .await
        .unwrap();
    c.find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys("Loket idle")
        .await
        .unwrap();
    c.find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_path("/kiosk").await;
    let idle = c
        .execute("return document.body.getAttribute('data-idle-seconds');", vec![])
        .await
        .unwrap();
    assert_eq!(idle, "3", "the configured period reaches the page");
    // A visitor starts, then walks away after one answer.
    let radio = c
        .find(Locator::Css("input[name=q_persyaratan][value=\"2\"]"))
        .await
        .unwrap();
    radio.find(Locator::XPath("..")).await.unwrap().click().await.unwrap();
    assert!(radio.is_selected().await.unwrap());
    c.execute("window.__belum_direset = true;", vec![]).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let marker = c
            .execute("return window.__belum_direset === true;", vec![])
            .await
            .unwrap();
        if marker == false
            && c.current_url().await.unwrap().path() == "/kiosk"
            && c.find_all(Locator::Css("form.survey")).await.unwrap().len() == 1
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the idle kiosk did not start over"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "not before the idle period: {:?}",
        started.elapsed()
    );
    let checked = c.find_all(Locator::Css("form.survey input:checked")).await.unwrap();
    assert!(checked.is_empty(), "the half-filled answers are gone");
    assert!(stored(&f).await.is_empty(), "nothing was submitted");
    browser.close().await;
}
