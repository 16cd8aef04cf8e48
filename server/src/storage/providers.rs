//! Storage of what the native SMS/WhatsApp providers need beside the channel
//! settings (issue 19): the SHA-256 of each unit's webhook secret per provider
//! (`provider_webhook_secrets`, migration 0025) and the cursor of a polled provider
//! inbox (`provider_poll_cursors`). The SQL is written once in
//! [`impl_provider_store!`] for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// What the native providers ask of the database (a supertrait of `Store`).
#[async_trait]
pub trait ProviderStore {
    /// Stores the hash of a unit's new webhook secret for `provider`, replacing the
    /// old one at once (rotation).
    async fn set_webhook_secret(
        &self,
        unit_id: i64,
        provider: &str,
        secret_sha256: &str,
        at: DateTime<Utc>,
        user_id: Option<i64>,
    ) -> Result<(), StoreError>;
    /// The hash of a unit's webhook secret for `provider`, if one was made.
    async fn webhook_secret_hash(&self, unit_id: i64, provider: &str) -> Result<Option<String>, StoreError>;
    /// When a unit's webhook secret for `provider` was made, if one was.
    async fn webhook_secret_created(&self, unit_id: i64, provider: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The highest provider message id a unit's polled inbox has taken in.
    async fn poll_cursor(&self, unit_id: i64, provider: &str) -> Result<Option<i64>, StoreError>;
    /// Moves a polled inbox's cursor to `last_id`; never backwards (a lower id
    /// changes nothing).
    async fn advance_poll_cursor(
        &self,
        unit_id: i64,
        provider: &str,
        last_id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// The SQL of [`ProviderStore`], once for both backends (`self.pool` is the backend's pool).
macro_rules! impl_provider_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::providers::ProviderStore for $store {
            async fn set_webhook_secret(
                &self,
                unit_id: i64,
                provider: &str,
                secret_sha256: &str,
                at: chrono::DateTime<chrono::Utc>,
                user_id: Option<i64>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO provider_webhook_secrets (unit_id, provider, secret_sha256, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (unit_id, provider) DO UPDATE SET secret_sha256 = excluded.secret_sha256, \
                     created_at = excluded.created_at, created_by = excluded.created_by",
                )
                .bind(unit_id)
                .bind(provider)
                .bind(secret_sha256)
                .bind(at)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn webhook_secret_hash(&self, unit_id: i64, provider: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT secret_sha256 FROM provider_webhook_secrets WHERE unit_id = $1 AND provider = $2",
                )
                .bind(unit_id)
                .bind(provider)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn webhook_secret_created(
                &self,
                unit_id: i64,
                provider: &str,
            ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT created_at FROM provider_webhook_secrets WHERE unit_id = $1 AND provider = $2",
                )
                .bind(unit_id)
                .bind(provider)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn poll_cursor(&self, unit_id: i64, provider: &str) -> Result<Option<i64>, StoreError> {
                Ok(
                    sqlx::query_scalar(
                        "SELECT last_id FROM provider_poll_cursors WHERE unit_id = $1 AND provider = $2",
                    )
                    .bind(unit_id)
                    .bind(provider)
                    .fetch_optional(&self.pool)
                    .await?,
                )
            }

            async fn advance_poll_cursor(
                &self,
                unit_id: i64,
                provider: &str,
                last_id: i64,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO provider_poll_cursors (unit_id, provider, last_id, updated_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (unit_id, provider) DO UPDATE SET last_id = excluded.last_id, \
                     updated_at = excluded.updated_at \
                     WHERE provider_poll_cursors.last_id < excluded.last_id",
                )
                .bind(unit_id)
                .bind(provider)
                .bind(last_id)
                .bind(at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}
pub(super) use impl_provider_store;
