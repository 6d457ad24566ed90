//! API tokens for collectors and scripts: created by an admin, shown once,
//! stored as a hash, revocable, with the last-used time.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// Every token secret starts with this, so leaked tokens are easy to spot
/// (and to scan for in repositories).
pub const TOKEN_PREFIX: &str = "dwc_";

/// A token as the admin page lists it; the secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TokenSummary {
    /// Database id.
    pub id: i64,
    /// What the token is for, e.g. "prod error collector".
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    /// Email of the admin who created it, or none when made on the command line.
    pub created_by: Option<String>,
    /// Creation time (UTC).
    pub created_at: String,
    /// Last authenticated use (UTC), to the minute.
    pub last_used_at: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// Checks a token name: 1–80 characters, not blank.
pub fn check_token_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(
            "Give the token a name that says what uses it, e.g. 'prod error collector'.".into(),
        );
    }
    if name.chars().count() > 80 {
        return Err("Use a token name of at most 80 characters.".into());
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_names_are_trimmed_and_bounded() {
        assert_eq!(check_token_name("  collector "), Ok("collector".into()));
        assert!(check_token_name("   ").is_err());
        assert!(check_token_name(&"x".repeat(81)).is_err());
    }
}
