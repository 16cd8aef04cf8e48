//! Storage of the notices staff get about complaints that need them (issue 19): each
//! account's choice of how it hears (`staff_notice_prefs`, migration 0024) and the
//! reads the notice jobs make: holder changes on the control card, open complaints
//! near or past their deadline, and the counts a daily digest shows.
//!
//! What to send, to whom and when is decided in `triage::staff_notices`; the SQL is
//! written once in [`impl_staff_notice_store!`] for both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// How one account chose to hear (a stored row of `staff_notice_prefs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffNoticePrefs {
    /// `email`, `whatsapp` or `none`.
    pub channel: String,
    /// The WhatsApp number, normalised (`08...`); empty unless the channel is WhatsApp.
    pub whatsapp: String,
    /// One daily digest per unit instead of single notices (kepala dinas only).
    pub digest: bool,
}

/// What the notices need of one account: whether it still works, where it can be
/// reached and what it chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffContact {
    /// The account.
    pub user_id: i64,
    /// Its display name (the greeting of a digest).
    pub full_name: String,
    /// Disabled accounts hear nothing.
    pub active: bool,
    /// Its email address (the one set at `/akun`), empty when none.
    pub email: String,
    /// Its stored choice; None when it never chose (email when it has an address).
    pub prefs: Option<StaffNoticePrefs>,
    /// Its roles: (unit id, role key).
    pub roles: Vec<(i64, String)>,
}

/// The complaint a staff notice is about: what the notice may say of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeComplaint {
    /// The complaint.
    pub complaint_id: i64,
    /// Its unit.
    pub unit_id: i64,
    /// The unit's code (the staff link).
    pub unit_code: String,
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// Subject (never sent when the complaint is rahasia).
    pub subject: String,
    /// Content never leaves the app.
    pub rahasia: bool,
}

/// A change of holder on a complaint's control card (a `klasifikasi` entry whose
/// holder differs from the entry before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderChange {
    /// The control-card entry (the notice's dedupe key names it).
    pub event_id: i64,
    /// The complaint.
    pub complaint: NoticeComplaint,
    /// Who assigned it (None for a job or the API).
    pub actor_id: Option<i64>,
    /// The new holder.
    pub holder_id: i64,
    /// Whether the complaint is still open and still held by this holder now.
    pub still_held: bool,
    /// Resolution deadline, when there is one.
    pub due_at: Option<DateTime<Utc>>,
}

/// An open complaint the unit still owes, with a deadline before some moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedComplaint {
    /// The complaint.
    pub complaint: NoticeComplaint,
    /// The unit's zone name (its working-day calendar).
    pub time_zone: String,
    /// Resolution deadline.
    pub due_at: DateTime<Utc>,
    /// Its holder, when it has one.
    pub assignee_id: Option<i64>,
}

/// A unit whose kepala dinas asked for the daily digest: who and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSubscription {
    /// The account.
    pub user_id: i64,
    /// A unit where it holds the kepala dinas role.
    pub unit_id: i64,
    /// The unit's code.
    pub unit_code: String,
    /// The unit's name.
    pub unit_name: String,
    /// The unit's zone name (the digest hour is local).
    pub time_zone: String,
}

