//! Triage (issue 6): the life cycle enforced on every move, classification with due
//! dates on the working-day calendar, the seeded holidays and a unit's days off, the jenis
//! list; on both databases, through the staff pages.

use chrono::{NaiveDate, TimeZone, Utc};
use tanggap::domain::{Channel, ComplaintStatus, Klasifikasi, Role};
use tanggap::storage::model::*;
use tanggap::storage::triage::StatusMove;
use tanggap::triage::calendar::{UnitCalendar, zone_of};
use tanggap::triage::lifecycle::MoveError;
use tanggap_tests::{TestApp, TestDb, on_both_databases, spawn_app};

const PASSWORD: &str = "kata-sandi-uji-123";

/// A unit (WIB) with a division and one account per role that matters here.
struct Fixture {
    app: TestApp,
    unit: i64,
    other_unit: i64,
    division: i64,
    other_division: i64,
    petugas: i64,
}

async fn fixture(db: TestDb) -> Fixture {
    let store = db.store.clone();
    let new_unit = |code: &str| NewUnit {
        code: code.into(),
        name: format!("Dinas Sosial {code}"),
        short_name: code.into(),
        address: String::new(),
        city: "Dumai".into(),
        phone: String::new(),
        email: String::new(),
        time_zone: "Asia/Jakarta".into(),
        letterhead: vec![],
        head_title: String::new(),
        head_name: String::new(),
        head_nip: String::new(),
        complaint_channels: vec![Channel::Website],
    };
    let unit = store.create_unit(&new_unit("dinsos-uji")).await.unwrap();
    let other = store.create_unit(&new_unit("dinsos-lain")).await.unwrap();
    let division = store.create_division(unit, "Bidang Rehabilitasi Sosial").await.unwrap();
    let other_division = store.create_division(other, "Bidang Lain").await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    let mut petugas = 0;
    for (name, role) in [
        ("petugas", Role::Petugas),
        ("kabid", Role::KepalaBidang),
        ("kadis", Role::KepalaDinas),
        ("admin", Role::Admin),
        ("auditor", Role::Auditor),
    ] {
        let id = store
            .create_user(&NewUser {
                username: name.into(),
                full_name: format!("Pak {name}"),
                password_hash: hash.clone(),
                roles: vec![(unit, role)],
            })
            .await
            .unwrap();
        if role == Role::Petugas {
            petugas = id;
        }
    }
    Fixture {
        app: spawn_app(db).await,
        unit,
        other_unit: other,
        division,
        other_division,
        petugas,
    }
}

fn complaint(unit_id: i64, received_at: chrono::DateTime<Utc>) -> NewComplaint {
    NewComplaint {
        complainant: Complainant {
            name: Some("Siti".into()),
            email: Some("siti@contoh.id".into()),
            ..Default::default()
        },
        ..tanggap_tests::test_complaint(unit_id, received_at)
    }
}

async fn status_of(f: &Fixture, id: i64) -> String {
    f.app.store.triage_state(f.unit, id).await.unwrap().unwrap().status
}

