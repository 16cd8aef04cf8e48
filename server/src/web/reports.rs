//! Staff pages of the reports (issue 9): the list of report versions, making a
//! draft on demand, the approval workflow (submit, approve, return with a note),
//! and the stored files. Every version is kept and shown.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{READ_COMPLAINTS, UnitStaff};
use crate::domain::Role;
use crate::i18n::Tr;
use crate::reporting::period::Period;
use crate::reporting::workflow::{self, Actor, MONTHLY, SKM, WorkflowError};
use crate::storage::model::Unit;
use crate::storage::reports::{ReportAction, ReportVersion};

/// Who prepares and submits reports: the secretariat's complaint officers.
pub const PREPARE_REPORTS: &[Role] = &[Role::Petugas];
/// Who approves or returns them.
pub const REVIEW_REPORTS: &[Role] = &[Role::Sekretaris];

/// A version as a row of the list.
pub struct VersionRow {
    /// The version.
    pub v: ReportVersion,
    /// Name of its kind.
    pub kind: String,
    /// Name of its status.
    pub status: String,
}

fn row(tr: &Tr, v: ReportVersion) -> VersionRow {
    VersionRow {
        kind: tr.t(&format!("reporting.kind_{}", v.kind)).to_owned(),
        status: tr.t(&format!("reports.approval.status_{}", v.status)).to_owned(),
        v,
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    delivered: Vec<VersionRow>,
    versions: Vec<VersionRow>,
    can_prepare: bool,
    default_month: String,
    default_period: String,
    error: Option<String>,
}

async fn render_list(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, ErrorPage> {
    let versions: Vec<VersionRow> = state
        .store
        .list_report_versions(staff.unit.id, None)
        .await?
        .into_iter()
        .map(|v| row(&reader.tr, v))
        .collect();
    let today = crate::reporting::today(&staff.unit);
    let last_month = Period::month_of(today).previous();
    let delivered = if staff.has_any(&[Role::KepalaDinas]) {
        versions
            .iter()
            .filter(|r| r.v.status == "approved")
            .map(|r| row(&reader.tr, r.v.clone()))
            .collect()
    } else {
        Vec::new()
    };
    let html = ReportsPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        delivered,
        versions,
        can_prepare: staff.has_any(PREPARE_REPORTS),
        default_month: last_month.key(),
        default_period: {
            use chrono::Datelike;
            let s = if today.month() <= 6 { 1 } else { 2 };
            Period::Semester(today.year(), s).previous().key()
        },
        error,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// The unit's reports: every version, newest first; the form to make a draft; and,
/// for the kepala dinas, the approved reports delivered to them.
pub async fn list(State(state): State<AppState>, staff: UnitStaff, reader: Reader) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    render_list(&state, &staff, reader, StatusCode::OK, None).await
}

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn actor(staff: &UnitStaff) -> Actor {
    Actor {
        id: staff.staff.session.user.id,
        name: staff.staff.session.user.full_name.clone(),
    }
}

/// Makes a new draft version on demand (the preparer).
pub async fn create(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(PREPARE_REPORTS)?;
    let kind = field(&fields, "kind");
    let note = field(&fields, "note");
    if note.chars().count() > 4000 {
        let msg = reader.tr.t("reporting.web.note_too_long").to_owned();
        return render_list(&state, &staff, reader, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await;
    }
    let parsed = match kind.as_str() {
        MONTHLY => Period::parse_month(&field(&fields, "month")),
        SKM => Period::parse_skm(&field(&fields, "period")),
        _ => return Err(ErrorPage::BadRequest),
    };
    let period = match parsed {
        Ok(p) if p.from() <= crate::reporting::today(&staff.unit) => p,
        _ => {
            let msg = reader.tr.t("reporting.web.bad_period").to_owned();
            return render_list(&state, &staff, reader, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await;
        }
    };
    let who = actor(&staff);
    let version = if kind == MONTHLY {
        workflow::draft_monthly(state.store.as_ref(), &staff.unit, period, Some(&who), &note).await
    } else {
        workflow::draft_skm(state.store.as_ref(), &staff.unit, period, Some(&who), &note).await
    }
    .map_err(|e| {
        tracing::error!(error = %e, "report draft failed");
        ErrorPage::Internal
    })?;
    staff
        .audit(
            &state,
            "report.draft",
            "report_version",
            &version.id.to_string(),
            &version.period,
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/laporan/{}", staff.unit.code, version.id)).into_response())
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    version: VersionRow,
    history: Vec<VersionRow>,
    can_submit: bool,
    can_review: bool,
    can_prepare: bool,
    error: Option<String>,
}

async fn render_version(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    id: i64,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, ErrorPage> {
    let v = state
        .store
        .report_version(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let history = state
        .store
        .list_report_versions(staff.unit.id, Some(&v.kind))
        .await?
        .into_iter()
        .filter(|h| h.period == v.period)
        .map(|h| row(&reader.tr, h))
        .collect();
    let html = ReportPage {
        can_submit: v.status == "draft" && staff.has_any(PREPARE_REPORTS),
        can_review: v.status == "submitted" && staff.has_any(REVIEW_REPORTS),
        can_prepare: staff.has_any(PREPARE_REPORTS) && v.status == "returned",
        version: row(&reader.tr, v),
        history,
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        error,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// One version: its status, the review note, the workflow buttons this reader may
/// use, its files, and every version of the same report.
pub async fn show(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    render_version(&state, &staff, reader, id, StatusCode::OK, None).await
}

/// A stored file of a version: `html` (shown inline), `pdf` or `xlsx` (downloads).
pub async fn file(
    State(state): State<AppState>,
    staff: UnitStaff,
    Path((_, id, format)): Path<(String, i64, String)>,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let (content_type, inline) = match format.as_str() {
        "html" => ("text/html; charset=utf-8", true),
        "pdf" => ("application/pdf", false),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            false,
        ),
        _ => return Err(ErrorPage::NotFound),
    };
    let v = state
        .store
        .report_version(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let bytes = state
        .store
        .report_file(staff.unit.id, id, &format)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let name = format!(
        "{}; filename=\"laporan-{}-{}-{}-v{}.{format}\"",
        if inline { "inline" } else { "attachment" },
        v.kind,
        staff.unit.code,
        v.period,
        v.version
    );
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&name).map_err(|_| ErrorPage::Internal)?,
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn step(
    state: AppState,
    staff: UnitStaff,
    reader: Reader,
    id: i64,
    action: ReportAction,
    fields: Vec<(String, String)>,
) -> Result<Response, ErrorPage> {
    staff.require(match action {
        ReportAction::Submit => PREPARE_REPORTS,
        ReportAction::Approve | ReportAction::Return => REVIEW_REPORTS,
    })?;
    let note = field(&fields, "note");
    if note.chars().count() > 4000 {
        let msg = reader.tr.t("reporting.web.note_too_long").to_owned();
        return render_version(&state, &staff, reader, id, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await;
    }
    let result = workflow::act(
        state.store.as_ref(),
        &staff.unit,
        id,
        action,
        &actor(&staff),
        Some(&note),
        state.config.public_url.as_deref(),
    )
    .await;
    match result {
        Ok(v) => {
            staff
                .audit(
                    &state,
                    &format!("report.{}", v.status),
                    "report_version",
                    &id.to_string(),
                    &note,
                )
                .await?;
            Ok(Redirect::to(&format!("/staf/{}/laporan/{id}", staff.unit.code)).into_response())
        }
        Err(WorkflowError::NotFound) => Err(ErrorPage::NotFound),
        Err(WorkflowError::Other(e)) => {
            tracing::error!(error = %e, "report workflow step failed");
            Err(ErrorPage::Internal)
        }
        Err(e @ (WorkflowError::WrongStatus | WorkflowError::NoteRequired)) => {
            let key = match e {
                WorkflowError::NoteRequired => "reporting.web.note_required",
                _ => "reporting.web.wrong_status",
            };
            let msg = reader.tr.t(key).to_owned();
            render_version(&state, &staff, reader, id, StatusCode::UNPROCESSABLE_ENTITY, Some(msg)).await
        }
    }
}

/// The preparer submits a draft to the sekretaris.
pub async fn submit(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    step(state, staff, reader, id, ReportAction::Submit, fields).await
}

/// The sekretaris approves: the version is frozen and delivered to the kepala dinas.
pub async fn approve(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    step(state, staff, reader, id, ReportAction::Approve, fields).await
}

/// The sekretaris returns the version to the preparer with a note.
pub async fn return_back(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    step(state, staff, reader, id, ReportAction::Return, fields).await
}
