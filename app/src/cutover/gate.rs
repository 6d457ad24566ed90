//! Gates that check themselves: what a gate checks against the console's
//! own data (record counts, the error queue, reconciliations, the maps'
//! states in F&O, the alerts, a test record read on both sides), written
//! as one line of text for the CSV file and the pages, and how the facts
//! read from the stores are judged into evidence.
//!
//! Judging is pure: `gates` (server side) reads the facts and keeps the
//! evidence. Every judgement holds its evidence to an age limit — a count
//! must also be taken after the gate started — so a gate never passes on
//! what was true yesterday.

use super::duration;
use crate::alerts::Severity;
use crate::components::fmt_count;
use serde::{Deserialize, Serialize};

/// How far two numbers may be apart: records, or a share of the larger
/// in hundredths of a percent (0.1 % is 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tolerance {
    /// At most this many records.
    Records(i64),
    /// At most this share of the larger side, in basis points.
    BasisPoints(i64),
}

impl Tolerance {
    /// Whether `apart` records out of `of` are within the tolerance.
    pub fn allows(self, apart: i64, of: i64) -> bool {
        match self {
            Tolerance::Records(n) => apart.abs() <= n,
            // apart / of ≤ bp / 10,000, without floating point.
            Tolerance::BasisPoints(bp) => {
                i128::from(apart.abs()) * 10_000 <= i128::from(bp) * i128::from(of.max(0))
            }
        }
    }

    /// "5", "0.1%".
    pub fn text(self) -> String {
        match self {
            Tolerance::Records(n) => n.to_string(),
            Tolerance::BasisPoints(bp) => {
                let s = format!("{}.{:02}", bp / 100, bp % 100);
                format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
            }
        }
    }

    /// Reads "5", "0", "0.1%", "2 %".
    pub fn parse(s: &str) -> Result<Tolerance, String> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let bad = || {
            format!(
                "'{}' is not a tolerance: write a number of records (5) or a percentage (0.1%).",
                s.trim()
            )
        };
        if let Some(p) = t.strip_suffix('%') {
            let (whole, frac) = p.split_once('.').unwrap_or((p, ""));
            if frac.len() > 2 || whole.is_empty() && frac.is_empty() {
                return Err(bad());
            }
            let whole: i64 = if whole.is_empty() {
                0
            } else {
                whole.parse().map_err(|_| bad())?
            };
            let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
            let bp = whole * 100 + frac;
            if !(0..=10_000).contains(&bp) {
                return Err(bad());
            }
            Ok(Tolerance::BasisPoints(bp))
        } else {
            let n: i64 = t.parse().map_err(|_| bad())?;
            if n < 0 {
                return Err(bad());
            }
            Ok(Tolerance::Records(n))
        }
    }
}

/// What a gate checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Check {
    /// F&O and Dataverse hold as many records on each map (within the
    /// tolerance), from a count taken after the gate started.
    Counts {
        /// Map names; empty: every synced map.
        maps: Vec<String>,
        /// How far apart the sides may be.
        tolerance: Tolerance,
    },
    /// The error queue holds at most `max_open` open groups (on each
    /// chosen map, or over the environment) and no group is newer than
    /// `quiet_minutes`.
    Queue {
        /// Map names; empty: the environment as a whole.
        maps: Vec<String>,
        /// Open groups allowed.
        max_open: i64,
        /// Minutes without a new group.
        quiet_minutes: i64,
    },
    /// The last reconciliation of each map finished, found at most
    /// `max_drift` differences and is younger than the age limit.
    Reconciliation {
        /// Map names; empty: every synced map.
        maps: Vec<String>,
        /// Differences allowed (records, or a share of those compared).
        max_drift: Tolerance,
    },
    /// F&O reports every map as Running.
    Running {
        /// Map names; empty: every synced map.
        maps: Vec<String>,
    },
    /// No alert of this severity or worse is firing.
    Alerts {
        /// The least severity that holds the gate.
        severity: Severity,
    },
    /// One record, by its key, is on both sides and the same through the
    /// map's field mappings.
    TestRecord {
        /// The map's name.
        map: String,
        /// The record's key (`US-000123`, or `USMF/US-000123` for a
        /// company-specific map); may be given when the run reaches it.
        key: String,
    },
}

/// A gate's check and how old its evidence may be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateCheck {
    /// What is checked.
    #[serde(flatten)]
    pub check: Check,
    /// Evidence older than this many minutes does not count.
    pub fresh_minutes: i64,
}

/// The kinds of check, as the form and the text name them: (stored name,
/// label for people).
pub const KINDS: &[(&str, &str)] = &[
    ("counts", "Record counts match"),
    ("queue", "Error queue under a limit"),
    ("reconciliation", "Last reconciliation clean"),
    ("running", "Maps report Running in F&O"),
    ("alerts", "No firing alert"),
    ("test_record", "Test record seen on both sides"),
];

/// Longest evidence age a gate may allow: a week.
const MAX_FRESH: i64 = 7 * 1440;

