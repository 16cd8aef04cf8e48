//! The WhatsApp Cloud API (Meta) part of the channel settings page (issue 19): its
//! own form (`channels_meta.html`, included in `channels.html`) and its own route,
//! `POST /staf/{unit}/saluran/meta`, unit admins only like the rest of the page.
//!
//! Saving it makes Meta the unit's WhatsApp provider (`"provider": "meta"` in the
//! `whatsapp` channel settings), replacing a generic gateway's WhatsApp settings.
//! The access token, app secret and verify token are write-only: the page says
//! whether one is stored, an empty field keeps it, and a changed Graph API address
//! requires the access token again, so a stored token never goes to a new host.

use axum::Form;
use axum::extract::State;
use axum::response::Response;

use super::channels::save_settings;
use super::{AppState, ErrorPage, Reader};
use crate::auth::{MANAGE_UNIT, UnitStaff};
use crate::providers::meta::{DEFAULT_GRAPH_URL, MetaSettings, TEMPLATE_KINDS};
use crate::storage::Store;
use crate::storage::model::Unit;

/// One notice kind's template field.
pub struct TemplateField {
    /// The kind (`answer`), also the field's name suffix.
    pub kind: &'static str,
    /// Locale key of its label.
    pub label_key: &'static str,
    /// The stored template name.
    pub name: String,
}

/// The Meta settings as the page shows them (secrets replaced by flags).
pub struct MetaView {
    /// Whether Meta is the unit's WhatsApp provider now.
    pub active: bool,
    /// Whether the channel is on.
    pub enabled: bool,
    /// Phone number id.
    pub phone_number_id: String,
    /// Graph API base.
    pub graph_url: String,
    /// Template language code.
    pub template_language: String,
    /// Default template name.
    pub default_template: String,
    /// One field per notice kind.
    pub templates: Vec<TemplateField>,
    /// Whether an access token is stored.
    pub has_access_token: bool,
    /// Whether an app secret is stored.
    pub has_app_secret: bool,
    /// Whether a verify token is stored.
    pub has_verify_token: bool,
    /// The callback URL to paste into Meta.
    pub webhook_url: String,
    /// Whether that URL is only a path (no `public_url` configured).
    pub webhook_relative: bool,
}

/// The callback URL of a unit's Meta webhook: absolute when `public_url` is set.
pub fn webhook_url(public_url: Option<&str>, unit: &Unit) -> String {
    let base = public_url.unwrap_or("").trim_end_matches('/');
    format!("{base}/webhook/{}/whatsapp-meta", unit.code)
}

/// What the page shows of the unit's Meta settings.
pub async fn view(store: &dyn Store, unit: &Unit, public_url: Option<&str>) -> Result<MetaView, ErrorPage> {
    let stored = store.channel_settings(unit.id, "whatsapp").await?;
    let found = stored.and_then(|s| MetaSettings::from_config(&s.config).map(|m| (m, s.enabled)));
    let active = found.is_some();
    let (s, enabled) = found.unwrap_or_default();
    Ok(MetaView {
        active,
        enabled,
        templates: TEMPLATE_KINDS
            .iter()
            .map(|&(kind, label_key)| TemplateField {
                kind,
                label_key,
                name: s.templates.get(kind).cloned().unwrap_or_default(),
            })
            .collect(),
        has_access_token: !s.access_token.is_empty(),
        has_app_secret: !s.app_secret.is_empty(),
        has_verify_token: !s.verify_token.is_empty(),
        webhook_url: webhook_url(public_url, unit),
        webhook_relative: public_url.is_none(),
        phone_number_id: s.phone_number_id,
        graph_url: if s.graph_url.is_empty() {
            DEFAULT_GRAPH_URL.to_owned()
        } else {
            s.graph_url
        },
        template_language: s.template_language,
        default_template: s.default_template,
    })
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.trim())
}

