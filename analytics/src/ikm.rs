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

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::calendar::{DateRange, Period, from_epoch_days};
use crate::error::{AnalyticsError, Result};
use crate::frame::{COL_DATE, COL_SERVICE, COL_UMUR, COL_UMUR_KELOMPOK, COL_UNIT, SurveyFrame, age_band};
use crate::numeric::{round_half_away, t_critical_95};
use crate::par::{fill_chunks, map_ranges};
use crate::rules::{Band, Mutu, RuleSet};
use crate::sample::krejcie_morgan;

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
    fn resolve(self, k: usize) -> WeightUsed {
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

    let time_dims: Vec<(usize, Period)> = query
        .group_by
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.period().map(|p| (i, p)))
        .collect();
    let (baseline, comparison_range) = match &query.compare {
        None => (None, None),
        Some(Comparison::Previous) if !time_dims.is_empty() => {
            let finest = time_dims.iter().map(|(_, p)| *p).min().expect("non-empty");
            if query.range == DateRange::default() {
                (None, Some(query.range))
            } else {
                let r = query.range.shift_back(finest);
                let b = aggregate(frame, &scores, &query.group_by, &r, &query.filters, &weight)?;
                (Some(b), Some(r))
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
            let b = aggregate(frame, &scores, &query.group_by, &r, &query.filters, &weight)?;
            (Some(b), Some(r))
        }
        Some(Comparison::Range(r)) => {
            if !time_dims.is_empty() {
                return Err(AnalyticsError::InvalidQuery(
                    "perbandingan dengan rentang tertentu tidak bisa digabung dengan \
                     pengelompokan per periode"
                        .into(),
                ));
            }
            let b = aggregate(frame, &scores, &query.group_by, r, &query.filters, &weight)?;
            (Some(b), Some(*r))
        }
    };

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

    Ok(IkmReport {
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
    })
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

// ---------------------------------------------------------------------------
// Engine
// ---------------------------------------------------------------------------

/// A score column of one element, UInt8 in one chunk.
pub(crate) struct ScoreColumn {
    key: String,
    ca: UInt8Chunked,
}

impl ScoreColumn {
    /// The first answered value outside 1–4, for the error message.
    fn first_out_of_range(&self) -> Option<u8> {
        self.ca.iter().flatten().find(|s| !(1..=4).contains(s))
    }
}

fn element_arrays(frame: &SurveyFrame, rules: &RuleSet) -> Result<Vec<ScoreColumn>> {
    let df = &frame.df;
    rules
        .elements
        .iter()
        .map(|e| {
            let col = df
                .column(&e.key)
                .map_err(|_| AnalyticsError::MissingColumn(format!("{} (unsur {} {})", e.key, e.code, e.name)))?;
            let dtype = col.dtype().clone();
            if !dtype.is_integer() {
                return Err(AnalyticsError::WrongType {
                    column: e.key.clone(),
                    found: dtype.to_string(),
                    expected: "bilangan bulat 1-4".into(),
                });
            }
            let s = col.as_materialized_series();
            let ca = if dtype == DataType::UInt8 {
                s.u8()?.clone()
            } else {
                let as_i64 = s.cast(&DataType::Int64)?;
                let v = as_i64.i64()?;
                if let Some(bad) = [v.min(), v.max()].into_iter().flatten().find(|x| !(1..=4).contains(x)) {
                    return Err(AnalyticsError::ScoreOutOfRange {
                        column: e.key.clone(),
                        value: bad,
                    });
                }
                as_i64.strict_cast(&DataType::UInt8)?.u8()?.clone()
            };
            // UInt8 values are range-checked during the counting pass (no extra pass)
            let ca = ca.rechunk().into_owned();
            Ok(ScoreColumn { key: e.key.clone(), ca })
        })
        .collect()
}

/// Per-row codes of one dimension and the label of each code.
struct Encoded {
    codes: Vec<u32>,
    labels: Vec<Option<String>>,
    /// Period index per code, for time dimensions.
    periods: Option<Vec<i32>>,
}

const EXCLUDED: u32 = u32::MAX;

fn encode(frame: &SurveyFrame, dim: &Dimension) -> Result<Encoded> {
    let df = &frame.df;
    if let Some(p) = dim.period() {
        return Ok(encode_period(date_slice(df)?, p));
    }
    let name = match dim {
        Dimension::Unit => COL_UNIT,
        Dimension::Service => COL_SERVICE,
        Dimension::Profile(p) => p.as_str(),
        _ => unreachable!("time dimensions handled above"),
    };
    let col = match df.column(name) {
        Ok(c) => c,
        Err(_) if name == COL_UMUR_KELOMPOK && df.column(COL_UMUR).is_ok() => {
            return encode_age_bands(df.column(COL_UMUR).expect("checked"));
        }
        Err(_) => {
            return Err(AnalyticsError::MissingColumn(name.to_string()));
        }
    };
    let s = col.as_materialized_series();
    let s = if s.dtype() == &DataType::String {
        s.clone()
    } else if s.dtype().is_integer() || s.dtype() == &DataType::Boolean {
        s.cast(&DataType::String)?
    } else {
        return Err(AnalyticsError::WrongType {
            column: name.to_string(),
            found: s.dtype().to_string(),
            expected: "String".into(),
        });
    };
    let ca = s.str()?.rechunk().into_owned();
    Ok(encode_strings(&ca))
}

fn date_slice(df: &DataFrame) -> Result<&[i32]> {
    Ok(df.column(COL_DATE)?.date()?.physical().cont_slice()?)
}

fn encode_period(days: &[i32], p: Period) -> Encoded {
    let (Some(&dmin), Some(&dmax)) = (days.iter().min(), days.iter().max()) else {
        return Encoded {
            codes: Vec::new(),
            labels: Vec::new(),
            periods: Some(Vec::new()),
        };
    };
    let pmin = p.index_of(from_epoch_days(dmin));
    let pmax = p.index_of(from_epoch_days(dmax));
    let span = (dmax as i64 - dmin as i64 + 1) as usize;
    let periods: Vec<i32> = (pmin..=pmax).collect();
    let labels = periods.iter().map(|&i| Some(p.label(i))).collect();
    let mut codes = vec![0u32; days.len()];
    if span <= 1 << 20 {
        let table: Vec<u32> = (0..span)
            .map(|o| (p.index_of(from_epoch_days(dmin + o as i32)) - pmin) as u32)
            .collect();
        fill_chunks(&mut codes, |start, out| {
            for (o, d) in out.iter_mut().zip(&days[start..]) {
                *o = table[(*d - dmin) as usize];
            }
        });
    } else {
        fill_chunks(&mut codes, |start, out| {
            for (o, d) in out.iter_mut().zip(&days[start..]) {
                *o = (p.index_of(from_epoch_days(*d)) - pmin) as u32;
            }
        });
    }
    Encoded {
        codes,
        labels,
        periods: Some(periods),
    }
}

fn encode_age_bands(col: &Column) -> Result<Encoded> {
    const BANDS: [&str; 6] = ["<20", "20-29", "30-39", "40-49", "50-59", "60+"];
    let ages = col.as_materialized_series().cast(&DataType::Int64)?;
    let ages = ages.i64()?;
    let codes = ages
        .iter()
        .map(|a| match a {
            Some(a) => {
                let band = age_band(a.clamp(0, u32::MAX as i64) as u32);
                BANDS.iter().position(|b| *b == band).expect("known band") as u32
            }
            None => BANDS.len() as u32,
        })
        .collect();
    let mut labels: Vec<Option<String>> = BANDS.iter().map(|b| Some(b.to_string())).collect();
    labels.push(None);
    Ok(Encoded {
        codes,
        labels,
        periods: None,
    })
}

/// Dictionary-encodes a string column with one hash map per row range, then merges
/// the small dictionaries.
fn encode_strings(ca: &StringChunked) -> Encoded {
    let n = ca.len();
    let arr = ca.downcast_as_array();
    let has_nulls = ca.null_count() > 0;
    let mut codes = vec![0u32; n];
    let locals = std::sync::Mutex::new(Vec::<(usize, Vec<Option<&str>>)>::new());
    fill_chunks(&mut codes, |start, out| {
        let mut map: PlHashMap<&str, u32> = PlHashMap::default();
        let mut labels: Vec<Option<&str>> = Vec::new();
        let mut null_code: Option<u32> = None;
        for (i, o) in out.iter_mut().enumerate() {
            let row = start + i;
            // SAFETY: `row < n`, the array's length.
            let v = if has_nulls {
                unsafe { arr.get_unchecked(row) }
            } else {
                Some(unsafe { arr.value_unchecked(row) })
            };
            let next = labels.len() as u32;
            *o = match v {
                Some(v) => *map.entry(v).or_insert_with(|| {
                    labels.push(Some(v));
                    next
                }),
                None => *null_code.get_or_insert_with(|| {
                    labels.push(None);
                    next
                }),
            };
        }
        locals.lock().expect("no poisoned lock").push((start, labels));
    });
    let mut locals = locals.into_inner().expect("no poisoned lock");
    locals.sort_by_key(|(s, _)| *s);
    let mut global: HashMap<Option<&str>, u32> = HashMap::new();
    let mut labels: Vec<Option<String>> = Vec::new();
    let mut remaps: Vec<(usize, Vec<u32>)> = Vec::new();
    for (start, local) in &locals {
        let remap: Vec<u32> = local
            .iter()
            .map(|l| {
                *global.entry(*l).or_insert_with(|| {
                    labels.push(l.map(str::to_string));
                    (labels.len() - 1) as u32
                })
            })
            .collect();
        remaps.push((*start, remap));
    }
    let identity = remaps
        .iter()
        .all(|(_, r)| r.iter().enumerate().all(|(i, c)| *c == i as u32));
    if !identity {
        // fill_chunks splits the same length into the same ranges as above
        fill_chunks(&mut codes, |start, out| {
            let remap = &remaps.iter().find(|(s, _)| *s == start).expect("same row ranges").1;
            for c in out.iter_mut() {
                *c = remap[*c as usize];
            }
        });
    }
    Encoded {
        codes,
        labels,
        periods: None,
    }
}

/// Sums per group, from which every reported figure is derived.
pub(crate) struct Agg {
    dims: Vec<Dimension>,
    labels: Vec<Vec<Option<String>>>,
    periods: Vec<Option<Vec<i32>>>,
    /// Codes of each group, `groups × dims`.
    group_codes: Vec<u32>,
    groups: usize,
    k: usize,
    /// Respondents per group.
    n: Vec<u64>,
    /// Answers per group, element and score: `[g][e][s-1]`.
    counts: Vec<u64>,
    /// Σ u_i² per group (linearisation of the index).
    ss: Vec<f64>,
}

fn aggregate(
    frame: &SurveyFrame,
    scores: &[ScoreColumn],
    dims: &[Dimension],
    range: &DateRange,
    filters: &[Filter],
    weight: &WeightUsed,
) -> Result<Agg> {
    let df = &frame.df;
    let rows = df.height();
    let days = date_slice(df)?;
    let (lo, hi) = range.epoch_bounds();
    let mut gid = vec![0u32; rows];
    fill_chunks(&mut gid, |start, out| {
        for (o, d) in out.iter_mut().zip(&days[start..]) {
            *o = if *d >= lo && *d <= hi { 0 } else { EXCLUDED };
        }
    });
    for f in filters {
        let enc = encode(frame, &f.dimension)?;
        let allowed: Vec<bool> = enc
            .labels
            .iter()
            .map(|l| l.as_ref().is_some_and(|l| f.values.iter().any(|v| v == l)))
            .collect();
        fill_chunks(&mut gid, |start, out| {
            for (o, c) in out.iter_mut().zip(&enc.codes[start..]) {
                if !allowed[*c as usize] {
                    *o = EXCLUDED;
                }
            }
        });
    }

    let mut groups = 1usize;
    let mut group_codes: Vec<u32> = Vec::new();
    let mut labels = Vec::new();
    let mut periods = Vec::new();
    for (j, dim) in dims.iter().enumerate() {
        let enc = encode(frame, dim)?;
        let card = enc.labels.len().max(1);
        let (new_groups, new_codes) = compose(&mut gid, &enc.codes, card, groups, &group_codes, j);
        groups = new_groups;
        group_codes = new_codes;
        labels.push(enc.labels);
        periods.push(enc.periods);
    }
    let d = dims.len();
    if d == 0 {
        // one group, present only if some row is included
        groups = usize::from(gid.iter().any(|g| *g != EXCLUDED));
    }
    let k = scores.len();

    // Pass 1: respondents and score distribution per group and element.
    let partials = map_ranges(rows, |r| {
        let mut n = vec![0u32; groups];
        let mut counts = vec![0u32; groups * k * 4];
        // largest (score - 1) seen per element: above 3 means a score outside 1-4
        let mut max_off = vec![0u8; k];
        for &g in &gid[r.clone()] {
            if g != EXCLUDED {
                n[g as usize] += 1;
            }
        }
        for (e, col) in scores.iter().enumerate() {
            let arr = col.ca.downcast_as_array();
            let values = &arr.values()[r.clone()];
            let table = &mut counts[e * groups * 4..(e + 1) * groups * 4];
            let gids = &gid[r.clone()];
            let mut worst = 0u8;
            match arr.validity() {
                None => {
                    for (&g, &s) in gids.iter().zip(values) {
                        let off = s.wrapping_sub(1);
                        worst = worst.max(off);
                        if g != EXCLUDED {
                            table[g as usize * 4 + (off & 3) as usize] += 1;
                        }
                    }
                }
                Some(valid) => {
                    for (i, (&g, &s)) in gids.iter().zip(values).enumerate() {
                        if valid.get_bit(r.start + i) {
                            let off = s.wrapping_sub(1);
                            worst = worst.max(off);
                            if g != EXCLUDED {
                                table[g as usize * 4 + (off & 3) as usize] += 1;
                            }
                        }
                    }
                }
            }
            max_off[e] = worst;
        }
        (n, counts, max_off)
    });
    for (e, col) in scores.iter().enumerate() {
        if partials.iter().any(|(_, _, m)| m[e] > 3) {
            return Err(AnalyticsError::ScoreOutOfRange {
                column: col.key.clone(),
                value: col.first_out_of_range().unwrap_or(0) as i64,
            });
        }
    }
    let mut n = vec![0u64; groups];
    let mut counts_em = vec![0u64; groups * k * 4];
    for (pn, pc, _) in &partials {
        for (a, b) in n.iter_mut().zip(pn) {
            *a += *b as u64;
        }
        for (a, b) in counts_em.iter_mut().zip(pc) {
            *a += *b as u64;
        }
    }
    drop(partials);
    // element-major [e][g][s] -> group-major [g][e][s]
    let mut counts = vec![0u64; groups * k * 4];
    for e in 0..k {
        for g in 0..groups {
            let src = (e * groups + g) * 4;
            let dst = (g * k + e) * 4;
            counts[dst..dst + 4].copy_from_slice(&counts_em[src..src + 4]);
        }
    }
    drop(counts_em);

    // Pass 2: Σ u_i² per group with u_i = w Σ_e (x_ie − m_e)/n_e over answered e.
    // coef[e][g][s-1] = w_g (s − m_ge) / n_ge
    let mut coef = vec![0f64; k * groups * 4];
    for g in 0..groups {
        let c = &counts[g * k * 4..(g + 1) * k * 4];
        let answered_elements = (0..k).filter(|e| c[e * 4..e * 4 + 4].iter().sum::<u64>() > 0).count();
        if answered_elements == 0 {
            continue;
        }
        let w = match weight.mode {
            WeightMode::Exact => 1.0 / answered_elements as f64,
            _ => weight.value,
        };
        for e in 0..k {
            let d4 = &c[e * 4..e * 4 + 4];
            let ne: u64 = d4.iter().sum();
            if ne == 0 {
                continue;
            }
            let sum: u64 = d4.iter().enumerate().map(|(s, c)| (s as u64 + 1) * c).sum();
            let m = sum as f64 / ne as f64;
            for s in 0..4 {
                coef[(e * groups + g) * 4 + s] = w * ((s + 1) as f64 - m) / ne as f64;
            }
        }
    }
    const BLOCK: usize = 4096;
    let partial_ss = map_ranges(rows, |r| {
        let mut ss = vec![0f64; groups];
        let mut u = vec![0f64; BLOCK];
        let mut b0 = r.start;
        while b0 < r.end {
            let b1 = (b0 + BLOCK).min(r.end);
            let len = b1 - b0;
            u[..len].fill(0.0);
            let gids = &gid[b0..b1];
            for (e, col) in scores.iter().enumerate() {
                let arr = col.ca.downcast_as_array();
                let values = &arr.values()[b0..b1];
                let table = &coef[e * groups * 4..(e + 1) * groups * 4];
                match arr.validity() {
                    None => {
                        for ((ui, &g), &s) in u.iter_mut().zip(gids).zip(values) {
                            if g != EXCLUDED {
                                *ui += table[g as usize * 4 + s as usize - 1];
                            }
                        }
                    }
                    Some(valid) => {
                        for (i, ((ui, &g), &s)) in u.iter_mut().zip(gids).zip(values).enumerate() {
                            if g != EXCLUDED && valid.get_bit(b0 + i) {
                                *ui += table[g as usize * 4 + s as usize - 1];
                            }
                        }
                    }
                }
            }
            for (&g, &ui) in gids.iter().zip(&u[..len]) {
                if g != EXCLUDED {
                    ss[g as usize] += ui * ui;
                }
            }
            b0 = b1;
        }
        ss
    });
    let mut ss = vec![0f64; groups];
    for p in &partial_ss {
        for (a, b) in ss.iter_mut().zip(p) {
            *a += b;
        }
    }

    Ok(Agg {
        dims: dims.to_vec(),
        labels,
        periods,
        group_codes,
        groups,
        k,
        n,
        counts,
        ss,
    })
}

/// Refines the row → group mapping by one more dimension. Returns the new number of
/// groups and their codes (`groups × (j+1)`), groups numbered in order of first row.
fn compose(
    gid: &mut [u32],
    codes: &[u32],
    card: usize,
    groups: usize,
    group_codes: &[u32],
    j: usize,
) -> (usize, Vec<u32>) {
    let mut new_codes: Vec<u32> = Vec::new();
    let mut next = 0u32;
    let mut assign = |old: u32, c: u32, new_codes: &mut Vec<u32>| {
        new_codes.extend_from_slice(&group_codes[old as usize * j..(old as usize + 1) * j]);
        new_codes.push(c);
        next += 1;
        next - 1
    };
    if groups.saturating_mul(card) <= 1 << 24 {
        let mut table = vec![EXCLUDED; groups * card];
        for (g, &c) in gid.iter_mut().zip(codes) {
            if *g != EXCLUDED {
                let slot = *g as usize * card + c as usize;
                let t = table[slot];
                *g = if t != EXCLUDED {
                    t
                } else {
                    let id = assign(*g, c, &mut new_codes);
                    table[slot] = id;
                    id
                };
            }
        }
    } else {
        let mut table: PlHashMap<(u32, u32), u32> = PlHashMap::default();
        for (g, &c) in gid.iter_mut().zip(codes) {
            if *g != EXCLUDED {
                *g = match table.get(&(*g, c)) {
                    Some(id) => *id,
                    None => {
                        let id = assign(*g, c, &mut new_codes);
                        table.insert((*g, c), id);
                        id
                    }
                };
            }
        }
    }
    (next as usize, new_codes)
}

/// Everything about one group needed to report it.
pub(crate) struct GroupStats {
    n: u64,
    /// `[e][s-1]`
    dist: Vec<[u64; 4]>,
    ss: f64,
    weight: f64,
    exact_weight: bool,
    population: Option<u64>,
}

/// Unrounded index figures with the standard error on the 25–100 scale.
struct IndexFigures {
    ikm: f64,
    konversi: f64,
    se: f64,
}

impl GroupStats {
    fn answered(&self, e: usize) -> u64 {
        self.dist[e].iter().sum()
    }

    fn sum(&self, e: usize) -> u64 {
        self.dist[e].iter().enumerate().map(|(s, c)| (s as u64 + 1) * c).sum()
    }

    fn nrr(&self, e: usize) -> Option<f64> {
        let a = self.answered(e);
        (a > 0).then(|| self.sum(e) as f64 / a as f64)
    }

    fn index_figures(&self) -> Option<IndexFigures> {
        let nrrs: Vec<f64> = (0..self.dist.len()).filter_map(|e| self.nrr(e)).collect();
        if nrrs.is_empty() {
            return None;
        }
        // exact mode: mean of the NRRs (= Σ NRR × 1/k without the rounding of 1/k)
        let ikm = if self.exact_weight {
            nrrs.iter().sum::<f64>() / nrrs.len() as f64
        } else {
            nrrs.iter().map(|v| v * self.weight).sum::<f64>()
        };
        let mut var = if self.n >= 2 {
            self.n as f64 / (self.n - 1) as f64 * self.ss
        } else {
            f64::NAN
        };
        if let Some(pop) = self.population
            && pop > 0
        {
            var *= (1.0 - self.n as f64 / pop as f64).max(0.0);
        }
        Some(IndexFigures {
            ikm,
            konversi: ikm * 25.0,
            se: 25.0 * var.sqrt(),
        })
    }

    fn into_group(
        self,
        key: Vec<KeyValue>,
        sample: Option<SampleCheck>,
        previous: Option<Change>,
        rules: &RuleSet,
    ) -> IkmGroup {
        let k = self.dist.len();
        let nrrs: Vec<Option<f64>> = (0..k).map(|e| self.nrr(e)).collect();
        let mut order: Vec<usize> = (0..k).filter(|e| nrrs[*e].is_some()).collect();
        order.sort_by(|a, b| {
            nrrs[*a]
                .partial_cmp(&nrrs[*b])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(b))
        });
        let mut rank = vec![0u32; k];
        for (r, e) in order.iter().enumerate() {
            rank[*e] = r as u32 + 1;
        }
        let elements: Vec<ElementResult> = (0..k)
            .map(|e| ElementResult {
                key: rules.elements[e].key.clone(),
                answered: self.answered(e),
                sum: self.sum(e),
                distribution: self.dist[e],
                score: nrrs[e].map(|nrr| {
                    let w = if self.exact_weight {
                        1.0 / order.len() as f64
                    } else {
                        self.weight
                    };
                    ElementScore {
                        nrr: round_half_away(nrr, 2),
                        nrr_exact: nrr,
                        nrr_weighted: round_half_away(nrr * w, 4),
                        konversi: round_half_away(nrr * 25.0, 2),
                        mutu: rules.grade_nrr(nrr).mutu,
                        rank: rank[e],
                    }
                }),
            })
            .collect();
        let index = self.index_figures().map(|f| {
            let grade = rules.grade_konversi(f.konversi);
            let ci = f.se.is_finite().then(|| {
                let t = t_critical_95(self.n - 1);
                ConfidenceInterval {
                    lower: round_half_away((f.konversi - t * f.se).max(25.0), 2),
                    upper: round_half_away((f.konversi + t * f.se).min(100.0), 2),
                    standard_error: round_half_away(f.se, 2),
                }
            });
            IndexScore {
                ikm: round_half_away(f.ikm, 2),
                ikm_exact: f.ikm,
                konversi: round_half_away(f.konversi, 2),
                konversi_exact: f.konversi,
                mutu: grade.mutu,
                kinerja: grade.kinerja,
                ci,
            }
        });
        IkmGroup {
            key,
            respondents: self.n,
            unanswered_elements: (0..k)
                .filter(|e| nrrs[*e].is_none())
                .map(|e| rules.elements[e].key.clone())
                .collect(),
            weakest_first: order.iter().map(|e| rules.elements[*e].key.clone()).collect(),
            elements,
            index,
            sample,
            previous,
        }
    }
}

