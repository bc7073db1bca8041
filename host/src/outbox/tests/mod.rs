//! Tests of the outbox as a whole: the store rules (on SQLite, and on a
//! PostgreSQL server the tests start themselves, see `pg_server`), group
//! commit, delivery against a mock Bold API, and two hosts sharing one
//! PostgreSQL queue.

/// Makes a `#[test]` of every backend-independent store case (in
/// `store.rs`) for the backend that `$make(test_name)` returns; `None`
/// skips the test (the backend is not available here).
macro_rules! store_cases {
    ($make:expr) => {
        store_cases!(@cases $make;
            enqueue_claim_deliver_lifecycle,
            a_stale_notification_is_stored_superseded,
            a_newer_notification_supersedes_the_pending_one,
            equal_timestamps_keep_the_later_enqueue,
            a_deleted_after_saved_supersedes_it,
            an_in_flight_notification_finishes_and_blocks_its_entity,
            a_retry_behind_a_newer_state_is_superseded,
            duplicates_are_ignored_by_idempotency_key,
            leases_come_back_after_a_crash,
            a_released_lease_behind_a_newer_state_is_superseded,
            dead_letters_come_back_with_cli_retry,
            purge_deletes_finished_rows_only,
            list_filters_and_prints,
            a_second_connection_can_work_at_the_same_time,
            randomised_operations_keep_the_ordering_invariants,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                if let Some(backend) = $make(stringify!($case)) {
                    $crate::outbox::tests::store::$case(&backend);
                }
            }
        )*
    };
}

mod delivery;
mod group_commit;
pub(crate) mod pg_server;
mod postgres;
mod store;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{EntityKind, NewNotification, Operation, SqliteStore, Timestamp};

/// 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600_000_000;

/// A notification for plugin `sync`, shop `shop-1`.
pub fn customer(platform_id: &str, micros: i64) -> NewNotification {
    note(
        "sync",
        "shop-1",
        EntityKind::Customer,
        Operation::Saved,
        platform_id,
        micros,
    )
}

/// A notification whose payload names its platform id and timestamp.
pub fn note(
    plugin: &str,
    shop: &str,
    kind: EntityKind,
    op: Operation,
    platform_id: &str,
    micros: i64,
) -> NewNotification {
    let updated_at = Timestamp::from_micros(micros).to_string();
    NewNotification {
        plugin: plugin.into(),
        shop: shop.into(),
        kind,
        op,
        platform_id: platform_id.into(),
        payload: serde_json::json!({
            "platform_id": platform_id,
            "platform_updated_at": updated_at,
            "micros": micros,
        })
        .to_string(),
        updated_at,
        updated_at_micros: micros,
    }
}

/// A store in a fresh temporary directory (in a subdirectory that does not
/// exist yet, so `open` creates it).
pub fn temp_store() -> (tempfile::TempDir, PathBuf, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join("outbox.sqlite3");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    (dir, path, store)
}

/// The `micros` field of a payload built by [`note`].
pub fn payload_micros(payload: &str) -> i64 {
    let value: serde_json::Value = serde_json::from_str(payload).unwrap();
    value["micros"].as_i64().unwrap()
}

/// Polls `check` every 10 ms until it is true or `timeout` passes.
pub async fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The `p` quantile (0–1) of sorted values.
pub fn quantile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
