//! `tanggap backup` and `tanggap restore` on the real binary, while a real
//! `tanggap serve` keeps taking complaints (issue 22).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Connection, SqliteConnection};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const UNIT: &str = "dinsospm-dumai";

fn tanggap(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tanggap"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("TANGGAP_BIND")
        .env_remove("TANGGAP_CONFIG")
        .env("TANGGAP_LOG", "warn")
        // Every client here comes from 127.0.0.1.
        .env("TANGGAP_PUBLIC_RATE_PER_MINUTE", "1000000")
        .kill_on_drop(true);
    cmd
}

/// Runs a command to its end: success, standard output, standard error.
async fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().await.expect("run tanggap");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `tanggap serve` on a free port; the child and its base URL.
async fn serve(dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = tanggap(dir)
        .args(extra)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let line = lines.next_line().await.unwrap().expect("the server prints its address");
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.trim().to_owned();
            }
        }
    })
    .await
    .expect("the server starts");
    (child, format!("http://{address}"))
}

/// Stops a server with SIGTERM and waits for it to exit cleanly.
async fn stop(mut child: Child) {
    let pid = child.id().unwrap().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap()
            .success()
    );
    let status = tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("the server stops on SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// One complaint a client filed: when it asked, when it was told, what it was told.
#[derive(Debug, Clone)]
struct Filed {
    sent: Instant,
    acked: Instant,
    tracking_code: String,
    nomor_agenda: String,
}

async fn file_complaint(client: &reqwest::Client, base: &str, i: usize) -> Filed {
    let sent = Instant::now();
    let r = client
        .post(format!("{base}/api/v1/units/{UNIT}/complaints"))
        .json(&serde_json::json!({
            "subject": format!("Antrean loket {i}"),
            "description": "Antrean di loket pelayanan sangat panjang sejak pagi.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "every complaint is accepted while the backup runs");
    let v: serde_json::Value = r.json().await.unwrap();
    Filed {
        sent,
        acked: Instant::now(),
        tracking_code: v["tracking_code"].as_str().unwrap().to_owned(),
        nomor_agenda: v["nomor_agenda"].as_str().unwrap().to_owned(),
    }
}

/// Waits until the clients have been told about `n` complaints.
async fn wait_for(filed: &tokio::sync::Mutex<Vec<Filed>>, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while filed.lock().await.len() < n {
        assert!(Instant::now() < deadline, "the clients stopped getting answers");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn scalar(conn: &mut SqliteConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(conn).await.unwrap()
}

/// The backup taken mid-intake holds exactly what had committed when it began: every
/// row of every table the source holds up to that moment and nothing else, intact,
/// and a server started on the restored file answers those tracking codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn backup_while_filing_then_restore_answers_every_code_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let demo = [
        "demo",
        "--complaints",
        "40",
        "--responses",
        "80",
        "--end-date",
        "2026-11-20",
    ];
    let (ok, _, err) = run(tanggap(dir.path()).args(demo)).await;
    assert!(ok, "{err}");
    // A unit's logo (issue 21), a blob the copy must carry as it is.
    let mut setup = SqliteConnection::connect(&format!("sqlite:{}", dir.path().join("data/tanggap.db").display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO unit_logos (unit_id, media_type, content, updated_at)          SELECT min(id), 'image/png', x'89504E470D0A1A0A00000000', '2026-12-01T00:00:00Z' FROM units",
    )
    .execute(&mut setup)
    .await
    .unwrap();
    setup.close().await.unwrap();
    let (server, base) = serve(dir.path(), &[]).await;
    // A long reader (a report, say) keeps the write-ahead log from being copied back
    // into the database file, so everything filed below lives only in the log: a
    // backup that copied the file alone would miss it.
    let mut reader = SqliteConnection::connect(&format!("sqlite:{}", dir.path().join("data/tanggap.db").display()))
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut reader).await.unwrap();
    let demo_complaints = scalar(&mut reader, "SELECT count(*) FROM complaints").await;

    // Four clients file complaints without pause until told to stop.
    let stop_flag = Arc::new(AtomicBool::new(false));
    let filed = Arc::new(tokio::sync::Mutex::new(Vec::<Filed>::new()));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (stop_flag, filed, base) = (stop_flag.clone(), filed.clone(), base.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = c * 100_000;
            while !stop_flag.load(Ordering::SeqCst) {
                let f = file_complaint(&client, &base, i).await;
                filed.lock().await.push(f);
                i += 1;
            }
        }));
    }
    wait_for(&filed, 40).await;
    std::fs::create_dir(dir.path().join("cadangan")).unwrap();
    let started = Instant::now();
    let (ok, out, err) = run(tanggap(dir.path()).args(["backup", "cadangan/tanggap.db"])).await;
    let finished = Instant::now();
    assert!(ok, "{err}");
    assert!(
        out.contains("Cadangan dibuat") && out.contains("Backup written"),
        "{out}"
    );
    let before = filed.lock().await.len();

    // While the server holds the database, restore refuses and changes nothing.
    let (ok, _, err) = run(tanggap(dir.path()).args(["restore", "cadangan/tanggap.db"])).await;
    assert!(!ok, "a restore over a database a running server holds is refused");
    assert!(err.contains("sedang dipakai") && err.contains("in use"), "{err}");
    // The same file name twice is refused too: a backup never overwrites.
    let (ok, _, err) = run(tanggap(dir.path()).args(["backup", "cadangan/tanggap.db"])).await;
    assert!(!ok && err.contains("sudah ada"), "{err}");

    sqlx::query("COMMIT").execute(&mut reader).await.unwrap();
    reader.close().await.unwrap();

    // Intake went on during all that.
    wait_for(&filed, before + 40).await;
    stop_flag.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }
    stop(server).await;
    let filed = filed.lock().await.clone();
    assert!(
        filed.iter().any(|f| f.sent > finished),
        "complaints were filed after the backup"
    );

    // Compare the copy with the source, which the server has now left.
    let source = dir.path().join("data/tanggap.db");
    let copy = dir.path().join("cadangan/tanggap.db");
    assert!(
        !dir.path().join("cadangan/tanggap.db.partial").exists(),
        "no partial copy is left"
    );
    let mut db = SqliteConnection::connect(&format!("sqlite:{}", source.display()))
        .await
        .unwrap();
    sqlx::query(&format!("ATTACH DATABASE '{}' AS b", copy.display()))
        .execute(&mut db)
        .await
        .unwrap();
    let checked: Vec<String> = sqlx::query_scalar("PRAGMA b.integrity_check")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert_eq!(checked, ["ok"]);
    let in_copy: Vec<String> = sqlx::query_scalar("SELECT tracking_code FROM b.complaints")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert!(in_copy.len() as i64 >= demo_complaints + 40, "{}", in_copy.len());
    for f in &filed {
        if f.acked < started {
            assert!(
                in_copy.contains(&f.tracking_code),
                "{} was acknowledged before the backup began but is not in it",
                f.nomor_agenda
            );
        }
        if f.sent > finished {
            assert!(
                !in_copy.contains(&f.tracking_code),
                "{} was filed after the backup ended but is in it",
                f.nomor_agenda
            );
        }
    }
    // Table by table: nothing in the copy that the source does not hold as it is, and
    // what the source holds beyond the copy is only the later intake.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE 'complaints_fts%' ORDER BY name",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(tables.len() > 30, "{tables:?}");
    let last_id = scalar(&mut db, "SELECT max(id) FROM b.complaints").await;
    let mut changed = Vec::new();
    for t in &tables {
        // The background loops take and renew their leases whenever their timers fire,
        // so a lease may be newer in the source (a new row or a renewed one): runtime
        // state, not data. Under load a loop first ran only after the backup.
        if t == "job_leases" {
            continue;
        }
        // The one row intake updates rather than adds: checked below against the
        // copied complaints.
        if t != "agenda_counters" {
            let extra = scalar(
                &mut db,
                &format!("SELECT count(*) FROM (SELECT * FROM b.{t} EXCEPT SELECT * FROM main.{t})"),
            )
            .await;
            assert_eq!(extra, 0, "the copy of {t} holds rows the source never had");
        }
        let later = scalar(
            &mut db,
            &format!("SELECT count(*) FROM (SELECT * FROM main.{t} EXCEPT SELECT * FROM b.{t})"),
        )
        .await;
        if later > 0 {
            changed.push(t.as_str());
        }
    }
    assert_eq!(
        changed,
        ["agenda_counters", "complaint_events", "complaints"],
        "only the intake after the backup differs"
    );
    assert_eq!(
        scalar(&mut db, "SELECT count(*) FROM b.unit_logos").await,
        1,
        "the logo is copied"
    );
    let missing_before = scalar(
        &mut db,
        &format!(
            "SELECT count(*) FROM main.complaints WHERE id <= {last_id} AND id NOT IN (SELECT id FROM b.complaints)"
        ),
    )
    .await;
    assert_eq!(missing_before, 0, "the copy holds every complaint up to its last one");
    let stray_events = scalar(
        &mut db,
        &format!(
            "SELECT count(*) FROM (SELECT * FROM main.complaint_events EXCEPT SELECT * FROM b.complaint_events) \
             WHERE complaint_id <= {last_id}"
        ),
    )
    .await;
    assert_eq!(stray_events, 0, "every event of a copied complaint is copied");
    let counter_gap = scalar(
        &mut db,
        "SELECT count(*) FROM b.agenda_counters a WHERE a.last_number <> \
         (SELECT max(agenda_number) FROM b.complaints c WHERE c.unit_id = a.unit_id AND c.agenda_year = a.year)",
    )
    .await;
    assert_eq!(
        counter_gap, 0,
        "the copied counters continue from the copied complaints"
    );
    db.close().await.unwrap();

    // Restore into a new place, then again over it (the server is stopped): the old
    // file is kept.
    let restored_url = "sqlite:pulih/tanggap.db";
    let (ok, out, err) =
        run(tanggap(dir.path()).args(["--database-url", restored_url, "restore", "cadangan/tanggap.db"])).await;
    assert!(ok, "{err}");
    assert!(out.contains("dipulihkan"), "{out}");
    let (ok, out, err) =
        run(tanggap(dir.path()).args(["--database-url", restored_url, "restore", "cadangan/tanggap.db"])).await;
    assert!(ok, "{err}");
    assert!(out.contains("disimpan sebagai"), "the replaced database is kept: {out}");
    let kept: Vec<PathBuf> = std::fs::read_dir(dir.path().join("pulih"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".before-restore-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");

    let (server, base) = serve(dir.path(), &["--database-url", restored_url]).await;
    let client = reqwest::Client::new();
    let mut answered = 0;
    for f in &filed {
        let r = client
            .get(format!("{base}/api/v1/tracking/{}", f.tracking_code))
            .send()
            .await
            .unwrap();
        if in_copy.contains(&f.tracking_code) {
            assert_eq!(r.status(), 200, "{}", f.nomor_agenda);
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["nomor_agenda"], f.nomor_agenda.as_str());
            answered += 1;
        } else {
            assert_eq!(r.status(), 404, "{} is not in the copy", f.nomor_agenda);
        }
    }
    assert!(answered >= 40, "{answered}");
    // Numbering continues after the copy's last complaint.
    let last_number = filed
        .iter()
        .filter(|f| in_copy.contains(&f.tracking_code))
        .map(|f| f.nomor_agenda.rsplit('/').next().unwrap().parse::<u32>().unwrap())
        .max()
        .unwrap();
    let next = file_complaint(&client, &base, 999_999).await;
    assert_eq!(
        next.nomor_agenda.rsplit('/').next().unwrap().parse::<u32>().unwrap(),
        last_number + 1,
        "{}",
        next.nomor_agenda
    );
    stop(server).await;
}

