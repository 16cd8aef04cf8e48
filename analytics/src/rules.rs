//! Rule sets: the regulations that define the SKM elements, their weights and the
//! interval table that turns an index into a grade.
//!
//! A rule set is plain data so that a unit's history can span two regulations and a
//! new regulation can be added (built in here, or loaded by the server from a file
//! through serde) without touching the computation in [`crate::ikm`].

use serde::{Deserialize, Serialize};

use crate::error::AnalyticsError;
use crate::numeric::round_half_away;

/// Quality grade (mutu pelayanan). Serialised as the letter the regulations print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Mutu {
    /// Sangat Baik under both built-in tables.
    A,
    /// Baik.
    B,
    /// Kurang Baik.
    C,
    /// Tidak Baik.
    D,
}

impl Mutu {
    /// The letter as printed in reports ("A".."D").
    pub fn as_str(self) -> &'static str {
        match self {
            Mutu::A => "A",
            Mutu::B => "B",
            Mutu::C => "C",
            Mutu::D => "D",
        }
    }
}

/// One row of a rule set's interval table.
///
/// Both columns are kept because the regulations print both and, for KepMenPAN
/// 25/2004, they are not exactly a factor 25 apart (1.76 vs 43.76): the index is
/// graded on the konversi column, an element's NRR on the 1–4 column (SKM.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Grade letter.
    pub mutu: Mutu,
    /// Kinerja unit pelayanan, in Indonesian as the regulation words it.
    pub kinerja: String,
    /// Nilai persepsi (1..4) as printed in the table.
    pub nilai_persepsi: u8,
    /// Lower bound on the 1–4 scale (inclusive), used to grade an element's NRR.
    pub min_index: f64,
    /// Lower bound on the 25–100 scale (inclusive), used to grade the IKM konversi.
    pub min_konversi: f64,
    /// The band's range as the regulation prints it on the 1–4 scale, for reports.
    pub printed_index: String,
    /// The band's range as the regulation prints it on the 25–100 scale, for reports.
    pub printed_konversi: String,
}

/// One survey element (unsur) of a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    /// Stable identity used as the survey frame's column name; never a position, so
    /// files that order the elements differently still land on the right element.
    pub key: String,
    /// Code as printed in reports ("U1".."U9").
    pub code: String,
    /// Element name in Indonesian.
    pub name: String,
    /// Question wording for the survey form, where the regulation gives a common one.
    pub question: Option<String>,
    /// Answer labels for scores 1 (a) to 4 (d), where the regulation gives them.
    pub answers: Option<[String; 4]>,
}

/// A regulation's complete definition of the survey and its grading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Stable identifier ("permenpan-rb-14-2017"), stored with results and used by
    /// [`RuleSet::by_id`].
    pub id: String,
    /// Short name for headings.
    pub name: String,
    /// Full citation of the regulation, printed in reports.
    pub citation: String,
    /// Elements in questionnaire order.
    pub elements: Vec<Element>,
    /// Interval table, any order; see [`RuleSet::validate`].
    pub bands: Vec<Band>,
}

/// Result of grading one value: the band it falls in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grade {
    /// Grade letter.
    pub mutu: Mutu,
    /// Kinerja label of the band.
    pub kinerja: String,
}

fn band(
    mutu: Mutu,
    kinerja: &str,
    nilai: u8,
    min_index: f64,
    min_konversi: f64,
    printed_index: &str,
    printed_konversi: &str,
) -> Band {
    Band {
        mutu,
        kinerja: kinerja.to_string(),
        nilai_persepsi: nilai,
        min_index,
        min_konversi,
        printed_index: printed_index.to_string(),
        printed_konversi: printed_konversi.to_string(),
    }
}

fn element(key: &str, code: &str, name: &str, question: Option<&str>, answers: Option<[&str; 4]>) -> Element {
    Element {
        key: key.to_string(),
        code: code.to_string(),
        name: name.to_string(),
        question: question.map(str::to_string),
        answers: answers.map(|a| a.map(str::to_string)),
    }
}

