//! The host file (`host.toml`) and the manifests it names, read strictly at
//! start-up: unknown keys, unreadable manifests, missing secrets and
//! duplicate plugin ids are errors that name the file and the field.
//!
//! ```toml
//! listen = "127.0.0.1:8080"            # default "127.0.0.1:8080"
//! public_url = "http://localhost:8080" # default "http://<listen>"
//! admin_listen = "127.0.0.1:9090"      # default: /metrics on the main listener
//! data_dir = "../target/plugin-host"   # default "./plugin-host-data"
//! cache_dir = "/var/cache/plugin-host" # compiled components; default <data_dir>/cache
//! plugins = ["example-checkout/plugin.toml"]
//! plugin_dir = "plugins.d"             # every plugins.d/*/plugin.toml
//! sandbox_threads = 2                  # default: available parallelism
//! watch = true                         # default true
//! [log]
//! format = "human"                     # or "json"
//! [defaults]                           # see manifest::ManifestDefaults
//! limits = { timeout_ms = 100 }
//! on_error = "no-actions"
//! max_concurrency = 8
//! queue = 32
//! signature = { max_skew_secs = 300 }
//! [http]                               # config::http::HttpSettings
//! head_timeout_ms = 10000
//! [tls]                                # config::tls: HTTPS on `listen`
//! cert = "tls/fullchain.pem"
//! key = "tls/privkey.pem"
//! [engine]                             # runtime::EngineSettings
//! max_memory_bytes = 1073741824
//! prewarm = false                      # spare sandboxes, made off the call path
//! ```
//!
//! Paths are relative to the host file; paths in a manifest are relative to
//! the manifest.
//!
//! Why one file: the host file is one strict schema (`RawHostConfig` and its
//! tables), and its resolution (paths, defaults, every manifest, secrets,
//! duplicate ids) reads it top to bottom; its tests are in `host/tests.rs`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::connector::ConnectorSecrets;
use super::http::{HttpSettings, RawHttp};
use super::install::{BoldCheckoutSettings, RawBoldCheckout, RawState};
use super::manifest::{Manifest, ManifestDefaults, ManifestError, check_url, plugin_public_url};
use super::secrets::{SecretValue, process_env};
use super::tls::{RawTls, TlsIdentity, TlsSettings};
use crate::outbox::{BoldApiSettings, OutboxSettings};
use crate::runtime::EngineSettings;

/// Why a plugin with `[oauth]` needs `[state]`.
fn missing_state_key(plugin: &str) -> String {
    format!(
        "plugin `{plugin}` has `[oauth]`: the install flow keeps shops' access tokens, sealed \
         with the operator's key; add `[state] key_env = \"PLUGIN_HOST_STATE_KEY\"` (a variable \
         holding 32 random bytes in base64: `head -c 32 /dev/urandom | base64`) or `key_file`"
    )
}

/// The listen address when the host file sets none.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The data directory, relative to the host file, when it sets none.
pub const DEFAULT_DATA_DIR: &str = "plugin-host-data";
/// The manifest's file name inside each `plugin_dir` subdirectory.
pub const MANIFEST_FILE_NAME: &str = "plugin.toml";

/// Why the host's configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The host file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The host file's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The host file is not valid.
    #[error("{path}: {message}")]
    Invalid {
        /// The host file's path.
        path: PathBuf,
        /// What is wrong, naming the field.
        message: String,
    },
    /// A manifest is unreadable or invalid, or its secret is missing.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Two manifests declare the same plugin id.
    #[error("plugin id {id:?} is declared by both {first} and {second}")]
    DuplicateId {
        /// The id.
        id: String,
        /// The manifest read first.
        first: PathBuf,
        /// The manifest read second.
        second: PathBuf,
    },
    /// Several of the above, one per line.
    #[error("{} configuration errors:\n{}", .0.len(), join_lines(.0))]
    Several(Vec<ConfigError>),
}

fn join_lines(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(|e| format!("- {}", e.to_string().trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    fn from_list(mut errors: Vec<ConfigError>) -> Option<Self> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(ConfigError::Several(errors)),
        }
    }
}

/// How the host writes its logs (`[log]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// The `[log]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `"human"` (default) or `"json"`; `serve --log-json` overrides.
    pub format: LogFormat,
}

/// `[engine]` as written: every key optional, merged onto
/// [`EngineSettings::default`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngine {
    max_memory_bytes: Option<u64>,
    max_concurrent_instances: Option<u32>,
    memory_keep_resident: Option<usize>,
    max_wasm_stack: Option<usize>,
    pagemap_scan: Option<bool>,
    prewarm: Option<bool>,
}

