//! Staff hear what needs them (issue 19, part C): the holder is told of an
//! assignment and reminded before the deadline, by email or WhatsApp as chosen at
//! `/akun`, or not at all; a kepala dinas may take a daily digest instead. On both
//! databases, through the staff pages, the real triage job and the outbox rows it
//! leaves; the choice at `/akun` also in a real Chromium.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use fantoccini::Locator;
use tanggap::domain::{Bobot, ComplaintStatus, Klasifikasi, Role};
use tanggap::storage::Store;
use tanggap::storage::model::{NewComplaint, NewUser, RecordedComplaint};
use tanggap::storage::triage::{Classification, StatusMove};
use tanggap::triage::jobs::TriageJobs;
use tanggap_tests::{Browser, TestApp, TestDb, on_both_databases, spawn_app, test_complaint, test_unit};

const PASSWORD: &str = "kata-sandi-uji-123";

/// WIB, the units' zone (Asia/Jakarta: UTC+7, no daylight saving).
fn wib_zone() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap()
}

/// A moment given as a local time in WIB.
fn wib(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    wib_zone()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The end (23:59:59 WIB) of a day: how due dates are stored.
fn end_of(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    wib_zone()
        .with_ymd_and_hms(y, m, d, 23, 59, 59)
        .unwrap()
        .with_timezone(&Utc)
}

/// Two units (`dinas-a`, `dinas-b`) and their accounts:
/// - `petugas_a`, `petugas_a2`: petugas of A (only the first has an email address);
/// - `kabid`: kepala bidang of A (assigns);
/// - `kadis`: kepala dinas of A and petugas of B, with an email address;
/// - `campur`: petugas of A and of B.
struct Fixture {
    app: TestApp,
    url: String,
    a: i64,
    b: i64,
    petugas_a: i64,
    petugas_a2: i64,
    kadis: i64,
    campur: i64,
}

async fn fixture(db: TestDb) -> Fixture {
    let url = db.url.clone();
    let store = db.store.clone();
    let a = store.create_unit(&test_unit("dinas-a")).await.unwrap();
    let b = store.create_unit(&test_unit("dinas-b")).await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    let mut ids = BTreeMap::new();
    for (name, roles) in [
        ("petugas_a", vec![(a, Role::Petugas)]),
        ("petugas_a2", vec![(a, Role::Petugas)]),
        ("kabid", vec![(a, Role::KepalaBidang)]),
        ("kadis", vec![(a, Role::KepalaDinas), (b, Role::Petugas)]),
        ("campur", vec![(a, Role::Petugas), (b, Role::Petugas)]),
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
        ids.insert(name, id);
    }
    for (name, email) in [
        ("petugas_a", "petugas.a@dinas-a.go.id"),
        ("kadis", "kadis@dinas-a.go.id"),
        ("campur", "campur@dinas-a.go.id"),
    ] {
        assert!(store.set_user_email(ids[name], email).await.unwrap());
    }
    Fixture {
        app: spawn_app(db).await,
        url,
        a,
        b,
        petugas_a: ids["petugas_a"],
        petugas_a2: ids["petugas_a2"],
        kadis: ids["kadis"],
        campur: ids["campur"],
    }
}

async fn record(store: &dyn Store, unit: i64, subject: &str, rahasia: bool) -> RecordedComplaint {
    store
        .record_complaint(&NewComplaint {
            subject: subject.into(),
            rahasia,
            ..test_complaint(unit, wib(2026, 11, 2, 9, 0))
        })
        .await
        .unwrap()
}

/// Classifies through the store as `actor` would: holder and deadline, dated `at`.
async fn assign(
    store: &dyn Store,
    unit: i64,
    id: i64,
    holder: i64,
    due: Option<DateTime<Utc>>,
    actor: Option<i64>,
    at: DateTime<Utc>,
) {
    store
        .classify_complaint(&Classification {
            unit_id: unit,
            complaint_id: id,
            klasifikasi: Klasifikasi::Pengaduan,
            jenis_id: None,
            service_id: None,
            division_id: None,
            bobot: due.map(|_| Bobot::Ringan),
            assignee_id: Some(holder),
            first_answer_due_at: None,
            due_at: due,
            actor_id: actor,
            at,
            note: String::new(),
        })
        .await
        .unwrap()
        .unwrap();
}

/// One staff notice as the outbox holds it.
#[derive(Debug, Clone)]
struct Row {
    unit_id: Option<i64>,
    complaint_id: Option<i64>,
    channel: String,
    recipient: String,
    subject: Option<String>,
    body: String,
    headers: BTreeMap<String, String>,
    dedupe_key: String,
}

/// Every staff notice in the outbox (assignment, reminder, overdue, digest), in
/// queue order, read straight from the database.
async fn staff_rows(url: &str) -> Vec<Row> {
    type Raw = (
        Option<i64>,
        Option<i64>,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
    );
    const SQL: &str = "SELECT unit_id, complaint_id, channel, recipient, subject, body, headers, dedupe_key \
                       FROM outbox WHERE dedupe_key LIKE 'staff:%' OR dedupe_key LIKE 'sla:%' ORDER BY id";
    let raw: Vec<Raw> = tanggap_tests::fetch_rows(url, SQL).await;
    raw.into_iter()
        .map(
            |(unit_id, complaint_id, channel, recipient, subject, body, headers, dedupe_key)| Row {
                unit_id,
                complaint_id,
                channel,
                recipient,
                subject,
                body,
                headers: serde_json::from_str(&headers).unwrap(),
                dedupe_key,
            },
        )
        .collect()
}

fn with_prefix<'a>(rows: &'a [Row], prefix: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r.dedupe_key.starts_with(prefix)).collect()
}

