//! Differences between two revisions: field by field for structured values,
//! word by word for text, so a reviewer sees exactly what changed.

use super::MapContent;
use serde::{Deserialize, Serialize};

/// One piece of a word diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Piece {
    /// In both.
    Same(String),
    /// Only in the newer text.
    Added(String),
    /// Only in the older text.
    Removed(String),
}

/// A changed field of a map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's label.
    pub field: String,
    /// Value before.
    pub before: String,
    /// Value after.
    pub after: String,
    /// Word diff, for long text fields.
    pub words: Option<Vec<Piece>>,
}

/// Word-level diff by longest common subsequence. Whitespace runs are kept
/// as their own tokens so the text reads back as written. Inputs beyond
/// `MAX_TOKENS` fall back to "all removed, all added", which keeps the cost
/// bounded for very long notes.
pub fn word_diff(before: &str, after: &str) -> Vec<Piece> {
    const MAX_TOKENS: usize = 4_000;
    let a = tokens(before);
    let b = tokens(after);
    if a.len() > MAX_TOKENS || b.len() > MAX_TOKENS {
        return vec![Piece::Removed(before.into()), Piece::Added(after.into())];
    }
    // lcs[i][j] = length of the LCS of a[i..] and b[j..]
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out: Vec<Piece> = Vec::new();
    let push = |out: &mut Vec<Piece>, p: Piece| match (out.last_mut(), p) {
        (Some(Piece::Same(s)), Piece::Same(t))
        | (Some(Piece::Added(s)), Piece::Added(t))
        | (Some(Piece::Removed(s)), Piece::Removed(t)) => s.push_str(&t),
        (_, p) => out.push(p),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            push(&mut out, Piece::Same(a[i].into()));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            push(&mut out, Piece::Removed(a[i].into()));
            i += 1;
        } else {
            push(&mut out, Piece::Added(b[j].into()));
            j += 1;
        }
    }
    for t in &a[i..] {
        push(&mut out, Piece::Removed((*t).into()));
    }
    for t in &b[j..] {
        push(&mut out, Piece::Added((*t).into()));
    }
    out
}

fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|w| w != space) {
            out.push(&s[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Field-level changes between two map contents, in form order.
pub fn map_changes(before: &MapContent, after: &MapContent) -> Vec<FieldChange> {
    let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let fields: [(&'static str, String, String, bool); 13] = [
        ("Name", before.name.clone(), after.name.clone(), false),
        (
            "F&O data entity",
            before.fo_entity.clone(),
            after.fo_entity.clone(),
            false,
        ),
        (
            "Dataverse table",
            before.dataverse_table.clone(),
            after.dataverse_table.clone(),
            false,
        ),
        (
            "Direction",
            before.direction.label().into(),
            after.direction.label().into(),
            false,
        ),
        (
            "Why not synced",
            before.not_synced_reason.clone(),
            after.not_synced_reason.clone(),
            true,
        ),
        (
            "Owning side",
            before.master_side.label().into(),
            after.master_side.label().into(),
            false,
        ),
        (
            "F&O keys",
            before.fo_keys.clone(),
            after.fo_keys.clone(),
            false,
        ),
        (
            "Dataverse keys",
            before.dataverse_keys.clone(),
            after.dataverse_keys.clone(),
            false,
        ),
        (
            "Initial sync",
            before.initial_sync.label().into(),
            after.initial_sync.label().into(),
            false,
        ),
        (
            "Expected records",
            opt(before.expected_records),
            opt(after.expected_records),
            false,
        ),
        (
            "State",
            before.state.label().into(),
            after.state.label().into(),
            false,
        ),
        ("Tags", before.tags.clone(), after.tags.clone(), false),
        ("Notes", before.notes.clone(), after.notes.clone(), true),
    ];
    changed(fields)
}

/// The rows whose values differ, as changes: `(label, before, after, is_text)`.
/// Text rows get a word diff; the others show both values.
pub fn changed(
    rows: impl IntoIterator<Item = (&'static str, String, String, bool)>,
) -> Vec<FieldChange> {
    rows.into_iter()
        .filter(|(_, b, a, _)| b != a)
        .map(|(field, b, a, text)| FieldChange {
            field: field.into(),
            words: text.then(|| word_diff(&b, &a)),
            before: b,
            after: a,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Piece::*;

    #[test]
    fn word_diff_marks_only_the_changed_words() {
        let d = word_diff(
            "F&O owns the customer record",
            "F&O owns every customer record",
        );
        assert_eq!(
            d,
            vec![
                Same("F&O owns ".into()),
                Removed("the".into()),
                Added("every".into()),
                Same(" customer record".into()),
            ]
        );
    }

    #[test]
    fn word_diff_of_equal_and_empty_texts() {
        assert_eq!(word_diff("a b", "a b"), vec![Same("a b".into())]);
        assert_eq!(word_diff("", "new"), vec![Added("new".into())]);
        assert_eq!(word_diff("old", ""), vec![Removed("old".into())]);
    }

    #[test]
    fn rebuilding_either_side_from_the_diff_gives_the_original() {
        let (a, b) = ("one two  three\nfour", "zero two three\nfour five");
        let d = word_diff(a, b);
        let before: String = d
            .iter()
            .filter_map(|p| match p {
                Same(s) | Removed(s) => Some(s.as_str()),
                Added(_) => None,
            })
            .collect();
        let after: String = d
            .iter()
            .filter_map(|p| match p {
                Same(s) | Added(s) => Some(s.as_str()),
                Removed(_) => None,
            })
            .collect();
        assert_eq!((before.as_str(), after.as_str()), (a, b));
    }

    #[test]
    fn map_changes_list_only_changed_fields_with_word_diffs_for_text() {
        let a = crate::maps::starter::starter_set()[0].clone();
        let mut b = a.clone();
        b.state = crate::maps::MapState::Paused;
        b.notes.push_str(" Paused for the cutover.");
        let changes = map_changes(&a, &b);
        let names: Vec<_> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(names, vec!["State", "Notes"]);
        assert!(changes[0].words.is_none());
        assert!(
            changes[1]
                .words
                .as_ref()
                .unwrap()
                .iter()
                .any(|p| matches!(p, Added(s) if s.contains("cutover")))
        );
    }
}
