//! [`PostgresStore`]: the [`OutboxStore`] on one PostgreSQL database that
//! several hosts share.
//!
//! - The rules are the SQLite backend's (see [`OutboxStore`]); the database
//!   enforces them across hosts: claims take rows with `FOR UPDATE SKIP
//!   LOCKED`, so two hosts never claim the same row; a partial unique index
//!   allows one `in_flight` row per entity, and a claim that loses that race
//!   is retried; enqueues of one entity are serialised by a row lock on the
//!   entity's "newest state" row (see `sql` for the lock order).
//! - Leases expire by time: a host that stops or crashes with rows in
//!   flight leaves them to [`release_expired_leases`](OutboxStore::release_expired_leases),
//!   which every host's delivery worker runs periodically.
//!   [`release_all_leases`](OutboxStore::release_all_leases) exists for the
//!   trait, but `serve` never calls it on this backend: another host may be
//!   delivering those rows.
//! - `now` comes from the caller: hosts keep their clocks in sync (NTP);
//!   skew shortens or lengthens leases by as much.
//! - Blocking: the `postgres` client runs its own tokio runtime, so every
//!   method (and [`connect`](PostgresStore::connect)) must run on a thread
//!   that is not running async code, which is how the outbox calls a store
//!   (its writer thread, `spawn_blocking`). Dropping the store inside a
//!   runtime is safe (see `pool`).
//! - A transaction that PostgreSQL aborts as a deadlock or serialisation
//!   failure is retried (up to [`MAX_TRIES`] times), and so is one that
//!   finds its pooled connection closed before it did anything (a restarted
//!   server).
//! - No TLS: the connection is plain (a unix socket or a trusted network).
//!   TLS would need the `postgres-native-tls` or `postgres-rustls` crate as
//!   the connector; a URL that requires it (`sslmode=require`) is refused.
//! - The URL holds a password: [`Debug`] and errors show the target
//!   (`postgresql://user:***@host:port/dbname`), never the password.
//!
//! Why one file: every method is one SQL transaction of the same store,
//! keeping the same coalescing rules (`store`) as the SQLite backend; the
//! statements are in `sql`, the schema in `schema`, the connection pool in
//! `pool`.

mod pool;
pub(crate) mod schema;
mod sql;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::types::ToSql;
use postgres::{Client, Config, Row, Transaction};

pub use schema::{MIGRATION_LOCK, VERSION as SCHEMA_VERSION};

use self::pool::{Failed, Pool, Statements, prepared};
use super::model::ParseError;
use super::store::{Attempts, marked_status};
use super::{
    Claimed, Counts, EnqueueOutcome, Filter, Finish, Marked, NewNotification, OutboxError,
    OutboxStore, Record, RetryReport, Selector, SettingsError, Status, Timestamp,
};

/// How many times a transaction is tried when PostgreSQL aborts it as a
/// deadlock, a serialisation failure, or (for a claim) a lost race for an
/// entity.
pub const MAX_TRIES: u32 = 5;

/// Connect timeout when the URL sets none.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The error recorded when a lease expires without a result.
const LEASE_EXPIRED: &str = "lease expired before a result was recorded";

/// SQLSTATEs after which a transaction is tried again.
const DEADLOCK: &str = "40P01";
const SERIALIZATION_FAILURE: &str = "40001";
const UNIQUE_VIOLATION: &str = "23505";

/// A PostgreSQL error as the outbox reports it: severity, SQLSTATE and
/// message for a database error, the client's text for the others. Never
/// the `DETAIL`, which may quote a row (and so a payload).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PostgresError {
    code: Option<String>,
    message: String,
}

impl PostgresError {
    /// The SQLSTATE, for a database error.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
}

impl From<postgres::Error> for PostgresError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => Self {
                code: Some(db.code().code().to_owned()),
                message: format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
            },
            None => Self {
                code: e.code().map(|c| c.code().to_owned()),
                message: e.to_string(),
            },
        }
    }
}

impl From<postgres::Error> for OutboxError {
    fn from(e: postgres::Error) -> Self {
        Self::Postgres(e.into())
    }
}

