//! The counts store: `record_counts`, one row per map and legal entity
//! ("" for all of them) per count. The counts collector writes it; the map
//! page, the overview, the review, the trends and the reconciliation
//! engine's progress read it through these functions.

use super::RecordCount;
use crate::db::id_list;
use crate::error::AppError;
use sqlx::SqliteConnection;

/// Stores one count taken at `at` (stored time).
pub async fn record(
    conn: &mut SqliteConnection,
    map_id: i64,
    at: &str,
    c: &RecordCount,
) -> Result<(), AppError> {
    sqlx::query(
        "insert into record_counts (map_id, counted_at, company, fo_count, dataverse_count, problem)
         values (?, ?, ?, ?, ?, ?)",
    )
    .bind(map_id)
    .bind(at)
    .bind(&c.company)
    .bind(c.fo)
    .bind(c.dataverse)
    .bind(&c.problem)
    .execute(conn)
    .await?;
    Ok(())
}

/// A map's latest count across legal entities: (F&O, Dataverse).
pub async fn latest(
    conn: &mut SqliteConnection,
    map_id: i64,
) -> Result<Option<(Option<i64>, Option<i64>)>, AppError> {
    Ok(sqlx::query_as(
        "select fo_count, dataverse_count from record_counts where map_id = ? and company = ''
         order by id desc limit 1",
    )
    .bind(map_id)
    .fetch_optional(conn)
    .await?)
}

/// A map's latest count across legal entities taken in `[from, to)`
/// (stored times): (F&O, Dataverse).
pub async fn latest_between(
    conn: &mut SqliteConnection,
    map_id: i64,
    (from, to): (&str, &str),
) -> Result<Option<(Option<i64>, Option<i64>)>, AppError> {
    Ok(sqlx::query_as(
        "select fo_count, dataverse_count from record_counts
         where map_id = ? and company = '' and counted_at >= ? and counted_at < ?
         order by id desc limit 1",
    )
    .bind(map_id)
    .bind(from)
    .bind(to)
    .fetch_optional(conn)
    .await?)
}

/// A map's last `limit` counts across legal entities, newest first.
pub async fn recent(
    conn: &mut SqliteConnection,
    map_id: i64,
    limit: i64,
) -> Result<Vec<RecordCount>, AppError> {
    Ok(sqlx::query_as(
        "select counted_at, company, fo_count as fo, dataverse_count as dataverse, problem
         from record_counts where map_id = ? and company = '' order by id desc limit ?",
    )
    .bind(map_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The per legal entity counts taken with a map's latest count, by entity.
pub async fn latest_by_company(
    conn: &mut SqliteConnection,
    map_id: i64,
) -> Result<Vec<RecordCount>, AppError> {
    Ok(sqlx::query_as(
        "select counted_at, company, fo_count as fo, dataverse_count as dataverse, problem
         from record_counts where map_id = ? and company <> '' and counted_at =
            (select max(counted_at) from record_counts where map_id = ? and company = '')
         order by company",
    )
    .bind(map_id)
    .bind(map_id)
    .fetch_all(conn)
    .await?)
}

/// The last difference (F&O − Dataverse, both sides counted) of each
/// period of `maps` in `[from, to)` (stored times), packed per map as
/// `unix:difference:0` cells joined by commas (see the trends' `unpack`).
/// A period is the first `period_len` characters of the stored time (13:
/// an hour, 10: a day).
pub async fn last_difference_per_period(
    conn: &mut SqliteConnection,
    maps: &[i64],
    period_len: i64,
    (from, to): (&str, &str),
) -> Result<Vec<(i64, String)>, AppError> {
    // The last count of each period per map (SQLite takes the bare
    // columns from the row with the max), from the covering index.
    Ok(sqlx::query_as(
        "select map_id, group_concat(cast(strftime('%s', at) as integer) || ':' || difference || ':0')
         from (select c.map_id, substr(c.counted_at, 1, ?) as period, max(c.counted_at) as at,
                      c.fo_count - c.dataverse_count as difference
               from record_counts c
               where c.map_id in (select value from json_each(?))
                 and c.company = '' and c.counted_at >= ? and c.counted_at < ?
                 and c.fo_count is not null and c.dataverse_count is not null
               group by c.map_id, period)
         group by map_id",
    )
    .bind(period_len)
    .bind(id_list(maps))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
