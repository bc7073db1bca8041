//! What the fuzz targets run, shared (by `#[path]`) with the crate's
//! `tests/fuzz_corpus.rs`, which replays the committed corpus on stable so
//! CI needs no nightly. Besides not panicking, every input is held to
//! invariants. Each function returns `None` when its input does not decode
//! (not UTF-8, or a `host_file` input that names a path outside its
//! directory).
//!
//! Input of [`event_name`]: a request body (UTF-8). `read_event_field` must
//! agree with serde_json (recursion limit off) on whether it is one JSON
//! object nested at most [`MAX_DEPTH`] deep, and on its `event` string;
//! `TooDeep` only past [`MAX_DEPTH`]; `require_event_field` is the same
//! answer with `NoEvent` for `None`.
//!
//! Input of [`manifest`]: the text of a `plugin.toml`, parsed as
//! [`MANIFEST_PATH`]. An error is `ManifestError::Invalid` whose Display
//! starts with the path; an accepted manifest keeps its documented
//! invariants (see [`check_manifest`]).
//!
//! Input of [`host_file`]: a host file and up to [`MAX_MANIFESTS`]
//! manifests, separated by lines `---`. The host file is written to
//! `<dir>/host.toml`, manifest `i` (from 1) to `<dir>/p<i>/plugin.toml` in a
//! fresh temporary directory that also holds `secret` (with
//! [`SECRET_FILE_VALUE`]) in each of those directories and an empty file
//! `empty`; so `plugins = ["p1/plugin.toml"]`, `plugin_dir = "."` and
//! `client_secret_file = "secret"` find something. Inputs with a string that
//! is absolute or holds `..` are skipped (the parser would read any file,
//! `/dev/zero` included). Environment variables named `UNSET…` are unset,
//! `EMPTY…` empty, any other is [`SECRET_ENV_VALUE`]. An error names a file
//! in the directory and never shows the environment's secret; neither a
//! warning nor the `Debug` of an accepted configuration shows a secret.
#![allow(dead_code)] // each fuzz target uses a third of this
#![allow(clippy::unwrap_used)] // an assertion failure is what a fuzz target reports

use std::path::{Path, PathBuf};

use plugin_host::config::connector::MAX_WINDOW_SECS;
use plugin_host::config::manifest::{PUBLIC_URL_KEY, is_plugin_id};
use plugin_host::config::{BoldAuth, ConfigError, HostConfig, Manifest, ManifestError};
use plugin_host::dispatch::event_name::{BodyError, read_event_field, require_event_field};
use serde::Deserialize as _;

/// The host's nesting limit for event bodies (`event_name::MAX_DEPTH`).
pub const MAX_DEPTH: usize = 128;
/// Deeper than this, serde_json (recursion limit off) is not asked: the
/// body must be refused anyway, and the reference must not overflow the
/// stack.
const REFERENCE_DEPTH: usize = 4 * MAX_DEPTH;
/// Where [`manifest`] inputs claim to come from.
pub const MANIFEST_PATH: &str = "/fuzz/plugin.toml";
/// What every set environment variable holds.
pub const SECRET_ENV_VALUE: &str = "env-secret-3b9f1c";
/// What the `secret` files hold (before their newline).
pub const SECRET_FILE_VALUE: &str = "file-secret-8d2e4a";
/// Manifests per `host_file` input.
pub const MAX_MANIFESTS: usize = 4;
/// The base URL [`manifest`] hands to `apply_host_public_url`.
const HOST_URL: &str = "https://host.example/";

/// The nesting of `text`'s arrays and objects, strings skipped as JSON
/// lexes them (exact for JSON; never below what serde_json recurses into).
pub fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Runs `read_event_field` and `require_event_field` on a body and checks
/// them against serde_json.
pub fn event_name(data: &[u8]) -> Option<Result<Option<String>, BodyError>> {
    let body = std::str::from_utf8(data).ok()?;
    let got = read_event_field(body);
    assert_eq!(read_event_field(body), got, "not deterministic");
    assert_eq!(
        require_event_field(body),
        got.clone()
            .and_then(|event| event.ok_or(BodyError::NoEvent)),
        "require_event_field"
    );
    assert_ne!(got, Err(BodyError::NoEvent));
    assert_ne!(got, Err(BodyError::NotUtf8));
    let depth = nesting(body);
    if got == Err(BodyError::TooDeep) {
        assert!(depth > MAX_DEPTH, "TooDeep at depth {depth}");
    }
    if depth > REFERENCE_DEPTH {
        assert!(got.is_err(), "accepted at depth {depth}");
        return Some(got);
    }
    let mut de = serde_json::Deserializer::from_str(body);
    de.disable_recursion_limit();
    let reference = serde_json::Value::deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match reference {
        Ok(serde_json::Value::Object(map)) if depth <= MAX_DEPTH => {
            let event = map.get("event").and_then(|e| e.as_str()).map(str::to_owned);
            assert_eq!(got, Ok(event), "serde_json reads the object");
        }
        Ok(serde_json::Value::Object(_)) => assert_eq!(got, Err(BodyError::TooDeep)),
        Ok(_) => assert!(
            matches!(got, Err(BodyError::NotAnObject | BodyError::NotJson(_))),
            "{got:?} for JSON that is not an object"
        ),
        Err(e) => assert!(got.is_err(), "accepted what serde_json refuses ({e})"),
    }
    Some(got)
}

