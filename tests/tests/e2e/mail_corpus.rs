//! Issue 22, nothing lost from an email: a corpus of real-world shaped and hostile
//! messages (`tests/corpus/mail/*.eml`, described in its README) goes through a real
//! dovecot (IMAP APPEND) and the poller, on both databases. Every message ends as a
//! stored message (complaint or reply, its raw bytes kept as `surel-asli.eml`) or a
//! set-aside entry with its reason, never neither, never both; none stops the
//! mailbox; charsets decode; the sender's `Date:` never dates a complaint.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, Utc};
use tanggap::intake::email::EmailIntake;
use tanggap::intake::email::parse::{RAW_CONTENT_TYPE, content_hash};
use tanggap::storage::Store;
use tanggap_tests::mail::{
    MAILBOX_USER, MailServers, SECOND_MAILBOX_USER, all_complaints, forget_cursor, mailbox_settings, unit_with_staff,
};
use tanggap_tests::{TestDb, on_both_databases};

/// The corpus files, sorted by name (their numbers give the append order).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/mail");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/corpus/mail exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus is there: {}", files.len());
    files
}

/// Line ends as LF: dovecot stores LF and serves CRLF, nothing else changes.
fn lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            continue;
        }
        out.push(*b);
    }
    out
}

/// Every raw message a unit keeps, by content hash: (complaint id, raw bytes).
async fn kept_raw(store: &Arc<dyn Store>, unit_id: i64) -> HashMap<String, Vec<(i64, Vec<u8>)>> {
    let list = all_complaints(store, unit_id).await;
    let mut out: HashMap<String, Vec<(i64, Vec<u8>)>> = HashMap::new();
    for c in list {
        for file in store.attachments(c.id).await.unwrap() {
            if file.content_type == RAW_CONTENT_TYPE {
                let (_, bytes) = store.attachment_content(c.id, file.id).await.unwrap().unwrap();
                out.entry(content_hash(&bytes)).or_default().push((c.id, bytes));
            }
        }
    }
    out
}

