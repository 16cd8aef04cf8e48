//! WhatsApp Cloud API (Meta) as a native provider (issue 19), both directions, on
//! both databases, against the stand-in Graph API (`tanggap_tests::providers::meta`)
//! and Meta's documented payloads (`tests/fixtures/providers/meta/`).

use chrono::Utc;
use hmac::{Hmac, Mac};
use tanggap::domain::Role;
use tanggap::notify::PassReport;
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap_tests::providers::meta::MetaStandIn;
use tanggap_tests::{Actor, TestApp, TestDb, add_staff, on_both_databases, spawn_app_with};

const UNIT: &str = "dinsos-meta";
const OTHER: &str = "disdik-meta";
const PUBLIC_URL: &str = "https://pengaduan.dumaikota.test";
const PHONE_ID: &str = "106540352242922";
const TOKEN: &str = "EAAJB-token-akses-uji";
const APP_SECRET: &str = "rahasia-aplikasi-meta-uji-1";
const VERIFY: &str = "token-verifikasi-uji-123";
const OTHER_SECRET: &str = "rahasia-aplikasi-unit-lain-2";
const OTHER_VERIFY: &str = "token-verifikasi-unit-lain";
const PASSWORD: &str = "kata-sandi-uji-123";

/// A JPEG as far as content sniffing goes (SOI, JFIF APP0), with a body.
fn jpeg() -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01,
    ];
    b.extend((0..4000u32).map(|i| (i % 251) as u8));
    b.extend([0xFF, 0xD9]);
    b
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

