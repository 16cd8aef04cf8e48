//! A unit's logo (lambang daerah), printed at the left of the kop of every document
//! and on the public IKM image.
//!
//! A logo is accepted only by its content, never by its file name:
//!
//! - at most [`MAX_BYTES`] bytes;
//! - PNG: the PNG signature, then a full decode (with memory limits) whose sides are
//!   between [`MIN_SIDE`] and [`MAX_SIDE`] pixels;
//! - SVG: well-formed XML without a DTD (so no entity tricks), an `<svg>` root, and
//!   nothing that runs or fetches: no `<script>`, `<foreignObject>`, animation or
//!   event-handler attribute (`on...`), no link (`href`) other than a fragment
//!   (`#id`) or an embedded PNG/JPEG (`data:image/...`), no `url(...)` other than
//!   a fragment, no `@import`, no `javascript:`. Such a file is refused, not
//!   cleaned, so what is stored is exactly what the admin uploaded. It must then
//!   parse with usvg and have a positive size of at most [`MAX_SIDE`] in each side.

use resvg::{tiny_skia, usvg};
use serde::{Deserialize, Serialize};

/// Largest logo file accepted, in bytes (512 KiB).
pub const MAX_BYTES: usize = 512 * 1024;
/// Smallest side of a PNG logo, in pixels: anything smaller prints as a smudge.
pub const MIN_SIDE: u32 = 16;
/// Largest side of a logo, in pixels (PNG) or user units (SVG).
pub const MAX_SIDE: u32 = 4096;

/// The two formats a logo may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogoFormat {
    /// A PNG raster image.
    Png,
    /// An SVG drawing.
    Svg,
}

impl LogoFormat {
    /// The media type, as stored and served.
    pub fn mime(self) -> &'static str {
        match self {
            LogoFormat::Png => "image/png",
            LogoFormat::Svg => "image/svg+xml",
        }
    }

    /// The format of a stored media type.
    pub fn from_mime(mime: &str) -> Option<LogoFormat> {
        match mime {
            "image/png" => Some(LogoFormat::Png),
            "image/svg+xml" => Some(LogoFormat::Svg),
            _ => None,
        }
    }

    /// File extension, for the in-memory file a document loads.
    pub fn extension(self) -> &'static str {
        match self {
            LogoFormat::Png => "png",
            LogoFormat::Svg => "svg",
        }
    }
}

/// A checked logo: the bytes as uploaded, their format and natural size.
#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    /// PNG or SVG.
    pub format: LogoFormat,
    /// The file exactly as uploaded.
    pub bytes: Vec<u8>,
    /// Natural width (pixels, or SVG user units rounded up).
    pub width: u32,
    /// Natural height.
    pub height: u32,
}

/// Why a logo file was refused; each maps to a message the admin reads
/// (`settings.logo.error.*` in the server's locales).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LogoError {
    /// No file was sent.
    #[error("empty")]
    Empty,
    /// Larger than [`MAX_BYTES`].
    #[error("too_large")]
    TooLarge,
    /// Neither a PNG nor an SVG (whatever its name says), or a broken one.
    #[error("not_image")]
    NotImage,
    /// Sides outside [`MIN_SIDE`]..=[`MAX_SIDE`].
    #[error("dimensions")]
    Dimensions,
    /// An SVG with scripts, event handlers, external references or a DTD.
    #[error("unsafe_svg")]
    UnsafeSvg,
}

impl LogoError {
    /// The locale key suffix of the message (`settings.logo.error.<key>`).
    pub fn key(self) -> &'static str {
        match self {
            LogoError::Empty => "empty",
            LogoError::TooLarge => "too_large",
            LogoError::NotImage => "not_image",
            LogoError::Dimensions => "dimensions",
            LogoError::UnsafeSvg => "unsafe_svg",
        }
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

impl Logo {
    /// Checks an uploaded file by its content (see the module documentation).
    pub fn check(bytes: &[u8]) -> Result<Logo, LogoError> {
        if bytes.is_empty() {
            return Err(LogoError::Empty);
        }
        if bytes.len() > MAX_BYTES {
            return Err(LogoError::TooLarge);
        }
        if bytes.starts_with(PNG_SIGNATURE) {
            return check_png(bytes);
        }
        check_svg(bytes)
    }

    /// Rebuilds a stored logo (already checked on upload; checked again, so a row
    /// edited by hand cannot put a hostile file into a document).
    pub fn from_stored(mime: &str, bytes: Vec<u8>) -> Result<Logo, LogoError> {
        let logo = Logo::check(&bytes)?;
        if Some(logo.format) != LogoFormat::from_mime(mime) {
            return Err(LogoError::NotImage);
        }
        Ok(logo)
    }

