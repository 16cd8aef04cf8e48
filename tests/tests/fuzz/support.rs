//! What every fuzz target shares: the real router in process (no socket, so a case
//! costs a database write, not a connection), a probe that counts what the database
//! holds, the case budget, and the corpus of inputs that once failed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use proptest::test_runner::{Config, TestRunner};
use tanggap::i18n::{Lang, t};
use tanggap::storage::Store;
use tanggap_tests::TestDb;
use tower::ServiceExt as _;

/// A fresh database of either kind, for the `_sqlite` / `_postgres` pair of a target.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database on `TANGGAP_TEST_POSTGRES_URL`.
    Postgres,
}

impl Db {
    /// The database, or `None` when PostgreSQL is not configured outside CI.
    pub async fn open(self) -> Option<TestDb> {
        match self {
            Db::Sqlite => Some(TestDb::sqlite().await),
            Db::Postgres => TestDb::postgres().await,
        }
    }
}

/// A runtime the property closures block on: proptest's runner is synchronous.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Cases per target: `PROPTEST_CASES` when set (the long run of `scripts/fuzz.sh`),
/// else `ci` (sized so that all targets together stay within the CI budget).
pub fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ci)
}

/// A runner with `cases(ci)` cases, a bounded shrink (every step of a shrink is a
/// database round trip) and a seed from `PROPTEST_SEED` when given, so a failure
/// printed by a long run can be replayed.
pub fn runner(ci: u32) -> TestRunner {
    let config = Config {
        cases: cases(ci),
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    };
    match std::env::var("PROPTEST_SEED").ok().and_then(|s| s.parse::<u64>().ok()) {
        Some(seed) => {
            let mut bytes = [0u8; 32];
            bytes[..8].copy_from_slice(&seed.to_le_bytes());
            TestRunner::new_with_rng(
                config,
                proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &bytes),
            )
        }
        None => TestRunner::new(config),
    }
}

/// Runs a property to its end; a failure panics with the smallest input found, so
/// it can go into the corpus.
pub fn check<S: proptest::strategy::Strategy>(
    name: &str,
    mut runner: TestRunner,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let started = std::time::Instant::now();
    let cases = runner.config().cases;
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{name}: {e}");
    }
    eprintln!(
        "{name}: {cases} cases passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// What a generator (or a corpus file's name) says about an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Well-formed and valid: must be stored.
    Stored,
    /// Must be refused with a reason, nothing stored.
    Refused,
    /// Anything, as long as the answer and the database agree.
    Either,
}

impl Expect {
    /// From a corpus file's name: `accept-*`, `refuse-*`, anything else.
    pub fn of_corpus_file(name: &str) -> Expect {
        if name.starts_with("accept-") {
            Expect::Stored
        } else if name.starts_with("refuse-") {
            Expect::Refused
        } else {
            Expect::Either
        }
    }
}

