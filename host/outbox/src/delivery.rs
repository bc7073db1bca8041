//! [`DeliveryWorker`]: takes due notifications from the store and delivers
//! them to Bold, at most `concurrency` at once and at most one per entity.
//!
//! The loop: claim as many due rows as there are free slots (each claim is a
//! lease of request timeout + margin), send each on its own task, and when
//! tasks finish, record their results in one transaction. A failed attempt
//! waits per [`backoff`](super::backoff); a permanent failure, or the last
//! attempt failing, makes a dead letter. Between rounds it sleeps until the
//! next row is due, an enqueue wakes it, a send finishes, or the poll
//! interval passes; it releases expired leases at start-up and periodically.
//!
//! On shutdown it stops claiming, lets sends in flight finish for the grace
//! period and records them; anything still unfinished stays `in_flight` and
//! is released when its lease expires (at the next start-up or by another
//! host).
//!
//! Why one file: claiming, sending, recording and backing off are one loop
//! whose steps share the claim's lease; the HTTP client and the backoff are
//! their own modules.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::{JoinError, JoinHandle, JoinSet};

use super::backoff;
use super::client::{AttemptResult, BoldClient};
use super::{
    BoldApiSettings, Claimed, EntityKind, Finish, Marked, Operation, Outbox, OutboxError,
    OutboxSettings, OutboxStore, Timestamp,
};

/// Where Bold API tokens come from.
pub trait Credentials: Send + Sync + 'static {
    /// Bold API token for `(plugin, shop)`, or `None` (then the notification
    /// waits as a retry with error "no token"). Called once per attempt on
    /// the async runtime: it should be an in-memory lookup.
    fn bold_token(&self, plugin: &str, shop: &str) -> Option<String>;
}

/// Any `Fn(plugin, shop) -> Option<token>` is a [`Credentials`].
impl<F> Credentials for F
where
    F: Fn(&str, &str) -> Option<String> + Send + Sync + 'static,
{
    fn bold_token(&self, plugin: &str, shop: &str) -> Option<String> {
        self(plugin, shop)
    }
}

/// What an attempt came to, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// Delivered (2xx).
    Delivered,
    /// Failed; will be tried again.
    Retry,
    /// Failed for good: a dead letter.
    Dead,
    /// Failed, and a newer state of the entity is queued: superseded.
    Superseded,
}

impl AttemptKind {
    /// `"delivered"`, `"retry"`, `"dead"` or `"superseded"` (metric label).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::Dead => "dead",
            Self::Superseded => "superseded",
        }
    }
}

/// One recorded attempt, for metrics (never a payload or token).
#[derive(Debug, Clone, Copy)]
pub struct AttemptEvent<'a> {
    /// Row id.
    pub id: i64,
    /// Plugin id.
    pub plugin: &'a str,
    /// Bold `shop_identifier`.
    pub shop: &'a str,
    /// Entity kind.
    pub kind: EntityKind,
    /// Operation.
    pub op: Operation,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// What it came to.
    pub outcome: AttemptKind,
    /// HTTP status, if Bold answered.
    pub status: Option<u16>,
    /// How long the attempt took (token lookup and HTTP exchange).
    pub request_duration: Duration,
    /// From enqueue to now: the delivery delay when `outcome` is
    /// `Delivered`.
    pub delay: Duration,
}

/// Told about every recorded attempt (e.g. to feed Prometheus histograms).
pub trait DeliveryObserver: Send + Sync + 'static {
    /// One attempt was recorded.
    fn attempt(&self, event: &AttemptEvent<'_>);
}

/// Counters of the delivery worker, readable at any time.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    delivered: AtomicU64,
    retried: AtomicU64,
    dead: AtomicU64,
    superseded: AtomicU64,
    in_flight: AtomicU64,
    last_delay_micros: AtomicU64,
}

/// A reading of [`DeliveryStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryStatsSnapshot {
    /// Notifications delivered.
    pub delivered: u64,
    /// Failed attempts that will be tried again.
    pub retried: u64,
    /// Dead letters made.
    pub dead: u64,
    /// Failed attempts superseded by a newer state.
    pub superseded: u64,
    /// Sends in progress now.
    pub in_flight: u64,
    /// Enqueue-to-delivery delay of the last delivery.
    pub last_delay: Duration,
}

