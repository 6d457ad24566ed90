//! Classification of dual-write error messages, and the fingerprint that
//! groups repeats of one error.
//!
//! Two layers. First the rules, ordered patterns over the message and its
//! raw detail: Dataverse error codes (the most specific), then HTTP
//! statuses, then phrases from Microsoft's troubleshooting articles; the
//! first that matches decides. Behind them the learned model
//! ([`super::model`]), trained on the development part of the corpus in
//! `testdata/`, reads the wording of everything the rules miss and answers
//! with a probability; below [`model::CONFIDENCE_FLOOR`] the answer is
//! `other`, with the guess shown. Classification never fails: any text
//! gets a category and the reason, which the pages show. `docs/classifier.md`
//! has the corpus, the split and the accuracy on the held-out part.

use super::Category;
use super::model::{self, Model};
use regex::{Regex, RegexSet};
use std::sync::LazyLock;

/// One rule: its name (shown beside the category), the category, and the
/// case-insensitive pattern it looks for.
struct Rule {
    name: &'static str,
    category: Category,
    pattern: &'static str,
}

const fn rule(name: &'static str, category: Category, pattern: &'static str) -> Rule {
    Rule {
        name,
        category,
        pattern,
    }
}

use Category::*;

/// The rules, most specific first. Codes are Dataverse/CRM error codes as
/// they appear in messages (`0x80040265`) or as signed decimals.
static RULES: &[Rule] = &[
    // Dataverse error codes.
    rule(
        "code 0x80072322/0x80072321/0x80072326: service protection limit",
        ThrottlingTimeout,
        r"0x8007232[0-9]|-2147015902|-2147015903|-2147015898",
    ),
    rule(
        "code 0x80040265: plug-in aborted the operation (IsvAborted)",
        PluginThrow,
        r"0x80040265|-2147220891",
    ),
    rule(
        "code 0x80040237/0x80060892: duplicate key",
        DuplicateRecord,
        r"0x80040237|0x80060892|-2147220937|-2147088238",
    ),
    rule(
        "code 0x80040220/0x80072560/0x8004f507: privilege or membership",
        AuthenticationPermission,
        r"0x80040220|0x80072560|0x8004f507|0x80042f09|-2147220960",
    ),
    rule(
        "code 0x80040217: referenced record does not exist",
        DependencyOrder,
        r"0x80040217|-2147220969",
    ),
    rule(
        "code 0x80044331/0x80040203: invalid value or argument",
        InvalidValueConversion,
        r"0x80044331|0x80040203|0x8004431a",
    ),
    // Throttling and time-outs (checked before HTTP statuses: a 429 body
    // often also says "Forbidden"-like things in the same envelope).
    rule(
        "HTTP 429 or throttling",
        ThrottlingTimeout,
        r"(\(|status\W{0,20}(code\W{0,20})?|http\W{0,3}(/[\d.]+\W{0,3})?|:\s*)429\b|\b429\s+too|too many requests|throttl|retry-after|rate limit|service protection|number of requests exceeded|combined execution time of incoming requests exceeded|concurrent requests? (exceeded|limit)",
    ),
    rule(
        "time-out",
        ThrottlingTimeout,
        r"timed? ?out|timeout|exceeded the (allowed|maximum) (time|duration)|(\(|status\W{0,20}(code\W{0,20})?|http\W{0,3}(/[\d.]+\W{0,3})?|:\s*)(408|504)\b|gateway time|took longer than",
    ),
    rule(
        "service unavailable (HTTP 502/503)",
        ThrottlingTimeout,
        r"(\(|status\W{0,20}(code\W{0,20})?|http\W{0,3}(/[\d.]+\W{0,3})?|:\s*)(502|503)\b|service unavailable|bad gateway|temporarily unavailable|server is busy",
    ),
    // Authentication and permission.
    rule(
        "HTTP 401/403 or sign-in failure",
        AuthenticationPermission,
        r"(\(|status\W{0,20}(code\W{0,20})?|http\W{0,3}(/[\d.]+\W{0,3})?|:\s*)(401|403)\b|unauthori[sz]ed|forbidden|token ?exchange|aadsts\d+|access (is )?denied|not (a )?member of the organi[sz]ation|insufficient (privileges?|permissions?)|missing prv\w+|does not have (the )?(required )?(privilege|permission|security role|access)|\w*access rights?\b|not allowed to access|login failed|authentication failed|invalid_client|invalid_grant|(user|account)\b.*\bis disabled|login\.microsoftonline|sign-?in (failed|was blocked)",
    ),
    // Plug-ins.
    rule(
        "plug-in exception",
        PluginThrow,
        r"plug-?in|invalidpluginexecutionexception|isv code|sandbox worker|custom ?workflow|workflow (job|instance)|\bsecureconfig\b",
    ),
    // Duplicates.
    rule(
        "duplicate or existing record",
        DuplicateRecord,
        r"duplicate|already exists|matching key values|cannot insert duplicate|primary key|unique (key|index|constraint)|cannot update a party'?s type|record with (the )?(same|these) (key|values)",
    ),
    // Dependencies and ordering.
    rule(
        "lookup not resolved (dependency order)",
        DependencyOrder,
        r"couldn'?t resolve the guid|could not resolve the guid|lookup was not found|lookup (value )?(could not be|cannot be|was not) (found|resolved)|unable to sync with entity|does not exist\b.*\bwith id|with id = .* does not exist|foreign key|reference constraint|parent record|referenced record|must be (synced|created) first|circular reference|cyclic reference|create a loop|dependent (record|entity)|operation on which this operation depends|no longer exists|(is|are) referenced by|parent \w+ (type )?was present, but the id was missing",
    ),
    // Field mappings and schema.
    rule(
        "missing mapping, key or schema",
        MissingFieldMapping,
        r"integration keys? (is |are )?(missing|not (found|defined|set))|missing integration key|missing source (field|schema|column)|missing (target|destination) (field|column)|no (field )?mapping (found|exists|defined) for|mapping (is )?missing|is not mapped|could not find a property named|property .* does not exist on type|source field .* (not found|does not exist)|field .* not found in (the )?(mapping|schema)|invalid property '[^']*' was found|undeclared property|untyped value in non-open type|(field|attribute|column|property) (that )?(does not|doesn'?t) exist|(attribute|column|field) .*(cannot be|could not be|was not|not) found|\bmandatory\b",
    ),
    // Values and conversion.
    rule(
        "value cannot be converted or is invalid",
        InvalidValueConversion,
        r"can'?t convert|cannot convert|could not (be )?convert|failed to convert|conversion (failed|error)|not a valid (value|date|number|enum|option|guid)|is not valid for|invalid (value|enum|option ?set|picklist|date|format|cast)|input string was not in a correct format|was not recognized as a valid|out of (the )?range|outside (of )?the (allowed|valid) (values|range)|decimal places|invalidcastexception|exceeds? the maximum (allowed )?length|exceeded the maximum allowed length|string or binary data would be truncated|edm\.(decimal|int32|int64|datetimeoffset|date|guid|boolean|double)|expected type|odataexception|value map",
    ),
];