/// The outbox store on PostgreSQL (see the module docs).
pub struct PostgresStore {
    target: String,
    pool: Pool,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .field("pool", &self.pool)
            .finish()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgresql://user:password@host:port/dbname`
    /// or `host=… user=…` parameters; a unix socket is a host that is a
    /// path), keeping at most `pool_size` connections, and brings its schema
    /// up to date (safe while other hosts do the same). Blocking: never call
    /// it from async code.
    pub fn connect(url: &str, pool_size: usize) -> Result<Self, OutboxError> {
        let mut config = Config::from_str(url).map_err(|e| {
            // The parser's messages name the option, never its value.
            OutboxError::PostgresUrl(PostgresError::from(e).to_string())
        })?;
        let target = describe(&config);
        let connect_error = |source| OutboxError::Connect {
            target: target.clone(),
            source: Box::new(source),
        };
        Self::prepare(&mut config, pool_size).map_err(connect_error)?;
        let store = Self {
            pool: Pool::new(config, pool_size),
            target: target.clone(),
        };
        store.migrate().map_err(connect_error)?;
        Ok(store)
    }

    /// Checks and completes the connection settings.
    fn prepare(config: &mut Config, pool_size: usize) -> Result<(), OutboxError> {
        if pool_size == 0 {
            return Err(SettingsError::Zero {
                field: "outbox.postgres_pool_size",
            }
            .into());
        }
        if config.get_ssl_mode() == SslMode::Require {
            return Err(OutboxError::PostgresUrl(
                "sslmode=require needs TLS, which this build does not include \
                 (it connects in plain text)"
                    .into(),
            ));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("plugin-host");
        }
        config.notice_callback(|notice| {
            tracing::debug!(
                code = notice.code().code(),
                message = notice.message(),
                "outbox: PostgreSQL notice"
            );
        });
        Ok(())
    }

    fn migrate(&self) -> Result<(), OutboxError> {
        let mut lease = self.pool.get()?;
        lease
            .read(&mut |client, _| schema::migrate(client))
            .map_err(|f| match f {
                Failed::Reconnect(e) | Failed::Other(e) => e,
            })
    }

    /// Where the store is connected: `postgresql://user:***@host:port/dbname`
    /// (never the password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `body` in a transaction, trying again on a deadlock, a
    /// serialisation failure, a closed connection found at `BEGIN`, and
    /// (with `retry_unique`) a unique violation.
    fn write<T>(
        &self,
        retry_unique: bool,
        mut body: impl FnMut(&mut Transaction<'_>, &mut Statements) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let result = self.pool.get()?.transaction(&mut body);
            match result {
                Ok(value) => return Ok(value),
                Err(Failed::Reconnect(e)) => {
                    if tries >= MAX_TRIES {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, "outbox: PostgreSQL connection closed, reconnecting");
                }
                Err(Failed::Other(e)) => {
                    if tries >= MAX_TRIES || !retryable(&e, retry_unique) {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, tries, "outbox: PostgreSQL transaction retried");
                    let pause = fastrand::u64(1..=5 * u64::from(tries));
                    std::thread::sleep(Duration::from_millis(pause));
                }
            }
        }
    }

    /// Runs a read, trying again once on a closed connection.
    fn read<T>(
        &self,
        mut body: impl FnMut(&mut Client, &mut Statements) -> Result<T, OutboxError>,
    ) -> Result<T, OutboxError> {
        match self.pool.get()?.read(&mut body) {
            Ok(value) => Ok(value),
            Err(Failed::Reconnect(_)) => self
                .pool
                .get()?
                .read(&mut body)
                .map_err(|(Failed::Reconnect(e) | Failed::Other(e))| e),
            Err(Failed::Other(e)) => Err(e),
        }
    }
}

/// Whether a failed transaction is worth another try.
fn retryable(e: &OutboxError, retry_unique: bool) -> bool {
    match e {
        OutboxError::Postgres(pg) => match pg.code() {
            Some(DEADLOCK | SERIALIZATION_FAILURE) => true,
            Some(UNIQUE_VIOLATION) => retry_unique,
            _ => false,
        },
        _ => false,
    }
}

