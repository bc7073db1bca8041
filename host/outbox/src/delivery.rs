//! [`DeliveryWorker`]: takes due notifications from the store and delivers
//! them to Bold, at most `concurrency` at once and at most one per entity.
//!
//! The loop: claim as many due rows as there are free slots (each claim is a
//! lease of request timeout + margin), send each on its own task, and when
//! tasks finish, record their results in one transaction. A failed attempt
//! waits per [`backoff`](super::backoff); a permanent failure, or the last
//! attempt failing, makes a dead letter. Between rounds it sleeps until the
//! next row is due, an enqueue wakes it, a send finishes, or the poll
//! interval passes. Its housekeeping, at start-up and every
//! `lease_release_interval_ms`, releases expired leases and deletes
//! delivered and superseded notifications past their retention
//! (`retention_hours`), in batches of `purge_batch_size` on a task of its
//! own, so a large backlog neither holds a long transaction nor stops
//! deliveries.
//!
//! Results are recorded for the claim they were made under (its lease
//! token): a send that outlived its lease, whose notification was released
//! or claimed again meanwhile, changes nothing; it is logged at warn and
//! counted as a stale result.
//!
//! A 401 or 403 means Bold refused the shop's credentials (a rotated or
//! revoked token), not the notification: it is logged at error once per
//! wait (plugin and shop, never the token), the notification waits
//! `credentials_retry_ms` without the attempt counting towards
//! `max_attempts`, and until then this worker sends none of that shop's
//! notifications: those it claims are put back (held back) to come after
//! the next probe. The first 2xx (or other 4xx) for the shop ends the
//! wait.
//!
//! On shutdown it stops claiming, lets sends in flight finish for the grace
//! period and records them; anything still unfinished stays `in_flight` and
//! is released when its lease expires (at the next start-up or by another
//! host).
//!
//! Why one file: claiming, sending, recording and backing off are one loop
//! whose steps share the claim's lease; the HTTP client and the backoff are
//! their own modules.

use std::collections::HashMap;
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
    /// Bold refused the shop's credentials (401 or 403): the notification
    /// waits `credentials_retry_ms`, and the attempt does not count towards
    /// `max_attempts`.
    Unauthorized,
    /// The result came after the claim's lease expired and the notification
    /// was released or claimed again: it was not recorded (the row is as
    /// the newer claim has it).
    StaleResult,
}

impl AttemptKind {
    /// Every kind.
    pub const ALL: [AttemptKind; 6] = [
        Self::Delivered,
        Self::Retry,
        Self::Dead,
        Self::Superseded,
        Self::Unauthorized,
        Self::StaleResult,
    ];

    /// `"delivered"`, `"retry"`, `"dead"`, `"superseded"`,
    /// `"unauthorized"` or `"stale_result"` (metric label).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retry => "retry",
            Self::Dead => "dead",
            Self::Superseded => "superseded",
            Self::Unauthorized => "unauthorized",
            Self::StaleResult => "stale_result",
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
    unauthorized: AtomicU64,
    held_back: AtomicU64,
    stale_results: AtomicU64,
    purged: AtomicU64,
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
    /// Attempts refused with 401 or 403 (the shop's credentials).
    pub unauthorized: u64,
    /// Notifications claimed while their shop's credentials were refused,
    /// put back without a request.
    pub held_back: u64,
    /// Results not recorded because their claim had expired and the
    /// notification was released or claimed again.
    pub stale_results: u64,
    /// Delivered and superseded notifications deleted past their retention.
    pub purged: u64,
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
            unauthorized: self.unauthorized.load(Ordering::Relaxed),
            held_back: self.held_back.load(Ordering::Relaxed),
            stale_results: self.stale_results.load(Ordering::Relaxed),
            purged: self.purged.load(Ordering::Relaxed),
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
    /// Shops whose credentials Bold refused, by (plugin, shop).
    refused: HashMap<(String, String), Refusal>,
}

/// A shop whose credentials Bold refused: nothing of it is sent before
/// `until` (then one probe), and its notifications keep `error`.
#[derive(Debug, Clone)]
struct Refusal {
    until: Timestamp,
    error: String,
}

