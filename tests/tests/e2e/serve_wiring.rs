//! The real `tanggap serve` runs its four background loops on their configured
//! timers (issue 22): the outbox sender, the email intake, the triage jobs and the
//! monthly report drafter. Everything here is arranged after the server started and
//! after each loop's first pass, so only a later pass, fired by the loop's own
//! timer, can do it; leaving a loop out of `ChannelJobs::start` fails this test
//! with the loop's name. The helpers are shared with `two_servers.rs`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tanggap::domain::{Bobot, Channel, Klasifikasi, Role};
use tanggap::notify::settings::{EmailSettings, ImapSettings, Security, SmtpSettings};
use tanggap::reporting::workflow::MONTHLY;
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap::storage::triage::Classification;
use tanggap_tests::TestDb;
use tanggap_tests::mail::{MAILBOX_PASSWORD, MAILBOX_USER, MailServers};
use tanggap_tests::serve::{ServeProcess, eventually};

/// The unit's sending address (its domain names the outbox Message-IDs).
pub const FROM: &str = "pengaduan@dinas.test";
/// The password of the staff accounts made here.
pub const PASSWORD: &str = "kata-sandi-uji-123";

/// Short timers for the loops: a pass every fraction of a second, an outbox claim
/// that lapses after 3 s (so a killed instance's claims are taken over quickly), and
/// a missing monthly draft made on any day (the test cannot wait for the first
/// working day of a month).
pub const FAST_JOBS: &[(&str, &str)] = &[
    ("TANGGAP_JOBS__OUTBOX_INTERVAL_SECONDS", "0.2"),
    ("TANGGAP_JOBS__OUTBOX_LOCK_SECONDS", "3"),
    ("TANGGAP_JOBS__TRIAGE_INTERVAL_SECONDS", "0.3"),
    ("TANGGAP_JOBS__EMAIL_TICK_SECONDS", "0.3"),
    ("TANGGAP_JOBS__REPORT_INTERVAL_SECONDS", "0.5"),
    ("TANGGAP_JOBS__REPORT_CATCH_UP_DAYS", "40"),
    ("TANGGAP_PUBLIC_RATE_PER_MINUTE", "60000"),
];

/// Runs one statement straight on the test database, for what no store call
/// offers (a staff email address).
pub async fn execute(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
}

/// One outbox row as the test checks it.
#[derive(Debug, Clone)]
pub struct OutboxRow {
    /// What the message is (`sla:terlambat:...`, `email-ack:...`).
    pub dedupe_key: String,
    /// `pending`, `sending`, `sent` or `failed`.
    pub status: String,
    /// Claims so far (2 or more: a claim lapsed and was taken again).
    pub attempts: i64,
    /// The Message-ID it is sent with.
    pub message_id: String,
}

/// Every outbox row, oldest first.
pub async fn outbox_rows(url: &str) -> Vec<OutboxRow> {
    const SQL: &str = "SELECT id, dedupe_key, status, attempts, headers FROM outbox ORDER BY id";
    let rows: Vec<(i64, String, String, i64, String)> = tanggap_tests::fetch_rows(url, SQL).await;
    rows.into_iter()
        .map(|(id, dedupe_key, status, attempts, headers)| {
            let headers: BTreeMap<String, String> = serde_json::from_str(&headers).unwrap_or_default();
            let message_id = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("message-id"))
                .map(|(_, v)| v.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
                .unwrap_or_else(|| format!("outbox-{id}@{}", FROM.rsplit_once('@').unwrap().1));
            OutboxRow {
                dedupe_key,
                status,
                attempts,
                message_id,
            }
        })
        .collect()
}

