//! The two database backends behind one set of store functions: a pool, a
//! transaction and a connection that are SQLite or PostgreSQL, and queries
//! whose text and binds run on whichever of them they are given.
//!
//! A store function takes `&mut dyn Conn` and runs [`query`],
//! [`query_as`] or [`query_scalar`] on it, exactly as it would sqlx's. The
//! binds are kept until the connection is known, then added to that
//! backend's arguments; rows decode through the same `FromRow` derive for
//! both. Most statement text is shared (numbered placeholders,
//! `true`/`false`, `is not distinct from`); where the dialects differ the
//! store keeps both texts side by side and picks one with [`Conn::kind`].
//!
//! Why not sqlx's `Any` driver: it copies every row into its own value
//! type, decodes a SQLite `boolean` only from a real boolean, and would
//! charge the default backend for the second one. Here SQLite rows decode
//! as they always did; the cost is one boxed bind per value.

use sqlx::error::BoxDynError;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{
    Arguments as _, AssertSqlSafe, Encode, FromRow, PgConnection, PgPool, Postgres, SqlSafeStr,
    SqlStr, Sqlite, SqliteConnection, SqlitePool, Type,
};
use std::fmt::{Display, Write as _};
use std::ops::{Deref, DerefMut};

/// Which database a connection or pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One SQLite file (the default).
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// A borrowed connection of either backend.
pub enum Backend<'c> {
    /// SQLite.
    Sqlite(&'c mut SqliteConnection),
    /// PostgreSQL.
    Postgres(&'c mut PgConnection),
}

/// Anything a store function can run statements on: a connection, a pooled
/// connection or a transaction, of either backend. Store functions take
/// `&mut dyn Conn`, so the caller owns the transaction as before.
pub trait Conn: Send {
    /// The connection underneath, to run one statement on.
    fn backend(&mut self) -> Backend<'_>;

    /// Which backend this is, for the statements whose text differs.
    fn kind(&mut self) -> Kind {
        match self.backend() {
            Backend::Sqlite(_) => Kind::Sqlite,
            Backend::Postgres(_) => Kind::Postgres,
        }
    }
}

impl Conn for SqliteConnection {
    fn backend(&mut self) -> Backend<'_> {
        Backend::Sqlite(self)
    }
}

impl Conn for PgConnection {
    fn backend(&mut self) -> Backend<'_> {
        Backend::Postgres(self)
    }
}

impl Conn for PoolConnection<Sqlite> {
    fn backend(&mut self) -> Backend<'_> {
        Backend::Sqlite(self)
    }
}

impl Conn for PoolConnection<Postgres> {
    fn backend(&mut self) -> Backend<'_> {
        Backend::Postgres(self)
    }
}

impl Conn for sqlx::Transaction<'_, Sqlite> {
    fn backend(&mut self) -> Backend<'_> {
        Backend::Sqlite(self)
    }
}

impl Conn for sqlx::Transaction<'_, Postgres> {
    fn backend(&mut self) -> Backend<'_> {
        Backend::Postgres(self)
    }
}

/// The key of the PostgreSQL advisory lock every write transaction holds
/// (see [`Pool::begin_write`]): "dwconsol" in ASCII. sqlx's migrator
/// takes its own, different key.
pub const WRITE_LOCK: i64 = 0x6477_636f_6e73_6f6c;

/// The console's connection pool, on one backend.
#[derive(Debug, Clone)]
pub enum Pool {
    /// A SQLite file's pool.
    Sqlite(SqlitePool),
    /// A PostgreSQL database's pool.
    Postgres(PgPool),
}

impl From<SqlitePool> for Pool {
    fn from(pool: SqlitePool) -> Self {
        Pool::Sqlite(pool)
    }
}

impl From<PgPool> for Pool {
    fn from(pool: PgPool) -> Self {
        Pool::Postgres(pool)
    }
}

impl Pool {
    /// Which backend the pool talks to.
    pub fn kind(&self) -> Kind {
        match self {
            Pool::Sqlite(_) => Kind::Sqlite,
            Pool::Postgres(_) => Kind::Postgres,
        }
    }

