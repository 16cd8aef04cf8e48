//! The SQL both dialects accept, written once.
//!
//! `impl_store!` expands to each backend's `impl Store` block, where `self.pool` is
//! that backend's pool (the account methods live in `accounts.rs`, expanded the same
//! way by `impl_account_store!`). Parameters are
//! `$1, $2, ...` in order of first use: PostgreSQL reads them natively and sqlx's
//! SQLite driver maps `$N` to the N-th argument.

use chrono::{DateTime, Utc};

use crate::domain::Channel;

use super::StoreError;
use super::model::{ChannelSettings, Holiday, NewOutbox, Unit};

/// Default SLA targets per bobot (working days): PENGADUAN.md, "Severity and escalation".
pub(super) const DEFAULT_SLA: &[(&str, Option<i64>, i64)] =
    &[("ringan", Some(1), 5), ("sedang", None, 14), ("berat", None, 60)];

/// The default jenis pengaduan list: the nine SKM elements, then the Ombudsman
/// maladministration types. (key, name, kind, SKM element key).
pub(super) const DEFAULT_JENIS: &[(&str, &str, &str, Option<&str>)] = &[
    ("persyaratan", "Persyaratan", "skm", Some("persyaratan")),
    ("prosedur", "Sistem, Mekanisme, dan Prosedur", "skm", Some("prosedur")),
    ("waktu", "Waktu Penyelesaian", "skm", Some("waktu")),
    ("biaya", "Biaya/Tarif", "skm", Some("biaya")),
    ("produk", "Produk Spesifikasi Jenis Pelayanan", "skm", Some("produk")),
    ("kompetensi", "Kompetensi Pelaksana", "skm", Some("kompetensi")),
    ("perilaku", "Perilaku Pelaksana", "skm", Some("perilaku")),
    ("sarana", "Sarana dan Prasarana", "skm", Some("sarana")),
    (
        "pengaduan",
        "Penanganan Pengaduan, Saran dan Masukan",
        "skm",
        Some("pengaduan"),
    ),
    ("penundaan_berlarut", "Penundaan Berlarut", "maladministrasi", None),
    (
        "tidak_memberikan_pelayanan",
        "Tidak Memberikan Pelayanan",
        "maladministrasi",
        None,
    ),
    ("tidak_kompeten", "Tidak Kompeten", "maladministrasi", None),
    (
        "penyalahgunaan_wewenang",
        "Penyalahgunaan Wewenang",
        "maladministrasi",
        None,
    ),
    (
        "penyimpangan_prosedur",
        "Penyimpangan Prosedur",
        "maladministrasi",
        None,
    ),
    ("permintaan_imbalan", "Permintaan Imbalan", "maladministrasi", None),
    ("tidak_patut", "Tidak Patut", "maladministrasi", None),
    ("berpihak", "Berpihak", "maladministrasi", None),
    ("diskriminasi", "Diskriminasi", "maladministrasi", None),
    ("konflik_kepentingan", "Konflik Kepentingan", "maladministrasi", None),
];

/// Columns of `units` in the order `unit_from_row` reads them.
pub(super) const UNIT_COLUMNS: &str = "id, code, name, short_name, address, city, phone, email, time_zone, \
     letterhead, head_title, head_name, head_nip, agenda_format, complaint_channels";

/// Columns of `services` in the order `service_from_row` reads them.
pub(super) const SERVICE_COLUMNS: &str = "id, unit_id, division_id, code, name, requirements, completion_days, \
     completion_text, working_days, fee_rupiah, fee_text, product, complaint_channels";

/// Stores a channel list as comma-separated keys.
pub(super) fn join_channels(channels: &[Channel]) -> String {
    channels.iter().map(|c| c.key()).collect::<Vec<_>>().join(",")
}

/// Reads a stored channel list; unknown keys (from a newer version) are skipped.
pub(super) fn split_channels(stored: &str) -> Vec<Channel> {
    stored.split(',').filter_map(|k| Channel::parse(k).ok()).collect()
}

