//! The SMS/WhatsApp gateway webhook (`POST /api/v1/gateway/{unit}/{channel}`) under
//! arbitrary JSON bodies and signatures, through the real router on both databases.
//!
//! Properties, per case: no 5xx; a post without the right signature is refused (401)
//! and changes nothing; a signed post is either stored (201 a new complaint, 200 a
//! message threaded onto an open one, each with its nomor agenda, which exists) or
//! refused with a reason (422 with a code and a sentence) and changes nothing, never
//! both; a message known to be valid is stored, one known to be invalid refused; the
//! same post again is a no-op.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tanggap::intake::gateway;
use tanggap::storage::model::ChannelSettings;

use crate::support::{Bytes, Db, Expect, InProcess, Snapshot, fuzz_target, on_both_databases, replay_corpus};

const SECRET: &str = "rahasia-gateway-fuzz";
const UNIT: &str = "dinsos-fuzz";

/// How the post is signed.
#[derive(Debug, Clone)]
pub enum Signing {
    /// HMAC-SHA256 of the exact body under the unit's secret.
    Valid,
    /// Under another secret.
    OtherSecret,
    /// The right signature of the body with one byte changed after signing.
    BodyChanged(usize),
    /// Any header value.
    Garbage(String),
    /// No header at all.
    Missing,
}

/// One post.
#[derive(Debug, Clone)]
pub struct Case {
    body: Bytes,
    signing: Signing,
    channel: &'static str,
    expect: Expect,
    /// Staff close every open gateway complaint before the redelivery, so that it
    /// cannot be recognised by threading.
    close_before_redelivery: bool,
}

/// Phones from a small pool, so that later messages thread onto open complaints.
fn valid_phone() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..6u32).prop_map(|i| format!("08120000{i:04}")),
        (0..6u32).prop_map(|i| format!("+62 812-0000-{i:04}")),
        "08[1-9][0-9]{7,10}",
    ]
}

fn invalid_phone() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("bukan nomor".to_owned()),
        "[0-9]{1,7}",
        "08[0-9]{6}[a-z]{1,3}",
        "\\PC{0,30}".prop_filter("not a phone", |s| tanggap::intake::form::normalize_phone(s).is_none()),
    ]
}

/// Ids from a small pool too, so that redeliveries happen across cases.
fn valid_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..40u32).prop_map(|i| format!("msg-{i}")),
        "[A-Za-z0-9:_.-]{1,64}",
        "[\\p{L}\\p{N}]{1,20}",
    ]
}

fn invalid_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("   ".to_owned()),
        "[a-z]{201,260}",
        // A control character inside the id (at its ends it would be trimmed).
        "[a-z]{1,5}[\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}][a-z]{1,5}",
    ]
}

/// A text with something visible in it.
fn valid_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z0-9 ,.!?\n]{0,300}",
        "\\PC{0,20}[a-z]\\PC{0,200}",
        // Control characters and NUL around visible text are cleaned, not refused.
        "[a-z]{1,20}[\u{0}-\u{1f}\u{7f}]{1,4}[a-z ]{0,20}",
        "[a-z]{1,10}\r\n[a-z]{1,10}",
        "[a-z ]{9990,10000}",
    ]
}

fn invalid_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ \t\r\n]{1,20}",
        "[\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f} ]{1,20}",
        "[a-z]{10001,10050}",
    ]
}

fn valid_received_at() -> impl Strategy<Value = Option<serde_json::Value>> {
    prop_oneof![
        Just(None),
        Just(Some(serde_json::Value::Null)),
        (0..30 * 24 * 3600i64).prop_map(|s| Some(serde_json::json!(
            (chrono::Utc::now() - chrono::Duration::seconds(s)).to_rfc3339()
        ))),
    ]
}

fn invalid_received_at() -> impl Strategy<Value = Option<serde_json::Value>> {
    prop_oneof![
        Just(Some(serde_json::json!("kemarin"))),
        Just(Some(serde_json::json!(1_700_000_000))),
        Just(Some(serde_json::json!("2026-13-45T25:61:00Z"))),
        // Outside the window a gateway can have held a message: before 2000, or in
        // the future (the nomor agenda's year and the SLA clock come from it).
        Just(Some(serde_json::json!("1998-03-01T10:00:00Z"))),
        Just(Some(serde_json::json!("0001-01-01T00:00:00Z"))),
        Just(Some(serde_json::json!("9999-12-31T23:59:59Z"))),
        (1..3650i64).prop_map(|d| Some(serde_json::json!(
            (chrono::Utc::now() + chrono::Duration::days(d)).to_rfc3339()
        ))),
    ]
}

