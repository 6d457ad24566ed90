//! `cutover-bench`: a plan of TASKS tasks with two predecessors each
//! (about 2 × TASKS dependencies: the task before, and one 2 to 40 tasks
//! back), a fixed start every 50 tasks, a point of no return and a rollback
//! path. Times the schedule of the plan and the forecast of a run half
//! done, then the run's status page, run page, plan page and the trends
//! pages (which shade the freezes of the environment's latest 20 runs:
//! 19 ended rehearsals and the live run) through the real router (server
//! time: request in, whole body out), and prints p50/p95 and peak memory.
//!
//! `cargo run --release -p server --bin cutover-bench -- [TASKS] [ROUNDS] [REQUESTS]`

use app::audit::server::Actor;
use app::cutover::run::{self, Action, RunKind};
use app::cutover::{PlanContent, Task, TaskKind, schedule};
use server::bench::{arg, peak_rss_mib, percentile, seed, timed_get};
use server::config::Settings;
use server::startup::{AppState, build_router};
use std::time::{Duration, Instant};

fn e(err: app::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}

/// The plan: `n` forward tasks in 10 stages, a point of no return at two
/// thirds, and 20 rollback steps.
fn plan(n: usize, starts_at: i64) -> PlanContent {
    let mut tasks = Vec::with_capacity(n + 21);
    for i in 0..n {
        let mut predecessors = vec![];
        if i > 0 {
            predecessors.push(format!("T{}", i - 1));
        }
        // A second link 2 to 40 tasks back (deterministic, spread).
        let back = 2 + (i * 7919) % 39;
        if i >= back {
            predecessors.push(format!("T{}", i - back));
        }
        tasks.push(Task {
            id: format!("T{i}"),
            title: format!("Step {i} of the weekend"),
            stage: format!("Stage {}", i * 10 / n.max(1)),
            instructions: "Do it, then check it.".into(),
            owner: format!("Owner {}", i % 12),
            backup_owner: format!("Backup {}", i % 7),
            team: ["F&O", "Dataverse", "Integration"][i % 3].into(),
            minutes: 5 + (i as i64 * 13) % 40,
            fixed_start: (i > 0 && i % 50 == 0).then(|| starts_at + (i as i64) * 600),
            kind: match i % 25 {
                0 => TaskKind::Gate,
                12 => TaskKind::Signoff,
                _ => TaskKind::Task,
            },
            predecessors,
            rollback: false,
            check: None,
        });
    }
    tasks.push(Task {
        id: "PONR".into(),
        title: "Point of no return".into(),
        stage: "Stage 6".into(),
        instructions: String::new(),
        owner: "Manager".into(),
        backup_owner: String::new(),
        team: String::new(),
        minutes: 0,
        fixed_start: None,
        kind: TaskKind::NoReturn,
        predecessors: vec![format!("T{}", n * 2 / 3)],
        rollback: false,
        check: None,
    });
    for i in 0..20 {
        tasks.push(Task {
            id: format!("R{i}"),
            title: format!("Rollback step {i}"),
            stage: "Rollback".into(),
            instructions: String::new(),
            owner: "Integration admin".into(),
            backup_owner: String::new(),
            team: String::new(),
            minutes: 20,
            fixed_start: None,
            kind: TaskKind::Task,
            predecessors: if i == 0 {
                vec![]
            } else {
                vec![format!("R{}", i - 1)]
            },
            rollback: true,
            check: None,
        });
    }
    PlanContent {
        name: "Bench weekend".into(),
        starts_at,
        ends_at: starts_at + 6 * 86_400,
        rollback_criteria: "Roll back when the counts differ.".into(),
        silence_rules: vec![],
        tasks,
    }
}

