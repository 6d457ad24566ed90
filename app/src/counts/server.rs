//! The counts store: `record_counts`, one row per map and legal entity
//! ("" for all of them) per count. The counts collector writes it; the map
//! page, the overview, the review, the trends and the reconciliation
//! engine's progress read it through these functions.

use super::RecordCount;
use crate::db::id_list;
use crate::db::{Conn, Kind};
use crate::error::AppError;

/// Stores one count taken at `at` (stored time).
pub async fn record(
    conn: &mut dyn Conn,
    map_id: i64,
    at: &str,
    c: &RecordCount,
) -> Result<(), AppError> {
    crate::db::query(
        "insert into record_counts (map_id, counted_at, company, fo_count, dataverse_count, problem)
         values ($1, $2, $3, $4, $5, $6)",
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
    conn: &mut dyn Conn,
    map_id: i64,
) -> Result<Option<(Option<i64>, Option<i64>)>, AppError> {
    Ok(crate::db::query_as(
        "select fo_count, dataverse_count from record_counts where map_id = $1 and company = ''
         order by id desc limit 1",
    )
    .bind(map_id)
    .fetch_optional(conn)
    .await?)
}

/// A map's latest count across legal entities taken in `[from, to)`
/// (stored times): (F&O, Dataverse).
pub async fn latest_between(
    conn: &mut dyn Conn,
    map_id: i64,
    (from, to): (&str, &str),
) -> Result<Option<(Option<i64>, Option<i64>)>, AppError> {
    Ok(crate::db::query_as(
        "select fo_count, dataverse_count from record_counts
         where map_id = $1 and company = '' and counted_at >= $2 and counted_at < $3
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
    conn: &mut dyn Conn,
    map_id: i64,
    limit: i64,
) -> Result<Vec<RecordCount>, AppError> {
    Ok(crate::db::query_as(
        "select counted_at, company, fo_count as fo, dataverse_count as dataverse, problem
         from record_counts where map_id = $1 and company = '' order by id desc limit $2",
    )
    .bind(map_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The per legal entity counts taken with a map's latest count, by entity.
pub async fn latest_by_company(
    conn: &mut dyn Conn,
    map_id: i64,
) -> Result<Vec<RecordCount>, AppError> {
    Ok(crate::db::query_as(
        "select counted_at, company, fo_count as fo, dataverse_count as dataverse, problem
         from record_counts where map_id = $1 and company <> '' and counted_at =
            (select max(counted_at) from record_counts where map_id = $2 and company = '')
         order by company",
    )
    .bind(map_id)
    .bind(map_id)
    .fetch_all(conn)
    .await?)
}

/// How finely [`last_difference_per_period`] reads counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Each minute's last count: in practice every count (the alert rules).
    Minute,
    /// Each hour's (the charts up to 8 days).
    Hour,
    /// Each day's (longer charts).
    Day,
}

/// The last count of each minute per map, from the counts themselves (the
/// covering index `record_counts_time`). SQLite takes the bare columns of
/// a `max()` group from the row with the max; PostgreSQL says the same with
/// `distinct on`.
const LAST_OF_EACH_MINUTE_SQLITE: &str = "
    select map_id, string_agg(cast(strftime('%s', at) as bigint) || ':' || difference || ':0', ',')
    from (select c.map_id, substr(c.counted_at, 1, 16) as minute, max(c.counted_at) as at,
                 c.fo_count - c.dataverse_count as difference
          from record_counts c
          where c.map_id in (select cast(value as bigint) from json_each($1))
            and c.company = '' and c.counted_at >= $2 and c.counted_at < $3
            and c.fo_count is not null and c.dataverse_count is not null
          group by c.map_id, minute)
    group by map_id";
const LAST_OF_EACH_MINUTE_POSTGRES: &str = "
    select map_id, string_agg(cast(strftime('%s', at) as bigint) || ':' || difference || ':0', ',')
    from (select distinct on (c.map_id, substr(c.counted_at, 1, 16))
                 c.map_id, c.counted_at as at, c.fo_count - c.dataverse_count as difference
          from record_counts c
          where c.map_id in (select cast(value as bigint) from json_each($1))
            and c.company = '' and c.counted_at >= $2 and c.counted_at < $3
            and c.fo_count is not null and c.dataverse_count is not null
          order by c.map_id, substr(c.counted_at, 1, 16), c.counted_at desc) last
    group by map_id";

/// The last difference (F&O − Dataverse, both sides counted) of each
/// period of `maps` in `[from, to)` (stored times), packed per map as
/// `unix:difference:0` cells joined by commas (see the trends' `unpack`).
pub async fn last_difference_per_period(
    conn: &mut dyn Conn,
    maps: &[i64],
    period: Period,
    (from, to): (&str, &str),
) -> Result<Vec<(i64, String)>, AppError> {
    let (grain, key_len) = match period {
        Period::Hour => ("hour", 13),
        Period::Day => ("day", 10),
        Period::Minute => {
            return Ok(crate::db::query_as(match conn.kind() {
                Kind::Sqlite => LAST_OF_EACH_MINUTE_SQLITE,
                Kind::Postgres => LAST_OF_EACH_MINUTE_POSTGRES,
            })
            .bind(id_list(maps))
            .bind(from)
            .bind(to)
            .fetch_all(conn)
            .await?);
        }
    };
    // One row per map and period, kept by a trigger on every count
    // (`record_count_periods`), rather than the last of every count.
    Ok(crate::db::query_as(
        "select map_id, string_agg(cast(strftime('%s', counted_at) as bigint) || ':' || difference || ':0', ',')
         from record_count_periods
         where map_id in (select cast(value as bigint) from json_each($1)) and grain = $2
           and period between substr($3, 1, $5) and substr($4, 1, $5)
           and counted_at >= $3 and counted_at < $4
         group by map_id",
    )
    .bind(id_list(maps))
    .bind(grain)
    .bind(from)
    .bind(to)
    .bind(key_len)
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(company: &str, fo: Option<i64>, dataverse: Option<i64>) -> RecordCount {
        RecordCount {
            counted_at: String::new(),
            company: company.into(),
            fo,
            dataverse,
            problem: String::new(),
        }
    }

    /// The per-period rollup the chart reads gives what the last count of
    /// each period gives, whatever order the counts arrive in.
    #[tokio::test]
    async fn the_last_count_of_each_period_is_kept_as_counts_arrive() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (_, map) = crate::maps::server::uat_with_starter(&mut conn).await;
        let add = async |conn: &mut dyn Conn, at: &str, c: RecordCount| {
            record(conn, map, at, &c).await.unwrap();
        };
        add(
            &mut conn,
            "2026-12-01T10:05:00.000Z",
            count("", Some(100), Some(90)),
        )
        .await;
        add(
            &mut conn,
            "2026-12-01T10:55:00.000Z",
            count("", Some(100), Some(97)),
        )
        .await;
        // Arrives late but was taken earlier: the hour keeps 10:55.
        add(
            &mut conn,
            "2026-12-01T10:30:00.000Z",
            count("", Some(100), Some(50)),
        )
        .await;
        // Per legal entity, or with a side that failed: not in the chart.
        add(
            &mut conn,
            "2026-12-01T10:59:00.000Z",
            count("USMF", Some(10), Some(1)),
        )
        .await;
        add(
            &mut conn,
            "2026-12-01T10:58:00.000Z",
            count("", Some(100), None),
        )
        .await;
        add(
            &mut conn,
            "2026-12-01T11:10:00.000Z",
            count("", Some(120), Some(120)),
        )
        .await;
        add(
            &mut conn,
            "2026-12-02T09:00:00.000Z",
            count("", Some(130), Some(131)),
        )
        .await;

        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .timestamp()
                .to_string()
        };
        let range = ("2026-12-01T00:00:00.000Z", "2026-12-03T00:00:00.000Z");
        let hours = last_difference_per_period(&mut conn, &[map], Period::Hour, range)
            .await
            .unwrap();
        let mut cells: Vec<&str> = hours[0].1.split(',').collect();
        cells.sort();
        let mut want = vec![
            format!("{}:3:0", at("2026-12-01T10:55:00Z")),
            format!("{}:0:0", at("2026-12-01T11:10:00Z")),
            format!("{}:-1:0", at("2026-12-02T09:00:00Z")),
        ];
        want.sort();
        assert_eq!(cells, want);
        let days = last_difference_per_period(&mut conn, &[map], Period::Day, range)
            .await
            .unwrap();
        let mut cells: Vec<&str> = days[0].1.split(',').collect();
        cells.sort();
        let mut want = vec![
            format!("{}:0:0", at("2026-12-01T11:10:00Z")),
            format!("{}:-1:0", at("2026-12-02T09:00:00Z")),
        ];
        want.sort();
        assert_eq!(cells, want);
        // A range that starts inside the data leaves the earlier periods out.
        let late = last_difference_per_period(
            &mut conn,
            &[map],
            Period::Hour,
            ("2026-12-01T11:00:00.000Z", "2026-12-02T00:00:00.000Z"),
        )
        .await
        .unwrap();
        assert_eq!(late[0].1, format!("{}:0:0", at("2026-12-01T11:10:00Z")));
        // The alert rules read every count (the last of each minute).
        let minutes = last_difference_per_period(&mut conn, &[map], Period::Minute, range)
            .await
            .unwrap();
        assert_eq!(minutes[0].1.split(',').count(), 5);
        assert!(
            minutes[0]
                .1
                .contains(&format!("{}:50:0", at("2026-12-01T10:30:00Z")))
        );
    }
}
