//! The cutover store: plans (the current document in `cutover_plans`,
//! every change a revision and an audit entry).

use super::{Plan, PlanContent};
use crate::audit::server::{Actor, Event, record};
use crate::db::Conn;
use crate::db::db_now;
use crate::error::{AppError, OnConstraint as _};
use crate::revisions::Revision;

/// Object type of plans in the revision store and the audit log.
pub const OBJECT: &str = "cutover_plan";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    environment_id: i64,
    definition: String,
    revision: i64,
    deleted: bool,
    updated_at: String,
}

fn to_plan(r: Row, environment: String) -> Result<Plan, AppError> {
    let content = serde_json::from_str(&r.definition).map_err(|e| {
        tracing::error!(plan.id = r.id, error = %e, "unreadable cutover plan");
        AppError::Internal
    })?;
    Ok(Plan {
        id: r.id,
        environment_id: r.environment_id,
        environment,
        content,
        revision: r.revision,
        deleted: r.deleted,
        updated_at: r.updated_at,
    })
}

fn definition(c: &PlanContent) -> Result<String, AppError> {
    serde_json::to_string(c).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise a cutover plan");
        AppError::Internal
    })
}

fn duplicate(name: &str) -> impl FnOnce() -> AppError + '_ {
    move || {
        AppError::validation(
            "name",
            format!("There is already a cutover plan named '{name}' in this environment."),
        )
    }
}

/// Checks a plan before it is stored; problems become validation errors
/// naming the field or task.
pub fn checked(mut content: PlanContent) -> Result<PlanContent, AppError> {
    content
        .check()
        .map_err(|(f, m)| AppError::validation(f, m))?;
    Ok(content)
}

/// The plans of an environment (live, or the deleted ones), by name.
#[tracing::instrument(skip_all, fields(environment.id = environment_id, deleted))]
pub async fn list(
    conn: &mut dyn Conn,
    environment_id: i64,
    deleted: bool,
) -> Result<Vec<Plan>, AppError> {
    let rows: Vec<Row> = crate::db::query_as(
        "select id, environment_id, definition, revision, deleted, updated_at from cutover_plans
         where environment_id = $1 and deleted = $2 order by name, id desc",
    )
    .bind(environment_id)
    .bind(deleted)
    .fetch_all(&mut *conn)
    .await?;
    let name = crate::environments::server::name_of(conn, environment_id)
        .await?
        .unwrap_or_default();
    rows.into_iter().map(|r| to_plan(r, name.clone())).collect()
}

/// One plan, deleted or not.
#[tracing::instrument(skip_all, fields(plan.id = id))]
pub async fn get(conn: &mut dyn Conn, id: i64) -> Result<Plan, AppError> {
    let row: Option<Row> = crate::db::query_as(
        "select id, environment_id, definition, revision, deleted, updated_at from cutover_plans where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found(format!("Cutover plan {id}")))?;
    let name = crate::environments::server::name_of(conn, row.environment_id)
        .await?
        .unwrap_or_default();
    to_plan(row, name)
}

/// Appends the revision and the audit entry of a change.
async fn write_revision(
    conn: &mut dyn Conn,
    actor: &Actor,
    plan: (i64, i64, i64),
    action: &str,
    comment: &str,
    content: &PlanContent,
) -> Result<(), AppError> {
    let (environment_id, id, revision) = plan;
    let snapshot = serde_json::to_value(content).map_err(|_| AppError::Internal)?;
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
            action: &format!("cutover_plan.{action}"),
            object_type: OBJECT,
            object_id: Some(id.to_string()),
            summary: format!(
                "{verb} cutover plan '{}' (revision {revision}, {} tasks)",
                content.name,
                content.tasks.len()
            ),
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
    content: &PlanContent,
    revision: i64,
    deleted: bool,
) -> Result<(), AppError> {
    crate::db::query(
        "update cutover_plans set name = $1, definition = $2, revision = $3, deleted = $4, updated_at = $5 where id = $6",
    )
    .bind(&content.name)
    .bind(definition(content)?)
    .bind(revision)
    .bind(deleted)
    .bind(db_now())
    .bind(id)
    .execute(conn)
    .await
    .on_unique(duplicate(&content.name))?;
    Ok(())
}

/// Creates a plan (checked) as revision 1.
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    content: PlanContent,
    comment: &str,
) -> Result<i64, AppError> {
    let content = checked(content)?;
    let id: i64 = crate::db::query_scalar(
        "insert into cutover_plans (environment_id, name, definition, revision, updated_at)
         values ($1, $2, $3, 1, $4) returning id",
    )
    .bind(environment_id)
    .bind(&content.name)
    .bind(definition(&content)?)
    .bind(db_now())
    .fetch_one(&mut *conn)
    .await
    .on_unique(duplicate(&content.name))?;
    write_revision(
        conn,
        actor,
        (environment_id, id, 1),
        "create",
        comment,
        &content,
    )
    .await?;
    Ok(id)
}

