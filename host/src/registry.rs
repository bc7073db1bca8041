//! The served plugins: id → entry (manifest, signature verifier, admission
//! gate, and the loaded plugin or why it is unavailable), swapped atomically
//! on reload so that in-flight requests finish on the version they started
//! with.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::connector::ConnectorSettings;
use crate::connector::settings::ConnectorSecrets;
use crate::manifest::Manifest;
use crate::native::NativeHandler;
use crate::runtime::Plugin;
use crate::sandbox_pool::Admission;
use crate::signature::{ReplayGuard, Verifier};

/// How long a request may wait in a plugin's queue for a sandbox.
pub const MAX_QUEUE_WAIT: Duration = Duration::from_secs(1);

/// A plugin's loaded state.
#[derive(Debug, Clone)]
pub enum PluginStatus {
    /// Compiled and pre-linked: requests run.
    Ready(Plugin),
    /// Failed to load: requests get 503, `/readyz` names it.
    Unavailable(String),
}

/// One served plugin.
#[derive(Debug)]
pub struct PluginEntry {
    /// Hash of the manifest file, the component and the secrets: a reload
    /// keeps the entry when it is unchanged.
    pub fingerprint: Option<[u8; 32]>,
    /// Its manifest.
    pub manifest: Manifest,
    /// Verifies request signatures with its secret(s).
    pub verifier: Verifier,
    /// Refuses replayed signatures, when the manifest asks for it (shared
    /// across reloads).
    pub replay: Option<Arc<ReplayGuard>>,
    /// Bounds its concurrent sandboxes (kept across reloads of the id).
    pub admission: Arc<Admission>,
    /// Loaded, or why not.
    pub status: PluginStatus,
    /// The handler compiled into the host, when serving with
    /// `--native-handlers` (benchmark baseline): called instead of a sandbox.
    pub native: Option<NativeHandler>,
    /// A connector's settings and secrets (`[connector]`).
    pub connector: Option<ConnectorEntry>,
}

/// What the connector routes and the delivery worker need of a connector.
#[derive(Debug, Clone)]
pub struct ConnectorEntry {
    /// `[connector]` of the manifest.
    pub settings: ConnectorSettings,
    /// Its Bold token and platform webhook verifier.
    pub secrets: ConnectorSecrets,
}

impl PluginEntry {
    /// A new entry sharing everything with `other` (kept across a reload).
    pub fn clone_of(other: &PluginEntry) -> Self {
        Self {
            fingerprint: other.fingerprint,
            manifest: other.manifest.clone(),
            verifier: other.verifier.clone(),
            replay: other.replay.clone(),
            admission: other.admission.clone(),
            status: other.status.clone(),
            native: other.native.clone(),
            connector: other.connector.clone(),
        }
    }

    /// The plugin id.
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    /// Whether it serves requests.
    pub fn is_ready(&self) -> bool {
        matches!(self.status, PluginStatus::Ready(_))
    }
}

/// The id → entry map.
#[derive(Debug, Default)]
pub struct Registry {
    plugins: ArcSwap<HashMap<String, Arc<PluginEntry>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entry of `id`.
    pub fn get(&self, id: &str) -> Option<Arc<PluginEntry>> {
        self.plugins.load().get(id).cloned()
    }

    /// Every entry, sorted by id.
    pub fn entries(&self) -> Vec<Arc<PluginEntry>> {
        let map = self.plugins.load();
        let mut entries: Vec<_> = map.values().cloned().collect();
        entries.sort_by(|a, b| a.id().cmp(b.id()));
        entries
    }

    /// Adds or replaces one entry.
    pub fn insert(&self, entry: PluginEntry) {
        let entry = Arc::new(entry);
        self.plugins.rcu(|map| {
            let mut map = HashMap::clone(map);
            map.insert(entry.id().to_owned(), entry.clone());
            map
        });
    }

    /// Replaces every entry at once (ids absent from `entries` are removed).
    pub fn replace_all(&self, entries: Vec<PluginEntry>) {
        let map = entries
            .into_iter()
            .map(|e| (e.id().to_owned(), Arc::new(e)))
            .collect();
        self.plugins.store(Arc::new(map));
    }

    /// The admission gate of `id`, if it is served: reloads reuse it so that
    /// the concurrency bound holds across versions.
    pub fn admission(&self, id: &str) -> Option<Arc<Admission>> {
        self.plugins.load().get(id).map(|e| e.admission.clone())
    }
}
