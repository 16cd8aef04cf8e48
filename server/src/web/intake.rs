//! The ways in over HTTP: the citizen's complaint form, staff entry (with a batch mode
//! for emptying the drop box), the SMS/WhatsApp gateway webhook, and the JSON API to
//! file a complaint and follow it. All of them go through `intake::form` and the one
//! nomor agenda sequence, and answer only after the commit.

use askama::Template;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::{AppState, ErrorPage, PageChrome, PublicRateLimit, Reader};
use crate::auth::{HANDLE_COMPLAINTS, UnitStaff};
use crate::domain::{Channel, Klasifikasi};
use crate::i18n::{Lang, Tr};
use crate::intake::files::{self, FileRejection};
use crate::intake::form::{ComplaintInput, FieldError, Filer, STAFF_CHANNELS, ValidComplaint};
use crate::intake::{ack, gateway, idempotency};
use crate::storage::StoreError;
use crate::storage::model::{ComplaintExtras, IdempotencyKey, NewAttachment, RecordedComplaint, Service, Unit};

/// A form field's problem as the page shows it.
pub struct ShownError {
    /// Field name (the input's id).
    pub field: &'static str,
    /// Message in the reader's language.
    pub message: &'static str,
}

#[derive(Template)]
#[template(path = "complaint_form.html")]
struct ComplaintFormPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    services: Vec<Service>,
    input: ComplaintInput,
    errors: Vec<ShownError>,
    klasifikasi: Vec<(&'static str, &'static str)>,
    staff: bool,
    batch: bool,
    saved: String,
    channels: Vec<(&'static str, &'static str)>,
    action: String,
    max_files: usize,
    max_mb: usize,
    /// One-time token of this rendering: a resubmission lands on the first receipt.
    submission_token: String,
}

impl ComplaintFormPage {
    fn error_for(&self, field: &str) -> &'static str {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message)
            .unwrap_or("")
    }

    fn checked(&self, value: &Option<String>) -> bool {
        value.as_deref().is_some_and(|v| !v.is_empty())
    }
}

fn klasifikasi_options(tr: Tr) -> Vec<(&'static str, &'static str)> {
    Klasifikasi::ALL
        .iter()
        .map(|k| (k.key(), tr.t(&format!("klasifikasi.{}", k.key()))))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    reader: Reader,
    unit: Unit,
    services: Vec<Service>,
    input: ComplaintInput,
    errors: &[FieldError],
    staff: bool,
    batch: bool,
    saved: String,
) -> ComplaintFormPage {
    let tr = reader.tr;
    let csrf: String = url::form_urlencoded::byte_serialize(reader.page.csrf.as_bytes()).collect();
    let action = if staff {
        format!("/staf/{}/pengaduan/baru?csrf={csrf}", unit.code)
    } else {
        format!("/u/{}/pengaduan?csrf={csrf}", unit.code)
    };
    ComplaintFormPage {
        tr,
        page: reader.page,
        services,
        input,
        errors: errors
            .iter()
            .map(|e| ShownError {
                field: e.field,
                message: tr.t(e.message),
            })
            .collect(),
        klasifikasi: klasifikasi_options(tr),
        staff,
        batch,
        saved,
        channels: STAFF_CHANNELS
            .iter()
            .map(|c| (c.key(), tr.t(&format!("channel.{}", c.key()))))
            .collect(),
        action,
        unit,
        max_files: files::MAX_FILES,
        max_mb: files::MAX_FILE_BYTES / (1024 * 1024),
        submission_token: idempotency::new_form_token(),
    }
}

async fn unit_and_services(state: &AppState, code: &str) -> Result<(Unit, Vec<Service>), ErrorPage> {
    let unit = state.store.unit_by_code(code).await?.ok_or(ErrorPage::NotFound)?;
    let services = state.store.list_services(unit.id).await?;
    Ok((unit, services))
}

/// Query of the public form: a service can be preselected from its catalog entry.
#[derive(Deserialize, Default)]
pub struct FormQuery {
    layanan: Option<String>,
}

/// `GET /u/{code}/pengaduan`: the citizen's complaint form. Phone first, no script.
pub async fn complaint_form(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<FormQuery>,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let (unit, services) = unit_and_services(&state, &code).await?;
    let input = ComplaintInput {
        service: q.layanan.unwrap_or_default(),
        ..Default::default()
    };
    Ok(Html(
        form_page(reader, unit, services, input, &[], false, false, String::new()).render()?,
    ))
}

