//! The `dwconsole` binary itself: administrative commands and startup errors.

use crate::helpers::*;
use reqwest::StatusCode;
use std::process::Command;

pub fn dwconsole() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dwconsole"));
    // Keep the developer's own APP_* settings out of the test.
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("APP_")) {
        cmd.env_remove(k);
    }
    cmd
}

/// `dwconsole user add` on the database file `db`, the password from
/// `APP_PASSWORD`.
fn user_add(db: &str, email: &str, role: &str) -> std::process::Output {
    dwconsole()
        .args([
            "--database",
            db,
            "user",
            "add",
            "--email",
            email,
            "--role",
            role,
        ])
        .env("APP_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

#[tokio::test]
async fn user_add_and_token_add_work_without_a_prompt_and_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "cli.db");
    let db = db.as_str();

    let out = user_add(db, "Root@Example.com", "admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("root@example.com as admin"));

    let out = dwconsole()
        .args(["--database", db, "token", "add", "--name", "collector"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        secret.starts_with("dwc_") && !secret.contains(' '),
        "stdout is the token alone: {secret}"
    );

    // The same database served: the admin can sign in and the token works.
    let settings = server::config::Settings::for_tests(db);
    let app = server::startup::Application::build(&settings)
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = new_client();
    let res = client
        .post(format!("{base}/sfn/login"))
        .header("origin", &base)
        .form(&[("email", "root@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = reqwest::Client::new()
        .get(format!("{base}/api/v1/token"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[test]
fn user_add_without_a_password_source_explains_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "cli.db");
    let out = dwconsole()
        .args([
            "--database",
            &db,
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "viewer",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("APP_PASSWORD"));
}

#[test]
fn user_add_rejects_an_unknown_role_by_name() {
    let out = dwconsole()
        .args([
            "--database",
            "/nonexistent/never.db",
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "owner",
        ])
        .env("APP_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--role") && err.contains("owner"), "{err}");
}

#[test]
fn a_settings_file_with_an_unknown_key_stops_startup_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dwconsole.toml");
    std::fs::write(&file, "bind = '127.0.0.1:0'\ndatabse = 'x.db'\n").unwrap();
    let out = dwconsole()
        .args(["--config", file.to_str().unwrap(), "serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("databse") && err.contains("dwconsole.toml"),
        "{err}"
    );
}

#[test]
fn a_malformed_environment_setting_stops_startup_naming_it() {
    let out = dwconsole()
        .args(["serve"])
        .env("APP_BIND", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--bind") && err.contains("not-an-address"),
        "{err}"
    );
}

/// Starts `dwconsole serve` on `db` (plus `extra` flags) on a free port,
/// waits for its "running at" line, and returns the child and its URL.
pub fn serve(db: &str, extra: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead as _, BufReader};
    let mut child = dwconsole()
        .args(["--database", db, "serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("running at http://127.0.0.1:"), "{line}");
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    (child, url)
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "serve.db");
    // Demo mode on, as `make run` starts it: the simulator stops too.
    let (mut child, _) = serve(&db, &[]);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop within 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn import_errors_reports_bad_rows_and_stores_nothing_then_imports_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "import.db");
    let db = db.as_str();
    let out = dwconsole()
        .args(["--database", db, "env", "add", "UAT"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Created On;Error message\n2026-11-20 08:15:00;Integration keys are missing\nnot a date;Missing source schema\n",
    )
    .unwrap();
    let out = dwconsole()
        .args([
            "--database",
            db,
            "import",
            "errors",
            bad.to_str().unwrap(),
            "--env",
            "UAT",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Row 3: occurred_at 'not a date'"), "{err}");

    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "When,Text\n2026-11-20T08:15:00Z,Integration keys are missing\n2026-11-20T08:16:00Z,Missing source schema\n",
    )
    .unwrap();
    let import = |file: &std::path::Path| {
        dwconsole()
            .args([
                "--database",
                db,
                "import",
                "errors",
                file.to_str().unwrap(),
                "--env",
                "UAT",
                "--columns",
                "occurred_at=When, message=Text",
            ])
            .output()
            .unwrap()
    };
    let out = import(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2 error entries into UAT"));
    let again = import(&good);
    assert!(
        String::from_utf8_lossy(&again.stdout)
            .contains("imported 0 error entries into UAT (2 were already there)"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let out = dwconsole()
        .args([
            "--database",
            db,
            "import",
            "errors",
            "/nonexistent.csv",
            "--env",
            "UAT",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent.csv"));
}

#[test]
fn collect_runs_once_against_the_simulator_and_names_what_is_missing() {
    use std::io::{BufRead as _, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "collect.db");
    let db = db.as_str();
    let out = dwconsole()
        .args(["--database", db, "collect", "errors", "--env", "UAT"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no connection is configured for 'UAT'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut sim = dwconsole()
        .args([
            "simulate",
            "--bind",
            "127.0.0.1:0",
            "--trace-every-secs",
            "60",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();
    let config = dir.path().join("dwconsole.toml");
    std::fs::write(
        &config,
        format!(
            "[connections.\"UAT\"]\ntenant = \"contoso\"\nclient_id = \"demo\"\nclient_secret_env = \"DW_TEST_SECRET\"\nauthority = \"{url}\"\ndataverse_url = \"{url}\"\n"
        ),
    )
    .unwrap();
    assert!(
        dwconsole()
            .args(["--database", db, "env", "add", "UAT"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let collect = |secret: &str| {
        dwconsole()
            .args([
                "--config",
                config.to_str().unwrap(),
                "--database",
                db,
                "collect",
                "errors",
                "--env",
                "UAT",
            ])
            .env("DW_TEST_SECRET", secret)
            .output()
            .unwrap()
    };
    let wrong = collect("nope");
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        err.contains("AADSTS7000215") && !err.contains("nope"),
        "{err}"
    );
    let ok = collect("demo");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(
        said.contains("collected") && said.contains("new error entries"),
        "{said}"
    );
    let again = collect("demo");
    assert!(String::from_utf8_lossy(&again.stdout).contains(": 0 new error entries"));
    sim.kill().unwrap();
    sim.wait().unwrap();
}

#[test]
fn simulate_and_collect_name_what_is_wrong_with_their_arguments() {
    for (args, says) in [
        (
            vec!["simulate", "--records", "Customers=5"],
            "--records: 'Customers' is not a simulated table; the tables are CustomersV3,",
        ),
        (
            vec!["simulate", "--drift", "CustomersV3:drifty=0.1"],
            "--drift: 'drifty' is not a kind of drift",
        ),
        (
            vec!["simulate", "--rate-limit", "0/300"],
            "--rate-limit: '0/300' is not REQUESTS/SECONDS",
        ),
        (
            vec!["collect", "nosuch", "--env", "UAT"],
            "the collectors are: errors, map_states, counts, throughput",
        ),
    ] {
        let out = dwconsole()
            .args(&args)
            .args(["--database", ":memory:"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

#[test]
fn a_first_start_in_demo_mode_logs_no_error() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().unwrap();
    let db = crate::helpers::new_database(dir.path(), "first.db");
    let log = dir.path().join("stderr.log");
    let mut child = dwconsole()
        .args([
            "--database",
            &db,
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--demo",
        ])
        .env("APP_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    let _ = child.stdout.take().unwrap().read(&mut first).unwrap();
    // The first collection runs right after start.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("demo mode"), "{text}");
    assert!(!text.contains("ERROR"), "{text}");
}

#[tokio::test]
async fn migrate_db_copies_an_installation_into_postgres_once() {
    let dir = tempfile::tempdir().unwrap();
    // A SQLite file on either backend's run: it is the copy's source.
    let db = dir.path().join("cli.db");
    let db = db.to_str().unwrap();
    let out = user_add(db, "a@example.com", "admin");
    assert!(out.status.success());

    // A scheme it does not know is refused by name, before anything opens.
    let out = dwconsole()
        .args(["migrate-db", "--from", db, "--to", "mysql://u:secret@db/dw"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--to") && err.contains("'mysql://'") && !err.contains("secret"),
        "{err}"
    );

    let Ok(admin) = std::env::var("DWCONSOLE_TEST_POSTGRES") else {
        eprintln!(
            "skipped the PostgreSQL half: DWCONSOLE_TEST_POSTGRES is not set (make unit sets it)"
        );
        return;
    };
    let pg = server::db::scratch_postgres_database(&admin).await.unwrap();
    let out = dwconsole()
        .args(["migrate-db", "--from", db, "--to", &pg])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("the counts match"), "{stdout}");
    let users = stdout.lines().find(|l| l.starts_with("users ")).unwrap();
    assert_eq!(
        users.split_whitespace().collect::<Vec<_>>(),
        ["users", "1", "1"]
    );

    // Twice is refused: the target holds the first copy.
    let out = dwconsole()
        .args(["migrate-db", "--from", db, "--to", &pg])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("already holds data") && err.contains("users (1 row)"),
        "{err}"
    );
}