    /// The SQLite pool, for what only a SQLite file has (its WAL checkpoint).
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Pool::Sqlite(p) => Some(p),
            Pool::Postgres(_) => None,
        }
    }

    /// A connection from the pool.
    pub async fn acquire(&self) -> Result<PoolConn, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => PoolConn::Sqlite(p.acquire().await?),
            Pool::Postgres(p) => PoolConn::Postgres(p.acquire().await?),
        })
    }

    /// Begins a transaction as each backend begins one by default (on
    /// SQLite a deferred one, which takes the write lock on its first write).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Begins a write transaction; write transactions run one at a time,
    /// on both backends, while reads go on beside them.
    ///
    /// On SQLite it holds the write lock from the start (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first fails at once
    /// with "database is locked" when another writer holds the lock,
    /// whatever the busy timeout, where this one waits.
    ///
    /// On PostgreSQL it takes one transaction-scoped advisory lock
    /// ([`WRITE_LOCK`]) first. The stores were written for one writer at a
    /// time: their read-then-write steps (the last active admin, a
    /// revision number, the next delivery) assume nothing changes between
    /// the read and the write, and two ingests upserting the same counter
    /// rows in different orders deadlocked (`backends-bench`, two senders).
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => {
                // Read committed whatever the database's default: each
                // statement after the lock sees the last writer's commit.
                let mut tx = p.begin_with("BEGIN ISOLATION LEVEL READ COMMITTED").await?;
                // As SQLite's busy timeout: a writer waits this long for
                // the lock, then fails as "busy" (55P03) and lets go. Both
                // statements go in one round trip.
                sqlx::raw_sql(AssertSqlSafe(format!(
                    "set local lock_timeout = '5s'; select pg_advisory_xact_lock({WRITE_LOCK})"
                )))
                .execute(&mut *tx)
                .await?;
                Tx::Postgres(tx)
            }
        })
    }

    /// Closes the pool: waits for connections in use to come back.
    pub async fn close(&self) {
        match self {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Whether [`Pool::close`] was called.
    pub fn is_closed(&self) -> bool {
        match self {
            Pool::Sqlite(p) => p.is_closed(),
            Pool::Postgres(p) => p.is_closed(),
        }
    }
}

/// A connection taken from a [`Pool`]; it goes back when dropped.
pub enum PoolConn {
    /// SQLite.
    Sqlite(PoolConnection<Sqlite>),
    /// PostgreSQL.
    Postgres(PoolConnection<Postgres>),
}

impl Conn for PoolConn {
    fn backend(&mut self) -> Backend<'_> {
        match self {
            PoolConn::Sqlite(c) => Backend::Sqlite(c),
            PoolConn::Postgres(c) => Backend::Postgres(c),
        }
    }
}

impl Deref for PoolConn {
    type Target = dyn Conn;
    fn deref(&self) -> &Self::Target {
        match self {
            PoolConn::Sqlite(c) => &**c,
            PoolConn::Postgres(c) => &**c,
        }
    }
}

impl DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            PoolConn::Sqlite(c) => &mut **c,
            PoolConn::Postgres(c) => &mut **c,
        }
    }
}

/// A transaction of either backend; dropped without [`Tx::commit`], it
/// rolls back.
pub enum Tx {
    /// SQLite.
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    /// PostgreSQL.
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// Rolls the transaction back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

impl Conn for Tx {
    fn backend(&mut self) -> Backend<'_> {
        match self {
            Tx::Sqlite(t) => Backend::Sqlite(t),
            Tx::Postgres(t) => Backend::Postgres(t),
        }
    }
}

impl Deref for Tx {
    type Target = dyn Conn;
    fn deref(&self) -> &Self::Target {
        match self {
            Tx::Sqlite(t) => &**t,
            Tx::Postgres(t) => &**t,
        }
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Tx::Sqlite(t) => &mut **t,
            Tx::Postgres(t) => &mut **t,
        }
    }
}

/// Where a statement runs: a connection the caller holds, or a pool to
/// borrow one from for this statement alone.
pub enum Target<'c> {
    /// A connection or transaction.
    Conn(Backend<'c>),
    /// The console's pool.
    Pool(&'c Pool),
    /// A bare SQLite pool (the test fixtures').
    SqlitePool(&'c SqlitePool),
    /// A bare PostgreSQL pool.
    PgPool(&'c PgPool),
}

/// What a statement can run on, as sqlx's `Executor` but for both
/// backends: `&mut` any [`Conn`], `&Pool`, `&SqlitePool` or `&PgPool`.
pub trait Executor<'c>: Send {
    /// Where the statement runs.
    fn target(self) -> Target<'c>;
}

impl<'c, C: Conn + ?Sized> Executor<'c> for &'c mut C {
    fn target(self) -> Target<'c> {
        Target::Conn(self.backend())
    }
}

