//! One invocation: a fresh store and instance, the call under fuel, memory
//! and deadline limits, and the classification of whatever went wrong.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, Store, Trap};

use super::LoadInfo;
use super::bindings::connector::checkout::plugin::connector_types as cwit;
use super::bindings::connector::{PlatformConnector, PlatformConnectorPre};
use super::bindings::{Action, CheckoutPlugin, CheckoutPluginPre, Event, HandlerError};
use super::call::Call;
use super::context::CallContext;
use super::guest_clock::{DeadlinePassed, GuestClock};
use super::limits::Limits;
use super::log_capture::{InvocationLog, LogSink};
use super::sandbox::{Outbound, PluginConfig, Sandbox};
use super::spare::{Spare, SpareBudget, SpareTicket};
use crate::fault::{Fault, FaultKind};

/// What an invocation used, against its limits.
#[derive(Debug, Clone)]
pub struct Report {
    /// Fuel consumed.
    pub fuel_used: u64,
    /// Fuel granted.
    pub fuel_limit: u64,
    /// Peak linear memory in bytes.
    pub memory_peak: u64,
    /// Memory limit in bytes.
    pub memory_limit: u64,
    /// Wall-clock time of the call, and of instantiation when no spare
    /// sandbox was ready.
    pub elapsed: Duration,
    /// Where that time went.
    pub timings: Timings,
    /// The sandbox was instantiated ahead of the call (a spare, never used
    /// before), so instantiation was not on this call's path.
    pub prewarmed: bool,
    /// The deadline.
    pub timeout: Duration,
    /// Bytes of the answer (0 when there is none; set by whoever checks
    /// the output against the protocol).
    pub output_bytes: u64,
    /// Output limit in bytes.
    pub output_limit: u64,
    /// The guest's log (records, stdout, stderr), capped.
    pub log: InvocationLog,
    /// Log cap in bytes.
    pub log_limit: u64,
}

impl Report {
    /// A report of nothing used, for outcomes decided before any sandbox ran.
    pub fn empty(limits: &Limits) -> Self {
        Self {
            fuel_used: 0,
            fuel_limit: 0,
            memory_peak: 0,
            memory_limit: limits.memory_bytes,
            elapsed: Duration::ZERO,
            timings: Timings::default(),
            prewarmed: false,
            timeout: limits.timeout(),
            output_bytes: 0,
            output_limit: limits.output_bytes,
            log: InvocationLog::default(),
            log_limit: limits.log_bytes,
        }
    }
}

/// Where an invocation's time went. `instantiation` and `execution` are
/// the guest's own time (the deadline's); `waited` is time it was ready to
/// run but waited for a sandbox thread, which the deadline does not count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Ready to run, waiting for a sandbox thread (the caller adds the
    /// time before the sandbox's task first ran).
    pub waited: Duration,
    /// Making the instance (zero when a spare was ready).
    pub instantiation: Duration,
    /// The call itself.
    pub execution: Duration,
}

/// What the guest returned, as the WIT contract types it. Handler errors
/// are already faults; nothing here is checked against Bold's protocol yet
/// (the caller does that, and sets [`Report::output_bytes`]).
#[derive(Debug, Clone)]
pub enum Output {
    /// `handle-event`: the actions.
    Actions(Vec<Action>),
    /// `handle-override`: the JSON answer, as the plugin gave it.
    Override(String),
    /// `handle-webhook`: handled.
    Webhook,
    /// `handle-platform-event`: the notifications.
    Notifications(Vec<cwit::Notification>),
    /// `handle-bold-request`: the response for Bold and its notifications.
    Bold(cwit::BoldResponse),
}

/// The outcome of one invocation and what it used.
#[derive(Debug, Clone)]
pub struct Invocation<T = Output> {
    /// The guest's output, or the fault.
    pub outcome: Result<T, Fault>,
    /// Resources used.
    pub report: Report,
}

/// The world a plugin's component satisfies, pre-linked.
pub(super) enum WorldPre {
    /// `checkout-plugin`.
    Checkout(CheckoutPluginPre<Sandbox>),
    /// `platform-connector`.
    Connector(PlatformConnectorPre<Sandbox>),
}