/// A rule's pattern as compiled: case-insensitive, `.` across lines, and
/// the Perl classes (`\b`, `\w`, `\W`, `\d`, `\s`) in their ASCII
/// forms. Unicode word boundaries send the regex engine off its DFA at the
/// first non-ASCII character (a typographic apostrophe is enough), and a
/// bounded repetition of a Unicode class (`\W{0,20}`) multiplies its
/// states; every rule's words are ASCII, so nothing is lost.
fn compiled(pattern: &str) -> String {
    let ascii = pattern
        .replace(r"\b", r"(?-u:\b)")
        .replace(r"\W", r#"[ \t\r\n:"'=(){}\[\],.;/-]"#)
        .replace(r"\w", "[a-z0-9_]")
        .replace(r"\d", "[0-9]")
        .replace(r"\s", r"[ \t\r\n]");
    format!("(?is){ascii}")
}

static SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(RULES.iter().map(|r| compiled(r.pattern)))
        .expect("the classification patterns are valid")
});

/// The error-code rules alone, for the detail: plain alternations of
/// literals, which the regex engine scans in linear time at memory speed.
/// The phrase rules hold Unicode word boundaries that push the engine off
/// its fast path on non-ASCII text (about 3.5 s of CPU per megabyte when
/// they ran over whole details).
static CODE_RULES: LazyLock<Vec<usize>> = LazyLock::new(|| {
    (0..RULES.len())
        .filter(|i| RULES[*i].name.starts_with("code "))
        .collect()
});

