//! The change feed that keeps every running matcher in step with the
//! database.
//!
//! A write that changes what can match (a list version, an indicator's
//! status, a negative-list entry) calls [`next_change_id`] inside its
//! transaction and stamps the rows it touches with the id it gets. Every
//! write transaction of the store locks the audit chain head first, so
//! writes are serialised and change ids become visible in order: no id is
//! committed after a larger one. A matcher that has applied everything up to
//! id `a` catches up by reading the current id `c` and then the rows stamped
//! `a < id <= c` ([`crate::matcher::Matcher::catch_up`]). That works the
//! same for a change made by this process, by the CLI on the same database
//! file, or by another server on the same PostgreSQL; a server calls it after
//! its own writes and on a timer ([`CATCH_UP_EVERY`]).

use std::time::Duration;

use sqlx::{AnyConnection, Row};

use bulwark_store::Store;

use crate::error::Result;

/// How often a server looks for changes made by other processes: the
/// longest a change from the CLI or another server takes to reach its
/// matcher.
pub const CATCH_UP_EVERY: Duration = Duration::from_secs(1);

/// Takes the next change id, inside the caller's write transaction (which
/// holds the audit head lock, so ids are handed out in commit order).
pub async fn next_change_id(conn: &mut AnyConnection) -> Result<i64> {
    sqlx::query("UPDATE det_sync SET change_id = change_id + 1 WHERE id = 1")
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query("SELECT change_id FROM det_sync WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?
        .try_get("change_id")?)
}

/// The id of the newest committed change.
pub async fn current_change_id(store: &Store) -> Result<i64> {
    Ok(sqlx::query("SELECT change_id FROM det_sync WHERE id = 1")
        .fetch_one(store.pool())
        .await?
        .try_get("change_id")?)
}
