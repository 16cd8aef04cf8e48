//! Reading an export into rows of text: CSV (comma, semicolon or tab; UTF-8 with or
//! without BOM, UTF-16 with BOM, or Windows-1252) and XLSX (first sheet or a named
//! one). Nothing here panics on a malformed file: every problem is an [`ImportError`]
//! for the whole file or a rejected row.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};

use super::expansion::{self, TextBudget};
use super::{ImportError, Reason};

/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 1_000_000;
/// Most columns read per row (the rest are ignored).
pub const MAX_COLUMNS: usize = 256;
/// Rows searched for the header (title rows above it are skipped).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// A file as rows of text, with row numbers as a spreadsheet shows them (1-based).
#[derive(Debug, Default)]
pub struct Sheet {
    /// How the file was read, for the summary (e.g. "CSV, Windows-1252, ;").
    pub format: String,
    /// (row number, cells).
    pub rows: Vec<(u64, Vec<String>)>,
    /// Rows that could not be read at all.
    pub unreadable: Vec<(u64, Reason)>,
}

/// One row as the reader met it, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowRead {
    /// Row number and cells (cell `i` is column `i`; a row may be shorter than others).
    Cells(u64, Vec<String>),
    /// A row that could not be read at all, with why.
    Unreadable(u64, Reason),
}

/// What a file says about itself before its rows are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// How the file is read, for the summary.
    pub format: String,
    /// About how many rows it holds (line breaks of a CSV, the extent an XLSX sheet
    /// declares), for a progress bar; the exact count is known at the end.
    pub estimated_rows: usize,
}

/// Reads CSV or XLSX bytes (told apart by their content, never their name) into a
/// whole [`Sheet`].
pub fn read_sheet(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, ImportError> {
    let mut out = Sheet::default();
    read_rows(
        bytes,
        sheet,
        |opened| out.format = opened.format.clone(),
        |row| {
            match row {
                RowRead::Cells(n, cells) => out.rows.push((n, cells)),
                RowRead::Unreadable(n, reason) => out.unreadable.push((n, reason)),
            }
            true
        },
    )?;
    Ok(out)
}

/// Streams the rows of CSV or XLSX bytes to `on_row` in file order, after telling
/// `on_open` the format, so the import can check and store the first rows while the
/// rest are still being decoded. Stops early when `on_row` answers false. A problem
/// with the whole file may be found after some rows were handed on (an XLSX damaged
/// half-way, too many rows, more text than the file may expand to, see
/// [`expansion`]): the caller keeps what it did with them provisional until this
/// returns `Ok`.
pub fn read_rows(
    bytes: &[u8],
    sheet: Option<&str>,
    on_open: impl FnOnce(&Opened),
    on_row: impl FnMut(RowRead) -> bool,
) -> Result<(), ImportError> {
    match file_kind(bytes)? {
        FileKind::Xlsx => read_xlsx(bytes, sheet, on_open, on_row),
        FileKind::Csv => read_csv(bytes, on_open, on_row),
    }
}

/// The two kinds of file the readers take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An XLSX workbook.
    Xlsx,
    /// Anything else is read as CSV.
    Csv,
}

/// Tells an XLSX workbook from CSV by content, never by name; a legacy .xls and an
/// empty file are refused.
pub fn file_kind(bytes: &[u8]) -> Result<FileKind, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        Ok(FileKind::Xlsx)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(ImportError::new("xls_lama", &[]))
    } else if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        Err(ImportError::new("berkas_kosong", &[]))
    } else {
        Ok(FileKind::Csv)
    }
}

/// The whole-file error for a file with more data rows than [`MAX_ROWS`].
fn too_many_rows() -> ImportError {
    ImportError::new("terlalu_banyak_baris", &[("max", MAX_ROWS.to_string())])
}

/// Text of a CSV file and the name of its encoding: UTF-8 is borrowed as it is,
/// other encodings are decoded once.
fn decode(bytes: &[u8]) -> (Cow<'_, str>, &'static str) {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, _) = encoding.decode(bytes);
        let name = if encoding == encoding_rs::UTF_8 {
            "UTF-8 (BOM)"
        } else {
            encoding.name()
        };
        return (text, name);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text, "Windows-1252")
        }
    }
}

