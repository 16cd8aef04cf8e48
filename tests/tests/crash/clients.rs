//! The clients of a crash trial: citizens on the JSON API, the complaint form and
//! the survey form, and an officer moving and answering complaints. Every request
//! carries a unique marker (`Uji t3-api1-17`) so the check finds exactly what it
//! stored; a request that gets no answer (the process was killed) is sent again,
//! unchanged (same Idempotency-Key, same form token), once the server is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The ways in a trial drives, each tallied on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Way {
    /// `POST /api/v1/units/{unit}/complaints` with an `Idempotency-Key`.
    Api,
    /// The citizen's multipart complaint form with its one-time token.
    Form,
    /// The public survey form (group-commit writer) with its one-time token.
    Survey,
    /// An officer's status move (didisposisikan -> ditindaklanjuti).
    Move,
    /// An officer's answer, queued in the outbox with the move to dijawab.
    Answer,
}

impl Way {
    /// Every way, in report order.
    pub const ALL: [Way; 5] = [Way::Api, Way::Form, Way::Survey, Way::Move, Way::Answer];

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Way::Api => "complaint-api",
            Way::Form => "complaint-form",
            Way::Survey => "survey-form",
            Way::Move => "staff-move",
            Way::Answer => "staff-answer",
        }
    }
}

/// What a client was finally told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Accepted: the nomor agenda (API), the tracking code (form), or empty.
    Acked(String),
    /// Refused (e.g. a retried move that had already happened).
    Refused,
    /// No answer before the trial's deadline.
    None,
}

/// One logical request and what became of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Which way in.
    pub way: Way,
    /// The unique marker (in the subject or saran), or the complaint id it acted on.
    pub marker: String,
    /// The complaint a staff request acted on.
    pub target: Option<i64>,
    /// The final answer.
    pub answer: Answer,
    /// Whether it had to be sent more than once (its first answer was lost).
    pub retried: bool,
}

/// What every client of a trial shares.
pub struct Ctx {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The unit code.
    pub unit: String,
    /// Trial number, part of every marker.
    pub trial: usize,
    /// The officer's logged-in client and its CSRF token.
    pub staff: (reqwest::Client, String),
    /// Set when the clients should stop starting new requests.
    pub stop: AtomicBool,
    /// After this, a request without an answer is given up.
    pub deadline: Instant,
}

/// A request that can be sent again exactly as before.
#[derive(Clone)]
pub enum Spec {
    /// An API complaint.
    Api {
        marker: String,
        client: reqwest::Client,
        body: Value,
    },
    /// A complaint form post from a browser that loaded the form.
    Form {
        marker: String,
        client: reqwest::Client,
        csrf: String,
        token: String,
    },
    /// A survey post from a browser that loaded the survey.
    Survey {
        marker: String,
        client: reqwest::Client,
        fields: Vec<(String, String)>,
    },
    /// A staff status move.
    Move { marker: String, complaint: i64 },
    /// A staff answer.
    Answer { marker: String, complaint: i64 },
}

/// A browser: keeps cookies, follows no redirects, gives up a hung request.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..].split('"').next()?.to_owned())
}

impl Spec {
    /// The way it goes in.
    pub fn way(&self) -> Way {
        match self {
            Spec::Api { .. } => Way::Api,
            Spec::Form { .. } => Way::Form,
            Spec::Survey { .. } => Way::Survey,
            Spec::Move { .. } => Way::Move,
            Spec::Answer { .. } => Way::Answer,
        }
    }

    fn marker(&self) -> &str {
        match self {
            Spec::Api { marker, .. }
            | Spec::Form { marker, .. }
            | Spec::Survey { marker, .. }
            | Spec::Move { marker, .. }
            | Spec::Answer { marker, .. } => marker,
        }
    }

    fn target(&self) -> Option<i64> {
        match self {
            Spec::Move { complaint, .. } | Spec::Answer { complaint, .. } => Some(*complaint),
            _ => None,
        }
    }

    /// An API complaint; with `ack`, asking for an acknowledgement by email (so
    /// the outbox has work during the trial).
    pub fn api(marker: String, ack: bool) -> Spec {
        let body = json!({
            "subject": format!("Uji {marker}"),
            "description": "Antrean di loket pelayanan sangat panjang sejak pagi.",
            "name": "Warga Uji",
            "email": format!("{marker}@warga.test"),
            "notify": if ack { "email" } else { "" },
        });
        Spec::Api {
            marker,
            client: browser(),
            body,
        }
    }

    /// Loads the complaint form (retrying until the server answers) and fills it.
    pub async fn form(ctx: &Ctx, marker: String) -> Option<Spec> {
        let client = browser();
        let page = get_page(ctx, &client, &format!("/u/{}/pengaduan", ctx.unit)).await?;
        Some(Spec::Form {
            marker,
            csrf: hidden(&page, "csrf")?,
            token: hidden(&page, "submission_token")?,
            client,
        })
    }

    /// Loads the survey (retrying until the server answers) and fills it in.
    pub async fn survey(ctx: &Ctx, marker: String, seed: u64) -> Option<Spec> {
        let client = browser();
        let page = get_page(ctx, &client, &format!("/survei/{}", ctx.unit)).await?;
        // The nine elements of the default rule set (the form's `q_*` fields).
        let rules = analytics::RuleSet::permenpan_14_2017();
        let mut fields: Vec<(String, String)> = rules
            .element_keys()
            .into_iter()
            .enumerate()
            .map(|(i, k)| (format!("q_{k}"), (1 + (seed + i as u64) % 4).to_string()))
            .collect();
        for (k, v) in [
            ("csrf", hidden(&page, "csrf")?),
            ("submission_token", hidden(&page, "submission_token")?),
            ("layanan", "sktm".to_owned()),
            ("jenis_kelamin", "P".to_owned()),
            ("umur", "35".to_owned()),
            ("pendidikan", "SMA/SMK".to_owned()),
            ("pekerjaan", "Wirausaha".to_owned()),
            ("saran", format!("Uji {marker}")),
        ] {
            fields.push((k.to_owned(), v));
        }
        Some(Spec::Survey { marker, client, fields })
    }

