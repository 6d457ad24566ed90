//! Server functions for cutover plans. Anyone signed in reads plans and
//! their schedules; editors and admins write them. Every change is a
//! revision and an audit entry; each write redirects, so the forms work
//! without JavaScript. Times go out formatted in the environment's time
//! zone and come in as typed in it.

use super::{PlanEditor, PlanPage, PlansPage, RunPage, StatusPage, TaskEditor};
use crate::error::AppError;
use crate::revisions::Revision;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Largest CSV accepted by the import (2 MB): far above 2,000 tasks.
pub const MAX_CSV_BYTES: usize = 2 << 20;

/// A plan's revisions, for its history page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanHistory {
    /// The plan's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its environment.
    pub environment: String,
    /// Whether it is deleted.
    pub deleted: bool,
    /// Whether the caller may restore.
    pub can_edit: bool,
    /// Newest first.
    pub revisions: Vec<Revision>,
}

/// What changed between two revisions of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDiff {
    /// The plan's id.
    pub id: i64,
    /// Its current name.
    pub name: String,
    /// The older revision.
    pub from: i64,
    /// The newer revision.
    pub to: i64,
    /// A sentence per change.
    pub changes: Vec<String>,
}

/// The plan settings form as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSettings {
    /// The plan.
    pub id: i64,
    /// The revision the form was opened on.
    pub revision: i64,
    /// Its name.
    pub name: String,
    /// Freeze start, as typed in the environment's zone.
    pub starts_at: String,
    /// Freeze end.
    pub ends_at: String,
    /// Rollback criteria (Markdown).
    pub rollback_criteria: String,
    /// Alert rules the freeze silences, by name; the form also sends one
    /// empty value, so that choosing none still sends the field.
    #[serde(default)]
    pub silence_rules: Vec<String>,
    /// Why.
    pub comment: String,
}

/// The task form as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskForm {
    /// The plan.
    pub plan: i64,
    /// The plan revision the form was opened on.
    pub revision: i64,
    /// The task's ID before the edit (empty for a new task).
    #[serde(default)]
    pub original: String,
    /// Its ID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Stage.
    pub stage: String,
    /// Kind, by stored name.
    pub kind: String,
    /// Duration as typed.
    #[serde(default)]
    pub duration: String,
    /// Fixed start as typed (`datetime-local`), or empty.
    #[serde(default)]
    pub fixed_start: String,
    /// Predecessor IDs, separated by spaces or commas.
    #[serde(default)]
    pub predecessors: String,
    /// Owner.
    #[serde(default)]
    pub owner: String,
    /// Backup owner.
    #[serde(default)]
    pub backup_owner: String,
    /// Team.
    #[serde(default)]
    pub team: String,
    /// "on" when the task is a rollback step.
    #[serde(default)]
    pub rollback: Option<String>,
    /// Instructions (Markdown).
    #[serde(default)]
    pub instructions: String,
    /// Why, kept in the revision.
    #[serde(default)]
    pub comment: String,
    /// A gate's check: its kind (empty: a person decides).
    #[serde(default)]
    pub check_kind: String,
    /// Map names, separated by commas (empty: every synced map).
    #[serde(default)]
    pub check_maps: String,
    /// Tolerance (counts) or drift allowed (reconciliation).
    #[serde(default)]
    pub check_tolerance: String,
    /// Open error groups allowed.
    #[serde(default)]
    pub check_open: String,
    /// Time without a new error group.
    #[serde(default)]
    pub check_quiet: String,
    /// The least alert severity that holds the gate.
    #[serde(default)]
    pub check_severity: String,
    /// The test record's map.
    #[serde(default)]
    pub check_map: String,
    /// The test record's key.
    #[serde(default)]
    pub check_key: String,
    /// The evidence's age limit.
    #[serde(default)]
    pub check_fresh: String,
}

#[cfg(feature = "ssr")]
pub(super) mod ssr {
    //! Helpers shared by the cutover server functions: who may write, and
    //! a plan's schedule turned into what pages show.
    use super::super::schedule::{self, Schedule};
    use super::super::{Plan, PlanLine, PlanPage, StageView, TaskRow, duration};
    use crate::auth::Role;
    use crate::auth::server::caller;
    use crate::error::AppError;
    use crate::zone;
    use chrono_tz::Tz;

    /// Whether the caller may edit plans.
    pub fn can_edit() -> bool {
        caller().is_some_and(|u| u.role.allows(Role::Editor))
    }

    /// Now, in Unix seconds.
    pub fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    /// A stored plan's schedule; a stored plan was checked, so a failure
    /// here is a bug worth logging.
    pub fn schedule_of(plan: &Plan) -> Result<Schedule, AppError> {
        schedule::plan(&plan.content).map_err(|(f, m)| {
            tracing::error!(plan.id = plan.id, field = %f, error = %m, "stored plan does not schedule");
            AppError::Internal
        })
    }

    /// "3 h 15 min spare", "ends at the deadline" or "1 h 30 min over",
    /// and whether over.
    pub fn margin(deadline: i64, end: i64) -> (String, bool) {
        let left = deadline - end;
        if left == 0 {
            ("ends at the deadline".into(), false)
        } else if left > 0 {
            (format!("{} spare", duration::span_words(left)), false)
        } else {
            (format!("{} over", duration::span_words(-left)), true)
        }
    }

    /// "Fri 4 Dec 18:00 → Mon 7 Dec 08:00".
    pub fn window(plan: &Plan, tz: Tz) -> String {
        format!(
            "{} → {}",
            zone::show(plan.content.starts_at, tz),
            zone::show(plan.content.ends_at, tz)
        )
    }

    /// The plan as a line of the plans list.
    pub fn line_of(plan: &Plan, tz: Tz) -> Result<PlanLine, AppError> {
        let s = schedule_of(plan)?;
        let (margin, over) = margin(plan.content.ends_at, s.end);
        Ok(PlanLine {
            id: plan.id,
            name: plan.content.name.clone(),
            window: window(plan, tz),
            tasks: plan.content.tasks.len(),
            planned_end: zone::show(s.end, tz),
            margin,
            over,
            revision: plan.revision,
        })
    }

