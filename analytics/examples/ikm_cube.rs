//! Computes the full cube unit × service × month × element over synthetic responses
//! and prints the time, for measuring peak memory with `/usr/bin/time -v`:
//!
//! ```sh
//! cargo build --release -p analytics --example ikm_cube
//! /usr/bin/time -v target/release/examples/ikm_cube 10000000 3
//! /usr/bin/time -v target/release/examples/ikm_cube 10000000 0
//! ```

use std::time::Instant;

use analytics::synthetic::{SyntheticSurvey, synthetic_survey};
use analytics::{Dimension, IkmQuery, ikm};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rows: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000_000);
    // second argument: how many times to compute (0 = only build the data, to tell
    // the frame's own memory from the computation's)
    let runs: usize = std::env::args().nth(2).map(|a| a.parse()).transpose()?.unwrap_or(3);
    let t = Instant::now();
    let frame = synthetic_survey(&SyntheticSurvey {
        rows,
        ..SyntheticSurvey::default()
    })?;
    println!("generated {rows} responses in {:.2?}", t.elapsed());
    // Linux: reset the peak-RSS mark so the peak below is the computation's alone.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    println!("resident after building the frame: {}", proc_status("VmRSS"));
    let query = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Service, Dimension::Month],
        ..IkmQuery::default()
    };
    for _ in 0..runs {
        let t = Instant::now();
        let report = ikm(&frame, &query)?;
        println!(
            "cube: {} groups x {} elements in {:.2?}",
            report.groups.len(),
            report.elements.len(),
            t.elapsed()
        );
    }
    println!("peak resident while computing: {}", proc_status("VmHWM"));
    Ok(())
}

/// A memory line of /proc/self/status ("?" where there is none).
fn proc_status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len() + 1..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}
