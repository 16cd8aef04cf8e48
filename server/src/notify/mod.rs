//! The outbox sender: sends every message queued in the `outbox` table (email over
//! SMTP, SMS and WhatsApp through an HTTP gateway), retrying with backoff.
//!
//! Channels only *queue* messages, in the same transaction as the change that causes
//! them; this module is the one place that talks to the outside. A row is claimed
//! with a lock and a random claim token before it is sent, so two instances never
//! send it at once, and an instance that dies mid-send leaves a lock that lapses and
//! lets another retry it. The lock is renewed before each send (a send whose claim
//! lapsed is skipped), and a result is recorded only under the token that claimed
//! the row, so a lapsed claim's late result never overwrites a newer one.
//! The retry carries the same Message-ID (email) or gateway id, so the receiving side
//! can drop the rare repeat of a send whose success was never recorded.

pub mod email;
pub mod gateway;
pub mod redact;
pub mod settings;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::storage::Store;
use crate::storage::model::{ComplaintMessage, OutboxMessage};

/// How hard the sender tries; defaults suit production, tests shorten them.
#[derive(Debug, Clone)]
pub struct SenderOptions {
    /// Attempts before a message is given up (status `failed`, error kept).
    pub max_attempts: i64,
    /// Wait after the first failure; it doubles with every further failure.
    pub first_retry: Duration,
    /// Longest wait between two attempts.
    pub max_retry: Duration,
    /// How long a claimed row stays locked to this instance (longer than any send).
    pub lock: Duration,
    /// Rows claimed per pass.
    pub batch: i64,
    /// Time between passes of the background loop.
    pub interval: Duration,
    /// Connect and response timeout of one SMTP or gateway call.
    pub timeout: Duration,
}

impl Default for SenderOptions {
    fn default() -> Self {
        SenderOptions {
            max_attempts: 8,
            first_retry: Duration::from_secs(60),
            max_retry: Duration::from_secs(6 * 3600),
            lock: Duration::from_secs(300),
            batch: 50,
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(30),
        }
    }
}

/// What one pass did, for logs and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Messages delivered.
    pub sent: usize,
    /// Messages that failed and will be retried.
    pub retried: usize,
    /// Messages given up for good.
    pub given_up: usize,
}

/// Why one send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth another try later (server down, timeout, settings still missing).
    #[error("{0}")]
    Temporary(String),
    /// Will never work as queued (a malformed address): given up at once.
    #[error("{0}")]
    Permanent(String),
}

/// A delivered message's reference on the receiving side: the email Message-ID
/// (without angle brackets) or the gateway's message id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Message-ID or gateway id, stored as the thread message's `message_ref`.
    pub message_ref: String,
    /// The sender shown on the thread (the unit's address, or empty for a gateway).
    pub sender: String,
}

/// Sends what the outbox holds. Cheap to clone; one per instance.
#[derive(Clone)]
pub struct OutboxSender {
    store: Arc<dyn Store>,
    options: SenderOptions,
    http: reqwest::Client,
}

impl OutboxSender {
    /// A sender over `store`.
    pub fn new(store: Arc<dyn Store>, options: SenderOptions) -> OutboxSender {
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .build()
            .expect("a reqwest client with rustls builds");
        OutboxSender { store, options, http }
    }

