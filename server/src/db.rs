//! The SQLite pool: created on first use, WAL, migrated at start; and the
//! PostgreSQL schema's migrations, which `migrate-db` moves data into.

use anyhow::Context as _;
use app::db::Pool;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr as _;
use std::time::Duration;

/// How long a statement waits for a lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest WAL file kept after a checkpoint, bytes.
pub const JOURNAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// Where the database is, as the `database` setting gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file by its path (created, with its folder, when missing).
    File(std::path::PathBuf),
    /// A `sqlite:` URL (`sqlite://data/x.db?mode=rwc`, `sqlite::memory:`).
    SqliteUrl(String),
    /// A `postgres://` (or `postgresql://`) URL.
    Postgres(String),
}

impl Location {
    /// Reads the setting. A value with a URL scheme (`name://`) must be a
    /// scheme the console supports: before this, `postgres://host/db` was
    /// taken for a file path, and a folder named `postgres:` appeared with
    /// a SQLite file in it. The message names the scheme only, never the
    /// rest of the URL (it may hold a password).
    pub fn parse(value: &str) -> Result<Location, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("is empty; give a file path or a sqlite: URL".into());
        }
        if value.starts_with("sqlite:") {
            return Ok(Location::SqliteUrl(value.to_string()));
        }
        // Not a path either: a PostgreSQL URL missing its `//`, or libpq's
        // `host=… dbname=…` form. Named without the value (it may hold a
        // password).
        let lower = value.to_ascii_lowercase();
        if (lower.starts_with("postgres:") || lower.starts_with("postgresql:"))
            && !value.contains("://")
        {
            return Err(
                "looks like a PostgreSQL URL without its '//'; write postgres://user@host/database"
                    .into(),
            );
        }
        if ["host=", "dbname=", "user=", "password="]
            .iter()
            .any(|k| lower.starts_with(k) || lower.contains(&format!(" {k}")))
        {
            return Err("looks like libpq's key=value form, which is not read here; write postgres://user@host/database".into());
        }
        let scheme = value.split_once("://").map(|(s, _)| s).filter(|s| {
            // One letter before `:` is a Windows drive (`C://data`), not a
            // scheme.
            s.len() > 1
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
        match scheme.map(str::to_ascii_lowercase).as_deref() {
            None => Ok(Location::File(value.into())),
            Some("postgres" | "postgresql") => Ok(Location::Postgres(value.to_string())),
            Some(other) => Err(format!(
                "the scheme '{other}://' is not supported; give a file path, a sqlite: URL or a postgres:// URL"
            )),
        }
    }
}