static CODE_SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(
        CODE_RULES
            .iter()
            .map(|i| format!("(?i){}", RULES[*i].pattern)),
    )
    .expect("the classification patterns are valid")
});

/// How much of a detail is searched for error codes. Codes stand in the
/// error envelope at the start (`{"error":{"code":"0x…"`), or at the top
/// of a trace; past this the detail is request bodies and stack frames.
pub const DETAIL_SCAN_BYTES: usize = 64 * 1024;

/// The first `max` bytes of `text`, cut at a character boundary.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Every rule's pattern, in order, as the classifier compiles them. For
/// the probe benchmark, which times the old whole-detail scan against the
/// bounded one on the same input.
pub fn patterns() -> impl Iterator<Item = String> {
    RULES.iter().map(|r| compiled(r.pattern))
}

/// What the classifier decided and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The category.
    pub category: Category,
    /// Why, for people to read: the rule that decided it, or the words
    /// that weighed most with the model's confidence.
    pub rule: String,
    /// How sure the classifier is (0–1): 1 for a rule.
    pub confidence: f64,
}

impl Classification {
    fn by_rule(i: usize) -> Classification {
        Classification {
            category: RULES[i].category,
            rule: RULES[i].name.to_string(),
            confidence: 1.0,
        }
    }
}

/// The development corpus and the domain reference, which the model
/// learns from. The held-out part is not here: it only measures.
const TRAINING: [&str; 2] = [corpus::DEV, corpus::REFERENCE];

/// The rows of a corpus file (`message`, `category`, `source`, header
/// first); rows whose category is unknown are skipped.
pub fn corpus_rows(tsv: &str) -> Vec<(String, Category)> {
    csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .flexible(true)
        .from_reader(tsv.as_bytes())
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| Some((r.get(0)?.to_string(), Category::parse(r.get(1)?)?)))
        .collect()
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let rows: Vec<(String, Category)> = TRAINING.iter().flat_map(|t| corpus_rows(t)).collect();
    Model::train(rows.iter().map(|(m, c)| (m.as_str(), *c)))
});

/// With this set, [`classify`] answers with the rules alone, as before the
/// model: only for the benchmark's before-and-after ingest figures.
pub static RULES_ONLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

static NO_MODEL: LazyLock<Model> = LazyLock::new(|| Model::train([]));

/// Classifies a message with its raw detail (either may be empty).
pub fn classify(message: &str, detail: &str) -> Classification {
    if RULES_ONLY.load(std::sync::atomic::Ordering::Relaxed) {
        return classify_with(&NO_MODEL, message, detail);
    }
    classify_with(&MODEL, message, detail)
}

/// The model the console ships, trained on the development corpus.
pub fn shipped_model() -> &'static Model {
    &MODEL
}

/// How a classifier did on labelled messages.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// `confusion[expected][got]`, indexed as [`Category::ALL`].
    pub confusion: Vec<Vec<usize>>,
}

impl Scores {
    /// Classifies every row with `model` and counts.
    pub fn of(model: &Model, rows: &[(String, Category)]) -> Scores {
        let n = Category::ALL.len();
        let index = |c: Category| Category::ALL.iter().position(|k| *k == c).unwrap_or(0);
        let mut confusion = vec![vec![0; n]; n];
        for (message, expected) in rows {
            let got = classify_with(model, message, "").category;
            confusion[index(*expected)][index(got)] += 1;
        }
        Scores { confusion }
    }