/// A fixture as stored, from `tests/fixtures/providers/meta/`.
fn fixture(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/providers/meta")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The fixture's first message, made live: sent `seconds_ago`, optionally from
/// another number and under another id.
fn live(name: &str, seconds_ago: i64, from: Option<&str>, id: Option<&str>) -> serde_json::Value {
    let mut v = fixture(name);
    let m = &mut v["entry"][0]["changes"][0]["value"]["messages"][0];
    m["timestamp"] = (Utc::now().timestamp() - seconds_ago).to_string().into();
    if let Some(from) = from {
        m["from"] = from.into();
    }
    if let Some(id) = id {
        m["id"] = id.into();
    }
    v
}

/// `sha256=<hex>` computed here, independently of the server's code.
fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn settings(graph: &str, app_secret: &str, verify: &str) -> serde_json::Value {
    serde_json::json!({
        "provider": "meta",
        "phone_number_id": PHONE_ID,
        "access_token": TOKEN,
        "app_secret": app_secret,
        "verify_token": verify,
        "graph_url": graph,
        "template_language": "id",
        "default_template": "pemberitahuan_pengaduan",
        "templates": { "answer": "jawaban_pengaduan", "status": "status_pengaduan" },
    })
}

async fn set_meta(store: &dyn Store, unit_id: i64, config: serde_json::Value, enabled: bool) {
    store
        .set_channel_settings(&ChannelSettings {
            unit_id,
            channel: "whatsapp".into(),
            config,
            enabled,
        })
        .await
        .unwrap();
}

/// The app (with a public URL), two units with their own Meta apps, and the stand-in.
async fn arrange(db: TestDb) -> (TestApp, i64, i64, MetaStandIn) {
    let app = spawn_app_with(db, |c| {
        c.public_rate_per_minute = 6_000;
        c.public_url = Some(PUBLIC_URL.into());
    })
    .await;
    let graph = MetaStandIn::start(TOKEN).await;
    let a = app.store.create_unit(&tanggap_tests::test_unit(UNIT)).await.unwrap();
    let b = app.store.create_unit(&tanggap_tests::test_unit(OTHER)).await.unwrap();
    set_meta(
        app.store.as_ref(),
        a,
        settings(&graph.graph_url(), APP_SECRET, VERIFY),
        true,
    )
    .await;
    set_meta(
        app.store.as_ref(),
        b,
        settings(&graph.graph_url(), OTHER_SECRET, OTHER_VERIFY),
        true,
    )
    .await;
    (app, a, b, graph)
}

async fn post_webhook(app: &TestApp, unit: &str, body: &[u8], signature: Option<&str>) -> (u16, serde_json::Value) {
    let mut r = reqwest::Client::new()
        .post(format!("{}/webhook/{unit}/whatsapp-meta", app.address))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(s) = signature {
        r = r.header("x-hub-signature-256", s);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Posts a payload signed with the unit's own app secret.
async fn deliver(app: &TestApp, payload: &serde_json::Value) -> (u16, serde_json::Value) {
    let body = payload.to_string();
    post_webhook(app, UNIT, body.as_bytes(), Some(&sign(APP_SECRET, body.as_bytes()))).await
}

async fn handshake(app: &TestApp, unit: &str, query: &str) -> (u16, String, String) {
    let r = reqwest::get(format!("{}/webhook/{unit}/whatsapp-meta?{query}", app.address))
        .await
        .unwrap();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), content_type, r.text().await.unwrap())
}

async fn complaints(store: &dyn Store, unit_id: i64) -> Vec<ComplaintRecord> {
    let rows = store
        .list_complaints(
            unit_id,
            &ComplaintQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in rows {
        out.push(store.complaint(unit_id, r.id).await.unwrap().unwrap());
    }
    out.sort_by_key(|c| c.summary.id);
    out
}

/// Everything a webhook could have changed, to show that a refused one changed nothing.
async fn snapshot(store: &dyn Store, unit_id: i64) -> (i64, i64, usize) {
    let counts = store.counts().await.unwrap();
    let mut outbox = 0;
    for c in complaints(store, unit_id).await {
        outbox += store.outbox_for_complaint(c.summary.id).await.unwrap().len();
    }
    (counts.complaints, counts.complaint_events, outbox)
}

on_both_databases!(
    meta_handshake_and_signatures_admit_only_the_units_own_app,
    |db: TestDb| async move {
        let (app, a, _b, _graph) = arrange(db).await;
        app.store
            .create_unit(&tanggap_tests::test_unit("tanpa-meta"))
            .await
            .unwrap();

        // The handshake: the unit's own verify token echoes the challenge, as text.
        let ok = format!("hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444");
        let (status, content_type, body) = handshake(&app, UNIT, &ok).await;
        assert_eq!((status, body.as_str()), (200, "1158201444"));
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        for (query, why) in [
            (
                "hub.mode=subscribe&hub.verify_token=token-salah-sekali-123&hub.challenge=1".to_owned(),
                "a wrong token",
            ),
            (
                format!("hub.mode=subscribe&hub.verify_token={OTHER_VERIFY}&hub.challenge=1"),
                "another unit's token",
            ),
            (
                format!("hub.mode=unsubscribe&hub.verify_token={VERIFY}&hub.challenge=1"),
                "another mode",
            ),
            (format!("hub.mode=subscribe&hub.verify_token={VERIFY}"), "no challenge"),
            ("hub.mode=subscribe&hub.challenge=1".to_owned(), "no token"),
        ] {
            let (status, _, body) = handshake(&app, UNIT, &query).await;
            assert_eq!(status, 403, "{why}: {body}");
            assert!(!body.contains("1158201444"));
        }
        let (status, _, _) = handshake(&app, "tanpa-meta", &ok).await;
        assert_eq!(status, 403, "a unit without Meta settings verifies nothing");
        let (status, _, _) = handshake(&app, "tidak-ada", &ok).await;
        assert_eq!(status, 404);

        // Posts: missing, forged, another unit's app secret, a signature of another
        // body: 401, and nothing changes.
        let payload = live("text_message.json", 60, None, None);
        let body = payload.to_string();
        let before = snapshot(app.store.as_ref(), a).await;
        let other_body = live("text_message.json", 60, None, Some("wamid.lain")).to_string();
        for (signature, why) in [
            (None, "no signature"),
            (Some(sign("rahasia-palsu-penyerang", body.as_bytes())), "forged"),
            (Some(sign(OTHER_SECRET, body.as_bytes())), "another unit's app secret"),
            (
                Some(sign(APP_SECRET, other_body.as_bytes())),
                "another body's signature",
            ),
            (
                Some(
                    sign(APP_SECRET, body.as_bytes())
                        .trim_start_matches("sha256=")
                        .to_owned(),
                ),
                "no sha256= prefix",
            ),
        ] {
            let (status, answer) = post_webhook(&app, UNIT, body.as_bytes(), signature.as_deref()).await;
            assert_eq!(status, 401, "{why}: {answer}");
            assert_eq!(answer["error"]["code"], "bad_signature", "{why}");
            assert!(
                answer["error"]["message"].as_str().unwrap().contains("tanda tangan"),
                "{answer}"
            );
        }
        assert_eq!(
            snapshot(app.store.as_ref(), a).await,
            before,
            "refused posts change nothing"
        );
        // The other unit's app signs for the other unit only: its URL, its secret.
        let (status, answer) =
            post_webhook(&app, OTHER, body.as_bytes(), Some(&sign(APP_SECRET, body.as_bytes()))).await;
        assert_eq!(status, 401, "{answer}");
        // A channel that is off takes nothing, even signed right.
        let graph_url = MetaStandIn::start(TOKEN).await.graph_url();
        set_meta(app.store.as_ref(), a, settings(&graph_url, APP_SECRET, VERIFY), false).await;
        let (status, _) = deliver(&app, &payload).await;
        assert_eq!(status, 401);
        assert_eq!(snapshot(app.store.as_ref(), a).await, before);
        // Switched on, the same body signed right is taken.
        set_meta(app.store.as_ref(), a, settings(&graph_url, APP_SECRET, VERIFY), true).await;
        let (status, answer) = deliver(&app, &payload).await;
        assert_eq!(
            (status, answer["results"][0]["status"].as_str()),
            (200, Some("created")),
            "{answer}"
        );
        assert_eq!(complaints(app.store.as_ref(), a).await.len(), 1);
    }
);

on_both_databases!(
    meta_messages_become_complaints_with_their_photos,
    |db: TestDb| async move {
        let (app, a, _b, graph) = arrange(db).await;
        let store = app.store.clone();
        graph.add_media("1003383421387256", "image/jpeg", jpeg());
        graph.add_media("1187561385813563", "application/pdf", pdf());

        // 1. A text message becomes a complaint from 0812…, acknowledged on WhatsApp.
        let text = live("text_message.json", 60, None, None);
        let (status, answer) = deliver(&app, &text).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["results"][0]["status"], "created");
        let nomor = answer["results"][0]["nomor_agenda"].as_str().unwrap().to_owned();
        let all = complaints(store.as_ref(), a).await;
        assert_eq!(all.len(), 1);
        let c = &all[0];
        assert_eq!(c.summary.nomor_agenda, nomor);
        assert_eq!(c.summary.channel, "whatsapp");
        assert_eq!(c.summary.subject, "Bantuan sosial belum cair");
        assert_eq!(c.complainant.phone.as_deref(), Some("081234567890"));
        assert!(c.description.contains("Rimba Sekampung"), "{}", c.description);
        let thread = store.complaint_messages(c.summary.id).await.unwrap();
        assert_eq!(thread.len(), 1);
        assert_eq!(
            (thread[0].direction.as_str(), thread[0].sender.as_str()),
            ("in", "081234567890")
        );
        let sent_at = Utc::now().timestamp() - 60;
        assert!(
            (thread[0].at.timestamp() - sent_at).abs() <= 2,
            "Meta's timestamp is the time of receipt"
        );
        let acks = store.outbox_for_complaint(c.summary.id).await.unwrap();
        assert_eq!(acks.len(), 1);
        assert_eq!(
            (acks[0].channel.as_str(), acks[0].recipient.as_str()),
            ("whatsapp", "081234567890")
        );
        assert!(acks[0].body.contains(&nomor));

        // 2. Meta redelivers: nothing changes.
        let before = snapshot(store.as_ref(), a).await;
        let (status, answer) = deliver(&app, &text).await;
        assert_eq!(
            (status, answer["results"][0]["status"].as_str()),
            (200, Some("duplicate"))
        );
        assert_eq!(snapshot(store.as_ref(), a).await, before);
        assert_eq!(store.complaint_messages(c.summary.id).await.unwrap().len(), 1);

        // 3. A photo from another number becomes a complaint with the photo, byte for byte,
        //    fetched with the unit's token.
        let image = live("image_message.json", 30, None, None);
        let (status, answer) = deliver(&app, &image).await;
        assert_eq!(
            (status, answer["results"][0]["status"].as_str()),
            (200, Some("created")),
            "{answer}"
        );
        let all = complaints(store.as_ref(), a).await;
        assert_eq!(all.len(), 2);
        let photo_complaint = &all[1];
        assert_eq!(photo_complaint.complainant.phone.as_deref(), Some("085211112222"));
        assert!(
            photo_complaint.summary.subject.starts_with("Jalan berlubang"),
            "{}",
            photo_complaint.summary.subject
        );
        let files = store.attachments(photo_complaint.summary.id).await.unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].content_type, "image/jpeg");
        let (_, bytes) = store
            .attachment_content(photo_complaint.summary.id, files[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bytes, jpeg(), "the photo is stored byte for byte");
        let requests = graph.media_requests();
        assert_eq!(
            requests.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
            ["/v21.0/1003383421387256", "/media/1003383421387256"]
        );
        assert!(
            requests
                .iter()
                .all(|r| r.headers.get("authorization") == Some(&format!("Bearer {TOKEN}")))
        );

        // 4. A PDF from the same number joins that complaint's thread with its file.
        let document = live("document_message.json", 20, None, None);
        let (_, answer) = deliver(&app, &document).await;
        assert_eq!(answer["results"][0]["status"], "threaded", "{answer}");
        let files = store.attachments(photo_complaint.summary.id).await.unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(
            (files[1].filename.as_str(), files[1].content_type.as_str()),
            ("surat-keterangan.pdf", "application/pdf")
        );
        let thread = store.complaint_messages(photo_complaint.summary.id).await.unwrap();
        assert_eq!(thread.len(), 2);
        assert_eq!(thread[1].body, "Surat keterangan dari kelurahan");

        // 5. A "PDF" that is a script, and a photo over 5 MB: the messages are kept
        //    with a note, the files are not (the big one is not even downloaded).
        graph.add_media("2000000000000001", "application/pdf", b"#!/bin/sh\nrm -rf /\n".to_vec());
        let mut fake = live("document_message.json", 10, None, Some("wamid.palsu1"));
        let d = &mut fake["entry"][0]["changes"][0]["value"]["messages"][0]["document"];
        d["id"] = "2000000000000001".into();
        d["filename"] = "tagihan.pdf".into();
        let (_, answer) = deliver(&app, &fake).await;
        assert_eq!(answer["results"][0]["status"], "threaded", "{answer}");
        graph.add_media_claiming("2000000000000002", "image/jpeg", jpeg(), 6 * 1024 * 1024);
        let mut big = live("image_message.json", 5, None, Some("wamid.besar1"));
        let i = &mut big["entry"][0]["changes"][0]["value"]["messages"][0]["image"];
        i["id"] = "2000000000000002".into();
        i["caption"] = "".into();
        let (_, answer) = deliver(&app, &big).await;
        assert_eq!(answer["results"][0]["status"], "threaded", "{answer}");
        assert_eq!(store.attachments(photo_complaint.summary.id).await.unwrap().len(), 2);
        let thread = store.complaint_messages(photo_complaint.summary.id).await.unwrap();
        assert_eq!(thread.len(), 4);
        assert!(
            thread[2].body.contains("Lampiran \"tagihan.pdf\" tidak disimpan")
                && thread[2].body.contains("harus berupa foto"),
            "{}",
            thread[2].body
        );
        assert!(
            thread[3].body.contains("tanpa keterangan") && thread[3].body.contains("5 MB"),
            "{}",
            thread[3].body
        );
        assert!(
            !graph
                .media_requests()
                .iter()
                .any(|r| r.path == "/media/2000000000000002"),
            "a file over the limit by Meta's own figure is not downloaded"
        );

        // 6. Status callbacks and another number's messages are taken (200) and change nothing.
        let before = snapshot(store.as_ref(), a).await;
        let (status, _) = deliver(&app, &fixture("status_callback.json")).await;
        assert_eq!(status, 200);
        let mut foreign = live("text_message.json", 5, Some("6281399990000"), Some("wamid.asing1"));
        foreign["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999999999".into();
        let (status, answer) = deliver(&app, &foreign).await;
        assert_eq!(
            (status, answer["results"][0]["status"].as_str()),
            (200, Some("ignored"))
        );
        assert_eq!(snapshot(store.as_ref(), a).await, before);

        // 7. Meta unreachable for the media: 503 so Meta redelivers, nothing stored;
        //    the redelivery once it is back is taken.
        set_meta(
            store.as_ref(),
            a,
            settings("http://127.0.0.1:9/v21.0", APP_SECRET, VERIFY),
            true,
        )
        .await;
        let late = live("image_message.json", 5, Some("6281377778888"), Some("wamid.nanti1"));
        let (status, answer) = deliver(&app, &late).await;
        assert_eq!(status, 503, "{answer}");
        assert_eq!(snapshot(store.as_ref(), a).await, before);
        set_meta(
            store.as_ref(),
            a,
            settings(&graph.graph_url(), APP_SECRET, VERIFY),
            true,
        )
        .await;
        let (status, answer) = deliver(&app, &late).await;
        assert_eq!(
            (status, answer["results"][0]["status"].as_str()),
            (200, Some("created")),
            "{answer}"
        );
        let newest = complaints(store.as_ref(), a).await.pop().unwrap();
        assert_eq!(newest.complainant.phone.as_deref(), Some("081377778888"));
        assert_eq!(store.attachments(newest.summary.id).await.unwrap().len(), 1);
    }
);

fn report(sent: usize, retried: usize, given_up: usize) -> PassReport {
    PassReport {
        sent,
        retried,
        given_up,
    }
}

/// Takes a complaint through the staff pages to an answer (ringan: no sign-offs).
async fn answer(petugas: &Actor, division: i64, complaint_id: i64, text: &str) {
    let page = format!("/staf/{UNIT}/pengaduan/{complaint_id}");
    let division = division.to_string();
    let (code, _, body) = petugas
        .post(
            &format!("{page}/klasifikasi"),
            &[("klasifikasi", "pengaduan"), ("bidang", &division), ("bobot", "ringan")],
        )
        .await;
    assert_eq!(code, 303, "{body}");
    for to in ["terverifikasi", "didisposisikan"] {
        assert_eq!(
            petugas.post(&format!("{page}/status"), &[("to", to)]).await.0,
            303,
            "{to}"
        );
    }
    assert_eq!(petugas.post(&format!("{page}/jawaban"), &[("isi", text)]).await.0, 303);
}

/// Queues a WhatsApp notice for `to` on complaint `complaint_id`, as a later step's
/// notice would be queued.
async fn queue(store: &dyn Store, unit_id: i64, complaint_id: i64, to: &str, key: &str, headers: &[(&str, &str)]) {
    let row = NewOutbox {
        unit_id: Some(unit_id),
        complaint_id: Some(complaint_id),
        channel: "whatsapp".into(),
        recipient: to.into(),
        subject: None,
        body: format!("Pemberitahuan {key}."),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        dedupe_key: key.into(),
    };
    assert!(store.enqueue_outbox(&row).await.unwrap(), "{key} queued");
}

on_both_databases!(
    meta_answers_go_as_text_inside_the_window_and_as_templates_outside,
    |db: TestDb| async move {
        let (app, a, _b, graph) = arrange(db).await;
        let store = app.store.clone();
        let division = store.create_division(a, "Bidang Bantuan Sosial").await.unwrap();
        add_staff(store.as_ref(), UNIT, "petugas_meta", PASSWORD, &[Role::Petugas]).await;
        let petugas = app.login("petugas_meta", PASSWORD).await;
        let sender = tanggap_tests::test_sender(&store);

        // Inside the window: the citizen wrote a minute ago.
        let (_, answer_1) = deliver(&app, &live("text_message.json", 60, None, None)).await;
        assert_eq!(answer_1["results"][0]["status"], "created");
        let c1 = complaints(store.as_ref(), a).await[0].summary.id;
        assert_eq!(sender.run_pass(Utc::now()).await.unwrap(), report(1, 0, 0));
        answer(&petugas, division, c1, "Bantuan Anda cair pada 10 Desember 2026.").await;
        assert_eq!(sender.run_pass(Utc::now()).await.unwrap(), report(3, 0, 0));
        let sends = graph.sends();
        assert_eq!(
            sends.len(),
            4,
            "the acknowledgement, two status notices (terverifikasi, didisposisikan), the answer"
        );
        for s in &sends {
            assert_eq!(s.path, format!("/v21.0/{PHONE_ID}/messages"));
            assert_eq!(s.headers.get("authorization"), Some(&format!("Bearer {TOKEN}")));
        }
        let rows = store.outbox_for_complaint(c1).await.unwrap();
        assert_eq!(
            sends[0].json(),
            serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "6281234567890",
                "type": "text",
                "text": { "preview_url": false, "body": rows[0].body },
            }),
            "the acknowledgement goes as free text"
        );
        for notice in &sends[1..3] {
            assert_eq!(
                notice.json()["type"],
                "text",
                "a status notice inside the window is free text"
            );
        }
        let answer_text = sends[3].json();
        assert_eq!(answer_text["type"], "text");
        assert!(
            answer_text["text"]["body"]
                .as_str()
                .unwrap()
                .contains("Bantuan Anda cair pada 10 Desember 2026."),
            "{answer_text}"
        );
        let out: Vec<_> = store
            .complaint_messages(c1)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.direction == "out")
            .map(|m| m.message_ref.unwrap())
            .collect();
        assert_eq!(
            out,
            [
                "wamid.STANDIN0001",
                "wamid.STANDIN0002",
                "wamid.STANDIN0003",
                "wamid.STANDIN0004"
            ],
            "Meta's ids thread the replies"
        );

        // Outside the window: another citizen, answered, sent 25 hours on.
        let text_2 = live("text_message.json", 60, Some("6285211112222"), Some("wamid.kedua"));
        deliver(&app, &text_2).await;
        let c2 = complaints(store.as_ref(), a).await[1].summary.id;
        answer(&petugas, division, c2, "Jalan diperbaiki\npekan depan.").await;
        let later = Utc::now() + chrono::Duration::hours(25);
        assert_eq!(sender.run_pass(later).await.unwrap(), report(4, 0, 0));
        let sends = graph.sends();
        assert_eq!(
            sends.len(),
            8,
            "the second citizen's acknowledgement, status notices and answer"
        );
        let rows_2 = store.outbox_for_complaint(c2).await.unwrap();
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            sends[4].json(),
            serde_json::json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "6285211112222",
                "type": "template",
                "template": {
                    "name": "pemberitahuan_pengaduan",
                    "language": { "code": "id" },
                    "components": [{
                        "type": "body",
                        "parameters": [{ "type": "text", "text": flat(&rows_2[0].body) }],
                    }],
                },
            }),
            "an acknowledgement has no template of its own: the default, with the text"
        );
        for notice in &sends[5..7] {
            let notice = notice.json();
            assert_eq!(notice["template"]["name"], "status_pengaduan", "{notice}");
            assert_eq!(
                notice["template"]["components"][0]["parameters"]
                    .as_array()
                    .unwrap()
                    .len(),
                3,
                "{notice}"
            );
        }
        let answer_sent = sends[7].json();
        let template = &answer_sent["template"];
        assert_eq!(template["name"], "jawaban_pengaduan");
        let param = template["components"][0]["parameters"][0]["text"].as_str().unwrap();
        assert!(
            param.contains("Jalan diperbaiki pekan depan.") && !param.contains('\n'),
            "{param}"
        );

        // A notice with its kind and parameters gets that kind's template, with them.
        let params = r#"["B-2026-00012","Terverifikasi","https://pengaduan.dumaikota.test/lacak?kode=K"]"#;
        queue(
            store.as_ref(),
            a,
            c2,
            "085211112222",
            "status:uji:1",
            &[("x-notice-kind", "status"), ("x-notice-params", params)],
        )
        .await;
        assert_eq!(sender.run_pass(later).await.unwrap(), report(1, 0, 0));
        let status_template = graph.sends()[8].json();
        assert_eq!(status_template["template"]["name"], "status_pengaduan");
        assert_eq!(
            status_template["template"]["components"][0]["parameters"],
            serde_json::json!([
                { "type": "text", "text": "B-2026-00012" },
                { "type": "text", "text": "Terverifikasi" },
                { "type": "text", "text": "https://pengaduan.dumaikota.test/lacak?kode=K" },
            ])
        );

        // Error mapping: a 400 is given up at once; a 500 is retried, then delivered.
        graph.answer_next(400, fixture("error_invalid_parameter.json"));
        queue(store.as_ref(), a, c1, "081234567890", "uji:400", &[]).await;
        assert_eq!(sender.run_pass(Utc::now()).await.unwrap(), report(0, 0, 1));
        let failed = store
            .outbox_for_complaint(c1)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.dedupe_key == "uji:400")
            .unwrap();
        assert_eq!((failed.status.as_str(), failed.attempts), ("failed", 1));
        let error = failed.last_error.unwrap();
        assert!(
            error.contains("131009") && error.contains("Meta menjawab 400"),
            "{error}"
        );
        graph.answer_next(500, fixture("error_internal.json"));
        queue(store.as_ref(), a, c1, "081234567890", "uji:500", &[]).await;
        let t = Utc::now();
        assert_eq!(sender.run_pass(t).await.unwrap(), report(0, 1, 0));
        let row = |key: &'static str| {
            let store = store.clone();
            async move {
                store
                    .outbox_for_complaint(c1)
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|r| r.dedupe_key == key)
                    .unwrap()
            }
        };
        let retried = row("uji:500").await;
        assert_eq!((retried.status.as_str(), retried.attempts), ("pending", 1));
        assert!(retried.last_error.unwrap().contains("131000"));
        assert_eq!(
            sender.run_pass(t + chrono::Duration::seconds(61)).await.unwrap(),
            report(1, 0, 0)
        );
        assert_eq!(row("uji:500").await.status, "sent");

        // Meta says the window closed (131047) after all: the template goes at once.
        graph.answer_next(400, fixture("error_re_engagement.json"));
        queue(store.as_ref(), a, c1, "081234567890", "uji:131047", &[]).await;
        let before = graph.sends().len();
        assert_eq!(sender.run_pass(Utc::now()).await.unwrap(), report(1, 0, 0));
        let sends = graph.sends();
        assert_eq!(sends.len(), before + 2);
        assert_eq!(sends[before].json()["type"], "text");
        assert_eq!(sends[before + 1].json()["template"]["name"], "pemberitahuan_pengaduan");

        // No template at all outside the window: not sent, kept for retry, and the row
        // says why in Indonesian.
        let mut bare = settings(&graph.graph_url(), APP_SECRET, VERIFY);
        bare["default_template"] = "".into();
        bare["templates"] = serde_json::json!({});
        set_meta(store.as_ref(), a, bare, true).await;
        queue(store.as_ref(), a, c1, "081300000000", "uji:tanpa-templat", &[]).await;
        let before = graph.sends().len();
        assert_eq!(sender.run_pass(Utc::now()).await.unwrap(), report(0, 1, 0));
        assert_eq!(graph.sends().len(), before, "nothing went to Meta");
        let waiting = row("uji:tanpa-templat").await;
        assert_eq!(waiting.status, "pending");
        let why = waiting.last_error.unwrap();
        assert!(why.contains("belum mengatur templat"), "{why}");
    }
);