/// The `database` setting as logs and messages show it: a URL's password
/// replaced by `***`.
pub fn redacted(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else {
        return location.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{user}:***@{host}")
        }
        _ => authority.to_string(),
    };
    // libpq also reads a password from the query (`?password=…`).
    let path = match path.split_once('?') {
        Some((before, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{before}?{}", query.join("&"))
        }
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// Opens and migrates the database at `location`, as the console's pool:
/// a file path or a `sqlite:` URL (created when missing), or a
/// `postgres://` URL.
pub async fn connect(location: &str) -> anyhow::Result<Pool> {
    connect_with(location, CONNECTIONS).await
}

/// The pool's size unless the server's `--database-connections` says
/// otherwise: SQLite allows one writer at a time, so a handful is enough
/// for concurrent reads without queueing writers behind a large pool.
pub const CONNECTIONS: u32 = 8;

/// [`connect`], keeping at most `connections` open.
pub async fn connect_with(location: &str, connections: u32) -> anyhow::Result<Pool> {
    let named = |m: String| anyhow::anyhow!("setting database (--database, APP_DATABASE): {m}");
    match Location::parse(location).map_err(named)? {
        Location::Postgres(url) => Ok(Pool::Postgres(
            connect_postgres(&url, connections)
                .await
                .context("setting database (--database, APP_DATABASE)")?,
        )),
        sqlite => Ok(Pool::Sqlite(open_sqlite(sqlite, connections).await?)),
    }
}

/// [`connect`], as the SQLite pool itself (for `migrate-db`).
pub async fn connect_sqlite(location: &str) -> anyhow::Result<SqlitePool> {
    let named = |m: String| anyhow::anyhow!("setting database (--database, APP_DATABASE): {m}");
    match Location::parse(location).map_err(named)? {
        Location::Postgres(_) => Err(named("a postgres:// URL is not a SQLite database".into())),
        sqlite => open_sqlite(sqlite, CONNECTIONS).await,
    }
}

/// Opens a SQLite `location` (a file or a `sqlite:` URL, parsed once by
/// the caller).
async fn open_sqlite(location: Location, connections: u32) -> anyhow::Result<SqlitePool> {
    let named = |m: String| anyhow::anyhow!("setting database (--database, APP_DATABASE): {m}");
    // With the options, the file the migration lock goes beside; an
    // in-memory database (`sqlite::memory:`, `?mode=memory`) has none.
    let shown = match &location {
        Location::File(path) => path.display().to_string(),
        Location::SqliteUrl(url) | Location::Postgres(url) => redacted(url),
    };
    let (options, file) = match location {
        Location::SqliteUrl(url) => {
            let options = SqliteConnectOptions::from_str(&url)
                .map_err(|e| named(format!("'{url}' is not a valid sqlite: URL ({e})")))?;
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let file = (!in_memory).then(|| options.get_filename().to_path_buf());
            (options, file)
        }
        Location::Postgres(_) => unreachable!("the callers open PostgreSQL URLs themselves"),
        Location::File(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the database directory {}", dir.display())
                })?;
            }
            (SqliteConnectOptions::new().filename(&path), Some(path))
        }
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
    // The lock is taken before the first connection, not just around the
    // migrations: that connection's pragmas turn a new file into WAL mode,
    // and with four servers doing that at once on a new file one failed
    // with "database is locked" (CI, 2026-12-07) despite the busy timeout.
    let lock = match &file {
        Some(file) => Some(migration_lock(file).await?),
        None => None,
    };
    let pool = SqlitePoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open the database '{shown}'"))?;
    sqlite_migrator()
        .run(&pool)
        .await
        .context("cannot apply database migrations")?;
    drop(lock);
    Ok(pool)
}

/// Takes the migration lock of the database `file`, waiting for it.
///
/// sqlx's migrator takes no lock on SQLite: servers started together on
/// one database each read which migrations are applied, then each applies
/// the missing ones, and all but the first fail ("table users already
/// exists"). So migrating holds an exclusive lock on `<database>.migrate-lock`
/// beside the file; the others wait for it, then find nothing left to do.
/// Not the database file itself: SQLite locks it with POSIX locks, which a
/// process loses when it closes any handle on that file. The lock file is
/// empty and stays.
async fn migration_lock(file: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let mut path = file.as_os_str().to_owned();
    path.push(".migrate-lock");
    let path = std::path::PathBuf::from(path);
    let lock = tokio::task::spawn_blocking(move || {
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the migration lock {}", path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot take the migration lock {}", path.display()))?;
        anyhow::Ok(lock)
    })
    .await
    .context("the migration lock's task failed")??;
    Ok(lock)
}

/// Applies the backend's migrations embedded at build time.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    match pool {
        Pool::Sqlite(p) => sqlite_migrator().run(p).await,
        Pool::Postgres(p) => postgres_migrator().run(p).await,
    }
    .context("cannot apply database migrations")
}

/// This version's SQLite migrations (in `migrations/`).
pub fn sqlite_migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations")
}

/// This version's PostgreSQL migrations (in `migrations/postgres/`): the
/// same schema as [`sqlite_migrator`]'s, in PostgreSQL's dialect. The
/// test `postgres_schema_matches_sqlite` holds the two together.
pub fn postgres_migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("../migrations/postgres")
}

/// Connects to the PostgreSQL database at `url` and applies this version's
/// PostgreSQL migrations. sqlx's migrator holds an advisory lock on
/// PostgreSQL while it runs, so servers starting together migrate once.
///
pub async fn connect_postgres(url: &str, connections: u32) -> anyhow::Result<sqlx::PgPool> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .with_context(|| {
            format!(
                "cannot connect to PostgreSQL at {}: check the URL, that the server is running and reachable, and the password (PGPASSWORD or ~/.pgpass)",
                redacted(url)
            )
        })?;
    postgres_migrator().run(&pool).await.with_context(|| {
        format!(
            "cannot apply the PostgreSQL migrations to {}: the user needs to create tables in the database's schema, and a database a newer console version has migrated cannot go back to this one",
            redacted(url)
        )
    })?;
    Ok(pool)
}

