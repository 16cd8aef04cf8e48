//! Laporan Pengaduan Pelayanan Publik: the monthly complaint report of one unit
//! (PENGADUAN.md "Monthly report"; issue 9).
//!
//! The caller (the server) loads the rows and runs `analytics`; this module only
//! arranges the results into a [`Document`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::approval::Approval;
use crate::charts::{BarChart, Chart, LineChart};
use crate::doc::{Block, Cell, Document, Figure, Letterhead, Table};
use crate::{Labels, ReportError, fmt};

/// One line of the month's Buku Pengaduan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterEntry {
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// Local date received.
    pub received_on: NaiveDate,
    /// Complainant's name when the reader may see it; `None` prints as redacted
    /// (or as anonymous when `anonim`).
    pub complainant: Option<String>,
    /// The complainant asked to stay anonymous.
    pub anonim: bool,
    /// Channel key (`sms`, `surat`, ...).
    pub channel: String,
    /// Subject line.
    pub subject: String,
    /// Jenis pengaduan name, if classified.
    pub jenis: Option<String>,
    /// Bobot key, if classified.
    pub bobot: Option<String>,
    /// Service name, if known.
    pub service: Option<String>,
    /// Status key.
    pub status: String,
}

/// A complaint past its due date and not yet closed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OverdueEntry {
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// Local date received.
    pub received_on: NaiveDate,
    /// Local due date.
    pub due_on: NaiveDate,
    /// Working days of the unit's calendar past the due day, at the report date.
    pub days_late: i64,
    /// Bobot key, if classified.
    pub bobot: Option<String>,
    /// Division handling it, if disposed.
    pub division: Option<String>,
    /// Status key.
    pub status: String,
}

/// How the complaints of the month fared on one stage clock of their channel
/// (SP4N-LAPOR!: verification 3 working days, follow-up 5 more), judged like the
/// SLA table; the server's `triage::stages` computes it from the unit's stage data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRow {
    /// Channel key (`span_lapor`).
    pub channel: String,
    /// Stage key (`verifikasi`, `tindak_lanjut`).
    pub stage: String,
    /// The limit in working days.
    pub working_days: i64,
    /// The regulation the limit comes from.
    pub regulation: String,
    /// Complaints with this clock.
    pub complaints: u64,
    /// Done within the limit.
    pub met: u64,
    /// Done after it.
    pub missed: u64,
    /// Not done and past the limit.
    pub open_overdue: u64,
    /// Not done, still within the limit.
    pub pending: u64,
    /// Over on a date nobody recorded (an imported report already answered on
    /// LAPOR!), counted in none of the other columns.
    pub unknown_date: u64,
}

/// One month of the 12-month trend.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrendMonth {
    /// First day of the month.
    pub month: NaiveDate,
    /// Complaints received.
    pub opened: u64,
    /// Complaints closed.
    pub closed: u64,
    /// Open at the month's end.
    pub backlog: u64,
    /// Resolution SLA compliance of the month's complaints, all bobot together.
    pub compliance_pct: Option<f64>,
    /// Complaints received in the month and closed on a date nobody recorded
    /// (imported history): in no month's closings.
    #[serde(default)]
    pub closed_date_unknown: u64,
}

/// Everything the monthly report shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MonthlyReport {
    /// Issuer.
    pub letterhead: Letterhead,
    /// First day of the reported month.
    pub month: NaiveDate,
    /// Day the figures were computed (open complaints are judged as of this day).
    pub as_of: NaiveDate,
    /// `analytics::complaint_stats` over the month.
    pub stats: analytics::ComplaintStats,
    /// The 12 months up to and including this one.
    pub trend: Vec<TrendMonth>,
    /// The month's complaints, in agenda order.
    pub register: Vec<RegisterEntry>,
    /// Every open complaint past its due date at `as_of` (any month).
    pub overdue: Vec<OverdueEntry>,
    /// The month's complaints on the stage clocks of their channel (SP4N-LAPOR!).
    #[serde(default)]
    pub stages: Vec<StageRow>,
    /// The preparer's notes.
    pub preparer_note: String,
    /// Version, workflow state and signatures.
    pub approval: Approval,
}

