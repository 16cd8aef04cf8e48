//! Background work of triage, run once across several instances: each pass takes a
//! job lease in the database (`Store::try_lease`) and does nothing without it, and
//! every effect is idempotent besides (a status move re-checks the status in its
//! transaction; each notice has an outbox dedupe key), so even two passes in a row
//! never act twice.
//!
//! - **auto-close** (`triage:auto-close`): an answered complaint whose complainant
//!   did not reply within the auto-close limit of its unit and channel (the
//!   `tutup_otomatis` row of `channel_stages`, 10 working days by default, counted
//!   on the unit's calendar; [`super::stages::auto_close_limit`]) moves to
//!   `selesai`; one with a reply in time that was not reopened at intake (a crash
//!   between storing the reply and reopening) is reopened.
//! - **SLA** (`triage:sla`): the staff notices of [`super::staff_notices`]: the
//!   holder of an open complaint is reminded when its deadline is within a working
//!   day and told once it has passed (one of each per holder and deadline, by dedupe
//!   key), assignment notices the staff page did not queue are caught up, and the
//!   daily digests go out, each by the way its account chose at `/akun`. Overdue
//!   complaints are also flagged in the inbox (its "terlambat" filter), for holders
//!   who hear nothing.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::calendar::{UnitCalendar, zone_of};
use super::stages::auto_close_limit;
use crate::domain::ComplaintStatus;
use crate::i18n::{Lang, tf};
use crate::storage::stages::ChannelStage;
use crate::storage::triage::StatusMove;
use crate::storage::{Store, StoreError};

/// Lease name of the auto-close job.
pub const AUTO_CLOSE_LEASE: &str = "triage:auto-close";
/// Lease name of the SLA job.
pub const SLA_LEASE: &str = "triage:sla";

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriagePass {
    /// Whether this instance held the auto-close lease.
    pub auto_close_ran: bool,
    /// Complaints closed.
    pub closed: usize,
    /// Complaints reopened.
    pub reopened: usize,
    /// Whether this instance held the SLA lease.
    pub sla_ran: bool,
    /// Reminders and overdue notices queued.
    pub notices: usize,
    /// Assignment notices caught up (normally queued by the staff page already).
    pub assigned: usize,
    /// Daily digests queued.
    pub digests: usize,
}

/// The triage jobs of one instance.
#[derive(Clone)]
pub struct TriageJobs {
    store: Arc<dyn Store>,
    holder: String,
    interval: Duration,
    public_url: Option<String>,
    digest_hour: u32,
}

impl TriageJobs {
    /// Jobs over `store`, leasing as `holder` (unique per instance).
    pub fn new(store: Arc<dyn Store>, holder: String) -> TriageJobs {
        TriageJobs {
            store,
            holder,
            interval: Duration::from_secs(60),
            public_url: None,
            digest_hour: super::staff_notices::DIGEST_LOCAL_HOUR,
        }
    }

    /// The same jobs with another local hour for the daily digest
    /// (`[jobs] staff_digest_hour`).
    pub fn with_digest_hour(mut self, hour: u32) -> TriageJobs {
        self.digest_hour = hour;
        self
    }

    /// The same jobs with the public address the links in their notices start with
    /// (`public_url` of the configuration: an auto-close's citizen notice,
    /// `crate::notices`, and the staff notices; relative links without it).
    pub fn with_public_url(mut self, public_url: Option<String>) -> TriageJobs {
        self.public_url = public_url;
        self
    }

    /// The same jobs with another pass interval (`[jobs] triage_interval_seconds`);
    /// the leases last three intervals, so a dead instance's lease lapses soon.
    pub fn with_interval(mut self, interval: Duration) -> TriageJobs {
        self.interval = interval;
        self
    }

    /// One pass of both jobs as if the time were `now` (tests pass a later `now` to
    /// reach the end of a waiting period).
    pub async fn run_pass(&self, now: DateTime<Utc>) -> Result<TriagePass, StoreError> {
        let mut pass = TriagePass::default();
        let until = now + chrono::Duration::from_std(self.interval * 3).unwrap_or(chrono::Duration::minutes(3));
        if self.store.try_lease(AUTO_CLOSE_LEASE, &self.holder, now, until).await? {
            pass.auto_close_ran = true;
            self.auto_close(now, &mut pass).await?;
        }
        if self.store.try_lease(SLA_LEASE, &self.holder, now, until).await? {
            pass.sla_ran = true;
            self.sla(now, &mut pass).await?;
        }
        Ok(pass)
    }

