//! Upgrade (issue 22): databases made by the previous release's binary, with data,
//! opened by this one. Its migrations run, and it still answers the same tracking
//! codes and the same IKM that the previous release answered when the fixture was
//! made. The fixtures and their expected answers come from
//! `scripts/refresh-upgrade-fixture.sh`, run at each release.

use std::path::PathBuf;

use tanggap_tests::{TestDb, spawn_app};

use crate::backup::{ikm, migration_level, tracking};

/// What the previous release answered, as the refresh script recorded it.
#[derive(Debug, serde::Deserialize)]
struct Expected {
    /// The previous release's commit.
    commit: String,
    /// Its newest migration.
    level: i64,
    /// The unit whose IKM is recorded.
    unit: String,
    /// A petugas of that unit and its password.
    username: String,
    password: String,
    /// A `stats:read` token of that unit.
    token: String,
    /// `GET /api/v1/tracking/{code}` by code.
    tracking: std::collections::BTreeMap<String, serde_json::Value>,
    /// `GET /api/v1/ikm?unit=UNIT&group_by=service`.
    ikm: serde_json::Value,
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/upgrade")
        .join(name)
}

fn expected(engine: &str) -> Expected {
    let text = std::fs::read_to_string(fixture(&format!("expected-{engine}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The newest migration this binary embeds for SQLite and PostgreSQL alike.
fn current_level(backend: tanggap::storage::Backend) -> i64 {
    tanggap::storage::embedded_migrations(backend)
        .migrations
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap()
}

/// Migrates the previous release's database `db` as `tanggap serve` does at start,
/// then asks this binary what the previous release answered.
async fn upgrade_and_ask(db: TestDb, expected: &Expected, backend: tanggap::storage::Backend) {
    assert_eq!(
        migration_level(&db.url).await,
        expected.level,
        "the fixture is at the previous release's level"
    );
    db.store
        .migrate()
        .await
        .expect("the previous release's database migrates");
    assert_eq!(migration_level(&db.url).await, current_level(backend));
    statistics_built_from_the_old_responses(&db, &expected.unit).await;
    let app = spawn_app(db).await;
    assert!(expected.tracking.len() >= 50, "{} codes", expected.tracking.len());
    for (code, answer) in &expected.tracking {
        assert_eq!(
            &tracking(&app, code).await,
            answer,
            "{code} (fixture of {})",
            expected.commit
        );
    }
    assert_eq!(
        ikm(&app, &expected.unit, "service", &expected.token).await,
        expected.ikm,
        "IKM (fixture of {})",
        expected.commit
    );
    app.login(&expected.username, &expected.password).await;
}

/// The survey statistics did not exist in the previous release: the migration
/// built them from the responses, and every IKM the reports ask for (overall, by
/// service, by period, by profile over whole months) is the same from them as from
/// the responses.
async fn statistics_built_from_the_old_responses(db: &TestDb, unit: &str) {
    use analytics::Dimension as D;
    use tanggap::survey::stats::{Path, path, survey_ikm, survey_ikm_from_responses};
    assert!(db.store.survey_stats_built().await.unwrap());
    let (counted, stored) = db.store.survey_stats_counts().await.unwrap();
    assert!(stored > 0);
    assert_eq!(counted, stored, "every old response is in a cell");
    let unit = db.store.unit_by_code(unit).await.unwrap().unwrap();
    let year = analytics::DateRange {
        from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
        to: chrono::NaiveDate::from_ymd_opt(2026, 12, 31),
    };
    // The per-source counts (migration 0026) were built from the old responses too.
    let (from, to) = (year.from.unwrap(), year.to.unwrap());
    let rule_set = analytics::rules::PERMENPAN_14_2017;
    let kept = db
        .store
        .survey_source_counts(unit.id, rule_set, from, to)
        .await
        .unwrap();
    assert!(!kept.is_empty());
    assert_eq!(
        kept,
        crate::survey_stats::source_counts_from_responses(&db.url, unit.id, rule_set, from, to).await
    );
    let groupings: [&[D]; 5] = [
        &[],
        &[D::Service],
        &[D::Month],
        &[D::Profile("jenis_kelamin".into())],
        &[D::Profile("umur_kelompok".into())],
    ];
    for group_by in groupings {
        let q = analytics::IkmQuery {
            group_by: group_by.to_vec(),
            range: year,
            ..Default::default()
        };
        let f = tanggap::storage::model::SurveyFilter::of(&q.rule_set, Some(unit.id), year.from, year.to);
        assert_ne!(path(&f, &q), Path::Responses);
        let fast = survey_ikm(db.store.as_ref(), &f, q.clone()).await.unwrap();
        let full = survey_ikm_from_responses(db.store.as_ref(), &f, q).await.unwrap();
        assert!(!full.groups.is_empty());
        tanggap_tests::assert_same_report(
            &serde_json::to_value(&fast).unwrap(),
            &serde_json::to_value(&full).unwrap(),
            &format!("{group_by:?}"),
        );
    }
}

/// The SQLite file of the previous release: copied, migrated, asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_of_the_previous_release_answers_the_same_after_upgrade() {
    let db = TestDb::sqlite_copy_of(&fixture("sqlite.sqlite3")).await;
    upgrade_and_ask(db, &expected("sqlite"), tanggap::storage::Backend::Sqlite).await;
}

/// The PostgreSQL dump of the previous release: loaded with psql into an empty
/// database, migrated, asked. (The dump starts with `\restrict`, which psql knows
/// from 15.14 on; Debian 12 has 15.20.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_of_the_previous_release_answers_the_same_after_upgrade() {
    let Some(db) = TestDb::postgres_blank().await else {
        return;
    };
    let out = std::process::Command::new("psql")
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url, "-f"])
        .arg(fixture("postgres.sql"))
        .output()
        .expect("psql (postgresql-client, see .ci/run)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    upgrade_and_ask(db, &expected("postgres"), tanggap::storage::Backend::Postgres).await;
}