/// Runs a statement on the test database (arranging what no page does).
async fn exec(url: &str, sql: &str, a: i64, b: i64) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).bind(a).bind(b).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql).bind(a).bind(b).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

on_both_databases!(
    the_holder_is_told_once_and_a_new_holder_is_told_again,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let c = record(store.as_ref(), f.a, "Lampu jalan mati di Jalan Merdeka", false).await;
        let page = format!("/staf/dinas-a/pengaduan/{}", c.id);
        let kabid = f.app.login("kabid", PASSWORD).await;
        let classify = |holder: i64| {
            let holder = holder.to_string();
            let kabid = &kabid;
            let page = page.clone();
            async move {
                let (code, _, body) = kabid
                    .post(
                        &format!("{page}/klasifikasi"),
                        &[("klasifikasi", "pengaduan"), ("petugas", holder.as_str())],
                    )
                    .await;
                assert_eq!(code, 303, "{body}");
            }
        };

        // Assigned to petugas_a: one email, right away, with the subject and the link.
        classify(f.petugas_a).await;
        let rows = staff_rows(&f.url).await;
        let told = with_prefix(&rows, "staff:ditugaskan:");
        assert_eq!(told.len(), 1, "{rows:?}");
        let n = told[0];
        assert_eq!(
            (n.channel.as_str(), n.recipient.as_str()),
            ("email", "petugas.a@dinas-a.go.id")
        );
        assert_eq!((n.unit_id, n.complaint_id), (Some(f.a), Some(c.id)));
        assert!(n.subject.as_deref().unwrap().contains(&c.nomor_agenda), "{n:?}");
        assert!(
            n.body.contains("Lampu jalan mati") && n.body.contains(&page),
            "{}",
            n.body
        );

        // The same holder again (a new bobot, say): nothing new. The job's catch-up
        // finds the notice queued already.
        classify(f.petugas_a).await;
        let jobs = TriageJobs::new(store.clone(), "instance-a".into());
        let pass = jobs.run_pass(Utc::now()).await.unwrap();
        assert!(pass.sla_ran);
        assert_eq!(pass.assigned, 0, "{pass:?}");
        assert_eq!(with_prefix(&staff_rows(&f.url).await, "staff:ditugaskan:").len(), 1);

        // Reassigned to kadis (a handling role in A; no digest chosen): kadis is told.
        classify(f.kadis).await;
        let rows = staff_rows(&f.url).await;
        let told = with_prefix(&rows, "staff:ditugaskan:");
        assert_eq!(told.len(), 2, "{rows:?}");
        assert_eq!(told[1].recipient, "kadis@dinas-a.go.id");

        // petugas_a takes it back themself: they know, nobody is told.
        let petugas = f.app.login("petugas_a", PASSWORD).await;
        let (code, _, body) = petugas
            .post(
                &format!("{page}/klasifikasi"),
                &[
                    ("klasifikasi", "pengaduan"),
                    ("petugas", f.petugas_a.to_string().as_str()),
                ],
            )
            .await;
        assert_eq!(code, 303, "{body}");
        assert_eq!(with_prefix(&staff_rows(&f.url).await, "staff:ditugaskan:").len(), 2);

        // An assignment the page did not notify (the API, or a crash after the
        // commit) is caught up by the job, once.
        let d = record(store.as_ref(), f.a, "Saluran air tersumbat", false).await;
        assign(store.as_ref(), f.a, d.id, f.campur, None, None, Utc::now()).await;
        let later = Utc::now() + chrono::Duration::minutes(2);
        assert_eq!(jobs.run_pass(later).await.unwrap().assigned, 1);
        assert_eq!(
            jobs.run_pass(later + chrono::Duration::minutes(1))
                .await
                .unwrap()
                .assigned,
            0
        );
        let rows = staff_rows(&f.url).await;
        let told = with_prefix(&rows, "staff:ditugaskan:");
        assert_eq!(told.len(), 3);
        assert_eq!(
            (told[2].recipient.as_str(), told[2].complaint_id),
            ("campur@dinas-a.go.id", Some(d.id))
        );
        // Assigned, then handed on before the job ran: only the holder of now is told.
        let e = record(store.as_ref(), f.a, "Taman kota kotor", false).await;
        let at = Utc::now();
        assign(store.as_ref(), f.a, e.id, f.campur, None, None, at).await;
        assign(store.as_ref(), f.a, e.id, f.petugas_a, None, None, at).await;
        assert_eq!(
            jobs.run_pass(later + chrono::Duration::minutes(2))
                .await
                .unwrap()
                .assigned,
            1
        );
        let rows = staff_rows(&f.url).await;
        let for_e: Vec<&Row> = rows.iter().filter(|r| r.complaint_id == Some(e.id)).collect();
        assert_eq!(for_e.len(), 1, "{for_e:?}");
        assert_eq!(for_e[0].recipient, "petugas.a@dinas-a.go.id");
    }
);

