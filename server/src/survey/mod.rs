//! Survey data: the interchange file layout shared by imports, exports and the
//! analytics command line; the intake of responses (issue 7): form validation, the
//! group-commit writer, and the per-unit questionnaire cache.

pub mod cli;
pub mod complainants;
pub mod dedupe;
pub mod export;
pub mod form;
pub mod import;
pub mod interchange;
pub mod qr;
pub mod stats;
pub mod writer;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::storage::model::{Service, SurveyQuestion, Unit};
use crate::storage::{Store, StoreError};

/// How long a unit's questionnaire (unit, services, questions) is served from memory.
/// The public survey page is the hottest path of the app; a catalog change shows up
/// on it within this time.
pub const FORM_CACHE_TTL: Duration = Duration::from_secs(30);

/// What the survey of one unit needs on every request.
#[derive(Debug, Clone)]
pub struct UnitSurvey {
    /// The unit.
    pub unit: Unit,
    /// Its active services, in catalog order.
    pub services: Vec<Service>,
    /// The rule set new responses follow (the default one).
    pub rule_set_id: i64,
    /// Its questions in questionnaire order.
    pub questions: Vec<SurveyQuestion>,
}

impl UnitSurvey {
    /// A service of this unit by its code.
    pub fn service(&self, code: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.code == code)
    }

    /// Today in the unit's time zone: the day a walk-in respondent was served.
    pub fn today(&self) -> chrono::NaiveDate {
        let zone: chrono_tz::Tz = self.unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
        chrono::Utc::now().with_timezone(&zone).date_naive()
    }
}

/// The survey intake of one app instance: its writer and questionnaire cache.
pub struct SurveyDesk {
    /// Group-commit writer every response goes through.
    pub writer: writer::SurveyWriter,
    /// Recent public answers per browser, for duplicate detection.
    pub recent: dedupe::RecentAnswers,
    forms: RwLock<HashMap<String, (Instant, Arc<UnitSurvey>)>>,
}

impl SurveyDesk {
    /// Starts the writer task for `store`.
    pub fn new(store: Arc<dyn Store>) -> SurveyDesk {
        SurveyDesk {
            writer: writer::SurveyWriter::spawn(store),
            recent: dedupe::RecentAnswers::default(),
            forms: RwLock::new(HashMap::new()),
        }
    }

    /// The questionnaire of a unit by its code, from memory when fresh; `None` when
    /// there is no such unit.
    pub async fn unit_survey(&self, store: &dyn Store, code: &str) -> Result<Option<Arc<UnitSurvey>>, StoreError> {
        if let Some((at, survey)) = self.forms.read().expect("cache lock").get(code)
            && at.elapsed() < FORM_CACHE_TTL
        {
            return Ok(Some(survey.clone()));
        }
        let Some(unit) = store.unit_by_code(code).await? else {
            return Ok(None);
        };
        let services = store.list_services(unit.id).await?;
        let rule_sets = store.survey_rule_sets().await?;
        let rule_set = rule_sets
            .iter()
            .find(|r| r.is_default)
            .or(rule_sets.first())
            .ok_or_else(|| StoreError::MissingReference("no survey rule set is stored".into()))?;
        let questions = store.survey_questions(rule_set.id).await?;
        let survey = Arc::new(UnitSurvey {
            unit,
            services,
            rule_set_id: rule_set.id,
            questions,
        });
        let mut cache = self.forms.write().expect("cache lock");
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(code.to_owned(), (Instant::now(), survey.clone()));
        Ok(Some(survey))
    }
}