/// Saves a changed plan (checked) as the next revision; refused when
/// someone saved after `expected_revision`, the one the editor opened.
/// An unchanged plan writes nothing.
#[tracing::instrument(skip_all, fields(plan.id = id))]
pub async fn update(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    expected_revision: i64,
    content: PlanContent,
    comment: &str,
) -> Result<i64, AppError> {
    let current = get(conn, id).await?;
    if current.deleted {
        return Err(AppError::Conflict(format!(
            "The cutover plan '{}' is deleted; restore it from its history first.",
            current.content.name
        )));
    }
    if current.revision != expected_revision {
        let last = crate::revisions::last_author(conn, OBJECT, id).await?;
        return Err(AppError::Conflict(format!(
            "{} saved revision {} of this plan after you opened it. Reload, then make your change again.",
            last.unwrap_or_else(|| "Someone".into()),
            current.revision
        )));
    }
    let content = checked(content)?;
    if current.content == content {
        return Ok(current.revision);
    }
    let revision = current.revision + 1;
    store(conn, id, &content, revision, false).await?;
    write_revision(
        conn,
        actor,
        (current.environment_id, id, revision),
        "update",
        comment,
        &content,
    )
    .await?;
    Ok(revision)
}

/// Deletes a plan (a revision; restorable).
#[tracing::instrument(skip_all, fields(plan.id = id))]
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
    write_revision(
        conn,
        actor,
        (current.environment_id, id, revision),
        "delete",
        comment,
        &current.content,
    )
    .await
}

/// The document of one revision.
pub async fn revision_content(
    conn: &mut dyn Conn,
    id: i64,
    revision: i64,
) -> Result<PlanContent, AppError> {
    crate::revisions::state_at(conn, OBJECT, id, revision, &format!("cutover plan {id}")).await
}

/// Makes an old revision current again, as a new revision (also undeletes).
#[tracing::instrument(skip_all, fields(plan.id = id, revision))]
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
    write_revision(
        conn,
        actor,
        (current.environment_id, id, next),
        "restore",
        &format!("Restored revision {revision}"),
        &old,
    )
    .await?;
    Ok(next)
}

/// Every revision of a plan, newest first.
pub async fn revisions(conn: &mut dyn Conn, id: i64) -> Result<Vec<Revision>, AppError> {
    crate::revisions::history(conn, OBJECT, id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::{server as envs, validate_environment};

    async fn env(conn: &mut dyn Conn) -> i64 {
        let input = validate_environment("UAT", "", "", "").unwrap();
        envs::save(conn, &Actor::cli(), None, &input).await.unwrap()
    }

    fn weekend(name: &str) -> PlanContent {
        let friday = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        super::super::template::weekend(name, friday, chrono_tz::Tz::UTC).unwrap()
    }

    #[tokio::test]
    async fn a_plan_keeps_every_revision_and_refuses_a_stale_or_broken_save() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let env = env(&mut conn).await;
        let cli = Actor::cli();
        let id = create(
            &mut conn,
            &cli,
            env,
            weekend("Go-live"),
            "From the template",
        )
        .await
        .unwrap();
        let dup = create(&mut conn, &cli, env, weekend("Go-live"), "")
            .await
            .unwrap_err();
        assert!(dup.to_string().contains("already a cutover plan"), "{dup}");

        let mut changed = get(&mut conn, id).await.unwrap().content;
        changed.tasks[2].minutes = 180;
        assert_eq!(
            update(
                &mut conn,
                &cli,
                id,
                1,
                changed.clone(),
                "Snapshot takes 3 h"
            )
            .await
            .unwrap(),
            2
        );
        // Saving what is stored writes nothing; a stale revision is refused.
        assert_eq!(
            update(&mut conn, &cli, id, 2, changed.clone(), "")
                .await
                .unwrap(),
            2
        );
        let stale = update(&mut conn, &cli, id, 1, changed.clone(), "")
            .await
            .unwrap_err();
        assert!(stale.to_string().contains("saved revision 2"), "{stale}");

        // A cycle is refused by name and nothing is written.
        let mut cyclic = changed.clone();
        cyclic.tasks[0].predecessors = vec!["F5".into()];
        let err = update(&mut conn, &cli, id, 2, cyclic, "")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("go round in a circle"), "{err}");
        assert_eq!(get(&mut conn, id).await.unwrap().revision, 2);

        delete(&mut conn, &cli, id, "Moved").await.unwrap();
        assert!(list(&mut conn, env, false).await.unwrap().is_empty());
        assert_eq!(restore(&mut conn, &cli, id, 1).await.unwrap(), 4);
        let back = get(&mut conn, id).await.unwrap();
        assert!(!back.deleted);
        assert_eq!(back.content.tasks[2].minutes, 120);
        let history = revisions(&mut conn, id).await.unwrap();
        let actions: Vec<&str> = history.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, ["restore", "delete", "update", "create"]);
        let filter = crate::audit::AuditFilter {
            action: Some("cutover_plan.".into()),
            ..Default::default()
        };
        let audited = crate::audit::server::query(&mut conn, &filter)
            .await
            .unwrap()
            .entries
            .len();
        assert_eq!(audited, 4);
    }
}
