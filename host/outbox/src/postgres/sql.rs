//! The statements of [`PostgresStore`](super::PostgresStore), prepared once
//! per connection.
//!
//! Locks, always taken in this order within a transaction so that hosts do
//! not deadlock (and if PostgreSQL still reports one, the call is retried):
//! - an enqueue locks the rows of its entities in `outbox_entities` first,
//!   sorted by key, in one statement ([`LOCK_ENTITIES`]);
//! - moving a row back to pending (a retry, a released lease, `outbox
//!   retry`) share-locks the entity rows of the rows it moves, sorted
//!   ([`SHARE_ENTITIES`]), before it compares them with the entity's newest
//!   state, so an enqueue of the same entity cannot slip in between;
//! - a claim never waits for a row lock (`SKIP LOCKED`).

/// True when the row `n` is its entity's newest accepted state (or the
/// entity is unknown, which never happens).
macro_rules! is_latest {
    () => {
        "NOT EXISTS (SELECT 1 FROM outbox_entities e \
           WHERE e.plugin = n.plugin AND e.shop = n.shop AND e.kind = n.kind \
             AND e.platform_id = n.platform_id \
             AND (e.latest_micros > n.updated_at_micros \
                  OR (e.latest_micros = n.updated_at_micros AND e.latest_id > n.id)))"
    };
}

/// Columns of a [`Claimed`](crate::Claimed), then
/// `next_attempt_at` (to sort by).
macro_rules! claimed_columns {
    () => {
        "n.id, n.idempotency_key, n.plugin, n.shop, n.kind, n.op, n.platform_id, n.payload, \
         n.attempts, n.enqueued_at, n.lease_expires_at, n.lease_token, n.next_attempt_at"
    };
}

/// Columns of a [`Record`](crate::Record).
pub const RECORD_COLUMNS: &str = "id, idempotency_key, status, plugin, shop, kind, op, \
     platform_id, updated_at, attempts, enqueued_at, next_attempt_at, lease_expires_at, \
     last_attempt_at, finished_at, last_error, octet_length(payload)::bigint, lease_token";

/// Creates (latest state NULL) or locks the entities `($1..$4)[i]`, in key
/// order; returns each one's newest accepted timestamp.
pub const LOCK_ENTITIES: &str = "INSERT INTO outbox_entities AS e (plugin, shop, kind, platform_id) \
     SELECT u.plugin, u.shop, u.kind, u.platform_id \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(plugin, shop, kind, platform_id) \
     ORDER BY 1, 2, 3, 4 \
     ON CONFLICT (plugin, shop, kind, platform_id) DO UPDATE SET latest_micros = e.latest_micros \
     RETURNING e.plugin, e.shop, e.kind, e.platform_id, e.latest_micros";

/// Inserts one notification unless its idempotency key is stored; if it
/// is `pending` ($10), supersedes the entity's pending row and makes it the
/// entity's newest state. Returns the new id (NULL for a duplicate) and how
/// many rows it superseded.
///
/// $1 key, $2 plugin, $3 shop, $4 kind, $5 op, $6 platform_id, $7
/// updated_at, $8 updated_at_micros, $9 payload, $10 status, $11 now, $12
/// finished_at.
pub const INSERT: &str = "WITH ins AS ( \
       INSERT INTO outbox_notifications (idempotency_key, plugin, shop, kind, op, platform_id, \
         updated_at, updated_at_micros, payload, status, enqueued_at, next_attempt_at, finished_at) \
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) \
       ON CONFLICT (idempotency_key) DO NOTHING \
       RETURNING id \
     ), superseded AS ( \
       UPDATE outbox_notifications n SET status = 'superseded', finished_at = $11 \
       FROM ins \
       WHERE $10::text = 'pending' AND n.status = 'pending' AND n.id <> ins.id \
         AND n.plugin = $2 AND n.shop = $3 AND n.kind = $4 AND n.platform_id = $6 \
       RETURNING n.id \
     ), latest AS ( \
       UPDATE outbox_entities e SET latest_micros = $8, latest_id = ins.id \
       FROM ins \
       WHERE $10::text = 'pending' \
         AND e.plugin = $2 AND e.shop = $3 AND e.kind = $4 AND e.platform_id = $6 \
     ) \
     SELECT (SELECT id FROM ins), (SELECT count(*) FROM superseded)";

/// The id stored under an idempotency key.
pub const FIND_KEY: &str = "SELECT id FROM outbox_notifications WHERE idempotency_key = $1";

/// Claims up to $2 pending rows due at $1 whose entity has nothing in
/// flight, oldest due first, skipping rows another transaction holds; the
/// lease ends at $3, and each row's lease token is incremented.
pub const CLAIM: &str = concat!(
    "WITH due AS ( \
       SELECT n.id FROM outbox_notifications n \
       WHERE n.status = 'pending' AND n.next_attempt_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM outbox_notifications f \
           WHERE f.status = 'in_flight' AND f.plugin = n.plugin AND f.shop = n.shop \
             AND f.kind = n.kind AND f.platform_id = n.platform_id) \
       ORDER BY n.next_attempt_at, n.id \
       LIMIT $2 \
       FOR UPDATE OF n SKIP LOCKED \
     ) \
     UPDATE outbox_notifications n SET status = 'in_flight', attempts = n.attempts + 1, \
       lease_token = n.lease_token + 1, lease_expires_at = $3, last_attempt_at = $1 \
     FROM due WHERE n.id = due.id AND n.status = 'pending' \
     RETURNING ",
    claimed_columns!()
);

