//! Complaint statistics for the monthly report and the dashboard: counts by every
//! classification, flow per period (opened, closed, backlog), SLA compliance per
//! bobot, time to first answer and to close in working days, time spent in each
//! control-card step, and complaints per SKM element beside that element's NRR.
//!
//! Complaint volumes are small next to survey volumes, so these are plain passes
//! over the frame's columns.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{DateRange, Period, WorkingCalendar, from_epoch_days, to_epoch_days};
use crate::error::Result;
use crate::frame::{ComplaintFrame, EventFrame, SurveyFrame, date_values, datetime_millis, i64_values, str_values};
use crate::ikm::{Dimension, Filter, IkmQuery, IkmReport, ikm};
use crate::numeric::{percentile_sorted, round_half_away};
use crate::rules::{Mutu, RuleSet};

/// Working-day targets for one bobot (severity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTarget {
    /// `ringan`, `sedang` or `berat` (as stored in the complaint's `bobot`).
    pub bobot: String,
    /// Working days to the first answer, where the standard sets one.
    pub first_answer_days: Option<u32>,
    /// Working days to resolution.
    pub resolve_days: u32,
}

impl SlaTarget {
    /// The defaults of PENGADUAN.md: ringan first answer 1 / resolved 5, sedang 14,
    /// berat 60 working days. Units may change them, so they are data.
    pub fn defaults() -> Vec<SlaTarget> {
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
}

/// Which complaints to count and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintQuery {
    /// Complaints received in this range are counted; the flow table covers it.
    pub range: DateRange,
    /// Period length of the flow table.
    pub period: Period,
    /// Only these units (empty = all).
    pub units: Vec<String>,
    /// Holidays and collective leave days for working-day counts.
    pub holidays: Vec<NaiveDate>,
    /// Targets per bobot; a complaint's own `due_at`, when set, wins over them.
    pub sla: Vec<SlaTarget>,
    /// "Today" in the unit's calendar: open complaints are judged against it.
    pub as_of: NaiveDate,
}

impl ComplaintQuery {
    /// A monthly query over everything up to `as_of`, with the default targets and no
    /// holidays.
    pub fn new(as_of: NaiveDate) -> Self {
        ComplaintQuery {
            range: DateRange::default(),
            period: Period::Month,
            units: Vec::new(),
            holidays: Vec::new(),
            sla: SlaTarget::defaults(),
            as_of,
        }
    }
}

/// A count for one value of a classification (`None` = not classified yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// The value.
    pub value: Option<String>,
    /// Complaints with it.
    pub count: u64,
}

/// Opened, closed and backlog of one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodFlow {
    /// Period label (`2026-03`, `2026-Q1`, ...).
    pub period: String,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Received in the period.
    pub opened: u64,
    /// Closed in the period (whenever received).
    pub closed: u64,
    /// Open at the end of the period (received by then, not closed by then).
    pub backlog: u64,
}

/// Outcome of one SLA clock over a set of complaints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaCounts {
    /// Target in working days (None when only per-complaint due dates applied).
    pub target_days: Option<u32>,
    /// Done on or before the due date.
    pub met: u64,
    /// Done after the due date.
    pub missed: u64,
    /// Not done and past the due date at `as_of`.
    pub open_overdue: u64,
    /// Not done, still within the due date.
    pub pending: u64,
    /// No target could be set (no bobot and no due date).
    pub no_target: u64,
    /// met / (met + missed + open_overdue) in percent, 2 decimals.
    pub compliance_pct: Option<f64>,
}

/// SLA results of one bobot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaRow {
    /// The bobot (`None` = not classified yet).
    pub bobot: Option<String>,
    /// Complaints with it.
    pub complaints: u64,
    /// First-answer clock, where a target exists.
    pub first_answer: Option<SlaCounts>,
    /// Resolution clock.
    pub resolve: SlaCounts,
}

