//! An alert rule as people write it: what it watches, which series it
//! splits into, its condition and who hears about it. Checked whole before
//! anything is saved; the starter set is the runbook guide's monitoring.

use super::baseline::Baseline;
use super::{Comparator, Condition, Missing, Severity};
use crate::errors::Category;
use crate::maps::Direction;
use serde::{Deserialize, Serialize};

/// What a rule watches, from data the console already collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Watch {
    /// Error entries in the window.
    Errors,
    /// Error groups first seen in the window.
    NewGroups,
    /// Error groups open at the time.
    OpenGroups,
    /// Failed records as a percentage of those processed in the window.
    FailureRate,
    /// Records synced in the window.
    RecordsSynced,
    /// The latest F&O − Dataverse record-count difference (either sign).
    CountDifference,
    /// The latest reconciliation's differences per 100 records compared.
    DriftRate,
    /// Minutes since a collector's last successful run.
    CollectorSilent,
    /// 1 while F&O reports a map as anything but Running.
    MapNotRunning,
}

str_enum!(Watch {
    Errors => "errors", "Error entries";
    NewGroups => "new_groups", "New error groups";
    OpenGroups => "open_groups", "Open error groups";
    FailureRate => "failure_rate", "Failure rate of a map";
    RecordsSynced => "records_synced", "Records synced";
    CountDifference => "count_difference", "Record-count difference";
    DriftRate => "drift_rate", "Reconciliation drift rate";
    CollectorSilent => "collector_silent", "Minutes since a collector's last success";
    MapNotRunning => "map_not_running", "Map not Running in F&O";
});

/// How a watch's values combine over a window (see `series`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// The sum of what fell in the window.
    Sum,
    /// One sum over another, as a percentage.
    Ratio,
    /// The latest reading in the window.
    Last,
    /// The latest reading, however old (a state holds until it changes).
    Hold,
    /// Minutes since the latest event.
    Since,
    /// The running total of +1 / −1 changes (things opened and closed).
    Level,
}

impl Watch {
    /// What its values are, for labels and messages.
    pub fn unit(self) -> &'static str {
        match self {
            Watch::Errors => "entries",
            Watch::NewGroups => "new groups",
            Watch::OpenGroups => "open groups",
            Watch::FailureRate | Watch::DriftRate => "%",
            Watch::RecordsSynced => "records",
            Watch::CountDifference => "records apart",
            Watch::CollectorSilent => "minutes",
            Watch::MapNotRunning => "(1: not Running)",
        }
    }

    /// How its values combine over the window.
    pub fn aggregate(self) -> Aggregate {
        match self {
            Watch::Errors | Watch::NewGroups | Watch::RecordsSynced => Aggregate::Sum,
            Watch::FailureRate => Aggregate::Ratio,
            Watch::CountDifference | Watch::DriftRate => Aggregate::Last,
            Watch::MapNotRunning => Aggregate::Hold,
            Watch::CollectorSilent => Aggregate::Since,
            Watch::OpenGroups => Aggregate::Level,
        }
    }

    /// Whether its series are maps (and so can be split per map, or
    /// narrowed to one). Collector silence is split per collector.
    pub fn per_map(self) -> bool {
        self != Watch::CollectorSilent
    }

    /// Whether the category and direction filters apply.
    pub fn error_filters(self) -> bool {
        matches!(self, Watch::Errors | Watch::NewGroups | Watch::OpenGroups)
    }

    /// The window means "within the last": a count or rate over it, or the
    /// age a latest reading may have before it counts as no data.
    pub fn window_words(self) -> &'static str {
        match self.aggregate() {
            Aggregate::Sum | Aggregate::Ratio => "counted over the window",
            Aggregate::Last => "the latest reading, if no older than the window",
            Aggregate::Hold | Aggregate::Since | Aggregate::Level => "as it stands (window unused)",
        }
    }
}

/// How the value is compared: with a fixed number or with the usual level.
/// (Tagged `test`: the baseline inside has its own `kind`.)
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "test")]
pub enum Test {
    /// Fires above (or below) `threshold`; resolves beyond `recovery`.
    Fixed {
        /// Above or below.
        comparator: Comparator,
        /// The threshold.
        threshold: f64,
        /// A separate recovery threshold.
        recovery: Option<f64>,
    },
    /// Fires above a threshold taken from the same hour's usual level.
    Baseline(Baseline),
}

