//! The staff side of the SKM survey (issue 7): kiosk registration, the paper-form
//! grid, imports and exports. Every page is scoped to the unit of the URL by
//! [`UnitStaff`].

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::survey::{kiosk_cookie, with_cookie};
use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{READ_COMPLAINTS, UnitStaff, hash_secret, new_secret};
use crate::domain::Role;
use crate::i18n::Tr;
use crate::storage::model::{Kiosk, Service, Unit};

/// Roles that run the survey of a unit: register kiosks, type in paper forms, import.
pub const RUN_SURVEY: &[Role] = &[Role::Admin, Role::Petugas];

/// A kiosk row with its service's name.
pub struct KioskRow {
    /// The kiosk.
    pub kiosk: Kiosk,
    /// Name of the service it asks about, or empty.
    pub service: String,
}

#[derive(Template)]
#[template(path = "kiosks.html")]
struct KiosksPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    kiosks: Vec<KioskRow>,
    services: Vec<Service>,
    error: Option<&'static str>,
}

async fn render_kiosks(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, ErrorPage> {
    let services = state.store.list_services(staff.unit.id).await?;
    let kiosks = state
        .store
        .list_kiosks(staff.unit.id)
        .await?
        .into_iter()
        .map(|kiosk| KioskRow {
            service: kiosk
                .service_id
                .and_then(|id| services.iter().find(|s| s.id == id))
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            kiosk,
        })
        .collect();
    let html = KiosksPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        kiosks,
        services,
        error,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// The unit's kiosks, and the form that registers the browser it is opened on.
pub async fn kiosks_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    render_kiosks(&state, &staff, reader, StatusCode::OK, None).await
}

/// Registers this browser as a kiosk: a fresh token goes into an HttpOnly cookie of
/// this browser only (the database keeps its hash), then the kiosk form opens. No
/// other browser can post as this kiosk without that cookie.
pub async fn register_kiosk(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(RUN_SURVEY)?;
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let name = get("name");
    if name.is_empty() || name.chars().count() > 80 {
        return render_kiosks(
            &state,
            &staff,
            reader,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("kiosk.bad_name"),
        )
        .await;
    }
    let service_code = get("layanan");
    let service_id = if service_code.is_empty() {
        None
    } else {
        match state
            .store
            .list_services(staff.unit.id)
            .await?
            .into_iter()
            .find(|s| s.code == service_code)
        {
            Some(s) => Some(s.id),
            None => {
                return render_kiosks(
                    &state,
                    &staff,
                    reader,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("kiosk.bad_service"),
                )
                .await;
            }
        }
    };
    let token = new_secret();
    let id = state
        .store
        .create_kiosk(staff.unit.id, &name, &hash_secret(&token), service_id)
        .await?;
    staff
        .audit(&state, "kiosk.registered", "kiosk", &id.to_string(), &name)
        .await?;
    Ok(with_cookie(
        Redirect::to("/kiosk").into_response(),
        kiosk_cookie(&state, &token)?,
    ))
}

/// Revokes a kiosk of the unit: its cookie stops working at once.
pub async fn revoke_kiosk(
    State(state): State<AppState>,
    staff: UnitStaff,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    staff.require(RUN_SURVEY)?;
    if !state.store.revoke_kiosk(staff.unit.id, id).await? {
        return Err(ErrorPage::NotFound);
    }
    staff
        .audit(&state, "kiosk.revoked", "kiosk", &id.to_string(), "")
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/kios", staff.unit.code)).into_response())
}

/// Rows the paper grid offers at once (a typical stack of forms).
pub const PAPER_ROWS: usize = 20;

/// One row of the paper grid as typed.
pub struct PaperRow {
    /// 1-based row number.
    pub number: usize,
    /// Scores as typed, in question order.
    pub scores: Vec<String>,
    /// `L`, `P` or empty.
    pub jenis_kelamin: String,
    /// Age as typed.
    pub umur: String,
    /// Education as typed.
    pub pendidikan: String,
    /// Occupation as typed.
    pub pekerjaan: String,
    /// Locale keys of this row's errors.
    pub errors: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "survey_paper.html")]
struct PaperPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    services: Vec<Service>,
    questions: Vec<crate::storage::model::SurveyQuestion>,
    rows: Vec<PaperRow>,
    tanggal: String,
    layanan: String,
    error: Option<&'static str>,
    saved: Option<i64>,
    education: Vec<&'static str>,
    jobs: Vec<(&'static str, &'static str)>,
}

/// Query of the paper grid after a save.
#[derive(serde::Deserialize)]
pub struct PaperQuery {
    tersimpan: Option<i64>,
}

fn empty_rows(questions: usize) -> Vec<PaperRow> {
    (1..=PAPER_ROWS)
        .map(|number| PaperRow {
            number,
            scores: vec![String::new(); questions],
            jenis_kelamin: String::new(),
            umur: String::new(),
            pendidikan: String::new(),
            pekerjaan: String::new(),
            errors: Vec::new(),
        })
        .collect()
}

