//! The citizen's complaint form (`POST /u/{unit}/pengaduan`, multipart with files)
//! under arbitrary multipart bodies, through the real router on both databases:
//! boundaries broken or missing, truncated bodies, duplicated and huge fields, bad
//! UTF-8, file names with control characters and folders, files of every type.
//!
//! Properties, per case: no 5xx; either a redirect to the receipt after which
//! exactly one complaint with that tracking code is stored (with the files that were
//! sent, under clean names), or an error page in Bahasa Indonesia that names the
//! problem, and nothing stored; a form known to be valid is stored, one known to be
//! invalid refused.

use axum::http::{Request, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use crate::support::{
    Bytes, Db, Expect, InProcess, Posted, fuzz_target, on_both_databases, refused, replay_corpus, split_http,
};

const UNIT: &str = "dinsos-fuzz";

/// Smallest valid PNG (1x1).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Locale keys of every sentence a refused complaint form can show.
pub const REFUSALS: &[&str] = &[
    "error.bad_request_title",
    "error.too_large_title",
    "error.csrf_title",
    "intake.error.klasifikasi",
    "intake.error.subject_short",
    "intake.error.subject_long",
    "intake.error.description_short",
    "intake.error.description_long",
    "intake.error.service",
    "intake.error.date",
    "intake.error.date_future",
    "intake.error.too_long",
    "intake.error.phone",
    "intake.error.email",
    "intake.error.nik",
    "intake.error.notify",
    "intake.error.notify_email",
    "intake.error.notify_phone",
    "intake.error.file_type",
    "intake.error.file_size",
    "intake.error.file_count",
];

/// One part of the body.
#[derive(Debug, Clone)]
pub struct Part {
    name: Bytes,
    filename: Option<Bytes>,
    content_type: Option<String>,
    body: Bytes,
}

impl Part {
    fn text(name: &str, value: &str) -> Part {
        Part {
            name: Bytes(name.as_bytes().to_vec()),
            filename: None,
            content_type: None,
            body: Bytes(value.as_bytes().to_vec()),
        }
    }
}

/// What is done to the well-formed body after it is written.
#[derive(Debug, Clone)]
pub enum Damage {
    /// Nothing.
    None,
    /// Cut at a fraction of its length.
    Truncate(prop::sample::Index),
    /// Bytes replaced.
    Flip(Vec<(prop::sample::Index, u8)>),
    /// The closing boundary left out.
    NoClosing,
    /// One boundary line misspelt.
    BreakBoundary(prop::sample::Index),
}

/// The request's `Content-Type`.
#[derive(Debug, Clone)]
pub enum Header {
    /// `multipart/form-data; boundary=...` matching the body.
    Right,
    /// Without a boundary parameter.
    NoBoundary,
    /// With another boundary than the body's.
    OtherBoundary,
    /// Another media type.
    Other(&'static str),
    /// No header.
    Missing,
}

/// One post.
#[derive(Debug, Clone)]
pub struct Case {
    parts: Vec<Part>,
    boundary: String,
    header: Header,
    damage: Damage,
    expect: Expect,
}

fn subject() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Z][a-z]{4,10}( [a-z]{2,8}){1,6}", "[\\p{L}]{5,60}",]
}

fn description() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z][a-z]{3,10}( [a-z]{2,9}){3,40}\\.",
        "[\\p{L}]{10,40}( \\PC{0,40}){0,4}",
        // Control characters, CR LF, NUL: cleaned, and what is left is long enough.
        "[a-z]{12,30}[\u{0}-\u{1f}\u{7f}]{1,5}[a-z ]{0,20}",
    ]
}

