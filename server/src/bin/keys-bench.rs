//! `keys-bench`: collects the keys of N records from each side — F&O
//! `CustomersV3` and Dataverse `accounts` — through the simulator over
//! loopback HTTP with the real connector (token, pacing, paging), and
//! prints records/s per side and peak memory.
//!
//! `cargo run --release -p server --bin keys-bench -- [RECORDS]`

use server::bench::{arg, peak_rss_mib};
use server::connect::{Connector, RetryPolicy};
use server::simulator::{SimConfig, TableConfig, serve};
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let records: u64 = arg(1, 1_000_000);
    let (_sim, addr, task) = serve(
        "127.0.0.1:0".parse()?,
        SimConfig {
            tables: [("CustomersV3".to_string(), TableConfig::fixed(records))].into(),
            ..SimConfig::default()
        },
    )
    .await?;
    let url = format!("http://{addr}");
    let connector = Connector::new(
        server::simulator::connection(&url, "demo"),
        RetryPolicy::default(),
    )?;

    // Keys are checksummed, not kept, as a count or a keyed diff would
    // stream them: memory should not grow with the table.
    let start = Instant::now();
    let (mut fo_n, mut fo_sum) = (0u64, 0u64);
    connector
        .fo_keys(&url, "CustomersV3", "CustomerAccount", |k| {
            fo_n += 1;
            fo_sum = fo_sum.wrapping_add(k.len() as u64);
        })
        .await?;
    let fo_time = start.elapsed();

    let start = Instant::now();
    let (mut dv_n, mut dv_sum) = (0u64, 0u64);
    connector
        .dataverse_keys("accounts", "accountnumber", |k| {
            dv_n += 1;
            dv_sum = dv_sum.wrapping_add(k.len() as u64);
        })
        .await?;
    let dv_time = start.elapsed();
    anyhow::ensure!(
        fo_n == records && dv_n == records,
        "read {fo_n} / {dv_n} of {records}"
    );
    anyhow::ensure!(fo_sum == dv_sum, "the two sides' keys differ");

    let counted = Instant::now();
    let dv_count = connector
        .dataverse_count("accounts", "accountnumber")
        .await?;
    let fo_count = connector.fo_count(&url, "CustomersV3").await?;
    let count_time = counted.elapsed();

    println!(
        "keys: {records} records a side through the simulator over loopback HTTP (connector with token, pacing, paging)"
    );
    println!(
        "F&O CustomersV3 (10,000-row server pages): {:.1} s, {:.0} records/s",
        fo_time.as_secs_f64(),
        records as f64 / fo_time.as_secs_f64()
    );
    println!(
        "Dataverse accounts (odata.maxpagesize=5000): {:.1} s, {:.0} records/s",
        dv_time.as_secs_f64(),
        records as f64 / dv_time.as_secs_f64()
    );
    println!(
        "counts: F&O /$count {fo_count}, Dataverse by paging keys (over 5,000) {dv_count}, both in {:.1} s",
        count_time.as_secs_f64()
    );
    println!(
        "peak memory (VmHWM, simulator and connector in one process): {:.1} MiB",
        peak_rss_mib()
    );
    task.abort();
    Ok(())
}
