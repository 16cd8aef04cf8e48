//! The working-day calendar across units (issue 17): the national holidays and cuti
//! bersama belong to the system-level role, a unit keeps only its own days off, and
//! every clock of a unit (due dates, auto-close) counts the national days with that
//! unit's own and nothing of another unit. On both databases, through the pages.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tanggap::domain::Role;
use tanggap::storage::model::*;
use tanggap::triage::calendar::{UnitCalendar, zone_of};
use tanggap_tests::{Actor, TestApp, TestDb, on_both_databases, spawn_app};

const PASSWORD: &str = "kata-sandi-uji-123";

/// Two units (both WIB), an admin and a petugas in each, a division in each, and a
/// system administrator who works in no unit.
struct Fixture {
    app: TestApp,
    a: i64,
    b: i64,
    division_a: i64,
    division_b: i64,
}

fn new_unit(code: &str, city: &str) -> NewUnit {
    NewUnit {
        name: format!("Dinas Sosial {city}"),
        city: city.into(),
        ..tanggap_tests::test_unit(code)
    }
}

async fn fixture(db: TestDb) -> Fixture {
    let store = db.store.clone();
    let a = store.create_unit(&new_unit("dinsos-a", "Lubuklinggau")).await.unwrap();
    let b = store.create_unit(&new_unit("dinsos-b", "Dumai")).await.unwrap();
    let division_a = store.create_division(a, "Bidang A").await.unwrap();
    let division_b = store.create_division(b, "Bidang B").await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    for (name, roles) in [
        ("admin_a", vec![(a, Role::Admin)]),
        ("petugas_a", vec![(a, Role::Petugas)]),
        ("admin_b", vec![(b, Role::Admin)]),
        ("petugas_b", vec![(b, Role::Petugas)]),
        ("sistem", vec![]),
    ] {
        let id = store
            .create_user(&NewUser {
                username: name.into(),
                full_name: format!("Pak {name}"),
                password_hash: hash.clone(),
                roles,
            })
            .await
            .unwrap();
        if name == "sistem" {
            store.set_system_admin(id, true).await.unwrap();
        }
    }
    Fixture {
        app: spawn_app(db).await,
        a,
        b,
        division_a,
        division_b,
    }
}

fn complaint(unit_id: i64, received_at: DateTime<Utc>) -> NewComplaint {
    tanggap_tests::test_complaint(unit_id, received_at)
}

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, day).unwrap()
}

/// Monday 2 November 2026, 09:00 WIB: no national holiday that month, so a ringan
/// complaint is due for its first answer on Tuesday the 3rd and resolved on Monday
/// the 9th.
fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap()
}

/// Classifies a complaint ringan through the page (the deadlines are computed there)
/// and returns its (first answer, resolution) due days in WIB.
async fn ringan_due(f: &Fixture, petugas: &Actor, unit_code: &str, unit_id: i64, id: i64) -> (NaiveDate, NaiveDate) {
    let (code, _, body) = petugas
        .post(
            &format!("/staf/{unit_code}/pengaduan/{id}/klasifikasi"),
            &[("klasifikasi", "pengaduan"), ("bobot", "ringan")],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let t = f.app.store.triage_state(unit_id, id).await.unwrap().unwrap();
    let cal = UnitCalendar::new(zone_of("Asia/Jakarta"), &[]);
    (
        cal.local_date(t.first_answer_due_at.expect("ringan has a first-answer target")),
        cal.local_date(t.due_at.expect("a resolution target")),
    )
}

/// The unit's audit actions that concern the calendar.
async fn calendar_audit(f: &Fixture, unit_id: i64) -> Vec<(String, String)> {
    f.app
        .store
        .list_audit(unit_id, 100, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("holiday.") || e.action.starts_with("unit_day_off."))
        .map(|e| (e.action, e.entity_id))
        .collect()
}

/// Audit entries with `action`: (without a unit, with a unit).
async fn audit_counts(f: &Fixture, action: &str) -> (i64, i64) {
    let url = f.app._db_url();
    let sql = "SELECT COALESCE(SUM(CASE WHEN unit_id IS NULL THEN 1 ELSE 0 END), 0), \
               COALESCE(SUM(CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END), 0) FROM audit_log WHERE action = $1";
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query_as(sql).bind(action).fetch_one(&pool).await.unwrap()
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query_as(sql).bind(action).fetch_one(&pool).await.unwrap()
    }
}

