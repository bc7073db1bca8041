//! Throughput and latency of the outbox, on the real SQLite store in a
//! temporary directory (enqueues commit with `synchronous = FULL`: fsynced):
//! - `store/claim_finish`: the delivery bookkeeping alone (claim due rows,
//!   record them delivered), batches of 1 and 16;
//! - `enqueue/sequential`: one caller, one notification per call (a commit
//!   per notification);
//! - `enqueue/group_commit`: 10,000 notifications from 64 concurrent
//!   callers, one per call (callers share commits);
//! - `delivery/burst`: 5,000 notifications enqueued as fast as possible and
//!   delivered to a mock Bold API on 127.0.0.1 (axum, 202 with an empty
//!   body): delivered/s and enqueue→delivery delay;
//! - `delivery/paced`: 2,000 notifications enqueued at a fixed 500/s: the
//!   delay when the worker keeps up.
//!
//! Run: `cargo bench -p plugin-host --bench outbox` (prints one line per
//! measurement; `OUTBOX_BENCH_DIR=<dir>` puts the database elsewhere than
//! the system temporary directory).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use plugin_host_outbox::{
    AttemptEvent, AttemptKind, BoldApiSettings, DeliveryObserver, DeliverySettings, DeliveryWorker,
    EntityKind, NewNotification, Operation, Outbox, OutboxSettings, SqliteStore,
};
use tokio::sync::watch;

const T0: i64 = 1_767_225_600_000_000;

fn notification(i: usize) -> NewNotification {
    let micros = T0 + i as i64;
    NewNotification {
        plugin: "sync".into(),
        shop: format!("shop-{}", i % 10),
        kind: EntityKind::Customer,
        op: Operation::Saved,
        platform_id: format!("c{i}"),
        updated_at: "2026-01-01T00:00:00Z".into(),
        updated_at_micros: micros,
        // About the size of a customer with two addresses.
        payload: format!(
            "{{\"customer\":{{\"platform_id\":\"c{i}\",\"first_name\":\"Jane\",\"last_name\":\"Doe\",\
             \"email\":\"jane{i}@example.com\",\"platform_updated_at\":\"2026-01-01T00:00:00Z\",\
             \"addresses\":[{{\"platform_id\":\"a{i}\",\"address_use\":\"shipping\",\"is_default\":true,\
             \"first_name\":\"Jane\",\"last_name\":\"Doe\",\"address_line_1\":\"1 Main St\",\
             \"city\":\"Winnipeg\",\"country\":\"Canada\",\"country_code\":\"CA\",\"province\":\"Manitoba\",\
             \"province_code\":\"MB\",\"postal_code\":\"R3C 0A1\",\"phone\":\"555-0100\"}},\
             {{\"platform_id\":\"b{i}\",\"address_use\":\"billing\",\"is_default\":true,\
             \"first_name\":\"Jane\",\"last_name\":\"Doe\",\"address_line_1\":\"1 Main St\",\
             \"city\":\"Winnipeg\",\"country\":\"Canada\",\"country_code\":\"CA\"}}]}}}}"
        ),
    }
}

fn temp_dir() -> tempfile::TempDir {
    match std::env::var_os("OUTBOX_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir).expect("OUTBOX_BENCH_DIR is writable"),
        None => tempfile::tempdir().expect("a temporary directory"),
    }
}

fn open(dir: &tempfile::TempDir) -> (Arc<SqliteStore>, Outbox) {
    let store = Arc::new(SqliteStore::open(dir.path().join("outbox.sqlite3")).expect("open"));
    let outbox = Outbox::start(store.clone(), &OutboxSettings::default()).expect("start");
    (store, outbox)
}

async fn enqueue_sequential(n: usize) {
    let dir = temp_dir();
    let (_store, outbox) = open(&dir);
    let started = Instant::now();
    for i in 0..n {
        outbox
            .enqueue(vec![notification(i)])
            .await
            .expect("enqueue");
    }
    let elapsed = started.elapsed();
    println!(
        "enqueue/sequential: {n} notifications, 1 caller: {:.0} notifications/s, {} commits, {:.2?} per commit",
        n as f64 / elapsed.as_secs_f64(),
        outbox.stats().commits,
        elapsed / n as u32,
    );
}