    /// Adds another run's counts (folds of a cross-validation).
    pub fn add(&mut self, other: &Scores) {
        if self.confusion.is_empty() {
            self.confusion = other.confusion.clone();
            return;
        }
        for (row, o) in self.confusion.iter_mut().zip(&other.confusion) {
            for (a, b) in row.iter_mut().zip(o) {
                *a += b;
            }
        }
    }

    /// Messages scored.
    pub fn total(&self) -> usize {
        self.confusion.iter().flatten().sum()
    }

    /// Share sorted right.
    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.confusion.len())
            .map(|k| self.confusion[k][k])
            .sum();
        right as f64 / self.total().max(1) as f64
    }

    /// Of the messages of `c`, the share sorted as `c`; and how many there were.
    pub fn recall(&self, c: Category) -> (f64, usize) {
        let k = Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
        let n: usize = self.confusion[k].iter().sum();
        (self.confusion[k][k] as f64 / n.max(1) as f64, n)
    }

    /// Of the messages sorted as `c`, the share that were `c`.
    pub fn precision(&self, c: Category) -> f64 {
        let k = Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
        let n: usize = self.confusion.iter().map(|row| row[k]).sum();
        self.confusion[k][k] as f64 / n.max(1) as f64
    }

    /// A Markdown report: accuracy, per-category precision and recall, and
    /// the confusion table (rows: the corpus' category; columns: the
    /// classifier's).
    pub fn markdown(&self) -> String {
        let short = |c: &Category| c.as_str().split('_').next().unwrap_or("").to_string();
        let mut out = format!(
            "Accuracy: {:.1} % ({} of {})\n\n| category | messages | precision | recall |\n| --- | ---: | ---: | ---: |\n",
            self.accuracy() * 100.0,
            (0..self.confusion.len())
                .map(|k| self.confusion[k][k])
                .sum::<usize>(),
            self.total()
        );
        for c in Category::ALL {
            let (recall, n) = self.recall(*c);
            out.push_str(&format!(
                "| {} | {n} | {:.0} % | {:.0} % |\n",
                c.as_str(),
                self.precision(*c) * 100.0,
                recall * 100.0
            ));
        }
        out.push_str("\n| corpus ↓ / classifier → |");
        for c in Category::ALL {
            out.push_str(&format!(" {} |", short(c)));
        }
        out.push_str("\n| --- |");
        out.push_str(&" ---: |".repeat(Category::ALL.len()));
        for (c, row) in Category::ALL.iter().zip(&self.confusion) {
            out.push_str(&format!("\n| {} |", c.as_str()));
            for n in row {
                out.push_str(&format!(" {n} |"));
            }
        }
        out.push('\n');
        out
    }
}

/// The corpus parts and the domain reference, as shipped in the binary.
pub mod corpus {
    /// The development part: the model learns from it.
    pub const DEV: &str = include_str!("testdata/corpus-dev.tsv");
    /// The held-out part: only measured, never learned from or tuned on.
    pub const HELD_OUT: &str = include_str!("testdata/corpus-heldout.tsv");
    /// The domain reference (`../shared/domain/error-messages.tsv`).
    pub const REFERENCE: &str = include_str!("testdata/error-messages.tsv");
}

/// Cross-validates on the development part: `k` folds, each scored by a
/// model trained on the other folds and the domain reference. What tuning
/// looks at, so the held-out part stays unseen.
pub fn cross_validate(k: usize) -> Scores {
    let dev = corpus_rows(corpus::DEV);
    let reference = corpus_rows(corpus::REFERENCE);
    let mut total = Scores::default();
    for fold in 0..k {
        let (test, train): (Vec<_>, Vec<_>) =
            dev.iter().enumerate().partition(|(i, _)| i % k == fold);
        let model = Model::train(
            train
                .iter()
                .map(|(_, r)| *r)
                .chain(reference.iter())
                .map(|(m, c)| (m.as_str(), *c)),
        );
        let test: Vec<(String, Category)> = test.into_iter().map(|(_, r)| r.clone()).collect();
        total.add(&Scores::of(&model, &test));
    }
    total
}

