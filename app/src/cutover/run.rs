//! Runs of a plan — rehearsals and the live weekend — as pure logic: the
//! plan copied and moved to the run's start, what each action does to a
//! task (and what it is refused for), and the forecast: actuals pushed
//! through the predecessors, each task's lateness against the baseline,
//! the stage, the share done, what is blocked and what is next.

use super::schedule::{self, Actual};
use super::{PlanContent, PlanError, TaskKind};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A rehearsal (a mock cutover) or the live weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A mock cutover: same steps and timing, another date.
    Rehearsal,
    /// The weekend itself.
    Live,
}

str_enum!(RunKind {
    Rehearsal => "rehearsal", "Rehearsal";
    Live => "live", "Live";
});

/// Where a task of a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not started.
    Pending,
    /// Started, not finished.
    Running,
    /// Finished (a gate passed, a sign-off said go).
    Done,
    /// Failed (a gate failed, a sign-off said no-go): its successors wait
    /// until it is started again and done, or skipped.
    Failed,
    /// Not done on purpose, with the reason.
    Skipped,
}

str_enum!(Status {
    Pending => "pending", "Not started";
    Running => "running", "Running";
    Done => "done", "Done";
    Failed => "failed", "Failed";
    Skipped => "skipped", "Skipped";
});

impl Status {
    /// Whether the task no longer holds its successors back.
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Done | Status::Skipped)
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every step done: the systems are live (or the rehearsal went through).
    Completed,
    /// Rolled back before the point of no return.
    RolledBack,
    /// Stopped for another reason.
    Abandoned,
}

str_enum!(Outcome {
    Completed => "completed", "Completed";
    RolledBack => "rolled_back", "Rolled back";
    Abandoned => "abandoned", "Abandoned";
});

/// What a person does to a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Start it (again, after a failure).
    Start,
    /// Finish it; for a sign-off, go.
    Complete,
    /// It failed; for a sign-off, no-go.
    Fail,
    /// Leave it out, with the reason.
    Skip,
    /// Undo a click made by mistake: back to not started, while nothing
    /// after it has moved.
    Reopen,
}

str_enum!(Action {
    Start => "start", "Start";
    Complete => "complete", "Complete";
    Fail => "fail", "Fail";
    Skip => "skip", "Skip";
    Reopen => "reopen", "Reopen";
});

impl Action {
    /// The words of the action for a task of `kind` ("Go" for a sign-off).
    pub fn label_for(self, kind: TaskKind) -> &'static str {
        match (self, kind) {
            (Action::Complete, TaskKind::Signoff) => "Go",
            (Action::Fail, TaskKind::Signoff) => "No-go",
            (Action::Complete, TaskKind::Gate) => "Passed",
            (Action::Complete, TaskKind::Milestone | TaskKind::NoReturn) => "Reached",
            (a, _) => a.label(),
        }
    }

    /// Whether the action needs a comment: a decision or a deviation is
    /// kept with its reason.
    pub fn needs_comment(self, kind: TaskKind) -> bool {
        match self {
            Action::Fail | Action::Skip => true,
            Action::Complete => matches!(kind, TaskKind::Signoff | TaskKind::Gate),
            Action::Start | Action::Reopen => false,
        }
    }
}

/// One task's state in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// Where it stands.
    pub status: Status,
    /// When it was started (Unix seconds).
    pub started_at: Option<i64>,
    /// When it was finished, failed or skipped.
    pub ended_at: Option<i64>,
}

impl TaskState {
    /// Not started.
    pub const PENDING: TaskState = TaskState {
        status: Status::Pending,
        started_at: None,
        ended_at: None,
    };

    /// What the forecast takes as given.
    pub fn actual(&self) -> Actual {
        match (self.status, self.started_at, self.ended_at) {
            (Status::Done | Status::Skipped, Some(s), Some(e)) => Actual::Finished(s, e),
            (Status::Running | Status::Failed, Some(s), _) => Actual::Started(s),
            _ => Actual::Pending,
        }
    }
}

/// The plan moved by `offset` seconds (a rehearsal on another date keeps
/// the plan's timing).
pub fn shifted(plan: &PlanContent, offset: i64) -> PlanContent {
    let mut p = plan.clone();
    p.starts_at += offset;
    p.ends_at += offset;
    for t in &mut p.tasks {
        if let Some(f) = &mut t.fixed_start {
            *f += offset;
        }
    }
    p
}

/// The planned (start, end) of every task, by ID: a run's baseline.
pub type Baseline = HashMap<String, (i64, i64)>;

