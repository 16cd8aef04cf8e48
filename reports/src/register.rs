//! Long tables (registers) whose cells Tanggap draws itself.
//!
//! A month's register holds thousands of rows of plain text. Letting typst set every
//! cell cost about a second per report (evaluating, realising and shaping 30,000
//! cells), most of the monthly report's time. Here typst still lays the table out
//! (the page breaks, the header row repeated on every page, the rules and the fill),
//! but each body row is a single empty cell of a height computed beforehand, holding
//! only a [`MetadataElem`] marker. After compiling, the marker's position tells where
//! typst put the row, and the row's text is drawn into that page's frame, line by
//! line, with the glyphs and advances of the embedded font; the column rules of the
//! body are drawn beside it.
//!
//! Wrapping and row heights come from one function ([`wrap`]), so a row is always
//! exactly as tall as the lines drawn in it. Lines are set without kerning, as plain
//! registers usually are; the header, captions and every other table stay typst's.

use std::fmt::Write as _;

use typst::foundations::{Label, Value};
use typst::introspection::{MetadataElem, Tag};
use typst::layout::{Abs, Em, Frame, FrameItem, PagedDocument, Point};
use typst::syntax::Span;
use typst::text::{Glyph, Lang, TextItem};
use typst::utils::PicoStr;
use typst::visualize::{Color, FixedStroke, Geometry, Luma, Paint, Shape};

use crate::ReportError;
use crate::typeset::{Metrics, lit};

// The page and table geometry the drawing relies on. `Document::pdf` writes its
// preamble from these same constants, so typst's layout and the drawn text cannot
// drift apart.
/// Side margin of a document page (1.8 cm), in points.
pub(crate) const MARGIN_X_PT: f64 = 51.0236;
/// Text width of an A4 page (210 mm) between the side margins, in points.
pub(crate) const TEXT_WIDTH_PT: f64 = 595.2756 - 2.0 * MARGIN_X_PT;
/// Horizontal cell inset (`#set table(inset: ...)`), in points.
pub(crate) const INSET_X_PT: f64 = 4.0;
/// Vertical cell inset, in points.
pub(crate) const INSET_Y_PT: f64 = 3.0;
/// Paragraph leading (`#set par(leading: ...)`), in em.
pub(crate) const LEADING_EM: f64 = 0.55;
/// Thickness of the table rules (`#set table(stroke: ...)`), in points.
pub(crate) const RULE_PT: f64 = 0.5;
/// Grey of the table rules (typst `luma`, 0-255).
pub(crate) const RULE_LUMA: u8 = 140;

/// One wrapped line of a cell: its text and its width in em.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    pub width_em: f64,
}

/// Lines of `text` in the regular face set in a measure of `width_em` (the width
/// divided by the type size): greedy filling at spaces, runs of spaces collapsed and
/// each newline starting a line. A word alone on its line may run `slack_em` into
/// the cell's insets (typst lets such a word overflow its cell; here it stops short
/// of the rule); a word wider still is broken after its last `-` or `/` that fits,
/// and between characters only when it has none. Tabs read as spaces and other
/// control characters are dropped, as [`lit`] does for typst.
pub(crate) fn wrap(text: &str, width_em: f64, slack_em: f64) -> Vec<Line> {
    let metrics = Metrics::get();
    let width_em = width_em.max(0.5);
    let space = metrics.advance(' ');
    let mut lines = Vec::new();
    let cleaned: String = text
        .chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' => Some('\n'),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    let width = |s: &str| -> f64 { s.chars().map(|c| metrics.advance(c)).sum() };
    for paragraph in cleaned.split('\n') {
        let mut line = String::new();
        let mut used = 0.0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let w = width(word);
            if !line.is_empty() {
                if used + space + w <= width_em {
                    line.push(' ');
                    line.push_str(word);
                    used += space + w;
                    continue;
                }
                lines.push(Line {
                    text: std::mem::take(&mut line),
                    width_em: used,
                });
            }
            // the word starts a line
            let mut rest = word;
            let mut w = w;
            while w > width_em + slack_em {
                let head = break_point(rest, width_em, &width);
                lines.push(Line {
                    text: rest[..head].to_owned(),
                    width_em: width(&rest[..head]),
                });
                rest = &rest[head..];
                w = width(rest);
            }
            line.push_str(rest);
            used = w;
        }
        lines.push(Line {
            text: line,
            width_em: used,
        });
    }
    lines
}