on_both_databases!(status_moves_follow_the_life_cycle, |db: TestDb| async move {
    let f = fixture(db).await;
    let store = f.app.store.clone();
    let received = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap(); // Monday 09:00 WIB
    let c = store.record_complaint(&complaint(f.unit, received)).await.unwrap();
    let page = format!("/staf/dinsos-uji/pengaduan/{}", c.id);
    let petugas = f.app.login("petugas", PASSWORD).await;
    let events_before = store.complaint_events(c.id).await.unwrap().len();

    // An illegal jump: a clear Indonesian error, nothing changed.
    let (code, _, body) = petugas.post(&format!("{page}/status"), &[("to", "selesai")]).await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body.contains("Status tidak dapat diubah dari &#34;Diterima&#34; menjadi &#34;Selesai&#34;")
            || body.contains("Status tidak dapat diubah dari &quot;Diterima&quot; menjadi &quot;Selesai&quot;"),
        "{body}"
    );
    assert_eq!(status_of(&f, c.id).await, "diterima");
    assert_eq!(store.complaint_events(c.id).await.unwrap().len(), events_before);
    // An unknown status word is refused the same way.
    let (code, _, body) = petugas.post(&format!("{page}/status"), &[("to", "beres")]).await;
    assert_eq!(code, 422);
    assert!(body.contains("Pilih status tujuan"), "{body}");

    // diterima -> terverifikasi, recorded with who and the note.
    let (code, location, _) = petugas
        .post(
            &format!("{page}/status"),
            &[("to", "terverifikasi"), ("note", "Data lengkap")],
        )
        .await;
    assert_eq!(code, 303);
    assert_eq!(location.as_deref(), Some(page.as_str()));
    let details = store.event_details(c.id).await.unwrap();
    let last = details.last().unwrap();
    assert_eq!(last.kind, "status");
    assert_eq!(last.from_status.as_deref(), Some("diterima"));
    assert_eq!(last.to_status.as_deref(), Some("terverifikasi"));
    assert_eq!(last.actor_id, Some(f.petugas));
    assert_eq!(last.actor_name.as_deref(), Some("Pak petugas"));
    assert_eq!(last.note, "Data lengkap");

    // The page's form carries the status it showed; a move from a page that still
    // showed "diterima" (someone else moved it meanwhile) is refused, nothing changed.
    let (_, _, html) = petugas.get(&page).await;
    assert!(html.contains(r#"name="dari" value="terverifikasi""#), "{html}");
    let events_now = store.complaint_events(c.id).await.unwrap().len();
    let (code, _, body) = petugas
        .post(
            &format!("{page}/status"),
            &[
                ("to", "dikembalikan"),
                ("note", "KTP belum dilampirkan"),
                ("dari", "diterima"),
            ],
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(body.contains("Status pengaduan baru saja diubah orang lain"), "{body}");
    assert_eq!(status_of(&f, c.id).await, "terverifikasi");
    assert_eq!(store.complaint_events(c.id).await.unwrap().len(), events_now);

    // Disposition needs an assignment first.
    let (code, _, body) = petugas
        .post(&format!("{page}/status"), &[("to", "didisposisikan")])
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("Tetapkan bidang atau petugas pemegang"), "{body}");
    assert_eq!(status_of(&f, c.id).await, "terverifikasi");

    // A division of another unit is refused; nothing changes.
    let other_division = f.other_division.to_string();
    let (code, _, body) = petugas
        .post(
            &format!("{page}/klasifikasi"),
            &[
                ("klasifikasi", "pengaduan"),
                ("bidang", &other_division),
                ("bobot", "sedang"),
            ],
        )
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("Bidang itu bukan bidang unit ini"), "{body}");
    assert_eq!(store.triage_state(f.unit, c.id).await.unwrap().unwrap().bobot, None);

    // Classification (sedang) sets the holder and the 14-working-day deadline.
    let division = f.division.to_string();
    let petugas_id = f.petugas.to_string();
    let (code, _, body) = petugas
        .post(
            &format!("{page}/klasifikasi"),
            &[
                ("klasifikasi", "pengaduan"),
                ("bidang", &division),
                ("bobot", "sedang"),
                ("petugas", &petugas_id),
            ],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let t = store.triage_state(f.unit, c.id).await.unwrap().unwrap();
    assert_eq!(t.bobot.as_deref(), Some("sedang"));
    assert_eq!(t.assignee_id, Some(f.petugas));
    assert_eq!(t.first_answer_due_at, None);
    let cal = UnitCalendar::new(zone_of("Asia/Jakarta"), &[]);
    // 14 working days from Monday 2 November 2026 (no holidays in between): 20 November, end of day WIB.
    assert_eq!(
        t.due_at,
        Some(cal.end_of_day(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()))
    );

    for to in ["didisposisikan", "ditindaklanjuti"] {
        let (code, _, body) = petugas.post(&format!("{page}/status"), &[("to", to)]).await;
        assert_eq!(code, 303, "{to}: {body}");
    }
    let details = store.event_details(c.id).await.unwrap();
    assert_eq!(
        details.last().unwrap().holder_id,
        Some(f.petugas),
        "the holder is on the card"
    );

    // A bare status move cannot answer (the answer must leave through the channel),
    // an answer needs its text, and a sedang answer needs both sign-offs.
    let (code, _, body) = petugas
        .post(
            &format!("{page}/status"),
            &[("to", "dijawab"), ("note", "Bantuan cair pekan depan.")],
        )
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("formulir Jawaban"), "{body}");
    let (code, _, body) = petugas.post(&format!("{page}/jawaban"), &[("isi", " ")]).await;
    assert_eq!(code, 422);
    assert!(body.contains("wajib disertai catatan"), "{body}");
    let (code, _, body) = petugas
        .post(&format!("{page}/jawaban"), &[("isi", "Bantuan cair pekan depan.")])
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("disetujui kepala bidang dan kepala dinas"), "{body}");
    assert_eq!(status_of(&f, c.id).await, "ditindaklanjuti");

    // The petugas refused for missing sign-offs cannot lower the bobot to skip them:
    // 422 with the reason, nothing changed, nothing on the card.
    let events_now = store.complaint_events(c.id).await.unwrap().len();
    for lower in ["ringan", ""] {
        let (code, _, body) = petugas
            .post(
                &format!("{page}/klasifikasi"),
                &[("klasifikasi", "pengaduan"), ("bidang", &division), ("bobot", lower)],
            )
            .await;
        assert_eq!(code, 422, "{lower}: {body}");
        assert!(
            body.contains("Hanya kepala bidang atau kepala dinas yang dapat menurunkan bobot"),
            "{body}"
        );
    }
    let t = store.triage_state(f.unit, c.id).await.unwrap().unwrap();
    assert_eq!(t.bobot.as_deref(), Some("sedang"));
    assert_eq!(t.assignee_id, Some(f.petugas));
    assert_eq!(store.complaint_events(c.id).await.unwrap().len(), events_now);
    let (code, _, _) = petugas
        .post(&format!("{page}/jawaban"), &[("isi", "Bantuan cair pekan depan.")])
        .await;
    assert_eq!(code, 422, "still needs the sign-offs");

    // The kepala bidang may lower it; the card says from what to what, and who.
    let kabid = f.app.login("kabid", PASSWORD).await;
    let (code, _, body) = kabid
        .post(
            &format!("{page}/klasifikasi"),
            &[("klasifikasi", "pengaduan"), ("bidang", &division), ("bobot", "ringan")],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let lowered = store
        .event_details(c.id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "bobot_diturunkan")
        .expect("a bobot_diturunkan entry");
    assert_eq!(lowered.note, "Bobot diturunkan dari Sedang menjadi Ringan");
    assert_eq!(lowered.actor_name.as_deref(), Some("Pak kabid"));
    let (_, _, html) = petugas.get(&page).await;
    assert!(html.contains("Bobot diturunkan dari Sedang menjadi Ringan"), "{html}");

    // As ringan it may be answered at once; the answer is the public `jawaban` entry.
    let (code, _, _) = petugas
        .post(&format!("{page}/jawaban"), &[("isi", "Bantuan cair pekan depan.")])
        .await;
    assert_eq!(code, 303);
    let t = store.triage_state(f.unit, c.id).await.unwrap().unwrap();
    assert_eq!(t.status, "dijawab");
    assert!(t.answered_at.is_some());
    let events = store.complaint_events(c.id).await.unwrap();
    let answer = events.iter().find(|e| e.kind == "jawaban").expect("jawaban entry");
    assert_eq!(answer.note, "Bantuan cair pekan depan.");
    let anon = f.app.anonymous().await;
    let (_, _, tracking) = anon.get(&format!("/lacak?kode={}", c.tracking_code)).await;
    assert!(tracking.contains("Bantuan cair pekan depan."), "{tracking}");

    // Closing, then nothing moves it any more.
    let (code, _, _) = petugas.post(&format!("{page}/status"), &[("to", "selesai")]).await;
    assert_eq!(code, 303);
    assert!(
        store
            .triage_state(f.unit, c.id)
            .await
            .unwrap()
            .unwrap()
            .closed_at
            .is_some()
    );
    let (code, _, body) = petugas
        .post(&format!("{page}/status"), &[("to", "dibuka_kembali"), ("note", "x")])
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("sudah ditutup"), "{body}");

    // The control card shows every step with who did it.
    let (_, _, html) = petugas.get(&page).await;
    assert!(html.contains("kartu-kendali") && html.contains("Pak petugas"), "{html}");

    // Read-only roles cannot move a complaint.
    let auditor = f.app.login("auditor", PASSWORD).await;
    let (code, _, _) = auditor
        .post(&format!("{page}/status"), &[("to", "diarsipkan"), ("note", "x")])
        .await;
    assert_eq!(code, 403);

    // The store applies the same rules to every caller (the API and jobs use it too).
    let c2 = store.record_complaint(&complaint(f.unit, received)).await.unwrap();
    let attempt = |to| StatusMove {
        unit_id: f.unit,
        complaint_id: c2.id,
        to,
        actor_id: None,
        note: String::new(),
        at: Utc::now(),
        expected_from: None,
        notify: Vec::new(),
    };
    assert_eq!(
        store.move_complaint(&attempt(ComplaintStatus::Dijawab)).await.unwrap(),
        Err(MoveError::NotAllowed {
            from: ComplaintStatus::Diterima,
            to: ComplaintStatus::Dijawab
        })
    );
    let wrong_unit = StatusMove {
        unit_id: f.other_unit,
        ..attempt(ComplaintStatus::Terverifikasi)
    };
    assert_eq!(
        store.move_complaint(&wrong_unit).await.unwrap(),
        Err(MoveError::NotFound)
    );
    assert_eq!(status_of(&f, c2.id).await, "diterima");
});

