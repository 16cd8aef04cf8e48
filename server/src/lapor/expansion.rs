//! How far an uploaded file may grow while it is read (issue 17). An XLSX file is a
//! zip archive of XML, and XML compresses very well: a few megabytes can declare
//! gigabytes of parts (a zip bomb), and one long shared string written once can be
//! referenced from every cell, so that the text handed on grows far beyond the file
//! even when every part is honest. Both are bounded by one allowance derived from the
//! size of the upload, so the memory an import takes follows the size of its file:
//!
//! - before anything is read, the parts' uncompressed sizes (from the zip central
//!   directory) must add up to no more than the allowance; the zip reader refuses a
//!   part that grows past the size it declares, so a part cannot lie about it;
//! - the shared-strings table may not announce more strings than its size can hold
//!   (the spreadsheet reader reserves room for that many at once);
//! - while the rows are read, the text of all cells together (plus a small cost per
//!   cell) may not exceed the allowance either.
//!
//! A CSV file needs no allowance: its cells are pieces of its own text.

use std::io::{Cursor, Read};

use super::ImportError;

/// How many times its own size a file may grow while it is read. Real exports grow
/// far less (a LAPOR! export of short cells about 8 times, see the tests), so only a
/// file built to expand meets this.
pub const EXPANSION_RATIO: u64 = 32;
/// Growth every file may use, however small (a workbook's styles and theme alone
/// take tens of kilobytes for a sheet of a few rows).
pub const EXPANSION_FLOOR: u64 = 16 << 20;
/// No file may grow beyond this, however large (a million-row export, the most an
/// import takes, stays well below it).
pub const EXPANSION_CEILING: u64 = 4 << 30;
/// What each cell read costs on top of its text: the string that holds it.
pub const CELL_COST: u64 = std::mem::size_of::<String>() as u64;

/// Bytes a file of `upload` bytes may grow to while it is read.
pub fn allowance(upload: usize) -> u64 {
    (upload as u64)
        .saturating_mul(EXPANSION_RATIO)
        .saturating_add(EXPANSION_FLOOR)
        .min(EXPANSION_CEILING)
}

/// Whole megabytes for a message, rounded up (no decimal separator to read the
/// wrong way: Indonesian writes 3,2 where English writes 3.2).
fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes.div_ceil(1_000_000).max(1))
}

/// The whole-file error for a file that grows past its allowance.
pub fn too_expanded(upload: usize) -> ImportError {
    ImportError::new(
        "xlsx_mengembang",
        &[
            ("size", megabytes(upload as u64)),
            ("max", megabytes(allowance(upload))),
        ],
    )
}

/// Looks at an XLSX archive before it is opened: the parts together may not
/// declare more than the allowance for a file of this size, and a shared-strings
/// table may not announce more strings than it has room for.
pub fn check_archive(bytes: &[u8]) -> Result<(), ImportError> {
    let broken = |e: zip::result::ZipError| ImportError::new("xlsx_rusak", &[("detail", e.to_string())]);
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
    let limit = allowance(bytes.len());
    let mut total = 0u64;
    let mut shared_strings = Vec::new();
    for i in 0..archive.len() {
        let part = archive.by_index_data(i).map_err(broken)?;
        total = total.saturating_add(part.size());
        if total > limit {
            return Err(too_expanded(bytes.len()));
        }
        if part.name_raw().to_ascii_lowercase().ends_with(b"sharedstrings.xml") {
            shared_strings.push((i, part.size()));
        }
    }
    for (i, size) in shared_strings {
        // The count sits in the root element, at the start of the part.
        let mut head = Vec::new();
        archive
            .by_index(i)
            .map_err(broken)?
            .take(64 * 1024)
            .read_to_end(&mut head)
            .map_err(|e| ImportError::new("xlsx_rusak", &[("detail", e.to_string())]))?;
        // `<si/>` is the shortest entry a table can hold: five bytes.
        if let Some(count) = unique_count(&head)
            && count > size / 5 + 1
        {
            return Err(ImportError::new("xlsx_jumlah_teks", &[("count", count.to_string())]));
        }
    }
    Ok(())
}

/// The `uniqueCount` a shared-strings table announces in its root element.
fn unique_count(head: &[u8]) -> Option<u64> {
    const NAME: &[u8] = b"uniqueCount=";
    let at = head.windows(NAME.len()).position(|w| w == NAME)? + NAME.len();
    let rest = head.get(at + 1..)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    // More digits than a u64 holds is as good as infinite.
    Some(std::str::from_utf8(&rest[..digits]).ok()?.parse().unwrap_or(u64::MAX))
}

/// Counts the text a reader produces against the allowance of its file.
#[derive(Debug)]
pub struct TextBudget {
    upload: usize,
    left: u64,
}

impl TextBudget {
    /// The budget of a file of `upload` bytes.
    pub fn new(upload: usize) -> TextBudget {
        TextBudget {
            upload,
            left: allowance(upload),
        }
    }

