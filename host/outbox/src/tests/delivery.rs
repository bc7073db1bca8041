//! The delivery worker end to end, against the mock Bold API.
//!
//! Why one file: the delivery worker's cases share one mock Bold API and its
//! scripted replies.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use test_support::mock_bold::{MockBold, Reply};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{T0, customer, note, payload_micros, quantile, wait_until};
use crate::{
    AttemptEvent, AttemptKind, BoldApiSettings, DeliveryObserver, DeliverySettings, DeliveryStats,
    DeliveryWorker, EntityKind, Filter, NewNotification, Operation, Outbox, OutboxSettings,
    OutboxStore, Record, SqliteStore, Status, Timestamp,
};

const SEC: i64 = 1_000_000;

/// One recorded attempt: id, outcome, status, delay.
type Event = (i64, AttemptKind, Option<u16>, Duration);

#[derive(Debug, Default)]
struct Events(Mutex<Vec<Event>>);

impl DeliveryObserver for Events {
    fn attempt(&self, e: &AttemptEvent<'_>) {
        self.0
            .lock()
            .unwrap()
            .push((e.id, e.outcome, e.status, e.delay));
    }
}

impl Events {
    fn delivered_delays(&self) -> Vec<Duration> {
        let mut delays: Vec<Duration> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.1 == AttemptKind::Delivered)
            .map(|e| e.3)
            .collect();
        delays.sort();
        delays
    }

    fn for_id(&self, id: i64) -> Vec<(AttemptKind, Option<u16>)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.0 == id)
            .map(|e| (e.1, e.2))
            .collect()
    }
}

fn settings(base_url: &str) -> DeliverySettings {
    DeliverySettings::new(
        BoldApiSettings {
            base_url: base_url.into(),
            request_timeout_ms: 5_000,
            ..BoldApiSettings::default()
        },
        OutboxSettings {
            initial_backoff_ms: 50,
            max_backoff_ms: 5_000,
            ..OutboxSettings::default()
        },
    )
}

fn tokens(_plugin: &str, shop: &str) -> Option<String> {
    (shop != "no-token-shop").then(|| format!("token-{shop}"))
}

struct Harness {
    _dir: tempfile::TempDir,
    store: Arc<SqliteStore>,
    outbox: Outbox,
    stats: Arc<DeliveryStats>,
    events: Arc<Events>,
    stop: watch::Sender<bool>,
    worker: JoinHandle<()>,
}

impl Harness {
    fn start(mut settings: DeliverySettings) -> Self {
        let (dir, _path, store) = super::temp_store();
        Self::start_on(dir, store, &mut settings)
    }

    fn start_on(
        dir: tempfile::TempDir,
        store: Arc<SqliteStore>,
        settings: &mut DeliverySettings,
    ) -> Self {
        let outbox = Outbox::start(store.clone(), &settings.outbox).unwrap();
        let events = Arc::new(Events::default());
        settings.observer = Some(events.clone());
        let (stop, shutdown) = watch::channel(false);
        let worker =
            DeliveryWorker::spawn(outbox.clone(), Arc::new(tokens), settings.clone(), shutdown)
                .unwrap();
        Self {
            _dir: dir,
            store,
            outbox,
            stats: Arc::clone(&settings.stats),
            events,
            stop,
            worker,
        }
    }

    fn record(&self, id: i64) -> Record {
        self.store
            .list(&Filter::default())
            .unwrap()
            .into_iter()
            .find(|r| r.id == id)
            .unwrap()
    }

    fn status(&self, id: i64) -> Status {
        self.record(id).status
    }

    async fn enqueue_one(&self, n: NewNotification) -> i64 {
        self.outbox.enqueue(vec![n]).await.unwrap().outcomes[0].id()
    }

    async fn shutdown(self) -> (tempfile::TempDir, Arc<SqliteStore>) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(15), self.worker)
            .await
            .expect("the worker stops")
            .unwrap();
        (self._dir, self.store)
    }
}

