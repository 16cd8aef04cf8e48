//! Account management across units (issue 17): a unit admin manages only accounts of
//! that unit alone, a system administrator manages the rest, an admin-set password is
//! one-time, every reset and disable is audited in each unit of the account and
//! notified by email, and parallel password guesses are all counted.

use chrono::{TimeZone, Utc};
use tanggap::domain::{Channel, Klasifikasi, Role};
use tanggap::storage::model::*;
use tanggap_tests::{Actor, TestApp, TestDb, on_both_databases, spawn_app};

const PASSWORD: &str = "kata-sandi-uji-123";
const NEW_PASSWORD: &str = "kata-sandi-pilihan-sendiri-456";
const CITIZEN_NAME: &str = "Rahmat Hidayat Lubis";
const KADIS_EMAIL: &str = "kadis@dinsos.go.id";
const PETUGAS_EMAIL: &str = "petugas@dinsospm.go.id";

fn unit(code: &str) -> NewUnit {
    tanggap_tests::test_unit(code)
}

/// Dumai (A) and Lubuklinggau (B), their admins, a kepala dinas working in both, two
/// petugas of Dumai alone (one with an email), a system administrator with no unit,
/// and a named complaint in Lubuklinggau.
struct Fixture {
    app: TestApp,
    a: i64,
    b: i64,
    admin_a: i64,
    kadis: i64,
    petugas: i64,
    petugas_no_email: i64,
}

async fn fixture(db: TestDb) -> Fixture {
    let store = db.store.clone();
    let a = store.create_unit(&unit("dinsospm-dumai")).await.unwrap();
    let b = store.create_unit(&unit("dinsos-lubuklinggau")).await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    let add = |name: &str, roles: Vec<(i64, Role)>| {
        let store = store.clone();
        let new = NewUser {
            username: name.into(),
            full_name: format!("Nama {name}"),
            password_hash: hash.clone(),
            roles,
        };
        async move { store.create_user(&new).await.unwrap() }
    };
    let admin_a = add("admin_a", vec![(a, Role::Admin)]).await;
    add("admin_b", vec![(b, Role::Admin)]).await;
    let kadis = add("kadis", vec![(a, Role::KepalaDinas), (b, Role::KepalaDinas)]).await;
    let petugas = add("petugas_a", vec![(a, Role::Petugas)]).await;
    let petugas_no_email = add("petugas_a2", vec![(a, Role::Petugas)]).await;
    let root = add("root", vec![]).await;
    store.set_system_admin(root, true).await.unwrap();
    store.set_user_email(kadis, KADIS_EMAIL).await.unwrap();
    store.set_user_email(petugas, PETUGAS_EMAIL).await.unwrap();
    store
        .record_complaint(&NewComplaint {
            unit_id: b,
            channel: Channel::Website,
            channel_ref: None,
            channel_detail: None,
            received_at: Utc.with_ymd_and_hms(2026, 10, 5, 3, 0, 0).unwrap(),
            recorded_by: None,
            complainant: Complainant {
                name: Some(CITIZEN_NAME.into()),
                phone: Some("081277665544".into()),
                email: None,
                address: None,
                nik: None,
            },
            anonim: false,
            rahasia: false,
            subject: "Bantuan sosial belum diterima".into(),
            description: "Sudah tiga bulan.".into(),
            event_place: None,
            event_date: None,
            klasifikasi: Klasifikasi::Pengaduan,
            service_id: None,
        })
        .await
        .unwrap();
    Fixture {
        app: spawn_app(db).await,
        a,
        b,
        admin_a,
        kadis,
        petugas,
        petugas_no_email,
    }
}

/// The password a page shows once, in `<code class="secret">`.
fn shown_secret(page: &str) -> String {
    let start = page.find("class=\"secret\">").expect("the page shows a password") + "class=\"secret\">".len();
    page[start..].split('<').next().unwrap().to_owned()
}

