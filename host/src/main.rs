//! The `plugin-host` binary: a thin shell over [`plugin_host::cli`].

use std::process::ExitCode;

// Every sandbox allocates its store and frees it on whichever thread drops
// it, often not the one that allocated it; mimalloc's per-thread heaps
// take such frees without the locks glibc's arenas need (docs/measurements.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Unlocked handles: `serve` logs to stderr from other threads.
    let stdout = &mut std::io::stdout();
    let stderr = &mut std::io::stderr();
    ExitCode::from(plugin_host::cli::run_from(
        std::env::args_os(),
        stdout,
        stderr,
    ))
}
