//! The native providers' part of the channel settings page (issue 19): which
//! provider a unit's WhatsApp and SMS channels use (Fonnte, Wablas, Zenziva or
//! Tanggap's own signed gateway), their keys, and the webhook URLs with their secret.
//!
//! Tokens, secret keys and passkeys are write-only: the page only says whether one
//! is stored, an empty field keeps it, but only while it goes to the same host (a
//! changed base URL or host needs it typed again). A webhook secret is shown once,
//! as the full URL to paste, when it is made or rotated; only its SHA-256 is kept,
//! and a rotation stops the old URL at once. Admins of the unit only.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::channels::{render_with, store_settings};
use super::{AppState, ErrorPage, Reader};
use crate::auth::{MANAGE_UNIT, UnitStaff};
use crate::providers::fonnte::FonnteSettings;
use crate::providers::wablas::WablasSettings;
use crate::providers::zenziva::ZenzivaSettings;
use crate::providers::{provider_of, shared};

/// Providers a unit's WhatsApp channel may name on this form (`meta` has its own
/// settings form but may be chosen here too).
const WHATSAPP_PROVIDERS: &[&str] = &["tanggap", "fonnte", "wablas", "meta"];
/// Providers a unit's SMS channel may name.
const SMS_PROVIDERS: &[&str] = &["tanggap", "zenziva"];

/// One webhook secret as the page shows it (never the secret itself).
pub struct WebhookView {
    /// `fonnte` or `wablas`.
    pub provider: &'static str,
    /// When the current secret was made (UTC), if there is one.
    pub created: Option<String>,
}

/// What the page shows of the native providers.
pub struct ProvidersView {
    /// The WhatsApp channel's provider key.
    pub whatsapp_provider: String,
    /// Whether the WhatsApp channel is live.
    pub whatsapp_enabled: bool,
    /// The SMS channel's provider key.
    pub sms_provider: String,
    /// Whether the SMS channel is live.
    pub sms_enabled: bool,
    /// Fonnte's base URL as stored (empty: the default).
    pub fonnte_base_url: String,
    /// Whether a Fonnte device token is stored.
    pub fonnte_has_token: bool,
    /// Wablas region host.
    pub wablas_host: String,
    /// Whether a Wablas token is stored.
    pub wablas_has_token: bool,
    /// Whether a Wablas secret key is stored.
    pub wablas_has_secret_key: bool,
    /// Zenziva's base URL as stored (empty: the default).
    pub zenziva_base_url: String,
    /// Zenziva user key (an account name, not a secret).
    pub zenziva_userkey: String,
    /// Whether a Zenziva passkey is stored.
    pub zenziva_has_passkey: bool,
    /// Zenziva inbox URL polled for replies.
    pub zenziva_inbox_url: String,
    /// Seconds between polls.
    pub zenziva_poll_seconds: u64,
    /// The webhook secrets.
    pub webhooks: Vec<WebhookView>,
    /// The URL a rotation just made, shown this once.
    pub new_webhook: Option<NewWebhook>,
}

/// A webhook URL just made, shown once.
pub struct NewWebhook {
    /// `fonnte` or `wablas`.
    pub provider: String,
    /// The full URL to paste, secret included.
    pub url: String,
}

