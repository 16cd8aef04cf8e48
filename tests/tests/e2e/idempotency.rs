//! Retries file a complaint once (issue 22): the JSON API's `Idempotency-Key`, the
//! complaint form's one-time token and the survey form's token, on both databases,
//! over HTTP.

use serde_json::{Value, json};
use tanggap_tests::{TestApp, TestDb, on_both_databases, spawn_app};

const UNIT: &str = "idem-uji";

async fn app_with_unit(db: TestDb) -> TestApp {
    let app = spawn_app(db).await;
    app.store.create_unit(&tanggap_tests::test_unit(UNIT)).await.unwrap();
    app
}

fn complaint(subject: &str) -> Value {
    json!({
        "subject": subject,
        "description": "Antrean di loket pelayanan sangat panjang sejak pagi.",
    })
}

/// POSTs a complaint to the API with `key` (if any): status, replay header, body.
async fn post_api(app: &TestApp, key: Option<&str>, body: &Value) -> (u16, Option<String>, Value) {
    let mut request = app
        .client
        .post(format!("{}/api/v1/units/{UNIT}/complaints", app.address))
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    let replayed = r
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, replayed, r.json().await.expect("JSON answer"))
}

async fn complaints(app: &TestApp) -> i64 {
    app.store.counts().await.unwrap().complaints
}

on_both_databases!(an_api_retry_returns_the_first_result, |db: TestDb| async move {
    let app = app_with_unit(db).await;
    let body = complaint("Antrean panjang di loket dua");
    let (status, replayed, first) = post_api(&app, Some("kunci-1"), &body).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(replayed.as_deref(), Some("false"));
    let (status, replayed, again) = post_api(&app, Some("kunci-1"), &body).await;
    assert_eq!(status, 201, "the retry gets the first status: {again}");
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(again, first, "same nomor agenda, tracking code and link");
    assert_eq!(complaints(&app).await, 1);
    // Another key is another complaint, numbered next: the retry used no number.
    let (status, _, second) = post_api(&app, Some("kunci-2"), &body).await;
    assert_eq!(status, 201);
    assert!(
        second["nomor_agenda"].as_str().unwrap().ends_with("/000002"),
        "{second}"
    );
    // No key: every request is a complaint, as before.
    assert_eq!(post_api(&app, None, &body).await.0, 201);
    assert_eq!(post_api(&app, None, &body).await.0, 201);
    assert_eq!(complaints(&app).await, 4);
});

on_both_databases!(a_key_reused_with_another_body_is_refused, |db: TestDb| async move {
    let app = app_with_unit(db).await;
    let (status, _, first) = post_api(&app, Some("kunci-sama"), &complaint("Antrean panjang di loket")).await;
    assert_eq!(status, 201);
    let (status, _, refused) = post_api(&app, Some("kunci-sama"), &complaint("Petugas tidak ada di loket")).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("sudah dipakai") && message.contains("already used"),
        "Indonesian, then English: {message}"
    );
    assert_eq!(complaints(&app).await, 1, "nothing stored");
    // The first result still stands for the first body.
    let (status, _, again) = post_api(&app, Some("kunci-sama"), &complaint("Antrean panjang di loket")).await;
    assert_eq!((status, again), (201, first));
    // A malformed key is refused before anything else.
    let (status, _, bad) = post_api(&app, Some("ada spasi"), &complaint("Antrean panjang di loket")).await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["error"]["code"], "invalid_idempotency_key");
    assert_eq!(complaints(&app).await, 1);
});

on_both_databases!(
    concurrent_requests_with_one_key_file_one_complaint,
    |db: TestDb| async move {
        let app = app_with_unit(db).await;
        let body = complaint("Pengaduan dikirim delapan kali sekaligus");
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let client = reqwest::Client::new();
            let url = format!("{}/api/v1/units/{UNIT}/complaints", app.address);
            let body = body.clone();
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .header("Idempotency-Key", "satu-kunci")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }));
        }
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap());
        }
        assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
        assert!(
            answers.iter().all(|(_, v)| *v == answers[0].1),
            "one result: {answers:?}"
        );
        assert_eq!(complaints(&app).await, 1, "exactly one complaint");
        let (_, _, next) = post_api(&app, None, &body).await;
        assert!(
            next["nomor_agenda"].as_str().unwrap().ends_with("/000002"),
            "gapless: {next}"
        );
    }
);

