//! Unit isolation by object (issue 17). The role matrix in `authz.rs` names unit A's
//! own objects; here every route that names an object of a unit (complaint,
//! attachment, user, API token, kiosk, survey period, saran, service, answer
//! template, jenis, report version, follow-up, and every triage action), and every
//! form field that carries such an id, is sent by an account of unit B holding every
//! role in B, naming unit A's object: under unit B's URL the answer is 404 (422 for a
//! form field the handler checks), under unit A's URL 403 (no role there), and
//! nothing changes in either unit, on both databases. Unit B's API token likewise.
//! Each request is also sent naming unit B's own objects, which must succeed: the
//! refusals are about the unit, not about a malformed request.
//!
//! Accounts with roles in two units are judged by their role in the unit of the URL.

mod cases;
mod fixture;

use std::collections::BTreeSet;

use tanggap::storage::model::*;
use tanggap_tests::{TestDb, on_both_databases};

use cases::{Caller, EXEMPT, Pairs, cases, classify_form, object_keys, pairs};
use fixture::*;

/// Unit A, unit B and the row counts of the whole database. Unit B's audit log is
/// left out: a form refused with 422 shows unit B's own complaint again, and that
/// view of its own complainant is rightly audited in unit B.
async fn both_units(store: &dyn tanggap::storage::Store, f: &Fixture, url: &str) -> Vec<String> {
    let mut lines = unit_snapshot(store, f.a.unit).await;
    lines.extend(without_audit(unit_snapshot(store, f.b.unit).await));
    lines.extend(
        table_counts(url)
            .await
            .into_iter()
            .filter(|l| !l.starts_with("rows audit_log ")),
    );
    lines
}

/// A unit's snapshot without its audit log (for requests refused with the unit's
/// own complaint page, whose identity view is audited).
fn without_audit(lines: Vec<String>) -> Vec<String> {
    lines.into_iter().filter(|l| !l.starts_with("audit ")).collect()
}

#[test]
fn every_route_naming_an_object_has_a_cross_unit_case() {
    let covered: BTreeSet<(String, String)> = cases()
        .iter()
        .map(|c| (c.method.to_string(), c.route.to_owned()))
        .collect();
    let exempt: BTreeSet<&str> = EXEMPT.iter().map(|(r, _)| *r).collect();
    let mut missing = Vec::new();
    for (method, route) in tanggap::web::route_list() {
        if object_keys(route).is_empty() || exempt.contains(route) {
            continue;
        }
        if !covered.contains(&(method.to_string(), route.to_owned())) {
            missing.push(format!("{method} {route}"));
        }
    }
    assert!(
        missing.is_empty(),
        "routes naming an object with no cross-unit case in authz_cross_unit::cases(): {missing:#?}"
    );
    let served: BTreeSet<String> = tanggap::web::route_list()
        .into_iter()
        .map(|(_, p)| p.to_owned())
        .collect();
    for (route, _) in EXEMPT {
        assert!(
            served.contains(*route),
            "exemption for a route that does not exist: {route}"
        );
    }
    for c in cases() {
        assert!(
            served.contains(c.route),
            "cross-unit case for a route that does not exist: {}",
            c.route
        );
    }
}

