//! Charts drawn with plotters: SVG for HTML and PDF, PNG on request.
//!
//! Text is measured and drawn with the embedded Lato font (plotters' `ab_glyph`
//! backend, registered from bytes), never a system font lookup, so the same chart
//! comes out on every machine.
//!
//! Category labels under the horizontal axis never overlap: each is measured with
//! that font and wrapped at spaces to the width of its own slot (a bar's segment,
//! or the distance between two points of a line), in a smaller size when a word
//! does not fit, split inside the word only at the smallest size; the chart grows
//! downwards to hold the lines (see [`axis_labels`]). Numbers on the axes and over
//! the bars are written in the document's [`NumberFormat`].

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::ReportError;
use crate::fmt::NumberFormat;
use crate::logo::Logo;

/// The font family name charts use; registered from [`crate::typeset::FONT_REGULAR`].
pub const FAMILY: &str = "Lato";

const BLUE: RGBColor = RGBColor(31, 87, 150);
const ORANGE: RGBColor = RGBColor(214, 110, 24);
const GREEN: RGBColor = RGBColor(46, 139, 87);
const GREY: RGBColor = RGBColor(120, 120, 120);

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font checked in by hand; a failure here
        // would be a broken checkout, and text would then fall back to boxes.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, crate::typeset::FONT_REGULAR);
        let _ = plotters::style::register_font(FAMILY, FontStyle::Bold, crate::typeset::FONT_BOLD);
    });
}

fn err<E: std::fmt::Debug>(e: E) -> ReportError {
    ReportError::Chart(format!("{e:?}"))
}

/// A coloured horizontal band behind a bar chart (e.g. a mutu grade's range).
#[derive(Debug, Clone)]
pub struct Band {
    /// Lower bound on the value axis.
    pub from: f64,
    /// Upper bound on the value axis.
    pub to: f64,
    /// Label printed at the band's right edge (e.g. "A").
    pub label: String,
}

/// A vertical bar chart: one bar per category.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Title above the chart.
    pub title: String,
    /// Category labels, in order.
    pub labels: Vec<String>,
    /// One value per label.
    pub values: Vec<f64>,
    /// Value axis range; `None` = 0 to the largest value plus a margin.
    pub range: Option<(f64, f64)>,
    /// Bands drawn behind the bars.
    pub bands: Vec<Band>,
}

/// A line chart over ordered periods: one line per series, gaps where a value is missing.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Title above the chart.
    pub title: String,
    /// Period labels, in order.
    pub labels: Vec<String>,
    /// `(series name, one value per label)`.
    pub series: Vec<(String, Vec<Option<f64>>)>,
    /// Value axis range; `None` = 0 to the largest value plus a margin.
    pub range: Option<(f64, f64)>,
}

/// Either chart kind, so documents can hold a list of charts.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Bars.
    Bar(BarChart),
    /// Lines.
    Line(LineChart),
}

/// Width of every chart, in pixels.
pub const WIDTH: u32 = 760;
/// Height of a chart whose axis labels take one line (more lines add to it).
const BASE_HEIGHT: u32 = 360;
/// Outer margin, value-axis label area and the least category-label area, in pixels.
const MARGIN: u32 = 12;
const Y_AREA: u32 = 56;
const MIN_X_AREA: u32 = 36;
/// Height of the band holding the logo and the title on the public image, and the
/// height a chart's own caption takes (given back when the title is in the band).
const LOGO_BAND: u32 = 56;
const CAPTION_SPACE: u32 = 32;
/// Space under the axis before the first label line, and between two labels.
const LABEL_TOP: u32 = 8;
const LABEL_GAP: f64 = 4.0;

/// Category labels laid out under their slots: the type size and each label's lines.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisLabels {
    /// Type size (plotters' size, the font's line height in pixels).
    pub size: u32,
    /// The lines of each label, top to bottom.
    pub lines: Vec<Vec<String>>,
}

impl AxisLabels {
    fn line_height(&self) -> u32 {
        (self.size as f64 * 1.1).ceil() as u32
    }

    /// Height of the label area under the axis.
    fn area(&self) -> u32 {
        let lines = self.lines.iter().map(Vec::len).max().unwrap_or(1).max(1) as u32;
        (LABEL_TOP + lines * self.line_height() + 4).max(MIN_X_AREA)
    }
}

