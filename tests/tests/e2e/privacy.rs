//! Anonymity and personal data (issue 17): an anonim complaint never leads a reader
//! to the identity behind it (suggestions, merges, search, attachments), rahasia
//! content stays off the API, personal pages are not cached, HSTS over https, and no
//! public page or public API answer of the demo carries a complainant's identity.

use chrono::Utc;
use serde_json::Value;
use tanggap::domain::{Channel, Klasifikasi, Role};
use tanggap::storage::model::*;
use tanggap_tests::{TestApp, TestDb, on_both_databases, small_demo, spawn_app, spawn_app_with};

const PASSWORD: &str = "kata-sandi-uji-123";
const UNIT: &str = "dinsos-uji";
const PHONE: &str = "081234567890";
const TOKEN: &str = "tgp_privacy_token_for_tests_0123456789abcdefgh";

/// A unit with one account per role and an API token reading complaints.
async fn fixture(db: TestDb, adjust: impl FnOnce(&mut tanggap::config::Config)) -> (TestApp, i64) {
    let store = db.store.clone();
    let unit = store
        .create_unit(&NewUnit {
            code: UNIT.into(),
            name: "Dinas Sosial Uji".into(),
            short_name: "Dinsos".into(),
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
        })
        .await
        .unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    for (name, role) in [
        ("petugas", Role::Petugas),
        ("kabid", Role::KepalaBidang),
        ("admin", Role::Admin),
    ] {
        store
            .create_user(&NewUser {
                username: name.into(),
                full_name: format!("Pak {name}"),
                password_hash: hash.clone(),
                roles: vec![(unit, role)],
            })
            .await
            .unwrap();
    }
    store
        .create_api_token(
            unit,
            "dasbor",
            &tanggap::auth::hash_secret(TOKEN),
            &["complaints:read".into()],
            None,
        )
        .await
        .unwrap();
    (
        spawn_app_with(db, |c| {
            c.public_rate_per_minute = 6_000;
            adjust(c);
        })
        .await,
        unit,
    )
}

fn complaint(unit_id: i64, name: &str, anonim: bool, subject: &str) -> NewComplaint {
    NewComplaint {
        unit_id,
        channel: Channel::Website,
        channel_ref: None,
        channel_detail: None,
        received_at: Utc::now() - chrono::Duration::days(2),
        recorded_by: None,
        complainant: Complainant {
            name: Some(name.into()),
            phone: Some(PHONE.into()),
            email: Some(format!("{}@contoh.id", name.to_lowercase().replace(' ', "."))),
            address: None,
            nik: None,
        },
        anonim,
        rahasia: false,
        subject: subject.into(),
        description: "Sudah dua minggu belum ada perbaikan dari dinas.".into(),
        event_place: None,
        event_date: None,
        klasifikasi: Klasifikasi::Pengaduan,
        service_id: None,
    }
}

/// Runs one statement with integer parameters on either database (to arrange data
/// no page can make any more, such as a merge made before the rule).
async fn exec(url: &str, sql: &str, binds: &[i64]) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(&pool).await.unwrap();
        pool.close().await;
    }
}

