//! Property tests of the email parser and threading (issue 22): arbitrary MIME
//! (nested multiparts, broken transfer encodings, missing headers, odd charsets,
//! colliding Message-IDs and thread references, truncated and bit-flipped bytes)
//! never panics the parser, stays within a memory bound, and every message ends
//! either stored (its raw bytes kept once) or set aside with a reason, never both,
//! on a real SQLite database and a real PostgreSQL database.
//!
//! Bounded for CI; a longer run: `PROPTEST_CASES=5000 cargo test --workspace --test
//! email_fuzz`. The corpus in `tests/corpus/mail` (inputs that once failed included)
//! goes through the same checks on every run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::Utc;
use proptest::prelude::*;
use sha2::Digest;
use tanggap::domain::Channel;
use tanggap::intake::email::parse::{MAX_SUBJECT_CHARS, ParsedMail, RAW_CONTENT_TYPE, content_hash};
use tanggap::intake::email::{EmailIntake, Ingested, MailPlace};
use tanggap::intake::files::MAX_FILES;
use tanggap::intake::form::limits::DESCRIPTION_MAX;
use tanggap::notify::settings::{EmailSettings, ImapSettings, Security, SmtpSettings};
use tanggap::storage::Store;
use tanggap::storage::model::{ChannelSettings, NewUnit, Unit};

// --- Memory: the bytes this thread holds, and their peak -------------------------

/// The system allocator, counting what the current thread allocates, so a test can
/// measure the peak memory one call takes.
struct Counting;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    let _ = HELD.try_with(|held| {
        let now = held.get() + delta;
        held.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most heap it held at once, in bytes.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = HELD.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    let peak = PEAK.with(Cell::get) - start;
    (out, usize::try_from(peak).unwrap_or(0))
}

/// The memory one parse may take: a fixed part plus a multiple of the input. A
/// parser that amplifies (a part per nesting level copied whole, say) breaks this.
fn memory_bound(len: usize) -> usize {
    4 * 1024 * 1024 + 24 * len
}

// --- Arbitrary MIME ----------------------------------------------------------------

/// A few Message-IDs, so that messages collide and reply to each other.
const IDS: &[&str] = &["a@warga.test", "b@warga.test", "c@warga.test", "<>", ""];
const CHARSETS: &[&str] = &[
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "gb2312",
    "shift_jis",
    "big5",
    "koi8-r",
    "utf-16",
    "utf-7",
    "x-tidak-ada",
    "",
];
const ENCODINGS: &[&str] = &[
    "",
    "7bit",
    "8bit",
    "binary",
    "quoted-printable",
    "base64",
    "x-uuencode",
    "rusak",
];

/// One MIME part: text, an attachment, or a multipart of more parts.
#[derive(Debug, Clone)]
enum Part {
    Text {
        html: bool,
        charset: usize,
        encoding: usize,
        body: Vec<u8>,
    },
    File {
        name: String,
        encoding: usize,
        body: Vec<u8>,
    },
    Multi {
        subtype: &'static str,
        boundary: String,
        parts: Vec<Part>,
        closed: bool,
    },
}

fn text_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[\\PC\n]{0,200}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..300),
        "[A-Za-z0-9+/=\n]{0,200}".prop_map(String::into_bytes),
        "([A-Za-z ]{0,20}=[0-9A-Fa-fZ]{0,2}=?\n){0,10}".prop_map(String::into_bytes),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    let leaf = prop_oneof![
        (any::<bool>(), 0..CHARSETS.len(), 0..ENCODINGS.len(), text_bytes()).prop_map(
            |(html, charset, encoding, body)| Part::Text {
                html,
                charset,
                encoding,
                body
            }
        ),
        ("[\\PC\"\\\\/\r\n\u{7}\u{202e}]{0,30}", 0..ENCODINGS.len(), text_bytes())
            .prop_map(|(name, encoding, body)| Part::File { name, encoding, body }),
    ];
    leaf.prop_recursive(6, 40, 5, |inner| {
        (
            prop_oneof![
                Just("mixed"),
                Just("alternative"),
                Just("related"),
                Just("digest"),
                Just("report")
            ],
            "[a-z0-9'()+_,./:=? -]{0,20}",
            proptest::collection::vec(inner, 0..5),
            any::<bool>(),
        )
            .prop_map(|(subtype, boundary, parts, closed)| Part::Multi {
                subtype,
                boundary,
                parts,
                closed,
            })
    })
}

