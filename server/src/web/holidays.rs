//! The working-day calendar pages (issue 17).
//!
//! - `/sistem/hari-libur`: the national holidays and cuti bersama (one list for the
//!   whole country, per the SKB 3 Menteri), kept by the system-level role
//!   ([`SystemAdmin`]) and audited once at system level (an audit entry without a
//!   unit).
//! - `/staf/{unit}/hari-libur`: a unit admin sees the national list read-only and
//!   keeps the unit's own days off (a regional holiday, an office closure), which
//!   count for that unit only and are audited in it.
//!
//! A refusal re-renders the page with status 422 and the reason in the reader's
//! language, and nothing is changed.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{MANAGE_UNIT, SystemAdmin, UnitStaff};
use crate::i18n::Tr;
use crate::storage::calendar::UnitDayOff;
use crate::storage::model::{AuditEntry, Unit};
use crate::storage::triage::HolidayRow;
use crate::triage::calendar::zone_of;

/// The longest name of a holiday or day off, in characters.
const MAX_NAME: usize = 120;

/// Which year a calendar page shows.
#[derive(Deserialize, Default)]
pub struct YearQuery {
    tahun: Option<i32>,
}

/// The current year in `zone`.
fn this_year(zone: &str) -> i32 {
    chrono::Datelike::year(&Utc::now().with_timezone(&zone_of(zone)))
}

/// The first and last day of a year shown (clamped to a sane range).
fn year_bounds(year: i32) -> Result<(i32, NaiveDate, NaiveDate), ErrorPage> {
    let year = year.clamp(2000, 2100);
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(ErrorPage::BadRequest)?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31).ok_or(ErrorPage::BadRequest)?;
    Ok((year, from, to))
}

fn parse_day(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok()
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= MAX_NAME
}

// ---- National calendar (system-level role) ----

#[derive(Template)]
#[template(path = "holidays_system.html")]
struct SystemHolidaysPage {
    tr: Tr,
    page: PageChrome,
    year: i32,
    rows: Vec<HolidayRow>,
    error: Option<&'static str>,
}

/// The national calendar is read in WIB, the zone of the capital.
const NATIONAL_ZONE: &str = "Asia/Jakarta";

