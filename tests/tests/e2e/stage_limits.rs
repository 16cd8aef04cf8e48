//! Stage time limits as data a unit keeps (issue 20), on both databases through the
//! real router: the auto-close job and the reply check follow the limit a unit
//! admin sets at `/staf/{unit}/tahapan`, per channel; only that unit's admins may
//! change it, bad values change nothing; the staff complaint page shows each stage
//! clock of the complaint's channel with its due date, state and regulation.

use chrono::{DateTime, TimeZone, Utc};
use tanggap::domain::{Channel, ComplaintStatus, Role};
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap::storage::stages::ChannelStage;
use tanggap::triage::jobs::TriageJobs;
use tanggap_tests::{TestDb, on_both_databases, spawn_app};

use crate::complaint_fidelity::{PASSWORD, add_user, step};

/// `hh:mm` WIB on a day of 2026, as UTC.
fn wib(m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, m, day, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn new_unit(store: &dyn Store, code: &str) -> Unit {
    let channels = vec![Channel::Website, Channel::Email, Channel::SpanLapor];
    crate::complaint_fidelity::unit_taking(store, code, channels).await
}

async fn status_of(store: &dyn Store, unit: &Unit, id: i64) -> String {
    store.complaint(unit.id, id).await.unwrap().unwrap().summary.status
}

/// The note of the move that closed a complaint (the recording entry is dated when
/// the test ran, after these November days, so it is not simply the last one).
async fn closing_note(store: &dyn Store, id: i64) -> String {
    store
        .event_details(id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.to_status.as_deref() == Some("selesai"))
        .expect("a closing entry")
        .note
}

/// A complaint of `channel` received on Monday 2 November 2026, 09:00 WIB.
async fn received(store: &dyn Store, unit: &Unit, channel: Channel) -> i64 {
    store
        .record_complaint(&NewComplaint {
            channel,
            channel_ref: (channel == Channel::SpanLapor).then(|| "1916451".to_owned()),
            ..tanggap_tests::test_complaint(unit.id, wib(11, 2, 9, 0))
        })
        .await
        .unwrap()
        .id
}

/// The form that changes one stage row.
fn stage_form<'a>(channel: &'a str, stage: &'a str, days: &'a str, regulation: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kanal", channel),
        ("tahap", stage),
        ("berlaku", "2018-01-01"),
        ("hari", days),
        ("regulasi", regulation),
    ]
}

/// The working days of one of a unit's stage rows.
fn days_of(stages: &[ChannelStage], channel: &str, stage: &str) -> i64 {
    stages
        .iter()
        .find(|s| s.channel == channel && s.stage == stage)
        .unwrap_or_else(|| panic!("no {channel} {stage} in {stages:?}"))
        .working_days
}

on_both_databases!(
    the_auto_close_job_follows_the_limit_a_unit_admin_set,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit = new_unit(store.as_ref(), "dinsos-tutup").await;
        add_user(store.as_ref(), "admin", vec![(unit.id, Role::Admin)]).await;
        // Answered on Wednesday 4 November: a website complaint, an email one; and a
        // website complaint answered on Thursday 5 November.
        let web = received(store.as_ref(), &unit, Channel::Website).await;
        let mail = received(store.as_ref(), &unit, Channel::Email).await;
        let web_later = received(store.as_ref(), &unit, Channel::Website).await;
        let division = store.create_division(unit.id, "Bidang Linjamsos").await.unwrap();
        for (id, at) in [
            (web, wib(11, 4, 10, 0)),
            (mail, wib(11, 4, 10, 0)),
            (web_later, wib(11, 5, 10, 0)),
        ] {
            tanggap_tests::answer_complaint(store.as_ref(), unit.id, id, Some(division), None, None, at).await;
        }
        // Tuesday 10 November: four working days after the first answers. Under the
        // default 10 working days nothing closes.
        let tuesday = wib(11, 10, 10, 0);
        let jobs = TriageJobs::new(store.clone(), "instance-a".into());
        assert_eq!(jobs.run_pass(tuesday).await.unwrap().closed, 0);

        // The unit's admin sets the website's auto-close to 3 working days.
        let app = spawn_app(db).await;
        let admin = app.login("admin", PASSWORD).await;
        let (code, _, page) = admin.get("/staf/dinsos-tutup/tahapan").await;
        assert_eq!(code, 200);
        assert!(
            page.contains("data-channel=\"website\" data-stage=\"tutup_otomatis\""),
            "{page}"
        );
        let (code, location, body) = admin
            .post(
                "/staf/dinsos-tutup/tahapan",
                &stage_form(
                    "website",
                    "tutup_otomatis",
                    "3",
                    "Keputusan Kepala Dinas No. 7/2026 (uji)",
                ),
            )
            .await;
        assert_eq!(code, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/staf/dinsos-tutup/tahapan?disimpan=1"));
        let stages = store.channel_stages(unit.id).await.unwrap();
        assert_eq!(days_of(&stages, "website", "tutup_otomatis"), 3);
        assert_eq!(days_of(&stages, "email", "tutup_otomatis"), 10);
        assert_eq!(days_of(&stages, "span_lapor", "verifikasi"), 3, "the other rows stay");

        // The same pass now closes the website complaint answered four working days
        // ago, not the one answered three working days ago, nor the email one.
        let pass = jobs.run_pass(tuesday).await.unwrap();
        assert_eq!(pass.closed, 1, "{pass:?}");
        assert_eq!(status_of(store.as_ref(), &unit, web).await, "selesai");
        assert_eq!(status_of(store.as_ref(), &unit, web_later).await, "dijawab");
        assert_eq!(status_of(store.as_ref(), &unit, mail).await, "dijawab");
        let closing = closing_note(store.as_ref(), web).await;
        assert!(closing.contains("dalam 3 hari kerja"), "{closing}");

        // A reply within three working days of the answer still reopens; after them
        // it does not.
        let reply_in_time = wib(11, 10, 9, 0);
        assert!(
            tanggap::triage::answers::after_reply(store.as_ref(), &unit, web_later, reply_in_time)
                .await
                .unwrap()
        );
        assert_eq!(status_of(store.as_ref(), &unit, web_later).await, "dibuka_kembali");
        // Thursday 19 November: the email complaint's 10 working days are over.
        let pass = jobs.run_pass(wib(11, 19, 10, 0)).await.unwrap();
        assert_eq!(pass.closed, 1, "{pass:?}");
        assert_eq!(status_of(store.as_ref(), &unit, mail).await, "selesai");
        let closing = closing_note(store.as_ref(), mail).await;
        assert!(closing.contains("dalam 10 hari kerja"), "{closing}");
    }
);

