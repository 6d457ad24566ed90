//! The learned half of the classifier: a naive Bayes model over the words
//! and word pairs of error messages, trained on the development part of
//! the corpus in `testdata/` (real messages from public sources, each with
//! its category).
//!
//! Rules catch what is explicit (error codes, HTTP statuses); this catches
//! the many wordings of a failure that no list of phrases keeps up with:
//! "could not be resolved", "lookup was not found" and "does not exist"
//! share words with each other and with the corpus' dependency errors, not
//! with its type mismatches. Why naive Bayes: a few hundred labelled
//! messages are too few for anything with more parameters, it trains in
//! well under a millisecond (so the model is built from the corpus the
//! binary carries, on first use, instead of from a generated file), and each
//! word's weight can be shown to people as the reason for a category.

use super::Category;
use std::collections::{HashMap, HashSet};

/// How much of a message is read: the start says what failed; the rest of
/// a long message is values and traces. Keeps classification bounded.
pub const SCAN_BYTES: usize = 4096;

/// Below this probability the answer is `other`, with the guess shown.
pub const CONFIDENCE_FLOOR: f64 = 0.5;

/// Words that say nothing about a failure's kind.
const STOP: &[&str] = &[
    "the",
    "a",
    "an",
    "to",
    "of",
    "for",
    "in",
    "on",
    "is",
    "are",
    "was",
    "be",
    "been",
    "and",
    "or",
    "with",
    "this",
    "that",
    "it",
    "at",
    "by",
    "as",
    "from",
    "has",
    "have",
    "please",
    "try",
    "again",
    "while",
    "microsoft",
    "dynamic",
    "crm",
    "system",
    "error",
    "exception",
    "occurr",
    "dataverse",
    "com",
    "http",
    "https",
    "www",
    "msdyn",
    "cdm",
    "mserp",
    // Dual-write's envelope ("Unable to write data to entity X. Writes to
    // Y failed with error message …") wraps every kind of failure.
    "unable",
    "write",
    "writ",
    "data",
    "entity",
    "entiti",
];

/// Additive smoothing of the feature counts (chosen by cross-validation
/// on the development part).
const ALPHA: f64 = 1.0;

/// A trained model: per feature, its log probability in each category.
#[derive(Debug)]
pub struct Model {
    categories: Vec<Category>,
    log_p: HashMap<String, Vec<f64>>,
}

/// What the model said about a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The most probable category.
    pub category: Category,
    /// Its probability among the categories (0–1).
    pub confidence: f64,
    /// The features that weighed most for it, strongest first.
    pub words: Vec<String>,
}

/// Lower-cases and stems a word a little, so "mappings", "mapped" and
/// "mapping" meet, and "resolved" meets "resolve".
fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    for suffix in ["ings", "ing", "ed", "es", "s"] {
        if w.len() > suffix.len() + 3 && w.ends_with(suffix) && !w.ends_with("ss") {
            return w[..w.len() - suffix.len()].to_string();
        }
    }
    w
}

/// Splits an identifier at its case changes: `InvalidPluginExecution` →
/// `Invalid`, `Plugin`, `Execution`.
fn camel_parts(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    for k in 1..chars.len() {
        let (i, c) = chars[k];
        let prev = chars[k - 1].1;
        let next_lower = chars.get(k + 1).is_some_and(|(_, n)| n.is_lowercase());
        if c.is_uppercase() && (prev.is_lowercase() || (prev.is_uppercase() && next_lower)) {
            parts.push(&word[start..i]);
            start = i;
        }
    }
    parts.push(&word[start..]);
    parts
}

/// The message's features: stemmed words (identifiers split at case
/// changes as well as kept whole), three-digit statuses, and each pair of
/// neighbouring words.
pub fn features(message: &str) -> HashSet<String> {
    let text = super::classify::prefix(message, SCAN_BYTES);
    let mut words: Vec<String> = Vec::new();
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        if raw.is_empty() {
            continue;
        }
        if raw.chars().all(|c| c.is_ascii_digit()) {
            // Statuses (403, 429, 503) say something; record numbers do not.
            if raw.len() == 3 && (raw.starts_with('4') || raw.starts_with('5')) {
                words.push(raw.to_string());
            }
            continue;
        }
        if raw.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let parts = camel_parts(raw);
        if parts.len() > 1 {
            words.push(raw.to_lowercase());
        }
        for part in parts {
            let w = stem(part);
            if w.chars().count() > 1 && !STOP.contains(&w.as_str()) {
                words.push(w);
            }
        }
    }
    let mut out: HashSet<String> = words.iter().cloned().collect();
    for pair in words.windows(2) {
        out.insert(format!("{} {}", pair[0], pair[1]));
    }
    out
}

