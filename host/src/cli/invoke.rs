//! `plugin-host invoke`: run one handler locally on an event file.
//!
//! stdout carries only the answer JSON; stderr carries the report (fuel,
//! memory, time and output against their limits, and the guest's log).
//! Exit status: 0 success, 1 handler fault (last stderr line
//! `error: <kind>: <reason>`), 2 bad usage or an unreadable/invalid input.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::Manifest;
use crate::dispatch::actions::policy_for;
use crate::dispatch::event_name::{self, BodyError};
use crate::dispatch::notifications::Notification;
use crate::dispatch::{ActionPolicy, Answer, CheckedPlugin};
use crate::fault::Fault;
use crate::runtime::{
    ArtifactCache, BoldCall, Call, EngineSettings, Invocation, PluginSettings, Report, Runtime,
    component_shapes,
};

/// Arguments of `plugin-host invoke`.
#[derive(Debug, Args)]
pub struct InvokeArgs {
    /// The plugin component (`.wasm` built for wasm32-wasip2).
    pub component: PathBuf,
    /// The request body: a checkout event (JSON object with an `event`
    /// field), or the override/webhook body.
    pub event: PathBuf,
    /// A config setting for the plugin (repeatable; overrides the manifest).
    #[arg(long = "config", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub config: Vec<(String, String)>,
    /// Take limits, config and scopes from this plugin manifest.
    #[arg(long, value_name = "plugin.toml")]
    pub manifest: Option<PathBuf>,
    /// Fuel limit (replaces the body-scaled default).
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Memory limit in bytes.
    #[arg(long, value_name = "BYTES")]
    pub memory: Option<u64>,
    /// Deadline in milliseconds.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Call `handle-override` with this kind instead of `handle-event`.
    #[arg(long = "override", value_name = "KIND", conflicts_with_all = ["webhook", "platform", "bold"])]
    pub override_kind: Option<String>,
    /// Call `handle-webhook` with this topic instead of `handle-event`.
    #[arg(long, value_name = "TOPIC", conflicts_with_all = ["platform", "bold"])]
    pub webhook: Option<String>,
    /// Connector: call `handle-platform-event` with this platform webhook
    /// topic; prints the notifications that would be queued.
    #[arg(long, value_name = "TOPIC", conflicts_with = "bold")]
    pub platform: Option<String>,
    /// Connector: call `handle-bold-request` as Bold would, e.g.
    /// `--bold "PUT customers/4242"` (the path below the shop); prints the
    /// status, body and notifications.
    #[arg(long, value_name = "METHOD PATH")]
    pub bold: Option<String>,
    /// Connector: the shop of `--bold` (default: the manifest's
    /// `connector.shop_identifier`, else `test-shop`).
    #[arg(long, value_name = "SHOP_IDENTIFIER", requires = "bold")]
    pub shop: Option<String>,
    /// Where compiled components are cached (default: $PLUGIN_HOST_CACHE_DIR,
    /// else $XDG_CACHE_HOME/plugin-host, else ~/.cache/plugin-host).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile without reading or writing the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

/// How `invoke` ended.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// Bad usage or an unreadable/invalid input file (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The handler faulted (exit 1).
    #[error("{0}")]
    Fault(Fault),
}

impl InvokeError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            InvokeError::Usage(_) => 2,
            InvokeError::Fault(_) => 1,
        }
    }
}

/// The default compiled-artifact cache directory.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PLUGIN_HOST_CACHE_DIR") {
        return Some(dir.into());
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(Path::new(&dir).join("plugin-host"));
    }
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache").join("plugin-host"))
}

fn usage(message: impl Into<String>) -> InvokeError {
    InvokeError::Usage(message.into())
}