impl Agg {
    fn code(&self, g: usize, j: usize) -> u32 {
        self.group_codes[g * self.dims.len() + j]
    }

    fn key(&self, g: usize) -> Vec<KeyValue> {
        self.dims
            .iter()
            .enumerate()
            .map(|(j, d)| KeyValue {
                dimension: d.clone(),
                value: self.labels[j][self.code(g, j) as usize].clone(),
            })
            .collect()
    }

    /// Group number by its labels, for finding comparison groups.
    fn index_by_labels(&self) -> HashMap<Vec<Option<String>>, usize> {
        (0..self.groups)
            .map(|g| {
                let labels = (0..self.dims.len())
                    .map(|j| self.labels[j][self.code(g, j) as usize].clone())
                    .collect();
                (labels, g)
            })
            .collect()
    }

    fn group_stats(&self, g: usize, weight: &WeightUsed, population: Option<u64>) -> GroupStats {
        let dist = (0..self.k)
            .map(|e| {
                let o = (g * self.k + e) * 4;
                [
                    self.counts[o],
                    self.counts[o + 1],
                    self.counts[o + 2],
                    self.counts[o + 3],
                ]
            })
            .collect();
        GroupStats {
            n: self.n[g],
            dist,
            ss: self.ss[g],
            weight: weight.value,
            exact_weight: weight.mode == WeightMode::Exact,
            population,
        }
    }

