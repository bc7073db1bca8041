//! The state of one sandbox (one store, one invocation): WASI with nothing
//! granted, the plugin's config, the capped log and the memory limiter.

use std::sync::Arc;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::checkout::plugin::{config, log, types};
use super::bindings::connector::checkout::plugin::{connector_types, outbound_http};
use super::log_capture::{LogLevel, LogSink, Stream};
use super::outbound::{OutboundClient, OutboundGrant};

/// The plugin's settings as the `config` import serves them.
pub type PluginConfig = Arc<[(String, String)]>;

/// Table growth a guest may ask for (elements); Rust guests use a handful.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Enforces the plugin's memory limit and remembers the peak.
#[derive(Debug)]
pub(crate) struct MemoryGuard {
    limit: usize,
    in_use: usize,
    pub(crate) peak: usize,
    pub(crate) denied: bool,
}

impl MemoryGuard {
    fn new(limit: u64) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            in_use: 0,
            peak: 0,
            denied: false,
        }
    }
}

impl ResourceLimiter for MemoryGuard {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let in_use = self.in_use - current.min(self.in_use) + desired;
        if in_use > self.limit {
            self.denied = true;
            return Ok(false);
        }
        self.in_use = in_use;
        self.peak = self.peak.max(in_use);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Everything one store holds.
pub(crate) struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) memory: MemoryGuard,
    log: LogSink,
    config: PluginConfig,
    outbound: Option<Outbound>,
}

/// A connector's outbound HTTP: the shared client, its grant, and how many
/// requests this invocation made.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub(crate) client: OutboundClient,
    pub(crate) grant: Arc<OutboundGrant>,
    made: u32,
}

impl Outbound {
    pub(crate) fn new(client: OutboundClient, grant: Arc<OutboundGrant>) -> Self {
        Self {
            client,
            grant,
            made: 0,
        }
    }
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config may hold secrets: never print it.
        f.debug_struct("Sandbox")
            .field("memory", &self.memory)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    pub(crate) fn new(
        log: LogSink,
        config: PluginConfig,
        memory_limit: u64,
        outbound: Option<Outbound>,
    ) -> Self {
        // Nothing granted: no preopened directories, no environment, no
        // arguments, no network; stdin is empty; stdout and stderr go to the
        // invocation's capped log.
        let wasi = WasiCtx::builder()
            .stdout(log.output(Stream::Stdout))
            .stderr(log.output(Stream::Stderr))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryGuard::new(memory_limit),
            log,
            config,
            outbound,
        }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for Sandbox {}

impl log::Host for Sandbox {
    fn log(&mut self, level: log::Level, message: String, fields: Vec<(String, String)>) {
        let level = match level {
            log::Level::Trace => LogLevel::Trace,
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.log.record(level, &message, &fields);
    }
}

impl config::Host for Sandbox {
    fn get(&mut self, key: String) -> Option<String> {
        self.config
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    fn all(&mut self) -> Vec<(String, String)> {
        self.config.to_vec()
    }
}

impl connector_types::Host for Sandbox {}

impl outbound_http::Host for Sandbox {
    async fn send(
        &mut self,
        request: outbound_http::Request,
    ) -> Result<outbound_http::Response, outbound_http::Error> {
        let Some(outbound) = &mut self.outbound else {
            return Err(outbound_http::Error::NotAllowed(
                "this plugin is granted no outbound HTTP".into(),
            ));
        };
        if outbound.made >= outbound.grant.max_requests {
            return Err(outbound_http::Error::TooManyRequests);
        }
        outbound.made += 1;
        let (client, grant) = (outbound.client.clone(), outbound.grant.clone());
        let method = request.method.clone();
        let started = std::time::Instant::now();
        let result = client.send(&grant, request).await;
        let outcome = match &result {
            Ok(response) => response.status.to_string(),
            Err(err) => format!("{err:?}")
                .split('(')
                .next()
                .unwrap_or("error")
                .to_owned(),
        };
        // The URL may carry personal data or tokens: log method and outcome.
        tracing::debug!(
            %method,
            %outcome,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "outbound request"
        );
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_guard_denies_growth_past_the_limit_and_tracks_peak() {
        let mut guard = MemoryGuard::new(1000);
        assert!(guard.memory_growing(0, 600, None).unwrap());
        assert!(guard.memory_growing(600, 900, None).unwrap());
        assert!(!guard.memory_growing(900, 1001, None).unwrap());
        assert!(guard.denied);
        assert_eq!(guard.peak, 900);
    }

    #[test]
    fn memory_guard_counts_every_memory_of_the_store() {
        let mut guard = MemoryGuard::new(1000);
        assert!(guard.memory_growing(0, 600, None).unwrap());
        assert!(!guard.memory_growing(0, 600, None).unwrap());
        assert!(guard.memory_growing(0, 400, None).unwrap());
        assert_eq!(guard.peak, 1000);
    }
}
