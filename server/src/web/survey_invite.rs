//! One-time survey invites (issue 7): after a service transaction, staff invite the
//! citizen by WhatsApp, SMS or email; the link opens the survey of that service and
//! takes exactly one response.
//!
//! - The token is 256 random bits; only its SHA-256 is stored.
//! - The message goes through the outbox in the same transaction as the invite, with
//!   the dedupe key `survey-invite:<unit>:<transaction>`, so it is sent once.
//! - A transaction reference is invited once per unit (unique index).
//! - The response and the invite's `used_at` are written in one transaction; a second
//!   submission stores nothing and gets a clear message (409).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::survey::{SurveyPage, survey_view, unit_survey, validate};
use super::survey_admin::MANAGE_SURVEY;
use super::{AppState, ErrorPage, PageChrome, PublicRateLimit, Reader};
use crate::auth::{UnitStaff, hash_secret, new_secret};
use crate::domain::SurveySource;
use crate::i18n::{Lang, Tr, tf};
use crate::storage::model::{NewOutbox, Service, SurveyIntake, Unit};
use crate::storage::survey_admin::{NewSurveyInvite, SurveyInvite};

/// Channels an invite can go by (the outbox's transports), with their label keys.
pub const INVITE_CHANNELS: [(&str, &str); 3] = [
    ("whatsapp", "survey_invite.channel_whatsapp"),
    ("sms", "survey_invite.channel_sms"),
    ("email", "survey_invite.channel_email"),
];

/// The invite form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    transaksi: String,
    #[serde(default)]
    layanan: String,
    #[serde(default)]
    saluran: String,
    #[serde(default)]
    kontak: String,
}

#[derive(Template)]
#[template(path = "survey_invites.html")]
struct InvitesPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    services: Vec<Service>,
    channels: [(&'static str, &'static str); 3],
    form: InviteForm,
    error: Option<&'static str>,
    sent: Option<String>,
}

/// The address an invite link points at.
pub fn invite_link(public_url: Option<&str>, token: &str) -> String {
    let base = public_url.unwrap_or("").trim_end_matches('/');
    format!("{base}/undangan/{token}")
}

async fn render(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    form: InviteForm,
    error: Option<&'static str>,
    sent: Option<String>,
) -> Result<Response, ErrorPage> {
    let html = InvitesPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        services: state.store.list_services(staff.unit.id).await?,
        channels: INVITE_CHANNELS,
        form,
        error,
        sent,
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// The form that invites one service transaction to the survey.
pub async fn invites_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_SURVEY)?;
    render(
        &state,
        &staff,
        reader,
        StatusCode::OK,
        InviteForm::default(),
        None,
        None,
    )
    .await
}

/// The message that carries the link, in Indonesian (what citizens read).
fn message(unit: &Unit, service: &Service, channel: &str, recipient: String, link: &str, reference: &str) -> NewOutbox {
    let args = [
        ("unit", unit.name.as_str()),
        ("service", service.name.as_str()),
        ("link", link),
    ];
    NewOutbox {
        unit_id: Some(unit.id),
        complaint_id: None,
        channel: channel.to_owned(),
        recipient,
        subject: (channel == "email").then(|| tf(Lang::Id, "survey_invite.email_subject", &args)),
        body: tf(Lang::Id, "survey_invite.message", &args),
        headers: Default::default(),
        dedupe_key: format!("survey-invite:{}:{reference}", unit.id),
    }
}

