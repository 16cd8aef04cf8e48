//! The IKM from pre-aggregated cells: exact integer sums per (unit, service, day) or
//! per (unit, service, month, profile value), as a database keeps them beside the
//! responses so a query costs in proportion to the cells, not to the respondents.
//!
//! A cell holds what [`crate::survey_file`]'s accumulator sums per group (see the
//! method there): the respondents `n`, the answers per element and score
//! (`dist[e][s-1]`), and the k×k matrices M1, M2, M3 over the rows answering
//! element e (rows also answering f, Σ x_f, Σ x_e x_f). Every figure of the report
//! (n, counts, sums, NRR, IKM, konversi, mutu and the Taylor-linearised interval) is
//! a function of these sums, and the sums of a union of disjoint sets of respondents
//! are the sums of the sums: so merging cells by integer addition gives exactly the
//! figures a pass over the rows gives, and a subtraction undoes an addition exactly.
//!
//! Stored form ([`CellSums::encode`]): a format byte (1), k, n, then the k·4
//! distribution counts and the 3·k·k matrix entries, each as an unsigned LEB128
//! varint (most values are small, so a day's cell of 9 elements takes a few hundred
//! bytes).

use chrono::{Datelike, NaiveDate};

use super::{Dimension, IkmQuery, IkmReport, baseline_plan, report};
use crate::calendar::{DateRange, to_epoch_days};
use crate::error::{AnalyticsError, Result};
use crate::frame::COL_UMUR_KELOMPOK;
use crate::survey_file::{IkmAccumulator, PROFILE, TEXT_SLOTS};

/// The version byte of [`CellSums::encode`].
pub const CELL_FORMAT: u8 = 1;

/// The profile dimensions kept per month: the three profile columns and the age band.
pub const PROFILE_DIMENSIONS: [&str; 4] = ["jenis_kelamin", "pendidikan", "pekerjaan", COL_UMUR_KELOMPOK];

/// Most elements a rule set may have in a stored cell (the regulations use 9 or 14);
/// a larger k in stored bytes means the bytes are not a cell.
const MAX_K: usize = 255;

/// The exact integer sums of one set of respondents under a rule set of k elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellSums {
    k: usize,
    n: u64,
    /// `[e][s-1]`
    dist: Vec<u64>,
    /// `[M1|M2|M3][e][f]`
    cross: Vec<u64>,
}

impl CellSums {
    /// Empty sums for a rule set of `k` elements.
    pub fn new(k: usize) -> Self {
        CellSums {
            k,
            n: 0,
            dist: vec![0; k * 4],
            cross: vec![0; 3 * k * k],
        }
    }

    /// Elements of the rule set.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Respondents counted.
    pub fn respondents(&self) -> u64 {
        self.n
    }

    /// Answers 1, 2, 3 and 4 to element `e`.
    pub fn distribution(&self, e: usize) -> [u64; 4] {
        let d = &self.dist[e * 4..e * 4 + 4];
        [d[0], d[1], d[2], d[3]]
    }

    /// The `[e][s-1]` counts, then the M1, M2, M3 matrices (row-major), as the
    /// accumulator lays them out.
    pub(crate) fn parts(&self) -> (u64, &[u64], &[u64]) {
        (self.n, &self.dist, &self.cross)
    }

    /// Whether no respondent is counted.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Adds one respondent: one score per element, 0 = unanswered, else 1–4.
    /// Refuses (and changes nothing) a wrong number of scores or a score above 4.
    pub fn add_response(&mut self, scores: &[u8]) -> Result<()> {
        let k = self.k;
        if scores.len() != k {
            return Err(AnalyticsError::LengthMismatch {
                column: "skor".into(),
                found: scores.len(),
                expected: k,
            });
        }
        if let Some((e, s)) = scores.iter().enumerate().find(|(_, s)| **s > 4) {
            return Err(AnalyticsError::ScoreOutOfRange {
                column: format!("unsur {}", e + 1),
                value: i64::from(*s),
            });
        }
        self.n += 1;
        let kk = k * k;
        for (e, &se) in scores.iter().enumerate() {
            if se == 0 {
                continue;
            }
            self.dist[e * 4 + usize::from(se - 1)] += 1;
            for (f, &sf) in scores.iter().enumerate() {
                let at = e * k + f;
                self.cross[at] += u64::from(sf > 0);
                self.cross[kk + at] += u64::from(sf);
                self.cross[2 * kk + at] += u64::from(se) * u64::from(sf);
            }
        }
        Ok(())
    }

    fn same_shape(&self, other: &CellSums) -> Result<()> {
        if self.k != other.k {
            return Err(AnalyticsError::CorruptCell(format!(
                "jumlah unsur berbeda ({} dan {})",
                self.k, other.k
            )));
        }
        Ok(())
    }

