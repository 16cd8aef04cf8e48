//! Stage clocks of a channel (issue 20): a complaint that came through SP4N-LAPOR!
//! (typed in or imported) must be verified and passed on within 3 working days and
//! followed up within 5 more (PermenPAN-RB 62/2018, replaced by 5/2025). The limits
//! are data per unit and channel (`storage::stages`); this module turns them into
//! due dates on the unit's working-day calendar and judges each stage.
//!
//! The clocks run one after the other: verification from the local day of receipt,
//! the follow-up from the end of verification's limit, so a report received on
//! Monday 2 November 2026 is due for verification on Thursday 5 November and for its
//! follow-up on Thursday 12 November. A stage ends when the complaint first moves
//! past `diterima` (verification) and at its first answer or closing (follow-up);
//! when the status says a stage is over but no date says when (an imported report
//! already answered on LAPOR!), the stage is counted under "tanggal tidak
//! diketahui", never as done today.
//!
//! The auto-close (`tutup_otomatis`, every channel: 10 working days by default) is a
//! stage row too, but its clock is the complainant's, not the agency's: it starts at
//! the last answer, and when it runs out the auto-close job closes the complaint.
//! It is left out of the agency's chain ([`clocks`], the inbox and the monthly
//! report's table 8) and read by [`auto_close_limit`] and [`complaint_clocks`].

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::calendar::{UnitCalendar, zone_of};
use crate::domain::ComplaintStatus;
use crate::storage::model::Unit;
use crate::storage::stages::{ChannelStage, StageComplaint};
use crate::storage::{Store, StoreError};
pub use reports::monthly::StageRow;

/// Stage key of verification.
pub const VERIFIKASI: &str = "verifikasi";
/// Stage key of the agency's follow-up.
pub const TINDAK_LANJUT: &str = "tindak_lanjut";
/// Stage key of the auto-close after an answer (the complainant's reply window).
pub const TUTUP_OTOMATIS: &str = "tutup_otomatis";
/// Every stage key, in stage order (the admin page lists rows in this order).
pub const STAGE_KEYS: &[&str] = &[VERIFIKASI, TINDAK_LANJUT, TUTUP_OTOMATIS];

/// Whether a stage is one of the agency's chained clocks (verification, follow-up)
/// rather than the auto-close.
pub fn is_agency_stage(stage: &str) -> bool {
    stage != TUTUP_OTOMATIS
}

/// The auto-close limit of a complaint of `channel` received on `received_on`: the
/// unit's row for that channel, or the default (10 working days, SP4N-LAPOR!) when
/// the unit has none for it.
pub fn auto_close_limit(stages: &[ChannelStage], channel: &str, received_on: NaiveDate) -> ChannelStage {
    applicable(stages, channel, received_on)
        .into_iter()
        .find(|s| s.stage == TUTUP_OTOMATIS)
        .cloned()
        .unwrap_or_else(|| crate::storage::stages::default_auto_close(channel))
}

/// The limits that apply to a complaint of `channel` received on `received_on`
/// (local): per stage, the row with the latest `valid_from` not after that day, in
/// stage order.
pub fn applicable<'a>(stages: &'a [ChannelStage], channel: &str, received_on: NaiveDate) -> Vec<&'a ChannelStage> {
    let mut chosen: Vec<&ChannelStage> = Vec::new();
    for s in stages
        .iter()
        .filter(|s| s.channel == channel && s.valid_from <= received_on)
    {
        match chosen.iter_mut().find(|c| c.stage == s.stage) {
            Some(c) if c.valid_from < s.valid_from => *c = s,
            Some(_) => {}
            None => chosen.push(s),
        }
    }
    chosen.sort_by_key(|s| s.position);
    chosen
}

