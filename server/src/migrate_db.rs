//! `dwconsole migrate-db`: moves an installation from one database to
//! another by copying every table: a SQLite file into a new PostgreSQL
//! database, or a PostgreSQL database into a new SQLite file.
//!
//! The copy is generic rather than per feature: it reads each table's
//! columns from the two schemas (which the migrations keep equal: same
//! tables, same columns in the same order) and moves rows as plain values.
//! The source is read in one read-only transaction (one snapshot, however
//! its servers write meanwhile) and must be at this version's schema. The
//! target is migrated first, must hold no rows, and receives every row in
//! one transaction whose counts are checked against the source's before it
//! commits: a failure leaves it as empty as it was.

use anyhow::{Context as _, bail};
use futures_util::TryStreamExt as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Column as _, PgPool, QueryBuilder, SqlitePool, TypeInfo as _, ValueRef as _};
use std::io::{IsTerminal as _, Write as _};
use std::str::FromStr as _;
use std::time::Instant;

/// Rows per insert statement: under both databases' limits on bound
/// values (PostgreSQL 65,535, SQLite 32,766) for the widest table.
const BATCH_VALUES: usize = 30_000;
/// And at most this many rows per statement, so progress moves.
const BATCH_ROWS: usize = 1_000;

/// A database named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file (a path or a `sqlite:` URL).
    Sqlite(String),
    /// A `postgres://` (or `postgresql://`) URL.
    Postgres(String),
}

impl Target {
    /// Reads `--from` or `--to`. A `postgres://` URL is PostgreSQL; a path or
    /// `sqlite:` URL is SQLite; any other scheme is refused by name.
    pub fn parse(value: &str) -> Result<Target, String> {
        let value = value.trim();
        Ok(match crate::db::Location::parse(value)? {
            crate::db::Location::Postgres(url) => Target::Postgres(url),
            _ => Target::Sqlite(value.to_string()),
        })
    }

    /// How messages name it: the file, or PostgreSQL's host and database,
    /// never the URL (it may hold a password).
    fn describe(&self) -> String {
        match self {
            Target::Sqlite(s) => format!("SQLite '{s}'"),
            Target::Postgres(url) => match PgConnectOptions::from_str(url) {
                Ok(o) => format!(
                    "PostgreSQL database '{}' on {}:{}",
                    o.get_database().unwrap_or("(default)"),
                    o.get_host(),
                    o.get_port()
                ),
                Err(_) => "PostgreSQL (the URL does not parse)".into(),
            },
        }
    }
}

/// An open database on either backend.
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One connection of either backend, borrowed: the source's snapshot or
/// the target's transaction.
enum Conn<'a> {
    Sqlite(&'a mut sqlx::SqliteConnection),
    Postgres(&'a mut sqlx::PgConnection),
}

/// The source's connection, holding its read transaction.
enum Source {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl Source {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Source::Sqlite(c) => Conn::Sqlite(c),
            Source::Postgres(c) => Conn::Postgres(c),
        }
    }
}

/// One stored value, as both databases can hold it. Booleans travel as
/// 0 / 1 (SQLite's form) and become `boolean` where PostgreSQL wants one.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// What a target column takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Real,
    Text,
    Blob,
    /// A SQLite column takes any value as it is.
    Any,
}

/// A table's copyable columns on one side.
struct Columns {
    names: Vec<String>,
    kinds: Vec<Kind>,
}

