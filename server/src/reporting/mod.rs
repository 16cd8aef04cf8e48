//! Reports (issue 9) on the server side: load the rows, let `analytics` compute,
//! hand the results to the `reports` crate, and keep the versions with their
//! approval workflow.
//!
//! Data flow: [`crate::storage::complaint_facts::ComplaintFactStore::complaint_columns`] / the survey statistics
//! ([`crate::survey::stats::survey_ikm_many`]) and the
//! [`ReportStore`] rows -> `analytics` -> [`reports::MonthlyReport`] /
//! [`reports::SkmReport`] -> HTML, PDF and XLSX.

pub mod cli;
pub mod job;
pub mod period;
pub mod workflow;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::i18n::{self, Lang};
use crate::storage::Store;
use crate::storage::model::{SurveyFilter, Unit};
use period::Period;
use reports::monthly::{OverdueEntry, RegisterEntry, TrendMonth};

/// The words of the documents in `lang`: the `[reports]` sections plus the channel
/// and status names the register prints.
pub fn labels(lang: Lang) -> reports::Labels {
    let map: HashMap<String, String> = i18n::keys(lang)
        .into_iter()
        .filter(|k| k.starts_with("reports.") || k.starts_with("channel.") || k.starts_with("status."))
        .map(|k| (k.to_owned(), i18n::t(lang, k).to_owned()))
        .collect();
    reports::Labels::new(map)
}

/// The unit's letterhead as the documents print it.
pub fn letterhead(unit: &Unit) -> reports::Letterhead {
    reports::Letterhead {
        government: unit.letterhead.join("\n"),
        unit_name: unit.name.clone(),
        address: unit.address.clone(),
        city: unit.city.clone(),
        phone: unit.phone.clone(),
        email: unit.email.clone(),
        head_title: unit.head_title.clone(),
        head_name: unit.head_name.clone(),
        head_nip: unit.head_nip.clone(),
        logo: None,
    }
}

/// The unit's logo as the documents draw it, if it has one. A stored file that no
/// longer passes the checks (edited in the database by hand) is left out with a
/// warning rather than failing the document.
pub async fn unit_logo(store: &dyn Store, unit: &Unit) -> anyhow::Result<Option<reports::Logo>> {
    let Some(row) = store.unit_logo(unit.id).await? else {
        return Ok(None);
    };
    match reports::Logo::from_stored(&row.media_type, row.content) {
        Ok(logo) => Ok(Some(logo)),
        Err(e) => {
            tracing::warn!(unit = %unit.code, reason = %e, "stored unit logo refused; documents printed without it");
            Ok(None)
        }
    }
}

/// The unit's letterhead with its current logo.
pub async fn letterhead_with_logo(store: &dyn Store, unit: &Unit) -> anyhow::Result<reports::Letterhead> {
    Ok(reports::Letterhead {
        logo: unit_logo(store, unit).await?,
        ..letterhead(unit)
    })
}

/// The unit's time zone (Asia/Jakarta when unreadable).
pub fn zone(unit: &Unit) -> chrono_tz::Tz {
    unit.time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta)
}

/// Today in the unit's zone.
pub fn today(unit: &Unit) -> NaiveDate {
    Utc::now().with_timezone(&zone(unit)).date_naive()
}

fn local_midnight(zone: chrono_tz::Tz, day: NaiveDate) -> DateTime<Utc> {
    zone.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight")))
}

/// The cut-off of the overdue list as of `day`: the start of that day in the unit's
/// zone. A complaint due on `day` itself is not late yet, exactly as analytics counts
/// `open_overdue` (as-of day after the due day), so the list and the figure agree.
pub fn overdue_cutoff(unit: &Unit, day: NaiveDate) -> DateTime<Utc> {
    local_midnight(zone(unit), day)
}

/// Options of one monthly report.
#[derive(Debug, Clone)]
pub struct MonthlyOptions {
    /// The month.
    pub month: Period,
    /// Open complaints are judged as of this day.
    pub as_of: NaiveDate,
    /// Print complainants' names (only for a reader allowed to see them; anonymous
    /// complainants are never named).
    pub show_identity: bool,
    /// The preparer's notes.
    pub note: String,
    /// Version and signatures.
    pub approval: reports::Approval,
}

