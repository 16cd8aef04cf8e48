//! Publication of the IKM (issue 9): a public page per unit with the latest approved
//! SKM report's IKM per service, and a PNG image of it for notice boards and social
//! media. Only approved (frozen) reports are published, with their own figures.
//!
//! The image is drawn once per approved version, language and unit name and kept in
//! a small in-memory cache per instance ([`ImageCache`]); it is sent with an ETag
//! naming exactly that, so a browser or proxy revalidates and gets 304.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::i18n::Tr;
use crate::reporting::workflow::{SKM, StoredReport};
use crate::storage::model::Unit;
use crate::storage::reports::ReportVersion;

/// How many publication images an instance keeps (one per approved version,
/// language and unit name; a handful of units per instance).
const IMAGE_CACHE_ENTRIES: usize = 64;

/// How long a browser or proxy may use the image before revalidating it: a new
/// approval replaces the published image, so not for long.
const IMAGE_CACHE_CONTROL: &str = "public, max-age=300";

/// Publication images already drawn, keyed by their ETag (which names the approved
/// version): drawing one takes a chart render, and the page is public and may be
/// hit often. Bounded; the oldest entry goes first.
#[derive(Default)]
pub struct ImageCache {
    entries: Mutex<VecDeque<(String, Arc<Vec<u8>>)>>,
}

impl ImageCache {
    fn get(&self, key: &str) -> Option<Arc<Vec<u8>>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().find(|(k, _)| k == key).map(|(_, png)| png.clone())
    }

    fn put(&self, key: String, png: Arc<Vec<u8>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.iter().any(|(k, _)| *k == key) {
            return;
        }
        if entries.len() >= IMAGE_CACHE_ENTRIES {
            entries.pop_front();
        }
        entries.push_back((key, png));
    }

    /// Number of images held (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing is cached yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One service on the public page.
pub struct PublishedService {
    /// Service name.
    pub service: String,
    /// Respondents.
    pub respondents: u64,
    /// Konversi, formatted.
    pub konversi: String,
    /// Mutu letter and kinerja.
    pub mutu: String,
}

/// The latest approved SKM version of a unit (without its data), if any.
async fn latest_version(state: &AppState, unit: &Unit) -> Result<Option<ReportVersion>, ErrorPage> {
    let mut approved: Vec<_> = state
        .store
        .list_report_versions(unit.id, Some(SKM))
        .await?
        .into_iter()
        .filter(|v| v.status == "approved")
        .collect();
    // Newest period first; within it the highest version.
    approved.sort_by(|a, b| {
        crate::reporting::period::Period::parse(&b.period)
            .map(|p| p.to())
            .ok()
            .cmp(&crate::reporting::period::Period::parse(&a.period).map(|p| p.to()).ok())
            .then(b.version.cmp(&a.version))
    });
    Ok(approved.into_iter().next())
}

/// The stored SKM report of a version.
async fn skm_of(state: &AppState, unit: &Unit, v: &ReportVersion) -> Result<reports::SkmReport, ErrorPage> {
    let data = state
        .store
        .report_data(unit.id, v.id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    match serde_json::from_str::<StoredReport>(&data) {
        Ok(StoredReport::Skm(r)) => Ok(*r),
        _ => Err(ErrorPage::Internal),
    }
}

/// The latest approved SKM report of a unit, if any.
async fn latest(state: &AppState, unit: &Unit) -> Result<Option<(String, reports::SkmReport)>, ErrorPage> {
    let Some(v) = latest_version(state, unit).await? else {
        return Ok(None);
    };
    Ok(Some((v.period.clone(), skm_of(state, unit, &v).await?)))
}

#[derive(Template)]
#[template(path = "publication.html")]
struct PublicationPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    period: Option<String>,
    overall: String,
    services: Vec<PublishedService>,
}