on_both_databases!(
    nothing_for_those_who_chose_nothing_and_whatsapp_keeps_rahasia_content_in,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let kabid = f.app.login("kabid", PASSWORD).await;
        let assign_by_page = |id: i64, holder: i64| {
            let kabid = &kabid;
            async move {
                let (code, _, body) = kabid
                    .post(
                        &format!("/staf/dinas-a/pengaduan/{id}/klasifikasi"),
                        &[("klasifikasi", "pengaduan"), ("petugas", holder.to_string().as_str())],
                    )
                    .await;
                assert_eq!(code, 303, "{body}");
            }
        };
        // petugas_a chooses nothing: an assignment and its deadline pass unannounced.
        let petugas = f.app.login("petugas_a", PASSWORD).await;
        let (code, _, body) = petugas.post("/akun/pemberitahuan", &[("cara", "tidak")]).await;
        assert_eq!(code, 303, "{body}");
        let quiet = record(store.as_ref(), f.a, "Trotoar rusak", false).await;
        assign_by_page(quiet.id, f.petugas_a).await;
        let jobs = TriageJobs::new(store.clone(), "instance-a".into());
        assign(
            store.as_ref(),
            f.a,
            quiet.id,
            f.petugas_a,
            Some(Utc::now() - chrono::Duration::days(1)),
            Some(f.petugas_a),
            Utc::now(),
        )
        .await;
        let pass = jobs.run_pass(Utc::now()).await.unwrap();
        assert_eq!((pass.assigned, pass.notices), (0, 0), "{pass:?}");
        assert!(staff_rows(&f.url).await.is_empty());

        // petugas_a2 chooses WhatsApp (written +62 ...): the notice goes there with
        // the staff template's headers.
        let a2 = f.app.login("petugas_a2", PASSWORD).await;
        let (code, _, body) = a2
            .post(
                "/akun/pemberitahuan",
                &[("cara", "whatsapp"), ("whatsapp", "+62 812-1111-2222")],
            )
            .await;
        assert_eq!(code, 303, "{body}");
        let open = record(store.as_ref(), f.a, "Sampah menumpuk di pasar", false).await;
        assign_by_page(open.id, f.petugas_a2).await;
        let secret = record(store.as_ref(), f.a, "Pungutan liar oleh oknum loket", true).await;
        assign_by_page(secret.id, f.petugas_a2).await;
        let rows = staff_rows(&f.url).await;
        assert_eq!(rows.len(), 2, "{rows:?}");
        for (row, c) in rows.iter().zip([&open, &secret]) {
            assert_eq!(row.channel, "whatsapp");
            assert_eq!(row.recipient, "081211112222");
            assert_eq!(row.subject, None);
            assert_eq!(row.headers.get("x-notice-kind").map(String::as_str), Some("staff"));
            let params: Vec<String> = serde_json::from_str(&row.headers["x-notice-params"]).unwrap();
            assert_eq!(params.len(), 3, "{params:?}");
            assert_eq!(params[0], c.nomor_agenda);
            assert!(params[2].ends_with(&format!("/staf/dinas-a/pengaduan/{}", c.id)));
            assert!(row.body.contains(&c.nomor_agenda));
        }
        assert!(rows[0].body.contains("Sampah menumpuk"), "{}", rows[0].body);
        // Rahasia: the nomor agenda and the link leave the app, the content does not.
        assert!(!rows[1].body.contains("Pungutan"), "{}", rows[1].body);
        assert!(!rows[1].headers["x-notice-params"].contains("Pungutan"));
        assert!(rows[1].body.contains("rahasia"), "{}", rows[1].body);
    }
);

