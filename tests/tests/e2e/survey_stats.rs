//! Survey statistics (issue 18) on SQLite and PostgreSQL: the IKM from the cells
//! equals the IKM recomputed from the raw responses after random sequences of
//! submissions, batches, bulk loads and invites; a failed write leaves the cells as
//! they were; concurrent submissions to one cell lose nothing; a rebuild gives the
//! same cells; and `tanggap survei statistik` checks and rebuilds them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tanggap::domain::SurveySource;
use tanggap::storage::Store;
use tanggap::storage::model::*;
use tanggap::storage::survey_stats::StatCell;
use tanggap::survey::stats::{Path, path, survey_ikm, survey_ikm_from_responses, survey_source_counts};
use tanggap_tests::{TestDb, on_both_databases, test_unit};

/// Two units with two services each, and the rule sets as stored.
struct World {
    units: Vec<(i64, String, Vec<i64>)>,
    rule_sets: Vec<SurveyRuleSet>,
}

async fn world(store: &dyn Store) -> World {
    let mut units = Vec::new();
    for code in ["statistik-a", "statistik-b"] {
        let id = store.create_unit(&test_unit(code)).await.unwrap();
        let mut services = Vec::new();
        for (i, name) in ["Rekomendasi KIS", "Surat Keterangan"].iter().enumerate() {
            let service = NewService {
                code: format!("layanan-{i}"),
                name: (*name).into(),
                working_days: true,
                ..Default::default()
            };
            services.push(store.create_service(id, &service).await.unwrap());
        }
        units.push((id, code.to_owned(), services));
    }
    World {
        units,
        rule_sets: store.survey_rule_sets().await.unwrap(),
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A random response: unit, service or none, rule set (mostly the default), a day
/// between November 2025 and June 2026, scores with gaps, and a partial profile.
fn response(rng: &mut StdRng, w: &World, key: Option<String>) -> NewSurveyResponse {
    let (unit_id, _, services) = &w.units[rng.random_range(0..w.units.len())];
    let rule_set = if rng.random_bool(0.85) {
        w.rule_sets.iter().find(|r| r.is_default).unwrap()
    } else {
        w.rule_sets.iter().find(|r| !r.is_default).unwrap()
    };
    let mut scores: BTreeMap<String, i64> = BTreeMap::new();
    for e in &rule_set.elements {
        if rng.random_bool(0.9) {
            scores.insert(e.key.clone(), rng.random_range(1..=4));
        }
    }
    if scores.is_empty() {
        scores.insert(rule_set.elements[0].key.clone(), 2);
    }
    let pick = |rng: &mut StdRng, values: &[&str]| {
        let i = rng.random_range(0..=values.len());
        values.get(i).map(|v| (*v).to_owned())
    };
    NewSurveyResponse {
        unit_id: *unit_id,
        service_id: if rng.random_bool(0.8) {
            Some(services[rng.random_range(0..services.len())])
        } else {
            None
        },
        rule_set_id: rule_set.id,
        responded_on: day(2025, 11, 1) + chrono::Duration::days(rng.random_range(0..242)),
        source: [SurveySource::Web, SurveySource::Paper, SurveySource::Import][rng.random_range(0..3)],
        import_key: key,
        scores,
        profile: RespondentProfile {
            jenis_kelamin: pick(rng, &["L", "P"]),
            umur: rng.random_bool(0.8).then(|| rng.random_range(15..75)),
            pendidikan: pick(rng, &["SD", "SMA/SMK", "D4/S1"]),
            pekerjaan: pick(rng, &["PNS", "Swasta"]),
        },
        saran: None,
    }
}

/// An import key that repeats now and then, so re-imports are exercised.
fn key(rng: &mut StdRng) -> Option<String> {
    rng.random_bool(0.5)
        .then(|| format!("berkas:baris-{}", rng.random_range(0..40)))
}

/// Random writes through every insert path of the product.
async fn random_writes(store: &dyn Store, w: &World, rng: &mut StdRng, steps: usize) {
    for _ in 0..steps {
        match rng.random_range(0..4) {
            0 => {
                let k = key(rng);
                store.record_survey_response(&response(rng, w, k)).await.unwrap();
            }
            1 => {
                let n = rng.random_range(1..8);
                let intakes: Vec<SurveyIntake> = (0..n)
                    .map(|_| {
                        let k = key(rng);
                        SurveyIntake::from(response(rng, w, k))
                    })
                    .collect();
                store.record_survey_batch(&intakes).await.unwrap();
            }
            2 => {
                let n = rng.random_range(1..30);
                // Keys repeat inside the chunk and against earlier writes.
                let rows: Vec<NewSurveyResponse> = (0..n)
                    .map(|_| {
                        let k = key(rng);
                        response(rng, w, k)
                    })
                    .collect();
                store.bulk_load_survey_responses(&rows).await.unwrap();
            }
            _ => {
                let r = response(rng, w, None);
                let reference = format!("TRX-{:016x}", rng.random::<u64>());
                let invite = tanggap_tests::test_invite(store, r.unit_id, r.service_id, &reference).await;
                let intake = SurveyIntake::from(r);
                assert!(store.record_invite_response(invite, &intake).await.unwrap().is_some());
                // A used invite stores nothing, and so counts nothing.
                assert!(store.record_invite_response(invite, &intake).await.unwrap().is_none());
            }
        }
    }
}

fn filter_for(unit_id: i64, q: &analytics::IkmQuery) -> SurveyFilter {
    let from = if q.compare.is_some() { None } else { q.range.from };
    SurveyFilter::of(&q.rule_set, Some(unit_id), from, q.range.to)
}

/// Random queries: groupings by unit, service, every period and one profile,
/// whole-month and partial ranges, service filters, comparisons, and some only the
/// responses can answer.
fn random_query(rng: &mut StdRng) -> analytics::IkmQuery {
    use analytics::Dimension as D;
    let rule_set = if rng.random_bool(0.8) {
        analytics::RuleSet::permenpan_14_2017()
    } else {
        analytics::RuleSet::kepmenpan_25_2004()
    };
    let groupings: [&[D]; 12] = [
        &[],
        &[D::Service],
        &[D::Month],
        &[D::Quarter],
        &[D::Semester],
        &[D::Year],
        &[D::Unit, D::Service, D::Month],
        &[D::Profile("jenis_kelamin".into())],
        &[D::Profile("umur_kelompok".into()), D::Quarter],
        &[D::Service, D::Profile("pendidikan".into())],
        &[D::Profile("pekerjaan".into()), D::Month],
        &[D::Profile("jenis_kelamin".into()), D::Profile("umur_kelompok".into())],
    ];
    let ranges = [
        analytics::DateRange::default(),
        analytics::DateRange::new(day(2026, 1, 1), day(2026, 3, 31)),
        analytics::DateRange::new(day(2025, 12, 1), day(2026, 5, 31)),
        analytics::DateRange::new(day(2025, 12, 10), day(2026, 2, 20)),
        analytics::DateRange {
            from: None,
            to: Some(day(2026, 2, 28)),
        },
    ];
    let group_by = groupings[rng.random_range(0..groupings.len())].to_vec();
    let has_time = group_by.iter().any(|d| d.period().is_some());
    let range = ranges[rng.random_range(0..ranges.len())];
    let closed = range.from.is_some() && range.to.is_some();
    let mut filters = Vec::new();
    if rng.random_bool(0.2) {
        filters.push(analytics::Filter {
            dimension: D::Service,
            values: vec!["Rekomendasi KIS".into(), String::new()],
        });
    }
    if rng.random_bool(0.1) {
        filters.push(analytics::Filter {
            dimension: D::Profile("jenis_kelamin".into()),
            values: vec!["P".into()],
        });
    }
    let compare = (rng.random_bool(0.3) && (has_time || closed)).then_some(analytics::Comparison::Previous);
    analytics::IkmQuery {
        rule_set,
        group_by,
        range,
        filters,
        compare,
        ..Default::default()
    }
}

/// Every cell of the database: day cells and profile cells, in key order.
async fn all_cells(store: &dyn Store) -> Vec<StatCell> {
    let mut out = Vec::new();
    for rule_set in store.survey_rule_sets().await.unwrap() {
        let f = SurveyFilter {
            rule_set: rule_set.code.clone(),
            element_keys: rule_set.elements.iter().map(|e| e.key.clone()).collect(),
            unit_id: None,
            from: None,
            to: None,
        };
        let mut cells = store.survey_cells(&f).await.unwrap();
        cells.extend(store.survey_profile_cells(&f, None).await.unwrap());
        out.extend(cells);
    }
    let key = |c: &StatCell| (c.unit.clone(), c.service.clone(), c.day, c.profile.clone());
    out.sort_by_key(key);
    out
}

on_both_databases!(
    cells_give_what_the_responses_give_after_random_writes,
    |db: TestDb| async move {
        let store = db.store.as_ref();
        let w = world(store).await;
        let seed: u64 = std::env::var("TANGGAP_STATS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(18);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut paths: BTreeMap<String, usize> = BTreeMap::new();
        for round in 0..4 {
            random_writes(store, &w, &mut rng, 12).await;
            let (counted, stored) = store.survey_stats_counts().await.unwrap();
            assert_eq!(
                counted, stored,
                "seed {seed}, round {round}: every response is in a cell"
            );
            assert_eq!(
                store.survey_source_mismatches().await.unwrap(),
                0,
                "seed {seed}, round {round}: every response counted under its source"
            );
            // Responses per source over random day ranges: the kept counts equal a
            // GROUP BY over the responses.
            for _ in 0..10 {
                let (unit_id, _, _) = &w.units[rng.random_range(0..w.units.len())];
                let rule_set = &w.rule_sets[rng.random_range(0..w.rule_sets.len())];
                let from = day(2025, 11, 1) + chrono::Duration::days(rng.random_range(0..242));
                let to = from + chrono::Duration::days(rng.random_range(0..120));
                let kept = store
                    .survey_source_counts(*unit_id, &rule_set.code, from, to)
                    .await
                    .unwrap();
                let raw = source_counts_from_responses(&db.url, *unit_id, &rule_set.code, from, to).await;
                assert_eq!(kept, raw, "seed {seed}, round {round}: sources {from}..={to}");
                let read = store
                    .survey_source_counts_from_responses(*unit_id, &rule_set.code, from, to)
                    .await
                    .unwrap();
                assert_eq!(read, raw, "seed {seed}, round {round}: sources read {from}..={to}");
            }
            for _ in 0..40 {
                let q = random_query(&mut rng);
                let (unit_id, _, _) = &w.units[rng.random_range(0..w.units.len())];
                let f = filter_for(*unit_id, &q);
                *paths.entry(format!("{:?}", path(&f, &q))).or_default() += 1;
                let fast = survey_ikm(store, &f, q.clone()).await;
                let full = survey_ikm_from_responses(store, &f, q.clone()).await;
                match (fast, full) {
                    (Ok(a), Ok(b)) => tanggap_tests::assert_same_report(
                        &serde_json::to_value(&a).unwrap(),
                        &serde_json::to_value(&b).unwrap(),
                        &format!("seed {seed} {:?} {:?}", q.group_by, q.range),
                    ),
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                    (a, b) => panic!("seed {seed} {q:?}: cells {a:?}, responses {b:?}"),
                }
            }
        }
        // Every way of answering was taken, so the comparison is not the responses
        // against themselves.
        for p in [Path::DayCells, Path::ProfileCells, Path::Responses] {
            assert!(paths.get(&format!("{p:?}")).copied().unwrap_or(0) >= 5, "{paths:?}");
        }
        // A rebuild from the responses gives exactly the cells the writes kept.
        let kept = all_cells(store).await;
        assert!(kept.len() > 50, "{} cells", kept.len());
        let kept_sources = all_source_counts(store, &w).await;
        let counted: u64 = kept_sources.iter().flat_map(|(_, _, c)| c.iter().map(|(_, n)| n)).sum();
        assert_eq!(counted as i64, store.counts().await.unwrap().survey_responses);
        let summary = store.rebuild_survey_stats().await.unwrap();
        assert_eq!(summary.responses as i64, store.counts().await.unwrap().survey_responses);
        assert_eq!(all_cells(store).await, kept);
        assert_eq!(all_source_counts(store, &w).await, kept_sources);
        assert!(store.survey_stats_built().await.unwrap());
    }
);

/// Responses per source of every unit and rule set over all days, as the SKM
/// report reads them (from the per-day source counts).
async fn all_source_counts(store: &dyn Store, w: &World) -> Vec<(i64, String, Vec<(String, u64)>)> {
    let mut out = Vec::new();
    for (unit, _, _) in &w.units {
        for rule_set in &w.rule_sets {
            let counts = store
                .survey_source_counts(*unit, &rule_set.code, day(2000, 1, 1), day(2100, 12, 31))
                .await
                .unwrap();
            out.push((*unit, rule_set.code.clone(), counts));
        }
    }
    out
}

/// The same counts grouped from the raw responses, in SQL on the database at `url`
/// (the values are the test's own: a unit id, a rule set code, two days).
pub(crate) async fn source_counts_from_responses(
    url: &str,
    unit: i64,
    rule_set: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<(String, u64)> {
    let sql = format!(
        "SELECT r.source, COUNT(*) FROM survey_responses r JOIN survey_rule_sets rs ON rs.id = r.rule_set_id \
         WHERE r.unit_id = {unit} AND rs.code = '{}' AND r.responded_on >= '{from}' AND r.responded_on <= '{to}' \
         GROUP BY r.source ORDER BY r.source",
        rule_set.replace('\'', "''")
    );
    let rows: Vec<(String, i64)> = tanggap_tests::fetch_rows(url, &sql).await;
    rows.into_iter().map(|(s, n)| (s, n as u64)).collect()
}

/// Snapshot of what the statistics hold.
async fn snapshot(store: &dyn Store, w: &World) -> (Vec<StatCell>, (i64, i64), Vec<(i64, String, Vec<(String, u64)>)>) {
    (
        all_cells(store).await,
        store.survey_stats_counts().await.unwrap(),
        all_source_counts(store, w).await,
    )
}

on_both_databases!(a_failed_write_leaves_the_cells_as_they_were, |db: TestDb| async move {
    let store = db.store.as_ref();
    let w = world(store).await;
    let mut rng = StdRng::seed_from_u64(7);
    random_writes(store, &w, &mut rng, 6).await;
    let before = snapshot(store, &w).await;
    assert!(before.1.0 > 0);
    // Valid responses first, then one the database refuses (age 5 breaks a CHECK):
    // the whole batch rolls back, its cells with it.
    let good: Vec<NewSurveyResponse> = (0..5).map(|_| response(&mut rng, &w, None)).collect();
    let mut bad = response(&mut rng, &w, None);
    bad.profile.umur = Some(5);
    let mut intakes: Vec<SurveyIntake> = good.iter().cloned().map(SurveyIntake::from).collect();
    intakes.push(SurveyIntake::from(bad.clone()));
    assert!(store.record_survey_batch(&intakes).await.is_err());
    assert_eq!(snapshot(store, &w).await, before, "batch");
    let mut rows = good.clone();
    rows.push(bad.clone());
    assert!(store.bulk_load_survey_responses(&rows).await.is_err());
    assert_eq!(snapshot(store, &w).await, before, "bulk load");
    assert!(store.record_survey_response(&bad).await.is_err());
    assert_eq!(snapshot(store, &w).await, before, "single");
    // The good ones alone go in, and into the cells.
    store.bulk_load_survey_responses(&good).await.unwrap();
    let after = snapshot(store, &w).await;
    assert_eq!(after.1, (before.1.0 + 5, before.1.1 + 5));
});

on_both_databases!(
    concurrent_submissions_to_one_cell_lose_nothing,
    |db: TestDb| async move {
        let store = db.store.clone();
        let w = world(store.as_ref()).await;
        let mut rng = StdRng::seed_from_u64(3);
        let mut one = response(&mut rng, &w, None);
        one.responded_on = day(2026, 3, 2);
        const N: usize = 24;
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let store = store.clone();
                let mut r = one.clone();
                if i % 2 == 1 {
                    r.profile.jenis_kelamin = Some("L".into());
                }
                tokio::spawn(async move { store.record_survey_response(&r).await })
            })
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().unwrap().is_some());
        }
        let rule_set = w.rule_sets.iter().find(|r| r.id == one.rule_set_id).unwrap();
        let f = SurveyFilter {
            rule_set: rule_set.code.clone(),
            element_keys: rule_set.elements.iter().map(|e| e.key.clone()).collect(),
            unit_id: Some(one.unit_id),
            from: Some(one.responded_on),
            to: Some(one.responded_on),
        };
        let cells = store.survey_cells(&f).await.unwrap();
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].sums.respondents(), N as u64);
        let profile = store.survey_profile_cells(&f, Some("jenis_kelamin")).await.unwrap();
        let l = profile
            .iter()
            .find(|c| c.profile.as_ref().unwrap().1.as_deref() == Some("L"));
        assert_eq!(l.unwrap().sums.respondents(), (N / 2) as u64);
        assert_eq!(profile.iter().map(|c| c.sums.respondents()).sum::<u64>(), N as u64);
    }
);