on_both_databases!(
    an_anonymous_complaint_is_never_tied_to_a_named_one,
    |db: TestDb| async move {
        let (app, unit) = fixture(db, |_| {}).await;
        let store = app.store.clone();
        // The same person (same phone) files named and anonymously, on the same matter.
        let named = store
            .record_complaint(&complaint(
                unit,
                "Budi Penggugat",
                false,
                "Jalan rusak di depan kantor kelurahan",
            ))
            .await
            .unwrap();
        let named_again = store
            .record_complaint(&complaint(unit, "Budi Penggugat", false, "Mohon tindak lanjut segera"))
            .await
            .unwrap();
        // Recorded by staff from an SMS: its channel reference is the sender's number.
        let anon = store
            .record_complaint(&NewComplaint {
                channel_ref: Some(format!("SMS {PHONE}")),
                ..complaint(unit, "Rina Tersembunyi", true, "Jalan rusak dekat kantor kelurahan")
            })
            .await
            .unwrap();
        let anon_again = store
            .record_complaint(&complaint(
                unit,
                "Rina Tersembunyi",
                true,
                "Antrean loket terlalu panjang",
            ))
            .await
            .unwrap();
        let page = |id: i64| format!("/staf/{UNIT}/pengaduan/{id}");
        let kabid = app.login("kabid", PASSWORD).await;
        let petugas = app.login("petugas", PASSWORD).await;

        // A kepala bidang (may not see anonim identities) on the anonim complaint: no
        // contact suggestion, no link to either named complaint, no name.
        let (status, _, html) = kabid.get(&page(anon.id)).await;
        assert_eq!(status, 200);
        for leak in [
            named.nomor_agenda.as_str(),
            named_again.nomor_agenda.as_str(),
            "kontak sama",
            "Budi Penggugat",
            "Rina Tersembunyi",
            PHONE,
        ] {
            assert!(
                !html.contains(leak),
                "anonim page shows {leak} to a kepala bidang: {html}"
            );
        }
        // On the named complaint: the other named one by contact, never the anonim ones.
        let (_, _, html) = kabid.get(&page(named.id)).await;
        assert!(
            html.contains(&named_again.nomor_agenda) && html.contains("kontak sama"),
            "{html}"
        );
        assert!(
            html.contains("Budi Penggugat"),
            "the named identity is shown to a kepala bidang"
        );
        for leak in [anon.nomor_agenda.as_str(), anon_again.nomor_agenda.as_str()] {
            assert!(!html.contains(leak), "named page suggests anonim {leak}: {html}");
        }

        // The petugas (sees anonim identities): contact suggestions stay on one side
        // of anonim, both ways.
        let (_, _, html) = petugas.get(&page(anon.id)).await;
        assert!(
            html.contains(&anon_again.nomor_agenda) && html.contains("kontak sama"),
            "{html}"
        );
        assert!(
            html.contains("channel-ref") && html.contains("Rina Tersembunyi"),
            "{html}"
        );
        assert!(
            !html.contains(&named.nomor_agenda) && !html.contains(&named_again.nomor_agenda),
            "{html}"
        );
        let (_, _, html) = petugas.get(&page(named.id)).await;
        assert!(
            !html.contains(&anon.nomor_agenda) && !html.contains(&anon_again.nomor_agenda),
            "{html}"
        );
        let found = store.duplicate_candidates(unit, named.id, 5, true).await.unwrap();
        assert!(
            found
                .iter()
                .all(|d| d.complaint_id != anon.id && d.complaint_id != anon_again.id),
            "{found:?}"
        );
        let found = store.duplicate_candidates(unit, anon.id, 5, false).await.unwrap();
        assert!(found.iter().all(|d| d.reason != "kontak"), "{found:?}");

        // Merging across anonim is refused with the reason, both ways, nothing changed.
        for (from, into) in [(anon.id, named.id), (named.id, anon.id)] {
            let events = store.complaint_events(from).await.unwrap().len();
            let (code, _, body) = petugas
                .post(&format!("{}/gabung", page(from)), &[("ke", &into.to_string())])
                .await;
            assert_eq!(code, 422, "{body}");
            assert!(
                body.contains("Pengaduan anonim hanya dapat digabung dengan pengaduan anonim"),
                "{body}"
            );
            let state = store.triage_state(unit, from).await.unwrap().unwrap();
            assert_eq!((state.status.as_str(), state.merged_into_id), ("diterima", None));
            assert_eq!(store.complaint_events(from).await.unwrap().len(), events);
        }
        // Two anonim ones merge as before.
        let (code, _, body) = petugas
            .post(
                &format!("{}/gabung", page(anon_again.id)),
                &[("ke", &anon.id.to_string())],
            )
            .await;
        assert_eq!(code, 303, "{body}");

        // A merge across anonim made before the rule: its links are hidden from the
        // kepala bidang on both pages, shown to the petugas.
        exec(
            &app._db_url(),
            "UPDATE complaints SET merged_into_id = $1, status = 'diarsipkan' WHERE id = $2",
            &[named.id, anon.id],
        )
        .await;
        let (_, _, html) = kabid.get(&page(anon.id)).await;
        assert!(
            !html.contains(&named.nomor_agenda) && !html.contains("merged-into"),
            "{html}"
        );
        let (_, _, html) = kabid.get(&page(named.id)).await;
        assert!(!html.contains(&anon.nomor_agenda), "{html}");
        let (_, _, html) = petugas.get(&page(anon.id)).await;
        assert!(html.contains(&named.nomor_agenda), "{html}");

        // The inbox search looks at subject and description only: a phone, an email or a
        // name finds nothing, so it cannot reach an anonim complainant.
        for q in [PHONE, "rina.tersembunyi@contoh.id", "Tersembunyi"] {
            let (status, _, html) = kabid.get(&format!("/staf/{UNIT}/pengaduan?q={q}")).await;
            assert_eq!(status, 200);
            assert!(!html.contains(&anon.nomor_agenda), "search {q}: {html}");
        }
    }
);

