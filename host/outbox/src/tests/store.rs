//! The store rules, for every backend: lifecycle, coalescing, duplicates,
//! leases, dead letters, purge, a second connection, and a randomised run
//! against the ordering invariants. Each case is a function over a
//! [`Backend`]; [`store_cases!`] makes them tests, here for SQLite and in
//! `postgres.rs` for PostgreSQL. SQLite's own tests (schema, file modes)
//! follow the cases.
//!
//! Why one file: these are the backend-independent cases every store runs
//! (`store_cases!`), one list kept in one place.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{T0, customer, note, payload_micros, temp_store};
use crate::admin::{self as cli, PurgeRequest, RetryRequest};
use crate::{
    BoldApiSettings, Claimed, DeliverySettings, DeliveryWorker, EnqueueOutcome, EntityKind, Filter,
    Finish, Marked, Operation, Outbox, OutboxError, OutboxSettings, OutboxStore, Selector,
    SqliteStore, Status, Timestamp,
};

/// A backend under test, with a fresh empty queue.
pub trait Backend {
    /// The store under test.
    fn store(&self) -> Arc<dyn OutboxStore>;
    /// Another store on the same queue (another process, or another host).
    fn another(&self) -> Arc<dyn OutboxStore>;
    /// Counts rows with `sql` (`{table}` stands for the notifications
    /// table), read outside the store.
    fn count(&self, sql: &str) -> i64;

    /// Panics unless the ordering invariants hold: at most one pending and
    /// one in-flight row per entity, and a pending row is always its
    /// entity's newest state.
    fn check_invariants(&self, step: usize) {
        for status in ["in_flight", "pending"] {
            let n = self.count(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM {{table}} WHERE status = '{status}' \
                 GROUP BY plugin, shop, kind, platform_id HAVING count(*) > 1) AS twice"
            ));
            assert_eq!(n, 0, "step {step}: two {status} rows for one entity");
        }
        let n = self.count(
            "SELECT count(*) FROM {table} p WHERE p.status = 'pending' AND EXISTS ( \
               SELECT 1 FROM {table} o WHERE o.plugin = p.plugin AND o.shop = p.shop \
                 AND o.kind = p.kind AND o.platform_id = p.platform_id \
                 AND o.status != 'superseded' \
                 AND (o.updated_at_micros > p.updated_at_micros \
                      OR (o.updated_at_micros = p.updated_at_micros AND o.id > p.id)))",
        );
        assert_eq!(
            n, 0,
            "step {step}: a pending row is not its entity's newest state"
        );
    }
}

/// The SQLite backend: a file in a temporary directory.
pub struct SqliteBackend {
    _dir: tempfile::TempDir,
    path: PathBuf,
    store: Arc<SqliteStore>,
}

impl SqliteBackend {
    /// A fresh database (the name is unused: every store has its own file).
    pub fn new(_name: &str) -> Option<Self> {
        let (dir, path, store) = temp_store();
        Some(Self {
            _dir: dir,
            path,
            store,
        })
    }
}

impl Backend for SqliteBackend {
    fn store(&self) -> Arc<dyn OutboxStore> {
        self.store.clone()
    }

    fn another(&self) -> Arc<dyn OutboxStore> {
        Arc::new(SqliteStore::open(&self.path).unwrap())
    }

    fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        conn.query_row(&sql.replace("{table}", "notifications"), [], |r| r.get(0))
            .unwrap()
    }
}

/// The cases on SQLite.
mod sqlite {
    use super::SqliteBackend;

    store_cases!(SqliteBackend::new);
}

const LEASE: Duration = Duration::from_secs(40);
const SEC: i64 = 1_000_000;

fn now() -> Timestamp {
    Timestamp::from_micros(T0 + 3600 * SEC)
}

fn status_of(store: &dyn OutboxStore, id: i64) -> Status {
    store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .map(|r| r.status)
        .unwrap()
}

fn queued_id(outcome: &EnqueueOutcome) -> i64 {
    match outcome {
        EnqueueOutcome::Queued { id, .. } => *id,
        other => panic!("expected queued, got {other:?}"),
    }
}

