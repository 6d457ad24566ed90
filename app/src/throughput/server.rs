//! Storing and reading throughput. Every sample adds to its minute, hour
//! and day rows at once (upserts), and its item id is remembered, so a
//! retried batch adds nothing twice.

use super::{Point, SLOTS, Sample, grain_for, percentile};
use crate::db::{Conn, Pool, QueryBuilder};
use crate::error::AppError;
use std::collections::{HashMap, HashSet};

/// The grains every sample adds to, with their period in seconds.
const GRAINS: [(&str, i64); 3] = [("minute", 60), ("hour", 3_600), ("day", 86_400)];

/// The message of migration 12's trigger that guards stored totals.
const TOTAL_TRIGGER_MESSAGE: &str = "throughput total over limit";

fn overflow() -> AppError {
    AppError::validation(
        "items",
        format!(
            "The batch would take a period's stored total of synced or failed records past {}; nothing was stored. Check the sender's counts.",
            super::MAX_STORED_TOTAL
        ),
    )
}

/// The trigger's refusal as a 422; other failures as usual.
fn guarded(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::Database(db) if db.message().contains(TOTAL_TRIGGER_MESSAGE) => overflow(),
        _ => e.into(),
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// Samples counted.
    pub stored: usize,
    /// Samples already counted before (same item id).
    pub duplicates: usize,
}

/// Adds checked samples of `environment_id`; call it in a write
/// transaction (`begin_write`). The samples are summed per period in
/// memory first, so a batch costs a few multi-row statements, not one per
/// sample and grain.
#[tracing::instrument(skip_all, fields(samples = samples.len()))]
pub async fn ingest(
    conn: &mut dyn Conn,
    environment_id: i64,
    samples: &[Sample],
) -> Result<Stored, AppError> {
    // Item ids never seen before; a repeat inside the batch counts once.
    let mut fresh: HashSet<String> = HashSet::new();
    for chunk in samples.chunks(300) {
        let mut q: QueryBuilder<'_> =
            QueryBuilder::new("insert into throughput_items (environment_id, item_id, minute) ");
        q.push_values(chunk, |mut b, s| {
            b.push_bind(environment_id)
                .push_bind(&s.item_id)
                .push_bind(s.minute);
        });
        q.push(" on conflict do nothing returning item_id");
        let ids: Vec<String> = q.build_query_scalar().fetch_all(&mut *conn).await?;
        fresh.extend(ids);
    }
    let mut out = Stored {
        stored: 0,
        duplicates: 0,
    };
    let mut counts: HashMap<(i64, &str, &str, i64), (i64, i64)> = HashMap::new();
    let mut latency: HashMap<(i64, &str, &str, i64, i64), i64> = HashMap::new();
    for s in samples {
        if !fresh.remove(&s.item_id) {
            out.duplicates += 1;
            continue;
        }
        out.stored += 1;
        for (grain, secs) in GRAINS {
            let bucket = s.minute.div_euclid(secs) * secs;
            let c = counts
                .entry((s.map_id, s.direction, grain, bucket))
                .or_default();
            // Checked although the per-item bound keeps a batch's sums
            // small: a wrapped count would be stored silently.
            c.0 = c.0.checked_add(s.synced).ok_or_else(overflow)?;
            c.1 = c.1.checked_add(s.failed).ok_or_else(overflow)?;
            for (slot, n) in s.slots.iter().enumerate().filter(|(_, n)| **n > 0) {
                *latency
                    .entry((s.map_id, s.direction, grain, bucket, slot as i64))
                    .or_default() += n;
            }
        }
    }
    let counts: Vec<_> = counts.into_iter().collect();
    for chunk in counts.chunks(150) {
        let mut q: QueryBuilder<'_> = QueryBuilder::new(
            "insert into throughput (map_id, direction, grain, bucket, synced, failed) ",
        );
        q.push_values(
            chunk,
            |mut b, ((map, direction, grain, bucket), (synced, failed))| {
                b.push_bind(*map)
                    .push_bind(*direction)
                    .push_bind(*grain)
                    .push_bind(*bucket)
                    .push_bind(*synced)
                    .push_bind(*failed);
            },
        );
        q.push(
            " on conflict (map_id, direction, grain, bucket)
              do update set synced = throughput.synced + excluded.synced, failed = throughput.failed + excluded.failed",
        );
        q.build().execute(&mut *conn).await.map_err(guarded)?;
    }
    let latency: Vec<_> = latency.into_iter().collect();
    for chunk in latency.chunks(150) {
        let mut q: QueryBuilder<'_> = QueryBuilder::new(
            "insert into throughput_latency (map_id, direction, grain, bucket, slot, n) ",
        );
        q.push_values(
            chunk,
            |mut b, ((map, direction, grain, bucket, slot), n)| {
                b.push_bind(*map)
                    .push_bind(*direction)
                    .push_bind(*grain)
                    .push_bind(*bucket)
                    .push_bind(*slot)
                    .push_bind(*n);
            },
        );
        q.push(
            " on conflict (map_id, direction, grain, bucket, slot) do update set n = throughput_latency.n + excluded.n",
        );
        q.build().execute(&mut *conn).await.map_err(guarded)?;
    }
    Ok(out)
}

