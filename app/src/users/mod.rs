//! User administration: list, add, change roles, deactivate and reactivate.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// A user as the admin page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserSummary {
    /// Database id.
    pub id: i64,
    /// Sign-in email.
    pub email: String,
    /// Role name.
    pub role: String,
    /// False once deactivated.
    pub active: bool,
    /// When the account was created (UTC).
    pub created_at: String,
    /// Last successful sign-in (UTC), if any.
    pub last_login_at: Option<String>,
}
