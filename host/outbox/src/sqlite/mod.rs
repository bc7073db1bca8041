//! [`SqliteStore`]: the embedded [`OutboxStore`], one SQLite file in the
//! data directory.
//!
//! - `journal_mode = WAL` and `synchronous = FULL`: an enqueue is on disk
//!   (the WAL is fsynced) before `enqueue_batch` returns, and readers (the
//!   CLI) never block the writer. The delivery bookkeeping (claims, results,
//!   released leases) commits with `synchronous = NORMAL` (see
//!   `Durability`): losing its last commits in a power cut can only cause a
//!   resend, and it made a claim + result cycle 3× cheaper (459 → 156 µs;
//!   `cargo bench -p plugin-host-outbox --bench outbox`, `store/claim_finish`).
//! - Every write is a `BEGIN IMMEDIATE` transaction and the connection waits
//!   up to [`BUSY_TIMEOUT`] for the lock, so a second process (the CLI while
//!   the server runs) can open and use the same file; the schema migration
//!   runs in such a transaction too.
//! - One connection per store, behind a mutex: SQLite serialises writers
//!   anyway, and the group-commit writer makes enqueues one transaction per
//!   group.
//! - The file (and its `-wal`/`-shm` companions, which SQLite creates with
//!   the same mode) is created `0600` in a `0700` directory on Unix: it holds
//!   customer data.
//!
//! Why one file: every method is one SQL transaction of the same store,
//! keeping the same coalescing rules (`store`) over the same schema
//! (`schema`); splitting them would scatter one set of invariants.

pub(crate) mod schema;

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::{Type, Value};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

pub use schema::VERSION as SCHEMA_VERSION;

use super::model::ParseError;
use super::store::{Attempts, marked_status};
use super::{
    Claimed, Counts, EnqueueOutcome, Filter, Finish, Marked, NewNotification, OutboxError,
    OutboxStore, Record, RetryReport, Selector, Status, Timestamp,
};

/// How long a connection waits for another one's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The error recorded when a lease expires without a result.
const LEASE_EXPIRED: &str = "lease expired before a result was recorded";

/// The embedded outbox store.
pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Conn>,
}

/// How durable a write transaction must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Durability {
    /// `synchronous = FULL`: on disk when the commit returns (enqueues,
    /// and the operator's `retry` and `purge`).
    Full,
    /// `synchronous = NORMAL`: the delivery bookkeeping (claims, results,
    /// released leases). Losing the last of these in a power cut cannot
    /// lose a notification: a lost claim leaves the row pending, a lost
    /// result sends it again with the same idempotency key (at least
    /// once). The WAL keeps commits in order, so the next FULL commit makes
    /// them durable too.
    Normal,
    /// A read: keep whatever is set.
    Read,
}

/// The connection and its current `synchronous` level.
struct Conn {
    conn: Connection,
    full: bool,
}

