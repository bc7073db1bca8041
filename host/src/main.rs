//! The `plugin-host` binary: a thin shell over [`plugin_host::cli`].

use std::process::ExitCode;

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
