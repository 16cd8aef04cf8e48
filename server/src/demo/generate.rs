//! Synthetic complaints that look like a real year (survey responses: `responses.rs`).
//!
//! Complaints are dated through the server's own clocks: office hours in the unit's
//! zone, due dates from `triage::sla` on the unit's working-day calendar (national
//! holidays, cuti bersama and its own days off, as stored), handling times drawn in
//! working days of that calendar. Most complaints are answered within their target
//! and closed when the complainant accepts the answer; some are answered late, some
//! wait out the reply window (the unit's auto-close limit for the channel, from
//! `channel_stages`: 10 working days by default), and the youngest are still open,
//! a few of them past their deadline: a month that looks like a real office's.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{DemoOptions, DemoUnit};
use crate::domain::{Bobot, Channel, ComplaintStatus, Klasifikasi};
use crate::storage::format_nomor_agenda;
use crate::storage::model::{BulkComplaint, Complainant, ComplaintEvent, NewComplaint};
use crate::storage::triage::SlaTarget;
use crate::triage::calendar::UnitCalendar;

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

/// The clocks of one demo unit: its working-day calendar, SLA targets and stage
/// limits (the auto-close after an answer), as the server uses them.
#[derive(Debug, Clone)]
pub struct UnitClock {
    /// The unit's calendar (zone and days off).
    pub calendar: UnitCalendar,
    /// Its targets per bobot.
    pub targets: Vec<SlaTarget>,
    /// Its stage limits per channel (`channel_stages`).
    pub stages: Vec<crate::storage::stages::ChannelStage>,
}

impl UnitClock {
    /// A WIB calendar without holidays and the default targets (PENGADUAN.md), for
    /// generators that run without a database (benchmarks).
    pub fn plain() -> UnitClock {
        UnitClock {
            calendar: UnitCalendar::from_days(chrono_tz::Asia::Jakarta, []),
            targets: SlaTarget::defaults(),
            stages: crate::storage::stages::default_stages(),
        }
    }
}

/// The clocks of the demo units as stored: each unit's zone, days off (national and
/// its own) over the demo's year and the months after it, targets and stage limits.
pub async fn unit_clocks(
    store: &dyn crate::storage::Store,
    units: &[DemoUnit],
    options: &DemoOptions,
) -> Result<Vec<UnitClock>, crate::storage::StoreError> {
    let mut out = Vec::with_capacity(units.len());
    for u in units {
        let zone = match store.unit_by_code(&u.code).await? {
            Some(unit) => crate::triage::calendar::zone_of(&unit.time_zone),
            None => chrono_tz::Asia::Jakarta,
        };
        let from = options.end_date - Duration::days(370);
        out.push(UnitClock {
            calendar: UnitCalendar::load(store, u.id, zone, from, 370 + 200).await?,
            targets: store.sla_targets(u.id).await?,
            stages: store.channel_stages(u.id).await?,
        });
    }
    Ok(out)
}

/// A moment in office hours (08:00-16:00) of a local day in the unit's zone.
fn office_time(rng: &mut ChaCha8Rng, calendar: &UnitCalendar, day: NaiveDate) -> DateTime<Utc> {
    let seconds = rng.random_range(8 * 3_600..16 * 3_600);
    let local = day.and_hms_opt(0, 0, 0).expect("midnight") + Duration::seconds(seconds);
    calendar
        .zone()
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| local.and_utc())
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
/// `options.end_date`, numbered per unit and year in order of arrival, on a plain
/// WIB calendar with the default targets (see [`generate_complaints_on`]).
pub fn generate_complaints(units: &[DemoUnit], options: &DemoOptions) -> Vec<BulkComplaint> {
    let clocks = vec![UnitClock::plain(); units.len()];
    generate_complaints_on(units, &clocks, options)
}

