//! Downloads for any signed-in user: the rule book of an environment as one
//! Markdown document (`/export/rulebook.md?env=NAME`), its maps with their
//! field mappings as JSON (`/export/maps.json?env=NAME`, the document the
//! import reads), one map's field mappings as CSV
//! (`/export/maps/ID/fields.csv`), any trend chart's data as CSV
//! (`/export/trends/PAGE/CHART.csv` with the page's query) and the weekly
//! review as CSV (`/export/review.csv?env=NAME&week=YYYY-MM-DD`) and a
//! cutover plan's tasks as CSV (`/export/cutover/ID.csv`, the file its
//! import reads) and a run's report as CSV (`/export/cutover/runs/ID.csv`).

use crate::startup::AppState;
use app::auth::server::Caller;
use app::error::AppError;
use app::rules::export::{MapSection, rule_book_markdown};
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Query of the export.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// Environment name; the first environment when absent.
    pub env: Option<String>,
}

/// A file name made of ASCII letters, digits and dashes.
fn file_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn download(content_type: &str, file: String, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// Builds and sends the rule book.
pub async fn rule_book(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match build(&state, caller, q).await {
        Ok((name, md)) => download(
            "text/markdown; charset=utf-8",
            format!("rule-book-{}.md", file_name(&name)),
            md,
        ),
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
    let env = app::environments::server::named_or_first(&mut conn, q.env.as_deref()).await?;
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

/// Sends the maps of an environment, with their field mappings, as the
/// JSON document `/maps/import` reads.
pub async fn maps_json(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match maps_document(&state, caller, q).await {
        Ok((name, json)) => download(
            "application/json",
            format!("maps-{}.json", file_name(&name)),
            json,
        ),
        Err(e) => e.into_response(),
    }
}

/// A record as JSON (plain strings and numbers: it cannot fail).
fn value<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

async fn maps_document(
    state: &AppState,
    caller: Caller,
    q: ExportQuery,
) -> Result<(String, String), AppError> {
    use app::rules::transfer::{FORMAT, FieldRecord, MapRecord, MapsDocument, VERSION};
    caller.0.ok_or(AppError::Unauthorized)?;
    let mut conn = state.pool.acquire().await?;
    let env = app::environments::server::named_or_first(&mut conn, q.env.as_deref()).await?;
    let maps = app::maps::server::list(&mut conn, env.id).await?;
    let ids: Vec<i64> = maps.iter().map(|m| m.id).collect();
    let fields = app::rules::server::fields_of(&mut conn, &ids).await?;
    let records = maps
        .iter()
        .map(|m| {
            let c = &m.content;
            let record = MapRecord {
                name: c.name.clone(),
                fo_entity: c.fo_entity.clone(),
                dataverse_table: c.dataverse_table.clone(),
                direction: c.direction.as_str().into(),
                not_synced_reason: c.not_synced_reason.clone(),
                master_side: c.master_side.as_str().into(),
                fo_keys: c.fo_keys.clone(),
                dataverse_keys: c.dataverse_keys.clone(),
                initial_sync: c.initial_sync.as_str().into(),
                expected_records: c.expected_records,
                state: c.state.as_str().into(),
                tags: c.tags.clone(),
                notes: c.notes.clone(),
                fields: fields
                    .iter()
                    .filter(|f| f.map_id == m.id)
                    .map(|f| value(&FieldRecord::from(&f.content)))
                    .collect(),
            };
            value(&record)
        })
        .collect();
    let doc = MapsDocument {
        format: FORMAT.into(),
        version: VERSION,
        environment: env.name.clone(),
        exported_at: app::db::db_now(),
        maps: records,
    };
    let json = serde_json::to_string_pretty(&doc).map_err(|e| {
        tracing::error!(error = %e, "cannot write the maps document");
        AppError::Internal
    })?;
    Ok((env.name, json))
}

/// Sends the field mappings of one map as CSV.
pub async fn fields_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(map_id): Path<i64>,
) -> Response {
    let result = async {
        caller.0.ok_or(AppError::Unauthorized)?;
        let mut conn = state.pool.acquire().await?;
        let map = app::maps::server::get(&mut conn, map_id).await?;
        let fields = app::rules::server::fields_of(&mut conn, &[map_id]).await?;
        let content: Vec<_> = fields.into_iter().map(|f| f.content).collect();
        Ok::<_, AppError>((map.content.name, app::rules::transfer::fields_csv(&content)))
    }
    .await;
    match result {
        Ok((name, csv)) => download(
            "text/csv; charset=utf-8",
            format!("fields-{}.csv", file_name(&name)),
            csv,
        ),
        Err(e) => e.into_response(),
    }
}

/// The id in a download's name (`12.csv`); any other name is not found.
fn csv_id(file: &str) -> Result<i64, AppError> {
    file.strip_suffix(".csv")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| AppError::not_found(format!("The export {file}")))
}

/// Sends a cutover plan's tasks as CSV, times in its environment's zone.
pub async fn cutover_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(file): Path<String>,
) -> Response {
    let result = async {
        caller.0.ok_or(AppError::Unauthorized)?;
        let id = csv_id(&file)?;
        let mut conn = state.pool.acquire().await?;
        let plan = app::cutover::server::get(&mut conn, id).await?;
        let env = app::environments::server::by_name(&mut conn, &plan.environment).await?;
        let tz = app::zone::zone(&env.time_zone);
        Ok::<_, AppError>((
            plan.content.name.clone(),
            app::cutover::csv::write(&plan.content.tasks, tz),
        ))
    }
    .await;
    match result {
        Ok((name, csv)) => download(
            "text/csv; charset=utf-8",
            format!("cutover-{}.csv", file_name(&name)),
            csv,
        ),
        Err(e) => e.into_response(),
    }
}