/// `postgresql://user:***@host:port/dbname`, without the password.
fn describe(config: &Config) -> String {
    let mut text = String::from("postgresql://");
    if let Some(user) = config.get_user() {
        text.push_str(user);
        if config.get_password().is_some() {
            text.push_str(":***");
        }
        text.push('@');
    }
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let name = match host {
                Host::Tcp(name) => name.clone(),
                Host::Unix(path) => path.display().to_string(),
            };
            match ports.get(i).or(ports.first()) {
                Some(port) => format!("{name}:{port}"),
                None => name,
            }
        })
        .collect();
    text.push_str(&hosts.join(","));
    text.push('/');
    text.push_str(config.get_dbname().unwrap_or_default());
    text
}

/// An entity key as strings: (plugin, shop, kind, platform_id).
type EntityKey = (String, String, String, String);

fn entity_of(n: &NewNotification) -> EntityKey {
    (
        n.plugin.clone(),
        n.shop.clone(),
        n.kind.as_str().to_owned(),
        n.platform_id.clone(),
    )
}

fn get<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T, OutboxError> {
    row.try_get(idx).map_err(OutboxError::from)
}

fn word<T: FromStr<Err = ParseError>>(row: &Row, idx: usize) -> Result<T, OutboxError> {
    let text: &str = get(row, idx)?;
    text.parse()
        .map_err(|e: ParseError| OutboxError::Corrupt(e.to_string()))
}

fn timestamp(row: &Row, idx: usize) -> Result<Timestamp, OutboxError> {
    get(row, idx).map(Timestamp::from_micros)
}

fn opt_timestamp(row: &Row, idx: usize) -> Result<Option<Timestamp>, OutboxError> {
    Ok(get::<Option<i64>>(row, idx)?.map(Timestamp::from_micros))
}

fn count(row: &Row, idx: usize) -> Result<u32, OutboxError> {
    Ok(u32::try_from(get::<i32>(row, idx)?.max(0)).unwrap_or(u32::MAX))
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn claimed_from_row(row: &Row) -> Result<(Claimed, i64), OutboxError> {
    let claimed = Claimed {
        id: get(row, 0)?,
        idempotency_key: get(row, 1)?,
        plugin: get(row, 2)?,
        shop: get(row, 3)?,
        kind: word(row, 4)?,
        op: word(row, 5)?,
        platform_id: get(row, 6)?,
        payload: get(row, 7)?,
        attempt: count(row, 8)?,
        enqueued_at: timestamp(row, 9)?,
        lease_expires_at: timestamp(row, 10)?,
        lease_token: get(row, 11)?,
    };
    Ok((claimed, get(row, 12)?))
}

fn record_from_row(row: &Row) -> Result<Record, OutboxError> {
    let status: Status = word(row, 2)?;
    Ok(Record {
        id: get(row, 0)?,
        idempotency_key: get(row, 1)?,
        status,
        plugin: get(row, 3)?,
        shop: get(row, 4)?,
        kind: word(row, 5)?,
        op: word(row, 6)?,
        platform_id: get(row, 7)?,
        updated_at: get(row, 8)?,
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
        last_error: get(row, 15)?,
        payload_bytes: u64::try_from(get::<i64>(row, 16)?).unwrap_or(0),
        lease_token: get(row, 17)?,
    })
}

/// A `WHERE` clause built from optional filters, with `$n` parameters.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync>>,
}

impl Where {
    /// Adds `clause`, in which `$?` stands for the parameter `value`.
    fn push(&mut self, clause: &str, value: Box<dyn ToSql + Sync>) {
        self.params.push(value);
        let n = self.params.len();
        self.clauses.push(clause.replace("$?", &format!("${n}")));
    }

    fn text(&mut self, column: &str, value: Option<&String>) {
        if let Some(value) = value {
            self.push(&format!("{column} = $?"), Box::new(value.clone()));
        }
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref()).collect()
    }
}

/// Share-locks the entities of `ids` (see `sql`).
fn share_entities(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    ids: &[i64],
) -> Result<(), OutboxError> {
    if ids.is_empty() {
        return Ok(());
    }
    let statement = prepared(tx, statements, sql::SHARE_ENTITIES)?;
    tx.execute(&statement, &[&ids])?;
    Ok(())
}

