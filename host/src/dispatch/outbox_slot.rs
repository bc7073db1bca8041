//! Where connector calls commit their notifications: the outbox once it is
//! open (the server may open it after it starts serving, when the database
//! was unreachable at start-up), and whether it can write now (the last
//! commit or probe said so). Connector routes are refused (503) while it
//! cannot; checkout routes never look at it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::outbox::Outbox;

/// The outbox of a server, filled in once it is open.
#[derive(Debug, Default)]
pub struct OutboxSlot {
    outbox: OnceLock<Outbox>,
    writable: AtomicBool,
}

impl OutboxSlot {
    /// An empty slot (no outbox yet: connector routes answer 503).
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts the opened outbox in; it is taken as writable. A second call
    /// changes nothing.
    pub fn fill(&self, outbox: Outbox) {
        if self.outbox.set(outbox).is_ok() {
            self.writable.store(true, Ordering::Release);
        }
    }

    /// The outbox, once open.
    pub fn get(&self) -> Option<&Outbox> {
        self.outbox.get()
    }

    /// Records whether the outbox could write just now (a commit's or a
    /// probe's result).
    pub fn set_writable(&self, writable: bool) {
        let was = self.writable.swap(writable, Ordering::AcqRel);
        if was != writable && self.outbox.get().is_some() {
            if writable {
                tracing::info!("outbox writable again: connector routes are served");
            } else {
                tracing::error!("outbox cannot write: connector routes answer 503");
            }
        }
    }

    /// Open and writable: connector calls can commit.
    pub fn is_ready(&self) -> bool {
        self.outbox.get().is_some() && self.writable.load(Ordering::Acquire)
    }
}
