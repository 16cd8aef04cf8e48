//! The HTTP shell as a browser-less client sees it.

use tanggap_tests::{TestApp, TestDb, on_both_databases, small_demo, spawn_app};

async fn demo_app(db: TestDb) -> TestApp {
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    spawn_app(db).await
}

on_both_databases!(
    home_page_lists_units_and_their_services_in_indonesian,
    |db: TestDb| async move {
        let app = demo_app(db).await;
        let (status, body) = app.get("/").await;
        assert_eq!(status, 200);
        assert!(body.contains("<html lang=\"id\">"));
        assert!(body.contains("Unit Pelayanan Publik"));
        for name in [
            "Dinas Sosial dan Pemberdayaan Masyarakat Kota Dumai",
            "Dinas Sosial Kota Lubuklinggau",
            "Kabupaten Rokan Hilir",
            "Pekanbaru",
        ] {
            assert!(body.contains(name), "home page lacks {name}");
        }
        let (status, unit) = app.get("/u/dinsospm-dumai").await;
        assert_eq!(status, 200);
        assert!(unit.contains("Jenis Layanan"));
        assert!(unit.contains("Jangka waktu penyelesaian"));
        let services = app
            .store
            .list_services(app.store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap().id)
            .await
            .unwrap();
        assert_eq!(services.len(), 12);
        for s in &services {
            let escaped = s
                .name
                .replace('&', "&#38;")
                .replace('\'', "&#39;")
                .replace('"', "&#34;");
            assert!(
                unit.contains(&s.name) || unit.contains(&escaped),
                "unit page lacks service {}",
                s.name
            );
        }
    }
);

on_both_databases!(health_and_readiness, |db: TestDb| async move {
    let app = spawn_app(db).await;
    assert_eq!(app.get("/healthz").await, (reqwest::StatusCode::OK, "ok".to_owned()));
    assert_eq!(app.get("/readyz").await, (reqwest::StatusCode::OK, "ready".to_owned()));
});

#[tokio::test]
async fn unknown_pages_get_a_friendly_404_in_the_readers_language() {
    let app = spawn_app(TestDb::sqlite().await).await;
    let (status, body) = app.get("/tidak/ada").await;
    assert_eq!(status, 404);
    assert!(body.contains("Halaman tidak ditemukan"));
    assert!(
        body.contains("Kode permintaan"),
        "the request id is shown to quote to staff"
    );
    let (status, body) = app.get("/u/unit-yang-tidak-ada").await;
    assert_eq!(status, 404);
    assert!(body.contains("Halaman tidak ditemukan"));
    let response = app
        .client
        .get(format!("{}/tidak/ada", app.address))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(
        response.text().await.unwrap().contains("Halaman tidak ditemukan"),
        "Indonesian first, whatever the phone says"
    );
    let (status, body) = app.get("/tidak/ada?lang=en").await;
    assert_eq!(status, 404);
    assert!(body.contains("Page not found"));
}

#[tokio::test]
async fn language_switch_sets_a_cookie_and_returns_to_the_page() {
    let app = spawn_app(TestDb::sqlite().await).await;
    let response = app
        .client
        .get(format!("{}/lang/en?next=%2Fu%2Fx", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/u/x");
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("lang=en") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let (_, body) = app.get("/").await;
    assert!(body.contains("<html lang=\"en\">") && body.contains("Public Service Units"));
    // Never an open redirect.
    let response = app
        .client
        .get(format!("{}/lang/id?next=//evil.example", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/");
    let (_, body) = app.get("/").await;
    assert!(body.contains("Unit Pelayanan Publik"));
    assert_eq!(app.get("/lang/fr").await.0, 404);
}

#[tokio::test]
async fn security_headers_request_ids_and_cached_assets() {
    let app = spawn_app(TestDb::sqlite().await).await;
    let response = app.client.get(format!("{}/", app.address)).send().await.unwrap();
    let h = response.headers();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert_eq!(h["x-request-id"].to_str().unwrap().len(), 36, "a UUID request id");

    let css = app
        .client
        .get(format!("{}/assets/style.css", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    let etag = css.headers()["etag"].clone();
    assert!(css.text().await.unwrap().contains("--green"));
    let again = app
        .client
        .get(format!("{}/assets/style.css", app.address))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(app.get("/assets/../Cargo.toml").await.0, 404);
    assert_eq!(app.get("/assets/tidak-ada.css").await.0, 404);
}

#[tokio::test]
async fn pages_use_no_inline_script_or_external_resources() {
    let app = demo_app(TestDb::sqlite().await).await;
    for path in ["/", "/u/dinsos-lubuklinggau", "/tidak-ada"] {
        let (_, body) = app.get(path).await;
        assert!(!body.contains("<script"), "{path} has a script tag");
        assert!(!body.contains("style=\""), "{path} has an inline style");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} loads something from elsewhere"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_before_anything_reads_them() {
    let app = tanggap_tests::spawn_app_with(TestDb::sqlite().await, |c| c.max_body_bytes = 64 * 1024).await;
    let anon = app.anonymous().await;
    let big = "x".repeat(200 * 1024);
    let (status, _, body) = anon
        .post("/masuk", &[("username", big.as_str()), ("password", "y")])
        .await;
    assert_eq!(status, 413);
    assert!(body.contains("Kiriman terlalu besar"), "{body}");
    assert_eq!(app.store.counts().await.unwrap().users, 0);
}