/// Overall resolution compliance over all bobot rows, with the same formula as
/// analytics uses per row: met / (met + missed + open_overdue).
pub fn overall_compliance(sla: &[analytics::SlaRow]) -> Option<f64> {
    let (met, judged) = sla.iter().fold((0u64, 0u64), |(m, j), r| {
        (
            m + r.resolve.met,
            j + r.resolve.met + r.resolve.missed + r.resolve.open_overdue,
        )
    });
    (judged > 0).then(|| analytics::round_half_away(100.0 * met as f64 / judged as f64, 2))
}

fn value_label(labels: &Labels, prefix: &str, value: &Option<String>) -> String {
    match value {
        None => labels.t("reports.common.unclassified").to_owned(),
        Some(v) => {
            let key = format!("{prefix}.{v}");
            let text = labels.t(&key);
            if text == key { v.clone() } else { text.to_owned() }
        }
    }
}

fn pct(part: u64, whole: u64) -> Cell {
    if whole == 0 {
        Cell::Missing
    } else {
        Cell::Num(analytics::round_half_away(100.0 * part as f64 / whole as f64, 2), 2)
    }
}

fn count_table(
    labels: &Labels,
    sheet: &str,
    caption: &str,
    column: &str,
    prefix: &str,
    counts: &[analytics::Count],
    total: u64,
) -> Table {
    Table {
        sheet: Some(sheet.to_owned()),
        caption: caption.to_owned(),
        columns: vec![
            column.to_owned(),
            labels.t("reports.common.count").to_owned(),
            labels.t("reports.common.percent").to_owned(),
        ],
        widths: vec![4, 1, 1],
        rows: counts
            .iter()
            .map(|c| {
                vec![
                    value_label(labels, prefix, &c.value).into(),
                    c.count.into(),
                    pct(c.count, total),
                ]
            })
            .collect(),
        small: false,
        empty: labels.t("reports.common.none").to_owned(),
    }
}

impl MonthlyReport {
    /// "Oktober 2026".
    pub fn period_label(&self, labels: &Labels) -> String {
        use chrono::Datelike;
        format!("{} {}", fmt::month_name(self.month.month(), labels), self.month.year())
    }

    /// The headline figures (also what the dashboard and the API compare against).
    pub fn figures(&self, labels: &Labels) -> Vec<Figure> {
        let s = &self.stats;
        let overdue: u64 = s.sla.iter().map(|r| r.resolve.open_overdue).sum();
        let fig = |key: &str, value: Cell| Figure {
            key: key.to_owned(),
            label: labels.t(&format!("reports.monthly.fig_{key}")).to_owned(),
            value,
        };
        vec![
            fig("total", s.total.into()),
            fig("closed", s.closed.into()),
            fig("open", (s.total - s.closed.min(s.total)).into()),
            fig("overdue", overdue.into()),
            fig("overdue_all", (self.overdue.len() as u64).into()),
            fig("compliance", overall_compliance(&s.sla).into()),
            fig("first_answer_median", s.first_answer_days.median.into()),
            fig("close_median", s.close_days.median.into()),
            fig("closed_unknown", s.closed_date_unknown.into()),
        ]
    }

