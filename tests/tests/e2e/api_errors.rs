//! Every `/api/v1` answer is JSON in the documented `Error` shape, errors included
//! (issue 21): a repeated or malformed parameter, an out-of-range limit, a bad body,
//! a wrong content type, an unknown route, a method the route lacks. Each refusal
//! names the field, speaks Indonesian first and stores nothing, on both databases.

use chrono::Utc;
use serde_json::{Value, json};
use tanggap::storage::Store;
use tanggap_tests::{TestApp, TestDb, on_both_databases, spawn_app, test_complaint, test_unit, token_with_every_scope};

const UNIT: &str = "dinsos-uji";
/// A token of the unit with every scope.
const TOKEN: &str = "tgp_api_errors_token_0123456789abcdefghijklmnop";

async fn fixture(db: TestDb) -> (TestApp, i64) {
    let store = db.store.clone();
    let unit = store.create_unit(&test_unit(UNIT)).await.unwrap();
    token_with_every_scope(store.as_ref(), unit, "semua", TOKEN).await;
    let complaint = store.record_complaint(&test_complaint(unit, Utc::now())).await.unwrap();
    (spawn_app(db).await, complaint.id)
}

/// Status, `Content-Type`, the whole JSON answer and the `Allow` header.
async fn send(request: reqwest::RequestBuilder) -> (u16, String, Value, Option<String>) {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let allow = r.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}, {content_type}): {text}"));
    (status, content_type, body, allow)
}

