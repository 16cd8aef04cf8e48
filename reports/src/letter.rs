//! A one-page reply letter (surat jawaban pengaduan) on the unit's letterhead, for
//! the triage workflow to attach to or print with an answer.
//!
//! ```no_run
//! let pdf = reports::letter::pdf(&reports::letter::Letter {
//!     letterhead: reports::Letterhead { unit_name: "Dinas Sosial".into(), ..Default::default() },
//!     nomor: "ADU/2026/000123".into(),
//!     date: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
//!     place: "Dumai".into(),
//!     subject: "Jawaban atas pengaduan".into(),
//!     addressee: vec!["Yth. Sdr. Budi".into(), "di Dumai".into()],
//!     body: "Dengan hormat, ...".into(),
//!     labels: reports::letter::LetterLabels::default(),
//! })?;
//! # Ok::<(), reports::ReportError>(())
//! ```

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::ReportError;
use crate::doc::Letterhead;
use crate::typeset::{Markup, lit};

/// The fixed words of a letter, from the caller's locale (`[reports.letter]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LetterLabels {
    /// "Nomor".
    pub nomor: String,
    /// "Perihal".
    pub subject: String,
    /// "Kepada".
    pub to: String,
    /// "NIP".
    pub nip: String,
    /// Month names, January first.
    pub months: [String; 12],
}

impl Default for LetterLabels {
    /// Indonesian, the language of official letters.
    fn default() -> Self {
        LetterLabels {
            nomor: "Nomor".into(),
            subject: "Perihal".into(),
            to: "Kepada".into(),
            nip: "NIP".into(),
            months: [
                "Januari",
                "Februari",
                "Maret",
                "April",
                "Mei",
                "Juni",
                "Juli",
                "Agustus",
                "September",
                "Oktober",
                "November",
                "Desember",
            ]
            .map(String::from),
        }
    }
}

/// Everything on the letter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Letter {
    /// Unit letterhead and head (signature block: head_title, head_name, head_nip).
    pub letterhead: Letterhead,
    /// Letter number.
    pub nomor: String,
    /// Date of the letter.
    pub date: NaiveDate,
    /// Place of signing (usually the unit's city).
    pub place: String,
    /// Perihal.
    pub subject: String,
    /// Addressee lines ("Yth. Sdr. ...", address...).
    pub addressee: Vec<String>,
    /// Body text; blank lines separate paragraphs.
    pub body: String,
    /// Fixed words.
    pub labels: LetterLabels,
}

/// Typesets the letter as a PDF (A4; long bodies flow onto a second page rather than
/// being cut).
pub fn pdf(letter: &Letter) -> Result<Vec<u8>, ReportError> {
    if letter.body.trim().is_empty() {
        return Err(ReportError::Invalid("isi surat kosong".into()));
    }
    let l = &letter.letterhead;
    let lb = &letter.labels;
    let date = format!(
        "{} {} {}",
        letter.date.day(),
        lb.months[letter.date.month0() as usize],
        letter.date.year()
    );
    let mut m = Markup::default();
    let _ = writeln!(
        m.text,
        "#set document(title: {subject})\n#set text(font: \"Lato\", size: 11pt, lang: \"id\")\n\
         #set page(paper: \"a4\", margin: (x: 2.5cm, top: 1.8cm, bottom: 2cm))\n#set par(justify: true, leading: 0.65em, spacing: 1em)",
        subject = lit(&letter.subject),
    );
    l.kop_markup(&mut m, (12.0, 15.0, 9.0));
    let _ = write!(
        m.text,
        "#align(right, {place_date})\n\
         #grid(columns: (auto, auto, 1fr), gutter: 4pt, {nomor_w}, [:], {nomor}, {subject_w}, [:], {subject})\n#v(8pt)\n#{to_w}\\\n",
        subject = lit(&letter.subject),
        place_date = lit(&format!("{}, {}", letter.place, date)),
        nomor_w = lit(&lb.nomor),
        nomor = lit(&letter.nomor),
        subject_w = lit(&lb.subject),
        to_w = lit(&lb.to),
    );
    for line in &letter.addressee {
        let _ = writeln!(m.text, "#{}\\", lit(line));
    }
    m.text.push_str("#v(10pt)\n");
    for para in letter.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let _ = writeln!(m.text, "#par({})\n", lit(para.trim()));
    }
    let _ = write!(
        m.text,
        "#v(16pt)\n#align(right, block(width: 45%, breakable: false, align(center)[#{title}\\\n#v(48pt)#underline(strong({name}))\\\n#{nip}]))\n",
        title = lit(&l.head_title),
        name = lit(&l.head_name),
        nip = lit(&if l.head_nip.is_empty() {
            String::new()
        } else {
            format!("{} {}", lb.nip, l.head_nip)
        }),
    );
    m.to_pdf(letter.date)
}
