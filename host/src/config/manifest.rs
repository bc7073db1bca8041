//! A plugin's manifest (`plugin.toml`): which component, its client secret,
//! its events, scopes, limits, concurrency, signature policy and config.
//! Strict: unknown keys are errors that name the file and the field.
//!
//! ```toml
//! id = "example-checkout"
//! component = "../../target/wasm32-wasip2/release/example_checkout.wasm"
//! client_secret_env = "EXAMPLE_CHECKOUT_SECRET"   # or a list of two; or client_secret_file
//! events = ["initialize_checkout", "order_submitted"]
//! scopes = ["modify_order", "provide_shipping_rates", "add_fee"]
//! on_error = "no-actions"
//! max_concurrency = 8
//! queue = 32
//! # public_url = "https://plugins.example.com/plugins/example-checkout"
//!
//! [limits]
//! timeout_ms = 100
//!
//! [signature]
//! algorithms = ["hmac-sha256"]
//! max_skew_secs = 300
//!
//! [config]
//! stock = 100
//!
//! [oauth]                 # installable on stores (config::install)
//! client_id = "my-client-id"
//! ```
//!
//! Every key but `id` and `component` is optional. Limits, `on_error`,
//! `max_concurrency`, `queue` and the `[signature]` keys a manifest leaves out
//! come from [`ManifestDefaults`] (the host file's `[defaults]`, else the
//! built-in defaults), key by key.
//!
//! Why one file: a manifest is one strict schema whose tables (`[limits]`,
//! `[signature]`, `[defaults]`, `[config]`) each merge onto a default key by
//! key with the same error wording; the pieces share that merging and are
//! read together. Tests are in `manifest/tests.rs`; secret sources in
//! `secrets`, `[connector]` in `connector`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny};

use super::connector::{BoldAuth, ConnectorSettings, DEFAULT_CONNECTOR_TIMEOUT, RawConnector};
use super::install::{OAuthSettings, RawOAuth};
use super::outbound::RawOutbound;
use super::secrets::{OneOrTwo, SecretValue, resolve_secret_source};
use crate::runtime::outbound::OutboundGrant;
use crate::runtime::{Limits, PluginSettings};
use crate::signature::{Algorithm as VerifierAlgorithm, Policy};

/// Sandboxes of one plugin running at once, unless configured.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// Requests of one plugin waiting for a sandbox before the host answers 503,
/// unless configured.
pub const DEFAULT_QUEUE: usize = 32;
/// The longest deadline a checkout plugin may have: Bold Checkout waits 20 s
/// at most (PROTOCOL.md §1).
pub const MAX_CHECKOUT_TIMEOUT_MS: u64 = 20_000;
/// Signature algorithms a plugin may accept, in the words its manifest uses.
pub const SIGNATURE_ALGORITHMS: [&str; 3] = ["hmac-sha256", "hmac-sha1", "hmac-sha512"];
/// The signature algorithm accepted unless a manifest lists others.
pub const DEFAULT_SIGNATURE_ALGORITHM: &str = "hmac-sha256";
/// How far a signed request's date may be from the host's clock, unless
/// configured.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);
/// The config key the host fills with the plugin's public URL.
pub const PUBLIC_URL_KEY: &str = "public_url";

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The manifest's path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid manifest, or its secret cannot be resolved.
    #[error("{path}: {message}")]
    Invalid {
        /// The manifest's path.
        path: PathBuf,
        /// What is wrong, naming the field (never a secret's value).
        message: String,
    },
}

/// What the host does when a handler faults on an event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Answer `{"success": true, "actions": []}` so the checkout goes on.
    #[default]
    NoActions,
    /// Answer `{"success": false, "actions": [], "error": "<kind>"}`.
    Fail,
}

