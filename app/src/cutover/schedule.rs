//! The schedule of a plan, and the forecast of a run: a forward pass
//! through the predecessors (a task starts when all of them have ended, not
//! before its fixed start, and in a run not before now), then a backward
//! pass for each task's slack. The critical path is the set of remaining
//! tasks with no slack: the ones that move the end when they slip.
//!
//! The rollback path is scheduled apart, from the point of no return's
//! start: the latest moment a rollback can begin.

use super::{PlanContent, PlanError, Task};
use std::collections::HashMap;

/// What has happened to a task in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Actual {
    /// Not started: it is forecast.
    #[default]
    Pending,
    /// Started at this time; forecast to end after its planned duration,
    /// and not before now.
    Started(i64),
    /// Done (or failed, or skipped) between these times.
    Finished(i64, i64),
}

/// One task's computed times, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Start (planned, actual or forecast).
    pub start: i64,
    /// End.
    pub end: i64,
    /// How long it can slip before the end of its path moves (seconds).
    pub slack: i64,
    /// On the critical path: not finished and no slack.
    pub critical: bool,
    /// How far after its fixed start it is forecast to start (seconds; 0
    /// when on time or when it has no fixed start).
    pub fixed_missed: i64,
}

/// A whole plan's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// One slot per task, in the plan's order.
    pub slots: Vec<Slot>,
    /// When the last forward task ends (the freeze start for a plan with
    /// no forward task).
    pub end: i64,
    /// Indexes of the forward tasks on the critical path, by start.
    pub critical_path: Vec<usize>,
    /// When the rollback path starts: the point of no return's start.
    pub rollback_from: Option<i64>,
    /// When the rollback path would end, when the plan has one.
    pub rollback_end: Option<i64>,
}

/// The tasks' predecessors as indexes, or the first unknown ID.
fn predecessor_indexes(tasks: &[Task]) -> Result<Vec<Vec<usize>>, PlanError> {
    let ids: HashMap<&str, usize> = tasks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    tasks
        .iter()
        .map(|t| {
            t.predecessors
                .iter()
                .map(|p| {
                    ids.get(p.as_str()).copied().ok_or_else(|| {
                        (
                            format!("task {}", t.id),
                            format!("{} follows {p}, which is not in the plan.", t.named()),
                        )
                    })
                })
                .collect()
        })
        .collect()
}

/// The tasks in an order where every task comes after its predecessors
/// (plan order among equals), or the cycle that prevents one, named task
/// by task.
pub fn order(tasks: &[Task]) -> Result<Vec<usize>, PlanError> {
    let preds = predecessor_indexes(tasks)?;
    let mut succs = vec![vec![]; tasks.len()];
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    for (i, ps) in preds.iter().enumerate() {
        for &p in ps {
            succs[p].push(i);
        }
    }
    // A min-heap on the index keeps plan order among tasks that are ready.
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<usize>> = waiting
        .iter()
        .enumerate()
        .filter(|(_, w)| **w == 0)
        .map(|(i, _)| std::cmp::Reverse(i))
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    while let Some(std::cmp::Reverse(i)) = ready.pop() {
        out.push(i);
        for &s in &succs[i] {
            waiting[s] -= 1;
            if waiting[s] == 0 {
                ready.push(std::cmp::Reverse(s));
            }
        }
    }
    if out.len() == tasks.len() {
        return Ok(out);
    }
    // Every task left waits for another one left: walk back through them
    // until one repeats, and that loop is the cycle.
    let left = |i: usize| waiting[i] > 0;
    let start = (0..tasks.len()).find(|&i| left(i)).unwrap_or(0);
    let mut path = vec![start];
    let mut at = start;
    while let Some(&p) = preds[at].iter().find(|&&p| left(p)) {
        if let Some(pos) = path.iter().position(|&x| x == p) {
            path.drain(..pos);
            break;
        }
        path.push(p);
        at = p;
    }
    path.reverse();
    // Name the loop from its first task in plan order.
    if let Some(first) = path
        .iter()
        .enumerate()
        .min_by_key(|(_, i)| **i)
        .map(|(k, _)| k)
    {
        path.rotate_left(first);
    }
    let mut words: Vec<String> = path.iter().map(|&i| tasks[i].named()).collect();
    words.push(tasks[path[0]].id.clone());
    Err((
        format!("task {}", tasks[path[0]].id),
        format!(
            "The predecessors go round in a circle: {}. A task can only follow tasks that end before it starts; remove one of these links.",
            words.join(" → ")
        ),
    ))
}

