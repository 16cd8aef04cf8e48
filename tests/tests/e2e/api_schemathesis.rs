//! schemathesis over `/api/v1/openapi.json` (issue 21): the real `tanggap serve` on a
//! free port with the demo data, a token of every scope, every check of
//! schemathesis, a bounded run: no failures. schemathesis comes from PyPI, pinned,
//! in `target/schemathesis-venv` (`.ci/run` installs it there once);
//! `TANGGAP_SCHEMATHESIS` names another `st`. Without it the test is skipped with a
//! note, except under `CI=true`, where it fails.

use std::path::PathBuf;
use std::time::Instant;

use tanggap_tests::serve::ServeProcess;
use tanggap_tests::{TestDb, in_ci, small_demo, token_with_every_scope};

/// The version `.ci/run` installs; the run below checks it is the one used.
const VERSION: &str = "4.32.5";
/// A token of the demo's first unit holding every scope.
const TOKEN: &str = "tgp_schemathesis_token_0123456789abcdefghijklmno";

/// `st` of the venv under the target folder, or `TANGGAP_SCHEMATHESIS`.
fn schemathesis() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("TANGGAP_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    // target/debug/deps/e2e-HASH -> target/schemathesis-venv/bin/st
    let exe = std::env::current_exe().ok()?;
    let st = exe.parent()?.parent()?.parent()?.join("schemathesis-venv/bin/st");
    st.exists().then_some(st)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure_in_the_api() {
    let Some(st) = schemathesis() else {
        assert!(
            !in_ci(),
            "CI=true but schemathesis is missing: .ci/run installs it into target/schemathesis-venv"
        );
        eprintln!(
            "skipping schemathesis: run .ci/run, or python3 -m venv target/schemathesis-venv && \
             target/schemathesis-venv/bin/pip install schemathesis=={VERSION}"
        );
        return;
    };
    let version = std::process::Command::new(&st)
        .arg("--version")
        .output()
        .expect("run st");
    assert!(
        String::from_utf8_lossy(&version.stdout).contains(VERSION),
        "{} is not schemathesis {VERSION}: {}",
        st.display(),
        String::from_utf8_lossy(&version.stdout)
    );

    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
    token_with_every_scope(db.store.as_ref(), unit.id, "schemathesis", TOKEN).await;
    let server = ServeProcess::start(&db.url, &[("TANGGAP_PUBLIC_RATE_PER_MINUTE", "1000000")]).await;
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemathesis.toml");
    let started = Instant::now();
    let report = tempfile::tempdir().unwrap();
    let junit = report.path().join("junit.xml");
    let output = tokio::process::Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .args(["--checks", "all", "--report", "junit", "--report-junit-path"])
        .arg(&junit)
        // More or other cases by hand, e.g. "--seed 7 --max-examples 60".
        .args(
            std::env::var("TANGGAP_SCHEMATHESIS_ARGS")
                .unwrap_or_default()
                .split_whitespace(),
        )
        .arg(format!("{}/api/v1/openapi.json", server.address))
        .env("TANGGAP_API_TOKEN", TOKEN)
        .env("NO_COLOR", "1")
        .current_dir(report.path())
        .output()
        .await
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found failures ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
    // It ran every operation of the document, not none.
    let junit = std::fs::read_to_string(&junit).expect("the junit report");
    for (method, path) in tanggap::web::route_list() {
        if path.starts_with("/api/") {
            let label = format!("{method} {path}");
            assert!(junit.contains(&label), "{label} was not tested:\n{stdout}");
        }
    }
    eprintln!("schemathesis ran in {:.0} s", started.elapsed().as_secs_f64());
    drop(server);
}
