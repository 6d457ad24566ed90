//! The rule book pages' server functions: the maps of an environment with
//! their guidance, one map with everything its page shows (anyone signed
//! in), and the import of a maps document (editors).

use super::{MapDetail, MapList};
use crate::error::AppError;
use leptos::prelude::*;

/// One map with its warnings, rendered notes and recent history.
#[server(prefix = "/sfn", endpoint = "get_map")]
pub async fn get_map(map_id: i64) -> Result<MapDetail, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    use crate::maps::api::ssr;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let map = crate::maps::server::get(&mut conn, map_id).await?;
    let env = ssr::environment_of(&mut conn, &map.environment).await?;
    let mut history = crate::maps::server::history(&mut conn, map_id).await?;
    history.truncate(5);
    let fields = crate::rules::server::fields_of(&mut conn, &[map_id]).await?;
    let mut rules = crate::rules::server::rules_of(&mut conn, &[map_id]).await?;
    for r in &mut rules {
        r.rationale_html = crate::markdown::render(&r.rationale);
    }
    let warnings = if map.deleted {
        vec![]
    } else {
        let mut w = crate::maps::check_map(&map.content, ssr::entities(&env));
        w.extend(crate::rules::check_rules(&map.content, &fields, &rules));
        w
    };
    let observed = crate::maps::server::observations(&mut conn, map_id, 10).await?;
    let observed = observed
        .into_iter()
        .filter_map(|(s, at, d)| crate::maps::MapState::parse(&s).map(|s| (s, at, d)))
        .collect();
    let counts = crate::counts::server::recent(&mut conn, map_id, 10).await?;
    let company_counts = crate::counts::server::latest_by_company(&mut conn, map_id).await?;
    let reconciled = crate::reconcile::server::latest_done(&mut conn, map_id).await?;
    Ok(MapDetail {
        reconciled,
        company_counts,
        counts,
        observed,
        warnings,
        notes_html: crate::markdown::render(&map.content.notes),
        map,
        history,
        fields,
        rules,
        can_edit: ssr::can_edit(),
    })
}

/// The maps of one environment (`env` by name; the first when absent).
#[server(prefix = "/sfn", endpoint = "list_maps")]
pub async fn list_maps(env: Option<String>) -> Result<MapList, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    use crate::maps::api::ssr;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let Some(environment) = crate::environments::pick(&all, env.as_deref()).cloned() else {
        return Ok(MapList {
            environment: None,
            maps: vec![],
            deleted: vec![],
            can_edit: ssr::can_edit(),
        });
    };
    let maps = crate::maps::server::list(&mut conn, environment.id).await?;
    let ids: Vec<i64> = maps.iter().map(|m| m.id).collect();
    let fields = crate::rules::server::fields_of(&mut conn, &ids).await?;
    let rules = crate::rules::server::rules_of(&mut conn, &ids).await?;
    let maps = maps
        .into_iter()
        .map(|map| {
            let f: Vec<_> = fields
                .iter()
                .filter(|f| f.map_id == map.id)
                .cloned()
                .collect();
            let r: Vec<_> = rules
                .iter()
                .filter(|r| r.map_id == map.id)
                .cloned()
                .collect();
            let mut warnings = crate::maps::check_map(&map.content, ssr::entities(&environment));
            warnings.extend(crate::rules::check_rules(&map.content, &f, &r));
            super::MapListItem { warnings, map }
        })
        .collect();
    let deleted = crate::maps::server::list_deleted(&mut conn, environment.id).await?;
    Ok(MapList {
        environment: Some(environment),
        maps,
        deleted,
        can_edit: ssr::can_edit(),
    })
}

/// Imports a maps document (JSON, as the export writes it) into `env`: maps
/// are matched by name and created or updated with their field mappings.
/// Checked in full first; any problem means nothing is imported.
#[server(prefix = "/sfn", endpoint = "import_maps")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn import_maps(env: String, document: String, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::components::percent_encode;
    use crate::db::*;
    let user = require_role(Role::Editor, "import table maps")?;
    if document.trim().is_empty() {
        return Err(AppError::validation(
            "document",
            "Paste a maps document (JSON) or choose its file.",
        ));
    }
    let maps = crate::rules::transfer::parse_maps_document(&document)
        .map_err(|m| AppError::validation("document", m))?;
    let comment = match comment.trim() {
        "" => "Imported from a maps document".to_string(),
        c => c.to_string(),
    };
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let environment = crate::maps::api::ssr::environment_of(&mut tx, &env).await?;
    let count = crate::rules::server::import_maps(
        &mut tx,
        &Actor::user(&user, client_ip()),
        &environment,
        &maps,
        &comment,
    )
    .await?;
    tx.commit().await?;
    // Counts only: the page words them (`components::import_summary`).
    leptos_axum::redirect(&format!(
        "/maps/import?env={}&maps={},{},{}&fields={},{},{}",
        percent_encode(&environment.name, b""),
        count.created,
        count.updated,
        count.unchanged,
        count.fields.created,
        count.fields.updated,
        count.fields.unchanged
    ));
    Ok(())
}
