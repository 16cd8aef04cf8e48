//! Hostile XLSX files for tests (issue 17): small uploads built to expand when read.
//! Each starts from a real workbook and rewrites one of its parts, the way an
//! attacker would. Nothing here is used at run time.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;

/// A workbook with `header` and `rows` data rows made by `row`; cells that read as
/// numbers are written as numbers, the rest as (shared) strings.
pub fn workbook(header: &[&str], rows: usize, row: impl Fn(usize) -> Vec<String>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("a short header");
    }
    for i in 0..rows {
        for (c, cell) in row(i).iter().enumerate() {
            let (r, c) = (i as u32 + 1, c as u16);
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r, c, n),
                Err(_) => sheet.write_string(r, c, cell),
            }
            .expect("a cell within the sheet");
        }
    }
    book.save_to_buffer().expect("writing to memory")
}

/// The parts of `xlsx` written again, each through `edit` (name, content), which
/// may write the new content itself in pieces (for parts too large to hold).
pub fn rewrite(xlsx: &[u8], mut edit: impl FnMut(&str, Vec<u8>, &mut dyn Write)) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).expect("a zip archive");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).expect("a part");
        let name = part.name().expect("a part name").into_owned();
        let mut content = Vec::new();
        part.read_to_end(&mut content).expect("a readable part");
        out.start_file(name.as_str(), SimpleFileOptions::default())
            .expect("a new part");
        edit(&name, content, &mut out);
    }
    out.finish().expect("writing to memory").into_inner()
}

/// Replaces every `from` in the text of part `name` with `to`.
pub fn replace_in(xlsx: &[u8], name: &str, from: &str, to: &str) -> Vec<u8> {
    rewrite(xlsx, |part, content, out| {
        let content = if part == name {
            String::from_utf8(content)
                .expect("an XML part")
                .replace(from, to)
                .into_bytes()
        } else {
            content
        };
        out.write_all(&content).expect("writing to memory");
    })
}

/// The shared string `placeholder` made `len` bytes long: stored once in the table
/// (and compressed to almost nothing), copied into every cell that uses it.
pub fn inflate_shared_string(xlsx: &[u8], placeholder: &str, len: usize) -> Vec<u8> {
    replace_in(
        xlsx,
        "xl/sharedStrings.xml",
        &format!(">{placeholder}<"),
        &format!(">{}<", "x".repeat(len)),
    )
}

/// A zip bomb: one more shared string of `len` bytes, whose part declares its true
/// size (a few kilobytes per gigabyte once compressed).
pub fn zip_bomb(xlsx: &[u8], len: u64) -> Vec<u8> {
    rewrite(xlsx, |part, content, out| {
        if part != "xl/sharedStrings.xml" {
            out.write_all(&content).expect("writing to memory");
            return;
        }
        let text = String::from_utf8(content).expect("an XML part");
        let end = text.rfind("</sst>").expect("a shared-strings table");
        out.write_all(&text.as_bytes()[..end]).expect("writing to memory");
        out.write_all(b"<si><t>").expect("writing to memory");
        let chunk = vec![b'x'; 1 << 20];
        let mut left = len;
        while left > 0 {
            let n = left.min(chunk.len() as u64);
            out.write_all(&chunk[..n as usize]).expect("writing to memory");
            left -= n;
        }
        out.write_all(b"</t></si></sst>").expect("writing to memory");
    })
}

/// The archive with part `name` declaring `size` bytes (in its local header and
/// in the central directory) whatever it really holds: a zip that lies.
pub fn declare_size(xlsx: &[u8], name: &str, size: u32) -> Vec<u8> {
    let mut bytes = xlsx.to_vec();
    let name = name.as_bytes();
    let mut patched = 0;
    let mut at = 0;
    while at + 46 <= bytes.len() {
        // Where the uncompressed size, the name's length and the name sit.
        let (size_at, len_at, name_at) = match &bytes[at..at + 4] {
            b"PK\x03\x04" => (at + 22, at + 26, at + 30),
            b"PK\x01\x02" => (at + 24, at + 28, at + 46),
            _ => {
                at += 1;
                continue;
            }
        };
        let name_len = u16::from_le_bytes([bytes[len_at], bytes[len_at + 1]]) as usize;
        if bytes.get(name_at..name_at + name_len) == Some(name) {
            bytes[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        at += 4;
    }
    assert_eq!(patched, 2, "the part has a local and a central header");
    bytes
}
