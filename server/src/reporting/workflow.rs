//! Report versions and their approval (seed 002 items j and k): a draft is made on
//! demand or by the monthly job, the preparer (petugas) submits it, the sekretaris
//! approves it or returns it with a note, a returned report is corrected as a new
//! version, and approval freezes the version (the database refuses to change it
//! afterwards) and delivers it to the kepala dinas with a notification.
//!
//! Each version keeps its input as JSON; every step re-renders the files from it so
//! the printed status and signatures always match the stored ones.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::period::Period;
use crate::i18n::Lang;
use crate::storage::Store;
use crate::storage::model::{NewOutbox, Unit};
use crate::storage::reports::{NewReportVersion, ReportAction, ReportFiles, ReportVersion};

/// Kind key of the monthly complaint report.
pub const MONTHLY: &str = "pengaduan_bulanan";
/// Kind key of the SKM report.
pub const SKM: &str = "skm";

/// A version's input, as stored in `data_json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "report")]
pub enum StoredReport {
    /// Laporan Pengaduan Pelayanan Publik.
    #[serde(rename = "pengaduan_bulanan")]
    Monthly(Box<reports::MonthlyReport>),
    /// Laporan Hasil SKM.
    #[serde(rename = "skm")]
    Skm(Box<reports::SkmReport>),
}

impl StoredReport {
    /// The document to render.
    pub fn document(&self, labels: &reports::Labels) -> reports::Document {
        match self {
            StoredReport::Monthly(r) => r.document(labels),
            StoredReport::Skm(r) => r.document(labels),
        }
    }

    /// The approval state (version and signatures) printed in the files.
    pub fn approval(&self) -> &reports::Approval {
        match self {
            StoredReport::Monthly(r) => &r.approval,
            StoredReport::Skm(r) => &r.approval,
        }
    }

    fn approval_mut(&mut self) -> &mut reports::Approval {
        match self {
            StoredReport::Monthly(r) => &mut r.approval,
            StoredReport::Skm(r) => &mut r.approval,
        }
    }

    /// Sets the logo the files are drawn with (a stored version keeps no logo; it
    /// is the unit's current one whenever the files are made).
    pub fn set_logo(&mut self, logo: Option<reports::Logo>) {
        match self {
            StoredReport::Monthly(r) => r.letterhead.logo = logo,
            StoredReport::Skm(r) => r.letterhead.logo = logo,
        }
    }

    fn note_mut(&mut self) -> &mut String {
        match self {
            StoredReport::Monthly(r) => &mut r.preparer_note,
            StoredReport::Skm(r) => &mut r.preparer_note,
        }
    }

    /// Renders all three formats (at once: the PDF on its own thread).
    pub fn files(&self, lang: Lang) -> anyhow::Result<ReportFiles> {
        let labels = super::labels(lang);
        let doc = self.document(&labels);
        let rendered = super::render(&doc, &labels, &["html", "pdf", "xlsx"])?;
        Ok(ReportFiles {
            html: rendered.html,
            pdf: rendered.pdf,
            xlsx: rendered.xlsx,
            data_json: serde_json::to_string(self)?,
        })
    }
}

/// Who acts.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub id: i64,
    /// Full name (printed in the signature block).
    pub name: String,
}

/// Why a workflow step was refused (the message is shown to the user).
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// The version is not in a status this step may start from (e.g. already approved).
    #[error("laporan ini tidak dapat diproses dari statusnya sekarang")]
    WrongStatus,
    /// No such version in this unit.
    #[error("laporan tidak ditemukan")]
    NotFound,
    /// A return needs a reason.
    #[error("catatan pengembalian wajib diisi")]
    NoteRequired,
    /// Anything else (storage, rendering).
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<crate::storage::StoreError> for WorkflowError {
    fn from(e: crate::storage::StoreError) -> Self {
        WorkflowError::Other(e.into())
    }
}