/// The classifier without its model (the rules alone), for comparison.
pub fn rules_only_model() -> &'static Model {
    &NO_MODEL
}

/// [`classify`] with a given model: the accuracy checks train models on
/// parts of the corpus.
pub fn classify_with(model: &Model, message: &str, detail: &str) -> Classification {
    let head = prefix(message, MESSAGE_SCAN_BYTES);
    if let Some(i) = SET.matches(head).iter().next() {
        return Classification::by_rule(i);
    }
    // In the detail only error codes count: details quote request bodies,
    // stack traces and plug-in type names (every dual-write trace row names
    // its plug-in), where phrases would mislead.
    if let Some(i) = CODE_SET
        .matches(prefix(detail, DETAIL_SCAN_BYTES))
        .iter()
        .next()
        .map(|k| CODE_RULES[k])
    {
        return Classification::by_rule(i);
    }
    match model.predict(head) {
        Some(p) if p.confidence >= model::CONFIDENCE_FLOOR => Classification {
            category: p.category,
            rule: format!(
                "words: {} ({:.0} %)",
                p.words.join(", "),
                p.confidence * 100.0
            ),
            confidence: p.confidence,
        },
        Some(p) => Classification {
            category: Other,
            rule: format!(
                "unsure; best guess {} ({:.0} %): {}",
                p.category.label(),
                p.confidence * 100.0,
                p.words.join(", ")
            ),
            confidence: p.confidence,
        },
        None => Classification {
            category: Other,
            rule: "no rule matched and no known words".into(),
            confidence: 0.0,
        },
    }
}

/// How much of a message the rules and the model read: enough for any
/// real message, and a bound on the time a hostile one takes.
pub const MESSAGE_SCAN_BYTES: usize = 16 * 1024;