on_both_databases!(
    a_reminder_once_per_deadline_on_the_units_calendar_and_for_the_holder_of_now,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let s = store.as_ref();
        let tuesday = wib(2026, 11, 3, 9, 0);
        // Due Thursday 5 November; due Monday 9 November; due Thursday but closed.
        let thu = record(s, f.a, "Izin usaha belum terbit", false).await;
        assign(s, f.a, thu.id, f.petugas_a, Some(end_of(2026, 11, 5)), None, tuesday).await;
        let mon = record(s, f.a, "Air PDAM keruh", false).await;
        assign(s, f.a, mon.id, f.petugas_a, Some(end_of(2026, 11, 9)), None, tuesday).await;
        let closed = record(s, f.a, "Sudah dijawab", false).await;
        tanggap_tests::answer_complaint(s, f.a, closed.id, None, Some(f.petugas_a), None, tuesday).await;
        assign(s, f.a, closed.id, f.petugas_a, Some(end_of(2026, 11, 5)), None, tuesday).await;
        store
            .move_complaint(&StatusMove {
                unit_id: f.a,
                complaint_id: closed.id,
                to: ComplaintStatus::Selesai,
                actor_id: None,
                note: String::new(),
                at: tuesday,
                expected_from: None,
                notify: Vec::new(),
            })
            .await
            .unwrap()
            .unwrap();

        let jobs = TriageJobs::new(store.clone(), "instance-a".into());
        // Wednesday 10:00: Thursday is one working day away, Monday three.
        let wednesday = wib(2026, 11, 4, 10, 0);
        assert_eq!(jobs.run_pass(wednesday).await.unwrap().notices, 1);
        let again = jobs.run_pass(wednesday + chrono::Duration::minutes(1)).await.unwrap();
        assert!(again.sla_ran);
        assert_eq!(again.notices, 0, "the job ran twice, the reminder went once");
        let rows = staff_rows(&f.url).await;
        let reminders = with_prefix(&rows, "sla:pengingat:");
        assert_eq!(reminders.len(), 1, "{rows:?}");
        assert_eq!(reminders[0].complaint_id, Some(thu.id));
        assert_eq!(reminders[0].recipient, "petugas.a@dinas-a.go.id");
        assert!(reminders[0].body.contains("05-11-2026 23:59"), "{}", reminders[0].body);
        assert!(reminders[0].body.contains("Izin usaha"));

        // Friday: Thursday's deadline passed (overdue, once); Monday's is one working
        // day away over the weekend.
        let friday = wib(2026, 11, 6, 10, 0);
        assert_eq!(jobs.run_pass(friday).await.unwrap().notices, 2);
        let rows = staff_rows(&f.url).await;
        let late = with_prefix(&rows, "sla:terlambat:");
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].complaint_id, Some(thu.id));
        let reminders = with_prefix(&rows, "sla:pengingat:");
        assert_eq!(reminders.len(), 2);
        assert_eq!(reminders[1].complaint_id, Some(mon.id));
        assert!(
            rows.iter().all(|r| r.complaint_id != Some(closed.id)),
            "nothing for a closed complaint"
        );

        // Handed to campur: the new holder is told of the overdue complaint, the old
        // one nothing more.
        assign(
            s,
            f.a,
            thu.id,
            f.campur,
            Some(end_of(2026, 11, 5)),
            Some(f.petugas_a),
            friday,
        )
        .await;
        let pass = jobs.run_pass(friday + chrono::Duration::minutes(5)).await.unwrap();
        assert_eq!(pass.notices, 1, "{pass:?}");
        let rows = staff_rows(&f.url).await;
        let late = with_prefix(&rows, "sla:terlambat:");
        assert_eq!(late.len(), 2);
        assert_eq!(late[1].recipient, "campur@dinas-a.go.id");
        let to_old = rows
            .iter()
            .filter(|r| r.recipient == "petugas.a@dinas-a.go.id" && r.complaint_id == Some(thu.id))
            .count();
        assert_eq!(
            to_old, 3,
            "assignment, reminder and overdue notice; nothing after the handover"
        );

        // campur loses the handling role in B: its B complaint's overdue notice is
        // not sent, while its A complaints' notices go on.
        let in_b = record(s, f.b, "Antrean panjang di kantor B", false).await;
        assign(s, f.b, in_b.id, f.campur, Some(end_of(2026, 11, 5)), None, friday).await;
        exec(
            &f.url,
            "UPDATE user_roles SET role = 'auditor' WHERE user_id = $1 AND unit_id = $2",
            f.campur,
            f.b,
        )
        .await;
        let pass = jobs.run_pass(friday + chrono::Duration::minutes(10)).await.unwrap();
        assert_eq!(pass.notices, 0, "{pass:?}");
        let rows = staff_rows(&f.url).await;
        assert!(rows.iter().all(|r| r.unit_id != Some(f.b)), "{rows:?}");
        let _ = f.petugas_a2;
    }
);

