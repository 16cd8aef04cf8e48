//! Columns by header name: the built-in aliases for the known LAPOR! fields, the
//! user's mapping file, the status vocabulary, and turning one row into a checked
//! [`LaporReport`] or the reasons it cannot be taken.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::dates::{parse_datetime, parse_day};
use super::{ImportError, Reason};
use crate::domain::{Channel, ComplaintStatus, Klasifikasi};
use crate::storage::model::{Complainant, LaporFollowUp, LaporReport, NewComplaint};
use crate::survey::interchange::normalize;

/// A field of a LAPOR! report the importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    /// Tracking ID (required; the idempotency key).
    TrackingId,
    /// Judul (title).
    Judul,
    /// Isi (body).
    Isi,
    /// Tanggal laporan (required).
    TanggalLaporan,
    /// Tanggal kejadian.
    TanggalKejadian,
    /// Lokasi kejadian.
    Lokasi,
    /// Kategori (topic path).
    Kategori,
    /// Instansi tujuan.
    Instansi,
    /// Sumber: web, SMS 1708, app, Twitter.
    Sumber,
    /// Anonim flag.
    Anonim,
    /// Rahasia flag.
    Rahasia,
    /// LAPOR! status text.
    Status,
    /// The agency's follow-ups.
    TindakLanjut,
    /// Date of the (last) follow-up.
    TanggalTindakLanjut,
    /// Pengaduan / aspirasi / permintaan informasi.
    Klasifikasi,
    /// Reporter's name.
    NamaPelapor,
    /// Reporter's phone.
    Telepon,
    /// Reporter's email.
    Email,
    /// When the report reached its current status (e.g. the day it was closed).
    TanggalStatus,
}

/// Every field with its mapping-file key and built-in header aliases.
pub const FIELDS: &[(Field, &str, &[&str])] = &[
    (
        Field::TrackingId,
        "tracking_id",
        &[
            "tracking id",
            "id tracking",
            "no tracking",
            "nomor tracking",
            "kode tracking",
            "id pelacakan",
            "id laporan",
            "nomor laporan",
            "no laporan",
            "no. laporan",
            "no tiket",
            "nomor tiket",
            "id tiket",
            "id",
        ],
    ),
    (
        Field::Judul,
        "judul",
        &["judul", "judul laporan", "perihal", "subjek", "title"],
    ),
    (
        Field::Isi,
        "isi",
        &[
            "isi",
            "isi laporan",
            "uraian",
            "uraian laporan",
            "deskripsi",
            "laporan",
            "description",
        ],
    ),
    (
        Field::TanggalLaporan,
        "tanggal_laporan",
        &[
            "tanggal laporan",
            "tgl laporan",
            "tanggal lapor",
            "waktu laporan",
            "tanggal masuk",
            "tanggal dibuat",
            "tanggal",
            "created at",
        ],
    ),
    (
        Field::TanggalKejadian,
        "tanggal_kejadian",
        &["tanggal kejadian", "tgl kejadian", "waktu kejadian"],
    ),
    (
        Field::Lokasi,
        "lokasi",
        &["lokasi", "lokasi kejadian", "tempat kejadian"],
    ),
    (
        Field::Kategori,
        "kategori",
        &["kategori", "kategori laporan", "topik", "category"],
    ),
    (
        Field::Instansi,
        "instansi",
        &["instansi", "instansi tujuan", "instansi terlapor", "instansi terkait"],
    ),
    (
        Field::Sumber,
        "sumber",
        &["sumber", "sumber laporan", "channel", "kanal", "saluran", "media"],
    ),
    (
        Field::Anonim,
        "anonim",
        &["anonim", "anonymous", "identitas dirahasiakan"],
    ),
    (Field::Rahasia, "rahasia", &["rahasia", "laporan rahasia", "private"]),
    (Field::Status, "status", &["status", "status laporan"]),
    (
        Field::TindakLanjut,
        "tindak_lanjut",
        &[
            "tindak lanjut",
            "tindak lanjut instansi",
            "tanggapan",
            "tanggapan instansi",
            "respon",
            "jawaban",
        ],
    ),
    (
        Field::TanggalTindakLanjut,
        "tanggal_tindak_lanjut",
        &["tanggal tindak lanjut", "tanggal tanggapan", "tgl tindak lanjut"],
    ),
    (
        Field::Klasifikasi,
        "klasifikasi",
        &["klasifikasi", "klasifikasi laporan", "jenis laporan"],
    ),
    (Field::NamaPelapor, "nama_pelapor", &["nama pelapor", "pelapor", "nama"]),
    (
        Field::Telepon,
        "telepon",
        &["telepon", "telepon pelapor", "no telepon", "no hp", "nomor hp", "hp"],
    ),
    (Field::Email, "email", &["email", "email pelapor", "surel"]),
    (
        Field::TanggalStatus,
        "tanggal_status",
        &[
            "tanggal status",
            "tanggal perubahan status",
            "tanggal selesai",
            "tgl selesai",
            "tanggal diperbarui",
            "terakhir diperbarui",
        ],
    ),
];