    /// Adds another cell's respondents (same rule set); refuses, changing
    /// nothing, sums that would overflow (only corrupt cells come near).
    pub fn merge(&mut self, other: &CellSums) -> Result<()> {
        self.same_shape(other)?;
        let fits = self.n.checked_add(other.n).is_some()
            && self
                .dist
                .iter()
                .zip(&other.dist)
                .all(|(a, b)| a.checked_add(*b).is_some())
            && self
                .cross
                .iter()
                .zip(&other.cross)
                .all(|(a, b)| a.checked_add(*b).is_some());
        if !fits {
            return Err(AnalyticsError::CorruptCell("jumlah meluap / sums overflow".into()));
        }
        let add = |to: &mut [u64], from: &[u64]| to.iter_mut().zip(from).for_each(|(t, f)| *t += f);
        self.n += other.n;
        add(&mut self.dist, &other.dist);
        add(&mut self.cross, &other.cross);
        Ok(())
    }

    /// Takes out respondents added before (the inverse of [`CellSums::merge`]);
    /// refuses, changing nothing, when `other` holds more than these sums.
    pub fn subtract(&mut self, other: &CellSums) -> Result<()> {
        self.same_shape(other)?;
        let fits = self.n >= other.n
            && self.dist.iter().zip(&other.dist).all(|(a, b)| a >= b)
            && self.cross.iter().zip(&other.cross).all(|(a, b)| a >= b);
        if !fits {
            return Err(AnalyticsError::CorruptCell(
                "pengurangan melebihi isi sel / subtraction exceeds the cell".into(),
            ));
        }
        let sub = |to: &mut [u64], from: &[u64]| to.iter_mut().zip(from).for_each(|(t, f)| *t -= f);
        self.n -= other.n;
        sub(&mut self.dist, &other.dist);
        sub(&mut self.cross, &other.cross);
        Ok(())
    }

    /// The same respondents under another element order: element `i` of the result
    /// is element `map[i]` of these sums, or unanswered by everyone when `None`
    /// (an element the stored rule set does not have).
    pub fn project(&self, map: &[Option<usize>]) -> CellSums {
        let (k, kk) = (self.k, self.k * self.k);
        let mut out = CellSums::new(map.len());
        let nk = map.len();
        let nkk = nk * nk;
        out.n = self.n;
        for (i, src) in map.iter().enumerate() {
            let Some(e) = *src else { continue };
            out.dist[i * 4..i * 4 + 4].copy_from_slice(&self.dist[e * 4..e * 4 + 4]);
            for (j, src_f) in map.iter().enumerate() {
                let Some(f) = *src_f else { continue };
                for m in 0..3 {
                    out.cross[m * nkk + i * nk + j] = self.cross[m * kk + e * k + f];
                }
            }
        }
        out
    }

    /// The stored form: format byte, k, n, counts, matrices, as LEB128 varints.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + self.dist.len() + self.cross.len() * 2);
        out.push(CELL_FORMAT);
        let mut put = |mut v: u64| loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        };
        put(self.k as u64);
        put(self.n);
        self.dist.iter().chain(&self.cross).for_each(|v| put(*v));
        out
    }

    /// Reads [`CellSums::encode`]'s bytes; anything else (another format, cut
    /// short, trailing bytes, counts that cannot belong together) is an error.
    pub fn decode(bytes: &[u8]) -> Result<CellSums> {
        let corrupt = |why: &str| AnalyticsError::CorruptCell(why.to_owned());
        let (&format, mut rest) = bytes.split_first().ok_or_else(|| corrupt("kosong / empty"))?;
        if format != CELL_FORMAT {
            return Err(corrupt("format tidak dikenal / unknown format"));
        }
        let mut get = || -> Result<u64> {
            let mut v: u64 = 0;
            for shift in (0..64).step_by(7) {
                let (&b, tail) = rest.split_first().ok_or_else(|| corrupt("terpotong / cut short"))?;
                rest = tail;
                let part = u64::from(b & 0x7f);
                if shift == 63 && part > 1 {
                    return Err(corrupt("angka terlalu besar / value overflows"));
                }
                v |= part << shift;
                if b & 0x80 == 0 {
                    return Ok(v);
                }
            }
            Err(corrupt("angka terlalu panjang / value too long"))
        };
        let k = get()? as usize;
        if k == 0 || k > MAX_K {
            return Err(corrupt("jumlah unsur tidak wajar / implausible element count"));
        }
        let n = get()?;
        let mut cell = CellSums::new(k);
        cell.n = n;
        for v in cell.dist.iter_mut().chain(cell.cross.iter_mut()) {
            *v = get()?;
        }
        if !rest.is_empty() {
            return Err(corrupt("bita berlebih / trailing bytes"));
        }
        let fits = (0..k).all(|e| {
            let answered = cell.dist[e * 4..e * 4 + 4]
                .iter()
                .try_fold(0u64, |a, b| a.checked_add(*b));
            answered.is_some_and(|a| a <= n && cell.cross[e * k + e] == a)
        });
        if !fits {
            return Err(corrupt("isi tidak konsisten / inconsistent sums"));
        }
        Ok(cell)
    }
}