impl RawEngine {
    fn resolve(self) -> Result<EngineSettings, String> {
        let d = EngineSettings::default();
        let settings = EngineSettings {
            max_memory_bytes: self.max_memory_bytes.unwrap_or(d.max_memory_bytes),
            max_concurrent_instances: self
                .max_concurrent_instances
                .unwrap_or(d.max_concurrent_instances),
            memory_keep_resident: self.memory_keep_resident,
            max_wasm_stack: self.max_wasm_stack.unwrap_or(d.max_wasm_stack),
            pagemap_scan: self.pagemap_scan,
            sandbox: d.sandbox,
            prewarm: self.prewarm.unwrap_or(d.prewarm),
        };
        for (name, value) in [
            ("max_memory_bytes", settings.max_memory_bytes),
            (
                "max_concurrent_instances",
                u64::from(settings.max_concurrent_instances),
            ),
            ("max_wasm_stack", settings.max_wasm_stack as u64),
        ] {
            if value == 0 {
                return Err(format!("field `engine.{name}` must be above 0"));
            }
        }
        Ok(settings)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHostConfig {
    listen: Option<SocketAddr>,
    public_url: Option<String>,
    admin_listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    cache_dir: Option<PathBuf>,
    #[serde(default)]
    plugins: Vec<PathBuf>,
    plugin_dir: Option<PathBuf>,
    sandbox_threads: Option<usize>,
    watch: Option<bool>,
    #[serde(default)]
    log: LogSettings,
    #[serde(default)]
    defaults: ManifestDefaults,
    #[serde(default)]
    engine: RawEngine,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    bold_api: BoldApiSettings,
    #[serde(default)]
    outbox: OutboxSettings,
    #[serde(default)]
    bold_checkout: RawBoldCheckout,
    #[serde(default)]
    state: RawState,
    tls: Option<RawTls>,
}

/// One plugin ready to serve: its manifest (defaults applied, `public_url`
/// in its config) and its resolved client secrets.
#[derive(Debug, Clone)]
pub struct ConfiguredPlugin {
    /// The manifest.
    pub manifest: Manifest,
    /// One secret, or two during a rotation (in the order written).
    pub secrets: Vec<SecretValue>,
    /// A connector's Bold token and webhook secrets.
    pub connector_secrets: Option<ConnectorSecrets>,
    /// `[oauth]`'s client id, resolved: the plugin can be installed.
    pub oauth_client_id: Option<String>,
}

/// The host file and every manifest it names, resolved.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where the host file was read from.
    pub path: PathBuf,
    /// `[bold_api]`: where connectors' notifications are delivered.
    pub bold_api: BoldApiSettings,
    /// `[bold_checkout]`: where the install flow and Bold API calls go.
    pub bold_checkout: BoldCheckoutSettings,
    /// `[state]`'s keys (current first), read and checked; empty when the
    /// host file names none (then no plugin may have `[oauth]`).
    pub state_keys: Vec<SecretValue>,
    /// `[outbox]`: the notification queue; `database` is always set
    /// (resolved against the host file, default
    /// `<data_dir>/outbox/outbox.sqlite3`).
    pub outbox: OutboxSettings,
    /// The main listener.
    pub listen: SocketAddr,
    /// The host's public base URL, without a trailing slash.
    pub public_url: String,
    /// `public_url` was set in the host file (else it follows `listen`).
    public_url_set: bool,
    /// A separate listener for `/metrics`, `/healthz` and `/readyz`; `None`
    /// = on the main listener.
    pub admin_listen: Option<SocketAddr>,
    /// The data directory (see [`HostConfig::cache_dir`]).
    pub data_dir: PathBuf,
    /// `cache_dir`, resolved against the host file, when set.
    cache_dir_set: Option<PathBuf>,
    /// The manifests listed in `plugins`, resolved against the host file.
    pub plugin_files: Vec<PathBuf>,
    /// The `plugin_dir`, resolved against the host file.
    pub plugin_dir: Option<PathBuf>,
    /// Threads that run sandboxes (at least 1).
    pub sandbox_threads: usize,
    /// Reload plugins when their files change.
    pub watch: bool,
    /// Log settings.
    pub log: LogSettings,
    /// What every manifest inherits.
    pub defaults: ManifestDefaults,
    /// Engine-wide settings.
    pub engine: EngineSettings,
    /// The listeners' deadlines and bounds (`[http]`).
    pub http: HttpSettings,
    /// `[tls]`: the main listener serves HTTPS with these files (read by
    /// [`HostConfig::load_tls`]); `None` = plain HTTP.
    pub tls: Option<TlsSettings>,
    /// The plugins, in the order read: `plugins` first, then `plugin_dir`
    /// sorted by directory name.
    pub plugins: Vec<ConfiguredPlugin>,
    /// Things the operator should be told at start-up (e.g. a plugin without
    /// `scopes`); the caller logs them.
    pub warnings: Vec<String>,
}

impl HostConfig {
    /// Reads the host file at `path` and every manifest it names, resolving
    /// secrets from the process environment.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::from_file_with_env(path, &process_env)
    }

