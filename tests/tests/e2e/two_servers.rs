//! Two real `tanggap serve` processes on one PostgreSQL database, both running their
//! background loops, with clients spread over both (issue 22): the IMAP poller takes
//! each message once, the SLA reminders, overdue notices, auto-close and monthly
//! draft happen once, login throttling counts the attempts made at both, and the
//! outbox drains with every message delivered while one server is killed with
//! SIGKILL mid-batch and restarted. Then `/readyz` behind a TCP proxy that is cut
//! and restored.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use tanggap::reporting::workflow::MONTHLY;
use tanggap_tests::TestDb;
use tanggap_tests::mail::MailServers;
use tanggap_tests::serve::{ServeProcess, TcpProxy, eventually};

use crate::serve_wiring::{
    FAST_JOBS, PASSWORD, arrange_triage, arrange_unit, citizen_mail, email_complaints, outbox_rows, queue_messages,
    sink_counts, status_of,
};

/// Emails in the mailbox when both servers start polling it.
const MAILS: usize = 12;

/// One login attempt from `ip` (the servers trust `X-Forwarded-For`): the status.
async fn try_login(server: &str, ip: &str, username: &str, password: &str) -> u16 {
    let client = tanggap_tests::new_client();
    let page = client
        .get(format!("{server}/masuk"))
        .header("x-forwarded-for", ip)
        .send();
    let page = page.await.unwrap().text().await.unwrap();
    let csrf = tanggap_tests::csrf_in(&page).expect("the login page has a CSRF token");
    client
        .post(format!("{server}/masuk"))
        .header("x-forwarded-for", ip)
        .form(&[("csrf", csrf.as_str()), ("username", username), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The servers' environment: short timers, and the client address taken from
/// `X-Forwarded-For`, so the throttling test can speak from several addresses.
fn env() -> Vec<(&'static str, &'static str)> {
    let mut env = FAST_JOBS.to_vec();
    env.push(("TANGGAP_TRUST_PROXY", "true"));
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_the_work_once() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let Some(mail) = MailServers::start() else {
        return;
    };
    let store = db.store.clone();
    for i in 0..MAILS {
        mail.append(&citizen_mail("dua", i)).await;
    }
    let (unit, petugas) = arrange_unit(&store, &db.url, &mail, "dinas-dua").await;
    let cases = arrange_triage(&store, unit.id, petugas, 3).await;
    let env = env();
    let (mut a, b) = tokio::join!(ServeProcess::start(&db.url, &env), ServeProcess::start(&db.url, &env));

    // The IMAP poller: each message taken once across both.
    let taken = eventually(Duration::from_secs(30), || async {
        let c = email_complaints(&store, unit.id).await;
        (c.len() >= MAILS).then_some(c)
    })
    .await
    .expect("both pollers together took every message");
    // Both keep polling for a while: nothing more appears.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = email_complaints(&store, unit.id).await;
    assert_eq!(again.len(), MAILS, "N messages, N complaints: {taken:?}");
    let subjects: HashSet<&str> = again.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects.len(), MAILS, "each message once");

    // The triage jobs and the drafter: once each.
    let done = eventually(Duration::from_secs(60), || async {
        for id in &cases.answered {
            if status_of(&store, unit.id, *id).await != "selesai" {
                return None;
            }
        }
        let drafts = store.list_report_versions(unit.id, Some(MONTHLY)).await.unwrap();
        (!drafts.is_empty()).then_some(())
    })
    .await;
    assert!(done.is_some(), "auto-close and the monthly draft happened");
    // Several more passes of both servers' jobs.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rows = outbox_rows(&db.url).await;
    for (ids, kind) in [(&cases.overdue, "terlambat"), (&cases.due_soon, "pengingat")] {
        for id in ids {
            let prefix = format!("sla:{kind}:{id}:");
            let n = rows.iter().filter(|r| r.dedupe_key.starts_with(&prefix)).count();
            assert_eq!(n, 1, "one {kind} notice for complaint {id}");
        }
    }
    for id in &cases.answered {
        let closings = store
            .event_details(*id)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.to_status.as_deref() == Some("selesai"))
            .count();
        assert_eq!(closings, 1, "complaint {id} closed once");
    }
    let drafts = store.list_report_versions(unit.id, Some(MONTHLY)).await.unwrap();
    assert_eq!(drafts.len(), 1, "one monthly draft: {drafts:?}");
    let acks = rows.iter().filter(|r| r.dedupe_key.starts_with("email-ack:")).count();
    assert_eq!(acks, MAILS, "one acknowledgement per email complaint");

    // Login throttling counts the attempts made at both servers.
    throttling_holds_across(&a.address, &b.address, &format!("petugas-{}", unit.code)).await;

    // Everything queued so far reached the sink exactly once: no kill yet, so no
    // repeat is allowed at all.
    let settled = eventually(Duration::from_secs(30), || async {
        let rows = outbox_rows(&db.url).await;
        let sink = sink_counts(&mail);
        rows.iter()
            .all(|r| r.status == "sent" && sink.contains_key(&r.message_id))
            .then_some((rows, sink))
    })
    .await;
    let (rows, sink) = settled.expect("the outbox drained before the kill");
    for r in &rows {
        assert_eq!(sink[&r.message_id], 1, "{} sent once by two live servers", r.dedupe_key);
    }

    // The outbox under a kill: server A dies with SIGKILL while it holds a batch,
    // and is started again. Up to three rounds, until one kill caught A with claimed
    // rows (seen afterwards as rows claimed a second time).
    let mut kills = 0;
    let mut taken_over = 0;
    let mut a_round = 0;
    while taken_over == 0 && a_round < 3 {
        a_round += 1;
        let tag = format!("kill{a_round}");
        let before = outbox_rows(&db.url).await.len();
        queue_messages(&store, unit.id, &tag, 150).await;
        let sent_by_a = |log: &str| log.matches("message sent").count();
        let base = sent_by_a(&a.log());
        // A is in the middle of sending: it has just logged a send.
        let busy = eventually(Duration::from_secs(20), || async {
            let log = a.log();
            let last = log.lines().last().unwrap_or_default().to_owned();
            (sent_by_a(&log) >= base + 10 && last.contains("message sent")).then_some(())
        })
        .await;
        assert!(busy.is_some(), "server A took part in sending");
        a.kill();
        kills += 1;
        tokio::time::sleep(Duration::from_millis(300)).await;
        a = ServeProcess::start(&db.url, &env).await;
        let drained = eventually(Duration::from_secs(40), || async {
            let rows = outbox_rows(&db.url).await;
            let sink = sink_counts(&mail);
            rows.iter()
                .all(|r| r.status == "sent" && sink.contains_key(&r.message_id))
                .then_some(rows)
        })
        .await;
        let rows = drained.expect("every queued message was sent after the kill");
        taken_over = rows[before..].iter().filter(|r| r.attempts >= 2).count();
    }
    assert!(taken_over > 0, "in {kills} kills, A never died holding claimed rows");
    let rows = outbox_rows(&db.url).await;
    let sink = sink_counts(&mail);
    let repeated: Vec<_> = rows.iter().filter(|r| sink[&r.message_id] > 1).collect();
    assert!(
        repeated.len() <= kills,
        "at most the message in flight at each kill is repeated (same Message-ID): {repeated:?}"
    );
    assert_eq!(
        sink.values().sum::<usize>(),
        rows.len() + repeated.iter().map(|r| sink[&r.message_id] - 1).sum::<usize>(),
        "nothing at the sink that was not queued"
    );
    eprintln!(
        "two servers: {} messages, {kills} kill(s), {taken_over} taken over from the killed server, {} repeated",
        rows.len(),
        repeated.len()
    );
    drop(b);
}

/// Wrong passwords spread over both servers: the limit is the sum.
async fn throttling_holds_across(a: &str, b: &str, username: &str) {
    let servers = [a, b];
    // One account, a new address each time, alternating servers: five checked,
    // then locked on both, even for the right password.
    for i in 0..8 {
        let status = try_login(servers[i % 2], &format!("10.0.1.{i}"), username, "salah-sandi").await;
        let expected = if i < tanggap::auth::MAX_FAILED_PER_ACCOUNT as usize {
            401
        } else {
            429
        };
        assert_eq!(status, expected, "attempt {i} at server {}", i % 2);
    }
    for server in servers {
        assert_eq!(
            try_login(server, "10.0.1.200", username, PASSWORD).await,
            429,
            "locked on both servers"
        );
    }
    // Parallel guesses at an unknown account, half at each server: at most five
    // are checked (each attempt is recorded before the count, so when all sixteen
    // land together none may be).
    let mut tasks = Vec::new();
    for i in 0..16 {
        let server = servers[i % 2].to_owned();
        tasks.push(tokio::spawn(async move {
            try_login(&server, &format!("10.0.2.{i}"), "akun-tebakan", "salah").await
        }));
    }
    let mut checked = 0;
    for t in tasks {
        match t.await.unwrap() {
            401 => checked += 1,
            429 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        checked <= tanggap::auth::MAX_FAILED_PER_ACCOUNT,
        "{checked} of 16 parallel guesses checked"
    );
    // One address guessing many accounts over both servers: twenty, then locked.
    for i in 0..24 {
        let status = try_login(servers[i % 2], "10.0.3.1", &format!("tamu-{i}"), "salah").await;
        let expected = if i < tanggap::auth::MAX_FAILED_PER_IP as usize {
            401
        } else {
            429
        };
        assert_eq!(status, expected, "attempt {i} from one address");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_follows_the_database_without_a_restart() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let mut url = url::Url::parse(&db.url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let target = tokio::net::lookup_host(target).await.unwrap().next().unwrap();
    let proxy = TcpProxy::start(target).await;
    url.set_port(Some(proxy.port)).unwrap();
    let mut server = ServeProcess::start(url.as_str(), FAST_JOBS).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let ready = |client: reqwest::Client, address: String| async move {
        let started = Instant::now();
        let status = client
            .get(format!("{address}/readyz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        (status, started.elapsed())
    };
    let (status, _) = ready(client.clone(), server.address.clone()).await;
    assert_eq!(status, 200, "ready with the database reachable");

    proxy.cut();
    for _ in 0..3 {
        let (status, took) = ready(client.clone(), server.address.clone()).await;
        assert_eq!(status, 503, "not ready while the database is cut off");
        assert!(
            took < Duration::from_secs(5),
            "the probe answers within its bound, not after the pool's 10 s: {took:?}"
        );
    }
    // Liveness is not readiness: the process still answers.
    let live = client.get(format!("{}/healthz", server.address)).send().await.unwrap();
    assert_eq!(live.status(), 200);

    proxy.restore();
    let back = eventually(Duration::from_secs(20), || async {
        (ready(client.clone(), server.address.clone()).await.0 == 200).then_some(())
    })
    .await;
    assert!(back.is_some(), "ready again once the database is back");

    // A partition: connections stay open but nothing comes back. Without its own
    // bound the probe would hang on its connection (the pool has no query timeout).
    proxy.stall();
    for _ in 0..2 {
        let (status, took) = ready(client.clone(), server.address.clone()).await;
        assert_eq!(status, 503, "not ready while the database does not answer");
        assert!(
            took < Duration::from_secs(5),
            "the probe answers within its bound: {took:?}"
        );
    }
    proxy.restore();
    let back = eventually(Duration::from_secs(30), || async {
        (ready(client.clone(), server.address.clone()).await.0 == 200).then_some(())
    })
    .await;
    assert!(back.is_some(), "ready again once the partition is over");
    assert!(server.is_running(), "the same process, never restarted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_on_sqlite_follows_the_database_file() {
    let db = TestDb::sqlite().await;
    let server = ServeProcess::start(&db.url, &[]).await;
    let path = std::path::PathBuf::from(db.url.trim_start_matches("sqlite:"));
    let aside = path.with_extension("weg");
    let client = reqwest::Client::new();
    let ready = || async {
        client
            .get(format!("{}/readyz", server.address))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(ready().await, 200);
    // The file moved away (an unmounted volume, a wrong restore): the open
    // connections would go on writing into a file nobody will find again.
    std::fs::rename(&path, &aside).unwrap();
    assert_eq!(ready().await, 503, "not ready without the database file");
    std::fs::rename(&aside, &path).unwrap();
    assert_eq!(ready().await, 200, "ready again once it is back, without a restart");
}
