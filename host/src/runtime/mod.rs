//! The WIT sandbox, and nothing of Bold's protocol: one engine, plugins
//! compiled once and pre-linked, a fresh store and instance for every
//! invocation under its limits, and the imports the host provides.
//!
//! - [`engine`](EngineSettings): the engine (pooling allocator, fuel, epochs).
//! - `cache`: compiled artifacts on disk ([`ArtifactCache`]).
//! - [`call`](Call): what a sandbox is asked.
//! - `invocation`: one store per call, the limits, trap classification.
//! - `guest_clock`: the guest's own time, which its deadline counts.
//! - [`limits`]: fuel, memory, deadline, output and log limits.
//! - `log_capture`, `sandbox`: the store's state and the `log`/`config` imports.
//! - [`outbound`]: the outbound-HTTP import (granted hosts only).
//! - `bold_api`: the Bold API import, for the call's shop with its token.
//! - [`context`]: what a call brings in (its shop, Bold's API for it).
//! - `private_dir`: directories and files only the host's user may use
//!   (the artifact cache, the SQLite outbox).
//! - [`shape`](SandboxShape): what one sandbox of a component takes from
//!   the pool (core instances, memories), read before compiling.
//! - `spare`: sandboxes instantiated ahead of the next call.
//! - [`threads`]: the sandbox threads ([`SandboxPool`]).

pub mod bindings;
mod bold_api;
mod cache;
mod call;
pub mod context;
mod engine;
mod guest_clock;
mod invocation;
pub mod limits;
mod log_capture;
pub mod outbound;
pub(crate) mod private_dir;
mod sandbox;
mod shape;
mod spare;
pub mod threads;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

pub use cache::{ArtifactCache, CacheError, CacheOutcome};
pub use call::{BoldCall, Call};
pub use context::{BoldApiAccess, CallContext, NoBoldApi, ShopInfo};
pub use engine::{EPOCH_TICK, EngineSettings};
pub use invocation::{Invocation, Output, Report, Timings};
pub use limits::Limits;
pub use log_capture::{InvocationLog, LogLevel};
pub use private_dir::PrivateDirError;
pub use shape::{SandboxShape, ShapeError};
pub use threads::SandboxPool;

use bindings::CheckoutPluginPre;
use bindings::connector::PlatformConnectorPre;
use invocation::WorldPre;
use outbound::{OutboundClient, OutboundGrant};
use sandbox::{Outbound, Sandbox};
use spare::SpareBudget;

/// The WIT package version this host implements; components built against
/// any `checkout:plugin@0.1.x` up to it load (0.1.0 components included).
pub const CONTRACT_VERSION: &str = "checkout:plugin@0.1.1";

/// A wasmtime error (an `anyhow` error underneath), kept as a source.
pub type WasmtimeError = Box<dyn std::error::Error + Send + Sync>;

/// Why the runtime could not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine rejected its configuration.
    #[error("cannot configure the WebAssembly engine: {0}")]
    Engine(#[source] WasmtimeError),
    /// An import could not be added to the linker.
    #[error("cannot configure the WebAssembly engine: linking {import}: {source}")]
    Link {
        /// Which imports.
        import: &'static str,
        /// Why.
        #[source]
        source: WasmtimeError,
    },
    /// The epoch thread could not be started.
    #[error("cannot start the epoch thread: {0}")]
    Thread(#[from] std::io::Error),
    /// The outbound HTTP client could not be built.
    #[error("cannot build the outbound HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

fn link_error(import: &'static str) -> impl FnOnce(wasmtime::Error) -> RuntimeError {
    move |e| RuntimeError::Link {
        import,
        source: e.into(),
    }
}

/// Why a plugin could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The component's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a WebAssembly component.
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    /// The component does not compile.
    #[error("the component does not compile: {0}")]
    Compile(String),
    /// A sandbox of the component would not fit in the engine's pool.
    #[error("{0}")]
    TooLargeForPool(String),
    /// The component satisfies neither the `checkout-plugin` nor the
    /// `platform-connector` world (missing exports, imports the host does
    /// not provide, wrong types).
    #[error(
        "the component satisfies neither the {CONTRACT_VERSION} `checkout-plugin` nor the \
         `platform-connector` world: {0}"
    )]
    World(String),
}