fn p(sorted: &mut [Duration]) -> (f64, f64) {
    sorted.sort();
    (percentile(sorted, 0.5), percentile(sorted, 0.95))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let (n, rounds, requests) = (arg(1, 500usize), arg(2, 200usize), arg(3, 100usize));
    let now = chrono::Utc::now().timestamp();
    let start = now - 20 * 3600;
    let mut content = plan(n, start);
    content
        .check()
        .map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))?;
    let deps: usize = content.tasks.iter().map(|t| t.predecessors.len()).sum();

    // ---- the pure computations ----
    let mut plan_times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(schedule::plan(std::hint::black_box(&content)))
            .map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))?;
        plan_times.push(t.elapsed());
    }
    // Half the forward tasks done, a quarter of an hour late each.
    let baseline = run::baseline(&content, None).map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))?;
    let mut states = vec![run::TaskState::PENDING; content.tasks.len()];
    for i in 0..n / 2 {
        let (s, end) = baseline[&content.tasks[i].id];
        states[i] = run::TaskState {
            status: run::Status::Done,
            started_at: Some(s + 900),
            ended_at: Some(end + 900),
        };
    }
    let mut forecast_times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(run::forecast(&content, &baseline, &states, now))
            .map_err(|(f, m)| anyhow::anyhow!("{f}: {m}"))?;
        forecast_times.push(t.elapsed());
    }

    // ---- the pages through the real router ----
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db").to_string_lossy().to_string();
    let mut settings = Settings::for_tests(&db);
    settings.common.log = "app=error,server=error".into();
    server::telemetry::init(&settings.common)?;
    let pool = server::db::connect(&db).await?;
    let seeded = seed(&pool, "Bench", "USMF").await?;
    let cli = Actor::cli();
    let mut tx = app::db::begin_write(&pool).await?;
    let env = app::environments::server::by_name(&mut tx, "Bench")
        .await
        .map_err(e)?;
    let plan_id = app::cutover::server::create(&mut tx, &cli, env.id, content.clone(), "bench")
        .await
        .map_err(e)?;
    let stored = app::cutover::server::get(&mut tx, plan_id)
        .await
        .map_err(e)?;
    // 19 earlier rehearsals, each ended an hour in, eight days apart: with
    // the live run, the 20 runs a trends page looks through for freezes.
    for k in (1..=19i64).rev() {
        let at = start - k * 8 * 86_400;
        let id = app::cutover::runs::start(&mut tx, &cli, &stored, RunKind::Rehearsal, at, at)
            .await
            .map_err(e)?;
        app::cutover::runs::end(&mut tx, &cli, id, run::Outcome::Completed, "", at + 3600)
            .await
            .map_err(e)?;
    }
    let run_id = app::cutover::runs::start(&mut tx, &cli, &stored, RunKind::Live, start, start)
        .await
        .map_err(e)?;
    let act_start = Instant::now();
    for i in 0..n / 2 {
        let id = &content.tasks[i].id;
        let kind = content.tasks[i].kind;
        let comment = if Action::Complete.needs_comment(kind) {
            "evidence"
        } else {
            ""
        };
        app::cutover::runs::act(&mut tx, &cli, run_id, id, Action::Complete, comment, now)
            .await
            .map_err(e)?;
    }
    let act_time = act_start.elapsed();
    tx.commit().await?;
    let router = build_router(&settings, AppState::new(&settings, pool.clone()));
    let cookie = format!("dwc_session={}", seeded.session);
    let views = [
        ("status page", format!("/cutover/runs/{run_id}/status")),
        ("run page", format!("/cutover/runs/{run_id}")),
        ("plan page", format!("/cutover/plans/{plan_id}")),
        (
            "trends, 7 days (20 runs; the live run's freeze shaded)",
            "/trends/errors?env=Bench&range=7d".to_string(),
        ),
        (
            "trends, 90 days (20 runs, 12 freezes shaded)",
            "/trends/errors?env=Bench&range=90d".to_string(),
        ),
    ];
    let mut sizes = vec![];
    for (_, v) in &views {
        let (_, len) = timed_get(&router, &cookie, v).await?;
        anyhow::ensure!(len > 5_000, "{v} rendered almost nothing");
        sizes.push(len);
    }
    let mut per_view: Vec<Vec<Duration>> = vec![Vec::new(); views.len()];
    for _ in 0..requests {
        for (i, (_, v)) in views.iter().enumerate() {
            per_view[i].push(timed_get(&router, &cookie, v).await?.0);
        }
    }

    println!(
        "cutover-bench: {} tasks ({n} forward, 1 point of no return, 20 rollback), {deps} dependencies, {rounds} rounds, {requests} requests a page",
        content.tasks.len()
    );
    let (a, b) = p(&mut plan_times);
    println!("  schedule of the plan              p50 {a:8.3} ms  p95 {b:8.3} ms");
    let (a, b) = p(&mut forecast_times);
    println!("  forecast of a run half done       p50 {a:8.3} ms  p95 {b:8.3} ms");
    println!(
        "  {} task actions through the store  {:.1} ms each",
        n / 2,
        act_time.as_secs_f64() * 1000.0 / (n / 2).max(1) as f64
    );
    for (((name, _), times), size) in views.iter().zip(per_view.iter_mut()).zip(&sizes) {
        let (a, b) = p(times);
        println!(
            "  {name:<33} p50 {a:8.2} ms  p95 {b:8.2} ms  ({} KB)",
            size / 1024
        );
    }
    println!("  peak memory {:.0} MiB", peak_rss_mib());
    Ok(())
}
