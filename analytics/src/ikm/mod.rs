//! The IKM (Indeks Kepuasan Masyarakat) per SKM.md, for any grouping of respondents.
//!
//! # Method
//!
//! For each group: NRR per element = sum of its scores / number of respondents who
//! answered it (unanswered = null, left out of that element's denominator only);
//! IKM = Σ NRR × weight with the exact weight 1/k; konversi = IKM × 25. Figures are
//! rounded only when reported (2 decimals, half away from zero) and the grade is
//! taken from the rounded konversi. An element nobody in the group answered is left
//! out and the weight becomes 1/(elements answered); the group lists it in
//! `unanswered_elements` so a report can say so.
//!
//! # Confidence interval
//!
//! The 95% interval is analytic, not bootstrap: the IKM is a smooth function of
//! per-element means, so its standard error follows from Taylor linearisation (each
//! respondent's influence `u_i = w Σ_e (x_ie − NRR_e) / n_e` over the elements they
//! answered; Var = n/(n−1) Σ u_i²), which reduces to the textbook s/√n when every
//! element is answered. It is exact to compute, deterministic (the same data always
//! print the same interval, so a published figure can be re-derived from its rows),
//! costs one extra pass over the rows instead of hundreds of resamples (the full cube
//! over 10 million responses stays well under a second), and needs no random seed.
//! Small groups use Student's t with n−1 degrees of freedom; when the caller gives the
//! group's population the finite population correction (1 − n/N) is applied. The
//! interval is clipped to 25–100 and absent for groups of fewer than 2 respondents.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::calendar::{DateRange, Period};
use crate::error::{AnalyticsError, Result};
use crate::frame::SurveyFrame;
use crate::numeric::{round_half_away, t_critical_95};
use crate::rules::{Band, Mutu, RuleSet};
use crate::sample::krejcie_morgan;

pub mod cells;
mod engine;

pub(crate) use engine::Agg;
use engine::{GroupStats, aggregate, element_arrays};

/// A way to split respondents into groups. Serialised as its name: `unit`,
/// `service`, `month`, `quarter`, `semester`, `year`, or a profile column name
/// (`jenis_kelamin`, `umur_kelompok`, `pendidikan`, `pekerjaan`, ...).
///
/// Elements are not a dimension: every group always carries its per-element results.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// The `unit` column.
    Unit,
    /// The `service` column.
    Service,
    /// Calendar month of `date`, labelled `2026-03`.
    Month,
    /// Quarter of `date`, labelled `2026-Q1`.
    Quarter,
    /// Semester of `date`, labelled `2026-S1`.
    Semester,
    /// Year of `date`, labelled `2026`.
    Year,
    /// Any other column of the frame, e.g. a respondent profile attribute.
    Profile(String),
}

impl Dimension {
    /// The name used in queries, JSON and population keys.
    pub fn name(&self) -> &str {
        match self {
            Dimension::Unit => "unit",
            Dimension::Service => "service",
            Dimension::Month => "month",
            Dimension::Quarter => "quarter",
            Dimension::Semester => "semester",
            Dimension::Year => "year",
            Dimension::Profile(p) => p,
        }
    }

    /// The calendar period of a time dimension.
    pub fn period(&self) -> Option<Period> {
        match self {
            Dimension::Month => Some(Period::Month),
            Dimension::Quarter => Some(Period::Quarter),
            Dimension::Semester => Some(Period::Semester),
            Dimension::Year => Some(Period::Year),
            _ => None,
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dimension {
    type Err = AnalyticsError;

    /// Parses the English names and their Indonesian equivalents (`layanan`,
    /// `bulan`, `triwulan`, `tahun`); anything else names a profile column.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        Ok(match t.to_ascii_lowercase().as_str() {
            "unit" => Dimension::Unit,
            "service" | "layanan" => Dimension::Service,
            "month" | "bulan" => Dimension::Month,
            "quarter" | "triwulan" => Dimension::Quarter,
            "semester" => Dimension::Semester,
            "year" | "tahun" => Dimension::Year,
            "element" | "unsur" => {
                return Err(AnalyticsError::InvalidQuery(
                    "unsur tidak perlu dipilih sebagai pengelompokan: setiap kelompok \
                     selalu dirinci per unsur"
                        .into(),
                ));
            }
            "" | "date" => {
                return Err(AnalyticsError::InvalidQuery(format!(
                    "pengelompokan '{t}' tidak dikenal"
                )));
            }
            _ => Dimension::Profile(t.to_string()),
        })
    }
}

