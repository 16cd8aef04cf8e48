//! Configuration: built-in defaults, then an optional `tanggap.toml`, then `TANGGAP_*`
//! environment variables (and `DATABASE_URL`), then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::i18n::Lang;

/// Where the SQLite file lives when nothing else is configured.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/tanggap.db";

/// Seconds of inactivity after which a kiosk's survey starts over, unless configured.
pub const DEFAULT_KIOSK_IDLE_SECONDS: u32 = 90;

/// Every setting of a running Tanggap. `tanggap --help` lists them all.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub bind: SocketAddr,
    /// `sqlite:PATH` (default `sqlite:data/tanggap.db`) or `postgres://...`.
    /// Secret: it may hold a password, so it is never logged as is.
    pub database_url: SecretString,
    /// Language for visitors who have not chosen one.
    pub default_language: Lang,
    /// Log filter, in `tracing` env-filter syntax (e.g. `info,tanggap=debug`).
    pub log: String,
    /// Largest request body accepted, in bytes (attachments included).
    pub max_body_bytes: usize,
    /// Public base URL (e.g. `https://pengaduan.dumaikota.go.id`), used in links sent
    /// out by email, SMS and QR codes; also turns on Secure cookies when `https`.
    pub public_url: Option<String>,
    /// Hours a staff session stays valid after its last use.
    pub session_hours: u32,
    /// Requests a minute one address may make to public endpoints (tracking, login,
    /// and later the complaint and survey forms); bursts of a third of it are allowed.
    pub public_rate_per_minute: u32,
    /// Take the client address from the last `X-Forwarded-For` entry (set this only
    /// behind a reverse proxy that writes that header); otherwise the socket address.
    pub trust_proxy: bool,
    /// Seconds without a touch after which a kiosk's survey form starts over.
    pub kiosk_idle_seconds: u32,
    /// Timers of the background loops `tanggap serve` runs (`[jobs]` in the file,
    /// `TANGGAP_JOBS__KEY` in the environment).
    pub jobs: JobsConfig,
}

/// The timers of the background loops (outbox sender, triage jobs, email intake,
/// monthly report drafter). The defaults suit production; tests and small installs
/// shorten them. Seconds may have a fraction (`0.5`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Seconds between two passes of the outbox sender.
    pub outbox_interval_seconds: f64,
    /// Seconds a claimed outbox message stays reserved to the instance sending it;
    /// after an instance dies, its unsent claims wait this long before another
    /// instance takes them. Must exceed the longest send (30 s timeout).
    pub outbox_lock_seconds: f64,
    /// Seconds between two passes of the triage jobs (SLA reminders, overdue
    /// notices, auto-close); their lease lasts three intervals.
    pub triage_interval_seconds: f64,
    /// Seconds between two looks of the email intake at its mailboxes; each mailbox
    /// is still polled only as often as its own setting allows (at least 10 s).
    pub email_tick_seconds: f64,
    /// Seconds between two passes of the monthly report drafter.
    pub report_interval_seconds: f64,
    /// Days after a month's first working day on which a missing draft of the
    /// previous month is still made (0: only on that day; 40, the most: any day
    /// until the next month's). Covers a first working day on which no instance ran.
    pub report_catch_up_days: u32,
    /// The local hour (each unit's zone, 0-23) from which the daily digest of staff
    /// notices (issue 19) is sent to the kepala dinas who chose it.
    pub staff_digest_hour: u32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            outbox_interval_seconds: 5.0,
            outbox_lock_seconds: 300.0,
            triage_interval_seconds: 60.0,
            email_tick_seconds: 5.0,
            report_interval_seconds: 600.0,
            report_catch_up_days: 0,
            staff_digest_hour: crate::triage::staff_notices::DIGEST_LOCAL_HOUR,
        }
    }
}

