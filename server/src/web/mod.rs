//! The HTTP shell: routes, middleware, the base pages and their error pages.
//!
//! Every route is registered in [`router`], so the authorization matrix test of a
//! later issue can walk them from one place.

mod account;
mod account_admin;
mod admin;
mod api;
pub mod api_error;
pub mod api_params;
pub(crate) mod assets;
mod channels;
mod channels_meta;
mod channels_providers;
mod dashboard;
mod follow_up;
mod holidays;
mod intake;
mod lapor;
mod logo;
mod meta_webhook;
mod notices;
mod pages;
pub(crate) mod privacy;
mod provider_hooks;
mod publication;
pub mod reports;
mod safe_next;
mod staff;
pub mod staff_nav;
mod staff_notices;
mod stages;
pub mod stats;
mod survey;
mod survey_admin;
mod survey_data;
pub mod survey_invite;
mod survey_qr;
mod survey_staff;
mod system;
mod triage;

pub use publication::ImageCache;
pub use safe_next::safe_next;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
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
    /// Per-address limits on public endpoints (in memory, per instance).
    pub limits: Arc<RateLimits>,
    /// Survey intake: the group-commit writer and the questionnaire cache.
    pub survey: Arc<crate::survey::SurveyDesk>,
    /// Publication images already drawn (in memory, per instance, bounded).
    pub images: Arc<publication::ImageCache>,
}

/// Per-address request budgets for the public endpoints that strangers can hammer:
/// tracking lookups and the login form (and, later, the complaint and survey forms).
pub struct RateLimits {
    /// Public lookups and form posts, per address.
    pub public: governor::DefaultKeyedRateLimiter<String>,
    /// Checks since start, to prune the table every [`RateLimits::PRUNE_EVERY`].
    checks: std::sync::atomic::AtomicU64,
}