/// Most lines a drawn cell shows: a row must fit on a page (typst cannot break a row
/// of fixed height), and 40 lines at 7.5 pt take well under half of one. The XLSX
/// sheet keeps the whole text.
const MAX_LINES: usize = 40;

/// The first `max` of `lines`, the last of them ending in "…" when any were left
/// out (characters dropped from its end until the mark fits the measure).
fn shorten(mut lines: Vec<Line>, max: usize, width_em: f64) -> Vec<Line> {
    if lines.len() <= max || max == 0 {
        return lines;
    }
    lines.truncate(max);
    let metrics = Metrics::get();
    let mark = metrics.advance('…');
    let last = lines.last_mut().expect("max > 0");
    while last.width_em + mark > width_em {
        let Some(c) = last.text.pop() else { break };
        last.width_em -= metrics.advance(c);
    }
    last.text.push('…');
    last.width_em += mark;
    lines
}

/// Where to break a word wider than the measure: after its last `-` or `/` whose
/// part fits, else after as many characters as fit (at least one). A byte offset.
fn break_point(word: &str, width_em: f64, width: &dyn Fn(&str) -> f64) -> usize {
    let mut fits = 0;
    let mut after_mark = None;
    let mut used = 0.0;
    for (at, c) in word.char_indices() {
        used += width(&word[at..at + c.len_utf8()]);
        if used > width_em {
            break;
        }
        fits = at + c.len_utf8();
        if matches!(c, '-' | '/') && fits < word.len() {
            after_mark = Some(fits);
        }
    }
    match after_mark {
        Some(at) => at,
        None if fits > 0 => fits,
        None => word.chars().next().map_or(word.len(), char::len_utf8),
    }
}

/// A column of a drawn table, in points from the table's left edge.
#[derive(Debug, Clone)]
struct Column {
    /// Relative width (typst `fr`).
    fr: u32,
    left: f64,
    width: f64,
    right_aligned: bool,
}

/// A table typst lays out with empty rows and Tanggap fills in after compiling.
#[derive(Debug, Clone)]
pub(crate) struct DrawnTable {
    label: String,
    size: f64,
    columns: Vec<Column>,
    /// Per row, per column, the wrapped lines.
    rows: Vec<Vec<Vec<Line>>>,
    /// Per row, its height in points.
    heights: Vec<f64>,
}