impl Check {
    /// Its stored name.
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Counts { .. } => "counts",
            Check::Queue { .. } => "queue",
            Check::Reconciliation { .. } => "reconciliation",
            Check::Running { .. } => "running",
            Check::Alerts { .. } => "alerts",
            Check::TestRecord { .. } => "test_record",
        }
    }

    /// The maps it names (empty: all of them).
    pub fn maps(&self) -> Vec<&str> {
        match self {
            Check::Counts { maps, .. }
            | Check::Queue { maps, .. }
            | Check::Reconciliation { maps, .. }
            | Check::Running { maps } => maps.iter().map(String::as_str).collect(),
            Check::TestRecord { map, .. } => vec![map.as_str()],
            Check::Alerts { .. } => vec![],
        }
    }

    /// How old evidence may be by default, in minutes.
    pub fn default_fresh(kind: &str) -> i64 {
        match kind {
            "reconciliation" => 1440,
            "counts" => 30,
            "test_record" => 5,
            _ => 15,
        }
    }
}

fn maps_text(maps: &[String]) -> String {
    if maps.is_empty() {
        "all maps".into()
    } else {
        maps.join(", ")
    }
}

fn read_maps(s: &str) -> Vec<String> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case("all maps") || s.eq_ignore_ascii_case("all") {
        return vec![];
    }
    let mut out: Vec<String> = vec![];
    for m in s.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(m)) {
            out.push(m.to_string());
        }
    }
    out
}

impl GateCheck {
    /// The check as one line: `counts: Customers V3, Payment terms;
    /// tolerance 0.1%; fresh 30m`.
    pub fn text(&self) -> String {
        let fresh = format!("fresh {}", duration::compact(self.fresh_minutes));
        match &self.check {
            Check::Counts { maps, tolerance } => format!(
                "counts: {}; tolerance {}; {fresh}",
                maps_text(maps),
                tolerance.text()
            ),
            Check::Queue {
                maps,
                max_open,
                quiet_minutes,
            } => format!(
                "queue: {}; open {max_open}; quiet {}; {fresh}",
                maps_text(maps),
                duration::compact(*quiet_minutes)
            ),
            Check::Reconciliation { maps, max_drift } => format!(
                "reconciliation: {}; drift {}; {fresh}",
                maps_text(maps),
                max_drift.text()
            ),
            Check::Running { maps } => format!("running: {}; {fresh}", maps_text(maps)),
            Check::Alerts { severity } => format!("alerts: {}; {fresh}", severity.as_str()),
            Check::TestRecord { map, key } => {
                if key.is_empty() {
                    format!("test record: {map}; {fresh}")
                } else {
                    format!("test record: {map}; key {key}; {fresh}")
                }
            }
        }
    }

    /// What it checks, in a sentence for people.
    pub fn words(&self) -> String {
        let maps = |m: &[String]| {
            if m.is_empty() {
                "every synced map".to_string()
            } else {
                m.join(", ")
            }
        };
        let fresh = duration::words(self.fresh_minutes);
        match &self.check {
            Check::Counts { maps: m, tolerance } => format!(
                "Record counts on both sides of {} are at most {} apart, counted after the gate started and within {fresh}.",
                maps(m),
                match tolerance {
                    Tolerance::Records(1) => "1 record".to_string(),
                    Tolerance::Records(n) => format!("{} records", fmt_count(*n)),
                    t => t.text(),
                }
            ),
            Check::Queue {
                maps: m,
                max_open,
                quiet_minutes,
            } => format!(
                "At most {max_open} open error group{} {}, and no new group in the last {}.",
                if *max_open == 1 { "" } else { "s" },
                if m.is_empty() {
                    "in the environment".to_string()
                } else {
                    format!("on each of {}", m.join(", "))
                },
                duration::words(*quiet_minutes)
            ),
            Check::Reconciliation { maps: m, max_drift } => format!(
                "The last reconciliation of {} finished with at most {} differences and is younger than {fresh}.",
                maps(m),
                max_drift.text()
            ),
            Check::Running { maps: m } => {
                format!("F&O reports {} as Running, read within {fresh}.", maps(m))
            }
            Check::Alerts { severity } => format!(
                "No {}alert is firing (rules evaluated within {fresh}).",
                match severity {
                    Severity::Info => "",
                    Severity::Warning => "warning or critical ",
                    Severity::Critical => "critical ",
                }
            ),
            Check::TestRecord { map, key } => {
                if key.is_empty() {
                    format!(
                        "A test record of {map} is on both sides and the same through its field mappings (its key is given when the run reaches the gate)."
                    )
                } else {
                    format!(
                        "The record {key} of {map} is on both sides and the same through its field mappings."
                    )
                }
            }
        }
    }