pub(super) fn enqueue_claim_deliver_lifecycle(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    assert_eq!(store.next_due_at().unwrap(), None);
    let out = store
        .enqueue_batch(&[customer("1", T0), customer("2", T0)], t)
        .unwrap();
    assert_eq!(out.len(), 2);
    let (a, b) = (queued_id(&out[0]), queued_id(&out[1]));
    assert_eq!(store.next_due_at().unwrap(), Some(t));
    assert_eq!(store.counts().unwrap().pending, 2);

    // Not due before `t`.
    let early = t.saturating_sub(Duration::from_secs(1));
    assert!(store.claim_due(early, 10, LEASE).unwrap().is_empty());

    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 2);
    let first = &claimed[0];
    assert_eq!(first.id, a);
    assert_eq!(first.attempt, 1);
    assert_eq!(first.enqueued_at, t);
    assert_eq!(first.lease_expires_at, t.saturating_add(LEASE));
    assert_eq!(first.idempotency_key, customer("1", T0).idempotency_key());
    assert_eq!(first.payload, customer("1", T0).payload);
    assert_eq!(store.counts().unwrap().in_flight, 2);
    assert!(store.claim_due(t, 10, LEASE).unwrap().is_empty());

    let later = t.saturating_add(Duration::from_secs(1));
    assert_eq!(store.mark_delivered(a, later).unwrap(), Marked::Applied);
    assert_eq!(store.mark_delivered(a, later).unwrap(), Marked::StaleClaim);
    let retry_at = later.saturating_add(Duration::from_secs(5));
    assert_eq!(
        store.mark_retry(b, later, retry_at, "HTTP 503").unwrap(),
        Marked::Applied
    );
    assert_eq!(store.next_due_at().unwrap(), Some(retry_at));
    assert!(store.claim_due(later, 10, LEASE).unwrap().is_empty());
    let again = store.claim_due(retry_at, 10, LEASE).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    assert_eq!(
        again[0].idempotency_key, claimed[1].idempotency_key,
        "the key is the same on every attempt"
    );
    assert_eq!(
        store.mark_dead(b, retry_at, "HTTP 400: bad").unwrap(),
        Marked::Applied
    );

    let records = store.list(&Filter::default()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].id, b, "newest first");
    assert_eq!(records[0].status, Status::Dead);
    assert_eq!(records[0].attempts, 2);
    assert_eq!(records[0].last_error.as_deref(), Some("HTTP 400: bad"));
    assert_eq!(records[0].finished_at, Some(retry_at));
    assert_eq!(records[0].next_attempt_at, None);
    assert_eq!(records[1].status, Status::Delivered);
    assert_eq!(records[1].finished_at, Some(later));
    assert_eq!(records[1].last_error, None);
    assert_eq!(
        records[1].payload_bytes,
        customer("1", T0).payload.len() as u64
    );
    let counts = store.counts().unwrap();
    assert_eq!((counts.delivered, counts.dead, counts.total()), (1, 1, 2));
}

pub(super) fn a_stale_notification_is_stored_superseded(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let newer = store
        .enqueue_batch(&[customer("1", T0 + 2 * SEC)], t)
        .unwrap();
    let older = store.enqueue_batch(&[customer("1", T0 + SEC)], t).unwrap();
    let EnqueueOutcome::Stale { id } = older[0] else {
        panic!("{older:?}")
    };
    assert_eq!(status_of(store.as_ref(), id), Status::Superseded);
    assert_eq!(
        status_of(store.as_ref(), queued_id(&newer[0])),
        Status::Pending
    );
    // Stale against every status of the newer row: in flight, delivered,
    // dead; and after the newer row is purged.
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 1);
    let stale = store.enqueue_batch(&[customer("1", T0)], t).unwrap();
    assert!(matches!(stale[0], EnqueueOutcome::Stale { .. }));
    store.mark_delivered(claimed[0].id, t).unwrap();
    let stale = store.enqueue_batch(&[customer("1", T0 + 3)], t).unwrap();
    assert!(matches!(stale[0], EnqueueOutcome::Stale { .. }));
    store
        .purge(&Selector::default())
        .map(|n| assert_eq!(n, 4))
        .unwrap();
    let stale = store.enqueue_batch(&[customer("1", T0 + 4)], t).unwrap();
    assert!(
        matches!(stale[0], EnqueueOutcome::Stale { .. }),
        "the newest state is remembered after a purge"
    );
    // Other entities are unaffected.
    let other = store.enqueue_batch(&[customer("2", T0)], t).unwrap();
    queued_id(&other[0]);
}

pub(super) fn a_newer_notification_supersedes_the_pending_one(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let a = queued_id(&store.enqueue_batch(&[customer("1", T0)], t).unwrap()[0]);
    let out = store.enqueue_batch(&[customer("1", T0 + SEC)], t).unwrap();
    assert!(matches!(
        out[0],
        EnqueueOutcome::Queued { superseded: 1, .. }
    ));
    let b = out[0].id();
    assert_eq!(status_of(store.as_ref(), a), Status::Superseded);
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, b);
    assert_eq!(payload_micros(&claimed[0].payload), T0 + SEC);
}

pub(super) fn equal_timestamps_keep_the_later_enqueue(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let mut first = customer("1", T0);
    first.payload = r#"{"v":1}"#.into();
    let mut second = customer("1", T0);
    second.payload = r#"{"v":2}"#.into();
    let out = store.enqueue_batch(&[first, second], t).unwrap();
    assert!(matches!(
        out[1],
        EnqueueOutcome::Queued { superseded: 1, .. }
    ));
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].payload, r#"{"v":2}"#);
}

