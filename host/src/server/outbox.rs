//! The notification outbox of a server that serves connectors: opened on
//! the configured backend (SQLite under a lock file, or PostgreSQL shared by
//! several hosts), and the Bold API tokens its delivery worker uses.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{HostConfig, process_env};
use crate::dispatch::{OutboxSlot, Registry};
use crate::outbox::{
    Backend, Credentials, Outbox, OutboxError, OutboxStore, PostgresStore, SettingsError,
    SqliteStore, Status, Timestamp,
};

/// How often the outbox is probed (can it still be read?), and the
/// longest wait between attempts to open it.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);
const MAX_OPEN_BACKOFF: Duration = Duration::from_secs(10);

impl OutboxOpenError {
    /// Whether trying again later can help (the database or the disk may
    /// come back); a wrong setting or another server on the same SQLite
    /// outbox cannot.
    pub fn is_transient(&self) -> bool {
        !matches!(
            self,
            OutboxOpenError::Settings { .. } | OutboxOpenError::Locked(_)
        )
    }
}

/// The outbox of a server that serves connectors, for as long as it runs:
/// `first` is the result of the attempt made at start-up. Until the outbox
/// is open (retried with backoff), connector routes answer 503 and
/// checkout routes are served; once open, it goes into `slot`, its delivery
/// worker starts, and a probe keeps `slot`'s writable flag current. Returns
/// once `stop` is set and the worker has finished.
pub(super) async fn keep(
    first: Result<Opened, OutboxOpenError>,
    config: HostConfig,
    slot: Arc<OutboxSlot>,
    delivery: impl FnOnce(Outbox) -> Result<JoinHandle<()>, OutboxError>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Duration::from_millis(250);
    let mut attempt = first;
    let opened = loop {
        match attempt {
            Ok(opened) => break opened,
            Err(err) => {
                tracing::error!(
                    error = %err,
                    retry_in_ms = backoff.as_millis() as u64,
                    "the outbox cannot be opened: connector routes answer 503 until it can"
                );
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        backoff = (backoff * 2).min(MAX_OPEN_BACKOFF);
        attempt = open_outbox(&config, &process_env).await;
    };
    slot.fill(opened.outbox.clone());
    let worker = match delivery(opened.outbox.clone()) {
        Ok(worker) => Some(worker),
        Err(err) => {
            tracing::error!(error = %err, "cannot start the delivery worker");
            None
        }
    };
    loop {
        tokio::select! {
            () = tokio::time::sleep(PROBE_INTERVAL) => {}
            _ = stop.wait_for(|stop| *stop) => break,
        }
        let store = opened.store.clone();
        let probe = tokio::task::spawn_blocking(move || store.next_due_at()).await;
        slot.set_writable(matches!(probe, Ok(Ok(_))));
    }
    // Deliveries in flight get the worker's grace period; what is left is
    // delivered after the next start.
    if let Some(worker) = worker {
        let _ = worker.await;
    }
}

/// Why the outbox could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OutboxOpenError {
    /// The PostgreSQL URL's settings are wrong (e.g. its variable is unset).
    #[error("{path}: {source}")]
    Settings {
        /// The host file.
        path: PathBuf,
        /// Why.
        #[source]
        source: SettingsError,
    },
    /// The database's directory could not be created.
    #[error("cannot create {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The lock file could not be opened.
    #[error("cannot open {path}: {source}")]
    LockFile {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Another server holds the lock.
    #[error(
        "another plugin-host serve uses the outbox {0} (one server per SQLite outbox; \
         several hosts share a queue with `[outbox] backend = \"postgres\"`)"
    )]
    Locked(PathBuf),
    /// The store could not be opened, or its leases released.
    #[error("{0}")]
    Store(#[source] OutboxError),
    /// The writer could not start.
    #[error("cannot start the outbox: {0}")]
    Start(#[source] OutboxError),
    /// The blocking open did not complete.
    #[error("opening the outbox failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Bold API tokens from the served connectors (current versions, so a
/// rotated token is used from the next attempt on).
pub(super) struct RegistryCredentials(pub(super) Arc<Registry>);

impl Credentials for RegistryCredentials {
    fn bold_token(&self, plugin: &str, shop: &str) -> Option<String> {
        let entry = self.0.get(plugin)?;
        let connector = entry.connector()?;
        (connector.settings.shop_identifier == shop)
            .then(|| connector.secrets.bold_token.expose().to_owned())
    }
}

/// Opens the notification outbox of the configured backend (the
/// PostgreSQL URL from `env`) and starts its writer. The opening blocks
/// (SQLite; the PostgreSQL client runs a runtime of its own, which panics
/// inside this one), so it runs on a blocking thread.
pub(super) async fn open_outbox(
    config: &HostConfig,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Opened, OutboxOpenError> {
    let postgres_url = match config.outbox.backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(config.outbox.postgres_url_with_env(env).map_err(|source| {
            OutboxOpenError::Settings {
                path: config.path.clone(),
                source,
            }
        })?),
    };
    let config = config.clone();
    tokio::task::spawn_blocking(move || open_outbox_blocking(&config, postgres_url.as_deref()))
        .await?
}

/// [`open_outbox`] on a blocking thread, with the PostgreSQL URL if the
/// backend is PostgreSQL.
///
/// - SQLite: one server per outbox. An exclusive lock on
///   `<database>.lock` is held for the server's lifetime (the returned
///   file), so the leases a previous (crashed) process left on
///   notifications in flight are void and released at once.
/// - PostgreSQL: any number of hosts share the queue, so there is no lock
///   file and no lease is released at start-up (another host may be
///   delivering): a crashed host's leases expire by time, and every
///   host's delivery worker releases expired ones periodically.
fn open_outbox_blocking(
    config: &HostConfig,
    postgres_url: Option<&str>,
) -> Result<Opened, OutboxOpenError> {
    let (store, lock, location): (Arc<dyn OutboxStore>, _, String) = match postgres_url {
        None => {
            let (store, lock) = open_sqlite(config)?;
            let location = store.path().display().to_string();
            (Arc::new(store), Some(lock), location)
        }
        Some(url) => {
            let store = PostgresStore::connect(url, config.outbox.postgres_pool_size)
                .map_err(OutboxOpenError::Store)?;
            let location = store.target().to_owned();
            (Arc::new(store), None, location)
        }
    };
    if let Ok(counts) = store.counts() {
        tracing::info!(
            backend = config.outbox.backend.as_str(),
            database = %location,
            pending = counts.get(Status::Pending),
            in_flight = counts.get(Status::InFlight),
            dead = counts.get(Status::Dead),
            "outbox open"
        );
    }
    let outbox = Outbox::start(store.clone(), &config.outbox).map_err(OutboxOpenError::Start)?;
    Ok(Opened {
        outbox,
        store,
        _lock: lock,
    })
}

/// An open outbox: the writer, the store (for the probe), and the SQLite
/// lock file held for as long as the server delivers from it.
pub(super) struct Opened {
    pub(super) outbox: Outbox,
    store: Arc<dyn OutboxStore>,
    _lock: Option<std::fs::File>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("outbox", &self.outbox)
            .field("locked", &self._lock.is_some())
            .finish_non_exhaustive()
    }
}

/// Opens the SQLite outbox under its lock file and releases every lease a
/// previous process left.
fn open_sqlite(config: &HostConfig) -> Result<(SqliteStore, std::fs::File), OutboxOpenError> {
    let database = config.outbox.database_path(&config.data_dir);
    if let Some(dir) = database.parent() {
        // 0700 when created: the queue holds customers' data.
        crate::runtime::private_dir::create(dir).map_err(|source| OutboxOpenError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let lock_path = database.with_extension("lock");
    let lock = crate::runtime::private_dir::file_options() // 0600 when created
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| OutboxOpenError::LockFile {
            path: lock_path.clone(),
            source,
        })?;
    if lock.try_lock().is_err() {
        return Err(OutboxOpenError::Locked(database));
    }
    let store = SqliteStore::open(&database).map_err(OutboxOpenError::Store)?;
    // Nothing else delivers from this outbox: every lease is a leftover.
    match store.release_all_leases(Timestamp::now()) {
        Ok(0) => {}
        Ok(released) => tracing::info!(
            released,
            "outbox: notifications in flight when the last process stopped are queued again"
        ),
        Err(err) => return Err(OutboxOpenError::Store(err)),
    }
    Ok((store, lock))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::open_outbox;
    use crate::config::HostConfig;
    use crate::outbox::testing::{T0, customer};
    use crate::outbox::{Filter, OutboxStore, PostgresStore, Status, Timestamp};
    use test_support::pg_server;

    /// `serve` opens a PostgreSQL outbox from async code (the client must
    /// not run on the runtime's threads), without a lock file and without
    /// releasing the leases of other hosts; dropping it in the runtime is
    /// fine.
    #[test]
    fn opens_a_postgres_outbox_from_async_code() {
        let Some(url) = pg_server::database("serve_open_outbox") else {
            return;
        };
        // Another host has a notification in flight.
        let other_host = PostgresStore::connect(&url, 1).unwrap();
        let t = Timestamp::now();
        other_host
            .enqueue_batch(&[customer("busy", T0)], t)
            .unwrap();
        let claimed = other_host
            .claim_due(t, 1, Duration::from_secs(600))
            .unwrap();
        assert_eq!(claimed.len(), 1);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("host.toml");
        std::fs::write(
            &path,
            "[outbox]\nbackend = \"postgres\"\npostgres_url_env = \"SERVE_TEST_PG_URL\"\n\
             postgres_pool_size = 2\n",
        )
        .unwrap();
        let config = HostConfig::from_file_with_env(&path, &|_| None).unwrap();
        let env = move |name: &str| (name == "SERVE_TEST_PG_URL").then(|| url.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let err = open_outbox(&config, &|_| None).await.unwrap_err();
            assert!(err.to_string().contains("SERVE_TEST_PG_URL"), "{err}");

            let opened = open_outbox(&config, &env).await.unwrap();
            assert!(
                opened._lock.is_none(),
                "no lock file: hosts share the queue"
            );
            let outbox = opened.outbox;
            let sqlite = config.outbox.database_path(&config.data_dir);
            assert!(!sqlite.with_extension("lock").exists());
            let report = outbox.enqueue(vec![customer("new", T0)]).await.unwrap();
            assert_eq!(report.queued(), 1);
            drop(outbox);
        });
        let records = other_host.list(&Filter::default()).unwrap();
        let busy = records.iter().find(|r| r.platform_id == "busy").unwrap();
        assert_eq!(
            busy.status,
            Status::InFlight,
            "the other host's lease is left alone"
        );
    }
}