    /// Reads the one-line form (see [`GateCheck::text`]). Map names may
    /// not hold `,` or `;`.
    pub fn parse(text: &str) -> Result<GateCheck, String> {
        let text = text.trim();
        let mut parts = text.split(';').map(str::trim);
        let head = parts.next().unwrap_or_default();
        let (kind, subject) = head.split_once(':').unwrap_or((head, ""));
        let kind: String = kind
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        let kind = match kind.as_str() {
            "counts" | "count" | "recordcounts" => "counts",
            "queue" | "errorqueue" | "errors" => "queue",
            "reconciliation" | "reconcile" => "reconciliation",
            "running" | "mapsrunning" | "state" | "mapstate" => "running",
            "alerts" | "alert" => "alerts",
            "testrecord" | "record" => "test_record",
            _ => {
                return Err(format!(
                    "'{}' is not a gate check: start with counts, queue, reconciliation, running, alerts or test record, then ':' — e.g. \"counts: all maps; tolerance 0\".",
                    head.trim()
                ));
            }
        };
        let mut opts: Vec<(String, String)> = vec![];
        for p in parts.filter(|p| !p.is_empty()) {
            let (k, v) = p.split_once(char::is_whitespace).unwrap_or((p, ""));
            opts.push((k.to_ascii_lowercase(), v.trim().to_string()));
        }
        let mut fresh = Check::default_fresh(kind);
        let mut tolerance = Tolerance::Records(0);
        let (mut open, mut quiet, mut key) = (0_i64, 30_i64, String::new());
        for (k, v) in &opts {
            let number = |what: &str| {
                v.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| format!("'{what} {v}' needs a whole number of 0 or more."))
            };
            match (k.as_str(), kind) {
                ("fresh", _) => fresh = duration::parse(v)?,
                ("tolerance", "counts") | ("drift", "reconciliation") => {
                    tolerance = Tolerance::parse(v)?
                }
                ("open", "queue") => open = number("open")?,
                ("quiet", "queue") => quiet = duration::parse(v)?,
                ("key", "test_record") => key = v.clone(),
                _ => {
                    return Err(format!(
                        "'{k}' is not a setting of a {} check; it takes {}.",
                        kind.replace('_', " "),
                        match kind {
                            "counts" => "tolerance and fresh",
                            "queue" => "open, quiet and fresh",
                            "reconciliation" => "drift and fresh",
                            "test_record" => "key and fresh",
                            _ => "fresh",
                        }
                    ));
                }
            }
        }
        let check = match kind {
            "counts" => Check::Counts {
                maps: read_maps(subject),
                tolerance,
            },
            "queue" => Check::Queue {
                maps: read_maps(subject),
                max_open: open,
                quiet_minutes: quiet,
            },
            "reconciliation" => Check::Reconciliation {
                maps: read_maps(subject),
                max_drift: tolerance,
            },
            "running" => Check::Running {
                maps: read_maps(subject),
            },
            "alerts" => Check::Alerts {
                severity: Severity::parse(&subject.trim().to_ascii_lowercase()).ok_or_else(
                    || {
                        format!(
                            "'{}' is not a severity: write info, warning or critical.",
                            subject.trim()
                        )
                    },
                )?,
            },
            _ => Check::TestRecord {
                map: subject.trim().to_string(),
                key,
            },
        };
        let mut g = GateCheck {
            check,
            fresh_minutes: fresh,
        };
        g.tidy()?;
        Ok(g)
    }

    /// Checks the settings on their own. Map names are checked when the
    /// gate is: a plan may be written before its maps are imported, and an
    /// unknown name then fails the check by name.
    pub fn tidy(&mut self) -> Result<(), String> {
        if !(1..=MAX_FRESH).contains(&self.fresh_minutes) {
            return Err("A gate's evidence age limit must be between 1 minute and 7 days.".into());
        }
        match &mut self.check {
            Check::Counts { maps, .. }
            | Check::Queue { maps, .. }
            | Check::Reconciliation { maps, .. }
            | Check::Running { maps } => {
                for m in maps.iter_mut() {
                    *m = m.trim().to_string();
                }
                maps.retain(|m| !m.is_empty());
                if maps.len() > 200 {
                    return Err("A gate names at most 200 maps.".into());
                }
                if let Some(m) = maps.iter().find(|m| m.contains([',', ';'])) {
                    return Err(format!(
                        "The map '{m}' has ',' or ';' in its name, which a gate check cannot name; rename the map."
                    ));
                }
            }
            Check::TestRecord { map, key } => {
                *map = map.trim().to_string();
                *key = key.trim().to_string();
                if map.is_empty() {
                    return Err("Name the map the test record belongs to.".into());
                }
                if key.len() > 200 || key.contains([';', '\'']) {
                    return Err(
                        "A test record's key is at most 200 characters, without ';' or quotes."
                            .into(),
                    );
                }
            }
            Check::Alerts { .. } => {}
        }
        if let Check::Queue { quiet_minutes, .. } = self.check
            && !(0..=MAX_FRESH).contains(&quiet_minutes)
        {
            return Err("The quiet time of a queue gate must be at most 7 days.".into());
        }
        Ok(())
    }
}

