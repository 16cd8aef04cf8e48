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
//!
//! The hot loop does not touch those `3 k²` sums per row. Each group keeps
//! `k (k + 1) / 2` packed 64-bit words, one per pair e ≤ f, and flushes them into
//! `n`, `dist` and `cross` every [`FLUSH_AT`] rows and before merging or finishing:
//! - the word of a pair e < f adds `L[x_e] · R[x_f]` with `L[x] = 1 + x·2¹⁶` and
//!   `R[x] = 1 + x·2³²` (both 0 when unanswered), whose four 16-bit fields are then
//!   `M1[e][f]`, `M2[f][e]`, `M2[e][f]` and `M3[e][f]` (M1 and M3 are symmetric);
//! - the word of the pair e = e counts each score 1-4 in its own 16-bit field
//!   (`dist`, and from it the diagonal of M1, M2 and M3).
//!
//! A field grows by at most 16 per row, so 4095 rows fit in 16 bits. Rows come one by
//! one ([`IkmAccumulator::push`]) or as a typed batch ([`IkmAccumulator::push_rows`]),
//! whose label columns are dictionary codes: a label is looked up once per batch,
//! and a row's group is found in a dense table of its codes, not by hashing text.

use polars_core::prelude::PlHashMap;

use super::TEXT_SLOTS;
use super::batch::{Labels, Rows};
use crate::calendar::{DateRange, Period, from_epoch_days};
use crate::error::{AnalyticsError, Result};
use crate::frame::{COL_UMUR_KELOMPOK, age_band};
use crate::ikm::{Agg, Dimension, IkmQuery, WeightMode, WeightUsed};

/// Rows a group's packed words take before they are flushed (16-bit fields, at most
/// 16 added per row).
const FLUSH_AT: u16 = 4095;
/// Packed word of a diagonal pair: one 16-bit count per score 1-4.
const DIAG: [u64; 8] = [0, 1, 1 << 16, 1 << 32, 1 << 48, 0, 0, 0];
/// Left factor of an off-diagonal pair: answered, and the score in bits 16-31.
const LEFT: [u64; 8] = [0, 1 | 1 << 16, 1 | 2 << 16, 1 | 3 << 16, 1 | 4 << 16, 0, 0, 0];
/// Right factor: answered, and the score in bits 32-47.
const RIGHT: [u64; 8] = [0, 1 | 1 << 32, 1 | 2 << 32, 1 | 3 << 32, 1 | 4 << 32, 0, 0, 0];
/// Largest table of dimension codes a batch finds its groups in (else a hash).
const DENSE_MAX: usize = 1 << 18;

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
    /// `[g][pair]`: packed sums not yet in `n`, `dist`, `cross` (see the module docs).
    pending: Vec<u64>,
    /// Rows in `pending` per group.
    pending_rows: Vec<u16>,
    /// `k (k + 1) / 2`
    pairs: usize,
    /// Right factors of the row being added.
    right: Vec<u64>,
    /// Scratch of [`Self::push_rows`], reused from batch to batch.
    scratch: BatchScratch,
    /// Group of each combination of dimension codes (`u32::MAX`: not met yet), when
    /// the combinations are few; laid out for the label counts in `dense_sizes`.
    dense: Vec<u32>,
    dense_sizes: Vec<usize>,
}