/// Most batches one housekeeping round deletes (the next round goes on).
const PURGE_BATCHES_PER_ROUND: usize = 100;

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
            refused: HashMap::new(),
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
        let mut purge: Option<JoinHandle<()>> = None;
        self.housekeeping(&mut purge).await;
        let mut last_housekeeping = Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            if last_housekeeping.elapsed() >= self.settings.lease_release_interval() {
                self.housekeeping(&mut purge).await;
                last_housekeeping = Instant::now();
            }
            let mut wait = self.settings.poll_interval();
            let free = self.settings.concurrency.saturating_sub(tasks.len());
            if free > 0 {
                let limit = free.min(self.settings.batch_size);
                match self.claim(limit).await {
                    Ok(claimed) => {
                        let full = claimed.len() == limit;
                        let (to_send, held_back) = self.hold_back(claimed);
                        for row in to_send {
                            self.start_send(&mut tasks, row);
                        }
                        if !held_back.is_empty() {
                            self.defer_held_back(held_back).await;
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
        if let Some(purge) = purge {
            // Between two batches: a batch that runs commits or rolls back.
            purge.abort();
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

    /// Releases expired leases, and starts deleting what is past its
    /// retention unless the previous round is still at it.
    async fn housekeeping(&self, purge: &mut Option<JoinHandle<()>>) {
        self.release_leases().await;
        let Some(retention) = self.settings.retention() else {
            return;
        };
        if purge.as_ref().is_some_and(|p| !p.is_finished()) {
            return;
        }
        let store = Arc::clone(&self.store);
        let stats = Arc::clone(&self.stats);
        let batch = self.settings.purge_batch_size;
        let retention_hours = self.settings.retention_hours;
        *purge = Some(tokio::spawn(async move {
            let before = Timestamp::now().saturating_sub(retention);
            let mut purged = 0;
            for _ in 0..PURGE_BATCHES_PER_ROUND {
                match blocking(&store, move |s| s.purge_finished(before, batch)).await {
                    Ok(n) => {
                        purged += n;
                        stats.purged.fetch_add(n, Ordering::Relaxed);
                        if n < batch as u64 {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "outbox: cannot purge finished notifications");
                        break;
                    }
                }
                tokio::task::yield_now().await;
            }
            if purged > 0 {
                tracing::info!(
                    purged,
                    retention_hours,
                    "outbox: purged delivered and superseded notifications past their retention"
                );
            }
        }));
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

    /// Splits claimed rows into those to send and those whose shop's
    /// credentials were refused until later (with that refusal).
    fn hold_back(&mut self, claimed: Vec<Claimed>) -> (Vec<Claimed>, Vec<(Claimed, Refusal)>) {
        if self.refused.is_empty() {
            return (claimed, Vec::new());
        }
        let now = Timestamp::now();
        let mut held_back = Vec::new();
        let mut to_send = Vec::with_capacity(claimed.len());
        for c in claimed {
            let key = (c.plugin.clone(), c.shop.clone());
            // Past `until`, the shop's rows go out again (the probe).
            match self.refused.get(&key).filter(|r| r.until > now) {
                Some(refusal) => held_back.push((c, refusal.clone())),
                None => to_send.push(c),
            }
        }
        (to_send, held_back)
    }

    /// Puts back, without a request, rows whose shop's credentials were
    /// refused: they come after the shop's next probe, the claim not
    /// counted as an attempt.
    async fn defer_held_back(&mut self, held_back: Vec<(Claimed, Refusal)>) {
        let finishes: Vec<Finish> = held_back
            .iter()
            .map(|(c, refusal)| {
                let next =
                    backoff::after_credentials_wait(&self.settings, refusal.until, &mut self.rng);
                Finish::deferred(c, next, refusal.error.clone())
            })
            .collect();
        let now = Timestamp::now();
        let to_store = finishes.clone();
        let marked = match blocking(&self.store, move |s| s.finish(&to_store, now)).await {
            Ok(marked) => marked,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    held_back = held_back.len(),
                    "outbox: cannot put back notifications held for refused credentials; \
                     they wait for their leases to expire"
                );
                return;
            }
        };
        for ((c, _), marked) in held_back.iter().zip(marked) {
            match marked {
                Marked::StaleClaim => self.stale_result(c),
                Marked::Applied | Marked::Superseded => {
                    self.stats.held_back.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        id = c.id, plugin = %c.plugin, shop = %c.shop,
                        "outbox: held back, the shop's credentials were refused"
                    );
                }
            }
        }
    }

    /// Logs and counts a result that came too late for its claim.
    fn stale_result(&self, c: &Claimed) {
        self.stats.stale_results.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            id = c.id,
            plugin = %c.plugin,
            shop = %c.shop,
            attempt = c.attempt,
            lease_token = c.lease_token,
            "outbox: result not recorded: the claim's lease expired and the notification was \
             released or claimed again since (it is sent again, with the same idempotency key)"
        );
    }

    /// Keeps track of shops whose credentials Bold refuses: a 401/403 starts
    /// (or renews) a wait, any other answer ends it. Returns whether this
    /// result started a wait (to log it once).
    fn note_credentials(&mut self, s: &Sent, now: Timestamp) -> bool {
        let c = &s.claimed;
        match &s.result {
            AttemptResult::Unauthorized { error, .. } => {
                let until = now.saturating_add(self.settings.credentials_retry());
                let key = (c.plugin.clone(), c.shop.clone());
                let waiting = self.refused.get(&key).is_some_and(|r| r.until > now);
                self.refused.insert(
                    key,
                    Refusal {
                        until,
                        error: error.clone(),
                    },
                );
                !waiting
            }
            // A 2xx, or another 4xx (Bold got past the credentials to judge
            // the notification), ends the wait; 408, 429 and 5xx may come
            // before the credentials are looked at, and say nothing.
            AttemptResult::Delivered { .. }
            | AttemptResult::Permanent {
                status: Some(_), ..
            } if !self.refused.is_empty() => {
                let key = (c.plugin.clone(), c.shop.clone());
                if self.refused.remove(&key).is_some() {
                    tracing::info!(
                        plugin = %c.plugin,
                        shop = %c.shop,
                        "outbox: Bold accepts the shop's API credentials again"
                    );
                }
                false
            }
            _ => false,
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
            let refused = self.note_credentials(s, now);
            self.report(s, finish, marked, refused, now);
        }
    }

    /// What to record for a finished send.
    fn finish_for(&mut self, s: &Sent, now: Timestamp) -> Finish {
        let c = &s.claimed;
        match &s.result {
            AttemptResult::Delivered { .. } => Finish::delivered(c),
            AttemptResult::Permanent { error, .. } => Finish::dead(c, error.clone()),
            AttemptResult::Unauthorized { error, .. } => {
                // The shop's next probe: not before the wait is over.
                let next = now.saturating_add(self.settings.credentials_retry());
                Finish::deferred(c, next, error.clone())
            }
            AttemptResult::Retry {
                retry_after, error, ..
            } => {
                let attempt = c.attempt;
                if attempt >= self.settings.max_attempts {
                    Finish::dead(c, format!("gave up after {attempt} attempts: {error}"))
                } else {
                    let next_attempt_at = backoff::next_attempt_at(
                        &self.settings,
                        attempt,
                        *retry_after,
                        now,
                        &mut self.rng,
                    );
                    Finish::retry(c, next_attempt_at, error.clone())
                }
            }
        }
    }

    /// Logs, counts and tells the observer about one recorded attempt.
    fn report(&self, s: &Sent, finish: &Finish, marked: Marked, refused: bool, now: Timestamp) {
        let c = &s.claimed;
        let status = s.result.status();
        let outcome = match (finish, marked) {
            (_, Marked::StaleClaim) => {
                self.stale_result(c);
                AttemptKind::StaleResult
            }
            (_, Marked::Superseded) => AttemptKind::Superseded,
            (Finish::Delivered { .. }, Marked::Applied) => AttemptKind::Delivered,
            (Finish::Retry { .. }, Marked::Applied) => AttemptKind::Retry,
            (Finish::Deferred { .. }, Marked::Applied) => AttemptKind::Unauthorized,
            (Finish::Dead { .. }, Marked::Applied) => AttemptKind::Dead,
        };
        if refused {
            // Once per wait and shop, whatever became of this notification.
            tracing::error!(
                plugin = %c.plugin,
                shop = %c.shop,
                status,
                retry_in_s = self.settings.credentials_retry().as_secs(),
                "outbox: Bold refused the shop's API credentials (rotated or revoked token?); \
                 its notifications wait and are tried again until Bold accepts them"
            );
        }
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
            AttemptKind::Unauthorized => {
                self.stats.unauthorized.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    id = c.id, plugin = %c.plugin, shop = %c.shop, kind = c.kind.as_str(),
                    op = c.op.as_str(), attempt = c.attempt, status,
                    "outbox: credentials refused, waiting for them"
                );
            }
            // Logged and counted by `stale_result`.
            AttemptKind::StaleResult => {}
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