/// Runs `invoke`, writing the answer to `stdout` and the report to `stderr`.
pub fn run(
    args: &InvokeArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<(), InvokeError> {
    let body = std::fs::read(&args.event)
        .map_err(|e| usage(format!("cannot read {}: {e}", args.event.display())))?;
    let body = String::from_utf8(body)
        .map_err(|_| usage(format!("{}: not UTF-8 text", args.event.display())))?;

    let manifest = match &args.manifest {
        Some(path) => Some(Manifest::from_file(path).map_err(|e| usage(e.to_string()))?),
        None => None,
    };
    let mut settings = match &manifest {
        Some(manifest) => manifest.plugin_settings(),
        None => PluginSettings {
            id: plugin_name(&args.component),
            ..PluginSettings::default()
        },
    };
    let policy = match &manifest {
        Some(manifest) => policy_for(manifest),
        None => ActionPolicy {
            output_limit: settings.limits.output_bytes,
            ..ActionPolicy::default()
        },
    };
    for (key, value) in &args.config {
        settings.config.retain(|(k, _)| k != key);
        settings.config.push((key.clone(), value.clone()));
    }
    if let Some(fuel) = args.fuel {
        settings.limits.base_fuel = fuel;
        settings.limits.fuel_per_body_byte = 0;
    }
    if let Some(memory) = args.memory {
        settings.limits.memory_bytes = memory;
    }
    if let Some(timeout) = args.timeout {
        settings.limits.timeout_ms = timeout;
    }

    let plain_event = args.override_kind.is_none()
        && args.webhook.is_none()
        && args.platform.is_none()
        && args.bold.is_none();
    let name = if plain_event {
        event_name(&body).map_err(|m| usage(format!("{}: {m}", args.event.display())))?
    } else {
        String::new()
    };
    let bold_call = match &args.bold {
        Some(spec) => {
            let shop = args
                .shop
                .clone()
                .or_else(|| {
                    manifest
                        .as_ref()
                        .and_then(|m| m.connector.as_ref())
                        .map(|c| c.shop_identifier.clone())
                })
                .unwrap_or_else(|| "test-shop".to_owned());
            Some(parse_bold_call(spec, shop, &body).map_err(usage)?)
        }
        None => None,
    };
    let call = match (
        args.override_kind.clone(),
        args.webhook.clone(),
        args.platform.clone(),
        bold_call,
    ) {
        (Some(kind), ..) => Call::Override { kind, body },
        (None, Some(topic), ..) => Call::Webhook { topic, body },
        (None, None, Some(topic), _) => Call::PlatformEvent { topic, body },
        (None, None, None, Some(call)) => Call::BoldRequest(call),
        (None, None, None, None) => Call::Event { name, body },
    };

    let cache = if args.no_cache {
        None
    } else {
        args.cache_dir
            .clone()
            .or_else(default_cache_dir)
            .map(ArtifactCache::new)
    };
    let mut engine = EngineSettings {
        max_memory_bytes: settings
            .limits
            .memory_bytes
            .max(EngineSettings::default().max_memory_bytes),
        max_concurrent_instances: 1,
        // One call: no next call to prepare a sandbox for.
        prewarm: false,
        ..EngineSettings::default()
    };
    // The pool holds one sandbox, shaped for this component.
    engine.fit(component_shapes([args.component.as_path()]));
    let runtime = Runtime::new(&engine, cache).map_err(|e| usage(e.to_string()))?;
    let plugin = runtime
        .load_file(&args.component, settings)
        .map_err(|e| usage(format!("{}: {e}", args.component.display())))?;

    let tokio = tokio::runtime::Builder::new_current_thread()
        // Timers for the deadline, I/O for a connector's outbound HTTP.
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the async runtime: {e}")))?;
    let plugin = CheckedPlugin { plugin, policy };
    let invocation = tokio.block_on(plugin.invoke(&call));
    let load = plugin.load_info();
    let _ = writeln!(
        stderr,
        "plugin:  {} ({:?} in {:.1} ms)",
        args.component.display(),
        load.cache,
        load.duration.as_secs_f64() * 1e3
    );
    report(&invocation, stderr);
    match invocation.outcome {
        Ok(answer) => {
            let _ = writeln!(stdout, "{}", answer_json(&answer));
            match answer {
                Answer::Checkout { actions, .. } => {
                    let _ = writeln!(stderr, "ok: {actions} action(s)");
                }
                Answer::Notifications(n)
                | Answer::Bold {
                    notifications: n, ..
                } => {
                    let _ = writeln!(stderr, "ok: {} notification(s)", n.len());
                }
                _ => {
                    let _ = writeln!(stderr, "ok");
                }
            }
            Ok(())
        }
        Err(fault) => {
            let _ = writeln!(stderr, "error: {fault}");
            Err(InvokeError::Fault(fault))
        }
    }
}

/// `"PUT customers/4242?x=1"` → a Bold call on `shop` with `body`.
fn parse_bold_call(spec: &str, shop: String, body: &str) -> Result<BoldCall, String> {
    let (method, target) = spec
        .trim()
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("--bold {spec:?}: expected \"METHOD PATH\""))?;
    let method = method.to_ascii_uppercase();
    if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
        return Err(format!(
            "--bold: method {method:?} is not GET, POST, PUT, PATCH or DELETE"
        ));
    }
    let target = target.trim().trim_start_matches('/');
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(BoldCall {
        method,
        shop_identifier: shop,
        path: path.to_owned(),
        query: query.to_owned(),
        body: body.to_owned(),
    })
}

