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
#[allow(unused_imports)]
use std::str::FromStr as _;
use std::time::Duration;

/// Where a setting applies and how it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every subcommand: a global flag, its variable and a file key.
    Global,
    /// The settings file's own name: a global flag and its variable.
    ConfigFile,
    /// `serve`: a flag, its variable and a file key.
    Serve,
    /// `serve --x` / `--no-x`, its variable (true or false) and a file key.
    ServeSwitch,
    /// A variable only (a secret that must not be a flag).
    VariableOnly,
}

/// One setting, declared once: the flag (its name with underscores is the
/// file key), the variable, what it is (the README's words and `--help`'s),
/// the default, and the check every value goes through, wherever it came
/// from. The command line, the settings file, the warning about unknown
/// variables and the README's table all follow from [`SETTINGS`].
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The flag without its dashes, e.g. `session-hours`.
    pub flag: &'static str,
    /// The environment variable, `APP_` and the file key in capitals.
    pub env: &'static str,
    /// What it is, e.g. "sign-in lifetime, hours".
    pub what: &'static str,
    /// The placeholder in `--help`, e.g. `HOURS`.
    pub value_name: &'static str,
    /// The default value, parsed like any other; `None` when there is none.
    pub default: Option<&'static str>,
    /// The default in words, when it is not a value.
    pub default_words: Option<&'static str>,
    /// Where it applies.
    pub scope: Scope,
    /// Checks a value; the message completes "setting X (--x, APP_X): …".
    pub check: fn(&str) -> Result<(), String>,
}

impl Setting {
    /// The key in the settings file.
    pub fn key(&self) -> String {
        self.flag.replace('-', "_")
    }

    /// Names the setting in an error: `setting bind (--bind, APP_BIND)`.
    fn named(&self) -> String {
        match self.scope {
            Scope::VariableOnly => format!("setting {}", self.env),
            _ => format!("setting {} (--{}, {})", self.key(), self.flag, self.env),
        }
    }

    /// Its default for people: the value, the words, or "none".
    fn default_text(&self) -> String {
        match (self.default, self.default_words) {
            (_, Some(words)) => words.to_string(),
            (Some(v), None) => format!("`{v}`"),
            (None, None) => "none".into(),
        }
    }

    /// Its row in the README's table.
    pub fn readme_row(&self) -> String {
        let flag = match self.scope {
            Scope::Global | Scope::ConfigFile => format!("`--{}`", self.flag),
            Scope::Serve => format!("`serve --{}`", self.flag),
            Scope::ServeSwitch => format!("`serve --{0}` / `--no-{0}`", self.flag),
            Scope::VariableOnly => "—".into(),
        };
        format!(
            "| {} | {flag} | `{}` | {} |",
            self.what,
            self.env,
            self.default_text()
        )
    }

    /// The clap argument of a flag that takes a value. The value parser is
    /// the setting's check, so a bad flag or variable is refused by name.
    fn arg(&'static self) -> clap::Arg {
        let default = match (self.default, self.default_words) {
            (_, Some(words)) => format!(" [default: {words}]"),
            (Some(v), None) => format!(" [default: {v}]"),
            (None, None) => String::new(),
        };
        clap::Arg::new(self.flag)
            .long(self.flag)
            .env(self.env)
            .value_name(self.value_name)
            .help(format!("{}{default}", upper_first(self.what)))
            // The message names the variable too: the value may have come
            // from it rather than the flag.
            .value_parser(move |v: &str| {
                (self.check)(v)
                    .map(|()| v.to_string())
                    .map_err(|m| format!("{}: {m}", self.named()))
            })
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// A database location the console can open (see [`crate::db::Location`]).
fn database(v: &str) -> Result<(), String> {
    crate::db::Location::parse(v).map(|_| ())
}

/// Any text.
fn any(_: &str) -> Result<(), String> {
    Ok(())
}

/// A whole number of at least `MIN`.
fn at_least<const MIN: u64>(v: &str) -> Result<(), String> {
    match v.trim().parse::<u64>() {
        Ok(n) if n >= MIN => Ok(()),
        Ok(_) if MIN == 1 => Err("must be at least 1".into()),
        Ok(n) => Err(format!("{n} is below {MIN}")),
        Err(_) => Err(format!("'{v}' is not a whole number")),
    }
}

/// A whole number in `MIN..=MAX`.
fn between<const MIN: u64, const MAX: u64>(v: &str) -> Result<(), String> {
    match v.trim().parse::<u64>() {
        Ok(n) if (MIN..=MAX).contains(&n) => Ok(()),
        Ok(n) => Err(format!("{n} is outside {MIN}..={MAX}")),
        Err(_) => Err(format!("'{v}' is not a whole number")),
    }
}

fn address(v: &str) -> Result<(), String> {
    v.trim()
        .parse::<SocketAddr>()
        .map(|_| ())
        .map_err(|_| format!("'{v}' is not an address like 127.0.0.1:3000"))
}

fn http_url(v: &str) -> Result<(), String> {
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        Ok(())
    } else {
        Err(format!("'{v}' must start with http:// or https://"))
    }
}

fn log_format(v: &str) -> Result<(), String> {
    LogFormat::from_str(v.trim(), true)
        .map(|_| ())
        .map_err(|_| format!("'{v}' is neither text nor json"))
}

fn proxies(v: &str) -> Result<(), String> {
    app::auth::TrustedProxies::parse(v).map(|_| ())
}

/// A host name or IP address, without a scheme or port.
fn host_name(v: &str) -> Result<(), String> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 253
        && (v.parse::<std::net::IpAddr>().is_ok()
            || v.split('.').all(|l| {
                !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{v}' is not a host name like smtp.example.com (no scheme, no port: the port is smtp-port)"
        ))
    }
}

