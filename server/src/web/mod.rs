//! The HTTP shell: routes, middleware, the base pages and their error pages.
//!
//! Every route is registered in [`router`], so the authorization matrix test of a
//! later issue can walk them from one place.

mod assets;
mod pages;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::i18n::{Lang, Tr};
use crate::storage::Store;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// The configuration the server started with.
    pub config: Arc<Config>,
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The content security policy: no inline script or style, nothing from elsewhere,
/// never framed.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Builds the whole application: routes, then middleware from the inside out.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .route("/", get(pages::home))
        .route("/u/{code}", get(pages::unit_home))
        .route("/lang/{code}", get(pages::switch_language))
        .route("/healthz", get(pages::healthz))
        .route("/readyz", get(pages::readyz))
        .route("/assets/{*path}", get(assets::serve))
        .fallback(pages::not_found)
        .layer(CatchPanicLayer::custom(|_| ErrorPage::Internal.into_response()))
        .layer(middleware::from_fn_with_state(state.clone(), render_error_pages))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .with_state(state)
}

/// A page-level failure. Handlers return it; [`render_error_pages`] turns it into a
/// friendly page in the reader's language with the request id to quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPage {
    /// 404: nothing at this address.
    NotFound,
    /// 500: our fault; details are in the log under the request id.
    Internal,
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let status = match self {
            ErrorPage::NotFound => StatusCode::NOT_FOUND,
            ErrorPage::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl From<crate::storage::StoreError> for ErrorPage {
    fn from(err: crate::storage::StoreError) -> Self {
        tracing::error!(error = %err, "storage failure");
        ErrorPage::Internal
    }
}

impl From<askama::Error> for ErrorPage {
    fn from(err: askama::Error) -> Self {
        tracing::error!(error = %err, "template failure");
        ErrorPage::Internal
    }
}

async fn render_error_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = negotiate_language(req.headers(), req.uri().query(), state.config.default_language);
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let response = next.run(req).await;
    let Some(page) = response.extensions().get::<ErrorPage>().copied() else {
        return response;
    };
    let status = response.status();
    match pages::render_error(Tr { lang }, page, &request_id) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, "error").into_response(),
    }
}

/// The reader's language: `?lang=`, then the `lang` cookie, then the configured
/// default. `Accept-Language` is deliberately not consulted: many phones here are set
/// to English while their owners read Indonesian, and the product is Indonesian first;
/// English is one tap away on every page.
pub fn negotiate_language(headers: &axum::http::HeaderMap, query: Option<&str>, default: Lang) -> Lang {
    if let Some(lang) = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Lang::parse(v))
    }) {
        return lang;
    }
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v));
    cookie.unwrap_or(default)
}

/// Extractor for the reader's language and the current path (for the switch links).
pub struct Reader {
    /// The translator for the reader's language.
    pub tr: Tr,
    /// The path and query of this page, percent-encoded for a `next=` parameter.
    pub next: String,
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = negotiate_language(&parts.headers, parts.uri.query(), state.config.default_language);
        let path = parts.uri.path();
        Ok(Reader {
            tr: Tr { lang },
            next: url::form_urlencoded::byte_serialize(path.as_bytes()).collect(),
        })
    }
}
