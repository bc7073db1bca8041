//! Replay protection: remember the signatures seen recently (optional for
//! cavage signatures; always on for X-HMAC, where the key is the timestamp
//! and its MAC).

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::{Policy, SignatureError};

/// The default number of signatures remembered.
pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

/// Remembers the signatures it has accepted for a while and refuses a second
/// use. Thread-safe behind `&self`; memory is bounded: entries older than the
/// time to live are pruned on every call, and past `capacity` the oldest entry
/// is forgotten to make room (so a flood can shorten the window, never grow
/// memory).
///
/// A signature stays valid while its date is within the skew window of the
/// clock, which is up to twice the skew from the first time it is seen (a
/// date `max_skew` in the future stays good until `max_skew` in the past):
/// [`ReplayGuard::for_policy`] remembers for that long.
///
/// Only signatures over a request that cannot legitimately repeat make sense
/// here; Bold's date-only signatures are the same for two requests sent in
/// the same second, so enable this only where the sender signs something
/// unique (a digest of a body that differs, for instance).
#[derive(Debug)]
pub struct ReplayGuard {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashSet<Box<[u8]>>,
    /// Insertion order with insertion time; each key of `seen` once.
    order: VecDeque<(SystemTime, Box<[u8]>)>,
}

impl ReplayGuard {
    /// A guard remembering each signature for `ttl`, at most `capacity` of
    /// them (at least 1).
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        ReplayGuard {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// A guard for signatures checked under `policy`: remembers each for
    /// twice the skew, up to [`DEFAULT_REPLAY_CAPACITY`].
    pub fn for_policy(policy: &Policy) -> Self {
        ReplayGuard::for_window(policy.max_skew)
    }

    /// A guard for credentials that stay valid while their time is within
    /// `window` of the clock, either way: remembers each for twice the
    /// window, up to [`DEFAULT_REPLAY_CAPACITY`].
    pub fn for_window(window: Duration) -> Self {
        ReplayGuard::new(window.saturating_mul(2), DEFAULT_REPLAY_CAPACITY)
    }

    /// How long a key is remembered.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Refuses `signature` if it was remembered within the time to live;
    /// otherwise remembers it as of `now`.
    pub fn check_and_remember(
        &self,
        signature: &[u8],
        now: SystemTime,
    ) -> Result<(), SignatureError> {
        if self.remember(signature, now) {
            Ok(())
        } else {
            Err(SignatureError::Replayed)
        }
    }

    /// Remembers `key` as of `now` and says whether it is new: `false` when
    /// it was remembered within the time to live (a replay).
    pub fn remember(&self, key: &[u8], now: SystemTime) -> bool {
        // A poisoned lock only means another thread panicked mid-call; the
        // sets are still consistent enough to go on with.
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.prune(now, self.ttl);
        if inner.seen.contains(key) {
            return false;
        }
        while inner.order.len() >= self.capacity {
            inner.evict_oldest();
        }
        let key: Box<[u8]> = key.into();
        inner.seen.insert(key.clone());
        inner.order.push_back((now, key));
        true
    }

    /// How many signatures are remembered now.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .order
            .len()
    }

    /// Whether no signature is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn prune(&mut self, now: SystemTime, ttl: Duration) {
        while let Some((at, _)) = self.order.front() {
            let expired = match at.checked_add(ttl) {
                Some(until) => until < now,
                None => false,
            };
            if !expired {
                break;
            }
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        if let Some((_, key)) = self.order.pop_front() {
            self.seen.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn refuses_second_use_within_ttl() {
        let guard = ReplayGuard::new(Duration::from_secs(600), 10);
        guard.check_and_remember(b"sig-a", at(1000)).unwrap();
        guard.check_and_remember(b"sig-b", at(1000)).unwrap();
        assert_eq!(
            guard.check_and_remember(b"sig-a", at(1600)),
            Err(SignatureError::Replayed)
        );
        assert_eq!(guard.len(), 2);
    }

    #[test]
    fn forgets_after_ttl() {
        let guard = ReplayGuard::new(Duration::from_secs(600), 10);
        guard.check_and_remember(b"sig-a", at(1000)).unwrap();
        guard.check_and_remember(b"sig-b", at(1500)).unwrap();
        guard.check_and_remember(b"sig-a", at(1601)).unwrap();
        // sig-a pruned and re-remembered; sig-b still there.
        assert_eq!(guard.len(), 2);
        assert_eq!(
            guard.check_and_remember(b"sig-b", at(1601)),
            Err(SignatureError::Replayed)
        );
    }

    #[test]
    fn evicts_oldest_past_capacity() {
        let guard = ReplayGuard::new(Duration::from_secs(600), 2);
        guard.check_and_remember(b"1", at(1)).unwrap();
        guard.check_and_remember(b"2", at(2)).unwrap();
        guard.check_and_remember(b"3", at(3)).unwrap();
        assert_eq!(guard.len(), 2);
        // "1" was evicted, so it passes again (and evicts "2").
        guard.check_and_remember(b"1", at(4)).unwrap();
        assert_eq!(
            guard.check_and_remember(b"3", at(5)),
            Err(SignatureError::Replayed)
        );
    }

    #[test]
    fn for_policy_uses_twice_the_skew() {
        let guard = ReplayGuard::for_policy(&Policy::default());
        guard.check_and_remember(b"s", at(1000)).unwrap();
        assert_eq!(
            guard.check_and_remember(b"s", at(1600)),
            Err(SignatureError::Replayed)
        );
        guard.check_and_remember(b"s", at(1601)).unwrap();
    }

    #[test]
    fn for_window_uses_twice_the_window() {
        let guard = ReplayGuard::for_window(Duration::from_secs(60));
        assert_eq!(guard.ttl(), Duration::from_secs(120));
        assert!(guard.remember(b"k", at(1000)));
        assert!(!guard.remember(b"k", at(1120)));
        assert!(guard.remember(b"k", at(1121)));
    }

    #[test]
    fn is_shared_between_threads() {
        let guard = std::sync::Arc::new(ReplayGuard::new(Duration::from_secs(60), 1000));
        let handles: Vec<_> = (0..4u8)
            .map(|t| {
                let guard = guard.clone();
                std::thread::spawn(move || {
                    (0..100u8)
                        .filter(|i| guard.check_and_remember(&[*i], at(u64::from(t))).is_ok())
                        .count()
                })
            })
            .collect();
        let accepted: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(accepted, 100);
    }
}
