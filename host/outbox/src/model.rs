//! The outbox's data: what callers enqueue, the statuses a notification goes
//! through, and what the store answers.
//!
//! Why one file: these are the values every backend and the delivery worker
//! exchange, with their text forms; most of its length is tests.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Timestamp;

/// `Display` and `FromStr` for an enum with `as_str` and `ALL`: its words,
/// parsed with `-` and `_` taken as the same (`in-flight` = `in_flight`).
macro_rules! words {
    ($ty:ident, $what:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = ParseError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .into_iter()
                    .find(|v| same_word(v.as_str(), s))
                    .ok_or_else(|| ParseError::new($what, s))
            }
        }
    };
}

/// Equal, with `-` and `_` taken as the same.
fn same_word(word: &str, s: &str) -> bool {
    let norm = |b: u8| if b == b'-' { b'_' } else { b };
    word.len() == s.len() && word.bytes().zip(s.bytes()).all(|(a, b)| norm(a) == norm(b))
}

/// The kind of entity a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A customer (with all its addresses).
    Customer,
    /// A product (with its variants).
    Product,
    /// An order.
    Order,
}

impl EntityKind {
    /// Every kind.
    pub const ALL: [EntityKind; 3] = [Self::Customer, Self::Product, Self::Order];

    /// `"customer"`, `"product"` or `"order"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Product => "product",
            Self::Order => "order",
        }
    }
}

words!(EntityKind, "entity kind");

/// What happened to the entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Created or changed: the payload is its complete new state.
    Saved,
    /// Deleted (Bold has no Order Deleted; callers never build one, and the
    /// delivery worker dead-letters it if one is queued).
    Deleted,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 2] = [Self::Saved, Self::Deleted];

    /// `"saved"` or `"deleted"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Saved => "saved",
            Self::Deleted => "deleted",
        }
    }
}

words!(Operation, "operation");

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its next attempt (`next_attempt_at`).
    Pending,
    /// Claimed by a delivery worker until its lease expires.
    InFlight,
    /// Bold accepted it (2xx).
    Delivered,
    /// Given up: refused by Bold or out of attempts (a dead letter, with its
    /// last error). `outbox retry` puts it back.
    Dead,
    /// Never sent (or not sent again): a newer state of the same entity came.
    Superseded,
}

impl Status {
    /// Every status, in life order.
    pub const ALL: [Status; 5] = [
        Self::Pending,
        Self::InFlight,
        Self::Delivered,
        Self::Dead,
        Self::Superseded,
    ];

    /// `"pending"`, `"in_flight"`, `"delivered"`, `"dead"` or `"superseded"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::Superseded => "superseded",
        }
    }

    /// Whether nothing more happens to it by itself (delivered, dead or
    /// superseded): the statuses `purge` may delete.
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Delivered | Self::Dead | Self::Superseded)
    }
}

// `in-flight` is accepted as well as `in_flight` (see `words!`).
words!(Status, "status");

/// A word that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct ParseError {
    what: &'static str,
    value: String,
}

impl ParseError {
    fn new(what: &'static str, value: &str) -> Self {
        // The value comes from a command line or the database: keep it short.
        Self {
            what,
            value: value.chars().take(40).collect(),
        }
    }
}

/// A notification to queue, built by the connector from a handler's answer.
#[derive(Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// Plugin id.
    pub plugin: String,
    /// Bold `shop_identifier`.
    pub shop: String,
    /// Entity kind.
    pub kind: EntityKind,
    /// Operation.
    pub op: Operation,
    /// The entity's id on the platform.
    pub platform_id: String,
    /// `platform_updated_at` as the handler gave it (RFC 3339, validated by
    /// the caller).
    pub updated_at: String,
    /// The same instant in UTC microseconds since the epoch (parsed by the
    /// caller): what ordering compares.
    pub updated_at_micros: i64,
    /// The complete JSON request body to POST to Bold.
    pub payload: String,
}

impl NewNotification {
    /// The entity this is about.
    pub fn entity(&self) -> EntityKey<'_> {
        EntityKey {
            plugin: &self.plugin,
            shop: &self.shop,
            kind: self.kind,
            platform_id: &self.platform_id,
        }
    }

    /// The idempotency key: the first 32 hex digits of
    /// `sha256(plugin \0 shop \0 kind \0 op \0 platform_id \0 updated_at_micros \0 payload)`.
    /// Deterministic, so re-enqueueing the same notification is recognised,
    /// and sent as `Idempotency-Key` on every attempt.
    pub fn idempotency_key(&self) -> String {
        let mut hash = Sha256::new();
        for part in [
            self.plugin.as_bytes(),
            self.shop.as_bytes(),
            self.kind.as_str().as_bytes(),
            self.op.as_str().as_bytes(),
            self.platform_id.as_bytes(),
            self.updated_at_micros.to_string().as_bytes(),
        ] {
            hash.update(part);
            hash.update([0u8]);
        }
        hash.update(self.payload.as_bytes());
        let mut key = hex::encode(hash.finalize());
        key.truncate(32);
        key
    }
}