    /// The plan with its schedule as the plan page shows it.
    pub fn page_of(plan: Plan, time_zone: &str, can_edit: bool) -> Result<PlanPage, AppError> {
        let tz = zone::zone(time_zone);
        let s = schedule_of(&plan)?;
        let c = &plan.content;
        let row = |i: usize| {
            let t = &c.tasks[i];
            let slot = s.slots[i];
            TaskRow {
                task: t.clone(),
                instructions_html: crate::markdown::render(&t.instructions),
                duration: duration::words(t.minutes),
                start: zone::show(slot.start, tz),
                end: zone::show(slot.end, tz),
                slack: if slot.critical {
                    "—".into()
                } else {
                    duration::span_words(slot.slack)
                },
                critical: slot.critical && !t.rollback,
                fixed: t.fixed_start.map(|f| zone::show(f, tz)),
                fixed_missed: (slot.fixed_missed > 0)
                    .then(|| duration::span_words(slot.fixed_missed)),
            }
        };
        let stages = c
            .stages()
            .into_iter()
            .filter(|st| c.tasks.iter().any(|t| t.stage == *st && !t.rollback))
            .map(|st| StageView {
                name: st.to_string(),
                rows: (0..c.tasks.len())
                    .filter(|&i| c.tasks[i].stage == st && !c.tasks[i].rollback)
                    .map(row)
                    .collect(),
            })
            .collect();
        let rollback: Vec<TaskRow> = (0..c.tasks.len())
            .filter(|&i| c.tasks[i].rollback)
            .map(row)
            .collect();
        let mut warnings = vec![];
        for (i, t) in c.tasks.iter().enumerate() {
            if s.slots[i].fixed_missed > 0 {
                warnings.push(format!(
                    "{} is fixed to start {} but its predecessors end {} later.",
                    t.named(),
                    zone::show(t.fixed_start.unwrap_or_default(), tz),
                    duration::span_words(s.slots[i].fixed_missed)
                ));
            }
        }
        let (margin, over) = margin(c.ends_at, s.end);
        if over {
            warnings.push(format!(
                "The schedule ends {}, {} after the freeze ends: shorten tasks, run more in parallel, or move the unfreeze.",
                zone::show(s.end, tz),
                duration::span_words(s.end - c.ends_at)
            ));
        }
        let rollback_words = match (s.rollback_from, s.rollback_end) {
            (Some(from), Some(end)) => {
                let words = format!(
                    "Rolling back from the point of no return ({}) takes {} and ends {}.",
                    zone::show(from, tz),
                    duration::span_words(end - from),
                    zone::show(end, tz)
                );
                if end > c.ends_at {
                    warnings.push(format!(
                        "A rollback from the point of no return would end {}, after the freeze ends: move the point of no return earlier.",
                        zone::show(end, tz)
                    ));
                }
                Some(words)
            }
            (None, Some(_)) => {
                warnings.push("The plan has rollback steps but no point of no return: add one, so everyone knows until when rolling back is possible.".into());
                None
            }
            _ => None,
        };
        if !c.tasks.is_empty() && !c.tasks.iter().any(|t| t.rollback) {
            warnings.push(
                "The plan has no rollback path: add the steps that undo the weekend (mark them as rollback steps)."
                    .into(),
            );
        }
        let window_length = duration::span_words(c.ends_at - c.starts_at);
        Ok(PlanPage {
            window: window(&plan, tz),
            window_length,
            planned_end: zone::show(s.end, tz),
            margin,
            over,
            rollback_criteria_html: crate::markdown::render(&c.rollback_criteria),
            critical_path: s
                .critical_path
                .iter()
                .map(|&i| c.tasks[i].id.clone())
                .collect(),
            stages,
            rollback,
            rollback_words,
            warnings,
            runs: vec![],
            live_start: zone::input(c.starts_at, tz),
            rehearsal_start: zone::input((now() / 900 + 1) * 900, tz),
            time_zone: tz.name().to_string(),
            can_edit,
            plan,
        })
    }

    /// "45 min late", "10 min early" or empty.
    fn lateness(late: i64) -> String {
        if late >= 60 {
            format!("{} late", duration::span_words(late))
        } else if late <= -60 {
            format!("{} early", duration::span_words(-late))
        } else {
            String::new()
        }
    }

    /// What happened to a run, as its log and evidence say it.
    pub fn event_words(
        r: &super::super::runs::RunRecord,
        e: &super::super::runs::EventRow,
    ) -> String {
        use super::super::run::Action;
        match &e.task_id {
            Some(t) => {
                let task = r.content.tasks.iter().find(|x| &x.id == t);
                let named = task.map(|x| x.named()).unwrap_or_else(|| t.clone());
                let kind = task.map(|x| x.kind).unwrap_or(super::super::TaskKind::Task);
                let done = match (e.action.as_str(), Action::parse(&e.action)) {
                    ("override", _) => "passed by a person's override".to_string(),
                    ("check", _) => "passed by its own check".to_string(),
                    ("key", _) => "test record key given".to_string(),
                    (_, Some(Action::Start)) => "started".to_string(),
                    (_, Some(Action::Reopen)) => "reopened".to_string(),
                    (_, Some(a)) => a.label_for(kind).to_lowercase(),
                    (_, None) => e.action.clone(),
                };
                format!("{named}: {done}")
            }
            None => match e.action.as_str() {
                "start" => "Run started".into(),
                "silence" => "Freeze silences added".into(),
                "rebaseline" => "Re-baselined: the forecast became the plan".into(),
                a => match a
                    .strip_prefix("end.")
                    .and_then(super::super::run::Outcome::parse)
                {
                    Some(o) => format!("Run ended: {}", o.label().to_lowercase()),
                    None => a.to_string(),
                },
            },
        }
    }