fn object(id: String, from: String, text: String, at: Option<serde_json::Value>) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), id.into());
    m.insert("from".into(), from.into());
    m.insert("text".into(), text.into());
    if let Some(at) = at {
        m.insert("received_at".into(), at);
    }
    serde_json::Value::Object(m)
}

/// Any JSON value, nested a little.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "\\PC{0,30}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("from".to_owned()),
                    Just("text".to_owned()),
                    Just("received_at".to_owned()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = (Vec<u8>, Expect)> {
    let valid = (valid_id(), valid_phone(), valid_text(), valid_received_at())
        .prop_map(|(i, f, t, a)| (object(i, f, t, a).to_string().into_bytes(), Expect::Stored));
    // One field wrong, the others right.
    let one_wrong = prop_oneof![
        (invalid_id(), valid_phone(), valid_text(), valid_received_at()),
        (valid_id(), invalid_phone(), valid_text(), valid_received_at()),
        (valid_id(), valid_phone(), invalid_text(), valid_received_at()),
        (valid_id(), valid_phone(), valid_text(), invalid_received_at()),
    ]
    .prop_map(|(i, f, t, a)| (object(i, f, t, a).to_string().into_bytes(), Expect::Refused));
    let shapes = any_json().prop_map(|v| (v.to_string().into_bytes(), Expect::Either));
    let bytes = proptest::collection::vec(any::<u8>(), 0..512).prop_map(|b| (b, Expect::Either));
    // A valid body with bytes changed: broken JSON, bad UTF-8, changed values.
    let flipped = (
        valid_id(),
        valid_phone(),
        valid_text(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    )
        .prop_map(|(i, f, t, flips)| {
            let mut b = object(i, f, t, None).to_string().into_bytes();
            for (at, v) in flips {
                let n = at.index(b.len());
                b[n] = v;
            }
            (b, Expect::Either)
        });
    let truncated =
        (valid_id(), valid_phone(), valid_text(), any::<prop::sample::Index>()).prop_map(|(i, f, t, at)| {
            let b = object(i, f, t, None).to_string().into_bytes();
            let n = at.index(b.len());
            (b[..n].to_vec(), Expect::Refused)
        });
    prop_oneof![
        4 => valid,
        3 => one_wrong,
        2 => shapes,
        1 => bytes,
        2 => flipped,
        1 => truncated,
    ]
}

fn signing() -> impl Strategy<Value = Signing> {
    prop_oneof![
        6 => Just(Signing::Valid),
        1 => Just(Signing::OtherSecret),
        1 => any::<usize>().prop_map(Signing::BodyChanged),
        1 => "[ -~]{0,80}".prop_map(Signing::Garbage),
        1 => Just(Signing::Missing),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        body(),
        signing(),
        prop_oneof![Just("whatsapp"), Just("sms")],
        proptest::bool::weighted(0.2),
    )
        .prop_map(|((body, expect), signing, channel, close)| Case {
            body: Bytes(body),
            signing,
            channel,
            expect,
            close_before_redelivery: close,
        })
}

/// A unit with both gateways set up under [`SECRET`].
async fn arrange(db: Db) -> Option<InProcess> {
    let db = db.open().await?;
    let app = InProcess::new(db).await;
    let unit_id = app.store.create_unit(&tanggap_tests::test_unit(UNIT)).await.unwrap();
    for channel in ["sms", "whatsapp"] {
        app.store
            .set_channel_settings(&ChannelSettings {
                unit_id,
                channel: channel.into(),
                config: serde_json::json!({ "url": "", "auth_token": "", "hmac_secret": SECRET }),
                enabled: true,
            })
            .await
            .unwrap();
    }
    Some(app)
}

async fn post(app: &InProcess, case: &Case) -> (StatusCode, serde_json::Value) {
    let mut body = case.body.0.clone();
    let signature = match &case.signing {
        Signing::Valid => Some(gateway::sign(SECRET, &body)),
        Signing::OtherSecret => Some(gateway::sign("rahasia-lain", &body)),
        Signing::BodyChanged(at) => {
            let signature = gateway::sign(SECRET, &body);
            if body.is_empty() {
                body.push(b'x');
            } else {
                let n = at % body.len();
                body[n] = body[n].wrapping_add(1);
            }
            Some(signature)
        }
        Signing::Garbage(s) => Some(s.clone()),
        Signing::Missing => None,
    };
    let mut request =
        Request::post(format!("/api/v1/gateway/{UNIT}/{}", case.channel)).header("content-type", "application/json");
    if let Some(s) = signature {
        request = request.header(gateway::SIGNATURE_HEADER, s);
    }
    let (status, _, bytes) = app.send(request.body(Body::from(body)).unwrap()).await;
    let json = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{status}: the answer is not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, json)
}

fn fail(message: String) -> Result<(), TestCaseError> {
    Err(TestCaseError::fail(message))
}

/// The (channel, id) pairs stored so far: a valid message answered "duplicate" must
/// have been stored before on its own channel (two gateways number independently).
pub type Seen = std::sync::Mutex<std::collections::HashSet<(String, String)>>;

/// The trimmed id of a body that is a JSON object with a string id.
fn id_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(v.get("id")?.as_str()?.trim().to_owned())
}

