//! Crash trials (issue 22): the real `tanggap serve` binary on a fresh SQLite file
//! and a fresh PostgreSQL database, driven by concurrent clients (API and form
//! complaints, survey responses, an officer's moves and answers), killed with
//! SIGKILL at a random moment, started again on the same database; then what the
//! clients were told is compared with what is stored, and every queued email with
//! what a real SMTP server (aiosmtpd) received.
//!
//! Each trial also sends one "straggler" per way in at the kill: a request whose
//! answer the client never reads because the process is killed once its commit is
//! visible in the database. Its client, unsure, sends it again after the restart
//! (same Idempotency-Key, same form token): this is the case a retry would double
//! without idempotency, made certain in every trial instead of left to chance.
//!
//! `TANGGAP_CRASH_TRIALS` sets the number of kills per database (CI: 3);
//! `TANGGAP_CRASH_SEED` replays a run's timing; `scripts/crash-trials.sh N` runs N.

mod check;
mod clients;
mod server;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use rand::{Rng, SeedableRng};
use tanggap::domain::{Channel, ComplaintStatus, Klasifikasi, Role};
use tanggap::notify::settings::{EmailSettings, ImapSettings, Security, SmtpSettings};
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap::storage::triage::{Classification, StatusMove};
use tanggap_tests::TestDb;
use tanggap_tests::mail::{MAILBOX_PASSWORD, MAILBOX_USER, MailServers};

use check::{Db, Report};
use clients::{Ctx, Spec, Way};

