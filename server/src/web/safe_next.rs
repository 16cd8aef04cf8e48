//! Where a `next=` parameter may send the browser: only to a path on this site.
//!
//! Browsers are lenient with `Location`: they drop ASCII tab, CR and LF anywhere,
//! read `\` as `/`, and take `//host` (or `/\host`) as another host. A value that
//! looks local to a naive check (`/<TAB>/evil.example`) can therefore leave the
//! site. [`safe_next`] applies the browser's normalisation, on the value as given
//! and on its percent-decoded forms, and refuses anything that could be read as
//! another origin.

/// How many rounds of percent-decoding are checked (`%252F` → `%2F` → `/`).
const DECODE_ROUNDS: usize = 3;

/// The redirect target for a user-supplied `next`, or `None` when it is not
/// plainly a path on this site. Used by the language switch and the login page.
pub fn safe_next(next: &str) -> Option<String> {
    if next.len() > 2048 || !is_local(next) {
        return None;
    }
    let mut current = next.to_owned();
    for _ in 0..DECODE_ROUNDS {
        let decoded = percent_decode(&current);
        if decoded == current {
            break;
        }
        if !is_local(&decoded) {
            return None;
        }
        current = decoded;
    }
    // Belt and braces: resolved against this site, it must stay on this site.
    let base = url::Url::parse("https://tanggap.invalid/").ok()?;
    let joined = base.join(next).ok()?;
    (joined.origin() == base.origin()).then(|| next.to_owned())
}

/// One form of the value: a single `/` then something that is not a second slash,
/// with no control character and no backslash anywhere.
fn is_local(value: &str) -> bool {
    let mut chars = value.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !value.chars().any(|c| c.is_control() || c == '\\')
}

/// `%XX` to the byte it names (invalid escapes are kept as they are); the result is
/// read as UTF-8 with replacement, which can only make a value look less local.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|b| (*b as char).to_digit(16)),
                bytes.get(i + 2).and_then(|b| (*b as char).to_digit(16)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn hostile_targets_are_refused() {
        for hostile in [
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2509/evil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "\\\\evil.example",
            "//evil.example",
            "///evil.example",
            "/%2F%2Fevil.example",
            "/%2Fevil.example",
            "/%252F/evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "\t//evil",
            "\n//evil",
            "/\r\n/evil.example",
            "/%0d%0a/evil.example",
            "/ok\u{7f}",
            "/ok\u{0}",
            "/staf\\..\\evil",
            "",
            "evil.example",
            " /staf",
        ] {
            assert_eq!(safe_next(hostile), None, "{hostile:?}");
        }
    }

    #[test]
    fn local_paths_are_kept_as_given() {
        for local in [
            "/",
            "/staf",
            "/staf/dinsos-uji/pengaduan?status=diterima&q=a%20b",
            "/lacak?kode=ABCD-EFGH",
            "/u/dinsos-uji/ikm",
            "/staf/x?q=jalan%2Fgang",
        ] {
            assert_eq!(safe_next(local).as_deref(), Some(local), "{local:?}");
        }
    }
}