/// Makes and stores a new draft version of the monthly report (as of today).
pub async fn draft_monthly(
    store: &dyn Store,
    unit: &Unit,
    month: Period,
    actor: Option<&Actor>,
    note: &str,
) -> anyhow::Result<ReportVersion> {
    draft_monthly_as_of(store, unit, month, super::today(unit), actor, note).await
}

/// Makes and stores a new draft version of the monthly report with open complaints
/// judged as of `as_of` (the job passes the day it runs for, so a run for a given
/// moment drafts the same report whenever it executes).
pub async fn draft_monthly_as_of(
    store: &dyn Store,
    unit: &Unit,
    month: Period,
    as_of: chrono::NaiveDate,
    actor: Option<&Actor>,
    note: &str,
) -> anyhow::Result<ReportVersion> {
    let version = store.next_report_version(unit.id, MONTHLY, &month.key()).await?;
    let report = super::monthly_report(
        store,
        unit,
        super::MonthlyOptions {
            month,
            as_of,
            // Stored reports travel to other readers: never with identities.
            show_identity: false,
            note: note.to_owned(),
            approval: reports::Approval {
                version,
                status: "draft".into(),
                prepared_by: actor.map(|a| a.name.clone()),
                ..Default::default()
            },
        },
    )
    .await?;
    store_draft(
        store,
        unit,
        MONTHLY,
        &month.key(),
        actor,
        note,
        StoredReport::Monthly(Box::new(report)),
    )
    .await
}

/// Makes and stores a new draft version of the SKM report.
pub async fn draft_skm(
    store: &dyn Store,
    unit: &Unit,
    period: Period,
    actor: Option<&Actor>,
    note: &str,
) -> anyhow::Result<ReportVersion> {
    let version = store.next_report_version(unit.id, SKM, &period.key()).await?;
    let report = super::skm_report(
        store,
        unit,
        super::SkmOptions {
            period,
            as_of: super::today(unit),
            note: note.to_owned(),
            approval: reports::Approval {
                version,
                status: "draft".into(),
                prepared_by: actor.map(|a| a.name.clone()),
                ..Default::default()
            },
            lang: Lang::Id,
        },
    )
    .await?;
    store_draft(
        store,
        unit,
        SKM,
        &period.key(),
        actor,
        note,
        StoredReport::Skm(Box::new(report)),
    )
    .await
}

/// How many times a draft is re-rendered with the next number when concurrent
/// drafts of the same period keep taking its number first.
const DRAFT_ATTEMPTS: usize = 8;

/// Renders and stores a draft under the version number its files print. When
/// another draft of the same unit, kind and period stored that number first (the
/// unique key refuses the insert), the draft takes the next free number, is
/// re-rendered with it and stored again: two overlapping drafts end as N and N + 1,
/// each printing its own number.
async fn store_draft(
    store: &dyn Store,
    unit: &Unit,
    kind: &str,
    period: &str,
    actor: Option<&Actor>,
    note: &str,
    mut report: StoredReport,
) -> anyhow::Result<ReportVersion> {
    for _ in 0..DRAFT_ATTEMPTS {
        let version = report.approval().version;
        let (files, back) = tokio::task::spawn_blocking(move || {
            let files = report.files(Lang::Id);
            (files, report)
        })
        .await?;
        report = back;
        let files = files?;
        let stored = store
            .insert_report_version(&NewReportVersion {
                unit_id: unit.id,
                kind: kind.to_owned(),
                period: period.to_owned(),
                version,
                created_by: actor.map(|a| a.id),
                created_at: Utc::now(),
                preparer_note: note.to_owned(),
                data_json: files.data_json,
                html: files.html,
                pdf: files.pdf,
                xlsx: files.xlsx,
            })
            .await;
        match stored {
            Err(e) if e.is_conflict() => {
                let next = store.next_report_version(unit.id, kind, period).await?;
                report.approval_mut().version = next.max(version + 1);
            }
            other => return Ok(other?),
        }
    }
    anyhow::bail!("no free version number for {kind} {period} after {DRAFT_ATTEMPTS} attempts")
}

