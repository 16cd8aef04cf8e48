//! The shared storage suite: every test runs on SQLite and on PostgreSQL.

use chrono::{NaiveDate, TimeZone, Utc};
use tanggap::domain::{Channel, Klasifikasi, Role, SurveySource};
use tanggap::storage::StoreError;
use tanggap::storage::model::*;
use tanggap_tests::{TestDb, on_both_databases, small_demo};

fn unit(code: &str) -> NewUnit {
    NewUnit {
        code: code.to_owned(),
        name: format!("Dinas Uji {code}"),
        short_name: code.to_uppercase(),
        address: "Jl. Sudirman No. 1".to_owned(),
        city: "Dumai".to_owned(),
        phone: "(0765) 123".to_owned(),
        email: "pengaduan@contoh.go.id".to_owned(),
        time_zone: "Asia/Jakarta".to_owned(),
        letterhead: vec!["PEMERINTAH KOTA UJI".to_owned(), "DINAS UJI".to_owned()],
        head_title: "Kepala Dinas".to_owned(),
        head_name: "Budi".to_owned(),
        head_nip: "1".to_owned(),
        complaint_channels: vec![Channel::Email, Channel::KotakSaran],
    }
}

fn complaint(unit_id: i64, channel: Channel, reference: Option<&str>) -> NewComplaint {
    NewComplaint {
        unit_id,
        channel,
        channel_ref: reference.map(str::to_owned),
        channel_detail: None,
        received_at: Utc.with_ymd_and_hms(2026, 3, 2, 2, 30, 0).unwrap(),
        recorded_by: None,
        complainant: Complainant {
            name: Some("Siti Aminah".into()),
            phone: Some("081234567890".into()),
            ..Default::default()
        },
        anonim: false,
        rahasia: false,
        subject: "Antrean terlalu lama".into(),
        description: "Saya menunggu tiga jam di loket.".into(),
        event_place: None,
        event_date: NaiveDate::from_ymd_opt(2026, 3, 1),
        klasifikasi: Klasifikasi::Pengaduan,
        service_id: None,
    }
}

on_both_databases!(units_services_and_divisions_round_trip, |db: TestDb| async move {
    let store = db.store.clone();
    let id = store.create_unit(&unit("dinas-uji")).await.unwrap();
    let div = store.create_division(id, "Bidang Rehabilitasi Sosial").await.unwrap();
    let service = NewService {
        code: "kartu-disabilitas".into(),
        name: "Penerbitan Kartu Penyandang Disabilitas".into(),
        division_id: Some(div),
        requirements: vec!["Fotokopi KTP".into(), "Fotokopi KK".into()],
        completion_days: 3,
        completion_text: "3 (tiga) hari kerja".into(),
        working_days: true,
        fee_rupiah: 0,
        fee_text: "Gratis".into(),
        product: "Kartu Penyandang Disabilitas".into(),
        complaint_channels: vec![Channel::TatapMuka],
    };
    let sid = store.create_service(id, &service).await.unwrap();
    let u = store.unit_by_code("dinas-uji").await.unwrap().expect("stored");
    assert_eq!(u.id, id);
    assert_eq!(u.letterhead, ["PEMERINTAH KOTA UJI", "DINAS UJI"]);
    assert_eq!(u.complaint_channels, [Channel::Email, Channel::KotakSaran]);
    assert_eq!(u.agenda_format, "ADU/{year}/{number:06}");
    let services = store.list_services(id).await.unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].id, sid);
    assert_eq!(services[0].requirements, ["Fotokopi KTP", "Fotokopi KK"]);
    assert_eq!(services[0].division_id, Some(div));
    assert!(services[0].working_days);
    assert_eq!(
        store.list_divisions(id).await.unwrap()[0].name,
        "Bidang Rehabilitasi Sosial"
    );
    assert!(store.unit_by_code("tidak-ada").await.unwrap().is_none());
});

on_both_databases!(
    duplicates_and_bad_values_are_refused_and_change_nothing,
    |db: TestDb| async move {
        let store = db.store.clone();
        store.create_unit(&unit("dinas-uji")).await.unwrap();
        let before = store.counts().await.unwrap();
        let err = store.create_unit(&unit("dinas-uji")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "got {err:?}");
        let err = store.create_unit(&unit("Kode Salah!")).await.unwrap_err();
        assert!(matches!(err, StoreError::Rejected(_)), "got {err:?}");
        assert_eq!(store.counts().await.unwrap(), before, "failed writes leave no trace");
    }
);

