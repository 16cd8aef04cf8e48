//! The streamed survey load behind `tanggap demo` (issue 18): every generated row is
//! stored as made, all or nothing, and the table's indexes and foreign keys (dropped
//! for the load and rebuilt at its end) come back exactly as the migrations made them.

use std::sync::Mutex;

use chrono::NaiveDate;
use tanggap::demo::{DemoOptions, DemoUnit, ResponseStream};
use tanggap::domain::SurveySource;
use tanggap::storage::model::{NewSurveyResponse, RespondentProfile, SurveyRuleSet};
use tanggap::storage::{BulkSurveyChunk, Store, StoreError};
use tanggap_tests::{TestDb, on_both_databases};

/// The stored columns of every response in id order, in one comparable form.
macro_rules! stored_rows {
    ($pool:expr) => {
        sqlx::query_as::<
            _,
            (
                i64,
                Option<i64>,
                String,
                String,
                Option<String>,
                Option<i64>,
                Option<String>,
                Option<String>,
                Option<String>,
                String,
            ),
        >(
            "SELECT unit_id, service_id, CAST(responded_on AS TEXT), source, jenis_kelamin, umur, pendidikan, \
             pekerjaan, saran, scores FROM survey_responses ORDER BY id",
        )
        .fetch_all($pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{r:?}"))
        .collect::<Vec<String>>()
    };
}

/// Every survey statistics cell (day and profile) as text, in key order.
macro_rules! stored_cells {
    ($pool:expr) => {{
        let mut cells: Vec<String> = Vec::new();
        for sql in [
            "SELECT unit_id, rule_set_id, CAST(responded_on AS TEXT), service_key, '', '', respondents, sums \
             FROM survey_stats ORDER BY 1, 2, 3, 4",
            "SELECT unit_id, rule_set_id, month, service_key, dimension, value, respondents, sums \
             FROM survey_profile_stats ORDER BY 1, 2, 3, 4, 5, 6",
        ] {
            let rows = sqlx::query_as::<_, (i64, i64, String, i64, String, String, i64, Vec<u8>)>(sql)
                .fetch_all($pool)
                .await
                .unwrap();
            cells.extend(rows.into_iter().map(|r| format!("{r:?}")));
        }
        cells
    }};
}

/// The survey statistics cells of the database at `url`.
async fn cells(url: &str) -> Vec<String> {
    if url.starts_with("sqlite:") {
        stored_cells!(&sqlx::sqlite::SqlitePool::connect(url).await.unwrap())
    } else {
        stored_cells!(&sqlx::postgres::PgPool::connect(url).await.unwrap())
    }
}

/// What the database holds besides rows: the table's indexes and foreign keys.
async fn schema_and_rows(url: &str) -> (Vec<String>, Vec<String>) {
    if url.starts_with("sqlite:") {
        let pool = sqlx::sqlite::SqlitePool::connect(url).await.unwrap();
        let mut schema: Vec<String> = sqlx::query_scalar(
            "SELECT name || ': ' || COALESCE(sql, '') FROM sqlite_master WHERE tbl_name = 'survey_responses' ORDER BY name",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let keys: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('survey_responses') ORDER BY 2",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        schema.extend(keys.iter().map(|k| format!("{k:?}")));
        let rows = stored_rows!(&pool);
        (schema, rows)
    } else {
        let pool = sqlx::postgres::PgPool::connect(url).await.unwrap();
        let schema: Vec<String> = sqlx::query_scalar(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'survey_responses' \
             UNION ALL SELECT conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE conrelid = 'survey_responses'::regclass ORDER BY 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let rows = stored_rows!(&pool);
        (schema, rows)
    }
}

/// The demo units as stored (no complaints, no responses) and the default rule set.
async fn demo_units(store: &dyn Store) -> (Vec<DemoUnit>, SurveyRuleSet) {
    let options = DemoOptions {
        seed: 1,
        complaints: 0,
        responses: 0,
        end_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    };
    tanggap::demo::load_demo(store, &options)
        .await
        .unwrap()
        .expect("loaded");
    let mut units = Vec::new();
    for seed in tanggap::demo::agencies() {
        let unit = store.unit_by_code(&seed.unit.code).await.unwrap().unwrap();
        let services = store.list_services(unit.id).await.unwrap();
        units.push(DemoUnit {
            id: unit.id,
            code: unit.code,
            agenda_format: unit.agenda_format,
            services: services.into_iter().map(|s| (s.id, s.name, s.division_id)).collect(),
        });
    }
    let rule_sets = store.survey_rule_sets().await.unwrap();
    (units, rule_sets.into_iter().find(|r| r.is_default).unwrap())
}

/// Streams `chunks` (then `End` when `finish`) into the store; the progress heard.
async fn stream(
    store: &dyn Store,
    chunks: Vec<Vec<NewSurveyResponse>>,
    finish: bool,
) -> (Result<u64, StoreError>, Vec<u64>) {
    let (sender, receiver) = tokio::sync::mpsc::channel(chunks.len() + 1);
    for chunk in chunks {
        sender.send(BulkSurveyChunk::Rows(chunk)).await.unwrap();
    }
    if finish {
        sender.send(BulkSurveyChunk::End).await.unwrap();
    }
    drop(sender);
    let heard = Mutex::new(Vec::new());
    let result = store
        .bulk_load_survey_stream(receiver, &|n| heard.lock().unwrap().push(n))
        .await;
    (result, heard.into_inner().unwrap())
}

fn response(unit_id: i64, service_id: Option<i64>, rule_set_id: i64, score: i64) -> NewSurveyResponse {
    NewSurveyResponse {
        unit_id,
        service_id,
        rule_set_id,
        responded_on: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        source: SurveySource::Paper,
        import_key: None,
        scores: [("waktu".to_owned(), score), ("biaya".to_owned(), 4)]
            .into_iter()
            .collect(),
        profile: RespondentProfile {
            jenis_kelamin: Some("P".into()),
            umur: Some(33),
            ..Default::default()
        },
        saran: Some("Antrean\tpanjang,\nmohon \\ ditambah loket.".into()),
    }
}

on_both_databases!(
    streamed_survey_load_stores_what_was_made_and_restores_the_schema,
    |db: TestDb| async move {
        let store = db.store.clone();
        let (schema_before, _) = schema_and_rows(&db.url).await;
        let (units, rule_set) = demo_units(store.as_ref()).await;
        let options = DemoOptions {
            seed: 99,
            complaints: 0,
            responses: 12_345,
            end_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        };
        let made: Vec<NewSurveyResponse> = ResponseStream::new(&units, &rule_set, &options).collect();
        let mut chunks: Vec<Vec<NewSurveyResponse>> = made.chunks(5_000).map(<[_]>::to_vec).collect();
        // A saran with a tab, a newline and a backslash survives COPY's text format.
        chunks.push(vec![response(units[0].id, None, rule_set.id, 1)]);
        let (loaded, heard) = stream(store.as_ref(), chunks, true).await;
        assert_eq!(loaded.unwrap(), 12_346);
        assert_eq!(heard, [5_000, 10_000, 12_345, 12_346]);

        let (schema_after, rows) = schema_and_rows(&db.url).await;
        assert_eq!(
            schema_after, schema_before,
            "indexes and keys are rebuilt as the migrations made them"
        );
        assert!(schema_after.iter().any(|s| s.contains("survey_responses_slice")));
        let expected: Vec<String> = made
            .iter()
            .chain([&response(units[0].id, None, rule_set.id, 1)])
            .map(|r| {
                format!(
                    "{:?}",
                    (
                        r.unit_id,
                        r.service_id,
                        r.responded_on.to_string(),
                        r.source.key().to_owned(),
                        r.profile.jenis_kelamin.clone(),
                        r.profile.umur,
                        r.profile.pendidikan.clone(),
                        r.profile.pekerjaan.clone(),
                        r.saran.clone(),
                        serde_json::to_string(&r.scores).unwrap(),
                    )
                )
            })
            .collect();
        assert_eq!(rows.len(), expected.len());
        assert!(rows == expected, "every row stored as made, in order");

        // The statistics the load kept are exactly those rebuilt from the responses.
        let kept = cells(&db.url).await;
        assert!(!kept.is_empty());
        store.rebuild_survey_stats().await.unwrap();
        assert!(
            kept == cells(&db.url).await,
            "the streamed load's cells differ from a rebuild"
        );
        let (respondents, responses) = store.survey_stats_counts().await.unwrap();
        assert_eq!((respondents, responses), (12_346, 12_346));
    }
);

on_both_databases!(
    a_streamed_survey_load_that_fails_stores_nothing,
    |db: TestDb| async move {
        let store = db.store.clone();
        let (units, rule_set) = demo_units(store.as_ref()).await;
        let (schema_before, _) = schema_and_rows(&db.url).await;
        let unit = units[0].id;
        let service = Some(units[0].services[0].0);
        let good = || {
            (0..300)
                .map(|_| response(unit, service, rule_set.id, 3))
                .collect::<Vec<_>>()
        };

        // The producer stops without its end marker (it failed): nothing is kept.
        let (result, heard) = stream(store.as_ref(), vec![good(), good()], false).await;
        assert!(result.is_err(), "a stream cut short must fail");
        assert_eq!(heard, [300, 600], "the rows were written before the stream broke off");

        // A score outside 1-4 in a later chunk.
        let (result, _) = stream(
            store.as_ref(),
            vec![good(), vec![response(unit, service, rule_set.id, 5)]],
            true,
        )
        .await;
        assert!(matches!(result, Err(StoreError::Rejected(_))), "{result:?}");

        // A unit that does not exist: on PostgreSQL the foreign key is checked when it
        // is put back at the end of the load, and the whole load goes.
        let (result, _) = stream(
            store.as_ref(),
            vec![good(), vec![response(999_999, None, rule_set.id, 2)]],
            true,
        )
        .await;
        assert!(matches!(result, Err(StoreError::MissingReference(_))), "{result:?}");

        // A service that does not exist.
        let (result, _) = stream(
            store.as_ref(),
            vec![vec![response(unit, Some(999_999), rule_set.id, 2)], good()],
            true,
        )
        .await;
        assert!(matches!(result, Err(StoreError::MissingReference(_))), "{result:?}");

        let (schema_after, rows) = schema_and_rows(&db.url).await;
        assert!(rows.is_empty(), "{} rows kept from failed loads", rows.len());
        assert_eq!(schema_after, schema_before);
        assert_eq!(store.counts().await.unwrap().survey_responses, 0);
        assert!(cells(&db.url).await.is_empty(), "a failed load adds to no cell");

        // And the table still works for an ordinary load afterwards.
        let (result, _) = stream(store.as_ref(), vec![good()], true).await;
        assert_eq!(result.unwrap(), 300);
    }
);

/// After the demo's bulk load of complaints, PostgreSQL can read the complaint facts
/// from their covering index alone: the load ends with `VACUUM (ANALYZE)`, which
/// marks every page of the table all-visible. Without it (and with autovacuum off,
/// or not yet come by) every read of the facts went through the table: the
/// dashboard's query of a unit's 42,464 complaints took 93 ms instead of 9 ms.
#[tokio::test]
async fn a_bulk_complaint_load_leaves_postgres_able_to_read_the_facts_index_alone() {
    let Some(db) = TestDb::postgres().await else { return };
    let options = DemoOptions {
        seed: 3,
        complaints: 3_000,
        responses: 0,
        end_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
    };
    tanggap::demo::load_demo(db.store.as_ref(), &options)
        .await
        .unwrap()
        .expect("loaded");
    let pages: Vec<(i32, i32)> = tanggap_tests::fetch_rows(
        &db.url,
        "SELECT relpages, relallvisible FROM pg_class WHERE relname IN ('complaints', 'complaint_events') ORDER BY relname",
    )
    .await;
    assert_eq!(pages.len(), 2);
    for (relpages, all_visible) in pages {
        assert!(relpages > 0, "the tables hold the load");
        assert_eq!(all_visible, relpages, "every page marked all-visible");
    }
}
