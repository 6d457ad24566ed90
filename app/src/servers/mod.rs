//! Several servers on one database: which of them runs the scheduled work,
//! as the collectors page tells admins. The leases themselves are kept by
//! the server (its `lease` module) through [`server`].

#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};

/// Who runs the scheduled work, among the servers sharing the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduling {
    /// The server holding the scheduler lease and when it took it; none
    /// while no server holds it (the scheduled work waits).
    pub holder: Option<(String, String)>,
    /// The servers alive now, by id.
    pub servers: Vec<String>,
}