/// Runs `Manifest::parse` on a manifest's text and checks the result.
pub fn manifest(data: &[u8]) -> Option<Result<Manifest, ManifestError>> {
    let text = std::str::from_utf8(data).ok()?;
    let path = Path::new(MANIFEST_PATH);
    let result = Manifest::parse(text, path);
    let again = Manifest::parse(text, path);
    assert_eq!(
        format!("{result:?}"),
        format!("{again:?}"),
        "not deterministic"
    );
    match &result {
        Ok(manifest) => {
            assert_eq!(manifest.path, path);
            check_manifest(manifest);
            let mut applied = manifest.clone();
            applied.apply_host_public_url(HOST_URL);
            let config = applied.config.clone();
            applied.apply_host_public_url(HOST_URL);
            assert_eq!(applied.config, config, "apply_host_public_url twice");
            check_config(&applied);
            let url = config_value(&applied, PUBLIC_URL_KEY).unwrap();
            match &manifest.public_url {
                Some(own) => assert_eq!(url, own.as_str()),
                None => assert_eq!(url, format!("https://host.example/plugins/{}", manifest.id)),
            }
            // Secrets from the environment only: a file could be anything.
            if manifest.client_secret_file.is_none() {
                let env = |name: &str| fake_env(name);
                match manifest.resolve_secrets(&env) {
                    Ok(secrets) => {
                        assert!(matches!(secrets.len(), 1 | 2));
                        assert!(secrets.iter().all(|s| s.expose() == SECRET_ENV_VALUE));
                    }
                    Err(e) => check_manifest_error(&e, path),
                }
            }
            if let Some(connector) = &manifest.connector
                && connector.secret_files().is_empty()
            {
                let env = |name: &str| fake_env(name);
                match connector.resolve_secrets(path, &env) {
                    Ok(secrets) => {
                        assert_eq!(secrets.bold_token.expose(), SECRET_ENV_VALUE);
                        assert_eq!(secrets.webhook.is_some(), connector.webhook.is_some());
                        let x_hmac = connector.bold_auth.x_hmac();
                        assert_eq!(secrets.bold_hmac.is_some(), x_hmac.is_some());
                        if let (Some(verifier), Some(x)) = (&secrets.bold_hmac, x_hmac) {
                            assert_eq!(verifier.window(), x.window);
                            assert!(matches!(verifier.secret_count(), 1 | 2));
                        }
                        let debug = format!("{secrets:?}");
                        assert!(!debug.contains(SECRET_ENV_VALUE), "{debug}");
                    }
                    Err(e) => check_manifest_error(&e, path),
                }
            }
        }
        Err(e) => {
            assert!(matches!(e, ManifestError::Invalid { .. }), "{e:?}");
            check_manifest_error(e, path);
        }
    }
    Some(result)
}

/// `UNSET…`: unset; `EMPTY…`: empty; anything else: [`SECRET_ENV_VALUE`].
/// 32 bytes of 0x01, base64: what a `…STATE_KEY` variable holds.
pub const FAKE_STATE_KEY: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

/// The environment the harness resolves secrets from: `UNSET…` variables
/// are unset, `EMPTY…` ones empty, `…STATE_KEY` ones a key, any other a
/// fixed secret.
pub fn fake_env(name: &str) -> Option<String> {
    if name.starts_with("UNSET") {
        None
    } else if name.starts_with("EMPTY") {
        Some(String::new())
    } else if name.ends_with("STATE_KEY") {
        // `[state] key_env` must name a 32-byte key.
        Some(FAKE_STATE_KEY.to_owned())
    } else {
        Some(SECRET_ENV_VALUE.to_owned())
    }
}

fn check_manifest_error(error: &ManifestError, path: &Path) {
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!("{}: ", path.display()))
            || shown.starts_with(&format!("cannot read {}: ", path.display())),
        "{shown}"
    );
    assert!(!shown.contains(SECRET_ENV_VALUE), "{shown}");
}

