//! The stage time limits of a unit (issue 20), `/staf/{unit}/tahapan`: each
//! channel's stages (SP4N-LAPOR! verification and follow-up, the auto-close after an
//! answer for every channel) with their limit in working days and the regulation
//! they come from. Only the unit's admins see and change them, and only their own
//! unit's: the unit comes from the URL and the rows are keyed by it.
//!
//! A form changes one row in place (its working days and regulation); the rows'
//! `valid_from` stays, so the change applies to every complaint received under that
//! row, including the next pass of the auto-close job. A refusal re-renders the page
//! with status 422 and the reason in the reader's language, and nothing changes.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{AppState, ErrorPage, PageChrome, Reader};
use crate::auth::{MANAGE_UNIT, UnitStaff};
use crate::domain::Channel;
use crate::i18n::Tr;
use crate::storage::model::Unit;
use crate::storage::stages::ChannelStage;
use crate::triage::stages::STAGE_KEYS;

/// The longest limit a unit may set, in working days (about a year and a half).
pub const MAX_WORKING_DAYS: i64 = 365;
/// The longest regulation text, in characters.
const MAX_REGULATION: usize = 200;

/// One row of the page.
struct StageLine {
    channel: &'static str,
    channel_label: &'static str,
    stage: String,
    stage_label: &'static str,
    working_days: i64,
    regulation: String,
    valid_from: NaiveDate,
}

#[derive(Template)]
#[template(path = "stages.html")]
struct StagesPage {
    tr: Tr,
    page: PageChrome,
    unit: Unit,
    rows: Vec<StageLine>,
    saved: bool,
    error: Option<&'static str>,
}

/// The unit's rows in channel order (as [`Channel::ALL`] lists them), then stage
/// order and `valid_from`.
fn lines(tr: Tr, stages: Vec<ChannelStage>) -> Vec<StageLine> {
    let mut rows: Vec<StageLine> = stages
        .into_iter()
        .filter_map(|s| {
            let channel = Channel::parse(&s.channel).ok()?;
            Some(StageLine {
                channel: channel.key(),
                channel_label: tr.t(&format!("channel.{}", channel.key())),
                stage_label: tr.t(&format!("reports.stage.{}", s.stage)),
                stage: s.stage,
                working_days: s.working_days,
                regulation: s.regulation,
                valid_from: s.valid_from,
            })
        })
        .collect();
    let order = |c: &str| Channel::ALL.iter().position(|k| k.key() == c).unwrap_or(usize::MAX);
    let stage_order = |s: &str| STAGE_KEYS.iter().position(|k| *k == s).unwrap_or(usize::MAX);
    rows.sort_by_key(|r| (order(r.channel), stage_order(&r.stage), r.valid_from));
    rows
}

async fn render(
    state: &AppState,
    staff: &UnitStaff,
    reader: Reader,
    status: StatusCode,
    saved: bool,
    error: Option<&'static str>,
) -> Result<Response, ErrorPage> {
    let stages = state.store.channel_stages(staff.unit.id).await?;
    let page = StagesPage {
        tr: reader.tr,
        page: reader.page,
        unit: staff.unit.clone(),
        rows: lines(reader.tr, stages),
        saved,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Whether the page follows a save.
#[derive(Deserialize, Default)]
pub struct SavedQuery {
    disimpan: Option<String>,
}

/// `GET /staf/{unit}/tahapan`: the unit's stage limits, each with its form.
pub async fn page(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Query(q): Query<SavedQuery>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    render(&state, &staff, reader, StatusCode::OK, q.disimpan.is_some(), None).await
}

/// The change-one-limit form.
#[derive(Deserialize, Default)]
pub struct StageForm {
    #[serde(default)]
    kanal: String,
    #[serde(default)]
    tahap: String,
    #[serde(default)]
    berlaku: String,
    #[serde(default)]
    hari: String,
    #[serde(default)]
    regulasi: String,
}

/// The limit a form asks for: a whole number of working days from 1 to
/// [`MAX_WORKING_DAYS`].
pub fn parse_working_days(value: &str) -> Option<i64> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_WORKING_DAYS).contains(d))
}

/// `POST /staf/{unit}/tahapan`: changes the working days and the regulation of one
/// of the unit's stage rows (named by channel, stage and valid-from day).
pub async fn save(
    State(state): State<AppState>,
    staff: UnitStaff,
    reader: Reader,
    Form(form): Form<StageForm>,
) -> Result<Response, ErrorPage> {
    staff.require(MANAGE_UNIT)?;
    let stages = state.store.channel_stages(staff.unit.id).await?;
    let valid_from = NaiveDate::parse_from_str(form.berlaku.trim(), "%Y-%m-%d").ok();
    let row = stages
        .into_iter()
        .find(|s| s.channel == form.kanal.trim() && s.stage == form.tahap.trim() && Some(s.valid_from) == valid_from);
    let days = parse_working_days(&form.hari);
    let regulation = form.regulasi.trim();
    let error = if row.is_none() {
        Some("triage.stages.unknown_row")
    } else if days.is_none() {
        Some("triage.stages.bad_days")
    } else if regulation.is_empty() || regulation.chars().count() > MAX_REGULATION {
        Some("triage.stages.bad_regulation")
    } else {
        None
    };
    let (Some(row), Some(days), None) = (row, days, error) else {
        return render(&state, &staff, reader, StatusCode::UNPROCESSABLE_ENTITY, false, error).await;
    };
    let changed = ChannelStage {
        working_days: days,
        regulation: regulation.to_owned(),
        ..row.clone()
    };
    state.store.save_channel_stage(staff.unit.id, &changed).await?;
    staff
        .audit(
            &state,
            "channel_stage.saved",
            "channel_stage",
            &format!("{}/{}/{}", row.channel, row.stage, row.valid_from),
            &format!(
                "{} -> {} hari kerja; {}",
                row.working_days, changed.working_days, changed.regulation
            ),
        )
        .await?;
    Ok(Redirect::to(&format!("/staf/{}/tahapan?disimpan=1", staff.unit.code)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_days_from_one_to_a_year_and_a_half_pass() {
        assert_eq!(parse_working_days(" 7 "), Some(7));
        assert_eq!(parse_working_days("365"), Some(365));
        for bad in ["0", "-3", "366", "", "tujuh", "2.5", "1e3"] {
            assert_eq!(parse_working_days(bad), None, "{bad}");
        }
    }
}
