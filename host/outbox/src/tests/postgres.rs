//! The PostgreSQL backend against a real server (`pg_server`): the store
//! cases every backend passes, migrations by hosts starting together,
//! concurrent enqueues and claims from two hosts, two hosts delivering one
//! queue to a mock Bold, the takeover of an abandoned claim after its
//! lease, a reconnect, and dropping a store inside async code.
//!
//! Every test returns early (printing `skipped: …`) where PostgreSQL is not
//! installed. The `postgres` client blocks: these are plain `#[test]`s that
//! build their own tokio runtime where they need one.
//!
//! Why one file: the PostgreSQL-only cases (several hosts on one queue,
//! leases expiring by time) share one server and its helpers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use test_support::mock_bold::{MockBold, Reply};
use tokio::sync::watch;

use super::store::Backend;
use super::{T0, customer, payload_micros, pg_server, wait_until};
use crate::postgres::{MIGRATION_LOCK, SCHEMA_VERSION};
use crate::{
    BoldApiSettings, DeliverySettings, DeliveryStats, DeliveryWorker, EnqueueOutcome, Filter,
    Finish, Marked, NewNotification, Outbox, OutboxError, OutboxSettings, OutboxStore,
    PostgresStore, Status, Timestamp,
};

const SEC: i64 = 1_000_000;

/// A fresh database, a store on it, and a superuser connection to read it
/// directly.
pub struct PgBackend {
    url: String,
    store: Arc<PostgresStore>,
    admin: Mutex<postgres::Client>,
}

impl PgBackend {
    /// A fresh database for `test`, or `None` without PostgreSQL.
    pub fn new(test: &str) -> Option<Self> {
        let url = pg_server::database(test)?;
        let store = Arc::new(PostgresStore::connect(&url, 2).unwrap());
        let dbname = url.rsplit('/').next().unwrap().to_owned();
        let admin = pg_server::server().unwrap().client(&dbname).unwrap();
        Some(Self {
            url,
            store,
            admin: Mutex::new(admin),
        })
    }

    fn query_i64(&self, sql: &str) -> i64 {
        self.admin
            .lock()
            .unwrap()
            .query_one(sql, &[])
            .unwrap()
            .get(0)
    }
}

impl Backend for PgBackend {
    fn store(&self) -> Arc<dyn OutboxStore> {
        self.store.clone()
    }

    fn another(&self) -> Arc<dyn OutboxStore> {
        Arc::new(PostgresStore::connect(&self.url, 2).unwrap())
    }

    fn count(&self, sql: &str) -> i64 {
        self.query_i64(&sql.replace("{table}", "outbox_notifications"))
    }
}

/// The cases on PostgreSQL.
mod cases {
    use super::PgBackend;

    store_cases!(PgBackend::new);
}