/// A file part: a real PNG or PDF (accepted), or anything else (refused).
fn file(ok: bool) -> BoxedStrategy<Part> {
    // Names as a browser sends them: folders, quotes and line breaks (escaped by
    // the browser), bidi overrides and zero-width marks, any printable text. Other
    // control characters cannot be sent in a part header at all: the odd parts
    // below send them raw.
    let name = prop_oneof![
        "[a-z]{1,12}\\.(jpg|png|pdf)",
        "(\\.\\./|C:\\\\|/etc/)[a-z]{1,8}\\.png",
        "[a-z]{0,5}[\r\n\u{202e}\u{200b}\"';<>%]{1,4}[a-z]{0,5}\\.pdf",
        "\\PC{0,40}",
    ]
    .prop_map(String::into_bytes);
    let content_type = prop_oneof![
        Just(None),
        Just(Some("image/png".to_owned())),
        Just(Some("text/html".to_owned())),
        Just(Some("application/octet-stream".to_owned())),
        "[a-z]{1,8}/[a-z]{1,8}".prop_map(Some),
    ];
    let good_bytes = prop_oneof![
        Just(PNG.to_vec()),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(|tail| [b"%PDF-1.4\n".as_slice(), &tail].concat()),
        proptest::collection::vec(any::<u8>(), 0..2000).prop_map(|tail| [PNG, &tail].concat()),
    ];
    let bad_bytes = prop_oneof![
        // Not empty: an empty part without a name is a file input left empty.
        proptest::collection::vec(any::<u8>(), 1..300).prop_filter("not an accepted type", |b| {
            tanggap::intake::files::sniff(b).is_none()
        }),
        Just(b"MZ\x90\x00 program".to_vec()),
        Just(b"<html><script>alert(1)</script>".to_vec()),
        // Over the 5 MiB a file may have.
        Just([PNG, &vec![0u8; tanggap::intake::files::MAX_FILE_BYTES]].concat()),
    ];
    let bytes = if ok { good_bytes.boxed() } else { bad_bytes.boxed() };
    (name, content_type, bytes)
        .prop_map(|(name, content_type, body)| Part {
            name: Bytes(b"attachments".to_vec()),
            filename: Some(Bytes(name)),
            content_type,
            body: Bytes(body),
        })
        .boxed()
}

/// Fields a valid form has.
fn valid_fields() -> impl Strategy<Value = Vec<Part>> {
    (
        subject(),
        description(),
        prop_oneof![
            Just(vec![]),
            Just(vec![("phone", "0812-3456-7890"), ("notify", "whatsapp")]),
            Just(vec![("email", "warga@contoh.id"), ("notify", "email")]),
            Just(vec![("klasifikasi", "aspirasi"), ("anonim", "1")]),
            Just(vec![("name", "Siti"), ("nik", "1471010101010001"), ("rahasia", "on")]),
            Just(vec![("event_date", "2025-02-03"), ("event_place", "Loket 2")]),
        ],
    )
        .prop_map(|(s, d, extra)| {
            let mut parts = vec![Part::text("subject", &s), Part::text("description", &d)];
            parts.extend(extra.into_iter().map(|(k, v)| Part::text(k, v)));
            parts
        })
}

/// A field with a wrong value (the form as a whole must then be refused).
fn wrong_field() -> impl Strategy<Value = Part> {
    prop_oneof![
        Just(Part::text("subject", "abc")),
        "[a-z]{201,260}".prop_map(|s| Part::text("subject", &s)),
        Just(Part::text("description", "pendek")),
        "[a-z]{10001,10050}".prop_map(|s| Part::text("description", &s)),
        Just(Part::text("klasifikasi", "gosip")),
        Just(Part::text("service", "tidak-ada")),
        Just(Part::text("event_date", "31-02-2025")),
        Just(Part::text("event_date", "2999-01-01")),
        "[a-z]{301,320}".prop_map(|s| Part::text("name", &s)),
        Just(Part::text("phone", "halo")),
        Just(Part::text("email", "bukan-surel")),
        Just(Part::text("nik", "123")),
        Just(Part::text("notify", "merpati")),
    ]
}

/// Parts anyone could send: odd names, bad UTF-8, huge values, nameless parts.
fn odd_part() -> impl Strategy<Value = Part> {
    let name = prop_oneof![
        Just(b"subject".to_vec()),
        Just(b"description".to_vec()),
        Just(b"attachments".to_vec()),
        Just(b"batch".to_vec()),
        Just(b"csrf".to_vec()),
        Just(Vec::new()),
        "\\PC{0,20}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..20),
    ];
    let body = prop_oneof![
        "\\PC{0,200}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..400),
        (1usize..300_000).prop_map(|n| vec![b'a'; n]),
    ];
    let filename = prop_oneof![
        3 => Just(None),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Some),
    ];
    (name, filename, body).prop_map(|(name, filename, body)| Part {
        name: Bytes(name),
        filename: filename.map(Bytes),
        content_type: None,
        body: Bytes(body),
    })
}

