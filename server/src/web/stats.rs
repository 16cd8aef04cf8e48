//! `/api/v1/ikm` and `/api/v1/complaints/stats`: the analytics crate's results over
//! the database, for integrations holding a unit token with the `stats:read` scope.
//!
//! The server only loads columns and hands them over; every figure is computed by
//! `analytics` (DESIGN.md: the server never computes an index itself).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::api_error::{ApiError, ApiQuery};
use super::api_params;
use crate::auth::{ApiClient, ApiDenied};
use crate::storage::model::{SurveyFilter, Unit};

pub use super::api_params::{FIRST_YEAR, LAST_YEAR};

/// A request the analytics could not answer as asked (bad grouping, unknown rule
/// set, open range with a comparison...): 422 with the reason.
fn invalid(message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError {
        status: axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid_query",
        message,
        fields: Vec::new(),
    }
}

async fn authorized_unit(state: &AppState, client: &ApiClient, code: &str) -> Result<Unit, ApiError> {
    let unit = state
        .store
        .unit_by_code(code)
        .await
        .map_err(|_| ApiDenied::Internal)?
        .ok_or(ApiDenied::Forbidden)?;
    client.require(unit.id, "stats:read")?;
    Ok(unit)
}

/// The values `group_by` may list.
pub const GROUPINGS: &[&str] = &[
    "service",
    "month",
    "quarter",
    "semester",
    "year",
    "jenis_kelamin",
    "umur_kelompok",
    "pendidikan",
    "pekerjaan",
];

/// Query of `GET /api/v1/ikm`.
#[derive(Debug, Deserialize)]
pub struct IkmParams {
    /// Unit code (must be the token's unit).
    pub unit: String,
    /// Comma-separated grouping: service, month, quarter, semester, year, or a
    /// profile column (jenis_kelamin, umur_kelompok, pendidikan, pekerjaan).
    pub group_by: Option<String>,
    /// First day (YYYY-MM-DD).
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD).
    pub to: Option<String>,
    /// Rule set id; default permenpan-rb-14-2017.
    pub rule_set: Option<String>,
    /// exact (default), printed3 (0.111) or printed2 (0.11).
    pub weight: Option<String>,
    /// `previous` to compare each group with the previous period.
    pub compare: Option<String>,
    /// Only this service (by name).
    pub service: Option<String>,
}

/// `GET /api/v1/ikm`: the IKM of a unit for any grouping, exactly per the rule set.
pub async fn ikm(
    State(state): State<AppState>,
    client: ApiClient,
    params: Result<ApiQuery<IkmParams>, ApiError>,
) -> Result<Json<analytics::IkmReport>, ApiError> {
    let ApiQuery(p) = params?;
    check_ikm_params(&p)?;
    let query = ikm_query(&p)?;
    let unit = authorized_unit(&state, &client, &p.unit).await?;
    let filter = SurveyFilter {
        rule_set: query.rule_set.id.clone(),
        element_keys: query.rule_set.element_keys().iter().map(|k| k.to_string()).collect(),
        unit_id: Some(unit.id),
        // A comparison needs the earlier period too, so only the end is cut in SQL.
        from: if query.compare.is_some() {
            None
        } else {
            query.range.from
        },
        to: query.range.to,
    };
    // From the survey statistics when they answer exactly, else the responses.
    let report = crate::survey::stats::survey_ikm(state.store.as_ref(), &filter, query)
        .await
        .map_err(ikm_error)?;
    Ok(Json(report))
}

/// A question the data cannot answer is the caller's to fix; anything else is ours.
fn ikm_error(e: crate::survey::stats::IkmError) -> ApiError {
    match e {
        crate::survey::stats::IkmError::Analytics(e) => invalid(e.to_string()),
        _ => ApiError::internal(),
    }
}

