//! The command line: `tanggap serve | migrate | demo | user add | analytics | import lapor | report
//! | backup | restore | export`.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Config;
use crate::demo::{DemoOptions, load_demo_with_progress};
use crate::domain::Role;
use crate::storage::{self, Store, model::NewUser};

const CONFIG_HELP: &str = "\
Configuration (later layers win):
  1. built-in defaults
  2. tanggap.toml in the working directory, or the file given with --config
  3. environment: TANGGAP_<KEY> (e.g. TANGGAP_BIND), and DATABASE_URL
  4. command-line flags

Keys (tanggap.toml / TANGGAP_<KEY>):
  bind               address to listen on            [default: 127.0.0.1:8080]
  database_url       sqlite:PATH or postgres://...   [default: sqlite:data/tanggap.db]
                     (also DATABASE_URL; never logged with its password)
  default_language   id or en                        [default: id]
  log                log filter, e.g. info,tanggap=debug [default: info]
  max_body_bytes     largest request body in bytes   [default: 12582912]
  public_url         public base URL for links in messages; https turns on Secure cookies
  session_hours      hours a staff session lasts after its last use [default: 8]
  public_rate_per_minute  requests a minute per address on public endpoints [default: 30]
  trust_proxy        read the client address from X-Forwarded-For [default: false]";

/// Tanggap: complaint intake and public satisfaction survey (SKM) analytics.
#[derive(Debug, Parser)]
#[command(name = "tanggap", version, about, after_help = CONFIG_HELP)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./tanggap.toml when it exists.
    #[arg(long, global = true, env = "TANGGAP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: sqlite:PATH or postgres://USER@HOST/DB. Overrides the configuration.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load demo data: the four seed agencies and synthetic complaints and surveys.
    Demo(DemoArgs),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Compute from survey files, without a database.
    #[command(subcommand)]
    Analytics(AnalyticsCommand),
    /// Import complaints from other systems.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Produce reports (monthly complaints, SKM) as PDF, XLSX and HTML files.
    #[command(subcommand)]
    Report(crate::reporting::cli::ReportCommand),
    /// Write a consistent copy of the SQLite database while the server runs
    /// (PostgreSQL: use pg_dump -Fc).
    Backup(crate::backup::BackupArgs),
    /// Put a backup back as the SQLite database; the server must be stopped
    /// (PostgreSQL: use pg_restore).
    Restore(crate::backup::RestoreArgs),
    /// Move the data to another database.
    #[command(subcommand)]
    Export(crate::backup::ExportCommand),
    /// Survey data kept in the database.
    #[command(subcommand)]
    Survei(SurveiCommand),
}

/// `tanggap survei ...`.
#[derive(Debug, Subcommand)]
pub enum SurveiCommand {
    /// The survey statistics (exact per-cell IKM sums): check that they count every
    /// stored response, or rebuild them from the responses.
    Statistik(StatistikArgs),
}

/// Flags of `tanggap survei statistik`.
#[derive(Debug, Args)]
pub struct StatistikArgs {
    /// Rebuild them from the responses (after responses were edited by hand).
    #[arg(long = "bangun-ulang")]
    pub rebuild: bool,
}

/// `tanggap import ...`.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import an SP4N-LAPOR! export (CSV or XLSX). Idempotent on the tracking ID: the
    /// same file twice changes nothing; a newer export adds status changes and
    /// follow-ups to the complaints imported before.
    Lapor(LaporArgs),
    /// Import historical SKM survey data (CSV, XLSX or Parquet, interchange layout). The same file twice adds nothing.
    Survei(crate::survey::import::SurveyImportArgs),
}

/// Flags of `tanggap import lapor`.
#[derive(Debug, Args)]
pub struct LaporArgs {
    /// The export: CSV (comma or semicolon; UTF-8 or Windows-1252) or XLSX.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Receiving unit code. May be left out when the database has one unit.
    #[arg(long)]
    pub unit: Option<String>,
    /// Column mapping file (TOML: [columns], [status], sheet).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// XLSX sheet to read (default: the mapping's, else the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Show exactly what would happen; store nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Reports per transaction (a crash loses at most one batch; a re-run continues).
    #[arg(long, default_value_t = crate::lapor::DEFAULT_BATCH)]
    pub batch_size: usize,
}