/// The answer is the documented error: this status and code, JSON, an Indonesian
/// message (then English), and, when given, the field named in `fields` and in the
/// message.
fn assert_error(answer: &(u16, String, Value, Option<String>), status: u16, code: &str, field: Option<&str>) {
    let (got, content_type, body, _) = answer;
    assert_eq!(*got, status, "{body}");
    assert!(content_type.starts_with("application/json"), "{content_type}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(message.contains(" / "), "Indonesian, then English: {message}");
    assert_eq!(body.as_object().unwrap().len(), 1, "only `error`: {body}");
    if let Some(field) = field {
        assert_eq!(body["error"]["fields"][0]["field"], field, "{body}");
        assert!(message.contains(field), "{message}");
    }
}

async fn counts(store: &dyn Store) -> (i64, i64) {
    let c = store.counts().await.unwrap();
    (c.complaints, c.complaint_events)
}

on_both_databases!(every_api_error_is_json_in_the_error_shape, |db: TestDb| async move {
    let (app, complaint) = fixture(db).await;
    let client = &app.client;
    let url = |path: &str| format!("{}{path}", app.address);
    let get = |path: &str| client.get(url(path)).bearer_auth(TOKEN);
    let list = format!("/api/v1/units/{UNIT}/complaints");

    // The complaints list: each query value outside the document is refused, named.
    for (query, field) in [
        ("limit=5&limit=6", "limit"),
        ("status=diterima&status=selesai", "status"),
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=-5", "limit"),
        ("limit=5000", "limit"),
        ("offset=-1", "offset"),
        ("offset=99999999999999999999", "offset"),
        ("status=AAA", "status"),
        ("q=a%00b", "q"),
    ] {
        let answer = send(get(&format!("{list}?{query}"))).await;
        assert_error(&answer, 422, "invalid_query", Some(field));
    }
    let (status, _, body, _) = send(get(&format!("{list}?limit=1000&offset=0&status=diterima"))).await;
    assert_eq!(status, 200, "the edges of the ranges are accepted: {body}");
    assert_eq!(body.as_array().unwrap().len(), 1);

    // The statistics: empty, malformed and contradictory parameters.
    for (path, field) in [
        (format!("/api/v1/complaints/stats?unit={UNIT}&as_of="), "as_of"),
        (format!("/api/v1/complaints/stats?unit={UNIT}&from="), "from"),
        (format!("/api/v1/complaints/stats?unit={UNIT}&period=minggu"), "period"),
        (
            format!("/api/v1/complaints/stats?unit={UNIT}&from=2026-05-01&to=2026-04-01"),
            "from",
        ),
        (format!("/api/v1/ikm?unit={UNIT}&from="), "from"),
        (format!("/api/v1/ikm?unit={UNIT}&to=0057-01-01"), "to"),
        (format!("/api/v1/ikm?unit={UNIT}&compare=previous"), "compare"),
        (
            format!("/api/v1/ikm?unit={UNIT}&compare=previous&from=2026-01-01"),
            "compare",
        ),
        (format!("/api/v1/ikm?unit={UNIT}&group_by=service,service"), "group_by"),
        (
            format!("/api/v1/ikm?unit={UNIT}&group_by=service&group_by=month"),
            "group_by",
        ),
        (format!("/api/v1/ikm?unit={UNIT}&weight=berat"), "weight"),
        ("/api/v1/ikm".to_owned(), "unit"),
    ] {
        let answer = send(get(&path)).await;
        assert_error(&answer, 422, "invalid_query", Some(field));
    }

    // Routes: an unknown one is a JSON 404, a missing method a JSON 405 with Allow.
    let answer = send(get("/api/v1/tidak-ada")).await;
    assert_error(&answer, 404, "not_found", None);
    let answer = send(client.delete(url("/api/v1/units"))).await;
    assert_error(&answer, 405, "method_not_allowed", None);
    assert!(
        answer.3.as_deref().unwrap_or_default().contains("GET"),
        "{:?}",
        answer.3
    );
    let answer = send(get("/api/v1/units/tidak-ada/services")).await;
    assert_error(&answer, 404, "not_found", None);
    let answer = send(client.get(url(&list))).await;
    assert_error(&answer, 401, "unauthenticated", None);

    // Bodies: not JSON, not declared as JSON, null where the schema says string.
    let before = counts(app.store.as_ref()).await;
    let file = url(&list);
    let answer = send(
        client
            .post(&file)
            .header("content-type", "application/json")
            .body("{bukan json"),
    )
    .await;
    assert_error(&answer, 400, "malformed_json", None);
    let answer = send(client.post(&file).header("content-type", "text/plain").body("{}")).await;
    assert_error(&answer, 415, "unsupported_media_type", None);
    let answer = send(client.post(&file).body("{}")).await;
    assert_error(&answer, 415, "unsupported_media_type", None);
    let good = json!({"subject": "Bantuan belum cair", "description": "Sudah tiga bulan belum ada kabar."});
    for (field, value) in [
        ("rahasia", Value::Null),
        ("subject", Value::Null),
        ("anonim", json!(true)),
        ("subject", json!(5)),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let answer = send(client.post(&file).json(&body)).await;
        assert_error(&answer, 422, "invalid", Some(field));
    }
    let answer = send(client.post(&file).json(&json!(["bukan", "objek"]))).await;
    assert_error(&answer, 422, "invalid", None);

    // A status move: a non-numeric id, a null or unknown target, a body of text.
    let moves = |id: &str| url(&format!("/api/v1/units/{UNIT}/complaints/{id}/status"));
    let answer = send(
        client
            .post(moves("abc"))
            .bearer_auth(TOKEN)
            .json(&json!({"to": "terverifikasi"})),
    )
    .await;
    assert_error(&answer, 422, "invalid_query", Some("id"));
    let answer = send(
        client
            .post(moves("0"))
            .bearer_auth(TOKEN)
            .json(&json!({"to": "terverifikasi"})),
    )
    .await;
    assert_error(&answer, 422, "invalid_query", Some("id"));
    let id = complaint.to_string();
    let answer = send(client.post(moves(&id)).bearer_auth(TOKEN).json(&json!({"to": null}))).await;
    assert_error(&answer, 422, "invalid", Some("to"));
    let answer = send(client.post(moves(&id)).bearer_auth(TOKEN).json(&json!({"to": "entah"}))).await;
    assert_error(&answer, 422, "invalid", Some("to"));
    let answer = send(
        client
            .post(moves(&id))
            .bearer_auth(TOKEN)
            .json(&json!({"note": "tanpa tujuan"})),
    )
    .await;
    assert_error(&answer, 422, "invalid", Some("to"));
    let answer = send(
        client
            .post(moves(&id))
            .bearer_auth(TOKEN)
            .header("content-type", "text/plain")
            .body("terverifikasi"),
    )
    .await;
    assert_error(&answer, 415, "unsupported_media_type", None);

    // An invite: a null property, a blank transaction reference.
    let invites = url(&format!("/api/v1/units/{UNIT}/survey-invites"));
    let invite = json!({"transaction_ref": "PKH-1", "service": "x", "channel": "sms", "contact": "081234567890"});
    let mut null = invite.clone();
    null["contact"] = Value::Null;
    let answer = send(client.post(&invites).bearer_auth(TOKEN).json(&null)).await;
    assert_error(&answer, 422, "invalid", Some("contact"));
    let mut missing = invite.clone();
    missing.as_object_mut().unwrap().remove("channel");
    let answer = send(client.post(&invites).bearer_auth(TOKEN).json(&missing)).await;
    assert_error(&answer, 422, "invalid", Some("channel"));

    // Nothing of the above was stored or moved.
    assert_eq!(counts(app.store.as_ref()).await, before);
    let unit = app.store.unit_by_code(UNIT).await.unwrap().unwrap();
    let still = app.store.complaint(unit.id, complaint).await.unwrap().unwrap();
    assert_eq!(still.summary.status, "diterima");
});

#[tokio::test]
async fn the_error_shape_and_date_pattern_are_the_documents() {
    let app = spawn_app(TestDb::sqlite().await).await;
    let (status, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let error = &doc["components"]["schemas"]["Error"]["properties"]["error"];
    assert_eq!(error["required"], json!(["code", "message"]));
    assert!(error["properties"]["fields"]["items"]["properties"]["field"].is_object());
    // Every operation documents its other errors in the Error shape, and every date
    // parameter carries the pattern the server enforces.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert_eq!(
                op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Error",
                "{method} {path}"
            );
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["schema"]["format"] == "date" {
                    assert_eq!(
                        p["schema"]["pattern"],
                        tanggap::web::api_params::DATE_PATTERN,
                        "{method} {path} {}",
                        p["name"]
                    );
                }
            }
        }
    }
    let status_enum = &doc["paths"]["/api/v1/units/{unit}/complaints"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap()["schema"]["enum"];
    let mut listed: Vec<&str> = status_enum
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let mut keys: Vec<&str> = tanggap::domain::ComplaintStatus::ALL.iter().map(|s| s.key()).collect();
    listed.sort_unstable();
    keys.sort_unstable();
    assert_eq!(listed, keys, "the document lists the statuses the server knows");
}