/// Per-row work space of a batch.
#[derive(Default)]
struct BatchScratch {
    take: Vec<bool>,
    /// `[dimension][row]` codes.
    codes: Vec<u32>,
    table: Vec<u32>,
    days: Vec<u32>,
    /// Group of each row (`u32::MAX`: left out).
    groups: Vec<u32>,
    /// Counting sort of the rows by group: where each group's rows start, the next
    /// free place of each, and the rows in group order.
    starts: Vec<u32>,
    fill: Vec<u32>,
    order: Vec<u32>,
    /// The kept rows' scores in group order.
    sorted: Vec<u8>,
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
            pending: Vec::new(),
            pending_rows: Vec::new(),
            pairs: k * (k + 1) / 2,
            right: vec![0; k],
            scratch: BatchScratch::default(),
            dense: Vec::new(),
            dense_sizes: Vec::new(),
        })
    }

    #[cfg_attr(not(test), allow(dead_code))]
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
    #[cfg_attr(not(test), allow(dead_code))]
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
        let g = self.find_group();
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
        self.pending.resize(self.pending.len() + self.pairs, 0);
        self.pending_rows.push(0);
        g
    }

    /// Adds one row's scores to group `g`'s packed words.
    #[inline]
    fn add(&mut self, g: usize, scores: &[u8]) {
        let k = self.k;
        let scores = &scores[..k];
        debug_assert!(scores.iter().all(|s| *s <= 4));
        for (r, s) in self.right.iter_mut().zip(scores) {
            *r = RIGHT[usize::from(s & 7)];
        }
        let words = &mut self.pending[g * self.pairs..(g + 1) * self.pairs];
        let mut at = 0;
        for (e, &s) in scores.iter().enumerate() {
            let s = usize::from(s & 7);
            words[at] += DIAG[s];
            let left = LEFT[s];
            let rest = &mut words[at + 1..at + k - e];
            for (w, r) in rest.iter_mut().zip(&self.right[e + 1..]) {
                *w += left * r;
            }
            at += k - e;
        }
        self.pending_rows[g] += 1;
        if self.pending_rows[g] == FLUSH_AT {
            self.flush(g);
        }
    }

    /// Moves group `g`'s packed words into `n`, `dist` and `cross`.
    fn flush(&mut self, g: usize) {
        let rows = std::mem::take(&mut self.pending_rows[g]);
        if rows == 0 {
            return;
        }
        self.n[g] += u64::from(rows);
        let (k, kk) = (self.k, self.k * self.k);
        let words = &mut self.pending[g * self.pairs..(g + 1) * self.pairs];
        let dist = &mut self.dist[g * k * 4..(g + 1) * k * 4];
        let cross = &mut self.cross[g * 3 * kk..(g + 1) * 3 * kk];
        let field = |w: u64, i: u32| (w >> (16 * i)) & 0xFFFF;
        let mut at = 0;
        for e in 0..k {
            let w = std::mem::take(&mut words[at]);
            let (mut count, mut sum, mut squares) = (0, 0, 0);
            for s in 0..4u32 {
                let c = field(w, s);
                let v = u64::from(s) + 1;
                dist[e * 4 + s as usize] += c;
                count += c;
                sum += v * c;
                squares += v * v * c;
            }
            cross[e * k + e] += count;
            cross[kk + e * k + e] += sum;
            cross[2 * kk + e * k + e] += squares;
            for f in e + 1..k {
                let w = std::mem::take(&mut words[at + f - e]);
                let (m1, m2_fe, m2_ef, m3) = (field(w, 0), field(w, 1), field(w, 2), field(w, 3));
                cross[e * k + f] += m1;
                cross[f * k + e] += m1;
                cross[kk + e * k + f] += m2_ef;
                cross[kk + f * k + e] += m2_fe;
                cross[2 * kk + e * k + f] += m3;
                cross[2 * kk + f * k + e] += m3;
            }
            at += k - e;
        }
    }

    /// Flushes every group (before the sums are read or merged).
    fn flush_all(&mut self) {
        for g in 0..self.n.len() {
            self.flush(g);
        }
    }

    /// Adds one accepted row: its epoch day, scores (0 = unanswered, else 1–4, one
    /// per element of the rule set), text slots and age. Rows outside the range or
    /// the filters are left out.
    // Row by row: the readers add typed batches ([`Self::push_rows`]); this stays
    // for callers that have one row at a time.
    #[cfg_attr(not(test), allow(dead_code))]
    #[inline]
    pub(crate) fn push(&mut self, day: i32, scores: &[u8], texts: &[Option<&str>; TEXT_SLOTS], umur: Option<u32>) {
        if day < self.lo || day > self.hi {
            return;
        }
        if !self.filters.is_empty() && !self.passes_filters(day, texts, umur) {
            return;
        }
        let g = self.group_of(day, texts, umur);
        self.add(g, scores);
    }

    /// Lays the dense table out for `sizes` labels per dimension (`cells` entries, or
    /// none when there would be too many) and fills in the groups met so far.
    fn rebuild_dense(&mut self, sizes: &[usize], cells: Option<usize>) {
        self.dense.clear();
        self.dense_sizes = sizes.to_vec();
        let Some(cells) = cells else {
            return;
        };
        self.dense.resize(cells, u32::MAX);
        let d = sizes.len();
        for g in 0..self.n.len() {
            let codes = &self.group_codes[g * d..(g + 1) * d];
            let at = (0..d).fold(0, |at, j| at * sizes[j] + codes[j] as usize);
            self.dense[at] = g as u32;
        }
    }

    /// The group of the codes in `self.key`, made when first seen.
    fn find_group(&mut self) -> u32 {
        match self.groups.get(&self.key[..]) {
            Some(g) => *g,
            None => self.new_group(),
        }
    }

    /// Adds the kept rows of a typed batch that fall in the range and the filters:
    /// the same sums as [`Self::push`] row by row, with each label looked up once.
    pub(crate) fn push_rows(&mut self, rows: &Rows<'_>) {
        let (n, k, d) = (rows.len, self.k, self.sources.len());
        let mut s = std::mem::take(&mut self.scratch);
        s.take.clear();
        s.take
            .extend((0..n).map(|r| rows.keep[r] && (self.lo..=self.hi).contains(&rows.days[r])));
        for (src, values) in &self.filters {
            filter_rows(*src, values, rows, &mut s.take);
        }
        s.codes.clear();
        s.codes.resize(d * n, 0);
        for j in 0..d {
            let codes = &mut s.codes[j * n..(j + 1) * n];
            let dict = &mut self.dicts[j];
            match self.sources[j] {
                Source::Text(i) => match rows.texts[i] {
                    Labels::Same(label) => codes.fill(dict.text_code(label)),
                    Labels::Coded { codes: local, labels } => {
                        s.table.clear();
                        s.table.extend(labels.iter().map(|l| dict.text_code(*l)));
                        for (r, code) in codes.iter_mut().enumerate() {
                            if s.take[r] {
                                *code = s.table[local[r] as usize];
                            }
                        }
                    }
                },
                Source::Period(p) => {
                    let taken = || (0..n).filter(|r| s.take[*r]).map(|r| rows.days[r]);
                    let (lo, hi) = (taken().min().unwrap_or(0), taken().max().unwrap_or(0));
                    // A table over the batch's days when they span less than a few
                    // years, as survey files do.
                    let span = i64::from(hi) - i64::from(lo);
                    s.days.clear();
                    if span < 1 << 14 {
                        s.days.resize(span as usize + 1, u32::MAX);
                    }
                    for (r, code) in codes.iter_mut().enumerate() {
                        if !s.take[r] {
                            continue;
                        }
                        let day = rows.days[r];
                        *code = match s.days.get_mut((day - lo) as usize) {
                            Some(slot) if *slot != u32::MAX => *slot,
                            Some(slot) => {
                                *slot = dict.day_code(p, day);
                                *slot
                            }
                            None => dict.day_code(p, day),
                        };
                    }
                }
                Source::AgeBand => {
                    for (r, code) in codes.iter_mut().enumerate() {
                        *code = band_code(rows.umur.and_then(|u| u[r]));
                    }
                }
            }
        }
        // Each row's group: a dense table of the dimension codes when it is small,
        // kept from batch to batch (the codes are the accumulator's own) and rebuilt
        // only when a dimension met new labels.
        let sizes: Vec<usize> = self.dicts.iter().map(|dict| dict.labels.len().max(1)).collect();
        let cells = sizes
            .iter()
            .try_fold(1usize, |acc, s| acc.checked_mul(*s).filter(|c| *c <= DENSE_MAX));
        if self.dense_sizes != sizes || self.dense.len() != cells.unwrap_or(0) {
            self.rebuild_dense(&sizes, cells);
        }
        s.groups.clear();
        for r in 0..n {
            if !s.take[r] {
                s.groups.push(u32::MAX);
                continue;
            }
            let g = if cells.is_some() {
                let at = (0..d).fold(0, |at, j| at * sizes[j] + s.codes[j * n + r] as usize);
                if self.dense[at] == u32::MAX {
                    for j in 0..d {
                        self.key[j] = s.codes[j * n + r];
                    }
                    self.dense[at] = self.find_group();
                }
                self.dense[at]
            } else {
                for j in 0..d {
                    self.key[j] = s.codes[j * n + r];
                }
                self.find_group()
            };
            s.groups.push(g);
        }
        // Rows added group by group (a counting sort of the batch): a group's packed
        // words stay in the cache over its run instead of being fetched again for
        // every row, which was most of the time on files of thousands of groups.
        let groups = self.n.len();
        s.starts.clear();
        s.starts.resize(groups + 1, 0);
        for &g in &s.groups {
            if g != u32::MAX {
                s.starts[g as usize + 1] += 1;
            }
        }
        for g in 0..groups {
            s.starts[g + 1] += s.starts[g];
        }
        let taken = s.starts[groups] as usize;
        s.order.clear();
        s.order.resize(taken, 0);
        s.fill.clear();
        s.fill.extend_from_slice(&s.starts[..groups]);
        for (r, &g) in s.groups.iter().enumerate() {
            if g != u32::MAX {
                let at = &mut s.fill[g as usize];
                s.order[*at as usize] = r as u32;
                *at += 1;
            }
        }
        // The scores gathered in that order first, in a loop of independent loads the
        // processor overlaps, so the adding loop below reads them in sequence.
        s.sorted.clear();
        s.sorted.reserve(taken * k);
        for &r in &s.order {
            let r = r as usize;
            s.sorted.extend_from_slice(&rows.scores[r * k..(r + 1) * k]);
        }
        for g in 0..groups {
            let (from, to) = (s.starts[g] as usize, s.starts[g + 1] as usize);
            for row in s.sorted[from * k..to * k].chunks_exact(k) {
                self.add(g, row);
            }
        }
        self.scratch = s;
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
        let mut other = other;
        other.flush_all();
        self.flush_all();
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
            let g = self.find_group() as usize;
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
    pub(crate) fn finish(mut self, weight: &WeightUsed) -> Agg {
        self.flush_all();
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

/// Clears `take` for the rows whose label fails a filter.
fn filter_rows(src: Source, values: &[String], rows: &Rows<'_>, take: &mut [bool]) {
    let allowed = |label: Option<&str>| label.is_some_and(|l| values.iter().any(|v| v == l));
    match src {
        Source::Text(i) => match rows.texts[i] {
            Labels::Same(label) => {
                if !allowed(label) {
                    take.fill(false);
                }
            }
            Labels::Coded { codes, labels } => {
                let ok: Vec<bool> = labels.iter().map(|l| allowed(*l)).collect();
                for (t, c) in take.iter_mut().zip(codes) {
                    *t = *t && ok[*c as usize];
                }
            }
        },
        Source::Period(p) => {
            let mut last: Option<(i32, bool)> = None;
            for (r, t) in take.iter_mut().enumerate() {
                if !*t {
                    continue;
                }
                let day = rows.days[r];
                let ok = match last {
                    Some((d, ok)) if d == day => ok,
                    _ => allowed(Some(&p.label_of(from_epoch_days(day)))),
                };
                last = Some((day, ok));
                *t = ok;
            }
        }
        Source::AgeBand => {
            for (r, t) in take.iter_mut().enumerate() {
                *t = *t && allowed(rows.umur.and_then(|u| u[r]).map(age_band));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ikm::IkmQuery;

    /// n, dist and cross of one group summed the plain way, row by row.
    fn naive(rows: &[Vec<u8>], k: usize) -> (u64, Vec<u64>, Vec<u64>) {
        let kk = k * k;
        let (mut dist, mut cross) = (vec![0; 4 * k], vec![0; 3 * kk]);
        for x in rows {
            for e in (0..k).filter(|e| x[*e] > 0) {
                dist[e * 4 + x[e] as usize - 1] += 1;
                for f in 0..k {
                    cross[e * k + f] += u64::from(x[f] > 0);
                    cross[kk + e * k + f] += u64::from(x[f]);
                    cross[2 * kk + e * k + f] += u64::from(x[e]) * u64::from(x[f]);
                }
            }
        }
        (rows.len() as u64, dist, cross)
    }

    #[test]
    fn packed_words_flush_to_the_exact_sums() {
        // 10,000 rows in one group cross the 4,095-row flush twice; a run of 5,000
        // rows of all 4s fills the 16-bit fields as far as they go.
        let query = IkmQuery::default();
        let k = query.rule_set.elements.len();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let rows: Vec<Vec<u8>> = (0..10_000)
            .map(|i| {
                (0..k)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        if i < 5_000 { 4 } else { (x % 5) as u8 }
                    })
                    .collect()
            })
            .collect();
        let want = naive(&rows, k);
        let texts: [Option<&str>; TEXT_SLOTS] = [Some("u"), Some("s"), None, None, None];
        let mut one_by_one = IkmAccumulator::new(&query, &query.range).unwrap();
        for r in &rows {
            one_by_one.push(20_000, r, &texts, None);
        }
        let mut batched = IkmAccumulator::new(&query, &query.range).unwrap();
        let flat: Vec<u8> = rows.concat();
        for part in (0..rows.len()).step_by(3_000) {
            let len = (rows.len() - part).min(3_000);
            let keep = vec![true; len];
            let days = vec![20_000; len];
            batched.push_rows(&Rows {
                len,
                keep: &keep,
                days: &days,
                scores: &flat[part * k..(part + len) * k],
                texts: texts.map(Labels::Same),
                umur: None,
            });
        }
        for mut acc in [one_by_one, batched] {
            acc.flush_all();
            assert_eq!((acc.n[0], &acc.dist, &acc.cross), (want.0, &want.1, &want.2));
        }
    }
}