/// Audit entries of one action about one account in one unit.
async fn audits(app: &TestApp, unit_id: i64, action: &str, user_id: i64) -> Vec<AuditEntry> {
    app.store
        .list_audit(unit_id, 1000, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action && e.entity == "user" && e.entity_id == user_id.to_string())
        .collect()
}

/// Every outbox message queued so far (claimed far in the future, so all are due).
async fn outbox(app: &TestApp) -> Vec<OutboxMessage> {
    let later = Utc::now() + chrono::Duration::days(30);
    app.store
        .claim_outbox(later, later + chrono::Duration::minutes(5), 1000)
        .await
        .unwrap()
}

/// Logs in through the form and says where it went: `(status, Location, actor)`.
async fn login_to(app: &TestApp, username: &str, password: &str) -> (u16, Option<String>, Actor) {
    let mut actor = app.anonymous().await;
    let (status, location, _) = actor
        .post("/masuk", &[("username", username), ("password", password)])
        .await;
    let (_, _, page) = actor.get("/akun").await;
    if let Some(csrf) = tanggap_tests::csrf_in(&page) {
        actor.csrf = csrf;
    }
    (status, location, actor)
}

on_both_databases!(
    a_unit_admin_cannot_take_over_an_account_of_several_units,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let kadis_session = f.app.login("kadis", PASSWORD).await;
        assert_eq!(kadis_session.get("/staf/dinsos-lubuklinggau/pengaduan").await.0, 200);
        let admin = f.app.login("admin_a", PASSWORD).await;

        // The reproduction: Dumai's admin resets the kepala dinas of both units.
        let (status, _, page) = admin
            .post(&format!("/staf/dinsospm-dumai/pengguna/{}/kata-sandi", f.kadis), &[])
            .await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("hanya dapat dikelola oleh admin sistem"), "{page}");
        assert!(!page.contains("class=\"secret\""), "no password is shown");
        // Nor can it be disabled (or enabled) from Dumai.
        for active in ["0", "1"] {
            let (status, _, page) = admin
                .post(
                    &format!("/staf/dinsospm-dumai/pengguna/{}/status", f.kadis),
                    &[("active", active)],
                )
                .await;
            assert_eq!(status, 403, "{page}");
            assert!(page.contains("hanya dapat dikelola oleh admin sistem"));
        }
        // Nothing changed: the session lives, the old password works, nothing audited
        // or sent.
        let (status, _, inbox) = kadis_session.get("/staf/dinsos-lubuklinggau/pengaduan").await;
        assert_eq!(status, 200);
        assert!(inbox.contains("Bantuan sosial belum diterima"));
        let user = f.app.store.user_by_id(f.kadis).await.unwrap().unwrap();
        assert!(user.active && !user.must_change_password);
        f.app.login("kadis", PASSWORD).await;
        for unit in [f.a, f.b] {
            for action in ["user.password_reset", "user.disabled", "user.enabled"] {
                assert!(audits(&f.app, unit, action, f.kadis).await.is_empty());
            }
        }
        assert!(outbox(&f.app).await.is_empty());
        // The user list says who manages it, without its buttons.
        let (_, _, list) = admin.get("/staf/dinsospm-dumai/pengguna").await;
        assert!(list.contains("Dikelola admin sistem"), "{list}");
        assert!(!list.contains(&format!("/pengguna/{}/kata-sandi", f.kadis)));
        assert!(list.contains(&format!("/pengguna/{}/kata-sandi", f.petugas)));
        // Nor may an admin reset their own password here (that is /akun).
        let (status, _, page) = admin
            .post(&format!("/staf/dinsospm-dumai/pengguna/{}/kata-sandi", f.admin_a), &[])
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("Gunakan halaman Akun saya"));
        assert_eq!(
            admin.get("/staf/dinsospm-dumai/pengguna").await.0,
            200,
            "still logged in"
        );

        // The system administrator manages it: disabling ends its sessions, is audited
        // in both units and notifies its email once.
        let root = f.app.login("root", PASSWORD).await;
        let (status, _, page) = root
            .post(&format!("/sistem/pengguna/{}/status", f.kadis), &[("active", "0")])
            .await;
        assert_eq!(status, 200, "{page}");
        let (status, location, _) = kadis_session.get("/staf").await;
        assert_eq!(status, 303);
        assert!(location.unwrap().starts_with("/masuk"));
        assert_eq!(
            f.app
                .anonymous()
                .await
                .post("/masuk", &[("username", "kadis"), ("password", PASSWORD)])
                .await
                .0,
            401
        );
        for unit in [f.a, f.b] {
            let entries = audits(&f.app, unit, "user.disabled", f.kadis).await;
            assert_eq!(entries.len(), 1, "one entry in each unit");
            assert!(
                entries[0].detail.contains("root, admin sistem"),
                "{}",
                entries[0].detail
            );
            assert!(entries[0].detail.contains("peran kepala_dinas di dinsos-lubuklinggau"));
        }
        let sent = outbox(&f.app).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].recipient, KADIS_EMAIL);
        assert!(sent[0].subject.as_deref().unwrap().contains("dinonaktifkan"));
        assert!(sent[0].body.contains("root, admin sistem"));
        // And enables it again, and resets its password: audited in both units.
        assert_eq!(
            root.post(&format!("/sistem/pengguna/{}/status", f.kadis), &[("active", "1")])
                .await
                .0,
            200
        );
        let (status, _, page) = root
            .post(&format!("/sistem/pengguna/{}/kata-sandi", f.kadis), &[])
            .await;
        assert_eq!(status, 200);
        let temporary = shown_secret(&page);
        for unit in [f.a, f.b] {
            assert_eq!(audits(&f.app, unit, "user.enabled", f.kadis).await.len(), 1);
            let resets = audits(&f.app, unit, "user.password_reset", f.kadis).await;
            assert_eq!(resets.len(), 1);
            assert!(resets[0].detail.contains("melihat identitas pelapor"));
        }
        // The one-time password opens nothing but the change form.
        let (status, location, kadis) = login_to(&f.app, "kadis", &temporary).await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun")));
        let (status, location, _) = kadis.get("/staf/dinsos-lubuklinggau/pengaduan").await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun")));
        // A system administrator may not act on their own account here either.
        let root_user = f.app.store.user_by_username("root").await.unwrap().unwrap();
        let (status, _, _) = root
            .post(&format!("/sistem/pengguna/{}/kata-sandi", root_user.id), &[])
            .await;
        assert_eq!(status, 422);
    }
);

