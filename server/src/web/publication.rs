//! Publication of the IKM (issue 9): a public page per unit with the latest approved
//! SKM report's IKM per service, and a PNG image of it for notice boards and social
//! media. Only approved (frozen) reports are published, with their own figures.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::i18n::Tr;
use crate::reporting::workflow::{SKM, StoredReport};
use crate::storage::model::Unit;

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

/// The latest approved SKM report of a unit, if any.
async fn latest(state: &AppState, unit: &Unit) -> Result<Option<(String, reports::SkmReport)>, ErrorPage> {
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
    let Some(v) = approved.first() else {
        return Ok(None);
    };
    let data = state
        .store
        .report_data(unit.id, v.id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    match serde_json::from_str::<StoredReport>(&data) {
        Ok(StoredReport::Skm(r)) => Ok(Some((v.period.clone(), *r))),
        _ => Err(ErrorPage::Internal),
    }
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
    let (period, overall, services) = match &found {
        None => (None, String::new(), Vec::new()),
        Some((_, r)) => (
            Some(r.period_label.clone()),
            r.overall
                .groups
                .first()
                .and_then(|g| g.index.as_ref())
                .map(|i| {
                    format!(
                        "{} · {} ({})",
                        reports::fmt::dec(i.konversi, 2),
                        i.mutu.as_str(),
                        i.kinerja
                    )
                })
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
                        .map(|i| reports::fmt::dec(i.konversi, 2))
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
/// bands, with the unit and period in the title).
pub async fn image(
    State(state): State<AppState>,
    Path(code): Path<String>,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    let unit = state.store.unit_by_code(&code).await?.ok_or(ErrorPage::NotFound)?;
    let (_, report) = latest(&state, &unit).await?.ok_or(ErrorPage::NotFound)?;
    let title = crate::i18n::tf(
        reader.tr.lang,
        "publication.image_title",
        &[("unit", &unit.short_name), ("period", &report.period_label)],
    );
    let chart = reports::skm::publication_chart(&report, &title);
    let png = tokio::task::spawn_blocking(move || chart.png())
        .await
        .map_err(|_| ErrorPage::Internal)?
        .map_err(|e| {
            tracing::error!(error = %e, "publication image failed");
            ErrorPage::Internal
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("inline; filename=\"ikm-{}.png\"", unit.code))
                    .map_err(|_| ErrorPage::Internal)?,
            ),
        ],
        png,
    )
        .into_response())
}
