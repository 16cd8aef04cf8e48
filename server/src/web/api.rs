//! The JSON API under `/api/v1` for integrations. Public catalog data needs no token;
//! complaint data needs a unit's API token with the right scope.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::auth::{ApiClient, ApiDenied};
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
pub async fn units(State(state): State<AppState>) -> Result<Json<Vec<UnitOut>>, ApiDenied> {
    let units = state.store.list_units().await.map_err(|_| ApiDenied::Internal)?;
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
pub async fn services(
    State(state): State<AppState>,
    Path(unit): Path<String>,
) -> Result<Json<Vec<Service>>, ApiNotFound> {
    let unit = state
        .store
        .unit_by_code(&unit)
        .await
        .map_err(|_| ApiNotFound)?
        .ok_or(ApiNotFound)?;
    Ok(Json(state.store.list_services(unit.id).await.map_err(|_| ApiNotFound)?))
}

/// 404 as JSON.
pub struct ApiNotFound;

impl axum::response::IntoResponse for ApiNotFound {
    fn into_response(self) -> axum::response::Response {
        (
            axum::http::StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": { "code": "not_found", "message": "Tidak ditemukan / not found" } })),
        )
            .into_response()
    }
}

/// Query of the complaints endpoint.
#[derive(Deserialize)]
pub struct ComplaintsQuery {
    q: Option<String>,
    status: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `GET /api/v1/units/{unit}/complaints`: a page of the unit's complaints, without
/// personal data (token scope `complaints:read`, token of that unit). A token is no
/// staff role, so `rahasia` content follows the public rule (as on the tracking
/// page): the subject is blank and a text query never finds such a complaint.
pub async fn complaints(
    State(state): State<AppState>,
    client: ApiClient,
    Path(unit): Path<String>,
    Query(q): Query<ComplaintsQuery>,
) -> Result<Json<Vec<ComplaintSummary>>, ApiDenied> {
    let unit = state
        .store
        .unit_by_code(&unit)
        .await
        .map_err(|_| ApiDenied::Internal)?
        .ok_or(ApiDenied::Forbidden)?;
    client.require(unit.id, "complaints:read")?;
    let query = ComplaintQuery {
        text: q.q.filter(|t| !t.trim().is_empty()),
        status: q.status,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let mut rows = state
        .store
        .list_complaints_public_text(unit.id, &query)
        .await
        .map_err(|_| ApiDenied::Internal)?;
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