fn render(part: &Part, out: &mut Vec<u8>) {
    match part {
        Part::Text {
            html,
            charset,
            encoding,
            body,
        } => {
            let kind = if *html { "text/html" } else { "text/plain" };
            match CHARSETS[*charset] {
                "" => out.extend_from_slice(format!("Content-Type: {kind}\r\n").as_bytes()),
                c => out.extend_from_slice(format!("Content-Type: {kind}; charset=\"{c}\"\r\n").as_bytes()),
            }
            if !ENCODINGS[*encoding].is_empty() {
                out.extend_from_slice(format!("Content-Transfer-Encoding: {}\r\n", ENCODINGS[*encoding]).as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        Part::File { name, encoding, body } => {
            out.extend_from_slice(b"Content-Type: application/octet-stream\r\n");
            out.extend_from_slice(format!("Content-Disposition: attachment; filename=\"{name}\"\r\n").as_bytes());
            if !ENCODINGS[*encoding].is_empty() {
                out.extend_from_slice(format!("Content-Transfer-Encoding: {}\r\n", ENCODINGS[*encoding]).as_bytes());
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
            out.extend_from_slice(b"\r\n");
        }
        Part::Multi {
            subtype,
            boundary,
            parts,
            closed,
        } => {
            out.extend_from_slice(
                format!("Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\r\n\r\n").as_bytes(),
            );
            for p in parts {
                out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
                render(p, out);
            }
            if *closed {
                out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            }
        }
    }
}

/// Optional headers: each may be missing, empty, or hostile.
#[derive(Debug, Clone)]
struct Headers {
    from: Option<String>,
    subject: Option<String>,
    date: Option<String>,
    message_id: Option<usize>,
    in_reply_to: Option<usize>,
    extra: Vec<(String, String)>,
}

fn headers() -> impl Strategy<Value = Headers> {
    (
        proptest::option::of(prop_oneof![
            Just("Budi <budi@warga.test>".to_owned()),
            Just("=?utf-8?B?QnVkaQ==?= <budi@warga.test>".to_owned()),
            Just("pengaduan@dinas.test".to_owned()),
            "[\\PC<>@,;\"]{0,40}",
        ]),
        proptest::option::of(prop_oneof![
            "[\\PC]{0,80}",
            "=\\?(utf-8|gb2312|shift_jis|x-rusak)\\?[BQbq]\\?[A-Za-z0-9+/=_]{0,40}\\?=",
            Just("Re: ADU/2026/000001".to_owned()),
        ]),
        proptest::option::of(prop_oneof![
            Just("Fri, 13 Feb 1998 08:00:00 +0700".to_owned()),
            Just("Thu, 01 Jan 2099 08:00:00 +0700".to_owned()),
            "[\\PC]{0,40}",
        ]),
        proptest::option::of(0..IDS.len()),
        proptest::option::of(0..IDS.len()),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("Auto-Submitted".to_owned()),
                    Just("Precedence".to_owned()),
                    Just("References".to_owned()),
                    Just("X-Lain".to_owned()),
                    "[!-9;-~]{1,20}",
                ],
                "[\\PC]{0,60}",
            ),
            0..4,
        ),
    )
        .prop_map(|(from, subject, date, message_id, in_reply_to, extra)| Headers {
            from,
            subject,
            date,
            message_id,
            in_reply_to,
            extra,
        })
}

/// A whole message, then maybe cut short or with bytes changed.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        headers(),
        part(),
        proptest::option::of(0.0f64..1.0),
        proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..4),
    )
        .prop_map(|(h, body, cut, flips)| {
            let mut out = Vec::new();
            let mut header = |name: &str, value: &str| {
                out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            };
            if let Some(v) = &h.from {
                header("From", v);
            }
            if let Some(v) = &h.subject {
                header("Subject", v);
            }
            if let Some(v) = &h.date {
                header("Date", v);
            }
            if let Some(i) = h.message_id {
                header("Message-ID", &format!("<{}>", IDS[i]));
            }
            if let Some(i) = h.in_reply_to {
                header("In-Reply-To", &format!("<{}>", IDS[i]));
            }
            for (name, value) in &h.extra {
                header(name, value);
            }
            out.extend_from_slice(b"MIME-Version: 1.0\r\n");
            render(&body, &mut out);
            if let Some(cut) = cut {
                out.truncate((out.len() as f64 * cut) as usize);
            }
            let len = out.len();
            for (at, byte) in flips {
                if len > 0 {
                    out[((len as f64 * at) as usize).min(len - 1)] = byte;
                }
            }
            out
        })
}