fn meta_form<'a>(graph: &'a str, token: &'a str, secret: &'a str, verify: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("enabled", "1"),
        ("phone_number_id", PHONE_ID),
        ("access_token", token),
        ("app_secret", secret),
        ("verify_token", verify),
        ("graph_url", graph),
        ("template_language", "id"),
        ("default_template", "pemberitahuan_pengaduan"),
        ("template_answer", "jawaban_pengaduan"),
    ]
}

on_both_databases!(
    meta_settings_are_saved_by_the_units_admin_only,
    |db: TestDb| async move {
        let app = spawn_app_with(db, |c| {
            c.public_rate_per_minute = 6_000;
            c.public_url = Some(PUBLIC_URL.into());
        })
        .await;
        let store = app.store.clone();
        let unit_id = store.create_unit(&tanggap_tests::test_unit(UNIT)).await.unwrap();
        store.create_unit(&tanggap_tests::test_unit(OTHER)).await.unwrap();
        add_staff(store.as_ref(), UNIT, "admin_meta", PASSWORD, &[Role::Admin]).await;
        add_staff(store.as_ref(), UNIT, "petugas_meta", PASSWORD, &[Role::Petugas]).await;
        add_staff(store.as_ref(), OTHER, "admin_lain", PASSWORD, &[Role::Admin]).await;
        let admin = app.login("admin_meta", PASSWORD).await;
        let path = format!("/staf/{UNIT}/saluran/meta");
        let graph = "https://graph.facebook.com/v21.0";

        // The page shows the URL to paste into Meta.
        let (status, _, page) = admin.get(&format!("/staf/{UNIT}/saluran")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains(&format!("{PUBLIC_URL}/webhook/{UNIT}/whatsapp-meta")),
            "{page}"
        );
        assert!(page.contains("Meta belum menjadi penyedia WhatsApp"));

        // Saved: Meta becomes the provider; no secret is shown back.
        let (status, _, page) = admin.post(&path, &meta_form(graph, TOKEN, APP_SECRET, VERIFY)).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Pengaturan saluran disimpan."));
        assert!(page.contains("Penyedia WhatsApp unit ini sekarang: Meta"));
        for secret in [TOKEN, APP_SECRET, VERIFY] {
            assert!(!page.contains(secret), "{secret} shown back");
        }
        let stored = || {
            let store = store.clone();
            async move { store.channel_settings(unit_id, "whatsapp").await.unwrap().unwrap() }
        };
        let saved = stored().await;
        assert!(saved.enabled);
        assert_eq!(saved.config["provider"], "meta");
        assert_eq!(
            (
                saved.config["access_token"].as_str(),
                saved.config["app_secret"].as_str(),
                saved.config["verify_token"].as_str(),
            ),
            (Some(TOKEN), Some(APP_SECRET), Some(VERIFY))
        );
        assert_eq!(saved.config["templates"]["answer"], "jawaban_pengaduan");
        // What was saved opens the webhook: the handshake answers with this token.
        let (status, _, body) = handshake(
            &app,
            UNIT,
            &format!("hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=42"),
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "42"));

        // Empty secret fields keep the stored ones.
        let (status, _, _) = admin.post(&path, &meta_form(graph, "", "", "")).await;
        assert_eq!(status, 200);
        assert_eq!(stored().await.config, saved.config);

        // Bad input: a clear Indonesian error, nothing changes.
        for (form, says) in [
            (
                meta_form("https://graph.lain.test/v21.0", "", "", ""),
                "masukkan lagi token akses",
            ),
            (
                meta_form("ftp://graph", TOKEN, "", ""),
                "Alamat Graph API harus diawali",
            ),
            (meta_form(graph, TOKEN, "pendek", ""), "Rahasia aplikasi wajib diisi"),
            (
                {
                    let mut f = meta_form(graph, "", "", "");
                    f.push(("template_status", "Status Pengaduan!"));
                    f
                },
                "Nama templat hanya boleh",
            ),
        ] {
            let (status, _, page) = admin.post(&path, &form).await;
            assert_eq!(status, 422, "{says}");
            assert!(page.contains(says), "{says}: {page}");
            assert_eq!(stored().await.config, saved.config, "{says}");
        }
        let mut bad_id = meta_form(graph, "", "", "");
        bad_id[1] = ("phone_number_id", "abc");
        let (status, _, page) = admin.post(&path, &bad_id).await;
        assert_eq!(status, 422);
        assert!(page.contains("ID nomor telepon harus berupa angka"), "{page}");

        // A petugas of the unit and another unit's admin are refused; nothing changes.
        let petugas = app.login("petugas_meta", PASSWORD).await;
        let other_admin = app.login("admin_lain", PASSWORD).await;
        for (who, actor) in [("petugas", &petugas), ("another unit's admin", &other_admin)] {
            let (status, _, _) = actor
                .post(
                    &path,
                    &meta_form(
                        graph,
                        "token-penyerang",
                        "rahasia-penyerang-1234",
                        "verifikasi-penyerang",
                    ),
                )
                .await;
            assert_eq!(status, 403, "{who}");
            assert_eq!(stored().await.config, saved.config, "{who}");
        }
        // Without the form's CSRF token nothing is saved either.
        let (status, _, _) = admin.post_raw(&path, &meta_form(graph, "token-lain", "", "")).await;
        assert_eq!(status, 403);
        assert_eq!(stored().await.config, saved.config);
    }
);
