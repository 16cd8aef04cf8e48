//! Per-group sums filled one row at a time, mergeable exactly, from which the IKM and
//! its interval follow without a second pass over the rows.
//!
//! The frame-based engine needs two passes: the group means first, then Σ u_i² with
//! `u_i = w Σ_e (x_ie − m_e)/n_e`. Expanding the square, that sum only needs, per
//! group and pair of elements (e, f), over the rows that answered e:
//! `M1[e][f]` = rows that also answered f, `M2[e][f]` = Σ x_f, `M3[e][f]` = Σ x_e x_f.
//! With `n_e`, `S_e` the answered count and sum of e,
//!
//! `Σ_i u_i² = w² Σ_{e,f} T_ef / (n_e² n_f²)`,
//! `T_ef = n_e n_f M3[e][f] − n_e S_f M2[f][e] − n_f S_e M2[e][f] + S_e S_f M1[e][f]`,
//!
//! where `T_ef` is computed in 128-bit integers, exactly. All sums are integers, so
//! two threads' sums add up to exactly what one pass would give.

use polars::prelude::PlHashMap;

use super::TEXT_SLOTS;
use crate::calendar::{DateRange, Period, from_epoch_days};
use crate::error::{AnalyticsError, Result};
use crate::frame::{COL_UMUR_KELOMPOK, age_band};
use crate::ikm::{Agg, Dimension, IkmQuery, WeightMode, WeightUsed};

/// Age bands in the order the frame-based engine numbers them; no age is the last code.
const BANDS: [&str; 6] = ["<20", "20-29", "30-39", "40-49", "50-59", "60+"];

/// Where a dimension's label comes from in a row.
#[derive(Clone, Copy)]
enum Source {
    /// A text slot (unit, service, profile).
    Text(usize),
    /// The period of the row's date.
    Period(Period),
    /// The band of the row's age.
    AgeBand,
}

fn source(dim: &Dimension) -> Result<Source> {
    if let Some(p) = dim.period() {
        return Ok(Source::Period(p));
    }
    Ok(match dim {
        Dimension::Unit => Source::Text(0),
        Dimension::Service => Source::Text(1),
        Dimension::Profile(p) if p == COL_UMUR_KELOMPOK => Source::AgeBand,
        Dimension::Profile(p) => match super::PROFILE.iter().position(|q| q == p) {
            Some(i) => Source::Text(2 + i),
            None => return Err(AnalyticsError::MissingColumn(p.clone())),
        },
        _ => unreachable!("time dimensions handled above"),
    })
}

/// The labels of one dimension and the code of each.
#[derive(Default)]
struct Dict {
    labels: Vec<Option<String>>,
    /// Period index of each code (time dimensions).
    periods: Vec<i32>,
    text: PlHashMap<Box<str>, u32>,
    null: Option<u32>,
    by_period: PlHashMap<i32, u32>,
    by_day: PlHashMap<i32, u32>,
    last: Option<u32>,
}

impl Dict {
    fn for_source(src: Source) -> Dict {
        let mut d = Dict::default();
        if let Source::AgeBand = src {
            d.labels = BANDS.iter().map(|b| Some((*b).to_owned())).collect();
            d.labels.push(None);
        }
        d
    }

    #[inline]
    fn text_code(&mut self, v: Option<&str>) -> u32 {
        let Some(v) = v else {
            return *self.null.get_or_insert_with(|| {
                self.labels.push(None);
                self.labels.len() as u32 - 1
            });
        };
        if let Some(c) = self.last
            && self.labels[c as usize].as_deref() == Some(v)
        {
            return c;
        }
        let code = match self.text.get(v) {
            Some(c) => *c,
            None => {
                let c = self.labels.len() as u32;
                self.labels.push(Some(v.to_owned()));
                self.text.insert(v.into(), c);
                c
            }
        };
        self.last = Some(code);
        code
    }

    fn period_code(&mut self, p: Period, index: i32) -> u32 {
        *self.by_period.entry(index).or_insert_with(|| {
            self.labels.push(Some(p.label(index)));
            self.periods.push(index);
            self.labels.len() as u32 - 1
        })
    }

    #[inline]
    fn day_code(&mut self, p: Period, day: i32) -> u32 {
        if let Some(c) = self.by_day.get(&day) {
            return *c;
        }
        let c = self.period_code(p, p.index_of(from_epoch_days(day)));
        self.by_day.insert(day, c);
        c
    }
}

fn band_code(umur: Option<u32>) -> u32 {
    match umur {
        Some(a) => BANDS.iter().position(|b| *b == age_band(a)).expect("known band") as u32,
        None => BANDS.len() as u32,
    }
}

/// Per-group sums of one date range, grouped as the query asks.
pub(crate) struct IkmAccumulator {
    dims: Vec<Dimension>,
    sources: Vec<Source>,
    dicts: Vec<Dict>,
    /// (source, allowed labels) of each filter.
    filters: Vec<(Source, Vec<String>)>,
    lo: i32,
    hi: i32,
    k: usize,
    groups: PlHashMap<Box<[u32]>, u32>,
    group_codes: Vec<u32>,
    key: Vec<u32>,
    last_group: Option<u32>,
    n: Vec<u64>,
    /// `[g][e][s-1]`
    dist: Vec<u64>,
    /// `[g][M1|M2|M3][e][f]`
    cross: Vec<u64>,
    a: Vec<u64>,
    y: Vec<u64>,
}