fn config_value<'a>(manifest: &'a Manifest, key: &str) -> Option<&'a str> {
    manifest
        .config
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Config keys sorted, each once.
fn check_config(manifest: &Manifest) {
    for pair in manifest.config.windows(2) {
        assert!(pair[0].0 < pair[1].0, "config keys: {:?}", manifest.config);
    }
}

/// What an accepted manifest promises.
pub fn check_manifest(manifest: &Manifest) {
    assert!(is_plugin_id(&manifest.id), "{:?}", manifest.id);
    assert!(
        manifest.client_secret_env.is_none() || manifest.client_secret_file.is_none(),
        "both secret sources"
    );
    for names in [&manifest.events, &manifest.scopes].into_iter().flatten() {
        assert!(names.iter().all(|n| !n.trim().is_empty()), "{names:?}");
    }
    assert!(manifest.max_concurrency >= 1);
    let limits = &manifest.limits;
    for (name, value) in [
        ("timeout_ms", limits.timeout_ms),
        ("memory_bytes", limits.memory_bytes),
        ("output_bytes", limits.output_bytes),
        ("body_bytes", limits.body_bytes),
    ] {
        assert!(value > 0, "limits.{name} is 0");
    }
    let algorithms = &manifest.signature.algorithms;
    assert!(!algorithms.is_empty());
    for (i, algorithm) in algorithms.iter().enumerate() {
        assert!(!algorithms[..i].contains(algorithm), "{algorithms:?}");
    }
    assert!(!manifest.signature.max_skew.is_zero());
    check_config(manifest);
    assert_eq!(
        manifest.public_url.as_deref(),
        config_value(manifest, PUBLIC_URL_KEY),
        "public_url and config.public_url"
    );
    if let Some(connector) = &manifest.connector {
        let shop = &connector.shop_identifier;
        assert!(!shop.is_empty() && shop.len() <= 128, "{shop:?}");
        assert!(
            connector.bold_token_env.is_some() != connector.bold_token_file.is_some(),
            "bold token sources"
        );
        assert!(!connector.max_future.is_zero());
        match &connector.bold_auth {
            BoldAuth::XHmac(x) => {
                assert!(
                    x.secret_env.is_some() != x.secret_file.is_some(),
                    "X-HMAC secret sources"
                );
                assert!(!x.window.is_zero() && x.window.as_secs() <= MAX_WINDOW_SECS);
                let path = &x.verify_path;
                assert!(!path.is_empty() && !path.starts_with('/') && !path.ends_with('/'));
                assert!(
                    path.split('/')
                        .all(|s| !s.is_empty() && s != "." && s != "..")
                );
                let first = path.split('/').next().unwrap_or_default();
                assert!(!["events", "overrides", "webhooks", "platform", "oauth"].contains(&first));
                assert!(first != "bold" || path.split('/').count() <= 2, "{path}");
            }
            BoldAuth::Cavage { .. } => {}
        }
        if let Some(webhook) = &connector.webhook {
            assert_eq!(webhook.header, webhook.header.to_ascii_lowercase());
            assert!(http::HeaderName::from_bytes(webhook.header.as_bytes()).is_ok());
            assert!(webhook.topics.as_ref().is_none_or(|t| !t.is_empty()));
            assert!(webhook.secret_env.is_some() != webhook.secret_file.is_some());
            for topic in webhook.topics.iter().flatten() {
                assert!(webhook.accepts(topic));
                assert_eq!(webhook.label(topic), topic);
            }
        }
    }
    let _ = manifest.warnings();
    let files = manifest.watched_files();
    assert_eq!(files.first(), Some(&manifest.path));
    let _ = manifest.plugin_settings();
}

/// The parts of a `host_file` input: the host file, then the manifests.
pub fn split_parts(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    loop {
        let at = if rest.starts_with("---\n") {
            Some(0)
        } else {
            rest.find("\n---\n").map(|i| i + 1)
        };
        match at {
            Some(at) if parts.len() < MAX_MANIFESTS => {
                parts.push(&rest[..at]);
                rest = &rest[at + 4..];
            }
            _ => {
                parts.push(rest);
                return parts;
            }
        }
    }
}

/// Whether a part names only paths inside the directory (text that is not
/// TOML names nothing: it fails to parse before any path is used).
fn stays_inside(part: &str) -> bool {
    fn strings_ok(value: &toml::Value) -> bool {
        match value {
            toml::Value::String(s) => {
                !s.starts_with('/') && !s.starts_with('\\') && !s.contains("..")
            }
            toml::Value::Array(list) => list.iter().all(strings_ok),
            toml::Value::Table(table) => table.values().all(strings_ok),
            _ => true,
        }
    }
    match toml::from_str::<toml::Table>(part) {
        Ok(table) => table.values().all(strings_ok),
        Err(_) => true,
    }
}

