//! Due dates from a unit's SLA targets (`sla_targets`, working days per bobot; the
//! defaults are PENGADUAN.md's: ringan first answer 1 and resolved 5, sedang 14,
//! berat 60), counted on the unit's working-day calendar from the original receipt.

use chrono::{DateTime, Utc};

use super::calendar::{UnitCalendar, zone_of};
use crate::domain::Bobot;
use crate::storage::model::Unit;
use crate::storage::triage::SlaTarget;
use crate::storage::{Store, StoreError};

/// The first-answer and resolution deadlines of a complaint received at `received`
/// with this bobot, from the unit's targets (None when the unit has no target).
pub fn due_dates(
    calendar: &UnitCalendar,
    targets: &[SlaTarget],
    bobot: Bobot,
    received: DateTime<Utc>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let Some(t) = targets.iter().find(|t| t.bobot == bobot.key()) else {
        return (None, None);
    };
    let days = |n: i64| u32::try_from(n.max(0)).unwrap_or(0);
    (
        t.first_answer_days.map(|n| calendar.due_at(received, days(n))),
        Some(calendar.due_at(received, days(t.resolve_days))),
    )
}

/// [`due_dates`] with the unit's targets and days off (national and its own) loaded
/// from the store.
pub async fn due_dates_for(
    store: &dyn Store,
    unit: &Unit,
    bobot: Bobot,
    received: DateTime<Utc>,
) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>), StoreError> {
    let targets = store.sla_targets(unit.id).await?;
    let longest = targets.iter().map(|t| t.resolve_days).max().unwrap_or(60).max(1);
    let zone = zone_of(&unit.time_zone);
    let from = received.with_timezone(&zone).date_naive();
    // Calendar days enough for the longest target: 7 per 5 working days, plus the
    // longest run of holidays in a year (Lebaran) and some.
    let span = u64::try_from(longest).unwrap_or(60) * 7 / 5 + 40;
    let calendar = UnitCalendar::load(store, unit.id, zone, from, span).await?;
    Ok(due_dates(&calendar, &targets, bobot, received))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn defaults() -> Vec<SlaTarget> {
        vec![
            SlaTarget {
                bobot: "ringan".into(),
                first_answer_days: Some(1),
                resolve_days: 5,
            },
            SlaTarget {
                bobot: "sedang".into(),
                first_answer_days: None,
                resolve_days: 14,
            },
            SlaTarget {
                bobot: "berat".into(),
                first_answer_days: None,
                resolve_days: 60,
            },
        ]
    }

    #[test]
    fn targets_per_bobot_in_working_days() {
        let cal = UnitCalendar::new(chrono_tz::Asia::Jakarta, &[]);
        // Monday 2 November 2026, 09:00 WIB.
        let received = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        let day = |t: Option<DateTime<Utc>>| t.map(|t| cal.local_date(t));
        let d = |m, dd| NaiveDate::from_ymd_opt(2026, m, dd);
        let (first, due) = due_dates(&cal, &defaults(), Bobot::Ringan, received);
        assert_eq!(day(first), d(11, 3));
        assert_eq!(day(due), d(11, 9));
        let (first, due) = due_dates(&cal, &defaults(), Bobot::Sedang, received);
        assert_eq!(first, None);
        assert_eq!(day(due), d(11, 20));
        let (_, due) = due_dates(&cal, &defaults(), Bobot::Berat, received);
        // 60 working days = 12 weeks.
        assert_eq!(day(due), NaiveDate::from_ymd_opt(2027, 1, 25));
        assert_eq!(due_dates(&cal, &[], Bobot::Berat, received), (None, None));
    }
}