impl IkmAccumulator {
    /// Empty sums for `query`'s grouping, filters and rule set over `range`.
    pub(crate) fn new(query: &IkmQuery, range: &DateRange) -> Result<Self> {
        let sources = query.group_by.iter().map(source).collect::<Result<Vec<_>>>()?;
        let filters = query
            .filters
            .iter()
            .map(|f| Ok((source(&f.dimension)?, f.values.clone())))
            .collect::<Result<Vec<_>>>()?;
        let (lo, hi) = range.epoch_bounds();
        let k = query.rule_set.elements.len();
        Ok(IkmAccumulator {
            dims: query.group_by.clone(),
            dicts: sources.iter().map(|s| Dict::for_source(*s)).collect(),
            sources,
            filters,
            lo,
            hi,
            k,
            groups: PlHashMap::default(),
            group_codes: Vec::new(),
            key: vec![0; query.group_by.len()],
            last_group: None,
            n: Vec::new(),
            dist: Vec::new(),
            cross: Vec::new(),
            a: vec![0; k],
            y: vec![0; k],
        })
    }

    fn passes_filters(&self, day: i32, texts: &[Option<&str>; TEXT_SLOTS], umur: Option<u32>) -> bool {
        self.filters.iter().all(|(src, values)| {
            let label = match src {
                Source::Text(i) => texts[*i].map(str::to_owned),
                Source::Period(p) => Some(p.label_of(from_epoch_days(day))),
                Source::AgeBand => umur.map(|a| age_band(a).to_owned()),
            };
            label.is_some_and(|l| values.contains(&l))
        })
    }

    /// The group of a row, made when first seen.
    #[inline]
    fn group_of(&mut self, day: i32, texts: &[Option<&str>; TEXT_SLOTS], umur: Option<u32>) -> usize {
        for (j, src) in self.sources.iter().enumerate() {
            self.key[j] = match *src {
                Source::Text(i) => self.dicts[j].text_code(texts[i]),
                Source::Period(p) => self.dicts[j].day_code(p, day),
                Source::AgeBand => band_code(umur),
            };
        }
        if let Some(g) = self.last_group {
            let d = self.key.len();
            if self.group_codes[g as usize * d..(g as usize + 1) * d] == self.key[..] {
                return g as usize;
            }
        }
        let g = match self.groups.get(&self.key[..]) {
            Some(g) => *g,
            None => self.new_group(),
        };
        self.last_group = Some(g);
        g as usize
    }

    fn new_group(&mut self) -> u32 {
        let g = self.n.len() as u32;
        self.groups.insert(self.key.clone().into_boxed_slice(), g);
        self.group_codes.extend_from_slice(&self.key);
        self.n.push(0);
        self.dist.resize(self.dist.len() + self.k * 4, 0);
        self.cross.resize(self.cross.len() + 3 * self.k * self.k, 0);
        g
    }

    /// Adds one accepted row: its epoch day, scores (0 = unanswered, else 1–4, one
    /// per element of the rule set), text slots and age. Rows outside the range or
    /// the filters are left out.
    #[inline]
    pub(crate) fn push(&mut self, day: i32, scores: &[u8], texts: &[Option<&str>; TEXT_SLOTS], umur: Option<u32>) {
        if day < self.lo || day > self.hi {
            return;
        }
        if !self.filters.is_empty() && !self.passes_filters(day, texts, umur) {
            return;
        }
        let g = self.group_of(day, texts, umur);
        let k = self.k;
        self.n[g] += 1;
        let dist = &mut self.dist[g * k * 4..(g + 1) * k * 4];
        for (e, &s) in scores[..k].iter().enumerate() {
            let answered = s > 0;
            self.a[e] = u64::from(answered);
            self.y[e] = u64::from(s);
            if answered {
                dist[e * 4 + (s - 1) as usize] += 1;
            }
        }
        let kk = k * k;
        let cross = &mut self.cross[g * 3 * kk..(g + 1) * 3 * kk];
        let (m1, rest) = cross.split_at_mut(kk);
        let (m2, m3) = rest.split_at_mut(kk);
        let (a, y) = (&self.a[..k], &self.y[..k]);
        for e in 0..k {
            if a[e] == 0 {
                continue;
            }
            let ye = y[e];
            let r1 = &mut m1[e * k..(e + 1) * k];
            let r2 = &mut m2[e * k..(e + 1) * k];
            let r3 = &mut m3[e * k..(e + 1) * k];
            for f in 0..k {
                r1[f] += a[f];
                r2[f] += y[f];
                r3[f] += ye * y[f];
            }
        }
    }