    /// Group numbers sorted by key: labels alphabetically (unanswered last), periods
    /// in time order.
    fn sorted_groups(&self) -> Vec<usize> {
        let ranks: Vec<Vec<u32>> = (0..self.dims.len())
            .map(|j| {
                let labels = &self.labels[j];
                let mut order: Vec<usize> = (0..labels.len()).collect();
                match &self.periods[j] {
                    Some(p) => order.sort_by_key(|&c| p[c]),
                    None => order.sort_by(|&a, &b| match (&labels[a], &labels[b]) {
                        (Some(x), Some(y)) => x.cmp(y),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    }),
                }
                let mut rank = vec![0u32; labels.len()];
                for (r, c) in order.into_iter().enumerate() {
                    rank[c] = r as u32;
                }
                rank
            })
            .collect();
        let d = self.dims.len();
        let mut gs: Vec<usize> = (0..self.groups).collect();
        gs.sort_by(|&a, &b| {
            (0..d)
                .map(|j| ranks[j][self.code(a, j) as usize].cmp(&ranks[j][self.code(b, j) as usize]))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        gs
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::frame::{SurveyColumns, SurveyRow};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A frame for `rules` with one row per `(unit, service, date, all-elements score)`.
    fn frame(rules: &RuleSet, rows: &[(&str, &str, NaiveDate, Vec<Option<u8>>)]) -> SurveyFrame {
        let mut b = SurveyColumns::new(&rules.element_keys(), &["jenis_kelamin"]);
        for (i, (u, s, date, scores)) in rows.iter().enumerate() {
            b.push(SurveyRow {
                unit: u,
                service: s,
                date: *date,
                scores,
                profile: &[Some(if i % 2 == 0 { "L" } else { "P" })],
                umur: Some(18 + (i as u32 * 7) % 50),
            });
        }
        b.into_frame().unwrap()
    }

    fn all(k: usize, v: u8) -> Vec<Option<u8>> {
        vec![Some(v); k]
    }

    fn one_group(f: &SurveyFrame, q: &IkmQuery) -> IkmGroup {
        let r = ikm(f, q).unwrap();
        assert_eq!(r.groups.len(), 1);
        r.groups.into_iter().next().unwrap()
    }

    #[test]
    fn one_respondent_all_fours_is_exactly_100() {
        let rules = RuleSet::permenpan_14_2017();
        let f = frame(&rules, &[("U", "S", d(2026, 1, 5), all(9, 4))]);
        let g = one_group(&f, &IkmQuery::default());
        let i = g.index.unwrap();
        assert_eq!(i.ikm, 4.0);
        assert_eq!(i.konversi, 100.0);
        assert_eq!(i.mutu, Mutu::A);
        assert_eq!(i.kinerja, "Sangat Baik");
        assert!(i.ci.is_none(), "no interval from one respondent");
        for e in &g.elements {
            let s = e.score.as_ref().unwrap();
            assert_eq!(s.nrr, 4.0);
            assert_eq!(s.mutu, Mutu::A);
        }
    }

    #[test]
    fn maximum_is_exactly_100_for_both_rule_sets_and_many_respondents() {
        for rules in RuleSet::builtin() {
            let k = rules.elements.len();
            let rows: Vec<_> = (0..37).map(|_| ("U", "S", d(2026, 1, 5), all(k, 4))).collect();
            let f = frame(&rules, &rows);
            let q = IkmQuery {
                rule_set: rules.clone(),
                ..IkmQuery::default()
            };
            let i = one_group(&f, &q).index.unwrap();
            assert_eq!(i.konversi, 100.0, "{}", rules.id);
            assert!(i.konversi_exact <= 100.0 + 1e-9);
            assert_eq!(i.ci.unwrap().upper, 100.0);
        }
    }

    #[test]
    fn all_ones_and_all_fours_give_62_50_d() {
        let rules = RuleSet::permenpan_14_2017();
        let f = frame(
            &rules,
            &[
                ("U", "S", d(2026, 1, 5), all(9, 1)),
                ("U", "S", d(2026, 1, 6), all(9, 4)),
            ],
        );
        let g = one_group(&f, &IkmQuery::default());
        let i = g.index.unwrap();
        assert_eq!(i.ikm, 2.5);
        assert_eq!(i.konversi, 62.5);
        assert_eq!(i.mutu, Mutu::D);
        for e in &g.elements {
            assert_eq!(e.score.as_ref().unwrap().nrr, 2.5);
        }
        // respondent means 1 and 4: s = sqrt(4.5), se = s/sqrt(2) = 1.5, × 25
        let ci = i.ci.unwrap();
        assert_eq!(ci.standard_error, 37.5);
        assert_eq!(ci.lower, 25.0);
        assert_eq!(ci.upper, 100.0);
    }

    #[test]
    fn mean_exactly_3_5324_is_88_31_a_not_88_25_b() {
        // 1331 respondents all 4 and 1169 all 3: every NRR = 8831/2500 = 3.5324
        let rules = RuleSet::permenpan_14_2017();
        let mut rows = Vec::new();
        for i in 0..2500 {
            rows.push(("U", "S", d(2026, 2, 1), all(9, if i < 1331 { 4 } else { 3 })));
        }
        let f = frame(&rules, &rows);
        let g = one_group(&f, &IkmQuery::default());
        let i = g.index.unwrap();
        assert!((i.ikm_exact - 3.5324).abs() < 1e-12);
        assert_eq!(i.konversi, 88.31);
        assert_eq!(i.mutu, Mutu::A);
        for e in &g.elements {
            let s = e.score.as_ref().unwrap();
            assert_eq!(s.nrr, 3.53);
            assert_eq!(s.konversi, 88.31);
            assert_eq!(s.mutu, Mutu::A, "element graded at table precision");
        }
    }

    #[test]
    fn missing_answers_leave_only_their_element_denominator() {
        let rules = RuleSet::permenpan_14_2017();
        let mut a = all(9, 4);
        a[2] = None; // waktu unanswered by the first respondent
        let f = frame(
            &rules,
            &[("U", "S", d(2026, 1, 5), a), ("U", "S", d(2026, 1, 5), all(9, 2))],
        );
        let g = one_group(&f, &IkmQuery::default());
        let waktu = &g.elements[2];
        assert_eq!(waktu.key, "waktu");
        assert_eq!((waktu.answered, waktu.sum), (1, 2));
        assert_eq!(waktu.score.as_ref().unwrap().nrr, 2.0);
        assert_eq!(g.elements[0].score.as_ref().unwrap().nrr, 3.0);
        // IKM = (8 × 3 + 2) / 9
        assert!((g.index.unwrap().ikm_exact - 26.0 / 9.0).abs() < 1e-12);
        assert_eq!(g.weakest_first[0], "waktu");
        assert_eq!(waktu.score.as_ref().unwrap().rank, 1);
    }

    #[test]
    fn an_element_nobody_answered_is_listed_and_left_out() {
        let rules = RuleSet::permenpan_14_2017();
        let mut a = all(9, 3);
        a[8] = None;
        let f = frame(&rules, &[("U", "S", d(2026, 1, 5), a)]);
        let g = one_group(&f, &IkmQuery::default());
        assert_eq!(g.unanswered_elements, vec!["pengaduan".to_string()]);
        assert!(g.elements[8].score.is_none());
        assert_eq!(g.index.unwrap().konversi, 75.0);
        assert_eq!(g.weakest_first.len(), 8);
    }

    #[test]
    fn legacy_printed_weights_reproduce_old_reports_and_say_so() {
        let rules = RuleSet::permenpan_14_2017();
        let f = frame(&rules, &[("U", "S", d(2026, 1, 5), all(9, 4))]);
        let r = ikm(
            &f,
            &IkmQuery {
                weight: WeightMode::Printed3,
                ..IkmQuery::default()
            },
        )
        .unwrap();
        assert_eq!(r.weight.label, "0.111");
        assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 99.9);
        let r = ikm(
            &f,
            &IkmQuery {
                weight: WeightMode::Printed2,
                ..IkmQuery::default()
            },
        )
        .unwrap();
        assert_eq!(r.weight.label, "0.11");
        assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 99.0);
        let r = ikm(&f, &IkmQuery::default()).unwrap();
        assert_eq!(r.weight.label, "1/9");
        assert_eq!(r.weight.mode, WeightMode::Exact);
    }

    #[test]
    fn legacy_rule_set_uses_its_own_table() {
        // konversi 76.47: B under 25/2004, C under 14/2017 (checked on the table in
        // rules.rs); here a whole computation under 25/2004.
        let rules = RuleSet::kepmenpan_25_2004();
        let f = frame(&rules, &[("U", "S", d(2004, 5, 5), all(14, 3))]);
        let q = IkmQuery {
            rule_set: rules,
            ..IkmQuery::default()
        };
        let r = ikm(&f, &q).unwrap();
        assert_eq!(r.weight.label, "1/14");
        assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 75.0);
        assert_eq!(r.groups[0].index.as_ref().unwrap().mutu, Mutu::B);
        assert_eq!(r.elements.len(), 14);
    }