/// Identifier of [`RuleSet::permenpan_14_2017`].
pub const PERMENPAN_14_2017: &str = "permenpan-rb-14-2017";
/// Identifier of [`RuleSet::kepmenpan_25_2004`].
pub const KEPMENPAN_25_2004: &str = "kepmenpan-25-2004";

impl RuleSet {
    /// PermenPAN-RB No. 14 Tahun 2017, the rule set in force and the default:
    /// 9 elements, weight 1/9, table A of SKM.md.
    pub fn permenpan_14_2017() -> RuleSet {
        RuleSet {
            id: PERMENPAN_14_2017.to_string(),
            name: "PermenPAN-RB 14/2017".to_string(),
            citation: "Peraturan Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi \
                       Nomor 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan \
                       Masyarakat Unit Penyelenggara Pelayanan Publik"
                .to_string(),
            elements: vec![
                element(
                    "persyaratan",
                    "U1",
                    "Persyaratan",
                    Some("Kesesuaian persyaratan pelayanan dengan jenis pelayanannya"),
                    Some(["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"]),
                ),
                element(
                    "prosedur",
                    "U2",
                    "Sistem, Mekanisme, dan Prosedur",
                    Some("Kemudahan prosedur pelayanan di unit ini"),
                    Some(["Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"]),
                ),
                element(
                    "waktu",
                    "U3",
                    "Waktu Penyelesaian",
                    Some("Kecepatan waktu dalam memberikan pelayanan"),
                    Some(["Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"]),
                ),
                element(
                    "biaya",
                    "U4",
                    "Biaya/Tarif",
                    Some("Kewajaran biaya/tarif dalam pelayanan"),
                    Some(["Sangat mahal", "Cukup mahal", "Murah", "Gratis"]),
                ),
                element(
                    "produk",
                    "U5",
                    "Produk Spesifikasi Jenis Pelayanan",
                    Some(
                        "Kesesuaian produk pelayanan antara yang tercantum dalam standar \
                         pelayanan dengan hasil yang diberikan",
                    ),
                    Some(["Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"]),
                ),
                element(
                    "kompetensi",
                    "U6",
                    "Kompetensi Pelaksana",
                    Some("Kompetensi/kemampuan petugas dalam pelayanan"),
                    Some(["Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"]),
                ),
                element(
                    "perilaku",
                    "U7",
                    "Perilaku Pelaksana",
                    Some("Perilaku petugas dalam pelayanan terkait kesopanan dan keramahan"),
                    Some([
                        "Tidak sopan dan ramah",
                        "Kurang sopan dan ramah",
                        "Sopan dan ramah",
                        "Sangat sopan dan ramah",
                    ]),
                ),
                element(
                    "sarana",
                    "U8",
                    "Sarana dan Prasarana",
                    Some("Kualitas sarana dan prasarana"),
                    Some(["Buruk", "Cukup", "Baik", "Sangat baik"]),
                ),
                element(
                    "pengaduan",
                    "U9",
                    "Penanganan Pengaduan, Saran dan Masukan",
                    Some("Penanganan pengaduan pengguna layanan"),
                    Some([
                        "Tidak ada",
                        "Ada tetapi tidak berfungsi",
                        "Berfungsi kurang maksimal",
                        "Dikelola dengan baik",
                    ]),
                ),
            ],
            bands: vec![
                band(
                    Mutu::A,
                    "Sangat Baik",
                    4,
                    3.5324,
                    88.31,
                    "3,5324 - 4,00",
                    "88,31 - 100,00",
                ),
                band(Mutu::B, "Baik", 3, 3.0644, 76.61, "3,0644 - 3,532", "76,61 - 88,30"),
                band(Mutu::C, "Kurang Baik", 2, 2.60, 65.00, "2,60 - 3,064", "65,00 - 76,60"),
                band(Mutu::D, "Tidak Baik", 1, 1.00, 25.00, "1,00 - 2,5996", "25,00 - 64,99"),
            ],
        }
    }

