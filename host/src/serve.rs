//! `plugin-host serve`: load the host file and every plugin, serve them,
//! reload on change or SIGHUP, drain on SIGTERM/ctrl-c.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::actions::ActionPolicy;
use crate::config::{ConfiguredPlugin, HostConfig, LogFormat};
use crate::http::{AppState, admin_app, app, public_app};
use crate::manifest::process_env;
use crate::metrics::Metrics;
use crate::native::NativeHandler;
use crate::outbox::{
    Backend, Credentials, DeliveryObserver, DeliverySettings, DeliveryWorker, Outbox, OutboxStore,
    PostgresStore, SqliteStore, Status, Timestamp,
};
use crate::registry::{ConnectorEntry, MAX_QUEUE_WAIT, PluginEntry, PluginStatus, Registry};
use crate::runtime::{ArtifactCache, Runtime};
use crate::sandbox_pool::{Admission, SandboxPool};
use crate::signature::{Algorithm, Policy, ReplayGuard, Secret, Verifier};

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
    /// Benchmarks only: call the example handlers compiled into this binary
    /// instead of their components (needs the `native-example-handlers`
    /// feature).
    #[arg(long, hide = true)]
    pub native_handlers: bool,
}

/// Why `serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is invalid (exit 2).
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// The host could not start or serve (exit 1).
    #[error("{0}")]
    Io(String),
}

/// How long file events are collected before a reload.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// Everything needed to (re)load plugins.
struct Loader {
    runtime: Runtime,
    registry: Arc<Registry>,
    metrics: Arc<Metrics>,
    config_path: PathBuf,
    listen_override: Option<SocketAddr>,
    bound: SocketAddr,
    native_handlers: bool,
}

/// Builds the verifier a manifest asks for.
fn verifier(plugin: &ConfiguredPlugin) -> (Verifier, Option<Arc<ReplayGuard>>) {
    let wanted = &plugin.manifest.signature;
    let policy = Policy {
        // The manifest parser only admits the three known names.
        algorithms: wanted
            .algorithms
            .iter()
            .filter_map(|a| a.parse::<Algorithm>().ok())
            .collect(),
        max_skew: wanted.max_skew,
        require_digest: wanted.require_digest,
        require_request_target: wanted.require_request_target,
    };
    let replay = wanted
        .replay_protection
        .then(|| Arc::new(ReplayGuard::for_policy(&policy)));
    let secrets = plugin
        .secrets
        .iter()
        .map(|s| Secret::new(s.expose().as_bytes()))
        .collect();
    (Verifier::new(policy, secrets), replay)
}

/// What makes a loaded plugin what it is: its manifest file, its component
/// and its secrets. Equal fingerprints mean a reload can keep the entry.
fn fingerprint(plugin: &ConfiguredPlugin) -> Option<[u8; 32]> {
    let mut hasher = Sha256::new();
    hasher.update(std::fs::read(&plugin.manifest.path).ok()?);
    hasher.update(std::fs::read(&plugin.manifest.component).ok()?);
    for secret in &plugin.secrets {
        hasher.update(Sha256::digest(secret.expose().as_bytes()));
    }
    if let Some(connector) = &plugin.connector_secrets {
        hasher.update(Sha256::digest(connector.bold_token.expose().as_bytes()));
        if let Some(webhook) = &connector.webhook {
            hasher.update(webhook.fingerprint());
        }
    }
    hasher.update(format!("{:?}", plugin.manifest).as_bytes());
    Some(hasher.finalize().into())
}