/// Loads and computes everything the monthly report of `unit` shows.
pub async fn monthly_report(
    store: &dyn Store,
    unit: &Unit,
    options: MonthlyOptions,
) -> anyhow::Result<reports::MonthlyReport> {
    let zone = zone(unit);
    let (from, to) = (options.month.from(), options.month.to());
    let (stats, trend) = monthly_figures(store, unit, options.month, options.as_of).await?;
    let register_rows = store
        .report_register(
            unit.id,
            local_midnight(zone, from),
            local_midnight(zone, to + chrono::Duration::days(1)),
        )
        .await?;
    let overdue_rows = store
        .overdue_complaints(unit.id, local_midnight(zone, options.as_of))
        .await?;
    let as_of = options.as_of;
    let stages = crate::triage::stages::month_tally(
        store,
        unit,
        local_midnight(zone, from),
        local_midnight(zone, to + chrono::Duration::days(1)),
        as_of,
    )
    .await?;
    let local = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    let register = register_rows
        .into_iter()
        .map(|r| RegisterEntry {
            nomor_agenda: r.nomor_agenda,
            received_on: local(r.received_at),
            complainant: (options.show_identity && !r.anonim)
                .then_some(r.complainant_name)
                .flatten(),
            anonim: r.anonim,
            channel: r.channel,
            subject: r.subject,
            jenis: r.jenis,
            bobot: r.bobot,
            service: r.service,
            status: r.status,
        })
        .collect();
    // Days late count the unit's working days, like its targets: due on a Friday,
    // 1 day late on Monday.
    let late_calendar = match overdue_rows.iter().map(|r| local(r.due_at)).min() {
        Some(first_due) => analytics::WorkingCalendar::new(store.days_off(unit.id, first_due, as_of).await?),
        None => analytics::WorkingCalendar::default(),
    };
    let overdue = overdue_rows
        .into_iter()
        .map(|r| OverdueEntry {
            nomor_agenda: r.nomor_agenda,
            received_on: local(r.received_at),
            due_on: local(r.due_at),
            days_late: late_calendar.working_days_between(local(r.due_at), as_of),
            bobot: r.bobot,
            division: r.division,
            status: r.status,
        })
        .collect();
    Ok(reports::MonthlyReport {
        letterhead: letterhead_with_logo(store, unit).await?,
        month: from,
        as_of,
        stats,
        trend,
        register,
        overdue,
        stages,
        preparer_note: options.note,
        approval: options.approval,
    })
}

/// The month's statistics and the 12-month trend of `unit` as of `as_of`, without
/// the register or the overdue list: what the dashboard shows and the monthly
/// report's figures, loaded and computed once for both so they cannot disagree.
pub async fn monthly_figures(
    store: &dyn Store,
    unit: &Unit,
    month: Period,
    as_of: NaiveDate,
) -> anyhow::Result<(analytics::ComplaintStats, Vec<TrendMonth>)> {
    let mut trend_start = month;
    for _ in 0..11 {
        trend_start = trend_start.previous();
    }
    // The unit's days off: national holidays and its own, never another unit's.
    let holidays: Vec<NaiveDate> = store
        .days_off(
            unit.id,
            trend_start.from() - chrono::Duration::days(31),
            as_of + chrono::Duration::days(400),
        )
        .await?;
    let mut sla = store.report_sla_targets(unit.id).await?;
    if sla.is_empty() {
        sla = analytics::SlaTarget::defaults();
    }
    // Complaints closed before the trend's first month count in none of its figures
    // (opened, closed, backlog, targets): only the others are read. A day early, so
    // no time zone can cut off a complaint of the first day.
    let since = local_midnight(zone(unit), trend_start.from() - chrono::Duration::days(1));
    let complaints = store.complaint_fact_columns(Some(unit.id), Some(since)).await?;
    let units = vec![unit.code.clone()];
    Ok(tokio::task::spawn_blocking(move || -> analytics::Result<_> {
        let frame = complaints.into_frame()?;
        monthly_stats(&frame, month, as_of, &holidays, &sla, &units)
    })
    .await??)
}

