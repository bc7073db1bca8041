//! [`Outbox`]: enqueue with group commit.
//!
//! One writer thread owns the writes of enqueues. Callers send their
//! notifications over a bounded channel and wait; the thread takes the first
//! request, drains every request already queued (up to
//! `max_group_commit` notifications), writes them all in one transaction
//! (one fsync), and answers each caller. Under load, the commits needed per
//! notification fall with the number of concurrent callers, while a lone
//! caller still pays one commit.
//!
//! If a group's transaction fails, each of its requests is written again on
//! its own, so one bad request cannot fail the others.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Notify, mpsc, oneshot};

use super::{
    EnqueueOutcome, EnqueueReport, NewNotification, OutboxError, OutboxSettings, OutboxStore,
    Timestamp,
};

type Reply = oneshot::Sender<Result<Vec<EnqueueOutcome>, OutboxError>>;

struct Request {
    batch: Vec<NewNotification>,
    reply: Reply,
}

/// Counters of the group-commit writer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Transactions committed.
    pub commits: u64,
    /// Enqueue calls answered.
    pub requests: u64,
    /// Notifications written (duplicates and stale ones included).
    pub notifications: u64,
    /// Groups whose transaction failed.
    pub failed_groups: u64,
}

#[derive(Debug, Default)]
struct Counters {
    commits: AtomicU64,
    requests: AtomicU64,
    notifications: AtomicU64,
    failed_groups: AtomicU64,
}

struct Inner {
    requests: mpsc::Sender<Request>,
    store: Arc<dyn OutboxStore>,
    wake: Arc<Notify>,
    counters: Arc<Counters>,
}

/// A handle on the outbox: cheap to clone, shared by the connector's
/// handlers (which enqueue) and the [`DeliveryWorker`](super::DeliveryWorker)
/// (which reads the store through [`store`](Self::store)). The writer thread
/// stops when the last handle is dropped.
#[derive(Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Validates `settings` and starts the writer thread over `store`.
    pub fn start(
        store: Arc<dyn OutboxStore>,
        settings: &OutboxSettings,
    ) -> Result<Self, OutboxError> {
        settings.validate()?;
        let (requests, receiver) = mpsc::channel(settings.queue_capacity);
        let wake = Arc::new(Notify::new());
        let counters = Arc::new(Counters::default());
        let writer = Writer {
            requests: receiver,
            store: Arc::clone(&store),
            wake: Arc::clone(&wake),
            counters: Arc::clone(&counters),
            max_group: settings.max_group_commit,
        };
        std::thread::Builder::new()
            .name("outbox-writer".into())
            .spawn(move || writer.run())?;
        Ok(Self {
            inner: Arc::new(Inner {
                requests,
                store,
                wake,
                counters,
            }),
        })
    }

    /// Stores `batch` durably and says what became of each notification, in
    /// order. Returns only after the commit (so the caller may answer the
    /// request that produced them), and wakes the delivery worker.
    pub async fn enqueue(&self, batch: Vec<NewNotification>) -> Result<EnqueueReport, OutboxError> {
        if batch.is_empty() {
            return Ok(EnqueueReport::default());
        }
        let (reply, answer) = oneshot::channel();
        self.inner
            .requests
            .send(Request { batch, reply })
            .await
            .map_err(|_| OutboxError::Closed)?;
        let outcomes = answer.await.map_err(|_| OutboxError::Closed)??;
        Ok(EnqueueReport { outcomes })
    }

    /// The store (for the delivery worker and the CLI helpers).
    pub fn store(&self) -> &Arc<dyn OutboxStore> {
        &self.inner.store
    }

    /// The writer's counters.
    pub fn stats(&self) -> GroupCommitStats {
        let c = &self.inner.counters;
        GroupCommitStats {
            commits: c.commits.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            notifications: c.notifications.load(Ordering::Relaxed),
            failed_groups: c.failed_groups.load(Ordering::Relaxed),
        }
    }

    /// Signalled after every commit that queued something.
    pub(crate) fn wake(&self) -> &Arc<Notify> {
        &self.inner.wake
    }
}

struct Writer {
    requests: mpsc::Receiver<Request>,
    store: Arc<dyn OutboxStore>,
    wake: Arc<Notify>,
    counters: Arc<Counters>,
    max_group: usize,
}

impl Writer {
    fn run(mut self) {
        tracing::debug!("outbox: writer started");
        while let Some(first) = self.requests.blocking_recv() {
            let mut group = vec![first];
            let mut size = group[0].batch.len();
            while size < self.max_group {
                match self.requests.try_recv() {
                    Ok(request) => {
                        size += request.batch.len();
                        group.push(request);
                    }
                    Err(_) => break,
                }
            }
            self.write(group, size);
        }
        tracing::debug!("outbox: writer stopped");
    }

    fn write(&self, group: Vec<Request>, size: usize) {
        self.counters
            .requests
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        let mut all = Vec::with_capacity(size);
        let mut replies = Vec::with_capacity(group.len());
        for request in group {
            replies.push((request.batch.len(), request.reply));
            all.extend(request.batch);
        }
        let now = Timestamp::now();
        match self.commit(&all, now) {
            Ok(outcomes) => {
                self.answer(replies, outcomes);
            }
            Err(e) if replies.len() == 1 => {
                tracing::warn!(error = %e, notifications = all.len(), "outbox: enqueue failed");
                if let Some((_, reply)) = replies.pop() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(e) => {
                self.counters.failed_groups.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    error = %e,
                    requests = replies.len(),
                    "outbox: group commit failed; writing its requests one by one"
                );
                let mut rest = all;
                for (len, reply) in replies {
                    let tail = rest.split_off(len.min(rest.len()));
                    let mine = std::mem::replace(&mut rest, tail);
                    let result = self.commit(&mine, now);
                    if let Err(e) = &result {
                        tracing::warn!(error = %e, notifications = len, "outbox: enqueue failed");
                    }
                    let woke = result.as_ref().is_ok_and(|o| queued_any(o));
                    let _ = reply.send(result);
                    if woke {
                        self.wake.notify_one();
                    }
                }
            }
        }
    }

    /// One transaction; counts it.
    fn commit(
        &self,
        batch: &[NewNotification],
        now: Timestamp,
    ) -> Result<Vec<EnqueueOutcome>, OutboxError> {
        let outcomes = self.store.enqueue_batch(batch, now)?;
        if outcomes.len() != batch.len() {
            return Err(OutboxError::Corrupt(format!(
                "the store answered {} outcomes for {} notifications",
                outcomes.len(),
                batch.len()
            )));
        }
        self.counters.commits.fetch_add(1, Ordering::Relaxed);
        self.counters
            .notifications
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(outcomes)
    }

    /// Splits `outcomes` back by request, answers each caller, then wakes
    /// the delivery worker.
    fn answer(&self, replies: Vec<(usize, Reply)>, outcomes: Vec<EnqueueOutcome>) {
        let woke = queued_any(&outcomes);
        let mut outcomes = outcomes.into_iter();
        for (len, reply) in replies {
            let mine: Vec<EnqueueOutcome> = outcomes.by_ref().take(len).collect();
            // A caller that gave up waiting still had its notifications
            // committed.
            let _ = reply.send(Ok(mine));
        }
        if woke {
            self.wake.notify_one();
        }
    }
}

fn queued_any(outcomes: &[EnqueueOutcome]) -> bool {
    outcomes
        .iter()
        .any(|o| matches!(o, EnqueueOutcome::Queued { .. }))
}
