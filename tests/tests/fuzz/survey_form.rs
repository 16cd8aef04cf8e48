//! The public SKM survey form (`POST /survei/{unit}`, urlencoded, validated by
//! `survey::form`) under arbitrary bodies, through the real router on both
//! databases: answers out of range, profiles of every shape, duplicated keys, bad
//! percent-encoding and UTF-8, huge values, the wrong content type.
//!
//! Properties, per case: no 5xx; either the thank-you redirect after which exactly
//! one more response is stored, or a page in Bahasa Indonesia naming the problem
//! and nothing stored; a valid response is stored, an invalid one refused.

use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tanggap::storage::model::NewService;

use crate::support::{
    Bytes, Db, Expect, InProcess, Posted, fuzz_target, on_both_databases, refused, replay_corpus, split_http,
};

const UNIT: &str = "dinsos-survei";

/// The nine elements of the default rule set.
const ELEMENTS: [&str; 9] = [
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "sarana",
    "pengaduan",
];

/// Locale keys of every sentence a refused survey can show.
const REFUSALS: &[&str] = &[
    "error.bad_request_title",
    "error.too_large_title",
    "error.csrf_title",
    "survey.answer_required",
    "survey.answer_invalid",
    "survey.service_required",
    "survey.bad_gender",
    "survey.bad_age",
    "survey.bad_education",
    "survey.bad_occupation",
    "survey.saran_too_long",
];

/// One post: a content type and a body (the CSRF token is added when sent).
#[derive(Debug, Clone)]
struct Case {
    content_type: Option<&'static str>,
    body: Bytes,
    expect: Expect,
}

fn urlencode(pairs: &[(String, String)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

fn valid_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let profile = (
        prop_oneof![Just(""), Just("L"), Just("p"), Just(" P ")],
        prop_oneof![Just(String::new()), (10..=120i64).prop_map(|n| n.to_string())],
        prop_oneof![Just(""), Just("SMA/SMK"), Just("d4/s1"), Just("S3")],
        prop_oneof![Just(""), Just("Swasta"), Just("pelajar/mahasiswa"), Just("Lainnya")],
        prop_oneof![
            Just(String::new()),
            "\\PC{0,300}",
            // Control characters, NUL included, are kept out of what is stored.
            "[a-z ]{0,30}[\u{0}-\u{1f}\u{7f}]{1,3}[a-z ]{0,30}",
            "[a-z]{1990,2000}",
        ],
    );
    (
        proptest::collection::vec(1..=4u8, 9),
        prop_oneof![Just("sktm"), Just("pkh")],
        profile,
        any::<bool>(),
    )
        .prop_map(|(scores, layanan, (g, umur, pend, kerja, saran), qr)| {
            let mut pairs: Vec<(String, String)> = ELEMENTS
                .iter()
                .zip(scores)
                .map(|(k, s)| (format!("q_{k}"), s.to_string()))
                .collect();
            pairs.push(("layanan".into(), layanan.into()));
            for (k, v) in [
                ("jenis_kelamin", g.to_owned()),
                ("umur", umur),
                ("pendidikan", pend.to_owned()),
                ("pekerjaan", kerja.to_owned()),
                ("saran", saran),
            ] {
                pairs.push((k.into(), v));
            }
            if qr {
                pairs.push(("sumber".into(), "qr".into()));
            }
            pairs
        })
}

/// One wrong answer, put in place of the right one.
fn wrong() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        (
            0..9usize,
            prop_oneof![
                Just("0"),
                Just("5"),
                Just("x"),
                Just(""),
                Just("3.5"),
                Just("99999999999999999999")
            ]
        )
            .prop_map(|(i, v)| (format!("q_{}", ELEMENTS[i]), v.to_owned())),
        Just(("layanan".to_owned(), "tidak-ada".to_owned())),
        Just(("layanan".to_owned(), String::new())),
        Just(("jenis_kelamin".to_owned(), "X".to_owned())),
        prop_oneof![Just("7"), Just("121"), Just("abc"), Just("-5")].prop_map(|v| ("umur".to_owned(), v.to_owned())),
        Just(("pendidikan".to_owned(), "S4".to_owned())),
        Just(("pekerjaan".to_owned(), "Astronot".to_owned())),
        "[a-z]{2001,2050}".prop_map(|s| ("saran".to_owned(), s)),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let valid = valid_pairs().prop_map(|pairs| Case {
        content_type: Some("application/x-www-form-urlencoded"),
        body: Bytes(urlencode(&pairs)),
        expect: Expect::Stored,
    });
    let invalid = (valid_pairs(), wrong()).prop_map(|(mut pairs, (k, v))| {
        pairs.retain(|(key, _)| *key != k);
        pairs.push((k, v));
        Case {
            content_type: Some("application/x-www-form-urlencoded"),
            body: Bytes(urlencode(&pairs)),
            expect: Expect::Refused,
        }
    });
    // Valid answers sent as another media type.
    let wrong_type = (
        valid_pairs(),
        prop_oneof![
            Just(Some("multipart/form-data; boundary=x")),
            Just(Some("multipart/form-data")),
            Just(Some("application/json")),
            Just(Some("text/plain")),
            Just(None),
        ],
    )
        .prop_map(|(pairs, content_type)| Case {
            content_type,
            body: Bytes(urlencode(&pairs)),
            expect: Expect::Refused,
        });
    // Anything in the body: raw bytes, bad escapes, duplicated keys, huge values.
    let raw = (
        valid_pairs(),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300),
            "([a-z_]{0,12}=?(%[0-9A-Fa-f]{2}|%[^0-9A-Fa-f]?|\\PC){0,12}&?){0,12}".prop_map(String::into_bytes),
            (1usize..300_000).prop_map(|n| [b"saran=".as_slice(), &vec![b'a'; n]].concat()),
        ],
        any::<bool>(),
    )
        .prop_map(|(pairs, noise, before)| {
            let valid = urlencode(&pairs);
            let body = if before {
                [noise, b"&".to_vec(), valid].concat()
            } else {
                [valid, b"&".to_vec(), noise].concat()
            };
            Case {
                content_type: Some("application/x-www-form-urlencoded"),
                body: Bytes(body),
                expect: Expect::Either,
            }
        });
    prop_oneof![4 => valid, 3 => invalid, 1 => wrong_type, 3 => raw]
}

