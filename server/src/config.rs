//! Typed settings: the command line, `APP_*` environment variables and an
//! optional TOML file, in that order of precedence, over built-in defaults.
//! Every error names the setting that is wrong.

#![expect(
    clippy::doc_markdown,
    reason = "doc comments here are `--help` text, where backticks would show literally"
)]

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every `APP_*` variable the console reads; others draw a warning, because
/// they are usually typos.
pub const KNOWN_ENV: &[&str] = &[
    "APP_CONFIG",
    "APP_DATABASE",
    "APP_LOG",
    "APP_LOG_FORMAT",
    "APP_BIND",
    "APP_SITE_ROOT",
    "APP_PUBLIC_URL",
    "APP_SESSION_HOURS",
    "APP_BODY_LIMIT_BYTES",
    "APP_REQUEST_TIMEOUT_SECS",
    "APP_LOGIN_MAX_FAILURES",
    "APP_LOGIN_WINDOW_SECS",
    "APP_ERROR_RETENTION_DAYS",
    "APP_DEMO",
    "APP_COLLECT_EVERY_SECS",
    "APP_COUNT_EVERY_SECS",
    "APP_THROUGHPUT_MINUTE_DAYS",
    "APP_HEADER_READ_TIMEOUT_SECS",
    "APP_MAX_CONNECTIONS",
    "APP_TRUSTED_PROXIES",
    "APP_PASSWORD",
];

/// `dwconsole`: the Dual-write Console server and its administrative commands.
#[derive(Debug, Parser)]
#[command(name = "dwconsole", version, about, propagate_version = true)]
pub struct Cli {
    /// TOML settings file; command-line flags and APP_* variables override it.
    #[arg(long, env = "APP_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// SQLite database: a file path or a sqlite: URL [default: data/dwconsole.db]
    #[arg(long, env = "APP_DATABASE", global = true, value_name = "PATH_OR_URL")]
    pub database: Option<String>,
    /// Log filter in tracing's EnvFilter syntax [default: app=info,server=info,tower_http=info,sqlx=warn]
    #[arg(long, env = "APP_LOG", global = true, value_name = "FILTER")]
    pub log: Option<String>,
    /// Log format [default: text]
    #[arg(long, env = "APP_LOG_FORMAT", global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the console over HTTP.
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage environments (F&O + Dataverse pairs).
    #[command(subcommand)]
    Env(EnvCommand),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Serve the simulated F&O + Dataverse APIs alone (for trying connectors).
    Simulate(SimulateArgs),
    /// Reconcile one map now: a sample or a full keyed diff, printed and stored.
    Reconcile(ReconcileArgs),
    /// Run a collector once for an environment with a configured connection.
    Collect {
        /// The collector: errors (Dataverse plug-in trace logs into the error queue), map_states (F&O DualWriteProjectConfigurations), counts (records per map on both sides) or throughput (changes per map and minute).
        #[arg(default_value = "errors")]
        collector: String,
        /// The environment.
        #[arg(long)]
        env: String,
    },
}

/// Flags of `dwconsole reconcile`.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The environment (with a configured connection).
    #[arg(long)]
    pub env: String,
    /// The table map, by name.
    #[arg(long)]
    pub map: String,
    /// Records to sample per side [default: the map's setting, else 100]
    #[arg(long, conflicts_with = "full", value_name = "N")]
    pub sample: Option<usize>,
    /// Compare every record (a full keyed diff) instead of a sample
    #[arg(long)]
    pub full: bool,
    /// Print the result as JSON (the run and its differences)
    #[arg(long)]
    pub json: bool,
    /// Exit with status 2 when the drift rate is above this share, 0.0–1.0 (0: any drift)
    #[arg(long, default_value_t = 0.0, value_name = "SHARE")]
    pub max_drift: f64,
    /// Seconds to wait before differing records are read again (the lag guard)
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub recheck_secs: u64,
}

