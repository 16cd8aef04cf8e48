//! Number and date formats: Indonesian official documents print a decimal comma and
//! a thousands dot (88,31 and 1.234), English ones the reverse (88.31 and 1,234).
//! One [`NumberFormat`] serves a whole document (tables, figures and charts), so a
//! document never mixes the two.

use chrono::{Datelike, NaiveDate};

use crate::Labels;

/// How a document writes numbers: the reader's language decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumberFormat {
    /// Decimal comma, thousands dot (88,31; 1.234).
    #[default]
    Indonesian,
    /// Decimal point, thousands comma (88.31; 1,234).
    English,
}

impl NumberFormat {
    /// The format of a language code (`en` is English, anything else Indonesian).
    pub fn for_lang(code: &str) -> NumberFormat {
        if code == "en" {
            NumberFormat::English
        } else {
            NumberFormat::Indonesian
        }
    }

    fn separators(self) -> (char, char) {
        match self {
            NumberFormat::Indonesian => (',', '.'),
            NumberFormat::English => ('.', ','),
        }
    }

    /// `v` rounded half away from zero to `places` decimals.
    pub fn dec(self, v: f64, places: usize) -> String {
        let (decimal, thousands) = self.separators();
        let text = format!("{:.*}", places, analytics::round_half_away(v, places as u32));
        let (int, frac) = match text.split_once('.') {
            Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
            None => (text, None),
        };
        let mut out = group(&int, thousands);
        if let Some(f) = frac {
            out.push(decimal);
            out.push_str(&f);
        }
        out
    }

    /// An integer with thousands separators.
    pub fn int(self, v: i64) -> String {
        group(&v.to_string(), self.separators().1)
    }
}

/// `v` with `places` decimals and a decimal comma (88,31): the Indonesian format,
/// for callers without a reader's language.
pub fn dec(v: f64, places: usize) -> String {
    NumberFormat::Indonesian.dec(v, places)
}

/// An integer with a thousands dot (12.345), the Indonesian format.
pub fn int(v: i64) -> String {
    NumberFormat::Indonesian.int(v)
}

fn group(int: &str, sep: char) -> String {
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// "22 November 2026" with the month name from the labels.
pub fn date(d: NaiveDate, labels: &Labels) -> String {
    format!("{} {} {}", d.day(), month_name(d.month(), labels), d.year())
}

/// The month's name from `reports.month.N`.
pub fn month_name(month: u32, labels: &Labels) -> String {
    labels.t(&format!("reports.month.m{month}")).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_number_format() {
        assert_eq!(dec(88.3125, 2), "88,31");
        assert_eq!(dec(1234.5, 1), "1.234,5");
        assert_eq!(int(1234567), "1.234.567");
        assert_eq!(int(-950), "-950");
        assert_eq!(dec(3.0, 0), "3");
    }

    #[test]
    fn english_number_format() {
        let en = NumberFormat::English;
        assert_eq!(en.dec(88.3125, 2), "88.31");
        assert_eq!(en.dec(1234.5, 1), "1,234.5");
        assert_eq!(en.int(-1234567), "-1,234,567");
        assert_eq!(NumberFormat::for_lang("id"), NumberFormat::Indonesian);
    }
}