fn boundary() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("----TanggapFuzzBoundary7MA4YWxk".to_owned()),
        "[A-Za-z0-9'()+_,./:=?-]{1,70}",
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let valid = (
        valid_fields(),
        proptest::collection::vec(file(true), 0..=tanggap::intake::files::MAX_FILES),
        boundary(),
    )
        .prop_map(|(mut parts, files, boundary)| {
            parts.extend(files);
            Case {
                parts,
                boundary,
                header: Header::Right,
                damage: Damage::None,
                expect: Expect::Stored,
            }
        });
    let invalid = (
        valid_fields(),
        prop_oneof![
            wrong_field().prop_map(|p| vec![p]),
            file(false).prop_map(|p| vec![p]),
            // One file too many.
            proptest::collection::vec(file(true), tanggap::intake::files::MAX_FILES + 1..=8),
        ],
        boundary(),
    )
        .prop_map(|(mut parts, wrong, boundary)| {
            parts.extend(wrong);
            Case {
                parts,
                boundary,
                header: Header::Right,
                damage: Damage::None,
                expect: Expect::Refused,
            }
        });
    let header = prop_oneof![
        Just(Header::NoBoundary),
        Just(Header::OtherBoundary),
        Just(Header::Other("application/x-www-form-urlencoded")),
        Just(Header::Other("application/json")),
        Just(Header::Other("text/plain")),
        Just(Header::Missing),
    ];
    let wrong_header = (valid_fields(), boundary(), header).prop_map(|(parts, boundary, header)| Case {
        parts,
        boundary,
        header,
        damage: Damage::None,
        expect: Expect::Refused,
    });
    let damage = prop_oneof![
        any::<prop::sample::Index>().prop_map(Damage::Truncate),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8).prop_map(Damage::Flip),
        Just(Damage::NoClosing),
        any::<prop::sample::Index>().prop_map(Damage::BreakBoundary),
    ];
    let damaged = (
        valid_fields(),
        proptest::collection::vec(file(true), 0..3),
        boundary(),
        damage,
    )
        .prop_map(|(mut parts, files, boundary, damage)| {
            parts.extend(files);
            Case {
                parts,
                boundary,
                header: Header::Right,
                damage,
                expect: Expect::Either,
            }
        });
    let odd = (
        valid_fields(),
        proptest::collection::vec(odd_part(), 1..6),
        any::<bool>(),
        boundary(),
    )
        .prop_map(|(mut parts, odd, mix, boundary)| {
            if mix {
                parts.extend(odd);
            } else {
                parts = odd;
            }
            Case {
                parts,
                boundary,
                header: Header::Right,
                damage: Damage::None,
                expect: Expect::Either,
            }
        });
    prop_oneof![4 => valid, 3 => invalid, 1 => wrong_header, 3 => damaged, 3 => odd]
}