impl<'c> Executor<'c> for &'c Pool {
    fn target(self) -> Target<'c> {
        Target::Pool(self)
    }
}

impl<'c> Executor<'c> for &'c SqlitePool {
    fn target(self) -> Target<'c> {
        Target::SqlitePool(self)
    }
}

impl<'c> Executor<'c> for &'c PgPool {
    fn target(self) -> Target<'c> {
        Target::PgPool(self)
    }
}

/// A value a statement binds, on either backend.
pub trait Bind<'q>: Send {
    /// Adds the value to a SQLite statement's arguments.
    fn add_sqlite(&self, args: &mut SqliteArguments) -> Result<(), BoxDynError>;
    /// Adds the value to a PostgreSQL statement's arguments.
    fn add_postgres(&self, args: &mut PgArguments) -> Result<(), BoxDynError>;
}

impl<'q, T> Bind<'q> for T
where
    T: Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>,
    T: Send + Sync + 'q,
{
    fn add_sqlite(&self, args: &mut SqliteArguments) -> Result<(), BoxDynError> {
        args.add(self)
    }
    fn add_postgres(&self, args: &mut PgArguments) -> Result<(), BoxDynError> {
        args.add(self)
    }
}

/// A row type both backends decode (what `#[derive(sqlx::FromRow)]` and
/// tuples of common types give).
pub trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// What a statement that returns no rows did.
#[derive(Debug, Clone, Copy)]
pub struct Done {
    rows: u64,
}

impl Done {
    /// Rows the statement inserted, changed or deleted.
    pub fn rows_affected(&self) -> u64 {
        self.rows
    }
}

/// Statement text and its binds, not yet given a connection.
pub struct Query<'q> {
    sql: SqlStr,
    /// PostgreSQL's text when it differs ([`QueryBuilder`]'s `$N` where
    /// SQLite's has `?`).
    postgres_sql: Option<SqlStr>,
    binds: Vec<Box<dyn Bind<'q> + 'q>>,
}

/// A statement, as `sqlx::query` (text with `$1`… placeholders).
pub fn query<'q>(sql: impl SqlSafeStr) -> Query<'q> {
    Query {
        sql: sql.into_sql_str(),
        postgres_sql: None,
        binds: Vec::new(),
    }
}

/// A statement whose rows decode into `T`, as `sqlx::query_as`.
pub fn query_as<'q, T: Record>(sql: impl SqlSafeStr) -> QueryAs<'q, T> {
    QueryAs {
        inner: query(sql),
        row: std::marker::PhantomData,
    }
}

/// A statement whose rows are one value each, as `sqlx::query_scalar`.
pub fn query_scalar<'q, T>(sql: impl SqlSafeStr) -> QueryScalar<'q, T>
where
    (T,): Record,
    T: Send + Unpin,
{
    QueryScalar {
        inner: query_as(sql),
    }
}

/// Runs `$run` on the connection a [`Target`] names, borrowing one from
/// the pool when it names a pool.
macro_rules! on_target {
    ($target:expr, |$c:ident| $run:expr) => {
        match $target {
            Target::Conn($c) => $run,
            Target::Pool(p) => {
                let mut owned = p.acquire().await?;
                let $c = owned.backend();
                $run
            }
            Target::SqlitePool(p) => {
                let mut owned = p.acquire().await?;
                let $c = Backend::Sqlite(&mut owned);
                $run
            }
            Target::PgPool(p) => {
                let mut owned = p.acquire().await?;
                let $c = Backend::Postgres(&mut owned);
                $run
            }
        }
    };
}

impl<'q> Query<'q> {
    /// Binds the next placeholder.
    pub fn bind<T: Bind<'q> + 'q>(mut self, value: T) -> Self {
        self.binds.push(Box::new(value));
        self
    }

    fn sqlite_args(&self) -> Result<SqliteArguments, sqlx::Error> {
        let mut args = SqliteArguments::default();
        for b in &self.binds {
            b.add_sqlite(&mut args).map_err(sqlx::Error::Encode)?;
        }
        Ok(args)
    }

