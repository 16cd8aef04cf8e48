//! The SKM survey a citizen fills in (issue 7): the public page per unit and service,
//! the kiosk at the counter, and their thank-you pages. Responses go through the
//! group-commit writer; the thank-you page is shown only after the commit.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, PublicRateLimit, Reader};
use crate::domain::SurveySource;
use crate::i18n::{Lang, Tr};
use crate::storage::model::{Kiosk, NewSurveyResponse, SurveyIntake, SurveyQuestion};
use crate::survey::UnitSurvey;
use crate::survey::form::{self, FieldError, PEKERJAAN, PENDIDIKAN};

/// Cookie that makes a browser a registered kiosk (its token; only the hash is stored).
pub const KIOSK_COOKIE: &str = "tanggap_kios";
/// Seconds the kiosk's thank-you page stays before the next respondent's form.
pub const KIOSK_THANKS_SECONDS: u32 = 6;

/// One answer button of a question.
pub struct OptionView {
    /// Score 1-4.
    pub score: i64,
    /// Wording from the rule set.
    pub label: String,
    /// Whether the respondent had chosen it.
    pub checked: bool,
}

/// One question as shown.
pub struct QuestionView {
    /// Element key (field `q_{key}`).
    pub key: String,
    /// 1-based number on the form.
    pub number: usize,
    /// The question.
    pub text: String,
    /// Its four answers.
    pub options: Vec<OptionView>,
    /// Locale key of its error, if any.
    pub error: Option<&'static str>,
}

/// What the respondent typed, echoed back when the form has errors.
#[derive(Default)]
pub struct FormValues {
    /// Chosen service code.
    pub layanan: String,
    /// `L`, `P` or empty.
    pub jenis_kelamin: String,
    /// Age as typed.
    pub umur: String,
    /// Education as chosen.
    pub pendidikan: String,
    /// Occupation as chosen.
    pub pekerjaan: String,
    /// Suggestion as typed.
    pub saran: String,
}