    #[test]
    fn groups_by_unit_service_period_and_profile() {
        let rules = RuleSet::permenpan_14_2017();
        let f = frame(
            &rules,
            &[
                ("B", "S1", d(2026, 1, 5), all(9, 4)),
                ("A", "S1", d(2026, 4, 5), all(9, 3)),
                ("A", "S2", d(2026, 1, 31), all(9, 2)),
                ("A", "S1", d(2026, 2, 5), all(9, 1)),
            ],
        );
        let r = ikm(
            &f,
            &IkmQuery {
                group_by: vec![Dimension::Unit, Dimension::Quarter],
                ..IkmQuery::default()
            },
        )
        .unwrap();
        let keys: Vec<Vec<Option<String>>> = r
            .groups
            .iter()
            .map(|g| g.key.iter().map(|k| k.value.clone()).collect())
            .collect();
        let s = |a: &str, b: &str| vec![Some(a.to_string()), Some(b.to_string())];
        assert_eq!(keys, vec![s("A", "2026-Q1"), s("A", "2026-Q2"), s("B", "2026-Q1")]);
        assert_eq!(r.groups[0].respondents, 2);
        assert_eq!(r.groups[0].index.as_ref().unwrap().konversi, 37.5);
        assert_eq!(r.respondents, 4);

        for (dim, n) in [
            (Dimension::Month, 3),
            (Dimension::Semester, 1),
            (Dimension::Year, 1),
            (Dimension::Profile("jenis_kelamin".into()), 2),
            (Dimension::Profile("umur_kelompok".into()), 3),
            (Dimension::Service, 2),
        ] {
            let r = ikm(
                &f,
                &IkmQuery {
                    group_by: vec![dim.clone()],
                    ..IkmQuery::default()
                },
            )
            .unwrap();
            assert_eq!(r.groups.len(), n, "{dim}");
        }
    }

