//! Survey administration (issue 7): periods, populations and the progress page
//! against the Krejcie–Morgan sample; saran turned into a complaint; over real HTTP
//! on both databases.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tanggap::domain::SurveySource;
use tanggap::storage::model::*;
use tanggap_tests::{TestDb, on_both_databases};

use crate::survey::{ELEMENTS, Fixture, PASSWORD, fixture};

fn intake(f: &Fixture, day: NaiveDate, service_id: Option<i64>, saran: Option<&str>) -> SurveyIntake {
    let scores: BTreeMap<String, i64> = ELEMENTS.iter().map(|k| (k.to_string(), 3)).collect();
    SurveyIntake {
        response: NewSurveyResponse {
            unit_id: f.unit_id,
            service_id,
            rule_set_id: 1,
            responded_on: day,
            source: SurveySource::Web,
            import_key: None,
            scores,
            profile: RespondentProfile::default(),
            saran: saran.map(str::to_owned),
        },
        kiosk_id: None,
        entered_by: None,
    }
}

fn row_of<'a>(page: &'a str, service: &str) -> &'a str {
    let at = page
        .find(&format!("data-layanan=\"{service}\""))
        .unwrap_or_else(|| panic!("{service} row: {page}"));
    &page[at..at + page[at..].find("</tr>").unwrap()]
}