pub(super) fn a_deleted_after_saved_supersedes_it(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let saved = note("p", "s", EntityKind::Product, Operation::Saved, "9", T0);
    let deleted = note(
        "p",
        "s",
        EntityKind::Product,
        Operation::Deleted,
        "9",
        T0 + SEC,
    );
    let out = store.enqueue_batch(&[saved.clone(), deleted], t).unwrap();
    assert_eq!(status_of(store.as_ref(), out[0].id()), Status::Superseded);
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].op, Operation::Deleted);
    // A late Saved older than the Deleted is stale.
    let mut late = saved;
    late.payload.push(' ');
    let out = store.enqueue_batch(&[late], t).unwrap();
    assert!(matches!(out[0], EnqueueOutcome::Stale { .. }));
}

pub(super) fn an_in_flight_notification_finishes_and_blocks_its_entity(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    store.enqueue_batch(&[customer("1", T0)], t).unwrap();
    let first = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(first.len(), 1);
    // A newer state arrives while the first is in flight: it waits.
    let out = store.enqueue_batch(&[customer("1", T0 + SEC)], t).unwrap();
    assert!(matches!(
        out[0],
        EnqueueOutcome::Queued { superseded: 0, .. }
    ));
    assert_eq!(status_of(store.as_ref(), first[0].id), Status::InFlight);
    assert!(
        store.claim_due(t, 10, LEASE).unwrap().is_empty(),
        "never two in flight for one entity"
    );
    // Another entity is not blocked.
    store.enqueue_batch(&[customer("2", T0)], t).unwrap();
    let other = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].platform_id, "2");

    store.mark_delivered(first[0].id, t).unwrap();
    let second = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, out[0].id());
}

pub(super) fn a_retry_behind_a_newer_state_is_superseded(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    store.enqueue_batch(&[customer("1", T0)], t).unwrap();
    let first = store.claim_due(t, 10, LEASE).unwrap();
    let newer = store.enqueue_batch(&[customer("1", T0 + SEC)], t).unwrap();
    assert_eq!(
        store.mark_retry(first[0].id, t, t, "HTTP 500").unwrap(),
        Marked::Superseded
    );
    assert_eq!(status_of(store.as_ref(), first[0].id), Status::Superseded);
    let next = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].id, newer[0].id());
}

pub(super) fn duplicates_are_ignored_by_idempotency_key(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let n = customer("1", T0);
    let out = store.enqueue_batch(&[n.clone(), n.clone()], t).unwrap();
    let id = queued_id(&out[0]);
    assert_eq!(out[1], EnqueueOutcome::Duplicate { id });
    let out = store.enqueue_batch(std::slice::from_ref(&n), t).unwrap();
    assert_eq!(out[0], EnqueueOutcome::Duplicate { id });
    // Still a duplicate once delivered: nothing is sent twice.
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    store.mark_delivered(claimed[0].id, t).unwrap();
    let out = store.enqueue_batch(&[n], t).unwrap();
    assert_eq!(out[0], EnqueueOutcome::Duplicate { id });
    assert_eq!(store.counts().unwrap().total(), 1);
}

pub(super) fn leases_come_back_after_a_crash(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    store
        .enqueue_batch(&[customer("1", T0), customer("2", T0)], t)
        .unwrap();
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 2);
    drop(store); // the process dies with both in flight

    let store = b.another();
    assert_eq!(store.counts().unwrap().in_flight, 2);
    let before_expiry = t.saturating_add(LEASE - Duration::from_secs(1));
    assert_eq!(store.release_expired_leases(before_expiry).unwrap(), 0);
    let restart = t.saturating_add(LEASE);
    assert_eq!(store.release_expired_leases(restart).unwrap(), 2);
    let records = store.list(&Filter::default()).unwrap();
    for r in &records {
        assert_eq!(r.status, Status::Pending);
        assert_eq!(r.next_attempt_at, Some(restart));
        assert_eq!(r.attempts, 1);
        assert!(r.last_error.as_deref().unwrap().contains("lease expired"));
    }
    let again = store.claim_due(restart, 10, LEASE).unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].attempt, 2);
    // A result that comes after the lease was released changes nothing.
    let released_id = again[0].id;
    store
        .release_expired_leases(restart.saturating_add(LEASE))
        .unwrap();
    assert_eq!(
        store.mark_delivered(released_id, restart).unwrap(),
        Marked::StaleClaim
    );
}

pub(super) fn a_released_lease_behind_a_newer_state_is_superseded(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    store.enqueue_batch(&[customer("1", T0)], t).unwrap();
    let first = store.claim_due(t, 10, LEASE).unwrap();
    store.enqueue_batch(&[customer("1", T0 + SEC)], t).unwrap();
    store
        .release_expired_leases(t.saturating_add(LEASE))
        .unwrap();
    assert_eq!(status_of(store.as_ref(), first[0].id), Status::Superseded);
}

