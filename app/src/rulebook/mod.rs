//! The rule book's page of one table map: the map with its field
//! mappings and conflict rules, its guidance, what the collectors saw (state,
//! record counts) and its last reconciliation. It sits above `maps`,
//! `rules` and `reconcile` because it shows all of them; none of them
//! depends on it.

pub mod api;
pub mod view;

use crate::maps::{MapState, RecordCount, Revision, TableMap, Warning};
use serde::{Deserialize, Serialize};

/// Everything the map page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapDetail {
    /// The map.
    pub map: TableMap,
    /// Open warnings.
    pub warnings: Vec<Warning>,
    /// The notes rendered to sanitized HTML.
    pub notes_html: String,
    /// The latest revisions, newest first.
    pub history: Vec<Revision>,
    /// Live field mappings.
    pub fields: Vec<crate::rules::FieldMapping>,
    /// Live conflict rules (rationale rendered), default first.
    pub rules: Vec<crate::rules::ConflictRule>,
    /// Whether the caller may edit.
    pub can_edit: bool,
    /// What F&O reported about the map's state, newest first: state,
    /// when observed, and the project rows' statuses.
    pub observed: Vec<(MapState, String, String)>,
    /// The counts collector's latest counts of the map (all legal
    /// entities), newest first.
    pub counts: Vec<RecordCount>,
    /// The latest count per legal entity, for a company-specific map.
    pub company_counts: Vec<RecordCount>,
    /// The latest finished reconciliation.
    pub reconciled: Option<crate::reconcile::Run>,
}

/// A map with its guidance findings, for the list page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapListItem {
    /// The map.
    pub map: TableMap,
    /// Its open warnings.
    pub warnings: Vec<Warning>,
}

/// The maps page of one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapList {
    /// The environment shown; `None` when none exists yet.
    pub environment: Option<crate::environments::Environment>,
    /// Live maps with warnings.
    pub maps: Vec<MapListItem>,
    /// Deleted maps, restorable from their history.
    pub deleted: Vec<TableMap>,
    /// Whether the caller may edit (editor or admin).
    pub can_edit: bool,
}
