//! After a run: each task planned against actual, as the printable report
//! and its CSV show it; two runs of a plan side by side (which tasks took
//! longer, and by how much); and the durations a plan should take from a
//! run, so the next rehearsal plans what really happened rather than what
//! was hoped.

use super::run::{Action, Baseline, Status, TaskState};
use super::runs::Decided;
use super::{PlanContent, Task, TaskKind, duration};
use crate::csv_cell::record;
use chrono_tz::Tz;
use std::collections::HashMap;

/// A change to a plan's duration smaller than this many minutes is noise.
const NOISE_MINUTES: i64 = 5;

/// Minutes a task took: done tasks only (a skipped one did not run),
/// rounded up so that a task done within a minute counts as one.
pub fn took(state: &TaskState) -> Option<i64> {
    match (state.status, state.started_at, state.ended_at) {
        (Status::Done, Some(s), Some(e)) => Some(((e - s).max(0) + 59) / 60),
        _ => None,
    }
}

/// One task of a run, planned against actual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// The task as run.
    pub task: &'a Task,
    /// Where it ended up.
    pub state: TaskState,
    /// Its baseline start and end (Unix seconds).
    pub planned: (i64, i64),
    /// Minutes it took, when done.
    pub took: Option<i64>,
    /// Minutes longer than planned (negative: shorter), when done.
    pub over: Option<i64>,
    /// Minutes it started after its baseline start (negative: before).
    pub started_late: Option<i64>,
}

/// Every task of a run, in plan order.
pub fn lines<'a>(
    content: &'a PlanContent,
    baseline: &Baseline,
    states: &[TaskState],
) -> Vec<Line<'a>> {
    content
        .tasks
        .iter()
        .zip(states)
        .map(|(task, &state)| {
            let planned = baseline.get(&task.id).copied().unwrap_or((0, 0));
            let took = took(&state);
            let planned_minutes = (planned.1 - planned.0) / 60;
            Line {
                task,
                state,
                planned,
                took,
                over: took.map(|t| t - planned_minutes),
                started_late: state.started_at.map(|s| (s - planned.0) / 60),
            }
        })
        .collect()
}

/// A difference in minutes with its sign: "+25 min", "−5 min", "0 min".
pub fn signed(minutes: i64) -> String {
    if minutes > 0 {
        format!("+{}", duration::words(minutes))
    } else {
        duration::words(minutes)
    }
}

/// What a task's status says for its kind: a gate "Passed", a sign-off
/// "No-go", a task "Done".
pub fn status_words(kind: TaskKind, status: Status) -> String {
    match (status, kind) {
        (Status::Done, TaskKind::Gate | TaskKind::Signoff) => {
            Action::Complete.label_for(kind).to_string()
        }
        (Status::Failed, TaskKind::Gate | TaskKind::Signoff) => {
            Action::Fail.label_for(kind).to_string()
        }
        (s, _) => s.label().to_string(),
    }
}

/// How a finished gate or sign-off was decided, for the report.
pub fn decided_words(task: &Task, state: &TaskState, decided: Option<Decided>) -> &'static str {
    match (task.kind, state.status.is_finished(), decided) {
        (_, true, Some(Decided::Check)) => "by its check",
        (_, true, Some(Decided::Override)) => "by a person's override",
        (TaskKind::Gate | TaskKind::Signoff, true, None) => "by a person",
        _ => "",
    }
}

/// The CSV columns of a run's report.
pub const CSV_COLUMNS: &[&str] = &[
    "ID",
    "Title",
    "Stage",
    "Type",
    "Rollback",
    "Owner",
    "Backup owner",
    "Status",
    "Planned start",
    "Planned end",
    "Planned duration",
    "Actual start",
    "Actual end",
    "Actual duration",
    "Over plan",
    "Started late",
    "Decided",
    "Last comment",
    "Comment by",
    "Comment at",
];

