//! The SPAN-LAPOR! import end to end: generated exports (CSV in every separator,
//! XLSX) with valid, invalid, duplicated, blank and hostile rows, sometimes damaged,
//! imported into a real database twice, with small batches so that a file spans
//! many transactions.
//!
//! Properties, per file: no panic; either a file-level error with a reason and the
//! database unchanged, or every data row accounted for exactly once (imported,
//! updated, unchanged, or rejected with its row number and a reason) and the
//! database holding exactly the imported reports; a report stored before is never
//! new again; importing the same file again changes nothing.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tanggap::i18n::Lang;
use tanggap::lapor::{ImportOptions, ImportReport, Mapping, sample};
use tanggap::storage::model::LaporOutcome;

use crate::support::{Db, InProcess, fuzz_target, on_both_databases, replay_corpus};

const UNIT: &str = "dinsos-lapor";

/// One data row of a generated export.
#[derive(Debug, Clone)]
enum Row {
    /// Cells under [`sample::HEADER`] (a row of empty cells is blank).
    Cells(Vec<String>),
    /// An empty line (CSV) or a row with no cells (XLSX).
    Blank,
}

/// How the file is written.
#[derive(Debug, Clone, Copy)]
enum Format {
    Csv(u8),
    Xlsx,
}

/// Bytes replaced, then where the file is cut.
type Damage = (Vec<(prop::sample::Index, u8)>, Option<prop::sample::Index>);

/// One export.
#[derive(Debug, Clone)]
struct Export {
    format: Format,
    /// A title row above the header.
    title: bool,
    rows: Vec<Row>,
    /// Bytes changed or cut after writing (then only consistency is checked).
    damage: Option<Damage>,
    batch_size: usize,
}

/// Tracking ids from a small pool, so rows repeat within a file and across files.
fn tracking_id() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (0..80u64).prop_map(|i| (7_100_000 + i).to_string()),
        1 => (0..80u64).prop_map(|i| format!(" #{} ", 7_100_000 + i)),
        1 => prop_oneof![
            Just(String::new()),
            Just("abc".to_owned()),
            Just("123456789012345678901".to_owned()),
            Just("12 34".to_owned()),
            "[0-9]{1,3}[\u{0}\u{7}][0-9]{1,3}",
        ],
    ]
}

fn text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[A-Z][a-z]{2,10}( [a-z]{1,10}){1,12}".boxed(),
        1 => Just(String::new()).boxed(),
        // Separators, quotes, line breaks, a BOM, control characters, NUL.
        2 => "[a-z]{1,6}[;,\t\"'\r\n\u{feff}#=+\u{0}\u{1}\u{7}\u{1b}]{1,4}[a-z ]{0,10}".boxed(),
        1 => "\\PC{0,60}".boxed(),
        1 => proptest::collection::vec(Just('x'), max..max + 20)
            .prop_map(|v| v.into_iter().collect())
            .boxed(),
    ]
    .boxed()
}

fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (1..=28u32, 1..=12u32, 2015..=2025i32, 0..24u32, 0..60u32).prop_map(|(d, m, y, h, mi)| {
            match (d + m) % 4 {
                0 => format!("{d:02}/{m:02}/{y} {h:02}:{mi:02}"),
                1 => format!("{y}-{m:02}-{d:02}"),
                2 => format!("{d} {} {y}", ["Januari", "Maret", "Juli", "Desember"][(m % 4) as usize]),
                _ => format!("{y}-{m:02}-{d:02}T{h:02}:{mi:02}:00"),
            }
        }),
        1 => prop_oneof![
            Just(String::new()),
            Just("kemarin".to_owned()),
            Just("31/02/2024".to_owned()),
            Just("01/01/2999".to_owned()),
            Just("0000-00-00".to_owned()),
            "\\PC{0,12}",
        ],
    ]
}