/// Many notifications from concurrent callers, all delivered once, with the
/// agreed request shape; prints throughput and delay percentiles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_everything_with_the_agreed_request() {
    const N: usize = 2_000;
    const CALLERS: usize = 20;
    let bold = MockBold::start().await;
    let h = Harness::start(settings(&bold.url()));
    let kinds = [
        (EntityKind::Customer, Operation::Saved, "customers/saved"),
        (
            EntityKind::Customer,
            Operation::Deleted,
            "customers/deleted",
        ),
        (EntityKind::Product, Operation::Saved, "products/saved"),
        (EntityKind::Product, Operation::Deleted, "products/deleted"),
        (EntityKind::Order, Operation::Saved, "orders/saved"),
    ];
    let shops = [("shop-a", "shop-a"), ("shop b/1", "shop%20b%2F1")];
    let notes: Vec<NewNotification> = (0..N)
        .map(|i| {
            let (kind, op, _) = kinds[i % kinds.len()];
            note(
                "sync",
                shops[i % 2].0,
                kind,
                op,
                &format!("e{i}"),
                T0 + i as i64,
            )
        })
        .collect();
    let expected: HashMap<String, (NewNotification, String)> = notes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (_, _, rest) = kinds[i % kinds.len()];
            let path = format!("/platform_connector/{}/{rest}", shops[i % 2].1);
            (n.platform_id.clone(), (n.clone(), path))
        })
        .collect();

    let started = Instant::now();
    let mut callers = Vec::new();
    for chunk in notes.chunks(N / CALLERS) {
        let outbox = h.outbox.clone();
        let chunk = chunk.to_vec();
        callers.push(tokio::spawn(async move {
            for n in chunk {
                outbox.enqueue(vec![n]).await.unwrap();
            }
        }));
    }
    for c in callers {
        c.await.unwrap();
    }
    let enqueued = started.elapsed();
    assert!(
        wait_until(Duration::from_secs(60), || h.stats.snapshot().delivered
            == N as u64)
        .await,
        "delivered {} of {N}",
        h.stats.snapshot().delivered
    );
    let elapsed = started.elapsed();
    let delays = h.events.delivered_delays();
    println!(
        "delivery: {N} notifications enqueued in {enqueued:.2?} ({} commits), all delivered in {elapsed:.2?}: \
         {:.0} delivered/s; enqueue→delivery delay p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        h.outbox.stats().commits,
        N as f64 / elapsed.as_secs_f64(),
        quantile(&delays, 0.5),
        quantile(&delays, 0.99),
        quantile(&delays, 1.0),
    );
    assert_eq!(delays.len(), N);

    let received = bold.received();
    assert_eq!(received.len(), N, "each delivered exactly once");
    assert_eq!(bold.overlaps(), 0);
    let user_agent = format!("plugin-host/{}", env!("CARGO_PKG_VERSION"));
    for r in &received {
        let (n, path) = &expected[&r.platform_id];
        assert_eq!(r.method, http::Method::POST);
        assert_eq!(&r.path, path);
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer token-{}", n.shop).as_str())
        );
        assert_eq!(r.header("bold-api-version-date"), Some("2022-05-01"));
        assert_eq!(
            r.header("idempotency-key"),
            Some(n.idempotency_key().as_str())
        );
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some(user_agent.as_str()));
        assert_eq!(r.body, n.payload);
    }
    let counts = h.store.counts().unwrap();
    assert_eq!(counts.delivered, N as u64);
    assert_eq!(h.stats.snapshot().in_flight, 0);
    h.shutdown().await;
}

