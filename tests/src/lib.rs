//! End-to-end test harness: fresh databases, the real app on port 0, a real browser.
//!
//! Every later issue's tests reuse these pieces:
//! - [`TestDb::sqlite`] and [`TestDb::postgres`] give a fresh, migrated database that
//!   is removed afterwards. PostgreSQL is used when `TANGGAP_TEST_POSTGRES_URL` is set;
//!   under `CI=true` its absence is a failure, not a skip.
//! - [`spawn_app`] starts the real router on 127.0.0.1:0 against such a database.
//! - [`Browser`] drives Debian's headless Chromium through chromedriver.

pub mod browser;
pub mod mail;
pub mod providers;
pub mod serve;

use std::net::SocketAddr;
use std::sync::Arc;

use tanggap::config::Config;
use tanggap::storage::{self, Store};
use tokio::sync::oneshot;

pub use browser::Browser;

/// A unit for a test: code `code`, named "Dinas {code}", in Dumai (Asia/Jakarta),
/// taking complaints on the website. Tests change what matters to them with struct
/// update syntax (`NewUnit { city: .., ..test_unit("x") }`), so the fixture is written
/// once.
pub fn test_unit(code: &str) -> tanggap::storage::model::NewUnit {
    tanggap::storage::model::NewUnit {
        code: code.into(),
        name: format!("Dinas {code}"),
        short_name: code.into(),
        address: String::new(),
        city: "Dumai".into(),
        phone: String::new(),
        email: String::new(),
        time_zone: "Asia/Jakarta".into(),
        letterhead: vec![],
        head_title: String::new(),
        head_name: String::new(),
        head_nip: String::new(),
        complaint_channels: vec![tanggap::domain::Channel::Website],
    }
}

/// A citizen's complaint for a test: "Bantuan sosial belum cair" from Siti, on the
/// website, received at `received_at`. Tests change what matters to them with
/// struct update syntax, as with [`test_unit`].
pub fn test_complaint(
    unit_id: i64,
    received_at: chrono::DateTime<chrono::Utc>,
) -> tanggap::storage::model::NewComplaint {
    tanggap::storage::model::NewComplaint {
        unit_id,
        channel: tanggap::domain::Channel::Website,
        channel_ref: None,
        channel_detail: None,
        received_at,
        recorded_by: None,
        complainant: tanggap::storage::model::Complainant {
            name: Some("Siti".into()),
            ..Default::default()
        },
        anonim: false,
        rahasia: false,
        subject: "Bantuan sosial belum cair".into(),
        description: "Sudah tiga bulan bantuan belum diterima.".into(),
        event_place: None,
        event_date: None,
        klasifikasi: tanggap::domain::Klasifikasi::Pengaduan,
        service_id: None,
    }
}

/// Takes a recorded complaint the whole way to `dijawab`: verified, classified to
/// `division` and `assignee`, dispositioned and answered, every step dated `at` and
/// moved by `actor`. The start of every auto-close and reply test.
pub async fn answer_complaint(
    store: &dyn Store,
    unit_id: i64,
    complaint_id: i64,
    division: Option<i64>,
    assignee: Option<i64>,
    actor: Option<i64>,
    at: chrono::DateTime<chrono::Utc>,
) {
    use tanggap::domain::ComplaintStatus;
    let step = |to| tanggap::storage::triage::StatusMove {
        unit_id,
        complaint_id,
        to,
        actor_id: actor,
        note: "Sudah kami tindak lanjuti.".into(),
        at,
        expected_from: None,
        notify: Vec::new(),
    };
    store
        .move_complaint(&step(ComplaintStatus::Terverifikasi))
        .await
        .unwrap()
        .unwrap();
    assign_complaint(store, unit_id, complaint_id, division, assignee, at).await;
    for to in [ComplaintStatus::Didisposisikan, ComplaintStatus::Dijawab] {
        store.move_complaint(&step(to)).await.unwrap().unwrap();
    }
}

