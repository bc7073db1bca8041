//! The `plugin-host` command line, built inside this package so that tests
//! can run it as a real process (`CARGO_BIN_EXE_plugin-host-under-test`):
//! the same code as `host/src/main.rs`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let stdout = &mut std::io::stdout();
    let stderr = &mut std::io::stderr();
    ExitCode::from(plugin_host::cli::run_from(
        std::env::args_os(),
        stdout,
        stderr,
    ))
}