fn smtp_tls(v: &str) -> Result<(), String> {
    SmtpTls::from_str(v.trim(), true)
        .map(|_| ())
        .map_err(|_| format!("'{v}' is none of starttls, tls and none"))
}

/// An address for `From:`, with or without a display name.
fn mailbox(v: &str) -> Result<(), String> {
    v.trim()
        .parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|_| {
            format!(
                "'{v}' is not an address like dwconsole@example.com or Name <dwconsole@example.com>"
            )
        })
}

fn switch(_: &str) -> Result<(), String> {
    Ok(())
}

/// A switch's value from a variable or the file: 0, false, no or off (in
/// any case) turn it off, anything else on.
fn switch_value(v: &str) -> bool {
    !matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off"
    )
}

/// Every setting.
pub const SETTINGS: &[Setting] = &[
    Setting {
        flag: "config",
        env: "APP_CONFIG",
        what: "settings file",
        value_name: "FILE",
        default: None,
        default_words: None,
        scope: Scope::ConfigFile,
        check: any,
    },
    Setting {
        flag: "database",
        env: "APP_DATABASE",
        what: "database: a SQLite file path or `sqlite:` URL, or a `postgres://` URL",
        value_name: "PATH_OR_URL",
        default: Some("data/dwconsole.db"),
        default_words: None,
        scope: Scope::Global,
        check: database,
    },
    Setting {
        flag: "log",
        env: "APP_LOG",
        what: "log filter (`EnvFilter` syntax)",
        value_name: "FILTER",
        default: Some("app=info,server=info,tower_http=info,sqlx=warn"),
        default_words: None,
        scope: Scope::Global,
        check: any,
    },
    Setting {
        flag: "log-format",
        env: "APP_LOG_FORMAT",
        what: "log format (`text`, `json`)",
        value_name: "FORMAT",
        default: Some("text"),
        default_words: None,
        scope: Scope::Global,
        check: log_format,
    },
    Setting {
        flag: "bind",
        env: "APP_BIND",
        what: "listen address",
        value_name: "ADDR",
        default: Some("127.0.0.1:3000"),
        default_words: None,
        scope: Scope::Serve,
        check: address,
    },
    Setting {
        flag: "site-root",
        env: "APP_SITE_ROOT",
        what: "built site (bundle + static files)",
        value_name: "DIR",
        default: Some("target/site"),
        default_words: None,
        scope: Scope::Serve,
        check: any,
    },
    Setting {
        flag: "public-url",
        env: "APP_PUBLIC_URL",
        what: "public URL (`https://…` makes cookies `Secure`)",
        value_name: "URL",
        default: None,
        default_words: None,
        scope: Scope::Serve,
        check: http_url,
    },
    Setting {
        flag: "session-hours",
        env: "APP_SESSION_HOURS",
        what: "sign-in lifetime, hours",
        value_name: "HOURS",
        default: Some("12"),
        default_words: None,
        scope: Scope::Serve,
        check: between::<1, 720>,
    },
    Setting {
        flag: "body-limit-bytes",
        env: "APP_BODY_LIMIT_BYTES",
        what: "request body limit, bytes",
        value_name: "BYTES",
        default: Some("16777216"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<1024>,
    },
    Setting {
        flag: "request-timeout-secs",
        env: "APP_REQUEST_TIMEOUT_SECS",
        what: "request timeout, seconds",
        value_name: "SECS",
        default: Some("30"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<1>,
    },
    Setting {
        flag: "login-max-failures",
        env: "APP_LOGIN_MAX_FAILURES",
        what: "failed sign-ins before a pause",
        value_name: "N",
        default: Some("5"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<1>,
    },
    Setting {
        flag: "login-window-secs",
        env: "APP_LOGIN_WINDOW_SECS",
        what: "window for counting them, seconds",
        value_name: "SECS",
        default: Some("900"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<1>,
    },
    Setting {
        flag: "error-retention-days",
        env: "APP_ERROR_RETENTION_DAYS",
        what: "days raw error entries are kept (groups and daily counts stay)",
        value_name: "DAYS",
        default: Some("400"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<1>,
    },
    Setting {
        flag: "demo",
        env: "APP_DEMO",
        what: "demo mode (the simulated environment)",
        value_name: "BOOL",
        default: None,
        default_words: Some("on when no connection is configured"),
        scope: Scope::ServeSwitch,
        check: switch,
    },
    Setting {
        flag: "collect-every-secs",
        env: "APP_COLLECT_EVERY_SECS",
        what: "seconds between collector runs",
        value_name: "SECS",
        default: Some("300"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<5>,
    },
    Setting {
        flag: "throughput-minute-days",
        env: "APP_THROUGHPUT_MINUTE_DAYS",
        what: "days per-minute throughput rows are kept (hours and days stay)",
        value_name: "DAYS",
        default: Some("30"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<1>,
    },
    Setting {
        flag: "count-every-secs",
        env: "APP_COUNT_EVERY_SECS",
        what: "seconds between record counts (at least 60)",
        value_name: "SECS",
        default: Some("900"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<60>,
    },
    Setting {
        flag: "lease-secs",
        env: "APP_LEASE_SECS",
        what: "seconds the scheduler lease lasts unless renewed (with several servers, another takes the scheduled work over within this time after its holder dies)",
        value_name: "SECS",
        default: Some("30"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<3>,
    },
    Setting {
        flag: "header-read-timeout-secs",
        env: "APP_HEADER_READ_TIMEOUT_SECS",
        what: "seconds a client has to send its request headers",
        value_name: "SECS",
        default: Some("10"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<1>,
    },
    Setting {
        flag: "database-connections",
        env: "APP_DATABASE_CONNECTIONS",
        what: "most connections a server keeps open to the database (with PostgreSQL, count them for every server against its max_connections)",
        value_name: "N",
        default: Some("8"),
        default_words: None,
        scope: Scope::Serve,
        check: between::<2, 200>,
    },
    Setting {
        flag: "max-connections",
        env: "APP_MAX_CONNECTIONS",
        what: "most connections open at once (more wait to be accepted)",
        value_name: "N",
        default: Some("1024"),
        default_words: None,
        scope: Scope::Serve,
        check: at_least::<8>,
    },
    Setting {
        flag: "trusted-proxies",
        env: "APP_TRUSTED_PROXIES",
        what: "reverse proxies whose `X-Forwarded-For` / `Forwarded` name the client (addresses or CIDR ranges, comma-separated)",
        value_name: "ADDRS",
        default: None,
        default_words: None,
        scope: Scope::Serve,
        check: proxies,
    },
    Setting {
        flag: "smtp-host",
        env: "APP_SMTP_HOST",
        what: "SMTP relay for email notifications (host name; none: email is off)",
        value_name: "HOST",
        default: None,
        default_words: None,
        scope: Scope::Serve,
        check: host_name,
    },
    Setting {
        flag: "smtp-port",
        env: "APP_SMTP_PORT",
        what: "its port",
        value_name: "PORT",
        default: None,
        default_words: Some("587 with `starttls`, 465 with `tls`, 25 with `none`"),
        scope: Scope::Serve,
        check: between::<1, 65535>,
    },
    Setting {
        flag: "smtp-tls",
        env: "APP_SMTP_TLS",
        what: "how to secure it (`starttls`, `tls`, or `none` for a relay on this machine only)",
        value_name: "MODE",
        default: Some("starttls"),
        default_words: None,
        scope: Scope::Serve,
        check: smtp_tls,
    },
    Setting {
        flag: "smtp-user",
        env: "APP_SMTP_USER",
        what: "user name to sign in to it (with `APP_SMTP_PASSWORD`)",
        value_name: "USER",
        default: None,
        default_words: Some("no sign-in"),
        scope: Scope::Serve,
        check: any,
    },
    Setting {
        flag: "smtp-from",
        env: "APP_SMTP_FROM",
        what: "sender of email notifications, e.g. `Dual-write Console <dwconsole@example.com>`",
        value_name: "ADDRESS",
        default: None,
        default_words: None,
        scope: Scope::Serve,
        check: mailbox,
    },
    Setting {
        flag: "password",
        env: "APP_PASSWORD",
        what: "password for `user add`",
        value_name: "PASSWORD",
        default: None,
        default_words: Some("prompt"),
        scope: Scope::VariableOnly,
        check: any,
    },
    Setting {
        flag: "smtp-password",
        env: "APP_SMTP_PASSWORD",
        what: "password for `smtp-user`",
        value_name: "PASSWORD",
        default: None,
        default_words: None,
        scope: Scope::VariableOnly,
        check: any,
    },
];

/// The README's settings table, from [`SETTINGS`] (a test keeps the README
/// equal to it).
pub fn readme_table() -> String {
    let mut rows = vec![
        "| setting | flag | variable | default |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    let mut settings = SETTINGS.iter();
    // The connections come from the file alone, as tables.
    for s in settings
        .by_ref()
        .take_while(|s| s.scope != Scope::VariableOnly)
    {
        rows.push(s.readme_row());
    }
    rows.push(
        "| connections | settings file only, `[connections.\"NAME\"]` | — | none |".to_string(),
    );
    rows.extend(
        SETTINGS
            .iter()
            .filter(|s| s.scope == Scope::VariableOnly)
            .map(Setting::readme_row),
    );
    rows.join("\n") + "\n"
}

fn setting(flag: &str) -> &'static Setting {
    SETTINGS
        .iter()
        .find(|s| s.flag == flag)
        .expect("a declared setting")
}

/// The values given on the command line or in the environment, by flag.
/// Implements clap's `Args` from [`SETTINGS`] of the given scopes.
#[derive(Debug, Clone, Default)]
pub struct Given(std::collections::BTreeMap<&'static str, String>);

impl Given {
    fn augment(mut cmd: clap::Command, scopes: &[Scope], global: bool) -> clap::Command {
        for s in SETTINGS.iter().filter(|s| scopes.contains(&s.scope)) {
            if s.scope == Scope::ServeSwitch {
                cmd = cmd
                    .arg(
                        // The variable is read in `from`, with the words
                        // people use (clap's switch takes only true/false).
                        clap::Arg::new(s.flag)
                            .long(s.flag)
                            .action(clap::ArgAction::SetTrue)
                            .overrides_with("no-demo")
                            .help(format!(
                                "Turn on {} [default: {}] [env: {}]",
                                s.what,
                                s.default_text(),
                                s.env
                            )),
                    )
                    .arg(
                        clap::Arg::new("no-demo")
                            .long("no-demo")
                            .action(clap::ArgAction::SetTrue)
                            .overrides_with(s.flag)
                            .help(format!("Turn off {}", s.what)),
                    );
            } else {
                cmd = cmd.arg(s.arg().global(global));
            }
        }
        cmd
    }

    fn from(m: &clap::ArgMatches, scopes: &[Scope]) -> Self {
        let mut given = std::collections::BTreeMap::new();
        for s in SETTINGS.iter().filter(|s| scopes.contains(&s.scope)) {
            if s.scope == Scope::ServeSwitch {
                if m.get_flag("no-demo") {
                    given.insert(s.flag, "false".into());
                } else if m.get_flag(s.flag) {
                    given.insert(s.flag, "true".into());
                } else if let Ok(v) = std::env::var(s.env) {
                    given.insert(s.flag, switch_value(&v).to_string());
                }
            } else if let Some(v) = m.get_one::<String>(s.flag) {
                given.insert(s.flag, v.clone());
            }
        }
        Given(given)
    }

    /// Sets a value as if given on the command line (tests).
    pub fn with(mut self, flag: &str, value: &str) -> Self {
        self.0.insert(setting(flag).flag, value.to_string());
        self
    }
}

/// The global settings given on the command line or in the environment.
#[derive(Debug, Clone, Default)]
pub struct GlobalArgs(pub Given);

impl clap::FromArgMatches for GlobalArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(GlobalArgs(Given::from(
            m,
            &[Scope::ConfigFile, Scope::Global],
        )))
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for GlobalArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        Given::augment(cmd, &[Scope::ConfigFile, Scope::Global], true)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// `serve`'s settings given on the command line or in the environment.
#[derive(Debug, Clone, Default)]
pub struct ServeArgs(pub Given);

impl clap::FromArgMatches for ServeArgs {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        Ok(ServeArgs(Given::from(
            m,
            &[Scope::Serve, Scope::ServeSwitch],
        )))
    }
    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for ServeArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        Given::augment(cmd, &[Scope::Serve, Scope::ServeSwitch], false)
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// `dwconsole`: the Dual-write Console server and its administrative commands.
#[derive(Debug, Parser)]
#[command(name = "dwconsole", version, about, propagate_version = true)]
pub struct Cli {
    /// The global settings (see [`SETTINGS`]).
    #[command(flatten)]
    pub globals: GlobalArgs,
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
    /// Run the current error classifier over every error group again (after an upgrade changed it) and print what moved.
    Reclassify {
        /// Only this environment [default: every environment]
        #[arg(long)]
        env: Option<String>,
    },
    /// Move this installation to another database: copy every table from a SQLite file into a new PostgreSQL database, or back, in one transaction, then compare the counts.
    MigrateDb {
        /// Where the data is: a SQLite file (a path or sqlite: URL) or a postgres:// URL. Stop its servers first.
        #[arg(long, value_name = "DATABASE")]
        from: String,
        /// Where it goes: a new or empty database of the other kind (migrated first; one holding rows is refused).
        #[arg(long, value_name = "DATABASE")]
        to: String,
    },
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

/// The optional TOML file: the settings of [`SETTINGS`] by their keys, and
/// the connections. Unknown keys are an error naming the key.
#[derive(Debug, Default)]
pub struct FileSettings {
    values: std::collections::BTreeMap<String, String>,
    /// Connections by environment name.
    pub connections: std::collections::BTreeMap<String, ConnectionSettings>,
}

impl FileSettings {
    /// Reads and parses the file; errors name the file and the bad key.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        Self::parse(&text)
            .with_context(|| format!("the settings file {} is invalid", path.display()))
    }

    /// Parses a settings file's text.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let table: toml::Table = toml::from_str(text)?;
        let mut file = FileSettings::default();
        for (key, value) in table {
            if key == "connections" {
                file.connections = value.try_into().context("connections")?;
                continue;
            }
            let Some(s) = SETTINGS.iter().find(|s| {
                s.key() == key && !matches!(s.scope, Scope::ConfigFile | Scope::VariableOnly)
            }) else {
                let keys: Vec<String> = SETTINGS
                    .iter()
                    .filter(|s| !matches!(s.scope, Scope::ConfigFile | Scope::VariableOnly))
                    .map(Setting::key)
                    .collect();
                bail!(
                    "unknown setting '{key}'; the file's settings are {} and [connections]",
                    keys.join(", ")
                );
            };
            let text = match value {
                toml::Value::String(v) => v,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => bail!(
                    "{}: {other} is neither text, a number nor true/false",
                    s.named()
                ),
            };
            file.values.insert(key, text);
        }
        Ok(file)
    }
}

/// Settings shared by every subcommand.
#[derive(Debug, Clone)]
pub struct CommonSettings {
    /// Where the database is: a SQLite file path or `sqlite:` URL, or a
    /// `postgres://` URL.
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
    /// How long the scheduler lease lasts unless renewed.
    pub lease_ttl: Duration,
    /// Time a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// Most connections the server keeps open to the database.
    pub database_connections: u32,
    /// Proxies whose forwarding headers are believed.
    pub trusted_proxies: app::auth::TrustedProxies,
    /// The SMTP relay for email notifications, if configured.
    pub smtp: Option<SmtpSettings>,
}

/// How the connection to the SMTP relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS, which must succeed
    /// (submission, port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to a relay on this machine.
    None,
}

impl SmtpTls {
    /// The usual port for the mode.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }
}

/// The SMTP relay email notifications go through.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// User name and password to sign in with, if any.
    pub credentials: Option<(String, String)>,
    /// The `From:` address.
    pub from: String,
}

// By hand: the password must never reach a log line through `{:?}`.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .field("from", &self.from)
            .finish()
    }
}

impl SmtpSettings {
    /// Where email goes out, in words, for the channels page.
    pub fn describe(&self) -> String {
        let how = match self.tls {
            SmtpTls::Starttls => "STARTTLS",
            SmtpTls::Tls => "TLS",
            SmtpTls::None => "unencrypted, on this machine",
        };
        format!("{}:{} ({how}), from {}", self.host, self.port, self.from)
    }
}

/// FNV-1a, 64 bits: a name stable across builds and machines (std's
/// hasher promises neither).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl CommonSettings {
    /// Where full diffs keep their partition files: `reconcile/` beside
    /// the database file, or in the temporary directory for a `sqlite:` or
    /// `postgres://` URL. A server that takes over a run resumes from the
    /// files when they are on its machine, and reads both sides again when
    /// they are not (another machine's, with PostgreSQL).
    pub fn reconcile_dir(&self) -> PathBuf {
        if !matches!(
            crate::db::Location::parse(&self.database),
            Ok(crate::db::Location::File(_))
        ) {
            // One folder per database: run ids start at 1 in each, so two
            // installations on one machine must not share one.
            return std::env::temp_dir().join(format!(
                "dwconsole-reconcile-{:016x}",
                fnv1a(crate::db::redacted(&self.database).as_bytes())
            ));
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

/// A setting's value: given (flag or variable), else the file, else the
/// default, each checked the setting's one way.
fn value(given: &Given, file: &FileSettings, flag: &str) -> anyhow::Result<Option<String>> {
    let s = setting(flag);
    let v = given
        .0
        .get(s.flag)
        .cloned()
        .or_else(|| file.values.get(&s.key()).cloned())
        .or_else(|| s.default.map(str::to_string));
    if let Some(v) = &v {
        (s.check)(v).map_err(|m| anyhow::anyhow!("{}: {m}", s.named()))?;
    }
    Ok(v)
}

/// A setting's value parsed as `T`; its check passed, so it parses.
fn typed<T: std::str::FromStr>(
    given: &Given,
    file: &FileSettings,
    flag: &str,
) -> anyhow::Result<Option<T>> {
    value(given, file, flag)?
        .map(|v| {
            v.trim()
                .parse::<T>()
                .map_err(|_| anyhow::anyhow!("{}: '{v}' cannot be read", setting(flag).named()))
        })
        .transpose()
}

/// A setting that has a default.
fn required<T: std::str::FromStr>(
    given: &Given,
    file: &FileSettings,
    flag: &str,
) -> anyhow::Result<T> {
    typed(given, file, flag)?.ok_or_else(|| anyhow::anyhow!("{} is missing", setting(flag).named()))
}

/// Loads the TOML file named by `--config`, if any.
pub fn load_file(cli: &Cli) -> anyhow::Result<FileSettings> {
    match cli.globals.0.0.get("config") {
        Some(path) => FileSettings::load(Path::new(path)),
        None => Ok(FileSettings::default()),
    }
}

/// Resolves the settings every subcommand shares.
pub fn resolve_common(cli: &Cli, file: &FileSettings) -> anyhow::Result<CommonSettings> {
    let g = &cli.globals.0;
    let format: String = required(g, file, "log-format")?;
    Ok(CommonSettings {
        database: required(g, file, "database")?,
        log: required(g, file, "log")?,
        log_format: LogFormat::from_str(&format, true).unwrap_or_default(),
    })
}

/// Resolves `serve`'s settings: flag or variable, else file, else default.
pub fn resolve_serve(cli: &Cli, args: &ServeArgs, file: &FileSettings) -> anyhow::Result<Settings> {
    let g = &args.0;
    let secs = |flag: &str| required::<u64>(g, file, flag).map(Duration::from_secs);
    let demo = match value(g, file, "demo")? {
        Some(v) => switch_value(&v),
        None => file.connections.is_empty(),
    };
    for (name, c) in &file.connections {
        if c.client_secret_env.is_none() == c.client_secret_file.is_none() {
            bail!(
                "setting connections.\"{name}\": give exactly one of client_secret_env and client_secret_file"
            );
        }
    }
    let trusted_proxies = match value(g, file, "trusted-proxies")? {
        Some(v) => app::auth::TrustedProxies::parse(&v)
            .map_err(|e| anyhow::anyhow!("{}: {e}", setting("trusted-proxies").named()))?,
        None => Default::default(),
    };
    let smtp = resolve_smtp(g, file, std::env::var("APP_SMTP_PASSWORD").ok())?;
    Ok(Settings {
        common: resolve_common(cli, file)?,
        bind: required(g, file, "bind")?,
        site_root: required(g, file, "site-root")?,
        public_url: typed(g, file, "public-url")?,
        session_ttl: Duration::from_secs(required::<u64>(g, file, "session-hours")? * 3600),
        body_limit_bytes: required(g, file, "body-limit-bytes")?,
        request_timeout: secs("request-timeout-secs")?,
        login_max_failures: required(g, file, "login-max-failures")?,
        login_window: secs("login-window-secs")?,
        error_retention_days: required(g, file, "error-retention-days")?,
        throughput_minute_days: required(g, file, "throughput-minute-days")?,
        demo,
        connections: file.connections.clone(),
        collect_every: secs("collect-every-secs")?,
        count_every: secs("count-every-secs")?,
        lease_ttl: secs("lease-secs")?,
        header_read_timeout: secs("header-read-timeout-secs")?,
        max_connections: required(g, file, "max-connections")?,
        database_connections: required(g, file, "database-connections")?,
        trusted_proxies,
        smtp,
    })
}

/// The SMTP relay's settings, checked together: none without smtp-host,
/// a sender with it, a password with a user, `none` only on this machine.
fn resolve_smtp(
    g: &Given,
    file: &FileSettings,
    password: Option<String>,
) -> anyhow::Result<Option<SmtpSettings>> {
    let named = |flag: &str| setting(flag).named();
    let host: Option<String> = typed(g, file, "smtp-host")?;
    let port: Option<u16> = typed(g, file, "smtp-port")?;
    let user: Option<String> = typed::<String>(g, file, "smtp-user")?
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    let from: Option<String> = typed(g, file, "smtp-from")?;
    let tls_text: String = required(g, file, "smtp-tls")?;
    let tls = SmtpTls::from_str(tls_text.trim(), true).unwrap_or(SmtpTls::Starttls);
    let Some(host) = host.map(|h| h.trim().to_string()) else {
        if let Some(flag) = [
            ("smtp-port", port.is_some()),
            ("smtp-user", user.is_some()),
            ("smtp-from", from.is_some()),
        ]
        .into_iter()
        .find_map(|(f, given)| given.then_some(f))
        {
            bail!(
                "{} is given but {} is not: email needs the relay's host",
                named(flag),
                named("smtp-host")
            );
        }
        return Ok(None);
    };
    let Some(from) = from.map(|f| f.trim().to_string()) else {
        bail!(
            "{} is needed with {}: the sender of email notifications",
            named("smtp-from"),
            named("smtp-host")
        );
    };
    let local = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if tls == SmtpTls::None && !local {
        bail!(
            "{}: `none` sends mail and passwords in the clear, so only to a relay on this machine (localhost, 127.0.0.1, ::1), not '{host}'; use starttls or tls",
            named("smtp-tls")
        );
    }
    let credentials = match (user, password.filter(|p| !p.is_empty())) {
        (Some(u), Some(p)) => Some((u, p)),
        (Some(_), None) => bail!(
            "{} is needed with {}",
            named("smtp-password"),
            named("smtp-user")
        ),
        (None, Some(_)) => bail!(
            "{} is set but {} is not",
            named("smtp-password"),
            named("smtp-user")
        ),
        (None, None) => None,
    };
    Ok(Some(SmtpSettings {
        port: port.unwrap_or_else(|| tls.default_port()),
        host,
        tls,
        credentials,
        from,
    }))
}

/// `APP_*` variables in the environment that the console does not know.
pub fn unknown_env_vars() -> Vec<String> {
    std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("APP_") && !SETTINGS.iter().any(|s| s.env == k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> anyhow::Result<FileSettings> {
        FileSettings::parse(text)
    }

    fn serve_args(cli: &Cli) -> &ServeArgs {
        let Command::Serve(args) = &cli.command else {
            unreachable!()
        };
        args
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let cli = Cli::parse_from(["dwconsole", "serve"]);
        let s = resolve_serve(&cli, &ServeArgs::default(), &FileSettings::default()).unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(s.common.database, "data/dwconsole.db");
        assert_eq!(s.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(s.count_every, Duration::from_secs(900));
        assert!(s.demo, "no connection configured");
        assert!(!s.secure_cookies());
    }

    #[test]
    fn flags_override_the_file_and_the_file_overrides_defaults() {
        let cli = Cli::parse_from(["dwconsole", "--database", "flag.db", "serve"]);
        let f =
            file("database = 'file.db'\nbind = '127.0.0.1:4000'\nsession_hours = 2\ndemo = false")
                .unwrap();
        let args = ServeArgs(Given::default().with("session-hours", "3"));
        let s = resolve_serve(&cli, &args, &f).unwrap();
        assert_eq!(s.common.database, "flag.db");
        assert_eq!(s.bind.port(), 4000);
        assert_eq!(s.session_ttl, Duration::from_secs(3 * 3600));
        assert!(!s.demo);
        let cli = Cli::parse_from([
            "dwconsole",
            "serve",
            "--no-demo",
            "--count-every-secs",
            "120",
        ]);
        let s = resolve_serve(&cli, serve_args(&cli), &FileSettings::default()).unwrap();
        assert!(!s.demo);
        assert_eq!(s.count_every, Duration::from_secs(120));
    }

    #[test]
    fn unknown_file_keys_are_rejected_by_name() {
        let err = file("bindd = '1'").unwrap_err().to_string();
        assert!(err.contains("bindd"), "{err}");
        let err = file("password = 'x'").unwrap_err().to_string();
        assert!(
            err.contains("password"),
            "a secret is not a file key: {err}"
        );
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
        let args = ServeArgs(Given::default().with("public-url", "console.example"));
        let err = resolve_serve(&cli, &args, &FileSettings::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_PUBLIC_URL"), "{err}");
        let f = file("count_every_secs = 30").unwrap();
        let err = resolve_serve(&cli, &ServeArgs::default(), &f)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("APP_COUNT_EVERY_SECS") && err.contains("30 is below 60"),
            "{err}"
        );
    }

    #[test]
    fn the_smtp_relay_is_checked_as_a_whole_and_its_password_never_printed() {
        let smtp = |given: Given, f: &str, password: Option<&str>| {
            resolve_smtp(&given, &file(f).unwrap(), password.map(str::to_string))
        };
        assert!(
            smtp(Given::default(), "", None).unwrap().is_none(),
            "off by default"
        );
        let s = smtp(
            Given::default()
                .with("smtp-host", "smtp.example.com")
                .with("smtp-user", "alerts"),
            "smtp_from = 'Dual-write Console <dwconsole@example.com>'",
            Some("s3cret"),
        )
        .unwrap()
        .unwrap();
        assert_eq!((s.port, s.tls), (587, SmtpTls::Starttls));
        assert_eq!(s.credentials, Some(("alerts".into(), "s3cret".into())));
        assert!(!format!("{s:?}").contains("s3cret"));
        assert_eq!(
            s.describe(),
            "smtp.example.com:587 (STARTTLS), from Dual-write Console <dwconsole@example.com>"
        );
        let tls = smtp(
            Given::default()
                .with("smtp-host", "smtp.example.com")
                .with("smtp-tls", "TLS")
                .with("smtp-from", "a@example.com"),
            "",
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(tls.port, 465);
        let err = |given: Given, f: &str, password: Option<&str>| {
            smtp(given, f, password).unwrap_err().to_string()
        };
        let e = err(
            Given::default().with("smtp-from", "a@example.com"),
            "",
            None,
        );
        assert!(
            e.contains("APP_SMTP_FROM") && e.contains("APP_SMTP_HOST"),
            "{e}"
        );
        let e = err(
            Given::default().with("smtp-host", "smtp.example.com"),
            "",
            None,
        );
        assert!(e.contains("APP_SMTP_FROM) is needed"), "{e}");
        let host = Given::default()
            .with("smtp-host", "smtp.example.com")
            .with("smtp-from", "a@example.com");
        let e = err(host.clone().with("smtp-tls", "none"), "", None);
        assert!(e.contains("only to a relay on this machine"), "{e}");
        let e = err(host.clone().with("smtp-user", "alerts"), "", None);
        assert!(e.contains("APP_SMTP_PASSWORD is needed"), "{e}");
        let e = err(host, "", Some("x"));
        assert!(e.contains("APP_SMTP_USER"), "{e}");
        let local = smtp(
            Given::default()
                .with("smtp-host", "127.0.0.1")
                .with("smtp-tls", "none")
                .with("smtp-from", "a@example.com"),
            "",
            None,
        )
        .unwrap()
        .unwrap();
        assert_eq!(local.port, 25);
        assert!(
            smtp_tls("ssl")
                .unwrap_err()
                .contains("none of starttls, tls and none")
        );
        assert!(host_name("smtp://x").is_err() && host_name("smtp.example.com:25").is_err());
        assert!(mailbox("not an address").is_err());
    }

    #[test]
    fn https_public_url_makes_cookies_secure() {
        let cli = Cli::parse_from(["dwconsole", "serve", "--public-url", "https://dw.example"]);
        let s = resolve_serve(&cli, serve_args(&cli), &FileSettings::default()).unwrap();
        assert!(s.secure_cookies());
    }

    #[test]
    fn clap_rejects_a_malformed_bind_flag_naming_it() {
        let err = Cli::try_parse_from(["dwconsole", "serve", "--bind", "nope"]).unwrap_err();
        assert!(err.to_string().contains("--bind"), "{err}");
    }

    #[test]
    fn the_demo_switch_reads_the_usual_words() {
        for off in ["0", "false", "no", "off", " False "] {
            assert!(!switch_value(off), "{off}");
        }
        for on in ["1", "true", "yes", "on", "anything"] {
            assert!(switch_value(on), "{on}");
        }
        let f = file("demo = 'off'").unwrap();
        let cli = Cli::parse_from(["dwconsole", "serve"]);
        assert!(!resolve_serve(&cli, &ServeArgs::default(), &f).unwrap().demo);
    }

    #[test]
    fn a_database_url_of_another_kind_is_refused_before_anything_opens() {
        let err = Cli::try_parse_from(["dwconsole", "--database", "mysql://h/dw", "serve"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("APP_DATABASE") && err.contains("'mysql://'"),
            "{err}"
        );
        assert!(
            Cli::try_parse_from(["dwconsole", "--database", "postgres://h/dw", "serve"]).is_ok()
        );
        let cli = Cli::parse_from(["dwconsole", "serve"]);
        let f = file("database = 'mysql://h/dw'").unwrap();
        let err = resolve_common(&cli, &f).unwrap_err().to_string();
        assert!(err.contains("'mysql://'"), "{err}");
    }

    #[test]
    fn a_bad_flag_value_names_its_variable_too() {
        let err = Cli::try_parse_from(["dwconsole", "serve", "--session-hours", "0"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("APP_SESSION_HOURS") && err.contains("outside 1..=720"),
            "{err}"
        );
    }

    #[test]
    fn every_setting_is_named_one_way() {
        for s in SETTINGS {
            assert_eq!(
                s.env,
                format!("APP_{}", s.key().to_uppercase()),
                "{}",
                s.flag
            );
            if let Some(d) = s.default {
                assert_eq!(
                    (s.check)(d),
                    Ok(()),
                    "the default of {} passes its check",
                    s.flag
                );
            }
            if s.scope == Scope::ServeSwitch {
                // clap needs its names as static text: `--no-demo` is
                // spelled out where the switch is built.
                assert_eq!(s.flag, "demo");
            }
        }
    }

    #[test]
    fn every_variable_the_console_reads_is_declared() {
        // The variables read outside clap, by name.
        for var in ["APP_PASSWORD", "APP_DEMO", "APP_CONFIG"] {
            assert!(SETTINGS.iter().any(|s| s.env == var), "{var}");
        }
    }

    #[test]
    fn the_example_settings_file_reads() {
        FileSettings::parse(include_str!("../../dwconsole.example.toml")).unwrap();
    }

    #[test]
    fn each_database_url_gets_its_own_partition_folder() {
        let dir = |database: &str| {
            CommonSettings {
                database: database.into(),
                log: String::new(),
                log_format: LogFormat::Text,
            }
            .reconcile_dir()
        };
        let prod = dir("postgres://dw:one@db/prod");
        assert_ne!(prod, dir("postgres://dw:one@db/staging"));
        assert_eq!(
            prod,
            dir("postgres://dw:two@db/prod"),
            "the password is not part of it"
        );
        assert!(prod.starts_with(std::env::temp_dir()));
        assert_eq!(dir("data/dwconsole.db"), Path::new("data/reconcile"));
    }

    #[test]
    fn the_readme_table_is_the_settings_list() {
        let readme = include_str!("../../README.md");
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's settings table differs from config::SETTINGS; replace it with:\n{table}"
        );
    }
}