    /// Sends it once: status, Location, body; `Err` for no usable answer (connection
    /// refused or cut, timeout, a 5xx).
    pub async fn send_once(&self, ctx: &Ctx) -> Result<(u16, Option<String>, String), ()> {
        let request = match self {
            Spec::Api { marker, client, body } => client
                .post(format!("{}/api/v1/units/{}/complaints", ctx.base, ctx.unit))
                .header("Idempotency-Key", marker.as_str())
                .json(body),
            Spec::Form {
                marker,
                client,
                csrf,
                token,
            } => client
                .post(format!("{}/u/{}/pengaduan", ctx.base, ctx.unit))
                .query(&[("csrf", csrf)])
                .multipart(
                    reqwest::multipart::Form::new()
                        .text("submission_token", token.clone())
                        .text("klasifikasi", "pengaduan")
                        .text("subject", format!("Uji {marker}"))
                        .text("description", "Jalan menuju kantor pelayanan rusak dan berlubang."),
                ),
            Spec::Survey { client, fields, .. } => {
                client.post(format!("{}/survei/{}", ctx.base, ctx.unit)).form(fields)
            }
            Spec::Move { marker, complaint } => ctx
                .staff
                .0
                .post(format!("{}/staf/{}/pengaduan/{complaint}/status", ctx.base, ctx.unit))
                .form(&[
                    ("csrf", ctx.staff.1.as_str()),
                    ("to", "ditindaklanjuti"),
                    ("dari", "didisposisikan"),
                    ("note", format!("Tindak lanjut {marker}").as_str()),
                ]),
            Spec::Answer { marker, complaint } => ctx
                .staff
                .0
                .post(format!("{}/staf/{}/pengaduan/{complaint}/jawaban", ctx.base, ctx.unit))
                .form(&[
                    ("csrf", ctx.staff.1.as_str()),
                    (
                        "isi",
                        format!("Jawaban uji {marker}: sudah kami tindak lanjuti.").as_str(),
                    ),
                ]),
        };
        let response = request.send().await.map_err(|_| ())?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.map_err(|_| ())?;
        if status >= 500 {
            return Err(());
        }
        Ok((status, location, body))
    }

    /// Sends until an answer comes (or the trial's deadline), and reads it.
    pub async fn until_answered(&self, ctx: &Ctx, already_tried: bool) -> Outcome {
        let mut retried = already_tried;
        let answer = loop {
            match self.send_once(ctx).await {
                Ok(answer) => break Some(answer),
                Err(()) if Instant::now() > ctx.deadline => break None,
                Err(()) => {
                    retried = true;
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
            }
        };
        Outcome {
            way: self.way(),
            marker: self.marker().to_owned(),
            target: self.target(),
            answer: answer.map_or(Answer::None, |a| self.read(a)),
            retried,
        }
    }

    fn read(&self, (status, location, body): (u16, Option<String>, String)) -> Answer {
        let location = location.unwrap_or_default();
        match self {
            Spec::Api { .. } if status == 201 => {
                let v: Value = serde_json::from_str(&body).unwrap_or_default();
                Answer::Acked(v["nomor_agenda"].as_str().unwrap_or_default().to_owned())
            }
            Spec::Form { .. } if status == 303 && location.starts_with("/lacak?kode=") => {
                let code = location.trim_start_matches("/lacak?kode=");
                Answer::Acked(code.split('&').next().unwrap_or_default().to_owned())
            }
            Spec::Survey { .. } if status == 303 && location.ends_with("/terima-kasih") => Answer::Acked(String::new()),
            Spec::Move { .. } | Spec::Answer { .. } if status == 303 => Answer::Acked(String::new()),
            _ => Answer::Refused,
        }
    }
}

/// GETs a page until the server answers it (a GET is safe to repeat).
async fn get_page(ctx: &Ctx, client: &reqwest::Client, path: &str) -> Option<String> {
    loop {
        if let Ok(r) = client.get(format!("{}{path}", ctx.base)).send().await
            && r.status().is_success()
            && let Ok(body) = r.text().await
        {
            return Some(body);
        }
        if Instant::now() > ctx.deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// One citizen or officer sending requests one after another until told to stop.
pub async fn client_loop(ctx: Arc<Ctx>, way: Way, n: usize, targets: Vec<i64>) -> Vec<Outcome> {
    let mut out = Vec::new();
    let mut seq = 0u64;
    let mut targets = targets.into_iter();
    while !ctx.stop.load(Ordering::SeqCst) {
        seq += 1;
        let marker = format!("t{}-{}{n}-{seq}", ctx.trial, way.name());
        let specs = match way {
            Way::Api => vec![Some(Spec::api(marker, seq.is_multiple_of(3)))],
            Way::Form => vec![Spec::form(&ctx, marker).await],
            Way::Survey => vec![Spec::survey(&ctx, marker, seq).await],
            Way::Move | Way::Answer => match targets.next() {
                Some(complaint) => vec![
                    Some(Spec::Move {
                        marker: marker.clone(),
                        complaint,
                    }),
                    Some(Spec::Answer { marker, complaint }),
                ],
                None => break,
            },
        };
        for spec in specs {
            let Some(spec) = spec else {
                return out;
            };
            out.push(spec.until_answered(&ctx, false).await);
        }
        // A citizen, not a benchmark: enough requests in flight at the kill without
        // queuing more mail than a short trial can drain.
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    out
}
