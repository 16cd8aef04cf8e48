//! Rencana tindak lanjut (issue 9): the follow-up plan of an SKM period (action,
//! owner, deadline per weak element), entered in the app, and its realisation. The
//! SKM report prints this period's plan and the previous period's realisation.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{READ_COMPLAINTS, UnitStaff};
use crate::domain::Role;
use crate::i18n::Tr;
use crate::reporting::period::Period;
use crate::storage::model::Unit;
use crate::storage::reports::FollowUpPlan;

/// Who enters and reports on the plan: the secretariat and the heads of division.
pub const PLAN_FOLLOW_UP: &[Role] = &[Role::Petugas, Role::Sekretaris, Role::KepalaBidang];

/// An element of the questionnaire, for the select list and the plan rows.
pub struct ElementOption {
    /// Stable key.
    pub key: String,
    /// "U3 Waktu Penyelesaian".
    pub label: String,
}

#[derive(Template)]
#[template(path = "follow_up.html")]
struct FollowUpPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    period: String,
    period_label: String,
    previous_label: String,
    plans: Vec<(FollowUpPlan, String)>,
    previous: Vec<(FollowUpPlan, String)>,
    elements: Vec<ElementOption>,
    can_edit: bool,
    error: Option<String>,
}

/// `?periode=2026-S1`.
#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    /// SKM period key; default the current semester.
    pub periode: Option<String>,
}

fn elements() -> Vec<ElementOption> {
    analytics::RuleSet::permenpan_14_2017()
        .elements
        .iter()
        .map(|e| ElementOption {
            key: e.key.clone(),
            label: format!("{} {}", e.code, e.name),
        })
        .collect()
}

fn current_period(unit: &Unit) -> Period {
    use chrono::Datelike;
    let today = crate::reporting::today(unit);
    Period::Semester(today.year(), if today.month() <= 6 { 1 } else { 2 })
}

async fn render(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    period: Period,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, ErrorPage> {
    let els = elements();
    let name = |key: &str| {
        els.iter()
            .find(|e| e.key == key)
            .map(|e| e.label.clone())
            .unwrap_or_else(|| key.to_owned())
    };
    let plans = state
        .store
        .follow_up_plans(staff.unit.id, &period.key())
        .await?
        .into_iter()
        .map(|p| {
            let n = name(&p.element_key);
            (p, n)
        })
        .collect();
    let previous = state
        .store
        .follow_up_plans(staff.unit.id, &period.previous().key())
        .await?
        .into_iter()
        .map(|p| {
            let n = name(&p.element_key);
            (p, n)
        })
        .collect();
    let html = FollowUpPage {
        period: period.key(),
        period_label: period.label(reader.tr.lang),
        previous_label: period.previous().label(reader.tr.lang),
        plans,
        previous,
        elements: els,
        can_edit: staff.has_any(PLAN_FOLLOW_UP),
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        error,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// The plan of one SKM period and the previous period's, with their realisation.
pub async fn page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let period = match q.periode.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => Period::parse_skm(p).map_err(|_| ErrorPage::NotFound)?,
        None => current_period(&staff.unit),
    };
    render(&state, &staff, reader, period, StatusCode::OK, None).await
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// Adds an action to a period's plan. Bad input is refused with the reason and
/// nothing is stored.
pub async fn add(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(PLAN_FOLLOW_UP)?;
    let Ok(period) = Period::parse_skm(&field(&fields, "periode")) else {
        return Err(ErrorPage::BadRequest);
    };
    let element = field(&fields, "unsur");
    let action = field(&fields, "kegiatan");
    let owner = field(&fields, "penanggung_jawab");
    let deadline = NaiveDate::parse_from_str(&field(&fields, "batas_waktu"), "%Y-%m-%d");
    let problem = if !elements().iter().any(|e| e.key == element) {
        Some("follow_up.bad_element")
    } else if action.is_empty() || action.chars().count() > 1000 {
        Some("follow_up.bad_action")
    } else if owner.is_empty() || owner.chars().count() > 200 {
        Some("follow_up.bad_owner")
    } else if deadline.is_err() {
        Some("follow_up.bad_deadline")
    } else {
        None
    };
    if let Some(key) = problem {
        let msg = reader.tr.t(key).to_owned();
        return render(
            &state,
            &staff,
            reader,
            period,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg),
        )
        .await;
    }
    let id = state
        .store
        .add_follow_up_plan(&FollowUpPlan {
            id: 0,
            unit_id: staff.unit.id,
            period: period.key(),
            element_key: element,
            action,
            owner,
            deadline: deadline.map_err(|_| ErrorPage::BadRequest)?,
            realisation: None,
            realised_on: None,
        })
        .await?;
    staff
        .audit(
            &state,
            "follow_up.add",
            "follow_up_plan",
            &id.to_string(),
            &period.key(),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/staf/{}/tindak-lanjut?periode={}",
        staff.unit.code,
        period.key()
    ))
    .into_response())
}

/// Records how an action was carried out.
pub async fn realise(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(PLAN_FOLLOW_UP)?;
    let period = Period::parse_skm(&field(&fields, "periode")).unwrap_or_else(|_| current_period(&staff.unit));
    let text = field(&fields, "realisasi");
    let day = NaiveDate::parse_from_str(&field(&fields, "tanggal"), "%Y-%m-%d");
    let problem = if text.is_empty() || text.chars().count() > 2000 {
        Some("follow_up.bad_realisation")
    } else if day.is_err() || day.is_ok_and(|d| d > crate::reporting::today(&staff.unit)) {
        Some("follow_up.bad_realised_on")
    } else {
        None
    };
    if let Some(key) = problem {
        let msg = reader.tr.t(key).to_owned();
        return render(
            &state,
            &staff,
            reader,
            period,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg),
        )
        .await;
    }
    let day = day.map_err(|_| ErrorPage::BadRequest)?;
    if !state
        .store
        .realise_follow_up_plan(staff.unit.id, id, &text, day)
        .await?
    {
        return Err(ErrorPage::NotFound);
    }
    staff
        .audit(&state, "follow_up.realise", "follow_up_plan", &id.to_string(), &text)
        .await?;
    Ok(Redirect::to(&format!(
        "/staf/{}/tindak-lanjut?periode={}",
        staff.unit.code,
        period.key()
    ))
    .into_response())
}
