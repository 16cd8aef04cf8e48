//! The kop (letterhead) every document starts with (issue 21): the unit's own
//! letterhead lines, printed once, with the unit's logo at the left. Shared by the
//! reports (PDF and HTML) and the reply letter.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::doc::esc;
use crate::logo::Logo;
use crate::typeset::{Markup, lit};

/// Who issues a document: the unit's letterhead and its head (from the unit settings).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Letterhead {
    /// The government line above the unit name (e.g. "PEMERINTAH KOTA DUMAI").
    pub government: String,
    /// The unit's full name.
    pub unit_name: String,
    /// Street address.
    pub address: String,
    /// City (also used for the place of signing).
    pub city: String,
    /// Phone number.
    pub phone: String,
    /// Email address.
    pub email: String,
    /// Title of the unit's head ("Kepala Dinas Sosial ...").
    pub head_title: String,
    /// Name of the head.
    pub head_name: String,
    /// NIP of the head.
    pub head_nip: String,
    /// The unit's logo (lambang daerah), drawn at the left of the kop. Not kept in a
    /// stored version's data: the server sets the unit's current logo each time a
    /// version is rendered.
    #[serde(skip)]
    pub logo: Option<Logo>,
}

/// How a kop line is set: the government line, the unit line, or a small line
/// (address, contacts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KopStyle {
    /// "PEMERINTAH KOTA DUMAI".
    Government,
    /// The unit's name.
    Unit,
    /// Address and contacts.
    Small,
}

impl Letterhead {
    /// The lines of the kop, each printed once. A unit's own letterhead lines (in
    /// `government`) are the kop as the unit prints it: the first is the
    /// government line and the second the unit's name when there are two or more,
    /// the rest small lines. Without them the kop is the unit's name. Then one small
    /// line with whichever of address, city, phone and email the lines above do not
    /// already carry (compared without case and spacing, phones by their digits), so
    /// the name and address are never printed twice.
    pub fn kop(&self) -> Vec<(KopStyle, String)> {
        let own: Vec<String> = self
            .government
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let mut lines = Vec::new();
        if own.is_empty() {
            if !self.unit_name.trim().is_empty() {
                lines.push((KopStyle::Unit, self.unit_name.trim().to_owned()));
            }
        } else {
            for (i, line) in own.iter().enumerate() {
                let style = match (i, own.len()) {
                    (0, 1) | (1, _) => KopStyle::Unit,
                    (0, _) => KopStyle::Government,
                    _ => KopStyle::Small,
                };
                lines.push((style, line.clone()));
            }
        }
        let printed: String = lines.iter().map(|(_, l)| l.as_str()).collect::<Vec<_>>().join(" ");
        let (words, digits) = (squash(&printed), digits_of(&printed));
        let contact: Vec<&str> = [&self.address, &self.city, &self.phone, &self.email]
            .into_iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .filter(|s| {
                let d = digits_of(s);
                let phone_like = d.len() >= 6 && d.len() * 2 >= s.chars().filter(|c| c.is_alphanumeric()).count();
                let printed_already = words.contains(&squash(s)) || (phone_like && digits.contains(&d));
                !printed_already
            })
            .collect();
        if !contact.is_empty() {
            lines.push((KopStyle::Small, contact.join(" · ")));
        }
        lines
    }

    /// Typst markup of the kop: the logo (when there is one) at the left and the
    /// lines centred in the width beside it (as Indonesian letterheads set them),
    /// never justified, and the double rule under them. `sizes` are the type sizes of the
    /// government, unit and small lines in points.
    pub(crate) fn kop_markup(&self, m: &mut Markup, sizes: (f64, f64, f64)) {
        let mut text = String::new();
        for (i, (style, line)) in self.kop().iter().enumerate() {
            if i > 0 {
                text.push_str("\\\n");
            }
            let (size, weight) = match style {
                KopStyle::Government => (sizes.0, "bold"),
                KopStyle::Unit => (sizes.1, "bold"),
                KopStyle::Small => (sizes.2, "regular"),
            };
            let _ = write!(text, "#text({size}pt, weight: \"{weight}\", {})", lit(line));
        }
        match &self.logo {
            Some(logo) => {
                let file = format!("kop-logo.{}", logo.format.extension());
                m.file(&file, logo.bytes.clone());
                let _ = writeln!(
                    m.text,
                    "#grid(columns: (2.3cm, 1fr), align: (left + horizon, center + horizon), \
                     image({}, height: 2cm, fit: \"contain\"), [#set par(justify: false)\n{text}])",
                    lit(&file)
                );
            }
            None => {
                let _ = writeln!(m.text, "#align(center)[#set par(justify: false)\n{text}]");
            }
        }
        m.text
            .push_str("#v(-4pt)\n#line(length: 100%, stroke: 2pt)\n#v(-8pt)\n#line(length: 100%, stroke: 0.6pt)\n");
    }

    /// HTML of the kop, with the logo as an embedded image.
    pub(crate) fn kop_html(&self, h: &mut String) {
        h.push_str("<header class=\"kop\">");
        if let Some(logo) = &self.logo {
            let _ = write!(h, "<img class=\"logo\" alt=\"\" src=\"{}\">", esc(&logo.data_uri()));
        }
        for (style, line) in self.kop() {
            let class = match style {
                KopStyle::Government => "gov",
                KopStyle::Unit => "unit",
                KopStyle::Small => "addr",
            };
            let _ = write!(h, "<div class=\"{class}\">{}</div>", esc(&line));
        }
        h.push_str("</header>");
    }
}

/// Lower case with every run of whitespace as one space, for "already printed" checks.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}