    /// One pass: claims the rows due at `now` and sends them, one after another.
    /// Tests call this directly (with a `now` in the future to reach a retry) instead
    /// of waiting for the loop's timer.
    pub async fn run_pass(&self, now: DateTime<Utc>) -> anyhow::Result<PassReport> {
        let lock = chrono::Duration::from_std(self.options.lock)?;
        let claimed = self.store.claim_outbox(now, now + lock, self.options.batch).await?;
        let started = std::time::Instant::now();
        let mut report = PassReport::default();
        for message in claimed {
            // The pass's clock, moved on by the time spent so far: a batch of slow sends
            // must not outlive its claim. Each send first renews the claim for a full
            // lock period (far longer than one send's timeout); when it has lapsed,
            // another instance may hold the row and this one leaves it alone.
            let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or(lock);
            let claim = message.claim_token.clone().unwrap_or_default();
            if !self.store.renew_outbox_claim(message.id, &claim, at, at + lock).await? {
                tracing::warn!(
                    outbox = message.id,
                    "claim lapsed before sending; left to its new holder"
                );
                continue;
            }
            match self.send(&message, at).await {
                Ok(delivered) => {
                    // Recorded on the thread first: if the process dies before
                    // `outbox_sent`, the retry re-sends with the same reference and the
                    // thread entry is not doubled (idempotent on message_ref).
                    if let Some(complaint_id) = message.complaint_id {
                        self.store
                            .add_complaint_message(&ComplaintMessage {
                                id: 0,
                                complaint_id,
                                direction: "out".into(),
                                channel: message.channel.clone(),
                                at: Utc::now(),
                                sender: delivered.sender.clone(),
                                subject: message.subject.clone().unwrap_or_default(),
                                body: message.body.clone(),
                                message_ref: Some(delivered.message_ref.clone()),
                            })
                            .await?;
                    }
                    if !self.store.outbox_sent(message.id, &claim, Utc::now()).await? {
                        tracing::warn!(
                            outbox = message.id,
                            "sent, but the claim had lapsed: result not recorded"
                        );
                    }
                    tracing::info!(outbox = message.id, channel = %message.channel, "message sent");
                    report.sent += 1;
                }
                Err(error) => {
                    let retry_at = match &error {
                        SendError::Permanent(_) => None,
                        SendError::Temporary(_) if message.attempts >= self.options.max_attempts => None,
                        SendError::Temporary(_) => Some(now + self.backoff(message.attempts)),
                    };
                    let text = error.to_string();
                    if !self.store.outbox_failed(message.id, &claim, &text, retry_at).await? {
                        tracing::warn!(outbox = message.id, "failure not recorded: the claim had lapsed");
                        continue;
                    }
                    // The log never names the recipient (issue 17): servers echo it.
                    let logged = redact::redact_contacts(&text);
                    if retry_at.is_some() {
                        tracing::warn!(outbox = message.id, attempts = message.attempts, error = %logged, "send failed, will retry");
                        report.retried += 1;
                    } else {
                        tracing::error!(outbox = message.id, attempts = message.attempts, error = %logged, "send given up");
                        report.given_up += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// The wait before the next attempt after `attempts` failures: doubling from
    /// `first_retry`, capped at `max_retry`.
    pub fn backoff(&self, attempts: i64) -> chrono::Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let wait = self.options.first_retry.saturating_mul(2u32.saturating_pow(exponent));
        chrono::Duration::from_std(wait.min(self.options.max_retry)).unwrap_or(chrono::Duration::hours(6))
    }

    /// Sends one row by its channel and the unit's provider; `at` is the pass's
    /// clock (a provider's conversation window is judged at it).
    async fn send(&self, message: &OutboxMessage, at: DateTime<Utc>) -> Result<Delivered, SendError> {
        let Some(unit_id) = message.unit_id else {
            return Err(SendError::Permanent("pesan tanpa unit pengirim".into()));
        };
        let settings = self
            .store
            .channel_settings(unit_id, &message.channel)
            .await
            .map_err(|e| SendError::Temporary(format!("pengaturan saluran tidak terbaca: {e}")))?;
        let Some(settings) = settings.filter(|s| s.enabled) else {
            return Err(SendError::Temporary(format!(
                "saluran {} belum diatur atau tidak aktif untuk unit ini",
                message.channel
            )));
        };
        match message.channel.as_str() {
            "email" => {
                let email = settings::EmailSettings::from_json(&settings.config)
                    .map_err(|e| SendError::Temporary(format!("pengaturan surel tidak valid: {e}")))?;
                email::send(&email, message, self.options.timeout).await
            }
            "whatsapp" if crate::providers::provider_of(&settings.config) == crate::providers::meta::PROVIDER => {
                let meta = crate::providers::meta::MetaSettings::from_config(&settings.config).ok_or_else(|| {
                    SendError::Temporary(crate::i18n::t(crate::i18n::Lang::Id, "provider_meta.error_settings").into())
                })?;
                crate::providers::meta::send::send(&self.http, self.store.as_ref(), &meta, message, at).await
            }
            "sms" | "whatsapp" => match crate::providers::provider_of(&settings.config) {
                // Native providers (issue 19): each in its own format.
                "fonnte" => {
                    let fonnte = crate::providers::fonnte::FonnteSettings::from_config(&settings.config);
                    crate::providers::fonnte::send(&self.http, &fonnte, message).await
                }
                "wablas" => {
                    let wablas = crate::providers::wablas::WablasSettings::from_config(&settings.config);
                    crate::providers::wablas::send(&self.http, &wablas, message).await
                }
                "zenziva" => {
                    let zenziva = crate::providers::zenziva::ZenzivaSettings::from_config(&settings.config);
                    crate::providers::zenziva::send(&self.http, &zenziva, message).await
                }
                _ => {
                    let gateway = settings::GatewaySettings::from_json(&settings.config)
                        .map_err(|e| SendError::Temporary(format!("pengaturan gateway tidak valid: {e}")))?;
                    gateway::send(&self.http, &gateway, message).await
                }
            },
            other => Err(SendError::Permanent(format!("saluran keluar tidak dikenal: {other}"))),
        }
    }

    /// Runs passes every `interval` until `shutdown` turns true; a pass in progress
    /// finishes first, so nothing is left half-recorded.
    pub async fn run(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.run_pass(Utc::now()).await {
                Ok(report) if report != PassReport::default() => tracing::debug!(?report, "outbox pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox pass failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.options.interval) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("outbox sender stopped");
    }
}
