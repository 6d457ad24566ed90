//! Alert thresholds: how a rule's condition turns a series of evaluated
//! values into states and notifications. This is the pure core — no
//! storage, no scheduling, no delivery — so the scheduler's evaluation and
//! the editor's preview (a rule replayed over stored history) run the same
//! code.
//!
//! The states follow Grafana's (Normal, Pending, Firing, Recovering,
//! `NoData`, Error) with two additions its users asked for: a separate
//! recovery threshold (fire above 1000, resolve only below 900), and
//! keep-firing-for, so a value that dips once does not resolve and re-fire.

pub mod api;
pub mod baseline;
pub mod channels;
pub mod chart;
#[cfg(feature = "ssr")]
pub mod evaluate;
#[cfg(feature = "ssr")]
pub mod outbox;
pub mod rule;
pub mod series;
#[cfg(feature = "ssr")]
pub mod server;
pub mod silence;
pub mod state;
pub mod view;

use serde::{Deserialize, Serialize};

/// The console's public address (the `public-url` setting, else the
/// listen address), for absolute links in notifications; provided as
/// context by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(pub String);

/// Days an instance's changes of state are kept.
pub const HISTORY_DAYS: i64 = 400;

/// How a value is compared with the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// Breaches above the threshold (errors per hour, drift, minutes silent).
    Above,
    /// Breaches below the threshold (records synced).
    Below,
}

str_enum!(Comparator {
    Above => "above", "Above";
    Below => "below", "Below";
});

/// What a rule does when there is no value, or the value could not be
/// read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// Go to the `NoData` (or Error) state, which notifies.
    Alert,
    /// Count it as a healthy value.
    Normal,
    /// Keep the state as it is.
    Keep,
}

str_enum!(Missing {
    Alert => "alert", "Alert";
    Normal => "normal", "Count as healthy";
    Keep => "keep", "Keep the last state";
});

/// The condition of a rule: everything evaluation needs, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// Above or below.
    pub comparator: Comparator,
    /// Breaching beyond this value.
    pub threshold: f64,
    /// Resolving only beyond this one (on the healthy side of the
    /// threshold); `None` resolves at the threshold.
    pub recovery: Option<f64>,
    /// How long a breach lasts before the rule fires (0: at once).
    pub pending_secs: i64,
    /// How long a firing rule keeps firing after it recovered (0: resolve
    /// at once).
    pub keep_firing_secs: i64,
    /// Seconds between evaluations.
    pub interval_secs: i64,
    /// The window each evaluation reads, in seconds.
    pub window_secs: i64,
    /// When there is no value.
    pub no_data: Missing,
    /// When the value could not be read.
    pub error: Missing,
}

impl Condition {
    /// Whether `v` breaches the threshold.
    pub fn breaches(&self, v: f64) -> bool {
        match self.comparator {
            Comparator::Above => v > self.threshold,
            Comparator::Below => v < self.threshold,
        }
    }

    /// Whether `v` is healthy enough to resolve a firing rule.
    pub fn recovers(&self, v: f64) -> bool {
        let at = self.recovery.unwrap_or(self.threshold);
        match self.comparator {
            Comparator::Above => v <= at,
            Comparator::Below => v >= at,
        }
    }

    /// Checks the condition; `Err` names the field and says what is wrong.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !self.threshold.is_finite() {
            return Err(("threshold", "Give the threshold as a number.".into()));
        }
        if let Some(r) = self.recovery {
            let wrong_side = match self.comparator {
                Comparator::Above => r > self.threshold,
                Comparator::Below => r < self.threshold,
            };
            if !r.is_finite() || wrong_side {
                let side = match self.comparator {
                    Comparator::Above => "at or below",
                    Comparator::Below => "at or above",
                };
                return Err((
                    "recovery",
                    format!(
                        "The recovery threshold must be {side} the threshold ({}), so a firing alert can resolve.",
                        self.threshold
                    ),
                ));
            }
        }
        if self.interval_secs < 60 {
            return Err((
                "interval",
                "Evaluate at most once a minute (an interval of at least 60 seconds).".into(),
            ));
        }
        if self.window_secs < self.interval_secs {
            return Err((
                "window",
                format!(
                    "The window ({} s) is shorter than the evaluation interval ({} s): values between two evaluations would never be seen.",
                    self.window_secs, self.interval_secs
                ),
            ));
        }
        if self.pending_secs < 0 || self.keep_firing_secs < 0 {
            return Err((
                "pending",
                "Pending and keep-firing periods cannot be negative.".into(),
            ));
        }
        Ok(())
    }
}

/// How bad an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth a look today.
    Warning,
    /// Worth a look now.
    Critical,
}

str_enum!(Severity {
    Info => "info", "Info";
    Warning => "warning", "Warning";
    Critical => "critical", "Critical";
});