/// Ends one in-flight row, still under the claim `lease_token`, as
/// delivered or dead.
fn end_one(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    (id, lease_token): (i64, i64),
    status: Status,
    error: Option<&str>,
    now: Timestamp,
) -> Result<Marked, OutboxError> {
    let end = prepared(tx, statements, sql::END)?;
    let (ids, statuses, errors, tokens) = (
        vec![id],
        vec![status.as_str()],
        vec![error],
        vec![lease_token],
    );
    let rows = tx.query(&end, &[&now.as_micros(), &ids, &statuses, &errors, &tokens])?;
    Ok(if rows.is_empty() {
        Marked::StaleClaim
    } else {
        Marked::Applied
    })
}

/// Moves row `id` from `from` (under the claim `lease_token`, if given)
/// back to pending, or supersedes it (its entity share-locked already).
/// Returns the new status, or `None` if the row was not in `from` (under
/// that claim).
#[allow(clippy::too_many_arguments)]
fn back_to_pending(
    tx: &mut Transaction<'_>,
    statements: &mut Statements,
    id: i64,
    from: Status,
    lease_token: Option<i64>,
    next: Timestamp,
    error: Option<&str>,
    attempts: Attempts,
    now: Timestamp,
) -> Result<Option<Status>, OutboxError> {
    let statement = prepared(tx, statements, sql::BACK_TO_PENDING)?;
    let row = tx.query_opt(
        &statement,
        &[
            &id,
            &next.as_micros(),
            &error,
            &now.as_micros(),
            &attempts.code(),
            &from.as_str(),
            &lease_token,
        ],
    )?;
    row.map(|row| word(&row, 0)).transpose()
}