impl Serialize for Dimension {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Dimension {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which weight multiplies each element's NRR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightMode {
    /// The exact 1/k (the default and the regulation's intent).
    #[default]
    Exact,
    /// 1/k as printed with 3 decimals (0.111 for 9 elements), only to reproduce a
    /// legacy published figure; the best possible score then is 99.90.
    Printed3,
    /// 1/k as printed with 2 decimals (0.11 for 9 elements), only to reproduce a
    /// legacy published figure; the best possible score then is 99.00.
    Printed2,
}

/// The weight a report was computed with, so the output always says it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightUsed {
    /// The mode asked for.
    pub mode: WeightMode,
    /// The weight per element (1/k as a float for `Exact`, where k is the number of
    /// elements of the rule set; a group missing an element uses 1/(k − missing)).
    pub value: f64,
    /// How to print it: `1/9`, `0.111`, `0.11`.
    pub label: String,
}

impl WeightMode {
    pub(crate) fn resolve(self, k: usize) -> WeightUsed {
        let exact = 1.0 / k as f64;
        match self {
            WeightMode::Exact => WeightUsed {
                mode: self,
                value: exact,
                label: format!("1/{k}"),
            },
            WeightMode::Printed3 => {
                let v = round_half_away(exact, 3);
                WeightUsed {
                    mode: self,
                    value: v,
                    label: format!("{v:.3}"),
                }
            }
            WeightMode::Printed2 => {
                let v = round_half_away(exact, 2);
                WeightUsed {
                    mode: self,
                    value: v,
                    label: format!("{v:.2}"),
                }
            }
        }
    }
}

/// Keep only rows whose value for `dimension` is one of `values` (labels as they
/// appear in results, e.g. `2026-Q1` for a quarter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// Dimension to filter on.
    pub dimension: Dimension,
    /// Accepted labels.
    pub values: Vec<String>,
}

/// The number of service users (transactions) behind one group, given by the caller,
/// for the Krejcie–Morgan check and the finite population correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Population {
    /// Dimension name → label, exactly the query's `group_by` dimensions
    /// (e.g. `{"unit": "Dinsos", "service": "KIS", "year": "2026"}`).
    pub key: BTreeMap<String, String>,
    /// Population size N.
    pub population: u64,
}

/// What to compare each group with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// The previous period: when grouping by a time dimension, the previous calendar
    /// period of the finest one (over the query's date range shifted back by one such
    /// period); otherwise the range of the same extent just before the query's range
    /// (see [`DateRange::previous`]), which must then be closed.
    Previous,
    /// A baseline range given explicitly (not allowed with time dimensions).
    Range(DateRange),
}

/// An IKM question: which respondents, split how, computed under which rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IkmQuery {
    /// Rule set (elements, weights, interval table). Default: PermenPAN-RB 14/2017.
    pub rule_set: RuleSet,
    /// Grouping, in output key order; empty = one group of everyone.
    pub group_by: Vec<Dimension>,
    /// Dates included (inclusive). Default: all.
    pub range: DateRange,
    /// Row filters, all of which must hold.
    pub filters: Vec<Filter>,
    /// Weight; default exact 1/k.
    pub weight: WeightMode,
    /// Populations per group key (optional).
    pub populations: Vec<Population>,
    /// Comparison with an earlier period (optional).
    pub compare: Option<Comparison>,
}

impl Default for IkmQuery {
    fn default() -> Self {
        IkmQuery {
            rule_set: RuleSet::permenpan_14_2017(),
            group_by: Vec::new(),
            range: DateRange::default(),
            filters: Vec::new(),
            weight: WeightMode::Exact,
            populations: Vec::new(),
            compare: None,
        }
    }
}

/// One part of a group's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    /// The dimension.
    pub dimension: Dimension,
    /// Its label in this group; `None` for respondents who left a profile question
    /// unanswered.
    pub value: Option<String>,
}

/// Element names and codes once per report, so groups carry only keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementInfo {
    /// Stable key.
    pub key: String,
    /// Printed code (U1..).
    pub code: String,
    /// Indonesian name.
    pub name: String,
}

/// The computed figures of one element in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementScore {
    /// NRR rounded to 2 decimals (as printed).
    pub nrr: f64,
    /// NRR unrounded (sum / answered), for charts and re-computation.
    pub nrr_exact: f64,
    /// NRR × weight, rounded to 4 decimals (the tables print it with 3–4).
    pub nrr_weighted: f64,
    /// NRR × 25 rounded to 2 decimals, the element on the 25–100 scale.
    pub konversi: f64,
    /// Grade of the element (1–4 column of the interval table).
    pub mutu: Mutu,
    /// 1 = weakest element of the group (ties keep questionnaire order).
    pub rank: u32,
}

