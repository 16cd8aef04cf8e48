//! The real `tanggap serve` process: found next to this test binary, started on a
//! database, killed with SIGKILL by its PID, started again on the same database.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The `tanggap` binary cargo built into this target directory (or `TANGGAP_BIN`).
/// Cargo does not hand a test of another package the binary's path, so it is found
/// beside the test executable (`target/debug/deps/crash-*` -> `target/debug/tanggap`);
/// `cargo test --workspace` builds it (the server's own integration tests need it),
/// a single run with `cargo test --workspace --no-run --test crash --test cli`. A binary older than
/// the newest build of the library is refused: it would test yesterday's code.
pub fn tanggap_binary() -> PathBuf {
    const BUILD: &str = "cargo test --workspace --no-run --test crash --test cli";
    if let Ok(path) = std::env::var("TANGGAP_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps folder");
    let bin = deps.parent().expect("profile folder").join("tanggap");
    assert!(bin.exists(), "{} is missing: build it with `{BUILD}`", bin.display());
    let built = modified(&bin);
    let newest_lib = std::fs::read_dir(deps)
        .expect("read deps")
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("libtanggap-") && name.ends_with(".rlib")
        })
        .map(|e| modified(&e.path()))
        .max();
    if let Some(lib) = newest_lib {
        assert!(
            built >= lib,
            "{} is older than the tanggap library: build it with `{BUILD}`",
            bin.display()
        );
    }
    bin
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// One `tanggap serve` process at a time on a fixed loopback port.
pub struct Served {
    binary: PathBuf,
    database_url: String,
    dir: PathBuf,
    /// The port it listens on, the same across restarts.
    pub port: u16,
    child: Option<Child>,
    starts: usize,
}

impl Served {
    /// Starts the first process on `database_url` (already migrated) and waits until
    /// it answers `/readyz`. `dir` is its working folder and keeps its logs.
    pub async fn start(database_url: &str, dir: &Path) -> Served {
        let mut served = Served {
            binary: tanggap_binary(),
            database_url: database_url.to_owned(),
            dir: dir.to_owned(),
            port: tanggap_tests::mail::free_port(),
            child: None,
            starts: 0,
        };
        served.spawn().await;
        served
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn spawn(&mut self) {
        self.starts += 1;
        let log = std::fs::File::create(self.dir.join(format!("serve-{}.log", self.starts))).expect("log file");
        let child = Command::new(&self.binary)
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{}", self.port))
            .current_dir(&self.dir)
            .env("DATABASE_URL", &self.database_url)
            .env("TANGGAP_LOG", "warn")
            // Many clients share one loopback address.
            .env("TANGGAP_PUBLIC_RATE_PER_MINUTE", "1000000")
            // The outbox sender passes often, and a claim left by a killed process
            // lapses in 1.5 s instead of 5 minutes.
            .env("TANGGAP_JOBS__OUTBOX_INTERVAL_SECONDS", "0.1")
            .env("TANGGAP_JOBS__OUTBOX_LOCK_SECONDS", "1.5")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start tanggap serve");
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let url = format!("{}/readyz", self.base());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Ok(r) = client.get(&url).timeout(Duration::from_secs(2)).send().await
                && r.status().is_success()
            {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("tanggap serve exited with {status}: {}", self.log_tail());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("tanggap serve did not become ready: {}", self.log_tail());
    }

    /// SIGKILL to its PID (std's `Child::kill` on Unix), then reaped.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL tanggap serve");
            child.wait().expect("reap tanggap serve");
        }
    }

    /// A new process on the same database and port, ready.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join(format!("serve-{}.log", self.starts))).unwrap_or_default();
        text.chars()
            .rev()
            .take(4000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}
