//! The error queue: every dual-write error the console collects (ingest
//! API, CSV import, connectors), kept verbatim, classified, and grouped by
//! fingerprint so repeats of one problem are triaged once.

pub mod api;
#[cfg(feature = "ssr")]
pub mod classify;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod learn;
#[cfg(feature = "ssr")]
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A mapped field, integration key or schema is missing.
    MissingFieldMapping,
    /// A value could not be converted (enum, decimal, date, length).
    InvalidValueConversion,
    /// A referenced record is not there yet (lookups, load order).
    DependencyOrder,
    /// A plug-in threw or aborted the operation.
    PluginThrow,
    /// The record already exists or clashes on a key.
    DuplicateRecord,
    /// Sign-in, token or privilege failure.
    AuthenticationPermission,
    /// Throttled, timed out or the service was unavailable.
    ThrottlingTimeout,
    /// Anything else.
    Other,
}

str_enum!(Category {
    MissingFieldMapping => "missing_field_mapping", "Missing field mapping";
    InvalidValueConversion => "invalid_value_conversion", "Invalid value conversion";
    DependencyOrder => "dependency_order", "Dependency order";
    PluginThrow => "plugin_throw", "Plug-in threw";
    DuplicateRecord => "duplicate_record", "Duplicate record";
    AuthenticationPermission => "authentication_permission", "Authentication / permission";
    ThrottlingTimeout => "throttling_timeout", "Throttling / time-out";
    Other => "other", "Other";
});

/// Where a group stands in triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupState {
    /// New or back again; nobody has looked.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Fixed; reopens by itself when the error comes back.
    Resolved,
    /// Known and accepted; stays ignored.
    Ignored,
}

str_enum!(GroupState {
    Open => "open", "Open";
    Acknowledged => "acknowledged", "Acknowledged";
    Resolved => "resolved", "Resolved";
    Ignored => "ignored", "Ignored";
});

/// Which way the failed record was going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorDirection {
    /// F&O → Dataverse.
    FoToDataverse,
    /// Dataverse → F&O.
    DataverseToFo,
    /// Not reported.
    Unknown,
}

str_enum!(ErrorDirection {
    FoToDataverse => "fo_to_dataverse", "F&O → Dataverse";
    DataverseToFo => "dataverse_to_fo", "Dataverse → F&O";
    Unknown => "unknown", "Unknown";
});

/// How an entry reached the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `POST /api/v1/errors`.
    Api,
    /// A CSV import (page or command line).
    Csv,
    /// A pull connector.
    Connector,
}

str_enum!(Source {
    Api => "api", "Ingest API";
    Csv => "csv", "CSV import";
    Connector => "connector", "Connector";
});

/// The filters of the error-queue page; all optional and kept in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFilter {
    /// Environment name (the first when absent).
    pub env: Option<String>,
    /// Map id, or `none` for entries without a map.
    pub map: Option<String>,
    /// Direction (stored name).
    pub direction: Option<String>,
    /// Category (stored name).
    pub category: Option<String>,
    /// State (stored name); `active` (open or acknowledged) when absent.
    pub state: Option<String>,
    /// Seen on or after this day (YYYY-MM-DD).
    pub from: Option<String>,
    /// Seen on or before this day (YYYY-MM-DD).
    pub to: Option<String>,
    /// Words in the message.
    pub q: Option<String>,
    /// `last_seen` (default), `count` or `first_seen`.
    pub sort: Option<String>,
    /// Keyset cursor: the last row of the previous page.
    pub after: Option<String>,
}

