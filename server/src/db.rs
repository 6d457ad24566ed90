//! The SQLite pool: created on first use, WAL, migrated at start.

use anyhow::Context as _;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr as _;
use std::time::Duration;

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
        .busy_timeout(Duration::from_secs(5))
        .foreign_keys(true);
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

/// Whether the database answers a trivial query (for `/readyz`).
pub async fn ping(pool: &SqlitePool) -> bool {
    sqlx::query_scalar::<_, i64>("select 1")
        .fetch_one(pool)
        .await
        .is_ok()
}
