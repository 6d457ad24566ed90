//! The revision store: the `revisions` table, appended to in the
//! transaction of each documented change and read for history, diffs,
//! restores and the weekly review.

use crate::audit::server::Actor;
use crate::db::Conn;
use crate::db::db_now;
use crate::error::AppError;

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
#[tracing::instrument(skip_all, fields(revision.object = of.object_type, revision.id = of.object_id))]
pub async fn append(
    conn: &mut dyn Conn,
    actor: &Actor,
    of: RevisionOf<'_>,
    comment: &str,
    snapshot: &serde_json::Value,
) -> Result<(), AppError> {
    crate::db::query(
        "insert into revisions (object_type, object_id, revision, environment_id, action, author_user_id, author, created_at, comment, snapshot)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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

/// Every revision of one object, newest first.
#[tracing::instrument(skip_all, fields(revision.object = object_type, revision.id = object_id))]
pub async fn history(
    conn: &mut dyn Conn,
    object_type: &str,
    object_id: i64,
) -> Result<Vec<super::Revision>, AppError> {
    Ok(crate::db::query_as(
        "select revision, action, author, created_at, comment from revisions
         where object_type = $1 and object_id = $2 order by revision desc",
    )
    .bind(object_type)
    .bind(object_id)
    .fetch_all(conn)
    .await?)
}

/// The object's state at `revision`. Snapshots are folded from the first
/// revision on, key by key, so a revision that stored only what changed (as
/// early rule status changes did) still reads back as the whole state.
#[tracing::instrument(skip_all, fields(revision.object = object_type, revision.id = object_id, revision))]
pub async fn state_at<T: serde::de::DeserializeOwned>(
    conn: &mut dyn Conn,
    object_type: &str,
    object_id: i64,
    revision: i64,
    what: &str,
) -> Result<T, AppError> {
    let snapshots: Vec<String> = crate::db::query_scalar(
        "select snapshot from revisions where object_type = $1 and object_id = $2 and revision <= $3
         order by revision",
    )
    .bind(object_type)
    .bind(object_id)
    .bind(revision)
    .fetch_all(conn)
    .await?;
    let unreadable = |e: serde_json::Error| {
        tracing::error!(error = %e, "unreadable revision snapshot");
        AppError::Internal
    };
    let exists = snapshots.len() as i64 == revision && revision > 0;
    if !exists {
        return Err(AppError::not_found(format!(
            "Revision {revision} of {what}"
        )));
    }
    let mut state = serde_json::Map::new();
    for s in snapshots {
        match serde_json::from_str(&s).map_err(unreadable)? {
            serde_json::Value::Object(o) => state.extend(o),
            _ => return Err(unreadable(serde::de::Error::custom("not an object"))),
        }
    }
    serde_json::from_value(serde_json::Value::Object(state)).map_err(unreadable)
}

/// Who saved the latest revision of an object, if it has one.
pub async fn last_author(
    conn: &mut dyn Conn,
    object_type: &str,
    object_id: i64,
) -> Result<Option<String>, AppError> {
    Ok(crate::db::query_scalar(
        "select author from revisions where object_type = $1 and object_id = $2 order by revision desc limit 1",
    )
    .bind(object_type)
    .bind(object_id)
    .fetch_optional(conn)
    .await?)
}

/// A change as the weekly review lists it: when, who, action, object type
/// and id, the object's name as saved, comment.
pub type Change = (String, String, String, String, i64, Option<String>, String);

/// The changes saved in an environment in `[from, to)` (stored times),
/// newest first, at most `limit`.
pub async fn changes_between(
    conn: &mut dyn Conn,
    environment_id: i64,
    (from, to): (&str, &str),
    limit: i64,
) -> Result<Vec<Change>, AppError> {
    Ok(crate::db::query_as(
        "select created_at, author, action, object_type, object_id,
            coalesce(json_extract(snapshot, '$.name'),
                     json_extract(snapshot, '$.fo_field') || ' ↔ ' || json_extract(snapshot, '$.dataverse_column'),
                     json_extract(snapshot, '$.title')),
            comment
         from revisions where environment_id = $1 and created_at >= $2 and created_at < $3
         order by id desc limit $4",
    )
    .bind(environment_id)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
