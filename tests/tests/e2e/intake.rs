//! Complaint intake (issue 4): the citizen's form, staff entry with batch mode, the
//! SMS/WhatsApp gateway webhook and the JSON API, on both databases.

use chrono::Utc;
use tanggap::domain::{Channel, Role};
use tanggap::intake::gateway;
use tanggap::storage::model::*;
use tanggap_tests::{TestApp, TestDb, on_both_databases, spawn_app};

const PASSWORD: &str = "kata-sandi-uji-123";
/// Smallest valid PNG (1x1).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// A unit with one service and a petugas and an admin account.
async fn arrange(app: &TestApp) -> (i64, i64) {
    let store = &app.store;
    let unit_id = store
        .create_unit(&NewUnit {
            code: "dinsos-uji".into(),
            name: "Dinas Sosial Kota Uji".into(),
            short_name: "Dinsos Uji".into(),
            address: String::new(),
            city: "Dumai".into(),
            phone: String::new(),
            email: "pengaduan@dinsos-uji.go.id".into(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec![],
            head_title: String::new(),
            head_name: String::new(),
            head_nip: String::new(),
            complaint_channels: vec![Channel::Website],
        })
        .await
        .unwrap();
    let service_id = store
        .create_service(
            unit_id,
            &NewService {
                code: "kartu-disabilitas".into(),
                name: "Kartu Penyandang Disabilitas".into(),
                division_id: None,
                requirements: vec![],
                completion_days: 3,
                completion_text: "3 hari kerja".into(),
                working_days: true,
                fee_rupiah: 0,
                fee_text: String::new(),
                product: String::new(),
                complaint_channels: vec![],
            },
        )
        .await
        .unwrap();
    for (name, role) in [("petugas", Role::Petugas), ("admin", Role::Admin)] {
        store
            .create_user(&NewUser {
                username: name.into(),
                full_name: format!("Uji {name}"),
                password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
                roles: vec![(unit_id, role)],
            })
            .await
            .unwrap();
    }
    (unit_id, service_id)
}

fn text_form(fields: &[(&str, &str)]) -> reqwest::multipart::Form {
    fields.iter().fold(reqwest::multipart::Form::new(), |f, (k, v)| {
        f.text(k.to_string(), v.to_string())
    })
}

on_both_databases!(
    a_citizen_files_on_the_web_form_and_gets_a_receipt,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        let (unit_id, service_id) = arrange(&app).await;
        let citizen = app.anonymous().await;
        let (status, _, form) = citizen.get("/u/dinsos-uji/pengaduan").await;
        assert_eq!(status, 200);
        assert!(form.contains("Kartu Penyandang Disabilitas") && form.contains("enctype=\"multipart/form-data\""));
        let fields = [
            ("klasifikasi", "pengaduan"),
            ("subject", "Kartu belum jadi setelah dua minggu"),
            (
                "description",
                "Saya mengurus kartu penyandang disabilitas sejak 1 November, belum ada kabar.",
            ),
            ("service", &service_id.to_string()),
            ("event_place", "Loket 2"),
            ("event_date", "2026-11-01"),
            ("name", "Siti Rahmawati"),
            ("email", "siti@contoh.id"),
            ("phone", "0812-9988-7766"),
            ("rahasia", "1"),
            ("notify", "email"),
        ];
        let form = text_form(&fields).part(
            "attachments",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("bukti.jpg"),
        );
        let (status, location, body) = citizen.post_multipart("/u/dinsos-uji/pengaduan", form).await;
        assert_eq!(status, 303, "{body}");
        let location = location.expect("redirect to the receipt");
        assert!(
            location.starts_with("/lacak?kode=") && location.ends_with("&baru=1"),
            "{location}"
        );
        let (_, _, receipt) = citizen.get(&location).await;
        assert!(
            receipt.contains("ADU/2026/000001")
                || receipt.contains(&format!("ADU/{}/000001", chrono::Datelike::year(&Utc::now())))
        );
        assert!(receipt.contains("Tanda terima pengaduan"));
        assert!(
            !receipt.contains("Siti Rahmawati") && !receipt.contains("siti@contoh.id"),
            "no personal data"
        );
        assert!(
            !receipt.contains("Kartu belum jadi"),
            "rahasia: no subject on the public page"
        );

        let rows = app
            .store
            .list_complaints(
                unit_id,
                &ComplaintQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let c = app.store.complaint(unit_id, rows[0].id).await.unwrap().unwrap();
        assert_eq!(c.summary.channel, "website");
        assert_eq!(c.summary.service.as_deref(), Some("Kartu Penyandang Disabilitas"));
        assert_eq!(c.complainant.phone.as_deref(), Some("081299887766"));
        assert!(c.summary.rahasia && !c.summary.anonim);
        let files = app.store.attachments(c.summary.id).await.unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].content_type.as_str(), files[0].filename.as_str()),
            ("image/png", "bukti.jpg")
        );
        let acks = app.store.outbox_for_complaint(c.summary.id).await.unwrap();
        assert_eq!(acks.len(), 1);
        assert_eq!(acks[0].recipient, "siti@contoh.id");
        assert!(acks[0].subject.as_deref().unwrap().contains(&c.summary.nomor_agenda));
        let code = location.trim_start_matches("/lacak?kode=").trim_end_matches("&baru=1");
        assert!(acks[0].body.contains(code), "the ack carries the tracking code");

        // The JSON status of the same complaint: no personal data, no subject (rahasia).
        let (status, json) = app.get(&format!("/api/v1/tracking/{code}")).await;
        assert_eq!(status, 200);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["nomor_agenda"], c.summary.nomor_agenda);
        assert_eq!(v["status"], "diterima");
        assert!(v["subject"].is_null());
        assert!(!json.contains("Siti") && !json.contains("0812"));
        let (status, _) = app.get("/api/v1/tracking/ZZZZZZZZZZZZZZZZ").await;
        assert_eq!(status, 404);
    }
);