pub(super) fn dead_letters_come_back_with_cli_retry(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let other_plugin = note(
        "other",
        "shop-1",
        EntityKind::Customer,
        Operation::Saved,
        "1",
        T0,
    );
    store
        .enqueue_batch(
            &[
                customer("1", T0),
                customer("2", T0),
                customer("3", T0),
                other_plugin,
            ],
            t,
        )
        .unwrap();
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 4);
    let results: Vec<Finish> = claimed
        .iter()
        .map(|c| Finish::dead(c, "HTTP 400"))
        .collect();
    store.finish(&results, t).unwrap();
    let ids: Vec<i64> = claimed.iter().map(|c| c.id).collect();
    assert_eq!(store.counts().unwrap().dead, 4);

    // Nothing selected is an error, not "retry everything".
    assert!(matches!(
        cli::retry(store.as_ref(), &RetryRequest::default(), t),
        Err(cli::CliError::NothingSelected)
    ));

    // By id, with an unknown id.
    let out = cli::retry(
        store.as_ref(),
        &RetryRequest {
            ids: vec![ids[0], 999],
            ..RetryRequest::default()
        },
        t,
    )
    .unwrap();
    assert_eq!(out.report.retried, vec![ids[0]]);
    assert_eq!(out.report.not_found, vec![999]);
    let text = out.to_string();
    assert!(text.contains("retried 1 dead letter(s)"), "{text}");
    assert!(text.contains("not found: 999"), "{text}");
    let record = store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.id == ids[0])
        .unwrap();
    assert_eq!(record.status, Status::Pending);
    assert_eq!(record.attempts, 0, "attempts reset");
    assert_eq!(record.next_attempt_at, Some(t));

    // A retried id that is no longer dead is skipped.
    let out = cli::retry(
        store.as_ref(),
        &RetryRequest {
            ids: vec![ids[0]],
            ..RetryRequest::default()
        },
        t,
    )
    .unwrap();
    assert_eq!(out.report.skipped, vec![(ids[0], Status::Pending)]);

    // A dead letter whose entity has a newer state since is superseded.
    store.enqueue_batch(&[customer("2", T0 + SEC)], t).unwrap();

    // All dead of plugin `sync`: 2 (superseded) and 3 (retried); `other`
    // stays dead.
    let out = cli::retry(
        store.as_ref(),
        &RetryRequest {
            all_dead: true,
            plugin: Some("sync".into()),
            ..RetryRequest::default()
        },
        t,
    )
    .unwrap();
    assert_eq!(out.report.retried, vec![ids[2]]);
    assert_eq!(out.report.superseded, vec![ids[1]]);
    assert_eq!(status_of(store.as_ref(), ids[3]), Status::Dead);
    let claimed = store.claim_due(t, 10, LEASE).unwrap();
    let mut micros: Vec<(String, i64)> = claimed
        .iter()
        .map(|c| (c.platform_id.clone(), payload_micros(&c.payload)))
        .collect();
    micros.sort();
    assert_eq!(
        micros,
        vec![("1".into(), T0), ("2".into(), T0 + SEC), ("3".into(), T0)]
    );
}

pub(super) fn purge_deletes_finished_rows_only(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let ids: Vec<i64> = store
        .enqueue_batch(
            &[
                customer("1", T0),
                customer("2", T0),
                customer("3", T0),
                customer("4", T0),
            ],
            t,
        )
        .unwrap()
        .iter()
        .map(EnqueueOutcome::id)
        .collect();
    // 1 delivered an hour ago, 2 dead now, 3 in flight, 4 pending, and a
    // stale one (superseded).
    let claimed = store.claim_due(t, 3, LEASE).unwrap();
    assert_eq!(claimed.len(), 3);
    store.mark_delivered(ids[0], t).unwrap();
    let later = t.saturating_add(Duration::from_secs(3600));
    store.mark_dead(ids[1], later, "HTTP 400").unwrap();
    store
        .enqueue_batch(&[customer("4", T0 - SEC)], later)
        .unwrap();

    assert!(matches!(
        cli::purge(store.as_ref(), &PurgeRequest::default(), later),
        Err(cli::CliError::NoStatus)
    ));
    assert!(matches!(
        cli::purge(
            store.as_ref(),
            &PurgeRequest {
                statuses: vec![Status::Pending],
                ..PurgeRequest::default()
            },
            later
        ),
        Err(cli::CliError::NotPurgeable(Status::Pending))
    ));

    // Older than 30 minutes: only the delivered one.
    let out = cli::purge(
        store.as_ref(),
        &PurgeRequest {
            statuses: vec![Status::Delivered, Status::Dead, Status::Superseded],
            older_than: Some(Duration::from_secs(1800)),
            plugin: None,
        },
        later,
    )
    .unwrap();
    assert_eq!(out.deleted, 1);
    assert!(
        out.to_string()
            .starts_with("purged 1 notification(s) (delivered, dead, superseded) finished before ")
    );
    let out = cli::purge(
        store.as_ref(),
        &PurgeRequest {
            statuses: vec![Status::Dead],
            ..PurgeRequest::default()
        },
        later,
    )
    .unwrap();
    assert_eq!(out.deleted, 1);
    // Another plugin's rows are not touched.
    let out = cli::purge(
        store.as_ref(),
        &PurgeRequest {
            statuses: vec![Status::Superseded],
            plugin: Some("other".into()),
            ..PurgeRequest::default()
        },
        later,
    )
    .unwrap();
    assert_eq!(out.deleted, 0);
    // The store never deletes pending or in-flight rows, even if asked.
    let n = store
        .purge(&Selector {
            statuses: vec![Status::Pending, Status::InFlight],
            ..Selector::default()
        })
        .unwrap();
    assert_eq!(n, 0);
    let n = store
        .purge(&Selector {
            ids: Some(ids.clone()),
            ..Selector::default()
        })
        .unwrap();
    assert_eq!(n, 0, "ids 3 and 4 are in flight and pending");
    let counts = store.counts().unwrap();
    assert_eq!(
        (
            counts.in_flight,
            counts.pending,
            counts.superseded,
            counts.total()
        ),
        (1, 1, 1, 3)
    );
}