/// Splits a stored multi-line text into its non-empty lines.
pub(super) fn split_lines(stored: &str) -> Vec<String> {
    stored
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Timestamps written as text (SQLite, JSON bulk loads) use exactly the format
/// sqlx writes, so text comparison orders them like time.
pub(super) fn ts_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// Builds a [`Unit`] from its columns.
#[allow(clippy::too_many_arguments)]
pub(super) fn unit_from_parts(
    id: i64,
    code: String,
    name: String,
    short_name: String,
    address: String,
    city: String,
    phone: String,
    email: String,
    time_zone: String,
    letterhead: String,
    head_title: String,
    head_name: String,
    head_nip: String,
    agenda_format: String,
    complaint_channels: String,
) -> Unit {
    Unit {
        id,
        code,
        name,
        short_name,
        address,
        city,
        phone,
        email,
        time_zone,
        letterhead: split_lines(&letterhead),
        head_title,
        head_name,
        head_nip,
        agenda_format,
        complaint_channels: split_channels(&complaint_channels),
    }
}

/// Holiday rows come back as (day, name, kind).
pub(super) fn holiday_from_parts(day: chrono::NaiveDate, name: String, kind: String) -> Holiday {
    Holiday { day, name, kind }
}

macro_rules! impl_store {
    ($store:ty, $backend:expr) => {
    #[async_trait::async_trait]
    impl Store for $store {
        fn backend(&self) -> Backend {
            $backend
        }

        async fn migrate(&self) -> Result<(), StoreError> {
            migrator().run(&self.pool).await?;
            // A database from before the survey statistics gets them built now.
            $crate::storage::survey_stats::SurveyStatsStore::ensure_survey_stats(self).await?;
            Ok(())
        }

        async fn ping(&self) -> Result<(), StoreError> {
            Self::check_file(&self.pool).await?;
            sqlx::query("SELECT 1").execute(&self.pool).await?;
            Ok(())
        }

        async fn counts(&self) -> Result<Counts, StoreError> {
            let row = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM units), (SELECT COUNT(*) FROM services), \
                 (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM complaints), \
                 (SELECT COUNT(*) FROM complaint_events), (SELECT COUNT(*) FROM survey_responses)",
            )
            .fetch_one(&self.pool)
            .await?;
            Ok(Counts {
                units: row.try_get(0)?,
                services: row.try_get(1)?,
                users: row.try_get(2)?,
                complaints: row.try_get(3)?,
                complaint_events: row.try_get(4)?,
                survey_responses: row.try_get(5)?,
            })
        }

        async fn create_unit(&self, unit: &NewUnit) -> Result<i64, StoreError> {
            let mut tx = self.pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO units (code, name, short_name, address, city, phone, email, time_zone, \
                 letterhead, head_title, head_name, head_nip, complaint_channels, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(&unit.code)
            .bind(&unit.name)
            .bind(&unit.short_name)
            .bind(&unit.address)
            .bind(&unit.city)
            .bind(&unit.phone)
            .bind(&unit.email)
            .bind(&unit.time_zone)
            .bind(unit.letterhead.join("\n"))
            .bind(&unit.head_title)
            .bind(&unit.head_name)
            .bind(&unit.head_nip)
            .bind(shared::join_channels(&unit.complaint_channels))
            .bind(chrono::Utc::now())
            .fetch_one(&mut *tx)
            .await?;
            for (bobot, first, resolve) in shared::DEFAULT_SLA {
                sqlx::query("INSERT INTO sla_targets (unit_id, bobot, first_answer_days, resolve_days) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(*bobot)
                    .bind(*first)
                    .bind(*resolve)
                    .execute(&mut *tx)
                    .await?;
            }
            for (position, (key, name, kind, element)) in shared::DEFAULT_JENIS.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO jenis_pengaduan (unit_id, key, name, kind, skm_element_key, position) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(*key)
                .bind(*name)
                .bind(*kind)
                .bind(*element)
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        }

        async fn list_units(&self) -> Result<Vec<Unit>, StoreError> {
            let rows = sqlx::query(&format!("SELECT {} FROM units ORDER BY name", shared::UNIT_COLUMNS))
                .fetch_all(&self.pool)
                .await?;
            rows.iter().map(unit_from_row).collect()
        }

        async fn unit_by_code(&self, code: &str) -> Result<Option<Unit>, StoreError> {
            let row = sqlx::query(&format!("SELECT {} FROM units WHERE code = $1", shared::UNIT_COLUMNS))
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(unit_from_row).transpose()
        }

        async fn create_division(&self, unit_id: i64, name: &str) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar("INSERT INTO divisions (unit_id, name) VALUES ($1, $2) RETURNING id")
                .bind(unit_id)
                .bind(name)
                .fetch_one(&self.pool)
                .await?)
        }

        async fn list_divisions(&self, unit_id: i64) -> Result<Vec<Division>, StoreError> {
            let rows = sqlx::query("SELECT id, unit_id, name FROM divisions WHERE unit_id = $1 ORDER BY name")
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| Ok(Division { id: r.try_get(0)?, unit_id: r.try_get(1)?, name: r.try_get(2)? }))
                .collect()
        }

        async fn create_service(&self, unit_id: i64, s: &NewService) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar(
                "INSERT INTO services (unit_id, division_id, code, name, requirements, completion_days, \
                 completion_text, working_days, fee_rupiah, fee_text, product, complaint_channels, position) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                 (SELECT COALESCE(MAX(position), 0) + 1 FROM services WHERE unit_id = $1)) RETURNING id",
            )
            .bind(unit_id)
            .bind(s.division_id)
            .bind(&s.code)
            .bind(&s.name)
            .bind(s.requirements.join("\n"))
            .bind(s.completion_days)
            .bind(&s.completion_text)
            .bind(s.working_days)
            .bind(s.fee_rupiah)
            .bind(&s.fee_text)
            .bind(&s.product)
            .bind(shared::join_channels(&s.complaint_channels))
            .fetch_one(&self.pool)
            .await?)
        }

        async fn list_services(&self, unit_id: i64) -> Result<Vec<Service>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT {} FROM services WHERE unit_id = $1 AND active = $2 ORDER BY position, name",
                shared::SERVICE_COLUMNS
            ))
            .bind(unit_id)
            .bind(true)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Service {
                        id: r.try_get(0)?,
                        unit_id: r.try_get(1)?,
                        division_id: r.try_get(2)?,
                        code: r.try_get(3)?,
                        name: r.try_get(4)?,
                        requirements: shared::split_lines(&r.try_get::<String, _>(5)?),
                        completion_days: r.try_get(6)?,
                        completion_text: r.try_get(7)?,
                        working_days: r.try_get(8)?,
                        fee_rupiah: r.try_get(9)?,
                        fee_text: r.try_get(10)?,
                        product: r.try_get(11)?,
                        complaint_channels: shared::split_channels(&r.try_get::<String, _>(12)?),
                    })
                })
                .collect()
        }

        async fn upsert_holidays(&self, holidays: &[Holiday]) -> Result<u64, StoreError> {
            let mut tx = self.pool.begin().await?;
            let mut changed = 0;
            for h in holidays {
                changed += sqlx::query(
                    "INSERT INTO holidays (day, name, kind) VALUES ($1, $2, $3) \
                     ON CONFLICT (day) DO UPDATE SET name = excluded.name, kind = excluded.kind \
                     WHERE holidays.name <> excluded.name OR holidays.kind <> excluded.kind",
                )
                .bind(h.day)
                .bind(&h.name)
                .bind(&h.kind)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(changed)
        }

        async fn list_holidays(&self, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<Vec<Holiday>, StoreError> {
            let rows = sqlx::query("SELECT day, name, kind FROM holidays WHERE day >= $1 AND day <= $2 ORDER BY day")
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
            rows.iter()
                .map(|r| Ok(shared::holiday_from_parts(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect()
        }

        async fn record_complaint(&self, c: &NewComplaint) -> Result<RecordedComplaint, StoreError> {
            self.record_complaint_with(c, &ComplaintExtras::default()).await
        }

        async fn record_complaint_with(
            &self,
            c: &NewComplaint,
            extras: &ComplaintExtras,
        ) -> Result<RecordedComplaint, StoreError> {
            let now = chrono::Utc::now();
            let year = i64::from(chrono::Datelike::year(&c.received_at));
            let mut tx = self.pool.begin().await?;
            // Write first, so a SQLite transaction holds the write lock from its first
            // statement and never has to upgrade (which can fail under load).
            let number: i64 = sqlx::query_scalar(
                "INSERT INTO agenda_counters (unit_id, year, last_number) VALUES ($1, $2, 1) \
                 ON CONFLICT (unit_id, year) DO UPDATE SET last_number = agenda_counters.last_number + 1 \
                 RETURNING last_number",
            )
            .bind(c.unit_id)
            .bind(year)
            .fetch_one(&mut *tx)
            .await?;
            // A retry under the same key (issue 22) returns the first complaint; the
            // counter row taken above makes a concurrent twin wait for this answer.
            let idempotency_cutoff = now - chrono::Duration::hours(super::idempotency::RETENTION_HOURS);
            if let Some(key) = &extras.idempotency {
                idempotency_purge(&mut *tx, c.unit_id, idempotency_cutoff).await?;
                if let Some(first) = idempotent_replay(&mut *tx, c.unit_id, key, idempotency_cutoff).await? {
                    tx.rollback().await?;
                    return Ok(first);
                }
            }
            if let Some(reference) = &c.channel_ref {
                let existing = sqlx::query(
                    "SELECT id, nomor_agenda, tracking_code FROM complaints \
                     WHERE unit_id = $1 AND channel = $2 AND channel_ref = $3",
                )
                .bind(c.unit_id)
                .bind(c.channel.key())
                .bind(reference)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(row) = existing {
                    tx.rollback().await?;
                    return Ok(RecordedComplaint {
                        id: row.try_get(0)?,
                        nomor_agenda: row.try_get(1)?,
                        tracking_code: row.try_get(2)?,
                        created: false,
                    });
                }
            }
            let template: String = sqlx::query_scalar("SELECT agenda_format FROM units WHERE id = $1")
                .bind(c.unit_id)
                .fetch_one(&mut *tx)
                .await?;
            let nomor_agenda = super::format_nomor_agenda(&template, year, number);
            let tracking_code = super::new_tracking_code();
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO complaints (unit_id, agenda_year, agenda_number, nomor_agenda, tracking_code, channel, \
                 channel_ref, channel_detail, received_at, recorded_at, recorded_by, complainant_name, \
                 complainant_phone, complainant_email, complainant_address, complainant_nik, anonim, rahasia, \
                 subject, description, event_place, event_date, klasifikasi, service_id, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
                 $20, $21, $22, $23, $24, $10) RETURNING id",
            )
            .bind(c.unit_id)
            .bind(year)
            .bind(number)
            .bind(&nomor_agenda)
            .bind(&tracking_code)
            .bind(c.channel.key())
            .bind(&c.channel_ref)
            .bind(&c.channel_detail)
            .bind(c.received_at)
            .bind(now)
            .bind(c.recorded_by)
            .bind(&c.complainant.name)
            .bind(&c.complainant.phone)
            .bind(&c.complainant.email)
            .bind(&c.complainant.address)
            .bind(&c.complainant.nik)
            .bind(c.anonim)
            .bind(c.rahasia)
            .bind(&c.subject)
            .bind(&c.description)
            .bind(&c.event_place)
            .bind(c.event_date)
            .bind(c.klasifikasi.key())
            .bind(c.service_id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, to_status, note) \
                 VALUES ($1, $2, $3, 'diterima', 'diterima', $4)",
            )
            .bind(id)
            .bind(now)
            .bind(c.recorded_by)
            .bind(format!("Diterima melalui {}", c.channel.key()))
            .execute(&mut *tx)
            .await?;
            let mut message_id = None;
            if let Some(m) = &extras.first_message {
                message_id = Some(insert_message(&mut *tx, &ComplaintMessage { complaint_id: id, ..m.clone() }).await?
                    .ok_or_else(|| StoreError::Conflict { constraint: "complaint_messages_unit_ref".into() })?);
            }
            for a in &extras.attachments {
                insert_attachment(&mut *tx, &NewAttachment { complaint_id: id, message_id: a.message_id.or(message_id), ..a.clone() })
                    .await?;
            }
            for message in &extras.notify {
                if crate::intake::ack::is_acknowledgement(&message.dedupe_key) {
                    // Anti-pumping: a destination gets a few acknowledgements an hour at
                    // most; the complaint is stored and its code shown all the same.
                    let recent: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM outbox WHERE created_at > $1 AND LOWER(recipient) = LOWER($2) \
                         AND (dedupe_key LIKE 'ack:%' OR dedupe_key LIKE 'email-ack:%')",
                    )
                    .bind(now - chrono::Duration::minutes(crate::intake::ack::ACK_WINDOW_MINUTES))
                    .bind(&message.recipient)
                    .fetch_one(&mut *tx)
                    .await?;
                    if recent >= crate::intake::ack::MAX_ACKS_PER_DESTINATION {
                        tracing::warn!(complaint_id = id, channel = %message.channel, "acknowledgement withheld: destination limit reached");
                        continue;
                    }
                }
                let filled = shared::fill_placeholders(message, id, &nomor_agenda, &tracking_code);
                insert_outbox(&mut *tx, &filled, now).await?;
            }
            if let Some(key) = &extras.idempotency
                && !idempotency_insert(&mut *tx, c.unit_id, key, id, now).await?
            {
                // Stored meanwhile by a twin that took another counter row.
                tx.rollback().await?;
                return idempotent_replay(&self.pool, c.unit_id, key, idempotency_cutoff)
                    .await?
                    .ok_or_else(|| StoreError::Conflict { constraint: "idempotency_keys".into() });
            }
            tx.commit().await?;
            Ok(RecordedComplaint { id, nomor_agenda, tracking_code, created: true })
        }

        async fn complaint_status(&self, tracking_code: &str) -> Result<Option<ComplaintStatusView>, StoreError> {
            let row = sqlx::query(
                "SELECT c.nomor_agenda, u.code, c.status, c.received_at, c.rahasia, c.subject, c.id \
                 FROM complaints c JOIN units u ON u.id = c.unit_id WHERE c.tracking_code = $1",
            )
            .bind(tracking_code)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| {
                let rahasia: bool = r.try_get(4)?;
                Ok(ComplaintStatusView {
                    complaint_id: r.try_get(6)?,
                    nomor_agenda: r.try_get(0)?,
                    unit_code: r.try_get(1)?,
                    status: r.try_get(2)?,
                    received_at: r.try_get(3)?,
                    subject: if rahasia { None } else { Some(r.try_get(5)?) },
                })
            })
            .transpose()
        }

        async fn complaint_events(&self, complaint_id: i64) -> Result<Vec<ComplaintEvent>, StoreError> {
            let rows = sqlx::query(
                "SELECT at, actor_id, kind, from_status, to_status, note FROM complaint_events \
                 WHERE complaint_id = $1 ORDER BY at, id",
            )
            .bind(complaint_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ComplaintEvent {
                        at: r.try_get(0)?,
                        actor_id: r.try_get(1)?,
                        kind: r.try_get(2)?,
                        from_status: r.try_get(3)?,
                        to_status: r.try_get(4)?,
                        note: r.try_get(5)?,
                    })
                })
                .collect()
        }

        async fn survey_rule_sets(&self) -> Result<Vec<SurveyRuleSet>, StoreError> {
            let sets = sqlx::query("SELECT id, code, name, is_default FROM survey_rule_sets ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
            let elements = sqlx::query(
                "SELECT rule_set_id, id, key, code, position, name FROM survey_elements ORDER BY rule_set_id, position",
            )
            .fetch_all(&self.pool)
            .await?;
            sets.iter()
                .map(|s| {
                    let id: i64 = s.try_get(0)?;
                    let mut own = Vec::new();
                    for e in &elements {
                        if e.try_get::<i64, _>(0)? == id {
                            own.push(SurveyElement {
                                id: e.try_get(1)?,
                                key: e.try_get(2)?,
                                code: e.try_get(3)?,
                                position: e.try_get(4)?,
                                name: e.try_get(5)?,
                            });
                        }
                    }
                    Ok(SurveyRuleSet {
                        id,
                        code: s.try_get(1)?,
                        name: s.try_get(2)?,
                        is_default: s.try_get(3)?,
                        elements: own,
                    })
                })
                .collect()
        }

        async fn record_survey_response(&self, r: &NewSurveyResponse) -> Result<Option<i64>, StoreError> {
            let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM survey_elements WHERE rule_set_id = $1")
                .bind(r.rule_set_id)
                .fetch_all(&self.pool)
                .await?;
            shared::check_scores(&r.scores, &keys)?;
            let mut tx = self.pool.begin().await?;
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO survey_responses (unit_id, service_id, rule_set_id, responded_on, submitted_at, source, \
                 import_key, jenis_kelamin, umur, pendidikan, pekerjaan, saran, scores) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (unit_id, import_key) DO NOTHING RETURNING id",
            )
            .bind(r.unit_id)
            .bind(r.service_id)
            .bind(r.rule_set_id)
            .bind(r.responded_on)
            .bind(chrono::Utc::now())
            .bind(r.source.key())
            .bind(&r.import_key)
            .bind(&r.profile.jenis_kelamin)
            .bind(r.profile.umur)
            .bind(&r.profile.pendidikan)
            .bind(&r.profile.pekerjaan)
            .bind(&r.saran)
            .bind(shared::scores_json(&r.scores))
            .fetch_optional(&mut *tx)
            .await?;
            if id.is_some() {
                Self::add_to_survey_stats(&mut tx, [r]).await?;
            }
            tx.commit().await?;
            Ok(id)
        }

        async fn list_complaints(&self, unit_id: i64, q: &ComplaintQuery) -> Result<Vec<ComplaintSummary>, StoreError> {
            let pattern = q.text.as_deref().map(shared::like_pattern);
            let rows = sqlx::query(&format!(
                "SELECT {} FROM complaints c {} WHERE c.unit_id = $1 \
                 AND ($2 IS NULL OR lower(c.subject) LIKE $2 ESCAPE '\\' OR lower(c.description) LIKE $2 ESCAPE '\\') \
                 AND ($3 IS NULL OR c.status = $3) \
                 ORDER BY c.received_at DESC, c.id DESC LIMIT $4 OFFSET $5",
                shared::SUMMARY_COLUMNS,
                shared::SUMMARY_JOINS
            ))
            .bind(unit_id)
            .bind(pattern)
            .bind(q.status.as_deref())
            .bind(q.limit)
            .bind(q.offset)
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(summary_from_row).collect()
        }

        async fn list_complaints_public_text(
            &self,
            unit_id: i64,
            q: &ComplaintQuery,
        ) -> Result<Vec<ComplaintSummary>, StoreError> {
            let pattern = q.text.as_deref().map(shared::like_pattern);
            let rows = sqlx::query(&format!(
                "SELECT {} FROM complaints c {} WHERE c.unit_id = $1 \
                 AND ($2 IS NULL OR (c.rahasia = $6 AND (lower(c.subject) LIKE $2 ESCAPE '\\' \
                   OR lower(c.description) LIKE $2 ESCAPE '\\'))) \
                 AND ($3 IS NULL OR c.status = $3) \
                 ORDER BY c.received_at DESC, c.id DESC LIMIT $4 OFFSET $5",
                shared::SUMMARY_COLUMNS,
                shared::SUMMARY_JOINS
            ))
            .bind(unit_id)
            .bind(pattern)
            .bind(q.status.as_deref())
            .bind(q.limit)
            .bind(q.offset)
            .bind(false)
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(summary_from_row).collect()
        }

        async fn complaint(&self, unit_id: i64, complaint_id: i64) -> Result<Option<ComplaintRecord>, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT {}, c.unit_id, c.description, c.klasifikasi, c.event_place, c.event_date, c.channel_ref, \
                 c.complainant_name, c.complainant_phone, c.complainant_email, c.complainant_address, c.complainant_nik \
                 FROM complaints c {} WHERE c.unit_id = $1 AND c.id = $2",
                shared::SUMMARY_COLUMNS,
                shared::SUMMARY_JOINS
            ))
            .bind(unit_id)
            .bind(complaint_id)
            .fetch_optional(&self.pool)
            .await?;
            let Some(r) = row else { return Ok(None) };
            let n = shared::SUMMARY_COLUMN_COUNT;
            Ok(Some(ComplaintRecord {
                summary: summary_from_row(&r)?,
                unit_id: r.try_get(n)?,
                description: r.try_get(n + 1)?,
                klasifikasi: r.try_get(n + 2)?,
                event_place: r.try_get(n + 3)?,
                event_date: r.try_get(n + 4)?,
                channel_ref: r.try_get(n + 5)?,
                complainant: Complainant {
                    name: r.try_get(n + 6)?,
                    phone: r.try_get(n + 7)?,
                    email: r.try_get(n + 8)?,
                    address: r.try_get(n + 9)?,
                    nik: r.try_get(n + 10)?,
                },
            }))
        }

        async fn complaint_status_counts(&self, unit_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
            Ok(sqlx::query_as("SELECT status, COUNT(*) FROM complaints WHERE unit_id = $1 GROUP BY status ORDER BY status")
                .bind(unit_id)
                .fetch_all(&self.pool)
                .await?)
        }

        async fn survey_columns(&self, f: &SurveyFilter) -> Result<analytics::SurveyColumns, StoreError> {
            use futures_util::TryStreamExt;
            let keys: Vec<&str> = f.element_keys.iter().map(String::as_str).collect();
            let mut columns = analytics::SurveyColumns::new(&keys, &["jenis_kelamin", "pendidikan", "pekerjaan"]);
            let mut rows = sqlx::query(
                "SELECT u.code, COALESCE(s.name, ''), r.responded_on, r.scores, r.jenis_kelamin, r.pendidikan, \
                 r.pekerjaan, r.umur FROM survey_responses r JOIN units u ON u.id = r.unit_id \
                 JOIN survey_rule_sets rs ON rs.id = r.rule_set_id LEFT JOIN services s ON s.id = r.service_id \
                 WHERE rs.code = $1 AND ($2 IS NULL OR r.unit_id = $2) \
                 AND ($3 IS NULL OR r.responded_on >= $3) AND ($4 IS NULL OR r.responded_on <= $4) ORDER BY r.id",
            )
            .bind(&f.rule_set)
            .bind(f.unit_id)
            .bind(f.from)
            .bind(f.to)
            .fetch(&self.pool);
            let mut scores: Vec<Option<u8>> = vec![None; keys.len()];
            while let Some(r) = rows.try_next().await? {
                let unit: String = r.try_get(0)?;
                let service: String = r.try_get(1)?;
                let stored: String = r.try_get(3)?;
                shared::fill_scores(&stored, &keys, &mut scores);
                let profile: [Option<String>; 3] = [r.try_get(4)?, r.try_get(5)?, r.try_get(6)?];
                let profile: Vec<Option<&str>> = profile.iter().map(|p| p.as_deref()).collect();
                let umur: Option<i64> = r.try_get(7)?;
                columns.push(analytics::SurveyRow {
                    unit: &unit,
                    service: &service,
                    date: r.try_get(2)?,
                    scores: &scores,
                    profile: &profile,
                    umur: umur.and_then(|a| u32::try_from(a).ok()),
                });
            }
            Ok(columns)
        }

        async fn enqueue_outbox(&self, message: &NewOutbox) -> Result<bool, StoreError> {
            insert_outbox(&self.pool, message, chrono::Utc::now()).await
        }

        async fn claim_outbox(
            &self,
            now: chrono::DateTime<chrono::Utc>,
            lock_until: chrono::DateTime<chrono::Utc>,
            limit: i64,
        ) -> Result<Vec<OutboxMessage>, StoreError> {
            // The due condition stands in the outer WHERE too: PostgreSQL re-checks it
            // on a row another transaction just claimed, so no row is claimed twice.
            // Every claim carries a fresh token: only its holder may record the result.
            let token = crate::codes::new_tracking_code();
            let rows = sqlx::query(&format!(
                "UPDATE outbox SET status = 'sending', locked_until = $2, attempts = attempts + 1, claim_token = $4 \
                 WHERE id IN (SELECT id FROM outbox WHERE {due} ORDER BY next_attempt_at, id LIMIT $3) AND {due} \
                 RETURNING {cols}",
                due = shared::OUTBOX_DUE,
                cols = shared::OUTBOX_COLUMNS
            ))
            .bind(now)
            .bind(lock_until)
            .bind(limit)
            .bind(&token)
            .fetch_all(&self.pool)
            .await?;
            let mut out = rows.iter().map(outbox_from_row).collect::<Result<Vec<_>, _>>()?;
            out.sort_by_key(|m| m.id);
            Ok(out)
        }

        async fn renew_outbox_claim(
            &self,
            id: i64,
            claim: &str,
            now: chrono::DateTime<chrono::Utc>,
            lock_until: chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE outbox SET locked_until = $4 \
                 WHERE id = $1 AND claim_token = $2 AND status = 'sending' AND locked_until >= $3",
            )
            .bind(id)
            .bind(claim)
            .bind(now)
            .bind(lock_until)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn outbox_sent(&self, id: i64, claim: &str, at: chrono::DateTime<chrono::Utc>) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE outbox SET status = 'sent', sent_at = $3, locked_until = NULL, last_error = NULL \
                 WHERE id = $1 AND claim_token = $2 AND status = 'sending'",
            )
            .bind(id)
            .bind(claim)
            .bind(at)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn outbox_failed(
            &self,
            id: i64,
            claim: &str,
            error: &str,
            retry_at: Option<chrono::DateTime<chrono::Utc>>,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE outbox SET status = CASE WHEN $4 IS NULL THEN 'failed' ELSE 'pending' END, \
                 next_attempt_at = COALESCE($4, next_attempt_at), locked_until = NULL, last_error = $3 \
                 WHERE id = $1 AND claim_token = $2 AND status = 'sending'",
            )
            .bind(id)
            .bind(claim)
            .bind(error)
            .bind(retry_at)
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn outbox_for_complaint(&self, complaint_id: i64) -> Result<Vec<OutboxMessage>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT {} FROM outbox WHERE complaint_id = $1 ORDER BY id",
                shared::OUTBOX_COLUMNS
            ))
            .bind(complaint_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(outbox_from_row).collect()
        }

        async fn add_complaint_message(&self, m: &ComplaintMessage) -> Result<Option<i64>, StoreError> {
            insert_message(&self.pool, m).await
        }

        async fn complaint_messages(&self, complaint_id: i64) -> Result<Vec<ComplaintMessage>, StoreError> {
            let rows = sqlx::query(
                "SELECT id, complaint_id, direction, channel, at, sender, subject, body, message_ref \
                 FROM complaint_messages WHERE complaint_id = $1 ORDER BY at, id",
            )
            .bind(complaint_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(ComplaintMessage {
                        id: r.try_get(0)?,
                        complaint_id: r.try_get(1)?,
                        direction: r.try_get(2)?,
                        channel: r.try_get(3)?,
                        at: r.try_get(4)?,
                        sender: r.try_get(5)?,
                        subject: r.try_get(6)?,
                        body: r.try_get(7)?,
                        message_ref: r.try_get(8)?,
                    })
                })
                .collect()
        }

        async fn add_attachment(&self, a: &NewAttachment) -> Result<i64, StoreError> {
            insert_attachment(&self.pool, a).await
        }

        async fn attachments(&self, complaint_id: i64) -> Result<Vec<AttachmentInfo>, StoreError> {
            let rows = sqlx::query(
                "SELECT id, complaint_id, filename, content_type, size_bytes, sha256 FROM attachments \
                 WHERE complaint_id = $1 ORDER BY id",
            )
            .bind(complaint_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter().map(|r| shared_attachment_info(r)).collect()
        }

        async fn attachment_content(
            &self,
            complaint_id: i64,
            attachment_id: i64,
        ) -> Result<Option<(AttachmentInfo, Vec<u8>)>, StoreError> {
            let row = sqlx::query(
                "SELECT id, complaint_id, filename, content_type, size_bytes, sha256, content FROM attachments \
                 WHERE complaint_id = $1 AND id = $2",
            )
            .bind(complaint_id)
            .bind(attachment_id)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| Ok((shared_attachment_info(&r)?, r.try_get(6)?))).transpose()
        }

        async fn channel_settings(&self, unit_id: i64, channel: &str) -> Result<Option<ChannelSettings>, StoreError> {
            let row = sqlx::query(
                "SELECT unit_id, channel, config, enabled FROM unit_channel_settings WHERE unit_id = $1 AND channel = $2",
            )
            .bind(unit_id)
            .bind(channel)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| shared::channel_settings_from_parts(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
                .transpose()
        }

        async fn enabled_channel_settings(&self, channel: &str) -> Result<Vec<ChannelSettings>, StoreError> {
            let rows = sqlx::query(
                "SELECT unit_id, channel, config, enabled FROM unit_channel_settings \
                 WHERE channel = $1 AND enabled = $2 ORDER BY unit_id",
            )
            .bind(channel)
            .bind(true)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| shared::channel_settings_from_parts(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
                .collect()
        }

        async fn set_channel_settings(&self, s: &ChannelSettings) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO unit_channel_settings (unit_id, channel, config, enabled) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (unit_id, channel) DO UPDATE SET config = excluded.config, enabled = excluded.enabled",
            )
            .bind(s.unit_id)
            .bind(&s.channel)
            .bind(s.config.to_string())
            .bind(s.enabled)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn try_lease(
            &self,
            name: &str,
            holder: &str,
            now: chrono::DateTime<chrono::Utc>,
            until: chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, StoreError> {
            let got: Option<String> = sqlx::query_scalar(
                "INSERT INTO job_leases (name, holder, lease_until, last_run_at) VALUES ($1, $2, $4, $3) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until, \
                 last_run_at = excluded.last_run_at \
                 WHERE job_leases.holder = excluded.holder OR job_leases.lease_until < $3 RETURNING holder",
            )
            .bind(name)
            .bind(holder)
            .bind(now)
            .bind(until)
            .fetch_optional(&self.pool)
            .await?;
            Ok(got.is_some())
        }

        async fn open_complaint_from(&self, unit_id: i64, channel: &str, phone: &str) -> Result<Option<i64>, StoreError> {
            Ok(sqlx::query_scalar(
                "SELECT id FROM complaints WHERE unit_id = $1 AND channel = $2 AND complainant_phone = $3 \
                 AND status NOT IN ('selesai', 'bukan_wewenang', 'diarsipkan') ORDER BY received_at DESC, id DESC LIMIT 1",
            )
            .bind(unit_id)
            .bind(channel)
            .bind(phone)
            .fetch_optional(&self.pool)
            .await?)
        }

        // --- SPAN-LAPOR! import (issue 5) ---
        async fn import_lapor_batch(
            &self,
            session: &mut super::BulkSession,
            unit_id: i64,
            reports: &[LaporReport],
            recorded_by: Option<i64>,
            write: super::BatchWrite,
        ) -> Result<Vec<LaporOutcome>, StoreError> {
            let dry_run = write == super::BatchWrite::DryRun;
            use std::collections::{HashMap, HashSet};
            if reports.is_empty() {
                return Ok(Vec::new());
            }
            let now = chrono::Utc::now();
            let mut bulk = match session.0.take().map(|held| held.downcast::<shared::BulkConnection<Db>>()) {
                Some(Ok(held)) => *held,
                // A new session (or, never within one import, another backend's).
                _ => shared::BulkConnection {
                    conn: Some(self.pool.acquire().await?),
                    paused: false,
                    in_transaction: false,
                },
            };
            if !dry_run && !bulk.paused {
                // On failure `bulk` is dropped here, closing the connection.
                Self::pause_autocheckpoint(bulk.conn.as_mut().expect("held until the session ends")).await?;
                bulk.paused = true;
            }
            let conn = bulk.conn.as_mut().expect("held until the session ends");
            let in_transaction = &mut bulk.in_transaction;
            let result: Result<Vec<LaporOutcome>, StoreError> = async {
            if !*in_transaction {
                // SQLite: take the write lock at once, so the transaction never has
                // to upgrade from reading; a dry run only reads.
                let begin = match (DIALECT, dry_run) {
                    (shared::Dialect::Sqlite, false) => "BEGIN IMMEDIATE",
                    _ => "BEGIN",
                };
                sqlx::query(begin).execute(&mut **conn).await?;
                *in_transaction = true;
            }
            let years: std::collections::BTreeSet<i64> =
                reports.iter().map(|r| i64::from(chrono::Datelike::year(&r.complaint.received_at))).collect();
            if !dry_run {
                // Write first, so a SQLite transaction holds the write lock from its
                // first statement and never has to upgrade.
                for year in &years {
                    sqlx::query(
                        "INSERT INTO agenda_counters (unit_id, year, last_number) VALUES ($1, $2, 0) \
                         ON CONFLICT (unit_id, year) DO NOTHING",
                    )
                    .bind(unit_id)
                    .bind(year)
                    .execute(&mut **conn)
                    .await?;
                }
            }
            let ids: Vec<&str> = reports.iter().map(|r| r.tracking_id.as_str()).collect();
            let rows = sqlx::query(&format!(
                "SELECT c.id, c.channel_ref, c.status, l.lapor_status FROM complaints c \
                 LEFT JOIN lapor_reports l ON l.complaint_id = c.id \
                 WHERE c.unit_id = $1 AND c.channel = 'span_lapor' AND c.channel_ref IN ({})",
                shared::json_texts(DIALECT, 2)
            ))
            .bind(unit_id)
            .bind(serde_json::to_string(&ids).expect("strings serialize"))
            .fetch_all(&mut **conn)
            .await?;
            let mut existing: HashMap<String, shared::ExistingLapor> = HashMap::new();
            for r in &rows {
                let reference: String = r.try_get(1)?;
                existing.insert(
                    reference,
                    shared::ExistingLapor {
                        id: r.try_get(0)?,
                        status: r.try_get(2)?,
                        lapor_status: r.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
                    },
                );
            }
            let refs: Vec<&str> = reports
                .iter()
                .filter(|r| existing.contains_key(&r.tracking_id))
                .flat_map(|r| r.follow_ups.iter().map(|f| f.message_ref.as_str()))
                .collect();
            let mut known_refs: HashSet<String> = HashSet::new();
            if !refs.is_empty() {
                let found: Vec<String> = sqlx::query_scalar(&format!(
                    "SELECT message_ref FROM complaint_messages WHERE channel = 'span_lapor' AND message_ref IN ({})",
                    shared::json_texts(DIALECT, 1)
                ))
                .bind(serde_json::to_string(&refs).expect("strings serialize"))
                .fetch_all(&mut **conn)
                .await?;
                known_refs.extend(found);
            }
            let plans = shared::plan_lapor(reports, &existing, &known_refs);
            if dry_run {
                sqlx::query("ROLLBACK").execute(&mut **conn).await?;
                *in_transaction = false;
                return Ok(plans.iter().map(|p| p.outcome.clone()).collect());
            }
            // New complaints: a block of agenda numbers per year, in file order.
            let template: String = sqlx::query_scalar("SELECT agenda_format FROM units WHERE id = $1")
                .bind(unit_id)
                .fetch_one(&mut **conn)
                .await?;
            let mut per_year: HashMap<i64, i64> = HashMap::new();
            for (p, r) in plans.iter().zip(reports) {
                if matches!(p.outcome, LaporOutcome::New { .. }) {
                    *per_year.entry(i64::from(chrono::Datelike::year(&r.complaint.received_at))).or_default() += 1;
                }
            }
            let mut next_number: HashMap<i64, i64> = HashMap::new();
            for (year, n) in &per_year {
                let last: i64 = sqlx::query_scalar(
                    "INSERT INTO agenda_counters (unit_id, year, last_number) VALUES ($1, $2, $3) \
                     ON CONFLICT (unit_id, year) DO UPDATE SET last_number = agenda_counters.last_number + $3 \
                     RETURNING last_number",
                )
                .bind(unit_id)
                .bind(year)
                .bind(n)
                .fetch_one(&mut **conn)
                .await?;
                next_number.insert(*year, last - n + 1);
            }
            let mut new_rows = Vec::new();
            for (p, r) in plans.iter().zip(reports) {
                if matches!(p.outcome, LaporOutcome::New { .. }) {
                    let year = i64::from(chrono::Datelike::year(&r.complaint.received_at));
                    let number = next_number.get_mut(&year).expect("counted above");
                    let nomor = super::format_nomor_agenda(&template, year, *number);
                    new_rows.push(shared::LaporComplaintRow::new(r, year, *number, nomor));
                    *number += 1;
                }
            }
            // Multi-row VALUES with typed binds: no JSON to build or parse per row.
            let mut new_ids: HashMap<String, i64> = HashMap::new();
            for chunk in new_rows.chunks(shared::lapor_values_rows(28)) {
                let mut insert = sqlx::QueryBuilder::<Db>::new(shared::LAPOR_COMPLAINT_INSERT);
                insert.push_values(chunk, |mut b, row| {
                    let c = &row.report.complaint;
                    let dates = row.report.file_dates();
                    b.push_bind(c.unit_id)
                        .push_bind(row.year)
                        .push_bind(row.number)
                        .push_bind(row.nomor_agenda.as_str())
                        .push_bind(row.tracking_code.as_str())
                        .push_bind(c.channel.key())
                        .push_bind(c.channel_ref.as_deref())
                        .push_bind(c.channel_detail.as_deref())
                        .push_bind(c.received_at)
                        .push_bind(now)
                        .push_bind(recorded_by)
                        .push_bind(c.complainant.name.as_deref())
                        .push_bind(c.complainant.phone.as_deref())
                        .push_bind(c.complainant.email.as_deref())
                        .push_bind(c.complainant.address.as_deref())
                        .push_bind(c.anonim)
                        .push_bind(c.rahasia)
                        .push_bind(c.subject.as_str())
                        .push_bind(c.description.as_str())
                        .push_bind(c.event_place.as_deref())
                        .push_bind(c.event_date)
                        .push_bind(c.klasifikasi.key())
                        .push_bind(c.service_id)
                        .push_bind(row.report.status.key())
                        .push_bind(dates.first_answered_at)
                        .push_bind(dates.answered_at)
                        .push_bind(dates.closed_at)
                        .push_bind(now);
                });
                insert.push(" RETURNING id, channel_ref");
                for row in insert.build().fetch_all(&mut **conn).await? {
                    new_ids.insert(row.try_get(1)?, row.try_get(0)?);
                }
            }
            let numbers: HashMap<&str, &str> =
                new_rows.iter().map(|n| (n.report.tracking_id.as_str(), n.nomor_agenda.as_str())).collect();
            // Status changes on known complaints, dated from the file (never the day
            // of the import: an undated change leaves the date unknown).
            for (p, r) in plans.iter().zip(reports) {
                if let (Some(id), Some(to)) = (p.existing_id, p.set_status) {
                    let dates = r.file_dates();
                    sqlx::query(
                        "UPDATE complaints SET status = $1, updated_at = $2, \
                         first_answered_at = COALESCE(first_answered_at, $3), \
                         answered_at = COALESCE($4, answered_at), \
                         closed_at = CASE WHEN $5 THEN COALESCE(closed_at, $6) ELSE closed_at END \
                         WHERE id = $7",
                    )
                    .bind(to.key())
                    .bind(now)
                    .bind(dates.first_answered_at)
                    .bind(dates.answered_at)
                    .bind(to.is_closed())
                    .bind(dates.closed_at)
                    .bind(id)
                    .execute(&mut **conn)
                    .await?;
                }
            }
            // Control-card events, thread messages and the LAPOR! rows.
            let mut events = Vec::new();
            let mut messages = Vec::new();
            let mut links = Vec::new();
            let mut outcomes = Vec::with_capacity(plans.len());
            for (p, r) in plans.iter().zip(reports) {
                let id = match p.existing_id {
                    Some(id) => id,
                    None => *new_ids
                        .get(r.tracking_id.as_str())
                        .ok_or_else(|| StoreError::Conflict { constraint: "complaints_channel_ref_key".into() })?,
                };
                shared::lapor_rows(p, r, id, now, &mut events, &mut messages, &mut links);
                outcomes.push(match &p.outcome {
                    LaporOutcome::New { .. } => LaporOutcome::New {
                        complaint_id: Some(id),
                        nomor_agenda: numbers.get(r.tracking_id.as_str()).map(|n| (*n).to_owned()),
                    },
                    other => other.clone(),
                });
            }
            for chunk in events.chunks(shared::lapor_values_rows(7)) {
                let mut insert = sqlx::QueryBuilder::<Db>::new(shared::LAPOR_EVENT_INSERT);
                insert.push_values(chunk, |mut b, e| {
                    b.push_bind(e.complaint_id)
                        .push_bind(now)
                        .push_bind(recorded_by)
                        .push_bind(e.kind)
                        .push_bind(e.from_status.as_deref())
                        .push_bind(e.to_status)
                        .push_bind(e.note.as_str());
                });
                insert.build().execute(&mut **conn).await?;
            }
            for chunk in messages.chunks(shared::lapor_values_rows(8)) {
                let mut insert = sqlx::QueryBuilder::<Db>::new(shared::LAPOR_MESSAGE_INSERT);
                insert.push_values(chunk, |mut b, m| {
                    b.push_bind(m.complaint_id)
                        .push_bind("out")
                        .push_bind("span_lapor")
                        .push_bind(m.at)
                        .push_bind(m.sender)
                        .push_bind("")
                        .push_bind(m.body)
                        .push_bind(m.message_ref);
                });
                insert.push(shared::LAPOR_MESSAGE_CONFLICT);
                insert.build().execute(&mut **conn).await?;
            }
            for chunk in links.chunks(shared::lapor_values_rows(8)) {
                let mut insert = sqlx::QueryBuilder::<Db>::new(shared::LAPOR_LINK_INSERT);
                insert.push_values(chunk, |mut b, (id, r)| {
                    b.push_bind(*id)
                        .push_bind(r.complaint.unit_id)
                        .push_bind(r.tracking_id.as_str())
                        .push_bind(r.lapor_status.as_str())
                        .push_bind(r.kategori.as_deref())
                        .push_bind(r.instansi.as_deref())
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.push(shared::LAPOR_LINK_CONFLICT);
                insert.build().execute(&mut **conn).await?;
            }
            if write == super::BatchWrite::Commit {
                sqlx::query("COMMIT").execute(&mut **conn).await?;
                *in_transaction = false;
            }
            Ok(outcomes)
            }
            .await;
            // A failed batch undoes itself and the batches held before it. Failed
            // or not, the connection stays with the session: the import ends it with
            // `finish_bulk_write`, which gives it back as it was; one that cannot
            // roll back is closed instead (dropping `bulk`).
            if result.is_err() && !bulk.end_transaction("ROLLBACK").await {
                return result;
            }
            session.0 = Some(Box::new(bulk));
            result
        }

        async fn commit_bulk_write(&self, session: &mut super::BulkSession) -> Result<(), StoreError> {
            let Some(Ok(mut bulk)) = session.0.take().map(|held| held.downcast::<shared::BulkConnection<Db>>()) else {
                return Ok(());
            };
            if !bulk.in_transaction {
                session.0 = Some(bulk);
                return Ok(());
            }
            let conn = bulk.conn.as_mut().expect("held until the session ends");
            match sqlx::query("COMMIT").execute(&mut **conn).await {
                Ok(_) => {
                    bulk.in_transaction = false;
                    session.0 = Some(bulk);
                    Ok(())
                }
                Err(e) => {
                    if bulk.end_transaction("ROLLBACK").await {
                        session.0 = Some(bulk);
                    }
                    Err(e.into())
                }
            }
        }

        async fn checkpoint_bulk_write(&self) -> Result<(), StoreError> {
            Self::checkpoint(&self.pool).await
        }

        async fn finish_bulk_write(&self, mut session: super::BulkSession) -> Result<(), StoreError> {
            let Some(Ok(mut bulk)) = session.0.take().map(|held| held.downcast::<shared::BulkConnection<Db>>()) else {
                return Ok(());
            };
            let paused = bulk.paused;
            // Batches still held were never confirmed: they go.
            if !bulk.end_transaction("ROLLBACK").await {
                if paused {
                    Self::checkpoint(&self.pool).await?;
                }
                return Ok(());
            }
            if let Some(conn) = bulk.conn.take() {
                if paused {
                    Self::resume_autocheckpoint(conn).await;
                }
                // Unchanged (a dry run): dropping it returns it to the pool.
            }
            if paused {
                Self::checkpoint(&self.pool).await?;
            }
            Ok(())
        }

        async fn lapor_link(&self, complaint_id: i64) -> Result<Option<LaporLink>, StoreError> {
            let row = sqlx::query(
                "SELECT complaint_id, tracking_id, lapor_status, kategori, instansi FROM lapor_reports \
                 WHERE complaint_id = $1",
            )
            .bind(complaint_id)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| {
                Ok(LaporLink {
                    complaint_id: r.try_get(0)?,
                    tracking_id: r.try_get(1)?,
                    lapor_status: r.try_get(2)?,
                    kategori: r.try_get(3)?,
                    instansi: r.try_get(4)?,
                })
            })
            .transpose()
        }

        // --- Email channel (issue 4): threading replies and the IMAP cursor ---

        async fn find_thread(
            &self,
            unit_id: i64,
            refs: &[String],
            nomor_candidates: &[String],
        ) -> Result<Option<i64>, StoreError> {
            // Newest reference first: the message it answers directly wins.
            for r in refs.iter().rev() {
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM complaints WHERE unit_id = $1 AND channel = 'email' AND channel_ref = $2 \
                     UNION ALL SELECT m.complaint_id FROM complaint_messages m JOIN complaints c ON c.id = m.complaint_id \
                     WHERE c.unit_id = $1 AND m.channel = 'email' AND m.message_ref = $2 LIMIT 1",
                )
                .bind(unit_id)
                .bind(r)
                .fetch_optional(&self.pool)
                .await?;
                if found.is_some() {
                    return Ok(found);
                }
            }
            for n in nomor_candidates {
                let found: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM complaints WHERE unit_id = $1 AND nomor_agenda = $2")
                        .bind(unit_id)
                        .bind(n)
                        .fetch_optional(&self.pool)
                        .await?;
                if found.is_some() {
                    return Ok(found);
                }
            }
            Ok(None)
        }

        async fn add_thread_reply(
            &self,
            message: &ComplaintMessage,
            attachments: &[NewAttachment],
            note: &str,
        ) -> Result<Option<i64>, StoreError> {
            let mut tx = self.pool.begin().await?;
            let Some(id) = insert_message(&mut *tx, message).await? else {
                return Ok(None);
            };
            for a in attachments {
                insert_attachment(
                    &mut *tx,
                    &NewAttachment { complaint_id: message.complaint_id, message_id: Some(id), ..a.clone() },
                )
                .await?;
            }
            sqlx::query(
                "INSERT INTO complaint_events (complaint_id, at, kind, note) VALUES ($1, $2, 'pesan_masuk', $3)",
            )
            .bind(message.complaint_id)
            .bind(message.at)
            .bind(note)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(id))
        }

        async fn mailbox_cursor(&self, mailbox: &str) -> Result<Option<MailboxCursor>, StoreError> {
            let row: Option<(i64, i64)> =
                sqlx::query_as("SELECT uid_validity, last_uid FROM mailbox_cursors WHERE mailbox = $1")
                    .bind(mailbox)
                    .fetch_optional(&self.pool)
                    .await?;
            Ok(row.map(|(uid_validity, last_uid)| MailboxCursor { mailbox: mailbox.to_owned(), uid_validity, last_uid }))
        }

        async fn set_mailbox_cursor(
            &self,
            cursor: &MailboxCursor,
            at: chrono::DateTime<chrono::Utc>,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO mailbox_cursors (mailbox, uid_validity, last_uid, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, \
                 updated_at = excluded.updated_at \
                 WHERE mailbox_cursors.uid_validity <> excluded.uid_validity OR mailbox_cursors.last_uid < excluded.last_uid",
            )
            .bind(&cursor.mailbox)
            .bind(cursor.uid_validity)
            .bind(cursor.last_uid)
            .bind(at)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn bulk_load_complaints(&self, complaints: &[BulkComplaint]) -> Result<(), StoreError> {
            let complaint_sql = shared::bulk_complaint_sql(DIALECT);
            let event_sql = shared::bulk_event_sql(DIALECT);
            let mut tx = self.pool.begin().await?;
            let mut next_id: i64 = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM complaints")
                .fetch_one(&mut *tx)
                .await?
                .unwrap_or(0)
                + 1;
            for chunk in complaints.chunks(shared::BULK_CHUNK) {
                let mut rows = Vec::with_capacity(chunk.len());
                let mut events = Vec::with_capacity(chunk.len() * 5);
                for b in chunk {
                    rows.push(shared::complaint_json_row(next_id, b));
                    for e in &b.events {
                        events.push(serde_json::json!([
                            next_id,
                            shared::ts_text(&e.at),
                            e.kind,
                            e.from_status,
                            e.to_status,
                            e.note
                        ]));
                    }
                    next_id += 1;
                }
                sqlx::query(&complaint_sql)
                    .bind(serde_json::Value::Array(rows).to_string())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(&event_sql)
                    .bind(serde_json::Value::Array(events).to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query(shared::RAISE_AGENDA_COUNTERS).execute(&mut *tx).await?;
            Self::after_explicit_ids(&mut tx, "complaints").await?;
            tx.commit().await?;
            Self::after_complaint_load(&self.pool).await?;
            Ok(())
        }

        async fn bulk_load_survey_responses(&self, responses: &[NewSurveyResponse]) -> Result<(), StoreError> {
            let elements: Vec<(i64, String)> = sqlx::query_as("SELECT rule_set_id, key FROM survey_elements")
                .fetch_all(&self.pool)
                .await?;
            super::bulk_responses::check_rows(responses, &super::bulk_responses::keys_by_rule_set(elements))?;
            let mut tx = self.pool.begin().await?;
            // The survey statistics: what the insert stored, added once for the call.
            let known = Self::survey_import_keys_present(&mut tx, responses).await?;
            Self::insert_survey_rows(&mut tx, responses).await?;
            Self::add_to_survey_stats(&mut tx, $crate::storage::survey_stats::inserted_by_bulk(responses, &known))
                .await?;
            tx.commit().await?;
            Ok(())
        }

        async fn bulk_load_survey_stream(
            &self,
            mut chunks: tokio::sync::mpsc::Receiver<super::BulkSurveyChunk>,
            progress: &(dyn Fn(u64) + Send + Sync),
        ) -> Result<u64, StoreError> {
            let elements: Vec<(i64, String)> = sqlx::query_as("SELECT rule_set_id, key FROM survey_elements")
                .fetch_all(&self.pool)
                .await?;
            let keys = super::bulk_responses::keys_by_rule_set(elements);
            let mut tx = self.pool.begin().await?;
            let loaded = async {
                let restore = Self::suspend_survey_indexes(&mut tx).await?;
                // The survey statistics of the whole load, summed in memory (a year is
                // some 10,000 day cells and as many profile cells whatever the number
                // of responses) and written once at the end.
                let order = stats_element_order(&mut *tx).await?;
                let mut stats = $crate::storage::survey_stats::StatsBatch::default();
                let mut loaded = 0u64;
                loop {
                    match chunks.recv().await {
                        Some(super::BulkSurveyChunk::Rows(rows)) => {
                            super::bulk_responses::check_rows(&rows, &keys)?;
                            let known = Self::survey_import_keys_present(&mut tx, &rows).await?;
                            Self::insert_survey_rows(&mut tx, &rows).await?;
                            for r in $crate::storage::survey_stats::inserted_by_bulk(&rows, &known) {
                                stats.add_response(r, &order)?;
                            }
                            loaded += rows.len() as u64;
                            progress(loaded);
                        }
                        Some(super::BulkSurveyChunk::End) => break,
                        None => return Err(super::bulk_responses::stream_cut_short()),
                    }
                }
                apply_survey_stats(&mut tx, &stats).await?;
                for statement in restore {
                    sqlx::query(&statement).execute(&mut *tx).await?;
                }
                Ok::<u64, StoreError>(loaded)
            }
            .await;
            // Roll back at once rather than when the dropped transaction's connection
            // is next used: until then SQLite's write lock stays taken.
            let loaded = match loaded {
                Ok(loaded) => loaded,
                Err(e) => {
                    let _ = tx.rollback().await;
                    return Err(e);
                }
            };
            tx.commit().await?;
            Self::after_survey_load(&self.pool).await?;
            Ok(loaded)
        }

        // ---- Survey intake (issue 7) ----
        async fn survey_questions(&self, rule_set_id: i64) -> Result<Vec<SurveyQuestion>, StoreError> {
            let rows = sqlx::query(
                "SELECT key, code, name, question, answer_1, answer_2, answer_3, answer_4 FROM survey_elements \
                 WHERE rule_set_id = $1 ORDER BY position",
            )
            .bind(rule_set_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(SurveyQuestion {
                        key: r.try_get(0)?,
                        code: r.try_get(1)?,
                        name: r.try_get(2)?,
                        question: r.try_get(3)?,
                        answers: [r.try_get(4)?, r.try_get(5)?, r.try_get(6)?, r.try_get(7)?],
                    })
                })
                .collect()
        }

        async fn record_survey_batch(&self, intakes: &[SurveyIntake]) -> Result<Vec<Option<i64>>, StoreError> {
            if intakes.is_empty() {
                return Ok(Vec::new());
            }
            let elements: Vec<(i64, String)> = sqlx::query_as("SELECT rule_set_id, key FROM survey_elements")
                .fetch_all(&self.pool)
                .await?;
            let mut keys: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
            for (rule_set, key) in elements {
                keys.entry(rule_set).or_default().push(key);
            }
            for i in intakes {
                let r = &i.response;
                shared::check_scores(&r.scores, keys.get(&r.rule_set_id).map(Vec::as_slice).unwrap_or_default())?;
            }
            let now = chrono::Utc::now();
            let mut tx = self.pool.begin().await?;
            let mut ids = Vec::with_capacity(intakes.len());
            for i in intakes {
                let r = &i.response;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO survey_responses (unit_id, service_id, rule_set_id, responded_on, submitted_at, \
                     source, import_key, jenis_kelamin, umur, pendidikan, pekerjaan, saran, scores, kiosk_id, \
                     entered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                     ON CONFLICT (unit_id, import_key) DO NOTHING RETURNING id",
                )
                .bind(r.unit_id)
                .bind(r.service_id)
                .bind(r.rule_set_id)
                .bind(r.responded_on)
                .bind(now)
                .bind(r.source.key())
                .bind(&r.import_key)
                .bind(&r.profile.jenis_kelamin)
                .bind(r.profile.umur)
                .bind(&r.profile.pendidikan)
                .bind(&r.profile.pekerjaan)
                .bind(&r.saran)
                .bind(shared::scores_json(&r.scores))
                .bind(i.kiosk_id)
                .bind(i.entered_by)
                .fetch_optional(&mut *tx)
                .await?;
                ids.push(id);
            }
            let inserted = intakes.iter().zip(&ids).filter(|(_, id)| id.is_some());
            Self::add_to_survey_stats(&mut tx, inserted.map(|(i, _)| &i.response)).await?;
            tx.commit().await?;
            Ok(ids)
        }

        async fn create_kiosk(
            &self,
            unit_id: i64,
            name: &str,
            token_hash: &str,
            service_id: Option<i64>,
        ) -> Result<i64, StoreError> {
            Ok(sqlx::query_scalar(
                "INSERT INTO kiosks (unit_id, name, token_hash, service_id, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(unit_id)
            .bind(name)
            .bind(token_hash)
            .bind(service_id)
            .bind(chrono::Utc::now())
            .fetch_one(&self.pool)
            .await?)
        }

        async fn kiosk_by_token(&self, token_hash: &str) -> Result<Option<Kiosk>, StoreError> {
            let row = sqlx::query(
                "SELECT id, unit_id, name, service_id, created_at, revoked_at FROM kiosks \
                 WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
            row.map(|r| {
                Ok(Kiosk {
                    id: r.try_get(0)?,
                    unit_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    service_id: r.try_get(3)?,
                    created_at: r.try_get(4)?,
                    revoked_at: r.try_get(5)?,
                })
            })
            .transpose()
        }

        async fn list_kiosks(&self, unit_id: i64) -> Result<Vec<Kiosk>, StoreError> {
            let rows = sqlx::query(
                "SELECT id, unit_id, name, service_id, created_at, revoked_at FROM kiosks \
                 WHERE unit_id = $1 ORDER BY id DESC",
            )
            .bind(unit_id)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Kiosk {
                        id: r.try_get(0)?,
                        unit_id: r.try_get(1)?,
                        name: r.try_get(2)?,
                        service_id: r.try_get(3)?,
                        created_at: r.try_get(4)?,
                        revoked_at: r.try_get(5)?,
                    })
                })
                .collect()
        }

        async fn revoke_kiosk(&self, unit_id: i64, kiosk_id: i64) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE kiosks SET revoked_at = $3 WHERE id = $1 AND unit_id = $2 AND revoked_at IS NULL",
            )
            .bind(kiosk_id)
            .bind(unit_id)
            .bind(chrono::Utc::now())
            .execute(&self.pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        async fn survey_export(
            &self,
            unit_id: i64,
            rule_set_id: i64,
            from: chrono::NaiveDate,
            to: chrono::NaiveDate,
        ) -> Result<Vec<ExportedResponse>, StoreError> {
            let rows = sqlx::query(
                "SELECT r.responded_on, s.name, r.scores, r.jenis_kelamin, r.umur, r.pendidikan, r.pekerjaan, \
                 r.saran, r.source, r.kiosk_id FROM survey_responses r LEFT JOIN services s ON s.id = r.service_id \
                 WHERE r.unit_id = $1 AND r.rule_set_id = $2 AND r.responded_on >= $3 AND r.responded_on <= $4 \
                 ORDER BY r.responded_on, r.id",
            )
            .bind(unit_id)
            .bind(rule_set_id)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|r| {
                    let scores: String = r.try_get(2)?;
                    Ok(ExportedResponse {
                        responded_on: r.try_get(0)?,
                        service: r.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
                        scores: serde_json::from_str(&scores)
                            .map_err(|e| StoreError::Rejected(format!("stored scores are not JSON: {e}")))?,
                        profile: RespondentProfile {
                            jenis_kelamin: r.try_get(3)?,
                            umur: r.try_get(4)?,
                            pendidikan: r.try_get(5)?,
                            pekerjaan: r.try_get(6)?,
                        },
                        saran: r.try_get(7)?,
                        source: r.try_get(8)?,
                        kiosk_id: r.try_get(9)?,
                    })
                })
                .collect()
        }
    }
    };
}