/// A rule's whole content: what is saved, revised and restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleContent {
    /// Its name, unique in the environment.
    pub name: String,
    /// Evaluated when true; a paused rule keeps its history.
    pub enabled: bool,
    /// What it watches.
    pub watch: Watch,
    /// Only this map (`None`: every map of the environment).
    pub map_id: Option<i64>,
    /// Error watches: only this direction.
    pub direction: Option<Direction>,
    /// Error watches: only this (effective) category.
    pub category: Option<Category>,
    /// One instance per map (per collector, for collector silence) rather
    /// than one for the environment.
    pub split_per_map: bool,
    /// The comparison.
    pub test: Test,
    /// Breaching this long before it fires.
    pub pending_secs: i64,
    /// Firing this long after it recovered.
    pub keep_firing_secs: i64,
    /// Seconds between evaluations.
    pub interval_secs: i64,
    /// The window each evaluation reads.
    pub window_secs: i64,
    /// When there is no value.
    pub no_data: Missing,
    /// When the value cannot be read.
    pub error: Missing,
    /// How bad it is.
    pub severity: Severity,
    /// What to do, in Markdown (sanitized when shown).
    pub runbook: String,
    /// The channels it notifies, by id.
    #[serde(default)]
    pub channels: Vec<i64>,
}

impl RuleContent {
    /// The condition for evaluation, with the fixed threshold or, for a
    /// baseline rule, `baseline_threshold` (the hour's own).
    pub fn condition(&self, baseline_threshold: Option<f64>) -> Condition {
        let (comparator, threshold, recovery) = match self.test {
            Test::Fixed {
                comparator,
                threshold,
                recovery,
            } => (comparator, threshold, recovery),
            Test::Baseline(_) => (
                Comparator::Above,
                baseline_threshold.unwrap_or(f64::MAX),
                None,
            ),
        };
        Condition {
            comparator,
            threshold,
            recovery,
            pending_secs: self.pending_secs,
            keep_firing_secs: self.keep_firing_secs,
            interval_secs: self.interval_secs,
            window_secs: self.window_secs,
            no_data: self.no_data,
            error: self.error,
        }
    }

    /// The test in words: "above 10", "below 100 (resolves at 200)",
    /// "above 3 × the usual level".
    pub fn test_words(&self) -> String {
        match self.test {
            Test::Fixed {
                comparator,
                threshold,
                recovery,
            } => {
                let mut s = format!(
                    "{} {}",
                    comparator.label().to_lowercase(),
                    super::fmt_number(threshold)
                );
                if let Some(r) = recovery {
                    s.push_str(&format!(" (resolves at {})", super::fmt_number(r)));
                }
                s
            }
            Test::Baseline(Baseline::Times(k)) => {
                format!(
                    "above {} × the usual level of the hour",
                    super::fmt_number(k)
                )
            }
            Test::Baseline(Baseline::Deviations(k)) => format!(
                "above the usual level of the hour + {} deviations",
                super::fmt_number(k)
            ),
        }
    }
}