/// Built-in LAPOR! status texts and where they land in our life cycle (see
/// docs/architecture.md, "SPAN-LAPOR! import"). Compared without case or spaces.
pub const STATUS_MAP: &[(&str, ComplaintStatus)] = &[
    ("belum terverifikasi", ComplaintStatus::Diterima),
    ("menunggu verifikasi", ComplaintStatus::Diterima),
    ("baru", ComplaintStatus::Diterima),
    ("diterima", ComplaintStatus::Diterima),
    ("terverifikasi", ComplaintStatus::Terverifikasi),
    ("belum didisposisi", ComplaintStatus::Terverifikasi),
    ("didisposisi", ComplaintStatus::Didisposisikan),
    ("didisposisikan", ComplaintStatus::Didisposisikan),
    ("sudah didisposisi", ComplaintStatus::Didisposisikan),
    ("diteruskan", ComplaintStatus::Didisposisikan),
    ("proses", ComplaintStatus::Ditindaklanjuti),
    ("diproses", ComplaintStatus::Ditindaklanjuti),
    ("sedang diproses", ComplaintStatus::Ditindaklanjuti),
    ("dalam proses", ComplaintStatus::Ditindaklanjuti),
    ("ditindaklanjuti", ComplaintStatus::Ditindaklanjuti),
    ("tindak lanjut", ComplaintStatus::Ditindaklanjuti),
    ("ditanggapi", ComplaintStatus::Dijawab),
    ("sudah ditanggapi", ComplaintStatus::Dijawab),
    ("dijawab", ComplaintStatus::Dijawab),
    ("direspon", ComplaintStatus::Dijawab),
    ("selesai", ComplaintStatus::Selesai),
    ("ditutup", ComplaintStatus::Selesai),
    ("tuntas", ComplaintStatus::Selesai),
    ("dikembalikan", ComplaintStatus::Dikembalikan),
    ("perlu dilengkapi", ComplaintStatus::Dikembalikan),
    ("bukan kewenangan", ComplaintStatus::BukanWewenang),
    ("bukan wewenang", ComplaintStatus::BukanWewenang),
    ("dialihkan", ComplaintStatus::BukanWewenang),
    ("salah instansi", ComplaintStatus::BukanWewenang),
    ("diarsipkan", ComplaintStatus::Diarsipkan),
    ("arsip", ComplaintStatus::Diarsipkan),
    ("ditolak", ComplaintStatus::Diarsipkan),
    ("dibuka kembali", ComplaintStatus::DibukaKembali),
];