impl Loader {
    /// Loads one plugin (compiling or reading the cache): CPU work, call it
    /// off the async workers.
    fn load(&self, plugin: &ConfiguredPlugin) -> PluginEntry {
        let manifest = plugin.manifest.clone();
        let (verifier, replay) = verifier(plugin);
        // Signatures seen by the previous version stay refused.
        let replay = replay.map(|fresh| {
            self.registry
                .get(&manifest.id)
                .and_then(|old| old.replay.clone())
                .unwrap_or(fresh)
        });
        let admission = self
            .registry
            .get(&manifest.id)
            .filter(|old| {
                old.manifest.max_concurrency == manifest.max_concurrency
                    && old.manifest.queue == manifest.queue
            })
            .map(|old| old.admission.clone())
            .unwrap_or_else(|| {
                Arc::new(Admission::new(
                    manifest.max_concurrency,
                    manifest.queue,
                    MAX_QUEUE_WAIT,
                ))
            });
        let status = match self
            .runtime
            .load_file(&manifest.component, manifest.plugin_settings())
        {
            Ok(loaded) if loaded.is_connector() != manifest.connector.is_some() => {
                let reason = if loaded.is_connector() {
                    "the component is a platform connector: its manifest needs a [connector] table"
                } else {
                    "the manifest has a [connector] table but the component is a checkout plugin"
                };
                tracing::error!(plugin = %manifest.id, reason, "plugin failed to load");
                PluginStatus::Unavailable(reason.to_owned())
            }
            Ok(loaded) => {
                let info = loaded.load_info();
                tracing::info!(
                    plugin = %manifest.id,
                    cache = ?info.cache,
                    load_ms = info.duration.as_secs_f64() * 1e3,
                    "plugin loaded"
                );
                PluginStatus::Ready(loaded)
            }
            Err(err) => {
                tracing::error!(plugin = %manifest.id, error = %err, "plugin failed to load");
                PluginStatus::Unavailable(err.to_string())
            }
        };
        let native = if self.native_handlers {
            let settings = manifest.plugin_settings();
            NativeHandler::for_plugin(
                &manifest.id,
                settings.config.clone(),
                ActionPolicy::for_settings(&settings),
            )
        } else {
            None
        };
        let connector = manifest
            .connector
            .clone()
            .zip(plugin.connector_secrets.clone())
            .map(|(settings, secrets)| ConnectorEntry { settings, secrets });
        PluginEntry {
            native,
            connector,
            fingerprint: fingerprint(plugin),
            manifest,
            verifier,
            replay,
            admission,
            status,
        }
    }

    /// Loads every plugin of `config` at start-up.
    /// Loads every plugin of `config` at start-up, on every core (a cache
    /// miss compiles; a hit maps the artifact).
    fn load_all(&self, config: &HostConfig) {
        let workers = std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(config.plugins.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let loaded = std::sync::Mutex::new(Vec::with_capacity(config.plugins.len()));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(plugin) = config.plugins.get(i) else {
                            break;
                        };
                        let entry = self.load(plugin);
                        loaded
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(entry);
                    }
                });
            }
        });
        let entries = loaded
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.registry.replace_all(entries);
    }

    fn read_config(&self) -> Result<HostConfig, crate::config::ConfigError> {
        let mut config = HostConfig::from_file(&self.config_path)?;
        config.set_listen(self.listen_override.unwrap_or(self.bound));
        Ok(config)
    }

    /// Re-reads the configuration and reloads what changed. A plugin whose
    /// new version fails keeps serving its old one; a configuration that no
    /// longer parses changes nothing.
    fn reload(&self) -> Option<HostConfig> {
        let config = match self.read_config() {
            Ok(config) => config,
            Err(err) => {
                tracing::error!(error = %err, "reload refused: the configuration is invalid; nothing changed");
                return None;
            }
        };
        let mut entries = Vec::with_capacity(config.plugins.len());
        for plugin in &config.plugins {
            let old = self.registry.get(&plugin.manifest.id);
            if let Some(old) = &old {
                let fresh = fingerprint(plugin);
                if fresh.is_some() && fresh == old.fingerprint && old.is_ready() {
                    entries.push(PluginEntry::clone_of(old));
                    continue;
                }
            }
            let entry = self.load(plugin);
            let ok = entry.is_ready();
            self.metrics.reload(&plugin.manifest.id, ok);
            match (ok, old) {
                (false, Some(old)) if old.is_ready() => {
                    tracing::warn!(plugin = %plugin.manifest.id, "new version rejected; the previous version keeps serving");
                    entries.push(PluginEntry::clone_of(&old));
                }
                _ => {
                    if ok {
                        tracing::info!(plugin = %plugin.manifest.id, "plugin reloaded");
                    }
                    entries.push(entry);
                }
            }
        }
        self.registry.replace_all(entries);
        Some(config)
    }
}

