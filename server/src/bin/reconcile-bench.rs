//! `reconcile-bench`: the full keyed diff of N records per side with 1 %
//! real drift (plus representation-only differences that must not count).
//!
//! 1. The simulator's two sides are normalised in-process into canonical
//!    CSV files (key and compared fields): the same two datasets for both
//!    engines.
//! 2. The diff engine alone: both files streamed through digest, 64
//!    partition files per side and the partition-wise join.
//! 3. The peer: `reladiff` (from the Python package index) on the same two datasets loaded into
//!    `DuckDB` files, timed in the same run (loading not counted).
//! 4. End to end: a full diff through the simulator over loopback HTTP,
//!    with the real connector, into a throwaway database.
//!
//! `cargo run --release -p server --bin reconcile-bench -- [RECORDS]`;
//! `RELADIFF_PYTHON` names a Python with reladiff and duckdb (see
//! `make bench`).

use app::audit::server::Actor;
use server::bench::{arg, peak_rss_mib};
use server::connect::{Connector, RetryPolicy};
use server::reconcile::compare::Plan;
use server::reconcile::full::{DV, FO, Spill, run_full};
use server::reconcile::{Options, begin_run, target};
use server::simulator::tables::{self, Table};
use server::simulator::{SimConfig, serve};
use std::io::{BufRead as _, BufWriter, Write as _};
use std::time::{Duration, Instant};

fn csv_field(v: &Option<String>) -> String {
    match v {
        None => String::new(),
        Some(s) if s.contains([',', '"', '\n']) => format!("\"{}\"", s.replace('"', "\"\"")),
        Some(s) => s.clone(),
    }
}