    /// A gate or sign-off as the summary lists it: its colour, its check
    /// and what the check found, or the person's decision.
    fn gate_line(
        r: &super::super::runs::RunRecord,
        t: &super::super::Task,
        st: super::super::run::Status,
        comments: &std::collections::HashMap<String, (String, i64, String)>,
        checks: &std::collections::HashMap<String, super::super::runs::CheckRow>,
        tz: Tz,
    ) -> super::super::GateLine {
        use super::super::gate::Check;
        use super::super::run::{Action, Status};
        use super::super::runs::Decided;
        let decided = r.decided.get(&t.id).copied();
        let latest = checks.get(&t.id);
        let (light, words) = match (st, decided, latest) {
            (Status::Done, Some(Decided::Override), _) => ("override", "Overridden".to_string()),
            (Status::Done, Some(Decided::Check), _) => ("pass", "Passed by its check".to_string()),
            (Status::Done, None, _) => ("pass", Action::Complete.label_for(t.kind).to_string()),
            (Status::Failed, ..) => ("fail", Action::Fail.label_for(t.kind).to_string()),
            (Status::Running, _, Some(c)) if !c.pass => ("fail", "Failing".to_string()),
            (Status::Running, _, _) if t.check.is_some() => ("checking", "Checking".to_string()),
            (s, ..) => ("waiting", s.label().to_string()),
        };
        super::super::GateLine {
            id: t.id.clone(),
            title: t.title.clone(),
            kind: t.kind,
            status: st,
            words,
            light: light.into(),
            evidence: comments
                .get(&t.id)
                .map(|(who, at, text)| format!("{text} — {who}, {}", zone::short(*at, tz)))
                .unwrap_or_default(),
            check: t.check.as_ref().map(|g| g.words()).unwrap_or_default(),
            findings: latest.map(|c| c.findings.clone()).unwrap_or_default(),
            checked: latest
                .map(|c| {
                    if c.first_at == c.last_at {
                        format!("Checked {}", zone::short(c.last_at, tz))
                    } else {
                        format!(
                            "Checked {}; found the same since {}",
                            zone::short(c.last_at, tz),
                            zone::short(c.first_at, tz)
                        )
                    }
                })
                .unwrap_or_default(),
            needs_key: !st.is_finished()
                && matches!(
                    t.check.as_ref().map(|g| &g.check),
                    Some(Check::TestRecord { key, .. }) if key.is_empty()
                ),
        }
    }

