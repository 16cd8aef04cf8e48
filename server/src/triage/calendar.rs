//! Working days in a unit's time zone: Monday to Friday minus the national holidays
//! and cuti bersama stored in `holidays` (seeded for 2025-2027 by migration 0006,
//! kept by the system-level role) and the unit's own days off (`unit_days_off`,
//! kept by the unit's admin). SLA targets (PENGADUAN.md) count these days.
//!
//! A moment (UTC) becomes a date in the unit's zone (WIB `Asia/Jakarta`, WITA
//! `Asia/Makassar`, WIT `Asia/Jayapura`) before counting, so a complaint that arrives
//! at 00:30 WITA on a Monday counts from Monday even though it is still Sunday in UTC.
//! The day arithmetic itself is `analytics::WorkingCalendar`'s.

use analytics::WorkingCalendar;
use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::storage::StoreError;
use crate::storage::model::Holiday;

/// A unit's working-day calendar over the holidays it was built with.
#[derive(Debug, Clone)]
pub struct UnitCalendar {
    zone: Tz,
    days: WorkingCalendar,
}

/// The zone of a unit, from its IANA name; an unknown name counts in WIB (the zone
/// of most units) rather than failing a clock.
pub fn zone_of(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Asia::Jakarta)
}

impl UnitCalendar {
    /// A calendar in `zone` skipping `holidays` (both kinds: libur nasional and cuti
    /// bersama close government offices alike).
    pub fn new(zone: Tz, holidays: &[Holiday]) -> UnitCalendar {
        UnitCalendar {
            zone,
            days: WorkingCalendar::new(holidays.iter().map(|h| h.day)),
        }
    }

    /// A calendar in `zone` skipping the given days off.
    pub fn from_days(zone: Tz, days_off: impl IntoIterator<Item = NaiveDate>) -> UnitCalendar {
        UnitCalendar {
            zone,
            days: WorkingCalendar::new(days_off),
        }
    }

    /// The calendar of unit `unit_id` for clocks starting around `from`: loads its
    /// days off (national holidays, cuti bersama and the unit's own days off, never
    /// another unit's) from a week before `from` to `span_days` after it.
    pub async fn load(
        store: &dyn crate::storage::Store,
        unit_id: i64,
        zone: Tz,
        from: NaiveDate,
        span_days: u64,
    ) -> Result<UnitCalendar, StoreError> {
        let start = from.checked_sub_days(Days::new(7)).unwrap_or(from);
        let end = from.checked_add_days(Days::new(span_days)).unwrap_or(from);
        let days = store.days_off(unit_id, start, end).await?;
        Ok(UnitCalendar::from_days(zone, days))
    }