/// Whether the status says the stage is over (whatever the dates say).
fn passed(stage: &str, status: &str) -> bool {
    use ComplaintStatus as S;
    let Ok(status) = ComplaintStatus::parse(status) else {
        return false;
    };
    match stage {
        VERIFIKASI => !matches!(status, S::Diterima | S::Dikembalikan),
        _ => matches!(status, S::Dijawab | S::Selesai | S::BukanWewenang | S::DibukaKembali),
    }
}

/// The stage whose clock is running for a complaint in `status` (None once both are
/// over, or for an archived complaint).
pub fn running_stage(status: &str) -> Option<&'static str> {
    if status == ComplaintStatus::Diarsipkan.key() {
        return None;
    }
    [VERIFIKASI, TINDAK_LANJUT].into_iter().find(|s| !passed(s, status))
}

/// One stage of one complaint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageClock {
    /// Stage key.
    pub stage: String,
    /// Its limit in working days.
    pub working_days: i64,
    /// Where the limit comes from.
    pub regulation: String,
    /// End of the limit: the end of the due day in the unit's zone.
    pub due_at: DateTime<Utc>,
    /// When the stage ended, when known.
    pub done_at: Option<DateTime<Utc>>,
    /// The status says the stage is over but no date says when.
    pub done_unknown: bool,
}

/// The agency's stage clocks (verification, follow-up) of one complaint on the
/// unit's calendar.
pub fn clocks(calendar: &UnitCalendar, stages: &[ChannelStage], c: &StageComplaint) -> Vec<StageClock> {
    if c.status == ComplaintStatus::Diarsipkan.key() {
        return Vec::new();
    }
    let received_on = calendar.local_date(c.received_at);
    let mut days = 0i64;
    applicable(stages, &c.channel, received_on)
        .into_iter()
        .filter(|s| is_agency_stage(&s.stage))
        .map(|s| {
            days += s.working_days.max(0);
            let done_at = match s.stage.as_str() {
                VERIFIKASI => c.verified_at,
                _ => c.first_answered_at.or(c.closed_at),
            };
            StageClock {
                stage: s.stage.clone(),
                working_days: s.working_days,
                regulation: s.regulation.clone(),
                due_at: calendar.due_at(c.received_at, u32::try_from(days).unwrap_or(u32::MAX)),
                done_at,
                done_unknown: done_at.is_none() && passed(&s.stage, &c.status),
            }
        })
        .collect()
}

/// The stage clocks of `complaints` tallied per channel, stage and limit, in stage
/// order, judged as of a day like the SLA table: done by the due day is met, after
/// it missed; not done and past the due day at `as_of` is overdue, otherwise
/// pending; over on an unrecorded day is counted apart.
pub fn tally(
    calendar: &UnitCalendar,
    stages: &[ChannelStage],
    complaints: &[StageComplaint],
    as_of: NaiveDate,
) -> Vec<StageRow> {
    let mut out: Vec<(i64, StageRow)> = Vec::new();
    for c in complaints {
        let position = |stage: &str| stages.iter().find(|s| s.stage == stage).map_or(0, |s| s.position);
        for k in clocks(calendar, stages, c) {
            let key = |t: &StageRow| {
                t.channel == c.channel
                    && t.stage == k.stage
                    && t.working_days == k.working_days
                    && t.regulation == k.regulation
            };
            let i = match out.iter().position(|(_, t)| key(t)) {
                Some(i) => i,
                None => {
                    out.push((
                        position(&k.stage),
                        StageRow {
                            channel: c.channel.clone(),
                            stage: k.stage.clone(),
                            working_days: k.working_days,
                            regulation: k.regulation.clone(),
                            complaints: 0,
                            met: 0,
                            missed: 0,
                            open_overdue: 0,
                            pending: 0,
                            unknown_date: 0,
                        },
                    ));
                    out.len() - 1
                }
            };
            let t = &mut out[i].1;
            t.complaints += 1;
            let due = calendar.local_date(k.due_at);
            match k.done_at.map(|d| calendar.local_date(d)) {
                _ if k.done_unknown => t.unknown_date += 1,
                Some(done) if done <= due => t.met += 1,
                Some(_) => t.missed += 1,
                None if as_of > due => t.open_overdue += 1,
                None => t.pending += 1,
            }
        }
    }
    out.sort_by(|a, b| (&a.1.channel, a.0).cmp(&(&b.1.channel, b.0)));
    out.into_iter().map(|(_, t)| t).collect()
}

