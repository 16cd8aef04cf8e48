//! A stand-in for Meta's Graph API (WhatsApp Cloud API), on 127.0.0.1:0.
//!
//! It answers the three calls Tanggap makes, in the shapes of Meta's documentation
//! (fixtures in `tests/fixtures/providers/meta/`, see its README):
//! - `GET /v21.0/{media-id}`: the media object (`url`, `mime_type`, `sha256`,
//!   `file_size`, `id`), whose `url` points back here;
//! - `GET /media/{media-id}`: the bytes;
//! - `POST /v21.0/{phone-number-id}/messages`: `{"messaging_product", "contacts",
//!   "messages": [{"id": "wamid.…"}]}`, or a scripted error answer.
//!
//! Every call needs `Authorization: Bearer <token>` (else Meta's 401 error body)
//! and every request is recorded with its headers and body.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// The API version in the stand-in's paths (and in Tanggap's default Graph URL).
pub const VERSION: &str = "v21.0";

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The path, e.g. `/v21.0/106540352242922/messages`.
    pub path: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// The body as JSON (sends are JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

struct MediaItem {
    mime_type: String,
    content: Vec<u8>,
    /// What `file_size` claims (the real size unless a test says otherwise).
    declared_size: usize,
}

#[derive(Default)]
struct Inner {
    token: String,
    base: String,
    media: HashMap<String, MediaItem>,
    answers: VecDeque<(u16, serde_json::Value)>,
    sends: Vec<Recorded>,
    media_requests: Vec<Recorded>,
    sent_count: usize,
}

/// The running stand-in; the server stops when the test's runtime ends.
#[derive(Clone)]
pub struct MetaStandIn {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
}

fn record(path: String, headers: &HeaderMap, body: &[u8]) -> Recorded {
    Recorded {
        path,
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: body.to_vec(),
    }
}

/// Meta's error body (Graph API error shape).
pub fn error_body(code: i64, message: &str) -> serde_json::Value {
    serde_json::json!({
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "error_data": { "messaging_product": "whatsapp", "details": message },
            "fbtrace_id": "AbCdEfGhIjKlMnOp"
        }
    })
}

fn authorized(inner: &Inner, headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {}", inner.token))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(error_body(
            190,
            "Invalid OAuth access token - Cannot parse access token",
        )),
    )
        .into_response()
}

async fn media_info(State(state): State<Arc<Mutex<Inner>>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let mut inner = state.lock().unwrap();
    inner
        .media_requests
        .push(record(format!("/{VERSION}/{id}"), &headers, &[]));
    if !authorized(&inner, &headers) {
        return unauthorized();
    }
    let Some(item) = inner.media.get(&id) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(error_body(100, "Unsupported get request. Object does not exist")),
        )
            .into_response();
    };
    let sha256 = {
        use sha2::Digest;
        hex(&sha2::Sha256::digest(&item.content))
    };
    axum::Json(serde_json::json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/media/{id}", inner.base),
        "mime_type": item.mime_type,
        "sha256": sha256,
        "file_size": item.declared_size.to_string(),
        "id": id,
    }))
    .into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn media_bytes(State(state): State<Arc<Mutex<Inner>>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let mut inner = state.lock().unwrap();
    inner.media_requests.push(record(format!("/media/{id}"), &headers, &[]));
    if !authorized(&inner, &headers) {
        return unauthorized();
    }
    match inner.media.get(&id) {
        Some(item) => (
            [(axum::http::header::CONTENT_TYPE, item.mime_type.clone())],
            item.content.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn messages(
    State(state): State<Arc<Mutex<Inner>>>,
    Path(phone_number_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = state.lock().unwrap();
    inner.sends.push(record(
        format!("/{VERSION}/{phone_number_id}/messages"),
        &headers,
        &body,
    ));
    if !authorized(&inner, &headers) {
        return unauthorized();
    }
    if let Some((status, answer)) = inner.answers.pop_front() {
        return (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response();
    }
    let to = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["to"].as_str().map(str::to_owned))
        .unwrap_or_default();
    inner.sent_count += 1;
    let id = format!("wamid.STANDIN{:04}", inner.sent_count);
    axum::Json(serde_json::json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": id }],
    }))
    .into_response()
}

impl MetaStandIn {
    /// Starts the stand-in; every call must carry `token` as its bearer token.
    pub async fn start(token: &str) -> MetaStandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            token: token.to_owned(),
            base: address.clone(),
            ..Inner::default()
        }));
        let app = axum::Router::new()
            .route(&format!("/{VERSION}/{{id}}"), get(media_info))
            .route("/media/{id}", get(media_bytes))
            .route(&format!("/{VERSION}/{{id}}/messages"), post(messages))
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        MetaStandIn { inner, address }
    }

    /// The Graph API base to put in the unit's settings.
    pub fn graph_url(&self) -> String {
        format!("{}/{VERSION}", self.address)
    }

    /// Serves a media object under `id`.
    pub fn add_media(&self, id: &str, mime_type: &str, content: Vec<u8>) {
        let declared_size = content.len();
        self.add_media_claiming(id, mime_type, content, declared_size);
    }

    /// Serves a media object whose `file_size` says `declared_size`.
    pub fn add_media_claiming(&self, id: &str, mime_type: &str, content: Vec<u8>, declared_size: usize) {
        self.inner.lock().unwrap().media.insert(
            id.to_owned(),
            MediaItem {
                mime_type: mime_type.to_owned(),
                content,
                declared_size,
            },
        );
    }

    /// The next send gets this answer instead of success (in order, one each).
    pub fn answer_next(&self, status: u16, body: serde_json::Value) {
        self.inner.lock().unwrap().answers.push_back((status, body));
    }

    /// Every send request so far.
    pub fn sends(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().sends.clone()
    }

    /// Every media request so far (metadata and bytes).
    pub fn media_requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().media_requests.clone()
    }
}