/// Everything that shapes one plugin's sandboxes.
#[derive(Debug, Clone, Default)]
pub struct PluginSettings {
    /// The plugin's id, for logs.
    pub id: String,
    /// Limits of each invocation.
    pub limits: Limits,
    /// Settings served by the `config` import.
    pub config: Vec<(String, String)>,
    /// Outbound HTTP granted (a connector's `[connector]`, a checkout
    /// plugin's `[outbound]`); `None` = no host granted, and Bold's API
    /// calls get the default caps.
    pub outbound: Option<OutboundGrant>,
}

/// How a plugin was loaded.
#[derive(Debug, Clone, Copy)]
pub struct LoadInfo {
    /// Cache hit, fresh compile, or no cache.
    pub cache: CacheOutcome,
    /// Time to compile or load, and pre-link.
    pub duration: Duration,
}

/// The host's engine, linker and artifact cache. Cheap to share (`Arc`).
pub struct Runtime {
    engine: Engine,
    linker: Linker<Sandbox>,
    cache: Option<ArtifactCache>,
    outbound: OutboundClient,
    /// Spare sandboxes allowed across all plugins; `None` = no spares.
    spares: Option<Arc<SpareBudget>>,
    /// The pool's room for each sandbox.
    room: SandboxShape,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Builds the engine, links WASI (nothing granted) and the host imports
    /// once, and starts the epoch thread. `cache`: where compiled artifacts
    /// are kept, or `None` to compile every time.
    pub fn new(
        settings: &EngineSettings,
        cache: Option<ArtifactCache>,
    ) -> Result<Self, RuntimeError> {
        let engine = engine::build_engine(settings).map_err(|e| RuntimeError::Engine(e.into()))?;
        let mut linker = Linker::<Sandbox>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(link_error("wasi"))?;
        // The imports of both worlds: `log`, `config` and `outbound-http`
        // read guest strings and lists in place, within their caps.
        sandbox::add_to_linker(&mut linker).map_err(link_error("host imports"))?;
        let outbound = OutboundClient::new()?;
        engine::spawn_epoch_ticker(&engine)?;
        // A quarter of the pool at most, so calls that find no spare still
        // find free slots (a pool of under 4 keeps none).
        let max_spares = usize::try_from(settings.max_concurrent_instances / 4).unwrap_or(0);
        let spares = (settings.prewarm && max_spares > 0).then(|| SpareBudget::new(max_spares));
        tracing::debug!(
            room = ?settings.sandbox,
            keep_resident = settings.keep_resident(),
            pagemap_scan = settings.pagemap(),
            "engine pool"
        );
        Ok(Self {
            engine,
            linker,
            cache,
            outbound,
            spares,
            room: settings.sandbox,
        })
    }

    /// Spare sandboxes held now, across all plugins.
    pub fn spare_sandboxes(&self) -> usize {
        self.spares.as_ref().map_or(0, |budget| budget.held())
    }

    /// The artifact cache, if any.
    pub fn cache(&self) -> Option<&ArtifactCache> {
        self.cache.as_ref()
    }

    /// Loads the component at `path` (see [`Runtime::load_bytes`]).
    pub fn load_file(&self, path: &Path, settings: PluginSettings) -> Result<Plugin, LoadError> {
        let wasm = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.load_bytes(&wasm, settings)
    }

