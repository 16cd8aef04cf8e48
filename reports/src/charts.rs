//! Charts drawn with plotters: SVG for HTML and PDF, PNG on request.
//!
//! Text is measured and drawn with the embedded Lato font (plotters' `ab_glyph`
//! backend, registered from bytes), never a system font lookup, so the same chart
//! comes out on every machine.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::ReportError;

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

const SIZE: (u32, u32) = (760, 360);

impl Chart {
    /// The chart as an SVG document.
    pub fn svg(&self) -> Result<String, ReportError> {
        register();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, SIZE).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(err)?;
        }
        Ok(out)
    }

    /// The chart as a PNG image.
    pub fn png(&self) -> Result<Vec<u8>, ReportError> {
        register();
        let mut buffer = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, SIZE).into_drawing_area();
            self.draw(&root)?;
            root.present().map_err(err)?;
        }
        encode_png(buffer, SIZE)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> Result<(), ReportError>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE).map_err(err)?;
        match self {
            Chart::Bar(c) => draw_bars(root, c),
            Chart::Line(c) => draw_lines(root, c),
        }
    }
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

/// Decodes a PNG into grey levels (one byte per pixel), so callers can check that a
/// rendered page or chart is not blank without another image dependency.
pub fn decode_luma(png: &[u8]) -> Result<Vec<u8>, ReportError> {
    Ok(image::load_from_memory(png).map_err(err)?.to_luma8().into_raw())
}

fn upper(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.fold(0.0f64, f64::max);
    if max <= 0.0 { 1.0 } else { max * 1.15 }
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
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let n = c.labels.len().max(1);
    let (lo, hi) = c.range.unwrap_or((0.0, upper(c.values.iter().copied())));
    let labels = c.labels.clone();
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FAMILY, 20).into_font().style(FontStyle::Bold))
        .margin(12)
        .x_label_area_size(if n > 6 { 70 } else { 36 })
        .y_label_area_size(56)
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
        chart
            .draw_series(std::iter::once(Text::new(
                band.label.clone(),
                (SegmentValue::CenterOf(n - 1), (from + to) / 2.0),
                (FAMILY, 13).into_font().color(&GREY),
            )))
            .map_err(err)?;
    }
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_style((FAMILY, if n > 6 { 11 } else { 13 }))
        .y_label_style((FAMILY, 12))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .draw()
        .map_err(err)?;
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
                number(*v),
                (SegmentValue::CenterOf(i), *v + (hi - lo) * 0.04),
                (FAMILY, 12).into_font(),
            )
        }))
        .map_err(err)?;
    Ok(())
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        crate::fmt::dec(v, 2)
    }
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    c: &LineChart,
) -> Result<(), ReportError>
where
    DB::ErrorType: 'static,
{
    let n = c.labels.len().max(1);
    let (lo, hi) = c
        .range
        .unwrap_or((0.0, upper(c.series.iter().flat_map(|s| s.1.iter().flatten().copied()))));
    let labels = c.labels.clone();
    let mut chart = ChartBuilder::on(root)
        .caption(&c.title, (FAMILY, 20).into_font().style(FontStyle::Bold))
        .margin(12)
        .x_label_area_size(if n > 6 { 60 } else { 36 })
        .y_label_area_size(56)
        .build_cartesian_2d(0..n.saturating_sub(1).max(1), lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_style((FAMILY, 11))
        .y_label_style((FAMILY, 12))
        .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
        .draw()
        .map_err(err)?;
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
        let svg = bars().svg().unwrap();
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
        .png()
        .unwrap();
        let image = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(image.dimensions(), SIZE);
        assert!(image.pixels().any(|p| p.0 != [255, 255, 255]));
    }
}
