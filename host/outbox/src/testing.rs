//! Helpers for tests of the outbox and of its users (feature `testing`):
//! notifications with known payloads, a store in a temporary directory,
//! polling.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::{EntityKind, NewNotification, Operation, SqliteStore, Timestamp};

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
