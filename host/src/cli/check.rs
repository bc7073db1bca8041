//! `plugin-host check --config host.toml` and `plugin-host precompile
//! --config host.toml`, for operators: read the host file and every manifest
//! (secrets and tokens must be present; their values are never printed),
//! then compile or load each component and check it against its world;
//! `[tls]`'s certificate and key must load and match.
//!
//! - `check` reports one line per problem and exits 1 if there is any, so
//!   a deploy can be gated in CI; it compiles in memory and writes nothing.
//! - `precompile` does the same and keeps every compiled artifact in the
//!   cache (`<data_dir>/cache`), so a new machine's first start is warm.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use crate::config::{ConfigError, HostConfig};
use crate::runtime::{ArtifactCache, CacheOutcome, Runtime};

/// Arguments of `plugin-host check` and `plugin-host precompile`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The host file (`host.toml`).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

/// What to do with the compiled components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check only; compile in memory.
    Check,
    /// Keep the artifacts in the cache.
    Precompile,
}

/// Runs `check` or `precompile`; returns the exit status: 0 when every
/// plugin is fine, 1 when anything is not (one line per problem on stderr).
pub fn run(args: &CheckArgs, mode: Mode, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let config = match HostConfig::from_file(&args.config) {
        Ok(config) => config,
        Err(err) => {
            for line in problem_lines(&err) {
                let _ = writeln!(stderr, "error: {line}");
            }
            return 1;
        }
    };
    for warning in &config.warnings {
        let _ = writeln!(stderr, "warning: {warning}");
    }
    let tls_ok = match config.load_tls() {
        Ok(None) => true,
        Ok(Some(identity)) => {
            let _ = writeln!(
                stdout,
                "ok: tls (certificate {}, sha256 {})",
                config
                    .tls
                    .as_ref()
                    .map_or_else(String::new, |t| t.cert.display().to_string()),
                identity.fingerprint
            );
            true
        }
        Err(err) => {
            for line in problem_lines(&err) {
                let _ = writeln!(stderr, "error: {line}");
            }
            false
        }
    };
    let cache = match mode {
        Mode::Check => None,
        Mode::Precompile => Some(ArtifactCache::new(config.cache_dir())),
    };
    let mut config = config;
    config.fit_engine_to_components();
    let runtime = match Runtime::new(&config.engine, cache) {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = writeln!(stderr, "error: {err}");
            return 1;
        }
    };
    let mut problems = 0;
    for plugin in &config.plugins {
        let manifest = &plugin.manifest;
        let started = Instant::now();
        let where_ = format!("{}: plugin `{}`", manifest.path.display(), manifest.id);
        match runtime.load_file(&manifest.component, manifest.plugin_settings()) {
            Err(err) => {
                problems += 1;
                let _ = writeln!(stderr, "error: {where_}: {err}");
            }
            Ok(loaded) if loaded.is_connector() != manifest.connector.is_some() => {
                problems += 1;
                let (is, says) = if loaded.is_connector() {
                    ("a platform connector", "no [connector] table")
                } else {
                    ("a checkout plugin", "a [connector] table")
                };
                let _ = writeln!(
                    stderr,
                    "error: {where_}: the component is {is}, but the manifest has {says}"
                );
            }
            Ok(loaded) => {
                let how = match (mode, loaded.load_info().cache) {
                    (Mode::Check, _) => "compiled",
                    (Mode::Precompile, CacheOutcome::Hit) => "already in the cache",
                    (Mode::Precompile, _) => "compiled into the cache",
                };
                let _ = writeln!(
                    stdout,
                    "ok: {} ({}, {how} in {:.1} s)",
                    manifest.id,
                    if loaded.is_connector() {
                        "connector"
                    } else {
                        "checkout plugin"
                    },
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    if problems > 0 {
        let _ = writeln!(
            stderr,
            "{problems} of {} plugins have problems",
            config.plugins.len()
        );
        return 1;
    }
    if tls_ok { 0 } else { 1 }
}

/// One line per problem of a configuration error (a TOML error's excerpt
/// is folded into its line).
fn problem_lines(err: &ConfigError) -> Vec<String> {
    match err {
        ConfigError::Several(errors) => errors.iter().flat_map(problem_lines).collect(),
        other => vec![
            other
                .to_string()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
        ],
    }
}
