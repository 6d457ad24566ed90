//! `probe-bench`: the figures behind the hostile probe's fixes.
//!
//! 1. Large details: 100 entries with 100 kB of detail each (a Dataverse
//!    error envelope with non-ASCII text). Times the classifier's detail
//!    scan as it was (every rule over the whole detail) against the
//!    bounded one (error codes over the first 64 KiB), on the same input,
//!    and then the real HTTP ingest of the batch.
//! 2. Memory: starts the release `dwconsole serve` as a child process and
//!    puts 60 s of mixed load on it (error batches, large details,
//!    throughput, page views, failed sign-ins), then reads the child's
//!    resident and peak memory and the size of its WAL file.
//!
//! `cargo build --release -p server && target/release/probe-bench [SECONDS]`

use regex::RegexSet;
use serde_json::json;
use server::bench::{arg, error_message};
use std::io::BufRead as _;
use std::time::{Duration, Instant};

/// A Dataverse error envelope padded to about `bytes` with a localised
/// stack trace, as a German F&O client writes it.
fn detail(i: usize, bytes: usize) -> String {
    let line = "   bei Microsoft.Dynamics.Integrator.DualWriteRuntime.Plugins.PreCommmitPlugin.Execute() – Datensatz für Kunde US-{i} konnte nicht überprüft werden; Währung: € ";
    let mut trace = String::with_capacity(bytes);
    while trace.len() < bytes {
        trace.push_str(&line.replace("{i}", &i.to_string()));
        trace.push('\n');
    }
    json!({ "error": { "code": "0x80040265", "message": "Fehler im Plug-in", "trace": trace } })
        .to_string()
}