/// One element in one group: the counts behind it and, when anybody answered it,
/// the figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementResult {
    /// Element key.
    pub key: String,
    /// Respondents who answered it (its denominator).
    pub answered: u64,
    /// Sum of the scores.
    pub sum: u64,
    /// Number of answers 1, 2, 3 and 4.
    pub distribution: [u64; 4],
    /// Figures; `None` when nobody in the group answered this element.
    pub score: Option<ElementScore>,
}

/// 95% confidence interval of a konversi value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceInterval {
    /// Lower bound (25–100), rounded to 2 decimals.
    pub lower: f64,
    /// Upper bound (25–100), rounded to 2 decimals.
    pub upper: f64,
    /// Standard error on the 25–100 scale, rounded to 2 decimals.
    pub standard_error: f64,
}

/// The index of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexScore {
    /// IKM on the 1–4 scale, rounded to 2 decimals.
    pub ikm: f64,
    /// IKM unrounded.
    pub ikm_exact: f64,
    /// IKM × 25 rounded to 2 decimals: the figure that is graded and published.
    pub konversi: f64,
    /// Konversi unrounded.
    pub konversi_exact: f64,
    /// Grade of the rounded konversi.
    pub mutu: Mutu,
    /// Kinerja label of that grade.
    pub kinerja: String,
    /// 95% interval; `None` below 2 respondents.
    pub ci: Option<ConfidenceInterval>,
}

/// Respondents collected against the Krejcie–Morgan sample needed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleCheck {
    /// Population N given by the caller.
    pub population: u64,
    /// Sample needed for N (Krejcie–Morgan formula).
    pub required: u64,
    /// Respondents in the group.
    pub collected: u64,
    /// True when fewer were collected than needed.
    pub below_required: bool,
}

/// Change against the comparison period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Key of the group compared with.
    pub previous_key: Vec<KeyValue>,
    /// Its respondents (0 when it had none: then there is nothing to compare).
    pub previous_respondents: u64,
    /// Its konversi (rounded), if it had any answers.
    pub previous_konversi: Option<f64>,
    /// Its grade.
    pub previous_mutu: Option<Mutu>,
    /// Rounded konversi now minus rounded konversi then, so a reader can check it
    /// by subtracting the printed figures.
    pub change: Option<f64>,
    /// Half-width of the 95% interval of the difference (t with the smaller group's
    /// degrees of freedom, independent samples), rounded to 2 decimals.
    pub noise: Option<f64>,
    /// Whether the unrounded change is larger than the noise; `None` when either
    /// side has fewer than 2 respondents.
    pub exceeds_noise: Option<bool>,
}

/// One group's complete result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IkmGroup {
    /// Group key, in `group_by` order.
    pub key: Vec<KeyValue>,
    /// Respondents in the group (n).
    pub respondents: u64,
    /// Per element, in questionnaire order.
    pub elements: Vec<ElementResult>,
    /// The index; `None` when nobody answered any element.
    pub index: Option<IndexScore>,
    /// Elements nobody in the group answered (left out of the weight).
    pub unanswered_elements: Vec<String>,
    /// Element keys from weakest to strongest NRR, for the follow-up plan.
    pub weakest_first: Vec<String>,
    /// Sample size check, when a population was given for this key.
    pub sample: Option<SampleCheck>,
    /// Change against the comparison, when asked for.
    pub previous: Option<Change>,
}

/// The answer to an [`IkmQuery`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IkmReport {
    /// Rule set id.
    pub rule_set_id: String,
    /// Rule set short name.
    pub rule_set_name: String,
    /// Rule set citation.
    pub citation: String,
    /// The interval table used, to print it beside the results.
    pub bands: Vec<Band>,
    /// Elements in questionnaire order.
    pub elements: Vec<ElementInfo>,
    /// Weight used.
    pub weight: WeightUsed,
    /// Grouping.
    pub group_by: Vec<Dimension>,
    /// Date range.
    pub range: DateRange,
    /// Baseline range used for the comparison, if any.
    pub comparison_range: Option<DateRange>,
    /// Confidence level of the intervals (0.95).
    pub confidence_level: f64,
    /// How the intervals were computed, for the report's method section.
    pub ci_method: String,
    /// Respondents over all groups.
    pub respondents: u64,
    /// The groups, sorted by key (labels alphabetically, periods in time order,
    /// unanswered profile values last).
    pub groups: Vec<IkmGroup>,
}

