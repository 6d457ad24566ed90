//! The run store: `cutover_runs` (a plan's copy with its baseline),
//! `cutover_run_tasks` (where each task stands) and `cutover_run_events`
//! (who did what, when and why). Every action is also an audit entry.

use super::Plan;
use super::PlanContent;
use super::run::{self, Action, Baseline, Outcome, RunKind, Status, TaskState};
use crate::audit::server::{Actor, Event, record};
use crate::db::Conn;
use crate::error::AppError;

/// Object type of runs in the audit log.
pub const OBJECT: &str = "cutover_run";

/// One event of a run as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    /// The task, or none for the run's own events.
    pub task_id: Option<String>,
    /// start, complete, fail, skip, reopen, rebaseline, end.…
    pub action: String,
    /// The task's status after it.
    pub status: Option<String>,
    /// When (Unix seconds).
    pub at: i64,
    /// Who.
    pub actor: String,
    /// Why.
    pub comment: String,
}

/// A run in a plan's list, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RunRow {
    /// Database id.
    pub id: i64,
    /// rehearsal or live.
    pub kind: String,
    /// Its name.
    pub name: String,
    /// Started (Unix seconds).
    pub started_at: i64,
    /// Ended.
    pub ended_at: Option<i64>,
    /// How.
    pub outcome: Option<String>,
}

/// A run as stored, with its tasks' states in plan order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Database id.
    pub id: i64,
    /// The plan it runs.
    pub plan_id: i64,
    /// The environment.
    pub environment_id: i64,
    /// Rehearsal or live.
    pub kind: RunKind,
    /// "Rehearsal 2", "Live".
    pub name: String,
    /// The plan revision copied.
    pub plan_revision: i64,
    /// The plan as run.
    pub content: PlanContent,
    /// Planned start and end per task.
    pub baseline: Baseline,
    /// One per task of `content`, in order.
    pub states: Vec<TaskState>,
    /// When it was started, and by whom.
    pub started_at: i64,
    /// Who started it.
    pub started_by: String,
    /// When it was last re-baselined.
    pub rebaselined_at: Option<i64>,
    /// When it ended.
    pub ended_at: Option<i64>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// Why, in the words of who ended it.
    pub end_comment: String,
    /// How finished gates were decided, by task: passed by their own
    /// check, or by a person's override.
    pub decided: std::collections::HashMap<String, Decided>,
    /// The alert silences it created for its freeze (ids).
    pub silences: Vec<i64>,
}

/// How a finished gate was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Decided {
    /// Its own check passed on fresh evidence.
    Check,
    /// A person passed it although its check had not.
    Override,
}

/// Who the console's own gate checks act as, in the run's log and the
/// audit log.
pub fn gate_checker() -> Actor {
    Actor::anonymous("console (gate check)", None)
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    plan_id: i64,
    environment_id: i64,
    kind: String,
    name: String,
    plan_revision: i64,
    definition: String,
    baseline: String,
    started_at: i64,
    started_by: String,
    rebaselined_at: Option<i64>,
    ended_at: Option<i64>,
    outcome: Option<String>,
    end_comment: String,
    silences: String,
}

fn unreadable(id: i64, e: impl std::fmt::Display) -> AppError {
    tracing::error!(run.id = id, error = %e, "unreadable cutover run");
    AppError::Internal
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|_| AppError::Internal)
}

