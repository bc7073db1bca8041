//! The server behind `plugin-host serve`: binds the listeners, loads the
//! plugins, opens the outbox when connectors are served, serves until a
//! shutdown signal, and reloads on change.
//!
//! - `listener`: the accept loop: connection cap, request-head deadline,
//!   bounded drain on shutdown.
//! - [`loader`](loader::Loader): manifest → plugin entry; start-up and reload.
//! - `reload`: the file watcher and SIGHUP.
//! - `tls`: HTTPS on the plugin listener (`[tls]`), its certificate
//!   reloaded when the files change.
//! - `outbox`: opening the notification outbox, and its lock.
//! - [`state`]: opening the installed shops (the install flow).
//! - `shutdown`: the signals that stop the server.
//! - [`logging`]: the log format.

mod listener;
mod loader;
pub mod logging;
mod outbox;
mod reload;
mod shutdown;
pub mod state;
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

pub use outbox::OutboxOpenError;
pub use state::StateOpenError;

use crate::config::{ConfigError, HostConfig, process_env};
use crate::dispatch::dev::DevMode;
use crate::dispatch::{Dispatcher, Registry};
use crate::http::{AppState, admin_app, app, public_app};
use crate::metrics::Metrics;
use crate::outbox::{DeliveryObserver, DeliverySettings, DeliveryWorker};
use crate::runtime::{ArtifactCache, Runtime, RuntimeError, SandboxPool};
use loader::Loader;

/// What `serve` was asked beyond the host file.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The host file, re-read on reload.
    pub config_path: PathBuf,
    /// Listen here instead of the host file's `listen`.
    pub listen: Option<SocketAddr>,
    /// Call the example handlers compiled into this binary instead of their
    /// components (benchmark baseline).
    pub native_handlers: bool,
    /// Dev mode (`serve --dev`): guest logs shown, failing requests saved.
    pub dev: bool,
}

