//! Staff accounts, roles, unit isolation and the security baseline (issue 3).

use std::collections::BTreeSet;

use axum::http::Method;
use chrono::{TimeZone, Utc};
use tanggap::domain::{Channel, Klasifikasi, Role};
use tanggap::storage::model::*;
use tanggap_tests::{Actor, TestApp, TestDb, on_both_databases, spawn_app, spawn_app_with};

const PASSWORD: &str = "kata-sandi-uji-123";
const CITIZEN_NAME: &str = "Siti Rahmawati Nasution";
const CITIZEN_PHONE: &str = "081299887766";
const CITIZEN_EMAIL: &str = "siti.pelapor@contoh.id";
const CITIZEN_NIK: &str = "1472010101900001";

/// Who makes a request in the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Role(Role),
    /// A petugas of another unit.
    OtherUnit,
    /// A system administrator with no role in any unit.
    SystemAdmin,
}

const ACTORS: &[Who] = &[
    Who::Anonymous,
    Who::Role(Role::Admin),
    Who::Role(Role::Petugas),
    Who::Role(Role::KepalaBidang),
    Who::Role(Role::Sekretaris),
    Who::Role(Role::KepalaDinas),
    Who::Role(Role::Auditor),
    Who::OtherUnit,
    Who::SystemAdmin,
];

/// The decision for a route.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in staff member.
    Staff,
    /// These roles in the unit of the URL; everyone else is refused.
    Unit(&'static [Role]),
    /// Only a bearer token of the unit: every browser actor is refused.
    Token,
    /// Only a registered device (a kiosk cookie): every actor of the matrix is refused.
    Nobody,
    /// Only a system administrator (`users.system_admin`).
    System,
}

const ALL_ROLES: &[Role] = &[
    Role::Admin,
    Role::Petugas,
    Role::KepalaBidang,
    Role::Sekretaris,
    Role::KepalaDinas,
    Role::Auditor,
];

/// The roles that handle complaints (they record them and open their files).
const HANDLERS: &[Role] = &[Role::Petugas, Role::KepalaBidang, Role::Sekretaris, Role::KepalaDinas];

/// The roles that set up survey periods and populations.
const SURVEY_MANAGERS: &[Role] = &[Role::Admin, Role::Sekretaris, Role::Petugas];

