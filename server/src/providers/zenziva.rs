//! Zenziva SMS (<https://www.zenziva.id>, console API).
//!
//! Out: `POST {base}/reguler/api/sendsms/` with the form fields `userkey`, `passkey`,
//! `to` and `message`; Zenziva answers `{"messageId", "to", "status", "text"}`, where
//! `status` `"1"` is accepted and anything else is a failure (even with HTTP 200).
//!
//! In: a regular Zenziva account posts nothing, so replies are polled: the unit sets
//! its account's inbox URL, and [`ZenzivaPoller`] reads it (`userkey`, `passkey`,
//! `status=all` as query parameters), takes every message whose id is above the
//! unit's cursor (`provider_poll_cursors`), oldest first, through the intake funnel,
//! and moves the cursor after each. A restart resumes at the cursor; a message read
//! twice anyway is a no-op by its id. The inbox answer is read as a JSON list
//! (at the top or under `data`, `messages` or `inbox`) of objects with `id` and the
//! sender (`dari` or `from`) and text (`isiPesan` or `message`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::provider_of;
use super::shared::{http_failure, json_answer, text_field};
use crate::domain::Channel;
use crate::intake::gateway::{self, GatewayError, InboundMessage};
use crate::notify::{Delivered, SendError};
use crate::storage::Store;
use crate::storage::model::{OutboxMessage, Unit};

/// Zenziva's console API when a unit sets no other base URL.
pub const DEFAULT_BASE_URL: &str = "https://console.zenziva.net";
/// The provider key (channel settings, cursor rows).
pub const PROVIDER: &str = "zenziva";

/// A unit's Zenziva settings: the `"zenziva"` object of its `sms` channel settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ZenzivaSettings {
    /// API base URL (empty: [`DEFAULT_BASE_URL`]).
    pub base_url: String,
    /// The account's user key.
    pub userkey: String,
    /// The account's API key (Zenziva calls it passkey).
    pub passkey: String,
    /// The account's inbox URL, polled for replies; empty: no polling.
    pub inbox_url: String,
    /// Seconds between two polls (at least 30).
    pub poll_seconds: u64,
}

impl ZenzivaSettings {
    /// Reads the `"zenziva"` object of a channel's settings (defaults when missing).
    pub fn from_config(config: &serde_json::Value) -> ZenzivaSettings {
        config
            .get("zenziva")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// The base URL in use.
    pub fn base(&self) -> &str {
        let b = self.base_url.trim().trim_end_matches('/');
        if b.is_empty() { DEFAULT_BASE_URL } else { b }
    }

    /// The poll interval, at least 30 seconds so a typo cannot hammer the account.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(if self.poll_seconds == 0 {
            60
        } else {
            self.poll_seconds.max(30)
        })
    }
}

/// Sends one outbox message through Zenziva.
pub async fn send(
    http: &reqwest::Client,
    settings: &ZenzivaSettings,
    message: &OutboxMessage,
) -> Result<Delivered, SendError> {
    if settings.userkey.trim().is_empty() || settings.passkey.trim().is_empty() {
        return Err(SendError::Temporary("userkey atau passkey Zenziva belum diisi".into()));
    }
    let response = http
        .post(format!("{}/reguler/api/sendsms/", settings.base()))
        .form(&[
            ("userkey", settings.userkey.trim()),
            ("passkey", settings.passkey.trim()),
            ("to", message.recipient.as_str()),
            ("message", message.body.as_str()),
        ])
        .send()
        .await
        .map_err(|e| SendError::Temporary(format!("Zenziva tidak terjangkau: {e}")))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(http_failure("Zenziva", status, &body));
    }
    let answer = json_answer("Zenziva", &body)?;
    let map = answer.as_object().cloned().unwrap_or_default();
    if text_field(&map, "status").as_deref() != Some("1") {
        let reason: String = text_field(&map, "text")
            .unwrap_or_else(|| "tanpa alasan".into())
            .chars()
            .take(200)
            .collect();
        let lower = reason.to_ascii_lowercase();
        let text = format!("Zenziva menolak: {reason}");
        // Wrong keys or a wrong number will not change on retry.
        return Err(
            if lower.contains("userkey") || lower.contains("passkey") || lower.contains("nomor") {
                SendError::Permanent(text)
            } else {
                SendError::Temporary(text)
            },
        );
    }
    Ok(Delivered {
        message_ref: text_field(&map, "messageId")
            .map_or_else(|| format!("outbox-{}", message.id), |id| format!("zenziva-out-{id}")),
        sender: String::new(),
    })
}

