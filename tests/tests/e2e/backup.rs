//! Moving a database (issue 22): the PostgreSQL `pg_dump -Fc` / `pg_restore` round
//! trip that docs/operations.md prescribes, and `tanggap export sqlite-to-postgres`.
//! Each checks what the application answers afterwards, not only what the tables hold.

use clap::Parser;
use tanggap::domain::Role;
use tanggap::storage::model::NewUser;
use tanggap_tests::{TestApp, TestDb, small_demo, spawn_app};

const UNIT: &str = "dinsospm-dumai";
const PASSWORD: &str = "kata-sandi-pindah-2026";
const SECRET: &str = "token-statistik-pindah";

/// What the application answers about its data: row counts per table, every
/// complaint's public status by tracking code, and the IKM per service and month.
#[derive(Debug, PartialEq)]
pub struct Answers {
    /// (table, rows), by table name.
    pub counts: Vec<(String, i64)>,
    /// `GET /api/v1/tracking/{code}` for every complaint, in id order.
    pub tracking: Vec<serde_json::Value>,
    /// `GET /api/v1/ikm?unit=...&group_by=service,month`.
    pub ikm: serde_json::Value,
}

/// Every application table (those PostgreSQL has; SQLite adds only its full-text
/// index), by name.
async fn tables(pg_url: &str) -> Vec<String> {
    let pool = sqlx::PgPool::connect(pg_url).await.unwrap();
    let names = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    names
}

/// Runs `$body` with `$pool` open on the database `$url` names, either engine.
macro_rules! on_pool {
    ($url:expr, |$pool:ident| $body:expr) => {
        if $url.starts_with("postgres") {
            let $pool = sqlx::PgPool::connect($url).await.unwrap();
            let out = $body;
            $pool.close().await;
            out
        } else {
            let $pool = sqlx::SqlitePool::connect($url).await.unwrap();
            let out = $body;
            $pool.close().await;
            out
        }
    };
}

/// Rows per table and the tracking codes in id order, read from either engine.
async fn counts_and_codes(url: &str, tables: &[String]) -> (Vec<(String, i64)>, Vec<String>) {
    on_pool!(url, |pool| {
        let mut counts = Vec::new();
        for t in tables {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {t}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            counts.push((t.clone(), n));
        }
        let codes = sqlx::query_scalar("SELECT tracking_code FROM complaints ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        (counts, codes)
    })
}

/// The newest migration applied to the database at `url`, either engine.
pub async fn migration_level(url: &str) -> i64 {
    on_pool!(url, |pool| {
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&pool)
            .await
            .unwrap()
    })
}

