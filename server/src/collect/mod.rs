//! Collectors: pull from an environment's connected systems into the
//! console. A run reads everything first and writes it in one transaction
//! together with its cursor and its run record, so a failed run writes
//! nothing but the record of its failure, and the next run starts where the
//! last good one ended.

use crate::connect::{ConnectError, Connector};
use app::audit::server::Actor;
use app::db::Pool;
use app::db::db_now;
use app::environments::Environment;
use app::errors::Source;
use app::errors::server::{Commit, Origin, RawEntry, Sweeps, check_entry, store_batch};
use serde_json::Value;
use std::collections::HashMap;

mod counts;
mod throughput;
pub use counts::{
    COUNTS, CountedMap, MapCount, Scope, collect_counts, collect_counts_of, count_map,
};
pub use throughput::{THROUGHPUT, collect_throughput};

/// The dual-write error collector's name in runs and cursors.
pub const ERRORS: &str = "errors";
/// The map-state collector's name in runs.
pub const MAP_STATES: &str = "map_states";

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// Rows read from the source.
    pub read: usize,
    /// Entries stored (rows already stored are not counted).
    pub stored: usize,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The source could not be read.
    #[error("{0}")]
    Connect(#[from] ConnectError),
    /// The console's database failed.
    #[error("{0}")]
    Store(#[from] app::error::AppError),
    /// The database driver failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Where a collector goes on from.
async fn cursor(pool: &Pool, env: i64, collector: &str) -> Result<Option<String>, CollectError> {
    let mut conn = pool.acquire().await?;
    Ok(app::collectors::server::cursor(&mut conn, env, collector).await?)
}

/// Records a failed run; a failure to record it is logged, as the run's
/// own failure is what the caller reports.
async fn record_failure(pool: &Pool, env: i64, collector: &str, started: &str, error: &str) {
    let res = match pool.acquire().await {
        Ok(mut conn) => {
            app::collectors::server::record_run(&mut conn, env, collector, started, 0, Some(error))
                .await
        }
        Err(e) => Err(e.into()),
    };
    if let Err(e) = res {
        tracing::error!(error = %e, collector, "could not record a failed collector run");
    }
}

/// Records a successful run in the transaction of what it stored.
async fn record_success(
    tx: &mut dyn app::db::Conn,
    env: i64,
    collector: &str,
    started: &str,
    items: usize,
) -> Result<(), app::error::AppError> {
    app::collectors::server::record_run(tx, env, collector, started, items, None).await
}

use app::collectors::server::save_cursor;

/// The error text of a trace row: the dual-write failure line of the
/// message block, else the first line of the exception.
fn trace_message(row: &Value) -> String {
    let block = row["messageblock"].as_str().unwrap_or("");
    let from_block = block
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .find(|l| !l.starts_with("Dual-write "))
        .or_else(|| block.lines().map(str::trim).find(|l| !l.is_empty()));
    let from_exception = row["exceptiondetails"]
        .as_str()
        .and_then(|e| e.lines().next())
        .map(|l| l.split_once(": ").map(|(_, m)| m).unwrap_or(l).trim());
    from_block
        .or(from_exception)
        .filter(|m| !m.is_empty())
        .unwrap_or("(the trace row has no message)")
        .to_string()
}

/// The record key named in a dual-write trace header
/// ("Dual-write Update of account USMF-000123 failed.").
fn trace_key(row: &Value) -> Option<String> {
    let first = row["messageblock"].as_str()?.lines().next()?;
    let rest = first.strip_prefix("Dual-write ")?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    // "<Message> of <entity> <key> failed."
    let of = words.iter().position(|w| *w == "of")?;
    words
        .get(of + 2)
        .map(|k| k.to_string())
        .filter(|k| *k != "failed.")
}

/// Collects the dual-write runtime plug-in's trace log into the error
/// queue, from the last row seen. Rows become entries with the id
/// `plugintracelog:<guid>`, so no row is ever stored twice; a row's table
/// names its map when the rule book maps that table.
#[tracing::instrument(skip_all, fields(environment = %env.name))]
pub async fn collect_errors(
    pool: &Pool,
    sweeps: &Sweeps,
    env: &Environment,
    connector: &Connector,
) -> Result<RunOutcome, CollectError> {
    let started = db_now();
    let result = collect_errors_inner(pool, sweeps, env, connector, &started).await;
    if let Err(e) = &result {
        record_failure(pool, env.id, ERRORS, &started, &e.to_string()).await;
    }
    result
}

async fn collect_errors_inner(
    pool: &Pool,
    sweeps: &Sweeps,
    env: &Environment,
    connector: &Connector,
    started: &str,
) -> Result<RunOutcome, CollectError> {
    let since = cursor(pool, env.id, ERRORS).await?;
    let mut filter = format!("typename eq '{}'", crate::simulator::TRACE_TYPENAME);
    if let Some(since) = &since {
        // `ge`: rows sharing the last second are read again and skipped by id.
        filter.push_str(&format!(" and createdon ge {since}"));
    }
    let query = format!(
        "plugintracelogs?$select=plugintracelogid,createdon,messagename,primaryentity,messageblock,exceptiondetails,correlationid&$filter={}&$orderby=createdon asc",
        encode(&filter)
    );
    let rows = connector.dataverse_rows(&query, 1000).await?;

    // One read for both lookups: names for checking, tables for matching.
    let tables: Vec<(String, i64, String)> = {
        let mut conn = pool.acquire().await?;
        let mut live = app::maps::server::list(&mut conn, env.id).await?;
        live.sort_by_key(|m| m.id);
        live.into_iter()
            .map(|m| (m.content.name, m.id, m.content.dataverse_table))
            .collect()
    };
    let maps: HashMap<String, i64> = tables.iter().map(|(n, id, _)| (n.clone(), *id)).collect();
    // The first map of a table wins when several map it.
    let by_table: HashMap<&str, &str> = tables
        .iter()
        .rev()
        .map(|(n, _, t)| (t.as_str(), n.as_str()))
        .collect();
    let mut entries = Vec::with_capacity(rows.len());
    let mut newest = since.clone();
    for row in &rows {
        let Some(id) = row["plugintracelogid"].as_str() else {
            continue;
        };
        let created = row["createdon"].as_str().unwrap_or_default().to_string();
        let raw = RawEntry {
            id: Some(format!("plugintracelog:{id}")),
            occurred_at: Some(created.clone()),
            map: row["primaryentity"]
                .as_str()
                .and_then(|t| by_table.get(t))
                .map(|n| n.to_string()),
            // The runtime plug-in runs in Dataverse: the write was on its
            // way to F&O.
            direction: Some("dataverse_to_fo".into()),
            record_key: trace_key(row),
            legal_entity: None,
            message: Some(trace_message(row)),
            detail: serde_json::value::to_raw_value(row).ok(),
        };
        match check_entry(raw, &maps) {
            Ok(e) => entries.push(e),
            Err(reason) => {
                tracing::warn!(
                    trace.id = id,
                    reason,
                    "skipped a trace row the queue cannot hold"
                );
            }
        }
        if newest.as_deref().is_none_or(|n| created.as_str() > n) {
            newest = Some(created);
        }
    }
    let read = rows.len();
    let actor = Actor {
        user_id: None,
        label: "collector:errors".into(),
        ip: None,
    };
    let origin = Origin {
        actor: &actor,
        source: Source::Connector,
        source_ref: "plugintracelogs",
    };
    // The cursor and the run record land with the entries, or none do.
    let accepted = store_batch(
        pool,
        sweeps,
        env.id,
        entries,
        origin,
        Commit::default(),
        &mut |_| {},
        async |tx, accepted| {
            let stored = accepted.iter().filter(|a| !a.duplicate).count();
            if let Some(newest) = &newest {
                save_cursor(tx, env.id, ERRORS, newest).await?;
            }
            record_success(tx, env.id, ERRORS, started, stored).await
        },
    )
    .await?;
    let stored = accepted.iter().filter(|a| !a.duplicate).count();
    Ok(RunOutcome { read, stored })
}

/// One map's state from its F&O project rows (two per map): paused if any
/// is paused, stopped if any is stopped, running if all run, else not
/// running. `None` for a status this console does not know.
pub fn combined_state(statuses: &[&str]) -> Option<&'static str> {
    let known = |s: &str| match s.to_ascii_lowercase().as_str() {
        "running" => Some("running"),
        "paused" => Some("paused"),
        "stopped" => Some("stopped"),
        "notrunning" | "not running" | "initialsync" | "initializing" | "resuming" => {
            Some("not_running")
        }
        _ => None,
    };
    let states: Vec<&str> = statuses.iter().map(|s| known(s)).collect::<Option<_>>()?;
    Some(if states.contains(&"paused") {
        "paused"
    } else if states.contains(&"stopped") {
        "stopped"
    } else if !states.is_empty() && states.iter().all(|s| *s == "running") {
        "running"
    } else {
        "not_running"
    })
}

/// Reads `DualWriteProjectConfigurations` from F&O and records, per table
/// map (matched on F&O entity and Dataverse table), the state F&O reports
/// whenever it differs from the last one recorded.
#[tracing::instrument(skip_all, fields(environment = %env.name))]
pub async fn collect_map_states(
    pool: &Pool,
    env: &Environment,
    connector: &Connector,
) -> Result<RunOutcome, CollectError> {
    let started = db_now();
    let result = map_states_inner(pool, env, connector, &started).await;
    if let Err(e) = &result {
        record_failure(pool, env.id, MAP_STATES, &started, &e.to_string()).await;
    }
    result
}

async fn map_states_inner(
    pool: &Pool,
    env: &Environment,
    connector: &Connector,
    started: &str,
) -> Result<RunOutcome, CollectError> {
    let page = connector
        .fo_json("DualWriteProjectConfigurations?cross-company=true&$select=ProjectName,InternalEntityName,ExternalEntityName,Status")
        .await?;
    let rows = crate::connect::page_parts(&page)
        .map_err(|message| ConnectError {
            endpoint: "GET /data/DualWriteProjectConfigurations".into(),
            status: Some(200),
            message,
        })?
        .rows
        .to_vec();
    let mut by_pair: HashMap<(String, String), Vec<String>> = HashMap::new();
    for r in &rows {
        let (Some(fo), Some(dv), Some(status)) = (
            r["InternalEntityName"].as_str(),
            r["ExternalEntityName"].as_str(),
            r["Status"].as_str(),
        ) else {
            continue;
        };
        by_pair
            .entry((fo.to_ascii_lowercase(), dv.to_ascii_lowercase()))
            .or_default()
            .push(status.to_string());
    }
    let mut tx = app::db::begin_write(pool).await?;
    let maps = app::maps::server::live_with_state(&mut tx, env.id).await?;
    let mut changed = 0usize;
    for (id, fo, dv, last) in maps {
        let Some(statuses) = by_pair.get(&(fo.to_ascii_lowercase(), dv.to_ascii_lowercase()))
        else {
            continue;
        };
        let refs: Vec<&str> = statuses.iter().map(String::as_str).collect();
        let Some(state) = combined_state(&refs) else {
            tracing::warn!(map.id = id, statuses = ?statuses, "unknown dual-write project status; not recorded");
            continue;
        };
        if last.as_deref() != Some(state) {
            app::maps::server::record_state(&mut tx, id, state, &statuses.join(", ")).await?;
            changed += 1;
        }
    }
    record_success(&mut tx, env.id, MAP_STATES, started, changed).await?;
    tx.commit().await?;
    Ok(RunOutcome {
        read: rows.len(),
        stored: changed,
    })
}

/// Percent-encodes an OData query value.
fn encode(v: &str) -> String {
    app::components::percent_encode(v, b"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn two_project_rows_combine_into_one_map_state() {
        assert_eq!(combined_state(&["Running", "Running"]), Some("running"));
        assert_eq!(combined_state(&["Running", "Paused"]), Some("paused"));
        assert_eq!(
            combined_state(&["NotRunning", "Running"]),
            Some("not_running")
        );
        assert_eq!(combined_state(&["Stopped", "Running"]), Some("stopped"));
        assert_eq!(combined_state(&["Running", "Exploded"]), None);
    }

    #[test]
    fn trace_rows_give_their_failure_line_and_key() {
        let row = json!({
            "messageblock": "Dual-write Update of account USMF-000123 failed.\nIntegration keys are missing",
            "exceptiondetails": "X: ignored",
        });
        assert_eq!(trace_message(&row), "Integration keys are missing");
        assert_eq!(trace_key(&row).as_deref(), Some("USMF-000123"));
        let bare = json!({ "exceptiondetails": "Microsoft.Xrm.Sdk.InvalidPluginExecutionException: Credit check failed\n   at …" });
        assert_eq!(trace_message(&bare), "Credit check failed");
        assert_eq!(trace_key(&bare), None);
        assert_eq!(trace_message(&json!({})), "(the trace row has no message)");
    }
}
