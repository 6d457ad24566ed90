//! Table-map storage: the current state in `table_maps`, every change as a
//! full snapshot in `revisions`, and an audit entry beside each write.

use super::{MapContent, TableMap};
use crate::audit::server::{Actor, Event, record};
use crate::db::db_now;
use crate::environments::Environment;
use crate::error::{AppError, OnConstraint as _};
// The only formatted SQL here joins the constant SELECT with constant
// clauses; every value is bound.
use crate::db::Conn;
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// Binds a map's 13 content columns, in the order both the insert and the
/// update list them (a macro because the two are different query types).
macro_rules! bind_content {
    ($query:expr, $content:expr) => {{
        let c: &MapContent = $content;
        $query
            .bind(&c.name)
            .bind(&c.fo_entity)
            .bind(&c.dataverse_table)
            .bind(c.direction.as_str())
            .bind(&c.not_synced_reason)
            .bind(c.master_side.as_str())
            .bind(&c.fo_keys)
            .bind(&c.dataverse_keys)
            .bind(c.initial_sync.as_str())
            .bind(c.expected_records)
            .bind(c.state.as_str())
            .bind(&c.tags)
            .bind(&c.notes)
    }};
}

/// Object type of maps in the revision store.
const OBJECT: &str = "table_map";

pub use super::Revision as RevisionRow;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    environment_id: i64,
    /// Named after the fetch: environments are `environments::server`'s.
    #[sqlx(skip)]
    environment: String,
    name: String,
    fo_entity: String,
    dataverse_table: String,
    direction: String,
    not_synced_reason: String,
    master_side: String,
    fo_keys: String,
    dataverse_keys: String,
    initial_sync: String,
    expected_records: Option<i64>,
    state: String,
    tags: String,
    notes: String,
    revision: i64,
    deleted: bool,
    updated_at: String,
}

const SELECT: &str = "select m.id, m.environment_id, m.name, m.fo_entity, m.dataverse_table, m.direction,
        m.not_synced_reason, m.master_side, m.fo_keys, m.dataverse_keys, m.initial_sync, m.expected_records,
        m.state, m.tags, m.notes, m.revision, m.deleted, m.updated_at
    from table_maps m";

impl TryFrom<Row> for TableMap {
    type Error = AppError;

    fn try_from(r: Row) -> Result<Self, AppError> {
        let bad = |what: &str, v: &str| {
            tracing::error!(
                map.id = r.id,
                what,
                value = v,
                "unknown value in table_maps"
            );
            AppError::Internal
        };
        Ok(TableMap {
            id: r.id,
            environment: r.environment,
            content: MapContent {
                name: r.name,
                fo_entity: r.fo_entity,
                dataverse_table: r.dataverse_table,
                direction: super::Direction::parse(&r.direction)
                    .ok_or_else(|| bad("direction", &r.direction))?,
                not_synced_reason: r.not_synced_reason,
                master_side: super::Side::parse(&r.master_side)
                    .ok_or_else(|| bad("master_side", &r.master_side))?,
                fo_keys: r.fo_keys,
                dataverse_keys: r.dataverse_keys,
                initial_sync: super::InitialSync::parse(&r.initial_sync)
                    .ok_or_else(|| bad("initial_sync", &r.initial_sync))?,
                expected_records: r.expected_records,
                state: super::MapState::parse(&r.state).ok_or_else(|| bad("state", &r.state))?,
                tags: r.tags,
                notes: r.notes,
            },
            revision: r.revision,
            deleted: r.deleted,
            updated_at: r.updated_at,
        })
    }
}

/// Live maps of an environment, by name.
pub async fn list(conn: &mut dyn Conn, environment_id: i64) -> Result<Vec<TableMap>, AppError> {
    list_where_deleted(conn, environment_id, false).await
}