/// Why an invite was not created: the status and the locale key of the reason.
type Refusal = (StatusCode, &'static str);

/// Checks an invite request and creates the invite with its queued message, for the
/// staff form and the API alike. Returns the invite's id and the channel used.
async fn make_invite(
    state: &AppState,
    unit: &Unit,
    form: &InviteForm,
) -> Result<Result<(i64, String), Refusal>, ErrorPage> {
    let bad = StatusCode::UNPROCESSABLE_ENTITY;
    let reference = form.transaksi.trim().to_owned();
    if reference.is_empty() || reference.chars().count() > 100 {
        return Ok(Err((bad, "survey_invite.bad_reference")));
    }
    let services = state.store.list_services(unit.id).await?;
    let Some(service) = services.iter().find(|s| s.code == form.layanan.trim()).cloned() else {
        return Ok(Err((bad, "survey_invite.bad_service")));
    };
    let channel = form.saluran.trim();
    let recipient = match channel {
        "whatsapp" | "sms" => crate::intake::form::normalize_phone(&form.kontak),
        "email" => {
            let e = form.kontak.trim();
            (e.len() <= 254 && email_address::EmailAddress::is_valid(e) && e.contains('.')).then(|| e.to_owned())
        }
        _ => None,
    };
    let Some(recipient) = recipient else {
        return Ok(Err((bad, "survey_invite.bad_contact")));
    };
    let token = new_secret();
    let link = invite_link(state.config.public_url.as_deref(), &token);
    let invite = NewSurveyInvite {
        unit_id: unit.id,
        service_id: Some(service.id),
        token_hash: hash_secret(&token),
        transaction_ref: reference.clone(),
        channel: channel.to_owned(),
    };
    let outbox = message(unit, &service, channel, recipient, &link, &reference);
    match state.store.create_survey_invite(&invite, &outbox).await {
        Ok(id) => Ok(Ok((id, channel.to_owned()))),
        Err(e) if e.is_conflict() => Ok(Err((StatusCode::CONFLICT, "survey_invite.already_invited"))),
        Err(e) => Err(e.into()),
    }
}

/// Creates an invite and queues its message; the page then says where it went.
pub async fn create_invite(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<InviteForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_SURVEY)?;
    match make_invite(&state, &staff.unit, &form).await? {
        Ok((id, channel)) => {
            let reference = form.transaksi.trim();
            staff
                .audit(
                    &state,
                    "survey.invite_created",
                    "survey_invite",
                    &id.to_string(),
                    reference,
                )
                .await?;
            let sent = tf(
                reader.tr.lang,
                "survey_invite.sent",
                &[("reference", reference), ("channel", &channel)],
            );
            render(
                &state,
                &staff,
                reader,
                StatusCode::OK,
                InviteForm::default(),
                None,
                Some(sent),
            )
            .await
        }
        Err((status, key)) => render(&state, &staff, reader, status, form, Some(key), None).await,
    }
}

/// Body of `POST /api/v1/units/{unit}/survey-invites`.
#[derive(Debug, serde::Deserialize)]
pub struct ApiInvite {
    /// The unit's reference of the service transaction.
    pub transaction_ref: String,
    /// Service code.
    pub service: String,
    /// `whatsapp`, `sms` or `email`.
    pub channel: String,
    /// Phone number or email address.
    pub contact: String,
}

/// The API's answer: the invite is stored and its message queued (the link itself
/// is never returned: only the citizen receives it).
#[derive(Debug, serde::Serialize)]
pub struct CreatedInvite {
    /// Invite id.
    pub invite_id: i64,
    /// The transaction reference.
    pub transaction_ref: String,
    /// Channel the message is queued on.
    pub channel: String,
}

/// Creates an invite for an integration (a counter application) holding a unit
/// token with the `survey:invite` scope; same checks and answers as the staff form.
pub async fn api_create_invite(
    State(state): State<AppState>,
    client: crate::auth::ApiClient,
    Path(code): Path<String>,
    body: Result<super::api_error::ApiJson<ApiInvite>, super::api_error::ApiError>,
) -> Result<Response, crate::auth::ApiDenied> {
    use crate::auth::ApiDenied;
    let error = |status: StatusCode, key: &str| {
        (
            status,
            axum::Json(serde_json::json!({ "error": { "code": key.trim_start_matches("survey_invite."), "message": crate::i18n::t(Lang::Id, key) } })),
        )
            .into_response()
    };
    let unit = state
        .store
        .unit_by_code(&code)
        .await
        .map_err(|_| ApiDenied::Internal)?
        .ok_or(ApiDenied::Forbidden)?;
    client.require(unit.id, "survey:invite")?;
    let body = match body {
        Ok(super::api_error::ApiJson(body)) => body,
        Err(e) => return Ok(e.into_response()),
    };
    let form = InviteForm {
        transaksi: body.transaction_ref,
        layanan: body.service,
        saluran: body.channel,
        kontak: body.contact,
    };
    match make_invite(&state, &unit, &form)
        .await
        .map_err(|_| ApiDenied::Internal)?
    {
        Ok((invite_id, channel)) => Ok((
            StatusCode::CREATED,
            axum::Json(CreatedInvite {
                invite_id,
                transaction_ref: form.transaksi.trim().to_owned(),
                channel,
            }),
        )
            .into_response()),
        Err((status, key)) => Ok(error(status, key)),
    }
}