/// `tanggap analytics ...`.
#[derive(Debug, Subcommand)]
pub enum AnalyticsCommand {
    /// IKM from a survey file in the interchange layout (tanggal,unit,layanan,u1..u9,...).
    Ikm(IkmArgs),
}

/// Flags of `tanggap analytics ikm`.
#[derive(Debug, Args)]
pub struct IkmArgs {
    /// Survey file in the interchange layout: CSV (comma or semicolon separated) or
    /// Parquet (`.parquet`, or any file that starts with Parquet's magic bytes).
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Grouping, comma-separated: unit, service, month, quarter, semester, year,
    /// jenis_kelamin, umur_kelompok, pendidikan, pekerjaan.
    #[arg(long, default_value = "")]
    pub group_by: String,
    /// Rule set: permenpan-rb-14-2017 (default) or kepmenpan-25-2004.
    #[arg(long, default_value = analytics::rules::PERMENPAN_14_2017)]
    pub rule_set: String,
    /// Element weight: exact (1/k), or printed3 / printed2 to reproduce an old report.
    #[arg(long, default_value = "exact")]
    pub weight: String,
    /// First day included (YYYY-MM-DD).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day included (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<String>,
    /// Compare each group with the previous period (`previous`).
    #[arg(long)]
    pub compare: Option<String>,
    /// Unit name for files without a `unit` column.
    #[arg(long, default_value = "-")]
    pub unit: String,
    /// Output: table (default), csv or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// Flags of `tanggap serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080.
    #[arg(long, env = "TANGGAP_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Load demo data first when the database has no units yet.
    #[arg(long)]
    pub demo: bool,
    /// Sizes and seed for --demo.
    #[command(flatten)]
    pub demo_args: DemoArgs,
}

/// Flags of `tanggap demo` (and `serve --demo`).
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Random seed: the same seed, sizes and end date give the same data.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Number of synthetic complaints over the twelve months.
    #[arg(long, default_value_t = 3_000)]
    pub complaints: usize,
    /// Number of synthetic survey responses over the twelve months.
    #[arg(long, default_value_t = 20_000)]
    pub responses: usize,
    /// Last day of the twelve months (YYYY-MM-DD). Default: today.
    #[arg(long, value_name = "DATE")]
    pub end_date: Option<chrono::NaiveDate>,
}

/// `tanggap user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account. Without --password-stdin a strong password is generated and printed once.
    Add(UserAddArgs),
}

/// Flags of `tanggap user add`.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// Login name.
    #[arg(long)]
    pub username: String,
    /// Full name, as shown on pages and reports.
    #[arg(long)]
    pub name: String,
    /// Role: admin, petugas, kepala_bidang, sekretaris, kepala_dinas or auditor.
    #[arg(long, value_parser = parse_role, required_unless_present = "system_admin")]
    pub role: Option<Role>,
    /// Unit code(s) the account works in; repeat or separate with commas.
    #[arg(long = "unit", value_delimiter = ',', required_unless_present = "system_admin")]
    pub units: Vec<String>,
    /// Give the account the system-level role: the national holiday calendar and the
    /// accounts that work in more than one unit. Only this command grants it.
    #[arg(long)]
    pub system_admin: bool,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|_| {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
        format!(
            "peran tidak dikenal / unknown role {s:?}; pilih / choose: {}",
            all.join(", ")
        )
    })
}

/// Entry point of the binary: parses arguments, runs, and maps errors to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Some(url) = &cli.database_url {
        config.database_url = SecretString::from(url.as_str());
    }
    init_tracing(&config.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("galat / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open_store(config: &Config) -> anyhow::Result<std::sync::Arc<dyn Store>> {
    let store = storage::connect(config.database_url.expose_secret())
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "tidak dapat membuka basis data {}: {e}",
                config.database_url_for_display()
            )
        })?;
    store.migrate().await?;
    Ok(store)
}

