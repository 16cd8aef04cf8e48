//! Triage pages (issue 6): status moves and classification from the complaint page,
//! and the unit's jenis list (the calendar pages are in `web::holidays`).
//!
//! Every handler takes the unit from the URL ([`UnitStaff`]) and checks the role
//! before reading the form, so a refused role learns nothing from validation. Store
//! calls re-check everything that matters (the life cycle, that references belong to
//! the unit) inside their transaction; a refusal re-renders the page with status 422
//! and the reason in the reader's language, and nothing is changed.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{HANDLE_COMPLAINTS, MANAGE_UNIT, UnitStaff};
use crate::domain::{Bobot, ComplaintStatus, Klasifikasi};
use crate::i18n::Tr;
use crate::storage::model::{ComplaintRecord, Unit};
use crate::storage::triage::{Classification, Jenis, StatusMove, TriageState};
use crate::triage::calendar::zone_of;
use crate::triage::lifecycle;

/// A choice in a select: value, label, selected.
pub struct Choice {
    /// Form value.
    pub value: String,
    /// Label shown.
    pub label: String,
    /// Whether it is the current value.
    pub selected: bool,
}

/// One row of the control card (kartu kendali): what happened, who did it, who held
/// the complaint from then on, and how long until the next step.
pub struct CardRow {
    /// Local time.
    pub at: String,
    /// What happened (status label or entry kind).
    pub label: String,
    /// Who did it.
    pub actor: String,
    /// Who held it from here.
    pub holder: String,
    /// How long until the next entry ("" for the last one).
    pub took: String,
    /// Note.
    pub note: String,
}

/// What the complaint page shows and offers for triage.
pub struct TriagePanel {
    /// The reader may move and classify (a complaint handler).
    pub can_act: bool,
    /// Why the last action was refused, in the reader's language.
    pub error: Option<String>,
    /// Status moves the life cycle allows from here.
    pub moves: Vec<Choice>,
    /// Whether the complaint is closed (no more moves).
    pub closed: bool,
    /// Classification choices.
    pub klasifikasi: Vec<Choice>,
    /// Jenis choices (the unit's active list).
    pub jenis: Vec<Choice>,
    /// Services of the unit.
    pub services: Vec<Choice>,
    /// Divisions of the unit.
    pub divisions: Vec<Choice>,
    /// Bobot choices.
    pub bobot: Vec<Choice>,
    /// Officers who can hold it.
    pub assignees: Vec<Choice>,
    /// Division name, once set.
    pub division_name: String,
    /// Holder's name, once assigned.
    pub assignee_name: String,
    /// First-answer deadline, local.
    pub first_due: String,
    /// Resolution deadline, local.
    pub due: String,
    /// Past the resolution deadline and still open.
    pub overdue: bool,
    /// The control card.
    pub card: Vec<CardRow>,
    /// Sedang: the sign-offs the answer needs, (label, given).
    pub signoffs: Vec<(&'static str, bool)>,
    /// The sign-off kinds this reader may still give (kepala bidang, kepala dinas).
    pub can_sign: Vec<(&'static str, &'static str)>,
    /// Berat: the escalation may be recorded here.
    pub can_escalate: bool,
    /// The escalation letter reference, once recorded.
    pub escalation_ref: String,
    /// The life cycle allows an answer now.
    pub can_answer: bool,
    /// How the answer will go back (locale key).
    pub answer_how: &'static str,
    /// The unit's answer templates.
    pub templates: Vec<Choice>,
    /// The answer box's text (a template with its placeholders filled).
    pub answer_prefill: String,
    /// A reply letter can be printed (letter or drop box, answered).
    pub letter: bool,
    /// Likely duplicates: (id, nomor agenda, subject, status label, reason label).
    pub duplicates: Vec<(i64, String, String, &'static str, &'static str)>,
    /// The complaint this one was merged into: (id, nomor agenda).
    pub merged_into: Option<(i64, String)>,
    /// Complaints merged into this one: (id, nomor agenda).
    pub merged_from: Vec<(i64, String)>,
}

fn opt_choice<T: PartialEq>(items: impl IntoIterator<Item = (T, String, String)>, current: Option<T>) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(v, value, label)| Choice {
            selected: current.as_ref() == Some(&v),
            value,
            label,
        })
        .collect()
}

fn local(unit: &Unit, at: DateTime<Utc>) -> String {
    at.with_timezone(&zone_of(&unit.time_zone))
        .format("%d-%m-%Y %H:%M")
        .to_string()
}

/// "3 hari 4 jam" / "2 jam 5 menit": how long a step took.
fn took(tr: Tr, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let minutes = (to - from).num_minutes().max(0);
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let args = [("d", d.to_string()), ("h", h.to_string()), ("m", m.to_string())];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let key = if d > 0 {
        "triage.took_days"
    } else if h > 0 {
        "triage.took_hours"
    } else {
        "triage.took_minutes"
    };
    crate::i18n::tf(tr.lang, key, &args)
}