on_both_databases!(
    bad_input_gets_clear_messages_and_stores_nothing,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        let (unit_id, _) = arrange(&app).await;
        let citizen = app.anonymous().await;
        let _ = citizen.get("/u/dinsos-uji/pengaduan").await;
        let form = text_form(&[
            ("subject", "abc"),
            ("description", "Loket tutup sejak pagi, tidak ada petugas."),
            ("email", "bukan surel"),
            ("notify", "sms"),
        ])
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"MZ\x90\x00 program".to_vec()).file_name("foto.jpg"),
        );
        let (status, _, page) = citizen.post_multipart("/u/dinsos-uji/pengaduan", form).await;
        assert_eq!(status, 422);
        for message in [
            "Perihal terlalu pendek",
            "Alamat surel tidak sah",
            "Isi nomor telepon Anda agar nomor agenda dapat dikirim",
            "Lampiran harus berupa foto",
        ] {
            assert!(page.contains(message), "missing {message:?}");
        }
        assert!(page.contains("Loket tutup sejak pagi"), "what was typed is kept");
        // Without the CSRF token nothing is accepted either.
        let r = citizen
            .client
            .post(citizen.url("/u/dinsos-uji/pengaduan"))
            .multipart(text_form(&[
                ("subject", "Antrean panjang"),
                ("description", "Menunggu lama sekali di loket."),
            ]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // A form of an unknown unit.
        let (status, _, _) = citizen.post_multipart("/u/tidak-ada/pengaduan", text_form(&[])).await;
        assert_eq!(status, 404);
        let counts = app.store.counts().await.unwrap();
        assert_eq!(counts.complaints, 0);
        assert!(
            app.store
                .list_complaints(
                    unit_id,
                    &ComplaintQuery {
                        limit: 5,
                        ..Default::default()
                    }
                )
                .await
                .unwrap()
                .is_empty()
        );
    }
);

