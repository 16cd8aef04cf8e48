//! The shapes of the per-unit channel settings (`unit_channel_settings.config`) that
//! the outbox sender and the IMAP poller read, and that the staff settings page edits.
//! They live here, once, so the page, the sender and the poller never disagree.

use serde::{Deserialize, Serialize};

/// How a connection to a mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    #[default]
    Tls,
    /// Plain connection upgraded with STARTTLS (SMTP submission 587).
    Starttls,
    /// No encryption: only for a server on the same host or a test.
    Plain,
}

impl Security {
    /// The settings key (`tls`, `starttls`, `plain`).
    pub fn key(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::Plain => "plain",
        }
    }

    /// Reads a settings key; None for anything else.
    pub fn parse(key: &str) -> Option<Security> {
        match key {
            "tls" => Some(Security::Tls),
            "starttls" => Some(Security::Starttls),
            "plain" => Some(Security::Plain),
            _ => None,
        }
    }
}

/// The IMAP mailbox a unit's complaints arrive in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ImapSettings {
    /// Server name (also the name checked on its TLS certificate).
    pub host: String,
    /// Port (993 for TLS, 143 for plain).
    pub port: u16,
    /// `tls` or `plain` (IMAP STARTTLS is not offered: use port 993).
    pub security: Security,
    /// Login name.
    pub user: String,
    /// Login password.
    pub password: String,
    /// Folder polled, usually `INBOX`.
    pub folder: String,
    /// Seconds between polls.
    pub poll_seconds: u64,
}

/// The SMTP server a unit's email goes out through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct SmtpSettings {
    /// Server name.
    pub host: String,
    /// Port (465 TLS, 587 STARTTLS, 25 plain).
    pub port: u16,
    /// `tls`, `starttls` or `plain`.
    pub security: Security,
    /// Login name; empty for a relay that needs none.
    pub user: String,
    /// Login password.
    pub password: String,
}

/// A unit's `email` channel settings: where complaints are read and where
/// acknowledgements and answers are sent from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct EmailSettings {
    /// The mailbox polled for complaints.
    pub imap: ImapSettings,
    /// The server mail is sent through.
    pub smtp: SmtpSettings,
    /// The unit's address: the From of everything sent, and mail from it is never
    /// acknowledged (no loops).
    pub from_address: String,
    /// The display name on outgoing mail.
    pub from_name: String,
}

impl EmailSettings {
    /// Reads the stored JSON; a missing key takes its default.
    pub fn from_json(value: &serde_json::Value) -> Result<EmailSettings, serde_json::Error> {
        serde_json::from_value(value.clone())
    }

    /// The poll interval, at least 10 seconds so a typo cannot hammer a server.
    pub fn poll_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.imap.poll_seconds.max(10))
    }

    /// The stable name of the polled mailbox, `user@host:port/folder`: the key of its
    /// cursor and job lease, and the suffix of synthetic Message-IDs.
    pub fn mailbox_key(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.imap.user,
            self.imap.host,
            self.imap.port,
            self.folder()
        )
    }

    /// The polled folder (`INBOX` when empty).
    pub fn folder(&self) -> &str {
        if self.imap.folder.trim().is_empty() {
            "INBOX"
        } else {
            self.imap.folder.trim()
        }
    }
}

/// A unit's `sms` or `whatsapp` channel settings: the HTTP gateway that delivers
/// outgoing messages (and signs the ones it posts in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct GatewaySettings {
    /// URL the outbox POSTs `{to, text, id}` to.
    pub url: String,
    /// Sent as `Authorization: Bearer ...` when not empty.
    pub auth_token: String,
    /// Shared secret of the `X-Tanggap-Signature` HMAC-SHA256 over the request body.
    pub hmac_secret: String,
}

impl GatewaySettings {
    /// Reads the stored JSON; a missing key takes its default.
    pub fn from_json(value: &serde_json::Value) -> Result<GatewaySettings, serde_json::Error> {
        serde_json::from_value(value.clone())
    }
}