on_both_databases!(due_dates_skip_the_seeded_holidays, |db: TestDb| async move {
    let f = fixture(db).await;
    let store = f.app.store.clone();
    // The migration ships 2025-2027; Lebaran 2026 is 18-24 March (cuti bersama and
    // libur nasional).
    let lebaran = store
        .list_holidays(
            NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 24).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(lebaran.len(), 7);
    assert!(lebaran.iter().any(|h| h.kind == "cuti_bersama"));
    for year in [2025, 2026, 2027] {
        let days = store
            .list_holidays(
                NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
                NaiveDate::from_ymd_opt(year, 12, 31).unwrap(),
            )
            .await
            .unwrap();
        assert!(days.len() >= 8, "{year} has holidays");
    }
    // Received Tuesday 17 March 2026 at 10:00 WIB, classified ringan: first answer
    // due 25 March (the first working day after the holidays), resolved 31 March.
    let received = Utc.with_ymd_and_hms(2026, 3, 17, 3, 0, 0).unwrap();
    let c = store.record_complaint(&complaint(f.unit, received)).await.unwrap();
    let petugas = f.app.login("petugas", PASSWORD).await;
    let (code, _, body) = petugas
        .post(
            &format!("/staf/dinsos-uji/pengaduan/{}/klasifikasi", c.id),
            &[("klasifikasi", "pengaduan"), ("bobot", "ringan")],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let t = store.triage_state(f.unit, c.id).await.unwrap().unwrap();
    let cal = UnitCalendar::new(zone_of("Asia/Jakarta"), &[]);
    assert_eq!(
        t.first_answer_due_at.map(|d| cal.local_date(d)),
        NaiveDate::from_ymd_opt(2026, 3, 25)
    );
    assert_eq!(
        t.due_at.map(|d| cal.local_date(d)),
        NaiveDate::from_ymd_opt(2026, 3, 31)
    );

    // An admin adds a day off of the unit; a new classification counts it.
    let admin = f.app.login("admin", PASSWORD).await;
    let (code, _, page) = admin.get("/staf/dinsos-uji/hari-libur?tahun=2026").await;
    assert_eq!(code, 200);
    assert!(page.contains("Cuti bersama Idul Fitri 1447 Hijriah"), "{page}");
    let (code, _, body) = admin
        .post(
            "/staf/dinsos-uji/hari-libur",
            &[
                ("tanggal", "2026-03-25"),
                ("nama", "Libur pilkada"),
                ("jenis", "libur_nasional"),
                ("sumber", "Keppres uji"),
            ],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let (code, _, body) = admin
        .post(
            "/staf/dinsos-uji/hari-libur",
            &[("tanggal", "25-03-2026"), ("nama", "x"), ("jenis", "libur_nasional")],
        )
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("TTTT-BB-HH"), "{body}");
    let (code, _, _) = petugas
        .post(
            &format!("/staf/dinsos-uji/pengaduan/{}/klasifikasi", c.id),
            &[("klasifikasi", "pengaduan"), ("bobot", "ringan")],
        )
        .await;
    assert_eq!(code, 303);
    let t = store.triage_state(f.unit, c.id).await.unwrap().unwrap();
    assert_eq!(
        t.first_answer_due_at.map(|d| cal.local_date(d)),
        NaiveDate::from_ymd_opt(2026, 3, 26)
    );
    // Deleting it makes the 25th a working day again.
    let (code, _, _) = admin
        .post("/staf/dinsos-uji/hari-libur/hapus", &[("tanggal", "2026-03-25")])
        .await;
    assert_eq!(code, 303);
    let left = store
        .unit_days_off(
            f.unit,
            NaiveDate::from_ymd_opt(2026, 3, 25).unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 25).unwrap(),
        )
        .await
        .unwrap();
    assert!(left.is_empty());
    // Only admins keep the calendar.
    let (code, _, _) = petugas.get("/staf/dinsos-uji/hari-libur").await;
    assert_eq!(code, 403);
});

on_both_databases!(the_jenis_list_is_editable_per_unit, |db: TestDb| async move {
    let f = fixture(db).await;
    let store = f.app.store.clone();
    let defaults = store.list_jenis(f.unit, false).await.unwrap();
    assert_eq!(defaults.len(), 19, "nine SKM elements and ten maladministration types");
    assert_eq!(defaults.iter().filter(|j| j.kind == "skm").count(), 9);
    let admin = f.app.login("admin", PASSWORD).await;
    let (code, _, body) = admin
        .post(
            "/staf/dinsos-uji/jenis",
            &[("nama", "Pungutan Liar"), ("kelompok", "maladministrasi")],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let (code, _, body) = admin
        .post(
            "/staf/dinsos-uji/jenis",
            &[("nama", "pungutan liar"), ("kelompok", "maladministrasi")],
        )
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("sudah ada"), "{body}");
    let added = store
        .list_jenis(f.unit, false)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.key == "pungutan_liar")
        .expect("added");
    let (code, _, _) = admin
        .post(
            &format!("/staf/dinsos-uji/jenis/{}/status", added.id),
            &[("aktif", "0")],
        )
        .await;
    assert_eq!(code, 303);
    assert!(
        !store
            .list_jenis(f.unit, false)
            .await
            .unwrap()
            .iter()
            .any(|j| j.id == added.id)
    );
    assert!(
        store
            .list_jenis(f.unit, true)
            .await
            .unwrap()
            .iter()
            .any(|j| j.id == added.id)
    );
    // Another unit's list is untouched, and its jenis cannot be used here.
    let other_unit = f.other_unit;
    assert_eq!(store.list_jenis(other_unit, true).await.unwrap().len(), 19);
    let foreign = store.list_jenis(other_unit, false).await.unwrap()[0].id.to_string();
    let c = store
        .record_complaint(&complaint(f.unit, Utc::now() - chrono::Duration::hours(1)))
        .await
        .unwrap();
    let petugas = f.app.login("petugas", PASSWORD).await;
    let (code, _, body) = petugas
        .post(
            &format!("/staf/dinsos-uji/pengaduan/{}/klasifikasi", c.id),
            &[("klasifikasi", "pengaduan"), ("jenis", &foreign)],
        )
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("tidak ada dalam daftar unit ini"), "{body}");
});