impl Columns {
    /// The names as an SQL column list, quoted.
    fn list(&self) -> String {
        self.names
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Every row of `table` in these columns, by the first column (the id,
    /// or the key), so a copy is in one order.
    fn select_all(&self, table: &str) -> String {
        format!("select {} from {} order by 1", self.list(), quote(table))
    }
}

/// Runs `dwconsole migrate-db --from … --to …`, printing progress to
/// stderr and the per-table counts to stdout.
pub async fn run(from: &str, to: &str) -> anyhow::Result<()> {
    let from = Target::parse(from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let to = Target::parse(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?;
    if std::mem::discriminant(&from) == std::mem::discriminant(&to) {
        bail!(
            "--from and --to are both {}: migrate-db moves between SQLite and PostgreSQL (to copy a SQLite file, use sqlite3's .backup; PostgreSQL, pg_dump)",
            backend_name(&from)
        );
    }
    let mut source = open_source(&from).await?;
    let target = open_target(&to).await?;
    let report = copy(&mut source, &target, &mut Progress::new()).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<32} {:>12} {:>12}",
        "table",
        backend_name(&from),
        backend_name(&to)
    )?;
    for (table, n) in &report.counts {
        writeln!(out, "{table:<32} {n:>12} {n:>12}")?;
    }
    writeln!(
        out,
        "copied {} rows in {} tables from {} to {} in {:.1} s; the counts match",
        report.counts.iter().map(|(_, n)| n).sum::<i64>(),
        report.counts.len(),
        from.describe(),
        to.describe(),
        report.secs
    )?;
    Ok(())
}

/// The backend's name, for the counts' header.
fn backend_name(t: &Target) -> &'static str {
    match t {
        Target::Sqlite(_) => "SQLite",
        Target::Postgres(_) => "PostgreSQL",
    }
}

/// What a copy did.
struct Report {
    /// Rows per table, by table name.
    counts: Vec<(String, i64)>,
    secs: f64,
}

/// Opens the source without changing it (read-only on both backends),
/// checks it is at this version's migrations, and begins the read
/// transaction the whole copy reads from.
async fn open_source(t: &Target) -> anyhow::Result<Source> {
    let cannot = || format!("--from: cannot open {}", t.describe());
    let mut source = match t {
        Target::Sqlite(location) => {
            let options = match crate::db::Location::parse(location).map_err(anyhow::Error::msg)? {
                crate::db::Location::File(path) => {
                    if !path.exists() {
                        bail!("--from: there is no SQLite file {}", path.display());
                    }
                    SqliteConnectOptions::new().filename(path)
                }
                crate::db::Location::SqliteUrl(url) => SqliteConnectOptions::from_str(&url)
                    .with_context(|| format!("--from: '{url}' is not a valid sqlite: URL"))?,
                crate::db::Location::Postgres(_) => {
                    bail!("--from: a postgres:// URL is not a SQLite database")
                }
            };
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.read_only(true).create_if_missing(false))
                .await
                .with_context(cannot)?;
            Source::Sqlite(pool.acquire().await.with_context(cannot)?)
        }
        Target::Postgres(url) => {
            let options = PgConnectOptions::from_str(url)
                .context("--from: the PostgreSQL URL does not parse")?
                .options([("default_transaction_read_only", "on")]);
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .with_context(cannot)?;
            Source::Postgres(pool.acquire().await.with_context(cannot)?)
        }
    };
    let migrator = match &source {
        Source::Sqlite(_) => crate::db::sqlite_migrator(),
        Source::Postgres(_) => crate::db::postgres_migrator(),
    };
    let want = (
        migrator.iter().count() as i64,
        migrator.iter().map(|m| m.version).max().unwrap_or(0),
    );
    let have = applied(&mut source.conn()).await?;
    if have != want {
        bail!(
            "--from: {} has {} of this version's {} migrations applied (the last {}, this version's {}); run this version's `dwconsole serve` on it once (it migrates at start), then copy",
            t.describe(),
            have.0,
            want.0,
            have.1,
            want.1
        );
    }
    // One snapshot for the counts and every row. SQLite's deferred
    // transaction takes it at the first read, in WAL mode without blocking
    // the servers' writes.
    let begin = match &source {
        Source::Sqlite(_) => "begin",
        Source::Postgres(_) => "begin isolation level repeatable read read only",
    };
    match &mut source.conn() {
        Conn::Sqlite(c) => {
            sqlx::query(begin).execute(&mut **c).await?;
        }
        Conn::Postgres(c) => {
            sqlx::query(begin).execute(&mut **c).await?;
        }
    }
    Ok(source)
}

