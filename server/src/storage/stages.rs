//! Storage of the stage clocks a channel sets (issue 20): SP4N-LAPOR! gives a report
//! 3 working days to be verified and passed on and 5 for the agency's follow-up, and
//! closes an answered report by itself after 10 working days without a reply (the
//! last for every channel, migration 0021).
//! The limits are data (`channel_stages`, migration 0019), per unit and channel,
//! each with the regulation it comes from and the day from which it applies, so a
//! new regulation is a new row rather than a code change.
//!
//! A unit without rows of its own has [`default_stages`] (migrations 0019 and 0021
//! wrote the same rows for the units that existed then).
//! [`StageStore::stage_complaints`] gives what the clocks need of each complaint of
//! such a channel (receipt, end of verification, first answer); `triage::stages`
//! counts the working days. The SQL is written once in [`impl_stage_store!`].

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::StoreError;

/// One stage limit of a channel in a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelStage {
    /// Channel key (`span_lapor`).
    pub channel: String,
    /// Stage key: `verifikasi`, `tindak_lanjut` or `tutup_otomatis`.
    pub stage: String,
    /// Order of the stage: each clock starts where the previous one ends.
    pub position: i64,
    /// Working days of the unit's calendar.
    pub working_days: i64,
    /// The regulation the limit comes from, as printed.
    pub regulation: String,
    /// Complaints received on or after this day (local) get this limit.
    pub valid_from: NaiveDate,
}

/// The limits of a unit that has no rows of its own (the same rows migration 0019
/// gave the units that existed then): channel, stage, position, working days,
/// regulation, valid from. Rows a unit saves replace them all.
pub const DEFAULT_STAGES: &[(&str, &str, i64, i64, &str, &str)] = &[
    (
        "span_lapor",
        "verifikasi",
        1,
        3,
        "PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025",
        "2018-01-01",
    ),
    (
        "span_lapor",
        "tindak_lanjut",
        2,
        5,
        "PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025",
        "2018-01-01",
    ),
];

/// The regulation the default limits come from, as printed.
pub const DEFAULT_REGULATION: &str = "PermenPAN-RB 62/2018 (SP4N-LAPOR!); diganti PermenPAN-RB 5/2025";

/// The default auto-close (stage `tutup_otomatis`, every channel): an answered
/// complaint closes by itself when the complainant has not replied within this many
/// working days (SP4N-LAPOR! rule, PENGADUAN.md; migration 0021).
pub const DEFAULT_AUTO_CLOSE_DAYS: i64 = 10;

/// Position of the auto-close stage (after the follow-up).
pub const AUTO_CLOSE_POSITION: i64 = 3;

/// The default auto-close row of one channel.
pub fn default_auto_close(channel: &str) -> ChannelStage {
    ChannelStage {
        channel: channel.to_owned(),
        stage: "tutup_otomatis".to_owned(),
        position: AUTO_CLOSE_POSITION,
        working_days: DEFAULT_AUTO_CLOSE_DAYS,
        regulation: DEFAULT_REGULATION.to_owned(),
        valid_from: NaiveDate::from_ymd_opt(2018, 1, 1).expect("a valid default date"),
    }
}

/// The limits of a unit that has no rows of its own: [`DEFAULT_STAGES`] and the
/// auto-close of every channel, ordered as [`StageStore::channel_stages`] orders.
pub fn default_stages() -> Vec<ChannelStage> {
    let mut out: Vec<ChannelStage> = DEFAULT_STAGES
        .iter()
        .map(
            |(channel, stage, position, days, regulation, valid_from)| ChannelStage {
                channel: (*channel).to_owned(),
                stage: (*stage).to_owned(),
                position: *position,
                working_days: *days,
                regulation: (*regulation).to_owned(),
                valid_from: NaiveDate::parse_from_str(valid_from, "%Y-%m-%d").expect("a valid default date"),
            },
        )
        .collect();
    out.extend(crate::domain::Channel::ALL.iter().map(|c| default_auto_close(c.key())));
    out.sort_by(|a, b| (&a.channel, a.position, a.valid_from).cmp(&(&b.channel, b.position, b.valid_from)));
    out
}

/// What the stage clocks need of one complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StageComplaint {
    /// The complaint.
    pub complaint_id: i64,
    /// Nomor agenda.
    pub nomor_agenda: String,
    /// Channel key.
    pub channel: String,
    /// Status key.
    pub status: String,
    /// Original receipt (the first clock starts here).
    pub received_at: DateTime<Utc>,
    /// First moved past `diterima` (end of verification), when known.
    pub verified_at: Option<DateTime<Utc>>,
    /// First answer or follow-up (end of the follow-up stage), when known.
    pub first_answered_at: Option<DateTime<Utc>>,
    /// Last answer (the auto-close clock starts here), when known.
    pub answered_at: Option<DateTime<Utc>>,
    /// Closing time, when known (a complaint closed without an answer, e.g. passed
    /// on as `bukan_wewenang`, ends its follow-up stage there).
    pub closed_at: Option<DateTime<Utc>>,
}

