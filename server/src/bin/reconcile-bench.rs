//! `reconcile-bench`: the full keyed diff of N records per side with 1 %
//! real drift (plus representation-only differences that must not count).
//!
//! 1. The simulator's rows for both sides, generated in-process and
//!    normalised (identity, digest of the canonical fields; timed apart
//!    from generating them), are written as canonical CSV files: the same
//!    two datasets for the engine and its peers.
//! 2. The diff engine alone: both files streamed through digest, 64
//!    partition files per side and the partition-wise join.
//! 3. The peers, in the same run, on the same CSVs: `reladiff`'s
//!    `joindiff` with both tables in one `DuckDB` file, a `DuckDB` full
//!    outer join on those tables, and the same join straight from the
//!    CSVs. The load is timed apart; every tool's counts must equal the
//!    injected drift.
//! 4. End to end: a full diff through the simulator over loopback HTTP,
//!    with the real connector, into a throwaway database, with where its
//!    time went.
//!
//! `cargo run --release -p server --bin reconcile-bench -- [RECORDS]`;
//! `RELADIFF_PYTHON` names a Python with reladiff and duckdb (see
//! `make bench`).

use app::audit::server::Actor;
use server::bench::{arg, full_diff_through_simulator, peak_rss_mib};
use server::reconcile::compare::Plan;
use server::reconcile::full::{DV, FO, Spill};
use server::simulator::SimConfig;
use server::simulator::tables::{self, Table};
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

    // 1. The canonical datasets. The rows are generated a chunk at a time
    // (the simulator's work), then normalised as a full diff does it —
    // identity and the digest of the canonical fields — and timed apart;
    // writing the CSV lines is the bench's own scaffolding, untimed.
    let table = Table::find(&config, "CustomersV3").expect("the table is served");
    let paths = [dir.path().join("fo.csv"), dir.path().join("dv.csv")];
    let mut lines = [0u64; 2];
    let (mut generate, mut normalise) = (Duration::ZERO, Duration::ZERO);
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
        let total = table.records_at(now);
        for first in (0..total).step_by(10_000) {
            for side in [FO, DV] {
                let clock = Instant::now();
                let rows: Vec<serde_json::Value> = (first..(first + 10_000).min(total))
                    .filter(|&i| {
                        if side == FO {
                            table.fo_exists(i, now)
                        } else {
                            table.dv_exists(i, now)
                        }
                    })
                    .map(|i| {
                        if side == FO {
                            table.fo_row(i, now)
                        } else {
                            table.dv_row(i, now)
                        }
                    })
                    .collect();
                generate += clock.elapsed();
                let clock = Instant::now();
                for row in &rows {
                    let (key, digest) = if side == FO {
                        (plan.fo_identity(row), plan.fo_digest(row))
                    } else {
                        (plan.dv_identity(row), plan.dv_digest(row))
                    };
                    std::hint::black_box((key, digest));
                }
                normalise += clock.elapsed();
                for row in &rows {
                    let (key, values) = if side == FO {
                        (plan.fo_identity(row), plan.fo_values(row))
                    } else {
                        (plan.dv_identity(row), plan.dv_values(row))
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
        }
        for o in &mut out {
            o.flush()?;
        }
    }
    let records_both = (lines[FO] + lines[DV]) as f64;
    println!(
        "generate (the simulator's JSON rows, both sides): {:.1} s",
        generate.as_secs_f64()
    );
    println!(
        "normalise {} records (identity and digest of the canonical fields, as a full diff does): {:.2} s, {:.0} records/s (target < 5 s for 2 M)",
        records_both,
        normalise.as_secs_f64(),
        records_both / normalise.as_secs_f64()
    );

    // 2. The engine alone.
    let started = Instant::now();
    let mut spill = Spill::open(&dir.path().join("spill"), [&[], &[]])?;
    for side in [FO, DV] {
        let mut file =
            std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(&paths[side])?);
        // One line buffer for the whole file, the header skipped.
        let mut line = String::new();
        file.read_line(&mut line)?;
        loop {
            line.clear();
            if file.read_line(&mut line)? == 0 {
                break;
            }
            let record = line.trim_end_matches('\n');
            let (key, rest) = record.split_once(',').unwrap_or((record, ""));
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

    // 3. The peers on the same datasets, in the same run.
    let expected = [
        joined.missing_in_dataverse,
        joined.missing_in_fo,
        joined.differing,
    ];
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
            let peer = Peer(&text);
            println!(
                "peers: reladiff {}, DuckDB {} ({} threads; the engine uses one)",
                peer.word("version"),
                peer.word("duckdb"),
                peer.word("threads")
            );
            let load = peer.secs("load_seconds");
            println!(
                "  loading both CSVs into one DuckDB file (parse, store; not in the timings below): {load:.2} s"
            );
            let rows = (lines[FO] + lines[DV]) as f64;
            let e = engine.as_secs_f64();
            for (key, what) in [
                (
                    "joindiff",
                    "reladiff joindiff (both tables in that DuckDB file)",
                ),
                ("sql_loaded", "DuckDB full outer join on the loaded tables"),
                (
                    "sql_csv",
                    "DuckDB full outer join straight from the CSVs (parsing included)",
                ),
            ] {
                let secs = peer.secs(&format!("{key}_seconds"));
                let found = peer.counts(key);
                let shown = found.map_or_else(|| "no counts".to_string(), |f| format!("{f:?}"));
                let check = if found == Some(expected) {
                    "= the injected drift".to_string()
                } else {
                    format!("≠ the injected drift {expected:?}: WRONG")
                };
                println!(
                    "  {what}: {secs:.2} s, {:.0} records/s; found {shown} {check}; engine / peer time {:.2} (below 1: the engine is faster)",
                    rows / secs,
                    e / secs
                );
                anyhow::ensure!(
                    found == Some(expected),
                    "{what} found {found:?}, the injected drift is {expected:?}"
                );
            }
            println!(
                "  engine alone (reads its CSVs, as the last peer does): {e:.2} s; target: level with DuckDB's join on the CSVs"
            );
        }
        Ok(out) => println!(
            "peers: not run ({}); `make bench` installs reladiff and DuckDB into a virtualenv",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("failed")
        ),
        Err(e) => println!("peers: not run ({python}: {e})"),
    }

    // 4. End to end through the simulator.
    let pool =
        server::db::connect(dir.path().join("bench.db").to_str().unwrap_or("bench.db")).await?;
    let mut tx = pool.begin().await?;
    let input = app::environments::validate_environment("Bench", "", "", "USMF, DEMF")
        .map_err(|(_, m)| anyhow::anyhow!(m))?;
    app::environments::server::save(&mut tx, &Actor::cli(), None, &input).await?;
    let env = app::environments::server::by_name(&mut tx, "Bench").await?;
    app::maps::server::apply_starter(&mut tx, &Actor::cli(), &env).await?;
    let map_id: i64 =
        app::db::query_scalar("select id from table_maps where name = 'Customers V3'")
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    let (run, phases, e2e) =
        full_diff_through_simulator(&pool, map_id, config.clone(), dir.path().join("work")).await?;
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
    let phase_list = [
        (
            "fetch (the in-process simulator building pages, HTTP, JSON parsing)",
            phases.fetch,
        ),
        ("normalise (identity, canonical digest)", phases.normalise),
        ("spill (partition files)", phases.spill),
        ("checkpoint after each page", phases.checkpoint),
        ("join", phases.join),
        ("re-read differing records by key", phases.reread),
    ];
    let accounted: Duration = phase_list.iter().map(|(_, d)| *d).sum();
    for (what, d) in phase_list {
        println!(
            "  {what}: {:.2} s ({:.0} %)",
            d.as_secs_f64(),
            100.0 * d.as_secs_f64() / e2e.as_secs_f64()
        );
    }
    println!(
        "  the rest (starting the run, counts, saving the result): {:.2} s",
        (e2e.saturating_sub(accounted)).as_secs_f64()
    );
    println!(
        "peak memory (VmHWM, whole process incl. simulator): {:.1} MiB",
        peak_rss_mib()
    );
    Ok(())
}