/// [`generate_complaints`] on each unit's own clocks (`clocks[i]` is `units[i]`'s,
/// from [`unit_clocks`]): the same calendar and SLA code the server dates real
/// complaints with.
pub fn generate_complaints_on(units: &[DemoUnit], clocks: &[UnitClock], options: &DemoOptions) -> Vec<BulkComplaint> {
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
        let clock = &clocks[ui];
        let day = random_day(&mut rng, options.end_date, 365);
        let received_at = office_time(&mut rng, &clock.calendar, day);
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
        // Nothing happens after the end of the demo's last day in the unit's zone.
        let now = clock.calendar.end_of_day(options.end_date);
        let (status, events, first_answered_at, answered_at, closed_at, due_at) =
            life_cycle(&mut rng, clock, channel, received_at, bobot, now);
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

/// Walks a complaint through its states on the unit's clocks; older complaints
/// are further along, and nothing is dated after `now`.
fn life_cycle(
    rng: &mut ChaCha8Rng,
    clock: &UnitClock,
    channel: Channel,
    received: DateTime<Utc>,
    bobot: Bobot,
    now: DateTime<Utc>,
) -> LifeCycle {
    use ComplaintStatus::*;
    let cal = &clock.calendar;
    let (_, due) = crate::triage::sla::due_dates(cal, &clock.targets, bobot, received);
    let target = clock
        .targets
        .iter()
        .find(|t| t.bobot == bobot.key())
        .map_or(5, |t| u32::try_from(t.resolve_days.max(1)).unwrap_or(5));
    // A moment in office hours `n` working days after receipt (later than receipt).
    let after = |n: u32, rng: &mut ChaCha8Rng| -> DateTime<Utc> {
        if n == 0 {
            return received + Duration::minutes(rng.random_range(30..240));
        }
        office_time(rng, cal, cal.due_date(received, n))
    };
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
        let at = after(rng.random_range(0..2), rng).min(now.max(received));
        events.push(event(at, Some(Diterima), Diarsipkan, "Spam atau duplikat"));
        return (Diarsipkan, events, None, None, Some(at), None);
    }
    if roll < 0.06 {
        let at = after(rng.random_range(0..3), rng).min(now.max(received));
        events.push(event(at, Some(Diterima), Dikembalikan, "Data pelapor belum lengkap"));
        return (Dikembalikan, events, None, None, None, None);
    }
    if roll < 0.08 {
        let at = after(rng.random_range(0..3), rng);
        if at <= now {
            events.push(event(
                at,
                Some(Diterima),
                BukanWewenang,
                "Diteruskan ke instansi yang berwenang",
            ));
            return (BukanWewenang, events, Some(at), Some(at), Some(at), due);
        }
    }
    // Working days to the answer: most well within the target, about one in ten
    // after it.
    let answer_days = if rng.random_bool(0.10) {
        target + rng.random_range(1..=target.div_ceil(2).max(2))
    } else {
        rng.random_range(0..target.max(2) * 3 / 4)
    };
    let verify_days = rng.random_range(0..=answer_days.min(2));
    let dispose_days = verify_days + rng.random_range(0..=(answer_days - verify_days).min(2));
    let work_days = dispose_days + (answer_days - dispose_days) / 2;
    let steps = [
        (Terverifikasi, verify_days, "Kelengkapan data diverifikasi"),
        (Didisposisikan, dispose_days, "Didisposisikan ke bidang terkait"),
        (Ditindaklanjuti, work_days, "Sedang ditindaklanjuti"),
        (Dijawab, answer_days, "Jawaban disampaikan kepada pelapor"),
    ];
    let mut status = Diterima;
    let mut answered = None;
    let mut last = received;
    for (next, days, note) in steps {
        let at = after(days, rng).max(last + Duration::minutes(5));
        if at > now {
            break;
        }
        events.push(event(at, Some(status), next, note));
        status = next;
        last = at;
        if next == Dijawab {
            answered = Some(at);
        }
    }
    let mut closed = None;
    let mut last_answer = answered;
    if let Some(at) = answered {
        let reply = rng.random::<f64>();
        // The unit's auto-close limit for the channel, as the auto-close job reads it.
        let limit = crate::triage::stages::auto_close_limit(&clock.stages, channel.key(), cal.local_date(received));
        let window = u32::try_from(limit.working_days.max(1)).unwrap_or(10);
        let auto_closed_note = crate::i18n::tf(
            crate::i18n::Lang::Id,
            "triage.answer.auto_closed_note",
            &[("days", &window.to_string())],
        );
        // Most complainants accept the answer at once; some never reply (the
        // auto-close job closes those after the reply window); a few reopen.
        let (close_at, next, note) = if reply < 0.04 {
            let on = cal.due_date(at, rng.random_range(1..window.max(2)));
            (
                office_time(rng, cal, on),
                DibukaKembali,
                "Pelapor belum puas dengan jawaban",
            )
        } else if reply < 0.12 {
            // No reply: closed by the auto-close job after the reply window.
            (
                office_time(rng, cal, cal.due_date(at, window + 1)),
                Selesai,
                auto_closed_note.as_str(),
            )
        } else {
            // The complainant accepts the answer the same or the next working day.
            let on = cal.due_date(at, rng.random_range(0..=1));
            let at_close = office_time(rng, cal, on).max(at + Duration::minutes(30));
            (at_close, Selesai, "Pelapor menerima jawaban")
        };
        if close_at <= now {
            events.push(event(close_at, Some(Dijawab), next, note));
            status = next;
            if next == Selesai {
                closed = Some(close_at);
            }
        }
        // A reopened complaint is worked on again, answered anew within a few
        // working days and then accepted, as far as `now` allows.
        if status == DibukaKembali {
            let again = [
                (Ditindaklanjuti, 1, "Ditindaklanjuti kembali"),
                (Dijawab, 3, "Jawaban lanjutan disampaikan kepada pelapor"),
                (Selesai, 4, "Pelapor menerima jawaban"),
            ];
            let mut last = close_at;
            for (next, days, note) in again {
                let at = office_time(rng, cal, cal.due_date(close_at, days)).max(last + Duration::minutes(5));
                if at > now {
                    break;
                }
                events.push(event(at, Some(status), next, note));
                status = next;
                last = at;
                match next {
                    Dijawab => last_answer = Some(at),
                    Selesai => closed = Some(at),
                    _ => {}
                }
            }
        }
    }
    (status, events, answered, last_answer, closed, due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit() -> DemoUnit {
        DemoUnit {
            id: 1,
            code: "dinsos".into(),
            agenda_format: "ADU/{year}/{number:06}".into(),
            services: vec![(1, "Rekomendasi KIS".into(), None)],
        }
    }

    #[test]
    fn due_dates_are_the_servers_on_the_units_calendar() {
        // 18 August 2025 is cuti bersama in this calendar.
        let clock = UnitClock {
            calendar: UnitCalendar::from_days(
                chrono_tz::Asia::Makassar,
                [NaiveDate::from_ymd_opt(2025, 8, 18).unwrap()],
            ),
            targets: SlaTarget::defaults(),
            stages: crate::storage::stages::default_stages(),
        };
        let options = DemoOptions {
            seed: 3,
            complaints: 400,
            responses: 0,
            end_date: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
        };
        let all = generate_complaints_on(&[unit()], std::slice::from_ref(&clock), &options);
        for c in &all {
            let received = c.complaint.received_at;
            // Received in office hours of the unit's zone (WITA).
            let local = received.with_timezone(&chrono_tz::Asia::Makassar);
            assert!((8..16).contains(&chrono::Timelike::hour(&local)), "{local}");
            let (_, due) = crate::triage::sla::due_dates(&clock.calendar, &clock.targets, c.bobot.unwrap(), received);
            if c.status != "diarsipkan" && c.status != "dikembalikan" {
                assert_eq!(c.due_at, due, "{}", c.nomor_agenda);
            }
            for pair in c.events.windows(2) {
                assert!(pair[0].at <= pair[1].at, "{} events in order", c.nomor_agenda);
            }
        }
    }
}
