//! Citizens hear what happens, and the survey after the service (issue 19, part B),
//! on both databases: a notice for each public step through the way the citizen
//! chose, none without a contact, no rahasia content, BERHENTI and the stop link,
//! one survey invite per complaint after the unit's delay, and the complainants'
//! IKM beside everyone else's.
//!
//! The unit's SMS/WhatsApp gateway is a stand-in HTTP server that checks Tanggap's
//! documented gateway format (signed JSON `{to, text, id}`) and records what it got.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use tanggap::domain::{ComplaintStatus as S, Role};
use tanggap::intake::gateway;
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap::storage::triage::StatusMove;
use tanggap_tests::{TestApp, TestDb, on_both_databases};

use crate::survey::{Fixture, all_answers, fixture, refs, respondent};

const SECRET: &str = "rahasia-gateway-pemberitahuan";
use crate::survey::PASSWORD;

/// The unit's gateway: records every message Tanggap sends, in order, after
/// checking its signature.
pub struct StandIn {
    /// Where Tanggap posts.
    pub url: String,
    /// (to, text) of each accepted post.
    pub got: Arc<Mutex<Vec<(String, String)>>>,
}

impl StandIn {
    /// Starts the stand-in on a free loopback port.
    pub async fn start() -> StandIn {
        use axum::body::Bytes;
        use axum::http::{HeaderMap, StatusCode};
        let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
        let seen = got.clone();
        let app = axum::Router::new().route(
            "/kirim",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let signature = headers
                        .get(gateway::SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    if !gateway::verify(SECRET, &body, signature) {
                        return (StatusCode::UNAUTHORIZED, "bad signature".to_owned());
                    }
                    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    let mut seen = seen.lock().unwrap();
                    seen.push((
                        v["to"].as_str().unwrap().to_owned(),
                        v["text"].as_str().unwrap().to_owned(),
                    ));
                    (StatusCode::OK, format!("{{\"id\":\"gw-{}\"}}", seen.len()))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/kirim", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        StandIn { url, got }
    }

    /// What it received so far.
    pub fn received(&self) -> Vec<(String, String)> {
        self.got.lock().unwrap().clone()
    }
}

/// Points the unit's SMS and WhatsApp channels at `gateway`.
pub async fn connect_gateway(store: &dyn Store, unit_id: i64, gateway: &StandIn) {
    for channel in ["whatsapp", "sms"] {
        store
            .set_channel_settings(&ChannelSettings {
                unit_id,
                channel: channel.into(),
                config: serde_json::json!({ "url": gateway.url, "auth_token": "", "hmac_secret": SECRET }),
                enabled: true,
            })
            .await
            .unwrap();
    }
}

/// Posts a signed message to the unit's WhatsApp webhook; the status and the JSON answer.
pub async fn whatsapp(app: &TestApp, id: &str, from: &str, text: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "id": id, "from": from, "text": text }).to_string();
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/gateway/dinsos-uji/whatsapp", app.address))
        .header("content-type", "application/json")
        .header(gateway::SIGNATURE_HEADER, gateway::sign(SECRET, body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The complaint a nomor agenda names.
async fn complaint_of(store: &dyn Store, unit_id: i64, nomor: &str) -> ComplaintRecord {
    let rows = store
        .list_complaints(
            unit_id,
            &ComplaintQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = rows.iter().find(|r| r.nomor_agenda == nomor).expect("stored").id;
    store.complaint(unit_id, id).await.unwrap().unwrap()
}

/// The unit of the fixture.
async fn unit(store: &dyn Store) -> Unit {
    store.unit_by_code("dinsos-uji").await.unwrap().unwrap()
}

/// A move of the fixture's unit, by nobody in particular, now.
fn step(unit_id: i64, complaint_id: i64, to: S) -> StatusMove {
    StatusMove {
        unit_id,
        complaint_id,
        to,
        actor_id: None,
        note: "Catatan petugas.".into(),
        at: Utc::now(),
        expected_from: None,
        notify: Vec::new(),
    }
}

/// Moves through `crate::notices` (as every page, job and the API do).
async fn go(store: &dyn Store, unit: &Unit, complaint_id: i64, to: S) {
    tanggap::notices::move_complaint(
        store,
        unit,
        step(unit.id, complaint_id, to),
        Some("https://tanggap.contoh.id"),
    )
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("move to {to:?}: {e}"));
}

/// Answers a complaint as the answer form does (the answer message with the move).
async fn answer(store: &dyn Store, unit: &Unit, complaint_id: i64, text: &str) {
    let record = store.complaint(unit.id, complaint_id).await.unwrap().unwrap();
    let how = tanggap::triage::answers::delivery(&record);
    let message = tanggap::triage::answers::answer_message(unit, &record, &how, text, tanggap::i18n::Lang::Id, None);
    let mut m = step(unit.id, complaint_id, S::Dijawab);
    m.note = text.into();
    m.notify = message.into_iter().collect();
    tanggap::notices::move_complaint(store, unit, m, Some("https://tanggap.contoh.id"))
        .await
        .unwrap()
        .unwrap();
}

/// A staff member who may hold complaints; their id.
async fn handler(store: &dyn Store, unit_id: i64, username: &str) -> i64 {
    store
        .create_user(&NewUser {
            username: username.into(),
            full_name: username.into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles: vec![(unit_id, Role::Petugas)],
        })
        .await
        .unwrap()
}

fn kind(m: &OutboxMessage) -> &str {
    m.headers.get("x-notice-kind").map(String::as_str).unwrap_or("")
}

/// The citizen's messages of a complaint of kind `k`.
async fn of_kind(store: &dyn Store, complaint_id: i64, k: &str) -> Vec<OutboxMessage> {
    store
        .notices_of_complaint(complaint_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| kind(m) == k)
        .collect()
}

on_both_databases!(
    each_public_step_notifies_once_and_the_invite_follows_the_delay,
    |db: TestDb| async move {
        let f: Fixture = fixture(db).await;
        let store = f.app.store.clone();
        let gw = StandIn::start().await;
        connect_gateway(store.as_ref(), f.unit_id, &gw).await;
        let unit = unit(store.as_ref()).await;
        let holder = handler(store.as_ref(), f.unit_id, "pemegang").await;
        let (status, v) = whatsapp(
            &f.app,
            "wa-100",
            "+62 812 3456 7001",
            "Bantuan sosial belum cair\nSudah 3 bulan.",
        )
        .await;
        assert_eq!(status, 201, "{v}");
        let c = complaint_of(store.as_ref(), f.unit_id, v["nomor_agenda"].as_str().unwrap()).await;
        let id = c.summary.id;
        let nomor = c.summary.nomor_agenda.clone();

        go(store.as_ref(), &unit, id, S::Terverifikasi).await;
        // The same step again is refused by the life cycle and queues nothing.
        let again =
            tanggap::notices::move_complaint(store.as_ref(), &unit, step(f.unit_id, id, S::Terverifikasi), None)
                .await
                .unwrap();
        assert!(again.is_err());
        // Classified to the service the invite will ask about.
        store
            .classify_complaint(&tanggap::storage::triage::Classification {
                unit_id: f.unit_id,
                complaint_id: id,
                klasifikasi: tanggap::domain::Klasifikasi::Pengaduan,
                jenis_id: None,
                service_id: Some(f.ktp),
                division_id: None,
                bobot: None,
                assignee_id: Some(holder),
                first_answer_due_at: None,
                due_at: None,
                actor_id: None,
                at: Utc::now(),
                note: String::new(),
            })
            .await
            .unwrap()
            .unwrap();
        go(store.as_ref(), &unit, id, S::Didisposisikan).await;
        // Internal: work in progress is not news to the citizen.
        go(store.as_ref(), &unit, id, S::Ditindaklanjuti).await;
        answer(store.as_ref(), &unit, id, "Bantuan cair minggu depan.").await;
        go(store.as_ref(), &unit, id, S::Selesai).await;

        let all = store.notices_of_complaint(id).await.unwrap();
        let kinds: Vec<&str> = all.iter().map(kind).collect();
        assert_eq!(
            kinds,
            ["ack", "status", "status", "answer", "status", "survey_invite"],
            "ack, terverifikasi, didisposisikan, the answer (no second notice), selesai, invite"
        );
        let tracking = format!(
            "https://tanggap.contoh.id/lacak?kode={}",
            store_tracking(store.as_ref(), id).await
        );
        for (m, label) in
            of_kind(store.as_ref(), id, "status")
                .await
                .iter()
                .zip(["Terverifikasi", "Didisposisikan", "Selesai"])
        {
            assert_eq!((m.channel.as_str(), m.recipient.as_str()), ("whatsapp", "081234567001"));
            assert!(
                m.body.contains(&nomor) && m.body.contains(label) && m.body.contains(&tracking),
                "{}",
                m.body
            );
            assert!(
                !m.body.contains("Bantuan sosial belum cair"),
                "no complaint text in a notice"
            );
            let params: Vec<String> = serde_json::from_str(&m.headers["x-notice-params"]).unwrap();
            assert_eq!(params, [nomor.clone(), label.to_owned(), tracking.clone()]);
        }
        let invite = &of_kind(store.as_ref(), id, "survey_invite").await[0];
        assert_eq!(invite.dedupe_key, format!("undangan-skm:{id}"));
        let params: Vec<String> = serde_json::from_str(&invite.headers["x-notice-params"]).unwrap();
        assert_eq!(params[0], "Dinas Sosial Kota Uji");
        assert!(params[1].starts_with("https://tanggap.contoh.id/undangan/") && invite.body.contains(&params[1]));

        // Sent in order; the invite waits for the unit's delay (60 minutes by default).
        let sender = tanggap::notify::OutboxSender::new(store.clone(), tanggap::notify::SenderOptions::default());
        let now = Utc::now();
        assert_eq!(sender.run_pass(now).await.unwrap().sent, 5);
        assert_eq!(
            sender.run_pass(now + Duration::minutes(59)).await.unwrap().sent,
            0,
            "not before the delay"
        );
        assert_eq!(sender.run_pass(now + Duration::minutes(61)).await.unwrap().sent, 1);
        assert_eq!(sender.run_pass(now + Duration::days(3)).await.unwrap().sent, 0, "once");
        let got = gw.received();
        assert_eq!(got.len(), 6);
        assert!(got.iter().all(|(to, _)| to == "081234567001"));
        assert!(got[0].1.contains(&nomor), "the acknowledgement first");
        assert!(got[1].1.contains("Terverifikasi") && got[2].1.contains("Didisposisikan"));
        assert!(got[3].1.contains("Bantuan cair minggu depan."));
        assert!(got[4].1.contains("Selesai"));
        assert!(got[5].1.contains("/undangan/"));
        // The one-time link never lands on the thread staff read.
        let thread = store.complaint_messages(id).await.unwrap();
        assert!(thread.iter().all(|m| !m.body.contains("/undangan/")));
        assert_eq!(thread.iter().filter(|m| m.direction == "out").count(), 5);

        // The invite opens the survey of the complaint's service; its answer counts as
        // a complainant's, beside a walk-in respondent's.
        let token = got[5]
            .1
            .split("/undangan/")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned();
        let path = format!("/undangan/{token}");
        let (visitor, _) = respondent(&f.app, &path).await;
        let (status, _, body) = visitor.post(&path, &refs(&all_answers("4"))).await;
        assert_eq!(status, 303, "{body}");
        let (walk_in, _) = respondent(&f.app, "/survei/dinsos-uji").await;
        let mut fields = all_answers("2");
        fields.push(("layanan".into(), "sktm".into()));
        assert_eq!(walk_in.post("/survei/dinsos-uji", &refs(&fields)).await.0, 303);
        let rules = analytics::RuleSet::permenpan_14_2017();
        let today = Utc::now().date_naive();
        let filter = SurveyFilter::of(
            &rules,
            Some(f.unit_id),
            Some(today - Duration::days(2)),
            Some(today + Duration::days(2)),
        );
        let split = tanggap::survey::complainants::complainant_ikm(store.as_ref(), &filter, &rules)
            .await
            .unwrap();
        use tanggap::survey::complainants::{COMPLAINANTS, OTHERS, group_figures};
        assert_eq!(group_figures(&split, COMPLAINANTS), (1, Some(100.0)));
        assert_eq!(group_figures(&split, OTHERS), (1, Some(50.0)));

        // Staff see each message with its state on the complaint's page.
        let petugas = f.app.login("petugas_uji", PASSWORD).await;
        let (status, _, page) = petugas.get(&format!("/staf/dinsos-uji/pengaduan/{id}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"pemberitahuan\""), "{page}");
        assert_eq!(page.matches("class=\"notice-sent\"").count(), 6, "{page}");
        assert!(page.contains("Undangan survei") && page.contains("Pemberitahuan status"));
        // And the dashboard shows complainants beside everyone else.
        let (_, _, dash) = petugas.get("/staf/dinsos-uji/dasbor").await;
        assert!(
            dash.contains("id=\"ikm-pengadu\"") && dash.contains("Pengadu") && dash.contains("Responden lain"),
            "{dash}"
        );
    }
);

/// The complaint's tracking code, read from the acknowledgement queued at intake
/// (it ends with the tracking link).
async fn store_tracking(store: &dyn Store, complaint_id: i64) -> String {
    let ack = store.notices_of_complaint(complaint_id).await.unwrap();
    assert!(ack[0].dedupe_key.starts_with("ack:"), "{:?}", ack[0]);
    ack[0].body.rsplit("kode=").next().unwrap().trim().to_owned()
}

on_both_databases!(
    no_notice_without_a_contact_and_none_reveals_rahasia_content,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let unit = unit(store.as_ref()).await;
        let holder = handler(store.as_ref(), f.unit_id, "pemegang").await;
        // Anonim, no contact: nothing to send to.
        let anon = store
            .record_complaint(&NewComplaint {
                anonim: true,
                complainant: Complainant::default(),
                ..tanggap_tests::test_complaint(f.unit_id, Utc::now())
            })
            .await
            .unwrap();
        go(store.as_ref(), &unit, anon.id, S::Terverifikasi).await;
        assert!(store.notices_of_complaint(anon.id).await.unwrap().is_empty());

        // Rahasia with a WhatsApp choice: notices carry number, status and link only.
        let secret_subject = "Pungutan liar di loket tiga";
        let secret_text = "Petugas berinisial AB meminta uang Rp50.000 untuk mempercepat berkas.";
        let new = NewComplaint {
            rahasia: true,
            subject: secret_subject.into(),
            description: secret_text.into(),
            complainant: Complainant {
                name: Some("Budi".into()),
                phone: Some("081234567002".into()),
                ..Default::default()
            },
            ..tanggap_tests::test_complaint(f.unit_id, Utc::now())
        };
        let ack = tanggap::intake::ack::acknowledgement(
            &unit,
            tanggap::intake::form::NotifyBy::Whatsapp,
            "081234567002",
            tanggap::i18n::Lang::Id,
            None,
        );
        let recorded = store
            .record_complaint_with(
                &new,
                &ComplaintExtras {
                    first_message: None,
                    attachments: Vec::new(),
                    notify: vec![ack],
                    idempotency: None,
                },
            )
            .await
            .unwrap();
        let id = recorded.id;
        go(store.as_ref(), &unit, id, S::Terverifikasi).await;
        tanggap_tests::assign_complaint(store.as_ref(), f.unit_id, id, None, Some(holder), Utc::now()).await;
        go(store.as_ref(), &unit, id, S::Didisposisikan).await;
        answer(store.as_ref(), &unit, id, "Sudah kami tindak.").await;
        go(store.as_ref(), &unit, id, S::Selesai).await;
        let notices: Vec<OutboxMessage> = store
            .notices_of_complaint(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| matches!(kind(m), "status" | "survey_invite"))
            .collect();
        assert_eq!(notices.len(), 4, "three steps and the invite");
        for m in &notices {
            assert_eq!(m.channel, "whatsapp", "the citizen's choice");
            let everything = format!("{} {:?} {:?}", m.body, m.subject, m.headers);
            for word in ["Pungutan", "loket tiga", "AB meminta", "50.000", "Budi"] {
                assert!(!everything.contains(word), "{word} leaked: {everything}");
            }
            assert!(m.body.contains(&recorded.nomor_agenda));
        }
    }
);

on_both_databases!(
    berhenti_stops_later_notices_and_the_invite_and_threads_nothing,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let gw = StandIn::start().await;
        connect_gateway(store.as_ref(), f.unit_id, &gw).await;
        let unit = unit(store.as_ref()).await;
        let holder = handler(store.as_ref(), f.unit_id, "pemegang").await;
        let (_, v) = whatsapp(&f.app, "wa-200", "081234567003", "Jalan rusak di depan kantor lurah").await;
        let c = complaint_of(store.as_ref(), f.unit_id, v["nomor_agenda"].as_str().unwrap()).await;
        let id = c.summary.id;
        go(store.as_ref(), &unit, id, S::Terverifikasi).await;
        assert_eq!(of_kind(store.as_ref(), id, "status").await.len(), 1);

        // BERHENTI, written any way, from the same number written another way.
        let (status, v) = whatsapp(&f.app, "wa-201", "+62 812-3456-7003", "  berhenti \n").await;
        assert_eq!(
            (status, v["status"].as_str(), v["stopped"].as_bool()),
            (200, Some("notices"), Some(true)),
            "{v}"
        );
        // Redelivered: harmless, confirmed once.
        let (status, v) = whatsapp(&f.app, "wa-201", "+62 812-3456-7003", "  berhenti \n").await;
        assert_eq!((status, v["status"].as_str()), (200, Some("notices")));
        assert!(
            store
                .notices_stopped_at(f.unit_id, "6281234567003")
                .await
                .unwrap()
                .is_some()
        );
        let thread = store.complaint_messages(id).await.unwrap();
        assert_eq!(thread.len(), 1, "the reply is not a message for the unit");
        assert_eq!(store.counts().await.unwrap().complaints, 1, "nor a new complaint");
        assert_eq!(
            store.complaint(f.unit_id, id).await.unwrap().unwrap().summary.status,
            "terverifikasi",
            "nothing moved"
        );

        tanggap_tests::assign_complaint(store.as_ref(), f.unit_id, id, None, Some(holder), Utc::now()).await;
        go(store.as_ref(), &unit, id, S::Didisposisikan).await;
        answer(store.as_ref(), &unit, id, "Jalan diperbaiki pekan ini.").await;
        // A reply after the answer reopens, as before; its notice is stopped too.
        let (_, v) = whatsapp(&f.app, "wa-202", "081234567003", "Belum diperbaiki sampai sekarang.").await;
        assert_eq!(v["status"], "threaded");
        assert_eq!(
            store.complaint(f.unit_id, id).await.unwrap().unwrap().summary.status,
            "dibuka_kembali"
        );
        answer(store.as_ref(), &unit, id, "Sudah selesai diperbaiki.").await;
        go(store.as_ref(), &unit, id, S::Selesai).await;
        assert_eq!(
            of_kind(store.as_ref(), id, "status").await.len(),
            1,
            "no notice after BERHENTI"
        );
        assert!(
            of_kind(store.as_ref(), id, "survey_invite").await.is_empty(),
            "no invite either"
        );
        assert_eq!(
            of_kind(store.as_ref(), id, "answer").await.len(),
            2,
            "the answers still go"
        );

        let sender = tanggap::notify::OutboxSender::new(store.clone(), tanggap::notify::SenderOptions::default());
        sender.run_pass(Utc::now() + Duration::days(1)).await.unwrap();
        let got = gw.received();
        let confirmations: Vec<_> = got.iter().filter(|(_, t)| t.contains("Balas MULAI")).collect();
        assert_eq!(confirmations.len(), 1, "{got:?}");
        assert_eq!(confirmations[0].0, "081234567003");

        // An invite already waiting when BERHENTI comes is not sent.
        let (_, v) = whatsapp(&f.app, "wa-300", "081234567004", "Lampu jalan padam").await;
        let other = complaint_of(store.as_ref(), f.unit_id, v["nomor_agenda"].as_str().unwrap())
            .await
            .summary
            .id;
        go(store.as_ref(), &unit, other, S::Terverifikasi).await;
        tanggap_tests::assign_complaint(store.as_ref(), f.unit_id, other, None, Some(holder), Utc::now()).await;
        go(store.as_ref(), &unit, other, S::Didisposisikan).await;
        answer(store.as_ref(), &unit, other, "Lampu sudah diganti.").await;
        go(store.as_ref(), &unit, other, S::Selesai).await;
        sender.run_pass(Utc::now()).await.unwrap();
        let before = gw.received().len();
        let (_, v) = whatsapp(&f.app, "wa-301", "081234567004", "STOP").await;
        assert_eq!(v["stopped"], true);
        sender.run_pass(Utc::now() + Duration::hours(3)).await.unwrap();
        let after = gw.received();
        assert_eq!(after.len(), before + 1, "only the confirmation: {after:?}");
        let invite = &of_kind(store.as_ref(), other, "survey_invite").await[0];
        assert_eq!(invite.status, "failed");
        assert!(invite.last_error.as_deref().unwrap_or_default().contains("berhenti"));

        // MULAI restarts them.
        let (_, v) = whatsapp(&f.app, "wa-302", "081234567003", "Mulai").await;
        assert_eq!(v["stopped"], false);
        assert!(
            store
                .notices_stopped_at(f.unit_id, "081234567003")
                .await
                .unwrap()
                .is_none()
        );
    }
);

on_both_databases!(the_stop_link_acts_only_on_a_post, |db: TestDb| async move {
    let f = fixture(db).await;
    let store = f.app.store.clone();
    let unit = unit(store.as_ref()).await;
    // The citizen chose email: the notices go by email and carry the stop link.
    let ack = tanggap::intake::ack::acknowledgement(
        &unit,
        tanggap::intake::form::NotifyBy::Email,
        "Warga@Contoh.id",
        tanggap::i18n::Lang::Id,
        None,
    );
    let c = store
        .record_complaint_with(
            &NewComplaint {
                complainant: Complainant {
                    email: Some("Warga@Contoh.id".into()),
                    ..Default::default()
                },
                ..tanggap_tests::test_complaint(f.unit_id, Utc::now())
            },
            &ComplaintExtras {
                first_message: None,
                attachments: Vec::new(),
                notify: vec![ack],
                idempotency: None,
            },
        )
        .await
        .unwrap();
    go(store.as_ref(), &unit, c.id, S::Terverifikasi).await;
    let notice = &of_kind(store.as_ref(), c.id, "status").await[0];
    assert_eq!(
        (notice.channel.as_str(), notice.recipient.as_str()),
        ("email", "Warga@Contoh.id")
    );
    assert!(notice.subject.as_deref().unwrap().contains(&c.nomor_agenda));
    let link = notice
        .body
        .split("https://tanggap.contoh.id")
        .find(|s| s.starts_with("/berhenti/"))
        .unwrap();
    let path = link.split_whitespace().next().unwrap().to_owned();
    assert!(path.len() > "/berhenti/".len() + 40, "a long random token: {path}");

    let anon = f.app.anonymous().await;
    // A preview bot opening the link stops nothing.
    let (status, _, page) = anon.get(&path).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"berhenti-tombol\"") && page.contains("Dinas Sosial Kota Uji"),
        "{page}"
    );
    assert!(
        store
            .notices_stopped_at(f.unit_id, "warga@contoh.id")
            .await
            .unwrap()
            .is_none()
    );
    // A forged POST (no CSRF token) is refused.
    let r = reqwest::Client::new()
        .post(format!("{}{path}", f.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        store
            .notices_stopped_at(f.unit_id, "warga@contoh.id")
            .await
            .unwrap()
            .is_none()
    );
    // The button (the page's form, with its CSRF token) does it; again is harmless.
    let (status, _, page) = anon.post(&path, &[]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"berhenti-selesai\""));
    let (status, _, _) = anon.post(&path, &[]).await;
    assert_eq!(status, 200);
    assert!(
        store
            .notices_stopped_at(f.unit_id, "WARGA@contoh.id")
            .await
            .unwrap()
            .is_some()
    );
    // Another unit's notices are not stopped, and later steps here send nothing.
    tanggap_tests::assign_complaint(
        store.as_ref(),
        f.unit_id,
        c.id,
        None,
        Some(handler(store.as_ref(), f.unit_id, "p").await),
        Utc::now(),
    )
    .await;
    go(store.as_ref(), &unit, c.id, S::Didisposisikan).await;
    assert_eq!(of_kind(store.as_ref(), c.id, "status").await.len(), 1);
    assert_eq!(anon.get("/berhenti/tidak-ada-token-seperti-ini").await.0, 404);
    assert_eq!(anon.get("/berhenti/..%2F..%2Fetc").await.0, 404);
});

