//! The background job that makes each unit's monthly report draft on the first
//! working day of the month (seed 002 item j). It runs under a job lease per unit
//! and month, so with several instances only one makes the draft, and it skips a
//! month that already has a version (made on demand, or by an earlier run).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};

use super::period::Period;
use crate::storage::Store;
use crate::storage::reports::ReportVersion;

/// The first day of the month that is not a weekend or a day off (`holidays`: the
/// national holidays with the unit's own days off).
pub fn first_working_day(year: i32, month: u32, holidays: &[NaiveDate]) -> NaiveDate {
    let mut day = NaiveDate::from_ymd_opt(year, month, 1).expect("valid month");
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) || holidays.contains(&day) {
        day = day.succ_opt().expect("a later day exists");
    }
    day
}

/// The month whose draft is due on `today` (a unit's local date), if any: last
/// month's on this month's first working day, or up to `catch_up_days` days after
/// it (for a first working day on which no instance ran). Before this month's first
/// working day, the month before last is due during the catch-up days after last
/// month's first working day. `days_off` must cover last month and this one.
pub fn due_draft(today: NaiveDate, days_off: &[NaiveDate], catch_up_days: u32) -> Option<Period> {
    let this_month = Period::month_of(today);
    let first = first_working_day(today.year(), today.month(), days_off);
    let (due_day, month) = if first <= today {
        (first, this_month.previous())
    } else {
        let last = this_month.previous().from();
        (
            first_working_day(last.year(), last.month(), days_off),
            this_month.previous().previous(),
        )
    };
    ((today - due_day).num_days() <= i64::from(catch_up_days)).then_some(month)
}

/// One pass: for every unit whose local today is the first working day of its
/// month, drafts last month's report unless one exists. Returns the drafts made.
/// The same as [`run_once_with`] without catch-up days.
pub async fn run_once(store: &dyn Store, holder: &str, now: DateTime<Utc>) -> anyhow::Result<Vec<ReportVersion>> {
    run_once_with(store, holder, now, 0).await
}

/// One pass: for every unit with a draft due today ([`due_draft`]), drafts that
/// month's report unless one exists. Returns the drafts made.
///
/// The check for an existing version and the job lease (per unit and month, held by
/// `holder`, one instance's name) together make the draft happen once however many
/// instances run the job at the same moment. A unit whose draft fails gives its
/// lease back, so the next pass (on any instance) tries again; the other units are
/// still served, and the first failure is returned after the pass.
pub async fn run_once_with(
    store: &dyn Store,
    holder: &str,
    now: DateTime<Utc>,
    catch_up_days: u32,
) -> anyhow::Result<Vec<ReportVersion>> {
    let mut made = Vec::new();
    let mut failure = None;
    for unit in store.list_units().await? {
        let today = now.with_timezone(&super::zone(&unit)).date_naive();
        // The unit's own days off count as well as the national ones: its first
        // working day is the first day its office is open.
        let days_off = store
            .days_off(unit.id, Period::month_of(today).previous().from(), today)
            .await?;
        let Some(month) = due_draft(today, &days_off, catch_up_days) else {
            continue;
        };
        if store
            .next_report_version(unit.id, super::workflow::MONTHLY, &month.key())
            .await?
            > 1
        {
            continue;
        }
        let lease = format!("report-draft:{}:{}", unit.code, month.key());
        if !store
            .try_lease(&lease, holder, now, now + chrono::Duration::hours(36))
            .await?
        {
            continue;
        }
        // Checked again under the lease: another instance may have finished the
        // draft and let its lease run out between the first check and ours.
        if store
            .next_report_version(unit.id, super::workflow::MONTHLY, &month.key())
            .await?
            > 1
        {
            continue;
        }
        match super::workflow::draft_monthly_as_of(store, &unit, month, today, None, "").await {
            Ok(v) => made.push(v),
            Err(e) => {
                tracing::warn!(unit = %unit.code, month = %month.key(), error = %e, "monthly draft failed");
                // Give the lease back (same holder, expiring now) so a later pass retries.
                let _ = store.try_lease(&lease, holder, now, now).await;
                if failure.is_none() {
                    failure = Some(e);
                }
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(made),
    }
}

/// The drafter loop of one instance, with its timer from `[jobs]`.
pub struct Drafter {
    /// The database.
    pub store: Arc<dyn Store>,
    /// This instance's name in job leases.
    pub holder: String,
    /// Time between two passes (ten minutes unless configured).
    pub interval: Duration,
    /// Days after the first working day on which a missing draft is still made.
    pub catch_up_days: u32,
}

impl Drafter {
    /// Runs [`run_once_with`] every interval until told to stop.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            match run_once_with(self.store.as_ref(), &self.holder, Utc::now(), self.catch_up_days).await {
                Ok(made) if !made.is_empty() => tracing::info!(drafts = made.len(), "monthly report drafts made"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "monthly report draft job failed; will retry"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_working_day_skips_weekends_and_holidays() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // 1 November 2026 is a Sunday.
        assert_eq!(first_working_day(2026, 11, &[]), d(2026, 11, 2));
        // 1 January 2026 (Thursday) is a holiday.
        assert_eq!(first_working_day(2026, 1, &[d(2026, 1, 1)]), d(2026, 1, 2));
        assert_eq!(first_working_day(2026, 10, &[]), d(2026, 10, 1));
    }

    #[test]
    fn a_draft_is_due_on_the_first_working_day_or_within_the_catch_up_days() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let october = Some(Period::Month(2026, 10));
        // November 2026: the 2nd (Monday) is the first working day.
        assert_eq!(due_draft(d(2026, 11, 2), &[], 0), october);
        assert_eq!(due_draft(d(2026, 11, 3), &[], 0), None, "not without catch-up");
        assert_eq!(due_draft(d(2026, 11, 3), &[], 1), october);
        assert_eq!(due_draft(d(2026, 11, 30), &[], 28), october);
        assert_eq!(due_draft(d(2026, 11, 30), &[], 27), None);
        // 1 November is a Sunday: before November's first working day, September is
        // due only while October's first working day (the 1st) is within reach.
        assert_eq!(due_draft(d(2026, 11, 1), &[], 0), None);
        assert_eq!(due_draft(d(2026, 11, 1), &[], 31), Some(Period::Month(2026, 9)));
        // A holiday on the 2nd moves the day to the 3rd.
        assert_eq!(due_draft(d(2026, 11, 3), &[d(2026, 11, 2)], 0), october);
        // January: December of the year before.
        assert_eq!(due_draft(d(2027, 1, 1), &[], 0), Some(Period::Month(2026, 12)));
    }
}