/// A unit's calendar over the days the clocks of complaints received between two
/// moments can reach (the longest chain of the agency's stages, with room for
/// Lebaran).
pub async fn calendar_for(
    store: &dyn Store,
    unit: &Unit,
    stages: &[ChannelStage],
    first_received: DateTime<Utc>,
    last_received: DateTime<Utc>,
) -> Result<UnitCalendar, StoreError> {
    let zone = zone_of(&unit.time_zone);
    let from = first_received.with_timezone(&zone).date_naive();
    let to = last_received.with_timezone(&zone).date_naive();
    let longest: i64 = stages
        .iter()
        .filter(|s| is_agency_stage(&s.stage))
        .map(|s| s.working_days.max(0))
        .sum();
    let span = u64::try_from((to - from).num_days().max(0) + longest * 7 / 5 + 40).unwrap_or(400);
    UnitCalendar::load(store, unit.id, zone, from, span).await
}

/// The stage tallies of a unit's complaints received in `[from, to)`, judged as of
/// `as_of`: what the monthly report prints.
pub async fn month_tally(
    store: &dyn Store,
    unit: &Unit,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    as_of: NaiveDate,
) -> Result<Vec<StageRow>, StoreError> {
    let stages = store.channel_stages(unit.id).await?;
    let mut channels: Vec<String> = stages
        .iter()
        .filter(|s| is_agency_stage(&s.stage))
        .map(|s| s.channel.clone())
        .collect();
    channels.sort();
    channels.dedup();
    let complaints = store.stage_complaints(unit.id, &channels, from, to).await?;
    let (Some(first), Some(last)) = (complaints.first(), complaints.last()) else {
        return Ok(Vec::new());
    };
    let calendar = calendar_for(store, unit, &stages, first.received_at, last.received_at).await?;
    Ok(tally(&calendar, &stages, &complaints, as_of))
}

/// The running stage clock (stage key and due moment) of each of `complaints`
/// (channel, status, receipt), as the inbox shows it; None for a complaint whose
/// channel has no stages or whose stages are over.
pub async fn running_clocks(
    store: &dyn Store,
    unit: &Unit,
    complaints: &[(&str, &str, DateTime<Utc>)],
) -> Result<Vec<Option<(&'static str, DateTime<Utc>)>>, StoreError> {
    let stages = store.channel_stages(unit.id).await?;
    let timed: Vec<DateTime<Utc>> = complaints
        .iter()
        .filter(|(channel, status, _)| {
            running_stage(status).is_some()
                && stages
                    .iter()
                    .any(|s| s.channel == *channel && is_agency_stage(&s.stage))
        })
        .map(|c| c.2)
        .collect();
    let (Some(first), Some(last)) = (timed.iter().min(), timed.iter().max()) else {
        return Ok(vec![None; complaints.len()]);
    };
    let calendar = calendar_for(store, unit, &stages, *first, *last).await?;
    Ok(complaints
        .iter()
        .map(|&(channel, status, received_at)| {
            let running = running_stage(status)?;
            let c = StageComplaint {
                complaint_id: 0,
                nomor_agenda: String::new(),
                channel: channel.to_owned(),
                status: status.to_owned(),
                received_at,
                verified_at: None,
                first_answered_at: None,
                answered_at: None,
                closed_at: None,
            };
            clocks(&calendar, &stages, &c)
                .into_iter()
                .find(|k| k.stage == running)
                .map(|k| (running, k.due_at))
        })
        .collect())
}

