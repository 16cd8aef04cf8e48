//! What the native providers share: the secret in the webhook URL of providers that
//! sign nothing, reading a posted payload (JSON or a form), and how an HTTP answer
//! of a provider becomes a retry or a give-up in the outbox.

use subtle::ConstantTimeEq;

use crate::notify::SendError;

/// Providers whose webhooks carry a secret in the URL (they sign nothing).
pub const URL_SECRET_PROVIDERS: &[&str] = &["fonnte", "wablas"];

/// A fresh webhook secret: 256 random bits, URL-safe base64 (43 characters), so it
/// can stand in a path segment as it is.
pub fn new_webhook_secret() -> String {
    crate::auth::new_secret()
}

/// What is stored instead of the secret: its SHA-256 in hex.
pub fn secret_hash(secret: &str) -> String {
    crate::auth::hash_secret(secret)
}

/// Whether `given` (from the URL) is the secret whose hash is `stored_hash`,
/// compared in constant time.
pub fn secret_matches(stored_hash: &str, given: &str) -> bool {
    let given = secret_hash(given);
    given.len() == stored_hash.len() && bool::from(given.as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// The webhook URL an admin pastes into the provider's dashboard.
pub fn webhook_url(public_url: &str, unit_code: &str, provider: &str, secret: &str) -> String {
    format!(
        "{}/api/v1/webhook/{unit_code}/{provider}/{secret}",
        public_url.trim_end_matches('/')
    )
}

/// A posted payload as one JSON object, whether it came as JSON or as an
/// `application/x-www-form-urlencoded` form (form values become strings).
pub fn payload_object(body: &[u8], content_type: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    if content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
        return Some(
            pairs
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        );
    }
    match serde_json::from_slice::<serde_json::Value>(body).ok()? {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A field as text: a string as it is, a number written out; None when missing,
/// null or empty.
pub fn text_field(map: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<String> {
    match map.get(name)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A provider's non-2xx HTTP answer as a send error: a 4xx other than 408/429 will
/// not change on retry (bad token, bad number); everything else is retried.
pub fn http_failure(provider: &str, status: reqwest::StatusCode, body: &str) -> SendError {
    let text: String = body.chars().take(200).collect();
    let error = format!("{provider} menjawab {status}: {text}");
    if status.is_client_error() && status.as_u16() != 408 && status.as_u16() != 429 {
        SendError::Permanent(error)
    } else {
        SendError::Temporary(error)
    }
}

/// A provider's 2xx answer read as JSON; an unreadable one is worth a retry.
pub fn json_answer(provider: &str, body: &str) -> Result<serde_json::Value, SendError> {
    serde_json::from_str(body).map_err(|_| {
        SendError::Temporary(format!(
            "jawaban {provider} tidak terbaca: {}",
            body.chars().take(200).collect::<String>()
        ))
    })
}

/// Checks a base URL typed into the settings: http(s) with a host.
pub fn valid_base_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_only_their_hash_opens() {
        let a = new_webhook_secret();
        let b = new_webhook_secret();
        assert_ne!(a, b);
        assert!(a.len() >= 43, "256 bits in base64");
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let stored = secret_hash(&a);
        assert!(secret_matches(&stored, &a));
        assert!(!secret_matches(&stored, &b));
        assert!(!secret_matches(&stored, &stored), "the hash itself is not the secret");
        assert!(!secret_matches(&stored, ""));
    }

    #[test]
    fn payloads_read_as_json_or_form() {
        let json = payload_object(br#"{"sender":"628123","inboxid":42}"#, "application/json").unwrap();
        assert_eq!(text_field(&json, "inboxid").as_deref(), Some("42"));
        let form = payload_object(b"sender=628123&message=halo+ada", "application/x-www-form-urlencoded").unwrap();
        assert_eq!(text_field(&form, "message").as_deref(), Some("halo ada"));
        assert!(payload_object(b"[1,2]", "application/json").is_none());
        assert!(payload_object(b"not json", "application/json").is_none());
    }
}