/// Enqueues notifications `0..n` from `callers` concurrent tasks, one
/// notification per call.
async fn enqueue_concurrently(outbox: &Outbox, n: usize, callers: usize) {
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let outbox = outbox.clone();
            tokio::spawn(async move {
                for i in (c..n).step_by(callers) {
                    outbox
                        .enqueue(vec![notification(i)])
                        .await
                        .expect("enqueue");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("caller");
    }
}

async fn enqueue_group_commit(n: usize, callers: usize) {
    let dir = temp_dir();
    let (_store, outbox) = open(&dir);
    let started = Instant::now();
    enqueue_concurrently(&outbox, n, callers).await;
    let elapsed = started.elapsed();
    let stats = outbox.stats();
    println!(
        "enqueue/group_commit: {n} notifications, {callers} callers: {:.0} notifications/s, {} commits ({:.1} per commit)",
        n as f64 / elapsed.as_secs_f64(),
        stats.commits,
        n as f64 / stats.commits as f64,
    );
}

/// The store's delivery bookkeeping alone: claim `batch` due rows, record
/// them delivered, repeat (no HTTP).
fn store_cycle(n: usize, batch: usize) {
    use plugin_host_outbox::{Finish, OutboxStore, Timestamp};
    let dir = temp_dir();
    let store = SqliteStore::open(dir.path().join("outbox.sqlite3")).expect("open");
    let now = Timestamp::now();
    let notes: Vec<_> = (0..n).map(notification).collect();
    for chunk in notes.chunks(1000) {
        store.enqueue_batch(chunk, now).expect("enqueue");
    }
    let started = Instant::now();
    let mut done = 0;
    let mut cycles = 0;
    while done < n {
        let claimed = store
            .claim_due(Timestamp::now(), batch, Duration::from_secs(40))
            .expect("claim");
        let results: Vec<Finish> = claimed.iter().map(Finish::delivered).collect();
        store.finish(&results, Timestamp::now()).expect("finish");
        done += claimed.len();
        cycles += 1;
    }
    let elapsed = started.elapsed();
    println!(
        "store/claim_finish: {n} notifications in batches of {batch}: {:.0} notifications/s, {:.2?} per claim+finish cycle",
        n as f64 / elapsed.as_secs_f64(),
        elapsed / cycles,
    );
}

#[derive(Debug, Default)]
struct Delays(Mutex<Vec<Duration>>);

impl DeliveryObserver for Delays {
    fn attempt(&self, e: &AttemptEvent<'_>) {
        if e.outcome == AttemptKind::Delivered {
            self.0.lock().expect("lock").push(e.delay);
        }
    }
}

fn quantile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(idx).copied().unwrap_or_default()
}

async fn mock_bold() -> String {
    let app = Router::new().fallback(|| async { StatusCode::ACCEPTED });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}")
}

/// Enqueues `n` notifications (`rate` per second, or as fast as callers
/// can), waits until all are delivered, prints the numbers.
async fn delivery(name: &str, n: usize, rate: Option<u32>) {
    let base_url = mock_bold().await;
    let dir = temp_dir();
    let (_store, outbox) = open(&dir);
    let delays = Arc::new(Delays::default());
    let mut settings = DeliverySettings::new(
        BoldApiSettings {
            base_url,
            ..BoldApiSettings::default()
        },
        OutboxSettings::default(),
    );
    settings.observer = Some(delays.clone());
    let stats = Arc::clone(&settings.stats);
    let (stop, shutdown) = watch::channel(false);
    let token = |_: &str, _: &str| Some("bench-token".to_owned());
    let worker =
        DeliveryWorker::spawn(outbox.clone(), Arc::new(token), settings, shutdown).expect("worker");

    let started = Instant::now();
    match rate {
        Some(rate) => {
            let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
            for i in 0..n {
                tick.tick().await;
                let outbox = outbox.clone();
                tokio::spawn(async move { outbox.enqueue(vec![notification(i)]).await });
            }
        }
        None => {
            enqueue_concurrently(&outbox, n, 32).await;
        }
    }
    while stats.snapshot().delivered < n as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    stop.send(true).expect("stop");
    worker.await.expect("worker");
    let mut delays = delays.0.lock().expect("lock").clone();
    delays.sort();
    println!(
        "delivery/{name}: {n} notifications{}: {:.0} delivered/s; enqueue→delivery delay p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        rate.map(|r| format!(" at {r}/s")).unwrap_or_default(),
        n as f64 / elapsed.as_secs_f64(),
        quantile(&delays, 0.5),
        quantile(&delays, 0.99),
        quantile(&delays, 1.0),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    store_cycle(5_000, 1);
    store_cycle(5_000, 16);
    runtime.block_on(async {
        enqueue_sequential(1_000).await;
        enqueue_group_commit(10_000, 64).await;
        delivery("burst", 5_000, None).await;
        delivery("paced", 2_000, Some(500)).await;
    });
}
