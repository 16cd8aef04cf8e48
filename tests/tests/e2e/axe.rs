//! axe-core over every public page and the main staff pages, on a phone (390 px)
//! and on a desktop (1280 px), in a real Chromium (issue 21): no violations.
//!
//! axe is vendored (`tests/vendor/axe-core/`, MPL-2.0) and injected through
//! WebDriver, so nothing is downloaded and the pages' CSP does not apply to it.

use fantoccini::Locator;
use tanggap::domain::Role;
use tanggap_tests::{Browser, TestDb, add_staff, small_demo, spawn_app};

/// The vendored version (see `tests/vendor/axe-core/README.md`).
const AXE_VERSION: &str = "4.14.1";
const UNIT: &str = "dinsos-lubuklinggau";
const PASSWORD: &str = "kata-sandi-uji-123";

fn axe_source() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("vendor/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        source.starts_with(&format!("/*! axe v{AXE_VERSION}")),
        "the vendored axe is {AXE_VERSION}"
    );
    source
}

/// Runs axe on the page the browser shows and returns its violations, one line each
/// (rule, impact, the elements, what is wrong), empty when there are none. Text whose
/// contrast axe could not decide counts too (a table cell hidden behind the edge of a
/// scrolling table on a phone was such a case), except the text inside the inline SVG
/// charts of the dashboard: axe cannot stack SVG shapes, so it calls every chart label
/// "overlapped"; the chart's colours are fixed in `reports::charts` (dark text on white).
async fn violations(browser: &Browser, axe: &str) -> Vec<String> {
    let c = &browser.client;
    c.execute(&format!("{axe}\n;return typeof window.axe === 'object';"), vec![])
        .await
        .expect("inject axe");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             axe.run(document, { resultTypes: ['violations', 'incomplete'], elementRef: true }) \
               .then(r => done(r.violations.concat(r.incomplete.filter(v => v.id === 'color-contrast') \
                  .map(v => Object.assign({}, v, { id: 'color-contrast undecided', \
                     nodes: v.nodes.filter(n => !(n.element && n.element.closest('svg'))) })) \
                  .filter(v => v.nodes.length > 0)) \
                  .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + \
                  v.nodes.map(n => n.target.join(' ') + ' [' + (n.failureSummary || n.any.map(a => a.message).join(' ')).replace(/\\s+/g, ' ') + ']').join('; ')))) \
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("run axe");
    serde_json::from_value(found).expect("a list of strings")
}

/// Opens each path and collects every violation, named by page and width.
async fn check(browser: &Browser, axe: &str, address: &str, width: u32, paths: &[String]) -> Vec<String> {
    let mut all = Vec::new();
    for path in paths {
        browser.client.goto(&format!("{address}{path}")).await.unwrap();
        browser
            .client
            .find(Locator::Css("main"))
            .await
            .unwrap_or_else(|_| panic!("{path} has no main"));
        for v in violations(browser, axe).await {
            all.push(format!("{width} px {path}: {v}"));
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_and_staff_pages_have_no_axe_violations_on_a_phone_and_a_desktop() {
    let axe = axe_source();
    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit_id = add_staff(
        db.store.as_ref(),
        UNIT,
        "petugas-axe",
        PASSWORD,
        &[Role::Petugas, Role::Admin],
    )
    .await;
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    let (closed, complaint_id): (String, i64) = sqlx::query_as(
        "SELECT tracking_code, id FROM complaints WHERE status = 'selesai' AND unit_id = ? ORDER BY id LIMIT 1",
    )
    .bind(unit_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    let app = spawn_app(db).await;

    let public: Vec<String> = [
        "/".to_owned(),
        format!("/u/{UNIT}"),
        format!("/u/{UNIT}/ikm"),
        format!("/u/{UNIT}/pengaduan"),
        "/lacak".to_owned(),
        format!("/lacak?kode={closed}"),
        "/lacak?kode=TIDAKADA".to_owned(),
        format!("/survei/{UNIT}"),
        format!("/survei/{UNIT}/terima-kasih"),
        "/masuk".to_owned(),
        "/tidak-ada".to_owned(),
    ]
    .into();
    let staff: Vec<String> = [
        format!("/staf/{UNIT}"),
        format!("/staf/{UNIT}/pengaduan"),
        format!("/staf/{UNIT}/pengaduan/{complaint_id}"),
        format!("/staf/{UNIT}/dasbor"),
        format!("/staf/{UNIT}/laporan"),
        format!("/staf/{UNIT}/survei/periode"),
        format!("/staf/{UNIT}/pengaturan"),
    ]
    .into();

    let mut found = Vec::new();
    for (width, height) in [(390, 844), (1280, 800)] {
        let Some(browser) = Browser::start(width, height).await else {
            return;
        };
        browser.set_viewport(width, height).await;
        found.extend(check(&browser, &axe, &app.address, width, &public).await);
        browser.login(&app.address, "petugas-axe", PASSWORD).await;
        found.extend(check(&browser, &axe, &app.address, width, &staff).await);
        browser.close().await;
    }
    assert!(
        found.is_empty(),
        "{} axe violations:\n{}",
        found.len(),
        found.join("\n")
    );
}