/// A gate check as the task form shows and posts it, one field per
/// setting (a field that the chosen kind does not take is ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckFields {
    /// A kind of [`KINDS`], or empty for a gate a person decides.
    pub kind: String,
    /// Map names separated by commas; empty: every synced map.
    pub maps: String,
    /// Counts: how far apart; reconciliation: the drift allowed.
    pub tolerance: String,
    /// Queue: open groups allowed.
    pub open: String,
    /// Queue: time without a new group.
    pub quiet: String,
    /// Alerts: the least severity that holds the gate.
    pub severity: String,
    /// Test record: the map.
    pub map: String,
    /// Test record: the key (may wait for the run).
    pub key: String,
    /// The evidence's age limit.
    pub fresh: String,
}

impl CheckFields {
    /// The fields of a stored check (kind empty for none).
    pub fn of(g: Option<&GateCheck>) -> CheckFields {
        let Some(g) = g else {
            return CheckFields::default();
        };
        let mut f = CheckFields {
            kind: g.check.kind().into(),
            fresh: duration::compact(g.fresh_minutes),
            ..CheckFields::default()
        };
        match &g.check {
            Check::Counts { maps, tolerance } => {
                f.maps = maps.join(", ");
                f.tolerance = tolerance.text();
            }
            Check::Queue {
                maps,
                max_open,
                quiet_minutes,
            } => {
                f.maps = maps.join(", ");
                f.open = max_open.to_string();
                f.quiet = duration::compact(*quiet_minutes);
            }
            Check::Reconciliation { maps, max_drift } => {
                f.maps = maps.join(", ");
                f.tolerance = max_drift.text();
            }
            Check::Running { maps } => f.maps = maps.join(", "),
            Check::Alerts { severity } => f.severity = severity.as_str().into(),
            Check::TestRecord { map, key } => {
                f.map = map.clone();
                f.key = key.clone();
            }
        }
        f
    }

    /// The check the fields describe (none when no kind is chosen);
    /// errors name the setting.
    pub fn read(&self) -> Result<Option<GateCheck>, String> {
        let kind = self.kind.trim();
        if kind.is_empty() {
            return Ok(None);
        }
        let opt = |name: &str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                String::new()
            } else {
                format!("; {name} {v}")
            }
        };
        let fresh = opt("fresh", &self.fresh);
        let text = match kind {
            "counts" => format!(
                "counts: {}{}{fresh}",
                self.maps,
                opt("tolerance", &self.tolerance)
            ),
            "queue" => format!(
                "queue: {}{}{}{fresh}",
                self.maps,
                opt("open", &self.open),
                opt("quiet", &self.quiet)
            ),
            "reconciliation" => format!(
                "reconciliation: {}{}{fresh}",
                self.maps,
                opt("drift", &self.tolerance)
            ),
            "running" => format!("running: {}{fresh}", self.maps),
            "alerts" => format!(
                "alerts: {}{fresh}",
                if self.severity.trim().is_empty() {
                    "critical"
                } else {
                    self.severity.trim()
                }
            ),
            "test_record" => format!("test record: {}{}{fresh}", self.map, opt("key", &self.key)),
            other => return Err(format!("'{other}' is not a kind of gate check.")),
        };
        GateCheck::parse(&text).map(Some)
    }
}

/// One thing a gate found, about one map, side or rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// What it is about ("Customers V3", "the queue").
    pub subject: String,
    /// Whether it holds.
    pub ok: bool,
    /// What was found, with how old it is.
    pub detail: String,
}

/// A gate's judgement at a moment: the evidence kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Whether every finding holds on fresh evidence.
    pub pass: bool,
    /// The judgement in a sentence.
    pub summary: String,
    /// What it rests on.
    pub findings: Vec<Finding>,
}

