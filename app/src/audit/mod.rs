//! The audit log: who did what to which object and when. Every write in the
//! product records one entry in the same transaction as the write, through
//! this module's store; the page that lists it is `audit_log`'s.

#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};

/// One audit-log entry as shown on the audit page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    /// Increasing id; also the paging cursor.
    pub id: i64,
    /// When it happened (UTC, RFC 3339).
    pub occurred_at: String,
    /// Who: an email, `token:<name>`, `cli` or `anonymous`.
    pub actor: String,
    /// Dotted action name, e.g. `user.create`.
    pub action: String,
    /// Kind of object acted on.
    pub object_type: String,
    /// The object's id, if it has one.
    pub object_id: Option<String>,
    /// One readable sentence.
    pub summary: String,
    /// JSON with the changed values, if any.
    pub detail: Option<String>,
    /// Client address, where known.
    pub ip: Option<String>,
    /// The environment the object belongs to, by name, if any.
    pub environment: Option<String>,
}

impl AuditEntry {
    /// The page of the object the entry is about, where it has one.
    pub fn href(&self) -> Option<String> {
        let id = self.object_id.as_deref()?;
        let env = self
            .environment
            .as_deref()
            .map(|e| crate::components::percent_encode(e, b""))
            .unwrap_or_default();
        Some(match self.object_type.as_str() {
            "table_map" => format!("/maps/{id}"),
            "field_mapping" => format!("/fields/{id}/history"),
            "conflict_rule" => format!("/rules/{id}/history"),
            "error_group" => format!("/errors/groups/{id}"),
            "environment" => "/admin/environments".into(),
            "user" => "/admin/users".into(),
            "api_token" => "/admin/tokens".into(),
            "review_note" => match id.split_once('/') {
                Some((_, week)) => format!("/review?env={env}&week={week}"),
                None => format!("/review?env={env}"),
            },
            _ => return None,
        })
    }
}

/// Filters for the audit page; every field is optional and kept in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Exact action, or a prefix ending in `.` (e.g. `user.`).
    pub action: Option<String>,
    /// Exact actor.
    pub actor: Option<String>,
    /// Words to find in the summary or object id.
    pub text: Option<String>,
    /// Earliest day, `YYYY-MM-DD` (inclusive, UTC).
    pub from: Option<String>,
    /// Latest day, `YYYY-MM-DD` (inclusive, UTC).
    pub to: Option<String>,
    /// Keyset cursor: only entries with a smaller id.
    pub before: Option<i64>,
}

/// One page of audit entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
    /// Cursor for the next (older) page, if there is one.
    pub next_before: Option<i64>,
    /// Every action name present, for the filter's drop-down.
    pub actions: Vec<String>,
    /// Every actor present, for the filter's drop-down.
    pub actors: Vec<String>,
}

/// Entries per audit page.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// Checks a `YYYY-MM-DD` filter value.
pub fn parse_day(field: &str, value: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("'{value}' is not a date for {field}; use YYYY-MM-DD."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_must_be_iso_dates() {
        assert!(parse_day("from", "2026-11-26").is_ok());
        let err = parse_day("from", "26/11/2026").unwrap_err();
        assert!(err.contains("26/11/2026") && err.contains("YYYY-MM-DD"));
    }
}