/// Builds the triage part of the complaint page.
pub async fn panel(
    state: &AppState,
    staff: &UnitStaff,
    tr: Tr,
    c: &ComplaintRecord,
    error: Option<String>,
    template: Option<i64>,
) -> Result<TriagePanel, ErrorPage> {
    let store = &state.store;
    let unit = &staff.unit;
    let t = store
        .triage_state(unit.id, c.summary.id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let status = ComplaintStatus::parse(&t.status).map_err(|_| ErrorPage::Internal)?;
    let divisions = store.list_divisions(unit.id).await?;
    let users = assignable(state, unit.id).await?;
    let moves = lifecycle::allowed_moves(status)
        .iter()
        // Answering has its own form (it sends the answer); not a bare move.
        .filter(|s| **s != ComplaintStatus::Dijawab)
        .map(|s| Choice {
            value: s.key().to_owned(),
            label: tr.t(&format!("status.{}", s.key())).to_owned(),
            selected: false,
        })
        .collect();
    let details = store.event_details(c.summary.id).await?;
    let card = details
        .iter()
        .enumerate()
        .map(|(i, e)| CardRow {
            at: local(unit, e.at),
            label: match (&e.to_status, e.kind.as_str()) {
                (Some(s), "status" | "diterima") => tr.t(&format!("status.{s}")).to_owned(),
                (Some(s), kind) => format!(
                    "{} ({})",
                    tr.t(&format!("triage.kind.{kind}")),
                    tr.t(&format!("status.{s}"))
                ),
                (None, kind) => tr.t(&format!("triage.kind.{kind}")).to_owned(),
            },
            actor: e.actor_name.clone().unwrap_or_default(),
            holder: e.holder_name.clone().unwrap_or_default(),
            took: details.get(i + 1).map(|n| took(tr, e.at, n.at)).unwrap_or_default(),
            note: e.note.clone(),
        })
        .collect();
    let now = Utc::now();
    // Sign-offs count since the last reopening (a new answer is signed off again).
    let since = details
        .iter()
        .rposition(|e| e.to_status.as_deref() == Some("dibuka_kembali"))
        .unwrap_or(0);
    let given = |kind: &str| details[since..].iter().any(|e| e.kind == kind);
    let sedang = t.bobot.as_deref() == Some("sedang");
    let open_for_escalation = !status.is_closed() && status != ComplaintStatus::Dijawab;
    let signoffs = if sedang {
        crate::triage::escalation::SIGNOFFS
            .iter()
            .map(|(_, kind)| (tr.t(&format!("triage.kind.{kind}")), given(kind)))
            .collect()
    } else {
        Vec::new()
    };
    let can_sign = if sedang && open_for_escalation {
        crate::triage::escalation::SIGNOFFS
            .iter()
            .filter(|(role, kind)| staff.roles.contains(role) && !given(kind))
            .map(|(role, kind)| (role.key(), tr.t(&format!("triage.kind.{kind}"))))
            .collect()
    } else {
        Vec::new()
    };
    let how = crate::triage::answers::delivery(c);
    let templates = store.answer_templates(unit.id).await?;
    let answer_prefill = templates
        .iter()
        .find(|x| Some(x.id) == template)
        .map(|x| {
            let name = if crate::auth::may_see_identity(staff, c.summary.anonim) {
                c.complainant.name.clone().unwrap_or_default()
            } else {
                String::new()
            };
            let date = c
                .summary
                .received_at
                .with_timezone(&zone_of(&unit.time_zone))
                .format("%d-%m-%Y")
                .to_string();
            crate::triage::answers::fill_template(
                &x.body,
                &[
                    ("nama", name.as_str()),
                    ("nomor_agenda", c.summary.nomor_agenda.as_str()),
                    ("perihal", c.summary.subject.as_str()),
                    ("unit", unit.name.as_str()),
                    ("tanggal", date.as_str()),
                ],
            )
        })
        .unwrap_or_default();
    let answered = details.iter().any(|e| e.kind == "jawaban");
    // Issue 17: same-contact suggestions only for readers who may see this
    // complaint's identity; the store keeps every suggestion on the same side of
    // `anonim`, so none ties an anonymous complaint to a named one.
    let duplicates = if status.is_closed() || !staff.has_any(HANDLE_COMPLAINTS) {
        Vec::new()
    } else {
        let by_contact = crate::auth::may_see_identity(staff, c.summary.anonim);
        store
            .duplicate_candidates(unit.id, c.summary.id, 5, by_contact)
            .await?
            .into_iter()
            .map(|d| {
                (
                    d.complaint_id,
                    d.nomor_agenda,
                    d.subject,
                    tr.t(&format!("status.{}", d.status)),
                    tr.t(&format!("triage.merge.reason_{}", d.reason)),
                )
            })
            .collect()
    };
    // A merge link across `anonim` (only older data has one: such merges are now
    // refused) is shown only to readers who may see anonymous identities.
    let linkable = |other_anonim: bool| other_anonim == c.summary.anonim || crate::auth::may_see_identity(staff, true);
    let merged_into = match t.merged_into_id {
        Some(target) => store
            .complaint(unit.id, target)
            .await?
            .filter(|x| linkable(x.summary.anonim))
            .map(|x| (target, x.summary.nomor_agenda)),
        None => None,
    };
    let mut merged_from = Vec::new();
    for (id, nomor) in store.merged_from(c.summary.id).await? {
        if let Some(x) = store.complaint(unit.id, id).await?
            && linkable(x.summary.anonim)
        {
            merged_from.push((id, nomor));
        }
    }
    Ok(TriagePanel {
        duplicates,
        merged_into,
        merged_from,
        can_answer: lifecycle::is_allowed(status, ComplaintStatus::Dijawab),
        answer_how: how.locale_key(),
        templates: opt_choice(
            templates.iter().map(|x| (x.id, x.id.to_string(), x.name.clone())),
            template,
        ),
        answer_prefill,
        letter: how == crate::triage::answers::Delivery::Letter && answered,
        signoffs,
        can_sign,
        can_escalate: t.bobot.as_deref() == Some("berat") && open_for_escalation && staff.has_any(HANDLE_COMPLAINTS),
        escalation_ref: t.escalation_ref.clone().unwrap_or_default(),
        can_act: staff.has_any(HANDLE_COMPLAINTS),
        error,
        moves,
        closed: status.is_closed(),
        klasifikasi: opt_choice(
            Klasifikasi::ALL.iter().map(|k| {
                (
                    k.key().to_owned(),
                    k.key().to_owned(),
                    tr.t(&format!("klasifikasi.{}", k.key())).to_owned(),
                )
            }),
            Some(t.klasifikasi.clone()),
        ),
        jenis: opt_choice(
            store
                .list_jenis(unit.id, false)
                .await?
                .into_iter()
                .map(|j: Jenis| (j.id, j.id.to_string(), j.name)),
            t.jenis_id,
        ),
        services: opt_choice(
            store
                .list_services(unit.id)
                .await?
                .into_iter()
                .map(|s| (s.id, s.id.to_string(), s.name)),
            t.service_id,
        ),
        divisions: opt_choice(
            divisions.iter().map(|d| (d.id, d.id.to_string(), d.name.clone())),
            t.division_id,
        ),
        bobot: opt_choice(
            Bobot::ALL.iter().map(|b| {
                (
                    b.key().to_owned(),
                    b.key().to_owned(),
                    tr.t(&format!("triage.bobot.{}", b.key())).to_owned(),
                )
            }),
            t.bobot.clone(),
        ),
        assignees: opt_choice(
            users.iter().map(|(id, name)| (*id, id.to_string(), name.clone())),
            t.assignee_id,
        ),
        division_name: divisions
            .iter()
            .find(|d| Some(d.id) == t.division_id)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        assignee_name: users
            .iter()
            .find(|(id, _)| Some(*id) == t.assignee_id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default(),
        first_due: t.first_answer_due_at.map(|d| local(unit, d)).unwrap_or_default(),
        due: t.due_at.map(|d| local(unit, d)).unwrap_or_default(),
        overdue: is_overdue(&t, now),
        card,
    })
}

/// Open and past its resolution deadline (an answered complaint waits for the
/// complainant, not for the unit, so it is not overdue).
pub fn is_overdue(t: &TriageState, now: DateTime<Utc>) -> bool {
    let waiting_on_unit = ComplaintStatus::parse(&t.status)
        .is_ok_and(|s| !s.is_closed() && s != ComplaintStatus::Dijawab && s != ComplaintStatus::Dikembalikan);
    waiting_on_unit && t.due_at.is_some_and(|d| d < now)
}

/// Active officers of the unit who handle complaints: (id, name).
async fn assignable(state: &AppState, unit_id: i64) -> Result<Vec<(i64, String)>, ErrorPage> {
    Ok(state
        .store
        .list_unit_users(unit_id)
        .await?
        .into_iter()
        .filter(|u| {
            u.active
                && u.roles
                    .iter()
                    .any(|(unit, r)| *unit == unit_id && HANDLE_COMPLAINTS.contains(r))
        })
        .map(|u| (u.id, u.full_name))
        .collect())
}

/// The status-move form.
#[derive(Deserialize, Default)]
pub struct MoveForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    /// The status the page showed (a hidden field), so a move from a stale page is
    /// refused rather than applied to a status the officer never saw.
    #[serde(default)]
    dari: String,
}

async fn refused(
    state: &AppState,
    staff: UnitStaff,
    reader: Reader,
    id: i64,
    message: String,
) -> Result<Response, ErrorPage> {
    let html = super::staff::render_complaint(state, staff, reader, id, Some(message), None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// `POST /staf/{unit}/pengaduan/{id}/status`: moves the complaint if the life cycle
/// allows it; otherwise the page again with the reason (422), nothing changed.
pub async fn move_status(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let lang = reader.tr.lang;
    let Ok(to) = ComplaintStatus::parse(&form.to) else {
        return refused(
            &state,
            staff,
            reader,
            id,
            crate::i18n::t(lang, "triage.error.no_status").to_owned(),
        )
        .await;
    };
    if to == ComplaintStatus::Dijawab {
        // An answer must leave through the complaint's channel: only the answer form
        // queues it, so a bare status move to `dijawab` would record an answer nobody
        // receives.
        return refused(
            &state,
            staff,
            reader,
            id,
            crate::i18n::t(lang, "triage.error.use_answer_form").to_owned(),
        )
        .await;
    }
    let note: String = form.note.trim().chars().take(10_000).collect();
    let result = crate::notices::move_complaint(
        state.store.as_ref(),
        &staff.unit,
        StatusMove {
            unit_id: staff.unit.id,
            complaint_id: id,
            to,
            actor_id: Some(staff.staff.session.user.id),
            note,
            at: Utc::now(),
            expected_from: ComplaintStatus::parse(form.dari.trim()).ok(),
            notify: Vec::new(),
        },
        state.config.public_url.as_deref(),
    )
    .await?;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staf/{}/pengaduan/{id}", staff.unit.code)).into_response()),
        Err(lifecycle::MoveError::NotFound) => Err(ErrorPage::NotFound),
        Err(e) => refused(&state, staff, reader, id, e.message(lang)).await,
    }
}

/// The classification form.
#[derive(Deserialize, Default)]
pub struct ClassifyForm {
    #[serde(default)]
    klasifikasi: String,
    #[serde(default)]
    jenis: String,
    #[serde(default)]
    layanan: String,
    #[serde(default)]
    bidang: String,
    #[serde(default)]
    bobot: String,
    #[serde(default)]
    petugas: String,
}

/// An optional id field: blank is None, anything but digits is an error.
fn id_field(value: &str) -> Result<Option<i64>, ()> {
    let v = value.trim();
    if v.is_empty() {
        Ok(None)
    } else {
        v.parse().map(Some).map_err(|_| ())
    }
}

/// `POST /staf/{unit}/pengaduan/{id}/klasifikasi`: sets klasifikasi, jenis, service,
/// division, bobot and holder; the due dates follow from the bobot (unit targets, in
/// working days of the unit's calendar, from the original receipt).
pub async fn classify(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<ClassifyForm>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let lang = reader.tr.lang;
    let t = |key: &str| crate::i18n::t(lang, key).to_owned();
    let Some(current) = state.store.triage_state(staff.unit.id, id).await? else {
        return Err(ErrorPage::NotFound);
    };
    let Ok(klasifikasi) = Klasifikasi::parse(&form.klasifikasi) else {
        return refused(&state, staff, reader, id, t("triage.error.bad_klasifikasi")).await;
    };
    let bobot = if form.bobot.trim().is_empty() {
        None
    } else {
        match Bobot::parse(&form.bobot) {
            Ok(b) => Some(b),
            Err(_) => return refused(&state, staff, reader, id, t("triage.error.bad_bobot")).await,
        }
    };
    let ids = (
        id_field(&form.jenis),
        id_field(&form.layanan),
        id_field(&form.bidang),
        id_field(&form.petugas),
    );
    let (Ok(jenis_id), Ok(service_id), Ok(division_id), Ok(assignee_id)) = ids else {
        return refused(&state, staff, reader, id, t("triage.error.bad_reference")).await;
    };
    let (first_answer_due_at, due_at) = match bobot {
        Some(b) => crate::triage::sla::due_dates_for(state.store.as_ref(), &staff.unit, b, current.received_at).await?,
        None => (None, None),
    };
    let mut note = vec![format!(
        "{}: {}",
        t("complaint.klasifikasi"),
        t(&format!("klasifikasi.{}", klasifikasi.key()))
    )];
    if let Some(b) = bobot {
        note.push(format!(
            "{}: {}",
            t("complaint.bobot"),
            t(&format!("triage.bobot.{}", b.key()))
        ));
    }
    if let Some(due) = due_at {
        note.push(format!("{}: {}", t("triage.due"), local(&staff.unit, due)));
    }
    let result = state
        .store
        .classify_complaint(&Classification {
            unit_id: staff.unit.id,
            complaint_id: id,
            klasifikasi,
            jenis_id,
            service_id,
            division_id,
            bobot,
            assignee_id,
            first_answer_due_at,
            due_at,
            actor_id: Some(staff.staff.session.user.id),
            at: Utc::now(),
            note: note.join("; "),
        })
        .await?;
    if result.is_ok() {
        // The new holder hears at once. The assignment is saved already: a failure
        // here is logged, and the SLA job's catch-up queues the notice later.
        if let Err(e) = crate::triage::staff_notices::queue_assignments(
            state.store.as_ref(),
            state.config.public_url.as_deref(),
            Utc::now() - chrono::Duration::hours(1),
            Some(id),
        )
        .await
        {
            tracing::warn!(complaint = id, error = %e, "assignment notice not queued; the SLA job will");
        }
    }
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staf/{}/pengaduan/{id}", staff.unit.code)).into_response()),
        Err(e) => refused(&state, staff, reader, id, t(e.locale_key())).await,
    }
}

/// The sign-off form: which of the reader's roles signs.
#[derive(Deserialize, Default)]
pub struct SignOffForm {
    #[serde(default)]
    peran: String,
    #[serde(default)]
    note: String,
}

/// Roles that sign off sedang answers.
const SIGNERS: &[crate::domain::Role] = &[crate::domain::Role::KepalaBidang, crate::domain::Role::KepalaDinas];

/// `POST /staf/{unit}/pengaduan/{id}/persetujuan`: the kepala bidang or kepala dinas
/// signs off the answer of a sedang complaint (a control-card entry).
pub async fn sign_off(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<SignOffForm>,
) -> Result<Response, ErrorPage> {
    staff.require(SIGNERS)?;
    // The role named in the form, if the reader holds it; else the first signing role held.
    let role = crate::domain::Role::parse(&form.peran)
        .ok()
        .filter(|r| staff.roles.contains(r) && SIGNERS.contains(r))
        .or_else(|| SIGNERS.iter().copied().find(|r| staff.roles.contains(r)))
        .ok_or(ErrorPage::Forbidden)?;
    let kind = crate::triage::escalation::signoff_kind(role).ok_or(ErrorPage::Forbidden)?;
    let result = state
        .store
        .escalate(&crate::storage::triage::Escalation {
            unit_id: staff.unit.id,
            complaint_id: id,
            kind: kind.to_owned(),
            letter_ref: None,
            actor_id: Some(staff.staff.session.user.id),
            note: form.note.trim().chars().take(2_000).collect(),
            at: Utc::now(),
        })
        .await?;
    escalation_outcome(&state, staff, reader, id, result).await
}

/// Back to the complaint after a sign-off or escalation, or its page with the refusal.
async fn escalation_outcome(
    state: &AppState,
    staff: UnitStaff,
    reader: Reader,
    id: i64,
    result: Result<(), crate::triage::escalation::EscalationError>,
) -> Result<Response, ErrorPage> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staf/{}/pengaduan/{id}", staff.unit.code)).into_response()),
        Err(crate::triage::escalation::EscalationError::NotFound) => Err(ErrorPage::NotFound),
        Err(e) => {
            let message = crate::i18n::t(reader.tr.lang, e.locale_key()).to_owned();
            refused(state, staff, reader, id, message).await
        }
    }
}