    /// A run at a glance, at `now`.
    pub fn summary_of(
        r: &super::super::runs::RunRecord,
        f: &super::super::run::Forecast,
        comments: &std::collections::HashMap<String, (String, i64, String)>,
        checks: &std::collections::HashMap<String, super::super::runs::CheckRow>,
        tz: Tz,
        now: i64,
    ) -> super::super::RunSummary {
        use super::super::run::Status;
        use super::super::{NextLine, TaskKind};
        let c = &r.content;
        let (schedule, behind) = super::super::run::schedule_words(f.late);
        let left = c.ends_at - f.end;
        let deadline_words = if left == 0 {
            "exactly when the freeze ends".to_string()
        } else if left > 0 {
            format!("{} before the freeze ends", duration::span_words(left))
        } else {
            format!("{} after the freeze ends", duration::span_words(-left))
        };
        let gates = c
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| matches!(t.kind, TaskKind::Gate | TaskKind::Signoff) && !t.rollback)
            .map(|(i, t)| gate_line(r, t, f.tasks[i].state.status, comments, checks, tz))
            .collect();
        let named = |i: usize| c.tasks[i].named();
        let forward = || (0..c.tasks.len()).filter(|&i| !c.tasks[i].rollback);
        let failed = forward()
            .filter(|&i| f.tasks[i].state.status == Status::Failed)
            .map(named)
            .collect();
        let blocked = forward()
            .filter(|&i| f.tasks[i].blocked && f.tasks[i].state.status == Status::Pending)
            .map(named)
            .collect();
        let mut next: Vec<usize> = forward()
            .filter(|&i| {
                let st = f.tasks[i].state.status;
                st == Status::Running || (st == Status::Pending && f.tasks[i].startable)
            })
            .collect();
        next.sort_by_key(|&i| (f.tasks[i].forecast.0, i));
        let next = next
            .into_iter()
            .take(8)
            .map(|i| {
                let t = &c.tasks[i];
                let tf = &f.tasks[i];
                let who = match (t.owner.as_str(), t.backup_owner.as_str()) {
                    ("", "") => "—".to_string(),
                    (o, "") => o.to_string(),
                    ("", b) => format!("backup: {b}"),
                    (o, b) => format!("{o} / {b}"),
                };
                let when = match tf.state.status {
                    Status::Running => format!(
                        "Running since {}",
                        zone::short(tf.state.started_at.unwrap_or(now), tz)
                    ),
                    _ => format!("Forecast {}", zone::short(tf.forecast.0, tz)),
                };
                NextLine {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    who,
                    when,
                    late: tf.late_by >= 60,
                }
            })
            .collect();
        let gantt_svg = super::super::gantt::svg(c, f, now, tz).unwrap_or_else(|e| {
            tracing::error!(run.id = r.id, error = %e, "cannot draw the run chart");
            String::new()
        });
        super::super::RunSummary {
            stage: f.stage.clone(),
            done: f.done.0,
            total: f.done.1,
            schedule,
            behind,
            forecast_end: zone::show(f.end, tz),
            deadline: zone::show(c.ends_at, tz),
            deadline_words,
            over: left < 0,
            gates,
            failed,
            blocked,
            next,
            gantt_svg,
            as_of: zone::clock(now, tz),
            ended: r.outcome.map(|o| {
                format!(
                    "{} {}",
                    o.label(),
                    r.ended_at.map(|t| zone::show(t, tz)).unwrap_or_default()
                )
            }),
        }
    }

    /// The run's tasks as its page lists them, with the actions the
    /// caller may take.
    pub fn run_rows(
        r: &super::super::runs::RunRecord,
        f: &super::super::run::Forecast,
        can_act: bool,
        tz: Tz,
    ) -> Vec<super::super::RunTaskRow> {
        use super::super::run::{Action, Status};
        let span = |(a, b): (i64, i64)| {
            if a == b {
                zone::short(a, tz)
            } else {
                format!("{} → {}", zone::short(a, tz), zone::short(b, tz))
            }
        };
        r.content
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let tf = &f.tasks[i];
                let st = tf.state.status;
                let actions: Vec<Action> = if !can_act {
                    vec![]
                } else {
                    match st {
                        Status::Pending if tf.startable => {
                            vec![Action::Start, Action::Complete, Action::Skip]
                        }
                        Status::Pending => vec![Action::Skip],
                        Status::Running => vec![Action::Complete, Action::Fail],
                        Status::Failed => vec![Action::Start, Action::Skip],
                        Status::Done | Status::Skipped => vec![Action::Reopen],
                    }
                };
                let forecast = matches!(st, Status::Pending);
                let actual = match st {
                    Status::Running | Status::Failed => format!(
                        "{} → {}",
                        zone::short(tf.forecast.0, tz),
                        if st == Status::Failed {
                            "failed".to_string()
                        } else {
                            format!("forecast {}", zone::short(tf.forecast.1, tz))
                        }
                    ),
                    _ => span(tf.forecast),
                };
                super::super::RunTaskRow {
                    task: t.clone(),
                    status: st,
                    planned: span(tf.planned),
                    actual,
                    forecast,
                    lateness: lateness(tf.late_by),
                    late: tf.late_by >= 60,
                    critical: tf.critical,
                    needs_comment: actions
                        .iter()
                        .map(|a| (*a, a.needs_comment(t.kind)))
                        .collect(),
                    check_now: can_act && st == Status::Running && t.check.is_some(),
                    ask_key: can_act
                        && !st.is_finished()
                        && matches!(
                            t.check.as_ref().map(|g| &g.check),
                            Some(super::super::gate::Check::TestRecord { .. })
                        ),
                    actions: actions
                        .into_iter()
                        .map(|a| {
                            let words = if a == Action::Complete && t.check.is_some() {
                                "Override: pass"
                            } else {
                                a.label_for(t.kind)
                            };
                            (a, words.to_string())
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// A run as its pages read it.
    pub struct Loaded {
        /// The run.
        pub r: super::super::runs::RunRecord,
        /// Its forecast.
        pub f: super::super::run::Forecast,
        /// The last comment on each task.
        pub comments: std::collections::HashMap<String, (String, i64, String)>,
        /// The latest check of each gate.
        pub checks: std::collections::HashMap<String, super::super::runs::CheckRow>,
        /// The environment's name.
        pub environment: String,
        /// Its time zone.
        pub tz: Tz,
    }

    impl Loaded {
        /// The run at a glance.
        pub fn summary(&self, now: i64) -> super::super::RunSummary {
            summary_of(&self.r, &self.f, &self.comments, &self.checks, self.tz, now)
        }
    }

    /// A run's record, forecast and evidence, read at `now`.
    pub async fn load_run(
        conn: &mut dyn crate::db::Conn,
        id: i64,
        now: i64,
    ) -> Result<Loaded, AppError> {
        let r = super::super::runs::get(conn, id).await?;
        // An ended run stands still at its end.
        let at = r.ended_at.unwrap_or(now);
        let f = super::super::run::forecast(&r.content, &r.baseline, &r.states, at).map_err(|(f, m)| {
            tracing::error!(run.id = id, field = %f, error = %m, "stored run does not schedule");
            AppError::Internal
        })?;
        let comments = super::super::runs::last_comments(conn, id).await?;
        let checks = super::super::runs::latest_checks(conn, id).await?;
        // One read of the environment for its name and zone (this runs on
        // every refresh of the status page).
        let environment = crate::environments::server::by_id(conn, r.environment_id).await?;
        let tz = zone::zone(&environment.time_zone);
        Ok(Loaded {
            r,
            f,
            comments,
            checks,
            environment: environment.name,
            tz,
        })
    }

    /// How long a request waits for a gate's check before the page shows
    /// it as being checked (the check goes on, and the next minute's round
    /// repeats it anyway).
    const CHECK_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

    /// Checks a gate of a run now, if it is a running gate that checks
    /// itself, waiting for it up to [`CHECK_WAIT`]; failures are logged,
    /// since the action that asked has already been done.
    pub async fn check_soon(pool: &crate::db::Pool, run: i64, task: &str) {
        let probe = leptos::prelude::use_context::<super::super::gates::Probe>();
        let (pool, task) = (pool.clone(), task.to_string());
        let job = tokio::spawn(async move {
            if let Err(e) = super::super::gates::check_gate(&pool, run, &task, probe.as_ref()).await
            {
                tracing::warn!(run.id = run, task, error = %e, "could not check a cutover gate; the next round tries again");
            }
        });
        let _ = tokio::time::timeout(CHECK_WAIT, job).await;
    }

    /// The place to go after a write: the plan page, at `anchor`.
    pub fn back_to(id: i64, anchor: &str) {
        back_to_page("plans", id, anchor);
    }

    /// The place to go after a write on a run: the run page, at `anchor`.
    pub fn back_to_run(id: i64, anchor: &str) {
        back_to_page("runs", id, anchor);
    }

    fn back_to_page(what: &str, id: i64, anchor: &str) {
        let hash = if anchor.is_empty() {
            String::new()
        } else {
            format!(
                "#task-{}",
                crate::components::percent_encode(anchor, b"-_.")
            )
        };
        leptos_axum::redirect(&format!("/cutover/{what}/{id}{hash}"));
    }
}

/// The plans of one environment (`env` by name; the first when absent).
#[server(prefix = "/sfn", endpoint = "list_cutover_plans")]
pub async fn list_cutover_plans(env: Option<String>) -> Result<PlansPage, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let Some(environment) = crate::environments::pick(&all, env.as_deref()).cloned() else {
        return Ok(PlansPage {
            environment: None,
            time_zone: "UTC".into(),
            can_edit: ssr::can_edit(),
            plans: vec![],
            deleted: vec![],
            next_friday: String::new(),
        });
    };
    let tz = crate::zone::zone(&environment.time_zone);
    let plans = super::server::list(&mut conn, environment.id, false).await?;
    let deleted = super::server::list(&mut conn, environment.id, true)
        .await?
        .into_iter()
        .map(|p| (p.id, p.content.name))
        .collect();
    Ok(PlansPage {
        plans: plans
            .iter()
            .map(|p| ssr::line_of(p, tz))
            .collect::<Result<_, _>>()?,
        deleted,
        next_friday: crate::zone::next_friday(ssr::now(), tz).to_string(),
        time_zone: tz.name().to_string(),
        environment: Some(environment.name),
        can_edit: ssr::can_edit(),
    })
}

/// One plan with its schedule, critical path and warnings.
#[server(prefix = "/sfn", endpoint = "cutover_plan_page")]
pub async fn cutover_plan_page(id: i64) -> Result<PlanPage, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let plan = super::server::get(&mut conn, id).await?;
    let env = crate::environments::server::by_name(&mut conn, &plan.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let runs = super::runs::of_plan(&mut conn, id)
        .await?
        .into_iter()
        .map(|r| {
            let outcome = r.outcome.as_deref().and_then(super::run::Outcome::parse);
            super::RunLine {
                id: r.id,
                kind: super::run::RunKind::parse(&r.kind).unwrap_or(super::run::RunKind::Rehearsal),
                started: crate::zone::show(r.started_at, tz),
                state: match (outcome, r.ended_at) {
                    (Some(o), Some(t)) => format!("{} {}", o.label(), crate::zone::show(t, tz)),
                    _ => "Running".into(),
                },
                ended: outcome.is_some(),
                name: r.name,
            }
        })
        .collect();
    let mut page = ssr::page_of(plan, &env.time_zone, ssr::can_edit())?;
    page.runs = runs;
    Ok(page)
}

/// Creates a plan in `env`: the runbook guide's weekend (`start` =
/// `template`) or an empty plan, its freeze from `friday` 18:00 to the
/// Monday after at 08:00 (editors and admins).
#[server(prefix = "/sfn", endpoint = "create_cutover_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn create_cutover_plan(
    env: String,
    name: String,
    friday: String,
    start: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "create cutover plans")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let environment = crate::environments::server::by_name(&mut tx, &env).await?;
    let tz = crate::zone::zone(&environment.time_zone);
    let date = chrono::NaiveDate::parse_from_str(friday.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::validation(
            "friday",
            format!(
                "'{}' is not a date: pick the Friday the freeze starts.",
                friday.trim()
            ),
        )
    })?;
    let mut content =
        super::template::weekend(&name, date, tz).map_err(|m| AppError::validation("friday", m))?;
    let comment = match start.as_str() {
        "template" => "Created from the runbook weekend template",
        "empty" => {
            content.tasks.clear();
            content.rollback_criteria.clear();
            "Created empty"
        }
        other => {
            return Err(AppError::validation(
                "start",
                format!("'{other}' is not a way to start a plan: template or empty."),
            ));
        }
    };
    let id = super::server::create(
        &mut tx,
        &Actor::user(&user, client_ip()),
        environment.id,
        content,
        comment,
    )
    .await?;
    tx.commit().await?;
    ssr::back_to(id, "");
    Ok(())
}

