//! The staff area of a unit: its complaints, scoped to the unit of the URL and
//! shown with personal data only to the roles that handle complaints.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::account::{UnitRoles, units_of};
use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{MANAGE_UNIT, READ_AUDIT, READ_COMPLAINTS, StaffUser, UnitStaff, may_see_identity};
use crate::domain::ComplaintStatus;
use crate::i18n::Tr;
use crate::storage::model::{ComplaintRecord, ComplaintSummary, Unit};

/// Rows per page of the complaint list.
const PAGE_SIZE: i64 = 50;
/// Most rows one export holds.
const EXPORT_LIMIT: i64 = 100_000;

#[derive(Template)]
#[template(path = "staff_home.html")]
struct StaffHome {
    tr: Tr,
    page: PageChrome,
    units: Vec<UnitRoles>,
    /// Shows the link to the system administrator's pages.
    system_admin: bool,
}

/// The staff start page: the units this account works in.
pub async fn staff_home(
    State(state): State<AppState>,
    staff: StaffUser,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    let units = units_of(&state, reader.tr, &staff).await?;
    Ok(Html(
        StaffHome {
            tr: reader.tr,
            page: reader.page,
            units,
            system_admin: staff.session.user.system_admin,
        }
        .render()?,
    ))
}

/// One status with its count, for the dashboard.
pub struct StatusCount {
    /// Status key (for the filter link).
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// Complaints in it.
    pub count: i64,
}

#[derive(Template)]
#[template(path = "staff_unit.html")]
struct UnitDashboard {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    counts: Vec<StatusCount>,
    total: i64,
    can_manage: bool,
    can_audit: bool,
    can_import: bool,
}

/// A unit's staff dashboard: complaints per status, and the admin links the role allows.
pub async fn unit_dashboard(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
) -> Result<Html<String>, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let stored = state.store.complaint_status_counts(staff.unit.id).await?;
    let counts: Vec<StatusCount> = ComplaintStatus::ALL
        .iter()
        .map(|s| StatusCount {
            key: s.key(),
            label: reader.tr.t(&format!("status.{}", s.key())),
            count: stored.iter().find(|(k, _)| k == s.key()).map(|(_, n)| *n).unwrap_or(0),
        })
        .collect();
    let total = counts.iter().map(|c| c.count).sum();
    let page = UnitDashboard {
        tr: reader.tr,
        page: reader.page,
        can_manage: staff.has_any(MANAGE_UNIT),
        can_audit: staff.has_any(READ_AUDIT),
        can_import: staff.has_any(crate::auth::IMPORT_COMPLAINTS),
        unit: staff.unit,
        counts,
        total,
    };
    Ok(Html(page.render()?))
}

/// Filters of the complaint list and export: the inbox filters (status, channel,
/// bobot, jenis, service, division, holder, overdue, date range, full-text search,
/// sort by deadline), the page and, for the export, whether to include identity.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(flatten)]
    f: super::triage::InboxFilters,
    page: Option<String>,
    identitas: Option<String>,
}

impl ListQuery {
    fn page_no(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.trim().parse::<i64>().ok())
            .unwrap_or(1)
            .clamp(1, 100_000)
    }
}