impl std::ops::Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (or creates) the database at `path`, creating its directory,
    /// and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OutboxError> {
        let path = path.as_ref();
        Self::open_inner(path).map_err(|source| OutboxError::Open {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    fn open_inner(path: &Path) -> Result<Self, OutboxError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        create_private_file(path)?;
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(OutboxError::Corrupt(format!(
                "journal_mode is {mode:?}, not \"wal\""
            )));
        }
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        schema::migrate(&mut conn)?;
        Ok(Self {
            path: path.to_owned(),
            conn: Mutex::new(Conn { conn, full: true }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, set to `durability` for the transaction to come.
    fn conn(&self, durability: Durability) -> Result<MutexGuard<'_, Conn>, OutboxError> {
        // A panic while holding the lock rolled back its transaction (the
        // `Transaction` guard's drop): the connection is usable.
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let full = match durability {
            Durability::Full => true,
            Durability::Normal => false,
            Durability::Read => conn.full,
        };
        if full != conn.full {
            conn.execute_batch(if full {
                "PRAGMA synchronous = FULL;"
            } else {
                "PRAGMA synchronous = NORMAL;"
            })?;
            conn.full = full;
        }
        Ok(conn)
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates an empty `0600` file if there is none (SQLite takes an empty file
/// as a new database).
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Columns of a [`Claimed`], in [`claimed_from_row`]'s order.
const CLAIMED_COLUMNS: &str = "id, idempotency_key, plugin, shop, kind, op, platform_id, payload, \
     attempts, enqueued_at, lease_expires_at, lease_token";

/// Columns of a [`Record`], in [`record_from_row`]'s order.
const RECORD_COLUMNS: &str = "id, idempotency_key, status, plugin, shop, kind, op, platform_id, \
     updated_at, attempts, enqueued_at, next_attempt_at, lease_expires_at, last_attempt_at, \
     finished_at, last_error, length(CAST(payload AS BLOB)), lease_token";

/// True when the row (`notifications`) is its entity's newest accepted
/// state (or the entity is unknown, which never happens).
const IS_LATEST: &str = "NOT EXISTS (SELECT 1 FROM entities e \
     WHERE e.plugin = notifications.plugin AND e.shop = notifications.shop \
       AND e.kind = notifications.kind AND e.platform_id = notifications.platform_id \
       AND (e.latest_micros > notifications.updated_at_micros \
            OR (e.latest_micros = notifications.updated_at_micros AND e.latest_id > notifications.id)))";

fn word<T: FromStr<Err = ParseError>>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    text.parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

fn timestamp(row: &Row<'_>, idx: usize) -> rusqlite::Result<Timestamp> {
    row.get(idx).map(Timestamp::from_micros)
}

fn opt_timestamp(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(idx)?.map(Timestamp::from_micros))
}

fn count(row: &Row<'_>, idx: usize) -> rusqlite::Result<u32> {
    Ok(u32::try_from(row.get::<_, i64>(idx)?.max(0)).unwrap_or(u32::MAX))
}

fn claimed_from_row(row: &Row<'_>) -> rusqlite::Result<Claimed> {
    Ok(Claimed {
        id: row.get(0)?,
        idempotency_key: row.get(1)?,
        plugin: row.get(2)?,
        shop: row.get(3)?,
        kind: word(row, 4)?,
        op: word(row, 5)?,
        platform_id: row.get(6)?,
        payload: row.get(7)?,
        attempt: count(row, 8)?,
        enqueued_at: timestamp(row, 9)?,
        lease_expires_at: timestamp(row, 10)?,
        lease_token: row.get(11)?,
    })
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<Record> {
    let status: Status = word(row, 2)?;
    Ok(Record {
        id: row.get(0)?,
        idempotency_key: row.get(1)?,
        status,
        plugin: row.get(3)?,
        shop: row.get(4)?,
        kind: word(row, 5)?,
        op: word(row, 6)?,
        platform_id: row.get(7)?,
        updated_at: row.get(8)?,
        attempts: count(row, 9)?,
        enqueued_at: timestamp(row, 10)?,
        next_attempt_at: if status == Status::Pending {
            opt_timestamp(row, 11)?
        } else {
            None
        },
        lease_expires_at: opt_timestamp(row, 12)?,
        last_attempt_at: opt_timestamp(row, 13)?,
        finished_at: opt_timestamp(row, 14)?,
        last_error: row.get(15)?,
        payload_bytes: u64::try_from(row.get::<_, i64>(16)?).unwrap_or(0),
        lease_token: row.get(17)?,
    })
}

/// A `WHERE` clause built from optional filters, with positional `?`
/// parameters.
#[derive(Debug, Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    fn push(&mut self, clause: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.clauses.push(clause.into());
        self.params.extend(params);
    }

    fn text(&mut self, column: &str, value: Option<&String>) {
        if let Some(value) = value {
            self.push(format!("{column} = ?"), [Value::Text(value.clone())]);
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// Moves a row back to pending from `from` (due `next`), or supersedes it if
/// its entity has a newer state; from `in_flight`, only under the claim
/// `lease_token`. Returns the new status, or `None` if the row was not in
/// `from` (under that claim).
#[allow(clippy::too_many_arguments)]
fn back_to_pending(
    tx: &Transaction<'_>,
    id: i64,
    from: Status,
    lease_token: Option<i64>,
    next: Timestamp,
    error: Option<&str>,
    attempts: Attempts,
    now: Timestamp,
) -> Result<Option<Status>, OutboxError> {
    let sql = format!(
        "UPDATE notifications SET \
           status = CASE WHEN {IS_LATEST} THEN 'pending' ELSE 'superseded' END, \
           finished_at = CASE WHEN {IS_LATEST} THEN NULL ELSE ?4 END, \
           next_attempt_at = ?2, lease_expires_at = NULL, \
           last_error = coalesce(?3, last_error), \
           attempts = CASE ?5 WHEN 2 THEN 0 WHEN 1 THEN max(attempts - 1, 0) ELSE attempts END \
         WHERE id = ?1 AND status = ?6 AND (?7 IS NULL OR lease_token = ?7) RETURNING status"
    );
    let mut stmt = tx.prepare_cached(&sql)?;
    let status = stmt
        .query_row(
            params![
                id,
                next.as_micros(),
                error,
                now.as_micros(),
                attempts.code(),
                from.as_str(),
                lease_token
            ],
            |row| word::<Status>(row, 0),
        )
        .optional()?;
    Ok(status)
}

impl OutboxStore for SqliteStore {
    fn enqueue_batch(
        &self,
        batch: &[NewNotification],
        now: Timestamp,
    ) -> Result<Vec<EnqueueOutcome>, OutboxError> {
        let mut conn = self.conn(Durability::Full)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(batch.len());
        {
            let mut find_key =
                tx.prepare_cached("SELECT id FROM notifications WHERE idempotency_key = ?1")?;
            let mut latest = tx.prepare_cached(
                "SELECT latest_micros FROM entities \
                 WHERE plugin = ?1 AND shop = ?2 AND kind = ?3 AND platform_id = ?4",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO notifications (idempotency_key, plugin, shop, kind, op, platform_id, \
                   updated_at, updated_at_micros, payload, status, enqueued_at, next_attempt_at, \
                   finished_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
            )?;
            let mut supersede = tx.prepare_cached(
                "UPDATE notifications SET status = 'superseded', finished_at = ?5 \
                 WHERE plugin = ?1 AND shop = ?2 AND kind = ?3 AND platform_id = ?4 \
                   AND status = 'pending'",
            )?;
            let mut set_latest = tx.prepare_cached(
                "INSERT INTO entities (plugin, shop, kind, platform_id, latest_micros, latest_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (plugin, shop, kind, platform_id) DO UPDATE \
                 SET latest_micros = excluded.latest_micros, latest_id = excluded.latest_id",
            )?;
            for n in batch {
                let key = n.idempotency_key();
                if let Some(id) = find_key.query_row([&key], |row| row.get(0)).optional()? {
                    outcomes.push(EnqueueOutcome::Duplicate { id });
                    continue;
                }
                let entity = params![n.plugin, n.shop, n.kind.as_str(), n.platform_id];
                let newest: Option<i64> = latest.query_row(entity, |row| row.get(0)).optional()?;
                let stale = newest.is_some_and(|m| m > n.updated_at_micros);
                let (status, finished_at) = if stale {
                    (Status::Superseded, Some(now.as_micros()))
                } else {
                    (Status::Pending, None)
                };
                let superseded = if stale {
                    0
                } else {
                    supersede.execute(params![
                        n.plugin,
                        n.shop,
                        n.kind.as_str(),
                        n.platform_id,
                        now.as_micros()
                    ])? as u64
                };
                insert.execute(params![
                    key,
                    n.plugin,
                    n.shop,
                    n.kind.as_str(),
                    n.op.as_str(),
                    n.platform_id,
                    n.updated_at,
                    n.updated_at_micros,
                    n.payload,
                    status.as_str(),
                    now.as_micros(),
                    finished_at,
                ])?;
                let id = tx.last_insert_rowid();
                if stale {
                    outcomes.push(EnqueueOutcome::Stale { id });
                } else {
                    set_latest.execute(params![
                        n.plugin,
                        n.shop,
                        n.kind.as_str(),
                        n.platform_id,
                        n.updated_at_micros,
                        id
                    ])?;
                    outcomes.push(EnqueueOutcome::Queued { id, superseded });
                }
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }

    fn claim_due(
        &self,
        now: Timestamp,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, OutboxError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.conn(Durability::Normal)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut claimed = Vec::new();
        {
            let mut due = tx.prepare_cached(
                // Without statistics the planner prefers the status index and
                // sorts every pending row on each claim (2.5 ms at 5,000
                // pending); the partial index is already in due order.
                "SELECT n.id, n.plugin, n.shop, n.kind, n.platform_id \
                 FROM notifications n INDEXED BY notifications_due \
                 WHERE n.status = 'pending' AND n.next_attempt_at <= ?1 \
                   AND NOT EXISTS (SELECT 1 FROM notifications f \
                     WHERE f.status = 'in_flight' AND f.plugin = n.plugin AND f.shop = n.shop \
                       AND f.kind = n.kind AND f.platform_id = n.platform_id) \
                 ORDER BY n.next_attempt_at, n.id LIMIT ?2",
            )?;
            let rows = due
                .query_map(
                    params![now.as_micros(), i64::try_from(limit).unwrap_or(i64::MAX)],
                    |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            (
                                row.get::<_, String>(1)?,
                                row.get::<_, String>(2)?,
                                row.get::<_, String>(3)?,
                                row.get::<_, String>(4)?,
                            ),
                        ))
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            let mut claim = tx.prepare_cached(&format!(
                "UPDATE notifications SET status = 'in_flight', attempts = attempts + 1, \
                   lease_token = lease_token + 1, lease_expires_at = ?2, last_attempt_at = ?3 \
                 WHERE id = ?1 AND status = 'pending' RETURNING {CLAIMED_COLUMNS}"
            ))?;
            let lease_until = now.saturating_add(lease).as_micros();
            let mut entities = HashSet::new();
            for (id, entity) in rows {
                // At most one pending row per entity exists; this keeps the
                // claim correct even if that ever changes.
                if !entities.insert(entity) {
                    continue;
                }
                let row = claim
                    .query_row(params![id, lease_until, now.as_micros()], claimed_from_row)
                    .optional()?;
                claimed.extend(row);
            }
        }
        tx.commit()?;
        Ok(claimed)
    }

    fn finish(&self, results: &[Finish], now: Timestamp) -> Result<Vec<Marked>, OutboxError> {
        let mut conn = self.conn(Durability::Normal)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut marked = Vec::with_capacity(results.len());
        {
            // Only under the claim that holds the row (its lease token).
            let mut end = tx.prepare_cached(
                "UPDATE notifications SET status = ?2, finished_at = ?3, lease_expires_at = NULL, \
                   last_error = ?4 \
                 WHERE id = ?1 AND status = 'in_flight' AND lease_token = ?5",
            )?;
            for result in results {
                let (id, token) = (result.id(), result.lease_token());
                let (status, error, next, attempts) = match result {
                    Finish::Delivered { .. } => (Status::Delivered, None, None, Attempts::Keep),
                    Finish::Dead { error, .. } => (Status::Dead, Some(error), None, Attempts::Keep),
                    Finish::Retry {
                        next_attempt_at,
                        error,
                        ..
                    } => (
                        Status::Pending,
                        Some(error),
                        Some(*next_attempt_at),
                        Attempts::Keep,
                    ),
                    Finish::Deferred {
                        next_attempt_at,
                        error,
                        ..
                    } => (
                        Status::Pending,
                        Some(error),
                        Some(*next_attempt_at),
                        Attempts::Uncount,
                    ),
                };
                marked.push(match next {
                    Some(next) => marked_status(back_to_pending(
                        &tx,
                        id,
                        Status::InFlight,
                        Some(token),
                        next,
                        error.map(String::as_str),
                        attempts,
                        now,
                    )?),
                    None => {
                        let changed = end.execute(params![
                            id,
                            status.as_str(),
                            now.as_micros(),
                            error,
                            token
                        ])?;
                        if changed == 1 {
                            Marked::Applied
                        } else {
                            Marked::StaleClaim
                        }
                    }
                });
            }
        }
        tx.commit()?;
        Ok(marked)
    }

    fn release_expired_leases(&self, now: Timestamp) -> Result<u64, OutboxError> {
        self.release_leases(now, now)
    }

    fn release_all_leases(&self, now: Timestamp) -> Result<u64, OutboxError> {
        self.release_leases(Timestamp::from_micros(i64::MAX), now)
    }

    fn next_due_at(&self) -> Result<Option<Timestamp>, OutboxError> {
        let conn = self.conn(Durability::Read)?;
        let next: Option<i64> = conn
            .query_row(
                "SELECT next_attempt_at FROM notifications INDEXED BY notifications_due \
             WHERE status = 'pending' ORDER BY next_attempt_at LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(next.map(Timestamp::from_micros))
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Record>, OutboxError> {
        let mut w = Where::default();
        if let Some(status) = filter.status {
            w.push("status = ?", [Value::Text(status.as_str().into())]);
        }
        w.text("plugin", filter.plugin.as_ref());
        w.text("shop", filter.shop.as_ref());
        let mut sql = format!(
            "SELECT {RECORD_COLUMNS} FROM notifications{} ORDER BY id DESC",
            w.sql()
        );
        if let Some(limit) = filter.limit {
            sql.push_str(" LIMIT ?");
            w.params
                .push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        }
        let conn = self.conn(Durability::Read)?;
        let mut stmt = conn.prepare(&sql)?;
        let records = stmt
            .query_map(rusqlite::params_from_iter(w.params), record_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(records)
    }

    fn retry(&self, selector: &Selector, now: Timestamp) -> Result<RetryReport, OutboxError> {
        let mut conn = self.conn(Durability::Full)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut report = RetryReport::default();
        let mut w = Where::default();
        w.text("plugin", selector.plugin.as_ref());
        w.text("shop", selector.shop.as_ref());
        let candidates: Vec<(i64, Status)> = match &selector.ids {
            Some(ids) => {
                w.push("id = ?", []);
                let sql = format!("SELECT id, status FROM notifications{}", w.sql());
                let mut stmt = tx.prepare(&sql)?;
                let mut found = Vec::new();
                for &id in ids {
                    let mut params = w.params.clone();
                    params.push(Value::Integer(id));
                    let row = stmt
                        .query_row(rusqlite::params_from_iter(params), |row| {
                            Ok((row.get(0)?, word(row, 1)?))
                        })
                        .optional()?;
                    match row {
                        Some(row) => found.push(row),
                        None => report.not_found.push(id),
                    }
                }
                found
            }
            None => {
                w.push("status = 'dead'", []);
                let sql = format!(
                    "SELECT id, status FROM notifications{} ORDER BY id",
                    w.sql()
                );
                let mut stmt = tx.prepare(&sql)?;
                stmt.query_map(rusqlite::params_from_iter(w.params), |row| {
                    Ok((row.get(0)?, word(row, 1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?
            }
        };
        for (id, status) in candidates {
            if status != Status::Dead {
                report.skipped.push((id, status));
                continue;
            }
            match back_to_pending(&tx, id, Status::Dead, None, now, None, Attempts::Reset, now)? {
                Some(Status::Pending) => report.retried.push(id),
                Some(_) => report.superseded.push(id),
                None => report.skipped.push((id, status)),
            }
        }
        tx.commit()?;
        Ok(report)
    }

    fn purge(&self, selector: &Selector) -> Result<u64, OutboxError> {
        let statuses: Vec<Status> = if selector.statuses.is_empty() {
            Status::ALL
                .into_iter()
                .filter(|s| s.is_finished())
                .collect()
        } else {
            selector
                .statuses
                .iter()
                .copied()
                .filter(|s| s.is_finished())
                .collect()
        };
        if statuses.is_empty() {
            return Ok(0);
        }
        let mut w = Where::default();
        let marks = vec!["?"; statuses.len()].join(", ");
        w.push(
            format!("status IN ({marks})"),
            statuses.iter().map(|s| Value::Text(s.as_str().into())),
        );
        w.text("plugin", selector.plugin.as_ref());
        w.text("shop", selector.shop.as_ref());
        if let Some(before) = selector.finished_before {
            w.push("finished_at < ?", [Value::Integer(before.as_micros())]);
        }
        let mut conn = self.conn(Durability::Full)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = match &selector.ids {
            Some(ids) => {
                w.push("id = ?", []);
                let mut stmt = tx.prepare(&format!("DELETE FROM notifications{}", w.sql()))?;
                let mut deleted = 0;
                for &id in ids {
                    let mut params = w.params.clone();
                    params.push(Value::Integer(id));
                    deleted += stmt.execute(rusqlite::params_from_iter(params))?;
                }
                deleted
            }
            None => tx.execute(
                &format!("DELETE FROM notifications{}", w.sql()),
                rusqlite::params_from_iter(w.params),
            )?,
        };
        tx.commit()?;
        Ok(deleted as u64)
    }

    fn purge_finished(&self, finished_before: Timestamp, limit: usize) -> Result<u64, OutboxError> {
        if limit == 0 {
            return Ok(0);
        }
        // Housekeeping, like the delivery bookkeeping: a purge lost in a
        // power cut is done again by the next one.
        let mut conn = self.conn(Durability::Normal)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let deleted = tx
            .prepare_cached(
                "DELETE FROM notifications WHERE id IN ( \
                   SELECT id FROM notifications INDEXED BY notifications_finished \
                   WHERE status IN ('delivered', 'superseded') AND finished_at < ?1 \
                   ORDER BY finished_at, id LIMIT ?2)",
            )?
            .execute(params![
                finished_before.as_micros(),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ])?;
        tx.commit()?;
        Ok(deleted as u64)
    }

    fn counts(&self) -> Result<Counts, OutboxError> {
        let conn = self.conn(Durability::Read)?;
        let mut stmt =
            conn.prepare_cached("SELECT status, count(*) FROM notifications GROUP BY status")?;
        let rows = stmt
            .query_map([], |row| {
                Ok((word::<Status>(row, 0)?, row.get::<_, i64>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut counts = Counts::default();
        for (status, n) in rows {
            *counts.get_mut(status) = u64::try_from(n).unwrap_or(0);
        }
        Ok(counts)
    }
}

impl SqliteStore {
    /// Releases the `in_flight` rows whose lease ends at or before
    /// `expired_by`; they become due at `now`.
    fn release_leases(&self, expired_by: Timestamp, now: Timestamp) -> Result<u64, OutboxError> {
        let mut conn = self.conn(Durability::Normal)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            &format!(
                "UPDATE notifications SET \
                   status = CASE WHEN {IS_LATEST} THEN 'pending' ELSE 'superseded' END, \
                   finished_at = CASE WHEN {IS_LATEST} THEN NULL ELSE ?1 END, \
                   next_attempt_at = ?1, lease_expires_at = NULL, last_error = ?2 \
                 WHERE status = 'in_flight' AND lease_expires_at <= ?3"
            ),
            params![now.as_micros(), LEASE_EXPIRED, expired_by.as_micros()],
        )?;
        tx.commit()?;
        Ok(changed as u64)
    }
}
