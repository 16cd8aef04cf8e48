//! Password hashing with argon2id, the only place passwords are touched.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

/// Shortest password accepted for a staff account.
pub const MIN_LENGTH: usize = 10;

/// Why a password was refused, in words a person can act on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Too short to resist guessing.
    #[error("kata sandi minimal {MIN_LENGTH} karakter / password must be at least {MIN_LENGTH} characters")]
    TooShort,
}

/// Hashes a new password into a PHC string (argon2id, random salt).
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail on a valid salt")
        .to_string())
}

/// Checks a password against a stored PHC string; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A random password for accounts created without one (shown once to the admin).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    crate::codes::random_string(&mut rand::rng(), ALPHABET, 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_argon2id() {
        let h = hash("rahasia-sekali").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("rahasia-sekali", &h));
        assert!(!verify("rahasia-salah", &h));
        assert!(!verify("rahasia-sekali", "not a hash"));
        assert_eq!(hash("pendek"), Err(PasswordError::TooShort));
        assert_eq!(generate().len(), 16);
    }
}
