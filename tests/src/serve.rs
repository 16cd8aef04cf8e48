//! The real `tanggap serve` binary as a child process (with its background loops,
//! which [`crate::spawn_app`] never starts), and a TCP proxy that can cut a server
//! off from its database.
//!
//! The binary is `target/debug/tanggap` next to the test executable (`TANGGAP_BIN`
//! overrides it). `cargo test --workspace` builds it, because the `tanggap` package
//! has integration tests; after changing the server, a run of only `--test e2e`
//! needs `cargo build --workspace` first, or it tests the old binary (a warning says
//! so when the binary is older than the test executable).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `tanggap` binary the tests start.
pub fn tanggap_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TANGGAP_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    // target/debug/deps/e2e-HASH -> target/debug/tanggap
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/*/deps")
        .join("tanggap");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace` (or `cargo test --workspace`) first",
        bin.display()
    );
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(b), Some(t)) = (modified(&bin), modified(&exe))
        && b + Duration::from_secs(60) < t
    {
        eprintln!(
            "warning: {} is older than this test executable; run `cargo build --workspace` if the server changed",
            bin.display()
        );
    }
    bin
}

/// One running `tanggap serve` process; killed (SIGKILL) when dropped. Its log
/// (standard error) is printed when the test panics, to show what the server did.
pub struct ServeProcess {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The process id (for `kill -9 PID`).
    pub pid: u32,
    child: Child,
    log: PathBuf,
    stdout: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
}

impl ServeProcess {
    /// Starts `tanggap serve` on a free loopback port against `database_url`, with
    /// extra environment variables (e.g. `TANGGAP_JOBS__OUTBOX_INTERVAL_SECONDS`),
    /// and waits until `/healthz` answers. Its working folder is empty, so no
    /// `tanggap.toml` is read.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> ServeProcess {
        Self::start_with(database_url, &[], env).await
    }

    /// [`Self::start`] with more flags of `tanggap serve` (e.g. `--demo`); the
    /// standard output stays readable through [`Self::stdout`].
    pub async fn start_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> ServeProcess {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("serve.log");
        let mut command = Command::new(tanggap_binary());
        command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", database_url)
            .env("TANGGAP_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = command.spawn().expect("start tanggap serve");
        let pid = child.id();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let printed = Arc::new(Mutex::new(Vec::new()));
        let kept = printed.clone();
        // Reads the "running at http://..." line (the first URL printed), keeps
        // every line, and keeps draining the pipe.
        std::thread::spawn(move || {
            let mut told = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(at) = line.find("http://")
                    && !told
                {
                    told = true;
                    let _ = tx.send(line[at..].trim().to_owned());
                }
                kept.lock().expect("stdout lines").push(line);
            }
        });
        let started = Instant::now();
        let address = loop {
            match rx.try_recv() {
                Ok(address) => break address,
                Err(_) if started.elapsed() > Duration::from_secs(60) => {
                    let _ = child.kill();
                    panic!(
                        "tanggap serve did not start within 60 s:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "tanggap serve exited with {status}:\n{}",
                            std::fs::read_to_string(&log).unwrap_or_default()
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        let server = ServeProcess {
            address,
            pid,
            child,
            log,
            stdout: printed,
            _dir: dir,
        };
        let client = reqwest::Client::new();
        let ok = eventually(Duration::from_secs(20), || async {
            client
                .get(format!("{}/healthz", server.address))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
                .then_some(())
        })
        .await;
        assert!(ok.is_some(), "{} never answered /healthz", server.address);
        server
    }

    /// Kills the process with SIGKILL (by its PID: no clean shutdown, nothing
    /// flushed) and reaps it.
    pub fn kill(&mut self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -KILL {} failed", self.pid);
        let _ = self.child.wait();
    }

    /// Whether the process is still running (it has not exited or been killed).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The lines the server printed on standard output so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().expect("stdout lines").clone()
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- log of tanggap serve (pid {}), last lines ---", self.pid);
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// Calls `check` every 100 ms until it gives `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A TCP proxy on a loopback port in front of `target` (a database server).
/// [`TcpProxy::cut`] closes every open connection and refuses new ones, as a
/// database restart would; [`TcpProxy::stall`] keeps every connection open but
/// forwards nothing and answers no new one, as a network partition would (the case
/// where a client without its own timeout hangs); [`TcpProxy::restore`] lets
/// traffic through again.
pub struct TcpProxy {
    /// The proxy's port on 127.0.0.1.
    pub port: u16,
    cut: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

/// Copies one direction of a connection, holding the bytes while `stalled`.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl TcpProxy {
    /// Starts forwarding to `target`.
    pub async fn start(target: SocketAddr) -> TcpProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let cut = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let accept = {
            let (cut, stalled, connections) = (cut.clone(), stalled.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((inbound, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let stalled = stalled.clone();
                    let task = tokio::spawn(async move {
                        // A connection made during a stall is held open, unanswered.
                        while stalled.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let (in_read, in_write) = inbound.into_split();
                        let (out_read, out_write) = outbound.into_split();
                        tokio::join!(
                            pump(in_read, out_write, stalled.clone()),
                            pump(out_read, in_write, stalled)
                        );
                    });
                    connections.lock().expect("proxy lock").push(task.abort_handle());
                }
            })
        };
        TcpProxy {
            port,
            cut,
            stalled,
            connections,
            accept,
        }
    }

    /// Closes every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().expect("proxy lock").drain(..) {
            connection.abort();
        }
    }

    /// Keeps every connection open but forwards nothing, and leaves new ones
    /// unanswered.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// Lets traffic through again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
        self.stalled.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
