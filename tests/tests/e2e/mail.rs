//! The email channel and the outbox sender against real servers on loopback: dovecot
//! (IMAP), aiosmtpd (SMTP) and a small HTTP gateway, on both databases.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use hmac::{Hmac, Mac};
use mail_parser::MessageParser;
use tanggap::domain::{Channel, Klasifikasi};
use tanggap::intake::email::EmailIntake;
use tanggap::notify::settings::{EmailSettings, GatewaySettings, Security};
use tanggap::notify::{OutboxSender, PassReport};
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap_tests::mail::{MAILBOX_USER, MailServers, forget_cursor, free_port, mailbox_settings, split_raw};
use tanggap_tests::{TestDb, on_both_databases};

const PUBLIC_URL: &str = "https://pengaduan.dinas.test";

fn new_unit() -> NewUnit {
    NewUnit {
        code: "dinas-uji".into(),
        name: "Dinas Uji Kota Dumai".into(),
        short_name: "DINAS UJI".into(),
        address: "Jl. Sudirman No. 1".into(),
        city: "Dumai".into(),
        phone: "(0765) 123".into(),
        email: "humas@dinas.test".into(),
        time_zone: "Asia/Jakarta".into(),
        letterhead: vec!["DINAS UJI".into()],
        head_title: "Kepala Dinas".into(),
        head_name: "Budi".into(),
        head_nip: "1".into(),
        complaint_channels: vec![Channel::Email],
    }
}

fn email_settings(imap_port: u16, smtp_port: u16) -> EmailSettings {
    EmailSettings {
        from_name: "Pengaduan Dinas Uji".into(),
        ..mailbox_settings(MAILBOX_USER, imap_port, smtp_port)
    }
}

/// A unit whose email channel points at the test servers.
async fn unit_with_mail(store: &Arc<dyn Store>, settings: &EmailSettings) -> Unit {
    let id = store.create_unit(&new_unit()).await.unwrap();
    store
        .set_channel_settings(&ChannelSettings {
            unit_id: id,
            channel: "email".into(),
            config: serde_json::to_value(settings).unwrap(),
            enabled: true,
        })
        .await
        .unwrap();
    store.unit_by_code("dinas-uji").await.unwrap().unwrap()
}

fn intake(store: &Arc<dyn Store>) -> EmailIntake {
    EmailIntake::new(store.clone(), Some(PUBLIC_URL.into()), "test-instance".into())
}

fn sender(store: &Arc<dyn Store>) -> OutboxSender {
    tanggap_tests::test_sender(store)
}

/// Polls every mailbox once and sums what it did.
async fn poll(intake: &EmailIntake) -> (usize, usize, usize) {
    let mut totals = (0, 0, 0);
    for (_, result) in intake.poll_once().await {
        let r = result.expect("poll succeeds");
        assert!(r.polled, "this instance holds the lease");
        totals.0 += r.complaints;
        totals.1 += r.replies;
        totals.2 += r.duplicates;
    }
    totals
}