fn follow_up() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        (date(), text(50)).prop_map(|(d, t)| format!("{d} {t}")),
        (date(), text(30), date(), text(30)).prop_map(|(d1, t1, d2, t2)| format!("{d1} {t1}\n[{d2}] {t2}")),
        // The same follow-up twice in one cell.
        (date(), text(30)).prop_map(|(d, t)| format!("{d} {t}\n{d} {t}")),
        text(80),
    ]
}

fn cells() -> impl Strategy<Value = Row> {
    (
        tracking_id(),
        text(tanggap::lapor::fields::MAX_JUDUL + 1),
        text(tanggap::lapor::fields::MAX_ISI + 1),
        date(),
        prop_oneof![3 => Just(String::new()), 1 => date()],
        prop_oneof![Just("Ya"), Just("Tidak"), Just(""), Just("mungkin")],
        prop_oneof![
            Just("Belum Terverifikasi"),
            Just("Sedang Diproses"),
            Just("Selesai"),
            Just(""),
            Just("Dibatalkan Alien"),
        ],
        follow_up(),
        text(40),
    )
        .prop_map(|(id, judul, isi, tanggal, kejadian, anonim, status, tindak, lokasi)| {
            Row::Cells(vec![
                id,
                judul,
                isi,
                tanggal,
                kejadian,
                lokasi,
                "Sosial > Bantuan Sosial".into(),
                "Dinas Sosial".into(),
                "Website".into(),
                anonim.into(),
                "Tidak".into(),
                status.into(),
                tindak,
            ])
        })
}

fn row() -> impl Strategy<Value = Row> {
    prop_oneof![
        12 => cells(),
        1 => Just(Row::Blank),
        1 => Just(Row::Cells(vec![String::new(); sample::HEADER.len()])),
        // A short row, and one with extra cells.
        1 => tracking_id().prop_map(|id| Row::Cells(vec![id, "Judul pendek".into()])),
        1 => cells().prop_map(|r| match r {
            Row::Cells(mut c) => {
                c.extend(["lebih".to_owned(), "lagi".to_owned()]);
                Row::Cells(c)
            }
            blank => blank,
        }),
    ]
}

fn export() -> impl Strategy<Value = Export> {
    (
        prop_oneof![
            Just(Format::Csv(b';')),
            Just(Format::Csv(b',')),
            Just(Format::Csv(b'\t')),
            Just(Format::Xlsx),
        ],
        any::<bool>(),
        proptest::collection::vec(row(), 0..40),
        prop_oneof![
            6 => Just(None),
            1 => (
                proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
                proptest::option::of(any::<prop::sample::Index>()),
            )
                .prop_map(Some),
        ],
        prop_oneof![1..8usize, Just(10_000usize)],
    )
        .prop_map(|(format, title, rows, damage, batch_size)| Export {
            format,
            title,
            rows,
            damage,
            batch_size,
        })
}