#[derive(Template)]
#[template(path = "survey_invite_used.html")]
struct UsedPage {
    tr: Tr,
    page: PageChrome,
    unit_name: String,
}

async fn invite_of(state: &AppState, token: &str) -> Result<(SurveyInvite, Unit), ErrorPage> {
    if token.len() > 128 {
        return Err(ErrorPage::NotFound);
    }
    let invite = state
        .store
        .survey_invite_by_token(&hash_secret(token))
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let unit = state
        .store
        .list_units()
        .await?
        .into_iter()
        .find(|u| u.id == invite.unit_id)
        .ok_or(ErrorPage::NotFound)?;
    Ok((invite, unit))
}

fn used(reader: Reader, unit: &Unit, status: StatusCode) -> Result<Response, ErrorPage> {
    let html = UsedPage {
        tr: reader.tr,
        page: reader.page,
        unit_name: unit.name.clone(),
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// The survey an invite link opens: the service of the transaction is fixed. An
/// invite already answered says so instead.
pub async fn invite_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    let (invite, unit) = invite_of(&state, &token).await?;
    if invite.used_at.is_some() {
        return used(reader, &unit, StatusCode::OK);
    }
    let survey = unit_survey(&state, &unit.code).await?;
    let service = invite
        .service_id
        .and_then(|id| survey.services.iter().find(|s| s.id == id))
        .map(|s| s.code.clone());
    let v = survey_view(
        reader.tr,
        &survey,
        service.as_deref(),
        &HashMap::new(),
        &[],
        format!("/undangan/{token}"),
    );
    let html = SurveyPage {
        tr: reader.tr,
        page: reader.page,
        v,
    }
    .render()?;
    Ok(Html(html).into_response())
}

/// Takes the one response of an invite (source `invite`), or refuses a second one
/// with 409 and stores nothing.
pub async fn invite_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    reader: Reader,
    _limit: PublicRateLimit,
    Form(mut fields): Form<HashMap<String, String>>,
) -> Result<Response, ErrorPage> {
    let (invite, unit) = invite_of(&state, &token).await?;
    if invite.used_at.is_some() {
        return used(reader, &unit, StatusCode::CONFLICT);
    }
    let survey = unit_survey(&state, &unit.code).await?;
    let service = invite
        .service_id
        .and_then(|id| survey.services.iter().find(|s| s.id == id))
        .map(|s| s.code.clone());
    if let Some(code) = &service {
        fields.insert("layanan".into(), code.clone());
    }
    match validate(&survey, &fields, SurveySource::Invite) {
        Ok(response) => {
            let intake = SurveyIntake {
                response,
                kiosk_id: None,
                entered_by: None,
            };
            match state.store.record_invite_response(invite.id, &intake).await? {
                Some(_) => Ok(Redirect::to(&format!("/survei/{}/terima-kasih", unit.code)).into_response()),
                None => used(reader, &unit, StatusCode::CONFLICT),
            }
        }
        Err(errors) => {
            let v = survey_view(
                reader.tr,
                &survey,
                service.as_deref(),
                &fields,
                &errors,
                format!("/undangan/{token}"),
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

#[derive(Template)]
#[template(path = "survey_duplicate.html")]
struct DuplicatePage {
    tr: Tr,
    page: PageChrome,
    unit_name: String,
}

/// The answer to a public response that repeats one this browser sent moments ago
/// (409, nothing stored).
pub fn duplicate_page(reader: Reader, unit_name: &str) -> Result<Response, ErrorPage> {
    let html = DuplicatePage {
        tr: reader.tr,
        page: reader.page,
        unit_name: unit_name.to_owned(),
    }
    .render()?;
    Ok((StatusCode::CONFLICT, Html(html)).into_response())
}