/// Where one stage of one complaint stands, as its page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ClockState {
    /// The clock has not started (the auto-close before any answer).
    NotStarted,
    /// Running, the due day not over yet.
    Open,
    /// Still running after its due day.
    Overdue,
    /// Done by the due day.
    Met,
    /// Done after the due day.
    Late,
    /// The auto-close window is over: closed, or reopened by a reply.
    Ended,
    /// The status says it is done but no date says when (imported reports).
    UnknownDate,
}

impl ClockState {
    /// Locale key suffix (`triage.clocks.state.{key}`) and CSS class.
    pub fn key(self) -> &'static str {
        match self {
            ClockState::NotStarted => "not_started",
            ClockState::Open => "open",
            ClockState::Overdue => "overdue",
            ClockState::Met => "met",
            ClockState::Late => "late",
            ClockState::Ended => "ended",
            ClockState::UnknownDate => "unknown_date",
        }
    }
}

/// One stage clock of one complaint with its judgement, for the complaint page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplaintClock {
    /// Stage key.
    pub stage: String,
    /// Its limit in working days.
    pub working_days: i64,
    /// Where the limit comes from.
    pub regulation: String,
    /// End of the limit (None while the clock has not started).
    pub due_at: Option<DateTime<Utc>>,
    /// When the stage ended, when known.
    pub done_at: Option<DateTime<Utc>>,
    /// Met, late, open...
    pub state: ClockState,
}

/// Every stage clock of one complaint judged at `now`: the agency's stages of its
/// channel (judged like the monthly report's table 8) and the auto-close after the
/// last answer (overdue once the auto-close job should have closed it).
pub fn judge(
    calendar: &UnitCalendar,
    stages: &[ChannelStage],
    c: &StageComplaint,
    now: DateTime<Utc>,
) -> Vec<ComplaintClock> {
    if c.status == ComplaintStatus::Diarsipkan.key() {
        return Vec::new();
    }
    let today = calendar.local_date(now);
    let mut out: Vec<ComplaintClock> = clocks(calendar, stages, c)
        .into_iter()
        .map(|k| {
            let due = calendar.local_date(k.due_at);
            let state = match k.done_at.map(|d| calendar.local_date(d)) {
                _ if k.done_unknown => ClockState::UnknownDate,
                Some(done) if done <= due => ClockState::Met,
                Some(_) => ClockState::Late,
                None if today > due => ClockState::Overdue,
                None => ClockState::Open,
            };
            ComplaintClock {
                stage: k.stage,
                working_days: k.working_days,
                regulation: k.regulation,
                due_at: Some(k.due_at),
                done_at: k.done_at,
                state,
            }
        })
        .collect();
    let limit = auto_close_limit(stages, &c.channel, calendar.local_date(c.received_at));
    let days = limit.working_days.max(0);
    let waiting = c.status == ComplaintStatus::Dijawab.key();
    let (due_at, done_at, state) = match c.answered_at {
        None => (None, None, ClockState::NotStarted),
        Some(a) => {
            let due = calendar.due_at(a, u32::try_from(days).unwrap_or(u32::MAX));
            match waiting {
                true if calendar.working_days_between(a, now) > days => (Some(due), None, ClockState::Overdue),
                true => (Some(due), None, ClockState::Open),
                false => (Some(due), c.closed_at, ClockState::Ended),
            }
        }
    };
    out.push(ComplaintClock {
        stage: limit.stage,
        working_days: limit.working_days,
        regulation: limit.regulation,
        due_at,
        done_at,
        state,
    });
    out
}

