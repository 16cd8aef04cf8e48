//! Reading an export into rows of text: CSV (comma, semicolon or tab; UTF-8 with or
//! without BOM, UTF-16 with BOM, or Windows-1252) and XLSX (first sheet or a named
//! one). Nothing here panics on a malformed file: every problem is an [`ImportError`]
//! for the whole file or a rejected row.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

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

/// Reads CSV or XLSX bytes (told apart by their content, never their name).
pub fn read_sheet(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, ImportError> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes, sheet)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(ImportError::new("xls_lama", &[]))
    } else if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        Err(ImportError::new("berkas_kosong", &[]))
    } else {
        read_csv(bytes)
    }
}

/// Text of a CSV file and the name of its encoding.
fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, _) = encoding.decode(bytes);
        let name = if encoding == encoding_rs::UTF_8 {
            "UTF-8 (BOM)"
        } else {
            encoding.name()
        };
        return (text.into_owned(), name);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), "Windows-1252")
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

fn read_csv(bytes: &[u8]) -> Result<Sheet, ImportError> {
    let (text, encoding) = decode(bytes);
    let delim = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut sheet = Sheet {
        format: format!(
            "CSV, {encoding}, {}",
            match delim {
                b';' => "titik koma",
                b'\t' => "tab",
                _ => "koma",
            }
        ),
        ..Sheet::default()
    };
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
    let (mut row, mut previous_start) = (0u64, 0usize);
    loop {
        match reader.read_record(&mut record) {
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
                sheet.rows.push((
                    row,
                    record.iter().take(MAX_COLUMNS).map(|c| c.trim().to_owned()).collect(),
                ));
            }
            Err(e) => {
                row += 1;
                sheet
                    .unreadable
                    .push((row, Reason::new("baris_rusak", &[("detail", e.to_string())])));
            }
        }
        if sheet.rows.len() > MAX_ROWS + HEADER_SEARCH_ROWS {
            return Err(ImportError::new(
                "terlalu_banyak_baris",
                &[("max", MAX_ROWS.to_string())],
            ));
        }
    }
    Ok(sheet)
}

/// A spreadsheet cell as text: whole numbers without ".0" (tracking IDs are often
/// stored as numbers), dates as ISO text.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "ya" } else { "tidak" }.to_owned(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_else(|| d.as_f64().to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e}"),
    }
}

fn read_xlsx(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, ImportError> {
    let broken = |e: calamine::XlsxError| ImportError::new("xlsx_rusak", &[("detail", e.to_string())]);
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
    let range = book.worksheet_range(&name).map_err(broken)?;
    if range.height() > MAX_ROWS + HEADER_SEARCH_ROWS {
        return Err(ImportError::new(
            "terlalu_banyak_baris",
            &[("max", MAX_ROWS.to_string())],
        ));
    }
    let first_row = range.start().map(|(r, _)| u64::from(r)).unwrap_or(0);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            (
                first_row + i as u64 + 1,
                cells.iter().take(MAX_COLUMNS).map(cell_text).collect(),
            )
        })
        .collect();
    Ok(Sheet {
        format: format!("XLSX, lembar \"{name}\""),
        rows,
        unreadable: Vec::new(),
    })
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
        assert_eq!((text.as_str(), enc), ("id", "UTF-16LE"));
    }
}