// --- Checks --------------------------------------------------------------------------

/// The parser's promises on any bytes: no panic, bounded memory, bounded output.
fn check_parse(raw: &[u8]) {
    let (parsed, peak) = peak_of(|| ParsedMail::parse(raw, Utc::now()));
    assert!(
        peak <= memory_bound(raw.len()),
        "parsing {} bytes took {peak} bytes",
        raw.len()
    );
    assert!(parsed.subject.chars().count() <= 1_000);
    assert!(parsed.short_subject().chars().count() <= MAX_SUBJECT_CHARS);
    assert!(
        parsed.text.chars().count() <= DESCRIPTION_MAX + 12_000,
        "text of {} characters",
        parsed.text.chars().count()
    );
    assert!(!parsed.text.trim().is_empty(), "never an empty description");
    assert!(parsed.files.len() <= MAX_FILES);
    assert!(!parsed.key.is_empty());
    assert!(!parsed.subject.chars().any(char::is_control));
    assert_eq!(parsed.content_hash, content_hash(raw));
}

/// The database a fixture checks outcomes in, read directly (not through the store).
enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    /// Raw messages kept as attachments with this SHA-256.
    async fn kept(&self, sha: &str) -> i64 {
        let sql = "SELECT COUNT(*) FROM attachments WHERE content_type = $1 AND sha256 = $2";
        match self {
            Db::Sqlite(pool) => {
                sqlx::query_scalar(sql)
                    .bind(RAW_CONTENT_TYPE)
                    .bind(sha)
                    .fetch_one(pool)
                    .await
            }
            Db::Postgres(pool) => {
                sqlx::query_scalar(sql)
                    .bind(RAW_CONTENT_TYPE)
                    .bind(sha)
                    .fetch_one(pool)
                    .await
            }
        }
        .unwrap()
    }

    /// Whether the message with this UID was set aside.
    async fn set_aside(&self, uid: u32) -> bool {
        let sql = "SELECT COUNT(*) FROM mail_set_aside WHERE uid = $1";
        let n: i64 = match self {
            Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(i64::from(uid)).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(sql).bind(i64::from(uid)).fetch_one(pool).await,
        }
        .unwrap();
        n == 1
    }
}

/// One database with a unit taking email, shared by the cases of a run.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    _store: Arc<dyn Store>,
    db: Db,
    unit: Unit,
    settings: EmailSettings,
    intake: EmailIntake,
    next_uid: Mutex<u32>,
    stored_hashes: Mutex<HashSet<String>>,
    _dir: tempfile::TempDir,
}

/// Which database a fixture runs on.
#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The SQLite fixture, made once per run.
fn sqlite() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| make_fixture(Backend::Sqlite).expect("SQLite is always there"))
}

/// The PostgreSQL fixture, made once per run; `None` (the test is skipped) only
/// outside CI when `TANGGAP_TEST_POSTGRES_URL` is not set.
fn postgres() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE.get_or_init(|| make_fixture(Backend::Postgres)).as_ref()
}

