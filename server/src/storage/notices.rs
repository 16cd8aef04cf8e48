//! Storage of the citizen notices (issue 19, part B): who asked a unit to stop its
//! notices (a `BERHENTI` reply or the stop link), the stop links themselves, the
//! per-unit invite delay, and the queueing of a status move's notices inside the
//! move's own transaction ([`notice_fns!`], called by `move_complaint`).
//!
//! Notices are outbox rows like every other message; this module only decides, in
//! the transaction, which of them may be queued: a contact that stopped the unit's
//! notices gets no status notice and no survey invite (the answer itself is still
//! delivered), the survey invite of a complaint is created at most once (unique
//! `survey_invites.complaint_id`) and is due only after the unit's delay. The SQL is
//! written once in [`impl_notice_store!`] and expanded for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use super::model::NewOutbox;

/// Dedupe-key prefix of a status notice: `pemberitahuan:{complaint}:{event}`.
pub const STATUS_PREFIX: &str = "pemberitahuan:";
/// Dedupe-key prefix of the survey invite after closure: `undangan-skm:{complaint}`.
pub const INVITE_PREFIX: &str = "undangan-skm:";
/// Default wait between closure and the survey invite, in minutes.
pub const DEFAULT_INVITE_DELAY_MINUTES: i64 = 60;
/// Longest wait a unit may set (a week), in minutes.
pub const MAX_INVITE_DELAY_MINUTES: i64 = 7 * 24 * 60;
/// The outbox header naming a notice's kind (`ack`, `status`, `answer`,
/// `survey_invite`), read by the providers that need an approved template.
pub const KIND_HEADER: &str = "x-notice-kind";
/// The outbox header with a notice's template parameters (a JSON array of strings).
pub const PARAMS_HEADER: &str = "x-notice-params";

/// The key a contact is stopped under: a phone number in its local form (`08…`,
/// whatever way it was written), an email address in lower case. `None` when the
/// text is neither.
pub fn contact_key(contact: &str) -> Option<String> {
    let trimmed = contact.trim();
    if trimmed.contains('@') {
        return Some(trimmed.to_lowercase()).filter(|c| c.len() <= 254);
    }
    crate::intake::form::normalize_phone(trimmed)
}

/// A unit's settings of the citizen notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeSettings {
    /// Minutes between a complaint's closure and its survey invite.
    pub survey_invite_delay_minutes: i64,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        NoticeSettings {
            survey_invite_delay_minutes: DEFAULT_INVITE_DELAY_MINUTES,
        }
    }
}

/// A stop link as its page needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopLink {
    /// The unit whose notices it stops.
    pub unit_id: i64,
    /// That unit's name, shown on the page.
    pub unit_name: String,
    /// When the link was followed (the POST), if it was.
    pub used_at: Option<DateTime<Utc>>,
}