// The reproduction: the Lubuklinggau admin used the (then national) holiday form and
// moved Dumai's deadlines. Uses only what the base commit had, so it can be run there.
on_both_databases!(
    a_unit_admin_cannot_change_the_national_calendar,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let admin_a = f.app.login("admin_a", PASSWORD).await;
        let petugas_b = f.app.login("petugas_b", PASSWORD).await;
        // The old national form, posted by unit A's admin.
        let (code, _, body) = admin_a
            .post(
                "/staf/dinsos-a/hari-libur",
                &[
                    ("tanggal", "2026-11-03"),
                    ("nama", "Libur pilkada"),
                    ("jenis", "libur_nasional"),
                    ("sumber", "Keppres uji"),
                ],
            )
            .await;
        assert!(code == 303 || code == 403 || code == 422, "{code}: {body}");
        assert!(
            store.list_holidays(d(11, 3), d(11, 3)).await.unwrap().is_empty(),
            "a unit admin changed the national calendar"
        );
        // Unit B's deadlines do not move: due the 3rd and the 9th as without any day off.
        let c = store.record_complaint(&complaint(f.b, monday())).await.unwrap();
        assert_eq!(
            ringan_due(&f, &petugas_b, "dinsos-b", f.b, c.id).await,
            (d(11, 3), d(11, 9))
        );
        // Nor can the unit admin remove a national day (Idul Fitri cuti bersama).
        let (code, _, body) = admin_a
            .post("/staf/dinsos-a/hari-libur/hapus", &[("tanggal", "2026-03-20")])
            .await;
        assert_eq!(code, 422, "{body}");
        assert!(body.contains("hanya administrator sistem"), "{body}");
        assert_eq!(store.list_holidays(d(3, 20), d(3, 20)).await.unwrap().len(), 1);
        // Unit B's audit log records nothing of unit A's calendar.
        let audit_b: Vec<String> = store
            .list_audit(f.b, 100, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a.contains("holiday") || a.contains("day_off"))
            .collect();
        assert!(audit_b.is_empty(), "{audit_b:?}");
    }
);

on_both_databases!(
    a_unit_day_off_moves_only_that_units_due_dates,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let admin_a = f.app.login("admin_a", PASSWORD).await;
        let petugas_a = f.app.login("petugas_a", PASSWORD).await;
        let petugas_b = f.app.login("petugas_b", PASSWORD).await;
        let ca = store.record_complaint(&complaint(f.a, monday())).await.unwrap();
        let cb = store.record_complaint(&complaint(f.b, monday())).await.unwrap();
        // Without the day off.
        assert_eq!(
            ringan_due(&f, &petugas_a, "dinsos-a", f.a, ca.id).await,
            (d(11, 3), d(11, 9))
        );

        // Bad input: a clear error, nothing stored.
        let (code, _, body) = admin_a
            .post("/staf/dinsos-a/hari-libur", &[("tanggal", "03-11-2026"), ("nama", "x")])
            .await;
        assert_eq!(code, 422);
        assert!(body.contains("TTTT-BB-HH"), "{body}");
        let (code, _, body) = admin_a
            .post("/staf/dinsos-a/hari-libur", &[("tanggal", "2026-11-03"), ("nama", " ")])
            .await;
        assert_eq!(code, 422);
        assert!(body.contains("wajib diisi"), "{body}");
        assert!(store.unit_days_off(f.a, d(1, 1), d(12, 31)).await.unwrap().is_empty());

        // Unit A closes its office on Tuesday the 3rd.
        let (code, location, body) = admin_a
            .post(
                "/staf/dinsos-a/hari-libur",
                &[("tanggal", "2026-11-03"), ("nama", "Hari jadi Kota Lubuklinggau")],
            )
            .await;
        assert_eq!(code, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/staf/dinsos-a/hari-libur?tahun=2026"));
        assert_eq!(
            ringan_due(&f, &petugas_a, "dinsos-a", f.a, ca.id).await,
            (d(11, 4), d(11, 10)),
            "unit A's deadlines skip its day off"
        );
        assert_eq!(
            ringan_due(&f, &petugas_b, "dinsos-b", f.b, cb.id).await,
            (d(11, 3), d(11, 9)),
            "unit B's do not"
        );
        assert!(store.list_holidays(d(11, 3), d(11, 3)).await.unwrap().is_empty());
        assert_eq!(store.days_off(f.a, d(11, 1), d(11, 30)).await.unwrap(), vec![d(11, 3)]);
        assert!(store.days_off(f.b, d(11, 1), d(11, 30)).await.unwrap().is_empty());
        // The national days are counted for both (Idul Fitri 2026).
        for unit in [f.a, f.b] {
            assert_eq!(store.days_off(unit, d(3, 18), d(3, 24)).await.unwrap().len(), 7);
        }

        // The page shows the unit's day off (deletable) and the national ones (read-only).
        let (code, _, page) = admin_a.get("/staf/dinsos-a/hari-libur?tahun=2026").await;
        assert_eq!(code, 200);
        assert!(page.contains("Hari jadi Kota Lubuklinggau"), "{page}");
        assert!(
            page.contains("value=\"2026-11-03\""),
            "the unit's day has a delete form"
        );
        assert!(page.contains("Cuti bersama Idul Fitri 1447 Hijriah"), "{page}");
        assert!(
            !page.contains("value=\"2026-03-20\""),
            "no delete form for a national day"
        );
        let (_, _, page_b) = f
            .app
            .login("admin_b", PASSWORD)
            .await
            .get("/staf/dinsos-b/hari-libur?tahun=2026")
            .await;
        assert!(!page_b.contains("Lubuklinggau"), "unit B does not see unit A's day off");

        // Unit B's admin cannot touch it, through either unit's address.
        let admin_b = f.app.login("admin_b", PASSWORD).await;
        assert_eq!(
            admin_b
                .post("/staf/dinsos-a/hari-libur/hapus", &[("tanggal", "2026-11-03")])
                .await
                .0,
            403
        );
        assert_eq!(
            admin_b
                .post("/staf/dinsos-b/hari-libur/hapus", &[("tanggal", "2026-11-03")])
                .await
                .0,
            303
        );
        assert_eq!(store.unit_days_off(f.a, d(11, 3), d(11, 3)).await.unwrap().len(), 1);

        // Audited in unit A only.
        assert_eq!(
            calendar_audit(&f, f.a).await,
            vec![("unit_day_off.saved".to_owned(), "2026-11-03".to_owned())]
        );
        assert!(calendar_audit(&f, f.b).await.is_empty());

        // Deleting it makes the 3rd a working day of unit A again.
        let (code, _, _) = admin_a
            .post("/staf/dinsos-a/hari-libur/hapus", &[("tanggal", "2026-11-03")])
            .await;
        assert_eq!(code, 303);
        assert!(store.unit_days_off(f.a, d(1, 1), d(12, 31)).await.unwrap().is_empty());
        assert_eq!(
            ringan_due(&f, &petugas_a, "dinsos-a", f.a, ca.id).await,
            (d(11, 3), d(11, 9))
        );
        assert_eq!(calendar_audit(&f, f.a).await.len(), 2);
    }
);