    /// The calendar of one unit (its days off: national and its own) around `from`,
    /// cached per unit and day for the pass.
    async fn calendar(
        &self,
        cache: &mut HashMap<(i64, chrono::NaiveDate), UnitCalendar>,
        unit_id: i64,
        zone_name: &str,
        from: DateTime<Utc>,
    ) -> Result<UnitCalendar, StoreError> {
        let key = (unit_id, from.date_naive());
        if let Some(c) = cache.get(&key) {
            return Ok(c.clone());
        }
        let zone = zone_of(zone_name);
        // Room for the longest limit an admin may set (365 working days).
        let c = UnitCalendar::load(
            self.store.as_ref(),
            unit_id,
            zone,
            from.with_timezone(&zone).date_naive(),
            560,
        )
        .await?;
        cache.insert(key, c.clone());
        Ok(c)
    }

    async fn auto_close(&self, now: DateTime<Utc>, pass: &mut TriagePass) -> Result<(), StoreError> {
        // A limit is at least one working day, so nothing answered within the last
        // day can be due; each unit's limit per channel decides the rest.
        let waiting = self.store.answered_before(now - chrono::Duration::days(1)).await?;
        let mut calendars = HashMap::new();
        let mut limits: HashMap<i64, Vec<ChannelStage>> = HashMap::new();
        for w in waiting {
            let cal = self
                .calendar(&mut calendars, w.unit_id, &w.time_zone, w.answered_at)
                .await?;
            let stages = match limits.entry(w.unit_id) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(self.store.channel_stages(w.unit_id).await?),
            };
            let window = auto_close_limit(stages, &w.channel, cal.local_date(w.received_at)).working_days;
            let days = window.to_string();
            let args = [("days", days.as_str())];
            let reply_in_time = w
                .replied_at
                .filter(|r| cal.working_days_between(w.answered_at, *r) <= window);
            let (to, note, at) = match reply_in_time {
                Some(r) => (
                    ComplaintStatus::DibukaKembali,
                    tf(Lang::Id, "triage.answer.reopened_note", &args),
                    r,
                ),
                None if cal.working_days_between(w.answered_at, now) > window => (
                    ComplaintStatus::Selesai,
                    tf(Lang::Id, "triage.answer.auto_closed_note", &args),
                    now,
                ),
                None => continue,
            };
            let moved = crate::notices::move_complaint_of_unit(
                self.store.as_ref(),
                StatusMove {
                    unit_id: w.unit_id,
                    complaint_id: w.complaint_id,
                    to,
                    actor_id: None,
                    note,
                    at,
                    expected_from: None,
                    notify: Vec::new(),
                },
                self.public_url.as_deref(),
            )
            .await?;
            if moved.is_ok() {
                if to == ComplaintStatus::Selesai {
                    pass.closed += 1;
                } else {
                    pass.reopened += 1;
                }
            }
        }
        Ok(())
    }

    async fn sla(&self, now: DateTime<Utc>, pass: &mut TriagePass) -> Result<(), StoreError> {
        use super::staff_notices;
        let store = self.store.as_ref();
        let url = self.public_url.as_deref();
        let since = now - chrono::Duration::hours(staff_notices::ASSIGNMENT_LOOKBACK_HOURS);
        pass.assigned += staff_notices::queue_assignments(store, url, since, None).await?;
        pass.notices += staff_notices::queue_reminders(store, url, now).await?;
        pass.digests += staff_notices::queue_digests(store, url, now, self.digest_hour).await?;
        Ok(())
    }

    /// Runs a pass every interval (a minute unless configured) until `shutdown` turns true.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_pass(Utc::now()).await {
                Ok(pass) if pass.closed + pass.reopened + pass.notices + pass.assigned + pass.digests > 0 => {
                    tracing::info!(?pass, "triage pass")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "triage pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("triage jobs stopped");
    }
}
