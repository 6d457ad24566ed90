//! The rule book of an environment as one Markdown document: every map with
//! its settings, open warnings, field mappings and conflict rules. Teams
//! attach it to design reviews and keep it beside the code.

use super::{ConflictRule, FieldMapping, Transform};
use crate::environments::Environment;
use crate::maps::{Direction, TableMap, Warning};

/// One map with everything the document shows about it.
pub struct MapSection<'a> {
    /// The map.
    pub map: &'a TableMap,
    /// Its live field mappings.
    pub fields: &'a [FieldMapping],
    /// Its live rules.
    pub rules: &'a [ConflictRule],
    /// Its open warnings.
    pub warnings: &'a [Warning],
}

/// Plain text (a name, tag or key) safe in Markdown: on one line, and with
/// `&`, `<` and `>` as entities, so a name such as `<img onerror=…>` stays
/// text in every renderer the document is pasted into.
fn text(s: &str) -> String {
    crate::components::escape_text(s).replace(['\n', '\r'], " ")
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}

/// A code span holding `s` verbatim: Markdown shows code spans as written
/// (no HTML), so only a backtick inside needs a longer fence.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Renders the document. `generated_at` is printed in the header.
pub fn rule_book_markdown(
    env: &Environment,
    sections: &[MapSection<'_>],
    generated_at: &str,
) -> String {
    let mut out = String::new();
    out.push_str(&format!("# Rule book: {}\n\n", text(&env.name)));
    out.push_str(&format!(
        "Exported from Dual-write Console on {generated_at}.\n\n"
    ));
    if !env.fo_url.is_empty() || !env.dataverse_url.is_empty() {
        out.push_str(&format!(
            "- F&O: {}\n- Dataverse: {}\n",
            text(&env.fo_url),
            text(&env.dataverse_url)
        ));
    }
    if !env.legal_entities.is_empty() {
        out.push_str(&format!(
            "- Legal entities in scope: {}\n",
            text(&env.legal_entities.join(", "))
        ));
    }
    out.push_str(
        "\nLive dual-write has no conflict resolution: a write succeeds on both sides or rolls back on both. \
         Each rule below says what, if anything, enforces it.\n\n## Maps\n\n| Map | F&O entity | Dataverse table | Direction | Owner | State | Warnings |\n|---|---|---|---|---|---|---|\n",
    );
    for s in sections {
        let c = &s.map.content;
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            cell(&c.name),
            code(&c.fo_entity),
            code(&c.dataverse_table),
            c.direction.label(),
            c.master_side.label(),
            c.state.label(),
            s.warnings.len()
        ));
    }
    for s in sections {
        let c = &s.map.content;
        out.push_str(&format!("\n## {}\n\n", text(&c.name)));
        out.push_str(&format!(
            "- Syncs: {} ↔ {}\n",
            code(&c.fo_entity),
            code(&c.dataverse_table)
        ));
        out.push_str(&format!("- Direction: {}\n", c.direction.label()));
        if c.direction == Direction::NotSynced {
            out.push_str(&format!(
                "- Why not synced: {}\n",
                text(&c.not_synced_reason)
            ));
        }
        out.push_str(&format!("- Owning side: {}\n", c.master_side.label()));
        out.push_str(&format!(
            "- Integration key: F&O {}; Dataverse {}\n",
            code(&c.fo_keys),
            code(&c.dataverse_keys)
        ));
        out.push_str(&format!(
            "- Initial sync: {}{}\n",
            c.initial_sync.label(),
            c.expected_records
                .map(|n| format!(" ({} records expected)", crate::components::fmt_count(n)))
                .unwrap_or_default()
        ));
        out.push_str(&format!(
            "- State: {} · revision {}\n",
            c.state.label(),
            s.map.revision
        ));
        if !c.tags.is_empty() {
            out.push_str(&format!("- Tags: {}\n", text(&c.tags)));
        }
        if !s.warnings.is_empty() {
            out.push_str("\n**Open warnings**\n\n");
            for w in s.warnings {
                out.push_str(&format!("- {} _(Source: {})_\n", w.message, w.source));
            }
        }
        if !c.notes.is_empty() {
            out.push_str(&format!("\n### Notes\n\n{}\n", c.notes));
        }
        if !s.fields.is_empty() {
            out.push_str("\n### Field mappings\n\n| F&O field | Dataverse column | Direction | Type | Transform |\n|---|---|---|---|---|\n");
            for f in s.fields {
                let fc = &f.content;
                let transform = match fc.transform {
                    Transform::None => "—".to_string(),
                    Transform::Default => format!("default {}", code(&fc.default_value)),
                    Transform::ValueMap => fc
                        .value_map
                        .iter()
                        .map(|(a, b)| format!("{} → {}", cell(a), cell(b)))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                out.push_str(&format!(
                    "| {} | {} | {} | {} | {} |\n",
                    code(&fc.fo_field),
                    code(&fc.dataverse_column),
                    fc.direction.label(),
                    fc.value_type.label(),
                    transform
                ));
            }
        }
        if !s.rules.is_empty() {
            out.push_str("\n### Conflict rules\n");
            for r in s.rules {
                let scope = r
                    .field_label
                    .clone()
                    .unwrap_or_else(|| "Map default".into());
                out.push_str(&format!(
                    "\n#### #{} {}: {} ({})\n\n{} — {}\n\nDecided by {} on {}.",
                    r.id,
                    text(&scope),
                    r.winner.label(),
                    r.status.label().to_lowercase(),
                    r.enforced_by.label(),
                    r.enforced_by.explanation(),
                    text(&r.decided_by),
                    text(&r.decided_on)
                ));
                if let Some(s) = r.superseded_by {
                    out.push_str(&format!(" Superseded by #{s}."));
                }
                out.push_str(&format!("\n\n{}\n", r.rationale.trim()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::starter::starter_set;

    #[test]
    fn the_document_lists_every_map_with_its_rules_and_escapes_table_cells() {
        let env = Environment {
            id: 1,
            name: "UAT".into(),
            fo_url: "https://uat.example.com".into(),
            dataverse_url: "https://uat.crm.example.com".into(),
            legal_entities: vec!["USMF".into()],
            time_zone: "UTC".into(),
        };
        let mut content = starter_set().remove(0);
        content.name = "Customers | persons".into();
        content.tags = "<img src=x onerror=alert(1)>".into();
        content.fo_keys = "Account`Num".into();
        let map = TableMap {
            id: 1,
            environment: "UAT".into(),
            content,
            revision: 3,
            deleted: false,
            updated_at: "2026-11-26T10:00:00.000Z".into(),
        };
        let rule = ConflictRule {
            id: 4,
            map_id: 1,
            field_mapping_id: None,
            field_label: None,
            winner: crate::rules::Winner::Fo,
            enforced_by: crate::rules::EnforcedBy::TeamPolicy,
            rationale: "Credit control owns customers.".into(),
            rationale_html: String::new(),
            decided_by: "ana@example.com".into(),
            decided_on: "2026-11-20".into(),
            status: crate::rules::RuleStatus::Accepted,
            superseded_by: None,
            supersedes: vec![],
            revision: 1,
        };
        let md = rule_book_markdown(
            &env,
            &[MapSection {
                map: &map,
                fields: &[],
                rules: &[rule],
                warnings: &[],
            }],
            "2026-11-27",
        );
        assert!(md.starts_with("# Rule book: UAT\n"));
        assert!(md.contains("| Customers \\| persons | `CustCustomerV3Entity`"));
        assert!(md.contains("#### #4 Map default: F&O wins (accepted)"));
        assert!(md.contains("Team policy, not enforced by dual-write"));
        assert!(md.contains("Credit control owns customers."));
        assert!(md.contains("revision 3"));
        assert!(
            md.contains("- Tags: &lt;img src=x onerror=alert(1)&gt;\n"),
            "{md}"
        );
        assert!(md.contains("F&O `` Account`Num ``"), "{md}");
        assert!(!md.contains("<img"));
    }
}