impl IkmReport {
    /// The kinerja label of a grade under this report's rule set.
    pub fn kinerja(&self, mutu: Mutu) -> &str {
        self.bands
            .iter()
            .find(|b| b.mutu == mutu)
            .map(|b| b.kinerja.as_str())
            .unwrap_or("")
    }
}

/// Description of the interval method, printed by reports.
pub const CI_METHOD: &str = "Interval kepercayaan 95% analitik (linearisasi Taylor atas \
     rata-rata per unsur, distribusi t dengan n-1 derajat bebas, koreksi populasi \
     terbatas bila N diketahui)";

/// Computes the IKM for every group of `query` over `frame`.
///
/// Errors (in Indonesian) when an element column of the rule set is missing or holds
/// a score outside 1–4, when a grouping column is missing, or when the comparison
/// cannot be formed.
pub fn ikm(frame: &SurveyFrame, query: &IkmQuery) -> Result<IkmReport> {
    let rules = &query.rule_set;
    rules.validate()?;
    let k = rules.elements.len();
    let weight = query.weight.resolve(k);
    let scores = element_arrays(frame, rules)?;
    let agg = aggregate(frame, &scores, &query.group_by, &query.range, &query.filters, &weight)?;
    let plan = baseline_plan(query)?;
    let baseline = match &plan.aggregate {
        Some(r) => Some(aggregate(frame, &scores, &query.group_by, r, &query.filters, &weight)?),
        None => None,
    };
    Ok(report(query, &weight, agg, baseline, plan.comparison_range))
}

/// Which baseline a query's comparison needs, decided before any row is read so a
/// streaming reader can fill the baseline in the same pass.
pub(crate) struct BaselinePlan {
    /// The range to aggregate separately as the baseline; `None` when there is no
    /// comparison or the baseline groups are the query's own (previous periods).
    pub(crate) aggregate: Option<DateRange>,
    /// The range the comparison is reported against.
    pub(crate) comparison_range: Option<DateRange>,
}

/// The baseline a query compares against, or why the comparison cannot be formed.
pub(crate) fn baseline_plan(query: &IkmQuery) -> Result<BaselinePlan> {
    let time_periods: Vec<Period> = query.group_by.iter().filter_map(Dimension::period).collect();
    let (aggregate, comparison_range) = match &query.compare {
        None => (None, None),
        Some(Comparison::Previous) if !time_periods.is_empty() => {
            let finest = time_periods.iter().copied().min().expect("non-empty");
            if query.range == DateRange::default() {
                (None, Some(query.range))
            } else {
                let r = query.range.shift_back(finest);
                (Some(r), Some(r))
            }
        }
        Some(Comparison::Previous) => {
            let r = query.range.previous().ok_or_else(|| {
                AnalyticsError::InvalidQuery(
                    "perbandingan dengan periode sebelumnya butuh rentang tanggal yang \
                     tertutup atau pengelompokan per bulan/triwulan/semester/tahun"
                        .into(),
                )
            })?;
            (Some(r), Some(r))
        }
        Some(Comparison::Range(r)) => {
            if !time_periods.is_empty() {
                return Err(AnalyticsError::InvalidQuery(
                    "perbandingan dengan rentang tertentu tidak bisa digabung dengan \
                     pengelompokan per periode"
                        .into(),
                ));
            }
            (Some(*r), Some(*r))
        }
    };
    Ok(BaselinePlan {
        aggregate,
        comparison_range,
    })
}

