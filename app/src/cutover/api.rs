//! Server functions for cutover plans. Anyone signed in reads plans and
//! their schedules; editors and admins write them. Every change is a
//! revision and an audit entry; each write redirects, so the forms work
//! without JavaScript. Times go out formatted in the environment's time
//! zone and come in as typed in it.

use super::{PlanEditor, PlanPage, PlansPage, TaskEditor};
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
}

#[cfg(feature = "ssr")]
mod ssr {
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
            time_zone: tz.name().to_string(),
            can_edit,
            plan,
        })
    }

    /// The place to go after a write: the plan page, at `anchor`.
    pub fn back_to(id: i64, anchor: &str) {
        let hash = if anchor.is_empty() {
            String::new()
        } else {
            format!(
                "#task-{}",
                crate::components::percent_encode(anchor, b"-_.")
            )
        };
        leptos_axum::redirect(&format!("/cutover/plans/{id}{hash}"));
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
    ssr::page_of(plan, &env.time_zone, ssr::can_edit())
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
    Ok(PlanEditor {
        id: Some(plan.id),
        environment: plan.environment,
        time_zone: tz.name().to_string(),
        revision: plan.revision,
        name: plan.content.name,
        starts_at: crate::zone::input(plan.content.starts_at, tz),
        ends_at: crate::zone::input(plan.content.ends_at, tz),
        rollback_criteria: plan.content.rollback_criteria,
    })
}

/// Saves the plan's name, freeze window and rollback criteria (editors
/// and admins); the tasks stay as they are.
#[server(prefix = "/sfn", endpoint = "save_cutover_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_cutover_plan(
    id: i64,
    revision: i64,
    name: String,
    starts_at: String,
    ends_at: String,
    rollback_criteria: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit cutover plans")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let plan = super::server::get(&mut tx, id).await?;
    let env = crate::environments::server::by_name(&mut tx, &plan.environment).await?;
    let tz = crate::zone::zone(&env.time_zone);
    let mut content = plan.content;
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
        }
    });
    Ok(TaskEditor {
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
