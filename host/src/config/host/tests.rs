//! Tests of the host file's parsing: every key, its default and its errors.
//!
//! Why one file: one test per key and error of the host file, against one
//! parser.

use std::time::Duration;

use super::*;
use crate::config::manifest::{DEFAULT_MAX_CONCURRENCY, DEFAULT_QUEUE, OnError, SignaturePolicy};
use crate::runtime::Limits;

fn env(name: &str) -> Option<String> {
    match name {
        "A_SECRET" => Some("a-value".into()),
        "B_SECRET" => Some("b-value".into()),
        "OLD_SECRET" => Some("old-value".into()),
        // 32 bytes of 0x01, base64; and a value that is no key.
        "STATE_KEY" => Some("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".into()),
        "SHORT_KEY" => Some("c2hvcnQ=".into()),
        "CLIENT_ID" => Some("client-from-env".into()),
        _ => None,
    }
}

/// A temporary directory holding a host file and manifests.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn plugin(&self, dir: &str, id: &str, extra: &str) -> PathBuf {
        self.write(
            &format!("{dir}/plugin.toml"),
            &format!(
                "id = \"{id}\"\ncomponent = \"{id}.wasm\"\nclient_secret_env = \"A_SECRET\"\n\
                 scopes = []\n{extra}"
            ),
        )
    }

    fn host(&self, text: &str) -> Result<HostConfig, ConfigError> {
        let path = self.write("host.toml", text);
        HostConfig::from_file_with_env(&path, &env)
    }

    fn host_err(&self, text: &str) -> String {
        self.host(text).unwrap_err().to_string()
    }
}