/// The series of `map_id` (both directions when `direction` is `None`)
/// from `from` to `to` (Unix seconds, `to` exclusive), at the grain the
/// range calls for; periods without data are left out.
pub async fn series(
    conn: &mut dyn Conn,
    map_id: i64,
    direction: Option<&str>,
    from: i64,
    to: i64,
) -> Result<(&'static str, Vec<Point>), AppError> {
    let (grain, _) = grain_for(to - from);
    let rows: Vec<(i64, i64, i64)> = crate::db::query_as(
        "select bucket, cast(sum(synced) as bigint), cast(sum(failed) as bigint) from throughput
         where map_id = $1 and direction in ('fo_to_dataverse', 'dataverse_to_fo') and grain = $2 and bucket >= $3 and bucket < $4
           and (cast($5 as text) is null or direction = $6)
         group by bucket order by bucket",
    )
    .bind(map_id)
    .bind(grain)
    .bind(from)
    .bind(to)
    .bind(direction)
    .bind(direction)
    .fetch_all(&mut *conn)
    .await?;
    let latency: Vec<(i64, i64, i64)> = crate::db::query_as(
        "select bucket, slot, cast(sum(n) as bigint) from throughput_latency
         where map_id = $1 and direction in ('fo_to_dataverse', 'dataverse_to_fo') and grain = $2 and bucket >= $3 and bucket < $4
           and (cast($5 as text) is null or direction = $6)
         group by bucket, slot order by bucket",
    )
    .bind(map_id)
    .bind(grain)
    .bind(from)
    .bind(to)
    .bind(direction)
    .bind(direction)
    .fetch_all(&mut *conn)
    .await?;
    let mut hist: HashMap<i64, [i64; SLOTS]> = HashMap::new();
    for (bucket, slot, n) in latency {
        if let Some(s) = hist
            .entry(bucket)
            .or_insert([0; SLOTS])
            .get_mut(slot as usize)
        {
            *s += n;
        }
    }
    let points = rows
        .into_iter()
        .map(|(bucket, synced, failed)| {
            let h = hist.get(&bucket);
            Point {
                bucket,
                synced,
                failed,
                p50_ms: h.and_then(|h| percentile(h, 0.5)),
                p95_ms: h.and_then(|h| percentile(h, 0.95)),
            }
        })
        .collect();
    Ok((grain, points))
}

