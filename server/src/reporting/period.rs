//! Report periods as people type them: `2026-10` (a month), `2026-Q3` (a quarter,
//! triwulan), `2026-S1` (a semester) and `2026` (a year).

use chrono::{Datelike, NaiveDate};

/// A calendar period a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One month (1–12).
    Month(i32, u32),
    /// One quarter (1–4).
    Quarter(i32, u32),
    /// One semester (1–2).
    Semester(i32, u32),
    /// One year.
    Year(i32),
}

/// Why a period could not be read (message in Bahasa Indonesia).
#[derive(Debug, Clone, thiserror::Error)]
#[error("periode {0:?} tidak dikenal: tulis 2026-10 (bulan), 2026-Q3 (triwulan), 2026-S1 (semester) atau 2026 (tahun)")]
pub struct BadPeriod(pub String);

impl Period {
    /// Reads a period key.
    pub fn parse(text: &str) -> Result<Period, BadPeriod> {
        let t = text.trim().to_ascii_uppercase();
        let bad = || BadPeriod(text.to_owned());
        let year = |y: &str| -> Result<i32, BadPeriod> {
            let y: i32 = y.parse().map_err(|_| bad())?;
            if (2000..=2100).contains(&y) { Ok(y) } else { Err(bad()) }
        };
        let Some((y, rest)) = t.split_once('-') else {
            return Ok(Period::Year(year(&t)?));
        };
        let y = year(y)?;
        let n = |s: &str, max: u32| -> Result<u32, BadPeriod> {
            let n: u32 = s.parse().map_err(|_| bad())?;
            if (1..=max).contains(&n) { Ok(n) } else { Err(bad()) }
        };
        if let Some(q) = rest.strip_prefix('Q') {
            Ok(Period::Quarter(y, n(q, 4)?))
        } else if let Some(s) = rest.strip_prefix('S') {
            Ok(Period::Semester(y, n(s, 2)?))
        } else if rest.len() <= 2 {
            Ok(Period::Month(y, n(rest, 12)?))
        } else {
            Err(bad())
        }
    }

    /// Only a month is accepted (the monthly report).
    pub fn parse_month(text: &str) -> Result<Period, BadPeriod> {
        match Period::parse(text)? {
            p @ Period::Month(..) => Ok(p),
            _ => Err(BadPeriod(text.to_owned())),
        }
    }

    /// Only a quarter, semester or year is accepted (the SKM report).
    pub fn parse_skm(text: &str) -> Result<Period, BadPeriod> {
        match Period::parse(text)? {
            Period::Month(..) => Err(BadPeriod(text.to_owned())),
            p => Ok(p),
        }
    }

    fn months(self) -> (i32, u32, u32) {
        match self {
            Period::Month(y, m) => (y, m, m),
            Period::Quarter(y, q) => (y, 3 * q - 2, 3 * q),
            Period::Semester(y, s) => (y, 6 * s - 5, 6 * s),
            Period::Year(y) => (y, 1, 12),
        }
    }

    /// First day.
    pub fn from(self) -> NaiveDate {
        let (y, m, _) = self.months();
        NaiveDate::from_ymd_opt(y, m, 1).expect("valid month")
    }

    /// Last day.
    pub fn to(self) -> NaiveDate {
        let (y, _, m) = self.months();
        let next = if m == 12 {
            NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        next.expect("valid month").pred_opt().expect("not the first day ever")
    }

    /// The period before this one, of the same kind.
    pub fn previous(self) -> Period {
        match self {
            Period::Month(y, 1) => Period::Month(y - 1, 12),
            Period::Month(y, m) => Period::Month(y, m - 1),
            Period::Quarter(y, 1) => Period::Quarter(y - 1, 4),
            Period::Quarter(y, q) => Period::Quarter(y, q - 1),
            Period::Semester(y, 1) => Period::Semester(y - 1, 2),
            Period::Semester(y, s) => Period::Semester(y, s - 1),
            Period::Year(y) => Period::Year(y - 1),
        }
    }

    /// The month containing `day`.
    pub fn month_of(day: NaiveDate) -> Period {
        Period::Month(day.year(), day.month())
    }

    /// The key, as stored and typed (`2026-10`, `2026-Q3`, `2026-S1`, `2026`).
    pub fn key(self) -> String {
        match self {
            Period::Month(y, m) => format!("{y}-{m:02}"),
            Period::Quarter(y, q) => format!("{y}-Q{q}"),
            Period::Semester(y, s) => format!("{y}-S{s}"),
            Period::Year(y) => format!("{y}"),
        }
    }

    /// The analytics grouping that splits time into periods of this kind.
    pub fn dimension(self) -> analytics::Dimension {
        match self {
            Period::Month(..) => analytics::Dimension::Month,
            Period::Quarter(..) => analytics::Dimension::Quarter,
            Period::Semester(..) => analytics::Dimension::Semester,
            Period::Year(..) => analytics::Dimension::Year,
        }
    }

    /// "Triwulan III 2026", "Semester I 2026", "Tahun 2026", "Oktober 2026".
    pub fn label(self, lang: crate::i18n::Lang) -> String {
        let roman = |n: u32| ["I", "II", "III", "IV"][(n as usize - 1).min(3)];
        match self {
            Period::Month(y, m) => format!("{} {y}", crate::i18n::t(lang, &format!("reports.month.m{m}"))),
            Period::Quarter(y, q) => crate::i18n::tf(
                lang,
                "reporting.period_quarter",
                &[("n", roman(q)), ("year", &y.to_string())],
            ),
            Period::Semester(y, s) => crate::i18n::tf(
                lang,
                "reporting.period_semester",
                &[("n", roman(s)), ("year", &y.to_string())],
            ),
            Period::Year(y) => crate::i18n::tf(lang, "reporting.period_year", &[("year", &y.to_string())]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_span_their_days() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(Period::parse("2026-10").unwrap(), Period::Month(2026, 10));
        let q = Period::parse("2026-q3").unwrap();
        assert_eq!((q.from(), q.to()), (d(2026, 7, 1), d(2026, 9, 30)));
        let s = Period::parse_skm("2026-S1").unwrap();
        assert_eq!((s.from(), s.to()), (d(2026, 1, 1), d(2026, 6, 30)));
        assert_eq!(Period::parse("2026").unwrap().to(), d(2026, 12, 31));
        assert_eq!(Period::Month(2026, 1).previous().key(), "2025-12");
        assert_eq!(Period::Semester(2026, 1).previous().key(), "2025-S2");
        for bad in ["2026-13", "2026-Q5", "2026-S3", "abc", "1999", "2026-10-01"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert!(Period::parse_month("2026-S1").is_err());
        assert!(Period::parse_skm("2026-10").is_err());
        assert_eq!(Period::parse("2026-02").unwrap().to(), d(2026, 2, 28));
    }
}
