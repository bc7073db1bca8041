//! Helpers shared by the end-to-end tests.

use std::collections::BTreeSet;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plugin_host::config::Manifest;
use plugin_host::dispatch::actions::policy_for;
use plugin_host::dispatch::{ActionPolicy, CheckedPlugin};
use plugin_host::runtime::{ArtifactCache, EngineSettings, PluginSettings, Runtime};
use serde_json::{Value, json};

/// A compiled-artifact cache shared by test runs (under `target/`), so that
/// only the first run compiles the guests.
pub fn test_cache_dir() -> PathBuf {
    Path::new(crate::WORKSPACE)
        .join("target")
        .join("test-artifact-cache")
}

/// One runtime per test binary, with the shared cache.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::new(
            &EngineSettings::default(),
            Some(ArtifactCache::new(test_cache_dir())),
        )
        .unwrap_or_else(|e| panic!("runtime: {e}"))
    })
}

/// What a test plugin is loaded with: the sandbox's settings (through
/// `Deref`) and what its answers are checked against.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The sandbox's settings: id, limits, config, outbound grant.
    pub runtime: PluginSettings,
    /// Granted scopes; `None` = not scope-checked.
    pub scopes: Option<BTreeSet<String>>,
    /// Action types outside Bold's list the plugin may send.
    pub extra_action_types: BTreeSet<String>,
}

impl Settings {
    /// The settings a manifest describes.
    pub fn from_manifest(manifest: &Manifest) -> Self {
        let policy = policy_for(manifest);
        Self {
            runtime: manifest.plugin_settings(),
            scopes: policy.scopes,
            extra_action_types: policy.extra_action_types,
        }
    }

    fn policy(&self) -> ActionPolicy {
        ActionPolicy {
            scopes: self.scopes.clone(),
            extra_action_types: self.extra_action_types.clone(),
            output_limit: self.runtime.limits.output_bytes,
        }
    }
}

impl Deref for Settings {
    type Target = PluginSettings;

    fn deref(&self) -> &PluginSettings {
        &self.runtime
    }
}

impl DerefMut for Settings {
    fn deref_mut(&mut self) -> &mut PluginSettings {
        &mut self.runtime
    }
}

/// Loads `component` with `settings` on the shared runtime.
pub fn load(component: &str, settings: Settings) -> CheckedPlugin {
    load_with(runtime(), component, settings)
}

/// Loads `component` with `settings` on `runtime`.
pub fn load_with(runtime: &Runtime, component: &str, settings: Settings) -> CheckedPlugin {
    let policy = settings.policy();
    let plugin = runtime
        .load_file(Path::new(component), settings.runtime)
        .unwrap_or_else(|e| panic!("loading {component}: {e}"));
    CheckedPlugin { plugin, policy }
}

/// Settings with an id and config pairs, limits at their defaults.
pub fn settings(id: &str, config: &[(&str, &str)]) -> Settings {
    Settings {
        runtime: PluginSettings {
            id: id.to_owned(),
            config: config
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..PluginSettings::default()
        },
        ..Settings::default()
    }
}

/// The text of a bundled Bold fixture (the request body), e.g.
/// `initialize_checkout`.
pub fn fixture_body(name: &str) -> String {
    let path = Path::new(crate::FIXTURES).join(format!("{name}.json"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The names of every bundled fixture (file stems), sorted.
pub fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crate::FIXTURES)
        .unwrap_or_else(|e| panic!("{}: {e}", crate::FIXTURES))
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "json" {
                return None;
            }
            Some(path.file_stem()?.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

/// A body `{"event": "<name>"}` for the hostile guest.
pub fn event_body(name: &str) -> String {
    serde_json::json!({ "event": name }).to_string()
}

/// What `example-checkout` answers to each bundled fixture (default config).
pub fn expected_example_checkout(fixture_name: &str) -> Value {
    match fixture_name {
        "initialize_checkout" => json!([
            {"type": "override_inventory", "data": {"url": "http://localhost:8080/plugins/example-checkout/overrides/inventory"}},
            {"type": "add_note", "data": {"note": "Plugin initialized order lakjfoihiuh223u82989vhsinvd0s9f8"}},
        ]),
        "order_submitted_us" => json!([
            {"type": "add_fee", "data": {"id": "fee-1", "line_text": "Cross-border shipping", "fee_type": "fixed", "taxable": true, "value": 1500, "is_amendment": false}},
        ]),
        "app_hook" => json!([]),
        other => panic!("no expectation for fixture {other}: add one"),
    }
}

/// What `gift-wrap` answers to each bundled fixture (default config).
pub fn expected_gift_wrap(fixture_name: &str) -> Value {
    match fixture_name {
        // `line_items: [[]]` and no `gift_wrap` attribute: nothing to do.
        "initialize_checkout" | "app_hook" => json!([]),
        "order_submitted_us" => json!([
            {"type": "add_line_item_by_platform_variant", "data": {
                "platform_variant_id": 9153875214378_i64, "line_item_key": "gift-wrap:9153875214378",
                "quantity": 1, "price": 500, "properties": {}, "is_amendment": false}},
        ]),
        other => panic!("no expectation for fixture {other}: add one"),
    }
}