on_both_databases!(
    a_reset_is_one_time_ends_sessions_is_audited_and_notified,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let old_session = f.app.login("petugas_a", PASSWORD).await;
        let admin = f.app.login("admin_a", PASSWORD).await;
        let (status, _, page) = admin
            .post(&format!("/staf/dinsospm-dumai/pengguna/{}/kata-sandi", f.petugas), &[])
            .await;
        assert_eq!(status, 200, "{page}");
        let temporary = shown_secret(&page);
        // Every session of the account ended; the old password is gone.
        let (status, location, _) = old_session.get("/staf").await;
        assert_eq!(status, 303);
        assert!(location.unwrap().starts_with("/masuk"));
        assert_eq!(
            f.app
                .anonymous()
                .await
                .post("/masuk", &[("username", "petugas_a"), ("password", PASSWORD)])
                .await
                .0,
            401
        );
        // Audited once in its unit, naming the admin and what the role sees.
        let resets = audits(&f.app, f.a, "user.password_reset", f.petugas).await;
        assert_eq!(resets.len(), 1);
        assert_eq!(resets[0].user_id, Some(f.admin_a));
        assert!(
            resets[0].detail.contains("admin_a, admin dinsospm-dumai"),
            "{}",
            resets[0].detail
        );
        assert!(
            resets[0]
                .detail
                .contains("peran petugas di dinsospm-dumai (melihat identitas pelapor"),
            "{}",
            resets[0].detail
        );
        assert!(audits(&f.app, f.b, "user.password_reset", f.petugas).await.is_empty());
        // The owner's email gets one notice, which does not carry the password.
        let sent = outbox(&f.app).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(
            (sent[0].channel.as_str(), sent[0].recipient.as_str(), sent[0].unit_id),
            ("email", PETUGAS_EMAIL, Some(f.a))
        );
        assert!(sent[0].subject.as_deref().unwrap().contains("diatur ulang"));
        assert!(sent[0].body.contains("admin_a, admin dinsospm-dumai") && !sent[0].body.contains(&temporary));
        // An account without an email gets none.
        let (status, _, _) = admin
            .post(
                &format!("/staf/dinsospm-dumai/pengguna/{}/kata-sandi", f.petugas_no_email),
                &[],
            )
            .await;
        assert_eq!(status, 200);
        assert!(outbox(&f.app).await.is_empty(), "nothing new queued");

        // At the next login the owner must choose a new password before anything else.
        let (status, location, petugas) = login_to(&f.app, "petugas_a", &temporary).await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun")));
        let (status, _, account) = petugas.get("/akun").await;
        assert_eq!(status, 200);
        assert!(account.contains("Pilih kata sandi baru sekarang"), "{account}");
        for path in ["/staf", "/staf/dinsospm-dumai", "/staf/dinsospm-dumai/pengaduan"] {
            let (status, location, body) = petugas.get(path).await;
            assert_eq!((status, location.as_deref()), (303, Some("/akun")), "{path}: {body}");
        }
        let (status, location, _) = petugas.post("/akun/email", &[("email", "lain@contoh.go.id")]).await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun")));
        assert_eq!(
            f.app.store.user_email(f.petugas).await.unwrap().as_deref(),
            Some(PETUGAS_EMAIL)
        );
        let (status, location, _) = petugas
            .post(
                "/staf/dinsospm-dumai/pengaduan/baru",
                &[("subject", "x"), ("description", "y")],
            )
            .await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun")));
        assert!(
            audits(&f.app, f.a, "user.password_set_after_reset", f.petugas)
                .await
                .is_empty()
        );
        // Keeping the admin's password is refused.
        let (status, _, _) = petugas
            .post(
                "/akun/kata-sandi",
                &[("current", &temporary), ("new", &temporary), ("confirm", &temporary)],
            )
            .await;
        assert_eq!(status, 422);
        let (status, location, _) = petugas
            .post(
                "/akun/kata-sandi",
                &[
                    ("current", &temporary),
                    ("new", NEW_PASSWORD),
                    ("confirm", NEW_PASSWORD),
                ],
            )
            .await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun?selesai=1")));
        assert_eq!(petugas.get("/staf/dinsospm-dumai/pengaduan").await.0, 200);
        let set = audits(&f.app, f.a, "user.password_set_after_reset", f.petugas).await;
        assert_eq!(set.len(), 1);
        assert_eq!(set[0].user_id, Some(f.petugas));
        f.app.login("petugas_a", NEW_PASSWORD).await;
        // Logging out works even while a change is due.
        let (_, _, other) = login_to(
            &f.app,
            "petugas_a2",
            &shown_secret(
                &admin
                    .post(
                        &format!("/staf/dinsospm-dumai/pengguna/{}/kata-sandi", f.petugas_no_email),
                        &[],
                    )
                    .await
                    .2,
            ),
        )
        .await;
        let (status, location, _) = other.post("/keluar", &[]).await;
        assert_eq!((status, location.as_deref()), (303, Some("/")));
    }
);

