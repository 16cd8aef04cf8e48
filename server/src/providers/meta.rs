//! WhatsApp Cloud API (Meta) as a native provider, both directions.
//!
//! In: Meta calls the unit's webhook (`/webhook/{unit}/whatsapp-meta`): first a `GET`
//! handshake that must echo `hub.challenge` when `hub.verify_token` is the unit's,
//! then `POST`s signed with `X-Hub-Signature-256` (HMAC-SHA256 of the raw body under
//! the app secret). [`inbound`] reads `entry[].changes[].value.messages[]`, fetches
//! photos and documents by their media id, and hands each message to the one intake
//! funnel, `intake::gateway::receive`.
//!
//! Out: [`send`] posts to `{graph}/{phone-number-id}/messages` with the bearer
//! token: free text inside the 24-hour customer-service window (the citizen wrote to
//! the unit on WhatsApp within 24 hours), an approved template outside it.
//!
//! The settings live in the unit's `whatsapp` channel settings with
//! `"provider": "meta"`, edited on the channel page's own form.

pub mod inbound;
pub mod send;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The provider key of these settings.
pub const PROVIDER: &str = "meta";

/// Graph API base used when the unit sets none.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com/v21.0";

/// Header carrying Meta's signature of a webhook body.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// The notice kinds a unit can name a template for (the `x-notice-kind` header of
/// an outbox row), with the locale key of each one's label. A kind without its own
/// template uses the unit's default template.
pub const TEMPLATE_KINDS: &[(&str, &str)] = &[
    ("ack", "provider_meta.kind_ack"),
    ("status", "provider_meta.kind_status"),
    ("answer", "provider_meta.kind_answer"),
    ("survey_invite", "provider_meta.kind_survey_invite"),
    ("staff", "provider_meta.kind_staff"),
];

/// A unit's WhatsApp Cloud API settings (its `whatsapp` channel settings JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetaSettings {
    /// Always `"meta"`: what makes the outbox and the webhooks pick this provider.
    pub provider: String,
    /// The business phone number's id in Meta's WhatsApp Manager (digits).
    pub phone_number_id: String,
    /// The system-user access token, sent as `Authorization: Bearer`.
    pub access_token: String,
    /// The Meta app's secret: the key of `X-Hub-Signature-256`.
    pub app_secret: String,
    /// The token typed into Meta's webhook form, checked on the handshake.
    pub verify_token: String,
    /// Graph API base (`https://graph.facebook.com/v21.0`); tests point it elsewhere.
    pub graph_url: String,
    /// The language code the templates were approved in (`id`).
    pub template_language: String,
    /// The template used outside the window when a kind has none of its own.
    pub default_template: String,
    /// Template per notice kind ([`TEMPLATE_KINDS`]).
    pub templates: BTreeMap<String, String>,
}

impl Default for MetaSettings {
    fn default() -> Self {
        MetaSettings {
            provider: PROVIDER.to_owned(),
            phone_number_id: String::new(),
            access_token: String::new(),
            app_secret: String::new(),
            verify_token: String::new(),
            graph_url: DEFAULT_GRAPH_URL.to_owned(),
            template_language: "id".to_owned(),
            default_template: String::new(),
            templates: BTreeMap::new(),
        }
    }
}

impl MetaSettings {
    /// Reads stored settings; None when they are another provider's (or unreadable),
    /// so nothing of another provider's is ever taken for Meta's.
    pub fn from_config(config: &serde_json::Value) -> Option<MetaSettings> {
        if super::provider_of(config) != PROVIDER {
            return None;
        }
        serde_json::from_value(config.clone()).ok()
    }

    /// The Graph API base without a trailing slash.
    pub fn graph(&self) -> &str {
        let g = self.graph_url.trim().trim_end_matches('/');
        if g.is_empty() { DEFAULT_GRAPH_URL } else { g }
    }

