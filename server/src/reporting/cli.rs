//! `tanggap report monthly|skm`: writes a report's files to a folder, from the
//! database, without storing a version (drafts and approvals happen in the app).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::period::Period;
use crate::i18n::Lang;
use crate::storage::Store;

/// `tanggap report ...`.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Laporan Pengaduan Pelayanan Publik of one month.
    Monthly(MonthlyArgs),
    /// Laporan Hasil SKM of a quarter, semester or year.
    Skm(SkmArgs),
}

/// Options shared by both reports.
#[derive(Debug, Args)]
pub struct Common {
    /// Unit code.
    #[arg(long)]
    pub unit: String,
    /// Formats, comma-separated: pdf, xlsx, html.
    #[arg(long, default_value = "pdf,xlsx,html")]
    pub format: String,
    /// Folder to write the files to (created if missing).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Language of the document: id or en.
    #[arg(long, default_value = "id")]
    pub lang: String,
    /// Day the figures are computed as of (YYYY-MM-DD); default today in the unit's zone.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Preparer's notes printed in the report.
    #[arg(long, default_value = "")]
    pub note: String,
}

/// `tanggap report monthly`.
#[derive(Debug, Args)]
pub struct MonthlyArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Month, e.g. 2026-10.
    #[arg(long)]
    pub month: String,
    /// Print complainants' names in the register (the operator answers for it;
    /// anonymous complainants are never named).
    #[arg(long)]
    pub with_identity: bool,
}

/// `tanggap report skm`.
#[derive(Debug, Args)]
pub struct SkmArgs {
    /// Shared options.
    #[command(flatten)]
    pub common: Common,
    /// Period: 2026-Q3, 2026-S1 or 2026.
    #[arg(long)]
    pub period: String,
}

fn formats(text: &str) -> anyhow::Result<Vec<&'static str>> {
    let mut out = Vec::new();
    for f in text
        .split(',')
        .map(|f| f.trim().to_ascii_lowercase())
        .filter(|f| !f.is_empty())
    {
        out.push(match f.as_str() {
            "pdf" => "pdf",
            "xlsx" => "xlsx",
            "html" => "html",
            other => anyhow::bail!("format {other:?} tidak dikenal: pdf, xlsx atau html"),
        });
    }
    if out.is_empty() {
        anyhow::bail!("sebutkan minimal satu format: pdf, xlsx atau html");
    }
    Ok(out)
}

/// Runs a report subcommand and prints the files written.
pub async fn run(store: &dyn Store, command: ReportCommand) -> anyhow::Result<()> {
    let common = match &command {
        ReportCommand::Monthly(a) => &a.common,
        ReportCommand::Skm(a) => &a.common,
    };
    let formats = formats(&common.format)?;
    // The period is checked before anything is read, so a typo fails fast.
    let period = match &command {
        ReportCommand::Monthly(a) => Period::parse_month(&a.month)?,
        ReportCommand::Skm(a) => Period::parse_skm(&a.period)?,
    };
    let lang = Lang::parse(&common.lang)
        .ok_or_else(|| anyhow::anyhow!("bahasa {:?} tidak dikenal: id atau en", common.lang))?;
    let unit = store
        .unit_by_code(common.unit.trim())
        .await?
        .ok_or_else(|| anyhow::anyhow!("unit {:?} tidak ditemukan", common.unit))?;
    let as_of = match &common.as_of {
        Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--as-of harus berformat YYYY-MM-DD"))?,
        None => super::today(&unit),
    };
    let approval = reports::Approval {
        version: 1,
        status: "draft".into(),
        ..Default::default()
    };
    let (doc, stem) = match &command {
        ReportCommand::Monthly(a) => {
            let month = period;
            let report = super::monthly_report(
                store,
                &unit,
                super::MonthlyOptions {
                    month,
                    as_of,
                    show_identity: a.with_identity,
                    note: common.note.clone(),
                    approval,
                },
            )
            .await?;
            (
                report.document(&super::labels(lang)),
                format!("laporan-pengaduan-{}-{}", unit.code, month.key()),
            )
        }
        ReportCommand::Skm(_) => {
            let report = super::skm_report(
                store,
                &unit,
                super::SkmOptions {
                    period,
                    as_of,
                    note: common.note.clone(),
                    approval,
                    lang,
                },
            )
            .await?;
            (
                report.document(&super::labels(lang)),
                format!("laporan-skm-{}-{}", unit.code, period.key()),
            )
        }
    };
    let labels = super::labels(lang);
    let rendered = tokio::task::spawn_blocking({
        let formats = formats.clone();
        move || super::render(&doc, &labels, &formats)
    })
    .await??;
    std::fs::create_dir_all(&common.out)
        .map_err(|e| anyhow::anyhow!("folder {} tidak dapat dibuat: {e}", common.out.display()))?;
    for f in formats {
        let path = common.out.join(format!("{stem}.{f}"));
        let bytes: &[u8] = match f {
            "pdf" => &rendered.pdf,
            "xlsx" => &rendered.xlsx,
            _ => rendered.html.as_bytes(),
        };
        std::fs::write(&path, bytes).map_err(|e| anyhow::anyhow!("{} tidak dapat ditulis: {e}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}