/// Width of `text` in the chart font at `size`, in pixels.
fn text_width(text: &str, size: u32) -> f64 {
    register();
    (FAMILY, size as f64)
        .into_font()
        .box_size(text)
        .map(|(w, _)| w as f64)
        // Without the font (a broken checkout) assume wide glyphs, so layout errs
        // on the side of more lines.
        .unwrap_or(text.chars().count() as f64 * size as f64 * 0.7)
}

/// Lays out category labels for slots `slot` pixels wide: every line of every label
/// at most `slot` minus a gap wide, so neighbours never touch. Tries `max_size`
/// down to 8 wrapping only at spaces within three lines; at 8 it also splits words
/// and cuts a label to five lines, ending in "…".
pub fn axis_labels(labels: &[String], slot: f64, max_size: u32) -> AxisLabels {
    let room = (slot - LABEL_GAP).max(8.0);
    for size in (8..=max_size.max(8)).rev() {
        let wrapped: Option<Vec<Vec<String>>> = labels
            .iter()
            .map(|l| wrap_words(l, room, size).filter(|lines| lines.len() <= 3))
            .collect();
        if let Some(lines) = wrapped {
            return AxisLabels { size, lines };
        }
    }
    let size = 8;
    let lines = labels.iter().map(|l| wrap_hard(l, room, size, 5)).collect();
    AxisLabels { size, lines }
}

/// The pieces a label may break between: words, and the parts of a word after a
/// hyphen or slash ("SP4N-" "LAPOR!"); `true` when a space precedes the piece.
fn pieces(label: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for word in label.split_whitespace() {
        let mut piece = String::new();
        let mut first = true;
        for c in word.chars() {
            piece.push(c);
            if c == '-' || c == '/' {
                out.push((first, std::mem::take(&mut piece)));
                first = false;
            }
        }
        if !piece.is_empty() {
            out.push((first, piece));
        }
    }
    out
}

