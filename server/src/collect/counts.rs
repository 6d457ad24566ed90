//! The record-count collector: per synced table map, how many records each
//! side holds — F&O by `/$count` across legal entities, Dataverse by
//! `$count` up to 5,000 and by paging the keys beyond, as documented. The
//! entity sets come from each service's metadata, so the rule book only
//! needs the entity and table names it already has.

use super::{CollectError, RunOutcome, record_failure};
use crate::connect::Connector;
use app::auth::server::db_now;
use app::environments::Environment;
use sqlx::SqlitePool;

/// The collector's name in runs.
pub const COUNTS: &str = "counts";

/// One map's counts, before they are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapCount {
    /// The table map.
    pub map_id: i64,
    /// F&O records across legal entities, when countable.
    pub fo: Option<u64>,
    /// Dataverse records, when countable.
    pub dataverse: Option<u64>,
    /// Why a side could not be counted ("" when both were).
    pub problem: String,
}

/// Counts every live synced map of `env` on both sides and stores the
/// counts with the run record in one transaction. A map whose entity or
/// table does not exist is stored with the reason; a system that cannot
/// be reached fails the run and nothing is stored.
#[tracing::instrument(skip_all, fields(environment = %env.name), err)]
pub async fn collect_counts(
    pool: &SqlitePool,
    env: &Environment,
    connector: &Connector,
) -> Result<RunOutcome, CollectError> {
    let started = db_now();
    let result = counts_inner(pool, env, connector, &started).await;
    if let Err(e) = &result {
        record_failure(pool, env.id, COUNTS, &started, &e.to_string()).await;
    }
    result
}

/// Counts one map's two sides.
pub async fn count_map(
    connector: &Connector,
    map_id: i64,
    fo_entity: &str,
    dataverse_table: &str,
) -> Result<MapCount, CollectError> {
    let mut problems = Vec::new();
    let fo_url = connector.connection().fo_url.clone();
    let fo = if fo_url.is_empty() {
        problems.push("the environment has no F&O URL".to_string());
        None
    } else {
        match connector.fo_entity_set(fo_entity).await? {
            Some(set) => Some(connector.fo_count(&fo_url, &set).await?),
            None => {
                problems.push(format!(
                    "F&O has no OData entity set for the data entity {fo_entity} (not in this environment, or not public)"
                ));
                None
            }
        }
    };
    let dataverse = match connector.dataverse_entity_set(dataverse_table).await? {
        Some((set, id)) => Some(connector.dataverse_count(&set, &id).await?),
        None => {
            problems.push(format!("Dataverse has no table named {dataverse_table}"));
            None
        }
    };
    Ok(MapCount {
        map_id,
        fo,
        dataverse,
        problem: problems.join("; "),
    })
}

async fn counts_inner(
    pool: &SqlitePool,
    env: &Environment,
    connector: &Connector,
    started: &str,
) -> Result<RunOutcome, CollectError> {
    let maps: Vec<(i64, String, String)> = sqlx::query_as(
        "select id, fo_entity, dataverse_table from table_maps
         where environment_id = ? and deleted = 0 and direction <> 'not_synced' order by name",
    )
    .bind(env.id)
    .fetch_all(pool)
    .await?;
    let mut counts = Vec::with_capacity(maps.len());
    for (id, fo, dv) in &maps {
        counts.push(count_map(connector, *id, fo, dv).await?);
    }
    let at = db_now();
    let mut tx = app::auth::server::begin_write(pool).await?;
    for c in &counts {
        sqlx::query(
            "insert into record_counts (map_id, counted_at, fo_count, dataverse_count, problem)
             values (?, ?, ?, ?, ?)",
        )
        .bind(c.map_id)
        .bind(&at)
        .bind(c.fo.map(|n| n as i64))
        .bind(c.dataverse.map(|n| n as i64))
        .bind(&c.problem)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "insert into collector_runs (environment_id, collector, started_at, finished_at, outcome, items)
         values (?, ?, ?, ?, 'ok', ?)",
    )
    .bind(env.id)
    .bind(COUNTS)
    .bind(started)
    .bind(db_now())
    .bind(counts.len() as i64)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(RunOutcome {
        read: maps.len(),
        stored: counts.len(),
    })
}
