//! The satisfaction of complainants beside everyone else's (issue 19): a response
//! to the invite sent after a complaint was closed (`survey_invites.complaint_id`)
//! is a complainant's; every other response of the same unit, rule set and days is
//! everyone else's.
//!
//! Cost stays with the cells, not the responses: everyone's sums come from the
//! survey statistics' day cells, the complainants' from their own (few) responses,
//! and everyone else's are the difference. Both IKMs then come from
//! [`analytics::ikm_from_cells`] with the regulation's rounding, as two groups of
//! the `unit` dimension labelled [`COMPLAINANTS`] and [`OTHERS`].

use analytics::{CellSums, IkmQuery, IkmReport, RuleSet};

use super::stats::IkmError;
use crate::storage::Store;
use crate::storage::model::SurveyFilter;

/// Group key of complainants' responses.
pub const COMPLAINANTS: &str = "pengadu";
/// Group key of everyone else's.
pub const OTHERS: &str = "lainnya";

/// The IKM of complainants and of everyone else over the responses `filter`
/// selects (its rule set must be `rule_set`), as two groups of one report.
pub async fn complainant_ikm(
    store: &dyn Store,
    filter: &SurveyFilter,
    rule_set: &RuleSet,
) -> Result<IkmReport, IkmError> {
    let k = filter.element_keys.len();
    let cells = store.survey_cells(filter).await?;
    let scores = store.complainant_scores(filter).await?;
    let query = IkmQuery {
        rule_set: rule_set.clone(),
        group_by: vec![analytics::Dimension::Unit],
        range: analytics::DateRange {
            from: filter.from,
            to: filter.to,
        },
        ..Default::default()
    };
    let day = filter
        .from
        .or(filter.to)
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let report = tokio::task::spawn_blocking(move || -> Result<IkmReport, analytics::AnalyticsError> {
        let mut everyone = CellSums::new(k);
        for c in &cells {
            everyone.merge(&c.sums)?;
        }
        let mut complainants = CellSums::new(k);
        for s in &scores {
            complainants.add_response(s)?;
        }
        let mut others = everyone;
        others.subtract(&complainants)?;
        let cells = [(COMPLAINANTS, &complainants), (OTHERS, &others)].map(|(unit, sums)| analytics::Cell {
            unit,
            service: "",
            day,
            profile: None,
            sums,
        });
        analytics::ikm_from_cells(&query, &analytics::CellSource::Days, cells)
    })
    .await??;
    Ok(report)
}

/// One group's respondents and IKM konversi (rounded), `None` when it has no answers.
pub fn group_figures(report: &IkmReport, key: &str) -> (u64, Option<f64>) {
    report
        .groups
        .iter()
        .find(|g| g.key.first().and_then(|k| k.value.as_deref()) == Some(key))
        .map(|g| (g.respondents, g.index.as_ref().map(|i| i.konversi)))
        .unwrap_or((0, None))
}
