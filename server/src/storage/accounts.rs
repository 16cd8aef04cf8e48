//! Staff accounts, sessions, login attempts, the audit log and API tokens: who may act,
//! and the record of what they did. Split out of the main `Store` trait (issue 17) so
//! the rules on who may act on an account live beside the queries that carry them out.
//! The SQL is written once in [`impl_account_store`] and expanded for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use super::model::{ApiToken, AuditEntry, NewSession, NewUser, Session, User};

/// Accounts, sessions, login throttling, the audit log and API tokens.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates a staff account with its roles.
    async fn create_user(&self, user: &NewUser) -> Result<i64, StoreError>;
    /// Finds an account by login name, case-insensitively.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// A staff account by id.
    async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError>;
    /// Accounts with any role in a unit, by login name.
    async fn list_unit_users(&self, unit_id: i64) -> Result<Vec<User>, StoreError>;
    /// Every account, by login name: the system administrator's account list.
    async fn list_all_users(&self) -> Result<Vec<User>, StoreError>;
    /// Replaces a password hash and ends all of the account's sessions. `must_change`
    /// is true when someone other than the owner chose it (an admin's reset): the
    /// owner must then replace it at their next login.
    async fn set_password(&self, user_id: i64, password_hash: &str, must_change: bool) -> Result<(), StoreError>;
    /// Grants or withdraws the system-level role (command line only).
    async fn set_system_admin(&self, user_id: i64, system_admin: bool) -> Result<(), StoreError>;
    /// Enables or disables an account; disabling ends its sessions.
    async fn set_user_active(&self, user_id: i64, active: bool) -> Result<(), StoreError>;
    /// Opens a session.
    async fn create_session(&self, session: &NewSession) -> Result<(), StoreError>;
    /// The live session of a token hash with its (active) user, extending its expiry
    /// to `extend_to` when that is later; expired sessions are deleted and not returned.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        extend_to: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError>;
    /// Ends one session.
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Records a login attempt, for throttling and the audit trail, and returns its
    /// id. The login form records every attempt as failed BEFORE it checks the
    /// password and turns it into a success afterwards
    /// ([`Store::login_attempt_succeeded`]), so parallel guesses all count.
    async fn record_login_attempt(
        &self,
        username: &str,
        ip: &str,
        success: bool,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
    /// Marks an attempt recorded as failed a success (the password was right).
    async fn login_attempt_succeeded(&self, attempt_id: i64) -> Result<(), StoreError>;
    /// Failed attempts since `since` for an account name and for an address.
    async fn failed_logins_since(
        &self,
        username: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<(i64, i64), StoreError>;
    /// Appends to the audit log (which refuses updates and deletes).
    async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// A unit's audit entries, newest first.
    async fn list_audit(&self, unit_id: i64, limit: i64, offset: i64) -> Result<Vec<AuditEntry>, StoreError>;
    /// Stores a new API token (hashed) and returns its id.
    async fn create_api_token(
        &self,
        unit_id: i64,
        name: &str,
        token_hash: &str,
        scopes: &[String],
        created_by: Option<i64>,
    ) -> Result<i64, StoreError>;
    /// The unrevoked token with this hash, marking it used.
    async fn api_token_by_hash(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<ApiToken>, StoreError>;
    /// A unit's tokens, newest first.
    async fn list_api_tokens(&self, unit_id: i64) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes a unit's token; false when there is no such live token in that unit.
    async fn revoke_api_token(&self, unit_id: i64, token_id: i64, now: DateTime<Utc>) -> Result<bool, StoreError>;
}

/// Expands [`AccountStore`] for a backend whose struct has `self.pool`.
macro_rules! impl_account_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::accounts::AccountStore for $store {
            async fn create_user(&self, user: &NewUser) -> Result<i64, StoreError> {
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (username, full_name, password_hash, created_at, password_changed_at) \
                     VALUES ($1, $2, $3, $4, $4) RETURNING id",
                )
                .bind(&user.username)
                .bind(&user.full_name)
                .bind(&user.password_hash)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for (unit_id, role) in &user.roles {
                    sqlx::query("INSERT INTO user_roles (user_id, unit_id, role) VALUES ($1, $2, $3)")
                        .bind(id)
                        .bind(*unit_id)
                        .bind(role.key())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(id)
            }

            async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
                let Some(row) = sqlx::query(
                    "SELECT id, username, full_name, password_hash, active, system_admin, must_change_password \
                     FROM users WHERE lower(username) = lower($1)",
                )
                .bind(username)
                .fetch_optional(&self.pool)
                .await?
                else {
                    return Ok(None);
                };
                let id: i64 = row.try_get(0)?;
                let roles = sqlx::query("SELECT unit_id, role FROM user_roles WHERE user_id = $1 ORDER BY unit_id, role")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .filter_map(|r| {
                        let unit: i64 = r.try_get(0).ok()?;
                        let role: String = r.try_get(1).ok()?;
                        Some((unit, crate::domain::Role::parse(&role).ok()?))
                    })
                    .collect();
                Ok(Some(User {
                    id,
                    username: row.try_get(1)?,
                    full_name: row.try_get(2)?,
                    password_hash: row.try_get(3)?,
                    active: row.try_get(4)?,
                    roles,
                    system_admin: row.try_get(5)?,
                    must_change_password: row.try_get(6)?,
                }))
            }

            async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
                let username: Option<String> = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                match username {
                    Some(name) => self.user_by_username(&name).await,
                    None => Ok(None),
                }
            }

            async fn list_unit_users(&self, unit_id: i64) -> Result<Vec<User>, StoreError> {
                let names: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT u.username FROM users u JOIN user_roles r ON r.user_id = u.id \
                     WHERE r.unit_id = $1 ORDER BY u.username",
                )
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
                let mut users = Vec::with_capacity(names.len());
                for name in names {
                    if let Some(u) = self.user_by_username(&name).await? {
                        users.push(u);
                    }
                }
                Ok(users)
            }

            async fn list_all_users(&self) -> Result<Vec<User>, StoreError> {
                let names: Vec<String> = sqlx::query_scalar("SELECT username FROM users ORDER BY username")
                    .fetch_all(&self.pool)
                    .await?;
                let mut users = Vec::with_capacity(names.len());
                for name in names {
                    if let Some(u) = self.user_by_username(&name).await? {
                        users.push(u);
                    }
                }
                Ok(users)
            }

            async fn set_password(&self, user_id: i64, password_hash: &str, must_change: bool) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "UPDATE users SET password_hash = $1, password_changed_at = $2, must_change_password = $3 WHERE id = $4",
                )
                    .bind(password_hash)
                    .bind(chrono::Utc::now())
                    .bind(must_change)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_system_admin(&self, user_id: i64, system_admin: bool) -> Result<(), StoreError> {
                sqlx::query("UPDATE users SET system_admin = $1 WHERE id = $2")
                    .bind(system_admin)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_user_active(&self, user_id: i64, active: bool) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                    .bind(active)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                if !active {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn create_session(&self, s: &NewSession) -> Result<(), StoreError> {
                let now = chrono::Utc::now();
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent) \
                     VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
                )
                .bind(&s.token_hash)
                .bind(s.user_id)
                .bind(&s.csrf_token)
                .bind(now)
                .bind(s.expires_at)
                .bind(&s.ip)
                .bind(&s.user_agent)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
                extend_to: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<Session>, StoreError> {
                let row = sqlx::query(
                    "SELECT s.csrf_token, s.expires_at, u.username, u.active FROM sessions s \
                     JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let expires_at: chrono::DateTime<chrono::Utc> = row.try_get(1)?;
                let active: bool = row.try_get(3)?;
                if expires_at <= now || !active {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                    return Ok(None);
                }
                let username: String = row.try_get(2)?;
                let Some(user) = self.user_by_username(&username).await? else { return Ok(None) };
                let mut expires = expires_at;
                // Slide the expiry, but write at most once a minute per session.
                if extend_to - expires_at > chrono::Duration::minutes(1) {
                    sqlx::query("UPDATE sessions SET expires_at = $1, last_seen_at = $2 WHERE token_hash = $3")
                        .bind(extend_to)
                        .bind(now)
                        .bind(token_hash)
                        .execute(&self.pool)
                        .await?;
                    expires = extend_to;
                }
                Ok(Some(Session { token_hash: token_hash.to_owned(), user, csrf_token: row.try_get(0)?, expires_at: expires }))
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn record_login_attempt(
                &self,
                username: &str,
                ip: &str,
                success: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO login_attempts (username, ip, at, success) VALUES (lower($1), $2, $3, $4) RETURNING id",
                )
                .bind(username)
                .bind(ip)
                .bind(at)
                .bind(success)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn login_attempt_succeeded(&self, attempt_id: i64) -> Result<(), StoreError> {
                sqlx::query("UPDATE login_attempts SET success = $1 WHERE id = $2")
                    .bind(true)
                    .bind(attempt_id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn failed_logins_since(
                &self,
                username: &str,
                ip: &str,
                since: chrono::DateTime<chrono::Utc>,
            ) -> Result<(i64, i64), StoreError> {
                let row = sqlx::query(
                    "SELECT \
                     (SELECT COUNT(*) FROM login_attempts WHERE username = lower($1) AND at > $3 AND success = $4 \
                      AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE username = lower($1) AND success = $5), $3)), \
                     (SELECT COUNT(*) FROM login_attempts WHERE ip = $2 AND at > $3 AND success = $4)",
                )
                .bind(username)
                .bind(ip)
                .bind(since)
                .bind(false)
                .bind(true)
                .fetch_one(&self.pool)
                .await?;
                Ok((row.try_get(0)?, row.try_get(1)?))
            }

            async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO audit_log (at, user_id, unit_id, action, entity, entity_id, detail, ip) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(e.at)
                .bind(e.user_id)
                .bind(e.unit_id)
                .bind(&e.action)
                .bind(&e.entity)
                .bind(&e.entity_id)
                .bind(&e.detail)
                .bind(&e.ip)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_audit(&self, unit_id: i64, limit: i64, offset: i64) -> Result<Vec<AuditEntry>, StoreError> {
                let rows = sqlx::query(
                    "SELECT a.at, a.user_id, u.username, a.unit_id, a.action, a.entity, a.entity_id, a.detail, a.ip \
                     FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE a.unit_id = $1 \
                     ORDER BY a.at DESC, a.id DESC LIMIT $2 OFFSET $3",
                )
                .bind(unit_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(AuditEntry {
                            at: r.try_get(0)?,
                            user_id: r.try_get(1)?,
                            username: r.try_get(2)?,
                            unit_id: r.try_get(3)?,
                            action: r.try_get(4)?,
                            entity: r.try_get(5)?,
                            entity_id: r.try_get(6)?,
                            detail: r.try_get(7)?,
                            ip: r.try_get(8)?,
                        })
                    })
                    .collect()
            }

            async fn create_api_token(
                &self,
                unit_id: i64,
                name: &str,
                token_hash: &str,
                scopes: &[String],
                created_by: Option<i64>,
            ) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "INSERT INTO api_tokens (unit_id, name, token_hash, scopes, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(unit_id)
                .bind(name)
                .bind(token_hash)
                .bind(scopes.join(" "))
                .bind(created_by)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?)
            }

            async fn api_token_by_hash(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Option<ApiToken>, StoreError> {
                let row = sqlx::query(
                    "SELECT id, unit_id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens \
                     WHERE token_hash = $1 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let token = shared::api_token_from_parts(
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get(2)?,
                    r.try_get(3)?,
                    r.try_get(4)?,
                    Some(now),
                    r.try_get(6)?,
                );
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(token.id)
                    .execute(&self.pool)
                    .await?;
                Ok(Some(token))
            }

            async fn list_api_tokens(&self, unit_id: i64) -> Result<Vec<ApiToken>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, unit_id, name, scopes, created_at, last_used_at, revoked_at FROM api_tokens \
                     WHERE unit_id = $1 ORDER BY created_at DESC, id DESC",
                )
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(shared::api_token_from_parts(
                            r.try_get(0)?,
                            r.try_get(1)?,
                            r.try_get(2)?,
                            r.try_get(3)?,
                            r.try_get(4)?,
                            r.try_get(5)?,
                            r.try_get(6)?,
                        ))
                    })
                    .collect()
            }

            async fn revoke_api_token(
                &self,
                unit_id: i64,
                token_id: i64,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND unit_id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(token_id)
                .bind(unit_id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(super) use impl_account_store;