/// Minutes as people read them: "45 min", "2 h", "1 h 30 min".
pub fn fmt_minutes(secs: i64) -> String {
    let m = secs / 60;
    match (m / 60, m % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

impl RuleContent {
    /// The rule as labelled facts, `(label, value, is_text)`, for its page
    /// and for comparing revisions. `map` is the name of `map_id`.
    pub fn facts(&self, map: Option<&str>) -> Vec<(&'static str, String, bool)> {
        let m = |missing: Missing| missing.label().to_string();
        vec![
            ("Name", self.name.clone(), false),
            (
                "Evaluated",
                if self.enabled {
                    "yes".into()
                } else {
                    "no, paused".into()
                },
                false,
            ),
            ("Watches", self.watch.label().into(), false),
            (
                "Maps",
                match (map, self.split_per_map) {
                    (Some(name), _) => name.to_string(),
                    (None, true) if !self.watch.per_map() => "one alert per collector".into(),
                    (None, true) => "every map, one alert per map".into(),
                    (None, false) => "the environment as a whole".into(),
                },
                false,
            ),
            (
                "Direction",
                self.direction
                    .map(|d| d.label().to_string())
                    .unwrap_or_else(|| "any".into()),
                false,
            ),
            (
                "Category",
                self.category
                    .map(|c| c.label().to_string())
                    .unwrap_or_else(|| "any".into()),
                false,
            ),
            ("Fires", self.test_words(), false),
            (
                "Window",
                format!(
                    "{} ({})",
                    fmt_minutes(self.window_secs),
                    self.watch.window_words()
                ),
                false,
            ),
            ("Evaluated every", fmt_minutes(self.interval_secs), false),
            ("Pending for", fmt_minutes(self.pending_secs), false),
            (
                "Keeps firing for",
                fmt_minutes(self.keep_firing_secs),
                false,
            ),
            ("With no data", m(self.no_data), false),
            ("When it cannot be read", m(self.error), false),
            ("Severity", self.severity.label().into(), false),
            ("Runbook note", self.runbook.clone(), true),
        ]
    }
}

/// The rule form as posted: every field as typed (durations in minutes).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleForm {
    /// Name.
    pub name: String,
    /// "on" when evaluated (a checkbox; absent when paused).
    #[serde(default)]
    pub enabled: Option<String>,
    /// Watch (stored name).
    pub watch: String,
    /// Map id, or empty for every map.
    #[serde(default)]
    pub map: String,
    /// Direction (stored name) or empty.
    #[serde(default)]
    pub direction: String,
    /// Category (stored name) or empty.
    #[serde(default)]
    pub category: String,
    /// "on" when split per map.
    #[serde(default)]
    pub split: Option<String>,
    /// above, below, times or deviations.
    pub comparator: String,
    /// The threshold (or, for the baseline, k).
    pub threshold: String,
    /// The recovery threshold, or empty.
    #[serde(default)]
    pub recovery: String,
    /// Minutes.
    pub pending: String,
    /// Minutes.
    pub keep_firing: String,
    /// Minutes.
    pub interval: String,
    /// Minutes.
    pub window: String,
    /// alert, normal or keep.
    pub no_data: String,
    /// alert, normal or keep.
    pub error: String,
    /// info, warning or critical.
    pub severity: String,
    /// Markdown.
    #[serde(default)]
    pub runbook: String,
    /// Channel ids, comma-separated (from the checkboxes).
    #[serde(default)]
    pub channels: Vec<String>,
}

/// The most a rule's runbook note may hold.
pub const RUNBOOK_MAX: usize = 20_000;
/// The longest window: the preview replays 30 days, and a baseline reads
/// 28 days before that.
pub const WINDOW_MAX_SECS: i64 = 7 * 24 * 3600;

fn minutes(field: &'static str, v: &str) -> Result<i64, (&'static str, String)> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(0);
    }
    match v.parse::<i64>() {
        Ok(m) if (0..=WINDOW_MAX_SECS / 60).contains(&m) => Ok(m * 60),
        _ => Err((
            field,
            format!(
                "Give {field} in whole minutes, from 0 to {} (a week); '{v}' is not.",
                WINDOW_MAX_SECS / 60
            ),
        )),
    }
}

fn number(field: &'static str, v: &str) -> Result<f64, (&'static str, String)> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| {
            (
                field,
                format!("Give {field} as a number; '{}' is not.", v.trim()),
            )
        })
}