    /// The charts of the report, by file stem.
    pub fn charts(&self, labels: &Labels) -> Vec<(String, Chart)> {
        let s = &self.stats;
        let bar = |title: &str, prefix: &str, counts: &[analytics::Count]| {
            Chart::Bar(BarChart {
                title: title.to_owned(),
                labels: counts.iter().map(|c| value_label(labels, prefix, &c.value)).collect(),
                values: counts.iter().map(|c| c.count as f64).collect(),
                range: None,
                bands: vec![],
            })
        };
        let month_labels: Vec<String> = self
            .trend
            .iter()
            .map(|t| {
                use chrono::Datelike;
                let name = fmt::month_name(t.month.month(), labels);
                format!("{} {}", name.chars().take(3).collect::<String>(), t.month.year() % 100)
            })
            .collect();
        vec![
            (
                "per_kanal".into(),
                bar(labels.t("reports.monthly.chart_channel"), "channel", &s.by_channel),
            ),
            (
                "per_bobot".into(),
                bar(labels.t("reports.monthly.chart_bobot"), "reports.bobot", &s.by_bobot),
            ),
            (
                "sla".into(),
                Chart::Bar(BarChart {
                    title: labels.t("reports.monthly.chart_sla").to_owned(),
                    labels: s
                        .sla
                        .iter()
                        .map(|r| value_label(labels, "reports.bobot", &r.bobot))
                        .collect(),
                    values: s.sla.iter().map(|r| r.resolve.compliance_pct.unwrap_or(0.0)).collect(),
                    range: Some((0.0, 110.0)),
                    bands: vec![],
                }),
            ),
            (
                "tren".into(),
                Chart::Line(LineChart {
                    title: labels.t("reports.monthly.chart_trend").to_owned(),
                    labels: month_labels.clone(),
                    series: vec![
                        (
                            labels.t("reports.monthly.opened").to_owned(),
                            self.trend.iter().map(|t| Some(t.opened as f64)).collect(),
                        ),
                        (
                            labels.t("reports.monthly.closed").to_owned(),
                            self.trend.iter().map(|t| Some(t.closed as f64)).collect(),
                        ),
                    ],
                    range: None,
                }),
            ),
            // Percentages on their own axis: drawn with the counts, a rate near 90 %
            // is a flat line at the bottom whenever the counts are in the hundreds.
            (
                "tren_tepat_waktu".into(),
                Chart::Line(LineChart {
                    title: labels.t("reports.monthly.chart_trend_compliance").to_owned(),
                    labels: month_labels,
                    series: vec![(
                        labels.t("reports.monthly.compliance").to_owned(),
                        self.trend.iter().map(|t| t.compliance_pct).collect(),
                    )],
                    range: Some((0.0, 100.0)),
                }),
            ),
        ]
    }