#[test]
fn an_empty_host_file_takes_the_defaults() {
    let setup = Setup::new();
    let config = setup.host("").unwrap();
    assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.public_url, "http://127.0.0.1:8080");
    assert_eq!(config.admin_listen, None);
    assert_eq!(config.data_dir, setup.dir.path().join("plugin-host-data"));
    assert_eq!(
        config.cache_dir(),
        setup.dir.path().join("plugin-host-data/cache")
    );
    assert!(config.sandbox_threads >= 1);
    assert!(config.watch);
    assert_eq!(config.log.format, LogFormat::Human);
    assert_eq!(config.defaults, ManifestDefaults::default());
    assert_eq!(
        config.engine.max_memory_bytes,
        EngineSettings::default().max_memory_bytes
    );
    assert!(config.plugins.is_empty());
    assert!(
        config.warnings.iter().any(|w| w.contains("no plugins")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn a_full_host_file_is_read() {
    let setup = Setup::new();
    setup.plugin("a", "a", "");
    let config = setup
        .host(
            r#"
listen = "0.0.0.0:9000"
public_url = "https://plugins.example.com/"
admin_listen = "127.0.0.1:9090"
data_dir = "data"
cache_dir = "shared-cache"
plugins = ["a/plugin.toml"]
sandbox_threads = 3
watch = false
[log]
format = "json"
[defaults]
limits = { timeout_ms = 40 }
on_error = "fail"
max_concurrency = 2
queue = 5
signature = { require_digest = true }
[engine]
max_memory_bytes = 134217728
max_concurrent_instances = 16
memory_keep_resident = 0
max_wasm_stack = 262144
prewarm = true
pagemap_scan = true
"#,
        )
        .unwrap();
    assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(config.public_url, "https://plugins.example.com");
    assert_eq!(config.admin_listen, Some("127.0.0.1:9090".parse().unwrap()));
    assert_eq!(config.data_dir, setup.dir.path().join("data"));
    assert_eq!(config.cache_dir(), setup.dir.path().join("shared-cache"));
    assert_eq!(config.sandbox_threads, 3);
    assert!(!config.watch);
    assert_eq!(config.log.format, LogFormat::Json);
    assert_eq!(config.engine.max_memory_bytes, 128 << 20);
    assert_eq!(config.engine.max_concurrent_instances, 16);
    assert_eq!(config.engine.memory_keep_resident, Some(0));
    assert_eq!(config.engine.max_wasm_stack, 256 << 10);
    assert!(config.engine.prewarm && config.engine.pagemap_scan == Some(true));

    let a = &config.plugin("a").unwrap().manifest;
    assert_eq!(a.limits.timeout_ms, 40);
    assert_eq!(a.limits.memory_bytes, Limits::default().memory_bytes);
    assert_eq!(a.on_error, OnError::Fail);
    assert_eq!((a.max_concurrency, a.queue), (2, 5));
    assert!(a.signature.require_digest);
    assert_eq!(a.signature.max_skew, Duration::from_secs(300));
    assert_eq!(
        a.config,
        vec![(
            "public_url".into(),
            "https://plugins.example.com/plugins/a".into()
        )]
    );
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn manifests_override_defaults_key_by_key() {
    let setup = Setup::new();
    setup.plugin(
        "a",
        "a",
        "queue = 1\n[limits]\nmemory_bytes = 1048576\n[signature]\nmax_skew_secs = 5\n",
    );
    let config = setup
        .host(
            "plugins = [\"a/plugin.toml\"]\n[defaults]\nqueue = 7\nmax_concurrency = 3\n\
             [defaults.limits]\ntimeout_ms = 40\n[defaults.signature]\nreplay_protection = true\n",
        )
        .unwrap();
    let a = &config.plugins[0].manifest;
    assert_eq!(a.limits.timeout_ms, 40, "from [defaults]");
    assert_eq!(a.limits.memory_bytes, 1 << 20, "from the manifest");
    assert_eq!(a.limits.base_fuel, Limits::default().base_fuel, "built in");
    assert_eq!((a.max_concurrency, a.queue), (3, 1));
    assert!(a.signature.replay_protection);
    assert_eq!(a.signature.max_skew, Duration::from_secs(5));
    assert_eq!(
        a.signature.algorithms,
        SignaturePolicy::default().algorithms
    );
}

#[test]
fn unknown_keys_at_every_level_name_the_file_and_field() {
    let setup = Setup::new();
    let host_path = setup.dir.path().join("host.toml").display().to_string();
    for (text, field) in [
        ("surprise = 1", "surprise"),
        ("[log]\nlevel = \"info\"", "level"),
        ("[defaults]\ntimeout_ms = 5", "timeout_ms"),
        ("[defaults.limits]\ntimeout = 5", "timeout"),
        ("[defaults.signature]\nskew = 5", "skew"),
        ("[engine]\nfuel = true", "fuel"),
    ] {
        let err = setup.host_err(text);
        assert!(err.contains(&host_path), "{text}: {err}");
        assert!(err.contains(&format!("`{field}`")), "{text}: {err}");
    }

    let manifest = setup.plugin("a", "a", "[limits]\ntimeout = 5\n");
    let err = setup.host_err("plugins = [\"a/plugin.toml\"]");
    assert!(err.contains(&manifest.display().to_string()), "{err}");
    assert!(err.contains("unknown field `timeout`"), "{err}");
}

#[test]
fn bad_host_values_name_the_field() {
    let setup = Setup::new();
    for (text, expected) in [
        ("listen = \"localhost\"", "listen"),
        ("public_url = \"localhost:8080\"", "public_url"),
        ("sandbox_threads = 0", "sandbox_threads"),
        ("[log]\nformat = \"xml\"", "xml"),
        (
            "[defaults.limits]\ntimeout_ms = 0",
            "defaults.limits.timeout_ms",
        ),
        (
            "[defaults]\nmax_concurrency = 0",
            "defaults.max_concurrency",
        ),
        (
            "[defaults.signature]\nalgorithms = [\"hmac-md5\"]",
            "hmac-md5",
        ),
        (
            "[engine]\nmax_concurrent_instances = 0",
            "engine.max_concurrent_instances",
        ),
        ("plugin_dir = \"missing\"", "plugin_dir"),
        ("plugins = [\"nowhere/plugin.toml\"]", "nowhere/plugin.toml"),
    ] {
        let err = setup.host_err(text);
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn duplicate_ids_name_both_files() {
    let setup = Setup::new();
    let first = setup.plugin("one", "same", "");
    let second = setup.plugin("two", "same", "");
    let err = setup.host("plugins = [\"one/plugin.toml\", \"two/plugin.toml\"]");
    match err {
        Err(ConfigError::DuplicateId {
            id,
            first: f,
            second: s,
        }) => {
            assert_eq!(id, "same");
            assert_eq!((f, s), (first.clone(), second.clone()));
        }
        other => panic!("{other:?}"),
    }
    let message = setup.host_err("plugins = [\"one/plugin.toml\", \"two/plugin.toml\"]");
    assert!(message.contains(&first.display().to_string()), "{message}");
    assert!(message.contains(&second.display().to_string()), "{message}");
}

#[test]
fn every_manifest_error_is_reported_at_once() {
    let setup = Setup::new();
    setup.plugin("a", "a", "surprise = 1\n");
    setup.write(
        "b/plugin.toml",
        "id = \"b\"\ncomponent = \"b.wasm\"\nclient_secret_env = \"MISSING_SECRET\"\n",
    );
    setup.write("c/plugin.toml", "id = \"c\"\ncomponent = \"c.wasm\"\n");
    setup.plugin("d", "d", "[limits]\nmemory_bytes = 2147483648\n");
    let err = setup.host_err("plugin_dir = \".\"");
    assert!(err.starts_with("4 configuration errors"), "{err}");
    assert!(err.contains("surprise"), "{err}");
    assert!(
        err.contains("client_secret_env") && err.contains("MISSING_SECRET"),
        "{err}"
    );
    assert!(err.contains("no client secret"), "{err}");
    assert!(err.contains("engine.max_memory_bytes"), "{err}");
}

#[test]
fn secrets_are_resolved_at_start_up() {
    let setup = Setup::new();
    setup.plugin("a", "a", "");
    setup.write(
        "b/plugin.toml",
        "id = \"b\"\ncomponent = \"b.wasm\"\nclient_secret_env = [\"B_SECRET\", \"OLD_SECRET\"]\n",
    );
    setup.write("c/secret", "c-value\n");
    setup.write(
        "c/plugin.toml",
        "id = \"c\"\ncomponent = \"c.wasm\"\nclient_secret_file = \"secret\"\n",
    );
    let config = setup.host("plugin_dir = \".\"").unwrap();
    let values = |id: &str| -> Vec<String> {
        config
            .plugin(id)
            .unwrap()
            .secrets
            .iter()
            .map(|s| s.expose().to_owned())
            .collect()
    };
    assert_eq!(values("a"), vec!["a-value"]);
    assert_eq!(values("b"), vec!["b-value", "old-value"]);
    assert_eq!(values("c"), vec!["c-value"]);
    let debug = format!("{config:?}");
    assert!(!debug.contains("a-value") && !debug.contains("c-value"));
    // b and c set no scopes: one warning each.
    assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
    assert!(config.warnings.iter().all(|w| w.contains("scopes")));
}

#[test]
fn plugin_dir_is_scanned_in_order_without_repeats() {
    let setup = Setup::new();
    setup.plugin("plugins.d/zeta", "zeta", "");
    setup.plugin("plugins.d/alpha", "alpha", "");
    setup.write("plugins.d/not-a-plugin/readme.txt", "nothing here");
    setup.write("plugins.d/stray.toml", "not a manifest");
    setup.plugin("explicit", "explicit", "");
    let config = setup
        .host(
            "plugins = [\"explicit/plugin.toml\", \"plugins.d/zeta/plugin.toml\"]\n\
             plugin_dir = \"plugins.d\"\n",
        )
        .unwrap();
    let ids: Vec<&str> = config
        .plugins
        .iter()
        .map(|p| p.manifest.id.as_str())
        .collect();
    assert_eq!(ids, vec!["explicit", "zeta", "alpha"]);
    assert_eq!(config.plugin_dir, Some(setup.dir.path().join("plugins.d")));
}

#[test]
fn public_url_precedence() {
    let setup = Setup::new();
    setup.plugin("a", "a", "");
    setup.plugin("b", "b", "public_url = \"https://b.example/hook\"\n");
    setup.plugin("c", "c", "[config]\npublic_url = \"https://c.example\"\n");
    let url = |config: &HostConfig, id: &str| {
        config
            .plugin(id)
            .unwrap()
            .manifest
            .config
            .iter()
            .find(|(k, _)| k == "public_url")
            .map(|(_, v)| v.clone())
            .unwrap()
    };

    let mut config = setup
        .host("listen = \"127.0.0.1:8081\"\nplugin_dir = \".\"")
        .unwrap();
    assert_eq!(config.public_url, "http://127.0.0.1:8081");
    assert_eq!(url(&config, "a"), "http://127.0.0.1:8081/plugins/a");
    assert_eq!(url(&config, "b"), "https://b.example/hook");
    assert_eq!(url(&config, "c"), "https://c.example");
    // `serve --listen` (or the port actually bound) moves the default.
    config.set_listen("127.0.0.1:4321".parse().unwrap());
    assert_eq!(url(&config, "a"), "http://127.0.0.1:4321/plugins/a");
    assert_eq!(url(&config, "b"), "https://b.example/hook");

    let mut config = setup
        .host("public_url = \"https://host.example\"\nplugin_dir = \".\"")
        .unwrap();
    assert_eq!(url(&config, "a"), "https://host.example/plugins/a");
    config.set_listen("127.0.0.1:4321".parse().unwrap());
    assert_eq!(config.listen, "127.0.0.1:4321".parse().unwrap());
    assert_eq!(url(&config, "a"), "https://host.example/plugins/a");
    assert_eq!(
        config.plugin_public_url("x"),
        "https://host.example/plugins/x"
    );
}

#[test]
fn reload_uses_the_same_defaults_and_checks_ids() {
    let setup = Setup::new();
    let a = setup.plugin("a", "a", "");
    let b = setup.plugin("b", "b", "");
    let config = setup
        .host("plugin_dir = \".\"\n[defaults]\nlimits = { timeout_ms = 42 }\n")
        .unwrap();

    setup.plugin("a", "a", "[config]\nstock = 3\n");
    let reloaded = config.reload_manifest_with_env(&a, &env).unwrap();
    assert_eq!(reloaded.manifest.limits.timeout_ms, 42);
    assert_eq!(reloaded.secrets[0].expose(), "a-value");
    assert_eq!(
        reloaded.manifest.config,
        vec![
            (
                "public_url".into(),
                "http://127.0.0.1:8080/plugins/a".into()
            ),
            ("stock".into(), "3".into())
        ]
    );

    setup.plugin("b", "a", "");
    let err = config.reload_manifest_with_env(&b, &env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::DuplicateId { id, .. } if id == "a"),
        "{err}"
    );

    setup.plugin("a", "a", "surprise = 1\n");
    let err = config.reload_manifest_with_env(&a, &env).unwrap_err();
    assert!(err.to_string().contains("surprise"), "{err}");
}

#[test]
fn max_concurrency_above_the_engine_pool_warns() {
    let setup = Setup::new();
    setup.plugin("a", "a", "max_concurrency = 10\n");
    let config = setup
        .host("plugin_dir = \".\"\n[engine]\nmax_concurrent_instances = 4\n")
        .unwrap();
    assert!(
        config
            .warnings
            .iter()
            .any(|w| w.contains("max_concurrent_instances")),
        "{:?}",
        config.warnings
    );
}

#[test]
fn relative_paths_lose_dot_components() {
    assert_eq!(resolve(Path::new(""), Path::new(".")), Path::new("."));
    assert_eq!(resolve(Path::new(""), Path::new("./a/b")), Path::new("a/b"));
    assert_eq!(
        resolve(Path::new("/x"), Path::new("../y")),
        Path::new("/x/../y")
    );
}

#[test]
fn the_example_host_file_serves_the_example_plugins() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let env = |name: &str| match name {
        "EXAMPLE_CHECKOUT_SECRET" => Some("example-dev-secret".to_owned()),
        "GIFT_WRAP_SECRET" => Some("gift-dev-secret".to_owned()),
        "PLATFORM_SYNC_SECRET" => Some("sync-dev-secret".to_owned()),
        "PLATFORM_SYNC_BOLD_TOKEN" => Some("sync-dev-token".to_owned()),
        "PLATFORM_SYNC_WEBHOOK_SECRET" => Some("sync-dev-webhook".to_owned()),
        "PLUGIN_HOST_STATE_KEY" => Some("ZGV2LW9ubHktc3RhdGUta2V5LWRvLW5vdC11c2UhISE=".to_owned()),
        "LOYALTY_POINTS_SECRET" => Some("loyalty-dev-secret".to_owned()),
        "PLATFORM_SYNC_BOLD_HMAC_SECRET" => Some("sync-dev-bold-hmac".to_owned()),
        _ => None,
    };
    let config = HostConfig::from_file_with_env(&examples.join("host.toml"), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    // The quick start shows the install flow: example-checkout has [oauth].
    assert_eq!(config.state_keys.len(), 1);
    assert_eq!(
        config
            .plugin("example-checkout")
            .unwrap()
            .oauth_client_id
            .as_deref(),
        Some("dev-example-client-id")
    );
    assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
    assert!(config.data_dir.starts_with(examples.join("../target")));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);

    let ids: Vec<&str> = config
        .plugins
        .iter()
        .map(|p| p.manifest.id.as_str())
        .collect();
    assert_eq!(
        ids,
        vec![
            "example-checkout",
            "gift-wrap",
            "platform-sync",
            "loyalty-points"
        ]
    );
    let loyalty = &config.plugin("loyalty-points").unwrap().manifest;
    assert!(loyalty.require_install);
    assert!(
        loyalty
            .outbound
            .as_ref()
            .unwrap()
            .allowed_hosts
            .contains("loyalty.example.com")
    );
    let sync = config.plugin("platform-sync").unwrap();
    let connector = sync.manifest.connector.as_ref().expect("[connector]");
    assert_eq!(connector.shop_identifier, "example-shop");
    assert_eq!(
        sync.manifest.limits.timeout_ms, 10_000,
        "a connector's deadline"
    );
    let secrets = sync.connector_secrets.as_ref().expect("resolved");
    assert_eq!(secrets.bold_token.expose(), "sync-dev-token");
    assert!(secrets.webhook.is_some());
    assert_eq!(connector.bold_auth.as_str(), "x-hmac", "the default");
    let x_hmac = connector.bold_auth.x_hmac().expect("X-HMAC settings");
    assert_eq!(x_hmac.verify_path, "bold/verify");
    assert_eq!(x_hmac.window, std::time::Duration::from_secs(300));
    let bold_hmac = secrets.bold_hmac.as_ref().expect("the X-HMAC verifier");
    assert_eq!(bold_hmac.secret_count(), 1);
    for (id, wasm, secret) in [
        (
            "example-checkout",
            "example_checkout.wasm",
            "example-dev-secret",
        ),
        ("gift-wrap", "gift_wrap.wasm", "gift-dev-secret"),
    ] {
        let plugin = config.plugin(id).unwrap();
        assert!(
            plugin
                .manifest
                .component
                .ends_with(Path::new("target/wasm32-wasip2/release").join(wasm)),
            "{}",
            plugin.manifest.component.display()
        );
        assert_eq!(plugin.secrets.len(), 1);
        assert_eq!(plugin.secrets[0].expose(), secret);
        assert!(
            plugin.manifest.config.contains(&(
                "public_url".to_owned(),
                format!("http://127.0.0.1:8080/plugins/{id}")
            )),
            "{:?}",
            plugin.manifest.config
        );
        assert_eq!(plugin.manifest.max_concurrency, DEFAULT_MAX_CONCURRENCY);
        assert_eq!(plugin.manifest.queue, DEFAULT_QUEUE);
    }

    let err = HostConfig::from_file_with_env(&examples.join("host.toml"), &|_| None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("EXAMPLE_CHECKOUT_SECRET") && err.contains("GIFT_WRAP_SECRET"),
        "{err}"
    );
}

#[test]
fn the_install_flow_settings_are_read_with_their_defaults() {
    let setup = Setup::new();
    setup.plugin("a", "a", "[oauth]\nclient_id = \"client-a\"\n");
    setup.plugin("b", "b", "[oauth]\nclient_id_env = \"CLIENT_ID\"\n");
    setup.plugin("c", "c", "");
    let config = setup
        .host(
            "plugins = [\"a/plugin.toml\", \"b/plugin.toml\", \"c/plugin.toml\"]\n\
             [state]\nkey_env = \"STATE_KEY\"\n",
        )
        .unwrap();
    assert_eq!(config.bold_checkout, BoldCheckoutSettings::default());
    assert_eq!(
        config.bold_checkout.base_url,
        "https://cashier.boldcommerce.com"
    );
    assert_eq!(config.state_keys.len(), 1);
    let ids: Vec<_> = config
        .plugins
        .iter()
        .map(|p| p.oauth_client_id.clone())
        .collect();
    assert_eq!(
        ids,
        [
            Some("client-a".to_owned()),
            Some("client-from-env".to_owned()),
            None
        ]
    );

    let config = setup
        .host(
            "[bold_checkout]\nbase_url = \"http://127.0.0.1:9/\"\nrequest_timeout_ms = 250\n\
             token_header = \"x-bold-checkout-access-token\"\n",
        )
        .unwrap();
    assert_eq!(config.bold_checkout.base_url, "http://127.0.0.1:9");
    assert_eq!(
        config.bold_checkout.request_timeout,
        Duration::from_millis(250)
    );
    assert_eq!(
        config.bold_checkout.token_header,
        crate::config::TokenHeader::XBoldCheckoutAccessToken
    );
}

#[test]
fn install_flow_errors_name_the_field_and_never_the_key() {
    let setup = Setup::new();
    setup.plugin("a", "a", "[oauth]\nclient_id = \"client-a\"\n");
    // [oauth] without a key: start-up stops, saying what to add.
    let err = setup.host("plugins = [\"a/plugin.toml\"]\n");
    let err = err.unwrap_err().to_string();
    assert!(err.contains("plugin `a` has `[oauth]`"), "{err}");
    assert!(err.contains("[state] key_env"), "{err}");
    // A key that is not 32 bytes; an unset variable.
    let err = setup.host_err("[state]\nkey_env = \"SHORT_KEY\"\n");
    assert!(
        err.contains("state.key_env") && err.contains("32 bytes"),
        "{err}"
    );
    assert!(!err.contains("c2hvcnQ"), "{err}");
    let err = setup.host_err("[state]\nkey_env = \"UNSET_KEY\"\n");
    assert!(err.contains("UNSET_KEY is not set"), "{err}");
    // A rotation: both keys checked.
    let err = setup.host_err("[state]\nkey_env = [\"STATE_KEY\", \"SHORT_KEY\"]\n");
    assert!(err.contains("key 2"), "{err}");
    // [bold_checkout] and [oauth] values.
    for (text, field) in [
        (
            "[bold_checkout]\nbase_url = \"ftp://x\"\n",
            "bold_checkout.base_url",
        ),
        (
            "[bold_checkout]\nrequest_timeout_ms = 0\n",
            "bold_checkout.request_timeout_ms",
        ),
        (
            "[bold_checkout]\ntoken_header = \"cookie\"\n",
            "token_header",
        ),
        ("[bold_checkout]\nbase = \"x\"\n", "base"),
    ] {
        let err = setup.host_err(text);
        assert!(err.contains(field), "{text}: {err}");
    }
    for (oauth, expected) in [
        ("[oauth]\n", "set `client_id`"),
        ("[oauth]\nclient_id = \"has space\"\n", "oauth.client_id"),
        (
            "[oauth]\nclient_id = \"a\"\nclient_id_env = \"CLIENT_ID\"\n",
            "set only one",
        ),
        (
            "[oauth]\nclient_id_env = \"NO_SUCH\"\n",
            "NO_SUCH is not set",
        ),
        ("[oauth]\nclient_id = \"a\"\nscope = \"x\"\n", "scope"),
    ] {
        setup.plugin("d", "d", oauth);
        let err =
            setup.host_err("plugins = [\"d/plugin.toml\"]\n[state]\nkey_env = \"STATE_KEY\"\n");
        assert!(err.contains(expected), "{oauth}: {err}");
    }
}
