//! SPAN-LAPOR! import (issue 5): idempotency on the tracking ID, updates as
//! control-card events, exact rejection reports, the upload page.

use tanggap::domain::{Channel, Role};
use tanggap::lapor::{ImportOptions, ImportReport, Mapping};
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap_tests::{TestDb, on_both_databases, spawn_app};

const PASSWORD: &str = "kata-sandi-uji-123";

fn unit() -> NewUnit {
    NewUnit {
        code: "dinsos-dumai".into(),
        name: "Dinas Sosial Kota Dumai".into(),
        short_name: "Dinsos Dumai".into(),
        address: String::new(),
        city: "Dumai".into(),
        phone: String::new(),
        email: String::new(),
        time_zone: "Asia/Jakarta".into(),
        letterhead: vec![],
        head_title: String::new(),
        head_name: String::new(),
        head_nip: String::new(),
        complaint_channels: vec![Channel::SpanLapor],
    }
}

async fn options(store: &dyn Store, dry_run: bool) -> ImportOptions {
    ImportOptions {
        unit: store.unit_by_code("dinsos-dumai").await.unwrap().unwrap(),
        mapping: Mapping::default(),
        sheet: None,
        dry_run,
        batch_size: 2,
        recorded_by: None,
    }
}

async fn run(store: &dyn Store, bytes: &[u8], dry_run: bool) -> ImportReport {
    tanggap::lapor::import(store, bytes.to_vec(), &options(store, dry_run).await, &mut |_, _| {})
        .await
        .unwrap()
}

fn counts(r: &ImportReport) -> (usize, usize, usize, usize) {
    (r.new_count(), r.updated_count(), r.unchanged_count(), r.rejected.len())
}

/// The first export: Windows-1252, semicolons, a title row above the header.
fn first_export() -> Vec<u8> {
    let text: &[u8] = b"Daftar Laporan SP4N-LAPOR! Dinas Sosial Kota Dumai;;;;;;\r\n\
        ID Laporan;Judul;Isi Laporan;Tanggal Laporan;Sumber;Status;Tindak Lanjut\r\n\
        1916449;Bantuan PKH belum cair;Sudah tiga bulan bantuan PKH belum cair \x96 mohon dicek.;22/11/2026 14:05;SMS 1708;Belum Terverifikasi;\r\n\
        1916450;KTP hilang;Pengurusan surat keterangan hilang lambat.;2026-11-20;Website;Sedang Diproses;20/11/2026 09:00 Laporan diteruskan ke Bidang Linjamsos.\r\n\
        1916451;Pungutan di kelurahan;Diminta uang untuk surat pengantar.;19 November 2026;Twitter;Selesai;Sudah ditindak.\r\n";
    text.to_vec()
}

