//! Database helpers every feature's store uses: the pool from context, the
//! write transaction, the one stored time format, and id lists for `IN`.
//! They sit below the features so that none of them needs another for this.

use crate::error::AppError;
use chrono::{DateTime, SecondsFormat, Utc};

mod sql;
#[cfg(test)]
pub mod testing;
pub use sql::{
    Backend, Bind, Conn, Done, Executor, Kind, Pool, PoolConn, Query, QueryAs, QueryBuilder,
    QueryScalar, Record, Separated, Target, Tx, query, query_as, query_scalar,
};

/// Formats a timestamp the one way the database stores them: fixed-width
/// RFC 3339 in UTC with milliseconds, so text comparison is time order.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// [`db_time`] of a moment in Unix seconds (the epoch when out of range).
pub fn db_time_secs(secs: i64) -> String {
    db_time(DateTime::from_timestamp(secs, 0).unwrap_or_default())
}

/// Now, in database format.
pub fn db_now() -> String {
    db_time(Utc::now())
}

/// The database pool, provided as context by the server.
pub fn db() -> Result<Pool, AppError> {
    leptos::prelude::use_context::<Pool>().ok_or_else(|| {
        tracing::error!("no database pool in context");
        AppError::Internal
    })
}

/// Begins a write transaction ([`Pool::begin_write`]). Every write uses it.
pub async fn begin_write(pool: &Pool) -> Result<Tx, sqlx::Error> {
    pool.begin_write().await
}

/// A list of ids as the JSON array a query reads with
/// `in (select cast(value as bigint) from json_each(?))`: one bound text instead of SQL
/// built per length, so a store can take another feature's ids (the maps
/// of an environment) without naming that feature's table.
pub fn id_list(ids: &[i64]) -> String {
    let mut s = String::with_capacity(ids.len() * 6 + 2);
    s.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&id.to_string());
    }
    s.push(']');
    s
}

/// Creates a new, empty database with a unique name on the PostgreSQL
/// server of `admin_url` (a URL whose user may create databases) and
/// returns its URL, the admin URL's query (a socket's `?host=…`) kept.
/// Tests and benchmarks each work in their own database.
pub async fn scratch_postgres_database(admin_url: &str) -> Result<String, sqlx::Error> {
    use sqlx::ConnectOptions as _;
    use std::str::FromStr as _;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let mut conn = sqlx::postgres::PgConnectOptions::from_str(admin_url)?
        .connect()
        .await?;
    let name = format!(
        "dwconsole_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        Utc::now().timestamp_millis()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut conn)
        .await?;
    // The same URL with the new database's name as its path.
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let host_from = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_from..].find('/') {
        Some(i) => &base[..host_from + i],
        None => base,
    };
    Ok(format!("{base}/{name}{query}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_are_json_arrays() {
        assert_eq!(id_list(&[]), "[]");
        assert_eq!(id_list(&[3, -1, 20]), "[3,-1,20]");
    }

    #[tokio::test]
    async fn json_each_reads_an_id_list() {
        let (pool, _db) = testing::test_pool().await;
        let n: i64 = query_scalar(
            "select count(*) from (select 1 as x union all select 2 union all select 5) as t
             where x in (select cast(value as bigint) from json_each($1))",
        )
        .bind(id_list(&[2, 5, 9]))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(n, 2);
        // Text lists compare as they are.
        let names: Vec<String> = query_scalar(
            "select name from (select 'a' as name union all select 'b') as t
             where name in (select value from json_each($1)) order by name",
        )
        .bind(r#"["b","c"]"#)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(names, ["b"]);
    }
}
