//! QR codes and posters of a unit's survey (issue 7): per service, a PNG and an SVG
//! that open the public survey page for that service, and a printable A4 poster
//! (HTML with a print stylesheet) carrying the unit's name, the service and the code.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{READ_COMPLAINTS, UnitStaff};
use crate::i18n::Tr;
use crate::storage::model::{Service, Unit};
use crate::survey::qr::{Qr, survey_url};

/// Pixels per module of the PNG (a 33-module code with its quiet zone is 328 px,
/// sharp on a receipt printer and a phone screen alike).
const PNG_SCALE: usize = 8;

/// The survey address of a service: the configured public URL, else the address
/// this request reached the server at.
fn url_for(state: &AppState, headers: &HeaderMap, unit: &Unit, service: &Service) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    survey_url(
        state.config.public_url.as_deref(),
        &format!("http://{host}"),
        &unit.code,
        &service.code,
    )
}

async fn service_of(state: &AppState, staff: &UnitStaff, code: &str) -> Result<Service, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    state
        .store
        .list_services(staff.unit.id)
        .await?
        .into_iter()
        .find(|s| s.code == code)
        .ok_or(ErrorPage::NotFound)
}

fn qr_of(url: &str) -> Result<Qr, ErrorPage> {
    Qr::new(url).map_err(|_| ErrorPage::Internal)
}

/// One service on the QR page.
pub struct QrRow {
    /// The service.
    pub service: Service,
    /// The address its code opens.
    pub url: String,
}

#[derive(Template)]
#[template(path = "survey_qr.html")]
struct QrPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rows: Vec<QrRow>,
}

/// Every service with its QR code, the address it opens and its downloads.
pub async fn qr_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    headers: HeaderMap,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let rows = state
        .store
        .list_services(staff.unit.id)
        .await?
        .into_iter()
        .map(|service| QrRow {
            url: url_for(&state, &headers, &staff.unit, &service),
            service,
        })
        .collect();
    let html = QrPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        rows,
    }
    .render()?;
    Ok(Html(html).into_response())
}

fn image(bytes: Vec<u8>, content_type: &'static str, file_name: String) -> Response {
    let disposition = HeaderValue::from_str(&format!("inline; filename=\"{file_name}\""))
        .unwrap_or(HeaderValue::from_static("inline"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=300")),
        ],
        bytes,
    )
        .into_response()
}

/// The QR code of a service as PNG.
pub async fn qr_png(
    State(state): State<AppState>,
    staff: UnitStaff,
    headers: HeaderMap,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, ErrorPage> {
    let service = service_of(&state, &staff, &code).await?;
    let qr = qr_of(&url_for(&state, &headers, &staff.unit, &service))?;
    let png = qr.png(PNG_SCALE).map_err(|_| ErrorPage::Internal)?;
    Ok(image(
        png,
        "image/png",
        format!("qr-{}-{}.png", staff.unit.code, service.code),
    ))
}

/// The QR code of a service as SVG (for print shops and large posters).
pub async fn qr_svg(
    State(state): State<AppState>,
    staff: UnitStaff,
    headers: HeaderMap,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, ErrorPage> {
    let service = service_of(&state, &staff, &code).await?;
    let qr = qr_of(&url_for(&state, &headers, &staff.unit, &service))?;
    Ok(image(
        qr.svg().into_bytes(),
        "image/svg+xml",
        format!("qr-{}-{}.svg", staff.unit.code, service.code),
    ))
}

#[derive(Template)]
#[template(path = "survey_poster.html")]
struct PosterPage {
    tr: Tr,
    unit: Unit,
    service: Service,
    url: String,
    svg_src: String,
}

/// A printable poster (A4, portrait) for one service: the unit's name, the service,
/// the invitation and the code, nothing of the staff pages around it.
pub async fn poster(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    headers: HeaderMap,
    Path((_, code)): Path<(String, String)>,
) -> Result<Response, ErrorPage> {
    let service = service_of(&state, &staff, &code).await?;
    let url = url_for(&state, &headers, &staff.unit, &service);
    let html = PosterPage {
        tr: reader.tr,
        svg_src: format!("/staf/{}/survei/qr/{}/svg", staff.unit.code, service.code),
        unit: staff.unit.clone(),
        service,
        url,
    }
    .render()?;
    Ok(Html(html).into_response())
}