pub(super) struct PluginInner {
    pub(super) id: String,
    pub(super) engine: Engine,
    pub(super) world: WorldPre,
    pub(super) outbound: Outbound,
    pub(super) limits: Limits,
    pub(super) config: PluginConfig,
    pub(super) load: LoadInfo,
    /// The sandbox instantiated ahead of the next call, if any.
    pub(super) spare: Spare<Sandboxed>,
    /// Spares are made only when the runtime allows them.
    pub(super) spare_budget: Option<Arc<SpareBudget>>,
}

/// The instance of the plugin's world inside a store.
enum Instance {
    Checkout(CheckoutPlugin),
    Connector(PlatformConnector),
}

/// A store with one instance in it that has not been called yet.
pub(super) struct Sandboxed {
    store: Store<Sandbox>,
    instance: Instance,
    log: LogSink,
    /// Held while it waits as a spare.
    ticket: Option<SpareTicket>,
}

/// Longest handler error text passed on (guests control it).
const MAX_REASON: usize = 512;

impl PluginInner {
    pub(super) async fn invoke(self: &Arc<Self>, call: &Call, context: CallContext) -> Invocation {
        let limits = &self.limits;
        let fuel_limit = limits.fuel_for(call.body_len());
        let started = Instant::now();
        // The deadline runs on the guest's own time: not while its task
        // waits for a sandbox thread (see `guest_clock`).
        let mut clock = GuestClock::new(limits.timeout());
        let timeout = || {
            Fault::new(
                FaultKind::Timeout,
                format!("deadline of {} ms passed", limits.timeout_ms),
            )
        };
        // Without spares (the default) there is nothing to take or lock.
        let spare = self.spare_budget.as_ref().and_then(|_| self.spare.take());
        let prewarmed = spare.is_some();
        let sandboxed = match spare {
            Some(mut sandboxed) => {
                sandboxed.ticket = None;
                // Instantiation ran under the base fuel; the call gets its
                // own, and an epoch deadline counted from now (the spare may
                // have waited many ticks, and would yield at once).
                let _ = sandboxed.store.set_fuel(fuel_limit);
                sandboxed.store.set_epoch_deadline(1);
                Ok(sandboxed)
            }
            None => match clock.run(self.instantiate(fuel_limit)).await {
                Ok(result) => result,
                Err(DeadlinePassed) => {
                    let mut report = Report::empty(limits);
                    report.elapsed = started.elapsed();
                    report.fuel_limit = fuel_limit;
                    report.timings = Timings {
                        waited: clock.waited(),
                        instantiation: clock.used(),
                        execution: Duration::ZERO,
                    };
                    return Invocation {
                        outcome: Err(timeout()),
                        report,
                    };
                }
            },
        };
        let instantiation = clock.used();
        let (store, log, raw) = match sandboxed {
            Ok(mut sandboxed) => {
                sandboxed.store.data_mut().set_context(context);
                let raw = clock.run(self.call(&mut sandboxed, call)).await;
                (sandboxed.store, sandboxed.log, raw)
            }
            Err((store, log, err)) => (store, log, Ok(Err(err))),
        };
        let elapsed = started.elapsed();
        let timings = Timings {
            waited: clock.waited(),
            instantiation,
            execution: clock.used().saturating_sub(instantiation),
        };

        let fuel_used = fuel_limit.saturating_sub(store.get_fuel().unwrap_or(0));
        let memory = &store.data().memory;
        let (memory_peak, memory_denied) = (memory.peak as u64, memory.denied);
        let outcome = match raw {
            Err(DeadlinePassed) => Err(timeout()),
            Ok(Err(err)) => Err(with_panic(classify(&err, memory_denied, limits), &log)),
            Ok(Ok(Err(fault))) => Err(fault),
            Ok(Ok(Ok(output))) => Ok(output),
        };
        self.recycle(store);
        Invocation {
            outcome,
            report: Report {
                fuel_used,
                fuel_limit,
                memory_peak,
                memory_limit: limits.memory_bytes,
                elapsed,
                timings,
                prewarmed,
                timeout: limits.timeout(),
                output_bytes: 0,
                output_limit: limits.output_bytes,
                log: log.snapshot(),
                log_limit: limits.log_bytes,
            },
        }
    }