pub(super) fn list_filters_and_prints(b: &dyn Backend) {
    let store = b.store();
    let t = now();
    let evil = note(
        "sync",
        "shop-2",
        EntityKind::Order,
        Operation::Saved,
        "o\x1b[2J1",
        T0,
    );
    store
        .enqueue_batch(&[customer("1", T0), customer("2", T0), evil], t)
        .unwrap();
    let claimed = store.claim_due(t, 1, LEASE).unwrap();
    store
        .mark_retry(claimed[0].id, t, t, &"x".repeat(500))
        .unwrap();

    let all = cli::list(store.as_ref(), &Filter::default()).unwrap();
    assert_eq!(all.records.len(), 3);
    let shop2 = cli::list(
        store.as_ref(),
        &Filter {
            shop: Some("shop-2".into()),
            ..Filter::default()
        },
    )
    .unwrap();
    assert_eq!(shop2.records.len(), 1);
    let limited = cli::list(
        store.as_ref(),
        &Filter {
            limit: Some(2),
            ..Filter::default()
        },
    )
    .unwrap();
    assert_eq!(limited.records.len(), 2);
    let none = cli::list(
        store.as_ref(),
        &Filter {
            status: Some(Status::Dead),
            ..Filter::default()
        },
    )
    .unwrap();
    assert_eq!(none.to_string(), "no notifications\n");

    let table = all.to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    for word in [
        "ID",
        "STATUS",
        "PLUGIN",
        "SHOP",
        "KIND",
        "OP",
        "PLATFORM_ID",
        "UPDATED_AT",
        "ATTEMPTS",
        "NEXT_ATTEMPT",
        "LAST_ERROR",
    ] {
        assert!(lines[0].contains(word), "{}", lines[0]);
    }
    assert!(!table.contains('\x1b'), "control characters are replaced");
    assert!(table.contains("o?[2J1"));
    assert!(table.contains("2026-01-01T00:00:00Z"));
    assert!(table.contains('…'), "long errors are shortened");
    assert!(!table.contains("micros"), "no payloads");

    let json: serde_json::Value = serde_json::from_str(&all.to_json()).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let retried = rows.iter().find(|r| r["id"] == claimed[0].id).unwrap();
    assert_eq!(retried["status"], "pending");
    assert_eq!(retried["kind"], "customer");
    assert_eq!(retried["attempts"], 1);
    assert_eq!(retried["last_error"].as_str().unwrap().len(), 500);
    assert!(retried["next_attempt_at"].as_str().unwrap().ends_with('Z'));
    assert!(retried.get("payload").is_none());
}