/// Classifies a complaint as a pengaduan held by `division` and `assignee` (no bobot,
/// so no deadline), dated `at`: what a disposition needs first.
pub async fn assign_complaint(
    store: &dyn Store,
    unit_id: i64,
    complaint_id: i64,
    division: Option<i64>,
    assignee: Option<i64>,
    at: chrono::DateTime<chrono::Utc>,
) {
    store
        .classify_complaint(&tanggap::storage::triage::Classification {
            unit_id,
            complaint_id,
            klasifikasi: tanggap::domain::Klasifikasi::Pengaduan,
            jenis_id: None,
            service_id: None,
            division_id: division,
            bobot: None,
            assignee_id: assignee,
            first_answer_due_at: None,
            due_at: None,
            actor_id: None,
            at,
            note: String::new(),
        })
        .await
        .unwrap()
        .unwrap();
}

/// The rows of `sql` on the test database at `url` (SQLite or PostgreSQL), read
/// straight from it: for checking what no store method lists (every outbox row).
pub async fn fetch_rows<T>(url: &str, sql: &str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + Send
        + Unpin,
{
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    }
}

/// Runs `sql` on the test database at `url` behind the store's back, as an
/// operator editing the database by hand would; returns the rows it changed.
pub async fn execute_sql(url: &str, sql: &str) -> u64 {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let done = sqlx::query(sql).execute(&pool).await.unwrap().rows_affected();
        pool.close().await;
        done
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let done = sqlx::query(sql).execute(&pool).await.unwrap().rows_affected();
        pool.close().await;
        done
    }
}

/// True when running in CI, where every external service must be present.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A fresh database for one test, dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    /// URL the app connects with.
    pub url: String,
    /// The migrated store.
    pub store: Arc<dyn Store>,
    pg_drop: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A new SQLite file in a temporary folder.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("tanggap.db").display());
        let store = storage::connect(&url).await.expect("open sqlite");
        store.migrate().await.expect("migrate sqlite");
        TestDb {
            url,
            store,
            pg_drop: None,
            _dir: Some(dir),
        }
    }

    /// A copy of an existing SQLite file (a fixture) in a temporary folder, opened but
    /// not migrated, so a test can watch its migrations run.
    pub async fn sqlite_copy_of(file: &std::path::Path) -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tanggap.db");
        std::fs::copy(file, &path).unwrap_or_else(|e| panic!("copy {}: {e}", file.display()));
        let url = format!("sqlite:{}", path.display());
        let store = storage::connect(&url).await.expect("open sqlite");
        TestDb {
            url,
            store,
            pg_drop: None,
            _dir: Some(dir),
        }
    }

    /// A new PostgreSQL database on the server `TANGGAP_TEST_POSTGRES_URL` names, or
    /// `None` when that is unset outside CI. Panics under `CI=true` when PostgreSQL is
    /// not configured or not reachable.
    pub async fn postgres() -> Option<TestDb> {
        let db = TestDb::postgres_blank().await?;
        db.store.migrate().await.expect("migrate postgres");
        Some(db)
    }

    /// Like [`TestDb::postgres`], but not migrated: an empty database to load a
    /// dump into (upgrade and restore tests), or to migrate later.
    pub async fn postgres_blank() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("TANGGAP_TEST_POSTGRES_URL") else {
            assert!(
                !in_ci(),
                "CI=true but TANGGAP_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI"
            );
            eprintln!("skipping PostgreSQL: TANGGAP_TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!("tanggap_test_{}", random_suffix());
        let admin = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at TANGGAP_TEST_POSTGRES_URL is not reachable: {e}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("TANGGAP_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        let url = url.to_string();
        let store = storage::connect(&url).await.expect("open postgres");
        Some(TestDb {
            url,
            store,
            pg_drop: Some((admin_url, name)),
            _dir: None,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg_drop.take() {
            // Drop runs outside any runtime guarantee: use a private one on a thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(admin) = sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .connect(&admin_url)
                        .await
                    {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&admin)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..12).map(|_| (b'a' + rng.random_range(0..26)) as char).collect()
}

/// The real application, serving on a loopback port, until dropped.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The bound socket.
    pub addr: SocketAddr,
    /// A client that keeps cookies and does not follow redirects (tests look at them).
    pub client: reqwest::Client,
    /// The app's store, for arranging data and checking what was stored.
    pub store: Arc<dyn Store>,
    shutdown: Option<oneshot::Sender<()>>,
    _db: TestDb,
}

/// Starts the app on port 0 against `db`, with rate limits loose enough for tests
/// that log in many times (the rate-limit test sets its own).
pub async fn spawn_app(db: TestDb) -> TestApp {
    spawn_app_with(db, |c| c.public_rate_per_minute = 6_000).await
}

/// Starts the app on port 0 against `db`, after `adjust` has changed the configuration.
pub async fn spawn_app_with(db: TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: db.url.clone().into(),
        ..Config::default()
    };
    adjust(&mut config);
    let server = tanggap::server::Server::bind(config, db.store.clone())
        .await
        .expect("bind");
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server.run_until(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        address: format!("http://{addr}"),
        addr,
        client,
        store: db.store.clone(),
        shutdown: Some(tx),
        _db: db,
    }
}

/// A browser-like client: its own cookie jar and the CSRF token its pages carry.
pub struct Actor {
    /// Keeps cookies, follows no redirects.
    pub client: reqwest::Client,
    /// Token to send with state-changing requests.
    pub csrf: String,
    base: String,
}

/// Reads the CSRF token out of a page's hidden form field.
pub fn csrf_in(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(html[start..].split('"').next()?.to_owned())
}

/// A client like a browser's: keeps cookies, follows no redirects.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl Actor {
    /// GET a path: status, Location header and body.
    pub async fn get(&self, path: &str) -> (u16, Option<String>, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        (r.status().as_u16(), location, r.text().await.expect("body"))
    }

    /// GET a file: status, content type and the raw bytes (PDF, XLSX, PNG).
    pub async fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            r.status().as_u16(),
            content_type,
            r.bytes().await.expect("body").to_vec(),
        )
    }

    /// POST a form with this actor's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let mut form: Vec<(&str, &str)> = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// The absolute URL of a path on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POST a multipart form (with files) to `path?csrf=TOKEN`, as the complaint forms
    /// do: status, Location header and body.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> (u16, Option<String>, String) {
        let r = self
            .client
            .post(format!("{}{path}?csrf={}", self.base, self.csrf))
            .multipart(form)
            .send()
            .await
            .expect("request");
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        (r.status().as_u16(), location, r.text().await.expect("body"))
    }

    /// POST a form exactly as given (no CSRF token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("request");
        let location = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        (r.status().as_u16(), location, r.text().await.expect("body"))
    }
}