/// Flags of `dwconsole simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to listen on (loopback unless you mean otherwise)
    #[arg(long, default_value = "127.0.0.1:3100")]
    pub bind: SocketAddr,
    /// Seed for the generated data
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Seconds between two failed dual-write operations in the trace log
    #[arg(long, default_value_t = 20)]
    pub trace_every_secs: u64,
    /// Inject faults: share of requests answered 429 / 503 / truncated, e.g. 0.05,0.02,0.01
    #[arg(long, value_name = "THROTTLE,SERVER_ERROR,TRUNCATED")]
    pub faults: Option<String>,
    /// Serve only these tables, with these sizes, e.g. CustomersV3=100000,PaymentTerms=24 [default: all six synced starter tables]
    #[arg(long, value_name = "SET=RECORDS,…")]
    pub records: Option<String>,
    /// A table's injected drift, e.g. CustomersV3:changed=0.01,missing_dataverse=0.002 (repeatable; kinds: missing_dataverse, missing_fo, changed, enum_mismatch, precision, time_zone)
    #[arg(long, value_name = "SET:KIND=SHARE,…")]
    pub drift: Vec<String>,
    /// Create and update records over time, as the demo does
    #[arg(long)]
    pub churn: bool,
    /// Service protection: answer 429 with Retry-After past this many requests per window, e.g. 6000/300
    #[arg(long, value_name = "REQUESTS/SECS")]
    pub rate_limit: Option<String>,
}

/// `dwconsole import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import dual-write error entries from a CSV export (all rows or none).
    Errors {
        /// The CSV file.
        file: PathBuf,
        /// The environment the errors belong to.
        #[arg(long)]
        env: String,
        /// Column names for fields the file names differently, e.g. "message=Error text, occurred_at=When".
        #[arg(long, default_value = "")]
        columns: String,
    },
}

/// `dwconsole env …`
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Add an environment.
    Add {
        /// Unique name, e.g. UAT or Production.
        name: String,
        /// F&O environment URL, e.g. https://contoso.operations.dynamics.com
        #[arg(long, default_value = "")]
        fo_url: String,
        /// Dataverse environment URL, e.g. https://contoso.crm.dynamics.com
        #[arg(long, default_value = "")]
        dataverse_url: String,
        /// Legal entities in scope, comma-separated company codes (e.g. USMF,DEMF).
        #[arg(long, default_value = "")]
        legal_entities: String,
    },
}

/// `dwconsole user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password comes from APP_PASSWORD or a prompt.
    Add {
        /// Sign-in email address.
        #[arg(long)]
        email: String,
        /// Role: viewer, editor or admin.
        #[arg(long)]
        role: String,
    },
}