/// The escalation form of a berat complaint.
#[derive(Deserialize, Default)]
pub struct EscalationForm {
    #[serde(default)]
    nomor_surat: String,
    #[serde(default)]
    note: String,
}

/// `POST /staf/{unit}/pengaduan/{id}/eskalasi`: records that a berat complaint was
/// escalated to the mayor's or regent's office, with the letter's reference.
pub async fn escalate(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<EscalationForm>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let letter: String = form.nomor_surat.trim().chars().take(200).collect();
    let result = state
        .store
        .escalate(&crate::storage::triage::Escalation {
            unit_id: staff.unit.id,
            complaint_id: id,
            kind: "eskalasi".into(),
            note: format!("{letter} {}", form.note.trim())
                .trim()
                .chars()
                .take(2_000)
                .collect(),
            letter_ref: Some(letter),
            actor_id: Some(staff.staff.session.user.id),
            at: Utc::now(),
        })
        .await?;
    escalation_outcome(&state, staff, reader, id, result).await
}

/// The answer form.
#[derive(Deserialize, Default)]
pub struct AnswerForm {
    #[serde(default)]
    isi: String,
}

/// `POST /staf/{unit}/pengaduan/{id}/jawaban`: records the answer (the `jawaban`
/// entry, shown on the tracking page unless rahasia) and, in the same transaction,
/// queues it back through the complaint's channel: an email reply in the thread, or
/// an SMS/WhatsApp message; letters are printed from the reply-letter page, calls
/// and meetings are recorded by the entry itself. A sedang answer needs both
/// sign-offs first.
pub async fn answer(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let lang = reader.tr.lang;
    let text: String = form.isi.trim().chars().take(10_000).collect();
    let record = state
        .store
        .complaint(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let how = crate::triage::answers::delivery(&record);
    let notify = if text.is_empty() {
        Vec::new()
    } else {
        crate::triage::answers::answer_message(
            &staff.unit,
            &record,
            &how,
            &text,
            // The citizen's message is in Bahasa Indonesia, like the acknowledgement,
            // whatever language the officer's screen is in.
            crate::i18n::Lang::Id,
            state.config.public_url.as_deref(),
        )
        .into_iter()
        .collect()
    };
    let result = crate::notices::move_complaint(
        state.store.as_ref(),
        &staff.unit,
        StatusMove {
            unit_id: staff.unit.id,
            complaint_id: id,
            to: ComplaintStatus::Dijawab,
            actor_id: Some(staff.staff.session.user.id),
            note: text,
            at: Utc::now(),
            expected_from: None,
            notify,
        },
        state.config.public_url.as_deref(),
    )
    .await?;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staf/{}/pengaduan/{id}", staff.unit.code)).into_response()),
        Err(lifecycle::MoveError::NotFound) => Err(ErrorPage::NotFound),
        Err(e) => refused(&state, staff, reader, id, e.message(lang)).await,
    }
}

