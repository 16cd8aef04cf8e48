//! Demo data: the four agencies of the seed documents with their real service
//! catalogs, plus twelve months of synthetic complaints and survey responses.
//!
//! Everything random comes from one ChaCha generator seeded by `--seed`, so the same
//! seed, sizes and end date always give the same data (ChaCha's output is fixed by
//! its specification, unlike `StdRng`).

pub mod accounts;
mod generate;
mod responses;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::storage::model::{NewService, NewUnit};
use crate::storage::{BulkSurveyChunk, Store, StoreError};

pub use generate::{ComplaintPlan, UnitClock, generate_complaints, generate_complaints_on, unit_clocks};
pub use responses::ResponseStream;

/// Responses per chunk of the streamed load: a few megabytes of rows, so that making
/// the next chunk overlaps storing the previous one without holding many in memory.
const RESPONSE_CHUNK: usize = 10_000;

/// The seed agencies, transcribed from ../shared/seeds (see the file's comments).
const AGENCIES_TOML: &str = include_str!("agencies.toml");

/// How much demo data to make.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Seed of the random generator.
    pub seed: u64,
    /// Number of complaints.
    pub complaints: usize,
    /// Number of survey responses.
    pub responses: usize,
    /// Last day of the twelve months covered.
    pub end_date: NaiveDate,
}

/// What was loaded.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    /// Units created.
    pub units: usize,
    /// Services created.
    pub services: usize,
    /// Complaints loaded.
    pub complaints: usize,
    /// Survey responses loaded.
    pub survey_responses: usize,
}

/// One agency as written in `agencies.toml`: the unit, its divisions and catalog.
#[derive(Debug, Clone, Deserialize)]
pub struct AgencySeed {
    /// The unit itself.
    #[serde(flatten)]
    pub unit: NewUnit,
    /// Divisions (bidang).
    pub divisions: Vec<String>,
    /// The service catalog.
    #[serde(rename = "service")]
    pub services: Vec<ServiceSeed>,
}

/// One service as written in `agencies.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSeed {
    /// The service and its standard.
    #[serde(flatten)]
    pub service: NewService,
    /// Name of the responsible division (one of the unit's).
    pub division: String,
}

#[derive(Deserialize)]
struct AgencyFile {
    unit: Vec<AgencySeed>,
}

/// The seed agencies, parsed.
pub fn agencies() -> Vec<AgencySeed> {
    toml::from_str::<AgencyFile>(AGENCIES_TOML)
        .expect("agencies.toml is valid (checked by tests)")
        .unit
}

/// A unit of the demo as stored, with what the generators need to know of it.
#[derive(Debug, Clone)]
pub struct DemoUnit {
    /// Unit id.
    pub id: i64,
    /// Unit slug.
    pub code: String,
    /// nomor agenda template.
    pub agenda_format: String,
    /// (service id, service name, division id).
    pub services: Vec<(i64, String, Option<i64>)>,
}

/// Loads the demo into `store`. Returns `None` (and changes nothing) when the demo
/// units are already there, so running it twice is harmless.
pub async fn load_demo(store: &dyn Store, options: &DemoOptions) -> anyhow::Result<Option<DemoSummary>> {
    load_demo_with_progress(store, options, &|_, _| {}).await
}

/// [`load_demo`], telling `progress` (survey responses stored, responses in all)
/// after each chunk of the survey responses, the long part of a large demo.
pub async fn load_demo_with_progress(
    store: &dyn Store,
    options: &DemoOptions,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> anyhow::Result<Option<DemoSummary>> {
    let seeds = agencies();
    for a in &seeds {
        if store.unit_by_code(&a.unit.code).await?.is_some() {
            return Ok(None);
        }
    }
    let mut summary = DemoSummary::default();
    let mut units = Vec::new();
    for a in &seeds {
        let unit_id = store.create_unit(&a.unit).await?;
        let mut divisions = HashMap::new();
        for d in &a.divisions {
            divisions.insert(d.clone(), store.create_division(unit_id, d).await?);
        }
        let mut services = Vec::new();
        for s in &a.services {
            let division_id = divisions.get(&s.division).copied();
            let service = NewService {
                division_id,
                ..s.service.clone()
            };
            let id = store.create_service(unit_id, &service).await?;
            services.push((id, service.name, division_id));
        }
        summary.units += 1;
        summary.services += services.len();
        let agenda_format = store
            .unit_by_code(&a.unit.code)
            .await?
            .map(|u| u.agenda_format)
            .ok_or_else(|| StoreError::MissingReference(a.unit.code.clone()))?;
        units.push(DemoUnit {
            id: unit_id,
            code: a.unit.code.clone(),
            agenda_format,
            services,
        });
    }

    let clocks = generate::unit_clocks(store, &units, options).await?;
    let complaints = generate::generate_complaints_on(&units, &clocks, options);
    store.bulk_load_complaints(&complaints).await?;
    summary.complaints = complaints.len();
    drop(complaints);

    let rule_sets = store.survey_rule_sets().await?;
    let rule_set = rule_sets
        .iter()
        .find(|r| r.is_default)
        .ok_or_else(|| anyhow::anyhow!("no default survey rule set: migrations incomplete"))?;
    summary.survey_responses = load_responses(store, ResponseStream::new(&units, rule_set, options), progress).await?;
    Ok(Some(summary))
}

/// Stores the stream's responses in one transaction, making each chunk on a
/// blocking thread while the store writes the one before (two at most in flight).
async fn load_responses(
    store: &dyn Store,
    mut stream: ResponseStream,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> anyhow::Result<usize> {
    let total = stream.total();
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let producer = tokio::task::spawn_blocking(move || {
        while let Some(chunk) = stream.next_chunk(RESPONSE_CHUNK) {
            if sender.blocking_send(BulkSurveyChunk::Rows(chunk)).is_err() {
                return; // The store gave up; its error is the one to report.
            }
        }
        let _ = sender.blocking_send(BulkSurveyChunk::End);
    });
    let loaded = store
        .bulk_load_survey_stream(receiver, &|loaded| progress(loaded, total))
        .await;
    producer.await?;
    Ok(loaded? as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_catalog_holds_the_four_agencies() {
        let a = agencies();
        let codes: Vec<&str> = a.iter().map(|u| u.unit.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "dpmptsp-rohil",
                "dpmptsp-pekanbaru",
                "dinsospm-dumai",
                "dinsos-lubuklinggau"
            ]
        );
        let services: usize = a.iter().map(|u| u.services.len()).sum();
        assert_eq!(services, 25);
        for agency in &a {
            assert!(
                !agency.unit.complaint_channels.is_empty(),
                "{} offers no channel",
                agency.unit.code
            );
            for s in &agency.services {
                let code = &s.service.code;
                assert!(
                    agency.divisions.contains(&s.division),
                    "{}: {code} has an unknown division",
                    agency.unit.code
                );
                assert!(!s.service.name.is_empty() && !s.service.completion_text.is_empty());
            }
        }
    }
}
