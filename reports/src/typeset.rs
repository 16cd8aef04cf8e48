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
        let document = typst::compile::<PagedDocument>(&world)
            .output
            .map_err(|errors| ReportError::Typeset(describe(&errors)))?;
        let options = typst_pdf::PdfOptions {
            tagged: false,
            ..Default::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|errors| ReportError::Typeset(describe(&errors)))
    }
}

/// Cap height of the regular face in em: with typst's default text edges a line of
/// a paragraph is this tall, so row heights can be computed before typesetting.
pub(crate) fn cap_height_em() -> f64 {
    fonts().fonts[0].metrics().cap_height.get()
}

/// Lines `text` takes in the regular face when set in a measure of `width_em` (the
/// width divided by the type size): greedy filling at spaces with the glyphs' advance
/// widths, each newline starting a line, and a word wider than the measure counted
/// as the lines it would fill. Typst breaks at least as often (spaces, and also
/// after hyphens) and kerns, so it never needs more lines than this.
pub(crate) fn wrapped_lines(text: &str, width_em: f64) -> usize {
    let font = &fonts().fonts[0];
    let advance = |c: char| -> f64 {
        font.ttf()
            .glyph_index(c)
            .and_then(|g| font.x_advance(g.0))
            .map(|em| em.get())
            .unwrap_or(0.6)
    };
    let space = advance(' ');
    let width_em = width_em.max(0.5);
    let mut lines = 0;
    for paragraph in text.split('\n') {
        lines += 1;
        let mut used = 0.0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let w: f64 = word.chars().map(advance).sum();
            if used > 0.0 && used + space + w <= width_em {
                used += space + w;
            } else {
                if used > 0.0 {
                    lines += 1;
                }
                // a word longer than the measure fills whole lines of its own
                let extra = (w / width_em).ceil().max(1.0) as usize - 1;
                lines += extra;
                used = w - extra as f64 * width_em;
            }
        }
    }
    lines.max(1)
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
    fn wrapped_lines_fill_greedily_at_spaces() {
        let one = wrapped_lines("Antrean", 100.0);
        assert_eq!(one, 1);
        let word: f64 = 4.0; // "Antrean" is about 3.3 em wide in Lato
        assert_eq!(wrapped_lines("Antrean Antrean Antrean", word), 3);
        assert_eq!(wrapped_lines("Antrean Antrean Antrean", 2.0 * word + 0.3), 2);
        assert_eq!(wrapped_lines("a\nb", 100.0), 2);
        assert_eq!(wrapped_lines("", 10.0), 1);
        assert!(
            wrapped_lines("ADU/2026/000123456789", 2.0) >= 3,
            "a long word fills lines"
        );
    }

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