/// Sets an account's email (there is no page for it yet), on either database.
async fn set_email(url: &str, user_id: i64, email: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(user_id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(user_id)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

fn email_complaint(unit_id: i64, received_at: chrono::DateTime<Utc>, message_id: &str) -> NewComplaint {
    NewComplaint {
        channel: Channel::Email,
        channel_ref: Some(message_id.into()),
        ..complaint(unit_id, received_at)
    }
}

on_both_databases!(
    a_sedang_answer_is_signed_off_sent_in_the_thread_and_closes_by_itself,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let received = Utc::now() - chrono::Duration::days(2);
        let c = store
            .record_complaint(&email_complaint(f.unit, received, "asal-123@warga.contoh.id"))
            .await
            .unwrap();
        let page = format!("/staf/dinsos-uji/pengaduan/{}", c.id);
        let petugas = f.app.login("petugas", PASSWORD).await;
        let division = f.division.to_string();
        let holder = f.petugas.to_string();
        let (code, _, _) = petugas
            .post(
                &format!("{page}/klasifikasi"),
                &[
                    ("klasifikasi", "pengaduan"),
                    ("bidang", &division),
                    ("bobot", "sedang"),
                    ("petugas", &holder),
                ],
            )
            .await;
        assert_eq!(code, 303);
        for to in ["terverifikasi", "didisposisikan", "ditindaklanjuti"] {
            assert_eq!(
                petugas.post(&format!("{page}/status"), &[("to", to)]).await.0,
                303,
                "{to}"
            );
        }
        let text = "Bantuan Anda dicairkan tanggal 1 Desember.";
        let (code, _, body) = petugas.post(&format!("{page}/jawaban"), &[("isi", text)]).await;
        assert_eq!(code, 422);
        assert!(body.contains("disetujui kepala bidang dan kepala dinas"), "{body}");
        assert!(
            store.outbox_for_complaint(c.id).await.unwrap().is_empty(),
            "nothing queued"
        );
        // A petugas cannot sign off; the two heads can, once each.
        assert_eq!(petugas.post(&format!("{page}/persetujuan"), &[]).await.0, 403);
        let kabid = f.app.login("kabid", PASSWORD).await;
        let (code, _, body) = kabid
            .post(&format!("{page}/persetujuan"), &[("peran", "kepala_bidang")])
            .await;
        assert_eq!(code, 303, "{body}");
        let (_, _, html) = kabid.get(&page).await;
        assert!(!html.contains("sign-kepala_bidang"), "signed once, the button is gone");
        let (code, _, _) = petugas.post(&format!("{page}/jawaban"), &[("isi", text)]).await;
        assert_eq!(code, 422, "one sign-off is not enough");
        let kadis = f.app.login("kadis", PASSWORD).await;
        assert_eq!(kadis.post(&format!("{page}/persetujuan"), &[]).await.0, 303);
        let kinds: Vec<String> = store
            .complaint_events(c.id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(
            kinds.contains(&"persetujuan_kepala_bidang".to_owned())
                && kinds.contains(&"persetujuan_kepala_dinas".to_owned())
        );

        // The answer: recorded, queued as an email reply in the original thread.
        let (code, _, body) = petugas.post(&format!("{page}/jawaban"), &[("isi", text)]).await;
        assert_eq!(code, 303, "{body}");
        let outbox = store.outbox_for_complaint(c.id).await.unwrap();
        assert_eq!(outbox.len(), 1);
        let m = &outbox[0];
        assert_eq!(m.channel, "email");
        assert_eq!(m.recipient, "siti@contoh.id");
        assert_eq!(
            m.headers.get("In-Reply-To").map(String::as_str),
            Some("<asal-123@warga.contoh.id>")
        );
        assert_eq!(
            m.headers.get("References").map(String::as_str),
            Some("<asal-123@warga.contoh.id>")
        );
        assert!(
            m.dedupe_key.starts_with(&format!("jawaban:{}:", c.id)),
            "{}",
            m.dedupe_key
        );
        assert!(m.body.contains(text) && m.body.contains(&c.tracking_code), "{}", m.body);
        assert!(m.subject.as_deref().unwrap().contains(&c.nomor_agenda));
        // Sending it again is refused by the life cycle: still one message.
        assert_eq!(petugas.post(&format!("{page}/jawaban"), &[("isi", text)]).await.0, 422);
        assert_eq!(store.outbox_for_complaint(c.id).await.unwrap().len(), 1);

        // Auto-close: not before 10 working days, then exactly once.
        let jobs = tanggap::triage::jobs::TriageJobs::new(store.clone(), "instance-a".into());
        let pass = jobs.run_pass(Utc::now() + chrono::Duration::days(3)).await.unwrap();
        assert!(pass.auto_close_ran);
        assert_eq!(pass.closed, 0);
        assert_eq!(status_of(&f, c.id).await, "dijawab");
        let later = Utc::now() + chrono::Duration::days(30);
        let pass = jobs.run_pass(later).await.unwrap();
        assert_eq!(pass.closed, 1);
        assert_eq!(status_of(&f, c.id).await, "selesai");
        let last = store.event_details(c.id).await.unwrap().pop().unwrap();
        assert_eq!(last.to_status.as_deref(), Some("selesai"));
        assert!(last.note.contains("Ditutup otomatis"), "{}", last.note);
        assert_eq!(jobs.run_pass(later).await.unwrap().closed, 0, "nothing left to close");
    }
);

on_both_databases!(a_reply_within_ten_working_days_reopens, |db: TestDb| async move {
    let f = fixture(db).await;
    let store = f.app.store.clone();
    let unit = store.unit_by_code("dinsos-uji").await.unwrap().unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(answered_email_complaint(&f, &format!("m{n}@warga.id")).await);
    }
    let reply = |id: i64, at: chrono::DateTime<Utc>, key: &str| ComplaintMessage {
        id: 0,
        complaint_id: id,
        direction: "in".into(),
        channel: "email".into(),
        at,
        sender: "siti@contoh.id".into(),
        subject: "Re".into(),
        body: "Belum cair juga.".into(),
        message_ref: Some(key.into()),
    };
    // A reply through intake reopens at once.
    let at = Utc::now() + chrono::Duration::hours(1);
    store
        .add_complaint_message(&reply(ids[0], at, "r0@warga.id"))
        .await
        .unwrap();
    assert!(
        tanggap::triage::answers::after_reply(store.as_ref(), &unit, ids[0], at)
            .await
            .unwrap()
    );
    assert_eq!(status_of(&f, ids[0]).await, "dibuka_kembali");
    // A reply after the window does not.
    let late = Utc::now() + chrono::Duration::days(25);
    store
        .add_complaint_message(&reply(ids[1], late, "r1@warga.id"))
        .await
        .unwrap();
    assert!(
        !tanggap::triage::answers::after_reply(store.as_ref(), &unit, ids[1], late)
            .await
            .unwrap()
    );
    assert_eq!(status_of(&f, ids[1]).await, "dijawab");
    // A reply in time that intake stored without reopening (a crash in between) is
    // reopened by the job instead of closed.
    store
        .add_complaint_message(&reply(ids[2], at, "r2@warga.id"))
        .await
        .unwrap();
    let jobs = tanggap::triage::jobs::TriageJobs::new(store.clone(), "instance-a".into());
    let pass = jobs.run_pass(Utc::now() + chrono::Duration::days(30)).await.unwrap();
    assert_eq!((pass.reopened, pass.closed), (1, 1), "{pass:?}");
    assert_eq!(status_of(&f, ids[2]).await, "dibuka_kembali");
    assert_eq!(status_of(&f, ids[1]).await, "selesai");
});

on_both_databases!(jobs_run_once_across_two_instances, |db: TestDb| async move {
    let url = db.url.clone();
    let f = fixture(db).await;
    // A second instance: its own connection pool on the same database.
    let second = tanggap::storage::connect(&url).await.unwrap();
    let first = f.app.store.clone();
    set_email(&url, f.petugas, "petugas@dinsos-uji.go.id").await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let c = first
            .record_complaint(&complaint(f.unit, Utc::now() - chrono::Duration::days(40)))
            .await
            .unwrap();
        let petugas = f.petugas;
        first
            .classify_complaint(&tanggap::storage::triage::Classification {
                unit_id: f.unit,
                complaint_id: c.id,
                klasifikasi: Klasifikasi::Pengaduan,
                jenis_id: None,
                service_id: None,
                division_id: None,
                bobot: Some(tanggap::domain::Bobot::Ringan),
                assignee_id: Some(petugas),
                first_answer_due_at: None,
                due_at: Some(Utc::now() - chrono::Duration::days(n + 1)),
                actor_id: None,
                at: Utc::now(),
                note: String::new(),
            })
            .await
            .unwrap()
            .unwrap();
        ids.push(c.id);
    }
    let a = tanggap::triage::jobs::TriageJobs::new(first.clone(), "instance-a".into());
    let b = tanggap::triage::jobs::TriageJobs::new(second.clone(), "instance-b".into());
    let now = Utc::now();
    let (pa, pb) = tokio::join!(a.run_pass(now), b.run_pass(now));
    let (pa, pb) = (pa.unwrap(), pb.unwrap());
    assert!(
        pa.sla_ran != pb.sla_ran,
        "exactly one instance ran the SLA job: {pa:?} {pb:?}"
    );
    assert!(pa.auto_close_ran != pb.auto_close_ran, "exactly one ran auto-close");
    assert_eq!(pa.notices + pb.notices, 4);
    assert_eq!(pa.assigned + pb.assigned, 4, "one assignment notice each (issue 19)");
    for id in &ids {
        let rows: Vec<_> = first
            .outbox_for_complaint(*id)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.dedupe_key.starts_with("sla:"))
            .collect();
        assert_eq!(rows.len(), 1, "one overdue notice for complaint {id}");
        assert!(rows[0].dedupe_key.starts_with("sla:terlambat:"));
        assert_eq!(rows[0].recipient, "petugas@dinsos-uji.go.id");
    }
    // The lease holder runs again later; the dedupe keys keep it at one notice each.
    let holder = if pa.sla_ran { &a } else { &b };
    assert_eq!(
        holder
            .run_pass(now + chrono::Duration::minutes(1))
            .await
            .unwrap()
            .notices,
        0
    );
});