    /// KepMenPAN No. KEP/25/M.PAN/2/2004, the legacy rule set for historical data:
    /// 14 elements, weight 1/14, table B of SKM.md. No common question wording is
    /// given, so `question` and `answers` are empty.
    pub fn kepmenpan_25_2004() -> RuleSet {
        let names = [
            ("prosedur", "Prosedur pelayanan"),
            ("persyaratan", "Persyaratan pelayanan"),
            ("kejelasan_petugas", "Kejelasan petugas pelayanan"),
            ("kedisiplinan_petugas", "Kedisiplinan petugas pelayanan"),
            ("tanggung_jawab_petugas", "Tanggung jawab petugas pelayanan"),
            ("kemampuan_petugas", "Kemampuan petugas pelayanan"),
            ("kecepatan_pelayanan", "Kecepatan pelayanan"),
            ("keadilan", "Keadilan mendapatkan pelayanan"),
            ("kesopanan_keramahan", "Kesopanan dan keramahan petugas"),
            ("kewajaran_biaya", "Kewajaran biaya pelayanan"),
            ("kepastian_biaya", "Kepastian biaya pelayanan"),
            ("kepastian_jadwal", "Kepastian jadwal pelayanan"),
            ("kenyamanan_lingkungan", "Kenyamanan lingkungan"),
            ("keamanan_pelayanan", "Keamanan pelayanan"),
        ];
        RuleSet {
            id: KEPMENPAN_25_2004.to_string(),
            name: "KepMenPAN 25/2004".to_string(),
            citation: "Keputusan Menteri Pendayagunaan Aparatur Negara Nomor \
                       KEP/25/M.PAN/2/2004 tentang Pedoman Umum Penyusunan Indeks Kepuasan \
                       Masyarakat Unit Pelayanan Instansi Pemerintah"
                .to_string(),
            elements: names
                .iter()
                .enumerate()
                .map(|(i, (key, name))| element(key, &format!("U{}", i + 1), name, None, None))
                .collect(),
            bands: vec![
                band(Mutu::A, "Sangat Baik", 4, 3.26, 81.26, "3,26 - 4,00", "81,26 - 100,00"),
                band(Mutu::B, "Baik", 3, 2.51, 62.51, "2,51 - 3,25", "62,51 - 81,25"),
                band(Mutu::C, "Kurang Baik", 2, 1.76, 43.76, "1,76 - 2,50", "43,76 - 62,50"),
                band(Mutu::D, "Tidak Baik", 1, 1.00, 25.00, "1,00 - 1,75", "25,00 - 43,75"),
            ],
        }
    }

    /// The rule sets shipped with Tanggap, default first, so pages can offer a choice.
    pub fn builtin() -> Vec<RuleSet> {
        vec![RuleSet::permenpan_14_2017(), RuleSet::kepmenpan_25_2004()]
    }

    /// Looks a built-in rule set up by its [`RuleSet::id`] (for CLI flags and stored
    /// survey periods).
    pub fn by_id(id: &str) -> Option<RuleSet> {
        RuleSet::builtin().into_iter().find(|r| r.id == id)
    }

    /// The element keys in questionnaire order: the column names a survey frame for
    /// this rule set must have.
    pub fn element_keys(&self) -> Vec<&str> {
        self.elements.iter().map(|e| e.key.as_str()).collect()
    }

