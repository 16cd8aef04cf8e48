//! Number and date formats as Indonesian official documents print them
//! (decimal comma, thousands dot, "22 November 2026").

use chrono::{Datelike, NaiveDate};

use crate::Labels;

/// `v` with `places` decimals and a decimal comma (88,31).
pub fn dec(v: f64, places: usize) -> String {
    let text = format!("{:.*}", places, analytics::round_half_away(v, places as u32));
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (text, None),
    };
    let mut out = group(&int);
    if let Some(f) = frac {
        out.push(',');
        out.push_str(&f);
    }
    out
}

/// An integer with a thousands dot (12.345).
pub fn int(v: i64) -> String {
    group(&v.to_string())
}

fn group(int: &str) -> String {
    let (sign, digits) = match int.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", int),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
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
}
