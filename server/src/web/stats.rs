//! `/api/v1/ikm` and `/api/v1/complaints/stats`: the analytics crate's results over
//! the database, for integrations holding a unit token with the `stats:read` scope.
//!
//! The server only loads columns and hands them over; every figure is computed by
//! `analytics` (DESIGN.md: the server never computes an index itself).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::auth::{ApiClient, ApiDenied};
use crate::storage::model::{SurveyFilter, Unit};

/// A request the analytics could not answer as asked (bad grouping, unknown rule
/// set, open range with a comparison...): 422 with the reason.
pub struct Unprocessable(pub String);

impl IntoResponse for Unprocessable {
    fn into_response(self) -> Response {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(serde_json::json!({ "error": { "code": "invalid_query", "message": self.0 } })),
        )
            .into_response()
    }
}

/// Either kind of refusal.
pub enum StatsError {
    /// Authentication or authorization.
    Denied(ApiDenied),
    /// The query itself.
    Invalid(Unprocessable),
}

impl IntoResponse for StatsError {
    fn into_response(self) -> Response {
        match self {
            StatsError::Denied(d) => d.into_response(),
            StatsError::Invalid(u) => u.into_response(),
        }
    }
}

impl From<ApiDenied> for StatsError {
    fn from(d: ApiDenied) -> Self {
        StatsError::Denied(d)
    }
}

fn invalid(message: impl Into<String>) -> StatsError {
    StatsError::Invalid(Unprocessable(message.into()))
}

async fn authorized_unit(state: &AppState, client: &ApiClient, code: &str) -> Result<Unit, StatsError> {
    let unit = state
        .store
        .unit_by_code(code)
        .await
        .map_err(|_| ApiDenied::Internal)?
        .ok_or(ApiDenied::Forbidden)?;
    client.require(unit.id, "stats:read")?;
    Ok(unit)
}

/// The first year a date parameter may name: older than any digital complaint or
/// survey record a unit keeps (and the lower bound of the complaint form's event date).
pub const FIRST_YEAR: i32 = 1990;
/// The last year a date parameter may name. Far enough for any planning horizon, and
/// keeps the date arithmetic of the analytics (`as_of` ± three years) well inside
/// what chrono and both databases represent.
pub const LAST_YEAR: i32 = 2100;

/// A `YYYY-MM-DD` parameter between [`FIRST_YEAR`] and [`LAST_YEAR`]; anything else
/// is a 422 before any arithmetic is done with it.
fn parse_date(field: &str, value: Option<&str>) -> Result<Option<NaiveDate>, StatsError> {
    use crate::i18n::{Lang, tf};
    use chrono::Datelike;
    let Some(v) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let date = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
        invalid(format!(
            "{field} harus berformat YYYY-MM-DD / {field} must be YYYY-MM-DD"
        ))
    })?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        let args = [
            ("field", field),
            ("min", &format!("{FIRST_YEAR}-01-01")),
            ("max", &format!("{LAST_YEAR}-12-31")),
        ];
        return Err(invalid(format!(
            "{} / {}",
            tf(Lang::Id, "api_error.date_range", &args),
            tf(Lang::En, "api_error.date_range", &args)
        )));
    }
    Ok(Some(date))
}

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
    Query(p): Query<IkmParams>,
) -> Result<Json<analytics::IkmReport>, StatsError> {
    let unit = authorized_unit(&state, &client, &p.unit).await?;
    let query = ikm_query(&p)?;
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
fn ikm_error(e: crate::survey::stats::IkmError) -> StatsError {
    match e {
        crate::survey::stats::IkmError::Analytics(e) => invalid(e.to_string()),
        _ => ApiDenied::Internal.into(),
    }
}

/// Builds the analytics question from the URL parameters.
pub fn ikm_query(p: &IkmParams) -> Result<analytics::IkmQuery, StatsError> {
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
            from: parse_date("from", p.from.as_deref())?,
            to: parse_date("to", p.to.as_deref())?,
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
    Query(p): Query<ComplaintStatsParams>,
) -> Result<Json<ComplaintStatsOut>, StatsError> {
    let unit = authorized_unit(&state, &client, &p.unit).await?;
    let zone: chrono_tz::Tz = unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let today = chrono::Utc::now().with_timezone(&zone).date_naive();
    let range = analytics::DateRange {
        from: parse_date("from", p.from.as_deref())?,
        to: parse_date("to", p.to.as_deref())?,
    };
    let as_of = parse_date("as_of", p.as_of.as_deref())?.unwrap_or(today);
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
        .map_err(|_| ApiDenied::Internal)?;
    let (complaints, events) = state
        .store
        .complaint_columns(Some(unit.id))
        .await
        .map_err(|_| ApiDenied::Internal)?;
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