/// Deleted maps of an environment, so they can be found and restored.
pub async fn list_deleted(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<Vec<TableMap>, AppError> {
    list_where_deleted(conn, environment_id, true).await
}

#[tracing::instrument(skip_all, fields(environment.id = environment_id, deleted))]
async fn list_where_deleted(
    conn: &mut dyn Conn,
    environment_id: i64,
    deleted: bool,
) -> Result<Vec<TableMap>, AppError> {
    let rows: Vec<Row> = crate::db::query_as(AssertSqlSafe(format!(
        "{SELECT} where m.environment_id = $1 and m.deleted = $2 order by m.name"
    )))
    .bind(environment_id)
    .bind(deleted)
    .fetch_all(&mut *conn)
    .await?;
    let environment = environment_name(conn, environment_id).await?;
    rows.into_iter()
        .map(|r| {
            TableMap::try_from(Row {
                environment: environment.clone(),
                ..r
            })
        })
        .collect()
}

/// One map, deleted or not.
#[tracing::instrument(skip_all, fields(map.id = id))]
pub async fn get(conn: &mut dyn Conn, id: i64) -> Result<TableMap, AppError> {
    let row: Option<Row> = crate::db::query_as(AssertSqlSafe(format!("{SELECT} where m.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let row = row.ok_or_else(|| AppError::not_found(format!("Table map {id}")))?;
    let environment = environment_name(conn, row.environment_id).await?;
    TableMap::try_from(Row { environment, ..row })
}

/// The name of a map's environment (an environment is never deleted while
/// it has maps, so a missing one is a broken database).
async fn environment_name(conn: &mut dyn Conn, id: i64) -> Result<String, AppError> {
    crate::environments::server::name_of(conn, id)
        .await?
        .ok_or_else(|| {
            tracing::error!(environment.id = id, "a table map's environment is missing");
            AppError::Internal
        })
}

fn duplicate(name: &str) -> impl FnOnce() -> AppError + '_ {
    move || {
        AppError::Conflict(format!(
            "This environment already has a map named '{name}'."
        ))
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the revision row; a struct would only rename them"
)]
async fn write_revision(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    id: i64,
    revision: i64,
    action: &str,
    comment: &str,
    content: &MapContent,
) -> Result<(), AppError> {
    let snapshot = serde_json::to_value(content).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise a map snapshot");
        AppError::Internal
    })?;
    let of = crate::revisions::RevisionOf {
        object_type: OBJECT,
        object_id: id,
        revision,
        environment_id,
        action,
    };
    crate::revisions::append(conn, actor, of, comment, &snapshot).await?;
    let verb = match action {
        "create" => "Created",
        "delete" => "Deleted",
        "restore" => "Restored",
        _ => "Changed",
    };
    let environment = crate::environments::server::name_of(conn, environment_id).await?;
    record(
        conn,
        actor,
        Event {
            action: match action {
                "create" => "map.create",
                "delete" => "map.delete",
                "restore" => "map.restore",
                _ => "map.update",
            },
            object_type: OBJECT,
            object_id: Some(id.to_string()),
            summary: format!("{verb} table map '{}' (revision {revision})", content.name),
            detail: (!comment.trim().is_empty())
                .then(|| serde_json::json!({ "comment": comment.trim() })),
            environment,
        },
    )
    .await
}

async fn store(
    conn: &mut dyn Conn,
    id: i64,
    content: &MapContent,
    revision: i64,
    deleted: bool,
) -> Result<(), AppError> {
    bind_content!(
        crate::db::query(
            "update table_maps set name = $1, fo_entity = $2, dataverse_table = $3, direction = $4, not_synced_reason = $5,
                master_side = $6, fo_keys = $7, dataverse_keys = $8, initial_sync = $9, expected_records = $10, state = $11,
                tags = $12, notes = $13, revision = $14, deleted = $15, updated_at = $16
             where id = $17",
        ),
        content
    )
    .bind(revision)
    .bind(deleted)
    .bind(db_now())
    .bind(id)
    .execute(conn)
    .await
    .on_unique(duplicate(&content.name))?;
    Ok(())
}

/// Creates a map as revision 1.
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &Environment,
    content: &MapContent,
    comment: &str,
) -> Result<i64, AppError> {
    let id: i64 = bind_content!(
        crate::db::query_scalar(
            "insert into table_maps (name, fo_entity, dataverse_table, direction, not_synced_reason, master_side,
                fo_keys, dataverse_keys, initial_sync, expected_records, state, tags, notes,
                environment_id, revision, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15) returning id",
        ),
        content
    )
    .bind(environment.id)
    .bind(db_now())
    .fetch_one(&mut *conn)
    .await
    .on_unique(duplicate(&content.name))?;
    write_revision(
        conn,
        actor,
        environment.id,
        id,
        1,
        "create",
        comment,
        content,
    )
    .await?;
    index(conn, id).await?;
    Ok(id)
}

