//! The secretariat's working screens (issue 21): one staff navigation on every page
//! of a unit, listing only what the role may open; the inbox and the complaint page
//! laid out for a wide screen, measured in a real Chromium.

use fantoccini::Locator;
use tanggap::domain::{Channel, Role};
use tanggap::storage::model::{NewUnit, NewUser};
use tanggap_tests::{Browser, TestDb, add_staff, on_both_databases, small_demo, spawn_app};

const PASSWORD: &str = "kata-sandi-uji-123";

/// Every entry of the navigation: key and target below `/staf/{unit}`.
const NAV: [(&str, &str); 7] = [
    ("home", ""),
    ("inbox", "/pengaduan"),
    ("new", "/pengaduan/baru"),
    ("survey", "/survei/periode"),
    ("reports", "/laporan"),
    ("dashboard", "/dasbor"),
    ("settings", "/pengaturan"),
];

fn new_unit(code: &str) -> NewUnit {
    NewUnit {
        code: code.into(),
        name: format!("Dinas Uji {code}"),
        short_name: format!("Uji {code}"),
        address: "Jl. Merdeka 1".into(),
        city: "Dumai".into(),
        phone: String::new(),
        email: String::new(),
        time_zone: "Asia/Jakarta".into(),
        letterhead: vec!["PEMERINTAH KOTA UJI".into()],
        head_title: "Kepala Dinas".into(),
        head_name: "Drs. Ahmad".into(),
        head_nip: String::new(),
        complaint_channels: vec![Channel::Website],
    }
}

/// The `data-nav` keys of the staff navigation in `html`, and the one marked current.
fn nav_of(html: &str) -> Option<(Vec<String>, Option<String>)> {
    let start = html.find("<nav class=\"staff-nav\"")?;
    let end = start + html[start..].find("</nav>")?;
    let nav = &html[start..end];
    let mut keys = Vec::new();
    let mut current = None;
    for link in nav.split("<a ").skip(1) {
        let tag = link.split('>').next().unwrap_or_default();
        let key = tag.split("data-nav=\"").nth(1)?.split('"').next()?.to_owned();
        if tag.contains("aria-current=\"page\"") {
            assert!(current.is_none(), "two current entries: {nav}");
            current = Some(key.clone());
        }
        keys.push(key);
    }
    Some((keys, current))
}