/// Distribution of durations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationStats {
    /// Durations counted.
    pub count: u64,
    /// Median (spreadsheet MEDIAN), 2 decimals.
    pub median: Option<f64>,
    /// 90th percentile (spreadsheet PERCENTILE.INC), 2 decimals.
    pub p90: Option<f64>,
    /// Mean, 2 decimals.
    pub mean: Option<f64>,
    /// Longest.
    pub max: Option<f64>,
}

impl DurationStats {
    fn from_values(mut v: Vec<f64>) -> Self {
        v.sort_by(f64::total_cmp);
        let r = |x: Option<f64>| x.map(|x| round_half_away(x, 2));
        DurationStats {
            count: v.len() as u64,
            median: r(percentile_sorted(&v, 0.5)),
            p90: r(percentile_sorted(&v, 0.9)),
            mean: r((!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)),
            max: r(v.last().copied()),
        }
    }
}

/// The complaint statistics of a [`ComplaintQuery`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintStats {
    /// Complaints received in the range.
    pub total: u64,
    /// Of which closed (by `as_of`).
    pub closed: u64,
    /// By channel.
    pub by_channel: Vec<Count>,
    /// By bobot.
    pub by_bobot: Vec<Count>,
    /// By jenis.
    pub by_jenis: Vec<Count>,
    /// By klasifikasi.
    pub by_klasifikasi: Vec<Count>,
    /// By service.
    pub by_service: Vec<Count>,
    /// By division.
    pub by_division: Vec<Count>,
    /// By status.
    pub by_status: Vec<Count>,
    /// Opened, closed and backlog per period.
    pub flow: Vec<PeriodFlow>,
    /// SLA compliance per bobot (ringan, sedang, berat, then others, unclassified last).
    pub sla: Vec<SlaRow>,
    /// Working days from receipt to first answer (a closed complaint without a
    /// recorded first answer counts its closing as the answer).
    pub first_answer_days: DurationStats,
    /// Working days from receipt to closing.
    pub close_days: DurationStats,
}

struct Rows<'a> {
    unit: Vec<Option<&'a str>>,
    service: Vec<Option<&'a str>>,
    division: Vec<Option<&'a str>>,
    channel: Vec<Option<&'a str>>,
    bobot: Vec<Option<&'a str>>,
    jenis: Vec<Option<&'a str>>,
    klasifikasi: Vec<Option<&'a str>>,
    status: Vec<Option<&'a str>>,
    received: Vec<i32>,
    first_answer: Vec<Option<i32>>,
    closed: Vec<Option<i32>>,
    due: Vec<Option<i32>>,
}

impl<'a> Rows<'a> {
    fn load(f: &'a ComplaintFrame) -> Result<Self> {
        let df = &f.df;
        Ok(Rows {
            unit: str_values(df, "unit")?,
            service: str_values(df, "service")?,
            division: str_values(df, "division")?,
            channel: str_values(df, "channel")?,
            bobot: str_values(df, "bobot")?,
            jenis: str_values(df, "jenis")?,
            klasifikasi: str_values(df, "klasifikasi")?,
            status: str_values(df, "status")?,
            received: date_values(df, "received_at")?
                .into_iter()
                .map(|d| d.unwrap_or_default())
                .collect(),
            first_answer: date_values(df, "first_answer_at")?,
            closed: date_values(df, "closed_at")?,
            due: date_values(df, "due_at")?,
        })
    }
}

fn counts<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<Count> {
    // Counted on borrowed values; only the distinct values are copied. A
    // classification has a handful of values, so a short list searched from the last
    // hit is cheaper than hashing every row.
    let mut m: Vec<(Option<&str>, u64)> = Vec::new();
    let mut last = 0;
    for v in values {
        if m.get(last).is_some_and(|(k, _)| *k == v) {
            m[last].1 += 1;
        } else if let Some(pos) = m.iter().position(|(k, _)| *k == v) {
            m[pos].1 += 1;
            last = pos;
        } else {
            m.push((v, 1));
            last = m.len() - 1;
        }
    }
    let mut out: Vec<Count> = m
        .into_iter()
        .map(|(value, count)| Count {
            value: value.map(str::to_string),
            count,
        })
        .collect();
    // most frequent first, unclassified last among equals
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.value.is_none().cmp(&b.value.is_none()))
            .then(a.value.cmp(&b.value))
    });
    out
}