/// Hands the search index this map's document: its name as the title,
/// its entities, tags, reason and notes as the body, filed under its
/// environment while it is live and under none once deleted (its fields'
/// and rules' rows follow it).
async fn index(conn: &mut dyn Conn, id: i64) -> Result<(), AppError> {
    let (environment_id, deleted, title, body): (i64, bool, String, String) = crate::db::query_as(
        "select environment_id, deleted, name,
                name || ' ' || fo_entity || ' ' || dataverse_table || ' ' || tags || ' ' || not_synced_reason || ' ' || notes
         from table_maps where id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let document = crate::search::server::Document {
        kind: "map",
        object_id: id,
        title,
        body,
    };
    let filed = (!deleted).then_some(environment_id);
    crate::search::server::file_map(conn, id, filed).await?;
    crate::search::server::replace(conn, id, filed, &["map"], vec![document]).await
}

async fn environment_id(conn: &mut dyn Conn, id: i64) -> Result<i64, AppError> {
    Ok(
        crate::db::query_scalar("select environment_id from table_maps where id = $1")
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

/// Saves new content as the next revision. `expected_revision` is the
/// revision the editor started from: if someone saved in between, the save
/// is refused rather than silently overwriting their change.
#[tracing::instrument(skip_all, fields(map.id = id))]
pub async fn update(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    expected_revision: i64,
    content: &MapContent,
    comment: &str,
) -> Result<i64, AppError> {
    let current = get(conn, id).await?;
    if current.deleted {
        return Err(AppError::Conflict(format!(
            "The map '{}' is deleted; restore a revision from its history first.",
            current.content.name
        )));
    }
    if current.revision != expected_revision {
        let last = crate::revisions::last_author(conn, OBJECT, id).await?;
        return Err(AppError::Conflict(format!(
            "{} saved revision {} of this map after you opened it. Reload, then make your change again.",
            last.unwrap_or_else(|| "Someone".into()),
            current.revision
        )));
    }
    if &current.content == content {
        return Ok(current.revision);
    }
    let revision = current.revision + 1;
    store(conn, id, content, revision, false).await?;
    let env = environment_id(conn, id).await?;
    write_revision(conn, actor, env, id, revision, "update", comment, content).await?;
    index(conn, id).await?;
    Ok(revision)
}

/// Deletes a map. The deletion is a revision: the map and its history stay,
/// and any revision can be restored.
#[tracing::instrument(skip_all, fields(map.id = id))]
pub async fn delete(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    comment: &str,
) -> Result<(), AppError> {
    let current = get(conn, id).await?;
    if current.deleted {
        return Ok(());
    }
    let revision = current.revision + 1;
    store(conn, id, &current.content, revision, true).await?;
    let env = environment_id(conn, id).await?;
    write_revision(
        conn,
        actor,
        env,
        id,
        revision,
        "delete",
        comment,
        &current.content,
    )
    .await?;
    index(conn, id).await
}

/// The content of one revision.
pub async fn revision_content(
    conn: &mut dyn Conn,
    id: i64,
    revision: i64,
) -> Result<MapContent, AppError> {
    crate::revisions::state_at(conn, OBJECT, id, revision, &format!("table map {id}")).await
}

/// Makes an old revision current again, as a new revision. Also undeletes.
#[tracing::instrument(skip_all, fields(map.id = id, revision))]
pub async fn restore(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    revision: i64,
) -> Result<i64, AppError> {
    let current = get(conn, id).await?;
    let old = revision_content(conn, id, revision).await?;
    let next = current.revision + 1;
    store(conn, id, &old, next, false).await?;
    let env = environment_id(conn, id).await?;
    write_revision(
        conn,
        actor,
        env,
        id,
        next,
        "restore",
        &format!("Restored revision {revision}"),
        &old,
    )
    .await?;
    index(conn, id).await?;
    Ok(next)
}

/// Every revision of a map, newest first.
pub async fn history(conn: &mut dyn Conn, id: i64) -> Result<Vec<RevisionRow>, AppError> {
    crate::revisions::history(conn, OBJECT, id).await
}

/// Creates the starter set in an environment that has no maps yet.
#[tracing::instrument(skip_all)]
pub async fn apply_starter(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &Environment,
) -> Result<usize, AppError> {
    let existing: i64 = crate::db::query_scalar(
        "select count(*) from table_maps where environment_id = $1 and deleted = false",
    )
    .bind(environment.id)
    .fetch_one(&mut *conn)
    .await?;
    if existing > 0 {
        return Err(AppError::Conflict(format!(
            "{} already has {}; the starter set only applies to an empty environment.",
            environment.name,
            crate::components::plural(existing as usize, "map", "maps")
        )));
    }
    let set = super::starter::starter_set();
    for content in &set {
        create(conn, actor, environment, content, "Starter set").await?;
    }
    Ok(set.len())
}

/// Test setup shared by the features that read maps: environment "UAT"
/// (legal entity USMF) with the starter set; gives it and the id of
/// "Customers V3".
/// Live maps of an environment as (id, name), by name: the map pickers and
/// the per-map rows of the overview and trends.
pub async fn names(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<Vec<(i64, String)>, AppError> {
    Ok(crate::db::query_as(
        "select id, name from table_maps where environment_id = $1 and deleted = false order by name",
    )
    .bind(environment_id)
    .fetch_all(conn)
    .await?)
}

/// Every live map of every environment: (id, synced), synced being false
/// for a map documented as not synced.
pub async fn live_ids(conn: &mut dyn Conn) -> Result<Vec<(i64, bool)>, AppError> {
    Ok(crate::db::query_as(
        "select id, direction <> 'not_synced' from table_maps where deleted = false order by id",
    )
    .fetch_all(conn)
    .await?)
}

/// Every map of an environment, deleted ones too, by name: (id, name,
/// deleted).
pub async fn every_map(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<Vec<(i64, String, bool)>, AppError> {
    Ok(crate::db::query_as(
        "select id, name, deleted from table_maps where environment_id = $1 order by name, id",
    )
    .bind(environment_id)
    .fetch_all(conn)
    .await?)
}

/// Every map of an environment by id, deleted ones too: rows kept after a
/// map's deletion (error groups) still show its name.
pub async fn names_by_id(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<HashMap<i64, String>, AppError> {
    let rows: Vec<(i64, String)> =
        crate::db::query_as("select id, name from table_maps where environment_id = $1")
            .bind(environment_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// The live maps of an environment by name (what an error entry names).
pub async fn ids_by_name(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<HashMap<String, i64>, AppError> {
    let rows: Vec<(String, i64)> = crate::db::query_as(
        "select name, id from table_maps where environment_id = $1 and deleted = false",
    )
    .bind(environment_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// (environment id, name) of a live map; a deleted or unknown one is not
/// found.
pub async fn live_environment(conn: &mut dyn Conn, map_id: i64) -> Result<(i64, String), AppError> {
    let row: Option<(i64, String)> = crate::db::query_as(
        "select environment_id, name from table_maps where id = $1 and deleted = false",
    )
    .bind(map_id)
    .fetch_optional(conn)
    .await?;
    row.ok_or_else(|| AppError::not_found(format!("Table map {map_id}")))
}

/// The live maps of an environment with their entity and table names and
/// latest observed state: what the map-state collector matches F&O's
/// projects against.
pub async fn live_with_state(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<Vec<(i64, String, String, Option<String>)>, AppError> {
    Ok(crate::db::query_as(
        "select m.id, m.fo_entity, m.dataverse_table,
                (select o.state from map_state_observations o where o.map_id = m.id order by o.id desc limit 1)
         from table_maps m where m.environment_id = $1 and m.deleted = false",
    )
    .bind(environment_id)
    .fetch_all(conn)
    .await?)
}

/// Records a map's newly observed F&O state (`detail`: the project
/// statuses it was combined from).
pub async fn record_state(
    conn: &mut dyn Conn,
    map_id: i64,
    state: &str,
    detail: &str,
) -> Result<(), AppError> {
    crate::db::query(
        "insert into map_state_observations (map_id, state, observed_at, detail) values ($1, $2, $3, $4)",
    )
    .bind(map_id)
    .bind(state)
    .bind(db_now())
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// The latest observed state of each map of an environment that has one.
pub async fn latest_states(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<HashMap<i64, String>, AppError> {
    let rows: Vec<(i64, String)> = crate::db::query_as(
        "select o.map_id, o.state from map_state_observations o join table_maps m on m.id = o.map_id
         where m.environment_id = $1
           and o.id = (select max(id) from map_state_observations x where x.map_id = o.map_id)",
    )
    .bind(environment_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// A map's last `limit` observations: (state, observed at, detail), newest
/// first.
pub async fn observations(
    conn: &mut dyn Conn,
    map_id: i64,
    limit: i64,
) -> Result<Vec<(String, String, String)>, AppError> {
    Ok(crate::db::query_as(
        "select state, observed_at, detail from map_state_observations where map_id = $1 order by id desc limit $2",
    )
    .bind(map_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// State changes observed in `[from, to)` (stored times) in an environment
/// or one of its maps, newest first, at most `limit`: (map name, state,
/// observed at).
pub async fn state_changes(
    conn: &mut dyn Conn,
    environment_id: i64,
    map: Option<i64>,
    (from, to): (&str, &str),
    limit: i64,
) -> Result<Vec<(String, String, String)>, AppError> {
    Ok(crate::db::query_as(
        "select m.name, o.state, o.observed_at from map_state_observations o
         join table_maps m on m.id = o.map_id
         where m.environment_id = $1 and (cast($2 as bigint) is null or o.map_id = $3) and o.observed_at >= $4 and o.observed_at < $5
         order by o.observed_at desc limit $6",
    )
    .bind(environment_id)
    .bind(map)
    .bind(map)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The state F&O reported for each of `maps` before `from` (Unix
/// seconds), and every change since, as (map, observed at, state).
pub async fn states_since(
    conn: &mut dyn Conn,
    maps: &[i64],
    from: i64,
) -> Result<Vec<(i64, i64, String)>, AppError> {
    let rows: Vec<(i64, String, String)> = crate::db::query_as(
        "select o.map_id, o.observed_at, o.state from map_state_observations o
         where o.id in (select max(id) from map_state_observations
                        where map_id in (select cast(value as bigint) from json_each($1)) and observed_at < $2 group by map_id)
         union all
         select map_id, observed_at, state from map_state_observations
         where map_id in (select cast(value as bigint) from json_each($1)) and observed_at >= $2",
    )
    .bind(crate::db::id_list(maps))
    .bind(crate::db::db_time_secs(from))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, t, s)| {
            Some((
                m,
                chrono::DateTime::parse_from_rfc3339(&t).ok()?.timestamp(),
                s,
            ))
        })
        .collect())
}

#[cfg(test)]
pub(crate) async fn uat_with_starter(
    conn: &mut dyn Conn,
) -> (crate::environments::Environment, i64) {
    let actor = crate::audit::server::Actor::cli();
    let input = crate::environments::validate_environment("UAT", "", "", "USMF").unwrap();
    crate::environments::server::save(conn, &actor, None, &input)
        .await
        .unwrap();
    let env = crate::environments::server::by_name(conn, "UAT")
        .await
        .unwrap();
    apply_starter(conn, &actor, &env).await.unwrap();
    let id = crate::db::query_scalar("select id from table_maps where name = 'Customers V3'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    (env, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::{server as envs, validate_environment};
    use crate::maps::MapState;

    async fn env(conn: &mut dyn Conn) -> Environment {
        let input = validate_environment("UAT", "", "", "USMF").unwrap();
        envs::save(conn, &Actor::cli(), None, &input).await.unwrap();
        envs::by_name(conn, "UAT").await.unwrap()
    }

    #[tokio::test]
    async fn every_change_is_a_revision_and_any_revision_can_be_restored() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let e = env(&mut conn).await;
        let first = crate::maps::starter::starter_set().remove(0);
        let id = create(&mut conn, &cli, &e, &first, "initial")
            .await
            .unwrap();

        let mut second = first.clone();
        second.state = MapState::Running;
        assert_eq!(
            update(&mut conn, &cli, id, 1, &second, "went live")
                .await
                .unwrap(),
            2
        );
        // A save from a stale revision is refused, naming who saved first.
        let stale = update(&mut conn, &cli, id, 1, &first, "late")
            .await
            .unwrap_err();
        assert!(
            matches!(stale, AppError::Conflict(ref m) if m.contains("cli saved revision 2")),
            "{stale:?}"
        );

        delete(&mut conn, &cli, id, "not needed").await.unwrap();
        assert!(get(&mut conn, id).await.unwrap().deleted);
        assert!(list(&mut conn, e.id).await.unwrap().is_empty());
        assert_eq!(list_deleted(&mut conn, e.id).await.unwrap().len(), 1);

        assert_eq!(restore(&mut conn, &cli, id, 1).await.unwrap(), 4);
        let back = get(&mut conn, id).await.unwrap();
        assert!(!back.deleted);
        assert_eq!(back.content, first);

        let actions: Vec<String> = history(&mut conn, id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(actions, vec!["restore", "delete", "update", "create"]);
        assert_eq!(
            revision_content(&mut conn, id, 2).await.unwrap().state,
            MapState::Running
        );
        let audited: i64 =
            crate::db::query_scalar("select count(*) from audit_log where action like 'map.%'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(audited, 4);
    }

    #[tokio::test]
    async fn names_are_unique_among_live_maps_only() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let e = env(&mut conn).await;
        let m = crate::maps::starter::starter_set().remove(0);
        let id = create(&mut conn, &cli, &e, &m, "").await.unwrap();
        assert!(matches!(
            create(&mut conn, &cli, &e, &m, "").await,
            Err(AppError::Conflict(_))
        ));
        delete(&mut conn, &cli, id, "").await.unwrap();
        create(&mut conn, &cli, &e, &m, "recreated").await.unwrap();
    }

    #[tokio::test]
    async fn the_starter_set_applies_once_to_an_empty_environment() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let e = env(&mut conn).await;
        assert_eq!(apply_starter(&mut conn, &cli, &e).await.unwrap(), 9);
        assert_eq!(list(&mut conn, e.id).await.unwrap().len(), 9);
        assert!(matches!(
            apply_starter(&mut conn, &cli, &e).await,
            Err(AppError::Conflict(_))
        ));
    }
}