/// The month's statistics and the 12-month trend, all from `analytics`: the same
/// call the stats API makes, with the month as the range.
pub fn monthly_stats(
    frame: &analytics::ComplaintFrame,
    month: Period,
    as_of: NaiveDate,
    holidays: &[NaiveDate],
    sla: &[analytics::SlaTarget],
    units: &[String],
) -> analytics::Result<(analytics::ComplaintStats, Vec<TrendMonth>)> {
    let query = |p: Period| analytics::ComplaintQuery {
        range: analytics::DateRange {
            from: Some(p.from()),
            to: Some(p.to()),
        },
        period: analytics::Period::Month,
        units: units.to_vec(),
        holidays: holidays.to_vec(),
        sla: sla.to_vec(),
        as_of,
    };
    let mut months = vec![month];
    for _ in 0..11 {
        let earlier = months.last().expect("one month").previous();
        months.push(earlier);
    }
    months.reverse();
    let queries: Vec<analytics::ComplaintQuery> = months.iter().map(|&p| query(p)).collect();
    let all = analytics::complaint_stats_many(frame, &queries)?;
    let mut trend = Vec::with_capacity(12);
    let mut this_month = None;
    for (p, stats) in months.into_iter().zip(all) {
        let flow = stats.flow.first();
        trend.push(TrendMonth {
            month: p.from(),
            opened: flow.map(|f| f.opened).unwrap_or(stats.total),
            closed: flow.map(|f| f.closed).unwrap_or(stats.closed),
            backlog: flow.map(|f| f.backlog).unwrap_or(0),
            compliance_pct: reports::monthly::overall_compliance(&stats.sla),
            closed_date_unknown: stats.closed_date_unknown,
        });
        if p == month {
            this_month = Some(stats);
        }
    }
    Ok((this_month.expect("the month is in the trend"), trend))
}

/// Options of one SKM report.
#[derive(Debug, Clone)]
pub struct SkmOptions {
    /// Quarter, semester or year.
    pub period: Period,
    /// Day of the report.
    pub as_of: NaiveDate,
    /// Preparer's notes.
    pub note: String,
    /// Version and signatures.
    pub approval: reports::Approval,
    /// Language of period names.
    pub lang: Lang,
}

/// The rule set of the unit's survey period that an SKM report covers (the period
/// named by the report's key, else the one with the same first and last day), or the
/// default rule set when no such period was set up. A unit's history may span
/// regulations, so a period is always graded and named under its own rule set.
async fn period_rule_set(
    store: &dyn Store,
    unit: &Unit,
    period: Period,
    lang: Lang,
) -> anyhow::Result<analytics::RuleSet> {
    let periods = store.list_survey_periods(unit.id).await?;
    let key = period.key();
    let chosen = periods.iter().find(|p| p.name == key).or_else(|| {
        periods
            .iter()
            .find(|p| p.starts_on == period.from() && p.ends_on == period.to())
    });
    let rule_sets = store.survey_rule_sets().await?;
    let stored = match chosen {
        Some(p) => rule_sets.iter().find(|r| r.id == p.rule_set_id),
        None => rule_sets.iter().find(|r| r.is_default),
    };
    let code = stored.map_or(analytics::rules::PERMENPAN_14_2017, |r| r.code.as_str());
    analytics::RuleSet::by_id(code).ok_or_else(|| {
        anyhow::anyhow!(i18n::tf(
            lang,
            "reports.skm.unknown_rule_set",
            &[("code", code), ("period", &key)]
        ))
    })
}