impl DrawnTable {
    /// Wraps every cell of `texts` for columns of the given relative widths (typst
    /// `fr`) across the page's text width, in type of `size` points.
    pub(crate) fn new(label: String, texts: &[Vec<String>], widths: &[u32], right_aligned: &[bool], size: f64) -> Self {
        let total = widths.iter().sum::<u32>().max(1) as f64;
        let mut left = 0.0;
        let columns: Vec<Column> = widths
            .iter()
            .zip(right_aligned)
            .map(|(&w, &right_aligned)| {
                let width = TEXT_WIDTH_PT * w as f64 / total;
                let column = Column {
                    fr: w,
                    left,
                    width,
                    right_aligned,
                };
                left += width;
                column
            })
            .collect();
        let metrics = Metrics::get();
        // a lone word may reach to within a point of the column rule
        let slack = (2.0 * INSET_X_PT - 2.0).max(0.0) / size;
        let line_height = metrics.cap_height_em * size;
        let leading = LEADING_EM * size;
        let rows: Vec<Vec<Vec<Line>>> = texts
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&columns)
                    .map(|(text, c)| {
                        let measure = (c.width - 2.0 * INSET_X_PT) / size;
                        shorten(wrap(text, measure, slack), MAX_LINES, measure)
                    })
                    .collect()
            })
            .collect();
        let heights = rows
            .iter()
            .map(|cells| {
                let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f64;
                lines * line_height + (lines - 1.0) * leading + 2.0 * INSET_Y_PT + 0.5
            })
            .collect();
        DrawnTable {
            label,
            size,
            columns,
            rows,
            heights,
        }
    }

    /// The typst markup of the table: the header row as given, then one empty,
    /// full-width cell per body row, of the row's height, marked for [`Self::draw`].
    pub(crate) fn markup(&self, out: &mut String, header: &[String], aligns: &[&str]) {
        let widths: Vec<String> = self.columns.iter().map(|c| format!("{}fr", c.fr)).collect();
        let _ = write!(
            out,
            "#{{set text(size: {size}pt); let r(i) = table.cell(colspan: {n}, align: left + top)[#metadata(i)<{label}>]\n\
             table(columns: ({widths},), align: ({aligns},), fill: (_, y) => if y == 0 {{ rgb(\"#e8eef5\") }}, rows: (auto, ",
            size = self.size,
            n = self.columns.len(),
            label = self.label,
            widths = widths.join(", "),
            aligns = aligns.join(", "),
        );
        for h in &self.heights {
            let _ = write!(out, "{h:.3}pt, ");
        }
        out.push_str("),\n  table.header(");
        for c in header {
            out.push_str(&lit(c));
            out.push_str(", ");
        }
        out.push_str("),\n");
        for i in 0..self.rows.len() {
            let _ = write!(out, "r({i}),");
            if i % 16 == 15 {
                out.push('\n');
            }
        }
        out.push_str(")}\n");
    }

    /// Draws every row's text, and the body's column rules, where typst laid the row
    /// out: into the frame that holds the row's marker, right after it, so the text
    /// keeps its place in the page's reading order. Fails if a row's marker is
    /// missing or found twice.
    pub(crate) fn draw(&self, document: &mut PagedDocument) -> Result<(), ReportError> {
        let label = Label::new(PicoStr::intern(&self.label))
            .ok_or_else(|| ReportError::Typeset(format!("bad label {}", self.label)))?;
        let mut drawn = vec![false; self.rows.len()];
        for page in &mut document.pages {
            let mut found = Vec::new();
            collect_marks(&page.frame, label, &mut found);
            let (Some(&first), Some(&last)) = (found.iter().min(), found.iter().max()) else {
                continue;
            };
            for &i in &found {
                if i >= self.rows.len() || std::mem::replace(&mut drawn[i], true) {
                    return Err(ReportError::Typeset(format!("{}: stray row marker", self.label)));
                }
            }
            if last - first + 1 != found.len() {
                return Err(ReportError::Typeset(format!("{}: rows out of order", self.label)));
            }
            let body = self.heights[first..=last].iter().sum::<f64>();
            let mut items = |i: usize| self.row_items(i, (i == first).then_some(body));
            fill_marks(&mut page.frame, label, &mut items);
        }
        match drawn.iter().position(|d| !d) {
            Some(i) => Err(ReportError::Typeset(format!(
                "{}: row {} was not laid out",
                self.label,
                i + 1
            ))),
            None => Ok(()),
        }
    }

    /// Row `i`'s text lines, relative to its marker (the cell's content origin: the
    /// table's left edge and the row's top, plus the insets); with `rules`, also the
    /// body's column rules on this page, `rules` points long from the row's top.
    fn row_items(&self, i: usize, rules: Option<f64>) -> Vec<(Point, FrameItem)> {
        let metrics = Metrics::get();
        let size = Abs::pt(self.size);
        let line_pitch = (metrics.cap_height_em + LEADING_EM) * self.size;
        let mut items = Vec::new();
        for (lines, column) in self.rows[i].iter().zip(&self.columns) {
            let cell = column.left - INSET_X_PT;
            for (k, line) in lines.iter().enumerate().filter(|(_, l)| !l.text.is_empty()) {
                let w = line.width_em * self.size;
                let x = if w > column.width - 2.0 * INSET_X_PT {
                    // a lone word running into the insets: centred, clear of both rules
                    cell + (column.width - w) / 2.0
                } else if column.right_aligned {
                    cell + column.width - INSET_X_PT - w
                } else {
                    cell + INSET_X_PT
                };
                let baseline = metrics.cap_height_em * self.size + k as f64 * line_pitch;
                items.push((
                    Point::new(Abs::pt(x), Abs::pt(baseline)),
                    FrameItem::Text(metrics.text_item(&line.text, size, Paint::Solid(Color::BLACK))),
                ));
            }
        }
        if let Some(length) = rules {
            let rule = FixedStroke::from_pair(Color::Luma(Luma::new(RULE_LUMA as f32 / 255.0, 1.0)), Abs::pt(RULE_PT));
            for column in self.columns.iter().skip(1) {
                let shape = Shape {
                    geometry: Geometry::Line(Point::new(Abs::zero(), Abs::pt(length))),
                    fill: None,
                    fill_rule: Default::default(),
                    stroke: Some(rule.clone()),
                };
                items.push((
                    Point::new(Abs::pt(column.left - INSET_X_PT), Abs::pt(-INSET_Y_PT)),
                    FrameItem::Shape(shape, Span::detached()),
                ));
            }
        }
        items
    }
}

