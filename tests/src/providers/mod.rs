//! Stand-in servers for the native SMS/WhatsApp providers (issue 19), Meta's Graph API
//! among them (`meta`, its own recorder): each listens
//! on a loopback port, records every request Tanggap sends (method, path, query,
//! headers, body) and answers from a queue of replies, by default the provider's
//! documented success payload from `tests/fixtures/providers/<provider>/`. Tests
//! queue an error reply to see how the outbox takes it.

pub mod fonnte;
pub mod meta;
pub mod wablas;
pub mod zenziva;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One request a stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path, without the query.
    pub path: String,
    /// The query string (empty when none).
    pub query: String,
    /// Headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body read as a form (`application/x-www-form-urlencoded`).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// One form field.
    pub fn form_field(&self, name: &str) -> Option<String> {
        self.form().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// One query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// The body read as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

/// A reply the stand-in gives: status and JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body (JSON text).
    pub body: String,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    queued: VecDeque<Reply>,
}

/// A recording stand-in server.
#[derive(Clone)]
pub struct StandIn {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    inner: Arc<Mutex<Inner>>,
    default: Arc<Mutex<Reply>>,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    default: Arc<Mutex<Reply>>,
}

async fn record(State(s): State<Shared>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let reply = {
        let mut inner = s.inner.lock().unwrap();
        inner.requests.push(Recorded {
            method: method.to_string(),
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or_default().to_owned(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                .collect(),
            body: body.to_vec(),
        });
        inner
            .queued
            .pop_front()
            .unwrap_or_else(|| s.default.lock().unwrap().clone())
    };
    (
        StatusCode::from_u16(reply.status).unwrap(),
        [("content-type", "application/json")],
        reply.body,
    )
        .into_response()
}

impl StandIn {
    /// Starts a stand-in answering `default` to every request not given a queued reply.
    pub async fn start(default: Reply) -> StandIn {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let default = Arc::new(Mutex::new(default));
        let app = axum::Router::new().fallback(record).with_state(Shared {
            inner: inner.clone(),
            default: default.clone(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind stand-in");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        StandIn {
            base: format!("http://{addr}"),
            inner,
            default,
            _stop: Arc::new(tx),
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// Answers the next request with `reply` (then back to the default).
    pub fn queue(&self, reply: Reply) {
        self.inner.lock().unwrap().queued.push_back(reply);
    }

    /// Changes the default reply.
    pub fn set_default(&self, reply: Reply) {
        *self.default.lock().unwrap() = reply;
    }
}

/// A fixture file of `tests/fixtures/providers/`, as text.
pub fn fixture(path: &str) -> String {
    let full = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/providers/").to_owned() + path;
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

/// A reply with HTTP 200 and a fixture's body.
pub fn ok_fixture(path: &str) -> Reply {
    Reply {
        status: 200,
        body: fixture(path),
    }
}