/// A name as browsers write it in a part header (HTML: `"`, CR and LF
/// percent-encoded); the odd cases send names raw.
fn header_value(raw: &[u8], as_browser: bool) -> Vec<u8> {
    if !as_browser {
        return raw.to_vec();
    }
    let mut out = Vec::new();
    for b in raw {
        match b {
            b'"' => out.extend_from_slice(b"%22"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            _ => out.push(*b),
        }
    }
    out
}

/// The body as a browser would write it, then damaged.
pub fn encode(case: &Case) -> Vec<u8> {
    let as_browser = case.expect != Expect::Either;
    let mut out = Vec::new();
    let mut boundary_lines = Vec::new();
    for p in &case.parts {
        boundary_lines.push(out.len());
        out.extend_from_slice(format!("--{}\r\n", case.boundary).as_bytes());
        out.extend_from_slice(b"Content-Disposition: form-data; name=\"");
        out.extend_from_slice(&header_value(&p.name.0, as_browser));
        out.push(b'"');
        if let Some(f) = &p.filename {
            out.extend_from_slice(b"; filename=\"");
            out.extend_from_slice(&header_value(&f.0, as_browser));
            out.push(b'"');
        }
        out.extend_from_slice(b"\r\n");
        if let Some(ct) = &p.content_type {
            out.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&p.body.0);
        out.extend_from_slice(b"\r\n");
    }
    let closing = out.len();
    out.extend_from_slice(format!("--{}--\r\n", case.boundary).as_bytes());
    match &case.damage {
        Damage::None => {}
        Damage::Truncate(at) => out.truncate(at.index(out.len())),
        Damage::Flip(flips) => {
            for (at, v) in flips {
                let n = at.index(out.len());
                out[n] = *v;
            }
        }
        Damage::NoClosing => out.truncate(closing),
        Damage::BreakBoundary(at) => {
            boundary_lines.push(closing);
            let n = boundary_lines[at.index(boundary_lines.len())] + 2;
            out[n] = if out[n] == b'X' { b'Y' } else { b'X' };
        }
    }
    out
}

fn content_type(case: &Case) -> Option<String> {
    match &case.header {
        // RFC 2046 boundaries may hold characters a header token may not: quoted then.
        Header::Right
            if case
                .boundary
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.+".contains(c)) =>
        {
            Some(format!("multipart/form-data; boundary={}", case.boundary))
        }
        Header::Right => Some(format!("multipart/form-data; boundary=\"{}\"", case.boundary)),
        Header::NoBoundary => Some("multipart/form-data".into()),
        Header::OtherBoundary => Some(format!("multipart/form-data; boundary=x{}", case.boundary)),
        Header::Other(t) => Some((*t).to_owned()),
        Header::Missing => None,
    }
}

/// A unit taking complaints on the web.
pub async fn arrange(db: Db) -> Option<InProcess> {
    let db = db.open().await?;
    let app = InProcess::new(db).await;
    app.store.create_unit(&tanggap_tests::test_unit(UNIT)).await.unwrap();
    Some(app)
}

/// A fresh browser's CSRF cookie and token (a visitor that opened the form).
pub fn csrf() -> String {
    tanggap::auth::new_secret()
}

/// Posts `body` as the citizen form and checks the answer against the database.
pub async fn post_and_check(
    app: &InProcess,
    content_type: Option<&str>,
    body: Vec<u8>,
    expect: Expect,
    files: Option<usize>,
) -> Result<(), TestCaseError> {
    let token = csrf();
    let request = Request::post(format!("/u/{UNIT}/pengaduan?csrf={token}"))
        .header("cookie", format!("{}={token}", tanggap::auth::CSRF_COOKIE));
    let Posted {
        status,
        location,
        page,
        before,
        after,
    } = app.post_counted(request, content_type, body).await?;
    let fail = |m: String| Err(TestCaseError::fail(m));
    if status == StatusCode::SEE_OTHER {
        let location = location.unwrap_or_default();
        let Some(code) = location
            .strip_prefix("/lacak?kode=")
            .and_then(|rest| rest.strip_suffix("&baru=1"))
        else {
            return fail(format!("redirected to {location:?}"));
        };
        let code = code.replace('\'', "''");
        let stored = app
            .probe
            .int(&format!(
                "SELECT COUNT(*) FROM complaints WHERE tracking_code = '{code}'"
            ))
            .await;
        if stored != 1 || after.complaints != before.complaints + 1 {
            return fail(format!("receipt {code}: {stored} stored, {before:?} -> {after:?}"));
        }
        let names = app
            .probe
            .texts(&format!(
                "SELECT a.filename FROM attachments a JOIN complaints c ON c.id = a.complaint_id \
                 WHERE c.tracking_code = '{code}'"
            ))
            .await;
        if files.is_some_and(|n| n != names.len()) {
            return fail(format!("{files:?} files sent, {} stored", names.len()));
        }
        if let Some(bad) = names
            .iter()
            .find(|n| n.is_empty() || n.contains(['/', '\\', '"']) || n.chars().any(char::is_control))
        {
            return fail(format!("an attachment was stored as {bad:?}"));
        }
        if expect == Expect::Refused {
            return fail(format!("an invalid form was stored as {code}"));
        }
        return Ok(());
    }
    refused(status, &page, (before, after), expect, REFUSALS)
}

fn fuzz(db: Db) {
    fuzz_target(db, "complaint form", 500, arrange, case(), async |app, case| {
        let files = (case.expect != Expect::Either).then(|| case.parts.iter().filter(|p| p.filename.is_some()).count());
        post_and_check(app, content_type(&case).as_deref(), encode(&case), case.expect, files).await
    });
}

on_both_databases!(
    complaint_forms_are_stored_once_or_refused_in_indonesian_sqlite,
    complaint_forms_are_stored_once_or_refused_in_indonesian_postgres,
    fuzz
);

/// The corpus (`.http` files: the Content-Type line, then the body): `accept-*`
/// must be stored, `refuse-*` refused, `any-*` only consistent.
fn replay(db: Db) {
    replay_corpus(db, "complaint_form", arrange, async |app, entry, expect| {
        let (content_type, body) = split_http(&entry.bytes);
        let content_type = Some(content_type).filter(|c| !c.is_empty());
        post_and_check(app, content_type.as_deref(), body, expect, None).await
    });
}

on_both_databases!(
    complaint_form_corpus_replays_sqlite,
    complaint_form_corpus_replays_postgres,
    replay
);
