//! Laporan Hasil Survei Kepuasan Masyarakat for one period (quarter, semester or
//! year), in the chapter structure of SKM.md: BAB I–V and Lampiran.
//!
//! Every figure is an `analytics::IkmReport` computed by the caller; this module
//! arranges them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::approval::Approval;
use crate::charts::{Band, BarChart, Chart, LineChart};
use crate::doc::{Block, Cell, Document, Figure, Letterhead, Table};
use crate::{Labels, ReportError, fmt};

mod appendix;
mod method;

pub use method::SourceCount;

/// One action of a rencana tindak lanjut, with its realisation when reported.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowUp {
    /// Element key the action addresses.
    pub element_key: String,
    /// What will be done.
    pub action: String,
    /// Who is responsible.
    pub owner: String,
    /// By when.
    pub deadline: NaiveDate,
    /// What was done, once reported.
    pub realisation: Option<String>,
    /// When it was done.
    pub realised_on: Option<NaiveDate>,
}

/// Everything the SKM report shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkmReport {
    /// Issuer.
    pub letterhead: Letterhead,
    /// "Semester I 2026".
    pub period_label: String,
    /// First day of the period.
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// Day the report was produced.
    pub as_of: NaiveDate,
    /// The unit's IKM over the period (no grouping), with the sample check when
    /// a population was entered.
    pub overall: analytics::IkmReport,
    /// IKM per service over the period.
    pub by_service: analytics::IkmReport,
    /// Respondent profile: one report per profile dimension.
    pub profiles: Vec<analytics::IkmReport>,
    /// IKM of earlier periods and this one, grouped by the period kind.
    pub trend: analytics::IkmReport,
    /// This period's follow-up plan.
    pub follow_up: Vec<FollowUp>,
    /// The previous period's plan and how it was carried out.
    pub previous_follow_up: Vec<FollowUp>,
    /// The period's responses per collection source, for BAB II's collection
    /// methods (empty in versions stored before it was kept).
    #[serde(default)]
    pub sources: Vec<SourceCount>,
    /// The period rule set's elements with their questions and four answers, for
    /// Lampiran 1 (empty in versions stored before it was kept).
    #[serde(default)]
    pub questionnaire: Vec<analytics::Element>,
    /// IKM of complainants (responses to the invite sent after their complaint
    /// was closed, group key `pengadu`) beside everyone else's (`lainnya`), grouped
    /// by the unit dimension (issue 19). `None` in versions stored before it was kept.
    #[serde(default)]
    pub complainants: Option<analytics::IkmReport>,
    /// Name of the previous period, for the Lampiran heading.
    pub previous_period_label: Option<String>,
    /// Preparer's notes.
    pub preparer_note: String,
    /// Version and signatures.
    pub approval: Approval,
}

/// The publication image's chart: konversi per service against the mutu bands.
pub fn publication_chart(report: &SkmReport, title: &str) -> Chart {
    let bands = mutu_bands(&report.overall);
    Chart::Bar(BarChart {
        title: title.to_owned(),
        labels: report
            .by_service
            .groups
            .iter()
            // Full names: the chart wraps them within each bar's slot.
            .map(|g| g.key.first().and_then(|k| k.value.clone()).unwrap_or_default())
            .collect(),
        values: report
            .by_service
            .groups
            .iter()
            .map(|g| g.index.as_ref().map(|i| i.konversi).unwrap_or(0.0))
            .collect(),
        range: Some((25.0, 100.0)),
        bands,
    })
}

fn mutu_bands(report: &analytics::IkmReport) -> Vec<Band> {
    let mut b: Vec<&analytics::Band> = report.bands.iter().collect();
    b.sort_by(|x, y| x.min_konversi.total_cmp(&y.min_konversi));
    b.iter()
        .enumerate()
        .map(|(i, band)| Band {
            from: band.min_konversi.max(25.0),
            to: b.get(i + 1).map(|n| n.min_konversi).unwrap_or(100.0),
            label: band.mutu.as_str().to_owned(),
        })
        .collect()
}

