//! The collectors page: each environment's collectors with their last
//! success, their failures, and their recent runs, as the scheduler (or
//! `dwconsole collect`) recorded them.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// A collector's name for people, from its name in runs.
pub fn collector_label(name: &str) -> &str {
    match name {
        "errors" => "Dual-write errors (plug-in trace log)",
        "map_states" => "Map states (F&O projects)",
        "counts" => "Record counts (both sides)",
        "throughput" => "Throughput (changes per minute)",
        other => other,
    }
}

/// One recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Run id.
    pub id: i64,
    /// Environment name.
    pub environment: String,
    /// Collector name, e.g. `errors`.
    pub collector: String,
    /// Start (UTC).
    pub started_at: String,
    /// End (UTC).
    pub finished_at: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// Items stored.
    pub items: i64,
    /// What failed, naming the endpoint.
    pub error: Option<String>,
}

/// One collector of one environment at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorStatus {
    /// Environment name.
    pub environment: String,
    /// Collector name.
    pub collector: String,
    /// Last successful run's end (UTC).
    pub last_success: Option<String>,
    /// The latest run.
    pub last_run: Run,
    /// Failed runs since the last success.
    pub failures_since_success: i64,
    /// Items stored in the last 24 hours.
    pub items_24h: i64,
}

/// One check of a connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionCheck {
    /// What was checked, e.g. "Sign-in (token)".
    pub check: String,
    /// Whether it worked.
    pub ok: bool,
    /// What happened, naming the endpoint on failure.
    pub detail: String,
}

/// A connection test as it was run: kept for a day, shown by its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTest {
    /// The environment tested.
    pub environment: String,
    /// Its checks, in order.
    pub checks: Vec<ConnectionCheck>,
    /// Who ran it.
    pub tested_by: String,
    /// When (database format).
    pub tested_at: String,
}

/// A configured connection as the page shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionInfo {
    /// Environment name.
    pub environment: String,
    /// Tenant.
    pub tenant: String,
    /// Client id.
    pub client_id: String,
    /// Dataverse URL called.
    pub dataverse_url: String,
    /// F&O URL called (empty when unknown).
    pub fo_url: String,
    /// True for the built-in simulated environment.
    pub simulated: bool,
}

/// The connections the server runs collectors for, and how to test one.
/// The server provides it as context; the app cannot see connectors.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct Connections {
    /// The connections.
    pub list: Vec<ConnectionInfo>,
    /// Runs the checks for an environment's connection.
    #[allow(clippy::type_complexity)]
    pub test: std::sync::Arc<
        dyn Fn(
                String,
            )
                -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<ConnectionCheck>> + Send>>
            + Send
            + Sync,
    >,
}

/// The page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorsPage {
    /// Status per environment and collector.
    pub collectors: Vec<CollectorStatus>,
    /// The latest runs, newest first.
    pub runs: Vec<Run>,
    /// Configured connections (and the demo's).
    pub connections: Vec<ConnectionInfo>,
    /// Whether the caller may test connections (admins).
    pub can_test: bool,
    /// The connection test the address names, if it is known.
    pub test: Option<ConnectionTest>,
    /// The address names a connection test that is not kept (older than a
    /// day, or a wrong link): the page says so instead of showing nothing.
    pub test_gone: bool,
    /// Which server runs the scheduled work (collectors among it).
    pub scheduling: crate::servers::Scheduling,
}
