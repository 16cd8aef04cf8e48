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
    /// The first services' names, for a quick look (at most [`CARD_SERVICES`]; the
    /// card does not scroll inside itself, issue 21).
    pub service_names: Vec<String>,
    /// Services not named on the card.
    pub more_services: i64,
}

/// How many service names a unit's card on the home page lists.
pub const CARD_SERVICES: usize = 5;

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
            more_services: services.len().saturating_sub(CARD_SERVICES) as i64,
            service_names: services.into_iter().take(CARD_SERVICES).map(|s| s.name).collect(),
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
    let next = q
        .next
        .as_deref()
        .and_then(super::safe_next)
        .unwrap_or_else(|| "/".to_owned());
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

/// How long `/readyz` waits for the database. The pool would wait up to its acquire
/// timeout (10 s) for a connection while the database is away; a load balancer's
/// probe must get its 503 well within its own timeout instead.
pub const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness: the database answers too, within [`READY_TIMEOUT`]. A load balancer
/// stops sending traffic to an instance that says 503, and sends it again once the
/// database is back (the pool replaces its broken connections; no restart).
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::warn!(timeout = ?READY_TIMEOUT, "readiness check timed out");
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
        ErrorPage::BadRequest => ("error.bad_request_title", "error.bad_request_body"),
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
    baru: Option<String>,
}

/// One step of the public timeline: a date and a status, nothing else.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimelineStep {
    /// When, in the unit's local time.
    pub at: String,
    /// Status key.
    pub key: String,
    /// Status label.
    pub status: &'static str,
}

/// What anyone holding a tracking code may see: status, timeline and the answer,
/// never personal data or staff notes; a `rahasia` complaint shows neither subject
/// nor answer text.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PublicStatus {
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// The tracking code itself.
    pub tracking_code: String,
    /// Unit code.
    pub unit: String,
    /// Unit name.
    pub unit_name: String,
    /// Current status key.
    pub status: String,
    /// Current status label.
    pub status_label: &'static str,
    /// Received, in the unit's local time.
    pub received_at: String,
    /// Subject, unless rahasia.
    pub subject: Option<String>,
    /// Status changes, oldest first.
    pub timeline: Vec<TimelineStep>,
    /// The unit's answer, once given (unless rahasia).
    pub answer: Option<String>,
}

/// A tracking code as people type it: upper case, letters and digits only.
pub fn clean_tracking_code(raw: &str) -> String {
    raw.trim()
        .to_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(32)
        .collect()
}

/// Loads the public status of a complaint by tracking code.
pub async fn public_status(state: &AppState, raw_code: &str, tr: Tr) -> Result<Option<PublicStatus>, ErrorPage> {
    let code = clean_tracking_code(raw_code);
    if code.is_empty() {
        return Ok(None);
    }
    let Some(view) = state.store.complaint_status(&code).await? else {
        return Ok(None);
    };
    let unit = state.store.unit_by_code(&view.unit_code).await?;
    let zone: chrono_tz::Tz = unit
        .as_ref()
        .and_then(|u| u.time_zone.parse().ok())
        .unwrap_or(chrono_tz::Asia::Jakarta);
    let local = |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&zone).format("%d-%m-%Y %H:%M").to_string();
    let mut timeline = Vec::new();
    let mut answer = None;
    for e in state.store.complaint_events(view.complaint_id).await? {
        if e.kind == "jawaban" && view.subject.is_some() {
            answer = Some(e.note.clone());
        }
        if let Some(to) = e.to_status {
            timeline.push(TimelineStep {
                at: local(e.at),
                status: tr.t(&format!("status.{to}")),
                key: to,
            });
        }
    }
    Ok(Some(PublicStatus {
        nomor_agenda: view.nomor_agenda,
        tracking_code: code,
        unit_name: unit.map(|u| u.name).unwrap_or_default(),
        unit: view.unit_code,
        status_label: tr.t(&format!("status.{}", view.status)),
        status: view.status,
        received_at: local(view.received_at),
        subject: view.subject,
        timeline,
        answer,
    }))
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    tr: Tr,
    page: PageChrome,
    code: String,
    searched: bool,
    fresh: bool,
    link: String,
    found: Option<PublicStatus>,
    /// The complaint is answered or closed, so the complainant is asked to rate the
    /// unit's service (issue 21).
    offer_survey: bool,
}

/// The public tracking page: status and timeline by tracking code, never personal
/// data or staff notes. Rate-limited per address so codes cannot be enumerated.
/// Right after filing (`baru=1`) it is the receipt: nomor agenda, code and link, ready
/// to print.
pub async fn track(
    State(state): State<AppState>,
    Query(q): Query<TrackQuery>,
    reader: Reader,
    _limit: PublicRateLimit,
) -> Result<Html<String>, ErrorPage> {
    let tr = reader.tr;
    let code = clean_tracking_code(q.kode.as_deref().unwrap_or_default());
    let found = public_status(&state, &code, tr).await?;
    let offer_survey = found.as_ref().is_some_and(|v| {
        matches!(
            crate::domain::ComplaintStatus::parse(&v.status),
            Ok(crate::domain::ComplaintStatus::Dijawab | crate::domain::ComplaintStatus::Selesai)
        )
    });
    let page = TrackPage {
        offer_survey,
        tr,
        page: reader.page,
        searched: !code.is_empty(),
        fresh: q.baru.is_some() && found.is_some(),
        link: crate::intake::ack::tracking_link(state.config.public_url.as_deref(), &code),
        code,
        found,
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
