//! The outbox: Platform Event Notifications (Customer/Product Saved or
//! Deleted and Order Saved, POSTed to Bold's API for the shop) are
//! committed durably before the request that produced them is answered,
//! then delivered to Bold's API at least once, with retries, in order per
//! entity.
//!
//! The pieces, one job each:
//! - [`model`]: what is queued ([`NewNotification`]), its [`Status`], what
//!   the store answers ([`EnqueueOutcome`], [`Claimed`], [`Record`], …) and
//!   the idempotency key.
//! - [`store`]: the [`OutboxStore`] trait (blocking, one transaction per
//!   call) and the coalescing rules every backend keeps.
//! - [`sqlite`]: [`SqliteStore`], the embedded backend (WAL, `synchronous =
//!   FULL`, safe to open from a second process such as the CLI).
//! - [`postgres`]: [`PostgresStore`], one database shared by several hosts
//!   (`FOR UPDATE SKIP LOCKED` claims, leases that expire by time).
//! - [`writer`]: [`Outbox`], the group-commit handle: one writer thread turns
//!   every enqueue waiting at that moment into one transaction (one fsync),
//!   and answers each caller after the commit.
//! - [`delivery`]: [`DeliveryWorker`], which claims due notifications, POSTs
//!   them to Bold ([`client`]), and records the result with backoff
//!   ([`backoff`]); a 401/403 makes the shop's notifications wait for its
//!   credentials instead of dead-lettering them. Its housekeeping releases
//!   expired leases and deletes delivered and superseded rows past their
//!   retention, in bounded batches.
//! - [`settings`]: the `[bold_api]` and `[outbox]` tables of `host.toml`.
//! - [`admin`]: the operator's `list`, `retry` and `purge`, as functions that
//!   take a store and return printable results.
//!
//! # Ordering and coalescing
//!
//! An entity is `(plugin, shop, kind, platform_id)`. Bold discards updates
//! older than what it has (`platform_updated_at`), and every notification
//! carries the entity's complete state, so only the newest state matters:
//! - a notification older than the newest one the outbox has accepted for
//!   its entity is stored as `superseded` and never sent (stale);
//! - a newer (or equally new) one becomes `pending` and supersedes the
//!   entity's `pending` one (an `in_flight` one finishes first);
//! - at most one notification per entity is `in_flight`, and a retry or a
//!   released lease whose entity has a newer state becomes `superseded`.
//!
//! The newest accepted state per entity is remembered in a table of its own,
//! so purging delivered rows (by `outbox purge` or by the retention) never
//! lets an older state through later.
//!
//! # Results are fenced
//!
//! A claim carries a lease token ([`Claimed::lease_token`], the row's claim
//! count), and a result ([`Finish`]) names it: the store records it only
//! while the row is still `in_flight` under that token. A worker whose
//! lease expired before its result was recorded (a slow database, a paused
//! process), and whose row was released or claimed again since, changes
//! nothing ([`Marked::StaleClaim`]; the worker logs it at warn and counts
//! it as [`AttemptKind::StaleResult`]), so "one in flight per entity"
//! holds even then.
//!
//! # Logs
//!
//! Logs carry ids, plugin, shop, kind, operation, attempt and HTTP status;
//! never a payload or a token. `Debug` of the types that hold a payload
//! prints its length only.

pub mod admin;
pub mod backoff;
pub mod client;
pub mod delivery;
pub mod model;
pub mod postgres;
pub mod settings;
pub mod sqlite;
pub mod store;
pub mod timestamp;
pub mod writer;

#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use self::postgres::{PostgresError, PostgresStore};
pub use delivery::{
    AttemptEvent, AttemptKind, Credentials, DeliveryObserver, DeliverySettings, DeliveryStats,
    DeliveryStatsSnapshot, DeliveryWorker,
};
pub use model::{
    Claimed, Counts, EnqueueOutcome, EnqueueReport, EntityKind, Filter, Finish, Marked,
    NewNotification, Operation, Record, RetryReport, Selector, Status,
};
pub use settings::{Backend, BoldApiPaths, BoldApiSettings, OutboxSettings, SettingsError};
pub use sqlite::SqliteStore;
pub use store::OutboxStore;
pub use timestamp::Timestamp;
pub use writer::{GroupCommitStats, Outbox};

/// What can go wrong in the outbox. Messages never contain a payload or a
/// token.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The database could not be opened or prepared.
    #[error("cannot open the outbox database {path}: {source}")]
    Open {
        /// The database file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: Box<OutboxError>,
    },
    /// A filesystem operation failed (creating the database's directory).
    #[error("outbox I/O: {0}")]
    Io(#[from] std::io::Error),
    /// SQLite reported an error.
    #[error("outbox database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL database could not be reached or prepared.
    #[error("cannot connect to the outbox database {target}: {source}")]
    Connect {
        /// Where (host, port, database and user; never the password).
        target: String,
        /// Why.
        #[source]
        source: Box<OutboxError>,
    },
    /// The PostgreSQL connection URL cannot be used.
    #[error("the PostgreSQL URL is invalid: {0}")]
    PostgresUrl(String),
    /// PostgreSQL reported an error (its code and message; never the
    /// `DETAIL`, which may quote a row).
    #[error("outbox database: {0}")]
    Postgres(#[from] PostgresError),
    /// Every pooled PostgreSQL connection stayed busy for this long.
    #[error("no PostgreSQL connection became free within {0:?}")]
    PoolTimeout(std::time::Duration),
    /// The database was written by a newer version of the host.
    #[error(
        "outbox database schema version {found} is newer than this host supports ({supported})"
    )]
    SchemaTooNew {
        /// Version found in the database.
        found: i64,
        /// Latest version this host knows.
        supported: i64,
    },
    /// The database holds a value this host does not understand.
    #[error("outbox database holds an unexpected value: {0}")]
    Corrupt(String),
    /// The writer thread is gone (the outbox was shut down or it panicked).
    #[error("the outbox writer has stopped")]
    Closed,
    /// A blocking store call panicked or was cancelled.
    #[error("an outbox store call failed to complete: {0}")]
    Join(String),
    /// The settings are invalid.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The HTTP client could not be built.
    #[error("cannot build the Bold API client: {0}")]
    Client(String),
}