/// The user's mapping file (TOML): extra header names per field, extra status texts,
/// and the sheet of an XLSX file.
///
/// ```toml
/// sheet = "Laporan Masuk"
/// [columns]
/// tracking_id = "Nomor Tiket"
/// judul = ["Judul Aduan", "Perihal Aduan"]
/// [status]
/// "Menunggu Tanggapan" = "didisposisikan"
/// ```
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// XLSX sheet to read (default: the first).
    pub sheet: Option<String>,
    columns: Vec<(Field, String)>,
    statuses: Vec<(String, ComplaintStatus)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    sheet: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    status: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Mapping {
    /// Reads a mapping file; unknown field names or statuses are errors, so a typo
    /// never silently maps nothing.
    pub fn from_toml(text: &str) -> Result<Mapping, ImportError> {
        let file: MappingFile = toml::from_str(text)
            .map_err(|e| ImportError::new("pemetaan_rusak", &[("detail", e.message().to_owned())]))?;
        let mut mapping = Mapping {
            sheet: file.sheet,
            ..Mapping::default()
        };
        for (key, names) in file.columns {
            let field = FIELDS
                .iter()
                .find(|(_, k, _)| *k == key)
                .map(|(f, _, _)| *f)
                .ok_or_else(|| {
                    let known: Vec<&str> = FIELDS.iter().map(|(_, k, _)| *k).collect();
                    ImportError::new("pemetaan_kolom", &[("field", key.clone()), ("known", known.join(", "))])
                })?;
            let names = match names {
                OneOrMany::One(n) => vec![n],
                OneOrMany::Many(n) => n,
            };
            mapping.columns.extend(names.into_iter().map(|n| (field, n)));
        }
        for (text, key) in file.status {
            let status = ComplaintStatus::parse(&key).map_err(|_| {
                let known: Vec<&str> = ComplaintStatus::ALL.iter().map(|s| s.key()).collect();
                ImportError::new(
                    "pemetaan_status",
                    &[("status", key.clone()), ("known", known.join(", "))],
                )
            })?;
            mapping.statuses.push((normalize(&text), status));
        }
        Ok(mapping)
    }

    /// Our status for a LAPOR! status text: the user's mapping first, then the built-in one.
    pub fn status(&self, text: &str) -> Option<ComplaintStatus> {
        static BUILT_IN: std::sync::OnceLock<Vec<(String, ComplaintStatus)>> = std::sync::OnceLock::new();
        let built_in = BUILT_IN.get_or_init(|| STATUS_MAP.iter().map(|(t, s)| (normalize(t), *s)).collect());
        let wanted = normalize(text);
        self.statuses
            .iter()
            .chain(built_in)
            .find(|(t, _)| *t == wanted)
            .map(|(_, s)| *s)
    }

    /// The field a header names, if any: the user's names first, then the aliases.
    fn field_of(&self, header: &str) -> Option<Field> {
        let h = normalize(header);
        if h.is_empty() {
            return None;
        }
        self.columns
            .iter()
            .find(|(_, n)| normalize(n) == h)
            .map(|(f, _)| *f)
            .or_else(|| {
                FIELDS
                    .iter()
                    .find(|(_, _, aliases)| aliases.iter().any(|a| normalize(a) == h))
                    .map(|(f, _, _)| *f)
            })
    }

    /// Column index per field for a header row (the first column naming a field wins).
    pub fn columns(&self, header: &[String]) -> BTreeMap<Field, usize> {
        let mut found = BTreeMap::new();
        for (i, h) in header.iter().enumerate() {
            if let Some(f) = self.field_of(h) {
                found.entry(f).or_insert(i);
            }
        }
        found
    }
}

/// Human name of a field in rejection reasons.
pub fn field_label(f: Field) -> &'static str {
    match f {
        Field::TrackingId => "ID pelacakan",
        Field::Judul => "judul",
        Field::Isi => "isi",
        Field::TanggalLaporan => "tanggal laporan",
        Field::TanggalKejadian => "tanggal kejadian",
        Field::Lokasi => "lokasi",
        Field::Kategori => "kategori",
        Field::Instansi => "instansi",
        Field::Sumber => "sumber",
        Field::Anonim => "anonim",
        Field::Rahasia => "rahasia",
        Field::Status => "status",
        Field::TindakLanjut => "tindak lanjut",
        Field::TanggalTindakLanjut => "tanggal tindak lanjut",
        Field::Klasifikasi => "klasifikasi",
        Field::NamaPelapor => "nama pelapor",
        Field::Telepon => "telepon",
        Field::Email => "email",
        Field::TanggalStatus => "tanggal status",
    }
}