on_both_databases!(a_period_shows_responses_against_the_sample, |db: TestDb| async move {
    let f = fixture(db).await;
    let default_rule_set = f
        .app
        .store
        .survey_rule_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_default)
        .unwrap();
    let pkh = f.app.store.list_services(f.unit_id).await.unwrap()[1].id;
    let day = |d: u32| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    let mut batch = Vec::new();
    for i in 0..12 {
        let mut r = intake(&f, day(1 + i % 20), Some(f.ktp), None);
        r.response.rule_set_id = default_rule_set.id;
        batch.push(r);
    }
    let mut outside = intake(&f, NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(), Some(f.ktp), None);
    outside.response.rule_set_id = default_rule_set.id;
    batch.push(outside);
    f.app.store.record_survey_batch(&batch).await.unwrap();

    // A kepala bidang reads periods but may not create one.
    let kabid = f.app.login("kabid_uji", PASSWORD).await;
    let form = [
        ("nama", "Semester I 2026"),
        ("mulai", "2026-01-01"),
        ("selesai", "2026-06-30"),
        ("aturan", "permenpan-rb-14-2017"),
        ("target", ""),
    ];
    assert_eq!(kabid.post("/staf/dinsos-uji/survei/periode", &form).await.0, 403);
    let petugas = f.app.login("petugas_uji", PASSWORD).await;
    let (status, _, page) = petugas
        .post(
            "/staf/dinsos-uji/survei/periode",
            &[
                ("nama", "Semester I 2026"),
                ("mulai", "2026-06-30"),
                ("selesai", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        page.contains("tanggal selesai tidak boleh sebelum tanggal mulai"),
        "{page}"
    );
    assert!(f.app.store.list_survey_periods(f.unit_id).await.unwrap().is_empty());
    let (status, location, _) = petugas.post("/staf/dinsos-uji/survei/periode", &form).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with("/staf/dinsos-uji/survei/periode/"));
    let (status, _, page) = petugas.post("/staf/dinsos-uji/survei/periode", &form).await;
    assert_eq!(status, 422, "the same name twice");
    assert!(page.contains("sudah dipakai"));

    // No population yet: the sample cannot be stated.
    let (status, _, page) = kabid.get(&location).await;
    assert_eq!(status, 200);
    let ktp_row = row_of(&page, "Surat Keterangan Tidak Mampu");
    assert!(ktp_row.contains("belum ada"), "{ktp_row}");
    assert!(ktp_row.contains("<td class=\"num collected\">12"), "{ktp_row}");

    // Populations: 50 service users of SKTM need 44 respondents (SKM.md), 1000 of
    // PKH need 278. A bad number stores nothing.
    let period_id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let populations = format!("{location}/populasi");
    let ktp_field = format!("populasi_{}", f.ktp);
    let pkh_field = format!("populasi_{pkh}");
    let (status, _, page) = petugas
        .post(&populations, &[(ktp_field.as_str(), "50"), (pkh_field.as_str(), "-3")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Tidak ada yang disimpan"));
    assert!(f.app.store.survey_populations(period_id).await.unwrap().is_empty());
    assert_eq!(kabid.post(&populations, &[(ktp_field.as_str(), "50")]).await.0, 403);
    let (status, _, _) = petugas
        .post(
            &populations,
            &[(ktp_field.as_str(), "50"), (pkh_field.as_str(), "1.000")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, _, page) = petugas.get(&location).await;
    let ktp_row = row_of(&page, "Surat Keterangan Tidak Mampu");
    assert!(ktp_row.contains("<span class=\"pop\">50</span>"), "{ktp_row}");
    assert!(ktp_row.contains("<td class=\"num sample\">44</td>"), "{ktp_row}");
    assert!(ktp_row.contains("<td class=\"num missing\">32</td>"), "{ktp_row}");
    let pkh_row = row_of(&page, "Rekomendasi PKH");
    assert!(pkh_row.contains("<td class=\"num sample\">278</td>"), "{pkh_row}");
    assert!(pkh_row.contains("<td class=\"num collected\">0"), "{pkh_row}");
    assert!(page.contains("<td class=\"num\">322</td>"), "total sample 44 + 278");

    // Editing the period to end in February leaves fewer responses in it.
    let (status, _, _) = petugas
        .post(
            &location,
            &[
                ("nama", "Semester I 2026 (revisi)"),
                ("mulai", "2026-01-01"),
                ("selesai", "2026-03-05"),
                ("aturan", "permenpan-rb-14-2017"),
                ("target", "400"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let period = f.app.store.survey_period(f.unit_id, period_id).await.unwrap().unwrap();
    assert_eq!(period.name, "Semester I 2026 (revisi)");
    assert_eq!(period.target_responses, Some(400));
    let counts = f.app.store.survey_period_counts(f.unit_id, &period).await.unwrap();
    assert_eq!(counts.iter().map(|c| c.responses).sum::<i64>(), 5, "1-5 March");
    // Without an entered population, the system counts the service transactions it
    // invited in the period (distinct references).
    let today = chrono::Utc::now().date_naive();
    let now_period = f
        .app
        .store
        .create_survey_period(
            f.unit_id,
            &tanggap::storage::survey_admin::NewSurveyPeriod {
                name: "Berjalan".into(),
                starts_on: today - chrono::Duration::days(1),
                ends_on: today + chrono::Duration::days(1),
                rule_set_id: default_rule_set.id,
                target_responses: None,
            },
        )
        .await
        .unwrap();
    for reference in ["PKH-1", "PKH-2", "PKH-3"] {
        tanggap_tests::test_invite(f.app.store.as_ref(), f.unit_id, Some(pkh), reference).await;
    }
    let (_, _, page) = kabid
        .get(&format!("/staf/dinsos-uji/survei/periode/{now_period}"))
        .await;
    let pkh_row = row_of(&page, "Rekomendasi PKH");
    assert!(pkh_row.contains("<span class=\"pop\">3</span>"), "{pkh_row}");
    assert!(pkh_row.contains("dihitung sistem"), "{pkh_row}");
    assert!(
        pkh_row.contains("<td class=\"num sample\">3</td>"),
        "N = 3 needs all 3: {pkh_row}"
    );
    // A period under the legacy rule set does not count 14/2017 responses.
    let legacy = f
        .app
        .store
        .survey_rule_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|r| !r.is_default)
        .unwrap();
    let mut other = period.clone();
    other.rule_set_id = legacy.id;
    assert!(
        f.app
            .store
            .survey_period_counts(f.unit_id, &other)
            .await
            .unwrap()
            .iter()
            .all(|c| c.responses == 0)
    );
});

on_both_databases!(a_saran_becomes_one_complaint, |db: TestDb| async move {
    let f = fixture(db).await;
    let day = NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();
    let ids = f
        .app
        .store
        .record_survey_batch(&[
            intake(&f, day, Some(f.ktp), Some("Petugas loket 2 meminta uang tambahan.")),
            intake(&f, day, None, None),
        ])
        .await
        .unwrap();
    let response_id = ids[0].unwrap();
    let petugas = f.app.login("petugas_uji", PASSWORD).await;
    let (status, _, page) = petugas.get("/staf/dinsos-uji/survei/saran").await;
    assert_eq!(status, 200);
    assert!(page.contains("Petugas loket 2 meminta uang tambahan."));
    assert_eq!(
        page.matches("<tr id=\"saran-").count(),
        1,
        "only responses with a saran"
    );
    let action = format!("/staf/dinsos-uji/survei/saran/{response_id}/pengaduan");
    assert!(page.contains(&action));

    let (status, first, body) = petugas.post(&action, &[]).await;
    assert_eq!(status, 303, "{body}");
    let (status, second, _) = petugas.post(&action, &[]).await;
    assert_eq!(status, 303);
    assert_eq!(first, second, "the second click opens the same complaint");
    let complaint_id: i64 = first.unwrap().rsplit('/').next().unwrap().parse().unwrap();
    let complaints = f
        .app
        .store
        .list_complaints(
            f.unit_id,
            &ComplaintQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(complaints.len(), 1, "one complaint, not two");
    let record = f.app.store.complaint(f.unit_id, complaint_id).await.unwrap().unwrap();
    assert_eq!(record.summary.channel, "skm");
    assert_eq!(
        record.channel_ref.as_deref(),
        Some(format!("survei-{response_id}").as_str())
    );
    assert_eq!(record.description, "Petugas loket 2 meminta uang tambahan.");
    let row = f
        .app
        .store
        .survey_saran_row(f.unit_id, response_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.complaint_id,
        Some(complaint_id),
        "complaints.survey_response_id links them"
    );
    let (_, _, page) = petugas.get("/staf/dinsos-uji/survei/saran").await;
    assert!(!page.contains(&action), "the button is gone once linked");
    assert!(page.contains(&format!("/staf/dinsos-uji/pengaduan/{complaint_id}")));
    // Another unit's response is not found; an auditor may not make complaints.
    let (status, _, _) = petugas
        .post("/staf/dinsos-uji/survei/saran/999999/pengaduan", &[])
        .await;
    assert_eq!(status, 404);
});

/// Decodes a greyscale PNG into (width, height, pixels).
fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    pixels.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, pixels)
}

on_both_databases!(a_service_qr_code_opens_its_survey, |db: TestDb| async move {
    let f = fixture(db).await;
    let kabid = f.app.login("kabid_uji", PASSWORD).await;
    let (status, _, page) = kabid.get("/staf/dinsos-uji/survei/qr").await;
    assert_eq!(status, 200);
    let expected = format!("{}/survei/dinsos-uji/sktm", f.app.address);
    assert!(page.contains(&expected), "the page shows the address: {page}");

    let r = kabid
        .client
        .get(kabid.url("/staf/dinsos-uji/survei/qr/sktm/png"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png_bytes = r.bytes().await.unwrap().to_vec();
    assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (w, h, pixels) = decode_png(&png_bytes);
    assert_eq!(w, h);
    // A real decoder reads the URL back out of the image.
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().expect("a readable code");
    assert_eq!(content, expected);

    let r = kabid
        .client
        .get(kabid.url("/staf/dinsos-uji/survei/qr/sktm/svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let svg = r.text().await.unwrap();
    // Same matrix as the PNG: one square per dark module, width from the view box.
    let side: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(w % side, 0, "the PNG is the SVG's grid scaled");
    let scale = w / side;
    let dark_in_png = (0..side * side)
        .filter(|i| pixels[(i / side) * scale * w + (i % side) * scale] == 0)
        .count();
    assert_eq!(svg.matches("h1v1h-1z").count(), dark_in_png);

    let (status, _, poster) = kabid.get("/staf/dinsos-uji/survei/qr/sktm/poster").await;
    assert_eq!(status, 200);
    assert!(poster.contains("Dinas Sosial Kota Uji"), "the unit's name");
    assert!(poster.contains("Surat Keterangan Tidak Mampu"), "the service");
    assert!(poster.contains("src=\"/staf/dinsos-uji/survei/qr/sktm/svg\""));
    // The stylesheet is linked under its content-hashed name (issue 21).
    let css_link = poster
        .split("href=\"")
        .find(|p| p.starts_with("/assets/poster."))
        .and_then(|p| p.split('"').next())
        .expect("the poster links its stylesheet");
    assert!(
        css_link.ends_with(".css") && css_link != "/assets/poster.css",
        "{css_link}"
    );
    let (status, _, css) = kabid.get(css_link).await;
    assert_eq!(status, 200);
    assert!(css.contains("@page") && css.contains("@media print"));
    assert_eq!(kabid.get("/staf/dinsos-uji/survei/qr/paspor/png").await.0, 404);
});

on_both_databases!(an_invite_link_takes_one_response, |db: TestDb| async move {
    use crate::survey::{all_answers, refs, respondent, stored};
    let f = fixture(db).await;
    let petugas = f.app.login("petugas_uji", PASSWORD).await;
    let (status, _, page) = petugas.get("/staf/dinsos-uji/survei/undangan").await;
    assert_eq!(status, 200, "{page}");
    let invite = [
        ("transaksi", "SKTM/2026/0042"),
        ("layanan", "sktm"),
        ("saluran", "whatsapp"),
        ("kontak", "+62 812-3456-7890"),
    ];
    let (status, _, page) = petugas
        .post(
            "/staf/dinsos-uji/survei/undangan",
            &[
                ("transaksi", "X-1"),
                ("layanan", "sktm"),
                ("saluran", "email"),
                ("kontak", "bukan email"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("tidak valid untuk saluran"), "{page}");
    let (status, _, page) = petugas.post("/staf/dinsos-uji/survei/undangan", &invite).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Undangan untuk transaksi SKTM/2026/0042 masuk antrean"),
        "{page}"
    );
    let (status, _, page) = petugas.post("/staf/dinsos-uji/survei/undangan", &invite).await;
    assert_eq!(status, 409, "one invite per transaction");
    assert!(page.contains("sudah pernah diundang"));

    // Exactly one message was queued, to the normalised number, carrying the link.
    let now = chrono::Utc::now();
    let queued = f
        .app
        .store
        .claim_outbox(now, now + chrono::Duration::minutes(5), 100)
        .await
        .unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    let message = &queued[0];
    assert_eq!(message.channel, "whatsapp");
    assert_eq!(message.recipient, "081234567890");
    assert_eq!(
        message.dedupe_key,
        format!("survey-invite:{}:SKTM/2026/0042", f.unit_id)
    );
    assert!(message.body.contains("Surat Keterangan Tidak Mampu"));
    let token = message
        .body
        .split("/undangan/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert!(token.len() >= 40, "a long random token");
    let path = format!("/undangan/{token}");

    let (visitor, page) = respondent(&f.app, &path).await;
    assert!(page.contains(&format!("action=\"{path}\"")), "{page}");
    assert!(page.contains("Surat Keterangan Tidak Mampu"));
    let mut fields = all_answers("3");
    fields.push(("saran".into(), "Cepat sekali.".into()));
    let (status, location, body) = visitor.post(&path, &refs(&fields)).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(location.as_deref(), Some("/survei/dinsos-uji/terima-kasih"));
    let rows = stored(&f).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].source, "invite");
    assert_eq!(
        rows[0].service, "Surat Keterangan Tidak Mampu",
        "the invite fixes the service"
    );

    // A second submission (another tab, a forwarded link) stores nothing.
    let (status, _, page) = visitor.post(&path, &refs(&all_answers("1"))).await;
    assert_eq!(status, 409);
    assert!(page.contains("sudah dipakai"), "{page}");
    assert_eq!(stored(&f).await.len(), 1);
    let (status, _, page) = visitor.get(&path).await;
    assert_eq!(status, 200);
    assert!(page.contains("sudah dipakai") && !page.contains("name=\"q_persyaratan\""));
    assert_eq!(visitor.get("/undangan/tidak-ada").await.0, 404);
});

on_both_databases!(
    the_same_browser_cannot_send_the_same_answers_twice,
    |db: TestDb| async move {
        use crate::survey::{all_answers, refs, respondent, stored};
        let f = fixture(db).await;
        let (visitor, _) = respondent(&f.app, "/survei/dinsos-uji").await;
        let mut fields = all_answers("4");
        fields.push(("layanan".into(), "sktm".into()));
        assert_eq!(visitor.post("/survei/dinsos-uji", &refs(&fields)).await.0, 303);
        let (status, _, page) = visitor.post("/survei/dinsos-uji", &refs(&fields)).await;
        assert_eq!(status, 409, "a repeat is refused");
        assert!(page.contains("tidak disimpan dua kali"), "{page}");
        assert_eq!(stored(&f).await.len(), 1, "the repeat stored nothing");
        // Different answers from the same browser, or the same answers from another
        // browser, are ordinary responses.
        let mut other = fields.clone();
        other[0].1 = "3".into();
        assert_eq!(visitor.post("/survei/dinsos-uji", &refs(&other)).await.0, 303);
        let (neighbour, _) = respondent(&f.app, "/survei/dinsos-uji").await;
        assert_eq!(neighbour.post("/survei/dinsos-uji", &refs(&fields)).await.0, 303);
        assert_eq!(stored(&f).await.len(), 3);
    }
);

on_both_databases!(
    an_integration_invites_a_transaction_over_the_api,
    |db: TestDb| async move {
        let f = fixture(db).await;
        const INVITE_TOKEN: &str = "tgp_survey_invite_token_0123456789abcdefghijklm";
        f.app
            .store
            .create_api_token(
                f.unit_id,
                "loket",
                &tanggap::auth::hash_secret(INVITE_TOKEN),
                &["survey:invite".into()],
                None,
            )
            .await
            .unwrap();
        let url = format!("{}/api/v1/units/dinsos-uji/survey-invites", f.app.address);
        let body = serde_json::json!({
            "transaction_ref": "PKH-77",
            "service": "pkh",
            "channel": "email",
            "contact": "warga@contoh.id",
        });
        let post = |token: &'static str, body: serde_json::Value| {
            let client = f.app.client.clone();
            let url = url.clone();
            async move {
                let r = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
                let status = r.status().as_u16();
                (status, r.json::<serde_json::Value>().await.unwrap())
            }
        };
        // A token without the scope is refused.
        let (status, _) = post("tgp_survey_stats_token_0123456789abcdefghijklmn", body.clone()).await;
        assert_eq!(status, 403);
        let (status, created) = post(INVITE_TOKEN, body.clone()).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["transaction_ref"], "PKH-77");
        assert!(created.get("token").is_none() && !created.to_string().contains("/undangan/"));
        let (status, error) = post(INVITE_TOKEN, body.clone()).await;
        assert_eq!(status, 409);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("sudah pernah diundang")
        );
        let mut bad = body.clone();
        bad["transaction_ref"] = "PKH-78".into();
        bad["contact"] = "0812".into();
        let (status, error) = post(INVITE_TOKEN, bad).await;
        assert_eq!(status, 422, "{error}");
        let now = chrono::Utc::now();
        let queued = f
            .app
            .store
            .claim_outbox(now, now + chrono::Duration::minutes(5), 100)
            .await
            .unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].channel, "email");
        assert_eq!(queued[0].recipient, "warga@contoh.id");
        assert!(queued[0].subject.as_deref().unwrap().contains("Rekomendasi PKH"));
    }
);