/// What the OpenAPI document states of `/api/v1/ikm`'s parameters, checked before
/// anything is computed: each parameter's own values, then the rules between them
/// that OpenAPI cannot state (listed in the operation's description).
fn check_ikm_params(p: &IkmParams) -> Result<(), ApiError> {
    api_params::non_empty("unit", Some(&p.unit))?;
    if let Some(groups) = api_params::non_empty("group_by", p.group_by.as_deref())? {
        let mut seen = Vec::new();
        for g in groups.split(',') {
            api_params::one_of("group_by", Some(g), GROUPINGS)?;
            if seen.contains(&g) {
                return Err(ApiError::param("group_by", "repeated", &[]));
            }
            seen.push(g);
        }
    }
    let from = api_params::date("from", p.from.as_deref())?;
    let to = api_params::date("to", p.to.as_deref())?;
    api_params::one_of("rule_set", p.rule_set.as_deref(), RULE_SETS)?;
    api_params::one_of("weight", p.weight.as_deref(), &["exact", "printed3", "printed2"])?;
    let compare = api_params::one_of("compare", p.compare.as_deref(), &["previous"])?;
    api_params::non_empty("service", p.service.as_deref())?;
    check_order(from, to)?;
    if compare.is_some() && (from.is_none() || to.is_none()) {
        return Err(ApiError::param("compare", "open_range_compare", &[]));
    }
    Ok(())
}

/// The rule sets `rule_set` may name.
pub const RULE_SETS: &[&str] = &["permenpan-rb-14-2017", "kepmenpan-25-2004"];

/// `from` after `to` is refused (OpenAPI cannot compare two parameters).
fn check_order(from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>) -> Result<(), ApiError> {
    match (from, to) {
        (Some(f), Some(t)) if f > t => Err(ApiError::param("from", "range_order", &[])),
        _ => Ok(()),
    }
}