/// How a plugin's incoming requests must be signed (`[signature]`), parsed
/// once into the verifier's own types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignaturePolicy {
    /// Accepted algorithms, without duplicates, never empty. Default
    /// `[hmac-sha256]`.
    pub algorithms: Vec<VerifierAlgorithm>,
    /// A `digest` header must be signed (and match the body). Default false.
    pub require_digest: bool,
    /// `(request-target)` must be signed. Default false.
    pub require_request_target: bool,
    /// Refuse a signature seen before (within the skew window). Default false.
    pub replay_protection: bool,
    /// How far the signed date may be from the host's clock. Default 300 s.
    pub max_skew: Duration,
}

impl Default for SignaturePolicy {
    fn default() -> Self {
        Self {
            algorithms: vec![VerifierAlgorithm::HmacSha256],
            require_digest: false,
            require_request_target: false,
            replay_protection: false,
            max_skew: DEFAULT_MAX_SKEW,
        }
    }
}

impl SignaturePolicy {
    /// What the verifier checks (the replay guard is separate).
    pub fn verifier_policy(&self) -> Policy {
        Policy {
            algorithms: self.algorithms.clone(),
            max_skew: self.max_skew,
            require_digest: self.require_digest,
            require_request_target: self.require_request_target,
        }
    }
}

/// The algorithm names a manifest may write (lowercase only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum Algorithm {
    #[serde(rename = "hmac-sha256")]
    HmacSha256,
    #[serde(rename = "hmac-sha1")]
    HmacSha1,
    #[serde(rename = "hmac-sha512")]
    HmacSha512,
}

impl From<Algorithm> for VerifierAlgorithm {
    fn from(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::HmacSha256 => VerifierAlgorithm::HmacSha256,
            Algorithm::HmacSha1 => VerifierAlgorithm::HmacSha1,
            Algorithm::HmacSha512 => VerifierAlgorithm::HmacSha512,
        }
    }
}

/// `[signature]` as written: every key optional, merged onto a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    algorithms: Option<Vec<Algorithm>>,
    require_digest: Option<bool>,
    require_request_target: Option<bool>,
    replay_protection: Option<bool>,
    max_skew_secs: Option<u64>,
}

impl RawSignature {
    /// Overrides the keys this table sets; `table` names it in errors.
    fn merge(self, onto: &mut SignaturePolicy, table: &str) -> Result<(), String> {
        let SignaturePolicy {
            algorithms,
            require_digest,
            require_request_target,
            replay_protection,
            max_skew,
        } = onto;
        if let Some(list) = self.algorithms {
            if list.is_empty() {
                return Err(format!(
                    "field `{table}.algorithms` is empty: list at least one of {}",
                    SIGNATURE_ALGORITHMS.join(", ")
                ));
            }
            algorithms.clear();
            for algorithm in list.into_iter().map(VerifierAlgorithm::from) {
                if !algorithms.contains(&algorithm) {
                    algorithms.push(algorithm);
                }
            }
        }
        if let Some(v) = self.require_digest {
            *require_digest = v;
        }
        if let Some(v) = self.require_request_target {
            *require_request_target = v;
        }
        if let Some(v) = self.replay_protection {
            *replay_protection = v;
        }
        if let Some(secs) = self.max_skew_secs {
            if secs == 0 {
                return Err(format!("field `{table}.max_skew_secs` must be above 0"));
            }
            *max_skew = Duration::from_secs(secs);
        }
        Ok(())
    }
}

/// `[limits]` as written: every key optional, merged onto a default key by
/// key. The keys are those of [`Limits`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    base_fuel: Option<u64>,
    fuel_per_body_byte: Option<u64>,
    timeout_ms: Option<u64>,
    memory_bytes: Option<u64>,
    output_bytes: Option<u64>,
    log_bytes: Option<u64>,
    body_bytes: Option<u64>,
}