/// Migrations applied to a database, and the last one's version ((0, 0)
/// when it has never been migrated). Read outside any transaction: the
/// error of a missing table would end one on PostgreSQL.
async fn applied(c: &mut Conn<'_>) -> anyhow::Result<(i64, i64)> {
    let sql = "select count(*), coalesce(max(version), 0) from _sqlx_migrations where success";
    let n: Result<(i64, i64), sqlx::Error> = match c {
        Conn::Sqlite(c) => sqlx::query_as(sql).fetch_one(&mut **c).await,
        Conn::Postgres(c) => sqlx::query_as(sql).fetch_one(&mut **c).await,
    };
    match n {
        Ok(n) => Ok(n),
        // No migrations table: not a console database at all.
        Err(sqlx::Error::Database(e)) if e.message().contains("_sqlx_migrations") => Ok((0, 0)),
        Err(e) => Err(e).context("cannot read which migrations are applied"),
    }
}

/// Opens (creating a SQLite file if missing) and migrates the target.
async fn open_target(t: &Target) -> anyhow::Result<Db> {
    match t {
        Target::Sqlite(location) => Ok(Db::Sqlite(
            crate::db::connect_sqlite(location)
                .await
                .with_context(|| format!("--to: cannot open {}", t.describe()))?,
        )),
        Target::Postgres(url) => Ok(Db::Postgres(
            crate::db::connect_postgres(url, crate::db::CONNECTIONS)
                .await
                .with_context(|| format!("--to: cannot use {}", t.describe()))?,
        )),
    }
}

/// The console's tables on `db`: not sqlx's bookkeeping, not FTS5's
/// shadow tables, sorted by name.
async fn tables(c: &mut Conn<'_>) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = match c {
        Conn::Sqlite(c) => {
            sqlx::query_scalar(
                "select name from pragma_table_list
             where schema = 'main' and type in ('table', 'virtual')
               and name not like 'sqlite%' and name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut **c)
            .await?
        }
        Conn::Postgres(c) => {
            sqlx::query_scalar(
                "select table_name::text from information_schema.tables
             where table_schema = current_schema() and table_type = 'BASE TABLE'
               and table_name <> '_sqlx_migrations'",
            )
            .fetch_all(&mut **c)
            .await?
        }
    };
    names.sort();
    Ok(names)
}

/// A table's columns that take values, in order (PostgreSQL's generated
/// columns, such as the search index's `document`, compute themselves).
async fn columns(c: &mut Conn<'_>, table: &str) -> anyhow::Result<Columns> {
    let (names, kinds) = match c {
        Conn::Sqlite(c) => {
            let names: Vec<String> =
                sqlx::query_scalar("select name from pragma_table_info($1) order by cid")
                    .bind(table)
                    .fetch_all(&mut **c)
                    .await?;
            let kinds = vec![Kind::Any; names.len()];
            (names, kinds)
        }
        Conn::Postgres(c) => {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "select column_name::text, data_type::text from information_schema.columns
                 where table_schema = current_schema() and table_name = $1 and is_generated = 'NEVER'
                 order by ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut **c)
            .await?;
            let mut names = Vec::with_capacity(rows.len());
            let mut kinds = Vec::with_capacity(rows.len());
            for (name, ty) in rows {
                kinds.push(match ty.as_str() {
                    "bigint" | "integer" | "smallint" => Kind::Int,
                    "boolean" => Kind::Bool,
                    "double precision" | "real" => Kind::Real,
                    "text" | "character varying" => Kind::Text,
                    "bytea" => Kind::Blob,
                    other => bail!("{table}.{name} has the PostgreSQL type {other}, which migrate-db does not move"),
                });
                names.push(name);
            }
            (names, kinds)
        }
    };
    Ok(Columns { names, kinds })
}

