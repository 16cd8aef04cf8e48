//! What a provider with a conversation window needs of a unit's threads (issue 19):
//! WhatsApp lets a business write free text only within 24 hours of the citizen's
//! last message to it, so the sender asks when that was. The answer comes from the
//! thread messages every channel already stores (`direction = 'in'`, the sender's
//! normalised number), indexed by migration 0022. The SQL is written once in
//! [`impl_conversation_store!`] and expanded for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// Conversation facts for providers (a supertrait of `Store`).
#[async_trait]
pub trait ConversationStore {
    /// When the last message from `sender` (a normalised phone number) reached the
    /// unit on `channel`, on any of its complaints; None when none ever did.
    async fn last_inbound_at(
        &self,
        unit_id: i64,
        channel: &str,
        sender: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// The SQL of [`ConversationStore`], once for both backends.
macro_rules! impl_conversation_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::conversations::ConversationStore for $store {
            async fn last_inbound_at(
                &self,
                unit_id: i64,
                channel: &str,
                sender: &str,
            ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT at FROM complaint_messages WHERE unit_id = $1 AND channel = $2 AND sender = $3 \
                     AND direction = 'in' ORDER BY at DESC LIMIT 1",
                )
                .bind(unit_id)
                .bind(channel)
                .bind(sender)
                .fetch_optional(&self.pool)
                .await?)
            }
        }
    };
}
pub(super) use impl_conversation_store;
