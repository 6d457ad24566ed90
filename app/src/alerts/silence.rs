//! Silences and maintenance windows: which alert instances notify nobody,
//! and why. A silence matches an instance by its labels (environment, map,
//! category, severity, rule; every matcher must hold) while it is active:
//! once between a start and an end, or every week in a window (a Sunday
//! night patch slot). A silenced instance keeps its states and history;
//! only its notices are held, and the history names the silence.

use serde::{Deserialize, Serialize};

/// What an alert instance is, for matching.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    /// Environment name.
    pub environment: String,
    /// Map name, for rules split per map.
    pub map: Option<String>,
    /// Error category, for rules on error entries of one category.
    pub category: Option<String>,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The rule's name.
    pub rule: String,
}

/// One condition on a label: equal, or not equal, to a value (compared
/// without regard to case, as people type names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matcher {
    /// `environment`, `map`, `category`, `severity` or `rule`.
    pub label: String,
    /// The value compared with.
    pub value: String,
    /// True for "is not".
    #[serde(default)]
    pub negate: bool,
}

/// When a silence holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Active {
    /// From `start` until `end` (Unix seconds; `end` excluded).
    Once {
        /// Start.
        start: i64,
        /// End.
        end: i64,
    },
    /// Every week, from `start_minute` for `minutes` (minutes after Monday
    /// 00:00 UTC, so 6 × 1440 + 22 × 60 is Sunday 22:00).
    Weekly {
        /// Minutes after Monday 00:00 UTC.
        start_minute: i64,
        /// How long.
        minutes: i64,
    },
}

/// A silence as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Silence {
    /// Its id.
    pub id: i64,
    /// Every matcher must hold.
    pub matchers: Vec<Matcher>,
    /// When it holds.
    pub active: Active,
    /// Who created it.
    pub created_by: String,
    /// Why.
    pub comment: String,
    /// Set when someone ended it early (Unix seconds).
    pub expired_at: Option<i64>,
}

/// The labels a matcher may name.
pub const LABELS: [&str; 5] = ["environment", "map", "category", "severity", "rule"];

const WEEK_MINUTES: i64 = 7 * 24 * 60;

impl Matcher {
    fn holds(&self, l: &Labels) -> bool {
        let value = match self.label.as_str() {
            "environment" => Some(l.environment.as_str()),
            "map" => l.map.as_deref(),
            "category" => l.category.as_deref(),
            "severity" => Some(l.severity.as_str()),
            "rule" => Some(l.rule.as_str()),
            _ => None,
        };
        let equal = value.is_some_and(|v| v.trim().eq_ignore_ascii_case(self.value.trim()));
        equal != self.negate
    }
}

impl Silence {
    /// Whether it holds at `at` (Unix seconds).
    pub fn is_active(&self, at: i64) -> bool {
        if self.expired_at.is_some_and(|e| e <= at) {
            return false;
        }
        match self.active {
            Active::Once { start, end } => start <= at && at < end,
            Active::Weekly {
                start_minute,
                minutes,
            } => {
                // The Unix epoch was a Thursday: the first Monday 00:00 was
                // 4 days on.
                let minute = (at.div_euclid(60) - 4 * 24 * 60).rem_euclid(WEEK_MINUTES);
                let from = start_minute.rem_euclid(WEEK_MINUTES);
                (minute - from).rem_euclid(WEEK_MINUTES) < minutes
            }
        }
    }

    /// Whether it silences an instance with `labels` at `at`.
    pub fn silences(&self, labels: &Labels, at: i64) -> bool {
        self.is_active(at) && self.matchers.iter().all(|m| m.holds(labels))
    }

    /// Checks a new silence; `Err` names the field and says what is wrong.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.matchers.is_empty() {
            return Err((
                "matchers",
                "Give at least one matcher, so the silence cannot hold every alert by accident."
                    .into(),
            ));
        }
        if let Some(m) = self
            .matchers
            .iter()
            .find(|m| !LABELS.contains(&m.label.as_str()))
        {
            return Err((
                "matchers",
                format!(
                    "'{}' is not a label; match on {}.",
                    m.label,
                    LABELS.join(", ")
                ),
            ));
        }
        if self.comment.trim().is_empty() {
            return Err(("comment", "Say why the alerts are silenced.".into()));
        }
        match self.active {
            Active::Once { start, end } if end <= start => {
                Err(("end", "The end must come after the start.".into()))
            }
            Active::Weekly { minutes, .. } if !(1..WEEK_MINUTES).contains(&minutes) => Err((
                "minutes",
                "A weekly window lasts from a minute to less than a week.".into(),
            )),
            _ => Ok(()),
        }
    }
}

