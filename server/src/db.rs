//! The SQLite pool: created on first use, WAL, migrated at start.

use anyhow::Context as _;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr as _;
use std::time::Duration;

/// How long a statement waits for a lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest WAL file kept after a checkpoint, bytes.
pub const JOURNAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// Opens (creating if missing) and migrates the database at `location`, a
/// file path or a `sqlite:` URL.
pub async fn connect(location: &str) -> anyhow::Result<SqlitePool> {
    let options = if location.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(location)
            .with_context(|| format!("setting database (--database, APP_DATABASE): '{location}' is not a valid sqlite: URL"))?
    } else {
        let path = std::path::Path::new(location);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create the database directory {}", dir.display())
            })?;
        }
        SqliteConnectOptions::new().filename(path)
    };
    let options = options
        .create_if_missing(true)
        // WAL lets readers (page renders) proceed while a writer commits;
        // sqlx leaves the journal mode alone unless told.
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across application crashes in WAL mode and
        // much cheaper than FULL; a power cut may lose the last commits.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // After a checkpoint SQLite truncates the WAL file to this size;
        // without it a burst of writes leaves a file of hundreds of
        // megabytes beside a small database for good.
        .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT.to_string())
        // Each connection's page cache, stated rather than left to the
        // build's default: 2 MiB, so the pool's caches stay at 16 MiB.
        .pragma("cache_size", "-2048");
    // SQLite allows one writer at a time; a handful of connections is enough
    // for concurrent reads without queueing writers behind a large pool.
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open the database '{location}'"))?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Applies the migrations embedded at build time.
pub async fn migrate(pool: &SqlitePool) -> anyhow::Result<()> {
    sqlx::migrate!("../migrations")
        .run(pool)
        .await
        .context("cannot apply database migrations")
}

/// Copies the WAL into the database and truncates it to zero bytes when
/// nothing is in the way. Normally it never waits for a lock, so a busy
/// server is not held up and it succeeds in the quiet moments between
/// requests. But a server that is never quiet would let the WAL grow
/// without bound (every reader pins it), so once the WAL is past
/// [`JOURNAL_SIZE_LIMIT`] the checkpoint waits up to a second for readers
/// to finish, holding writers back meanwhile. Returns whether the WAL was
/// truncated.
pub async fn checkpoint(pool: &SqlitePool) -> anyhow::Result<bool> {
    let mut conn = pool.acquire().await?;
    let file: Option<String> =
        sqlx::query_scalar("select file from pragma_database_list where name = 'main'")
            .fetch_optional(&mut *conn)
            .await?;
    let wal_bytes = file
        .filter(|f| !f.is_empty())
        .and_then(|f| std::fs::metadata(format!("{f}-wal")).ok())
        .map(|m| m.len())
        .unwrap_or(0);
    let patience = if wal_bytes > JOURNAL_SIZE_LIMIT {
        "pragma busy_timeout = 1000"
    } else {
        "pragma busy_timeout = 0"
    };
    sqlx::query(patience).execute(&mut *conn).await?;
    let result: Result<(i64, i64, i64), sqlx::Error> =
        sqlx::query_as("pragma wal_checkpoint(truncate)")
            .fetch_one(&mut *conn)
            .await;
    // Back to the pool's setting (BUSY_TIMEOUT, in milliseconds).
    sqlx::query("pragma busy_timeout = 5000")
        .execute(&mut *conn)
        .await?;
    match result {
        Ok((busy, _, _)) => Ok(busy == 0),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("5") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether the database answers a trivial query (for `/readyz`).
pub async fn ping(pool: &SqlitePool) -> bool {
    sqlx::query_scalar::<_, i64>("select 1")
        .fetch_one(pool)
        .await
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_checkpoint_truncates_the_wal_after_a_burst_of_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let pool = connect(path.to_str().unwrap()).await.unwrap();
        sqlx::query("create table t (x blob)")
            .execute(&pool)
            .await
            .unwrap();
        for _ in 0..50 {
            sqlx::query("insert into t values (randomblob(100000))")
                .execute(&pool)
                .await
                .unwrap();
        }
        let wal = dir.path().join("wal.db-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 1_000_000);
        assert!(checkpoint(&pool).await.unwrap());
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
        let limit: i64 = sqlx::query_scalar("pragma journal_size_limit")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(limit, JOURNAL_SIZE_LIMIT as i64);
    }
}