impl Export {
    /// The file, and the row numbers (as a spreadsheet shows them) of its data rows
    /// that are not blank.
    fn write(&self) -> (Vec<u8>, BTreeSet<u64>) {
        let mut data_rows = BTreeSet::new();
        let first = if self.title { 3 } else { 2 };
        for (i, r) in self.rows.iter().enumerate() {
            if let Row::Cells(c) = r
                && c.iter().any(|c| !c.trim().is_empty())
            {
                data_rows.insert(first + i as u64);
            }
        }
        let mut bytes = match self.format {
            Format::Csv(delimiter) => {
                let mut out = Vec::new();
                if self.title {
                    out.extend_from_slice(b"Daftar Laporan SP4N-LAPOR!\n");
                }
                let mut w = csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_writer(Vec::new());
                w.write_record(sample::HEADER).unwrap();
                out.extend(w.into_inner().unwrap());
                for r in &self.rows {
                    match r {
                        Row::Blank => out.push(b'\n'),
                        Row::Cells(c) => {
                            let mut w = csv::WriterBuilder::new()
                                .delimiter(delimiter)
                                .flexible(true)
                                .quote_style(csv::QuoteStyle::Necessary)
                                .from_writer(Vec::new());
                            w.write_record(c).unwrap();
                            out.extend(w.into_inner().unwrap());
                        }
                    }
                }
                out
            }
            Format::Xlsx => {
                let mut book = rust_xlsxwriter::Workbook::new();
                let sheet = book.add_worksheet();
                let first = u32::from(self.title);
                if self.title {
                    sheet.write_string(0, 0, "Daftar Laporan SP4N-LAPOR!").unwrap();
                }
                for (c, h) in sample::HEADER.iter().enumerate() {
                    sheet.write_string(first, c as u16, *h).unwrap();
                }
                for (i, r) in self.rows.iter().enumerate() {
                    if let Row::Cells(cells) = r {
                        for (c, v) in cells.iter().enumerate() {
                            if !v.is_empty() {
                                sheet.write_string(first + 1 + i as u32, c as u16, v).unwrap();
                            }
                        }
                    }
                }
                book.save_to_buffer().unwrap()
            }
        };
        if let Some((flips, cut)) = &self.damage {
            for (at, v) in flips {
                if !bytes.is_empty() {
                    let n = at.index(bytes.len());
                    bytes[n] = *v;
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len().max(1)));
            }
        }
        (bytes, data_rows)
    }

    /// Whether the file is exactly as written (so its row numbers are known).
    fn intact(&self) -> bool {
        self.damage.is_none()
    }
}

/// The unit's imported tracking ids, as the database holds them.
async fn stored_ids(app: &InProcess, unit_id: i64) -> BTreeSet<String> {
    app.probe
        .texts(&format!(
            "SELECT channel_ref FROM complaints WHERE unit_id = {unit_id} AND channel = 'span_lapor'"
        ))
        .await
        .into_iter()
        .collect()
}

async fn arrange(db: Db) -> Option<(InProcess, i64)> {
    let db = db.open().await?;
    let app = InProcess::new(db).await;
    let unit_id = app
        .store
        .create_unit(&tanggap::storage::model::NewUnit {
            complaint_channels: vec![tanggap::domain::Channel::SpanLapor],
            ..tanggap_tests::test_unit(UNIT)
        })
        .await
        .unwrap();
    Some((app, unit_id))
}

fn fail<T>(m: String) -> Result<T, TestCaseError> {
    Err(TestCaseError::fail(m))
}

/// Every row of a report, imported or rejected, with no row twice.
fn accounted(report: &ImportReport) -> Result<BTreeSet<u64>, TestCaseError> {
    let mut rows = BTreeSet::new();
    for r in report
        .rows
        .iter()
        .map(|r| r.row)
        .chain(report.rejected.iter().map(|r| r.row))
    {
        if !rows.insert(r) {
            return fail(format!("row {r} is accounted for twice"));
        }
    }
    for r in &report.rejected {
        if r.reasons.is_empty() || r.reasons.iter().any(|x| x.text(Lang::Id).starts_with("lapor_reason.")) {
            return fail(format!("row {} rejected without a reason in Indonesian: {r:?}", r.row));
        }
    }
    Ok(rows)
}