    /// The report as a document (rendered to HTML, PDF and XLSX by [`Document`]).
    pub fn document(&self, labels: &Labels) -> Document {
        let s = &self.stats;
        let t = |k: &str| labels.t(k).to_owned();
        let mut charts = self.charts(labels).into_iter();
        let mut next_chart = || {
            charts
                .next()
                .map(|(name, c)| Block::Chart(name, c))
                .unwrap_or(Block::PageBreak)
        };
        let mut blocks = vec![
            Block::Heading(1, t("reports.monthly.h_summary")),
            Block::Para(labels.f(
                "reports.monthly.intro",
                &[
                    ("period", &self.period_label(labels)),
                    ("unit", &self.letterhead.unit_name),
                    ("as_of", &fmt::date(self.as_of, labels)),
                ],
            )),
            Block::Figures(self.figures(labels)),
            Block::Heading(1, t("reports.monthly.h_breakdown")),
            Block::Table(count_table(
                labels,
                &t("reports.monthly.sheet_channel"),
                &t("reports.monthly.by_channel"),
                &t("reports.monthly.channel"),
                "channel",
                &s.by_channel,
                s.total,
            )),
            next_chart(),
            Block::Table(count_table(
                labels,
                &t("reports.monthly.sheet_bobot"),
                &t("reports.monthly.by_bobot"),
                &t("reports.monthly.bobot"),
                "reports.bobot",
                &s.by_bobot,
                s.total,
            )),
            next_chart(),
            Block::Table(count_table(
                labels,
                &t("reports.monthly.sheet_jenis"),
                &t("reports.monthly.by_jenis"),
                &t("reports.monthly.jenis"),
                "reports.jenis",
                &s.by_jenis,
                s.total,
            )),
            Block::Table(count_table(
                labels,
                &t("reports.monthly.sheet_service"),
                &t("reports.monthly.by_service"),
                &t("reports.monthly.service"),
                "reports.service",
                &s.by_service,
                s.total,
            )),
            Block::Table(count_table(
                labels,
                &t("reports.monthly.sheet_division"),
                &t("reports.monthly.by_division"),
                &t("reports.monthly.division"),
                "reports.division",
                &s.by_division,
                s.total,
            )),
            Block::Table(count_table(
                labels,
                &t("reports.monthly.sheet_status"),
                &t("reports.monthly.by_status"),
                &t("reports.monthly.status"),
                "status",
                &s.by_status,
                s.total,
            )),
            Block::Heading(1, t("reports.monthly.h_sla")),
            Block::Para(t("reports.monthly.sla_intro")),
            Block::Table(Table {
                sheet: Some(t("reports.monthly.sheet_sla")),
                caption: t("reports.monthly.sla_table"),
                columns: [
                    "bobot",
                    "complaints",
                    "target",
                    "met",
                    "missed",
                    "open_overdue",
                    "pending",
                    "no_target",
                    "unknown_date",
                    "compliance",
                ]
                .iter()
                .map(|k| t(&format!("reports.monthly.sla_{k}")))
                .collect(),
                widths: vec![3, 2, 2, 2, 2, 2, 2, 2, 2, 2],
                rows: s
                    .sla
                    .iter()
                    .map(|r| {
                        vec![
                            value_label(labels, "reports.bobot", &r.bobot).into(),
                            r.complaints.into(),
                            r.resolve
                                .target_days
                                .map(|d| Cell::Int(d as i64))
                                .unwrap_or(Cell::Missing),
                            r.resolve.met.into(),
                            r.resolve.missed.into(),
                            r.resolve.open_overdue.into(),
                            r.resolve.pending.into(),
                            r.resolve.no_target.into(),
                            r.resolve.unknown_date.into(),
                            r.resolve.compliance_pct.into(),
                        ]
                    })
                    .collect(),
                small: false,
                empty: t("reports.common.none"),
            }),
            next_chart(),
            Block::Para(t("reports.monthly.stages_intro")),
            Block::Table(self.stage_table(labels)),
            Block::Table(Table {
                sheet: Some(t("reports.monthly.sheet_overdue")),
                caption: labels.f(
                    "reports.monthly.overdue_table",
                    &[("as_of", &fmt::date(self.as_of, labels))],
                ),
                columns: ["no", "nomor", "received", "due", "late", "bobot", "division", "status"]
                    .iter()
                    .map(|k| t(&format!("reports.monthly.col_{k}")))
                    .collect(),
                widths: vec![1, 4, 3, 3, 2, 2, 4, 3],
                rows: self
                    .overdue
                    .iter()
                    .enumerate()
                    .map(|(i, o)| {
                        vec![
                            Cell::Int(i as i64 + 1),
                            o.nomor_agenda.clone().into(),
                            fmt::date(o.received_on, labels).into(),
                            fmt::date(o.due_on, labels).into(),
                            Cell::Int(o.days_late),
                            value_label(labels, "reports.bobot", &o.bobot).into(),
                            value_label(labels, "reports.division", &o.division).into(),
                            value_label(labels, "status", &Some(o.status.clone())).into(),
                        ]
                    })
                    .collect(),
                small: true,
                empty: t("reports.monthly.no_overdue"),
            }),
            Block::Heading(1, t("reports.monthly.h_trend")),
            Block::Table(Table {
                sheet: Some(t("reports.monthly.sheet_trend")),
                caption: t("reports.monthly.trend_table"),
                columns: ["month", "opened", "closed", "closed_unknown", "backlog", "compliance"]
                    .iter()
                    .map(|k| t(&format!("reports.monthly.{k}")))
                    .collect(),
                widths: vec![3, 2, 2, 2, 2, 2],
                rows: self
                    .trend
                    .iter()
                    .map(|m| {
                        use chrono::Datelike;
                        vec![
                            format!("{} {}", fmt::month_name(m.month.month(), labels), m.month.year()).into(),
                            m.opened.into(),
                            m.closed.into(),
                            m.closed_date_unknown.into(),
                            m.backlog.into(),
                            m.compliance_pct.into(),
                        ]
                    })
                    .collect(),
                small: false,
                empty: t("reports.common.none"),
            }),
            next_chart(),
            next_chart(),
            Block::PageBreak,
            Block::Heading(1, t("reports.monthly.h_register")),
            Block::Table(Table {
                sheet: Some(t("reports.monthly.sheet_register")),
                caption: labels.f(
                    "reports.monthly.register_table",
                    &[("period", &self.period_label(labels))],
                ),
                columns: [
                    "no",
                    "received",
                    "nomor",
                    "complainant",
                    "channel",
                    "subject",
                    "jenis",
                    "bobot",
                    "status",
                ]
                .iter()
                .map(|k| t(&format!("reports.monthly.col_{k}")))
                .collect(),
                widths: vec![2, 3, 5, 4, 3, 6, 4, 2, 4],
                rows: self
                    .register
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let who = match (&r.complainant, r.anonim) {
                            (Some(name), _) => name.clone(),
                            (None, true) => t("reports.common.anonymous"),
                            (None, false) => t("reports.common.redacted"),
                        };
                        vec![
                            Cell::Int(i as i64 + 1),
                            fmt::date(r.received_on, labels).into(),
                            r.nomor_agenda.clone().into(),
                            who.into(),
                            value_label(labels, "channel", &Some(r.channel.clone())).into(),
                            r.subject.clone().into(),
                            r.jenis
                                .clone()
                                .unwrap_or_else(|| t("reports.common.unclassified"))
                                .into(),
                            value_label(labels, "reports.bobot", &r.bobot).into(),
                            value_label(labels, "status", &Some(r.status.clone())).into(),
                        ]
                    })
                    .collect(),
                small: true,
                empty: t("reports.monthly.no_register"),
            }),
            Block::Heading(1, t("reports.monthly.h_notes")),
            Block::Para(if self.preparer_note.trim().is_empty() {
                t("reports.monthly.no_notes")
            } else {
                self.preparer_note.clone()
            }),
        ];
        blocks.push(Block::Signatures(self.approval.signatures(&self.letterhead, labels)));
        Document {
            letterhead: self.letterhead.clone(),
            title: t("reports.monthly.title"),
            subtitle: labels.f("reports.monthly.subtitle", &[("period", &self.period_label(labels))]),
            status: self.approval.status_line(labels),
            produced_on: self.as_of,
            blocks,
        }
    }

    /// The stage clocks of the month (SP4N-LAPOR!), one row per channel and stage,
    /// with the limit and the regulation it comes from.
    fn stage_table(&self, labels: &Labels) -> Table {
        let t = |k: &str| labels.t(k).to_owned();
        Table {
            sheet: Some(t("reports.monthly.sheet_stages")),
            caption: t("reports.monthly.stages_table"),
            columns: [
                "channel",
                "stage",
                "days",
                "regulation",
                "complaints",
                "met",
                "missed",
                "open_overdue",
                "pending",
                "unknown_date",
            ]
            .iter()
            .map(|k| t(&format!("reports.monthly.stage_{k}")))
            .collect(),
            widths: vec![3, 3, 2, 5, 2, 2, 2, 2, 2, 2],
            rows: self
                .stages
                .iter()
                .map(|r| {
                    vec![
                        value_label(labels, "channel", &Some(r.channel.clone())).into(),
                        value_label(labels, "reports.stage", &Some(r.stage.clone())).into(),
                        Cell::Int(r.working_days),
                        r.regulation.clone().into(),
                        r.complaints.into(),
                        r.met.into(),
                        r.missed.into(),
                        r.open_overdue.into(),
                        r.pending.into(),
                        r.unknown_date.into(),
                    ]
                })
                .collect(),
            small: true,
            empty: t("reports.monthly.no_stages"),
        }
    }

    /// HTML page.
    pub fn html(&self, labels: &Labels) -> Result<String, ReportError> {
        self.document(labels).html(labels)
    }

    /// PDF bytes.
    pub fn pdf(&self, labels: &Labels) -> Result<Vec<u8>, ReportError> {
        self.document(labels).pdf(labels)
    }

    /// XLSX bytes.
    pub fn xlsx(&self, labels: &Labels) -> Result<Vec<u8>, ReportError> {
        self.document(labels).xlsx(labels)
    }
}