    /// A fresh store with a new instance in it, `fuel` granted for
    /// instantiation (start functions run under it).
    #[allow(clippy::type_complexity)]
    async fn instantiate(
        &self,
        fuel: u64,
    ) -> Result<Sandboxed, (Store<Sandbox>, LogSink, wasmtime::Error)> {
        let limits = &self.limits;
        let log = LogSink::new(usize::try_from(limits.log_bytes).unwrap_or(usize::MAX));
        let sandbox = Sandbox::new(
            log.clone(),
            self.config.clone(),
            limits.memory_bytes,
            self.outbound.clone(),
        );
        let mut store = Store::new(&self.engine, sandbox);
        store.limiter(|s| &mut s.memory);
        // Fuel is enabled on the engine, so this cannot fail.
        let _ = store.set_fuel(fuel);
        // Every epoch tick the guest yields to the executor: a spinning guest
        // shares its thread fairly and the deadline (a tokio timer) is
        // checked at least once per tick, stopping loops and WASI waits alike.
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        let instance = match &self.world {
            WorldPre::Checkout(pre) => pre
                .instantiate_async(&mut store)
                .await
                .map(Instance::Checkout),
            WorldPre::Connector(pre) => pre
                .instantiate_async(&mut store)
                .await
                .map(Instance::Connector),
        };
        match instance {
            Ok(instance) => Ok(Sandboxed {
                store,
                instance,
                log,
                ticket: None,
            }),
            Err(err) => Err((store, log, err)),
        }
    }

    /// Drops a used store and, if spares are allowed, makes the next call's
    /// sandbox, both off the caller's path (in a task of their own).
    fn recycle(self: &Arc<Self>, used: Store<Sandbox>) {
        let Some(budget) = self.spare_budget.as_ref().filter(|_| self.spare.enabled()) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.spare.is_ready() {
            // Another call already made one: only the teardown moves off.
            runtime.spawn(async move { drop(used) });
            return;
        }
        let Some(ticket) = budget.try_take() else {
            return;
        };
        let inner = Arc::clone(self);
        runtime.spawn(async move {
            drop(used);
            inner.make_spare(ticket).await;
        });
    }

    /// Instantiates a spare under the plugin's base fuel and deadline. A
    /// failure is not an error of any call: the next call instantiates
    /// in-line and reports it.
    async fn make_spare(&self, ticket: SpareTicket) {
        let fuel = self.limits.fuel_for(0);
        match tokio::time::timeout(self.limits.timeout(), self.instantiate(fuel)).await {
            Ok(Ok(mut sandboxed)) => {
                sandboxed.ticket = Some(ticket);
                self.spare.offer(sandboxed);
            }
            Ok(Err((_, _, err))) => {
                // A full pool passes; anything else (a trapping start
                // function, say) would fail again: no more spares, so that
                // a failing instantiation is not paid twice per call.
                if err
                    .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
                    .is_none()
                {
                    self.spare.disable();
                }
                tracing::debug!(plugin = %self.id, error = %err, "spare sandbox not made");
            }
            Err(_) => tracing::debug!(plugin = %self.id, "spare sandbox not made in time"),
        }
    }