/// A row of the list with labels resolved.
pub struct ListRow {
    /// The stored summary.
    pub c: ComplaintSummary,
    /// Received time in the unit's zone.
    pub received: String,
    /// Status label.
    pub status: &'static str,
    /// Channel label.
    pub channel: &'static str,
    /// Deadline in the unit's zone ("" when none).
    pub due: String,
    /// Open and past its deadline.
    pub overdue: bool,
    /// Holder's name.
    pub assignee: String,
    /// The running stage clock of its channel (SP4N-LAPOR!), e.g. "Verifikasi dan
    /// penerusan: 05-11-2026 23:59" ("" when none).
    pub stage: String,
    /// That stage's limit has passed.
    pub stage_overdue: bool,
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintList {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rows: Vec<ListRow>,
    f: super::triage::InboxFilters,
    /// The status tabs: the query of each tab (the other filters kept).
    tabs: Vec<StatusTab>,
    /// The "all statuses" tab: its query, the total, and whether it is the current one.
    all_tab: StatusTab,
    /// A filter hidden in the collapsible part of the bar is set (keep it open).
    more_filters_set: bool,
    choices: super::triage::InboxChoices,
    page_no: i64,
    has_next: bool,
    filter_query: String,
    can_record: bool,
}

/// One tab of the inbox's row of status tabs.
pub struct StatusTab {
    /// Status key ("" for all statuses).
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// Complaints in it under the other filters.
    pub count: i64,
    /// The tab shown now.
    pub current: bool,
    /// The list's query string with this tab's status and the other filters.
    pub query: String,
}

/// The status tabs of the inbox, each keeping the other filters of `f`.
fn status_tabs(
    tr: Tr,
    f: &super::triage::InboxFilters,
    statuses: &[(&'static str, &'static str, i64, bool)],
) -> (StatusTab, Vec<StatusTab>) {
    let with_status = |key: &str| {
        let mut g = f.clone();
        g.status = (!key.is_empty()).then(|| key.to_owned());
        g.query_string()
    };
    let tabs: Vec<StatusTab> = statuses
        .iter()
        .map(|&(key, label, count, current)| StatusTab {
            key,
            label,
            count,
            current,
            query: with_status(key),
        })
        .collect();
    let all = StatusTab {
        key: "",
        label: tr.t("staff.any_status"),
        count: tabs.iter().map(|t| t.count).sum(),
        current: !tabs.iter().any(|t| t.current),
        query: with_status(""),
    };
    (all, tabs)
}

fn zone_of(unit: &Unit) -> chrono_tz::Tz {
    unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta)
}

