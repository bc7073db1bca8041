//! A per-plugin admission gate: at most `max_concurrency` sandboxes of one
//! plugin run at once, with a short queue, so one plugin spinning at its
//! limit cannot take every sandbox thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The plugin has no free sandbox and its queue is full (or the wait for
/// one was too long).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("all sandboxes of the plugin are busy")]
pub struct Saturated;

/// Bounds the sandboxes one plugin runs at once, with a short queue.
#[derive(Debug)]
pub struct Admission {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    max_wait: Duration,
}

/// A running sandbox's place; released on drop.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
}

impl Admission {
    /// At most `concurrency` at once, `queue` more waiting at most
    /// `max_wait`.
    pub fn new(concurrency: usize, queue: usize, max_wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
            max_wait,
        }
    }

    /// Sandboxes running now.
    pub fn in_use(&self, concurrency: usize) -> usize {
        concurrency
            .max(1)
            .saturating_sub(self.permits.available_permits())
    }

    /// Requests waiting in the queue now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Waits for a place, or answers [`Saturated`]. Cancellation-safe: a
    /// caller that is dropped while it waits (its client went away) leaves
    /// the queue, and a place it was given goes back.
    pub async fn enter(&self) -> Result<Admitted, Saturated> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(Admitted { _permit: permit });
        }
        let _queued = Queued::join(&self.waiting, self.queue).ok_or(Saturated)?;
        match tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Admitted { _permit: permit }),
            _ => Err(Saturated),
        }
    }
}

/// A place in the queue, given back when dropped: after the wait, or when
/// the waiting future is dropped mid-wait.
struct Queued<'a>(&'a AtomicUsize);

impl<'a> Queued<'a> {
    /// Takes a place if fewer than `queue` are taken.
    fn join(waiting: &'a AtomicUsize, queue: usize) -> Option<Self> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < queue).then_some(n + 1)
            })
            .ok()
            .map(|_| Queued(waiting))
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admits_up_to_the_bound_then_queues_then_refuses() {
        let gate = Arc::new(Admission::new(1, 1, Duration::from_millis(200)));
        let first = gate.enter().await.unwrap();
        let queued = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(gate.enter().await.unwrap_err(), Saturated, "queue is full");
        drop(first);
        assert_eq!(queued.await.unwrap(), Ok(()));
    }

    /// Clients that disconnect while queued (their request future is
    /// dropped) must not keep their place: the queue would fill up for good
    /// and every later request that finds the sandboxes busy get 503.
    #[tokio::test]
    async fn callers_dropped_while_queued_give_their_place_back() {
        let gate = Arc::new(Admission::new(1, 2, Duration::from_secs(10)));
        let held = gate.enter().await.unwrap();
        for _ in 0..10 {
            let queued = tokio::spawn({
                let gate = gate.clone();
                async move { gate.enter().await.map(|_| ()) }
            });
            tokio::time::sleep(Duration::from_millis(5)).await;
            queued.abort();
            let _ = queued.await;
        }
        assert_eq!(gate.waiting(), 0, "every dropped caller left the queue");
        // Dropped before the wait too (a timeout around the call).
        for _ in 0..10 {
            let _ = tokio::time::timeout(Duration::from_millis(1), gate.enter()).await;
        }
        assert_eq!(gate.waiting(), 0);
        let queued = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter().await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(gate.waiting(), 1);
        drop(held);
        assert_eq!(queued.await.unwrap(), Ok(()), "the queue still admits");
        assert_eq!(gate.waiting(), 0);
    }

    #[tokio::test]
    async fn a_queued_request_gives_up_after_the_wait() {
        let gate = Admission::new(1, 4, Duration::from_millis(20));
        let _held = gate.enter().await.unwrap();
        assert_eq!(gate.enter().await.unwrap_err(), Saturated);
    }
}