/// How many times each Message-ID reached the SMTP sink.
pub fn sink_counts(mail: &MailServers) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for raw in mail.sent_messages() {
        let id = mail_parser::MessageParser::default()
            .parse(&raw)
            .and_then(|m| m.message_id().map(str::to_owned))
            .unwrap_or_else(|| "(none)".into());
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// Email settings pointing at the test's dovecot and aiosmtpd.
fn email_settings(mail: &MailServers) -> EmailSettings {
    EmailSettings {
        imap: ImapSettings {
            host: "127.0.0.1".into(),
            port: mail.imap_port,
            security: Security::Plain,
            user: MAILBOX_USER.into(),
            password: MAILBOX_PASSWORD.into(),
            folder: "INBOX".into(),
            poll_seconds: 10,
        },
        smtp: SmtpSettings {
            host: "127.0.0.1".into(),
            port: mail.smtp_port,
            security: Security::Plain,
            user: String::new(),
            password: String::new(),
        },
        from_address: FROM.into(),
        from_name: "Pengaduan Dinas Uji".into(),
    }
}

/// A unit with its email channel on the test servers, and a petugas with an email
/// address (the SLA notices go to it). Returns the unit and the petugas's id.
pub async fn arrange_unit(store: &Arc<dyn Store>, url: &str, mail: &MailServers, code: &str) -> (Unit, i64) {
    let id = store
        .create_unit(&NewUnit {
            email: FROM.into(),
            complaint_channels: vec![Channel::Website, Channel::Email],
            ..tanggap_tests::test_unit(code)
        })
        .await
        .unwrap();
    let petugas = store
        .create_user(&NewUser {
            username: format!("petugas-{code}"),
            full_name: "Petugas Uji".into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles: vec![(id, Role::Petugas)],
        })
        .await
        .unwrap();
    execute(
        url,
        &format!("UPDATE users SET email = 'petugas-{code}@dinas.test' WHERE id = {petugas}"),
    )
    .await;
    store
        .set_channel_settings(&ChannelSettings {
            unit_id: id,
            channel: "email".into(),
            config: serde_json::to_value(email_settings(mail)).unwrap(),
            enabled: true,
        })
        .await
        .unwrap();
    (store.unit_by_code(code).await.unwrap().unwrap(), petugas)
}

/// Complaints the triage jobs must act on, `n` of each kind.
pub struct TriageCases {
    /// Past their deadline: one overdue notice each.
    pub overdue: Vec<i64>,
    /// Due within the day: one reminder each.
    pub due_soon: Vec<i64>,
    /// Answered 30 days ago without a reply: closed by the auto-close job.
    pub answered: Vec<i64>,
}

fn classification(unit_id: i64, id: i64, assignee: Option<i64>, due: Option<chrono::DateTime<Utc>>) -> Classification {
    Classification {
        unit_id,
        complaint_id: id,
        klasifikasi: Klasifikasi::Pengaduan,
        jenis_id: None,
        service_id: None,
        division_id: None,
        bobot: Some(Bobot::Ringan),
        assignee_id: assignee,
        first_answer_due_at: None,
        due_at: due,
        actor_id: None,
        at: Utc::now(),
        note: String::new(),
    }
}

/// Records `n` complaints of each kind in [`TriageCases`], assigned to `petugas`.
pub async fn arrange_triage(store: &Arc<dyn Store>, unit_id: i64, petugas: i64, n: usize) -> TriageCases {
    let now = Utc::now();
    let day = chrono::Duration::days(1);
    let mut cases = TriageCases {
        overdue: Vec::new(),
        due_soon: Vec::new(),
        answered: Vec::new(),
    };
    for _ in 0..n {
        for (due, list) in [
            (now - day, &mut cases.overdue),
            (now + chrono::Duration::hours(12), &mut cases.due_soon),
        ] {
            let c = store
                .record_complaint(&tanggap_tests::test_complaint(unit_id, now - day * 3))
                .await
                .unwrap();
            store
                .classify_complaint(&classification(unit_id, c.id, Some(petugas), Some(due)))
                .await
                .unwrap()
                .unwrap();
            list.push(c.id);
        }
        // Answered a month ago: every step dated then.
        let then = now - day * 30;
        let c = store
            .record_complaint(&tanggap_tests::test_complaint(unit_id, now - day * 40))
            .await
            .unwrap();
        tanggap_tests::answer_complaint(store.as_ref(), unit_id, c.id, None, Some(petugas), Some(petugas), then).await;
        cases.answered.push(c.id);
    }
    cases
}

/// A citizen's complaint by email, with a Message-ID unique to `tag` and `i`.
pub fn citizen_mail(tag: &str, i: usize) -> Vec<u8> {
    format!(
        "From: Warga {i} <warga-{tag}-{i}@contoh.id>\r\n\
         To: {MAILBOX_USER}\r\n\
         Subject: Jalan rusak di RT {i}\r\n\
         Date: {date}\r\n\
         Message-ID: <keluhan-{tag}-{i}@contoh.id>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=UTF-8\r\n\
         \r\n\
         Jalan di depan rumah saya rusak parah sejak bulan lalu, mohon diperbaiki ({tag} {i}).\r\n",
        date = Utc::now().to_rfc2822(),
    )
    .into_bytes()
}

/// Complaints that came by email.
pub async fn email_complaints(store: &Arc<dyn Store>, unit_id: i64) -> Vec<ComplaintSummary> {
    store
        .list_complaints(
            unit_id,
            &ComplaintQuery {
                limit: 1_000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.channel == "email")
        .collect()
}

/// The status of a complaint.
pub async fn status_of(store: &Arc<dyn Store>, unit_id: i64, id: i64) -> String {
    store.triage_state(unit_id, id).await.unwrap().unwrap().status
}

/// Queues `n` plain messages straight into the outbox, as any channel would.
pub async fn queue_messages(store: &Arc<dyn Store>, unit_id: i64, tag: &str, n: usize) {
    for i in 0..n {
        let queued = store
            .enqueue_outbox(&NewOutbox {
                unit_id: Some(unit_id),
                complaint_id: None,
                channel: "email".into(),
                recipient: format!("warga-{tag}-{i}@contoh.id"),
                subject: Some(format!("Pesan uji {tag} {i}")),
                body: "Pesan uji pengiriman.".into(),
                headers: BTreeMap::new(),
                dedupe_key: format!("{tag}:{i}"),
            })
            .await
            .unwrap();
        assert!(queued);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_every_loop_on_its_timer() {
    let Some(mail) = MailServers::start() else {
        return;
    };
    let db = TestDb::sqlite().await;
    let server = ServeProcess::start(&db.url, FAST_JOBS).await;
    // Every loop has made its first pass, on an empty database, by now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let store = db.store.clone();
    // The mail is in the mailbox before the mailbox is configured, so the first poll
    // after that takes it.
    mail.append(&citizen_mail("kabel", 0)).await;
    let (unit, petugas) = arrange_unit(&store, &db.url, &mail, "dinas-kabel").await;
    let cases = arrange_triage(&store, unit.id, petugas, 1).await;
    queue_messages(&store, unit.id, "kabel", 1).await;

    // Email intake: the mail becomes a complaint.
    let from_mail = eventually(Duration::from_secs(20), || async {
        email_complaints(&store, unit.id).await.into_iter().next()
    })
    .await
    .expect("email intake loop: the mail in the mailbox never became a complaint");
    assert_eq!(from_mail.subject, "Jalan rusak di RT 0");

    // Triage: auto-close, and the SLA notices queued.
    let closed = eventually(Duration::from_secs(10), || async {
        (status_of(&store, unit.id, cases.answered[0]).await == "selesai").then_some(())
    })
    .await;
    assert!(
        closed.is_some(),
        "triage loop: the answered complaint was never auto-closed"
    );

    // Report drafter: last month's draft (or the month before, before this month's
    // first working day).
    let drafts = eventually(Duration::from_secs(60), || async {
        let v = store.list_report_versions(unit.id, Some(MONTHLY)).await.unwrap();
        (!v.is_empty()).then_some(v)
    })
    .await
    .expect("report drafter loop: no monthly draft appeared");
    assert_eq!(drafts.len(), 1, "one draft: {drafts:?}");
    assert_eq!(drafts[0].created_by, None, "made by the job, not a person");

    // Outbox sender: every queued message reaches the SMTP sink, exactly once.
    let kinds = [
        "kabel:",
        "sla:terlambat:",
        "sla:pengingat:",
        "email-ack:",
        "staff:ditugaskan:",
    ];
    let all_sent = eventually(Duration::from_secs(20), || async {
        let rows = outbox_rows(&db.url).await;
        let present = kinds.iter().all(|k| rows.iter().any(|r| r.dedupe_key.starts_with(k)));
        (present && rows.iter().all(|r| r.status == "sent")).then_some(rows)
    })
    .await;
    let Some(rows) = all_sent else {
        panic!(
            "outbox sender or triage loop: not every kind was queued and sent: {:#?}",
            outbox_rows(&db.url).await
        )
    };
    // One of each, and an assignment notice for each of the two assigned complaints
    // (issue 19: their holder has an email address).
    for kind in kinds {
        let expected = if kind == "staff:ditugaskan:" { 2 } else { 1 };
        let n = rows.iter().filter(|r| r.dedupe_key.starts_with(kind)).count();
        assert_eq!(n, expected, "{kind}: {rows:#?}");
    }
    assert_eq!(rows.len(), kinds.len() + 1, "{rows:#?}");
    let sink = eventually(Duration::from_secs(10), || async {
        let sink = sink_counts(&mail);
        rows.iter().all(|r| sink.contains_key(&r.message_id)).then_some(sink)
    })
    .await
    .expect("every sent message is at the SMTP sink");
    for r in &rows {
        assert_eq!(sink[&r.message_id], 1, "{} delivered once", r.dedupe_key);
    }
    assert!(server.log().contains("Tanggap is listening"));
}

/// The real server runs with transparent huge pages off (main.rs): with them,
/// mimalloc's `madvise` made the kernel zero 2 MiB for every fresh page touched,
/// half of a monthly report's time. The kernel reports the flag in
/// /proc/PID/status (`THP_enabled`, Linux 5.0 and later).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_server_runs_without_transparent_huge_pages() {
    let db = TestDb::sqlite().await;
    let server = ServeProcess::start(&db.url, &[]).await;
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid)).unwrap();
    let flag = status
        .lines()
        .find_map(|l| l.strip_prefix("THP_enabled:"))
        .map(str::trim);
    assert_eq!(flag, Some("0"), "{status}");
}