/// The baseline of `plan` as scheduled, or as forecast from `states` at
/// `now` when re-baselining.
pub fn baseline(
    plan: &PlanContent,
    states: Option<(&[TaskState], i64)>,
) -> Result<Baseline, PlanError> {
    let s = match states {
        None => schedule::plan(plan)?,
        Some((states, now)) => {
            let actuals: Vec<Actual> = states.iter().map(TaskState::actual).collect();
            schedule::forecast(plan, &actuals, Some(now))?
        }
    };
    Ok(plan
        .tasks
        .iter()
        .zip(&s.slots)
        .map(|(t, slot)| (t.id.clone(), (slot.start, slot.end)))
        .collect())
}

/// What `action` makes of task `i` at `now`, or why it is refused.
pub fn act(
    plan: &PlanContent,
    states: &[TaskState],
    i: usize,
    action: Action,
    now: i64,
) -> Result<TaskState, String> {
    let t = &plan.tasks[i];
    let cur = states[i];
    let waiting: Vec<&str> = t
        .predecessors
        .iter()
        .filter(|p| {
            plan.tasks
                .iter()
                .position(|x| &x.id == *p)
                .is_some_and(|j| !states[j].status.is_finished())
        })
        .map(String::as_str)
        .collect();
    let wait_msg = || {
        format!(
            "{} waits for {}: complete or skip {} first.",
            t.named(),
            waiting.join(", "),
            if waiting.len() == 1 { "it" } else { "them" }
        )
    };
    let no_return_passed = t.rollback
        && plan
            .tasks
            .iter()
            .zip(states)
            .any(|(x, s)| x.kind == TaskKind::NoReturn && s.status == Status::Done);
    let refuse = |what: &str| {
        Err(format!(
            "{} is {}: it cannot be {what}.",
            t.named(),
            cur.status.label().to_lowercase()
        ))
    };
    match action {
        Action::Start => {
            if !matches!(cur.status, Status::Pending | Status::Failed) {
                return refuse("started");
            }
            if !waiting.is_empty() {
                return Err(wait_msg());
            }
            if no_return_passed {
                return Err(format!(
                    "{} is a rollback step, and the point of no return has passed.",
                    t.named()
                ));
            }
            Ok(TaskState {
                status: Status::Running,
                started_at: Some(now),
                ended_at: None,
            })
        }
        Action::Complete => {
            let started_at = match cur.status {
                Status::Running => cur.started_at.unwrap_or(now),
                Status::Pending => {
                    if !waiting.is_empty() {
                        return Err(wait_msg());
                    }
                    // Never clicked "start": count it as started when its
                    // predecessors ended, or its planned duration ago if later.
                    let after = t
                        .predecessors
                        .iter()
                        .filter_map(|p| plan.tasks.iter().position(|x| &x.id == p))
                        .filter_map(|j| states[j].ended_at)
                        .max();
                    let planned = now - t.minutes * 60;
                    after.map_or(planned, |a| a.max(planned)).min(now)
                }
                _ => return refuse("completed"),
            };
            Ok(TaskState {
                status: Status::Done,
                started_at: Some(started_at),
                ended_at: Some(now),
            })
        }
        Action::Fail => {
            if !matches!(cur.status, Status::Pending | Status::Running) {
                return refuse("failed");
            }
            Ok(TaskState {
                status: Status::Failed,
                started_at: Some(cur.started_at.unwrap_or(now)),
                ended_at: Some(now),
            })
        }
        Action::Skip => {
            if !matches!(cur.status, Status::Pending | Status::Failed) {
                return refuse("skipped");
            }
            Ok(TaskState {
                status: Status::Skipped,
                started_at: Some(now),
                ended_at: Some(now),
            })
        }
        Action::Reopen => {
            if cur.status == Status::Pending {
                return refuse("reopened");
            }
            let moved: Vec<&str> = plan
                .tasks
                .iter()
                .zip(states)
                .filter(|(x, s)| x.predecessors.contains(&t.id) && s.status != Status::Pending)
                .map(|(x, _)| x.id.as_str())
                .collect();
            if !moved.is_empty() {
                return Err(format!(
                    "{} cannot be reopened: {} after it already moved.",
                    t.named(),
                    moved.join(", ")
                ));
            }
            Ok(TaskState::PENDING)
        }
    }
}

/// One task of a run as its pages show it (times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskForecast {
    /// Its state.
    pub state: TaskState,
    /// Baseline start and end.
    pub planned: (i64, i64),
    /// Actual where it happened, forecast where not.
    pub forecast: (i64, i64),
    /// How much later than the baseline it ends (negative: earlier).
    pub late_by: i64,
    /// On the critical path (remaining tasks only).
    pub critical: bool,
    /// Whether every predecessor is finished.
    pub startable: bool,
    /// Whether a predecessor failed.
    pub blocked: bool,
}