/// Greedy wrapping at spaces and after hyphens; `None` when a piece is wider than
/// `room`.
fn wrap_words(label: &str, room: f64, size: u32) -> Option<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (spaced, word) in pieces(label) {
        if text_width(&word, size) > room {
            return None;
        }
        let candidate = if line.is_empty() {
            word.clone()
        } else if spaced {
            format!("{line} {word}")
        } else {
            format!("{line}{word}")
        };
        if text_width(&candidate, size) <= room {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    Some(lines)
}

/// Wrapping that also splits words, at most `max_lines` lines (the last one cut
/// with "…" when the label is longer).
fn wrap_hard(label: &str, room: f64, size: u32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = vec![String::new()];
    for (k, word) in label.split_whitespace().enumerate() {
        let last = lines.last_mut().expect("one line at least");
        let spaced = if k == 0 || last.is_empty() {
            word.to_owned()
        } else {
            format!("{last} {word}")
        };
        if text_width(&spaced, size) <= room {
            *last = spaced;
            continue;
        }
        if !last.is_empty() {
            lines.push(String::new());
        }
        for c in word.chars() {
            let last = lines.last_mut().expect("one line at least");
            last.push(c);
            if text_width(last, size) > room {
                last.pop();
                lines.push(c.to_string());
            }
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        last.push('…');
        while text_width(last, size) > room && last.chars().count() > 1 {
            last.pop();
            last.pop();
            last.push('…');
        }
    }
    lines
}

/// A value-axis number: whole numbers without decimals, others with one or two.
fn axis_number(nf: NumberFormat, v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        nf.int(v.round() as i64)
    } else if ((v * 10.0) - (v * 10.0).round()).abs() < 1e-6 {
        nf.dec(v, 1)
    } else {
        nf.dec(v, 2)
    }
}

impl Chart {
    fn categories(&self) -> (&[String], u32) {
        match self {
            Chart::Bar(c) => (&c.labels, if c.labels.len() > 6 { 11 } else { 13 }),
            Chart::Line(c) => (&c.labels, 11),
        }
    }

    /// The category labels as this chart lays them out.
    pub fn axis_labels(&self) -> AxisLabels {
        let (labels, max_size) = self.categories();
        let n = labels.len().max(1);
        let right = match self {
            Chart::Bar(c) => right_margin(&c.bands),
            Chart::Line(c) => line_right_margin(c.labels.len()),
        };
        let plot = (WIDTH - MARGIN - right - Y_AREA) as f64;
        let slot = match self {
            // `(0..n).into_segmented()` has n + 1 segments (the last one empty).
            Chart::Bar(_) => plot / (n + 1) as f64,
            Chart::Line(_) => plot / n.saturating_sub(1).max(1) as f64,
        };
        axis_labels(labels, slot, max_size)
    }

    fn size(&self, axis: &AxisLabels) -> (u32, u32) {
        (WIDTH, BASE_HEIGHT - MIN_X_AREA + axis.area())
    }

    /// The chart as an SVG document, numbers written in `nf`.
    pub fn svg(&self, nf: NumberFormat) -> Result<String, ReportError> {
        register();
        let axis = self.axis_labels();
        let size = self.size(&axis);
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
            self.draw(&root, nf, &axis)?;
            root.present().map_err(err)?;
        }
        Ok(out)
    }

    /// The chart as a PNG image, numbers written in `nf`.
    pub fn png(&self, nf: NumberFormat) -> Result<Vec<u8>, ReportError> {
        self.png_with_logo(nf, None)
    }

    /// The chart as a PNG image with the unit's logo in its top left corner (the
    /// public IKM image).
    ///
    /// With a logo the title moves into a band across the top, the logo at its left,
    /// and the chart is drawn under the band, so the logo covers nothing.
    pub fn png_with_logo(&self, nf: NumberFormat, logo: Option<&Logo>) -> Result<Vec<u8>, ReportError> {
        register();
        let axis = self.axis_labels();
        let (width, height) = self.size(&axis);
        let band = if logo.is_some() { LOGO_BAND } else { 0 };
        let size = (width, height + band - if logo.is_some() { CAPTION_SPACE } else { 0 });
        let mut buffer = vec![0u8; (size.0 * size.1 * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
            if logo.is_some() {
                root.fill(&WHITE).map_err(err)?;
                let (top, rest) = root.split_vertically(band);
                let style = TextStyle::from((FAMILY, 20).into_font().style(FontStyle::Bold))
                    .pos(Pos::new(HPos::Center, VPos::Center));
                top.draw(&Text::new(
                    self.title().to_owned(),
                    ((width / 2) as i32, (band / 2) as i32),
                    style,
                ))
                .map_err(err)?;
                self.untitled().draw(&rest, nf, &axis)?;
            } else {
                self.draw(&root, nf, &axis)?;
            }
            root.present().map_err(err)?;
        }
        if let Some(logo) = logo {
            let side = band - 8;
            logo.draw_onto(&mut buffer, size.0, (8, 4), (side, side));
        }
        encode_png(buffer, size)
    }

    fn title(&self) -> &str {
        match self {
            Chart::Bar(c) => &c.title,
            Chart::Line(c) => &c.title,
        }
    }

    /// The same chart without its caption (drawn elsewhere).
    fn untitled(&self) -> Chart {
        let mut chart = self.clone();
        match &mut chart {
            Chart::Bar(c) => c.title.clear(),
            Chart::Line(c) => c.title.clear(),
        }
        chart
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, plotters::coord::Shift>,
        nf: NumberFormat,
        axis: &AxisLabels,
    ) -> Result<(), ReportError>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(err)?;
        match self {
            Chart::Bar(c) => draw_bars(root, c, nf, axis),
            Chart::Line(c) => draw_lines(root, c, nf, axis),
        }
    }
}

