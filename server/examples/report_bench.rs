//! Speed of the monthly report (issue 9): 50,000 complaints and 500,000 survey
//! responses in one unit, the month's report computed by `analytics` and rendered
//! as PDF, XLSX and HTML by `reports`, timed end to end (from the loaded columns).
//!
//!     cargo build --workspace --examples && target/debug/examples/report_bench [complaints] [responses]
//!
//! `REPORT_BENCH_OUT=dir` also writes the three files there (after the timing).
//! The data are synthetic and deterministic; the month is October 2026 and the 50,000
//! complaints are spread over the 12 months before it, so the month's register holds
//! about 4,200 lines.

use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate};
use tanggap::reporting::period::Period;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let complaints: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(50_000);
    let responses: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(500_000);
    let start = NaiveDate::from_ymd_opt(2025, 11, 1).unwrap();
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let month = Period::Month(2026, 10);

    // Complaint columns as `Store::complaint_columns` returns them.
    let mut c = analytics::ComplaintColumns::default();
    let mut register = Vec::new();
    let channels = [
        "website",
        "sms",
        "whatsapp",
        "surat",
        "tatap_muka",
        "email",
        "span_lapor",
    ];
    let bobot = ["ringan", "sedang", "berat"];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..complaints {
        let received = start + Duration::days((i * 365 / complaints) as i64);
        let r = next();
        let b = bobot[(r % 3) as usize];
        let days = [5, 14, 60][(r % 3) as usize];
        let closed = r % 10 < 8;
        c.id.push(i as i64 + 1);
        c.unit.push("dinsos".into());
        c.service.push(Some(format!("Layanan {}", r % 11)));
        c.division.push(Some(format!("Bidang {}", r % 4)));
        c.channel.push(channels[(r >> 8) as usize % channels.len()].into());
        c.bobot.push(Some(b.into()));
        c.jenis.push(Some(
            ["waktu", "prosedur", "perilaku", "biaya"][(r >> 16) as usize % 4].into(),
        ));
        c.klasifikasi.push("pengaduan".into());
        c.status.push(if closed { "selesai" } else { "ditindaklanjuti" }.into());
        c.received_at.push(received);
        c.first_answer_at
            .push(Some(received + Duration::days(1 + (r >> 20) as i64 % 3)));
        c.closed_at
            .push(closed.then(|| received + Duration::days((r >> 24) as i64 % (days * 2))));
        c.due_at.push(Some(received + Duration::days(days * 7 / 5)));
        if received.year() == 2026 && received.month() == 10 {
            register.push(reports::monthly::RegisterEntry {
                nomor_agenda: format!("ADU/2026/{:06}", i + 1),
                received_on: received,
                complainant: None,
                anonim: r % 13 == 0,
                channel: channels[(r >> 8) as usize % channels.len()].into(),
                subject: "Pelayanan di loket terlalu lama dan petugas tidak ada di tempat".into(),
                jenis: Some("Waktu Penyelesaian".into()),
                bobot: Some(b.into()),
                service: Some(format!("Layanan {}", r % 11)),
                status: if closed { "selesai" } else { "ditindaklanjuti" }.into(),
            });
        }
    }
    // The unit's survey responses exist beside them (they are the SKM report's input,
    // built here so the process holds the whole unit's data as the server would).
    let rules = analytics::RuleSet::permenpan_14_2017();
    let survey = analytics::synthetic::synthetic_survey(&analytics::synthetic::SyntheticSurvey {
        rows: responses,
        units: 1,
        services_per_unit: 11,
        start,
        days: 365,
        missing: 0.01,
        rule_set: rules,
        seed: 9,
    })?;

    let labels = tanggap::reporting::labels(tanggap::i18n::Lang::Id);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let frame = c.into_frame()?;
    let t_frame = t0.elapsed();
    let (stats, trend) = tanggap::reporting::monthly_stats(
        &frame,
        month,
        as_of,
        &[],
        &analytics::SlaTarget::defaults(),
        &["dinsos".to_owned()],
    )?;
    let t_stats = t0.elapsed();
    let report = reports::MonthlyReport {
        letterhead: reports::Letterhead {
            government: "PEMERINTAH KOTA DUMAI".into(),
            unit_name: "Dinas Sosial Kota Dumai".into(),
            ..Default::default()
        },
        month: month.from(),
        as_of,
        stats,
        trend,
        register,
        overdue: Vec::new(),
        stages: Vec::new(),
        preparer_note: String::new(),
        approval: reports::Approval {
            version: 1,
            status: "draft".into(),
            ..Default::default()
        },
    };
    let doc = report.document(&labels);
    let out = tanggap::reporting::render(&doc, &labels, &["pdf", "xlsx", "html"])?;
    let total = t0.elapsed();
    let cpu = cpu_seconds() - cpu0;
    println!(
        "complaints {complaints}, responses {} (survey frame), register lines {}",
        survey.len(),
        report.register.len()
    );
    println!(
        "frame {:.0} ms, analytics {:.0} ms, document in three formats (concurrently) {:.0} ms: html {} KiB, xlsx {} KiB, pdf {} KiB",
        t_frame.as_secs_f64() * 1e3,
        (t_stats - t_frame).as_secs_f64() * 1e3,
        (total - t_stats).as_secs_f64() * 1e3,
        out.html.len() / 1024,
        out.xlsx.len() / 1024,
        out.pdf.len() / 1024,
    );
    println!(
        "monthly report, all three formats: {:.2} s wall, {:.2} s CPU (process, all threads); load average {}",
        total.as_secs_f64(),
        cpu,
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    // To look at the result: REPORT_BENCH_OUT=dir writes the three files (untimed).
    if let Some(dir) = std::env::var_os("REPORT_BENCH_OUT") {
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join("laporan-bench.pdf"), &out.pdf)?;
        std::fs::write(dir.join("laporan-bench.xlsx"), &out.xlsx)?;
        std::fs::write(dir.join("laporan-bench.html"), &out.html)?;
    }
    Ok(())
}

/// CPU time of this process so far (user + system, all threads), from /proc/self/stat
/// (Linux; clock ticks of 1/100 s). Zero elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: indexes 11 and 12 after ')'.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