/// `dwconsole token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print its secret once.
    Add {
        /// What uses the token, e.g. "prod error collector".
        #[arg(long)]
        name: String,
    },
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Flags of `dwconsole serve`.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:3000]
    #[arg(long, env = "APP_BIND", value_name = "ADDR")]
    pub bind: Option<SocketAddr>,
    /// Directory with the built browser bundle (pkg/) and static files [default: target/site]
    #[arg(long, env = "APP_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<PathBuf>,
    /// The URL people use to reach the console; https here makes cookies Secure
    #[arg(long, env = "APP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Hours a sign-in lasts [default: 12]
    #[arg(long, env = "APP_SESSION_HOURS", value_name = "HOURS")]
    pub session_hours: Option<u64>,
    /// Largest request body accepted, in bytes [default: 16777216]
    #[arg(long, env = "APP_BODY_LIMIT_BYTES", value_name = "BYTES")]
    pub body_limit_bytes: Option<usize>,
    /// Seconds before a request is cut off with 408 [default: 30]
    #[arg(long, env = "APP_REQUEST_TIMEOUT_SECS", value_name = "SECS")]
    pub request_timeout_secs: Option<u64>,
    /// Failed sign-ins per address and email before a pause [default: 5]
    #[arg(long, env = "APP_LOGIN_MAX_FAILURES", value_name = "N")]
    pub login_max_failures: Option<u32>,
    /// Window, in seconds, over which failed sign-ins count [default: 900]
    #[arg(long, env = "APP_LOGIN_WINDOW_SECS", value_name = "SECS")]
    pub login_window_secs: Option<u64>,
    /// Days raw error entries are kept; groups and daily counts stay [default: 400]
    #[arg(long, env = "APP_ERROR_RETENTION_DAYS", value_name = "DAYS")]
    pub error_retention_days: Option<u32>,
    /// Days per-minute throughput rows are kept; hours and days stay [default: 30]
    #[arg(long, env = "APP_THROUGHPUT_MINUTE_DAYS", value_name = "DAYS")]
    pub throughput_minute_days: Option<u32>,
    /// Start the built-in simulated environment [default: on when no connection is configured]
    #[arg(long, overrides_with = "no_demo")]
    pub demo: bool,
    /// Do not start the simulated environment
    #[arg(long, overrides_with = "demo")]
    pub no_demo: bool,
    /// Seconds between collector runs for configured connections [default: 300]
    #[arg(long, env = "APP_COLLECT_EVERY_SECS", value_name = "SECS")]
    pub collect_every_secs: Option<u64>,
    /// Seconds between record counts for configured connections (they page whole tables) [default: 900]
    #[arg(long, env = "APP_COUNT_EVERY_SECS", value_name = "SECS")]
    pub count_every_secs: Option<u64>,
    /// Seconds a client may take to send a request's headers before the connection is closed [default: 10]
    #[arg(long, env = "APP_HEADER_READ_TIMEOUT_SECS", value_name = "SECS")]
    pub header_read_timeout_secs: Option<u64>,
    /// Most connections open at once; more wait to be accepted [default: 1024]
    #[arg(long, env = "APP_MAX_CONNECTIONS", value_name = "N")]
    pub max_connections: Option<usize>,
    /// Reverse proxies whose X-Forwarded-For / Forwarded headers name the client, as addresses or CIDR ranges, comma-separated (e.g. 127.0.0.1,10.0.0.0/8) [default: none]
    #[arg(long, env = "APP_TRUSTED_PROXIES", value_name = "ADDRS")]
    pub trusted_proxies: Option<String>,
}

/// A connection in the settings file: `[connections."Production"]`. The
/// secret comes from an environment variable or a file, never the file
/// itself, and is never logged or shown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionSettings {
    /// Entra ID tenant id or domain.
    pub tenant: String,
    /// The app registration's client id.
    pub client_id: String,
    /// Name of the environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// Path of a file holding the client secret.
    pub client_secret_file: Option<PathBuf>,
    /// Token authority [default: https://login.microsoftonline.com]
    pub authority: Option<String>,
    /// Dataverse base URL to call instead of the environment's (a proxy,
    /// or the simulator) [default: the environment's Dataverse URL]
    pub dataverse_url: Option<String>,
    /// F&O base URL to call instead of the environment's [default: the
    /// environment's F&O URL]
    pub fo_url: Option<String>,
}

/// The optional TOML file: the same settings as the flags, by the flag name
/// with underscores. Unknown keys are an error naming the key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    database: Option<String>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    bind: Option<String>,
    site_root: Option<PathBuf>,
    public_url: Option<String>,
    session_hours: Option<u64>,
    body_limit_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
    login_max_failures: Option<u32>,
    login_window_secs: Option<u64>,
    error_retention_days: Option<u32>,
    throughput_minute_days: Option<u32>,
    demo: Option<bool>,
    collect_every_secs: Option<u64>,
    count_every_secs: Option<u64>,
    header_read_timeout_secs: Option<u64>,
    max_connections: Option<usize>,
    trusted_proxies: Option<String>,
    /// Connections by environment name.
    #[serde(default)]
    pub connections: std::collections::BTreeMap<String, ConnectionSettings>,
}