/// Acknowledgements queued in the last hour to the sender of `body`.
async fn acks_to(app: &InProcess, body: &[u8]) -> i64 {
    let from = serde_json::from_slice::<serde_json::Value>(body).ok();
    let phone = from
        .as_ref()
        .and_then(|v| v["from"].as_str())
        .and_then(tanggap::intake::form::normalize_phone)
        .unwrap_or_default();
    let since = chrono::Utc::now() - chrono::Duration::minutes(tanggap::intake::ack::ACK_WINDOW_MINUTES);
    app.probe
        .int_with(
            "SELECT COUNT(*) FROM outbox WHERE recipient = $1 AND dedupe_key LIKE 'ack:%' AND created_at > $2",
            &phone,
            since,
        )
        .await
}

/// Posts the case twice and checks the answers against the database.
pub async fn check_case(app: &InProcess, seen: &Seen, case: &Case) -> Result<(), TestCaseError> {
    let before = app.probe.snapshot().await;
    let (status, answer) = post(app, case).await;
    let after = app.probe.snapshot().await;
    let signed = matches!(case.signing, Signing::Valid);
    if status.is_server_error() {
        return fail(format!("{status} {answer}"));
    }
    if !signed {
        if status != StatusCode::UNAUTHORIZED || answer["error"]["code"] != "bad_signature" {
            return fail(format!("a badly signed post got {status} {answer}"));
        }
        if after != before {
            return fail(format!("a badly signed post changed {before:?} to {after:?}"));
        }
        return Ok(());
    }
    if let Some(id) = id_of(&case.body.0) {
        let key = (case.channel.to_owned(), id);
        let known = seen.lock().unwrap().contains(&key);
        match answer["status"].as_str() {
            Some("created" | "threaded") => {
                if known {
                    return fail(format!("{key:?} was stored a second time: {answer}"));
                }
                seen.lock().unwrap().insert(key);
            }
            Some("duplicate") if case.expect == Expect::Stored && !known => {
                return fail(format!("{key:?} was never stored, yet answered as a duplicate"));
            }
            _ => {}
        }
    }
    let delta = |f: fn(&Snapshot) -> i64| f(&after) - f(&before);
    match (status.as_u16(), answer["status"].as_str()) {
        (201, Some("created")) => {
            let nomor = answer["nomor_agenda"].as_str().unwrap_or_default();
            let stored = app
                .probe
                .int(&format!(
                    "SELECT COUNT(*) FROM complaints WHERE nomor_agenda = '{}'",
                    nomor.replace('\'', "''")
                ))
                .await;
            // The acknowledgement is queued unless that number had its hourly
            // allowance of them already (anti-pumping, issue 17).
            let acked = match delta(|s| s.outbox) {
                1 => true,
                0 => acks_to(app, &case.body.0).await >= tanggap::intake::ack::MAX_ACKS_PER_DESTINATION,
                _ => false,
            };
            if (delta(|s| s.complaints), delta(|s| s.messages), stored, acked) != (1, 1, 1, true) {
                return fail(format!(
                    "created {answer} but {before:?} -> {after:?}, {stored} with that nomor"
                ));
            }
        }
        (200, Some("threaded")) => {
            let nomor = answer["nomor_agenda"].as_str().unwrap_or_default();
            let stored = app
                .probe
                .int(&format!(
                    "SELECT COUNT(*) FROM complaints WHERE nomor_agenda = '{}'",
                    nomor.replace('\'', "''")
                ))
                .await;
            if (delta(|s| s.complaints), delta(|s| s.messages), stored) != (0, 1, 1) {
                return fail(format!("threaded {answer} but {before:?} -> {after:?}"));
            }
        }
        (200, Some("duplicate")) => {
            if after != before {
                return fail(format!("duplicate but {before:?} -> {after:?}"));
            }
        }
        (422, _) => {
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            if answer["error"]["code"] != "invalid" || message.is_empty() {
                return fail(format!("422 without a reason: {answer}"));
            }
            if after != before {
                return fail(format!("refused ({answer}) but {before:?} -> {after:?}"));
            }
        }
        _ => return fail(format!("unexpected answer {status} {answer}")),
    }
    let stored = status != StatusCode::UNPROCESSABLE_ENTITY;
    match case.expect {
        Expect::Stored if !stored => return fail(format!("a valid message was refused: {answer}")),
        Expect::Refused if stored => return fail(format!("an invalid message was taken: {answer}")),
        _ => {}
    }
    // Redelivery of the same post: a no-op, whatever the first answer was.
    if case.close_before_redelivery {
        app.probe
            .execute("UPDATE complaints SET status = 'selesai' WHERE channel IN ('sms', 'whatsapp')")
            .await;
    }
    let after = app.probe.snapshot().await;
    let (again, answer_again) = post(app, case).await;
    let after_again = app.probe.snapshot().await;
    if after_again != after {
        return fail(format!("the second post changed {after:?} to {after_again:?}"));
    }
    let expected = if stored { StatusCode::OK } else { status };
    if again != expected || (stored && answer_again["status"] != "duplicate") {
        return fail(format!("the second post got {again} {answer_again}"));
    }
    Ok(())
}