impl Model {
    /// Trains on `(message, category)` pairs: naive Bayes over binary
    /// features, every category with the same prior (the corpus' mix of
    /// categories is not a queue's). Deterministic.
    pub fn train<'a>(examples: impl IntoIterator<Item = (&'a str, Category)>) -> Model {
        let categories: Vec<Category> = Category::ALL.to_vec();
        let index = |c: Category| categories.iter().position(|k| *k == c).unwrap_or(0);
        let mut counts: HashMap<String, Vec<f64>> = HashMap::new();
        let mut totals = vec![0.0; categories.len()];
        for (message, category) in examples {
            let k = index(category);
            for f in features(message) {
                counts
                    .entry(f)
                    .or_insert_with(|| vec![0.0; categories.len()])[k] += 1.0;
                totals[k] += 1.0;
            }
        }
        let vocabulary = counts.len() as f64;
        let denominators: Vec<f64> = totals
            .iter()
            .map(|t| t + ALPHA * vocabulary.max(1.0))
            .collect();
        let log_p = counts
            .into_iter()
            .map(|(f, n)| {
                let p = n
                    .iter()
                    .zip(&denominators)
                    .map(|(n, d)| ((n + ALPHA) / d).ln())
                    .collect();
                (f, p)
            })
            .collect();
        Model { categories, log_p }
    }

    /// The model's reading of a message; `None` when it holds no word the
    /// model has seen.
    pub fn predict(&self, message: &str) -> Option<Prediction> {
        let known: Vec<(String, &Vec<f64>)> = features(message)
            .into_iter()
            .filter_map(|f| self.log_p.get(&f).map(|p| (f, p)))
            .collect();
        if known.is_empty() {
            return None;
        }
        let mut scores = vec![0.0; self.categories.len()];
        for (_, p) in &known {
            for (s, v) in scores.iter_mut().zip(p.iter()) {
                *s += v;
            }
        }
        let best = (0..scores.len())
            .max_by(|a, b| scores[*a].total_cmp(&scores[*b]))
            .unwrap_or(0);
        let top = scores[best];
        let sum: f64 = scores.iter().map(|s| (s - top).exp()).sum();
        // A word weighs for the best category by how much likelier it is
        // there than in the runner-up category for that word.
        let mut weighed: Vec<(f64, String)> = known
            .into_iter()
            .map(|(f, p)| {
                let rival = (0..p.len())
                    .filter(|k| *k != best)
                    .map(|k| p[k])
                    .fold(f64::NEG_INFINITY, f64::max);
                (p[best] - rival, f)
            })
            .filter(|(w, _)| *w > 0.0)
            .collect();
        weighed.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Some(Prediction {
            category: self.categories[best],
            confidence: 1.0 / sum,
            words: weighed.into_iter().take(3).map(|(_, f)| f).collect(),
        })
    }

    /// How many distinct features the model knows.
    pub fn vocabulary(&self) -> usize {
        self.log_p.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_at_case_changes_and_words_are_stemmed() {
        assert_eq!(
            camel_parts("InvalidPluginExecutionException"),
            ["Invalid", "Plugin", "Execution", "Exception"]
        );
        assert_eq!(camel_parts("ODataException"), ["O", "Data", "Exception"]);
        assert_eq!(stem("Mappings"), "mapp");
        assert_eq!(stem("mapped"), "mapp");
        assert_eq!(stem("access"), "access");
        let f = features("The lookup wasn't resolved: HTTP 429, record 000123.");
        assert!(f.contains("lookup") && f.contains("resolv") && f.contains("429"));
        assert!(!f.iter().any(|w| w.contains("000123")));
        assert!(f.contains("lookup wasn"), "{f:?}");
    }

    #[test]
    fn the_model_learns_wording_and_says_which_words_weighed() {
        let model = Model::train([
            (
                "The lookup could not be resolved",
                Category::DependencyOrder,
            ),
            (
                "Referenced parent does not exist yet",
                Category::DependencyOrder,
            ),
            (
                "Cannot convert the literal to decimal",
                Category::InvalidValueConversion,
            ),
            (
                "The string is not a valid date",
                Category::InvalidValueConversion,
            ),
        ]);
        let p = model
            .predict("lookup for the parent was not resolved")
            .unwrap();
        assert_eq!(p.category, Category::DependencyOrder);
        // Better than a guess among the eight categories.
        assert!(
            p.confidence > 0.125 && p.confidence <= 1.0,
            "{}",
            p.confidence
        );
        assert!(p.words.iter().any(|w| w == "lookup"), "{:?}", p.words);
        assert!(model.predict("zzz qqq").is_none());
        assert!(model.vocabulary() > 10);
    }

    #[test]
    fn huge_or_odd_input_is_read_in_bounded_time() {
        let model = Model::train([("timeout", Category::ThrottlingTimeout)]);
        let big = "ab\u{0}Ü😀 ".repeat(1_000_000);
        assert!(features(&big).len() < SCAN_BYTES);
        let _ = model.predict(&big);
        let _ = model.predict("");
    }
}
