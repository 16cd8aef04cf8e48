//! Dates: calendar periods (month, quarter, semester, year), date ranges, and working
//! days (Monday to Friday minus a holiday list the caller passes).
//!
//! Dates are the unit's local calendar dates; the server converts from UTC before it
//! builds a frame, so nothing here knows about time zones.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Days from 0001-01-01 (CE day 1) to 1970-01-01, the epoch of polars `Date`.
const EPOCH_CE_DAYS: i32 = 719_163;

/// polars `Date` physical value (days since 1970-01-01) of a date.
pub(crate) fn to_epoch_days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_CE_DAYS
}

/// The date of a polars `Date` physical value.
pub(crate) fn from_epoch_days(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + EPOCH_CE_DAYS).expect("date in range")
}

/// An inclusive range of dates; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DateRange {
    /// First day included, or unbounded.
    pub from: Option<NaiveDate>,
    /// Last day included, or unbounded.
    pub to: Option<NaiveDate>,
}

impl DateRange {
    /// A closed range `from..=to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        DateRange {
            from: Some(from),
            to: Some(to),
        }
    }

    /// The whole calendar period containing `date` (e.g. the quarter of a date).
    pub fn period_of(period: Period, date: NaiveDate) -> Self {
        let i = period.index_of(date);
        DateRange::new(period.start(i), period.end(i))
    }

    /// Whether `date` lies in the range.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date <= t)
    }

    pub(crate) fn epoch_bounds(&self) -> (i32, i32) {
        (
            self.from.map(to_epoch_days).unwrap_or(i32::MIN),
            self.to.map(to_epoch_days).unwrap_or(i32::MAX),
        )
    }

    /// The range of the same extent just before this one: shifted back by whole
    /// months when it starts on a first and ends on a last day of a month (so a
    /// quarter's previous range is the previous quarter, whatever the month lengths),
    /// otherwise by its number of days. `None` when an end is open.
    pub fn previous(&self) -> Option<DateRange> {
        let (from, to) = (self.from?, self.to?);
        if to < from {
            return None;
        }
        let next = to.checked_add_days(Days::new(1))?;
        if from.day() == 1 && next.day() == 1 {
            let months = (next.year() - from.year()) * 12 + next.month() as i32 - from.month() as i32;
            let months = Months::new(months as u32);
            let pfrom = from.checked_sub_months(months)?;
            let pto = from.pred_opt()?;
            Some(DateRange::new(pfrom, pto))
        } else {
            let len = (to - from).num_days() as u64 + 1;
            Some(DateRange::new(
                from.checked_sub_days(Days::new(len))?,
                to.checked_sub_days(Days::new(len))?,
            ))
        }
    }

    /// This range shifted back by one `period` (month ends clamp: 31 March minus one
    /// month is 28/29 February). An end on the last day of its month stays on the
    /// last day of the earlier month (30 June minus one quarter is 31 March, not 30
    /// March), so a whole period is compared with the whole period before it. Open
    /// ends stay open.
    pub fn shift_back(&self, period: Period) -> DateRange {
        let m = Months::new(period.months());
        let to = self.to.and_then(|d| match d.succ_opt() {
            Some(next) if next.day() == 1 => next.checked_sub_months(m).and_then(|n| n.pred_opt()),
            _ => d.checked_sub_months(m),
        });
        DateRange {
            from: self.from.and_then(|d| d.checked_sub_months(m)),
            to,
        }
    }
}

/// A calendar period length used for grouping and for complaint flow tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Calendar month, labelled `2026-03`.
    Month,
    /// Calendar quarter (triwulan), labelled `2026-Q1`.
    Quarter,
    /// Half year (semester), labelled `2026-S1`.
    Semester,
    /// Calendar year, labelled `2026`.
    Year,
}

