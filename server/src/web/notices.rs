//! Pages of the citizen notices (issue 19, part B, `crate::notices`):
//!
//! - `/berhenti/{token}`: the stop link of a notice. `GET` only shows a button (a
//!   link preview bot or a mail scanner that opens the link stops nothing); the
//!   `POST` of that form (with the page's CSRF token, and the link's own random
//!   token as the permission) stops the unit's notices to that contact.
//! - `/staf/{unit}/pemberitahuan`: the unit's admin sets the wait between a
//!   complaint's closure and its survey invite.
//! - The complaint page lists every message queued for the complaint (notices,
//!   answer, acknowledgement) with its state: waiting, sent or failed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{MANAGE_UNIT, UnitStaff, hash_secret};
use crate::i18n::Tr;
use crate::storage::model::{OutboxMessage, Unit};
use crate::storage::notices::{KIND_HEADER, MAX_INVITE_DELAY_MINUTES, NoticeSettings};

#[derive(Template)]
#[template(path = "notice_stop.html")]
struct StopPage {
    tr: Tr,
    page: PageChrome,
    unit_name: String,
    token: String,
    done: bool,
}

async fn stop_page(
    reader: Reader,
    unit_name: String,
    token: String,
    done: bool,
    status: StatusCode,
) -> Result<Response, ErrorPage> {
    let html = StopPage {
        tr: reader.tr,
        page: reader.page,
        unit_name,
        token,
        done,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

fn plausible(token: &str) -> bool {
    !token.is_empty() && token.len() <= 128 && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `GET /berhenti/{token}`: what the link does, and a button to do it. Changes
/// nothing.
pub async fn stop_confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    if !plausible(&token) {
        return Err(ErrorPage::NotFound);
    }
    let link = state
        .store
        .stop_link(&hash_secret(&token))
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let done = link.used_at.is_some();
    stop_page(reader, link.unit_name, token, done, StatusCode::OK).await
}

/// `POST /berhenti/{token}`: stops the notices (again is harmless) and says so.
pub async fn stop_apply(
    State(state): State<AppState>,
    Path(token): Path<String>,
    reader: Reader,
    _limit: super::PublicRateLimit,
) -> Result<Response, ErrorPage> {
    if !plausible(&token) {
        return Err(ErrorPage::NotFound);
    }
    let link = state
        .store
        .follow_stop_link(&hash_secret(&token), Utc::now())
        .await?
        .ok_or(ErrorPage::NotFound)?;
    stop_page(reader, link.unit_name, token, true, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "notice_settings.html")]
struct SettingsPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    delay: String,
    max: i64,
    error: bool,
    saved: bool,
}

/// The settings form as typed.
#[derive(Debug, Default, serde::Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    jeda_menit: String,
}

/// `GET /staf/{unit}/pemberitahuan`: the unit's notice settings.
pub async fn settings_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let s = state.store.notice_settings(staff.unit.id).await?;
    let html = SettingsPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit,
        delay: s.survey_invite_delay_minutes.to_string(),
        max: MAX_INVITE_DELAY_MINUTES,
        error: false,
        saved: false,
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// `POST /staf/{unit}/pemberitahuan`: saves the invite delay; a value that is not
/// a whole number of minutes from 0 to a week is refused with a message and
/// changes nothing.
pub async fn settings_save(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<SettingsForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let parsed = form
        .jeda_menit
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (0..=MAX_INVITE_DELAY_MINUTES).contains(m));
    let (status, error, saved) = match parsed {
        Some(minutes) => {
            state
                .store
                .save_notice_settings(
                    staff.unit.id,
                    &NoticeSettings {
                        survey_invite_delay_minutes: minutes,
                    },
                )
                .await?;
            staff
                .audit(
                    &state,
                    "notices.settings_saved",
                    "unit",
                    &staff.unit.code,
                    &minutes.to_string(),
                )
                .await?;
            (StatusCode::OK, false, true)
        }
        None => (StatusCode::UNPROCESSABLE_ENTITY, true, false),
    };
    let html = SettingsPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit,
        delay: form.jeda_menit.trim().chars().take(20).collect(),
        max: MAX_INVITE_DELAY_MINUTES,
        error,
        saved,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// One queued message of a complaint as its page lists it.
#[derive(Debug, Clone)]
pub struct NoticeLine {
    /// What it is (acknowledgement, status notice, answer, invite, other).
    pub kind: &'static str,
    /// Channel label.
    pub channel: &'static str,
    /// Recipient, only for readers who may see the identity.
    pub recipient: String,
    /// State key (`pending`, `sending`, `sent`, `failed`) for the CSS class.
    pub state_key: String,
    /// State label.
    pub state: &'static str,
    /// Sent at, local time, if sent.
    pub sent_at: String,
    /// Why it failed, if it did.
    pub error: String,
}

/// The kind of a queued message, from its header or its dedupe key.
fn kind_key(m: &OutboxMessage) -> &'static str {
    match m.headers.get(KIND_HEADER).map(String::as_str) {
        Some("status") => "status",
        Some("survey_invite") => "survey_invite",
        Some("answer") => "answer",
        Some("ack") => "ack",
        _ if crate::intake::ack::is_acknowledgement(&m.dedupe_key) => "ack",
        _ if m.dedupe_key.starts_with("jawaban:") => "answer",
        _ => "other",
    }
}

/// The messages queued for a complaint, oldest first, for its page.
pub async fn notice_lines(
    state: &AppState,
    tr: Tr,
    zone: chrono_tz::Tz,
    complaint_id: i64,
    show_identity: bool,
) -> Result<Vec<NoticeLine>, ErrorPage> {
    let rows = state.store.notices_of_complaint(complaint_id).await?;
    Ok(rows
        .into_iter()
        .map(|m| NoticeLine {
            kind: tr.t(&format!("notices.kind.{}", kind_key(&m))),
            channel: tr.t(&format!("notices.channel.{}", m.channel)),
            recipient: if show_identity {
                m.recipient.clone()
            } else {
                String::new()
            },
            state: tr.t(&format!("notices.state.{}", m.status)),
            state_key: m.status.clone(),
            sent_at: m
                .sent_at
                .map(|t| t.with_timezone(&zone).format("%d-%m-%Y %H:%M").to_string())
                .unwrap_or_default(),
            error: m.last_error.clone().unwrap_or_default(),
        })
        .collect())
}