/// This version's migrations for the backend of `pool`.
pub fn migrator_for(pool: &Pool) -> sqlx::migrate::Migrator {
    match pool {
        Pool::Sqlite(_) => sqlite_migrator(),
        Pool::Postgres(_) => postgres_migrator(),
    }
}

/// Creates a new, empty database with a unique name on the PostgreSQL
/// server of `admin_url` (a URL whose user may create databases) and
/// returns its URL. Tests and benchmarks each work in their own database.
pub async fn scratch_postgres_database(admin_url: &str) -> anyhow::Result<String> {
    app::db::scratch_postgres_database(admin_url)
        .await
        .context("cannot create a PostgreSQL database for the test")
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
pub async fn ping(pool: &Pool) -> bool {
    app::db::query("select 1").execute(pool).await.is_ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The PostgreSQL server the tests may use: `make unit` runs them
    /// beside a throwaway cluster (`tools/with-postgres.sh`). Without one a
    /// test says it was skipped.
    pub(crate) fn test_postgres() -> Option<String> {
        let url = std::env::var("DWCONSOLE_TEST_POSTGRES").ok();
        if url.is_none() {
            eprintln!("skipped: DWCONSOLE_TEST_POSTGRES is not set (make unit sets it)");
        }
        url
    }

    /// A new, migrated database on the backend this test run names (as
    /// `app::db::testing::test_pool`): a SQLite file in the returned
    /// folder, or with `DWCONSOLE_TEST_BACKEND=postgres` a new database on
    /// `DWCONSOLE_TEST_POSTGRES`.
    pub(crate) async fn test_pool() -> (Pool, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var("DWCONSOLE_TEST_BACKEND").is_ok_and(|b| b == "postgres") {
            let admin = std::env::var("DWCONSOLE_TEST_POSTGRES")
                .expect("DWCONSOLE_TEST_BACKEND=postgres needs DWCONSOLE_TEST_POSTGRES");
            let url = scratch_postgres_database(&admin).await.unwrap();
            return (connect(&url).await.unwrap(), dir);
        }
        let file = dir.path().join("test.db");
        (connect(file.to_str().unwrap()).await.unwrap(), dir)
    }

    /// A second writer on PostgreSQL waits at most the lock timeout for the
    /// write lock, fails as busy (55P03, a 503), and its connection goes
    /// back to the pool clean.
    #[tokio::test]
    async fn a_postgres_writer_gives_up_after_the_lock_timeout_and_its_connection_stays_usable() {
        let Some(admin) = test_postgres() else { return };
        let url = scratch_postgres_database(&admin).await.unwrap();
        let pool = Pool::Postgres(connect_postgres(&url, 2).await.unwrap());
        let first = pool.begin_write().await.unwrap();
        let started = std::time::Instant::now();
        let Err(e) = pool.begin_write().await else {
            panic!("a second writer got the lock while the first held it")
        };
        assert!(started.elapsed() >= Duration::from_secs(4), "{e}");
        let e = app::error::AppError::from(e);
        assert_eq!(e.status(), 503, "{e}");
        drop(first);
        // Both connections serve again: no aborted transaction was left.
        for _ in 0..2 {
            let mut tx = pool.begin_write().await.unwrap();
            let one: i64 = app::db::query_scalar("select cast(1 as bigint)")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
            assert_eq!(one, 1);
            tx.commit().await.unwrap();
        }
    }

    /// An id list bound as JSON reads as a few rows to PostgreSQL's
    /// planner, so a join on it walks an index (the throughput chart read
    /// the whole table with the default estimate of 1,000 rows).
    #[tokio::test]
    async fn postgres_plans_an_id_list_as_a_few_rows() {
        let Some(admin) = test_postgres() else { return };
        let url = scratch_postgres_database(&admin).await.unwrap();
        let pg = connect_postgres(&url, CONNECTIONS).await.unwrap();
        let plan: Vec<String> = sqlx::query_scalar(
            "explain select * from throughput
             where map_id in (select cast(value as bigint) from json_each('[1, 2, 3]'))",
        )
        .fetch_all(&pg)
        .await
        .unwrap();
        let plan = plan.join("\n");
        assert!(
            plan.contains("Function Scan on json_each") && plan.contains("rows=10 "),
            "{plan}"
        );
        let rows: f32 =
            sqlx::query_scalar("select prorows from pg_proc where proname = 'json_each' and pronamespace = current_schema()::regnamespace")
                .fetch_one(&pg)
                .await
                .unwrap();
        assert_eq!(rows, 10.0);
    }

    #[tokio::test]
    async fn postgres_schema_matches_sqlite() {
        let Some(admin) = test_postgres() else { return };
        let url = scratch_postgres_database(&admin).await.unwrap();
        let pg = connect_postgres(&url, CONNECTIONS).await.unwrap();
        // A second start finds every migration applied.
        connect_postgres(&url, CONNECTIONS).await.unwrap();
        let lite = connect("sqlite::memory:").await.unwrap();

        // Every table and column, in order, with its type and whether it
        // takes nulls. SQLite's declared types map one way (the baseline
        // migration's header); the FTS5 search index declares none.
        let mut sqlite: Vec<(String, String, String, bool)> = app::db::query_as(
            "select m.name, p.name, lower(p.type), p.\"notnull\" or p.pk > 0
             from sqlite_master m, pragma_table_info(m.name) p
             where m.type = 'table' and m.name not like 'sqlite%' and m.name <> '_sqlx_migrations'
               and m.name not like 'search\\_index\\_%' escape '\\'
             order by m.name, p.cid",
        )
        .fetch_all(&lite)
        .await
        .unwrap();
        let postgres: Vec<(String, String, String, bool)> = app::db::query_as(
            "select table_name::text, column_name::text, data_type::text, is_nullable = 'NO'
             from information_schema.columns
             where table_schema = current_schema() and table_name <> '_sqlx_migrations'
               and is_generated = 'NEVER'
             order by table_name, ordinal_position",
        )
        .fetch_all(&pg)
        .await
        .unwrap();
        for c in &mut sqlite {
            c.2 = match c.2.as_str() {
                "integer" => "bigint",
                "text" => "text",
                "real" => "double precision",
                "boolean" => "boolean",
                "blob" => "bytea",
                // FTS5 columns: text, and the ids the console puts in.
                "" if ["title", "body", "kind"].contains(&c.1.as_str()) => "text",
                "" => "bigint",
                other => panic!(
                    "{}.{} has the type {other}: map it in the baseline",
                    c.0, c.1
                ),
            }
            .to_string();
        }
        // The search index's columns take nulls on SQLite (FTS5 has no
        // constraints); compare its names and types only.
        let strip =
            |cols: &[(String, String, String, bool)]| -> Vec<(String, String, String, bool)> {
                let mut v: Vec<_> = cols
                    .iter()
                    .map(|(t, c, ty, nn)| {
                        (t.clone(), c.clone(), ty.clone(), *nn && t != "search_index")
                    })
                    .collect();
                // Stable by table, keeping column order.
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            };
        let (sqlite, postgres) = (strip(&sqlite), strip(&postgres));
        let missing: Vec<_> = sqlite.iter().filter(|c| !postgres.contains(c)).collect();
        let extra: Vec<_> = postgres.iter().filter(|c| !sqlite.contains(c)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "PostgreSQL's schema differs from SQLite's: not on PostgreSQL {missing:?}; only on PostgreSQL {extra:?}"
        );
        assert_eq!(sqlite, postgres, "the same columns, in another order");
        assert!(sqlite.len() > 300, "{} columns", sqlite.len());

        // Every SQLite index has its namesake (constraints' own indexes
        // aside), so a query plan tuned on one has its index on the other.
        let indexes: Vec<String> = app::db::query_scalar(
            "select name from sqlite_master where type = 'index' and name not like 'sqlite_autoindex%'",
        )
        .fetch_all(&lite)
        .await
        .unwrap();
        let theirs: Vec<String> = app::db::query_scalar(
            "select indexname::text from pg_indexes where schemaname = current_schema()",
        )
        .fetch_all(&pg)
        .await
        .unwrap();
        let missing: Vec<_> = indexes.iter().filter(|i| !theirs.contains(i)).collect();
        assert!(missing.is_empty(), "indexes not on PostgreSQL: {missing:?}");
        assert!(indexes.len() > 30);
    }

    #[test]
    fn a_url_with_a_scheme_the_console_does_not_support_is_refused_by_name() {
        assert_eq!(
            Location::parse("data/dwconsole.db"),
            Ok(Location::File("data/dwconsole.db".into()))
        );
        assert_eq!(
            Location::parse("sqlite://data/x.db?mode=rwc"),
            Ok(Location::SqliteUrl("sqlite://data/x.db?mode=rwc".into()))
        );
        assert_eq!(
            Location::parse(r"C://data/x.db"),
            Ok(Location::File(r"C://data/x.db".into()))
        );
        assert_eq!(
            Location::parse("PostgreSQL://db/dw"),
            Ok(Location::Postgres("PostgreSQL://db/dw".into()))
        );
        for not_a_path in [
            "postgres:/db/dw",
            "postgresql:dw",
            "host=db dbname=dw password=s3cret",
        ] {
            let e = Location::parse(not_a_path).unwrap_err();
            assert!(e.contains("postgres://user@host/database"), "{e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
        let my = Location::parse("mysql://dw:s3cret@db/dw").unwrap_err();
        assert!(my.contains("'mysql://'"), "{my}");
        assert!(!my.contains("s3cret"), "{my}");
        assert!(Location::parse("  ").unwrap_err().contains("empty"));
    }

    #[test]
    fn a_password_in_the_url_is_never_shown() {
        assert_eq!(
            redacted("postgres://dw:s3cr:et@db.example:5432/dw?sslmode=require"),
            "postgres://dw:***@db.example:5432/dw?sslmode=require"
        );
        assert_eq!(redacted("postgres://dw@db/dw"), "postgres://dw@db/dw");
        assert_eq!(
            redacted("postgres://dw@db/dw?sslmode=require&password=s3cret"),
            "postgres://dw@db/dw?sslmode=require&password=***"
        );
        assert_eq!(redacted("data/dwconsole.db"), "data/dwconsole.db");
    }

    #[tokio::test]
    async fn a_postgres_url_is_never_taken_for_a_file() {
        // Before PostgreSQL was served, this made a folder `postgres:`
        // (holding `dw@localhost`) in the working directory and a SQLite
        // file in it. Nothing listens on port 1.
        let e = connect("postgres://dw@127.0.0.1:1/dwconsole")
            .await
            .unwrap_err();
        let e = format!("{e:#}");
        assert!(e.contains("cannot connect to PostgreSQL"), "{e}");
        assert!(
            e.contains("127.0.0.1:1/dwconsole") && e.contains("PGPASSWORD"),
            "{e}"
        );
        assert!(!std::path::Path::new("postgres:").exists());
    }

    #[tokio::test]
    async fn opening_and_migrating_wait_for_the_migration_lock_beside_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locked.db");
        let held = migration_lock(&path).await.unwrap();
        assert!(dir.path().join("locked.db.migrate-lock").exists());
        let db = path.to_str().unwrap().to_string();
        let opening = tokio::spawn(async move { connect(&db).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !opening.is_finished(),
            "migrated while another held the lock"
        );
        // Not even opened: the first connection turns a new file into WAL
        // mode, which two servers doing at once fail ("database is locked").
        assert!(!path.exists(), "opened while another held the lock");
        drop(held);
        let pool = tokio::time::timeout(Duration::from_secs(10), opening)
            .await
            .expect("migrates once the lock is let go")
            .unwrap()
            .unwrap();
        let applied: i64 = app::db::query_scalar("select count(*) from _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(applied > 0);
        // An in-memory database has no file to put a lock beside.
        let cwd = std::env::current_dir().unwrap();
        let before = std::fs::read_dir(&cwd).unwrap().count();
        connect("sqlite::memory:").await.unwrap();
        assert_eq!(std::fs::read_dir(&cwd).unwrap().count(), before);
    }

    #[tokio::test]
    async fn a_checkpoint_truncates_the_wal_after_a_burst_of_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.db");
        let pool = connect(path.to_str().unwrap()).await.unwrap();
        app::db::query("create table t (x blob)")
            .execute(&pool)
            .await
            .unwrap();
        for _ in 0..50 {
            app::db::query("insert into t values (randomblob(100000))")
                .execute(&pool)
                .await
                .unwrap();
        }
        let wal = dir.path().join("wal.db-wal");
        assert!(std::fs::metadata(&wal).unwrap().len() > 1_000_000);
        assert!(checkpoint(pool.as_sqlite().unwrap()).await.unwrap());
        assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
        let limit: i64 = app::db::query_scalar("pragma journal_size_limit")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(limit, JOURNAL_SIZE_LIMIT as i64);
    }
}
