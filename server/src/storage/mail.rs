//! Mail a mailbox could not store (issue 17): one bad or colliding message must never
//! stop a mailbox, so it is recorded here with its reason, shown to the unit's admin
//! on the channel settings page, and the poller moves past it. The SQL is written
//! once in [`impl_mail_store`] and expanded for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// Why a message was set aside; each has a sentence in the locale files.
pub const SET_ASIDE_REASONS: &[&str] = &["too_large", "not_stored"];

/// One message set aside: where it is in the mailbox and why it was not stored. No
/// sender address is kept (the admin may not be allowed to see identities).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAsideMail {
    /// The unit whose mailbox it is in.
    pub unit_id: i64,
    /// The mailbox (`user@host:port/folder`).
    pub mailbox: String,
    /// The mailbox's UIDVALIDITY when it was read.
    pub uid_validity: i64,
    /// Its UID there, so an admin can find it.
    pub uid: i64,
    /// Its Message-ID, if it had one (sanitized, at most 200 characters).
    pub message_ref: Option<String>,
    /// Its subject (sanitized, at most 200 characters).
    pub subject: String,
    /// Its size in bytes, as the server reported it.
    pub size_bytes: i64,
    /// One of [`SET_ASIDE_REASONS`].
    pub reason: String,
    /// The technical detail (the store's error), for whoever looks into it.
    pub detail: String,
    /// When it was set aside.
    pub set_aside_at: DateTime<Utc>,
}

/// A thread message (or a complaint) that holds an email key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    /// False when the key is a message the unit sent (an answer, an acknowledgement).
    pub incoming: bool,
    /// The raw message kept with it (its `message/rfc822` attachment); None for mail
    /// stored before raw messages were kept, and for outgoing messages.
    pub raw: Option<Vec<u8>>,
}

/// The set-aside record of a unit's mailbox.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// Records a message set aside; false when this mailbox UID was recorded before
    /// (a re-read after a lost cursor changes nothing).
    async fn set_aside_mail(&self, mail: &SetAsideMail) -> Result<bool, StoreError>;
    /// A unit's set-aside messages, newest first, at most `limit`.
    async fn set_aside_mails(&self, unit_id: i64, limit: i64) -> Result<Vec<SetAsideMail>, StoreError>;
    /// What a unit holds under an email key (issue 22), to judge a repeat by content:
    /// None when nothing has that key.
    async fn stored_mail(&self, unit_id: i64, message_ref: &str) -> Result<Option<StoredMail>, StoreError>;
}

/// Expands [`MailStore`] for a backend whose struct has `self.pool`.
macro_rules! impl_mail_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::mail::MailStore for $store {
            async fn set_aside_mail(&self, m: &$crate::storage::mail::SetAsideMail) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO mail_set_aside (unit_id, mailbox, uid_validity, uid, message_ref, subject, size_bytes, \
                     reason, detail, set_aside_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (mailbox, uid_validity, uid) DO NOTHING",
                )
                .bind(m.unit_id)
                .bind(&m.mailbox)
                .bind(m.uid_validity)
                .bind(m.uid)
                .bind(&m.message_ref)
                .bind(&m.subject)
                .bind(m.size_bytes)
                .bind(&m.reason)
                .bind(&m.detail)
                .bind(m.set_aside_at)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_aside_mails(
                &self,
                unit_id: i64,
                limit: i64,
            ) -> Result<Vec<$crate::storage::mail::SetAsideMail>, StoreError> {
                let rows = sqlx::query(
                    "SELECT unit_id, mailbox, uid_validity, uid, message_ref, subject, size_bytes, reason, detail, \
                     set_aside_at FROM mail_set_aside WHERE unit_id = $1 ORDER BY set_aside_at DESC, id DESC LIMIT $2",
                )
                .bind(unit_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::storage::mail::SetAsideMail {
                            unit_id: r.try_get(0)?,
                            mailbox: r.try_get(1)?,
                            uid_validity: r.try_get(2)?,
                            uid: r.try_get(3)?,
                            message_ref: r.try_get(4)?,
                            subject: r.try_get(5)?,
                            size_bytes: r.try_get(6)?,
                            reason: r.try_get(7)?,
                            detail: r.try_get(8)?,
                            set_aside_at: r.try_get(9)?,
                        })
                    })
                    .collect()
            }

            async fn stored_mail(
                &self,
                unit_id: i64,
                message_ref: &str,
            ) -> Result<Option<$crate::storage::mail::StoredMail>, StoreError> {
                let message: Option<(String, Option<Vec<u8>>)> = sqlx::query_as(
                    "SELECT m.direction, (SELECT a.content FROM attachments a WHERE a.complaint_id = m.complaint_id \
                     AND a.message_id = m.id AND a.content_type = 'message/rfc822' ORDER BY a.id LIMIT 1) \
                     FROM complaint_messages m WHERE m.unit_id = $1 AND m.channel = 'email' \
                     AND m.message_ref = $2 ORDER BY m.id LIMIT 1",
                )
                .bind(unit_id)
                .bind(message_ref)
                .fetch_optional(&self.pool)
                .await?;
                if let Some((direction, raw)) = message {
                    return Ok(Some($crate::storage::mail::StoredMail { incoming: direction == "in", raw }));
                }
                let complaint: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM complaints WHERE unit_id = $1 AND channel = 'email' AND channel_ref = $2",
                )
                .bind(unit_id)
                .bind(message_ref)
                .fetch_optional(&self.pool)
                .await?;
                Ok(complaint.map(|_| $crate::storage::mail::StoredMail { incoming: true, raw: None }))
            }
        }
    };
}
pub(super) use impl_mail_store;
