//! The unit's logo setting (issue 21): `/staf/{unit}/lambang`, for the unit's admins
//! only. The logo (lambang daerah) is printed at the left of the kop of the monthly
//! report, the SKM report and the reply letter, and on the public IKM image.
//!
//! The upload is a multipart form (the CSRF token in the query string, as every
//! file upload here). The file is checked by its content with
//! [`reports::Logo::check`] (PNG or SVG, at most 512 KiB, sane dimensions, an SVG
//! with scripts or external references refused); a refusal re-renders the page
//! with status 422 (413 for a body over the server's limit) and the reason in the
//! reader's language, and the stored logo stays as it was.

use askama::Template;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{MANAGE_UNIT, UnitStaff};
use crate::i18n::Tr;
use crate::storage::logos::UnitLogo;
use crate::storage::model::Unit;

#[derive(Template)]
#[template(path = "unit_logo.html")]
struct LogoPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    /// The current logo as a `data:` URI (the site's CSP allows data images; an
    /// `<img>` never runs an SVG's scripts).
    current: Option<String>,
    max_kib: usize,
    max_side: u32,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, ErrorPage> {
    let current = crate::reporting::unit_logo(state.store.as_ref(), &staff.unit)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "unit logo could not be read");
            ErrorPage::Internal
        })?
        .map(|logo| logo.data_uri());
    let page = LogoPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        current,
        max_kib: reports::logo::MAX_BYTES / 1024,
        max_side: reports::logo::MAX_SIDE,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /staf/{unit}/lambang`: the current logo and the upload form.
pub async fn page(State(state): State<AppState>, staff: UnitStaff, reader: Reader) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    render(&state, &staff, reader, StatusCode::OK, None).await
}

/// Reads the `lambang` file field; `Err` carries the status and the message key.
async fn read_file(form: Result<Multipart, MultipartRejection>) -> Result<Vec<u8>, (StatusCode, &'static str)> {
    let mut form = form.map_err(|_| (StatusCode::UNPROCESSABLE_ENTITY, "settings.logo.error.empty"))?;
    let mut file = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err((StatusCode::PAYLOAD_TOO_LARGE, "settings.logo.error.too_large"));
            }
            Err(_) => return Err((StatusCode::UNPROCESSABLE_ENTITY, "settings.logo.error.not_image")),
        };
        if field.name() == Some("lambang") {
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    (StatusCode::PAYLOAD_TOO_LARGE, "settings.logo.error.too_large")
                } else {
                    (StatusCode::UNPROCESSABLE_ENTITY, "settings.logo.error.not_image")
                }
            })?;
            file = bytes.to_vec();
        }
    }
    Ok(file)
}

/// `POST /staf/{unit}/lambang`: checks and stores the uploaded logo, replacing the
/// unit's previous one.
pub async fn upload(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let checked = match read_file(form).await {
        Ok(bytes) => reports::Logo::check(&bytes).map_err(|e| {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                match e {
                    reports::LogoError::Empty => "settings.logo.error.empty",
                    reports::LogoError::TooLarge => "settings.logo.error.too_large",
                    reports::LogoError::NotImage => "settings.logo.error.not_image",
                    reports::LogoError::Dimensions => "settings.logo.error.dimensions",
                    reports::LogoError::UnsafeSvg => "settings.logo.error.unsafe_svg",
                },
            )
        }),
        Err(e) => Err(e),
    };
    let logo = match checked {
        Ok(logo) => logo,
        Err((status, key)) => {
            let message = crate::i18n::tf(
                reader.tr.lang,
                key,
                &[
                    ("kib", &(reports::logo::MAX_BYTES / 1024).to_string()),
                    ("min", &reports::logo::MIN_SIDE.to_string()),
                    ("max", &reports::logo::MAX_SIDE.to_string()),
                ],
            );
            return render(&state, &staff, reader, status, Some(message)).await;
        }
    };
    let stored = UnitLogo {
        media_type: logo.format.mime().to_owned(),
        content: logo.bytes,
        updated_at: Utc::now(),
    };
    state
        .store
        .save_unit_logo(staff.unit.id, &stored, Some(staff.staff.session.user.id))
        .await?;
    staff
        .audit(
            &state,
            "unit_logo.saved",
            "unit_logo",
            &staff.unit.code,
            &format!(
                "{} {} B {}x{}",
                stored.media_type,
                stored.content.len(),
                logo.width,
                logo.height
            ),
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/lambang", staff.unit.code)).into_response())
}

/// `POST /staf/{unit}/lambang/hapus`: removes the logo (documents print the kop
/// without one again).
pub async fn remove(State(state): State<AppState>, staff: UnitStaff) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    if state.store.delete_unit_logo(staff.unit.id).await? {
        staff
            .audit(&state, "unit_logo.deleted", "unit_logo", &staff.unit.code, "")
            .await?;
    }
    Ok(Redirect::to(&format!("/staf/{}/lambang", staff.unit.code)).into_response())
}
