//! Cutover runbooks: the freeze-to-unfreeze weekend as a plan of stages and
//! tasks (owner and backup owner, duration, predecessors, fixed starts,
//! milestones, gates, sign-offs, the point of no return and the rollback
//! path), its schedule and critical path, the runbook guide's weekend as a
//! template, and CSV import and export.
//!
//! A plan is one document (`PlanContent`) kept whole in the plan's row and
//! in each revision, like an alert rule: the revision history is the wiki
//! history, and a run (a rehearsal or the live weekend) copies the document
//! at its start. Times are Unix seconds in UTC; pages show them in the
//! environment's time zone, formatted on the server.

pub mod api;
#[cfg(feature = "ssr")]
pub mod csv;
pub mod duration;
#[cfg(feature = "ssr")]
pub mod gantt;
pub mod gate;
#[cfg(feature = "ssr")]
pub mod gates;
#[cfg(feature = "ssr")]
pub mod report;
pub mod report_api;
pub mod report_view;
pub mod run;
#[cfg(feature = "ssr")]
pub mod runs;
pub mod schedule;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod template;
pub mod view;

use serde::{Deserialize, Serialize};

/// Tasks a plan may hold: enough for a weekend several times over, few
/// enough that a page and a schedule stay instant.
pub const MAX_TASKS: usize = 2000;

/// Longest freeze window a plan may have (14 days), in seconds.
pub const MAX_WINDOW: i64 = 14 * 86_400;

/// Longest task (7 days), in minutes.
pub const MAX_MINUTES: i64 = 7 * 1440;

/// What a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Work that someone does.
    Task,
    /// A moment that takes no time, e.g. "Unfreeze".
    Milestone,
    /// A go/no-go criterion checked against the console's data.
    Gate,
    /// A named person records go or no-go with a comment.
    Signoff,
    /// The last moment a rollback is possible: after it the weekend only
    /// goes forward. A milestone; at most one per plan.
    NoReturn,
}

str_enum!(TaskKind {
    Task => "task", "Task";
    Milestone => "milestone", "Milestone";
    Gate => "gate", "Gate";
    Signoff => "signoff", "Sign-off";
    NoReturn => "no_return", "Point of no return";
});

impl TaskKind {
    /// Whether the kind takes no time.
    pub fn is_moment(self) -> bool {
        matches!(self, TaskKind::Milestone | TaskKind::NoReturn)
    }

    /// Parses a stored name or a label as people type it in a CSV file
    /// ("Sign-off", "point of no return", "Milestone").
    pub fn parse_loose(s: &str) -> Option<Self> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "task" | "normal" | "" => Some(TaskKind::Task),
            "milestone" => Some(TaskKind::Milestone),
            "gate" | "validation" => Some(TaskKind::Gate),
            "signoff" | "gonogo" => Some(TaskKind::Signoff),
            "noreturn" | "pointofnoreturn" | "ponr" => Some(TaskKind::NoReturn),
            _ => None,
        }
    }
}

/// One task of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// The plan's own ID for it ("F1", "SAT-3"): letters, digits, `.`,
    /// `_` and `-`, unique in the plan; predecessors name it.
    pub id: String,
    /// What is done, in a line.
    pub title: String,
    /// The stage it belongs to ("Friday: freeze"); stages are listed in
    /// the order their first task appears.
    pub stage: String,
    /// How to do it and how to verify it (Markdown).
    #[serde(default)]
    pub instructions: String,
    /// Who does it.
    #[serde(default)]
    pub owner: String,
    /// Who does it when the owner cannot.
    #[serde(default)]
    pub backup_owner: String,
    /// The team or stream ("F&O", "Dataverse", "Business").
    #[serde(default)]
    pub team: String,
    /// Planned duration in minutes (0 for milestones).
    pub minutes: i64,
    /// Not before this time (Unix seconds), e.g. Friday 18:00.
    #[serde(default)]
    pub fixed_start: Option<i64>,
    /// Task, milestone, gate, sign-off or the point of no return.
    pub kind: TaskKind,
    /// IDs of the tasks it starts after (all of them).
    #[serde(default)]
    pub predecessors: Vec<String>,
    /// Part of the rollback path: done only when the weekend is rolled
    /// back, before the point of no return; scheduled apart from the rest.
    #[serde(default)]
    pub rollback: bool,
    /// What a gate checks against the console's data by itself (gates
    /// only; a gate without one is decided by a person).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<gate::GateCheck>,
}