    /// [`HostConfig::from_file`] with an injected environment lookup.
    /// Manifest errors (parse, secrets, limits above the engine's, duplicate
    /// ids) are collected and reported together.
    pub fn from_file_with_env(
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let raw = RawHostConfig::read(path)?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let base = path.parent().unwrap_or(Path::new("."));

        let listen = match raw.listen {
            Some(listen) => listen,
            None => DEFAULT_LISTEN
                .parse()
                .map_err(|e| invalid(format!("default listen address: {e}")))?,
        };
        let tls = raw
            .tls
            .map(|t| t.resolve(|p| resolve(base, p)))
            .transpose()
            .map_err(invalid)?;
        let public_url_set = raw.public_url.is_some();
        let public_url = match raw.public_url {
            Some(url) => {
                check_url(&url).map_err(|m| invalid(format!("field `public_url`: {m}")))?
            }
            None => default_public_url(listen, tls.is_some()),
        };
        let sandbox_threads = match raw.sandbox_threads {
            Some(0) => return Err(invalid("field `sandbox_threads` must be above 0".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let engine = raw.engine.resolve().map_err(invalid)?;
        let http = raw.http.resolve().map_err(invalid)?;
        raw.bold_api
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        let data_dir = resolve(
            base,
            &raw.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        );
        let outbox = resolve_outbox(raw.outbox, base, &data_dir).map_err(invalid)?;
        let bold_checkout = raw.bold_checkout.resolve().map_err(invalid)?;
        // Reported with the manifests' errors, all at once.
        let raw_state_set = raw.state.is_set();
        let (state_keys, state_error) = if raw_state_set {
            match raw.state.resolve(path, base, env) {
                Ok(keys) => (keys, None),
                Err(err) => (Vec::new(), Some(ConfigError::from(err))),
            }
        } else {
            (Vec::new(), None)
        };

        let mut config = Self {
            path: path.to_owned(),
            listen,
            public_url,
            public_url_set,
            admin_listen: raw.admin_listen,
            data_dir,
            cache_dir_set: raw.cache_dir.map(|d| resolve(base, &d)),
            plugin_files: raw.plugins.iter().map(|p| resolve(base, p)).collect(),
            plugin_dir: raw.plugin_dir.map(|d| resolve(base, &d)),
            sandbox_threads,
            watch: raw.watch.unwrap_or(true),
            log: raw.log,
            defaults: raw.defaults,
            engine,
            http,
            tls,
            bold_api: raw.bold_api,
            bold_checkout,
            state_keys,
            outbox,
            plugins: Vec::new(),
            warnings: Vec::new(),
        };

        let mut errors = Vec::new();
        let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
        for manifest_path in config.manifest_paths()? {
            match config.load_plugin(&manifest_path, env) {
                Ok(plugin) => {
                    let id = &plugin.manifest.id;
                    if let Some(first) = seen.get(id) {
                        errors.push(ConfigError::DuplicateId {
                            id: id.clone(),
                            first: first.clone(),
                            second: manifest_path,
                        });
                        continue;
                    }
                    seen.insert(id.clone(), manifest_path);
                    config.warnings.extend(plugin.manifest.warnings());
                    config.plugins.push(plugin);
                }
                Err(e) => errors.push(e),
            }
        }
        let key_named = raw_state_set;
        errors.extend(state_error);
        if !key_named {
            for plugin in config
                .plugins
                .iter()
                .filter(|p| p.oauth_client_id.is_some())
            {
                errors.push(ConfigError::Invalid {
                    path: path.to_owned(),
                    message: missing_state_key(&plugin.manifest.id),
                });
            }
        }
        if let Some(error) = ConfigError::from_list(errors) {
            return Err(error);
        }

        if config.plugins.is_empty() {
            config.warnings.push(format!(
                "{}: no plugins configured (`plugins` and `plugin_dir` name none)",
                path.display()
            ));
        }
        // Saturating: manifests may set any max_concurrency (found by fuzzing).
        let sandboxes = config
            .plugins
            .iter()
            .map(|p| p.manifest.max_concurrency)
            .fold(0usize, usize::saturating_add);
        // Spares (`engine.prewarm`) may hold up to a quarter of the pool.
        let pool = config.engine.max_concurrent_instances as usize;
        let spares = if config.engine.prewarm { pool / 4 } else { 0 };
        if sandboxes > pool - spares {
            config.warnings.push(format!(
                "{}: the plugins' max_concurrency adds up to {sandboxes}, above the {} \
                 sandboxes of engine.max_concurrent_instances = {pool}{}: sandboxes may fail \
                 to start under load",
                path.display(),
                pool - spares,
                if spares > 0 { " less spares" } else { "" },
            ));
        }
        Ok(config)
    }

    /// The `[outbox]` table of a host file, validated, with `database`
    /// resolved as [`from_file`](Self::from_file) does (relative to the
    /// file, default `<data_dir>/outbox/outbox.sqlite3`). Loads no plugin
    /// and reads no secret: the PostgreSQL URL stays in its environment
    /// variable until the store is opened
    /// ([`OutboxSettings::postgres_url`]).
    pub fn outbox_settings(path: &Path) -> Result<OutboxSettings, ConfigError> {
        let raw = RawHostConfig::read(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let data_dir = resolve(
            base,
            &raw.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        );
        resolve_outbox(raw.outbox, base, &data_dir).map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// The data directory and `[outbox]` of a host file (where the installed
    /// shops live: `<data_dir>/state/`, or the outbox's PostgreSQL), read as
    /// [`outbox_settings`](Self::outbox_settings) reads them: no plugin is
    /// loaded and no secret read.
    pub fn storage_settings(path: &Path) -> Result<(PathBuf, OutboxSettings), ConfigError> {
        let raw = RawHostConfig::read(path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let data_dir = resolve(
            base,
            &raw.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
        );
        let outbox = resolve_outbox(raw.outbox, base, &data_dir).map_err(|message| {
            ConfigError::Invalid {
                path: path.to_owned(),
                message,
            }
        })?;
        Ok((data_dir, outbox))
    }

    /// Every manifest the host file names, in order: `plugins`, then each
    /// `<plugin_dir>/*/plugin.toml` sorted by path, without repeats. Call it
    /// again to discover plugins added to `plugin_dir`.
    pub fn manifest_paths(&self) -> Result<Vec<PathBuf>, ConfigError> {
        let mut paths = self.plugin_files.clone();
        if let Some(dir) = &self.plugin_dir {
            let entries = std::fs::read_dir(dir).map_err(|e| ConfigError::Invalid {
                path: self.path.clone(),
                message: format!("field `plugin_dir`: cannot read {}: {e}", dir.display()),
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path().join(MANIFEST_FILE_NAME))
                .filter(|manifest| manifest.is_file())
                .collect();
            found.sort();
            paths.extend(found);
        }
        let mut seen = Vec::new();
        paths.retain(|p| {
            let key = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        });
        Ok(paths)
    }

    /// Where compiled artifacts are cached: `cache_dir`, default
    /// `<data_dir>/cache`. Several hosts (or `invoke`, with
    /// `PLUGIN_HOST_CACHE_DIR`) may share one: entries are keyed by the
    /// component's hash and the engine, and written atomically.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir_set
            .clone()
            .unwrap_or_else(|| self.data_dir.join("cache"))
    }

    /// Sizes the engine's pool for the components the plugins name (read
    /// from disk; a missing or broken one is reported when it is loaded).
    pub fn fit_engine_to_components(&mut self) {
        let shapes = crate::runtime::component_shapes(
            self.plugins.iter().map(|p| p.manifest.component.as_path()),
        );
        self.engine.fit(shapes);
    }

    /// The plugin with this id.
    pub fn plugin(&self, id: &str) -> Option<&ConfiguredPlugin> {
        self.plugins.iter().find(|p| p.manifest.id == id)
    }

    /// The public URL handed to plugin `id` unless its manifest sets one:
    /// `<public_url>/plugins/<id>`.
    pub fn plugin_public_url(&self, id: &str) -> String {
        plugin_public_url(&self.public_url, id)
    }

    /// Reads and checks `[tls]`'s certificate chain and key, when the host
    /// file has the table. Errors name the host file, the field and the
    /// file.
    pub fn load_tls(&self) -> Result<Option<TlsIdentity>, ConfigError> {
        self.tls
            .as_ref()
            .map(TlsSettings::load)
            .transpose()
            .map_err(|e| ConfigError::Invalid {
                path: self.path.clone(),
                message: e.to_string(),
            })
    }

    /// Overrides the listen address (`serve --listen`, or the address
    /// actually bound for port 0). Unless the host file sets `public_url`,
    /// the public URL follows (`http://<addr>`, `https://<addr>` with
    /// `[tls]`), and so does every plugin's config `public_url` that the
    /// host computed.
    pub fn set_listen(&mut self, addr: SocketAddr) {
        self.listen = addr;
        if !self.public_url_set {
            self.public_url = default_public_url(addr, self.tls.is_some());
            for plugin in &mut self.plugins {
                plugin.manifest.apply_host_public_url(&self.public_url);
            }
        }
    }

    /// Re-reads one manifest for a hot reload, with the same defaults,
    /// public URL and checks as at start-up, resolving secrets from the
    /// process environment. Does not change `self`: the caller swaps the
    /// plugin in (and, if its id changed, retires the old one).
    pub fn reload_manifest(&self, path: &Path) -> Result<ConfiguredPlugin, ConfigError> {
        self.reload_manifest_with_env(path, &process_env)
    }

    /// [`HostConfig::reload_manifest`] with an injected environment lookup.
    /// An id already served from another manifest is a
    /// [`ConfigError::DuplicateId`].
    pub fn reload_manifest_with_env(
        &self,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConfiguredPlugin, ConfigError> {
        let plugin = self.load_plugin(path, env)?;
        if plugin.oauth_client_id.is_some() && self.state_keys.is_empty() {
            return Err(ConfigError::Invalid {
                path: self.path.clone(),
                message: missing_state_key(&plugin.manifest.id),
            });
        }
        let this = canonical(path);
        if let Some(other) = self
            .plugins
            .iter()
            .find(|p| p.manifest.id == plugin.manifest.id && canonical(&p.manifest.path) != this)
        {
            return Err(ConfigError::DuplicateId {
                id: plugin.manifest.id,
                first: other.manifest.path.clone(),
                second: path.to_owned(),
            });
        }
        Ok(plugin)
    }

    fn load_plugin(
        &self,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConfiguredPlugin, ConfigError> {
        let mut manifest = Manifest::from_file_with(path, &self.defaults)?;
        if manifest.limits.memory_bytes > self.engine.max_memory_bytes {
            return Err(ManifestError::Invalid {
                path: path.to_owned(),
                message: format!(
                    "field `limits.memory_bytes` ({}) is above the host's \
                     engine.max_memory_bytes ({})",
                    manifest.limits.memory_bytes, self.engine.max_memory_bytes
                ),
            }
            .into());
        }
        let secrets = manifest.resolve_secrets(env)?;
        let connector_secrets = manifest
            .connector
            .as_ref()
            .map(|c| c.resolve_secrets(&manifest.path, env))
            .transpose()?;
        let oauth_client_id = manifest
            .oauth
            .as_ref()
            .map(|o| o.resolve(&manifest.path, env))
            .transpose()?;
        manifest.apply_host_public_url(&self.public_url);
        Ok(ConfiguredPlugin {
            manifest,
            secrets,
            connector_secrets,
            oauth_client_id,
        })
    }
}

impl RawHostConfig {
    /// Reads and parses the host file (strict: unknown keys are errors).
    fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}

/// Validates `[outbox]` and resolves `database` against the host file's
/// directory (default `<data_dir>/outbox/outbox.sqlite3`).
fn resolve_outbox(
    mut outbox: OutboxSettings,
    base: &Path,
    data_dir: &Path,
) -> Result<OutboxSettings, String> {
    outbox.validate().map_err(|e| e.to_string())?;
    outbox.database = Some(match outbox.database.take() {
        Some(file) => resolve(base, &file),
        None => outbox.database_path(data_dir),
    });
    Ok(outbox)
}

fn default_public_url(listen: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{listen}")
}

/// `base/path` without `.` components (so messages show `dir/a/plugin.toml`,
/// not `dir/./a/plugin.toml`).
fn resolve(base: &Path, path: &Path) -> PathBuf {
    let clean: PathBuf = base
        .join(path)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if clean.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        clean
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests;