on_both_databases!(
    nomor_agenda_runs_per_unit_and_year_and_channel_refs_are_idempotent,
    |db: TestDb| async move {
        let store = db.store.clone();
        let a = store.create_unit(&unit("unit-a")).await.unwrap();
        let b = store.create_unit(&unit("unit-b")).await.unwrap();
        let first = store
            .record_complaint(&complaint(a, Channel::KotakSaran, None))
            .await
            .unwrap();
        let second = store
            .record_complaint(&complaint(a, Channel::Telepon, None))
            .await
            .unwrap();
        let other = store
            .record_complaint(&complaint(b, Channel::Surat, None))
            .await
            .unwrap();
        assert_eq!(first.nomor_agenda, "ADU/2026/000001");
        assert_eq!(second.nomor_agenda, "ADU/2026/000002");
        assert_eq!(other.nomor_agenda, "ADU/2026/000001", "each unit has its own sequence");
        assert_ne!(first.tracking_code, second.tracking_code);

        let mail = store
            .record_complaint(&complaint(a, Channel::Email, Some("<abc@contoh.id>")))
            .await
            .unwrap();
        assert!(mail.created);
        let again = store
            .record_complaint(&complaint(a, Channel::Email, Some("<abc@contoh.id>")))
            .await
            .unwrap();
        assert!(!again.created, "a re-poll is a no-op");
        assert_eq!(again.id, mail.id);
        assert_eq!(again.nomor_agenda, mail.nomor_agenda);
        let next = store.record_complaint(&complaint(a, Channel::Sms, None)).await.unwrap();
        assert_eq!(
            next.nomor_agenda, "ADU/2026/000004",
            "the rejected duplicate used no number"
        );

        let events = store.complaint_events(first.id).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].to_status.as_deref(), Some("diterima"));

        let view = store
            .complaint_status(&first.tracking_code)
            .await
            .unwrap()
            .expect("found");
        assert_eq!(view.status, "diterima");
        assert_eq!(view.unit_code, "unit-a");
        assert!(store.complaint_status("TIDAKADA").await.unwrap().is_none());

        let mut bad = complaint(a, Channel::Telepon, None);
        bad.complainant.nik = Some("12345".into());
        let before = store.counts().await.unwrap();
        assert!(matches!(
            store.record_complaint(&bad).await.unwrap_err(),
            StoreError::Rejected(_)
        ));
        assert_eq!(store.counts().await.unwrap(), before);
        let after_bad = store
            .record_complaint(&complaint(a, Channel::Telepon, None))
            .await
            .unwrap();
        assert_eq!(
            after_bad.nomor_agenda, "ADU/2026/000005",
            "a failed complaint gives its number back"
        );
    }
);

on_both_databases!(concurrent_intake_never_duplicates_a_number, |db: TestDb| async move {
    let store = db.store.clone();
    let a = store.create_unit(&unit("unit-a")).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let reference = format!("ref-{}", i % 12);
            store
                .record_complaint(&complaint(a, Channel::Whatsapp, Some(&reference)))
                .await
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        match r {
            Ok(r) if r.created => numbers.push(r.nomor_agenda),
            Ok(_) => {}
            Err(e) => assert!(
                e.is_conflict(),
                "only a lost race on the same reference may fail: {e:?}"
            ),
        }
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 12, "twelve distinct references, twelve complaints");
    assert_eq!(store.counts().await.unwrap().complaints, 12);
});