on_both_databases!(
    an_account_an_admin_creates_starts_with_a_one_time_password,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let admin = f.app.login("admin_a", PASSWORD).await;
        let (status, _, page) = admin
            .post(
                "/staf/dinsospm-dumai/pengguna",
                &[
                    ("username", "petugas_baru"),
                    ("full_name", "Petugas Baru"),
                    ("role", "petugas"),
                ],
            )
            .await;
        assert_eq!(status, 201, "{page}");
        let password = shown_secret(&page);
        let created = f.app.store.user_by_username("petugas_baru").await.unwrap().unwrap();
        assert!(created.must_change_password);
        let entries = audits(&f.app, f.a, "user.created", created.id).await;
        assert_eq!(entries.len(), 1);
        assert!(
            entries[0]
                .detail
                .contains("peran petugas di dinsospm-dumai (melihat identitas pelapor, termasuk pelapor anonim)"),
            "{}",
            entries[0].detail
        );
        // The admin who saw the password cannot use the account to see identities.
        let (status, location, new) = login_to(&f.app, "petugas_baru", &password).await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun")));
        let (status, location, _) = new.get("/staf/dinsospm-dumai/pengaduan").await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun")));
    }
);

on_both_databases!(
    system_pages_are_for_system_administrators_only,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let anon = f.app.anonymous().await;
        let (status, location, _) = anon.get("/sistem/pengguna").await;
        assert_eq!(status, 303);
        assert!(location.unwrap().starts_with("/masuk"));
        for name in ["admin_a", "admin_b", "kadis", "petugas_a"] {
            let actor = f.app.login(name, PASSWORD).await;
            assert_eq!(actor.get("/sistem/pengguna").await.0, 403, "{name}");
            for path in ["kata-sandi", "status"] {
                let (status, _, _) = actor
                    .post(&format!("/sistem/pengguna/{}/{path}", f.kadis), &[("active", "0")])
                    .await;
                assert_eq!(status, 403, "{name} {path}");
            }
            let (_, _, home) = actor.get("/staf").await;
            assert!(
                !home.contains("/sistem/pengguna") && !home.contains("/sistem/hari-libur"),
                "{name} sees no link"
            );
        }
        let kadis = f.app.store.user_by_id(f.kadis).await.unwrap().unwrap();
        assert!(kadis.active && !kadis.must_change_password, "nothing changed");
        f.app.login("kadis", PASSWORD).await;
        let root = f.app.login("root", PASSWORD).await;
        let (_, _, home) = root.get("/staf").await;
        assert!(home.contains("href=\"/sistem/pengguna\""));
        assert!(
            home.contains("href=\"/sistem/hari-libur\""),
            "the national calendar is one click away"
        );
        let (status, _, list) = root.get("/sistem/pengguna").await;
        assert_eq!(status, 200);
        for name in ["admin_a", "admin_b", "kadis", "petugas_a", "petugas_a2", "root"] {
            assert!(list.contains(name), "{name} listed");
        }
        assert!(list.contains("dinsospm-dumai:"));
        assert!(list.contains("dinsos-lubuklinggau:"));
        let _ = f.b;
    }
);

