//! Running the SKM over a period (issue 7): survey periods per unit, the population
//! of each service, the progress page (responses collected against the
//! Krejcie–Morgan sample from [`analytics::sample`]), and turning a saran into a
//! complaint with one action.
//!
//! Population (N) per service and period: what staff entered wins; when nothing was
//! entered, the system's own count of service transactions is used, which is the
//! number of distinct transaction references invited to the survey in the period
//! (the only record of transactions Tanggap holds). With neither, no sample size
//! can be stated and the page says so.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{HANDLE_COMPLAINTS, READ_COMPLAINTS, UnitStaff};
use crate::domain::Role;
use crate::i18n::Tr;
use crate::storage::model::{Service, SurveyRuleSet, Unit};
use crate::storage::survey_admin::{NewSurveyPeriod, SaranRow, SurveyPeriod};

/// Roles that set up survey periods and populations: the unit admin, the
/// sekretaris (who answers for the SKM report) and the petugas who run the survey.
pub const MANAGE_SURVEY: &[Role] = &[Role::Admin, Role::Sekretaris, Role::Petugas];

/// Longest period name.
const MAX_NAME: usize = 80;

#[derive(Template)]
#[template(path = "survey_periods.html")]
struct PeriodsPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    periods: Vec<SurveyPeriod>,
    rule_sets: Vec<SurveyRuleSet>,
    may_manage: bool,
    form: PeriodForm,
    error: Option<&'static str>,
}

/// A period form as typed (kept when it comes back with an error).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PeriodForm {
    #[serde(default)]
    nama: String,
    #[serde(default)]
    mulai: String,
    #[serde(default)]
    selesai: String,
    #[serde(default)]
    aturan: String,
    #[serde(default)]
    target: String,
}

impl PeriodForm {
    fn of(p: &SurveyPeriod, rule_sets: &[SurveyRuleSet]) -> PeriodForm {
        PeriodForm {
            nama: p.name.clone(),
            mulai: p.starts_on.to_string(),
            selesai: p.ends_on.to_string(),
            aturan: rule_sets
                .iter()
                .find(|r| r.id == p.rule_set_id)
                .map(|r| r.code.clone())
                .unwrap_or_default(),
            target: p.target_responses.map(|t| t.to_string()).unwrap_or_default(),
        }
    }

    /// Checks the form; `Err` is the locale key of the first problem.
    fn parse(&self, rule_sets: &[SurveyRuleSet]) -> Result<NewSurveyPeriod, &'static str> {
        let name = self.nama.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err("survey_admin.bad_name");
        }
        let date = |t: &str| crate::survey::interchange::parse_date(t);
        let (Some(starts_on), Some(ends_on)) = (date(&self.mulai), date(&self.selesai)) else {
            return Err("survey_admin.bad_dates");
        };
        if ends_on < starts_on {
            return Err("survey_admin.bad_dates");
        }
        let rule_set = if self.aturan.trim().is_empty() {
            rule_sets.iter().find(|r| r.is_default)
        } else {
            rule_sets.iter().find(|r| r.code == self.aturan.trim())
        }
        .ok_or("survey_admin.bad_rule_set")?;
        let target_responses = match self.target.trim() {
            "" => None,
            t => match t.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err("survey_admin.bad_target"),
            },
        };
        Ok(NewSurveyPeriod {
            name: name.to_owned(),
            starts_on,
            ends_on,
            rule_set_id: rule_set.id,
            target_responses,
        })
    }
}

async fn render_periods(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    form: PeriodForm,
    error: Option<&'static str>,
) -> Result<Response, ErrorPage> {
    let html = PeriodsPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        periods: state.store.list_survey_periods(staff.unit.id).await?,
        rule_sets: state.store.survey_rule_sets().await?,
        may_manage: staff.has_any(MANAGE_SURVEY),
        form,
        error,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// The unit's survey periods and, for those who manage them, the form for a new one.
pub async fn periods_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    render_periods(&state, &staff, reader, StatusCode::OK, PeriodForm::default(), None).await
}

