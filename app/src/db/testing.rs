//! A new, migrated database for each query test, on the backend the test
//! run names: SQLite by default, PostgreSQL when `DWCONSOLE_TEST_BACKEND`
//! is `postgres` (with the server in `DWCONSOLE_TEST_POSTGRES`, as
//! `tools/with-postgres.sh` sets it). `make unit` runs the query tests
//! once on each.

use super::Pool;

/// What keeps a test's database alive: the SQLite file's folder.
pub struct Guard {
    _dir: Option<tempfile::TempDir>,
}

/// Whether this test run is on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("DWCONSOLE_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A new database with this version's migrations applied, and its guard.
pub async fn test_pool() -> (Pool, Guard) {
    if on_postgres() {
        let admin = std::env::var("DWCONSOLE_TEST_POSTGRES").expect(
            "DWCONSOLE_TEST_BACKEND=postgres needs DWCONSOLE_TEST_POSTGRES (run beside tools/with-postgres.sh)",
        );
        let url = super::scratch_postgres_database(&admin)
            .await
            .expect("a new PostgreSQL database");
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&url)
            .await
            .expect("the test's PostgreSQL database");
        sqlx::migrate!("../migrations/postgres")
            .run(&pool)
            .await
            .expect("PostgreSQL migrations");
        return (Pool::Postgres(pool), Guard { _dir: None });
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("test.db"))
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("the test's SQLite file");
    sqlx::migrate!("../migrations")
        .run(&pool)
        .await
        .expect("SQLite migrations");
    (Pool::Sqlite(pool), Guard { _dir: Some(dir) })
}