    /// Adds a pre-aggregated cell ([`crate::ikm::cells::CellSums`], the same layout
    /// as a group here) as if its rows were pushed one by one: all of them share
    /// `day`, `texts` and `umur`. The cell must have this rule set's k elements.
    pub(crate) fn push_cell(
        &mut self,
        day: i32,
        cell: &crate::ikm::cells::CellSums,
        texts: &[Option<&str>; TEXT_SLOTS],
        umur: Option<u32>,
    ) {
        let (n, dist, cross) = cell.parts();
        if n == 0 || day < self.lo || day > self.hi {
            return;
        }
        if !self.filters.is_empty() && !self.passes_filters(day, texts, umur) {
            return;
        }
        let g = self.group_of(day, texts, umur);
        let (k, kk) = (self.k, self.k * self.k);
        self.n[g] += n;
        let add = |to: &mut [u64], from: &[u64]| to.iter_mut().zip(from).for_each(|(t, f)| *t += f);
        add(&mut self.dist[g * k * 4..(g + 1) * k * 4], dist);
        add(&mut self.cross[g * 3 * kk..(g + 1) * 3 * kk], cross);
    }

    /// Adds another worker's sums (same query and range) to these.
    pub(crate) fn merge(&mut self, other: IkmAccumulator) {
        let remaps: Vec<Vec<u32>> = other
            .dicts
            .iter()
            .zip(&self.sources)
            .enumerate()
            .map(|(j, (dict, src))| match *src {
                Source::Text(_) => dict
                    .labels
                    .iter()
                    .map(|l| self.dicts[j].text_code(l.as_deref()))
                    .collect(),
                Source::Period(p) => dict.periods.iter().map(|i| self.dicts[j].period_code(p, *i)).collect(),
                Source::AgeBand => (0..dict.labels.len() as u32).collect(),
            })
            .collect();
        let d = other.dims.len();
        let (k, kk) = (other.k, other.k * other.k);
        for og in 0..other.n.len() {
            for j in 0..d {
                self.key[j] = remaps[j][other.group_codes[og * d + j] as usize];
            }
            let g = match self.groups.get(&self.key[..]) {
                Some(g) => *g,
                None => self.new_group(),
            } as usize;
            self.n[g] += other.n[og];
            let add = |to: &mut [u64], from: &[u64]| to.iter_mut().zip(from).for_each(|(t, f)| *t += f);
            add(
                &mut self.dist[g * k * 4..(g + 1) * k * 4],
                &other.dist[og * k * 4..(og + 1) * k * 4],
            );
            add(
                &mut self.cross[g * 3 * kk..(g + 1) * 3 * kk],
                &other.cross[og * 3 * kk..(og + 1) * 3 * kk],
            );
        }
        self.last_group = None;
    }

    /// The per-group sums the report is built from.
    pub(crate) fn finish(self, weight: &WeightUsed) -> Agg {
        let (k, kk) = (self.k, self.k * self.k);
        let groups = self.n.len();
        let ss = (0..groups)
            .map(|g| {
                let dist = &self.dist[g * k * 4..(g + 1) * k * 4];
                let ne: Vec<i128> = (0..k)
                    .map(|e| dist[e * 4..e * 4 + 4].iter().sum::<u64>() as i128)
                    .collect();
                let se: Vec<i128> = (0..k)
                    .map(|e| (0..4).map(|s| (s as u64 + 1) * dist[e * 4 + s]).sum::<u64>() as i128)
                    .collect();
                let answered = ne.iter().filter(|n| **n > 0).count();
                if answered == 0 {
                    return 0.0;
                }
                let w = match weight.mode {
                    WeightMode::Exact => 1.0 / answered as f64,
                    _ => weight.value,
                };
                let c = &self.cross[g * 3 * kk..(g + 1) * 3 * kk];
                let (m1, m2, m3) = (&c[..kk], &c[kk..2 * kk], &c[2 * kk..]);
                let mut total = 0.0;
                for e in (0..k).filter(|e| ne[*e] > 0) {
                    for f in (0..k).filter(|f| ne[*f] > 0) {
                        let t = ne[e] * ne[f] * m3[e * k + f] as i128
                            - ne[e] * se[f] * m2[f * k + e] as i128
                            - ne[f] * se[e] * m2[e * k + f] as i128
                            + se[e] * se[f] * m1[e * k + f] as i128;
                        let (a, b) = (ne[e] as f64, ne[f] as f64);
                        total += t as f64 / (a * a * b * b);
                    }
                }
                // A sum of squares: never below 0 but for the rounding of the float
                // division above (a group whose answers are all alike gives -1e-18).
                (w * w * total).max(0.0)
            })
            .collect();
        let periods = self
            .sources
            .iter()
            .zip(&self.dicts)
            .map(|(src, d)| matches!(src, Source::Period(_)).then(|| d.periods.clone()))
            .collect();
        Agg {
            dims: self.dims,
            labels: self.dicts.into_iter().map(|d| d.labels).collect(),
            periods,
            group_codes: self.group_codes,
            groups,
            k,
            n: self.n,
            counts: self.dist,
            ss,
        }
    }
}
