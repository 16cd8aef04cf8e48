//! Small XLSX files built to expand (issue 17), given to the real binary the way an
//! operator runs an import, with its peak memory measured by the kernel: each is
//! refused with an Indonesian reason, stores nothing, and the process stays within
//! a few hundred megabytes.

use std::io::Read;
use std::process::{Command, Stdio};

use tanggap::lapor::hostile;

/// The most a refused hostile file of a few megabytes may take (resident, peak).
const LIMIT_MB: u64 = 400;
/// Address space the child may reserve: a runaway allocation fails here instead of
/// taking the machine (the base commit's binary ran into it on every file below).
const GUARD_KB: u64 = 6 << 20;

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

/// What a run printed and the most memory it held.
struct Run {
    ok: bool,
    err: String,
    peak_mb: u64,
}

/// Runs `tanggap args` under an address-space guard and measures its peak resident
/// memory: with GNU time when it is installed (the kernel's own account at exit),
/// else by watching the child's high-water mark while it runs.
fn measured(dir: &std::path::Path, args: &[&str]) -> Run {
    let time = std::path::Path::new("/usr/bin/time").exists();
    let peak_file = dir.join("peak");
    let _ = std::fs::remove_file(&peak_file);
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir)
        .env_remove("TANGGAP_BIND")
        .env_remove("TANGGAP_CONFIG")
        .env("TANGGAP_LOG", "warn")
        .env("DATABASE_URL", format!("sqlite:{}", dir.join("t.db").display()))
        .arg("-c")
        .arg(if time {
            format!("ulimit -v {GUARD_KB}; exec /usr/bin/time -f %M -o \"$0\" \"$@\"")
        } else {
            format!("ulimit -v {GUARD_KB}; exec \"$@\"")
        })
        .arg(&peak_file)
        .arg(env!("CARGO_BIN_EXE_tanggap"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run tanggap");
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut watched_kb = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            watched_kb = watched_kb.max(hwm.unwrap_or(0));
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let peak_kb = if time {
        std::fs::read_to_string(&peak_file)
            .ok()
            .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
            .expect("GNU time wrote the peak")
    } else {
        watched_kb
    };
    Run {
        ok: status.success(),
        err: reader.join().expect("stderr"),
        peak_mb: peak_kb / 1024,
    }
}

fn lapor_export(rows: usize) -> Vec<u8> {
    hostile::workbook(
        &["No Tiket", "Judul", "Tanggal Laporan", "Lokasi Kejadian"],
        rows,
        |i| {
            vec![
                (5_000_000 + i).to_string(),
                "Jalan rusak".into(),
                "22/11/2026".into(),
                "LOKASI".into(),
            ]
        },
    )
}

fn survey_export(rows: usize) -> Vec<u8> {
    let header = ["tanggal", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "saran"];
    hostile::workbook(&header, rows, |i| {
        let mut row = vec!["2026-11-02".to_owned()];
        row.extend((0..9).map(|e| (1 + (i + e) % 4).to_string()));
        row.push("SARAN".into());
        row
    })
}

/// Counts rows of a table in the test database.
fn count(dir: &std::path::Path, sql: &'static str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("sqlite:{}", dir.join("t.db").display());
    rt.block_on(async {
        let store = tanggap::storage::SqliteStore::connect(&url).await.unwrap();
        sqlx::query_scalar::<_, i64>(sql).fetch_one(store.pool()).await.unwrap()
    })
}

#[test]
fn hostile_xlsx_files_are_refused_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let ok = tanggap(dir.path())
        .args([
            "demo",
            "--complaints",
            "5",
            "--responses",
            "5",
            "--end-date",
            "2026-11-20",
        ])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let lapor_before = count(
        dir.path(),
        "SELECT COUNT(*) FROM complaints WHERE channel = 'span_lapor'",
    );
    let surveys_before = count(dir.path(), "SELECT COUNT(*) FROM survey_responses");

    let expands = "mengembang melebihi";
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        // One 1 MB shared string in the location of 50,000 reports: 50 GB of cells.
        (
            "lapor-teks-berulang.xlsx",
            hostile::inflate_shared_string(&lapor_export(50_000), "LOKASI", 1 << 20),
            "lapor",
            expands,
        ),
        // The same in the saran of 50,000 survey rows.
        (
            "survei-teks-berulang.xlsx",
            hostile::inflate_shared_string(&survey_export(50_000), "SARAN", 1 << 20),
            "survei",
            expands,
        ),
        // A 1 GB shared string compressed to about a megabyte.
        (
            "bom-zip.xlsx",
            hostile::zip_bomb(&lapor_export(10), 1 << 30),
            "lapor",
            expands,
        ),
        // A shared-strings table announcing four billion strings.
        (
            "jumlah-teks.xlsx",
            hostile::replace_in(
                &lapor_export(10),
                "xl/sharedStrings.xml",
                "uniqueCount=\"",
                "uniqueCount=\"4000000000",
            ),
            "lapor",
            "mengaku memuat 4000000000",
        ),
        // A sheet declaring ten million rows.
        (
            "sepuluh-juta-baris.xlsx",
            hostile::replace_in(
                &lapor_export(100_000),
                "xl/worksheets/sheet1.xml",
                "<dimension ref=\"A1:D100001\"/>",
                "<dimension ref=\"A1:D10000000\"/>",
            ),
            "lapor",
            "berkas memuat lebih dari 1000000 baris",
        ),
    ];
    for (name, bytes, kind, reason) in &cases {
        assert!(bytes.len() < 3_000_000, "{name} is a small upload: {}", bytes.len());
        std::fs::write(dir.path().join(name), bytes).unwrap();
        // To measure another binary on the same files (the base commit's, say).
        if let Some(out) = std::env::var_os("TANGGAP_XLSX_BOMBS_OUT") {
            std::fs::write(std::path::Path::new(&out).join(name), bytes).unwrap();
        }
        for dry_run in [true, false] {
            let mut args = vec!["import", kind, name, "--unit", "dinsospm-dumai"];
            if dry_run && *kind == "lapor" {
                args.push("--dry-run");
            } else if dry_run {
                continue;
            }
            let run = measured(dir.path(), &args);
            eprintln!("{name} ({} KB, {args:?}): peak {} MB", bytes.len() / 1024, run.peak_mb);
            assert!(!run.ok, "{name} was refused");
            assert!(run.err.contains(reason), "{name}: {}", run.err);
            assert!(run.peak_mb < LIMIT_MB, "{name}: {} MB", run.peak_mb);
        }
    }
    assert_eq!(
        count(
            dir.path(),
            "SELECT COUNT(*) FROM complaints WHERE channel = 'span_lapor'"
        ),
        lapor_before,
        "nothing stored"
    );
    assert_eq!(
        count(dir.path(), "SELECT COUNT(*) FROM survey_responses"),
        surveys_before
    );
}