on_both_databases!(
    parallel_submissions_get_gapless_distinct_numbers,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        let (unit_id, _) = arrange(&app).await;
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for i in 0..40 {
            let client = client.clone();
            let url = format!("{}/api/v1/units/dinsos-uji/complaints", app.address);
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .json(&serde_json::json!({
                        "subject": format!("Pengaduan serentak {i}"),
                        "description": "Antrean di loket pelayanan sangat panjang.",
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                r.json::<serde_json::Value>().await.unwrap()
            }));
        }
        let mut numbers = Vec::new();
        for t in tasks {
            let v = t.await.unwrap();
            let nomor = v["nomor_agenda"].as_str().unwrap().to_owned();
            numbers.push(nomor.rsplit('/').next().unwrap().parse::<i64>().unwrap());
            assert!(
                v["tracking_url"]
                    .as_str()
                    .unwrap()
                    .contains(v["tracking_code"].as_str().unwrap())
            );
        }
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=40).collect::<Vec<_>>(), "no gaps, no duplicates");
        assert_eq!(app.store.counts().await.unwrap().complaints, 40);
        // Invalid fields: 422 with the field named; text that is not JSON: 400; nothing stored.
        let r = client
            .post(format!("{}/api/v1/units/dinsos-uji/complaints", app.address))
            .json(&serde_json::json!({"subject": "x", "description": "pendek"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["fields"][0]["field"], "subject");
        let r = client
            .post(format!("{}/api/v1/units/dinsos-uji/complaints", app.address))
            .header("content-type", "application/json")
            .body("{bukan json")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "text that is not JSON cannot be read (issue 21)");
        assert_eq!(app.store.counts().await.unwrap().complaints, 40);
        let _ = unit_id;
    }
);

