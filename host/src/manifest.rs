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
//! ```
//!
//! Every key but `id` and `component` is optional. Limits, `on_error`,
//! `max_concurrency`, `queue` and the `[signature]` keys a manifest leaves out
//! come from [`ManifestDefaults`] (the host file's `[defaults]`, else the
//! built-in defaults), key by key.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};

use crate::connector::ConnectorSettings;
use crate::connector::settings::{DEFAULT_CONNECTOR_TIMEOUT, RawConnector};
use crate::limits::Limits;
use crate::runtime::PluginSettings;

/// Sandboxes of one plugin running at once, unless configured.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// Requests of one plugin waiting for a sandbox before the host answers 503,
/// unless configured.
pub const DEFAULT_QUEUE: usize = 32;
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

/// One or two names (two during a secret rotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OneOrTwo {
    /// A single source.
    One(String),
    /// Several sources (one or two), all accepted.
    Many(Vec<String>),
}

impl OneOrTwo {
    /// The names, in order.
    pub fn names(&self) -> Vec<&str> {
        match self {
            OneOrTwo::One(name) => vec![name.as_str()],
            OneOrTwo::Many(names) => names.iter().map(String::as_str).collect(),
        }
    }

    pub(crate) fn map(&self, f: impl Fn(&str) -> String) -> Self {
        match self {
            OneOrTwo::One(name) => OneOrTwo::One(f(name)),
            OneOrTwo::Many(names) => OneOrTwo::Many(names.iter().map(|n| f(n)).collect()),
        }
    }
}

/// Accepts a non-empty string, or a list of one or two distinct non-empty
/// strings; anything else is an error at the value's position.
impl<'de> Deserialize<'de> for OneOrTwo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OneOrTwoVisitor;

        impl<'de> Visitor<'de> for OneOrTwoVisitor {
            type Value = OneOrTwo;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name, or a list of one or two names")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrTwo, E> {
                if v.trim().is_empty() {
                    return Err(E::custom("the name is empty"));
                }
                Ok(OneOrTwo::One(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrTwo, A::Error> {
                let mut names: Vec<String> = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    if name.trim().is_empty() {
                        return Err(de::Error::custom("a name is empty"));
                    }
                    if names.contains(&name) {
                        return Err(de::Error::custom(format!("{name:?} is listed twice")));
                    }
                    names.push(name);
                }
                match names.len() {
                    0 => Err(de::Error::custom(
                        "the list is empty: give one name, or two during a rotation",
                    )),
                    1 | 2 => Ok(OneOrTwo::Many(names)),
                    n => Err(de::Error::custom(format!(
                        "{n} names listed: at most two (the new and the old secret during a rotation)"
                    ))),
                }
            }
        }

        deserializer.deserialize_any(OneOrTwoVisitor)
    }
}

/// A client secret. Its `Debug` output is redacted, and it has no `Display`:
/// only [`SecretValue::expose`] gives the value away.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself (to key an HMAC).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(<redacted>)")
    }
}

/// Looks `name` up in the process environment (the production lookup for
/// [`Manifest::resolve_secrets`]). A variable that is not valid UTF-8 counts
/// as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// How a plugin's incoming requests must be signed (`[signature]`). The HTTP
/// layer maps it onto the verifier's types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignaturePolicy {
    /// Accepted algorithms, lowercase, each one of [`SIGNATURE_ALGORITHMS`],
    /// without duplicates, never empty. Default `["hmac-sha256"]`.
    pub algorithms: Vec<String>,
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
            algorithms: vec![DEFAULT_SIGNATURE_ALGORITHM.to_owned()],
            require_digest: false,
            require_request_target: false,
            replay_protection: false,
            max_skew: DEFAULT_MAX_SKEW,
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

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => SIGNATURE_ALGORITHMS[0],
            Algorithm::HmacSha1 => SIGNATURE_ALGORITHMS[1],
            Algorithm::HmacSha512 => SIGNATURE_ALGORITHMS[2],
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
            for algorithm in list {
                let name = algorithm.name().to_owned();
                if !algorithms.contains(&name) {
                    algorithms.push(name);
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
            scopes: self.scopes.clone(),
            extra_action_types: self.extra_action_types.clone(),
            outbound: self.connector.as_ref().map(|c| c.outbound.clone()),
        }
    }
}