on_both_databases!(
    the_national_calendar_belongs_to_the_system_admin,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let national = |day: NaiveDate| {
            let store = store.clone();
            async move { store.list_holidays(day, day).await.unwrap() }
        };
        let form = [
            ("tanggal", "2026-11-03"),
            ("nama", "Pemungutan suara pilkada serentak"),
            ("jenis", "libur_nasional"),
            ("sumber", "Keppres uji"),
        ];
        // Everyone else is refused: unit admins and petugas 403, visitors to the login.
        for name in ["admin_a", "admin_b", "petugas_a"] {
            let actor = f.app.login(name, PASSWORD).await;
            assert_eq!(actor.get("/sistem/hari-libur").await.0, 403, "{name}");
            assert_eq!(actor.post("/sistem/hari-libur", &form).await.0, 403, "{name}");
            assert_eq!(
                actor
                    .post("/sistem/hari-libur/hapus", &[("tanggal", "2026-03-20")])
                    .await
                    .0,
                403,
                "{name}"
            );
        }
        let anonymous = f.app.anonymous().await;
        let (code, location, _) = anonymous.get("/sistem/hari-libur").await;
        assert_eq!(code, 303);
        assert!(location.unwrap().starts_with("/masuk"));
        assert_eq!(anonymous.post("/sistem/hari-libur", &form).await.0, 303);
        assert!(national(d(11, 3)).await.is_empty());
        assert_eq!(national(d(3, 20)).await.len(), 1);

        let sistem = f.app.login("sistem", PASSWORD).await;
        let (code, _, page) = sistem.get("/sistem/hari-libur?tahun=2026").await;
        assert_eq!(code, 200);
        assert!(page.contains("Cuti bersama Idul Fitri 1447 Hijriah"), "{page}");
        // The same validation and messages as before.
        for (fields, message) in [
            (
                vec![("tanggal", "03-11-2026"), ("nama", "x"), ("jenis", "libur_nasional")],
                "TTTT-BB-HH",
            ),
            (
                vec![("tanggal", "2026-11-03"), ("nama", ""), ("jenis", "libur_nasional")],
                "wajib diisi",
            ),
            (
                vec![("tanggal", "2026-11-03"), ("nama", "x"), ("jenis", "libur_daerah")],
                "libur nasional atau cuti bersama",
            ),
        ] {
            let (code, _, body) = sistem.post("/sistem/hari-libur", &fields).await;
            assert_eq!(code, 422, "{fields:?}");
            assert!(body.contains(message), "{body}");
        }
        assert!(national(d(11, 3)).await.is_empty());

        // A national holiday moves both units' deadlines.
        let (code, location, body) = sistem.post("/sistem/hari-libur", &form).await;
        assert_eq!(code, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/sistem/hari-libur?tahun=2026"));
        assert_eq!(national(d(11, 3)).await.len(), 1);
        for (login, code, unit) in [("petugas_a", "dinsos-a", f.a), ("petugas_b", "dinsos-b", f.b)] {
            let c = store.record_complaint(&complaint(unit, monday())).await.unwrap();
            let petugas = f.app.login(login, PASSWORD).await;
            assert_eq!(ringan_due(&f, &petugas, code, unit, c.id).await, (d(11, 4), d(11, 10)));
        }
        // The unit page shows it read-only.
        let (_, _, page) = f
            .app
            .login("admin_a", PASSWORD)
            .await
            .get("/staf/dinsos-a/hari-libur?tahun=2026")
            .await;
        assert!(page.contains("Pemungutan suara pilkada serentak"), "{page}");
        assert!(
            !page.contains("value=\"2026-11-03\""),
            "no delete form for a national day"
        );

        // Audited once, at system level, and in no unit's log.
        assert_eq!(audit_counts(&f, "holiday.saved").await, (1, 0));
        assert!(calendar_audit(&f, f.a).await.is_empty());
        assert!(calendar_audit(&f, f.b).await.is_empty());

        let (code, _, _) = sistem
            .post("/sistem/hari-libur/hapus", &[("tanggal", "2026-11-03")])
            .await;
        assert_eq!(code, 303);
        assert!(national(d(11, 3)).await.is_empty());
        assert_eq!(audit_counts(&f, "holiday.deleted").await, (1, 0));
    }
);