/// Reads what the page shows of a unit's providers.
pub async fn view(
    state: &AppState,
    unit_id: i64,
    new_webhook: Option<(String, String)>,
) -> Result<ProvidersView, ErrorPage> {
    let wa = state.store.channel_settings(unit_id, "whatsapp").await?;
    let sms = state.store.channel_settings(unit_id, "sms").await?;
    let wa_config = wa.as_ref().map(|s| s.config.clone()).unwrap_or_default();
    let sms_config = sms.as_ref().map(|s| s.config.clone()).unwrap_or_default();
    let fonnte = FonnteSettings::from_config(&wa_config);
    let wablas = WablasSettings::from_config(&wa_config);
    let zenziva = ZenzivaSettings::from_config(&sms_config);
    let mut webhooks = Vec::new();
    for provider in shared::URL_SECRET_PROVIDERS.iter().copied() {
        let created = state.store.webhook_secret_created(unit_id, provider).await?;
        webhooks.push(WebhookView {
            provider,
            created: created.map(|at| at.format("%Y-%m-%d %H:%M").to_string()),
        });
    }
    Ok(ProvidersView {
        whatsapp_provider: provider_of(&wa_config).to_owned(),
        whatsapp_enabled: wa.as_ref().is_some_and(|s| s.enabled),
        sms_provider: provider_of(&sms_config).to_owned(),
        sms_enabled: sms.as_ref().is_some_and(|s| s.enabled),
        fonnte_base_url: fonnte.base_url,
        fonnte_has_token: !fonnte.token.is_empty(),
        wablas_host: wablas.host,
        wablas_has_token: !wablas.token.is_empty(),
        wablas_has_secret_key: !wablas.secret_key.is_empty(),
        zenziva_base_url: zenziva.base_url,
        zenziva_userkey: zenziva.userkey,
        zenziva_has_passkey: !zenziva.passkey.is_empty(),
        zenziva_inbox_url: zenziva.inbox_url,
        zenziva_poll_seconds: if zenziva.poll_seconds == 0 {
            60
        } else {
            zenziva.poll_seconds
        },
        webhooks,
        new_webhook: new_webhook.map(|(provider, url)| NewWebhook { provider, url }),
    })
}

/// `stored` with the keys of `update` written over it: one form never drops what
/// another form of the same channel stored.
pub fn merged(stored: Option<&serde_json::Value>, update: serde_json::Value) -> serde_json::Value {
    let mut out = match stored {
        Some(serde_json::Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    };
    if let serde_json::Value::Object(update) = update {
        out.extend(update);
    }
    serde_json::Value::Object(out)
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
}

/// A base URL field: empty, or http(s) with a host.
fn base_url(fields: &[(String, String)], name: &str) -> Result<String, &'static str> {
    let url = field(fields, name).trim_end_matches('/').to_owned();
    if url.is_empty() || shared::valid_base_url(&url) {
        Ok(url)
    } else {
        Err("channels_providers.bad_url")
    }
}

/// A write-only field: typed, or the stored value while the host stays the same.
fn kept(typed: &str, stored: &str, same_place: bool) -> Result<String, &'static str> {
    match typed {
        "" if !same_place && !stored.is_empty() => Err("channels_providers.secret_again"),
        "" => Ok(stored.to_owned()),
        v => Ok(v.to_owned()),
    }
}

/// The provider object of the form; the error is a locale key.
fn provider_config(
    provider: &str,
    fields: &[(String, String)],
    stored: &serde_json::Value,
) -> Result<Option<serde_json::Value>, &'static str> {
    Ok(match provider {
        "fonnte" => {
            let old = FonnteSettings::from_config(stored);
            let base = base_url(fields, "fonnte_base_url")?;
            let s = FonnteSettings {
                token: kept(field(fields, "fonnte_token"), &old.token, base == old.base_url)?,
                base_url: base,
            };
            if s.token.is_empty() {
                return Err("channels_providers.fonnte_missing");
            }
            Some(serde_json::json!({ "fonnte": s }))
        }
        "wablas" => {
            let old = WablasSettings::from_config(stored);
            let host = base_url(fields, "wablas_host")?;
            let same = host == old.host;
            let s = WablasSettings {
                token: kept(field(fields, "wablas_token"), &old.token, same)?,
                secret_key: kept(field(fields, "wablas_secret_key"), &old.secret_key, same)?,
                host,
            };
            if s.host.is_empty() || s.token.is_empty() {
                return Err("channels_providers.wablas_missing");
            }
            Some(serde_json::json!({ "wablas": s }))
        }
        "zenziva" => {
            let old = ZenzivaSettings::from_config(stored);
            let base = base_url(fields, "zenziva_base_url")?;
            let inbox = base_url(fields, "zenziva_inbox_url")?;
            let poll_seconds = match field(fields, "zenziva_poll_seconds") {
                "" => 60,
                v => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (30..=86_400).contains(n))
                    .ok_or("channels_providers.bad_interval")?,
            };
            let same = base == old.base_url && inbox == old.inbox_url;
            let s = ZenzivaSettings {
                userkey: field(fields, "zenziva_userkey").to_owned(),
                passkey: kept(field(fields, "zenziva_passkey"), &old.passkey, same)?,
                base_url: base,
                inbox_url: inbox,
                poll_seconds,
            };
            if s.userkey.is_empty() || s.passkey.is_empty() {
                return Err("channels_providers.zenziva_missing");
            }
            Some(serde_json::json!({ "zenziva": s }))
        }
        _ => None,
    })
}

