//! Storage of a unit's working-day calendar (issue 17): the national holidays and
//! cuti bersama (`holidays`, one list kept by the system-level role) and each unit's
//! own local days off (`unit_days_off`: a regional holiday, an office closure),
//! which count for that unit only.
//!
//! [`CalendarStore::days_off`] is the one question every working-day computation of
//! a unit asks (due dates, auto-close, reports, statistics), so no clock can see
//! another unit's days off. The SQL is written once in [`impl_calendar_store!`] for
//! both backends.

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

use super::StoreError;

/// A unit's own day off (not a national holiday).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitDayOff {
    /// The unit it counts for.
    pub unit_id: i64,
    /// The day.
    pub day: NaiveDate,
    /// Why the office is closed, e.g. "Hari jadi Kota Dumai".
    pub name: String,
}

/// What a unit's calendar asks of the database (a supertrait of `Store`).
#[async_trait]
pub trait CalendarStore {
    /// The days off of `unit_id` between two days, inclusive, sorted and without
    /// duplicates: the national holidays and cuti bersama together with the unit's
    /// own days off, and nothing of another unit.
    async fn days_off(&self, unit_id: i64, from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, StoreError>;
    /// A unit's own days off between two days, inclusive, by day.
    async fn unit_days_off(&self, unit_id: i64, from: NaiveDate, to: NaiveDate) -> Result<Vec<UnitDayOff>, StoreError>;
    /// Adds a unit's day off or renames the one on that day.
    async fn save_unit_day_off(&self, day_off: &UnitDayOff) -> Result<(), StoreError>;
    /// Removes a unit's day off; false when the unit had none that day.
    async fn delete_unit_day_off(&self, unit_id: i64, day: NaiveDate) -> Result<bool, StoreError>;
}

/// The SQL of [`CalendarStore`], once for both backends (`self.pool` is the backend's pool).
macro_rules! impl_calendar_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::calendar::CalendarStore for $store {
            async fn days_off(
                &self,
                unit_id: i64,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<chrono::NaiveDate>, StoreError> {
                let days: Vec<(chrono::NaiveDate,)> = sqlx::query_as(
                    "SELECT day FROM holidays WHERE day >= $1 AND day <= $2 \
                     UNION SELECT day FROM unit_days_off WHERE unit_id = $3 AND day >= $4 AND day <= $5 \
                     ORDER BY 1",
                )
                .bind(from)
                .bind(to)
                .bind(unit_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                Ok(days.into_iter().map(|(d,)| d).collect())
            }

            async fn unit_days_off(
                &self,
                unit_id: i64,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<$crate::storage::calendar::UnitDayOff>, StoreError> {
                let rows: Vec<(chrono::NaiveDate, String)> = sqlx::query_as(
                    "SELECT day, name FROM unit_days_off WHERE unit_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
                )
                .bind(unit_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(day, name)| $crate::storage::calendar::UnitDayOff { unit_id, day, name })
                    .collect())
            }

            async fn save_unit_day_off(&self, d: &$crate::storage::calendar::UnitDayOff) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO unit_days_off (unit_id, day, name) VALUES ($1, $2, $3) \
                     ON CONFLICT (unit_id, day) DO UPDATE SET name = excluded.name",
                )
                .bind(d.unit_id)
                .bind(d.day)
                .bind(&d.name)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn delete_unit_day_off(&self, unit_id: i64, day: chrono::NaiveDate) -> Result<bool, StoreError> {
                Ok(
                    sqlx::query("DELETE FROM unit_days_off WHERE unit_id = $1 AND day = $2")
                        .bind(unit_id)
                        .bind(day)
                        .execute(&self.pool)
                        .await?
                        .rows_affected()
                        == 1,
                )
            }
        }
    };
}
pub(super) use impl_calendar_store;
