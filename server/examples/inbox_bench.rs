//! Inbox benchmark: one unit with 100,000 complaints (the demo generator's, loaded
//! with `bulk_load_complaints`), then the staff inbox queries timed server-side
//! (`Store::inbox`: one page of 50 rows plus the count per status), on SQLite and,
//! when `TANGGAP_TEST_POSTGRES_URL` names a server, on a fresh PostgreSQL database.
//!
//!     cargo run -p tanggap --example inbox_bench -- [COMPLAINTS=100000]
//!
//! PostgreSQL gets a `VACUUM ANALYZE` after the load, as autovacuum would do on a
//! live database. Prints the median and the slowest of 7 runs per query; docs/performance.md keeps
//! the figures. The target is under 200 ms per page.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use tanggap::demo::{DemoOptions, DemoUnit, generate_complaints};
use tanggap::domain::Channel;
use tanggap::storage::Store;
use tanggap::storage::model::{NewService, NewUnit};
use tanggap::storage::triage::{InboxQuery, InboxSort};

async fn arrange(store: &dyn Store, complaints: usize) -> anyhow::Result<i64> {
    store.migrate().await?;
    let unit_id = store
        .create_unit(&NewUnit {
            code: "bangku-uji".into(),
            name: "Dinas Uji Kotak Masuk".into(),
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
            complaint_channels: vec![Channel::Website],
        })
        .await?;
    let division = store.create_division(unit_id, "Bidang Pelayanan").await?;
    let mut services = Vec::new();
    for (code, name) in [
        ("izin-usaha", "Izin Usaha"),
        ("kartu-identitas", "Kartu Identitas"),
        ("bansos", "Bantuan Sosial"),
    ] {
        let id = store
            .create_service(
                unit_id,
                &NewService {
                    code: code.into(),
                    name: name.into(),
                    division_id: Some(division),
                    requirements: vec![],
                    completion_days: 5,
                    completion_text: "5 hari kerja".into(),
                    working_days: true,
                    fee_rupiah: 0,
                    fee_text: String::new(),
                    product: String::new(),
                    complaint_channels: vec![],
                },
            )
            .await?;
        services.push((id, name.to_owned(), Some(division)));
    }
    let unit = DemoUnit {
        id: unit_id,
        code: "bangku-uji".into(),
        agenda_format: "ADU/{year}/{number:06}".into(),
        services,
    };
    let options = DemoOptions {
        seed: 6,
        complaints,
        responses: 0,
        end_date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
    };
    let started = Instant::now();
    let all = generate_complaints(&[unit], &options);
    for chunk in all.chunks(5_000) {
        store.bulk_load_complaints(chunk).await?;
    }
    println!(
        "  loaded {} complaints in {:.1} s",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(unit_id)
}

async fn time_queries(store: &dyn Store, unit_id: i64) -> anyhow::Result<()> {
    let now = Utc::now();
    let base = InboxQuery {
        now,
        limit: 50,
        ..Default::default()
    };
    let cases: Vec<(&str, InboxQuery)> = vec![
        ("first page, newest first", base.clone()),
        (
            "page 200, newest first",
            InboxQuery {
                offset: 199 * 50,
                ..base.clone()
            },
        ),
        (
            "status = ditindaklanjuti, by deadline",
            InboxQuery {
                status: Some("ditindaklanjuti".into()),
                sort: InboxSort::Due,
                ..base.clone()
            },
        ),
        (
            "all, by deadline",
            InboxQuery {
                sort: InboxSort::Due,
                ..base.clone()
            },
        ),
        (
            "overdue only, by deadline",
            InboxQuery {
                overdue: true,
                sort: InboxSort::Due,
                ..base.clone()
            },
        ),
        (
            "full text \"antrean\"",
            InboxQuery {
                text: Some("antrean".into()),
                ..base.clone()
            },
        ),
        (
            "full text \"iz\" (a word begun)",
            InboxQuery {
                text: Some("iz".into()),
                ..base.clone()
            },
        ),
        (
            "full text \"ban\" (a word begun)",
            InboxQuery {
                text: Some("ban".into()),
                ..base.clone()
            },
        ),
        (
            "full text \"izin usaha belum\" + channel email",
            InboxQuery {
                text: Some("izin usaha belum".into()),
                channel: Some("email".into()),
                ..base.clone()
            },
        ),
        (
            "bobot sedang + date range (one month)",
            InboxQuery {
                bobot: Some("sedang".into()),
                from: Some("2026-06-01T00:00:00Z".parse()?),
                to: Some("2026-07-01T00:00:00Z".parse()?),
                ..base.clone()
            },
        ),
    ];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "  load average before timing: {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!("  | query | rows | median | slowest |");
    println!("  |---|---|---|---|");
    for (name, q) in cases {
        let mut times: Vec<Duration> = Vec::new();
        let mut rows = 0;
        for _ in 0..7 {
            let t = Instant::now();
            let page = store.inbox(unit_id, &q).await?;
            times.push(t.elapsed());
            rows = page.rows.len();
            assert!(!page.status_counts.is_empty() || rows == 0);
        }
        times.sort();
        println!(
            "  | {name} | {rows} | {:.1} ms | {:.1} ms |",
            times[3].as_secs_f64() * 1000.0,
            times[6].as_secs_f64() * 1000.0
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "  load average after timing: {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let complaints: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite:{}", dir.path().join("inbox.db").display());
    println!("SQLite ({url})");
    let store = tanggap::storage::connect(&url).await?;
    let unit = arrange(store.as_ref(), complaints).await?;
    time_queries(store.as_ref(), unit).await?;
    if let Ok(admin_url) = std::env::var("TANGGAP_TEST_POSTGRES_URL") {
        let name = format!("tanggap_inbox_bench_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&admin).await?;
        let mut pg_url = url::Url::parse(&admin_url)?;
        pg_url.set_path(&name);
        println!("PostgreSQL (database {name})");
        let result = async {
            let store = tanggap::storage::connect(pg_url.as_str()).await?;
            let unit = arrange(store.as_ref(), complaints).await?;
            sqlx::query("VACUUM ANALYZE")
                .execute(&sqlx::PgPool::connect(pg_url.as_str()).await?)
                .await?;
            time_queries(store.as_ref(), unit).await
        }
        .await;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await?;
        result?;
    }
    Ok(())
}
