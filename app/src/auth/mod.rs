//! Accounts and access: roles, the signed-in user, sessions and the
//! `users` table, and the role checks every server function makes. The
//! sign-in pages that use them are `signin`'s.

#[cfg(feature = "ssr")]
mod client_addr;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub use client_addr::{ClientAddr, TrustedProxies};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a user may do. Ordered: each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything.
    Viewer,
    /// Reads everything and changes data.
    Editor,
    /// Also manages users, API tokens and settings.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    /// The name stored in the database and shown in the UI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Whether this role includes `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role '{other}': expected viewer, editor or admin"
            )),
        }
    }
}

/// The signed-in user as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// Database id.
    pub id: i64,
    /// Sign-in email address.
    pub email: String,
    /// The user's role.
    pub role: Role,
}

/// What the shell needs to know about the visitor on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    /// The signed-in user, if any.
    pub user: Option<CurrentUser>,
    /// True until the first admin has been created.
    pub needs_setup: bool,
    /// The simulated environment's name, when demo mode runs.
    #[serde(default)]
    pub demo: Option<String>,
}

/// Server context: the simulated environment's name when demo mode runs.
#[derive(Debug, Clone, Default)]
pub struct DemoMode(pub Option<String>);

/// Checks an email address the way a sign-in form should: one `@`, a dot in
/// the domain, no spaces. Returns the trimmed, lower-cased address.
pub fn normalize_email(raw: &str) -> Result<String, String> {
    let email = raw.trim().to_ascii_lowercase();
    let Some((local, domain)) = email.split_once('@') else {
        return Err("Enter an email address such as ana@example.com.".into());
    };
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains('@')
        || email.chars().any(char::is_whitespace)
        || email.len() > 254
    {
        return Err(format!("'{}' is not a valid email address.", raw.trim()));
    }
    Ok(email)
}

/// Minimum password length. Length beats composition rules (NIST SP 800-63B).
pub const MIN_PASSWORD_LEN: usize = 12;

/// Checks a new password: at least [`MIN_PASSWORD_LEN`] characters, at most 256.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!(
            "Use a password of at least {MIN_PASSWORD_LEN} characters (this one has {n})."
        ));
    }
    if n > 256 {
        return Err("Use a password of at most 256 characters.".into());
    }
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_so_admin_includes_editor_and_viewer() {
        assert!(Role::Admin.allows(Role::Editor));
        assert!(Role::Editor.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
    }

    #[test]
    fn roles_parse_case_insensitively_and_reject_unknown_names() {
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert!("owner".parse::<Role>().unwrap_err().contains("owner"));
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_email("  Ana@Example.COM "),
            Ok("ana@example.com".into())
        );
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@com",
            "a na@example.com",
            "a@b@c.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn short_passwords_are_rejected_with_their_length() {
        let err = check_new_password("short").unwrap_err();
        assert!(err.contains("12") && err.contains('5'), "{err}");
        assert!(check_new_password("correct horse battery").is_ok());
    }
}