/// The data both survey layouts (public page and kiosk) render.
pub struct SurveyView {
    /// Unit name.
    pub unit_name: String,
    /// Services to choose from (code, name); empty when one is fixed.
    pub services: Vec<(String, String)>,
    /// The service the link or kiosk fixes (code, name).
    pub fixed_service: Option<(String, String)>,
    /// The questions.
    pub questions: Vec<QuestionView>,
    /// Echoed values.
    pub values: FormValues,
    /// Error summary: (field id, locale key).
    pub errors: Vec<(String, &'static str)>,
    /// Where the form posts.
    pub action: String,
    /// `web` or `qr` (the QR code's links say `qr`).
    pub source: String,
    /// Profile choices: education levels.
    pub education: Vec<&'static str>,
    /// Profile choices: (value, label).
    pub jobs: Vec<(&'static str, &'static str)>,
    /// One-time token of this rendering (issue 22): the public survey stores it as
    /// the response's import key, so a resubmission is not stored twice.
    pub submission_token: String,
}

/// The public survey page (also used by the one-time invite links).
#[derive(Template)]
#[template(path = "survey.html")]
pub(super) struct SurveyPage {
    pub(super) tr: Tr,
    pub(super) page: PageChrome,
    pub(super) v: SurveyView,
}

#[derive(Template)]
#[template(path = "kiosk.html")]
struct KioskPage {
    tr: Tr,
    page: PageChrome,
    v: SurveyView,
    idle_seconds: u32,
}

#[derive(Template)]
#[template(path = "survey_thanks.html")]
struct ThanksPage {
    tr: Tr,
    page: PageChrome,
    unit_name: String,
    unit_code: String,
}

#[derive(Template)]
#[template(path = "kiosk_thanks.html")]
struct KioskThanks {
    tr: Tr,
    unit_name: String,
    refresh_seconds: u32,
}

/// The question's wording: the rule set's Indonesian text, or the English of the
/// locale files (`skm.{key}.q`, `skm.{key}.a1`..`a4`) when the reader chose English
/// and a translation exists.
fn wording(tr: Tr, q: &SurveyQuestion) -> (String, [String; 4]) {
    let english = |suffix: &str| {
        let key = format!("skm.{}.{suffix}", q.key);
        (tr.lang == Lang::En && crate::i18n::keys(Lang::En).binary_search(&key.as_str()).is_ok())
            .then(|| tr.t(&key).to_owned())
    };
    let text = english("q").unwrap_or_else(|| q.question.clone());
    let answers = std::array::from_fn(|i| english(&format!("a{}", i + 1)).unwrap_or_else(|| q.answers[i].clone()));
    (text, answers)
}

/// Builds the view from the unit's questionnaire, the values given and the errors.
pub fn survey_view(
    tr: Tr,
    survey: &UnitSurvey,
    fixed_service: Option<&str>,
    fields: &HashMap<String, String>,
    errors: &[FieldError],
    action: String,
) -> SurveyView {
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let questions = survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let chosen = get(&form::answer_field(&q.key));
            let (text, answers) = wording(tr, q);
            QuestionView {
                key: q.key.clone(),
                number: i + 1,
                text,
                options: answers
                    .into_iter()
                    .enumerate()
                    .map(|(j, label)| OptionView {
                        score: j as i64 + 1,
                        label,
                        checked: chosen == (j + 1).to_string(),
                    })
                    .collect(),
                error: errors
                    .iter()
                    .find(|e| e.field == form::answer_field(&q.key))
                    .map(|e| e.message),
            }
        })
        .collect();
    let fixed = fixed_service
        .and_then(|code| survey.service(code))
        .map(|s| (s.code.clone(), s.name.clone()));
    let source = match get("sumber").as_str() {
        "qr" => "qr",
        _ => "web",
    };
    SurveyView {
        unit_name: survey.unit.name.clone(),
        services: if fixed.is_some() {
            Vec::new()
        } else {
            survey
                .services
                .iter()
                .map(|s| (s.code.clone(), s.name.clone()))
                .collect()
        },
        fixed_service: fixed,
        questions,
        values: FormValues {
            layanan: get("layanan"),
            jenis_kelamin: get("jenis_kelamin"),
            umur: get("umur"),
            pendidikan: get("pendidikan"),
            pekerjaan: get("pekerjaan"),
            saran: get("saran"),
        },
        errors: errors.iter().map(|e| (e.field.clone(), e.message)).collect(),
        action,
        source: source.to_owned(),
        education: PENDIDIKAN.to_vec(),
        jobs: PEKERJAAN.to_vec(),
        submission_token: crate::intake::idempotency::new_form_token(),
    }
}

/// Validates a submission for `survey`: answers, profile and (when the unit has a
/// catalog) the service. Returns the response to store, or the errors.
pub(super) fn validate(
    survey: &UnitSurvey,
    fields: &HashMap<String, String>,
    source: SurveySource,
) -> Result<NewSurveyResponse, Vec<FieldError>> {
    let (answers, mut errors) = form::parse_answers(&survey.questions, fields);
    let code = fields.get("layanan").map(|s| s.trim()).unwrap_or_default();
    let service = survey.service(code);
    if service.is_none() && !survey.services.is_empty() {
        errors.insert(
            0,
            FieldError {
                field: "layanan".into(),
                message: "survey.service_required",
            },
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewSurveyResponse {
        unit_id: survey.unit.id,
        service_id: service.map(|s| s.id),
        rule_set_id: survey.rule_set_id,
        responded_on: survey.today(),
        source,
        import_key: None,
        scores: answers.scores,
        profile: answers.profile,
        saran: answers.saran,
    })
}

pub(super) async fn unit_survey(state: &AppState, code: &str) -> Result<std::sync::Arc<UnitSurvey>, ErrorPage> {
    state
        .survey
        .unit_survey(state.store.as_ref(), code)
        .await?
        .ok_or(ErrorPage::NotFound)
}

/// Query of the survey page: a preselected service, and where the link came from.
#[derive(Deserialize)]
pub struct SurveyQuery {
    layanan: Option<String>,
    sumber: Option<String>,
}

fn query_fields(q: SurveyQuery) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    if let Some(l) = q.layanan {
        fields.insert("layanan".to_owned(), l);
    }
    if let Some(s) = q.sumber {
        fields.insert("sumber".to_owned(), s);
    }
    fields
}