    #[test]
    fn range_and_filters_select_rows() {
        let rules = RuleSet::permenpan_14_2017();
        let f = frame(
            &rules,
            &[
                ("A", "S1", d(2026, 1, 5), all(9, 4)),
                ("A", "S1", d(2026, 4, 5), all(9, 3)),
                ("B", "S2", d(2026, 1, 31), all(9, 2)),
            ],
        );
        let q = IkmQuery {
            range: DateRange::new(d(2026, 1, 1), d(2026, 3, 31)),
            filters: vec![Filter {
                dimension: Dimension::Unit,
                values: vec!["A".into()],
            }],
            ..IkmQuery::default()
        };
        let g = one_group(&f, &q);
        assert_eq!(g.respondents, 1);
        assert_eq!(g.index.unwrap().konversi, 100.0);
        let q = IkmQuery {
            range: DateRange::new(d(2027, 1, 1), d(2027, 3, 31)),
            ..IkmQuery::default()
        };
        assert!(ikm(&f, &q).unwrap().groups.is_empty());
    }

    #[test]
    fn populations_flag_small_samples_and_narrow_the_interval() {
        let rules = RuleSet::permenpan_14_2017();
        let rows: Vec<_> = (0..30)
            .map(|i| ("A", "S1", d(2026, 1, 5), all(9, 1 + (i % 4) as u8)))
            .collect();
        let f = frame(&rules, &rows);
        let key = BTreeMap::from([("unit".to_string(), "A".to_string())]);
        let base = IkmQuery {
            group_by: vec![Dimension::Unit],
            ..IkmQuery::default()
        };
        let q = IkmQuery {
            populations: vec![Population {
                key: key.clone(),
                population: 100,
            }],
            ..base.clone()
        };
        let g = ikm(&f, &q).unwrap().groups.remove(0);
        assert_eq!(
            g.sample,
            Some(SampleCheck {
                population: 100,
                required: 80,
                collected: 30,
                below_required: true
            })
        );
        let plain = ikm(&f, &base).unwrap().groups.remove(0);
        assert!(plain.sample.is_none());
        let (a, b) = (g.index.unwrap().ci.unwrap(), plain.index.unwrap().ci.unwrap());
        assert!(a.standard_error < b.standard_error);
        let q = IkmQuery {
            populations: vec![Population { key, population: 30 }],
            ..base
        };
        let g = ikm(&f, &q).unwrap().groups.remove(0);
        assert!(!g.sample.unwrap().below_required);
    }