/// FNV-1a of a line's fields after the key: the canonical record's digest.
fn digest(rest: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in rest.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let records: u64 = arg(1, 1_000_000);
    let dir = tempfile::tempdir()?;
    let mut config = SimConfig {
        lag: Duration::ZERO,
        ..SimConfig::default()
    };
    tables::set_records(&mut config.tables, &format!("CustomersV3={records}"))
        .map_err(anyhow::Error::msg)?;
    tables::set_drift(
        &mut config.tables,
        "CustomersV3:missing_dataverse=0.0025,missing_fo=0.0025,changed=0.0025,enum_mismatch=0.0025,precision=0.005,time_zone=0.005",
    )
    .map_err(anyhow::Error::msg)?;
    let map = app::maps::starter::starter_set().remove(0);
    let fields: Vec<_> = tables::field_mappings("CustCustomerV3Entity", "account");
    let plan = Plan::new(&map, &fields).map_err(anyhow::Error::msg)?;
    let now = chrono::Utc::now();
    let injected = tables::injected(&config, "CustomersV3", now);
    let real = injected.iter().filter(|(_, k)| k.is_real()).count();
    println!(
        "reconcile: {records} records a side, {real} with real drift ({:.2} %), {} representation-only",
        real as f64 / records as f64 * 100.0,
        injected.len() - real
    );

    // 1. The canonical datasets.
    let started = Instant::now();
    let table = Table::find(&config, "CustomersV3").expect("the table is served");
    let paths = [dir.path().join("fo.csv"), dir.path().join("dv.csv")];
    let mut lines = [0u64; 2];
    {
        let mut out = [
            BufWriter::new(std::fs::File::create(&paths[FO])?),
            BufWriter::new(std::fs::File::create(&paths[DV])?),
        ];
        let header = std::iter::once("id".to_string())
            .chain((0..plan.fields.len()).map(|i| format!("f{i}")))
            .collect::<Vec<_>>()
            .join(",");
        for o in &mut out {
            writeln!(o, "{header}")?;
        }
        for i in 0..table.records_at(now) {
            for side in [FO, DV] {
                let (exists, row) = if side == FO {
                    (table.fo_exists(i, now), table.fo_row(i, now))
                } else {
                    (table.dv_exists(i, now), table.dv_row(i, now))
                };
                if !exists {
                    continue;
                }
                let (key, values) = if side == FO {
                    (plan.fo_identity(&row), plan.fo_values(&row))
                } else {
                    (plan.dv_identity(&row), plan.dv_values(&row))
                };
                let mut line = key.unwrap_or_default();
                for v in &values {
                    line.push(',');
                    line.push_str(&csv_field(v));
                }
                writeln!(out[side], "{line}")?;
                lines[side] += 1;
            }
        }
        for o in &mut out {
            o.flush()?;
        }
    }
    let normalise = started.elapsed();
    println!(
        "normalise (generate JSON rows, canonical values, write CSV): {:.1} s, {:.0} records/s",
        normalise.as_secs_f64(),
        (lines[FO] + lines[DV]) as f64 / normalise.as_secs_f64()
    );

    // 2. The engine alone.
    let started = Instant::now();
    let mut spill = Spill::open(&dir.path().join("spill"), [&[], &[]])?;
    for side in [FO, DV] {
        let file =
            std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(&paths[side])?);
        for line in file.lines().skip(1) {
            let line = line?;
            let (key, rest) = line.split_once(',').unwrap_or((&line, ""));
            spill.add(side, key, digest(rest))?;
        }
    }
    let joined = spill.join(10_000)?;
    let engine = started.elapsed();
    let engine_rate = (lines[FO] + lines[DV]) as f64 / engine.as_secs_f64();
    anyhow::ensure!(
        (joined.missing_in_dataverse + joined.missing_in_fo + joined.differing) as usize == real,
        "the engine found {} drifting records, {real} were injected",
        joined.missing_in_dataverse + joined.missing_in_fo + joined.differing
    );
    println!(
        "engine alone (digest, 64 partitions a side, join): {:.2} s, {:.0} records/s; found {} missing in Dataverse, {} missing in F&O, {} differing — exactly the injected drift",
        engine.as_secs_f64(),
        engine_rate,
        joined.missing_in_dataverse,
        joined.missing_in_fo,
        joined.differing
    );
    println!("peak memory so far (VmHWM): {:.1} MiB", peak_rss_mib());

    // 3. reladiff on the same datasets, loaded into DuckDB files.
    let python = std::env::var("RELADIFF_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = dir.path().join("peer.py");
    std::fs::write(&script, PEER)?;
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(&paths[FO])
        .arg(&paths[DV])
        .arg(dir.path())
        .output();
    match out {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let secs: f64 = text
                .lines()
                .find_map(|l| l.strip_prefix("diff_seconds "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(f64::NAN);
            let keys: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("differing_keys "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            println!(
                "reladiff {} (DuckDB files, key + {} columns): {secs:.2} s, {:.0} records/s; {keys} differing keys",
                text.lines()
                    .find_map(|l| l.strip_prefix("version "))
                    .unwrap_or("?"),
                plan.fields.len(),
                (lines[FO] + lines[DV]) as f64 / secs
            );
            println!(
                "ratio: the engine alone is {:.1}× reladiff's speed (target ≥ 5×)",
                secs / engine.as_secs_f64()
            );
        }
        Ok(out) => println!(
            "reladiff: not run ({}); `make bench` installs it into a virtualenv",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("failed")
        ),
        Err(e) => println!("reladiff: not run ({python}: {e})"),
    }

    // 4. End to end through the simulator.
    let (_sim, addr, task) = serve("127.0.0.1:0".parse()?, config.clone()).await?;
    let pool =
        server::db::connect(dir.path().join("bench.db").to_str().unwrap_or("bench.db")).await?;
    let mut tx = pool.begin().await?;
    let input = app::environments::validate_environment("Bench", "", "", "USMF, DEMF")
        .map_err(|(_, m)| anyhow::anyhow!(m))?;
    app::environments::server::save(&mut tx, &Actor::cli(), None, &input).await?;
    let env = app::environments::server::by_name(&mut tx, "Bench").await?;
    app::maps::server::apply_starter(&mut tx, &Actor::cli(), &env).await?;
    let map_id: i64 = sqlx::query_scalar("select id from table_maps where name = 'Customers V3'")
        .fetch_one(&mut *tx)
        .await?;
    app::rules::server::import_fields(&mut tx, &Actor::cli(), map_id, &fields, "bench").await?;
    tx.commit().await?;
    let url = format!("http://{addr}");
    let connector = Connector::new(
        server::simulator::connection(&url, "demo"),
        RetryPolicy::default(),
    )?;
    let opts = Options {
        recheck_after: Duration::ZERO,
        work_dir: dir.path().join("work"),
        requested_by: "bench".into(),
    };
    let t = target(&pool, &connector, map_id).await?;
    let started = Instant::now();
    let run_id = begin_run(&pool, map_id, "full", None, &opts).await?;
    let run = run_full(&pool, &connector, &t, run_id, &opts).await?;
    let e2e = started.elapsed();
    anyhow::ensure!(
        run.drifting() as usize == real,
        "end to end found {} drifting records, {real} were injected",
        run.drifting()
    );
    println!(
        "end to end (simulator over loopback HTTP, connector, normalise, spill, join, read back {} differing records by key): {:.1} s, {:.0} records/s",
        run.drifting(),
        e2e.as_secs_f64(),
        (run.fo_read + run.dataverse_read) as f64 / e2e.as_secs_f64()
    );
    println!(
        "peak memory (VmHWM, whole process incl. simulator): {:.1} MiB",
        peak_rss_mib()
    );
    task.abort();
    Ok(())
}

/// The peer: loads both CSVs into `DuckDB` files, then times `reladiff`.
const PEER: &str = r#"
import sys, time, duckdb, importlib.metadata
from reladiff import connect_to_table, diff_tables
fo, dv, work = sys.argv[1], sys.argv[2], sys.argv[3]
cols = None
for name, path in (("fo", fo), ("dv", dv)):
    db = f"{work}/{name}.duckdb"
    c = duckdb.connect(db)
    c.execute(f"create table t as select * from read_csv('{path}', header=true, all_varchar=true)")
    cols = [r[0] for r in c.execute("describe t").fetchall() if r[0] != "id"]
    c.close()
a = connect_to_table(f"duckdb://{work}/fo.duckdb", "t", "id", extra_columns=tuple(cols))
b = connect_to_table(f"duckdb://{work}/dv.duckdb", "t", "id", extra_columns=tuple(cols))
start = time.time()
keys = set(row[1][0] for row in diff_tables(a, b))
print("diff_seconds", time.time() - start)
print("differing_keys", len(keys))
print("version", importlib.metadata.version("reladiff"))
"#;