impl RawLimits {
    /// Overrides the keys this table sets, then checks the result; `table`
    /// names it in errors.
    fn merge(self, onto: &mut Limits, table: &str) -> Result<(), String> {
        // Destructured without `..`: a new `Limits` field must be added here.
        let Limits {
            base_fuel,
            fuel_per_body_byte,
            timeout_ms,
            memory_bytes,
            output_bytes,
            log_bytes,
            body_bytes,
        } = onto;
        let pairs = [
            (base_fuel, self.base_fuel),
            (fuel_per_body_byte, self.fuel_per_body_byte),
            (timeout_ms, self.timeout_ms),
            (memory_bytes, self.memory_bytes),
            (output_bytes, self.output_bytes),
            (log_bytes, self.log_bytes),
            (body_bytes, self.body_bytes),
        ];
        for (field, value) in pairs {
            if let Some(value) = value {
                *field = value;
            }
        }
        for (name, value) in [
            ("timeout_ms", onto.timeout_ms),
            ("memory_bytes", onto.memory_bytes),
            ("output_bytes", onto.output_bytes),
            ("body_bytes", onto.body_bytes),
        ] {
            if value == 0 {
                return Err(format!("field `{table}.{name}` must be above 0"));
            }
        }
        Ok(())
    }
}

/// What every manifest inherits and may override key by key: the host
/// file's `[defaults]` table, itself merged onto the built-in defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestDefaults {
    /// Sandbox limits (`[defaults.limits]`, same keys as a manifest's
    /// `[limits]`).
    pub limits: Limits,
    /// Answer on a handler fault.
    pub on_error: OnError,
    /// Sandboxes running at once per plugin.
    pub max_concurrency: usize,
    /// Requests waiting for a sandbox per plugin before 503.
    pub queue: usize,
    /// Signature policy (`[defaults.signature]`).
    pub signature: SignaturePolicy,
}

impl Default for ManifestDefaults {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            on_error: OnError::default(),
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            queue: DEFAULT_QUEUE,
            signature: SignaturePolicy::default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    #[serde(default)]
    limits: RawLimits,
    on_error: Option<OnError>,
    max_concurrency: Option<usize>,
    queue: Option<usize>,
    #[serde(default)]
    signature: RawSignature,
}

/// Reads a `[defaults]` table: unknown keys are refused, missing keys take
/// the built-in defaults.
impl<'de> Deserialize<'de> for ManifestDefaults {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawDefaults::deserialize(deserializer)?;
        let mut defaults = ManifestDefaults::default();
        raw.limits
            .merge(&mut defaults.limits, "defaults.limits")
            .map_err(de::Error::custom)?;
        raw.signature
            .merge(&mut defaults.signature, "defaults.signature")
            .map_err(de::Error::custom)?;
        if let Some(on_error) = raw.on_error {
            defaults.on_error = on_error;
        }
        if let Some(n) = raw.max_concurrency {
            defaults.max_concurrency = n;
        }
        if let Some(n) = raw.queue {
            defaults.queue = n;
        }
        if defaults.max_concurrency == 0 {
            return Err(de::Error::custom(
                "field `defaults.max_concurrency` must be above 0",
            ));
        }
        Ok(defaults)
    }
}