impl OutboxStore for PostgresStore {
    fn enqueue_batch(
        &self,
        batch: &[NewNotification],
        now: Timestamp,
    ) -> Result<Vec<EnqueueOutcome>, OutboxError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = batch.iter().map(NewNotification::idempotency_key).collect();
        let entities: BTreeSet<EntityKey> = batch.iter().map(entity_of).collect();
        let mut columns: [Vec<&str>; 4] = Default::default();
        for (plugin, shop, kind, platform_id) in &entities {
            columns[0].push(plugin);
            columns[1].push(shop);
            columns[2].push(kind);
            columns[3].push(platform_id);
        }
        self.write(false, |tx, statements| {
            // Lock every entity of the batch first, in key order.
            let lock = prepared(tx, statements, sql::LOCK_ENTITIES)?;
            let mut newest: HashMap<EntityKey, Option<i64>> = HashMap::new();
            for row in tx.query(&lock, &[&columns[0], &columns[1], &columns[2], &columns[3]])? {
                let key = (get(&row, 0)?, get(&row, 1)?, get(&row, 2)?, get(&row, 3)?);
                newest.insert(key, get(&row, 4)?);
            }
            let insert = prepared(tx, statements, sql::INSERT)?;
            let find_key = prepared(tx, statements, sql::FIND_KEY)?;
            let mut outcomes = Vec::with_capacity(batch.len());
            for (n, key) in batch.iter().zip(&keys) {
                let entity = entity_of(n);
                let latest = newest.get(&entity).copied().flatten();
                let stale = latest.is_some_and(|m| m > n.updated_at_micros);
                let (status, finished_at) = if stale {
                    (Status::Superseded, Some(now.as_micros()))
                } else {
                    (Status::Pending, None)
                };
                let row = tx.query_one(
                    &insert,
                    &[
                        key,
                        &n.plugin,
                        &n.shop,
                        &n.kind.as_str(),
                        &n.op.as_str(),
                        &n.platform_id,
                        &n.updated_at,
                        &n.updated_at_micros,
                        &n.payload,
                        &status.as_str(),
                        &now.as_micros(),
                        &finished_at,
                    ],
                )?;
                let id: Option<i64> = get(&row, 0)?;
                let Some(id) = id else {
                    let row = tx.query_one(&find_key, &[key])?;
                    outcomes.push(EnqueueOutcome::Duplicate { id: get(&row, 0)? });
                    continue;
                };
                if stale {
                    outcomes.push(EnqueueOutcome::Stale { id });
                } else {
                    let superseded = u64::try_from(get::<i64>(&row, 1)?).unwrap_or(0);
                    newest.insert(entity, Some(n.updated_at_micros));
                    outcomes.push(EnqueueOutcome::Queued { id, superseded });
                }
            }
            Ok(outcomes)
        })
    }

    fn claim_due(
        &self,
        now: Timestamp,
        limit_rows: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, OutboxError> {
        if limit_rows == 0 {
            return Ok(Vec::new());
        }
        let lease_until = now.saturating_add(lease).as_micros();
        // One statement: a unique violation (another host claimed a row of
        // the same entity at the same moment) aborts it, and the next try
        // sees that row in flight and skips the entity.
        let mut rows = self.write(true, |tx, statements| {
            // Walk the due index in order and stop after `limit` rows, even
            // when the statistics say few rows are pending (a queue's
            // statistics are often stale): otherwise the planner may sort
            // every due row on each claim.
            tx.batch_execute(sql::CLAIM_SETTINGS)?;
            let claim = prepared(tx, statements, sql::CLAIM)?;
            tx.query(
                &claim,
                &[&now.as_micros(), &limit(limit_rows), &lease_until],
            )?
            .iter()
            .map(claimed_from_row)
            .collect::<Result<Vec<_>, _>>()
        })?;
        rows.sort_by_key(|(claimed, due)| (*due, claimed.id));
        Ok(rows.into_iter().map(|(claimed, _)| claimed).collect())
    }

    fn finish(&self, results: &[Finish], now: Timestamp) -> Result<Vec<Marked>, OutboxError> {
        let retries: Vec<i64> = results
            .iter()
            .filter(|r| r.is_retry())
            .map(Finish::id)
            .collect();
        let distinct =
            results.iter().map(Finish::id).collect::<HashSet<_>>().len() == results.len();
        self.write(false, |tx, statements| {
            share_entities(tx, statements, &retries)?;
            let mut marked: Vec<Option<Marked>> = vec![None; results.len()];
            if distinct {
                // Every delivered and dead row in one statement.
                let mut ends: [Vec<Option<&str>>; 2] = Default::default();
                let (mut ids, mut tokens) = (Vec::new(), Vec::new());
                for result in results {
                    let (status, error) = match result {
                        Finish::Delivered { .. } => (Status::Delivered, None),
                        Finish::Dead { error, .. } => (Status::Dead, Some(error.as_str())),
                        Finish::Retry { .. } | Finish::Deferred { .. } => continue,
                    };
                    ids.push(result.id());
                    tokens.push(result.lease_token());
                    ends[0].push(Some(status.as_str()));
                    ends[1].push(error);
                }
                if !ids.is_empty() {
                    let end = prepared(tx, statements, sql::END)?;
                    let applied: HashSet<i64> = tx
                        .query(&end, &[&now.as_micros(), &ids, &ends[0], &ends[1], &tokens])?
                        .iter()
                        .map(|row| get(row, 0))
                        .collect::<Result<_, _>>()?;
                    for (slot, result) in marked.iter_mut().zip(results) {
                        if !result.is_retry() {
                            *slot = Some(if applied.contains(&result.id()) {
                                Marked::Applied
                            } else {
                                Marked::StaleClaim
                            });
                        }
                    }
                }
            }
            for (slot, result) in marked.iter_mut().zip(results) {
                if slot.is_some() {
                    continue;
                }
                // Retries, and every result when an id repeats (then in
                // order, one statement each, as the first result of an id
                // ends its flight).
                let claim = (result.id(), result.lease_token());
                let (next_attempt_at, error, attempts) = match result {
                    Finish::Delivered { .. } => {
                        *slot = Some(end_one(
                            tx,
                            statements,
                            claim,
                            Status::Delivered,
                            None,
                            now,
                        )?);
                        continue;
                    }
                    Finish::Dead { error, .. } => {
                        *slot = Some(end_one(
                            tx,
                            statements,
                            claim,
                            Status::Dead,
                            Some(error),
                            now,
                        )?);
                        continue;
                    }
                    Finish::Retry {
                        next_attempt_at,
                        error,
                        ..
                    } => (next_attempt_at, error, Attempts::Keep),
                    Finish::Deferred {
                        next_attempt_at,
                        error,
                        ..
                    } => (next_attempt_at, error, Attempts::Uncount),
                };
                let status = back_to_pending(
                    tx,
                    statements,
                    claim.0,
                    Status::InFlight,
                    Some(claim.1),
                    *next_attempt_at,
                    Some(error),
                    attempts,
                    now,
                )?;
                *slot = Some(marked_status(status));
            }
            Ok(marked.into_iter().flatten().collect())
        })
    }

    fn release_expired_leases(&self, now: Timestamp) -> Result<u64, OutboxError> {
        self.release_leases(now, now)
    }

    /// Releases every lease, whatever its expiry. Never called by `serve`
    /// on this backend: other hosts may be delivering those rows right now.
    fn release_all_leases(&self, now: Timestamp) -> Result<u64, OutboxError> {
        self.release_leases(Timestamp::from_micros(i64::MAX), now)
    }

    fn next_due_at(&self) -> Result<Option<Timestamp>, OutboxError> {
        self.read(|client, statements| {
            let next_due = prepared(client, statements, sql::NEXT_DUE)?;
            let row = client.query_one(&next_due, &[])?;
            Ok(get::<Option<i64>>(&row, 0)?.map(Timestamp::from_micros))
        })
    }

    fn list(&self, filter: &Filter) -> Result<Vec<Record>, OutboxError> {
        let mut w = Where::default();
        if let Some(status) = filter.status {
            w.push("status = $?", Box::new(status.as_str()));
        }
        w.text("plugin", filter.plugin.as_ref());
        w.text("shop", filter.shop.as_ref());
        let mut query = format!(
            "SELECT {} FROM outbox_notifications{} ORDER BY id DESC",
            sql::RECORD_COLUMNS,
            w.sql()
        );
        if let Some(n) = filter.limit {
            w.params.push(Box::new(limit(n)));
            query.push_str(&format!(" LIMIT ${}", w.params.len()));
        }
        self.read(|client, _| {
            client
                .query(query.as_str(), &w.params())?
                .iter()
                .map(record_from_row)
                .collect()
        })
    }

    fn retry(&self, selector: &Selector, now: Timestamp) -> Result<RetryReport, OutboxError> {
        let mut w = Where::default();
        w.text("plugin", selector.plugin.as_ref());
        w.text("shop", selector.shop.as_ref());
        match &selector.ids {
            Some(ids) => w.push("id = ANY($?)", Box::new(ids.clone())),
            None => w.clauses.push("status = 'dead'".into()),
        }
        let query = format!(
            "SELECT id, status FROM outbox_notifications{} ORDER BY id FOR UPDATE",
            w.sql()
        );
        self.write(false, |tx, statements| {
            let mut report = RetryReport::default();
            let found: HashMap<i64, Status> = tx
                .query(query.as_str(), &w.params())?
                .iter()
                .map(|row| Ok((get(row, 0)?, word(row, 1)?)))
                .collect::<Result<_, OutboxError>>()?;
            let candidates: Vec<(i64, Status)> = match &selector.ids {
                Some(ids) => ids
                    .iter()
                    .filter_map(|id| match found.get(id) {
                        Some(status) => Some((*id, *status)),
                        None => {
                            report.not_found.push(*id);
                            None
                        }
                    })
                    .collect(),
                None => {
                    let mut all: Vec<(i64, Status)> = found.into_iter().collect();
                    all.sort_unstable_by_key(|(id, _)| *id);
                    all
                }
            };
            let dead: Vec<i64> = candidates
                .iter()
                .filter(|(_, s)| *s == Status::Dead)
                .map(|(id, _)| *id)
                .collect();
            share_entities(tx, statements, &dead)?;
            for (id, status) in candidates {
                if status != Status::Dead {
                    report.skipped.push((id, status));
                    continue;
                }
                let reset = Attempts::Reset;
                match back_to_pending(
                    tx,
                    statements,
                    id,
                    Status::Dead,
                    None,
                    now,
                    None,
                    reset,
                    now,
                )? {
                    Some(Status::Pending) => report.retried.push(id),
                    Some(_) => report.superseded.push(id),
                    None => report.skipped.push((id, status)),
                }
            }
            Ok(report)
        })
    }

    fn purge(&self, selector: &Selector) -> Result<u64, OutboxError> {
        let statuses: Vec<&'static str> = if selector.statuses.is_empty() {
            Status::ALL
                .into_iter()
                .filter(|s| s.is_finished())
                .map(Status::as_str)
                .collect()
        } else {
            selector
                .statuses
                .iter()
                .filter(|s| s.is_finished())
                .map(|s| s.as_str())
                .collect()
        };
        if statuses.is_empty() {
            return Ok(0);
        }
        let mut w = Where::default();
        w.push("status = ANY($?)", Box::new(statuses));
        w.text("plugin", selector.plugin.as_ref());
        w.text("shop", selector.shop.as_ref());
        if let Some(before) = selector.finished_before {
            w.push("finished_at < $?", Box::new(before.as_micros()));
        }
        if let Some(ids) = &selector.ids {
            w.push("id = ANY($?)", Box::new(ids.clone()));
        }
        let query = format!("DELETE FROM outbox_notifications{}", w.sql());
        self.write(false, |tx, _| Ok(tx.execute(query.as_str(), &w.params())?))
    }

    fn purge_finished(
        &self,
        finished_before: Timestamp,
        limit_rows: usize,
    ) -> Result<u64, OutboxError> {
        if limit_rows == 0 {
            return Ok(0);
        }
        self.write(false, |tx, statements| {
            let purge = prepared(tx, statements, sql::PURGE_FINISHED)?;
            Ok(tx.execute(&purge, &[&finished_before.as_micros(), &limit(limit_rows)])?)
        })
    }

    fn counts(&self) -> Result<Counts, OutboxError> {
        self.read(|client, statements| {
            let counts_sql = prepared(client, statements, sql::COUNTS)?;
            let mut counts = Counts::default();
            for row in client.query(&counts_sql, &[])? {
                let status: Status = word(&row, 0)?;
                *counts.get_mut(status) = u64::try_from(get::<i64>(&row, 1)?).unwrap_or(0);
            }
            Ok(counts)
        })
    }
}