on_both_databases!(the_inbox_filters_searches_and_counts, |db: TestDb| async move {
    use tanggap::storage::triage::{InboxQuery, InboxSort};
    let f = fixture(db).await;
    let store = f.app.store.clone();
    let base = Utc.with_ymd_and_hms(2026, 10, 5, 2, 0, 0).unwrap();
    let subjects = [
        ("Antrean loket sangat panjang", "Saya menunggu tiga jam di loket."),
        ("Petugas tidak ramah", "Petugas membentak warga di antrean."),
        ("Biaya tidak resmi", "Diminta uang untuk mempercepat izin usaha."),
        ("Kartu belum jadi", "Sudah sebulan kartu belum selesai."),
    ];
    let mut ids = Vec::new();
    for (i, (subject, description)) in subjects.iter().enumerate() {
        let c = store
            .record_complaint(&NewComplaint {
                subject: (*subject).into(),
                description: (*description).into(),
                channel: if i % 2 == 0 { Channel::Website } else { Channel::Sms },
                ..complaint(f.unit, base + chrono::Duration::days(i as i64 * 10))
            })
            .await
            .unwrap();
        ids.push(c.id);
    }
    let classify = |id: i64, bobot, due: i64| tanggap::storage::triage::Classification {
        unit_id: f.unit,
        complaint_id: id,
        klasifikasi: Klasifikasi::Pengaduan,
        jenis_id: None,
        service_id: None,
        division_id: Some(f.division),
        bobot: Some(bobot),
        assignee_id: Some(f.petugas),
        first_answer_due_at: None,
        due_at: Some(Utc::now() + chrono::Duration::days(due)),
        actor_id: None,
        at: Utc::now(),
        note: String::new(),
    };
    use tanggap::domain::Bobot;
    store
        .classify_complaint(&classify(ids[0], Bobot::Sedang, 5))
        .await
        .unwrap()
        .unwrap();
    store
        .classify_complaint(&classify(ids[1], Bobot::Ringan, -2))
        .await
        .unwrap()
        .unwrap();
    store
        .classify_complaint(&classify(ids[2], Bobot::Berat, 1))
        .await
        .unwrap()
        .unwrap();
    store
        .move_complaint(&StatusMove {
            unit_id: f.unit,
            complaint_id: ids[3],
            to: ComplaintStatus::Terverifikasi,
            actor_id: None,
            note: String::new(),
            at: Utc::now(),
            expected_from: None,
            notify: Vec::new(),
        })
        .await
        .unwrap()
        .unwrap();
    let q = InboxQuery {
        now: Utc::now(),
        limit: 50,
        ..Default::default()
    };
    let subjects_of = |page: &tanggap::storage::triage::InboxPage| -> Vec<String> {
        page.rows.iter().map(|r| r.summary.subject.clone()).collect()
    };
    // Full text on subject and description, word prefixes, any case.
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                text: Some("ANTRE".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    let mut found = subjects_of(&page);
    found.sort();
    assert_eq!(found, vec!["Antrean loket sangat panjang", "Petugas tidak ramah"]);
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                text: Some("izin usaha".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(subjects_of(&page), vec!["Biaya tidak resmi"]);
    // Two letters are a word begun too (SQLite scans the terms that begin with them:
    // there are no prefix indexes since migration 0008).
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                text: Some("iz".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert!(
        subjects_of(&page).contains(&"Biaya tidak resmi".to_owned()),
        "{:?}",
        subjects_of(&page)
    );
    assert!(!subjects_of(&page).contains(&"Petugas tidak ramah".to_owned()));
    // Search syntax in the text is taken as words, never as a query.
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                text: Some("kartu\" * (".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert!(subjects_of(&page).contains(&"Kartu belum jadi".to_owned()));
    // Filters.
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                channel: Some("sms".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 2);
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                bobot: Some("berat".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(subjects_of(&page), vec!["Biaya tidak resmi"]);
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                overdue: true,
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(subjects_of(&page), vec!["Petugas tidak ramah"]);
    assert!(page.rows[0].overdue);
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                assignee_id: Some(f.petugas),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 3);
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                from: Some(base + chrono::Duration::days(5)),
                to: Some(base + chrono::Duration::days(25)),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 2);
    // Sort by deadline: nearest first, none last.
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                sort: InboxSort::Due,
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        subjects_of(&page),
        vec![
            "Petugas tidak ramah",
            "Biaya tidak resmi",
            "Antrean loket sangat panjang",
            "Kartu belum jadi"
        ]
    );
    // Counts per status over the other filters.
    let page = store
        .inbox(
            f.unit,
            &InboxQuery {
                status: Some("terverifikasi".into()),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(
        page.status_counts,
        vec![("diterima".to_owned(), 3), ("terverifikasi".to_owned(), 1)]
    );
    // The staff page: filters in the URL, the overdue flag shown.
    let petugas = f.app.login("petugas", PASSWORD).await;
    let (code, _, html) = petugas.get("/staf/dinsos-uji/pengaduan?q=antrean&urut=tenggat").await;
    assert_eq!(code, 200);
    assert!(
        html.contains("Antrean loket sangat panjang") && !html.contains("Kartu belum jadi"),
        "{html}"
    );
    let (_, _, html) = petugas.get("/staf/dinsos-uji/pengaduan?terlambat=1").await;
    assert!(
        html.contains("Petugas tidak ramah") && html.contains("Terlambat"),
        "{html}"
    );
    assert!(!html.contains("Biaya tidak resmi"));
});

on_both_databases!(
    duplicates_are_suggested_and_merged_keeping_both_histories,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let received = Utc::now() - chrono::Duration::days(3);
        let first = store
            .record_complaint(&NewComplaint {
                subject: "Jalan rusak di depan kantor kelurahan".into(),
                description: "Lubang besar membahayakan pengendara.".into(),
                complainant: Complainant {
                    phone: Some("081234567890".into()),
                    ..Default::default()
                },
                ..complaint(f.unit, received)
            })
            .await
            .unwrap();
        let same_contact = store
            .record_complaint(&NewComplaint {
                subject: "Mohon tindak lanjut".into(),
                description: "Belum ada perbaikan.".into(),
                complainant: Complainant {
                    phone: Some("081234567890".into()),
                    ..Default::default()
                },
                ..complaint(f.unit, received + chrono::Duration::hours(5))
            })
            .await
            .unwrap();
        let similar_text = store
            .record_complaint(&NewComplaint {
                subject: "Jalan rusak dekat kelurahan".into(),
                description: "Sudah dua minggu tidak diperbaiki.".into(),
                complainant: Complainant::default(),
                ..complaint(f.unit, received + chrono::Duration::hours(6))
            })
            .await
            .unwrap();
        let unrelated = store
            .record_complaint(&NewComplaint {
                subject: "Petugas loket tidak ramah".into(),
                description: "Dibentak saat bertanya.".into(),
                complainant: Complainant::default(),
                ..complaint(f.unit, received + chrono::Duration::hours(7))
            })
            .await
            .unwrap();
        let found = store.duplicate_candidates(f.unit, first.id, 5, true).await.unwrap();
        let ids: Vec<(i64, &str)> = found.iter().map(|d| (d.complaint_id, d.reason.as_str())).collect();
        assert!(ids.contains(&(same_contact.id, "kontak")), "{ids:?}");
        assert!(ids.contains(&(similar_text.id, "teks")), "{ids:?}");
        assert!(!ids.iter().any(|(id, _)| *id == unrelated.id), "{ids:?}");
        assert_eq!(ids[0], (same_contact.id, "kontak"), "same contact first");

        // The page suggests them; merging archives the duplicate and keeps both cards.
        let petugas = f.app.login("petugas", PASSWORD).await;
        let (_, _, html) = petugas
            .get(&format!("/staf/dinsos-uji/pengaduan/{}", similar_text.id))
            .await;
        assert!(
            html.contains("Kemungkinan pengaduan ganda") && html.contains(&first.nomor_agenda),
            "{html}"
        );
        let target = first.id.to_string();
        let (code, location, body) = petugas
            .post(
                &format!("/staf/dinsos-uji/pengaduan/{}/gabung", similar_text.id),
                &[("ke", &target)],
            )
            .await;
        assert_eq!(code, 303, "{body}");
        assert_eq!(location, Some(format!("/staf/dinsos-uji/pengaduan/{}", first.id)));
        let merged = store.triage_state(f.unit, similar_text.id).await.unwrap().unwrap();
        assert_eq!(merged.status, "diarsipkan");
        assert_eq!(merged.merged_into_id, Some(first.id));
        let dup_events = store.complaint_events(similar_text.id).await.unwrap();
        assert_eq!(dup_events[0].kind, "diterima", "the duplicate's history is kept");
        assert_eq!(dup_events.last().unwrap().kind, "gabung");
        assert!(
            store
                .complaint_events(first.id)
                .await
                .unwrap()
                .iter()
                .any(|e| e.kind == "gabung")
        );
        assert_eq!(
            store.merged_from(first.id).await.unwrap(),
            vec![(similar_text.id, similar_text.nomor_agenda.clone())]
        );
        let (_, _, html) = petugas.get(&format!("/staf/dinsos-uji/pengaduan/{}", first.id)).await;
        assert!(
            html.contains(&similar_text.nomor_agenda),
            "the target links the merged one"
        );
        // A merged (archived) complaint cannot be merged again, nor into itself.
        let again = store
            .merge_complaints(f.unit, similar_text.id, same_contact.id, None, Utc::now())
            .await
            .unwrap();
        assert!(again.is_err());
        assert!(
            store
                .merge_complaints(f.unit, first.id, first.id, None, Utc::now())
                .await
                .unwrap()
                .is_err()
        );
        // Nor into a complaint of another unit.
        let (code, _, _) = petugas
            .post(
                &format!("/staf/dinsos-uji/pengaduan/{}/gabung", unrelated.id),
                &[("ke", "999999")],
            )
            .await;
        assert_eq!(code, 404);
        assert_eq!(status_of(&f, unrelated.id).await, "diterima");
    }
);

on_both_databases!(
    integrations_move_complaints_through_the_same_life_cycle,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let c = store
            .record_complaint(&complaint(f.unit, Utc::now() - chrono::Duration::hours(2)))
            .await
            .unwrap();
        let writer = "rahasia-token-tulis-0123456789";
        let reader = "rahasia-token-baca-0123456789";
        store
            .create_api_token(
                f.unit,
                "lapor-liaison",
                &tanggap::auth::hash_secret(writer),
                &["complaints:write".into()],
                None,
            )
            .await
            .unwrap();
        store
            .create_api_token(
                f.unit,
                "dasbor",
                &tanggap::auth::hash_secret(reader),
                &["complaints:read".into()],
                None,
            )
            .await
            .unwrap();
        let url = format!("{}/api/v1/units/dinsos-uji/complaints/{}/status", f.app.address, c.id);
        let post = |token: &'static str, body: serde_json::Value| {
            let client = f.app.client.clone();
            let url = url.clone();
            async move {
                let r = client.post(&url).bearer_auth(token).json(&body).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<serde_json::Value>().await.unwrap_or_default())
            }
        };
        let (code, body) = post(writer, serde_json::json!({"to": "selesai"})).await;
        assert_eq!(code, 422, "{body}");
        assert_eq!(body["error"]["code"], "illegal_move");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("tidak dapat diubah"),
            "{body}"
        );
        assert_eq!(status_of(&f, c.id).await, "diterima");
        let (code, _) = post(reader, serde_json::json!({"to": "terverifikasi"})).await;
        assert_eq!(code, 403, "a read-only token cannot move");
        let (code, body) = post(writer, serde_json::json!({"to": "terverifikasi", "note": "Lengkap"})).await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["status"], "terverifikasi");
        let last = store.event_details(c.id).await.unwrap().pop().unwrap();
        assert_eq!(last.actor_id, None);
        assert_eq!(last.note, "Lengkap [API: lapor-liaison]");
        let (code, _) = post(writer, serde_json::json!({"to": "bogus"})).await;
        assert_eq!(code, 422);
    }
);

