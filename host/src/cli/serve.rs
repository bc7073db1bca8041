//! `plugin-host serve`: its arguments, and the start of the server.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::config::{HostConfig, LogFormat};
use crate::dispatch::ActionPolicy;
use crate::dispatch::native::NativeHandler;
use crate::server::{self, ServeError, ServeOptions};

/// Arguments of `plugin-host serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The host file (`host.toml`).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Listen here instead of the host file's `listen` (`127.0.0.1:0` picks a
    /// free port; the bound address is printed as `listening on <addr>`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Log JSON lines instead of human-readable ones.
    #[arg(long)]
    pub log_json: bool,
    /// For plugin authors, never production: show every guest log line in
    /// the host's log, and save the body of each call that ends in a fault
    /// to `<data_dir>/dev/failures/` with the `plugin-host invoke` command
    /// that replays it (bodies hold buyers' personal data).
    #[arg(long)]
    pub dev: bool,
    /// Benchmarks only: call the example handlers compiled into this binary
    /// instead of their components (needs the `native-example-handlers`
    /// feature).
    #[arg(long, hide = true)]
    pub native_handlers: bool,
}

/// Runs `serve` until a shutdown signal.
pub fn serve_command(args: &ServeArgs) -> Result<(), ServeError> {
    if args.native_handlers
        && NativeHandler::for_plugin("example-checkout", Vec::new(), ActionPolicy::default())
            .is_none()
    {
        return Err(ServeError::NoNativeHandlers);
    }
    let config = HostConfig::from_file(&args.config)?;
    // Kept until `serve` returns: dropping it writes the queued lines.
    let _logs = server::logging::init_logging(if args.log_json {
        LogFormat::Json
    } else {
        config.log.format
    });
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("http")
        .build()
        .map_err(ServeError::AsyncRuntime)?;
    tokio.block_on(server::run(
        config,
        ServeOptions {
            config_path: args.config.clone(),
            listen: args.listen,
            native_handlers: args.native_handlers,
            dev: args.dev,
        },
    ))
}