on_both_databases!(staff_record_paper_complaints_in_batch_mode, |db: TestDb| async move {
    let app = spawn_app(db).await;
    let (unit_id, _) = arrange(&app).await;
    let petugas = app.login("petugas", PASSWORD).await;
    let (status, _, page) = petugas.get("/staf/dinsos-uji/pengaduan/baru?batch=1").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"batch\""));
    for (i, subject) in ["Lampu ruang tunggu mati", "Toilet umum kotor sekali"]
        .iter()
        .enumerate()
    {
        let form = text_form(&[
            ("batch", "1"),
            ("channel", "kotak_saran"),
            ("received_date", "2026-11-20"),
            ("received_time", "08:30"),
            ("channel_ref", &format!("KS-11-{i}")),
            ("subject", subject),
            ("description", "Surat di kotak saran, ditulis tangan oleh warga."),
            ("name", "Pak Darto"),
        ])
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 pindaian".to_vec()).file_name("scan.pdf"),
        );
        let (status, location, body) = petugas.post_multipart("/staf/dinsos-uji/pengaduan/baru", form).await;
        assert_eq!(status, 303, "{body}");
        let location = location.unwrap();
        assert!(
            location.contains("batch=1")
                && location.contains("channel=kotak_saran")
                && location.contains("received_date=2026-11-20")
        );
        let (_, _, next) = petugas.get(&location).await;
        assert!(
            next.contains(&format!("ADU/2026/00000{}", i + 1)),
            "the saved number is shown"
        );
        assert!(
            next.contains("value=\"2026-11-20\""),
            "the date is kept for the next form"
        );
    }
    let rows = app
        .store
        .list_complaints(
            unit_id,
            &ComplaintQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let c = app.store.complaint(unit_id, rows[0].id).await.unwrap().unwrap();
    assert_eq!(c.summary.channel, "kotak_saran");
    // 08:30 WIB is 01:30 UTC: the original received time, not the typing time.
    assert_eq!(c.summary.received_at.to_rfc3339(), "2026-11-20T01:30:00+00:00");
    assert!(c.channel_ref.as_deref().unwrap().starts_with("KS-11-"));
    let files = app.store.attachments(c.summary.id).await.unwrap();
    assert_eq!(files[0].content_type, "application/pdf");
    // The scan downloads for the petugas, as an attachment.
    let r = petugas
        .client
        .get(petugas.url(&format!(
            "/staf/dinsos-uji/pengaduan/{}/lampiran/{}",
            c.summary.id, files[0].id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 pindaian");
    // A website channel or a future date is refused and stores nothing.
    let form = text_form(&[
        ("channel", "website"),
        ("received_date", "2099-01-01"),
        ("subject", "Tidak boleh tersimpan"),
        ("description", "Kanal ini hanya untuk warga sendiri."),
    ]);
    let (status, _, page) = petugas.post_multipart("/staf/dinsos-uji/pengaduan/baru", form).await;
    assert_eq!(status, 422);
    assert!(page.contains("Pilih saluran asal pengaduan") && page.contains("Tanggal tidak boleh di masa depan"));
    assert_eq!(app.store.counts().await.unwrap().complaints, 2);
    // The admin role records no complaints.
    let admin = app.login("admin", PASSWORD).await;
    let (status, _, _) = admin.get("/staf/dinsos-uji/pengaduan/baru").await;
    assert_eq!(status, 403);
});

on_both_databases!(
    gateway_messages_are_signed_threaded_and_taken_once,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        let (unit_id, _) = arrange(&app).await;
        let secret = "rahasia-gateway-uji";
        app.store
            .set_channel_settings(&ChannelSettings {
                unit_id,
                channel: "whatsapp".into(),
                config: serde_json::json!({ "url": "", "auth_token": "", "hmac_secret": secret }),
                enabled: true,
            })
            .await
            .unwrap();
        let client = reqwest::Client::new();
        let url = format!("{}/api/v1/gateway/dinsos-uji/whatsapp", app.address);
        let post = |body: serde_json::Value, signature: Option<String>| {
            let client = client.clone();
            let url = url.clone();
            async move {
                let body = body.to_string();
                let mut r = client.post(url).header("content-type", "application/json");
                if let Some(s) = signature {
                    r = r.header(gateway::SIGNATURE_HEADER, s);
                }
                let r = r.body(body).send().await.unwrap();
                (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
            }
        };
        let first = serde_json::json!({"id": "wa-1", "from": "+62 812 1111 2222", "text": "Bantuan sosial belum cair\nSudah 3 bulan."});
        let (status, v) = post(first.clone(), Some("sha256=00".into())).await;
        assert_eq!((status, v["error"]["code"].as_str()), (401, Some("bad_signature")));
        let (status, _) = post(first.clone(), None).await;
        assert_eq!(status, 401);
        assert_eq!(
            app.store.counts().await.unwrap().complaints,
            0,
            "unsigned posts change nothing"
        );

        let sign = |v: &serde_json::Value| Some(gateway::sign(secret, v.to_string().as_bytes()));
        let (status, v) = post(first.clone(), sign(&first)).await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["status"], "created");
        let nomor = v["nomor_agenda"].as_str().unwrap().to_owned();
        let (status, v) = post(first.clone(), sign(&first)).await;
        assert_eq!(
            (status, v["status"].as_str()),
            (200, Some("duplicate")),
            "redelivery is a no-op"
        );
        let second = serde_json::json!({"id": "wa-2", "from": "081211112222", "text": "Nomor KKS saya 1234."});
        let (_, v) = post(second.clone(), sign(&second)).await;
        assert_eq!(v["status"], "threaded");
        assert_eq!(v["nomor_agenda"], nomor.as_str());
        let (_, v) = post(second.clone(), sign(&second)).await;
        assert_eq!(v["status"], "duplicate");
        let bad = serde_json::json!({"id": "wa-3", "from": "bukan nomor", "text": "halo"});
        let (status, _) = post(bad.clone(), sign(&bad)).await;
        assert_eq!(status, 422);

        assert_eq!(app.store.counts().await.unwrap().complaints, 1);
        let rows = app
            .store
            .list_complaints(
                unit_id,
                &ComplaintQuery {
                    limit: 5,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let c = app.store.complaint(unit_id, rows[0].id).await.unwrap().unwrap();
        assert_eq!(c.summary.subject, "Bantuan sosial belum cair");
        assert_eq!(c.summary.channel, "whatsapp");
        assert_eq!(c.complainant.phone.as_deref(), Some("081211112222"));
        let thread = app.store.complaint_messages(c.summary.id).await.unwrap();
        assert_eq!(thread.len(), 2);
        assert_eq!(thread[1].body, "Nomor KKS saya 1234.");
        let acks = app.store.outbox_for_complaint(c.summary.id).await.unwrap();
        assert_eq!(acks.len(), 1);
        assert_eq!(
            (acks[0].channel.as_str(), acks[0].recipient.as_str()),
            ("whatsapp", "081211112222")
        );
        assert!(acks[0].body.contains(&nomor));
        // A channel that is not configured for the unit has no secret: nothing can sign for it.
        let r = client
            .post(format!("{}/api/v1/gateway/dinsos-uji/sms", app.address))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
);