/// Imports `bytes` twice and checks both reports against the database.
async fn import_and_check(
    app: &InProcess,
    unit_id: i64,
    bytes: &[u8],
    batch_size: usize,
    data_rows: Option<&BTreeSet<u64>>,
) -> Result<(), TestCaseError> {
    let options = ImportOptions {
        unit: app.store.unit_by_code(UNIT).await.unwrap().unwrap(),
        mapping: Mapping::default(),
        sheet: None,
        dry_run: false,
        batch_size,
        recorded_by: None,
    };
    let before_ids = stored_ids(app, unit_id).await;
    let before = app.probe.snapshot().await;
    let result = tanggap::lapor::import(app.store.as_ref(), bytes.to_vec(), &options, &mut |_, _| {}).await;
    let after_ids = stored_ids(app, unit_id).await;
    let after = app.probe.snapshot().await;
    let report = match result {
        Err(e) => {
            if e.reason.key == "basis_data" || e.reason.key == "pemeriksaan_terhenti" {
                return fail(format!("the import broke: {}", e.reason.text(Lang::Id)));
            }
            if e.reason.text(Lang::Id).starts_with("lapor_reason.") {
                return fail(format!("a file error without a sentence: {e:?}"));
            }
            if (after, &after_ids) != (before, &before_ids) {
                return fail(format!("refused ({e}) but {before:?} -> {after:?}"));
            }
            if data_rows.is_some() {
                return fail(format!("an intact export was refused: {e}"));
            }
            return Ok(());
        }
        Ok(report) => report,
    };
    let rows = accounted(&report)?;
    if let Some(expected) = data_rows
        && rows != *expected
    {
        return fail(format!(
            "rows accounted for {rows:?}, data rows {expected:?}: {report:?}"
        ));
    }
    let mut new_ids = BTreeSet::new();
    let mut accepted = BTreeSet::new();
    for r in &report.rows {
        if !accepted.insert(r.tracking_id.clone()) {
            return fail(format!("{} accepted twice in one file", r.tracking_id));
        }
        if !after_ids.contains(&r.tracking_id) {
            return fail(format!("row {} ({}) reported but not stored", r.row, r.tracking_id));
        }
        match &r.outcome {
            LaporOutcome::New { .. } => {
                if before_ids.contains(&r.tracking_id) {
                    return fail(format!("{} was stored before, yet new again", r.tracking_id));
                }
                new_ids.insert(r.tracking_id.clone());
            }
            _ => {
                if !before_ids.contains(&r.tracking_id) {
                    return fail(format!("{} was never stored, yet not new: {r:?}", r.tracking_id));
                }
            }
        }
    }
    let expected_ids: BTreeSet<String> = before_ids.union(&new_ids).cloned().collect();
    if after_ids != expected_ids || after.complaints - before.complaints != new_ids.len() as i64 {
        return fail(format!(
            "{} new rows, but the database went {before:?} -> {after:?}",
            new_ids.len()
        ));
    }
    if after.lapor_reports - before.lapor_reports != new_ids.len() as i64 {
        return fail(format!(
            "{} new rows, lapor_reports {before:?} -> {after:?}",
            new_ids.len()
        ));
    }
    // The same file again: nothing new, nothing updated, the same rows rejected.
    let again = tanggap::lapor::import(app.store.as_ref(), bytes.to_vec(), &options, &mut |_, _| {})
        .await
        .map_err(|e| TestCaseError::fail(format!("the second import failed: {e}")))?;
    let after_again = app.probe.snapshot().await;
    if after_again != after || stored_ids(app, unit_id).await != after_ids {
        return fail(format!("re-import changed {after:?} to {after_again:?}"));
    }
    if (again.new_count(), again.updated_count(), again.unchanged_count()) != (0, 0, report.rows.len())
        || again.rejected != report.rejected
    {
        return fail(format!(
            "re-import was not a no-op: {} then {}",
            report.summary(Lang::Id),
            again.summary(Lang::Id)
        ));
    }
    Ok(())
}

fn fuzz(db: Db) {
    fuzz_target(
        db,
        "LAPOR! import",
        150,
        arrange,
        export(),
        async |(app, unit_id), export| {
            let (bytes, data_rows) = export.write();
            let data_rows = export.intact().then_some(&data_rows);
            import_and_check(app, *unit_id, &bytes, export.batch_size, data_rows).await
        },
    );
}

on_both_databases!(
    lapor_rows_are_each_accounted_for_once_and_stored_as_reported_sqlite,
    lapor_rows_are_each_accounted_for_once_and_stored_as_reported_postgres,
    fuzz
);

/// The corpus: every file is imported twice with batches of 3 and checked the same
/// way (without known row numbers).
fn replay(db: Db) {
    replay_corpus(db, "lapor", arrange, async |(app, unit_id), entry, _| {
        import_and_check(app, *unit_id, &entry.bytes, 3, None).await
    });
}

on_both_databases!(lapor_corpus_replays_sqlite, lapor_corpus_replays_postgres, replay);