/// Why `serve` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration is invalid (exit 2).
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// `--native-handlers` in a build without them.
    #[error("--native-handlers needs a build with `--features native-example-handlers`")]
    NoNativeHandlers,
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    AsyncRuntime(#[source] std::io::Error),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bound address could not be read.
    #[error("cannot read the listener's address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// The WebAssembly runtime could not start.
    #[error("{0}")]
    Runtime(#[from] RuntimeError),
    /// Loading the plugins did not complete.
    #[error("loading plugins failed: {0}")]
    Load(#[source] tokio::task::JoinError),
    /// The sandbox threads could not start.
    #[error("cannot start sandbox threads: {0}")]
    SandboxThreads(#[source] std::io::Error),
    /// The outbox could not be opened.
    #[error("{0}")]
    Outbox(#[from] OutboxOpenError),
    /// The installed shops could not be opened.
    #[error("{0}")]
    State(#[from] StateOpenError),
    /// rustls refused the TLS settings (not expected with ring).
    #[error("cannot set up TLS: {0}")]
    TlsSetup(String),
    /// `--dev`: the folder of failing requests cannot be created.
    #[error("cannot create {path}: {source}")]
    DevDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl ServeError {
    /// The process exit status: 2 for a configuration error, else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            ServeError::Config(_) => 2,
            _ => 1,
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// Serves `config` until a shutdown signal; prints `listening on <addr>` on
/// stdout once bound and loaded. Call it inside a multi-threaded tokio
/// runtime.
pub async fn run(mut config: HostConfig, options: ServeOptions) -> Result<(), ServeError> {
    let ServeOptions {
        config_path,
        listen: listen_override,
        native_handlers,
        dev,
    } = options;
    // `[tls]`: the files are read before anything else starts, so that a
    // missing file or a key that is not the certificate's stops start-up.
    let tls = match (&config.tls, config.load_tls()?) {
        (Some(settings), Some(first)) => Some(
            tls::Certificates::new(settings.clone(), first)
                .map_err(|e| ServeError::TlsSetup(e.to_string()))?,
        ),
        _ => None,
    };
    let addr = listen_override.unwrap_or(config.listen);
    let listener = bind(addr).await?;
    let bound = listener.local_addr().map_err(ServeError::LocalAddr)?;
    config.set_listen(bound);
    let admin = match config.admin_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };

    config.fit_engine_to_components();
    let runtime = Runtime::new(&config.engine, Some(ArtifactCache::new(config.cache_dir())))?;
    let registry = Arc::new(Registry::new());
    let metrics = Arc::new(Metrics::new());
    metrics.count_dropped_log_lines(logging::dropped_lines);
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
            .map_err(ServeError::Load)?;
    }
    let pool = SandboxPool::new(config.sandbox_threads).map_err(ServeError::SandboxThreads)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut dispatcher = Dispatcher::new(registry.clone(), pool, metrics.clone());
    if let Some(installer) = state::open_installer(&config, &process_env)? {
        dispatcher = dispatcher.with_installer(installer);
    }
    if dev {
        let dir = config.data_dir.join("dev").join("failures");
        let mode = DevMode::new(dir.clone()).map_err(|source| ServeError::DevDir {
            path: dir.clone(),
            source,
        })?;
        tracing::warn!(
            dir = %dir.display(),
            "serve --dev: guest logs are shown and failing request bodies (buyers' personal \
             data) are saved; never use it in production"
        );
        dispatcher = dispatcher.with_dev(mode);
    }
    // The outbox (and its lock) only when a connector is served: servers of
    // checkout plugins alone may share a data directory. A database that
    // cannot be reached does not stop the server: checkout plugins are
    // served, connector routes answer 503 until the outbox opens.
    let has_connectors = config
        .plugins
        .iter()
        .any(|p| p.manifest.connector.is_some());
    let outbox_task = if has_connectors {
        let first = match outbox::open_outbox(&config, &process_env).await {
            Err(err) if !err.is_transient() => return Err(err.into()),
            other => other,
        };
        let delivery = DeliverySettings {
            observer: Some(metrics.clone() as Arc<dyn DeliveryObserver>),
            ..DeliverySettings::new(config.bold_api.clone(), config.outbox.clone())
        };
        let credentials = Arc::new(outbox::RegistryCredentials(registry.clone()));
        let stop = stop_rx.clone();
        let start_worker = move |outbox| DeliveryWorker::spawn(outbox, credentials, delivery, stop);
        Some(tokio::spawn(outbox::keep(
            first,
            config.clone(),
            dispatcher.outbox_slot().clone(),
            start_worker,
            stop_rx.clone(),
        )))
    } else {
        tracing::info!("no connector configured: the notification outbox is not opened");
        None
    };
    let state = AppState::new(dispatcher, config.http.clone());

    // Reload on file change (debounced) and on SIGHUP.
    let (changed_tx, changed_rx) = mpsc::unbounded_channel();
    let watcher = if config.watch {
        match reload::start_watcher(&reload::watched_files(&config), changed_tx.clone()) {
            Ok(watcher) => Some(watcher),
            Err(err) => {
                tracing::warn!(error = %err, "file watching unavailable; reload with SIGHUP");
                None
            }
        }
    } else {
        None
    };
    reload::spawn_sighup(changed_tx.clone());
    tokio::spawn(reload::reload_loop(loader, changed_tx, changed_rx, watcher));

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
        let http = config.http.clone();
        // Plain HTTP: the admin listener is for the operator's network.
        tokio::spawn(listener::serve(listener, router, http, None, async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }))
    });

    if let Some(certificates) = &tls {
        tls::spawn_reloader(certificates.clone());
    }
    // The stdout line stays `listening on <addr>` (tests and scripts read
    // it); the log line says the scheme.
    println!("listening on {bound}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(addr = %bound, scheme, plugins = registry.entries().len(), "serving");

    listener::serve(
        listener,
        main_router,
        config.http.clone(),
        tls,
        shutdown::shutdown_signal(),
    )
    .await;
    let _ = stop_tx.send(true);
    if let Some(task) = admin_task {
        let _ = task.await;
    }
    if let Some(outbox) = outbox_task {
        let _ = outbox.await;
    }
    tracing::info!("stopped");
    Ok(())
}