pub(super) use impl_store;

/// Reads a unit row selected with [`UNIT_COLUMNS`]; generic over the row type so both
/// backends share it.
macro_rules! unit_from_row_fn {
    ($row:ty) => {
        fn unit_from_row(r: &$row) -> Result<Unit, StoreError> {
            Ok(shared::unit_from_parts(
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
                r.try_get(6)?,
                r.try_get(7)?,
                r.try_get(8)?,
                r.try_get(9)?,
                r.try_get(10)?,
                r.try_get(11)?,
                r.try_get(12)?,
                r.try_get(13)?,
                r.try_get(14)?,
            ))
        }
    };
}

pub(super) use unit_from_row_fn;

/// Columns of a complaint summary, in the order `summary_from_row` reads them.
pub(super) const SUMMARY_COLUMNS: &str = "c.id, c.nomor_agenda, c.channel, c.received_at, c.subject, c.status, c.bobot, \
     j.name, s.name, c.due_at, c.anonim, c.rahasia";

/// How many columns [`SUMMARY_COLUMNS`] has.
pub(super) const SUMMARY_COLUMN_COUNT: usize = 12;

/// The joins [`SUMMARY_COLUMNS`] needs.
pub(super) const SUMMARY_JOINS: &str =
    "LEFT JOIN jenis_pengaduan j ON j.id = c.jenis_id LEFT JOIN services s ON s.id = c.service_id";