const UNIT: &str = "dinsos-crash";
const PASSWORD: &str = "kata-sandi-uji-123";
/// Complaints an officer works on per trial (the first is the straggler's).
const TARGETS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_trials_sqlite() {
    run(TestDb::sqlite().await, "sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_trials_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    run(db, "postgres").await;
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// The unit, its service and division, an officer, and its email channel pointing
/// at the SMTP sink.
async fn arrange(store: &Arc<dyn Store>, mail: &MailServers) -> (i64, i64) {
    let unit_id = store
        .create_unit(&NewUnit {
            complaint_channels: vec![Channel::Website, Channel::Email],
            ..tanggap_tests::test_unit(UNIT)
        })
        .await
        .unwrap();
    store
        .create_service(
            unit_id,
            &NewService {
                code: "sktm".into(),
                name: "Surat Keterangan Tidak Mampu".into(),
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
    let division = store.create_division(unit_id, "Bidang Uji").await.unwrap();
    store
        .create_user(&NewUser {
            username: "petugas".into(),
            full_name: "Petugas Uji".into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles: vec![(unit_id, Role::Petugas)],
        })
        .await
        .unwrap();
    let settings = EmailSettings {
        imap: ImapSettings {
            host: "127.0.0.1".into(),
            port: mail.imap_port,
            security: Security::Plain,
            user: MAILBOX_USER.into(),
            password: MAILBOX_PASSWORD.into(),
            folder: "INBOX".into(),
            poll_seconds: 60,
        },
        smtp: SmtpSettings {
            host: "127.0.0.1".into(),
            port: mail.smtp_port,
            security: Security::Plain,
            user: String::new(),
            password: String::new(),
        },
        from_address: MAILBOX_USER.into(),
        from_name: "Pengaduan Dinas Uji".into(),
    };
    store
        .set_channel_settings(&ChannelSettings {
            unit_id,
            channel: "email".into(),
            config: serde_json::to_value(&settings).unwrap(),
            enabled: true,
        })
        .await
        .unwrap();
    (unit_id, division)
}

/// Complaints that came by email, verified and assigned (`didisposisikan`), for the
/// officer to move and answer during trial `trial`; answers go back by email.
async fn targets(store: &Arc<dyn Store>, unit_id: i64, division: i64, trial: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for k in 0..TARGETS {
        let from = format!("target-t{trial}-{k}@warga.test");
        let recorded = store
            .record_complaint(&NewComplaint {
                unit_id,
                channel: Channel::Email,
                channel_ref: Some(format!("t{trial}-{k}@warga.test")),
                channel_detail: None,
                received_at: Utc::now(),
                recorded_by: None,
                complainant: Complainant {
                    name: Some("Warga Surel".into()),
                    email: Some(from),
                    ..Default::default()
                },
                anonim: false,
                rahasia: false,
                subject: format!("Sasaran t{trial}-{k}"),
                description: "Bantuan sosial belum diterima sejak tiga bulan.".into(),
                event_place: None,
                event_date: None,
                klasifikasi: Klasifikasi::Pengaduan,
                service_id: None,
            })
            .await
            .unwrap();
        let step = |to| StatusMove {
            unit_id,
            complaint_id: recorded.id,
            to,
            actor_id: None,
            note: String::new(),
            at: Utc::now(),
            expected_from: None,
            notify: Vec::new(),
        };
        store
            .move_complaint(&step(ComplaintStatus::Terverifikasi))
            .await
            .unwrap()
            .unwrap();
        store
            .classify_complaint(&Classification {
                unit_id,
                complaint_id: recorded.id,
                klasifikasi: Klasifikasi::Pengaduan,
                jenis_id: None,
                service_id: None,
                division_id: Some(division),
                bobot: None,
                assignee_id: None,
                first_answer_due_at: None,
                due_at: None,
                actor_id: None,
                at: Utc::now(),
                note: String::new(),
            })
            .await
            .unwrap()
            .unwrap();
        store
            .move_complaint(&step(ComplaintStatus::Didisposisikan))
            .await
            .unwrap()
            .unwrap();
        ids.push(recorded.id);
    }
    ids
}

/// Logs the officer in through the login form: the session lives in the database,
/// so it survives every restart.
async fn staff_login(base: &str) -> (reqwest::Client, String) {
    let client = clients::browser();
    let page = |path: &'static str| {
        let request = client.get(format!("{base}{path}"));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let csrf = tanggap_tests::csrf_in(&page("/masuk").await).expect("login page CSRF");
    let r = client
        .post(format!("{base}/masuk"))
        .form(&[("csrf", csrf.as_str()), ("username", "petugas"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login");
    let csrf = tanggap_tests::csrf_in(&page("/akun").await).expect("account page CSRF");
    (client, csrf)
}

/// Whether the straggler's commit is visible in the database.
async fn stored(db: &Db, spec: &Spec) -> bool {
    match spec {
        Spec::Api { marker, .. } | Spec::Form { marker, .. } => {
            db.complaints_with_subject(&format!("Uji {marker}")).await > 0
        }
        Spec::Survey { marker, .. } => db.responses_with_saran(&format!("Uji {marker}")).await > 0,
        Spec::Move { .. } => true,
        Spec::Answer { complaint, .. } => db.answers_queued(*complaint).await > 0,
    }
}

/// One trial: clients run, the process is killed at a random moment (right after
/// the stragglers' commits), started again, the clients retry and stop.
async fn trial(
    served: &mut server::Served,
    db: &Db,
    ctx: Arc<Ctx>,
    targets: Vec<i64>,
    rng: &mut rand::rngs::StdRng,
) -> Vec<clients::Outcome> {
    let mut load = Vec::new();
    for n in 0..4 {
        load.push(tokio::spawn(clients::client_loop(ctx.clone(), Way::Api, n, vec![])));
    }
    for n in 0..2 {
        load.push(tokio::spawn(clients::client_loop(ctx.clone(), Way::Form, n, vec![])));
        load.push(tokio::spawn(clients::client_loop(ctx.clone(), Way::Survey, n, vec![])));
    }
    load.push(tokio::spawn(clients::client_loop(
        ctx.clone(),
        Way::Answer,
        0,
        targets[1..].to_vec(),
    )));
    tokio::time::sleep(Duration::from_millis(rng.random_range(200..1500))).await;

    let t = ctx.trial;
    let stragglers = vec![
        Spec::api(format!("t{t}-lost-api"), true),
        Spec::form(&ctx, format!("t{t}-lost-form")).await.expect("form page"),
        Spec::survey(&ctx, format!("t{t}-lost-survey"), 1)
            .await
            .expect("survey page"),
        Spec::Answer {
            marker: format!("t{t}-lost-answer"),
            complaint: targets[0],
        },
    ];
    let mut sending = Vec::new();
    for spec in &stragglers {
        let (spec, ctx) = (spec.clone(), ctx.clone());
        sending.push(tokio::spawn(async move { spec.send_once(&ctx).await }));
    }
    let start = Instant::now();
    for spec in &stragglers {
        while !stored(db, spec).await {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "a straggler was never stored"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    served.kill();
    for task in sending {
        task.abort();
    }
    served.restart().await;
    let mut outcomes = Vec::new();
    for spec in &stragglers {
        outcomes.push(spec.until_answered(&ctx, true).await);
    }
    // The load goes on against the new process for a moment, then stops.
    tokio::time::sleep(Duration::from_millis(300)).await;
    ctx.stop.store(true, Ordering::SeqCst);
    for task in load {
        outcomes.extend(task.await.expect("client task"));
    }
    outcomes
}

/// Waits until the outbox has sent everything (a claim left by the killed process
/// lapses after 1.5 s), or 60 s.
async fn drain(db: &Db) {
    let start = Instant::now();
    while db.outbox_pending().await > 0 && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run(db: TestDb, database: &str) {
    let Some(mail) = MailServers::start() else {
        return;
    };
    let trials = env_number("TANGGAP_CRASH_TRIALS").unwrap_or(3) as usize;
    let seed = env_number("TANGGAP_CRASH_SEED").unwrap_or_else(|| rand::rng().random());
    println!("crash trials on {database}: {trials} kills, TANGGAP_CRASH_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let store = db.store.clone();
    let (unit_id, division) = arrange(&store, &mail).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let check_db = Db::open(&db.url).await;
    let mut served = server::Served::start(&db.url, dir.path()).await;
    let staff = staff_login(&served.base()).await;
    let mut totals = Report::default();
    let mut last_outbox_id = 0;
    for n in 1..=trials {
        let targets = targets(&store, unit_id, division, n).await;
        let ctx = Arc::new(Ctx {
            base: served.base(),
            unit: UNIT.into(),
            trial: n,
            staff: staff.clone(),
            stop: Default::default(),
            deadline: Instant::now() + Duration::from_secs(90),
        });
        let outcomes = trial(&mut served, &check_db, ctx, targets, &mut rng).await;
        let mut report = check::requests(&check_db, unit_id, &outcomes).await;
        drain(&check_db).await;
        let queued = outbox_since(&store, &check_db, last_outbox_id).await;
        last_outbox_id = queued.iter().map(|m| m.0).max().unwrap_or(last_outbox_id);
        let ids: Vec<(String, String)> = queued.into_iter().map(|(_, status, id)| (status, id)).collect();
        report.mail = check::mail(&ids, &mail.sent_messages());
        println!("{database} trial {n}:\n{report}");
        totals += &report;
    }
    served.kill();
    // Every message the sink received must be one of the outbox's (same Message-ID).
    let known: std::collections::HashSet<String> = outbox_since(&store, &check_db, 0)
        .await
        .into_iter()
        .map(|m| m.2)
        .collect();
    totals.mail.doubled += check::unknown_messages(&known, &mail.sent_messages());
    println!("CRASH-TRIALS {database} trials={trials} seed={seed}\n{totals}");
    if let Ok(path) = std::env::var("TANGGAP_CRASH_REPORT") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("report file");
        writeln!(
            f,
            "## {database}: {trials} trials (seed {seed})\n\n```\n{totals}\n```\n"
        )
        .unwrap();
    }
    assert!(totals.clean(), "{database}: something was lost or doubled:\n{totals}");
    // The stragglers: every trial lost one answer per way and retried it.
    for way in [Way::Api, Way::Form, Way::Survey, Way::Answer] {
        let t = totals.ways.get(&way).copied().unwrap_or_default();
        assert!(
            t.retried >= trials as u64,
            "{database}: every trial retries a lost answer on {way:?}"
        );
    }
}

/// Outbox rows after `after` (id, status, the Message-ID they are sent with); rows
/// not sent are printed with their last error.
async fn outbox_since(store: &Arc<dyn Store>, db: &Db, after: i64) -> Vec<(i64, String, String)> {
    let mut rows = Vec::new();
    for complaint in db.outbox_complaints(after).await {
        for m in store.outbox_for_complaint(complaint).await.unwrap() {
            if m.id > after {
                if m.status != "sent" {
                    println!("outbox {} is {}: {:?}", m.id, m.status, m.last_error);
                }
                let id = tanggap::notify::email::message_id_for(&m, MAILBOX_USER);
                rows.push((m.id, m.status.clone(), id));
            }
        }
    }
    rows
}
