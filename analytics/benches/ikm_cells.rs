//! The IKM of one unit's year from stored cells (issue 18): 25 services × 365 days
//! of day cells, each the sums of 110 respondents (1,003,750 respondents in all),
//! decoded from their stored bytes and merged into the by-service-and-month report,
//! as `/api/v1/ikm?group_by=service,month` does after reading them. Run with
//! `cargo bench -p analytics --bench ikm_cells`.

use std::hint::black_box;
use std::time::Duration;

use analytics::{Cell, CellSums, Dimension, IkmQuery, cell_source, ikm_from_cells};
use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cells(c: &mut Criterion) {
    let services: Vec<String> = (0..25).map(|s| format!("layanan {s}")).collect();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // (service, day, stored bytes)
    let mut stored: Vec<(usize, NaiveDate, Vec<u8>)> = Vec::new();
    for s in 0..services.len() {
        for d in 0..365 {
            let mut sums = CellSums::new(9);
            for _ in 0..110 {
                let scores: Vec<u8> = (0..9).map(|_| (next() % 5) as u8).collect();
                sums.add_response(&scores).unwrap();
            }
            stored.push((s, start + chrono::Duration::days(d), sums.encode()));
        }
    }
    let query = IkmQuery {
        group_by: vec![Dimension::Service, Dimension::Month],
        ..IkmQuery::default()
    };
    let source = cell_source(&query).unwrap();
    let mut group = c.benchmark_group("ikm_cells");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(stored.len() as u64));
    group.bench_function("unit_year_by_service_month_9125_cells", |b| {
        b.iter(|| {
            let decoded: Vec<(usize, NaiveDate, CellSums)> = stored
                .iter()
                .map(|(s, d, bytes)| (*s, *d, CellSums::decode(bytes).unwrap()))
                .collect();
            let cells = decoded.iter().map(|(s, d, sums)| Cell {
                unit: "dinsos",
                service: &services[*s],
                day: *d,
                profile: None,
                sums,
            });
            black_box(ikm_from_cells(black_box(&query), &source, cells).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, cells);
criterion_main!(benches);