/// A run's report as CSV, times in `tz`: one row per task, durations in
/// whole minutes so a spreadsheet can sum them.
pub fn csv(
    lines: &[Line<'_>],
    decided: &HashMap<String, Decided>,
    comments: &HashMap<String, (String, i64, String)>,
    tz: Tz,
) -> String {
    let time = |t: Option<i64>| t.map(|t| crate::zone::write(t, tz)).unwrap_or_default();
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut out = record(CSV_COLUMNS.iter().copied());
    for l in lines {
        let t = l.task;
        let (by, at, text) = comments
            .get(&t.id)
            .map(|(by, at, text)| (by.as_str(), time(Some(*at)), text.as_str()))
            .unwrap_or_default();
        out.push_str(&record([
            t.id.as_str(),
            &t.title,
            &t.stage,
            t.kind.label(),
            if t.rollback { "yes" } else { "" },
            &t.owner,
            &t.backup_owner,
            &status_words(t.kind, l.state.status),
            &time(Some(l.planned.0)),
            &time(Some(l.planned.1)),
            &((l.planned.1 - l.planned.0) / 60).to_string(),
            &time(l.state.started_at),
            &time(l.state.ended_at.filter(|_| l.state.status.is_finished())),
            &number(l.took),
            &number(l.over),
            &number(l.started_late),
            decided_words(t, &l.state, decided.get(&t.id).copied()),
            text,
            by,
            &at,
        ]));
    }
    out
}

/// One task in two runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    /// The task's ID (tasks are matched by it).
    pub id: String,
    /// Its title in the later run (or the earlier, if only there).
    pub title: String,
    /// Its stage.
    pub stage: String,
    /// Minutes planned in the later run.
    pub planned: Option<i64>,
    /// Minutes it took in the earlier run.
    pub a: Option<i64>,
    /// Minutes it took in the later run.
    pub b: Option<i64>,
}

impl Compared {
    /// How much longer the later run took (negative: shorter).
    pub fn delta(&self) -> Option<i64> {
        Some(self.b? - self.a?)
    }
}

/// Two runs compared task by task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Tasks done in both, the most longer first; then the rest.
    pub rows: Vec<Compared>,
    /// Minutes from the first start to the last end of each run's
    /// forward tasks (none: nothing was done).
    pub elapsed: (Option<i64>, Option<i64>),
}

/// Minutes from the first forward task's start to the last one's end
/// (none: nothing was done).
pub fn elapsed(content: &PlanContent, states: &[TaskState]) -> Option<i64> {
    let done = content
        .tasks
        .iter()
        .zip(states)
        .filter(|(t, s)| !t.rollback && s.status.is_finished());
    let first = done.clone().filter_map(|(_, s)| s.started_at).min()?;
    let last = done.filter_map(|(_, s)| s.ended_at).max()?;
    Some((last - first).max(0) / 60)
}

/// What each task of a run took, by ID (none: not done).
fn took_by_id<'a>(c: &'a PlanContent, states: &[TaskState]) -> HashMap<&'a str, Option<i64>> {
    c.tasks
        .iter()
        .zip(states)
        .map(|(t, s)| (t.id.as_str(), took(s)))
        .collect()
}

/// Run `a` (say a rehearsal) against run `b` (the next rehearsal or the
/// live run), task by task.
pub fn compare(a: (&PlanContent, &[TaskState]), b: (&PlanContent, &[TaskState])) -> Comparison {
    let (in_a, in_b) = (took_by_id(a.0, a.1), took_by_id(b.0, b.1));
    let mut rows: Vec<Compared> =
        b.0.tasks
            .iter()
            .map(|t| Compared {
                id: t.id.clone(),
                title: t.title.clone(),
                stage: t.stage.clone(),
                planned: Some(t.minutes),
                a: in_a.get(t.id.as_str()).copied().flatten(),
                b: in_b.get(t.id.as_str()).copied().flatten(),
            })
            .collect();
    rows.extend(
        a.0.tasks
            .iter()
            .filter(|t| !in_b.contains_key(t.id.as_str()))
            .map(|t| Compared {
                id: t.id.clone(),
                title: t.title.clone(),
                stage: t.stage.clone(),
                planned: None,
                a: in_a.get(t.id.as_str()).copied().flatten(),
                b: None,
            }),
    );
    // Stable: tasks without both figures keep plan order after the rest.
    rows.sort_by_key(|r| match r.delta() {
        Some(d) => (0, -d),
        None => (1, 0),
    });
    Comparison {
        rows,
        elapsed: (elapsed(a.0, a.1), elapsed(b.0, b.1)),
    }
}

