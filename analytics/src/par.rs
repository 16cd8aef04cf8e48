//! Row-range parallelism with scoped std threads (no extra dependency): the hot loops
//! split the rows into one contiguous range per core.

use std::ops::Range;

/// Below this many rows a computation stays on the calling thread.
const MIN_PARALLEL_ROWS: usize = 200_000;

/// Number of row ranges to use for `n` rows.
pub(crate) fn threads_for(n: usize) -> usize {
    if n < MIN_PARALLEL_ROWS {
        return 1;
    }
    std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .clamp(1, 16)
}

/// Splits `0..n` into `parts` contiguous ranges of near-equal size.
pub(crate) fn ranges(n: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.max(1);
    let step = n.div_ceil(parts).max(1);
    (0..parts)
        .map(|p| (p * step).min(n)..((p + 1) * step).min(n))
        .filter(|r| !r.is_empty() || n == 0)
        .collect()
}

/// Runs `f` on every range of rows, one thread per range, and returns the results in
/// range order.
pub(crate) fn map_ranges<T: Send>(n: usize, f: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
    let rs = ranges(n, threads_for(n));
    if rs.len() <= 1 {
        return rs.into_iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = rs.into_iter().map(|r| s.spawn(move || f(r))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// Fills `out` in parallel: `f(start, chunk)` gets each chunk and its first row.
pub(crate) fn fill_chunks<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync) {
    let n = out.len();
    let rs = ranges(n, threads_for(n));
    if rs.len() <= 1 {
        f(0, out);
        return;
    }
    let step = rs[0].len();
    let f = &f;
    std::thread::scope(|s| {
        for (i, chunk) in out.chunks_mut(step).enumerate() {
            s.spawn(move || f(i * step, chunk));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_everything_once() {
        for n in [0, 1, 7, 100, 1001] {
            for p in 1..5 {
                let rs = ranges(n, p);
                let total: usize = rs.iter().map(|r| r.len()).sum();
                assert_eq!(total, n);
                for w in rs.windows(2) {
                    assert_eq!(w[0].end, w[1].start);
                }
            }
        }
    }
}