/// One message of the inbox, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    /// Zenziva's numeric id (the cursor).
    pub id: i64,
    /// Sender number.
    pub from: String,
    /// Text.
    pub text: String,
}

/// Reads an inbox answer; messages without a numeric id are skipped (they could
/// never be placed against the cursor).
pub fn parse_inbox(answer: &serde_json::Value) -> Vec<InboxMessage> {
    let list = match answer {
        serde_json::Value::Array(a) => Some(a),
        serde_json::Value::Object(o) => ["data", "messages", "inbox"]
            .iter()
            .find_map(|k| o.get(*k).and_then(|v| v.as_array())),
        _ => None,
    };
    let mut out: Vec<InboxMessage> = list
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let m = item.as_object()?;
            Some(InboxMessage {
                id: text_field(m, "id")?.parse().ok()?,
                from: text_field(m, "dari").or_else(|| text_field(m, "from"))?,
                text: text_field(m, "isiPesan")
                    .or_else(|| text_field(m, "message"))
                    .unwrap_or_default(),
            })
        })
        .collect();
    out.sort_by_key(|m| m.id);
    out
}

/// What one poll of one unit's inbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// New complaints.
    pub created: usize,
    /// Messages added to an open complaint's thread.
    pub threaded: usize,
    /// Messages seen before (no-op).
    pub duplicates: usize,
    /// BERHENTI / MULAI replies: the number's notices stopped or restarted.
    pub keywords: usize,
    /// Messages that could not be taken (bad number, empty text): passed over.
    pub refused: usize,
    /// The cursor after the poll.
    pub cursor: i64,
}

/// Why a poll failed (the cursor stays where the last stored message put it).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Zenziva could not be reached or answered something unreadable.
    #[error("kotak masuk Zenziva: {0}")]
    Provider(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] crate::storage::StoreError),
    /// Another instance holds this inbox's lease.
    #[error("dipegang instans lain")]
    Leased,
}

/// Polls the Zenziva inboxes of every unit whose `sms` channel uses Zenziva.
pub struct ZenzivaPoller {
    store: Arc<dyn Store>,
    http: reqwest::Client,
    public_url: Option<String>,
    holder: String,
    tick: Duration,
}