/// A complaint's `channel_detail`, which the store API does not read back.
async fn channel_detail(db_url: &str, complaint_id: i64) -> Option<String> {
    let sql = "SELECT channel_detail FROM complaints WHERE id = $1";
    if db_url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db_url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(complaint_id)
            .fetch_one(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::SqlitePool::connect(db_url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(complaint_id)
            .fetch_one(&pool)
            .await
            .unwrap()
    }
}

/// Polls until a poll takes nothing new; every poll must succeed. Returns (complaints,
/// replies, duplicates, set aside) summed.
async fn poll_all(intake: &EmailIntake) -> (usize, usize, usize, usize) {
    let mut totals = (0, 0, 0, 0);
    loop {
        let mut any = false;
        for (unit, result) in intake.poll_once().await {
            let r = result.unwrap_or_else(|e| panic!("the poll of unit {unit} failed: {e}"));
            assert!(r.polled);
            any |= r.complaints + r.replies + r.duplicates + r.set_aside > 0;
            totals.0 += r.complaints;
            totals.1 += r.replies;
            totals.2 += r.duplicates;
            totals.3 += r.set_aside;
        }
        if !any {
            return totals;
        }
    }
}

/// The largest message the corpus test's intake reads (every corpus file is smaller).
const LIMIT: usize = 128 * 1024;

on_both_databases!(
    every_corpus_message_is_stored_or_set_aside_and_none_stops_the_mailbox,
    |db: TestDb| async move {
        let Some(servers) = MailServers::start() else { return };
        let store = db.store.clone();
        let settings = mailbox_settings(MAILBOX_USER, servers.imap_port, servers.smtp_port);
        let a = unit_with_staff(&store, "dinas-a", Some(&settings)).await;
        let b = unit_with_staff(
            &store,
            "dinas-b",
            Some(&mailbox_settings(
                SECOND_MAILBOX_USER,
                servers.imap_port,
                servers.smtp_port,
            )),
        )
        .await;
        let intake = EmailIntake::new(store.clone(), None, "uji".into()).with_max_message_bytes(LIMIT);
        let files = corpus();
        for (name, raw) in &files {
            servers.append(raw).await;
            if name.starts_with("19-") {
                servers.append_to(SECOND_MAILBOX_USER, raw).await;
            }
        }
        // After the corpus: one message over the size limit, then an ordinary one.
        let ordinary = |id: &str, body: &str| {
            format!(
                "From: Rina <rina@warga.test>\r\nTo: {MAILBOX_USER}\r\nSubject: Penutup\r\n\
                 Message-ID: <{id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            )
            .into_bytes()
        };
        let big = ordinary("besar@warga.test", &"x".repeat(LIMIT + 1));
        servers.append(&big).await;
        let last = ordinary("penutup@warga.test", "Surel terakhir tetap diambil.");
        servers.append(&last).await;
        let started = Utc::now();
        let (complaints, replies, duplicates, set_aside) = poll_all(&intake).await;
        // Every file is a complaint in unit a but 23 and 33 (redeliveries) and 27 (a
        // reply); 19 is one in unit b too; "penutup" is one; "besar" is set aside.
        assert_eq!(
            (complaints, replies, duplicates, set_aside),
            (files.len() - 3 + 1 + 1, 1, 2, 1)
        );

        // The accounting: every message (UID i+1 in a fresh mailbox) is kept or set
        // aside, never both.
        let kept = kept_raw(&store, a.id).await;
        let aside = store.set_aside_mails(a.id, 100).await.unwrap();
        let mut all = files.clone();
        all.push(("besar".into(), big.clone()));
        all.push(("penutup".into(), last.clone()));
        for (i, (name, raw)) in all.iter().enumerate() {
            let uid = i64::try_from(i).unwrap() + 1;
            let stored = kept.get(&content_hash(raw));
            let set_aside: Vec<_> = aside.iter().filter(|m| m.uid == uid).collect();
            // Exactly one of the two: stored xor set aside.
            assert!(
                stored.is_some() == set_aside.is_empty(),
                "{name}: stored {:?}, set aside {set_aside:?}",
                stored.map(Vec::len)
            );
            if let Some(stored) = stored {
                assert_eq!(stored.len(), 1, "{name} is kept once");
                if !name.starts_with("23-") && !name.starts_with("33-") {
                    assert_eq!(
                        lf(&stored[0].1),
                        lf(raw),
                        "{name}: the raw message is kept byte for byte"
                    );
                }
            }
        }
        assert_eq!(aside.len(), 1, "{aside:?}");
        assert_eq!(
            (aside[0].reason.as_str(), aside[0].subject.as_str()),
            ("too_large", "Penutup")
        );

        let by_name: HashMap<&str, &Vec<u8>> = all.iter().map(|(n, r)| (n.as_str(), r)).collect();
        let complaint_of = |prefix: &str| {
            let raw = by_name
                .iter()
                .find(|(n, _)| n.starts_with(prefix))
                .unwrap_or_else(|| panic!("corpus file {prefix}"))
                .1;
            kept[&content_hash(raw)][0].0
        };
        let record = |id: i64| {
            let store = store.clone();
            let unit = a.id;
            async move { store.complaint(unit, id).await.unwrap().unwrap() }
        };
        let text = |id: i64| {
            let record = record(id);
            async move { record.await.description }
        };
        // Charsets: declared (gb2312, Shift_JIS 8-bit, big5, koi8-r, iso-8859-1 QP,
        // windows-1252 8-bit), undeclared 8-bit, unknown; subjects in RFC 2047 words.
        for (prefix, expected) in [
            ("01-", "berlubang sedalam 30 cm — sudah dua minggu tidak diperbaiki"),
            ("02-", "“dan belum ada kabar”"),
            ("03-", "blangko habis"),
            ("04-", "我要投诉：道路维修太慢了。"),
            ("05-", "道路の穴を早く直してください。"),
            ("06-", "Le café de la mairie est fermé à midi."),
            ("07-", "Tagihan “air” naik jadi €20 – tidak wajar."),
            ("08-", "Lampu taman di Jl. Café Merdeka mati."),
            ("13-", "sampah menumpuk di pasar"),
            ("14-", "Parit di Gang Mawar & Gang Melati tersumbat sampah."),
            ("24-", "(surel tanpa isi teks"),
            ("26-", "Isi di tingkat paling dalam."),
            ("29-", "disalin dari berkas mbox"),
            ("30-", "路燈不亮"),
            ("30-", "Жалоба на дорогу"),
            ("31-", "tetapi teksnya ASCII biasa"),
        ] {
            let t = text(complaint_of(prefix)).await;
            assert!(t.contains(expected), "{prefix}: {expected:?} not in {t:?}");
            assert!(!t.contains('\u{FFFD}'), "{prefix}: replacement characters in {t:?}");
        }
        assert!(!text(complaint_of("14-")).await.contains("alert"), "no script text");
        for (prefix, subject) in [
            ("04-", "道路投诉"),
            ("05-", "苦情"),
            ("06-", "Réclamation"),
            ("12-", "(tanpa perihal)"),
        ] {
            assert_eq!(record(complaint_of(prefix)).await.summary.subject, subject, "{prefix}");
        }
        // Every text part, not only the first.
        let four = text(complaint_of("21-")).await;
        for part in ["pertama", "kedua", "ketiga", "keempat"] {
            assert!(four.contains(&format!("Bagian {part}")), "{four}");
        }
        // Random bytes: a complaint with the placeholder, its bytes kept (checked above).
        let random = text(complaint_of("20-")).await;
        assert!(
            random.starts_with("(Surel ini tidak dapat dibaca sebagai teks."),
            "{random}"
        );
        assert!(random.contains("surel-asli.eml"), "{random}");
        // The sender's date never dates a complaint: this year's number, received now,
        // the sender's date kept as information.
        let year = Utc::now().year();
        for (prefix, sender_year) in [("17-", "1998"), ("18-", "2099")] {
            let id = complaint_of(prefix);
            let r = record(id).await;
            assert!(
                r.summary.nomor_agenda.contains(&format!("/{year}/")),
                "{}",
                r.summary.nomor_agenda
            );
            assert!(r.summary.received_at >= started - chrono::Duration::minutes(1));
            let detail = channel_detail(&db.url, id).await.unwrap_or_default();
            assert!(detail.contains(sender_year), "{prefix}: {detail}");
        }
        // Missing headers: no From gets no acknowledgement; no Message-ID is keyed by
        // content.
        assert!(
            store
                .outbox_for_complaint(complaint_of("09-"))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .outbox_for_complaint(complaint_of("15-"))
                .await
                .unwrap()
                .is_empty(),
            "auto-reply"
        );
        assert_eq!(store.outbox_for_complaint(complaint_of("02-")).await.unwrap().len(), 1);
        let no_id = record(complaint_of("11-")).await;
        assert!(
            no_id.channel_ref.as_deref().unwrap().starts_with("sha256:"),
            "{:?}",
            no_id.channel_ref
        );
        // A reused Message-ID with other content is a complaint of its own.
        let reused = record(complaint_of("22-")).await;
        assert!(
            reused
                .channel_ref
                .as_deref()
                .unwrap()
                .starts_with("korpus-02@warga.test#"),
            "{:?}",
            reused.channel_ref
        );
        assert_ne!(complaint_of("22-"), complaint_of("02-"));
        assert_eq!(
            complaint_of("23-"),
            complaint_of("02-"),
            "a redelivery is the same message"
        );
        // Without a Message-ID too: judged by content (an input the fuzz test found).
        assert_eq!(complaint_of("33-"), complaint_of("32-"));
        // The reply threads onto its complaint.
        assert_eq!(complaint_of("27-"), complaint_of("01-"));
        let thread = store.complaint_messages(complaint_of("01-")).await.unwrap();
        assert!(thread.iter().any(|m| m.body.contains("lubangnya makin besar")));
        // File names with control characters are cleaned; files keep their types.
        let names: Vec<String> = store
            .attachments(complaint_of("16-"))
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.filename)
            .collect();
        assert!(
            names
                .iter()
                .all(|n| !n.chars().any(|c| c.is_control() || c == '/' || c == '\u{202E}')),
            "{names:?}"
        );
        let first = store.attachments(complaint_of("01-")).await.unwrap();
        assert!(
            first
                .iter()
                .any(|f| f.filename == "surat.pdf" && f.content_type == "application/pdf")
        );
        // The same message to two units: a complaint in each.
        let in_b = kept_raw(&store, b.id).await;
        assert_eq!(in_b.len(), 1);
        assert!(in_b.contains_key(&content_hash(
            by_name.iter().find(|(n, _)| n.starts_with("19-")).unwrap().1
        )));

        // Exactly once: a lost cursor re-reads everything and stores nothing twice.
        let before = kept_raw(&store, a.id).await.len();
        forget_cursor(&store, &settings).await;
        let again = poll_all(&intake).await;
        assert_eq!((again.0, again.1), (0, 0), "{again:?}");
        assert_eq!(kept_raw(&store, a.id).await.len(), before);
        assert_eq!(store.set_aside_mails(a.id, 100).await.unwrap().len(), 1);
    }
);

on_both_databases!(
    the_mail_servers_arrival_time_counts_not_the_senders,
    |db: TestDb| async move {
        let Some(servers) = MailServers::start() else { return };
        let store = db.store.clone();
        let settings = mailbox_settings(MAILBOX_USER, servers.imap_port, servers.smtp_port);
        let unit = unit_with_staff(&store, "dinas-a", Some(&settings)).await;
        let intake = EmailIntake::new(store.clone(), None, "uji".into());
        let mail = |id: &str| {
            format!(
                "From: Rina <rina@warga.test>\r\nTo: {MAILBOX_USER}\r\nSubject: {id}\r\n\
                 Date: Fri, 13 Feb 1998 08:00:00 +0700\r\nMessage-ID: <{id}@warga.test>\r\n\r\nIsi {id}.\r\n"
            )
            .into_bytes()
        };
        // Arrived two days ago (Tanggap was down): that time counts. Arrived in 1998
        // by the server's record (a mailbox filled from an archive): not believed.
        let two_days_ago = Utc::now() - chrono::Duration::days(2);
        let imap_date = |t: chrono::DateTime<Utc>| t.format("%d-%b-%Y %H:%M:%S +0000").to_string();
        servers
            .append_dated(MAILBOX_USER, &mail("kemarin-lusa"), &imap_date(two_days_ago))
            .await;
        servers
            .append_dated(MAILBOX_USER, &mail("arsip"), "13-Feb-1998 08:00:00 +0700")
            .await;
        let started = Utc::now();
        assert_eq!(poll_all(&intake).await, (2, 0, 0, 0));
        let list = all_complaints(&store, unit.id).await;
        let by_subject = |s: &str| list.iter().find(|c| c.subject == s).unwrap().clone();
        let late = by_subject("kemarin-lusa");
        assert!(
            (late.received_at - two_days_ago).num_seconds().abs() <= 1,
            "{} vs {two_days_ago}",
            late.received_at
        );
        let archived = by_subject("arsip");
        assert!(archived.received_at >= started - chrono::Duration::seconds(5));
        assert!(archived.nomor_agenda.contains(&format!("/{}/", Utc::now().year())));
    }
);