on_both_databases!(parallel_password_guesses_are_all_counted, |db: TestDb| async move {
    let f = fixture(db).await;
    let anon = f.app.anonymous().await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..12 {
        let client = anon.client.clone();
        let url = anon.url("/masuk");
        let csrf = anon.csrf.clone();
        guesses.spawn(async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("username", "petugas_a"),
                ("password", &format!("tebakan-salah-{i}")),
            ];
            client.post(url).form(&form).send().await.unwrap().status().as_u16()
        });
    }
    let mut wrong = 0;
    let mut locked = 0;
    while let Some(status) = guesses.join_next().await {
        match status.unwrap() {
            401 => wrong += 1,
            429 => locked += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        wrong <= tanggap::auth::MAX_FAILED_PER_ACCOUNT,
        "{wrong} parallel guesses were checked, limit {}",
        tanggap::auth::MAX_FAILED_PER_ACCOUNT
    );
    assert_eq!(wrong + locked, 12);
    // Locked: the right password is refused too.
    let (status, _, body) = anon
        .post("/masuk", &[("username", "petugas_a"), ("password", PASSWORD)])
        .await;
    assert_eq!(status, 429, "{body}");
    // Another account is not affected, and a right password still logs in.
    f.app.login("petugas_a2", PASSWORD).await;
});