on_both_databases!(
    staff_navigation_shows_what_each_role_may_open,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit = store.create_unit(&new_unit("uji-nav")).await.unwrap();
        let other = store.create_unit(&new_unit("uji-lain")).await.unwrap();
        let hash = tanggap::passwords::hash(PASSWORD).unwrap();
        let roles: [(&str, Role, &[&str]); 5] = [
            (
                "admin",
                Role::Admin,
                &["home", "inbox", "survey", "reports", "dashboard", "settings"],
            ),
            (
                "petugas",
                Role::Petugas,
                &["home", "inbox", "new", "survey", "reports", "dashboard"],
            ),
            (
                "kadis",
                Role::KepalaDinas,
                &["home", "inbox", "new", "survey", "reports", "dashboard"],
            ),
            (
                "sekretaris",
                Role::Sekretaris,
                &["home", "inbox", "new", "survey", "reports", "dashboard"],
            ),
            (
                "auditor",
                Role::Auditor,
                &["home", "inbox", "survey", "reports", "dashboard"],
            ),
        ];
        for (name, role, _) in &roles {
            store
                .create_user(&NewUser {
                    username: (*name).into(),
                    full_name: format!("Ibu {name}"),
                    password_hash: hash.clone(),
                    roles: vec![(unit, *role), (other, Role::Auditor)],
                })
                .await
                .unwrap();
        }
        let app = spawn_app(db).await;
        for (name, _, expected) in roles {
            let actor = app.login(name, PASSWORD).await;
            for (key, target) in NAV {
                let path = format!("/staf/uji-nav{target}");
                let (status, _, html) = actor.get(&path).await;
                if expected.contains(&key) {
                    // The page opens and carries the same navigation, its own entry current.
                    assert_eq!(status, 200, "{name} opens {path}");
                    let (keys, current) = nav_of(&html).unwrap_or_else(|| panic!("{name}: no navigation on {path}"));
                    assert_eq!(keys, expected, "{name} on {path}");
                    assert_eq!(current.as_deref(), Some(key), "{name} on {path}");
                    assert!(html.contains("<main id=\"main\" tabindex=\"-1\" class=\"wide\">"));
                } else {
                    // What the navigation leaves out is really refused.
                    assert_eq!(status, 403, "{name} must not open {path}");
                }
            }
            // Deeper pages of a section carry it too, with the section current.
            let (status, _, html) = actor.get("/staf/uji-nav/kartu-kendali").await;
            assert_eq!(status, 200);
            assert_eq!(nav_of(&html).unwrap().1.as_deref(), Some("inbox"));
            // In the other unit the account is an auditor: that unit's navigation is an
            // auditor's, whatever it may do here.
            let (status, _, html) = actor.get("/staf/uji-lain/pengaduan").await;
            assert_eq!(status, 200);
            assert_eq!(
                nav_of(&html).unwrap().0,
                ["home", "inbox", "survey", "reports", "dashboard"]
            );
            // Pages outside a unit have no unit navigation.
            let (_, _, html) = actor.get("/akun").await;
            assert!(nav_of(&html).is_none(), "{name}: no unit navigation on /akun");
        }
        // A citizen sees none, and a stranger to the unit gets 403 without it.
        let anon = app.anonymous().await;
        let (_, _, html) = anon.get("/u/uji-nav").await;
        assert!(nav_of(&html).is_none());
    }
);

/// Whether the element with this id is rendered and visible with a box of its own.
async fn visible(c: &fantoccini::Client, id: &str) -> bool {
    c.execute(
        "const e = document.getElementById(arguments[0]); const r = e.getBoundingClientRect(); \
         return e.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true}) && r.width > 0 && r.height > 0;",
        vec![serde_json::json!(id)],
    )
    .await
    .unwrap()
        == serde_json::Value::Bool(true)
}