/// The separator used most in the first lines, outside quotes.
fn delimiter(text: &str) -> u8 {
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in text.bytes().take(64 * 1024).scan(0usize, |lines, c| {
        if c == b'\n' {
            *lines += 1;
        }
        (*lines < 10).then_some(c)
    }) {
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(d, _)| *d == c) {
            entry.1 += 1;
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).map(|(d, _)| *d).unwrap_or(b',')
}

/// One CSV record as the reader met it, in file order.
pub enum CsvRecord<'r> {
    /// Row number as a spreadsheet shows it, and the record (fields untrimmed). The
    /// caller may swap the record for another: the next one is read into whatever
    /// is left there.
    Cells(u64, &'r mut csv::StringRecord),
    /// A record that could not be read at all, with why.
    Unreadable(u64, Reason),
}

fn read_csv(
    bytes: &[u8],
    on_open: impl FnOnce(&Opened),
    mut on_row: impl FnMut(RowRead) -> bool,
) -> Result<(), ImportError> {
    csv_records(bytes, on_open, |record| {
        on_row(match record {
            CsvRecord::Cells(row, record) => {
                RowRead::Cells(row, record.iter().take(MAX_COLUMNS).map(clean_cell).collect())
            }
            CsvRecord::Unreadable(row, reason) => RowRead::Unreadable(row, reason),
        })
    })
}

/// Streams the records of CSV bytes (the encodings and separators of
/// [`read_rows`]) to `on_record` with their spreadsheet row numbers, without a
/// `String` per cell. Stops early when `on_record` answers false.
pub fn csv_records(
    bytes: &[u8],
    on_open: impl FnOnce(&Opened),
    mut on_record: impl FnMut(CsvRecord<'_>) -> bool,
) -> Result<(), ImportError> {
    let (text, encoding) = decode(bytes);
    let delim = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    on_open(&Opened {
        format: format!(
            "CSV, {encoding}, {}",
            match delim {
                b';' => "titik koma",
                b'\t' => "tab",
                _ => "koma",
            }
        ),
        estimated_rows: text.bytes().filter(|b| *b == b'\n').count() + usize::from(!text.ends_with('\n')),
    });
    // Row numbers as a spreadsheet shows them: blank lines the CSV reader skips
    // still count, and a quoted cell spanning lines is still one row.
    let mut record = csv::StringRecord::new();
    let bytes = text.as_bytes();
    // Line breaks outside quoted cells between two record starts: one ends the
    // earlier record, each further one is a blank line the reader skipped.
    let breaks = |from: usize, to: usize| -> u64 {
        let mut quoted = false;
        let mut n = 0;
        for b in &bytes[from.min(bytes.len())..to.min(bytes.len())] {
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => n += 1,
                _ => {}
            }
        }
        n
    };
    let (mut row, mut previous_start, mut rows_read) = (0u64, 0usize, 0usize);
    loop {
        let go_on = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The reader's position is before the blank lines it skipped.
                let mut start = record.position().map(|p| p.byte() as usize).unwrap_or(previous_start);
                while matches!(bytes.get(start), Some(b'\n' | b'\r')) {
                    start += 1;
                }
                row = if row == 0 {
                    1 + breaks(0, start)
                } else {
                    row + breaks(previous_start, start).max(1)
                };
                previous_start = start;
                rows_read += 1;
                if rows_read > MAX_ROWS + HEADER_SEARCH_ROWS {
                    return Err(too_many_rows());
                }
                on_record(CsvRecord::Cells(row, &mut record))
            }
            Err(e) => {
                row += 1;
                if rows_read > MAX_ROWS + HEADER_SEARCH_ROWS {
                    return Err(too_many_rows());
                }
                on_record(CsvRecord::Unreadable(
                    row,
                    Reason::new("baris_rusak", &[("detail", e.to_string())]),
                ))
            }
        };
        if !go_on {
            break;
        }
    }
    Ok(())
}

