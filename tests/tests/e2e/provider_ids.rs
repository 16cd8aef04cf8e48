//! Fonnte, Wablas and Zenziva as native providers (issue 19, part A2), on both
//! databases, against recording stand-ins that replay the providers' documented
//! payloads (`tests/fixtures/providers/`): each provider both directions, the secret
//! in the webhook URL (wrong, rotated-away and another unit's secret change nothing),
//! redeliveries, Fonnte's `status: false`, Zenziva polling across a restart, phone
//! numbers threading across providers, and the settings form.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tanggap::domain::{ComplaintStatus, Role};
use tanggap::intake::gateway;
use tanggap::notify::{OutboxSender, PassReport, SenderOptions};
use tanggap::providers::shared::{secret_hash, webhook_url};
use tanggap::providers::zenziva::ZenzivaPoller;
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap_tests::providers::{self, Reply, StandIn, fixture};
use tanggap_tests::{TestApp, TestDb, add_staff, assign_complaint, on_both_databases, spawn_app, test_unit};

const PASSWORD: &str = "kata-sandi-uji-123";
const GATEWAY_SECRET: &str = "rahasia-gateway-uji-16";
const FONNTE_TOKEN: &str = "tok-fonnte-UJI+/=";
const WABLAS_TOKEN: &str = "tok-wablas-uji";
const WABLAS_KEY: &str = "kunci-wablas-uji";

fn sender(store: &Arc<dyn Store>) -> OutboxSender {
    OutboxSender::new(
        store.clone(),
        SenderOptions {
            max_attempts: 3,
            first_retry: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
            ..SenderOptions::default()
        },
    )
}

async fn make_unit(app: &TestApp, code: &str) -> Unit {
    app.store.create_unit(&test_unit(code)).await.unwrap();
    app.store.unit_by_code(code).await.unwrap().unwrap()
}

async fn set_channel(app: &TestApp, unit_id: i64, channel: &str, config: serde_json::Value) {
    app.store
        .set_channel_settings(&ChannelSettings {
            unit_id,
            channel: channel.into(),
            config,
            enabled: true,
        })
        .await
        .unwrap();
}

/// WhatsApp settings through Fonnte at `base`, beside the generic gateway's secret;
/// `provider` names the provider in use.
fn fonnte_config(base: &str, provider: &str) -> serde_json::Value {
    serde_json::json!({
        "url": "", "auth_token": "", "hmac_secret": GATEWAY_SECRET,
        "provider": provider,
        "fonnte": { "base_url": base, "token": FONNTE_TOKEN }
    })
}

/// A unit whose WhatsApp goes through a fresh Fonnte stand-in.
async fn fonnte_unit(app: &TestApp, code: &str) -> (StandIn, Unit) {
    let fonnte = providers::fonnte::start().await;
    let unit = make_unit(app, code).await;
    set_channel(app, unit.id, "whatsapp", fonnte_config(&fonnte.base, "fonnte")).await;
    (fonnte, unit)
}

/// Gives the unit a webhook secret for `provider` (what the settings page does) and
/// returns it.
async fn new_secret(app: &TestApp, unit_id: i64, provider: &str) -> String {
    let secret = tanggap::providers::shared::new_webhook_secret();
    app.store
        .set_webhook_secret(unit_id, provider, &secret_hash(&secret), Utc::now(), None)
        .await
        .unwrap();
    secret
}

/// Posts a provider payload to the unit's webhook URL: status and JSON answer.
async fn post_hook(app: &TestApp, unit: &str, provider: &str, secret: &str, body: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(webhook_url(&app.address, unit, provider, secret))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or_default())
}

/// A signed post to the generic gateway.
async fn post_gateway(app: &TestApp, unit: &str, channel: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let raw = body.to_string();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/gateway/{unit}/{channel}", app.address))
        .header("content-type", "application/json")
        .header(gateway::SIGNATURE_HEADER, gateway::sign(GATEWAY_SECRET, raw.as_bytes()))
        .body(raw)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Fonnte's documented success answer with its message id replaced (each real send
/// gets its own).
fn fonnte_ok(id: &str) -> Reply {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("fonnte/send_success.json")).unwrap();
    v["id"] = serde_json::json!([id]);
    Reply {
        status: 200,
        body: v.to_string(),
    }
}