/// Deletes minute rows and remembered item ids older than `cutoff` (Unix
/// seconds); hours and days stay. Gives the minute rows deleted.
pub async fn prune(pool: &Pool, cutoff: i64) -> Result<u64, AppError> {
    let mut tx = crate::db::begin_write(pool).await?;
    let n = crate::db::query("delete from throughput where grain = 'minute' and bucket < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    crate::db::query("delete from throughput_latency where grain = 'minute' and bucket < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    crate::db::query("delete from throughput_items where minute < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(n)
}

/// The two sync directions the charts and totals count (not the
/// collector's `unknown`).
const SYNC_DIRECTIONS: &str = "('fo_to_dataverse', 'dataverse_to_fo')";

/// Synced and failed per `grain` period of `maps` in `[from, to)` (Unix
/// seconds), packed per map and direction as `bucket:synced:failed` cells
/// joined by commas: sqlx hands rows over one at a time, a few
/// microseconds each, so thousands of periods come as one text per map.
pub async fn packed_flow(
    conn: &mut dyn Conn,
    maps: &[i64],
    grain: &str,
    (from, to): (i64, i64),
) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(crate::db::query_as(sqlx::AssertSqlSafe(format!(
        "select map_id, direction, string_agg(bucket || ':' || synced || ':' || failed, ',')
         from throughput
         where map_id in (select cast(value as bigint) from json_each($1)) and direction in {SYNC_DIRECTIONS}
           and grain = $2 and bucket >= $3 and bucket < $4
         group by map_id, direction"
    )))
    .bind(crate::db::id_list(maps))
    .bind(grain)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// The latency histograms per `grain` period of `maps` in `[from, to)`,
/// both directions, packed per map as `bucket:slot:n` cells (see
/// [`packed_flow`]).
pub async fn packed_latency(
    conn: &mut dyn Conn,
    maps: &[i64],
    grain: &str,
    (from, to): (i64, i64),
) -> Result<Vec<(i64, String)>, AppError> {
    Ok(crate::db::query_as(sqlx::AssertSqlSafe(format!(
        "select map_id, string_agg(bucket || ':' || slot || ':' || n, ',')
         from throughput_latency
         where map_id in (select cast(value as bigint) from json_each($1)) and direction in {SYNC_DIRECTIONS}
           and grain = $2 and bucket >= $3 and bucket < $4
         group by map_id"
    )))
    .bind(crate::db::id_list(maps))
    .bind(grain)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Synced and failed per map and hour of `maps` in `[from, to)`.
pub async fn hourly(
    conn: &mut dyn Conn,
    maps: &[i64],
    (from, to): (i64, i64),
) -> Result<Vec<(i64, i64, i64, i64)>, AppError> {
    Ok(crate::db::query_as(sqlx::AssertSqlSafe(format!(
        "select map_id, bucket, cast(sum(synced) as bigint), cast(sum(failed) as bigint) from throughput
         where map_id in (select cast(value as bigint) from json_each($1)) and direction in {SYNC_DIRECTIONS}
           and grain = 'hour' and bucket >= $2 and bucket < $3
         group by 1, 2"
    )))
    .bind(crate::db::id_list(maps))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// A map's synced and failed records over whole days in `[from, to)`.
pub async fn day_totals(
    conn: &mut dyn Conn,
    map_id: i64,
    (from, to): (i64, i64),
) -> Result<(i64, i64), AppError> {
    Ok(crate::db::query_as(sqlx::AssertSqlSafe(format!(
        "select coalesce(cast(sum(synced) as bigint), 0), coalesce(cast(sum(failed) as bigint), 0) from throughput
         where map_id = $1 and direction in {SYNC_DIRECTIONS}
           and grain = 'day' and bucket >= $2 and bucket < $3"
    )))
    .bind(map_id)
    .bind(from)
    .bind(to)
    .fetch_one(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throughput::{RawSample, check_sample};
    use std::collections::HashMap;

    async fn map(conn: &mut dyn Conn) -> (i64, i64) {
        let (env, id) = crate::maps::server::uat_with_starter(conn).await;
        (env.id, id)
    }

    fn sample(map_id: i64, minute: &str, synced: u64, latency: Vec<f64>) -> Sample {
        let maps = HashMap::from([("Customers V3".to_string(), map_id)]);
        check_sample(
            &RawSample {
                id: None,
                map: "Customers V3".into(),
                direction: "fo_to_dataverse".into(),
                minute: minute.into(),
                synced,
                failed: 1,
                latency_ms: latency,
            },
            &maps,
            chrono::Utc::now(),
        )
        .unwrap()
    }

    #[test]
    fn a_count_past_the_per_minute_bound_is_refused_by_name() {
        let maps = HashMap::from([("Customers V3".to_string(), 1)]);
        let raw = RawSample {
            id: None,
            map: "Customers V3".into(),
            direction: "fo_to_dataverse".into(),
            minute: "2026-11-26T10:15:00Z".into(),
            synced: 9_223_372_036_854_775_807,
            failed: 0,
            latency_ms: vec![],
        };
        let err = check_sample(&raw, &maps, chrono::Utc::now()).unwrap_err();
        assert!(
            err.starts_with("synced: 9223372036854775807 records"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_stored_total_never_passes_the_exact_limit() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (env, map_id) = map(&mut conn).await;
        let first = sample(map_id, "2026-11-26T10:15:00Z", 1_000_000_000, vec![]);
        ingest(&mut conn, env, std::slice::from_ref(&first))
            .await
            .unwrap();
        // Bring the stored minute next to the limit, as years of data would.
        crate::db::query(
            "update throughput set synced = $1 where map_id = $2 and grain = 'minute'",
        )
        .bind(crate::throughput::MAX_STORED_TOTAL - 10)
        .bind(map_id)
        .execute(&mut *conn)
        .await
        .unwrap();
        let mut second = sample(map_id, "2026-11-26T10:15:00Z", 11, vec![]);
        second.item_id = "another".into();
        let err = ingest(&mut conn, env, &[second]).await.unwrap_err();
        assert_eq!(err.status(), 422, "{err}");
        // Stored as an integer, not a float: SQLite's `typeof`, PostgreSQL's
        // `pg_typeof`.
        let (sql, integer) = match pool.kind() {
            crate::db::Kind::Sqlite => (
                "select synced, typeof(synced) from throughput where map_id = $1 and grain = 'minute'",
                "integer",
            ),
            crate::db::Kind::Postgres => (
                "select synced, cast(pg_typeof(synced) as text) from throughput where map_id = $1 and grain = 'minute'",
                "bigint",
            ),
        };
        let stored: (i64, String) = crate::db::query_as(sql)
            .bind(map_id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(
            stored,
            (crate::throughput::MAX_STORED_TOTAL - 10, integer.into())
        );
    }

    #[tokio::test]
    async fn samples_roll_up_once_and_minutes_are_pruned() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (env, map_id) = map(&mut conn).await;
        let batch = vec![
            sample(map_id, "2026-11-26T10:15:00Z", 100, vec![10.0, 20.0]),
            sample(map_id, "2026-11-26T10:16:30Z", 50, vec![300.0]),
            sample(map_id, "2026-11-26T11:01:00Z", 25, vec![]),
        ];
        let mut twice = batch.clone();
        twice.push(batch[0].clone());
        let first = ingest(&mut conn, env, &twice).await.unwrap();
        assert_eq!(
            (first.stored, first.duplicates),
            (3, 1),
            "a repeat inside the batch counts once"
        );
        let again = ingest(&mut conn, env, &batch).await.unwrap();
        assert_eq!(
            (again.stored, again.duplicates),
            (0, 3),
            "a retry adds nothing"
        );

        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        let (grain, minutes) = series(
            &mut conn,
            map_id,
            None,
            t("2026-11-26T10:00:00Z"),
            t("2026-11-26T12:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(grain, "minute");
        assert_eq!(
            minutes.iter().map(|p| p.synced).collect::<Vec<_>>(),
            vec![100, 50, 25]
        );
        assert_eq!(minutes[0].p95_ms, Some(32.0));
        assert_eq!(minutes[2].p50_ms, None, "no latency sent");
        // The same data by hour and by day.
        let (grain, hours) = series(
            &mut conn,
            map_id,
            Some("fo_to_dataverse"),
            t("2026-11-01T00:00:00Z"),
            t("2026-11-27T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(grain, "hour");
        assert_eq!(
            hours
                .iter()
                .map(|p| (p.synced, p.failed))
                .collect::<Vec<_>>(),
            vec![(150, 2), (25, 1)]
        );
        assert_eq!(
            hours[0].p95_ms,
            Some(512.0),
            "percentiles survive the rollup"
        );
        let (grain, days) = series(
            &mut conn,
            map_id,
            None,
            t("2026-01-01T00:00:00Z"),
            t("2026-12-01T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!((grain, days.len(), days[0].synced), ("day", 1, 175));
        let (_, other) = series(
            &mut conn,
            map_id,
            Some("dataverse_to_fo"),
            t("2026-11-26T10:00:00Z"),
            t("2026-11-26T12:00:00Z"),
        )
        .await
        .unwrap();
        assert!(other.is_empty());

        drop(conn);
        assert_eq!(prune(&pool, t("2026-11-26T11:00:00Z")).await.unwrap(), 2);
        let mut conn = pool.acquire().await.unwrap();
        let (_, minutes) = series(
            &mut conn,
            map_id,
            None,
            t("2026-11-26T10:00:00Z"),
            t("2026-11-26T12:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(minutes.len(), 1, "old minutes are gone");
        let (_, hours) = series(
            &mut conn,
            map_id,
            None,
            t("2026-11-01T00:00:00Z"),
            t("2026-11-27T00:00:00Z"),
        )
        .await
        .unwrap();
        assert_eq!(
            hours.iter().map(|p| p.synced).sum::<i64>(),
            175,
            "hours stay"
        );
    }
}