/// Shortest loop interval accepted: anything shorter would spin on the database.
const MIN_INTERVAL_SECONDS: f64 = 0.05;
/// Longest interval or lock accepted (a week): longer is a typo.
const MAX_INTERVAL_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

impl JobsConfig {
    /// Checks every timer, naming the first bad key.
    fn validate(&self) -> Result<(), String> {
        for (key, value) in [
            ("outbox_interval_seconds", self.outbox_interval_seconds),
            ("outbox_lock_seconds", self.outbox_lock_seconds),
            ("triage_interval_seconds", self.triage_interval_seconds),
            ("email_tick_seconds", self.email_tick_seconds),
            ("report_interval_seconds", self.report_interval_seconds),
        ] {
            if !(MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS).contains(&value) {
                return Err(format!(
                    "jobs.{key} harus antara {MIN_INTERVAL_SECONDS} dan {MAX_INTERVAL_SECONDS} detik / \
                     must be between {MIN_INTERVAL_SECONDS} and {MAX_INTERVAL_SECONDS} seconds: {value}"
                ));
            }
        }
        if self.report_catch_up_days > 40 {
            return Err(format!(
                "jobs.report_catch_up_days paling banyak 40 / must be at most 40: {}",
                self.report_catch_up_days
            ));
        }
        if self.staff_digest_hour > 23 {
            return Err(format!(
                "jobs.staff_digest_hour harus 0 sampai 23 / must be 0 to 23: {}",
                self.staff_digest_hour
            ));
        }
        Ok(())
    }

    /// The outbox sender's pass interval.
    pub fn outbox_interval(&self) -> Duration {
        Duration::from_secs_f64(self.outbox_interval_seconds)
    }

    /// How long an outbox claim holds.
    pub fn outbox_lock(&self) -> Duration {
        Duration::from_secs_f64(self.outbox_lock_seconds)
    }

    /// The triage jobs' pass interval.
    pub fn triage_interval(&self) -> Duration {
        Duration::from_secs_f64(self.triage_interval_seconds)
    }

    /// The email intake's tick.
    pub fn email_tick(&self) -> Duration {
        Duration::from_secs_f64(self.email_tick_seconds)
    }

    /// The report drafter's pass interval.
    pub fn report_interval(&self) -> Duration {
        Duration::from_secs_f64(self.report_interval_seconds)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: SecretString::from(DEFAULT_DATABASE_URL),
            default_language: Lang::Id,
            log: "info".to_owned(),
            max_body_bytes: 12 * 1024 * 1024,
            public_url: None,
            session_hours: 8,
            public_rate_per_minute: 30,
            trust_proxy: false,
            kiosk_idle_seconds: DEFAULT_KIOSK_IDLE_SECONDS,
            jobs: JobsConfig::default(),
        }
    }
}

/// Why configuration could not be read; the message names the bad key or file.
#[derive(Debug, thiserror::Error)]
#[error("konfigurasi tidak valid / invalid configuration: {0}")]
pub struct ConfigError(#[from] Box<figment::Error>);

impl Config {
    /// Reads the layers in order. `file` is the `--config` flag; without it
    /// `./tanggap.toml` is read when present. A named file that is missing is an error.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let mut figment = Figment::new();
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError(Box::new(figment::Error::from(format!(
                        "berkas konfigurasi tidak ditemukan / config file not found: {}",
                        path.display()
                    )))));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                let default = PathBuf::from("tanggap.toml");
                if default.exists() {
                    figment = figment.merge(Toml::file_exact(default));
                }
            }
        }
        figment = figment
            .merge(Env::prefixed("TANGGAP_").ignore(&["config"]).split("__"))
            .merge(Env::raw().only(&["DATABASE_URL"]));
        let config: Config = figment.extract().map_err(|e| ConfigError(Box::new(e)))?;
        config
            .jobs
            .validate()
            .map_err(|m| ConfigError(Box::new(figment::Error::from(m))))?;
        Ok(config)
    }

    /// The database URL with any password masked, for logs and messages.
    pub fn database_url_for_display(&self) -> String {
        redact_url(self.database_url.expose_secret())
    }

    /// Whether cookies must carry the Secure flag.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }
}