/// The row index of `item` when it starts a marker labelled `label`.
fn mark_of(item: &FrameItem, label: Label) -> Option<usize> {
    let FrameItem::Tag(Tag::Start(content, _)) = item else {
        return None;
    };
    if content.label() != Some(label) {
        return None;
    }
    match content.to_packed::<MetadataElem>()?.value {
        Value::Int(i) => usize::try_from(i).ok(),
        _ => Some(usize::MAX),
    }
}

/// The rows whose markers lie in `frame` or the groups inside it.
fn collect_marks(frame: &Frame, label: Label, found: &mut Vec<usize>) {
    for (_, item) in frame.items() {
        match item {
            FrameItem::Group(group) => collect_marks(&group.frame, label, found),
            item => found.extend(mark_of(item, label)),
        }
    }
}

/// Rebuilds `frame` (and the groups inside it that hold markers) with each row's
/// items placed right after its marker.
fn fill_marks(frame: &mut Frame, label: Label, items: &mut dyn FnMut(usize) -> Vec<(Point, FrameItem)>) {
    let mut marked = Vec::new();
    collect_marks(frame, label, &mut marked);
    if marked.is_empty() {
        return;
    }
    let mut out = Vec::with_capacity(frame.items().len() + 16 * marked.len());
    for (pos, item) in frame.items() {
        match item {
            FrameItem::Group(group) => {
                let mut group = group.clone();
                fill_marks(&mut group.frame, label, items);
                out.push((*pos, FrameItem::Group(group)));
            }
            item => {
                out.push((*pos, item.clone()));
                if let Some(i) = mark_of(item, label) {
                    out.extend(items(i).into_iter().map(|(p, it)| (*pos + p, it)));
                }
            }
        }
    }
    frame.clear();
    frame.push_multiple(out);
}