/// How a task is named in messages and marks: `F3 (Initial sync)`.
pub fn task_label(id: &str, title: &str) -> String {
    format!("{id} ({title})")
}

/// A plan: its freeze window, its rollback criteria and its tasks in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanContent {
    /// Unique among the environment's plans.
    pub name: String,
    /// The freeze starts (Unix seconds): tasks without predecessors or a
    /// fixed start begin here.
    pub starts_at: i64,
    /// The freeze must end by then (Monday 08:00): the deadline the
    /// schedule and the forecast are held against.
    pub ends_at: i64,
    /// When to roll back, decided beforehand (Markdown).
    #[serde(default)]
    pub rollback_criteria: String,
    /// Alert rules of the environment (by name) that a run's freeze
    /// silences: a run creates one silence per rule for its freeze window
    /// and ends them if it ends early.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub silence_rules: Vec<String>,
    /// The tasks, in the order the plan lists them.
    pub tasks: Vec<Task>,
}

/// The CSV columns, as the export writes them and the import reads them.
pub const CSV_COLUMNS: &[&str] = &[
    "ID",
    "Title",
    "Predecessor IDs",
    "Stage",
    "Team",
    "Owner",
    "Backup owner",
    "Planned duration",
    "Fixed start",
    "Type",
    "Rollback",
    "Gate check",
    "Instructions",
];

/// The CSV columns as a list for people.
pub fn csv_columns() -> String {
    CSV_COLUMNS.join(", ")
}

/// A problem with a plan: the field (or task) at fault and what to do.
pub type PlanError = (String, String);

/// Whether `id` is a usable task ID.
pub fn valid_task_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 20
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Task {
    /// "F3 (Take the final snapshot)", for messages.
    pub fn named(&self) -> String {
        task_label(&self.id, &self.title)
    }

    /// Trims the text fields and checks this task on its own.
    pub fn tidy(&mut self) -> Result<(), PlanError> {
        for s in [
            &mut self.id,
            &mut self.title,
            &mut self.stage,
            &mut self.owner,
            &mut self.backup_owner,
            &mut self.team,
        ] {
            *s = s.trim().to_string();
        }
        self.instructions = self.instructions.trim_end().to_string();
        let at = |m: String| (format!("task {}", self.id), m);
        if !valid_task_id(&self.id) {
            return Err((
                "id".into(),
                format!(
                    "'{}' is not a task ID: use 1 to 20 letters, digits, '.', '_' or '-', e.g. F1 or SAT-3.",
                    self.id
                ),
            ));
        }
        if self.title.is_empty() || self.title.chars().count() > 200 {
            return Err(at("Give the task a title of 1 to 200 characters.".into()));
        }
        if self.stage.is_empty() || self.stage.chars().count() > 80 {
            return Err(at(format!(
                "Give {} a stage of 1 to 80 characters, e.g. \"Friday: freeze\".",
                self.id
            )));
        }
        for (what, s) in [
            ("owner", &self.owner),
            ("backup owner", &self.backup_owner),
            ("team", &self.team),
        ] {
            if s.chars().count() > 120 {
                return Err(at(format!(
                    "The {what} of {} is over 120 characters.",
                    self.id
                )));
            }
        }
        if self.instructions.len() > 20_000 {
            return Err(at(format!(
                "The instructions of {} are over 20,000 characters; link a document instead.",
                self.id
            )));
        }
        if !(0..=MAX_MINUTES).contains(&self.minutes) {
            return Err(at(format!(
                "The duration of {} must be between 0 and 7 days.",
                self.id
            )));
        }
        if self.kind.is_moment() && self.minutes != 0 {
            return Err(at(format!(
                "{} is a {}, which takes no time: set its duration to 0 or make it a task.",
                self.id,
                self.kind.label().to_lowercase()
            )));
        }
        if self.kind == TaskKind::NoReturn && self.rollback {
            return Err(at(
                "The point of no return cannot be a rollback step: rolling back happens before it."
                    .into(),
            ));
        }
        let mut seen: Vec<&str> = vec![];
        for p in &self.predecessors {
            if p == &self.id {
                return Err(at(format!("{} cannot follow itself.", self.id)));
            }
            if seen.contains(&p.as_str()) {
                return Err(at(format!("{} names {p} twice as a predecessor.", self.id)));
            }
            seen.push(p);
        }
        if let Some(c) = &mut self.check {
            if self.kind != TaskKind::Gate {
                return Err(at(format!(
                    "{} is a {}; only a gate checks itself. Make it a gate or remove its check.",
                    self.id,
                    self.kind.label().to_lowercase()
                )));
            }
            c.tidy()
                .map_err(|m| (format!("task {}", self.id), format!("{}: {m}", self.id)))?;
        }
        Ok(())
    }
}

