//! The weekly review: one printable page per environment and week — errors
//! by category against the week before, the top groups, groups new and
//! resolved, maps with drift, throughput and failure rate per map, the
//! rule book's changes, and the team's review notes (audited). This module
//! holds the shared types and the pure rules (weeks, CSV); [`server`]
//! reads and saves.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use crate::errors::Category;
use crate::trends::Chart;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The longest review note, in characters.
pub const MAX_NOTE: usize = 20_000;

/// The first day of the week asked for (`YYYY-MM-DD`), or of the last 7
/// days (today and the 6 before) when none is given. `Err` is the message
/// for the person who typed it.
pub fn week_start(week: Option<&str>, today: NaiveDate) -> Result<NaiveDate, String> {
    match week.map(str::trim).filter(|w| !w.is_empty()) {
        None => Ok(today - chrono::Duration::days(6)),
        Some(w) => {
            let d = NaiveDate::parse_from_str(w, "%Y-%m-%d")
                .map_err(|_| format!("'{w}' is not a date like 2026-11-20 (week)."))?;
            if d > today {
                Err(format!("The week of {w} has not started yet."))
            } else {
                Ok(d)
            }
        }
    }
}

/// Errors of one category this week and the week before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryWeek {
    /// The category.
    pub category: Category,
    /// Entries this week.
    pub this_week: i64,
    /// Entries the week before.
    pub previous: i64,
}

/// An error group as the review lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupLine {
    /// Group id.
    pub id: i64,
    /// The normalised message.
    pub pattern: String,
    /// Effective category.
    pub category: Category,
    /// The map's name, if any.
    pub map: Option<String>,
    /// Entries in the week.
    pub entries: i64,
    /// Triage state now.
    pub state: String,
}

/// A map whose last reconciliation or count in the week was off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapDrift {
    /// Map id.
    pub map_id: i64,
    /// Map name.
    pub map: String,
    /// The week's last finished run: id, records compared, differences.
    pub run: Option<(i64, i64, i64)>,
    /// F&O minus Dataverse at the week's last count.
    pub count_difference: Option<i64>,
}

/// A map's records in the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapFlow {
    /// Map id.
    pub map_id: i64,
    /// Map name.
    pub map: String,
    /// Records synced.
    pub synced: i64,
    /// Records failed.
    pub failed: i64,
}

impl MapFlow {
    /// Failed as a percentage of all, if anything moved.
    pub fn failure_rate(&self) -> Option<f64> {
        let all = self.synced + self.failed;
        (all > 0).then(|| self.failed as f64 * 100.0 / all as f64)
    }
}

/// A rule-book change (a revision of a map, field mapping or rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleChange {
    /// When.
    pub at: String,
    /// Who.
    pub author: String,
    /// `create`, `update`, `delete` or `restore`.
    pub action: String,
    /// `table_map`, `field_mapping` or `conflict_rule`.
    pub object_type: String,
    /// The object's id.
    pub object_id: i64,
    /// Its name.
    pub object: String,
    /// The author's comment (the why).
    pub comment: String,
}

impl RuleChange {
    /// The object's history page.
    pub fn href(&self) -> String {
        match self.object_type.as_str() {
            "table_map" => format!("/maps/{}/history", self.object_id),
            "field_mapping" => format!("/fields/{}/history", self.object_id),
            _ => format!("/rules/{}/history", self.object_id),
        }
    }
}

/// The week's review note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewNote {
    /// The text (Markdown).
    pub body: String,
    /// The text rendered and sanitised, for the page and the printout.
    pub html: String,
    /// Last saved.
    pub updated_at: String,
    /// By whom.
    pub updated_by: String,
}

/// Everything on the review page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Environment name.
    pub environment: String,
    /// The week's first day.
    pub week: String,
    /// Its last day.
    pub last_day: String,
    /// The previous week's first day.
    pub previous_week: String,
    /// The next week's first day, if it has started.
    pub next_week: Option<String>,
    /// Errors per category, this week and the week before (categories
    /// with entries in either).
    pub categories: Vec<CategoryWeek>,
    /// Errors per day by category.
    pub chart: Chart,
    /// The 10 groups with the most entries in the week.
    pub top_groups: Vec<GroupLine>,
    /// Groups first seen in the week.
    pub new_groups: Vec<GroupLine>,
    /// Groups resolved in the week.
    pub resolved_groups: Vec<GroupLine>,
    /// Maps with differences.
    pub drift: Vec<MapDrift>,
    /// Records per map.
    pub throughput: Vec<MapFlow>,
    /// Rule-book changes.
    pub changes: Vec<RuleChange>,
    /// The note, if one was written.
    pub note: Option<ReviewNote>,
    /// Whether the caller may write the note.
    pub can_edit: bool,
}

