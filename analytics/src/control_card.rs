//! Time spent in each control-card step (kartu kendali): each event of a complaint
//! lasts until its next event, so a delay can be traced to the step and the holder
//! where it happened. Per complaint ([`control_card`]) and over many
//! ([`step_durations`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::complaints::DurationStats;
use crate::error::Result;
use crate::frame::{EventFrame, datetime_millis, i64_values, str_values};
use crate::numeric::round_half_away;

/// Time spent in one control-card state over many complaints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepStats {
    /// State name.
    pub state: String,
    /// Stays in this state that have ended (a later event followed).
    pub completed: u64,
    /// Complaints whose latest event is this state (still there, or a final state).
    pub current: u64,
    /// Hours (calendar) of the ended stays.
    pub hours: DurationStats,
    /// Total hours of the ended stays, 2 decimals.
    pub total_hours: f64,
}

/// One step of one complaint's control card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// State entered.
    pub state: String,
    /// When.
    pub entered_at: DateTime<Utc>,
    /// When the next event came, if one did.
    pub left_at: Option<DateTime<Utc>>,
    /// Hours in the state, 2 decimals, if it ended.
    pub hours: Option<f64>,
}

struct Events<'a> {
    id: Vec<i64>,
    state: Vec<Option<&'a str>>,
    at: Vec<i64>,
    /// Row order sorted by (complaint, time, original order).
    order: Vec<usize>,
}

impl<'a> Events<'a> {
    fn load(f: &'a EventFrame) -> Result<Self> {
        let df = &f.df;
        let id: Vec<i64> = i64_values(df, "complaint_id")?
            .into_iter()
            .map(|v| v.unwrap_or_default())
            .collect();
        let at = datetime_millis(df, "at")?;
        let mut order: Vec<usize> = (0..id.len()).collect();
        order.sort_by_key(|&i| (id[i], at[i], i));
        Ok(Events {
            id,
            state: str_values(df, "state")?,
            at,
            order,
        })
    }
}

fn millis_to_utc(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The control card of one complaint: each state it entered, when, and how long it
/// stayed there (until the next event), oldest first.
pub fn control_card(events: &EventFrame, complaint_id: i64) -> Result<Vec<Step>> {
    let ev = Events::load(events)?;
    let rows: Vec<usize> = ev.order.iter().copied().filter(|&i| ev.id[i] == complaint_id).collect();
    Ok(rows
        .iter()
        .enumerate()
        .map(|(p, &i)| {
            let next = rows.get(p + 1).map(|&j| ev.at[j]);
            Step {
                state: ev.state[i].unwrap_or_default().to_string(),
                entered_at: millis_to_utc(ev.at[i]),
                left_at: next.map(millis_to_utc),
                hours: next.map(|n| round_half_away((n - ev.at[i]) as f64 / 3.6e6, 2)),
            }
        })
        .collect())
}

/// Time spent in each control-card state, over all complaints in `events`: the
/// duration of an event is the time until the complaint's next event. States are
/// listed in the order they are first reached. So a delay can be traced to the step
/// where it happened.
pub fn step_durations(events: &EventFrame) -> Result<Vec<StepStats>> {
    let ev = Events::load(events)?;
    let mut states: Vec<&str> = Vec::new();
    let mut per: HashMap<&str, (Vec<f64>, u64)> = HashMap::new();
    let o = &ev.order;
    for p in 0..o.len() {
        let i = o[p];
        let state = ev.state[i].unwrap_or_default();
        if !per.contains_key(state) {
            states.push(state);
        }
        let entry = per.entry(state).or_default();
        match o.get(p + 1) {
            Some(&j) if ev.id[j] == ev.id[i] => {
                entry.0.push((ev.at[j] - ev.at[i]) as f64 / 3.6e6);
            }
            _ => entry.1 += 1,
        }
    }
    Ok(states
        .into_iter()
        .map(|s| {
            let (hours, current) = per.remove(s).unwrap_or_default();
            let total = hours.iter().sum::<f64>();
            StepStats {
                state: s.to_string(),
                completed: hours.len() as u64,
                current,
                total_hours: round_half_away(total, 2),
                hours: DurationStats::from_values(hours),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::frame::EventColumns;

    fn events() -> EventFrame {
        let t = |day: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, day, h, 0, 0).unwrap();
        let mut e = EventColumns::default();
        for (id, state, at) in [
            (1, "diterima", t(2, 8)),
            (1, "terverifikasi", t(2, 12)),
            (1, "selesai", t(3, 12)),
            (2, "terverifikasi", t(4, 10)),
            (2, "diterima", t(4, 8)),
        ] {
            e.complaint_id.push(id);
            e.state.push(state.into());
            e.at.push(at);
        }
        e.into_frame().unwrap()
    }

    #[test]
    fn time_in_each_step() {
        let s = step_durations(&events()).unwrap();
        let names: Vec<&str> = s.iter().map(|x| x.state.as_str()).collect();
        assert_eq!(names, ["diterima", "terverifikasi", "selesai"]);
        assert_eq!(s[0].completed, 2);
        assert_eq!(s[0].hours.median, Some(3.0));
        assert_eq!(s[0].total_hours, 6.0);
        assert_eq!((s[1].completed, s[1].current), (1, 1));
        assert_eq!(s[1].hours.max, Some(24.0));
        assert_eq!(s[2].current, 1);

        let card = control_card(&events(), 1).unwrap();
        assert_eq!(card.len(), 3);
        assert_eq!(card[0].hours, Some(4.0));
        assert_eq!(card[2].left_at, None);
    }
}
