//! The full IKM cube unit × service × month × element over 10 million synthetic
//! responses (target: under 1 s on a 2-core machine). Data is generated once, outside
//! the timed part. Run with
//! `cargo bench -p analytics`; set
//! `IKM_BENCH_ROWS` for another size.

use std::hint::black_box;
use std::time::Duration;

use analytics::synthetic::{SyntheticSurvey, synthetic_survey};
use analytics::{Dimension, IkmQuery, ikm};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cube(c: &mut Criterion) {
    let rows: usize = std::env::var("IKM_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let frame = synthetic_survey(&SyntheticSurvey {
        rows,
        ..SyntheticSurvey::default()
    })
    .expect("synthetic data");
    let query = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Service, Dimension::Month],
        ..IkmQuery::default()
    };
    let mut group = c.benchmark_group("ikm");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function(format!("cube_unit_service_month_{rows}"), |b| {
        b.iter(|| black_box(ikm(black_box(&frame), black_box(&query)).expect("ikm")))
    });
    group.finish();
}

criterion_group!(benches, cube);
criterion_main!(benches);