on_both_databases!(
    only_the_units_admin_changes_its_limits_and_bad_values_change_nothing,
    |db: TestDb| async move {
        let store = db.store.clone();
        let a = new_unit(store.as_ref(), "dinsos-a").await;
        let b = new_unit(store.as_ref(), "dinsos-b").await;
        add_user(store.as_ref(), "admin_a", vec![(a.id, Role::Admin)]).await;
        add_user(store.as_ref(), "admin_b", vec![(b.id, Role::Admin)]).await;
        // An account in both units: admin of B, petugas of A.
        add_user(
            store.as_ref(),
            "multi",
            vec![(b.id, Role::Admin), (a.id, Role::Petugas)],
        )
        .await;
        let before = store.channel_stages(a.id).await.unwrap();
        let app = spawn_app(db).await;
        let page = "/staf/dinsos-a/tahapan";
        let change = stage_form("span_lapor", "verifikasi", "4", "PermenPAN-RB 5/2025 (uji)");

        // Another unit's admin and the multi-unit account without admin rights in A.
        for who in ["admin_b", "multi"] {
            let actor = app.login(who, PASSWORD).await;
            assert_eq!(actor.get(page).await.0, 403, "{who} reads A's limits");
            assert_eq!(actor.post(page, &change).await.0, 403, "{who} changes A's limits");
            let (_, _, unit_page) = actor.get("/staf/dinsos-a").await;
            assert!(!unit_page.contains(page), "{who} is not offered the link");
        }
        assert_eq!(
            store.channel_stages(a.id).await.unwrap(),
            before,
            "nothing changed in A"
        );
        // The multi-unit account changes B's row under B's URL: B only.
        let multi = app.login("multi", PASSWORD).await;
        let (code, _, body) = multi
            .post(
                "/staf/dinsos-b/tahapan",
                &stage_form("span_lapor", "verifikasi", "6", "Aturan B"),
            )
            .await;
        assert_eq!(code, 303, "{body}");
        assert_eq!(
            days_of(&store.channel_stages(b.id).await.unwrap(), "span_lapor", "verifikasi"),
            6
        );
        assert_eq!(
            store.channel_stages(a.id).await.unwrap(),
            before,
            "nothing changed in A"
        );

        // A's admin: the page lists every channel's stages with the defaults and
        // where they come from, linked from the unit's page.
        let admin = app.login("admin_a", PASSWORD).await;
        let (_, _, unit_page) = admin.get("/staf/dinsos-a").await;
        assert!(unit_page.contains("href=\"/staf/dinsos-a/tahapan\""), "{unit_page}");
        let (code, _, html) = admin.get(page).await;
        assert_eq!(code, 200);
        assert_eq!(
            html.matches("data-stage=\"tutup_otomatis\"").count(),
            Channel::ALL.len(),
            "an auto-close row per channel"
        );
        for (stage, days) in [("verifikasi", 3), ("tindak_lanjut", 5)] {
            let at = html
                .find(&format!("data-channel=\"span_lapor\" data-stage=\"{stage}\""))
                .unwrap_or_else(|| panic!("no span_lapor {stage} row"));
            let row = &html[at..at + html[at..].find("</tr>").unwrap()];
            assert!(row.contains(&format!("value=\"{days}\"")), "{row}");
            assert!(row.contains("PermenPAN-RB 62/2018") && row.contains("5/2025"), "{row}");
        }
        assert!(html.contains("Batas waktu tahapan"), "Indonesian first");

        // Without the CSRF token: refused, nothing changed.
        let mut raw = change.clone();
        raw.push(("csrf", "palsu"));
        assert_eq!(admin.post_raw(page, &raw).await.0, 403);
        assert_eq!(store.channel_stages(a.id).await.unwrap(), before);
        // Bad values: an Indonesian error, nothing changed.
        for bad in ["0", "-2", "366", "tiga", "", "2.5"] {
            let (code, _, body) = admin
                .post(
                    page,
                    &stage_form("span_lapor", "verifikasi", bad, "PermenPAN-RB 5/2025"),
                )
                .await;
            assert_eq!(code, 422, "{bad:?}");
            assert!(
                body.contains("Batas waktu harus bilangan bulat hari kerja dari 1 sampai 365. Tidak ada yang diubah."),
                "{bad:?}: {body}"
            );
        }
        let too_long = "x".repeat(201);
        for bad in ["", "   ", too_long.as_str()] {
            let (code, _, body) = admin
                .post(page, &stage_form("span_lapor", "verifikasi", "4", bad))
                .await;
            assert_eq!(code, 422);
            assert!(body.contains("Dasar aturan wajib diisi"), "{body}");
        }
        // A row the unit does not have: an email verification, an unknown day.
        let (code, _, body) = admin
            .post(page, &stage_form("email", "verifikasi", "4", "Aturan"))
            .await;
        assert_eq!(code, 422);
        assert!(body.contains("Tahap ini tidak ada di unit ini"), "{body}");
        let mut other_day = change.clone();
        other_day[2] = ("berlaku", "2020-01-01");
        assert_eq!(admin.post(page, &other_day).await.0, 422);
        assert_eq!(store.channel_stages(a.id).await.unwrap(), before, "nothing changed");

        // A good change: saved, shown, audited.
        let (code, location, _) = admin.post(page, &change).await;
        assert_eq!(code, 303);
        let (_, _, html) = admin.get(&location.unwrap()).await;
        assert!(html.contains("Batas waktu tersimpan."));
        let after = store.channel_stages(a.id).await.unwrap();
        assert_eq!(days_of(&after, "span_lapor", "verifikasi"), 4);
        assert_eq!(days_of(&after, "span_lapor", "tindak_lanjut"), 5);
        assert_eq!(after.len(), before.len(), "changed in place, no row added");
        let row = after
            .iter()
            .find(|s| s.channel == "span_lapor" && s.stage == "verifikasi")
            .unwrap();
        assert_eq!(row.regulation, "PermenPAN-RB 5/2025 (uji)");
        assert_eq!(
            days_of(&store.channel_stages(b.id).await.unwrap(), "span_lapor", "verifikasi"),
            6
        );
        let audit = store.list_audit(a.id, 20, 0).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "channel_stage.saved" && e.entity_id == "span_lapor/verifikasi/2018-01-01"),
            "{audit:?}"
        );
    }
);