/// The planned schedule of a plan (nothing has happened yet).
pub fn plan(content: &PlanContent) -> Result<Schedule, PlanError> {
    forecast(content, &[], None)
}

/// The forecast of a run: `actuals` (one per task, or empty for none)
/// pin what has happened; the rest is pushed through the predecessors and,
/// when `now` is given, starts no earlier than now.
pub fn forecast(
    content: &PlanContent,
    actuals: &[Actual],
    now: Option<i64>,
) -> Result<Schedule, PlanError> {
    let tasks = &content.tasks;
    let order = order(tasks)?;
    let preds = predecessor_indexes(tasks)?;
    let actual = |i: usize| actuals.get(i).copied().unwrap_or_default();
    let mut slots = vec![
        Slot {
            start: 0,
            end: 0,
            slack: 0,
            critical: false,
            fixed_missed: 0,
        };
        tasks.len()
    ];
    let no_return = tasks
        .iter()
        .position(|t| t.kind == super::TaskKind::NoReturn);

    // Forward pass, forward tasks first: the rollback path starts from the
    // point of no return's computed start.
    let pass = |rollback: bool, origin: i64, slots: &mut Vec<Slot>| {
        for &i in order.iter().filter(|&&i| tasks[i].rollback == rollback) {
            let t = &tasks[i];
            let length = t.minutes * 60;
            let (start, end, missed) = match actual(i) {
                Actual::Finished(s, e) => (s, e.max(s), 0),
                Actual::Started(s) => (s, (s + length).max(now.unwrap_or(s)), 0),
                Actual::Pending => {
                    let after = preds[i].iter().map(|&p| slots[p].end).max();
                    // Without predecessors a task waits for the freeze to
                    // start; a fixed start replaces that (preparation may
                    // come before the freeze).
                    let floor = now.unwrap_or(i64::MIN);
                    let start = match (t.fixed_start, after) {
                        (Some(f), Some(a)) => f.max(a),
                        (Some(f), None) => f,
                        (None, a) => a.unwrap_or(origin),
                    }
                    .max(floor);
                    let missed = t.fixed_start.map_or(0, |f| (start - f).max(0));
                    (start, start + length, missed)
                }
            };
            slots[i] = Slot {
                start,
                end,
                slack: 0,
                critical: false,
                fixed_missed: missed,
            };
        }
    };
    pass(false, content.starts_at, &mut slots);
    let rollback_from = no_return.map(|i| slots[i].start);
    pass(true, rollback_from.unwrap_or(content.starts_at), &mut slots);

    let group_end = |rollback: bool, slots: &[Slot]| {
        (0..tasks.len())
            .filter(|&i| tasks[i].rollback == rollback)
            .map(|i| slots[i].end)
            .max()
    };
    let end = group_end(false, &slots).unwrap_or(content.starts_at);
    let rollback_end = group_end(true, &slots);

    // Backward pass: the latest each task may end without moving the end
    // of its path.
    let mut latest_end: Vec<i64> = (0..tasks.len())
        .map(|i| {
            if tasks[i].rollback {
                rollback_end.unwrap_or(end)
            } else {
                end
            }
        })
        .collect();
    for &i in order.iter().rev() {
        let latest_start = latest_end[i] - (slots[i].end - slots[i].start);
        for &p in &preds[i] {
            latest_end[p] = latest_end[p].min(latest_start);
        }
    }
    for (i, slot) in slots.iter_mut().enumerate() {
        let finished = matches!(actual(i), Actual::Finished(..));
        slot.slack = if finished {
            0
        } else {
            (latest_end[i] - slot.end).max(0)
        };
        slot.critical = !finished && slot.slack == 0;
    }
    let mut critical_path: Vec<usize> = (0..tasks.len())
        .filter(|&i| !tasks[i].rollback && slots[i].critical)
        .collect();
    critical_path.sort_by_key(|&i| (slots[i].start, slots[i].end, i));
    Ok(Schedule {
        slots,
        end,
        critical_path,
        rollback_from,
        rollback_end,
    })
}