#[test]
fn schema_is_versioned() {
    let (_dir, path, store) = temp_store();
    drop(store);
    // Reopening applies nothing new.
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: i64 = conn
        .query_row("SELECT count(*) FROM outbox_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions, crate::sqlite::SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute("INSERT INTO outbox_schema (version) VALUES (99)", [])
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    let OutboxError::Open { source, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(**source, OutboxError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
}

/// A database written by the previous version (schema 1, without lease
/// tokens) is migrated in place when it is opened: its rows keep their
/// state, a row left in flight is released and claimed with a new token
/// (the old claim's result is then stale), and old delivered rows can be
/// purged.
#[test]
fn a_version_1_database_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.sqlite3");
    let t = now();
    let long_ago = t.saturating_sub(Duration::from_secs(30 * 86_400));
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE outbox_schema (version INTEGER NOT NULL)")
            .unwrap();
        conn.execute_batch(crate::sqlite::schema::MIGRATIONS[0])
            .unwrap();
        conn.execute("INSERT INTO outbox_schema (version) VALUES (1)", [])
            .unwrap();
        let insert = "INSERT INTO notifications (idempotency_key, plugin, shop, kind, op, \
             platform_id, updated_at, updated_at_micros, payload, status, attempts, enqueued_at, \
             next_attempt_at, lease_expires_at, finished_at) \
             VALUES (?1, 'sync', 'shop-1', 'customer', 'saved', ?2, '2026-01-01T00:00:00Z', ?3, \
               '{}', ?4, 1, ?5, ?5, ?6, ?7)";
        conn.execute(
            insert,
            rusqlite::params![
                "k1",
                "1",
                T0,
                "in_flight",
                t.as_micros(),
                t.as_micros(),
                None::<i64>
            ],
        )
        .unwrap();
        conn.execute(
            insert,
            rusqlite::params![
                "k2",
                "2",
                T0,
                "delivered",
                long_ago.as_micros(),
                None::<i64>,
                long_ago.as_micros()
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO entities VALUES ('sync', 'shop-1', 'customer', '1', ?1, 1), \
               ('sync', 'shop-1', 'customer', '2', ?1, 2)",
            [T0],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM outbox_schema ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(crate::sqlite::SCHEMA_VERSION, 2);
    let records = store.list(&Filter::default()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[1].status, records[1].lease_token),
        (Status::InFlight, 0)
    );
    assert_eq!(records[0].status, Status::Delivered);

    // The claim made by the old version: its result, had it come now.
    let old_claim = Finish::Delivered {
        id: 1,
        lease_token: 0,
    };
    // Start-up releases every lease; the row is claimed again.
    assert_eq!(store.release_all_leases(t).unwrap(), 1);
    let claimed = store.claim_due(t, 10, LEASE).unwrap().remove(0);
    assert_eq!(
        (claimed.id, claimed.attempt, claimed.lease_token),
        (1, 2, 1)
    );
    assert_eq!(store.finish_one(old_claim, t).unwrap(), Marked::StaleClaim);
    assert_eq!(
        store.finish_one(Finish::delivered(&claimed), t).unwrap(),
        Marked::Applied
    );
    // The retention finds the old delivered row; the entity's newest state
    // is still known.
    let week_ago = t.saturating_sub(Duration::from_secs(7 * 86_400));
    assert_eq!(store.purge_finished(week_ago, 10).unwrap(), 1);
    let out = store.enqueue_batch(&[customer("2", T0 - SEC)], t).unwrap();
    assert!(matches!(out[0], EnqueueOutcome::Stale { .. }), "{out:?}");
}

#[cfg(unix)]
#[test]
fn the_database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path, _store) = temp_store();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
}

/// Two connections (as the server and the CLI in two processes would have)
/// write at once: every write waits for the other's lock, none fails.
pub(super) fn a_second_connection_can_work_at_the_same_time(b: &dyn Backend) {
    let store = b.store();
    let second = b.another();
    let t = now();
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for batch in 0..50 {
                let notes: Vec<_> = (0..10)
                    .map(|i| customer(&format!("{batch}-{i}"), T0))
                    .collect();
                store.enqueue_batch(&notes, t).unwrap();
            }
        })
    };
    let mut delivered = 0;
    for _ in 0..10_000 {
        let claimed = second.claim_due(t, 16, LEASE).unwrap();
        let results: Vec<Finish> = claimed.iter().map(Finish::delivered).collect();
        delivered += second.finish(&results, t).unwrap().len();
        second.list(&Filter::default()).unwrap();
        if delivered == 500 {
            break;
        }
        if claimed.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    writer.join().unwrap();
    assert_eq!(delivered, 500);
    assert_eq!(store.counts().unwrap().delivered, 500);
}

/// Random enqueues, claims, results (some of claims whose lease expired
/// since), lease expiries, retries and purges on a few entities; after
/// every step the invariants hold, a result is recorded exactly when its
/// claim is still the row's, and per entity the states claimed for sending
/// never go back in time.
pub(super) fn randomised_operations_keep_the_ordering_invariants(b: &dyn Backend) {
    let store = b.store();
    let mut rng = fastrand::Rng::with_seed(0x0b0c);
    let mut clock = now();
    // Claims not yet answered, and whether each still holds its row.
    let mut in_flight: Vec<(Claimed, bool)> = Vec::new();
    let mut last_sent: HashMap<String, i64> = HashMap::new();
    let (mut claims, mut stale) = (0, 0);
    for step in 0..1500 {
        match rng.u8(0..10) {
            0..=3 => {
                let batch: Vec<_> = (0..rng.usize(1..4))
                    .map(|_| {
                        let entity = rng.u8(0..4).to_string();
                        // Few distinct timestamps: duplicates and ties happen.
                        let mut n = customer(&entity, T0 + i64::from(rng.u8(0..12)) * SEC);
                        if rng.bool() {
                            n.payload.push(' ');
                        }
                        n
                    })
                    .collect();
                store.enqueue_batch(&batch, clock).unwrap();
            }
            4..=5 => {
                for c in store.claim_due(clock, rng.usize(1..4), LEASE).unwrap() {
                    claims += 1;
                    let micros = payload_micros(&c.payload);
                    let last = last_sent.entry(c.platform_id.clone()).or_insert(i64::MIN);
                    assert!(
                        micros >= *last,
                        "step {step}: entity {} sent {micros} after {last}",
                        c.platform_id
                    );
                    *last = micros;
                    in_flight.push((c, true));
                }
            }
            6..=7 if !in_flight.is_empty() => {
                let (c, current) = in_flight.swap_remove(rng.usize(0..in_flight.len()));
                let later = clock.saturating_add(Duration::from_secs(rng.u64(0..3)));
                let finish = match rng.u8(0..4) {
                    0 => Finish::delivered(&c),
                    1 => Finish::retry(&c, later, "HTTP 503"),
                    2 => Finish::deferred(&c, later, "HTTP 401"),
                    _ => Finish::dead(&c, "HTTP 400"),
                };
                let marked = store.finish_one(finish, clock).unwrap();
                assert_eq!(
                    marked == Marked::StaleClaim,
                    !current,
                    "step {step}: {marked:?} for {c:?}"
                );
                stale += usize::from(!current);
            }
            8 => {
                // Time passes; sometimes past every lease (a crash, or a
                // claimer that is paused: its results come later, stale).
                let jump = if rng.u8(0..4) == 0 {
                    LEASE
                } else {
                    Duration::from_secs(1)
                };
                clock = clock.saturating_add(jump);
                store.release_expired_leases(clock).unwrap();
                for (c, current) in &mut in_flight {
                    if c.lease_expires_at <= clock {
                        *current = false;
                    }
                }
            }
            _ => {
                if rng.bool() {
                    store.retry(&Selector::default(), clock).unwrap();
                } else {
                    store.purge(&Selector::default()).unwrap();
                }
            }
        }
        b.check_invariants(step);
    }
    assert!(claims > 100, "the run exercised claims ({claims})");
    assert!(stale > 10, "the run exercised stale results ({stale})");
}