/// One alert notification, as every channel (Teams, webhook, email)
/// renders it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Firing or resolved (or no data, error).
    pub notice: state::Notice,
    /// The rule's name.
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// The environment.
    pub environment: String,
    /// The map, for a rule split per map.
    pub map: Option<String>,
    /// The value that triggered the notice, with its unit (e.g. "entries
    /// per hour").
    pub value: Option<f64>,
    /// What the value is.
    pub unit: String,
    /// The rule's condition.
    pub condition: Condition,
    /// When the instance entered its state (RFC 3339, UTC).
    pub since: String,
    /// What to do, in the rule's own words (plain text; Markdown marks
    /// stripped).
    pub runbook: String,
    /// The alert in the console, absolute (from the public URL setting):
    /// Teams and mail clients open it from outside.
    pub url: String,
}

impl Message {
    /// One line: "Firing: More than 10 errors per hour · UAT · Customers V3".
    pub fn title(&self) -> String {
        let what = match self.notice {
            state::Notice::Firing => "Firing",
            state::Notice::Resolved => "Resolved",
            state::Notice::NoData => "No data",
            state::Notice::Error => "Cannot evaluate",
        };
        let mut t = format!("{what}: {} · {}", self.rule, self.environment);
        if let Some(m) = &self.map {
            t.push_str(" · ");
            t.push_str(m);
        }
        t
    }

    /// The value against the threshold, in words.
    pub fn value_line(&self) -> String {
        let c = &self.condition;
        let side = match c.comparator {
            Comparator::Above => "above",
            Comparator::Below => "below",
        };
        let mut line = match self.value {
            Some(v) => format!(
                "{} {} (fires {side} {})",
                fmt_number(v),
                self.unit,
                fmt_number(c.threshold)
            ),
            None => {
                let at = format!("{} {}", fmt_number(c.threshold), self.unit);
                format!("no value (fires {side} {})", at.trim_end())
            }
        };
        if let Some(r) = c.recovery {
            line.push_str(&format!(", resolves at {}", fmt_number(r)));
        }
        line
    }
}

/// A value as people read it: whole numbers without decimals, others with
/// up to two.
pub fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A stored alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// Its id.
    pub id: i64,
    /// The environment's id.
    pub environment_id: i64,
    /// The environment's name.
    pub environment: String,
    /// What it is.
    pub content: rule::RuleContent,
    /// Its current revision.
    pub revision: i64,
    /// Deleted (kept for history and restore).
    pub deleted: bool,
    /// When it last changed (stored time).
    pub updated_at: String,
    /// When it was last evaluated (Unix seconds).
    pub evaluated_at: Option<i64>,
}

/// One series' alert instance, as pages list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRow {
    /// The rule.
    pub rule_id: i64,
    /// The series: '' for the environment, else a map's or collector's
    /// name.
    pub series: String,
    /// The map, for a series per map.
    pub map_id: Option<i64>,
    /// Where it stands.
    pub instance: state::Instance,
    /// When it was last evaluated (Unix seconds).
    pub evaluated_at: i64,
    /// Who acknowledged it, with when (Unix seconds) and their comment;
    /// cleared when it resolves.
    pub acknowledged: Option<(String, i64, String)>,
    /// When it last notified (Unix seconds), for the repeat interval.
    pub notified_at: Option<i64>,
}

/// One change of state in an instance's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The rule.
    pub rule_id: i64,
    /// The series.
    pub series: String,
    /// When (Unix seconds).
    pub at: i64,
    /// The state entered.
    pub state: state::State,
    /// The value then.
    pub value: Option<f64>,
    /// What it notified, if anything.
    pub notice: Option<state::Notice>,
    /// The silence that kept the notice from being sent.
    pub silence_id: Option<i64>,
    /// More, in words (an error's reason, an acknowledgement).
    pub detail: String,
}

/// What a rule would have done over stored history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// Days replayed.
    pub days: i64,
    /// Evaluation steps per series.
    pub steps: usize,
    /// Notifications it would have sent (firing, resolved, no data,
    /// error), all series together, before grouping.
    pub notifications: usize,
    /// Each series, the one that fired longest first.
    pub series: Vec<PreviewSeries>,
    /// The first series drawn, with the thresholds and shaded periods.
    pub chart: Option<crate::chart::Chart>,
}

/// One series in a preview.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreviewSeries {
    /// The map's or collector's name, or "The environment".
    pub name: String,
    /// Times it would have fired.
    pub fired: usize,
    /// Seconds spent firing (or recovering).
    pub firing_secs: i64,
    /// Notifications it would have sent.
    pub notices: usize,
    /// Its highest value.
    pub max: Option<f64>,
    /// When it fired and resolved (Unix seconds; `None`: still firing).
    pub periods: Vec<(i64, Option<i64>)>,
}

/// The alerts page of one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertsPage {
    /// The environment shown (`None`: there are none yet).
    pub environment: Option<String>,
    /// Whether the caller may edit rules (editors and admins).
    pub can_edit: bool,
    /// Instances that are not Normal, the most urgent first.
    pub active: Vec<ActiveAlert>,
    /// The live rules, by name.
    pub rules: Vec<RuleLine>,
    /// Deleted rules, to restore from their history.
    pub deleted: Vec<(i64, String)>,
    /// The notification channels, (id, name).
    pub channels: Vec<(i64, String)>,
    /// The environment's daily sweep, if set.
    pub sweep: Option<channels::SweepSetting>,
}