/// The authorization matrix: one decision per route. Adding a route to the server
/// without adding it here fails `every_route_has_a_decision`.
fn matrix() -> Vec<(Method, &'static str, Access)> {
    use Access::*;
    vec![
        (Method::GET, "/", Public),
        (Method::GET, "/u/{code}", Public),
        (Method::GET, "/u/{code}/ikm", Public),
        (Method::GET, "/u/{code}/ikm.png", Public),
        (Method::GET, "/lang/{code}", Public),
        (Method::GET, "/lacak", Public),
        (Method::GET, "/healthz", Public),
        (Method::GET, "/readyz", Public),
        (Method::GET, "/assets/{*path}", Public),
        (Method::GET, "/masuk", Public),
        (Method::POST, "/masuk", Public),
        (Method::POST, "/keluar", Staff),
        (Method::GET, "/akun", Staff),
        (Method::POST, "/akun/kata-sandi", Staff),
        (Method::POST, "/akun/email", Staff),
        (Method::POST, "/akun/pemberitahuan", Staff),
        (Method::GET, "/staf", Staff),
        (Method::GET, "/staf/{unit}", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/pengaduan", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/pengaduan.csv", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/pengaduan/{id}", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/pengguna", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/pengguna", Unit(&[Role::Admin])),
        (
            Method::POST,
            "/staf/{unit}/pengguna/{id}/kata-sandi",
            Unit(&[Role::Admin]),
        ),
        (Method::POST, "/staf/{unit}/pengguna/{id}/status", Unit(&[Role::Admin])),
        (Method::GET, "/sistem/pengguna", System),
        (Method::POST, "/sistem/pengguna/{id}/kata-sandi", System),
        (Method::POST, "/sistem/pengguna/{id}/status", System),
        (Method::GET, "/staf/{unit}/token", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/token", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/token/{id}/cabut", Unit(&[Role::Admin])),
        (Method::GET, "/staf/{unit}/audit", Unit(&[Role::Admin, Role::Auditor])),
        // Channel settings (issue 4, email and gateways).
        (Method::GET, "/staf/{unit}/saluran", Unit(&[Role::Admin])),
        (Method::GET, "/staf/{unit}/pengaturan", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/saluran", Unit(&[Role::Admin])),
        // WhatsApp Cloud API (issue 19): its settings form; the webhook is Meta's,
        // signed with the unit's app secret, so every browser actor is refused.
        (Method::POST, "/staf/{unit}/saluran/meta", Unit(&[Role::Admin])),
        (Method::GET, "/webhook/{unit}/whatsapp-meta", Token),
        (Method::POST, "/webhook/{unit}/whatsapp-meta", Token),
        // Native SMS/WhatsApp providers (issue 19).
        (Method::POST, "/staf/{unit}/saluran/penyedia", Unit(&[Role::Admin])),
        (
            Method::POST,
            "/staf/{unit}/saluran/penyedia/rahasia",
            Unit(&[Role::Admin]),
        ),
        (Method::GET, "/staf/{unit}/lambang", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/lambang", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/lambang/hapus", Unit(&[Role::Admin])),
        (Method::GET, "/api/v1/units", Public),
        (Method::GET, "/api/v1/units/{unit}/services", Public),
        (Method::GET, "/api/v1/units/{unit}/complaints", Token),
        (Method::GET, "/api/v1/ikm", Token),
        (Method::GET, "/api/v1/complaints/stats", Token),
        (Method::GET, "/api/v1/openapi.json", Public),
        // Intake (issue 4).
        (Method::GET, "/u/{code}/pengaduan", Public),
        (Method::POST, "/u/{code}/pengaduan", Public),
        (Method::GET, "/staf/{unit}/pengaduan/baru", Unit(HANDLERS)),
        (Method::POST, "/staf/{unit}/pengaduan/baru", Unit(HANDLERS)),
        (
            Method::GET,
            "/staf/{unit}/pengaduan/{id}/lampiran/{file}",
            Unit(HANDLERS),
        ),
        (Method::POST, "/api/v1/gateway/{unit}/{channel}", Token),
        // Only the unit's webhook secret opens it: every browser actor is refused.
        (Method::POST, "/api/v1/webhook/{unit}/{provider}/{secret}", Token),
        (Method::POST, "/api/v1/units/{unit}/complaints", Public),
        (Method::GET, "/api/v1/tracking/{code}", Public),
        // SPAN-LAPOR! import (issue 5): the complaint managers only.
        (Method::GET, "/staf/{unit}/impor-lapor", Unit(&[Role::Petugas])),
        (Method::POST, "/staf/{unit}/impor-lapor", Unit(&[Role::Petugas])),
        // SKM survey intake (issue 7).
        (Method::GET, "/survei/{unit}", Public),
        (Method::POST, "/survei/{unit}", Public),
        (Method::GET, "/survei/{unit}/terima-kasih", Public),
        (Method::GET, "/survei/{unit}/{service}", Public),
        // A kiosk is a registered device: no browser without its cookie gets in.
        (Method::GET, "/kiosk", Nobody),
        (Method::POST, "/kiosk", Nobody),
        (Method::GET, "/kiosk/terima-kasih", Nobody),
        (Method::GET, "/staf/{unit}/kios", Unit(ALL_ROLES)),
        (Method::POST, "/staf/{unit}/kios", Unit(&[Role::Admin, Role::Petugas])),
        (
            Method::POST,
            "/staf/{unit}/kios/{id}/cabut",
            Unit(&[Role::Admin, Role::Petugas]),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/kertas",
            Unit(&[Role::Admin, Role::Petugas]),
        ),
        (
            Method::POST,
            "/staf/{unit}/survei/kertas",
            Unit(&[Role::Admin, Role::Petugas]),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/impor",
            Unit(&[Role::Admin, Role::Petugas]),
        ),
        (
            Method::POST,
            "/staf/{unit}/survei/impor",
            Unit(&[Role::Admin, Role::Petugas]),
        ),
        (Method::GET, "/staf/{unit}/survei/ekspor.csv", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/survei/ekspor.xlsx", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/survei/periode", Unit(ALL_ROLES)),
        (Method::POST, "/staf/{unit}/survei/periode", Unit(SURVEY_MANAGERS)),
        (Method::GET, "/staf/{unit}/survei/periode/{id}", Unit(ALL_ROLES)),
        (Method::POST, "/staf/{unit}/survei/periode/{id}", Unit(SURVEY_MANAGERS)),
        (
            Method::POST,
            "/staf/{unit}/survei/periode/{id}/populasi",
            Unit(SURVEY_MANAGERS),
        ),
        (Method::GET, "/staf/{unit}/survei/saran", Unit(ALL_ROLES)),
        (Method::POST, "/staf/{unit}/survei/saran/{id}/pengaduan", Unit(HANDLERS)),
        (Method::GET, "/staf/{unit}/survei/qr", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/survei/qr/{service}/png", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/survei/qr/{service}/svg", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/survei/qr/{service}/poster", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/survei/undangan", Unit(SURVEY_MANAGERS)),
        (Method::POST, "/staf/{unit}/survei/undangan", Unit(SURVEY_MANAGERS)),
        // An invite link is public: its token is the permission.
        (Method::GET, "/undangan/{token}", Public),
        (Method::POST, "/undangan/{token}", Public),
        // Citizen notices (issue 19): a stop link's token is the permission; the
        // unit's invite delay is its admin's.
        (Method::GET, "/berhenti/{token}", Public),
        (Method::POST, "/berhenti/{token}", Public),
        (Method::GET, "/staf/{unit}/pemberitahuan", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/pemberitahuan", Unit(&[Role::Admin])),
        (Method::POST, "/api/v1/units/{unit}/survey-invites", Token),
        // Triage (issue 6): complaint handlers move and classify; admins keep their
        // unit's days off and the jenis list.
        (Method::POST, "/staf/{unit}/pengaduan/{id}/status", Unit(HANDLERS)),
        (Method::POST, "/staf/{unit}/pengaduan/{id}/klasifikasi", Unit(HANDLERS)),
        (
            Method::POST,
            "/staf/{unit}/pengaduan/{id}/persetujuan",
            Unit(&[Role::KepalaBidang, Role::KepalaDinas]),
        ),
        (Method::POST, "/staf/{unit}/pengaduan/{id}/eskalasi", Unit(HANDLERS)),
        (Method::POST, "/staf/{unit}/pengaduan/{id}/jawaban", Unit(HANDLERS)),
        (Method::GET, "/staf/{unit}/pengaduan/{id}/surat-jawaban", Unit(HANDLERS)),
        (
            Method::GET,
            "/staf/{unit}/pengaduan/{id}/surat-jawaban.pdf",
            Unit(HANDLERS),
        ),
        (Method::GET, "/staf/{unit}/templat-jawaban", Unit(HANDLERS)),
        (Method::POST, "/staf/{unit}/templat-jawaban", Unit(HANDLERS)),
        (Method::POST, "/staf/{unit}/templat-jawaban/{id}/hapus", Unit(HANDLERS)),
        (Method::POST, "/staf/{unit}/pengaduan/{id}/gabung", Unit(HANDLERS)),
        (Method::GET, "/staf/{unit}/kartu-kendali", Unit(ALL_ROLES)),
        (Method::POST, "/api/v1/units/{unit}/complaints/{id}/status", Token),
        (Method::GET, "/staf/{unit}/hari-libur", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/hari-libur", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/hari-libur/hapus", Unit(&[Role::Admin])),
        // The national holiday calendar (issue 17): the system-level role only.
        (Method::GET, "/sistem/hari-libur", System),
        (Method::POST, "/sistem/hari-libur", System),
        (Method::POST, "/sistem/hari-libur/hapus", System),
        (Method::GET, "/staf/{unit}/tahapan", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/tahapan", Unit(&[Role::Admin])),
        (Method::GET, "/staf/{unit}/jenis", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/jenis", Unit(&[Role::Admin])),
        (Method::POST, "/staf/{unit}/jenis/{id}/status", Unit(&[Role::Admin])),
        // Reports (issue 9): everyone in the unit reads them; the petugas prepares
        // and submits, the sekretaris approves or returns.
        (Method::GET, "/staf/{unit}/laporan", Unit(ALL_ROLES)),
        (Method::POST, "/staf/{unit}/laporan", Unit(&[Role::Petugas])),
        (Method::GET, "/staf/{unit}/laporan/{id}", Unit(ALL_ROLES)),
        (
            Method::GET,
            "/staf/{unit}/laporan/{id}/berkas/{format}",
            Unit(ALL_ROLES),
        ),
        (Method::POST, "/staf/{unit}/laporan/{id}/ajukan", Unit(&[Role::Petugas])),
        (
            Method::POST,
            "/staf/{unit}/laporan/{id}/setujui",
            Unit(&[Role::Sekretaris]),
        ),
        (
            Method::POST,
            "/staf/{unit}/laporan/{id}/kembalikan",
            Unit(&[Role::Sekretaris]),
        ),
        (Method::GET, "/staf/{unit}/tindak-lanjut", Unit(ALL_ROLES)),
        (
            Method::POST,
            "/staf/{unit}/tindak-lanjut",
            Unit(&[Role::Petugas, Role::Sekretaris, Role::KepalaBidang]),
        ),
        (
            Method::POST,
            "/staf/{unit}/tindak-lanjut/{id}/realisasi",
            Unit(&[Role::Petugas, Role::Sekretaris, Role::KepalaBidang]),
        ),
        (Method::GET, "/staf/{unit}/dasbor", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/dasbor/pengaduan", Unit(ALL_ROLES)),
        (Method::GET, "/staf/{unit}/dasbor/survei", Unit(ALL_ROLES)),
    ]
}

fn allowed(access: Access, who: Who) -> bool {
    match (access, who) {
        (Access::Public, _) => true,
        (Access::Staff, Who::Anonymous) => false,
        (Access::Staff, _) => true,
        (Access::Unit(roles), Who::Role(r)) => roles.contains(&r),
        (Access::Unit(_), _) => false,
        (Access::Token, _) => false,
        (Access::Nobody, _) => false,
        (Access::System, who) => who == Who::SystemAdmin,
    }
}

fn unit(code: &str) -> NewUnit {
    NewUnit {
        code: code.into(),
        name: format!("Dinas {code}"),
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
    }
}

fn complaint(unit_id: i64, subject: &str, anonim: bool) -> NewComplaint {
    NewComplaint {
        unit_id,
        channel: Channel::Website,
        channel_ref: None,
        channel_detail: None,
        received_at: Utc.with_ymd_and_hms(2026, 10, 5, 3, 0, 0).unwrap(),
        recorded_by: None,
        complainant: Complainant {
            name: Some(CITIZEN_NAME.into()),
            phone: Some(CITIZEN_PHONE.into()),
            email: Some(CITIZEN_EMAIL.into()),
            address: None,
            nik: Some(CITIZEN_NIK.into()),
        },
        anonim,
        rahasia: false,
        subject: subject.into(),
        description: "Antrean di loket sangat panjang.".into(),
        event_place: None,
        event_date: None,
        klasifikasi: Klasifikasi::Pengaduan,
        service_id: None,
    }
}

/// Two units, one account per role in unit A, a petugas in unit B, complaints in both.
struct Fixture {
    app: TestApp,
    a: i64,
    b: i64,
    complaint_a: RecordedComplaint,
    anonim_a: RecordedComplaint,
    complaint_b: RecordedComplaint,
    target_user: i64,
}

fn username(who: Who) -> String {
    match who {
        Who::Role(r) => format!("{}_a", r.key()),
        Who::OtherUnit => "petugas_b".into(),
        Who::SystemAdmin => "sistem".into(),
        Who::Anonymous => unreachable!(),
    }
}

async fn fixture(db: TestDb) -> Fixture {
    let store = db.store.clone();
    let a = store.create_unit(&unit("unit-a")).await.unwrap();
    let b = store.create_unit(&unit("unit-b")).await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    for who in ACTORS.iter().copied().filter(|w| *w != Who::Anonymous) {
        let roles = match who {
            Who::Role(r) => vec![(a, r)],
            Who::SystemAdmin => vec![],
            _ => vec![(b, Role::Petugas)],
        };
        let id = store
            .create_user(&NewUser {
                username: username(who),
                full_name: username(who),
                password_hash: hash.clone(),
                roles,
            })
            .await
            .unwrap();
        if who == Who::SystemAdmin {
            store.set_system_admin(id, true).await.unwrap();
        }
    }
    let target_user = store
        .create_user(&NewUser {
            username: "target_a".into(),
            full_name: "Target".into(),
            password_hash: hash,
            roles: vec![(a, Role::Petugas)],
        })
        .await
        .unwrap();
    let complaint_a = store
        .record_complaint(&complaint(a, "Antrean loket A", false))
        .await
        .unwrap();
    let anonim_a = store
        .record_complaint(&complaint(a, "Pungutan liar A", true))
        .await
        .unwrap();
    let complaint_b = store
        .record_complaint(&complaint(b, "Rahasia unit B", false))
        .await
        .unwrap();
    Fixture {
        app: spawn_app(db).await,
        a,
        b,
        complaint_a,
        anonim_a,
        complaint_b,
        target_user,
    }
}

fn concrete(path: &str, f: &Fixture, token_id: i64) -> String {
    path.replace("{code}", if path.starts_with("/lang") { "id" } else { "unit-a" })
        .replace("{unit}", "unit-a")
        .replace("{*path}", "style.css")
        .replace("{file}", "1")
        .replace("{channel}", "sms")
        .replace("{provider}", "fonnte")
        .replace("{secret}", "rahasia-yang-salah")
        .replace(
            "{id}",
            &if path.contains("/pengguna/") {
                f.target_user.to_string()
            } else if path.contains("/token/") {
                token_id.to_string()
            } else {
                f.complaint_a.id.to_string()
            },
        )
}

/// Runs one request as `actor` and says whether it got past authorization.
async fn attempt(actor: &Actor, method: &Method, path: &str) -> (bool, String) {
    let (status, location, body) = if *method == Method::GET {
        actor.get(path).await
    } else {
        actor.post(path, &[]).await
    };
    assert!(status < 500, "{method} {path} failed with {status}: {body}");
    assert_ne!(
        status, 405,
        "{method} {path}: the matrix names a method the route does not have"
    );
    let to_login = status == 303 && location.as_deref().is_some_and(|l| l.starts_with("/masuk"));
    let denied = status == 401 || status == 403 || to_login;
    (!denied, format!("{status} {}", location.unwrap_or_default()))
}

#[test]
fn every_route_has_a_decision() {
    let served: BTreeSet<(String, String)> = tanggap::web::route_list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_owned()))
        .collect();
    let decided: BTreeSet<(String, String)> = matrix()
        .into_iter()
        .map(|(m, p, _)| (m.to_string(), p.to_owned()))
        .collect();
    let missing: Vec<_> = served.difference(&decided).collect();
    let stale: Vec<_> = decided.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "routes with no decision in the authorization matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix entries for routes that do not exist: {stale:?}"
    );
}

on_both_databases!(authorization_matrix, |db: TestDb| async move {
    let f = fixture(db).await;
    let admin = f.app.login("admin_a", PASSWORD).await;
    let mut actors = Vec::new();
    for who in ACTORS {
        let actor = match who {
            Who::Anonymous => f.app.anonymous().await,
            _ => f.app.login(&username(*who), PASSWORD).await,
        };
        actors.push((*who, actor));
    }
    let mut failures = Vec::new();
    let mut checks = 0;
    for (method, path, access) in matrix() {
        for (who, actor) in &actors {
            // Each revocation needs a live token, each logout its own session.
            let token_id = f
                .app
                .store
                .create_api_token(
                    f.a,
                    "matrix",
                    &format!("hash-{checks}"),
                    &["complaints:read".into()],
                    None,
                )
                .await
                .unwrap();
            let fresh;
            let actor = if path == "/keluar" && *who != Who::Anonymous {
                fresh = f.app.login(&username(*who), PASSWORD).await;
                &fresh
            } else {
                actor
            };
            checks += 1;
            let url = concrete(path, &f, token_id);
            let (got, detail) = attempt(actor, &method, &url).await;
            if got != allowed(access, *who) {
                failures.push(format!(
                    "{who:?} {method} {url}: expected {}, got {detail}",
                    if allowed(access, *who) { "allow" } else { "deny" }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix violations:\n{}",
        failures.join("\n")
    );
    assert_eq!(checks, matrix().len() * ACTORS.len());
    // The admin's own session survived everything above.
    assert_eq!(admin.get("/staf/unit-a/pengguna").await.0, 200);
});

on_both_databases!(
    units_are_isolated_in_pages_search_exports_and_api,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let other = f.app.login("petugas_b", PASSWORD).await;
        // Unit A's complaint through unit A's URL: refused; through unit B's URL: not found.
        assert_eq!(
            other
                .get(&format!("/staf/unit-a/pengaduan/{}", f.complaint_a.id))
                .await
                .0,
            403
        );
        assert_eq!(
            other
                .get(&format!("/staf/unit-b/pengaduan/{}", f.complaint_a.id))
                .await
                .0,
            404
        );
        // Search in unit B never finds unit A's complaints.
        let (status, _, list) = other.get("/staf/unit-b/pengaduan?q=loket").await;
        assert_eq!(status, 200);
        assert!(
            !list.contains("Antrean loket A") && !list.contains(&f.complaint_a.nomor_agenda.replace('/', "&#x2f;"))
        );
        let (_, _, all) = other.get("/staf/unit-b/pengaduan").await;
        assert!(all.contains("Rahasia unit B") && !all.contains("Antrean loket A"));
        // Exports too.
        let (status, _, csv) = other.get("/staf/unit-b/pengaduan.csv?identitas=1").await;
        assert_eq!(status, 200);
        assert!(csv.contains("Rahasia unit B") && !csv.contains("Antrean loket A") && !csv.contains("Pungutan liar A"));
        assert_eq!(other.get("/staf/unit-a/pengaduan.csv").await.0, 403);
        // A token of unit B reads unit B only.
        let secret = "tgp_unit_b_secret_for_tests_only_0123456789abcdef";
        f.app
            .store
            .create_api_token(
                f.b,
                "b",
                &tanggap::auth::hash_secret(secret),
                &["complaints:read".into()],
                None,
            )
            .await
            .unwrap();
        let api = |path: &str| {
            f.app
                .client
                .get(format!("{}{path}", f.app.address))
                .bearer_auth(secret)
                .send()
        };
        let own = api("/api/v1/units/unit-b/complaints").await.unwrap();
        assert_eq!(own.status(), 200);
        let own: serde_json::Value = own.json().await.unwrap();
        assert_eq!(own.as_array().unwrap().len(), 1);
        assert_eq!(api("/api/v1/units/unit-a/complaints").await.unwrap().status(), 403);
        assert_eq!(api("/api/v1/units/unit-x/complaints").await.unwrap().status(), 403);
        let _ = f.complaint_b;
    }
);

on_both_databases!(
    identity_is_shown_only_to_roles_that_handle_complaints_and_is_audited,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let detail = |id: i64| format!("/staf/unit-a/pengaduan/{id}");
        let petugas = f.app.login("petugas_a", PASSWORD).await;
        let kadis = f.app.login("kepala_dinas_a", PASSWORD).await;
        let auditor = f.app.login("auditor_a", PASSWORD).await;
        let admin = f.app.login("admin_a", PASSWORD).await;

        let (_, _, page) = petugas.get(&detail(f.complaint_a.id)).await;
        assert!(page.contains(CITIZEN_NAME) && page.contains(CITIZEN_PHONE) && page.contains(CITIZEN_NIK));
        let (_, _, page) = kadis.get(&detail(f.complaint_a.id)).await;
        assert!(page.contains(CITIZEN_NAME), "the head of office handles complaints");
        for reader in [&auditor, &admin] {
            let (status, _, page) = reader.get(&detail(f.complaint_a.id)).await;
            assert_eq!(status, 200);
            assert!(
                !page.contains(CITIZEN_NAME)
                    && !page.contains(CITIZEN_PHONE)
                    && !page.contains(CITIZEN_EMAIL)
                    && !page.contains(CITIZEN_NIK)
            );
        }
        // Anonim: only the complaint managers (petugas).
        let (_, _, page) = petugas.get(&detail(f.anonim_a.id)).await;
        assert!(page.contains(CITIZEN_NAME));
        let (_, _, page) = kadis.get(&detail(f.anonim_a.id)).await;
        assert!(!page.contains(CITIZEN_NAME) && !page.contains(CITIZEN_PHONE));
        assert!(page.contains("anonim"));

        // Exports carry identity only when asked and allowed; anonim rows stay blank for non-managers.
        let (_, _, plain) = petugas.get("/staf/unit-a/pengaduan.csv").await;
        assert!(plain.contains("Antrean loket A") && !plain.contains(CITIZEN_NAME));
        let (_, _, full) = kadis.get("/staf/unit-a/pengaduan.csv?identitas=1").await;
        assert_eq!(
            full.matches(CITIZEN_NAME).count(),
            1,
            "kepala dinas sees the named complaint, not the anonim one"
        );
        assert_eq!(auditor.get("/staf/unit-a/pengaduan.csv?identitas=1").await.0, 403);

        // Every reveal and export is in the audit log, which admins can read.
        let log = f.app.store.list_audit(f.a, 100, 0).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions.iter().filter(|a| **a == "complaint.identity_viewed").count(),
            3,
            "{actions:?}"
        );
        assert!(actions.contains(&"export.complaints") && actions.contains(&"export.complaints_with_identity"));
        let (_, _, page) = admin.get("/staf/unit-a/audit").await;
        assert!(page.contains("complaint.identity_viewed") && page.contains("petugas_a"));
    }
);

on_both_databases!(audit_log_is_append_only, |db: TestDb| async move {
    let f = fixture(db).await;
    let entry = AuditEntry {
        at: Utc::now(),
        user_id: None,
        username: None,
        unit_id: Some(f.a),
        action: "test".into(),
        entity: String::new(),
        entity_id: String::new(),
        detail: String::new(),
        ip: String::new(),
    };
    f.app.store.audit(&entry).await.unwrap();
    let url = &f.app._db_url();
    let (update, delete) = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        (
            sqlx::query("UPDATE audit_log SET action = 'x'")
                .execute(&pool)
                .await
                .is_err(),
            sqlx::query("DELETE FROM audit_log").execute(&pool).await.is_err(),
        )
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        (
            sqlx::query("UPDATE audit_log SET action = 'x'")
                .execute(&pool)
                .await
                .is_err(),
            sqlx::query("DELETE FROM audit_log").execute(&pool).await.is_err(),
        )
    };
    assert!(update && delete, "the database itself refuses to change the audit log");
    assert_eq!(f.app.store.list_audit(f.a, 10, 0).await.unwrap().len(), 1);
});

on_both_databases!(
    forms_without_the_right_csrf_token_are_refused_and_change_nothing,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let petugas = f.app.login("petugas_a", PASSWORD).await;
        let fields = [
            ("current", PASSWORD),
            ("new", "kata-sandi-baru-456"),
            ("confirm", "kata-sandi-baru-456"),
        ];
        let (status, _, body) = petugas.post_raw("/akun/kata-sandi", &fields).await;
        assert_eq!(status, 403);
        assert!(body.contains("Formulir tidak dapat diproses"));
        let mut wrong = vec![("csrf", "x".repeat(43))];
        wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
        let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(petugas.post_raw("/akun/kata-sandi", &wrong).await.0, 403);
        // Another user's token does not work either.
        let admin = f.app.login("admin_a", PASSWORD).await;
        let mut foreign = vec![("csrf", admin.csrf.as_str())];
        foreign.extend_from_slice(&fields);
        assert_eq!(petugas.post_raw("/akun/kata-sandi", &foreign).await.0, 403);
        // Nothing changed: the old password still logs in.
        f.app.login("petugas_a", PASSWORD).await;
        // The login form itself is protected.
        let anon = f.app.anonymous().await;
        assert_eq!(
            anon.post_raw("/masuk", &[("username", "petugas_a"), ("password", PASSWORD)])
                .await
                .0,
            403
        );
        // And with the token, the change goes through, ending other sessions.
        let (status, location, _) = petugas.post("/akun/kata-sandi", &fields).await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun?selesai=1")));
        let (status, _, page) = petugas.get("/akun?selesai=1").await;
        assert_eq!(status, 200, "this browser stays logged in");
        assert!(page.contains("Kata sandi sudah diganti"));
        let other_session = f.app.login("petugas_a", "kata-sandi-baru-456").await;
        assert_eq!(other_session.get("/akun").await.0, 200);
    }
);

on_both_databases!(
    users_set_their_own_email_for_reminders_and_reports,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let petugas = f.app.login("petugas_a", PASSWORD).await;
        let user = f.app.store.user_by_username("petugas_a").await.unwrap().unwrap();
        let before = f.app.store.user_email(user.id).await.unwrap().unwrap();
        // A malformed address is refused in Indonesian and changes nothing.
        let (status, _, page) = petugas.post("/akun/email", &[("email", "bukan alamat")]).await;
        assert_eq!(status, 422);
        assert!(page.contains("Alamat email tidak sah"), "{page}");
        assert_eq!(f.app.store.user_email(user.id).await.unwrap().unwrap(), before);
        // A good one is stored and shown.
        let (status, location, _) = petugas
            .post("/akun/email", &[("email", " petugas@dinsos.go.id ")])
            .await;
        assert_eq!((status, location.as_deref()), (303, Some("/akun?surel=1")));
        assert_eq!(
            f.app.store.user_email(user.id).await.unwrap().unwrap(),
            "petugas@dinsos.go.id"
        );
        let (_, _, page) = petugas.get("/akun?surel=1").await;
        assert!(page.contains("value=\"petugas@dinsos.go.id\""), "{page}");
        assert!(page.contains("Alamat email disimpan"));
        // Empty removes it.
        assert_eq!(petugas.post("/akun/email", &[("email", "")]).await.0, 303);
        assert_eq!(f.app.store.user_email(user.id).await.unwrap().unwrap(), "");
    }
);

on_both_databases!(
    failed_logins_are_throttled_per_account_and_per_address,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let anon = f.app.anonymous().await;
        for _ in 0..5 {
            let (status, _, body) = anon
                .post(
                    "/masuk",
                    &[("username", "petugas_a"), ("password", "salah-salah-salah")],
                )
                .await;
            assert_eq!(status, 401);
            assert!(body.contains("Nama pengguna atau kata sandi salah"));
        }
        let (status, _, body) = anon
            .post("/masuk", &[("username", "petugas_a"), ("password", PASSWORD)])
            .await;
        assert_eq!(status, 429, "the right password does not open a locked account");
        assert!(body.contains("Terlalu banyak percobaan masuk"));
        // Another account from the same address still works until the address limit.
        f.app.login("kepala_dinas_a", PASSWORD).await;
        for i in 0..15 {
            anon.post(
                "/masuk",
                &[
                    ("username", &format!("tidak-ada-{i}")),
                    ("password", "salah-salah-salah"),
                ],
            )
            .await;
        }
        let (status, _, _) = anon
            .post("/masuk", &[("username", "sekretaris_a"), ("password", PASSWORD)])
            .await;
        assert_eq!(status, 429, "twenty failures from one address lock the address");
        // A successful login resets the account's own count (failures before it no
        // longer count against the account).
        let store = &f.app.store;
        let hour_ago = Utc::now() - chrono::Duration::hours(1);
        for _ in 0..2 {
            store
                .record_login_attempt("auditor_a", "10.9.9.9", false, Utc::now())
                .await
                .unwrap();
        }
        assert_eq!(
            store
                .failed_logins_since("auditor_a", "10.9.9.9", hour_ago)
                .await
                .unwrap(),
            (2, 2)
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        store
            .record_login_attempt("auditor_a", "10.9.9.9", true, Utc::now())
            .await
            .unwrap();
        assert_eq!(
            store
                .failed_logins_since("auditor_a", "10.9.9.9", hour_ago)
                .await
                .unwrap()
                .0,
            0
        );
    }
);

on_both_databases!(sessions_end_on_logout_disable_and_expiry, |db: TestDb| async move {
    let f = fixture(db).await;
    let petugas = f.app.login("petugas_a", PASSWORD).await;
    let (status, location, _) = petugas.post("/keluar", &[]).await;
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    let (status, location, _) = petugas.get("/staf").await;
    assert_eq!(status, 303);
    assert!(location.unwrap().starts_with("/masuk?next=%2Fstaf"));

    let target = f.app.login("target_a", PASSWORD).await;
    let admin = f.app.login("admin_a", PASSWORD).await;
    let (status, _, _) = admin
        .post(
            &format!("/staf/unit-a/pengguna/{}/status", f.target_user),
            &[("active", "0")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        target.get("/staf").await.0,
        303,
        "a disabled account's sessions end at once"
    );
    let anon = f.app.anonymous().await;
    assert_eq!(
        anon.post("/masuk", &[("username", "target_a"), ("password", PASSWORD)])
            .await
            .0,
        401
    );

    // An admin reset shows a new password once; it works, the old one does not.
    let (status, _, page) = admin
        .post(
            &format!("/staf/unit-a/pengguna/{}/status", f.target_user),
            &[("active", "1")],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let (_, _, page) = admin
        .post(&format!("/staf/unit-a/pengguna/{}/kata-sandi", f.target_user), &[])
        .await;
    let start = page.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
    let new_password = &page[start..start + 16];
    // It is one-time: it logs in, straight to the form that replaces it.
    let (status, location, _) = f
        .app
        .anonymous()
        .await
        .post("/masuk", &[("username", "target_a"), ("password", new_password)])
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/akun")));
    assert_eq!(
        anon.post("/masuk", &[("username", "target_a"), ("password", PASSWORD)])
            .await
            .0,
        401
    );

    // Expired sessions are not honoured.
    let user = f.app.store.user_by_username("auditor_a").await.unwrap().unwrap();
    let now = Utc::now();
    f.app
        .store
        .create_session(&NewSession {
            token_hash: "expired".into(),
            user_id: user.id,
            csrf_token: "c".into(),
            expires_at: now - chrono::Duration::minutes(1),
            ip: String::new(),
            user_agent: String::new(),
        })
        .await
        .unwrap();
    assert!(
        f.app
            .store
            .session("expired", now, now + chrono::Duration::hours(8))
            .await
            .unwrap()
            .is_none()
    );
});

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let f = fixture(TestDb::sqlite().await).await;
    let anon = f.app.anonymous().await;
    let response = anon
        .client
        .post(format!("{}/masuk", f.app.address))
        .form(&[
            ("csrf", anon.csrf.as_str()),
            ("username", "petugas_a"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("tanggap_sesi="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"));
    let https = spawn_app_with(TestDb::sqlite().await, |c| {
        c.public_url = Some("https://pengaduan.contoh.go.id".into())
    })
    .await;
    let response = reqwest::get(format!("{}/masuk", https.address)).await.unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "Secure behind https: {cookie}");
}

on_both_databases!(
    api_tokens_are_created_once_hashed_scoped_and_revocable,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let admin = f.app.login("admin_a", PASSWORD).await;
        let (status, _, page) = admin
            .post(
                "/staf/unit-a/token",
                &[("name", "Dasbor kota"), ("scope", "complaints:read")],
            )
            .await;
        assert_eq!(status, 201);
        let start = page.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
        let secret = page[start..].split('<').next().unwrap().to_owned();
        assert!(secret.starts_with("tgp_"));
        let stored = f.app.store.list_api_tokens(f.a).await.unwrap();
        assert_eq!(stored.len(), 1);
        let (_, _, listing) = admin.get("/staf/unit-a/token").await;
        assert!(!listing.contains(&secret), "the secret is never shown again");

        let call = || {
            f.app
                .client
                .get(format!("{}/api/v1/units/unit-a/complaints", f.app.address))
                .bearer_auth(&secret)
                .send()
        };
        let response = call().await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        assert!(body.contains("Antrean loket A"));
        for personal in [CITIZEN_NAME, CITIZEN_PHONE, CITIZEN_EMAIL, CITIZEN_NIK] {
            assert!(!body.contains(personal), "the API leaks {personal}");
        }
        let unauthenticated = f
            .app
            .client
            .get(format!("{}/api/v1/units/unit-a/complaints", f.app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(unauthenticated.status(), 401);
        assert_eq!(unauthenticated.headers()["www-authenticate"], "Bearer");

        let (_, _, page) = admin
            .post("/staf/unit-a/token", &[("name", "Statistik"), ("scope", "stats:read")])
            .await;
        let start = page.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
        let stats_only = page[start..].split('<').next().unwrap().to_owned();
        let denied = f
            .app
            .client
            .get(format!("{}/api/v1/units/unit-a/complaints", f.app.address))
            .bearer_auth(&stats_only)
            .send()
            .await
            .unwrap();
        assert_eq!(denied.status(), 403, "a token without complaints:read is refused");

        let (status, _, _) = admin
            .post("/staf/unit-a/token", &[("name", "x"), ("scope", "admin:all")])
            .await;
        assert_eq!(status, 422, "unknown scopes are refused");
        let token_id = stored[0].id;
        assert_eq!(
            admin.post(&format!("/staf/unit-a/token/{token_id}/cabut"), &[]).await.0,
            200
        );
        assert_eq!(
            call().await.unwrap().status(),
            401,
            "a revoked token authenticates nothing"
        );
        let _ = f.b;
    }
);

on_both_databases!(admins_create_accounts_with_clear_errors, |db: TestDb| async move {
    let f = fixture(db).await;
    let admin = f.app.login("admin_a", PASSWORD).await;
    let (status, _, page) = admin
        .post(
            "/staf/unit-a/pengguna",
            &[("username", "rina baru"), ("full_name", "Rina"), ("role", "petugas")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Nama pengguna wajib diisi"));
    let (status, _, page) = admin
        .post(
            "/staf/unit-a/pengguna",
            &[("username", "rina"), ("full_name", "Rina"), ("role", "lurah")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Pilih salah satu peran"));
    let (status, _, page) = admin
        .post(
            "/staf/unit-a/pengguna",
            &[("username", "PETUGAS_A"), ("full_name", "X"), ("role", "petugas")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("sudah dipakai"));
    let before = f.app.store.counts().await.unwrap().users;
    let (status, _, page) = admin
        .post(
            "/staf/unit-a/pengguna",
            &[("username", "rina"), ("full_name", "Rina Wati"), ("role", "sekretaris")],
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(f.app.store.counts().await.unwrap().users, before + 1);
    let start = page.find("<code class=\"secret\">").unwrap() + "<code class=\"secret\">".len();
    let temporary = page[start..start + 16].to_owned();
    // The password an admin set is one-time: the first login goes to the change form.
    let mut rina = f.app.anonymous().await;
    let (status, location, _) = rina
        .post("/masuk", &[("username", "rina"), ("password", &temporary)])
        .await;
    assert_eq!((status, location.as_deref()), (303, Some("/akun")));
    rina.csrf = tanggap_tests::csrf_in(&rina.get("/akun").await.2).unwrap();
    let new = "rina-memilih-sendiri-123";
    let (status, _, _) = rina
        .post(
            "/akun/kata-sandi",
            &[("current", &temporary), ("new", new), ("confirm", new)],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(rina.get("/staf/unit-a/pengaduan").await.0, 200);
    assert_eq!(rina.get("/staf/unit-a/pengguna").await.0, 403);
    // An admin of unit A cannot touch an account that lives only in unit B.
    let b_user = f.app.store.user_by_username("petugas_b").await.unwrap().unwrap();
    assert_eq!(
        admin
            .post(&format!("/staf/unit-a/pengguna/{}/kata-sandi", b_user.id), &[])
            .await
            .0,
        404
    );
    let (status, _, page) = admin
        .post(
            &format!(
                "/staf/unit-a/pengguna/{}/status",
                f.app.store.user_by_username("admin_a").await.unwrap().unwrap().id
            ),
            &[("active", "0")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("tidak dapat menonaktifkan akun Anda sendiri"));
});

#[tokio::test]
async fn no_public_page_shows_personal_data_and_tracking_is_rate_limited() {
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let a = store.create_unit(&unit("unit-a")).await.unwrap();
    let recorded = store
        .record_complaint(&complaint(a, "Antrean loket A", false))
        .await
        .unwrap();
    let app = spawn_app_with(db, |c| c.public_rate_per_minute = 30).await;
    let anon = app.anonymous().await;
    let pages = [
        "/".to_owned(),
        "/u/unit-a".to_owned(),
        format!("/lacak?kode={}", recorded.tracking_code),
        "/api/v1/units".to_owned(),
        "/api/v1/units/unit-a/services".to_owned(),
        "/masuk".to_owned(),
    ];
    for path in &pages {
        let (status, _, body) = anon.get(path).await;
        assert_eq!(status, 200, "{path}");
        for personal in [CITIZEN_NAME, CITIZEN_PHONE, CITIZEN_EMAIL, CITIZEN_NIK] {
            assert!(!body.contains(personal), "{path} shows {personal}");
        }
    }
    let (_, _, tracking) = anon
        .get(&format!("/lacak?kode={}", recorded.tracking_code.to_lowercase()))
        .await;
    assert!(
        tracking.contains(&recorded.nomor_agenda) && tracking.contains("Diterima"),
        "codes are case-insensitive"
    );
    let (_, _, missing) = anon.get("/lacak?kode=TIDAKADA23456789").await;
    assert!(missing.contains("Kode pelacakan tidak ditemukan"));
    // Guessing codes runs into the per-address budget (burst of 10 at 30 a minute).
    let mut limited = false;
    for i in 0..20 {
        let (status, _, body) = anon.get(&format!("/lacak?kode=TEBAK{i:011}")).await;
        if status == 429 {
            assert!(body.contains("Terlalu banyak permintaan"));
            limited = true;
            break;
        }
    }
    assert!(limited, "tracking lookups are rate-limited");
}