/// The paper-form grid: one row per form, the nine scores then the profile, typed
/// with the keyboard only (digits move on to the next cell by themselves when the
/// small script runs; without it the grid is a plain form with Tab between cells).
pub async fn paper_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    axum::extract::Query(q): axum::extract::Query<PaperQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(RUN_SURVEY)?;
    let survey = state
        .survey
        .unit_survey(state.store.as_ref(), &staff.unit.code)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let html = PaperPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        services: survey.services.clone(),
        rows: empty_rows(survey.questions.len()),
        questions: survey.questions.clone(),
        tanggal: survey.today().to_string(),
        layanan: String::new(),
        error: None,
        saved: q.tersimpan,
        education: crate::survey::form::PENDIDIKAN.to_vec(),
        jobs: crate::survey::form::PEKERJAAN.to_vec(),
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// Stores a stack of paper forms: every filled row is validated; if any row is
/// wrong the grid comes back with each problem on its row and nothing is stored;
/// otherwise all rows are committed in one transaction (source `paper`, entered by
/// this staff member).
pub async fn paper_submit(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, ErrorPage> {
    use crate::storage::model::{NewSurveyResponse, SurveyIntake};
    use crate::survey::form;
    staff.require(RUN_SURVEY)?;
    let survey = state
        .survey
        .unit_survey(state.store.as_ref(), &staff.unit.code)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let get = |k: &str| fields.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let tanggal = get("tanggal");
    let layanan = get("layanan");
    let date = crate::survey::interchange::parse_date(&tanggal);
    let service = survey.service(&layanan);
    let mut page_error = None;
    if date.is_none_or(|d| d > survey.today()) {
        page_error = Some("paper.bad_date");
    } else if service.is_none() && !survey.services.is_empty() {
        page_error = Some("survey.service_required");
    }
    let mut rows = Vec::new();
    let mut intakes = Vec::new();
    for number in 1..=PAPER_ROWS {
        let cell = |name: &str| get(&format!("r{number}_{name}"));
        let mut row = PaperRow {
            number,
            scores: survey.questions.iter().map(|q| cell(&q.key)).collect(),
            jenis_kelamin: cell("jenis_kelamin"),
            umur: cell("umur"),
            pendidikan: cell("pendidikan"),
            pekerjaan: cell("pekerjaan"),
            errors: Vec::new(),
        };
        let blank = row.scores.iter().all(String::is_empty)
            && [&row.jenis_kelamin, &row.umur, &row.pendidikan, &row.pekerjaan]
                .iter()
                .all(|v| v.is_empty());
        if !blank {
            let mut scores = std::collections::BTreeMap::new();
            for (q, typed) in survey.questions.iter().zip(&row.scores) {
                match form::parse_score(typed) {
                    Ok(Some(n)) => {
                        scores.insert(q.key.clone(), n);
                    }
                    Ok(None) => {}
                    Err(form::NotAScore) => row.errors.push("paper.bad_score"),
                }
            }
            if scores.is_empty() {
                row.errors.push("paper.no_scores");
            }
            let mut profile_errors = Vec::new();
            let (profile, _) = form::parse_profile(&cell, "", &mut profile_errors);
            row.errors.extend(profile_errors.into_iter().map(|e| e.message));
            row.errors.dedup();
            if row.errors.is_empty()
                && let Some(date) = date
            {
                intakes.push(SurveyIntake {
                    response: NewSurveyResponse {
                        unit_id: survey.unit.id,
                        service_id: service.map(|s| s.id),
                        rule_set_id: survey.rule_set_id,
                        responded_on: date,
                        source: crate::domain::SurveySource::Paper,
                        import_key: None,
                        scores,
                        profile,
                        saran: None,
                    },
                    kiosk_id: None,
                    entered_by: Some(staff.staff.session.user.id),
                });
            }
        }
        rows.push(row);
    }
    let row_errors = rows.iter().any(|r| !r.errors.is_empty());
    if page_error.is_none() && !row_errors && intakes.is_empty() {
        page_error = Some("paper.empty");
    }
    if page_error.is_some() || row_errors {
        let html = PaperPage {
            tr: reader.tr,
            page: reader.page,
            unit: staff.unit.clone(),
            services: survey.services.clone(),
            questions: survey.questions.clone(),
            rows,
            tanggal,
            layanan,
            error: page_error.or(Some("paper.row_errors")),
            saved: None,
            education: form::PENDIDIKAN.to_vec(),
            jobs: form::PEKERJAAN.to_vec(),
        }
        .render()?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    let saved = state.store.record_survey_batch(&intakes).await?.len();
    staff
        .audit(
            &state,
            "survey.paper_entered",
            "unit",
            &staff.unit.id.to_string(),
            &format!("{saved}"),
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/survei/kertas?tersimpan={saved}", staff.unit.code)).into_response())
}
