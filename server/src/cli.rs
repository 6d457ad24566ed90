//! The administrative subcommands: `user add` and `token add`. Each opens the
//! database (creating and migrating it if needed), acts, and records the
//! change in the audit log as the actor `cli`.

use crate::config::CommonSettings;
use anyhow::{Context as _, bail};
use app::audit::server::Actor;
use app::auth::Role;
use std::io::IsTerminal as _;

/// `dwconsole user add --email E --role R`; the password comes from
/// `APP_PASSWORD` or an interactive prompt, never from a flag (flags end up
/// in shell history and process lists).
pub async fn user_add(common: &CommonSettings, email: &str, role: &str) -> anyhow::Result<()> {
    let role: Role = role
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--role: {e}"))?;
    let password = match std::env::var("APP_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::stdin().is_terminal() => {
            let p = rpassword::prompt_password(format!("Password for {email}: "))?;
            let again = rpassword::prompt_password("Repeat it: ")?;
            if p != again {
                bail!("the two passwords do not match");
            }
            p
        }
        Err(_) => {
            bail!("set APP_PASSWORD or run this command in a terminal to be asked for the password")
        }
    };
    let pool = crate::db::connect(&common.database).await?;
    let mut tx = app::db::begin_write(&pool).await?;
    let id = app::users::server::create(&mut tx, &Actor::cli(), email, password, role)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await.context("cannot save the user")?;
    println!(
        "added user {id}: {} as {role}",
        email.trim().to_ascii_lowercase()
    );
    Ok(())
}

/// `dwconsole token add --name N`: prints the secret once on stdout.
pub async fn token_add(common: &CommonSettings, name: &str) -> anyhow::Result<()> {
    let pool = crate::db::connect(&common.database).await?;
    let mut tx = app::db::begin_write(&pool).await?;
    let (_, secret) = app::tokens::server::create(&mut tx, &Actor::cli(), name)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await.context("cannot save the token")?;
    eprintln!(
        "API token '{}' created. Copy it now; it is not shown again:",
        name.trim()
    );
    println!("{secret}");
    Ok(())
}

/// `dwconsole env add NAME [--fo-url URL] [--dataverse-url URL] [--legal-entities CODES]`.
pub async fn env_add(
    common: &CommonSettings,
    name: &str,
    fo_url: &str,
    dataverse_url: &str,
    legal_entities: &str,
) -> anyhow::Result<()> {
    let input =
        app::environments::validate_environment(name, fo_url, dataverse_url, legal_entities)
            .map_err(|(field, message)| {
                anyhow::anyhow!("--{}: {message}", field.replace('_', "-"))
            })?;
    let pool = crate::db::connect(&common.database).await?;
    let mut tx = app::db::begin_write(&pool).await?;
    let id = app::environments::server::save(&mut tx, &Actor::cli(), None, &input)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await.context("cannot save the environment")?;
    println!("added environment {id}: {}", input.name);
    Ok(())
}