/// A config value as written in TOML; served to the guest as a string.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum ConfigValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl ConfigValue {
    fn into_string(self) -> String {
        match self {
            ConfigValue::Str(s) => s,
            ConfigValue::Int(i) => i.to_string(),
            ConfigValue::Float(f) => f.to_string(),
            ConfigValue::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    id: String,
    component: PathBuf,
    client_secret_env: Option<OneOrTwo>,
    client_secret_file: Option<OneOrTwo>,
    /// Only to refuse it with a helpful message.
    client_secret: Option<IgnoredAny>,
    public_url: Option<String>,
    events: Option<BTreeSet<String>>,
    scopes: Option<BTreeSet<String>>,
    #[serde(default)]
    extra_action_types: BTreeSet<String>,
    on_error: Option<OnError>,
    max_concurrency: Option<usize>,
    queue: Option<usize>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    signature: RawSignature,
    #[serde(default)]
    config: BTreeMap<String, ConfigValue>,
    connector: Option<RawConnector>,
    oauth: Option<RawOAuth>,
    outbound: Option<RawOutbound>,
    require_install: Option<bool>,
}

/// A parsed manifest, paths resolved against the manifest's directory and
/// defaults applied.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Where it was read from.
    pub path: PathBuf,
    /// The plugin id (its URL segment).
    pub id: String,
    /// The component file.
    pub component: PathBuf,
    /// Environment variables holding the client secret (two during a
    /// rotation). At most one of this and `client_secret_file` is set.
    pub client_secret_env: Option<OneOrTwo>,
    /// Files holding the client secret, resolved against the manifest's
    /// directory.
    pub client_secret_file: Option<OneOrTwo>,
    /// The plugin's public URL as its manifest sets it (top-level
    /// `public_url` or `[config] public_url`); `None` = the host computes
    /// `<host public_url>/plugins/<id>` (see [`Manifest::apply_host_public_url`]).
    pub public_url: Option<String>,
    /// Subscribed events; `None` = every event.
    pub events: Option<BTreeSet<String>>,
    /// Granted scopes; `None` = not scope-checked.
    pub scopes: Option<BTreeSet<String>>,
    /// Action types outside Bold's list this plugin may send.
    pub extra_action_types: BTreeSet<String>,
    /// Answer on a handler fault.
    pub on_error: OnError,
    /// Sandboxes of this plugin running at once (at least 1).
    pub max_concurrency: usize,
    /// Requests waiting for a sandbox before the host answers 503.
    pub queue: usize,
    /// Sandbox limits.
    pub limits: Limits,
    /// How requests to this plugin must be signed.
    pub signature: SignaturePolicy,
    /// Settings for the `config` import, sorted by key (`public_url`
    /// included once known).
    pub config: Vec<(String, String)>,
    /// `[connector]`: set for platform connectors.
    pub connector: Option<ConnectorSettings>,
    /// `[oauth]`: the plugin can be installed on stores (the install flow).
    pub oauth: Option<OAuthSettings>,
    /// `[outbound]`: the hosts a checkout plugin may reach, and the caps of
    /// its requests (Bold API calls included). `None`: no host.
    pub outbound: Option<OutboundGrant>,
    /// `require_install = true`: events for a shop the plugin is not
    /// installed on (or that name no shop) get the not-subscribed answer
    /// without running the plugin.
    pub require_install: bool,
}

impl Manifest {
    /// Reads and checks the manifest at `path` with the built-in defaults.
    pub fn from_file(path: &Path) -> Result<Self, ManifestError> {
        Self::from_file_with(path, &ManifestDefaults::default())
    }