/// Builds the report from the per-group sums of the query's range and, when the
/// comparison needs its own, of the baseline range.
pub(crate) fn report(
    query: &IkmQuery,
    weight: &WeightUsed,
    agg: Agg,
    baseline: Option<Agg>,
    comparison_range: Option<DateRange>,
) -> IkmReport {
    let rules = &query.rule_set;
    let weight = weight.clone();
    let time_dims: Vec<(usize, Period)> = query
        .group_by
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.period().map(|p| (i, p)))
        .collect();
    let populations: HashMap<&BTreeMap<String, String>, u64> =
        query.populations.iter().map(|p| (&p.key, p.population)).collect();

    let base = query.compare.as_ref().map(|_| {
        let agg = baseline.as_ref().unwrap_or(&agg);
        Baseline {
            agg,
            index: agg.index_by_labels(),
        }
    });
    let mut groups = Vec::with_capacity(agg.groups);
    for g in agg.sorted_groups() {
        let key = agg.key(g);
        let population = if populations.is_empty() {
            None
        } else {
            key_map(&key).and_then(|m| populations.get(&m).copied())
        };
        let stats = agg.group_stats(g, &weight, population);
        let previous = base.as_ref().map(|base| {
            let prev_labels = previous_labels(&agg, g, &time_dims);
            compare(&stats, base, &prev_labels, &query.group_by, rules, &weight)
        });
        let sample = population.map(|n_pop| {
            let required = krejcie_morgan(n_pop);
            SampleCheck {
                population: n_pop,
                required,
                collected: stats.n,
                below_required: stats.n < required,
            }
        });
        groups.push(stats.into_group(key, sample, previous, rules));
    }

    IkmReport {
        rule_set_id: rules.id.clone(),
        rule_set_name: rules.name.clone(),
        citation: rules.citation.clone(),
        bands: rules.bands.clone(),
        elements: rules
            .elements
            .iter()
            .map(|e| ElementInfo {
                key: e.key.clone(),
                code: e.code.clone(),
                name: e.name.clone(),
            })
            .collect(),
        weight,
        group_by: query.group_by.clone(),
        range: query.range,
        comparison_range,
        confidence_level: 0.95,
        ci_method: CI_METHOD.to_string(),
        respondents: agg.n.iter().sum(),
        groups,
    }
}

fn key_map(key: &[KeyValue]) -> Option<BTreeMap<String, String>> {
    key.iter()
        .map(|kv| kv.value.clone().map(|v| (kv.dimension.name().to_string(), v)))
        .collect()
}

/// Labels of the group `g` would have one period earlier (time dimensions moved
/// back one period of the finest of them; other dimensions unchanged).
fn previous_labels(agg: &Agg, g: usize, time_dims: &[(usize, Period)]) -> Vec<Option<String>> {
    let mut labels: Vec<Option<String>> = (0..agg.dims.len())
        .map(|j| agg.labels[j][agg.code(g, j) as usize].clone())
        .collect();
    if let Some(&(fi, fp)) = time_dims.iter().min_by_key(|(_, p)| *p) {
        let idx = agg.periods[fi].as_ref().expect("time dimension")[agg.code(g, fi) as usize];
        let prev_start = fp.start(idx - 1);
        for &(j, p) in time_dims {
            labels[j] = Some(p.label_of(prev_start));
        }
    }
    labels
}

/// A comparison baseline with its groups indexed by labels.
struct Baseline<'a> {
    agg: &'a Agg,
    index: HashMap<Vec<Option<String>>, usize>,
}

fn compare(
    now: &GroupStats,
    base: &Baseline<'_>,
    prev_labels: &[Option<String>],
    dims: &[Dimension],
    rules: &RuleSet,
    weight: &WeightUsed,
) -> Change {
    let previous_key: Vec<KeyValue> = dims
        .iter()
        .zip(prev_labels)
        .map(|(d, v)| KeyValue {
            dimension: d.clone(),
            value: v.clone(),
        })
        .collect();
    let then = base
        .index
        .get(prev_labels)
        .map(|&g| base.agg.group_stats(g, weight, None));
    let Some(then) = then else {
        return Change {
            previous_key,
            previous_respondents: 0,
            previous_konversi: None,
            previous_mutu: None,
            change: None,
            noise: None,
            exceeds_noise: None,
        };
    };
    let (a, b) = (now.index_figures(), then.index_figures());
    let change = match (&a, &b) {
        (Some(a), Some(b)) => Some(round_half_away(
            round_half_away(a.konversi, 2) - round_half_away(b.konversi, 2),
            2,
        )),
        _ => None,
    };
    let (noise, exceeds) = match (&a, &b) {
        (Some(a), Some(b)) if now.n >= 2 && then.n >= 2 => {
            let df = now.n.min(then.n) - 1;
            let half = t_critical_95(df) * (a.se * a.se + b.se * b.se).sqrt();
            (
                Some(round_half_away(half, 2)),
                Some((a.konversi - b.konversi).abs() > half),
            )
        }
        _ => (None, None),
    };
    Change {
        previous_key,
        previous_respondents: then.n,
        previous_konversi: b.as_ref().map(|b| round_half_away(b.konversi, 2)),
        previous_mutu: b.as_ref().map(|b| rules.grade_konversi(b.konversi).mutu),
        change,
        noise,
        exceeds_noise: exceeds,
    }
}

#[cfg(test)]
mod tests;