impl PlanContent {
    /// Trims, then checks the whole plan: each task, unique IDs,
    /// predecessors that exist and stay on their side (forward or
    /// rollback), one point of no return at most, fixed starts near the
    /// window, and no cycle. Errors name the task at fault.
    pub fn check(&mut self) -> Result<(), PlanError> {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > 80 {
            return Err((
                "name".into(),
                "Give the plan a name of 1 to 80 characters, e.g. \"Go-live weekend\".".into(),
            ));
        }
        if self.ends_at <= self.starts_at {
            return Err((
                "ends_at".into(),
                "The freeze must end after it starts.".into(),
            ));
        }
        if self.ends_at - self.starts_at > MAX_WINDOW {
            return Err((
                "ends_at".into(),
                "A freeze window of more than 14 days is not a weekend: split the plan.".into(),
            ));
        }
        if self.rollback_criteria.len() > 20_000 {
            return Err((
                "rollback_criteria".into(),
                "The rollback criteria are over 20,000 characters.".into(),
            ));
        }
        if self.tasks.len() > MAX_TASKS {
            return Err((
                "tasks".into(),
                format!(
                    "A plan holds at most {MAX_TASKS} tasks; this one has {}.",
                    self.tasks.len()
                ),
            ));
        }
        for t in &mut self.tasks {
            t.tidy()?;
        }
        let mut ids = std::collections::HashMap::new();
        for (i, t) in self.tasks.iter().enumerate() {
            if let Some(j) = ids.insert(t.id.as_str(), i) {
                return Err((
                    format!("task {}", t.id),
                    format!(
                        "Two tasks have the ID {}: \"{}\" and \"{}\". IDs must be unique.",
                        t.id, self.tasks[j].title, t.title
                    ),
                ));
            }
        }
        let mut no_return: Option<&Task> = None;
        let (lo, hi) = (self.starts_at - 7 * 86_400, self.ends_at + 7 * 86_400);
        for t in &self.tasks {
            let at = || format!("task {}", t.id);
            if t.kind == TaskKind::NoReturn {
                if let Some(first) = no_return {
                    return Err((
                        at(),
                        format!(
                            "A plan has one point of no return; {} and {} are both marked as it.",
                            first.id, t.id
                        ),
                    ));
                }
                no_return = Some(t);
            }
            if let Some(f) = t.fixed_start
                && !(lo..=hi).contains(&f)
            {
                return Err((
                    at(),
                    format!(
                        "The fixed start of {} is more than a week outside the freeze window.",
                        t.id
                    ),
                ));
            }
            for p in &t.predecessors {
                let Some(&j) = ids.get(p.as_str()) else {
                    return Err((
                        at(),
                        format!(
                            "{} follows {p}, which is not in the plan. Add {p} first, or remove it from the predecessors.",
                            t.named()
                        ),
                    ));
                };
                let pred = &self.tasks[j];
                if pred.rollback != t.rollback {
                    let msg = if t.rollback {
                        format!(
                            "{} is a rollback step and cannot follow {}, which is not: the rollback path starts from the point of no return on its own.",
                            t.named(),
                            pred.named()
                        )
                    } else {
                        format!(
                            "{} cannot follow the rollback step {}: rollback steps are done only when the weekend is rolled back.",
                            t.named(),
                            pred.named()
                        )
                    };
                    return Err((at(), msg));
                }
            }
        }
        schedule::order(&self.tasks).map(|_| ())
    }

    /// The stages in the order their first task appears.
    pub fn stages(&self) -> Vec<&str> {
        let mut out: Vec<&str> = vec![];
        for t in &self.tasks {
            if !out.contains(&t.stage.as_str()) {
                out.push(&t.stage);
            }
        }
        out
    }
}

