//! PDF typesetting through typst used as a library.
//!
//! Documents are generated as typst markup (see [`Markup`]) and compiled in a
//! minimal, closed [`typst::World`]: one main source, in-memory files (the SVG
//! charts), and only the fonts committed in `reports/fonts` (Lato, SIL OFL 1.1).
//! Nothing is read from the file system or the network at run time, so a report
//! looks the same on every machine.

use std::collections::HashMap;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

use crate::ReportError;
use crate::register::DrawnTable;

/// Lato Regular, embedded so that no system font lookup ever happens.
pub const FONT_REGULAR: &[u8] = include_bytes!("../fonts/Lato-Regular.ttf");
/// Lato Bold.
pub const FONT_BOLD: &[u8] = include_bytes!("../fonts/Lato-Bold.ttf");
/// Lato Italic.
pub const FONT_ITALIC: &[u8] = include_bytes!("../fonts/Lato-Italic.ttf");

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut fonts = Vec::new();
        for data in [FONT_REGULAR, FONT_BOLD, FONT_ITALIC] {
            fonts.extend(Font::iter(Bytes::new(data)));
        }
        let book = FontBook::from_fonts(&fonts);
        Fonts {
            book: LazyHash::new(book),
            fonts,
        }
    })
}

fn library() -> &'static LazyHash<Library> {
    static LIBRARY: OnceLock<LazyHash<Library>> = OnceLock::new();
    LIBRARY.get_or_init(|| LazyHash::new(<Library as LibraryExt>::default()))
}

/// The closed world one document is compiled in.
struct DocWorld {
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: chrono::NaiveDate,
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        library()
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().as_rootless_path().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        use chrono::Datelike;
        Datetime::from_ymd(self.today.year(), self.today.month() as u8, self.today.day() as u8)
    }
}

/// Typst markup being assembled, plus the files it refers to (charts).
#[derive(Default)]
pub struct Markup {
    /// The source text.
    pub text: String,
    files: Vec<(String, Vec<u8>)>,
    tables: Vec<DrawnTable>,
}

impl Markup {
    /// Appends raw typst markup (only for markup written in this crate, never for data).
    pub fn raw(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Registers an in-memory file (e.g. `chart1.svg`) that the markup may load.
    pub fn file(&mut self, name: &str, bytes: Vec<u8>) {
        self.files.push((name.to_owned(), bytes));
    }

    /// Appends a long table whose body Tanggap draws after typst has laid out its
    /// rows (see [`crate::register`]): `texts` are the body cells, `widths` the
    /// relative column widths, `right_aligned` which columns hold numbers.
    pub(crate) fn drawn_table(
        &mut self,
        header: &[String],
        texts: &[Vec<String>],
        widths: &[u32],
        right_aligned: &[bool],
        size: f64,
    ) {
        let label = format!("tanggap-drawn-table-{}", self.tables.len());
        let table = DrawnTable::new(label, texts, widths, right_aligned, size);
        let aligns: Vec<&str> = right_aligned
            .iter()
            .map(|&r| if r { "right" } else { "left" })
            .collect();
        table.markup(&mut self.text, header, &aligns);
        self.tables.push(table);
    }

    /// Compiles the markup into PDF bytes.
    pub fn to_pdf(&self, today: chrono::NaiveDate) -> Result<Vec<u8>, ReportError> {
        let main_id = FileId::new(None, VirtualPath::new("main.typ"));
        let files = self
            .files
            .iter()
            .map(|(name, bytes)| (FileId::new(None, VirtualPath::new(name)), Bytes::new(bytes.clone())))
            .collect();
        let world = DocWorld {
            main: Source::new(main_id, self.text.clone()),
            files,
            today,
        };
        let mut document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|errors| ReportError::Typeset(describe(&errors)))?;
        for table in &self.tables {
            table.draw(&mut document)?;
        }
        let options = typst_pdf::PdfOptions {
            tagged: false,
            ..Default::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|errors| ReportError::Typeset(describe(&errors)))
    }
}

/// The regular face's metrics Tanggap sets text with outside typst (the drawn
/// registers, see [`crate::register`]): glyphs and advances per character, cached for
/// the Latin range, and the cap height, which with typst's default text edges is the
/// height of one line of a paragraph.
pub(crate) struct Metrics {
    /// Lato Regular as typst loaded it, so the PDF embeds one font for both.
    pub regular: Font,
    /// Cap height in em.
    pub cap_height_em: f64,
    latin: Vec<(u16, f64)>,
}

impl Metrics {
    /// The metrics, read once.
    pub fn get() -> &'static Metrics {
        static METRICS: OnceLock<Metrics> = OnceLock::new();
        METRICS.get_or_init(|| {
            let regular = fonts().fonts[0].clone();
            let latin = (0..0x250u32)
                .map(|c| char::from_u32(c).map_or((0, 0.6), |c| Self::lookup(&regular, c)))
                .collect();
            Metrics {
                cap_height_em: regular.metrics().cap_height.get(),
                regular,
                latin,
            }
        })
    }

    fn lookup(font: &Font, c: char) -> (u16, f64) {
        // a character the font lacks is set as its .notdef glyph
        let id = font.ttf().glyph_index(c).map_or(0, |g| g.0);
        (id, font.x_advance(id).map_or(0.6, |em| em.get()))
    }

    /// The glyph of `c` and its advance in em.
    pub fn glyph(&self, c: char) -> (u16, f64) {
        match self.latin.get(c as usize) {
            Some(&glyph) => glyph,
            None => Self::lookup(&self.regular, c),
        }
    }

    /// The advance of `c` in em.
    pub fn advance(&self, c: char) -> f64 {
        self.glyph(c).1
    }
}

fn describe(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors
        .iter()
        .take(5)
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A typst string literal holding `text` exactly (quotes, backslashes and
/// newlines escaped), so data can never be read as markup or code.
pub fn lit(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_escapes_quotes_backslashes_and_markup() {
        assert_eq!(lit("a\"b\\c\n#d"), "\"a\\\"b\\\\c\\n#d\"");
    }

    #[test]
    fn data_that_looks_like_markup_is_printed_not_run() {
        let mut m = Markup::default();
        m.raw("#set page(paper: \"a6\")\n#text(")
            .raw(&lit("#panic(\"x\") *bold* $math$ ] )"))
            .raw(")\n");
        let pdf = m.to_pdf(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