impl Period {
    /// Number of months in one period.
    pub fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
            Period::Semester => 6,
            Period::Year => 12,
        }
    }

    /// A running number of the period containing `date`, consecutive across years,
    /// so the previous period is `index - 1`.
    pub fn index_of(self, date: NaiveDate) -> i32 {
        let m = date.year() * 12 + date.month0() as i32;
        m.div_euclid(self.months() as i32)
    }

    /// First day of the period with running number `index`.
    pub fn start(self, index: i32) -> NaiveDate {
        let m = index * self.months() as i32;
        NaiveDate::from_ymd_opt(m.div_euclid(12), m.rem_euclid(12) as u32 + 1, 1).expect("period start in range")
    }

    /// Last day of the period with running number `index`.
    pub fn end(self, index: i32) -> NaiveDate {
        self.start(index + 1).pred_opt().expect("period end in range")
    }

    /// The label reports and population keys use: `2026-03`, `2026-Q1`, `2026-S1`,
    /// `2026`.
    pub fn label(self, index: i32) -> String {
        let start = self.start(index);
        let (y, m0) = (start.year(), start.month0());
        match self {
            Period::Month => format!("{y:04}-{:02}", m0 + 1),
            Period::Quarter => format!("{y:04}-Q{}", m0 / 3 + 1),
            Period::Semester => format!("{y:04}-S{}", m0 / 6 + 1),
            Period::Year => format!("{y:04}"),
        }
    }

    /// The label of the period containing `date`.
    pub fn label_of(self, date: NaiveDate) -> String {
        self.label(self.index_of(date))
    }
}

/// Working days: Monday to Friday minus the holidays and collective leave days the
/// caller passes (they change every year, so they are data, not code). Used for
/// complaint durations and SLA targets, which PENGADUAN.md counts in working days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingCalendar {
    holidays: Vec<i32>,
}