/// What changed between two versions of a plan, a sentence per change;
/// `show` writes a time as the page shows it.
pub fn changes(old: &PlanContent, new: &PlanContent, show: &dyn Fn(i64) -> String) -> Vec<String> {
    let mut out = vec![];
    if old.name != new.name {
        out.push(format!(
            "Renamed from \"{}\" to \"{}\".",
            old.name, new.name
        ));
    }
    if (old.starts_at, old.ends_at) != (new.starts_at, new.ends_at) {
        out.push(format!(
            "Freeze window {} → {} became {} → {}.",
            show(old.starts_at),
            show(old.ends_at),
            show(new.starts_at),
            show(new.ends_at)
        ));
    }
    if old.rollback_criteria != new.rollback_criteria {
        out.push("Rollback criteria changed.".into());
    }
    if old.silence_rules != new.silence_rules {
        let list = |r: &[String]| {
            if r.is_empty() {
                "none".to_string()
            } else {
                r.join(", ")
            }
        };
        out.push(format!(
            "Alert rules silenced during the freeze: {} → {}.",
            list(&old.silence_rules),
            list(&new.silence_rules)
        ));
    }
    let fixed = |t: &Task| t.fixed_start.map(show).unwrap_or_else(|| "none".into());
    for t in &old.tasks {
        if !new.tasks.iter().any(|n| n.id == t.id) {
            out.push(format!("Removed {}.", t.named()));
        }
    }
    for n in &new.tasks {
        let Some(o) = old.tasks.iter().find(|o| o.id == n.id) else {
            out.push(format!("Added {}.", n.named()));
            continue;
        };
        let mut what = vec![];
        let mut text = |label: &str, a: &str, b: &str| {
            if a != b {
                what.push(format!("{label} \"{a}\" → \"{b}\""));
            }
        };
        text("title", &o.title, &n.title);
        text("stage", &o.stage, &n.stage);
        text("owner", &o.owner, &n.owner);
        text("backup owner", &o.backup_owner, &n.backup_owner);
        text("team", &o.team, &n.team);
        text("kind", o.kind.label(), n.kind.label());
        text(
            "duration",
            &duration::words(o.minutes),
            &duration::words(n.minutes),
        );
        text("fixed start", &fixed(o), &fixed(n));
        text(
            "after",
            &o.predecessors.join(" "),
            &n.predecessors.join(" "),
        );
        let check = |t: &Task| {
            t.check
                .as_ref()
                .map(|c| c.text())
                .unwrap_or_else(|| "none".into())
        };
        text("check", &check(o), &check(n));
        text(
            "rollback step",
            if o.rollback { "yes" } else { "no" },
            if n.rollback { "yes" } else { "no" },
        );
        if o.instructions != n.instructions {
            what.push("instructions changed".into());
        }
        if !what.is_empty() {
            out.push(format!("{}: {}.", n.named(), what.join("; ")));
        }
    }
    out
}

/// A plan as stored, with where it is and its revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Database id.
    pub id: i64,
    /// The environment it belongs to.
    pub environment_id: i64,
    /// Its name.
    pub environment: String,
    /// The document.
    pub content: PlanContent,
    /// Current revision (1 for the creation).
    pub revision: i64,
    /// Deleted plans keep their history and can be restored.
    pub deleted: bool,
    /// Last change (stored form).
    pub updated_at: String,
}

/// A plan in the list of an environment's plans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLine {
    /// Database id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The freeze window, in the environment's time zone.
    pub window: String,
    /// How many tasks (forward and rollback).
    pub tasks: usize,
    /// When the schedule ends, in the environment's time zone.
    pub planned_end: String,
    /// Time left before the freeze ends ("3 h spare") or over it.
    pub margin: String,
    /// Whether the schedule ends after the freeze does.
    pub over: bool,
    /// Current revision.
    pub revision: i64,
}

/// The environment's plans, for `/cutover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansPage {
    /// The environment shown (none before the first exists).
    pub environment: Option<String>,
    /// Its time zone, named on the page.
    pub time_zone: String,
    /// Whether the caller may write.
    pub can_edit: bool,
    /// The live plans, by name.
    pub plans: Vec<PlanLine>,
    /// Deleted plans (id, name), for restoring.
    pub deleted: Vec<(i64, String)>,
    /// The next Friday's date (`YYYY-MM-DD`) in the time zone, for the
    /// template form.
    pub next_friday: String,
}

