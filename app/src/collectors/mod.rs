//! The collectors page: each environment's collectors with their last
//! success, their failures, and their recent runs, as the scheduler (or
//! `dwconsole collect`) recorded them.

pub mod api;
pub mod view;

use serde::{Deserialize, Serialize};

/// One recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
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

/// The page's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorsPage {
    /// Status per environment and collector.
    pub collectors: Vec<CollectorStatus>,
    /// The latest runs, newest first.
    pub runs: Vec<Run>,
}