    async fn call(
        &self,
        sandboxed: &mut Sandboxed,
        call: &Call,
    ) -> wasmtime::Result<Result<Output, Fault>> {
        let store = &mut sandboxed.store;
        let output = match (&sandboxed.instance, call) {
            (Instance::Checkout(plugin), Call::Event { name, body }) => {
                let event = Event {
                    name: name.clone(),
                    body: body.clone(),
                };
                plugin
                    .call_handle_event(&mut *store, &event)
                    .await?
                    .map(Output::Actions)
            }
            (Instance::Checkout(plugin), Call::Override { kind, body }) => plugin
                .call_handle_override(&mut *store, kind, body)
                .await?
                .map(Output::Override),
            (Instance::Checkout(plugin), Call::Webhook { topic, body }) => plugin
                .call_handle_webhook(&mut *store, topic, body)
                .await?
                .map(|()| Output::Webhook),
            (Instance::Connector(plugin), Call::PlatformEvent { topic, body }) => {
                let event = cwit::PlatformEvent {
                    topic: topic.clone(),
                    body: body.clone(),
                };
                plugin
                    .call_handle_platform_event(&mut *store, &event)
                    .await?
                    .map(Output::Notifications)
            }
            (Instance::Connector(plugin), Call::BoldRequest(call)) => {
                let request = cwit::BoldRequest {
                    method: call.method.clone(),
                    shop_identifier: call.shop_identifier.clone(),
                    path: call.path.clone(),
                    query: call.query.clone(),
                    body: call.body.clone(),
                };
                plugin
                    .call_handle_bold_request(&mut *store, &request)
                    .await?
                    .map(Output::Bold)
            }
            (Instance::Checkout(_), _) => {
                return Ok(Err(wrong_world("a checkout plugin, not a connector")));
            }
            (Instance::Connector(_), _) => return Ok(Err(wrong_world("a platform connector"))),
        };
        Ok(output.map_err(handler_fault))
    }
}

fn wrong_world(what: &str) -> Fault {
    Fault::new(
        FaultKind::Unsupported,
        format!("the plugin is {what}: it does not handle this call"),
    )
}

fn shorten(mut text: String) -> String {
    if text.len() > MAX_REASON {
        let mut cut = MAX_REASON;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

fn handler_fault(err: HandlerError) -> Fault {
    match err {
        HandlerError::Unsupported => Fault::new(
            FaultKind::Unsupported,
            "the plugin does not handle this call",
        ),
        HandlerError::InvalidInput(msg) => Fault::new(
            FaultKind::HandlerError,
            format!("invalid input: {}", shorten(msg)),
        ),
        HandlerError::Failed(msg) => Fault::new(FaultKind::HandlerError, shorten(msg)),
    }
}

/// Maps a wasmtime error (trap or host error) to a fault kind.
fn classify(err: &wasmtime::Error, memory_denied: bool, limits: &Limits) -> Fault {
    if let Some(trap) = err.downcast_ref::<Trap>() {
        return match trap {
            Trap::OutOfFuel => Fault::new(FaultKind::FuelExhausted, "all fuel consumed"),
            Trap::Interrupt => Fault::new(
                FaultKind::Timeout,
                format!("deadline of {} ms passed", limits.timeout_ms),
            ),
            _ if memory_denied => memory_fault(limits),
            Trap::StackOverflow => Fault::new(FaultKind::Trap, "stack overflow"),
            other => Fault::new(FaultKind::Trap, other.to_string()),
        };
    }
    if memory_denied {
        return memory_fault(limits);
    }
    if let Some(full) = err.downcast_ref::<wasmtime::PoolConcurrencyLimitError>() {
        // wasmtime's words name the limit (core instances, memories, …).
        return Fault::new(
            FaultKind::Overloaded,
            format!("no free sandbox slot: {full}"),
        );
    }
    Fault::new(FaultKind::Trap, shorten(format!("{err:#}")))
}

/// A trap's reason is the guest's panic message and location, when it
/// reported one on stderr (Rust guests do): `panicked at src/lib.rs:26:37:
/// index out of bounds …` rather than `wasm unreachable instruction executed`.
fn with_panic(fault: Fault, log: &LogSink) -> Fault {
    if fault.kind != FaultKind::Trap {
        return fault;
    }
    match log.panic_message() {
        Some(panic) => Fault::new(FaultKind::Trap, panic),
        None => fault,
    }
}

fn memory_fault(limits: &Limits) -> Fault {
    Fault::new(
        FaultKind::MemoryLimit,
        format!("memory growth past {} bytes refused", limits.memory_bytes),
    )
}
