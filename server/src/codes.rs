//! Random codes people read or type: tracking codes, generated passwords, tokens.

use rand::Rng;

/// Letters and digits without look-alikes (no 0/O, 1/I), so a code read aloud over
/// the phone is typed right: 32 symbols, 5 bits each.
pub const UNAMBIGUOUS: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// `len` symbols drawn uniformly from `alphabet` with `rng`.
pub fn random_string(rng: &mut impl Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// A fresh public tracking code: 16 unambiguous symbols, about 80 bits, so it cannot
/// be guessed or enumerated.
pub fn new_tracking_code() -> String {
    random_string(&mut rand::rng(), UNAMBIGUOUS, 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_are_long_distinct_and_unambiguous() {
        let a = new_tracking_code();
        assert_eq!(a.len(), 16);
        assert_ne!(a, new_tracking_code());
        assert!(a.bytes().all(|c| UNAMBIGUOUS.contains(&c)));
    }
}