on_both_databases!(
    staff_of_another_unit_cannot_name_a_units_objects,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.as_ref();
        let url = f.app._db_url();
        let caller = Caller {
            app: &f.app,
            browser: f.app.login("all_b", PASSWORD).await,
        };
        let before = both_units(store, &f, &url).await;
        let mut failures = Vec::new();
        for c in cases() {
            // Unit A's object named under unit B's URL.
            let keys = (c.keys)(&f.a, &f.b);
            let form = (c.form)(&f.a, &f.b);
            let (status, body) = caller.send(&c, f.b.code, &keys, &form).await;
            if status != c.refused {
                failures.push(format!(
                    "{} {} under unit B with {keys:?} {form:?}: expected {}, got {status}: {}",
                    c.method,
                    c.route,
                    c.refused,
                    body.chars().take(300).collect::<String>()
                ));
            }
            if status == 200 || status == 422 {
                for secret in [&citizen(f.a.code), &f.a.template_body, &format!("bukti {}", f.a.code)] {
                    if body.contains(secret) {
                        failures.push(format!("{} {} under unit B shows {secret}", c.method, c.route));
                    }
                }
            }
            // Under unit A's URL, where the actor holds no role.
            if let Some(expected) = c.victim_url {
                let keys = (c.keys)(&f.a, &f.a);
                let form = (c.form)(&f.a, &f.a);
                let (status, _) = caller.send(&c, f.a.code, &keys, &form).await;
                if status != expected {
                    failures.push(format!(
                        "{} {} under unit A: expected {expected}, got {status}",
                        c.method, c.route
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "cross-unit violations:\n{}", failures.join("\n"));
        assert_same(
            "the units after cross-unit requests",
            &before,
            &both_units(store, &f, &url).await,
        );

        // The same requests naming unit B's own objects succeed: the refusals above
        // were about the unit, not about a malformed request.
        let a_before = unit_snapshot(store, f.a.unit).await;
        for c in cases() {
            let keys = (c.keys)(&f.b, &f.b);
            let form = (c.form)(&f.b, &f.b);
            let (status, body) = caller.send(&c, f.b.code, &keys, &form).await;
            if status != c.own {
                failures.push(format!(
                    "{} {} on unit B's own {keys:?} {form:?}: expected {}, got {status}: {}",
                    c.method,
                    c.route,
                    c.own,
                    body.chars().take(300).collect::<String>()
                ));
            }
        }
        assert!(failures.is_empty(), "controls failed:\n{}", failures.join("\n"));
        assert_same(
            "unit A after unit B worked on its own objects",
            &a_before,
            &unit_snapshot(store, f.a.unit).await,
        );
    }
);

on_both_databases!(
    another_units_template_is_not_offered_and_its_token_reads_nothing,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let all_b = f.app.login("all_b", PASSWORD).await;
        // Starting an answer from unit A's template id on unit B's complaint.
        let page = |template: i64| format!("/staf/unit-b/pengaduan/{}?templat={template}", f.b.disposed);
        let (status, _, own) = all_b.get(&page(f.b.template)).await;
        assert_eq!(status, 200);
        assert!(own.contains(&f.b.template_body), "own template fills the answer");
        let (status, _, foreign) = all_b.get(&page(f.a.template)).await;
        assert_eq!(status, 200);
        assert!(!foreign.contains(&f.a.template_body), "another unit's template leaks");

        // Unit B's token with unit A's code reads and writes nothing.
        let before = unit_snapshot(f.app.store.as_ref(), f.a.unit).await;
        let api = |path: String| {
            f.app
                .client
                .get(format!("{}{path}", f.app.address))
                .bearer_auth(TOKEN_B)
                .send()
        };
        for path in [
            "/api/v1/units/unit-a/complaints".to_owned(),
            "/api/v1/ikm?unit=unit-a".to_owned(),
            "/api/v1/complaints/stats?unit=unit-a".to_owned(),
        ] {
            let response = api(path.clone()).await.unwrap();
            assert_eq!(response.status(), 403, "{path}");
            let body = response.text().await.unwrap();
            assert!(!body.contains("Antrean loket unit-a"), "{path}: {body}");
        }
        let own = api("/api/v1/units/unit-b/complaints".to_owned()).await.unwrap();
        assert_eq!(own.status(), 200);
        let own = own.text().await.unwrap();
        assert!(own.contains("Antrean loket unit-b") && !own.contains("Antrean loket unit-a"));
        assert_same(
            "unit A after unit B's token",
            &before,
            &unit_snapshot(f.app.store.as_ref(), f.a.unit).await,
        );
    }
);

// ---- Accounts with roles in two units ----

on_both_databases!(
    a_multi_unit_account_acts_by_its_role_in_the_unit_of_the_url,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.as_ref();
        let mixed = f.app.login("mixed_ab", PASSWORD).await;
        let detail = |unit: &str, id: i64| format!("/staf/{unit}/pengaduan/{id}");
        let shows_identity = |page: &str| {
            [CITIZEN_NAME, CITIZEN_PHONE, CITIZEN_EMAIL, CITIZEN_NIK]
                .iter()
                .any(|p| page.contains(p))
        };

        // Petugas in unit A: identities (anonim too), the complaint form, moves.
        let (status, _, page) = mixed.get(&detail("unit-a", f.a.plain)).await;
        assert_eq!(status, 200);
        assert!(shows_identity(&page));
        let (_, _, page) = mixed.get(&detail("unit-a", f.anonim_a)).await;
        assert!(shows_identity(&page), "a petugas sees anonim complainants of its unit");
        assert_eq!(mixed.get("/staf/unit-a/pengaduan/baru").await.0, 200);
        let (status, _, body) = mixed
            .post(
                &format!("/staf/unit-a/pengaduan/{}/status", f.a.moving),
                &[("to", "terverifikasi"), ("dari", "diterima")],
            )
            .await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(
            store.triage_state(f.a.unit, f.a.moving).await.unwrap().unwrap().status,
            "terverifikasi"
        );
        assert_eq!(
            mixed
                .get(&format!(
                    "/staf/unit-a/pengaduan/{}/lampiran/{}",
                    f.a.plain, f.a.attachment
                ))
                .await
                .0,
            200
        );
        assert_eq!(
            mixed.get("/staf/unit-a/audit").await.0,
            403,
            "a petugas reads no audit log"
        );

        // Auditor only in unit B: reads, sees no identity, records and moves nothing.
        for id in [f.b.plain, f.anonim_b, f.b.letter] {
            let (status, _, page) = mixed.get(&detail("unit-b", id)).await;
            assert_eq!(status, 200);
            assert!(!shows_identity(&page), "unit B shows an identity to its auditor: {id}");
        }
        let (status, _, list) = mixed.get("/staf/unit-b/pengaduan").await;
        assert_eq!(status, 200);
        assert!(!shows_identity(&list));
        let (status, _, csv) = mixed.get("/staf/unit-b/pengaduan.csv").await;
        assert_eq!(status, 200);
        assert!(!shows_identity(&csv));
        assert_eq!(mixed.get("/staf/unit-b/pengaduan.csv?identitas=1").await.0, 403);
        // (The export above is rightly audited; from here on nothing may change.)
        let b_before = unit_snapshot(store, f.b.unit).await;
        assert_eq!(mixed.get("/staf/unit-b/pengaduan/baru").await.0, 403);
        let form = reqwest::multipart::Form::new()
            .text("subject", "Jalan berlubang")
            .text("description", "Jalan di depan kantor berlubang besar.")
            .text("channel", "telepon")
            .text("received_date", "2026-10-05");
        assert_eq!(
            mixed.post_multipart("/staf/unit-b/pengaduan/baru", form).await.0,
            403,
            "an auditor records no complaint"
        );
        let refused: [(String, Pairs); 5] = [
            (
                format!("/staf/unit-b/pengaduan/{}/status", f.b.moving),
                pairs(&[("to", "terverifikasi".into()), ("dari", "diterima".into())]),
            ),
            (
                format!("/staf/unit-b/pengaduan/{}/klasifikasi", f.b.classifying),
                classify_form(f.b.jenis, f.b.service, f.b.division, f.b.handler),
            ),
            (
                format!("/staf/unit-b/pengaduan/{}/jawaban", f.b.disposed),
                pairs(&[("isi", "Jawaban.".into())]),
            ),
            (
                format!("/staf/unit-b/pengaduan/{}/gabung", f.b.dup),
                pairs(&[("ke", f.b.plain.to_string())]),
            ),
            (format!("/staf/unit-b/survei/saran/{}/pengaduan", f.b.saran), Vec::new()),
        ];
        for (path, fields) in &refused {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(mixed.post(path, &fields).await.0, 403, "{path}");
        }
        for path in [
            format!("/staf/unit-b/pengaduan/{}/lampiran/{}", f.b.plain, f.b.attachment),
            format!("/staf/unit-b/pengaduan/{}/surat-jawaban", f.b.letter),
        ] {
            assert_eq!(mixed.get(&path).await.0, 403, "{path}");
        }
        assert_eq!(
            mixed.get("/staf/unit-b/audit").await.0,
            200,
            "the auditor reads B's log"
        );
        // Its unit A powers do not reach unit B's objects through unit A's URL.
        for path in [
            detail("unit-a", f.b.plain),
            format!("/staf/unit-a/pengaduan/{}/lampiran/{}", f.b.plain, f.b.attachment),
        ] {
            assert_eq!(mixed.get(&path).await.0, 404, "{path}");
        }
        let (status, _, _) = mixed
            .post(
                &format!("/staf/unit-a/pengaduan/{}/status", f.b.moving),
                &[("to", "terverifikasi"), ("dari", "diterima")],
            )
            .await;
        assert_eq!(status, 404);
        assert_same(
            "unit B after its auditor's requests",
            &b_before,
            &unit_snapshot(store, f.b.unit).await,
        );
        // Its identity views were audited in unit A, where they happened, not in B.
        let mixed_id = store.user_by_username("mixed_ab").await.unwrap().unwrap().id;
        let views = |entries: Vec<AuditEntry>| {
            entries
                .iter()
                .filter(|e| e.user_id == Some(mixed_id) && e.action == "complaint.identity_viewed")
                .count()
        };
        assert_eq!(views(store.list_audit(f.a.unit, 1000, 0).await.unwrap()), 2);
        assert_eq!(views(store.list_audit(f.b.unit, 1000, 0).await.unwrap()), 0);

        // Its petugas role in unit A does not make it a holder of unit B's complaints.
        let all_b = f.app.login("all_b", PASSWORD).await;
        let kadis_id = store.user_by_username("kadis_ab").await.unwrap().unwrap().id;
        let classify = |holder: i64| classify_form(f.b.jenis, f.b.service, f.b.division, holder);
        let path = format!("/staf/unit-b/pengaduan/{}/klasifikasi", f.b.classifying);
        let b_before = without_audit(unit_snapshot(store, f.b.unit).await);
        let form = classify(mixed_id);
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (status, _, page) = all_b.post(&path, &fields).await;
        assert_eq!(status, 422, "unit B's auditor assigned as holder");
        assert!(page.contains("tidak menangani pengaduan di unit ini"), "{page}");
        assert_same(
            "unit B after a holder without a handling role",
            &b_before,
            &without_audit(unit_snapshot(store, f.b.unit).await),
        );
        let form = classify(kadis_id);
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(all_b.post(&path, &fields).await.0, 303, "its kepala dinas holds it");

        // Kepala dinas of both units: signs off in each, each under its own URL only.
        let kadis = f.app.login("kadis_ab", PASSWORD).await;
        for (unit, objects) in [("unit-a", &f.a), ("unit-b", &f.b)] {
            let (status, _, page) = kadis.get(&detail(unit, objects.plain)).await;
            assert_eq!(status, 200);
            assert!(shows_identity(&page), "a kepala dinas handles complaints in {unit}");
            let (_, _, page) = kadis
                .get(&detail(unit, if unit == "unit-a" { f.anonim_a } else { f.anonim_b }))
                .await;
            assert!(
                !shows_identity(&page),
                "anonim stays hidden from a kepala dinas in {unit}"
            );
        }
        let a_before = unit_snapshot(store, f.a.unit).await;
        let sign = |unit: &str, id: i64| format!("/staf/{unit}/pengaduan/{id}/persetujuan");
        assert_eq!(kadis.post(&sign("unit-b", f.a.sedang), &[]).await.0, 404);
        assert_eq!(kadis.get(&detail("unit-b", f.a.plain)).await.0, 404);
        assert_same(
            "unit A after its kepala dinas named it under unit B",
            &a_before,
            &unit_snapshot(store, f.a.unit).await,
        );
        let (status, _, body) = kadis.post(&sign("unit-a", f.a.sedang), &[]).await;
        assert_eq!(status, 303, "{body}");
        let (status, _, body) = kadis.post(&sign("unit-b", f.b.sedang), &[]).await;
        assert_eq!(status, 303, "{body}");
        for (unit, id) in [(f.a.unit, f.a.sedang), (f.b.unit, f.b.sedang)] {
            let kinds: Vec<String> = store
                .complaint_events(id)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.kind)
                .collect();
            assert!(
                kinds.contains(&"persetujuan_kepala_dinas".to_owned()),
                "{unit}: {kinds:?}"
            );
        }
        // But the admin pages of either unit stay closed to it.
        assert_eq!(kadis.get("/staf/unit-a/pengguna").await.0, 403);
        assert_eq!(kadis.get("/staf/unit-b/pengguna").await.0, 403);
    }
);
