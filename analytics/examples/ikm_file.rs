//! The IKM cube unit × service × month of a survey file (CSV or Parquet), as
//! `tanggap analytics ikm` computes it, without the server around it: for profiling
//! the file path with `perf` in a build of `analytics` alone.
//!
//! ```sh
//! cargo build --release -p analytics --example ikm_file
//! perf record -g target/release/examples/ikm_file survey-10000000.parquet
//! ```

use std::time::Instant;

use analytics::survey_file::{ikm_csv_file, ikm_parquet};
use analytics::{Dimension, IkmQuery};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: ikm_file FILE [RUNS]")?;
    let runs: usize = std::env::args().nth(2).map(|a| a.parse()).transpose()?.unwrap_or(1);
    let query = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Service, Dimension::Month],
        ..IkmQuery::default()
    };
    for _ in 0..runs {
        let t = Instant::now();
        let file = std::fs::File::open(&path)?;
        let data = if path.ends_with(".parquet") {
            ikm_parquet(&file, &query, "")?
        } else {
            ikm_csv_file(&file, &query, "")?
        };
        println!(
            "{} groups, {} rows accepted, {} rejected in {:.2?}",
            data.report.groups.len(),
            data.accepted,
            data.rejected.len(),
            t.elapsed()
        );
    }
    Ok(())
}
