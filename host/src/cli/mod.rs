//! The `plugin-host` command line, as a library so tests drive it
//! in-process: clap's definitions and one module per command, each doing
//! argument handling and little else.
//!
//! - [`invoke`]: run one handler on one event file.
//! - [`serve`]: start the [`server`](crate::server).
//! - [`sign`]: sign a body as Bold Checkout would.
//! - [`outbox`]: inspect and replay connector notifications.
//! - [`shops`]: the shops plugins are installed on.
//! - [`check`]: `check` and `precompile`, for operators.
//! - [`new`]: write a new plugin crate.

pub mod check;
pub mod invoke;
pub mod new;
pub mod outbox;
pub mod serve;
pub mod shops;
pub mod sign;

use std::io::Write;

use clap::{Parser, Subcommand};

use invoke::InvokeArgs;
use new::NewArgs;
use outbox::OutboxArgs;
use serve::ServeArgs;
use shops::ShopsArgs;
use sign::SignArgs;

/// Runs Bold Checkout plugins compiled to WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "plugin-host", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one handler locally on an event file: the answer on stdout, the
    /// report on stderr. Exit 0 on success, 1 on a handler fault, 2 on bad
    /// usage or input.
    Invoke(InvokeArgs),
    /// Serve the plugins of a host file over HTTP (the endpoint Bold
    /// Checkout calls). Prints `listening on <addr>` once ready.
    Serve(ServeArgs),
    /// Sign a request body as Bold Checkout would (or, with `--x-hmac`, as
    /// Bold calls a platform connector): prints the headers and a ready
    /// `curl` command (`--print headers|curl` for one of them), or sends it
    /// (`--send`) and prints the answer.
    Sign(SignArgs),
    /// Inspect and replay connector notifications: `list`, `retry` (dead
    /// letters), `purge`.
    Outbox(OutboxArgs),
    /// The shops plugins are installed on: `list`, `remove`. Never tokens.
    Shops(ShopsArgs),
    /// Check a host file for a deploy: every manifest, secret and component
    /// (compiled and checked against its world); one line per problem, exit
    /// 1 if there is any.
    Check(check::CheckArgs),
    /// Compile every component of a host file into the artifact cache, so
    /// the first start is warm; exit 1 if any fails.
    Precompile(check::CheckArgs),
    /// Write a new plugin crate (a checkout plugin, or with `--connector` a
    /// platform connector) with native tests, a manifest and a host file to
    /// serve it. Refuses to overwrite anything (exit 2).
    New(NewArgs),
}

/// Runs a parsed command line; returns the process exit status.
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match cli.command {
        Command::Serve(args) => match serve::serve_command(&args) {
            Ok(()) => 0,
            Err(err) => {
                let _ = writeln!(stderr, "error: {err}");
                err.exit_code()
            }
        },
        Command::Sign(args) => match sign::sign_command(&args, stdout, stderr) {
            Ok(code) => code,
            Err(err) => {
                let _ = writeln!(stderr, "error: {err}");
                err.exit_code()
            }
        },
        Command::Outbox(args) => outbox::run(&args, stdout, stderr),
        Command::Shops(args) => shops::run(&args, stdout, stderr),
        Command::Check(args) => check::run(&args, check::Mode::Check, stdout, stderr),
        Command::Precompile(args) => check::run(&args, check::Mode::Precompile, stdout, stderr),
        Command::New(args) => match new::run(&args, stdout) {
            Ok(()) => 0,
            Err(err) => {
                let _ = writeln!(stderr, "error: {err}");
                err.exit_code()
            }
        },
        Command::Invoke(args) => {
            init_quiet_logging();
            invoke_exit_code(invoke::run(&args, stdout, stderr), stderr)
        }
    }
}

fn invoke_exit_code(result: Result<(), invoke::InvokeError>, stderr: &mut dyn Write) -> u8 {
    match result {
        Ok(()) => 0,
        Err(err @ invoke::InvokeError::Usage(_)) => {
            let _ = writeln!(stderr, "error: {err}");
            err.exit_code()
        }
        // The report already ends with `error: <kind>: <reason>`.
        Err(err) => err.exit_code(),
    }
}

/// Warnings and errors only, on stderr (for `invoke`); `RUST_LOG` overrides.
fn init_quiet_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
}

/// Parses `args` (the first is the program name) and runs them, as the
/// binary does: clap's own usage errors exit 2, `--help` and `--version` 0.
pub fn run_from<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli, stdout, stderr),
        Err(err) => {
            let text = err.render().to_string();
            if err.use_stderr() {
                let _ = write!(stderr, "{text}");
            } else {
                let _ = write!(stdout, "{text}");
            }
            u8::try_from(err.exit_code()).unwrap_or(2)
        }
    }
}