impl fmt::Debug for NewNotification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewNotification")
            .field("plugin", &self.plugin)
            .field("shop", &self.shop)
            .field("kind", &self.kind)
            .field("op", &self.op)
            .field("platform_id", &self.platform_id)
            .field("updated_at", &self.updated_at)
            .field("updated_at_micros", &self.updated_at_micros)
            .field("payload", &PayloadLen(self.payload.len()))
            .finish()
    }
}

/// Prints `<N bytes>` in place of a payload.
struct PayloadLen(usize);

impl fmt::Debug for PayloadLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

/// An entity: notifications with the same key are ordered and coalesced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntityKey<'a> {
    /// Plugin id.
    pub plugin: &'a str,
    /// Bold `shop_identifier`.
    pub shop: &'a str,
    /// Entity kind.
    pub kind: EntityKind,
    /// The entity's id on the platform.
    pub platform_id: &'a str,
}

/// What became of one enqueued notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum EnqueueOutcome {
    /// Stored as `pending`; `superseded` older pending notifications of the
    /// same entity will not be sent.
    Queued {
        /// Row id.
        id: i64,
        /// How many pending notifications it superseded.
        superseded: u64,
    },
    /// Older than a state of the same entity the outbox already has: stored
    /// as `superseded`, never sent.
    Stale {
        /// Row id.
        id: i64,
    },
    /// The same notification (same idempotency key) is already stored;
    /// nothing changed.
    Duplicate {
        /// Id of the row already stored.
        id: i64,
    },
}

impl EnqueueOutcome {
    /// The row id.
    pub fn id(&self) -> i64 {
        match *self {
            Self::Queued { id, .. } | Self::Stale { id } | Self::Duplicate { id } => id,
        }
    }
}

/// What one [`Outbox::enqueue`](super::Outbox::enqueue) call did, in the
/// order of its notifications. It returns only after the commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EnqueueReport {
    /// One outcome per notification, in order.
    pub outcomes: Vec<EnqueueOutcome>,
}

impl EnqueueReport {
    /// How many were stored as pending.
    pub fn queued(&self) -> usize {
        self.count(|o| matches!(o, EnqueueOutcome::Queued { .. }))
    }

    /// How many were stale (stored as superseded).
    pub fn stale(&self) -> usize {
        self.count(|o| matches!(o, EnqueueOutcome::Stale { .. }))
    }

    /// How many were already stored.
    pub fn duplicates(&self) -> usize {
        self.count(|o| matches!(o, EnqueueOutcome::Duplicate { .. }))
    }

    fn count(&self, f: impl Fn(&EnqueueOutcome) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(o)).count()
    }
}

/// A notification claimed for delivery: it is `in_flight` until its lease
/// expires or a result is recorded.
///
/// Its result is recorded for this claim only ([`lease_token`](Self::lease_token)):
/// once the lease has expired and the row was released or claimed again
/// (by this host or another), the result changes nothing
/// ([`Marked::StaleClaim`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// `Idempotency-Key` header value (the same on every attempt).
    pub idempotency_key: String,
    /// Plugin id.
    pub plugin: String,
    /// Bold `shop_identifier`.
    pub shop: String,
    /// Entity kind.
    pub kind: EntityKind,
    /// Operation.
    pub op: Operation,
    /// The entity's id on the platform.
    pub platform_id: String,
    /// The JSON body to POST.
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
    /// When it was enqueued (for the enqueue-to-delivery delay).
    pub enqueued_at: Timestamp,
    /// When the claim lapses.
    pub lease_expires_at: Timestamp,
    /// This claim's token: the row's claim count, which every claim
    /// increments and nothing resets, so no two claims of a row share it.
    /// A result ([`Finish`]) carries it, and is recorded only while the row
    /// is still in flight under this token.
    pub lease_token: i64,
}

impl fmt::Debug for Claimed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claimed")
            .field("id", &self.id)
            .field("idempotency_key", &self.idempotency_key)
            .field("plugin", &self.plugin)
            .field("shop", &self.shop)
            .field("kind", &self.kind)
            .field("op", &self.op)
            .field("platform_id", &self.platform_id)
            .field("payload", &PayloadLen(self.payload.len()))
            .field("attempt", &self.attempt)
            .field("enqueued_at", &self.enqueued_at)
            .field("lease_expires_at", &self.lease_expires_at)
            .field("lease_token", &self.lease_token)
            .finish()
    }
}