/// One task as the plan page shows it, with its computed schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    /// The task as stored.
    pub task: Task,
    /// Instructions rendered (sanitised HTML).
    pub instructions_html: String,
    /// Planned duration, e.g. "2 h 30 min".
    pub duration: String,
    /// Planned start and end in the environment's time zone.
    pub start: String,
    /// Planned end.
    pub end: String,
    /// Slack before the task moves the end ("—" on the critical path).
    pub slack: String,
    /// On the critical path.
    pub critical: bool,
    /// Its fixed start, in the time zone, when it has one.
    pub fixed: Option<String>,
    /// How late its predecessors make it against its fixed start.
    pub fixed_missed: Option<String>,
}

/// A stage and its tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageView {
    /// The stage's name.
    pub name: String,
    /// Its tasks in plan order.
    pub rows: Vec<TaskRow>,
}

/// One plan with its schedule, for `/cutover/plans/:id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPage {
    /// The plan.
    pub plan: Plan,
    /// The environment's time zone (IANA name).
    pub time_zone: String,
    /// Whether the caller may write.
    pub can_edit: bool,
    /// "Fri 4 Dec 18:00 → Mon 7 Dec 08:00".
    pub window: String,
    /// The freeze's length ("62 h").
    pub window_length: String,
    /// When the schedule ends.
    pub planned_end: String,
    /// Spare time before the deadline, or how far over it.
    pub margin: String,
    /// Whether the schedule ends after the freeze does.
    pub over: bool,
    /// Rollback criteria rendered.
    pub rollback_criteria_html: String,
    /// The critical path, "F1 → F3 → …".
    pub critical_path: Vec<String>,
    /// Forward tasks by stage.
    pub stages: Vec<StageView>,
    /// The rollback path.
    pub rollback: Vec<TaskRow>,
    /// What rolling back from the point of no return takes and when it
    /// would end.
    pub rollback_words: Option<String>,
    /// Warnings a planner should act on (missed fixed starts, a rollback
    /// that ends after the freeze, no point of no return).
    pub warnings: Vec<String>,
    /// Its runs, newest first.
    pub runs: Vec<RunLine>,
    /// The freeze start a live run takes (`datetime-local`, the plan's).
    pub live_start: String,
    /// The freeze start a rehearsal takes by default (now, to the next
    /// quarter hour).
    pub rehearsal_start: String,
}

/// A run in the plan's list of runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLine {
    /// Database id.
    pub id: i64,
    /// "Rehearsal 2", "Live".
    pub name: String,
    /// Rehearsal or live.
    pub kind: run::RunKind,
    /// When it started, in the environment's time zone.
    pub started: String,
    /// "Running", or how and when it ended.
    pub state: String,
    /// Whether it has ended.
    pub ended: bool,
}

/// One thing done in a run, for its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    /// When, in the environment's time zone.
    pub at: String,
    /// Who.
    pub actor: String,
    /// "F3 (Take the final snapshot) done", "Re-baselined".
    pub what: String,
    /// Why, or the evidence.
    pub comment: String,
}

/// A gate or sign-off of a run, as the status page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateLine {
    /// The task's ID.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Gate or sign-off.
    pub kind: TaskKind,
    /// Where it stands.
    pub status: run::Status,
    /// "Passed", "No-go", "Not started", …
    pub words: String,
    /// The last comment given with it (the evidence, or the decision's
    /// reason), with who and when.
    pub evidence: String,
    /// What it checks by itself, in words (empty: a person decides).
    pub check: String,
    /// The colour it shows: `pass`, `override`, `fail`, `checking` or
    /// `waiting`; an override is never shown as a pass.
    pub light: String,
    /// What its latest check found.
    pub findings: Vec<gate::Finding>,
    /// When it was last checked and since when the finding stands, in the
    /// environment's time zone ("Checked Sat 10:05; the same since 09:40").
    pub checked: String,
    /// Whether it waits for a test record's key.
    pub needs_key: bool,
}

/// A task that can be started now, or is running, with who does it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextLine {
    /// The task's ID.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Owner, and backup owner after a "/".
    pub who: String,
    /// "Running since Sat 10:05", or "Forecast Sat 11:00".
    pub when: String,
    /// Whether it is late against the baseline.
    pub late: bool,
}