/// Set in a claim's transaction before [`CLAIM`]: a sort of the due rows
/// costs as much as the planner's worst option, so it takes the due index
/// in `(next_attempt_at, id)` order and stops at the limit.
pub const CLAIM_SETTINGS: &str = "SET LOCAL enable_sort = off";

/// Share-locks, in key order, the entities of the rows `$1` (ids).
pub const SHARE_ENTITIES: &str = "SELECT 1 FROM outbox_entities e \
     WHERE (e.plugin, e.shop, e.kind, e.platform_id) IN ( \
       SELECT n.plugin, n.shop, n.kind, n.platform_id FROM outbox_notifications n \
       WHERE n.id = ANY($1)) \
     ORDER BY e.plugin, e.shop, e.kind, e.platform_id \
     FOR SHARE OF e";

/// Ends the in-flight rows `$2[i]`, still under the claim `$5[i]` (lease
/// token), as `$3[i]` (delivered or dead) with error `$4[i]`, at $1;
/// returns the ids it changed (ids must be distinct).
pub const END: &str = "UPDATE outbox_notifications n SET status = r.status, finished_at = $1, \
       lease_expires_at = NULL, last_error = r.error \
     FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bigint[]) \
       AS r(id, status, error, lease_token) \
     WHERE n.id = r.id AND n.status = 'in_flight' AND n.lease_token = r.lease_token \
     RETURNING n.id";

/// Moves row $1 from status $6 (and, unless $7 is NULL, still under the
/// claim with lease token $7) back to pending, due $2, or supersedes it (at
/// $4) if its entity has a newer state; `last_error` becomes $3 if given;
/// attempts stay ($5 = 0), go back down by one (1: a deferral) or reset
/// (2). Returns the new status. The entity must be share-locked first
/// ([`SHARE_ENTITIES`]).
pub const BACK_TO_PENDING: &str = concat!(
    "UPDATE outbox_notifications n SET \
       status = CASE WHEN ",
    is_latest!(),
    " THEN 'pending' ELSE 'superseded' END, \
       finished_at = CASE WHEN ",
    is_latest!(),
    " THEN NULL ELSE $4::bigint END, \
       next_attempt_at = $2::bigint, lease_expires_at = NULL, \
       last_error = coalesce($3::text, n.last_error), \
       attempts = CASE $5::integer WHEN 2 THEN 0 WHEN 1 THEN greatest(n.attempts - 1, 0) \
         ELSE n.attempts END \
     WHERE n.id = $1::bigint AND n.status = $6::text \
       AND ($7::bigint IS NULL OR n.lease_token = $7::bigint) \
     RETURNING n.status"
);

/// Locks the in-flight rows whose lease ended at or before $1, skipping
/// rows another transaction holds (their result is being recorded).
pub const EXPIRED: &str = "SELECT id FROM outbox_notifications \
     WHERE status = 'in_flight' AND lease_expires_at <= $1 \
     ORDER BY id FOR UPDATE SKIP LOCKED";

/// Puts the in-flight rows `$3` whose lease ended at or before $4 back to
/// pending, due $1, with error $2, or supersedes them. The entities must be
/// share-locked first.
pub const RELEASE: &str = concat!(
    "UPDATE outbox_notifications n SET \
       status = CASE WHEN ",
    is_latest!(),
    " THEN 'pending' ELSE 'superseded' END, \
       finished_at = CASE WHEN ",
    is_latest!(),
    " THEN NULL ELSE $1::bigint END, \
       next_attempt_at = $1::bigint, lease_expires_at = NULL, last_error = $2::text \
     WHERE n.id = ANY($3::bigint[]) AND n.status = 'in_flight' \
       AND n.lease_expires_at <= $4::bigint"
);

/// Deletes up to $2 delivered and superseded rows finished before $1,
/// oldest first, skipping rows another transaction holds (another host's
/// purge).
pub const PURGE_FINISHED: &str = "DELETE FROM outbox_notifications WHERE id IN ( \
       SELECT id FROM outbox_notifications \
       WHERE status IN ('delivered', 'superseded') AND finished_at < $1 \
       ORDER BY finished_at, id LIMIT $2 \
       FOR UPDATE SKIP LOCKED)";

/// When the earliest pending row is due.
pub const NEXT_DUE: &str =
    "SELECT min(next_attempt_at) FROM outbox_notifications WHERE status = 'pending'";

/// Rows per status.
pub const COUNTS: &str = "SELECT status, count(*) FROM outbox_notifications GROUP BY status";