/// A file that is not an intact Tanggap database of a known migration level is never
/// restored, and the database stays as it was; PostgreSQL is pointed to its tools.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_what_is_not_a_known_tanggap_database() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).arg("migrate")).await;
    assert!(ok, "{err}");
    let (ok, _, err) = run(tanggap(dir.path()).args(["backup", "baik.db"])).await;
    assert!(ok, "{err}");
    let database = dir.path().join("data/tanggap.db");
    let original = std::fs::read(&database).unwrap();

    std::fs::write(dir.path().join("acak.db"), b"bukan basis data sama sekali, hanya teks").unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).args(["restore", "acak.db"])).await;
    assert!(!ok && err.contains("bukan basis data Tanggap"), "{err}");

    let other = dir.path().join("lain.db");
    let mut conn = SqliteConnection::connect(&format!("sqlite:{}?mode=rwc", other.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE catatan (isi TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).args(["restore", "lain.db"])).await;
    assert!(!ok && err.contains("_sqlx_migrations"), "{err}");

    // A backup from a newer release: a migration this binary does not know.
    let newer = dir.path().join("baru.db");
    std::fs::copy(dir.path().join("baik.db"), &newer).unwrap();
    let mut conn = SqliteConnection::connect(&format!("sqlite:{}", newer.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (9999, 'from the future', '2030-01-01', 1, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).args(["restore", "baru.db"])).await;
    assert!(!ok && err.contains("migrasi 9999 tidak dikenal"), "{err}");

    let (ok, _, err) = run(tanggap(dir.path()).args(["restore", "tidak-ada.db"])).await;
    assert!(!ok && err.contains("tidak ada"), "{err}");
    assert_eq!(
        std::fs::read(&database).unwrap(),
        original,
        "a refused restore changes nothing"
    );
    let only_the_database: Vec<String> = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("restor"))
        .collect();
    assert!(only_the_database.is_empty(), "{only_the_database:?}");

    for command in ["backup", "restore"] {
        let (ok, _, err) = run(tanggap(dir.path()).args([
            "--database-url",
            "postgres://postgres@127.0.0.1:1/tidak",
            command,
            "x.dump",
        ]))
        .await;
        assert!(!ok, "{command} on PostgreSQL is refused");
        let tool = if command == "backup" { "pg_dump" } else { "pg_restore" };
        assert!(err.contains(tool), "{err}");
    }
}