/// A run at a glance: what the status page shows and the run page opens
/// with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The stage in hand (none when everything is finished).
    pub stage: Option<String>,
    /// Forward tasks finished.
    pub done: usize,
    /// Forward tasks.
    pub total: usize,
    /// "Behind by 1 h 15 min", "Ahead by 20 min", "On time".
    pub schedule: String,
    /// Whether behind the baseline.
    pub behind: bool,
    /// The forecast end in the environment's time zone.
    pub forecast_end: String,
    /// The freeze's end.
    pub deadline: String,
    /// "2 h 30 min before the freeze ends" or "1 h after the freeze ends".
    pub deadline_words: String,
    /// Whether the forecast end is after the freeze's end.
    pub over: bool,
    /// Every gate and sign-off in plan order.
    pub gates: Vec<GateLine>,
    /// Failed tasks ("D4 (Test records seen on both sides)").
    pub failed: Vec<String>,
    /// Tasks waiting on a failed one.
    pub blocked: Vec<String>,
    /// Running tasks and those that can start now, earliest first.
    pub next: Vec<NextLine>,
    /// The planned-against-forecast chart (server-rendered SVG).
    pub gantt_svg: String,
    /// When the data was read, in the environment's time zone.
    pub as_of: String,
    /// How the run ended, when it has.
    pub ended: Option<String>,
}

/// One task of a run on the run page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunTaskRow {
    /// The task as run.
    pub task: Task,
    /// Where it stands.
    pub status: run::Status,
    /// Baseline start → end.
    pub planned: String,
    /// Actual (or forecast, marked so) start → end.
    pub actual: String,
    /// Whether `actual` is a forecast.
    pub forecast: bool,
    /// "45 min late", "10 min early", or empty when on time.
    pub lateness: String,
    /// Whether late.
    pub late: bool,
    /// On the critical path.
    pub critical: bool,
    /// What the caller may do to it now: (action, its words).
    pub actions: Vec<(run::Action, String)>,
    /// Whether an action needs a comment: (action, needs one).
    pub needs_comment: Vec<(run::Action, bool)>,
    /// Whether the caller may check this gate now (a running gate that
    /// checks itself).
    pub check_now: bool,
    /// Whether the caller may give this test-record gate its key.
    pub ask_key: bool,
}

/// A run for `/cutover/runs/:id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPage {
    /// Database id.
    pub id: i64,
    /// "Rehearsal 2", "Live".
    pub name: String,
    /// Rehearsal or live.
    pub kind: run::RunKind,
    /// The plan run, and its name.
    pub plan_id: i64,
    /// The plan's name.
    pub plan_name: String,
    /// The plan revision copied.
    pub plan_revision: i64,
    /// The environment.
    pub environment: String,
    /// Its time zone.
    pub time_zone: String,
    /// The freeze window of the run.
    pub window: String,
    /// Whether the caller may act (editors and admins, run not ended).
    pub can_act: bool,
    /// Started when and by whom; re-baselined when.
    pub started: String,
    /// The alert rules its freeze silences (empty: none).
    pub silenced: Vec<String>,
    /// At a glance.
    pub summary: RunSummary,
    /// Forward tasks by stage.
    pub stages: Vec<(String, Vec<RunTaskRow>)>,
    /// The rollback path.
    pub rollback: Vec<RunTaskRow>,
    /// The newest 200 things done, newest first.
    pub events: Vec<EventLine>,
}

/// A run that has not ended, as the overview shows it first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CutoverGlance {
    /// The run's id.
    pub id: i64,
    /// "Live · Go-live weekend".
    pub title: String,
    /// Rehearsal or live.
    pub kind: run::RunKind,
    /// The stage in hand.
    pub stage: Option<String>,
    /// Forward tasks finished, of all.
    pub done: (usize, usize),
    /// "Behind by 45 min", "On time".
    pub schedule: String,
    /// Whether behind.
    pub behind: bool,
    /// The forecast end, in the environment's time zone.
    pub forecast_end: String,
    /// Whether the forecast end is after the freeze's end.
    pub over: bool,
}

/// The managers' read-only view of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusPage {
    /// Database id.
    pub id: i64,
    /// "Live · Go-live weekend".
    pub title: String,
    /// The environment and its time zone.
    pub environment: String,
    /// Its time zone.
    pub time_zone: String,
    /// At a glance.
    pub summary: RunSummary,
}