/// 429 with Retry-After, 408, 500 and 503 are retried with the same
/// idempotency key; 400 and 404 are dead letters at once; a missing token
/// waits as a retry without a request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_and_dead_letters_by_status() {
    let bold = MockBold::start().await;
    let h = Harness::start(settings(&bold.url()));
    bold.script_for(
        "rate",
        vec![Reply {
            retry_after: Some("1"),
            body: "slow down",
            ..Reply::status(429)
        }],
    );
    bold.script_for(
        "flaky",
        vec![Reply {
            body: "oops",
            ..Reply::status(500)
        }],
    );
    bold.script_for("t408", vec![Reply::status(408)]);
    bold.script_for("maint", vec![Reply::status(503)]);
    bold.script_for(
        "bad",
        vec![Reply {
            body: r#"{"errors":[{"message":"invalid"}]}"#,
            ..Reply::status(400)
        }],
    );
    bold.script_for("gone", vec![Reply::status(404)]);
    let mut ids = HashMap::new();
    for name in ["rate", "flaky", "t408", "maint", "bad", "gone"] {
        ids.insert(name, h.enqueue_one(customer(name, T0)).await);
    }
    let nocred = note(
        "sync",
        "no-token-shop",
        EntityKind::Customer,
        Operation::Saved,
        "nocred",
        T0,
    );
    let nocred = h.enqueue_one(nocred).await;

    let done = wait_until(Duration::from_secs(20), || {
        ["rate", "flaky", "t408", "maint"]
            .iter()
            .all(|n| h.status(ids[n]) == Status::Delivered)
            && ["bad", "gone"]
                .iter()
                .all(|n| h.status(ids[n]) == Status::Dead)
            && h.record(nocred).attempts >= 2
            // The observer hears of an attempt right after its row is
            // updated: wait for that too.
            && h.events.for_id(ids["rate"]).len() == 2
    })
    .await;
    assert!(done, "{:#?}", h.store.list(&Filter::default()).unwrap());

    for name in ["rate", "flaky", "t408", "maint"] {
        let got = bold.received_for(name);
        assert_eq!(got.len(), 2, "{name}");
        assert_eq!(
            got[0].header("idempotency-key"),
            got[1].header("idempotency-key"),
            "{name}: the key is stable across retries"
        );
        assert_eq!(got[0].body, got[1].body);
        let record = h.record(ids[name]);
        assert_eq!(record.attempts, 2);
        assert_eq!(record.last_error, None);
    }
    let rate = bold.received_for("rate");
    let waited = rate[1].at - rate[0].at;
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After honoured: {waited:?}"
    );
    let flaky = bold.received_for("flaky");
    assert!(flaky[1].at - flaky[0].at >= Duration::from_millis(25));

    let bad = h.record(ids["bad"]);
    assert_eq!(bad.attempts, 1);
    assert_eq!(
        bad.last_error.as_deref(),
        Some(r#"HTTP 400: {"errors":[{"message":"invalid"}]}"#)
    );
    assert_eq!(bold.received_for("bad").len(), 1);
    assert_eq!(
        h.record(ids["gone"]).last_error.as_deref(),
        Some("HTTP 404")
    );

    let nocred = h.record(nocred);
    // Waiting for its next attempt, or claimed for it right now.
    assert!(
        matches!(nocred.status, Status::Pending | Status::InFlight),
        "{:?}",
        nocred.status
    );
    assert_eq!(nocred.last_error.as_deref(), Some("no token"));
    assert!(bold.received_for("nocred").is_empty());

    assert_eq!(
        h.events.for_id(ids["rate"]),
        vec![
            (AttemptKind::Retry, Some(429)),
            (AttemptKind::Delivered, Some(202))
        ]
    );
    assert_eq!(
        h.events.for_id(ids["bad"]),
        vec![(AttemptKind::Dead, Some(400))]
    );
    let stats = h.stats.snapshot();
    assert_eq!(stats.delivered, 4);
    assert_eq!(stats.dead, 2);
    assert!(stats.retried >= 5, "{stats:?}");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letter_after_max_attempts_then_cli_retry() {
    let bold = MockBold::start().await;
    let mut s = settings(&bold.url());
    s.outbox.max_attempts = 3;
    s.outbox.initial_backoff_ms = 10;
    let h = Harness::start(s);
    let always = Reply {
        body: "down",
        ..Reply::status(503)
    };
    bold.script_for("x", vec![always.clone(), always.clone(), always]);
    let id = h.enqueue_one(customer("x", T0)).await;
    assert!(wait_until(Duration::from_secs(10), || h.status(id) == Status::Dead).await);
    let record = h.record(id);
    assert_eq!(record.attempts, 3);
    assert_eq!(
        record.last_error.as_deref(),
        Some("gave up after 3 attempts: HTTP 503: down")
    );
    assert_eq!(bold.received_for("x").len(), 3);

    // `outbox retry` (here through the store, as the CLI in another process
    // would) brings it back; the worker delivers it (the script is used up).
    let out = crate::admin::retry(
        h.store.as_ref(),
        &crate::admin::RetryRequest {
            ids: vec![id],
            ..Default::default()
        },
        Timestamp::now(),
    )
    .unwrap();
    assert_eq!(out.report.retried, vec![id]);
    assert!(
        wait_until(Duration::from_secs(10), || h.status(id)
            == Status::Delivered)
        .await
    );
    assert_eq!(h.record(id).attempts, 1, "attempts were reset");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_is_retried() {
    let bold = MockBold::start().await;
    let mut s = settings(&bold.url());
    s.api.request_timeout_ms = 500;
    let h = Harness::start(s);
    bold.script_for(
        "slow",
        vec![Reply {
            delay: Duration::from_secs(5),
            ..Reply::status(202)
        }],
    );
    let id = h.enqueue_one(customer("slow", T0)).await;
    // The row first, then the observer's event.
    assert!(
        wait_until(Duration::from_secs(10), || h.status(id)
            == Status::Delivered
            && h.events.for_id(id).len() == 2)
        .await
    );
    assert_eq!(
        h.events.for_id(id),
        vec![
            (AttemptKind::Retry, None),
            (AttemptKind::Delivered, Some(202))
        ]
    );
    assert_eq!(bold.received_for("slow").len(), 2);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_error_is_retried() {
    // A port nothing listens on: bind one, then free it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let h = Harness::start(settings(&format!("http://127.0.0.1:{port}")));
    let id = h.enqueue_one(customer("1", T0)).await;
    assert!(wait_until(Duration::from_secs(10), || h.record(id).attempts >= 2).await);
    let record = h.record(id);
    // Waiting for its next attempt, or already in it (backoff is short).
    assert!(
        matches!(record.status, Status::Pending | Status::InFlight),
        "{:?}",
        record.status
    );
    let error = record.last_error.unwrap();
    assert!(error.starts_with("connection error"), "{error}");
    assert!(!error.contains("token"), "{error}");
    h.shutdown().await;
}

/// A newer state waits while the older one is in flight; one that is
/// superseded before its turn is never sent; Bold never sees an older state
/// after a newer one, nor two requests for one entity at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_order_per_entity() {
    let bold = MockBold::start().await;
    let h = Harness::start(settings(&bold.url()));
    bold.script_for(
        "x",
        vec![Reply {
            delay: Duration::from_millis(300),
            ..Reply::status(202)
        }],
    );
    let first = h.enqueue_one(customer("x", T0)).await;
    assert!(
        wait_until(Duration::from_secs(5), || !bold
            .received_for("x")
            .is_empty())
        .await
    );
    let second = h.enqueue_one(customer("x", T0 + SEC)).await;
    let third = h.enqueue_one(customer("x", T0 + 2 * SEC)).await;
    let stale = h.enqueue_one(customer("x", T0 + SEC / 2)).await;
    assert!(
        wait_until(Duration::from_secs(5), || h.status(third)
            == Status::Delivered)
        .await
    );
    let sent: Vec<i64> = bold
        .received_for("x")
        .iter()
        .map(|r| payload_micros(&r.body))
        .collect();
    assert_eq!(sent, vec![T0, T0 + 2 * SEC]);
    assert_eq!(bold.overlaps(), 0);
    assert_eq!(h.status(first), Status::Delivered);
    assert_eq!(h.status(second), Status::Superseded);
    assert_eq!(h.status(stale), Status::Superseded);
    h.shutdown().await;
}

/// Shutdown lets a hanging send go after the grace period; the row stays in
/// flight and the next worker delivers it once the lease has expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_sends_are_released_at_the_next_start() {
    let bold = MockBold::start().await;
    let mut s = settings(&bold.url());
    s.api.request_timeout_ms = 1_500;
    s.outbox.lease_margin_ms = 0;
    s.outbox.shutdown_grace_ms = 100;
    let h = Harness::start(s.clone());
    bold.script_for(
        "hang",
        vec![Reply {
            delay: Duration::from_secs(30),
            ..Reply::status(202)
        }],
    );
    let id = h.enqueue_one(customer("hang", T0)).await;
    assert!(
        wait_until(Duration::from_secs(5), || !bold
            .received_for("hang")
            .is_empty())
        .await
    );
    let stopping = Instant::now();
    let (dir, store) = h.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(5),
        "the grace period (0.1 s) cuts the 30 s send short"
    );
    let record = store.list(&Filter::default()).unwrap().remove(0);
    assert_eq!((record.id, record.status), (id, Status::InFlight));

    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let h = Harness::start_on(dir, store, &mut s);
    assert!(wait_until(Duration::from_secs(5), || h.status(id) == Status::Delivered).await);
    assert_eq!(h.record(id).attempts, 2);
    h.shutdown().await;
}