/// Applies a workflow step: re-renders the version with its new status and
/// signatures, stores it only if the version was in a status the step starts from,
/// and on approval notifies the kepala dinas.
pub async fn act(
    store: &dyn Store,
    unit: &Unit,
    id: i64,
    action: ReportAction,
    actor: &Actor,
    note: Option<&str>,
    public_url: Option<&str>,
) -> Result<ReportVersion, WorkflowError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if action == ReportAction::Return && note.is_none() {
        return Err(WorkflowError::NoteRequired);
    }
    let version = store
        .report_version(unit.id, id)
        .await?
        .ok_or(WorkflowError::NotFound)?;
    if !action.from_statuses().contains(&version.status.as_str()) {
        return Err(WorkflowError::WrongStatus);
    }
    let data = store.report_data(unit.id, id).await?.ok_or(WorkflowError::NotFound)?;
    let mut report: StoredReport = serde_json::from_str(&data).map_err(anyhow::Error::from)?;
    report.set_logo(super::unit_logo(store, unit).await?);
    let now: DateTime<Utc> = Utc::now();
    let today = now.with_timezone(&super::zone(unit)).date_naive();
    {
        let approval = report.approval_mut();
        approval.status = action.to_status().to_owned();
        match action {
            ReportAction::Submit => {
                approval.prepared_by = Some(version.created_by_name.clone().unwrap_or_else(|| actor.name.clone()));
                approval.submitted_on = Some(today);
            }
            ReportAction::Approve | ReportAction::Return => {
                approval.reviewed_by = Some(actor.name.clone());
                approval.reviewed_on = Some(today);
            }
        }
    }
    if action == ReportAction::Submit
        && let Some(n) = note
    {
        *report.note_mut() = n.to_owned();
    }
    let files = tokio::task::spawn_blocking(move || report.files(Lang::Id))
        .await
        .map_err(anyhow::Error::from)??;
    let preparer_note = if action == ReportAction::Submit { note } else { None };
    let review_note = if action == ReportAction::Submit { None } else { note };
    let changed = store
        .transition_report(
            unit.id,
            id,
            action,
            actor.id,
            if action == ReportAction::Submit {
                preparer_note
            } else {
                review_note
            },
            now,
            &files,
        )
        .await?;
    if !changed {
        return Err(WorkflowError::WrongStatus);
    }
    let version = store
        .report_version(unit.id, id)
        .await?
        .ok_or(WorkflowError::NotFound)?;
    if action == ReportAction::Approve {
        notify_head(store, unit, &version, public_url).await?;
    }
    Ok(version)
}

/// Queues an email to every kepala dinas of the unit who has an address (the
/// in-app list of delivered reports is their reports page). The dedupe key makes a
/// retry harmless.
async fn notify_head(
    store: &dyn Store,
    unit: &Unit,
    version: &ReportVersion,
    public_url: Option<&str>,
) -> anyhow::Result<()> {
    let lang = Lang::Id;
    let kind = crate::i18n::t(lang, &format!("reporting.kind_{}", version.kind));
    let link = format!(
        "{}/staf/{}/laporan/{}",
        public_url.unwrap_or("").trim_end_matches('/'),
        unit.code,
        version.id
    );
    for (user_id, name, email) in store.role_holders(unit.id, "kepala_dinas").await? {
        if email.trim().is_empty() {
            continue;
        }
        let args = [
            ("name", name.as_str()),
            ("kind", kind),
            ("period", version.period.as_str()),
            ("version", &version.version.to_string()),
            ("unit", unit.name.as_str()),
            ("link", link.as_str()),
        ];
        store
            .enqueue_outbox(&NewOutbox {
                unit_id: Some(unit.id),
                complaint_id: None,
                channel: "email".into(),
                recipient: email,
                subject: Some(crate::i18n::tf(lang, "reporting.mail_subject", &args)),
                body: crate::i18n::tf(lang, "reporting.mail_body", &args),
                headers: Default::default(),
                dedupe_key: format!("report-approved:{}:{user_id}", version.id),
            })
            .await?;
    }
    Ok(())
}