/// Sends a cutover run's report as CSV (`/export/cutover/runs/ID.csv`):
/// each task planned against actual, how gates were decided and the last
/// comment, times in the environment's zone.
pub async fn cutover_run_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(file): Path<String>,
) -> Response {
    let result = async {
        caller.0.ok_or(AppError::Unauthorized)?;
        let id = csv_id(&file)?;
        let mut conn = state.pool.acquire().await?;
        let r = app::cutover::runs::get(&mut conn, id).await?;
        let comments = app::cutover::runs::last_comments(&mut conn, id).await?;
        let env = app::environments::server::by_id(&mut conn, r.environment_id).await?;
        let tz = app::zone::zone(&env.time_zone);
        let lines = app::cutover::report::lines(&r.content, &r.baseline, &r.states);
        Ok::<_, AppError>((
            format!("{} {}", r.content.name, r.name),
            app::cutover::report::csv(&lines, &r.decided, &comments, tz),
        ))
    }
    .await;
    match result {
        Ok((name, csv)) => download(
            "text/csv; charset=utf-8",
            format!("cutover-run-{}.csv", file_name(&name)),
            csv,
        ),
        Err(e) => e.into_response(),
    }
}

/// Sends one chart's data as CSV: `/export/trends/PAGE/CHART.csv` with the
/// page's query (`env`, `map`, `range`, `from`, `to`).
pub async fn trend_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((page, file)): Path<(String, String)>,
    Query(q): Query<app::trends::TrendQuery>,
) -> Response {
    let result = async {
        caller.0.ok_or(AppError::Unauthorized)?;
        let key = file
            .strip_suffix(".csv")
            .ok_or_else(|| AppError::not_found(format!("The download '{file}'")))?;
        let mut conn = state.pool.acquire().await?;
        let t =
            app::trends::server::load(&mut conn, &page, &q, chrono::Utc::now().timestamp()).await?;
        let chart =
            t.charts.iter().find(|c| c.key == key).ok_or_else(|| {
                AppError::not_found(format!("The chart '{key}' on the {page} page"))
            })?;
        let from = app::trends::fmt_bucket(t.span.from, app::trends::DAY);
        Ok::<_, AppError>((
            format!("{key}-{}-{from}.csv", file_name(&t.environment)),
            app::trends::to_csv(chart),
        ))
    }
    .await;
    match result {
        Ok((file, body)) => download("text/csv; charset=utf-8", file, body),
        Err(e) => e.into_response(),
    }
}

/// Query of the review download.
#[derive(Debug, Deserialize)]
pub struct ReviewQuery {
    /// Environment name; the first environment when absent.
    pub env: Option<String>,
    /// The week's first day; the last 7 days when absent.
    pub week: Option<String>,
}

/// Sends the weekly review as long-form CSV (`/export/review.csv`).
pub async fn review_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ReviewQuery>,
) -> Response {
    let result = async {
        caller.0.ok_or(AppError::Unauthorized)?;
        let mut conn = state.pool.acquire().await?;
        let r = app::review::server::load(
            &mut conn,
            q.env.as_deref(),
            q.week.as_deref(),
            chrono::Utc::now(),
            false,
        )
        .await?;
        Ok::<_, AppError>((
            format!("review-{}-{}.csv", file_name(&r.environment), r.week),
            app::review::to_csv(&r),
        ))
    }
    .await;
    match result {
        Ok((file, body)) => download("text/csv; charset=utf-8", file, body),
        Err(e) => e.into_response(),
    }
}