/// The result of an attempt, to record for the claim it was made under
/// (`id` and `lease_token` from its [`Claimed`]). A result whose claim is
/// no longer the row's changes nothing ([`Marked::StaleClaim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Bold accepted it.
    Delivered {
        /// Row id.
        id: i64,
        /// The claim's [`lease_token`](Claimed::lease_token).
        lease_token: i64,
    },
    /// Try again at `next_attempt_at` (unless the entity has a newer state
    /// by then: then it becomes superseded).
    Retry {
        /// Row id.
        id: i64,
        /// The claim's [`lease_token`](Claimed::lease_token).
        lease_token: i64,
        /// When to try again.
        next_attempt_at: Timestamp,
        /// What went wrong (no secrets, no payload).
        error: String,
    },
    /// Like [`Retry`](Self::Retry), but the attempt does not count towards
    /// `max_attempts` (its count goes back down): the failure was not the
    /// notification's (Bold refused the shop's credentials).
    Deferred {
        /// Row id.
        id: i64,
        /// The claim's [`lease_token`](Claimed::lease_token).
        lease_token: i64,
        /// When to try again.
        next_attempt_at: Timestamp,
        /// What went wrong (no secrets, no payload).
        error: String,
    },
    /// Give up: a dead letter.
    Dead {
        /// Row id.
        id: i64,
        /// The claim's [`lease_token`](Claimed::lease_token).
        lease_token: i64,
        /// What went wrong (no secrets, no payload).
        error: String,
    },
}

impl Finish {
    /// Delivered, for `claim`.
    pub fn delivered(claim: &Claimed) -> Self {
        Self::Delivered {
            id: claim.id,
            lease_token: claim.lease_token,
        }
    }

    /// Try `claim`'s row again at `next_attempt_at`.
    pub fn retry(claim: &Claimed, next_attempt_at: Timestamp, error: impl Into<String>) -> Self {
        Self::Retry {
            id: claim.id,
            lease_token: claim.lease_token,
            next_attempt_at,
            error: error.into(),
        }
    }

    /// Try `claim`'s row again at `next_attempt_at`, not counting the
    /// attempt.
    pub fn deferred(claim: &Claimed, next_attempt_at: Timestamp, error: impl Into<String>) -> Self {
        Self::Deferred {
            id: claim.id,
            lease_token: claim.lease_token,
            next_attempt_at,
            error: error.into(),
        }
    }

    /// A dead letter, for `claim`.
    pub fn dead(claim: &Claimed, error: impl Into<String>) -> Self {
        Self::Dead {
            id: claim.id,
            lease_token: claim.lease_token,
            error: error.into(),
        }
    }

    /// The row id.
    pub fn id(&self) -> i64 {
        match self {
            Self::Delivered { id, .. }
            | Self::Retry { id, .. }
            | Self::Deferred { id, .. }
            | Self::Dead { id, .. } => *id,
        }
    }

    /// The claim's lease token.
    pub fn lease_token(&self) -> i64 {
        match self {
            Self::Delivered { lease_token, .. }
            | Self::Retry { lease_token, .. }
            | Self::Deferred { lease_token, .. }
            | Self::Dead { lease_token, .. } => *lease_token,
        }
    }

    /// Whether it puts the row back to pending (a retry or a deferral).
    pub fn is_retry(&self) -> bool {
        matches!(self, Self::Retry { .. } | Self::Deferred { .. })
    }
}

/// What recording a [`Finish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marked {
    /// Recorded as asked.
    Applied,
    /// A retry whose entity has a newer state: superseded instead.
    Superseded,
    /// The claim is no longer the row's: its lease expired and the row was
    /// released, claimed again (by this host or another) or finished since.
    /// Nothing changed.
    StaleClaim,
}

/// One row, as `outbox list` shows it (without the payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Status.
    pub status: Status,
    /// Plugin id.
    pub plugin: String,
    /// Bold `shop_identifier`.
    pub shop: String,
    /// Entity kind.
    pub kind: EntityKind,
    /// Operation.
    pub op: Operation,
    /// The entity's id on the platform.
    pub platform_id: String,
    /// `platform_updated_at` as given.
    pub updated_at: String,
    /// Attempts made so far (an attempt refused for the shop's
    /// credentials does not count).
    pub attempts: u32,
    /// When it was enqueued.
    pub enqueued_at: Timestamp,
    /// When it is due (pending rows only).
    pub next_attempt_at: Option<Timestamp>,
    /// When its claim lapses (in-flight rows only).
    pub lease_expires_at: Option<Timestamp>,
    /// When it was last claimed for an attempt.
    pub last_attempt_at: Option<Timestamp>,
    /// When it was delivered, dead-lettered or superseded.
    pub finished_at: Option<Timestamp>,
    /// The last error (HTTP status and the start of the body, or the
    /// transport error).
    pub last_error: Option<String>,
    /// Size of the payload in bytes.
    pub payload_bytes: u64,
    /// The [`lease_token`](Claimed::lease_token) of its latest claim (0:
    /// never claimed). Not printed.
    #[serde(skip)]
    pub lease_token: i64,
}

