//! Compressed pages and long-lived, content-hashed assets (issue 21), over real HTTP.

use std::io::Read;

use tanggap_tests::{TestDb, small_demo, spawn_app};

async fn fetch(url: &str, encoding: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let client = reqwest::Client::new();
    let mut request = client.get(url);
    if let Some(e) = encoding {
        request = request.header("accept-encoding", e);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or_default()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

/// The first `/assets/NAME.HASH.EXT` link to `name` in a page.
fn hashed_link(html: &str, stem: &str, ext: &str) -> String {
    let prefix = format!("/assets/{stem}.");
    let start = html.find(&prefix).unwrap_or_else(|| panic!("no {prefix} link"));
    let link = html[start..].split('"').next().unwrap().to_owned();
    let hash = link
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(&format!(".{ext}")))
        .unwrap_or_else(|| panic!("{link}"));
    assert_eq!(hash.len(), 10, "{link}");
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{link}");
    link
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_assets_are_compressed_and_assets_cached_under_their_hash() {
    let db = TestDb::sqlite().await;
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let app = spawn_app(db).await;
    let base = &app.address;

    // A page: gzip when asked, identical once decompressed, and smaller.
    let (status, headers, plain) = fetch(&format!("{base}/u/dinsos-lubuklinggau"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-encoding"),
        "",
        "nothing asked, nothing compressed"
    );
    let (status, headers, packed) = fetch(&format!("{base}/u/dinsos-lubuklinggau"), Some("gzip")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert_eq!(gunzip(&packed), plain, "decompresses to the page");
    assert!(packed.len() * 3 < plain.len(), "{} -> {}", plain.len(), packed.len());
    let (_, headers, br) = fetch(&format!("{base}/u/dinsos-lubuklinggau"), Some("br")).await;
    assert_eq!(header(&headers, "content-encoding"), "br");
    assert!(br.len() * 3 < plain.len());

    // Pages link the stylesheet and scripts under hashed names.
    let html = String::from_utf8(plain).unwrap();
    let css = hashed_link(&html, "style", "css");
    let (_, _, survey) = fetch(&format!("{base}/survei/dinsos-lubuklinggau"), None).await;
    let js = hashed_link(&String::from_utf8(survey).unwrap(), "survey", "js");
    for (link, kind) in [(&css, "text/css"), (&js, "text/javascript")] {
        let (status, headers, plain) = fetch(&format!("{base}{link}"), None).await;
        assert_eq!(status, 200, "{link}");
        assert!(header(&headers, "content-type").starts_with(kind), "{link}");
        assert_eq!(
            header(&headers, "cache-control"),
            "public, max-age=31536000, immutable",
            "{link}"
        );
        let (_, headers, packed) = fetch(&format!("{base}{link}"), Some("gzip, br")).await;
        assert_eq!(header(&headers, "content-encoding"), "br", "{link}: brotli preferred");
        assert!(packed.len() < plain.len());
        let (_, headers, packed) = fetch(&format!("{base}{link}"), Some("gzip")).await;
        assert_eq!(header(&headers, "content-encoding"), "gzip");
        assert_eq!(gunzip(&packed), plain, "{link}");
    }

    // Another hash of the same file is not served (its content is gone); the plain
    // name still answers for old links, with a short lifetime.
    let (status, _, _) = fetch(&format!("{base}/assets/style.0123456789.css"), None).await;
    assert_eq!(status, 404);
    let (status, _, _) = fetch(&format!("{base}/assets/nope.0123456789.css"), None).await;
    assert_eq!(status, 404);
    let (status, headers, _) = fetch(&format!("{base}/assets/style.css"), None).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "cache-control"), "public, max-age=3600");

    // Files that are compressed already (XLSX) are sent as they are.
    tanggap_tests::add_staff(
        app.store.as_ref(),
        "dinsos-lubuklinggau",
        "petugas-gzip",
        "kata-sandi-uji-123",
        &[tanggap::domain::Role::Petugas],
    )
    .await;
    let actor = app.login("petugas-gzip", "kata-sandi-uji-123").await;
    let r = actor
        .client
        .get(actor.url("/staf/dinsos-lubuklinggau/survei/ekspor.xlsx"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(header(r.headers(), "content-type").contains("spreadsheetml"));
    assert_eq!(header(r.headers(), "content-encoding"), "");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"), "the XLSX itself");
}
