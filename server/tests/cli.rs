//! The `tanggap` binary as an operator runs it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn tanggap(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tanggap"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("TANGGAP_BIND")
        .env_remove("TANGGAP_CONFIG")
        .env("TANGGAP_LOG", "warn");
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

#[test]
fn help_documents_every_option() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, _) = run(tanggap(dir.path()).arg("--help"));
    assert!(ok);
    for word in [
        "serve",
        "migrate",
        "demo",
        "user",
        "--config",
        "--database-url",
        "TANGGAP_",
        "DATABASE_URL",
        "bind",
        "database_url",
        "default_language",
        "log",
        "max_body_bytes",
        "public_url",
    ] {
        assert!(out.contains(word), "--help does not mention {word}");
    }
    let (_, serve, _) = run(tanggap(dir.path()).args(["serve", "--help"]));
    for word in [
        "--bind",
        "TANGGAP_BIND",
        "--demo",
        "--seed",
        "--complaints",
        "--responses",
        "--end-date",
    ] {
        assert!(serve.contains(word), "serve --help does not mention {word}");
    }
}

#[test]
fn migrate_demo_and_user_add_on_a_fresh_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out, err) = run(tanggap(dir.path()).arg("migrate"));
    assert!(ok, "{err}");
    assert!(out.contains("sqlite:data/tanggap.db"));
    assert!(
        dir.path().join("data/tanggap.db").exists(),
        "the default database is created under ./data/"
    );

    let (ok, out, err) = run(tanggap(dir.path()).args([
        "demo",
        "--complaints",
        "50",
        "--responses",
        "100",
        "--end-date",
        "2026-11-20",
    ]));
    assert!(ok, "{err}");
    assert!(
        out.contains("4 unit, 25 layanan, 50 pengaduan, 100 respons SKM"),
        "{out}"
    );
    let (ok, out, _) = run(tanggap(dir.path()).args(["demo", "--complaints", "50"]));
    assert!(ok);
    assert!(out.contains("sudah ada"), "a second demo load changes nothing: {out}");

    let mut child = tanggap(dir.path())
        .args([
            "user",
            "add",
            "--username",
            "rina",
            "--name",
            "Rina Petugas",
            "--role",
            "petugas",
            "--unit",
            "dinsospm-dumai",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"kata-sandi-rahasia\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Akun dibuat"));

    let (ok, out, _) = run(tanggap(dir.path()).args([
        "user",
        "add",
        "--username",
        "budi",
        "--name",
        "Budi",
        "--role",
        "kepala_dinas",
        "--unit",
        "dinsos-lubuklinggau",
    ]));
    assert!(ok);
    assert!(
        out.contains("Kata sandi awal"),
        "a generated password is shown once: {out}"
    );

    // The system-level role (issue 17) is granted only here, and needs no unit.
    let (ok, out, err) = run(tanggap(dir.path()).args([
        "user",
        "add",
        "--username",
        "sistem",
        "--name",
        "Admin Sistem",
        "--system-admin",
    ]));
    assert!(ok, "{err}");
    assert!(out.contains("system_admin"), "{out}");
    let (ok, _, err) = run(tanggap(dir.path()).args(["user", "add", "--username", "y", "--name", "y"]));
    assert!(!ok, "an account without the system role needs --role and --unit");
    assert!(err.contains("--role"), "{err}");
    let url = format!("sqlite:{}", dir.path().join("data/tanggap.db").display());
    let (sistem, budi) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = tanggap::storage::connect(&url).await.unwrap();
        (
            store.user_by_username("sistem").await.unwrap().unwrap(),
            store.user_by_username("budi").await.unwrap().unwrap(),
        )
    });
    assert!(sistem.system_admin && sistem.roles.is_empty(), "{sistem:?}");
    assert!(!budi.system_admin && !budi.roles.is_empty());

    let (ok, _, err) = run(tanggap(dir.path()).args([
        "user",
        "add",
        "--username",
        "RINA",
        "--name",
        "x",
        "--role",
        "petugas",
        "--unit",
        "dinsospm-dumai",
    ]));
    assert!(!ok);
    assert!(err.contains("sudah dipakai"), "{err}");
    let (ok, _, err) = run(tanggap(dir.path()).args([
        "user",
        "add",
        "--username",
        "x",
        "--name",
        "x",
        "--role",
        "lurah",
        "--unit",
        "dinsospm-dumai",
    ]));
    assert!(!ok);
    assert!(err.contains("peran tidak dikenal"), "{err}");
    let (ok, _, err) = run(tanggap(dir.path()).args([
        "user",
        "add",
        "--username",
        "x",
        "--name",
        "x",
        "--role",
        "auditor",
        "--unit",
        "tidak-ada",
    ]));
    assert!(!ok);
    assert!(err.contains("tidak ditemukan"), "{err}");
}