/// Reads a secret from one of two sources: `env` = (field name, variable
/// names) or `file` = (field name, file names), exactly one of them set.
/// One value, or two during a rotation, in the order written. An unset or
/// empty variable, an unreadable or empty file, or no source at all is an
/// error naming `path`, the field and the variable or file, never the value.
/// Files lose one trailing newline.
pub fn resolve_secret_source(
    path: &Path,
    env_source: (&str, Option<&OneOrTwo>),
    file_source: (&str, Option<&OneOrTwo>),
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<SecretValue>, ManifestError> {
    let invalid = |message: String| ManifestError::Invalid {
        path: path.to_owned(),
        message,
    };
    let ((env_field, env_names), (file_field, file_names)) = (env_source, file_source);
    match (env_names, file_names) {
        (Some(names), None) => names
            .names()
            .into_iter()
            .map(|name| match env(name) {
                None => Err(invalid(format!(
                    "field `{env_field}`: environment variable {name} is not set"
                ))),
                Some(value) if value.is_empty() => Err(invalid(format!(
                    "field `{env_field}`: environment variable {name} is empty"
                ))),
                Some(value) => Ok(SecretValue::new(value)),
            })
            .collect(),
        (None, Some(files)) => files
            .names()
            .into_iter()
            .map(|file| {
                let text = std::fs::read_to_string(file).map_err(|e| {
                    invalid(format!("field `{file_field}`: cannot read {file}: {e}"))
                })?;
                let value = text
                    .strip_suffix("\r\n")
                    .or_else(|| text.strip_suffix('\n'))
                    .unwrap_or(&text);
                if value.is_empty() {
                    return Err(invalid(format!("field `{file_field}`: {file} is empty")));
                }
                Ok(SecretValue::new(value))
            })
            .collect(),
        (None, None) => Err(invalid(format!(
            "no {}: set `{env_field}` (an environment variable) or `{file_field}` (a file)",
            env_field.trim_end_matches("_env").replace('_', " ")
        ))),
        (Some(_), Some(_)) => Err(invalid(format!(
            "fields `{env_field}` and `{file_field}`: set only one of them"
        ))),
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
mod tests {
    use super::*;

    const PATH: &str = "/etc/plugins/example/plugin.toml";

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, Path::new(PATH))
    }

    fn parse_err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    const MINIMAL: &str = "id = \"x\"\ncomponent = \"x.wasm\"\n";

    fn env(name: &str) -> Option<String> {
        match name {
            "NEW_SECRET" => Some("new-value".into()),
            "OLD_SECRET" => Some("old-value".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn parses_a_full_manifest() {
        let m = parse(
            r#"
id = "example-checkout"
component = "example.wasm"
client_secret_env = ["NEW_SECRET", "OLD_SECRET"]
events = ["initialize_checkout"]
scopes = ["modify_order"]
on_error = "fail"
max_concurrency = 3
queue = 0
[limits]
timeout_ms = 250
memory_bytes = 1048576
[signature]
algorithms = ["hmac-sha512", "hmac-sha256"]
require_digest = true
require_request_target = true
replay_protection = true
max_skew_secs = 60
[config]
stock = 5
label = "x"
enabled = true
"#,
        )
        .unwrap();
        assert_eq!(m.component, Path::new("/etc/plugins/example/example.wasm"));
        assert_eq!(m.on_error, OnError::Fail);
        assert_eq!(m.limits.timeout_ms, 250);
        assert_eq!(m.limits.base_fuel, crate::limits::DEFAULT_BASE_FUEL);
        assert_eq!((m.max_concurrency, m.queue), (3, 0));
        assert_eq!(
            m.signature,
            SignaturePolicy {
                algorithms: vec!["hmac-sha512".into(), "hmac-sha256".into()],
                require_digest: true,
                require_request_target: true,
                replay_protection: true,
                max_skew: Duration::from_secs(60),
            }
        );
        assert_eq!(
            m.client_secret_env.as_ref().unwrap().names(),
            vec!["NEW_SECRET", "OLD_SECRET"]
        );
        assert_eq!(
            m.config,
            vec![
                ("enabled".to_owned(), "true".to_owned()),
                ("label".to_owned(), "x".to_owned()),
                ("stock".to_owned(), "5".to_owned())
            ]
        );
        assert!(m.warnings().is_empty());
    }

    #[test]
    fn a_minimal_manifest_takes_the_built_in_defaults() {
        let m = parse(MINIMAL).unwrap();
        assert_eq!(m.limits, Limits::default());
        assert_eq!(m.on_error, OnError::NoActions);
        assert_eq!(m.max_concurrency, DEFAULT_MAX_CONCURRENCY);
        assert_eq!(m.queue, DEFAULT_QUEUE);
        assert_eq!(m.signature, SignaturePolicy::default());
        assert_eq!(m.signature.algorithms, vec!["hmac-sha256"]);
        assert_eq!(m.signature.max_skew, Duration::from_secs(300));
        assert!(m.events.is_none() && m.scopes.is_none() && m.public_url.is_none());
        assert!(m.config.is_empty());
        let warnings = m.warnings();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains(PATH) && warnings[0].contains("scopes"),
            "{warnings:?}"
        );
    }

    #[test]
    fn manifests_inherit_defaults_key_by_key() {
        let defaults = ManifestDefaults {
            limits: Limits {
                timeout_ms: 50,
                memory_bytes: 1 << 20,
                ..Limits::default()
            },
            on_error: OnError::Fail,
            max_concurrency: 2,
            queue: 4,
            signature: SignaturePolicy {
                require_digest: true,
                max_skew: Duration::from_secs(30),
                ..SignaturePolicy::default()
            },
        };
        let inherit = Manifest::parse_with(MINIMAL, Path::new(PATH), &defaults).unwrap();
        assert_eq!(inherit.limits, defaults.limits);
        assert_eq!(inherit.on_error, OnError::Fail);
        assert_eq!((inherit.max_concurrency, inherit.queue), (2, 4));
        assert_eq!(inherit.signature, defaults.signature);

        let text = format!(
            "{MINIMAL}on_error = \"no-actions\"\nqueue = 9\n[limits]\ntimeout_ms = 70\n\
             [signature]\nmax_skew_secs = 10\n"
        );
        let m = Manifest::parse_with(&text, Path::new(PATH), &defaults).unwrap();
        assert_eq!(m.limits.timeout_ms, 70, "overridden");
        assert_eq!(m.limits.memory_bytes, 1 << 20, "inherited from defaults");
        assert_eq!(m.limits.output_bytes, Limits::default().output_bytes);
        assert_eq!(m.on_error, OnError::NoActions);
        assert_eq!((m.max_concurrency, m.queue), (2, 9));
        assert!(m.signature.require_digest, "inherited");
        assert_eq!(m.signature.max_skew, Duration::from_secs(10));
    }

    #[test]
    fn unknown_keys_name_the_file_and_field() {
        for (text, field) in [
            (format!("{MINIMAL}surprise = 1\n"), "surprise"),
            (format!("{MINIMAL}[limits]\ntimeout = 5\n"), "timeout"),
            (format!("{MINIMAL}[signature]\nskew = 5\n"), "skew"),
        ] {
            let err = parse_err(&text);
            assert!(err.contains(PATH), "{err}");
            assert!(err.contains(&format!("unknown field `{field}`")), "{err}");
        }
    }

    #[test]
    fn bad_values_name_the_field() {
        for (text, expected) in [
            (
                format!("{MINIMAL}[limits]\ntimeout_ms = 0\n"),
                "limits.timeout_ms",
            ),
            (
                format!("{MINIMAL}[limits]\nmemory_bytes = -1\n"),
                "memory_bytes",
            ),
            (format!("{MINIMAL}max_concurrency = 0\n"), "max_concurrency"),
            (format!("{MINIMAL}on_error = \"explode\"\n"), "explode"),
            (
                format!("{MINIMAL}[signature]\nmax_skew_secs = 0\n"),
                "signature.max_skew_secs",
            ),
            (
                format!("{MINIMAL}[signature]\nalgorithms = []\n"),
                "signature.algorithms",
            ),
            (format!("{MINIMAL}events = [\"\"]\n"), "events"),
            (format!("{MINIMAL}public_url = \"ftp://x\"\n"), "public_url"),
        ] {
            let err = parse_err(&text);
            assert!(err.contains(PATH) && err.contains(expected), "{err}");
        }
    }

    #[test]
    fn bad_ids_are_refused() {
        let err = parse_err("id = \"Bad/Id\"\ncomponent = \"x.wasm\"\n");
        assert!(err.contains("field `id`"), "{err}");
    }

    #[test]
    fn only_the_three_lowercase_algorithms_are_accepted() {
        for bad in ["hmac-md5", "HMAC-SHA256", "rsa-sha256", "hs2019"] {
            let err = parse_err(&format!("{MINIMAL}[signature]\nalgorithms = [\"{bad}\"]\n"));
            assert!(err.contains(PATH) && err.contains(bad), "{err}");
            assert!(
                err.contains("hmac-sha256"),
                "lists the accepted names: {err}"
            );
        }
        let m = parse(&format!(
            "{MINIMAL}[signature]\nalgorithms = [\"hmac-sha1\", \"hmac-sha1\", \"hmac-sha512\"]\n"
        ))
        .unwrap();
        assert_eq!(m.signature.algorithms, vec!["hmac-sha1", "hmac-sha512"]);
    }

    #[test]
    fn secrets_come_from_one_or_two_environment_variables() {
        let one = parse(&format!("{MINIMAL}client_secret_env = \"NEW_SECRET\"\n")).unwrap();
        let secrets = one.resolve_secrets(&env).unwrap();
        assert_eq!(secrets, vec![SecretValue::new("new-value")]);

        let two = parse(&format!(
            "{MINIMAL}client_secret_env = [\"NEW_SECRET\", \"OLD_SECRET\"]\n"
        ))
        .unwrap();
        let secrets = two.resolve_secrets(&env).unwrap();
        let values: Vec<&str> = secrets.iter().map(SecretValue::expose).collect();
        assert_eq!(values, vec!["new-value", "old-value"]);
    }

    #[test]
    fn a_missing_or_empty_variable_is_named_without_values() {
        let m = parse(&format!(
            "{MINIMAL}client_secret_env = [\"NEW_SECRET\", \"MISSING_SECRET\"]\n"
        ))
        .unwrap();
        let err = m.resolve_secrets(&env).unwrap_err().to_string();
        assert!(err.contains(PATH), "{err}");
        assert!(err.contains("client_secret_env"), "{err}");
        assert!(
            err.contains("MISSING_SECRET") && err.contains("not set"),
            "{err}"
        );
        assert!(!err.contains("new-value"), "{err}");

        let m = parse(&format!("{MINIMAL}client_secret_env = \"EMPTY\"\n")).unwrap();
        let err = m.resolve_secrets(&env).unwrap_err().to_string();
        assert!(err.contains("EMPTY") && err.contains("is empty"), "{err}");
    }

    #[test]
    fn secrets_come_from_files_relative_to_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("new.secret"), "file-new\n").unwrap();
        std::fs::write(dir.path().join("old.secret"), "file-old\r\n").unwrap();
        std::fs::write(dir.path().join("kept.secret"), "kept\n\n").unwrap();
        std::fs::write(dir.path().join("empty.secret"), "\n").unwrap();
        let path = dir.path().join("plugin.toml");
        let parse_in_dir = |files: &str| {
            Manifest::parse(&format!("{MINIMAL}client_secret_file = {files}\n"), &path).unwrap()
        };

        let m = parse_in_dir("[\"new.secret\", \"old.secret\"]");
        let secrets = m.resolve_secrets(&env).unwrap();
        let values: Vec<&str> = secrets.iter().map(SecretValue::expose).collect();
        assert_eq!(values, vec!["file-new", "file-old"]);
        let m = parse_in_dir("\"kept.secret\"");
        assert_eq!(m.resolve_secrets(&env).unwrap()[0].expose(), "kept\n");

        let m = parse_in_dir("\"empty.secret\"");
        let err = m.resolve_secrets(&env).unwrap_err().to_string();
        assert!(
            err.contains("client_secret_file") && err.contains("empty.secret"),
            "{err}"
        );
        let m = parse_in_dir("\"absent.secret\"");
        let err = m.resolve_secrets(&env).unwrap_err().to_string();
        assert!(
            err.contains("cannot read") && err.contains("absent.secret"),
            "{err}"
        );
        assert!(err.contains(&path.display().to_string()), "{err}");
    }

    #[test]
    fn secret_sources_are_checked() {
        let err = parse_err(&format!("{MINIMAL}client_secret = \"hunter2\"\n"));
        assert!(err.contains("client_secret_env") && err.contains("client_secret_file"));
        assert!(err.contains("inline") && !err.contains("hunter2"), "{err}");

        for (sources, expected) in [
            ("client_secret_env = []", "empty"),
            ("client_secret_env = [\"A\", \"B\", \"C\"]", "at most two"),
            ("client_secret_env = [\"A\", \"A\"]", "twice"),
            ("client_secret_env = \"\"", "empty"),
            ("client_secret_env = 5", "a name, or a list"),
            (
                "client_secret_env = \"A\"\nclient_secret_file = \"a\"",
                "only one",
            ),
        ] {
            let err = parse_err(&format!("{MINIMAL}{sources}\n"));
            assert!(
                err.contains(PATH) && err.contains(expected),
                "{sources}: {err}"
            );
        }

        let err = parse(MINIMAL)
            .unwrap()
            .resolve_secrets(&env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no client secret") && err.contains(PATH),
            "{err}"
        );
    }

    #[test]
    fn secret_values_are_redacted_in_debug() {
        let secret = SecretValue::new("hunter2");
        assert_eq!(format!("{secret:?}"), "SecretValue(<redacted>)");
        assert!(!format!("{:?}", vec![secret]).contains("hunter2"));
    }

    #[test]
    fn public_url_precedence() {
        let mut computed = parse(MINIMAL).unwrap();
        computed.apply_host_public_url("http://127.0.0.1:8080/");
        assert_eq!(
            computed.config,
            vec![(
                "public_url".to_owned(),
                "http://127.0.0.1:8080/plugins/x".to_owned()
            )]
        );
        computed.apply_host_public_url("https://other.example");
        assert_eq!(computed.config[0].1, "https://other.example/plugins/x");

        let mut top = parse(&format!("{MINIMAL}public_url = \"https://p.example/x/\"\n")).unwrap();
        top.apply_host_public_url("http://127.0.0.1:8080");
        assert_eq!(top.public_url.as_deref(), Some("https://p.example/x"));
        assert_eq!(top.config[0].1, "https://p.example/x");

        let mut in_config = parse(&format!(
            "{MINIMAL}[config]\npublic_url = \"https://c.example/x\"\n"
        ))
        .unwrap();
        in_config.apply_host_public_url("http://127.0.0.1:8080");
        assert_eq!(in_config.config[0].1, "https://c.example/x");

        let err = parse_err(&format!(
            "{MINIMAL}public_url = \"https://a.example\"\n[config]\npublic_url = \"https://b.example\"\n"
        ));
        assert!(err.contains("only one"), "{err}");
    }

    #[test]
    fn watched_files_include_secret_files() {
        let m = parse(&format!("{MINIMAL}client_secret_file = \"s\"\n")).unwrap();
        assert_eq!(
            m.watched_files(),
            vec![
                PathBuf::from(PATH),
                PathBuf::from("/etc/plugins/example/x.wasm"),
                PathBuf::from("/etc/plugins/example/s"),
            ]
        );
    }
}
