//! Hostile input (issue 17): open redirects, CSV formulas, extreme dates, oversized
//! forms and acknowledgement pumping, through the real app on both databases.

use std::time::{Duration, Instant};

use tanggap::domain::{Channel, Role};
use tanggap::storage::model::*;
use tanggap_tests::{TestApp, TestDb, on_both_databases, spawn_app};

const PASSWORD: &str = "kata-sandi-uji-123";
const SECRET: &str = "tgp_hostile_token_for_tests_0123456789abcdefghij";

/// A unit `dinsos-uji` with one service, a petugas, and a `stats:read` token.
async fn arrange(app: &TestApp) -> i64 {
    let store = &app.store;
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
            complaint_channels: vec![Channel::Website],
        })
        .await
        .unwrap();
    store
        .create_user(&NewUser {
            username: "petugas".into(),
            full_name: "Uji petugas".into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles: vec![(unit_id, Role::Petugas)],
        })
        .await
        .unwrap();
    store
        .create_api_token(
            unit_id,
            "stats",
            &tanggap::auth::hash_secret(SECRET),
            &["stats:read".into()],
            None,
        )
        .await
        .unwrap();
    unit_id
}

/// Files a complaint through the public API; the created JSON.
async fn file_by_api(app: &TestApp, body: serde_json::Value) -> serde_json::Value {
    let r = app
        .client
        .post(format!("{}/api/v1/units/dinsos-uji/complaints", app.address))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

#[tokio::test]
async fn next_parameters_never_leave_the_site() {
    let app = spawn_app(TestDb::sqlite().await).await;
    for next in [
        "/%09/evil.example",
        "%2F%09%2Fevil.example",
        "/%5Cevil.example",
        "//evil.example",
        "/%252F%252Fevil.example",
        "https://evil.example",
        "%09//evil",
    ] {
        let r = app
            .client
            .get(format!("{}/lang/id?next={next}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
    let r = app
        .client
        .get(format!("{}/lang/en?next=%2Fu%2Fx%3Fa%3D1", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/u/x?a=1", "a local path is kept");

    // The login page carries only a safe `next`, and the login follows only that.
    let (_, page) = app.get("/masuk?next=/%09/evil.example").await;
    assert!(!page.contains("evil.example"), "{page}");
    app.store
        .create_user(&NewUser {
            username: "petugas".into(),
            full_name: "Uji petugas".into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles: vec![],
        })
        .await
        .unwrap();
    let anon = app.anonymous().await;
    let (code, location, _) = anon
        .post(
            "/masuk",
            &[
                ("username", "petugas"),
                ("password", PASSWORD),
                ("next", "/\t/evil.example"),
            ],
        )
        .await;
    assert_eq!(code, 303);
    assert_eq!(location.as_deref(), Some("/staf"));
}

on_both_databases!(complaint_csv_cells_cannot_run_formulas, |db: TestDb| async move {
    let app = spawn_app(db).await;
    arrange(&app).await;
    let subject = r#"=HYPERLINK("http://evil.example","klik")"#;
    file_by_api(
        &app,
        serde_json::json!({
            "subject": subject,
            "description": "Antrean di loket pelayanan sangat panjang.",
            "name": "@SUM(1+1)*cmd|' /C calc'!A0",
        }),
    )
    .await;
    let petugas = app.login("petugas", PASSWORD).await;
    for path in [
        "/staf/dinsos-uji/pengaduan.csv",
        "/staf/dinsos-uji/pengaduan.csv?identitas=1",
    ] {
        let (status, content_type, bytes) = petugas.get_bytes(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(content_type.starts_with("text/csv"));
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let row = reader.records().next().expect("one row").unwrap();
        assert_eq!(&row[col("perihal")], format!("'{subject}"), "{path}");
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{path}: unguarded cell {cell:?}"
            );
        }
        if path.ends_with("identitas=1") {
            assert_eq!(&row[col("nama")], "'@SUM(1+1)*cmd|' /C calc'!A0");
        }
    }
});

#[tokio::test]
async fn extreme_dates_get_422_not_a_panic() {
    let app = spawn_app(TestDb::sqlite().await).await;
    arrange(&app).await;
    let get = |query: String| {
        let client = app.client.clone();
        let url = format!("{}{query}", app.address);
        async move {
            let r = client.get(url).bearer_auth(SECRET).send().await.unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    for (field, value) in [
        ("as_of", "9999-12-31"),
        ("as_of", "0001-01-01"),
        ("as_of", "%2B262143-01-01"),
        ("as_of", "-262143-01-01"),
        ("as_of", "1989-12-31"),
        ("as_of", "2101-01-01"),
        ("from", "0001-01-01"),
        ("to", "9999-12-31"),
    ] {
        let (status, body) = get(format!("/api/v1/complaints/stats?unit=dinsos-uji&{field}={value}")).await;
        assert_eq!(status, 422, "{field}={value}: {body}");
        assert_eq!(body["error"]["code"], "invalid_query", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(field)
                && (message.contains("harus tanggal antara") || message.contains("harus berformat")),
            "{message}"
        );
    }
    for (field, value) in [("from", "0001-01-01"), ("to", "9999-12-31")] {
        let (status, body) = get(format!("/api/v1/ikm?unit=dinsos-uji&{field}={value}")).await;
        assert_eq!(status, 422, "ikm {field}={value}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("harus tanggal antara 1990-01-01 dan 2100-12-31")
        );
    }
    let (status, body) = get("/api/v1/complaints/stats?unit=dinsos-uji&as_of=2026-11-20".into()).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn oversized_forms_are_refused_before_they_are_read() {
    let app = spawn_app(TestDb::sqlite().await).await;
    arrange(&app).await;
    let anon = app.anonymous().await;
    let huge = "a".repeat(1024 * 1024);
    let started = Instant::now();
    let r = anon
        .client
        .post(anon.url("/masuk"))
        .form(&[
            ("csrf", anon.csrf.as_str()),
            ("username", "x"),
            ("password", huge.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let page = r.text().await.unwrap();
    assert!(page.contains("<html lang=\"id\">"), "an Indonesian error page: {page}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // A normal login form and a full-length complaint (multipart) still pass.
    let (code, _, _) = anon
        .post("/masuk", &[("username", "petugas"), ("password", PASSWORD)])
        .await;
    assert_eq!(code, 303);
    let citizen = app.anonymous().await;
    let description = "Antrean panjang sekali di loket. ".repeat(300);
    let form = reqwest::multipart::Form::new()
        .text("klasifikasi", "pengaduan")
        .text("subject", "Antrean loket terlalu panjang")
        .text("description", description.chars().take(10_000).collect::<String>());
    let (code, location, body) = citizen.post_multipart("/u/dinsos-uji/pengaduan", form).await;
    assert_eq!(code, 303, "{body}");
    assert!(location.unwrap().starts_with("/lacak?kode="));
}

on_both_databases!(
    acknowledgements_to_one_destination_are_capped,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        arrange(&app).await;
        let mut queued = 0;
        for (i, phone) in [
            "0812-3456-7890",
            "+62 812 3456 7890",
            "081234567890",
            "6281234567890",
            "0812 3456 7890",
        ]
        .iter()
        .enumerate()
        {
            let created = file_by_api(
                &app,
                serde_json::json!({
                    "subject": format!("Pengaduan berulang nomor {i}"),
                    "description": "Antrean di loket pelayanan sangat panjang.",
                    "phone": phone,
                    "notify": if i % 2 == 0 { "sms" } else { "whatsapp" },
                }),
            )
            .await;
            assert!(
                created["tracking_code"].as_str().is_some_and(|c| !c.is_empty()),
                "still stored and coded"
            );
        }
        let unit = app.store.unit_by_code("dinsos-uji").await.unwrap().unwrap();
        let rows = app
            .store
            .list_complaints(
                unit.id,
                &ComplaintQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 5, "every complaint is stored");
        for c in &rows {
            let messages = app.store.outbox_for_complaint(c.id).await.unwrap();
            assert!(messages.iter().all(|m| m.recipient == "081234567890"));
            queued += messages.len();
        }
        assert_eq!(queued, 3, "at most 3 acknowledgements an hour to one number");
        // Another number is not affected.
        file_by_api(
            &app,
            serde_json::json!({
                "subject": "Pengaduan dari nomor lain",
                "description": "Antrean di loket pelayanan sangat panjang.",
                "email": "Warga@Contoh.id",
                "notify": "email",
            }),
        )
        .await;
        let rows = app
            .store
            .list_complaints(
                unit.id,
                &ComplaintQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let mut total = 0;
        for c in &rows {
            total += app.store.outbox_for_complaint(c.id).await.unwrap().len();
        }
        assert_eq!(total, 4);
    }
);