/// Hosts that start at once migrate the schema once; a newer schema is
/// refused.
#[test]
fn hosts_starting_together_migrate_once() {
    let Some(url) = pg_server::database("migrate_once") else {
        return;
    };
    let barrier = Arc::new(Barrier::new(4));
    let hosts: Vec<_> = (0..4)
        .map(|_| {
            let (url, barrier) = (url.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                PostgresStore::connect(&url, 1).map(drop)
            })
        })
        .collect();
    for host in hosts {
        host.join().unwrap().unwrap();
    }
    let dbname = url.rsplit('/').next().unwrap();
    let mut admin = pg_server::server().unwrap().client(dbname).unwrap();
    let versions: i64 = admin
        .query_one("SELECT count(*) FROM outbox_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(versions, SCHEMA_VERSION);
    // The advisory lock is released with the migration's transaction.
    let free: bool = admin
        .query_one("SELECT pg_try_advisory_lock($1)", &[&MIGRATION_LOCK])
        .unwrap()
        .get(0);
    assert!(free);
    admin
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .unwrap();
    admin
        .execute("INSERT INTO outbox_schema (version) VALUES (99)", &[])
        .unwrap();
    let err = PostgresStore::connect(&url, 1).unwrap_err();
    let OutboxError::Connect { source, target } = &err else {
        panic!("{err:?}")
    };
    assert!(
        target.starts_with("postgresql://postgres@127.0.0.1:"),
        "{target}"
    );
    assert!(
        matches!(**source, OutboxError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
}

/// Enqueues of the same entities from two hosts and four threads, while
/// two threads claim and record results on either host: the invariants hold
/// throughout, states sent for an entity never go back in time, and each
/// entity's newest state is the newest one enqueued.
#[test]
fn concurrent_enqueues_and_claims_from_two_hosts() {
    let Some(backend) = PgBackend::new("concurrent_two_hosts") else {
        return;
    };
    let hosts = [backend.store(), backend.another()];
    const ENTITIES: u8 = 6;
    const WRITERS: u64 = 4;
    const BATCHES: usize = 60;
    let lease = Duration::from_secs(60);
    let now = Timestamp::now();
    let sent: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = Arc::clone(&hosts[(w % 2) as usize]);
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(w);
                let mut newest = HashMap::new();
                for _ in 0..BATCHES {
                    let batch: Vec<NewNotification> = (0..rng.usize(1..6))
                        .map(|_| {
                            let entity = rng.u8(0..ENTITIES).to_string();
                            let micros = T0 + i64::from(rng.u16(0..500)) * SEC;
                            let mut n = customer(&entity, micros);
                            n.payload.push_str(&" ".repeat(rng.usize(0..3)));
                            n
                        })
                        .collect();
                    for n in &batch {
                        let e: &mut i64 = newest.entry(n.platform_id.clone()).or_insert(0);
                        *e = (*e).max(n.updated_at_micros);
                    }
                    store.enqueue_batch(&batch, now).unwrap();
                }
                newest
            })
        })
        .collect();
    let claimers: Vec<_> = (0..2)
        .map(|c| {
            let store = Arc::clone(&hosts[c]);
            let sent = Arc::clone(&sent);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(100 + c as u64);
                let mut claims = 0;
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    let claimed = store.claim_due(now, rng.usize(1..4), lease).unwrap();
                    for row in &claimed {
                        let micros = payload_micros(&row.payload);
                        let mut sent = sent.lock().unwrap();
                        let last = sent.entry(row.platform_id.clone()).or_insert(i64::MIN);
                        assert!(
                            micros >= *last,
                            "entity {} sent {micros} after {last}",
                            row.platform_id
                        );
                        *last = micros;
                    }
                    claims += claimed.len();
                    let results: Vec<Finish> = claimed
                        .iter()
                        .map(|row| {
                            if rng.u8(0..4) == 0 {
                                Finish::retry(row, now, "HTTP 503")
                            } else {
                                Finish::delivered(row)
                            }
                        })
                        .collect();
                    store.finish(&results, now).unwrap();
                    if finished && claimed.is_empty() {
                        return claims;
                    }
                }
            })
        })
        .collect();
    let mut newest: HashMap<String, i64> = HashMap::new();
    for w in writers {
        for (entity, micros) in w.join().unwrap() {
            let e = newest.entry(entity).or_insert(0);
            *e = (*e).max(micros);
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let claims: usize = claimers.into_iter().map(|c| c.join().unwrap()).sum();
    assert!(claims > 0);
    backend.check_invariants(0);
    let counts = hosts[0].counts().unwrap();
    assert_eq!((counts.pending, counts.in_flight), (0, 0), "{counts:?}");
    // The newest state of every entity was delivered last.
    let sent = sent.lock().unwrap();
    for (entity, micros) in &newest {
        assert_eq!(sent.get(entity), Some(micros), "entity {entity}");
    }
    let latest = backend.count(
        "SELECT count(*) FROM outbox_entities e JOIN {table} n ON n.id = e.latest_id \
         WHERE n.status = 'delivered' AND n.updated_at_micros = e.latest_micros",
    );
    assert_eq!(latest, i64::from(ENTITIES));
}

fn delivery_settings(base_url: &str) -> DeliverySettings {
    DeliverySettings::new(
        BoldApiSettings {
            base_url: base_url.into(),
            request_timeout_ms: 5_000,
            ..BoldApiSettings::default()
        },
        OutboxSettings {
            initial_backoff_ms: 50,
            max_backoff_ms: 1_000,
            poll_interval_ms: 100,
            lease_margin_ms: 1_000,
            lease_release_interval_ms: 100,
            ..OutboxSettings::default()
        },
    )
}

fn tokens(_plugin: &str, shop: &str) -> Option<String> {
    Some(format!("token-{shop}"))
}

/// One host: an outbox (writer thread) and a delivery worker on its own
/// store.
struct Host {
    outbox: Outbox,
    stats: Arc<DeliveryStats>,
    stop: watch::Sender<bool>,
    worker: tokio::task::JoinHandle<()>,
}

impl Host {
    fn start(store: Arc<PostgresStore>, settings: &DeliverySettings) -> Self {
        let settings = DeliverySettings {
            stats: Arc::default(),
            ..settings.clone()
        };
        let outbox = Outbox::start(store, &settings.outbox).unwrap();
        let (stop, shutdown) = watch::channel(false);
        let stats = Arc::clone(&settings.stats);
        let worker =
            DeliveryWorker::spawn(outbox.clone(), Arc::new(tokens), settings, shutdown).unwrap();
        Self {
            outbox,
            stats,
            stop,
            worker,
        }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(15), self.worker)
            .await
            .expect("the worker stops")
            .unwrap();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Two hosts (two stores, outboxes and workers) share one queue: N
/// notifications over many entities, several states each (and some stale
/// repeats), enqueued through both. Every entity's final state is
/// delivered, no entity ever has two deliveries in progress at once, each
/// entity's states arrive in order, and nothing is delivered twice. Prints
/// the rate.
#[test]
fn two_hosts_share_one_queue() {
    let Some(backend) = PgBackend::new("two_hosts_share_one_queue") else {
        return;
    };
    const ENTITIES: usize = 60;
    const STATES: usize = 8;
    let store_a = Arc::clone(&backend.store);
    let store_b = Arc::new(PostgresStore::connect(&backend.url, 4).unwrap());
    let rt = runtime();
    rt.block_on(async move {
        let bold = MockBold::start().await;
        for e in 0..ENTITIES {
            // Slow enough answers that overlapping sends would be seen.
            let replies: Vec<Reply> = (0..2 * STATES)
                .map(|_| Reply {
                    delay: Duration::from_millis(3),
                    ..Reply::status(202)
                })
                .collect();
            bold.script_for(&format!("e{e}"), replies);
        }
        let settings = delivery_settings(&bold.url());
        let hosts = [
            Host::start(store_a, &settings),
            Host::start(store_b, &settings),
        ];
        let started = Instant::now();
        let mut callers = Vec::new();
        let mut stale = 0;
        for e in 0..ENTITIES {
            let outboxes = [hosts[0].outbox.clone(), hosts[1].outbox.clone()];
            let mut notes: Vec<NewNotification> = (0..STATES)
                .map(|s| customer(&format!("e{e}"), T0 + s as i64 * SEC))
                .collect();
            // Now and then an older state comes late, through the other
            // host: stale, never sent.
            if e % 3 == 0 {
                let mut late = notes[1].clone();
                late.payload.push(' ');
                notes.push(late);
                stale += 1;
            }
            callers.push(tokio::spawn(async move {
                for (i, n) in notes.into_iter().enumerate() {
                    outboxes[(e + i) % 2].enqueue(vec![n]).await.unwrap();
                    if i % 3 == 0 {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                }
            }));
        }
        for c in callers {
            c.await.unwrap();
        }
        let enqueued = started.elapsed();
        let last = T0 + (STATES as i64 - 1) * SEC;
        let all_final = || {
            let received = bold.received();
            let finals: HashSet<&str> = received
                .iter()
                .filter(|r| payload_micros(&r.body) == last)
                .map(|r| r.platform_id.as_str())
                .collect();
            finals.len() == ENTITIES
        };
        assert!(
            wait_until(Duration::from_secs(60), all_final).await,
            "every final state delivered ({} requests)",
            bold.received().len()
        );
        let elapsed = started.elapsed();
        // Let results be recorded before counting.
        let store = Arc::clone(hosts[0].outbox.store());
        assert!(
            wait_until(Duration::from_secs(10), || {
                hosts[0].stats.snapshot().in_flight + hosts[1].stats.snapshot().in_flight == 0
            })
            .await
        );
        let received = bold.received();
        assert_eq!(
            bold.overlaps(),
            0,
            "two deliveries of one entity overlapped"
        );
        let mut keys = HashSet::new();
        let mut per_entity: HashMap<&str, Vec<i64>> = HashMap::new();
        for r in &received {
            assert!(
                keys.insert(r.header("idempotency-key").unwrap().to_owned()),
                "delivered twice: {}",
                r.body
            );
            per_entity
                .entry(&r.platform_id)
                .or_default()
                .push(payload_micros(&r.body));
        }
        for (entity, states) in &per_entity {
            assert!(
                states.windows(2).all(|w| w[0] < w[1]),
                "entity {entity} out of order: {states:?}"
            );
            assert_eq!(states.last(), Some(&last), "entity {entity}");
        }
        let (a, b) = (hosts[0].stats.snapshot(), hosts[1].stats.snapshot());
        assert!(
            a.delivered > 0 && b.delivered > 0,
            "both hosts deliver: {a:?} {b:?}"
        );
        assert_eq!(a.delivered + b.delivered, received.len() as u64);
        let counts = tokio::task::spawn_blocking(move || store.counts().unwrap())
            .await
            .unwrap();
        assert_eq!(counts.delivered, received.len() as u64);
        assert_eq!(
            counts.total(),
            (ENTITIES * STATES + stale) as u64,
            "{counts:?}"
        );
        assert_eq!((counts.pending, counts.in_flight, counts.dead), (0, 0, 0));
        println!(
            "postgres, two hosts: {} notifications ({ENTITIES} entities × {STATES} states + \
             {stale} stale) enqueued in {enqueued:.2?}; {} delivered (host A {}, host B {}), \
             {} superseded, final states all delivered after {elapsed:.2?}: {:.0} delivered/s",
            ENTITIES * STATES + stale,
            received.len(),
            a.delivered,
            b.delivered,
            counts.superseded,
            received.len() as f64 / elapsed.as_secs_f64(),
        );
        for host in hosts {
            host.stop().await;
        }
        // The stores (and their connections) are dropped here, inside the
        // runtime: that must not panic.
    });
}

/// Host A claims a notification and never records a result (it crashed);
/// host B's worker takes it over once the lease has expired, and A's late
/// result changes nothing.
#[test]
fn an_abandoned_claim_is_taken_over_after_its_lease() {
    let Some(backend) = PgBackend::new("abandoned_claim") else {
        return;
    };
    let host_a = Arc::clone(&backend.store);
    let host_b = Arc::new(PostgresStore::connect(&backend.url, 2).unwrap());
    let lease = Duration::from_millis(800);
    let claimed_at = Timestamp::now();
    host_a
        .enqueue_batch(&[customer("7", T0)], claimed_at)
        .unwrap();
    let claimed = host_a.claim_due(claimed_at, 10, lease).unwrap();
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].id;
    let late_result = Finish::delivered(&claimed[0]);
    let claimed_instant = Instant::now();
    let rt = runtime();
    rt.block_on(async move {
        let bold = MockBold::start().await;
        let host = Host::start(host_b, &delivery_settings(&bold.url()));
        assert!(
            wait_until(Duration::from_secs(20), || host.stats.snapshot().delivered == 1).await,
            "host B delivers the abandoned notification"
        );
        let taken_over_after = claimed_instant.elapsed();
        assert!(
            taken_over_after >= lease,
            "not before the lease expired ({taken_over_after:?})"
        );
        let received = bold.received_for("7");
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].header("idempotency-key"),
            Some(claimed[0].idempotency_key.as_str())
        );
        let store = Arc::clone(host.outbox.store());
        host.stop().await;
        tokio::task::spawn_blocking(move || {
            let record = store
                .list(&Filter::default())
                .unwrap()
                .into_iter()
                .find(|r| r.id == id)
                .unwrap();
            assert_eq!(record.status, Status::Delivered);
            assert_eq!(record.attempts, 2, "A's attempt and B's");
        })
        .await
        .unwrap();
        println!("postgres: an abandoned claim was taken over after {taken_over_after:.2?} (lease {lease:?})");
    });
    // Host A comes back with its result: the row is no longer its.
    assert_eq!(
        host_a.finish_one(late_result, Timestamp::now()).unwrap(),
        Marked::StaleClaim
    );
}