impl DeliveryStats {
    /// The current values.
    pub fn snapshot(&self) -> DeliveryStatsSnapshot {
        DeliveryStatsSnapshot {
            delivered: self.delivered.load(Ordering::Relaxed),
            retried: self.retried.load(Ordering::Relaxed),
            dead: self.dead.load(Ordering::Relaxed),
            superseded: self.superseded.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            last_delay: Duration::from_micros(self.last_delay_micros.load(Ordering::Relaxed)),
        }
    }
}

/// What the worker needs: the API and queue settings, and where to report.
#[derive(Clone)]
pub struct DeliverySettings {
    /// `[bold_api]`.
    pub api: BoldApiSettings,
    /// `[outbox]`.
    pub outbox: OutboxSettings,
    /// Counters, shared with whoever exports them.
    pub stats: Arc<DeliveryStats>,
    /// Told about every attempt, if set.
    pub observer: Option<Arc<dyn DeliveryObserver>>,
}

impl DeliverySettings {
    /// Settings with fresh counters and no observer.
    pub fn new(api: BoldApiSettings, outbox: OutboxSettings) -> Self {
        Self {
            api,
            outbox,
            stats: Arc::new(DeliveryStats::default()),
            observer: None,
        }
    }
}

impl fmt::Debug for DeliverySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliverySettings")
            .field("api", &self.api)
            .field("outbox", &self.outbox)
            .field("stats", &self.stats)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The delivery worker (see the module docs).
pub struct DeliveryWorker {
    outbox: Outbox,
    store: Arc<dyn OutboxStore>,
    credentials: Arc<dyn Credentials>,
    client: Arc<BoldClient>,
    settings: OutboxSettings,
    lease: Duration,
    stats: Arc<DeliveryStats>,
    observer: Option<Arc<dyn DeliveryObserver>>,
    rng: fastrand::Rng,
}

impl fmt::Debug for DeliveryWorker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryWorker")
            .field("client", &self.client)
            .field("settings", &self.settings)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// A finished send.
struct Sent {
    claimed: Claimed,
    result: AttemptResult,
    took: Duration,
}

