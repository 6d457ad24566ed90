//! Search across the rule book: maps, field mappings and rule rationale,
//! with highlighted snippets that link to the exact field or rule.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// Marks the start of a highlighted match inside a snippet.
pub const MARK_START: char = '\u{1}';
/// Marks the end of a highlighted match inside a snippet.
pub const MARK_END: char = '\u{2}';

/// One search hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    /// `map`, `field` or `rule`.
    pub kind: String,
    /// The map the hit belongs to.
    pub map_id: i64,
    /// Its name.
    pub map_name: String,
    /// The field label, rule scope or map name.
    pub title: String,
    /// Text around the match, with matches between [`MARK_START`] and [`MARK_END`].
    pub snippet: String,
    /// Where the hit lands: the map page, at the field or rule.
    pub href: String,
}

/// Turns what a person typed into a safe FTS5 query: each word quoted (so
/// punctuation and FTS operators in the input cannot cause syntax errors),
/// all words required, the last one as a prefix. `None` when nothing
/// searchable remains.
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(10)
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    let last = words.len() - 1;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == last {
                    format!("{w}*")
                } else {
                    w.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Splits a snippet into (text, highlighted) pieces.
pub fn snippet_pieces(snippet: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut marked = false;
    for c in snippet.chars() {
        if c == MARK_START || c == MARK_END {
            if !current.is_empty() {
                out.push((std::mem::take(&mut current), marked));
            }
            marked = c == MARK_START;
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        out.push((current, marked));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_input_becomes_a_quoted_prefix_query() {
        assert_eq!(
            fts_query("credit limit").as_deref(),
            Some("\"credit\" \"limit\"*")
        );
        assert_eq!(
            fts_query("  NEAR(\"x\" OR y) -z ").as_deref(),
            Some("\"NEAR\" \"x\" \"OR\" \"y\" \"z\"*")
        );
        assert_eq!(fts_query("\"*()"), None);
    }

    #[test]
    fn snippets_split_into_highlighted_pieces() {
        let s = format!("owned by {MARK_START}credit{MARK_END} control");
        assert_eq!(
            snippet_pieces(&s),
            vec![
                ("owned by ".into(), false),
                ("credit".into(), true),
                (" control".into(), false)
            ]
        );
    }
}
