//! Demo data: the four agencies of the seed documents with their real service
//! catalogs, plus twelve months of synthetic complaints and survey responses.
//!
//! Everything random comes from one ChaCha generator seeded by `--seed`, so the same
//! seed, sizes and end date always give the same data (ChaCha's output is fixed by
//! its specification, unlike `StdRng`).

mod generate;

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::Channel;
use crate::storage::model::{NewService, NewUnit};
use crate::storage::{Store, StoreError};

pub use generate::{ComplaintPlan, generate_complaints, generate_responses};

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

/// One agency as written in `agencies.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct AgencySeed {
    /// URL slug.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Short name.
    pub short_name: String,
    /// Street address.
    pub address: String,
    /// City of signature.
    pub city: String,
    /// Phone.
    pub phone: String,
    /// Email.
    pub email: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Letterhead lines.
    pub letterhead: Vec<String>,
    /// Head of office title.
    pub head_title: String,
    /// Head of office name.
    pub head_name: String,
    /// Head of office NIP.
    pub head_nip: String,
    /// Divisions (bidang).
    pub divisions: Vec<String>,
    /// Complaint channels the unit offers.
    pub complaint_channels: Vec<String>,
    /// The service catalog.
    #[serde(rename = "service")]
    pub services: Vec<ServiceSeed>,
}

/// One service as written in `agencies.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSeed {
    /// Slug.
    pub code: String,
    /// Name.
    pub name: String,
    /// Division name (one of the unit's).
    pub division: String,
    /// Requirements.
    pub requirements: Vec<String>,
    /// Completion days.
    pub completion_days: i64,
    /// Completion time as printed.
    pub completion_text: String,
    /// Working days or calendar days.
    pub working_days: bool,
    /// Fee in rupiah.
    pub fee_rupiah: i64,
    /// Fee as printed.
    pub fee_text: String,
    /// Product.
    pub product: String,
    /// Complaint channels.
    pub complaint_channels: Vec<String>,
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

fn channels(keys: &[String]) -> Result<Vec<Channel>, anyhow::Error> {
    keys.iter()
        .map(|k| Channel::parse(k).map_err(anyhow::Error::from))
        .collect()
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
    let seeds = agencies();
    for a in &seeds {
        if store.unit_by_code(&a.code).await?.is_some() {
            return Ok(None);
        }
    }
    let mut summary = DemoSummary::default();
    let mut units = Vec::new();
    for a in &seeds {
        let unit_id = store
            .create_unit(&NewUnit {
                code: a.code.clone(),
                name: a.name.clone(),
                short_name: a.short_name.clone(),
                address: a.address.clone(),
                city: a.city.clone(),
                phone: a.phone.clone(),
                email: a.email.clone(),
                time_zone: a.time_zone.clone(),
                letterhead: a.letterhead.clone(),
                head_title: a.head_title.clone(),
                head_name: a.head_name.clone(),
                head_nip: a.head_nip.clone(),
                complaint_channels: channels(&a.complaint_channels)?,
            })
            .await?;
        let mut divisions = HashMap::new();
        for d in &a.divisions {
            divisions.insert(d.clone(), store.create_division(unit_id, d).await?);
        }
        let mut services = Vec::new();
        for s in &a.services {
            let division_id = divisions.get(&s.division).copied();
            let id = store
                .create_service(
                    unit_id,
                    &NewService {
                        code: s.code.clone(),
                        name: s.name.clone(),
                        division_id,
                        requirements: s.requirements.clone(),
                        completion_days: s.completion_days,
                        completion_text: s.completion_text.clone(),
                        working_days: s.working_days,
                        fee_rupiah: s.fee_rupiah,
                        fee_text: s.fee_text.clone(),
                        product: s.product.clone(),
                        complaint_channels: channels(&s.complaint_channels)?,
                    },
                )
                .await?;
            services.push((id, s.name.clone(), division_id));
        }
        summary.units += 1;
        summary.services += services.len();
        let agenda_format = store
            .unit_by_code(&a.code)
            .await?
            .map(|u| u.agenda_format)
            .ok_or_else(|| StoreError::MissingReference(a.code.clone()))?;
        units.push(DemoUnit {
            id: unit_id,
            code: a.code.clone(),
            agenda_format,
            services,
        });
    }

    let complaints = generate_complaints(&units, options);
    store.bulk_load_complaints(&complaints).await?;
    summary.complaints = complaints.len();
    drop(complaints);

    let rule_sets = store.survey_rule_sets().await?;
    let rule_set = rule_sets
        .iter()
        .find(|r| r.is_default)
        .ok_or_else(|| anyhow::anyhow!("no default survey rule set: migrations incomplete"))?;
    let responses = generate_responses(&units, rule_set, options);
    for chunk in responses.chunks(100_000) {
        store.bulk_load_survey_responses(chunk).await?;
    }
    summary.survey_responses = responses.len();
    Ok(Some(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_catalog_holds_the_four_agencies() {
        let a = agencies();
        let codes: Vec<&str> = a.iter().map(|u| u.code.as_str()).collect();
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
        for unit in &a {
            assert!(
                channels(&unit.complaint_channels).is_ok(),
                "{} has an unknown channel",
                unit.code
            );
            for s in &unit.services {
                assert!(
                    unit.divisions.contains(&s.division),
                    "{}: {} has an unknown division",
                    unit.code,
                    s.code
                );
                assert!(channels(&s.complaint_channels).is_ok());
                assert!(!s.name.is_empty() && !s.completion_text.is_empty());
            }
        }
    }
}
