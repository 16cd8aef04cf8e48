//! Writes synthetic SP4N-LAPOR! exports for the import benchmark
//! (`scripts/bench-lapor-import.sh`): `lapor_sample ROWS DIR` writes
//! `DIR/lapor.csv`, `DIR/lapor.xlsx` and a later export `DIR/lapor-baru.csv` in which
//! every 10th report has moved on (new status and follow-up).

use tanggap::lapor::sample;

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let first = sample::rows(rows, 8_000_000, 0);
    std::fs::write(dir.join("lapor.csv"), sample::csv(&first)).expect("write CSV");
    std::fs::write(
        dir.join("lapor-baru.csv"),
        sample::csv(&sample::rows(rows, 8_000_000, 1)),
    )
    .expect("write CSV");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Laporan").expect("a valid name");
    for (c, h) in sample::HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("write");
    }
    for (r, row) in first.iter().enumerate() {
        let r = r as u32 + 1;
        // Tracking IDs as numbers, as spreadsheets keep them.
        sheet
            .write_number(r, 0, row[0].parse::<f64>().expect("digits"))
            .expect("write");
        for (c, cell) in row.iter().enumerate().skip(1) {
            sheet.write_string(r, c as u16, cell).expect("write");
        }
    }
    book.save(dir.join("lapor.xlsx")).expect("write XLSX");
}