/// Creates a period.
pub async fn create_period(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<PeriodForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_SURVEY)?;
    let rule_sets = state.store.survey_rule_sets().await?;
    let period = match form.parse(&rule_sets) {
        Ok(p) => p,
        Err(key) => {
            return render_periods(
                &state,
                &staff,
                reader,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                Some(key),
            )
            .await;
        }
    };
    let id = match state.store.create_survey_period(staff.unit.id, &period).await {
        Ok(id) => id,
        Err(e) if e.is_conflict() => {
            return render_periods(
                &state,
                &staff,
                reader,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                Some("survey_admin.name_taken"),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    staff
        .audit(
            &state,
            "survey.period_created",
            "survey_period",
            &id.to_string(),
            &period.name,
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/survei/periode/{id}", staff.unit.code)).into_response())
}

/// One service's line on the progress page.
pub struct ProgressRow {
    /// Service name (or the "no service named" label's key result).
    pub service: String,
    /// Service id, for the population field (None for responses without service).
    pub service_id: Option<i64>,
    /// Population used, if any.
    pub population: Option<i64>,
    /// Whether the population was entered by staff (else counted).
    pub entered: bool,
    /// Krejcie–Morgan sample needed, when a population is known.
    pub sample: Option<i64>,
    /// Responses collected.
    pub responses: i64,
    /// Responses still missing (0 when the sample is reached).
    pub missing: Option<i64>,
    /// Share of the sample collected, 0-100, for the bar.
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "survey_period.html")]
struct PeriodPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    period: SurveyPeriod,
    rule_set: String,
    rule_sets: Vec<SurveyRuleSet>,
    rows: Vec<ProgressRow>,
    total_responses: i64,
    total_sample: Option<i64>,
    may_manage: bool,
    form: PeriodForm,
    error: Option<&'static str>,
    saved: bool,
}

/// Builds the progress rows of a period: per active service, the population in use,
/// the sample it needs and what was collected; then responses naming no service.
pub fn progress_rows(
    services: &[Service],
    populations: &[crate::storage::survey_admin::Population],
    counts: &[crate::storage::survey_admin::PeriodCount],
    no_service_label: &str,
) -> Vec<ProgressRow> {
    let mut rows: Vec<ProgressRow> = services
        .iter()
        .map(|s| {
            let entered = populations.iter().find(|p| p.service_id == s.id).map(|p| p.population);
            let count = counts.iter().find(|c| c.service_id == Some(s.id));
            let counted = count.map(|c| c.transactions).filter(|n| *n > 0);
            let population = entered.or(counted);
            let responses = count.map(|c| c.responses).unwrap_or(0);
            let sample = population.map(|n| analytics::sample::krejcie_morgan(n.max(0) as u64) as i64);
            ProgressRow {
                service: s.name.clone(),
                service_id: Some(s.id),
                population,
                entered: entered.is_some(),
                sample,
                responses,
                missing: sample.map(|n| (n - responses).max(0)),
                percent: match sample {
                    Some(0) => 100,
                    Some(n) => (responses * 100 / n).min(100),
                    None => 0,
                },
            }
        })
        .collect();
    if let Some(c) = counts.iter().find(|c| c.service_id.is_none() && c.responses > 0) {
        rows.push(ProgressRow {
            service: no_service_label.to_owned(),
            service_id: None,
            population: None,
            entered: false,
            sample: None,
            responses: c.responses,
            missing: None,
            percent: 0,
        });
    }
    rows
}

#[allow(clippy::too_many_arguments)]
async fn render_period(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    period: SurveyPeriod,
    status: StatusCode,
    form: Option<PeriodForm>,
    error: Option<&'static str>,
    saved: bool,
) -> Result<Response, ErrorPage> {
    let rule_sets = state.store.survey_rule_sets().await?;
    let services = state.store.list_services(staff.unit.id).await?;
    let populations = state.store.survey_populations(period.id).await?;
    let counts = state.store.survey_period_counts(staff.unit.id, &period).await?;
    let rows = progress_rows(&services, &populations, &counts, reader.tr.t("survey_admin.no_service"));
    let total_responses = rows.iter().map(|r| r.responses).sum();
    let with_service: Vec<&ProgressRow> = rows.iter().filter(|r| r.service_id.is_some()).collect();
    let total_sample = if !with_service.is_empty() && with_service.iter().all(|r| r.sample.is_some()) {
        Some(with_service.iter().filter_map(|r| r.sample).sum())
    } else {
        None
    };
    let html = PeriodPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        rule_set: rule_sets
            .iter()
            .find(|r| r.id == period.rule_set_id)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        form: form.unwrap_or_else(|| PeriodForm::of(&period, &rule_sets)),
        period,
        rule_sets,
        rows,
        total_responses,
        total_sample,
        may_manage: staff.has_any(MANAGE_SURVEY),
        error,
        saved,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// Query of the period page after a save.
#[derive(Debug, serde::Deserialize)]
pub struct SavedQuery {
    tersimpan: Option<String>,
}

/// A period's progress: per service, the population, the Krejcie–Morgan sample it
/// needs and the responses collected; with the edit and population forms.
pub async fn period_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let period = state
        .store
        .survey_period(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    render_period(
        &state,
        &staff,
        reader,
        period,
        StatusCode::OK,
        None,
        None,
        q.tersimpan.is_some(),
    )
    .await
}

/// Changes a period's name, dates, rule set or target.
pub async fn update_period(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
    Form(form): Form<PeriodForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_SURVEY)?;
    let period = state
        .store
        .survey_period(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let rule_sets = state.store.survey_rule_sets().await?;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    let changed = match form.parse(&rule_sets) {
        Ok(p) => p,
        Err(key) => return render_period(&state, &staff, reader, period, status, Some(form), Some(key), false).await,
    };
    match state.store.update_survey_period(staff.unit.id, id, &changed).await {
        Ok(true) => {}
        Ok(false) => return Err(ErrorPage::NotFound),
        Err(e) if e.is_conflict() => {
            let key = Some("survey_admin.name_taken");
            return render_period(&state, &staff, reader, period, status, Some(form), key, false).await;
        }
        Err(e) => return Err(e.into()),
    }
    staff
        .audit(
            &state,
            "survey.period_changed",
            "survey_period",
            &id.to_string(),
            &changed.name,
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/survei/periode/{id}?tersimpan=1", staff.unit.code)).into_response())
}

/// Stores the populations typed for the services (`populasi_<service id>`); an
/// empty field leaves that service as it was. Any invalid number refuses the whole
/// form, which comes back with the message.
pub async fn set_populations(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_, id)): Path<(String, i64)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_SURVEY)?;
    let period = state
        .store
        .survey_period(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let services = state.store.list_services(staff.unit.id).await?;
    let mut values = Vec::new();
    for (name, value) in &fields {
        let Some(service_id) = name.strip_prefix("populasi_").and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let valid_service = services.iter().any(|s| s.id == service_id);
        match value.trim().replace('.', "").parse::<i64>() {
            Ok(n) if (0..=100_000_000).contains(&n) && valid_service => values.push((service_id, n)),
            _ => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                let key = Some("survey_admin.bad_population");
                return render_period(&state, &staff, reader, period, status, None, key, false).await;
            }
        }
    }
    for (service_id, n) in &values {
        state.store.set_survey_population(period.id, *service_id, *n).await?;
    }
    staff
        .audit(
            &state,
            "survey.population_set",
            "survey_period",
            &id.to_string(),
            &values
                .iter()
                .map(|(s, n)| format!("{s}={n}"))
                .collect::<Vec<_>>()
                .join(","),
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/survei/periode/{id}?tersimpan=1", staff.unit.code)).into_response())
}

#[derive(Template)]
#[template(path = "survey_saran.html")]
struct SaranPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rows: Vec<SaranRow>,
    may_handle: bool,
}