on_both_databases!(
    the_digest_goes_once_a_day_with_only_its_units_complaints,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let s = store.as_ref();
        // A third unit whose kepala dinas chose the digest but has nothing open.
        let c = store.create_unit(&test_unit("dinas-c")).await.unwrap();
        let kadis_c = store
            .create_user(&NewUser {
                username: "kadis_c".into(),
                full_name: "Bu Kadis C".into(),
                password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
                roles: vec![(c, Role::KepalaDinas)],
            })
            .await
            .unwrap();
        store.set_user_email(kadis_c, "kadis@dinas-c.go.id").await.unwrap();
        for who in ["kadis", "kadis_c"] {
            let actor = f.app.login(who, PASSWORD).await;
            let (code, _, body) = actor
                .post("/akun/pemberitahuan", &[("cara", "surel"), ("ringkasan", "1")])
                .await;
            assert_eq!(code, 303, "{body}");
        }
        let tuesday = wib(2026, 11, 3, 9, 0);
        let a1 = record(s, f.a, "Jalan rusak di Jalan Sudirman", false).await;
        assign(
            s,
            f.a,
            a1.id,
            f.kadis,
            Some(end_of(2026, 11, 3)),
            Some(f.petugas_a),
            tuesday,
        )
        .await;
        let a2 = record(s, f.a, "Pungutan liar oleh oknum", true).await;
        assign(s, f.a, a2.id, f.petugas_a, Some(end_of(2026, 11, 3)), None, tuesday).await;
        let a3 = record(s, f.a, "Lampu taman padam", false).await;
        assign(s, f.a, a3.id, f.petugas_a, Some(end_of(2026, 11, 5)), None, tuesday).await;
        let _a4 = record(s, f.a, "Belum diperiksa", false).await;
        let b1 = record(s, f.b, "Antrean di kantor B", false).await;
        assign(
            s,
            f.b,
            b1.id,
            f.kadis,
            Some(end_of(2026, 11, 3)),
            Some(f.campur),
            tuesday,
        )
        .await;

        let jobs = TriageJobs::new(store.clone(), "instance-a".into());
        // 06:00 WIB: before the digest hour.
        let pass = jobs.run_pass(wib(2026, 11, 4, 6, 0)).await.unwrap();
        assert_eq!(pass.digests, 0, "{pass:?}");
        // 07:30: one digest, for unit A only (kadis is petugas in B), none for C.
        let pass = jobs.run_pass(wib(2026, 11, 4, 7, 30)).await.unwrap();
        assert_eq!(pass.digests, 1, "{pass:?}");
        let rows = staff_rows(&f.url).await;
        let digests = with_prefix(&rows, "staff:ringkasan:");
        assert_eq!(digests.len(), 1, "{rows:?}");
        let d = digests[0];
        assert_eq!((d.unit_id, d.complaint_id), (Some(f.a), None));
        assert_eq!(d.recipient, "kadis@dinas-a.go.id");
        assert!(d.subject.as_deref().unwrap().contains("04-11-2026"), "{d:?}");
        for expected in [
            "Terbuka: 4",
            "Terlambat: 2",
            "Mendekati batas waktu: 1",
            "Jalan rusak di Jalan Sudirman",
            a2.nomor_agenda.as_str(),
            "Lampu taman padam",
            "/staf/dinas-a",
        ] {
            assert!(d.body.contains(expected), "{expected:?} missing: {}", d.body);
        }
        // (Nomor agenda are numbered per unit: B's may equal one of A's, so only
        // B's subject is checked.)
        for absent in ["Pungutan liar", "Antrean di kantor B"] {
            assert!(!d.body.contains(absent), "{absent:?} leaked: {}", d.body);
        }
        // The digest replaces kadis's single notices in A, not in B.
        let to_kadis: Vec<&Row> = rows
            .iter()
            .filter(|r| r.recipient == "kadis@dinas-a.go.id" && !r.dedupe_key.starts_with("staff:ringkasan:"))
            .collect();
        assert!(!to_kadis.is_empty());
        assert!(
            to_kadis
                .iter()
                .all(|r| r.unit_id == Some(f.b) && r.complaint_id == Some(b1.id)),
            "{to_kadis:?}"
        );
        assert!(
            with_prefix(&rows, "sla:terlambat:")
                .iter()
                .any(|r| r.complaint_id == Some(b1.id))
        );
        // Later the same day: no second digest. The next morning: the next one.
        assert_eq!(jobs.run_pass(wib(2026, 11, 4, 15, 0)).await.unwrap().digests, 0);
        assert_eq!(jobs.run_pass(wib(2026, 11, 5, 7, 5)).await.unwrap().digests, 1);
        assert_eq!(jobs.run_pass(wib(2026, 11, 5, 7, 6)).await.unwrap().digests, 0);
        let rows = staff_rows(&f.url).await;
        let digests = with_prefix(&rows, "staff:ringkasan:");
        assert_eq!(digests.len(), 2);
        assert!(digests.iter().all(|r| r.recipient == "kadis@dinas-a.go.id"));
        assert!(digests[1].subject.as_deref().unwrap().contains("05-11-2026"));
    }
);