    /// Takes `bytes` of text (one cell) from the budget, or refuses the file.
    pub fn take(&mut self, bytes: usize) -> Result<(), ImportError> {
        let cost = (bytes as u64).saturating_add(CELL_COST);
        match self.left.checked_sub(cost) {
            Some(left) => {
                self.left = left;
                Ok(())
            }
            None => Err(too_expanded(self.upload)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::lapor::hostile;
    use crate::lapor::read::{read_rows, read_sheet};

    /// A small LAPOR!-like sheet whose fourth column uses the shared string "LOKASI".
    fn export(rows: usize) -> Vec<u8> {
        hostile::workbook(&["No Tiket", "Judul", "Tanggal Laporan", "Lokasi"], rows, |i| {
            vec![
                (5_000_000 + i).to_string(),
                "Jalan rusak".into(),
                "22/11/2026".into(),
                "LOKASI".into(),
            ]
        })
    }

    /// Reads a file to its end (or its refusal): the error and the rows handed on.
    fn read(bytes: &[u8]) -> (Option<ImportError>, usize) {
        let mut rows = 0;
        let result = read_rows(
            bytes,
            None,
            |_| {},
            |_| {
                rows += 1;
                true
            },
        );
        (result.err(), rows)
    }

    #[test]
    fn one_long_shared_string_in_many_cells_is_refused_early() {
        // 1 MB stored once, referenced from 5,000 cells: 5 GB of cell text.
        let bytes = hostile::inflate_shared_string(&export(5_000), "LOKASI", 1 << 20);
        assert!(bytes.len() < 200_000, "{}", bytes.len());
        let (error, rows) = read(&bytes);
        let error = error.expect("refused");
        assert_eq!(error.reason.key, "xlsx_mengembang");
        assert!(
            error
                .to_string()
                .starts_with("berkas XLSX berukuran 1 MB ini mengembang melebihi 20 MB saat dibuka"),
            "{error}"
        );
        assert!(error.reason.text(Lang::En).contains("grows beyond"));
        assert!(rows < 30, "stopped within its allowance: {rows} rows");
        // The same sheet with a short string is read whole.
        let (error, rows) = read(&hostile::inflate_shared_string(&export(5_000), "LOKASI", 100));
        assert_eq!((error, rows), (None, 5_001));
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_opened() {
        let bytes = hostile::zip_bomb(&export(3), 64 << 20);
        assert!(bytes.len() < 200_000, "{}", bytes.len());
        let (error, rows) = read(&bytes);
        assert_eq!(error.expect("refused").reason.key, "xlsx_mengembang");
        assert_eq!(rows, 0);
        // A part that understates its size is cut off where its claim ends.
        let lying = hostile::declare_size(&bytes, "xl/sharedStrings.xml", 4_000);
        let error = read_sheet(&lying, None).expect_err("refused");
        assert_eq!(error.reason.key, "xlsx_rusak", "{error}");
        assert!(error.to_string().contains("declared uncompressed size"), "{error}");
    }

    #[test]
    fn an_impossible_shared_string_count_is_refused() {
        // The spreadsheet reader would reserve room for 4 billion strings at once.
        let bytes = hostile::replace_in(
            &export(3),
            "xl/sharedStrings.xml",
            "uniqueCount=\"",
            "uniqueCount=\"4000000000",
        );
        let error = read_sheet(&bytes, None).expect_err("refused");
        assert_eq!(error.reason.key, "xlsx_jumlah_teks");
        assert!(error.to_string().contains("400000000"), "{error}");
    }

    #[test]
    fn a_sheet_declaring_more_rows_than_an_import_takes_is_refused_at_once() {
        let bytes = hostile::replace_in(
            &export(3),
            "xl/worksheets/sheet1.xml",
            "<dimension ref=\"A1:D4\"/>",
            "<dimension ref=\"A1:D10000000\"/>",
        );
        let (error, rows) = read(&bytes);
        assert_eq!(
            error.expect("refused").to_string(),
            "berkas memuat lebih dari 1000000 baris"
        );
        assert_eq!(rows, 0);
    }

    #[test]
    fn a_real_export_stays_far_below_its_allowance() {
        // Generated exports of short, repetitive cells: the kind that expands most.
        let rows = crate::lapor::sample::rows(20_000, 6_000_000, 1);
        let bytes = hostile::workbook(crate::lapor::sample::HEADER, rows.len(), |i| rows[i].clone());
        let archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let parts: u64 = (0..archive.len())
            .map(|i| archive.by_index_data(i).unwrap().size())
            .sum();
        let sheet = read_sheet(&bytes, None).unwrap();
        let text: u64 = sheet
            .rows
            .iter()
            .flat_map(|(_, cells)| cells.iter().filter(|c| !c.is_empty()))
            .map(|c| c.len() as u64 + CELL_COST)
            .sum();
        let size = bytes.len() as u64;
        eprintln!(
            "{size} bytes: parts {:.1}x, cell text {:.1}x",
            parts as f64 / size as f64,
            text as f64 / size as f64
        );
        assert!(parts * 2 < size * EXPANSION_RATIO && text * 2 < size * EXPANSION_RATIO);
    }

    #[test]
    fn the_allowance_follows_the_upload_within_floor_and_ceiling() {
        assert_eq!(allowance(0), EXPANSION_FLOOR);
        assert_eq!(allowance(3_000_000), 96_000_000 + EXPANSION_FLOOR);
        assert_eq!(allowance(usize::MAX), EXPANSION_CEILING);
        let mut budget = TextBudget::new(0);
        assert!(budget.take(EXPANSION_FLOOR as usize - 2 * CELL_COST as usize).is_ok());
        assert!(budget.take(0).is_ok());
        assert_eq!(budget.take(0).unwrap_err().reason.key, "xlsx_mengembang");
    }

    #[test]
    fn the_announced_string_count_is_read_from_the_root() {
        let head = br#"<?xml version="1.0"?><sst xmlns="x" count="7" uniqueCount="5"><si>"#;
        assert_eq!(unique_count(head), Some(5));
        assert_eq!(
            unique_count(b"<sst uniqueCount='99999999999999999999999'>"),
            Some(u64::MAX)
        );
        assert_eq!(unique_count(b"<sst count=\"3\">"), None);
    }
}