/// Runs one subcommand with a loaded configuration.
pub async fn run(command: Command, mut config: Config) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            open_store(&config).await?;
            println!(
                "Migrasi selesai / migrations applied: {}",
                config.database_url_for_display()
            );
        }
        Command::Demo(args) => {
            let store = open_store(&config).await?;
            if run_demo(store.as_ref(), &args).await?.is_some() {
                println!("{}", crate::backup::both("demo.login_later", &[]));
            }
        }
        Command::Serve(args) => {
            if let Some(bind) = args.bind {
                config.bind = bind;
            }
            let store = open_store(&config).await?;
            // What the start message says about logging in to the demo, if anything.
            let mut demo_login = None;
            if args.demo {
                if store.counts().await?.units == 0 {
                    demo_login = run_demo(store.as_ref(), &args.demo_args)
                        .await?
                        .map(|_| "demo.login_at");
                } else {
                    tracing::info!("database already has units: demo data not loaded again");
                    demo_login = Some("demo.accounts_exist");
                }
            }
            let db = config.database_url_for_display();
            let jobs = crate::server::ChannelJobs::start(&config, store.clone());
            let server = crate::server::Server::bind(config, store).await?;
            tracing::info!(address = %server.local_addr(), database = %db, "Tanggap is listening");
            // The address line first: scripts and tests read the first URL printed.
            println!("Tanggap berjalan di / is running at http://{}", server.local_addr());
            if let Some(key) = demo_login {
                let url = format!("http://{}/masuk", server.local_addr());
                let unit = crate::demo::agencies()
                    .first()
                    .map(|a| a.unit.code.clone())
                    .unwrap_or_default();
                println!("{}", crate::backup::both(key, &[("url", &url), ("unit", &unit)]));
            }
            let served = server.run_until(crate::server::shutdown_signal()).await;
            jobs.stop().await;
            served?;
        }
        Command::Analytics(AnalyticsCommand::Ikm(args)) => {
            let output = crate::survey::cli::ikm(&args)?;
            print!("{output}");
        }
        Command::User(UserCommand::Add(args)) => {
            let store = open_store(&config).await?;
            add_user(store.as_ref(), args).await?;
        }
        Command::Import(ImportCommand::Lapor(args)) => {
            let store = open_store(&config).await?;
            import_lapor(store.as_ref(), args).await?;
        }
        Command::Import(ImportCommand::Survei(args)) => {
            crate::survey::import::run_cli(open_store(&config).await?.as_ref(), &args).await?
        }
        Command::Report(command) => {
            let store = open_store(&config).await?;
            crate::reporting::cli::run(store.as_ref(), command).await?;
        }
        Command::Backup(args) => crate::backup::run_backup(config.database_url.expose_secret(), &args).await?,
        Command::Restore(args) => crate::backup::run_restore(config.database_url.expose_secret(), &args).await?,
        Command::Export(crate::backup::ExportCommand::SqliteToPostgres(args)) => {
            crate::backup::export::run(config.database_url.expose_secret(), &args).await?
        }
        Command::Survei(SurveiCommand::Statistik(args)) => {
            survey_statistics(open_store(&config).await?.as_ref(), &args).await?
        }
    }
    Ok(())
}

/// `tanggap survei statistik [--bangun-ulang]`: rebuilds the survey statistics, or
/// checks that they count every stored response (fails when they do not).
async fn survey_statistics(store: &dyn Store, args: &StatistikArgs) -> anyhow::Result<()> {
    use crate::backup::both;
    if args.rebuild {
        let done = store.rebuild_survey_stats().await?;
        println!(
            "{}",
            both(
                "survey_stats.rebuilt",
                &[
                    ("responses", &done.responses.to_string()),
                    ("cells", &done.cells.to_string()),
                    ("profile_cells", &done.profile_cells.to_string()),
                ]
            )
        );
        return Ok(());
    }
    let (counted, stored) = store.survey_stats_counts().await?;
    let sources = store.survey_source_mismatches().await?;
    let args = [
        ("counted", counted.to_string()),
        ("stored", stored.to_string()),
        ("days", sources.to_string()),
    ];
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if counted != stored {
        anyhow::bail!(both("survey_stats.inconsistent", &args));
    }
    if sources != 0 {
        anyhow::bail!(both("survey_stats.sources_inconsistent", &args));
    }
    println!("{}", both("survey_stats.consistent", &args));
    Ok(())
}