#[test]
fn bad_configuration_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).arg("migrate").env("TANGGAP_BIND", "bukan-alamat"));
    assert!(!ok);
    assert!(err.contains("konfigurasi tidak valid"), "{err}");
    std::fs::write(dir.path().join("tanggap.toml"), "bind = [").unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).arg("migrate"));
    assert!(!ok);
    assert!(err.contains("konfigurasi tidak valid"), "{err}");
    let (ok, _, err) = run(tanggap(dir.path()).args(["--config", "tidak-ada.toml", "migrate"]));
    assert!(!ok);
    assert!(err.contains("tidak ditemukan"), "{err}");
}

#[test]
fn serve_with_demo_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = tanggap(dir.path())
        .args([
            "serve",
            "--demo",
            "--bind",
            "127.0.0.1:0",
            "--complaints",
            "40",
            "--responses",
            "80",
            "--end-date",
            "2026-11-20",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("the server prints its address").unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = runtime.block_on(async {
        reqwest::get(format!("http://{address}/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(body.contains("Dinas Sosial Kota Lubuklinggau"), "demo data is served");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn analytics_ikm_reads_a_survey_file_and_prints_the_exact_index() {
    let dir = tempfile::tempdir().unwrap();
    // Headers by element name, Pengaduan before Sarana, semicolons, day-first dates.
    let csv = "tanggal;layanan;Persyaratan;Sistem, Mekanisme, dan Prosedur;Waktu Penyelesaian;Biaya/Tarif;\
               Produk Spesifikasi Jenis Pelayanan;Kompetensi Pelaksana;Perilaku Pelaksana;\
               Penanganan Pengaduan, Saran dan Masukan;Sarana dan Prasarana\n\
               02/01/2026;KTP;1;1;1;1;1;1;1;1;1\n\
               03/01/2026;KTP;4;4;4;4;4;4;4;4;4\n\
               04/01/2026;KIS;4;4;4;4;4;4;4;4;4\n\
               05/01/2026;KIS;4;4;4;4;4;4;4;9;4\n";
    let input = dir.path().join("skm.csv");
    std::fs::write(&input, csv).unwrap();
    let (ok, out, err) = run(tanggap(dir.path())
        .args(["analytics", "ikm", "--input"])
        .arg(&input)
        .args(["--group-by", "service", "--format", "csv"]));
    assert!(ok, "{err}");
    assert!(
        err.contains("baris 5 dilewati") && err.contains("U9 harus 1-4"),
        "the bad row is reported, by element identity (Pengaduan is U9 wherever its column stands): {err}"
    );
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("service,n,ikm,konversi,mutu,kinerja"));
    assert!(
        lines.next().unwrap().starts_with("KIS,1,4.00,100.00,A,Sangat Baik"),
        "{out}"
    );
    assert!(out.contains("KTP,2,2.50,62.50,D,Tidak Baik"), "{out}");

    let (ok, json, _) = run(tanggap(dir.path())
        .args(["analytics", "ikm", "--input"])
        .arg(&input)
        .args(["--format", "json"]));
    assert!(ok);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["respondents"], 3);
    assert_eq!(report["weight"]["label"], "1/9");

    let (ok, table, _) = run(tanggap(dir.path())
        .args(["analytics", "ikm", "--input"])
        .arg(&input)
        .args(["--weight", "printed2"]));
    assert!(ok);
    assert!(table.contains("bobot 0.11"), "{table}");

    let (ok, _, err) = run(tanggap(dir.path()).args(["analytics", "ikm", "--input", "tidak-ada.csv"]));
    assert!(!ok && err.contains("tidak dapat dibuka"), "{err}");
    let (ok, _, err) = run(tanggap(dir.path())
        .args(["analytics", "ikm", "--input"])
        .arg(&input)
        .args(["--group-by", "unsur"]));
    assert!(!ok && err.contains("unsur"), "{err}");
    std::fs::write(&input, "nama,alamat\nx,y\n").unwrap();
    let (ok, _, err) = run(tanggap(dir.path()).args(["analytics", "ikm", "--input"]).arg(&input));
    assert!(!ok && err.contains("kolom wajib tidak ada"), "{err}");
}

#[test]
fn analytics_ikm_reads_parquet_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    // The same rows as a CSV and as Parquet (element names as headers, Pengaduan
    // before Sarana, one row out of range), must give the same report and rejections.
    let headers = [
        "tanggal",
        "layanan",
        "Persyaratan",
        "Sistem, Mekanisme, dan Prosedur",
        "Waktu Penyelesaian",
        "Biaya/Tarif",
        "Produk Spesifikasi Jenis Pelayanan",
        "Kompetensi Pelaksana",
        "Perilaku Pelaksana",
        "Penanganan Pengaduan, Saran dan Masukan",
        "Sarana dan Prasarana",
    ];
    let rows = [
        ["02/01/2026", "KTP", "1", "1", "1", "1", "1", "1", "1", "1", "1"],
        ["2026-01-03", "KTP", "4", "4", "4", "4", "4", "4", "4", "4", "4"],
        ["2026-01-04", "KIS", "4", "4", "4", "3", "4", "4", "4", "2", "4"],
        ["2026-01-05", "KIS", "4", "4", "4", "4", "4", "4", "4", "9", "4"],
    ];
    let table = analytics::table::TextTable {
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect(),
    };
    let parquet = dir.path().join("skm.parquet");
    std::fs::write(&parquet, analytics::table::write_parquet(&table).unwrap()).unwrap();
    let mut csv = String::new();
    for line in std::iter::once(headers.map(|h| format!("\"{h}\"")).to_vec())
        .chain(rows.iter().map(|r| r.map(str::to_owned).to_vec()))
    {
        csv.push_str(&line.join(","));
        csv.push('\n');
    }
    let csv_path = dir.path().join("skm.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let run_on = |path: &std::path::Path| {
        run(tanggap(dir.path())
            .args(["analytics", "ikm", "--input"])
            .arg(path)
            .args(["--group-by", "service", "--format", "csv"]))
    };
    let (ok, from_parquet, err) = run_on(&parquet);
    assert!(ok, "{err}");
    assert!(
        err.contains("baris 5 dilewati") && err.contains("U9 harus 1-4"),
        "{err}"
    );
    assert!(from_parquet.contains("KTP,2,2.50,62.50,D,Tidak Baik"), "{from_parquet}");
    let (ok, from_csv, _) = run_on(&csv_path);
    assert!(ok);
    assert_eq!(from_parquet, from_csv, "Parquet and CSV give the same figures");

    // A broken Parquet file is a clear error, not a crash.
    let bytes = std::fs::read(&parquet).unwrap();
    std::fs::write(&parquet, &bytes[..bytes.len() / 2]).unwrap();
    let (ok, _, err) = run_on(&parquet);
    assert!(!ok && err.contains("tidak dapat dibaca"), "{err}");
}

/// The command's own path over a file larger than one 4 MB block, written as pyarrow
/// writes CSV (every text cell quoted), with a separator and a line break inside some
/// quoted cells: read from the file (blocks cut by quote parity), read through a pipe
/// (exact cuts) and read with its quotes removed, the figures are the same; with one
/// stray quote the file is read again with exact cuts and still equals the pipe.
#[test]
fn analytics_ikm_gives_the_same_figures_for_quoted_csv_from_a_file_and_from_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let mut quoted = String::from(
        "\"tanggal\",\"unit\",\"layanan\",\"u1\",\"u2\",\"u3\",\"u4\",\"u5\",\"u6\",\"u7\",\"u8\",\"u9\"\n",
    );
    let mut plain = String::from("tanggal,unit,layanan,u1,u2,u3,u4,u5,u6,u7,u8,u9\n");
    for i in 0..120_000u32 {
        let scores: Vec<String> = (0..9).map(|e| ((i * 7 + e * 3) % 4 + 1).to_string()).collect();
        let date = format!("2025-{:02}-{:02}", i % 12 + 1, i % 28 + 1);
        let unit = format!("unit-{:02}", i % 13);
        let service = match i % 1000 {
            0 => "layanan, dengan koma".to_owned(),
            1 => "layanan\nbaris dua".to_owned(),
            _ => format!("layanan-{:02}", i % 25),
        };
        quoted += &format!("{date},\"{unit}\",\"{service}\",{}\n", scores.join(","));
        if !service.contains(['\n', ',']) {
            plain += &format!("{date},{unit},{service},{}\n", scores.join(","));
        }
    }
    let on_file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let (ok, out, err) = run(tanggap(dir.path())
            .args(["analytics", "ikm", "--input"])
            .arg(&path)
            .args(["--group-by", "unit,layanan,bulan", "--format", "csv"]));
        assert!(ok, "{err}");
        out
    };
    let on_pipe = |text: &str| {
        use std::io::Write;
        let mut child = tanggap(dir.path())
            .args([
                "analytics",
                "ikm",
                "--input",
                "/dev/stdin",
                "--group-by",
                "unit,layanan,bulan",
                "--format",
                "csv",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let text = text.to_owned();
        let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()).unwrap());
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(quoted.len() > 5 << 20, "the file spans several blocks");
    let from_file = on_file("quoted.csv", &quoted);
    assert_eq!(from_file, on_pipe(&quoted));
    assert!(from_file.contains("layanan, dengan koma") && from_file.contains("layanan\nbaris dua"));
    // The unquoted file (without the rows whose service needs quotes) gives each of its
    // groups exactly as the quoted one does.
    let from_plain = on_file("plain.csv", &plain);
    let quoted_lines: std::collections::HashSet<&str> = from_file.lines().collect();
    assert!(from_plain.lines().count() > 3_000);
    for line in from_plain.lines() {
        assert!(quoted_lines.contains(line), "{line}");
    }

    let stray = quoted.replacen("\"unit-05\"", "unit-\"05", 1);
    let again = on_file("stray.csv", &stray);
    assert_eq!(again, on_pipe(&stray));
    // The stray quote is kept as a letter of the unit (doubled in the CSV output).
    assert!(again.contains("\"unit-\"\"05\""), "{}", &again[..300]);
    assert_ne!(again, from_file);
}