/// Longest title kept; LAPOR! titles are short.
pub const MAX_JUDUL: usize = 300;
/// Longest body kept.
pub const MAX_ISI: usize = 20_000;

fn yes_no(text: &str) -> Option<bool> {
    match normalize(text).as_str() {
        "" | "0" | "tidak" | "t" | "n" | "no" | "false" | "bukan" => Some(false),
        "1" | "ya" | "y" | "yes" | "true" | "iya" => Some(true),
        _ => None,
    }
}

/// A tracking ID as LAPOR! prints it: digits, maybe after `#`.
pub fn tracking_id(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('#').trim();
    (!t.is_empty() && t.len() <= 20 && t.chars().all(|c| c.is_ascii_digit())).then(|| t.to_owned())
}

/// Splits a follow-up cell into entries: a line starting with a date begins a new
/// entry (that date is when it was written); without dates the cell is one entry.
fn follow_ups(
    cell: &str,
    last_date: Option<DateTime<Utc>>,
    zone: chrono_tz::Tz,
) -> Vec<(Option<DateTime<Utc>>, String)> {
    let mut entries: Vec<(Option<DateTime<Utc>>, String)> = Vec::new();
    for line in cell.lines() {
        let trimmed = line.trim().trim_start_matches('[');
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let mut stamp = None;
        for n in (1..=words.len().min(5)).rev() {
            let candidate = words[..n].join(" ");
            let candidate = candidate.trim_end_matches([']', ':', '-']).trim();
            if let Some(at) = parse_datetime(candidate, zone) {
                let rest = words[n..].join(" ");
                stamp = Some((at, rest.trim_start_matches([']', ':', '-', ' ']).to_owned()));
                break;
            }
        }
        match stamp {
            Some((at, rest)) => entries.push((Some(at), rest)),
            None => match entries.last_mut() {
                Some((_, text)) => {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(line.trim());
                }
                None => entries.push((None, line.trim().to_owned())),
            },
        }
    }
    entries.retain(|(_, t)| !t.trim().is_empty());
    if entries.len() == 1 && entries[0].0.is_none() {
        entries[0].0 = last_date;
    }
    entries
}

/// The key that makes a follow-up a no-op on re-import: unit, report, and the text
/// with spacing normalised (a re-export with other line endings matches).
pub fn follow_up_ref(unit_id: i64, tracking_id: &str, text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let digest = Sha256::digest(flat.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("lapor:{unit_id}:{tracking_id}:{hex}")
}

/// What a row needs besides its cells.
pub struct RowContext<'a> {
    /// Receiving unit.
    pub unit_id: i64,
    /// The unit's zone, for dates without one.
    pub zone: chrono_tz::Tz,
    /// Column per field.
    pub columns: &'a BTreeMap<Field, usize>,
    /// The user's mapping (for statuses).
    pub mapping: &'a Mapping,
    /// Now, to refuse report dates in the future.
    pub now: DateTime<Utc>,
}

/// The trimmed text of a field's cell in a row ("" when absent).
fn cell<'a>(cells: &'a [String], cx: &RowContext<'_>, f: Field) -> &'a str {
    cx.columns
        .get(&f)
        .and_then(|i| cells.get(*i))
        .map(|s| s.trim())
        .unwrap_or("")
}