impl FileSettings {
    /// Reads and parses the file; errors name the file and the bad key.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        toml::from_str(&text)
            .with_context(|| format!("the settings file {} is invalid", path.display()))
    }
}

/// Settings shared by every subcommand.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    /// Database file path (or sqlite: URL).
    pub database: String,
    /// Log filter.
    pub log: String,
    /// Log format.
    pub log_format: LogFormat,
}

/// Everything `serve` needs, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Shared settings.
    pub common: CommonSettings,
    /// Listen address.
    pub bind: SocketAddr,
    /// Built site directory.
    pub site_root: PathBuf,
    /// Public URL, if configured.
    pub public_url: Option<String>,
    /// Session lifetime.
    pub session_ttl: Duration,
    /// Request body limit in bytes.
    pub body_limit_bytes: usize,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Failed sign-ins before a pause.
    pub login_max_failures: u32,
    /// Window for counting failed sign-ins.
    pub login_window: Duration,
    /// How long raw error entries are kept.
    pub error_retention_days: u32,
    /// How long per-minute throughput rows are kept.
    pub throughput_minute_days: u32,
    /// Whether the simulated environment runs.
    pub demo: bool,
    /// Configured connections by environment name.
    pub connections: std::collections::BTreeMap<String, ConnectionSettings>,
    /// Time between collector runs for configured connections.
    pub collect_every: Duration,
    /// Time between record counts.
    pub count_every: Duration,
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: app::auth::TrustedProxies,
}

impl CommonSettings {
    /// Where full diffs keep their partition files: `reconcile/` beside
    /// the database file, or in the temporary directory for a `sqlite:`
    /// URL.
    pub fn reconcile_dir(&self) -> PathBuf {
        if self.database.starts_with("sqlite:") {
            return std::env::temp_dir().join("dwconsole-reconcile");
        }
        Path::new(&self.database)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("reconcile")
    }
}

impl Settings {
    /// Where full diffs keep their partition files.
    pub fn reconcile_dir(&self) -> PathBuf {
        self.common.reconcile_dir()
    }

    /// Settings for tests: a given database, port 0, defaults elsewhere.
    pub fn for_tests(database: &str) -> Self {
        let mut s = resolve_serve(
            &Cli::parse_from(["dwconsole", "serve"]),
            &ServeArgs::default(),
            &FileSettings::default(),
        )
        .expect("default settings are valid");
        s.common.database = database.to_string();
        s.bind = "127.0.0.1:0".parse().expect("valid address");
        s.demo = false;
        s
    }

    /// Whether cookies should carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"))
    }
}

/// Loads the TOML file named by `--config`, if any.
pub fn load_file(cli: &Cli) -> anyhow::Result<FileSettings> {
    match &cli.config {
        Some(path) => FileSettings::load(path),
        None => Ok(FileSettings::default()),
    }
}

/// Resolves the settings every subcommand shares.
pub fn resolve_common(cli: &Cli, file: &FileSettings) -> CommonSettings {
    CommonSettings {
        database: cli
            .database
            .clone()
            .or_else(|| file.database.clone())
            .unwrap_or_else(|| "data/dwconsole.db".into()),
        log: cli
            .log
            .clone()
            .or_else(|| file.log.clone())
            .unwrap_or_else(|| "app=info,server=info,tower_http=info,sqlx=warn".into()),
        log_format: cli.log_format.or(file.log_format).unwrap_or_default(),
    }
}

