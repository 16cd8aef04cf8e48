//! `tanggap import lapor` as an operator runs it: the real binary on a real SQLite
//! file, including a kill -9 in the middle of a large import.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tanggap::lapor::sample;

fn tanggap(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tanggap"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("TANGGAP_BIND")
        .env_remove("TANGGAP_CONFIG")
        .env("TANGGAP_LOG", "warn")
        .env("DATABASE_URL", format!("sqlite:{}", dir.join("t.db").display()));
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("run tanggap");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A database with the demo units (and a few demo complaints).
fn demo_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).args([
        "demo",
        "--complaints",
        "20",
        "--responses",
        "20",
        "--end-date",
        "2026-11-20",
    ]));
    assert!(ok, "{err}");
    dir
}

#[test]
fn import_lapor_dry_run_import_reimport_and_rejections() {
    let dir = demo_folder();
    let file = dir.path().join("lapor.csv");
    std::fs::write(
        &file,
        "No Tiket,Judul,Tanggal Laporan,Sumber,Status\n\
         5000001,Jalan rusak,22/11/2026 14:05,SMS 1708,Diproses\n\
         5000002,Lampu padam,20 Nov 2026,Website,\n\
         5000003,Tanpa tanggal,,Twitter,\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();

    let (ok, out, err) =
        run(tanggap(dir.path()).args(["import", "lapor", path, "--unit", "dinsospm-dumai", "--dry-run"]));
    assert!(ok, "{err}");
    assert!(out.starts_with("UJI COBA / DRY RUN: tidak ada yang disimpan"), "{out}");
    assert!(out.contains("(CSV, UTF-8, koma), unit dinsospm-dumai"), "{out}");
    assert!(
        out.contains("baris 2: #5000001 baru\nbaris 3: #5000002 baru\n"),
        "{out}"
    );
    assert!(out.contains("baris 4: DITOLAK: tanggal laporan kosong\n"), "{out}");
    assert!(
        out.contains("Akan terjadi / would happen: baru 2, diperbarui 0, tidak berubah 0, ditolak 1"),
        "{out}"
    );

    let (ok, out, err) = run(tanggap(dir.path()).args(["import", "lapor", path, "--unit", "dinsospm-dumai"]));
    assert!(ok, "{err}");
    assert!(
        out.contains("Selesai / done: baru 2, diperbarui 0, tidak berubah 0, ditolak 1"),
        "{out}"
    );
    let (ok, out, _) = run(tanggap(dir.path()).args(["import", "lapor", path, "--unit", "dinsospm-dumai"]));
    assert!(ok);
    assert!(
        out.contains("Selesai / done: baru 0, diperbarui 0, tidak berubah 2, ditolak 1"),
        "{out}"
    );

    // A newer export as XLSX, on a named sheet.
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Ringkasan")
        .unwrap()
        .write_string(0, 0, "bukan data")
        .unwrap();
    let sheet = book.add_worksheet().set_name("Laporan").unwrap();
    for (c, h) in ["No Tiket", "Judul", "Tanggal Laporan", "Status", "Tanggapan"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (id, status, reply)) in [(5000001.0, "Selesai", "Jalan sudah diperbaiki."), (5000002.0, "", "")]
        .iter()
        .enumerate()
    {
        let r = r as u32 + 1;
        sheet.write_number(r, 0, *id).unwrap();
        sheet.write_string(r, 1, "judul").unwrap();
        sheet.write_string(r, 2, "22/11/2026").unwrap();
        sheet.write_string(r, 3, *status).unwrap();
        sheet.write_string(r, 4, *reply).unwrap();
    }
    let xlsx = dir.path().join("lapor.xlsx");
    book.save(&xlsx).unwrap();
    let xlsx = xlsx.to_str().unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).args([
        "import",
        "lapor",
        xlsx,
        "--unit",
        "dinsospm-dumai",
        "--sheet",
        "Tidak Ada",
    ]));
    assert!(!ok);
    assert!(
        err.contains("lembar \"Tidak Ada\" tidak ada; lembar yang ada: Ringkasan, Laporan"),
        "{err}"
    );
    let (ok, out, err) = run(tanggap(dir.path()).args([
        "import",
        "lapor",
        xlsx,
        "--unit",
        "dinsospm-dumai",
        "--sheet",
        "laporan",
    ]));
    assert!(ok, "{err}");
    assert!(
        out.contains("baris 2: #5000001 diperbarui: status \"Diproses\" -> \"Selesai\", 1 tindak lanjut baru"),
        "{out}"
    );
    assert!(
        out.contains("baru 0, diperbarui 1, tidak berubah 1, ditolak 0"),
        "{out}"
    );

    // Several units and no --unit: the operator is told which exist.
    let (ok, _, err) = run(tanggap(dir.path()).args(["import", "lapor", path]));
    assert!(!ok);
    assert!(
        err.contains("sebutkan unit penerima dengan --unit; unit yang ada:"),
        "{err}"
    );
    assert!(err.contains("dinsospm-dumai"));
    // A file that is not an export at all.
    std::fs::write(dir.path().join("x.csv"), "a,b\n1,2\n").unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).args(["import", "lapor", "x.csv", "--unit", "dinsospm-dumai"]));
    assert!(!ok);
    assert!(err.contains("kolom ID pelacakan tidak ditemukan"), "{err}");
}