fn choice<T>(
    field: &'static str,
    v: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, (&'static str, String)> {
    parse(v.trim()).ok_or_else(|| crate::maps::not_a_choice(field, v))
}

impl RuleForm {
    /// Checks the form into a rule. `maps` are the environment's live maps
    /// (id, name); `channels` the channel ids that exist. `Err` names the
    /// field and says what is wrong.
    pub fn validate(
        &self,
        maps: &[(i64, String)],
        channels: &[i64],
    ) -> Result<RuleContent, (&'static str, String)> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return Err((
                "name",
                "Give the rule a name of 1 to 120 characters.".into(),
            ));
        }
        let watch = choice("watch", &self.watch, Watch::parse)?;
        let map_id = match self.map.trim() {
            "" => None,
            v => {
                let id = v
                    .parse::<i64>()
                    .ok()
                    .filter(|id| maps.iter().any(|(m, _)| m == id));
                match id {
                    Some(id) if watch.per_map() => Some(id),
                    Some(_) => {
                        return Err((
                            "map",
                            format!("{} is not per map; leave the map empty.", watch.label()),
                        ));
                    }
                    None => {
                        return Err((
                            "map",
                            format!(
                                "There is no table map '{v}' in this environment; pick one from the list."
                            ),
                        ));
                    }
                }
            }
        };
        let (direction, category) = if watch.error_filters() {
            let direction = match self.direction.trim() {
                "" => None,
                v => match choice("direction", v, Direction::parse)? {
                    d @ (Direction::FoToDataverse | Direction::DataverseToFo) => Some(d),
                    _ => return Err(crate::maps::not_a_choice("direction", v)),
                },
            };
            let category = match self.category.trim() {
                "" => None,
                v => Some(choice("category", v, Category::parse)?),
            };
            (direction, category)
        } else {
            (None, None)
        };
        // Collector silence splits per collector the same way.
        let split_per_map = self.split.is_some() && map_id.is_none();
        let test = match self.comparator.trim() {
            "times" | "deviations" => {
                if watch.aggregate() != Aggregate::Sum {
                    return Err((
                        "comparator",
                        format!(
                            "A baseline compares counts per hour; {} is not a count. Use above or below.",
                            watch.label()
                        ),
                    ));
                }
                let k = number("threshold", &self.threshold)?;
                if k <= 0.0 {
                    return Err(("threshold", "The baseline factor must be above 0.".into()));
                }
                if !self.recovery.trim().is_empty() {
                    return Err((
                        "recovery",
                        "A baseline rule resolves at its own threshold; leave the recovery threshold empty.".into(),
                    ));
                }
                Test::Baseline(if self.comparator.trim() == "times" {
                    Baseline::Times(k)
                } else {
                    Baseline::Deviations(k)
                })
            }
            other => Test::Fixed {
                comparator: choice("comparator", other, Comparator::parse)?,
                threshold: number("threshold", &self.threshold)?,
                recovery: match self.recovery.trim() {
                    "" => None,
                    v => Some(number("recovery", v)?),
                },
            },
        };
        let window_secs = minutes("window", &self.window)?;
        let interval_secs = minutes("interval", &self.interval)?;
        if matches!(test, Test::Baseline(_)) && window_secs != 3600 {
            return Err((
                "window",
                "A baseline compares one hour with the same hour on other days: use a window of 60 minutes.".into(),
            ));
        }
        let runbook = self.runbook.trim().to_string();
        if runbook.len() > RUNBOOK_MAX {
            return Err((
                "runbook",
                format!(
                    "The runbook note is {} characters; keep it under {RUNBOOK_MAX}.",
                    runbook.len()
                ),
            ));
        }
        let mut chosen = vec![];
        for c in self
            .channels
            .iter()
            .flat_map(|c| c.split(','))
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            match c.parse::<i64>().ok().filter(|id| channels.contains(id)) {
                Some(id) if !chosen.contains(&id) => chosen.push(id),
                Some(_) => {}
                None => {
                    return Err((
                        "channels",
                        format!("There is no notification channel '{c}'."),
                    ));
                }
            }
        }
        let rule = RuleContent {
            name: name.to_string(),
            enabled: self.enabled.is_some(),
            watch,
            map_id,
            direction,
            category,
            split_per_map,
            test,
            pending_secs: minutes("pending", &self.pending)?,
            keep_firing_secs: minutes("keep_firing", &self.keep_firing)?,
            interval_secs,
            window_secs,
            no_data: choice("no_data", &self.no_data, Missing::parse)?,
            error: choice("error", &self.error, Missing::parse)?,
            severity: choice("severity", &self.severity, Severity::parse)?,
            runbook,
            channels: chosen,
        };
        rule.condition(Some(1.0)).check()?;
        Ok(rule)
    }
}

impl From<&RuleContent> for RuleForm {
    fn from(r: &RuleContent) -> Self {
        let (comparator, threshold, recovery) = match r.test {
            Test::Fixed {
                comparator,
                threshold,
                recovery,
            } => (comparator.as_str(), threshold, recovery),
            Test::Baseline(Baseline::Times(k)) => ("times", k, None),
            Test::Baseline(Baseline::Deviations(k)) => ("deviations", k, None),
        };
        let mins = |s: i64| (s / 60).to_string();
        RuleForm {
            name: r.name.clone(),
            enabled: r.enabled.then(|| "on".into()),
            watch: r.watch.as_str().into(),
            map: r.map_id.map(|m| m.to_string()).unwrap_or_default(),
            direction: r
                .direction
                .map(|d| d.as_str().to_string())
                .unwrap_or_default(),
            category: r
                .category
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            split: r.split_per_map.then(|| "on".into()),
            comparator: comparator.into(),
            threshold: super::fmt_number(threshold),
            recovery: recovery.map(super::fmt_number).unwrap_or_default(),
            pending: mins(r.pending_secs),
            keep_firing: mins(r.keep_firing_secs),
            interval: mins(r.interval_secs),
            window: mins(r.window_secs),
            no_data: r.no_data.as_str().into(),
            error: r.error.as_str().into(),
            severity: r.severity.as_str().into(),
            runbook: r.runbook.clone(),
            channels: r.channels.iter().map(|c| c.to_string()).collect(),
        }
    }
}

