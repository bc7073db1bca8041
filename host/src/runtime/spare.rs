//! Spare sandboxes: a plugin's next sandbox is instantiated after a call
//! returns, off the next call's path, so a call finds its fresh instance
//! ready. A spare is never used twice (taking it moves it out), so every
//! call still runs in an instance nothing ran in before.
//!
//! Spares hold slots of the engine's instance pool, so a budget caps how
//! many the whole runtime keeps (a quarter of the pool by default): the
//! rest stay free for calls that find no spare.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// At most one ready sandbox of one plugin.
#[derive(Debug)]
pub(crate) struct Spare<T> {
    slot: Mutex<Option<T>>,
    disabled: AtomicBool,
}

impl<T> Default for Spare<T> {
    fn default() -> Self {
        Self {
            slot: Mutex::new(None),
            disabled: AtomicBool::new(false),
        }
    }
}

impl<T> Spare<T> {
    /// Whether spares are still made for this plugin.
    pub(crate) fn enabled(&self) -> bool {
        !self.disabled.load(Ordering::Relaxed)
    }

    /// No more spares for this plugin (its instantiation fails).
    pub(crate) fn disable(&self) {
        self.disabled.store(true, Ordering::Relaxed);
    }

    /// Takes the ready sandbox, if any; it is never offered again.
    pub(crate) fn take(&self) -> Option<T> {
        self.slot.lock().ok().and_then(|mut slot| slot.take())
    }

    /// Whether one is ready.
    pub(crate) fn is_ready(&self) -> bool {
        self.slot.lock().map(|slot| slot.is_some()).unwrap_or(true)
    }

    /// Keeps `spare` for the next call unless one is ready already (then
    /// `spare` is dropped).
    pub(crate) fn offer(&self, spare: T) {
        if let Ok(mut slot) = self.slot.lock()
            && slot.is_none()
        {
            *slot = Some(spare);
        }
    }
}

/// How many spares the runtime may hold at once.
#[derive(Debug)]
pub(crate) struct SpareBudget {
    held: AtomicUsize,
    max: usize,
}

impl SpareBudget {
    /// A budget of `max` spares.
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            held: AtomicUsize::new(0),
            max,
        })
    }

    /// A ticket for one more spare, or `None` when the budget is spent.
    pub(crate) fn try_take(self: &Arc<Self>) -> Option<SpareTicket> {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                (held < self.max).then_some(held + 1)
            })
            .ok()
            .map(|_| SpareTicket {
                budget: Arc::clone(self),
            })
    }

    /// Spares held now.
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }
}

/// One spare's share of the budget, returned when dropped.
#[derive(Debug)]
pub(crate) struct SpareTicket {
    budget: Arc<SpareBudget>,
}

impl Drop for SpareTicket {
    fn drop(&mut self) {
        self.budget.held.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spare_is_taken_once() {
        let spare = Spare::default();
        assert!(!spare.is_ready());
        spare.offer(1);
        spare.offer(2);
        assert!(spare.is_ready());
        assert_eq!(spare.take(), Some(1), "the first offer is kept");
        assert_eq!(spare.take(), None, "and never handed out again");
        assert!(spare.enabled());
        spare.disable();
        assert!(!spare.enabled());
    }

    #[test]
    fn the_budget_caps_spares_and_tickets_give_back() {
        let budget = SpareBudget::new(2);
        let a = budget.try_take().unwrap();
        let _b = budget.try_take().unwrap();
        assert!(budget.try_take().is_none());
        assert_eq!(budget.held(), 2);
        drop(a);
        assert_eq!(budget.held(), 1);
        assert!(budget.try_take().is_some());
    }
}