/// What staff notices ask of the database (a supertrait of `Store`).
#[async_trait]
pub trait StaffNoticeStore {
    /// The account's stored choice, if it made one.
    async fn staff_notice_prefs(&self, user_id: i64) -> Result<Option<StaffNoticePrefs>, StoreError>;
    /// Stores the account's choice, replacing the one it had.
    async fn save_staff_notice_prefs(
        &self,
        user_id: i64,
        prefs: &StaffNoticePrefs,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// What the notices need of one account; None when there is no such account.
    async fn staff_contact(&self, user_id: i64) -> Result<Option<StaffContact>, StoreError>;
    /// Holder changes recorded at or after `since` (only of `complaint_id` when
    /// given), oldest first.
    async fn holder_changes_since(
        &self,
        since: DateTime<Utc>,
        complaint_id: Option<i64>,
    ) -> Result<Vec<HolderChange>, StoreError>;
    /// Complaints the unit still owes (not answered, returned or closed) with a
    /// deadline before `until`, of one unit when `unit_id` is given, by deadline.
    async fn owed_before(&self, until: DateTime<Utc>, unit_id: Option<i64>) -> Result<Vec<OwedComplaint>, StoreError>;
    /// Every (account, unit) pair where an active account that chose the digest
    /// holds the kepala dinas role.
    async fn digest_subscriptions(&self) -> Result<Vec<DigestSubscription>, StoreError>;
    /// The unit's complaints that are not closed, counted per status key.
    async fn open_counts(&self, unit_id: i64) -> Result<Vec<(String, i64)>, StoreError>;
}

/// The SQL of [`StaffNoticeStore`], once for both backends (`self.pool` is the
/// backend's pool).
macro_rules! impl_staff_notice_store {
    ($store:ty, $row:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::staff_notices::StaffNoticeStore for $store {
            async fn staff_notice_prefs(
                &self,
                user_id: i64,
            ) -> Result<Option<$crate::storage::staff_notices::StaffNoticePrefs>, StoreError> {
                let row: Option<(String, String, bool)> =
                    sqlx::query_as("SELECT channel, whatsapp, digest FROM staff_notice_prefs WHERE user_id = $1")
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(
                    |(channel, whatsapp, digest)| $crate::storage::staff_notices::StaffNoticePrefs {
                        channel,
                        whatsapp,
                        digest,
                    },
                ))
            }

            async fn save_staff_notice_prefs(
                &self,
                user_id: i64,
                p: &$crate::storage::staff_notices::StaffNoticePrefs,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO staff_notice_prefs (user_id, channel, whatsapp, digest, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
                     channel = excluded.channel, whatsapp = excluded.whatsapp, digest = excluded.digest, \
                     updated_at = excluded.updated_at",
                )
                .bind(user_id)
                .bind(&p.channel)
                .bind(&p.whatsapp)
                .bind(p.digest)
                .bind(at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn staff_contact(
                &self,
                user_id: i64,
            ) -> Result<Option<$crate::storage::staff_notices::StaffContact>, StoreError> {
                let row: Option<(String, bool, String, Option<String>, Option<String>, Option<bool>)> = sqlx::query_as(
                    "SELECT u.full_name, u.active, u.email, p.channel, p.whatsapp, p.digest \
                     FROM users u LEFT JOIN staff_notice_prefs p ON p.user_id = u.id WHERE u.id = $1",
                )
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
                let Some((full_name, active, email, channel, whatsapp, digest)) = row else {
                    return Ok(None);
                };
                let roles: Vec<(i64, String)> =
                    sqlx::query_as("SELECT unit_id, role FROM user_roles WHERE user_id = $1 ORDER BY unit_id, role")
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(Some($crate::storage::staff_notices::StaffContact {
                    user_id,
                    full_name,
                    active,
                    email: email.trim().to_owned(),
                    prefs: channel.map(|channel| $crate::storage::staff_notices::StaffNoticePrefs {
                        channel,
                        whatsapp: whatsapp.unwrap_or_default(),
                        digest: digest.unwrap_or(false),
                    }),
                    roles,
                }))
            }

            async fn holder_changes_since(
                &self,
                since: chrono::DateTime<chrono::Utc>,
                complaint_id: Option<i64>,
            ) -> Result<Vec<$crate::storage::staff_notices::HolderChange>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {NOTICE_COMPLAINT_COLUMNS}, e.id, e.actor_id, e.holder_id, (c.assignee_id = e.holder_id AND c.status NOT IN {closed}), c.due_at, \
                     (SELECT p.holder_id FROM complaint_events p WHERE p.complaint_id = e.complaint_id \
                      AND p.id < e.id AND p.kind = 'klasifikasi' ORDER BY p.id DESC LIMIT 1) \
                     FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id \
                     JOIN units u ON u.id = c.unit_id \
                     WHERE e.kind = 'klasifikasi' AND e.at >= $1 AND e.holder_id IS NOT NULL \
                     AND ($2 IS NULL OR e.complaint_id = $2) ORDER BY e.id",
                    closed = "('selesai', 'bukan_wewenang', 'diarsipkan')"
                ))
                .bind(since)
                .bind(complaint_id)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::new();
                for r in &rows {
                    let holder: i64 = r.try_get(8)?;
                    let previous: Option<i64> = r.try_get(11)?;
                    if previous == Some(holder) {
                        continue;
                    }
                    out.push($crate::storage::staff_notices::HolderChange {
                        complaint: notice_complaint_row(r)?,
                        event_id: r.try_get(6)?,
                        actor_id: r.try_get(7)?,
                        holder_id: holder,
                        still_held: r.try_get::<Option<bool>, _>(9)?.unwrap_or(false),
                        due_at: r.try_get(10)?,
                    });
                }
                Ok(out)
            }

            async fn owed_before(
                &self,
                until: chrono::DateTime<chrono::Utc>,
                unit_id: Option<i64>,
            ) -> Result<Vec<$crate::storage::staff_notices::OwedComplaint>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {NOTICE_COMPLAINT_COLUMNS}, u.time_zone, c.due_at, c.assignee_id FROM complaints c JOIN units u ON u.id = c.unit_id \
                     WHERE c.due_at < $1 AND c.status NOT IN {} AND ($2 IS NULL OR c.unit_id = $2) \
                     ORDER BY c.due_at, c.id",
                    $crate::storage::triage::OPEN_WAITING_EXCLUDED
                ))
                .bind(until)
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::storage::staff_notices::OwedComplaint {
                            complaint: notice_complaint_row(r)?,
                            time_zone: r.try_get(6)?,
                            due_at: r.try_get(7)?,
                            assignee_id: r.try_get(8)?,
                        })
                    })
                    .collect()
            }

            async fn digest_subscriptions(
                &self,
            ) -> Result<Vec<$crate::storage::staff_notices::DigestSubscription>, StoreError> {
                let rows: Vec<(i64, i64, String, String, String)> = sqlx::query_as(
                    "SELECT p.user_id, n.id, n.code, n.name, n.time_zone FROM staff_notice_prefs p \
                     JOIN users u ON u.id = p.user_id JOIN user_roles r ON r.user_id = p.user_id \
                     JOIN units n ON n.id = r.unit_id \
                     WHERE p.digest = $1 AND p.channel <> 'none' AND u.active = $1 AND r.role = 'kepala_dinas' \
                     ORDER BY p.user_id, n.id",
                )
                .bind(true)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(
                        |(user_id, unit_id, unit_code, unit_name, time_zone)| {
                            $crate::storage::staff_notices::DigestSubscription {
                                user_id,
                                unit_id,
                                unit_code,
                                unit_name,
                                time_zone,
                            }
                        },
                    )
                    .collect())
            }

            async fn open_counts(&self, unit_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
                Ok(sqlx::query_as(
                    "SELECT status, COUNT(*) FROM complaints WHERE unit_id = $1 \
                     AND status NOT IN ('selesai', 'bukan_wewenang', 'diarsipkan') GROUP BY status ORDER BY status",
                )
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?)
            }
        }

        /// The columns of a [`NoticeComplaint`](crate::storage::staff_notices::NoticeComplaint)
        /// (complaint `c`, unit `u`), first in a row, in the order
        /// [`notice_complaint_row`] reads them.
        const NOTICE_COMPLAINT_COLUMNS: &str = "c.id, c.unit_id, u.code, c.nomor_agenda, c.subject, c.rahasia";

        /// The first columns of a row: [`NOTICE_COMPLAINT_COLUMNS`].
        fn notice_complaint_row(r: &$row) -> Result<$crate::storage::staff_notices::NoticeComplaint, StoreError> {
            Ok($crate::storage::staff_notices::NoticeComplaint {
                complaint_id: r.try_get(0)?,
                unit_id: r.try_get(1)?,
                unit_code: r.try_get(2)?,
                nomor_agenda: r.try_get(3)?,
                subject: r.try_get(4)?,
                rahasia: r.try_get(5)?,
            })
        }
    };
}
pub(super) use impl_staff_notice_store;
