//! Synthetic complaints that look like a real year (survey responses: `responses.rs`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{DemoOptions, DemoUnit};
use crate::domain::{Bobot, Channel, ComplaintStatus, Klasifikasi};
use crate::storage::format_nomor_agenda;
use crate::storage::model::{BulkComplaint, Complainant, ComplaintEvent, NewComplaint};

/// Picks from `(item, weight)` pairs.
pub(super) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (item, weight) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &items[items.len() - 1].0
}

const CHANNELS: &[(Channel, u32)] = &[
    (Channel::SpanLapor, 20),
    (Channel::Website, 15),
    (Channel::Whatsapp, 15),
    (Channel::Email, 10),
    (Channel::Sms, 8),
    (Channel::Telepon, 8),
    (Channel::KotakSaran, 7),
    (Channel::TatapMuka, 7),
    (Channel::Surat, 4),
    (Channel::MediaSosial, 4),
    (Channel::Fax, 1),
    (Channel::Skm, 1),
];

const BOBOT: &[(Bobot, u32)] = &[(Bobot::Ringan, 70), (Bobot::Sedang, 25), (Bobot::Berat, 5)];

const KLASIFIKASI: &[(Klasifikasi, u32)] = &[
    (Klasifikasi::Pengaduan, 70),
    (Klasifikasi::Aspirasi, 15),
    (Klasifikasi::PermintaanInformasi, 15),
];

/// (jenis key, weight, subject, description) in plain Indonesian.
const TOPICS: &[(&str, u32, &str, &str)] = &[
    (
        "waktu",
        18,
        "Layanan {s} belum selesai",
        "Saya mengajukan {s} sudah lewat dari jangka waktu yang dijanjikan, tetapi belum ada kabar. Mohon kejelasan kapan selesai.",
    ),
    (
        "persyaratan",
        14,
        "Persyaratan {s} tidak jelas",
        "Petugas meminta berkas tambahan untuk {s} yang tidak tercantum dalam standar pelayanan. Mohon penjelasan persyaratan yang benar.",
    ),
    (
        "prosedur",
        10,
        "Prosedur {s} berbelit",
        "Saya harus datang berkali-kali untuk mengurus {s}. Alurnya membingungkan dan tidak ada informasi yang jelas.",
    ),
    (
        "perilaku",
        10,
        "Sikap petugas kurang ramah",
        "Saat mengurus {s}, petugas di loket berbicara dengan nada tinggi dan tidak menjelaskan dengan baik.",
    ),
    (
        "biaya",
        6,
        "Ada pungutan untuk {s}",
        "Layanan {s} seharusnya gratis, tetapi saya diminta membayar uang administrasi.",
    ),
    (
        "produk",
        5,
        "Hasil {s} tidak sesuai",
        "Dokumen hasil {s} yang saya terima berbeda dengan yang tercantum di standar pelayanan; ada data yang salah.",
    ),
    (
        "kompetensi",
        5,
        "Petugas tidak memahami {s}",
        "Petugas tidak dapat menjawab pertanyaan saya tentang {s} dan menyuruh saya bertanya ke tempat lain.",
    ),
    (
        "sarana",
        8,
        "Ruang tunggu tidak nyaman",
        "Ruang tunggu panas, kursi kurang, dan toilet tidak berfungsi ketika saya mengurus {s}.",
    ),
    (
        "pengaduan",
        4,
        "Pengaduan sebelumnya tidak ditanggapi",
        "Saya sudah pernah mengadukan masalah {s} tetapi belum mendapat jawaban.",
    ),
    (
        "penundaan_berlarut",
        6,
        "Berkas {s} tertahan",
        "Berkas {s} saya tertahan berminggu-minggu tanpa alasan yang jelas.",
    ),
    (
        "tidak_memberikan_pelayanan",
        3,
        "Tidak dilayani di loket",
        "Saya datang pada jam layanan untuk {s} tetapi loket tutup dan tidak ada petugas.",
    ),
    (
        "permintaan_imbalan",
        3,
        "Diminta imbalan agar cepat",
        "Ada oknum yang menawarkan {s} selesai lebih cepat dengan imbalan uang.",
    ),
    (
        "penyimpangan_prosedur",
        2,
        "Urutan antrean tidak dipatuhi",
        "Ada pemohon {s} yang didahulukan tanpa mengambil nomor antrean.",
    ),
    (
        "diskriminasi",
        1,
        "Perlakuan berbeda kepada pemohon",
        "Saya merasa diperlakukan berbeda dari pemohon lain saat mengurus {s}.",
    ),
];

const FIRST_NAMES: &[&str] = &[
    "Siti", "Ahmad", "Dewi", "Budi", "Nur", "Rina", "Agus", "Sri", "Hendra", "Yuli", "Rudi", "Fitri", "Joko", "Wati",
    "Andi", "Lestari", "Dedi", "Ratna", "Eko", "Maya", "Fajar", "Indah", "Rizki", "Ayu",
];
const LAST_NAMES: &[&str] = &[
    "Hasibuan",
    "Siregar",
    "Nasution",
    "Lubis",
    "Harahap",
    "Saputra",
    "Wijaya",
    "Pratama",
    "Rahmawati",
    "Santoso",
    "Hidayat",
    "Kurniawan",
    "Syahputra",
    "Sari",
    "Putri",
    "Gunawan",
    "Simanjuntak",
    "Rangkuti",
];
const PLACES: &[&str] = &[
    "Loket pelayanan",
    "Ruang tunggu",
    "Kantor dinas",
    "Mal Pelayanan Publik",
    "Kantor kelurahan",
];

