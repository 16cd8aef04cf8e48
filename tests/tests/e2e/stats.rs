//! The analytics over the database: `/api/v1/ikm` and `/api/v1/complaints/stats`
//! give the same numbers on SQLite and PostgreSQL for the same demo data.

use serde_json::Value;
use tanggap_tests::{TestApp, TestDb, small_demo, spawn_app};

const SECRET: &str = "tgp_stats_token_for_tests_0123456789abcdefghijkl";

async fn demo_with_token(db: TestDb) -> TestApp {
    tanggap::demo::load_demo(db.store.as_ref(), &small_demo())
        .await
        .unwrap();
    let unit = db.store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
    db.store
        .create_api_token(
            unit.id,
            "stats",
            &tanggap::auth::hash_secret(SECRET),
            &["stats:read".into()],
            None,
        )
        .await
        .unwrap();
    spawn_app(db).await
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(SECRET)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

const IKM: &str = "/api/v1/ikm?unit=dinsospm-dumai&group_by=service,quarter&from=2026-01-01&to=2026-09-30";
const IKM_COMPARE: &str =
    "/api/v1/ikm?unit=dinsospm-dumai&group_by=quarter&from=2026-04-01&to=2026-09-30&compare=previous";
const STATS: &str = "/api/v1/complaints/stats?unit=dinsospm-dumai&from=2025-12-01&to=2026-11-20&as_of=2026-11-20";

/// What the endpoints answer for one database.
async fn answers(db: TestDb) -> Vec<Value> {
    let app = demo_with_token(db).await;
    let mut out = Vec::new();
    for path in [IKM, IKM_COMPARE, STATS] {
        let (status, body) = get_json(&app, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        out.push(body);
    }
    // The respondents counted are exactly the unit's stored responses in the range.
    let unit = app.store.unit_by_code("dinsospm-dumai").await.unwrap().unwrap();
    let filter = tanggap::storage::model::SurveyFilter {
        rule_set: "permenpan-rb-14-2017".into(),
        element_keys: analytics::RuleSet::permenpan_14_2017()
            .element_keys()
            .iter()
            .map(|k| k.to_string())
            .collect(),
        unit_id: Some(unit.id),
        from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
        to: chrono::NaiveDate::from_ymd_opt(2026, 9, 30),
    };
    let stored = app.store.survey_columns(&filter).await.unwrap().len() as u64;
    assert!(stored > 100, "the demo has responses for the unit");
    assert_eq!(out[0]["respondents"].as_u64().unwrap(), stored);
    let per_group: u64 = out[0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["respondents"].as_u64().unwrap())
        .sum();
    assert_eq!(per_group, stored, "groups partition the respondents");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ikm_and_complaint_stats_are_the_same_on_sqlite_and_postgres() {
    let lite = answers(TestDb::sqlite().await).await;
    let ikm = &lite[0];
    assert_eq!(ikm["rule_set_id"], "permenpan-rb-14-2017");
    assert_eq!(ikm["weight"]["label"], "1/9");
    let group = &ikm["groups"][0];
    assert_eq!(group["elements"].as_array().unwrap().len(), 9);
    let index = &group["index"];
    let konversi = index["konversi"].as_f64().unwrap();
    assert!((25.0..=100.0).contains(&konversi));
    assert!(["A", "B", "C", "D"].contains(&index["mutu"].as_str().unwrap()));
    assert!(index["ci"]["lower"].as_f64().unwrap() <= konversi && konversi <= index["ci"]["upper"].as_f64().unwrap());
    assert_eq!(group["weakest_first"].as_array().unwrap().len(), 9);
    assert!(lite[1]["groups"][0]["previous"].is_object(), "the comparison is there");
    let stats = &lite[2];
    assert!(stats["total"].as_u64().unwrap() > 0);
    assert!(stats["by_channel"].as_array().unwrap().len() > 3);
    assert!(stats["sla"].is_array() && stats["steps"].is_array() && stats["by_element"].is_array());

    let Some(pg) = TestDb::postgres().await else { return };
    let pg = answers(pg).await;
    for (i, (a, b)) in lite.iter().zip(&pg).enumerate() {
        assert_eq!(a, b, "answer {i} differs between SQLite and PostgreSQL");
    }
}

#[tokio::test]
async fn stats_need_a_token_of_the_unit_with_the_scope_and_bad_queries_get_422() {
    let app = demo_with_token(TestDb::sqlite().await).await;
    let anonymous = app.client.get(format!("{}{IKM}", app.address)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let (status, _) = get_json(&app, "/api/v1/ikm?unit=dinsos-lubuklinggau").await;
    assert_eq!(status, 403, "a Dumai token does not read Lubuklinggau");
    let (status, body) = get_json(&app, "/api/v1/ikm?unit=dinsospm-dumai&group_by=unsur").await;
    assert_eq!(status, 422);
    assert!(body["error"]["message"].as_str().unwrap().contains("unsur"), "{body}");
    let (status, body) = get_json(&app, "/api/v1/ikm?unit=dinsospm-dumai&from=kemarin").await;
    assert_eq!(status, 422);
    assert!(body["error"]["message"].as_str().unwrap().contains("YYYY-MM-DD"));
    let (status, _) = get_json(&app, "/api/v1/ikm?unit=dinsospm-dumai&rule_set=permen-99").await;
    assert_eq!(status, 422);
    let (status, body) = get_json(&app, "/api/v1/ikm?unit=dinsospm-dumai&weight=printed3").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["weight"]["label"], "0.111",
        "the output says which weight was used"
    );
}

#[tokio::test]
async fn the_openapi_document_names_every_api_route() {
    let app = spawn_app(TestDb::sqlite().await).await;
    let (status, body) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    for (method, path) in tanggap::web::route_list() {
        if path.starts_with("/api/") {
            let entry = &doc["paths"][path][method.as_str().to_lowercase()];
            assert!(entry.is_object(), "{method} {path} is not in openapi.json");
        }
    }
}