/// A template name as Meta allows them: lowercase letters, digits and underscores.
fn template_name_ok(name: &str) -> bool {
    name.len() <= 512
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A language code as Meta writes them: `id`, `en`, `en_US`.
fn language_ok(code: &str) -> bool {
    let (lang, region) = code.split_once('_').unwrap_or((code, ""));
    (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_lowercase())
        && (region.is_empty() || (region.len() == 2 && region.chars().all(|c| c.is_ascii_uppercase())))
}

/// A secret that can travel in a header and be compared byte for byte.
fn secret_ok(value: &str, min: usize) -> bool {
    value.len() >= min && value.len() <= 1024 && value.chars().all(|c| c.is_ascii_graphic())
}

/// Reads and checks the form against the stored settings; the error is a locale key.
fn meta_from_form(fields: &[(String, String)], stored: &MetaSettings) -> Result<MetaSettings, &'static str> {
    let phone_number_id = field(fields, "phone_number_id");
    if phone_number_id.is_empty() || phone_number_id.len() > 32 || !phone_number_id.chars().all(|c| c.is_ascii_digit())
    {
        return Err("provider_meta.bad_phone_number_id");
    }
    let graph_url = match field(fields, "graph_url") {
        "" => DEFAULT_GRAPH_URL.to_owned(),
        g => g.trim_end_matches('/').to_owned(),
    };
    let parsed = url::Url::parse(&graph_url).map_err(|_| "provider_meta.bad_graph_url")?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() || parsed.query().is_some() {
        return Err("provider_meta.bad_graph_url");
    }
    // The token goes to the Graph API address: a new address gets it only typed again.
    let same_place = graph_url == stored.graph().trim_end_matches('/');
    let access_token = match field(fields, "access_token") {
        "" if !stored.access_token.is_empty() && !same_place => return Err("provider_meta.token_again"),
        "" if stored.access_token.is_empty() => return Err("provider_meta.missing_token"),
        "" => stored.access_token.clone(),
        t if secret_ok(t, 1) => t.to_owned(),
        _ => return Err("provider_meta.bad_token"),
    };
    let keep = |name: &str, old: &str, error: &'static str| match field(fields, name) {
        "" if !old.is_empty() => Ok(old.to_owned()),
        v if secret_ok(v, 16) => Ok(v.to_owned()),
        _ => Err(error),
    };
    let app_secret = keep("app_secret", &stored.app_secret, "provider_meta.short_app_secret")?;
    let verify_token = keep("verify_token", &stored.verify_token, "provider_meta.short_verify_token")?;
    let template_language = match field(fields, "template_language") {
        "" => "id".to_owned(),
        l if language_ok(l) => l.to_owned(),
        _ => return Err("provider_meta.bad_language"),
    };
    let default_template = field(fields, "default_template").to_owned();
    let mut templates = std::collections::BTreeMap::new();
    for (kind, _) in TEMPLATE_KINDS {
        let name = field(fields, &format!("template_{kind}"));
        if !name.is_empty() {
            templates.insert((*kind).to_owned(), name.to_owned());
        }
    }
    if !template_name_ok(&default_template) || !templates.values().all(|n| template_name_ok(n)) {
        return Err("provider_meta.bad_template");
    }
    Ok(MetaSettings {
        phone_number_id: phone_number_id.to_owned(),
        access_token,
        app_secret,
        verify_token,
        graph_url,
        template_language,
        default_template,
        templates,
        ..MetaSettings::default()
    })
}

/// `POST /staf/{unit}/saluran/meta`: saves the unit's Meta settings and makes Meta
/// its WhatsApp provider; bad input changes nothing and says why, in the page's
/// language.
pub async fn save(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let stored = state.store.channel_settings(staff.unit.id, "whatsapp").await?;
    let old = stored
        .and_then(|s| MetaSettings::from_config(&s.config))
        .unwrap_or_default();
    let enabled = field(&fields, "enabled") == "1";
    let config = meta_from_form(&fields, &old).map(|s| serde_json::to_value(s).expect("settings serialize"));
    let detail = if enabled { "meta aktif" } else { "meta nonaktif" };
    save_settings(&state, &staff, reader, "whatsapp", config, enabled, detail).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    const FULL: &[(&str, &str)] = &[
        ("phone_number_id", "106540352242922"),
        ("access_token", "EAAJB-token-uji"),
        ("app_secret", "rahasia-aplikasi-meta-uji"),
        ("verify_token", "token-verifikasi-uji-123"),
        ("graph_url", ""),
        ("template_language", "id"),
        ("default_template", "pemberitahuan_pengaduan"),
        ("template_answer", "jawaban_pengaduan"),
    ];

    #[test]
    fn a_full_form_is_read_with_defaults() {
        let s = meta_from_form(&form(FULL), &MetaSettings::default()).unwrap();
        assert_eq!(s.provider, "meta");
        assert_eq!(s.graph_url, DEFAULT_GRAPH_URL);
        assert_eq!(s.templates.get("answer").map(String::as_str), Some("jawaban_pengaduan"));
        assert!(!s.templates.contains_key("status"));
    }

    #[test]
    fn stored_secrets_stay_only_while_the_graph_address_stays() {
        let stored = meta_from_form(&form(FULL), &MetaSettings::default()).unwrap();
        let mut empty: Vec<_> = form(FULL)
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_str(), "access_token" | "app_secret" | "verify_token"))
            .collect();
        let kept = meta_from_form(&empty, &stored).unwrap();
        assert_eq!(kept.access_token, stored.access_token);
        assert_eq!(kept.app_secret, stored.app_secret);
        empty.retain(|(k, _)| k != "graph_url");
        empty.push(("graph_url".into(), "https://graph.lain.test/v21.0".into()));
        assert_eq!(meta_from_form(&empty, &stored), Err("provider_meta.token_again"));
        empty.push(("access_token".into(), "token-baru".into()));
        assert_eq!(meta_from_form(&empty, &stored).unwrap().access_token, "token-baru");
    }

    #[test]
    fn bad_fields_are_named() {
        let with = |name: &str, value: &str| {
            let mut f = form(FULL);
            f.retain(|(k, _)| k != name);
            f.push((name.to_owned(), value.to_owned()));
            meta_from_form(&f, &MetaSettings::default())
        };
        assert_eq!(
            with("phone_number_id", "12ab"),
            Err("provider_meta.bad_phone_number_id")
        );
        assert_eq!(with("graph_url", "ftp://x"), Err("provider_meta.bad_graph_url"));
        assert_eq!(with("app_secret", "pendek"), Err("provider_meta.short_app_secret"));
        assert_eq!(
            with("verify_token", "ada spasi di dalamnya"),
            Err("provider_meta.short_verify_token")
        );
        assert_eq!(
            with("template_language", "Indonesia"),
            Err("provider_meta.bad_language")
        );
        assert_eq!(
            with("template_status", "Nama Templat"),
            Err("provider_meta.bad_template")
        );
        assert_eq!(with("access_token", ""), Err("provider_meta.missing_token"));
        assert!(with("template_language", "en_US").is_ok());
    }
}
