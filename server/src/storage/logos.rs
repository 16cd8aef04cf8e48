//! Storage of each unit's logo (lambang daerah, issue 21): one row per unit in
//! `unit_logos` (migration 0020), the file as uploaded with its media type. The
//! web layer checks the file (`reports::Logo::check`) before it gets here; the SQL
//! is written once in [`impl_logo_store!`] for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// A unit's stored logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitLogo {
    /// `image/png` or `image/svg+xml`.
    pub media_type: String,
    /// The file as uploaded.
    pub content: Vec<u8>,
    /// When it was uploaded (part of the public image's ETag, so a new logo is
    /// never hidden behind a cached image).
    pub updated_at: DateTime<Utc>,
}

/// What a unit's logo asks of the database (a supertrait of `Store`).
#[async_trait]
pub trait LogoStore {
    /// The unit's logo, if it has one.
    async fn unit_logo(&self, unit_id: i64) -> Result<Option<UnitLogo>, StoreError>;
    /// Stores the unit's logo, replacing the one it had.
    async fn save_unit_logo(&self, unit_id: i64, logo: &UnitLogo, user_id: Option<i64>) -> Result<(), StoreError>;
    /// Removes the unit's logo; false when it had none.
    async fn delete_unit_logo(&self, unit_id: i64) -> Result<bool, StoreError>;
}

/// The SQL of [`LogoStore`], once for both backends (`self.pool` is the backend's pool).
macro_rules! impl_logo_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::logos::LogoStore for $store {
            async fn unit_logo(&self, unit_id: i64) -> Result<Option<$crate::storage::logos::UnitLogo>, StoreError> {
                let row: Option<(String, Vec<u8>, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as("SELECT media_type, content, updated_at FROM unit_logos WHERE unit_id = $1")
                        .bind(unit_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(
                    |(media_type, content, updated_at)| $crate::storage::logos::UnitLogo {
                        media_type,
                        content,
                        updated_at,
                    },
                ))
            }

            async fn save_unit_logo(
                &self,
                unit_id: i64,
                logo: &$crate::storage::logos::UnitLogo,
                user_id: Option<i64>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO unit_logos (unit_id, media_type, content, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (unit_id) DO UPDATE SET media_type = excluded.media_type, \
                     content = excluded.content, updated_at = excluded.updated_at, \
                     updated_by = excluded.updated_by",
                )
                .bind(unit_id)
                .bind(&logo.media_type)
                .bind(&logo.content)
                .bind(logo.updated_at)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_unit_logo(&self, unit_id: i64) -> Result<bool, StoreError> {
                Ok(sqlx::query("DELETE FROM unit_logos WHERE unit_id = $1")
                    .bind(unit_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }
        }
    };
}
pub(super) use impl_logo_store;
