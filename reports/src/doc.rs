//! One document model, three renderings: every report is first built as a list of
//! [`Block`]s, then written as HTML, as typst markup (PDF) and as XLSX sheets. The
//! three formats therefore cannot disagree on a figure.

use std::fmt::Write as _;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use crate::charts::Chart;
pub use crate::kop::Letterhead;
use crate::register;
use crate::typeset::{Markup, lit};
use crate::{Labels, ReportError};

/// A table cell: numbers stay numbers in XLSX and are formatted the Indonesian way
/// in HTML and PDF.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number shown with the given places.
    Num(f64, usize),
    /// Two decimals shown as "lower – upper" with the given places (a confidence
    /// interval); XLSX writes them as two numeric cells side by side, so a user can
    /// compute with them.
    Range(f64, f64, usize),
    /// Two whole numbers shown as "a / b" (responses collected against the sample
    /// needed); XLSX writes them as two numeric cells side by side.
    Ratio(i64, i64),
    /// No value (printed as the "not available" label).
    Missing,
}

impl Cell {
    /// The text shown in HTML and PDF.
    pub fn display(&self, labels: &Labels) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Int(i) => labels.numbers().int(*i),
            Cell::Num(v, p) => labels.numbers().dec(*v, *p),
            Cell::Range(lo, hi, p) => format!("{} – {}", labels.numbers().dec(*lo, *p), labels.numbers().dec(*hi, *p)),
            Cell::Ratio(a, b) => format!("{} / {}", labels.numbers().int(*a), labels.numbers().int(*b)),
            Cell::Missing => labels.t("reports.common.missing").to_owned(),
        }
    }

    fn numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Num(..) | Cell::Range(..) | Cell::Ratio(..))
    }

    /// XLSX cells this value takes (two for a pair).
    fn xlsx_span(&self) -> u16 {
        match self {
            Cell::Range(..) | Cell::Ratio(..) => 2,
            _ => 1,
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::Int(v as i64)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map(|v| Cell::Num(v, 2)).unwrap_or(Cell::Missing)
    }
}

/// A headline figure ("Pengaduan masuk: 412").
#[derive(Debug, Clone)]
pub struct Figure {
    /// Stable key, written as `data-key` in HTML so tests and scripts can find it.
    pub key: String,
    /// What it is.
    pub label: String,
    /// Its value.
    pub value: Cell,
}

/// A table of the document, also written as an XLSX sheet when `sheet` is set.
#[derive(Debug, Clone)]
pub struct Table {
    /// XLSX sheet name (at most 31 characters); `None` keeps it out of the workbook.
    pub sheet: Option<String>,
    /// Caption above the table.
    pub caption: String,
    /// Column headings.
    pub columns: Vec<String>,
    /// Relative column widths (typst `fr`), one per column.
    pub widths: Vec<u32>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
    /// Smaller type for long registers.
    pub small: bool,
    /// Text shown instead of an empty table.
    pub empty: String,
}

/// A signature block.
#[derive(Debug, Clone)]
pub struct Signature {
    /// The line above ("Disusun oleh", "Mengetahui").
    pub role: String,
    /// Position title.
    pub title: String,
    /// Name, or empty for a blank line to sign on.
    pub name: String,
    /// "NIP ..." line, may be empty.
    pub nip: String,
    /// Status line under the name (e.g. "Disetujui 3 November 2026 10.12").
    pub note: String,
}

/// One part of a document.
#[derive(Debug, Clone)]
pub enum Block {
    /// A chapter (1) or section (2) heading.
    Heading(u8, String),
    /// A paragraph of plain text (newlines kept).
    Para(String),
    /// Headline figures.
    Figures(Vec<Figure>),
    /// A table.
    Table(Table),
    /// A chart, with its file name stem (e.g. `per_kanal`).
    Chart(String, Chart),
    /// Signature blocks side by side.
    Signatures(Vec<Signature>),
    /// Start a new page (PDF only).
    PageBreak,
}

/// A whole document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Issuer.
    pub letterhead: Letterhead,
    /// Title line(s) under the letterhead.
    pub title: String,
    /// Period line.
    pub subtitle: String,
    /// Status line (draft/approved, version), printed in the header of every page.
    pub status: String,
    /// Day the document was produced.
    pub produced_on: NaiveDate,
    /// Body.
    pub blocks: Vec<Block>,
}