#[cfg(test)]
mod tests {
    use super::super::TaskKind;
    use super::*;

    const H: i64 = 3600;

    fn task(id: &str, minutes: i64, preds: &[&str]) -> Task {
        Task {
            id: id.into(),
            title: format!("Task {id}"),
            stage: "S".into(),
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

    fn plan_of(tasks: Vec<Task>) -> PlanContent {
        PlanContent {
            name: "Weekend".into(),
            starts_at: 0,
            ends_at: 62 * H,
            rollback_criteria: String::new(),
            silence_rules: vec![],
            tasks,
        }
    }

    fn ids(c: &PlanContent, s: &Schedule) -> Vec<String> {
        s.critical_path
            .iter()
            .map(|&i| c.tasks[i].id.clone())
            .collect()
    }

    /// A diamond: A (1 h) → B (2 h) and C (30 min) → D (1 h).
    fn diamond() -> PlanContent {
        plan_of(vec![
            task("A", 60, &[]),
            task("B", 120, &["A"]),
            task("C", 30, &["A"]),
            task("D", 60, &["B", "C"]),
        ])
    }

    #[test]
    fn a_task_starts_after_all_its_predecessors_and_the_longest_branch_is_critical() {
        let c = diamond();
        let s = plan(&c).unwrap();
        let at = |i: usize| (s.slots[i].start, s.slots[i].end);
        assert_eq!(at(0), (0, H));
        assert_eq!(at(1), (H, 3 * H));
        assert_eq!(at(2), (H, H + H / 2));
        assert_eq!(at(3), (3 * H, 4 * H));
        assert_eq!(s.end, 4 * H);
        assert_eq!(ids(&c, &s), ["A", "B", "D"]);
        // C may slip 90 minutes before D moves.
        assert_eq!(s.slots[2].slack, 90 * 60);
        assert!(!s.slots[2].critical);
    }

    #[test]
    fn a_fixed_start_waits_and_gives_its_predecessors_slack() {
        let mut c = diamond();
        // D may not start before hour 10: everything before it has slack.
        c.tasks[3].fixed_start = Some(10 * H);
        let s = plan(&c).unwrap();
        assert_eq!(s.slots[3].start, 10 * H);
        assert_eq!(s.end, 11 * H);
        assert_eq!(ids(&c, &s), ["D"]);
        assert_eq!(s.slots[1].slack, 7 * H);
        assert_eq!(s.slots[3].fixed_missed, 0);
        // A fixed start the predecessors cannot make is reported as missed.
        c.tasks[3].fixed_start = Some(2 * H);
        let s = plan(&c).unwrap();
        assert_eq!(s.slots[3].start, 3 * H);
        assert_eq!(s.slots[3].fixed_missed, H);
    }

    #[test]
    fn a_fixed_start_without_predecessors_may_come_before_the_freeze() {
        let mut c = plan_of(vec![task("P", 60, &[]), task("Q", 60, &[])]);
        c.starts_at = 5 * H;
        c.tasks[0].fixed_start = Some(2 * H);
        let s = plan(&c).unwrap();
        assert_eq!(s.slots[0].start, 2 * H);
        assert_eq!(s.slots[1].start, 5 * H);
    }

    #[test]
    fn a_late_task_moves_the_forecast_end_and_an_early_one_keeps_the_fixed_end() {
        let c = diamond();
        // B finished 2 h late: D and the end move by 2 h.
        let actuals = [
            Actual::Finished(0, H),
            Actual::Finished(H, 5 * H),
            Actual::Finished(H, H + H / 2),
            Actual::Pending,
        ];
        let s = forecast(&c, &actuals, Some(5 * H)).unwrap();
        assert_eq!(s.slots[3].start, 5 * H);
        assert_eq!(s.end, 6 * H);
        assert_eq!(ids(&c, &s), ["D"]);
        // A task running past its duration pushes its successors to now.
        let actuals = [
            Actual::Finished(0, H),
            Actual::Started(H),
            Actual::Finished(H, H + H / 2),
        ];
        let s = forecast(&c, &actuals, Some(4 * H)).unwrap();
        assert_eq!(s.slots[1].end, 4 * H, "B still running at hour 4");
        assert_eq!(s.end, 5 * H);
        // Nothing started yet, but the run began an hour late.
        let s = forecast(&c, &[], Some(H)).unwrap();
        assert_eq!(s.end, 5 * H);
    }

    #[test]
    fn a_cycle_is_refused_with_every_task_in_it_named() {
        let c = plan_of(vec![
            task("A", 60, &[]),
            task("B", 60, &["A", "D"]),
            task("C", 60, &["B"]),
            task("D", 60, &["C"]),
        ]);
        let (field, msg) = plan(&c).unwrap_err();
        assert_eq!(field, "task B");
        assert!(
            msg.contains("B (Task B) → C (Task C) → D (Task D) → B"),
            "{msg}"
        );
        let c = plan_of(vec![task("A", 60, &["A"])]);
        assert!(plan(&c).unwrap_err().1.contains("A (Task A) → A"));
    }

    #[test]
    fn a_missing_predecessor_is_refused_by_name() {
        let c = plan_of(vec![task("A", 60, &["Z9"])]);
        let (field, msg) = plan(&c).unwrap_err();
        assert_eq!(field, "task A");
        assert!(
            msg.contains("follows Z9, which is not in the plan"),
            "{msg}"
        );
    }

    #[test]
    fn the_rollback_path_runs_from_the_point_of_no_return() {
        let mut ponr = task("N", 0, &["B"]);
        ponr.kind = TaskKind::NoReturn;
        let mut r1 = task("R1", 60, &[]);
        r1.rollback = true;
        let mut r2 = task("R2", 120, &["R1"]);
        r2.rollback = true;
        let mut c = diamond();
        c.tasks.extend([ponr, r1, r2]);
        let s = plan(&c).unwrap();
        assert_eq!(s.rollback_from, Some(3 * H));
        assert_eq!(s.slots[5].start, 3 * H);
        assert_eq!(s.rollback_end, Some(6 * H));
        // The rollback path does not count towards the end or the path.
        assert_eq!(s.end, 4 * H);
        assert!(ids(&c, &s).iter().all(|id| !id.starts_with('R')));
    }

    #[test]
    fn five_hundred_tasks_schedule_in_plan_order_among_equals() {
        let mut tasks = vec![];
        for i in 0..500_usize {
            let preds: Vec<String> = [i.checked_sub(1), i.checked_sub(7)]
                .into_iter()
                .flatten()
                .map(|p: usize| format!("T{p}"))
                .collect();
            let refs: Vec<&str> = preds.iter().map(String::as_str).collect();
            tasks.push(task(&format!("T{i}"), 10, &refs));
        }
        let c = plan_of(tasks);
        let o = order(&c.tasks).unwrap();
        assert_eq!(o, (0..500).collect::<Vec<_>>());
        assert_eq!(plan(&c).unwrap().end, 500 * 600);
    }
}
