//! The SQL of complaint idempotency keys (issue 22), written once for both
//! databases: a macro expanded next to each store, like `outbox_fns!`.
//!
//! [`crate::storage::Store::record_complaint_with`] looks a key up after it has
//! taken the unit's nomor agenda counter (so two requests with one key queue behind
//! each other), and stores it in the same transaction as the complaint; a key
//! inserted meanwhile by a request of another year (another counter row) is caught
//! by the primary key and answered with the first result as well.

/// How long a key is kept: a client retrying after a crash or a lost answer does so
/// within minutes; a day is generous and keeps the table small.
pub const RETENTION_HOURS: i64 = 24;

/// The helpers `idempotent_replay`, `idempotency_purge` and `idempotency_insert`
/// for the store over database `$db`.
macro_rules! idempotency_fns {
    ($db:ty) => {
        /// The complaint already filed under `key` in `unit_id` (kept since `cutoff`),
        /// or None; the same key with another fingerprint is refused.
        async fn idempotent_replay<'e, E: sqlx::Executor<'e, Database = $db>>(
            exec: E,
            unit_id: i64,
            key: &IdempotencyKey,
            cutoff: chrono::DateTime<chrono::Utc>,
        ) -> Result<Option<RecordedComplaint>, StoreError> {
            let row = sqlx::query(
                "SELECT k.fingerprint, c.id, c.nomor_agenda, c.tracking_code FROM idempotency_keys k \
                 JOIN complaints c ON c.id = k.complaint_id \
                 WHERE k.unit_id = $1 AND k.scope = $2 AND k.idem_key = $3 AND k.created_at > $4",
            )
            .bind(unit_id)
            .bind(&key.scope)
            .bind(&key.key)
            .bind(cutoff)
            .fetch_optional(exec)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let fingerprint: String = row.try_get(0)?;
            if fingerprint != key.fingerprint {
                return Err(StoreError::IdempotencyKeyReused);
            }
            Ok(Some(RecordedComplaint {
                id: row.try_get(1)?,
                nomor_agenda: row.try_get(2)?,
                tracking_code: row.try_get(3)?,
                created: false,
            }))
        }

        /// Forgets a unit's keys older than `cutoff` (bounded retention).
        async fn idempotency_purge<'e, E: sqlx::Executor<'e, Database = $db>>(
            exec: E,
            unit_id: i64,
            cutoff: chrono::DateTime<chrono::Utc>,
        ) -> Result<(), StoreError> {
            sqlx::query("DELETE FROM idempotency_keys WHERE unit_id = $1 AND created_at <= $2")
                .bind(unit_id)
                .bind(cutoff)
                .execute(exec)
                .await?;
            Ok(())
        }

        /// Stores `key` for the new complaint; false when another transaction stored
        /// it first (the caller rolls back and answers with that one's result).
        async fn idempotency_insert<'e, E: sqlx::Executor<'e, Database = $db>>(
            exec: E,
            unit_id: i64,
            key: &IdempotencyKey,
            complaint_id: i64,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "INSERT INTO idempotency_keys (unit_id, scope, idem_key, fingerprint, complaint_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id, scope, idem_key) DO NOTHING",
            )
            .bind(unit_id)
            .bind(&key.scope)
            .bind(&key.key)
            .bind(&key.fingerprint)
            .bind(complaint_id)
            .bind(now)
            .execute(exec)
            .await?;
            Ok(done.rows_affected() == 1)
        }
    };
}
pub(super) use idempotency_fns;
