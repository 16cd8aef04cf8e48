//! The IKM of stored responses (issue 18): from the survey statistics (exact per-cell
//! sums, [`crate::storage::survey_stats`]) whenever they answer the question exactly,
//! otherwise from the responses themselves, so the answer is the same either way.
//!
//! The cells answer every grouping by unit, service and period over any date range
//! (day cells), and one profile dimension (jenis kelamin, pendidikan, pekerjaan,
//! umur kelompok) grouped or filtered over whole months (month cells). Several
//! profile dimensions at once, a profile over part of a month, or a profile the
//! cells do not keep are answered by reading the responses, as before.

use analytics::{CellSource, IkmQuery, IkmReport};
use chrono::NaiveDate;

use crate::storage::model::SurveyFilter;
use crate::storage::survey_stats::StatCell;
use crate::storage::{Store, StoreError};

/// Why an IKM could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum IkmError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The question cannot be answered as asked (worded in Indonesian by analytics).
    #[error(transparent)]
    Analytics(#[from] analytics::AnalyticsError),
    /// The computation thread failed.
    #[error("IKM computation stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Which way a query was answered, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// From the day cells.
    DayCells,
    /// From the month cells of one profile dimension.
    ProfileCells,
    /// From the responses.
    Responses,
}

fn whole_months(filter: &SurveyFilter) -> bool {
    use chrono::Datelike;
    filter.from.is_none_or(|d| d.day() == 1) && filter.to.is_none_or(|d| d.succ_opt().is_none_or(|n| n.day() == 1))
}

/// Set to `1` to answer every IKM from the responses, as before the statistics
/// existed: a diagnostic switch, and the "before" of `scripts/bench-survey-stats.sh`.
pub const FROM_RESPONSES_ENV: &str = "TANGGAP_IKM_FROM_RESPONSES";

/// Whether [`FROM_RESPONSES_ENV`] is set: every IKM and every per-source count is
/// then read from the responses.
pub fn forced_from_responses() -> bool {
    std::env::var(FROM_RESPONSES_ENV).is_ok_and(|v| v == "1")
}

/// How `query` over the responses `filter` selects will be answered.
pub fn path(filter: &SurveyFilter, query: &IkmQuery) -> Path {
    if forced_from_responses() {
        return Path::Responses;
    }
    match analytics::cell_source(query) {
        Some(CellSource::Days) => Path::DayCells,
        // Month cells hold whole months: the responses the filter selects must be too.
        Some(CellSource::Months(_)) if whole_months(filter) => Path::ProfileCells,
        _ => Path::Responses,
    }
}

/// Responses of a unit under a rule set between two days, inclusive, per collection
/// source (the SKM report's method text): from the kept per-day counts, or, with
/// `from_responses` (see [`forced_from_responses`]), grouped from the responses.
pub async fn survey_source_counts(
    store: &dyn Store,
    unit_id: i64,
    rule_set: &str,
    (from, to): (NaiveDate, NaiveDate),
    from_responses: bool,
) -> Result<Vec<(String, u64)>, StoreError> {
    if from_responses {
        store
            .survey_source_counts_from_responses(unit_id, rule_set, from, to)
            .await
    } else {
        store.survey_source_counts(unit_id, rule_set, from, to).await
    }
}

/// The IKM of `query` over the responses `filter` selects, exactly as
/// [`analytics::ikm`] over those responses gives it.
pub async fn survey_ikm(store: &dyn Store, filter: &SurveyFilter, query: IkmQuery) -> Result<IkmReport, IkmError> {
    let mut out = survey_ikm_many(store, filter, vec![query]).await?;
    Ok(out.pop().expect("one report per query"))
}

/// [`survey_ikm`] for several queries over the same responses: each kind of cell
/// is read once for all of them.
pub async fn survey_ikm_many(
    store: &dyn Store,
    filter: &SurveyFilter,
    queries: Vec<IkmQuery>,
) -> Result<Vec<IkmReport>, IkmError> {
    let paths: Vec<Path> = queries.iter().map(|q| path(filter, q)).collect();
    let days = if paths.contains(&Path::DayCells) {
        store.survey_cells(filter).await?
    } else {
        Vec::new()
    };
    let profiles = if paths.contains(&Path::ProfileCells) {
        store.survey_profile_cells(filter, None).await?
    } else {
        Vec::new()
    };
    let computed = tokio::task::spawn_blocking(move || {
        queries
            .into_iter()
            .zip(paths)
            .map(|(q, p)| {
                let cells: &[StatCell] = match p {
                    Path::DayCells => &days,
                    Path::ProfileCells => &profiles,
                    Path::Responses => return (q, None),
                };
                let source = analytics::cell_source(&q).expect("answerable by cells");
                let report = analytics::ikm_from_cells(&q, &source, cells.iter().map(StatCell::as_cell));
                // A refusal (no age at all, a comparison that cannot be formed) is
                // worded by the responses' path, so both paths refuse alike.
                (q, report.ok())
            })
            .collect::<Vec<_>>()
    })
    .await?;
    let mut out = Vec::with_capacity(computed.len());
    // The responses are read at most once, and only when a query needs them.
    let mut frame: Option<analytics::SurveyFrame> = None;
    for (q, report) in computed {
        match report {
            Some(r) => out.push(r),
            None => {
                let f = match frame.take() {
                    Some(f) => f,
                    None => {
                        let columns = store.survey_columns(filter).await?;
                        tokio::task::spawn_blocking(move || columns.into_frame()).await??
                    }
                };
                let (report, f) = tokio::task::spawn_blocking(move || (analytics::ikm(&f, &q), f)).await?;
                frame = Some(f);
                out.push(report?);
            }
        }
    }
    Ok(out)
}

/// The IKM from the responses alone (the reference the cells must equal).
pub async fn survey_ikm_from_responses(
    store: &dyn Store,
    filter: &SurveyFilter,
    query: IkmQuery,
) -> Result<IkmReport, IkmError> {
    let columns = store.survey_columns(filter).await?;
    Ok(tokio::task::spawn_blocking(move || analytics::ikm(&columns.into_frame()?, &query)).await??)
}
