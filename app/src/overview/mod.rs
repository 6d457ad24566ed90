//! The home page: one environment at a glance — its maps by state, open
//! error groups with the last day's trend, the last reconciliation and
//! count per map, throughput sparklines and the collectors' health — then
//! the console itself: who can use it, live tokens and recent changes.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use crate::audit::AuditEntry;
use serde::{Deserialize, Serialize};

/// Figures for the overview page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// Active users per role: viewers, editors, admins.
    pub active_by_role: [i64; 3],
    /// Deactivated users.
    pub deactivated: i64,
    /// API tokens not revoked.
    pub live_tokens: i64,
    /// API tokens used in the last 24 hours.
    pub tokens_used_24h: i64,
    /// Failed sign-ins in the last 24 hours.
    pub failed_logins_24h: i64,
    /// The latest audit entries.
    pub recent: Vec<AuditEntry>,
}

/// The map states the overview counts, in display order, with `None` for
/// maps no collector has observed yet.
pub const STATES: [(Option<&str>, &str); 5] = [
    (Some("running"), "Running"),
    (Some("paused"), "Paused"),
    (Some("stopped"), "Stopped"),
    (Some("not_running"), "Not running"),
    (None, "Not observed"),
];

/// One environment at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvOverview {
    /// The environment's name.
    pub environment: String,
    /// Maps per observed state, in [`STATES`] order.
    pub states: Vec<i64>,
    /// Error groups open (not acknowledged, resolved or ignored).
    pub open_groups: i64,
    /// Groups first seen in the last 24 hours.
    pub new_groups_24h: i64,
    /// Error entries per hour over the last 24 hours, oldest first.
    pub errors_24h: Vec<f64>,
    /// Each collector's latest run.
    pub collectors: Vec<CollectorHealth>,
    /// Each table map.
    pub maps: Vec<MapGlance>,
    /// Alerts that are not Normal, firing first.
    pub alerts: Vec<crate::alerts::ActiveAlert>,
    /// Cutover runs going on, live first.
    pub cutover: Vec<crate::cutover::CutoverGlance>,
}

/// A collector's latest run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectorHealth {
    /// Collector name, e.g. `errors`.
    pub collector: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// When it finished.
    pub finished_at: String,
    /// What failed.
    pub error: Option<String>,
}

/// One map's line on the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MapGlance {
    /// Map id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The state F&O last reported, if observed.
    pub state: Option<String>,
    /// Open error groups.
    pub open_groups: i64,
    /// Error entries in the last 24 hours.
    pub errors_24h: i64,
    /// Records synced per hour over the last 24 hours, oldest first.
    pub synced_24h: Vec<f64>,
    /// Records failed in the last 24 hours.
    pub failed_24h: i64,
    /// F&O minus Dataverse records at the last count.
    pub count_difference: Option<i64>,
    /// The last finished reconciliation run.
    pub reconcile: Option<LastReconcile>,
}

/// The last finished reconciliation of a map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastReconcile {
    /// Run id.
    pub run_id: i64,
    /// `sample` or `full`.
    pub kind: String,
    /// `done` or `failed`.
    pub status: String,
    /// When it finished.
    pub finished_at: String,
    /// Records compared.
    pub records: i64,
    /// Records missing on a side or differing.
    pub differences: i64,
}