/// `GET /api/v1/tracking/{code}`, which must answer 200.
pub async fn tracking(app: &TestApp, code: &str) -> serde_json::Value {
    let r = app
        .client
        .get(format!("{}/api/v1/tracking/{code}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{code}");
    r.json().await.unwrap()
}

/// `GET /api/v1/ikm?unit=UNIT&group_by=GROUPS` with a `stats:read` token.
pub async fn ikm(app: &TestApp, unit: &str, group_by: &str, token: &str) -> serde_json::Value {
    let r = app
        .client
        .get(format!("{}/api/v1/ikm?unit={unit}&group_by={group_by}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// The answers of `app` (on the database at `url`), for the tables of `tables`.
pub async fn answers(app: &TestApp, url: &str, tables: &[String], token: &str) -> Answers {
    let (counts, codes) = counts_and_codes(url, tables).await;
    let mut answered = Vec::new();
    for code in &codes {
        answered.push(tracking(app, code).await);
    }
    Answers {
        counts,
        tracking: answered,
        ikm: ikm(app, UNIT, "service,month", token).await,
    }
}

/// Demo data plus a petugas with a known password and a statistics token.
async fn fill(db: &TestDb) {
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code(UNIT).await.unwrap().unwrap();
    db.store
        .create_user(&NewUser {
            username: "rina".into(),
            full_name: "Rina Petugas".into(),
            password_hash: tanggap::passwords::hash(PASSWORD).unwrap(),
            roles: vec![(unit.id, Role::Petugas)],
        })
        .await
        .unwrap();
    db.store
        .create_api_token(
            unit.id,
            "statistik",
            &tanggap::auth::hash_secret(SECRET),
            &["stats:read".into()],
            None,
        )
        .await
        .unwrap();
    // The unit's logo (issue 21): a blob that must move byte for byte.
    db.store.save_unit_logo(unit.id, &logo(), None).await.unwrap();
}

/// The logo `fill` stores: a small red PNG.
fn logo() -> tanggap::storage::logos::UnitLogo {
    tanggap::storage::logos::UnitLogo {
        media_type: "image/png".into(),
        content: reports::charts::encode_png([200, 20, 20].repeat(32 * 32), (32, 32)).unwrap(),
        updated_at: chrono::Utc::now(),
    }
}

/// The logo of `UNIT` as `app` reads it: (media type, bytes).
async fn stored_logo(app: &TestApp) -> (String, Vec<u8>) {
    let unit = app.store.unit_by_code(UNIT).await.unwrap().unwrap();
    let logo = app.store.unit_logo(unit.id).await.unwrap().expect("the logo");
    (logo.media_type, logo.content)
}

/// Files one complaint through the public API; its nomor agenda.
async fn file_one(app: &TestApp) -> String {
    let r = app
        .client
        .post(format!("{}/api/v1/units/{UNIT}/complaints", app.address))
        .json(&serde_json::json!({
            "subject": "Pengaduan setelah pindah",
            "description": "Antrean di loket pelayanan masih panjang.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    v["nomor_agenda"].as_str().unwrap().to_owned()
}

/// The major version of a PostgreSQL client tool (`pg_dump (PostgreSQL) 15.20 ...`).
fn tool_major(tool: &str) -> u32 {
    let out = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{tool} is not installed (postgresql-client, see .ci/run): {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find_map(|w| w.split('.').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no version in {text:?}"))
}

/// The round trip docs/operations.md prescribes for PostgreSQL: `pg_dump -Fc`, then
/// `pg_restore` into an empty database. The restored database answers the same
/// tracking codes and IKM, holds the same rows, and numbers the next complaint as
/// the original would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dump_and_restore_round_trip() {
    let Some(db) = TestDb::postgres().await else { return };
    fill(&db).await;
    // pg_dump refuses a server newer than itself; the client must be at least the
    // server's major version (Debian 12: both 15).
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let server: i32 = sqlx::query_scalar("SELECT current_setting('server_version_num')::int")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let server_major = (server / 10_000) as u32;
    for tool in ["pg_dump", "pg_restore"] {
        let major = tool_major(tool);
        assert!(
            major >= server_major,
            "{tool} {major} cannot read a PostgreSQL {server_major} server: install postgresql-client-{server_major}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("tanggap.dump");
    let out = std::process::Command::new("pg_dump")
        .args(["-Fc", "--no-owner", "-f"])
        .arg(&dump)
        .args(["-d", &db.url])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let copy = TestDb::postgres_blank().await.unwrap();
    let out = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "-d", &copy.url])
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    copy.store
        .migrate()
        .await
        .expect("the restored database is at this binary's level");

    let tables = tables(&db.url).await;
    let (db_url, copy_url) = (db.url.clone(), copy.url.clone());
    let original = spawn_app(db).await;
    let restored = spawn_app(copy).await;
    let before = answers(&original, &db_url, &tables, SECRET).await;
    let after = answers(&restored, &copy_url, &tables, SECRET).await;
    assert!(before.tracking.len() >= 300 && before.counts.len() > 30);
    assert_eq!(before, after);
    assert_eq!(
        stored_logo(&restored).await,
        stored_logo(&original).await,
        "the unit's logo"
    );
    assert_eq!(file_one(&original).await, file_one(&restored).await);
    restored.login("rina", PASSWORD).await;
}

/// `tanggap export sqlite-to-postgres` moves the whole history: a server started on
/// PostgreSQL afterwards holds the same rows in every table, answers every tracking
/// code and the IKM as the SQLite one did, lets the same accounts log in, serves the
/// same files, and gives the next complaint the next number and a new id. A target
/// that holds data is refused and left as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres_export_moves_the_whole_history() {
    let Some(pg) = TestDb::postgres().await else { return };
    let lite = TestDb::sqlite().await;
    fill(&lite).await;
    let lite_url = lite.url.clone();
    let lite_app = spawn_app(lite).await;
    // A complaint with a file, through the public web form.
    let citizen = lite_app.anonymous().await;
    let scan = b"%PDF-1.4 pindaian surat warga".to_vec();
    let form = reqwest::multipart::Form::new()
        .text("klasifikasi", "pengaduan")
        .text("subject", "Bantuan belum cair")
        .text(
            "description",
            "Bantuan sosial bulan Oktober belum diterima, surat terlampir.",
        )
        .text("name", "Siti Rahmawati")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(scan.clone()).file_name("surat.pdf"),
        );
    let (status, location, body) = citizen.post_multipart(&format!("/u/{UNIT}/pengaduan"), form).await;
    assert_eq!(status, 303, "{body}");
    assert!(location.unwrap().starts_with("/lacak?kode="));

    let tables = tables(&pg.url).await;
    let before = answers(&lite_app, &lite_url, &tables, SECRET).await;
    assert!(before.counts.iter().any(|(t, n)| t == "attachments" && *n == 1));
    let export = |to: &str| {
        let cli = tanggap::cli::Cli::try_parse_from([
            "tanggap",
            "export",
            "sqlite-to-postgres",
            "--from",
            &lite_url,
            "--to",
            to,
        ])
        .unwrap();
        tanggap::cli::run(cli.command, tanggap::config::Config::default())
    };
    export(&pg.url).await.unwrap();
    let err = export(&pg.url).await.unwrap_err().to_string();
    assert!(
        err.contains("sudah berisi data") && err.contains("already holds data"),
        "{err}"
    );

    let pg_url = pg.url.clone();
    let pg_app = spawn_app(pg).await;
    let after = answers(&pg_app, &pg_url, &tables, SECRET).await;
    assert!(before.tracking.len() > 300);
    assert_eq!(before.counts, after.counts, "rows per table");
    assert_eq!(before.tracking, after.tracking, "public status by tracking code");
    assert_eq!(before.ikm, after.ikm, "IKM per service and month");
    assert_eq!(
        stored_logo(&pg_app).await,
        stored_logo(&lite_app).await,
        "the unit's logo"
    );
    assert_eq!(stored_logo(&pg_app).await.1, logo().content);

    // The next complaint continues the numbering on both (and is stored at all on
    // PostgreSQL only because the id sequences moved past the copied ids).
    assert_eq!(file_one(&lite_app).await, file_one(&pg_app).await);
    let complaints = ["complaints".to_owned(), "complaint_events".to_owned()];
    assert_eq!(
        counts_and_codes(&lite_url, &complaints).await.0,
        counts_and_codes(&pg_url, &complaints).await.0
    );

    // The password hash moved: the account logs in; the file moved byte for byte.
    let petugas = pg_app.login("rina", PASSWORD).await;
    let pool = sqlx::PgPool::connect(&pg_url).await.unwrap();
    let (complaint, file): (i64, i64) = sqlx::query_as("SELECT complaint_id, id FROM attachments")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (status, _, bytes) = petugas
        .get_bytes(&format!("/staf/{UNIT}/pengaduan/{complaint}/lampiran/{file}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(bytes, scan);

    // Not into PostgreSQL, not from PostgreSQL: clear errors.
    let err = export("sqlite:/tmp/x.db").await.unwrap_err().to_string();
    assert!(err.contains("--to"), "{err}");
}