/// A LIKE pattern matching `text` anywhere, case-insensitively, with the LIKE
/// wildcards in it taken literally.
pub(super) fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Builds an [`ApiToken`] from its columns.
pub(super) fn api_token_from_parts(
    id: i64,
    unit_id: i64,
    name: String,
    scopes: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
) -> super::model::ApiToken {
    super::model::ApiToken {
        id,
        unit_id,
        name,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        created_at,
        last_used_at,
        revoked_at,
    }
}

macro_rules! summary_from_row_fn {
    ($row:ty) => {
        fn summary_from_row(r: &$row) -> Result<ComplaintSummary, StoreError> {
            Ok(ComplaintSummary {
                id: r.try_get(0)?,
                nomor_agenda: r.try_get(1)?,
                channel: r.try_get(2)?,
                received_at: r.try_get(3)?,
                subject: r.try_get(4)?,
                status: r.try_get(5)?,
                bobot: r.try_get(6)?,
                jenis: r.try_get(7)?,
                service: r.try_get(8)?,
                due_at: r.try_get(9)?,
                anonim: r.try_get(10)?,
                rahasia: r.try_get(11)?,
            })
        }
    };
}

pub(super) use summary_from_row_fn;

/// The few spots where the two SQL dialects differ in the shared code.
#[derive(Debug, Clone, Copy)]
pub(super) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// A table source yielding one `value` per element of the JSON array in `$1`.
    pub(super) fn json_rows(self) -> &'static str {
        match self {
            Dialect::Sqlite => "json_each($1)",
            Dialect::Postgres => "jsonb_array_elements($1::jsonb) AS j(value)",
        }
    }

    /// Field `i` of the JSON array row `value`, typed.
    pub(super) fn field(self, i: usize, sql_type: &str) -> String {
        match self {
            Dialect::Sqlite => format!("value->>{i}"),
            Dialect::Postgres => format!("(value->>{i})::{sql_type}"),
        }
    }
}