/// Files whose change triggers a reload: the host file, every manifest and
/// every component.
fn watched_files(config: &HostConfig) -> HashSet<PathBuf> {
    let mut files: HashSet<PathBuf> = config
        .plugins
        .iter()
        .flat_map(|p| p.manifest.watched_files())
        .collect();
    files.insert(config.path.clone());
    if let Some(dir) = &config.plugin_dir {
        files.insert(dir.clone());
    }
    files.into_iter().map(|p| absolute(&p)).collect()
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

/// Watches the directories of `files`; sends a unit on each relevant change.
fn start_watcher(
    files: &HashSet<PathBuf>,
    changed: mpsc::UnboundedSender<()>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{RecursiveMode, Watcher};
    let wanted = files.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        if event
            .paths
            .iter()
            .any(|p| wanted.contains(p) || p.parent().is_some_and(|dir| wanted.contains(dir)))
        {
            let _ = changed.send(());
        }
    })?;
    let dirs: HashSet<PathBuf> = files
        .iter()
        .filter_map(|f| {
            if f.is_dir() {
                Some(f.clone())
            } else {
                f.parent().map(Path::to_owned)
            }
        })
        .collect();
    for dir in dirs {
        if let Err(err) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %err, "cannot watch for changes");
        }
    }
    Ok(watcher)
}

/// Resolves on SIGTERM or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: no new connections; draining requests in flight");
}

/// Sets up logging for `serve`: human or JSON lines on stderr.
fn init_logging(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Human => builder.try_init(),
    };
}