#[derive(Template)]
#[template(path = "triage_letter.html")]
struct LetterPage {
    tr: Tr,
    unit: Unit,
    nomor_agenda: String,
    date: String,
    date_value: chrono::NaiveDate,
    recipient: String,
    address: String,
    subject: String,
    received: String,
    answer: String,
}

/// `GET /staf/{unit}/pengaduan/{id}/surat-jawaban`: the reply letter of a complaint
/// that came by letter or drop box, on the unit's letterhead, ready to print; the
/// `.pdf` route below gives the same letter typeset for signing.
pub async fn reply_letter(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    let page = letter_page(&state, staff, reader, id).await?;
    Ok(Html(page.render()?).into_response())
}

/// `GET /staf/{unit}/pengaduan/{id}/surat-jawaban.pdf`: the reply letter as a PDF
/// (reports::letter), same words as the print page.
pub async fn reply_letter_pdf(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    let page = letter_page(&state, staff, reader, id).await?;
    let tr = &page.tr;
    let mut addressee = vec![format!(
        "{} {}",
        tr.t("triage.letter.to"),
        if page.recipient.is_empty() {
            tr.t("triage.letter.complainant")
        } else {
            page.recipient.as_str()
        }
    )];
    if !page.address.is_empty() {
        addressee.push(page.address.clone());
    }
    let letter = reports::letter::Letter {
        letterhead: crate::reporting::letterhead_with_logo(state.store.as_ref(), &page.unit)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reply letter logo failed");
                ErrorPage::Internal
            })?,
        nomor: page.nomor_agenda.clone(),
        date: page.date_value,
        place: page.unit.city.clone(),
        subject: tr.t("triage.letter.about_text").to_owned(),
        addressee,
        body: format!(
            "{} {} ({}):\n\n{}\n\n{}",
            tr.t("triage.letter.opening"),
            page.received,
            page.subject,
            page.answer,
            tr.t("triage.letter.closing")
        ),
        labels: reports::letter::LetterLabels {
            nomor: tr.t("triage.letter.reference").to_owned(),
            subject: tr.t("triage.letter.about").to_owned(),
            to: tr.t("triage.letter.to").to_owned(),
            nip: "NIP".to_owned(),
            months: std::array::from_fn(|m| tr.t(&format!("reports.month.m{}", m + 1)).to_owned()),
        },
    };
    let bytes = tokio::task::spawn_blocking(move || reports::letter::pdf(&letter))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "reply letter task failed");
            ErrorPage::Internal
        })?
        .map_err(|e| {
            tracing::error!(error = %e, "reply letter typesetting failed");
            ErrorPage::Internal
        })?;
    let file = format!("surat-jawaban-{}.pdf", page.nomor_agenda.replace(['/', ' '], "-"));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// What a reply letter says, checked and audited once for both forms of it.
