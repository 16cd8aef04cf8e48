//! The JSON API under `/api/v1` for integrations. Public catalog data needs no token;
//! complaint data needs a unit's API token with the right scope.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::api_error::{ApiError, ApiQuery};
use super::api_params;
use crate::auth::{ApiClient, ApiDenied};
use crate::domain::ComplaintStatus;
use crate::storage::model::{ComplaintQuery, ComplaintSummary, Service};

/// A unit as the public API shows it.
#[derive(Serialize)]
pub struct UnitOut {
    /// Slug.
    pub code: String,
    /// Full name.
    pub name: String,
    /// Short name.
    pub short_name: String,
    /// City.
    pub city: String,
    /// IANA time zone.
    pub time_zone: String,
}

/// `GET /api/v1/units`: every unit (public).
pub async fn units(State(state): State<AppState>) -> Result<Json<Vec<UnitOut>>, ApiError> {
    let units = state.store.list_units().await.map_err(|_| ApiError::internal())?;
    Ok(Json(
        units
            .into_iter()
            .map(|u| UnitOut {
                code: u.code,
                name: u.name,
                short_name: u.short_name,
                city: u.city,
                time_zone: u.time_zone,
            })
            .collect(),
    ))
}

/// `GET /api/v1/units/{unit}/services`: a unit's service catalog (public).
pub async fn services(State(state): State<AppState>, Path(unit): Path<String>) -> Result<Json<Vec<Service>>, ApiError> {
    let unit = state
        .store
        .unit_by_code(&unit)
        .await
        .map_err(|_| ApiError::internal())?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(
        state
            .store
            .list_services(unit.id)
            .await
            .map_err(|_| ApiError::internal())?,
    ))
}

/// The largest `limit` of the complaints list.
pub const MAX_LIMIT: i64 = 1000;
/// The largest `offset` of the complaints list: far beyond any unit's complaints,
/// and well inside what both databases take as an OFFSET.
pub const MAX_OFFSET: i64 = 1_000_000_000;

/// Query of the complaints endpoint; each value is checked by [`complaints`].
#[derive(Deserialize)]
pub struct ComplaintsQuery {
    q: Option<String>,
    status: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

/// `GET /api/v1/units/{unit}/complaints`: a page of the unit's complaints, without
/// personal data (token scope `complaints:read`, token of that unit). A token is no
/// staff role, so `rahasia` content follows the public rule (as on the tracking
/// page): the subject is blank and a text query never finds such a complaint.
/// A status outside the life cycle, a `limit` outside 1..=1000 or an `offset`
/// outside 0..=[`MAX_OFFSET`] is refused with 422, never clamped.
pub async fn complaints(
    State(state): State<AppState>,
    client: ApiClient,
    Path(unit): Path<String>,
    query: Result<ApiQuery<ComplaintsQuery>, ApiError>,
) -> Result<Json<Vec<ComplaintSummary>>, ApiError> {
    let ApiQuery(q) = query?;
    let statuses: Vec<&str> = ComplaintStatus::ALL.iter().map(|s| s.key()).collect();
    let status = api_params::one_of("status", q.status.as_deref(), &statuses)?.map(str::to_owned);
    let query = ComplaintQuery {
        text: api_params::text("q", q.q.as_deref())?
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned),
        status,
        limit: api_params::integer("limit", q.limit.as_deref(), 1, MAX_LIMIT)?.unwrap_or(100),
        offset: api_params::integer("offset", q.offset.as_deref(), 0, MAX_OFFSET)?.unwrap_or(0),
    };
    let unit = state
        .store
        .unit_by_code(&unit)
        .await
        .map_err(|_| ApiDenied::Internal)?
        .ok_or(ApiDenied::Forbidden)?;
    client.require(unit.id, "complaints:read")?;
    let mut rows = state
        .store
        .list_complaints_public_text(unit.id, &query)
        .await
        .map_err(|_| ApiError::internal())?;
    for row in rows.iter_mut().filter(|r| r.rahasia) {
        row.subject.clear();
    }
    Ok(Json(rows))
}

/// The OpenAPI document of `/api/v1`, kept beside the code (`server/openapi.json`);
/// a test checks it names every API route.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}