/// Columns of a bulk complaint row, with their PostgreSQL types, in JSON order.
pub(super) const BULK_COMPLAINT_COLUMNS: &[(&str, &str)] = &[
    ("id", "bigint"),
    ("unit_id", "bigint"),
    ("agenda_year", "bigint"),
    ("agenda_number", "bigint"),
    ("nomor_agenda", "text"),
    ("tracking_code", "text"),
    ("channel", "text"),
    ("channel_ref", "text"),
    ("channel_detail", "text"),
    ("received_at", "timestamptz"),
    ("recorded_at", "timestamptz"),
    ("complainant_name", "text"),
    ("complainant_phone", "text"),
    ("complainant_email", "text"),
    ("complainant_address", "text"),
    ("anonim", "boolean"),
    ("rahasia", "boolean"),
    ("subject", "text"),
    ("description", "text"),
    ("event_place", "text"),
    ("event_date", "date"),
    ("klasifikasi", "text"),
    ("service_id", "bigint"),
    ("division_id", "bigint"),
    ("bobot", "text"),
    ("status", "text"),
    ("first_answered_at", "timestamptz"),
    ("answered_at", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("verified_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("jenis_key", "text"),
];

/// SQL inserting a JSON array of complaint rows (see [`complaint_json_row`]).
pub(super) fn bulk_complaint_sql(d: Dialect) -> String {
    let n = BULK_COMPLAINT_COLUMNS.len() - 1; // jenis_key is looked up, not stored
    let cols: Vec<&str> = BULK_COMPLAINT_COLUMNS[..n].iter().map(|c| c.0).collect();
    let fields: Vec<String> = BULK_COMPLAINT_COLUMNS[..n]
        .iter()
        .enumerate()
        .map(|(i, (_, ty))| d.field(i, ty))
        .collect();
    format!(
        "INSERT INTO complaints ({}, jenis_id) SELECT {}, \
         (SELECT jp.id FROM jenis_pengaduan jp WHERE jp.unit_id = {} AND jp.key = {}) FROM {}",
        cols.join(", "),
        fields.join(", "),
        d.field(1, "bigint"),
        d.field(n, "text"),
        d.json_rows()
    )
}

/// When a bulk-loaded complaint was first moved past `diterima` (the end of its
/// verification stage), from its control card, as a status move records it.
fn bulk_verified_at(b: &super::model::BulkComplaint) -> Option<DateTime<Utc>> {
    b.events
        .iter()
        .filter(|e| {
            e.from_status
                .as_deref()
                .is_some_and(|f| f == "diterima" || f == "dikembalikan")
                && e.to_status
                    .as_deref()
                    .is_some_and(|t| !matches!(t, "diterima" | "dikembalikan" | "diarsipkan"))
        })
        .map(|e| e.at)
        .min()
}

/// One complaint as a JSON array in [`BULK_COMPLAINT_COLUMNS`] order.
pub(super) fn complaint_json_row(id: i64, b: &super::model::BulkComplaint) -> serde_json::Value {
    let c = &b.complaint;
    let ts = |t: &Option<DateTime<Utc>>| t.as_ref().map(ts_text);
    serde_json::json!([
        id,
        c.unit_id,
        b.agenda_year,
        b.agenda_number,
        b.nomor_agenda,
        b.tracking_code,
        c.channel.key(),
        c.channel_ref,
        c.channel_detail,
        ts_text(&c.received_at),
        ts_text(&c.received_at),
        c.complainant.name,
        c.complainant.phone,
        c.complainant.email,
        c.complainant.address,
        c.anonim,
        c.rahasia,
        c.subject,
        c.description,
        c.event_place,
        c.event_date.map(|d| d.format("%Y-%m-%d").to_string()),
        c.klasifikasi.key(),
        c.service_id,
        b.division_id,
        b.bobot.map(|x| x.key()),
        b.status,
        ts(&b.first_answered_at),
        ts(&b.answered_at),
        ts(&b.closed_at),
        ts(&b.due_at),
        ts(&bulk_verified_at(b)),
        ts_text(
            b.closed_at
                .as_ref()
                .or(b.answered_at.as_ref())
                .unwrap_or(&c.received_at)
        ),
        b.jenis_key,
    ])
}

/// SQL inserting a JSON array of control-card rows `[complaint_id, at, kind, from, to, note]`.
pub(super) fn bulk_event_sql(d: Dialect) -> String {
    format!(
        "INSERT INTO complaint_events (complaint_id, at, kind, from_status, to_status, note) \
         SELECT {}, {}, {}, {}, {}, {} FROM {}",
        d.field(0, "bigint"),
        d.field(1, "timestamptz"),
        d.field(2, "text"),
        d.field(3, "text"),
        d.field(4, "text"),
        d.field(5, "text"),
        d.json_rows()
    )
}

/// SQL inserting a JSON array of survey response rows (see [`response_json_row`]).
pub(super) fn bulk_response_sql(d: Dialect) -> String {
    let types = [
        "bigint",
        "bigint",
        "bigint",
        "date",
        "timestamptz",
        "text",
        "text",
        "text",
        "bigint",
        "text",
        "text",
        "text",
        "text",
    ];
    let fields: Vec<String> = types.iter().enumerate().map(|(i, ty)| d.field(i, ty)).collect();
    format!(
        "INSERT INTO survey_responses (unit_id, service_id, rule_set_id, responded_on, submitted_at, source, \
         import_key, jenis_kelamin, umur, pendidikan, pekerjaan, saran, scores) SELECT {} FROM {} WHERE 1 = 1 \
         ON CONFLICT (unit_id, import_key) DO NOTHING",
        fields.join(", "),
        d.json_rows()
    )
}

/// One survey response as a JSON array in [`bulk_response_sql`] order.
pub(super) fn response_json_row(r: &super::model::NewSurveyResponse) -> serde_json::Value {
    let submitted = r.responded_on.and_hms_opt(12, 0, 0).expect("noon exists").and_utc();
    serde_json::json!([
        r.unit_id,
        r.service_id,
        r.rule_set_id,
        r.responded_on.format("%Y-%m-%d").to_string(),
        ts_text(&submitted),
        r.source.key(),
        r.import_key,
        r.profile.jenis_kelamin,
        r.profile.umur,
        r.profile.pendidikan,
        r.profile.pekerjaan,
        r.saran,
        scores_json(&r.scores),
    ])
}

/// Puts the stored scores (a JSON object keyed by element key) into `out`, in the
/// order of `keys`; elements not answered (or not in this rule set) stay `None`.
pub(super) fn fill_scores(stored: &str, keys: &[&str], out: &mut [Option<u8>]) {
    out.iter_mut().for_each(|s| *s = None);
    if let Ok(map) = serde_json::from_str::<std::collections::HashMap<&str, u8>>(stored) {
        for (i, key) in keys.iter().enumerate() {
            out[i] = map.get(key).copied();
        }
    }
}

/// The stored form of a response's scores: a JSON object keyed by element key.
pub(super) fn scores_json(scores: &std::collections::BTreeMap<String, i64>) -> String {
    serde_json::to_string(scores).expect("a map of strings to integers serializes")
}

/// Refuses scores that name an element outside the rule set (`keys`), lie outside
/// 1-4, or answer nothing at all.
pub(super) fn check_scores(
    scores: &std::collections::BTreeMap<String, i64>,
    keys: &[String],
) -> Result<(), super::StoreError> {
    if scores.is_empty() {
        return Err(super::StoreError::Rejected(
            "a survey response must answer at least one element".into(),
        ));
    }
    for (key, score) in scores {
        if !keys.iter().any(|k| k == key) {
            return Err(super::StoreError::MissingReference(format!(
                "element {key:?} is not in the rule set"
            )));
        }
        if !(1..=4).contains(score) {
            return Err(super::StoreError::Rejected(format!(
                "score {score} for {key:?} is outside 1-4"
            )));
        }
    }
    Ok(())
}

/// Raises every agenda counter to the highest number stored, so intake after a bulk
/// load continues the sequence instead of colliding with it.
pub(super) const RAISE_AGENDA_COUNTERS: &str = "INSERT INTO agenda_counters (unit_id, year, last_number) \
     SELECT unit_id, agenda_year, MAX(agenda_number) FROM complaints WHERE 1 = 1 GROUP BY unit_id, agenda_year \
     ON CONFLICT (unit_id, year) DO UPDATE SET last_number = excluded.last_number \
     WHERE excluded.last_number > agenda_counters.last_number";

/// How many rows go into one bulk statement: large enough to amortise a round trip,
/// small enough to keep one statement's JSON to a few megabytes.
pub(super) const BULK_CHUNK: usize = 5_000;

/// Columns of `outbox` in the order `outbox_from_row` reads them.
pub(super) const OUTBOX_COLUMNS: &str = "id, unit_id, complaint_id, channel, recipient, subject, body, headers, \
     dedupe_key, attempts, status, last_error, sent_at, claim_token";

/// An outbox row that may be claimed at `$1`: due, or claimed before by an instance
/// whose lock has lapsed (it crashed mid-send).
pub(super) const OUTBOX_DUE: &str =
    "((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND locked_until < $1))";

/// Fills the placeholders of a queued acknowledgement with the stored complaint's values.
pub(super) fn fill_placeholders(
    m: &NewOutbox,
    complaint_id: i64,
    nomor_agenda: &str,
    tracking_code: &str,
) -> NewOutbox {
    let fill = |text: &str| {
        text.replace("{nomor_agenda}", nomor_agenda)
            .replace("{tracking_code}", tracking_code)
            .replace("{complaint_id}", &complaint_id.to_string())
    };
    NewOutbox {
        unit_id: m.unit_id,
        complaint_id: Some(complaint_id),
        channel: m.channel.clone(),
        recipient: m.recipient.clone(),
        subject: m.subject.as_deref().map(fill),
        body: fill(&m.body),
        headers: m.headers.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
        dedupe_key: fill(&m.dedupe_key),
    }
}

/// Reads a stored channel settings row.
pub(super) fn channel_settings_from_parts(
    unit_id: i64,
    channel: String,
    config: String,
    enabled: bool,
) -> Result<ChannelSettings, StoreError> {
    let config = serde_json::from_str(&config).map_err(|e| StoreError::Rejected(format!("channel settings: {e}")))?;
    Ok(ChannelSettings {
        unit_id,
        channel,
        config,
        enabled,
    })
}

/// Outbox reading and writing for one backend's row and database types.
macro_rules! outbox_fns {
    ($row:ty, $db:ty) => {
        fn shared_attachment_info(r: &$row) -> Result<AttachmentInfo, StoreError> {
            Ok(AttachmentInfo {
                id: r.try_get(0)?,
                complaint_id: r.try_get(1)?,
                filename: r.try_get(2)?,
                content_type: r.try_get(3)?,
                size_bytes: r.try_get(4)?,
                sha256: r.try_get(5)?,
            })
        }

        fn outbox_from_row(r: &$row) -> Result<OutboxMessage, StoreError> {
            let headers: String = r.try_get(7)?;
            Ok(OutboxMessage {
                id: r.try_get(0)?,
                unit_id: r.try_get(1)?,
                complaint_id: r.try_get(2)?,
                channel: r.try_get(3)?,
                recipient: r.try_get(4)?,
                subject: r.try_get(5)?,
                body: r.try_get(6)?,
                headers: serde_json::from_str(&headers).unwrap_or_default(),
                dedupe_key: r.try_get(8)?,
                attempts: r.try_get(9)?,
                status: r.try_get(10)?,
                last_error: r.try_get(11)?,
                sent_at: r.try_get(12)?,
                claim_token: r.try_get(13)?,
            })
        }

        /// Adds a thread message unless its (channel, message_ref) is stored already in
        /// the complaint's unit (the key is per unit: one mail sent to two units is a
        /// message of each).
        async fn insert_message<'e, E: sqlx::Executor<'e, Database = $db>>(
            exec: E,
            m: &ComplaintMessage,
        ) -> Result<Option<i64>, StoreError> {
            Ok(sqlx::query_scalar(
                "INSERT INTO complaint_messages (complaint_id, direction, channel, at, sender, subject, body, message_ref, unit_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, (SELECT unit_id FROM complaints WHERE id = $1)) \
                 ON CONFLICT (unit_id, channel, message_ref) DO NOTHING RETURNING id",
            )
            .bind(m.complaint_id)
            .bind(&m.direction)
            .bind(&m.channel)
            .bind(m.at)
            .bind(&m.sender)
            .bind(&m.subject)
            .bind(&m.body)
            .bind(&m.message_ref)
            .fetch_optional(exec)
            .await?)
        }

        /// Stores a file with its size and SHA-256.
        async fn insert_attachment<'e, E: sqlx::Executor<'e, Database = $db>>(
            exec: E,
            a: &NewAttachment,
        ) -> Result<i64, StoreError> {
            use sha2::Digest;
            let sha256 = hex::encode(sha2::Sha256::digest(&a.content));
            Ok(sqlx::query_scalar(
                "INSERT INTO attachments (complaint_id, message_id, filename, content_type, size_bytes, sha256, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(a.complaint_id)
            .bind(a.message_id)
            .bind(&a.filename)
            .bind(&a.content_type)
            .bind(a.content.len() as i64)
            .bind(sha256)
            .bind(&a.content)
            .bind(chrono::Utc::now())
            .fetch_one(exec)
            .await?)
        }

        /// Queues one message unless its dedupe key is queued already.
        async fn insert_outbox<'e, E: sqlx::Executor<'e, Database = $db>>(
            exec: E,
            m: &NewOutbox,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, StoreError> {
            if !OUTBOX_CHANNELS.contains(&m.channel.as_str()) {
                return Err(StoreError::Rejected(format!("outbox channel {}", m.channel)));
            }
            let headers = serde_json::to_string(&m.headers).expect("a string map serializes");
            let done = sqlx::query(
                "INSERT INTO outbox (unit_id, complaint_id, channel, recipient, subject, body, headers, dedupe_key, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (dedupe_key) DO NOTHING",
            )
            .bind(m.unit_id)
            .bind(m.complaint_id)
            .bind(&m.channel)
            .bind(&m.recipient)
            .bind(&m.subject)
            .bind(&m.body)
            .bind(headers)
            .bind(&m.dedupe_key)
            .bind(now)
            .execute(exec)
            .await?;
            Ok(done.rows_affected() == 1)
        }
    };
}

pub(super) use outbox_fns;

// --- SPAN-LAPOR! import (issue 5) ---

/// A complaint imported from LAPOR! before, as a new batch finds it.
#[derive(Debug, Clone)]
pub(super) struct ExistingLapor {
    /// The complaint.
    pub id: i64,
    /// Its status here.
    pub status: String,
    /// The LAPOR! status text as last imported ("" when never).
    pub lapor_status: String,
}

/// What to do with one report of a batch; made before anything is written, so a dry
/// run and a real run decide the same way.
#[derive(Debug, Clone)]
pub(super) struct LaporPlan {
    /// The answer for the caller.
    pub outcome: super::model::LaporOutcome,
    /// The complaint imported before, if any.
    pub existing_id: Option<i64>,
    /// Our status before this import (of an existing complaint).
    pub from_status: String,
    /// The new status to set, when it differs from ours.
    pub set_status: Option<crate::domain::ComplaintStatus>,
    /// Indexes into the report's follow-ups that are not stored yet.
    pub new_follow_ups: Vec<usize>,
}

/// Status texts compare without case and extra spaces ("Sedang  diproses" is
/// "Sedang Diproses").
pub(super) fn same_status_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    norm(a) == norm(b)
}

/// Decides new / updated / unchanged for each report of a batch.
pub(super) fn plan_lapor(
    reports: &[super::model::LaporReport],
    existing: &std::collections::HashMap<String, ExistingLapor>,
    known_refs: &std::collections::HashSet<String>,
) -> Vec<LaporPlan> {
    use super::model::LaporOutcome;
    reports
        .iter()
        .map(|r| match existing.get(&r.tracking_id) {
            None => LaporPlan {
                outcome: LaporOutcome::New {
                    complaint_id: None,
                    nomor_agenda: None,
                },
                existing_id: None,
                from_status: String::new(),
                set_status: None,
                new_follow_ups: (0..r.follow_ups.len()).collect(),
            },
            Some(e) => {
                let status_changed =
                    !r.lapor_status.trim().is_empty() && !same_status_text(&r.lapor_status, &e.lapor_status);
                let new_follow_ups: Vec<usize> = r
                    .follow_ups
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| !known_refs.contains(&f.message_ref))
                    .map(|(i, _)| i)
                    .collect();
                let outcome = if status_changed || !new_follow_ups.is_empty() {
                    LaporOutcome::Updated {
                        complaint_id: e.id,
                        status_change: status_changed.then(|| (e.lapor_status.clone(), r.lapor_status.clone())),
                        new_follow_ups: new_follow_ups.len(),
                    }
                } else {
                    LaporOutcome::Unchanged { complaint_id: e.id }
                };
                LaporPlan {
                    outcome,
                    existing_id: Some(e.id),
                    from_status: e.status.clone(),
                    set_status: (status_changed && r.status.key() != e.status).then_some(r.status),
                    new_follow_ups,
                }
            }
        })
        .collect()
}

/// A subquery yielding the strings of the JSON array in parameter `$param`.
pub(super) fn json_texts(d: Dialect, param: usize) -> String {
    match d {
        Dialect::Sqlite => format!("SELECT value FROM json_each(${param})"),
        Dialect::Postgres => format!("SELECT jsonb_array_elements_text(${param}::jsonb)"),
    }
}

/// The pooled connection a run of bulk batches writes through (kept in a
/// [`super::BulkSession`]). The batches may change the connection for the run
/// (SQLite: no checkpoint at their commits); when the run is abandoned before
/// `finish_bulk_write` set the change back (its future dropped, e.g. by a client
/// that hung up mid-upload), the connection is closed here instead of going back to
/// the pool changed. `finish_bulk_write` takes the connection out first.
pub(super) struct BulkConnection<DB: sqlx::Database> {
    /// The connection, until the run ends.
    pub conn: Option<sqlx::pool::PoolConnection<DB>>,
    /// Whether its checkpoints are paused.
    pub paused: bool,
    /// Whether a transaction is open on it (held batches, or a batch that failed).
    pub in_transaction: bool,
}

impl<DB: sqlx::Database> BulkConnection<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    /// Ends the open transaction, if any, with `COMMIT` or `ROLLBACK`. False when
    /// that failed: the connection is then left to be closed (by dropping this)
    /// rather than go back to the pool inside a transaction.
    pub async fn end_transaction(&mut self, end: &'static str) -> bool {
        let Some(conn) = self.conn.as_mut() else {
            return true;
        };
        if !self.in_transaction {
            return true;
        }
        match sqlx::query(end).execute(&mut **conn).await {
            Ok(_) => {
                self.in_transaction = false;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not end the bulk transaction; closing the connection");
                false
            }
        }
    }
}

impl<DB: sqlx::Database> Drop for BulkConnection<DB> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}