impl DeliveryWorker {
    /// Validates the settings, builds the HTTP client and spawns the worker
    /// on the current tokio runtime. It runs until `shutdown` becomes `true`
    /// (or its sender is dropped).
    pub fn spawn(
        outbox: Outbox,
        credentials: Arc<dyn Credentials>,
        settings: DeliverySettings,
        shutdown: watch::Receiver<bool>,
    ) -> Result<JoinHandle<()>, OutboxError> {
        settings.outbox.validate()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| OutboxError::Join("no tokio runtime to run the worker on".into()))?;
        let client = BoldClient::new(&settings.api)?;
        let lease = settings.api.request_timeout() + settings.outbox.lease_margin();
        let worker = Self {
            store: Arc::clone(outbox.store()),
            outbox,
            credentials,
            client: Arc::new(client),
            settings: settings.outbox,
            lease,
            stats: settings.stats,
            observer: settings.observer,
            rng: fastrand::Rng::new(),
        };
        Ok(runtime.spawn(worker.run(shutdown)))
    }

    async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(
            concurrency = self.settings.concurrency,
            "outbox: delivery worker started"
        );
        let wake = Arc::clone(self.outbox.wake());
        let mut tasks: JoinSet<Sent> = JoinSet::new();
        self.release_leases().await;
        let mut last_release = Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_release.elapsed() >= self.settings.lease_release_interval() {
                self.release_leases().await;
                last_release = Instant::now();
            }
            let mut wait = self.settings.poll_interval();
            let free = self.settings.concurrency.saturating_sub(tasks.len());
            if free > 0 {
                let limit = free.min(self.settings.batch_size);
                match self.claim(limit).await {
                    Ok(claimed) => {
                        let full = claimed.len() == limit;
                        for row in claimed {
                            self.start_send(&mut tasks, row);
                        }
                        if full {
                            wait = Duration::ZERO;
                        } else {
                            wait = self.until_next_due().await;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox: cannot claim notifications");
                    }
                }
            }
            let has_room = tasks.len() < self.settings.concurrency;
            let notified = wake.notified();
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    let mut done = vec![joined];
                    while let Some(more) = tasks.try_join_next() {
                        done.push(more);
                    }
                    self.record(done).await;
                }
                () = notified => {}
                () = tokio::time::sleep(wait), if has_room => {}
            }
        }
        self.drain(tasks).await;
        tracing::info!("outbox: delivery worker stopped");
    }

    /// Lets sends in flight finish within the grace period and records
    /// them.
    async fn drain(&mut self, mut tasks: JoinSet<Sent>) {
        let deadline = tokio::time::Instant::now() + self.settings.shutdown_grace();
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(joined)) => self.record(vec![joined]).await,
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        unfinished = tasks.len(),
                        "outbox: shutdown grace period over; unfinished deliveries stay in \
                         flight until their leases expire"
                    );
                    self.stats
                        .in_flight
                        .fetch_sub(tasks.len() as u64, Ordering::Relaxed);
                    tasks.abort_all();
                    break;
                }
            }
        }
    }

    async fn release_leases(&self) {
        let now = Timestamp::now();
        match blocking(&self.store, move |s| s.release_expired_leases(now)).await {
            Ok(0) => {}
            Ok(released) => {
                tracing::info!(released, "outbox: released expired leases");
            }
            Err(e) => tracing::warn!(error = %e, "outbox: cannot release expired leases"),
        }
    }

    async fn claim(&self, limit: usize) -> Result<Vec<Claimed>, OutboxError> {
        let lease = self.lease;
        let now = Timestamp::now();
        blocking(&self.store, move |s| s.claim_due(now, limit, lease)).await
    }

    /// How long to sleep: until the next row is due, at most the poll
    /// interval (rows due now but not claimed wait for their entity's send
    /// to finish, which wakes the loop anyway).
    async fn until_next_due(&self) -> Duration {
        let poll = self.settings.poll_interval();
        match blocking(&self.store, |s| s.next_due_at()).await {
            Ok(Some(due)) => {
                let now = Timestamp::now();
                if due > now {
                    due.duration_since(now).min(poll)
                } else {
                    poll
                }
            }
            Ok(None) => poll,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: cannot read the next due time");
                poll
            }
        }
    }

    fn start_send(&self, tasks: &mut JoinSet<Sent>, mut claimed: Claimed) {
        let client = Arc::clone(&self.client);
        let credentials = Arc::clone(&self.credentials);
        self.stats.in_flight.fetch_add(1, Ordering::Relaxed);
        tasks.spawn(async move {
            let started = Instant::now();
            let body = std::mem::take(&mut claimed.payload);
            let result = match credentials.bold_token(&claimed.plugin, &claimed.shop) {
                Some(token) => client.send(&claimed, body, &token).await,
                None => AttemptResult::retry("no token"),
            };
            Sent {
                claimed,
                result,
                took: started.elapsed(),
            }
        });
    }

    /// Records finished sends in one transaction, then logs and counts them.
    async fn record(&mut self, done: Vec<Result<Sent, JoinError>>) {
        // Out of flight only once recorded and counted, so that a reader
        // who sees nothing in flight sees every result counted.
        let finished = done.len() as u64;
        self.record_results(done).await;
        self.stats.in_flight.fetch_sub(finished, Ordering::Relaxed);
    }

    async fn record_results(&mut self, done: Vec<Result<Sent, JoinError>>) {
        let now = Timestamp::now();
        let mut sent = Vec::with_capacity(done.len());
        for joined in done {
            match joined {
                Ok(s) => sent.push(s),
                // The row stays in flight until its lease expires.
                Err(e) => tracing::error!(error = %e, "outbox: a delivery task failed"),
            }
        }
        if sent.is_empty() {
            return;
        }
        let finishes: Vec<Finish> = sent.iter().map(|s| self.finish_for(s, now)).collect();
        let to_store = finishes.clone();
        let marked = match blocking(&self.store, move |s| s.finish(&to_store, now)).await {
            Ok(marked) => marked,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    results = sent.len(),
                    "outbox: cannot record delivery results; the notifications will be sent \
                     again after their leases expire"
                );
                return;
            }
        };
        for ((s, finish), marked) in sent.iter().zip(&finishes).zip(marked) {
            self.report(s, finish, marked, now);
        }
    }

    /// What to record for a finished send.
    fn finish_for(&mut self, s: &Sent, now: Timestamp) -> Finish {
        let id = s.claimed.id;
        match &s.result {
            AttemptResult::Delivered { .. } => Finish::Delivered { id },
            AttemptResult::Permanent { error, .. } => Finish::Dead {
                id,
                error: error.clone(),
            },
            AttemptResult::Retry {
                retry_after, error, ..
            } => {
                let attempt = s.claimed.attempt;
                if attempt >= self.settings.max_attempts {
                    Finish::Dead {
                        id,
                        error: format!("gave up after {attempt} attempts: {error}"),
                    }
                } else {
                    let next_attempt_at = backoff::next_attempt_at(
                        &self.settings,
                        attempt,
                        *retry_after,
                        now,
                        &mut self.rng,
                    );
                    Finish::Retry {
                        id,
                        next_attempt_at,
                        error: error.clone(),
                    }
                }
            }
        }
    }

    /// Logs, counts and tells the observer about one recorded attempt.
    fn report(&self, s: &Sent, finish: &Finish, marked: Marked, now: Timestamp) {
        let c = &s.claimed;
        let status = s.result.status();
        let outcome = match (finish, marked) {
            (_, Marked::NotInFlight) => {
                tracing::debug!(
                    id = c.id,
                    plugin = %c.plugin,
                    attempt = c.attempt,
                    "outbox: result dropped, the notification is no longer in flight"
                );
                return;
            }
            (_, Marked::Superseded) => AttemptKind::Superseded,
            (Finish::Delivered { .. }, Marked::Applied) => AttemptKind::Delivered,
            (Finish::Retry { .. }, Marked::Applied) => AttemptKind::Retry,
            (Finish::Dead { .. }, Marked::Applied) => AttemptKind::Dead,
        };
        let delay = now.duration_since(c.enqueued_at);
        // Only transport errors are logged as text: an error body from Bold
        // may quote personal data.
        let transport_error = match (&s.result, status) {
            (AttemptResult::Retry { error, .. }, None)
            | (AttemptResult::Permanent { error, .. }, None) => Some(error.as_str()),
            _ => None,
        };
        match outcome {
            AttemptKind::Delivered => {
                self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                self.stats.last_delay_micros.store(
                    u64::try_from(delay.as_micros()).unwrap_or(u64::MAX),
                    Ordering::Relaxed,
                );
                tracing::debug!(
                    id = c.id, plugin = %c.plugin, shop = %c.shop, kind = c.kind.as_str(),
                    op = c.op.as_str(), attempt = c.attempt, status,
                    delay_ms = delay.as_millis() as u64,
                    "outbox: delivered"
                );
            }
            AttemptKind::Retry => {
                self.stats.retried.fetch_add(1, Ordering::Relaxed);
                let next = match finish {
                    Finish::Retry {
                        next_attempt_at, ..
                    } => Some(next_attempt_at.to_string()),
                    _ => None,
                };
                tracing::warn!(
                    id = c.id, plugin = %c.plugin, shop = %c.shop, kind = c.kind.as_str(),
                    op = c.op.as_str(), attempt = c.attempt, status, error = transport_error,
                    next_attempt_at = next,
                    "outbox: delivery failed, will retry"
                );
            }
            AttemptKind::Dead => {
                self.stats.dead.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    id = c.id, plugin = %c.plugin, shop = %c.shop, kind = c.kind.as_str(),
                    op = c.op.as_str(), attempt = c.attempt, status, error = transport_error,
                    "outbox: delivery failed, dead letter"
                );
            }
            AttemptKind::Superseded => {
                self.stats.superseded.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    id = c.id, plugin = %c.plugin, shop = %c.shop, kind = c.kind.as_str(),
                    op = c.op.as_str(), attempt = c.attempt, status,
                    "outbox: delivery failed, superseded by a newer state"
                );
            }
        }
        if let Some(observer) = &self.observer {
            observer.attempt(&AttemptEvent {
                id: c.id,
                plugin: &c.plugin,
                shop: &c.shop,
                kind: c.kind,
                op: c.op,
                attempt: c.attempt,
                outcome,
                status,
                request_duration: s.took,
                delay,
            });
        }
    }
}

/// Runs a store call on a blocking thread.
async fn blocking<T, F>(store: &Arc<dyn OutboxStore>, call: F) -> Result<T, OutboxError>
where
    T: Send + 'static,
    F: FnOnce(&dyn OutboxStore) -> Result<T, OutboxError> + Send + 'static,
{
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || call(store.as_ref()))
        .await
        .map_err(|e| OutboxError::Join(e.to_string()))?
}
