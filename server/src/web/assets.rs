//! Static assets embedded in the binary: no CDN, nothing to install beside it.
//!
//! Pages link every asset under a content-hashed name (`/assets/style.<hash>.css`,
//! see [`url`]) served with a one-year immutable cache lifetime: a browser keeps it
//! until the file changes, and a changed file has a new name (issue 21). The plain
//! name (`/assets/style.css`) still answers, with a short lifetime and an ETag, for
//! links made before hashing (printed pages, bookmarks). A hashed name whose hash is
//! not the current one answers 404: the old content is not in the binary any more,
//! and serving the new content under the old name would be cached as the old one.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use super::ErrorPage;

#[derive(RustEmbed)]
#[folder = "assets"]
struct Assets;

/// Hex digits of the content hash in an asset's URL (40 bits: enough to tell the
/// versions of one file apart, short enough to read).
const HASH_LEN: usize = 10;

/// Cache lifetime of a hashed URL: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache lifetime of a plain (unhashed) URL.
const SHORT: &str = "public, max-age=3600";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    }
}

/// The content-hashed name of the file `name` with content `content`:
/// `style.css` becomes `style.<first 10 hex digits of its SHA-256>.css`.
pub fn hashed_name(name: &str, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let hash: String = hex::encode(digest).chars().take(HASH_LEN).collect();
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

/// Every embedded file's hashed name to its plain name, computed once.
fn hashed_names() -> &'static HashMap<String, String> {
    static NAMES: OnceLock<HashMap<String, String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        Assets::iter()
            .filter_map(|name| {
                let file = Assets::get(&name)?;
                Some((hashed_name(&name, &file.data), name.into_owned()))
            })
            .collect()
    })
}

/// The URL pages use for the embedded file `name` (`/assets/style.<hash>.css`).
/// An unknown name keeps its plain URL, which answers 404.
pub fn url(name: &str) -> String {
    let hashed = hashed_names().iter().find(|(_, plain)| *plain == name).map(|(h, _)| h);
    match hashed {
        Some(h) => format!("/assets/{h}"),
        None => format!("/assets/{name}"),
    }
}

/// Serves one embedded file: under its hashed name with an immutable one-year
/// lifetime, under its plain name with an ETag (304 when the browser has it).
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    if let Some(plain) = hashed_names().get(&path)
        && let Some(file) = Assets::get(plain)
    {
        return (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type(plain))),
                (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
            ],
            file.data.into_owned(),
        )
            .into_response();
    }
    let Some(file) = Assets::get(&path) else {
        return ErrorPage::NotFound.into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let etag_value = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path))),
            (header::CACHE_CONTROL, HeaderValue::from_static(SHORT)),
            (header::ETAG, etag_value),
        ],
        file.data.into_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hashed_name_follows_the_content() {
        let a = hashed_name("style.css", b"body { color: black; }");
        let b = hashed_name("style.css", b"body { color: black; } ");
        assert_ne!(a, b, "one more byte, another name");
        assert_eq!(a, hashed_name("style.css", b"body { color: black; }"), "stable");
        assert!(a.starts_with("style.") && a.ends_with(".css"), "{a}");
        let hash = &a["style.".len()..a.len() - ".css".len()];
        assert_eq!(hash.len(), HASH_LEN);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
        // SHA-256 of the empty string starts e3b0c44298.
        assert_eq!(hashed_name("x.js", b""), "x.e3b0c44298.js");
        assert_eq!(hashed_name("LICENSE", b""), "LICENSE.e3b0c44298");
    }

    #[test]
    fn every_embedded_file_has_a_hashed_url_that_resolves_to_it() {
        for name in [
            "style.css",
            "survey.js",
            "print.js",
            "paper.js",
            "poster.css",
            "favicon.svg",
        ] {
            let url = url(name);
            let hashed = url.strip_prefix("/assets/").unwrap();
            assert_ne!(hashed, name, "{name} is hashed");
            assert_eq!(hashed_names().get(hashed).map(String::as_str), Some(name));
            let content = Assets::get(name).unwrap().data;
            assert_eq!(hashed, hashed_name(name, &content));
        }
        assert_eq!(url("nope.css"), "/assets/nope.css");
    }
}
