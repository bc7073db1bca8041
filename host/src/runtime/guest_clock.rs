//! The guest's own time, against which its deadline runs.
//!
//! A sandbox runs as a task on a few sandbox threads and yields at every
//! epoch tick, so with more sandboxes than threads each one also spends time
//! ready to run but waiting for a thread. That time is the host's, not the
//! guest's: the deadline counts wall-clock time from the task's first poll
//! minus the time between each wake-up and the poll that follows it. Time
//! the guest waits for something it asked for (an outbound request, a WASI
//! clock) still counts.

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

/// The guest's budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DeadlinePassed;

/// One invocation's clock: runs the futures of its phases (instantiation,
/// the call) under one budget of guest time.
pub(super) struct GuestClock {
    budget: Duration,
    started: Option<Instant>,
    waited: Duration,
    stamp: Arc<WakeStamp>,
    waker: Waker,
}

impl GuestClock {
    /// A clock with `budget` of guest time, started by the first poll.
    pub(super) fn new(budget: Duration) -> Self {
        let stamp = Arc::new(WakeStamp::default());
        Self {
            budget,
            started: None,
            waited: Duration::ZERO,
            waker: Waker::from(stamp.clone()),
            stamp,
        }
    }

    /// Time the guest has used so far.
    pub(super) fn used(&self) -> Duration {
        self.started.map_or(Duration::ZERO, |started| {
            started.elapsed().saturating_sub(self.waited)
        })
    }

    /// Time spent ready to run but waiting for a sandbox thread.
    pub(super) fn waited(&self) -> Duration {
        self.waited
    }

    /// Runs `future` until it finishes or the budget is used up; dropping
    /// it (cancellation) is safe.
    pub(super) async fn run<F: Future>(&mut self, future: F) -> Result<F::Output, DeadlinePassed> {
        let mut future = pin!(future);
        let mut timer = pin!(tokio::time::sleep(self.budget));
        let mut armed_for: Option<Instant> = None;
        std::future::poll_fn(|cx| {
            let now = Instant::now();
            let started = *self.started.get_or_insert(now);
            self.waited += self.stamp.take_wait(now, cx.waker());
            // A budget past what `Instant` can hold (`invoke --timeout
            // <huge>`) is no deadline at all.
            let deadline = started.checked_add(self.budget.saturating_add(self.waited));
            if let Some(deadline) = deadline {
                if now >= deadline {
                    return Poll::Ready(Err(DeadlinePassed));
                }
                if armed_for != Some(deadline) {
                    timer.as_mut().reset(deadline.into());
                    armed_for = Some(deadline);
                }
                // The timer wakes the task itself; the guest's wake-ups go
                // through the stamp, which notes when they happened.
                if timer.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(DeadlinePassed));
                }
            }
            let mut guest_cx = Context::from_waker(&self.waker);
            future.as_mut().poll(&mut guest_cx).map(Ok)
        })
        .await
    }
}

/// Notes when the guest's future was woken, and passes the wake-up on to
/// the task's own waker.
#[derive(Default)]
struct WakeStamp {
    state: Mutex<StampState>,
}

#[derive(Default)]
struct StampState {
    task: Option<Waker>,
    woken_at: Option<Instant>,
}

impl WakeStamp {
    /// Time since the wake-up that led to this poll (zero if none), and
    /// the task's waker kept up to date.
    fn take_wait(&self, now: Instant, task: &Waker) -> Duration {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if !state.task.as_ref().is_some_and(|w| w.will_wake(task)) {
            state.task = Some(task.clone());
        }
        state
            .woken_at
            .take()
            .map_or(Duration::ZERO, |woken| now.saturating_duration_since(woken))
    }
}

impl Wake for WakeStamp {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let task = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.woken_at.get_or_insert_with(Instant::now);
            state.task.clone()
        };
        if let Some(task) = task {
            task.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Yields `n` times, each time busy for `work`, the way a guest yields
    /// at an epoch tick (wasmtime wakes the task at once and returns
    /// `Pending`; tokio's `yield_now` defers the wake-up instead).
    async fn busy_yields(n: u32, work: Duration) {
        for _ in 0..n {
            let until = Instant::now() + work;
            while Instant::now() < until {}
            let mut yielded = false;
            std::future::poll_fn(|cx| {
                if yielded {
                    return Poll::Ready(());
                }
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            })
            .await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn time_waiting_for_the_thread_does_not_count() {
        // Eight guests of 20 × 2 ms = 40 ms each share one thread: each
        // takes about 320 ms of wall-clock time, but uses 40 ms of its own.
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            tasks.spawn(async {
                let mut clock = GuestClock::new(Duration::from_millis(100));
                let wall = Instant::now();
                let done = clock.run(busy_yields(20, Duration::from_millis(2))).await;
                (done, clock.used(), clock.waited(), wall.elapsed())
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (done, used, waited, wall) = joined.unwrap();
            assert_eq!(
                done,
                Ok(()),
                "used {used:?}, waited {waited:?}, wall {wall:?}"
            );
            assert!(wall > Duration::from_millis(100), "wall {wall:?}");
            assert!(used < Duration::from_millis(100), "used {used:?}");
            assert!(waited > Duration::from_millis(100), "waited {waited:?}");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_guest_own_time_is_bounded() {
        let mut clock = GuestClock::new(Duration::from_millis(30));
        let started = Instant::now();
        let done = clock
            .run(busy_yields(1_000, Duration::from_millis(1)))
            .await;
        assert_eq!(done, Err(DeadlinePassed));
        let wall = started.elapsed();
        assert!(
            wall >= Duration::from_millis(30) && wall < Duration::from_millis(500),
            "{wall:?}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_what_the_guest_asked_for_counts() {
        // A guest asleep (an outbound request, a WASI clock) is not
        // waiting for a thread: its deadline stops it.
        let mut clock = GuestClock::new(Duration::from_millis(30));
        let started = Instant::now();
        let done = clock.run(tokio::time::sleep(Duration::from_secs(10))).await;
        assert_eq!(done, Err(DeadlinePassed));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_budget_too_large_for_a_deadline_is_no_deadline() {
        let mut clock = GuestClock::new(Duration::MAX);
        assert_eq!(
            clock.run(busy_yields(3, Duration::from_millis(1))).await,
            Ok(())
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn phases_share_one_budget() {
        let mut clock = GuestClock::new(Duration::from_millis(50));
        assert_eq!(
            clock
                .run(tokio::time::sleep(Duration::from_millis(30)))
                .await,
            Ok(())
        );
        assert_eq!(
            clock
                .run(tokio::time::sleep(Duration::from_millis(30)))
                .await,
            Err(DeadlinePassed)
        );
    }
}