on_both_databases!(templates_letters_and_the_unit_control_card, |db: TestDb| async move {
    let f = fixture(db).await;
    let store = f.app.store.clone();
    let c = store
        .record_complaint(&NewComplaint {
            channel: Channel::KotakSaran,
            complainant: Complainant {
                name: Some("Pak Darto".into()),
                address: Some("Jl. Sudirman 12, Dumai".into()),
                ..Default::default()
            },
            ..complaint(f.unit, Utc::now() - chrono::Duration::days(2))
        })
        .await
        .unwrap();
    let page = format!("/staf/dinsos-uji/pengaduan/{}", c.id);
    let petugas = f.app.login("petugas", PASSWORD).await;
    // Classified ringan and disposed: it can be answered straight away.
    let division = f.division.to_string();
    petugas
        .post(
            &format!("{page}/klasifikasi"),
            &[("klasifikasi", "pengaduan"), ("bidang", &division), ("bobot", "ringan")],
        )
        .await;
    for to in ["terverifikasi", "didisposisikan"] {
        assert_eq!(petugas.post(&format!("{page}/status"), &[("to", to)]).await.0, 303);
    }
    // A template with placeholders, used to start the answer.
    let (code, _, body) = petugas
        .post(
            "/staf/dinsos-uji/templat-jawaban",
            &[
                ("nama", "Sudah ditindaklanjuti"),
                (
                    "isi",
                    "Yth. {nama}, pengaduan {nomor_agenda} ({perihal}) sudah kami tindak lanjuti.",
                ),
            ],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let (code, _, body) = petugas
        .post("/staf/dinsos-uji/templat-jawaban", &[("nama", "Kosong"), ("isi", " ")])
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("Isi templat wajib diisi"), "{body}");
    let template = store.answer_templates(f.unit).await.unwrap()[0].id;
    let (_, _, html) = petugas.get(&format!("{page}?templat={template}")).await;
    let expected = format!(
        "Yth. Pak Darto, pengaduan {} (Bantuan sosial belum cair) sudah kami tindak lanjuti.",
        c.nomor_agenda
    );
    assert!(html.contains(&expected), "the template is filled in: {html}");
    assert!(
        html.contains("surat balasan berkop unit"),
        "a drop-box answer goes back as a letter"
    );

    // Answer it (ringan, straight from disposition) and print the letter.
    assert_eq!(
        petugas.post(&format!("{page}/jawaban"), &[("isi", &expected)]).await.0,
        303
    );
    assert!(
        store.outbox_for_complaint(c.id).await.unwrap().is_empty(),
        "a letter is printed, not queued"
    );
    let (code, _, letter) = petugas.get(&format!("{page}/surat-jawaban")).await;
    assert_eq!(code, 200);
    assert!(
        letter.contains("Dinas Sosial dinsos-uji") && letter.contains(&expected) && letter.contains("Jl. Sudirman 12"),
        "{letter}"
    );
    // The same letter typeset as a PDF for signing: it renders, and says the answer.
    let (code, content_type, pdf) = petugas.get_bytes(&format!("{page}/surat-jawaban.pdf")).await;
    assert_eq!((code, content_type.as_str()), (200, "application/pdf"));
    assert!(pdf.starts_with(b"%PDF-"), "a PDF file");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("surat.pdf");
    std::fs::write(&file, &pdf).unwrap();
    crate::reports::assert_pages_non_blank(&file);
    match std::process::Command::new("pdftotext").arg(&file).arg("-").output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(text.contains(&c.nomor_agenda), "{text}");
            assert!(text.contains("sudah kami tindak lanjuti"), "{text}");
            assert!(text.contains("Pak Darto") || text.contains("Jl. Sudirman 12"), "{text}");
        }
        Err(e) => assert!(!tanggap_tests::in_ci(), "pdftotext is required in CI: {e}"),
    }
    let (_, _, html) = petugas.get(&page).await;
    assert!(html.contains("letter-link"));
    assert!(html.contains("letter-pdf-link"));

    // The unit's control card: median time per status over its complaints.
    let auditor = f.app.login("auditor", PASSWORD).await;
    let (code, _, card) = auditor.get("/staf/dinsos-uji/kartu-kendali").await;
    assert_eq!(code, 200);
    for label in ["Diterima", "Terverifikasi", "Didisposisikan", "Dijawab"] {
        assert!(card.contains(label), "{label} in {card}");
    }
    assert!(card.contains("id=\"steps\""));
});