/// Loads and computes everything the SKM report of `unit` shows.
pub async fn skm_report(store: &dyn Store, unit: &Unit, options: SkmOptions) -> anyhow::Result<reports::SkmReport> {
    let period = options.period;
    let rule_set = period_rule_set(store, unit, period, options.lang).await?;
    // The trend: this period and up to seven before it, of the same kind. Only
    // these days are loaded: the database filters, not the report.
    let mut start = period;
    for _ in 0..7 {
        start = start.previous();
    }
    let filter = SurveyFilter::of(&rule_set, Some(unit.id), Some(start.from()), Some(period.to()));
    // The cells read also cover the period before the trend's first, so that its
    // first row has a change too (cells cost per day, not per response).
    let cells_filter = SurveyFilter::of(
        &rule_set,
        Some(unit.id),
        Some(start.previous().from()),
        Some(period.to()),
    );
    let populations = store.report_survey_populations(unit.id, &period.key()).await?;
    // Where this period's responses came from, for BAB II's collection methods.
    let sources = crate::survey::stats::survey_source_counts(
        store,
        unit.id,
        &rule_set.id,
        (period.from(), period.to()),
        crate::survey::stats::forced_from_responses(),
    )
    .await?
    .into_iter()
    .map(|(source, responses)| reports::skm::SourceCount { source, responses })
    .collect();
    let questionnaire = rule_set.elements.clone();
    let follow_up = store.follow_up_plans(unit.id, &period.key()).await?;
    let previous = period.previous();
    let previous_follow_up = store.follow_up_plans(unit.id, &previous.key()).await?;
    let to_follow_up = |p: crate::storage::reports::FollowUpPlan| reports::skm::FollowUp {
        element_key: p.element_key,
        action: p.action,
        owner: p.owner,
        deadline: p.deadline,
        realisation: p.realisation,
        realised_on: p.realised_on,
    };
    let range = analytics::DateRange {
        from: Some(period.from()),
        to: Some(period.to()),
    };
    let total: u64 = populations.iter().map(|(_, n)| n).sum();
    let pops: Vec<analytics::Population> = populations
        .iter()
        .map(|(service, n)| analytics::Population {
            key: BTreeMap::from([("service".to_owned(), service.clone())]),
            population: *n,
        })
        .collect();
    let query = |group_by: Vec<analytics::Dimension>, range, populations| analytics::IkmQuery {
        rule_set: rule_set.clone(),
        group_by,
        range,
        populations,
        ..Default::default()
    };
    let overall_pop = if total > 0 {
        vec![analytics::Population {
            key: BTreeMap::new(),
            population: total,
        }]
    } else {
        Vec::new()
    };
    // A profile nobody was asked about (no ages at all, say) is left out rather
    // than failing the whole report; the other three are always kept.
    let has_ages = store.survey_has_ages(&filter).await?;
    let profile_names: Vec<&str> = ["jenis_kelamin", "umur_kelompok", "pendidikan", "pekerjaan"]
        .into_iter()
        .filter(|p| *p != "umur_kelompok" || has_ages)
        .collect();
    let mut queries = vec![
        query(vec![], range, overall_pop),
        query(vec![analytics::Dimension::Service], range, pops),
        // Each period against the one before it: BAB IV prints the change, its noise
        // and whether the change exceeds it.
        analytics::IkmQuery {
            compare: Some(analytics::Comparison::Previous),
            ..query(
                vec![period.dimension()],
                analytics::DateRange {
                    from: Some(start.from()),
                    to: Some(period.to()),
                },
                Vec::new(),
            )
        },
    ];
    queries.extend(
        profile_names
            .iter()
            .map(|p| query(vec![analytics::Dimension::Profile((*p).to_owned())], range, Vec::new())),
    );
    // From the survey statistics: O(cells), not O(responses).
    let mut reports = crate::survey::stats::survey_ikm_many(store, &cells_filter, queries).await?;
    let profiles = reports.split_off(3);
    let trend = reports.pop().expect("trend");
    let by_service = reports.pop().expect("by service");
    let overall = reports.pop().expect("overall");
    // Complainants (the invite after closure, issue 19) beside everyone else.
    let period_filter = SurveyFilter::of(&rule_set, Some(unit.id), Some(period.from()), Some(period.to()));
    let complainants = crate::survey::complainants::complainant_ikm(store, &period_filter, &rule_set).await?;
    Ok(reports::SkmReport {
        letterhead: letterhead_with_logo(store, unit).await?,
        period_label: period.label(options.lang),
        from: period.from(),
        to: period.to(),
        as_of: options.as_of,
        overall,
        by_service,
        profiles,
        trend,
        follow_up: follow_up.into_iter().map(to_follow_up).collect(),
        previous_follow_up: previous_follow_up.into_iter().map(to_follow_up).collect(),
        sources,
        questionnaire,
        complainants: Some(complainants),
        previous_period_label: Some(previous.label(options.lang)),
        preparer_note: options.note,
        approval: options.approval,
    })
}

/// The three renderings of a document.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// HTML page.
    pub html: String,
    /// PDF bytes.
    pub pdf: Vec<u8>,
    /// XLSX bytes.
    pub xlsx: Vec<u8>,
}

/// Renders a document in the requested formats (`html`, `pdf`, `xlsx`); formats not
/// asked for are left empty.
/// The formats are made concurrently (`reports::Document::render`).
pub fn render(doc: &reports::Document, labels: &reports::Labels, formats: &[&str]) -> anyhow::Result<Rendered> {
    let out = doc.render(
        labels,
        formats.contains(&"html"),
        formats.contains(&"pdf"),
        formats.contains(&"xlsx"),
    )?;
    Ok(Rendered {
        html: out.html.unwrap_or_default(),
        pdf: out.pdf.unwrap_or_default(),
        xlsx: out.xlsx.unwrap_or_default(),
    })
}
