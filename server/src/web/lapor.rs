//! The SPAN-LAPOR! upload page (issue 5): a complaint manager uploads an export, sees
//! exactly what would happen (dry run, the default), then imports it. The work is
//! the same as `tanggap import lapor` ([`crate::lapor`]).

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{IMPORT_COMPLAINTS, UnitStaff};
use crate::i18n::{Tr, tf};
use crate::lapor::{ImportOptions, ImportReport, Mapping};
use crate::storage::model::{LaporOutcome, Unit};

/// Most rejected rows listed on the page (the summary counts them all).
const LISTED: usize = 1_000;

/// A finished import as the page shows it.
pub struct ResultView {
    /// Whether nothing was stored.
    pub dry_run: bool,
    /// "baru 3, diperbarui 1, ..."
    pub summary: String,
    /// How the file was read.
    pub format: String,
    /// (row, reasons) of rejected rows.
    pub rejected: Vec<(u64, String)>,
    /// (row, tracking ID, what changed) of updated complaints.
    pub changes: Vec<(u64, String, String)>,
}

#[derive(Template)]
#[template(path = "lapor_import.html")]
struct ImportPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    result: Option<ResultView>,
    error: Option<String>,
}

fn view(tr: Tr, report: &ImportReport) -> ResultView {
    ResultView {
        dry_run: report.dry_run,
        summary: report.summary(tr.lang),
        format: report.format.clone(),
        rejected: report
            .rejected
            .iter()
            .take(LISTED)
            .map(|r| (r.row, r.text(tr.lang)))
            .collect(),
        changes: report
            .rows
            .iter()
            .filter_map(|r| match &r.outcome {
                LaporOutcome::Updated {
                    status_change,
                    new_follow_ups,
                    ..
                } => {
                    let mut what = Vec::new();
                    if let Some((from, to)) = status_change {
                        what.push(tf(tr.lang, "lapor_import.status_change", &[("from", from), ("to", to)]));
                    }
                    if *new_follow_ups > 0 {
                        what.push(tr.tn("lapor_import.follow_ups", &(*new_follow_ups as i64)));
                    }
                    Some((r.row, r.tracking_id.clone(), what.join(", ")))
                }
                _ => None,
            })
            .take(LISTED)
            .collect(),
    }
}

fn render(
    reader: Reader,
    unit: Unit,
    status: StatusCode,
    result: Option<ResultView>,
    error: Option<String>,
) -> Result<Response, ErrorPage> {
    let page = ImportPage {
        tr: reader.tr,
        page: reader.page,
        unit,
        result,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The upload form.
pub async fn import_form(staff: UnitStaff, reader: Reader) -> Result<Response, ErrorPage> {
    staff.require(IMPORT_COMPLAINTS)?;
    render(reader, staff.unit, StatusCode::OK, None, None)
}

/// What the form sent.
#[derive(Default)]
struct Upload {
    file: Option<Vec<u8>>,
    mapping: Option<Vec<u8>>,
    sheet: Option<String>,
    dry_run: bool,
}

/// Reads the multipart form; `Err` carries the status and the message key.
async fn read_upload(mut form: Multipart) -> Result<Upload, (StatusCode, &'static str)> {
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (StatusCode::PAYLOAD_TOO_LARGE, "lapor_import.too_large")
        } else {
            (StatusCode::BAD_REQUEST, "lapor_import.no_file")
        }
    };
    let mut upload = Upload::default();
    while let Some(field) = form.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(too_large)?;
        match name.as_str() {
            "berkas" if !bytes.is_empty() => upload.file = Some(bytes.to_vec()),
            "pemetaan" if !bytes.is_empty() => upload.mapping = Some(bytes.to_vec()),
            "lembar" => {
                upload.sheet = Some(String::from_utf8_lossy(&bytes).trim().to_owned()).filter(|s| !s.is_empty())
            }
            "uji" => upload.dry_run = true,
            _ => {}
        }
    }
    Ok(upload)
}

/// Runs an import (or a dry run) of an uploaded export and shows the result.
pub async fn import_upload(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ErrorPage> {
    staff.require(IMPORT_COMPLAINTS)?;
    let tr = reader.tr;
    let unit = staff.unit.clone();
    let upload = match form {
        Ok(form) => read_upload(form).await,
        Err(_) => Err((StatusCode::UNPROCESSABLE_ENTITY, "lapor_import.no_file")),
    };
    let upload = match upload {
        Ok(u) if u.file.is_some() => u,
        Ok(_) => {
            return render(
                reader,
                unit,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(tr.t("lapor_import.no_file").into()),
            );
        }
        Err((status, key)) => return render(reader, unit, status, None, Some(tr.t(key).into())),
    };
    let mapping = match upload
        .mapping
        .as_deref()
        .map(|b| Mapping::from_toml(&String::from_utf8_lossy(b)))
    {
        None => Mapping::default(),
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            return render(
                reader,
                unit,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(e.reason.text(tr.lang)),
            );
        }
    };
    let options = ImportOptions {
        unit: unit.clone(),
        mapping,
        sheet: upload.sheet,
        dry_run: upload.dry_run,
        batch_size: crate::lapor::DEFAULT_BATCH,
        recorded_by: Some(staff.staff.session.user.id),
    };
    let bytes = upload.file.unwrap_or_default();
    match crate::lapor::import(state.store.as_ref(), bytes, &options, &mut |_, _| {}).await {
        Ok(report) => {
            if !report.dry_run {
                staff
                    .audit(
                        &state,
                        "import.lapor",
                        "file",
                        "",
                        &report.summary(crate::i18n::Lang::Id),
                    )
                    .await?;
            }
            render(reader, unit, StatusCode::OK, Some(view(tr, &report)), None)
        }
        Err(e) => {
            let mut text = e.reason.text(tr.lang);
            if e.committed > 0 {
                text = format!("{text}. {}", tr.tn("lapor_import.committed", &(e.committed as i64)));
            }
            render(reader, unit, StatusCode::UNPROCESSABLE_ENTITY, None, Some(text))
        }
    }
}