on_both_databases!(
    the_notice_choice_is_checked_and_only_ever_ones_own,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let petugas = f.app.login("petugas_a", PASSWORD).await;
        // The page shows the current way: email, as the account has an address.
        let (code, _, page) = petugas.get("/akun").await;
        assert_eq!(code, 200);
        assert!(page.contains("Pemberitahuan untuk saya"), "{page}");
        assert!(
            page.contains("id=\"cara-surel\" name=\"cara\" value=\"surel\" checked"),
            "{page}"
        );
        assert!(!page.contains("id=\"ringkasan\""), "no digest offered to a petugas");

        for (fields, message) in [
            (
                vec![("cara", "whatsapp"), ("whatsapp", "12ab")],
                "Nomor WhatsApp tidak sah",
            ),
            (vec![("cara", "whatsapp"), ("whatsapp", "")], "Nomor WhatsApp tidak sah"),
            (vec![("cara", "merpati")], "Pilih cara pemberitahuan"),
            (vec![], "Pilih cara pemberitahuan"),
            (
                vec![("cara", "surel"), ("ringkasan", "1")],
                "Ringkasan harian hanya untuk kepala dinas",
            ),
        ] {
            let (code, _, body) = petugas.post("/akun/pemberitahuan", &fields).await;
            assert_eq!(code, 422, "{fields:?}: {body}");
            assert!(body.contains(message), "{fields:?}: {body}");
            assert!(body.contains("Tidak ada yang diubah"), "{body}");
            assert_eq!(store.staff_notice_prefs(f.petugas_a).await.unwrap(), None, "{fields:?}");
        }
        // The refused number is shown as typed, marked invalid.
        let (_, _, body) = petugas
            .post("/akun/pemberitahuan", &[("cara", "whatsapp"), ("whatsapp", "12ab")])
            .await;
        assert!(
            body.contains("value=\"12ab\" aria-describedby=\"notice-whatsapp-hint\" aria-invalid=\"true\""),
            "{body}"
        );
        // Without the CSRF token: refused.
        let (code, _, _) = petugas.post_raw("/akun/pemberitahuan", &[("cara", "tidak")]).await;
        assert_eq!(code, 403);
        assert_eq!(store.staff_notice_prefs(f.petugas_a).await.unwrap(), None);
        // Email without an address: refused for petugas_a2.
        let a2 = f.app.login("petugas_a2", PASSWORD).await;
        let (code, _, body) = a2.post("/akun/pemberitahuan", &[("cara", "surel")]).await;
        assert_eq!(code, 422);
        assert!(body.contains("belum punya alamat email"), "{body}");

        // A crafted form naming another account changes only one's own.
        let other = f.petugas_a2.to_string();
        let (code, location, _) = petugas
            .post(
                "/akun/pemberitahuan",
                &[
                    ("cara", "whatsapp"),
                    ("whatsapp", "0812 9999 0000"),
                    ("user_id", other.as_str()),
                    ("pengguna", other.as_str()),
                    ("id", other.as_str()),
                ],
            )
            .await;
        assert_eq!(code, 303);
        assert_eq!(location.as_deref(), Some("/akun?pemberitahuan=1#notices-h"));
        let mine = store.staff_notice_prefs(f.petugas_a).await.unwrap().unwrap();
        assert_eq!(
            (mine.channel.as_str(), mine.whatsapp.as_str(), mine.digest),
            ("whatsapp", "081299990000", false)
        );
        assert_eq!(store.staff_notice_prefs(f.petugas_a2).await.unwrap(), None);
        let (_, _, page) = petugas.get("/akun?pemberitahuan=1").await;
        assert!(page.contains("Pilihan pemberitahuan disimpan"), "{page}");
        assert!(page.contains("value=\"whatsapp\" checked"), "{page}");
        assert!(page.contains("value=\"081299990000\""), "{page}");

        // The kepala dinas is offered the digest and may take it.
        let kadis = f.app.login("kadis", PASSWORD).await;
        let (_, _, page) = kadis.get("/akun").await;
        assert!(page.contains("id=\"ringkasan\""), "{page}");
        let (code, _, body) = kadis
            .post("/akun/pemberitahuan", &[("cara", "tidak"), ("ringkasan", "1")])
            .await;
        assert_eq!(code, 422);
        assert!(body.contains("perlu dikirim lewat email atau WhatsApp"), "{body}");
        assert_eq!(
            kadis
                .post("/akun/pemberitahuan", &[("cara", "surel"), ("ringkasan", "1")])
                .await
                .0,
            303
        );
        assert!(store.staff_notice_prefs(f.kadis).await.unwrap().unwrap().digest);
    }
);