fn fuzz(db: Db) {
    let seen = Seen::default();
    fuzz_target(db, "gateway", 1000, arrange, case(), async |app, case| {
        check_case(app, &seen, &case).await
    });
}

on_both_databases!(
    gateway_posts_are_stored_or_refused_never_both_sqlite,
    gateway_posts_are_stored_or_refused_never_both_postgres,
    fuzz
);

/// The corpus: `accept-*` must be stored, `refuse-*` refused, `any-*` only
/// consistent; each is posted with a wrong signature, then on both channels.
fn replay(db: Db) {
    let seen = Seen::default();
    replay_corpus(db, "gateway", arrange, async |app, entry, expect| {
        for (signing, channel) in [
            (Signing::BodyChanged(7), "whatsapp"),
            (Signing::Valid, "whatsapp"),
            // The SMS gateway numbers its messages independently of the WhatsApp one.
            (Signing::Valid, "sms"),
        ] {
            let case = Case {
                body: Bytes(entry.bytes.clone()),
                signing,
                channel,
                expect,
                close_before_redelivery: false,
            };
            check_case(app, &seen, &case).await?;
        }
        Ok(())
    });
}

on_both_databases!(gateway_corpus_replays_sqlite, gateway_corpus_replays_postgres, replay);

/// Found by the fuzz (500 on both databases): an id already stored as a message in a
/// complaint's thread, posted again from a number with no open complaint, made the
/// new complaint's first message conflict with it. It is a duplicate.
fn thread_id_again(db: Db) {
    let rt = crate::support::runtime();
    let Some(app) = rt.block_on(arrange(db)) else {
        return;
    };
    let seen = Seen::default();
    let post = |id: &str, from: &str, text: &str| Case {
        body: Bytes(
            serde_json::json!({ "id": id, "from": from, "text": text })
                .to_string()
                .into_bytes(),
        ),
        signing: Signing::Valid,
        channel: "sms",
        expect: Expect::Stored,
        close_before_redelivery: false,
    };
    for case in [
        post("seq-1", "081200009901", "Jalan rusak di depan sekolah"),
        post("seq-2", "081200009901", "Sudah dua minggu belum diperbaiki"),
        post("seq-2", "081200009902", "Pesan lain dengan id yang sama"),
    ] {
        if let Err(e) = rt.block_on(check_case(&app, &seen, &case)) {
            panic!("{case:?}: {e}");
        }
    }
}

on_both_databases!(
    a_thread_message_id_posted_again_from_another_number_is_a_duplicate_sqlite,
    a_thread_message_id_posted_again_from_another_number_is_a_duplicate_postgres,
    thread_id_again
);