/// One run with its tasks' states.
#[tracing::instrument(skip_all, fields(run.id = id))]
pub async fn get(conn: &mut dyn Conn, id: i64) -> Result<RunRecord, AppError> {
    let row: Option<Row> =
        crate::db::query_as("select id, plan_id, environment_id, kind, name, plan_revision, definition, baseline, started_at, started_by, rebaselined_at, ended_at, outcome, end_comment, silences from cutover_runs where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let r = row.ok_or_else(|| AppError::not_found(format!("Cutover run {id}")))?;
    let content: PlanContent =
        serde_json::from_str(&r.definition).map_err(|e| unreadable(id, e))?;
    let baseline: Baseline = serde_json::from_str(&r.baseline).map_err(|e| unreadable(id, e))?;
    /// Task, status, started, ended, decided by.
    type TaskRow = (String, String, Option<i64>, Option<i64>, Option<String>);
    let rows: Vec<TaskRow> = crate::db::query_as(
        "select task_id, status, started_at, ended_at, decided_by from cutover_run_tasks where run_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let decided = rows
        .iter()
        .filter_map(|(t, _, _, _, d)| {
            let d = match d.as_deref()? {
                "check" => Decided::Check,
                _ => Decided::Override,
            };
            Some((t.clone(), d))
        })
        .collect();
    let by_id: std::collections::HashMap<String, TaskState> = rows
        .into_iter()
        .map(|(t, s, started_at, ended_at, _)| {
            let status = Status::parse(&s).unwrap_or(Status::Pending);
            (
                t,
                TaskState {
                    status,
                    started_at,
                    ended_at,
                },
            )
        })
        .collect();
    let states = content
        .tasks
        .iter()
        .map(|t| by_id.get(&t.id).copied().unwrap_or(TaskState::PENDING))
        .collect();
    Ok(RunRecord {
        id: r.id,
        plan_id: r.plan_id,
        environment_id: r.environment_id,
        kind: RunKind::parse(&r.kind).unwrap_or(RunKind::Rehearsal),
        name: r.name,
        plan_revision: r.plan_revision,
        content,
        baseline,
        states,
        started_at: r.started_at,
        started_by: r.started_by,
        rebaselined_at: r.rebaselined_at,
        ended_at: r.ended_at,
        outcome: r.outcome.as_deref().and_then(Outcome::parse),
        end_comment: r.end_comment,
        decided,
        silences: serde_json::from_str(&r.silences).map_err(|e| unreadable(id, e))?,
    })
}

async fn log(
    conn: &mut dyn Conn,
    actor: &Actor,
    run: (&RunRecord, Option<&str>),
    action: &str,
    status: Option<Status>,
    comment: &str,
    now: i64,
) -> Result<(), AppError> {
    let (r, task) = run;
    crate::db::query(
        "insert into cutover_run_events (run_id, task_id, action, status, at, actor, comment)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.id)
    .bind(task)
    .bind(action)
    .bind(status.map(Status::as_str))
    .bind(now)
    .bind(&actor.label)
    .bind(comment.trim())
    .execute(&mut *conn)
    .await?;
    let what = match task {
        Some(t) => {
            let title = r
                .content
                .tasks
                .iter()
                .find(|x| x.id == t)
                .map(|x| x.title.as_str())
                .unwrap_or_default();
            format!(
                "{}: {t} ({title}) {}",
                r.name,
                status.map(|s| s.label().to_lowercase()).unwrap_or_default()
            )
        }
        None => format!("{}: {action}", r.name),
    };
    let environment = crate::environments::server::name_of(conn, r.environment_id).await?;
    record(
        conn,
        actor,
        Event {
            action: &format!("cutover_run.{action}"),
            object_type: OBJECT,
            object_id: Some(r.id.to_string()),
            summary: format!("{what} in '{}'", r.content.name),
            detail: (!comment.trim().is_empty())
                .then(|| serde_json::json!({ "comment": comment.trim() })),
            environment,
        },
    )
    .await
}

/// Starts a run of `plan`: its document moved so the freeze starts at
/// `starts_at`, the baseline computed from it, every task not started.
#[tracing::instrument(skip_all, fields(plan.id = plan.id))]
pub async fn start(
    conn: &mut dyn Conn,
    actor: &Actor,
    plan: &Plan,
    kind: RunKind,
    starts_at: i64,
    now: i64,
) -> Result<i64, AppError> {
    if plan.deleted {
        return Err(AppError::Conflict(format!(
            "The plan '{}' is deleted; restore it before running it.",
            plan.content.name
        )));
    }
    if plan.content.tasks.iter().all(|t| t.rollback) {
        return Err(AppError::validation(
            "plan",
            "The plan has no task to run yet: add tasks first.",
        ));
    }
    let open: Option<String> = crate::db::query_scalar(
        "select name from cutover_runs where plan_id = $1 and ended_at is null and kind = 'live'",
    )
    .bind(plan.id)
    .fetch_optional(&mut *conn)
    .await?;
    if let (RunKind::Live, Some(name)) = (kind, open) {
        return Err(AppError::Conflict(format!(
            "The plan's live run '{name}' has not ended; end it before starting another."
        )));
    }
    let content = run::shifted(&plan.content, starts_at - plan.content.starts_at);
    let baseline = run::baseline(&content, None).map_err(|(f, m)| AppError::validation(f, m))?;
    let name = match kind {
        RunKind::Live => "Live".to_string(),
        RunKind::Rehearsal => {
            let n: i64 = crate::db::query_scalar(
                "select count(*) from cutover_runs where plan_id = $1 and kind = 'rehearsal'",
            )
            .bind(plan.id)
            .fetch_one(&mut *conn)
            .await?;
            format!("Rehearsal {}", n + 1)
        }
    };
    let id: i64 = crate::db::query_scalar(
        "insert into cutover_runs (plan_id, environment_id, kind, name, plan_revision, definition, baseline, started_at, started_by,
             freeze_starts_at, freeze_ends_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
    )
    .bind(plan.id)
    .bind(plan.environment_id)
    .bind(kind.as_str())
    .bind(&name)
    .bind(plan.revision)
    .bind(json(&content)?)
    .bind(json(&baseline)?)
    .bind(now)
    .bind(&actor.label)
    .bind(content.starts_at)
    .bind(content.ends_at)
    .fetch_one(&mut *conn)
    .await?;
    for t in &content.tasks {
        crate::db::query(
            "insert into cutover_run_tasks (run_id, task_id, status) values ($1, $2, 'pending')",
        )
        .bind(id)
        .bind(&t.id)
        .execute(&mut *conn)
        .await?;
    }
    let r = get(conn, id).await?;
    log(
        conn,
        actor,
        (&r, None),
        "start",
        None,
        &format!("Revision {} of the plan", plan.revision),
        now,
    )
    .await?;
    silence_freeze(conn, actor, &r, &plan.environment, now).await?;
    Ok(id)
}

/// Silences the plan's chosen alert rules in the environment for the
/// run's freeze window, one silence per rule, and keeps their ids.
async fn silence_freeze(
    conn: &mut dyn Conn,
    actor: &Actor,
    r: &RunRecord,
    environment: &str,
    now: i64,
) -> Result<(), AppError> {
    use crate::alerts::silence::{Active, Matcher, Silence};
    let c = &r.content;
    if c.silence_rules.is_empty() || c.ends_at <= now {
        return Ok(());
    }
    let matcher = |label: &str, value: &str| Matcher {
        label: label.into(),
        value: value.into(),
        negate: false,
    };
    let mut ids = vec![];
    for rule in &c.silence_rules {
        let silence = Silence {
            id: 0,
            matchers: vec![matcher("environment", environment), matcher("rule", rule)],
            active: Active::Once {
                start: c.starts_at,
                end: c.ends_at,
            },
            created_by: actor.label.clone(),
            comment: format!("Freeze of {} · {} (cutover run #{})", r.name, c.name, r.id),
            expired_at: None,
        };
        ids.push(crate::alerts::server::create_silence(conn, actor, &silence, now).await?);
    }
    crate::db::query("update cutover_runs set silences = $1 where id = $2")
        .bind(json(&ids)?)
        .bind(r.id)
        .execute(&mut *conn)
        .await?;
    log(
        conn,
        actor,
        (r, None),
        "silence",
        None,
        &format!(
            "Alert rules silenced until the freeze ends: {}",
            c.silence_rules.join(", ")
        ),
        now,
    )
    .await
}

fn open(r: &RunRecord) -> Result<(), AppError> {
    match r.outcome {
        Some(o) => Err(AppError::Conflict(format!(
            "{} has ended ({}); nothing in it can change.",
            r.name,
            o.label().to_lowercase()
        ))),
        None => Ok(()),
    }
}

/// Does `action` to task `task` of run `id` at `now`, with the comment;
/// refused with the reason when it makes no sense.
#[tracing::instrument(skip_all, fields(run.id = id, task, action = action.as_str()))]
pub async fn act(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    task: &str,
    action: Action,
    comment: &str,
    now: i64,
) -> Result<Status, AppError> {
    let r = get(conn, id).await?;
    open(&r)?;
    let i = r
        .content
        .tasks
        .iter()
        .position(|t| t.id == task)
        .ok_or_else(|| AppError::not_found(format!("Task {task} of {}", r.name)))?;
    let kind = r.content.tasks[i].kind;
    if action.needs_comment(kind) && comment.trim().is_empty() {
        return Err(AppError::validation(
            "comment",
            format!(
                "Say why or with what evidence: \"{}\" on {} is kept with its comment.",
                action.label_for(kind),
                r.content.tasks[i].named()
            ),
        ));
    }
    if comment.len() > 4000 {
        return Err(AppError::validation(
            "comment",
            "The comment is over 4,000 characters.",
        ));
    }
    let next = run::act(&r.content, &r.states, i, action, now)
        .map_err(|m| AppError::validation("task", m))?;
    // A person passing a gate that checks itself overrides it: kept and
    // shown as an override, never as a pass.
    let overrides = action == Action::Complete && r.content.tasks[i].check.is_some();
    crate::db::query(
        "update cutover_run_tasks set status = $1, started_at = $2, ended_at = $3, decided_by = $4 where run_id = $5 and task_id = $6",
    )
    .bind(next.status.as_str())
    .bind(next.started_at)
    .bind(next.ended_at)
    .bind(overrides.then_some("override"))
    .bind(id)
    .bind(task)
    .execute(&mut *conn)
    .await?;
    log(
        conn,
        actor,
        (&r, Some(task)),
        if overrides {
            "override"
        } else {
            action.as_str()
        },
        Some(next.status),
        comment,
        now,
    )
    .await?;
    Ok(next.status)
}

/// Passes a running gate on its own check's evidence (`summary`); does
/// nothing when the gate is no longer running (a person closed it while
/// it was being checked). Gives whether it passed it.
#[tracing::instrument(skip_all, fields(run.id = id, task))]
pub async fn pass_by_check(
    conn: &mut dyn Conn,
    id: i64,
    task: &str,
    summary: &str,
    now: i64,
) -> Result<bool, AppError> {
    let r = get(conn, id).await?;
    if r.outcome.is_some() {
        return Ok(false);
    }
    let Some(i) = r.content.tasks.iter().position(|t| t.id == task) else {
        return Ok(false);
    };
    if r.states[i].status != Status::Running {
        return Ok(false);
    }
    let next = run::act(&r.content, &r.states, i, Action::Complete, now)
        .map_err(|m| AppError::validation("task", m))?;
    crate::db::query(
        "update cutover_run_tasks set status = $1, started_at = $2, ended_at = $3, decided_by = 'check'
         where run_id = $4 and task_id = $5 and status = 'running'",
    )
    .bind(next.status.as_str())
    .bind(next.started_at)
    .bind(next.ended_at)
    .bind(id)
    .bind(task)
    .execute(&mut *conn)
    .await?;
    log(
        conn,
        &gate_checker(),
        (&r, Some(task)),
        "check",
        Some(next.status),
        summary,
        now,
    )
    .await?;
    Ok(true)
}

/// Gives a test-record gate of a run the key of the record to read (the
/// run's copy of the plan keeps it); refused once the gate has finished.
#[tracing::instrument(skip_all, fields(run.id = id, task))]
pub async fn set_record_key(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    task: &str,
    key: &str,
    now: i64,
) -> Result<(), AppError> {
    use super::gate::Check;
    let r = get(conn, id).await?;
    open(&r)?;
    let i = r
        .content
        .tasks
        .iter()
        .position(|t| t.id == task)
        .ok_or_else(|| AppError::not_found(format!("Task {task} of {}", r.name)))?;
    if r.states[i].status.is_finished() {
        return Err(AppError::Conflict(format!(
            "{} has finished; reopen it to check another record.",
            r.content.tasks[i].named()
        )));
    }
    let mut content = r.content.clone();
    let Some(g) = content.tasks[i].check.as_mut() else {
        return Err(AppError::validation(
            "key",
            format!(
                "{} does not check a test record.",
                r.content.tasks[i].named()
            ),
        ));
    };
    let Check::TestRecord { key: k, .. } = &mut g.check else {
        return Err(AppError::validation(
            "key",
            format!(
                "{} does not check a test record.",
                r.content.tasks[i].named()
            ),
        ));
    };
    *k = key.to_string();
    g.tidy().map_err(|m| AppError::validation("key", m))?;
    crate::db::query(
        "update cutover_runs set definition = $1, freeze_starts_at = $2, freeze_ends_at = $3 where id = $4",
    )
    .bind(json(&content)?)
    .bind(content.starts_at)
    .bind(content.ends_at)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    log(
        conn,
        actor,
        (&r, Some(task)),
        "key",
        None,
        &format!("Test record key: {}", key.trim()),
        now,
    )
    .await
}

/// One check of a gate as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// The gate's task.
    pub task_id: String,
    /// First found (Unix seconds).
    pub first_at: i64,
    /// Last found the same.
    pub last_at: i64,
    /// Whether it passed.
    pub pass: bool,
    /// The judgement.
    pub summary: String,
    /// What it rests on.
    pub findings: Vec<super::gate::Finding>,
}

/// Keeps a gate's judgement at `now`: the latest row grows when nothing
/// changed, else a new row starts.
pub async fn keep_check(
    conn: &mut dyn Conn,
    id: i64,
    task: &str,
    e: &super::gate::Evidence,
    now: i64,
) -> Result<(), AppError> {
    let findings = json(&e.findings)?;
    let last: Option<(i64, bool, String, String)> = crate::db::query_as(
        "select id, pass <> 0, summary, findings from cutover_gate_checks
         where run_id = $1 and task_id = $2 order by id desc limit 1",
    )
    .bind(id)
    .bind(task)
    .fetch_optional(&mut *conn)
    .await?;
    match last {
        Some((row, pass, summary, f))
            if pass == e.pass && summary == e.summary && f == findings =>
        {
            crate::db::query("update cutover_gate_checks set last_at = $1 where id = $2")
                .bind(now)
                .bind(row)
                .execute(conn)
                .await?;
        }
        _ => {
            crate::db::query(
                "insert into cutover_gate_checks (run_id, task_id, first_at, last_at, pass, summary, findings)
                 values ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(task)
            .bind(now)
            .bind(now)
            // `pass` is an integer 0 or 1 on both backends.
            .bind(i64::from(e.pass))
            .bind(&e.summary)
            .bind(findings)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// A stored check: task, first at, last at, pass, summary, findings.
type StoredCheck = (String, i64, i64, bool, String, String);

fn check_row((task_id, first_at, last_at, pass, summary, f): StoredCheck) -> CheckRow {
    CheckRow {
        task_id,
        first_at,
        last_at,
        pass,
        summary,
        findings: serde_json::from_str(&f).unwrap_or_default(),
    }
}

/// The checks of a run's gates, newest first (`task`: one gate's only),
/// at most `limit`.
pub async fn checks(
    conn: &mut dyn Conn,
    id: i64,
    task: Option<&str>,
    limit: i64,
) -> Result<Vec<CheckRow>, AppError> {
    let rows: Vec<StoredCheck> = crate::db::query_as(
        "select task_id, first_at, last_at, pass <> 0, summary, findings from cutover_gate_checks
         where run_id = $1 and (cast($2 as text) is null or task_id = $3) order by id desc limit $4",
    )
    .bind(id)
    .bind(task)
    .bind(task)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(check_row).collect())
}

/// The latest check of each gate of a run, by task.
pub async fn latest_checks(
    conn: &mut dyn Conn,
    id: i64,
) -> Result<std::collections::HashMap<String, CheckRow>, AppError> {
    let rows: Vec<StoredCheck> = crate::db::query_as(
        "select task_id, first_at, last_at, pass <> 0, summary, findings from cutover_gate_checks
         where id in (select max(id) from cutover_gate_checks where run_id = $1 group by task_id)",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.0.clone(), check_row(r)))
        .collect())
}

/// Every open run's running gates that check themselves: (run, task),
/// for the checks made every minute.
pub async fn running_gates(conn: &mut dyn Conn) -> Result<Vec<(i64, String)>, AppError> {
    let runs: Vec<i64> = crate::db::query_scalar(
        "select distinct r.id from cutover_runs r join cutover_run_tasks t on t.run_id = r.id
         where r.ended_at is null and t.status = 'running' order by r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = vec![];
    for id in runs {
        let r = get(conn, id).await?;
        for (t, s) in r.content.tasks.iter().zip(&r.states) {
            if t.check.is_some() && s.status == Status::Running {
                out.push((id, t.id.clone()));
            }
        }
    }
    Ok(out)
}

/// Makes the forecast at `now` the run's new baseline.
#[tracing::instrument(skip_all, fields(run.id = id))]
pub async fn rebaseline(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    comment: &str,
    now: i64,
) -> Result<(), AppError> {
    let r = get(conn, id).await?;
    open(&r)?;
    let baseline = run::baseline(&r.content, Some((&r.states, now)))
        .map_err(|(f, m)| AppError::validation(f, m))?;
    crate::db::query("update cutover_runs set baseline = $1, rebaselined_at = $2 where id = $3")
        .bind(json(&baseline)?)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    log(conn, actor, (&r, None), "rebaseline", None, comment, now).await
}

/// Ends a run with its outcome.
#[tracing::instrument(skip_all, fields(run.id = id))]
pub async fn end(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    outcome: Outcome,
    comment: &str,
    now: i64,
) -> Result<(), AppError> {
    let r = get(conn, id).await?;
    open(&r)?;
    if outcome != Outcome::Completed && comment.trim().is_empty() {
        return Err(AppError::validation(
            "comment",
            format!("Say why the run is {}.", outcome.label().to_lowercase()),
        ));
    }
    crate::db::query(
        "update cutover_runs set ended_at = $1, outcome = $2, end_comment = $3 where id = $4",
    )
    .bind(now)
    .bind(outcome.as_str())
    .bind(comment.trim())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    // The freeze is over when the run is: its silences end with it.
    if now < r.content.ends_at {
        for &silence in &r.silences {
            match crate::alerts::server::expire_silence(conn, actor, silence, now).await {
                // Someone ended it already.
                Ok(()) | Err(AppError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    log(
        conn,
        actor,
        (&r, None),
        &format!("end.{}", outcome.as_str()),
        None,
        comment,
        now,
    )
    .await
}

/// A run's freeze as the trend charts mark it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    /// "Live · Go-live weekend".
    pub title: String,
    /// The freeze's start (Unix seconds).
    pub from: i64,
    /// Its end: the planned end, or when the run ended if earlier.
    pub to: i64,
    /// Milestones and the point of no return reached: (when, "D6 Point of
    /// no return").
    pub milestones: Vec<(i64, String)>,
}

/// The freezes of an environment's runs that overlap `from`..`to`, oldest
/// first (at most the 20 latest such runs), with the milestones and points
/// of no return each reached.
pub async fn freezes(
    conn: &mut dyn Conn,
    environment_id: i64,
    from: i64,
    to: i64,
) -> Result<Vec<Freeze>, AppError> {
    // A freeze lasts from its start to its end, or to when the run ended if
    // sooner; a run ended before its freeze began has none. Only the
    // overlapping runs are read, and of their plans only an outline: every
    // trends page asks.
    let runs: Vec<(i64, String, String, i64, i64)> = crate::db::query_as(
        "select id, name, definition, freeze_starts_at,
                min(coalesce(ended_at, freeze_ends_at), freeze_ends_at) as freeze_end
         from cutover_runs
         where environment_id = $1 and freeze_starts_at < $3
           and min(coalesce(ended_at, freeze_ends_at), freeze_ends_at) > max($2, freeze_starts_at)
         order by started_at desc limit 20",
    )
    .bind(environment_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = vec![];
    for (id, run_name, definition, starts_at, end) in runs.into_iter().rev() {
        // Only the plan's name and its tasks' IDs, titles and kinds: serde
        // skips the rest of the plan without building it.
        #[derive(serde::Deserialize)]
        struct Outline {
            name: String,
            tasks: Vec<OutlineTask>,
        }
        #[derive(serde::Deserialize)]
        struct OutlineTask {
            id: String,
            title: String,
            kind: super::TaskKind,
        }
        let outline: Outline = serde_json::from_str(&definition).map_err(|e| unreadable(id, e))?;
        let marks: Vec<&OutlineTask> = outline
            .tasks
            .iter()
            .filter(|t| {
                matches!(
                    t.kind,
                    super::TaskKind::Milestone | super::TaskKind::NoReturn
                )
            })
            .collect();
        let ids: Vec<&str> = marks.iter().map(|t| t.id.as_str()).collect();
        let reached: std::collections::HashMap<String, i64> = crate::db::query_as(
            "select task_id, ended_at from cutover_run_tasks
             where run_id = $1 and task_id in (select value from json_each($2))
               and status = 'done' and ended_at is not null",
        )
        .bind(id)
        .bind(serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()))
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        out.push(Freeze {
            title: format!("{run_name} · {}", outline.name),
            from: starts_at,
            to: end,
            // In plan order.
            milestones: marks
                .iter()
                .filter_map(|t| {
                    let at = reached.get(&t.id)?;
                    let label = super::task_label(&t.id, &t.title);
                    Some((*at, format!("{run_name}: {label}")))
                })
                .collect(),
        });
    }
    Ok(out)
}

/// The run's events, newest first.
pub async fn events(conn: &mut dyn Conn, id: i64, limit: i64) -> Result<Vec<EventRow>, AppError> {
    Ok(crate::db::query_as(
        "select task_id, action, status, at, actor, comment from cutover_run_events
         where run_id = $1 order by id desc limit $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The runs of a plan, newest first.
pub async fn of_plan(conn: &mut dyn Conn, plan_id: i64) -> Result<Vec<RunRow>, AppError> {
    Ok(crate::db::query_as(
        "select id, kind, name, started_at, ended_at, outcome from cutover_runs
         where plan_id = $1 order by id desc",
    )
    .bind(plan_id)
    .fetch_all(conn)
    .await?)
}

/// The runs of an environment that have not ended, live first.
pub async fn open_in(conn: &mut dyn Conn, environment_id: i64) -> Result<Vec<i64>, AppError> {
    Ok(crate::db::query_scalar(
        "select id from cutover_runs where environment_id = $1 and ended_at is null
         order by kind = 'live' desc, id desc",
    )
    .bind(environment_id)
    .fetch_all(conn)
    .await?)
}

/// The last comment given with each task of a run (who, when, what), for
/// the evidence of gates and the reasons of failures.
pub async fn last_comments(
    conn: &mut dyn Conn,
    id: i64,
) -> Result<std::collections::HashMap<String, (String, i64, String)>, AppError> {
    let rows: Vec<(String, String, i64, String)> = crate::db::query_as(
        "select task_id, actor, at, comment from cutover_run_events
         where id in (select max(id) from cutover_run_events
                      where run_id = $1 and task_id is not null and comment != '' group by task_id)",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(t, actor, at, comment)| (t, (actor, at, comment)))
        .collect())
}

/// The runs of an environment that have not ended, live first, as the
/// overview shows them (at most 3).
pub async fn glance(
    conn: &mut dyn Conn,
    environment_id: i64,
    time_zone: &str,
    now: i64,
) -> Result<Vec<super::CutoverGlance>, AppError> {
    let tz = crate::zone::zone(time_zone);
    let mut out = vec![];
    for id in open_in(conn, environment_id).await?.into_iter().take(3) {
        let r = get(conn, id).await?;
        let Ok(f) = run::forecast(&r.content, &r.baseline, &r.states, now) else {
            continue;
        };
        let (schedule, behind) = run::schedule_words(f.late);
        out.push(super::CutoverGlance {
            id,
            title: format!("{} · {}", r.name, r.content.name),
            kind: r.kind,
            stage: f.stage.clone(),
            done: f.done,
            schedule,
            behind,
            forecast_end: crate::zone::show(f.end, tz),
            over: f.end > r.content.ends_at,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::{server as envs, validate_environment};

    const H: i64 = 3600;

    async fn plan(conn: &mut dyn Conn) -> Plan {
        let input = validate_environment("UAT", "", "", "").unwrap();
        let env = envs::save(conn, &Actor::cli(), None, &input).await.unwrap();
        let friday = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let content =
            super::super::template::weekend("Go-live", friday, chrono_tz::Tz::UTC).unwrap();
        let id = super::super::server::create(conn, &Actor::cli(), env, content, "")
            .await
            .unwrap();
        super::super::server::get(conn, id).await.unwrap()
    }

    #[tokio::test]
    async fn a_rehearsal_is_worked_task_by_task_and_keeps_its_log() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let p = plan(&mut conn).await;
        // A rehearsal a week earlier keeps the timing.
        let start = p.content.starts_at - 7 * 86_400;
        let id = super::start(&mut conn, &cli, &p, RunKind::Rehearsal, start, start)
            .await
            .unwrap();
        let r = get(&mut conn, id).await.unwrap();
        assert_eq!(r.name, "Rehearsal 1");
        assert_eq!(r.baseline["F1"], (start, start + 30 * 60));
        assert!(r.states.iter().all(|s| s.status == Status::Pending));

        let act = |t: &'static str, a: Action, c: &'static str, at: i64| {
            let pool = pool.clone();
            async move {
                let mut conn = pool.acquire().await.unwrap();
                super::act(&mut conn, &Actor::cli(), id, t, a, c, at).await
            }
        };
        assert_eq!(
            act("F1", Action::Start, "", start).await.unwrap(),
            Status::Running
        );
        act("F2", Action::Complete, "", start + H).await.unwrap();
        act("F1", Action::Complete, "", start + H).await.unwrap();
        let err = act("F4", Action::Start, "", start + H).await.unwrap_err();
        assert!(err.to_string().contains("waits for F3"), "{err}");
        act("F3", Action::Complete, "", start + 3 * H)
            .await
            .unwrap();
        let err = act("F4", Action::Complete, "", start + 4 * H)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("with what evidence"), "{err}");
        act(
            "F4",
            Action::Fail,
            "Drift 0.4 % on Customers V3",
            start + 4 * H,
        )
        .await
        .unwrap();

        let r = get(&mut conn, id).await.unwrap();
        let f = run::forecast(&r.content, &r.baseline, &r.states, start + 4 * H).unwrap();
        // The snapshot took an hour more, the failed gate holds the rest.
        assert!(f.tasks[4].blocked, "F5 waits on the failed gate");
        assert_eq!(f.done, (3, 19));
        let comments = last_comments(&mut conn, id).await.unwrap();
        assert_eq!(comments["F4"].2, "Drift 0.4 % on Customers V3");

        rebaseline(
            &mut conn,
            &cli,
            id,
            "After the failed reconciliation",
            start + 4 * H,
        )
        .await
        .unwrap();
        let err = end(&mut conn, &cli, id, Outcome::Abandoned, "", start + 5 * H)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("Say why"), "{err}");
        end(
            &mut conn,
            &cli,
            id,
            Outcome::Abandoned,
            "Drift to fix first",
            start + 5 * H,
        )
        .await
        .unwrap();
        let err = act("F4", Action::Start, "", start + 6 * H)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has ended"), "{err}");

        let log = events(&mut conn, id, 100).await.unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "end.abandoned",
                "rebaseline",
                "fail",
                "complete",
                "complete",
                "complete",
                "start",
                "start"
            ]
        );
        assert_eq!(of_plan(&mut conn, p.id).await.unwrap().len(), 1);
        assert!(
            open_in(&mut conn, p.environment_id)
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn one_live_run_at_a_time() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let p = plan(&mut conn).await;
        let at = p.content.starts_at;
        let live = super::start(&mut conn, &cli, &p, RunKind::Live, at, at)
            .await
            .unwrap();
        let err = super::start(&mut conn, &cli, &p, RunKind::Live, at, at)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("has not ended"), "{err}");
        super::start(&mut conn, &cli, &p, RunKind::Rehearsal, at, at)
            .await
            .unwrap();
        assert_eq!(open_in(&mut conn, p.environment_id).await.unwrap()[0], live);
    }
}