/// Adds `days` working days (Monday to Friday) to a date.
fn add_working_days(mut day: NaiveDate, days: i64) -> NaiveDate {
    let mut left = days;
    while left > 0 {
        day = day.succ_opt().expect("date in range");
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    day
}

/// Office hours in WIB (UTC+7) expressed in UTC: 08:00-16:00 local is 01:00-09:00 UTC.
fn office_time(rng: &mut ChaCha8Rng, day: NaiveDate) -> DateTime<Utc> {
    let seconds = rng.random_range(3_600..9 * 3_600);
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc() + Duration::seconds(seconds)
}

fn random_day(rng: &mut ChaCha8Rng, end: NaiveDate, span_days: i64) -> NaiveDate {
    loop {
        let day = end - Duration::days(rng.random_range(0..span_days));
        // Fewer complaints arrive at weekends (only online channels work then).
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) || rng.random_bool(0.15) {
            return day;
        }
    }
}

/// A complaint and what happened to it, before agenda numbers are given out.
#[derive(Debug, Clone)]
pub struct ComplaintPlan {
    unit: usize,
    complaint: BulkComplaint,
}

/// Makes `options.complaints` complaints spread over the twelve months before
/// `options.end_date`, numbered per unit and year in order of arrival.
pub fn generate_complaints(units: &[DemoUnit], options: &DemoOptions) -> Vec<BulkComplaint> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let weights: Vec<(usize, u32)> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (i, 2 + u.services.len() as u32))
        .collect();
    let mut plans = Vec::with_capacity(options.complaints);
    for n in 0..options.complaints {
        let ui = *pick(&mut rng, &weights);
        let unit = &units[ui];
        let (service_id, service_name, division_id) = unit.services[rng.random_range(0..unit.services.len())].clone();
        let channel = *pick(&mut rng, CHANNELS);
        let day = random_day(&mut rng, options.end_date, 365);
        let received_at = office_time(&mut rng, day);
        let topic_weights: Vec<(usize, u32)> = TOPICS.iter().enumerate().map(|(i, t)| (i, t.1)).collect();
        let (jenis, _, subject, description) = TOPICS[*pick(&mut rng, &topic_weights)];
        let anonim = rng.random_bool(0.08);
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
        let phone = format!(
            "08{}{:08}",
            rng.random_range(11..99),
            rng.random_range(0..100_000_000u32)
        );
        let email = matches!(channel, Channel::Email | Channel::Website | Channel::SpanLapor).then(|| {
            format!(
                "{}.{}{}@contoh.id",
                first.to_lowercase(),
                last.to_lowercase(),
                rng.random_range(1..999)
            )
        });
        let channel_ref = match channel {
            Channel::Email => Some(format!("<demo-{}-{n}@contoh.id>", options.seed)),
            Channel::SpanLapor => Some(format!("{}", 1_900_000 + n as u64 * 7 + options.seed % 7)),
            Channel::Sms | Channel::Whatsapp => Some(format!("demo-{n}:{phone}")),
            Channel::MediaSosial => Some(format!("https://media.contoh.id/post/{}{n}", options.seed)),
            _ => None,
        };
        let bobot = *pick(&mut rng, BOBOT);
        let age_days = (options.end_date - day).num_days();
        let (status, events, first_answered_at, answered_at, closed_at, due_at) =
            life_cycle(&mut rng, received_at, bobot, age_days);
        let complaint = NewComplaint {
            unit_id: unit.id,
            channel,
            channel_ref,
            channel_detail: (channel == Channel::SpanLapor)
                .then(|| ["web", "SMS 1708", "aplikasi", "Twitter"][rng.random_range(0..4)].to_owned()),
            received_at,
            recorded_by: None,
            complainant: Complainant {
                name: Some(format!("{first} {last}")),
                phone: Some(phone),
                email,
                address: rng
                    .random_bool(0.3)
                    .then(|| format!("Jl. Merdeka No. {}", rng.random_range(1..200))),
                nik: None,
            },
            anonim,
            rahasia: rng.random_bool(0.04),
            subject: subject.replace("{s}", &service_name),
            description: description.replace("{s}", &service_name),
            event_place: rng
                .random_bool(0.5)
                .then(|| PLACES[rng.random_range(0..PLACES.len())].to_owned()),
            event_date: Some(day - Duration::days(rng.random_range(0..5))),
            klasifikasi: *pick(&mut rng, KLASIFIKASI),
            service_id: Some(service_id),
        };
        plans.push(ComplaintPlan {
            unit: ui,
            complaint: BulkComplaint {
                complaint,
                agenda_number: 0,
                agenda_year: i64::from(received_at.year()),
                nomor_agenda: String::new(),
                tracking_code: tracking_code(&mut rng),
                division_id,
                jenis_key: Some(jenis.to_owned()),
                bobot: Some(bobot),
                status: status.key().to_owned(),
                first_answered_at,
                answered_at,
                closed_at,
                due_at,
                events,
            },
        });
    }
    plans.sort_by_key(|p| (p.unit, p.complaint.complaint.received_at));
    let mut counters: std::collections::HashMap<(usize, i64), i64> = std::collections::HashMap::new();
    plans
        .into_iter()
        .map(|mut p| {
            let n = counters.entry((p.unit, p.complaint.agenda_year)).or_insert(0);
            *n += 1;
            p.complaint.agenda_number = *n;
            p.complaint.nomor_agenda = format_nomor_agenda(&units[p.unit].agenda_format, p.complaint.agenda_year, *n);
            p.complaint
        })
        .collect()
}