on_both_databases!(
    survey_responses_are_keyed_by_element_and_import_key,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit_id = store.create_unit(&unit("unit-a")).await.unwrap();
        let sets = store.survey_rule_sets().await.unwrap();
        assert_eq!(sets.len(), 2);
        let current = sets.iter().find(|s| s.is_default).unwrap();
        assert_eq!(current.code, "permenpan-rb-14-2017");
        let keys: Vec<&str> = current.elements.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "persyaratan",
                "prosedur",
                "waktu",
                "biaya",
                "produk",
                "kompetensi",
                "perilaku",
                "sarana",
                "pengaduan"
            ]
        );
        let legacy = sets.iter().find(|s| s.code == "kepmenpan-25-2004").unwrap();
        assert_eq!(legacy.elements.len(), 14);

        let response = NewSurveyResponse {
            unit_id,
            service_id: None,
            rule_set_id: current.id,
            responded_on: NaiveDate::from_ymd_opt(2026, 5, 4).unwrap(),
            source: SurveySource::Import,
            import_key: Some("file-a:row-2".into()),
            scores: current.elements.iter().map(|e| (e.key.clone(), 4)).collect(),
            profile: RespondentProfile {
                jenis_kelamin: Some("P".into()),
                umur: Some(34),
                ..Default::default()
            },
            saran: Some("Pertahankan.".into()),
        };
        assert!(store.record_survey_response(&response).await.unwrap().is_some());
        assert!(
            store.record_survey_response(&response).await.unwrap().is_none(),
            "re-import adds nothing"
        );
        let counts = store.counts().await.unwrap();
        assert_eq!(counts.survey_responses, 1);

        let mut bad = response.clone();
        bad.import_key = Some("file-a:row-3".into());
        bad.scores.insert("biaya".into(), 5);
        assert!(
            matches!(
                store.record_survey_response(&bad).await.unwrap_err(),
                StoreError::Rejected(_)
            ),
            "score 5 is refused"
        );
        let mut empty = response.clone();
        empty.import_key = Some("file-a:row-5".into());
        empty.scores.clear();
        assert!(matches!(
            store.record_survey_response(&empty).await.unwrap_err(),
            StoreError::Rejected(_)
        ));
        let mut wrong_set = response.clone();
        wrong_set.import_key = Some("file-a:row-4".into());
        wrong_set.scores.insert(legacy.elements[5].key.clone(), 3);
        assert!(matches!(
            store.record_survey_response(&wrong_set).await.unwrap_err(),
            StoreError::MissingReference(_)
        ));
        assert_eq!(
            store.counts().await.unwrap(),
            counts,
            "rejected responses leave nothing behind"
        );
    }
);

on_both_databases!(holidays_upsert, |db: TestDb| async move {
    let store = db.store.clone();
    let day = NaiveDate::from_ymd_opt(2026, 8, 17).unwrap();
    let h = Holiday {
        day,
        name: "Hari Kemerdekaan".into(),
        kind: "libur_nasional".into(),
    };
    assert_eq!(store.upsert_holidays(std::slice::from_ref(&h)).await.unwrap(), 1);
    assert_eq!(
        store.upsert_holidays(std::slice::from_ref(&h)).await.unwrap(),
        0,
        "unchanged rows are not rewritten"
    );
    let renamed = Holiday {
        name: "Hari Kemerdekaan RI".into(),
        ..h
    };
    assert_eq!(store.upsert_holidays(std::slice::from_ref(&renamed)).await.unwrap(), 1);
    let listed = store.list_holidays(day, day).await.unwrap();
    assert_eq!(listed, [renamed]);
});

on_both_databases!(users_are_found_case_insensitively, |db: TestDb| async move {
    let store = db.store.clone();
    let unit_id = store.create_unit(&unit("unit-a")).await.unwrap();
    let hash = tanggap::passwords::hash("kata-sandi-panjang").unwrap();
    let user = NewUser {
        username: "Petugas1".into(),
        full_name: "Rina".into(),
        password_hash: hash,
        roles: vec![(unit_id, Role::Petugas)],
    };
    store.create_user(&user).await.unwrap();
    let found = store.user_by_username("petugas1").await.unwrap().expect("found");
    assert_eq!(found.roles, [(unit_id, Role::Petugas)]);
    assert!(tanggap::passwords::verify("kata-sandi-panjang", &found.password_hash));
    let dup = NewUser {
        username: "PETUGAS1".into(),
        ..user
    };
    assert!(store.create_user(&dup).await.unwrap_err().is_conflict());
});