/// Runs `serve` until a shutdown signal; prints `listening on <addr>` on
/// stdout once bound and loaded.
pub fn serve_command(args: &ServeArgs) -> Result<(), ServeError> {
    if args.native_handlers
        && NativeHandler::for_plugin("example-checkout", Vec::new(), ActionPolicy::default())
            .is_none()
    {
        return Err(ServeError::Io(
            "--native-handlers needs a build with `--features native-example-handlers`".into(),
        ));
    }
    let config = HostConfig::from_file(&args.config)?;
    init_logging(if args.log_json {
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
        .map_err(|e| ServeError::Io(format!("cannot start the async runtime: {e}")))?;
    tokio.block_on(serve(
        config,
        args.listen,
        args.config.clone(),
        args.native_handlers,
    ))
}

async fn serve(
    mut config: HostConfig,
    listen_override: Option<SocketAddr>,
    config_path: PathBuf,
    native_handlers: bool,
) -> Result<(), ServeError> {
    let addr = listen_override.unwrap_or(config.listen);
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| ServeError::Io(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| ServeError::Io(e.to_string()))?;
    config.set_listen(bound);
    let admin = match config.admin_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|e| ServeError::Io(format!("cannot listen on {addr}: {e}")))?,
        ),
        None => None,
    };

    let runtime = Runtime::new(&config.engine, Some(ArtifactCache::new(config.cache_dir())))
        .map_err(|e| ServeError::Io(e.to_string()))?;
    let registry = Arc::new(Registry::new());
    let metrics = Arc::new(Metrics::new());
    let loader = Arc::new(Loader {
        runtime,
        registry: registry.clone(),
        metrics: metrics.clone(),
        config_path,
        listen_override,
        bound,
        native_handlers,
    });
    {
        let loader = loader.clone();
        let config = config.clone();
        tokio::task::spawn_blocking(move || loader.load_all(&config))
            .await
            .map_err(|e| ServeError::Io(format!("loading plugins failed: {e}")))?;
    }
    let pool = SandboxPool::new(config.sandbox_threads)
        .map_err(|e| ServeError::Io(format!("cannot start sandbox threads: {e}")))?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut state = AppState::new(registry.clone(), pool, metrics.clone());
    // The outbox (and its lock) only when a connector is served: servers of
    // checkout plugins alone may share a data directory.
    let has_connectors = config
        .plugins
        .iter()
        .any(|p| p.manifest.connector.is_some());
    let mut delivery_worker = None;
    let mut _outbox_lock = None;
    if has_connectors {
        let (outbox, lock) = open_outbox(&config, &process_env).await?;
        _outbox_lock = lock;
        let delivery = DeliverySettings {
            observer: Some(metrics.clone() as Arc<dyn DeliveryObserver>),
            ..DeliverySettings::new(config.bold_api.clone(), config.outbox.clone())
        };
        let worker = DeliveryWorker::spawn(
            outbox.clone(),
            Arc::new(RegistryCredentials(registry.clone())),
            delivery,
            stop_rx.clone(),
        )
        .map_err(|e| ServeError::Io(format!("cannot start the delivery worker: {e}")))?;
        delivery_worker = Some(worker);
        state = state.with_outbox(outbox);
    } else {
        tracing::info!("no connector configured: the notification outbox is not opened");
    }

    // Reload on file change (debounced) and on SIGHUP.
    let (changed_tx, changed_rx) = mpsc::unbounded_channel();
    let watcher = if config.watch {
        match start_watcher(&watched_files(&config), changed_tx.clone()) {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                tracing::warn!(error = %err, "file watching unavailable; reload with SIGHUP");
                None
            }
        }
    } else {
        None
    };
    spawn_sighup(changed_tx.clone());
    tokio::spawn(reload_loop(loader, changed_tx, changed_rx, watcher));

    let main_router = if admin.is_some() {
        public_app(state.clone())
    } else {
        app(state.clone())
    };
    let admin_task = admin.map(|listener| {
        let router = admin_app(state.clone());
        let mut stop = stop_rx.clone();
        if let Ok(addr) = listener.local_addr() {
            println!("admin listening on {addr}");
            tracing::info!(%addr, "admin listener (health, readiness, metrics)");
        }
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stop| *stop).await;
                })
                .await
        })
    });

    println!("listening on {bound}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    tracing::info!(addr = %bound, plugins = registry.entries().len(), "serving");

    let served = axum::serve(listener, main_router)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    let _ = stop_tx.send(true);
    if let Some(task) = admin_task {
        let _ = task.await;
    }
    // Deliveries in flight get the worker's grace period; what is left is
    // delivered after the next start.
    if let Some(worker) = delivery_worker {
        let _ = worker.await;
    }
    served.map_err(|e| ServeError::Io(format!("server error: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// Bold API tokens from the served connectors (current versions, so a
/// rotated token is used from the next attempt on).
struct RegistryCredentials(Arc<Registry>);

impl Credentials for RegistryCredentials {
    fn bold_token(&self, plugin: &str, shop: &str) -> Option<String> {
        let entry = self.0.get(plugin)?;
        let connector = entry.connector.as_ref()?;
        (connector.settings.shop_identifier == shop)
            .then(|| connector.secrets.bold_token.expose().to_owned())
    }
}

/// Opens the notification outbox of the configured backend (the
/// PostgreSQL URL from `env`) and starts its writer. The opening blocks
/// (SQLite; the PostgreSQL client runs a runtime of its own, which panics
/// inside this one), so it runs on a blocking thread.
async fn open_outbox(
    config: &HostConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Outbox, Option<std::fs::File>), ServeError> {
    let postgres_url = match config.outbox.backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(config.outbox.postgres_url_with_env(env).map_err(|e| {
            crate::config::ConfigError::Invalid {
                path: config.path.clone(),
                message: e.to_string(),
            }
        })?),
    };
    let config = config.clone();
    tokio::task::spawn_blocking(move || open_outbox_blocking(&config, postgres_url.as_deref()))
        .await
        .map_err(|e| ServeError::Io(format!("opening the outbox failed: {e}")))?
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
) -> Result<(Outbox, Option<std::fs::File>), ServeError> {
    let (store, lock, location): (Arc<dyn OutboxStore>, _, String) = match postgres_url {
        None => {
            let (store, lock) = open_sqlite(config)?;
            let location = store.path().display().to_string();
            (Arc::new(store), Some(lock), location)
        }
        Some(url) => {
            let store = PostgresStore::connect(url, config.outbox.postgres_pool_size)
                .map_err(|e| ServeError::Io(e.to_string()))?;
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
    let outbox = Outbox::start(store, &config.outbox)
        .map_err(|e| ServeError::Io(format!("cannot start the outbox: {e}")))?;
    Ok((outbox, lock))
}

/// Opens the SQLite outbox under its lock file and releases every lease a
/// previous process left.
fn open_sqlite(config: &HostConfig) -> Result<(SqliteStore, std::fs::File), ServeError> {
    let database = config.outbox.database_path(&config.data_dir);
    if let Some(dir) = database.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| ServeError::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    let lock_path = database.with_extension("lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| ServeError::Io(format!("cannot open {}: {e}", lock_path.display())))?;
    if lock.try_lock().is_err() {
        return Err(ServeError::Io(format!(
            "another plugin-host serve uses the outbox {} (one server per SQLite outbox; \
             several hosts share a queue with `[outbox] backend = \"postgres\"`)",
            database.display()
        )));
    }
    let store = SqliteStore::open(&database).map_err(|e| ServeError::Io(e.to_string()))?;
    // Nothing else delivers from this outbox: every lease is a leftover.
    match store.release_all_leases(Timestamp::now()) {
        Ok(0) => {}
        Ok(released) => tracing::info!(
            released,
            "outbox: notifications in flight when the last process stopped are queued again"
        ),
        Err(err) => return Err(ServeError::Io(err.to_string())),
    }
    Ok((store, lock))
}

#[cfg(unix)]
fn spawn_sighup(changed: mpsc::UnboundedSender<()>) {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::hangup()) {
        Ok(mut hup) => {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading");
                    if changed.send(()).is_err() {
                        break;
                    }
                }
            });
        }
        Err(err) => tracing::warn!(error = %err, "cannot listen for SIGHUP"),
    }
}

#[cfg(not(unix))]
fn spawn_sighup(_changed: mpsc::UnboundedSender<()>) {}

/// Waits for change notices, lets them settle for [`DEBOUNCE`], reloads in
/// the background, and re-aims the watcher at the new set of files (a
/// manifest may now name another component).
async fn reload_loop(
    loader: Arc<Loader>,
    sender: mpsc::UnboundedSender<()>,
    mut changed: mpsc::UnboundedReceiver<()>,
    mut watcher: Option<notify::RecommendedWatcher>,
) {
    while changed.recv().await.is_some() {
        loop {
            match tokio::time::timeout(DEBOUNCE, changed.recv()).await {
                Ok(Some(())) => continue,
                Ok(None) => return,
                Err(_) => break,
            }
        }
        let reloading = loader.clone();
        let Ok(Some(config)) = tokio::task::spawn_blocking(move || reloading.reload()).await else {
            continue;
        };
        if watcher.is_some() {
            watcher = match start_watcher(&watched_files(&config), sender.clone()) {
                Ok(new) => Some(new),
                Err(err) => {
                    tracing::warn!(error = %err, "file watching stopped; reload with SIGHUP");
                    None
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::open_outbox;
    use crate::config::HostConfig;
    use crate::outbox::tests::{T0, customer, pg_server};
    use crate::outbox::{Filter, OutboxStore, PostgresStore, Status, Timestamp};

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

            let (outbox, lock) = open_outbox(&config, &env).await.unwrap();
            assert!(lock.is_none(), "no lock file: hosts share the queue");
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