/// Rows per multi-row `VALUES` statement of the SPAN-LAPOR! import, for a table
/// with `params` columns bound per row: as many as stay under SQLite's 32,766 host
/// parameters (PostgreSQL allows 65,535). Fewer, larger statements mean fewer
/// round trips to the database thread and, on SQLite, fewer flushes of the
/// full-text index, which writes its pending terms at the end of each statement.
pub(super) const fn lapor_values_rows(params: usize) -> usize {
    32_000 / params
}

/// The head of the multi-row insert of new imported complaints (values follow).
pub(super) const LAPOR_COMPLAINT_INSERT: &str = "INSERT INTO complaints (unit_id, agenda_year, agenda_number, \
     nomor_agenda, tracking_code, channel, channel_ref, channel_detail, received_at, recorded_at, recorded_by, \
     complainant_name, complainant_phone, complainant_email, complainant_address, anonim, rahasia, subject, \
     description, event_place, event_date, klasifikasi, service_id, status, first_answered_at, answered_at, \
     closed_at, updated_at) ";

/// The head of the multi-row insert of control-card entries.
pub(super) const LAPOR_EVENT_INSERT: &str =
    "INSERT INTO complaint_events (complaint_id, at, actor_id, kind, from_status, to_status, note) ";

/// The head of the multi-row insert of follow-up messages.
pub(super) const LAPOR_MESSAGE_INSERT: &str =
    "INSERT INTO complaint_messages (complaint_id, direction, channel, at, sender, subject, body, message_ref) ";

