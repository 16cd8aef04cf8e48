//! QR codes for the survey of a service (issue 7): printed on posters and receipts,
//! they open `/survei/<unit>/<service>` on the respondent's phone. The matrix comes
//! from the `qrcode` crate; the SVG is written here (one path, one square per dark
//! module, so it stays sharp at any print size) and the PNG with the `png` crate,
//! which keeps the dependencies light (no general image library).

use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code, as the QR standard asks (4).
pub const QUIET_ZONE: usize = 4;

/// A QR code of a URL, ready to draw.
#[derive(Debug, Clone)]
pub struct Qr {
    /// Modules per side, without the quiet zone.
    pub width: usize,
    /// Row-major, `true` for a dark module.
    pub dark: Vec<bool>,
}

/// Why a QR code could not be made (only a text far too long for a QR code).
#[derive(Debug, thiserror::Error)]
#[error("QR code: {0}")]
pub struct QrError(String);

impl Qr {
    /// Encodes `text` with error correction level M (survives a smudged print).
    pub fn new(text: &str) -> Result<Qr, QrError> {
        let code =
            QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| QrError(e.to_string()))?;
        Ok(Qr {
            width: code.width(),
            dark: code.to_colors().into_iter().map(|c| c == Color::Dark).collect(),
        })
    }

    /// Dark modules in the code.
    pub fn dark_modules(&self) -> usize {
        self.dark.iter().filter(|d| **d).count()
    }

    /// An SVG whose user unit is one module: the view box is the width plus the
    /// quiet zone on both sides; every dark module is one `h1v1h-1z` square.
    pub fn svg(&self) -> String {
        let side = self.width + 2 * QUIET_ZONE;
        let mut path = String::with_capacity(self.dark_modules() * 16);
        for (i, _) in self.dark.iter().enumerate().filter(|(_, d)| **d) {
            let (x, y) = (i % self.width + QUIET_ZONE, i / self.width + QUIET_ZONE);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
             viewBox=\"0 0 {side} {side}\" width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>\n",
            px = side * 8
        )
    }

    /// An 8-bit greyscale PNG with `scale` pixels per module and the quiet zone.
    pub fn png(&self, scale: usize) -> Result<Vec<u8>, QrError> {
        let scale = scale.max(1);
        let side = (self.width + 2 * QUIET_ZONE) * scale;
        let mut pixels = vec![255u8; side * side];
        for (i, _) in self.dark.iter().enumerate().filter(|(_, d)| **d) {
            let (mx, my) = (i % self.width + QUIET_ZONE, i / self.width + QUIET_ZONE);
            for y in my * scale..(my + 1) * scale {
                pixels[y * side + mx * scale..y * side + (mx + 1) * scale].fill(0);
            }
        }
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side as u32, side as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| QrError(e.to_string()))?;
        writer.write_image_data(&pixels).map_err(|e| QrError(e.to_string()))?;
        writer.finish().map_err(|e| QrError(e.to_string()))?;
        Ok(out)
    }
}

/// The public survey address of a unit's service, from the configured public URL
/// (or `base` when none is configured, e.g. the address staff reached the server at).
pub fn survey_url(public_url: Option<&str>, base: &str, unit_code: &str, service_code: &str) -> String {
    let base = public_url.unwrap_or(base).trim_end_matches('/');
    format!("{base}/survei/{unit_code}/{service_code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_and_png_draw_every_module() {
        let qr = Qr::new("https://tanggap.example.go.id/survei/dinsos/sktm").unwrap();
        assert!(
            qr.width >= 21 && (qr.width - 21).is_multiple_of(4),
            "a QR version's width"
        );
        let svg = qr.svg();
        assert_eq!(svg.matches("h1v1h-1z").count(), qr.dark_modules());
        let side = qr.width + 2 * QUIET_ZONE;
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        let png = qr.png(4).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        // IHDR width and height, big-endian, right after the signature and chunk head.
        let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((w, h), ((side * 4) as u32, (side * 4) as u32));
    }

    #[test]
    fn the_url_follows_the_public_address() {
        assert_eq!(
            survey_url(Some("https://skm.kota.go.id/"), "http://x", "dinsos", "sktm"),
            "https://skm.kota.go.id/survei/dinsos/sktm"
        );
        assert_eq!(
            survey_url(None, "http://127.0.0.1:8080", "a", "b"),
            "http://127.0.0.1:8080/survei/a/b"
        );
    }
}
