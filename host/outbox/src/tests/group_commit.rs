//! The group-commit writer: many concurrent callers share commits, each
//! gets its own outcomes, and one bad request does not fail the others.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{T0, customer, temp_store};
use crate::{
    Claimed, Counts, EnqueueOutcome, Filter, Finish, Marked, NewNotification, Outbox, OutboxError,
    OutboxSettings, OutboxStore, Record, RetryReport, Selector, SqliteStore, Timestamp,
};

/// 10,000 notifications from 64 concurrent tasks, one per call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_enqueues_share_commits() {
    const TASKS: usize = 64;
    const TOTAL: usize = 10_000;
    let (_dir, path, store) = temp_store();
    let outbox = Outbox::start(store.clone(), &OutboxSettings::default()).unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let outbox = outbox.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = task;
            while i < TOTAL {
                let report = outbox
                    .enqueue(vec![customer(&i.to_string(), T0)])
                    .await
                    .unwrap();
                assert_eq!(report.queued(), 1);
                i += TASKS;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let stats = outbox.stats();
    println!(
        "group commit: {TOTAL} notifications from {TASKS} tasks in {elapsed:.2?}: {:.0} notifications/s, \
         {} commits ({:.1} notifications per commit)",
        TOTAL as f64 / elapsed.as_secs_f64(),
        stats.commits,
        TOTAL as f64 / stats.commits as f64
    );
    assert_eq!(stats.notifications, TOTAL as u64);
    assert_eq!(stats.requests, TOTAL as u64);
    assert!(
        stats.commits < stats.notifications,
        "commits {} < notifications {}",
        stats.commits,
        stats.notifications
    );
    // Committed: another connection sees every row.
    let other = SqliteStore::open(&path).unwrap();
    assert_eq!(other.counts().unwrap().pending, TOTAL as u64);
}

#[tokio::test]
async fn enqueue_returns_after_the_commit_with_its_own_outcomes() {
    let (_dir, path, store) = temp_store();
    let outbox = Outbox::start(store, &OutboxSettings::default()).unwrap();
    assert_eq!(outbox.enqueue(Vec::new()).await.unwrap().outcomes, vec![]);
    assert_eq!(outbox.stats().commits, 0, "nothing to commit");

    let report = outbox.enqueue(vec![customer("1", T0 + 10)]).await.unwrap();
    assert_eq!(report.queued(), 1);
    let other = SqliteStore::open(&path).unwrap();
    assert_eq!(other.counts().unwrap().pending, 1);

    let report = outbox
        .enqueue(vec![
            customer("1", T0 + 10), // duplicate
            customer("1", T0),      // stale
            customer("2", T0),      // queued
        ])
        .await
        .unwrap();
    assert!(matches!(
        report.outcomes[0],
        EnqueueOutcome::Duplicate { .. }
    ));
    assert!(matches!(report.outcomes[1], EnqueueOutcome::Stale { .. }));
    assert!(matches!(report.outcomes[2], EnqueueOutcome::Queued { .. }));
    assert_eq!(
        (report.duplicates(), report.stale(), report.queued()),
        (1, 1, 1)
    );
    assert_eq!(outbox.stats().commits, 2);
}

/// Holds the first enqueue until released, and fails any batch that holds
/// a notification for platform id `poison`.
#[derive(Debug)]
struct GatedStore {
    inner: Arc<SqliteStore>,
    gate: Mutex<bool>,
    opened: Condvar,
    gated_once: AtomicBool,
}

impl GatedStore {
    fn open_gate(&self) {
        *self.gate.lock().unwrap() = true;
        self.opened.notify_all();
    }
}

impl OutboxStore for GatedStore {
    fn enqueue_batch(
        &self,
        batch: &[NewNotification],
        now: Timestamp,
    ) -> Result<Vec<EnqueueOutcome>, OutboxError> {
        if !self.gated_once.swap(true, Ordering::SeqCst) {
            let mut open = self.gate.lock().unwrap();
            while !*open {
                open = self.opened.wait(open).unwrap();
            }
        }
        if batch.iter().any(|n| n.platform_id == "poison") {
            return Err(OutboxError::Corrupt("poisoned".into()));
        }
        self.inner.enqueue_batch(batch, now)
    }
    fn claim_due(
        &self,
        now: Timestamp,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, OutboxError> {
        self.inner.claim_due(now, limit, lease)
    }
    fn finish(&self, results: &[Finish], now: Timestamp) -> Result<Vec<Marked>, OutboxError> {
        self.inner.finish(results, now)
    }
    fn release_expired_leases(&self, now: Timestamp) -> Result<u64, OutboxError> {
        self.inner.release_expired_leases(now)
    }
    fn release_all_leases(&self, now: Timestamp) -> Result<u64, OutboxError> {
        self.inner.release_all_leases(now)
    }
    fn next_due_at(&self) -> Result<Option<Timestamp>, OutboxError> {
        self.inner.next_due_at()
    }
    fn list(&self, filter: &Filter) -> Result<Vec<Record>, OutboxError> {
        self.inner.list(filter)
    }
    fn retry(&self, selector: &Selector, now: Timestamp) -> Result<RetryReport, OutboxError> {
        self.inner.retry(selector, now)
    }
    fn purge(&self, selector: &Selector) -> Result<u64, OutboxError> {
        self.inner.purge(selector)
    }
    fn purge_finished(&self, before: Timestamp, limit: usize) -> Result<u64, OutboxError> {
        self.inner.purge_finished(before, limit)
    }
    fn counts(&self) -> Result<Counts, OutboxError> {
        self.inner.counts()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_group_is_retried_request_by_request() {
    let (_dir, _path, inner) = temp_store();
    let store = Arc::new(GatedStore {
        inner,
        gate: Mutex::new(false),
        opened: Condvar::new(),
        gated_once: AtomicBool::new(false),
    });
    let outbox = Outbox::start(store.clone(), &OutboxSettings::default()).unwrap();
    // The writer takes the first request and waits at the gate…
    let first = {
        let outbox = outbox.clone();
        tokio::spawn(async move { outbox.enqueue(vec![customer("0", T0)]).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // …while three more queue up and become one group.
    let mut rest = Vec::new();
    for id in ["1", "poison", "2"] {
        let outbox = outbox.clone();
        rest.push(tokio::spawn(async move {
            outbox.enqueue(vec![customer(id, T0)]).await
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    store.open_gate();
    assert_eq!(first.await.unwrap().unwrap().queued(), 1);
    let results: Vec<_> = futures_join(rest).await;
    assert_eq!(results[0].as_ref().unwrap().queued(), 1);
    assert!(matches!(results[1], Err(OutboxError::Corrupt(_))));
    assert_eq!(results[2].as_ref().unwrap().queued(), 1);
    let stats = outbox.stats();
    assert_eq!(stats.failed_groups, 1);
    assert_eq!(stats.requests, 4);
    assert_eq!(store.counts().unwrap().pending, 3);
}

async fn futures_join<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