/// The runbook guide's monitoring as rules: more than 10 errors per hour
/// per map, any reconciliation drift, a count difference lasting over an
/// hour, a collector silent for 15 minutes, a map not Running.
pub fn starter_set() -> Vec<RuleContent> {
    let fixed = |threshold: f64, recovery: Option<f64>| Test::Fixed {
        comparator: Comparator::Above,
        threshold,
        recovery,
    };
    let rule = |name: &str,
                watch: Watch,
                split: bool,
                test: Test,
                pending_min: i64,
                window_min: i64,
                severity: Severity,
                runbook: &str| RuleContent {
        name: name.into(),
        enabled: true,
        watch,
        map_id: None,
        direction: None,
        category: None,
        split_per_map: split,
        test,
        pending_secs: pending_min * 60,
        keep_firing_secs: if watch == Watch::Errors { 15 * 60 } else { 0 },
        interval_secs: 5 * 60,
        window_secs: window_min * 60,
        no_data: Missing::Normal,
        error: Missing::Alert,
        severity,
        runbook: runbook.into(),
        channels: vec![],
    };
    vec![
        rule(
            "More than 10 errors per hour",
            Watch::Errors,
            true,
            fixed(10.0, Some(5.0)),
            0,
            60,
            Severity::Warning,
            "Open the error queue filtered to the map and triage the largest group first. \
             If one category dominates, check the map's field mappings and the last rule-book change.",
        ),
        rule(
            "Reconciliation drift",
            Watch::DriftRate,
            true,
            fixed(0.0, None),
            0,
            26 * 60,
            Severity::Warning,
            "Open the map's reconciliation page, look at the differences the last run kept after its re-check, \
             and explain or fix each before the next run.",
        ),
        rule(
            "Record counts apart for more than an hour",
            Watch::CountDifference,
            true,
            fixed(0.0, None),
            60,
            3 * 60,
            Severity::Warning,
            "Compare the counts per legal entity on the map page; a difference that stays after the queue is empty \
             means records were lost or filtered. Run a full reconciliation.",
        ),
        rule(
            "Collector silent for 15 minutes",
            Watch::CollectorSilent,
            true,
            fixed(15.0, None),
            0,
            15,
            Severity::Critical,
            "Open the collectors page: the last run's error names the endpoint. Check the app registration's secret \
             and the environment's URLs.",
        ),
        rule(
            "Map not Running",
            Watch::MapNotRunning,
            true,
            fixed(0.0, None),
            0,
            5,
            Severity::Critical,
            "Check the map's state in F&O (Data management → Dual-write). A paused map queues changes; \
             a stopped one loses them until an initial sync.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RuleForm {
        RuleForm::from(&starter_set()[0])
    }

    #[test]
    fn the_starter_set_is_valid_and_round_trips_through_the_form() {
        for r in starter_set() {
            let back = RuleForm::from(&r).validate(&[], &[]).unwrap();
            assert_eq!(back, r, "{}", r.name);
        }
    }

    #[test]
    fn every_kind_of_test_is_stored_and_read_back() {
        for test in [
            Test::Fixed {
                comparator: Comparator::Below,
                threshold: 100.0,
                recovery: Some(200.0),
            },
            Test::Baseline(Baseline::Times(3.0)),
            Test::Baseline(Baseline::Deviations(2.5)),
        ] {
            let mut r = starter_set()[0].clone();
            r.test = test;
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(
                serde_json::from_str::<RuleContent>(&json).unwrap(),
                r,
                "{json}"
            );
        }
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let refuse = |f: RuleForm| f.validate(&[(7, "Customers V3".into())], &[3]).unwrap_err();
        let mut f = form();
        f.recovery = "20".into();
        assert_eq!(refuse(f).0, "recovery");
        let mut f = form();
        f.window = "1".into();
        assert!(refuse(f).1.contains("shorter than the evaluation interval"));
        let mut f = form();
        f.map = "99".into();
        assert!(refuse(f).1.contains("no table map '99'"));
        let mut f = form();
        f.channels = vec!["4".into()];
        assert_eq!(refuse(f).0, "channels");
        let mut f = form();
        f.comparator = "times".into();
        f.threshold = "3".into();
        f.recovery.clear();
        f.window = "30".into();
        assert!(refuse(f).1.contains("60 minutes"));
        let mut f = RuleForm::from(&starter_set()[3]);
        f.comparator = "times".into();
        assert!(refuse(f).1.contains("not a count"));
        let mut f = form();
        f.threshold = "ten".into();
        assert_eq!(
            refuse(f),
            (
                "threshold",
                "Give threshold as a number; 'ten' is not.".into()
            )
        );
    }

    #[test]
    fn one_map_narrows_and_turns_splitting_off() {
        let mut f = form();
        f.map = "7".into();
        f.channels = vec!["3,3".into()];
        let r = f.validate(&[(7, "Customers V3".into())], &[3]).unwrap();
        assert_eq!(r.map_id, Some(7));
        assert!(!r.split_per_map);
        assert_eq!(r.channels, vec![3]);
    }
}
