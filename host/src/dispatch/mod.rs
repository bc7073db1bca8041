//! Everything Bold-specific about a call, between HTTP (below it: nothing
//! about sockets or status lines) and the sandbox (above it: nothing about
//! WIT or wasmtime). A request's way through it:
//!
//! 1. [`Dispatcher::plugin`]: the registry, looked up once per request.
//! 2. [`Dispatcher::authenticate`]: the signature ([`auth`]).
//! 3. [`Target::ready`]: a loaded plugin, or 503.
//! 4. [`Dispatcher::event`] and its siblings: subscription, admission, a
//!    sandbox (or the native baseline handler), the output checked against
//!    Bold's protocol ([`answer`]: actions, scopes, notifications), the
//!    on-error policy, the outbox commit for connectors; a [`Reply`].
//!
//! The modules:
//! - [`actions`]: WIT actions → Bold's wire form, checked against the action
//!   catalogue and the plugin's scopes.
//! - [`admission`]: per-plugin concurrency bound and queue.
//! - [`answer`]: a guest's output → the [`Answer`] Bold gets.
//! - [`auth`]: who may call a plugin.
//! - [`dev`]: `serve --dev`: guest logs shown, failing requests saved.
//! - [`event_name`]: the one reader of a body's `event` field.
//! - [`install`]: the installation flow (authorize URL, token exchange,
//!   uninstall) and the installed shops.
//! - [`native`]: the example handlers compiled in (benchmark baseline).
//! - [`notifications`]: connector notifications, checked, and their outbox rows.
//! - [`outbox_slot`]: the outbox once open, and whether it can write.
//! - [`registry`]: the served plugins.
//! - [`reply`]: how a call ends; the one fault → answer mapping.
//! - [`shops`]: the shop of a checkout call, installed or not.
//! - `checkout`, `connector`: the calls of each world.

pub mod actions;
pub mod admission;
pub mod answer;
pub mod auth;
mod checkout;
mod connector;
pub mod dev;
pub mod event_name;
pub mod install;
pub mod native;
pub mod notifications;
pub mod outbox_slot;
pub mod registry;
pub mod reply;
pub mod shops;

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

pub use actions::ActionPolicy;
pub use answer::{Answer, CheckedPlugin, settle};
pub use auth::{Auth, Authenticated};
pub use connector::VERIFIED_DESTINATION;
pub use install::{InstallError, Installer, OAuthClient};
pub use outbox_slot::OutboxSlot;
pub use registry::{BoldHmac, ConnectorEntry, MAX_QUEUE_WAIT, PluginEntry, PluginStatus, Registry};
pub use reply::{Answered, EMPTY_ACTIONS, Refusal, Reply};

use crate::metrics::{Metrics, PluginLabels};
use crate::outbox::Outbox;
use crate::runtime::{Call, Invocation, Plugin, Report, SandboxPool};
use crate::signature::SignedRequest;
use crate::state::ShopRef;
use shops::ShopCall;

/// Where "now" comes from (tests inject a fixed clock).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The served plugins, the sandbox threads and the outbox: everything a
/// call needs. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    pool: SandboxPool,
    metrics: Arc<Metrics>,
    clock: Clock,
    outbox: Arc<OutboxSlot>,
    installer: OnceLock<Arc<Installer>>,
    dev: OnceLock<dev::DevMode>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("plugins", &self.inner.registry.entries().len())
            .finish_non_exhaustive()
    }
}

/// Whether each kind of route can serve now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// Every checkout plugin is loaded.
    pub checkout: bool,
    /// Every connector is loaded and the outbox can write (true when no
    /// connector is served).
    pub connectors: bool,
}

/// A call's plugin, checked to be loaded: the entry it was found under and
/// the loaded plugin of that same entry (a reload during the call changes
/// neither).
#[derive(Debug, Clone)]
pub struct Target {
    entry: Arc<PluginEntry>,
    plugin: Plugin,
}

impl Target {
    /// The entry's loaded plugin, or [`Refusal::Unavailable`].
    pub fn ready(entry: Arc<PluginEntry>) -> Result<Self, Refusal> {
        let plugin = entry.ready().ok_or(Refusal::Unavailable)?.clone();
        Ok(Self { entry, plugin })
    }

    /// The entry.
    pub fn entry(&self) -> &PluginEntry {
        &self.entry
    }
}

impl Dispatcher {
    /// Calls of the plugins in `registry`, run on `pool`, counted in
    /// `metrics`, with the system clock.
    pub fn new(registry: Arc<Registry>, pool: SandboxPool, metrics: Arc<Metrics>) -> Self {
        Self::with_clock(registry, pool, metrics, Arc::new(SystemTime::now))
    }

