//! # analytics
//!
//! Pure computation for Tanggap: the Indeks Kepuasan Masyarakat (IKM) exactly as the
//! SKM regulations define it, sample sizes, and complaint statistics. No I/O and no
//! database: the server loads rows, builds frames with the plain-vector builders
//! here, and gets back plain serde structs to return as JSON or hand to `reports`.
//! Polars stays inside this crate; callers never need to name a polars type.
//!
//! ## Survey: what to call
//!
//! 1. Build a [`SurveyFrame`] from [`SurveyColumns`] (or a polars `DataFrame` in
//!    the same layout via [`SurveyFrame::from_dataframe`]).
//! 2. Describe the question with an [`IkmQuery`]: rule set ([`RuleSet`]), grouping
//!    ([`Dimension`]s), date range, filters, weight ([`WeightMode`]), populations
//!    ([`Population`]) and comparison ([`Comparison`]).
//! 3. Call [`ikm`] and serialise the [`IkmReport`].
//!
//! ## Input contract
//!
//! Survey frame, one row per respondent: `unit` (String), `service` (String),
//! `date` (Date, the unit's local date), one integer column per element named by the
//! element's stable key (scores 1–4, null when unanswered), optional nullable String
//! profile columns (`jenis_kelamin`, `umur_kelompok`, `pendidikan`, `pekerjaan`, or
//! any other) and an optional integer `umur` that [`age_band`] turns into
//! `umur_kelompok` on demand.
//!
//! Complaint frame ([`ComplaintColumns`]): `id` i64, `unit`, `service?`,
//! `division?`, `channel`, `bobot?` (ringan/sedang/berat), `jenis?` (may be an SKM
//! element key), `klasifikasi`, `status`, `received_at` date, `first_answer_at?`,
//! `closed_at?`, `due_at?` (local dates). Event frame ([`EventColumns`]):
//! `complaint_id`, `state`, `at` (UTC timestamp).
//!
//! See `docs/analytics.md` for the method, rounding and interval choices.
//!
//! ## Example
//!
//! ```
//! use analytics::{Dimension, IkmQuery, Mutu, RuleSet, SurveyColumns, SurveyRow, ikm};
//! use chrono::NaiveDate;
//!
//! let rules = RuleSet::permenpan_14_2017();
//! let mut cols = SurveyColumns::new(&rules.element_keys(), &["jenis_kelamin"]);
//! cols.push(SurveyRow {
//!     unit: "Dinas Sosial",
//!     service: "Rekomendasi KIS",
//!     date: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
//!     scores: &[Some(4); 9],
//!     profile: &[Some("P")],
//!     umur: Some(41),
//! });
//! let frame = cols.into_frame()?;
//! let report = ikm(&frame, &IkmQuery {
//!     rule_set: rules,
//!     group_by: vec![Dimension::Service, Dimension::Quarter],
//!     ..IkmQuery::default()
//! })?;
//! let index = report.groups[0].index.as_ref().unwrap();
//! assert_eq!((index.konversi, index.mutu), (100.0, Mutu::A));
//! # Ok::<(), analytics::AnalyticsError>(())
//! ```

#![warn(missing_docs)]

pub mod calendar;
pub mod complaints;
pub mod error;
pub mod frame;
pub mod ikm;
mod numeric;
mod par;
pub mod rules;
pub mod sample;
pub mod survey_file;
pub mod synthetic;
pub mod table;

pub use calendar::{DateRange, Period, WorkingCalendar};
pub use complaints::{
    ComplaintQuery, ComplaintStats, Count, DurationStats, ElementComplaints, PeriodFlow, SlaCounts, SlaRow, SlaTarget,
    Step, StepStats, complaint_stats, complaint_stats_many, complaints_by_element, control_card, step_durations,
};
pub use error::{AnalyticsError, Result};
pub use frame::{
    ComplaintColumns, ComplaintFrame, EventColumns, EventFrame, SurveyColumns, SurveyFrame, SurveyRow, age_band,
};
pub use ikm::cells::{Cell, CellSource, CellSums, cell_source, ikm_from_cells};
pub use ikm::{
    Change, Comparison, ConfidenceInterval, Dimension, ElementInfo, ElementResult, ElementScore, Filter, IkmGroup,
    IkmQuery, IkmReport, IndexScore, KeyValue, Population, SampleCheck, WeightMode, WeightUsed, ikm,
};
pub use numeric::{percentile_sorted, round_half_away};
pub use rules::{Band, Element, Grade, Mutu, RuleSet};
pub use sample::krejcie_morgan;
