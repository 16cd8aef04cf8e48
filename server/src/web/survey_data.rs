//! Survey data in and out for staff (issue 7): the import of historical files
//! (CSV or XLSX in the interchange layout) and the export in the same layout, so an
//! export imports back unchanged. The work is in [`crate::survey::import`] and
//! [`crate::survey::export`]; `tanggap import survei` does the same import.

use askama::Template;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;

use super::survey_staff::RUN_SURVEY;
use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{READ_COMPLAINTS, UnitStaff};
use crate::i18n::Tr;
use crate::storage::model::{SurveyRuleSet, Unit};
use crate::survey::import::{self, ImportFailure, ImportSummary};

/// Most rejected rows listed on the page (the summary counts them all).
const LISTED: usize = 1_000;

#[derive(Template)]
#[template(path = "survey_import.html")]
struct ImportPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rule_sets: Vec<SurveyRuleSet>,
    result: Option<ImportSummary>,
    summary: String,
    error: Option<String>,
    listed: usize,
}

async fn render(
    state: &AppState,
    reader: Reader,
    unit: Unit,
    status: StatusCode,
    result: Option<ImportSummary>,
    error: Option<String>,
) -> Result<Response, ErrorPage> {
    let rule_sets = state.store.survey_rule_sets().await?;
    let summary = result.as_ref().map(|r| r.summary(reader.tr.lang)).unwrap_or_default();
    let page = ImportPage {
        tr: reader.tr,
        page: reader.page,
        unit,
        rule_sets,
        result,
        summary,
        error,
        listed: LISTED,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The import form, with the export links.
pub async fn import_form(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(RUN_SURVEY)?;
    render(&state, reader, staff.unit, StatusCode::OK, None, None).await
}

/// The rule set a form or query names by code, else the default one.
fn pick_rule_set(rule_sets: Vec<SurveyRuleSet>, code: Option<&str>) -> Option<SurveyRuleSet> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => rule_sets.into_iter().find(|r| r.code == code),
        None => {
            let default = rule_sets.iter().position(|r| r.is_default).unwrap_or(0);
            rule_sets.into_iter().nth(default)
        }
    }
}

/// Imports an uploaded file and shows what happened: rows added, rows already
/// imported before, and each refused row with its reason.
pub async fn import_upload(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ErrorPage> {
    staff.require(RUN_SURVEY)?;
    let tr = reader.tr;
    let unit = staff.unit.clone();
    let mut file = None;
    let mut rule_set_code = None;
    if let Ok(mut form) = form {
        loop {
            match form.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_owned();
                    let Ok(bytes) = field.bytes().await else {
                        let error = Some(tr.t("survey_import.too_large").to_owned());
                        return render(&state, reader, unit, StatusCode::PAYLOAD_TOO_LARGE, None, error).await;
                    };
                    match name.as_str() {
                        "berkas" if !bytes.is_empty() => file = Some(bytes.to_vec()),
                        "aturan" => rule_set_code = Some(String::from_utf8_lossy(&bytes).into_owned()),
                        _ => {}
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let (status, key) = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        (StatusCode::PAYLOAD_TOO_LARGE, "survey_import.too_large")
                    } else {
                        (StatusCode::UNPROCESSABLE_ENTITY, "survey_import.no_file")
                    };
                    return render(&state, reader, unit, status, None, Some(tr.t(key).to_owned())).await;
                }
            }
        }
    }
    let Some(bytes) = file else {
        let error = Some(tr.t("survey_import.no_file").to_owned());
        return render(&state, reader, unit, StatusCode::UNPROCESSABLE_ENTITY, None, error).await;
    };
    let Some(rule_set) = pick_rule_set(state.store.survey_rule_sets().await?, rule_set_code.as_deref()) else {
        let error = Some(tr.t("survey_import.bad_rule_set").to_owned());
        return render(&state, reader, unit, StatusCode::UNPROCESSABLE_ENTITY, None, error).await;
    };
    let today = local_today(&unit);
    let user = Some(staff.staff.session.user.id);
    match import::import(state.store.as_ref(), &unit, &rule_set, &bytes, today, user, tr.lang).await {
        Ok(mut summary) => {
            staff
                .audit(
                    &state,
                    "import.survey",
                    "unit",
                    &unit.id.to_string(),
                    &summary.summary(crate::i18n::Lang::Id),
                )
                .await?;
            summary.rejected.truncate(LISTED);
            render(&state, reader, unit, StatusCode::OK, Some(summary), None).await
        }
        Err(ImportFailure::File(e)) => {
            render(&state, reader, unit, StatusCode::UNPROCESSABLE_ENTITY, None, Some(e.0)).await
        }
        Err(ImportFailure::Store(e)) => Err(e.into()),
    }
}

/// Today in the unit's time zone.
fn local_today(unit: &Unit) -> NaiveDate {
    let zone: chrono_tz::Tz = unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    chrono::Utc::now().with_timezone(&zone).date_naive()
}

/// Query of an export: date range (inclusive, all when absent) and rule set code.
#[derive(Debug, serde::Deserialize)]
pub struct ExportQuery {
    dari: Option<String>,
    sampai: Option<String>,
    aturan: Option<String>,
}

async fn export_rows(
    state: &AppState,
    staff: &UnitStaff,
    q: &ExportQuery,
) -> Result<(SurveyRuleSet, Vec<crate::storage::model::ExportedResponse>), ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let date = |v: &Option<String>, default: NaiveDate| match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => crate::survey::interchange::parse_date(v).ok_or(ErrorPage::BadRequest),
    };
    // Bounds every database accepts as a date (PostgreSQL's range is narrower than chrono's).
    let from = date(&q.dari, NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date"))?;
    let to = date(&q.sampai, NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date"))?;
    let rule_set =
        pick_rule_set(state.store.survey_rule_sets().await?, q.aturan.as_deref()).ok_or(ErrorPage::BadRequest)?;
    let rows = state.store.survey_export(staff.unit.id, rule_set.id, from, to).await?;
    staff
        .audit(
            state,
            "export.survey",
            "unit",
            &staff.unit.id.to_string(),
            &format!("{} {}", rule_set.code, rows.len()),
        )
        .await?;
    Ok((rule_set, rows))
}

fn download(bytes: Vec<u8>, content_type: &'static str, file_name: String) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// The unit's responses as interchange CSV.
pub async fn export_csv(
    State(state): State<AppState>,
    staff: UnitStaff,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ErrorPage> {
    let (rule_set, rows) = export_rows(&state, &staff, &q).await?;
    let bytes = crate::survey::export::to_csv(&staff.unit.code, &rule_set, &rows).map_err(|_| ErrorPage::Internal)?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        format!("skm-{}.csv", staff.unit.code),
    ))
}

/// The unit's responses as an interchange XLSX workbook.
pub async fn export_xlsx(
    State(state): State<AppState>,
    staff: UnitStaff,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ErrorPage> {
    let (rule_set, rows) = export_rows(&state, &staff, &q).await?;
    let bytes = crate::survey::export::to_xlsx(&staff.unit.code, &rule_set, &rows).map_err(|_| ErrorPage::Internal)?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("skm-{}.xlsx", staff.unit.code),
    ))
}