/// The unit's inbox: filters, full-text search, sort by deadline, count per status.
pub async fn complaint_list(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let page_no = q.page_no();
    let query = q.f.to_query(
        &staff.unit,
        chrono::Utc::now(),
        PAGE_SIZE + 1,
        (page_no - 1) * PAGE_SIZE,
    );
    let found = state.store.inbox(staff.unit.id, &query).await?;
    let mut rows = found.rows;
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let tr = reader.tr;
    let zone = zone_of(&staff.unit);
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).format("%d-%m-%Y %H:%M").to_string();
    let keys: Vec<(&str, &str, chrono::DateTime<chrono::Utc>)> = rows
        .iter()
        .map(|r| {
            (
                r.summary.channel.as_str(),
                r.summary.status.as_str(),
                r.summary.received_at,
            )
        })
        .collect();
    let stage_clocks = crate::triage::stages::running_clocks(state.store.as_ref(), &staff.unit, &keys).await?;
    let now = chrono::Utc::now();
    let rows = rows
        .into_iter()
        .zip(stage_clocks)
        .map(|(r, clock)| ListRow {
            stage: clock
                .map(|(stage, due)| format!("{}: {}", tr.t(&format!("reports.stage.{stage}")), local(due)))
                .unwrap_or_default(),
            stage_overdue: clock.is_some_and(|(_, due)| due < now),
            received: local(r.summary.received_at),
            status: tr.t(&format!("status.{}", r.summary.status)),
            channel: tr.t(&format!("channel.{}", r.summary.channel)),
            due: r.summary.due_at.map(local).unwrap_or_default(),
            overdue: r.overdue,
            assignee: r.assignee.unwrap_or_default(),
            c: r.summary,
        })
        .collect();
    let statuses: Vec<(&'static str, &'static str, i64, bool)> = ComplaintStatus::ALL
        .iter()
        .map(|s| {
            (
                s.key(),
                tr.t(&format!("status.{}", s.key())),
                found
                    .status_counts
                    .iter()
                    .find(|(k, _)| k == s.key())
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
                query.status.as_deref() == Some(s.key()),
            )
        })
        .collect();
    let choices = super::triage::inbox_choices(&state, &staff.unit, tr, &q.f).await?;
    let (all_tab, tabs) = status_tabs(tr, &q.f, &statuses);
    let f = &q.f;
    let more_filters_set = [
        &f.saluran,
        &f.bobot,
        &f.jenis,
        &f.layanan,
        &f.bidang,
        &f.petugas,
        &f.terlambat,
        &f.dari,
        &f.sampai,
    ]
    .iter()
    .any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
    let page = ComplaintList {
        tabs,
        all_tab,
        more_filters_set,
        tr,
        page: reader.page,
        filter_query: q.f.query_string(),
        f: q.f,
        choices,
        page_no,
        has_next,
        can_record: staff.has_any(crate::auth::HANDLE_COMPLAINTS),
        unit: staff.unit,
        rows,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct ComplaintDetail {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    c: ComplaintRecord,
    received: String,
    status: &'static str,
    channel: &'static str,
    klasifikasi: &'static str,
    show_identity: bool,
    identity_hidden_reason: &'static str,
    triage: super::triage::TriagePanel,
    /// Shown only to readers who may see the identity (they may also download).
    attachments: Vec<crate::storage::model::AttachmentInfo>,
    /// There are attachments this reader may not see.
    attachments_hidden: bool,
    messages: Vec<(String, &'static str, String, String)>,
    /// The stage clocks of the complaint's channel (issue 20).
    clocks: Vec<ClockLine>,
    /// What was queued for the complainant, with its state (issue 19).
    notices: Vec<super::notices::NoticeLine>,
}

/// One stage clock of a complaint as its page prints it.
struct ClockLine {
    stage: &'static str,
    working_days: i64,
    /// The clock starts at the last answer (auto-close), not at receipt.
    since_answer: bool,
    due: String,
    done: String,
    state_key: &'static str,
    state: &'static str,
    regulation: String,
}

/// One complaint of the unit. A complaint of another unit is "not found", whatever
/// its id. Showing the complainant's identity is written to the audit log.
pub async fn complaint_detail(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Path((_unit, id)): Path<(String, i64)>,
    Query(q): Query<DetailQuery>,
) -> Result<Html<String>, ErrorPage> {
    let template = q.templat.as_deref().and_then(|t| t.trim().parse().ok());
    render_complaint(&state, staff, reader, id, None, template).await
}

/// Options of the complaint page: an answer template to start the answer from.
#[derive(Deserialize, Default)]
pub struct DetailQuery {
    templat: Option<String>,
}

/// The complaint page, with `error` (why the last triage action was refused) shown
/// above the triage forms.
pub(super) async fn render_complaint(
    state: &AppState,
    staff: UnitStaff,
    reader: Reader,
    id: i64,
    error: Option<String>,
    template: Option<i64>,
) -> Result<Html<String>, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let c = state
        .store
        .complaint(staff.unit.id, id)
        .await?
        .ok_or(ErrorPage::NotFound)?;
    let show_identity = may_see_identity(&staff, c.summary.anonim);
    let has_identity = c.complainant.name.is_some()
        || c.complainant.phone.is_some()
        || c.complainant.email.is_some()
        || c.complainant.nik.is_some();
    if show_identity && has_identity {
        staff
            .audit(
                state,
                "complaint.identity_viewed",
                "complaint",
                &c.summary.nomor_agenda,
                "",
            )
            .await?;
    }
    let tr = reader.tr;
    let zone = zone_of(&staff.unit);
    let triage = super::triage::panel(state, &staff, tr, &c, error, template).await?;
    // Attachments follow the identity rule (a photo of a KTP is identity, issue 17):
    // readers who may not see the identity learn only that there are some.
    let mut attachments = state.store.attachments(c.summary.id).await?;
    let attachments_hidden = !show_identity && !attachments.is_empty();
    if !show_identity {
        attachments.clear();
    }
    // A name stored before names were cleaned is shown cleaned too.
    for a in &mut attachments {
        a.filename = crate::intake::files::clean_filename(&a.filename, &a.content_type);
    }
    let messages = state
        .store
        .complaint_messages(c.summary.id)
        .await?
        .into_iter()
        .map(|m| {
            (
                m.at.with_timezone(&zone).format("%d-%m-%Y %H:%M").to_string(),
                if m.direction == "in" {
                    tr.t("complaint.message_in")
                } else {
                    tr.t("complaint.message_out")
                },
                if show_identity { m.sender } else { String::new() },
                m.body,
            )
        })
        .collect();
    let day = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).format("%d-%m-%Y").to_string();
    let clocks = crate::triage::stages::complaint_clocks(state.store.as_ref(), &staff.unit, id, chrono::Utc::now())
        .await?
        .into_iter()
        .map(|k| ClockLine {
            stage: tr.t(&format!("reports.stage.{}", k.stage)),
            working_days: k.working_days,
            since_answer: !crate::triage::stages::is_agency_stage(&k.stage),
            due: k
                .due_at
                .map(day)
                .unwrap_or_else(|| tr.t("triage.clocks.none").to_owned()),
            done: k.done_at.map(day).unwrap_or_default(),
            state_key: k.state.key(),
            state: tr.t(&format!("triage.clocks.state.{}", k.state.key())),
            regulation: k.regulation,
        })
        .collect();
    let notices = super::notices::notice_lines(state, tr, zone, c.summary.id, show_identity).await?;
    let page = ComplaintDetail {
        tr,
        page: reader.page,
        clocks,
        notices,
        attachments,
        attachments_hidden,
        messages,
        received: c
            .summary
            .received_at
            .with_timezone(&zone)
            .format("%d-%m-%Y %H:%M")
            .to_string(),
        status: tr.t(&format!("status.{}", c.summary.status)),
        channel: tr.t(&format!("channel.{}", c.summary.channel)),
        klasifikasi: tr.t(&format!("klasifikasi.{}", c.klasifikasi)),
        show_identity,
        identity_hidden_reason: if c.summary.anonim {
            "complaint.identity_anonim"
        } else {
            "complaint.identity_role"
        },
        unit: staff.unit,
        c,
        triage,
    };
    Ok(Html(page.render()?))
}

