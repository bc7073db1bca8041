//! The state of one sandbox (one store, one invocation): WASI with nothing
//! granted, the plugin's config, the capped log, the memory limiter and the
//! call's context (its shop, Bold's API for it); and the host's own imports
//! (`log`, `config`, `outbound-http`, `shop`, `bold-api`).
//!
//! The imports that take guest data are linked by hand ([`add_to_linker`])
//! rather than through the generated bindings, which copy every string and
//! list into host memory before the import runs. A list may hold the same
//! string many times (100,000 fields pointing at one 1 MiB string are
//! 100 GiB once copied), so here the guest's strings and lists are read in
//! place (`WasmStr`, `WasmList`) and copied only within the import's caps.

use std::sync::Arc;

use wasmtime::component::{HasSelf, Linker, ResourceTable, WasmList, WasmStr};
use wasmtime::{ResourceLimiter, StoreContextMut};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::checkout::plugin::{bold_api, log, outbound_http, shop, types};
use super::bindings::connector::checkout::plugin::connector_types;
use super::bold_api::{GuestBoldRequest, from_outbound, unavailable};
use super::context::CallContext;
use super::log_capture::{LogLevel, LogSink, Stream};
use super::outbound::{GuestRequest, OutboundClient, OutboundGrant};

/// The plugin's settings as the `config` import serves them.
pub type PluginConfig = Arc<[(String, String)]>;

/// Table growth a guest may ask for (elements); Rust guests use a handful.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Largest `wasi:random` request (`get-random-bytes`,
/// `get-insecure-random-bytes`), in bytes; a larger one traps. The host
/// allocates and fills the bytes synchronously, outside the guest's memory
/// limit and deadline (wasmtime-wasi allows 64 MiB). Guests ask for little:
/// `getrandom` on `wasm32-wasip2` calls `get-random-u64`, and libc's
/// `getentropy` takes 256 bytes at most.
pub(crate) const MAX_RANDOM_BYTES: u64 = 64 * 1024;

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
    outbound: Outbound,
    context: CallContext,
}

/// Outbound HTTP of one invocation: the shared client, the plugin's grant
/// (hosts it may reach, and the deadline and caps of every request, Bold's
/// API included), whether any host is granted at all, and how many
/// requests this invocation made (both imports count against one limit).
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub(crate) client: OutboundClient,
    pub(crate) grant: Arc<OutboundGrant>,
    hosts_granted: bool,
    made: u32,
}

impl Outbound {
    /// `grant`: the manifest's; `None` = no host granted (Bold's API is
    /// still reachable, with the default caps).
    pub(crate) fn new(client: OutboundClient, grant: Option<Arc<OutboundGrant>>) -> Self {
        Self {
            client,
            hosts_granted: grant.is_some(),
            grant: grant.unwrap_or_default(),
            made: 0,
        }
    }

    /// Counts one request, or refuses it past the grant's count.
    fn take(&mut self) -> bool {
        if self.made >= self.grant.max_requests {
            return false;
        }
        self.made += 1;
        true
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
        outbound: Outbound,
    ) -> Self {
        // Nothing granted: no preopened directories, no environment, no
        // arguments, no network; stdin is empty; stdout and stderr go to the
        // invocation's capped log; random bytes in small requests only.
        let wasi = WasiCtx::builder()
            .stdout(log.output(Stream::Stdout))
            .stderr(log.output(Stream::Stderr))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .max_random_size(MAX_RANDOM_BYTES)
            .build();
        Self {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryGuard::new(memory_limit),
            log,
            config,
            outbound,
            context: CallContext::default(),
        }
    }

    /// Gives the sandbox the call's context, right before the call.
    pub(crate) fn set_context(&mut self, context: CallContext) {
        self.context = context;
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

impl connector_types::Host for Sandbox {}

/// WIT instance names of the imports linked by hand (guests built against
/// an older `checkout:plugin@0.1.x` find them too: the linker matches
/// semver, a newer patch version satisfying an older import).
const LOG: &str = "checkout:plugin/log@0.1.1";
const CONFIG: &str = "checkout:plugin/config@0.1.1";
const OUTBOUND_HTTP: &str = "checkout:plugin/outbound-http@0.1.1";
const SHOP: &str = "checkout:plugin/shop@0.1.1";
const BOLD_API: &str = "checkout:plugin/bold-api@0.1.1";

/// Links the host's imports of both worlds (WASI is linked separately):
/// `types` and `connector-types` (types only) through the generated
/// bindings, and `log`, `config`, `outbound-http`, `shop` and `bold-api` by
/// hand, reading the guest's strings and lists in place.
pub(crate) fn add_to_linker(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    connector_types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    linker.instance(LOG)?.func_wrap("log", log_import)?;
    let mut config = linker.instance(CONFIG)?;
    config.func_wrap("get", config_get)?;
    config.func_wrap("all", |store: StoreContextMut<'_, Sandbox>, (): ()| {
        Ok((store.data().config.to_vec(),))
    })?;
    linker.instance(OUTBOUND_HTTP)?.func_wrap_async(
        "send",
        |store: StoreContextMut<'_, Sandbox>, (request,): (GuestRequest,)| {
            Box::new(async move {
                let mut store = store;
                Ok((outbound_send(&mut store, request).await?,))
            })
        },
    )?;
    linker.instance(SHOP)?.func_wrap(
        "current",
        |store: StoreContextMut<'_, Sandbox>, (): ()| {
            let info = store.data().context.shop.as_ref().map(|s| shop::ShopInfo {
                platform: s.platform.clone(),
                shop: s.shop.clone(),
                installed: s.installed,
                scopes: s.scopes.clone(),
            });
            Ok((info,))
        },
    )?;
    linker.instance(BOLD_API)?.func_wrap_async(
        "send",
        |store: StoreContextMut<'_, Sandbox>, (request,): (GuestBoldRequest,)| {
            Box::new(async move {
                let mut store = store;
                Ok((bold_api_send(&mut store, request).await?,))
            })
        },
    )?;
    Ok(())
}

