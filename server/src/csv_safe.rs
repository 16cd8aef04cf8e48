//! CSV cells a spreadsheet will not run as formulas (OWASP "CSV injection").
//!
//! Excel, LibreOffice and Google Sheets treat a cell that begins with `=`, `+`, `-`
//! or `@` as a formula, and a leading tab or carriage return can hide such a start.
//! Complaint subjects, survey suggestions and names are typed by strangers, so every
//! CSV the product writes passes each cell through [`cell`], which puts a single
//! quote in front of such text. Plain numbers (`-0.5`, `+3`, `12`) are left as they
//! are: they are not formulas, and they must stay numbers for whoever sums them.
//! [`restore`] takes the quote off again when the product reads its own export back.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as it is safe to write: text that begins with a formula trigger gets a
/// leading `'`; plain decimal numbers and everything else are unchanged.
pub fn cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(TRIGGERS) && !is_plain_number(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A whole record through [`cell`], ready for `csv::Writer::write_record`.
pub fn record<I, S>(cells: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    cells.into_iter().map(|c| cell(c.as_ref()).into_owned()).collect()
}

/// The text [`cell`] was given: a leading `'` before a formula trigger is removed
/// (anything else is returned as read).
pub fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(TRIGGERS) => rest,
        _ => text,
    }
}

/// `-12`, `+3`, `-0.50`: an optional sign, digits, and at most one decimal point
/// with digits after it. Nothing else (no exponent, no `inf`).
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && (fraction.is_empty() != digits.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_quoted() {
        for hostile in [
            "=HYPERLINK(\"http://evil.example\",\"klik\")",
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1,1)",
            "\t=1+1",
            "\r=1+1",
            "-",
            "+",
            "-1e5",
            "-inf",
            "-1.",
            "--1",
        ] {
            let safe = cell(hostile);
            assert_eq!(safe, format!("'{hostile}"), "{hostile:?}");
            assert_eq!(restore(&safe), hostile);
        }
    }

    #[test]
    fn ordinary_text_and_numbers_are_unchanged() {
        for plain in [
            "",
            "Jalan rusak",
            "'kutipan",
            "12",
            "-0.5",
            "+3",
            "-12.75",
            "0.00",
            "a=b",
            " =1",
        ] {
            assert_eq!(cell(plain), plain, "{plain:?}");
            assert_eq!(restore(plain), plain);
        }
        assert_eq!(record(["=1", "x"]), vec!["'=1".to_owned(), "x".to_owned()]);
    }
}