fn status_kib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = arg(1, 60);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("probe.db").to_string_lossy().to_string();
    let pool = server::db::connect(&db).await?;
    let server::bench::Seeded { token, session } =
        server::bench::seed(&pool, "Bench", "USMF").await?;
    pool.close().await;

    // ---- 1. the classifier's detail scan, before and after ----
    let details: Vec<String> = (0..100).map(|i| detail(i, 100_000)).collect();
    let old = RegexSet::new(app::errors::classify::patterns())?;
    let start = Instant::now();
    let mut found = 0;
    for d in &details {
        found += old.matches(d).iter().count().min(1);
    }
    let before = start.elapsed();
    let start = Instant::now();
    let mut same = 0;
    for d in &details {
        let c = app::errors::classify::classify("Sync failed", d);
        same += usize::from(c.category == app::errors::Category::PluginThrow);
    }
    let after = start.elapsed();
    anyhow::ensure!(found == 100 && same == 100, "both scans must find the code");
    println!("detail scan, 100 entries x 100 kB (non-ASCII):");
    println!(
        "  every rule over the whole detail (before): {:8.1} ms",
        before.as_secs_f64() * 1000.0
    );
    println!(
        "  codes over the first 64 KiB (after):       {:8.1} ms   ({:.0}x faster)",
        after.as_secs_f64() * 1000.0,
        before.as_secs_f64() / after.as_secs_f64().max(1e-9)
    );

    // ---- the server as a child process ----
    let bin = std::env::current_exe()?.with_file_name("dwconsole");
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: run `cargo build --release -p server` first",
        bin.display()
    );
    let mut child = std::process::Command::new(&bin)
        .args([
            "serve",
            "--no-demo",
            "--bind",
            "127.0.0.1:0",
            "--database",
            &db,
        ])
        .env("APP_LOG", "error")
        .env("APP_MAX_CONNECTIONS", "1024")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let pid = child.id();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line)?;
    let base = line
        .trim()
        .rsplit(' ')
        .next()
        .filter(|u| u.starts_with("http://"))
        .ok_or_else(|| anyhow::anyhow!("the server did not say where it listens: {line}"))?
        .to_string();
    let client = reqwest::Client::new();

    let big = json!({
        "environment": "Bench",
        "entries": details.iter().enumerate().map(|(i, d)| json!({
            "id": format!("big-{i}"),
            "occurred_at": chrono::Utc::now().to_rfc3339(),
            "map": "Customers V3",
            "message": "Sync failed",
            "detail": d,
        })).collect::<Vec<_>>(),
    });
    let start = Instant::now();
    let res = client
        .post(format!("{base}/api/v1/errors"))
        .bearer_auth(&token)
        .json(&big)
        .send()
        .await?;
    let ingest = start.elapsed();
    anyhow::ensure!(
        res.status().is_success(),
        "large batch: {}",
        res.text().await?
    );
    println!(
        "HTTP ingest of that batch (10 MB):           {:8.1} ms",
        ingest.as_secs_f64() * 1000.0
    );
    println!(
        "server memory after start and one large batch: {:.0} MiB resident",
        status_kib(pid, "VmRSS:") / 1024.0
    );

    // ---- 2. mixed load ----
    let until = Instant::now() + Duration::from_secs(seconds);
    let counts = std::sync::Arc::new([
        std::sync::atomic::AtomicUsize::new(0),
        std::sync::atomic::AtomicUsize::new(0),
    ]);
    let mut tasks = Vec::new();
    for kind in 0..5usize {
        let (client, base, token, session, counts) = (
            client.clone(),
            base.clone(),
            token.clone(),
            session.clone(),
            counts.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while Instant::now() < until {
                n += 1;
                let now = chrono::Utc::now();
                let req = match kind {
                    // Error batches of 500 ordinary entries.
                    0 => client
                        .post(format!("{base}/api/v1/errors"))
                        .bearer_auth(&token)
                        .json(&json!({
                            "environment": "Bench",
                            "entries": (0..500).map(|i| json!({
                                "id": format!("m-{n}-{i}"),
                                "occurred_at": (now - chrono::Duration::seconds(i)).to_rfc3339(),
                                "map": "Customers V3",
                                "record_key": format!("US-{n}-{i}"),
                                "message": error_message(i as usize % 40, n * 1000 + i as usize),
                                "detail": {"row": i, "text": "x".repeat(2000)},
                            })).collect::<Vec<_>>(),
                        })),
                    // Batches of 15 entries with large details.
                    1 => client
                        .post(format!("{base}/api/v1/errors"))
                        .bearer_auth(&token)
                        .json(&json!({
                            "environment": "Bench",
                            "entries": (0..15).map(|i| json!({
                                "id": format!("l-{n}-{i}"),
                                "occurred_at": now.to_rfc3339(),
                                "message": "Sync failed",
                                "detail": detail(i, 300_000),
                            })).collect::<Vec<_>>(),
                        })),
                    // Throughput.
                    2 => client
                        .post(format!("{base}/api/v1/throughput"))
                        .bearer_auth(&token)
                        .json(&json!({
                            "environment": "Bench",
                            "items": (0..100).map(|i| json!({
                                "id": format!("t-{n}-{i}"),
                                "map": "Customers V3",
                                "direction": "fo_to_dataverse",
                                "minute": (now - chrono::Duration::minutes(i)).to_rfc3339(),
                                "synced": 100 + i,
                                "failed": i % 3,
                                "latency_ms": [12.0, 40.0, 300.0],
                            })).collect::<Vec<_>>(),
                        })),
                    // Pages.
                    3 => {
                        let path = [
                            "/",
                            "/errors?env=Bench",
                            "/trends?env=Bench",
                            "/review?env=Bench",
                        ][n % 4];
                        client
                            .get(format!("{base}{path}"))
                            .header("cookie", format!("dwc_session={session}"))
                    }
                    // Failed sign-ins.
                    _ => client
                        .post(format!("{base}/sfn/login"))
                        .header("origin", &base)
                        .form(&[
                            ("email", format!("nobody{n}@example.com")),
                            ("password", "wrong".into()),
                        ]),
                };
                let ok = req.send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                let good = match kind {
                    4 => ok == 422 || ok == 429,
                    _ => (200..300).contains(&ok),
                };
                counts[usize::from(!good)].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let rss = status_kib(pid, "VmRSS:") / 1024.0;
    let hwm = status_kib(pid, "VmHWM:") / 1024.0;
    let wal = std::fs::metadata(format!("{db}-wal"))
        .map(|m| m.len())
        .unwrap_or(0) as f64
        / 1048576.0;
    let dbsize = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    println!(
        "mixed load for {seconds} s (5 clients: error batches, large details, throughput, pages, failed sign-ins):"
    );
    println!(
        "  requests: {} as expected, {} not",
        counts[0].load(std::sync::atomic::Ordering::Relaxed),
        counts[1].load(std::sync::atomic::Ordering::Relaxed)
    );
    println!("  server memory: {rss:.0} MiB resident now, {hwm:.0} MiB peak");
    println!("  database {dbsize:.0} MiB, WAL {wal:.1} MiB right after the load");
    // The idle checkpoint runs once a minute.
    tokio::time::sleep(Duration::from_secs(65)).await;
    let wal = std::fs::metadata(format!("{db}-wal"))
        .map(|m| m.len())
        .unwrap_or(0) as f64
        / 1048576.0;
    println!(
        "  after a minute idle: WAL {wal:.1} MiB, server memory {:.0} MiB resident",
        status_kib(pid, "VmRSS:") / 1024.0
    );
    let _ = std::process::Command::new("kill")
        .arg(pid.to_string())
        .status();
    let _ = child.wait();
    Ok(())
}
