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

/// Weekday names from Monday, for weekly windows.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

impl Silence {
    /// What it matches and when, in words: "map = Customers V3 · every
    /// Sunday 22:00 UTC for 4 h".
    pub fn describe(&self) -> String {
        let what = self
            .matchers
            .iter()
            .map(|m| {
                format!(
                    "{} {} {}",
                    m.label,
                    if m.negate { "≠" } else { "=" },
                    m.value
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let at = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        };
        let when = match self.active {
            Active::Once { start, end } => format!("{} → {}", at(start), at(end)),
            Active::Weekly {
                start_minute,
                minutes,
            } => format!(
                "every {} {:02}:{:02} UTC for {} h {:02} min",
                WEEKDAYS[(start_minute / 1440).rem_euclid(7) as usize],
                start_minute % 1440 / 60,
                start_minute % 60,
                minutes / 60,
                minutes % 60
            ),
        };
        format!("{what} · {when}")
    }

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

/// The silence form as posted: a value per label (empty: any), and when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceForm {
    /// Environment name (required).
    pub environment: String,
    /// Rule name, or empty.
    #[serde(default)]
    pub rule: String,
    /// Map name, or empty.
    #[serde(default)]
    pub map: String,
    /// Severity, or empty.
    #[serde(default)]
    pub severity: String,
    /// Category (stored name), or empty.
    #[serde(default)]
    pub category: String,
    /// `once` or `weekly`.
    pub kind: String,
    /// Once: the start, `YYYY-MM-DDTHH:MM` UTC.
    #[serde(default)]
    pub starts: String,
    /// Once: the end, `YYYY-MM-DDTHH:MM` UTC.
    #[serde(default)]
    pub ends: String,
    /// Weekly: the day, 0 for Monday.
    #[serde(default)]
    pub day: String,
    /// Weekly: the start time, `HH:MM` UTC.
    #[serde(default)]
    pub time: String,
    /// Weekly: how many hours.
    #[serde(default)]
    pub hours: String,
    /// Why.
    pub comment: String,
}

/// The longest one-off silence, in days.
pub const MAX_DAYS: i64 = 90;

impl SilenceForm {
    /// Checks the form into a silence by `creator` at `now`; `Err` names
    /// the field and says what is wrong.
    pub fn validate(&self, creator: &str, now: i64) -> Result<Silence, (&'static str, String)> {
        if self.environment.trim().is_empty() {
            return Err((
                "environment",
                "Pick the environment the silence is for.".into(),
            ));
        }
        if self.comment.trim().is_empty() {
            return Err((
                "comment",
                "Say why (a patch, a planned outage), so others know.".into(),
            ));
        }
        let mut matchers = vec![];
        for (label, value) in [
            ("environment", &self.environment),
            ("rule", &self.rule),
            ("map", &self.map),
            ("severity", &self.severity),
            ("category", &self.category),
        ] {
            if !value.trim().is_empty() {
                matchers.push(Matcher {
                    label: label.into(),
                    value: value.trim().into(),
                    negate: false,
                });
            }
        }
        let time = |field: &'static str, v: &str| {
            chrono::NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M")
                .map(|d| d.and_utc().timestamp())
                .map_err(|_| (field, format!("Give {field} as a date and time like 2026-12-05T18:00 (UTC); '{}' is not.", v.trim())))
        };
        let active = match self.kind.trim() {
            "once" => {
                let start = if self.starts.trim().is_empty() {
                    now
                } else {
                    time("starts", &self.starts)?
                };
                let end = time("ends", &self.ends)?;
                if end <= start.max(now) {
                    return Err((
                        "ends",
                        "The end must be after the start, and in the future.".into(),
                    ));
                }
                if end - start > MAX_DAYS * 86_400 {
                    return Err((
                        "ends",
                        format!(
                            "A silence lasts at most {MAX_DAYS} days; use a weekly window for a standing slot."
                        ),
                    ));
                }
                Active::Once { start, end }
            }
            "weekly" => {
                let day = self
                    .day
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|d| (0..7).contains(d))
                    .ok_or(("day", "Pick a day of the week.".to_string()))?;
                let at =
                    chrono::NaiveTime::parse_from_str(self.time.trim(), "%H:%M").map_err(|_| {
                        (
                            "time",
                            format!(
                                "Give the start time like 22:00 (UTC); '{}' is not.",
                                self.time.trim()
                            ),
                        )
                    })?;
                let hours = self
                    .hours
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|h| *h > 0.0 && *h <= 72.0)
                    .ok_or((
                        "hours",
                        "Give how long it lasts, from more than 0 to 72 hours.".to_string(),
                    ))?;
                use chrono::Timelike as _;
                Active::Weekly {
                    start_minute: day * 1440 + i64::from(at.hour()) * 60 + i64::from(at.minute()),
                    minutes: (hours * 60.0).round() as i64,
                }
            }
            other => {
                return Err((
                    "kind",
                    format!("'{other}' is not one of the choices for kind."),
                ));
            }
        };
        let silence = Silence {
            id: 0,
            matchers,
            active,
            created_by: creator.into(),
            comment: self.comment.trim().into(),
            expired_at: None,
        };
        silence.check()?;
        Ok(silence)
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