fn tracking_code(rng: &mut ChaCha8Rng) -> String {
    crate::codes::random_string(rng, crate::codes::UNAMBIGUOUS, 16)
}

type LifeCycle = (
    ComplaintStatus,
    Vec<ComplaintEvent>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// Walks a complaint through its states; older complaints are further along.
fn life_cycle(rng: &mut ChaCha8Rng, received: DateTime<Utc>, bobot: Bobot, age_days: i64) -> LifeCycle {
    use ComplaintStatus::*;
    let target = match bobot {
        Bobot::Ringan => 5,
        Bobot::Sedang => 14,
        Bobot::Berat => 60,
    };
    let due = add_working_days(received.date_naive(), target)
        .and_time(received.time())
        .and_utc();
    let event = |at: DateTime<Utc>, from: Option<ComplaintStatus>, to: ComplaintStatus, note: &str| ComplaintEvent {
        at,
        actor_id: None,
        kind: if from.is_none() {
            "diterima".to_owned()
        } else {
            "status".to_owned()
        },
        from_status: from.map(|s| s.key().to_owned()),
        to_status: Some(to.key().to_owned()),
        note: note.to_owned(),
    };
    let mut events = vec![event(received, None, Diterima, "Pengaduan diterima")];
    // A few are spam or incomplete.
    let roll: f64 = rng.random();
    if roll < 0.03 {
        let at = received + Duration::hours(rng.random_range(2..48));
        events.push(event(at, Some(Diterima), Diarsipkan, "Spam atau duplikat"));
        return (Diarsipkan, events, None, None, Some(at), None);
    }
    if roll < 0.06 {
        let at = received + Duration::hours(rng.random_range(2..72));
        events.push(event(at, Some(Diterima), Dikembalikan, "Data pelapor belum lengkap"));
        return (Dikembalikan, events, None, None, None, None);
    }
    // Slow complaints take longer than the target: about one in six is late.
    let speed = if rng.random_bool(0.17) {
        rng.random_range(1.1..2.5)
    } else {
        rng.random_range(0.2..0.95)
    };
    let total_hours = (target as f64 * 24.0 * 7.0 / 5.0 * speed).max(6.0);
    let steps = [
        (Terverifikasi, 0.10, "Kelengkapan data diverifikasi"),
        (Didisposisikan, 0.20, "Didisposisikan ke bidang terkait"),
        (Ditindaklanjuti, 0.45, "Sedang ditindaklanjuti"),
        (Dijawab, 1.0, "Jawaban disampaikan kepada pelapor"),
    ];
    let mut status = Diterima;
    let mut answered = None;
    let limit = received + Duration::days(age_days.max(0)) + Duration::hours(20);
    if roll < 0.08 {
        let at = received + Duration::hours(rng.random_range(4..72));
        if at < limit {
            events.push(event(
                at,
                Some(Diterima),
                BukanWewenang,
                "Diteruskan ke instansi yang berwenang",
            ));
            return (BukanWewenang, events, Some(at), Some(at), Some(at), Some(due));
        }
    }
    for (next, share, note) in steps {
        let at = received + Duration::minutes((total_hours * share * 60.0) as i64);
        if at > limit {
            break;
        }
        events.push(event(at, Some(status), next, note));
        status = next;
        if next == Dijawab {
            answered = Some(at);
        }
    }
    let mut closed = None;
    if let Some(at) = answered {
        let close_at = at + Duration::days(14);
        if close_at <= limit {
            if rng.random_bool(0.05) {
                let reopen = at + Duration::days(rng.random_range(1..8));
                events.push(event(
                    reopen,
                    Some(Dijawab),
                    DibukaKembali,
                    "Pelapor belum puas dengan jawaban",
                ));
                status = DibukaKembali;
            } else {
                events.push(event(
                    close_at,
                    Some(Dijawab),
                    Selesai,
                    "Ditutup otomatis: tidak ada tanggapan 10 hari kerja",
                ));
                status = Selesai;
                closed = Some(close_at);
            }
        }
    }
    (status, events, answered, answered, closed, Some(due))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_skip_weekends() {
        let friday = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(
            add_working_days(friday, 1),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert_eq!(
            add_working_days(friday, 5),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
        );
    }
}
