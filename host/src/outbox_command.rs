//! `plugin-host outbox list|retry|purge`: inspect and replay the connector
//! notification queue of a host file (or a database file), also while the
//! server runs (SQLite in WAL mode allows a second process).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::HostConfig;
use crate::outbox::cli::{self, PurgeRequest, RetryRequest};
use crate::outbox::{Filter, OutboxStore, SqliteStore, Status, Timestamp};

/// Arguments of `plugin-host outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: OutboxCommand,
    /// The host file whose outbox to open (its `[outbox] database`, default
    /// `<data_dir>/outbox/outbox.sqlite3`). Plugins and secrets are not
    /// loaded.
    #[arg(
        long,
        global = true,
        value_name = "host.toml",
        conflicts_with = "database"
    )]
    pub config: Option<PathBuf>,
    /// The outbox database file itself.
    #[arg(long, global = true, value_name = "FILE")]
    pub database: Option<PathBuf>,
}

/// The `outbox` subcommands.
#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List notifications, newest first: id, status, plugin, shop, entity,
    /// `platform_updated_at`, attempts, next attempt, last error. Never
    /// payloads.
    List {
        /// Only this status: pending, in_flight, delivered, dead, superseded.
        #[arg(long)]
        status: Option<Status>,
        /// Only this plugin.
        #[arg(long)]
        plugin: Option<String>,
        /// Only this shop.
        #[arg(long)]
        shop: Option<String>,
        /// At most this many rows (default 100).
        #[arg(long)]
        limit: Option<usize>,
        /// A JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Put dead letters back in the queue (due now, attempts reset); a
    /// running server delivers them within a second.
    Retry {
        /// Notification ids (from `list`).
        ids: Vec<i64>,
        /// Every dead letter (of `--plugin`, if given).
        #[arg(long)]
        all_dead: bool,
        /// Only this plugin's.
        #[arg(long)]
        plugin: Option<String>,
    },
    /// Delete finished notifications (delivered, dead, superseded).
    Purge {
        /// Statuses to delete (repeatable).
        #[arg(long = "status", required = true)]
        statuses: Vec<Status>,
        /// Only those finished longer ago than this (e.g. 7d, 12h, 30m).
        #[arg(long, value_parser = parse_age)]
        older_than: Option<std::time::Duration>,
        /// Only this plugin's.
        #[arg(long)]
        plugin: Option<String>,
    },
}

fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    cli::parse_age(text).map_err(|e| e.to_string())
}

/// Runs the command; returns the exit status (0 ok, 1 store failure, 2
/// usage or configuration).
pub fn run(args: &OutboxArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let path = match (&args.database, &args.config) {
        (Some(db), _) => db.clone(),
        (None, Some(config)) => match HostConfig::outbox_database(config) {
            Ok(path) => path,
            Err(err) => {
                let _ = writeln!(stderr, "error: {err}");
                return 2;
            }
        },
        (None, None) => {
            let _ = writeln!(stderr, "error: name the outbox with --config or --database");
            return 2;
        }
    };
    if !path.exists() {
        let _ = writeln!(
            stderr,
            "error: no outbox at {} (it is created when a server with a connector starts)",
            path.display()
        );
        return 2;
    }
    let store = match SqliteStore::open(&path) {
        Ok(store) => store,
        Err(err) => {
            let _ = writeln!(stderr, "error: {err}");
            return 1;
        }
    };
    match execute(&args.command, &store, stdout) {
        Ok(()) => 0,
        Err(err) => {
            let _ = writeln!(stderr, "error: {err}");
            match err {
                cli::CliError::Store(_) => 1,
                _ => 2,
            }
        }
    }
}

fn execute(
    command: &OutboxCommand,
    store: &dyn OutboxStore,
    stdout: &mut dyn Write,
) -> Result<(), cli::CliError> {
    let now = Timestamp::now();
    match command {
        OutboxCommand::List {
            status,
            plugin,
            shop,
            limit,
            json,
        } => {
            let filter = Filter {
                status: *status,
                plugin: plugin.clone(),
                shop: shop.clone(),
                limit: *limit,
            };
            let output = cli::list(store, &filter)?;
            if *json {
                let _ = writeln!(stdout, "{}", output.to_json());
            } else {
                let _ = write!(stdout, "{output}");
            }
        }
        OutboxCommand::Retry {
            ids,
            all_dead,
            plugin,
        } => {
            let request = RetryRequest {
                ids: ids.clone(),
                all_dead: *all_dead,
                plugin: plugin.clone(),
            };
            let _ = writeln!(stdout, "{}", cli::retry(store, &request, now)?);
        }
        OutboxCommand::Purge {
            statuses,
            older_than,
            plugin,
        } => {
            let request = PurgeRequest {
                statuses: statuses.clone(),
                older_than: *older_than,
                plugin: plugin.clone(),
            };
            let _ = writeln!(stdout, "{}", cli::purge(store, &request, now)?);
        }
    }
    Ok(())
}
