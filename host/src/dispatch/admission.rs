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

    /// Waits for a place, or answers [`Saturated`].
    pub async fn enter(&self) -> Result<Admitted, Saturated> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(Admitted { _permit: permit });
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Saturated);
        }
        let waited =
            tokio::time::timeout(self.max_wait, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match waited {
            Ok(Ok(permit)) => Ok(Admitted { _permit: permit }),
            _ => Err(Saturated),
        }
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

    #[tokio::test]
    async fn a_queued_request_gives_up_after_the_wait() {
        let gate = Admission::new(1, 4, Duration::from_millis(20));
        let _held = gate.enter().await.unwrap();
        assert_eq!(gate.enter().await.unwrap_err(), Saturated);
    }
}