/// The stage clocks of one complaint of the unit at `now` (empty when it is not
/// the unit's), on the unit's calendar: what the staff complaint page shows.
pub async fn complaint_clocks(
    store: &dyn Store,
    unit: &Unit,
    complaint_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ComplaintClock>, StoreError> {
    let Some(c) = store.stage_complaint(unit.id, complaint_id).await? else {
        return Ok(Vec::new());
    };
    let stages = store.channel_stages(unit.id).await?;
    let zone = zone_of(&unit.time_zone);
    let from = c.received_at.with_timezone(&zone).date_naive();
    let last = c.answered_at.map_or(now, |a| a.max(now));
    let reach: i64 = stages
        .iter()
        .filter(|s| s.channel == c.channel)
        .map(|s| s.working_days.max(0))
        .sum();
    let span = (last - c.received_at).num_days().clamp(0, 20_000) + reach * 7 / 5 + 40;
    let calendar = UnitCalendar::load(store, unit.id, zone, from, u64::try_from(span).unwrap_or(400)).await?;
    Ok(judge(&calendar, &stages, &c, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn stage(stage: &str, position: i64, days: i64, regulation: &str, valid_from: NaiveDate) -> ChannelStage {
        ChannelStage {
            channel: "span_lapor".into(),
            stage: stage.into(),
            position,
            working_days: days,
            regulation: regulation.into(),
            valid_from,
        }
    }

    fn defaults() -> Vec<ChannelStage> {
        vec![
            stage(VERIFIKASI, 1, 3, "62/2018", d(2018, 1, 1)),
            stage(TINDAK_LANJUT, 2, 5, "62/2018", d(2018, 1, 1)),
        ]
    }

    fn complaint(status: &str, received_at: DateTime<Utc>) -> StageComplaint {
        StageComplaint {
            complaint_id: 1,
            nomor_agenda: "ADU/2026/000001".into(),
            channel: "span_lapor".into(),
            status: status.into(),
            received_at,
            verified_at: None,
            first_answered_at: None,
            answered_at: None,
            closed_at: None,
        }
    }

    #[test]
    fn stages_run_one_after_the_other_in_working_days() {
        let cal = UnitCalendar::new(chrono_tz::Asia::Jakarta, &[]);
        // Monday 2 November 2026, 09:00 WIB.
        let received = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        let k = clocks(&cal, &defaults(), &complaint("diterima", received));
        let due: Vec<NaiveDate> = k.iter().map(|k| cal.local_date(k.due_at)).collect();
        assert_eq!(due, vec![d(2026, 11, 5), d(2026, 11, 12)]);
        assert_eq!(k[0].regulation, "62/2018");
        // Another channel has no stages.
        let email = StageComplaint {
            channel: "email".into(),
            ..complaint("diterima", received)
        };
        assert!(clocks(&cal, &defaults(), &email).is_empty());
    }

    #[test]
    fn a_later_regulation_applies_from_its_day() {
        let mut stages = defaults();
        stages.push(stage(TINDAK_LANJUT, 2, 7, "5/2025", d(2026, 1, 1)));
        let old = applicable(&stages, "span_lapor", d(2025, 12, 31));
        let new = applicable(&stages, "span_lapor", d(2026, 1, 1));
        assert_eq!(old.iter().map(|s| s.working_days).collect::<Vec<_>>(), vec![3, 5]);
        assert_eq!(new.iter().map(|s| s.working_days).collect::<Vec<_>>(), vec![3, 7]);
        assert_eq!(new[1].regulation, "5/2025");
    }

    #[test]
    fn tally_judges_each_stage_and_keeps_unknown_dates_apart() {
        let cal = UnitCalendar::new(chrono_tz::Asia::Jakarta, &[]);
        let received = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        let at = |day: u32| Utc.with_ymd_and_hms(2026, 11, day, 3, 0, 0).unwrap();
        let on_time = StageComplaint {
            verified_at: Some(at(4)),
            first_answered_at: Some(at(12)),
            ..complaint("dijawab", received)
        };
        let late = StageComplaint {
            verified_at: Some(at(6)),
            ..complaint("didisposisikan", received)
        };
        // Imported already answered on LAPOR!: no dates.
        let imported = complaint("selesai", received);
        let spam = complaint("diarsipkan", received);
        let waiting = complaint("diterima", received);
        let t = tally(
            &cal,
            &defaults(),
            &[on_time, late, imported, spam, waiting],
            d(2026, 11, 13),
        );
        assert_eq!(t.len(), 2);
        let (v, f) = (&t[0], &t[1]);
        assert_eq!((v.stage.as_str(), v.complaints), (VERIFIKASI, 4));
        assert_eq!(
            (v.met, v.missed, v.open_overdue, v.pending, v.unknown_date),
            (1, 1, 1, 0, 1)
        );
        assert_eq!((f.stage.as_str(), f.complaints), (TINDAK_LANJUT, 4));
        assert_eq!(
            (f.met, f.missed, f.open_overdue, f.pending, f.unknown_date),
            (1, 0, 2, 0, 1)
        );
        // On the due day itself nothing is overdue yet.
        let t = tally(&cal, &defaults(), &[complaint("diterima", received)], d(2026, 11, 5));
        assert_eq!((t[0].open_overdue, t[0].pending), (0, 1));
    }

    #[test]
    fn the_auto_close_clock_starts_at_the_answer_and_follows_the_units_limit() {
        let cal = UnitCalendar::new(chrono_tz::Asia::Jakarta, &[]);
        let received = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        // Answered Wednesday 4 November, 10:00 WIB.
        let answered = Utc.with_ymd_and_hms(2026, 11, 4, 3, 0, 0).unwrap();
        let mut stages = defaults();
        stages.push(stage(TUTUP_OTOMATIS, 3, 3, "uji", d(2018, 1, 1)));
        let waiting = StageComplaint {
            channel: "span_lapor".into(),
            verified_at: Some(answered),
            first_answered_at: Some(answered),
            answered_at: Some(answered),
            ..complaint("dijawab", received)
        };
        // Due Monday 9 November; still open then, overdue on Tuesday 10.
        let at = |day: u32| Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).unwrap();
        let k = judge(&cal, &stages, &waiting, at(9));
        assert_eq!(
            k.iter().map(|k| (k.stage.as_str(), k.state)).collect::<Vec<_>>(),
            vec![
                (VERIFIKASI, ClockState::Met),
                (TINDAK_LANJUT, ClockState::Met),
                (TUTUP_OTOMATIS, ClockState::Open)
            ]
        );
        assert_eq!(cal.local_date(k[2].due_at.unwrap()), d(2026, 11, 9));
        assert_eq!(judge(&cal, &stages, &waiting, at(10))[2].state, ClockState::Overdue);
        // Another channel without a row of its own falls back to 10 working days,
        // and has no agency stages; before an answer the clock has not started.
        let email = StageComplaint {
            channel: "email".into(),
            answered_at: None,
            ..waiting.clone()
        };
        let k = judge(&cal, &stages, &email, at(10));
        assert_eq!(k.len(), 1);
        assert_eq!(
            (k[0].working_days, k[0].state, k[0].due_at),
            (10, ClockState::NotStarted, None)
        );
        // Closed: over.
        let closed = StageComplaint {
            status: "selesai".into(),
            closed_at: Some(at(10)),
            ..waiting
        };
        assert_eq!(judge(&cal, &stages, &closed, at(20))[2].state, ClockState::Ended);
        // The agency's chain never includes the auto-close.
        assert_eq!(clocks(&cal, &stages, &closed).len(), 2);
    }

    #[test]
    fn the_running_stage_follows_the_status() {
        assert_eq!(running_stage("diterima"), Some(VERIFIKASI));
        assert_eq!(running_stage("didisposisikan"), Some(TINDAK_LANJUT));
        assert_eq!(running_stage("dijawab"), None);
        assert_eq!(running_stage("diarsipkan"), None);
    }
}