    /// The logo as RGBA pixels fitted inside `max_w` × `max_h` (aspect kept), for
    /// raster outputs such as the publication PNG.
    pub fn rgba(&self, max_w: u32, max_h: u32) -> Result<image::RgbaImage, LogoError> {
        let scale = (max_w as f32 / self.width as f32).min(max_h as f32 / self.height as f32);
        let w = ((self.width as f32 * scale).round() as u32).max(1);
        let h = ((self.height as f32 * scale).round() as u32).max(1);
        match self.format {
            LogoFormat::Png => {
                let img = image::load_from_memory_with_format(&self.bytes, image::ImageFormat::Png)
                    .map_err(|_| LogoError::NotImage)?
                    .to_rgba8();
                Ok(image::imageops::resize(
                    &img,
                    w,
                    h,
                    image::imageops::FilterType::Triangle,
                ))
            }
            LogoFormat::Svg => {
                let tree = svg_tree(&self.bytes)?;
                let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(LogoError::Dimensions)?;
                let size = tree.size();
                let transform = tiny_skia::Transform::from_scale(w as f32 / size.width(), h as f32 / size.height());
                resvg::render(&tree, transform, &mut pixmap.as_mut());
                let mut out = image::RgbaImage::new(w, h);
                for (pixel, c) in out.pixels_mut().zip(pixmap.pixels()) {
                    let c = c.demultiply();
                    *pixel = image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
                }
                Ok(out)
            }
        }
    }

    /// Draws the logo over an RGB buffer of `width` pixels per row, fitted in the
    /// box at (`x`, `y`) of `box_w` × `box_h`, blending its transparency.
    pub fn draw_onto(&self, rgb: &mut [u8], width: u32, (x, y): (u32, u32), (box_w, box_h): (u32, u32)) {
        let Ok(img) = self.rgba(box_w, box_h) else { return };
        let height = (rgb.len() / 3) as u32 / width.max(1);
        for (px, py, p) in img.enumerate_pixels() {
            let (tx, ty) = (x + px, y + py);
            if tx >= width || ty >= height {
                continue;
            }
            let i = ((ty * width + tx) * 3) as usize;
            let a = p.0[3] as u32;
            for k in 0..3 {
                let under = rgb[i + k] as u32;
                rgb[i + k] = ((p.0[k] as u32 * a + under * (255 - a)) / 255) as u8;
            }
        }
    }

    /// The logo as a `data:` URI, for HTML documents (an `<img>` never runs an SVG's
    /// scripts, and the checks refused them anyway).
    pub fn data_uri(&self) -> String {
        use base64::Engine as _;
        format!(
            "data:{};base64,{}",
            self.format.mime(),
            base64::engine::general_purpose::STANDARD.encode(&self.bytes)
        )
    }
}

fn check_png(bytes: &[u8]) -> Result<Logo, LogoError> {
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => LogoError::Dimensions,
        _ => LogoError::NotImage,
    })?;
    let (width, height) = (img.width(), img.height());
    if !(MIN_SIDE..=MAX_SIDE).contains(&width) || !(MIN_SIDE..=MAX_SIDE).contains(&height) {
        return Err(LogoError::Dimensions);
    }
    Ok(Logo {
        format: LogoFormat::Png,
        bytes: bytes.to_vec(),
        width,
        height,
    })
}

/// Elements that run code, embed foreign content or change the drawing over time.
const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "audio",
    "video",
    "animate",
    "animatemotion",
    "animatetransform",
    "animatecolor",
    "set",
    "handler",
    "listener",
];

fn check_svg(bytes: &[u8]) -> Result<Logo, LogoError> {
    let text = std::str::from_utf8(bytes).map_err(|_| LogoError::NotImage)?;
    // roxmltree's default options refuse a DTD, so no entity can expand or fetch.
    let doc = usvg::roxmltree::Document::parse(text).map_err(|e| match e {
        usvg::roxmltree::Error::DtdDetected => LogoError::UnsafeSvg,
        _ => LogoError::NotImage,
    })?;
    if !doc.root_element().tag_name().name().eq_ignore_ascii_case("svg") {
        return Err(LogoError::NotImage);
    }
    for node in doc.descendants() {
        if node.is_element() {
            let name = node.tag_name().name().to_ascii_lowercase();
            if FORBIDDEN_ELEMENTS.contains(&name.as_str()) {
                return Err(LogoError::UnsafeSvg);
            }
            for attr in node.attributes() {
                let name = attr.name().to_ascii_lowercase();
                if name.starts_with("on") || !safe_value(attr.value()) {
                    return Err(LogoError::UnsafeSvg);
                }
                if name == "href" && !safe_link(attr.value()) {
                    return Err(LogoError::UnsafeSvg);
                }
            }
        } else if node.is_text() && !node.text().is_some_and(safe_value) {
            return Err(LogoError::UnsafeSvg);
        } else if node.is_pi() {
            // <?xml-stylesheet href="..."?> would load a style sheet.
            return Err(LogoError::UnsafeSvg);
        }
    }
    let tree = svg_tree(bytes)?;
    let size = tree.size();
    let (w, h) = (size.width().ceil(), size.height().ceil());
    if !(w >= 1.0 && h >= 1.0 && w <= MAX_SIDE as f32 && h <= MAX_SIDE as f32) {
        return Err(LogoError::Dimensions);
    }
    Ok(Logo {
        format: LogoFormat::Svg,
        bytes: bytes.to_vec(),
        width: w as u32,
        height: h as u32,
    })
}