    /// Reads and checks the manifest at `path`; keys it leaves out come from
    /// `defaults`.
    pub fn from_file_with(path: &Path, defaults: &ManifestDefaults) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse_with(&text, path, defaults)
    }

    /// Parses manifest text with the built-in defaults; `path` names it in
    /// errors and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        Self::parse_with(text, path, &ManifestDefaults::default())
    }

    /// Parses manifest text; keys it leaves out come from `defaults`; `path`
    /// names it in errors and anchors relative paths.
    pub fn parse_with(
        text: &str,
        path: &Path,
        defaults: &ManifestDefaults,
    ) -> Result<Self, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        };
        let raw: RawManifest = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if raw.client_secret.is_some() {
            return Err(invalid(
                "field `client_secret`: inline secrets are not accepted; name an environment \
                 variable with `client_secret_env` or a file with `client_secret_file`"
                    .into(),
            ));
        }
        if !is_plugin_id(&raw.id) {
            return Err(invalid(format!(
                "field `id`: {:?} must be 1-64 characters of a-z, 0-9, `-` or `_`",
                raw.id
            )));
        }
        if raw.client_secret_env.is_some() && raw.client_secret_file.is_some() {
            return Err(invalid(
                "fields `client_secret_env` and `client_secret_file`: set only one of them".into(),
            ));
        }
        for (field, names) in [("events", &raw.events), ("scopes", &raw.scopes)] {
            if names.iter().flatten().any(|n| n.trim().is_empty()) {
                return Err(invalid(format!("field `{field}`: a name is empty")));
            }
        }

        let mut limits = defaults.limits.clone();
        if raw.connector.is_some() && raw.limits.timeout_ms.is_none() {
            limits.timeout_ms = DEFAULT_CONNECTOR_TIMEOUT.as_millis() as u64;
        }
        raw.limits.merge(&mut limits, "limits").map_err(invalid)?;
        let mut signature = defaults.signature.clone();
        raw.signature
            .merge(&mut signature, "signature")
            .map_err(invalid)?;
        let max_concurrency = raw.max_concurrency.unwrap_or(defaults.max_concurrency);
        if max_concurrency == 0 {
            return Err(invalid("field `max_concurrency` must be above 0".into()));
        }

        let mut config: Vec<(String, String)> = raw
            .config
            .into_iter()
            .map(|(k, v)| (k, v.into_string()))
            .collect();
        let config_url = config
            .iter()
            .find(|(k, _)| k == PUBLIC_URL_KEY)
            .map(|(_, v)| v.clone());
        let public_url = match (raw.public_url, config_url) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "fields `public_url` and `config.public_url`: set only one of them".into(),
                ));
            }
            (Some(url), None) => {
                let url =
                    check_url(&url).map_err(|m| invalid(format!("field `public_url`: {m}")))?;
                set_config(&mut config, PUBLIC_URL_KEY, url.clone());
                Some(url)
            }
            (None, Some(url)) => Some(url),
            (None, None) => None,
        };

        let base = path.parent().unwrap_or(Path::new("."));
        let connector = raw
            .connector
            .map(|c| c.check(base))
            .transpose()
            .map_err(invalid)?;
        let oauth = raw
            .oauth
            .map(RawOAuth::check)
            .transpose()
            .map_err(invalid)?;
        if connector.is_some() && raw.outbound.is_some() {
            return Err(invalid(
                "table `outbound`: a connector's outbound HTTP is `connector.allowed_hosts` and \
                 `[connector.http]`"
                    .into(),
            ));
        }
        let outbound = raw
            .outbound
            .map(RawOutbound::check)
            .transpose()
            .map_err(invalid)?;
        if connector.is_none() && limits.timeout_ms > MAX_CHECKOUT_TIMEOUT_MS {
            return Err(invalid(format!(
                "field `limits.timeout_ms`: {} is above {MAX_CHECKOUT_TIMEOUT_MS} (Bold Checkout \
                 waits 20 s at most for a plugin)",
                limits.timeout_ms
            )));
        }
        Ok(Self {
            path: path.to_owned(),
            id: raw.id,
            component: base.join(raw.component),
            client_secret_env: raw.client_secret_env,
            client_secret_file: raw
                .client_secret_file
                .map(|files| files.map(|f| resolve(base, f))),
            public_url,
            events: raw.events,
            scopes: raw.scopes,
            extra_action_types: raw.extra_action_types,
            on_error: raw.on_error.unwrap_or(defaults.on_error),
            max_concurrency,
            queue: raw.queue.unwrap_or(defaults.queue),
            limits,
            signature,
            config,
            connector,
            oauth,
            outbound,
            require_install: raw.require_install.unwrap_or(false),
        })
    }

    /// Reads the client secrets (one, or two during a rotation, in the
    /// order written). `env` looks environment variables up (use
    /// [`process_env`] outside tests); files are read and lose one trailing
    /// newline. An unset or empty variable, an unreadable or empty file, or
    /// no secret source at all is an error naming the manifest, the field
    /// and the variable or file, never the value.
    pub fn resolve_secrets(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<SecretValue>, ManifestError> {
        resolve_secret_source(
            &self.path,
            ("client_secret_env", self.client_secret_env.as_ref()),
            ("client_secret_file", self.client_secret_file.as_ref()),
            env,
        )
    }

    /// Hands the plugin its public URL as config `public_url`:
    /// `<host_public_url>/plugins/<id>`, unless the manifest sets one (then
    /// nothing changes). Calling it again replaces the value it set before.
    pub fn apply_host_public_url(&mut self, host_public_url: &str) {
        if self.public_url.is_none() {
            let url = plugin_public_url(host_public_url, &self.id);
            set_config(&mut self.config, PUBLIC_URL_KEY, url);
        }
    }

    /// What an operator should be told about this manifest at start-up or
    /// reload (e.g. no `scopes`: actions are not scope-checked).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.scopes.is_none() && self.connector.is_none() {
            warnings.push(format!(
                "{}: plugin `{}` sets no `scopes`: its actions are not scope-checked",
                self.path.display(),
                self.id
            ));
        }
        let all_topics = self
            .connector
            .as_ref()
            .and_then(|c| c.webhook.as_ref())
            .is_some_and(|w| w.topics.is_none());
        if all_topics {
            warnings.push(format!(
                "{}: connector `{}` sets no `connector.platform_webhook.topics`: it accepts \
                 every topic (the signature covers the body, not the topic)",
                self.path.display(),
                self.id
            ));
        }
        let implicit_cavage = self
            .connector
            .as_ref()
            .is_some_and(|c| c.bold_auth == BoldAuth::Cavage { explicit: false });
        if implicit_cavage {
            warnings.push(format!(
                "{}: connector `{}` names no X-HMAC shared secret, so Bold's calls on it are \
                 checked as cavage signatures with the client secret, as before; Bold signs \
                 its calls to a connector with X-HMAC: set `connector.bold_hmac_secret_env` \
                 (or `bold_hmac_secret_file`) to the secret from Bold Account Center, or \
                 `connector.bold_auth = \"cavage\"` to keep cavage and silence this",
                self.path.display(),
                self.id
            ));
        }
        warnings
    }

    /// The files this plugin depends on: the manifest, the component and any
    /// secret files (for a file watcher).
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.path.clone(), self.component.clone()];
        if let Some(secret_files) = &self.client_secret_file {
            files.extend(secret_files.names().into_iter().map(PathBuf::from));
        }
        if let Some(connector) = &self.connector {
            files.extend(connector.secret_files().into_iter().map(PathBuf::from));
        }
        files
    }

    /// The runtime settings this manifest describes.
    pub fn plugin_settings(&self) -> PluginSettings {
        PluginSettings {
            id: self.id.clone(),
            limits: self.limits.clone(),
            config: self.config.clone(),
            outbound: self
                .connector
                .as_ref()
                .map(|c| c.outbound.clone())
                .or_else(|| self.outbound.clone()),
        }
    }
}

/// `<base>/plugins/<id>`, without a doubled slash.
pub fn plugin_public_url(base: &str, id: &str) -> String {
    format!("{}/plugins/{id}", base.trim_end_matches('/'))
}

/// Checks an absolute `http`/`https` URL and drops trailing slashes.
pub(crate) fn check_url(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !url.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') =>
        {
            Ok(url.trim_end_matches('/').to_owned())
        }
        _ => Err(format!(
            "{url:?} must be an absolute http:// or https:// URL without query or fragment"
        )),
    }
}

fn set_config(config: &mut Vec<(String, String)>, key: &str, value: String) {
    config.retain(|(k, _)| k != key);
    config.push((key.to_owned(), value));
    config.sort_by(|a, b| a.0.cmp(&b.0));
}

fn resolve(base: &Path, file: &str) -> String {
    base.join(file).to_string_lossy().into_owned()
}

/// Plugin ids appear in URLs: keep them plain.
pub fn is_plugin_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests;