impl ZenzivaPoller {
    /// A poller over `store`; `public_url` makes the tracking link in
    /// acknowledgements, `holder` names this instance in job leases.
    pub fn new(store: Arc<dyn Store>, public_url: Option<String>, holder: String) -> ZenzivaPoller {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(30))
            .build()
            .expect("a reqwest client with rustls builds");
        ZenzivaPoller {
            store,
            http,
            public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
            holder,
            tick: Duration::from_secs(5),
        }
    }

    /// The same poller looking at its inboxes every `tick`; each inbox keeps its own
    /// poll interval.
    pub fn with_tick(mut self, tick: Duration) -> ZenzivaPoller {
        self.tick = tick;
        self
    }

    async fn inboxes(&self) -> Result<Vec<(Unit, ZenzivaSettings)>, crate::storage::StoreError> {
        let units: HashMap<i64, Unit> = self.store.list_units().await?.into_iter().map(|u| (u.id, u)).collect();
        let mut out = Vec::new();
        for s in self.store.enabled_channel_settings(Channel::Sms.key()).await? {
            let Some(unit) = units.get(&s.unit_id) else { continue };
            if provider_of(&s.config) != PROVIDER {
                continue;
            }
            let settings = ZenzivaSettings::from_config(&s.config);
            if !settings.inbox_url.trim().is_empty() {
                out.push((unit.clone(), settings));
            }
        }
        Ok(out)
    }

    /// Polls every Zenziva inbox once, now, whatever its interval: what the loop
    /// does per inbox, and what tests call instead of waiting for a timer.
    pub async fn poll_once(&self) -> Vec<(i64, Result<PollReport, PollError>)> {
        let mut out = Vec::new();
        match self.inboxes().await {
            Ok(inboxes) => {
                for (unit, settings) in inboxes {
                    out.push((unit.id, self.poll_inbox(&unit, &settings).await));
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list Zenziva inboxes"),
        }
        out
    }

    /// Polls one unit's inbox under its job lease.
    pub async fn poll_inbox(&self, unit: &Unit, settings: &ZenzivaSettings) -> Result<PollReport, PollError> {
        let now = Utc::now();
        let until =
            now + chrono::Duration::from_std(settings.poll_interval() * 3).unwrap_or(chrono::Duration::minutes(5));
        if !self
            .store
            .try_lease(&format!("zenziva:{}", unit.id), &self.holder, now, until)
            .await?
        {
            return Err(PollError::Leased);
        }
        let response = self
            .http
            .get(settings.inbox_url.trim())
            .query(&[
                ("userkey", settings.userkey.trim()),
                ("passkey", settings.passkey.trim()),
                ("status", "all"),
            ])
            .send()
            .await
            .map_err(|e| PollError::Provider(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(PollError::Provider(format!("HTTP {status}")));
        }
        let answer: serde_json::Value = response
            .json()
            .await
            .map_err(|_| PollError::Provider("jawaban tidak terbaca".into()))?;
        let mut report = PollReport {
            cursor: self.store.poll_cursor(unit.id, PROVIDER).await?.unwrap_or(0),
            ..Default::default()
        };
        let start = report.cursor;
        for m in parse_inbox(&answer).into_iter().filter(|m| m.id > start) {
            let message = InboundMessage {
                id: format!("zenziva-{}", m.id),
                from: m.from,
                text: m.text,
                received_at: None,
                // Media links are kept in the text; the files are not fetched.
                media: Vec::new(),
            };
            match gateway::receive(
                self.store.as_ref(),
                unit,
                Channel::Sms,
                &message,
                self.public_url.as_deref(),
            )
            .await
            {
                Ok(gateway::Outcome::Created { .. }) => report.created += 1,
                Ok(gateway::Outcome::Threaded { .. }) => report.threaded += 1,
                Ok(gateway::Outcome::Duplicate) => report.duplicates += 1,
                // BERHENTI / MULAI: the number's notices stopped or restarted.
                Ok(gateway::Outcome::Notices { .. }) => report.keywords += 1,
                Err(GatewayError::Invalid(field)) => {
                    tracing::warn!(unit = %unit.code, id = m.id, field, "Zenziva message passed over");
                    report.refused += 1;
                }
                // The database failed: the cursor stays before this message.
                Err(GatewayError::Store(e)) => return Err(e.into()),
                Err(GatewayError::BadSignature) => unreachable!("receive checks no signature"),
            }
            self.store
                .advance_poll_cursor(unit.id, PROVIDER, m.id, Utc::now())
                .await?;
            report.cursor = m.id;
        }
        Ok(report)
    }

    /// Polls each inbox when its interval has passed, every `tick`, until
    /// `shutdown` turns true; a poll in progress finishes first.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut last: HashMap<i64, DateTime<Utc>> = HashMap::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.inboxes().await {
                Ok(inboxes) => {
                    for (unit, settings) in inboxes {
                        let due = last.get(&unit.id).is_none_or(|at| {
                            Utc::now() - *at
                                >= chrono::Duration::from_std(settings.poll_interval())
                                    .unwrap_or(chrono::Duration::minutes(1))
                        });
                        if !due {
                            continue;
                        }
                        last.insert(unit.id, Utc::now());
                        match self.poll_inbox(&unit, &settings).await {
                            Ok(r) if r.created + r.threaded + r.refused > 0 => {
                                tracing::info!(unit = %unit.code, ?r, "Zenziva inbox polled");
                            }
                            Ok(_) | Err(PollError::Leased) => {}
                            Err(e) => tracing::warn!(unit = %unit.code, error = %e, "Zenziva poll failed"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot list Zenziva inboxes"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.tick) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("Zenziva poller stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_answers_are_read_oldest_first() {
        let answer = serde_json::json!({"status": "1", "data": [
            {"id": "12", "tgl": "2026-12-01", "waktu": "09:00:00", "dari": "+6281234567890", "isiPesan": "kedua"},
            {"id": 11, "dari": "081234567890", "isiPesan": "pertama"},
            {"id": "x", "dari": "0812", "isiPesan": "tanpa id angka"}
        ]});
        let got = parse_inbox(&answer);
        assert_eq!(got.iter().map(|m| m.id).collect::<Vec<_>>(), vec![11, 12]);
        assert_eq!(got[1].from, "+6281234567890");
        assert!(parse_inbox(&serde_json::json!({"status": "0"})).is_empty());
    }
}
