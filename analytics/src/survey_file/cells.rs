//! Single cells of a survey file read as text: dates, scores, ages, header names.
//! Fast paths for the common shapes (a one-digit score, an ISO date) give exactly
//! what the general parsers give.

use chrono::NaiveDate;

use crate::calendar::to_epoch_days;

/// Lowercase letters and digits only: "Sistem, Mekanisme, dan Prosedur" and
/// "sistem mekanisme dan prosedur" compare equal.
pub fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads a date as ISO (2026-11-22) or Indonesian day-first (22/11/2026, 22-11-2026).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .or_else(|_| NaiveDate::parse_from_str(t, "%d-%m-%Y"))
        .ok()
}

/// A score cell: `Ok(0)` when empty (unanswered), `Ok(1..=4)`, or `Err(())` for
/// anything else. The cell is trimmed first.
#[inline]
pub(crate) fn score(cell: &str) -> Result<u8, ()> {
    if let [b @ b'1'..=b'4'] = cell.as_bytes() {
        return Ok(b - b'0');
    }
    match cell.trim() {
        "" => Ok(0),
        t => match t.parse::<u8>() {
            Ok(n @ 1..=4) => Ok(n),
            _ => Err(()),
        },
    }
}

/// An age cell: a whole number of years, or nothing.
#[inline]
pub(crate) fn umur(cell: &str) -> Option<u32> {
    cell.trim().parse::<u32>().ok()
}

/// Remembers the last date text seen, since files list many rows of the same day.
#[derive(Default)]
pub(crate) struct DateCache {
    text: Vec<u8>,
    day: Option<i32>,
}

impl DateCache {
    /// The epoch day of a date cell, or `None` when it is not a date.
    #[inline]
    pub(crate) fn day(&mut self, cell: &str) -> Option<i32> {
        if !self.text.is_empty() && self.text == cell.as_bytes() {
            return self.day;
        }
        let day = iso_fast(cell.as_bytes())
            .unwrap_or_else(|| parse_date(cell))
            .map(to_epoch_days);
        self.text.clear();
        self.text.extend_from_slice(cell.as_bytes());
        self.day = day;
        day
    }
}

/// `YYYY-MM-DD` with ten ASCII digits and dashes: the date, or `Some(None)` when the
/// digits name no day (as chrono would refuse them). Any other shape is left to
/// [`parse_date`] (`None`).
fn iso_fast(b: &[u8]) -> Option<Option<NaiveDate>> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |ds: &[u8]| ds.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    Some(NaiveDate::from_ymd_opt(
        n(&digits[..4]) as i32,
        n(&digits[4..6]),
        n(&digits[6..]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_paths_agree_with_the_general_parsers() {
        for cell in [
            "2026-11-22",
            "2026-02-30",
            "2026-13-01",
            "0000-01-01",
            " 2026-11-22",
            "22/11/2026",
            "22-11-2026",
            "2026-1-2",
            "",
            "kemarin",
        ] {
            let mut cache = DateCache::default();
            let fast = cache.day(cell);
            assert_eq!(fast, parse_date(cell).map(to_epoch_days), "{cell:?}");
            assert_eq!(cache.day(cell), fast, "cached {cell:?}");
        }
        for (cell, want) in [
            ("4", Ok(4)),
            (" 3 ", Ok(3)),
            ("+2", Ok(2)),
            ("04", Ok(4)),
            ("", Ok(0)),
            ("  ", Ok(0)),
            ("5", Err(())),
            ("0", Err(())),
            ("4.0", Err(())),
            ("-1", Err(())),
        ] {
            assert_eq!(score(cell), want, "{cell:?}");
        }
        assert_eq!(umur(" 34 "), Some(34));
        assert_eq!(umur("-3"), None);
    }
}
