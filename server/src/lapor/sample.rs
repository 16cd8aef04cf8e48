//! Synthetic LAPOR! exports for tests and the benchmark: deterministic rows with the
//! header names real exports use, mixed sources, statuses and follow-ups. Nothing
//! here is used at run time.

/// Header of a generated export (built-in aliases only, no mapping file needed).
pub const HEADER: &[&str] = &[
    "No. Tracking",
    "Judul Laporan",
    "Isi Laporan",
    "Tanggal Laporan",
    "Tanggal Kejadian",
    "Lokasi Kejadian",
    "Kategori",
    "Instansi Tujuan",
    "Sumber",
    "Anonim",
    "Rahasia",
    "Status",
    "Tindak Lanjut",
];

const SOURCES: &[&str] = &["Website", "SMS 1708", "Aplikasi Mobile", "Twitter"];
const STATUSES: &[&str] = &[
    "Belum Terverifikasi",
    "Terverifikasi",
    "Didisposisi",
    "Sedang Diproses",
    "Selesai",
];
const TOPICS: &[&str] = &[
    "Sosial > Bantuan Sosial",
    "Sosial > Program Keluarga Harapan",
    "Perizinan > Izin Usaha",
    "Kependudukan > KTP Elektronik",
];
const MONTHS: &[&str] = &[
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
];

/// `n` rows starting at tracking ID `first_id`; `revision` > 0 moves some reports
/// on (a later export: new statuses and follow-ups for every 10th report).
pub fn rows(n: usize, first_id: u64, revision: u32) -> Vec<Vec<String>> {
    (0..n)
        .map(|i| {
            let id = first_id + i as u64;
            let day = 1 + (i % 28);
            let month = 1 + (i / 28) % 10;
            let moved = revision > 0 && i % 10 == 0;
            let date = match i % 4 {
                0 => format!("{day:02}/{month:02}/2026 {:02}:{:02}", 7 + i % 10, i % 60),
                1 => format!("2026-{month:02}-{day:02}"),
                2 => format!("{day} {} 2026", MONTHS[month - 1]),
                _ => format!("{day} {} 2026", &MONTHS[month - 1][..3]),
            };
            let status = if moved { "Selesai" } else { STATUSES[i % STATUSES.len()] };
            let mut follow = String::new();
            if i % 3 == 0 {
                follow = format!("{day:02}/{month:02}/2026 10:00 Laporan #{id} diteruskan ke bidang terkait.");
            }
            if moved {
                follow.push_str(&format!(
                    "\n{day:02}/{month:02}/2026 15:30 Laporan #{id} sudah diselesaikan."
                ));
            }
            vec![
                id.to_string(),
                format!("Bantuan sosial belum diterima (laporan {id})"),
                format!(
                    "Saya sudah terdaftar sebagai penerima bantuan sejak awal tahun tetapi sampai sekarang \
                     bantuan belum diterima. Mohon ditindaklanjuti. Nomor laporan {id}."
                ),
                date,
                format!("{day:02}/{month:02}/2026"),
                format!(
                    "Kelurahan {}",
                    ["Sukajadi", "Rimbo Panjang", "Bagan Besar", "Purnama"][i % 4]
                ),
                TOPICS[i % TOPICS.len()].to_owned(),
                "Dinas Sosial Kota Dumai".to_owned(),
                SOURCES[i % SOURCES.len()].to_owned(),
                if i % 7 == 0 { "Ya" } else { "Tidak" }.to_owned(),
                if i % 11 == 0 { "Ya" } else { "Tidak" }.to_owned(),
                status.to_owned(),
                follow.trim().to_owned(),
            ]
        })
        .collect()
}

/// The rows as CSV text (semicolon-separated, as Indonesian spreadsheet software
/// writes it).
pub fn csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    out.write_record(HEADER).expect("writing to memory");
    for r in rows {
        out.write_record(r).expect("writing to memory");
    }
    out.into_inner().expect("writing to memory")
}
