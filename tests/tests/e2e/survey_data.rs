//! Survey data in and out (issue 7): import of historical files, export in the
//! same layout, over real HTTP on both databases.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use tanggap::domain::SurveySource;
use tanggap::storage::model::*;
use tanggap_tests::{TestDb, on_both_databases};

use crate::survey::{Fixture, PASSWORD, fixture, ikm, stored};

fn upload(name: &str, bytes: Vec<u8>, rule_set: Option<&str>) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().part(
        "berkas",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    if let Some(code) = rule_set {
        form = form.text("aturan", code.to_owned());
    }
    form
}

/// A historical file: Pengaduan listed before Sarana (by name), two identical forms,
/// and one bad row of each kind.
const HISTORY: &str = "Tanggal;Unit;Layanan;U1;U2;U3;U4;U5;U6;U7;Penanganan Pengaduan, Saran dan Masukan;Sarana dan Prasarana;Jenis Kelamin;Umur;Pendidikan;Pekerjaan;Saran\n\
    2025-03-04;dinsos-uji;Surat Keterangan Tidak Mampu;4;4;4;4;4;4;4;1;3;P;34;D4/S1;PNS;Ruang tunggu panas\n\
    04/03/2025;dinsos-uji;sktm;4;4;4;4;4;4;4;1;3;P;34;D4/S1;PNS;Ruang tunggu panas\n\
    2025-03-05;;Rekomendasi PKH;3;3;3;3;3;3;3;3;3;L;;SMA/SMK;Swasta;\n\
    kemarin;dinsos-uji;sktm;3;3;3;3;3;3;3;3;3;;;;;\n\
    2025-03-06;dinsos-uji;sktm;3;3;3;3;3;3;7;3;3;;;;;\n\
    2025-03-06;dinas-lain;sktm;3;3;3;3;3;3;3;3;3;;;;;\n\
    2025-03-06;dinsos-uji;Paspor;3;3;3;3;3;3;3;3;3;;;;;\n\
    2025-03-06;dinsos-uji;sktm;3;3;3;3;3;3;3;3;3;;;Profesor;;\n\
    2025-03-06;dinsos-uji;sktm;;;;;;;;;;L;40;;;\n";