on_both_databases!(choosing_whatsapp_at_akun_in_a_browser, |db: TestDb| async move {
    let f = fixture(db).await;
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let c = &browser.client;
    browser.login(&f.app.address, "petugas_a", PASSWORD).await;
    c.goto(&format!("{}/akun", f.app.address)).await.unwrap();
    c.find(Locator::Id("cara-whatsapp"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("notice-whatsapp"))
        .await
        .unwrap()
        .send_keys("+62 813-5555-0101")
        .await
        .unwrap();
    c.find(Locator::Id("notices-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("#notices-saved", "disimpan").await;
    let field = c.find(Locator::Id("notice-whatsapp")).await.unwrap();
    assert_eq!(field.prop("value").await.unwrap().as_deref(), Some("081355550101"));
    assert!(
        c.find(Locator::Id("cara-whatsapp"))
            .await
            .unwrap()
            .is_selected()
            .await
            .unwrap()
    );
    let prefs = f.app.store.staff_notice_prefs(f.petugas_a).await.unwrap().unwrap();
    assert_eq!(
        (prefs.channel.as_str(), prefs.whatsapp.as_str()),
        ("whatsapp", "081355550101")
    );

    // A wrong number typed in the browser: the Indonesian message, nothing changed.
    let field = c.find(Locator::Id("notice-whatsapp")).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys("nomor saya").await.unwrap();
    c.find(Locator::Id("notices-save"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("#notices-error", "Nomor WhatsApp tidak sah").await;
    let prefs = f.app.store.staff_notice_prefs(f.petugas_a).await.unwrap().unwrap();
    assert_eq!(prefs.whatsapp, "081355550101");

    // The next assignment reaches that number.
    let store = f.app.store.clone();
    let complaint = record(store.as_ref(), f.a, "Jembatan retak", false).await;
    let kabid = f.app.login("kabid", PASSWORD).await;
    let (code, _, _) = kabid
        .post(
            &format!("/staf/dinas-a/pengaduan/{}/klasifikasi", complaint.id),
            &[
                ("klasifikasi", "pengaduan"),
                ("petugas", f.petugas_a.to_string().as_str()),
            ],
        )
        .await;
    assert_eq!(code, 303);
    let rows = staff_rows(&f.url).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].channel.as_str(), rows[0].recipient.as_str()),
        ("whatsapp", "081355550101")
    );
    let _ = (f.b, f.kadis, f.campur, f.petugas_a2);
    browser.close().await;
});