/// One stored cell with the labels a report groups it by.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    /// Unit label (as the survey frame names it: the unit code).
    pub unit: &'a str,
    /// Service label ("" for responses without a service).
    pub service: &'a str,
    /// The day of a day cell, or the first day of the month of a profile cell.
    pub day: NaiveDate,
    /// For a profile cell: the dimension (one of [`PROFILE_DIMENSIONS`]) and the
    /// value (`None` for respondents who did not say).
    pub profile: Option<(&'a str, Option<&'a str>)>,
    /// The sums.
    pub sums: &'a CellSums,
}

/// Which cells answer a query exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellSource {
    /// Day cells (no profile dimension): any date range.
    Days,
    /// Month cells of one profile dimension: the query's range (and its baseline's)
    /// must be whole months.
    Months(String),
}

fn whole_months(range: &DateRange) -> bool {
    range.from.is_none_or(|d| d.day() == 1) && range.to.is_none_or(|d| d.succ_opt().is_none_or(|n| n.day() == 1))
}

/// Which cells can answer `query` exactly, or `None` when only the responses can
/// (several profile dimensions, a profile the cells do not keep, or a profile over a
/// range that is not whole months).
pub fn cell_source(query: &IkmQuery) -> Option<CellSource> {
    let mut profiles: Vec<&str> = query
        .group_by
        .iter()
        .chain(query.filters.iter().map(|f| &f.dimension))
        .filter_map(|d| match d {
            Dimension::Profile(p) => Some(p.as_str()),
            _ => None,
        })
        .collect();
    profiles.sort_unstable();
    profiles.dedup();
    match profiles[..] {
        [] => Some(CellSource::Days),
        [p] if PROFILE_DIMENSIONS.contains(&p) => {
            let baseline_whole = match baseline_plan(query) {
                Ok(plan) => plan.aggregate.is_none_or(|r| whole_months(&r)),
                // The cells give the same refusal as the rows.
                Err(_) => true,
            };
            (whole_months(&query.range) && baseline_whole).then(|| CellSource::Months(p.to_owned()))
        }
        _ => None,
    }
}

/// An age inside a band label, so the accumulator puts a band cell in its band.
fn band_age(band: &str) -> Result<u32> {
    Ok(match band {
        "<20" => 10,
        "20-29" => 20,
        "30-39" => 30,
        "40-49" => 40,
        "50-59" => 50,
        "60+" => 60,
        other => {
            return Err(AnalyticsError::CorruptCell(format!(
                "kelompok umur {other:?} tidak dikenal"
            )));
        }
    })
}

/// The IKM report of `query` from cells: the same figures as [`super::ikm`] over the
/// respondents the cells count (group for group: counts and sums exactly, the
/// interval up to float rounding), with the same grouping, filters, populations and
/// comparison. `source` says which cells to use ([`cell_source`]); cells of another
/// kind in `cells` are skipped, so a caller may hand in a mixed list.
pub fn ikm_from_cells<'a>(
    query: &IkmQuery,
    source: &CellSource,
    cells: impl IntoIterator<Item = Cell<'a>>,
) -> Result<IkmReport> {
    let rules = &query.rule_set;
    rules.validate()?;
    let k = rules.elements.len();
    let weight = query.weight.resolve(k);
    let mut now = IkmAccumulator::new(query, &query.range)?;
    let plan = baseline_plan(query)?;
    let mut base = plan
        .aggregate
        .as_ref()
        .map(|r| IkmAccumulator::new(query, r))
        .transpose()?;
    let wants_age = matches!(source, CellSource::Months(d) if d == COL_UMUR_KELOMPOK);
    let mut ages = false;
    for c in cells {
        let profile = match (source, c.profile) {
            (CellSource::Days, None) => None,
            (CellSource::Months(want), Some((d, v))) if d == want => Some((d, v)),
            _ => continue,
        };
        if c.sums.k != k {
            return Err(AnalyticsError::CorruptCell(format!(
                "sel berisi {} unsur, aturan {} punya {k}",
                c.sums.k, rules.id
            )));
        }
        let mut texts: [Option<&str>; TEXT_SLOTS] = [Some(c.unit), Some(c.service), None, None, None];
        let mut umur = None;
        if let Some((d, v)) = profile {
            if d == COL_UMUR_KELOMPOK {
                umur = v.map(band_age).transpose()?;
                ages |= umur.is_some();
            } else if let Some(i) = PROFILE.iter().position(|p| *p == d) {
                texts[2 + i] = v;
            }
        }
        let day = to_epoch_days(c.day);
        now.push_cell(day, c.sums, &texts, umur);
        if let Some(b) = base.as_mut() {
            b.push_cell(day, c.sums, &texts, umur);
        }
    }
    if wants_age && !ages {
        // As the frame-based path: without any age there is no age column.
        return Err(AnalyticsError::MissingColumn(COL_UMUR_KELOMPOK.into()));
    }
    let agg = now.finish(&weight);
    let base = base.map(|b| b.finish(&weight));
    Ok(report(query, &weight, agg, base, plan.comparison_range))
}

#[cfg(test)]
mod tests;