on_both_databases!(attachments_follow_the_identity_rule, |db: TestDb| async move {
    let (app, unit) = fixture(db, |_| {}).await;
    let store = app.store.clone();
    let mut ids = Vec::new();
    for (name, anonim) in [("Rina Tersembunyi", true), ("Budi Penggugat", false)] {
        let c = store
            .record_complaint(&complaint(unit, name, anonim, "Bantuan sosial belum cair"))
            .await
            .unwrap();
        let file = store
            .add_attachment(&NewAttachment {
                complaint_id: c.id,
                message_id: None,
                filename: format!("ktp-{}.png", name.split(' ').next().unwrap()),
                content_type: "image/png".into(),
                content: b"\x89PNG fake".to_vec(),
            })
            .await
            .unwrap();
        ids.push((c.id, file));
    }
    let ((anon, anon_file), (named, named_file)) = (ids[0], ids[1]);
    let file_url = |id: i64, f: i64| format!("/staf/{UNIT}/pengaduan/{id}/lampiran/{f}");
    let kabid = app.login("kabid", PASSWORD).await;
    let petugas = app.login("petugas", PASSWORD).await;

    // The kepala bidang: the anonim one's attachment is neither listed nor served.
    let (_, _, html) = kabid.get(&format!("/staf/{UNIT}/pengaduan/{anon}")).await;
    assert!(!html.contains("ktp-Rina") && !html.contains("/lampiran/"), "{html}");
    assert!(html.contains("attachments-hidden"), "{html}");
    let (status, _, _) = kabid.get_bytes(&file_url(anon, anon_file)).await;
    assert_eq!(status, 404);
    // ... the named one's is, as before.
    let (_, _, html) = kabid.get(&format!("/staf/{UNIT}/pengaduan/{named}")).await;
    assert!(html.contains("ktp-Budi.png"), "{html}");
    let (status, _, _) = kabid.get_bytes(&file_url(named, named_file)).await;
    assert_eq!(status, 200);
    // The petugas sees both.
    let (_, _, html) = petugas.get(&format!("/staf/{UNIT}/pengaduan/{anon}")).await;
    assert!(html.contains("ktp-Rina.png"), "{html}");
    let (status, _, bytes) = petugas.get_bytes(&file_url(anon, anon_file)).await;
    assert_eq!((status, bytes.as_slice()), (200, b"\x89PNG fake".as_slice()));
    // The admin (no identities): no list, no file.
    let admin = app.login("admin", PASSWORD).await;
    let (_, _, html) = admin.get(&format!("/staf/{UNIT}/pengaduan/{named}")).await;
    assert!(
        !html.contains("ktp-Budi") && html.contains("attachments-hidden"),
        "{html}"
    );
    let (status, _, _) = admin.get_bytes(&file_url(named, named_file)).await;
    assert_eq!(status, 403);
});

on_both_databases!(api_tokens_get_no_rahasia_content, |db: TestDb| async move {
    let (app, unit) = fixture(db, |_| {}).await;
    let rahasia = app
        .store
        .record_complaint(&NewComplaint {
            rahasia: true,
            ..complaint(unit, "Budi Penggugat", false, "Pungutan liar di loket kartu keluarga")
        })
        .await
        .unwrap();
    let open = app
        .store
        .record_complaint(&complaint(unit, "Budi Penggugat", false, "Pungutan liar di loket akta"))
        .await
        .unwrap();
    let get = |q: &'static str| {
        let client = app.client.clone();
        let url = format!("{}/api/v1/units/{UNIT}/complaints{q}", app.address);
        async move {
            let r = client.get(url).bearer_auth(TOKEN).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            let cache = r.headers().get("cache-control").cloned();
            let text = r.text().await.unwrap();
            (serde_json::from_str::<Value>(&text).unwrap(), text, cache)
        }
    };
    let (list, text, cache) = get("").await;
    assert!(!text.contains("kartu keluarga") && !text.contains("Budi"), "{text}");
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == rahasia.id)
        .expect("the rahasia complaint is listed, without content");
    assert_eq!(
        (row["subject"].as_str(), row["rahasia"].as_bool()),
        (Some(""), Some(true))
    );
    // A search cannot probe the content of a rahasia complaint.
    let (list, _, _) = get("?q=pungutan").await;
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![open.id]);
    let (list, _, _) = get("?q=keluarga").await;
    assert_eq!(list, serde_json::json!([]));
    assert_eq!(cache.as_ref().and_then(|v| v.to_str().ok()), Some("no-store"));
});