on_both_databases!(
    the_invite_goes_once_when_the_job_runs_twice_and_waits_for_the_units_delay,
    |db: TestDb| async move {
        let f = fixture(db).await;
        let store = f.app.store.clone();
        let gw = StandIn::start().await;
        connect_gateway(store.as_ref(), f.unit_id, &gw).await;
        // The admin sets a 30-minute delay; a wrong value changes nothing.
        tanggap_tests::add_staff(store.as_ref(), "dinsos-uji", "admin_uji", PASSWORD, &[Role::Admin]).await;
        let admin = f.app.login("admin_uji", PASSWORD).await;
        let delay = || async {
            store
                .notice_settings(f.unit_id)
                .await
                .unwrap()
                .survey_invite_delay_minutes
        };
        for (typed, status, stored) in [("sejam", 422, 60), ("99999", 422, 60), ("-5", 422, 60), ("30", 200, 30)] {
            let (got, _, page) = admin
                .post("/staf/dinsos-uji/pemberitahuan", &[("jeda_menit", typed)])
                .await;
            assert_eq!(got, status, "{typed}: {page}");
            if status == 422 {
                assert!(page.contains("Jeda harus bilangan bulat"), "{page}");
            }
            assert_eq!(delay().await, stored, "{typed}");
        }
        // Only the unit's admin may.
        let petugas = f.app.login("petugas_uji", PASSWORD).await;
        assert_eq!(
            petugas
                .post("/staf/dinsos-uji/pemberitahuan", &[("jeda_menit", "0")])
                .await
                .0,
            403
        );

        // Answered long ago: the auto-close job closes it, twice run, one invite.
        let (_, v) = whatsapp(&f.app, "wa-400", "081234567005", "Air PDAM mati tiga hari").await;
        let id = complaint_of(store.as_ref(), f.unit_id, v["nomor_agenda"].as_str().unwrap())
            .await
            .summary
            .id;
        let long_ago = Utc::now() - Duration::days(40);
        let holder = handler(store.as_ref(), f.unit_id, "pemegang").await;
        tanggap_tests::answer_complaint(store.as_ref(), f.unit_id, id, None, Some(holder), None, long_ago).await;
        let jobs = tanggap::triage::jobs::TriageJobs::new(store.clone(), "uji".into())
            .with_public_url(Some("https://tanggap.contoh.id".into()));
        let now = Utc::now();
        assert_eq!(jobs.run_pass(now).await.unwrap().closed, 1);
        let second = tanggap::triage::jobs::TriageJobs::new(store.clone(), "uji-2".into());
        assert_eq!(second.run_pass(now + Duration::minutes(5)).await.unwrap().closed, 0);
        assert_eq!(of_kind(store.as_ref(), id, "survey_invite").await.len(), 1);
        assert_eq!(
            of_kind(store.as_ref(), id, "status").await.len(),
            1,
            "the selesai notice"
        );

        let sender = tanggap::notify::OutboxSender::new(store.clone(), tanggap::notify::SenderOptions::default());
        sender.run_pass(now + Duration::minutes(29)).await.unwrap();
        assert!(
            gw.received().iter().all(|(_, t)| !t.contains("/undangan/")),
            "not before 30 minutes"
        );
        sender.run_pass(now + Duration::minutes(31)).await.unwrap();
        let invites = gw
            .received()
            .into_iter()
            .filter(|(_, t)| t.contains("https://tanggap.contoh.id/undangan/"))
            .count();
        assert_eq!(invites, 1);
    }
);