#[test]
fn a_killed_import_leaves_only_whole_batches_and_a_rerun_continues() {
    const ROWS: usize = 30_000;
    const BATCH: usize = 100;
    let dir = demo_folder();
    let file = dir.path().join("besar.csv");
    std::fs::write(&file, sample::csv(&sample::rows(ROWS, 6_000_000, 0))).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = rt.block_on(tanggap::storage::SqliteStore::connect(&url)).unwrap();
    let imported = |store: &tanggap::storage::SqliteStore| -> (i64, i64, i64, i64, i64, i64) {
        rt.block_on(async {
            let q = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(store.pool());
            (
                q("SELECT COUNT(*) FROM complaints WHERE channel = 'span_lapor' AND channel_ref >= '6000000'")
                    .await
                    .unwrap(),
                q("SELECT COUNT(*) FROM lapor_reports").await.unwrap(),
                q(
                    "SELECT COUNT(*) FROM complaint_events e JOIN lapor_reports l ON l.complaint_id = e.complaint_id \
                   WHERE e.kind = 'diterima'",
                )
                .await
                .unwrap(),
                q(
                    "SELECT COALESCE(MAX(agenda_number) - MIN(agenda_number) + 1, 0) FROM complaints c \
                   JOIN lapor_reports l ON l.complaint_id = c.id",
                )
                .await
                .unwrap(),
                q(
                    "SELECT COALESCE(MAX(agenda_number), 0) FROM complaints c JOIN units u ON u.id = c.unit_id \
                   WHERE u.code = 'dinsospm-dumai' AND agenda_year = 2026",
                )
                .await
                .unwrap(),
                q(
                    "SELECT COALESCE(MAX(last_number), 0) FROM agenda_counters a JOIN units u ON u.id = a.unit_id \
                   WHERE u.code = 'dinsospm-dumai' AND year = 2026",
                )
                .await
                .unwrap(),
            )
        })
    };
    let mut child = tanggap(dir.path())
        .args([
            "import",
            "lapor",
            "besar.csv",
            "--unit",
            "dinsospm-dumai",
            "--batch-size",
            &BATCH.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = imported(&store).0;
        if done >= 2_000 {
            child.kill().unwrap(); // SIGKILL: no chance to tidy up
            break;
        }
        assert!(Instant::now() < deadline, "the import did not start");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.wait().unwrap();
    let (complaints, links, received, span, max_number, counter) = imported(&store);
    assert!(
        complaints > 0 && (complaints as usize) < ROWS,
        "killed mid-import: {complaints}"
    );
    assert_eq!(complaints as usize % BATCH, 0, "only whole batches are committed");
    assert_eq!(
        (links, received, span),
        (complaints, complaints, complaints),
        "no half-imported row, no gap"
    );
    assert_eq!(counter, max_number, "the agenda counter matches the numbers given out");

    let (ok, out, err) = run(tanggap(dir.path()).args(["import", "lapor", "besar.csv", "--unit", "dinsospm-dumai"]));
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!(
            "baru {}, diperbarui 0, tidak berubah {complaints}, ditolak 0",
            ROWS - complaints as usize
        )),
        "{out}"
    );
    let (complaints, links, received, span, max_number, counter) = imported(&store);
    assert_eq!(
        (complaints, links, received, span),
        (ROWS as i64, ROWS as i64, ROWS as i64, ROWS as i64)
    );
    assert_eq!(counter, max_number);
}
