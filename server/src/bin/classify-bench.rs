//! `classify-bench`: the error classifier's accuracy and speed.
//!
//! Prints, in one run: accuracy on the held-out corpus for the shipped
//! classifier and for the rules alone (the classifier before the model),
//! 10-fold cross-validation on the development part (what tuning looked
//! at), classification throughput on one core over the corpus repeated to
//! `MESSAGES`, and ingest rows/s into the error queue (in-process
//! `store_batch`, 1,000-entry transactions) with the rules alone and with
//! the model, alternating rounds on fresh databases so both see the same
//! machine.
//!
//! `cargo run --release -p server --bin classify-bench -- [MESSAGES] [INGEST_ENTRIES] [ROUNDS]`

use app::errors::Category;
use app::errors::classify::{
    RULES_ONLY, Scores, classify, corpus, corpus_rows, cross_validate, rules_only_model,
    shipped_model,
};
use server::bench::arg;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let (messages, ingest_entries, rounds) =
        (arg(1, 1_000_000usize), arg(2, 100_000usize), arg(3, 2usize));
    let held_out = corpus_rows(corpus::HELD_OUT);
    let dev = corpus_rows(corpus::DEV);

    println!("## Accuracy\n");
    println!(
        "Corpus: {} development + {} held-out messages (and {} of the domain reference, trained on).\n",
        dev.len(),
        held_out.len(),
        corpus_rows(corpus::REFERENCE).len()
    );
    println!("### Held-out, shipped classifier (rules, then the model)\n");
    println!("{}", Scores::of(shipped_model(), &held_out).markdown());
    println!("### Held-out, rules alone (the classifier before the model)\n");
    println!("{}", Scores::of(rules_only_model(), &held_out).markdown());
    println!("### Development part, 10-fold cross-validation\n");
    println!("{}", cross_validate(10).markdown());

    // ---- throughput on one core ----
    let all: Vec<String> = dev
        .iter()
        .chain(held_out.iter())
        .map(|(m, _)| m.clone())
        .collect();
    let _ = classify(&all[0], ""); // trains the model outside the timer
    let start = Instant::now();
    for i in 0..messages {
        let _ = app::errors::classify::classify_with(rules_only_model(), &all[i % all.len()], "");
    }
    let rules_took = start.elapsed();
    let start = Instant::now();
    let mut others = 0usize;
    for i in 0..messages {
        if classify(&all[i % all.len()], "").category == Category::Other {
            others += 1;
        }
    }
    let took = start.elapsed();
    println!("## Throughput\n");
    println!(
        "{messages} messages (the corpus repeated) on one core: {:.2} s, {:.0} messages/s ({:.1} µs each; {others} other)\n",
        took.as_secs_f64(),
        messages as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / messages as f64
    );
    println!(
        "the rules alone: {:.2} s, {:.0} messages/s ({:.1} µs each)\n",
        rules_took.as_secs_f64(),
        messages as f64 / rules_took.as_secs_f64(),
        rules_took.as_secs_f64() * 1e6 / messages as f64
    );

    // ---- ingest, rules alone vs with the model ----
    let mut rules = Vec::new();
    let mut model = Vec::new();
    for round in 0..rounds {
        for rules_only in [true, false] {
            RULES_ONLY.store(rules_only, Ordering::Relaxed);
            let t = ingest(&all, ingest_entries, round).await?;
            if rules_only { &mut rules } else { &mut model }.push(t);
        }
    }
    RULES_ONLY.store(false, Ordering::Relaxed);
    let rate = |ts: &[Duration]| {
        let best = ts.iter().min().copied().unwrap_or_default();
        ingest_entries as f64 / best.as_secs_f64()
    };
    let (before, after) = (rate(&rules), rate(&model));
    println!("## Ingest\n");
    println!(
        "{ingest_entries} entries in 1,000-entry transactions, best of {rounds} alternating rounds:\n\
         rules alone {before:.0} entries/s, with the model {after:.0} entries/s: {:.1} % of before\n",
        after / before * 100.0
    );
    Ok(())
}

/// Stores `n` entries (corpus messages with record numbers) into a fresh
/// database through the error queue's store, timed.
async fn ingest(messages: &[String], n: usize, round: usize) -> anyhow::Result<Duration> {
    use app::errors::server::{Commit, Origin, ValidEntry, store_batch};
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db").to_string_lossy().to_string();
    let pool = server::db::connect(&db).await?;
    server::bench::seed(&pool, "Bench", "USMF").await?;
    let env: i64 = app::db::query_scalar("select id from environments")
        .fetch_one(&pool)
        .await?;
    let actor = app::audit::server::Actor::cli();
    let start = chrono::Utc::now() - chrono::Duration::days(30);
    let entries: Vec<ValidEntry> = (0..n)
        .map(|i| ValidEntry {
            client_id: format!("{round}-{i}"),
            occurred_at: app::db::db_time(
                start + chrono::Duration::seconds((i as i64 * 7919) % 2_500_000),
            ),
            map_id: None,
            direction: app::errors::ErrorDirection::FoToDataverse,
            record_key: format!("US-{i:07}"),
            legal_entity: "USMF".into(),
            message: format!("{} (record US-{i:07})", messages[i % messages.len()]),
            detail: None,
        })
        .collect();
    let sweeps = app::errors::server::Sweeps::default();
    let timer = Instant::now();
    for chunk in entries.chunks(1000) {
        store_batch(
            &pool,
            &sweeps,
            env,
            chunk.to_vec(),
            Origin {
                actor: &actor,
                source: app::errors::Source::Api,
                source_ref: "bench",
            },
            Commit::default(),
            &mut |_| {},
            async |_, _| Ok(()),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let took = timer.elapsed();
    pool.close().await;
    Ok(took)
}
