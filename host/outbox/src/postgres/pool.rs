//! A small pool of blocking PostgreSQL connections: at most `size` open,
//! idle ones kept in a `Mutex<Vec<_>>`, a broken one dropped and replaced by
//! a fresh connection on the next checkout.
//!
//! The `postgres` client drives its own tokio runtime: it must never be
//! used, nor dropped, on a thread that is running async code. Checkouts
//! happen inside store calls, which run on blocking threads (the outbox
//! writer thread, `spawn_blocking`); the pool's own [`Drop`] moves the idle
//! connections to a thread of their own when it runs inside a runtime (the
//! last `Arc` of a store may be released by an async task).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use postgres::{Client, Config, GenericClient, NoTls, Statement, Transaction};

use super::PostgresError;
use crate::OutboxError;

/// How long a checkout waits for a busy pool before giving up.
pub(super) const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// Prepared statements of one connection, by SQL text.
pub(super) type Statements = HashMap<&'static str, Statement>;

/// One connection and the statements prepared on it.
pub(super) struct Conn {
    client: Client,
    statements: Statements,
}

/// The pool (see the module docs).
pub(super) struct Pool {
    config: Config,
    size: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Default)]
struct State {
    idle: Vec<Conn>,
    /// Connections that exist: idle plus checked out plus being opened.
    open: usize,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config holds the password: only the size is printed.
        f.debug_struct("Pool")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool of at most `size` (≥ 1) connections to `config`; none is open
    /// yet.
    pub(super) fn new(config: Config, size: usize) -> Self {
        Self {
            config,
            size: size.max(1),
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing in `State` is left half-updated by a panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection, a new one if fewer than `size` are open, or the
    /// first one given back within [`CHECKOUT_TIMEOUT`].
    pub(super) fn get(&self) -> Result<Lease<'_>, OutboxError> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        let mut state = self.state();
        loop {
            while let Some(conn) = state.idle.pop() {
                if conn.client.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Lease::new(self, conn));
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Lease::new(self, conn)),
                    Err(e) => {
                        self.state().open -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(OutboxError::PoolTimeout(CHECKOUT_TIMEOUT));
            }
            state = self
                .freed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    fn connect(&self) -> Result<Conn, OutboxError> {
        let mut client = self.config.connect(NoTls).map_err(PostgresError::from)?;
        // Statements stay prepared for the connection's life. A generic
        // plan chosen while the tables were nearly empty (a new database)
        // would scan them in full for good; planning each execution with
        // its parameters and the tables' current size costs a few
        // microseconds.
        client
            .batch_execute("SET plan_cache_mode = force_custom_plan")
            .map_err(PostgresError::from)?;
        Ok(Conn {
            client,
            statements: Statements::new(),
        })
    }

    /// Gives a connection back, or forgets a broken one.
    fn put(&self, conn: Conn, broken: bool) {
        let mut state = self.state();
        if broken || conn.client.is_closed() {
            state.open -= 1;
            drop(state);
            // On a blocking thread (store calls run there): closing is fine.
            drop(conn);
        } else {
            state.idle.push(conn);
            drop(state);
        }
        self.freed.notify_one();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.state().idle);
        if idle.is_empty() {
            return;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            drop(idle);
            return;
        }
        // Closing a connection blocks on the client's own runtime, which
        // panics inside another runtime: close them on a thread of their
        // own. If no thread can be started, leak them (the server closes
        // them when the process exits) rather than panic.
        let spawned = std::thread::Builder::new()
            .name("outbox-pg-close".into())
            .spawn(move || drop(idle));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "outbox: cannot close PostgreSQL connections");
        }
    }
}

/// A checked-out connection, given back on drop.
pub(super) struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    broken: bool,
}

impl<'a> Lease<'a> {
    fn new(pool: &'a Pool, conn: Conn) -> Self {
        Self {
            pool,
            conn: Some(conn),
            broken: false,
        }
    }

    fn conn(&mut self) -> &mut Conn {
        // Only `Drop` takes it out.
        match self.conn.as_mut() {
            Some(conn) => conn,
            None => unreachable!("a lease holds its connection until dropped"),
        }
    }

    /// Runs `body` in a transaction and commits it. On an error the
    /// transaction is rolled back, the prepared statements are forgotten
    /// (a newer schema may have changed them) and a closed connection is
    /// dropped when the lease ends. [`Failed::Reconnect`] says the error came
    /// from `BEGIN` on a closed connection, before anything was done.
    pub(super) fn transaction<T>(
        &mut self,
        body: &mut dyn FnMut(&mut Transaction<'_>, &mut Statements) -> Result<T, OutboxError>,
    ) -> Result<T, Failed> {
        let (result, at_begin) = {
            let Conn { client, statements } = self.conn();
            match client.transaction() {
                Ok(mut tx) => {
                    let result = body(&mut tx, statements).and_then(|value| {
                        tx.commit().map_err(PostgresError::from)?;
                        Ok(value)
                    });
                    (result, false)
                }
                Err(e) => (Err(PostgresError::from(e).into()), true),
            }
        };
        let closed = self.conn().client.is_closed();
        let result = result.map_err(|e| {
            if at_begin && (closed || is_connection_error(&e)) {
                Failed::Reconnect(e)
            } else {
                Failed::Other(e)
            }
        });
        self.after(result)
    }

    /// Runs `body` outside a transaction (a read); an error on a closed
    /// connection is [`Failed::Reconnect`].
    pub(super) fn read<T>(
        &mut self,
        body: &mut dyn FnMut(&mut Client, &mut Statements) -> Result<T, OutboxError>,
    ) -> Result<T, Failed> {
        let Conn { client, statements } = self.conn();
        let result = body(client, statements).map_err(|e| {
            if client.is_closed() || is_connection_error(&e) {
                Failed::Reconnect(e)
            } else {
                Failed::Other(e)
            }
        });
        self.after(result)
    }

    fn after<T>(&mut self, result: Result<T, Failed>) -> Result<T, Failed> {
        if let Err(Failed::Reconnect(e) | Failed::Other(e)) = &result {
            let connection_lost = is_connection_error(e);
            let conn = self.conn();
            conn.statements.clear();
            if connection_lost || conn.client.is_closed() {
                self.broken = true;
            }
        }
        result
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put(conn, self.broken);
        }
    }
}

/// Why a pooled call failed.
#[derive(Debug)]
pub(super) enum Failed {
    /// The connection was found closed before anything was changed (a
    /// restarted server, at `BEGIN` or during a read): safe to try again on
    /// a fresh connection.
    Reconnect(OutboxError),
    /// Anything else.
    Other(OutboxError),
}

/// Whether PostgreSQL ended the session: a connection exception (class
/// `08`) or an operator intervention that closes it (`57P01`
/// admin_shutdown, `57P02` crash_shutdown, `57P03` cannot_connect_now).
/// The client may not have noticed the closed socket yet.
fn is_connection_error(e: &OutboxError) -> bool {
    match e {
        OutboxError::Postgres(pg) => pg.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// `sql` prepared on this connection once, then reused.
pub(super) fn prepared<C: GenericClient>(
    client: &mut C,
    statements: &mut Statements,
    sql: &'static str,
) -> Result<Statement, PostgresError> {
    if let Some(statement) = statements.get(sql) {
        return Ok(statement.clone());
    }
    let statement = client.prepare(sql)?;
    statements.insert(sql, statement.clone());
    Ok(statement)
}