/// The tail of the follow-up insert: a follow-up stored before is skipped. No
/// conflict target and no `unit_id` (a trigger of 0012 fills it in from the
/// complaint), so the same statement works on every schema since 0001.
pub(super) const LAPOR_MESSAGE_CONFLICT: &str = " ON CONFLICT DO NOTHING";

/// The head of the multi-row upsert of the LAPOR! side rows.
pub(super) const LAPOR_LINK_INSERT: &str = "INSERT INTO lapor_reports (complaint_id, unit_id, tracking_id, \
     lapor_status, kategori, instansi, first_imported_at, last_changed_at) ";

/// The tail of the LAPOR! side upsert: a newer export updates what it knows.
pub(super) const LAPOR_LINK_CONFLICT: &str = " ON CONFLICT (complaint_id) DO UPDATE SET \
     lapor_status = excluded.lapor_status, kategori = COALESCE(excluded.kategori, lapor_reports.kategori), \
     instansi = COALESCE(excluded.instansi, lapor_reports.instansi), last_changed_at = excluded.last_changed_at";

/// A new imported complaint with its number, ready to bind: borrowed from the
/// report, so a batch allocates nothing per field.
pub(super) struct LaporComplaintRow<'a> {
    /// The report read from the file.
    pub report: &'a super::model::LaporReport,
    /// Agenda year.
    pub year: i64,
    /// Running number within the year.
    pub number: i64,
    /// The formatted nomor agenda.
    pub nomor_agenda: String,
    /// A fresh public tracking code.
    pub tracking_code: String,
}

