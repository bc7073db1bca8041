//! The loader: manifest → plugin entry. Loads every plugin at start-up (on
//! every core) and reloads what changed; a plugin whose new version fails
//! keeps serving its old one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::config::{ConfigError, ConfiguredPlugin, HostConfig};
use crate::dispatch::actions::policy_for;
use crate::dispatch::native::NativeHandler;
use crate::dispatch::{OAuthClient, PluginEntry, PluginStatus, Registry};
use crate::metrics::Metrics;
use crate::runtime::Runtime;

/// Everything needed to (re)load plugins.
pub(super) struct Loader {
    pub(super) runtime: Runtime,
    pub(super) registry: Arc<Registry>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) config_path: PathBuf,
    pub(super) listen_override: Option<SocketAddr>,
    pub(super) bound: SocketAddr,
    pub(super) native_handlers: bool,
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
        if let Some(bold_hmac) = &connector.bold_hmac {
            hasher.update(bold_hmac.fingerprint());
        }
    }
    if let Some(client_id) = &plugin.oauth_client_id {
        hasher.update(client_id.as_bytes());
    }
    hasher.update(format!("{:?}", plugin.manifest).as_bytes());
    Some(hasher.finalize().into())
}

/// What the install flow needs of a plugin with `[oauth]`: its client id
/// and its current client secret.
fn oauth_client(plugin: &ConfiguredPlugin) -> Option<OAuthClient> {
    Some(OAuthClient {
        client_id: plugin.oauth_client_id.clone()?,
        client_secret: plugin.secrets.first()?.clone(),
    })
}

impl Loader {
    /// Loads one plugin (compiling or reading the cache): CPU work, call it
    /// off the async workers.
    fn load(&self, plugin: &ConfiguredPlugin) -> PluginEntry {
        let manifest = plugin.manifest.clone();
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
            NativeHandler::for_plugin(&manifest.id, manifest.config.clone(), policy_for(&manifest))
        } else {
            None
        };
        let secrets = plugin.secrets.iter().map(|s| s.hmac_key()).collect();
        let previous = self.registry.get(&manifest.id);
        PluginEntry::new(
            manifest,
            secrets,
            plugin.connector_secrets.clone(),
            status,
            previous.as_deref(),
        )
        .with_native(native)
        .with_oauth(oauth_client(plugin))
        .with_fingerprint(fingerprint(plugin))
    }

    /// Loads every plugin of `config` at start-up, on every core (a cache
    /// miss compiles; a hit maps the artifact).
    pub(super) fn load_all(&self, config: &HostConfig) {
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

    fn read_config(&self) -> Result<HostConfig, ConfigError> {
        let mut config = HostConfig::from_file(&self.config_path)?;
        config.set_listen(self.listen_override.unwrap_or(self.bound));
        Ok(config)
    }

    /// Re-reads the configuration and reloads what changed. A plugin whose
    /// new version fails keeps serving its old one; a configuration that no
    /// longer parses changes nothing.
    pub(super) fn reload(&self) -> Option<HostConfig> {
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
                if fresh.is_some() && fresh == old.fingerprint() && old.is_ready() {
                    entries.push(PluginEntry::clone(old));
                    continue;
                }
            }
            let entry = self.load(plugin);
            let ok = entry.is_ready();
            self.metrics.reload(&plugin.manifest.id, ok);
            match (ok, old) {
                (false, Some(old)) if old.is_ready() => {
                    tracing::warn!(plugin = %plugin.manifest.id, "new version rejected; the previous version keeps serving");
                    entries.push(PluginEntry::clone(&old));
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
