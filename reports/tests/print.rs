//! Documents leadership signs (issue 21): the kop prints the unit's name and address
//! once, the unit's logo is drawn at its left in the monthly report, the SKM report
//! and the reply letter, chart labels never overlap, and every number of a document
//! (tables and charts) is in the document's language's format.

mod common;

use common::*;
use reports::charts::{BarChart, Chart, LineChart};
use reports::fmt::NumberFormat;
use reports::{Labels, Letterhead, Logo};

const ADDRESS: &str = "Jalan Sultan Syarif Kasim Nomor 11 Buluh Kasap, Dumai Timur, Dumai, Riau 28814";

/// The Dumai letterhead of the demo data: its own lines carry the government, the
/// unit and the address, and the unit's address field repeats that address.
fn dumai() -> Letterhead {
    Letterhead {
        government: [
            "PEMERINTAH KOTA DUMAI",
            "DINAS SOSIAL DAN PEMBERDAYAAN MASYARAKAT",
            ADDRESS,
            "Laman https://dinsospm.dumaikota.go.id, pos-el dsosial2018@gmail.com",
        ]
        .join("\n"),
        unit_name: "Dinas Sosial dan Pemberdayaan Masyarakat Kota Dumai".into(),
        address: ADDRESS.into(),
        city: "Dumai".into(),
        phone: "(0765) 31234".into(),
        email: "dsosial2018@gmail.com".into(),
        head_title: "Kepala Dinas Sosial dan Pemberdayaan Masyarakat".into(),
        head_name: "HERMIYATI".into(),
        head_nip: "19711229 200012 2 001".into(),
        logo: None,
    }
}

fn letter(letterhead: Letterhead) -> Vec<u8> {
    reports::letter::pdf(&reports::letter::Letter {
        letterhead,
        nomor: "ADU/2026/000123".into(),
        date: d(2026, 11, 22),
        place: "Dumai".into(),
        subject: "Jawaban atas pengaduan".into(),
        addressee: vec!["Yth. Sdr. Budi Santoso".into()],
        body: "Dengan hormat,\n\nAntrean telah diperbaiki.".into(),
        labels: Default::default(),
    })
    .unwrap()
}