/// The hidden token of a rendered form.
fn token_in(html: &str) -> String {
    let marker = "name=\"submission_token\" value=\"";
    let start = html.find(marker).expect("the form carries a one-time token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn complaint_form(token: &str, subject: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("submission_token", token.to_owned())
        .text("klasifikasi", "pengaduan")
        .text("subject", subject.to_owned())
        .text("description", "Jalan menuju kantor pelayanan rusak dan berlubang.")
}

on_both_databases!(a_resubmitted_form_lands_on_the_first_receipt, |db: TestDb| async move {
    let app = app_with_unit(db).await;
    let citizen = app.anonymous().await;
    let path = format!("/u/{UNIT}/pengaduan");
    let (_, _, page) = citizen.get(&path).await;
    let token = token_in(&page);
    let (_, _, other_page) = citizen.get(&path).await;
    assert_ne!(token, token_in(&other_page), "a fresh token per rendering");
    let (status, first, body) = citizen
        .post_multipart(&path, complaint_form(&token, "Jalan rusak di depan kantor"))
        .await;
    assert_eq!(status, 303, "{body}");
    let first = first.unwrap();
    assert!(first.starts_with("/lacak?kode="), "{first}");
    // The browser sends it again (double click, retry after a lost answer).
    let (status, again, _) = citizen
        .post_multipart(&path, complaint_form(&token, "Jalan rusak di depan kantor"))
        .await;
    assert_eq!((status, again.as_deref()), (303, Some(first.as_str())));
    assert_eq!(complaints(&app).await, 1);
    // Back, edit, send with the same token: refused with a fresh form to send anew.
    let (status, _, page) = citizen
        .post_multipart(&path, complaint_form(&token, "Lampu jalan mati di depan kantor"))
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("sudah pernah dikirim dengan isi lain"), "{page}");
    let fresh = token_in(&page);
    assert_ne!(fresh, token);
    assert_eq!(complaints(&app).await, 1, "nothing stored");
    let (status, second, _) = citizen
        .post_multipart(&path, complaint_form(&fresh, "Lampu jalan mati di depan kantor"))
        .await;
    assert_eq!(status, 303);
    assert_ne!(second.as_deref(), Some(first.as_str()));
    assert_eq!(complaints(&app).await, 2);
});

on_both_databases!(
    a_survey_resubmitted_with_its_token_is_stored_once,
    |db: TestDb| async move {
        let f = crate::survey::fixture(db).await;
        let (visitor, page) = crate::survey::respondent(&f.app, "/survei/dinsos-uji").await;
        let token = token_in(&page);
        let mut fields = crate::survey::all_answers("3");
        fields.extend(
            [
                ("layanan", "sktm"),
                ("saran", "Ruang tunggu perlu kursi tambahan."),
                ("submission_token", token.as_str()),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let (status, location, body) = visitor.post("/survei/dinsos-uji", &crate::survey::refs(&fields)).await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/survei/dinsos-uji/terima-kasih"));
        // The retry of a respondent whose answer was lost in a crash: the restarted
        // server has no memory of recent answers (a fresh browser here stands for
        // that), only the stored token.
        let (retry, _) = crate::survey::respondent(&f.app, "/survei/dinsos-uji").await;
        let (status, location, body) = retry.post("/survei/dinsos-uji", &crate::survey::refs(&fields)).await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(location.as_deref(), Some("/survei/dinsos-uji/terima-kasih"));
        assert_eq!(crate::survey::stored(&f).await.len(), 1, "stored once");
    }
);
