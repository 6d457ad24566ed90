//! The home page: the state of the console itself — who can use it, which
//! tokens are live and what changed recently.

pub mod api;
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
