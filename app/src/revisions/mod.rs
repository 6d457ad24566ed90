//! The revision history shared by every documented object (table maps,
//! field mappings, conflict rules): one row per change with author, time,
//! comment and the object's full state as JSON. Nothing is ever removed
//! from it. The store is `server`; its functions are re-exported here.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
mod server;
#[cfg(feature = "ssr")]
pub use server::*;

/// A revision as the history page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Revision {
    /// Revision number, 1 for the creation.
    pub revision: i64,
    /// create, update, delete or restore.
    pub action: String,
    /// Who made it.
    pub author: String,
    /// When (UTC).
    pub created_at: String,
    /// Why, in the author's words.
    pub comment: String,
}