/// One task in a run's report: planned against actual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportRow {
    /// The task's ID.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: TaskKind,
    /// Its owner.
    pub owner: String,
    /// Where it ended up.
    pub status: run::Status,
    /// "Done", "Passed", "No-go".
    pub status_words: String,
    /// Baseline start, in the environment's zone.
    pub planned_start: String,
    /// Planned duration ("1 h 30 min").
    pub planned: String,
    /// Actual start, or empty.
    pub actual_start: String,
    /// Actual duration, or empty.
    pub actual: String,
    /// "+25 min" longer, "−5 min" shorter, or empty.
    pub over: String,
    /// Whether it took at least 5 minutes longer than planned.
    pub over_flag: bool,
    /// How a gate or sign-off was decided: "by its check", "by a person's
    /// override", "by a person", or empty.
    pub decided: String,
    /// Its last comment: "text — who, when", or empty.
    pub comment: String,
}

/// A change to a plan's duration that a run suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurationChange {
    /// The task's ID.
    pub id: String,
    /// Its title in the plan.
    pub title: String,
    /// The plan's duration now.
    pub from: String,
    /// What the run took.
    pub to: String,
}

/// A run's printable report, for `/cutover/runs/:id/report`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Database id.
    pub id: i64,
    /// "Rehearsal 2", "Live".
    pub name: String,
    /// Rehearsal or live.
    pub kind: run::RunKind,
    /// The plan run.
    pub plan_id: i64,
    /// Its name.
    pub plan_name: String,
    /// The plan revision copied.
    pub plan_revision: i64,
    /// The environment.
    pub environment: String,
    /// Its time zone.
    pub time_zone: String,
    /// The freeze window of the run.
    pub window: String,
    /// Started when and by whom; re-baselined when.
    pub started: String,
    /// The figures: (label, value), such as ("Took", "46 h 10 min").
    pub facts: Vec<(String, String)>,
    /// At a glance, with the gates and their evidence.
    pub summary: RunSummary,
    /// Forward tasks by stage, planned against actual.
    pub stages: Vec<(String, Vec<ReportRow>)>,
    /// The rollback path.
    pub rollback: Vec<ReportRow>,
    /// Everything done, oldest first.
    pub events: Vec<EventLine>,
    /// The plan's other runs, to compare with: (id, name).
    pub others: Vec<(i64, String)>,
    /// Durations the plan (as it is now) should take from this run.
    pub changes: Vec<DurationChange>,
    /// The plan's revision now (none: the plan is deleted).
    pub plan_now: Option<i64>,
    /// Whether the caller may change the plan.
    pub can_edit: bool,
}

/// One task in two runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompareRow {
    /// The task's ID.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its stage.
    pub stage: String,
    /// Planned in the later run ("1 h"), or empty.
    pub planned: String,
    /// Took in the earlier run, or empty.
    pub a: String,
    /// Took in the later run, or empty.
    pub b: String,
    /// "+25 min", "−5 min", or empty.
    pub delta: String,
    /// Whether the later run took at least 5 minutes longer.
    pub longer: bool,
}

/// Two runs of a plan side by side, for `/cutover/runs/:id/compare`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunComparison {
    /// The earlier run: (id, name).
    pub a: (i64, String),
    /// The later run: (id, name).
    pub b: (i64, String),
    /// The plan of the later run: (id, name).
    pub plan: (i64, String),
    /// Time from first start to last end: (earlier, later), or "—".
    pub elapsed: (String, String),
    /// "12 tasks took longer, 3 shorter".
    pub verdict: String,
    /// Task by task, the most longer first.
    pub rows: Vec<CompareRow>,
}

/// A task as its edit form opens it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEditor {
    /// The plan's id and name.
    pub plan_id: i64,
    /// The plan's name.
    pub plan_name: String,
    /// The plan revision the editor opened.
    pub revision: i64,
    /// The environment's time zone.
    pub time_zone: String,
    /// The task (a blank one for a new task, with a free ID).
    pub task: Task,
    /// Whether it is new.
    pub new: bool,
    /// Its fixed start as a `datetime-local` value in the time zone.
    pub fixed_start: String,
    /// Its duration as people type it ("2h30m").
    pub duration: String,
    /// Every other task (id, title) for the predecessor choice.
    pub others: Vec<(String, String)>,
    /// Stages already used, for the stage suggestions.
    pub stages: Vec<String>,
    /// The gate check's settings as the form shows them.
    pub check: gate::CheckFields,
    /// The environment's maps, for the check's map names.
    pub maps: Vec<String>,
}