/// Complaints of one bobot and their two clocks.
#[derive(Default)]
struct BobotTally {
    complaints: u64,
    first_answer: Clock,
    resolve: Clock,
}

#[derive(Default)]
struct Clock {
    met: u64,
    missed: u64,
    open_overdue: u64,
    pending: u64,
    no_target: u64,
}

impl Clock {
    fn add(&mut self, due: Option<i32>, done: Option<i32>, as_of: i32) {
        match (due, done) {
            (None, _) => self.no_target += 1,
            (Some(due), Some(done)) if done <= due => self.met += 1,
            (Some(_), Some(_)) => self.missed += 1,
            (Some(due), None) if as_of > due => self.open_overdue += 1,
            (Some(_), None) => self.pending += 1,
        }
    }

    fn finish(self, target_days: Option<u32>) -> SlaCounts {
        let judged = self.met + self.missed + self.open_overdue;
        SlaCounts {
            target_days,
            met: self.met,
            missed: self.missed,
            open_overdue: self.open_overdue,
            pending: self.pending,
            no_target: self.no_target,
            compliance_pct: (judged > 0).then(|| round_half_away(100.0 * self.met as f64 / judged as f64, 2)),
        }
    }
}

/// Computes [`ComplaintStats`] for `query` over `frame`.
pub fn complaint_stats(frame: &ComplaintFrame, query: &ComplaintQuery) -> Result<ComplaintStats> {
    let rows = Rows::load(frame)?;
    Ok(stats_of(&rows, query, &unit_rows(&rows, &query.units)))
}

/// Computes [`ComplaintStats`] for each of `queries` over `frame`, in order. The
/// frame's columns are read once and the unit filter is applied once per distinct
/// unit list, so a report that needs a month and the eleven before it (the monthly
/// report's trend) costs one pass over the columns, not twelve.
pub fn complaint_stats_many(frame: &ComplaintFrame, queries: &[ComplaintQuery]) -> Result<Vec<ComplaintStats>> {
    let rows = Rows::load(frame)?;
    let mut scopes: Vec<(&[String], Vec<usize>)> = Vec::new();
    let mut out = Vec::with_capacity(queries.len());
    for query in queries {
        let pos = match scopes.iter().position(|(units, _)| *units == query.units.as_slice()) {
            Some(pos) => pos,
            None => {
                scopes.push((query.units.as_slice(), unit_rows(&rows, &query.units)));
                scopes.len() - 1
            }
        };
        out.push(stats_of(&rows, query, &scopes[pos].1));
    }
    Ok(out)
}

/// Row numbers of the complaints of `units` (all rows when `units` is empty).
fn unit_rows(rows: &Rows<'_>, units: &[String]) -> Vec<usize> {
    (0..rows.received.len())
        .filter(|&i| units.is_empty() || rows.unit[i].is_some_and(|u| units.iter().any(|x| x == u)))
        .collect()
}