/// The rows of the complaint page's stage clock table, as text (tags dropped,
/// blanks collapsed).
fn clock_rows(html: &str) -> Vec<String> {
    let Some(start) = html.find("id=\"stage-clocks\"") else {
        return Vec::new();
    };
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    table
        .split("<tr")
        .skip(2)
        .map(|row| {
            let mut text = String::new();
            let mut in_tag = true;
            for ch in row.chars() {
                match ch {
                    '<' => {
                        in_tag = true;
                        text.push(' ');
                    }
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .collect()
}

on_both_databases!(
    the_complaint_page_shows_each_stage_clock_of_its_channel,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit = new_unit(store.as_ref(), "dinsos-jam").await;
        add_user(store.as_ref(), "petugas", vec![(unit.id, Role::Petugas)]).await;
        let regulation = "PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025";
        // An SP4N-LAPOR! report received Monday 2 November 2026: verified on
        // Wednesday 4 (due Thursday 5: on time), answered Friday 13 (follow-up due
        // Thursday 12: late); the complainant's 10 working days run to Friday 27
        // November and nobody closed it since.
        let lapor = received(store.as_ref(), &unit, Channel::SpanLapor).await;
        store
            .move_complaint(&step(unit.id, lapor, ComplaintStatus::Terverifikasi, wib(11, 4, 10, 0)))
            .await
            .unwrap()
            .unwrap();
        let division = store.create_division(unit.id, "Bidang Linjamsos").await.unwrap();
        tanggap_tests::assign_complaint(store.as_ref(), unit.id, lapor, Some(division), None, wib(11, 4, 11, 0)).await;
        let moves = [
            (ComplaintStatus::Didisposisikan, wib(11, 5, 10, 0)),
            (ComplaintStatus::Dijawab, wib(11, 13, 10, 0)),
        ];
        for (to, at) in moves {
            store
                .move_complaint(&step(unit.id, lapor, to, at))
                .await
                .unwrap()
                .unwrap();
        }
        // A website complaint not yet verified nor answered.
        let web = received(store.as_ref(), &unit, Channel::Website).await;

        let app = spawn_app(db).await;
        let petugas = app.login("petugas", PASSWORD).await;
        let (code, _, html) = petugas.get(&format!("/staf/dinsos-jam/pengaduan/{lapor}")).await;
        assert_eq!(code, 200);
        assert!(html.contains("Batas waktu tahapan"), "{html}");
        assert_eq!(
            clock_rows(&html),
            vec![
                format!("Verifikasi dan penerusan 3 05-11-2026 Tepat waktu 04-11-2026 {regulation}"),
                format!("Tindak lanjut instansi 5 12-11-2026 Terlambat 13-11-2026 {regulation}"),
                format!(
                    "Tutup otomatis tanpa balasan pelapor 10 (sejak jawaban terakhir) 27-11-2026 Terlambat, belum \
                     selesai {regulation}"
                ),
            ]
        );
        // Once the job closed it, the auto-close is over.
        let jobs = TriageJobs::new(store.clone(), "instance-a".into());
        assert_eq!(jobs.run_pass(wib(11, 30, 10, 0)).await.unwrap().closed, 1);
        let (_, _, html) = petugas.get(&format!("/staf/dinsos-jam/pengaduan/{lapor}")).await;
        assert_eq!(
            clock_rows(&html).last().unwrap(),
            &format!(
                "Tutup otomatis tanpa balasan pelapor 10 (sejak jawaban terakhir) 27-11-2026 Berakhir 30-11-2026 {regulation}"
            )
        );

        // The website complaint has only the auto-close, not started.
        let (_, _, html) = petugas.get(&format!("/staf/dinsos-jam/pengaduan/{web}")).await;
        assert_eq!(
            clock_rows(&html),
            vec![format!(
                "Tutup otomatis tanpa balasan pelapor 10 (sejak jawaban terakhir) - Belum dimulai (menunggu jawaban) \
                 {regulation}"
            )]
        );
    }
);

/// The page's forms as a browser submits them: each row's inputs belong to the form
/// of its save button (`form=` attribute), so typing a limit and pressing that row's
/// button changes that row only.
#[tokio::test]
async fn a_unit_admin_changes_a_limit_in_a_browser() {
    use fantoccini::Locator;
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let unit = new_unit(store.as_ref(), "dinsos-layar").await;
    add_user(store.as_ref(), "admin", vec![(unit.id, Role::Admin)]).await;
    let app = spawn_app(db).await;
    let Some(browser) = tanggap_tests::Browser::start(1280, 900).await else {
        return;
    };
    browser.login(&app.address, "admin", PASSWORD).await;
    let c = &browser.client;
    // From the unit's page, as an admin finds it.
    c.goto(&format!("{}/staf/dinsos-layar", app.address)).await.unwrap();
    c.find(Locator::Css("a[href=\"/staf/dinsos-layar/tahapan\"]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("h1", "Batas waktu tahapan").await;
    let row = "tr[data-channel=\"website\"][data-stage=\"tutup_otomatis\"]";
    let days = c.find(Locator::Css(&format!("{row} input[name=hari]"))).await.unwrap();
    days.clear().await.unwrap();
    days.send_keys("7").await.unwrap();
    c.find(Locator::Css(&format!("{row} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("p[role=status]", "Batas waktu tersimpan.").await;
    let stages = store.channel_stages(unit.id).await.unwrap();
    assert_eq!(days_of(&stages, "website", "tutup_otomatis"), 7);
    assert_eq!(days_of(&stages, "email", "tutup_otomatis"), 10, "only that row");
    assert_eq!(days_of(&stages, "span_lapor", "verifikasi"), 3, "only that row");
    // The page shows the saved value.
    let days = c.find(Locator::Css(&format!("{row} input[name=hari]"))).await.unwrap();
    assert_eq!(days.prop("value").await.unwrap().as_deref(), Some("7"));
    browser.close().await;
}