/// A 401 (or 403) means the shop's credentials are refused, not that the
/// notification is bad: it is retried later, many times over max_attempts
/// without becoming a dead letter, and delivered once Bold accepts the
/// token again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_waits_for_the_credentials_instead_of_dead_lettering() {
    let bold = MockBold::start().await;
    let mut s = settings(&bold.url());
    s.outbox.max_attempts = 2;
    s.outbox.credentials_retry_ms = 150;
    let h = Harness::start(s);
    bold.set_default(Some(Reply {
        body: "token revoked",
        ..Reply::status(401)
    }));
    bold.script_for("forbidden", vec![Reply::status(403)]);
    let id = h.enqueue_one(customer("x", T0)).await;
    let forbidden = h.enqueue_one(customer("forbidden", T0)).await;
    assert!(
        wait_until(Duration::from_secs(20), || bold.received_for("x").len()
            >= 5)
        .await,
        "retried: {:?}",
        h.record(id)
    );
    let record = h.record(id);
    assert_ne!(record.status, Status::Dead, "{record:?}");
    assert!(
        record.attempts <= 1,
        "refused attempts do not count: {record:?}"
    );
    assert_ne!(h.status(forbidden), Status::Dead);
    let last_error = record.last_error.unwrap_or_default();
    assert!(last_error.starts_with("HTTP 401"), "{last_error}");
    // Retried later: after the credentials' wait, not the 50 ms backoff.
    let sent = bold.received_for("x");
    for pair in sent.windows(2) {
        let waited = pair[1].at - pair[0].at;
        assert!(waited >= Duration::from_millis(140), "{waited:?}");
    }

    bold.set_default(None);
    assert!(
        wait_until(Duration::from_secs(20), || h.status(id)
            == Status::Delivered
            && h.status(forbidden) == Status::Delivered
            // The observer hears of each attempt just after its row.
            && h.stats.snapshot().delivered == 2)
        .await,
        "delivered once the credentials are accepted: {:?}",
        h.record(id)
    );
    let events = h.events.for_id(id);
    assert!(events.len() >= 6, "{events:?}");
    assert_eq!(events.last(), Some(&(AttemptKind::Delivered, Some(202))));
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| *e == (AttemptKind::Unauthorized, Some(401))),
        "{events:?}"
    );
    assert_eq!(
        h.events.for_id(forbidden).first(),
        Some(&(AttemptKind::Unauthorized, Some(403)))
    );
    assert_eq!(h.record(id).attempts, 1, "only the delivery counted");
    let stats = h.stats.snapshot();
    assert!(stats.unauthorized >= 6, "{stats:?}");
    assert_eq!((stats.dead, stats.delivered), (0, 2), "{stats:?}");
    h.shutdown().await;
}