/// [`ComplaintStats`] of `query` over the loaded `rows`; `all` holds the rows of the
/// query's units.
fn stats_of(rows: &Rows<'_>, query: &ComplaintQuery, all: &[usize]) -> ComplaintStats {
    let cal = WorkingCalendar::new(query.holidays.iter().copied());
    let as_of = to_epoch_days(query.as_of);
    let (lo, hi) = query.range.epoch_bounds();
    let closed_by = |i: usize, day: i32| rows.closed[i].filter(|c| *c <= day);
    let in_scope: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| rows.received[i] >= lo && rows.received[i] <= hi)
        .collect();
    let owned = |v: &Vec<Option<&str>>| -> Vec<Count> { counts(in_scope.iter().map(|&i| v[i])) };

    // flow table
    let first = query
        .range
        .from
        .or_else(|| in_scope.iter().map(|&i| from_epoch_days(rows.received[i])).min());
    let last = query.range.to.unwrap_or(query.as_of);
    let mut flow = Vec::new();
    if let Some(first) = first {
        let p = query.period;
        for idx in p.index_of(first)..=p.index_of(last.max(first)) {
            let (from, to) = (p.start(idx), p.end(idx));
            let (a, b) = (to_epoch_days(from), to_epoch_days(to));
            let opened = all
                .iter()
                .filter(|&&i| rows.received[i] >= a && rows.received[i] <= b)
                .count() as u64;
            let closed = all
                .iter()
                .filter(|&&i| rows.closed[i].is_some_and(|c| c >= a && c <= b))
                .count() as u64;
            let backlog = all
                .iter()
                .filter(|&&i| rows.received[i] <= b && closed_by(i, b).is_none())
                .count() as u64;
            flow.push(PeriodFlow {
                period: p.label(idx),
                from,
                to,
                opened,
                closed,
                backlog,
            });
        }
    }

    // SLA per bobot
    let targets: HashMap<&str, &SlaTarget> = query.sla.iter().map(|t| (t.bobot.as_str(), t)).collect();
    let mut per_bobot: BTreeMap<Option<&str>, BobotTally> = BTreeMap::new();
    for &i in &in_scope {
        let target = rows.bobot[i].and_then(|b| targets.get(b).copied());
        let entry = per_bobot.entry(rows.bobot[i]).or_default();
        entry.complaints += 1;
        let due = rows.due[i].or_else(|| target.map(|t| cal.add_working_days_epoch(rows.received[i], t.resolve_days)));
        entry.resolve.add(due, closed_by(i, as_of), as_of);
        if let Some(fa_days) = target.and_then(|t| t.first_answer_days) {
            let due_fa = cal.add_working_days_epoch(rows.received[i], fa_days);
            let answered = rows.first_answer[i].or(rows.closed[i]).filter(|d| *d <= as_of);
            entry.first_answer.add(Some(due_fa), answered, as_of);
        }
    }
    let order = |b: &Option<&str>| -> (usize, String) {
        match b {
            Some(b) => (
                query.sla.iter().position(|t| t.bobot == *b).unwrap_or(query.sla.len()),
                b.to_string(),
            ),
            None => (usize::MAX, String::new()),
        }
    };
    let mut sla: Vec<(Option<&str>, BobotTally)> = per_bobot.into_iter().collect();
    sla.sort_by_key(|(b, _)| order(b));
    let sla = sla
        .into_iter()
        .map(|(b, tally)| {
            let target = b.and_then(|b| targets.get(b).copied());
            SlaRow {
                bobot: b.map(str::to_string),
                complaints: tally.complaints,
                first_answer: target
                    .and_then(|t| t.first_answer_days)
                    .map(|d| tally.first_answer.finish(Some(d))),
                resolve: tally.resolve.finish(target.map(|t| t.resolve_days)),
            }
        })
        .collect();

    // durations in working days
    let days = |end: Option<i32>, i: usize| {
        end.filter(|d| *d <= as_of)
            .map(|d| cal.between_epoch(rows.received[i], d).max(0) as f64)
    };
    let first_answer_days = DurationStats::from_values(
        in_scope
            .iter()
            .filter_map(|&i| days(rows.first_answer[i].or(rows.closed[i]), i))
            .collect(),
    );
    let close_days = DurationStats::from_values(in_scope.iter().filter_map(|&i| days(rows.closed[i], i)).collect());

    ComplaintStats {
        total: in_scope.len() as u64,
        closed: in_scope.iter().filter(|&&i| closed_by(i, as_of).is_some()).count() as u64,
        by_channel: owned(&rows.channel),
        by_bobot: owned(&rows.bobot),
        by_jenis: owned(&rows.jenis),
        by_klasifikasi: owned(&rows.klasifikasi),
        by_service: owned(&rows.service),
        by_division: owned(&rows.division),
        by_status: owned(&rows.status),
        flow,
        sla,
        first_answer_days,
        close_days,
    }
}

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