async fn render_national(
    state: &AppState,
    reader: Reader,
    year: i32,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, ErrorPage> {
    let (year, from, to) = year_bounds(year)?;
    let rows = state.store.holiday_rows(from, to).await?;
    let page = SystemHolidaysPage {
        tr: reader.tr,
        page: reader.page,
        year,
        rows,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Writes a system-level audit entry (no unit: the national calendar is every
/// unit's, so it is recorded once, not in one unit's log).
async fn audit_system(
    state: &AppState,
    admin: &SystemAdmin,
    action: &str,
    entity_id: &str,
    detail: &str,
) -> Result<(), ErrorPage> {
    state
        .store
        .audit(&AuditEntry {
            at: Utc::now(),
            user_id: Some(admin.staff.session.user.id),
            username: None,
            unit_id: None,
            action: action.to_owned(),
            entity: "holiday".to_owned(),
            entity_id: entity_id.to_owned(),
            detail: detail.to_owned(),
            ip: admin.staff.ip.clone(),
        })
        .await?;
    Ok(())
}

/// `GET /sistem/hari-libur`: the national holidays and cuti bersama of a year.
pub async fn national_page(
    State(state): State<AppState>,
    _admin: SystemAdmin,
    reader: Reader,
    Query(q): Query<YearQuery>,
) -> Result<Response, ErrorPage> {
    let year = q.tahun.unwrap_or_else(|| this_year(NATIONAL_ZONE));
    render_national(&state, reader, year, StatusCode::OK, None).await
}

/// The add-a-national-holiday form.
#[derive(Deserialize, Default)]
pub struct HolidayForm {
    #[serde(default)]
    tanggal: String,
    #[serde(default)]
    nama: String,
    #[serde(default)]
    jenis: String,
    #[serde(default)]
    sumber: String,
}

/// `POST /sistem/hari-libur`: adds a national holiday or renames the one on that day.
pub async fn save_national(
    State(state): State<AppState>,
    admin: SystemAdmin,
    reader: Reader,
    Form(form): Form<HolidayForm>,
) -> Result<Response, ErrorPage> {
    let day = parse_day(&form.tanggal);
    let name = form.nama.trim();
    let error = if day.is_none() {
        Some("triage.holidays.bad_date")
    } else if !valid_name(name) {
        Some("triage.holidays.bad_name")
    } else if !matches!(form.jenis.as_str(), "libur_nasional" | "cuti_bersama") {
        Some("triage.holidays.bad_kind")
    } else {
        None
    };
    let year = day
        .map(|d| chrono::Datelike::year(&d))
        .unwrap_or_else(|| this_year(NATIONAL_ZONE));
    let Some(day) = day.filter(|_| error.is_none()) else {
        return render_national(&state, reader, year, StatusCode::UNPROCESSABLE_ENTITY, error).await;
    };
    let row = HolidayRow {
        day,
        name: name.to_owned(),
        kind: form.jenis.clone(),
        source: form.sumber.trim().chars().take(200).collect(),
    };
    state.store.save_holiday(&row).await?;
    audit_system(&state, &admin, "holiday.saved", &day.to_string(), &row.name).await?;
    Ok(Redirect::to(&format!("/sistem/hari-libur?tahun={year}")).into_response())
}

/// The delete-a-day form (national or a unit's own).
#[derive(Deserialize, Default)]
pub struct DeleteDayForm {
    #[serde(default)]
    tanggal: String,
}

/// `POST /sistem/hari-libur/hapus`: removes a national holiday (the day counts as a
/// working day again, except in units that keep it as their own day off).
pub async fn delete_national(
    State(state): State<AppState>,
    admin: SystemAdmin,
    reader: Reader,
    Form(form): Form<DeleteDayForm>,
) -> Result<Response, ErrorPage> {
    let Some(day) = parse_day(&form.tanggal) else {
        let year = this_year(NATIONAL_ZONE);
        return render_national(
            &state,
            reader,
            year,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("triage.holidays.bad_date"),
        )
        .await;
    };
    if state.store.delete_holiday(day).await? {
        audit_system(&state, &admin, "holiday.deleted", &day.to_string(), "").await?;
    }
    let year = chrono::Datelike::year(&day);
    Ok(Redirect::to(&format!("/sistem/hari-libur?tahun={year}")).into_response())
}

// ---- A unit's own days off (unit admin) ----

#[derive(Template)]
#[template(path = "holidays_unit.html")]
struct UnitHolidaysPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    year: i32,
    national: Vec<HolidayRow>,
    own: Vec<UnitDayOff>,
    system_admin: bool,
    error: Option<&'static str>,
}

async fn render_unit(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    year: i32,
    status: StatusCode,
    error: Option<&'static str>,
) -> Result<Response, ErrorPage> {
    let (year, from, to) = year_bounds(year)?;
    let national = state.store.holiday_rows(from, to).await?;
    let own = state.store.unit_days_off(staff.unit.id, from, to).await?;
    let page = UnitHolidaysPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        year,
        national,
        own,
        system_admin: staff.staff.session.user.system_admin,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /staf/{unit}/hari-libur`: the national holidays of a year (read-only) and
/// the unit's own days off (editable).
pub async fn unit_page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Query(q): Query<YearQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let year = q.tahun.unwrap_or_else(|| this_year(&staff.unit.time_zone));
    render_unit(&state, &staff, reader, year, StatusCode::OK, None).await
}

/// The add-a-day-off form of a unit.
#[derive(Deserialize, Default)]
pub struct DayOffForm {
    #[serde(default)]
    tanggal: String,
    #[serde(default)]
    nama: String,
}

/// `POST /staf/{unit}/hari-libur`: adds a day off of this unit, or renames the one
/// on that day. It counts for this unit only; the national list is not touched
/// (a form that still sends a kind or a decree, as the old national form did, adds
/// a day off of this unit and nothing else).
pub async fn save_unit_day(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<DayOffForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let day = parse_day(&form.tanggal);
    let name = form.nama.trim();
    let error = if day.is_none() {
        Some("triage.holidays.bad_date")
    } else if !valid_name(name) {
        Some("triage.holidays.bad_name")
    } else {
        None
    };
    let year = day
        .map(|d| chrono::Datelike::year(&d))
        .unwrap_or_else(|| this_year(&staff.unit.time_zone));
    let Some(day) = day.filter(|_| error.is_none()) else {
        return render_unit(&state, &staff, reader, year, StatusCode::UNPROCESSABLE_ENTITY, error).await;
    };
    let day_off = UnitDayOff {
        unit_id: staff.unit.id,
        day,
        name: name.to_owned(),
    };
    state.store.save_unit_day_off(&day_off).await?;
    staff
        .audit(
            &state,
            "unit_day_off.saved",
            "unit_day_off",
            &day.to_string(),
            &day_off.name,
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/hari-libur?tahun={year}", staff.unit.code)).into_response())
}

/// `POST /staf/{unit}/hari-libur/hapus`: removes a day off of this unit. A national
/// holiday cannot be removed here (422: only the system administrator keeps them).
pub async fn delete_unit_day(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<DeleteDayForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let Some(day) = parse_day(&form.tanggal) else {
        let year = this_year(&staff.unit.time_zone);
        return render_unit(
            &state,
            &staff,
            reader,
            year,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("triage.holidays.bad_date"),
        )
        .await;
    };
    let year = chrono::Datelike::year(&day);
    if state.store.delete_unit_day_off(staff.unit.id, day).await? {
        staff
            .audit(&state, "unit_day_off.deleted", "unit_day_off", &day.to_string(), "")
            .await?;
    } else if !state.store.holiday_rows(day, day).await?.is_empty() {
        return render_unit(
            &state,
            &staff,
            reader,
            year,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("triage.holidays.national_readonly"),
        )
        .await;
    }
    Ok(Redirect::to(&format!("/staf/{}/hari-libur?tahun={year}", staff.unit.code)).into_response())
}