/// An instance that is not Normal, as the alerts page and the overview
/// list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveAlert {
    /// The rule.
    pub rule_id: i64,
    /// Its name.
    pub rule: String,
    /// Its severity.
    pub severity: Severity,
    /// The value's unit.
    pub unit: String,
    /// The environment's name.
    pub environment: String,
    /// The instance.
    pub row: InstanceRow,
}

/// The instances of `rules` that are not Normal, the most urgent first.
pub fn active_of(rules: &[AlertRule], instances: &[InstanceRow]) -> Vec<ActiveAlert> {
    let mut out: Vec<ActiveAlert> = instances
        .iter()
        .filter(|i| i.instance.state != state::State::Normal)
        .filter_map(|i| {
            let r = rules.iter().find(|r| r.id == i.rule_id)?;
            Some(ActiveAlert {
                rule_id: r.id,
                rule: r.content.name.clone(),
                severity: r.content.severity,
                unit: r.content.watch.unit().into(),
                environment: r.environment.clone(),
                row: i.clone(),
            })
        })
        .collect();
    sort_active(&mut out);
    out
}

/// Orders alerts by urgency: firing first, then errors and missing data,
/// recovering, pending; the most severe and the oldest first within each.
pub fn sort_active(active: &mut [ActiveAlert]) {
    use state::State;
    let rank = |s: State| match s {
        State::Firing => 0,
        State::Error => 1,
        State::NoData => 2,
        State::Recovering => 3,
        State::Pending => 4,
        State::Normal => 5,
    };
    active.sort_by_key(|a| {
        (
            rank(a.row.instance.state),
            std::cmp::Reverse(a.severity as u8),
            a.row.instance.since,
        )
    });
}

/// A rule as the alerts page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleLine {
    /// The rule.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What it watches and where, in words.
    pub watches: String,
    /// When it fires, in words.
    pub fires: String,
    /// Its severity.
    pub severity: Severity,
    /// Evaluated (not paused).
    pub enabled: bool,
    /// Instances by state: (state, how many).
    pub states: Vec<(state::State, usize)>,
    /// When it was last evaluated (Unix seconds).
    pub evaluated_at: Option<i64>,
}

/// One rule's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulePage {
    /// The rule.
    pub rule: AlertRule,
    /// Its facts: (label, value).
    pub facts: Vec<(String, String)>,
    /// The runbook note, rendered and sanitized.
    pub runbook_html: String,
    /// Its instances.
    pub instances: Vec<InstanceRow>,
    /// The series drawn.
    pub series: String,
    /// Its last 7 days: the values, the lines and the stored pending and
    /// firing periods.
    pub chart: Option<crate::chart::Chart>,
    /// Recent changes of state, newest first.
    pub history: Vec<HistoryRow>,
    /// Whether the caller may edit it.
    pub can_edit: bool,
}

/// The rule editor's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Editor {
    /// The environment.
    pub environment: String,
    /// Its live maps, (id, name).
    pub maps: Vec<(i64, String)>,
    /// The notification channels, (id, name).
    pub channels: Vec<(i64, String)>,
    /// The rule edited: (id, revision, name); `None` for a new one.
    pub rule: Option<(i64, i64, String)>,
    /// The form's values: the draft being previewed, else the rule's.
    pub form: rule::RuleForm,
    /// The preview asked for, or why it could not run: (field, message).
    pub preview: Option<Result<Preview, (String, String)>>,
}

/// The changes between two revisions of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDiff {
    /// The rule.
    pub rule: AlertRule,
    /// The older revision.
    pub from: i64,
    /// The newer.
    pub to: i64,
    /// What changed.
    pub changes: Vec<crate::maps::diff::FieldChange>,
}

/// The channels page (admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelsPage {
    /// Where email goes out, in words; `None`: no SMTP relay, so no
    /// email channels.
    pub email_relay: Option<String>,
    /// Every channel.
    pub channels: Vec<channels::Channel>,
    /// The latest delivery attempts, newest first.
    pub deliveries: Vec<channels::Delivery>,
    /// A webhook secret to show once (a plain form post just created it).
    pub new_secret: Option<String>,
}

/// A silence as the silences page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilenceLine {
    /// The silence.
    pub silence: silence::Silence,
    /// What it matches and when, in words.
    pub describe: String,
    /// Whether it holds right now.
    pub active_now: bool,
}

/// The silences page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilencesPage {
    /// The environment the form offers maps and rules of.
    pub environment: Option<String>,
    /// Silences that have not ended.
    pub live: Vec<SilenceLine>,
    /// The latest ended ones.
    pub ended: Vec<SilenceLine>,
    /// The environment's map names.
    pub maps: Vec<String>,
    /// The environment's rule names.
    pub rules: Vec<String>,
    /// Whether the caller may add and end silences.
    pub can_edit: bool,
    /// Now (Unix seconds).
    pub now: i64,
}
