//! Reading the overview: a handful of queries, each on an index or a
//! rollup (error and throughput hours), so the home page stays
//! fast however much history is kept.

use super::{CollectorHealth, EnvOverview, LastReconcile, MapGlance, STATES};
use crate::db::Conn;
use crate::error::AppError;
use crate::trends::HOUR;
use std::collections::HashMap;

/// The collectors the overview reports on, in order.
const COLLECTORS: [&str; 4] = ["errors", "map_states", "counts", "throughput"];

/// The overview of `env` (or the first environment) at `now` (Unix
/// seconds); `None` when there is no environment yet.
#[tracing::instrument(skip(conn))]
pub async fn load(
    conn: &mut dyn Conn,
    env: Option<&str>,
    now: i64,
) -> Result<Option<EnvOverview>, AppError> {
    let env = match crate::environments::server::named_or_first(conn, env).await {
        Ok(e) => e,
        // No environment yet: the page says how to add one.
        Err(AppError::Validation { .. }) if env.is_none() => return Ok(None),
        Err(e) => return Err(e),
    };
    // The last 24 whole hours and the current one.
    let to = (now / HOUR + 1) * HOUR;
    let from = to - 24 * HOUR;
    let since = crate::db::db_time_secs(now - 24 * HOUR);
    let maps = crate::maps::server::names(conn, env.id).await?;
    let states = crate::maps::server::latest_states(conn, env.id).await?;
    let (open, new_groups_24h) = crate::errors::server::open_and_new(conn, env.id, &since).await?;
    let ids: Vec<i64> = maps.iter().map(|(id, _)| *id).collect();
    let hours = crate::errors::server::hourly_per_map(conn, env.id, &ids, (from, to)).await?;
    let index = |t: i64| Some(((t - from) / HOUR) as usize).filter(|i| *i < 24 && t >= from);
    let mut errors_24h = vec![0.0; 24];
    let mut map_errors: HashMap<i64, i64> = HashMap::new();
    for (map, hour, n) in hours {
        if map == 0 {
            if let Some(i) = index(hour) {
                errors_24h[i] += n as f64;
            }
        } else {
            *map_errors.entry(map).or_default() += n;
        }
    }
    let flow = crate::throughput::server::hourly(conn, &ids, (from, to)).await?;
    let mut synced: HashMap<i64, (Vec<f64>, i64)> = HashMap::new();
    for (map, bucket, ok, bad) in flow {
        let e = synced.entry(map).or_insert_with(|| (vec![0.0; 24], 0));
        if let Some(v) = e.0.get_mut(((bucket - from) / HOUR) as usize) {
            *v += ok as f64;
        }
        e.1 += bad;
    }
    let mut glances = Vec::with_capacity(maps.len());
    for (id, name) in maps {
        // One indexed lookup per map: the latest rows are the last by id.
        let count = crate::counts::server::latest(conn, id).await?;
        let reconcile = crate::reconcile::server::latest_finished(conn, id).await?;
        let (synced_24h, failed_24h) = synced.remove(&id).unwrap_or((vec![0.0; 24], 0));
        glances.push(MapGlance {
            id,
            state: states.get(&id).cloned(),
            open_groups: open.get(&Some(id)).copied().unwrap_or(0),
            errors_24h: map_errors.get(&id).copied().unwrap_or(0),
            synced_24h,
            failed_24h,
            count_difference: count.and_then(|(fo, dv)| Some(fo? - dv?)),
            reconcile: reconcile.map(
                |(run_id, kind, status, finished_at, records, differences)| LastReconcile {
                    run_id,
                    kind,
                    status,
                    finished_at,
                    records,
                    differences,
                },
            ),
            name,
        });
    }
    let states = STATES
        .iter()
        .map(|(state, _)| {
            glances
                .iter()
                .filter(|m| m.state.as_deref() == *state)
                .count() as i64
        })
        .collect();
    let mut collectors = Vec::new();
    for c in COLLECTORS {
        let run = crate::collectors::server::latest_run(conn, env.id, c).await?;
        if let Some((outcome, finished_at, error)) = run {
            collectors.push(CollectorHealth {
                collector: c.to_string(),
                outcome,
                finished_at,
                error,
            });
        }
    }
    let alerts = crate::alerts::server::active(conn, &env).await?;
    let now = chrono::Utc::now().timestamp();
    let cutover = crate::cutover::runs::glance(conn, env.id, &env.time_zone, now).await?;
    Ok(Some(EnvOverview {
        alerts,
        cutover,
        environment: env.name,
        states,
        open_groups: open.values().sum(),
        new_groups_24h,
        errors_24h,
        collectors,
        maps: glances,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_environment_at_a_glance() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(
            load(&mut conn, None, 0).await.unwrap(),
            None,
            "no environment yet"
        );
        let (env, map) = crate::maps::server::uat_with_starter(&mut conn).await;
        let now = chrono::Utc::now().timestamp();
        let at = crate::db::db_time(chrono::DateTime::from_timestamp(now - 2 * HOUR, 0).unwrap());
        for sql in [
            "insert into map_state_observations (map_id, state, observed_at) values ($1, 'running', $2)",
            "insert into map_state_observations (map_id, state, observed_at) values ($1, 'paused', $2)",
            "insert into record_counts (map_id, counted_at, company, fo_count, dataverse_count) values ($1, $2, '', 10, 12)",
            "insert into reconcile_runs (map_id, kind, status, requested_by, started_at, finished_at, recheck_secs, records, differing)
             values ($1, 'full', 'done', 'cli', $2, $2, 0, 50, 5)",
            "insert into collector_runs (environment_id, collector, started_at, finished_at, outcome, error) values (1, 'counts', $2, $2, 'failed', 'F&O: 401')",
        ] {
            crate::db::query(sql).bind(map).bind(&at).execute(&mut *conn).await.unwrap();
        }
        let sample = crate::throughput::Sample {
            item_id: "a".into(),
            map_id: map,
            direction: "fo_to_dataverse",
            minute: (now - HOUR) / 60 * 60,
            synced: 40,
            failed: 2,
            slots: [0; crate::throughput::SLOTS],
        };
        crate::throughput::server::ingest(&mut conn, env.id, &[sample])
            .await
            .unwrap();

        let o = load(&mut conn, Some("uat"), now).await.unwrap().unwrap();
        assert_eq!(o.states[1], 1, "one map paused (its latest observation)");
        assert_eq!(
            o.states[4] as usize,
            o.maps.len() - 1,
            "the rest not observed"
        );
        let m = o.maps.iter().find(|m| m.id == map).unwrap();
        assert_eq!(
            (m.state.as_deref(), m.count_difference, m.failed_24h),
            (Some("paused"), Some(-2), 2)
        );
        assert_eq!(m.synced_24h.iter().sum::<f64>(), 40.0);
        assert_eq!(m.synced_24h[22], 40.0, "an hour before the current one");
        assert_eq!(m.reconcile.as_ref().map(|r| r.differences), Some(5));
        assert_eq!(o.collectors[0].collector, "counts");
        assert_eq!(o.collectors[0].error.as_deref(), Some("F&O: 401"));
        assert!(matches!(
            load(&mut conn, Some("Nope"), now).await,
            Err(AppError::NotFound { .. })
        ));
    }
}