/// The answer to an email complaint leaves through the real outbox sender and SMTP
/// (aiosmtpd) as a reply in the complaint's thread, and is recorded on the thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_leaves_over_smtp_in_the_complaints_thread() {
    use tanggap::notify::settings::{EmailSettings, ImapSettings, Security, SmtpSettings};
    let Some(servers) = tanggap_tests::mail::MailServers::start() else {
        return;
    };
    let f = fixture(TestDb::sqlite().await).await;
    let store = f.app.store.clone();
    let settings = EmailSettings {
        imap: ImapSettings {
            host: "127.0.0.1".into(),
            port: servers.imap_port,
            security: Security::Plain,
            user: tanggap_tests::mail::MAILBOX_USER.into(),
            password: tanggap_tests::mail::MAILBOX_PASSWORD.into(),
            folder: "INBOX".into(),
            poll_seconds: 60,
        },
        smtp: SmtpSettings {
            host: "127.0.0.1".into(),
            port: servers.smtp_port,
            security: Security::Plain,
            user: String::new(),
            password: String::new(),
        },
        from_address: tanggap_tests::mail::MAILBOX_USER.into(),
        from_name: "Pengaduan Dinas Sosial".into(),
    };
    store
        .set_channel_settings(&ChannelSettings {
            unit_id: f.unit,
            channel: "email".into(),
            config: serde_json::to_value(&settings).unwrap(),
            enabled: true,
        })
        .await
        .unwrap();
    let c = store
        .record_complaint(&email_complaint(
            f.unit,
            Utc::now() - chrono::Duration::hours(3),
            "keluhan-77@warga.test",
        ))
        .await
        .unwrap();
    let page = format!("/staf/dinsos-uji/pengaduan/{}", c.id);
    let petugas = f.app.login("petugas", PASSWORD).await;
    let division = f.division.to_string();
    petugas
        .post(
            &format!("{page}/klasifikasi"),
            &[("klasifikasi", "pengaduan"), ("bidang", &division), ("bobot", "ringan")],
        )
        .await;
    for to in ["terverifikasi", "didisposisikan"] {
        assert_eq!(petugas.post(&format!("{page}/status"), &[("to", to)]).await.0, 303);
    }
    let text = "Loket tambahan dibuka mulai Senin.";
    assert_eq!(petugas.post(&format!("{page}/jawaban"), &[("isi", text)]).await.0, 303);

    let sender = tanggap::notify::OutboxSender::new(store.clone(), tanggap::notify::SenderOptions::default());
    assert_eq!(sender.run_pass(Utc::now()).await.unwrap().sent, 1);
    let sent = servers.wait_for_sent(1).await;
    assert_eq!(sent.len(), 1, "the answer reached the SMTP server");
    let mail = mail_parser::MessageParser::default().parse(&sent[0]).unwrap();
    assert_eq!(mail.in_reply_to().as_text(), Some("keluhan-77@warga.test"));
    assert_eq!(mail.to().unwrap().first().unwrap().address(), Some("siti@contoh.id"));
    assert!(mail.subject().unwrap().contains(&c.nomor_agenda));
    let body = mail.body_text(0).unwrap().into_owned();
    assert!(body.contains(text) && body.contains(&c.tracking_code), "{body}");
    // Recorded on the thread with its Message-ID, so the complainant's reply threads.
    let thread = store.complaint_messages(c.id).await.unwrap();
    let out = thread
        .iter()
        .find(|m| m.direction == "out")
        .expect("the answer on the thread");
    assert_eq!(out.message_ref.as_deref(), mail.message_id());
    // A second pass sends nothing more.
    assert_eq!(sender.run_pass(Utc::now()).await.unwrap().sent, 0);
    assert_eq!(servers.wait_for_sent(2).await.len(), 1);
}