/// The `getBoundingClientRect()` of the first element matching `css`: (left, top, right).
async fn rect(browser: &Browser, css: &str) -> (f64, f64, f64) {
    let value = browser
        .client
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) { return null; } \
             const r = e.getBoundingClientRect(); return [r.left, r.top, r.right];",
            vec![serde_json::json!(css)],
        )
        .await
        .unwrap();
    let v: Vec<f64> = serde_json::from_value(value).unwrap_or_else(|_| panic!("{css} missing"));
    (v[0], v[1], v[2])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_inbox_and_the_complaint_page_fit_a_wide_screen() {
    const UNIT: &str = "dinsos-lubuklinggau";
    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    add_staff(db.store.as_ref(), UNIT, "petugas-llg", PASSWORD, &[Role::Petugas]).await;
    let app = spawn_app(db).await;
    let Some(browser) = Browser::start(1280, 800).await else {
        return;
    };
    browser.set_viewport(1280, 800).await;
    let c = &browser.client;
    browser.login(&app.address, "petugas-llg", PASSWORD).await;
    c.goto(&format!("{}/staf/{UNIT}/pengaduan", app.address)).await.unwrap();
    let height = c
        .execute("return window.innerHeight;", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(height > 700.0, "viewport {height}");

    // The list starts above the fold.
    let (_, row_top, _) = rect(&browser, "#inbox tbody tr").await;
    assert!(
        row_top < 800.0 && row_top < height,
        "the first complaint row starts at {row_top} px"
    );
    // Status counts are one row of tabs, all at the same height.
    let tops: Vec<f64> = serde_json::from_value(
        c.execute(
            "return [...document.querySelectorAll('#status-counts a')].map(a => a.getBoundingClientRect().top);",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    assert_eq!(tops.len(), 11, "all statuses and every status");
    let rows: std::collections::BTreeSet<i64> = tops.iter().map(|t| t.round() as i64).collect();
    assert!(
        rows.len() <= 2,
        "the tabs lie in a row (wrapping at most once): {tops:?}"
    );
    // The filters are one bar: every field is shown without opening anything, and
    // the fields share rows (at most two).
    // (WebDriver's "displayed" calls anything in a closed <details> hidden, whatever
    // the CSS; the browser's own checkVisibility() and the box say what is seen.)
    for id in [
        "q", "saluran", "bobot", "jenis", "layanan", "bidang", "petugas", "dari", "sampai", "urut",
    ] {
        assert!(visible(c, id).await, "#{id} shows on a wide screen");
    }
    let field_tops: Vec<f64> = serde_json::from_value(
        c.execute(
            "return [...document.querySelectorAll('#filters select, #filters input:not([type=hidden])')].map(e => e.getBoundingClientRect().top);",
            vec![],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    let field_rows: std::collections::BTreeSet<i64> = field_tops.iter().map(|t| t.round() as i64 / 10).collect();
    assert!(field_rows.len() <= 3, "the filter bar spans {field_rows:?}");
    // The page uses the screen's width: the table spans most of it.
    let (left, _, right) = rect(&browser, "#inbox").await;
    assert!(right - left > 1100.0, "the list is {} px wide", right - left);

    // A filter still works from the bar, and a tab keeps the other filters.
    c.find(Locator::Id("q")).await.unwrap().send_keys("PKH").await.unwrap();
    c.find(Locator::Css("#filters button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_path("/pengaduan").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !c.current_url().await.unwrap().as_str().contains("q=PKH") {
        assert!(std::time::Instant::now() < deadline, "the filter was not applied");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let tab = c
        .find(Locator::Css("#status-counts a[data-status=selesai]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(tab.contains("q=PKH") && tab.contains("status=selesai"), "{tab}");

    // The complaint page: facts, thread and actions side by side.
    c.goto(&format!("{}/staf/{UNIT}/pengaduan", app.address)).await.unwrap();
    c.find(Locator::Css("#inbox tbody tr a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.text_when("#kartu-kendali", "").await;
    let (facts_left, facts_top, facts_right) = rect(&browser, "#facts").await;
    let (thread_left, thread_top, thread_right) = rect(&browser, "#thread").await;
    let (actions_left, actions_top, _) = rect(&browser, "#actions").await;
    assert!(
        facts_right <= thread_left && thread_right <= actions_left,
        "columns left to right: {facts_left}..{facts_right}, {thread_left}..{thread_right}, {actions_left}"
    );
    assert!(
        (facts_top - thread_top).abs() < 2.0 && (thread_top - actions_top).abs() < 2.0,
        "the columns start together: {facts_top} {thread_top} {actions_top}"
    );
    let (_, actions_heading, _) = rect(&browser, "#penanganan-h").await;
    assert!(
        actions_heading < height,
        "the actions start on the first screen: {actions_heading}"
    );
    browser.close().await;

    // On a phone the filters beyond the search fold away, and open on a tap.
    let Some(phone) = Browser::start(390, 844).await else {
        return;
    };
    phone.set_viewport(390, 844).await;
    let c = &phone.client;
    phone.login(&app.address, "petugas-llg", PASSWORD).await;
    c.goto(&format!("{}/staf/{UNIT}/pengaduan", app.address)).await.unwrap();
    assert!(c.find(Locator::Id("q")).await.unwrap().is_displayed().await.unwrap());
    assert!(visible(c, "q").await, "the search stays");
    assert!(!visible(c, "saluran").await, "folded on a phone");
    c.find(Locator::Css("#filters summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(visible(c, "saluran").await, "open after a tap");
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, serde_json::Value::Bool(false), "no sideways scrolling");
    phone.close().await;
}