/// CSV export of the unit's complaints (same filters as the list). Identity columns
/// come only with `identitas=1` and only for roles that see identity; anonim rows stay
/// blank unless the reader is a complaint manager. Every export is audited.
pub async fn complaint_export(
    State(state): State<AppState>,
    staff: UnitStaff,
    Query(q): Query<ListQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(READ_COMPLAINTS)?;
    let with_identity = q.identitas.as_deref() == Some("1");
    if with_identity && !staff.has_any(crate::auth::HANDLE_COMPLAINTS) {
        return Err(ErrorPage::Forbidden);
    }
    let query = q.f.to_query(&staff.unit, chrono::Utc::now(), EXPORT_LIMIT, 0);
    let rows: Vec<ComplaintSummary> = state
        .store
        .inbox(staff.unit.id, &query)
        .await?
        .rows
        .into_iter()
        .map(|r| r.summary)
        .collect();
    let zone = zone_of(&staff.unit);
    let mut out = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "nomor_agenda",
        "tanggal_diterima",
        "saluran",
        "perihal",
        "status",
        "bobot",
        "jenis",
        "layanan",
    ];
    if with_identity {
        header.extend(["nama", "telepon", "email"]);
    }
    out.write_record(&header).map_err(|_| ErrorPage::Internal)?;
    for c in &rows {
        let mut record = vec![
            c.nomor_agenda.clone(),
            c.received_at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string(),
            c.channel.clone(),
            c.subject.clone(),
            c.status.clone(),
            c.bobot.clone().unwrap_or_default(),
            c.jenis.clone().unwrap_or_default(),
            c.service.clone().unwrap_or_default(),
        ];
        if with_identity {
            let identity = if may_see_identity(&staff, c.anonim) {
                state
                    .store
                    .complaint(staff.unit.id, c.id)
                    .await?
                    .map(|r| r.complainant)
                    .unwrap_or_default()
            } else {
                Default::default()
            };
            record.extend([
                identity.name.unwrap_or_default(),
                identity.phone.unwrap_or_default(),
                identity.email.unwrap_or_default(),
            ]);
        }
        out.write_record(crate::csv_safe::record(&record))
            .map_err(|_| ErrorPage::Internal)?;
    }
    let bytes = out.into_inner().map_err(|_| ErrorPage::Internal)?;
    staff
        .audit(
            &state,
            if with_identity {
                "export.complaints_with_identity"
            } else {
                "export.complaints"
            },
            "complaint",
            "",
            &format!("{} baris", rows.len()),
        )
        .await?;
    let filename = format!("attachment; filename=\"pengaduan-{}.csv\"", staff.unit.code);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&filename).map_err(|_| ErrorPage::Internal)?,
            ),
        ],
        bytes,
    )
        .into_response())
}