async fn letter_page(state: &AppState, staff: UnitStaff, reader: Reader, id: i64) -> Result<LetterPage, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let record = state
        .store
        .complaint(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let details = state.store.event_details(id).await?;
    let Some(answer) = details.iter().rev().find(|e| e.kind == "jawaban") else {
        return Err(ErrorPage::NotFound);
    };
    let show = crate::auth::may_see_identity(&staff, record.summary.anonim);
    if show {
        staff
            .audit(
                state,
                "complaint.reply_letter",
                "complaint",
                &record.summary.nomor_agenda,
                "",
            )
            .await?;
    }
    let zone = zone_of(&staff.unit.time_zone);
    let answered_on = answer.at.with_timezone(&zone).date_naive();
    Ok(LetterPage {
        tr: reader.tr,
        nomor_agenda: record.summary.nomor_agenda.clone(),
        date: answered_on.format("%d-%m-%Y").to_string(),
        date_value: answered_on,
        recipient: if show {
            record.complainant.name.clone().unwrap_or_default()
        } else {
            String::new()
        },
        address: if show {
            record.complainant.address.clone().unwrap_or_default()
        } else {
            String::new()
        },
        subject: record.summary.subject.clone(),
        received: record
            .summary
            .received_at
            .with_timezone(&zone)
            .format("%d-%m-%Y")
            .to_string(),
        answer: answer.note.clone(),
        unit: staff.unit,
    })
}

