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
            a_late_result_of_an_expired_claim_changes_nothing,
            old_delivered_and_superseded_rows_are_purged_in_the_background,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                if let Some(backend) = $make(stringify!($case)) {
                    $crate::tests::store::$case(&backend);
                }
            }
        )*
    };
}

mod delivery;
mod group_commit;
mod postgres;
mod store;

pub use crate::testing::*;
pub use test_support::pg_server;