/// `dwconsole import errors FILE.csv --env NAME [--columns MAPPING]`: checks
/// every row first (a per-row report, nothing stored on any problem), then
/// stores the entries in chunks of [`IMPORT_CHUNK`], each in its own
/// transaction, with a progress line on stderr.
/// `dwconsole reclassify`: the current classifier over every error group
/// of one environment (or all) again, in one transaction, audited; prints
/// how many groups moved from which category to which.
pub async fn reclassify(common: &CommonSettings, env: Option<&str>) -> anyhow::Result<()> {
    let pool = crate::db::connect(&common.database).await?;
    let mut tx = app::db::begin_write(&pool).await?;
    let environment_id = match env {
        Some(name) => Some(
            app::environments::server::by_name(&mut tx, name)
                .await
                .map_err(|e| anyhow::anyhow!("--env: {e}"))?
                .id,
        ),
        None => None,
    };
    let report = app::errors::learn::reclassify(&mut tx, &Actor::cli(), environment_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    println!("{}", report.summary());
    for (from, to, groups, entries) in &report.moves {
        println!(
            "  {:<28} → {:<28} {groups:>6} groups {entries:>9} entries",
            from.label(),
            to.label()
        );
    }
    Ok(())
}

pub async fn import_errors(
    common: &CommonSettings,
    file: &std::path::Path,
    env: &str,
    columns: &str,
) -> anyhow::Result<()> {
    use app::errors::{Source, import, server};
    use std::io::Write as _;
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read {} as UTF-8 text", file.display()))?;
    let mapping = import::parse_mapping(columns).map_err(|m| anyhow::anyhow!("--columns: {m}"))?;
    let pool = crate::db::connect(&common.database).await?;
    // Reading and checking need no write lock: the server keeps taking
    // API batches meanwhile.
    let mut conn = pool.acquire().await?;
    let environment = app::environments::server::by_name(&mut conn, env)
        .await
        .map_err(|e| anyhow::anyhow!("--env: {e}"))?;
    let maps = server::map_names(&mut conn, environment.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(conn);
    let rows = text.lines().count().saturating_sub(1).max(1);
    let tty = std::io::stderr().is_terminal();
    // A bar on a terminal; nothing when stderr is a file or a pipe.
    let progress = |phase: &str, done: usize| {
        if tty {
            let pct = (done * 100 / rows).min(100);
            let filled = pct * 30 / 100;
            eprint!(
                "\r{phase:<8} [{}{}] {pct:>3}%  {done}/{rows} rows",
                "#".repeat(filled),
                "-".repeat(30 - filled)
            );
            let _ = std::io::stderr().flush();
        }
    };
    let entries = import::parse_errors_csv(&text, &mapping, &maps, |n| progress("checking", n))
        .map_err(|m| anyhow::anyhow!("{}: {m}", file.display()))?;
    let total = entries.len();
    let actor = Actor::cli();
    let source = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let origin = server::Origin {
        actor: &actor,
        source: Source::Csv,
        source_ref: &source,
    };
    let mut stored = 0;
    let result = server::store_batch(
        &pool,
        // The server's cache forgets within a minute on its own.
        &server::Sweeps::default(),
        environment.id,
        entries,
        origin,
        server::Commit {
            chunk: IMPORT_CHUNK,
            pause: IMPORT_PAUSE,
        },
        &mut |n| {
            stored += n;
            progress("storing", stored);
        },
        async |tx, accepted| {
            server::record_import(tx, &actor, &environment, accepted, &source).await
        },
    )
    .await;
    let accepted = result.map_err(|e| {
        anyhow::anyhow!(
            "cannot save the imported errors after {stored} of {total} rows ({e}); the rows before are kept, and running the import again adds only the rest"
        )
    })?;
    let duplicates = accepted.iter().filter(|a| a.duplicate).count();
    if tty {
        eprintln!();
    }
    println!(
        "imported {} error {} into {} ({duplicates} were already there)",
        total - duplicates,
        if total - duplicates == 1 {
            "entry"
        } else {
            "entries"
        },
        environment.name
    );
    Ok(())
}

/// Rows stored per transaction by `dwconsole import errors`.
const IMPORT_CHUNK: usize = 1000;

/// Pause between two chunks, long enough for a writer that waits on the
/// lock (SQLite's busy handler polls every few milliseconds) to get in.
const IMPORT_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

/// `dwconsole simulate`: serves the simulated APIs until interrupted.
pub async fn simulate(args: &crate::config::SimulateArgs) -> anyhow::Result<()> {
    let rates = match &args.faults {
        None => crate::simulator::FaultRates::default(),
        Some(text) => {
            let parts: Vec<f64> = text
                .split(',')
                .map(|p| p.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    anyhow::anyhow!("--faults: '{text}' is not three numbers like 0.05,0.02,0.01")
                })?;
            let [throttle, server_error, truncated] = parts[..] else {
                bail!(
                    "--faults: give three shares: throttle, server error, truncated (e.g. 0.05,0.02,0.01)"
                );
            };
            if parts.iter().any(|p| !(0.0..=1.0).contains(p))
                || throttle + server_error + truncated > 1.0
            {
                bail!("--faults: each share is between 0 and 1, and together at most 1");
            }
            crate::simulator::FaultRates {
                throttle,
                server_error,
                truncated,
            }
        }
    };
    use crate::simulator::tables;
    let mut tables = tables::default_tables();
    if let Some(spec) = &args.records {
        tables::set_records(&mut tables, spec).map_err(|e| anyhow::anyhow!("--records: {e}"))?;
    }
    for spec in &args.drift {
        tables::set_drift(&mut tables, spec).map_err(|e| anyhow::anyhow!("--drift: {e}"))?;
    }
    if args.churn {
        tables = tables::with_churn(tables);
    }
    let limit = match &args.rate_limit {
        None => None,
        Some(text) => {
            let parsed = text
                .split_once('/')
                .and_then(|(n, secs)| {
                    Some((
                        n.trim().parse::<u32>().ok()?,
                        secs.trim().parse::<u64>().ok()?,
                    ))
                })
                .filter(|(n, secs)| *n > 0 && *secs > 0);
            let Some((requests, secs)) = parsed else {
                bail!(
                    "--rate-limit: '{text}' is not REQUESTS/SECONDS with both above 0, like 6000/300"
                );
            };
            Some(crate::simulator::RateLimit {
                requests,
                window: std::time::Duration::from_secs(secs),
            })
        }
    };
    let every = std::time::Duration::from_secs(args.trace_every_secs.max(1));
    let config = crate::simulator::SimConfig {
        seed: args.seed,
        start: crate::simulator::grid(chrono::Utc::now() - chrono::Duration::hours(6), every),
        trace_every: every,
        rates,
        limit,
        tables,
        ..Default::default()
    };
    let (_sim, addr, task) = crate::simulator::serve(args.bind, config).await?;
    println!(
        "Simulated F&O + Dataverse APIs at http://{addr} (client id demo, secret demo, any tenant)"
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = task => {},
    }
    Ok(())
}

/// The database, environment `env` and a connector for its configured
/// connection; errors name the flag or setting to fix.
async fn connected(
    common: &CommonSettings,
    file: &crate::config::FileSettings,
    env: &str,
) -> anyhow::Result<(
    app::db::Pool,
    app::environments::Environment,
    crate::connect::Connector,
)> {
    let Some(settings) = file.connections.get(env) else {
        bail!(
            "--env: no connection is configured for '{env}'; add [connections.\"{env}\"] to the settings file (see dwconsole.example.toml)"
        );
    };
    let pool = crate::db::connect(&common.database).await?;
    let mut conn = pool.acquire().await?;
    let environment = app::environments::server::by_name(&mut conn, env)
        .await
        .map_err(|e| anyhow::anyhow!("--env: {e}"))?;
    drop(conn);
    let connector = crate::scheduler::connector_for(env, settings, &environment)?;
    Ok((pool, environment, connector))
}

/// `dwconsole collect [COLLECTOR] --env NAME`: one run, with its outcome
/// printed and recorded like a scheduled run.
pub async fn collect(
    common: &CommonSettings,
    file: &crate::config::FileSettings,
    collector: &str,
    env: &str,
) -> anyhow::Result<()> {
    let known = [
        crate::collect::ERRORS,
        crate::collect::MAP_STATES,
        crate::collect::COUNTS,
        crate::collect::THROUGHPUT,
    ];
    if !known.contains(&collector) {
        bail!(
            "unknown collector '{collector}'; the collectors are: errors, map_states, counts, throughput"
        );
    }
    let (pool, environment, connector) = connected(common, file, env).await?;
    if collector == crate::collect::MAP_STATES {
        let out = crate::collect::collect_map_states(&pool, &environment, &connector).await?;
        println!(
            "read {} dual-write project rows from {env}: {} map state changes",
            out.read, out.stored
        );
        return Ok(());
    }
    if collector == crate::collect::THROUGHPUT {
        let out =
            crate::collect::collect_throughput(&pool, &environment, &connector, chrono::Utc::now())
                .await?;
        println!(
            "read {} changed Dataverse records of {env}: {} new throughput samples (map, direction, minute)",
            out.read, out.stored
        );
        return Ok(());
    }
    if collector == crate::collect::COUNTS {
        let out = crate::collect::collect_counts(&pool, &environment, &connector).await?;
        println!(
            "counted the records of {} synced maps in {env} on both sides (see each map's page)",
            out.stored
        );
        return Ok(());
    }
    let out = crate::collect::collect_errors(
        &pool,
        &app::errors::server::Sweeps::default(),
        &environment,
        &connector,
    )
    .await?;
    println!(
        "collected {} trace rows from {env}: {} new error entries",
        out.read, out.stored
    );
    Ok(())
}

/// `dwconsole reconcile` found more drift than `--max-drift` allows.
#[derive(Debug, thiserror::Error)]
#[error("the drift rate {rate:.4} is above --max-drift {max}")]
pub struct DriftExceeded {
    /// The run's drift rate.
    pub rate: f64,
    /// The allowed share.
    pub max: f64,
}

/// `dwconsole reconcile --env NAME --map NAME [--sample N | --full]`: one
/// run, stored like a scheduled one, with progress on a terminal, a
/// summary (or `--json`), and exit status 2 above `--max-drift`.
pub async fn reconcile(
    common: &CommonSettings,
    file: &crate::config::FileSettings,
    args: &crate::config::ReconcileArgs,
) -> anyhow::Result<()> {
    use crate::reconcile::{Options, begin_run, full::run_full, run_sample, target};
    if !(0.0..=1.0).contains(&args.max_drift) {
        bail!(
            "--max-drift: {} is not a share between 0 and 1",
            args.max_drift
        );
    }
    if args.sample == Some(0) {
        bail!("--sample: sample at least one record per side");
    }
    let env = &args.env;
    let (pool, environment, connector) = connected(common, file, env).await?;
    let mut conn = pool.acquire().await?;
    let map_id = app::maps::server::ids_by_name(&mut conn, environment.id)
        .await?
        .get(&args.map)
        .copied();
    let Some(map_id) = map_id else {
        let names: Vec<String> = app::maps::server::list(&mut conn, environment.id)
            .await?
            .into_iter()
            .filter(|m| m.content.direction != app::maps::Direction::NotSynced)
            .map(|m| m.content.name)
            .collect();
        bail!(
            "--map: '{env}' has no table map named '{}'; its synced maps are: {}",
            args.map,
            names.join(", ")
        );
    };
    let size = match args.sample {
        Some(n) => n as i64,
        None => {
            app::reconcile::server::settings(&mut conn, map_id)
                .await?
                .sample_size
        }
    };
    drop(conn);
    let t = target(&pool, &connector, map_id)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reconcile '{}': {e}", args.map))?;
    // A server sharing the database takes over runs whose runner is not
    // alive: this command says it is, for as long as it runs.
    let lease = crate::lease::Lease::alive_only(
        format!("cli:{}", crate::lease::server_id()),
        crate::lease::COMMAND_TTL,
    );
    lease.renew(&pool).await;
    let keeper = tokio::spawn(lease.clone().keep(pool.clone()));
    let opts = Options {
        recheck_after: std::time::Duration::from_secs(args.recheck_secs),
        work_dir: common.reconcile_dir(),
        requested_by: "cli".into(),
        runner: lease.id().to_string(),
    };
    let kind = if args.full { "full" } else { "sample" };
    let run_id = begin_run(&pool, map_id, kind, (!args.full).then_some(size), &opts).await?;
    use std::io::Write as _;
    // Progress on a terminal, from the run's own record.
    let watcher = std::io::stderr().is_terminal().then(|| {
        let pool = pool.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                let row = match pool.acquire().await {
                    Ok(mut conn) => app::reconcile::server::progress(&mut conn, run_id)
                        .await
                        .ok()
                        .flatten(),
                    Err(_) => None,
                };
                if let Some((fo, dv, fo_total, dv_total)) = row {
                    let total = fo_total.unwrap_or(0) + dv_total.unwrap_or(0);
                    let pct = if total > 0 {
                        ((fo + dv) * 100 / total).min(100)
                    } else {
                        0
                    };
                    let filled = (pct * 30 / 100) as usize;
                    eprint!(
                        "\rreading [{}{}] {pct:>3}%  F&O {fo}, Dataverse {dv}",
                        "#".repeat(filled),
                        "-".repeat(30 - filled)
                    );
                    let _ = std::io::stderr().flush();
                }
            }
        })
    });
    let result = if args.full {
        run_full(&pool, &connector, &t, run_id, &opts).await
    } else {
        run_sample(&pool, &connector, &t, run_id, size as usize, &opts).await
    };
    if let Some(w) = watcher {
        w.abort();
        eprintln!();
    }
    keeper.abort();
    let _ = keeper.await;
    lease.let_go(&pool).await;
    let run = result.map_err(|e| {
        anyhow::anyhow!("reconciliation run #{run_id} of '{}' failed: {e}", args.map)
    })?;
    let differences: Vec<(String, String, String, String, String, String)> = {
        let mut conn = pool.acquire().await?;
        app::reconcile::server::differences(&mut conn, run_id, None)
            .await?
            .0
            .into_iter()
            .map(|d| {
                (
                    d.record_key,
                    d.kind,
                    d.field,
                    d.fo_value,
                    d.dataverse_value,
                    d.change,
                )
            })
            .collect()
    };
    if args.json {
        let list: Vec<serde_json::Value> = differences
            .iter()
            .map(|(key, kind, field, fo, dv, change)| {
                serde_json::json!({"key": key, "kind": kind, "field": field, "fo": fo, "dataverse": dv, "change": change})
            })
            .collect();
        let out = serde_json::json!({
            "run": run.id,
            "map": args.map,
            "environment": env,
            "kind": run.kind,
            "records": run.records,
            "missing_in_dataverse": run.missing_in_dataverse,
            "missing_in_fo": run.missing_in_fo,
            "differing": run.differing,
            "drift_rate": run.drift_rate(),
            "cleared_by_recheck": run.cleared_by_recheck,
            "new": run.new_differences,
            "persisting": run.persisting,
            "fixed": run.fixed,
            "differences": list,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} of '{}' in {env} (run #{}): {} records compared",
            if args.full { "Full diff" } else { "Sample" },
            args.map,
            run.id,
            run.records
        );
        println!(
            "  missing in Dataverse {}, missing in F&O {}, differing fields {} — drift rate {}",
            run.missing_in_dataverse,
            run.missing_in_fo,
            run.differing,
            app::reconcile::fmt_rate(run.drift_rate())
        );
        println!(
            "  against the previous run: {} new, {} persisting, {} fixed; {} cleared on re-check (lag)",
            run.new_differences, run.persisting, run.fixed, run.cleared_by_recheck
        );
        for (key, kind, field, fo, dv, change) in differences.iter().take(20) {
            match kind.as_str() {
                "field" => println!("  {key}: {field}: F&O {fo:?}, Dataverse {dv:?} ({change})"),
                other => println!("  {key}: {} ({change})", app::reconcile::kind_label(other)),
            }
        }
        if differences.len() > 20 {
            println!(
                "  … {} more on the map's reconciliation page",
                differences.len() - 20
            );
        }
    }
    if run.drift_rate() > args.max_drift {
        return Err(DriftExceeded {
            rate: run.drift_rate(),
            max: args.max_drift,
        }
        .into());
    }
    Ok(())
}