/// The page again with the reason `key` (a locale key), as 422: nothing was changed.
async fn refuse(state: &AppState, staff: &UnitStaff, reader: Reader, key: &'static str) -> Result<Response, ErrorPage> {
    render_with(
        state,
        staff,
        reader,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(key),
        false,
        None,
    )
    .await
}

/// `POST /staf/{unit}/saluran/penyedia`: chooses a channel's provider and saves its
/// keys. Bad input is a 422 with the page and its reason, and changes nothing.
pub async fn save_provider(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let channel = field(&fields, "channel").to_owned();
    let provider = field(&fields, "provider").to_owned();
    let allowed = match channel.as_str() {
        "whatsapp" => WHATSAPP_PROVIDERS,
        "sms" => SMS_PROVIDERS,
        _ => return refuse(&state, &staff, reader, "channels.bad_channel").await,
    };
    if !allowed.contains(&provider.as_str()) {
        return refuse(&state, &staff, reader, "channels_providers.bad_provider").await;
    }
    let stored = state.store.channel_settings(staff.unit.id, &channel).await?;
    let stored_config = stored.as_ref().map(|s| s.config.clone()).unwrap_or_default();
    let update = match provider_config(&provider, &fields, &stored_config) {
        Ok(u) => u,
        Err(key) => return refuse(&state, &staff, reader, key).await,
    };
    let mut config = merged(Some(&stored_config), serde_json::json!({ "provider": provider }));
    if let Some(update) = update {
        config = merged(Some(&config), update);
    }
    let enabled = field(&fields, "enabled") == "1";
    let detail = format!("{provider}, {}", if enabled { "aktif" } else { "nonaktif" });
    store_settings(
        &state,
        &staff,
        &channel,
        config,
        enabled,
        ("channel_provider.updated", &detail),
    )
    .await?;
    render_with(&state, &staff, reader, StatusCode::OK, None, true, None).await
}

/// `POST /staf/{unit}/saluran/penyedia/rahasia`: makes (or replaces) the webhook
/// secret of a provider and shows its URL this once.
pub async fn rotate_secret(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let Some(provider) = shared::URL_SECRET_PROVIDERS
        .iter()
        .find(|p| **p == field(&fields, "provider"))
    else {
        return refuse(&state, &staff, reader, "channels_providers.bad_provider").await;
    };
    let secret = shared::new_webhook_secret();
    state
        .store
        .set_webhook_secret(
            staff.unit.id,
            provider,
            &shared::secret_hash(&secret),
            Utc::now(),
            Some(staff.staff.session.user.id),
        )
        .await?;
    staff
        .audit(&state, "webhook_secret.rotated", "provider", provider, "")
        .await?;
    let url = shared::webhook_url(
        state.config.public_url.as_deref().unwrap_or(""),
        &staff.unit.code,
        provider,
        &secret,
    );
    render_with(
        &state,
        &staff,
        reader,
        StatusCode::OK,
        None,
        false,
        Some(((*provider).to_owned(), url)),
    )
    .await
}
