//! `spawn_app()` and typed helpers shared by the HTTP tests.

use reqwest::StatusCode;
use server::config::Settings;
use server::startup::Application;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// A running console on a random port with its own database.
pub struct TestApp {
    pub address: String,
    /// A client with its own cookie jar that does not follow redirects.
    pub client: reqwest::Client,
    pub db_path: String,
    pub pool: app::db::Pool,
    _dir: tempfile::TempDir,
}

/// Starts the real application. Set `TEST_LOG=1` to see its logs.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the real application with settings changed by `tweak`.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = server::telemetry::init(&server::config::CommonSettings {
            database: String::new(),
            log: "debug".into(),
            log_format: server::config::LogFormat::Text,
        });
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = new_database(dir.path(), "test.db");
    let mut settings = Settings::for_tests(&db_path);
    tweak(&mut settings);
    let app = Application::build(&settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: new_client(),
        db_path,
        pool,
        _dir: dir,
    }
}

/// Whether the tests run on PostgreSQL: `DWCONSOLE_TEST_BACKEND=postgres`,
/// with the server in `DWCONSOLE_TEST_POSTGRES` (`make unit` runs the suite
/// once on each backend, beside `tools/with-postgres.sh`'s cluster).
pub fn on_postgres() -> bool {
    std::env::var("DWCONSOLE_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A new, empty database for one test, as `--database` takes it: a SQLite
/// file `name` in `dir`, or on PostgreSQL a new database of its own.
pub fn new_database(dir: &std::path::Path, name: &str) -> String {
    if !on_postgres() {
        return dir.join(name).to_string_lossy().to_string();
    }
    let admin = std::env::var("DWCONSOLE_TEST_POSTGRES")
        .expect("DWCONSOLE_TEST_BACKEND=postgres needs DWCONSOLE_TEST_POSTGRES (run beside tools/with-postgres.sh)");
    // Its own thread and runtime, so sync and async tests alike can call it.
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(server::db::scratch_postgres_database(&admin))
            .expect("a new PostgreSQL database")
    })
    .join()
    .expect("the database's thread")
}

/// A fresh browser-like client: own cookie jar, no redirect following.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_with(&self.client, path).await
    }

    pub async fn get_with(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
    }

    /// Posts a form as a same-origin page would (with an Origin header).
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(&self.client, path, form).await
    }

    pub async fn post_form_with(
        &self,
        client: &reqwest::Client,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(path))
            .header("origin", &self.address)
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// First-run setup of the admin; leaves `self.client` signed in.
    pub async fn setup_admin(&self) {
        let res = self
            .post_form(
                "/sfn/setup_admin",
                &[
                    ("email", ADMIN_EMAIL),
                    ("password", PASSWORD),
                    ("confirm", PASSWORD),
                ],
            )
            .await;
        assert!(res.status().is_success(), "setup failed: {}", res.status());
    }

    /// Adds a user through the admin server function (self.client must be an admin).
    pub async fn add_user(&self, email: &str, role: &str) {
        let res = self
            .post_form(
                "/sfn/add_user",
                &[("email", email), ("role", role), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap_or_default()
        );
    }

    /// A new client signed in as `email`.
    pub async fn sign_in(&self, email: &str) -> reqwest::Client {
        let client = new_client();
        let res = self
            .post_form_with(
                &client,
                "/sfn/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "sign-in of {email} failed");
        client
    }

    /// Audit actions recorded so far, oldest first (read through the admin client).
    pub async fn audit_actions(&self) -> Vec<String> {
        let res = self
            .client
            .post(self.url("/sfn/list_audit"))
            .header("origin", &self.address)
            .json(&serde_json::json!({ "filter": {} }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        let page: serde_json::Value = res.json().await.expect("json");
        let mut actions: Vec<String> = page["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_string())
            .collect();
        actions.reverse();
        actions
    }
}