/// A claimer whose lease expired (a slow database, a paused process)
/// records its result after the row was released and claimed again by
/// another host: the late result changes nothing, and the row stays as the
/// second claimer has it.
pub(super) fn a_late_result_of_an_expired_claim_changes_nothing(b: &dyn Backend) {
    let store = b.store();
    let other = b.another();
    let t = now();
    store.enqueue_batch(&[customer("1", T0)], t).unwrap();
    let first = store.claim_due(t, 10, LEASE).unwrap().remove(0);
    let expired = t.saturating_add(LEASE);
    assert_eq!(other.release_expired_leases(expired).unwrap(), 1);
    let second = other.claim_due(expired, 10, LEASE).unwrap().remove(0);
    assert_eq!((second.id, second.attempt), (first.id, 2));
    assert_ne!(second.lease_token, first.lease_token);

    // The first claimer's late results, of every kind, alone and in a
    // batch with the second claimer's: none is recorded.
    let late = expired.saturating_add(Duration::from_secs(1));
    let retry_at = late.saturating_add(Duration::from_secs(60));
    let lates = [
        Finish::dead(&first, "HTTP 400"),
        Finish::retry(&first, retry_at, "HTTP 503"),
        Finish::deferred(&first, retry_at, "HTTP 401"),
        Finish::delivered(&first),
    ];
    for result in &lates {
        assert_eq!(
            store.finish_one(result.clone(), late).unwrap(),
            Marked::StaleClaim,
            "{result:?}"
        );
    }
    assert_eq!(
        store.finish(&lates, late).unwrap(),
        vec![Marked::StaleClaim; 4]
    );
    let record = store.list(&Filter::default()).unwrap().remove(0);
    assert_eq!(record.status, Status::InFlight, "still the second claim's");
    assert_eq!(record.attempts, 2);
    assert_eq!(record.lease_expires_at, Some(expired.saturating_add(LEASE)));
    assert_eq!(record.finished_at, None);
    assert!(
        store.claim_due(retry_at, 10, LEASE).unwrap().is_empty(),
        "one in flight per entity"
    );
    let last_error = record.last_error.unwrap_or_default();
    assert!(last_error.contains("lease expired"), "{last_error}");
    // The second claimer's result counts, once.
    let results = [Finish::delivered(&second), Finish::dead(&first, "HTTP 400")];
    assert_eq!(
        other.finish(&results, late).unwrap(),
        vec![Marked::Applied, Marked::StaleClaim]
    );
    let record = store.list(&Filter::default()).unwrap().remove(0);
    assert_eq!(record.status, Status::Delivered);
    assert_eq!(record.finished_at, Some(late));
    assert_eq!(
        store.finish_one(Finish::delivered(&second), late).unwrap(),
        Marked::StaleClaim,
        "a result is recorded once"
    );

    // A late result after the release, before anyone claims the row again,
    // changes nothing either: the row stays pending, due when released.
    store.enqueue_batch(&[customer("2", T0)], late).unwrap();
    let third = store.claim_due(late, 10, LEASE).unwrap().remove(0);
    let expired = late.saturating_add(LEASE);
    assert_eq!(other.release_expired_leases(expired).unwrap(), 1);
    let result = Finish::retry(&third, retry_at.saturating_add(LEASE), "HTTP 503");
    assert_eq!(
        store.finish_one(result, expired).unwrap(),
        Marked::StaleClaim
    );
    let record = store
        .list(&Filter::default())
        .unwrap()
        .into_iter()
        .find(|r| r.id == third.id)
        .unwrap();
    assert_eq!(record.status, Status::Pending);
    assert_eq!(record.next_attempt_at, Some(expired));
    assert!(record.last_error.unwrap().contains("lease expired"));
}