    /// Finds an element by its stable key.
    pub fn element(&self, key: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.key == key)
    }

    /// The element a survey-file column header names: its code (`u1`, `U1`), its key
    /// (`persyaratan`) or its name (`Sistem, Mekanisme, dan Prosedur`), ignoring case,
    /// spaces and punctuation, as the interchange layout of SKM.md allows. Files that
    /// list the elements in another order still land on the right element.
    pub fn element_for_header(&self, header: &str) -> Option<&Element> {
        fn norm(s: &str) -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        }
        let h = norm(header);
        if h.is_empty() {
            return None;
        }
        self.elements
            .iter()
            .find(|e| norm(&e.code) == h || norm(&e.key) == h || norm(&e.name) == h)
    }

    /// Checks that the data can be computed with: at least one element, unique keys,
    /// and a band table whose lowest band starts at the bottom of both scales (1 and
    /// 25), so every possible value is graded. Called by every computation; a rule set
    /// loaded from a file should be checked when it is loaded, too.
    pub fn validate(&self) -> Result<(), AnalyticsError> {
        let bad = |why: String| Err(AnalyticsError::InvalidRuleSet(self.id.clone(), why));
        if self.elements.is_empty() {
            return bad("tidak ada unsur".into());
        }
        for (i, e) in self.elements.iter().enumerate() {
            if e.key.is_empty() {
                return bad(format!("unsur ke-{} tidak punya kunci", i + 1));
            }
            if self.elements[..i].iter().any(|o| o.key == e.key) {
                return bad(format!("kunci unsur '{}' ganda", e.key));
            }
        }
        if self.bands.is_empty() {
            return bad("tabel interval kosong".into());
        }
        let lowest_i = self.bands.iter().map(|b| b.min_index).fold(f64::INFINITY, f64::min);
        let lowest_k = self.bands.iter().map(|b| b.min_konversi).fold(f64::INFINITY, f64::min);
        if lowest_i > 1.0 || lowest_k > 25.0 {
            return bad("pita terendah harus mulai dari 1,00 dan 25,00".into());
        }
        if self
            .bands
            .iter()
            .any(|b| !b.min_index.is_finite() || !b.min_konversi.is_finite())
        {
            return bad("batas bawah pita harus berupa angka".into());
        }
        Ok(())
    }

    /// Grades an IKM konversi (25–100) value: rounds it to 2 decimals, half away from
    /// zero, and takes the band with the highest lower bound not above it. Grading the
    /// rounded value against lower bounds closes the gaps the printed bands leave
    /// (64.99 → 65.00), so no value is ever unclassified.
    pub fn grade_konversi(&self, konversi: f64) -> Grade {
        let v = round_half_away(konversi, 2);
        self.pick(v, |b| b.min_konversi)
    }

    /// Grades an element's NRR (1–4) with the table's 1–4 column, as SKM.md says.
    /// The NRR is compared at 4 decimals, the precision of the table's own bounds
    /// (3.5324) and of a konversi to 2 decimals; never at the 2 decimals it is printed
    /// with, which would turn 3.5324 into 3.53 and grade it B (the bug SKM.md warns of).
    pub fn grade_nrr(&self, nrr: f64) -> Grade {
        let v = round_half_away(nrr, 4);
        self.pick(v, |b| b.min_index)
    }

    fn pick(&self, v: f64, bound: impl Fn(&Band) -> f64) -> Grade {
        // The band with the highest lower bound that `v` reaches; the lowest band if
        // none does (only possible for values below the scale, which validation of
        // the input excludes).
        let mut best: Option<&Band> = None;
        let mut lowest: Option<&Band> = None;
        for b in &self.bands {
            if v >= bound(b) - 1e-9 && best.is_none_or(|x| bound(b) > bound(x)) {
                best = Some(b);
            }
            if lowest.is_none_or(|x| bound(b) < bound(x)) {
                lowest = Some(b);
            }
        }
        let b = best.or(lowest).expect("validated rule set has bands");
        Grade {
            mutu: b.mutu,
            kinerja: b.kinerja.clone(),
        }
    }
}

