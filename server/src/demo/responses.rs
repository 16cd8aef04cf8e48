//! Synthetic SKM responses for the demo, made chunk by chunk in date order.
//!
//! A demo year of 10,000,000 responses does not fit comfortably in memory as
//! [`NewSurveyResponse`] values (each owns its scores map), so [`ResponseStream`]
//! hands them out a chunk at a time. The year's total is first spread over its days
//! (weekdays busy, weekends quiet, each day with its own jitter), then each day's
//! responses are made in turn: the stored rows arrive in date order, as real ones do,
//! which also keeps the database's (unit, service, date) index appends local.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::generate::pick;
use super::{DemoOptions, DemoUnit};
use crate::domain::SurveySource;
use crate::storage::model::{NewSurveyResponse, RespondentProfile, SurveyRuleSet};

const SOURCES: &[(SurveySource, u32)] = &[
    (SurveySource::Kiosk, 40),
    (SurveySource::Web, 20),
    (SurveySource::Qr, 20),
    (SurveySource::Paper, 20),
];

const PENDIDIKAN: &[(&str, u32)] = &[
    ("SD", 5),
    ("SMP", 10),
    ("SMA/SMK", 40),
    ("D1-D3", 12),
    ("D4/S1", 28),
    ("S2", 4),
    ("S3", 1),
];

const PEKERJAAN: &[(&str, u32)] = &[
    ("PNS", 12),
    ("TNI/Polri", 3),
    ("Swasta", 30),
    ("Wirausaha", 25),
    ("Pelajar/Mahasiswa", 10),
    ("Lainnya", 20),
];

const SARAN: &[&str] = &[
    "Mohon ruang tunggu diperluas.",
    "Pelayanan sudah baik, pertahankan.",
    "Informasi persyaratan sebaiknya dipasang di papan pengumuman.",
    "Proses agar dipercepat.",
    "Petugas ramah dan membantu.",
];

/// The demo's survey responses, `options.responses` of them over the 365 days ending
/// at `options.end_date`, made on demand. Each unit and service has its own quality
/// level and each element its own offset, so the IKM varies believably between
/// services, elements and months. The same seed, sizes and end date always give the
/// same responses in the same order, whatever the chunk sizes asked for.
pub struct ResponseStream {
    rng: ChaCha8Rng,
    /// (unit id, service id, quality level).
    services: Vec<(i64, Option<i64>, f64)>,
    /// (element key, offset from the service's level).
    element_offsets: Vec<(String, f64)>,
    rule_set_id: i64,
    end_date: NaiveDate,
    /// (day, responses on it), oldest first.
    days: Vec<(NaiveDate, u64)>,
    day: usize,
    made_today: u64,
    made: u64,
    total: u64,
}

impl ResponseStream {
    /// Plans the year: draws each service's level and each element's offset, then
    /// spreads the total over the days.
    pub fn new(units: &[DemoUnit], rule_set: &SurveyRuleSet, options: &DemoOptions) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ 0x5eed_5eed);
        let services: Vec<(i64, Option<i64>, f64)> = units
            .iter()
            .flat_map(|u| u.services.iter().map(move |s| (u.id, Some(s.0))))
            .map(|(unit, service)| (unit, service, rng.random_range(2.85..3.55)))
            .collect();
        let element_offsets = rule_set
            .elements
            .iter()
            .map(|e| {
                let offset = match e.key.as_str() {
                    "waktu" => -0.25,
                    "pengaduan" => -0.2,
                    "sarana" => -0.1,
                    "biaya" => 0.3,
                    "perilaku" => 0.1,
                    _ => rng.random_range(-0.1..0.1),
                };
                (e.key.clone(), offset)
            })
            .collect();
        let total = options.responses as u64;
        let days = spread_over_days(&mut rng, options.end_date, total);
        Self {
            rng,
            services,
            element_offsets,
            rule_set_id: rule_set.id,
            end_date: options.end_date,
            days,
            day: 0,
            made_today: 0,
            made: 0,
            total,
        }
    }

    /// How many responses the stream makes in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The next at most `max` responses (at least one while any are left); `None`
    /// once all are made.
    pub fn next_chunk(&mut self, max: usize) -> Option<Vec<NewSurveyResponse>> {
        if self.made == self.total || max == 0 || self.services.is_empty() {
            return None;
        }
        let mut out = Vec::with_capacity(max.min((self.total - self.made) as usize));
        while out.len() < max && self.day < self.days.len() {
            let (day, count) = self.days[self.day];
            if self.made_today == count {
                self.day += 1;
                self.made_today = 0;
                continue;
            }
            out.push(self.response(day));
            self.made_today += 1;
            self.made += 1;
        }
        (!out.is_empty()).then_some(out)
    }

    /// One respondent's answers on `day`.
    fn response(&mut self, day: NaiveDate) -> NewSurveyResponse {
        let rng = &mut self.rng;
        let (unit_id, service_id, level) = self.services[rng.random_range(0..self.services.len())];
        // Services improve a little over the year.
        let trend = 0.15 * (1.0 - (self.end_date - day).num_days() as f64 / 365.0);
        let mut scores = std::collections::BTreeMap::new();
        for (key, offset) in &self.element_offsets {
            // About one answer in two hundred is left blank.
            if rng.random_bool(0.995) {
                let mean = level + offset + trend + rng.random_range(-0.6..0.6);
                scores.insert(key.clone(), mean.round().clamp(1.0, 4.0) as i64);
            }
        }
        NewSurveyResponse {
            unit_id,
            service_id,
            rule_set_id: self.rule_set_id,
            responded_on: day,
            source: *pick(rng, SOURCES),
            import_key: None,
            scores,
            profile: RespondentProfile {
                jenis_kelamin: rng
                    .random_bool(0.95)
                    .then(|| if rng.random_bool(0.5) { "L" } else { "P" }.to_owned()),
                umur: rng.random_bool(0.9).then(|| rng.random_range(17..70)),
                pendidikan: rng.random_bool(0.9).then(|| (*pick(rng, PENDIDIKAN)).to_owned()),
                pekerjaan: rng.random_bool(0.9).then(|| (*pick(rng, PEKERJAAN)).to_owned()),
            },
            saran: rng
                .random_bool(0.05)
                .then(|| SARAN[rng.random_range(0..SARAN.len())].to_owned()),
        }
    }
}