/// The delivery worker's housekeeping deletes delivered and superseded
/// rows finished longer ago than the retention (default 7 days); recent
/// ones, dead letters, and pending rows stay, and the newest state of a
/// purged entity is still remembered.
pub(super) fn old_delivered_and_superseded_rows_are_purged_in_the_background(b: &dyn Backend) {
    let store = b.store();
    let real_now = Timestamp::now();
    let old = real_now.saturating_sub(Duration::from_secs(8 * 86_400));
    let recent = real_now.saturating_sub(Duration::from_secs(3600));
    let tomorrow = real_now.saturating_add(Duration::from_secs(86_400));
    // Finished 8 days ago: 1-5 and 6's newer state delivered, 6's first
    // state superseded, a stale state of 1 (superseded), 7 dead.
    let batch: Vec<_> = (1..=7).map(|i| customer(&i.to_string(), T0)).collect();
    let first: Vec<i64> = store
        .enqueue_batch(&batch, old)
        .unwrap()
        .iter()
        .map(EnqueueOutcome::id)
        .collect();
    let stale = store
        .enqueue_batch(&[customer("1", T0 - SEC)], old)
        .unwrap()[0]
        .id();
    let newer6 = store
        .enqueue_batch(&[customer("6", T0 + SEC)], old)
        .unwrap()[0]
        .id();
    let claimed = store.claim_due(old, 10, LEASE).unwrap();
    assert_eq!(claimed.len(), 7);
    let results: Vec<Finish> = claimed
        .iter()
        .map(|c| match c.platform_id.as_str() {
            "7" => Finish::dead(c, "HTTP 400"),
            _ => Finish::delivered(c),
        })
        .collect();
    store.finish(&results, old).unwrap();
    // Finished an hour ago: 8 delivered, 9's first state superseded; 9's
    // newer state is pending, due tomorrow.
    let recent_ids: Vec<i64> = store
        .enqueue_batch(&[customer("8", T0), customer("9", T0)], recent)
        .unwrap()
        .iter()
        .map(EnqueueOutcome::id)
        .collect();
    let pending = store
        .enqueue_batch(&[customer("9", T0 + SEC)], recent)
        .unwrap()[0]
        .id();
    for c in store.claim_due(recent, 10, LEASE).unwrap() {
        let result = if c.id == pending {
            Finish::retry(&c, tomorrow, "HTTP 503")
        } else {
            Finish::delivered(&c)
        };
        store.finish(&[result], recent).unwrap();
    }
    let before = store.counts().unwrap();
    assert_eq!(
        (
            before.delivered,
            before.superseded,
            before.dead,
            before.pending
        ),
        (7, 3, 1, 1)
    );
    // One batch at a time, bounded, oldest first.
    let week_ago = real_now.saturating_sub(Duration::from_secs(7 * 86_400));
    assert_eq!(store.purge_finished(week_ago, 0).unwrap(), 0);
    assert_eq!(store.purge_finished(week_ago, 3).unwrap(), 3);
    assert_eq!(store.counts().unwrap().total(), 9);

    // The worker's housekeeping (nothing is due, so it sends nothing), in
    // batches of 2.
    let settings = DeliverySettings::new(
        BoldApiSettings {
            base_url: "http://127.0.0.1:9".into(),
            ..BoldApiSettings::default()
        },
        OutboxSettings {
            purge_batch_size: 2,
            ..OutboxSettings::default()
        },
    );
    let stats = Arc::clone(&settings.stats);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let outbox = Outbox::start(Arc::clone(&store), &settings.outbox).unwrap();
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let tokens = |_: &str, _: &str| Some("t".to_owned());
    let worker = {
        let _runtime = rt.enter();
        DeliveryWorker::spawn(outbox, Arc::new(tokens), settings, shutdown).unwrap()
    };
    // The store blocks: poll it from this thread, outside the runtime.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while (store.counts().unwrap().total() > 4 || stats.snapshot().purged < 5)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.send(true).unwrap();
    rt.block_on(worker).unwrap();
    let left = store.list(&Filter::default()).unwrap();
    assert_eq!(
        left.len(),
        4,
        "old delivered and superseded rows are purged: {left:#?}"
    );
    assert_eq!(stats.snapshot().purged, 5);
    let left: HashMap<i64, Status> = left.iter().map(|r| (r.id, r.status)).collect();
    let expected: HashMap<i64, Status> = [
        (first[6], Status::Dead),
        (recent_ids[0], Status::Delivered),
        (recent_ids[1], Status::Superseded),
        (pending, Status::Pending),
    ]
    .into_iter()
    .collect();
    for (id, status) in &expected {
        assert_eq!(left.get(id), Some(status), "row {id}: {left:?}");
    }
    for id in first[..6].iter().chain([&stale, &newer6]) {
        assert!(!left.contains_key(id), "old row {id} is purged: {left:?}");
    }
    // The newest state of a purged entity is still remembered.
    let late = store
        .enqueue_batch(&[customer("2", T0 - SEC)], real_now)
        .unwrap();
    assert!(matches!(late[0], EnqueueOutcome::Stale { .. }), "{late:?}");
}
