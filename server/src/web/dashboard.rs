//! The leadership dashboard (issue 9): this month at a glance (new, closed and
//! overdue complaints, SLA compliance), IKM by service and the 12-month trend. Every
//! figure links to the rows behind it: the complaints of that month and kind, or the
//! survey results of that service.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate, TimeZone};
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{READ_COMPLAINTS, UnitStaff};
use crate::i18n::Tr;
use crate::reporting::period::Period;
use crate::storage::model::{SurveyFilter, Unit};

/// One service's IKM.
pub struct ServiceIkm {
    /// Service name.
    pub service: String,
    /// Respondents.
    pub respondents: u64,
    /// Konversi, formatted.
    pub konversi: String,
    /// Mutu letter.
    pub mutu: String,
    /// Link to its rows.
    pub href: String,
}

/// One month of the trend.
pub struct TrendRow {
    /// Month key (2026-10).
    pub key: String,
    /// Month name.
    pub label: String,
    /// Received.
    pub opened: u64,
    /// Closed.
    pub closed: u64,
    /// Compliance, formatted.
    pub compliance: String,
    /// Received that month and closed on an unrecorded date.
    pub closed_unknown: u64,
}

/// What each headline figure counts and over which period, in the reader's
/// language: read side by side, "100 % on time" and "95 overdue" must not seem to
/// contradict each other (one is this month's complaints, the other every open one).
pub struct FigureLabels {
    /// Received this month.
    pub new: String,
    /// Of those, closed by today.
    pub closed: String,
    /// Of those, closed on an unrecorded date.
    pub closed_unknown: String,
    /// Open past their deadline today, whenever received.
    pub overdue: String,
    /// Compliance of this month's complaints judged by today.
    pub sla: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    month: String,
    month_label: String,
    new: u64,
    closed: u64,
    overdue: usize,
    compliance: String,
    closed_unknown: u64,
    labels: FigureLabels,
    services: Vec<ServiceIkm>,
    /// Complainants beside everyone else this year (issue 19): label, respondents, konversi.
    complainants: Vec<(&'static str, u64, String)>,
    year: i32,
    trend: Vec<TrendRow>,
    chart: String,
    compliance_chart: String,
}

fn survey_filter(unit: &Unit, from: NaiveDate, to: NaiveDate) -> SurveyFilter {
    let rules = analytics::RuleSet::permenpan_14_2017();
    SurveyFilter {
        rule_set: rules.id.clone(),
        element_keys: rules.element_keys().iter().map(|k| k.to_string()).collect(),
        unit_id: Some(unit.id),
        from: Some(from),
        to: Some(to),
    }
}

fn internal<E: std::fmt::Display>(e: E) -> ErrorPage {
    tracing::error!(error = %e, "dashboard computation failed");
    ErrorPage::Internal
}

/// The 12-month trend charts as SVG (counts, then the on-time percentage on its
/// own axis), drawn exactly as the monthly report draws them: the report's chart
/// list is built from the figures alone (an empty register and overdue list), and
/// only the trends are drawn.
fn trend_charts(
    unit: &Unit,
    month: Period,
    today: NaiveDate,
    stats: analytics::ComplaintStats,
    trend: &[reports::monthly::TrendMonth],
    labels: &reports::Labels,
) -> Result<(String, String), reports::ReportError> {
    let figures = reports::MonthlyReport {
        letterhead: crate::reporting::letterhead(unit),
        month: month.from(),
        as_of: today,
        stats,
        trend: trend.to_vec(),
        register: Vec::new(),
        overdue: Vec::new(),
        stages: Vec::new(),
        preparer_note: String::new(),
        approval: reports::Approval::default(),
    };
    let charts = figures.charts(labels);
    let svg = |stem: &str| -> Result<String, reports::ReportError> {
        Ok(charts
            .iter()
            .find(|(name, _)| name == stem)
            .map(|(_, c)| c.svg(labels.numbers()))
            .transpose()?
            .unwrap_or_default())
    };
    Ok((svg("tren")?, svg("tren_tepat_waktu")?))
}

/// The dashboard of the unit's current month (figures as of today).
pub async fn dashboard(State(state): State<AppState>, staff: UnitStaff, reader: Reader) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let unit = staff.unit.clone();
    let today = crate::reporting::today(&unit);
    let month = Period::month_of(today);
    // Only what the page shows: the month's figures and trend from analytics, and
    // the overdue count from the very query its link lists (so the figure equals
    // the rows); no register, no document.
    let (stats, trend_months) = crate::reporting::monthly_figures(state.store.as_ref(), &unit, month, today)
        .await
        .map_err(internal)?;
    let overdue = state
        .store
        .overdue_complaints(unit.id, crate::reporting::overdue_cutoff(&unit, today))
        .await?
        .len();
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let by_service = crate::survey::stats::survey_ikm(
        state.store.as_ref(),
        &survey_filter(&unit, year_start, today),
        analytics::IkmQuery {
            rule_set: analytics::RuleSet::permenpan_14_2017(),
            group_by: vec![analytics::Dimension::Service],
            ..Default::default()
        },
    )
    .await
    .map_err(internal)?;
    let labels = crate::reporting::labels(reader.tr.lang);
    // Figures in the reader's number format, as the charts beside them.
    let numbers = labels.numbers();
    let split = crate::survey::complainants::complainant_ikm(
        state.store.as_ref(),
        &survey_filter(&unit, year_start, today),
        &analytics::RuleSet::permenpan_14_2017(),
    )
    .await
    .map_err(internal)?;
    let complainants = if split.respondents == 0 {
        Vec::new()
    } else {
        use crate::survey::complainants::{COMPLAINANTS, OTHERS, group_figures};
        [COMPLAINANTS, OTHERS]
            .iter()
            .map(|key| {
                let (n, konversi) = group_figures(&split, key);
                (
                    reader.tr.t(&format!("reports.skm.complainants.{key}")),
                    n,
                    konversi.map(|k| numbers.dec(k, 2)).unwrap_or_else(|| "—".into()),
                )
            })
            .collect()
    };
    let compliance = reports::monthly::overall_compliance(&stats.sla)
        .map(|c| numbers.dec(c, 2))
        .unwrap_or_else(|| "—".into());
    let (new, closed, closed_unknown) = (stats.total, stats.closed, stats.closed_date_unknown);
    let (chart, compliance_chart) =
        trend_charts(&unit, month, today, stats, &trend_months, &labels).map_err(internal)?;
    let lang = reader.tr.lang;
    let month_name = month.label(lang);
    let today_text = today.format("%d-%m-%Y").to_string();
    let period = [("month", month_name.as_str()), ("today", today_text.as_str())];
    let figure_labels = FigureLabels {
        new: crate::i18n::tf(lang, "dashboard.fig_new", &period),
        closed: crate::i18n::tf(lang, "dashboard.fig_closed", &period),
        closed_unknown: crate::i18n::tf(lang, "dashboard.fig_closed_unknown", &period),
        overdue: crate::i18n::tf(lang, "dashboard.fig_overdue", &period),
        sla: crate::i18n::tf(lang, "dashboard.fig_sla", &period),
    };
    let services = by_service
        .groups
        .iter()
        .map(|g| {
            let name = g.key.first().and_then(|k| k.value.clone()).unwrap_or_default();
            ServiceIkm {
                href: format!(
                    "/staf/{}/dasbor/survei?layanan={}&dari={year_start}&sampai={today}",
                    unit.code,
                    form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
                ),
                service: name,
                respondents: g.respondents,
                konversi: g
                    .index
                    .as_ref()
                    .map(|i| numbers.dec(i.konversi, 2))
                    .unwrap_or_else(|| "—".into()),
                mutu: g.index.as_ref().map(|i| i.mutu.as_str().to_owned()).unwrap_or_default(),
            }
        })
        .collect();
    let trend = trend_months
        .iter()
        .map(|t| TrendRow {
            key: Period::month_of(t.month).key(),
            label: Period::month_of(t.month).label(reader.tr.lang),
            opened: t.opened,
            closed: t.closed,
            compliance: t
                .compliance_pct
                .map(|c| numbers.dec(c, 2))
                .unwrap_or_else(|| "—".into()),
            closed_unknown: t.closed_date_unknown,
        })
        .collect();
    let html = DashboardPage {
        complainants,
        month: month.key(),
        month_label: month.label(reader.tr.lang),
        new,
        closed,
        overdue,
        compliance,
        closed_unknown,
        labels: figure_labels,
        services,
        year: today.year(),
        trend,
        chart,
        compliance_chart,
        tr: reader.tr,
        page: reader.page,
        unit,
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// `?bulan=2026-10&jenis=masuk|selesai|terlambat`.
#[derive(Debug, Deserialize)]
pub struct RowsQuery {
    /// Month key.
    pub bulan: Option<String>,
    /// Which rows: received (`masuk`), closed (`selesai`) or open past due (`terlambat`).
    pub jenis: Option<String>,
}

/// One complaint behind a figure.
pub struct RowView {
    /// Complaint id (links to its page).
    pub id: i64,
    /// Nomor agenda.
    pub nomor: String,
    /// Local date received.
    pub received: NaiveDate,
    /// Status name.
    pub status: String,
    /// Bobot key.
    pub bobot: String,
}

#[derive(Template)]
#[template(path = "dashboard_rows.html")]
struct RowsPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    title: String,
    rows: Vec<RowView>,
}

/// The complaints behind a dashboard figure.
pub async fn rows(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Query(q): Query<RowsQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let unit = staff.unit.clone();
    let zone = crate::reporting::zone(&unit);
    let today = crate::reporting::today(&unit);
    let month = match q.bulan.as_deref() {
        Some(m) => Period::parse_month(m).map_err(|_| ErrorPage::NotFound)?,
        None => Period::month_of(today),
    };
    let kind = q.jenis.unwrap_or_else(|| "masuk".into());
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).date_naive();
    let status = |s: &str| reader.tr.t(&format!("status.{s}")).to_owned();
    let rows: Vec<RowView> = match kind.as_str() {
        "masuk" | "selesai" => {
            let from = zone
                .from_local_datetime(&month.from().and_hms_opt(0, 0, 0).unwrap_or_default())
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
                .ok_or(ErrorPage::NotFound)?;
            let to = zone
                .from_local_datetime(
                    &(month.to() + chrono::Duration::days(1))
                        .and_hms_opt(0, 0, 0)
                        .unwrap_or_default(),
                )
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
                .ok_or(ErrorPage::NotFound)?;
            state
                .store
                .report_register(unit.id, from, to)
                .await?
                .into_iter()
                .filter(|r| kind == "masuk" || r.closed_at.is_some_and(|c| local(c) <= today))
                .map(|r| RowView {
                    id: r.id,
                    nomor: r.nomor_agenda,
                    received: local(r.received_at),
                    status: status(&r.status),
                    bobot: r.bobot.unwrap_or_default(),
                })
                .collect()
        }
        "terlambat" => state
            .store
            .overdue_complaints(unit.id, crate::reporting::overdue_cutoff(&unit, today))
            .await?
            .into_iter()
            .map(|r| RowView {
                id: r.id,
                nomor: r.nomor_agenda,
                received: local(r.received_at),
                status: status(&r.status),
                bobot: r.bobot.unwrap_or_default(),
            })
            .collect(),
        _ => return Err(ErrorPage::NotFound),
    };
    let title = crate::i18n::tf(
        reader.tr.lang,
        &format!("dashboard.rows_{kind}"),
        &[("month", &month.label(reader.tr.lang)), ("n", &rows.len().to_string())],
    );
    let html = RowsPage {
        tr: reader.tr,
        page: reader.page,
        unit,
        title,
        rows,
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// `?layanan=...&dari=YYYY-MM-DD&sampai=YYYY-MM-DD`.
#[derive(Debug, Deserialize)]
pub struct SurveyQuery {
    /// Service name.
    pub layanan: Option<String>,
    /// First day.
    pub dari: Option<String>,
    /// Last day.
    pub sampai: Option<String>,
}

/// One element's result.
pub struct ElementView {
    /// "U1 Persyaratan".
    pub name: String,
    /// Answers.
    pub answered: u64,
    /// NRR, formatted.
    pub nrr: String,
    /// NRR × 25, formatted: the figure the mutu beside it is the grade of.
    pub konversi: String,
    /// Mutu letter.
    pub mutu: String,
}

#[derive(Template)]
#[template(path = "dashboard_survey.html")]
struct SurveyPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    service: String,
    from: NaiveDate,
    to: NaiveDate,
    respondents: u64,
    konversi: String,
    elements: Vec<ElementView>,
}

/// The survey results behind a service's IKM on the dashboard.
pub async fn survey(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Query(q): Query<SurveyQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let numbers = reports::fmt::NumberFormat::for_lang(reader.tr.lang.code());
    let unit = staff.unit.clone();
    let today = crate::reporting::today(&unit);
    let date = |v: Option<&str>, default: NaiveDate| match v.filter(|s| !s.trim().is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| ErrorPage::NotFound),
        None => Ok(default),
    };
    let from = date(
        q.dari.as_deref(),
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
    )?;
    let to = date(q.sampai.as_deref(), today)?;
    let service = q.layanan.unwrap_or_default();
    let wanted = service.clone();
    let report = crate::survey::stats::survey_ikm(
        state.store.as_ref(),
        &survey_filter(&unit, from, to),
        analytics::IkmQuery {
            rule_set: analytics::RuleSet::permenpan_14_2017(),
            filters: if wanted.is_empty() {
                Vec::new()
            } else {
                vec![analytics::Filter {
                    dimension: analytics::Dimension::Service,
                    values: vec![wanted],
                }]
            },
            ..Default::default()
        },
    )
    .await
    .map_err(internal)?;
    let group = report.groups.first();
    let elements = group
        .map(|g| {
            g.elements
                .iter()
                .map(|e| {
                    let info = report.elements.iter().find(|i| i.key == e.key);
                    ElementView {
                        name: info
                            .map(|i| format!("{} {}", i.code, i.name))
                            .unwrap_or_else(|| e.key.clone()),
                        answered: e.answered,
                        nrr: e
                            .score
                            .as_ref()
                            .map(|s| numbers.dec(s.nrr, 2))
                            .unwrap_or_else(|| "—".into()),
                        konversi: e
                            .score
                            .as_ref()
                            .map(|s| numbers.dec(s.konversi, 2))
                            .unwrap_or_else(|| "—".into()),
                        mutu: e.score.as_ref().map(|s| s.mutu.as_str().to_owned()).unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let html = SurveyPage {
        respondents: report.respondents,
        konversi: group
            .and_then(|g| g.index.as_ref())
            .map(|i| format!("{} ({})", numbers.dec(i.konversi, 2), i.mutu.as_str()))
            .unwrap_or_else(|| "—".into()),
        elements,
        service,
        from,
        to,
        tr: reader.tr,
        page: reader.page,
        unit,
    }
    .render()?;
    Ok(Html(html).into_response())
}
