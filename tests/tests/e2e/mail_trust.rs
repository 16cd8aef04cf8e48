//! Issue 17, hostile and unlucky mail: one message never stops a mailbox (a mail to
//! two units at once, a colliding Message-ID, an oversized mail), email intake keeps
//! the web form's limits and cleans file names, stored secrets never follow a changed
//! host, and a lapsed outbox claim cannot overwrite a newer one. Real dovecot, real
//! HTTP, both databases.

use std::sync::Arc;

use chrono::{SubsecRound, Utc};
use tanggap::domain::Channel;
use tanggap::intake::email::EmailIntake;
use tanggap::notify::settings::{EmailSettings, GatewaySettings};
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap_tests::mail::{
    MAILBOX_USER, MailServers, SECOND_MAILBOX_USER, STAFF_PASSWORD as PASSWORD, mailbox_settings as settings, new_unit,
    split_raw, unit_with_staff,
};
use tanggap_tests::{TestDb, on_both_databases};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Polls every mailbox once; every poll must succeed. Returns (complaints, replies,
/// duplicates, set aside) summed.
async fn poll(intake: &EmailIntake) -> (usize, usize, usize, usize) {
    let mut totals = (0, 0, 0, 0);
    for (unit, result) in intake.poll_once().await {
        let r = result.unwrap_or_else(|e| panic!("the poll of unit {unit} failed: {e}"));
        assert!(r.polled);
        totals.0 += r.complaints;
        totals.1 += r.replies;
        totals.2 += r.duplicates;
        totals.3 += r.set_aside;
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

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A plain mail; `headers` end with CRLF.
fn mail(headers: &str, message_id: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Budi <budi@warga.test>\r\n{headers}Subject: {subject}\r\nDate: Tue, 03 Mar 2026 10:00:00 +0700\r\n\
         Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A mail with a text part and attachments, each given as (Content-Disposition
/// value, content).
fn mail_with_files(message_id: &str, body: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = format!(
        "From: Budi <budi@warga.test>\r\nTo: {MAILBOX_USER}\r\nSubject: Lampiran keluhan\r\n\
         Date: Tue, 03 Mar 2026 10:00:00 +0700\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"batas\"\r\n\r\n--batas\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\r\n{body}\r\n"
    );
    for (disposition, content) in files {
        out.push_str(&format!(
            "--batas\r\nContent-Type: application/octet-stream\r\nContent-Disposition: {disposition}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n"
        ));
        let encoded = base64(content);
        for line in encoded.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(line).unwrap());
            out.push_str("\r\n");
        }
    }
    out.push_str("--batas--\r\n");
    out.into_bytes()
}

on_both_databases!(
    one_mail_to_two_units_makes_a_complaint_in_each,
    |db: TestDb| async move {
        let Some(servers) = MailServers::start() else { return };
        let store = db.store.clone();
        let a = unit_with_staff(
            &store,
            "dinas-a",
            Some(&settings(MAILBOX_USER, servers.imap_port, servers.smtp_port)),
        )
        .await;
        let b = unit_with_staff(
            &store,
            "dinas-b",
            Some(&settings(SECOND_MAILBOX_USER, servers.imap_port, servers.smtp_port)),
        )
        .await;
        let intake = EmailIntake::new(store.clone(), None, "uji".into());

        // One message, To the first unit and Cc the second: the mail system delivers
        // the same bytes (same Message-ID) to both mailboxes.
        let both = mail(
            &format!("To: {MAILBOX_USER}\r\nCc: {SECOND_MAILBOX_USER}\r\n"),
            "dua-unit@warga.test",
            "Jalan rusak di perbatasan",
            "Jalan di perbatasan kedua wilayah rusak parah.",
        );
        servers.append_to(MAILBOX_USER, &both).await;
        servers.append_to(SECOND_MAILBOX_USER, &both).await;
        assert_eq!(poll(&intake).await, (2, 0, 0, 0), "a complaint in each unit");
        for unit in [&a, &b] {
            let list = complaints(&store, unit.id).await;
            assert_eq!(list.len(), 1, "unit {}", unit.code);
            let record = store.complaint(unit.id, list[0].id).await.unwrap().unwrap();
            assert_eq!(record.channel_ref.as_deref(), Some("dua-unit@warga.test"));
            let thread = store.complaint_messages(list[0].id).await.unwrap();
            assert_eq!(thread.len(), 1, "the original is on each unit's thread");
            // The acknowledgement's Message-ID has a part nobody can predict.
            let queued = store.outbox_for_complaint(list[0].id).await.unwrap();
            let ack_id = &queued[0].headers["Message-ID"];
            let predictable = format!("<ack-{}.{}@", list[0].id, unit.code);
            assert!(!ack_id.starts_with(&predictable), "{ack_id}");
            let random = ack_id
                .trim_start_matches(&format!("<ack-{}.{}.", list[0].id, unit.code))
                .split('@')
                .next()
                .unwrap();
            assert!(random.len() >= 16, "{ack_id}");
        }
        let ids_a = &store
            .outbox_for_complaint(complaints(&store, a.id).await[0].id)
            .await
            .unwrap()[0];
        let ids_b = &store
            .outbox_for_complaint(complaints(&store, b.id).await[0].id)
            .await
            .unwrap()[0];
        assert_ne!(ids_a.headers["Message-ID"], ids_b.headers["Message-ID"]);

        // A later message to the second unit is taken (before the fix its poll failed
        // on the shared message at every poll and never got here).
        servers
            .append_to(
                SECOND_MAILBOX_USER,
                &mail(
                    &format!("To: {SECOND_MAILBOX_USER}\r\n"),
                    "berikutnya@warga.test",
                    "Lampu jalan padam",
                    "Lampu jalan di Jl. Merdeka padam sejak seminggu.",
                ),
            )
            .await;
        assert_eq!(poll(&intake).await, (1, 0, 0, 0));
        assert_eq!(complaints(&store, b.id).await.len(), 2);
        assert_eq!(complaints(&store, a.id).await.len(), 1);
        // A re-read of everything (lost cursors) stores nothing twice in either unit.
        for user in [MAILBOX_USER, SECOND_MAILBOX_USER] {
            let key = settings(user, servers.imap_port, servers.smtp_port).mailbox_key();
            store
                .set_mailbox_cursor(
                    &MailboxCursor {
                        mailbox: key,
                        uid_validity: 1,
                        last_uid: 0,
                    },
                    Utc::now(),
                )
                .await
                .unwrap();
        }
        assert_eq!(poll(&intake).await, (0, 0, 3, 0));
    }
);

on_both_databases!(
    a_message_that_cannot_be_stored_is_set_aside_and_polling_goes_on,
    |db: TestDb| async move {
        let Some(servers) = MailServers::start() else { return };
        let store = db.store.clone();
        let unit = unit_with_staff(
            &store,
            "dinas-a",
            Some(&settings(MAILBOX_USER, servers.imap_port, servers.smtp_port)),
        )
        .await;
        let intake = EmailIntake::new(store.clone(), None, "uji".into()).with_max_message_bytes(64 * 1024);
        let to = format!("To: {MAILBOX_USER}\r\n");

        // A complaint and a reply on its thread.
        servers
            .append(&mail(&to, "asal@warga.test", "Jalan rusak", "Jalan rusak parah."))
            .await;
        servers
            .append(&mail(
                &format!("{to}In-Reply-To: <asal@warga.test>\r\n"),
                "balasan@warga.test",
                "Re: Jalan rusak",
                "Tambahan keterangan.",
            ))
            .await;
        assert_eq!(poll(&intake).await, (1, 1, 0, 0));

        // A different message reusing the reply's Message-ID, outside any thread: it
        // is not dropped as a repeat (issue 22), it becomes a complaint under a key of
        // its own. An oversized one is set aside unread. The next message is still taken.
        servers
            .append(&mail(
                &to,
                "balasan@warga.test",
                "Pesan\u{7} bertabrakan",
                "Message-ID yang sama dengan balasan.",
            ))
            .await;
        servers
            .append(&mail(&to, "besar@warga.test", "Surel raksasa", &"x".repeat(100 * 1024)))
            .await;
        servers
            .append(&mail(&to, "berikutnya@warga.test", "Lampu jalan padam", "Lampu padam."))
            .await;
        assert_eq!(poll(&intake).await, (2, 0, 0, 1));
        let list = complaints(&store, unit.id).await;
        assert_eq!(list.len(), 3);
        let collided = list
            .iter()
            .find(|c| c.subject == "Pesan bertabrakan")
            .expect("stored, control characters removed");
        let record = store.complaint(unit.id, collided.id).await.unwrap().unwrap();
        assert!(
            record
                .channel_ref
                .as_deref()
                .unwrap()
                .starts_with("balasan@warga.test#"),
            "{:?}",
            record.channel_ref
        );
        // Set aside once: a second poll reads nothing new, and a lost cursor re-reads
        // everything without recording them twice.
        assert_eq!(poll(&intake).await, (0, 0, 0, 0));
        let aside = store.set_aside_mails(unit.id, 10).await.unwrap();
        assert_eq!(aside.len(), 1, "{aside:?}");
        let big = aside.iter().find(|m| m.reason == "too_large").unwrap();
        assert_eq!(big.subject, "Surel raksasa");
        assert!(big.size_bytes > 100 * 1024);

        // The admin sees them, with their reasons, on the channel page.
        let app = tanggap_tests::spawn_app(db).await;
        let admin = app.login("admin_dinas-a", PASSWORD).await;
        let (status, _, page) = admin.get("/staf/dinas-a/saluran").await;
        assert_eq!(status, 200);
        assert!(page.contains("Surel yang disisihkan"), "{page}");
        assert!(page.contains("Surel raksasa"), "{page}");
        assert!(page.contains("Surel terlalu besar untuk dibaca"), "{page}");
        assert!(
            !page.contains("budi@warga.test"),
            "no sender address on the admin's page"
        );
    }
);

on_both_databases!(
    attachment_names_are_cleaned_and_downloads_never_fail,
    |db: TestDb| async move {
        let Some(servers) = MailServers::start() else { return };
        let store = db.store.clone();
        let unit = unit_with_staff(
            &store,
            "dinas-a",
            Some(&settings(MAILBOX_USER, servers.imap_port, servers.smtp_port)),
        )
        .await;
        let intake = EmailIntake::new(store.clone(), None, "uji".into());
        // RFC 2231 lets a sender put any byte in a file name: CR LF, BEL, folders.
        servers
            .append(&mail_with_files(
                "nama-jahat@warga.test",
                "Lihat lampiran.",
                &[(
                    "attachment; filename*=UTF-8''..%2F..%2Fsurat%0D%0AX-Jahat%3A%201%07.pdf",
                    PDF,
                )],
            ))
            .await;
        assert_eq!(poll(&intake).await, (1, 0, 0, 0));
        let id = complaints(&store, unit.id).await[0].id;
        let files = split_raw(store.attachments(id).await.unwrap()).0;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].filename, "suratX-Jahat: 1.pdf");
        // A name stored before names were cleaned must not break the download either.
        let old = store
            .add_attachment(&NewAttachment {
                complaint_id: id,
                message_id: None,
                filename: "lama\r\n\u{7}\"berbahaya\".pdf".into(),
                content_type: "application/pdf".into(),
                content: PDF.to_vec(),
            })
            .await
            .unwrap();

        let app = tanggap_tests::spawn_app(db).await;
        let petugas = app.login("petugas_dinas-a", PASSWORD).await;
        let (status, _, page) = petugas.get(&format!("/staf/dinas-a/pengaduan/{id}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("suratX-Jahat: 1.pdf"), "{page}");
        assert!(
            page.contains("lamaberbahaya.pdf") && !page.contains('\u{7}') && !page.contains("../"),
            "cleaned name on the page"
        );
        for (file, expected) in [(files[0].id, "suratX-Jahat%3A%201.pdf"), (old, "lamaberbahaya.pdf")] {
            let response = petugas
                .client
                .get(petugas.url(&format!("/staf/dinas-a/pengaduan/{id}/lampiran/{file}")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "file {file}");
            let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
            assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
            assert!(
                disposition.ends_with(&format!("filename*=UTF-8''{expected}")),
                "{disposition}"
            );
            assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);
        }
    }
);

on_both_databases!(email_intake_keeps_the_web_form_limits, |db: TestDb| async move {
    let Some(servers) = MailServers::start() else { return };
    let store = db.store.clone();
    let unit = unit_with_staff(
        &store,
        "dinas-a",
        Some(&settings(MAILBOX_USER, servers.imap_port, servers.smtp_port)),
    )
    .await;
    let intake = EmailIntake::new(store.clone(), None, "uji".into());
    let limits = tanggap::intake::form::limits::DESCRIPTION_MAX;
    let max_files = tanggap::intake::files::MAX_FILES;
    let mut big = PDF.to_vec();
    big.resize(tanggap::intake::files::MAX_FILE_BYTES + 1, b' ');
    let html: &[u8] = b"<html><script>alert(1)</script></html>";
    let mut parts: Vec<(String, &[u8])> = vec![
        ("attachment; filename=\"besar.pdf\"".into(), &big),
        ("attachment; filename=\"halaman.html\"".into(), html),
    ];
    for i in 0..=max_files {
        parts.push((format!("attachment; filename=\"foto-{i}.pdf\""), PDF));
    }
    let parts: Vec<(&str, &[u8])> = parts.iter().map(|(d, c)| (d.as_str(), *c)).collect();
    let body = "Keluhan panjang. ".repeat(limits / 10);
    servers
        .append(&mail_with_files("batas@warga.test", &body, &parts))
        .await;
    assert_eq!(poll(&intake).await, (1, 0, 0, 0), "the complaint is kept");
    let id = complaints(&store, unit.id).await[0].id;
    let files = split_raw(store.attachments(id).await.unwrap()).0;
    assert_eq!(files.len(), max_files, "at most the web form's file count");
    assert!(files.iter().all(|f| f.filename.starts_with("foto-")));
    let record = store.complaint(unit.id, id).await.unwrap().unwrap();
    let text = &record.description;
    assert!(text.starts_with("Keluhan panjang."), "{text}");
    assert!(text.contains(&format!("dipotong pada {limits} karakter")), "{text}");
    assert!(
        text.contains("Lampiran tidak disimpan sebagai berkas: besar.pdf. Ukuran tiap lampiran"),
        "{text}"
    );
    assert!(
        text.contains("Lampiran tidak disimpan sebagai berkas: halaman.html. Lampiran harus berupa foto"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Lampiran tidak disimpan sebagai berkas: foto-{max_files}.pdf. Paling banyak"
        )),
        "{text}"
    );
    assert!(text.chars().count() < limits + 1_000, "{}", text.chars().count());
});

on_both_databases!(a_changed_host_requires_the_secret_again, |db: TestDb| async move {
    let store = db.store.clone();
    let unit = unit_with_staff(&store, "dinas-a", None).await;
    let app = tanggap_tests::spawn_app(db).await;
    let admin = app.login("admin_dinas-a", PASSWORD).await;
    let email_form =
        |imap_host: &'static str, imap_pw: &'static str, smtp_port: &'static str, smtp_pw: &'static str| {
            vec![
                ("channel", "email"),
                ("enabled", "1"),
                ("imap_host", imap_host),
                ("imap_port", "993"),
                ("imap_security", "tls"),
                ("imap_user", "pengaduan@dinas.test"),
                ("imap_password", imap_pw),
                ("imap_folder", "INBOX"),
                ("poll_seconds", "120"),
                ("smtp_host", "smtp.dinas.test"),
                ("smtp_port", smtp_port),
                ("smtp_security", "starttls"),
                ("smtp_user", "pengaduan@dinas.test"),
                ("smtp_password", smtp_pw),
                ("from_address", "pengaduan@dinas.test"),
                ("from_name", "Pengaduan"),
            ]
        };
    let stored_email = || async {
        EmailSettings::from_json(&store.channel_settings(unit.id, "email").await.unwrap().unwrap().config).unwrap()
    };
    let path = "/staf/dinas-a/saluran";
    let (status, _, page) = admin
        .post(path, &email_form("imap.dinas.test", "sandi-imap", "587", "sandi-smtp"))
        .await;
    assert_eq!(status, 200, "{page}");
    // Same place, empty fields: the stored passwords are kept.
    let (status, _, _) = admin.post(path, &email_form("IMAP.dinas.test", "", "587", "")).await;
    assert_eq!(status, 200);
    assert_eq!(stored_email().await.imap.password, "sandi-imap");
    // Another IMAP host without the password: refused, nothing changed.
    let (status, _, page) = admin
        .post(path, &email_form("imap.penyerang.test", "", "587", ""))
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("masukkan lagi kata sandi IMAP"), "{page}");
    let now = stored_email().await;
    assert_eq!(
        (now.imap.host.as_str(), now.imap.password.as_str()),
        ("IMAP.dinas.test", "sandi-imap")
    );
    // Another SMTP port without the password: refused too.
    let (status, _, page) = admin.post(path, &email_form("imap.dinas.test", "", "465", "")).await;
    assert_eq!(status, 422);
    assert!(page.contains("masukkan lagi kata sandi SMTP"), "{page}");
    assert_eq!(stored_email().await.smtp.port, 587);
    // With the password typed again, the move is saved.
    let (status, _, _) = admin
        .post(path, &email_form("imap.baru.test", "sandi-baru", "587", ""))
        .await;
    assert_eq!(status, 200);
    let now = stored_email().await;
    assert_eq!(
        (
            now.imap.host.as_str(),
            now.imap.password.as_str(),
            now.smtp.password.as_str()
        ),
        ("imap.baru.test", "sandi-baru", "sandi-smtp")
    );

    // A gateway: a new URL needs the token and the secret again.
    let secret = "rahasia-bersama-gateway-123";
    let gateway = |url: &'static str, token: &'static str, hmac: &'static str| {
        vec![
            ("channel", "sms"),
            ("enabled", "1"),
            ("url", url),
            ("auth_token", token),
            ("hmac_secret", hmac),
        ]
    };
    let (status, _, _) = admin
        .post(path, &gateway("https://gateway.dinas.test/kirim", "token-lama", secret))
        .await;
    assert_eq!(status, 200);
    let (status, _, _) = admin
        .post(path, &gateway("https://gateway.dinas.test/kirim", "", ""))
        .await;
    assert_eq!(status, 200, "same URL keeps them");
    let (status, _, page) = admin.post(path, &gateway("https://penyerang.test/kirim", "", "")).await;
    assert_eq!(status, 422);
    assert!(page.contains("URL gateway berubah"), "{page}");
    let (status, _, _) = admin
        .post(path, &gateway("https://penyerang.test/kirim", "", secret))
        .await;
    assert_eq!(status, 422, "the stored token must not follow either");
    let sms =
        GatewaySettings::from_json(&store.channel_settings(unit.id, "sms").await.unwrap().unwrap().config).unwrap();
    assert_eq!(
        (sms.url.as_str(), sms.auth_token.as_str()),
        ("https://gateway.dinas.test/kirim", "token-lama")
    );
    let (status, _, _) = admin
        .post(
            path,
            &gateway("https://gateway-baru.dinas.test/kirim", "token-baru", secret),
        )
        .await;
    assert_eq!(status, 200);
    let sms =
        GatewaySettings::from_json(&store.channel_settings(unit.id, "sms").await.unwrap().unwrap().config).unwrap();
    assert_eq!(
        (sms.url.as_str(), sms.auth_token.as_str()),
        ("https://gateway-baru.dinas.test/kirim", "token-baru")
    );
});

