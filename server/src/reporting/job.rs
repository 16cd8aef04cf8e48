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

/// One pass: for every unit whose local today is the first working day of its
/// month, drafts last month's report unless one exists. Returns the drafts made.
///
/// The check for an existing version and the job lease (per unit and month, held by
/// `holder`, one instance's name) together make the draft happen once however many
/// instances run the job at the same moment. A unit whose draft fails gives its
/// lease back, so the next pass (on any instance) tries again; the other units are
/// still served, and the first failure is returned after the pass.
pub async fn run_once(store: &dyn Store, holder: &str, now: DateTime<Utc>) -> anyhow::Result<Vec<ReportVersion>> {
    let mut made = Vec::new();
    let mut failure = None;
    for unit in store.list_units().await? {
        let today = now.with_timezone(&super::zone(&unit)).date_naive();
        // The unit's own days off count as well as the national ones: its first
        // working day is the first day its office is open.
        let days_off = store
            .days_off(unit.id, today.with_day(1).unwrap_or(today), today)
            .await?;
        if first_working_day(today.year(), today.month(), &days_off) != today {
            continue;
        }
        let month = Period::month_of(today).previous();
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

/// Runs [`run_once`] every ten minutes until told to stop.
pub async fn run(store: Arc<dyn Store>, holder: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        if let Err(e) = run_once(store.as_ref(), &holder, Utc::now()).await {
            tracing::warn!(error = %e, "monthly report draft job failed; will retry");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
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
}