/// The plan settings form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEditor {
    /// The plan's id (none for a new plan).
    pub id: Option<i64>,
    /// The environment.
    pub environment: String,
    /// The environment's time zone.
    pub time_zone: String,
    /// The revision opened.
    pub revision: i64,
    /// Name.
    pub name: String,
    /// Freeze start and end as `datetime-local` values in the time zone.
    pub starts_at: String,
    /// Freeze end.
    pub ends_at: String,
    /// Rollback criteria (Markdown).
    pub rollback_criteria: String,
    /// The environment's alert rules by name, and whether the freeze
    /// silences each (a chosen rule deleted since is listed too, so it
    /// can be unchosen).
    pub alert_rules: Vec<(String, bool)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, preds: &[&str]) -> Task {
        Task {
            id: id.into(),
            title: format!("Task {id}"),
            stage: "S".into(),
            instructions: String::new(),
            owner: String::new(),
            backup_owner: String::new(),
            team: String::new(),
            minutes: 30,
            fixed_start: None,
            kind: TaskKind::Task,
            predecessors: preds.iter().map(|p| p.to_string()).collect(),
            rollback: false,
            check: None,
        }
    }

    fn plan(tasks: Vec<Task>) -> PlanContent {
        PlanContent {
            name: " Weekend ".into(),
            starts_at: 0,
            ends_at: 3600,
            rollback_criteria: String::new(),
            silence_rules: vec![],
            tasks,
        }
    }

    #[test]
    fn a_plan_is_checked_whole_and_each_refusal_names_the_task() {
        let mut ok = plan(vec![task("A", &[]), task("B", &["A"])]);
        ok.check().unwrap();
        assert_eq!(ok.name, "Weekend");
        let refused = |mut p: PlanContent| p.check().unwrap_err();
        let (f, m) = refused(plan(vec![task("A", &[]), task("A", &[])]));
        assert_eq!(f, "task A");
        assert!(m.contains("Two tasks have the ID A"), "{m}");
        let (_, m) = refused(plan(vec![task("A", &["B"])]));
        assert!(m.contains("follows B, which is not in the plan"), "{m}");
        let mut back = task("R", &["A"]);
        back.rollback = true;
        let (_, m) = refused(plan(vec![task("A", &[]), back]));
        assert!(m.contains("is a rollback step and cannot follow"), "{m}");
        let mut m1 = task("M", &[]);
        m1.kind = TaskKind::Milestone;
        let (_, m) = refused(plan(vec![m1]));
        assert!(m.contains("takes no time"), "{m}");
        let mut n1 = task("N1", &[]);
        n1.kind = TaskKind::NoReturn;
        n1.minutes = 0;
        let mut n2 = n1.clone();
        n2.id = "N2".into();
        let (_, m) = refused(plan(vec![n1, n2]));
        assert!(m.contains("one point of no return"), "{m}");
        let mut far = task("F", &[]);
        far.fixed_start = Some(30 * 86_400);
        let (_, m) = refused(plan(vec![far]));
        assert!(m.contains("more than a week outside"), "{m}");
        let mut p = plan(vec![]);
        p.ends_at = 0;
        assert_eq!(refused(p).0, "ends_at");
    }

    #[test]
    fn changes_name_each_task_added_removed_or_changed() {
        let old = plan(vec![task("A", &[]), task("B", &["A"])]);
        let mut new = old.clone();
        new.tasks.remove(1);
        new.tasks[0].minutes = 90;
        new.tasks[0].owner = "Ana".into();
        new.tasks.push(task("C", &["A"]));
        new.ends_at = 7200;
        let show = |t: i64| format!("t{t}");
        assert_eq!(
            changes(&old, &new, &show),
            [
                "Freeze window t0 → t3600 became t0 → t7200.",
                "Removed B (Task B).",
                "A (Task A): owner \"\" → \"Ana\"; duration \"30 min\" → \"1 h 30 min\".",
                "Added C (Task C).",
            ]
        );
        assert!(changes(&old, &old, &show).is_empty());
    }
}