/// Saran rows listed at once.
const SARAN_LISTED: i64 = 200;

/// The newest suggestions from the survey, each with its complaint or a button that
/// makes one.
pub async fn saran_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let html = SaranPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        rows: state.store.survey_saran(staff.unit.id, SARAN_LISTED).await?,
        may_handle: staff.has_any(HANDLE_COMPLAINTS),
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// Turns a response's saran into a complaint (channel `skm`, klasifikasi aspirasi,
/// anonymous: a survey respondent left no identity) linked to the response. The
/// channel reference `survei-<response id>` makes a second click (or a second
/// staff member) return the same complaint instead of a new one.
pub async fn saran_to_complaint(
    State(state): State<AppState>,
    staff: UnitStaff,
    Path((_, response_id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    use crate::storage::model::{Complainant, ComplaintExtras, NewComplaint};
    staff.require(HANDLE_COMPLAINTS)?;
    let row = state
        .store
        .survey_saran_row(staff.unit.id, response_id)
        .await?
        .filter(|r| !r.saran.trim().is_empty())
        .ok_or(ErrorPage::NotFound)?;
    if let Some(complaint_id) = row.complaint_id {
        return Ok(Redirect::to(&format!("/staf/{}/pengaduan/{complaint_id}", staff.unit.code)).into_response());
    }
    let subject: String = row.saran.chars().take(100).collect();
    let complaint = NewComplaint {
        unit_id: staff.unit.id,
        channel: crate::domain::Channel::Skm,
        channel_ref: Some(format!("survei-{response_id}")),
        channel_detail: None,
        received_at: chrono::Utc::now(),
        recorded_by: Some(staff.staff.session.user.id),
        complainant: Complainant::default(),
        anonim: true,
        rahasia: false,
        subject,
        description: row.saran.clone(),
        event_place: None,
        event_date: Some(row.responded_on),
        klasifikasi: crate::domain::Klasifikasi::Aspirasi,
        service_id: row.service_id,
    };
    let recorded = state
        .store
        .record_complaint_with(&complaint, &ComplaintExtras::default())
        .await?;
    state.store.link_complaint_to_response(recorded.id, response_id).await?;
    if recorded.created {
        staff
            .audit(
                &state,
                "survey.saran_to_complaint",
                "complaint",
                &recorded.id.to_string(),
                &format!("survey_response {response_id}"),
            )
            .await?;
    }
    Ok(Redirect::to(&format!("/staf/{}/pengaduan/{}", staff.unit.code, recorded.id)).into_response())
}