/// The plan settings form, opened on the current revision.
#[server(prefix = "/sfn", endpoint = "cutover_plan_editor")]
pub async fn cutover_plan_editor(id: i64) -> Result<PlanEditor, AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    require_role(Role::Editor, "edit cutover plans")?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let plan = super::server::get(&mut conn, id).await?;
    let env = crate::environments::server::by_name(&mut conn, &plan.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let chosen = &plan.content.silence_rules;
    let mut alert_rules: Vec<(String, bool)> =
        crate::alerts::server::list(&mut conn, env.id, false)
            .await?
            .into_iter()
            .map(|r| {
                let on = chosen
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(&r.content.name));
                (r.content.name, on)
            })
            .collect();
    for c in chosen {
        if !alert_rules.iter().any(|(n, _)| n.eq_ignore_ascii_case(c)) {
            alert_rules.push((c.clone(), true));
        }
    }
    Ok(PlanEditor {
        id: Some(plan.id),
        environment: plan.environment,
        time_zone: tz.name().to_string(),
        revision: plan.revision,
        name: plan.content.name,
        starts_at: crate::zone::input(plan.content.starts_at, tz),
        ends_at: crate::zone::input(plan.content.ends_at, tz),
        rollback_criteria: plan.content.rollback_criteria,
        alert_rules,
    })
}

/// Saves the plan's name, freeze window and rollback criteria (editors
/// and admins); the tasks stay as they are.
#[server(prefix = "/sfn", endpoint = "save_cutover_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_cutover_plan(form: PlanSettings) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit cutover plans")?;
    let PlanSettings {
        id,
        revision,
        name,
        starts_at,
        ends_at,
        rollback_criteria,
        silence_rules,
        comment,
    } = form;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let plan = super::server::get(&mut tx, id).await?;
    let env = crate::environments::server::by_name(&mut tx, &plan.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    // The form always sends one empty value, so that choosing none still
    // sends the field. A rule newly chosen must exist; one chosen before
    // and deleted since may stay.
    let rules: Vec<String> = crate::alerts::server::list(&mut tx, env.id, false)
        .await?
        .into_iter()
        .map(|r| r.content.name)
        .collect();
    let mut silenced: Vec<String> = vec![];
    for name in silence_rules
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let known = rules
            .iter()
            .chain(&plan.content.silence_rules)
            .find(|r| r.eq_ignore_ascii_case(name));
        let Some(known) = known else {
            return Err(AppError::validation(
                "silence_rules",
                format!("{} has no alert rule named '{name}'.", env.name),
            ));
        };
        if !silenced.iter().any(|s| s.eq_ignore_ascii_case(known)) {
            silenced.push(known.clone());
        }
    }
    let mut content = plan.content;
    content.silence_rules = silenced;
    content.name = name;
    content.starts_at =
        crate::zone::read(&starts_at, tz).map_err(|m| AppError::validation("starts_at", m))?;
    content.ends_at =
        crate::zone::read(&ends_at, tz).map_err(|m| AppError::validation("ends_at", m))?;
    content.rollback_criteria = rollback_criteria;
    super::server::update(
        &mut tx,
        &Actor::user(&user, client_ip()),
        id,
        revision,
        content,
        &comment,
    )
    .await?;
    tx.commit().await?;
    ssr::back_to(id, "");
    Ok(())
}