/// A fresh PostgreSQL database for this run (databases of earlier runs that nobody
/// uses any more are dropped first: a static fixture is never dropped itself).
async fn fresh_postgres(admin_url: &str) -> String {
    let admin = sqlx::PgPool::connect(admin_url).await.expect("PostgreSQL reachable");
    let stale: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'tanggap_email_fuzz_%'")
            .fetch_all(&admin)
            .await
            .unwrap();
    for name in stale {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\""))
            .execute(&admin)
            .await;
    }
    let name = format!(
        "tanggap_email_fuzz_{}_{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let mut url = url::Url::parse(admin_url).expect("a PostgreSQL URL");
    url.set_path(&name);
    url.to_string()
}

fn make_fixture(backend: Backend) -> Option<Fixture> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite:{}", dir.path().join("fuzz.db").display()),
        Backend::Postgres => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            match std::env::var("TANGGAP_TEST_POSTGRES_URL") {
                Ok(admin) => runtime.block_on(fresh_postgres(&admin)),
                Err(_) if ci => panic!("CI=true: TANGGAP_TEST_POSTGRES_URL must name a PostgreSQL server"),
                Err(_) => {
                    eprintln!("skipped: TANGGAP_TEST_POSTGRES_URL is not set");
                    return None;
                }
            }
        }
    };
    let (store, db, unit, settings) = runtime.block_on(async {
        let store = tanggap::storage::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let id = store
            .create_unit(&NewUnit {
                code: "dinas-fuzz".into(),
                name: "Dinas Fuzz".into(),
                short_name: "FUZZ".into(),
                address: String::new(),
                city: "Dumai".into(),
                phone: String::new(),
                email: "humas@dinas.test".into(),
                time_zone: "Asia/Jakarta".into(),
                letterhead: vec![],
                head_title: String::new(),
                head_name: String::new(),
                head_nip: String::new(),
                complaint_channels: vec![Channel::Email],
            })
            .await
            .unwrap();
        let settings = EmailSettings {
            imap: ImapSettings {
                host: "127.0.0.1".into(),
                port: 1,
                security: Security::Plain,
                user: "pengaduan@dinas.test".into(),
                password: "x".into(),
                folder: "INBOX".into(),
                poll_seconds: 60,
            },
            smtp: SmtpSettings {
                host: "127.0.0.1".into(),
                port: 1,
                security: Security::Plain,
                user: String::new(),
                password: String::new(),
            },
            from_address: "pengaduan@dinas.test".into(),
            from_name: "Pengaduan".into(),
        };
        store
            .set_channel_settings(&ChannelSettings {
                unit_id: id,
                channel: "email".into(),
                config: serde_json::to_value(&settings).unwrap(),
                enabled: true,
            })
            .await
            .unwrap();
        let unit = store.unit_by_code("dinas-fuzz").await.unwrap().unwrap();
        let db = match backend {
            Backend::Sqlite => Db::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap()),
            Backend::Postgres => Db::Postgres(sqlx::PgPool::connect(&url).await.unwrap()),
        };
        (store, db, unit, settings)
    });
    let intake = EmailIntake::new(store.clone(), None, "fuzz".into()).with_max_message_bytes(48 * 1024);
    Some(Fixture {
        runtime,
        _store: store,
        db,
        unit,
        settings,
        intake,
        next_uid: Mutex::new(0),
        stored_hashes: Mutex::new(HashSet::new()),
        _dir: dir,
    })
}