impl Default for RuleSet {
    /// The rule set in force: PermenPAN-RB 14/2017.
    fn default() -> Self {
        RuleSet::permenpan_14_2017()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_validate() {
        for r in RuleSet::builtin() {
            r.validate().unwrap();
        }
        assert_eq!(RuleSet::permenpan_14_2017().elements.len(), 9);
        assert_eq!(RuleSet::kepmenpan_25_2004().elements.len(), 14);
        assert_eq!(
            RuleSet::permenpan_14_2017().element_keys(),
            [
                "persyaratan",
                "prosedur",
                "waktu",
                "biaya",
                "produk",
                "kompetensi",
                "perilaku",
                "sarana",
                "pengaduan"
            ]
        );
    }

    #[test]
    fn gaps_between_printed_bands_are_classified() {
        let a = RuleSet::permenpan_14_2017();
        let cases = [
            (64.99, Mutu::D),
            (64.994, Mutu::D),
            (64.995, Mutu::C),
            (65.0, Mutu::C),
            (76.60, Mutu::C),
            (76.604, Mutu::C),
            (76.605, Mutu::B),
            (76.61, Mutu::B),
            (88.30, Mutu::B),
            (88.304, Mutu::B),
            (88.305, Mutu::A),
            (88.31, Mutu::A),
            (100.0, Mutu::A),
            (25.0, Mutu::D),
        ];
        for (v, m) in cases {
            assert_eq!(a.grade_konversi(v).mutu, m, "{v}");
        }
        let b = RuleSet::kepmenpan_25_2004();
        let cases = [
            (43.75, Mutu::D),
            (43.755, Mutu::C),
            (62.50, Mutu::C),
            (62.505, Mutu::B),
            (81.25, Mutu::B),
            (81.255, Mutu::A),
        ];
        for (v, m) in cases {
            assert_eq!(b.grade_konversi(v).mutu, m, "{v}");
        }
    }

    #[test]
    fn same_value_differs_between_tables() {
        assert_eq!(RuleSet::kepmenpan_25_2004().grade_konversi(76.47).mutu, Mutu::B);
        let g = RuleSet::permenpan_14_2017().grade_konversi(76.47);
        assert_eq!(g.mutu, Mutu::C);
        assert_eq!(g.kinerja, "Kurang Baik");
    }

    #[test]
    fn element_nrr_grades() {
        let a = RuleSet::permenpan_14_2017();
        assert_eq!(a.grade_nrr(3.40).mutu, Mutu::B);
        assert_eq!(a.grade_nrr(3.40).kinerja, "Baik");
        assert_eq!(a.grade_nrr(3.5324).mutu, Mutu::A);
        assert_eq!(a.grade_nrr(3.5323).mutu, Mutu::B);
        assert_eq!(a.grade_nrr(2.5996).mutu, Mutu::D);
        assert_eq!(a.grade_nrr(2.60).mutu, Mutu::C);
        assert_eq!(a.grade_nrr(4.0).mutu, Mutu::A);
        assert_eq!(a.grade_nrr(1.0).mutu, Mutu::D);
    }

    #[test]
    fn headers_find_elements_by_code_key_or_name() {
        let r = RuleSet::permenpan_14_2017();
        let key = |h: &str| r.element_for_header(h).map(|e| e.key.as_str());
        assert_eq!(key("u1"), Some("persyaratan"));
        assert_eq!(key("U9"), Some("pengaduan"));
        assert_eq!(key("Sistem Mekanisme dan Prosedur"), Some("prosedur"));
        assert_eq!(key("SARANA DAN PRASARANA"), Some("sarana"));
        assert_eq!(key("biaya/tarif"), Some("biaya"));
        assert_eq!(key("saran"), None);
        assert_eq!(key(""), None);
        let b = RuleSet::kepmenpan_25_2004();
        assert_eq!(
            b.element_for_header("u14").map(|e| e.key.as_str()),
            Some("keamanan_pelayanan")
        );
    }

    #[test]
    fn rule_set_roundtrips_through_serde_and_a_new_one_is_data() {
        let mut r = RuleSet::permenpan_14_2017();
        let json = serde_json::to_string(&r).unwrap();
        let back: RuleSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        r.elements.truncate(0);
        assert!(r.validate().is_err());
    }
}