/// The task form: task `task` of the plan, or a new one (`task` absent)
/// with the next free ID.
#[server(prefix = "/sfn", endpoint = "cutover_task_editor")]
pub async fn cutover_task_editor(plan: i64, task: Option<String>) -> Result<TaskEditor, AppError> {
    use super::{Task, TaskKind, duration};
    use crate::auth::{Role, server::*};
    use crate::db::*;
    require_role(Role::Editor, "edit cutover plans")?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let p = super::server::get(&mut conn, plan).await?;
    let env = crate::environments::server::by_name(&mut conn, &p.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let c = &p.content;
    let found = match task.as_deref().filter(|t| !t.is_empty()) {
        Some(id) => Some(
            c.tasks
                .iter()
                .find(|t| t.id == id)
                .cloned()
                .ok_or_else(|| AppError::not_found(format!("Task {id} of '{}'", c.name)))?,
        ),
        None => None,
    };
    let new = found.is_none();
    let t = found.unwrap_or_else(|| {
        let next = (1..)
            .map(|n| format!("T{n}"))
            .find(|id| !c.tasks.iter().any(|t| &t.id == id))
            .unwrap_or_default();
        Task {
            id: next,
            title: String::new(),
            stage: c.tasks.last().map(|t| t.stage.clone()).unwrap_or_default(),
            instructions: String::new(),
            owner: String::new(),
            backup_owner: String::new(),
            team: String::new(),
            minutes: 30,
            fixed_start: None,
            kind: TaskKind::Task,
            predecessors: c
                .tasks
                .last()
                .map(|t| vec![t.id.clone()])
                .unwrap_or_default(),
            rollback: false,
            check: None,
        }
    });
    let maps = crate::maps::server::names(&mut conn, env.id)
        .await?
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    Ok(TaskEditor {
        check: super::gate::CheckFields::of(t.check.as_ref()),
        maps,
        plan_id: p.id,
        plan_name: c.name.clone(),
        revision: p.revision,
        time_zone: tz.name().to_string(),
        fixed_start: t
            .fixed_start
            .map(|f| crate::zone::input(f, tz))
            .unwrap_or_default(),
        duration: duration::compact(t.minutes),
        others: c
            .tasks
            .iter()
            .filter(|o| o.id != t.id)
            .map(|o| (o.id.clone(), o.title.clone()))
            .collect(),
        stages: c.stages().into_iter().map(str::to_string).collect(),
        new,
        task: t,
    })
}

/// Adds or changes one task (editors and admins). Renaming a task's ID
/// renames it in its successors' predecessors too; the whole plan is
/// checked again before anything is written.
#[server(prefix = "/sfn", endpoint = "save_cutover_task")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_cutover_task(form: TaskForm) -> Result<(), AppError> {
    use super::{Task, TaskKind, duration};
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit cutover plans")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let plan = super::server::get(&mut tx, form.plan).await?;
    let env = crate::environments::server::by_name(&mut tx, &plan.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let kind = TaskKind::parse(&form.kind).ok_or_else(|| {
        AppError::validation("kind", format!("'{}' is not a kind of task.", form.kind))
    })?;
    let minutes =
        duration::parse(&form.duration).map_err(|m| AppError::validation("duration", m))?;
    let fixed_start = match form.fixed_start.trim() {
        "" => None,
        t => Some(crate::zone::read(t, tz).map_err(|m| AppError::validation("fixed_start", m))?),
    };
    let task = Task {
        id: form.id.trim().to_string(),
        title: form.title,
        stage: form.stage,
        instructions: form.instructions,
        owner: form.owner,
        backup_owner: form.backup_owner,
        team: form.team,
        minutes,
        fixed_start,
        kind,
        predecessors: form
            .predecessors
            .split([',', ';', ' '])
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        rollback: form.rollback.is_some(),
        check: if kind == TaskKind::Gate {
            super::gate::CheckFields {
                kind: form.check_kind,
                maps: form.check_maps,
                tolerance: form.check_tolerance,
                open: form.check_open,
                quiet: form.check_quiet,
                severity: form.check_severity,
                map: form.check_map,
                key: form.check_key,
                fresh: form.check_fresh,
            }
            .read()
            .map_err(|m| AppError::validation("check", m))?
        } else {
            None
        },
    };
    let mut content = plan.content;
    let original = form.original.trim();
    let (verb, anchor) = (
        if original.is_empty() {
            "Added"
        } else {
            "Changed"
        },
        task.id.clone(),
    );
    if original.is_empty() {
        if content.tasks.iter().any(|t| t.id == task.id) {
            return Err(AppError::validation(
                "id",
                format!("The plan already has a task {}; pick another ID.", task.id),
            ));
        }
        content.tasks.push(task.clone());
    } else {
        let at = content
            .tasks
            .iter()
            .position(|t| t.id == original)
            .ok_or_else(|| AppError::not_found(format!("Task {original} of '{}'", content.name)))?;
        if task.id != original {
            for t in &mut content.tasks {
                for p in &mut t.predecessors {
                    if p == original {
                        p.clone_from(&task.id);
                    }
                }
            }
        }
        content.tasks[at] = task.clone();
    }
    let comment = match form.comment.trim() {
        "" => format!("{verb} task {}", task.id),
        c => c.to_string(),
    };
    super::server::update(
        &mut tx,
        &Actor::user(&user, client_ip()),
        form.plan,
        form.revision,
        content,
        &comment,
    )
    .await?;
    tx.commit().await?;
    ssr::back_to(form.plan, &anchor);
    Ok(())
}

/// Removes a task (editors and admins); refused while other tasks follow
/// it, naming them.
#[server(prefix = "/sfn", endpoint = "delete_cutover_task")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn delete_cutover_task(plan: i64, revision: i64, task: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit cutover plans")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let mut content = super::server::get(&mut tx, plan).await?.content;
    let followers: Vec<String> = content
        .tasks
        .iter()
        .filter(|t| t.predecessors.contains(&task))
        .map(|t| t.id.clone())
        .collect();
    if !followers.is_empty() {
        return Err(AppError::validation(
            "task",
            format!(
                "{} follow{} {task}: take {task} out of {} predecessors first.",
                followers.join(", "),
                if followers.len() == 1 { "s" } else { "" },
                if followers.len() == 1 { "its" } else { "their" }
            ),
        ));
    }
    let before = content.tasks.len();
    content.tasks.retain(|t| t.id != task);
    if content.tasks.len() == before {
        return Err(AppError::not_found(format!(
            "Task {task} of '{}'",
            content.name
        )));
    }
    super::server::update(
        &mut tx,
        &Actor::user(&user, client_ip()),
        plan,
        revision,
        content,
        &format!("Removed task {task}"),
    )
    .await?;
    tx.commit().await?;
    ssr::back_to(plan, "");
    Ok(())
}

