//! # reports
//!
//! Documents for people (issue 9): the monthly complaint report, the SKM report and
//! the reply letter, as HTML, PDF and XLSX, with plotters charts.
//!
//! The crate never touches a database: the server loads rows, `analytics` computes,
//! and this crate arranges the results. Each report is built once as a
//! [`doc::Document`] (a list of blocks) and rendered three ways, so the formats
//! cannot disagree. PDFs are typeset with typst used as a library, with fonts
//! embedded from `reports/fonts` (Lato, SIL Open Font License 1.1).
//! All words come from [`Labels`], which the server fills from its locale files.

#![warn(missing_docs)]

pub mod approval;
pub mod charts;
pub mod doc;
pub mod fmt;
pub mod kop;
mod labels;
pub mod letter;
pub mod logo;
pub mod monthly;
mod register;
pub mod skm;
pub mod typeset;

pub use approval::Approval;
pub use doc::{Cell, Document, Letterhead, Renderings};
pub use labels::Labels;
pub use logo::{Logo, LogoError, LogoFormat};
pub use monthly::MonthlyReport;
pub use skm::SkmReport;

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The typesetter rejected the generated markup (a bug here, never user input).
    #[error("penyusunan PDF gagal: {0}")]
    Typeset(String),
    /// A chart could not be drawn.
    #[error("grafik gagal dibuat: {0}")]
    Chart(String),
    /// The workbook could not be written.
    #[error("berkas XLSX gagal dibuat: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The input cannot make a document (e.g. an empty letter).
    #[error("data tidak lengkap: {0}")]
    Invalid(String),
}