/// The three documents with `letterhead`: (name, PDF).
fn documents(letterhead: &Letterhead) -> Vec<(&'static str, Vec<u8>)> {
    let labels = labels();
    let mut monthly = monthly();
    monthly.letterhead = letterhead.clone();
    let mut skm = skm();
    skm.letterhead = letterhead.clone();
    vec![
        ("monthly", monthly.pdf(&labels).unwrap()),
        ("skm", skm.pdf(&labels).unwrap()),
        ("letter", letter(letterhead.clone())),
    ]
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_kop_prints_name_and_address_once() {
    for (name, pdf) in documents(&dumai()) {
        let Some(text) = pdf_text_raw(&pdf, &format!("kop-{name}")) else {
            return;
        };
        let text = squash(&text);
        assert_eq!(text.matches(ADDRESS).count(), 1, "{name}: the address once\n{text}");
        assert_eq!(
            text.matches("DINAS SOSIAL DAN PEMBERDAYAAN MASYARAKAT").count(),
            1,
            "{name}: the unit line once"
        );
        assert_eq!(text.matches("PEMERINTAH KOTA DUMAI").count(), 1, "{name}");
        // The phone is not in the unit's own lines, so it is added once.
        assert_eq!(text.matches("(0765) 31234").count(), 1, "{name}: the phone once");
    }
    // A unit without letterhead lines: its name and contact line, each once.
    let plain = Letterhead {
        government: String::new(),
        ..dumai()
    };
    let kop = plain.kop();
    assert_eq!(kop[0].1, plain.unit_name);
    assert_eq!(kop.len(), 2);
    assert_eq!(kop[1].1.matches(ADDRESS).count(), 1);
    let Some(text) = pdf_text_raw(&letter(plain.clone()), "kop-plain") else {
        return;
    };
    assert_eq!(squash(&text).matches(ADDRESS).count(), 1, "{text}");
}

fn red_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 20, 20, 255]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// `pdfimages -list` of a PDF: the image rows (width, height); `None` when
/// poppler-utils is missing outside CI.
pub fn pdf_images(pdf: &[u8], name: &str) -> Option<Vec<(u32, u32)>> {
    let dir = tempfile_dir(name);
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = match std::process::Command::new("pdfimages").arg("-list").arg(&file).output() {
        Ok(out) => out,
        Err(_) if !in_ci() => {
            eprintln!("pdfimages not installed: image checks skipped");
            return None;
        }
        Err(e) => panic!("pdfimages is required in CI: {e}"),
    };
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    Some(
        text.lines()
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

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("reports-print-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Page one rendered at 50 dpi as grey levels: (width, height, pixels).
fn first_page(pdf: &[u8], name: &str) -> Option<image::RgbImage> {
    let dir = tempfile_dir(&format!("page-{name}"));
    let file = dir.join("doc.pdf");
    std::fs::write(&file, pdf).unwrap();
    let status = match std::process::Command::new("pdftoppm")
        .args(["-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&file)
        .arg(dir.join("page"))
        .status()
    {
        Ok(s) => s,
        Err(_) if !in_ci() => return None,
        Err(e) => panic!("pdftoppm is required in CI: {e}"),
    };
    assert!(status.success());
    let img = image::open(dir.join("page.png")).unwrap().to_rgb8();
    std::fs::remove_dir_all(&dir).ok();
    Some(img)
}

/// Reddish pixels in the top left corner of page one (where the kop's logo sits).
fn red_in_kop_corner(page: &image::RgbImage) -> usize {
    let (w, h) = page.dimensions();
    let mut n = 0;
    for y in 0..h / 6 {
        for x in 0..w / 4 {
            let p = page.get_pixel(x, y).0;
            if p[0] > 150 && p[1] < 90 && p[2] < 90 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn the_logo_is_drawn_at_the_left_of_every_kop() {
    let png = Logo::check(&red_png(120, 140)).unwrap();
    let svg = Logo::check(
        br##"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="120"><rect width="100" height="120" fill="#c81414"/></svg>"##,
    )
    .unwrap();
    let without = documents(&dumai());
    let with_png = documents(&Letterhead {
        logo: Some(png),
        ..dumai()
    });
    let with_svg = documents(&Letterhead {
        logo: Some(svg),
        ..dumai()
    });
    for (((name, plain), (_, png_pdf)), (_, svg_pdf)) in without.iter().zip(&with_png).zip(&with_svg) {
        let Some(before) = pdf_images(plain, &format!("{name}-plain")) else {
            return;
        };
        assert!(before.is_empty(), "{name}: no raster image without a logo: {before:?}");
        let after = pdf_images(png_pdf, &format!("{name}-png")).unwrap();
        assert_eq!(after, [(120, 140)], "{name}: the PNG logo is embedded once");
        // An SVG logo is drawn as vector paths: page one shows it in the kop's
        // left corner, and nothing red is there without it.
        let Some(page) = first_page(svg_pdf, &format!("{name}-svg")) else {
            return;
        };
        assert!(red_in_kop_corner(&page) > 100, "{name}: SVG logo drawn");
        assert_eq!(red_in_kop_corner(&first_page(plain, name).unwrap()), 0, "{name}");
        assert!(red_in_kop_corner(&first_page(png_pdf, &format!("{name}-png")).unwrap()) > 100);
    }
    // HTML carries the same logo in its kop.
    let mut report = monthly();
    report.letterhead.logo = with_png_logo();
    let html = report.html(&labels()).unwrap();
    assert!(html.contains("<header class=\"kop\"><img class=\"logo\" alt=\"\" src=\"data:image/png;base64,"));
}

fn with_png_logo() -> Option<Logo> {
    Some(Logo::check(&red_png(40, 40)).unwrap())
}

/// A `<text>` of a chart SVG: its box in SVG pixels and its content.
#[derive(Debug)]
struct TextBox {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(tag[start..].split('"').next()?.to_owned())
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every non-empty text of an SVG, with the box the embedded font gives it: its
/// advance width at the drawn size, one line high, placed by its anchor.
fn text_boxes(svg: &str) -> Vec<TextBox> {
    use plotters::style::IntoFont;
    let mut boxes = Vec::new();
    for piece in svg.split("<text").skip(1) {
        let (tag, rest) = piece.split_once('>').unwrap();
        let text = unescape(rest.split("</text>").next().unwrap().trim());
        if text.is_empty() {
            continue;
        }
        let num = |n: &str| attr(tag, n).and_then(|v| v.parse::<f64>().ok()).unwrap();
        let (x, y, css) = (num("x"), num("y"), num("font-size"));
        assert!(attr(tag, "transform").is_none(), "no rotated text: {tag}");
        // plotters writes its size divided by 1.24 as the CSS size.
        let size = css * 1.24;
        let (w, _) = ("Lato", size).into_font().box_size(&text).unwrap();
        let (w, h) = (w as f64, size);
        let x0 = match attr(tag, "text-anchor").as_deref() {
            Some("middle") => x - w / 2.0,
            Some("end") => x - w,
            _ => x,
        };
        let y0 = match attr(tag, "dy").as_deref() {
            Some("0.76em") => y,
            Some("0.5ex") => y - h / 2.0,
            _ => y - h,
        };
        boxes.push(TextBox {
            text,
            x0,
            y0,
            x1: x0 + w,
            y1: y0 + h,
        });
    }
    boxes
}

/// Pairs of texts whose boxes overlap by more than a pixel, and texts that run
/// out of the image.
fn overlaps(svg: &str) -> Vec<String> {
    let boxes = text_boxes(svg);
    let head = svg.split('>').next().unwrap();
    let (width, height) = (
        attr(head, "width").unwrap().parse::<f64>().unwrap(),
        attr(head, "height").unwrap().parse::<f64>().unwrap(),
    );
    let mut found: Vec<String> = boxes
        .iter()
        .filter(|b| b.x0 < -1.0 || b.y0 < -1.0 || b.x1 > width + 1.0 || b.y1 > height + 1.0)
        .map(|b| format!("{:?} outside the {width}×{height} image", b.text))
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let dx = a.x1.min(b.x1) - a.x0.max(b.x0);
            let dy = a.y1.min(b.y1) - a.y0.max(b.y0);
            if dx > 1.0 && dy > 1.0 {
                found.push(format!("{:?} × {:?}", a.text, b.text));
            }
        }
    }
    found
}

/// Every channel's name (the longest real labels of the channel chart).
fn channel_chart(labels: &Labels) -> Chart {
    let keys = [
        "kotak_saran",
        "surat",
        "tatap_muka",
        "telepon",
        "fax",
        "sms",
        "whatsapp",
        "email",
        "website",
        "media_sosial",
        "span_lapor",
        "skm",
    ];
    Chart::Bar(BarChart {
        title: labels.t("reports.monthly.chart_channel").to_owned(),
        labels: keys
            .iter()
            .map(|k| labels.t(&format!("channel.{k}")).to_owned())
            .collect(),
        values: (0..keys.len()).map(|i| (i * 7 % 23 + 1) as f64).collect(),
        range: None,
        bands: vec![],
    })
}

#[test]
fn chart_labels_never_overlap() {
    for labels in [labels(), labels_en()] {
        let chart = channel_chart(&labels);
        let svg = chart.svg(labels.numbers()).unwrap();
        let texts: Vec<String> = text_boxes(&svg).into_iter().map(|b| b.text).collect();
        // Every channel's name is drawn whole (its lines read back in order).
        let joined = texts.join(" ").replace("- ", "-");
        if let Chart::Bar(bars) = &chart {
            for name in &bars.labels {
                assert!(joined.contains(name.as_str()), "{name} in {joined}");
            }
        }
        assert!(overlaps(&svg).is_empty(), "channel chart: {:?}", overlaps(&svg));
        // Every chart of both reports, in both languages.
        let mut all = monthly().charts(&labels);
        all.extend(skm().charts(&labels));
        let mut long = skm();
        for g in &mut long.by_service.groups {
            if let Some(k) = g.key.first_mut() {
                k.value = Some(format!(
                    "Rekomendasi Pelatihan Anak Putus Sekolah dan Penerbitan Surat Keterangan {}",
                    k.value.clone().unwrap_or_default()
                ));
            }
        }
        all.push((
            "publikasi".into(),
            reports::skm::publication_chart(&long, "IKM Dinas Sosial · Semester I 2026"),
        ));
        assert!(all.len() >= 6, "{}", all.len());
        for (name, chart) in &all {
            let svg = chart.svg(labels.numbers()).unwrap();
            assert!(overlaps(&svg).is_empty(), "{name}: {:?}", overlaps(&svg));
        }
    }
    // Twelve months on a trend line with long month names.
    let months: Vec<String> = (1..=12).map(|m| format!("September {}", 2025 + m / 12)).collect();
    let line = Chart::Line(LineChart {
        title: "Tren".into(),
        labels: months,
        series: vec![("Masuk".into(), (0..12).map(|i| Some(i as f64 * 3.5)).collect())],
        range: None,
    });
    let svg = line.svg(NumberFormat::Indonesian).unwrap();
    assert!(overlaps(&svg).is_empty(), "trend: {:?}", overlaps(&svg));
}

/// The numbers a chart prints (texts made of digits and separators only).
fn chart_numbers(svg: &str) -> Vec<String> {
    text_boxes(svg)
        .into_iter()
        .map(|b| b.text)
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()) && t.chars().all(|c| c.is_ascii_digit() || ".,-".contains(c)))
        .collect()
}

#[test]
fn charts_and_tables_share_the_documents_number_format() {
    let report = skm();
    for (labels, decimal, thousands) in [(labels(), ',', '.'), (labels_en(), '.', ',')] {
        let mut numbers = Vec::new();
        for (_, chart) in report.charts(&labels) {
            numbers.extend(chart_numbers(&chart.svg(labels.numbers()).unwrap()));
        }
        let with_decimals: Vec<&String> = numbers.iter().filter(|n| n.contains(decimal)).collect();
        assert!(!with_decimals.is_empty(), "some chart prints decimals: {numbers:?}");
        for n in &numbers {
            // A separator other than the decimal one may only group thousands.
            if let Some((_, after)) = n.split_once(thousands) {
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                assert_eq!(digits.len(), 3, "{n:?} is not in the {decimal:?} format");
            }
        }
        // Tables print the same values in the same format.
        let konversi = report.overall.groups[0].elements[0].score.as_ref().unwrap().konversi;
        let printed = labels.numbers().dec(konversi, 2);
        assert!(printed.contains(decimal), "{printed}");
        let html = report.html(&labels).unwrap();
        assert!(html.contains(&format!("<td class=\"n\">{printed}</td>")), "{printed}");
        let element_chart = report
            .charts(&labels)
            .into_iter()
            .find(|(name, _)| name.contains("unsur"))
            .map(|(_, c)| c.svg(labels.numbers()).unwrap())
            .expect("the element chart");
        assert!(
            chart_numbers(&element_chart).contains(&printed),
            "the chart prints {printed} as the table does: {:?}",
            chart_numbers(&element_chart)
        );
    }
    // The English PDF reads back in the English format.
    let en = labels_en();
    let Some(text) = pdf_text(&report.pdf(&en).unwrap(), "numbers-en") else {
        return;
    };
    let index = report.overall.groups[0].index.as_ref().unwrap();
    assert!(text.contains(&NumberFormat::English.dec(index.konversi, 2)), "{text}");
}