/// Which rows `list` returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this plugin.
    pub plugin: Option<String>,
    /// Only this shop.
    pub shop: Option<String>,
    /// At most this many rows (`None`: all).
    pub limit: Option<usize>,
}

/// Which rows `retry` and `purge` act on. Every field that is set must
/// match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// Only these ids (`None`: every row matching the rest).
    pub ids: Option<Vec<i64>>,
    /// `purge`: the statuses to delete, among delivered, dead and superseded
    /// (empty: all three). `retry` only ever acts on dead rows and ignores it.
    pub statuses: Vec<Status>,
    /// Only this plugin.
    pub plugin: Option<String>,
    /// Only this shop.
    pub shop: Option<String>,
    /// `purge`: only rows finished before this instant.
    pub finished_before: Option<Timestamp>,
}

/// What `retry` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetryReport {
    /// Dead rows put back to pending, attempts reset.
    pub retried: Vec<i64>,
    /// Dead rows whose entity has a newer state since: superseded, not sent
    /// (sending them would put an older state after a newer one).
    pub superseded: Vec<i64>,
    /// Selected ids that are not dead, with their status: left alone.
    pub skipped: Vec<(i64, Status)>,
    /// Selected ids that do not exist (or match other filters).
    pub not_found: Vec<i64>,
}

/// How many rows are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Pending.
    pub pending: u64,
    /// In flight.
    pub in_flight: u64,
    /// Delivered.
    pub delivered: u64,
    /// Dead letters.
    pub dead: u64,
    /// Superseded.
    pub superseded: u64,
}

impl Counts {
    /// The count for `status`.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Pending => self.pending,
            Status::InFlight => self.in_flight,
            Status::Delivered => self.delivered,
            Status::Dead => self.dead,
            Status::Superseded => self.superseded,
        }
    }

    /// Mutable count for `status`.
    pub fn get_mut(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::Pending => &mut self.pending,
            Status::InFlight => &mut self.in_flight,
            Status::Delivered => &mut self.delivered,
            Status::Dead => &mut self.dead,
            Status::Superseded => &mut self.superseded,
        }
    }

    /// Every row.
    pub fn total(&self) -> u64 {
        Status::ALL.iter().map(|s| self.get(*s)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NewNotification {
        NewNotification {
            plugin: "sync".into(),
            shop: "shop-1".into(),
            kind: EntityKind::Customer,
            op: Operation::Saved,
            platform_id: "42".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            updated_at_micros: 1_767_225_600_000_000,
            payload: r#"{"customer":{"platform_id":"42"}}"#.into(),
        }
    }

    #[test]
    fn idempotency_key_is_deterministic_and_covers_every_field() {
        let a = sample();
        let key = a.idempotency_key();
        assert_eq!(key.len(), 32);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, sample().idempotency_key());

        let changes: [fn(&mut NewNotification); 6] = [
            |n| n.plugin.push('x'),
            |n| n.shop.push('x'),
            |n| n.kind = EntityKind::Product,
            |n| n.op = Operation::Deleted,
            |n| n.platform_id.push('x'),
            |n| n.payload.push(' '),
        ];
        for change in changes {
            let mut b = sample();
            change(&mut b);
            assert_ne!(b.idempotency_key(), key);
        }
        let mut c = sample();
        c.updated_at_micros += 1;
        assert_ne!(c.idempotency_key(), key);
        // The separator keeps fields apart: "ab"+"c" differs from "a"+"bc".
        let mut d = sample();
        d.plugin = "syncs".into();
        d.shop = "hop-1".into();
        assert_ne!(d.idempotency_key(), key);
    }

    #[test]
    fn debug_hides_the_payload() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("customer\":"), "{text}");
        assert!(text.contains("<33 bytes>"), "{text}");
    }

    #[test]
    fn words_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert_eq!("in-flight".parse::<Status>(), Ok(Status::InFlight));
        assert!("gone".parse::<Status>().is_err());
        for k in [EntityKind::Customer, EntityKind::Product, EntityKind::Order] {
            assert_eq!(k.as_str().parse::<EntityKind>(), Ok(k));
        }
        for o in [Operation::Saved, Operation::Deleted] {
            assert_eq!(o.as_str().parse::<Operation>(), Ok(o));
        }
    }
}
