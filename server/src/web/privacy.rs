//! What the HTTP shell does so that personal data stays where it belongs (issue 17):
//! responses carrying it are never stored by browsers or proxies, HTTPS is pinned
//! when the site is served over it, and request logs name the route, never the raw
//! path (which may hold a tracking code or an invitation token).

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;

/// `Strict-Transport-Security` sent on every response when `public_url` is https:
/// one year, the usual minimum for browsers to keep it.
pub const HSTS: &str = "max-age=31536000";

/// What the logs say instead of a path no route matched (it may be a mistyped
/// tracking link, so it is not written either).
pub const UNMATCHED: &str = "<unmatched>";

/// Paths whose responses may carry personal data or bearer secrets, and so must not
/// be cached: every staff page and file (`/staf`), the system admin's pages
/// (`/sistem`: every account), the account pages, the whole JSON API, the tracking
/// page and survey invitation pages (their URL is the secret).
pub fn is_private_path(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    under("/staf") || under("/sistem") || under("/akun") || under("/api") || under("/lacak") || under("/undangan")
}

/// The path to write in a log line: the route template that matched
/// (`/api/v1/tracking/{code}`), never the raw path nor its query string.
pub fn log_path(req: &Request) -> &str {
    req.extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or(UNMATCHED)
}

/// Middleware: `Cache-Control: no-store` on [`is_private_path`] responses (replacing
/// whatever a handler set) and HSTS on every response when the site is https.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let private = is_private_path(req.uri().path());
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[test]
    fn private_paths_are_the_staff_account_api_tracking_and_invitation_ones() {
        for p in [
            "/staf",
            "/staf/dinsos/pengaduan/1",
            "/staf/dinsos/pengaduan.csv",
            "/sistem/pengguna",
            "/akun",
            "/api/v1/units",
            "/api/v1/tracking/ABCD",
            "/lacak",
            "/undangan/secret",
        ] {
            assert!(is_private_path(p), "{p}");
        }
        for p in [
            "/",
            "/u/dinsos",
            "/u/dinsos/ikm",
            "/survei/dinsos",
            "/stafx",
            "/sistemx",
            "/apix",
            "/assets/app.css",
        ] {
            assert!(!is_private_path(p), "{p}");
        }
    }

    #[tokio::test]
    async fn logs_name_the_route_not_the_path() {
        use std::sync::{Arc, Mutex};
        use tower::ServiceExt;
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = seen.clone();
        let app = axum::Router::new()
            .route("/api/v1/tracking/{code}", axum::routing::get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(move |req: Request, next: Next| {
                let record = record.clone();
                async move {
                    record.lock().unwrap().push(log_path(&req).to_owned());
                    next.run(req).await
                }
            }));
        for uri in ["/api/v1/tracking/RAHASIA123?kode=RAHASIA123", "/lacak/RAHASIA123"] {
            let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
            app.clone().oneshot(req).await.unwrap();
        }
        assert_eq!(
            *seen.lock().unwrap(),
            vec!["/api/v1/tracking/{code}".to_owned(), UNMATCHED.to_owned()]
        );
    }
}
