//! Bounded load test of the survey submission endpoint on loopback.
//!
//! Starts the real app on 127.0.0.1:0 against a fresh SQLite file, then has M
//! concurrent clients (each with its own cookie jar and CSRF token, like browsers)
//! post complete survey responses for N seconds. Prints responses per second and
//! latency percentiles, and checks that the database holds exactly the responses
//! that were answered with the thank-you redirect.
//!
//!     cargo run -p tanggap --example survey_load -- [SECONDS=10] [CLIENTS=64]

use std::time::{Duration, Instant};

use tanggap::config::Config;
use tanggap::domain::Channel;
use tanggap::storage::model::{NewService, NewUnit};

const ELEMENTS: [&str; 9] = [
    "persyaratan",
    "prosedur",
    "waktu",
    "biaya",
    "produk",
    "kompetensi",
    "perilaku",
    "sarana",
    "pengaduan",
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(10);
    let clients: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(64);

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}", dir.path().join("load.db").display());
    let store = tanggap::storage::connect(&url).await?;
    store.migrate().await?;
    let unit_id = store
        .create_unit(&NewUnit {
            code: "beban".into(),
            name: "Unit Uji Beban".into(),
            short_name: "Uji".into(),
            address: String::new(),
            city: "Dumai".into(),
            phone: String::new(),
            email: String::new(),
            time_zone: "Asia/Jakarta".into(),
            letterhead: vec![],
            head_title: String::new(),
            head_name: String::new(),
            head_nip: String::new(),
            complaint_channels: vec![Channel::Skm],
        })
        .await?;
    store
        .create_service(
            unit_id,
            &NewService {
                code: "ktp".into(),
                name: "Rekam KTP".into(),
                division_id: None,
                requirements: vec![],
                completion_days: 0,
                completion_text: "hari itu".into(),
                working_days: true,
                fee_rupiah: 0,
                fee_text: String::new(),
                product: "KTP".into(),
                complaint_channels: vec![],
            },
        )
        .await?;
    let config = Config {
        bind: "127.0.0.1:0".parse()?,
        database_url: url.clone().into(),
        // The per-address limit would stop one loopback address at once: the load
        // test measures the endpoint, not the limiter.
        public_rate_per_minute: 1_000_000_000,
        ..Config::default()
    };
    let server = tanggap::server::Server::bind(config, store.clone()).await?;
    let base = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_no in 0..clients {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let page = client
                .get(format!("{base}/survei/beban"))
                .send()
                .await
                .expect("survey page")
                .text()
                .await
                .expect("body");
            let marker = "name=\"csrf\" value=\"";
            let start = page.find(marker).expect("csrf field") + marker.len();
            let csrf = page[start..].split('"').next().expect("csrf value").to_owned();
            // Each post differs (a numbered saran): the survey refuses the very same
            // answers from one browser twice (duplicate detection, survey::dedupe).
            let body = |n: u64| {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("csrf", &csrf).append_pair("layanan", "ktp");
                for (i, key) in ELEMENTS.iter().enumerate() {
                    form.append_pair(&format!("q_{key}"), &(1 + (client_no + i) % 4).to_string());
                }
                form.append_pair("umur", "35").append_pair("jenis_kelamin", "L");
                form.append_pair("saran", &format!("beban {client_no}-{n}"));
                form.finish()
            };
            let mut sent_count = 0u64;
            let mut latencies = Vec::new();
            let mut failures = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let status = client
                    .post(format!("{base}/survei/beban"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body({
                        sent_count += 1;
                        body(sent_count)
                    })
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                match status {
                    Ok(303) => latencies.push(sent.elapsed()),
                    _ => failures += 1,
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (l, f) = task.await?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed();
    let _ = stop.send(());
    serving.await??;

    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    let stored = store.counts().await?.survey_responses;
    println!(
        "{} responses accepted in {:.1} s by {clients} clients: {:.0} responses/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {failures} failed; {stored} stored",
        latencies.len(),
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(1.0),
    );
    anyhow::ensure!(
        stored as usize == latencies.len(),
        "the database holds {stored} responses but {} were acknowledged",
        latencies.len()
    );
    Ok(())
}