/// Runs a target's property on `db`: `arrange` makes the app (None: PostgreSQL is
/// not configured outside CI), then `ci` cases (or `PROPTEST_CASES`) of `strategy`
/// go through `test`.
pub fn fuzz_target<A, S: proptest::strategy::Strategy>(
    db: Db,
    name: &str,
    ci: u32,
    arrange: impl AsyncFnOnce(Db) -> Option<A>,
    strategy: S,
    test: impl AsyncFn(&A, S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let rt = runtime();
    let Some(app) = rt.block_on(arrange(db)) else {
        return;
    };
    check(&format!("{name} on {db:?}"), runner(ci), strategy, |value| {
        rt.block_on(test(&app, value))
    });
}

/// Replays `tests/corpus/{parser}/` on `db` through `test`, with what each file's
/// name says is expected of it.
pub fn replay_corpus<A>(
    db: Db,
    parser: &str,
    arrange: impl AsyncFnOnce(Db) -> Option<A>,
    test: impl AsyncFn(&A, &CorpusEntry, Expect) -> Result<(), proptest::test_runner::TestCaseError>,
) {
    let rt = runtime();
    let Some(app) = rt.block_on(arrange(db)) else {
        return;
    };
    for entry in corpus(parser) {
        let expect = Expect::of_corpus_file(&entry.name);
        if let Err(e) = rt.block_on(test(&app, &entry, expect)) {
            panic!("corpus/{parser}/{}: {e}", entry.name);
        }
    }
}

/// Two tests calling `$run` with each database: `$sqlite` and `$postgres`.
macro_rules! on_both_databases {
    ($sqlite:ident, $postgres:ident, $run:path) => {
        #[test]
        fn $sqlite() {
            $run($crate::support::Db::Sqlite);
        }

        #[test]
        fn $postgres() {
            $run($crate::support::Db::Postgres);
        }
    };
}
pub(crate) use on_both_databases;

/// The real application router over `db`, without a socket: every request goes
/// through every middleware (sessions, CSRF, body limits, error pages) as on a
/// server. Rate limits are wide: the fuzz sends thousands of posts from one address.
pub struct InProcess {
    /// The router.
    pub router: Router,
    /// The app's store.
    pub store: Arc<dyn Store>,
    /// Counts rows behind the app's back.
    pub probe: Probe,
    /// Kept alive until the end of the test.
    pub _db: TestDb,
}

impl InProcess {
    /// The app over `db`.
    pub async fn new(db: TestDb) -> InProcess {
        let config = tanggap::config::Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            database_url: db.url.clone().into(),
            public_rate_per_minute: 10_000_000,
            ..tanggap::config::Config::default()
        };
        let store = db.store.clone();
        let state = tanggap::web::AppState {
            survey: Arc::new(tanggap::survey::SurveyDesk::new(store.clone())),
            images: Arc::new(tanggap::web::ImageCache::default()),
            limits: Arc::new(tanggap::web::RateLimits::new(&config)),
            config: Arc::new(config),
            store: store.clone(),
        };
        InProcess {
            router: tanggap::web::router(state),
            probe: Probe::connect(&db.url).await,
            store,
            _db: db,
        }
    }

    /// Sends one request as if from 192.0.2.1: status, headers and the whole body.
    pub async fn send(&self, mut request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let peer: SocketAddr = "192.0.2.1:40000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        (status, headers, body)
    }
}

/// A browser post's answer, and the row counts before and after it.
pub struct Posted {
    /// The status.
    pub status: StatusCode,
    /// Where a redirect points.
    pub location: Option<String>,
    /// The page, as text.
    pub page: String,
    /// Row counts before the post.
    pub before: Snapshot,
    /// Row counts after the answer.
    pub after: Snapshot,
}

