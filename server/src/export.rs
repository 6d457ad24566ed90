//! `GET /export/rulebook.md?env=NAME`: the rule book of an environment as
//! one Markdown download, for any signed-in user.

use crate::startup::AppState;
use app::auth::server::Caller;
use app::error::AppError;
use app::maps::export::{MapSection, rule_book_markdown};
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Query of the export.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// Environment name; the first environment when absent.
    pub env: Option<String>,
}

/// Builds and sends the document.
pub async fn rule_book(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match build(&state, caller, q).await {
        Ok((name, md)) => {
            let file = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect::<String>();
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "text/markdown; charset=utf-8".to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"rule-book-{file}.md\""),
                    ),
                ],
                md,
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn build(
    state: &AppState,
    caller: Caller,
    q: ExportQuery,
) -> Result<(String, String), AppError> {
    caller.0.ok_or(AppError::Unauthorized)?;
    let mut conn = state.pool.acquire().await?;
    let all = app::environments::server::list(&mut conn).await?;
    let env = match q.env.as_deref().filter(|e| !e.is_empty()) {
        Some(name) => app::environments::server::by_name(&mut conn, name).await?,
        None => all
            .first()
            .cloned()
            .ok_or_else(|| AppError::not_found("An environment"))?,
    };
    let maps = app::maps::server::list(&mut conn, env.id).await?;
    let ids: Vec<i64> = maps.iter().map(|m| m.id).collect();
    let fields = app::rules::server::fields_of(&mut conn, &ids).await?;
    let rules = app::rules::server::rules_of(&mut conn, &ids).await?;
    let per_map: Vec<_> = maps
        .iter()
        .map(|m| {
            let f: Vec<_> = fields
                .iter()
                .filter(|f| f.map_id == m.id)
                .cloned()
                .collect();
            let r: Vec<_> = rules.iter().filter(|r| r.map_id == m.id).cloned().collect();
            let mut w = app::maps::check_map(&m.content, env.legal_entities.len());
            w.extend(app::rules::check_rules(&m.content, &f, &r));
            (m, f, r, w)
        })
        .collect();
    let sections: Vec<MapSection<'_>> = per_map
        .iter()
        .map(|(map, fields, rules, warnings)| MapSection {
            map,
            fields,
            rules,
            warnings,
        })
        .collect();
    let generated = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    Ok((
        env.name.clone(),
        rule_book_markdown(&env, &sections, &generated),
    ))
}