on_both_databases!(
    demo_data_loads_deterministically_and_intake_continues_after_it,
    |db: TestDb| async move {
        let store = db.store.clone();
        let options = small_demo();
        let summary = tanggap::demo::load_demo(store.as_ref(), &options)
            .await
            .unwrap()
            .expect("loaded");
        assert_eq!(summary.units, 4);
        assert_eq!(summary.services, 25);
        let counts = store.counts().await.unwrap();
        assert_eq!(counts.complaints, 300);
        assert_eq!(counts.survey_responses, 2_000);
        assert!(
            counts.complaint_events >= 300,
            "every complaint has at least its arrival entry"
        );
        assert!(
            tanggap::demo::load_demo(store.as_ref(), &options)
                .await
                .unwrap()
                .is_none(),
            "second load is a no-op"
        );
        assert_eq!(store.counts().await.unwrap(), counts);

        // Same seed, same data: compare against a fresh SQLite load.
        let other = TestDb::sqlite().await;
        tanggap::demo::load_demo(other.store.as_ref(), &options).await.unwrap();
        let a = store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
        let mut received = Vec::new();
        for s in [&store, &other.store] {
            let u = s.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
            received.push((s.counts().await.unwrap(), s.list_services(u.id).await.unwrap().len()));
        }
        assert_eq!(received[0], received[1]);

        // Intake after the bulk load continues the unit's agenda sequence.
        let mut c = complaint(a.id, Channel::Website, None);
        c.received_at = Utc.with_ymd_and_hms(2026, 11, 21, 3, 0, 0).unwrap();
        let recorded = store.record_complaint(&c).await.unwrap();
        let n: u32 = recorded.nomor_agenda.rsplit('/').next().unwrap().parse().unwrap();
        assert!(
            n > 1,
            "numbering continues after the demo's {} (got {})",
            counts.complaints,
            recorded.nomor_agenda
        );
    }
);

/// The two migration folders must describe the same tables and columns, or code that
/// works on one database breaks on the other. SQLite's full-text index (the FTS5
/// table `complaints_fts` and its shadow tables) has no table counterpart in
/// PostgreSQL, which indexes the same text with a GIN expression index.
#[tokio::test]
async fn sqlite_and_postgres_schemas_have_the_same_tables_and_columns() {
    let Some(pg) = TestDb::postgres().await else { return };
    let lite = TestDb::sqlite().await;
    let lite_pool = sqlx::sqlite::SqlitePool::connect(&lite.url).await.unwrap();
    let lite_cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
         AND m.name NOT LIKE 'complaints_fts%' ORDER BY 1, 2",
    )
    .fetch_all(&lite_pool)
    .await
    .unwrap();
    let pg_pool = sqlx::postgres::PgPool::connect(&pg.url).await.unwrap();
    let pg_cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' ORDER BY 1, 2",
    )
    .fetch_all(&pg_pool)
    .await
    .unwrap();
    assert!(
        lite_cols.len() > 150,
        "the scan sees the schema ({} columns)",
        lite_cols.len()
    );
    assert_eq!(lite_cols, pg_cols);
    // Every timestamp column is a real timestamp in PostgreSQL.
    let text_times: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = 'public' \
         AND (column_name LIKE '%\\_at' OR column_name IN ('at', 'lease_until', 'locked_until')) \
         AND data_type <> 'timestamp with time zone'",
    )
    .fetch_all(&pg_pool)
    .await
    .unwrap();
    assert!(
        text_times.is_empty(),
        "timestamp columns stored as text: {text_times:?}"
    );
    lite_pool.close().await;
    pg_pool.close().await;
}

fn ack(unit_id: i64) -> NewOutbox {
    NewOutbox {
        unit_id: Some(unit_id),
        complaint_id: None,
        channel: "email".into(),
        recipient: "siti@contoh.id".into(),
        subject: Some("Pengaduan {nomor_agenda} diterima".into()),
        body: "Kode lacak: {tracking_code}".into(),
        headers: [("Message-ID".to_owned(), "<ack.{tracking_code}@tanggap>".to_owned())].into(),
        dedupe_key: "ack:{complaint_id}".into(),
    }
}

