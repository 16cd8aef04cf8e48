//! The `tanggap` command.

/// mimalloc instead of the C library's allocator, for Rust and (its `override`
/// feature) for SQLite too: glibc's malloc spent a fifth of a LAPOR! import merging
/// freed blocks (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    without_transparent_huge_pages();
    tanggap::cli::main()
}

/// Transparent huge pages off for this process. mimalloc asks the kernel for them
/// (`madvise`), and the kernel then zeroes 2 MiB for every fresh page the
/// allocator touches, however little of it is used: half of a monthly report's
/// time went into clearing pages, and its peak memory grew with it
/// (docs/performance/analytics.md, "Transparent huge pages"). The flag only changes how this
/// process's memory is backed; nothing else depends on it, so a kernel that
/// refuses it is ignored.
#[cfg(target_os = "linux")]
fn without_transparent_huge_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers, touches no memory
    // of ours, and only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(not(target_os = "linux"))]
fn without_transparent_huge_pages() {}