impl GroupFilter {
    /// The filter as a query string (without `after`), for links.
    pub fn query(&self) -> String {
        let pairs = [
            ("env", &self.env),
            ("map", &self.map),
            ("direction", &self.direction),
            ("category", &self.category),
            ("state", &self.state),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
            ("sort", &self.sort),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", crate::components::percent_encode(v, b"")))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One error group as the queue lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRow {
    /// Group id.
    pub id: i64,
    /// The map's id and name, when known.
    pub map: Option<(i64, String)>,
    /// Direction.
    pub direction: ErrorDirection,
    /// Effective category (an editor's override, else the classifier's).
    pub category: Category,
    /// True when an editor overrode the classifier.
    pub overridden: bool,
    /// The normalised message all entries share.
    pub pattern: String,
    /// Entries ever received (retention keeps the count).
    pub count: i64,
    /// Entries in the filtered time range (the whole count without one).
    pub count_in_range: i64,
    /// First entry (UTC).
    pub first_seen: String,
    /// Latest entry (UTC).
    pub last_seen: String,
    /// Triage state.
    pub state: GroupState,
    /// Entries per day for the last 7 days, oldest first.
    pub last_7_days: Vec<i64>,
}

/// A page of the error queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPage {
    /// The environment shown, if any exists.
    pub environment: Option<String>,
    /// Every environment name, for the filter.
    pub environments: Vec<String>,
    /// Maps of the environment, for the filter: id and name.
    pub maps: Vec<(i64, String)>,
    /// The groups of this page.
    pub groups: Vec<GroupRow>,
    /// Groups matching the filter in all pages.
    pub total: i64,
    /// Cursor for the next page, when there is one.
    pub next: Option<String>,
    /// The last 24 hours at a glance.
    pub sweep: Option<Sweep>,
    /// Whether the caller may triage.
    pub can_edit: bool,
}

/// The daily sweep: what the last 24 hours brought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// Start of the window (UTC).
    pub since: String,
    /// Entries received in it.
    pub entries: i64,
    /// Groups first seen in it: id, category, pattern, count.
    pub new_groups: Vec<(i64, Category, String, i64)>,
    /// Entries per category, most first.
    pub top_categories: Vec<(Category, i64)>,
    /// Maps with the most entries: name (or "no map") and count.
    pub top_maps: Vec<(String, i64)>,
}

/// One stored error entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Entry id.
    pub id: i64,
    /// The client's id, or `sha256:…` of the content when none was sent.
    pub client_id: String,
    /// When it happened (UTC).
    pub occurred_at: String,
    /// When the console received it (UTC).
    pub received_at: String,
    /// Integration key values of the record.
    pub record_key: String,
    /// Legal entity (company).
    pub legal_entity: String,
    /// The message as received.
    pub message: String,
    /// Raw detail, verbatim (JSON or text).
    pub detail: Option<String>,
    /// The classifier's category for this entry.
    pub category: Category,
    /// The rule that decided it.
    pub rule: String,
    /// How it arrived.
    pub source: Source,
    /// Which token, file or connector delivered it.
    pub source_ref: String,
}

/// A group with its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    /// The group.
    pub group: GroupRow,
    /// Its environment.
    pub environment: String,
    /// The classifier's category and rule (before any override).
    pub classified_as: (Category, String),
    /// Why the state last changed, and who changed it when.
    pub state_note: Option<(String, String, String)>,
    /// Entries, newest first (a page).
    pub entries: Vec<Entry>,
    /// Cursor for older entries (`occurred_at~id`).
    pub next: Option<String>,
    /// Whether the caller may triage.
    pub can_edit: bool,
}

/// A category the team taught the classifier: new groups of an environment
/// whose normalised message is `pattern` take `category`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    /// Its id.
    pub id: i64,
    /// The normalised message it matches.
    pub pattern: String,
    /// The category it gives.
    pub category: Category,
    /// The group whose override taught it.
    pub group_id: i64,
    /// When it was taught (stored UTC time).
    pub created_at: String,
    /// Who taught it.
    pub created_by: String,
    /// How many entries arrived under it since.
    pub decided: i64,
}

/// What a re-classification did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reclassified {
    /// Groups read.
    pub checked: usize,
    /// Moves of the classifier's category: from, to, groups, their entries.
    pub moves: Vec<(Category, Category, i64, i64)>,
    /// Groups that became one with a group already in their new category.
    pub merged: usize,
}

impl Reclassified {
    /// One sentence for the audit log and the page.
    pub fn summary(&self) -> String {
        let moved: i64 = self.moves.iter().map(|m| m.2).sum();
        let mut s = format!(
            "Re-classified {} error group{}: {moved} moved",
            self.checked,
            if self.checked == 1 { "" } else { "s" }
        );
        for (from, to, groups, entries) in &self.moves {
            s.push_str(&format!(
                "; {groups} ({entries} entries) {} → {}",
                from.label(),
                to.label()
            ));
        }
        if self.merged > 0 {
            s.push_str(&format!("; {} joined a group already there", self.merged));
        }
        s
    }
}