#[tokio::test]
async fn personal_pages_are_not_cached_and_https_sites_pin_https() {
    let (app, unit) = fixture(TestDb::sqlite().await, |c| {
        c.public_url = Some("https://pengaduan.contoh.go.id".into());
    })
    .await;
    let c = app
        .store
        .record_complaint(&complaint(unit, "Budi Penggugat", false, "Bantuan sosial belum cair"))
        .await
        .unwrap();
    let petugas = app.login("petugas", PASSWORD).await;
    for path in [
        format!("/staf/{UNIT}/pengaduan/{}", c.id),
        format!("/staf/{UNIT}/pengaduan.csv?identitas=1"),
        format!("/staf/{UNIT}/pengaduan"),
    ] {
        let r = petugas.client.get(petugas.url(&path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000", "{path}");
    }
    for path in [
        format!("/lacak?kode={}", c.tracking_code),
        format!("/api/v1/tracking/{}", c.tracking_code),
    ] {
        let r = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
    }
    // Public pages may be cached, but are pinned to https too (even a 404).
    for path in ["/", "/u/dinsos-uji", "/tidak/ada"] {
        let r = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
        assert!(
            r.headers().get("cache-control").is_none_or(|v| v != "no-store"),
            "{path}"
        );
        assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000", "{path}");
    }

    // Without an https public URL, no HSTS (it would lock out a plain-http test site).
    let (app, _) = fixture(TestDb::sqlite().await, |_| {}).await;
    let r = app.client.get(format!("{}/", app.address)).send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    let r = app
        .client
        .get(format!("{}/api/v1/units", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers().get("strict-transport-security").is_none());
}

/// Every complainant of the database: tracking code and the identity fields present.
async fn complainants(url: &str) -> Vec<(String, Vec<String>)> {
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let sql = "SELECT tracking_code, complainant_name, complainant_phone, complainant_email, \
               complainant_address, complainant_nik FROM complaints";
    let rows: Vec<Row> = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    };
    rows.into_iter()
        .map(|(code, name, phone, email, address, nik)| {
            let fields = [name, phone, email, address, nik].into_iter().flatten();
            (code, fields.filter(|f| f.trim().len() >= 5).collect())
        })
        .collect()
}

on_both_databases!(
    no_public_page_of_the_demo_shows_a_complainant,
    |db: TestDb| async move {
        let summary = tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
            .await
            .unwrap()
            .unwrap();
        assert!(summary.complaints > 0);
        let app = spawn_app(db).await;
        let units = app.store.list_units().await.unwrap();
        // Complaints with every identity field, anonim and rahasia among them, filed
        // through the public API as a citizen would.
        let mut filed = 0;
        for (i, (anonim, rahasia)) in [(true, false), (true, true), (false, true), (false, false)]
            .into_iter()
            .enumerate()
        {
            let mut body = serde_json::json!({
                "klasifikasi": "pengaduan",
                "subject": "Bantuan pangan tidak sampai",
                "description": "Sudah tiga bulan bantuan pangan tidak kami terima.",
                "name": format!("Warga Penguji Nomor{i}"),
                "phone": format!("08579900112{i}"),
                "email": format!("warga.penguji{i}@contoh.id"),
                "address": format!("Jl. Kenanga Ujung Gang {i}"),
                "nik": format!("147201010190000{i}"),
            });
            // A flag that is off is left out: `null` is refused (issue 21).
            for (flag, on) in [("anonim", anonim), ("rahasia", rahasia)] {
                if on {
                    body[flag] = "1".into();
                }
            }
            let r = app
                .client
                .post(format!(
                    "{}/api/v1/units/{}/complaints",
                    app.address,
                    units[i % units.len()].code
                ))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
            filed += 1;
        }
        assert_eq!(filed, 4);
        let people = complainants(&app._db_url()).await;
        let identities: Vec<&String> = people.iter().flat_map(|(_, f)| f).collect();
        assert!(
            identities
                .iter()
                .any(|f| f.len() == 16 && f.chars().all(|c| c.is_ascii_digit())),
            "a NIK is among the identities checked"
        );

        let mut paths = vec![
            "/".to_owned(),
            "/lacak".to_owned(),
            "/masuk".to_owned(),
            "/api/v1/units".to_owned(),
            "/api/v1/openapi.json".to_owned(),
        ];
        for u in &units {
            let code = &u.code;
            paths.extend([
                format!("/u/{code}"),
                format!("/u/{code}/ikm"),
                format!("/u/{code}/pengaduan"),
                format!("/survei/{code}"),
                format!("/survei/{code}/terima-kasih"),
                format!("/api/v1/units/{code}/services"),
            ]);
            for s in app.store.list_services(u.id).await.unwrap() {
                paths.push(format!("/survei/{code}/{}", s.code));
            }
        }
        for (code, _) in &people {
            paths.push(format!("/lacak?kode={code}"));
            paths.push(format!("/api/v1/tracking/{code}"));
        }
        let (mut tracked, mut pages) = (0, 0);
        for path in &paths {
            let (status, body) = app.get(path).await;
            assert_eq!(status, 200, "{path}");
            pages += 1;
            if path.contains("tracking/") {
                tracked += 1;
            }
            let lower = body.to_lowercase();
            for field in &identities {
                assert!(
                    !lower.contains(&field.to_lowercase()),
                    "{path} shows a complainant's {field:?}"
                );
            }
        }
        assert_eq!(tracked, people.len(), "every complaint's tracking answer was read");
        eprintln!(
            "{pages} public answers checked against {} identity values",
            identities.len()
        );
    }
);
