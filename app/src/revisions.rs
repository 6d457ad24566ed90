//! The revision store shared by every documented object (table maps, field
//! mappings, conflict rules): one row per change with author, time, comment
//! and the object's full state as JSON. Nothing is ever removed from it.

use crate::audit::server::Actor;
use crate::auth::server::db_now;
use crate::error::AppError;
use sqlx::SqliteConnection;

/// Where a revision belongs and what it was.
#[derive(Debug, Clone, Copy)]
pub struct RevisionOf<'a> {
    /// `table_map`, `field_mapping` or `conflict_rule`.
    pub object_type: &'a str,
    /// The object's id.
    pub object_id: i64,
    /// Its new revision number.
    pub revision: i64,
    /// The environment the object belongs to.
    pub environment_id: i64,
    /// `create`, `update`, `delete` or `restore`.
    pub action: &'a str,
}

/// Appends one revision. Call it in the transaction of the write it records.
#[tracing::instrument(skip_all, fields(revision.object = of.object_type, revision.id = of.object_id), err)]
pub async fn append(
    conn: &mut SqliteConnection,
    actor: &Actor,
    of: RevisionOf<'_>,
    comment: &str,
    snapshot: &serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query(
        "insert into revisions (object_type, object_id, revision, environment_id, action, author_user_id, author, created_at, comment, snapshot)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(of.object_type)
    .bind(of.object_id)
    .bind(of.revision)
    .bind(of.environment_id)
    .bind(of.action)
    .bind(actor.user_id)
    .bind(&actor.label)
    .bind(db_now())
    .bind(comment.trim())
    .bind(snapshot.to_string())
    .execute(conn)
    .await?;
    Ok(())
}