on_both_databases!(an_imported_file_lands_once_and_is_counted, |db: TestDb| async move {
    let f = fixture(db).await;
    let petugas = f.app.login("petugas_uji", PASSWORD).await;
    let (status, _, page) = petugas.get("/staf/dinsos-uji/survei/impor").await;
    assert_eq!(status, 200);
    assert!(page.contains("enctype=\"multipart/form-data\""));

    let (status, _, page) = petugas
        .post_multipart(
            "/staf/dinsos-uji/survei/impor",
            upload("skm-2025.csv", HISTORY.as_bytes().to_vec(), None),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("9 baris dibaca: 3 ditambahkan, 0 sudah pernah diimpor, 6 ditolak."),
        "{page}"
    );
    // Each refused row with its spreadsheet row number and an Indonesian reason.
    for (row, reason) in [
        (5, "tanggal tidak valid: &#34;kemarin&#34;"),
        (6, "nilai U7 harus 1, 2, 3 atau 4, bukan &#34;7&#34;"),
        (7, "baris ini untuk unit lain: &#34;dinas-lain&#34;"),
        (8, "layanan &#34;Paspor&#34; tidak ada dalam katalog unit ini"),
        (9, "Pendidikan"),
        (10, "tidak ada nilai unsur yang diisi"),
    ] {
        let cell = format!("<tr><td class=\"num\">{row}</td><td>");
        let at = page.find(&cell).unwrap_or_else(|| panic!("row {row} listed: {page}"));
        let line = &page[at..at + page[at..].find("</tr>").unwrap()];
        assert!(
            line.contains(reason) || line.to_lowercase().contains(&reason.to_lowercase()),
            "row {row}: {line}"
        );
    }
    let rows = stored(&f).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.source == "import"));
    assert_eq!(rows[0].scores["pengaduan"], 1, "named column lands on its element");
    assert_eq!(rows[0].scores["sarana"], 3);
    assert_eq!(rows[0].service, "Surat Keterangan Tidak Mampu");
    assert_eq!(
        rows[1].saran.as_deref(),
        Some("Ruang tunggu panas"),
        "identical forms both count"
    );
    assert_eq!(rows[2].service, "Rekomendasi PKH");
    assert_eq!(rows[2].profile.pekerjaan.as_deref(), Some("Swasta"));

    // The analytics read them.
    let report = ikm(&f, "2025-03-01", "2025-03-31").await;
    assert_eq!(report["respondents"], 3, "{report}");
    let columns = f
        .app
        .store
        .survey_columns(&SurveyFilter {
            rule_set: "permenpan-rb-14-2017".into(),
            element_keys: crate::survey::ELEMENTS.iter().map(|k| k.to_string()).collect(),
            unit_id: Some(f.unit_id),
            from: None,
            to: None,
        })
        .await
        .unwrap();
    assert_eq!(columns.len(), 3);

    // The same file again adds nothing; so does the same data as XLSX.
    let (status, _, page) = petugas
        .post_multipart(
            "/staf/dinsos-uji/survei/impor",
            upload("skm-2025.csv", HISTORY.as_bytes().to_vec(), None),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("9 baris dibaca: 0 ditambahkan, 3 sudah pernah diimpor, 6 ditolak."),
        "{page}"
    );
    assert_eq!(stored(&f).await.len(), 3);

    // A file without a date column or any element column is refused whole.
    let (status, _, page) = petugas
        .post_multipart(
            "/staf/dinsos-uji/survei/impor",
            upload("x.csv", b"nama,nilai\nBudi,4\n".to_vec(), None),
        )
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("kolom wajib &#34;tanggal&#34; tidak ada"), "{page}");
    let (status, _, _) = petugas
        .post_multipart("/staf/dinsos-uji/survei/impor", reqwest::multipart::Form::new())
        .await;
    assert_eq!(status, 422);

    // A kepala bidang may export but not import.
    let kabid = f.app.login("kabid_uji", PASSWORD).await;
    let (status, _, _) = kabid
        .post_multipart(
            "/staf/dinsos-uji/survei/impor",
            upload("skm-2025.csv", HISTORY.as_bytes().to_vec(), None),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, csv) = kabid.get("/staf/dinsos-uji/survei/ekspor.csv?dari=2025-03-05").await;
    assert_eq!(status, 200);
    assert_eq!(csv.lines().count(), 2, "header and the one row from 5 March: {csv}");
    assert!(csv.starts_with(
        "\u{feff}tanggal,unit,layanan,u1,u2,u3,u4,u5,u6,u7,u8,u9,jenis_kelamin,umur,pendidikan,pekerjaan,saran"
    ));
    assert_eq!(
        kabid.get("/staf/dinsos-uji/survei/ekspor.csv?dari=kemarin").await.0,
        400
    );
});

fn response(f: &Fixture, day: u32, service: Option<i64>, score: i64, saran: Option<&str>) -> SurveyIntake {
    let mut scores = BTreeMap::new();
    for (i, key) in crate::survey::ELEMENTS.iter().enumerate() {
        // Leave U5 unanswered in every third response: blanks must survive the trip.
        if !(day.is_multiple_of(3) && i == 4) {
            scores.insert(key.to_string(), (score + i as i64) % 4 + 1);
        }
    }
    SurveyIntake {
        response: NewSurveyResponse {
            unit_id: f.unit_id,
            service_id: service,
            rule_set_id: 1,
            responded_on: NaiveDate::from_ymd_opt(2026, 9, day).unwrap(),
            source: if day.is_multiple_of(2) {
                SurveySource::Web
            } else {
                SurveySource::Paper
            },
            import_key: None,
            scores,
            profile: RespondentProfile {
                jenis_kelamin: Some(if day.is_multiple_of(2) { "L" } else { "P" }.into()),
                umur: (!day.is_multiple_of(4)).then_some(20 + day as i64),
                pendidikan: Some("SMA/SMK".into()),
                pekerjaan: (!day.is_multiple_of(5)).then(|| "Pelajar/Mahasiswa".into()),
            },
            saran: saran.map(str::to_owned),
        },
        kiosk_id: None,
        entered_by: None,
    }
}

/// What must survive an export and import: everything but how it was collected.
fn comparable(rows: &[ExportedResponse]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            format!(
                "{} {} {:?} {:?} {:?}",
                r.responded_on, r.service, r.scores, r.profile, r.saran
            )
        })
        .collect()
}

