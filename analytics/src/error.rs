//! Errors, worded in Bahasa Indonesia because they reach the person who sent the data
//! (an import, a CLI flag, an API query) through the server unchanged.

use thiserror::Error;

/// Everything that can make a computation refuse its input. Computations never
/// change their input, so an error leaves everything as it was.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AnalyticsError {
    /// A required column is missing from a frame.
    #[error("kolom '{0}' tidak ada di data")]
    MissingColumn(String),
    /// A column has a type the contract does not allow.
    #[error("kolom '{column}' bertipe {found}, seharusnya {expected}")]
    WrongType {
        /// Column name.
        column: String,
        /// Type found.
        found: String,
        /// Type the contract asks for.
        expected: String,
    },
    /// A score outside 1–4.
    #[error("nilai {value} di kolom '{column}' di luar skala 1-4")]
    ScoreOutOfRange {
        /// Element column.
        column: String,
        /// The offending value.
        value: i64,
    },
    /// Column vectors of different lengths handed to a frame builder.
    #[error("panjang kolom '{column}' ({found}) tidak sama dengan jumlah baris ({expected})")]
    LengthMismatch {
        /// Column name.
        column: String,
        /// Its length.
        found: usize,
        /// The frame's row count.
        expected: usize,
    },
    /// A rule set that cannot be computed with.
    #[error("aturan '{0}' tidak valid: {1}")]
    InvalidRuleSet(String, String),
    /// A query that cannot be answered as asked.
    #[error("permintaan tidak valid: {0}")]
    InvalidQuery(String),
    /// A file handed in could not be decoded (not that format, or cut short).
    #[error("berkas {0} tidak dapat dibaca")]
    UnreadableFile(String),
    /// Stored IKM cell sums that cannot be read or do not fit together.
    #[error("statistik sel survei rusak / corrupt survey cell statistics: {0}")]
    CorruptCell(String),
    /// A failure inside polars (a bug rather than bad input, kept for diagnosis).
    #[error("kesalahan pengolahan data: {0}")]
    Polars(String),
}

impl From<polars_core::prelude::PolarsError> for AnalyticsError {
    fn from(e: polars_core::prelude::PolarsError) -> Self {
        AnalyticsError::Polars(e.to_string())
    }
}

/// Result alias of this crate.
pub type Result<T, E = AnalyticsError> = std::result::Result<T, E>;