    /// The template for a notice kind: its own, else the default; None when neither
    /// is set. The flag says whether it is the kind's own (which takes the notice's
    /// parameters) or the default (which takes the message text).
    pub fn template_for(&self, kind: Option<&str>) -> Option<(&str, bool)> {
        let own = kind
            .and_then(|k| self.templates.get(k))
            .map(|t| t.trim())
            .filter(|t| !t.is_empty());
        match own {
            Some(name) => Some((name, true)),
            None => Some(self.default_template.trim())
                .filter(|t| !t.is_empty())
                .map(|name| (name, false)),
        }
    }
}

/// Whether the handshake's token is the unit's, in constant time; an unset token
/// never matches.
pub fn verify_token_matches(settings: &MetaSettings, given: &str) -> bool {
    !settings.verify_token.is_empty()
        && subtle::ConstantTimeEq::ct_eq(settings.verify_token.as_bytes(), given.as_bytes()).into()
}

/// Whether `X-Hub-Signature-256` is `sha256=<hex HMAC-SHA256(body, app secret)>`,
/// in constant time; an unset app secret never matches.
pub fn signature_matches(settings: &MetaSettings, body: &[u8], signature: &str) -> bool {
    !settings.app_secret.is_empty() && crate::notify::gateway::verify(&settings.app_secret, body, signature)
}

/// A number as Meta writes it (`62812…`, digits only) from any form
/// `intake::form::normalize_phone` takes; None when it is not an Indonesian number.
pub fn meta_number(phone: &str) -> Option<String> {
    let local = crate::intake::form::normalize_phone(phone)?;
    Some(format!("62{}", &local[1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_go_to_meta_as_62_digits() {
        assert_eq!(meta_number("0812-3456-7890").as_deref(), Some("6281234567890"));
        assert_eq!(meta_number("+62 812 3456 7890").as_deref(), Some("6281234567890"));
        assert_eq!(meta_number("6281234567890").as_deref(), Some("6281234567890"));
        assert_eq!(meta_number("bukan nomor"), None);
    }

    #[test]
    fn templates_fall_back_to_the_default_only_when_the_kind_has_none() {
        let mut s = MetaSettings::default();
        assert_eq!(s.template_for(Some("answer")), None);
        s.default_template = "pemberitahuan_umum".into();
        assert_eq!(s.template_for(Some("answer")), Some(("pemberitahuan_umum", false)));
        assert_eq!(s.template_for(None), Some(("pemberitahuan_umum", false)));
        s.templates.insert("answer".into(), "jawaban_pengaduan".into());
        assert_eq!(s.template_for(Some("answer")), Some(("jawaban_pengaduan", true)));
        s.templates.insert("status".into(), "  ".into());
        assert_eq!(s.template_for(Some("status")), Some(("pemberitahuan_umum", false)));
    }

    #[test]
    fn other_providers_settings_are_never_read_as_meta() {
        assert!(MetaSettings::from_config(&serde_json::json!({"url": "https://x", "hmac_secret": "s"})).is_none());
        assert!(MetaSettings::from_config(&serde_json::json!({"provider": "fonnte", "app_secret": "s"})).is_none());
        let s = MetaSettings::from_config(&serde_json::json!({"provider": "meta", "app_secret": "s"})).unwrap();
        assert_eq!((s.app_secret.as_str(), s.graph()), ("s", DEFAULT_GRAPH_URL));
    }

    #[test]
    fn empty_secrets_never_match() {
        let s = MetaSettings::default();
        assert!(!verify_token_matches(&s, ""));
        assert!(!signature_matches(&s, b"{}", &crate::notify::gateway::sign("", b"{}")));
        let s = MetaSettings {
            verify_token: "token-verifikasi-uji".into(),
            app_secret: "rahasia-aplikasi".into(),
            ..MetaSettings::default()
        };
        assert!(verify_token_matches(&s, "token-verifikasi-uji"));
        assert!(!verify_token_matches(&s, "token-verifikasi-ujx"));
        let sig = crate::notify::gateway::sign("rahasia-aplikasi", b"{\"a\":1}");
        assert!(signature_matches(&s, b"{\"a\":1}", &sig));
        assert!(!signature_matches(&s, b"{\"a\":2}", &sig));
    }
}