/// Draws the laid-out category labels, each centred under its x pixel.
fn draw_axis_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    axis: &AxisLabels,
    centres: impl Iterator<Item = (i32, i32)>,
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let style = TextStyle::from((FAMILY, axis.size as f64).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    // `centres` are backend pixels; the area may start lower (under a title band).
    let (dx, dy) = root.get_base_pixel();
    for (lines, (x, bottom)) in axis.lines.iter().zip(centres) {
        let (x, bottom) = (x - dx, bottom - dy);
        for (k, line) in lines.iter().enumerate() {
            let y = bottom + LABEL_TOP as i32 + (k as u32 * axis.line_height()) as i32;
            root.draw(&Text::new(line.clone(), (x, y), style.clone()))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// Encodes a raw RGB buffer as PNG.
pub fn encode_png(rgb: Vec<u8>, (w, h): (u32, u32)) -> Result<Vec<u8>, ReportError> {
    let image = image::RgbImage::from_raw(w, h, rgb).ok_or_else(|| ReportError::Chart("buffer size".into()))?;
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(err)?;
    Ok(png)
}

/// Decodes a PNG into RGB pixels (width, height, three bytes a pixel), so callers can
/// look for a colour (a logo) in a rendered image.
pub fn decode_rgb(png: &[u8]) -> Result<(u32, u32, Vec<u8>), ReportError> {
    let image = image::load_from_memory(png).map_err(err)?.to_rgb8();
    Ok((image.width(), image.height(), image.into_raw()))
}

/// Decodes a PNG into grey levels (one byte per pixel), so callers can check that a
/// rendered page or chart is not blank without another image dependency.
pub fn decode_luma(png: &[u8]) -> Result<Vec<u8>, ReportError> {
    Ok(image::load_from_memory(png).map_err(err)?.to_luma8().into_raw())
}

fn upper(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.fold(0.0f64, f64::max);
    if max <= 0.0 { 1.0 } else { max * 1.15 }
}

/// The right margin of a line chart: half a label slot, so the last point's label,
/// centred under it, stays inside the image. With plot width `P = W - left - r` and
/// `r = P / (2 (n - 1))`, `P = (W - left) / (1 + 1 / (2 (n - 1)))`.
fn line_right_margin(n: usize) -> u32 {
    let gaps = n.saturating_sub(1).max(1) as f64;
    let left = (WIDTH - MARGIN - Y_AREA) as f64;
    let plot = left / (1.0 + 1.0 / (2.0 * gaps));
    ((plot / (2.0 * gaps)).ceil() as u32).max(MARGIN)
}

/// The right margin of a bar chart: wider when band names are printed in it.
fn right_margin(bands: &[Band]) -> u32 {
    if bands.is_empty() { MARGIN } else { 3 * MARGIN }
}

fn band_colour(i: usize) -> RGBColor {
    [
        RGBColor(253, 226, 226),
        RGBColor(254, 240, 214),
        RGBColor(230, 242, 255),
        RGBColor(223, 245, 228),
    ][i % 4]
}

fn draw_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &BarChart,
    nf: NumberFormat,
    axis: &AxisLabels,
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let n = c.labels.len().max(1);
    let (lo, hi) = c.range.unwrap_or((0.0, upper(c.values.iter().copied())));
    let mut builder = ChartBuilder::on(root);
    if !c.title.is_empty() {
        builder.caption(&c.title, (FAMILY, 20).into_font().style(FontStyle::Bold));
    }
    let mut chart = builder
        .margin(MARGIN)
        .margin_right(right_margin(&c.bands))
        .x_label_area_size(axis.area())
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d((0..n).into_segmented(), lo..hi)
        .map_err(err)?;
    for (i, band) in c.bands.iter().enumerate() {
        let (from, to) = (band.from.max(lo), band.to.min(hi));
        if from >= to {
            continue;
        }
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(SegmentValue::Exact(0), from), (SegmentValue::Last, to)],
                band_colour(i).filled(),
            )))
            .map_err(err)?;
        // The band's name sits in the right margin, beside the plot, where no bar
        // or bar value can run into it.
        let (x, y) = chart.backend_coord(&(SegmentValue::Last, (from + to) / 2.0));
        let (x, y) = (x - root.get_base_pixel().0, y - root.get_base_pixel().1);
        let style = TextStyle::from((FAMILY, 13).into_font())
            .color(&GREY)
            .pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(band.label.clone(), (x + 4, y), style))
            .map_err(err)?;
    }
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .y_label_style((FAMILY, 12))
        // Category labels are drawn by `draw_axis_labels`; the mesh draws ticks only
        // (its empty labels still name the embedded font, never a system one).
        .x_label_style((FAMILY, 11))
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|v| axis_number(nf, *v))
        .draw()
        .map_err(err)?;
    draw_axis_labels(
        root,
        axis,
        (0..c.labels.len()).map(|i| chart.backend_coord(&(SegmentValue::CenterOf(i), lo))),
    )?;
    chart
        .draw_series(c.values.iter().enumerate().map(|(i, v)| {
            let mut bar = Rectangle::new(
                [(SegmentValue::Exact(i), lo), (SegmentValue::Exact(i + 1), *v)],
                BLUE.filled(),
            );
            bar.set_margin(0, 0, 6, 6);
            bar
        }))
        .map_err(err)?;
    chart
        .draw_series(c.values.iter().enumerate().map(|(i, v)| {
            Text::new(
                number(nf, *v),
                (SegmentValue::CenterOf(i), *v + (hi - lo) * 0.01),
                TextStyle::from((FAMILY, 12).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
        }))
        .map_err(err)?;
    Ok(())
}

fn number(nf: NumberFormat, v: f64) -> String {
    if v.fract() == 0.0 {
        nf.int(v as i64)
    } else {
        nf.dec(v, 2)
    }
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &LineChart,
    nf: NumberFormat,
    axis: &AxisLabels,
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let n = c.labels.len().max(1);
    let (lo, hi) = c
        .range
        .unwrap_or((0.0, upper(c.series.iter().flat_map(|s| s.1.iter().flatten().copied()))));
    let mut builder = ChartBuilder::on(root);
    if !c.title.is_empty() {
        builder.caption(&c.title, (FAMILY, 20).into_font().style(FontStyle::Bold));
    }
    let mut chart = builder
        .margin(MARGIN)
        .margin_right(line_right_margin(c.labels.len()))
        .x_label_area_size(axis.area())
        .y_label_area_size(Y_AREA)
        .build_cartesian_2d(0..n.saturating_sub(1).max(1), lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(n)
        .y_label_style((FAMILY, 12))
        // Category labels are drawn by `draw_axis_labels`; the mesh draws ticks only
        // (its empty labels still name the embedded font, never a system one).
        .x_label_style((FAMILY, 11))
        .x_label_formatter(&|_| String::new())
        .y_label_formatter(&|v| axis_number(nf, *v))
        .draw()
        .map_err(err)?;
    draw_axis_labels(root, axis, (0..c.labels.len()).map(|i| chart.backend_coord(&(i, lo))))?;
    let colours = [BLUE, ORANGE, GREEN, GREY];
    for (k, (name, values)) in c.series.iter().enumerate() {
        let colour = colours[k % colours.len()];
        // One segment per run of consecutive known values: a gap is shown as a gap.
        let mut run: Vec<(usize, f64)> = Vec::new();
        let mut runs = Vec::new();
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => run.push((i, *v)),
                None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                None => {}
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        let mut first = true;
        for run in runs {
            let series = chart
                .draw_series(LineSeries::new(run.clone(), colour.stroke_width(3)))
                .map_err(err)?;
            if first {
                series
                    .label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3)));
                first = false;
            }
            chart
                .draw_series(run.iter().map(|p| Circle::new(*p, 4, colour.filled())))
                .map_err(err)?;
        }
    }
    chart
        .configure_series_labels()
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.8))
        .border_style(GREY)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Chart {
        Chart::Bar(BarChart {
            title: "Per kanal".into(),
            labels: vec!["SMS".into(), "Surat".into()],
            values: vec![12.0, 3.0],
            range: None,
            bands: vec![],
        })
    }

    #[test]
    fn svg_names_the_embedded_font_and_carries_the_labels() {
        let svg = bars().svg(NumberFormat::Indonesian).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("Lato"));
        let compact: String = svg.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(compact.contains("Surat") && compact.contains(">12<"), "{svg}");
    }

    #[test]
    fn png_is_a_non_blank_image() {
        let png = Chart::Line(LineChart {
            title: "Tren".into(),
            labels: vec!["Jan".into(), "Feb".into(), "Mar".into()],
            series: vec![("Masuk".into(), vec![Some(3.0), None, Some(5.0)])],
            range: None,
        })
        .png(NumberFormat::Indonesian)
        .unwrap();
        let image = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), (WIDTH, BASE_HEIGHT));
        assert!(image.pixels().any(|p| p.0 != [255, 255, 255]));
    }

    #[test]
    fn long_labels_wrap_within_their_slot() {
        let labels: Vec<String> = [
            "Pengaduan daring",
            "SP4N-LAPOR!",
            "Rekomendasi Pelatihan Anak Putus Sekolah",
        ]
        .map(String::from)
        .to_vec();
        let axis = axis_labels(&labels, 48.0, 11);
        for lines in &axis.lines {
            for line in lines {
                assert!(text_width(line, axis.size) <= 44.0, "{line:?} at {}", axis.size);
            }
        }
        assert_eq!(axis.lines[0].join(" "), "Pengaduan daring");
        // A word wider than any slot is split rather than overlap its neighbours.
        let tiny = axis_labels(&["Kesejahteraan".to_owned()], 20.0, 11);
        assert_eq!(tiny.size, 8);
        assert!(tiny.lines[0].len() > 1 && tiny.lines[0].iter().all(|l| text_width(l, 8) <= 16.0));
    }

    #[test]
    fn axis_numbers_follow_the_document_language() {
        assert_eq!(axis_number(NumberFormat::Indonesian, 25.0), "25");
        assert_eq!(axis_number(NumberFormat::Indonesian, 2.5), "2,5");
        assert_eq!(axis_number(NumberFormat::English, 1250.25), "1,250.25");
    }
}
