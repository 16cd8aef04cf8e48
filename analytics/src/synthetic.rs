//! Synthetic survey data, generated straight into a frame: for the benchmark, for
//! examples and for demo installations, so none of them has to build ten million
//! `String`s first. Deterministic for a given seed.

use chrono::NaiveDate;
use polars_core::prelude::*;

use crate::calendar::to_epoch_days;
use crate::error::Result;
use crate::frame::{COL_DATE, COL_SERVICE, COL_UNIT, SurveyFrame};
use crate::rules::RuleSet;

/// Shape of a synthetic survey.
#[derive(Debug, Clone)]
pub struct SyntheticSurvey {
    /// Respondents.
    pub rows: usize,
    /// Number of units.
    pub units: usize,
    /// Services per unit.
    pub services_per_unit: usize,
    /// First response date.
    pub start: NaiveDate,
    /// Number of days responses are spread over.
    pub days: u32,
    /// Share of unanswered element scores (0..1).
    pub missing: f64,
    /// Rule set whose element columns to generate.
    pub rule_set: RuleSet,
    /// Random seed.
    pub seed: u64,
}

impl Default for SyntheticSurvey {
    fn default() -> Self {
        SyntheticSurvey {
            rows: 10_000,
            units: 20,
            services_per_unit: 25,
            start: NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date"),
            days: 365,
            missing: 0.02,
            rule_set: RuleSet::permenpan_14_2017(),
            seed: 2017,
        }
    }
}

/// SplitMix64: small, fast, good enough for test data, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
}

/// Generates the frame. Each unit has its own quality level so results differ
/// between groups; profile columns `jenis_kelamin` and `pendidikan` are included.
pub fn synthetic_survey(spec: &SyntheticSurvey) -> Result<SurveyFrame> {
    let n = spec.rows;
    let mut rng = Rng(spec.seed);
    let units: Vec<String> = (0..spec.units.max(1))
        .map(|u| format!("Unit Pelayanan {:02}", u + 1))
        .collect();
    let services: Vec<String> = (0..spec.services_per_unit.max(1))
        .map(|s| format!("Layanan Perizinan {:03}", s + 1))
        .collect();
    let mut unit_idx = Vec::with_capacity(n);
    let mut service_idx = Vec::with_capacity(n);
    let mut dates = Vec::with_capacity(n);
    let d0 = to_epoch_days(spec.start);
    for _ in 0..n {
        unit_idx.push(rng.below(units.len() as u64) as usize);
        service_idx.push(rng.below(services.len() as u64) as usize);
        dates.push(d0 + rng.below(spec.days.max(1) as u64) as i32);
    }
    let unit: StringChunked = unit_idx.iter().map(|&u| Some(units[u].as_str())).collect();
    let service: StringChunked = service_idx.iter().map(|&s| Some(services[s].as_str())).collect();
    let mut cols = vec![
        unit.with_name(COL_UNIT.into()).into_column(),
        service.with_name(COL_SERVICE.into()).into_column(),
        Int32Chunked::from_vec(COL_DATE.into(), dates).into_date().into_column(),
    ];
    let missing = (spec.missing.clamp(0.0, 1.0) * 65536.0) as u64;
    for e in &spec.rule_set.elements {
        let scores: UInt8Chunked = unit_idx
            .iter()
            .map(|&u| {
                let r = rng.next();
                if (r & 0xFFFF) < missing {
                    return None;
                }
                // unit quality shifts the distribution: better units give more 4s
                let x = ((r >> 16) % 100) as usize + u * 2;
                Some(match x {
                    0..=5 => 1,
                    6..=25 => 2,
                    26..=80 => 3,
                    _ => 4,
                })
            })
            .collect();
        cols.push(scores.with_name(e.key.as_str().into()).into_column());
    }
    let genders = ["L", "P"];
    let edu = ["SD", "SMP", "SMA/SMK", "D1-D3", "D4/S1", "S2", "S3"];
    let jk: StringChunked = (0..n)
        .map(|_| {
            let r = rng.below(20);
            (r != 0).then(|| genders[(r % 2) as usize])
        })
        .collect();
    let pd: StringChunked = (0..n)
        .map(|_| {
            let r = rng.below(8) as usize;
            edu.get(r).copied()
        })
        .collect();
    cols.push(jk.with_name("jenis_kelamin".into()).into_column());
    cols.push(pd.with_name("pendidikan".into()).into_column());
    SurveyFrame::from_dataframe(DataFrame::new(n, cols)?)
}