/// Most rows of a dry run listed one by one; the summary always counts them all.
const DRY_RUN_LISTED: usize = 200;

async fn import_lapor(store: &dyn Store, args: LaporArgs) -> anyhow::Result<()> {
    use crate::i18n::Lang;
    use crate::storage::model::LaporOutcome;
    let units = store.list_units().await?;
    let unit = match &args.unit {
        Some(code) => units.iter().find(|u| u.code == code.trim()),
        None if units.len() == 1 => units.first(),
        None => {
            let codes: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
            anyhow::bail!(
                "sebutkan unit penerima dengan --unit; unit yang ada: {} / name the receiving unit with --unit",
                codes.join(", ")
            );
        }
    }
    .ok_or_else(|| {
        anyhow::anyhow!(
            "unit {:?} tidak ditemukan / unit not found",
            args.unit.clone().unwrap_or_default()
        )
    })?
    .clone();
    let bytes = std::fs::read(&args.file).map_err(|e| {
        anyhow::anyhow!(
            "berkas {} tidak dapat dibaca / cannot read the file: {e}",
            args.file.display()
        )
    })?;
    let mapping = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("berkas pemetaan {} tidak dapat dibaca: {e}", path.display()))?;
            crate::lapor::Mapping::from_toml(&text)?
        }
        None => crate::lapor::Mapping::default(),
    };
    let options = crate::lapor::ImportOptions {
        unit: unit.clone(),
        mapping,
        sheet: args.sheet.clone(),
        dry_run: args.dry_run,
        batch_size: args.batch_size,
        recorded_by: None,
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} laporan ({per_sec})",
        )
        .expect("a valid template"),
    );
    let started = std::time::Instant::now();
    let result = crate::lapor::import(store, bytes, &options, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(e) if e.committed > 0 => anyhow::bail!(
            "{e}; {}",
            crate::i18n::tf(Lang::Id, "lapor_import.committed", &[("n", &e.committed.to_string())])
        ),
        Err(e) => return Err(e.into()),
    };
    let elapsed = started.elapsed().as_secs_f64();
    if report.dry_run {
        println!("UJI COBA / DRY RUN: tidak ada yang disimpan / nothing was stored");
    }
    println!(
        "Berkas / file: {} ({}), unit {}",
        args.file.display(),
        report.format,
        unit.code
    );
    for r in &report.rows {
        let line = match &r.outcome {
            LaporOutcome::New { .. } if report.dry_run && report.rows.len() <= DRY_RUN_LISTED => {
                format!("baris {}: #{} baru", r.row, r.tracking_id)
            }
            LaporOutcome::Updated {
                status_change,
                new_follow_ups,
                ..
            } => {
                let mut what = Vec::new();
                if let Some((from, to)) = status_change {
                    what.push(format!("status {:?} -> {:?}", from, to));
                }
                if *new_follow_ups > 0 {
                    what.push(format!("{new_follow_ups} tindak lanjut baru"));
                }
                format!("baris {}: #{} diperbarui: {}", r.row, r.tracking_id, what.join(", "))
            }
            _ => continue,
        };
        println!("{line}");
    }
    for rejected in &report.rejected {
        println!("baris {}: DITOLAK: {}", rejected.row, rejected.text(Lang::Id));
    }
    println!(
        "{}: {} ({:.1} s)",
        if report.dry_run {
            "Akan terjadi / would happen"
        } else {
            "Selesai / done"
        },
        report.summary(Lang::Id),
        elapsed
    );
    if !report.dry_run {
        let detail = report.summary(Lang::Id);
        store
            .audit(&crate::storage::model::AuditEntry {
                at: chrono::Utc::now(),
                user_id: None,
                username: None,
                unit_id: Some(unit.id),
                action: "import.lapor".into(),
                entity: "file".into(),
                entity_id: args.file.display().to_string(),
                detail,
                ip: "cli".into(),
            })
            .await?;
    }
    Ok(())
}