/// Masks the password of a URL; non-URLs (plain paths) come back unchanged.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_masked_for_display() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/tanggap"),
            "postgres://app:***@db:5432/tanggap"
        );
        assert_eq!(redact_url("sqlite:data/tanggap.db"), "sqlite:data/tanggap.db");
        let config = Config {
            database_url: SecretString::from("postgres://a:b@h/d"),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains(":b@"), "Debug must not show the secret");
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("tanggap.toml", "bind = \"127.0.0.1:9000\"\nlog = \"debug\"\n")?;
            let c = Config::load(None).expect("loads");
            assert_eq!(c.bind.port(), 9000);
            assert_eq!(c.log, "debug");
            jail.set_env("TANGGAP_BIND", "127.0.0.1:9100");
            jail.set_env("DATABASE_URL", "postgres://x@y/z");
            let c = Config::load(None).expect("loads");
            assert_eq!(c.bind.port(), 9100, "environment beats the file");
            assert_eq!(c.database_url.expose_secret(), "postgres://x@y/z");
            jail.set_env("TANGGAP_BIND", "bukan-alamat");
            assert!(
                Config::load(None).is_err(),
                "a bad value is an error, not a silent default"
            );
            assert!(Config::load(Some(Path::new("missing.toml"))).is_err());
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API returns its own large error
    fn job_timers_come_from_the_jobs_section_and_env() {
        figment::Jail::expect_with(|jail| {
            let c = Config::load(None).expect("loads");
            assert_eq!(c.jobs, JobsConfig::default(), "defaults without a [jobs] section");
            assert_eq!(c.jobs.triage_interval(), Duration::from_secs(60));
            jail.create_file(
                "tanggap.toml",
                "[jobs]\noutbox_interval_seconds = 0.5\ntriage_interval_seconds = 2\n",
            )?;
            let c = Config::load(None).expect("loads");
            assert_eq!(c.jobs.outbox_interval(), Duration::from_millis(500));
            assert_eq!(c.jobs.triage_interval(), Duration::from_secs(2));
            assert_eq!(c.jobs.email_tick(), Duration::from_secs(5), "others keep their default");
            jail.set_env("TANGGAP_JOBS__EMAIL_TICK_SECONDS", "1");
            jail.set_env("TANGGAP_JOBS__REPORT_CATCH_UP_DAYS", "3");
            let c = Config::load(None).expect("loads");
            assert_eq!(c.jobs.email_tick(), Duration::from_secs(1));
            assert_eq!(c.jobs.report_catch_up_days, 3);
            assert_eq!(c.jobs.staff_digest_hour, 7, "the digest hour's default");
            jail.set_env("TANGGAP_JOBS__STAFF_DIGEST_HOUR", "24");
            let e = Config::load(None).expect_err("there is no hour 24");
            assert!(e.to_string().contains("jobs.staff_digest_hour"), "{e}");
            jail.set_env("TANGGAP_JOBS__STAFF_DIGEST_HOUR", "6");
            assert_eq!(Config::load(None).expect("loads").jobs.staff_digest_hour, 6);
            jail.set_env("TANGGAP_JOBS__OUTBOX_INTERVAL_SECONDS", "0");
            let e = Config::load(None).expect_err("a zero interval would spin");
            assert!(e.to_string().contains("jobs.outbox_interval_seconds"), "{e}");
            jail.set_env("TANGGAP_JOBS__OUTBOX_INTERVAL_SECONDS", "1");
            jail.set_env("TANGGAP_JOBS__OUTBOX_INTERVAL", "1");
            assert!(
                Config::load(None).is_err(),
                "an unknown jobs key is an error, not ignored"
            );
            Ok(())
        });
    }
}