/// The peer script's output: `name value…` lines.
struct Peer<'a>(&'a str);

impl Peer<'_> {
    fn values(&self, name: &str) -> Option<Vec<&str>> {
        self.0.lines().find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(name)).then(|| words.collect())
        })
    }

    fn word(&self, name: &str) -> String {
        self.values(name)
            .and_then(|v| v.first().map(|w| w.to_string()))
            .unwrap_or_else(|| "?".into())
    }

    fn secs(&self, name: &str) -> f64 {
        self.word(name).parse().unwrap_or(f64::NAN)
    }

    /// Missing in Dataverse, missing in F&O, differing.
    fn counts(&self, name: &str) -> Option<[i64; 3]> {
        let v: Vec<i64> = self
            .values(name)?
            .iter()
            .filter_map(|w| w.parse().ok())
            .collect();
        v.try_into().ok()
    }
}

/// The peers, on the same two canonical CSVs, each result counted the way
/// the engine counts (missing in Dataverse, missing in F&O, differing):
///
/// - `reladiff`'s same-database `joindiff`, both tables loaded into one
///   `DuckDB` file (the load timed apart);
/// - a `DuckDB` SQL full outer join on those loaded tables;
/// - the same join straight from the CSV files (parsing included, as the
///   engine's timer includes reading its CSVs).
const PEER: &str = r#"
import sys, time, duckdb, importlib.metadata
from reladiff import connect, connect_to_table, diff_tables
fo, dv, work = sys.argv[1], sys.argv[2], sys.argv[3]
print("version", importlib.metadata.version("reladiff"))
print("duckdb", duckdb.__version__)
db = f"{work}/both.duckdb"
start = time.time()
c = duckdb.connect(db)
for name, path in (("fo", fo), ("dv", dv)):
    c.execute(f"create table {name} as select * from read_csv('{path}', header=true, all_varchar=true)")