/// What the stage clocks ask of the database (a supertrait of `Store`).
#[async_trait]
pub trait StageStore {
    /// The stage limits of a unit, by channel, position and `valid_from`:
    /// [`DEFAULT_STAGES`] when the unit has no rows of its own.
    async fn channel_stages(&self, unit_id: i64) -> Result<Vec<ChannelStage>, StoreError>;
    /// Adds a unit's stage limit or changes the one with the same channel, stage and
    /// `valid_from` (a unit on the defaults keeps them beside it).
    async fn save_channel_stage(&self, unit_id: i64, stage: &ChannelStage) -> Result<(), StoreError>;
    /// The unit's complaints received in `[from, to)` through one of `channels`
    /// (those with stage limits), in receipt order.
    async fn stage_complaints(
        &self,
        unit_id: i64,
        channels: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<StageComplaint>, StoreError>;
    /// What the stage clocks need of one complaint of the unit (None when it is not
    /// the unit's): the complaint page shows its clocks.
    async fn stage_complaint(&self, unit_id: i64, complaint_id: i64) -> Result<Option<StageComplaint>, StoreError>;
}

/// The SQL of [`StageStore`], once for both backends.
macro_rules! impl_stage_store {
    ($store:ty, $row:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::stages::StageStore for $store {
            async fn channel_stages(
                &self,
                unit_id: i64,
            ) -> Result<Vec<$crate::storage::stages::ChannelStage>, StoreError> {
                let rows: Vec<(String, String, i64, i64, String, chrono::NaiveDate)> = sqlx::query_as(
                    "SELECT channel, stage, position, working_days, regulation, valid_from FROM channel_stages \
                     WHERE unit_id = $1 ORDER BY channel, position, valid_from",
                )
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
                if rows.is_empty() {
                    return Ok($crate::storage::stages::default_stages());
                }
                Ok(rows
                    .into_iter()
                    .map(
                        |(channel, stage, position, working_days, regulation, valid_from)| {
                            $crate::storage::stages::ChannelStage {
                                channel,
                                stage,
                                position,
                                working_days,
                                regulation,
                                valid_from,
                            }
                        },
                    )
                    .collect())
            }

            async fn save_channel_stage(
                &self,
                unit_id: i64,
                s: &$crate::storage::stages::ChannelStage,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let own: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM channel_stages WHERE unit_id = $1")
                    .bind(unit_id)
                    .fetch_one(&mut *tx)
                    .await?;
                // A unit on the defaults keeps them beside the row it saves.
                let defaults = if own == 0 {
                    $crate::storage::stages::default_stages()
                } else {
                    Vec::new()
                };
                for row in defaults.iter().chain(std::iter::once(s)) {
                    sqlx::query(
                        "INSERT INTO channel_stages (unit_id, channel, stage, position, working_days, regulation, valid_from) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (unit_id, channel, stage, valid_from) DO UPDATE SET \
                         position = excluded.position, working_days = excluded.working_days, regulation = excluded.regulation",
                    )
                    .bind(unit_id)
                    .bind(&row.channel)
                    .bind(&row.stage)
                    .bind(row.position)
                    .bind(row.working_days)
                    .bind(&row.regulation)
                    .bind(row.valid_from)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn stage_complaints(
                &self,
                unit_id: i64,
                channels: &[String],
                from: chrono::DateTime<chrono::Utc>,
                to: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<$crate::storage::stages::StageComplaint>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {STAGE_COLUMNS} \
                     FROM complaints c WHERE c.unit_id = $1 AND c.received_at >= $2 AND c.received_at < $3 \
                     AND c.channel IN ({}) ORDER BY c.received_at, c.id",
                    shared::json_texts(DIALECT, 4)
                ))
                .bind(unit_id)
                .bind(from)
                .bind(to)
                .bind(serde_json::to_string(channels).expect("strings serialize"))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(stage_complaint_row).collect()
            }

            async fn stage_complaint(
                &self,
                unit_id: i64,
                complaint_id: i64,
            ) -> Result<Option<$crate::storage::stages::StageComplaint>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {STAGE_COLUMNS} FROM complaints c WHERE c.unit_id = $1 AND c.id = $2"
                ))
                .bind(unit_id)
                .bind(complaint_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(stage_complaint_row).transpose()
            }
        }

        /// The columns of a [`StageComplaint`](crate::storage::stages::StageComplaint), in
        /// the order [`stage_complaint_row`] reads them.
        const STAGE_COLUMNS: &str = "c.id, c.nomor_agenda, c.channel, c.status, c.received_at, c.verified_at, \
             c.first_answered_at, c.answered_at, c.closed_at";

        /// One row of [`STAGE_COLUMNS`].
        fn stage_complaint_row(r: &$row) -> Result<$crate::storage::stages::StageComplaint, StoreError> {
            Ok($crate::storage::stages::StageComplaint {
                complaint_id: r.try_get(0)?,
                nomor_agenda: r.try_get(1)?,
                channel: r.try_get(2)?,
                status: r.try_get(3)?,
                received_at: r.try_get(4)?,
                verified_at: r.try_get(5)?,
                first_answered_at: r.try_get(6)?,
                answered_at: r.try_get(7)?,
                closed_at: r.try_get(8)?,
            })
        }
    };
}
pub(super) use impl_stage_store;