/// Escapes text for HTML.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:Lato,'Helvetica Neue',Arial,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#111;line-height:1.4}\
header.kop{text-align:center;border-bottom:3px double #111;padding-bottom:.5rem;margin-bottom:1rem;position:relative;min-height:4.5rem}\
header.kop img.logo{position:absolute;left:0;top:0;height:4.5rem;width:auto}\
header.kop .gov{font-weight:bold;font-size:1.05rem}header.kop .unit{font-weight:bold;font-size:1.3rem}\
header.kop .addr{font-size:.85rem}h1.title{text-align:center;font-size:1.2rem;margin:.5rem 0 0}\
p.sub{text-align:center;margin:.2rem 0 1rem}p.status{text-align:center;font-size:.85rem;color:#555}\
table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem;font-size:.9rem}th,td{border:1px solid #999;padding:.2rem .4rem;vertical-align:top}\
th{background:#e8eef5}td.n{text-align:right;font-variant-numeric:tabular-nums}table.small{font-size:.78rem}\
caption{text-align:left;font-weight:bold;padding:.2rem 0}dl.fig{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.5rem}\
dl.fig div{border:1px solid #bbb;border-radius:4px;padding:.4rem}dl.fig dt{font-size:.8rem;color:#444}dl.fig dd{margin:0;font-size:1.3rem;font-weight:bold}\
figure{margin:.5rem 0 1rem}figure svg{max-width:100%;height:auto}.sigs{display:flex;flex-wrap:wrap;gap:2rem;justify-content:space-between;margin-top:1.5rem}\
.sig{min-width:14rem}.sig .name{margin-top:3rem;font-weight:bold;text-decoration:underline}p.para{white-space:pre-wrap}";

/// The formats of one document made by [`Document::render`]; a format not asked for
/// is `None`.
#[derive(Debug, Clone, Default)]
pub struct Renderings {
    /// The HTML page.
    pub html: Option<String>,
    /// The PDF bytes.
    pub pdf: Option<Vec<u8>>,
    /// The XLSX bytes.
    pub xlsx: Option<Vec<u8>>,
}

impl Document {
    /// The asked-for formats made concurrently: the PDF (typesetting, by far the
    /// slowest) on its own thread while HTML and XLSX are written on the calling one,
    /// so a report on a 2-core machine costs about as long as its PDF.
    pub fn render(&self, labels: &Labels, html: bool, pdf: bool, xlsx: bool) -> Result<Renderings, ReportError> {
        std::thread::scope(|s| {
            let pdf = pdf.then(|| s.spawn(|| self.pdf(labels)));
            let html = html.then(|| self.html(labels)).transpose();
            let xlsx = xlsx.then(|| self.xlsx(labels)).transpose();
            let pdf = pdf
                .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .transpose();
            Ok(Renderings {
                html: html?,
                pdf: pdf?,
                xlsx: xlsx?,
            })
        })
    }

    /// The document as a standalone HTML page (inline CSS and SVG charts).
    pub fn html(&self, labels: &Labels) -> Result<String, ReportError> {
        let mut h = String::with_capacity(64 * 1024);
        let lang = labels.t("reports.common.lang");
        let _ = write!(
            h,
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
            esc(lang),
            esc(&self.title)
        );
        self.letterhead.kop_html(&mut h);
        let _ = write!(
            h,
            "<h1 class=\"title\">{}</h1><p class=\"sub\">{}</p><p class=\"status\">{}</p>",
            esc(&self.title),
            esc(&self.subtitle),
            esc(&self.status)
        );
        for block in &self.blocks {
            match block {
                Block::Heading(1, t) => {
                    let _ = write!(h, "<h2>{}</h2>", esc(t));
                }
                Block::Heading(_, t) => {
                    let _ = write!(h, "<h3>{}</h3>", esc(t));
                }
                Block::Para(t) => {
                    let _ = write!(h, "<p class=\"para\">{}</p>", esc(t));
                }
                Block::Figures(figs) => {
                    h.push_str("<dl class=\"fig\">");
                    for f in figs {
                        let raw = match &f.value {
                            Cell::Int(i) => i.to_string(),
                            Cell::Num(v, _) => v.to_string(),
                            Cell::Range(lo, hi, _) => format!("{lo} {hi}"),
                            Cell::Ratio(a, b) => format!("{a} {b}"),
                            _ => String::new(),
                        };
                        let _ = write!(
                            h,
                            "<div><dt>{}</dt><dd data-key=\"{}\" data-value=\"{}\">{}</dd></div>",
                            esc(&f.label),
                            esc(&f.key),
                            esc(&raw),
                            esc(&f.value.display(labels))
                        );
                    }
                    h.push_str("</dl>");
                }
                Block::Table(t) => html_table(&mut h, t, labels),
                Block::Chart(name, chart) => {
                    let _ = write!(
                        h,
                        "<figure id=\"chart-{}\">{}</figure>",
                        esc(name),
                        chart.svg(labels.numbers())?
                    );
                }
                Block::Signatures(sigs) => {
                    h.push_str("<div class=\"sigs\">");
                    for s in sigs {
                        let _ = write!(
                            h,
                            "<div class=\"sig\"><div>{}</div><div>{}</div><div class=\"name\">{}</div><div>{}</div><div><small>{}</small></div></div>",
                            esc(&s.role),
                            esc(&s.title),
                            esc(if s.name.is_empty() { "\u{a0}" } else { &s.name }),
                            esc(&s.nip),
                            esc(&s.note)
                        );
                    }
                    h.push_str("</div>");
                }
                Block::PageBreak => {}
            }
        }
        h.push_str("</body></html>");
        Ok(h)
    }

    /// The document typeset as PDF (A4, letterhead on the first page, the title and
    /// status in every page header, "page n of N" in the footer).
    pub fn pdf(&self, labels: &Labels) -> Result<Vec<u8>, ReportError> {
        let mut m = Markup::default();
        let _ = write!(
            m.text,
            "#set document(title: {title})\n\
             #set text(font: \"Lato\", size: 10pt, lang: \"id\")\n\
             #set par(justify: false, leading: {leading}em)\n\
             #set page(paper: \"a4\", margin: (x: {margin}pt, top: 2cm, bottom: 2cm),\n\
               header: context {{ if counter(page).get().first() > 1 [#set text(7.5pt, fill: luma(90)); #{title} #h(1fr) #{status}] }},\n\
               footer: context [#set text(8pt, fill: luma(90)); #{unit} #h(1fr) #{page_word} #counter(page).display() #{of_word} #counter(page).final().first()])\n\
             #set table(stroke: {rule}pt + luma({luma}), inset: (x: {inset_x}pt, y: {inset_y}pt))\n\
             #show table.cell.where(y: 0): set text(weight: \"bold\")\n\
             #show heading.where(level: 1): it => block(above: 1.2em, below: 0.7em, text(12pt, weight: \"bold\", it.body))\n\
             #show heading.where(level: 2): it => block(above: 1em, below: 0.5em, text(10.5pt, weight: \"bold\", it.body))\n",
            leading = register::LEADING_EM,
            margin = register::MARGIN_X_PT,
            rule = register::RULE_PT,
            luma = register::RULE_LUMA,
            inset_x = register::INSET_X_PT,
            inset_y = register::INSET_Y_PT,
            title = lit(&self.title),
            status = lit(&self.status),
            unit = lit(&self.letterhead.unit_name),
            page_word = lit(labels.t("reports.common.page")),
            of_word = lit(labels.t("reports.common.of")),
        );
        self.letterhead.kop_markup(&mut m, (11.0, 14.0, 8.5));
        let _ = write!(
            m.text,
            "#align(center)[#text(12pt, weight: \"bold\", {})\\\n#{}\\\n#text(8.5pt, fill: luma(80), {})]\n#v(6pt)\n",
            lit(&self.title),
            lit(&self.subtitle),
            lit(&self.status)
        );
        let mut charts = 0;
        for block in &self.blocks {
            match block {
                Block::Heading(level, t) => {
                    let _ = writeln!(m.text, "#heading(level: {level}, {})", lit(t));
                }
                Block::Para(t) => {
                    let _ = writeln!(m.text, "#par({})\n", lit(t));
                }
                Block::Figures(figs) => {
                    m.text.push_str("#grid(columns: (1fr, 1fr, 1fr, 1fr), gutter: 6pt,\n");
                    for f in figs {
                        let _ = writeln!(
                            m.text,
                            "  rect(width: 100%, stroke: 0.5pt + luma(150), radius: 2pt, inset: 5pt)[#text(7.5pt, {})\\\n#text(13pt, weight: \"bold\", {})],",
                            lit(&f.label),
                            lit(&f.value.display(labels))
                        );
                    }
                    m.text.push_str(")\n");
                }
                Block::Table(t) => typst_table(&mut m, t, labels),
                Block::Chart(name, chart) => {
                    charts += 1;
                    let file = format!("chart{charts}-{name}.svg");
                    m.file(&file, chart.svg(labels.numbers())?.into_bytes());
                    let _ = writeln!(
                        m.text,
                        "#block(breakable: false, align(center, image({}, width: 88%)))",
                        lit(&file)
                    );
                }
                Block::Signatures(sigs) => {
                    let _ = write!(
                        m.text,
                        "#v(10pt)\n#block(breakable: false, grid(columns: ({}), gutter: 10pt,\n",
                        vec!["1fr"; sigs.len().max(1)].join(", ")
                    );
                    for s in sigs {
                        let _ = writeln!(
                            m.text,
                            "  align(center)[#{}\\\n#{}\\\n#v(36pt)#underline(strong({}))\\\n#{}\\\n#text(7.5pt, fill: luma(80), {})],",
                            lit(&s.role),
                            lit(&s.title),
                            lit(if s.name.is_empty() {
                                "                              "
                            } else {
                                &s.name
                            }),
                            lit(&s.nip),
                            lit(&s.note)
                        );
                    }
                    m.text.push_str("))\n");
                }
                Block::PageBreak => m.text.push_str("#pagebreak(weak: true)\n"),
            }
        }
        m.to_pdf(self.produced_on)
    }

    /// The document as an XLSX workbook: a summary sheet (title, period, status and
    /// every headline figure) and one sheet per table that names a sheet. Numbers
    /// are written as numbers, with the same values the PDF prints.
    pub fn xlsx(&self, labels: &Labels) -> Result<Vec<u8>, ReportError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let head = Format::new()
            .set_bold()
            .set_background_color(0xE8EEF5)
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_text_wrap();
        let border = Format::new().set_border(FormatBorder::Thin);
        let dec2 = Format::new().set_border(FormatBorder::Thin).set_num_format("0.00");
        let summary = wb.add_worksheet();
        summary.set_name(labels.t("reports.common.summary_sheet"))?;
        summary.set_column_width(0, 48)?;
        summary.set_column_width(1, 18)?;
        summary.write_string_with_format(0, 0, &self.letterhead.unit_name, &bold)?;
        summary.write_string_with_format(1, 0, &self.title, &bold)?;
        summary.write_string(2, 0, &self.subtitle)?;
        summary.write_string(3, 0, &self.status)?;
        let mut row = 5u32;
        for block in &self.blocks {
            if let Block::Figures(figs) = block {
                for f in figs {
                    summary.write_string(row, 0, &f.label)?;
                    write_cell(summary, row, 1, &f.value, labels, &border, &dec2)?;
                    row += 1;
                }
                row += 1;
            }
        }
        let mut used = std::collections::HashSet::new();
        for block in &self.blocks {
            let Block::Table(t) = block else { continue };
            let Some(sheet_name) = &t.sheet else { continue };
            let mut name: String = sheet_name
                .chars()
                .filter(|c| !"[]:*?/\\".contains(*c))
                .take(31)
                .collect();
            let mut n = 2;
            while !used.insert(name.to_lowercase()) {
                name = format!("{} {n}", name.chars().take(28).collect::<String>());
                n += 1;
            }
            let ws = wb.add_worksheet();
            ws.set_name(&name)?;
            ws.write_string_with_format(0, 0, &t.caption, &bold)?;
            // A column holding pairs (an interval, collected / needed) takes two
            // sheet columns under one merged heading, so each number is a number.
            let spans: Vec<u16> = (0..t.columns.len())
                .map(|c| {
                    t.rows
                        .iter()
                        .filter_map(|r| r.get(c))
                        .map(Cell::xlsx_span)
                        .max()
                        .unwrap_or(1)
                })
                .collect();
            let mut starts = Vec::with_capacity(spans.len());
            let mut x = 0u16;
            for span in &spans {
                starts.push(x);
                x += span;
            }
            for (c, col) in t.columns.iter().enumerate() {
                let (x, span) = (starts[c], spans[c]);
                if span > 1 {
                    ws.merge_range(1, x, 1, x + span - 1, col, &head)?;
                } else {
                    ws.write_string_with_format(1, x, col, &head)?;
                }
                let width = t.widths.get(c).copied().unwrap_or(1).clamp(1, 6) as f64 * 8.0 + 4.0;
                for k in 0..span {
                    ws.set_column_width(x + k, width / span as f64 + 2.0)?;
                }
            }
            for (r, cells) in t.rows.iter().enumerate() {
                for (c, cell) in cells.iter().enumerate() {
                    let x = starts.get(c).copied().unwrap_or(c as u16);
                    write_cell(ws, r as u32 + 2, x, cell, labels, &border, &dec2)?;
                }
            }
        }
        Ok(wb.save_to_buffer()?)
    }
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    labels: &Labels,
    border: &Format,
    dec2: &Format,
) -> Result<(), ReportError> {
    match cell {
        Cell::Int(i) => {
            ws.write_number_with_format(row, col, *i as f64, border)?;
        }
        Cell::Num(v, places) => {
            let v = analytics::round_half_away(*v, *places as u32);
            if *places == 2 {
                ws.write_number_with_format(row, col, v, dec2)?;
            } else {
                let pattern = if *places == 0 {
                    "0".to_owned()
                } else {
                    format!("0.{}", "0".repeat(*places))
                };
                let format = Format::new().set_border(FormatBorder::Thin).set_num_format(&pattern);
                ws.write_number_with_format(row, col, v, &format)?;
            }
        }
        Cell::Range(lo, hi, places) => {
            write_cell(ws, row, col, &Cell::Num(*lo, *places), labels, border, dec2)?;
            write_cell(ws, row, col + 1, &Cell::Num(*hi, *places), labels, border, dec2)?;
        }
        Cell::Ratio(a, b) => {
            ws.write_number_with_format(row, col, *a as f64, border)?;
            ws.write_number_with_format(row, col + 1, *b as f64, border)?;
        }
        other => {
            ws.write_string_with_format(row, col, other.display(labels), border)?;
        }
    }
    Ok(())
}

fn html_table(h: &mut String, t: &Table, labels: &Labels) {
    let _ = write!(
        h,
        "<table{}><caption>{}</caption><thead><tr>",
        if t.small { " class=\"small\"" } else { "" },
        esc(&t.caption)
    );
    for c in &t.columns {
        let _ = write!(h, "<th>{}</th>", esc(c));
    }
    h.push_str("</tr></thead><tbody>");
    if t.rows.is_empty() {
        let _ = write!(h, "<tr><td colspan=\"{}\">{}</td></tr>", t.columns.len(), esc(&t.empty));
    }
    for row in &t.rows {
        h.push_str("<tr>");
        for cell in row {
            if cell.numeric() {
                let _ = write!(h, "<td class=\"n\">{}</td>", esc(&cell.display(labels)));
            } else {
                let _ = write!(h, "<td>{}</td>", esc(&cell.display(labels)));
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>");
}

fn typst_table(m: &mut Markup, t: &Table, labels: &Labels) {
    let right_aligned: Vec<bool> = (0..t.columns.len())
        .map(|i| t.rows.first().and_then(|r| r.get(i)).is_some_and(Cell::numeric))
        .collect();
    let out = &mut m.text;
    let _ = writeln!(out, "#text(weight: \"bold\", {})", lit(&t.caption));
    if t.rows.is_empty() {
        let _ = writeln!(out, "\n#text(style: \"italic\", {})\n", lit(&t.empty));
        return;
    }
    let texts: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|row| row.iter().map(|c| c.display(labels)).collect())
        .collect();
    if t.small {
        // long registers: typst lays out empty rows, Tanggap draws their text
        let widths: Vec<u32> = (0..t.columns.len())
            .map(|i| t.widths.get(i).copied().unwrap_or(1))
            .collect();
        m.drawn_table(&t.columns, &texts, &widths, &right_aligned, REGISTER_PT);
        m.text.push_str("#v(4pt)\n");
        return;
    }
    let widths: Vec<String> = (0..t.columns.len())
        .map(|i| format!("{}fr", t.widths.get(i).copied().unwrap_or(1)))
        .collect();
    let aligns: Vec<&str> = right_aligned
        .iter()
        .map(|&r| if r { "right" } else { "left" })
        .collect();
    let _ = write!(
        out,
        "#{{set text(size: 9pt); table(columns: ({},), align: ({},), fill: (_, y) => if y == 0 {{ rgb(\"#e8eef5\") }},\n  table.header(",
        widths.join(", "),
        aligns.join(", "),
    );
    for c in &t.columns {
        let _ = write!(out, "{}, ", lit(c));
    }
    out.push_str("),\n");
    for row in &texts {
        for text in row {
            out.push_str(&lit(text));
            out.push_str(", ");
        }
        out.push('\n');
    }
    out.push_str(")}\n#v(4pt)\n");
}

/// Type size of long registers (`Table::small`), in points.
const REGISTER_PT: f64 = 7.5;