    /// The same with another clock (for signature tests).
    pub fn with_clock(
        registry: Arc<Registry>,
        pool: SandboxPool,
        metrics: Arc<Metrics>,
        clock: Clock,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                registry,
                pool,
                metrics,
                clock,
                outbox: Arc::new(OutboxSlot::new()),
                installer: OnceLock::new(),
                dev: OnceLock::new(),
            }),
        }
    }

    /// The same, committing connector notifications to `outbox` (without
    /// one, connector calls are refused with [`Refusal::OutboxUnavailable`]).
    pub fn with_outbox(self, outbox: Outbox) -> Self {
        self.inner.outbox.fill(outbox);
        self
    }

    /// The same, running the installation flow with `installer` (without
    /// one, no plugin can be installed). Set once; a second call is ignored.
    pub fn with_installer(self, installer: Installer) -> Self {
        let _ = self.inner.installer.set(Arc::new(installer));
        self
    }

    /// The same in dev mode (`serve --dev`; see [`dev`]). Set once.
    pub fn with_dev(self, dev: dev::DevMode) -> Self {
        let _ = self.inner.dev.set(dev);
        self
    }

    /// The installation flow, when the host has installs.
    pub fn installer(&self) -> Option<&Arc<Installer>> {
        self.inner.installer.get()
    }

    /// What a checkout call to `entry` knows about its `shop`.
    async fn shop_call(&self, entry: &PluginEntry, shop: Option<ShopRef>) -> ShopCall {
        shops::shop_call(self.installer().map(Arc::as_ref), entry, shop).await
    }

    /// Where the outbox goes once it is open (the server fills it, possibly
    /// after it started serving) and whether it can write.
    pub fn outbox_slot(&self) -> &Arc<OutboxSlot> {
        &self.inner.outbox
    }

    /// The served plugins.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The notification outbox, once open.
    pub fn outbox(&self) -> Option<&Outbox> {
        self.inner.outbox.get()
    }

    /// What a load balancer asks: can the checkout routes serve (every
    /// checkout plugin loaded), and can the connector routes (every
    /// connector loaded and the outbox writable)?
    pub fn readiness(&self) -> Readiness {
        let mut readiness = Readiness {
            checkout: true,
            connectors: true,
        };
        for entry in self.inner.registry.entries() {
            let side = if entry.manifest().connector.is_some() {
                &mut readiness.connectors
            } else {
                &mut readiness.checkout
            };
            *side &= entry.is_ready();
        }
        let serves_connectors = self
            .inner
            .registry
            .entries()
            .iter()
            .any(|e| e.manifest().connector.is_some());
        if serves_connectors {
            readiness.connectors &= self.inner.outbox.is_ready();
        }
        readiness
    }

    /// The entry of plugin `id`: the one lookup of a request.
    pub fn plugin(&self, id: &str) -> Option<Arc<PluginEntry>> {
        self.inner.registry.get(id)
    }

    /// Checks who is calling `entry` (see [`auth`]), with this dispatcher's
    /// clock.
    pub fn authenticate(
        &self,
        entry: &PluginEntry,
        auth: Auth,
        request: &SignedRequest<'_>,
    ) -> Result<Authenticated, Refusal> {
        auth::authenticate(
            entry,
            auth,
            request,
            (self.inner.clock)(),
            &self.inner.metrics,
        )
    }

    /// Admission, a sandbox (or the native handler), and the output checked
    /// against the protocol. Cancellation-safe: if the caller is dropped,
    /// the sandbox is stopped, and its admission place and its count in
    /// `sandboxes_in_use` are given back once, when it is gone.
    async fn run(
        &self,
        target: &Target,
        call: Call,
        shop: ShopCall,
    ) -> Result<Invocation<Answer>, Refusal> {
        let entry = &target.entry;
        let asked = std::time::Instant::now();
        let admitted = entry
            .admission()
            .enter()
            .await
            .map_err(|_| Refusal::Saturated)?;
        let admission = asked.elapsed();
        let in_use = InUse::new(&self.inner.metrics, entry.id());
        let ShopCall {
            context, policy, ..
        } = shop;
        let policy = policy.as_ref().unwrap_or(entry.policy());
        // Dev mode keeps the input to save it if the call fails.
        let dev = self.inner.dev.get().map(|dev| (dev, call.clone()));
        let invocation = match entry.native() {
            Some(native) => Invocation {
                outcome: native.call(&call),
                report: Report::empty(target.plugin.limits()),
            },
            None => {
                let hold = (admitted, in_use);
                let invocation = self
                    .inner
                    .pool
                    .run(target.plugin.clone(), call, context, hold)
                    .await;
                let report = &invocation.report;
                self.inner.metrics.sandbox_timings(
                    entry.id(),
                    admission,
                    &report.timings,
                    report.prewarmed,
                );
                settle(invocation, policy)
            }
        };
        if let Some((dev, call)) = dev {
            let fault = invocation.outcome.as_ref().err();
            dev.observe(entry, &call, &invocation.report.log, fault);
        }
        Ok(invocation)
    }
}

/// One sandbox counted in `sandboxes_in_use` for as long as it lives.
struct InUse(prometheus_client::metrics::gauge::Gauge);

impl InUse {
    fn new(metrics: &Metrics, plugin: &str) -> Self {
        // A clone (shared counter), not the family's read guard, which must
        // not be held across an await.
        let gauge = metrics
            .sandboxes_in_use
            .get_or_create(&PluginLabels {
                plugin: plugin.to_owned(),
            })
            .clone();
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for InUse {
    fn drop(&mut self) {
        self.0.dec();
    }
}