fn key_text(group: &analytics::IkmGroup, labels: &Labels) -> String {
    group
        .key
        .iter()
        .map(|k| {
            k.value
                .clone()
                .unwrap_or_else(|| labels.t("reports.common.unanswered").to_owned())
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

impl SkmReport {
    fn element_name(&self, key: &str) -> String {
        self.overall
            .elements
            .iter()
            .find(|e| e.key == key)
            .map(|e| format!("{} {}", e.code, e.name))
            .unwrap_or_else(|| key.to_owned())
    }

    fn group(&self) -> Option<&analytics::IkmGroup> {
        self.overall.groups.first()
    }

    /// The headline figures.
    pub fn figures(&self, labels: &Labels) -> Vec<Figure> {
        let g = self.group();
        let index = g.and_then(|g| g.index.as_ref());
        let fig = |key: &str, value: Cell| Figure {
            key: key.to_owned(),
            label: labels.t(&format!("reports.skm.fig_{key}")).to_owned(),
            value,
        };
        vec![
            fig("respondents", self.overall.respondents.into()),
            // The 1-4 index with four decimals, as table A prints its bounds (3,5324),
            // so the grade beside it can be checked; NRR and konversi keep two.
            fig("ikm", index.map(|i| Cell::Num(i.ikm_exact, 4)).unwrap_or(Cell::Missing)),
            fig(
                "konversi",
                index.map(|i| Cell::Num(i.konversi, 2)).unwrap_or(Cell::Missing),
            ),
            fig(
                "mutu",
                index
                    .map(|i| Cell::Text(format!("{} ({})", i.mutu.as_str(), i.kinerja)))
                    .unwrap_or(Cell::Missing),
            ),
            fig(
                "ci",
                index
                    .and_then(|i| i.ci.as_ref())
                    .map(|c| Cell::Range(c.lower, c.upper, 2))
                    .unwrap_or(Cell::Missing),
            ),
            fig(
                "sample",
                g.and_then(|g| g.sample.as_ref())
                    .map(|s| Cell::Ratio(s.collected as i64, s.required as i64))
                    .unwrap_or(Cell::Missing),
            ),
        ]
    }

    /// Konversi (NRR × 25) per element against the mutu bands.
    pub fn charts(&self, labels: &Labels) -> Vec<(String, Chart)> {
        let mut charts = Vec::new();
        let bands = mutu_bands(&self.overall);
        if let Some(g) = self.group() {
            charts.push((
                "ikm_unsur".to_owned(),
                Chart::Bar(BarChart {
                    title: labels.t("reports.skm.chart_elements").to_owned(),
                    labels: self.overall.elements.iter().map(|e| e.code.clone()).collect(),
                    values: g
                        .elements
                        .iter()
                        .map(|e| e.score.as_ref().map(|s| s.konversi).unwrap_or(0.0))
                        .collect(),
                    range: Some((25.0, 100.0)),
                    bands: bands.clone(),
                }),
            ));
        }
        charts.push((
            "tren_ikm".to_owned(),
            Chart::Line(LineChart {
                title: labels.t("reports.skm.chart_trend").to_owned(),
                labels: self.trend.groups.iter().map(|g| key_text(g, labels)).collect(),
                series: vec![(
                    labels.t("reports.skm.konversi").to_owned(),
                    self.trend
                        .groups
                        .iter()
                        .map(|g| g.index.as_ref().map(|i| i.konversi))
                        .collect(),
                )],
                range: Some((25.0, 100.0)),
            }),
        ));
        for p in &self.profiles {
            let name = p.group_by.first().map(|d| d.name().to_owned()).unwrap_or_default();
            charts.push((
                format!("profil_{name}"),
                Chart::Bar(BarChart {
                    title: labels.f(
                        "reports.skm.chart_profile",
                        &[("dimension", labels.t(&format!("reports.profile.{name}")))],
                    ),
                    labels: p.groups.iter().map(|g| key_text(g, labels)).collect(),
                    values: p.groups.iter().map(|g| g.respondents as f64).collect(),
                    range: None,
                    bands: vec![],
                }),
            ));
        }
        charts
    }

    /// The report as a document.
    pub fn document(&self, labels: &Labels) -> Document {
        let t = |k: &str| labels.t(k).to_owned();
        let unit = &self.letterhead.unit_name;
        let period = &self.period_label;
        let range = format!("{} – {}", fmt::date(self.from, labels), fmt::date(self.to, labels));
        let charts = self.charts(labels);
        let chart = |name: &str| {
            charts
                .iter()
                .find(|(n, _)| n == name)
                .map(|(n, c)| Block::Chart(n.clone(), c.clone()))
        };
        let g = self.group();
        let index = g.and_then(|g| g.index.as_ref());
        let mut b = vec![
            // BAB I
            Block::Heading(1, t("reports.skm.bab1")),
            Block::Heading(2, t("reports.skm.bab1_background_h")),
            Block::Para(labels.f("reports.skm.bab1_background", &[("unit", unit)])),
            Block::Heading(2, t("reports.skm.bab1_legal_h")),
            Block::Para(labels.f("reports.skm.bab1_legal", &[("citation", &self.overall.citation)])),
            Block::Heading(2, t("reports.skm.bab1_purpose_h")),
            Block::Para(labels.f("reports.skm.bab1_purpose", &[("unit", unit), ("period", period)])),
            // BAB II
            Block::PageBreak,
            Block::Heading(1, t("reports.skm.bab2")),
        ];
        b.extend(self.method_blocks(labels, &range));
        b.extend([
            Block::Table(Table {
                sheet: Some(t("reports.skm.sheet_sample")),
                caption: t("reports.skm.sample_table"),
                columns: ["group", "population", "required", "collected", "adequate"]
                    .iter()
                    .map(|k| t(&format!("reports.skm.sample_{k}")))
                    .collect(),
                widths: vec![5, 2, 2, 2, 2],
                rows: std::iter::once((t("reports.skm.all_services"), g))
                    .chain(self.by_service.groups.iter().map(|sg| (key_text(sg, labels), Some(sg))))
                    .map(|(name, grp)| {
                        let s = grp.and_then(|g| g.sample.as_ref());
                        vec![
                            name.into(),
                            s.map(|s| Cell::Int(s.population as i64)).unwrap_or(Cell::Missing),
                            s.map(|s| Cell::Int(s.required as i64)).unwrap_or(Cell::Missing),
                            grp.map(|g| Cell::Int(g.respondents as i64)).unwrap_or(Cell::Int(0)),
                            match s {
                                Some(s) if s.below_required => t("reports.common.no").into(),
                                Some(_) => t("reports.common.yes").into(),
                                None => t("reports.skm.no_population").into(),
                            },
                        ]
                    })
                    .collect(),
                small: false,
                empty: t("reports.common.none"),
            }),
            // BAB III
            Block::PageBreak,
            Block::Heading(1, t("reports.skm.bab3")),
            Block::Figures(self.figures(labels)),
            Block::Table(Table {
                sheet: Some(t("reports.skm.sheet_elements")),
                caption: t("reports.skm.elements_table"),
                columns: ["code", "element", "answered", "nrr", "nrr_weighted", "konversi", "mutu"]
                    .iter()
                    .map(|k| t(&format!("reports.skm.col_{k}")))
                    .collect(),
                widths: vec![1, 5, 2, 2, 2, 2, 1],
                rows: g
                    .map(|g| {
                        g.elements
                            .iter()
                            .map(|e| {
                                let info = self.overall.elements.iter().find(|i| i.key == e.key);
                                let s = e.score.as_ref();
                                vec![
                                    info.map(|i| i.code.clone()).unwrap_or_default().into(),
                                    info.map(|i| i.name.clone()).unwrap_or_else(|| e.key.clone()).into(),
                                    e.answered.into(),
                                    s.map(|s| Cell::Num(s.nrr, 2)).unwrap_or(Cell::Missing),
                                    s.map(|s| Cell::Num(s.nrr_weighted, 4)).unwrap_or(Cell::Missing),
                                    s.map(|s| Cell::Num(s.konversi, 2)).unwrap_or(Cell::Missing),
                                    s.map(|s| Cell::Text(s.mutu.as_str().to_owned()))
                                        .unwrap_or(Cell::Missing),
                                ]
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                small: false,
                empty: t("reports.skm.no_responses"),
            }),
        ]);
        b.extend(chart("ikm_unsur"));
        b.push(Block::Table(Table {
            sheet: Some(t("reports.skm.sheet_services")),
            caption: t("reports.skm.services_table"),
            columns: ["service", "respondents", "ikm", "konversi", "mutu", "ci"]
                .iter()
                .map(|k| t(&format!("reports.skm.col_{k}")))
                .collect(),
            widths: vec![6, 2, 2, 2, 1, 3],
            rows: self
                .by_service
                .groups
                .iter()
                .map(|sg| {
                    let i = sg.index.as_ref();
                    vec![
                        key_text(sg, labels).into(),
                        sg.respondents.into(),
                        i.map(|i| Cell::Num(i.ikm_exact, 4)).unwrap_or(Cell::Missing),
                        i.map(|i| Cell::Num(i.konversi, 2)).unwrap_or(Cell::Missing),
                        i.map(|i| Cell::Text(i.mutu.as_str().to_owned()))
                            .unwrap_or(Cell::Missing),
                        i.and_then(|i| i.ci.as_ref())
                            .map(|c| Cell::Range(c.lower, c.upper, 2))
                            .unwrap_or(Cell::Missing),
                    ]
                })
                .collect(),
            small: false,
            empty: t("reports.skm.no_responses"),
        }));
        if let Some(table) = self.complainant_table(labels) {
            b.push(table);
        }
        b.push(Block::Heading(2, t("reports.skm.profile_h")));
        for p in &self.profiles {
            let name = p.group_by.first().map(|d| d.name().to_owned()).unwrap_or_default();
            let dim = t(&format!("reports.profile.{name}"));
            let total = p.respondents;
            b.push(Block::Table(Table {
                sheet: Some(labels.f("reports.skm.sheet_profile", &[("dimension", &dim)])),
                caption: labels.f("reports.skm.profile_table", &[("dimension", &dim)]),
                columns: vec![dim.clone(), t("reports.common.count"), t("reports.common.percent")],
                widths: vec![4, 1, 1],
                rows: p
                    .groups
                    .iter()
                    .map(|pg| {
                        vec![
                            key_text(pg, labels).into(),
                            pg.respondents.into(),
                            if total == 0 {
                                Cell::Missing
                            } else {
                                Cell::Num(
                                    analytics::round_half_away(100.0 * pg.respondents as f64 / total as f64, 2),
                                    2,
                                )
                            },
                        ]
                    })
                    .collect(),
                small: false,
                empty: t("reports.skm.no_responses"),
            }));
            b.extend(chart(&format!("profil_{name}")));
        }
        // BAB IV
        b.push(Block::PageBreak);
        b.push(Block::Heading(1, t("reports.skm.bab4")));
        let weakest: Vec<String> = g
            .map(|g| g.weakest_first.iter().take(3).map(|k| self.element_name(k)).collect())
            .unwrap_or_default();
        let strongest: Vec<String> = g
            .map(|g| {
                g.weakest_first
                    .iter()
                    .rev()
                    .take(3)
                    .map(|k| self.element_name(k))
                    .collect()
            })
            .unwrap_or_default();
        b.push(Block::Heading(2, t("reports.skm.weak_h")));
        b.push(Block::Para(if weakest.is_empty() {
            t("reports.skm.no_responses")
        } else {
            labels.f(
                "reports.skm.weak_text",
                &[("weakest", &weakest.join("; ")), ("strongest", &strongest.join("; "))],
            )
        }));
        b.push(Block::Heading(2, t("reports.skm.trend_h")));
        b.push(Block::Table(Table {
            sheet: Some(t("reports.skm.sheet_trend")),
            caption: t("reports.skm.trend_table"),
            columns: [
                "period",
                "respondents",
                "konversi",
                "mutu",
                "change",
                "noise",
                "exceeds",
            ]
            .iter()
            .map(|k| t(&format!("reports.skm.col_{k}")))
            .collect(),
            widths: vec![3, 2, 2, 1, 2, 2, 3],
            rows: self
                .trend
                .groups
                .iter()
                .map(|tg| {
                    let i = tg.index.as_ref();
                    let p = tg.previous.as_ref();
                    vec![
                        key_text(tg, labels).into(),
                        tg.respondents.into(),
                        i.map(|i| Cell::Num(i.konversi, 2)).unwrap_or(Cell::Missing),
                        i.map(|i| Cell::Text(i.mutu.as_str().to_owned()))
                            .unwrap_or(Cell::Missing),
                        p.and_then(|p| p.change)
                            .map(|c| Cell::Num(c, 2))
                            .unwrap_or(Cell::Missing),
                        p.and_then(|p| p.noise)
                            .map(|n| Cell::Num(n, 2))
                            .unwrap_or(Cell::Missing),
                        match p.and_then(|p| p.exceeds_noise) {
                            Some(true) => t("reports.common.yes").into(),
                            Some(false) => t("reports.common.no").into(),
                            None => Cell::Missing,
                        },
                    ]
                })
                .collect(),
            small: false,
            empty: t("reports.skm.no_responses"),
        }));
        b.extend(chart("tren_ikm"));
        b.push(Block::Heading(2, t("reports.skm.plan_h")));
        b.push(Block::Table(self.plan_table(
            labels,
            &self.follow_up,
            false,
            t("reports.skm.sheet_plan"),
            t("reports.skm.plan_table"),
        )));
        // BAB V
        b.push(Block::Heading(1, t("reports.skm.bab5")));
        b.push(Block::Para(match index {
            Some(i) => labels.f(
                "reports.skm.conclusion",
                &[
                    ("unit", unit),
                    ("period", period),
                    ("konversi", &labels.numbers().dec(i.konversi, 2)),
                    ("mutu", i.mutu.as_str()),
                    ("kinerja", &i.kinerja),
                    ("respondents", &labels.numbers().int(self.overall.respondents as i64)),
                    ("weakest", &weakest.first().cloned().unwrap_or_default()),
                ],
            ),
            None => t("reports.skm.no_responses"),
        }));
        if !self.preparer_note.trim().is_empty() {
            b.push(Block::Para(self.preparer_note.clone()));
        }
        b.push(Block::Signatures(self.approval.signatures(&self.letterhead, labels)));
        // Lampiran
        b.push(Block::PageBreak);
        b.push(Block::Heading(1, t("reports.skm.appendix")));
        b.push(Block::Table(self.questionnaire_table(labels)));
        b.push(Block::Table(Table {
            sheet: Some(t("reports.skm.sheet_distribution")),
            caption: t("reports.skm.distribution_table"),
            columns: vec![
                t("reports.skm.col_code"),
                "1".into(),
                "2".into(),
                "3".into(),
                "4".into(),
                t("reports.skm.col_answered"),
                t("reports.skm.col_sum"),
            ],
            widths: vec![1, 1, 1, 1, 1, 2, 2],
            rows: g
                .map(|g| {
                    g.elements
                        .iter()
                        .map(|e| {
                            let code = self
                                .overall
                                .elements
                                .iter()
                                .find(|i| i.key == e.key)
                                .map(|i| i.code.clone())
                                .unwrap_or_else(|| e.key.clone());
                            let mut row: Vec<Cell> = vec![code.into()];
                            row.extend(e.distribution.iter().map(|d| Cell::from(*d)));
                            row.push(e.answered.into());
                            row.push(e.sum.into());
                            row
                        })
                        .collect()
                })
                .unwrap_or_default(),
            small: false,
            empty: t("reports.skm.no_responses"),
        }));
        b.push(Block::Table(
            self.plan_table(
                labels,
                &self.previous_follow_up,
                true,
                t("reports.skm.sheet_previous_plan"),
                labels.f(
                    "reports.skm.previous_plan_table",
                    &[(
                        "period",
                        self.previous_period_label
                            .as_deref()
                            .unwrap_or(labels.t("reports.common.missing")),
                    )],
                ),
            ),
        ));
        Document {
            letterhead: self.letterhead.clone(),
            title: t("reports.skm.title"),
            subtitle: labels.f("reports.skm.subtitle", &[("period", period), ("range", &range)]),
            status: self.approval.status_line(labels),
            produced_on: self.as_of,
            blocks: b,
        }
    }

    /// The complainants' IKM beside everyone else's: both rows always, so an empty
    /// group reads as none rather than disappearing.
    fn complainant_table(&self, labels: &Labels) -> Option<Block> {
        let t = |k: &str| labels.t(k).to_owned();
        let report = self.complainants.as_ref()?;
        let rows = ["pengadu", "lainnya"]
            .iter()
            .map(|key| {
                let g = report
                    .groups
                    .iter()
                    .find(|g| g.key.first().and_then(|k| k.value.as_deref()) == Some(*key));
                let i = g.and_then(|g| g.index.as_ref());
                vec![
                    t(&format!("reports.skm.complainants.{key}")).into(),
                    g.map(|g| g.respondents).unwrap_or(0).into(),
                    i.map(|i| Cell::Num(i.ikm_exact, 4)).unwrap_or(Cell::Missing),
                    i.map(|i| Cell::Num(i.konversi, 2)).unwrap_or(Cell::Missing),
                    i.map(|i| Cell::Text(i.mutu.as_str().to_owned()))
                        .unwrap_or(Cell::Missing),
                ]
            })
            .collect();
        Some(Block::Table(Table {
            sheet: Some(t("reports.skm.complainants.sheet")),
            caption: t("reports.skm.complainants.table"),
            columns: vec![
                t("reports.skm.complainants.group"),
                t("reports.skm.col_respondents"),
                t("reports.skm.col_ikm"),
                t("reports.skm.col_konversi"),
                t("reports.skm.col_mutu"),
            ],
            widths: vec![6, 2, 2, 2, 1],
            rows,
            small: false,
            empty: t("reports.skm.no_responses"),
        }))
    }

    fn plan_table(&self, labels: &Labels, plan: &[FollowUp], realised: bool, sheet: String, caption: String) -> Table {
        let t = |k: &str| labels.t(k).to_owned();
        let mut columns: Vec<String> = ["no", "element", "action", "owner", "deadline"]
            .iter()
            .map(|k| t(&format!("reports.skm.plan_{k}")))
            .collect();
        if realised {
            columns.push(t("reports.skm.plan_realisation"));
            columns.push(t("reports.skm.plan_realised_on"));
        }
        Table {
            sheet: Some(sheet),
            caption,
            widths: if realised {
                vec![1, 3, 4, 3, 2, 4, 2]
            } else {
                vec![1, 3, 5, 3, 2]
            },
            columns,
            rows: plan
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut row: Vec<Cell> = vec![
                        Cell::Int(i as i64 + 1),
                        self.element_name(&p.element_key).into(),
                        p.action.clone().into(),
                        p.owner.clone().into(),
                        fmt::date(p.deadline, labels).into(),
                    ];
                    if realised {
                        row.push(
                            p.realisation
                                .clone()
                                .map(Cell::Text)
                                .unwrap_or_else(|| t("reports.skm.not_realised").into()),
                        );
                        row.push(
                            p.realised_on
                                .map(|d| Cell::Text(fmt::date(d, labels)))
                                .unwrap_or(Cell::Missing),
                        );
                    }
                    row
                })
                .collect(),
            small: false,
            empty: t("reports.skm.no_plan"),
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