impl WorkingCalendar {
    /// A calendar with the given holidays (order and duplicates do not matter;
    /// weekend dates in the list are harmless).
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        let mut h: Vec<i32> = holidays
            .into_iter()
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .map(to_epoch_days)
            .collect();
        h.sort_unstable();
        h.dedup();
        WorkingCalendar { holidays: h }
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
            && self.holidays.binary_search(&to_epoch_days(date)).is_err()
    }

    /// Working days from `start` to `end`: the number of working days after `start`
    /// up to and including `end` (same day = 0, answered the next working day = 1);
    /// negative when `end` is before `start`.
    pub fn working_days_between(&self, start: NaiveDate, end: NaiveDate) -> i64 {
        let (a, b) = (to_epoch_days(start), to_epoch_days(end));
        self.between_epoch(a, b)
    }

    pub(crate) fn between_epoch(&self, a: i32, b: i32) -> i64 {
        if b < a {
            return -self.between_epoch(b, a);
        }
        // weekdays in [0, x) counted from Monday 1969-12-29 (epoch day -3)
        fn weekdays_before(x: i32) -> i64 {
            let e = x as i64 + 3;
            5 * e.div_euclid(7) + e.rem_euclid(7).min(5)
        }
        let weekdays = weekdays_before(b + 1) - weekdays_before(a + 1);
        let lo = self.holidays.partition_point(|&h| h <= a);
        let hi = self.holidays.partition_point(|&h| h <= b);
        weekdays - (hi - lo) as i64
    }

    /// The date `n` working days after `start` (the due date of a target of `n`
    /// working days for a complaint received on `start`).
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        from_epoch_days(self.add_working_days_epoch(to_epoch_days(start), n))
    }

    /// [`Self::add_working_days`] on epoch days: the first day `d` with
    /// `between_epoch(a, d) == n`, found by a search over the counting formula rather
    /// than a walk day by day (SLA due dates are computed for every complaint).
    pub(crate) fn add_working_days_epoch(&self, a: i32, n: u32) -> i32 {
        if n == 0 {
            return a;
        }
        let n = n as i64;
        // Grow the window until it holds n working days, then bisect: the count is
        // non-decreasing in d, and the first d reaching n is itself a working day.
        let mut span: i64 = n + n / 5 * 2 + 3;
        while self.between_epoch(a, (a as i64 + span) as i32) < n {
            span *= 2;
        }
        let (mut lo, mut hi) = (a as i64, a as i64 + span);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.between_epoch(a, mid as i32) >= n {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn epoch_days() {
        assert_eq!(to_epoch_days(d(1970, 1, 1)), 0);
        assert_eq!(from_epoch_days(20_000), d(2024, 10, 4));
    }

    #[test]
    fn periods() {
        let x = d(2026, 11, 22);
        assert_eq!(Period::Month.label_of(x), "2026-11");
        assert_eq!(Period::Quarter.label_of(x), "2026-Q4");
        assert_eq!(Period::Semester.label_of(x), "2026-S2");
        assert_eq!(Period::Year.label_of(x), "2026");
        let q = Period::Quarter.index_of(d(2026, 1, 5));
        assert_eq!(Period::Quarter.label(q - 1), "2025-Q4");
        assert_eq!(Period::Quarter.end(q), d(2026, 3, 31));
        assert_eq!(
            DateRange::period_of(Period::Semester, x),
            DateRange::new(d(2026, 7, 1), d(2026, 12, 31))
        );
    }

    #[test]
    fn shifting_back_keeps_month_ends() {
        let s1 = DateRange::new(d(2026, 1, 1), d(2026, 6, 30));
        assert_eq!(
            s1.shift_back(Period::Semester),
            DateRange::new(d(2025, 7, 1), d(2025, 12, 31))
        );
        let q2 = DateRange::new(d(2026, 4, 1), d(2026, 6, 30));
        assert_eq!(
            q2.shift_back(Period::Quarter),
            DateRange::new(d(2026, 1, 1), d(2026, 3, 31))
        );
        let march = DateRange::new(d(2026, 3, 1), d(2026, 3, 31));
        assert_eq!(
            march.shift_back(Period::Month),
            DateRange::new(d(2026, 2, 1), d(2026, 2, 28))
        );
        // A partial period ends on the same day of the earlier one.
        let part = DateRange::new(d(2026, 4, 1), d(2026, 5, 15));
        assert_eq!(
            part.shift_back(Period::Quarter),
            DateRange::new(d(2026, 1, 1), d(2026, 2, 15))
        );
    }

    #[test]
    fn previous_ranges() {
        let q2 = DateRange::new(d(2026, 4, 1), d(2026, 6, 30));
        assert_eq!(q2.previous(), Some(DateRange::new(d(2026, 1, 1), d(2026, 3, 31))));
        let custom = DateRange::new(d(2026, 4, 10), d(2026, 4, 19));
        assert_eq!(custom.previous(), Some(DateRange::new(d(2026, 3, 31), d(2026, 4, 9))));
        assert_eq!(DateRange::default().previous(), None);
    }

    #[test]
    fn working_days() {
        // 2026-11-20 is a Friday
        let cal = WorkingCalendar::new([d(2026, 11, 24)]);
        assert_eq!(cal.working_days_between(d(2026, 11, 20), d(2026, 11, 20)), 0);
        assert_eq!(cal.working_days_between(d(2026, 11, 20), d(2026, 11, 23)), 1);
        assert_eq!(cal.working_days_between(d(2026, 11, 20), d(2026, 11, 22)), 0);
        assert_eq!(cal.working_days_between(d(2026, 11, 20), d(2026, 11, 25)), 2);
        assert_eq!(cal.working_days_between(d(2026, 11, 25), d(2026, 11, 20)), -2);
        assert_eq!(cal.add_working_days(d(2026, 11, 20), 2), d(2026, 11, 25));
        // The search agrees with walking day by day, across holiday runs and weekends.
        let many = WorkingCalendar::new(
            (0..30)
                .map(|k| from_epoch_days(20_410 + k * 3))
                .chain([d(2026, 11, 24)]),
        );
        for c in [&cal, &many] {
            for a in 0..60 {
                let start = from_epoch_days(20_400 + a);
                for n in 0..70u32 {
                    let mut x = start;
                    let mut left = n;
                    while left > 0 {
                        x = x.succ_opt().unwrap();
                        if c.is_working_day(x) {
                            left -= 1;
                        }
                    }
                    assert_eq!(c.add_working_days(start, n), x, "{start} + {n}");
                }
            }
        }
        // brute force over a range of pairs
        for a in 0..40 {
            for b in a..a + 40 {
                let (da, db) = (from_epoch_days(20_400 + a), from_epoch_days(20_400 + b));
                let mut n = 0;
                let mut x = da;
                while x < db {
                    x = x.succ_opt().unwrap();
                    if cal.is_working_day(x) {
                        n += 1;
                    }
                }
                assert_eq!(cal.working_days_between(da, db), n);
            }
        }
    }
}