    #[test]
    fn previous_period_change_and_noise() {
        let rules = RuleSet::permenpan_14_2017();
        let mut rows = Vec::new();
        for i in 0..40 {
            rows.push(("A", "S", d(2026, 1, 10), all(9, 2 + (i % 2) as u8)));
            rows.push(("A", "S", d(2026, 2, 10), all(9, 3 + (i % 2) as u8)));
            rows.push(("A", "S", d(2026, 3, 10), all(9, 3 + (i % 2) as u8)));
        }
        let f = frame(&rules, &rows);
        let q = IkmQuery {
            group_by: vec![Dimension::Unit, Dimension::Month],
            range: DateRange::new(d(2026, 2, 1), d(2026, 3, 31)),
            compare: Some(Comparison::Previous),
            ..IkmQuery::default()
        };
        let r = ikm(&f, &q).unwrap();
        assert_eq!(r.groups.len(), 2);
        let feb = r.groups[0].previous.as_ref().unwrap();
        assert_eq!(feb.previous_key[1].value.as_deref(), Some("2026-01"));
        assert_eq!(feb.previous_konversi, Some(62.5));
        assert_eq!(feb.change, Some(25.0));
        assert_eq!(feb.exceeds_noise, Some(true));
        let mar = r.groups[1].previous.as_ref().unwrap();
        assert_eq!(mar.change, Some(0.0));
        assert_eq!(mar.exceeds_noise, Some(false));
        assert_eq!(r.comparison_range, Some(DateRange::new(d(2026, 1, 1), d(2026, 2, 28))));

        // a custom range compares with the range of the same length before it
        let q = IkmQuery {
            range: DateRange::new(d(2026, 2, 1), d(2026, 2, 28)),
            compare: Some(Comparison::Previous),
            ..IkmQuery::default()
        };
        let g = ikm(&f, &q).unwrap().groups.remove(0);
        assert_eq!(g.previous.unwrap().previous_konversi, Some(62.5));

        // without a range or time grouping there is nothing to compare with
        let q = IkmQuery {
            compare: Some(Comparison::Previous),
            ..IkmQuery::default()
        };
        assert!(matches!(ikm(&f, &q), Err(AnalyticsError::InvalidQuery(_))));

        // a first period has no previous data
        let q = IkmQuery {
            group_by: vec![Dimension::Month],
            compare: Some(Comparison::Previous),
            ..IkmQuery::default()
        };
        let r = ikm(&f, &q).unwrap();
        let jan = r.groups[0].previous.as_ref().unwrap();
        assert_eq!(jan.previous_respondents, 0);
        assert_eq!(jan.change, None);
        assert_eq!(r.groups[1].previous.as_ref().unwrap().change, Some(25.0));
    }