#[derive(Template)]
#[template(path = "triage_templates.html")]
struct TemplatesPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rows: Vec<crate::storage::triage::AnswerTemplate>,
    error: Option<&'static str>,
}

async fn render_templates(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, ErrorPage> {
    let page = TemplatesPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        rows: state.store.answer_templates(staff.unit.id).await?,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /staf/{unit}/templat-jawaban`: the unit's answer templates.
pub async fn templates_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    render_templates(&state, &staff, reader, StatusCode::OK, None).await
}

/// The template form.
#[derive(Deserialize, Default)]
pub struct TemplateForm {
    #[serde(default)]
    nama: String,
    #[serde(default)]
    isi: String,
}

/// `POST /staf/{unit}/templat-jawaban`: adds a template, or replaces the one with
/// the same name.
pub async fn save_template(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<TemplateForm>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let name = form.nama.trim();
    let body = form.isi.trim();
    let error = if name.is_empty() || name.chars().count() > 120 {
        Some("triage.templates.bad_name")
    } else if body.is_empty() || body.chars().count() > 10_000 {
        Some("triage.templates.bad_body")
    } else {
        None
    };
    if let Some(error) = error {
        return render_templates(&state, &staff, reader, StatusCode::UNPROCESSABLE_ENTITY, Some(error)).await;
    }
    state.store.save_answer_template(staff.unit.id, name, body).await?;
    Ok(Redirect::to(&format!("/staf/{}/templat-jawaban", staff.unit.code)).into_response())
}

/// `POST /staf/{unit}/templat-jawaban/{id}/hapus`: deletes a template.
pub async fn delete_template(
    State(state): State<AppState>,
    staff: UnitStaff,
    Path((_unit, id)): Path<(String, i64)>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    if !state.store.delete_answer_template(staff.unit.id, id).await? {
        return Err(ErrorPage::NotFound);
    }
    Ok(Redirect::to(&format!("/staf/{}/templat-jawaban", staff.unit.code)).into_response())
}

/// The merge form: the complaint to merge this one into.
#[derive(Deserialize, Default)]
pub struct MergeForm {
    #[serde(default)]
    ke: String,
}

/// `POST /staf/{unit}/pengaduan/{id}/gabung`: merges this complaint into the one named
/// `ke` (a duplicate of it): this one is archived with `merged_into_id`, both control
/// cards record it, and both histories stay.
pub async fn merge(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<MergeForm>,
) -> Result<Response, ErrorPage> {
    staff.require(HANDLE_COMPLAINTS)?;
    let lang = reader.tr.lang;
    let Ok(into) = form.ke.trim().parse::<i64>() else {
        return refused(
            &state,
            staff,
            reader,
            id,
            crate::i18n::t(lang, "triage.merge.bad_target").to_owned(),
        )
        .await;
    };
    let result = state
        .store
        .merge_complaints(staff.unit.id, id, into, Some(staff.staff.session.user.id), Utc::now())
        .await?;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/staf/{}/pengaduan/{into}", staff.unit.code)).into_response()),
        Err(crate::storage::triage::MergeError::NotFound) => Err(ErrorPage::NotFound),
        Err(crate::storage::triage::MergeError::BadTarget) => {
            refused(
                &state,
                staff,
                reader,
                id,
                crate::i18n::t(lang, "triage.merge.bad_target").to_owned(),
            )
            .await
        }
        Err(crate::storage::triage::MergeError::Move(e)) => refused(&state, staff, reader, id, e.message(lang)).await,
        Err(crate::storage::triage::MergeError::Anonymity) => {
            refused(
                &state,
                staff,
                reader,
                id,
                crate::i18n::t(lang, "triage.merge.anonymity").to_owned(),
            )
            .await
        }
    }
}

// ---- Jenis pengaduan list (admin) ----

#[derive(Template)]
#[template(path = "triage_jenis.html")]
struct JenisPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rows: Vec<Jenis>,
    error: Option<&'static str>,
}

async fn render_jenis(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, ErrorPage> {
    let rows = state.store.list_jenis(staff.unit.id, true).await?;
    let page = JenisPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        rows,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /staf/{unit}/jenis`: the unit's jenis pengaduan list.
pub async fn jenis_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    render_jenis(&state, &staff, reader, StatusCode::OK, None).await
}

/// The add-a-jenis form.
#[derive(Deserialize, Default)]
pub struct JenisForm {
    #[serde(default)]
    nama: String,
    #[serde(default)]
    kelompok: String,
}

/// A stable key from a name: lowercase letters and digits joined by `_`.
pub fn jenis_key(name: &str) -> String {
    name.to_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// `POST /staf/{unit}/jenis`: adds a jenis to the unit's list.
pub async fn add_jenis(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<JenisForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let name = form.nama.trim();
    let key = jenis_key(name);
    let error = if name.is_empty() || name.chars().count() > 120 || key.is_empty() {
        Some("triage.jenis.bad_name")
    } else if !matches!(form.kelompok.as_str(), "skm" | "maladministrasi" | "lainnya") {
        Some("triage.jenis.bad_kind")
    } else {
        None
    };
    if let Some(error) = error {
        return render_jenis(&state, &staff, reader, StatusCode::UNPROCESSABLE_ENTITY, Some(error)).await;
    }
    match state.store.add_jenis(staff.unit.id, &key, name, &form.kelompok).await {
        Ok(_) => {}
        Err(e) if e.is_conflict() => {
            return render_jenis(
                &state,
                &staff,
                reader,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("triage.jenis.exists"),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    staff.audit(&state, "jenis.added", "jenis", &key, name).await?;
    Ok(Redirect::to(&format!("/staf/{}/jenis", staff.unit.code)).into_response())
}

/// The offer/withdraw form of a jenis.
#[derive(Deserialize, Default)]
pub struct JenisActiveForm {
    #[serde(default)]
    aktif: String,
}

/// `POST /staf/{unit}/jenis/{id}/status`: offers (`aktif=1`) or withdraws a jenis.
/// Complaints already tagged with it keep it.
pub async fn set_jenis_active(
    State(state): State<AppState>,
    staff: UnitStaff,
    Path((_unit, id)): Path<(String, i64)>,
    Form(form): Form<JenisActiveForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let active = form.aktif == "1";
    if !state.store.set_jenis_active(staff.unit.id, id, active).await? {
        return Err(ErrorPage::NotFound);
    }
    staff
        .audit(
            &state,
            "jenis.active",
            "jenis",
            &id.to_string(),
            if active { "1" } else { "0" },
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/jenis", staff.unit.code)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jenis_keys_are_slugs() {
        assert_eq!(jenis_key("Pungutan Liar (pungli)"), "pungutan_liar_pungli");
        assert_eq!(jenis_key("  "), "");
    }
}

// ---- Inbox filters (the staff complaint list) ----

/// The inbox filters as they come in the list page's query string (all text, so a
/// hand-edited URL with a bad value drops that filter instead of failing the page).
#[derive(Deserialize, Default, Clone)]
pub struct InboxFilters {
    /// Search words.
    pub q: Option<String>,
    /// Status key.
    pub status: Option<String>,
    /// Channel key.
    pub saluran: Option<String>,
    /// Bobot key.
    pub bobot: Option<String>,
    /// Jenis id.
    pub jenis: Option<String>,
    /// Service id.
    pub layanan: Option<String>,
    /// Division id.
    pub bidang: Option<String>,
    /// Holder id.
    pub petugas: Option<String>,
    /// `1`: only overdue ones.
    pub terlambat: Option<String>,
    /// First day received (local, YYYY-MM-DD).
    pub dari: Option<String>,
    /// Last day received (local, YYYY-MM-DD).
    pub sampai: Option<String>,
    /// `tenggat`: by deadline; otherwise newest first.
    pub urut: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl InboxFilters {
    /// The store query for this unit, judged at `now`.
    pub fn to_query(
        &self,
        unit: &Unit,
        now: DateTime<Utc>,
        limit: i64,
        offset: i64,
    ) -> crate::storage::triage::InboxQuery {
        let cal = crate::triage::calendar::UnitCalendar::new(zone_of(&unit.time_zone), &[]);
        let day = |v: &Option<String>| non_empty(v).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let id = |v: &Option<String>| non_empty(v).and_then(|d| d.parse::<i64>().ok());
        crate::storage::triage::InboxQuery {
            text: non_empty(&self.q).map(|q| q.chars().take(200).collect()),
            status: non_empty(&self.status)
                .and_then(|s| ComplaintStatus::parse(s).ok())
                .map(|s| s.key().to_owned()),
            channel: non_empty(&self.saluran)
                .and_then(|s| crate::domain::Channel::parse(s).ok())
                .map(|s| s.key().to_owned()),
            bobot: non_empty(&self.bobot)
                .and_then(|s| Bobot::parse(s).ok())
                .map(|s| s.key().to_owned()),
            jenis_id: id(&self.jenis),
            service_id: id(&self.layanan),
            division_id: id(&self.bidang),
            assignee_id: id(&self.petugas),
            overdue: non_empty(&self.terlambat) == Some("1"),
            // Local days: from the start of `dari` to the start of the day after `sampai`.
            from: day(&self.dari)
                .and_then(|d| d.pred_opt())
                .map(|d| cal.end_of_day(d) + chrono::Duration::seconds(1)),
            to: day(&self.sampai).map(|d| cal.end_of_day(d) + chrono::Duration::seconds(1)),
            now,
            sort: if non_empty(&self.urut) == Some("tenggat") {
                crate::storage::triage::InboxSort::Due
            } else {
                crate::storage::triage::InboxSort::Received
            },
            limit,
            offset,
        }
    }

    /// The filters as a query string (for the pager and the export link).
    pub fn query_string(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("saluran", &self.saluran),
            ("bobot", &self.bobot),
            ("jenis", &self.jenis),
            ("layanan", &self.layanan),
            ("bidang", &self.bidang),
            ("petugas", &self.petugas),
            ("terlambat", &self.terlambat),
            ("dari", &self.dari),
            ("sampai", &self.sampai),
            ("urut", &self.urut),
        ] {
            if let Some(v) = non_empty(v) {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }
}

/// The choices of the inbox's filter form, with the current ones selected.
pub struct InboxChoices {
    /// Channels.
    pub channels: Vec<Choice>,
    /// Bobot.
    pub bobot: Vec<Choice>,
    /// Jenis.
    pub jenis: Vec<Choice>,
    /// Services.
    pub services: Vec<Choice>,
    /// Divisions.
    pub divisions: Vec<Choice>,
    /// Officers.
    pub assignees: Vec<Choice>,
}

/// Loads the filter choices of a unit's inbox.
pub async fn inbox_choices(state: &AppState, unit: &Unit, tr: Tr, f: &InboxFilters) -> Result<InboxChoices, ErrorPage> {
    let pick = |v: &Option<String>| non_empty(v).map(str::to_owned);
    let store = &state.store;
    Ok(InboxChoices {
        channels: opt_choice(
            crate::domain::Channel::ALL.iter().map(|c| {
                (
                    c.key().to_owned(),
                    c.key().to_owned(),
                    tr.t(&format!("channel.{}", c.key())).to_owned(),
                )
            }),
            pick(&f.saluran),
        ),
        bobot: opt_choice(
            Bobot::ALL.iter().map(|b| {
                (
                    b.key().to_owned(),
                    b.key().to_owned(),
                    tr.t(&format!("triage.bobot.{}", b.key())).to_owned(),
                )
            }),
            pick(&f.bobot),
        ),
        jenis: opt_choice(
            store
                .list_jenis(unit.id, true)
                .await?
                .into_iter()
                .map(|j| (j.id.to_string(), j.id.to_string(), j.name)),
            pick(&f.jenis),
        ),
        services: opt_choice(
            store
                .list_services(unit.id)
                .await?
                .into_iter()
                .map(|s| (s.id.to_string(), s.id.to_string(), s.name)),
            pick(&f.layanan),
        ),
        divisions: opt_choice(
            store
                .list_divisions(unit.id)
                .await?
                .into_iter()
                .map(|d| (d.id.to_string(), d.id.to_string(), d.name)),
            pick(&f.bidang),
        ),
        assignees: opt_choice(
            assignable(state, unit.id)
                .await?
                .into_iter()
                .map(|(id, name)| (id.to_string(), id.to_string(), name)),
            pick(&f.petugas),
        ),
    })
}

// ---- Control card in aggregate (kartu kendali per unit) ----

/// One status of the unit's control card: how long complaints stay in it.
pub struct StepRow {
    /// Status label.
    pub label: &'static str,
    /// Stays that ended.
    pub completed: u64,
    /// Complaints in it now (or ended there).
    pub current: u64,
    /// Median hours of the ended stays.
    pub median: String,
    /// 90th percentile hours.
    pub p90: String,
    /// Mean hours.
    pub mean: String,
}

#[derive(Template)]
#[template(path = "triage_card.html")]
struct CardPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rows: Vec<StepRow>,
}

/// `GET /staf/{unit}/kartu-kendali`: where the time goes in this unit, as the
/// median (and 90th percentile) time complaints spend in each status, computed by
/// `analytics::step_durations` over every status entry of the unit's control cards.
pub async fn unit_card(State(state): State<AppState>, staff: UnitStaff, reader: Reader) -> Result<Response, ErrorPage> {
    staff.require(crate::auth::READ_COMPLAINTS)?;
    let events = state.store.complaint_event_columns(Some(staff.unit.id)).await?;
    let frame = events.into_frame().map_err(|e| {
        tracing::error!(error = %e, "event frame");
        ErrorPage::Internal
    })?;
    let steps = analytics::step_durations(&frame).map_err(|e| {
        tracing::error!(error = %e, "step durations");
        ErrorPage::Internal
    })?;
    let tr = reader.tr;
    let hours = |h: Option<f64>| h.map(|h| format!("{h:.1}")).unwrap_or_else(|| "-".into());
    let rows = steps
        .into_iter()
        .map(|s| StepRow {
            label: tr.t(&format!("status.{}", s.state)),
            completed: s.completed,
            current: s.current,
            median: hours(s.hours.median),
            p90: hours(s.hours.p90),
            mean: hours(s.hours.mean),
        })
        .collect();
    let page = CardPage {
        tr,
        page: reader.page,
        unit: staff.unit,
        rows,
    };
    Ok(Html(page.render()?).into_response())
}

// ---- API: status moves for integrations ----

/// Body of `POST /api/v1/units/{unit}/complaints/{id}/status`.
#[derive(Deserialize)]
pub struct ApiMove {
    /// The status asked for.
    to: String,
    /// Why, or the answer text for `dijawab`.
    #[serde(default)]
    note: String,
}

fn api_error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// `POST /api/v1/units/{unit}/complaints/{id}/status`: moves a complaint for an
/// integration holding the unit's token with the `complaints:write` scope, through
/// the same life-cycle check as the pages (a refusal is 422 with the reason in
/// Indonesian; nothing changes). The control-card entry has no actor: the note says
/// which token acted.
pub async fn api_move_status(
    State(state): State<AppState>,
    client: crate::auth::ApiClient,
    Path((unit, id)): Path<(String, String)>,
    body: Result<super::api_error::ApiJson<ApiMove>, super::api_error::ApiError>,
) -> Response {
    use super::api_error::ApiError;
    let id = match super::api_params::integer("id", Some(&id), 1, i64::MAX) {
        Ok(id) => id.unwrap_or_default(),
        Err(e) => return e.into_response(),
    };
    let unit = match state.store.unit_by_code(&unit).await {
        Ok(Some(u)) => u,
        Ok(None) => return crate::auth::ApiDenied::Forbidden.into_response(),
        Err(_) => return crate::auth::ApiDenied::Internal.into_response(),
    };
    if let Err(denied) = client.require(unit.id, "complaints:write") {
        return denied.into_response();
    }
    let body = match body {
        Ok(super::api_error::ApiJson(body)) => body,
        Err(e) => return e.into_response(),
    };
    let Ok(to) = ComplaintStatus::parse(&body.to) else {
        let statuses: Vec<&str> = ComplaintStatus::ALL.iter().map(|s| s.key()).collect();
        let shown: String = body.to.chars().take(40).collect();
        return ApiError::body_field(
            "to",
            "one_of",
            &[("allowed", &statuses.join(", ")), ("value", &format!("{shown:?}"))],
        )
        .into_response();
    };
    if to == ComplaintStatus::Dijawab {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "use_answer_form",
            crate::i18n::t(crate::i18n::Lang::Id, "triage.error.use_answer_form").to_owned(),
        );
    }
    let note = format!("{} [API: {}]", body.note.trim(), client.token.name);
    let result = crate::notices::move_complaint(
        state.store.as_ref(),
        &unit,
        StatusMove {
            unit_id: unit.id,
            complaint_id: id,
            to,
            actor_id: None,
            note: if body.note.trim().is_empty() {
                String::new()
            } else {
                note
            },
            at: Utc::now(),
            expected_from: None,
            notify: Vec::new(),
        },
        state.config.public_url.as_deref(),
    )
    .await;
    match result {
        Ok(Ok(())) => axum::Json(serde_json::json!({ "id": id, "status": to.key() })).into_response(),
        Ok(Err(lifecycle::MoveError::NotFound)) => ApiError::not_found().into_response(),
        Ok(Err(e)) => api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "illegal_move",
            e.message(crate::i18n::Lang::Id),
        ),
        Err(_) => crate::auth::ApiDenied::Internal.into_response(),
    }
}