/// A complaint form as it came in: the fields and the files.
struct Submitted {
    input: ComplaintInput,
    files: Vec<NewAttachment>,
    file_error: Option<FileRejection>,
    batch: bool,
    /// The form's one-time token ([`idempotency::FORM_FIELD`]), when it carried one.
    token: Option<String>,
}

impl Submitted {
    /// The retry key of this submission under `scope`: its token and a fingerprint of
    /// everything it carries (fields, batch flag, files).
    fn idempotency(&self, scope: &str) -> Option<IdempotencyKey> {
        let token = self.token.clone()?;
        let fields = serde_json::to_vec(&self.input).unwrap_or_default();
        let batch: &[u8] = if self.batch { b"batch" } else { b"" };
        let mut parts: Vec<&[u8]> = vec![&fields, batch];
        for f in &self.files {
            parts.push(f.filename.as_bytes());
            parts.push(&f.content);
        }
        Some(idempotency::key(scope, token, idempotency::fingerprint(parts)))
    }
}

/// What filing a complaint came to.
enum Filed {
    /// Stored now, or earlier under the same retry key (`created = false`).
    Stored(RecordedComplaint),
    /// Field errors to show; nothing stored.
    Invalid(Vec<FieldError>),
    /// The retry key was used before for a different request; nothing stored.
    KeyReused,
}

/// Reads a multipart (or urlencoded-free) complaint form: text fields into
/// [`ComplaintInput`], files checked by content.
async fn read_form(mut multipart: Multipart) -> Result<Submitted, ErrorPage> {
    let mut fields = serde_json::Map::new();
    let mut files = Vec::new();
    let mut file_error = None;
    let mut batch = false;
    let mut token = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(ErrorPage::PayloadTooLarge),
            Err(_) => return Err(ErrorPage::BadRequest),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field.file_name().map(str::to_owned);
        // A file part is one named `attachments` even when its file name could not be
        // read (`filename="\"`): it is checked like any file, never silently dropped.
        if filename.is_some() || name == "attachments" {
            let filename = filename.unwrap_or_default();
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ErrorPage::PayloadTooLarge
                } else {
                    ErrorPage::BadRequest
                }
            })?;
            if name != "attachments" || (bytes.is_empty() && filename.is_empty()) {
                continue;
            }
            match files::admit(files.len(), &filename, bytes.to_vec()) {
                Ok(a) => files.push(a),
                Err(FileRejection::TooMany) => file_error = Some(FileRejection::TooMany),
                Err(e) => file_error = file_error.or(Some(e)),
            }
            continue;
        }
        let text = field.text().await.map_err(|_| ErrorPage::BadRequest)?;
        if name == "batch" {
            batch = !text.is_empty();
        } else if name == idempotency::FORM_FIELD {
            token = Some(text.trim().to_owned()).filter(|t| idempotency::valid_key(t));
        } else if matches!(name.as_str(), "anonim" | "rahasia") {
            fields.insert(name, serde_json::Value::String(text));
        } else if !name.is_empty() && name != "csrf" {
            fields.insert(name, serde_json::Value::String(text.chars().take(20_000).collect()));
        }
    }
    let input: ComplaintInput =
        serde_json::from_value(serde_json::Value::Object(fields)).map_err(|_| ErrorPage::BadRequest)?;
    Ok(Submitted {
        input,
        files,
        file_error,
        batch,
        token,
    })
}

/// Validates and stores under the retry key `idempotency`, if any.
async fn file_complaint(
    state: &AppState,
    unit: &Unit,
    services: &[Service],
    submitted: &Submitted,
    filer: Filer,
    lang: Lang,
    idempotency: Option<IdempotencyKey>,
) -> Result<Filed, ErrorPage> {
    let validated = submitted.input.validate(unit, services, filer, Utc::now());
    let mut errors = match &validated {
        Ok(_) => Vec::new(),
        Err(e) => e.clone(),
    };
    if let Some(rejection) = submitted.file_error {
        errors.push(FieldError {
            field: "attachments",
            message: rejection.message_key(),
        });
    }
    let Ok(ValidComplaint { complaint, notify }) = validated else {
        return Ok(Filed::Invalid(errors));
    };
    if !errors.is_empty() {
        return Ok(Filed::Invalid(errors));
    }
    let extras = ComplaintExtras {
        first_message: None,
        attachments: submitted.files.clone(),
        notify: notify
            .map(|(by, to)| ack::acknowledgement(unit, by, &to, lang, state.config.public_url.as_deref()))
            .into_iter()
            .collect(),
        idempotency,
    };
    match state.store.record_complaint_with(&complaint, &extras).await {
        Ok(recorded) => Ok(Filed::Stored(recorded)),
        Err(StoreError::IdempotencyKeyReused) => Ok(Filed::KeyReused),
        Err(e) => Err(e.into()),
    }
}