/// Loads the demo (when not there yet) and makes its accounts; `None` when the demo
/// was already loaded and nothing changed.
async fn run_demo(store: &dyn Store, args: &DemoArgs) -> anyhow::Result<Option<crate::demo::accounts::DemoAccounts>> {
    let options = DemoOptions {
        seed: args.seed,
        complaints: args.complaints,
        responses: args.responses,
        end_date: args.end_date.unwrap_or_else(|| chrono::Utc::now().date_naive()),
    };
    let started = std::time::Instant::now();
    // A large demo takes minutes: say how far the survey responses are, every tenth.
    let tenths_told = std::sync::atomic::AtomicU64::new(0);
    let progress = |loaded: u64, total: u64| {
        let tenths = loaded * 10 / total.max(1);
        if total >= 1_000_000 && tenths > tenths_told.fetch_max(tenths, std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "respons SKM / survey responses: {loaded} / {total} ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let Some(summary) = load_demo_with_progress(store, &options, &progress).await? else {
        println!("Data demo sudah ada / demo data is already loaded: nothing changed");
        return Ok(None);
    };
    println!(
        "Data demo dimuat / demo data loaded in {:.1} s: {} unit, {} layanan, {} pengaduan, {} respons SKM",
        started.elapsed().as_secs_f64(),
        summary.units,
        summary.services,
        summary.complaints,
        summary.survey_responses
    );
    let made = crate::demo::accounts::create_accounts(store).await?;
    println!("{}", crate::backup::both("demo.accounts", &[]));
    println!(
        "  {}",
        crate::backup::both("demo.password", &[("password", &made.password)])
    );
    for seed in crate::demo::agencies() {
        let names: Vec<&str> = made
            .accounts
            .iter()
            .filter(|(_, unit, _)| *unit == seed.unit.code)
            .map(|(name, _, _)| name.as_str())
            .collect();
        println!(
            "  {}",
            crate::i18n::tf(
                crate::i18n::Lang::Id,
                "demo.unit_accounts",
                &[("unit", &seed.unit.code), ("usernames", &names.join(", "))]
            )
        );
    }
    Ok(Some(made))
}

async fn add_user(store: &dyn Store, args: UserAddArgs) -> anyhow::Result<()> {
    let mut roles = Vec::new();
    if let Some(role) = args.role {
        if args.units.is_empty() {
            anyhow::bail!("--role butuh --unit / --role needs --unit");
        }
        for code in &args.units {
            let unit = store
                .unit_by_code(code.trim())
                .await?
                .ok_or_else(|| anyhow::anyhow!("unit {code:?} tidak ditemukan / unit not found"))?;
            roles.push((unit.id, role));
        }
    } else if !args.units.is_empty() {
        anyhow::bail!("--unit butuh --role / --unit needs --role");
    }
    let (password, generated) = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (crate::passwords::generate(), true)
    };
    let hash = crate::passwords::hash(&password)?;
    let user = NewUser {
        username: args.username.trim().to_owned(),
        full_name: args.name.trim().to_owned(),
        password_hash: hash,
        roles,
    };
    if user.username.is_empty() || user.username.chars().any(char::is_whitespace) {
        anyhow::bail!("nama pengguna tidak boleh kosong atau berisi spasi / username must be non-empty without spaces");
    }
    match store.create_user(&user).await {
        Ok(id) => {
            if args.system_admin {
                store.set_system_admin(id, true).await?;
            }
            let mut roles: Vec<&str> = args.role.map(|r| r.key()).into_iter().collect();
            if args.system_admin {
                roles.push("system_admin");
            }
            println!(
                "Akun dibuat / account created: {} (id {id}, peran {})",
                user.username,
                roles.join(", ")
            );
            if generated {
                println!("Kata sandi awal / initial password (shown once): {password}");
                if !std::io::stdout().is_terminal() {
                    eprintln!("catatan: simpan kata sandi ini dengan aman / keep this password safe");
                }
            }
            Ok(())
        }
        Err(e) if e.is_conflict() => anyhow::bail!(
            "nama pengguna {:?} sudah dipakai / username already taken",
            user.username
        ),
        Err(e) => Err(e.into()),
    }
}