/// A later export as XLSX, with one new report and news for two known ones.
fn second_export() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows: &[[&str; 7]] = &[
        [
            "No. Tracking",
            "Judul Laporan",
            "Isi Laporan",
            "Tanggal Laporan",
            "Sumber",
            "Status",
            "Tindak Lanjut",
        ],
        [
            "1916449",
            "Bantuan PKH belum cair",
            "Sudah tiga bulan bantuan PKH belum cair – mohon dicek.",
            "22/11/2026 14:05",
            "SMS 1708",
            "Selesai",
            "23/11/2026 08:00 Bantuan sudah dicairkan.",
        ],
        [
            "1916450",
            "KTP hilang",
            "Pengurusan surat keterangan hilang lambat.",
            "2026-11-20",
            "Website",
            "sedang  diproses",
            "20/11/2026 09:00 Laporan diteruskan ke Bidang Linjamsos.\n21/11/2026 10:00 Surat keterangan sudah diterbitkan.",
        ],
        [
            "1916451",
            "Pungutan di kelurahan",
            "Diminta uang untuk surat pengantar.",
            "19 November 2026",
            "Twitter",
            "Selesai",
            "Sudah ditindak.",
        ],
        [
            "1916452",
            "Lampu jalan padam",
            "Lampu jalan di Jl. Sudirman padam.",
            "21 Nov 2026",
            "Aplikasi Mobile",
            "Terverifikasi",
            "",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if r > 0 && c == 0 {
                // Spreadsheets keep tracking IDs as numbers.
                sheet.write_number(r as u32, 0, cell.parse::<f64>().unwrap()).unwrap();
            } else {
                sheet.write_string(r as u32, c as u16, *cell).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn complaint_of(store: &dyn Store, unit_id: i64, tracking_id: &str) -> ComplaintRecord {
    let all = store
        .list_complaints(
            unit_id,
            &ComplaintQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for c in all {
        let full = store.complaint(unit_id, c.id).await.unwrap().unwrap();
        if full.channel_ref.as_deref() == Some(tracking_id) {
            return full;
        }
    }
    panic!("no complaint for LAPOR! {tracking_id}");
}

async fn totals(store: &dyn Store) -> (i64, i64, usize) {
    let c = store.counts().await.unwrap();
    let mut messages = 0;
    for id in 1..=c.complaints + 5 {
        messages += store.complaint_messages(id).await.unwrap().len();
    }
    (c.complaints, c.complaint_events, messages)
}

on_both_databases!(
    lapor_import_is_idempotent_and_newer_exports_update_the_control_card,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit_id = store.create_unit(&unit()).await.unwrap();

        let dry = run(store.as_ref(), &first_export(), true).await;
        assert_eq!(counts(&dry), (3, 0, 0, 0));
        assert_eq!(dry.format, "CSV, Windows-1252, titik koma");
        assert_eq!(store.counts().await.unwrap().complaints, 0, "a dry run stores nothing");

        let first = run(store.as_ref(), &first_export(), false).await;
        assert_eq!(counts(&first), (3, 0, 0, 0));
        let numbers: Vec<Option<String>> = first
            .rows
            .iter()
            .map(|r| match &r.outcome {
                LaporOutcome::New { nomor_agenda, .. } => nomor_agenda.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            numbers,
            ["ADU/2026/000001", "ADU/2026/000002", "ADU/2026/000003"].map(|n| Some(n.to_owned()))
        );
        let pkh = complaint_of(store.as_ref(), unit_id, "1916449").await;
        assert_eq!(pkh.summary.channel, "span_lapor");
        assert_eq!(pkh.summary.status, "diterima");
        assert_eq!(
            pkh.description,
            "Sudah tiga bulan bantuan PKH belum cair \u{2013} mohon dicek."
        );
        assert_eq!(pkh.summary.received_at.to_rfc3339(), "2026-11-22T07:05:00+00:00");
        let ktp = complaint_of(store.as_ref(), unit_id, "1916450").await;
        assert_eq!(ktp.summary.status, "ditindaklanjuti");
        let link = store.lapor_link(ktp.summary.id).await.unwrap().unwrap();
        assert_eq!(
            (link.tracking_id.as_str(), link.lapor_status.as_str()),
            ("1916450", "Sedang Diproses")
        );
        let events = store.complaint_events(ktp.summary.id).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["diterima", "status", "tindak_lanjut"]);
        assert_eq!(events[0].note, "Diimpor dari SP4N-LAPOR! #1916450; sumber: Website");
        assert_eq!(events[1].to_status.as_deref(), Some("ditindaklanjuti"));
        let thread = store.complaint_messages(ktp.summary.id).await.unwrap();
        assert_eq!(thread.len(), 1);
        assert_eq!(thread[0].body, "Laporan diteruskan ke Bidang Linjamsos.");
        assert_eq!(thread[0].at.to_rfc3339(), "2026-11-20T02:00:00+00:00");
        let before = totals(store.as_ref()).await;

        let again = run(store.as_ref(), &first_export(), false).await;
        assert_eq!(counts(&again), (0, 0, 3, 0), "the same file twice changes nothing");
        assert_eq!(totals(store.as_ref()).await, before);

        let dry = run(store.as_ref(), &second_export(), true).await;
        assert_eq!(counts(&dry), (1, 2, 1, 0));
        assert_eq!(totals(store.as_ref()).await, before, "a dry run stores nothing");
        let second = run(store.as_ref(), &second_export(), false).await;
        assert_eq!(counts(&second), (1, 2, 1, 0), "the dry run said exactly this");
        assert_eq!(
            second.rows.iter().map(|r| r.outcome.clone()).collect::<Vec<_>>()[..3],
            [
                LaporOutcome::Updated {
                    complaint_id: pkh.summary.id,
                    status_change: Some(("Belum Terverifikasi".into(), "Selesai".into())),
                    new_follow_ups: 1
                },
                LaporOutcome::Updated {
                    complaint_id: ktp.summary.id,
                    status_change: None,
                    new_follow_ups: 1
                },
                LaporOutcome::Unchanged {
                    complaint_id: complaint_of(store.as_ref(), unit_id, "1916451").await.summary.id
                },
            ]
        );
        let pkh = complaint_of(store.as_ref(), unit_id, "1916449").await;
        assert_eq!(pkh.summary.status, "selesai");
        let events = store.complaint_events(pkh.summary.id).await.unwrap();
        let last_two: Vec<(&str, Option<&str>, Option<&str>, &str)> = events[events.len() - 2..]
            .iter()
            .map(|e| {
                (
                    e.kind.as_str(),
                    e.from_status.as_deref(),
                    e.to_status.as_deref(),
                    e.note.as_str(),
                )
            })
            .collect();
        assert_eq!(
            last_two,
            [
                (
                    "status",
                    Some("diterima"),
                    Some("selesai"),
                    "Status di SP4N-LAPOR! berubah: Belum Terverifikasi → Selesai"
                ),
                (
                    "tindak_lanjut",
                    None,
                    None,
                    "Tindak lanjut di SP4N-LAPOR!: Bantuan sudah dicairkan."
                ),
            ]
        );
        assert_eq!(store.complaint_messages(ktp.summary.id).await.unwrap().len(), 2);
        let lampu = complaint_of(store.as_ref(), unit_id, "1916452").await;
        assert_eq!(lampu.summary.nomor_agenda, "ADU/2026/000004", "no gaps after dry runs");
        assert_eq!(store.counts().await.unwrap().complaints, 4, "never a second complaint");

        let after = totals(store.as_ref()).await;
        let last = run(store.as_ref(), &second_export(), false).await;
        assert_eq!(counts(&last), (0, 0, 4, 0));
        assert_eq!(totals(store.as_ref()).await, after);
    }
);

on_both_databases!(
    planted_bad_rows_get_an_exact_rejection_report,
    |db: TestDb| async move {
        let store = db.store.clone();
        store.create_unit(&unit()).await.unwrap();
        let file = "\u{feff}Nomor Tracking,Judul,Isi,Tanggal Laporan,Tanggal Kejadian,Anonim,Status\n\
        2000001,Jalan rusak,Jalan berlubang di depan sekolah,22/11/2026 14:05,,Tidak,Diproses\n\
        ,Tanpa ID,Isi ada,22/11/2026,,,\n\
        20A0003,ID huruf,Isi ada,22/11/2026,,,\n\
        2000004,,,22/11/2026,,,\n\
        2000005,Tanggal salah,Isi ada,31/02/2026,,,\n\
        2000006,Tanpa tanggal,Isi ada,,,,\n\
        2000007,Anonim aneh,Isi ada,22 Nov 2026,kemarin,mungkin,\n\
        2000008,Status asing,Isi ada,22 Nov 2026,,,Menunggu Bulan Purnama\n\
        2000001,Ganda,Isi ada,22 Nov 2026,,,\n\
        \n\
        2000010,Baik juga,\"Isi dengan koma, dan \"\"kutip\"\"\",2026-11-21,21 November 2026,ya,Selesai\n";
        let report = run(store.as_ref(), file.as_bytes(), false).await;
        let rejected: Vec<(u64, String)> = report
            .rejected
            .iter()
            .map(|r| (r.row, r.text(tanggap::i18n::Lang::Id)))
            .collect();
        let expected: Vec<(u64, String)> = vec![
        (3, "ID pelacakan kosong".into()),
        (4, "ID pelacakan \"20A0003\" tidak sah (harus berupa angka)".into()),
        (5, "judul dan isi laporan kosong".into()),
        (6, "tanggal laporan \"31/02/2026\" tidak dikenali sebagai tanggal".into()),
        (7, "tanggal laporan kosong".into()),
        (
            8,
            "tanggal kejadian \"kemarin\" tidak dikenali sebagai tanggal; nilai anonim \"mungkin\" harus ya atau tidak"
                .into(),
        ),
        (
            9,
            "status \"Menunggu Bulan Purnama\" tidak dikenal (tambahkan di bagian [status] berkas pemetaan)".into(),
        ),
        (10, "ID pelacakan 2000001 sudah ada di baris 2".into()),
    ];
        assert_eq!(rejected, expected);
        assert_eq!(counts(&report), (2, 0, 0, 8), "a bad row never stops the good ones");
        let rows: Vec<(u64, &str)> = report.rows.iter().map(|r| (r.row, r.tracking_id.as_str())).collect();
        assert_eq!(rows, [(2, "2000001"), (12, "2000010")]);
        assert_eq!(store.counts().await.unwrap().complaints, 2);
        // English readers get the same report in English.
        assert_eq!(
            report.rejected[0].text(tanggap::i18n::Lang::En),
            "the tracking ID is empty"
        );
    }
);

/// An XLSX export whose sheet stores row 3 after its last row, as no spreadsheet
/// application writes it: every row before the end reads well, so the first batches
/// are checked and stored before the reader meets the stray row.
fn xlsx_broken_half_way() -> Vec<u8> {
    use std::io::{Read, Write};
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["ID Laporan", "Judul", "Isi Laporan", "Tanggal Laporan"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=8u32 {
        let cells = [
            (3_000_000 + r).to_string(),
            format!("Laporan {r}"),
            "Isi laporan".to_owned(),
            "22/11/2026".to_owned(),
        ];
        for (c, cell) in cells.iter().enumerate() {
            sheet.write_string(r, c as u16, cell).unwrap();
        }
    }
    let whole = book.save_to_buffer().unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(whole)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        let mut content = Vec::new();
        part.read_to_end(&mut content).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(content).unwrap();
            let start = xml.find("<row r=\"3\"").unwrap();
            let end = start + xml[start..].find("</row>").unwrap() + "</row>".len();
            let row = xml[start..end].to_owned();
            let xml =
                format!("{}{}", &xml[..start], &xml[end..]).replace("</sheetData>", &format!("{row}</sheetData>"));
            content = xml.into_bytes();
        }
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&content).unwrap();
    }
    out.finish().unwrap().into_inner()
}

on_both_databases!(
    a_file_found_broken_after_its_first_batches_leaves_nothing_behind,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit_id = store.create_unit(&unit()).await.unwrap();
        let options = options(store.as_ref(), false).await;
        // Progress moves on once per stored batch.
        let (mut batches_stored, mut last_done) = (0, 0);
        let error = tanggap::lapor::import(store.as_ref(), xlsx_broken_half_way(), &options, &mut |done, _| {
            if done > last_done {
                batches_stored += 1;
                last_done = done;
            }
        })
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "baris 3 pada berkas XLSX muncul setelah baris 9; simpan ulang berkas dari aplikasi lembar kerja"
        );
        assert_eq!(error.committed, 0);
        assert!(
            batches_stored >= 3,
            "the rows before the stray one were stored (held) before it was met: {batches_stored}"
        );
        let c = store.counts().await.unwrap();
        assert_eq!(
            (c.complaints, c.complaint_events),
            (0, 0),
            "the held batches were rolled back"
        );
        // The connection went back to the pool outside any transaction, and the
        // agenda counter was rolled back with the rest: numbering starts at 1.
        let first = run(store.as_ref(), &first_export(), false).await;
        assert_eq!(counts(&first), (3, 0, 0, 0));
        assert_eq!(
            complaint_of(store.as_ref(), unit_id, "1916449")
                .await
                .summary
                .nomor_agenda,
            "ADU/2026/000001"
        );
    }
);

