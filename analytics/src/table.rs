//! Survey files kept as Parquet (the interchange layout of SKM.md in a columnar file).
//!
//! A Parquet file is turned into a plain table of text cells, so the server checks it
//! row by row exactly as it checks a CSV: the same headers in any order, the same date
//! forms, the same rejection reasons. Typed columns are written as a spreadsheet would
//! show them: dates as `YYYY-MM-DD`, whole numbers without a decimal part. This module
//! parses bytes the caller hands in; it opens no file itself.

use std::io::Cursor;

use polars::prelude::*;

use crate::{AnalyticsError, Result};

/// A table of text cells: a header row and data rows of the same width. Empty cells
/// (nulls) are empty strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextTable {
    /// Column names in file order.
    pub headers: Vec<String>,
    /// Rows, each as wide as `headers`.
    pub rows: Vec<Vec<String>>,
}

fn cell_text(column: &Column) -> Result<Vec<String>> {
    let dtype = column.dtype().clone();
    if dtype.is_float() {
        let values = column.cast(&DataType::Float64)?;
        return Ok(values
            .f64()?
            .iter()
            .map(|v| match v {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                Some(f) => f.to_string(),
                None => String::new(),
            })
            .collect());
    }
    let text = column.cast(&DataType::String)?;
    Ok(text
        .str()?
        .iter()
        .map(|v| v.map(str::to_owned).unwrap_or_default())
        .collect())
}

/// Reads a Parquet file's bytes into a [`TextTable`]. A file that is not Parquet, or
/// is cut short, is an [`AnalyticsError::UnreadableFile`], never a panic.
pub fn read_parquet(bytes: Vec<u8>) -> Result<TextTable> {
    let frame = std::panic::catch_unwind(|| ParquetReader::new(Cursor::new(bytes)).finish())
        .map_err(|_| AnalyticsError::UnreadableFile("Parquet".into()))?
        .map_err(|e| AnalyticsError::UnreadableFile(format!("Parquet: {e}")))?;
    let headers: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
    let columns: Vec<Vec<String>> = frame.columns().iter().map(cell_text).collect::<Result<_>>()?;
    let rows = (0..frame.height())
        .map(|i| columns.iter().map(|c| c[i].clone()).collect())
        .collect();
    Ok(TextTable { headers, rows })
}

/// Writes a [`TextTable`] as Parquet with text columns (for exports and tests).
pub fn write_parquet(table: &TextTable) -> Result<Vec<u8>> {
    let columns: Vec<Column> = table
        .headers
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<Option<&str>> = table
                .rows
                .iter()
                .map(|r| r.get(i).map(String::as_str).filter(|v| !v.is_empty()))
                .collect();
            Series::new(name.as_str().into(), values).into_column()
        })
        .collect();
    let mut frame = DataFrame::new(table.rows.len(), columns)?;
    let mut out = Vec::new();
    ParquetWriter::new(&mut out).finish(&mut frame)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn typed_columns_read_as_a_spreadsheet_shows_them() {
        let dates = Series::new("tanggal".into(), [NaiveDate::from_ymd_opt(2026, 11, 22), None]);
        let mut frame = DataFrame::new(
            2,
            vec![
                dates.into_column(),
                Series::new("layanan".into(), ["KTP", "Kartu Disabilitas"]).into_column(),
                Series::new("u1".into(), [4i64, 3]).into_column(),
                Series::new("u2".into(), [Some(2.0f64), None]).into_column(),
                Series::new("saran".into(), [Some("Antrean perlu nomor urut — terima kasih"), None]).into_column(),
            ],
        )
        .unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
        let table = read_parquet(bytes).unwrap();
        assert_eq!(table.headers, ["tanggal", "layanan", "u1", "u2", "saran"]);
        assert_eq!(
            table.rows[0],
            ["2026-11-22", "KTP", "4", "2", "Antrean perlu nomor urut — terima kasih"]
        );
        assert_eq!(table.rows[1], ["", "Kartu Disabilitas", "3", "", ""]);
    }

    #[test]
    fn text_tables_round_trip() {
        let table = TextTable {
            headers: vec!["tanggal".into(), "u1".into()],
            rows: vec![
                vec!["2026-01-02".into(), "4".into()],
                vec!["22/11/2026".into(), String::new()],
            ],
        };
        assert_eq!(read_parquet(write_parquet(&table).unwrap()).unwrap(), table);
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        let table = TextTable {
            headers: vec!["u1".into()],
            rows: vec![vec!["4".into()]],
        };
        let good = write_parquet(&table).unwrap();
        for bad in [
            Vec::new(),
            b"tanggal,u1\n2026-01-01,4\n".to_vec(),
            good[..good.len() / 2].to_vec(),
            {
                let mut flipped = good.clone();
                let mid = flipped.len() / 2;
                flipped[mid] ^= 0xFF;
                flipped
            },
        ] {
            // A flipped byte may still decode; it must never panic.
            if let Err(e) = read_parquet(bad) {
                assert!(matches!(e, AnalyticsError::UnreadableFile(_)), "{e:?}");
            }
        }
        assert!(read_parquet(Vec::new()).is_err());
        assert!(read_parquet(good[..good.len() / 2].to_vec()).is_err());
    }
}
