//! The engine under [`super::ikm`]: rows to per-group sums ([`Agg`]) in two passes over
//! a frame, and per-group sums to reported figures ([`GroupStats`]).

use std::collections::HashMap;

use polars_core::prelude::*;

use super::{
    Change, ConfidenceInterval, Dimension, ElementResult, ElementScore, Filter, IkmGroup, IndexScore, KeyValue,
    SampleCheck, WeightMode, WeightUsed,
};
use crate::calendar::{DateRange, Period, from_epoch_days};
use crate::error::{AnalyticsError, Result};
use crate::frame::{COL_DATE, COL_SERVICE, COL_UMUR, COL_UMUR_KELOMPOK, COL_UNIT, SurveyFrame, age_band};
use crate::numeric::{round_half_away, t_critical_95};
use crate::par::{fill_chunks, map_ranges};
use crate::rules::RuleSet;

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

pub(super) fn element_arrays(frame: &SurveyFrame, rules: &RuleSet) -> Result<Vec<ScoreColumn>> {
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
    pub(crate) dims: Vec<Dimension>,
    pub(crate) labels: Vec<Vec<Option<String>>>,
    pub(crate) periods: Vec<Option<Vec<i32>>>,
    /// Codes of each group, `groups × dims`.
    pub(crate) group_codes: Vec<u32>,
    pub(crate) groups: usize,
    pub(crate) k: usize,
    /// Respondents per group.
    pub(crate) n: Vec<u64>,
    /// Answers per group, element and score: `[g][e][s-1]`.
    pub(crate) counts: Vec<u64>,
    /// Σ u_i² per group (linearisation of the index).
    pub(crate) ss: Vec<f64>,
}

pub(super) fn aggregate(
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
    pub(super) n: u64,
    /// `[e][s-1]`
    dist: Vec<[u64; 4]>,
    ss: f64,
    weight: f64,
    exact_weight: bool,
    population: Option<u64>,
}

/// Unrounded index figures with the standard error on the 25–100 scale.
pub(super) struct IndexFigures {
    pub(super) ikm: f64,
    pub(super) konversi: f64,
    pub(super) se: f64,
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

    /// The population the group's interval is corrected with, if any.
    pub(super) fn population(&self) -> Option<u64> {
        self.population.filter(|&p| p > 0)
    }

    /// The index figures with the group's own finite population correction (if the
    /// caller gave its population).
    pub(super) fn index_figures(&self) -> Option<IndexFigures> {
        self.index_figures_with(self.population)
    }

    /// The index figures with the finite population correction of `population`
    /// (`None`: no correction), so two periods can be compared on the same footing.
    pub(super) fn index_figures_with(&self, population: Option<u64>) -> Option<IndexFigures> {
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
        if let Some(pop) = population
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

    pub(super) fn into_group(
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
                    ElementScore::new(nrr, w, rank[e], rules)
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
    pub(super) fn code(&self, g: usize, j: usize) -> u32 {
        self.group_codes[g * self.dims.len() + j]
    }

    pub(super) fn key(&self, g: usize) -> Vec<KeyValue> {
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
    pub(super) fn index_by_labels(&self) -> HashMap<Vec<Option<String>>, usize> {
        (0..self.groups)
            .map(|g| {
                let labels = (0..self.dims.len())
                    .map(|j| self.labels[j][self.code(g, j) as usize].clone())
                    .collect();
                (labels, g)
            })
            .collect()
    }

    pub(super) fn group_stats(&self, g: usize, weight: &WeightUsed, population: Option<u64>) -> GroupStats {
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
    pub(super) fn sorted_groups(&self) -> Vec<usize> {
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