/// The first silence that holds an instance with `labels` at `at`.
pub fn silenced_by<'a>(silences: &'a [Silence], labels: &Labels, at: i64) -> Option<&'a Silence> {
    silences.iter().find(|s| s.silences(labels, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-30 (a Monday) 00:00 UTC.
    const MONDAY: i64 = 1_795_996_800;

    fn labels() -> Labels {
        Labels {
            environment: "Production".into(),
            map: Some("Customers V3".into()),
            category: None,
            severity: "warning".into(),
            rule: "More than 10 errors per hour".into(),
        }
    }

    fn silence(matchers: &[(&str, &str, bool)], active: Active) -> Silence {
        Silence {
            id: 1,
            matchers: matchers
                .iter()
                .map(|(l, v, n)| Matcher {
                    label: (*l).into(),
                    value: (*v).into(),
                    negate: *n,
                })
                .collect(),
            active,
            created_by: "ana@example.com".into(),
            comment: "Patching F&O".into(),
            expired_at: None,
        }
    }

    #[test]
    fn every_matcher_must_hold_while_the_silence_is_active() {
        let once = Active::Once {
            start: MONDAY,
            end: MONDAY + 3600,
        };
        let s = silence(
            &[
                ("environment", "production", false),
                ("map", "Customers V3", false),
            ],
            once.clone(),
        );
        assert!(s.silences(&labels(), MONDAY + 60), "case does not matter");
        assert!(!s.silences(&labels(), MONDAY + 3600), "the end is excluded");
        assert!(!s.silences(&labels(), MONDAY - 1));
        let other_map = Labels {
            map: Some("Vendors V2".into()),
            ..labels()
        };
        assert!(!s.silences(&other_map, MONDAY + 60));
        let not_critical = silence(&[("severity", "critical", true)], once);
        assert!(not_critical.silences(&labels(), MONDAY + 60));
        // Ended early.
        let ended = Silence {
            expired_at: Some(MONDAY + 600),
            ..s
        };
        assert!(ended.silences(&labels(), MONDAY + 599));
        assert!(!ended.silences(&labels(), MONDAY + 600));
        assert_eq!(
            silenced_by(std::slice::from_ref(&ended), &labels(), MONDAY + 1).map(|s| s.id),
            Some(1)
        );
    }

    #[test]
    fn a_weekly_window_recurs_and_may_cross_midnight_into_monday() {
        // Sunday 22:00 for four hours.
        let s = silence(
            &[("environment", "Production", false)],
            Active::Weekly {
                start_minute: 6 * 1440 + 22 * 60,
                minutes: 240,
            },
        );
        let sunday_22 = MONDAY + 6 * 86_400 + 22 * 3600;
        for week in 0..3 {
            let at = sunday_22 + week * 7 * 86_400;
            assert!(s.silences(&labels(), at), "week {week}");
            assert!(
                s.silences(&labels(), at + 3 * 3600 + 59 * 60),
                "Monday 01:59"
            );
            assert!(!s.silences(&labels(), at + 4 * 3600), "Monday 02:00");
            assert!(!s.silences(&labels(), at - 60), "Sunday 21:59");
        }
    }

    #[test]
    fn bad_silences_are_refused_with_the_reason() {
        let once = Active::Once {
            start: MONDAY,
            end: MONDAY,
        };
        assert_eq!(
            silence(&[], once.clone()).check().unwrap_err().0,
            "matchers"
        );
        let (_, m) = silence(&[("tenant", "x", false)], once.clone())
            .check()
            .unwrap_err();
        assert!(m.contains("'tenant' is not a label"), "{m}");
        assert_eq!(
            silence(&[("rule", "x", false)], once)
                .check()
                .unwrap_err()
                .0,
            "end"
        );
        let no_comment = Silence {
            comment: " ".into(),
            ..silence(
                &[("rule", "x", false)],
                Active::Weekly {
                    start_minute: 0,
                    minutes: 60,
                },
            )
        };
        assert_eq!(no_comment.check().unwrap_err().0, "comment");
    }
}
