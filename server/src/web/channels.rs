//! A unit's channel settings page (`/staf/{unit}/saluran`, admin only): the email
//! mailbox (IMAP) and outgoing server (SMTP), and the SMS and WhatsApp gateways.
//! Passwords, tokens and secrets are never sent back to the browser: the page only
//! says whether one is stored, and an empty field on save keeps the stored one, but
//! only while it goes to the same place: a changed server, port, user or security
//! (email) or a changed URL (gateway) requires the secret again, so a stored secret
//! is never sent to a new host. The page also lists the mail the unit's mailbox
//! set aside, with why.

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

/// One message the mailbox set aside, as the admin sees it.
pub struct SetAsideView {
    /// When (UTC, `YYYY-MM-DD HH:MM`).
    pub at: String,
    /// Mailbox and UID, to find it there.
    pub place: String,
    /// Its subject (cleaned when stored).
    pub subject: String,
    /// Its size, in kB.
    pub size_kb: i64,
    /// Locale key of the reason.
    pub reason_key: &'static str,
}

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
    set_aside: Vec<SetAsideView>,
    meta: super::channels_meta::MetaView,
    error: Option<&'static str>,
    saved: bool,
    /// The native providers' section (issue 19, `channels_providers.html`).
    providers: super::channels_providers::ProvidersView,
}

/// Renders the whole page with `error` (a locale key) or the saved notice; every
/// channel's form posts back to a handler that ends here.
async fn render(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
    saved: bool,
) -> Result<Response, ErrorPage> {
    render_with(state, staff, reader, status, error, saved, None).await
}

/// The page, with the webhook URL a rotation just made shown once (provider, URL).
pub(super) async fn render_with(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
    saved: bool,
    new_webhook: Option<(String, String)>,
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
        // Another provider's settings (Meta's, issue 19) are not this gateway's.
        let stored = (state.store.channel_settings(staff.unit.id, channel).await?)
            .filter(|s| crate::providers::provider_of(&s.config) == "tanggap");
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
    let set_aside = state
        .store
        .set_aside_mails(staff.unit.id, 50)
        .await?
        .into_iter()
        .map(|m| SetAsideView {
            at: m.set_aside_at.format("%Y-%m-%d %H:%M").to_string(),
            place: format!("{} / UID {}", m.mailbox, m.uid),
            subject: m.subject,
            size_kb: (m.size_bytes.max(0) + 1023) / 1024,
            reason_key: match m.reason.as_str() {
                "too_large" => "channels.set_aside_reason_too_large",
                _ => "channels.set_aside_reason_not_stored",
            },
        })
        .collect();
    let meta =
        super::channels_meta::view(state.store.as_ref(), &staff.unit, state.config.public_url.as_deref()).await?;
    let page = ChannelsPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        email_enabled,
        email,
        has_imap_password,
        has_smtp_password,
        gateways,
        set_aside,
        meta,
        error,
        saved,
        providers: super::channels_providers::view(state, staff.unit.id, new_webhook).await?,
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
    // An empty password field keeps the stored password (it is never shown), unless
    // it would now go somewhere else: then it must be typed again.
    let imap_moved = moved(
        (s.imap.host.as_str(), s.imap.port, s.imap.user.as_str(), s.imap.security),
        (
            stored.imap.host.as_str(),
            stored.imap.port,
            stored.imap.user.as_str(),
            stored.imap.security,
        ),
    );
    s.imap.password = match field(fields, "imap_password") {
        "" if imap_moved && !stored.imap.password.is_empty() => return Err("channels.imap_secret_again"),
        "" => stored.imap.password.clone(),
        p => p.to_owned(),
    };
    let smtp_moved = moved(
        (s.smtp.host.as_str(), s.smtp.port, s.smtp.user.as_str(), s.smtp.security),
        (
            stored.smtp.host.as_str(),
            stored.smtp.port,
            stored.smtp.user.as_str(),
            stored.smtp.security,
        ),
    );
    s.smtp.password = match field(fields, "smtp_password") {
        "" if smtp_moved && !stored.smtp.password.is_empty() => return Err("channels.smtp_secret_again"),
        "" => stored.smtp.password.clone(),
        p => p.to_owned(),
    };
    Ok(s)
}

/// Whether a mail server's place or login changed (host ignoring case, port, user,
/// security): a stored password must not follow it there unasked.
fn moved(new: (&str, u16, &str, Security), old: (&str, u16, &str, Security)) -> bool {
    !new.0.trim().eq_ignore_ascii_case(old.0.trim()) || new.1 != old.1 || new.2 != old.2 || new.3 != old.3
}

/// Reads and checks a gateway form; the error is a locale key.
fn gateway_from_form(fields: &[(String, String)], stored: &GatewaySettings) -> Result<GatewaySettings, &'static str> {
    let url = field(fields, "url").to_owned();
    let parsed = url::Url::parse(&url).map_err(|_| "channels.bad_url")?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("channels.bad_url");
    }
    // A stored token or secret stays only while the URL stays: a new address gets
    // them only when they are typed again.
    let same_place = url == stored.url;
    let keep = |name: &str, old: &str| match field(fields, name) {
        "" if !same_place && !old.is_empty() => Err("channels.gateway_secret_again"),
        "" => Ok(old.to_owned()),
        v => Ok(v.to_owned()),
    };
    let g = GatewaySettings {
        auth_token: keep("auth_token", &stored.auth_token)?,
        hmac_secret: keep("hmac_secret", &stored.hmac_secret)?,
        url,
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
    let stored_config = stored.as_ref().map(|s| s.config.clone());
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
            // Merged into the stored settings: the native provider's keys (issue 19)
            // stay as they are.
            gateway_from_form(&fields, &old).map(|s| {
                super::channels_providers::merged(
                    stored_config.as_ref(),
                    serde_json::to_value(s).expect("settings serialize"),
                )
            })
        }
        _ => Err("channels.bad_channel"),
    };
    let detail = if enabled { "aktif" } else { "nonaktif" };
    save_settings(&state, &staff, reader, &channel, config, enabled, detail).await
}

/// Stores a channel's checked settings, writes the audit entry and shows the page
/// saved; a refused form (`Err`, a locale key) changes nothing and shows why. Every
/// channel's form (this page's, and each provider's own) ends here.
pub(super) async fn save_settings(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    channel: &str,
    config: Result<serde_json::Value, &'static str>,
    enabled: bool,
    detail: &str,
) -> Result<Response, ErrorPage> {
    let config = match config {
        Ok(c) => c,
        Err(key) => {
            return render(state, staff, reader, StatusCode::UNPROCESSABLE_ENTITY, Some(key), false).await;
        }
    };
    store_settings(
        state,
        staff,
        channel,
        config,
        enabled,
        ("channel_settings.updated", detail),
    )
    .await?;
    render(state, staff, reader, StatusCode::OK, None, true).await
}

/// Stores one channel's settings of the staff member's unit and writes the audit
/// entry `(action, detail)` for it: what every channel form does once it is valid.
pub(super) async fn store_settings(
    state: &AppState,
    staff: &UnitStaff,
    channel: &str,
    config: serde_json::Value,
    enabled: bool,
    (action, detail): (&str, &str),
) -> Result<(), ErrorPage> {
    state
        .store
        .set_channel_settings(&ChannelSettings {
            unit_id: staff.unit.id,
            channel: channel.to_owned(),
            config,
            enabled,
        })
        .await?;
    staff.audit(state, action, "channel", channel, detail).await
}
