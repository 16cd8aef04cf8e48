//! `tanggap analytics ikm`: the IKM of a survey file, for units that keep their
//! surveys in spreadsheets. Reads the interchange layout and prints a table, CSV or
//! JSON; rows it could not take are listed on standard error with their line.

use std::fmt::Write as _;
use std::io::Write as _;

use analytics::survey_file::ReadAt;

use crate::cli::IkmArgs;
use crate::survey::interchange;
use crate::web::stats::{IkmParams, ikm_query};

/// Runs the command and returns what to print.
pub fn ikm(args: &IkmArgs) -> anyhow::Result<String> {
    let params = IkmParams {
        unit: args.unit.clone(),
        group_by: Some(args.group_by.clone()),
        from: args.from.clone(),
        to: args.to.clone(),
        rule_set: Some(args.rule_set.clone()),
        weight: Some(args.weight.clone()),
        compare: args.compare.clone(),
        service: None,
    };
    let query = ikm_query(&params).map_err(|e| anyhow::anyhow!(e.message));
    // Grouping per unit is refused over the API (a token reads one unit) but is
    // exactly what a city-wide file needs here.
    let query = match query {
        Ok(q) => q,
        Err(_) if args.group_by.split(',').any(|g| g.trim() == "unit") => {
            let mut without = params;
            without.group_by = Some(
                args.group_by
                    .split(',')
                    .filter(|g| g.trim() != "unit")
                    .collect::<Vec<_>>()
                    .join(","),
            );
            let mut q = ikm_query(&without).map_err(|_| anyhow::anyhow!("pengelompokan tidak valid"))?;
            q.group_by.insert(0, analytics::Dimension::Unit);
            q
        }
        Err(e) => return Err(e),
    };
    // Read streaming and column-wise: memory follows the groups, not the file.
    let file = std::fs::File::open(&args.input)
        .map_err(|e| anyhow::anyhow!("berkas {} tidak dapat dibuka: {e}", args.input.display()))?;
    let mut magic = [0u8; 4];
    let is_parquet = args
        .input
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        || (ReadAt::read_exact_at(&file, 0, &mut magic).is_ok() && &magic == b"PAR1");
    let data = if is_parquet {
        analytics::survey_file::ikm_parquet(&file, &query, &args.unit)
    } else {
        analytics::survey_file::ikm_csv_file(&file, &query, &args.unit)
    }
    .map_err(interchange::InterchangeError::from)?;
    {
        let mut err = std::io::BufWriter::new(std::io::stderr().lock());
        for row in &data.rejected {
            let _ = writeln!(
                err,
                "baris {} dilewati: {}",
                row.line,
                interchange::reason(&row.problem, &query.rule_set)
            );
        }
    }
    if data.accepted == 0 {
        anyhow::bail!("tidak ada baris yang dapat dihitung / no usable rows");
    }
    let report = data.report;
    match args.format.as_str() {
        "json" => Ok(serde_json::to_string_pretty(&report)? + "\n"),
        "csv" => render_csv(&report),
        "table" => Ok(render_table(&report)),
        other => anyhow::bail!("format {other:?} tidak dikenal: table, csv atau json"),
    }
}

fn header(report: &analytics::IkmReport) -> Vec<String> {
    let mut h: Vec<String> = report.group_by.iter().map(|d| d.name().to_owned()).collect();
    h.extend(["n", "ikm", "konversi", "mutu", "kinerja", "ci95_bawah", "ci95_atas"].map(String::from));
    h.extend(report.elements.iter().map(|e| format!("nrr_{}", e.code.to_lowercase())));
    h.push("unsur_terlemah".into());
    h
}

fn row(report: &analytics::IkmReport, g: &analytics::IkmGroup) -> Vec<String> {
    let mut r: Vec<String> = g
        .key
        .iter()
        .map(|k| k.value.clone().unwrap_or_else(|| "(kosong)".into()))
        .collect();
    r.push(g.respondents.to_string());
    match &g.index {
        Some(i) => {
            r.push(format!("{:.2}", i.ikm));
            r.push(format!("{:.2}", i.konversi));
            r.push(i.mutu.as_str().to_owned());
            r.push(i.kinerja.clone());
            r.push(i.ci.as_ref().map(|c| format!("{:.2}", c.lower)).unwrap_or_default());
            r.push(i.ci.as_ref().map(|c| format!("{:.2}", c.upper)).unwrap_or_default());
        }
        None => r.extend(std::iter::repeat_n(String::new(), 6)),
    }
    for e in &g.elements {
        r.push(e.score.as_ref().map(|s| format!("{:.2}", s.nrr)).unwrap_or_default());
    }
    let weakest = g
        .weakest_first
        .first()
        .and_then(|k| report.elements.iter().find(|e| &e.key == k))
        .map(|e| format!("{} {}", e.code, e.name))
        .unwrap_or_default();
    r.push(weakest);
    r
}

fn render_csv(report: &analytics::IkmReport) -> anyhow::Result<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(crate::csv_safe::record(header(report)))?;
    for g in &report.groups {
        out.write_record(crate::csv_safe::record(row(report, g)))?;
    }
    Ok(String::from_utf8(out.into_inner()?)?)
}

fn render_table(report: &analytics::IkmReport) -> String {
    let head = header(report);
    let rows: Vec<Vec<String>> = report.groups.iter().map(|g| row(report, g)).collect();
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([head[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · bobot {} · {} responden",
        report.rule_set_name, report.weight.label, report.respondents
    );
    for line in std::iter::once(&head).chain(rows.iter()) {
        let cells: Vec<String> = line.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
