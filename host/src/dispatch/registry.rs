//! The served plugins: id → entry (manifest, signature verifier, admission
//! gate, action policy, and the loaded plugin or why it is unavailable),
//! swapped atomically on reload so that in-flight requests finish on the
//! version they started with.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use super::actions::{ActionPolicy, policy_for};
use super::admission::Admission;
use super::install::OAuthClient;
use super::native::NativeHandler;
use crate::config::{ConnectorSecrets, ConnectorSettings, Manifest};
use crate::runtime::Plugin;
use crate::signature::{ReplayGuard, Secret, Verifier, XHmacVerifier};

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

/// One served plugin: everything a request to it needs, built by
/// [`PluginEntry::new`] (the loader and the tests alike).
#[derive(Debug, Clone)]
pub struct PluginEntry {
    manifest: Manifest,
    verifier: Verifier,
    replay: Option<Arc<ReplayGuard>>,
    admission: Arc<Admission>,
    policy: ActionPolicy,
    status: PluginStatus,
    native: Option<NativeHandler>,
    connector: Option<ConnectorEntry>,
    oauth: Option<OAuthClient>,
    fingerprint: Option<[u8; 32]>,
}

/// What the connector routes and the delivery worker need of a connector.
#[derive(Debug, Clone)]
pub struct ConnectorEntry {
    /// `[connector]` of the manifest.
    pub settings: ConnectorSettings,
    /// Its Bold token, platform webhook verifier and X-HMAC verifier.
    pub secrets: ConnectorSecrets,
    /// Bold's X-HMAC, when the connector uses it (else Bold's calls are
    /// checked as cavage signatures).
    pub bold_hmac: Option<BoldHmac>,
}

/// Bold's X-HMAC on a connector: the verifier, and the (timestamp, MAC)
/// pairs already used.
#[derive(Debug, Clone)]
pub struct BoldHmac {
    /// The shared secret(s) and the window.
    pub verifier: XHmacVerifier,
    /// Pairs seen (and answered) within twice the window, each passing
    /// once; `None` when the manifest turns replay protection off.
    pub replay: Option<Arc<ReplayGuard>>,
}

impl PluginEntry {
    /// The entry for `manifest`, verifying requests with `secrets` (one, or
    /// two during a rotation), serving `status`. `previous` is the entry the
    /// id had before a reload: its replay memory is kept (signatures and
    /// X-HMAC pairs it saw stay refused; an X-HMAC memory only while the
    /// window is the same), and so is its admission gate when the bounds
    /// did not change (the concurrency bound holds across versions). A
    /// connector's entry needs `connector` (its resolved secrets).
    pub fn new(
        manifest: Manifest,
        secrets: Vec<Secret>,
        connector: Option<ConnectorSecrets>,
        status: PluginStatus,
        previous: Option<&PluginEntry>,
    ) -> Self {
        let wanted = &manifest.signature;
        let policy = wanted.verifier_policy();
        let replay = wanted.replay_protection.then(|| {
            previous
                .and_then(|old| old.replay.clone())
                .unwrap_or_else(|| Arc::new(ReplayGuard::for_policy(&policy)))
        });
        let admission = previous
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
        let old_replay = previous
            .and_then(|old| old.connector.as_ref())
            .and_then(|old| old.bold_hmac.as_ref())
            .and_then(|old| old.replay.clone());
        let connector = manifest
            .connector
            .clone()
            .zip(connector)
            .map(|(settings, secrets)| {
                let replay_protection = settings
                    .bold_auth
                    .x_hmac()
                    .is_some_and(|x| x.replay_protection);
                let bold_hmac = secrets.bold_hmac.clone().map(|verifier| {
                    let replay = replay_protection.then(|| {
                        let fresh = ReplayGuard::for_window(verifier.window());
                        old_replay
                            .filter(|old| old.ttl() == fresh.ttl())
                            .unwrap_or_else(|| Arc::new(fresh))
                    });
                    BoldHmac { verifier, replay }
                });
                ConnectorEntry {
                    settings,
                    secrets,
                    bold_hmac,
                }
            });
        Self {
            verifier: Verifier::new(policy, secrets),
            replay,
            admission,
            policy: policy_for(&manifest),
            status,
            native: None,
            connector,
            oauth: None,
            fingerprint: None,
            manifest,
        }
    }

    /// The same entry calling `native` instead of a sandbox (the benchmark
    /// baseline, `serve --native-handlers`).
    pub fn with_native(mut self, native: Option<NativeHandler>) -> Self {
        self.native = native;
        self
    }

    /// The same entry with the fingerprint of what it was loaded from: a
    /// reload keeps an entry whose fingerprint did not change.
    pub fn with_fingerprint(mut self, fingerprint: Option<[u8; 32]>) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    /// The plugin id.
    pub fn id(&self) -> &str {
        &self.manifest.id
    }

    /// Its manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Loaded, or why not.
    pub fn status(&self) -> &PluginStatus {
        &self.status
    }

    /// The loaded plugin, when it serves requests.
    pub fn ready(&self) -> Option<&Plugin> {
        match &self.status {
            PluginStatus::Ready(plugin) => Some(plugin),
            PluginStatus::Unavailable(_) => None,
        }
    }

    /// Whether it serves requests.
    pub fn is_ready(&self) -> bool {
        self.ready().is_some()
    }

    /// The fingerprint it was loaded with, if any.
    pub fn fingerprint(&self) -> Option<[u8; 32]> {
        self.fingerprint
    }

    /// Verifies request signatures with its secret(s).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Refuses replayed signatures, when the manifest asks for it.
    pub fn replay(&self) -> Option<&ReplayGuard> {
        self.replay.as_deref()
    }

    /// Bounds its concurrent sandboxes.
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    /// What its answers are checked against.
    pub fn policy(&self) -> &ActionPolicy {
        &self.policy
    }

    /// The handler compiled into the host, when serving with
    /// `--native-handlers`.
    pub fn native(&self) -> Option<&NativeHandler> {
        self.native.as_ref()
    }

    /// The same entry, installable on stores with `oauth` (`[oauth]`).
    pub fn with_oauth(mut self, oauth: Option<OAuthClient>) -> Self {
        self.oauth = oauth;
        self
    }

    /// What the install flow uses, when the plugin has `[oauth]`.
    pub fn oauth(&self) -> Option<&OAuthClient> {
        self.oauth.as_ref()
    }

    /// A connector's settings and secrets (`[connector]`).
    pub fn connector(&self) -> Option<&ConnectorEntry> {
        self.connector.as_ref()
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
}