    /// The text PostgreSQL runs.
    fn postgres_text(&mut self) -> SqlStr {
        self.postgres_sql.take().unwrap_or_else(|| self.sql.clone())
    }

    fn postgres_args(&self) -> Result<PgArguments, sqlx::Error> {
        let mut args = PgArguments::default();
        for b in &self.binds {
            b.add_postgres(&mut args).map_err(sqlx::Error::Encode)?;
        }
        Ok(args)
    }

    /// Runs the statement; says how many rows it changed.
    pub async fn execute<'c>(self, on: impl Executor<'c>) -> Result<Done, sqlx::Error> {
        on_target!(on.target(), |c| self.execute_on(c).await)
    }

    async fn execute_on(mut self, c: Backend<'_>) -> Result<Done, sqlx::Error> {
        Ok(match c {
            Backend::Sqlite(c) => {
                let args = self.sqlite_args()?;
                let r = sqlx::query_with(self.sql, args).execute(c).await?;
                Done {
                    rows: r.rows_affected(),
                }
            }
            Backend::Postgres(c) => {
                let args = self.postgres_args()?;
                let r = sqlx::query_with(self.postgres_text(), args)
                    .execute(c)
                    .await?;
                Done {
                    rows: r.rows_affected(),
                }
            }
        })
    }
}

/// A statement whose rows decode into `T`.
pub struct QueryAs<'q, T> {
    inner: Query<'q>,
    row: std::marker::PhantomData<fn() -> T>,
}

impl<'q, T: Record> QueryAs<'q, T> {
    /// Binds the next placeholder.
    pub fn bind<V: Bind<'q> + 'q>(mut self, value: V) -> Self {
        self.inner = self.inner.bind(value);
        self
    }

    /// Every row.
    pub async fn fetch_all<'c>(self, on: impl Executor<'c>) -> Result<Vec<T>, sqlx::Error> {
        on_target!(on.target(), |c| self.fetch_all_on(c).await)
    }

    /// The first row, if there is one.
    pub async fn fetch_optional<'c>(self, on: impl Executor<'c>) -> Result<Option<T>, sqlx::Error> {
        on_target!(on.target(), |c| self.fetch_optional_on(c).await)
    }

    /// The first row; `RowNotFound` when there is none.
    pub async fn fetch_one<'c>(self, on: impl Executor<'c>) -> Result<T, sqlx::Error> {
        self.fetch_optional(on)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    async fn fetch_all_on(self, c: Backend<'_>) -> Result<Vec<T>, sqlx::Error> {
        let mut q = self.inner;
        match c {
            Backend::Sqlite(c) => {
                let args = q.sqlite_args()?;
                sqlx::query_as_with::<Sqlite, T, _>(q.sql, args)
                    .fetch_all(c)
                    .await
            }
            Backend::Postgres(c) => {
                let args = q.postgres_args()?;
                sqlx::query_as_with::<Postgres, T, _>(q.postgres_text(), args)
                    .fetch_all(c)
                    .await
            }
        }
    }

    async fn fetch_optional_on(self, c: Backend<'_>) -> Result<Option<T>, sqlx::Error> {
        let mut q = self.inner;
        match c {
            Backend::Sqlite(c) => {
                let args = q.sqlite_args()?;
                sqlx::query_as_with::<Sqlite, T, _>(q.sql, args)
                    .fetch_optional(c)
                    .await
            }
            Backend::Postgres(c) => {
                let args = q.postgres_args()?;
                sqlx::query_as_with::<Postgres, T, _>(q.postgres_text(), args)
                    .fetch_optional(c)
                    .await
            }
        }
    }
}

/// A statement whose rows are one value each.
pub struct QueryScalar<'q, T> {
    inner: QueryAs<'q, (T,)>,
}

