//! The servers' store: the `leases` table. Every running server holds a
//! lease named `server:<id>` (it is alive while that runs), and one of them
//! holds [`SCHEDULER`] and runs the scheduled work. The server crate's
//! `lease` module keeps them; pages read them here.

use crate::db::Conn;
use crate::db::db_time;
use chrono::Utc;
use std::time::Duration;

/// The lease whose holder runs the scheduled work.
pub const SCHEDULER: &str = "scheduler";

/// Server leases expired longer ago than this are deleted.
const FORGET_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Takes or renews the lease `name` for `holder` until `now + ttl`:
/// taken when it is free, expired or already `holder`'s. Gives its term
/// when `holder` holds it now, `None` when another server does.
pub async fn try_hold(
    conn: &mut dyn Conn,
    name: &str,
    holder: &str,
    now: chrono::DateTime<Utc>,
    ttl: Duration,
) -> Result<Option<i64>, sqlx::Error> {
    let expires = now + chrono::TimeDelta::from_std(ttl).unwrap_or(chrono::TimeDelta::MAX);
    // Every expression of the update reads the row as it was, so `term`
    // and `acquired_at` compare the old holder with the new.
    crate::db::query_scalar(
        "insert into leases (name, holder, term, acquired_at, expires_at)
         values ($1, $2, 1, $3, $4)
         on conflict (name) do update set
             term = case when leases.holder = excluded.holder then leases.term else leases.term + 1 end,
             acquired_at = case when leases.holder = excluded.holder then leases.acquired_at else excluded.acquired_at end,
             holder = excluded.holder,
             expires_at = excluded.expires_at
         where leases.holder = excluded.holder or leases.expires_at <= excluded.acquired_at
         returning term",
    )
    .bind(name)
    .bind(holder)
    .bind(db_time(now))
    .bind(db_time(expires))
    .fetch_optional(conn)
    .await
}

/// Gives up `name` if `holder` holds it: the lease ends now, and the
/// next server to try takes it (in the next term: the row stays).
pub async fn release(conn: &mut dyn Conn, name: &str, holder: &str) -> Result<(), sqlx::Error> {
    crate::db::query("update leases set expires_at = $3 where name = $1 and holder = $2")
        .bind(name)
        .bind(holder)
        .bind(db_time(chrono::DateTime::UNIX_EPOCH))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Who holds `name` now, with the term and since when; `None` when it is
/// free or expired.
pub async fn holder(
    conn: &mut dyn Conn,
    name: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Option<(String, i64, String)>, sqlx::Error> {
    crate::db::query_as(
        "select holder, term, acquired_at from leases where name = $1 and expires_at > $2",
    )
    .bind(name)
    .bind(db_time(now))
    .fetch_optional(conn)
    .await
}

/// The ids of the servers alive now (their `server:` lease unexpired).
pub async fn live_servers(
    conn: &mut dyn Conn,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<String>, sqlx::Error> {
    crate::db::query_scalar(
        "select holder from leases where name like 'server:%' and expires_at > $1 order by holder",
    )
    .bind(db_time(now))
    .fetch_all(conn)
    .await
}

/// Deletes the leases of servers gone for a day; gives how many.
pub async fn forget_gone(
    conn: &mut dyn Conn,
    now: chrono::DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    crate::db::query("delete from leases where name like 'server:%' and expires_at < $1")
        .bind(db_time(now - FORGET_AFTER))
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[tokio::test]
    async fn a_lease_goes_to_one_server_and_to_another_only_once_it_runs_out() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let t0 = Utc::now();
        let ttl = Duration::from_secs(30);
        assert_eq!(
            try_hold(&mut conn, SCHEDULER, "a", t0, ttl).await.unwrap(),
            Some(1)
        );
        // b is refused while a's lease runs, a renews in the same term.
        let t1 = t0 + TimeDelta::seconds(10);
        assert_eq!(
            try_hold(&mut conn, SCHEDULER, "b", t1, ttl).await.unwrap(),
            None
        );
        assert_eq!(
            try_hold(&mut conn, SCHEDULER, "a", t1, ttl).await.unwrap(),
            Some(1)
        );
        let (who, term, since) = holder(&mut conn, SCHEDULER, t1).await.unwrap().unwrap();
        assert_eq!((who.as_str(), term, since), ("a", 1, db_time(t0)));
        // a stops renewing: at its expiry b takes it, in a new term.
        let t2 = t1 + TimeDelta::seconds(29);
        assert_eq!(
            try_hold(&mut conn, SCHEDULER, "b", t2, ttl).await.unwrap(),
            None
        );
        let t3 = t1 + TimeDelta::seconds(30);
        assert_eq!(
            try_hold(&mut conn, SCHEDULER, "b", t3, ttl).await.unwrap(),
            Some(2)
        );
        // a comes back late and is refused.
        assert_eq!(
            try_hold(&mut conn, SCHEDULER, "a", t3, ttl).await.unwrap(),
            None
        );
        // b lets go: a takes it at once.
        release(&mut conn, SCHEDULER, "a").await.unwrap();
        assert!(holder(&mut conn, SCHEDULER, t3).await.unwrap().is_some());
        release(&mut conn, SCHEDULER, "b").await.unwrap();
        assert!(holder(&mut conn, SCHEDULER, t3).await.unwrap().is_none());
        assert_eq!(
            try_hold(&mut conn, SCHEDULER, "a", t3, ttl).await.unwrap(),
            Some(3)
        );
    }

    #[tokio::test]
    async fn live_servers_are_those_whose_lease_runs() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let now = Utc::now();
        let ttl = Duration::from_secs(30);
        for (who, at) in [
            ("a", now),
            ("b", now - TimeDelta::seconds(40)),
            ("c", now - TimeDelta::days(2)),
        ] {
            try_hold(&mut conn, &format!("server:{who}"), who, at, ttl)
                .await
                .unwrap();
        }
        try_hold(&mut conn, SCHEDULER, "a", now, ttl).await.unwrap();
        assert_eq!(live_servers(&mut conn, now).await.unwrap(), ["a"]);
        assert_eq!(forget_gone(&mut conn, now).await.unwrap(), 1);
        let left: i64 = crate::db::query_scalar("select count(*) from leases")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(left, 3);
    }
}
