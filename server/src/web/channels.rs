//! A unit's channel settings page (`/staf/{unit}/saluran`, admin only): the email
//! mailbox (IMAP) and outgoing server (SMTP), and the SMS and WhatsApp gateways.
//! Passwords, tokens and secrets are never sent back to the browser: the page only
//! says whether one is stored, and an empty field on save keeps the stored one.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{MANAGE_UNIT, UnitStaff};
use crate::i18n::Tr;
use crate::notify::settings::{EmailSettings, GatewaySettings, Security};
use crate::storage::model::{ChannelSettings, Unit};

/// The gateway channels this page edits.
const GATEWAY_CHANNELS: &[&str] = &["sms", "whatsapp"];
/// Locale keys of their headings, in the same order.
const GATEWAY_TITLES: &[&str] = &["channels.gateway_sms", "channels.gateway_whatsapp"];

/// One gateway's settings as the page shows them (secrets replaced by flags).
pub struct GatewayView {
    /// `sms` or `whatsapp`.
    pub channel: &'static str,
    /// Locale key of its heading.
    pub title_key: &'static str,
    /// Whether it is live.
    pub enabled: bool,
    /// Gateway URL.
    pub url: String,
    /// Whether a bearer token is stored.
    pub has_token: bool,
    /// Whether an HMAC secret is stored.
    pub has_secret: bool,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    email_enabled: bool,
    email: EmailSettings,
    has_imap_password: bool,
    has_smtp_password: bool,
    gateways: Vec<GatewayView>,
    error: Option<&'static str>,
    saved: bool,
}

async fn render(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
    saved: bool,
) -> Result<Response, ErrorPage> {
    let stored = state.store.channel_settings(staff.unit.id, "email").await?;
    let email_enabled = stored.as_ref().is_some_and(|s| s.enabled);
    let mut email = stored
        .and_then(|s| EmailSettings::from_json(&s.config).ok())
        .unwrap_or_default();
    let has_imap_password = !email.imap.password.is_empty();
    let has_smtp_password = !email.smtp.password.is_empty();
    email.imap.password.clear();
    email.smtp.password.clear();
    let mut gateways = Vec::new();
    for (channel, title_key) in GATEWAY_CHANNELS.iter().zip(GATEWAY_TITLES) {
        let stored = state.store.channel_settings(staff.unit.id, channel).await?;
        let enabled = stored.as_ref().is_some_and(|s| s.enabled);
        let g = stored
            .and_then(|s| GatewaySettings::from_json(&s.config).ok())
            .unwrap_or_default();
        gateways.push(GatewayView {
            channel,
            title_key,
            enabled,
            url: g.url,
            has_token: !g.auth_token.is_empty(),
            has_secret: !g.hmac_secret.is_empty(),
        });
    }
    let page = ChannelsPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        email_enabled,
        email,
        has_imap_password,
        has_smtp_password,
        gateways,
        error,
        saved,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The settings page.
pub async fn channels_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    render(&state, &staff, reader, StatusCode::OK, None, false).await
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
}

fn port(value: &str) -> Option<u16> {
    value.parse::<u16>().ok().filter(|p| *p > 0)
}

/// Reads and checks the email form; the error is a locale key.
fn email_from_form(fields: &[(String, String)], stored: &EmailSettings) -> Result<EmailSettings, &'static str> {
    let mut s = EmailSettings::default();
    s.imap.host = field(fields, "imap_host").to_owned();
    s.imap.port = port(field(fields, "imap_port")).ok_or("channels.bad_port")?;
    s.imap.security = Security::parse(field(fields, "imap_security")).ok_or("channels.bad_security")?;
    if s.imap.security == Security::Starttls {
        return Err("channels.imap_starttls");
    }
    s.imap.user = field(fields, "imap_user").to_owned();
    s.imap.folder = field(fields, "imap_folder").to_owned();
    s.imap.poll_seconds = field(fields, "poll_seconds")
        .parse::<u64>()
        .ok()
        .filter(|n| (10..=86_400).contains(n))
        .ok_or("channels.bad_interval")?;
    s.smtp.host = field(fields, "smtp_host").to_owned();
    s.smtp.port = port(field(fields, "smtp_port")).ok_or("channels.bad_port")?;
    s.smtp.security = Security::parse(field(fields, "smtp_security")).ok_or("channels.bad_security")?;
    s.smtp.user = field(fields, "smtp_user").to_owned();
    s.from_address = field(fields, "from_address").to_owned();
    s.from_name = field(fields, "from_name").to_owned();
    if s.imap.host.is_empty() || s.imap.user.is_empty() || s.smtp.host.is_empty() {
        return Err("channels.missing");
    }
    if s.from_address.parse::<lettre::Address>().is_err() {
        return Err("channels.bad_address");
    }
    // An empty password field keeps the stored password (it is never shown).
    s.imap.password = match field(fields, "imap_password") {
        "" => stored.imap.password.clone(),
        p => p.to_owned(),
    };
    s.smtp.password = match field(fields, "smtp_password") {
        "" => stored.smtp.password.clone(),
        p => p.to_owned(),
    };
    Ok(s)
}

/// Reads and checks a gateway form; the error is a locale key.
fn gateway_from_form(fields: &[(String, String)], stored: &GatewaySettings) -> Result<GatewaySettings, &'static str> {
    let url = field(fields, "url").to_owned();
    let parsed = url::Url::parse(&url).map_err(|_| "channels.bad_url")?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("channels.bad_url");
    }
    let keep = |name: &str, old: &str| match field(fields, name) {
        "" => old.to_owned(),
        v => v.to_owned(),
    };
    let g = GatewaySettings {
        url,
        auth_token: keep("auth_token", &stored.auth_token),
        hmac_secret: keep("hmac_secret", &stored.hmac_secret),
    };
    if g.hmac_secret.chars().count() < 16 {
        return Err("channels.short_secret");
    }
    Ok(g)
}

/// Saves one channel's settings (the form names it in `channel`).
pub async fn save_channel(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let channel = field(&fields, "channel").to_owned();
    let enabled = field(&fields, "enabled") == "1";
    let stored = state.store.channel_settings(staff.unit.id, &channel).await?;
    let config = match channel.as_str() {
        "email" => {
            let old = stored
                .and_then(|s| EmailSettings::from_json(&s.config).ok())
                .unwrap_or_default();
            email_from_form(&fields, &old).map(|s| serde_json::to_value(s).expect("settings serialize"))
        }
        c if GATEWAY_CHANNELS.contains(&c) => {
            let old = stored
                .and_then(|s| GatewaySettings::from_json(&s.config).ok())
                .unwrap_or_default();
            gateway_from_form(&fields, &old).map(|s| serde_json::to_value(s).expect("settings serialize"))
        }
        _ => Err("channels.bad_channel"),
    };
    let config = match config {
        Ok(c) => c,
        Err(key) => {
            return render(
                &state,
                &staff,
                reader,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(key),
                false,
            )
            .await;
        }
    };
    state
        .store
        .set_channel_settings(&ChannelSettings {
            unit_id: staff.unit.id,
            channel: channel.clone(),
            config,
            enabled,
        })
        .await?;
    staff
        .audit(
            &state,
            "channel_settings.updated",
            "channel",
            &channel,
            if enabled { "aktif" } else { "nonaktif" },
        )
        .await?;
    render(&state, &staff, reader, StatusCode::OK, None, true).await
}
