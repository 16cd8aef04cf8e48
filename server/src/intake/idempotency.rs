//! Retries that file a complaint once (issue 22).
//!
//! A client that sent a complaint and lost the answer (a crash, a dropped
//! connection, a double click) cannot know whether it was stored. The JSON API takes
//! an `Idempotency-Key` header and the complaint forms carry a hidden one-time token
//! made when the form is rendered; the store keeps the key with the complaint, in the
//! same transaction, so sending the same request again returns the first nomor agenda
//! instead of a second complaint. The same key with a different request is refused.
//! Keys are scoped per unit and per way in (`api`, `form`, `staff-form`) and kept for
//! [`crate::storage::idempotency::RETENTION_HOURS`].

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::storage::model::IdempotencyKey;

/// The request header of the JSON API (the IETF draft's name).
pub const HEADER: &str = "idempotency-key";

/// The header a replayed answer carries, so a client can tell it got the first result.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// The hidden field of the complaint forms that carries the one-time token.
pub const FORM_FIELD: &str = "submission_token";

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Why a key cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidKey;

/// Whether `key` is usable: 1 to [`MAX_KEY_LEN`] visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The `Idempotency-Key` of a request: None when absent, an error when malformed.
pub fn from_headers(headers: &HeaderMap) -> Result<Option<String>, InvalidKey> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().map_err(|_| InvalidKey)?.trim();
    if valid_key(key) {
        Ok(Some(key.to_owned()))
    } else {
        Err(InvalidKey)
    }
}

/// A fresh form token: 26 characters of an unambiguous alphabet (130 bits), so a
/// stranger cannot guess another citizen's token and land on their receipt.
pub fn new_form_token() -> String {
    crate::codes::random_string(&mut rand::rng(), crate::codes::UNAMBIGUOUS, 26)
}

/// SHA-256 (hex) over the parts of a request, each length-prefixed so that moving
/// bytes from one part to the next changes the result.
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

/// The key to store for `key` sent through `scope`, with the request's fingerprint.
pub fn key(scope: &str, key: String, fingerprint: String) -> IdempotencyKey {
    IdempotencyKey {
        scope: scope.to_owned(),
        key,
        fingerprint,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_fingerprints_separate_parts() {
        assert!(valid_key("a1b2-c3"));
        assert!(!valid_key(""));
        assert!(!valid_key("with space"));
        assert!(!valid_key(&"x".repeat(MAX_KEY_LEN + 1)));
        assert_ne!(fingerprint([&b"ab"[..], b"c"]), fingerprint([&b"a"[..], b"bc"]));
        assert_eq!(fingerprint([&b"ab"[..]]), fingerprint([&b"ab"[..]]));
        let token = new_form_token();
        assert!(valid_key(&token));
        assert_ne!(token, new_form_token());
    }
}