/// `log.log(level, message, fields)`: the message, then fields one by one
/// while the invocation's log has room; fields past that are not read (nor
/// counted in the dropped bytes). Nothing is copied but what the log keeps.
/// Each string read is checked as UTF-8 whole, and at most one field is
/// read past the room left, so a call reads at most a few times the guest's
/// memory, however many times its list repeats a string.
fn log_import(
    mut store: StoreContextMut<'_, Sandbox>,
    (level, message, fields): (log::Level, WasmStr, WasmList<(WasmStr, WasmStr)>),
) -> wasmtime::Result<()> {
    let level = match level {
        log::Level::Trace => LogLevel::Trace,
        log::Level::Debug => LogLevel::Debug,
        log::Level::Info => LogLevel::Info,
        log::Level::Warn => LogLevel::Warn,
        log::Level::Error => LogLevel::Error,
    };
    let sink = store.data().log.clone();
    let mut record = sink.begin(level, &message.to_str(&store)?);
    for index in 0..fields.len() {
        if record.full() {
            break;
        }
        let Some(field) = fields.get(&mut store, index) else {
            break;
        };
        let (key, value) = field?;
        record.field(&key.to_str(&store)?, &value.to_str(&store)?);
    }
    Ok(())
}

/// `config.get(key)`: the key is compared in place, never copied.
fn config_get(
    store: StoreContextMut<'_, Sandbox>,
    (key,): (WasmStr,),
) -> wasmtime::Result<(Option<String>,)> {
    let key = key.to_str(&store)?;
    let value = store
        .data()
        .config
        .iter()
        .find(|(k, _)| *k == *key)
        .map(|(_, v)| v.clone());
    Ok((value,))
}

/// `outbound-http.send(request)`: counted against the grant, read within
/// its caps ([`GuestRequest::read`]), then sent; the guest is suspended,
/// not a host thread, while it runs.
async fn outbound_send(
    store: &mut StoreContextMut<'_, Sandbox>,
    request: GuestRequest,
) -> wasmtime::Result<Result<outbound_http::Response, outbound_http::Error>> {
    let outbound = &mut store.data_mut().outbound;
    if !outbound.hosts_granted {
        return Ok(Err(outbound_http::Error::NotAllowed(
            "this plugin is granted no outbound HTTP".into(),
        )));
    }
    if !outbound.take() {
        return Ok(Err(outbound_http::Error::TooManyRequests));
    }
    let (client, grant) = (outbound.client.clone(), outbound.grant.clone());
    let request = match request.read(store, &grant)? {
        Ok(request) => request,
        Err(err) => return Ok(Err(err)),
    };
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
    Ok(result)
}

/// `bold-api.send(request)`: for the call's shop only, counted with the
/// outbound requests, read within the grant's caps, sent with the shop's
/// token (added here, never seen by the guest).
async fn bold_api_send(
    store: &mut StoreContextMut<'_, Sandbox>,
    request: GuestBoldRequest,
) -> wasmtime::Result<Result<outbound_http::Response, bold_api::Error>> {
    let access = match &store.data().context.bold_api {
        Ok(access) => access.clone(),
        Err(why) => return Ok(Err(unavailable(*why))),
    };
    let outbound = &mut store.data_mut().outbound;
    if !outbound.take() {
        return Ok(Err(bold_api::Error::TooManyRequests));
    }
    let (client, grant) = (outbound.client.clone(), outbound.grant.clone());
    let request = match request.read(store, &grant, &access)? {
        Ok(request) => request,
        Err(err) => return Ok(Err(err)),
    };
    let method = request.method.clone();
    let started = std::time::Instant::now();
    let result = client
        .send_bold(&grant, request, (&access.header, &access.value))
        .await
        .map_err(from_outbound);
    // Never the path (it may name customers) nor the token.
    tracing::debug!(
        %method,
        status = result.as_ref().map_or(0, |r| r.status),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "bold api request"
    );
    Ok(result)
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
