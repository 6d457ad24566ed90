//! Server functions of the error queue: browse groups and entries (anyone
//! signed in), triage and category overrides (editors and admins), and CSV
//! import from the page.

use super::{GroupDetail, GroupFilter, GroupPage};
use crate::error::AppError;
use leptos::prelude::*;

/// The sweep cache the server keeps in its state (a fresh one, that
/// caches nothing across requests, where no server provides it).
#[cfg(feature = "ssr")]
fn sweeps() -> super::server::Sweeps {
    use_context::<super::server::Sweeps>().unwrap_or_default()
}

/// One page of error groups for the filter (the first environment when
/// none is named).
#[server(prefix = "/sfn", endpoint = "list_error_groups", input = leptos::server_fn::codec::Json)]
pub async fn list_error_groups(filter: GroupFilter) -> Result<GroupPage, AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let environments: Vec<String> = all.iter().map(|e| e.name.clone()).collect();
    let Some(env) = crate::environments::pick(&all, filter.env.as_deref()).cloned() else {
        if let Some(name) = filter.env.as_deref().filter(|n| !n.is_empty()) {
            return Err(AppError::not_found(format!("Environment '{name}'")));
        }
        return Ok(GroupPage {
            environment: None,
            environments,
            maps: vec![],
            groups: vec![],
            total: 0,
            next: None,
            sweep: None,
            can_edit: false,
        });
    };
    let (groups, total, next) = super::server::list_groups(&mut conn, env.id, &filter).await?;
    let mut maps: Vec<(i64, String)> = super::server::map_names(&mut conn, env.id)
        .await?
        .into_iter()
        .map(|(name, id)| (id, name))
        .collect();
    maps.sort_by(|a, b| a.1.cmp(&b.1));
    let sweep = sweeps().get(&mut conn, env.id).await?;
    Ok(GroupPage {
        environment: Some(env.name),
        environments,
        maps,
        groups,
        total,
        next,
        sweep: Some(sweep),
        can_edit: user.role.allows(Role::Editor),
    })
}

/// Where a CSV import would go: the named (else the first) environment,
/// and whether the caller may import. Cheaper than listing the queue.
#[server(prefix = "/sfn", endpoint = "error_import_target")]
pub async fn error_import_target(env: Option<String>) -> Result<(Option<String>, bool), AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let env = crate::environments::pick(&all, env.as_deref()).map(|e| e.name.clone());
    Ok((env, user.role.allows(Role::Editor)))
}

/// One group with a page of its entries (`before`: the cursor of the
/// previous page).
#[server(prefix = "/sfn", endpoint = "get_error_group")]
pub async fn get_error_group(id: i64, before: Option<String>) -> Result<GroupDetail, AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let mut detail = super::server::group_detail(&mut conn, id, before.as_deref()).await?;
    detail.can_edit = user.role.allows(Role::Editor);
    Ok(detail)
}

/// Moves groups to a triage state with a comment: the ticked ones
/// (`scope` = `selected`, `ids[N]`) or every group matching the filter
/// (`scope` = `matching`). Goes back to the queue with the same filter.
#[server(prefix = "/sfn", endpoint = "triage_error_groups")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn triage_error_groups(
    filter: GroupFilter,
    scope: String,
    ids: Option<Vec<i64>>,
    state: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "triage errors")?;
    let state = super::GroupState::parse(state.trim()).ok_or_else(|| {
        AppError::validation("state", format!("'{state}' is not a triage state."))
    })?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let all = crate::environments::server::list(&mut tx).await?;
    let env = crate::environments::pick(&all, filter.env.as_deref())
        .cloned()
        .ok_or_else(crate::environments::no_environment)?;
    let ids = match scope.as_str() {
        "matching" => super::server::matching_ids(&mut tx, env.id, &filter).await?,
        "selected" | "" => ids.unwrap_or_default(),
        other => {
            return Err(AppError::validation(
                "scope",
                format!("'{other}' is neither selected nor matching."),
            ));
        }
    };
    let changed = super::server::set_state(
        &mut tx,
        &Actor::user(&user, client_ip()),
        env.id,
        &ids,
        state,
        &comment,
    )
    .await?;
    tx.commit().await?;
    sweeps().invalidate();
    // The queue says what changed: with a state filter the groups may
    // leave the list, so the count is the only trace of the action.
    leptos_axum::redirect(&format!(
        "/errors?{}&triaged={changed}&triaged_as={}",
        filter.query(),
        state.as_str()
    ));
    Ok(())
}

/// Sets an editor's category for a group (`category` empty: back to the
/// classifier's).
#[server(prefix = "/sfn", endpoint = "set_error_group_category")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_error_group_category(
    group_id: i64,
    category: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "change error categories")?;
    let category = match category.trim() {
        "" => None,
        c => Some(super::Category::parse(c).ok_or_else(|| {
            AppError::validation("category", format!("'{c}' is not an error category."))
        })?),
    };
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::override_category(
        &mut tx,
        &Actor::user(&user, client_ip()),
        group_id,
        category,
        &comment,
    )
    .await?;
    tx.commit().await?;
    sweeps().invalidate();
    leptos_axum::redirect(&format!("/errors/groups/{group_id}"));
    Ok(())
}