async fn arrange(db: Db) -> Option<InProcess> {
    let db = db.open().await?;
    let app = InProcess::new(db).await;
    let unit_id = app
        .store
        .create_unit(&tanggap::storage::model::NewUnit {
            complaint_channels: vec![tanggap::domain::Channel::Website, tanggap::domain::Channel::Skm],
            ..tanggap_tests::test_unit(UNIT)
        })
        .await
        .unwrap();
    for (code, name) in [("sktm", "Surat Keterangan Tidak Mampu"), ("pkh", "Rekomendasi PKH")] {
        app.store
            .create_service(
                unit_id,
                &NewService {
                    code: code.into(),
                    name: name.into(),
                    division_id: None,
                    requirements: vec![],
                    completion_days: 1,
                    completion_text: "1 hari".into(),
                    working_days: true,
                    fee_rupiah: 0,
                    fee_text: String::new(),
                    product: "Surat".into(),
                    complaint_channels: vec![],
                },
            )
            .await
            .unwrap();
    }
    // The questions this target answers are the default rule set's.
    let rule_set = app
        .store
        .survey_rule_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_default)
        .unwrap();
    let keys: Vec<String> = app
        .store
        .survey_questions(rule_set.id)
        .await
        .unwrap()
        .into_iter()
        .map(|q| q.key)
        .collect();
    assert_eq!(keys, ELEMENTS, "the default rule set's elements");
    Some(app)
}

/// Posts the body (with a fresh browser's CSRF token appended, or substituted for
/// `{csrf}`) and checks the answer against the database.
async fn post_and_check(
    app: &InProcess,
    content_type: Option<&str>,
    body: &[u8],
    expect: Expect,
) -> Result<(), TestCaseError> {
    let token = tanggap::auth::new_secret();
    let body = if body.windows(6).any(|w| w == b"{csrf}") {
        String::from_utf8_lossy(body).replace("{csrf}", &token).into_bytes()
    } else {
        [body, format!("&csrf={token}").as_bytes()].concat()
    };
    let request = Request::post(format!("/survei/{UNIT}"))
        .header("cookie", format!("{}={token}", tanggap::auth::CSRF_COOKIE))
        // Multipart and JSON posts carry the token in the header, as a script would:
        // the point is what the form reader does with them.
        .header("x-csrf-token", &token);
    let Posted {
        status,
        location,
        page,
        before,
        after,
    } = app.post_counted(request, content_type, body).await?;
    let fail = |m: String| Err(TestCaseError::fail(m));
    if status == StatusCode::SEE_OTHER {
        let location = location.as_deref();
        if location != Some(format!("/survei/{UNIT}/terima-kasih").as_str()) {
            return fail(format!("redirected to {location:?}"));
        }
        if after.survey_responses != before.survey_responses + 1 || after.complaints != before.complaints {
            return fail(format!("thanked, but {before:?} -> {after:?}"));
        }
        let saran = app
            .probe
            .texts("SELECT COALESCE(saran, '') FROM survey_responses ORDER BY id DESC LIMIT 1")
            .await;
        if saran
            .iter()
            .any(|s| s.chars().any(|c| c.is_control() && c != '\n' && c != '\t'))
        {
            return fail(format!("a saran was stored with control characters: {saran:?}"));
        }
        if expect == Expect::Refused {
            return fail("an invalid response was stored".into());
        }
        return Ok(());
    }
    refused(status, &page, (before, after), expect, REFUSALS)
}

fn fuzz(db: Db) {
    fuzz_target(db, "survey form", 500, arrange, case(), async |app, case| {
        post_and_check(app, case.content_type, &case.body.0, case.expect).await
    });
}

on_both_databases!(
    survey_forms_are_stored_once_or_refused_in_indonesian_sqlite,
    survey_forms_are_stored_once_or_refused_in_indonesian_postgres,
    fuzz
);

/// The corpus (`.http` files): `accept-*` stored, `refuse-*` refused, `any-*`
/// consistent.
fn replay(db: Db) {
    replay_corpus(db, "survey_form", arrange, async |app, entry, expect| {
        let (content_type, body) = split_http(&entry.bytes);
        let content_type = Some(content_type.as_str()).filter(|c| !c.is_empty());
        post_and_check(app, content_type, &body, expect).await
    });
}

on_both_databases!(
    survey_form_corpus_replays_sqlite,
    survey_form_corpus_replays_postgres,
    replay
);
