//! Survey files kept as Parquet (the interchange layout of SKM.md in a columnar file).
//!
//! A Parquet file is turned into a plain table of text cells, so the server checks it
//! row by row exactly as it checks a CSV: the same headers in any order, the same date
//! forms, the same rejection reasons. Typed columns are written as a spreadsheet would
//! show them: dates as `YYYY-MM-DD`, whole numbers without a decimal part. This module
//! parses bytes the caller hands in; it opens no file itself.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use polars_core::prelude::*;
use polars_parquet::read::{BasicDecompressor, PageReader, column_iter_to_arrays, infer_schema, read_metadata};
use polars_parquet::write::{
    CompressionOptions, FileWriter, RowGroupIterator, StatisticsOptions, Version, WriteOptions, get_dtype_encoding,
};

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

fn unreadable(e: impl std::fmt::Display) -> AnalyticsError {
    AnalyticsError::UnreadableFile(format!("Parquet: {e}"))
}

/// Reads a Parquet file's bytes into a [`TextTable`]: every column of every row
/// group decoded whole, then each turned into text by polars' casts (the tests'
/// reference for the streaming readers of `survey_file`, which decode a row group
/// slice by slice and make their own text). A file that is not Parquet, or is cut
/// short, is an [`AnalyticsError::UnreadableFile`], never a panic.
pub fn read_parquet(bytes: Vec<u8>) -> Result<TextTable> {
    catch_unwind(AssertUnwindSafe(|| read_parquet_frame(&bytes)))
        .map_err(|_| AnalyticsError::UnreadableFile("Parquet".into()))?
        .and_then(|frame| {
            let headers: Vec<String> = frame.get_column_names().iter().map(|n| n.to_string()).collect();
            let columns: Vec<Vec<String>> = frame.columns().iter().map(cell_text).collect::<Result<_>>()?;
            let rows = (0..frame.height())
                .map(|i| columns.iter().map(|c| c[i].clone()).collect())
                .collect();
            Ok(TextTable { headers, rows })
        })
}

fn read_parquet_frame(bytes: &[u8]) -> Result<DataFrame> {
    let metadata = read_metadata(&mut Cursor::new(bytes)).map_err(unreadable)?;
    let schema = infer_schema(&metadata).map_err(unreadable)?;
    let mut columns = Vec::with_capacity(schema.len());
    for (_, field) in schema.iter() {
        let mut series: Option<Series> = None;
        for group in &metadata.row_groups {
            let chunks: Vec<_> = group
                .columns_under_root_iter(&field.name)
                .map(|c| c.collect())
                .unwrap_or_default();
            let mut decompressors = Vec::with_capacity(chunks.len());
            let mut types = Vec::with_capacity(chunks.len());
            for meta in &chunks {
                let range = meta.byte_range();
                let part = usize::try_from(range.start)
                    .ok()
                    .zip(usize::try_from(range.end).ok())
                    .and_then(|(from, to)| bytes.get(from..to))
                    .ok_or_else(|| unreadable("column outside the file"))?;
                let pages = PageReader::new(Cursor::new(part.to_vec().into()), meta, vec![], usize::MAX);
                decompressors.push(BasicDecompressor::new(pages, vec![]));
                types.push(&meta.descriptor().descriptor.primitive_type);
            }
            let (arrays, _) = column_iter_to_arrays(decompressors, types, field.clone(), None).map_err(unreadable)?;
            let part = Series::try_from((field, arrays)).map_err(unreadable)?;
            if part.len() != group.num_rows() {
                return Err(unreadable(format!("column {} cut short", field.name)));
            }
            match &mut series {
                Some(s) => {
                    s.append(&part)?;
                }
                None => series = Some(part),
            }
        }
        let series = series.unwrap_or_else(|| Series::new_empty(field.name.clone(), &DataType::String));
        columns.push(series.into_column());
    }
    let height = metadata.num_rows;
    Ok(DataFrame::new(height, columns)?)
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
    write_frame_parquet(&DataFrame::new(table.rows.len(), columns)?, 512 * 512)
}

/// Writes a frame as Parquet with row groups of at most `row_group_rows` rows, as
/// polars' own writer does (zstd pages, statistics, text columns dictionary-encoded
/// while the dictionary stays small), with only polars' Parquet crate: the tests write
/// their typed survey files (any integer width, floats, dates) with it.
pub fn write_frame_parquet(frame: &DataFrame, row_group_rows: usize) -> Result<Vec<u8>> {
    let compat = CompatLevel::newest();
    let schema = frame.schema().to_arrow(compat);
    let options = WriteOptions {
        statistics: StatisticsOptions::full(),
        version: Version::V1,
        compression: CompressionOptions::Zstd(None),
        data_page_size: None,
    };
    let encodings = schema.iter_values().map(|f| get_dtype_encoding(&f.dtype)).collect();
    let step = row_group_rows.max(1);
    let mut batches = Vec::new();
    for offset in (0..frame.height()).step_by(step) {
        let mut part = frame.slice(offset as i64, step);
        part.rechunk_mut();
        batches.extend(part.iter_chunks(compat, false));
    }
    let rows: Vec<u64> = batches.iter().map(|b| b.len() as u64).collect();
    let groups = RowGroupIterator::try_new(batches.into_iter().map(Ok), &schema, options, encodings)?;
    let mut writer = FileWriter::try_new(Vec::new(), schema, options)?;
    for (group, rows) in groups.zip(rows) {
        writer.write(rows, group?)?;
    }
    writer.end(None)?;
    Ok(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn typed_columns_read_as_a_spreadsheet_shows_them() {
        let dates = Series::new("tanggal".into(), [NaiveDate::from_ymd_opt(2026, 11, 22), None]);
        let frame = DataFrame::new(
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
        let table = read_parquet(write_frame_parquet(&frame, 1).unwrap()).unwrap();
        assert_eq!(table.headers, ["tanggal", "layanan", "u1", "u2", "saran"]);
        assert_eq!(
            table.rows[0],
            ["2026-11-22", "KTP", "4", "2", "Antrean perlu nomor urut — terima kasih"]
        );
        assert_eq!(table.rows[1], ["", "Kartu Disabilitas", "3", "", ""]);
    }

    #[test]
    fn frames_are_written_in_row_groups_of_the_size_asked() {
        let frame = DataFrame::new(
            20,
            vec![
                Series::new("u1".into(), (0..20i64).map(|i| i % 4 + 1).collect::<Vec<_>>()).into_column(),
                Series::new(
                    "unit".into(),
                    (0..20).map(|i| format!("unit-{}", i % 3)).collect::<Vec<_>>(),
                )
                .into_column(),
            ],
        )
        .unwrap();
        let bytes = write_frame_parquet(&frame, 7).unwrap();
        let metadata = read_metadata(&mut Cursor::new(&bytes)).unwrap();
        let sizes: Vec<usize> = metadata.row_groups.iter().map(|g| g.num_rows()).collect();
        assert_eq!(sizes, [7, 7, 6]);
        let table = read_parquet(bytes).unwrap();
        assert_eq!(table.rows.len(), 20);
        assert_eq!(table.rows[19], ["4", "unit-1"]);
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
