//! A plugin's manifest (`plugin.toml`): which component, its limits, its
//! config, its scopes. Strict: unknown keys are errors that name the file
//! and the field.
//!
//! ```toml
//! id = "example-checkout"
//! component = "../../target/wasm32-wasip2/release/example_checkout.wasm"
//! client_secret_env = "EXAMPLE_CHECKOUT_SECRET"
//! events = ["initialize_checkout", "order_submitted"]
//! scopes = ["modify_order", "provide_shipping_rates", "add_fee"]
//! on_error = "no-actions"
//!
//! [limits]
//! timeout_ms = 100
//!
//! [config]
//! stock = 100
//! ```

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::limits::Limits;
use crate::runtime::PluginSettings;

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
    /// The file is not a valid manifest.
    #[error("{path}: {message}")]
    Invalid {
        /// The manifest's path.
        path: PathBuf,
        /// What is wrong, naming the field.
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OneOrTwo {
    /// A single source.
    One(String),
    /// Several sources, all accepted.
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
    events: Option<BTreeSet<String>>,
    scopes: Option<BTreeSet<String>>,
    #[serde(default)]
    extra_action_types: BTreeSet<String>,
    #[serde(default)]
    on_error: OnError,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    config: std::collections::BTreeMap<String, ConfigValue>,
}

/// A parsed manifest, paths resolved against the manifest's directory.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Where it was read from.
    pub path: PathBuf,
    /// The plugin id (its URL segment).
    pub id: String,
    /// The component file.
    pub component: PathBuf,
    /// Environment variables holding the client secret (two during a
    /// rotation).
    pub client_secret_env: Option<OneOrTwo>,
    /// Files holding the client secret.
    pub client_secret_file: Option<OneOrTwo>,
    /// Subscribed events; `None` = every event.
    pub events: Option<BTreeSet<String>>,
    /// Granted scopes; `None` = not scope-checked.
    pub scopes: Option<BTreeSet<String>>,
    /// Action types outside Bold's list this plugin may send.
    pub extra_action_types: BTreeSet<String>,
    /// Answer on a handler fault.
    pub on_error: OnError,
    /// Sandbox limits.
    pub limits: Limits,
    /// Settings for the `config` import.
    pub config: Vec<(String, String)>,
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses manifest text; `path` names it in errors and anchors relative
    /// paths.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ManifestError> {
        let invalid = |message: String| ManifestError::Invalid {
            path: path.to_owned(),
            message,
        };
        let raw: RawManifest = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if !is_plugin_id(&raw.id) {
            return Err(invalid(format!(
                "field `id`: {:?} must be 1-64 characters of a-z, 0-9, `-` or `_`",
                raw.id
            )));
        }
        if raw.limits.timeout_ms == 0 {
            return Err(invalid("field `limits.timeout_ms` must be above 0".into()));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Ok(Self {
            path: path.to_owned(),
            id: raw.id,
            component: base.join(raw.component),
            client_secret_env: raw.client_secret_env,
            client_secret_file: raw.client_secret_file.map(|files| match files {
                OneOrTwo::One(f) => OneOrTwo::One(resolve(base, &f)),
                OneOrTwo::Many(fs) => OneOrTwo::Many(fs.iter().map(|f| resolve(base, f)).collect()),
            }),
            events: raw.events,
            scopes: raw.scopes,
            extra_action_types: raw.extra_action_types,
            on_error: raw.on_error,
            limits: raw.limits,
            config: raw
                .config
                .into_iter()
                .map(|(k, v)| (k, v.into_string()))
                .collect(),
        })
    }

    /// The runtime settings this manifest describes.
    pub fn plugin_settings(&self) -> PluginSettings {
        PluginSettings {
            id: self.id.clone(),
            limits: self.limits.clone(),
            config: self.config.clone(),
            scopes: self.scopes.clone(),
            extra_action_types: self.extra_action_types.clone(),
        }
    }
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

    #[test]
    fn parses_a_full_manifest() {
        let m = Manifest::parse(
            r#"
id = "example-checkout"
component = "example.wasm"
client_secret_env = ["NEW_SECRET", "OLD_SECRET"]
events = ["initialize_checkout"]
scopes = ["modify_order"]
on_error = "fail"
[limits]
timeout_ms = 250
memory_bytes = 1048576
[config]
stock = 5
label = "x"
enabled = true
"#,
            Path::new(PATH),
        )
        .unwrap();
        assert_eq!(m.component, Path::new("/etc/plugins/example/example.wasm"));
        assert_eq!(m.on_error, OnError::Fail);
        assert_eq!(m.limits.timeout_ms, 250);
        assert_eq!(m.limits.base_fuel, crate::limits::DEFAULT_BASE_FUEL);
        assert_eq!(
            m.client_secret_env.unwrap().names(),
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
    }

    #[test]
    fn unknown_keys_name_the_file_and_field() {
        let err = Manifest::parse(
            "id = \"x\"\ncomponent = \"x.wasm\"\n[limits]\ntimeout = 5\n",
            Path::new(PATH),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(PATH), "{err}");
        assert!(err.contains("timeout"), "{err}");
    }

    #[test]
    fn bad_ids_are_refused() {
        let err = Manifest::parse("id = \"Bad/Id\"\ncomponent = \"x.wasm\"\n", Path::new(PATH))
            .unwrap_err()
            .to_string();
        assert!(err.contains("field `id`"), "{err}");
    }
}