impl<'q, T> QueryScalar<'q, T>
where
    (T,): Record,
    T: Send + Unpin,
{
    /// Binds the next placeholder.
    pub fn bind<V: Bind<'q> + 'q>(mut self, value: V) -> Self {
        self.inner = self.inner.bind(value);
        self
    }

    /// Every row's value.
    pub async fn fetch_all<'c>(self, on: impl Executor<'c>) -> Result<Vec<T>, sqlx::Error> {
        Ok(self
            .inner
            .fetch_all(on)
            .await?
            .into_iter()
            .map(|(v,)| v)
            .collect())
    }

    /// The first row's value, if there is a row.
    pub async fn fetch_optional<'c>(self, on: impl Executor<'c>) -> Result<Option<T>, sqlx::Error> {
        Ok(self.inner.fetch_optional(on).await?.map(|(v,)| v))
    }

    /// The first row's value; `RowNotFound` when there is no row.
    pub async fn fetch_one<'c>(self, on: impl Executor<'c>) -> Result<T, sqlx::Error> {
        Ok(self.inner.fetch_one(on).await?.0)
    }
}

/// Builds a statement from pieces, as sqlx's `QueryBuilder`. It writes
/// two texts: SQLite's with `?` for each bind and PostgreSQL's with `$1`,
/// `$2`…. Not `$N` for both: SQLite looks each named parameter up in a
/// list, so the thousands of binds of one multi-row insert cost time
/// quadratic in their number (the ingest ran four times slower).
pub struct QueryBuilder<'q> {
    sqlite: String,
    postgres: String,
    binds: Vec<Box<dyn Bind<'q> + 'q>>,
}

impl<'q> QueryBuilder<'q> {
    /// Starts the statement with `init`.
    pub fn new(init: impl Into<String>) -> Self {
        let sqlite = init.into();
        QueryBuilder {
            postgres: sqlite.clone(),
            sqlite,
            binds: Vec::new(),
        }
    }

    /// Appends SQL text (without placeholders: binds go through
    /// [`QueryBuilder::push_bind`]).
    pub fn push(&mut self, sql: impl Display) -> &mut Self {
        let start = self.sqlite.len();
        write!(self.sqlite, "{sql}").expect("writing to a String");
        self.postgres.push_str(&self.sqlite[start..]);
        self
    }

    /// Appends a placeholder and binds `value` to it.
    pub fn push_bind<T: Bind<'q> + 'q>(&mut self, value: T) -> &mut Self {
        self.binds.push(Box::new(value));
        self.sqlite.push('?');
        write!(self.postgres, "${}", self.binds.len()).expect("writing to a String");
        self
    }

    /// Appends `VALUES (…), (…)`, one tuple per item, its binds pushed by
    /// `push_tuple` and separated by commas.
    pub fn push_values<I, F>(&mut self, tuples: I, mut push_tuple: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(Separated<'_, 'q>, I::Item),
    {
        self.push("VALUES ");
        for (i, item) in tuples.into_iter().enumerate() {
            self.push(if i > 0 { ", (" } else { "(" });
            push_tuple(
                Separated {
                    builder: self,
                    first: true,
                },
                item,
            );
            self.push(")");
        }
        self
    }

    /// The statement built so far, taking its binds.
    pub fn build(&mut self) -> Query<'q> {
        Query {
            // A builder is built once: its binds go with the query too.
            sql: AssertSqlSafe(std::mem::take(&mut self.sqlite)).into_sql_str(),
            postgres_sql: Some(AssertSqlSafe(std::mem::take(&mut self.postgres)).into_sql_str()),
            binds: std::mem::take(&mut self.binds),
        }
    }

    /// [`QueryBuilder::build`], its rows decoding into `T`.
    pub fn build_query_as<T: Record>(&mut self) -> QueryAs<'q, T> {
        QueryAs {
            inner: self.build(),
            row: std::marker::PhantomData,
        }
    }

    /// [`QueryBuilder::build`], its rows one value each.
    pub fn build_query_scalar<T>(&mut self) -> QueryScalar<'q, T>
    where
        (T,): Record,
        T: Send + Unpin,
    {
        QueryScalar {
            inner: self.build_query_as(),
        }
    }
}

/// One tuple of [`QueryBuilder::push_values`]: binds separated by commas.
pub struct Separated<'b, 'q> {
    builder: &'b mut QueryBuilder<'q>,
    first: bool,
}

impl<'q> Separated<'_, 'q> {
    /// Appends a comma unless first, then a placeholder bound to `value`.
    pub fn push_bind<T: Bind<'q> + 'q>(&mut self, value: T) -> &mut Self {
        if !self.first {
            self.builder.push(", ");
        }
        self.first = false;
        self.builder.push_bind(value);
        self
    }
}