/// A fixture payload with some fields replaced.
fn payload(path: &str, changes: serde_json::Value) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&fixture(path)).unwrap();
    for (k, x) in changes.as_object().unwrap() {
        v[k] = x.clone();
    }
    v.to_string()
}

async fn complaint_count(app: &TestApp) -> i64 {
    app.store.counts().await.unwrap().complaints
}

async fn only_complaint(app: &TestApp, unit_id: i64) -> ComplaintRecord {
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
    assert_eq!(rows.len(), 1, "one complaint in the unit");
    app.store.complaint(unit_id, rows[0].id).await.unwrap().unwrap()
}

/// Verifies, classifies, dispositions and answers a complaint the way the answer
/// page does, queueing the answer back through the complaint's channel.
async fn answer(app: &TestApp, unit: &Unit, complaint_id: i64, text: &str) {
    let store = app.store.as_ref();
    let step = |to, notify| tanggap::storage::triage::StatusMove {
        unit_id: unit.id,
        complaint_id,
        to,
        actor_id: None,
        note: text.into(),
        at: Utc::now(),
        expected_from: None,
        notify,
    };
    store
        .move_complaint(&step(ComplaintStatus::Terverifikasi, vec![]))
        .await
        .unwrap()
        .unwrap();
    let division = store.create_division(unit.id, "Bidang Pelayanan").await.unwrap();
    assign_complaint(store, unit.id, complaint_id, Some(division), None, Utc::now()).await;
    store
        .move_complaint(&step(ComplaintStatus::Didisposisikan, vec![]))
        .await
        .unwrap()
        .unwrap();
    let record = store.complaint(unit.id, complaint_id).await.unwrap().unwrap();
    let how = tanggap::triage::answers::delivery(&record);
    let message = tanggap::triage::answers::answer_message(unit, &record, &how, text, tanggap::i18n::Lang::Id, None)
        .expect("an SMS/WhatsApp complaint with a number is answered through its channel");
    store
        .move_complaint(&step(ComplaintStatus::Dijawab, vec![message]))
        .await
        .unwrap()
        .unwrap();
}

