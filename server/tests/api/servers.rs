//! Several servers on one database: one runs the scheduled work, and when
//! it dies another takes it over within the lease time.

use std::time::{Duration, Instant};

/// Starts `dwconsole serve` on `db` with a short lease, without demo
/// mode; gives the child and its URL.
fn serve(db: &str) -> (std::process::Child, String) {
    crate::cli::serve(db, &["--no-demo", "--lease-secs", "3"])
}

/// `/readyz` of the server at `url`.
async fn ready(url: &str) -> serde_json::Value {
    let res = reqwest::get(format!("{url}/readyz")).await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    res.json().await.unwrap()
}

/// Waits (up to `within`) until the server at `url` runs the scheduled
/// work; gives how long it took.
async fn until_scheduling(url: &str, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if ready(url).await["scheduled_work"] == true {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "{url} did not take the scheduled work over within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn when_the_server_running_the_scheduled_work_dies_another_takes_it_over() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "shared.db");
    let db = db.as_str();
    let (mut a, url_a) = serve(db);
    until_scheduling(&url_a, Duration::from_secs(10)).await;
    let (mut b, url_b) = serve(db);
    // Both serve; only the first runs the scheduled work.
    let (ra, rb) = (ready(&url_a).await, ready(&url_b).await);
    assert_ne!(ra["server"], rb["server"]);
    assert_eq!(
        (&ra["scheduled_work"], &rb["scheduled_work"]),
        (&true.into(), &false.into())
    );
    for url in [&url_a, &url_b] {
        let res = reqwest::get(format!("{url}/setup")).await.unwrap();
        assert_eq!(res.status(), reqwest::StatusCode::OK, "{url}");
    }

    // A session that expired: the hourly housekeeping, part of the
    // scheduled work, purges it when a server takes the work over.
    let pool = server::db::connect(db).await.unwrap();
    app::db::query("insert into users (id, email, password_hash, role, created_at) values (1, 'a@example.com', 'x', 'admin', '2026-01-01T00:00:00.000Z')")
        .execute(&pool)
        .await
        .unwrap();
    app::db::query("insert into sessions (token_hash, user_id, created_at, expires_at) values ('old', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T12:00:00.000Z')")
        .execute(&pool)
        .await
        .unwrap();

    // The holder dies without letting go: the other takes over once the
    // lease (3 s) runs out, at its next renewal (every 1 s).
    a.kill().unwrap();
    a.wait().unwrap();
    let took = until_scheduling(&url_b, Duration::from_secs(10)).await;
    assert!(took <= Duration::from_secs(5), "took {took:?}");
    let (holder, term): (String, i64) =
        app::db::query_as("select holder, term from leases where name = 'scheduler'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(holder, rb["server"].as_str().unwrap());
    assert_eq!(term, 2, "one change of holder");
    let deadline = Instant::now() + Duration::from_secs(10);
    while app::db::query_scalar::<i64>("select count(*) from sessions")
        .fetch_one(&pool)
        .await
        .unwrap()
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the new holder did not run the housekeeping"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A server that stops lets go: a new one takes over at once, not after
    // the lease time.
    let (mut c, url_c) = serve(db);
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &b.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(b.wait().unwrap().success());
    let took = until_scheduling(&url_c, Duration::from_secs(10)).await;
    assert!(took < Duration::from_secs(3), "took {took:?}");
    c.kill().unwrap();
    c.wait().unwrap();
}

#[tokio::test]
async fn servers_started_together_on_a_new_database_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "new.db");
    // Four servers at the same moment on a file that does not exist yet,
    // as a deployment's servers come up together for the first time. Each
    // prints its address once it has migrated and listens; one that fails
    // says why on stderr and exits.
    use std::io::{BufRead as _, BufReader};
    let mut children: Vec<_> = (0..4)
        .map(|_| {
            crate::cli::dwconsole()
                .args([
                    "--database",
                    &db,
                    "serve",
                    "--bind",
                    "127.0.0.1:0",
                    "--no-demo",
                ])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut outcomes = Vec::new();
    for child in &mut children {
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        outcomes.push(match line.trim().rsplit(' ').next() {
            Some(url) if line.contains("running at") => Ok(url.to_string()),
            _ => {
                let mut why = String::new();
                let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut why);
                Err(why)
            }
        });
    }
    // Every answer is read before the servers stop, and asserted after,
    // so a failing assertion leaves no server running.
    let mut answers = Vec::new();
    for url in outcomes.iter().flatten() {
        answers.push((url.clone(), ready(url).await["status"].clone()));
    }
    for child in &mut children {
        let _ = child.kill();
        child.wait().unwrap();
    }
    let failed: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert!(failed.is_empty(), "servers that did not start: {failed:#?}");
    for (url, status) in answers {
        assert_eq!(status, "ready", "{url}");
    }
    let pool = server::db::connect(&db).await.unwrap();
    let (applied, failed): (i64, i64) = app::db::query_as(
        "select count(*), count(*) filter (where not success) from _sqlx_migrations",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let files = server::db::migrator_for(&pool).iter().count();
    assert_eq!((applied, failed), (files as i64, 0));
}

/// Building another server's router in the same process (as these tests
/// and `backends-bench` do) must not stall a page that is rendering: with
/// the routes listed per router, leptos's process-wide "suppress resource
/// loading" flag hung any resource first polled meanwhile until the
/// request timeout (CI, 2026-12-08: a page came back without its data).
#[tokio::test]
async fn building_another_router_never_stalls_a_page_being_rendered() {
    let app = crate::maps::app_with_uat().await;
    let settings = server::config::Settings::for_tests(&app.db_path);
    let pool = app.pool.clone();
    let builder = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            for _ in 0..200 {
                let state = server::startup::AppState::new(&settings, pool.clone());
                drop(server::startup::build_router(&settings, state));
                tokio::task::yield_now().await;
            }
        });
    });
    let mut pages = 0;
    while !builder.is_finished() || pages < 20 {
        let page = tokio::time::timeout(Duration::from_secs(10), async {
            app.get("/admin/environments?added=1")
                .await
                .text()
                .await
                .unwrap()
        })
        .await
        .unwrap_or_else(|_| panic!("page {pages} still rendering after 10 s"));
        assert!(
            page.contains("Environment UAT added."),
            "page {pages}: {page}"
        );
        pages += 1;
    }
    builder.join().unwrap();
}