/// What the notices ask of the database (a supertrait of `Store`).
#[async_trait]
pub trait NoticeStore {
    /// The way the citizen chose for the nomor agenda (the acknowledgement's
    /// channel and recipient), which every later notice follows. `None` when no
    /// acknowledgement was queued (no contact, no choice, or the destination cap).
    async fn notice_choice(&self, unit_id: i64, complaint_id: i64) -> Result<Option<(String, String)>, StoreError>;
    /// The unit's notice settings (defaults when it saved none).
    async fn notice_settings(&self, unit_id: i64) -> Result<NoticeSettings, StoreError>;
    /// Saves the unit's notice settings; a delay outside 0..=a week is refused.
    async fn save_notice_settings(&self, unit_id: i64, s: &NoticeSettings) -> Result<(), StoreError>;
    /// When `contact` (any form, see [`contact_key`]) stopped the unit's notices.
    async fn notices_stopped_at(&self, unit_id: i64, contact: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Stops the unit's notices to `contact` (idempotent: a second stop keeps the
    /// first time), marks the notices still waiting for it as not sent, and queues
    /// `confirmation` (its dedupe key makes a redelivered request send it once), all
    /// in one transaction. Returns whether the contact was not stopped before.
    async fn stop_notices(
        &self,
        unit_id: i64,
        contact: &str,
        source: &str,
        at: DateTime<Utc>,
        confirmation: Option<&NewOutbox>,
    ) -> Result<bool, StoreError>;
    /// Lets the unit's notices reach `contact` again and queues `confirmation`, in one
    /// transaction. Returns whether it had been stopped.
    async fn resume_notices(
        &self,
        unit_id: i64,
        contact: &str,
        at: DateTime<Utc>,
        confirmation: Option<&NewOutbox>,
    ) -> Result<bool, StoreError>;
    /// The stop link with this token hash.
    async fn stop_link(&self, token_hash: &str) -> Result<Option<StopLink>, StoreError>;
    /// Follows a stop link: stops its contact's notices at its unit and marks it
    /// used, in one transaction. `None` when there is no such link.
    async fn follow_stop_link(&self, token_hash: &str, at: DateTime<Utc>) -> Result<Option<StopLink>, StoreError>;
    /// Every message queued for a complaint (acknowledgement, notices, answer, and
    /// its survey invite, which carries no complaint id so that its one-time link
    /// never lands on the thread staff read), oldest first.
    async fn notices_of_complaint(&self, complaint_id: i64) -> Result<Vec<super::model::OutboxMessage>, StoreError>;
    /// The scores of the responses to invites sent after a complaint was closed
    /// (complainants), in the filter's element order (0 = not answered): few rows,
    /// read beside the survey statistics' cells, which hold everyone.
    async fn complainant_scores(&self, filter: &super::model::SurveyFilter) -> Result<Vec<Vec<u8>>, StoreError>;
}

/// The SQL of the outbox rows a stop cancels: this unit's status notices and survey
/// invites still waiting for the contact (`$1` unit, `$2` contact key, `$3` reason).
pub(super) const CANCEL_WAITING: &str = "UPDATE outbox SET status = 'failed', last_error = $3 \
     WHERE unit_id = $1 AND status = 'pending' AND (recipient = $2 OR LOWER(recipient) = $2) \
     AND (dedupe_key LIKE 'pemberitahuan:%' OR dedupe_key LIKE 'undangan-skm:%')";

/// The functions a status move's transaction calls (defined per backend, next to
/// `insert_outbox`).
macro_rules! notice_fns {
    ($db:ty) => {
        /// Whether `contact` stopped the unit's notices, read inside `tx`.
        async fn notice_stopped_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            unit_id: i64,
            contact: &str,
        ) -> Result<bool, StoreError> {
            let Some(key) = $crate::storage::notices::contact_key(contact) else {
                return Ok(false);
            };
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notice_stops WHERE unit_id = $1 AND contact = $2")
                .bind(unit_id)
                .bind(&key)
                .fetch_one(&mut **tx)
                .await?;
            Ok(n > 0)
        }

        /// Queues the messages of a status move inside its transaction: fills
        /// `{event_id}` (dedupe key) and `{tracking_code}` (body, headers); leaves out
        /// the status notices and the survey invite of a contact that stopped them;
        /// creates the complaint's one survey invite (`{survey_token}`) and a stop
        /// link (`{stop_token}`) where the body asks for them; makes the invite due
        /// after the unit's delay.
        async fn queue_move_notices(
            tx: &mut sqlx::Transaction<'_, $db>,
            m: &$crate::storage::triage::StatusMove,
            event_id: i64,
            tracking_code: &str,
        ) -> Result<(), StoreError> {
            use $crate::storage::notices::KIND_HEADER;
            for message in &m.notify {
                let kind = message.headers.get(KIND_HEADER).map(String::as_str).unwrap_or("");
                let is_notice = matches!(kind, "status" | "survey_invite");
                if is_notice && notice_stopped_in(tx, m.unit_id, &message.recipient).await? {
                    continue;
                }
                let fill = |text: &str| text.replace("{tracking_code}", tracking_code);
                let mut filled = NewOutbox {
                    complaint_id: Some(m.complaint_id),
                    body: fill(&message.body),
                    headers: message.headers.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
                    dedupe_key: message.dedupe_key.replace("{event_id}", &event_id.to_string()),
                    ..message.clone()
                };
                let mut due = m.at;
                if kind == "survey_invite" {
                    let token = $crate::auth::new_secret();
                    let created = sqlx::query(
                        "INSERT INTO survey_invites (unit_id, service_id, token_hash, transaction_ref, channel, created_at, complaint_id) \
                         SELECT c.unit_id, c.service_id, $1, NULL, $2, $3, c.id FROM complaints c WHERE c.id = $4 AND c.unit_id = $5 \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind($crate::auth::hash_secret(&token))
                    .bind(&filled.channel)
                    .bind(m.at)
                    .bind(m.complaint_id)
                    .bind(m.unit_id)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                    if created == 0 {
                        // Invited before (the closure retried, or reopened and closed
                        // again): one invite per complaint.
                        continue;
                    }
                    let delay: Option<i64> = sqlx::query_scalar(
                        "SELECT survey_invite_delay_minutes FROM unit_notice_settings WHERE unit_id = $1",
                    )
                    .bind(m.unit_id)
                    .fetch_optional(&mut **tx)
                    .await?;
                    let minutes = delay.unwrap_or($crate::storage::notices::DEFAULT_INVITE_DELAY_MINUTES);
                    due = m.at + chrono::Duration::minutes(minutes);
                    // Kept off the thread: staff must not read the one-time link.
                    filled.complaint_id = None;
                    filled.body = filled.body.replace("{survey_token}", &token);
                    filled.headers = filled
                        .headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.replace("{survey_token}", &token)))
                        .collect();
                }
                if filled.body.contains("{stop_token}") {
                    let token = $crate::auth::new_secret();
                    let contact = $crate::storage::notices::contact_key(&filled.recipient)
                        .unwrap_or_else(|| filled.recipient.clone());
                    sqlx::query(
                        "INSERT INTO notice_stop_links (token_hash, unit_id, complaint_id, contact, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind($crate::auth::hash_secret(&token))
                    .bind(m.unit_id)
                    .bind(m.complaint_id)
                    .bind(contact)
                    .bind(m.at)
                    .execute(&mut **tx)
                    .await?;
                    filled.body = filled.body.replace("{stop_token}", &token);
                }
                let queued = insert_outbox(&mut **tx, &filled, m.at).await?;
                if queued && due != m.at {
                    sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE dedupe_key = $2")
                        .bind(due)
                        .bind(&filled.dedupe_key)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            Ok(())
        }

        /// Stops the unit's notices to `key` (idempotent) and marks the notices still
        /// waiting for it as not sent, inside `tx`.
        async fn stop_in(
            tx: &mut sqlx::Transaction<'_, $db>,
            unit_id: i64,
            key: &str,
            source: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, StoreError> {
            let added = sqlx::query(
                "INSERT INTO notice_stops (unit_id, contact, source, stopped_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (unit_id, contact) DO NOTHING",
            )
            .bind(unit_id)
            .bind(key)
            .bind(source)
            .bind(at)
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1;
            sqlx::query($crate::storage::notices::CANCEL_WAITING)
                .bind(unit_id)
                .bind(key)
                .bind($crate::i18n::t($crate::i18n::Lang::Id, "notices.cancelled"))
                .execute(&mut **tx)
                .await?;
            Ok(added)
        }
    };
}
pub(super) use notice_fns;

/// The [`NoticeStore`] methods for `$store`.
macro_rules! impl_notice_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::notices::NoticeStore for $store {
            async fn notice_choice(
                &self,
                unit_id: i64,
                complaint_id: i64,
            ) -> Result<Option<(String, String)>, StoreError> {
                Ok(sqlx::query_as(
                    "SELECT channel, recipient FROM outbox WHERE unit_id = $1 AND complaint_id = $2 \
                     AND (dedupe_key LIKE 'ack:%' OR dedupe_key LIKE 'email-ack:%') ORDER BY id LIMIT 1",
                )
                .bind(unit_id)
                .bind(complaint_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn notice_settings(
                &self,
                unit_id: i64,
            ) -> Result<$crate::storage::notices::NoticeSettings, StoreError> {
                let delay: Option<i64> =
                    sqlx::query_scalar("SELECT survey_invite_delay_minutes FROM unit_notice_settings WHERE unit_id = $1")
                        .bind(unit_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(delay
                    .map(|d| $crate::storage::notices::NoticeSettings {
                        survey_invite_delay_minutes: d,
                    })
                    .unwrap_or_default())
            }

            async fn save_notice_settings(
                &self,
                unit_id: i64,
                s: &$crate::storage::notices::NoticeSettings,
            ) -> Result<(), StoreError> {
                if !(0..=$crate::storage::notices::MAX_INVITE_DELAY_MINUTES).contains(&s.survey_invite_delay_minutes) {
                    return Err(StoreError::Rejected("survey invite delay out of range".into()));
                }
                sqlx::query(
                    "INSERT INTO unit_notice_settings (unit_id, survey_invite_delay_minutes) VALUES ($1, $2) \
                     ON CONFLICT (unit_id) DO UPDATE SET survey_invite_delay_minutes = excluded.survey_invite_delay_minutes",
                )
                .bind(unit_id)
                .bind(s.survey_invite_delay_minutes)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn notices_stopped_at(
                &self,
                unit_id: i64,
                contact: &str,
            ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
                let Some(key) = $crate::storage::notices::contact_key(contact) else {
                    return Ok(None);
                };
                Ok(
                    sqlx::query_scalar("SELECT stopped_at FROM notice_stops WHERE unit_id = $1 AND contact = $2")
                        .bind(unit_id)
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn stop_notices(
                &self,
                unit_id: i64,
                contact: &str,
                source: &str,
                at: chrono::DateTime<chrono::Utc>,
                confirmation: Option<&NewOutbox>,
            ) -> Result<bool, StoreError> {
                let key = $crate::storage::notices::contact_key(contact)
                    .ok_or_else(|| StoreError::Rejected("not a phone number or email address".into()))?;
                let mut tx = self.pool.begin().await?;
                let added = stop_in(&mut tx, unit_id, &key, source, at).await?;
                if let Some(c) = confirmation {
                    insert_outbox(&mut *tx, c, at).await?;
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn resume_notices(
                &self,
                unit_id: i64,
                contact: &str,
                at: chrono::DateTime<chrono::Utc>,
                confirmation: Option<&NewOutbox>,
            ) -> Result<bool, StoreError> {
                let key = $crate::storage::notices::contact_key(contact)
                    .ok_or_else(|| StoreError::Rejected("not a phone number or email address".into()))?;
                let mut tx = self.pool.begin().await?;
                let removed = sqlx::query("DELETE FROM notice_stops WHERE unit_id = $1 AND contact = $2")
                    .bind(unit_id)
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    > 0;
                if let Some(c) = confirmation {
                    insert_outbox(&mut *tx, c, at).await?;
                }
                tx.commit().await?;
                Ok(removed)
            }

            async fn stop_link(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::storage::notices::StopLink>, StoreError> {
                let row: Option<(i64, String, Option<chrono::DateTime<chrono::Utc>>)> = sqlx::query_as(
                    "SELECT l.unit_id, u.name, l.used_at FROM notice_stop_links l JOIN units u ON u.id = l.unit_id \
                     WHERE l.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(unit_id, unit_name, used_at)| $crate::storage::notices::StopLink {
                    unit_id,
                    unit_name,
                    used_at,
                }))
            }

            async fn follow_stop_link(
                &self,
                token_hash: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<$crate::storage::notices::StopLink>, StoreError> {
                let mut tx = self.pool.begin().await?;
                let row: Option<(i64, String, String)> = sqlx::query_as(
                    "SELECT l.unit_id, u.name, l.contact FROM notice_stop_links l JOIN units u ON u.id = l.unit_id \
                     WHERE l.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((unit_id, unit_name, contact)) = row else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                stop_in(&mut tx, unit_id, &contact, "tautan", at).await?;
                sqlx::query("UPDATE notice_stop_links SET used_at = COALESCE(used_at, $2) WHERE token_hash = $1")
                    .bind(token_hash)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some($crate::storage::notices::StopLink {
                    unit_id,
                    unit_name,
                    used_at: Some(at),
                }))
            }

            async fn notices_of_complaint(&self, complaint_id: i64) -> Result<Vec<OutboxMessage>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM outbox WHERE complaint_id = $1 OR dedupe_key = $2 ORDER BY id",
                    shared::OUTBOX_COLUMNS
                ))
                .bind(complaint_id)
                .bind(format!("{}{complaint_id}", $crate::storage::notices::INVITE_PREFIX))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(outbox_from_row).collect()
            }

            async fn complainant_scores(
                &self,
                f: &$crate::storage::model::SurveyFilter,
            ) -> Result<Vec<Vec<u8>>, StoreError> {
                let keys: Vec<&str> = f.element_keys.iter().map(String::as_str).collect();
                let stored: Vec<String> = sqlx::query_scalar(
                    // From the invites of complaints (few) to their responses by the
                    // unique invite index: a join from the responses' side scanned
                    // every response of the unit (7 s at 4.5M responses, SQLite).
                    "SELECT r.scores FROM survey_responses r \
                     WHERE r.invite_id IN (SELECT i.id FROM survey_invites i \
                         WHERE i.complaint_id IS NOT NULL AND ($2 IS NULL OR i.unit_id = $2)) \
                     AND r.rule_set_id IN (SELECT rs.id FROM survey_rule_sets rs WHERE rs.code = $1) \
                     AND ($2 IS NULL OR r.unit_id = $2) \
                     AND ($3 IS NULL OR r.responded_on >= $3) AND ($4 IS NULL OR r.responded_on <= $4) ORDER BY r.id",
                )
                .bind(&f.rule_set)
                .bind(f.unit_id)
                .bind(f.from)
                .bind(f.to)
                .fetch_all(&self.pool)
                .await?;
                let mut scores: Vec<Option<u8>> = vec![None; keys.len()];
                Ok(stored
                    .iter()
                    .map(|text| {
                        shared::fill_scores(text, &keys, &mut scores);
                        scores.iter().map(|s| s.unwrap_or(0)).collect()
                    })
                    .collect())
            }
        }
    };
}
pub(super) use impl_notice_store;

#[cfg(test)]
mod tests {
    use super::contact_key;

    #[test]
    fn one_number_however_written_and_emails_in_lower_case() {
        for written in ["081234567890", "+62 812-3456-7890", "6281234567890", "(0812) 3456 7890"] {
            assert_eq!(contact_key(written).as_deref(), Some("081234567890"), "{written}");
        }
        assert_eq!(contact_key(" Warga@Contoh.ID ").as_deref(), Some("warga@contoh.id"));
        assert_eq!(contact_key("bukan nomor"), None);
        assert_eq!(contact_key(""), None);
    }
}