/// A complaint of `unit` answered at `answered` (moved through the life cycle in the
/// store, as the answer form would).
async fn answered_complaint(f: &Fixture, unit: i64, division: i64, answered: DateTime<Utc>) -> i64 {
    let store = &f.app.store;
    let c = store
        .record_complaint(&complaint(unit, answered - chrono::Duration::days(3)))
        .await
        .unwrap();
    tanggap_tests::answer_complaint(store.as_ref(), unit, c.id, Some(division), None, None, answered).await;
    c.id
}

on_both_databases!(auto_close_counts_only_the_units_own_days_off, |db: TestDb| async move {
    let f = fixture(db).await;
    let store = f.app.store.clone();
    // Both answered Monday 2 November 2026, 10:00 WIB.
    let answered = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    let ca = answered_complaint(&f, f.a, f.division_a, answered).await;
    let cb = answered_complaint(&f, f.b, f.division_b, answered).await;
    // Unit A's office is closed on Wednesday the 4th.
    let admin_a = f.app.login("admin_a", PASSWORD).await;
    let (code, _, body) = admin_a
        .post(
            "/staf/dinsos-a/hari-libur",
            &[("tanggal", "2026-11-04"), ("nama", "Kantor tutup (banjir)")],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    let status = |unit: i64, id: i64| {
        let store = store.clone();
        async move { store.triage_state(unit, id).await.unwrap().unwrap().status }
    };
    // Tuesday the 17th: the 11th working day for unit B (closed), only the 10th for
    // unit A (still waiting for a reply).
    let jobs = tanggap::triage::jobs::TriageJobs::new(store.clone(), "uji".into());
    let pass = jobs
        .run_pass(Utc.with_ymd_and_hms(2026, 11, 17, 3, 0, 0).unwrap())
        .await
        .unwrap();
    assert_eq!(pass.closed, 1, "{pass:?}");
    assert_eq!(status(f.b, cb).await, "selesai");
    assert_eq!(status(f.a, ca).await, "dijawab");
    // A day later unit A's window has passed too.
    let pass = jobs
        .run_pass(Utc.with_ymd_and_hms(2026, 11, 18, 3, 0, 0).unwrap())
        .await
        .unwrap();
    assert_eq!(pass.closed, 1, "{pass:?}");
    assert_eq!(status(f.a, ca).await, "selesai");
});