impl InProcess {
    /// Sends `request` with `body` (and `content_type`, when given) and counts rows
    /// around it; a 5xx is a failure whatever the input.
    pub async fn post_counted(
        &self,
        mut request: axum::http::request::Builder,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Posted, proptest::test_runner::TestCaseError> {
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let before = self.probe.snapshot().await;
        let (status, headers, page) = self.send(request.body(Body::from(body)).unwrap()).await;
        let after = self.probe.snapshot().await;
        let page = String::from_utf8_lossy(&page).into_owned();
        if status.is_server_error() {
            return Err(proptest::test_runner::TestCaseError::fail(format!("{status}: {page}")));
        }
        let location = headers.get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        Ok(Posted {
            status,
            location,
            page,
            before,
            after,
        })
    }
}

/// Direct SQL on the app's database, to count rows the way no handler does.
pub enum Probe {
    /// SQLite.
    Sqlite(sqlx::SqlitePool),
    /// PostgreSQL.
    Postgres(sqlx::PgPool),
}

impl Probe {
    /// Connects to `url` (one connection is enough).
    pub async fn connect(url: &str) -> Probe {
        if url.starts_with("sqlite:") {
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().expect("sqlite url");
            Probe::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.busy_timeout(std::time::Duration::from_secs(30)))
                    .await
                    .expect("probe connects"),
            )
        } else {
            Probe::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                    .expect("probe connects"),
            )
        }
    }

    /// The one integer a query answers (a count).
    pub async fn int(&self, sql: &str) -> i64 {
        match self {
            Probe::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Probe::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one integer a query answers, with a text bound to `$1` and a time to
    /// `$2` (encoded as the app encodes times, so comparisons hold on both databases).
    pub async fn int_with(&self, sql: &str, text: &str, at: chrono::DateTime<chrono::Utc>) -> i64 {
        match self {
            Probe::Sqlite(p) => sqlx::query_scalar(sql).bind(text).bind(at).fetch_one(p).await,
            Probe::Postgres(p) => sqlx::query_scalar(sql).bind(text).bind(at).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Runs a statement (arranging state as staff would, e.g. closing complaints).
    pub async fn execute(&self, sql: &str) {
        match self {
            Probe::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            Probe::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The text column a query answers, one value a row.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            Probe::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await,
            Probe::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Rows in the tables an input can change.
    pub async fn snapshot(&self) -> Snapshot {
        Snapshot {
            complaints: self.int("SELECT COUNT(*) FROM complaints").await,
            messages: self.int("SELECT COUNT(*) FROM complaint_messages").await,
            events: self.int("SELECT COUNT(*) FROM complaint_events").await,
            attachments: self.int("SELECT COUNT(*) FROM attachments").await,
            outbox: self.int("SELECT COUNT(*) FROM outbox").await,
            survey_responses: self.int("SELECT COUNT(*) FROM survey_responses").await,
            lapor_reports: self.int("SELECT COUNT(*) FROM lapor_reports").await,
        }
    }
}

/// Row counts of the tables an input can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// Complaints.
    pub complaints: i64,
    /// Thread messages.
    pub messages: i64,
    /// Control-card entries.
    pub events: i64,
    /// Attachments.
    pub attachments: i64,
    /// Outgoing messages.
    pub outbox: i64,
    /// Survey responses.
    pub survey_responses: i64,
    /// LAPOR! status rows.
    pub lapor_reports: i64,
}

/// A file of the corpus: its name (which says what is expected of it) and bytes.
pub struct CorpusEntry {
    /// The file name, e.g. `refuse-nul-in-text.json`.
    pub name: String,
    /// The input.
    pub bytes: Vec<u8>,
}

/// Every file under `tests/corpus/{parser}/`, sorted by name. Panics when there
/// are none: a corpus that silently vanished would make its replay pass vacuously.
pub fn corpus(parser: &str) -> Vec<CorpusEntry> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus").join(parser);
    let mut entries: Vec<CorpusEntry> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .map(|p| CorpusEntry {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            bytes: std::fs::read(&p).expect("corpus file"),
        })
        .collect();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(!entries.is_empty(), "no corpus in {}", dir.display());
    entries
}

/// A corpus file in the `.http` form: the first line is the request's
/// `Content-Type` (empty for none), the rest is the body, byte for byte.
pub fn split_http(bytes: &[u8]) -> (String, Vec<u8>) {
    let end = bytes.iter().position(|b| *b == b'\n').unwrap_or(bytes.len());
    let content_type = String::from_utf8_lossy(&bytes[..end]).trim_end_matches('\r').to_owned();
    (content_type, bytes.get(end + 1..).unwrap_or_default().to_vec())
}

/// True when `html` is a page in Bahasa Indonesia that says one of `keys`
/// (translations of `server/locales/id.toml`).
pub fn indonesian_page_saying(html: &str, keys: &[&str]) -> bool {
    html.contains("<html lang=\"id\"") && keys.iter().any(|k| html.contains(&escape(t(Lang::Id, k))))
}

/// Checks an answer that is not a success: a client error, a page in Bahasa
/// Indonesia saying one of `keys`, nothing changed, and not for an input known to
/// be valid.
pub fn refused(
    status: StatusCode,
    page: &str,
    (before, after): (Snapshot, Snapshot),
    expect: Expect,
    keys: &[&str],
) -> Result<(), proptest::test_runner::TestCaseError> {
    let fail = |m: String| Err(proptest::test_runner::TestCaseError::fail(m));
    if after != before {
        return fail(format!("{status} but {before:?} -> {after:?}"));
    }
    if !status.is_client_error() || !indonesian_page_saying(page, keys) {
        return fail(format!("refused without a page in Indonesian: {status} {page}"));
    }
    if expect == Expect::Stored {
        return fail(format!("a valid input was refused: {status} {page}"));
    }
    Ok(())
}

/// The HTML escaping askama applies to text, for finding a translation in a page.
pub fn escape(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Bytes of an input, shown in a failure as escaped text (cut after 2,000 bytes)
/// rather than as a list of numbers, so the input can be copied into the corpus.
#[derive(Clone, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = &self.0[..self.0.len().min(2000)];
        write!(f, "b\"{}\"", shown.escape_ascii())?;
        if self.0.len() > shown.len() {
            write!(f, "… ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}