/// The public survey of a unit; the respondent picks the service.
pub async fn survey_page(
    State(state): State<AppState>,
    Path(unit): Path<String>,
    Query(q): Query<SurveyQuery>,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let survey = unit_survey(&state, &unit).await?;
    let v = survey_view(
        reader.tr,
        &survey,
        None,
        &query_fields(q),
        &[],
        format!("/survei/{}", survey.unit.code),
    );
    Ok(Html(
        SurveyPage {
            tr: reader.tr,
            page: reader.page,
            v,
        }
        .render()?,
    ))
}

/// The public survey of one service (what its QR code and poster link to).
pub async fn service_survey_page(
    State(state): State<AppState>,
    Path((unit, service)): Path<(String, String)>,
    Query(q): Query<SurveyQuery>,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let survey = unit_survey(&state, &unit).await?;
    if survey.service(&service).is_none() {
        return Err(ErrorPage::NotFound);
    }
    let v = survey_view(
        reader.tr,
        &survey,
        Some(&service),
        &query_fields(q),
        &[],
        format!("/survei/{}", survey.unit.code),
    );
    Ok(Html(
        SurveyPage {
            tr: reader.tr,
            page: reader.page,
            v,
        }
        .render()?,
    ))
}

/// Takes a public survey response: on errors the form comes back (422) with what was
/// typed and each problem named; otherwise the response is committed and only then
/// does the respondent see the thank-you page. Rate-limited per address.
pub async fn submit_survey(
    State(state): State<AppState>,
    Path(unit): Path<String>,
    headers: HeaderMap,
    reader: Reader,
    _limit: PublicRateLimit,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, ErrorPage> {
    let Form(fields) = form.map_err(|_| ErrorPage::BadRequest)?;
    let survey = unit_survey(&state, &unit).await?;
    let source = if fields.get("sumber").is_some_and(|s| s == "qr") {
        SurveySource::Qr
    } else {
        SurveySource::Web
    };
    match validate(&survey, &fields, source) {
        Ok(mut response) => {
            // A resubmission of the same rendering (a retry after a lost answer) finds
            // its token stored as the import key: the writer stores nothing and the
            // respondent sees the same thank-you page.
            response.import_key = fields
                .get(crate::intake::idempotency::FORM_FIELD)
                .map(|t| t.trim())
                .filter(|t| crate::intake::idempotency::valid_key(t))
                .map(|t| format!("form:{t}"));
            // The same browser sending the same answers again is refused (see
            // `survey::dedupe`); the claim is released when the commit fails.
            let device = crate::auth::cookie(&headers, crate::auth::CSRF_COOKIE).unwrap_or_default();
            let fingerprint = crate::survey::dedupe::RecentAnswers::fingerprint(device, &response);
            if !state.survey.recent.claim(fingerprint) {
                return super::survey_invite::duplicate_page(reader, &survey.unit.name);
            }
            if let Err(e) = state.survey.writer.record(response.into()).await {
                state.survey.recent.release(fingerprint);
                return Err(e.into());
            }
            Ok(Redirect::to(&format!("/survei/{}/terima-kasih", survey.unit.code)).into_response())
        }
        Err(errors) => {
            let fixed = fields
                .get("layanan_tetap")
                .filter(|f| *f == "1")
                .and(fields.get("layanan"))
                .filter(|c| survey.service(c).is_some())
                .cloned();
            let v = survey_view(
                reader.tr,
                &survey,
                fixed.as_deref(),
                &fields,
                &errors,
                format!("/survei/{}", survey.unit.code),
            );
            let html = SurveyPage {
                tr: reader.tr,
                page: reader.page,
                v,
            }
            .render()?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    }
}

/// The thank-you page after a committed response.
pub async fn survey_thanks(
    State(state): State<AppState>,
    Path(unit): Path<String>,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let survey = unit_survey(&state, &unit).await?;
    Ok(Html(
        ThanksPage {
            tr: reader.tr,
            page: reader.page,
            unit_name: survey.unit.name.clone(),
            unit_code: survey.unit.code.clone(),
        }
        .render()?,
    ))
}

/// The registered kiosk of this browser, from its cookie; 403 for any other browser.
async fn this_kiosk(state: &AppState, headers: &HeaderMap) -> Result<Kiosk, ErrorPage> {
    let token = crate::auth::cookie(headers, KIOSK_COOKIE).ok_or(ErrorPage::Forbidden)?;
    state
        .store
        .kiosk_by_token(&crate::auth::hash_secret(token))
        .await?
        .ok_or(ErrorPage::Forbidden)
}

async fn kiosk_survey(state: &AppState, kiosk: &Kiosk) -> Result<std::sync::Arc<UnitSurvey>, ErrorPage> {
    let unit = state
        .store
        .list_units()
        .await?
        .into_iter()
        .find(|u| u.id == kiosk.unit_id)
        .ok_or(ErrorPage::NotFound)?;
    unit_survey(state, &unit.code).await
}

fn kiosk_view(
    tr: Tr,
    survey: &UnitSurvey,
    kiosk: &Kiosk,
    fields: &HashMap<String, String>,
    errors: &[FieldError],
) -> SurveyView {
    let fixed = kiosk
        .service_id
        .and_then(|id| survey.services.iter().find(|s| s.id == id))
        .map(|s| s.code.clone());
    survey_view(tr, survey, fixed.as_deref(), fields, errors, "/kiosk".to_owned())
}

/// The kiosk's survey form: full screen, big buttons, no site navigation.
pub async fn kiosk_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let kiosk = this_kiosk(&state, &headers).await?;
    let survey = kiosk_survey(&state, &kiosk).await?;
    let v = kiosk_view(reader.tr, &survey, &kiosk, &HashMap::new(), &[]);
    Ok(Html(
        KioskPage {
            tr: reader.tr,
            page: reader.page,
            v,
            idle_seconds: state.config.kiosk_idle_seconds.max(1),
        }
        .render()?,
    ))
}

/// Takes a kiosk response, attributed to the kiosk of this browser's token.
pub async fn kiosk_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    reader: Reader,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, ErrorPage> {
    let Form(mut fields) = form.map_err(|_| ErrorPage::BadRequest)?;
    let kiosk = this_kiosk(&state, &headers).await?;
    let survey = kiosk_survey(&state, &kiosk).await?;
    if let Some(service) = kiosk
        .service_id
        .and_then(|id| survey.services.iter().find(|s| s.id == id))
    {
        fields.insert("layanan".into(), service.code.clone());
    }
    match validate(&survey, &fields, SurveySource::Kiosk) {
        Ok(response) => {
            state
                .survey
                .writer
                .record(SurveyIntake {
                    response,
                    kiosk_id: Some(kiosk.id),
                    entered_by: None,
                })
                .await?;
            Ok(Redirect::to("/kiosk/terima-kasih").into_response())
        }
        Err(errors) => {
            let v = kiosk_view(reader.tr, &survey, &kiosk, &fields, &errors);
            let html = KioskPage {
                tr: reader.tr,
                page: reader.page,
                v,
                idle_seconds: state.config.kiosk_idle_seconds.max(1),
            }
            .render()?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    }
}

/// The kiosk's thank-you page; it returns to an empty form by itself (meta refresh,
/// no script needed).
pub async fn kiosk_thanks(
    State(state): State<AppState>,
    headers: HeaderMap,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let kiosk = this_kiosk(&state, &headers).await?;
    let survey = kiosk_survey(&state, &kiosk).await?;
    Ok(Html(
        KioskThanks {
            tr: reader.tr,
            unit_name: survey.unit.name.clone(),
            refresh_seconds: KIOSK_THANKS_SECONDS,
        }
        .render()?,
    ))
}

/// The `Set-Cookie` value that makes this browser the kiosk with `token`: HttpOnly
/// and SameSite=Strict, so no script or other site can use it.
pub fn kiosk_cookie(state: &AppState, token: &str) -> Result<HeaderValue, ErrorPage> {
    let secure = if state.config.secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{KIOSK_COOKIE}={token}; Path=/kiosk; Max-Age=157680000; HttpOnly; SameSite=Strict{secure}"
    ))
    .map_err(|_| ErrorPage::Internal)
}

/// Adds a header to a response (helper for cookie-setting redirects).
pub fn with_cookie(mut response: Response, cookie: HeaderValue) -> Response {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}
