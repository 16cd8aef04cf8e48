//! The SPAN-LAPOR! import's batch writes and bulk sessions (issue 5): the SQL both
//! dialects accept, expanded into each backend's `impl Store` by `shared::impl_store!`.
//! Split out of `shared.rs` (issue 17) to keep that file one a person can hold in mind.

/// `import_lapor_batch` and the bulk-session methods around it.

macro_rules! lapor_store_methods {
    () => {
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
                    let answered = row.answered.then_some(now);
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
                        .push_bind(answered)
                        .push_bind(answered)
                        .push_bind(row.closed.then_some(now))
                        .push_bind(now);
                });
                insert.push(" RETURNING id, channel_ref");
                for row in insert.build().fetch_all(&mut **conn).await? {
                    new_ids.insert(row.try_get(1)?, row.try_get(0)?);
                }
            }
            let numbers: HashMap<&str, &str> =
                new_rows.iter().map(|n| (n.report.tracking_id.as_str(), n.nomor_agenda.as_str())).collect();
            // Status changes on known complaints.
            for p in &plans {
                if let (Some(id), Some(to)) = (p.existing_id, p.set_status) {
                    let (answered, closed) = shared::status_marks(to);
                    sqlx::query(
                        "UPDATE complaints SET status = $1, updated_at = $2, \
                         first_answered_at = CASE WHEN $3 THEN COALESCE(first_answered_at, $2) ELSE first_answered_at END, \
                         answered_at = CASE WHEN $3 THEN COALESCE(answered_at, $2) ELSE answered_at END, \
                         closed_at = CASE WHEN $4 THEN COALESCE(closed_at, $2) ELSE closed_at END \
                         WHERE id = $5",
                    )
                    .bind(to.key())
                    .bind(now)
                    .bind(answered)
                    .bind(closed)
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
    };
}

pub(super) use lapor_store_methods;