/// Checks one row; every problem found is reported, not just the first.
pub fn report_from_row(cells: &[String], cx: &RowContext<'_>) -> Result<LaporReport, Vec<Reason>> {
    let get = |f: Field| cell(cells, cx, f);
    let opt = |f: Field| -> Option<String> { Some(get(f).to_owned()).filter(|s| !s.is_empty()) };
    let mut reasons = Vec::new();
    let raw_id = get(Field::TrackingId);
    let tracking = if raw_id.is_empty() {
        reasons.push(Reason::new("id_kosong", &[]));
        None
    } else {
        let id = tracking_id(raw_id);
        if id.is_none() {
            reasons.push(Reason::new("id_tidak_sah", &[("value", clip(raw_id))]));
        }
        id
    };
    let judul = get(Field::Judul);
    let isi = get(Field::Isi);
    if judul.is_empty() && isi.is_empty() {
        reasons.push(Reason::new("isi_kosong", &[]));
    }
    if judul.chars().count() > MAX_JUDUL {
        reasons.push(Reason::new(
            "terlalu_panjang",
            &[("field", "judul".into()), ("max", MAX_JUDUL.to_string())],
        ));
    }
    if isi.chars().count() > MAX_ISI {
        reasons.push(Reason::new(
            "terlalu_panjang",
            &[("field", "isi".into()), ("max", MAX_ISI.to_string())],
        ));
    }
    let tanggal = get(Field::TanggalLaporan);
    let received_at = if tanggal.is_empty() {
        reasons.push(Reason::new("tanggal_kosong", &[]));
        None
    } else {
        match parse_datetime(tanggal, cx.zone) {
            Some(t) if t > cx.now + chrono::Duration::days(1) => {
                reasons.push(Reason::new("tanggal_masa_depan", &[("value", clip(tanggal))]));
                None
            }
            Some(t) => Some(t),
            None => {
                reasons.push(Reason::new(
                    "tanggal_tidak_dikenali",
                    &[("field", "tanggal laporan".into()), ("value", clip(tanggal))],
                ));
                None
            }
        }
    };
    let mut date_of = |f: Field| -> Option<String> {
        let v = get(f);
        if !v.is_empty() && parse_day(v).is_none() {
            reasons.push(Reason::new(
                "tanggal_tidak_dikenali",
                &[("field", field_label(f).into()), ("value", clip(v))],
            ));
        }
        Some(v.to_owned()).filter(|v| !v.is_empty())
    };
    let event_date = date_of(Field::TanggalKejadian).and_then(|v| parse_day(&v));
    let follow_up_date = date_of(Field::TanggalTindakLanjut).and_then(|v| parse_datetime(&v, cx.zone));
    let status_at = date_of(Field::TanggalStatus).and_then(|v| parse_datetime(&v, cx.zone));
    let mut flag = |f: Field| -> bool {
        let v = get(f);
        yes_no(v).unwrap_or_else(|| {
            reasons.push(Reason::new(
                "bukan_ya_tidak",
                &[("field", field_label(f).into()), ("value", clip(v))],
            ));
            false
        })
    };
    let anonim = flag(Field::Anonim);
    let rahasia = flag(Field::Rahasia);
    let lapor_status = get(Field::Status).to_owned();
    let status = if lapor_status.is_empty() {
        Some(ComplaintStatus::Diterima)
    } else {
        let s = cx.mapping.status(&lapor_status);
        if s.is_none() {
            reasons.push(Reason::new("status_tidak_dikenal", &[("value", clip(&lapor_status))]));
        }
        s
    };
    let klasifikasi = match normalize(get(Field::Klasifikasi)).as_str() {
        "" | "pengaduan" | "keluhan" => Some(Klasifikasi::Pengaduan),
        "aspirasi" | "saran" => Some(Klasifikasi::Aspirasi),
        "permintaaninformasi" | "permintaaninfo" | "informasi" => Some(Klasifikasi::PermintaanInformasi),
        _ => {
            reasons.push(Reason::new(
                "klasifikasi_tidak_dikenal",
                &[("value", clip(get(Field::Klasifikasi)))],
            ));
            None
        }
    };
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let (Some(tracking), Some(received_at), Some(status), Some(klasifikasi)) =
        (tracking, received_at, status, klasifikasi)
    else {
        return Err(vec![Reason::new("id_kosong", &[])]);
    };
    let subject = if judul.is_empty() {
        let first: String = isi.chars().take(100).collect();
        if isi.chars().count() > 100 {
            format!("{first}…")
        } else {
            first
        }
    } else {
        judul.to_owned()
    };
    let mut seen = std::collections::HashSet::new();
    let follow = follow_ups(get(Field::TindakLanjut), follow_up_date, cx.zone)
        .into_iter()
        .filter_map(|(at, text)| {
            let message_ref = follow_up_ref(cx.unit_id, &tracking, &text);
            seen.insert(message_ref.clone())
                .then_some(LaporFollowUp { message_ref, at, text })
        })
        .collect();
    Ok(LaporReport {
        complaint: NewComplaint {
            unit_id: cx.unit_id,
            channel: Channel::SpanLapor,
            channel_ref: Some(tracking.clone()),
            channel_detail: opt(Field::Sumber),
            received_at,
            recorded_by: None,
            complainant: Complainant {
                name: opt(Field::NamaPelapor),
                phone: opt(Field::Telepon),
                email: opt(Field::Email),
                address: None,
                nik: None,
            },
            anonim,
            rahasia,
            subject,
            description: isi.to_owned(),
            event_place: opt(Field::Lokasi),
            event_date,
            klasifikasi,
            service_id: None,
        },
        tracking_id: tracking,
        lapor_status,
        status,
        kategori: opt(Field::Kategori),
        instansi: opt(Field::Instansi),
        follow_ups: follow,
        status_at,
    })
}