print("threads", c.execute("select current_setting('threads')").fetchone()[0])
cols = [r[0] for r in c.execute("describe fo").fetchall() if r[0] != "id"]
c.close()
print("load_seconds", time.time() - start)

both = connect(f"duckdb://{db}")
a = connect_to_table(both, "fo", "id", extra_columns=tuple(cols))
b = connect_to_table(both, "dv", "id", extra_columns=tuple(cols))
start = time.time()
minus, plus = set(), set()
for sign, row in diff_tables(a, b, algorithm="joindiff"):
    (minus if sign == "-" else plus).add(row[0])
print("joindiff_seconds", time.time() - start)
print("joindiff", len(minus - plus), len(plus - minus), len(minus & plus))
both.close()

differs = " or ".join(f"f.{x} is distinct from d.{x}" for x in cols)
def join(source_fo, source_dv):
    return f"""select count(*) filter (where d.id is null),
                      count(*) filter (where f.id is null),
                      count(*) filter (where f.id is not null and d.id is not null and ({differs}))
               from {source_fo} f full outer join {source_dv} d on f.id = d.id"""
c = duckdb.connect(db, read_only=True)
start = time.time()
r = c.execute(join("fo", "dv")).fetchone()
print("sql_loaded_seconds", time.time() - start)
print("sql_loaded", *r)
c.close()
c = duckdb.connect()
start = time.time()
r = c.execute(join(f"read_csv('{fo}', header=true, all_varchar=true)", f"read_csv('{dv}', header=true, all_varchar=true)")).fetchone()
print("sql_csv_seconds", time.time() - start)
print("sql_csv", *r)
"#;