/// A duration a plan should change after a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// The task's ID.
    pub id: String,
    /// Its title in the plan.
    pub title: String,
    /// Minutes the plan has now.
    pub from: i64,
    /// Minutes the run took.
    pub to: i64,
}

/// The plan's tasks whose duration a run showed wrong: done in the run
/// (matched by ID), taking at least 5 minutes and a tenth more or less
/// than the plan now says. Milestones and the point of no return take no
/// time by design and are left alone.
pub fn adjustments(plan: &PlanContent, run: &PlanContent, states: &[TaskState]) -> Vec<Adjustment> {
    let took = took_by_id(run, states);
    plan.tasks
        .iter()
        .filter(|t| !matches!(t.kind, TaskKind::Milestone | TaskKind::NoReturn))
        .filter_map(|t| {
            // A task done within the minute still takes some time.
            let to = (*took.get(t.id.as_str())?)?.max(1);
            let gap = (to - t.minutes).abs();
            (gap >= NOISE_MINUTES && gap * 10 >= t.minutes).then(|| Adjustment {
                id: t.id.clone(),
                title: t.title.clone(),
                from: t.minutes,
                to,
            })
        })
        .collect()
}

/// The plan with these durations.
pub fn adopt(mut plan: PlanContent, changes: &[Adjustment]) -> PlanContent {
    for c in changes {
        if let Some(t) = plan.tasks.iter_mut().find(|t| t.id == c.id) {
            t.minutes = c.to;
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cutover::run;

    fn task(id: &str, minutes: i64, kind: TaskKind, after: &[&str]) -> Task {
        Task {
            id: id.into(),
            title: format!("Task {id}"),
            stage: "Friday".into(),
            instructions: String::new(),
            owner: String::new(),
            backup_owner: String::new(),
            team: String::new(),
            minutes,
            fixed_start: None,
            kind,
            predecessors: after.iter().map(|s| s.to_string()).collect(),
            rollback: false,
            check: None,
        }
    }

    fn plan() -> PlanContent {
        PlanContent {
            name: "Weekend".into(),
            starts_at: 1_000_000,
            ends_at: 1_000_000 + 48 * 3600,
            tasks: vec![
                task("A", 60, TaskKind::Task, &[]),
                task("B", 30, TaskKind::Gate, &["A"]),
                task("M", 0, TaskKind::Milestone, &["B"]),
                task("C", 120, TaskKind::Task, &["M"]),
            ],
            rollback_criteria: String::new(),
            silence_rules: vec![],
        }
    }

    fn done(start: i64, minutes: i64) -> TaskState {
        TaskState {
            status: Status::Done,
            started_at: Some(start),
            ended_at: Some(start + minutes * 60),
        }
    }

    #[test]
    fn a_report_line_says_how_much_longer_and_how_late() {
        let p = plan();
        let base = run::baseline(&p, None).unwrap();
        let t0 = p.starts_at;
        // A starts 10 min late and takes 90; B takes 20 seconds.
        let states = vec![
            done(t0 + 600, 90),
            TaskState {
                status: Status::Done,
                started_at: Some(t0 + 6000),
                ended_at: Some(t0 + 6020),
            },
            TaskState::PENDING,
            TaskState {
                status: Status::Skipped,
                started_at: Some(t0 + 6020),
                ended_at: Some(t0 + 6020),
            },
        ];
        let l = lines(&p, &base, &states);
        assert_eq!(
            (l[0].took, l[0].over, l[0].started_late),
            (Some(90), Some(30), Some(10))
        );
        assert_eq!((l[1].took, l[1].over), (Some(1), Some(-29)));
        assert_eq!((l[2].took, l[2].started_late), (None, None));
        assert_eq!(l[3].took, None, "a skipped task did not run");
        assert_eq!(signed(30), "+30 min");
        assert_eq!(signed(-29), "−29 min");
        assert_eq!(status_words(TaskKind::Gate, Status::Done), "Passed");
        assert_eq!(status_words(TaskKind::Signoff, Status::Failed), "No-go");
        assert_eq!(status_words(TaskKind::Task, Status::Done), "Done");
    }

    #[test]
    fn the_csv_has_a_row_per_task_with_minutes_and_who_decided() {
        let p = plan();
        let base = run::baseline(&p, None).unwrap();
        let t0 = p.starts_at;
        let states = vec![
            done(t0, 90),
            done(t0 + 5400, 30),
            TaskState::PENDING,
            TaskState::PENDING,
        ];
        let l = lines(&p, &base, &states);
        let decided = HashMap::from([("B".to_string(), Decided::Override)]);
        let comments = HashMap::from([(
            "B".to_string(),
            (
                "Ada".to_string(),
                t0 + 7200,
                "=drift 0, by hand".to_string(),
            ),
        )]);
        let text = csv(&l, &decided, &comments, chrono_tz::UTC);
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 5);
        assert!(rows[0].starts_with("ID,Title,Stage,Type"));
        assert!(
            rows[1].starts_with("A,Task A,Friday,Task,,,,Done,"),
            "{}",
            rows[1]
        );
        assert!(
            rows[1].contains(",60,") && rows[1].contains(",90,30,0,"),
            "{}",
            rows[1]
        );
        // A comment that a spreadsheet would run is neutralised.
        assert!(
            rows[2].contains("Passed")
                && rows[2].contains("by a person's override,\"'=drift 0, by hand\",Ada,"),
            "{}",
            rows[2]
        );
        assert!(rows[3].contains("Not started"), "{}", rows[3]);
    }

    #[test]
    fn two_runs_compare_task_by_task_the_most_longer_first() {
        let a = plan();
        let mut b = plan();
        b.tasks.push(task("D", 15, TaskKind::Task, &["C"]));
        let t0 = a.starts_at;
        let sa = vec![
            done(t0, 60),
            done(t0 + 3600, 30),
            done(t0 + 5400, 0),
            done(t0 + 5400, 100),
        ];
        let sb = vec![
            done(t0, 75),
            done(t0 + 4500, 20),
            done(t0 + 5700, 0),
            done(t0 + 5700, 160),
            TaskState::PENDING,
        ];
        let c = compare((&a, &sa), (&b, &sb));
        let order: Vec<(&str, Option<i64>)> =
            c.rows.iter().map(|r| (r.id.as_str(), r.delta())).collect();
        assert_eq!(
            order,
            vec![
                ("C", Some(60)),
                ("A", Some(15)),
                ("M", Some(0)),
                ("B", Some(-10)),
                ("D", None)
            ]
        );
        assert_eq!(c.elapsed, (Some(190), Some(255)));
    }

    #[test]
    fn a_plan_takes_the_durations_a_run_showed_wrong_and_leaves_the_noise() {
        let p = plan();
        let t0 = p.starts_at;
        // A took 62 (2 min off: noise), B 45 (15 over), M is a milestone,
        // C took 100 (20 under, a sixth).
        let states = vec![done(t0, 62), done(t0, 45), done(t0, 7), done(t0, 100)];
        let changes = adjustments(&p, &p, &states);
        let got: Vec<(&str, i64, i64)> = changes
            .iter()
            .map(|c| (c.id.as_str(), c.from, c.to))
            .collect();
        assert_eq!(got, vec![("B", 30, 45), ("C", 120, 100)]);
        let adopted = adopt(p, &changes);
        assert_eq!(adopted.tasks[1].minutes, 45);
        assert_eq!(adopted.tasks[3].minutes, 100);
        assert_eq!(adopted.tasks[0].minutes, 60);
        // Once adopted, the same run asks for nothing more.
        assert!(adjustments(&adopted, &adopted, &states).is_empty());
    }
}