impl Evidence {
    /// A judgement from its findings: it passes when there are some and
    /// all hold.
    pub fn of(findings: Vec<Finding>, what: &str) -> Evidence {
        let bad: Vec<&Finding> = findings.iter().filter(|f| !f.ok).collect();
        let pass = !findings.is_empty() && bad.is_empty();
        let summary = if findings.is_empty() {
            format!("Nothing to check: {what}.")
        } else if pass {
            format!("{what}: all {} hold.", findings.len())
        } else {
            format!(
                "{what}: {} of {} fail — {}",
                bad.len(),
                findings.len(),
                bad.iter()
                    .take(3)
                    .map(|f| format!("{}: {}", f.subject, f.detail))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        Evidence {
            pass,
            summary,
            findings,
        }
    }

    /// A check that could not be made at all, with the reason.
    pub fn unavailable(reason: impl Into<String>) -> Evidence {
        let reason = reason.into();
        Evidence {
            pass: false,
            summary: format!("Could not check: {reason}"),
            findings: vec![Finding {
                subject: "check".into(),
                ok: false,
                detail: reason,
            }],
        }
    }
}

fn ago(now: i64, at: i64) -> String {
    if now - at < 60 {
        "just now".into()
    } else {
        format!("{} ago", duration::span_words(now - at))
    }
}

/// Why evidence taken at `at` is too old, if it is: older than `fresh`
/// minutes, or (`after`) taken before the gate started.
fn stale(at: i64, now: i64, fresh: i64, after: Option<i64>) -> Option<String> {
    if let Some(started) = after
        && at < started
    {
        return Some(format!("taken {}, before the gate started", ago(now, at)));
    }
    (now - at > fresh * 60).then(|| {
        format!(
            "taken {}, older than the gate's limit of {}",
            ago(now, at),
            duration::words(fresh)
        )
    })
}

/// One map's latest count, as the counts store has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountFact {
    /// The map.
    pub map: String,
    /// When it was counted (Unix seconds); none: never.
    pub at: Option<i64>,
    /// F&O records.
    pub fo: Option<i64>,
    /// Dataverse records.
    pub dataverse: Option<i64>,
    /// Why a side was not counted.
    pub problem: String,
}

/// Judges the counts: each map counted on both sides after `started` and
/// within the limit, the sides within the tolerance.
pub fn judge_counts(
    facts: &[CountFact],
    tolerance: Tolerance,
    fresh: i64,
    started: i64,
    now: i64,
) -> Evidence {
    let findings = facts
        .iter()
        .map(|f| {
            let (ok, detail) = match (f.at, f.fo, f.dataverse) {
                (None, ..) => (false, "never counted".to_string()),
                (Some(at), fo, dv) => match (stale(at, now, fresh, Some(started)), fo, dv) {
                    (Some(why), ..) => (false, format!("the latest count was {why}")),
                    (None, Some(fo), Some(dv)) => {
                        let apart = fo - dv;
                        let ok = tolerance.allows(apart, fo.max(dv));
                        (
                            ok,
                            format!(
                                "F&O {}, Dataverse {} ({}; tolerance {}), counted {}",
                                fmt_count(fo),
                                fmt_count(dv),
                                if apart == 0 {
                                    "equal".to_string()
                                } else {
                                    format!("{} apart", fmt_count(apart.abs()))
                                },
                                tolerance.text(),
                                ago(now, at)
                            ),
                        )
                    }
                    (None, ..) => (
                        false,
                        format!(
                            "a side could not be counted: {}",
                            if f.problem.is_empty() {
                                "no reason given"
                            } else {
                                &f.problem
                            }
                        ),
                    ),
                },
            };
            Finding {
                subject: f.map.clone(),
                ok,
                detail,
            }
        })
        .collect();
    Evidence::of(findings, "Record counts")
}

/// The error queue as a queue gate reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFact {
    /// Open groups per chosen map (name, count), or one line ("the
    /// environment", count) when no map is chosen.
    pub open: Vec<(String, i64)>,
    /// Groups first seen in the quiet window: (map name or "", first
    /// seen, Unix seconds, pattern), newest first.
    pub new: Vec<(String, i64, String)>,
    /// When the queue was last read from F&O (the error collector's last
    /// success); none when entries only arrive through the API.
    pub read_at: Option<i64>,
}

/// Judges the queue: open groups within the limit, no new group in the
/// quiet window, read within the age limit.
pub fn judge_queue(
    fact: &QueueFact,
    max_open: i64,
    quiet_minutes: i64,
    fresh: i64,
    now: i64,
) -> Evidence {
    let mut findings: Vec<Finding> = fact
        .open
        .iter()
        .map(|(subject, n)| Finding {
            subject: subject.clone(),
            ok: *n <= max_open,
            detail: format!(
                "{} open group{} (at most {max_open})",
                fmt_count(*n),
                if *n == 1 { "" } else { "s" }
            ),
        })
        .collect();
    findings.push(Finding {
        subject: "new groups".into(),
        ok: fact.new.is_empty(),
        detail: match fact.new.first() {
            None => format!("none in the last {}", duration::words(quiet_minutes)),
            Some((map, at, pattern)) => format!(
                "{} in the last {}, the newest {} on {}: {}",
                fact.new.len(),
                duration::words(quiet_minutes),
                ago(now, *at),
                if map.is_empty() { "no map" } else { map },
                pattern.chars().take(120).collect::<String>()
            ),
        },
    });
    findings.push(match fact.read_at {
        Some(at) => match stale(at, now, fresh, None) {
            Some(why) => Finding {
                subject: "error collector".into(),
                ok: false,
                detail: format!("the queue was last read from the services {why}"),
            },
            None => Finding {
                subject: "error collector".into(),
                ok: true,
                detail: format!("read {}", ago(now, at)),
            },
        },
        None => Finding {
            subject: "error collector".into(),
            ok: true,
            detail:
                "no collector reads this environment: the queue is what was sent to the console"
                    .into(),
        },
    });
    Evidence::of(findings, "Error queue")
}

/// A map's last finished reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconFact {
    /// The map.
    pub map: String,
    /// Run id, status (done or failed), finished at, records compared,
    /// differences; none: never reconciled.
    pub last: Option<(i64, String, i64, i64, i64)>,
}