on_both_databases!(
    a_lapsed_outbox_claim_cannot_overwrite_a_newer_one,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit_id = store.create_unit(&new_unit("dinas-a")).await.unwrap();
        let complaint_id = store
            .record_complaint(&NewComplaint {
                unit_id,
                channel: Channel::Website,
                channel_ref: None,
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
                klasifikasi: tanggap::domain::Klasifikasi::Pengaduan,
                service_id: None,
            })
            .await
            .unwrap()
            .id;
        let queued = NewOutbox {
            unit_id: Some(unit_id),
            complaint_id: Some(complaint_id),
            channel: "sms".into(),
            recipient: "081234567890".into(),
            subject: None,
            body: "Pengaduan Anda diterima.".into(),
            headers: Default::default(),
            dedupe_key: "lease-test".into(),
        };
        assert!(store.enqueue_outbox(&queued).await.unwrap());
        let t0 = (Utc::now() + chrono::Duration::seconds(1)).trunc_subsecs(0);
        let second = chrono::Duration::seconds(1);
        // The first instance claims it with a short lock, then stalls.
        let first = store.claim_outbox(t0, t0 + second, 10).await.unwrap();
        assert_eq!(first.len(), 1);
        let first_token = first[0].claim_token.clone().expect("a claim carries a token");
        let id = first[0].id;
        assert!(
            store
                .renew_outbox_claim(id, &first_token, t0, t0 + second)
                .await
                .unwrap()
        );
        // Its lock lapses; a second instance claims the row with a new token.
        let t1 = t0 + second * 3;
        let newer = store.claim_outbox(t1, t1 + second * 300, 10).await.unwrap();
        assert_eq!(newer.len(), 1);
        let newer_token = newer[0].claim_token.clone().unwrap();
        assert_ne!(first_token, newer_token);
        // The first may not send any more: its claim cannot be renewed.
        assert!(
            !store
                .renew_outbox_claim(id, &first_token, t1, t1 + second * 300)
                .await
                .unwrap()
        );
        // The newer claim sends it.
        assert!(
            store
                .renew_outbox_claim(id, &newer_token, t1, t1 + second * 300)
                .await
                .unwrap()
        );
        assert!(store.outbox_sent(id, &newer_token, t1).await.unwrap());
        // The first's late failure changes nothing (before the fix it flipped the row
        // back to pending, to be sent again).
        assert!(
            !store
                .outbox_failed(id, &first_token, "timeout", Some(t1 + second * 60))
                .await
                .unwrap()
        );
        // Nor does its late success count again.
        assert!(!store.outbox_sent(id, &first_token, t1 + second * 5).await.unwrap());
        let rows = store.outbox_for_complaint(complaint_id).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].status.as_str(), rows[0].sent_at, rows[0].last_error.as_deref()),
            ("sent", Some(t1), None),
            "still the newer claim's result"
        );
        assert_eq!(rows[0].attempts, 2);
        assert!(
            store
                .claim_outbox(t1 + second * 3600, t1 + second * 3700, 10)
                .await
                .unwrap()
                .is_empty(),
            "a sent row is never claimed again"
        );
    }
);
