//! Malformed LAPOR! exports never panic the importer: truncated, mis-encoded and
//! hostile files give a file-level error or rejected rows, nothing else.

use proptest::prelude::*;
use tanggap::domain::Channel;
use tanggap::lapor::{ImportOptions, Mapping, parse, sample};
use tanggap::storage::model::Unit;

fn options() -> ImportOptions {
    ImportOptions {
        unit: Unit {
            id: 1,
            code: "u".into(),
            name: "U".into(),
            short_name: "U".into(),
            address: String::new(),
            city: String::new(),
            phone: String::new(),
            email: String::new(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec![],
            head_title: String::new(),
            head_name: String::new(),
            head_nip: String::new(),
            agenda_format: "ADU/{year}/{number:06}".into(),
            complaint_channels: vec![Channel::SpanLapor],
        },
        mapping: Mapping::default(),
        sheet: None,
        dry_run: true,
        batch_size: 100,
        recorded_by: None,
    }
}

fn valid_csv() -> Vec<u8> {
    sample::csv(&sample::rows(40, 7_000_000, 1))
}

fn valid_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in sample::HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in sample::rows(40, 7_000_000, 1).iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, cell).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Parses and checks the answer is coherent: every data row is accounted for once.
fn check(bytes: &[u8]) {
    if let Ok(tanggap::lapor::Parsed { reports, rejected, .. }) = parse(bytes, &options()) {
        let mut rows: Vec<u64> = reports
            .iter()
            .map(|(r, _)| *r)
            .chain(rejected.iter().map(|r| r.row))
            .collect();
        let n = rows.len();
        rows.sort_unstable();
        rows.dedup();
        assert_eq!(rows.len(), n, "a row is reported twice");
    }
}

#[test]
fn the_valid_files_themselves_parse_completely() {
    for bytes in [valid_csv(), valid_xlsx()] {
        let parsed = parse(&bytes, &options()).unwrap();
        assert_eq!((parsed.reports.len(), parsed.rejected.len()), (40, 0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn truncated_files_never_panic(cut in 0.0f64..1.0) {
        for bytes in [valid_csv(), valid_xlsx()] {
            let end = (bytes.len() as f64 * cut) as usize;
            check(&bytes[..end]);
        }
    }

    #[test]
    fn corrupted_files_never_panic(flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 1..20)) {
        for mut bytes in [valid_csv(), valid_xlsx()] {
            let len = bytes.len();
            for (at, value) in &flips {
                bytes[((len as f64 * at) as usize).min(len - 1)] = *value;
            }
            check(&bytes);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        check(&bytes);
        // The same bytes behind a zip signature, and behind a real header row.
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&bytes);
        check(&zip);
        let mut csv = b"ID Laporan;Judul;Tanggal Laporan;Status;Tindak Lanjut;Anonim\n".to_vec();
        csv.extend_from_slice(&bytes);
        check(&csv);
    }

    #[test]
    fn hostile_text_never_panics(cells in proptest::collection::vec("[\\PC\"';,\\t\\r\\n\u{feff}#]{0,40}", 0..60)) {
        let mut text = String::from("\u{feff}ID Laporan,Judul,Isi,Tanggal Laporan,Tanggal Kejadian,Anonim,Rahasia,Status,Tindak Lanjut,Klasifikasi\n");
        for (i, c) in cells.iter().enumerate() {
            text.push_str(c);
            text.push(if i % 10 == 9 { '\n' } else { ',' });
        }
        check(text.as_bytes());
        // Mis-encoded: the same text as UTF-16 without a BOM, and cut inside a character.
        let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        check(&utf16);
        check(&text.as_bytes()[..text.len() / 2]);
    }
}

#[test]
fn hostile_shapes_are_refused_or_read_without_panic() {
    // An old .xls signature, an empty file, a zip that is not a workbook, a header only,
    // huge and deeply quoted cells, a million separators on one line.
    check(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    check(b"");
    check(b"   \n\n");
    check(b"PK\x03\x04\x14\x00\x00\x00\x08\x00");
    check(b"ID Laporan;Judul;Tanggal Laporan\n");
    let mut huge = b"ID Laporan;Judul;Tanggal Laporan\n1;".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 2_000_000));
    huge.extend_from_slice(b";22/11/2026\n");
    let parsed = parse(&huge, &options()).unwrap();
    assert_eq!(parsed.rejected[0].reasons[0].key, "terlalu_panjang");
    check(&[b"ID Laporan,Judul\n\"".as_slice(), &[b'"'; 10_001]].concat());
    check(&[b"ID Laporan".as_slice(), &[b';'; 1_000_000]].concat());
    let err = parse(b"a,b\n1,2\n", &options()).unwrap_err();
    assert_eq!(err.reason.key, "tanpa_kolom_id");
    let mut named = options();
    named.sheet = Some("Tidak Ada".into());
    assert_eq!(parse(&valid_xlsx(), &named).unwrap_err().reason.key, "lembar_tidak_ada");
}