/// A multipart body built by hand, as a browser sends the upload form.
fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----tanggap-uji-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, filename, content) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

on_both_databases!(staff_upload_page_dry_runs_then_imports, |db: TestDb| async move {
    let store = db.store.clone();
    let unit_id = store.create_unit(&unit()).await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    for (name, role) in [("petugas", Role::Petugas), ("admin", Role::Admin)] {
        store
            .create_user(&NewUser {
                username: name.into(),
                full_name: name.into(),
                password_hash: hash.clone(),
                roles: vec![(unit_id, role)],
            })
            .await
            .unwrap();
    }
    let app = spawn_app(db).await;
    let petugas = app.login("petugas", PASSWORD).await;
    let (status, _, page) = petugas.get("/staf/dinsos-dumai").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("/staf/dinsos-dumai/impor-lapor"),
        "the dashboard links the import"
    );
    let (status, _, form) = petugas.get("/staf/dinsos-dumai/impor-lapor").await;
    assert_eq!(status, 200);
    assert!(form.contains("enctype=\"multipart/form-data\""));
    let file = "ID Laporan;Judul;Tanggal Laporan;Status\n3000001;Air PDAM keruh;22/11/2026;Diproses\n3000002;;22/11/2026;\n3000003;Sampah menumpuk;1 Nov 2026;Baru\n";
    let upload = |fields: Vec<(&'static str, Option<&'static str>, Vec<u8>)>, csrf: Option<String>| {
        let refs: Vec<(&str, Option<&str>, &[u8])> = fields.iter().map(|(n, f, c)| (*n, *f, c.as_slice())).collect();
        let (content_type, body) = multipart(&refs);
        let url = match &csrf {
            Some(t) => format!("{}/staf/dinsos-dumai/impor-lapor?csrf={t}", app.address),
            None => format!("{}/staf/dinsos-dumai/impor-lapor", app.address),
        };
        petugas
            .client
            .post(url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let csrf = Some(petugas.csrf.clone());
    // Without the CSRF token the upload is refused and nothing runs.
    let refused = upload(vec![("berkas", Some("lapor.csv"), file.as_bytes().to_vec())], None)
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    // Dry run (the form's default).
    let response = upload(
        vec![
            ("berkas", Some("lapor.csv"), file.as_bytes().to_vec()),
            ("uji", None, b"1".to_vec()),
        ],
        csrf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Hasil uji coba: tidak ada yang disimpan"), "{page}");
    assert!(
        page.contains("baru 2, diperbarui 0, tidak berubah 0, ditolak 1"),
        "{page}"
    );
    assert!(page.contains("judul dan isi laporan kosong"));
    assert_eq!(app.store.counts().await.unwrap().complaints, 0);
    // The real import.
    let response = upload(
        vec![("berkas", Some("lapor.csv"), file.as_bytes().to_vec())],
        csrf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Hasil impor") && page.contains("baru 2, diperbarui 0, tidak berubah 0, ditolak 1"));
    assert_eq!(app.store.counts().await.unwrap().complaints, 2);
    let audit = app.store.list_audit(unit_id, 10, 0).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "import.lapor" && a.detail.contains("baru 2"))
    );
    // A broken mapping file is explained, and nothing runs.
    let response = upload(
        vec![
            ("berkas", Some("lapor.csv"), file.as_bytes().to_vec()),
            ("pemetaan", Some("peta.toml"), b"[columns]\njudull = \"X\"\n".to_vec()),
        ],
        csrf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("berkas pemetaan menyebut kolom") && page.contains("judull"),
        "{page}"
    );
    // No file: a clear message.
    let response = upload(vec![("uji", None, b"1".to_vec())], csrf.clone()).await.unwrap();
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("Pilih berkas ekspor"));
    // The admin may not import (an import records identities).
    let admin = app.login("admin", PASSWORD).await;
    assert_eq!(admin.get("/staf/dinsos-dumai/impor-lapor").await.0, 403);
    assert_eq!(app.store.counts().await.unwrap().complaints, 2);
});