/// Replaces the plan's tasks with those of a CSV file (editors and
/// admins), checked whole first: one problem anywhere and nothing changes.
#[server(prefix = "/sfn", endpoint = "import_cutover_csv")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn import_cutover_csv(
    plan: i64,
    revision: i64,
    csv: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "import cutover plans")?;
    if csv.len() > MAX_CSV_BYTES {
        return Err(AppError::validation(
            "csv",
            format!(
                "The CSV is {} KB; a plan's CSV may be at most {} KB.",
                csv.len() / 1024,
                MAX_CSV_BYTES / 1024
            ),
        ));
    }
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let current = super::server::get(&mut tx, plan).await?;
    let env = crate::environments::server::by_name(&mut tx, &current.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let tasks = super::csv::read(&csv, tz).map_err(|m| AppError::validation("csv", m))?;
    let count = tasks.len();
    let mut content = current.content;
    content.tasks = tasks;
    let comment = match comment.trim() {
        "" => format!("Imported {count} tasks from CSV"),
        c => c.to_string(),
    };
    super::server::update(
        &mut tx,
        &Actor::user(&user, client_ip()),
        plan,
        revision,
        content,
        &comment,
    )
    .await?;
    tx.commit().await?;
    ssr::back_to(plan, "");
    Ok(())
}

/// Deletes a plan (editors and admins); its history stays and it can be
/// restored.
#[server(prefix = "/sfn", endpoint = "delete_cutover_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn delete_cutover_plan(id: i64, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "delete cutover plans")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let plan = super::server::get(&mut tx, id).await?;
    super::server::delete(&mut tx, &Actor::user(&user, client_ip()), id, &comment).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/cutover?env={}",
        crate::components::percent_encode(&plan.environment, b"")
    ));
    Ok(())
}

/// Makes an old revision current again (editors and admins).
#[server(prefix = "/sfn", endpoint = "restore_cutover_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn restore_cutover_plan(id: i64, revision: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "restore cutover plans")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::server::restore(&mut tx, &Actor::user(&user, client_ip()), id, revision).await?;
    tx.commit().await?;
    ssr::back_to(id, "");
    Ok(())
}

/// What changed between revisions `from` and `to` of a plan.
#[server(prefix = "/sfn", endpoint = "cutover_plan_diff")]
pub async fn cutover_plan_diff(id: i64, from: i64, to: i64) -> Result<PlanDiff, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let plan = super::server::get(&mut conn, id).await?;
    let env = crate::environments::server::by_name(&mut conn, &plan.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let (from, to) = (from.min(to), from.max(to));
    let old = super::server::revision_content(&mut conn, id, from).await?;
    let new = super::server::revision_content(&mut conn, id, to).await?;
    Ok(PlanDiff {
        id,
        name: plan.content.name,
        from,
        to,
        changes: super::changes(&old, &new, &|t| crate::zone::show(t, tz)),
    })
}

/// A plan's revisions, newest first.
#[server(prefix = "/sfn", endpoint = "cutover_plan_history")]
pub async fn cutover_plan_history(id: i64) -> Result<PlanHistory, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let plan = super::server::get(&mut conn, id).await?;
    let revisions = super::server::revisions(&mut conn, id).await?;
    Ok(PlanHistory {
        id,
        name: plan.content.name,
        environment: plan.environment,
        deleted: plan.deleted,
        can_edit: ssr::can_edit(),
        revisions,
    })
}

/// Starts a rehearsal or the live run of a plan (editors and admins): the
/// plan as it is now, its freeze moved to `starts_at` (as typed, in the
/// environment's time zone).
#[server(prefix = "/sfn", endpoint = "start_cutover_run")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn start_cutover_run(plan: i64, kind: String, starts_at: String) -> Result<(), AppError> {
    use super::run::RunKind;
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "run cutover plans")?;
    let kind = RunKind::parse(&kind).ok_or_else(|| {
        AppError::validation(
            "kind",
            format!("'{kind}' is not a kind of run: rehearsal or live."),
        )
    })?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let p = super::server::get(&mut tx, plan).await?;
    let env = crate::environments::server::by_name(&mut tx, &p.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let starts_at = match starts_at.trim() {
        "" => p.content.starts_at,
        t => crate::zone::read(t, tz).map_err(|m| AppError::validation("starts_at", m))?,
    };
    let id = super::runs::start(
        &mut tx,
        &Actor::user(&user, client_ip()),
        &p,
        kind,
        starts_at,
        ssr::now(),
    )
    .await?;
    tx.commit().await?;
    ssr::back_to_run(id, "");
    Ok(())
}

