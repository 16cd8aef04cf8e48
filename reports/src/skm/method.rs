//! BAB II of the SKM report: how the data were collected and computed, in words a
//! reader can check the printed figures with: the sources the period's responses
//! actually came from (with counts), the weight actually used and the elements left
//! out, the Krejcie–Morgan formula, how grades are given, and what the interval and
//! the change against the previous period assume.

use serde::{Deserialize, Serialize};

use super::{SkmReport, key_text};
use crate::Labels;
use crate::doc::{Block, Cell, Table};

/// How many of the period's responses came in through one collection source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCount {
    /// `web`, `kiosk`, `qr`, `invite`, `paper` or `import` (survey_responses.source);
    /// printed with the label `reports.skm.source_<source>`.
    pub source: String,
    /// Responses of the period (the report's rule set) from that source.
    pub responses: u64,
}

impl SkmReport {
    /// The name of a collection source as printed.
    fn source_name(&self, source: &str, labels: &Labels) -> String {
        labels.t(&format!("reports.skm.source_{source}")).to_owned()
    }

    /// "formulir daring 120 responden; kios layanan 30 responden", largest first.
    pub fn sources_text(&self, labels: &Labels) -> String {
        let mut s: Vec<&SourceCount> = self.sources.iter().filter(|s| s.responses > 0).collect();
        s.sort_by(|a, b| b.responses.cmp(&a.responses).then(a.source.cmp(&b.source)));
        s.iter()
            .map(|c| {
                labels.f(
                    "reports.skm.source_count",
                    &[
                        ("source", &self.source_name(&c.source, labels)),
                        ("n", &labels.numbers().int(c.responses as i64)),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Element codes and names of `keys`, joined for a sentence.
    fn element_list(&self, keys: &[String]) -> String {
        keys.iter().map(|k| self.element_name(k)).collect::<Vec<_>>().join(", ")
    }

    /// A weight as printed: `1/8`, or `0,111` for a legacy printed weight.
    fn weight_text(w: &analytics::ikm::WeightUsed, labels: &Labels) -> String {
        match w.mode {
            analytics::ikm::WeightMode::Exact => w.label.clone(),
            analytics::ikm::WeightMode::Printed3 => labels.numbers().dec(w.value, 3),
            analytics::ikm::WeightMode::Printed2 => labels.numbers().dec(w.value, 2),
        }
    }

    /// The sentence on the weight of the unit's index: the weight actually used,
    /// and the elements nobody answered with how they were handled.
    pub fn weight_text_for(&self, group: &analytics::IkmGroup, labels: &Labels) -> String {
        let w = self.overall.group_weight(group);
        let weight = Self::weight_text(&w, labels);
        let max = labels.numbers().dec(self.overall.group_maximum(group), 2);
        let missing = &group.unanswered_elements;
        let answered = (group.elements.len() - missing.len()).to_string();
        let elements = self.element_list(missing);
        let args = [
            ("weight", weight.as_str()),
            ("max", max.as_str()),
            ("answered", answered.as_str()),
            ("elements", elements.as_str()),
        ];
        let key = match (w.mode == analytics::ikm::WeightMode::Exact, missing.is_empty()) {
            (true, true) => "reports.skm.bab2_weight_exact",
            (true, false) => "reports.skm.bab2_weight_missing",
            (false, true) => "reports.skm.bab2_weight_printed",
            (false, false) => "reports.skm.bab2_weight_printed_missing",
        };
        labels.f(key, &args)
    }

    /// Services whose index rests on fewer elements: "KIS: U4 Biaya/Tarif (bobot
    /// 1/8)", or `None` when every service's respondents answered every element.
    fn services_missing_text(&self, labels: &Labels) -> Option<String> {
        let parts: Vec<String> = self
            .by_service
            .groups
            .iter()
            .filter(|g| !g.unanswered_elements.is_empty() && g.index.is_some())
            .map(|g| {
                labels.f(
                    "reports.skm.service_missing",
                    &[
                        ("service", &key_text(g, labels)),
                        ("elements", &self.element_list(&g.unanswered_elements)),
                        ("weight", &Self::weight_text(&self.by_service.group_weight(g), labels)),
                    ],
                )
            })
            .collect();
        (!parts.is_empty()).then(|| labels.f("reports.skm.bab2_services_missing", &[("list", &parts.join("; "))]))
    }

    /// The interval table as one sentence: "A (Sangat Baik) 88,31 - 100,00; ...".
    fn bands_text(&self) -> String {
        let mut bands: Vec<&analytics::Band> = self.overall.bands.iter().collect();
        bands.sort_by(|a, b| b.min_konversi.total_cmp(&a.min_konversi));
        bands
            .iter()
            .map(|b| format!("{} ({}) {}", b.mutu.as_str(), b.kinerja, b.printed_konversi))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The blocks of BAB II after its heading.
    pub(super) fn method_blocks(&self, labels: &Labels, range: &str) -> Vec<Block> {
        let t = |k: &str| labels.t(k).to_owned();
        let unit = &self.letterhead.unit_name;
        let mut b = vec![Block::Para(labels.f(
            "reports.skm.bab2_text",
            &[
                ("unit", unit),
                ("rule_set", &self.overall.rule_set_name),
                ("elements", &self.overall.elements.len().to_string()),
                ("range", range),
                // The city: the full address is in the kop already, printed once.
                (
                    "place",
                    if self.letterhead.city.trim().is_empty() {
                        &self.letterhead.address
                    } else {
                        &self.letterhead.city
                    },
                ),
            ],
        ))];
        // Collection: the sources this period's responses came from, with counts. A
        // version stored before the sources were kept has none but has respondents:
        // it says nothing rather than something untrue.
        let sources = self.sources_text(labels);
        if sources.is_empty() {
            if self.overall.respondents == 0 {
                b.push(Block::Para(t("reports.skm.bab2_sources_none")));
            }
            b.extend(self.weight_blocks(labels));
            b.extend(self.rule_blocks(labels));
            return b;
        }
        b.push(Block::Para(
            labels.f("reports.skm.bab2_sources", &[("sources", &sources)]),
        ));
        let total: u64 = self.sources.iter().map(|s| s.responses).sum();
        let mut rows: Vec<&SourceCount> = self.sources.iter().filter(|s| s.responses > 0).collect();
        rows.sort_by(|a, b| b.responses.cmp(&a.responses).then(a.source.cmp(&b.source)));
        b.push(Block::Table(Table {
            sheet: Some(t("reports.skm.sheet_sources")),
            caption: t("reports.skm.sources_table"),
            columns: vec![
                t("reports.skm.col_source"),
                t("reports.common.count"),
                t("reports.common.percent"),
            ],
            widths: vec![4, 1, 1],
            rows: rows
                .iter()
                .map(|s| {
                    vec![
                        self.source_name(&s.source, labels).into(),
                        s.responses.into(),
                        Cell::Num(
                            analytics::round_half_away(100.0 * s.responses as f64 / total as f64, 2),
                            2,
                        ),
                    ]
                })
                .collect(),
            small: false,
            empty: t("reports.skm.no_responses"),
        }));
        b.extend(self.weight_blocks(labels));
        b.extend(self.rule_blocks(labels));
        b
    }

    /// The weight actually used, and the elements left out (unit and services).
    fn weight_blocks(&self, labels: &Labels) -> Vec<Block> {
        let mut b = Vec::new();
        if let Some(g) = self.group().filter(|g| g.index.is_some()) {
            b.push(Block::Para(self.weight_text_for(g, labels)));
        }
        if let Some(text) = self.services_missing_text(labels) {
            b.push(Block::Para(text));
        }
        b
    }

    /// Grades, sample size, interval and change.
    fn rule_blocks(&self, labels: &Labels) -> Vec<Block> {
        vec![
            Block::Para(labels.f(
                "reports.skm.bab2_grade",
                &[("rule_set", &self.overall.rule_set_name), ("bands", &self.bands_text())],
            )),
            Block::Para(labels.t("reports.skm.bab2_sample").to_owned()),
            Block::Para(labels.t("reports.skm.bab2_ci").to_owned()),
            Block::Para(labels.t("reports.skm.bab2_change").to_owned()),
        ]
    }
}