/// Complaints about one SKM element beside that element's NRR, for one service or,
/// with `service: None`, for all services together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementComplaints {
    /// Service, or `None` for the total row.
    pub service: Option<String>,
    /// Element key.
    pub element: String,
    /// Element code (U1..).
    pub code: String,
    /// Element name.
    pub name: String,
    /// Complaints whose `jenis` is this element.
    pub complaints: u64,
    /// Respondents who scored the element.
    pub answered: u64,
    /// The element's NRR (2 decimals), if anybody scored it.
    pub nrr: Option<f64>,
    /// Its grade.
    pub mutu: Option<Mutu>,
}

/// Respondents, NRR and grade of one element in one service.
type ElementNrr = (u64, Option<f64>, Option<Mutu>);

/// Puts complaints tagged with an SKM element (their `jenis` equals an element key,
/// ignoring case and surrounding spaces) beside that element's NRR, per service and
/// in total, over the same date range and units. So a unit sees whether what people
/// complain about is also what they score low.
pub fn complaints_by_element(
    complaints: &ComplaintFrame,
    survey: &SurveyFrame,
    rules: &RuleSet,
    range: DateRange,
    units: &[String],
) -> Result<Vec<ElementComplaints>> {
    rules.validate()?;
    let counted = count_by_element(complaints, rules, range, units)?;
    let [by_service, overall] = element_queries(rules, range, units).map(|q| ikm(survey, &q));
    element_table(counted, rules, &[by_service?, overall?])
}

/// The two IKM questions [`complaints_by_element`] asks of the survey: per service
/// and over all, over `range` and `units`, so a caller that answers them another
/// way (from stored cells) can hand the reports to [`complaints_by_element_with`].
pub fn element_queries(rules: &RuleSet, range: DateRange, units: &[String]) -> [IkmQuery; 2] {
    let filters = if units.is_empty() {
        Vec::new()
    } else {
        vec![Filter {
            dimension: Dimension::Unit,
            values: units.to_vec(),
        }]
    };
    [vec![Dimension::Service], vec![]].map(|group_by| IkmQuery {
        rule_set: rules.clone(),
        group_by,
        range,
        filters: filters.clone(),
        ..IkmQuery::default()
    })
}

/// [`complaints_by_element`] with the survey side given as the reports of
/// [`element_queries`], in that order.
pub fn complaints_by_element_with(
    complaints: &ComplaintFrame,
    reports: &[IkmReport],
    rules: &RuleSet,
    range: DateRange,
    units: &[String],
) -> Result<Vec<ElementComplaints>> {
    rules.validate()?;
    element_table(count_by_element(complaints, rules, range, units)?, rules, reports)
}

/// Complaints per (service or all, element index).
fn count_by_element(
    complaints: &ComplaintFrame,
    rules: &RuleSet,
    range: DateRange,
    units: &[String],
) -> Result<BTreeMap<(Option<String>, usize), u64>> {
    let rows = Rows::load(complaints)?;
    let (lo, hi) = range.epoch_bounds();
    let keys: HashMap<&str, usize> = rules
        .elements
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.as_str(), i))
        .collect();
    let mut counted: BTreeMap<(Option<String>, usize), u64> = BTreeMap::new();
    for i in 0..rows.received.len() {
        if rows.received[i] < lo || rows.received[i] > hi {
            continue;
        }
        if !units.is_empty() && !rows.unit[i].is_some_and(|u| units.iter().any(|x| x == u)) {
            continue;
        }
        let Some(e) = rows.jenis[i]
            .map(|j| j.trim().to_lowercase())
            .and_then(|j| keys.get(j.as_str()).copied())
        else {
            continue;
        };
        if let Some(s) = rows.service[i] {
            *counted.entry((Some(s.to_string()), e)).or_default() += 1;
        }
        *counted.entry((None, e)).or_default() += 1;
    }
    Ok(counted)
}