impl Metrics {
    /// A run of text in the regular face, one glyph per character, unkerned.
    fn text_item(&self, text: &str, size: Abs, fill: Paint) -> TextItem {
        let glyphs = text
            .char_indices()
            .map(|(at, c)| {
                let (id, advance) = self.glyph(c);
                Glyph {
                    id,
                    x_advance: Em::new(advance),
                    x_offset: Em::zero(),
                    y_advance: Em::zero(),
                    y_offset: Em::zero(),
                    range: at as u16..(at + c.len_utf8()) as u16,
                    span: (Span::detached(), 0),
                }
            })
            .collect();
        TextItem {
            font: self.regular.clone(),
            size,
            fill,
            stroke: None,
            lang: Lang::INDONESIAN,
            region: None,
            text: text.into(),
            glyphs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn width(text: &str) -> f64 {
        text.chars().map(|c| Metrics::get().advance(c)).sum()
    }

    #[test]
    fn wrap_fills_greedily_at_spaces() {
        let word = width("Antrean");
        assert!((3.0..4.0).contains(&word), "Antrean is {word} em in Lato");
        let texts = |lines: Vec<Line>| lines.into_iter().map(|l| l.text).collect::<Vec<_>>();
        assert_eq!(texts(wrap("Antrean", 100.0, 0.0)), ["Antrean"]);
        assert_eq!(texts(wrap("Antrean  Antrean Antrean", word + 0.1, 0.0)), ["Antrean"; 3]);
        assert_eq!(
            texts(wrap("Antrean Antrean Antrean", 2.0 * word + 0.3, 0.0)),
            ["Antrean Antrean", "Antrean"]
        );
        assert_eq!(texts(wrap("a\nb", 100.0, 0.0)), ["a", "b"]);
        assert_eq!(texts(wrap("", 10.0, 0.0)), [""]);
        assert_eq!(texts(wrap("a\tb\u{7}c", 100.0, 0.0)), ["a bc"]);
    }

    #[test]
    fn a_lone_word_may_use_the_slack_but_never_shares_it() {
        let texts = |lines: Vec<Line>| lines.into_iter().map(|l| l.text).collect::<Vec<_>>();
        let sedang = width("Sedang");
        // wider than the measure, within the slack: kept whole
        assert_eq!(texts(wrap("Sedang", sedang - 0.2, 0.5)), ["Sedang"]);
        // beyond the slack: broken
        assert_eq!(wrap("Sedang", sedang - 0.6, 0.5).len(), 2);
        // two words never use the slack together
        let two = width("Sedang Sedang");
        assert_eq!(texts(wrap("Sedang Sedang", two - 0.2, 0.5)), ["Sedang", "Sedang"]);
    }

    #[test]
    fn a_word_wider_than_the_measure_breaks_after_a_hyphen_or_slash_first() {
        let texts = |lines: Vec<Line>| lines.into_iter().map(|l| l.text).collect::<Vec<_>>();
        let measure = width("ADU/2026/") + 0.1;
        assert_eq!(texts(wrap("ADU/2026/045755", measure, 0.0)), ["ADU/2026/", "045755"]);
        let measure = width("SP4N-LAP");
        assert_eq!(texts(wrap("SP4N-LAPOR!", measure, 0.0)), ["SP4N-", "LAPOR!"]);
        // no mark: between characters
        let measure = width("Ditindak") + 0.01;
        assert_eq!(texts(wrap("Ditindaklanjuti", measure, 0.0)), ["Ditindak", "lanjuti"]);
    }

    #[test]
    fn a_cell_of_more_lines_than_a_page_holds_is_cut_with_a_mark() {
        let text = "kata ".repeat(2000);
        let lines = shorten(wrap(&text, 6.0, 0.0), MAX_LINES, 6.0);
        assert_eq!(lines.len(), MAX_LINES);
        let last = lines.last().unwrap();
        assert!(last.text.ends_with('…'), "{last:?}");
        assert!(last.width_em <= 6.0 + 1e-9);
        assert!((width(&last.text) - last.width_em).abs() < 1e-9);
        // a cell that fits is left as it is
        let short = wrap("kata kata", 6.0, 0.0);
        assert_eq!(shorten(short.clone(), MAX_LINES, 6.0), short);
    }

    #[test]
    fn wrap_never_overfills_and_loses_no_character() {
        let text = "ADU/2026/000123456789 pengaduan-yang-sangat-panjang-sekali x";
        for measure in [0.1, 2.0, 3.5, 5.0, 8.0, 13.0] {
            for slack in [0.0, 0.8] {
                let lines = wrap(text, measure, slack);
                for line in &lines {
                    assert!((width(&line.text) - line.width_em).abs() < 1e-9);
                    // only a single character may be wider than the measure and slack
                    assert!(
                        line.width_em <= measure.max(0.5) + slack || line.text.chars().count() == 1,
                        "{line:?} in {measure} em"
                    );
                }
                let joined: String = lines.iter().map(|l| l.text.replace(' ', "")).collect();
                assert_eq!(joined, text.replace(' ', ""), "no character lost at {measure} em");
            }
        }
    }
}
