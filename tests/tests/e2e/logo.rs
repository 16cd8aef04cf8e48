//! The unit's logo (issue 21), on both databases, through the real pages: a unit
//! admin uploads it on `/staf/{unit}/lambang`; the monthly report, the SKM report and
//! the reply letter then carry it in their kop (`pdfimages -list`), with the unit's
//! address printed once (`pdftotext`), and the public IKM image shows it. Another
//! unit's admin, a multi-unit account without admin rights here and bad files are
//! refused with nothing changed.

use chrono::Utc;
use tanggap::domain::{Channel, Role};
use tanggap::storage::model::{Complainant, NewComplaint, NewUser};
use tanggap_tests::{Actor, TestApp, TestDb, in_ci, on_both_databases, small_demo, spawn_app, test_unit};

const UNIT: &str = "dinsospm-dumai";
const OTHER: &str = "dinsos-lain";
const PASSWORD: &str = "kata-sandi-lambang-2026";
/// The Dumai address of the demo data: in the unit's letterhead lines and its
/// address field alike.
const ADDRESS: &str = "Jalan Sultan Syarif Kasim Nomor 11 Buluh Kasap";

fn red_png(w: u32, h: u32) -> Vec<u8> {
    reports::charts::encode_png([200, 20, 20].repeat((w * h) as usize), (w, h)).unwrap()
}

/// Demo data, a second unit, and the people who try: the unit's admin, petugas and
/// sekretaris, the other unit's admin, and an account that is admin of the other
/// unit and only petugas here.
async fn fixture(db: TestDb) -> (TestApp, i64) {
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let store = db.store.clone();
    let unit = store.unit_by_code(UNIT).await.unwrap().unwrap().id;
    let other = store.create_unit(&test_unit(OTHER)).await.unwrap();
    let hash = tanggap::passwords::hash(PASSWORD).unwrap();
    for (name, roles) in [
        ("admin", vec![(unit, Role::Admin)]),
        ("petugas", vec![(unit, Role::Petugas)]),
        ("sekretaris", vec![(unit, Role::Sekretaris)]),
        ("admin_lain", vec![(other, Role::Admin)]),
        ("campuran", vec![(other, Role::Admin), (unit, Role::Petugas)]),
    ] {
        store
            .create_user(&NewUser {
                username: name.into(),
                full_name: format!("Pak {name}"),
                password_hash: hash.clone(),
                roles,
            })
            .await
            .unwrap();
    }
    (spawn_app(db).await, unit)
}

async fn upload(actor: &Actor, unit: &str, bytes: Vec<u8>, file_name: &str) -> (u16, Option<String>, String) {
    let form = reqwest::multipart::Form::new().part(
        "lambang",
        reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
    );
    actor.post_multipart(&format!("/staf/{unit}/lambang"), form).await
}

/// `pdfimages -list`: (width, height) of every image; `None` without poppler
/// outside CI.
fn pdf_images(pdf: &[u8]) -> Option<Vec<(u32, u32)>> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = match std::process::Command::new("pdfimages").arg("-list").arg(&file).output() {
        Ok(out) => out,
        Err(_) if !in_ci() => return None,
        Err(e) => panic!("pdfimages is required in CI: {e}"),
    };
    assert!(out.status.success());
    Some(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(2)
            .filter_map(|l| {
                // page num type width height ...: images only, not their masks
                let cols: Vec<&str> = l.split_whitespace().collect();
                (cols.get(2) == Some(&"image")).then_some(())?;
                Some((cols.get(3)?.parse().ok()?, cols.get(4)?.parse().ok()?))
            })
            .collect(),
    )
}