    /// The unit's zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The date a moment falls on in the unit's zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.days.is_working_day(date)
    }

    /// The last working day of a target of `n` working days for something received at
    /// `received`: the n-th working day after the local day of receipt (a complaint
    /// received on a Saturday with a 1-day target is due on Monday).
    pub fn due_date(&self, received: DateTime<Utc>, n: u32) -> NaiveDate {
        self.days.add_working_days(self.local_date(received), n)
    }

    /// The moment a target of `n` working days ends: the end (23:59:59) of
    /// [`UnitCalendar::due_date`] in the unit's zone, as UTC.
    pub fn due_at(&self, received: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        self.end_of_day(self.due_date(received, n))
    }

    /// The last second of a local date, as UTC.
    pub fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let local = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&local))
    }

    /// Working days from the local day of `from` to the local day of `to` (same day
    /// = 0, next working day = 1).
    pub fn working_days_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.days
            .working_days_between(self.local_date(from), self.local_date(to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
    }

    fn holiday(day: NaiveDate, kind: &str) -> Holiday {
        Holiday {
            day,
            name: "uji".into(),
            kind: kind.into(),
        }
    }

    /// The seeded holidays of 2026 around Idul Fitri: 18 March cuti bersama (Nyepi),
    /// 19 Nyepi, 20 cuti bersama, 21-22 Idul Fitri (a weekend), 23-24 cuti bersama.
    fn lebaran_2026() -> Vec<Holiday> {
        vec![
            holiday(d(2026, 3, 18), "cuti_bersama"),
            holiday(d(2026, 3, 19), "libur_nasional"),
            holiday(d(2026, 3, 20), "cuti_bersama"),
            holiday(d(2026, 3, 21), "libur_nasional"),
            holiday(d(2026, 3, 22), "libur_nasional"),
            holiday(d(2026, 3, 23), "cuti_bersama"),
            holiday(d(2026, 3, 24), "cuti_bersama"),
        ]
    }

    #[test]
    fn weekends_are_skipped() {
        let cal = UnitCalendar::new(chrono_tz::Asia::Jakarta, &[]);
        // Friday 20 November 2026, 10:00 WIB (03:00 UTC): 1 working day -> Monday 23.
        let friday = utc(2026, 11, 20, 3, 0);
        assert_eq!(cal.due_date(friday, 1), d(2026, 11, 23));
        assert_eq!(cal.due_date(friday, 5), d(2026, 11, 27));
        // Received on a Saturday: the first working day is Monday.
        assert_eq!(cal.due_date(utc(2026, 11, 21, 3, 0), 1), d(2026, 11, 23));
        assert_eq!(cal.due_date(utc(2026, 11, 22, 3, 0), 14), d(2026, 12, 10));
        assert!(!cal.is_working_day(d(2026, 11, 21)));
        assert!(cal.is_working_day(d(2026, 11, 23)));
        assert_eq!(cal.working_days_between(friday, utc(2026, 11, 23, 3, 0)), 1);
    }

    #[test]
    fn national_holidays_and_cuti_bersama_are_skipped() {
        let cal = UnitCalendar::new(chrono_tz::Asia::Jakarta, &lebaran_2026());
        // Tuesday 17 March 2026: 1 working day would be the 18th, but 18-24 are all off.
        let before = utc(2026, 3, 17, 2, 0);
        assert_eq!(cal.due_date(before, 1), d(2026, 3, 25));
        assert_eq!(cal.due_date(before, 5), d(2026, 3, 31));
        for day in 18..=24 {
            assert!(!cal.is_working_day(d(2026, 3, day)), "{day} March 2026 is off");
        }
        // A cuti bersama day alone (the 20th) is skipped like a national holiday.
        let only_cuti = UnitCalendar::new(chrono_tz::Asia::Jakarta, &[holiday(d(2026, 3, 20), "cuti_bersama")]);
        assert_eq!(only_cuti.due_date(utc(2026, 3, 19, 2, 0), 1), d(2026, 3, 23));
        assert_eq!(cal.working_days_between(before, utc(2026, 3, 25, 2, 0)), 1);
    }

    #[test]
    fn days_are_counted_in_the_units_zone_around_midnight() {
        // Sunday 22 November 2026, 16:30 UTC is Sunday 23:30 WIB, Monday 00:30 WITA and
        // Monday 01:30 WIT.
        let at = utc(2026, 11, 22, 16, 30);
        let wib = UnitCalendar::new(chrono_tz::Asia::Jakarta, &[]);
        let wita = UnitCalendar::new(chrono_tz::Asia::Makassar, &[]);
        let wit = UnitCalendar::new(chrono_tz::Asia::Jayapura, &[]);
        assert_eq!(wib.local_date(at), d(2026, 11, 22));
        assert_eq!(wita.local_date(at), d(2026, 11, 23));
        assert_eq!(wit.local_date(at), d(2026, 11, 23));
        // One working day: from Sunday (WIB) that is Monday; from Monday (WITA/WIT) Tuesday.
        assert_eq!(wib.due_date(at, 1), d(2026, 11, 23));
        assert_eq!(wita.due_date(at, 1), d(2026, 11, 24));
        assert_eq!(wit.due_date(at, 1), d(2026, 11, 24));
        // The deadline is the end of that day in the unit's zone.
        assert_eq!(
            wib.due_at(at, 1),
            utc(2026, 11, 23, 16, 59) + chrono::Duration::seconds(59)
        );
        assert_eq!(
            wita.due_at(at, 1),
            utc(2026, 11, 24, 15, 59) + chrono::Duration::seconds(59)
        );
        assert_eq!(
            wit.due_at(at, 1),
            utc(2026, 11, 24, 14, 59) + chrono::Duration::seconds(59)
        );
        // A holiday in the local calendar: Monday 23 November off; WITA/WIT then due Wednesday.
        let off = [holiday(d(2026, 11, 24), "libur_nasional")];
        let wita = UnitCalendar::new(chrono_tz::Asia::Makassar, &off);
        assert_eq!(wita.due_date(at, 1), d(2026, 11, 25));
        // 23:59 WIB on a Friday is still Friday: due Monday; 00:01 WIB Saturday is Saturday.
        let late_friday = utc(2026, 11, 20, 16, 59);
        let early_saturday = utc(2026, 11, 20, 17, 1);
        assert_eq!(wib.local_date(late_friday), d(2026, 11, 20));
        assert_eq!(wib.local_date(early_saturday), d(2026, 11, 21));
        assert_eq!(wib.due_date(late_friday, 1), d(2026, 11, 23));
        assert_eq!(wib.due_date(early_saturday, 1), d(2026, 11, 23));
        assert_eq!(wib.due_date(late_friday, 2), d(2026, 11, 24));
    }

    #[test]
    fn unknown_zones_count_in_wib() {
        assert_eq!(zone_of("Asia/Makassar"), chrono_tz::Asia::Makassar);
        assert_eq!(zone_of("Mars/Olympus"), chrono_tz::Asia::Jakarta);
    }
}