/// A cell's text as it is checked and stored: trimmed, and without control characters
/// but newline and tab (as the web form stores text; PostgreSQL refuses NUL, so one
/// such cell would stop the whole import).
fn clean_cell(text: &str) -> String {
    clean_text(text).into_owned()
}

/// [`clean_cell`] without a copy when the cell needs no cleaning.
pub fn clean_text(text: &str) -> Cow<'_, str> {
    let t = text.trim();
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        Cow::Owned(crate::intake::form::clean(t))
    } else {
        Cow::Borrowed(t)
    }
}

/// A spreadsheet cell as text: whole numbers without ".0" (tracking IDs are often
/// stored as numbers), dates as ISO text.
fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => clean_cell(s),
        DataRef::SharedString(s) => clean_cell(s),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "ya" } else { "tidak" }.to_owned(),
        DataRef::DateTime(d) => d
            .as_datetime()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_else(|| d.as_f64().to_string()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e}"),
    }
}

fn read_xlsx(
    bytes: &[u8],
    sheet: Option<&str>,
    on_open: impl FnOnce(&Opened),
    mut on_row: impl FnMut(RowRead) -> bool,
) -> Result<(), ImportError> {
    let mut budget = TextBudget::new(bytes.len());
    xlsx_rows(bytes, sheet, on_open, |row, cells| {
        let mut values = Vec::new();
        for (column, cell) in cells.drain(..) {
            if values.len() <= column {
                values.resize(column + 1, String::new());
            }
            let text = cell_text(&cell);
            // A shared string is stored once but copied into every cell that uses it.
            budget.take(text.len())?;
            values[column] = text;
        }
        Ok(on_row(RowRead::Cells(row, values)))
    })
}