/// A connection the server closed is replaced on the next call.
#[test]
fn a_closed_connection_is_replaced() {
    let Some(backend) = PgBackend::new("closed_connection") else {
        return;
    };
    let store = &backend.store;
    let t = Timestamp::now();
    store.enqueue_batch(&[customer("1", T0)], t).unwrap();
    let killed = backend.query_i64(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    assert!(killed >= 1, "the store's connection was open");
    // Writes, then reads, on fresh connections.
    let out = store.enqueue_batch(&[customer("2", T0)], t).unwrap();
    assert!(matches!(out[0], EnqueueOutcome::Queued { .. }));
    backend.query_i64(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    assert_eq!(store.counts().unwrap().pending, 2);
}

/// Dropping the last handle on a store inside async code (as a server
/// does at shutdown) does not panic, and a store used through
/// `spawn_blocking` works inside a runtime.
#[test]
fn a_store_is_usable_and_droppable_inside_a_runtime() {
    let Some(backend) = PgBackend::new("store_in_runtime") else {
        return;
    };
    let store: Arc<dyn OutboxStore> = Arc::new(PostgresStore::connect(&backend.url, 2).unwrap());
    let rt = runtime();
    rt.block_on(async move {
        let s = Arc::clone(&store);
        let counts = tokio::task::spawn_blocking(move || s.counts().unwrap())
            .await
            .unwrap();
        assert_eq!(counts.total(), 0);
        // The pool holds an idle connection: closing it here would block
        // on the client's runtime inside this one.
        drop(store);
    });
}

/// Claim throughput: two hosts (two stores, one thread each) claim and
/// deliver 4,000 rows, 16 per claim. Run with
/// `cargo test -p plugin-host --lib measure_postgres_claims -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement; prints numbers"]
fn measure_postgres_claims() {
    let Some(backend) = PgBackend::new("measure_claims") else {
        return;
    };
    const N: usize = 4_000;
    let t = Timestamp::now();
    let notes: Vec<NewNotification> = (0..N).map(|i| customer(&format!("m{i}"), T0)).collect();
    let started = Instant::now();
    for chunk in notes.chunks(500) {
        backend.store.enqueue_batch(chunk, t).unwrap();
    }
    let enqueue = started.elapsed();
    let hosts = [backend.store(), backend.another()];
    let started = Instant::now();
    let workers: Vec<_> = hosts
        .into_iter()
        .map(|store| {
            std::thread::spawn(move || {
                let mut n = 0;
                loop {
                    let claimed = store.claim_due(t, 16, Duration::from_secs(60)).unwrap();
                    if claimed.is_empty() {
                        return n;
                    }
                    let results: Vec<Finish> = claimed.iter().map(Finish::delivered).collect();
                    store.finish(&results, t).unwrap();
                    n += claimed.len();
                }
            })
        })
        .collect();
    let counts: Vec<usize> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let elapsed = started.elapsed();
    assert_eq!(counts.iter().sum::<usize>(), N);
    println!(
        "postgres: {N} enqueued in batches of 500 in {enqueue:.2?} ({:.0}/s); claimed and \
         finished by two hosts ({counts:?}) in {elapsed:.2?}: {:.0} rows/s",
        N as f64 / enqueue.as_secs_f64(),
        N as f64 / elapsed.as_secs_f64()
    );
}

/// Delivery throughput of two hosts: 2,000 notifications (distinct
/// entities) queued first, then two hosts (concurrency 16 each) deliver
/// them to a mock Bold that answers at once. Run with
/// `cargo test -p plugin-host --lib measure_two_hosts_delivery -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement; prints numbers"]
fn measure_two_hosts_delivery() {
    let Some(backend) = PgBackend::new("measure_two_hosts") else {
        return;
    };
    const N: usize = 2_000;
    let t = Timestamp::now();
    let notes: Vec<NewNotification> = (0..N).map(|i| customer(&format!("d{i}"), T0)).collect();
    for chunk in notes.chunks(500) {
        backend.store.enqueue_batch(chunk, t).unwrap();
    }
    let store_a = Arc::clone(&backend.store);
    let store_b = Arc::new(PostgresStore::connect(&backend.url, 4).unwrap());
    runtime().block_on(async move {
        let bold = MockBold::start().await;
        let settings = delivery_settings(&bold.url());
        let started = Instant::now();
        let hosts = [
            Host::start(store_a, &settings),
            Host::start(store_b, &settings),
        ];
        let delivered =
            || hosts[0].stats.snapshot().delivered + hosts[1].stats.snapshot().delivered;
        assert!(wait_until(Duration::from_secs(120), || delivered() == N as u64).await);
        let elapsed = started.elapsed();
        assert_eq!(bold.received().len(), N);
        println!(
            "postgres, two hosts: {N} queued notifications delivered in {elapsed:.2?} \
             (host A {}, host B {}): {:.0} delivered/s",
            hosts[0].stats.snapshot().delivered,
            hosts[1].stats.snapshot().delivered,
            N as f64 / elapsed.as_secs_f64()
        );
        for host in hosts {
            host.stop().await;
        }
    });
}

/// A database written by the previous version (schema 1, without lease
/// tokens) is migrated in place by the first host that connects: rows keep
/// their state; a row another host left in flight is released when its
/// lease expires and claimed with a new token, so the old claim's result is
/// stale; old delivered rows can be purged.
#[test]
fn a_version_1_database_is_migrated_in_place() {
    let Some(url) = pg_server::database("migrate_from_v1") else {
        return;
    };
    let dbname = url.rsplit('/').next().unwrap().to_owned();
    let mut admin = pg_server::server().unwrap().client(&dbname).unwrap();
    let t = Timestamp::now();
    let long_ago = t.saturating_sub(Duration::from_secs(30 * 86_400));
    admin
        .batch_execute(
            "CREATE TABLE outbox_schema (
                 version    bigint      NOT NULL PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .unwrap();
    admin
        .batch_execute(crate::postgres::schema::MIGRATIONS[0])
        .unwrap();
    admin
        .execute("INSERT INTO outbox_schema (version) VALUES (1)", &[])
        .unwrap();
    let insert = "INSERT INTO outbox_notifications (id, idempotency_key, plugin, shop, kind, op, \
         platform_id, updated_at, updated_at_micros, payload, status, attempts, enqueued_at, \
         next_attempt_at, lease_expires_at, finished_at) \
         VALUES ($1, $2, 'sync', 'shop-1', 'customer', 'saved', $3, '2026-01-01T00:00:00Z', $4, \
           '{}', $5, 1, $6, $6, $7, $8)";
    let (in_flight, delivered) = ("in_flight", "delivered");
    admin
        .execute(
            insert,
            &[
                &1i64,
                &"k1",
                &"1",
                &T0,
                &in_flight,
                &t.as_micros(),
                &Some(t.as_micros()),
                &None::<i64>,
            ],
        )
        .unwrap();
    admin
        .execute(
            insert,
            &[
                &2i64,
                &"k2",
                &"2",
                &T0,
                &delivered,
                &long_ago.as_micros(),
                &None::<i64>,
                &Some(long_ago.as_micros()),
            ],
        )
        .unwrap();
    admin
        .execute(
            "INSERT INTO outbox_entities VALUES ('sync', 'shop-1', 'customer', '1', $1, 1), \
               ('sync', 'shop-1', 'customer', '2', $1, 2)",
            &[&T0],
        )
        .unwrap();
    admin
        .execute(
            "SELECT setval(pg_get_serial_sequence('outbox_notifications', 'id'), 2)",
            &[],
        )
        .unwrap();

    let store = PostgresStore::connect(&url, 1).unwrap();
    let versions: i64 = admin
        .query_one("SELECT count(*) FROM outbox_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!((versions, SCHEMA_VERSION), (2, 2));
    let records = store.list(&Filter::default()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[1].status, records[1].lease_token),
        (Status::InFlight, 0)
    );
    assert_eq!(records[0].status, Status::Delivered);

    // The old version's claim expires, the row is claimed again, and that
    // claim's result is stale.
    let old_claim = Finish::Delivered {
        id: 1,
        lease_token: 0,
    };
    assert_eq!(store.release_expired_leases(t).unwrap(), 1);
    let claimed = store
        .claim_due(t, 10, Duration::from_secs(60))
        .unwrap()
        .remove(0);
    assert_eq!(
        (claimed.id, claimed.attempt, claimed.lease_token),
        (1, 2, 1)
    );
    assert_eq!(store.finish_one(old_claim, t).unwrap(), Marked::StaleClaim);
    assert_eq!(
        store.finish_one(Finish::delivered(&claimed), t).unwrap(),
        Marked::Applied
    );
    let week_ago = t.saturating_sub(Duration::from_secs(7 * 86_400));
    assert_eq!(store.purge_finished(week_ago, 10).unwrap(), 1);
    let out = store.enqueue_batch(&[customer("2", T0 - SEC)], t).unwrap();
    assert!(matches!(out[0], EnqueueOutcome::Stale { .. }), "{out:?}");
}