impl Iterator for ResponseStream {
    type Item = NewSurveyResponse;

    fn next(&mut self) -> Option<NewSurveyResponse> {
        self.next_chunk(1).and_then(|mut one| one.pop())
    }
}

/// Splits `total` over the 365 days ending at `end`, oldest first: a weekday weighs
/// 20, a weekend day 3 (as many come in at weekends as the complaint generator's
/// 15 %), each times a jitter of 80-120 %. The counts add up to `total` exactly.
fn spread_over_days(rng: &mut ChaCha8Rng, end: NaiveDate, total: u64) -> Vec<(NaiveDate, u64)> {
    let weighted: Vec<(NaiveDate, u64)> = (0..365)
        .rev()
        .map(|back| {
            let day = end - Duration::days(back);
            let base = if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                3
            } else {
                20
            };
            (day, base * rng.random_range(80..=120u64))
        })
        .collect();
    let sum: u128 = weighted.iter().map(|(_, w)| u128::from(*w)).sum();
    let mut cumulative = 0u128;
    let mut given = 0u64;
    weighted
        .into_iter()
        .map(|(day, weight)| {
            cumulative += u128::from(weight);
            let upto = (u128::from(total) * cumulative / sum) as u64;
            let count = upto - given;
            given = upto;
            (day, count)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(responses: usize) -> (Vec<DemoUnit>, SurveyRuleSet, DemoOptions) {
        let units = (1..=2)
            .map(|u| DemoUnit {
                id: u,
                code: format!("unit-{u}"),
                agenda_format: String::new(),
                services: (0..3).map(|s| (u * 10 + s, format!("layanan {s}"), None)).collect(),
            })
            .collect();
        let rule_set = SurveyRuleSet::seeded(1, &analytics::RuleSet::permenpan_14_2017(), true);
        let options = DemoOptions {
            seed: 2026,
            complaints: 0,
            responses,
            end_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        };
        (units, rule_set, options)
    }

    #[test]
    fn the_same_seed_gives_the_same_responses_whatever_the_chunk_size() {
        let (units, rule_set, options) = fixture(5_003);
        let one_by_one: Vec<NewSurveyResponse> = ResponseStream::new(&units, &rule_set, &options).collect();
        let mut chunked = Vec::new();
        let mut stream = ResponseStream::new(&units, &rule_set, &options);
        while let Some(chunk) = stream.next_chunk(997) {
            assert!(chunk.len() <= 997);
            chunked.extend(chunk);
        }
        assert_eq!(one_by_one.len(), 5_003);
        assert_eq!(format!("{one_by_one:?}"), format!("{chunked:?}"));
        let other_seed = DemoOptions { seed: 2027, ..options };
        let other: Vec<NewSurveyResponse> = ResponseStream::new(&units, &rule_set, &other_seed).collect();
        assert_ne!(format!("{one_by_one:?}"), format!("{other:?}"));
    }

    #[test]
    fn responses_cover_the_year_in_date_order_with_quiet_weekends() {
        let (units, rule_set, options) = fixture(36_500);
        let responses: Vec<NewSurveyResponse> = ResponseStream::new(&units, &rule_set, &options).collect();
        assert_eq!(responses.len(), 36_500);
        assert!(responses.windows(2).all(|w| w[0].responded_on <= w[1].responded_on));
        let first = options.end_date - Duration::days(364);
        assert_eq!(responses[0].responded_on, first);
        assert_eq!(responses[responses.len() - 1].responded_on, options.end_date);
        let weekend = responses
            .iter()
            .filter(|r| matches!(r.responded_on.weekday(), Weekday::Sat | Weekday::Sun))
            .count();
        // 104 or 105 weekend days at 3/20 of a weekday's weight: 312 of 5,532, 5.6 %.
        assert!((1_700..2_400).contains(&weekend), "{weekend} weekend responses");
        for r in &responses {
            assert!(!r.scores.is_empty() && r.scores.values().all(|s| (1..=4).contains(s)));
            assert!(
                units
                    .iter()
                    .any(|u| u.id == r.unit_id && u.services.iter().any(|s| Some(s.0) == r.service_id))
            );
        }
    }

    #[test]
    fn day_counts_add_up_to_the_total() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let end = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        for total in [0, 1, 364, 365, 10_000_000] {
            let days = spread_over_days(&mut rng, end, total);
            assert_eq!(days.len(), 365);
            assert_eq!(days.iter().map(|d| d.1).sum::<u64>(), total);
        }
    }
}