impl RateLimits {
    /// Budgets from the configuration.
    pub fn new(config: &Config) -> RateLimits {
        let per_minute = std::num::NonZeroU32::new(config.public_rate_per_minute.max(1)).expect("at least 1");
        let burst = std::num::NonZeroU32::new((config.public_rate_per_minute / 3).max(1)).expect("at least 1");
        RateLimits {
            public: governor::RateLimiter::keyed(governor::Quota::per_minute(per_minute).allow_burst(burst)),
            checks: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many checks pass between two prunings of the per-address table.
    pub const PRUNE_EVERY: u64 = 1024;

    /// Spends one unit of `ip`'s public budget (false when it is used up). Every
    /// [`Self::PRUNE_EVERY`] checks, addresses whose budget is full again are dropped
    /// from the table, so addresses seen once do not stay in memory for ever.
    pub fn check_public(&self, ip: &str) -> bool {
        let seen = self.checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if seen.is_multiple_of(Self::PRUNE_EVERY) {
            self.prune();
        }
        self.public.check_key(&ip.to_owned()).is_ok()
    }

    /// Drops the addresses whose budget has fully recovered (they behave exactly as
    /// unseen ones) and gives the memory back.
    pub fn prune(&self) {
        self.public.retain_recent();
        self.public.shrink_to_fit();
    }
}

/// Extractor that spends one unit of the caller's public budget, or stops the
/// request with 429.
pub struct PublicRateLimit;

impl FromRequestParts<AppState> for PublicRateLimit {
    type Rejection = ErrorPage;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<crate::auth::ClientIp>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        if state.limits.check_public(&ip) {
            Ok(PublicRateLimit)
        } else {
            Err(ErrorPage::TooManyRequests)
        }
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The content security policy: no inline script or style, nothing from elsewhere,
/// never framed.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Every route of the application with its method, in one place. The router is
/// built from this table, and the authorization matrix test checks that it has a
/// decision for each entry, so no route can be added without one.
pub fn route_table() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/", get(pages::home)),
        (Method::GET, "/u/{code}", get(pages::unit_home)),
        (Method::GET, "/u/{code}/ikm", get(publication::page)),
        (Method::GET, "/u/{code}/ikm.png", get(publication::image)),
        (Method::GET, "/lang/{code}", get(pages::switch_language)),
        (Method::GET, "/lacak", get(pages::track)),
        (Method::GET, "/healthz", get(pages::healthz)),
        (Method::GET, "/readyz", get(pages::readyz)),
        (Method::GET, "/assets/{*path}", get(assets::serve)),
        (Method::GET, "/masuk", get(account::login_form)),
        (Method::POST, "/masuk", post(account::login)),
        (Method::POST, "/keluar", post(account::logout)),
        (Method::GET, "/akun", get(account::account_page)),
        (Method::POST, "/akun/kata-sandi", post(account::change_password)),
        (Method::POST, "/akun/email", post(account::change_email)),
        (Method::POST, "/akun/pemberitahuan", post(staff_notices::save_prefs)),
        (Method::GET, "/staf", get(staff::staff_home)),
        (Method::GET, "/staf/{unit}", get(staff::unit_dashboard)),
        (Method::GET, "/staf/{unit}/pengaduan", get(staff::complaint_list)),
        (Method::GET, "/staf/{unit}/pengaduan.csv", get(staff::complaint_export)),
        (Method::GET, "/staf/{unit}/pengaduan/{id}", get(staff::complaint_detail)),
        (Method::GET, "/staf/{unit}/pengguna", get(admin::users_page)),
        (Method::POST, "/staf/{unit}/pengguna", post(admin::create_user)),
        (
            Method::POST,
            "/staf/{unit}/pengguna/{id}/kata-sandi",
            post(admin::reset_password),
        ),
        (
            Method::POST,
            "/staf/{unit}/pengguna/{id}/status",
            post(admin::set_user_status),
        ),
        // Accounts that span units: system administrators only (issue 17).
        (Method::GET, "/sistem/pengguna", get(system::users_page)),
        (
            Method::POST,
            "/sistem/pengguna/{id}/kata-sandi",
            post(system::reset_password),
        ),
        (
            Method::POST,
            "/sistem/pengguna/{id}/status",
            post(system::set_user_status),
        ),
        (Method::GET, "/staf/{unit}/token", get(admin::tokens_page)),
        (Method::POST, "/staf/{unit}/token", post(admin::create_token)),
        (Method::POST, "/staf/{unit}/token/{id}/cabut", post(admin::revoke_token)),
        (Method::GET, "/staf/{unit}/audit", get(admin::audit_page)),
        // The unit's settings hub, the staff navigation's "settings" (issue 21).
        (Method::GET, "/staf/{unit}/pengaturan", get(staff_nav::settings_page)),
        // Channel settings (issue 4, email and gateways): unit admins only.
        (Method::GET, "/staf/{unit}/saluran", get(channels::channels_page)),
        (Method::POST, "/staf/{unit}/saluran", post(channels::save_channel)),
        // WhatsApp Cloud API (issue 19): its settings form, and the webhook Meta calls.
        (Method::POST, "/staf/{unit}/saluran/meta", post(channels_meta::save)),
        (
            Method::GET,
            "/webhook/{unit}/whatsapp-meta",
            get(meta_webhook::handshake),
        ),
        (
            Method::POST,
            "/webhook/{unit}/whatsapp-meta",
            post(meta_webhook::deliver),
        ),
        // Native SMS/WhatsApp providers (issue 19): unit admins only.
        (
            Method::POST,
            "/staf/{unit}/saluran/penyedia",
            post(channels_providers::save_provider),
        ),
        (
            Method::POST,
            "/staf/{unit}/saluran/penyedia/rahasia",
            post(channels_providers::rotate_secret),
        ),
        // The unit's logo (issue 21): unit admins only.
        (Method::GET, "/staf/{unit}/lambang", get(logo::page)),
        (Method::POST, "/staf/{unit}/lambang", post(logo::upload)),
        (Method::POST, "/staf/{unit}/lambang/hapus", post(logo::remove)),
        (Method::GET, "/api/v1/units", get(api::units)),
        (Method::GET, "/api/v1/units/{unit}/services", get(api::services)),
        (Method::GET, "/api/v1/units/{unit}/complaints", get(api::complaints)),
        (Method::GET, "/api/v1/ikm", get(stats::ikm)),
        (Method::GET, "/api/v1/complaints/stats", get(stats::complaint_stats)),
        (Method::GET, "/api/v1/openapi.json", get(api::openapi)),
        // Intake (issue 4): the citizen form, staff entry, gateway webhooks, the API.
        (Method::GET, "/u/{code}/pengaduan", get(intake::complaint_form)),
        (Method::POST, "/u/{code}/pengaduan", post(intake::submit_complaint)),
        (
            Method::GET,
            "/staf/{unit}/pengaduan/baru",
            get(intake::staff_complaint_form),
        ),
        (
            Method::POST,
            "/staf/{unit}/pengaduan/baru",
            post(intake::staff_record_complaint),
        ),
        (
            Method::GET,
            "/staf/{unit}/pengaduan/{id}/lampiran/{file}",
            get(intake::attachment),
        ),
        (
            Method::POST,
            "/api/v1/gateway/{unit}/{channel}",
            post(intake::gateway_webhook),
        ),
        // Webhooks of the native providers that sign nothing (issue 19).
        (
            Method::POST,
            "/api/v1/webhook/{unit}/{provider}/{secret}",
            post(provider_hooks::provider_webhook),
        ),
        (
            Method::POST,
            "/api/v1/units/{unit}/complaints",
            post(intake::api_create_complaint),
        ),
        (Method::GET, "/api/v1/tracking/{code}", get(intake::api_tracking)),
        // SPAN-LAPOR! import (issue 5)
        (Method::GET, "/staf/{unit}/impor-lapor", get(lapor::import_form)),
        (Method::POST, "/staf/{unit}/impor-lapor", post(lapor::import_upload)),
        // SKM survey intake (issue 7): public survey, kiosk, staff survey pages.
        (Method::GET, "/survei/{unit}", get(survey::survey_page)),
        (Method::POST, "/survei/{unit}", post(survey::submit_survey)),
        (Method::GET, "/survei/{unit}/terima-kasih", get(survey::survey_thanks)),
        (
            Method::GET,
            "/survei/{unit}/{service}",
            get(survey::service_survey_page),
        ),
        (Method::GET, "/kiosk", get(survey::kiosk_page)),
        (Method::POST, "/kiosk", post(survey::kiosk_submit)),
        (Method::GET, "/kiosk/terima-kasih", get(survey::kiosk_thanks)),
        (Method::GET, "/staf/{unit}/kios", get(survey_staff::kiosks_page)),
        (Method::POST, "/staf/{unit}/kios", post(survey_staff::register_kiosk)),
        (
            Method::POST,
            "/staf/{unit}/kios/{id}/cabut",
            post(survey_staff::revoke_kiosk),
        ),
        (Method::GET, "/staf/{unit}/survei/kertas", get(survey_staff::paper_page)),
        (
            Method::POST,
            "/staf/{unit}/survei/kertas",
            post(survey_staff::paper_submit),
        ),
        (Method::GET, "/staf/{unit}/survei/impor", get(survey_data::import_form)),
        (
            Method::POST,
            "/staf/{unit}/survei/impor",
            post(survey_data::import_upload),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/ekspor.csv",
            get(survey_data::export_csv),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/ekspor.xlsx",
            get(survey_data::export_xlsx),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/periode",
            get(survey_admin::periods_page),
        ),
        (
            Method::POST,
            "/staf/{unit}/survei/periode",
            post(survey_admin::create_period),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/periode/{id}",
            get(survey_admin::period_page),
        ),
        (
            Method::POST,
            "/staf/{unit}/survei/periode/{id}",
            post(survey_admin::update_period),
        ),
        (
            Method::POST,
            "/staf/{unit}/survei/periode/{id}/populasi",
            post(survey_admin::set_populations),
        ),
        (Method::GET, "/staf/{unit}/survei/saran", get(survey_admin::saran_page)),
        (
            Method::POST,
            "/staf/{unit}/survei/saran/{id}/pengaduan",
            post(survey_admin::saran_to_complaint),
        ),
        (Method::GET, "/staf/{unit}/survei/qr", get(survey_qr::qr_page)),
        (
            Method::GET,
            "/staf/{unit}/survei/qr/{service}/png",
            get(survey_qr::qr_png),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/qr/{service}/svg",
            get(survey_qr::qr_svg),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/qr/{service}/poster",
            get(survey_qr::poster),
        ),
        (
            Method::GET,
            "/staf/{unit}/survei/undangan",
            get(survey_invite::invites_page),
        ),
        (
            Method::POST,
            "/staf/{unit}/survei/undangan",
            post(survey_invite::create_invite),
        ),
        // Citizen notices (issue 19): the stop link and the unit's invite delay.
        (Method::GET, "/berhenti/{token}", get(notices::stop_confirm)),
        (Method::POST, "/berhenti/{token}", post(notices::stop_apply)),
        (Method::GET, "/staf/{unit}/pemberitahuan", get(notices::settings_page)),
        (Method::POST, "/staf/{unit}/pemberitahuan", post(notices::settings_save)),
        (Method::GET, "/undangan/{token}", get(survey_invite::invite_page)),
        (Method::POST, "/undangan/{token}", post(survey_invite::invite_submit)),
        (
            Method::POST,
            "/api/v1/units/{unit}/survey-invites",
            post(survey_invite::api_create_invite),
        ),
        // Triage (issue 6): status moves, classification, holidays, jenis list.
        (
            Method::POST,
            "/staf/{unit}/pengaduan/{id}/status",
            post(triage::move_status),
        ),
        (
            Method::POST,
            "/staf/{unit}/pengaduan/{id}/klasifikasi",
            post(triage::classify),
        ),
        (
            Method::POST,
            "/staf/{unit}/pengaduan/{id}/persetujuan",
            post(triage::sign_off),
        ),
        (
            Method::POST,
            "/staf/{unit}/pengaduan/{id}/eskalasi",
            post(triage::escalate),
        ),
        (
            Method::POST,
            "/staf/{unit}/pengaduan/{id}/jawaban",
            post(triage::answer),
        ),
        (
            Method::GET,
            "/staf/{unit}/pengaduan/{id}/surat-jawaban",
            get(triage::reply_letter),
        ),
        (
            Method::GET,
            "/staf/{unit}/pengaduan/{id}/surat-jawaban.pdf",
            get(triage::reply_letter_pdf),
        ),
        (Method::GET, "/staf/{unit}/templat-jawaban", get(triage::templates_page)),
        (
            Method::POST,
            "/staf/{unit}/templat-jawaban",
            post(triage::save_template),
        ),
        (
            Method::POST,
            "/staf/{unit}/templat-jawaban/{id}/hapus",
            post(triage::delete_template),
        ),
        (Method::POST, "/staf/{unit}/pengaduan/{id}/gabung", post(triage::merge)),
        (Method::GET, "/staf/{unit}/kartu-kendali", get(triage::unit_card)),
        (
            Method::POST,
            "/api/v1/units/{unit}/complaints/{id}/status",
            post(triage::api_move_status),
        ),
        // Working-day calendar (issue 17): a unit's own days off; the national list
        // is the system-level role's.
        (Method::GET, "/staf/{unit}/hari-libur", get(holidays::unit_page)),
        (Method::POST, "/staf/{unit}/hari-libur", post(holidays::save_unit_day)),
        (
            Method::POST,
            "/staf/{unit}/hari-libur/hapus",
            post(holidays::delete_unit_day),
        ),
        (Method::GET, "/sistem/hari-libur", get(holidays::national_page)),
        (Method::POST, "/sistem/hari-libur", post(holidays::save_national)),
        (
            Method::POST,
            "/sistem/hari-libur/hapus",
            post(holidays::delete_national),
        ),
        // Stage time limits per channel (issue 20): SP4N-LAPOR! stages, auto-close.
        (Method::GET, "/staf/{unit}/tahapan", get(stages::page)),
        (Method::POST, "/staf/{unit}/tahapan", post(stages::save)),
        (Method::GET, "/staf/{unit}/jenis", get(triage::jenis_page)),
        (Method::POST, "/staf/{unit}/jenis", post(triage::add_jenis)),
        (
            Method::POST,
            "/staf/{unit}/jenis/{id}/status",
            post(triage::set_jenis_active),
        ),
        // Reports and their approval (issue 9).
        (Method::GET, "/staf/{unit}/laporan", get(reports::list)),
        (Method::POST, "/staf/{unit}/laporan", post(reports::create)),
        (Method::GET, "/staf/{unit}/laporan/{id}", get(reports::show)),
        (
            Method::GET,
            "/staf/{unit}/laporan/{id}/berkas/{format}",
            get(reports::file),
        ),
        (Method::POST, "/staf/{unit}/laporan/{id}/ajukan", post(reports::submit)),
        (
            Method::POST,
            "/staf/{unit}/laporan/{id}/setujui",
            post(reports::approve),
        ),
        (
            Method::POST,
            "/staf/{unit}/laporan/{id}/kembalikan",
            post(reports::return_back),
        ),
        (Method::GET, "/staf/{unit}/tindak-lanjut", get(follow_up::page)),
        (Method::POST, "/staf/{unit}/tindak-lanjut", post(follow_up::add)),
        (
            Method::POST,
            "/staf/{unit}/tindak-lanjut/{id}/realisasi",
            post(follow_up::realise),
        ),
        (Method::GET, "/staf/{unit}/dasbor", get(dashboard::dashboard)),
        (Method::GET, "/staf/{unit}/dasbor/pengaduan", get(dashboard::rows)),
        (Method::GET, "/staf/{unit}/dasbor/survei", get(dashboard::survey)),
    ]
}

/// The (method, path) pairs of [`route_table`], for tests and tooling.
pub fn route_list() -> Vec<(Method, &'static str)> {
    route_table().into_iter().map(|(m, p, _)| (m, p)).collect()
}

/// Builds the whole application: routes, then middleware from the inside out.
pub fn router(state: AppState) -> Router {
    let max_body = state.config.max_body_bytes;
    let mut routes = Router::new();
    for (_, path, handler) in route_table() {
        routes = routes.route(path, handler);
    }
    routes
        .fallback(pages::not_found)
        .layer(middleware::from_fn(account::password_change_gate))
        .layer(CatchPanicLayer::custom(|_| ErrorPage::Internal.into_response()))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::session_and_csrf,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::form_body_limit,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), render_error_pages))
        .layer(compression())
        .layer(middleware::from_fn_with_state(state.clone(), privacy::headers))
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
            // The route template, never the raw path: paths carry tracking codes and
            // invitation tokens (issue 17).
            tracing::info_span!("http", method = %req.method(), path = %privacy::log_path(req), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        // Outermost: whatever any layer answered under /api/ leaves as the API's JSON.
        .layer(middleware::from_fn(api_error::json_errors))
        .with_state(state)
}