/// A visitor without a session of the server at `base` (`http://HOST:PORT`), holding
/// the login page's CSRF cookie and token like a real browser.
pub async fn anonymous_at(base: &str) -> Actor {
    let client = new_client();
    let body = client
        .get(format!("{base}/masuk"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    Actor {
        client,
        csrf: csrf_in(&body).expect("login page has a CSRF token"),
        base: base.to_owned(),
    }
}

/// Logs in to the server at `base` through the login form; panics if that fails.
pub async fn login_at(base: &str, username: &str, password: &str) -> Actor {
    let anon = anonymous_at(base).await;
    let (status, location, body) = anon
        .post("/masuk", &[("username", username), ("password", password)])
        .await;
    assert_eq!(status, 303, "login of {username} failed: {body}");
    assert_eq!(location.as_deref(), Some("/staf"));
    let (_, _, page) = anon.get("/akun").await;
    Actor {
        csrf: csrf_in(&page).expect("account page has a CSRF token"),
        ..anon
    }
}

impl TestApp {
    /// The database URL the app runs on (for tests that check the database directly).
    pub fn _db_url(&self) -> String {
        self._db.url.clone()
    }

    /// A visitor without a session (it has fetched the login page, so it holds a
    /// CSRF cookie and token like a real browser).
    pub async fn anonymous(&self) -> Actor {
        anonymous_at(&self.address).await
    }

    /// Logs in through the login form; panics if that fails.
    pub async fn login(&self, username: &str, password: &str) -> Actor {
        login_at(&self.address, username, password).await
    }

    /// GET a path and return status and body.
    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Gives `unit_id` an API token named `name` whose secret is `secret`, holding every
/// scope a token can hold (`tanggap::auth::API_SCOPES`).
pub async fn token_with_every_scope(store: &dyn Store, unit_id: i64, name: &str, secret: &str) {
    let scopes: Vec<String> = tanggap::auth::API_SCOPES.iter().map(|s| s.to_string()).collect();
    store
        .create_api_token(unit_id, name, &tanggap::auth::hash_secret(secret), &scopes, None)
        .await
        .expect("create the API token");
}

/// Creates a staff account `username` (full name "Petugas", password `password`)
/// holding `roles` in the unit with code `unit`; returns the unit's id.
pub async fn add_staff(
    store: &dyn Store,
    unit: &str,
    username: &str,
    password: &str,
    roles: &[tanggap::domain::Role],
) -> i64 {
    let unit = store.unit_by_code(unit).await.unwrap().expect("the unit exists");
    store
        .create_user(&tanggap::storage::model::NewUser {
            username: username.into(),
            full_name: "Petugas".into(),
            password_hash: tanggap::passwords::hash(password).unwrap(),
            roles: roles.iter().map(|r| (unit.id, *r)).collect(),
        })
        .await
        .unwrap();
    unit.id
}

/// Small demo options for tests: fast, deterministic.
pub fn small_demo() -> tanggap::demo::DemoOptions {
    tanggap::demo::DemoOptions {
        seed: 7,
        complaints: 300,
        responses: 2_000,
        end_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    }
}

/// Two reports are the same group for group: every count, sum and figure equal;
/// the printed interval bounds (and the noise of a change, built from them) within
/// one unit of the last printed decimal, since the cells' sum of squares is exact
/// in integers and the responses' is summed in floats.
pub fn assert_same_report(got: &serde_json::Value, want: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (got, want) {
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{path}");
            for (k, v) in a {
                assert_same_report(v, &b[k], &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same_report(x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(a), Value::Number(b)) if path.contains(".ci.") || path.ends_with(".noise") => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 0.0100001, "{path}: {a} vs {b}");
        }
        (Value::Bool(_), Value::Bool(_)) if path.ends_with(".exceeds_noise") => {}
        (a, b) => assert_eq!(a, b, "{path}"),
    }
}

/// A used-once survey invite (`TRANSACTION`, sent by SMS) of a unit's service; its id.
pub async fn test_invite(store: &dyn Store, unit_id: i64, service_id: Option<i64>, reference: &str) -> i64 {
    store
        .create_survey_invite(
            &tanggap::storage::survey_admin::NewSurveyInvite {
                unit_id,
                service_id,
                token_hash: tanggap::auth::hash_secret(reference),
                transaction_ref: reference.into(),
                channel: "sms".into(),
            },
            &tanggap::storage::model::NewOutbox {
                unit_id: Some(unit_id),
                complaint_id: None,
                channel: "sms".into(),
                recipient: "081200000000".into(),
                subject: None,
                body: "undangan".into(),
                headers: Default::default(),
                dedupe_key: format!("uji-{reference}"),
            },
        )
        .await
        .unwrap()
}

/// An outbox sender for tests: 3 attempts, a first retry after 60 s, a 5 s timeout,
/// so a test reaches a retry or a give-up by passing a later `now` to `run_pass`.
pub fn test_sender(store: &Arc<dyn Store>) -> tanggap::notify::OutboxSender {
    tanggap::notify::OutboxSender::new(
        store.clone(),
        tanggap::notify::SenderOptions {
            max_attempts: 3,
            first_retry: std::time::Duration::from_secs(60),
            timeout: std::time::Duration::from_secs(5),
            ..tanggap::notify::SenderOptions::default()
        },
    )
}

/// Runs a test body against SQLite and, when available, PostgreSQL. Expands to two
/// `#[tokio::test]` functions, `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::sqlite().await;
                ($body)(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::TestDb::postgres().await else {
                    return;
                };
                ($body)(db).await;
            }
        }
    };
}