/// Judges reconciliations: each map's last run done, within the drift
/// limit and the age limit.
pub fn judge_reconciliation(
    facts: &[ReconFact],
    max_drift: Tolerance,
    fresh: i64,
    now: i64,
) -> Evidence {
    let findings = facts
        .iter()
        .map(|f| {
            let (ok, detail) = match &f.last {
                None => (false, "never reconciled".to_string()),
                Some((id, status, at, records, diffs)) => {
                    if let Some(why) = stale(*at, now, fresh, None) {
                        (false, format!("the last run, #{id}, was {why}"))
                    } else if status != "done" {
                        (
                            false,
                            format!("the last run, #{id}, {status} {}", ago(now, *at)),
                        )
                    } else {
                        (
                            max_drift.allows(*diffs, *records),
                            format!(
                                "run #{id}: {} difference{} in {} records (at most {}), {}",
                                fmt_count(*diffs),
                                if *diffs == 1 { "" } else { "s" },
                                fmt_count(*records),
                                max_drift.text(),
                                ago(now, *at)
                            ),
                        )
                    }
                }
            };
            Finding {
                subject: f.map.clone(),
                ok,
                detail,
            }
        })
        .collect();
    Evidence::of(findings, "Reconciliation")
}

/// Judges map states: each map's latest state Running, read by the
/// map-state collector within the age limit (`read_at`: its last success).
pub fn judge_running(
    states: &[(String, Option<String>)],
    read_at: Option<i64>,
    fresh: i64,
    now: i64,
) -> Evidence {
    let stale_read = match read_at {
        None => {
            Some("F&O's map states were never read (no connection with an F&O URL)".to_string())
        }
        Some(at) => stale(at, now, fresh, None).map(|why| format!("F&O's map states were {why}")),
    };
    let findings = states
        .iter()
        .map(|(map, state)| {
            let shown = match state.as_deref() {
                Some("running") => "Running",
                Some("not_running") => "Not running",
                Some("paused") => "Paused",
                Some("stopped") => "Stopped",
                Some(other) => other,
                None => "no state reported",
            };
            let (ok, detail) = match &stale_read {
                Some(why) => (false, format!("{shown}, but {why}")),
                None => (
                    state.as_deref() == Some("running"),
                    format!("{shown} in F&O, read {}", ago(now, read_at.unwrap_or(now))),
                ),
            };
            Finding {
                subject: map.clone(),
                ok,
                detail,
            }
        })
        .collect();
    Evidence::of(findings, "Map states")
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Warning => 1,
        Severity::Critical => 2,
    }
}

/// Judges alerts: no instance of a rule at `severity` or worse firing;
/// the rules evaluated within the age limit (`evaluated_at`: the latest
/// evaluation of the environment's rules). `firing`: (rule, severity,
/// series, since).
pub fn judge_alerts(
    firing: &[(String, Severity, String, i64)],
    severity: Severity,
    evaluated_at: Option<i64>,
    fresh: i64,
    now: i64,
) -> Evidence {
    let mut findings: Vec<Finding> = firing
        .iter()
        .filter(|(_, s, _, _)| rank(*s) >= rank(severity))
        .map(|(rule, s, series, since)| Finding {
            subject: rule.clone(),
            ok: false,
            detail: format!(
                "{} firing{} since {}",
                s.label(),
                if series.is_empty() {
                    String::new()
                } else {
                    format!(" on {series}")
                },
                ago(now, *since)
            ),
        })
        .collect();
    findings.push(match evaluated_at {
        None => Finding {
            subject: "alert rules".into(),
            ok: false,
            detail: "the environment has no evaluated alert rule".into(),
        },
        Some(at) => match stale(at, now, fresh, None) {
            Some(why) => Finding {
                subject: "alert rules".into(),
                ok: false,
                detail: format!("last evaluated {why}"),
            },
            None => Finding {
                subject: "alert rules".into(),
                ok: true,
                detail: format!(
                    "no {} alert firing; evaluated {}",
                    severity.label().to_lowercase(),
                    ago(now, at)
                ),
            },
        },
    });
    Evidence::of(findings, "Alerts")
}

/// A test record as read from both sides through the map's field
/// mappings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSides {
    /// The identities found in F&O (`USMF/US-000001`).
    pub in_fo: Vec<String>,
    /// The identities found in Dataverse.
    pub in_dataverse: Vec<String>,
    /// Fields that differ on an identity found on both sides: (identity,
    /// field, F&O value, Dataverse value).
    pub differences: Vec<(String, String, String, String)>,
    /// How many mapped fields were compared.
    pub fields: usize,
}