static NORMALISE: LazyLock<[Regex; 6]> = LazyLock::new(|| {
    let r = |p: &str| Regex::new(p).expect("the normalisation patterns are valid");
    [
        r(r"(?i)\b(?:https?|ftp)://\S+"),
        r(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
        // A quote opens only after a non-letter, so "Can't" and "party's"
        // are words, not values.
        r(r"(^|[^\w'])'[^'\n]{0,200}'"),
        r(r#""[^"\n]{0,200}""#),
        // Tokens with a digit (record numbers, keys like V24-1 or USMF-0042).
        r(r"\b[\w.-]*\d(?:[\w.-]|,\d)*\b"),
        r(r"\s+"),
    ]
});

/// The message with record-specific values replaced by placeholders, so
/// repeats of one error read the same: URLs, GUIDs, quoted values, and any
/// token holding a digit (keys, numbers, dates). Dataverse error codes
/// (`0x8004…`) are kept. `record_key` values are replaced too.
pub fn normalise(message: &str, record_key: &str) -> String {
    let mut text = message.to_string();
    for key in record_key
        .split([',', ';', '|'])
        .map(str::trim)
        .filter(|k| k.len() >= 3)
    {
        text = text.replace(key, "<key>");
    }
    let [url, guid, single, double, digits, space] = &*NORMALISE;
    let text = url.replace_all(&text, "<url>");
    let text = guid.replace_all(&text, "<guid>");
    let text = single.replace_all(&text, "$1'<v>'");
    let text = double.replace_all(&text, "\"<v>\"");
    let text = digits.replace_all(&text, |c: &regex::Captures<'_>| {
        let token = &c[0];
        // Error codes stay: they say what the error is, not which record.
        let is_code = token.len() == 10
            && token[..2].eq_ignore_ascii_case("0x")
            && token[2..].chars().all(|c| c.is_ascii_hexdigit());
        if is_code {
            token.to_ascii_lowercase()
        } else {
            "<n>".to_string()
        }
    });
    let mut text = space.replace_all(text.trim(), " ").into_owned();
    // A very long message is grouped by its start; the rest is detail.
    if text.len() > 500 {
        let mut end = 500;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The held-out part, scored by the shipped classifier. The goal is 90 %
    /// overall and 80 % for each of the runbook's four error modes; what it
    /// reaches today (docs/classifier.md) is lower, so this guards that
    /// figure against falling while the goal stays open.
    #[test]
    fn held_out_accuracy_does_not_fall() {
        let rows = corpus_rows(corpus::HELD_OUT);
        assert!(
            rows.len() >= 100,
            "the held-out part has {} rows",
            rows.len()
        );
        let scores = Scores::of(shipped_model(), &rows);
        println!("{}", scores.markdown());
        assert!(
            scores.accuracy() >= 0.63,
            "held-out accuracy fell to {:.1} %",
            scores.accuracy() * 100.0
        );
        for c in [
            MissingFieldMapping,
            InvalidValueConversion,
            DependencyOrder,
            PluginThrow,
        ] {
            let (recall, n) = scores.recall(c);
            assert!(n >= 8, "only {n} held-out messages of {}", c.as_str());
            assert!(
                recall >= 0.60,
                "{}: {:.0} % of {n}",
                c.as_str(),
                recall * 100.0
            );
        }
        // The model adds to the rules: they alone sort fewer right.
        let rules = Scores::of(rules_only_model(), &rows);
        assert!(rules.accuracy() < scores.accuracy(), "{}", rules.markdown());
    }

    #[test]
    fn cross_validation_on_the_development_part_holds() {
        let scores = cross_validate(10);
        println!("{}", scores.markdown());
        assert!(scores.total() >= 100);
        assert!(
            scores.accuracy() >= 0.65,
            "{:.1} %",
            scores.accuracy() * 100.0
        );
    }

    #[test]
    fn the_model_is_not_trained_on_the_held_out_part() {
        let dev: std::collections::HashSet<String> =
            corpus_rows(corpus::DEV).into_iter().map(|r| r.0).collect();
        let reference: std::collections::HashSet<String> = corpus_rows(corpus::REFERENCE)
            .into_iter()
            .map(|r| r.0)
            .collect();
        for (message, _) in corpus_rows(corpus::HELD_OUT) {
            assert!(
                !dev.contains(&message) && !reference.contains(&message),
                "{message}"
            );
        }
    }

    #[test]
    fn only_the_start_of_a_large_detail_is_searched_for_codes() {
        // Multi-byte text around the cut, so the prefix must find a
        // character boundary.
        let filler = "é".repeat(DETAIL_SCAN_BYTES);
        let early = format!("{{\"error\":{{\"code\":\"0x80040265\"}}}}{filler}");
        assert_eq!(classify("Sync failed", &early).category, PluginThrow);
        let late = format!("{filler}0x80040265");
        assert_eq!(classify("Sync failed", &late).category, Other);
        assert_eq!(prefix("aé", 2), "a");
    }

    #[test]
    fn phrases_in_the_detail_do_not_decide() {
        let detail =
            "at Microsoft.Dynamics.Integrator.DualWriteRuntime.Plugins.PreCommmitPlugin: duplicate";
        assert_eq!(classify("Sync failed", detail).category, Other);
    }

    #[test]
    fn every_message_in_the_domain_reference_gets_its_listed_category() {
        let tsv = corpus::REFERENCE;
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .from_reader(tsv.as_bytes());
        let mut checked = 0;
        for row in reader.records() {
            let row = row.unwrap();
            let expected = Category::parse(&row[1]).unwrap();
            let got = classify(&row[0], "");
            assert_eq!(got.category, expected, "{} (rule: {})", &row[0], got.rule);
            checked += 1;
        }
        assert_eq!(checked, 22);
    }

    #[test]
    fn unseen_real_world_messages_generalise() {
        for (message, expected) in [
            (
                "Principal user (Id=1234) is missing prvWriteAccount privilege (Id=5678) on OTC=1 for entity 'account'.",
                AuthenticationPermission,
            ),
            (
                "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
                ThrottlingTimeout,
            ),
            (
                "The HTTP status code of the response was not expected (429).",
                ThrottlingTimeout,
            ),
            (
                "A record with matching key values already exists. 0x80060892",
                DuplicateRecord,
            ),
            ("Cannot insert duplicate key.", DuplicateRecord),
            (
                "account With Id = 5b6b3a0c-1a2b-4c3d-8e9f-0a1b2c3d4e5f Does Not Exist",
                DependencyOrder,
            ),
            (
                "Unexpected exception from plug-in (Execute): Microsoft.Dynamics.Integrator.DualWritePlugin: System.Exception",
                PluginThrow,
            ),
            ("ISV code aborted the operation.", PluginThrow),
            (
                "A validation error occurred. The length of the 'name' attribute of the 'account' entity exceeded the maximum allowed length of '160'.",
                InvalidValueConversion,
            ),
            (
                "String was not recognized as a valid DateTime.",
                InvalidValueConversion,
            ),
            ("The operation has timed out", ThrottlingTimeout),
            (
                "AADSTS700016: Application with identifier 'x' was not found in the directory.",
                AuthenticationPermission,
            ),
            (
                "Could not find a property named 'msdyn_creditlimit' on type 'Microsoft.Dynamics.CRM.account'.",
                MissingFieldMapping,
            ),
            ("Something entirely new happened.", Other),
            ("", Other),
            (
                "Order 503 for customer 401 failed validation: the value 'X' is not valid for Status.",
                InvalidValueConversion,
            ),
        ] {
            let got = classify(message, "");
            assert_eq!(got.category, expected, "{message} (rule: {})", got.rule);
        }
    }

    #[test]
    fn the_detail_decides_when_the_message_says_nothing_useful() {
        let c = classify(
            "Unable to write data to entity accounts",
            r#"{"error":{"code":"0x80040265","message":"Credit check failed"}}"#,
        );
        assert_eq!(c.category, PluginThrow);
        assert!(c.rule.contains("0x80040265"));
    }

    #[test]
    fn phrases_in_the_detail_do_not_decide_but_codes_do() {
        let trace = r#"{"typename":"Microsoft.Dynamics.Integrator.DualWriteRuntime.Plugins.PreCommmitPlugin"}"#;
        assert_eq!(
            classify("Solution 'X' has version mismatch.", trace).category,
            Other
        );
        assert_eq!(
            classify("Unable to write data", r#"{"code":"0x80072322"}"#).category,
            ThrottlingTimeout
        );
    }

    #[test]
    fn hostile_or_huge_input_never_fails() {
        let big = "x'".repeat(50_000);
        let _ = classify(&big, &big);
        assert!(normalise(&big, "").len() <= 500);
        assert_eq!(
            normalise("ünïcödé 'ok' 0X8004F507", ""),
            "ünïcödé '<v>' 0x8004f507"
        );
    }

    #[test]
    fn repeats_of_one_error_normalise_to_the_same_text() {
        let a = normalise(
            "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: 000056.",
            "",
        );
        let b = normalise(
            "Couldn't resolve the guid for the field: primarycontactid.msdyn_contactpersonid. The lookup was not found: 000123.",
            "",
        );
        assert_eq!(a, b);
        assert!(a.ends_with("not found: <n>."), "{a}");
        let c = normalise(
            "Record 'US-001' failed at https://contoso.crm.dynamics.com/api/data/v9.2/accounts(5b6b3a0c-1a2b-4c3d-8e9f-0a1b2c3d4e5f) with 0x80040265",
            "",
        );
        assert_eq!(c, "Record '<v>' failed at <url> with 0x80040265");
        assert_eq!(
            normalise(
                "Can't convert the literal '000000' to the expected type'Edm.Decimal'; the party's type 'DirPerson'",
                ""
            ),
            "Can't convert the literal '<v>' to the expected type'Edm.Decimal'; the party's type '<v>'"
        );
        assert_eq!(
            normalise("exceeded limit of 1,200,000 ms, then 5", ""),
            "exceeded limit of <n> ms, then <n>"
        );
        assert_eq!(
            normalise("Customer ACME-CORP blocked", "ACME-CORP"),
            "Customer <key> blocked"
        );
    }
}