/// Imports error entries from CSV into `env`. Every row is checked first;
/// one bad row means nothing is imported. `mapping` optionally names the
/// columns: `message=Error text, occurred_at=Created on`.
#[server(prefix = "/sfn", endpoint = "import_errors")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn import_errors(env: String, csv: String, mapping: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::components::percent_encode;
    use crate::db::*;
    let user = require_role(Role::Editor, "import errors")?;
    let mapping =
        super::import::parse_mapping(&mapping).map_err(|m| AppError::validation("mapping", m))?;
    let pool = db()?;
    // Check the whole file before taking the write lock.
    let mut conn = pool.acquire().await?;
    let environment = crate::environments::server::by_name(&mut conn, &env).await?;
    let maps = super::server::map_names(&mut conn, environment.id).await?;
    drop(conn);
    let entries = super::import::parse_errors_csv(&csv, &mapping, &maps, |_| {})
        .map_err(|m| AppError::validation("csv", m))?;
    let actor = Actor::user(&user, client_ip());
    let total = entries.len();
    let origin = super::server::Origin {
        actor: &actor,
        source: super::Source::Csv,
        source_ref: &actor.label,
    };
    let accepted = super::server::store_batch(
        &pool,
        &sweeps(),
        environment.id,
        entries,
        origin,
        super::server::Commit::default(),
        &mut |_| {},
        async |tx, accepted| {
            super::server::record_import(tx, &actor, &environment, accepted, "CSV").await
        },
    )
    .await?;
    // Counts only: the page words them (`components::import_summary`).
    let duplicates = accepted.iter().filter(|a| a.duplicate).count();
    leptos_axum::redirect(&format!(
        "/errors/import?env={}&entries={},{duplicates}",
        percent_encode(&environment.name, b""),
        total - duplicates
    ));
    Ok(())
}

/// What the classifier page shows: the environment's learned categories,
/// the last re-classification, and what the caller may do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClassifierPage {
    /// The environment shown (none when there are none).
    pub environment: Option<String>,
    /// Its lessons, newest first.
    pub lessons: Vec<super::Lesson>,
    /// The latest re-classification of it: when, by whom, what moved.
    pub last_run: Option<(String, String, String)>,
    /// Editors and admins may remove lessons.
    pub can_edit: bool,
    /// Admins may re-classify.
    pub is_admin: bool,
}

/// The classifier page of an environment (the first when none is named).
#[server(prefix = "/sfn", endpoint = "get_classifier")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn get_classifier(env: Option<String>) -> Result<ClassifierPage, AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let Some(environment) = crate::environments::pick(&all, env.as_deref()).cloned() else {
        if let Some(name) = env.as_deref().filter(|n| !n.is_empty()) {
            return Err(AppError::not_found(format!("Environment '{name}'")));
        }
        return Ok(ClassifierPage {
            environment: None,
            lessons: vec![],
            last_run: None,
            can_edit: false,
            is_admin: false,
        });
    };
    let lessons = super::learn::list(&mut conn, environment.id).await?;
    let runs = crate::audit::server::query(
        &mut conn,
        &crate::audit::AuditFilter {
            action: Some("error_groups.reclassify".into()),
            ..Default::default()
        },
    )
    .await?;
    let last_run = runs
        .entries
        .into_iter()
        .find(|e| e.environment.as_deref() == Some(environment.name.as_str()))
        .map(|e| (e.occurred_at, e.actor, e.summary));
    Ok(ClassifierPage {
        environment: Some(environment.name),
        lessons,
        last_run,
        can_edit: user.role.allows(Role::Editor),
        is_admin: user.role.allows(Role::Admin),
    })
}

/// Removes a learned category (editors and admins).
#[server(prefix = "/sfn", endpoint = "forget_error_lesson")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn forget_error_lesson(env: String, id: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::components::percent_encode;
    use crate::db::*;
    let user = require_role(Role::Editor, "remove learned categories")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let environment = crate::environments::server::by_name(&mut tx, &env).await?;
    super::learn::forget(
        &mut tx,
        &Actor::user(&user, client_ip()),
        environment.id,
        id,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/errors/classifier?env={}",
        percent_encode(&environment.name, b"")
    ));
    Ok(())
}

/// Runs the current classifier over every group of an environment again
/// (admins): groups whose category changes move, with their history.
#[server(prefix = "/sfn", endpoint = "reclassify_errors")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn reclassify_errors(env: String) -> Result<super::Reclassified, AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::components::percent_encode;
    use crate::db::*;
    let user = require_role(Role::Admin, "re-classify the error queue")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let environment = crate::environments::server::by_name(&mut tx, &env).await?;
    let report = super::learn::reclassify(
        &mut tx,
        &Actor::user(&user, client_ip()),
        Some(environment.id),
    )
    .await?;
    tx.commit().await?;
    sweeps().invalidate();
    leptos_axum::redirect(&format!(
        "/errors/classifier?env={}",
        percent_encode(&environment.name, b"")
    ));
    Ok(report)
}