    #[test]
    fn bad_input_gets_clear_messages() {
        let rules = RuleSet::permenpan_14_2017();
        let mut b = SurveyColumns::new(&["persyaratan"], &[]);
        b.push(SurveyRow {
            unit: "A",
            service: "S",
            date: d(2026, 1, 1),
            scores: &[Some(4)],
            profile: &[],
            umur: None,
        });
        let f = b.into_frame().unwrap();
        let e = ikm(&f, &IkmQuery::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "kolom 'prosedur (unsur U2 Sistem, Mekanisme, dan Prosedur)' tidak ada di data"
        );
        let f = frame(&rules, &[("A", "S", d(2026, 1, 1), all(9, 4))]);
        let q = IkmQuery {
            group_by: vec!["pekerjaan".parse().unwrap()],
            ..IkmQuery::default()
        };
        assert_eq!(
            ikm(&f, &q).unwrap_err(),
            AnalyticsError::MissingColumn("pekerjaan".into())
        );
        assert!("unsur".parse::<Dimension>().is_err());
        assert_eq!("layanan".parse::<Dimension>().unwrap(), Dimension::Service);
    }

    #[test]
    fn out_of_range_scores_in_a_polars_frame_are_rejected() {
        let df = DataFrame::new(
            1,
            vec![
                Series::new("unit".into(), ["A"]).into_column(),
                Series::new("service".into(), ["S"]).into_column(),
                Series::new("date".into(), [20_000i32]).into_date().into_column(),
                Series::new("waktu".into(), [7i64]).into_column(),
            ],
        )
        .unwrap();
        let f = SurveyFrame::from_dataframe(df).unwrap();
        let mut rules = RuleSet::permenpan_14_2017();
        rules.elements.retain(|e| e.key == "waktu");
        let q = IkmQuery {
            rule_set: rules.clone(),
            ..IkmQuery::default()
        };
        assert_eq!(
            ikm(&f, &q).unwrap_err().to_string(),
            "nilai 7 di kolom 'waktu' di luar skala 1-4"
        );
        // the same check on UInt8 data, done inside the counting pass
        let df = DataFrame::new(
            1,
            vec![
                Series::new("unit".into(), ["A"]).into_column(),
                Series::new("service".into(), ["S"]).into_column(),
                Series::new("date".into(), [20_000i32]).into_date().into_column(),
                Series::new("waktu".into(), [0u8]).into_column(),
            ],
        )
        .unwrap();
        let f = SurveyFrame::from_dataframe(df).unwrap();
        assert_eq!(
            ikm(&f, &q).unwrap_err(),
            AnalyticsError::ScoreOutOfRange {
                column: "waktu".into(),
                value: 0
            }
        );
    }

