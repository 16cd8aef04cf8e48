//! Dates as Indonesian exports write them: `22/11/2026 14:05`, `2026-11-22`,
//! `22 November 2026`, `22 Nov 2026`, `Senin, 22 Agu 2026 14.05 WIB`, and the ISO
//! text a spreadsheet date cell becomes. Month names in Indonesian (and English);
//! impossible dates (31/02) are refused, never rolled over.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Month number of an Indonesian or English month name or abbreviation.
fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    let m = match w.as_str() {
        "januari" | "january" | "jan" => 1,
        "februari" | "pebruari" | "february" | "feb" | "peb" => 2,
        "maret" | "march" | "mar" => 3,
        "april" | "apr" => 4,
        "mei" | "may" => 5,
        "juni" | "june" | "jun" => 6,
        "juli" | "july" | "jul" => 7,
        "agustus" | "august" | "agu" | "agt" | "ags" | "agus" | "aug" => 8,
        "september" | "sep" | "sept" => 9,
        "oktober" | "october" | "okt" | "oct" => 10,
        "november" | "nopember" | "nov" | "nop" => 11,
        "desember" | "december" | "des" | "dec" => 12,
        _ => return None,
    };
    Some(m)
}

const WEEKDAYS: &[&str] = &[
    "senin",
    "selasa",
    "rabu",
    "kamis",
    "jumat",
    "jum'at",
    "sabtu",
    "minggu",
    "ahad",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A numeric date: `22/11/2026`, `22-11-2026`, `22.11.2026`, `2026-11-22`, `2026/11/22`.
fn numeric_date(token: &str) -> Option<NaiveDate> {
    let sep = token.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = token.split(sep).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let (y, m, d) = if parts[0].len() == 4 {
        (n[0], n[1], n[2])
    } else if parts[2].len() == 4 {
        (n[2], n[1], n[0])
    } else {
        return None;
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// A time of day: `14:05`, `14:05:33`, `14.05`, `14.05.33`.
fn time_of_day(token: &str) -> Option<NaiveTime> {
    let sep = if token.contains(':') { ':' } else { '.' };
    let parts: Vec<&str> = token.split(sep).collect();
    if !(2..=3).contains(&parts.len())
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 2 || !p.chars().all(|c| c.is_ascii_digit()))
    {
        // Seconds may carry a fraction from a spreadsheet: 14:05:33.000
        if sep == ':' && parts.len() == 3 {
            let secs: f64 = parts[2].parse().ok()?;
            let h: u32 = parts[0].parse().ok()?;
            let m: u32 = parts[1].parse().ok()?;
            return NaiveTime::from_hms_opt(h, m, secs.trunc() as u32);
        }
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    NaiveTime::from_hms_opt(n[0], n[1], n.get(2).copied().unwrap_or(0))
}

/// Offset of an Indonesian zone abbreviation.
fn zone(word: &str) -> Option<FixedOffset> {
    let hours = match word.to_uppercase().as_str() {
        "WIB" => 7,
        "WITA" => 8,
        "WIT" => 9,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

/// A date with an optional time and zone, as written; `None` when it is not one of
/// the known forms or names a day that does not exist.
pub fn parse_local(text: &str) -> Option<(NaiveDateTime, Option<FixedOffset>, bool)> {
    let text = text.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    // ISO date-time, as spreadsheet cells and machine exports give it.
    if text.len() >= 16 && text.as_bytes().get(10) == Some(&b'T') {
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Some((dt.naive_local(), Some(*dt.offset()), true));
        }
        for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(text, f) {
                return Some((dt, None, true));
            }
        }
        return None;
    }
    let mut tokens: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    if tokens
        .first()
        .is_some_and(|t| WEEKDAYS.contains(&t.to_lowercase().as_str()))
    {
        tokens.remove(0);
    }
    let mut offset = None;
    if let Some(z) = tokens.last().and_then(|t| zone(t)) {
        offset = Some(z);
        tokens.pop();
    }
    tokens.retain(|t| !t.eq_ignore_ascii_case("pukul") && !t.eq_ignore_ascii_case("jam"));
    let (date, rest) = if let Some(d) = tokens.first().and_then(|t| numeric_date(t)) {
        (d, &tokens[1..])
    } else if tokens.len() >= 3 {
        let day: u32 = tokens[0].parse().ok().filter(|_| tokens[0].len() <= 2)?;
        let m = month(tokens[1])?;
        let year: i32 = tokens[2].parse().ok().filter(|_| tokens[2].len() == 4)?;
        (NaiveDate::from_ymd_opt(year, m, day)?, &tokens[3..])
    } else {
        return None;
    };
    match rest {
        [] => Some((date.and_time(NaiveTime::MIN), offset, false)),
        [t] => Some((date.and_time(time_of_day(t)?), offset, true)),
        _ => None,
    }
}

/// A date-time in the unit's zone (or the zone the text names) as UTC.
pub fn parse_datetime(text: &str, unit_zone: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let (local, offset, _) = parse_local(text)?;
    match offset {
        Some(o) => o.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc)),
        None => unit_zone
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// Only the day of a date (a time, if written, is ignored).
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    parse_local(text).map(|(dt, _, _)| dt.date())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<String> {
        parse_datetime(text, chrono_tz::Asia::Jakarta).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    #[test]
    fn the_forms_indonesian_exports_use() {
        assert_eq!(utc("22/11/2026 14:05").as_deref(), Some("2026-11-22 07:05:00"));
        assert_eq!(utc("2026-11-22").as_deref(), Some("2026-11-21 17:00:00"));
        assert_eq!(utc("22 November 2026").as_deref(), Some("2026-11-21 17:00:00"));
        assert_eq!(utc("22 Nov 2026").as_deref(), Some("2026-11-21 17:00:00"));
        assert_eq!(
            utc("22 Agustus 2026 14.05 WITA").as_deref(),
            Some("2026-08-22 06:05:00")
        );
        assert_eq!(
            utc("Senin, 3 Agu 2026 pukul 09:30").as_deref(),
            Some("2026-08-03 02:30:00")
        );
        assert_eq!(utc("1 Mei 2026").as_deref(), Some("2026-04-30 17:00:00"));
        assert_eq!(utc("15 Okt 2026").as_deref(), Some("2026-10-14 17:00:00"));
        assert_eq!(utc("07-12-2026 08:00:00").as_deref(), Some("2026-12-07 01:00:00"));
        assert_eq!(utc("2026-11-22T14:05:00").as_deref(), Some("2026-11-22 07:05:00"));
        assert_eq!(utc("2026-11-22 14:05:00").as_deref(), Some("2026-11-22 07:05:00"));
        assert_eq!(utc("2026-11-22T14:05:00+09:00").as_deref(), Some("2026-11-22 05:05:00"));
        assert_eq!(parse_day("22 Des 2026"), NaiveDate::from_ymd_opt(2026, 12, 22));
    }

    #[test]
    fn impossible_or_unknown_dates_are_refused() {
        for bad in [
            "31/02/2026",
            "2026-13-01",
            "22 Brumaire 2026",
            "kemarin",
            "",
            "22/11/26",
            "22/11/2026 25:00",
            "22 11",
            "2026-11-22 14:05 lalu",
            "12345",
            "22/11/2026 14:05 WIB extra",
        ] {
            assert_eq!(utc(bad), None, "{bad:?} should be refused");
        }
    }
}
