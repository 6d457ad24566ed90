//! The throughput collector: per synced map and minute, how many records
//! changed on the receiving side (Dataverse rows by `modifiedon`, in the
//! map's owning direction) and how many dual-write failures the error
//! queue holds for it. It reads whole minutes from where the last run
//! stopped (at most six hours at a time, so a long outage is caught up in
//! steps), and stores samples with ids per map, direction and minute, so
//! a window read twice is counted once.

use super::{CollectError, RunOutcome, record_failure, record_success, save_cursor};
use crate::connect::Connector;
use app::db::Pool;
use app::db::db_now;
use app::environments::Environment;
use app::throughput::{SLOTS, Sample};
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::BTreeMap;

/// The collector's name in runs and cursors.
pub const THROUGHPUT: &str = "throughput";

/// The most one run reads.
const MAX_WINDOW_MINUTES: i64 = 360;
/// Minutes this recent are left for the next run: sync may still be
/// writing them.
const SETTLE_MINUTES: i64 = 2;

/// The direction a map's changes flow in: its own, or for a
/// bidirectional map, away from its owning side.
fn flow(direction: &str, master: &str) -> &'static str {
    match (direction, master) {
        ("dataverse_to_fo", _) | ("bidirectional", "dataverse") => "dataverse_to_fo",
        _ => "fo_to_dataverse",
    }
}

/// Collects the whole minutes since the last run into the throughput store.
#[tracing::instrument(skip_all, fields(environment = %env.name))]
pub async fn collect_throughput(
    pool: &Pool,
    env: &Environment,
    connector: &Connector,
    now: DateTime<Utc>,
) -> Result<RunOutcome, CollectError> {
    let started = db_now();
    let result = inner(pool, env, connector, now, &started).await;
    if let Err(e) = &result {
        record_failure(pool, env.id, THROUGHPUT, &started, &e.to_string()).await;
    }
    result
}

async fn inner(
    pool: &Pool,
    env: &Environment,
    connector: &Connector,
    now: DateTime<Utc>,
    started: &str,
) -> Result<RunOutcome, CollectError> {
    let end = now.timestamp().div_euclid(60) * 60 - SETTLE_MINUTES * 60;
    let from = super::cursor(pool, env.id, THROUGHPUT)
        .await?
        .and_then(|c| c.parse::<i64>().ok())
        .unwrap_or(end - 60 * 60);
    let to = end.min(from + MAX_WINDOW_MINUTES * 60);
    if to <= from {
        return Ok(RunOutcome { read: 0, stored: 0 });
    }
    let stamp = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let maps: Vec<(i64, String, String, String)> = {
        let mut conn = pool.acquire().await?;
        app::maps::server::list(&mut conn, env.id)
            .await?
            .into_iter()
            .filter(|m| m.content.direction != app::maps::Direction::NotSynced)
            .map(|m| {
                (
                    m.id,
                    m.content.dataverse_table,
                    m.content.direction.as_str().to_string(),
                    m.content.master_side.as_str().to_string(),
                )
            })
            .collect()
    };
    let mut samples = Vec::new();
    let mut read = 0usize;
    for (map_id, table, direction, master) in &maps {
        let flow = flow(direction, master);
        // (synced, failed) per minute.
        let mut minutes: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
        if let Some((set, _)) = connector.dataverse_entity_set(table).await? {
            connector
                .dataverse_rows_where(
                    &set,
                    "modifiedon",
                    Some(&format!(
                        "modifiedon ge {} and modifiedon lt {}",
                        stamp(from),
                        stamp(to)
                    )),
                    |row| {
                        if let Some(t) = row["modifiedon"]
                            .as_str()
                            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        {
                            read += 1;
                            minutes
                                .entry(t.timestamp().div_euclid(60) * 60)
                                .or_default()
                                .0 += 1;
                        }
                    },
                )
                .await?;
        }
        let failed = {
            let mut conn = pool.acquire().await?;
            let at = |t: i64| app::db::db_time(DateTime::from_timestamp(t, 0).unwrap_or_default());
            app::errors::server::per_minute(&mut conn, *map_id, (&at(from), &at(to))).await?
        };
        for (minute, n) in failed {
            if let Ok(t) = DateTime::parse_from_rfc3339(&format!("{minute}:00Z")) {
                minutes.entry(t.timestamp()).or_default().1 += n;
            }
        }
        samples.extend(
            minutes
                .into_iter()
                .map(|(minute, (synced, failed))| Sample {
                    item_id: format!("collector:{map_id}:{flow}:{minute}"),
                    map_id: *map_id,
                    direction: flow,
                    minute,
                    synced,
                    failed,
                    slots: [0; SLOTS],
                }),
        );
    }
    let mut tx = app::db::begin_write(pool).await?;
    let stored = app::throughput::server::ingest(&mut tx, env.id, &samples).await?;
    save_cursor(&mut tx, env.id, THROUGHPUT, &to.to_string()).await?;
    record_success(&mut tx, env.id, THROUGHPUT, started, stored.stored).await?;
    tx.commit().await?;
    Ok(RunOutcome {
        read,
        stored: stored.stored,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn changes_flow_away_from_the_owning_side() {
        assert_eq!(super::flow("fo_to_dataverse", "fo"), "fo_to_dataverse");
        assert_eq!(
            super::flow("dataverse_to_fo", "dataverse"),
            "dataverse_to_fo"
        );
        assert_eq!(super::flow("bidirectional", "dataverse"), "dataverse_to_fo");
        assert_eq!(super::flow("bidirectional", "fo"), "fo_to_dataverse");
    }
}