fn extras(unit_id: i64) -> ComplaintExtras {
    ComplaintExtras {
        first_message: Some(ComplaintMessage {
            id: 0,
            complaint_id: 0,
            direction: "in".into(),
            channel: "email".into(),
            at: Utc.with_ymd_and_hms(2026, 3, 2, 2, 30, 0).unwrap(),
            sender: "siti@contoh.id".into(),
            subject: "Antrean".into(),
            body: "Isi surel".into(),
            message_ref: Some("<m1@contoh.id>".into()),
        }),
        attachments: vec![NewAttachment {
            complaint_id: 0,
            message_id: None,
            filename: "foto.png".into(),
            content_type: "image/png".into(),
            content: vec![0x89, b'P', b'N', b'G'],
        }],
        notify: vec![ack(unit_id)],
        idempotency: None,
    }
}

on_both_databases!(
    acknowledgements_are_queued_with_the_complaint_and_claimed_once,
    |db: TestDb| async move {
        let store = db.store.clone();
        let unit_id = store.create_unit(&unit("dinas-outbox")).await.unwrap();
        let c = complaint(unit_id, Channel::Email, Some("<m1@contoh.id>"));
        let first = store.record_complaint_with(&c, &extras(unit_id)).await.unwrap();
        assert!(first.created);
        // A redelivery queues nothing new.
        let again = store.record_complaint_with(&c, &extras(unit_id)).await.unwrap();
        assert!(!again.created);
        let thread = store.complaint_messages(first.id).await.unwrap();
        assert_eq!(thread.len(), 1, "the original message is on the thread once");
        assert_eq!(thread[0].message_ref.as_deref(), Some("<m1@contoh.id>"));
        let files = store.attachments(first.id).await.unwrap();
        assert_eq!(files.len(), 1, "attachments stored once");
        let queued = store.outbox_for_complaint(first.id).await.unwrap();
        assert_eq!(queued.len(), 1);
        let m = &queued[0];
        assert_eq!(
            m.subject.as_deref(),
            Some(format!("Pengaduan {} diterima", first.nomor_agenda).as_str())
        );
        assert_eq!(m.body, format!("Kode lacak: {}", first.tracking_code));
        assert_eq!(
            m.headers["Message-ID"],
            format!("<ack.{}@tanggap>", first.tracking_code)
        );
        assert_eq!(m.dedupe_key, format!("ack:{}", first.id));
        assert_eq!(m.status, "pending");

        // The same dedupe key queued again changes nothing.
        let mut dup = ack(unit_id);
        dup.dedupe_key = format!("ack:{}", first.id);
        assert!(!store.enqueue_outbox(&dup).await.unwrap());

        let now = Utc::now();
        let lock = now + chrono::Duration::minutes(5);
        let claimed = store.claim_outbox(now, lock, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].attempts, 1);
        // While the lock holds, nobody else gets it.
        assert!(store.claim_outbox(now, lock, 10).await.unwrap().is_empty());
        // A crashed sender's lock lapses and the row comes back.
        let later = lock + chrono::Duration::seconds(1);
        let reclaimed = store
            .claim_outbox(later, later + chrono::Duration::minutes(5), 10)
            .await
            .unwrap();
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(reclaimed[0].attempts, 2);
        store
            .outbox_failed(
                reclaimed[0].id,
                reclaimed[0].claim_token.as_deref().unwrap(),
                "smtp down",
                Some(later + chrono::Duration::minutes(1)),
            )
            .await
            .unwrap();
        assert!(
            store.claim_outbox(later, later, 10).await.unwrap().is_empty(),
            "not due yet"
        );
        let retry_at = later + chrono::Duration::minutes(2);
        let third = store
            .claim_outbox(retry_at, retry_at + chrono::Duration::minutes(5), 10)
            .await
            .unwrap();
        assert_eq!(third.len(), 1);
        store
            .outbox_sent(third[0].id, third[0].claim_token.as_deref().unwrap(), retry_at)
            .await
            .unwrap();
        let done = store.outbox_for_complaint(first.id).await.unwrap();
        assert_eq!(done[0].status, "sent");
        assert_eq!(done[0].attempts, 3);
        assert!(
            store
                .claim_outbox(retry_at + chrono::Duration::days(1), retry_at, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Giving up marks it failed for good.
        let mut other = ack(unit_id);
        other.dedupe_key = "other".into();
        other.complaint_id = Some(first.id);
        assert!(store.enqueue_outbox(&other).await.unwrap());
        let t = Utc::now() + chrono::Duration::days(2);
        let got = store.claim_outbox(t, t, 10).await.unwrap();
        assert_eq!(got.len(), 1);
        store
            .outbox_failed(
                got[0].id,
                got[0].claim_token.as_deref().unwrap(),
                "no such address",
                None,
            )
            .await
            .unwrap();
        let rows = store.outbox_for_complaint(first.id).await.unwrap();
        assert_eq!(rows[1].status, "failed");
        assert_eq!(rows[1].last_error.as_deref(), Some("no such address"));
        assert!(
            store
                .claim_outbox(t + chrono::Duration::days(9), t, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let bad = NewOutbox {
            channel: "fax".into(),
            dedupe_key: "x".into(),
            ..ack(unit_id)
        };
        assert!(store.enqueue_outbox(&bad).await.is_err());
    }
);

on_both_databases!(thread_messages_settings_and_leases, |db: TestDb| async move {
    let store = db.store.clone();
    let unit_id = store.create_unit(&unit("dinas-thread")).await.unwrap();
    let c = store
        .record_complaint(&complaint(unit_id, Channel::Sms, None))
        .await
        .unwrap();
    let m = ComplaintMessage {
        id: 0,
        complaint_id: c.id,
        direction: "in".into(),
        channel: "sms".into(),
        at: Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap(),
        sender: "081234567890".into(),
        subject: String::new(),
        body: "Tambahan: loket 3 tutup.".into(),
        message_ref: Some("gw-123".into()),
    };
    assert!(store.add_complaint_message(&m).await.unwrap().is_some());
    assert!(
        store.add_complaint_message(&m).await.unwrap().is_none(),
        "redelivery is a no-op"
    );
    let thread = store.complaint_messages(c.id).await.unwrap();
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].body, "Tambahan: loket 3 tutup.");
    assert_eq!(thread[0].at, m.at);

    let pdf = b"%PDF-1.4 scan".to_vec();
    let aid = store
        .add_attachment(&NewAttachment {
            complaint_id: c.id,
            message_id: None,
            filename: "surat.pdf".into(),
            content_type: "application/pdf".into(),
            content: pdf.clone(),
        })
        .await
        .unwrap();
    let listed = store.attachments(c.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].size_bytes, pdf.len() as i64);
    assert_eq!(listed[0].sha256.len(), 64);
    let (info, bytes) = store.attachment_content(c.id, aid).await.unwrap().expect("stored");
    assert_eq!((info.id, bytes), (aid, pdf));
    assert!(
        store.attachment_content(c.id + 1, aid).await.unwrap().is_none(),
        "other complaint"
    );

    assert!(store.channel_settings(unit_id, "email").await.unwrap().is_none());
    let s = ChannelSettings {
        unit_id,
        channel: "email".into(),
        config: serde_json::json!({"imap_host": "127.0.0.1", "poll_seconds": 60}),
        enabled: true,
    };
    store.set_channel_settings(&s).await.unwrap();
    assert_eq!(store.channel_settings(unit_id, "email").await.unwrap(), Some(s.clone()));
    assert_eq!(store.enabled_channel_settings("email").await.unwrap(), vec![s.clone()]);
    store
        .set_channel_settings(&ChannelSettings { enabled: false, ..s })
        .await
        .unwrap();
    assert!(store.enabled_channel_settings("email").await.unwrap().is_empty());

    let t0 = Utc::now();
    let t1 = t0 + chrono::Duration::seconds(30);
    assert!(store.try_lease("outbox", "a", t0, t1).await.unwrap());
    assert!(!store.try_lease("outbox", "b", t0, t1).await.unwrap(), "held by a");
    assert!(store.try_lease("outbox", "a", t0, t1).await.unwrap(), "a renews");
    let t2 = t1 + chrono::Duration::seconds(1);
    assert!(
        store
            .try_lease("outbox", "b", t2, t2 + chrono::Duration::seconds(30))
            .await
            .unwrap(),
        "lapsed"
    );
    assert!(!store.try_lease("outbox", "a", t2, t2).await.unwrap());
});