    /// Compiles `wasm` (or loads it from the cache) and pre-links it against
    /// the host's imports. CPU-heavy on a cache miss: call it off the async
    /// workers.
    pub fn load_bytes(&self, wasm: &[u8], settings: PluginSettings) -> Result<Plugin, LoadError> {
        let started = Instant::now();
        check_component_header(wasm)?;
        SandboxShape::of_component(wasm)
            .map_err(|e| LoadError::NotAComponent(e.to_string()))?
            .fits_in(&self.room)
            .map_err(LoadError::TooLargeForPool)?;
        let (component, cache) = self.compile(wasm)?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::World(format!("{e:#}")))?;
        let world = match CheckoutPluginPre::new(instance_pre.clone()) {
            Ok(pre) => WorldPre::Checkout(pre),
            Err(checkout_err) => match PlatformConnectorPre::new(instance_pre) {
                Ok(pre) => WorldPre::Connector(pre),
                Err(connector_err) => {
                    return Err(LoadError::World(format!(
                        "as a checkout plugin: {checkout_err:#}; as a connector: {connector_err:#}"
                    )));
                }
            },
        };
        let outbound = Outbound::new(self.outbound.clone(), settings.outbound.map(Arc::new));
        Ok(Plugin {
            inner: Arc::new(invocation::PluginInner {
                id: settings.id,
                engine: self.engine.clone(),
                world,
                limits: settings.limits,
                outbound,
                config: settings.config.into(),
                load: LoadInfo {
                    cache,
                    duration: started.elapsed(),
                },
                spare: Default::default(),
                spare_budget: self.spares.clone(),
            }),
        })
    }

    fn compile(&self, wasm: &[u8]) -> Result<(Component, CacheOutcome), LoadError> {
        let compile_err = |e: wasmtime::Error| LoadError::Compile(format!("{e:#}"));
        let Some(cache) = &self.cache else {
            let component = Component::new(&self.engine, wasm).map_err(compile_err)?;
            return Ok((component, CacheOutcome::Uncached));
        };
        let key = ArtifactCache::key(&self.engine, wasm);
        if let Some(component) = cache.load(&self.engine, &key) {
            return Ok((component, CacheOutcome::Hit));
        }
        let artifact = self
            .engine
            .precompile_component(wasm)
            .map_err(compile_err)?;
        if let Err(err) = cache.store(&key, &artifact) {
            tracing::warn!(error = %err, "compiled artifact not cached");
        }
        // SAFETY: `artifact` was produced just above by this engine's
        // `precompile_component`.
        #[allow(unsafe_code)]
        let component =
            unsafe { Component::deserialize(&self.engine, &artifact) }.map_err(compile_err)?;
        Ok((component, CacheOutcome::Compiled))
    }
}

/// The shapes of the components at `paths`, to size an engine's pool for
/// them ([`EngineSettings::fit`]). Files that cannot be read or parsed are
/// left out: loading them reports the problem.
pub fn component_shapes<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Vec<SandboxShape> {
    paths
        .into_iter()
        .filter_map(|path| std::fs::read(path).ok())
        .filter_map(|wasm| SandboxShape::of_component(&wasm).ok())
        .collect()
}

/// Tells a component from a core module (or anything else) before compiling,
/// so the error says what to do.
fn check_component_header(wasm: &[u8]) -> Result<(), LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    const COMPONENT_LAYER: [u8; 2] = [0x01, 0x00];
    if wasm.len() < 8 || &wasm[..4] != MAGIC {
        return Err(LoadError::NotAComponent(
            "the file does not start with the WebAssembly magic bytes".into(),
        ));
    }
    if wasm[6..8] != COMPONENT_LAYER {
        return Err(LoadError::NotAComponent(
            "this is a core WebAssembly module; build the plugin with `--target wasm32-wasip2`, which produces a component"
                .into(),
        ));
    }
    Ok(())
}

/// A compiled, pre-linked plugin. Cloning is cheap; every invocation gets a
/// fresh sandbox.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<invocation::PluginInner>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.inner.id)
            .field("limits", &self.inner.limits)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// The plugin's id.
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Whether it is a platform connector (else a checkout plugin).
    pub fn is_connector(&self) -> bool {
        matches!(self.inner.world, WorldPre::Connector(_))
    }

    /// Its limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// How it was loaded.
    pub fn load_info(&self) -> LoadInfo {
        self.inner.load
    }

    /// Whether a spare sandbox is ready for its next call.
    pub fn spare_ready(&self) -> bool {
        self.inner.spare.is_ready()
    }

    /// Runs one call in a fresh sandbox: an instance nothing ran in before,
    /// instantiated ahead of the call when the runtime keeps spares
    /// ([`EngineSettings::prewarm`]). Needs a tokio runtime with timers (the
    /// deadline also bounds WASI clock waits).
    pub async fn invoke(&self, call: &Call) -> Invocation {
        self.inner.invoke(call, CallContext::default()).await
    }

    /// [`Plugin::invoke`] with the call's context (its shop, Bold's API for
    /// it).
    pub async fn invoke_with(&self, call: &Call, context: CallContext) -> Invocation {
        self.inner.invoke(call, context).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_tell_modules_from_components() {
        let module = b"\0asm\x01\0\0\0";
        let component = b"\0asm\x0d\0\x01\0";
        assert!(matches!(
            check_component_header(module),
            Err(LoadError::NotAComponent(m)) if m.contains("wasm32-wasip2")
        ));
        assert!(check_component_header(component).is_ok());
        assert!(check_component_header(b"{}").is_err());
    }
}