/// Builds the analytics question from the URL parameters.
pub fn ikm_query(p: &IkmParams) -> Result<analytics::IkmQuery, ApiError> {
    let rule_set_id = p.rule_set.as_deref().unwrap_or(analytics::rules::PERMENPAN_14_2017);
    let rule_set = analytics::RuleSet::by_id(rule_set_id)
        .ok_or_else(|| invalid(format!("aturan {rule_set_id:?} tidak dikenal / unknown rule set")))?;
    let group_by = p
        .group_by
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|g| !g.trim().is_empty())
        .map(|g| g.parse::<analytics::Dimension>().map_err(|e| invalid(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if group_by.contains(&analytics::Dimension::Unit) {
        return Err(invalid(
            "satu token membaca satu unit: pengelompokan per unit tidak berlaku di sini",
        ));
    }
    let weight = match p.weight.as_deref().unwrap_or("exact") {
        "exact" => analytics::WeightMode::Exact,
        "printed3" | "0.111" | "0,111" => analytics::WeightMode::Printed3,
        "printed2" | "0.11" | "0,11" => analytics::WeightMode::Printed2,
        other => {
            return Err(invalid(format!(
                "bobot {other:?} tidak dikenal: exact, printed3 atau printed2"
            )));
        }
    };
    let compare = match p.compare.as_deref() {
        None | Some("") => None,
        Some("previous") | Some("sebelumnya") => Some(analytics::Comparison::Previous),
        Some(other) => return Err(invalid(format!("perbandingan {other:?} tidak dikenal: previous"))),
    };
    let filters = p
        .service
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| analytics::Filter {
            dimension: analytics::Dimension::Service,
            values: vec![s.trim().to_owned()],
        })
        .collect();
    Ok(analytics::IkmQuery {
        rule_set,
        group_by,
        range: analytics::DateRange {
            from: api_params::date("from", p.from.as_deref())?,
            to: api_params::date("to", p.to.as_deref())?,
        },
        filters,
        weight,
        populations: Vec::new(),
        compare,
    })
}

/// Query of `GET /api/v1/complaints/stats`.
#[derive(Debug, Deserialize)]
pub struct ComplaintStatsParams {
    /// Unit code (must be the token's unit).
    pub unit: String,
    /// First day received (YYYY-MM-DD).
    pub from: Option<String>,
    /// Last day received (YYYY-MM-DD).
    pub to: Option<String>,
    /// Flow table period: month (default), quarter, semester or year.
    pub period: Option<String>,
    /// "Today" for open complaints (YYYY-MM-DD); default today in the unit's zone.
    pub as_of: Option<String>,
}

/// What `/api/v1/complaints/stats` answers.
#[derive(Debug, Serialize)]
pub struct ComplaintStatsOut {
    /// Counts, flow, SLA compliance and durations.
    #[serde(flatten)]
    pub stats: analytics::ComplaintStats,
    /// Time spent in each control-card step, in working days.
    pub steps: Vec<analytics::StepStats>,
    /// Complaints per SKM element beside that element's NRR, per service.
    pub by_element: Vec<analytics::ElementComplaints>,
}

/// `GET /api/v1/complaints/stats`: a unit's complaint statistics.
pub async fn complaint_stats(
    State(state): State<AppState>,
    client: ApiClient,
    params: Result<ApiQuery<ComplaintStatsParams>, ApiError>,
) -> Result<Json<ComplaintStatsOut>, ApiError> {
    let ApiQuery(p) = params?;
    api_params::non_empty("unit", Some(&p.unit))?;
    let range = analytics::DateRange {
        from: api_params::date("from", p.from.as_deref())?,
        to: api_params::date("to", p.to.as_deref())?,
    };
    check_order(range.from, range.to)?;
    let as_of = api_params::date("as_of", p.as_of.as_deref())?;
    api_params::one_of("period", p.period.as_deref(), &["month", "quarter", "semester", "year"])?;
    let unit = authorized_unit(&state, &client, &p.unit).await?;
    let zone: chrono_tz::Tz = unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let as_of = as_of.unwrap_or(today);
    let period = match p.period.as_deref().unwrap_or("month") {
        "month" | "bulan" => analytics::Period::Month,
        "quarter" | "triwulan" => analytics::Period::Quarter,
        "semester" => analytics::Period::Semester,
        "year" | "tahun" => analytics::Period::Year,
        other => {
            return Err(invalid(format!(
                "periode {other:?} tidak dikenal: month, quarter, semester, year"
            )));
        }
    };
    let first = range.from.unwrap_or(as_of - chrono::Duration::days(3 * 366));
    // The unit's days off: national holidays and its own, never another unit's.
    let holidays = state
        .store
        .days_off(unit.id, first, as_of + chrono::Duration::days(366))
        .await
        .map_err(|_| ApiError::internal())?;
    let (complaints, events) = state
        .store
        .complaint_columns(Some(unit.id))
        .await
        .map_err(|_| ApiError::internal())?;
    let rule_set = analytics::RuleSet::permenpan_14_2017();
    let units = vec![unit.code.clone()];
    let survey = crate::survey::stats::survey_ikm_many(
        state.store.as_ref(),
        &SurveyFilter::of(&rule_set, Some(unit.id), range.from, range.to),
        analytics::complaints::element_queries(&rule_set, range, &units).to_vec(),
    )
    .await
    .map_err(ikm_error)?;
    let out = tokio::task::spawn_blocking(move || -> analytics::Result<ComplaintStatsOut> {
        let complaints = complaints.into_frame()?;
        let events = events.into_frame()?;
        let query = analytics::ComplaintQuery {
            range,
            period,
            units: units.clone(),
            holidays,
            as_of,
            ..analytics::ComplaintQuery::new(as_of)
        };
        Ok(ComplaintStatsOut {
            stats: analytics::complaint_stats(&complaints, &query)?,
            steps: analytics::step_durations(&events)?,
            by_element: analytics::complaints::complaints_by_element_with(
                &complaints,
                &survey,
                &rule_set,
                range,
                &units,
            )?,
        })
    })
    .await
    .map_err(|_| ApiDenied::Internal)?
    .map_err(|e| invalid(e.to_string()))?;
    Ok(Json(out))
}
