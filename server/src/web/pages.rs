//! Public pages of the foundation: the unit list, a unit's home, health checks.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, PublicRateLimit, Reader};
use crate::i18n::{Lang, Tr};
use crate::storage::model::{Service, Unit};

/// One unit on the home page.
pub struct UnitCard {
    /// URL slug.
    pub code: String,
    /// Full name.
    pub name: String,
    /// City.
    pub city: String,
    /// Number of services in the catalog.
    pub service_count: i64,
    /// The services' names, for a quick look.
    pub service_names: Vec<String>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    tr: Tr,
    page: PageChrome,
    units: Vec<UnitCard>,
}

#[derive(Template)]
#[template(path = "unit.html")]
struct UnitPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    channels: Vec<&'static str>,
    services: Vec<Service>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView<'a> {
    tr: Tr,
    page: PageChrome,
    title: &'a str,
    body: &'a str,
    request_id: &'a str,
}

/// The home page: every unit with its services.
pub async fn home(State(state): State<AppState>, reader: Reader) -> Result<Html<String>, ErrorPage> {
    let mut units = Vec::new();
    for unit in state.store.list_units().await? {
        let services = state.store.list_services(unit.id).await?;
        units.push(UnitCard {
            service_count: services.len() as i64,
            service_names: services.into_iter().map(|s| s.name).collect(),
            code: unit.code,
            name: unit.name,
            city: unit.city,
        });
    }
    let page = HomePage {
        tr: reader.tr,
        page: reader.page,
        units,
    };
    Ok(Html(page.render()?))
}

/// A unit's home page: contact, complaint channels and the service catalog.
pub async fn unit_home(
    State(state): State<AppState>,
    Path(code): Path<String>,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let Some(unit) = state.store.unit_by_code(&code).await? else {
        return Err(ErrorPage::NotFound);
    };
    let services = state.store.list_services(unit.id).await?;
    let tr = reader.tr;
    let channels = unit
        .complaint_channels
        .iter()
        .map(|c| tr.t(&format!("channel.{}", c.key())))
        .collect();
    let page = UnitPage {
        tr,
        page: reader.page,
        unit,
        channels,
        services,
    };
    Ok(Html(page.render()?))
}

/// Query of the language switch.
#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// Sets the language cookie and goes back to the page the reader was on. Works
/// without JavaScript; only local paths are followed, so it is no open redirect.
pub async fn switch_language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<SwitchQuery>,
) -> Result<Response, ErrorPage> {
    let lang = Lang::parse(&code).ok_or(ErrorPage::NotFound)?;
    let next = super::local_path(q.next.as_deref()).unwrap_or("/").to_owned();
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    let cookie = format!(
        "lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}",
        lang.code()
    );
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ErrorPage::Internal)?,
    );
    Ok(response)
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers too. A load balancer stops sending traffic
/// to an instance that says 503.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Anything unrouted.
pub async fn not_found() -> ErrorPage {
    ErrorPage::NotFound
}

/// Renders the friendly error page in the reader's language.
pub fn render_error(tr: Tr, page: &ErrorPage, request_id: &str) -> Result<String, askama::Error> {
    let (title, body) = match page {
        ErrorPage::NotFound => ("error.not_found_title", "error.not_found_body"),
        ErrorPage::Forbidden => ("error.forbidden_title", "error.forbidden_body"),
        ErrorPage::CsrfRejected => ("error.csrf_title", "error.csrf_body"),
        ErrorPage::PayloadTooLarge => ("error.too_large_title", "error.too_large_body"),
        ErrorPage::TooManyRequests => ("error.too_many_title", "error.too_many_body"),
        ErrorPage::Internal | ErrorPage::LoginRequired(_) => ("error.server_title", "error.server_body"),
    };
    ErrorView {
        tr,
        page: PageChrome {
            next: "%2F".to_owned(),
            ..PageChrome::default()
        },
        title: tr.t(title),
        body: tr.t(body),
        request_id,
    }
    .render()
}

/// Query of the public tracking page.
#[derive(Deserialize)]
pub struct TrackQuery {
    kode: Option<String>,
}

/// One step of the public timeline: a date and a status, nothing else.
pub struct TimelineStep {
    /// When, in the unit's local time.
    pub at: String,
    /// Status label.
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    tr: Tr,
    page: PageChrome,
    code: String,
    searched: bool,
    found: Option<crate::storage::model::ComplaintStatusView>,
    status_label: &'static str,
    timeline: Vec<TimelineStep>,
}

/// The public tracking page: status and timeline by tracking code, never personal
/// data or staff notes. Rate-limited per address so codes cannot be enumerated.
pub async fn track(
    State(state): State<AppState>,
    Query(q): Query<TrackQuery>,
    reader: Reader,
    _limit: PublicRateLimit,
) -> Result<Html<String>, ErrorPage> {
    let tr = reader.tr;
    let code: String = q
        .kode
        .unwrap_or_default()
        .trim()
        .to_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(32)
        .collect();
    let mut found = None;
    let mut timeline = Vec::new();
    if !code.is_empty()
        && let Some(view) = state.store.complaint_status(&code).await?
    {
        let unit = state.store.unit_by_code(&view.unit_code).await?;
        let zone: chrono_tz::Tz = unit
            .and_then(|u| u.time_zone.parse().ok())
            .unwrap_or(chrono_tz::Asia::Jakarta);
        for e in state.store.complaint_events(view.complaint_id).await? {
            if let Some(to) = e.to_status {
                timeline.push(TimelineStep {
                    at: e.at.with_timezone(&zone).format("%d-%m-%Y %H:%M").to_string(),
                    status: tr.t(&format!("status.{to}")),
                });
            }
        }
        found = Some(view);
    }
    let status_label = found
        .as_ref()
        .map(|v| tr.t(&format!("status.{}", v.status)))
        .unwrap_or("");
    let page = TrackPage {
        tr,
        page: reader.page,
        searched: !code.is_empty(),
        code,
        found,
        status_label,
        timeline,
    };
    Ok(Html(page.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn error_pages_are_friendly_in_both_languages_and_quote_the_request_id() {
        let id = Tr { lang: Lang::Id };
        let html = render_error(id, &ErrorPage::Internal, "req-123").unwrap();
        assert!(html.contains("Terjadi kesalahan pada server") && html.contains("req-123"));
        assert!(
            !html.contains("panicked") && !html.contains("sqlx"),
            "no internals leak"
        );
        let en = Tr { lang: Lang::En };
        assert!(
            render_error(en, &ErrorPage::Internal, "x")
                .unwrap()
                .contains("Something went wrong")
        );
        assert!(
            render_error(id, &ErrorPage::Forbidden, "")
                .unwrap()
                .contains("Akses ditolak")
        );
        assert!(
            render_error(id, &ErrorPage::TooManyRequests, "")
                .unwrap()
                .contains("Terlalu banyak permintaan")
        );
    }
}