/// A run: its tasks with planned, actual and forecast times, lateness and
/// the actions the caller may take, at a glance, and its log.
#[server(prefix = "/sfn", endpoint = "cutover_run_page")]
pub async fn cutover_run_page(id: i64) -> Result<RunPage, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let now = ssr::now();
    let loaded = ssr::load_run(&mut conn, id, now).await?;
    let summary = loaded.summary(now);
    let ssr::Loaded {
        r,
        f,
        environment,
        tz,
        ..
    } = loaded;
    let can_act = ssr::can_edit() && r.outcome.is_none();
    let rows = ssr::run_rows(&r, &f, can_act, tz);
    let c = &r.content;
    let mut stages: Vec<(String, Vec<super::RunTaskRow>)> = vec![];
    let mut rollback = vec![];
    for row in rows {
        if row.task.rollback {
            rollback.push(row);
        } else if let Some((_, v)) = stages.iter_mut().find(|(s, _)| *s == row.task.stage) {
            v.push(row);
        } else {
            stages.push((row.task.stage.clone(), vec![row]));
        }
    }
    let events = super::runs::events(&mut conn, id, 200)
        .await?
        .iter()
        .map(|e| super::EventLine {
            at: crate::zone::show(e.at, tz),
            actor: e.actor.clone(),
            what: ssr::event_words(&r, e),
            comment: e.comment.clone(),
        })
        .collect();
    let started = format!(
        "Started {} by {}{}",
        crate::zone::show(r.started_at, tz),
        r.started_by,
        r.rebaselined_at
            .map(|t| format!(" · re-baselined {}", crate::zone::show(t, tz)))
            .unwrap_or_default()
    );
    Ok(RunPage {
        id,
        summary,
        name: r.name.clone(),
        kind: r.kind,
        plan_id: r.plan_id,
        plan_name: c.name.clone(),
        plan_revision: r.plan_revision,
        time_zone: tz.name().to_string(),
        window: format!(
            "{} → {}",
            crate::zone::show(c.starts_at, tz),
            crate::zone::show(c.ends_at, tz)
        ),
        can_act,
        started,
        silenced: if r.silences.is_empty() {
            vec![]
        } else {
            c.silence_rules.clone()
        },
        stages,
        rollback,
        events,
        environment,
    })
}

/// The managers' view of a run: anyone signed in reads it.
#[server(prefix = "/sfn", endpoint = "cutover_status")]
pub async fn cutover_status(id: i64) -> Result<StatusPage, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let now = ssr::now();
    let l = ssr::load_run(&mut conn, id, now).await?;
    Ok(StatusPage {
        id,
        title: format!("{} · {}", l.r.name, l.r.content.name),
        summary: l.summary(now),
        time_zone: l.tz.name().to_string(),
        environment: l.environment.clone(),
    })
}

/// Starts, completes, fails, skips or reopens a task of a run (editors
/// and admins), with a comment; a sign-off's go or no-go and a gate's
/// result need one.
#[server(prefix = "/sfn", endpoint = "act_on_cutover_task")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn act_on_cutover_task(
    run: i64,
    task: String,
    action: String,
    comment: String,
) -> Result<(), AppError> {
    use super::run::Action;
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "work on cutover runs")?;
    let action = Action::parse(&action).ok_or_else(|| {
        AppError::validation(
            "action",
            format!("'{action}' is not something to do to a task."),
        )
    })?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::runs::act(
        &mut tx,
        &Actor::user(&user, client_ip()),
        run,
        &task,
        action,
        &comment,
        ssr::now(),
    )
    .await?;
    tx.commit().await?;
    if action == Action::Start {
        // A gate that checks itself is checked as it starts.
        ssr::check_soon(&pool, run, &task).await;
    }
    ssr::back_to_run(run, &task);
    Ok(())
}

/// Checks a running gate now rather than at the next minute (editors and
/// admins).
#[server(prefix = "/sfn", endpoint = "check_cutover_gate")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn check_cutover_gate(run: i64, task: String) -> Result<(), AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    require_role(Role::Editor, "work on cutover runs")?;
    let pool = db()?;
    {
        let mut conn = pool.acquire().await?;
        let r = super::runs::get(&mut conn, run).await?;
        let Some((t, s)) = r
            .content
            .tasks
            .iter()
            .zip(&r.states)
            .find(|(t, _)| t.id == task)
        else {
            return Err(AppError::not_found(format!("Task {task} of {}", r.name)));
        };
        if t.check.is_none() || s.status != super::run::Status::Running {
            return Err(AppError::validation(
                "task",
                format!(
                    "{} is not a running gate that checks itself; start it first.",
                    t.named()
                ),
            ));
        }
    }
    ssr::check_soon(&pool, run, &task).await;
    ssr::back_to_run(run, &task);
    Ok(())
}

/// Gives a test-record gate of a run its record's key, and checks it
/// (editors and admins).
#[server(prefix = "/sfn", endpoint = "set_cutover_record_key")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_cutover_record_key(run: i64, task: String, key: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "work on cutover runs")?;
    if key.trim().is_empty() {
        return Err(AppError::validation(
            "key",
            "Give the key of the test record, e.g. US-000123.",
        ));
    }
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::runs::set_record_key(
        &mut tx,
        &Actor::user(&user, client_ip()),
        run,
        &task,
        &key,
        ssr::now(),
    )
    .await?;
    tx.commit().await?;
    ssr::check_soon(&pool, run, &task).await;
    ssr::back_to_run(run, &task);
    Ok(())
}

/// Makes the run's forecast its new baseline (editors and admins).
#[server(prefix = "/sfn", endpoint = "rebaseline_cutover_run")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn rebaseline_cutover_run(run: i64, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "work on cutover runs")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::runs::rebaseline(
        &mut tx,
        &Actor::user(&user, client_ip()),
        run,
        &comment,
        ssr::now(),
    )
    .await?;
    tx.commit().await?;
    ssr::back_to_run(run, "");
    Ok(())
}

/// Ends a run: completed, rolled back or abandoned (editors and admins).
#[server(prefix = "/sfn", endpoint = "end_cutover_run")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn end_cutover_run(run: i64, outcome: String, comment: String) -> Result<(), AppError> {
    use super::run::Outcome;
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "work on cutover runs")?;
    let outcome = Outcome::parse(&outcome).ok_or_else(|| {
        AppError::validation(
            "outcome",
            format!("'{outcome}' is not how a run ends: completed, rolled_back or abandoned."),
        )
    })?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::runs::end(
        &mut tx,
        &Actor::user(&user, client_ip()),
        run,
        outcome,
        &comment,
        ssr::now(),
    )
    .await?;
    tx.commit().await?;
    ssr::back_to_run(run, "");
    Ok(())
}