/// A send that outlives its claim (here the lease is released under it, as
/// another host would after it expired, and the row claimed again): its
/// result is not recorded, it is counted and reported as a stale result,
/// and the worker goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_that_outlived_its_claim_is_counted_and_changes_nothing() {
    let bold = MockBold::start().await;
    let mut s = settings(&bold.url());
    // The worker claims again only after an enqueue or a finished send.
    s.outbox.poll_interval_ms = 60_000;
    let h = Harness::start(s);
    bold.script_for(
        "slow",
        vec![Reply {
            delay: Duration::from_millis(800),
            ..Reply::status(202)
        }],
    );
    let id = h.enqueue_one(customer("slow", T0)).await;
    assert!(
        wait_until(Duration::from_secs(5), || bold.received_for("slow").len()
            == 1)
        .await
    );
    // Meanwhile the claim is taken over.
    let store = Arc::clone(&h.store);
    let takeover = tokio::task::spawn_blocking(move || {
        let now = Timestamp::now();
        assert_eq!(store.release_all_leases(now).unwrap(), 1);
        store.claim_due(now, 10, Duration::from_secs(60)).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(takeover.len(), 1);
    assert!(
        wait_until(Duration::from_secs(5), || h.stats.snapshot().stale_results
            == 1)
        .await
    );
    assert_eq!(
        h.events.for_id(id),
        vec![(AttemptKind::StaleResult, Some(202))]
    );
    let record = h.record(id);
    assert_eq!(record.status, Status::InFlight, "{record:?}");
    assert_eq!(record.lease_token, takeover[0].lease_token);
    assert_eq!(h.stats.snapshot().delivered, 0);
    // The worker goes on: a new notification is delivered.
    let other = h.enqueue_one(customer("other", T0)).await;
    assert!(
        wait_until(Duration::from_secs(5), || h.status(other)
            == Status::Delivered)
        .await
    );
    h.shutdown().await;
}
