//! The `tanggap` command.

/// mimalloc instead of the C library's allocator, for Rust and (its `override`
/// feature) for SQLite too: glibc's malloc spent a fifth of a LAPOR! import merging
/// freed blocks (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tanggap::cli::main()
}