on_both_databases!(
    fonnte_threads_onto_the_same_number_and_answers_in_fonnte_format,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        // The generic gateway's secret and Fonnte's keys live side by side.
        let (fonnte, unit) = fonnte_unit(&app, "dinkes-uji").await;
        let secret = new_secret(&app, unit.id, "fonnte").await;

        // The citizen first wrote through the generic gateway, as 0812 3456 7890.
        let (status, v) = post_gateway(
            &app,
            "dinkes-uji",
            "whatsapp",
            serde_json::json!({"id": "gw-1", "from": "0812 3456 7890", "text": "Lampu jalan mati"}),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        let nomor = v["nomor_agenda"].as_str().unwrap().to_owned();

        // Fonnte posts the same person as 6281234567890: it joins that thread.
        let text = fixture("fonnte/webhook_text.json");
        let (status, v) = post_hook(&app, "dinkes-uji", "fonnte", &secret, &text).await;
        assert_eq!((status, v["status"].as_str()), (200, Some("threaded")), "{v}");
        assert_eq!(v["nomor_agenda"], nomor.as_str());
        // Redelivery of the same inboxid changes nothing.
        let (status, v) = post_hook(&app, "dinkes-uji", "fonnte", &secret, &text).await;
        assert_eq!((status, v["status"].as_str()), (200, Some("duplicate")), "{v}");
        // As a form post too (Fonnte's fields, same inboxid): still a duplicate.
        let r = reqwest::Client::new()
            .post(webhook_url(&app.address, "dinkes-uji", "fonnte", &secret))
            .form(&[("sender", "6281234567890"), ("message", "lagi"), ("inboxid", "5123001")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let c = only_complaint(&app, unit.id).await;
        assert_eq!(c.complainant.phone.as_deref(), Some("081234567890"));
        let thread = app.store.complaint_messages(c.summary.id).await.unwrap();
        assert_eq!(thread.len(), 2, "the gateway message and the Fonnte one, once");
        let by_ref = |thread: &[ComplaintMessage], r: &str| {
            let r = format!("{}:{r}", unit.id);
            thread
                .iter()
                .find(|m| m.message_ref.as_deref() == Some(r.as_str()))
                .cloned()
                .expect("the message is on the thread")
        };
        let from_fonnte = by_ref(&thread, "fonnte-5123001");
        assert!(from_fonnte.body.starts_with("Selamat siang, lampu penerangan jalan"));
        assert_eq!(from_fonnte.sender, "081234567890");
        assert_eq!(from_fonnte.at.timestamp(), 1_764_994_800, "Fonnte's timestamp");

        // A wrong secret, the hash itself, another unit's secret: 403, nothing stored.
        let other = make_unit(&app, "dinsos-lain").await;
        set_channel(
            &app,
            other.id,
            "whatsapp",
            serde_json::json!({"provider": "fonnte", "fonnte": {"token": "x"}}),
        )
        .await;
        let other_secret = new_secret(&app, other.id, "fonnte").await;
        let media = payload("fonnte/webhook_media.json", serde_json::json!({}));
        for wrong in [
            "salah".to_owned(),
            secret_hash(&secret),
            other_secret.clone(),
            format!("{secret}x"),
        ] {
            let (status, v) = post_hook(&app, "dinkes-uji", "fonnte", &wrong, &media).await;
            assert_eq!((status, v["error"]["code"].as_str()), (403, Some("forbidden")), "{v}");
        }
        // The secret of this unit does not open the other unit either, nor Wablas.
        assert_eq!(post_hook(&app, "dinsos-lain", "fonnte", &secret, &media).await.0, 403);
        assert_eq!(post_hook(&app, "dinkes-uji", "wablas", &secret, &media).await.0, 403);
        assert_eq!(post_hook(&app, "tidak-ada", "fonnte", &secret, &media).await.0, 403);
        assert_eq!(post_hook(&app, "dinkes-uji", "bukan", &secret, &media).await.0, 404);
        assert_eq!(app.store.complaint_messages(c.summary.id).await.unwrap().len(), 2);
        assert_eq!(complaint_count(&app).await, 1);

        // Rotation: the old URL stops at once, the new one works.
        let rotated = new_secret(&app, unit.id, "fonnte").await;
        assert_eq!(post_hook(&app, "dinkes-uji", "fonnte", &secret, &media).await.0, 403);
        assert_eq!(app.store.complaint_messages(c.summary.id).await.unwrap().len(), 2);
        let (status, v) = post_hook(&app, "dinkes-uji", "fonnte", &rotated, &media).await;
        assert_eq!((status, v["status"].as_str()), (200, Some("threaded")), "{v}");
        let thread = app.store.complaint_messages(c.summary.id).await.unwrap();
        assert_eq!(
            by_ref(&thread, "fonnte-5123002").body,
            "Ini fotonya\n[IMG-20261206-WA0001.jpg] https://md.fonnte.com/data/5123002.jpg"
        );

        // A channel switched to another provider refuses Fonnte's posts.
        set_channel(&app, unit.id, "whatsapp", fonnte_config(&fonnte.base, "tanggap")).await;
        let late = payload("fonnte/webhook_text.json", serde_json::json!({"inboxid": 5123009}));
        let (status, v) = post_hook(&app, "dinkes-uji", "fonnte", &rotated, &late).await;
        assert_eq!((status, v["error"]["code"].as_str()), (403, Some("inactive")), "{v}");
        assert_eq!(app.store.complaint_messages(c.summary.id).await.unwrap().len(), 3);
        set_channel(&app, unit.id, "whatsapp", fonnte_config(&fonnte.base, "fonnte")).await;

        // Out: the acknowledgement, then the answer, in Fonnte's format.
        fonnte.queue(fonnte_ok("80367170"));
        let report = sender(&app.store).run_pass(Utc::now()).await.unwrap();
        assert_eq!(report.sent, 1, "{report:?}");
        answer(&app, &unit, c.summary.id, "Lampu sudah diganti petugas PJU.").await;
        fonnte.queue(fonnte_ok("80367171"));
        let report = sender(&app.store).run_pass(Utc::now()).await.unwrap();
        assert_eq!(report.sent, 1, "{report:?}");
        let sent = fonnte.requests();
        assert_eq!(sent.len(), 2);
        for r in &sent {
            assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/send"));
            assert_eq!(
                r.header("authorization"),
                Some(FONNTE_TOKEN),
                "the token as it is, no Bearer"
            );
            assert!(
                r.header("content-type")
                    .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
            );
            assert_eq!(r.form_field("target").as_deref(), Some("081234567890"));
            assert_eq!(r.form_field("countryCode").as_deref(), Some("62"));
        }
        assert!(
            sent[0].form_field("message").unwrap().contains(&nomor),
            "the acknowledgement"
        );
        assert!(
            sent[1]
                .form_field("message")
                .unwrap()
                .contains("Lampu sudah diganti petugas PJU."),
            "the answer"
        );
        let out: Vec<_> = app
            .store
            .complaint_messages(c.summary.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.direction == "out")
            .collect();
        assert_eq!(
            out.iter().map(|m| m.message_ref.clone().unwrap()).collect::<Vec<_>>(),
            vec!["fonnte-out-80367170", "fonnte-out-80367171"]
        );
    }
);

on_both_databases!(fonnte_status_false_is_retried_or_given_up, |db: TestDb| async move {
    let app = spawn_app(db).await;
    let (fonnte, unit) = fonnte_unit(&app, "dinkes-uji").await;
    let secret = new_secret(&app, unit.id, "fonnte").await;
    let (status, _) = post_hook(
        &app,
        "dinkes-uji",
        "fonnte",
        &secret,
        &fixture("fonnte/webhook_text.json"),
    )
    .await;
    assert_eq!(status, 201);
    let c = only_complaint(&app, unit.id).await;
    let outbox = || async { app.store.outbox_for_complaint(c.summary.id).await.unwrap() };
    let sender = sender(&app.store);

    // HTTP 200 with status:false (no quota): a failure, retried later.
    fonnte.queue(Reply {
        status: 200,
        body: fixture("fonnte/send_failure_quota.json"),
    });
    let report = sender.run_pass(Utc::now()).await.unwrap();
    assert_eq!(
        report,
        PassReport {
            retried: 1,
            ..Default::default()
        }
    );
    let row = outbox().await.remove(0);
    assert_eq!(row.status, "pending");
    assert!(
        row.last_error.as_deref().unwrap().contains("insufficient quota"),
        "{row:?}"
    );
    // A server error is retried too.
    fonnte.queue(Reply {
        status: 502,
        body: "{}".into(),
    });
    let report = sender.run_pass(Utc::now() + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(report.retried, 1, "{report:?}");
    // Nothing reached the thread while it failed.
    let out = |m: &Vec<ComplaintMessage>| m.iter().filter(|m| m.direction == "out").count();
    assert_eq!(out(&app.store.complaint_messages(c.summary.id).await.unwrap()), 0);
    // The next try succeeds.
    fonnte.queue(fonnte_ok("90000001"));
    let report = sender.run_pass(Utc::now() + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(outbox().await[0].status, "sent");
    assert_eq!(out(&app.store.complaint_messages(c.summary.id).await.unwrap()), 1);

    // A token Fonnte does not know will not work on retry: given up at once.
    answer(&app, &unit, c.summary.id, "Sudah kami tindak lanjuti.").await;
    fonnte.queue(Reply {
        status: 200,
        body: fixture("fonnte/send_failure_token.json"),
    });
    let report = sender.run_pass(Utc::now() + chrono::Duration::days(2)).await.unwrap();
    assert_eq!(
        report,
        PassReport {
            given_up: 1,
            ..Default::default()
        }
    );
    let rows = outbox().await;
    let answer_row = rows.iter().find(|r| r.status != "sent").unwrap();
    assert_eq!(answer_row.status, "failed");
    assert!(answer_row.last_error.as_deref().unwrap().contains("token invalid"));
    assert_eq!(fonnte.requests().len(), 4);
    assert_eq!(out(&app.store.complaint_messages(c.summary.id).await.unwrap()), 1);
});

on_both_databases!(wablas_both_directions, |db: TestDb| async move {
    let app = spawn_app(db).await;
    let wablas = providers::wablas::start().await;
    let unit = make_unit(&app, "disdukcapil-uji").await;
    set_channel(
        &app,
        unit.id,
        "whatsapp",
        serde_json::json!({"provider": "wablas",
            "wablas": {"host": wablas.base, "token": WABLAS_TOKEN, "secret_key": WABLAS_KEY}}),
    )
    .await;
    let secret = new_secret(&app, unit.id, "wablas").await;
    let hook = fixture("wablas/webhook_text.json");

    // Wrong secret and Fonnte's slot: nothing stored.
    assert_eq!(
        post_hook(&app, "disdukcapil-uji", "wablas", "salah", &hook).await.0,
        403
    );
    assert_eq!(
        post_hook(&app, "disdukcapil-uji", "fonnte", &secret, &hook).await.0,
        403
    );
    assert_eq!(complaint_count(&app).await, 0);

    let (status, v) = post_hook(&app, "disdukcapil-uji", "wablas", &secret, &hook).await;
    assert_eq!((status, v["status"].as_str()), (201, Some("created")), "{v}");
    let nomor = v["nomor_agenda"].as_str().unwrap().to_owned();
    let (status, v) = post_hook(&app, "disdukcapil-uji", "wablas", &secret, &hook).await;
    assert_eq!((status, v["status"].as_str()), (200, Some("duplicate")), "{v}");
    // A group message is not a citizen's complaint: refused, nothing stored.
    let group = payload(
        "wablas/webhook_text.json",
        serde_json::json!({"id": "G-1", "isGroup": true}),
    );
    let (status, v) = post_hook(&app, "disdukcapil-uji", "wablas", &secret, &group).await;
    assert_eq!((status, v["error"]["code"].as_str()), (422, Some("invalid")), "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("isian isGroup tidak sah / ")
    );
    // Unreadable bodies neither.
    assert_eq!(
        post_hook(&app, "disdukcapil-uji", "wablas", &secret, "[1]").await.0,
        422
    );
    let c = only_complaint(&app, unit.id).await;
    assert_eq!(c.summary.channel, "whatsapp");
    assert_eq!(c.complainant.phone.as_deref(), Some("081298765432"));
    assert_eq!(app.store.complaint_messages(c.summary.id).await.unwrap().len(), 1);

    // Out: the acknowledgement in Wablas' format with its token.secret_key.
    let sender = sender(&app.store);
    let report = sender.run_pass(Utc::now()).await.unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let r = &wablas.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/api/v2/send-message"));
    assert_eq!(
        r.header("authorization"),
        Some(&*format!("{WABLAS_TOKEN}.{WABLAS_KEY}"))
    );
    let body = r.json();
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["phone"], "6281298765432", "international form");
    assert!(body["data"][0]["message"].as_str().unwrap().contains(&nomor));
    let thread = app.store.complaint_messages(c.summary.id).await.unwrap();
    assert_eq!(
        thread.last().unwrap().message_ref.as_deref(),
        Some("wablas-out-b4f9c2e0-6a1d-4f5e-9c3b-2d7a8e1f0a11")
    );

    // status:false (device disconnected) is a failure, retried.
    answer(&app, &unit, c.summary.id, "KTP Anda sudah dapat diambil.").await;
    wablas.queue(Reply {
        status: 200,
        body: fixture("wablas/send_failure.json"),
    });
    let report = sender.run_pass(Utc::now()).await.unwrap();
    assert_eq!(report.retried, 1, "{report:?}");
    // A bad token (HTTP 401) will not change on retry: given up.
    wablas.queue(Reply {
        status: 401,
        body: r#"{"status":false,"message":"token invalid"}"#.into(),
    });
    let report = sender.run_pass(Utc::now() + chrono::Duration::days(1)).await.unwrap();
    assert_eq!(report.given_up, 1, "{report:?}");
});

on_both_databases!(
    zenziva_polling_across_a_restart_takes_each_message_once,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        let send = providers::zenziva::start().await;
        let inbox = providers::zenziva::start_inbox().await;
        let unit = make_unit(&app, "pdam-uji").await;
        set_channel(
            &app,
            unit.id,
            "sms",
            serde_json::json!({"provider": "zenziva", "zenziva": {
                "base_url": send.base, "userkey": "uk-uji", "passkey": "pk-uji",
                "inbox_url": format!("{}/api/inbox/", inbox.base), "poll_seconds": 30}}),
        )
        .await;
        let poller = |holder: &str| ZenzivaPoller::new(app.store.clone(), None, holder.into());

        let first = poller("instans-1").poll_once().await;
        assert_eq!(first.len(), 1);
        let report = first[0].1.as_ref().unwrap();
        // 881 and 882 are one person (+62 and 08): one complaint and its thread.
        assert_eq!(
            (report.created, report.threaded, report.cursor),
            (2, 1, 883),
            "{report:?}"
        );
        let r = &inbox.requests()[0];
        assert_eq!(r.method, "GET");
        assert_eq!(r.query_param("userkey").as_deref(), Some("uk-uji"));
        assert_eq!(r.query_param("passkey").as_deref(), Some("pk-uji"));
        assert_eq!(complaint_count(&app).await, 2);
        assert_eq!(app.store.poll_cursor(unit.id, "zenziva").await.unwrap(), Some(883));

        // A new poller (what a restart makes: the cursor is in the database, not in
        // the poller) reads the same inbox again: nothing doubles.
        let again = poller("instans-1").poll_once().await;
        let report = again[0].1.as_ref().unwrap();
        assert_eq!(
            (report.created, report.threaded, report.duplicates),
            (0, 0, 0),
            "{report:?}"
        );
        assert_eq!(complaint_count(&app).await, 2);
        // Another instance while the first holds the lease does nothing at all.
        let other = poller("instans-2").poll_once().await;
        assert!(matches!(
            other[0].1,
            Err(tanggap::providers::zenziva::PollError::Leased)
        ));
        assert_eq!(inbox.requests().len(), 2, "the leased-out instance did not even read");

        // A new reply arrives: only it is taken.
        let mut held: serde_json::Value = serde_json::from_str(&fixture("zenziva/inbox.json")).unwrap();
        held["data"].as_array_mut().unwrap().push(serde_json::json!(
            {"id": "884", "tgl": "2026-12-06", "waktu": "09:00:00", "dari": "0813-5555-9876", "isiPesan": "Sudah 2 hari."}
        ));
        inbox.set_default(Reply {
            status: 200,
            body: held.to_string(),
        });
        let report = poller("instans-1").poll_once().await.remove(0).1.unwrap();
        assert_eq!(
            (report.created, report.threaded, report.cursor),
            (0, 1, 884),
            "{report:?}"
        );
        assert_eq!(complaint_count(&app).await, 2);
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
        let mut thread_sizes = Vec::new();
        for row in &rows {
            let c = app.store.complaint(unit.id, row.id).await.unwrap().unwrap();
            assert_eq!(c.summary.channel, "sms");
            thread_sizes.push((
                c.complainant.phone.clone().unwrap(),
                app.store.complaint_messages(row.id).await.unwrap().len(),
            ));
        }
        thread_sizes.sort();
        assert_eq!(
            thread_sizes,
            vec![("081355551234".to_owned(), 2), ("081355559876".to_owned(), 2)]
        );

        // Out: the two acknowledgements in Zenziva's format, each to its number with
        // its own nomor agenda.
        let report = sender(&app.store).run_pass(Utc::now()).await.unwrap();
        assert_eq!(report.sent, 2, "{report:?}");
        let mut acks = Vec::new();
        for r in send.requests() {
            assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/reguler/api/sendsms/"));
            assert_eq!(r.form_field("userkey").as_deref(), Some("uk-uji"));
            assert_eq!(r.form_field("passkey").as_deref(), Some("pk-uji"));
            acks.push((r.form_field("to").unwrap(), r.form_field("message").unwrap()));
        }
        for row in &rows {
            let c = app.store.complaint(unit.id, row.id).await.unwrap().unwrap();
            let phone = c.complainant.phone.unwrap();
            let (_, text) = acks
                .iter()
                .find(|(to, _)| *to == phone)
                .expect("an acknowledgement to each number");
            assert!(text.contains(&row.nomor_agenda), "{text}");
        }
        // status "0" (wrong keys) is given up, not retried for ever.
        let c = app.store.complaint(unit.id, rows[0].id).await.unwrap().unwrap();
        answer(&app, &unit, c.summary.id, "Perbaikan pipa selesai hari ini.").await;
        send.queue(Reply {
            status: 200,
            body: fixture("zenziva/send_failure.json"),
        });
        let report = sender(&app.store).run_pass(Utc::now()).await.unwrap();
        assert_eq!(report.given_up, 1, "{report:?}");
    }
);

/// Fails when the page shows any of `secrets`.
fn page_has_no(page: &str, secrets: &[&str]) {
    let page = page.replace("&#x2f;", "/").replace("&#x3d;", "=").replace("&#43;", "+");
    for s in secrets {
        assert!(!page.contains(s), "the page shows a stored secret");
    }
}

/// The secret of the webhook URL shown once on the page.
fn shown_secret(page: &str, unit: &str, provider: &str) -> Option<String> {
    // Askama writes `/` as `&#x2f;`.
    let page = page.replace("&#x2f;", "/");
    let marker = format!("/api/v1/webhook/{unit}/{provider}/");
    let start = page.find(&marker)? + marker.len();
    Some(
        page[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

on_both_databases!(
    provider_settings_are_admin_only_write_only_and_checked,
    |db: TestDb| async move {
        let app = spawn_app(db).await;
        let unit = make_unit(&app, "dinkes-uji").await;
        let other = make_unit(&app, "dinsos-lain").await;
        add_staff(app.store.as_ref(), "dinkes-uji", "admin", PASSWORD, &[Role::Admin]).await;
        add_staff(app.store.as_ref(), "dinkes-uji", "petugas", PASSWORD, &[Role::Petugas]).await;
        add_staff(
            app.store.as_ref(),
            "dinsos-lain",
            "admin_lain",
            PASSWORD,
            &[Role::Admin],
        )
        .await;
        let admin = app.login("admin", PASSWORD).await;
        let path = "/staf/dinkes-uji/saluran/penyedia";

        // The generic gateway first, through its own form.
        let (status, _, page) = admin
            .post(
                "/staf/dinkes-uji/saluran",
                &[
                    ("channel", "whatsapp"),
                    ("enabled", "1"),
                    ("url", "https://gateway.dinkes-uji.go.id/kirim"),
                    ("hmac_secret", GATEWAY_SECRET),
                ],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let stored = || async { app.store.channel_settings(unit.id, "whatsapp").await.unwrap().unwrap() };

        // Fonnte without a token: a clear Indonesian error, nothing changed.
        let before = stored().await;
        let (status, _, page) = admin
            .post(
                path,
                &[("channel", "whatsapp"), ("provider", "fonnte"), ("enabled", "1")],
            )
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("Token perangkat Fonnte wajib diisi"), "{page}");
        assert_eq!(stored().await, before);
        // An unknown provider, or Zenziva on WhatsApp: refused.
        for provider in ["twilio", "zenziva"] {
            let (status, _, page) = admin
                .post(path, &[("channel", "whatsapp"), ("provider", provider)])
                .await;
            assert_eq!(status, 422);
            assert!(page.contains("Penyedia tidak dikenal untuk saluran ini"));
        }
        let (status, _, _) = admin
            .post(
                path,
                &[
                    ("channel", "whatsapp"),
                    ("provider", "fonnte"),
                    ("fonnte_token", "t"),
                    ("fonnte_base_url", "ftp://x"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(stored().await, before);

        // Saved: provider and token stored, the generic gateway's keys kept.
        let (status, _, page) = admin
            .post(
                path,
                &[
                    ("channel", "whatsapp"),
                    ("provider", "fonnte"),
                    ("enabled", "1"),
                    ("fonnte_token", FONNTE_TOKEN),
                ],
            )
            .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Pengaturan saluran disimpan."));
        page_has_no(&page, &[FONNTE_TOKEN, GATEWAY_SECRET]);
        let s = stored().await;
        assert!(s.enabled);
        assert_eq!(s.config["provider"], "fonnte");
        assert_eq!(s.config["fonnte"]["token"], FONNTE_TOKEN);
        assert_eq!(
            s.config["hmac_secret"], GATEWAY_SECRET,
            "the generic gateway's secret is kept"
        );
        // Saving the generic form again keeps the provider.
        let (status, _, _) = admin
            .post(
                "/staf/dinkes-uji/saluran",
                &[
                    ("channel", "whatsapp"),
                    ("enabled", "1"),
                    ("url", "https://gateway.dinkes-uji.go.id/kirim"),
                ],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(stored().await.config["fonnte"]["token"], FONNTE_TOKEN);
        assert_eq!(stored().await.config["provider"], "fonnte");
        // An empty token field keeps the stored one, unless the host changes.
        let (status, _, _) = admin
            .post(
                path,
                &[("channel", "whatsapp"), ("provider", "fonnte"), ("enabled", "1")],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(stored().await.config["fonnte"]["token"], FONNTE_TOKEN);
        let before = stored().await;
        let (status, _, page) = admin
            .post(
                path,
                &[
                    ("channel", "whatsapp"),
                    ("provider", "fonnte"),
                    ("fonnte_base_url", "https://fonnte.palsu.example"),
                ],
            )
            .await;
        assert_eq!(status, 422);
        assert!(page.contains("masukkan lagi token"), "{page}");
        assert_eq!(stored().await, before);

        // Zenziva on SMS, with a bad interval first.
        let sms = [
            ("channel", "sms"),
            ("provider", "zenziva"),
            ("enabled", "1"),
            ("zenziva_userkey", "uk"),
            ("zenziva_passkey", "pk-rahasia-uji"),
            ("zenziva_inbox_url", "https://console.zenziva.net/api/inbox/"),
        ];
        let mut bad = sms.to_vec();
        bad.push(("zenziva_poll_seconds", "5"));
        let (status, _, page) = admin.post(path, &bad).await;
        assert_eq!(status, 422);
        assert!(page.contains("30 sampai 86400 detik"));
        assert!(app.store.channel_settings(unit.id, "sms").await.unwrap().is_none());
        let (status, _, page) = admin.post(path, &sms).await;
        assert_eq!(status, 200);
        page_has_no(&page, &["pk-rahasia-uji"]);
        let s = app.store.channel_settings(unit.id, "sms").await.unwrap().unwrap();
        assert_eq!(
            (
                s.config["provider"].as_str(),
                s.config["zenziva"]["poll_seconds"].as_u64()
            ),
            (Some("zenziva"), Some(60))
        );

        // The webhook URL: shown once, the secret works, a rotation stops the old one.
        let (status, _, page) = admin.post(&format!("{path}/rahasia"), &[("provider", "fonnte")]).await;
        assert_eq!(status, 200, "{page}");
        let first = shown_secret(&page, "dinkes-uji", "fonnte").expect("the URL is shown");
        assert!(first.len() >= 43, "256 bits");
        let (_, _, again) = admin.get("/staf/dinkes-uji/saluran").await;
        assert!(!again.contains(&first), "shown only once");
        assert!(again.contains("alamat aktif dibuat"));
        let hook = fixture("fonnte/webhook_text.json");
        assert_eq!(post_hook(&app, "dinkes-uji", "fonnte", &first, &hook).await.0, 201);
        let (_, _, page) = admin.post(&format!("{path}/rahasia"), &[("provider", "fonnte")]).await;
        let second = shown_secret(&page, "dinkes-uji", "fonnte").unwrap();
        assert_ne!(first, second);
        let next = payload("fonnte/webhook_text.json", serde_json::json!({"inboxid": 6000001}));
        assert_eq!(post_hook(&app, "dinkes-uji", "fonnte", &first, &next).await.0, 403);
        assert_eq!(post_hook(&app, "dinkes-uji", "fonnte", &second, &next).await.0, 200);
        let (status, _, _) = admin.post(&format!("{path}/rahasia"), &[("provider", "zenziva")]).await;
        assert_eq!(status, 422, "Zenziva posts nothing: no webhook secret");

        // A petugas and another unit's admin are refused and change nothing.
        let before = (
            stored().await,
            app.store.webhook_secret_hash(unit.id, "fonnte").await.unwrap(),
        );
        let petugas = app.login("petugas", PASSWORD).await;
        let lain = app.login("admin_lain", PASSWORD).await;
        for actor in [&petugas, &lain] {
            let (status, _, _) = actor
                .post(
                    path,
                    &[("channel", "whatsapp"), ("provider", "tanggap"), ("enabled", "1")],
                )
                .await;
            assert_eq!(status, 403);
            let (status, _, _) = actor.post(&format!("{path}/rahasia"), &[("provider", "fonnte")]).await;
            assert_eq!(status, 403);
        }
        assert_eq!(
            before,
            (
                stored().await,
                app.store.webhook_secret_hash(unit.id, "fonnte").await.unwrap()
            )
        );
        assert!(
            app.store
                .webhook_secret_hash(other.id, "fonnte")
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            post_hook(&app, "dinkes-uji", "fonnte", &second, &next).await.1["status"],
            "duplicate"
        );
    }
);