/// A cell quoted in a reason, cut to a readable length.
fn clip(text: &str) -> String {
    let t: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        format!("{t}…")
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_cells_split_on_dated_lines() {
        let zone = chrono_tz::Asia::Jakarta;
        let cell = "[20/11/2026 09:00] Laporan diteruskan ke Bidang Linjamsos.\nMohon ditunggu.\n22/11/2026 14:05 - Bantuan sudah disalurkan.";
        let got = follow_ups(cell, None, zone);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, "Laporan diteruskan ke Bidang Linjamsos.\nMohon ditunggu.");
        assert_eq!(got[1].1, "Bantuan sudah disalurkan.");
        assert_eq!(got[1].0.unwrap().to_rfc3339(), "2026-11-22T07:05:00+00:00");
        let single = follow_ups("Sudah ditangani petugas.", None, zone);
        assert_eq!(single, vec![(None, "Sudah ditangani petugas.".to_owned())]);
        assert_eq!(
            follow_up_ref(1, "123", "a  b\r\nc"),
            follow_up_ref(1, "123", "a b c"),
            "spacing does not make a new follow-up"
        );
    }

    #[test]
    fn mapping_file_adds_names_and_statuses_and_refuses_typos() {
        let m = Mapping::from_toml(
            "sheet = \"Laporan\"\n[columns]\ntracking_id = \"Nomor Tiket\"\njudul = [\"Judul Aduan\"]\n[status]\n\"Menunggu Tanggapan\" = \"didisposisikan\"\n",
        )
        .unwrap();
        assert_eq!(m.sheet.as_deref(), Some("Laporan"));
        let cols = m.columns(&["Nomor Tiket".into(), "Judul Aduan".into(), "Status".into()]);
        assert_eq!(cols.get(&Field::TrackingId), Some(&0));
        assert_eq!(cols.get(&Field::Judul), Some(&1));
        assert_eq!(m.status("menunggu  tanggapan"), Some(ComplaintStatus::Didisposisikan));
        assert_eq!(m.status("Sedang Diproses"), Some(ComplaintStatus::Ditindaklanjuti));
        assert!(Mapping::from_toml("[columns]\njudull = \"X\"").is_err());
        assert!(Mapping::from_toml("[status]\nX = \"beres\"").is_err());
    }
}