/// Takes `raw` as the next message of the fuzz mailbox and checks the outcome against
/// the database: stored (its raw bytes kept once more) or set aside (a row for its
/// UID), never both, never neither (a repeat must repeat something stored).
fn check_take(f: &Fixture, raw: &[u8]) -> Ingested {
    let uid = {
        let mut next = f.next_uid.lock().unwrap();
        *next += 1;
        *next
    };
    f.runtime.block_on(async {
        let sha = hex_sha256(raw);
        let before = f.db.kept(&sha).await;
        let place = MailPlace {
            mailbox: "pengaduan@dinas.test@127.0.0.1:1/INBOX",
            uid_validity: 1,
            uid,
            size: i64::try_from(raw.len()).unwrap(),
        };
        let outcome = f
            .intake
            .take(&f.unit, &f.settings, &place, raw, Utc::now())
            .await
            .unwrap_or_else(|e| panic!("the database is up, so nothing may fail: {e}"));
        let after = f.db.kept(&sha).await;
        let aside = f.db.set_aside(uid).await;
        let hash = content_hash(raw);
        match &outcome {
            Ingested::Complaint { .. } | Ingested::Reply { .. } => {
                assert_eq!(after, before + 1, "stored with its raw bytes: {outcome:?}");
                assert!(!aside, "stored and set aside");
                f.stored_hashes.lock().unwrap().insert(hash);
            }
            Ingested::Duplicate => {
                assert_eq!(after, before, "a repeat stores nothing");
                assert!(!aside, "a repeat is not set aside");
                assert!(
                    f.stored_hashes.lock().unwrap().contains(&hash),
                    "a repeat of nothing stored: the message would be lost"
                );
            }
            Ingested::SetAside { reason } => {
                assert!(aside, "set aside without a record");
                assert!(tanggap::storage::mail::SET_ASIDE_REASONS.contains(reason));
                assert_eq!(after, before, "set aside and stored");
            }
        }
        outcome
    })
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every corpus message, in name order (a redelivery comes after its original).
fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/mail");
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    paths.retain(|p| p.extension().is_some_and(|x| x == "eml"));
    paths.sort();
    assert!(paths.len() >= 30, "the corpus is there");
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn the_corpus_parses_within_bounds_and_is_each_stored_or_set_aside() {
    for raw in corpus() {
        check_parse(&raw);
        check_take(sqlite(), &raw);
    }
}

#[test]
fn the_corpus_is_each_stored_or_set_aside_on_postgres() {
    let Some(f) = postgres() else { return };
    for raw in corpus() {
        check_take(f, &raw);
    }
}

#[test]
fn thousands_of_parts_stay_within_bounds() {
    let mut raw = String::from("From: a@warga.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    for i in 0..2_000 {
        raw.push_str(&format!(
            "--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"catatan-{i}.txt\"\r\n\r\nx\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nBagian {i}\r\n"
        ));
    }
    raw.push_str("--b--\r\n");
    check_parse(raw.as_bytes());
}

#[test]
fn a_message_over_the_limit_is_set_aside() {
    let raw = format!(
        "From: a@warga.test\r\nMessage-ID: <besar@warga.test>\r\n\r\n{}",
        "x".repeat(64 * 1024)
    );
    assert_eq!(
        check_take(sqlite(), raw.as_bytes()),
        Ingested::SetAside { reason: "too_large" }
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_mime_never_panics_and_stays_bounded(raw in message()) {
        check_parse(&raw);
    }

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check_parse(&raw);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(96), ..ProptestConfig::default() })]

    #[test]
    fn every_message_is_stored_or_set_aside_never_both(raw in message(), again in any::<bool>()) {
        let first = check_take(sqlite(), &raw);
        if again && matches!(first, Ingested::Complaint { .. } | Ingested::Reply { .. }) {
            // The same bytes delivered again (a new UID): a repeat, nothing stored.
            prop_assert_eq!(check_take(sqlite(), &raw), Ingested::Duplicate);
        }
    }
}

proptest! {
    // Fewer cases: each one is several round trips to a PostgreSQL server.
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    #[test]
    fn every_message_is_stored_or_set_aside_never_both_on_postgres(raw in message(), again in any::<bool>()) {
        let Some(f) = postgres() else { return Ok(()) };
        let first = check_take(f, &raw);
        if again && matches!(first, Ingested::Complaint { .. } | Ingested::Reply { .. }) {
            prop_assert_eq!(check_take(f, &raw), Ingested::Duplicate);
        }
    }
}