/// The table of complaints beside NRR from the counts and the survey reports.
fn element_table(
    counted: BTreeMap<(Option<String>, usize), u64>,
    rules: &RuleSet,
    reports: &[IkmReport],
) -> Result<Vec<ElementComplaints>> {
    let mut nrr: BTreeMap<(Option<String>, usize), ElementNrr> = BTreeMap::new();
    for report in reports {
        for g in &report.groups {
            let service = g.key.first().and_then(|k| k.value.clone());
            for (e, el) in g.elements.iter().enumerate() {
                nrr.insert(
                    (service.clone(), e),
                    (
                        el.answered,
                        el.score.as_ref().map(|s| s.nrr),
                        el.score.as_ref().map(|s| s.mutu),
                    ),
                );
            }
        }
    }

    let mut services: Vec<Option<String>> = counted.keys().chain(nrr.keys()).map(|(s, _)| s.clone()).collect();
    services.sort_by(|a, b| a.is_none().cmp(&b.is_none()).then(a.cmp(b)));
    services.dedup();
    if services.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for s in services {
        for (e, el) in rules.elements.iter().enumerate() {
            let key = (s.clone(), e);
            let (answered, n, m) = nrr.get(&key).cloned().unwrap_or((0, None, None));
            out.push(ElementComplaints {
                service: s.clone(),
                element: el.key.clone(),
                code: el.code.clone(),
                name: el.name.clone(),
                complaints: counted.get(&key).copied().unwrap_or(0),
                answered,
                nrr: n,
                mutu: m,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::frame::{ComplaintColumns, EventColumns, SurveyColumns, SurveyRow};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    /// (service, bobot, jenis, received, first answer, closed)
    type Fixture = (
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        NaiveDate,
        Option<NaiveDate>,
        Option<NaiveDate>,
    );

    fn complaints() -> ComplaintFrame {
        let mut c = ComplaintColumns::default();
        // (service, bobot, jenis, received, first answer, closed)
        let rows: [Fixture; 4] = [
            (
                Some("KIS"),
                Some("ringan"),
                Some("waktu"),
                d(3, 2),
                Some(d(3, 3)),
                Some(d(3, 6)),
            ),
            (
                Some("KIS"),
                Some("ringan"),
                Some("Waktu "),
                d(3, 2),
                Some(d(3, 5)),
                Some(d(3, 20)),
            ),
            (Some("PKH"), Some("sedang"), Some("biaya"), d(3, 16), None, None),
            (None, None, Some("penyalahgunaan wewenang"), d(4, 1), None, None),
        ];
        for (i, (s, b, j, r, fa, cl)) in rows.into_iter().enumerate() {
            c.id.push(i as i64 + 1);
            c.unit.push("Dinsos".into());
            c.service.push(s.map(Into::into));
            c.division.push(None);
            c.channel.push(if i % 2 == 0 { "email" } else { "surat" }.into());
            c.bobot.push(b.map(Into::into));
            c.jenis.push(j.map(Into::into));
            c.klasifikasi.push("pengaduan".into());
            c.status.push(if cl.is_some() { "selesai" } else { "diterima" }.into());
            c.received_at.push(r);
            c.first_answer_at.push(fa);
            c.closed_at.push(cl);
            c.due_at.push(None);
        }
        c.into_frame().unwrap()
    }

    #[test]
    fn many_queries_equal_one_query_each() {
        let frame = complaints();
        let queries: Vec<ComplaintQuery> = [(3, 1, 3, 31), (4, 1, 4, 30), (2, 1, 2, 28), (3, 10, 4, 20)]
            .iter()
            .enumerate()
            .map(|(k, &(m1, d1, m2, d2))| {
                let mut q = ComplaintQuery::new(d(4, 30));
                q.range = DateRange::new(
                    NaiveDate::from_ymd_opt(2026, m1, d1).unwrap(),
                    NaiveDate::from_ymd_opt(2026, m2, d2).unwrap(),
                );
                q.holidays = vec![d(3, 19)];
                if k == 3 {
                    q.units = vec!["nobody".into()];
                }
                q
            })
            .collect();
        let many = complaint_stats_many(&frame, &queries).unwrap();
        assert_eq!(many.len(), queries.len());
        for (q, s) in queries.iter().zip(&many) {
            assert_eq!(*s, complaint_stats(&frame, q).unwrap());
        }
        assert_eq!(many[0].total, 3);
        assert_eq!(many[3].total, 0, "the unit filter applies per query");
    }

    #[test]
    fn stats_for_a_month() {
        let mut q = ComplaintQuery::new(d(4, 30));
        q.range = DateRange::new(d(3, 1), d(3, 31));
        q.holidays = vec![d(3, 19)];
        let s = complaint_stats(&complaints(), &q).unwrap();
        assert_eq!(s.total, 3);
        assert_eq!(s.closed, 2);
        assert_eq!(
            s.by_channel[0],
            Count {
                value: Some("email".into()),
                count: 2
            }
        );
        assert_eq!(s.flow.len(), 1);
        assert_eq!((s.flow[0].opened, s.flow[0].closed, s.flow[0].backlog), (3, 2, 1));
        // ringan: one closed in 4 working days (met 5), one in 13 (missed, 19 March holiday)
        let ringan = &s.sla[0];
        assert_eq!(ringan.bobot.as_deref(), Some("ringan"));
        assert_eq!((ringan.resolve.met, ringan.resolve.missed), (1, 1));
        assert_eq!(ringan.resolve.compliance_pct, Some(50.0));
        let fa = ringan.first_answer.as_ref().unwrap();
        assert_eq!((fa.met, fa.missed), (1, 1));
        // sedang: received 16 March, 14 working days (one holiday) -> due 6 April; overdue at 30 April
        let sedang = &s.sla[1];
        assert_eq!(sedang.resolve.open_overdue, 1);
        assert_eq!(sedang.resolve.compliance_pct, Some(0.0));
        assert_eq!(s.close_days.count, 2);
        assert_eq!(s.close_days.median, Some((4.0 + 13.0) / 2.0));
        assert_eq!(s.first_answer_days.count, 2);
        assert_eq!(s.first_answer_days.median, Some(2.0));
    }

    #[test]
    fn flow_counts_backlog_across_periods() {
        let q = ComplaintQuery::new(d(4, 30));
        let s = complaint_stats(&complaints(), &q).unwrap();
        let labels: Vec<&str> = s.flow.iter().map(|f| f.period.as_str()).collect();
        assert_eq!(labels, ["2026-03", "2026-04"]);
        assert_eq!((s.flow[1].opened, s.flow[1].closed, s.flow[1].backlog), (1, 0, 2));
        // the unclassified complaint has a row without targets
        let last = s.sla.last().unwrap();
        assert_eq!(last.bobot, None);
        assert_eq!(last.resolve.no_target, 1);
    }

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

    #[test]
    fn complaints_beside_element_nrr() {
        let rules = RuleSet::permenpan_14_2017();
        let mut b = SurveyColumns::new(&rules.element_keys(), &[]);
        for (service, score) in [("KIS", 2), ("KIS", 3), ("PKH", 4)] {
            b.push(SurveyRow {
                unit: "Dinsos",
                service,
                date: d(3, 10),
                scores: &[Some(score); 9],
                profile: &[],
                umur: None,
            });
        }
        let survey = b.into_frame().unwrap();
        let rows =
            complaints_by_element(&complaints(), &survey, &rules, DateRange::new(d(3, 1), d(3, 31)), &[]).unwrap();
        let find = |s: Option<&str>, e: &str| {
            rows.iter()
                .find(|r| r.service.as_deref() == s && r.element == e)
                .unwrap()
        };
        let kis_waktu = find(Some("KIS"), "waktu");
        assert_eq!(kis_waktu.complaints, 2);
        assert_eq!(kis_waktu.nrr, Some(2.5));
        assert_eq!(kis_waktu.mutu, Some(Mutu::D));
        assert_eq!(find(Some("PKH"), "biaya").complaints, 1);
        assert_eq!(find(None, "waktu").complaints, 2);
        assert_eq!(find(None, "waktu").nrr, Some(3.0));
        assert_eq!(find(None, "waktu").answered, 3);
        // 3 rows (KIS, PKH, total) × 9 elements
        assert_eq!(rows.len(), 27);
    }
}
