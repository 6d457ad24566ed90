//! The reconciliation store: `reconcile_runs` (each run with its progress,
//! checkpoint and result), `reconcile_differences` (what a run found, with
//! the team's explanations) and `reconcile_settings` (per map). The engine
//! in the server writes runs through these functions; the pages, the
//! overview, the review and the trends read through them.

use super::{Difference, Run, Settings};
use crate::db::Conn;
use crate::db::{db_now, id_list};
use crate::error::AppError;
use std::collections::{HashMap, HashSet};

/// A map's runs, newest first, at most `limit`.
pub async fn runs_of(conn: &mut dyn Conn, map_id: i64, limit: i64) -> Result<Vec<Run>, AppError> {
    Ok(crate::db::query_as(
        "select * from reconcile_runs where map_id = $1 order by id desc limit $2",
    )
    .bind(map_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Run `run_id` if it is a run of `map_id`.
pub async fn run_of(
    conn: &mut dyn Conn,
    map_id: i64,
    run_id: i64,
) -> Result<Option<Run>, AppError> {
    Ok(
        crate::db::query_as("select * from reconcile_runs where id = $1 and map_id = $2")
            .bind(run_id)
            .bind(map_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The differences of a run (open ones first, then by kind, key and
/// field), at most `limit` (`None`: all), and how many there are.
pub async fn differences(
    conn: &mut dyn Conn,
    run_id: i64,
    limit: Option<i64>,
) -> Result<(Vec<Difference>, i64), AppError> {
    let list: Vec<Difference> = crate::db::query_as(
        "select id, record_key, kind, field, fo_value, dataverse_value, change, explained_by, explained_at, explanation
         from reconcile_differences where run_id = $1
         order by change = 'fixed', kind, record_key, field limit $2",
    )
    .bind(run_id)
    // No limit as the largest one: SQLite reads a negative limit as none,
    // PostgreSQL refuses it.
    .bind(limit.unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    let total: i64 =
        crate::db::query_scalar("select count(*) from reconcile_differences where run_id = $1")
            .bind(run_id)
            .fetch_one(conn)
            .await?;
    Ok((list, total))
}

/// A map's settings (the defaults until someone saved them).
pub async fn settings(conn: &mut dyn Conn, map_id: i64) -> Result<Settings, AppError> {
    Ok(crate::db::query_as::<(i64, i64)>(
        "select sample_size, full_every_days from reconcile_settings where map_id = $1",
    )
    .bind(map_id)
    .fetch_optional(conn)
    .await?
    .map(|(sample_size, full_every_days)| Settings {
        sample_size,
        full_every_days,
    })
    .unwrap_or_default())
}

/// Saves a map's settings (checked by the caller).
pub async fn save_settings(conn: &mut dyn Conn, map_id: i64, s: &Settings) -> Result<(), AppError> {
    crate::db::query(
        "insert into reconcile_settings (map_id, sample_size, full_every_days) values ($1, $2, $3)
         on conflict (map_id) do update set sample_size = excluded.sample_size, full_every_days = excluded.full_every_days",
    )
    .bind(map_id)
    .bind(s.sample_size)
    .bind(s.full_every_days)
    .execute(conn)
    .await?;
    Ok(())
}

/// Asks a running run to stop at its next checkpoint; gives its map, or
/// `None` when it is not running.
pub async fn request_cancel(conn: &mut dyn Conn, run_id: i64) -> Result<Option<i64>, AppError> {
    Ok(crate::db::query_scalar(
        "update reconcile_runs set cancel_requested = true where id = $1 and status = 'running' returning map_id",
    )
    .bind(run_id)
    .fetch_optional(conn)
    .await?)
}

/// A difference as explained: its run, map, record key, kind and field.
pub type Explained = (i64, i64, String, String, String);

/// Records why a difference is expected; `None` when there is no such
/// difference. Later runs carry the explanation over.
pub async fn explain(
    conn: &mut dyn Conn,
    difference_id: i64,
    by: &str,
    explanation: &str,
) -> Result<Option<Explained>, AppError> {
    Ok(crate::db::query_as(
        "update reconcile_differences set explained_by = $1, explained_at = $2, explanation = $3 where id = $4
         returning run_id, (select map_id from reconcile_runs r where r.id = run_id), record_key, kind, field",
    )
    .bind(by)
    .bind(db_now())
    .bind(explanation)
    .bind(difference_id)
    .fetch_optional(conn)
    .await?)
}

/// Records a new run as running; gives its id.
pub async fn begin_run(
    conn: &mut dyn Conn,
    map_id: i64,
    kind: &str,
    requested_by: &str,
    sample_size: Option<i64>,
    recheck_secs: i64,
    runner: &str,
) -> Result<i64, AppError> {
    crate::db::query_scalar(
        "insert into reconcile_runs (map_id, kind, status, requested_by, started_at, sample_size, recheck_secs, runner)
         values ($1, $2, 'running', $3, $4, $5, $6, $7) returning id",
    )
    .bind(map_id)
    .bind(kind)
    .bind(requested_by)
    .bind(db_now())
    .bind(sample_size)
    .bind(recheck_secs)
    .bind(runner)
    .fetch_one(conn)
    .await
    .map_err(|e| match e {
        // The index that allows one run going on per map, also when two
        // servers start one at the same moment.
        sqlx::Error::Database(db) if db.is_unique_violation() => AppError::Conflict(
            "Another run of this map is still going; wait for it or cancel it.".into(),
        ),
        other => other.into(),
    })
}

/// Ends a run that did not finish: `status` is `failed` or `cancelled`.
pub async fn end_run(
    conn: &mut dyn Conn,
    run_id: i64,
    status: &str,
    error: &str,
) -> Result<(), AppError> {
    crate::db::query(
        "update reconcile_runs set status = $1, finished_at = $2, error = $3, checkpoint = null where id = $4",
    )
    .bind(status)
    .bind(db_now())
    .bind(error)
    .bind(run_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves a full diff's checkpoint and progress; gives whether someone
/// asked the run to stop.
pub async fn save_checkpoint(
    conn: &mut dyn Conn,
    run_id: i64,
    checkpoint: &str,
    fo_read: i64,
    dataverse_read: i64,
    runner: &str,
) -> Result<Option<bool>, AppError> {
    // Only while `runner` runs it: `None` when another server took the
    // run over (this one had not renewed its lease in time).
    Ok(crate::db::query_scalar(
        "update reconcile_runs set checkpoint = $1, fo_read = $2, dataverse_read = $3
         where id = $4 and runner is not distinct from $5
         returning cancel_requested",
    )
    .bind(checkpoint)
    .bind(fo_read)
    .bind(dataverse_read)
    .bind(run_id)
    .bind(runner)
    .fetch_optional(conn)
    .await?)
}

/// Whether `runner` still runs the run (no other server took it over).
pub async fn runs_here(conn: &mut dyn Conn, run_id: i64, runner: &str) -> Result<bool, AppError> {
    Ok(crate::db::query_scalar::<i64>(
        "select id from reconcile_runs where id = $1 and runner is not distinct from $2",
    )
    .bind(run_id)
    .bind(runner)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// A run's checkpoint and its expected totals per side (for progress).
pub async fn checkpoint(
    conn: &mut dyn Conn,
    run_id: i64,
) -> Result<(Option<String>, (Option<i64>, Option<i64>)), AppError> {
    let (cp, fo, dv): (Option<String>, Option<i64>, Option<i64>) = crate::db::query_as(
        "select checkpoint, fo_total, dataverse_total from reconcile_runs where id = $1",
    )
    .bind(run_id)
    .fetch_one(conn)
    .await?;
    Ok((cp, (fo, dv)))
}

/// Sets the records a run expects to read per side.
pub async fn set_totals(
    conn: &mut dyn Conn,
    run_id: i64,
    fo_total: Option<i64>,
    dataverse_total: Option<i64>,
) -> Result<(), AppError> {
    crate::db::query("update reconcile_runs set fo_total = $1, dataverse_total = $2 where id = $3")
        .bind(fo_total)
        .bind(dataverse_total)
        .bind(run_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A run's progress: read per side and expected per side.
pub async fn progress(
    conn: &mut dyn Conn,
    run_id: i64,
) -> Result<Option<(i64, i64, Option<i64>, Option<i64>)>, AppError> {
    Ok(crate::db::query_as(
        "select fo_read, dataverse_read, fo_total, dataverse_total from reconcile_runs where id = $1",
    )
    .bind(run_id)
    .fetch_optional(conn)
    .await?)
}

/// The run of a map that is going on, if any.
pub async fn running(conn: &mut dyn Conn, map_id: i64) -> Result<Option<i64>, AppError> {
    Ok(crate::db::query_scalar(
        "select id from reconcile_runs where map_id = $1 and status = 'running' limit 1",
    )
    .bind(map_id)
    .fetch_optional(conn)
    .await?)
}

/// A run going on, as the runs' servers see it: id, map, kind, requested
/// by, and the server running it (none for runs from before servers were
/// named).
pub type Going = (i64, i64, String, String, Option<String>);

/// The runs going on, with the server running each.
pub async fn going(conn: &mut dyn Conn) -> Result<Vec<Going>, AppError> {
    Ok(crate::db::query_as(
        "select id, map_id, kind, requested_by, runner from reconcile_runs where status = 'running' order by id",
    )
    .fetch_all(conn)
    .await?)
}

/// Moves a run going on from the server `from` (which is gone) to
/// `to`; false when another server moved it first or it has ended.
pub async fn adopt(
    conn: &mut dyn Conn,
    run_id: i64,
    from: Option<&str>,
    to: &str,
) -> Result<bool, AppError> {
    // `is` compares a missing runner too (`=` is never true for null).
    Ok(crate::db::query(
        "update reconcile_runs set runner = $1 where id = $2 and status = 'running' and runner is not distinct from $3",
    )
    .bind(to)
    .bind(run_id)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// What is due, as (map, full): a sample of each of `sample_maps` without
/// one in the last day, and a full diff of each of `live_maps` whose
/// settings ask for one every N days and which has none in the last N.
pub async fn due(
    conn: &mut dyn Conn,
    sample_maps: &[i64],
    live_maps: &[i64],
) -> Result<Vec<(i64, bool)>, AppError> {
    let now = chrono::Utc::now();
    Ok(crate::db::query_as(
        "select cast(j.value as bigint), false from json_each($1) j
         where not exists (select 1 from reconcile_runs r
                           where r.map_id = cast(j.value as bigint) and r.kind = 'sample'
                             and r.started_at >= $3)
         union all
         select s.map_id, true from reconcile_settings s
         where s.map_id in (select cast(value as bigint) from json_each($2)) and s.full_every_days > 0
           and not exists (select 1 from reconcile_runs r where r.map_id = s.map_id and r.kind = 'full'
                           and cast(strftime('%s', r.started_at) as bigint) >= $4 - s.full_every_days * 86400)",
    )
    .bind(id_list(sample_maps))
    .bind(id_list(live_maps))
    .bind(crate::db::db_time(now - chrono::Duration::days(1)))
    .bind(now.timestamp())
    .fetch_all(conn)
    .await?)
}

/// One difference a run found, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Found {
    /// The record's identity.
    pub key: String,
    /// `missing_in_dataverse`, `missing_in_fo` or `field`.
    pub kind: &'static str,
    /// The field (for `field`).
    pub field: String,
    /// F&O value.
    pub fo: String,
    /// Dataverse value.
    pub dv: String,
}

/// What a run found, ready to store.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Distinct records compared.
    pub records: i64,
    /// F&O records read.
    pub fo_read: i64,
    /// Dataverse records read.
    pub dv_read: i64,
    /// Exact counts (a full diff may list fewer details than it counts).
    pub missing_in_dataverse: i64,
    /// Records only in Dataverse.
    pub missing_in_fo: i64,
    /// Records with a differing field.
    pub differing: i64,
    /// Differences gone on the re-check.
    pub cleared: i64,
    /// The differences to list.
    pub found: Vec<Found>,
    /// For samples: the records looked at, so only those can be "fixed".
    pub examined: Option<HashSet<String>>,
}

/// Stores a finished run (call it in a write transaction): its
/// differences, each marked new or persisting against the previous done
/// run of the same kind (carrying explanations over), the previous ones
/// gone as fixed (for a sample, only among the records it looked at), and
/// the run's totals.
pub async fn finish_run(
    conn: &mut dyn Conn,
    run_id: i64,
    map_id: i64,
    kind: &str,
    o: &Outcome,
) -> Result<Run, AppError> {
    type Prev = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let previous: Vec<Prev> = crate::db::query_as(
        "select record_key, kind, field, fo_value, dataverse_value, explained_by, explained_at, explanation
         from reconcile_differences where change <> 'fixed' and run_id =
            (select max(id) from reconcile_runs where map_id = $1 and kind = $2 and status = 'done' and id < $3)",
    )
    .bind(map_id)
    .bind(kind)
    .bind(run_id)
    .fetch_all(&mut *conn)
    .await?;
    let prev_by: HashMap<(String, String, String), &Prev> = previous
        .iter()
        .map(|p| ((p.0.clone(), p.1.clone(), p.2.clone()), p))
        .collect();
    let mut current: HashSet<(String, String, String)> = HashSet::new();
    let (mut new, mut persisting) = (0i64, 0i64);
    for f in &o.found {
        let id = (f.key.clone(), f.kind.to_string(), f.field.clone());
        let before = prev_by.get(&id);
        if before.is_some() {
            persisting += 1;
        } else {
            new += 1;
        }
        crate::db::query(
            "insert into reconcile_differences
                (run_id, record_key, kind, field, fo_value, dataverse_value, change, explained_by, explained_at, explanation)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(run_id)
        .bind(&f.key)
        .bind(f.kind)
        .bind(&f.field)
        .bind(&f.fo)
        .bind(&f.dv)
        .bind(if before.is_some() { "persisting" } else { "new" })
        .bind(before.and_then(|p| p.5.clone()))
        .bind(before.and_then(|p| p.6.clone()))
        .bind(before.and_then(|p| p.7.clone()))
        .execute(&mut *conn)
        .await?;
        current.insert(id);
    }
    let mut fixed = 0i64;
    for p in &previous {
        let id = (p.0.clone(), p.1.clone(), p.2.clone());
        let looked = o.examined.as_ref().is_none_or(|keys| keys.contains(&p.0));
        if !current.contains(&id) && looked {
            fixed += 1;
            crate::db::query(
                "insert into reconcile_differences
                    (run_id, record_key, kind, field, fo_value, dataverse_value, change, explained_by, explained_at, explanation)
                 values ($1, $2, $3, $4, $5, $6, 'fixed', $7, $8, $9)",
            )
            .bind(run_id)
            .bind(&p.0)
            .bind(&p.1)
            .bind(&p.2)
            .bind(&p.3)
            .bind(&p.4)
            .bind(&p.5)
            .bind(&p.6)
            .bind(&p.7)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(crate::db::query_as(
        "update reconcile_runs set status = 'done', finished_at = $1, records = $2, fo_read = $3, dataverse_read = $4,
            missing_in_dataverse = $5, missing_in_fo = $6, differing = $7, cleared_by_recheck = $8,
            new_differences = $9, persisting = $10, fixed = $11, checkpoint = null
         where id = $12 returning *",
    )
    .bind(db_now())
    .bind(o.records)
    .bind(o.fo_read)
    .bind(o.dv_read)
    .bind(o.missing_in_dataverse)
    .bind(o.missing_in_fo)
    .bind(o.differing)
    .bind(o.cleared)
    .bind(new)
    .bind(persisting)
    .bind(fixed)
    .bind(run_id)
    .fetch_one(conn)
    .await?)
}

/// A map's latest done run, if any.
pub async fn latest_done(conn: &mut dyn Conn, map_id: i64) -> Result<Option<Run>, AppError> {
    Ok(crate::db::query_as(
        "select * from reconcile_runs where map_id = $1 and status = 'done' order by id desc limit 1",
    )
    .bind(map_id)
    .fetch_optional(conn)
    .await?)
}

/// A map's latest finished run (done or failed): id, kind, status,
/// finished at, records compared, differences.
pub async fn latest_finished(
    conn: &mut dyn Conn,
    map_id: i64,
) -> Result<Option<(i64, String, String, String, i64, i64)>, AppError> {
    Ok(crate::db::query_as(
        "select id, kind, status, finished_at, records, missing_in_dataverse + missing_in_fo + differing
         from reconcile_runs where map_id = $1 and status in ('done', 'failed') order by id desc limit 1",
    )
    .bind(map_id)
    .fetch_optional(conn)
    .await?)
}

/// A map's latest done run that finished in `[from, to)` (stored times):
/// id, records compared, differences.
pub async fn latest_done_between(
    conn: &mut dyn Conn,
    map_id: i64,
    (from, to): (&str, &str),
) -> Result<Option<(i64, i64, i64)>, AppError> {
    Ok(crate::db::query_as(
        "select id, records, missing_in_dataverse + missing_in_fo + differing from reconcile_runs
         where map_id = $1 and status = 'done' and finished_at >= $2 and finished_at < $3
         order by id desc limit 1",
    )
    .bind(map_id)
    .bind(from)
    .bind(to)
    .fetch_optional(conn)
    .await?)
}

/// Done runs that compared records, finished in `[from, to)` (stored
/// times), of the maps in `maps`, in order: map, finished at, records,
/// differences.
pub async fn drift_points(
    conn: &mut dyn Conn,
    maps: &[i64],
    (from, to): (&str, &str),
) -> Result<Vec<(i64, String, i64, i64)>, AppError> {
    Ok(crate::db::query_as(
        "select map_id, finished_at, records, missing_in_dataverse + missing_in_fo + differing
         from reconcile_runs
         where map_id in (select cast(value as bigint) from json_each($1)) and status = 'done' and records > 0
           and finished_at >= $2 and finished_at < $3
         order by id",
    )
    .bind(id_list(maps))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::server::Actor;

    async fn a_map(conn: &mut dyn Conn) -> i64 {
        let input = crate::environments::validate_environment("UAT", "", "", "USMF").unwrap();
        crate::environments::server::save(&mut *conn, &Actor::cli(), None, &input)
            .await
            .unwrap();
        let env = crate::environments::server::by_name(&mut *conn, "UAT")
            .await
            .unwrap();
        crate::maps::server::apply_starter(&mut *conn, &Actor::cli(), &env)
            .await
            .unwrap();
        crate::maps::server::live_ids(&mut *conn).await.unwrap()[0].0
    }

    #[tokio::test]
    async fn one_run_of_a_map_goes_on_at_a_time_and_one_server_takes_it_over() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let map = a_map(&mut conn).await;
        let run = begin_run(&mut conn, map, "full", "a@example.com", None, 0, "a")
            .await
            .unwrap();
        // A second server starting the same map at the same moment.
        let second = begin_run(&mut conn, map, "sample", "schedule", Some(10), 0, "b").await;
        assert!(matches!(second, Err(AppError::Conflict(_))), "{second:?}");
        assert_eq!(
            going(&mut conn).await.unwrap(),
            [(
                run,
                map,
                "full".into(),
                "a@example.com".into(),
                Some("a".into())
            )]
        );
        // Server a is gone: b and c look at once; only the first takes it.
        assert!(adopt(&mut conn, run, Some("a"), "b").await.unwrap());
        assert!(!adopt(&mut conn, run, Some("a"), "c").await.unwrap());
        assert!(runs_here(&mut conn, run, "b").await.unwrap());
        // a comes back: its checkpoint is refused.
        assert_eq!(
            save_checkpoint(&mut conn, run, "{}", 1, 1, "a")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            save_checkpoint(&mut conn, run, "{}", 1, 1, "b")
                .await
                .unwrap(),
            Some(false)
        );
        // Once it ends, the map may run again.
        end_run(&mut conn, run, "failed", "test").await.unwrap();
        begin_run(&mut conn, map, "sample", "schedule", Some(10), 0, "b")
            .await
            .unwrap();
    }
}