/// `/u/{code}/ikm`: the unit's published IKM.
pub async fn page(
    State(state): State<AppState>,
    Path(code): Path<String>,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let unit = state.store.unit_by_code(&code).await?.ok_or(ErrorPage::NotFound)?;
    let found = latest(&state, &unit).await?;
    let numbers = reports::fmt::NumberFormat::for_lang(reader.tr.lang.code());
    let (period, overall, services) = match &found {
        None => (None, String::new(), Vec::new()),
        Some((_, r)) => (
            Some(r.period_label.clone()),
            r.overall
                .groups
                .first()
                .and_then(|g| g.index.as_ref())
                .map(|i| format!("{} · {} ({})", numbers.dec(i.konversi, 2), i.mutu.as_str(), i.kinerja))
                .unwrap_or_default(),
            r.by_service
                .groups
                .iter()
                .map(|g| PublishedService {
                    service: g.key.first().and_then(|k| k.value.clone()).unwrap_or_default(),
                    respondents: g.respondents,
                    konversi: g
                        .index
                        .as_ref()
                        .map(|i| numbers.dec(i.konversi, 2))
                        .unwrap_or_else(|| "—".into()),
                    mutu: g
                        .index
                        .as_ref()
                        .map(|i| format!("{} ({})", i.mutu.as_str(), i.kinerja))
                        .unwrap_or_default(),
                })
                .collect(),
        ),
    };
    Ok(Html(
        PublicationPage {
            tr: reader.tr,
            page: reader.page,
            unit,
            period,
            overall,
            services,
        }
        .render()?,
    ))
}

/// `/u/{code}/ikm.png`: the publication image (IKM per service against the mutu
/// bands, with the unit and period in the title). Drawn once per approved version,
/// language and unit name; answered 304 when the browser already has it.
pub async fn image(
    State(state): State<AppState>,
    Path(code): Path<String>,
    reader: Reader,
    headers: HeaderMap,
) -> Result<Response, ErrorPage> {
    use sha2::Digest;
    let unit = state.store.unit_by_code(&code).await?.ok_or(ErrorPage::NotFound)?;
    let version = latest_version(&state, &unit).await?.ok_or(ErrorPage::NotFound)?;
    let lang = reader.tr.lang;
    let logo = state.store.unit_logo(unit.id).await?;
    // An approved version is frozen, so its id, the language, the unit's name in
    // the title and the unit's logo (when it was uploaded) determine the image.
    let logo_stamp = logo.as_ref().map(|l| l.updated_at.to_rfc3339()).unwrap_or_default();
    let digest = sha2::Sha256::digest(format!(
        "{}\n{}\n{}\n{logo_stamp}",
        version.id,
        lang.code(),
        unit.short_name
    ));
    let etag = format!("\"ikm-{}-{}\"", version.id, hex::encode(&digest[..8]));
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| ErrorPage::Internal)?;
    let cache_control = HeaderValue::from_static(IMAGE_CACHE_CONTROL);
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    if fresh {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache_control)],
        )
            .into_response());
    }
    let png = match state.images.get(&etag) {
        Some(png) => png,
        None => {
            let report = skm_of(&state, &unit, &version).await?;
            let title = crate::i18n::tf(
                lang,
                "publication.image_title",
                &[("unit", &unit.short_name), ("period", &report.period_label)],
            );
            let chart = reports::skm::publication_chart(&report, &title);
            let numbers = reports::fmt::NumberFormat::for_lang(lang.code());
            let logo = logo.and_then(|l| match reports::Logo::from_stored(&l.media_type, l.content) {
                Ok(logo) => Some(logo),
                Err(e) => {
                    tracing::warn!(unit = %unit.code, reason = %e, "stored unit logo refused; image drawn without it");
                    None
                }
            });
            let png = Arc::new(
                tokio::task::spawn_blocking(move || chart.png_with_logo(numbers, logo.as_ref()))
                    .await
                    .map_err(|_| ErrorPage::Internal)?
                    .map_err(|e| {
                        tracing::error!(error = %e, "publication image failed");
                        ErrorPage::Internal
                    })?,
            );
            state.images.put(etag.clone(), png.clone());
            png
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("inline; filename=\"ikm-{}.png\"", unit.code))
                    .map_err(|_| ErrorPage::Internal)?,
            ),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache_control),
        ],
        png.as_ref().clone(),
    )
        .into_response())
}