fn svg_tree(bytes: &[u8]) -> Result<usvg::Tree, LogoError> {
    usvg::Tree::from_data(bytes, &usvg::Options::default()).map_err(|_| LogoError::NotImage)
}

/// A link inside the SVG: only to an element of the same file, or an embedded
/// PNG/JPEG picture.
fn safe_link(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    v.starts_with('#') || v.starts_with("data:image/png;base64,") || v.starts_with("data:image/jpeg;base64,")
}

/// Attribute values and style text: no script URL, no style sheet import, and every
/// `url(...)` pointing inside the file.
fn safe_value(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    if v.contains("javascript:") || v.contains("@import") || v.contains("expression(") {
        return false;
    }
    v.match_indices("url(").all(|(i, _)| {
        let rest = v[i + 4..].trim_start_matches(['"', '\'']);
        rest.starts_with('#')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 30, 30, 255]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgba8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="120" viewBox="0 0 100 120"><defs><linearGradient id="g"><stop offset="0" stop-color="#c00"/></linearGradient></defs><rect width="100" height="120" fill="url(#g)"/></svg>"##;

    #[test]
    fn a_png_is_recognised_by_content_with_its_size() {
        let logo = Logo::check(&png(64, 80)).unwrap();
        assert_eq!((logo.format, logo.width, logo.height), (LogoFormat::Png, 64, 80));
        assert_eq!(Logo::check(&png(8, 80)), Err(LogoError::Dimensions));
        let mut broken = png(64, 64);
        broken.truncate(40);
        assert_eq!(Logo::check(&broken), Err(LogoError::NotImage));
        assert_eq!(Logo::check(b"GIF89a...."), Err(LogoError::NotImage));
        assert_eq!(Logo::check(&vec![0u8; MAX_BYTES + 1]), Err(LogoError::TooLarge));
        assert_eq!(Logo::check(b""), Err(LogoError::Empty));
    }

    #[test]
    fn a_plain_svg_passes_and_rasterises() {
        let logo = Logo::check(SVG.as_bytes()).unwrap();
        assert_eq!((logo.format, logo.width, logo.height), (LogoFormat::Svg, 100, 120));
        let img = logo.rgba(50, 50).unwrap();
        assert_eq!(img.dimensions(), (42, 50));
        assert!(img.pixels().any(|p| p.0[0] > 150 && p.0[3] > 200), "drawn red");
    }

    #[test]
    fn hostile_svgs_are_refused() {
        let wrap = |inner: &str| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">{inner}</svg>"#
            )
        };
        for hostile in [
            wrap("<script>alert(1)</script>"),
            wrap(r#"<rect width="5" height="5" onclick="alert(1)"/>"#),
            wrap(r#"<image href="https://evil.example/x.png" width="5" height="5"/>"#),
            wrap(r#"<image xlink:href="file:///etc/passwd" width="5" height="5"/>"#),
            wrap(r#"<a href="javascript:alert(1)"><rect width="5" height="5"/></a>"#),
            wrap(r#"<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>"#),
            wrap(r#"<style>@import url(https://evil.example/a.css);</style>"#),
            wrap(r#"<rect width="5" height="5" style="fill:url(https://evil.example/p)"/>"#),
            wrap(r#"<set attributeName="href" to="javascript:alert(1)"/>"#),
            r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&x;</text></svg>"#.to_owned(),
            r#"<?xml-stylesheet href="https://evil.example/a.css"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#.to_owned(),
        ] {
            assert_eq!(Logo::check(hostile.as_bytes()), Err(LogoError::UnsafeSvg), "{hostile}");
        }
        assert_eq!(Logo::check(b"<html><body>x</body></html>"), Err(LogoError::NotImage));
        assert_eq!(Logo::check(b"not xml at all"), Err(LogoError::NotImage));
        let huge = r#"<svg xmlns="http://www.w3.org/2000/svg" width="90000" height="10"/>"#;
        assert_eq!(Logo::check(huge.as_bytes()), Err(LogoError::Dimensions));
    }

    #[test]
    fn data_uri_is_base64() {
        let logo = Logo {
            format: LogoFormat::Png,
            bytes: b"Man".to_vec(),
            width: 1,
            height: 1,
        };
        assert_eq!(logo.data_uri(), "data:image/png;base64,TWFu");
        let two = Logo {
            bytes: b"Ma".to_vec(),
            ..logo
        };
        assert_eq!(two.data_uri(), "data:image/png;base64,TWE=");
    }
}