/// Resolves `serve`'s settings: flag or variable, else file, else default.
pub fn resolve_serve(cli: &Cli, args: &ServeArgs, file: &FileSettings) -> anyhow::Result<Settings> {
    let bind = match (args.bind, &file.bind) {
        (Some(b), _) => b,
        (None, Some(text)) => text.parse().map_err(|_| {
            anyhow::anyhow!(
                "setting bind (--bind, APP_BIND): '{text}' is not an address like 127.0.0.1:3000"
            )
        })?,
        (None, None) => "127.0.0.1:3000".parse().expect("valid default"),
    };
    let public_url = args.public_url.clone().or_else(|| file.public_url.clone());
    if let Some(u) = &public_url {
        let lower = u.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            bail!(
                "setting public_url (--public-url, APP_PUBLIC_URL): '{u}' must start with http:// or https://"
            );
        }
    }
    let session_hours = args.session_hours.or(file.session_hours).unwrap_or(12);
    if session_hours == 0 || session_hours > 24 * 30 {
        bail!(
            "setting session_hours (--session-hours, APP_SESSION_HOURS): {session_hours} is outside 1..=720"
        );
    }
    let body_limit_bytes = args
        .body_limit_bytes
        .or(file.body_limit_bytes)
        .unwrap_or(16 * 1024 * 1024);
    if body_limit_bytes < 1024 {
        bail!(
            "setting body_limit_bytes (--body-limit-bytes, APP_BODY_LIMIT_BYTES): {body_limit_bytes} is below 1024"
        );
    }
    let timeout = args
        .request_timeout_secs
        .or(file.request_timeout_secs)
        .unwrap_or(30);
    if timeout == 0 {
        bail!(
            "setting request_timeout_secs (--request-timeout-secs, APP_REQUEST_TIMEOUT_SECS) must be at least 1"
        );
    }
    let login_max_failures = args
        .login_max_failures
        .or(file.login_max_failures)
        .unwrap_or(5);
    if login_max_failures == 0 {
        bail!(
            "setting login_max_failures (--login-max-failures, APP_LOGIN_MAX_FAILURES) must be at least 1"
        );
    }
    let error_retention_days = args
        .error_retention_days
        .or(file.error_retention_days)
        .unwrap_or(400);
    if error_retention_days == 0 {
        bail!(
            "setting error_retention_days (--error-retention-days, APP_ERROR_RETENTION_DAYS) must be at least 1"
        );
    }
    let throughput_minute_days = args
        .throughput_minute_days
        .or(file.throughput_minute_days)
        .unwrap_or(30);
    if throughput_minute_days == 0 {
        bail!(
            "setting throughput_minute_days (--throughput-minute-days, APP_THROUGHPUT_MINUTE_DAYS) must be at least 1"
        );
    }
    let demo_env = std::env::var("APP_DEMO").ok().map(|v| {
        !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "no" | "off"
        )
    });
    let demo = if args.no_demo {
        false
    } else if args.demo {
        true
    } else {
        demo_env
            .or(file.demo)
            .unwrap_or(file.connections.is_empty())
    };
    let collect_every_secs = args
        .collect_every_secs
        .or(file.collect_every_secs)
        .unwrap_or(300);
    if collect_every_secs < 5 {
        bail!(
            "setting collect_every_secs (--collect-every-secs, APP_COLLECT_EVERY_SECS): {collect_every_secs} is below 5"
        );
    }
    let count_every_secs = args
        .count_every_secs
        .or(file.count_every_secs)
        .unwrap_or(900);
    if count_every_secs < 60 {
        bail!(
            "setting count_every_secs (--count-every-secs, APP_COUNT_EVERY_SECS): {count_every_secs} is below 60"
        );
    }
    let header_read_timeout_secs = args
        .header_read_timeout_secs
        .or(file.header_read_timeout_secs)
        .unwrap_or(10);
    if header_read_timeout_secs == 0 {
        bail!(
            "setting header_read_timeout_secs (--header-read-timeout-secs, APP_HEADER_READ_TIMEOUT_SECS) must be at least 1"
        );
    }
    let max_connections = args
        .max_connections
        .or(file.max_connections)
        .unwrap_or(1024);
    if max_connections < 8 {
        bail!(
            "setting max_connections (--max-connections, APP_MAX_CONNECTIONS): {max_connections} is below 8"
        );
    }
    let trusted_proxies = args
        .trusted_proxies
        .as_deref()
        .or(file.trusted_proxies.as_deref())
        .map(app::auth::TrustedProxies::parse)
        .transpose()
        .map_err(|e| {
            anyhow::anyhow!("setting trusted_proxies (--trusted-proxies, APP_TRUSTED_PROXIES): {e}")
        })?
        .unwrap_or_default();
    for (name, c) in &file.connections {
        if c.client_secret_env.is_none() == c.client_secret_file.is_none() {
            bail!(
                "setting connections.\"{name}\": give exactly one of client_secret_env and client_secret_file"
            );
        }
    }
    Ok(Settings {
        common: resolve_common(cli, file),
        error_retention_days,
        throughput_minute_days,
        demo,
        connections: file.connections.clone(),
        collect_every: Duration::from_secs(collect_every_secs),
        count_every: Duration::from_secs(count_every_secs),
        header_read_timeout: Duration::from_secs(header_read_timeout_secs),
        max_connections,
        trusted_proxies,
        bind,
        site_root: args
            .site_root
            .clone()
            .or_else(|| file.site_root.clone())
            .unwrap_or_else(|| "target/site".into()),
        public_url,
        session_ttl: Duration::from_secs(session_hours * 3600),
        body_limit_bytes,
        request_timeout: Duration::from_secs(timeout),
        login_max_failures,
        login_window: Duration::from_secs(
            args.login_window_secs
                .or(file.login_window_secs)
                .unwrap_or(900),
        ),
    })
}