/// The field error a complaint form shows when its token was used for other content.
const FORM_REUSED: FieldError = FieldError {
    field: "subject",
    message: "idempotency.form_reused",
};

/// `POST /u/{code}/pengaduan`: stores a citizen's complaint and sends them to its
/// receipt (the tracking page) only after the commit. Errors re-show the form with
/// what was typed (files must be chosen again) and store nothing.
pub async fn submit_complaint(
    State(state): State<AppState>,
    Path(code): Path<String>,
    reader: Reader,
    _limit: PublicRateLimit,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ErrorPage> {
    let (unit, services) = unit_and_services(&state, &code).await?;
    // Not multipart, or no boundary: the reader's error page, not axum's English text.
    let submitted = read_form(multipart.map_err(|_| ErrorPage::BadRequest)?).await?;
    let key = submitted.idempotency("form");
    let filed = file_complaint(
        &state,
        &unit,
        &services,
        &submitted,
        Filer::Citizen,
        reader.tr.lang,
        key,
    )
    .await?;
    let errors = match filed {
        Filed::Stored(recorded) => {
            return Ok(Redirect::to(&format!("/lacak?kode={}&baru=1", recorded.tracking_code)).into_response());
        }
        Filed::Invalid(errors) => errors,
        Filed::KeyReused => vec![FORM_REUSED],
    };
    let page = form_page(
        reader,
        unit,
        services,
        submitted.input,
        &errors,
        false,
        false,
        String::new(),
    );
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// Query of the staff entry form (batch mode keeps the channel and date).
#[derive(Deserialize, Default)]
pub struct StaffFormQuery {
    batch: Option<String>,
    channel: Option<String>,
    received_date: Option<String>,
    saved: Option<String>,
}

/// `GET /staf/{unit}/pengaduan/baru`: staff record a complaint that came on paper, by
/// phone, in person or on social media. `?batch=1` is the drop-box mode: after each
/// save the form comes back empty with channel and date kept, ready for the next.
pub async fn staff_complaint_form(
    State(state): State<AppState>,
    staff: UnitStaff,
    Query(q): Query<StaffFormQuery>,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let services = state.store.list_services(staff.unit.id).await?;
    let zone: chrono_tz::Tz = staff.unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta);
    let today = Utc::now().with_timezone(&zone).format("%Y-%m-%d").to_string();
    let input = ComplaintInput {
        channel: q.channel.unwrap_or_else(|| Channel::KotakSaran.key().to_owned()),
        received_date: q.received_date.unwrap_or(today),
        ..Default::default()
    };
    let batch = q.batch.is_some_and(|b| !b.is_empty());
    let saved = q.saved.unwrap_or_default().chars().take(60).collect();
    Ok(Html(
        form_page(reader, staff.unit, services, input, &[], true, batch, saved).render()?,
    ))
}

/// `POST /staf/{unit}/pengaduan/baru`: stores a staff-entered complaint with its
/// original received time, channel reference and scans.
pub async fn staff_record_complaint(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    request: axum::extract::Request,
) -> Result<Response, ErrorPage> {
    // The role is checked before the body is read.
    staff.require(HANDLE_COMPLAINTS)?;
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| ErrorPage::BadRequest)?;
    let services = state.store.list_services(staff.unit.id).await?;
    let submitted = read_form(multipart).await?;
    let filer = Filer::Staff {
        user_id: staff.staff.session.user.id,
    };
    let key = submitted.idempotency(&format!("staff-form:{}", staff.staff.session.user.id));
    let filed = file_complaint(&state, &staff.unit, &services, &submitted, filer, Lang::Id, key).await?;
    let filed = match filed {
        Filed::Stored(recorded) => Ok(recorded),
        Filed::Invalid(errors) => Err(errors),
        Filed::KeyReused => Err(vec![FORM_REUSED]),
    };
    match filed {
        Ok(recorded) => {
            if recorded.created {
                staff
                    .audit(
                        &state,
                        "complaint.record",
                        "complaint",
                        &recorded.id.to_string(),
                        &recorded.nomor_agenda,
                    )
                    .await?;
            }
            let target = if submitted.batch {
                let keep = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
                format!(
                    "/staf/{}/pengaduan/baru?batch=1&channel={}&received_date={}&saved={}",
                    staff.unit.code,
                    keep(&submitted.input.channel),
                    keep(&submitted.input.received_date),
                    keep(&recorded.nomor_agenda)
                )
            } else {
                format!("/staf/{}/pengaduan/{}", staff.unit.code, recorded.id)
            };
            Ok(Redirect::to(&target).into_response())
        }
        Err(errors) => {
            let page = form_page(
                reader,
                staff.unit,
                services,
                submitted.input,
                &errors,
                true,
                submitted.batch,
                String::new(),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// `GET /staf/{unit}/pengaduan/{id}/lampiran/{file}`: an attachment, to the roles
/// that handle complaints and may see this complaint's identity (an attachment can be
/// a photo of a KTP; for an anonim complaint only the complaint managers, 404 for the
/// others, issue 17). Served as a download with the sniffed type, never inline HTML.
pub async fn attachment(
    State(state): State<AppState>,
    staff: UnitStaff,
    Path((_, id, file)): Path<(String, String, String)>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let (Ok(id), Ok(file)) = (id.parse::<i64>(), file.parse::<i64>()) else {
        return Err(ErrorPage::NotFound);
    };
    // The complaint must be this unit's: isolation before anything else.
    let complaint = state
        .store
        .complaint(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    if !crate::auth::may_see_identity(&staff, complaint.summary.anonim) {
        return Err(ErrorPage::NotFound);
    }
    let (info, bytes) = state
        .store
        .attachment_content(id, file)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    staff
        .audit(&state, "attachment.view", "complaint", &id.to_string(), &info.filename)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, info.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                files::content_disposition(&info.filename, &info.content_type),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// JSON error of the intake API: a code, a sentence in Indonesian and English, and the
/// fields at fault.
#[derive(Serialize)]
pub struct ApiErrorBody {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<ApiFieldError>,
}

/// One field's problem in an API answer.
#[derive(Serialize)]
pub struct ApiFieldError {
    field: &'static str,
    message: &'static str,
}

fn api_error(status: StatusCode, code: &'static str, message: String, fields: Vec<ApiFieldError>) -> Response {
    (
        status,
        Json(serde_json::json!({ "error": ApiErrorBody { code, message, fields } })),
    )
        .into_response()
}

fn api_internal() -> Response {
    super::api_error::ApiError::internal().into_response()
}

fn api_not_found() -> Response {
    super::api_error::ApiError::not_found().into_response()
}

/// What an SMS/WhatsApp intake answers: 201 for a new complaint, 200 for a message
/// threaded or seen before, with the outcome as JSON (the signed gateway and the
/// native providers' webhooks alike).
pub(super) fn outcome_response(outcome: gateway::Outcome) -> Response {
    let status = if matches!(outcome, gateway::Outcome::Created { .. }) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(outcome)).into_response()
}

/// `POST /api/v1/gateway/{unit}/{channel}`: a message from the SMS or WhatsApp
/// gateway, signed with the unit's shared secret (`X-Tanggap-Signature: sha256=...`).
pub async fn gateway_webhook(
    State(state): State<AppState>,
    Path((code, channel)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let channel = match Channel::parse(&channel) {
        Ok(c @ (Channel::Sms | Channel::Whatsapp)) => c,
        _ => return api_not_found(),
    };
    let unit = match state.store.unit_by_code(&code).await {
        Ok(Some(u)) => u,
        Ok(None) => return api_not_found(),
        Err(_) => {
            return api_internal();
        }
    };
    let settings = match state.store.channel_settings(unit.id, channel.key()).await {
        Ok(Some(s)) if s.enabled => Some(s),
        Ok(_) => None,
        Err(_) => {
            return api_internal();
        }
    };
    // A channel the unit has not set up has no secret, so nothing can be signed for it.
    let secret = settings
        .and_then(|s| crate::notify::settings::GatewaySettings::from_json(&s.config).ok())
        .map(|g| g.hmac_secret)
        .unwrap_or_default();
    let signature = headers
        .get(gateway::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if secret.is_empty() || !gateway::verify(&secret, &body, signature) {
        tracing::warn!(unit = %unit.code, channel = %channel, "gateway post with a bad signature");
        return api_error(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "Tanda tangan tidak sah / invalid signature".into(),
            vec![],
        );
    }
    let message: gateway::InboundMessage = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(_) => {
            return api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Pesan tidak dapat dibaca / unreadable message".into(),
                vec![],
            );
        }
    };
    match gateway::receive(
        state.store.as_ref(),
        &unit,
        channel,
        &message,
        state.config.public_url.as_deref(),
    )
    .await
    {
        Ok(outcome) => outcome_response(outcome),
        Err(gateway::GatewayError::Invalid(field)) => api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!("Isian tidak sah: {field} / invalid field: {field}"),
            vec![],
        ),
        Err(e) => {
            tracing::error!(error = %e, "gateway intake failed");
            api_internal()
        }
    }
}

/// Answer of `POST /api/v1/units/{unit}/complaints`.
#[derive(Serialize)]
pub struct CreatedComplaint {
    /// The nomor agenda to quote.
    pub nomor_agenda: String,
    /// The tracking code.
    pub tracking_code: String,
    /// The public tracking page.
    pub tracking_url: String,
}

/// A message of the `idempotency` locale section in Indonesian, then English.
fn both_languages(key: &str) -> String {
    format!("{} / {}", crate::i18n::t(Lang::Id, key), crate::i18n::t(Lang::En, key))
}

/// `POST /api/v1/units/{unit}/complaints`: files a complaint as the web form does
/// (channel `website`, received now), for apps and portals. Public, rate-limited per
/// address, JSON only (a browser cannot forge it cross-site without CORS). With an
/// `Idempotency-Key` header a retry returns the first complaint (same status, same
/// nomor agenda, header `Idempotent-Replayed: true`) instead of filing another;
/// the same key with a different body is refused (422, nothing stored).
pub async fn api_create_complaint(
    State(state): State<AppState>,
    Path(code): Path<String>,
    _limit: PublicRateLimit,
    headers: HeaderMap,
    body: Result<super::api_error::ApiJson<ComplaintInput>, super::api_error::ApiError>,
) -> Response {
    let Ok(key) = idempotency::from_headers(&headers) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            both_languages("idempotency.invalid_key"),
            vec![],
        );
    };
    let input = match body {
        Ok(super::api_error::ApiJson(input)) => input,
        Err(e) => return e.into_response(),
    };
    let (unit, services) = match unit_and_services(&state, &code).await {
        Ok(found) => found,
        Err(ErrorPage::NotFound) => return api_not_found(),
        Err(_) => {
            return api_internal();
        }
    };
    let submitted = Submitted {
        input,
        files: Vec::new(),
        file_error: None,
        batch: false,
        token: key,
    };
    let key = submitted.idempotency("api");
    match file_complaint(&state, &unit, &services, &submitted, Filer::Citizen, Lang::Id, key).await {
        Ok(Filed::Stored(recorded)) => {
            let replayed = if recorded.created { "false" } else { "true" };
            (
                StatusCode::CREATED,
                [(idempotency::REPLAYED_HEADER, replayed)],
                Json(CreatedComplaint {
                    tracking_url: ack::tracking_link(state.config.public_url.as_deref(), &recorded.tracking_code),
                    nomor_agenda: recorded.nomor_agenda,
                    tracking_code: recorded.tracking_code,
                }),
            )
                .into_response()
        }
        Ok(Filed::KeyReused) => api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            both_languages("idempotency.key_reused"),
            vec![],
        ),
        Ok(Filed::Invalid(errors)) => api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Periksa kembali isian berikut / please check these fields".into(),
            errors
                .iter()
                .map(|e| ApiFieldError {
                    field: e.field,
                    message: crate::i18n::t(Lang::Id, e.message),
                })
                .collect(),
        ),
        Err(_) => api_internal(),
    }
}

/// `GET /api/v1/tracking/{code}`: a complaint's public status, timeline and answer, as
/// the tracking page shows them; no personal data. Public and rate-limited.
pub async fn api_tracking(
    State(state): State<AppState>,
    Path(code): Path<String>,
    _limit: PublicRateLimit,
) -> Response {
    match super::pages::public_status(&state, &code, Tr { lang: Lang::Id }).await {
        Ok(Some(status)) => Json(status).into_response(),
        Ok(None) => api_not_found(),
        Err(_) => api_internal(),
    }
}
