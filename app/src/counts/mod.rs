//! Record counts: how many records each map has on each side, as the
//! counts collector found them. The type is shared by the map page and the
//! store; the store is `server`.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod server;

/// One count of a map's records on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RecordCount {
    /// When (UTC).
    pub counted_at: String,
    /// The legal entity; empty for all of them.
    pub company: String,
    /// F&O records across legal entities, when counted.
    pub fo: Option<i64>,
    /// Dataverse records, when counted.
    pub dataverse: Option<i64>,
    /// Why a side was not counted ("" when both were).
    pub problem: String,
}

impl RecordCount {
    /// F&O minus Dataverse, when both sides were counted.
    pub fn difference(&self) -> Option<i64> {
        Some(self.fo? - self.dataverse?)
    }
}