/// `pdftotext -raw` with whitespace squashed; `None` without poppler outside CI.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = match std::process::Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
    {
        Ok(out) => out,
        Err(_) if !in_ci() => return None,
        Err(e) => panic!("pdftotext is required in CI: {e}"),
    };
    Some(
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Checks a document: a PDF, the logo embedded once at its own size, the address once.
fn assert_kop(name: &str, pdf: &[u8], logo: (u32, u32)) {
    assert!(pdf.starts_with(b"%PDF-"), "{name} is a PDF");
    if let Some(images) = pdf_images(pdf) {
        assert!(images.contains(&logo), "{name}: the logo is in the PDF: {images:?}");
    }
    if let Some(text) = pdf_text(pdf) {
        assert_eq!(text.matches(ADDRESS).count(), 1, "{name}: the address once: {text}");
    }
}

/// Makes a draft through the reports page; returns the version's page path.
async fn draft(petugas: &Actor, fields: &[(&str, &str)]) -> String {
    let (status, location, body) = petugas.post(&format!("/staf/{UNIT}/laporan"), fields).await;
    assert_eq!(status, 303, "{body}");
    location.unwrap()
}

on_both_databases!(
    a_unit_admin_uploads_the_logo_and_every_document_draws_it,
    |db: TestDb| async move {
        let (app, unit) = fixture(db).await;
        let store = app.store.clone();
        let logo = red_png(120, 140);
        let stored = || async { store.unit_logo(unit).await.unwrap() };

        // Refused: no admin rights on this unit, whatever the account holds elsewhere.
        let petugas = app.login("petugas", PASSWORD).await;
        assert_eq!(petugas.get(&format!("/staf/{UNIT}/lambang")).await.0, 403);
        for who in ["petugas", "admin_lain", "campuran"] {
            let actor = app.login(who, PASSWORD).await;
            let (status, _, _) = upload(&actor, UNIT, logo.clone(), "lambang.png").await;
            assert_eq!(status, 403, "{who}");
            assert_eq!(stored().await, None, "{who} changed nothing");
        }

        // Refused: files that are not a sane PNG or SVG, whatever their name.
        let admin = app.login("admin", PASSWORD).await;
        let (status, _, page) = admin.get(&format!("/staf/{UNIT}/lambang")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Belum ada lambang"), "{page}");
        let mut too_large = red_png(64, 64);
        too_large.resize(600 * 1024, 0);
        let hostile = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>"#;
        let external = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="https://contoh.example/x.png" width="5" height="5"/></svg>"#;
        for (bytes, name, says) in [
            (b"bukan gambar".to_vec(), "lambang.png", "bukan gambar PNG atau SVG"),
            (hostile.to_vec(), "lambang.svg", "SVG ini ditolak"),
            (external.to_vec(), "lambang.svg", "SVG ini ditolak"),
            (too_large, "lambang.png", "terlalu besar"),
            (red_png(8, 8), "lambang.png", "Ukuran gambar tidak wajar"),
            (Vec::new(), "lambang.png", "Pilih berkas lambang"),
        ] {
            let (status, _, body) = upload(&admin, UNIT, bytes, name).await;
            assert_eq!(status, 422, "{says}: {body}");
            assert!(body.contains(says), "{says}: {body}");
            assert_eq!(stored().await, None, "{says}: nothing changed");
        }

        // Accepted by its content (the name says nothing).
        let (status, location, body) = upload(&admin, UNIT, logo.clone(), "lambang-daerah.bin").await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some(&*format!("/staf/{UNIT}/lambang")));
        let saved = stored().await.expect("stored");
        assert_eq!((saved.media_type.as_str(), &saved.content), ("image/png", &logo));
        let (_, _, page) = admin.get(&format!("/staf/{UNIT}/lambang")).await;
        assert!(
            page.contains("id=\"current-logo\" src=\"data:image/png;base64,"),
            "{page}"
        );
        // A bad file afterwards leaves the stored logo as it was.
        let (status, _, _) = upload(&admin, UNIT, hostile.to_vec(), "lambang.svg").await;
        assert_eq!(status, 422);
        assert_eq!(stored().await.unwrap().content, logo);
        // Another unit's admin cannot replace it either.
        let other_admin = app.login("admin_lain", PASSWORD).await;
        assert_eq!(upload(&other_admin, UNIT, red_png(30, 30), "x.png").await.0, 403);
        assert_eq!(stored().await.unwrap().content, logo);

        // The monthly report and the SKM report, drafted through the reports page.
        let monthly = draft(&petugas, &[("kind", "pengaduan_bulanan"), ("month", "2026-10")]).await;
        let skm = draft(&petugas, &[("kind", "skm"), ("period", "2026-S1")]).await;
        for (name, page) in [("monthly", &monthly), ("skm", &skm)] {
            let (status, content_type, pdf) = petugas.get_bytes(&format!("{page}/berkas/pdf")).await;
            assert_eq!((status, content_type.as_str()), (200, "application/pdf"), "{name}");
            assert_kop(name, &pdf, (120, 140));
        }

        // The reply letter of a drop-box complaint answered through the pages.
        let division = store.create_division(unit, "Bidang Uji Lambang").await.unwrap();
        let c = store
            .record_complaint(&NewComplaint {
                channel: Channel::KotakSaran,
                complainant: Complainant {
                    name: Some("Pak Darto".into()),
                    ..Default::default()
                },
                ..tanggap_tests::test_complaint(unit, Utc::now() - chrono::Duration::days(1))
            })
            .await
            .unwrap();
        let page = format!("/staf/{UNIT}/pengaduan/{}", c.id);
        let division = division.to_string();
        petugas
            .post(
                &format!("{page}/klasifikasi"),
                &[("klasifikasi", "pengaduan"), ("bidang", &division), ("bobot", "ringan")],
            )
            .await;
        for to in ["terverifikasi", "didisposisikan"] {
            assert_eq!(
                petugas.post(&format!("{page}/status"), &[("to", to)]).await.0,
                303,
                "{to}"
            );
        }
        let answer = [("isi", "Bantuan sudah dicairkan pada 3 Desember 2026.")];
        assert_eq!(petugas.post(&format!("{page}/jawaban"), &answer).await.0, 303);
        let (status, _, letter) = petugas.get_bytes(&format!("{page}/surat-jawaban.pdf")).await;
        assert_eq!(status, 200);
        assert_kop("letter", &letter, (120, 140));

        // The public IKM image of the approved SKM report shows the logo top left.
        let id = skm.rsplit('/').next().unwrap();
        assert_eq!(
            petugas.post(&format!("/staf/{UNIT}/laporan/{id}/ajukan"), &[]).await.0,
            303
        );
        let sekretaris = app.login("sekretaris", PASSWORD).await;
        assert_eq!(
            sekretaris
                .post(&format!("/staf/{UNIT}/laporan/{id}/setujui"), &[])
                .await
                .0,
            303
        );
        let (status, _, approved) = petugas.get_bytes(&format!("{skm}/berkas/pdf")).await;
        assert_eq!(status, 200);
        assert_kop("approved skm", &approved, (120, 140));
        let (status, content_type, png) = petugas.get_bytes(&format!("/u/{UNIT}/ikm.png")).await;
        assert_eq!((status, content_type.as_str()), (200, "image/png"));
        // Red pixels in the image's top left corner (60 × 60).
        let red = |png: &[u8]| {
            let (width, _, rgb) = reports::charts::decode_rgb(png).unwrap();
            let mut n = 0;
            for y in 0..60 {
                for x in 0..60 {
                    let i = ((y * width + x) * 3) as usize;
                    if rgb[i] > 150 && rgb[i + 1] < 60 && rgb[i + 2] < 60 {
                        n += 1;
                    }
                }
            }
            n
        };
        assert!(red(&png) > 500, "the logo in the image's corner: {}", red(&png));
        // Without a logo the corner is clear again (and the image is drawn anew).
        assert_eq!(admin.post(&format!("/staf/{UNIT}/lambang/hapus"), &[]).await.0, 303);
        assert_eq!(stored().await, None);
        let (_, _, png) = petugas.get_bytes(&format!("/u/{UNIT}/ikm.png")).await;
        assert_eq!(red(&png), 0);
    }
);