/// An email complaint of the fixture's unit, answered (the `dijawab` status) now.
async fn answered_email_complaint(f: &Fixture, message_id: &str) -> i64 {
    let store = &f.app.store;
    let c = store
        .record_complaint(&email_complaint(
            f.unit,
            Utc::now() - chrono::Duration::days(1),
            message_id,
        ))
        .await
        .unwrap();
    tanggap_tests::answer_complaint(
        store.as_ref(),
        f.unit,
        c.id,
        Some(f.division),
        None,
        Some(f.petugas),
        Utc::now(),
    )
    .await;
    c.id
}

/// A reply in a complaint's email thread, as the mailbox would hand it over.
fn thread_mail(from: &str, message_id: &str, in_reply_to: &str, extra_headers: &str) -> Vec<u8> {
    thread_mail_dated(
        from,
        message_id,
        in_reply_to,
        extra_headers,
        Utc::now() + chrono::Duration::minutes(2),
    )
}

/// The same with the sender's own `Date:` header.
fn thread_mail_dated(
    from: &str,
    message_id: &str,
    in_reply_to: &str,
    extra_headers: &str,
    date: chrono::DateTime<Utc>,
) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: pengaduan@dinsos-uji.go.id\r\nSubject: Re: pengaduan\r\n\
         Message-ID: <{message_id}>\r\nIn-Reply-To: <{in_reply_to}>\r\n{extra_headers}\
         Date: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Bantuannya belum cair juga.\r\n",
        date.to_rfc2822()
    )
    .into_bytes()
}

on_both_databases!(
    only_the_complainants_own_reply_through_the_mailbox_reopens,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let unit = store.unit_by_code("dinsos-uji").await.unwrap().unwrap();
        let intake = tanggap::intake::email::EmailIntake::new(store.clone(), None, "uji".into());
        let settings = tanggap::notify::settings::EmailSettings::default();
        let id = answered_email_complaint(&f, "asal-1@warga.id").await;
        let messages = |id| {
            let store = store.clone();
            async move { store.complaint_messages(id).await.unwrap().len() }
        };

        // An out-of-office answer from the complainant's own address: kept, no reopen.
        let auto = thread_mail(
            "Siti <siti@contoh.id>",
            "auto-1@contoh.id",
            "asal-1@warga.id",
            "Auto-Submitted: auto-replied\r\n",
        );
        intake.ingest(&unit, &settings, &auto, "uid-1").await.unwrap();
        assert_eq!(messages(id).await, 1, "the auto-reply is on the thread");
        assert_eq!(status_of(&f, id).await, "dijawab");

        // Someone else writing into the thread: kept, no reopen.
        let stranger = thread_mail("orang@lain.id", "lain-1@lain.id", "asal-1@warga.id", "");
        intake.ingest(&unit, &settings, &stranger, "uid-2").await.unwrap();
        assert_eq!(messages(id).await, 2);
        assert_eq!(status_of(&f, id).await, "dijawab");

        // The complainant's own reply: reopens. Its Date header (a slow clock) is before
        // the answer; what counts is when it reached us.
        let own = thread_mail_dated(
            "Siti <SITI@contoh.id>",
            "balas-1@contoh.id",
            "asal-1@warga.id",
            "",
            Utc::now() - chrono::Duration::days(3),
        );
        intake.ingest(&unit, &settings, &own, "uid-3").await.unwrap();
        assert_eq!(status_of(&f, id).await, "dibuka_kembali");

        // The auto-close job does not count a stranger's mail as the complainant's reply.
        let other = answered_email_complaint(&f, "asal-2@warga.id").await;
        let stranger = thread_mail("orang@lain.id", "lain-2@lain.id", "asal-2@warga.id", "");
        intake.ingest(&unit, &settings, &stranger, "uid-4").await.unwrap();
        let jobs = tanggap::triage::jobs::TriageJobs::new(store.clone(), "uji".into());
        let pass = jobs.run_pass(Utc::now() + chrono::Duration::days(30)).await.unwrap();
        assert_eq!((pass.reopened, pass.closed), (0, 1), "{pass:?}");
        assert_eq!(status_of(&f, other).await, "selesai");
    }
);
