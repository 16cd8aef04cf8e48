//! Lampiran 1 of the SKM report: the questionnaire as the respondents saw it, each
//! element with its question and its four answers (a = 1 to d = 4), from the rule
//! set of the period, never typed into the report.

use super::SkmReport;
use crate::Labels;
use crate::doc::{Cell, Table};

impl SkmReport {
    /// Lampiran 1: one row per element of the period's rule set with its question
    /// and answer options; elements the rule set words no question for (the 14
    /// elements of 25/2004) print "—". A report stored before the questionnaire was
    /// kept falls back to the element codes and names.
    pub(super) fn questionnaire_table(&self, labels: &Labels) -> Table {
        let t = |k: &str| labels.t(k).to_owned();
        let mut columns = vec![
            t("reports.skm.col_code"),
            t("reports.skm.col_element"),
            t("reports.skm.col_question"),
        ];
        columns.extend(["a", "b", "c", "d"].iter().zip(1..=4).map(|(letter, score)| {
            labels.f(
                "reports.skm.col_answer",
                &[("letter", letter), ("score", &score.to_string())],
            )
        }));
        let rows: Vec<Vec<Cell>> = if self.questionnaire.is_empty() {
            self.overall
                .elements
                .iter()
                .map(|e| {
                    let mut row: Vec<Cell> = vec![e.code.clone().into(), e.name.clone().into()];
                    row.extend(std::iter::repeat_n(Cell::Missing, 5));
                    row
                })
                .collect()
        } else {
            self.questionnaire
                .iter()
                .map(|e| {
                    let mut row: Vec<Cell> = vec![
                        e.code.clone().into(),
                        e.name.clone().into(),
                        e.question.clone().map(Cell::Text).unwrap_or(Cell::Missing),
                    ];
                    match &e.answers {
                        Some(a) => row.extend(a.iter().map(|s| Cell::Text(s.clone()))),
                        None => row.extend(std::iter::repeat_n(Cell::Missing, 4)),
                    }
                    row
                })
                .collect()
        };
        Table {
            sheet: Some(t("reports.skm.sheet_questionnaire")),
            caption: t("reports.skm.questionnaire_table"),
            columns,
            widths: vec![1, 3, 4, 2, 2, 2, 2],
            rows,
            small: true,
            empty: t("reports.common.none"),
        }
    }
}