/// Runs `tanggap survei statistik ARGS` on the database at `url`.
fn statistik(url: &str, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(tanggap_tests::serve::tanggap_binary())
        .args(["survei", "statistik"])
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

on_both_databases!(
    the_command_line_checks_and_rebuilds_the_statistics,
    |db: TestDb| async move {
        let store = db.store.as_ref();
        let w = world(store).await;
        let mut rng = StdRng::seed_from_u64(11);
        random_writes(store, &w, &mut rng, 8).await;
        let (ok, text) = statistik(&db.url, &[]);
        assert!(ok, "{text}");
        assert!(text.contains("statistik survei sesuai"), "{text}");
        let kept = all_cells(store).await;
        // An operator deletes a response by hand: the cells no longer match, the check
        // says so (and fails), and the rebuild puts them right.
        let sql = "DELETE FROM survey_responses WHERE id = (SELECT MIN(id) FROM survey_responses)";
        assert_eq!(tanggap_tests::execute_sql(&db.url, sql).await, 1);
        let (ok, text) = statistik(&db.url, &[]);
        assert!(!ok, "{text}");
        assert!(
            text.contains("tidak sesuai") && text.contains("--bangun-ulang"),
            "{text}"
        );
        let (ok, text) = statistik(&db.url, &["--bangun-ulang"]);
        assert!(ok, "{text}");
        assert!(text.contains("statistik survei dibangun ulang"), "{text}");
        assert!(statistik(&db.url, &[]).0);
        let rebuilt = all_cells(store).await;
        assert_ne!(rebuilt, kept);
        let (counted, stored) = store.survey_stats_counts().await.unwrap();
        assert_eq!(counted, stored);
        assert_eq!(store.survey_source_mismatches().await.unwrap(), 0);
        // An operator changes a response's source by hand: every day cell still
        // counts it, but the per-source counts (the SKM report's method text) are
        // wrong on two keys, the old source's and the new one's; the check fails
        // naming the sources, and the rebuild puts them right.
        let sql = "UPDATE survey_responses SET source = CASE WHEN source = 'paper' THEN 'kiosk' ELSE 'paper' END \
                   WHERE id = (SELECT MIN(id) FROM survey_responses)";
        assert_eq!(tanggap_tests::execute_sql(&db.url, sql).await, 1);
        assert_eq!(store.survey_source_mismatches().await.unwrap(), 2);
        // Meanwhile the diagnostic switch (TANGGAP_IKM_FROM_RESPONSES=1) reads the
        // sources from the responses, right where the kept counts are wrong.
        let mut stale = 0;
        for (unit, _, _) in &w.units {
            for rule_set in &w.rule_sets {
                let days = (day(2000, 1, 1), day(2100, 12, 31));
                let raw = source_counts_from_responses(&db.url, *unit, &rule_set.code, days.0, days.1).await;
                let read = survey_source_counts(store, *unit, &rule_set.code, days, true)
                    .await
                    .unwrap();
                assert_eq!(read, raw, "unit {unit}, {}", rule_set.code);
                let kept = survey_source_counts(store, *unit, &rule_set.code, days, false)
                    .await
                    .unwrap();
                stale += usize::from(kept != raw);
            }
        }
        assert_eq!(stale, 1, "one unit and rule set holds the changed response");
        let (ok, text) = statistik(&db.url, &[]);
        assert!(!ok, "{text}");
        assert!(
            text.contains("per sumber") && text.contains("pada 2 kombinasi") && text.contains("--bangun-ulang"),
            "{text}"
        );
        assert!(statistik(&db.url, &["--bangun-ulang"]).0);
        assert_eq!(store.survey_source_mismatches().await.unwrap(), 0);
        let (ok, text) = statistik(&db.url, &[]);
        assert!(ok, "{text}");
        // And the IKM from the cells is again the IKM of the responses.
        let q = analytics::IkmQuery {
            group_by: vec![analytics::Dimension::Service, analytics::Dimension::Month],
            ..Default::default()
        };
        let f = filter_for(w.units[0].0, &q);
        assert_eq!(path(&f, &q), Path::DayCells);
        tanggap_tests::assert_same_report(
            &serde_json::to_value(survey_ikm(store, &f, q.clone()).await.unwrap()).unwrap(),
            &serde_json::to_value(survey_ikm_from_responses(store, &f, q).await.unwrap()).unwrap(),
            "after rebuild",
        );
    }
);