/// Streams the rows of an XLSX sheet (the first, or the one named) to `on_row`:
/// the spreadsheet row number and its non-empty cells as (column, value), columns
/// past [`MAX_COLUMNS`] left out, as the spreadsheet reader gives them (no text made
/// per cell). `on_row` may take the cells; it answers whether to go on, or an error
/// that stops the file. The archive is checked before anything is loaded.
pub fn xlsx_rows(
    bytes: &[u8],
    sheet: Option<&str>,
    on_open: impl FnOnce(&Opened),
    mut on_row: impl FnMut(u64, &mut Vec<(usize, DataRef<'_>)>) -> Result<bool, ImportError>,
) -> Result<(), ImportError> {
    let broken = |e: calamine::XlsxError| ImportError::new("xlsx_rusak", &[("detail", e.to_string())]);
    // Before the spreadsheet reader loads anything whole (the shared strings).
    expansion::check_archive(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(broken)?;
    let names = book.sheet_names();
    let name = match sheet.map(str::trim).filter(|s| !s.is_empty()) {
        Some(wanted) => names
            .iter()
            .find(|n| n.trim().eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| {
                ImportError::new(
                    "lembar_tidak_ada",
                    &[("sheet", wanted.to_owned()), ("sheets", names.join(", "))],
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| ImportError::new("tanpa_lembar", &[]))?,
    };
    // Cells in the order the sheet stores them, which Excel and every writer keep
    // row by row: a row is handed on when the next one starts. Empty cells are
    // skipped (a row of only empty cells is no row), as calamine's whole-sheet
    // reading does.
    let mut cells = book.worksheet_cells_reader(&name).map_err(broken)?;
    let extent = cells.dimensions();
    let estimated_rows = if extent.start.0 <= extent.end.0 {
        (extent.end.0 - extent.start.0) as usize + 1
    } else {
        0
    };
    // A sheet that declares more rows than an import takes is refused before its
    // rows are read (a sheet that understates them is stopped by the count below).
    if estimated_rows > MAX_ROWS + HEADER_SEARCH_ROWS {
        return Err(too_many_rows());
    }
    on_open(&Opened {
        format: format!("XLSX, lembar \"{name}\""),
        estimated_rows,
    });
    let mut current: Option<u32> = None;
    let mut values: Vec<(usize, DataRef<'_>)> = Vec::new();
    let mut rows_read = 0usize;
    while let Some(cell) = cells.next_cell().map_err(broken)? {
        if matches!(cell.get_value(), DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        match current {
            Some(at) if at == row => {}
            Some(at) if row < at => {
                return Err(ImportError::new(
                    "xlsx_urutan",
                    &[
                        ("row", (u64::from(row) + 1).to_string()),
                        ("after", (u64::from(at) + 1).to_string()),
                    ],
                ));
            }
            _ => {
                if let Some(at) = current.take()
                    && !on_row(u64::from(at) + 1, &mut values)?
                {
                    return Ok(());
                }
                values.clear();
                rows_read += 1;
                if rows_read > MAX_ROWS + HEADER_SEARCH_ROWS {
                    return Err(too_many_rows());
                }
                current = Some(row);
            }
        }
        let column = column as usize;
        if column < MAX_COLUMNS {
            // Shared strings are borrowed; calamine owns an inline string once more.
            values.push((column, cell.get_value().clone()));
        }
    }
    if let Some(at) = current {
        on_row(u64::from(at) + 1, &mut values)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_encodings_and_separators() {
        let cp1252 = b"id;judul\r\n1;Jalan rusak di Simpang Tiga \x96 Sukajadi\r\n";
        let s = read_sheet(cp1252, None).unwrap();
        assert_eq!(s.format, "CSV, Windows-1252, titik koma");
        assert_eq!(s.rows[1].1[1], "Jalan rusak di Simpang Tiga \u{2013} Sukajadi");
        let bom = "\u{feff}id,judul\n7,\"Lampu, jalan\"\n".as_bytes();
        let s = read_sheet(bom, None).unwrap();
        assert_eq!(s.format, "CSV, UTF-8 (BOM), koma");
        assert_eq!(s.rows[0].1[0], "id", "the BOM is not part of the first header");
        assert_eq!(s.rows[1], (2, vec!["7".to_owned(), "Lampu, jalan".to_owned()]));
        let s = read_sheet(b"id,judul\n1,a\n\n\n2,\"b\nc\"\n3,d\n", None).unwrap();
        let rows: Vec<u64> = s.rows.iter().map(|r| r.0).collect();
        assert_eq!(
            rows,
            [1, 2, 5, 6],
            "blank lines count as rows, a multi-line cell is one row"
        );
        let (text, enc) = decode(b"\xFF\xFEi\x00d\x00");
        assert_eq!((text.as_ref(), enc), ("id", "UTF-16LE"));
    }

    #[test]
    fn xlsx_rows_stream_in_sheet_order_with_their_numbers() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("Laporan").unwrap();
        sheet.write_string(0, 0, "Daftar laporan").unwrap();
        sheet.write_string(2, 1, "ID Laporan").unwrap();
        sheet.write_string(2, 3, "Judul").unwrap();
        sheet.write_number(3, 1, 1916449.0).unwrap();
        sheet.write_string(3, 3, "  Jalan rusak ").unwrap();
        // Row 5 is blank; row 6 has only its last cell.
        sheet.write_string(5, 3, "Lampu mati").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let mut opened = None;
        let mut rows = Vec::new();
        read_rows(
            &bytes,
            Some("laporan"),
            |o| opened = Some(o.clone()),
            |row| {
                rows.push(row);
                true
            },
        )
        .unwrap();
        let opened = opened.unwrap();
        assert_eq!(opened.format, "XLSX, lembar \"Laporan\"");
        assert_eq!(opened.estimated_rows, 6, "the extent the sheet declares, rows 1-6");
        let cells = |n: u64, v: &[&str]| RowRead::Cells(n, v.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(
            rows,
            [
                cells(1, &["Daftar laporan"]),
                cells(3, &["", "ID Laporan", "", "Judul"]),
                cells(4, &["", "1916449", "", "Jalan rusak"]),
                cells(6, &["", "", "", "Lampu mati"]),
            ]
        );
        // Stopping early reads no further.
        let mut seen = 0;
        read_rows(
            &bytes,
            None,
            |_| {},
            |_| {
                seen += 1;
                seen < 2
            },
        )
        .unwrap();
        assert_eq!(seen, 2);
    }
}