on_both_databases!(an_export_imports_back_unchanged, |db: TestDb| async move {
    let postgres = db.store.backend() == tanggap::storage::Backend::Postgres;
    let source = fixture(db).await;
    let rule_set = source
        .app
        .store
        .survey_rule_sets()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.is_default)
        .unwrap();
    let pkh = source.app.store.list_services(source.unit_id).await.unwrap()[1].id;
    let mut intakes = Vec::new();
    for day in 1..=12 {
        let saran = match day {
            1 => Some("=HYPERLINK(\"http://contoh\") bukan rumus"),
            2 => Some("Antrean, \"panjang\"; mohon\nditambah loket"),
            3 => Some("-"),
            _ => None,
        };
        let service = match day % 3 {
            0 => None,
            1 => Some(source.ktp),
            _ => Some(pkh),
        };
        let mut i = response(&source, day, service, day as i64, saran);
        i.response.rule_set_id = rule_set.id;
        intakes.push(i);
    }
    // Two identical responses: both must arrive.
    intakes.push(intakes[4].clone());
    source.app.store.record_survey_batch(&intakes).await.unwrap();
    let original = stored(&source).await;
    assert_eq!(original.len(), 13);

    let petugas = source.app.login("petugas_uji", PASSWORD).await;
    let get_bytes = |path: &'static str| {
        let client = petugas.client.clone();
        let url = petugas.url(path);
        async move {
            let r = client.get(url).send().await.unwrap();
            assert_eq!(r.status(), 200);
            (
                r.headers()["content-type"].to_str().unwrap().to_owned(),
                r.bytes().await.unwrap().to_vec(),
            )
        }
    };
    let (csv_type, csv) = get_bytes("/staf/dinsos-uji/survei/ekspor.csv").await;
    assert!(csv_type.starts_with("text/csv"));
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.contains("'=HYPERLINK"), "a formula is never written bare: {text}");
    let (xlsx_type, xlsx) = get_bytes("/staf/dinsos-uji/survei/ekspor.xlsx").await;
    assert!(xlsx_type.contains("spreadsheetml"));
    assert!(xlsx.starts_with(b"PK\x03\x04"));

    // A second installation with the same unit and catalog.
    let fresh = if postgres {
        TestDb::postgres().await.unwrap()
    } else {
        TestDb::sqlite().await
    };
    let target = fixture(fresh).await;
    let importer = target.app.login("petugas_uji", PASSWORD).await;
    let (status, _, page) = importer
        .post_multipart("/staf/dinsos-uji/survei/impor", upload("skm.csv", csv, None))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("13 baris dibaca: 13 ditambahkan, 0 sudah pernah diimpor, 0 ditolak."),
        "{page}"
    );
    let imported = stored(&target).await;
    assert_eq!(comparable(&imported), comparable(&original));
    // The XLSX of the same data is the same data: nothing new.
    let (status, _, page) = importer
        .post_multipart("/staf/dinsos-uji/survei/impor", upload("skm.xlsx", xlsx, None))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("13 baris dibaca: 0 ditambahkan, 13 sudah pernah diimpor, 0 ditolak."),
        "{page}"
    );
    assert_eq!(
        ikm(&target, "2026-09-01", "2026-09-30").await["groups"],
        ikm(&source, "2026-09-01", "2026-09-30").await["groups"],
        "the analytics see the same data"
    );
});

on_both_databases!(the_command_line_imports_the_same_way, |db: TestDb| async move {
    use tanggap::cli::{Command, ImportCommand};
    use tanggap::survey::import::SurveyImportArgs;
    let f = fixture(db).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("skm-2025.csv");
    std::fs::write(&file, HISTORY).unwrap();
    let config = tanggap::config::Config {
        database_url: f.app._db_url().into(),
        ..Default::default()
    };
    let command = || {
        Command::Import(ImportCommand::Survei(SurveyImportArgs {
            file: file.clone(),
            unit: Some("dinsos-uji".into()),
            rule_set: None,
        }))
    };
    tanggap::cli::run(command(), config.clone()).await.unwrap();
    let rows = stored(&f).await;
    assert_eq!(rows.len(), 3, "the good rows of the file");
    assert!(rows.iter().all(|r| r.source == "import"));
    tanggap::cli::run(command(), config.clone()).await.unwrap();
    assert_eq!(stored(&f).await.len(), 3, "a second run adds nothing");
    // A file that is not a survey file fails the command and stores nothing.
    std::fs::write(&file, "nama,nilai\nBudi,4\n").unwrap();
    let e = tanggap::cli::run(command(), config.clone()).await.unwrap_err();
    assert!(e.to_string().contains("tanggal"), "{e}");
    let unknown = Command::Import(ImportCommand::Survei(SurveyImportArgs {
        file: file.clone(),
        unit: Some("dinsos-uji".into()),
        rule_set: Some("aturan-lain".into()),
    }));
    let e = tanggap::cli::run(unknown, config).await.unwrap_err();
    assert!(e.to_string().contains("aturan penilaian tidak dikenal"), "{e}");
    assert_eq!(stored(&f).await.len(), 3);
});
