//! The `plugin-host` binary: a thin shell over [`plugin_host::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let stdout = &mut std::io::stdout().lock();
    let stderr = &mut std::io::stderr().lock();
    ExitCode::from(plugin_host::cli::run_from(
        std::env::args_os(),
        stdout,
        stderr,
    ))
}
