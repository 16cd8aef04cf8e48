//! Issue 18: a survey file is read in bounded memory. The CSV reader's peak heap use
//! (counted by this test's allocator) stays the same when the file grows fourfold:
//! it never holds the file, its rows or a `String` per cell, only a few blocks per
//! thread and the per-group sums (the same 12,000 groups in both files).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};

use analytics::survey_file::ikm_csv;
use analytics::{Dimension, IkmQuery};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// An interchange CSV of `rows` respondents made on the fly (never whole in memory):
/// 40 units, 25 services, 12 months, some scores unanswered.
struct Survey {
    rows: usize,
    next: usize,
    line: Vec<u8>,
    at: usize,
}

impl Survey {
    fn new(rows: usize) -> Self {
        Survey {
            rows,
            next: 0,
            line: b"tanggal,unit,layanan,u1,u2,u3,u4,u5,u6,u7,u8,u9\n".to_vec(),
            at: 0,
        }
    }
}

impl Read for Survey {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.line.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            let i = self.next;
            self.next += 1;
            let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut draw = |n: u64| {
                x ^= x >> 29;
                x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
                x % n
            };
            let mut line = format!(
                "2025-{:02}-{:02},unit-{:02},layanan-{:02}",
                draw(12) + 1,
                draw(28) + 1,
                draw(40),
                draw(25)
            );
            for _ in 0..9 {
                match draw(50) {
                    0 => line.push(','),
                    s => line += &format!(",{}", s % 4 + 1),
                }
            }
            line.push('\n');
            self.line = line.into_bytes();
            self.at = 0;
        }
        let n = buf.len().min(self.line.len() - self.at);
        buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Peak heap use while computing the cube over `rows` respondents.
fn peak(rows: usize) -> usize {
    let query = IkmQuery {
        group_by: vec![Dimension::Unit, Dimension::Service, Dimension::Month],
        ..IkmQuery::default()
    };
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let before = LIVE.load(Ordering::Relaxed);
    let data = ikm_csv(Survey::new(rows), &query, "-").unwrap();
    assert_eq!(
        data.accepted as usize,
        rows,
        "{:?}",
        &data.rejected[..data.rejected.len().min(3)]
    );
    assert_eq!(data.report.groups.len(), 12_000);
    drop(data);
    PEAK.load(Ordering::Relaxed) - before
}

#[test]
fn csv_memory_does_not_grow_with_the_file() {
    const MB: usize = 1 << 20;
    // About 48 bytes a row: 14 MB and 58 MB of CSV.
    let small = peak(300_000);
    let large = peak(1_200_000);
    eprintln!(
        "peak heap: {} MB for 300,000 rows, {} MB for 1,200,000 rows",
        small / MB,
        large / MB
    );
    assert!(
        large < small + 12 * MB,
        "{small} -> {large} bytes: memory grows with the file"
    );
}