/// A run computed at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forecast {
    /// One per task, in plan order.
    pub tasks: Vec<TaskForecast>,
    /// When the last forward task is forecast to end.
    pub end: i64,
    /// When it was planned to end.
    pub planned_end: i64,
    /// How late the run is where work stands (the running and startable
    /// tasks, the latest of them; the end once everything is finished):
    /// a fixed unfreeze can absorb a late Friday, the manager still wants
    /// to know it. Negative: ahead.
    pub late: i64,
    /// Forward tasks finished, and all forward tasks.
    pub done: (usize, usize),
    /// The stage being worked on (of the earliest running or next task).
    pub stage: Option<String>,
}

/// "Behind by 1 h 15 min", "Ahead by 20 min" or "On time" for a run
/// `late` seconds late, and whether behind; within a minute is on time.
pub fn schedule_words(late: i64) -> (String, bool) {
    let words = super::duration::span_words;
    if late >= 60 {
        (format!("Behind by {}", words(late)), true)
    } else if late <= -60 {
        (format!("Ahead by {}", words(-late)), false)
    } else {
        ("On time".into(), false)
    }
}

/// The run's forecast at `now`.
pub fn forecast(
    plan: &PlanContent,
    baseline: &Baseline,
    states: &[TaskState],
    now: i64,
) -> Result<Forecast, PlanError> {
    let actuals: Vec<Actual> = states.iter().map(TaskState::actual).collect();
    let s = schedule::forecast(plan, &actuals, Some(now))?;
    let index: HashMap<&str, usize> = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let status = |id: &str| index.get(id).map(|&j| states[j].status);
    let finished = |id: &str| status(id).is_some_and(Status::is_finished);
    let failed = |id: &str| status(id) == Some(Status::Failed);
    let mut tasks = Vec::with_capacity(plan.tasks.len());
    for (i, t) in plan.tasks.iter().enumerate() {
        let slot = s.slots[i];
        let planned = baseline
            .get(&t.id)
            .copied()
            .unwrap_or((slot.start, slot.end));
        tasks.push(TaskForecast {
            state: states[i],
            planned,
            forecast: (slot.start, slot.end),
            late_by: slot.end - planned.1,
            critical: slot.critical && !t.rollback,
            startable: t.predecessors.iter().all(|p| finished(p)),
            blocked: t.predecessors.iter().any(|p| failed(p)),
        });
    }
    let forward: Vec<usize> = (0..plan.tasks.len())
        .filter(|&i| !plan.tasks[i].rollback)
        .collect();
    let done = forward
        .iter()
        .filter(|&&i| states[i].status.is_finished())
        .count();
    let planned_end = forward
        .iter()
        .map(|&i| tasks[i].planned.1)
        .max()
        .unwrap_or(plan.starts_at);
    let frontier = forward
        .iter()
        .filter(|&&i| {
            let st = states[i].status;
            matches!(st, Status::Running | Status::Failed)
                || (st == Status::Pending && tasks[i].startable)
        })
        .map(|&i| tasks[i].late_by)
        .max();
    let late = frontier.unwrap_or(s.end - planned_end);
    // The stage in hand: the earliest running task's, else the earliest
    // forecast task not finished.
    let stage = forward
        .iter()
        .filter(|&&i| matches!(states[i].status, Status::Running | Status::Failed))
        .min_by_key(|&&i| (tasks[i].forecast.0, i))
        .or_else(|| {
            forward
                .iter()
                .filter(|&&i| !states[i].status.is_finished())
                .min_by_key(|&&i| (tasks[i].forecast.0, i))
        })
        .map(|&i| plan.tasks[i].stage.clone());
    Ok(Forecast {
        tasks,
        end: s.end,
        planned_end,
        late,
        done: (done, forward.len()),
        stage,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cutover::Task;

    const H: i64 = 3600;

    fn task(id: &str, minutes: i64, preds: &[&str]) -> Task {
        Task {
            id: id.into(),
            title: format!("Task {id}"),
            stage: if id < "C" { "One".into() } else { "Two".into() },
            instructions: String::new(),
            owner: String::new(),
            backup_owner: String::new(),
            team: String::new(),
            minutes,
            fixed_start: None,
            kind: TaskKind::Task,
            predecessors: preds.iter().map(|p| p.to_string()).collect(),
            rollback: false,
            check: None,
        }
    }

    /// A (1 h) → B (2 h) → C (1 h), from hour 0; deadline hour 6.
    fn chain() -> PlanContent {
        PlanContent {
            name: "W".into(),
            starts_at: 0,
            ends_at: 6 * H,
            rollback_criteria: String::new(),
            silence_rules: vec![],
            tasks: vec![
                task("A", 60, &[]),
                task("B", 120, &["A"]),
                task("C", 60, &["B"]),
            ],
        }
    }

    fn run(plan: &PlanContent, steps: &[(usize, Action, i64)]) -> Vec<TaskState> {
        let mut states = vec![TaskState::PENDING; plan.tasks.len()];
        for &(i, a, at) in steps {
            states[i] = act(plan, &states, i, a, at).unwrap();
        }
        states
    }

    #[test]
    fn a_rehearsal_keeps_the_timing_on_another_date() {
        let mut p = chain();
        p.tasks[2].fixed_start = Some(4 * H);
        let r = shifted(&p, -7 * 86_400);
        assert_eq!(r.starts_at, -7 * 86_400);
        assert_eq!(r.tasks[2].fixed_start, Some(4 * H - 7 * 86_400));
        let b = baseline(&r, None).unwrap();
        assert_eq!(b["C"], (4 * H - 7 * 86_400, 5 * H - 7 * 86_400));
    }

    #[test]
    fn a_late_task_turns_the_run_behind_and_moves_the_forecast_end() {
        let p = chain();
        let b = baseline(&p, None).unwrap();
        // A on time; B started on time but still running at hour 4 (1 h late).
        let states = run(
            &p,
            &[
                (0, Action::Start, 0),
                (0, Action::Complete, H),
                (1, Action::Start, H),
            ],
        );
        let f = forecast(&p, &b, &states, 4 * H).unwrap();
        assert_eq!(f.planned_end, 4 * H);
        assert_eq!(f.end, 5 * H, "C after B, which ends now at the earliest");
        assert_eq!(f.tasks[2].late_by, H);
        assert_eq!(f.late, H, "B, running, ends an hour late");
        assert_eq!(f.done, (1, 3));
        assert_eq!(f.stage.as_deref(), Some("One"));
        assert!(f.tasks[1].critical && f.tasks[2].critical);
        // Re-baselining makes the forecast the plan.
        let b2 = baseline(&p, Some((&states, 4 * H))).unwrap();
        assert_eq!(
            forecast(&p, &b2, &states, 4 * H).unwrap().tasks[2].late_by,
            0
        );
    }

    #[test]
    fn each_action_is_refused_where_it_makes_no_sense() {
        let p = chain();
        let states = run(&p, &[]);
        let err = act(&p, &states, 1, Action::Start, 0).unwrap_err();
        assert_eq!(err, "B (Task B) waits for A: complete or skip it first.");
        assert!(
            act(&p, &states, 0, Action::Reopen, 0)
                .unwrap_err()
                .contains("not started")
        );
        let states = run(&p, &[(0, Action::Complete, 2 * H)]);
        // Completed without a start: counted from its planned duration ago.
        assert_eq!(states[0].started_at, Some(H));
        assert!(
            act(&p, &states, 0, Action::Start, 0)
                .unwrap_err()
                .contains("is done")
        );
        // B failed: C is blocked until B is started again and done, or skipped.
        let states = run(
            &p,
            &[
                (0, Action::Complete, H),
                (1, Action::Start, H),
                (1, Action::Fail, 2 * H),
            ],
        );
        let b = baseline(&p, None).unwrap();
        let f = forecast(&p, &b, &states, 2 * H).unwrap();
        assert!(f.tasks[2].blocked && !f.tasks[2].startable);
        assert!(act(&p, &states, 2, Action::Start, 2 * H).is_err());
        let skipped = act(&p, &states, 1, Action::Skip, 3 * H).unwrap();
        assert_eq!(skipped.status, Status::Skipped);
        // A cannot be reopened once B moved.
        assert!(
            act(&p, &states, 0, Action::Reopen, 3 * H)
                .unwrap_err()
                .contains("B after it already moved")
        );
    }

    #[test]
    fn rollback_steps_stop_at_the_point_of_no_return() {
        let mut p = chain();
        let mut n = task("N", 0, &["A"]);
        n.kind = TaskKind::NoReturn;
        let mut r = task("R", 30, &[]);
        r.rollback = true;
        p.tasks.extend([n, r]);
        let states = run(&p, &[(0, Action::Complete, H)]);
        assert!(act(&p, &states, 4, Action::Start, H).is_ok());
        let states = run(&p, &[(0, Action::Complete, H), (3, Action::Complete, H)]);
        let err = act(&p, &states, 4, Action::Start, H).unwrap_err();
        assert!(err.contains("point of no return has passed"), "{err}");
    }
}
