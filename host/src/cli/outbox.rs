//! `plugin-host outbox list|retry|purge`: inspect and replay the connector
//! notification queue of a host file (or a database file), also while the
//! server runs (SQLite in WAL mode allows a second process; PostgreSQL is
//! shared anyway). With `--config`, the host file's `[outbox] backend`
//! decides: a SQLite file, or the PostgreSQL database whose URL is in the
//! environment variable `postgres_url_env`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::config::{HostConfig, process_env};
use crate::outbox::admin::{self, PurgeRequest, RetryRequest};
use crate::outbox::{
    Backend, Filter, OutboxError, OutboxStore, PostgresStore, SqliteStore, Status, Timestamp,
};

/// Arguments of `plugin-host outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: OutboxCommand,
    /// The host file whose outbox to open (its `[outbox]`: the SQLite
    /// `database`, default `<data_dir>/outbox/outbox.sqlite3`, or with
    /// `backend = "postgres"` the database whose URL is in the variable
    /// `postgres_url_env`). Plugins and their secrets are not loaded.
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
    admin::parse_age(text).map_err(|e| e.to_string())
}

/// Runs the command; returns the exit status (0 ok, 1 store failure, 2
/// usage or configuration).
pub fn run(args: &OutboxArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    run_with_env(args, stdout, stderr, &process_env)
}

/// [`run`] with an injected environment lookup (for the PostgreSQL URL).
pub fn run_with_env(
    args: &OutboxArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    env: &dyn Fn(&str) -> Option<String>,
) -> u8 {
    let store = match open(args, env) {
        Ok(store) => store,
        Err((code, message)) => {
            let _ = writeln!(stderr, "error: {message}");
            return code;
        }
    };
    match execute(&args.command, store.as_ref(), stdout) {
        Ok(()) => 0,
        Err(err) => {
            let _ = writeln!(stderr, "error: {err}");
            match err {
                admin::CliError::Store(_) => 1,
                _ => 2,
            }
        }
    }
}

/// Opens the store the arguments name, or says why not with an exit
/// status (1 store failure, 2 usage or configuration).
fn open(
    args: &OutboxArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Box<dyn OutboxStore>, (u8, String)> {
    let path = match (&args.database, &args.config) {
        (Some(db), _) => db.clone(),
        (None, Some(config)) => {
            let settings = HostConfig::outbox_settings(config).map_err(|e| (2, e.to_string()))?;
            match settings.backend {
                Backend::Sqlite => settings
                    .database
                    .clone()
                    .unwrap_or_else(|| settings.database_path(Path::new("."))),
                Backend::Postgres => {
                    let url = settings
                        .postgres_url_with_env(env)
                        .map_err(|e| (2, format!("{}: {e}", config.display())))?;
                    // One connection is enough for one command.
                    return PostgresStore::connect(&url, 1)
                        .map(|store| Box::new(store) as Box<dyn OutboxStore>)
                        .map_err(|e: OutboxError| (1, e.to_string()));
                }
            }
        }
        (None, None) => {
            return Err((2, "name the outbox with --config or --database".into()));
        }
    };
    if !path.exists() {
        return Err((
            2,
            format!(
                "no outbox at {} (it is created when a server with a connector starts)",
                path.display()
            ),
        ));
    }
    SqliteStore::open(&path)
        .map(|store| Box::new(store) as Box<dyn OutboxStore>)
        .map_err(|e| (1, e.to_string()))
}

fn execute(
    command: &OutboxCommand,
    store: &dyn OutboxStore,
    stdout: &mut dyn Write,
) -> Result<(), admin::CliError> {
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
            let output = admin::list(store, &filter)?;
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
            let _ = writeln!(stdout, "{}", admin::retry(store, &request, now)?);
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
            let _ = writeln!(stdout, "{}", admin::purge(store, &request, now)?);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser;

    use super::run_with_env;
    use crate::cli::{Cli, Command};
    use crate::outbox::testing::{T0, customer};
    use crate::outbox::{OutboxStore, PostgresStore, Timestamp};
    use test_support::pg_server;

    /// Runs `plugin-host outbox <args…>` with `env`; returns the exit
    /// status, stdout and stderr.
    fn outbox(args: &[&str], env: &dyn Fn(&str) -> Option<String>) -> (u8, String, String) {
        let argv = ["plugin-host", "outbox"].iter().chain(args);
        let Command::Outbox(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not the outbox command")
        };
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let code = run_with_env(&args, &mut stdout, &mut stderr, env);
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (code, text(stdout), text(stderr))
    }

    fn host_file(dir: &Path) -> String {
        let path = dir.join("host.toml");
        std::fs::write(
            &path,
            "[outbox]\nbackend = \"postgres\"\npostgres_url_env = \"OUTBOX_TEST_PG_URL\"\n",
        )
        .unwrap();
        path.display().to_string()
    }

    #[test]
    fn the_postgres_backend_needs_its_variable() {
        let dir = tempfile::tempdir().unwrap();
        let config = host_file(dir.path());
        let (code, stdout, stderr) = outbox(&["list", "--config", &config], &|_| None);
        assert_eq!(code, 2, "{stderr}");
        assert!(stdout.is_empty());
        assert!(
            stderr.contains("outbox.postgres_url_env") && stderr.contains("OUTBOX_TEST_PG_URL"),
            "{stderr}"
        );
    }

    /// `outbox list` and `retry` on a host file whose outbox is on
    /// PostgreSQL (skipped without PostgreSQL).
    #[test]
    fn lists_and_retries_a_postgres_outbox() {
        let Some(url) = pg_server::database("cli_postgres") else {
            return;
        };
        let store = PostgresStore::connect(&url, 1).unwrap();
        let t = Timestamp::now();
        store.enqueue_batch(&[customer("42", T0)], t).unwrap();
        let claimed = store
            .claim_due(t, 1, std::time::Duration::from_secs(60))
            .unwrap();
        store.mark_dead(claimed[0].id, t, "HTTP 400").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = host_file(dir.path());
        let env = |name: &str| (name == "OUTBOX_TEST_PG_URL").then(|| url.clone());

        let (code, stdout, stderr) = outbox(&["list", "--config", &config, "--json"], &env);
        assert_eq!(code, 0, "{stderr}");
        let rows: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(rows[0]["platform_id"], "42");
        assert_eq!(rows[0]["status"], "dead");

        let (code, stdout, stderr) = outbox(&["retry", "--config", &config, "--all-dead"], &env);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("retried 1 dead letter(s)"), "{stdout}");
        assert_eq!(store.counts().unwrap().pending, 1);
    }
}