async fn complaints(store: &Arc<dyn Store>, unit_id: i64) -> Vec<ComplaintSummary> {
    store
        .list_complaints(
            unit_id,
            &ComplaintQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A citizen's complaint: UTF-8 text with Indonesian punctuation and a PDF attached
/// under a misleading name (its type must come from its content).
fn citizen_mail() -> Vec<u8> {
    format!(
        "From: =?UTF-8?Q?Budi_Santoso?= <budi@warga.test>\r\n\
         To: {MAILBOX_USER}\r\n\
         Subject: =?UTF-8?B?{subject}?=\r\n\
         Date: Mon, 02 Mar 2026 09:15:00 +0700\r\n\
         Message-ID: <keluhan-001@warga.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"batas\"\r\n\
         \r\n\
         --batas\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Jalan di depan SDN 3 Ratu Sima rusak parah — sudah 3 bulan.\r\n\
         Mohon segera diperbaiki. Terima kasih, Pak/Bu “petugas”.\r\n\
         --batas\r\n\
         Content-Type: application/octet-stream; name=\"foto-jalan.jpg\"\r\n\
         Content-Disposition: attachment; filename=\"foto-jalan.jpg\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {pdf}\r\n\
         --batas--\r\n",
        subject = base64("Jalan rusak di Ratu Sima — mohon perbaikan".as_bytes()),
        pdf = base64(PDF),
    )
    .into_bytes()
}

fn simple_mail(from: &str, message_id: &str, subject: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {MAILBOX_USER}\r\nSubject: {subject}\r\nDate: Tue, 03 Mar 2026 10:00:00 +0700\r\n\
         Message-ID: <{message_id}>\r\n{extra_headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

on_both_databases!(
    email_becomes_complaint_acknowledged_and_threaded,
    |db: TestDb| async move {
        let Some(servers) = MailServers::start() else { return };
        let store = db.store.clone();
        let settings = email_settings(servers.imap_port, servers.smtp_port);
        let unit = unit_with_mail(&store, &settings).await;
        let intake = intake(&store);
        let sender = sender(&store);

        // 1. A real email in the mailbox becomes a complaint with the right fields.
        servers.append(&citizen_mail()).await;
        assert_eq!(poll(&intake).await, (1, 0, 0));
        let list = complaints(&store, unit.id).await;
        assert_eq!(list.len(), 1);
        let record = store.complaint(unit.id, list[0].id).await.unwrap().unwrap();
        assert_eq!(record.summary.channel, "email");
        assert_eq!(record.channel_ref.as_deref(), Some("keluhan-001@warga.test"));
        assert_eq!(record.summary.subject, "Jalan rusak di Ratu Sima — mohon perbaikan");
        // Received when the mail server took it (just now), not at the sender's Date.
        assert!((Utc::now() - record.summary.received_at).num_seconds().abs() < 120);
        assert_ne!(
            record.summary.received_at,
            Utc.with_ymd_and_hms(2026, 3, 2, 2, 15, 0).unwrap()
        );
        assert!(
            record.description.contains("rusak parah — sudah 3 bulan"),
            "{}",
            record.description
        );
        assert!(record.description.contains("“petugas”"), "{}", record.description);
        assert_eq!(record.complainant.name.as_deref(), Some("Budi Santoso"));
        assert_eq!(record.complainant.email.as_deref(), Some("budi@warga.test"));
        let (files, raw) = split_raw(store.attachments(record.summary.id).await.unwrap());
        assert_eq!(files.len(), 1);
        assert_eq!(raw.len(), 1, "the raw message is kept");
        let (_, kept) = store
            .attachment_content(record.summary.id, raw[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.len(), citizen_mail().len(), "byte for byte");
        assert_eq!(files[0].filename, "foto-jalan.jpg");
        assert_eq!(
            files[0].content_type, "application/pdf",
            "type from the content, not the name"
        );
        let (_, bytes) = store
            .attachment_content(record.summary.id, files[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bytes, PDF);
        let nomor = record.summary.nomor_agenda.clone();

        // 2. Its acknowledgement was queued with it and arrives through SMTP, threaded.
        let queued = store.outbox_for_complaint(record.summary.id).await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].status, "pending");
        let report = sender.run_pass(Utc::now()).await.unwrap();
        assert_eq!(
            report,
            PassReport {
                sent: 1,
                retried: 0,
                given_up: 0
            }
        );
        let sent = servers.wait_for_sent(1).await;
        assert_eq!(sent.len(), 1, "the acknowledgement reached the SMTP server");
        let ack = MessageParser::default().parse(&sent[0]).unwrap();
        let ack_subject = ack.subject().unwrap().to_owned();
        assert!(ack_subject.contains(&nomor), "{ack_subject}");
        assert_eq!(ack.in_reply_to().as_text(), Some("keluhan-001@warga.test"));
        assert_eq!(ack.header_raw("Auto-Submitted").map(str::trim), Some("auto-replied"));
        assert_eq!(ack.to().unwrap().first().unwrap().address(), Some("budi@warga.test"));
        let ack_text = ack.body_text(0).unwrap().into_owned();
        assert!(ack_text.contains(&nomor), "{ack_text}");
        let link_start = ack_text
            .find(&format!("{PUBLIC_URL}/lacak?kode="))
            .expect("tracking link in the ack");
        let code: String = ack_text[link_start..]
            .trim_start_matches(&format!("{PUBLIC_URL}/lacak?kode="))
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let status = store
            .complaint_status(&code)
            .await
            .unwrap()
            .expect("the link's code tracks this complaint");
        assert_eq!(status.nomor_agenda, nomor);
        let ack_id = ack.message_id().unwrap().to_owned();
        let thread = store.complaint_messages(record.summary.id).await.unwrap();
        assert_eq!(thread.len(), 2);
        assert_eq!(
            (thread[1].direction.as_str(), thread[1].message_ref.as_deref()),
            ("out", Some(ack_id.as_str()))
        );
        assert_eq!(
            store.outbox_for_complaint(record.summary.id).await.unwrap()[0].status,
            "sent"
        );
        // Nothing is sent twice.
        assert_eq!(
            sender.run_pass(Utc::now() + chrono::Duration::hours(1)).await.unwrap(),
            PassReport::default()
        );

        // 3. A reply to the acknowledgement threads onto the same complaint, unanswered.
        let reply = simple_mail(
            "Budi Santoso <budi@warga.test>",
            "balasan-002@warga.test",
            &format!("Re: {ack_subject}"),
            &format!("In-Reply-To: <{ack_id}>\r\nReferences: <keluhan-001@warga.test> <{ack_id}>\r\n"),
            "Tambahan: lubangnya sekarang makin besar.",
        );
        servers.append(&reply).await;
        // 4. A reply that only names the nomor agenda in its subject threads too.
        let by_subject = simple_mail(
            "budi@warga.test",
            "balasan-003@warga.test",
            &format!("Pertanyaan tentang {nomor}"),
            "",
            "Kapan diperbaiki?",
        );
        servers.append(&by_subject).await;
        assert_eq!(poll(&intake).await, (0, 2, 0));
        assert_eq!(complaints(&store, unit.id).await.len(), 1);
        let thread = store.complaint_messages(record.summary.id).await.unwrap();
        assert_eq!(thread.len(), 4);
        assert_eq!(thread.iter().filter(|m| m.direction == "in").count(), 3);
        assert_eq!(thread.iter().filter(|m| m.direction == "out").count(), 1);
        assert!(thread.iter().any(|m| m.body.contains("makin besar")));
        assert!(thread.iter().any(|m| m.body.contains("Kapan diperbaiki?")));
        let events = store.complaint_events(record.summary.id).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == "pesan_masuk").count(), 2);
        assert_eq!(
            store.outbox_for_complaint(record.summary.id).await.unwrap().len(),
            1,
            "replies get no ack"
        );

        // 5. Exactly once: a re-poll reads nothing new; the same Message-ID delivered
        //    again (a new UID) creates nothing; a lost cursor (as after a crash before it
        //    was written) re-reads everything and still creates nothing.
        assert_eq!(poll(&intake).await, (0, 0, 0));
        servers.append(&citizen_mail()).await;
        assert_eq!(poll(&intake).await, (0, 0, 1));
        forget_cursor(&store, &settings).await;
        assert_eq!(poll(&intake).await, (0, 0, 4));
        assert_eq!(complaints(&store, unit.id).await.len(), 1);
        assert_eq!(store.complaint_messages(record.summary.id).await.unwrap().len(), 4);
        let (files, raw) = split_raw(store.attachments(record.summary.id).await.unwrap());
        assert_eq!((files.len(), raw.len()), (1, 3), "one file, three raw messages");
        assert_eq!(sender.run_pass(Utc::now()).await.unwrap(), PassReport::default());
        assert_eq!(servers.sent_messages().len(), 1);

        // 6. A second instance never polls the mailbox while this one holds its lease.
        let other = EmailIntake::new(store.clone(), None, "other-instance".into());
        let results = other.poll_once().await;
        assert_eq!(results.len(), 1);
        assert!(!results[0].1.as_ref().unwrap().polled);
    }
);

on_both_databases!(
    automatic_and_own_mail_get_no_ack_and_charsets_survive,
    |db: TestDb| async move {
        let Some(servers) = MailServers::start() else { return };
        let store = db.store.clone();
        let settings = email_settings(servers.imap_port, servers.smtp_port);
        let unit = unit_with_mail(&store, &settings).await;
        let intake = intake(&store);

        let body = "Saya minta informasi.";
        servers
            .append(&simple_mail(
                "liburan@warga.test",
                "auto-1@warga.test",
                "Sedang cuti",
                "Auto-Submitted: auto-replied\r\n",
                body,
            ))
            .await;
        servers
            .append(&simple_mail(
                "berita@milis.test",
                "bulk-1@milis.test",
                "Buletin",
                "Precedence: bulk\r\n",
                body,
            ))
            .await;
        servers
            .append(&simple_mail(
                "berita@milis.test",
                "list-1@milis.test",
                "Milis",
                "List-Id: <warga.milis.test>\r\n",
                body,
            ))
            .await;
        servers
            .append(&simple_mail(
                MAILBOX_USER,
                "self-1@dinas.test",
                "Dari unit sendiri",
                "",
                body,
            ))
            .await;
        servers
            .append(&simple_mail(
                "Humas <HUMAS@dinas.test>",
                "self-2@dinas.test",
                "Dari alamat unit",
                "",
                body,
            ))
            .await;
        servers
            .append(&simple_mail(
                "siti@warga.test",
                "manual-1@warga.test",
                "Bukan otomatis",
                "Auto-Submitted: no\r\n",
                body,
            ))
            .await;
        // ISO-8859-1, quoted-printable.
        servers
        .append(
            b"From: Siti <siti@warga.test>\r\nTo: pengaduan@dinas.test\r\nSubject: =?ISO-8859-1?Q?Biaya_caf=E9?=\r\n\
              Date: Wed, 04 Mar 2026 08:00:00 +0700\r\nMessage-ID: <latin1@warga.test>\r\nMIME-Version: 1.0\r\n\
              Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
              Di kantin caf=E9 kantor diminta biaya =B1 Rp 5.000 \"uang parkir\" =AB tanpa karcis =BB.\r\n",
        )
        .await;
        // HTML only, Windows-1252, base64.
        let html = b"<html><body><p>Petugas loket meminta &laquo;uang rokok&raquo; \x93Rp 20.000\x94 \x96 tanpa kuitansi.</p><p>Tolong ditindak&nbsp;lanjuti.</p></body></html>";
        servers
            .append(
                format!(
                    "From: Agus <agus@warga.test>\r\nTo: {MAILBOX_USER}\r\nSubject: Pungli di loket\r\n\
                 Date: Wed, 04 Mar 2026 09:00:00 +0700\r\nMessage-ID: <html-1252@warga.test>\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/html; charset=windows-1252\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                    base64(html)
                )
                .as_bytes(),
            )
            .await;

        assert_eq!(poll(&intake).await, (8, 0, 0), "automatic mail is recorded, not lost");
        let mut acked = Vec::new();
        for c in complaints(&store, unit.id).await {
            let record = store.complaint(unit.id, c.id).await.unwrap().unwrap();
            if !store.outbox_for_complaint(c.id).await.unwrap().is_empty() {
                acked.push(record.channel_ref.clone().unwrap());
            }
            match record.channel_ref.as_deref().unwrap() {
                "latin1@warga.test" => {
                    assert_eq!(record.summary.subject, "Biaya café");
                    assert!(
                        record
                            .description
                            .contains("kantin café kantor diminta biaya ± Rp 5.000 \"uang parkir\" « tanpa karcis »"),
                        "{}",
                        record.description
                    );
                }
                "html-1252@warga.test" => {
                    assert!(
                        record
                            .description
                            .contains("«uang rokok» “Rp 20.000” – tanpa kuitansi."),
                        "{}",
                        record.description
                    );
                    assert!(record.description.contains("Tolong ditindak"), "{}", record.description);
                    assert!(
                        !record.description.contains("<p>"),
                        "HTML is turned into text: {}",
                        record.description
                    );
                }
                _ => {}
            }
        }
        acked.sort();
        assert_eq!(
            acked,
            ["html-1252@warga.test", "latin1@warga.test", "manual-1@warga.test"]
        );
    }
);

/// One request the test gateway received: its headers and body.
type GatewayRequest = (BTreeMap<String, String>, Vec<u8>);

/// What the test gateway received.
#[derive(Clone, Default)]
struct Received {
    requests: Arc<Mutex<Vec<GatewayRequest>>>,
}

/// A real HTTP server on loopback standing in for an SMS gateway: it keeps every
/// request and answers with `status` (and its own message id on success).
async fn start_gateway(status: u16) -> (String, Received) {
    let received = Received::default();
    let state = received.clone();
    let app = axum::Router::new().route(
        "/kirim",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                let headers = headers
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                    .collect();
                let mut requests = state.requests.lock().unwrap();
                requests.push((headers, body.to_vec()));
                let id = format!("gw-{}", requests.len());
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    axum::Json(serde_json::json!({ "id": id })),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/kirim", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn complaint_for_outbox(store: &Arc<dyn Store>, unit_id: i64, reference: &str) -> i64 {
    store
        .record_complaint(&NewComplaint {
            unit_id,
            channel: Channel::Sms,
            channel_ref: Some(reference.into()),
            channel_detail: None,
            received_at: Utc::now(),
            recorded_by: None,
            complainant: Complainant {
                phone: Some("081234567890".into()),
                ..Default::default()
            },
            anonim: false,
            rahasia: false,
            subject: "Lampu jalan mati".into(),
            description: "Lampu jalan di Jl. Sultan Syarif Kasim mati.".into(),
            event_place: None,
            event_date: None,
            klasifikasi: Klasifikasi::Pengaduan,
            service_id: None,
        })
        .await
        .unwrap()
        .id
}

fn outbox(unit_id: i64, complaint_id: i64, channel: &str, recipient: &str, key: &str) -> NewOutbox {
    NewOutbox {
        unit_id: Some(unit_id),
        complaint_id: Some(complaint_id),
        channel: channel.into(),
        recipient: recipient.into(),
        subject: Some("Pengaduan diterima".into()),
        body: "Pengaduan Anda diterima dengan nomor ADU/2026/000001.".into(),
        headers: BTreeMap::new(),
        dedupe_key: key.into(),
    }
}

on_both_databases!(sms_goes_through_the_gateway_signed, |db: TestDb| async move {
    let store = db.store.clone();
    let unit_id = store.create_unit(&new_unit()).await.unwrap();
    let (url, received) = start_gateway(200).await;
    let secret = "rahasia-bersama";
    store
        .set_channel_settings(&ChannelSettings {
            unit_id,
            channel: "sms".into(),
            config: serde_json::to_value(GatewaySettings {
                url,
                auth_token: "token-gateway".into(),
                hmac_secret: secret.into(),
            })
            .unwrap(),
            enabled: true,
        })
        .await
        .unwrap();
    let complaint_id = complaint_for_outbox(&store, unit_id, "sms-1").await;
    assert!(
        store
            .enqueue_outbox(&outbox(unit_id, complaint_id, "sms", "081234567890", "sms-ack-1"))
            .await
            .unwrap()
    );
    let report = sender(&store).run_pass(Utc::now()).await.unwrap();
    assert_eq!(
        report,
        PassReport {
            sent: 1,
            retried: 0,
            given_up: 0
        }
    );

    let requests = received.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let (headers, body) = &requests[0];
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    let row_id = store.outbox_for_complaint(complaint_id).await.unwrap()[0].id;
    assert_eq!(
        json,
        serde_json::json!({
            "to": "081234567890",
            "text": "Pengaduan Anda diterima dengan nomor ADU/2026/000001.",
            "id": format!("outbox-{row_id}"),
        })
    );
    assert_eq!(
        headers.get("authorization").map(String::as_str),
        Some("Bearer token-gateway")
    );
    // The signature is checked here independently: HMAC-SHA256 over the exact body.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(headers.get("x-tanggap-signature"), Some(&format!("sha256={expected}")));
    let mut wrong = Hmac::<sha2::Sha256>::new_from_slice(b"kunci-lain").unwrap();
    wrong.update(body);
    let wrong: String = wrong
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(expected, wrong);

    let thread = store.complaint_messages(complaint_id).await.unwrap();
    assert_eq!(thread.len(), 1);
    assert_eq!(
        (thread[0].direction.as_str(), thread[0].channel.as_str()),
        ("out", "sms")
    );
    assert_eq!(
        thread[0].message_ref.as_deref(),
        Some("gw-1"),
        "the gateway's id threads replies"
    );
    assert_eq!(
        store.outbox_for_complaint(complaint_id).await.unwrap()[0].status,
        "sent"
    );
});

on_both_databases!(failed_sends_are_retried_then_given_up, |db: TestDb| async move {
    let store = db.store.clone();
    // An SMTP port nobody listens on: every attempt fails for real.
    let closed = free_port();
    let settings = email_settings(free_port(), closed);
    let unit = unit_with_mail(&store, &settings).await;
    let complaint_id = complaint_for_outbox(&store, unit.id, "retry-1").await;
    store
        .enqueue_outbox(&outbox(
            unit.id,
            complaint_id,
            "email",
            "warga@warga.test",
            "retry-email",
        ))
        .await
        .unwrap();
    // A WhatsApp gateway that refuses the message for good (HTTP 422).
    let (url, received) = start_gateway(422).await;
    store
        .set_channel_settings(&ChannelSettings {
            unit_id: unit.id,
            channel: "whatsapp".into(),
            config: serde_json::json!({ "url": url, "hmac_secret": "s" }),
            enabled: true,
        })
        .await
        .unwrap();
    store
        .enqueue_outbox(&outbox(unit.id, complaint_id, "whatsapp", "0812", "retry-wa"))
        .await
        .unwrap();
    let sender = sender(&store);
    let t0 = Utc::now();

    assert_eq!(
        sender.run_pass(t0).await.unwrap(),
        PassReport {
            sent: 0,
            retried: 1,
            given_up: 1
        }
    );
    assert_eq!(received.requests.lock().unwrap().len(), 1);
    let rows = store.outbox_for_complaint(complaint_id).await.unwrap();
    let email = rows.iter().find(|r| r.channel == "email").unwrap();
    let wa = rows.iter().find(|r| r.channel == "whatsapp").unwrap();
    assert_eq!((email.status.as_str(), email.attempts), ("pending", 1));
    assert!(
        email.last_error.as_deref().unwrap().contains("SMTP"),
        "{:?}",
        email.last_error
    );
    assert_eq!((wa.status.as_str(), wa.attempts), ("failed", 1));
    assert!(wa.last_error.as_deref().unwrap().contains("422"), "{:?}", wa.last_error);

    // Not due again before its backoff (60 s, then 120 s).
    assert_eq!(
        sender.run_pass(t0 + chrono::Duration::seconds(30)).await.unwrap(),
        PassReport::default()
    );
    assert_eq!(
        sender.run_pass(t0 + chrono::Duration::seconds(61)).await.unwrap(),
        PassReport {
            sent: 0,
            retried: 1,
            given_up: 0
        }
    );
    assert_eq!(
        sender.run_pass(t0 + chrono::Duration::seconds(150)).await.unwrap(),
        PassReport::default()
    );
    assert_eq!(
        sender.run_pass(t0 + chrono::Duration::seconds(200)).await.unwrap(),
        PassReport {
            sent: 0,
            retried: 0,
            given_up: 1
        }
    );
    let email = store
        .outbox_for_complaint(complaint_id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.channel == "email")
        .unwrap();
    assert_eq!((email.status.as_str(), email.attempts), ("failed", 3));
    assert!(email.last_error.is_some(), "the error is kept");
    assert_eq!(
        sender.run_pass(t0 + chrono::Duration::days(30)).await.unwrap(),
        PassReport::default()
    );
    assert!(
        store.complaint_messages(complaint_id).await.unwrap().is_empty(),
        "nothing recorded as sent"
    );
});

on_both_databases!(
    channel_settings_page_saves_and_never_shows_secrets,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit_id = store.create_unit(&new_unit()).await.unwrap();
        let hash = tanggap::passwords::hash("kata-sandi-admin-123").unwrap();
        for (name, role) in [
            ("admin_uji", tanggap::domain::Role::Admin),
            ("petugas_uji", tanggap::domain::Role::Petugas),
        ] {
            store
                .create_user(&NewUser {
                    username: name.into(),
                    full_name: name.into(),
                    password_hash: hash.clone(),
                    roles: vec![(unit_id, role)],
                })
                .await
                .unwrap();
        }
        let app = tanggap_tests::spawn_app(db).await;
        let admin = app.login("admin_uji", "kata-sandi-admin-123").await;
        let (status, _, page) = admin.get("/staf/dinas-uji/saluran").await;
        assert_eq!(status, 200);
        assert!(page.contains("Saluran pengaduan"), "{page}");

        let imap_password = "sandi-imap-rahasia-42";
        let smtp_password = "sandi-smtp-rahasia-43";
        let email_form = |imap_pw: &'static str, port: &'static str| {
            vec![
                ("channel", "email"),
                ("enabled", "1"),
                ("imap_host", "imap.dinas.test"),
                ("imap_port", port),
                ("imap_security", "tls"),
                ("imap_user", "pengaduan@dinas.test"),
                ("imap_password", imap_pw),
                ("imap_folder", "INBOX"),
                ("poll_seconds", "120"),
                ("smtp_host", "smtp.dinas.test"),
                ("smtp_port", "587"),
                ("smtp_security", "starttls"),
                ("smtp_user", "pengaduan@dinas.test"),
                ("smtp_password", smtp_password),
                ("from_address", "pengaduan@dinas.test"),
                ("from_name", "Pengaduan Dinas Uji"),
            ]
        };
        let (status, _, page) = admin
            .post("/staf/dinas-uji/saluran", &email_form(imap_password, "993"))
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Pengaturan saluran disimpan."));
        assert!(
            !page.contains(imap_password) && !page.contains(smtp_password),
            "passwords are never shown back"
        );
        let stored = store.channel_settings(unit_id, "email").await.unwrap().unwrap();
        assert!(stored.enabled);
        let email = EmailSettings::from_json(&stored.config).unwrap();
        assert_eq!(
            (email.imap.password.as_str(), email.smtp.password.as_str()),
            (imap_password, smtp_password)
        );
        assert_eq!(
            (email.imap.port, email.imap.security, email.smtp.security),
            (993, Security::Tls, Security::Starttls)
        );
        assert_eq!(email.imap.poll_seconds, 120);
        let (_, _, page) = admin.get("/staf/dinas-uji/saluran").await;
        assert!(!page.contains(imap_password) && !page.contains(smtp_password));
        assert!(page.contains("imap.dinas.test"));

        // An empty password field keeps the stored password.
        let (status, _, _) = admin.post("/staf/dinas-uji/saluran", &email_form("", "993")).await;
        assert_eq!(status, 200);
        let email =
            EmailSettings::from_json(&store.channel_settings(unit_id, "email").await.unwrap().unwrap().config).unwrap();
        assert_eq!(email.imap.password, imap_password);

        // Bad input: a clear Indonesian error and nothing changes.
        let (status, _, page) = admin
            .post("/staf/dinas-uji/saluran", &email_form("baru", "99999"))
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("Port harus berupa angka 1 sampai 65535."), "{page}");
        let email =
            EmailSettings::from_json(&store.channel_settings(unit_id, "email").await.unwrap().unwrap().config).unwrap();
        assert_eq!(email.imap.password, imap_password);

        // The SMS gateway: its token and secret are kept but never shown.
        let secret = "rahasia-bersama-gateway-123";
        let (status, _, page) = admin
            .post(
                "/staf/dinas-uji/saluran",
                &[
                    ("channel", "sms"),
                    ("enabled", "1"),
                    ("url", "https://gateway.dinas.test/kirim"),
                    ("auth_token", "token-bearer-xyz"),
                    ("hmac_secret", secret),
                ],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(!page.contains(secret) && !page.contains("token-bearer-xyz"));
        let sms =
            GatewaySettings::from_json(&store.channel_settings(unit_id, "sms").await.unwrap().unwrap().config).unwrap();
        assert_eq!(
            (sms.hmac_secret.as_str(), sms.auth_token.as_str()),
            (secret, "token-bearer-xyz")
        );
        let (status, _, page) = admin
            .post(
                "/staf/dinas-uji/saluran",
                &[("channel", "whatsapp"), ("url", "ftp://x"), ("hmac_secret", secret)],
            )
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("URL gateway harus diawali"), "{page}");
        assert!(store.channel_settings(unit_id, "whatsapp").await.unwrap().is_none());

        // A petugas of the unit is refused.
        let petugas = app.login("petugas_uji", "kata-sandi-admin-123").await;
        assert_eq!(petugas.get("/staf/dinas-uji/saluran").await.0, 403);
    }
);

on_both_databases!(
    store_threads_replies_and_keeps_mailbox_cursors,
    |db: TestDb| async move {
        let store = db.store.clone();
        let a = store.create_unit(&new_unit()).await.unwrap();
        let b = store
            .create_unit(&NewUnit {
                code: "dinas-lain".into(),
                ..new_unit()
            })
            .await
            .unwrap();
        let first = ComplaintMessage {
            id: 0,
            complaint_id: 0,
            direction: "in".into(),
            channel: "email".into(),
            at: Utc::now(),
            sender: "budi@warga.test".into(),
            subject: "Jalan rusak".into(),
            body: "Mohon diperbaiki.".into(),
            message_ref: Some("asal@warga.test".into()),
        };
        let recorded = store
            .record_complaint_with(
                &NewComplaint {
                    channel: Channel::Email,
                    ..store_complaint(a, "asal@warga.test")
                },
                &ComplaintExtras {
                    first_message: Some(first.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let id = recorded.id;
        // By Message-ID, by a thread message's reference, by nomor agenda; never across units.
        assert_eq!(
            store.find_thread(a, &["asal@warga.test".into()], &[]).await.unwrap(),
            Some(id)
        );
        assert_eq!(
            store.find_thread(b, &["asal@warga.test".into()], &[]).await.unwrap(),
            None
        );
        assert_eq!(
            store
                .find_thread(a, &["lain@x".into()], std::slice::from_ref(&recorded.nomor_agenda))
                .await
                .unwrap(),
            Some(id)
        );
        assert_eq!(
            store
                .find_thread(b, &[], std::slice::from_ref(&recorded.nomor_agenda))
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .find_thread(a, &["lain@x".into()], &["ADU/1999/000001".into()])
                .await
                .unwrap(),
            None
        );
        let reply = ComplaintMessage {
            complaint_id: id,
            message_ref: Some("balas@warga.test".into()),
            body: "Tambahan.".into(),
            ..first.clone()
        };
        let file = NewAttachment {
            complaint_id: id,
            message_id: None,
            filename: "foto.pdf".into(),
            content_type: "application/pdf".into(),
            content: PDF.to_vec(),
        };
        assert!(
            store
                .add_thread_reply(&reply, std::slice::from_ref(&file), "Balasan")
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store.add_thread_reply(&reply, &[file], "Balasan").await.unwrap(),
            None,
            "a redelivery adds nothing"
        );
        assert_eq!(
            store.find_thread(a, &["balas@warga.test".into()], &[]).await.unwrap(),
            Some(id)
        );
        assert_eq!(store.complaint_messages(id).await.unwrap().len(), 2);
        assert_eq!(store.attachments(id).await.unwrap().len(), 1);
        let events = store.complaint_events(id).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == "pesan_masuk").count(), 1);

        let key = "pengaduan@dinas.test@127.0.0.1:143/INBOX";
        assert_eq!(store.mailbox_cursor(key).await.unwrap(), None);
        let at = |uv, uid| MailboxCursor {
            mailbox: key.into(),
            uid_validity: uv,
            last_uid: uid,
        };
        store.set_mailbox_cursor(&at(7, 10), Utc::now()).await.unwrap();
        store.set_mailbox_cursor(&at(7, 4), Utc::now()).await.unwrap();
        assert_eq!(
            store.mailbox_cursor(key).await.unwrap(),
            Some(at(7, 10)),
            "never moves back"
        );
        store.set_mailbox_cursor(&at(7, 12), Utc::now()).await.unwrap();
        assert_eq!(store.mailbox_cursor(key).await.unwrap(), Some(at(7, 12)));
        store.set_mailbox_cursor(&at(8, 1), Utc::now()).await.unwrap();
        assert_eq!(
            store.mailbox_cursor(key).await.unwrap(),
            Some(at(8, 1)),
            "a new UIDVALIDITY replaces it"
        );
    }
);

fn store_complaint(unit_id: i64, reference: &str) -> NewComplaint {
    NewComplaint {
        unit_id,
        channel: Channel::Email,
        channel_ref: Some(reference.into()),
        channel_detail: None,
        received_at: Utc::now(),
        recorded_by: None,
        complainant: Complainant::default(),
        anonim: false,
        rahasia: false,
        subject: "Jalan rusak".into(),
        description: "Mohon diperbaiki.".into(),
        event_place: None,
        event_date: None,
        klasifikasi: Klasifikasi::Pengaduan,
        service_id: None,
    }
}