/// Writes the files of a `host_file` input into `dir`; the host file's path.
pub fn write_host_files(dir: &Path, parts: &[&str]) -> PathBuf {
    let write = |path: PathBuf, text: &str| {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    };
    let private = |path: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = path;
    };
    let host = write(dir.join("host.toml"), parts[0]);
    private(&write(
        dir.join("secret"),
        &format!("{SECRET_FILE_VALUE}\n"),
    ));
    private(&write(dir.join("empty"), ""));
    for (i, part) in parts.iter().enumerate().skip(1) {
        let manifest_dir = dir.join(format!("p{i}"));
        write(manifest_dir.join("plugin.toml"), part);
        private(&write(
            manifest_dir.join("secret"),
            &format!("{SECRET_FILE_VALUE}\n"),
        ));
    }
    host
}

/// Runs `HostConfig::from_file_with_env` on a host file and its manifests
/// and checks the result (the `Result`'s Display or the plugin ids: the
/// temporary directory is gone when this returns).
pub fn host_file(data: &[u8]) -> Option<Result<Vec<String>, String>> {
    let text = std::str::from_utf8(data).ok()?;
    let parts = split_parts(text);
    if !parts.iter().all(|part| stays_inside(part)) {
        return None;
    }
    let dir = tempfile::Builder::new()
        .prefix("host-file-fuzz")
        .tempdir()
        .unwrap();
    let path = write_host_files(dir.path(), &parts);
    let env = |name: &str| fake_env(name);
    let result = HostConfig::from_file_with_env(&path, &env);
    let secrets_in_input = text.contains(SECRET_ENV_VALUE) || text.contains(SECRET_FILE_VALUE);
    let no_secret = |shown: &str| {
        assert!(
            secrets_in_input
                || !(shown.contains(SECRET_ENV_VALUE) || shown.contains(SECRET_FILE_VALUE)),
            "a secret is shown: {shown}"
        )
    };
    let outcome = match result {
        Ok(mut config) => {
            assert_eq!(config.path, path);
            assert!(!config.public_url.ends_with('/'), "{}", config.public_url);
            assert!(config.sandbox_threads >= 1);
            no_secret(&format!("{config:?}"));
            for warning in &config.warnings {
                no_secret(warning);
            }
            let mut ids = Vec::new();
            for plugin in &config.plugins {
                let manifest = &plugin.manifest;
                assert!(manifest.path.starts_with(dir.path()), "{manifest:?}");
                assert!(!ids.contains(&manifest.id), "{} twice", manifest.id);
                ids.push(manifest.id.clone());
                check_manifest_in_host(manifest);
                assert!(manifest.limits.memory_bytes <= config.engine.max_memory_bytes);
                assert!(matches!(plugin.secrets.len(), 1 | 2));
                for secret in &plugin.secrets {
                    // A secret file may be any file of the directory.
                    assert!(!secret.expose().is_empty());
                    if manifest.client_secret_env.is_some() {
                        assert_eq!(secret.expose(), SECRET_ENV_VALUE, "{}", manifest.id);
                    }
                }
                assert_eq!(
                    plugin.connector_secrets.is_some(),
                    manifest.connector.is_some()
                );
                assert!(config.plugin(&manifest.id).is_some());
                let _ = config.plugin_public_url(&manifest.id);
            }
            assert_eq!(config.manifest_paths().unwrap().len(), ids.len());
            let _ = config.cache_dir();
            config.set_listen("127.0.0.1:0".parse().unwrap());
            for plugin in &config.plugins {
                check_config(&plugin.manifest);
            }
            Ok(ids)
        }
        Err(error) => {
            // Only the environment's secret: a secret file named as a
            // manifest is quoted by the TOML error, as any manifest is.
            let shown = error.to_string();
            let debug = format!("{error:?}");
            for text in [&shown, &debug] {
                assert!(
                    secrets_in_input || !text.contains(SECRET_ENV_VALUE),
                    "a secret is shown: {text}"
                );
            }
            let dir_shown = dir.path().display().to_string();
            assert!(shown.contains(&dir_shown), "names no file: {shown}");
            if let ConfigError::Several(errors) = &error {
                assert!(errors.len() >= 2);
            }
            Err(shown)
        }
    };
    Some(outcome)
}

/// [`check_manifest`], for a manifest the host file read (its public URL is
/// in its config).
fn check_manifest_in_host(manifest: &Manifest) {
    let mut own = manifest.clone();
    if own.public_url.is_none() {
        own.config.retain(|(k, _)| k != PUBLIC_URL_KEY);
    }
    check_manifest(&own);
    assert!(config_value(manifest, PUBLIC_URL_KEY).is_some());
}