/// Rows of `table` on `db`.
async fn count(c: &mut Conn<'_>, table: &str) -> anyhow::Result<i64> {
    let sql = format!("select count(*) from {}", quote(table));
    Ok(match c {
        Conn::Sqlite(c) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **c)
                .await?
        }
        Conn::Postgres(c) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **c)
                .await?
        }
    })
}

/// A table or column name as an SQL identifier. The names come from the
/// databases' own catalogues, never from input; quoting keeps a name that
/// is also a keyword (`pass`) safe on both.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Copies every table of `source` into `target` in one transaction, and
/// commits it only when every table's count there equals the source's.
async fn copy(source: &mut Source, target: &Db, progress: &mut Progress) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut tx = match target {
        Db::Sqlite(p) => {
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
            // Foreign keys are checked at commit, so tables go in any order.
            sqlx::query("pragma defer_foreign_keys = on")
                .execute(&mut *tx)
                .await?;
            TargetTx::Sqlite(tx)
        }
        Db::Postgres(p) => {
            let mut tx = p.begin().await?;
            sqlx::query("set constraints all deferred")
                .execute(&mut *tx)
                .await?;
            TargetTx::Postgres(tx)
        }
    };
    let names = tables(&mut source.conn()).await?;
    let theirs = tables(&mut tx.conn()).await?;
    if names != theirs {
        let only = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|t| !b.contains(t)).cloned().collect()
        };
        bail!(
            "the two schemas differ (are both from this version?): only in the source: {:?}; only in the target: {:?}",
            only(&names, &theirs),
            only(&theirs, &names)
        );
    }
    let mut held = Vec::new();
    for table in &names {
        let n = count(&mut tx.conn(), table).await?;
        if n > 0 {
            held.push(format!(
                "{table} ({n} row{})",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    if !held.is_empty() {
        bail!(
            "--to already holds data, so nothing was copied: {}. Give a new, empty database",
            held.join(", ")
        );
    }
    let mut totals = Vec::with_capacity(names.len());
    for table in &names {
        totals.push(count(&mut source.conn(), table).await?);
    }
    progress.start(totals.iter().sum());

    let mut with_ids = Vec::new();
    for table in &names {
        let from = columns(&mut source.conn(), table).await?;
        let to = columns(&mut tx.conn(), table).await?;
        if from.names != to.names {
            bail!(
                "the columns of {table} differ (are both from this version?): source {:?}, target {:?}",
                from.names,
                to.names
            );
        }
        if to.names.iter().any(|c| c == "id") {
            with_ids.push(table);
        }
        copy_table(&mut source.conn(), &mut tx, table, &to, progress).await?;
    }
    // Before the commit, so a difference rolls the copy back: rows the
    // target's triggers added or another writer put in would show here.
    let mut differ = Vec::new();
    for (table, want) in names.iter().zip(&totals) {
        let got = count(&mut tx.conn(), table).await?;
        if got != *want {
            differ.push(format!("{table}: {want} in the source, {got} in the copy"));
        }
    }
    if !differ.is_empty() {
        bail!(
            "the counts differ, so nothing was copied: {}",
            differ.join("; ")
        );
    }
    match tx {
        TargetTx::Sqlite(tx) => tx
            .commit()
            .await
            .context("the copy's commit failed; the target is left empty")?,
        TargetTx::Postgres(mut tx) => {
            // Copied ids were given explicitly; each identity's next value
            // must come after them, or the first new row collides.
            for table in with_ids {
                let sql = format!(
                    "select setval(s, coalesce((select max(id) from {t}), 0) + 1, false)
                     from (select pg_get_serial_sequence($1, 'id') as s) q where s is not null",
                    t = quote(table)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(table)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit()
                .await
                .context("the copy's commit failed; the target is left empty")?
        }
    }
    progress.finish();
    Ok(Report {
        counts: names.into_iter().zip(totals).collect(),
        secs: started.elapsed().as_secs_f64(),
    })
}

/// The target's open transaction.
enum TargetTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl TargetTx {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            TargetTx::Sqlite(tx) => Conn::Sqlite(tx),
            TargetTx::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

/// Streams `table` from `source` and inserts it into the target in
/// batches.
async fn copy_table(
    source: &mut Conn<'_>,
    tx: &mut TargetTx,
    table: &str,
    to: &Columns,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let list = to.list();
    let select = to.select_all(table);
    let per_batch = (BATCH_VALUES / to.names.len().max(1)).clamp(1, BATCH_ROWS);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_batch);
    macro_rules! drain {
        ($rows:expr) => {{
            let mut rows = $rows;
            while let Some(row) = rows.try_next().await? {
                batch.push(read_row(&row, table)?);
                if batch.len() == per_batch {
                    insert(tx, table, &list, to, &batch).await?;
                    progress.add(table, batch.len());
                    batch.clear();
                }
            }
        }};
    }
    match source {
        Conn::Sqlite(c) => drain!(sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut **c)),
        Conn::Postgres(c) => drain!(sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut **c)),
    }
    if !batch.is_empty() {
        insert(tx, table, &list, to, &batch).await?;
        progress.add(table, batch.len());
    }
    Ok(())
}

/// A source row as values, whatever its database.
fn read_row<R: sqlx::Row>(row: &R, table: &str) -> anyhow::Result<Vec<Value>>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database>,
{
    let mut values = Vec::with_capacity(row.len());
    for i in 0..row.len() {
        let raw = row.try_get_raw(i)?;
        if raw.is_null() {
            values.push(Value::Null);
            continue;
        }
        // The stored value's own type: a SQLite column may hold any.
        let ty = raw.type_info().name().to_ascii_uppercase();
        values.push(match ty.as_str() {
            "INTEGER" | "INT8" | "BIGINT" => Value::Int(row.try_get_unchecked(i)?),
            "INT4" | "INT" => Value::Int(row.try_get_unchecked::<i32, _>(i)?.into()),
            "BOOL" | "BOOLEAN" => Value::Int(row.try_get_unchecked::<bool, _>(i)?.into()),
            "REAL" | "FLOAT8" | "DOUBLE PRECISION" => Value::Real(row.try_get_unchecked(i)?),
            "TEXT" | "VARCHAR" => Value::Text(row.try_get_unchecked(i)?),
            "BLOB" | "BYTEA" => Value::Blob(row.try_get_unchecked(i)?),
            other => bail!(
                "{table}.{} holds a value of type {other}, which migrate-db does not move",
                row.columns()[i].name()
            ),
        });
    }
    Ok(values)
}

/// A value checked against the column it goes into.
fn fit(v: &Value, kind: Kind, table: &str, column: &str) -> anyhow::Result<Value> {
    Ok(match (v, kind) {
        (v, Kind::Any) => v.clone(),
        (Value::Null, _) => Value::Null,
        (Value::Int(n), Kind::Int | Kind::Bool) => Value::Int(*n),
        (Value::Int(n), Kind::Real) => Value::Real(*n as f64),
        (Value::Real(x), Kind::Real) => Value::Real(*x),
        // SQLite keeps a whole REAL that was written as one.
        (Value::Real(x), Kind::Int) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
            Value::Int(*x as i64)
        }
        (Value::Text(s), Kind::Text) => Value::Text(s.clone()),
        // FTS5 hands its unindexed columns back as text.
        (Value::Text(s), Kind::Int) if s.parse::<i64>().is_ok() => {
            Value::Int(s.parse().unwrap_or_default())
        }
        (Value::Blob(b), Kind::Blob) => Value::Blob(b.clone()),
        (v, kind) => bail!(
            "{table}.{column} holds {v:?}, which does not fit the target's {kind:?} column; nothing was copied"
        ),
    })
}

/// Inserts one batch into the target.
async fn insert(
    tx: &mut TargetTx,
    table: &str,
    list: &str,
    to: &Columns,
    batch: &[Vec<Value>],
) -> anyhow::Result<()> {
    let mut fitted = Vec::with_capacity(batch.len());
    for row in batch {
        let mut values = Vec::with_capacity(row.len());
        for ((v, kind), column) in row.iter().zip(&to.kinds).zip(&to.names) {
            values.push((fit(v, *kind, table, column)?, *kind));
        }
        fitted.push(values);
    }
    let head = format!("insert into {} ({list}) ", quote(table));
    match tx {
        TargetTx::Sqlite(tx) => {
            let mut q: QueryBuilder<sqlx::Sqlite> = QueryBuilder::new(head);
            q.push_values(&fitted, |mut b, row| {
                for (v, _) in row {
                    match v {
                        Value::Null => b.push_bind(None::<i64>),
                        Value::Int(n) => b.push_bind(*n),
                        Value::Real(x) => b.push_bind(*x),
                        Value::Text(s) => b.push_bind(s.clone()),
                        Value::Blob(x) => b.push_bind(x.clone()),
                    };
                }
            });
            q.build().execute(&mut **tx).await.map(|_| ())
        }
        TargetTx::Postgres(tx) => {
            let mut q: QueryBuilder<sqlx::Postgres> = QueryBuilder::new(head);
            q.push_values(&fitted, |mut b, row| {
                for (v, kind) in row {
                    // A null is typed as its column, or PostgreSQL refuses
                    // it ("column is of type text but expression is bigint").
                    match (v, kind) {
                        (Value::Null, Kind::Bool) => b.push_bind(None::<bool>),
                        (Value::Null, Kind::Real) => b.push_bind(None::<f64>),
                        (Value::Null, Kind::Text | Kind::Any) => b.push_bind(None::<String>),
                        (Value::Null, Kind::Blob) => b.push_bind(None::<Vec<u8>>),
                        (Value::Null, Kind::Int) => b.push_bind(None::<i64>),
                        (Value::Int(n), Kind::Bool) => b.push_bind(*n != 0),
                        (Value::Int(n), _) => b.push_bind(*n),
                        (Value::Real(x), _) => b.push_bind(*x),
                        (Value::Text(s), _) => b.push_bind(s.clone()),
                        (Value::Blob(x), _) => b.push_bind(x.clone()),
                    };
                }
            });
            q.build().execute(&mut **tx).await.map(|_| ())
        }
    }
    .with_context(|| format!("cannot insert into {table}; nothing was copied"))?;
    Ok(())
}

/// Progress on stderr: one line redrawn in place on a terminal, a line per
/// table otherwise (a log keeps them all).
struct Progress {
    total: i64,
    done: i64,
    table: String,
    table_done: i64,
    tty: bool,
    started: Instant,
    last_draw: Option<Instant>,
}

impl Progress {
    fn new() -> Self {
        Progress {
            total: 0,
            done: 0,
            table: String::new(),
            table_done: 0,
            tty: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_draw: None,
        }
    }

    fn start(&mut self, total: i64) {
        self.total = total;
        self.started = Instant::now();
        eprintln!("copying {total} rows");
    }

    fn add(&mut self, table: &str, n: usize) {
        if table != self.table {
            self.end_table();
            self.table = table.to_string();
            self.table_done = 0;
        }
        self.done += n as i64;
        self.table_done += n as i64;
        if self.tty
            && self
                .last_draw
                .is_none_or(|t| t.elapsed().as_millis() >= 100)
        {
            self.last_draw = Some(Instant::now());
            eprint!("\r\x1b[2K{}", self.bar());
        }
    }

    /// `[#######-------------]  35%  12,000 / 34,000 rows  error_entries`
    fn bar(&self) -> String {
        let share = self.share();
        let filled = (share * 24.0).round() as usize;
        format!(
            "[{}{}] {:>3.0}%  {} / {} rows  {}",
            "#".repeat(filled),
            "-".repeat(24 - filled.min(24)),
            share * 100.0,
            self.done,
            self.total,
            self.table
        )
    }

    /// The share of all rows copied so far.
    fn share(&self) -> f64 {
        if self.total > 0 {
            self.done as f64 / self.total as f64
        } else {
            1.0
        }
    }

    fn end_table(&mut self) {
        if !self.table.is_empty() && !self.tty {
            eprintln!(
                "{:>4.0}%  {}: {} row{}",
                self.share() * 100.0,
                self.table,
                self.table_done,
                if self.table_done == 1 { "" } else { "s" }
            );
        }
    }

    fn finish(&mut self) {
        self.end_table();
        if self.tty {
            eprintln!("\r\x1b[2K{}", self.bar());
        }
        eprintln!(
            "committed {} rows in {:.1} s",
            self.done,
            self.started.elapsed().as_secs_f64()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of every table of `db`, as values, table by table.
    async fn dump(source: &mut Source) -> Vec<(String, Vec<Vec<Value>>)> {
        let mut out = Vec::new();
        for table in tables(&mut source.conn()).await.unwrap() {
            let cols = columns(&mut source.conn(), &table).await.unwrap();
            let sql = cols.select_all(&table);
            let rows: Vec<Vec<Value>> = match source.conn() {
                Conn::Sqlite(c) => sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut *c)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| read_row(r, &table).unwrap())
                    .collect(),
                Conn::Postgres(c) => sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(&mut *c)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| read_row(r, &table).unwrap())
                    .collect(),
            };
            out.push((table, rows));
        }
        out
    }

    #[tokio::test]
    async fn the_source_is_read_from_one_snapshot_and_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.db").to_str().unwrap().to_string();
        let pool = crate::db::connect(&a).await.unwrap();
        let mut source = open_source(&Target::Sqlite(a.clone())).await.unwrap();
        let before = count(&mut source.conn(), "audit_log").await.unwrap();
        // A server writes while the copy reads: the copy does not see it.
        app::db::query(
            "insert into audit_log (occurred_at, actor, action, object_type, summary)
             values ('2026-12-07T00:00:00.000Z', 'cli', 'test', 'test', 'meanwhile')",
        )
        .execute(&pool)
        .await
        .unwrap();
        assert_eq!(
            count(&mut source.conn(), "audit_log").await.unwrap(),
            before
        );
        let Conn::Sqlite(c) = source.conn() else {
            unreachable!()
        };
        let e = sqlx::query("delete from audit_log")
            .execute(&mut *c)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("readonly"), "{e}");
        // A file the console never migrated is refused by what it lacks.
        let empty = dir.path().join("empty.db");
        std::fs::File::create(&empty).unwrap();
        let e = match open_source(&Target::Sqlite(empty.to_str().unwrap().into())).await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("an empty file was taken for a source"),
        };
        assert!(e.contains("has 0 of this version's"), "{e}");
    }

    #[tokio::test]
    async fn an_installation_goes_to_postgres_and_back_unchanged() {
        let Some(admin) = crate::db::tests::test_postgres() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.db").to_str().unwrap().to_string();
        let b = dir.path().join("b.db").to_str().unwrap().to_string();
        let pool = crate::db::connect(&a).await.unwrap();
        // Two days of a small installation's history: accounts, maps and
        // rules, errors through the real ingest, throughput, counts,
        // reconciliations, collector runs, the audit log.
        crate::bench::seed_history(&pool, 2, 3, 300).await.unwrap();
        // And the demo's environment: field mappings, conflict rules, alert
        // channels and rules (its simulator is not needed).
        for task in crate::demo::start(&pool).await.unwrap().tasks {
            task.abort();
        }
        pool.close().await;
        let pg = crate::db::scratch_postgres_database(&admin).await.unwrap();

        run(&a, &pg).await.unwrap();
        run(&pg, &format!("sqlite:{b}")).await.unwrap();

        let before = dump(&mut open_source(&Target::Sqlite(a.clone())).await.unwrap()).await;
        let after = dump(&mut open_source(&Target::Sqlite(b.clone())).await.unwrap()).await;
        let filled = before.iter().filter(|(_, rows)| !rows.is_empty()).count();
        assert!(filled >= 20, "only {filled} tables have rows");
        for ((table, rows), (_, again)) in before.iter().zip(&after) {
            assert_eq!(rows.len(), again.len(), "{table}");
            assert!(rows == again, "{table} changed on the way");
        }
        assert_eq!(before.len(), after.len());

        // PostgreSQL's ids go on after the copied ones.
        let Db::Postgres(p) = open_target(&Target::Postgres(pg.clone())).await.unwrap() else {
            unreachable!()
        };
        let most: i64 = sqlx::query_scalar("select max(id) from audit_log")
            .fetch_one(&p)
            .await
            .unwrap();
        let next: i64 = sqlx::query_scalar(
            "insert into audit_log (occurred_at, actor, action, object_type, summary)
             values ('2026-12-07T00:00:00.000Z', 'cli', 'test', 'test', 'after the copy') returning id",
        )
        .fetch_one(&p)
        .await
        .unwrap();
        assert_eq!(next, most + 1);

        // A target with rows is refused, and keeps them.
        let e = run(&a, &pg).await.unwrap_err().to_string();
        assert!(
            e.contains("already holds data") && e.contains("audit_log ("),
            "{e}"
        );
        let kept: i64 = sqlx::query_scalar("select count(*) from audit_log")
            .fetch_one(&p)
            .await
            .unwrap();
        assert_eq!(
            kept as usize,
            before.iter().find(|t| t.0 == "audit_log").unwrap().1.len() + 1
        );

        // Between two of a kind, or from nothing, it says what is wrong.
        let e = run(&a, &b).await.unwrap_err().to_string();
        assert!(e.contains("both SQLite"), "{e}");
        let e = run(dir.path().join("none.db").to_str().unwrap(), &pg)
            .await
            .unwrap_err()
            .to_string();
        assert!(e.contains("there is no SQLite file"), "{e}");
    }

    #[test]
    fn the_two_sides_are_told_apart_by_their_form() {
        assert_eq!(
            Target::parse("data/dw.db"),
            Ok(Target::Sqlite("data/dw.db".into()))
        );
        assert_eq!(
            Target::parse("sqlite:data/dw.db"),
            Ok(Target::Sqlite("sqlite:data/dw.db".into()))
        );
        assert_eq!(
            Target::parse("PostgreSQL://dw@db/dw"),
            Ok(Target::Postgres("PostgreSQL://dw@db/dw".into()))
        );
        assert!(
            Target::parse("mysql://db/dw")
                .unwrap_err()
                .contains("'mysql://'")
        );
        let named = Target::parse("postgres://dw:s3cret@db.example:5433/console")
            .unwrap()
            .describe();
        assert_eq!(named, "PostgreSQL database 'console' on db.example:5433");
    }

    #[test]
    fn a_value_must_fit_its_column() {
        let fits = |v: Value, k: Kind| fit(&v, k, "t", "c");
        assert_eq!(fits(Value::Int(1), Kind::Bool).unwrap(), Value::Int(1));
        assert_eq!(fits(Value::Int(2), Kind::Real).unwrap(), Value::Real(2.0));
        assert_eq!(fits(Value::Real(3.0), Kind::Int).unwrap(), Value::Int(3));
        assert_eq!(
            fits(Value::Text("12".into()), Kind::Int).unwrap(),
            Value::Int(12)
        );
        assert_eq!(fits(Value::Null, Kind::Text).unwrap(), Value::Null);
        assert_eq!(
            fits(Value::Text("x".into()), Kind::Any).unwrap(),
            Value::Text("x".into())
        );
        // SQLite let a column of integers hold a word; PostgreSQL will not,
        // and the message says where it is.
        let e = fits(Value::Text("many".into()), Kind::Int)
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.c") && e.contains("many"), "{e}");
        assert!(fits(Value::Real(1.5), Kind::Int).is_err());
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote("pass"), "\"pass\"");
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