/// `APP_*` variables in the environment that the console does not know.
pub fn unknown_env_vars() -> Vec<String> {
    std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("APP_") && !KNOWN_ENV.contains(&k.as_str()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> anyhow::Result<FileSettings> {
        Ok(toml::from_str(text)?)
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cli = Cli::parse_from(["dwconsole", "serve"]);
        let s = resolve_serve(&cli, &ServeArgs::default(), &FileSettings::default()).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(s.common.database, "data/dwconsole.db");
        assert_eq!(s.session_ttl, Duration::from_secs(12 * 3600));
        assert!(!s.secure_cookies());
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let cli = Cli::parse_from(["dwconsole", "--database", "flag.db", "serve"]);
        let f = file("database = 'file.db'\nbind = '127.0.0.1:4000'\nsession_hours = 2").unwrap();
        let args = ServeArgs {
            session_hours: Some(3),
            ..Default::default()
        };
        let s = resolve_serve(&cli, &args, &f).unwrap();
        assert_eq!(s.common.database, "flag.db");
        assert_eq!(s.bind.port(), 4000);
        assert_eq!(s.session_ttl, Duration::from_secs(3 * 3600));
    }

    #[test]
    fn unknown_file_keys_are_rejected_by_name() {
        let err = file("bindd = '1'").unwrap_err().to_string();
        assert!(err.contains("bindd"), "{err}");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let cli = Cli::parse_from(["dwconsole", "serve"]);
        let f = file("bind = 'localhost'").unwrap();
        let err = resolve_serve(&cli, &ServeArgs::default(), &f)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("APP_BIND") && err.contains("localhost"),
            "{err}"
        );
        let args = ServeArgs {
            public_url: Some("console.example".into()),
            ..Default::default()
        };
        let err = resolve_serve(&cli, &args, &FileSettings::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_PUBLIC_URL"), "{err}");
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let cli = Cli::parse_from(["dwconsole", "serve", "--public-url", "https://dw.example"]);
        let Command::Serve(args) = &cli.command else {
            unreachable!()
        };
        let s = resolve_serve(&cli, args, &FileSettings::default()).unwrap();
        assert!(s.secure_cookies());
    }

    #[test]
    fn clap_rejects_a_malformed_bind_flag_naming_it() {
        let err = Cli::try_parse_from(["dwconsole", "serve", "--bind", "nope"]).unwrap_err();
        assert!(err.to_string().contains("--bind"), "{err}");
    }
}
