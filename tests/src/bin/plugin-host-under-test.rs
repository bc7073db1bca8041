//! The `plugin-host` command line, built inside this package so that tests
//! can run it as a real process (`CARGO_BIN_EXE_plugin-host-under-test`):
//! the same code as `host/src/main.rs`, with the same allocator.

use std::process::ExitCode;

// As in `host/src/main.rs`: sandboxes are often freed on another thread
// than the one that allocated them, which mimalloc's per-thread heaps take
// without locks (docs/measurements.md). `connector_load` measures this
// binary, so it should allocate as the real one does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let stdout = &mut std::io::stdout();
    let stderr = &mut std::io::stderr();
    ExitCode::from(plugin_host::cli::run_from(
        std::env::args_os(),
        stdout,
        stderr,
    ))
}