/// The review as CSV in long form — `section,item,measure,value` — so one
/// file holds every table and a spreadsheet can pivot it.
pub fn to_csv(r: &Review) -> String {
    let mut out = String::from("section,item,measure,value\n");
    let mut row = |section: &str, item: &str, measure: &str, value: String| {
        let item = crate::csv_cell::cell(item);
        out.push_str(&format!("{section},{item},{measure},{value}\n"));
    };
    for c in &r.categories {
        row(
            "errors_by_category",
            c.category.label(),
            "this_week",
            c.this_week.to_string(),
        );
        row(
            "errors_by_category",
            c.category.label(),
            "previous_week",
            c.previous.to_string(),
        );
    }
    for (section, list) in [
        ("top_groups", &r.top_groups),
        ("new_groups", &r.new_groups),
        ("resolved_groups", &r.resolved_groups),
    ] {
        for g in list {
            row(section, &g.pattern, "entries", g.entries.to_string());
        }
    }
    for d in &r.drift {
        if let Some((_, records, differences)) = d.run {
            row("drift", &d.map, "records_compared", records.to_string());
            row("drift", &d.map, "differences", differences.to_string());
        }
        if let Some(c) = d.count_difference {
            row("drift", &d.map, "count_difference", c.to_string());
        }
    }
    for f in &r.throughput {
        row("throughput", &f.map, "synced", f.synced.to_string());
        row("throughput", &f.map, "failed", f.failed.to_string());
        if let Some(rate) = f.failure_rate() {
            row(
                "throughput",
                &f.map,
                "failure_rate_percent",
                format!("{rate:.3}"),
            );
        }
    }
    for c in &r.changes {
        row(
            "rule_book_changes",
            &format!("{} {}", c.object_type, c.object),
            &c.action,
            c.at.clone(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_default_to_the_last_seven_days_and_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(week_start(None, today).unwrap().to_string(), "2026-11-21");
        assert_eq!(
            week_start(Some("2026-11-02"), today).unwrap().to_string(),
            "2026-11-02"
        );
        assert!(
            week_start(Some("2026-12-01"), today)
                .unwrap_err()
                .contains("not started")
        );
        assert!(
            week_start(Some("last week"), today)
                .unwrap_err()
                .contains("'last week'")
        );
    }

    #[test]
    fn the_csv_is_long_form_with_names_quoted() {
        let flow = MapFlow {
            map_id: 1,
            map: "Customers, V3".into(),
            synced: 90,
            failed: 10,
        };
        assert_eq!(flow.failure_rate(), Some(10.0));
        let r = Review {
            environment: "UAT".into(),
            week: "2026-11-20".into(),
            last_day: "2026-11-26".into(),
            previous_week: "2026-11-13".into(),
            next_week: None,
            categories: vec![CategoryWeek {
                category: Category::Other,
                this_week: 4,
                previous: 1,
            }],
            chart: crate::trends::Chart {
                key: "errors-by-category".into(),
                title: String::new(),
                caption: String::new(),
                unit: String::new(),
                percent: false,
                kind: crate::trends::Kind::Stacked,
                span: crate::trends::Span {
                    from: 0,
                    to: 0,
                    step: 86_400,
                },
                series: vec![],
                annotations: vec![],
                thresholds: vec![],
                shades: vec![],
            },
            top_groups: vec![],
            new_groups: vec![],
            resolved_groups: vec![],
            drift: vec![],
            throughput: vec![flow],
            changes: vec![],
            note: None,
            can_edit: false,
        };
        assert_eq!(
            to_csv(&r),
            "section,item,measure,value\n\
             errors_by_category,Other,this_week,4\n\
             errors_by_category,Other,previous_week,1\n\
             throughput,\"Customers, V3\",synced,90\n\
             throughput,\"Customers, V3\",failed,10\n\
             throughput,\"Customers, V3\",failure_rate_percent,10.000\n"
        );
    }
}