    #[test]
    fn query_and_report_serialise() {
        let q = IkmQuery {
            group_by: vec![Dimension::Unit, Dimension::Profile("pendidikan".into())],
            compare: Some(Comparison::Previous),
            ..IkmQuery::default()
        };
        let json = serde_json::to_string(&q).unwrap();
        assert!(json.contains(r#""group_by":["unit","pendidikan"]"#), "{json}");
        let back: IkmQuery = serde_json::from_str(&json).unwrap();
        assert_eq!(back, q);
        let minimal: IkmQuery = serde_json::from_str(r#"{"group_by":["service"]}"#).unwrap();
        let documented: IkmQuery = serde_json::from_str(
            r#"{"group_by": ["unit", "triwulan"],
                "range": {"from": "2026-01-01", "to": "2026-06-30"},
                "weight": "printed3", "compare": "previous",
                "populations": [{"key": {"unit": "A", "quarter": "2026-Q1"}, "population": 1200}]}"#,
        )
        .unwrap();
        assert_eq!(documented.group_by, vec![Dimension::Unit, Dimension::Quarter]);
        assert_eq!(documented.weight, WeightMode::Printed3);
        assert_eq!(documented.compare, Some(Comparison::Previous));
        assert_eq!(documented.range.to, Some(d(2026, 6, 30)));
        let explicit: IkmQuery =
            serde_json::from_str(r#"{"compare": {"range": {"from": "2025-01-01", "to": "2025-06-30"}}}"#).unwrap();
        assert!(matches!(explicit.compare, Some(Comparison::Range(_))));
        assert_eq!(minimal.rule_set.id, crate::rules::PERMENPAN_14_2017);
        let rules = RuleSet::permenpan_14_2017();
        let f = frame(&rules, &[("A", "S", d(2026, 1, 1), all(9, 4))]);
        let r = ikm(&f, &IkmQuery::default()).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["groups"][0]["index"]["mutu"], "A");
        assert_eq!(r.kinerja(Mutu::C), "Kurang Baik");
    }
}
