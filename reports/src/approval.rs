//! The approval state printed on a report: version, workflow status and the
//! signature blocks (prepared by, checked/approved by the sekretaris, known by the head).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::doc::{Letterhead, Signature};
use crate::{Labels, fmt};

/// Where a report version stands (seed 002 items j and k).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Approval {
    /// Version number (1, 2, ...); every correction is a new version.
    pub version: i64,
    /// `draft`, `submitted`, `returned` or `approved`.
    pub status: String,
    /// The preparer (petugas) who made or submitted this version.
    pub prepared_by: Option<String>,
    /// When it was submitted.
    pub submitted_on: Option<NaiveDate>,
    /// The sekretaris who reviewed it.
    pub reviewed_by: Option<String>,
    /// When it was approved or returned.
    pub reviewed_on: Option<NaiveDate>,
}

impl Approval {
    /// "Draf, versi 2" in the page header.
    pub fn status_line(&self, labels: &Labels) -> String {
        labels.f(
            "reports.approval.status_line",
            &[
                ("status", labels.t(&format!("reports.approval.status_{}", self.status))),
                ("version", &self.version.max(1).to_string()),
            ],
        )
    }

    /// Prepared by / approved by / known by.
    pub fn signatures(&self, head: &Letterhead, labels: &Labels) -> Vec<Signature> {
        let t = |k: &str| labels.t(k).to_owned();
        let place_date = |d: Option<NaiveDate>, key: &str| match d {
            Some(d) => labels.f(key, &[("date", &fmt::date(d, labels))]),
            None => String::new(),
        };
        let approved = self.status == "approved";
        vec![
            Signature {
                role: t("reports.approval.prepared_role"),
                title: t("reports.approval.prepared_title"),
                name: self.prepared_by.clone().unwrap_or_default(),
                nip: String::new(),
                note: place_date(self.submitted_on, "reports.approval.submitted_on"),
            },
            Signature {
                role: t("reports.approval.approved_role"),
                title: t("reports.approval.approved_title"),
                name: if approved {
                    self.reviewed_by.clone().unwrap_or_default()
                } else {
                    String::new()
                },
                nip: String::new(),
                note: if approved {
                    place_date(self.reviewed_on, "reports.approval.approved_on")
                } else {
                    t("reports.approval.not_approved")
                },
            },
            Signature {
                role: t("reports.approval.known_role"),
                title: head.head_title.clone(),
                name: head.head_name.clone(),
                nip: if head.head_nip.is_empty() {
                    String::new()
                } else {
                    labels.f("reports.common.nip", &[("nip", &head.head_nip)])
                },
                note: String::new(),
            },
        ]
    }
}