/// Judges a test record: on both sides, and the same in every mapped
/// field.
pub fn judge_record(map: &str, key: &str, sides: &RecordSides) -> Evidence {
    let mut ids: Vec<&String> = sides.in_fo.iter().chain(&sides.in_dataverse).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Evidence {
            pass: false,
            summary: format!("Test record {key} of {map}: not found on either side yet."),
            findings: vec![
                Finding {
                    subject: "F&O".into(),
                    ok: false,
                    detail: format!("no record with key {key}"),
                },
                Finding {
                    subject: "Dataverse".into(),
                    ok: false,
                    detail: format!("no record with key {key}"),
                },
            ],
        };
    }
    let mut findings = vec![];
    for id in ids {
        let (fo, dv) = (sides.in_fo.contains(id), sides.in_dataverse.contains(id));
        if !fo || !dv {
            findings.push(Finding {
                subject: id.clone(),
                ok: false,
                detail: format!(
                    "in {} only; not (yet) in {}",
                    if fo { "F&O" } else { "Dataverse" },
                    if fo { "Dataverse" } else { "F&O" }
                ),
            });
            continue;
        }
        let diffs: Vec<String> = sides
            .differences
            .iter()
            .filter(|d| &d.0 == id)
            .map(|(_, field, fo, dv)| format!("{field}: F&O \"{fo}\", Dataverse \"{dv}\""))
            .collect();
        findings.push(Finding {
            subject: id.clone(),
            ok: diffs.is_empty(),
            detail: if diffs.is_empty() {
                format!(
                    "on both sides, the same in all {} mapped fields",
                    sides.fields
                )
            } else {
                format!("differs in {}", diffs.join("; "))
            },
        });
    }
    Evidence::of(findings, &format!("Test record {key} of {map}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    #[test]
    fn the_one_line_form_reads_back_what_it_writes() {
        for text in [
            "counts: Customers V3, Payment terms; tolerance 0.1%; fresh 30m",
            "counts: all maps; tolerance 5; fresh 1h",
            "queue: all maps; open 0; quiet 30m; fresh 15m",
            "queue: Customers V3; open 2; quiet 1h; fresh 15m",
            "reconciliation: Customers V3; drift 0; fresh 24h",
            "running: all maps; fresh 15m",
            "alerts: critical; fresh 15m",
            "test record: Customers V3; key US-000042; fresh 5m",
            "test record: Customers V3; fresh 5m",
        ] {
            let g = GateCheck::parse(text).unwrap();
            assert_eq!(g.text(), text);
        }
        // Loose input, defaults filled in.
        let g = GateCheck::parse(" Record counts :  Customers V3 ,customers v3 ").unwrap();
        assert_eq!(
            g.check,
            Check::Counts {
                maps: vec!["Customers V3".into()],
                tolerance: Tolerance::Records(0)
            }
        );
        assert_eq!(g.fresh_minutes, 30);
        for (bad, says) in [
            ("sums: all", "is not a gate check"),
            ("counts: all; open 3", "not a setting of a counts check"),
            ("counts: all; tolerance lots", "is not a tolerance"),
            ("alerts: loud", "is not a severity"),
            ("queue: all; open -1", "whole number"),
            ("test record: ; key X", "Name the map"),
            ("running: all; fresh 0", "between 1 minute and 7 days"),
        ] {
            let e = GateCheck::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn the_form_fields_read_back_what_they_show() {
        for text in [
            "counts: Customers V3; tolerance 0.1%; fresh 30m",
            "queue: all maps; open 2; quiet 1h; fresh 15m",
            "alerts: warning; fresh 15m",
            "test record: Customers V3; key US-000042; fresh 5m",
        ] {
            let g = GateCheck::parse(text).unwrap();
            assert_eq!(CheckFields::of(Some(&g)).read().unwrap(), Some(g));
        }
        assert_eq!(CheckFields::default().read().unwrap(), None);
        let f = CheckFields {
            kind: "counts".into(),
            tolerance: "some".into(),
            ..CheckFields::default()
        };
        assert!(f.read().unwrap_err().contains("is not a tolerance"));
    }

    #[test]
    fn tolerances_in_records_and_percent() {
        assert!(Tolerance::Records(5).allows(-5, 100));
        assert!(!Tolerance::Records(5).allows(6, 100));
        let t = Tolerance::parse("0.1%").unwrap();
        assert_eq!(t, Tolerance::BasisPoints(10));
        assert!(t.allows(12, 12_480));
        assert!(!t.allows(13, 12_480));
        assert_eq!(Tolerance::parse("2 %").unwrap().text(), "2%");
        assert_eq!(Tolerance::BasisPoints(5).text(), "0.05%");
        assert!(Tolerance::parse("101%").is_err());
    }

    fn count(map: &str, at: i64, fo: i64, dv: i64) -> CountFact {
        CountFact {
            map: map.into(),
            at: Some(at),
            fo: Some(fo),
            dataverse: Some(dv),
            problem: String::new(),
        }
    }

    #[test]
    fn counts_pass_only_on_a_count_taken_after_the_gate_started() {
        let started = NOW - 600;
        let e = judge_counts(
            &[count("A", NOW - 60, 10, 10), count("B", NOW - 60, 100, 99)],
            Tolerance::Records(1),
            30,
            started,
            NOW,
        );
        assert!(e.pass, "{e:?}");
        assert!(e.findings[1].detail.contains("1 apart"), "{e:?}");
        // Drift beyond the tolerance.
        let e = judge_counts(
            &[count("B", NOW - 60, 100, 95)],
            Tolerance::Records(1),
            30,
            started,
            NOW,
        );
        assert!(
            !e.pass && e.summary.contains("B: F&O 100, Dataverse 95"),
            "{e:?}"
        );
        // Equal, but counted before the gate started.
        let e = judge_counts(
            &[count("A", started - 60, 10, 10)],
            Tolerance::Records(0),
            30,
            started,
            NOW,
        );
        assert!(
            !e.pass && e.summary.contains("before the gate started"),
            "{e:?}"
        );
        // Never counted; a side not countable.
        let mut never = count("C", 0, 0, 0);
        never.at = None;
        let mut half = count("D", NOW, 5, 0);
        half.dataverse = None;
        half.problem = "Dataverse has no table named x".into();
        let e = judge_counts(&[never, half], Tolerance::Records(0), 30, started, NOW);
        assert_eq!(e.findings[0].detail, "never counted");
        assert!(e.findings[1].detail.contains("no table named x"));
        assert!(!judge_counts(&[], Tolerance::Records(0), 30, started, NOW).pass);
    }

    #[test]
    fn the_queue_needs_few_open_groups_quiet_and_a_recent_read() {
        let mut fact = QueueFact {
            open: vec![("Customers V3".into(), 1)],
            new: vec![],
            read_at: Some(NOW - 30),
        };
        assert!(judge_queue(&fact, 1, 30, 15, NOW).pass);
        assert!(!judge_queue(&fact, 0, 30, 15, NOW).pass);
        fact.new = vec![("Customers V3".into(), NOW - 300, "Lookup failed".into())];
        let e = judge_queue(&fact, 1, 30, 15, NOW);
        assert!(!e.pass && e.summary.contains("Lookup failed"), "{e:?}");
        fact.new.clear();
        fact.read_at = Some(NOW - 3600);
        let e = judge_queue(&fact, 1, 30, 15, NOW);
        assert!(
            !e.pass && e.summary.contains("older than the gate's limit"),
            "{e:?}"
        );
    }

    #[test]
    fn reconciliation_states_and_alerts_are_judged_on_fresh_evidence() {
        let fact = |last| ReconFact {
            map: "Customers V3".into(),
            last,
        };
        let e = judge_reconciliation(
            &[fact(Some((7, "done".into(), NOW - 60, 1000, 0)))],
            Tolerance::Records(0),
            60,
            NOW,
        );
        assert!(e.pass, "{e:?}");
        let drift = [fact(Some((8, "done".into(), NOW - 60, 1000, 3)))];
        assert!(!judge_reconciliation(&drift, Tolerance::Records(0), 60, NOW).pass);
        assert!(judge_reconciliation(&drift, Tolerance::BasisPoints(30), 60, NOW).pass);
        let old = [fact(Some((9, "done".into(), NOW - 7200, 1000, 0)))];
        assert!(!judge_reconciliation(&old, Tolerance::Records(0), 60, NOW).pass);
        let failed = [fact(Some((9, "failed".into(), NOW - 60, 0, 0)))];
        assert!(!judge_reconciliation(&failed, Tolerance::Records(0), 60, NOW).pass);

        let states = vec![
            ("A".to_string(), Some("running".to_string())),
            ("B".to_string(), Some("paused".to_string())),
        ];
        let e = judge_running(&states, Some(NOW - 60), 15, NOW);
        assert!(!e.pass && e.summary.contains("B: Paused in F&O"), "{e:?}");
        assert!(judge_running(&states[..1], Some(NOW - 60), 15, NOW).pass);
        assert!(!judge_running(&states[..1], Some(NOW - 3600), 15, NOW).pass);
        assert!(!judge_running(&states[..1], None, 15, NOW).pass);

        let firing = [(
            "Errors per hour".to_string(),
            Severity::Warning,
            "Customers V3".to_string(),
            NOW - 600,
        )];
        assert!(judge_alerts(&firing, Severity::Critical, Some(NOW - 30), 15, NOW).pass);
        let e = judge_alerts(&firing, Severity::Warning, Some(NOW - 30), 15, NOW);
        assert!(
            !e.pass && e.summary.contains("Warning firing on Customers V3"),
            "{e:?}"
        );
        assert!(!judge_alerts(&[], Severity::Warning, None, 15, NOW).pass);
    }

    #[test]
    fn a_test_record_must_be_on_both_sides_and_the_same() {
        let sides = |fo: &[&str], dv: &[&str], diffs: &[(&str, &str)]| RecordSides {
            in_fo: fo.iter().map(|s| s.to_string()).collect(),
            in_dataverse: dv.iter().map(|s| s.to_string()).collect(),
            differences: diffs
                .iter()
                .map(|(id, f)| (id.to_string(), f.to_string(), "a".into(), "b".into()))
                .collect(),
            fields: 5,
        };
        let e = judge_record("C", "US-1", &sides(&[], &[], &[]));
        assert!(!e.pass && e.summary.contains("not found on either side"));
        let e = judge_record("C", "US-1", &sides(&["USMF/US-1"], &[], &[]));
        assert!(!e.pass && e.summary.contains("in F&O only"), "{e:?}");
        let e = judge_record(
            "C",
            "US-1",
            &sides(&["USMF/US-1"], &["USMF/US-1"], &[("USMF/US-1", "Name")]),
        );
        assert!(!e.pass && e.summary.contains("Name: F&O \"a\""), "{e:?}");
        let e = judge_record("C", "US-1", &sides(&["USMF/US-1"], &["USMF/US-1"], &[]));
        assert!(e.pass && e.findings[0].detail.contains("all 5 mapped fields"));
    }
}