/// Responses worth compressing: text (HTML, CSS, JavaScript, CSV), JSON and SVG,
/// over 256 bytes, gzip or brotli as the client accepts (issue 21). Images, PDFs,
/// XLSX and ZIP files are compressed already; event streams must not be buffered.
fn compressible(
    _status: StatusCode,
    _version: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _extensions: &axum::http::Extensions,
) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    (content_type.starts_with("text/") && !content_type.starts_with("text/event-stream"))
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg+xml")
}

/// The compression layer: gzip and brotli, for [`compressible`] responses.
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .gzip(true)
        .br(true)
        .compress_when(SizeAbove::new(256).and(compressible))
}

/// A page-level failure. Handlers return it; [`render_error_pages`] turns it into a
/// friendly page in the reader's language with the request id to quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorPage {
    /// 404: nothing at this address (or nothing this reader may know exists).
    NotFound,
    /// 400: a form that could not be read at all (broken upload, not a form).
    BadRequest,
    /// 403: logged in, but this role or unit may not do this.
    Forbidden,
    /// 403: a form came without its CSRF token (or an old one).
    CsrfRejected,
    /// 413: the request body is over the limit.
    PayloadTooLarge,
    /// 429: too many requests from this address.
    TooManyRequests,
    /// 500: our fault; details are in the log under the request id.
    Internal,
    /// Not logged in: go to the login page, then come back to this path.
    LoginRequired(String),
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let status = match &self {
            ErrorPage::NotFound => StatusCode::NOT_FOUND,
            ErrorPage::BadRequest => StatusCode::BAD_REQUEST,
            ErrorPage::Forbidden | ErrorPage::CsrfRejected => StatusCode::FORBIDDEN,
            ErrorPage::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorPage::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorPage::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorPage::LoginRequired(next) => {
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                return axum::response::Redirect::to(&format!("/masuk?next={next}")).into_response();
            }
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
    let Some(page) = response.extensions().get::<ErrorPage>().cloned() else {
        return response;
    };
    let status = response.status();
    match pages::render_error(Tr { lang }, &page, &request_id) {
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
    let cookie = crate::auth::cookie(headers, "lang").and_then(Lang::parse);
    cookie.unwrap_or(default)
}

/// Extractor for what every page needs: the reader's language, the current path
/// (for the language switch), the CSRF token for its forms, and who is logged in.
pub struct Reader {
    /// The translator for the reader's language.
    pub tr: Tr,
    /// What the base layout shows.
    pub page: PageChrome,
}

/// What the base layout needs from every page.
#[derive(Debug, Clone, Default)]
pub struct PageChrome {
    /// The path and query of this page, percent-encoded for a `next=` parameter.
    pub next: String,
    /// The CSRF token forms on this page must carry.
    pub csrf: String,
    /// Display name of the logged-in staff member, if any.
    pub user: Option<String>,
    /// On a page inside a unit's staff area: the navigation this reader's roles in
    /// that unit allow. Staff pages also use the screen's full width.
    pub staff_nav: Option<staff_nav::StaffNav>,
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = negotiate_language(&parts.headers, parts.uri.query(), state.config.default_language);
        let path = parts.uri.path();
        let csrf = parts
            .extensions
            .get::<crate::auth::CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let session = parts
            .extensions
            .get::<crate::auth::MaybeSession>()
            .and_then(|s| s.0.clone());
        let user = session.as_ref().map(|s| s.user.full_name.clone());
        let tr = Tr { lang };
        let mut staff_nav = None;
        if let (Some(session), Some(code)) = (&session, staff_nav::unit_code_of(path)) {
            // A failed lookup only costs the navigation; the handler reports the error.
            if let Ok(Some(unit)) = state.store.unit_by_code(code).await {
                let roles = crate::auth::roles_in(&session.user, unit.id);
                if !roles.is_empty() {
                    staff_nav = Some(staff_nav::build(tr, &unit.code, &unit.short_name, &roles, path));
                }
            }
        }
        Ok(Reader {
            tr,
            page: PageChrome {
                next: url::form_urlencoded::byte_serialize(path.as_bytes()).collect(),
                csrf,
                user,
                staff_nav,
            },
        })
    }
}

#[cfg(test)]
mod rate_limit_tests {
    use super::RateLimits;
    use crate::config::Config;

    #[test]
    fn the_per_address_table_is_pruned_once_budgets_recover() {
        // One request a second: a single check keeps an address "recent" until its
        // next cell is due (1 s), and governor drops it one interval after that.
        let config = Config {
            public_rate_per_minute: 60,
            ..Config::default()
        };
        let limits = RateLimits::new(&config);
        for i in 0..3_000u32 {
            assert!(limits.check_public(&format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255)));
        }
        assert_eq!(limits.public.len(), 3_000);
        std::thread::sleep(std::time::Duration::from_millis(2_100));
        for _ in 0..RateLimits::PRUNE_EVERY {
            let _ = limits.check_public("192.0.2.1");
        }
        assert!(limits.public.len() <= 1, "{} addresses kept", limits.public.len());
    }
}
