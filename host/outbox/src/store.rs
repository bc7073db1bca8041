//! [`OutboxStore`]: where notifications are kept, behind a blocking trait.

use std::time::Duration;

use super::{
    Claimed, Counts, EnqueueOutcome, Filter, Finish, Marked, NewNotification, OutboxError, Record,
    RetryReport, Selector, Timestamp,
};

/// A durable queue of notifications. Every method is **blocking** and is one
/// transaction: callers in async code run them on a blocking thread (the
/// [`Outbox`](super::Outbox) writer thread, or `spawn_blocking`).
///
/// # The rules every backend keeps
///
/// An entity is `(plugin, shop, kind, platform_id)`; its notifications are
/// ordered by `(updated_at_micros, id)` (ids grow in enqueue order, so at
/// equal timestamps the later enqueue is the newer state). The backend
/// remembers the newest accepted state per entity, even after its rows are
/// purged.
/// - **Enqueue**: a notification whose idempotency key is stored already is
///   a [`Duplicate`](EnqueueOutcome::Duplicate) and changes nothing. One
///   older than the newest accepted state of its entity is stored as
///   `superseded` ([`Stale`](EnqueueOutcome::Stale)). Otherwise it is stored
///   `pending`, due now, becomes the entity's newest state, and the entity's
///   other `pending` row (there is at most one) becomes `superseded`.
/// - **Claim**: only `pending` rows due at `now` whose entity has nothing
///   `in_flight`, oldest due first, at most one per entity; each becomes
///   `in_flight` with `lease_expires_at = now + lease`, its attempt count
///   and its lease token incremented and `last_attempt_at = now`.
/// - **Results are fenced**: a result ([`Finish`]) names its claim (row id
///   and lease token) and changes the row only while it is `in_flight`
///   under that token; a claimer whose lease expired (and whose row was
///   released or claimed again since) changes nothing
///   ([`Marked::StaleClaim`]). So a late result can never put back or
///   dead-letter a row that another claim holds.
/// - **Back to pending** (a retry, a released lease, `retry` of a dead
///   letter): only if the row is still its entity's newest state; otherwise
///   it becomes `superseded`. So a `pending` row is always its entity's
///   newest state, and an older state is never sent after a newer one.
///
/// # On PostgreSQL
///
/// [`PostgresStore`](super::PostgresStore) keeps the same rules in one
/// database shared by several hosts (see its module for the details):
/// - the schema is the SQLite one with `bigint` ids and microseconds; the
///   partial unique index "one `in_flight` row per entity" is kept as the
///   last line of defence;
/// - `enqueue_batch` is one transaction that first locks the batch's
///   entities' newest-state rows in key order (`INSERT … ON CONFLICT DO
///   UPDATE … RETURNING`), which serialises enqueues of one entity across
///   hosts; moving a row back to pending share-locks its entity's row too;
/// - `claim_due` takes rows with `FOR UPDATE SKIP LOCKED`: two hosts never
///   claim the same row, and a race on one entity is caught by the unique
///   index (the loser retries the claim, which then skips that entity);
/// - `now` comes from the caller as here (hosts keep their clocks in sync
///   with NTP); leases make a crashed host's rows claimable again after
///   `release_expired_leases`, and `release_all_leases` is never used at
///   start-up, since other hosts may be delivering.
pub trait OutboxStore: Send + Sync + 'static {
    /// Stores a batch in one transaction (one commit) and says what became
    /// of each notification, in order. `now` is the enqueue time.
    fn enqueue_batch(
        &self,
        batch: &[NewNotification],
        now: Timestamp,
    ) -> Result<Vec<EnqueueOutcome>, OutboxError>;

    /// Claims up to `limit` due notifications for `lease`.
    fn claim_due(
        &self,
        now: Timestamp,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, OutboxError>;

    /// Records the results of attempts in one transaction, in order. Each
    /// is recorded only if its row is still `in_flight` under the claim it
    /// names (`id` and `lease_token`); a result whose claim is stale (the
    /// lease expired and the row was released, claimed again or finished
    /// since) changes nothing ([`Marked::StaleClaim`]).
    fn finish(&self, results: &[Finish], now: Timestamp) -> Result<Vec<Marked>, OutboxError>;

    /// [`finish`](Self::finish) for one result.
    fn finish_one(&self, result: Finish, now: Timestamp) -> Result<Marked, OutboxError> {
        let mut marked = self.finish(std::slice::from_ref(&result), now)?;
        marked
            .pop()
            .ok_or_else(|| OutboxError::Corrupt("finish returned no result".into()))
    }

    /// Test shortcut (feature `testing`): records a delivery for the row's
    /// current claim, whichever it is. Not fenced: a worker records through
    /// [`finish`](Self::finish) with its claim's lease token.
    #[cfg(any(test, feature = "testing"))]
    fn mark_delivered(&self, id: i64, now: Timestamp) -> Result<Marked, OutboxError> {
        match self.current_lease_token(id)? {
            Some(lease_token) => self.finish_one(Finish::Delivered { id, lease_token }, now),
            None => Ok(Marked::StaleClaim),
        }
    }

    /// Test shortcut (feature `testing`): a failed attempt of the row's
    /// current claim, to try again at `next_attempt_at` (or superseded if
    /// its entity has a newer state). Not fenced, like
    /// [`mark_delivered`](Self::mark_delivered).
    #[cfg(any(test, feature = "testing"))]
    fn mark_retry(
        &self,
        id: i64,
        now: Timestamp,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<Marked, OutboxError> {
        match self.current_lease_token(id)? {
            Some(lease_token) => {
                let error = error.to_owned();
                let retry = Finish::Retry {
                    id,
                    lease_token,
                    next_attempt_at,
                    error,
                };
                self.finish_one(retry, now)
            }
            None => Ok(Marked::StaleClaim),
        }
    }

    /// Test shortcut (feature `testing`): makes the row's current claim a
    /// dead letter with `error`. Not fenced, like
    /// [`mark_delivered`](Self::mark_delivered).
    #[cfg(any(test, feature = "testing"))]
    fn mark_dead(&self, id: i64, now: Timestamp, error: &str) -> Result<Marked, OutboxError> {
        match self.current_lease_token(id)? {
            Some(lease_token) => {
                let error = error.to_owned();
                self.finish_one(
                    Finish::Dead {
                        id,
                        lease_token,
                        error,
                    },
                    now,
                )
            }
            None => Ok(Marked::StaleClaim),
        }
    }

    /// The lease token of row `id` if it is in flight (test shortcuts
    /// only; reads every row).
    #[cfg(any(test, feature = "testing"))]
    fn current_lease_token(&self, id: i64) -> Result<Option<i64>, OutboxError> {
        Ok(self
            .list(&Filter::default())?
            .into_iter()
            .find(|r| r.id == id && r.status == super::Status::InFlight)
            .map(|r| r.lease_token))
    }

    /// Puts `in_flight` rows whose lease expired at `now` back to pending
    /// (due now), or supersedes them if their entity has a newer state.
    /// Only rows whose lease has expired are touched (the condition is in
    /// the `UPDATE` itself), and their lease token is kept, so the expired
    /// claim's late result is stale from then on. Returns how many rows it
    /// changed. Called at start-up and periodically.
    fn release_expired_leases(&self, now: Timestamp) -> Result<u64, OutboxError>;

    /// Puts every `in_flight` row back to pending (due `now`), whatever its
    /// lease, or supersedes it like [`release_expired_leases`](Self::release_expired_leases).
    /// For a process that owns the store alone (the SQLite backend, one
    /// server per database) at start-up: leases left by a previous process
    /// are void, and waiting for them to expire would only delay delivery.
    fn release_all_leases(&self, now: Timestamp) -> Result<u64, OutboxError>;

    /// When the earliest pending row is due, if there is one.
    fn next_due_at(&self) -> Result<Option<Timestamp>, OutboxError>;

    /// Rows matching `filter`, newest first, without payloads.
    fn list(&self, filter: &Filter) -> Result<Vec<Record>, OutboxError>;

    /// Puts the selected dead letters back to pending (due `now`, attempts
    /// reset), or supersedes them if their entity has a newer state.
    fn retry(&self, selector: &Selector, now: Timestamp) -> Result<RetryReport, OutboxError>;

    /// Deletes the selected finished rows (delivered, dead, superseded; never
    /// pending or in flight). Returns how many.
    fn purge(&self, selector: &Selector) -> Result<u64, OutboxError>;

    /// Retention: deletes at most `limit` delivered and superseded rows
    /// finished before `finished_before`, oldest first, in one short
    /// transaction (the delivery worker calls it in batches). Dead letters,
    /// pending and in-flight rows are never deleted; the entities' newest
    /// states stay remembered. Returns how many it deleted.
    fn purge_finished(&self, finished_before: Timestamp, limit: usize) -> Result<u64, OutboxError>;

    /// How many rows are in each status.
    fn counts(&self) -> Result<Counts, OutboxError>;
}

/// What moving a row back to pending does to its attempt count (the
/// backends' shared vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempts {
    /// Leave it (a retry: the attempt counts).
    Keep,
    /// Take the claim's attempt back (a deferral: it does not count).
    Uncount,
    /// Start again from 0 (`outbox retry` of a dead letter).
    Reset,
}

impl Attempts {
    /// The statements' code: 0 keep, 1 uncount, 2 reset.
    pub(crate) fn code(self) -> i32 {
        match self {
            Self::Keep => 0,
            Self::Uncount => 1,
            Self::Reset => 2,
        }
    }
}

/// What moving a row back to pending came to: its new status, or `None` if
/// it was not in flight under the claim.
pub(crate) fn marked_status(status: Option<super::Status>) -> Marked {
    match status {
        Some(super::Status::Superseded) => Marked::Superseded,
        Some(_) => Marked::Applied,
        None => Marked::StaleClaim,
    }
}