/// What `invoke` prints: the answer as the caller would get it; for a
/// connector, also the notifications that would be queued.
fn answer_json(answer: &Answer) -> String {
    let notes = |n: &[Notification]| -> Vec<serde_json::Value> {
        n.iter()
            .map(|n| {
                serde_json::json!({
                    "type": n.kind.as_str(),
                    "platform_id": n.platform_id,
                    "platform_updated_at": n.updated_at,
                    n.kind.entity_name(): n.entity,
                })
            })
            .collect()
    };
    match answer {
        Answer::Notifications(n) => serde_json::json!({"notifications": notes(n)}).to_string(),
        Answer::Bold {
            status,
            body,
            notifications,
        } => {
            let body =
                serde_json::from_str::<serde_json::Value>(body).unwrap_or(serde_json::Value::Null);
            serde_json::json!({"status": status, "body": body, "notifications": notes(notifications)})
                .to_string()
        }
        other => other.body().to_owned(),
    }
}

/// The body's `event` field, read as the HTTP endpoint reads it.
pub fn event_name(body: &str) -> Result<String, BodyError> {
    event_name::require_event_field(body)
}

fn plugin_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plugin".into())
}

fn report(invocation: &Invocation<Answer>, out: &mut dyn Write) {
    let r: &Report = &invocation.report;
    let _ = writeln!(
        out,
        "fuel:    {} / {}\nmemory:  {} / {}\ntime:    {:.3} ms / {} ms \
         (instantiation {:.3} ms, call {:.3} ms)\noutput:  {} / {}",
        thousands(r.fuel_used),
        thousands(r.fuel_limit),
        bytes(r.memory_peak),
        bytes(r.memory_limit),
        r.elapsed.as_secs_f64() * 1e3,
        r.timeout.as_millis(),
        r.timings.instantiation.as_secs_f64() * 1e3,
        r.timings.execution.as_secs_f64() * 1e3,
        bytes(r.output_bytes),
        bytes(r.output_limit),
    );
    let log = &r.log;
    if log.text.is_empty() && !log.truncated() {
        let _ = writeln!(out, "log:     (empty)");
        return;
    }
    let _ = writeln!(
        out,
        "log:     {} / {}",
        bytes(log.text.len() as u64),
        bytes(r.log_limit)
    );
    for line in log.text.lines() {
        let _ = writeln!(out, "  | {line}");
    }
    if log.truncated() {
        let _ = writeln!(
            out,
            "  | … [log truncated: {} bytes dropped]",
            log.dropped_bytes
        );
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Bytes in B, KiB or MiB.
fn bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n} B")
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{:.1} MiB", f / KIB / KIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(20_600_000), "20,600,000");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(16 * 1024), "16.0 KiB");
        assert_eq!(bytes(64 * 1024 * 1024), "64.0 MiB");
    }

    #[test]
    fn reads_the_event_name() {
        assert_eq!(
            event_name(r#"{"cart": [], "event": "order_submitted"}"#),
            Ok("order_submitted".to_owned())
        );
        assert!(event_name(r#"{"cart": []}"#).is_err());
        assert!(event_name(r#"{"event": 5}"#).is_err());
        assert!(event_name("[1]").is_err());
        assert!(event_name("{").is_err());
    }

    #[test]
    fn parses_config_pairs() {
        assert_eq!(parse_key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_key_value("=x").is_err());
        assert!(parse_key_value("novalue").is_err());
    }
}