impl PostgresStore {
    /// Releases the `in_flight` rows whose lease ends at or before
    /// `expired_by`; they become due at `now`. Rows whose result another
    /// transaction is recording are skipped.
    fn release_leases(&self, expired_by: Timestamp, now: Timestamp) -> Result<u64, OutboxError> {
        self.write(false, |tx, statements| {
            let expired = prepared(tx, statements, sql::EXPIRED)?;
            let ids: Vec<i64> = tx
                .query(&expired, &[&expired_by.as_micros()])?
                .iter()
                .map(|row| get(row, 0))
                .collect::<Result<_, _>>()?;
            if ids.is_empty() {
                return Ok(0);
            }
            share_entities(tx, statements, &ids)?;
            let release = prepared(tx, statements, sql::RELEASE)?;
            Ok(tx.execute(
                &release,
                &[
                    &now.as_micros(),
                    &LEASE_EXPIRED,
                    &ids,
                    &expired_by.as_micros(),
                ],
            )?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_never_shows_the_password() {
        let config =
            Config::from_str("postgresql://outbox:s3cret-pw@db.internal:6543/queue").unwrap();
        let target = describe(&config);
        assert_eq!(target, "postgresql://outbox:***@db.internal:6543/queue");
        let store = PostgresStore {
            target,
            pool: Pool::new(config, 2),
        };
        let debug = format!("{store:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("db.internal:6543"), "{debug}");

        let config = Config::from_str("host=/tmp/pg port=5433 user=u dbname=d").unwrap();
        assert_eq!(describe(&config), "postgresql://u@/tmp/pg:5433/d");
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_them() {
        let err = PostgresStore::connect("postgresql://u:hunter2@h:notaport/d", 1).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, OutboxError::PostgresUrl(_)), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let err =
            PostgresStore::connect("postgresql://u:hunter2@h/d?sslmode=require", 1).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("sslmode=require"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("postgresql://u:***@h:5432/d"), "{text}");
    }
}