impl<'a> LaporComplaintRow<'a> {
    /// Numbers a report that is new to this unit.
    pub fn new(report: &'a super::model::LaporReport, year: i64, number: i64, nomor_agenda: String) -> Self {
        Self {
            report,
            year,
            number,
            nomor_agenda,
            tracking_code: super::new_tracking_code(),
        }
    }
}

/// A control-card entry an import writes.
pub(super) struct LaporEventRow {
    /// The complaint.
    pub complaint_id: i64,
    /// Event kind (`diterima`, `status`, `note`, `tindak_lanjut`).
    pub kind: &'static str,
    /// Status before, for a move.
    pub from_status: Option<String>,
    /// Status after, for a move.
    pub to_status: Option<&'static str>,
    /// What a reader of the control card sees.
    pub note: String,
}

/// A follow-up of the agency, stored as an outgoing thread message.
pub(super) struct LaporMessageRow<'a> {
    /// The complaint.
    pub complaint_id: i64,
    /// When LAPOR! says it was written (or now).
    pub at: DateTime<Utc>,
    /// The agency that wrote it.
    pub sender: &'a str,
    /// The follow-up text.
    pub body: &'a str,
    /// Its stable reference, unique per channel.
    pub message_ref: &'a str,
}

/// What one report adds besides the complaint row itself.
pub(super) fn lapor_rows<'a>(
    p: &LaporPlan,
    r: &'a super::model::LaporReport,
    complaint_id: i64,
    now: DateTime<Utc>,
    events: &mut Vec<LaporEventRow>,
    messages: &mut Vec<LaporMessageRow<'a>>,
    links: &mut Vec<(i64, &'a super::model::LaporReport)>,
) {
    use super::model::LaporOutcome;
    let mut event = |kind: &'static str, from: Option<String>, to: Option<&'static str>, note: String| {
        events.push(LaporEventRow {
            complaint_id,
            kind,
            from_status: from,
            to_status: to,
            note,
        });
    };
    match &p.outcome {
        LaporOutcome::Unchanged { .. } => return,
        LaporOutcome::New { .. } => {
            let sumber = r
                .complaint
                .channel_detail
                .as_deref()
                .map(|s| format!("; sumber: {s}"))
                .unwrap_or_default();
            event(
                "diterima",
                None,
                Some("diterima"),
                format!("Diimpor dari SP4N-LAPOR! #{}{sumber}", r.tracking_id),
            );
            if r.status != crate::domain::ComplaintStatus::Diterima {
                event(
                    "status",
                    Some("diterima".to_owned()),
                    Some(r.status.key()),
                    format!("Status di SP4N-LAPOR!: {}", r.lapor_status),
                );
            }
        }
        LaporOutcome::Updated { status_change, .. } => {
            if let Some((old, new)) = status_change {
                let note = if old.is_empty() {
                    format!("Status di SP4N-LAPOR!: {new}")
                } else {
                    format!("Status di SP4N-LAPOR! berubah: {old} → {new}")
                };
                match p.set_status {
                    Some(to) => event("status", Some(p.from_status.clone()), Some(to.key()), note),
                    None => event("note", None, None, note),
                }
            }
        }
    }
    for &i in &p.new_follow_ups {
        let f = &r.follow_ups[i];
        event(
            "tindak_lanjut",
            None,
            None,
            format!("Tindak lanjut di SP4N-LAPOR!: {}", short_note(&f.text)),
        );
        messages.push(LaporMessageRow {
            complaint_id,
            at: f.at.unwrap_or(now),
            sender: r.instansi.as_deref().unwrap_or("SP4N-LAPOR!"),
            body: &f.text,
            message_ref: &f.message_ref,
        });
    }
    links.push((complaint_id, r));
}

/// A follow-up's text shortened for a control-card note (the thread keeps it whole).
fn short_note(text: &str) -> String {
    const MAX: usize = 300;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= MAX {
        flat
    } else {
        format!("{}…", flat.chars().take(MAX).collect::<String>())
    }
}
