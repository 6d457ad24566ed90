//! Cutover pages: an environment's plans, one plan with its schedule and
//! critical path, its settings, a task, the CSV import and the history.
//! Every form is a server action that redirects, so it works without
//! JavaScript.

use super::api::*;
use super::{PlanPage, TaskKind, TaskRow};
use crate::components::{ErrorBox, ScrollToHash, TextArea, action_error, percent_encode, plural};
use crate::environments::view::{EnvironmentSwitcher, use_env_param};
use crate::error::AppError;
use crate::layout::{Layout, RoleGate};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

fn plan_id() -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|v| v.parse().ok()))
}

fn missing() -> AppError {
    AppError::not_found("That cutover plan")
}

/// The badge of a task's kind.
fn kind_badge(kind: TaskKind) -> impl IntoView {
    view! { <span class=format!("badge kind-{}", kind.as_str())>{kind.label()}</span> }
}

/// An environment's cutover plans, and a new plan from the template.
#[component]
pub fn CutoverPage() -> impl IntoView {
    let env = use_env_param();
    let create = ServerAction::<CreateCutoverPlan>::new();
    let page = Resource::new(move || env.get(), list_cutover_plans);
    view! {
        <Layout title="Cutover" switcher=EnvironmentSwitcher>
            <p class="lead">
                "The cutover weekend as a plan: stages and tasks with owners, durations and predecessors, \
                 the gates and sign-offs that decide go or no-go, the point of no return and the way back before it. \
                 The schedule and its critical path follow from the plan."
            </p>
            {move || action_error(create.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let Some(env_name) = p.environment else {
                        return view! { <p class="empty">"Add an environment first; plans belong to one."</p> }.into_any();
                    };
                    view! {
                        <p class="context">{format!("{env_name} · times in {}", p.time_zone)}</p>
                        {if p.plans.is_empty() {
                            view! { <p class="empty">"No plan yet."</p> }.into_any()
                        } else {
                            view! {
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Plans">
                                <table class="data" data-testid="plans-table">
                                    <thead><tr><th>"Plan"</th><th>"Freeze"</th><th>"Tasks"</th><th>"Planned end"</th><th>"Margin"</th></tr></thead>
                                    <tbody>
                                    {p.plans.into_iter().map(|l| view! {
                                        <tr>
                                            <td><a href=format!("/cutover/plans/{}", l.id)>{l.name}</a></td>
                                            <td>{l.window}</td>
                                            <td>{l.tasks}</td>
                                            <td class="nowrap">{l.planned_end}</td>
                                            <td class:flag=l.over>{l.margin}</td>
                                        </tr>
                                    }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                            }.into_any()
                        }}
                        {(!p.deleted.is_empty()).then(|| view! {
                            <details><summary>"Deleted plans"</summary>
                                <ul>{p.deleted.into_iter().map(|(id, name)| view! {
                                    <li><a href=format!("/cutover/plans/{id}/history")>{name}</a></li>
                                }).collect_view()}</ul>
                            </details>
                        })}
                        {p.can_edit.then(|| view! {
                            <h2>"New plan"</h2>
                            <ActionForm action=create attr:class="stack form-card" attr:data-testid="new-plan-form">
                                <input type="hidden" name="env" value=env_name.clone()/>
                                <label>"Name" <input name="name" required maxlength="80" placeholder="Go-live weekend"/></label>
                                <label>{format!("The Friday the freeze starts (18:00 {}; it ends Monday 08:00)", p.time_zone)}
                                    <input name="friday" type="date" required value=p.next_friday.clone()/>
                                </label>
                                <fieldset>
                                    <legend>"Start from"</legend>
                                    <label class="check"><input type="radio" name="start" value="template" checked=true/>
                                        " The runbook weekend: freeze, initial sync, live sync, watch, unfreeze, with gates, sign-offs and a rollback path"</label>
                                    <label class="check"><input type="radio" name="start" value="empty"/>" An empty plan"</label>
                                </fieldset>
                                <button type="submit" class="primary">"Create plan"</button>
                            </ActionForm>
                        })}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

fn task_table(rows: Vec<TaskRow>, plan: i64, can_edit: bool, testid: String) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Tasks">
        <table class="data plan-tasks" data-testid=testid>
            <thead><tr>
                <th>"ID"</th><th>"Task"</th><th>"Owner · backup"</th><th>"Takes"</th>
                <th>"Planned"</th><th>"Slack"</th><th>"After"</th>
            </tr></thead>
            <tbody>
            {rows.into_iter().map(|r| {
                let t = r.task;
                let anchor = format!("task-{}", t.id);
                let edit = format!("/cutover/plans/{plan}/tasks/{}", percent_encode(&t.id, b"-_."));
                let has_instructions = !t.instructions.is_empty();
                view! {
                    <tr id=anchor class:critical=r.critical data-testid="plan-task">
                        <td class="nowrap">{t.id.clone()}</td>
                        <td>
                            {if can_edit {
                                view! { <a href=edit>{t.title.clone()}</a> }.into_any()
                            } else {
                                view! { <span>{t.title.clone()}</span> }.into_any()
                            }}
                            " " {(t.kind != TaskKind::Task).then(|| kind_badge(t.kind))}
                            {r.critical.then(|| view! { " " <span class="badge critical-badge">"Critical"</span> })}
                            {(!t.team.is_empty()).then(|| view! { <div class="muted small">{t.team.clone()}</div> })}
                            {has_instructions.then(|| view! {
                                <details class="instructions"><summary>"How"</summary>
                                    <div class="prose" inner_html=r.instructions_html.clone()></div>
                                </details>
                            })}
                        </td>
                        <td>{t.owner.clone()}{(!t.backup_owner.is_empty()).then(|| view! { <div class="muted small">{format!("backup: {}", t.backup_owner)}</div> })}</td>
                        <td class="nowrap">{r.duration}</td>
                        <td class="nowrap">
                            {r.start}{(t.minutes > 0).then(|| view! { <div class="muted small">{format!("→ {}", r.end)}</div> })}
                            {r.fixed.map(|f| view! { <div class="muted small">{format!("fixed: {f}")}</div> })}
                            {r.fixed_missed.map(|m| view! { <div class="flag">{format!("{m} late")}</div> })}
                        </td>
                        <td class="nowrap">{r.slack}</td>
                        <td>{t.predecessors.join(", ")}</td>
                    </tr>
                }
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

fn plan_body(p: PlanPage) -> impl IntoView {
    let id = p.plan.id;
    let c = p.plan.content;
    let env_q = percent_encode(&p.plan.environment, b"");
    let can_edit = p.can_edit && !p.plan.deleted;
    let gates = c.tasks.iter().filter(|t| t.kind == TaskKind::Gate).count();
    let signoffs = c
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Signoff)
        .count();
    view! {
        <p class="context">
            <a href=format!("/cutover?env={env_q}")>{p.plan.environment.clone()}</a>
            {format!(" · revision {} · times in {}", p.plan.revision, p.time_zone)}
            {p.plan.deleted.then_some(" · deleted")}
        </p>
        <h2 class="doc-title" data-testid="plan-name">{c.name.clone()}</h2>
        <div class="cards" data-testid="plan-facts">
            <div class="card"><p class="card-label">"Freeze"</p><p>{p.window.clone()}</p><p class="muted">{p.window_length.clone()}</p></div>
            <div class=if p.over { "card warn" } else { "card" }>
                <p class="card-label">"Planned end"</p>
                <p data-testid="planned-end">{p.planned_end.clone()}</p>
                <p class="muted" data-testid="plan-margin">{p.margin.clone()}</p>
            </div>
            <div class="card"><p class="card-label">"Tasks"</p>
                <p>{plural(c.tasks.len(), "task", "tasks")}</p>
                <p class="muted">{format!("{} · {}", plural(gates, "gate", "gates"), plural(signoffs, "sign-off", "sign-offs"))}</p>
            </div>
        </div>
        {(!p.warnings.is_empty()).then(|| view! {
            <div class="warn-box" role="note" data-testid="plan-warnings">
                <ul>{p.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
            </div>
        })}
        {can_edit.then(|| view! {
            <p class="actions">
                <a href=format!("/cutover/plans/{id}/tasks/new")>"Add a task"</a>
                <a href=format!("/cutover/plans/{id}/edit")>"Freeze window and rollback criteria"</a>
                <a href=format!("/cutover/plans/{id}/import")>"Import CSV"</a>
            </p>
        })}
        <p class="actions">
            <a href=format!("/export/cutover/{id}.csv") download="" rel="external">"Export CSV"</a>
            <a href=format!("/cutover/plans/{id}/history")>"History"</a>
        </p>
        {(!p.critical_path.is_empty()).then(|| view! {
            <p data-testid="critical-path"><strong>"Critical path: "</strong>{p.critical_path.join(" → ")}
                <span class="muted">" — these tasks move the end when they slip."</span></p>
        })}
        {if c.tasks.is_empty() {
            view! { <p class="empty">"No task yet: add one, or import a CSV."</p> }.into_any()
        } else {
            p.stages.into_iter().map(|s| view! {
                <h3>{s.name.clone()}</h3>
                {task_table(s.rows, id, can_edit, "stage-tasks".into())}
            }).collect_view().into_any()
        }}
        <h2>"Rollback"</h2>
        {if c.rollback_criteria.trim().is_empty() {
            view! { <p class="empty">"No rollback criteria written yet."</p> }.into_any()
        } else {
            view! { <div class="prose" data-testid="rollback-criteria" inner_html=p.rollback_criteria_html></div> }.into_any()
        }}
        {p.rollback_words.map(|w| view! { <p data-testid="rollback-words">{w}</p> })}
        {(!p.rollback.is_empty()).then(|| task_table(p.rollback, id, can_edit, "rollback-tasks".into()))}
        <ScrollToHash/>
    }
}

/// One plan: its freeze window, schedule by stage, critical path,
/// warnings and rollback path.
#[component]
pub fn CutoverPlanPage() -> impl IntoView {
    let id = plan_id();
    let page = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => cutover_plan_page(id).await,
                None => Err(missing()),
            }
        },
    );
    view! {
        <Layout title="Cutover plan">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => plan_body(p).into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

/// The plan's name, freeze window and rollback criteria; and deleting it.
#[component]
pub fn CutoverPlanEditPage() -> impl IntoView {
    let id = plan_id();
    let save = ServerAction::<SaveCutoverPlan>::new();
    let delete = ServerAction::<DeleteCutoverPlan>::new();
    let editor = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => cutover_plan_editor(id).await,
                None => Err(missing()),
            }
        },
    );
    view! {
        <Layout title="Edit cutover plan">
            <RoleGate needed=crate::auth::Role::Editor action="edit cutover plans">
                {move || action_error(save.value().get())}
                {move || action_error(delete.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let e = match editor.await {
                            Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                            Ok(e) => e,
                        };
                        let id = e.id.unwrap_or_default();
                        view! {
                            <p class="context"><a href=format!("/cutover/plans/{id}")>{e.name.clone()}</a>{format!(" · {} · times in {}", e.environment, e.time_zone)}</p>
                            <ActionForm action=save attr:class="stack form-card wide" attr:data-testid="plan-form">
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="revision" value=e.revision.to_string()/>
                                <label>"Name" <input name="name" required maxlength="80" value=e.name.clone()/></label>
                                <div class="two">
                                    <label>{format!("Freeze starts ({})", e.time_zone)} <input type="datetime-local" name="starts_at" required value=e.starts_at/></label>
                                    <label>{format!("Freeze ends — unfreeze by ({})", e.time_zone)} <input type="datetime-local" name="ends_at" required value=e.ends_at/></label>
                                </div>
                                <label>"Rollback criteria (Markdown): when to roll back, decided beforehand"
                                    <TextArea name="rollback_criteria" text=e.rollback_criteria attr:rows="8"/>
                                </label>
                                <label>"Why (kept in the revision)" <input name="comment" placeholder="Unfreeze moved to 06:00"/></label>
                                <button type="submit" class="primary">"Save plan"</button>
                            </ActionForm>
                            <details class="danger-zone">
                                <summary>"Delete this plan"</summary>
                                <ActionForm action=delete attr:class="stack">
                                    <input type="hidden" name="id" value=id.to_string()/>
                                    <label>"Why" <input name="comment" required placeholder="Replaced by the December plan"/></label>
                                    <p class="muted">"Its history stays; it can be restored from there."</p>
                                    <button type="submit" class="danger">"Delete plan"</button>
                                </ActionForm>
                            </details>
                        }.into_any()
                    })}
                </Transition>
            </RoleGate>
        </Layout>
    }
}

/// Adds or edits one task; deletes it.
#[component]
pub fn CutoverTaskPage() -> impl IntoView {
    let id = plan_id();
    let params = use_params_map();
    let task = Memo::new(move |_| params.read().get("task").filter(|t| t != "new"));
    let save = ServerAction::<SaveCutoverTask>::new();
    let delete = ServerAction::<DeleteCutoverTask>::new();
    let editor = Resource::new(
        move || (id.get(), task.get()),
        |(id, task)| async move {
            match id {
                Some(id) => cutover_task_editor(id, task).await,
                None => Err(missing()),
            }
        },
    );
    view! {
        <Layout title="Cutover task">
            <RoleGate needed=crate::auth::Role::Editor action="edit cutover plans">
                {move || action_error(save.value().get())}
                {move || action_error(delete.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let e = match editor.await {
                            Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                            Ok(e) => e,
                        };
                        let t = e.task.clone();
                        let (plan, revision) = (e.plan_id, e.revision);
                        let original = if e.new { String::new() } else { t.id.clone() };
                        let removed = original.clone();
                        let others = e.others.iter().map(|(i, title)| format!("{i} ({title})")).collect::<Vec<_>>().join(", ");
                        view! {
                            <p class="context"><a href=format!("/cutover/plans/{plan}")>{e.plan_name.clone()}</a>{format!(" · times in {}", e.time_zone)}</p>
                            <ActionForm action=save attr:class="stack form-card wide" attr:data-testid="task-form">
                                <input type="hidden" name="form[plan]" value=plan.to_string()/>
                                <input type="hidden" name="form[revision]" value=revision.to_string()/>
                                <input type="hidden" name="form[original]" value=original/>
                                <div class="two">
                                    <label>"ID" <input name="form[id]" required maxlength="20" pattern="[A-Za-z0-9._\\-]+" value=t.id.clone()/></label>
                                    <label>"Kind"
                                        <select name="form[kind]">
                                            {TaskKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=*k == t.kind>{k.label()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                </div>
                                <label>"Title" <input name="form[title]" required maxlength="200" value=t.title.clone()/></label>
                                <label>"Stage" <input name="form[stage]" required maxlength="80" list="stages" value=t.stage.clone()/></label>
                                <datalist id="stages">{e.stages.iter().map(|s| view! { <option value=s.clone()></option> }).collect_view()}</datalist>
                                <div class="three">
                                    <label>"Owner" <input name="form[owner]" value=t.owner.clone()/></label>
                                    <label>"Backup owner" <input name="form[backup_owner]" value=t.backup_owner.clone()/></label>
                                    <label>"Team" <input name="form[team]" value=t.team.clone()/></label>
                                </div>
                                <div class="two">
                                    <label>"Planned duration (90, 1h30m or 1:30; 0 for a milestone)" <input name="form[duration]" value=e.duration.clone()/></label>
                                    <label>{format!("Fixed start, not before ({}; optional)", e.time_zone)} <input type="datetime-local" name="form[fixed_start]" value=e.fixed_start.clone()/></label>
                                </div>
                                <label>"Starts after (IDs, separated by spaces)" <input name="form[predecessors]" value=t.predecessors.join(" ")/></label>
                                <p class="muted small">{if others.is_empty() { "No other task yet.".to_string() } else { format!("Tasks: {others}") }}</p>
                                <label class="check"><input type="checkbox" name="form[rollback]" checked=t.rollback/>" A rollback step (done only when the weekend is rolled back, before the point of no return)"</label>
                                <label>"Instructions and how to verify (Markdown)"
                                    <TextArea name="form[instructions]" text=t.instructions.clone() attr:rows="6"/>
                                </label>
                                <label>"Why (kept in the revision; optional)" <input name="form[comment]"/></label>
                                <button type="submit" class="primary">{if e.new { "Add task" } else { "Save task" }}</button>
                            </ActionForm>
                            {(!e.new).then(|| view! {
                                <details class="danger-zone">
                                    <summary>"Remove this task"</summary>
                                    <ActionForm action=delete attr:class="stack">
                                        <input type="hidden" name="plan" value=plan.to_string()/>
                                        <input type="hidden" name="revision" value=revision.to_string()/>
                                        <input type="hidden" name="task" value=removed.clone()/>
                                        <button type="submit" class="danger">"Remove task"</button>
                                    </ActionForm>
                                </details>
                            })}
                        }.into_any()
                    })}
                </Transition>
            </RoleGate>
        </Layout>
    }
}

/// Replaces a plan's tasks with a CSV file's.
#[component]
pub fn CutoverImportPage() -> impl IntoView {
    let id = plan_id();
    let import = ServerAction::<ImportCutoverCsv>::new();
    let editor = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => cutover_plan_editor(id).await,
                None => Err(missing()),
            }
        },
    );
    view! {
        <Layout title="Import a plan from CSV">
            <RoleGate needed=crate::auth::Role::Editor action="import cutover plans">
                {move || action_error(import.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let e = match editor.await {
                            Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                            Ok(e) => e,
                        };
                        let id = e.id.unwrap_or_default();
                        view! {
                            <p class="context"><a href=format!("/cutover/plans/{id}")>{e.name.clone()}</a>{format!(" · times in {}", e.time_zone)}</p>
                            <p class="lead">
                                "Paste the plan's tasks as CSV, as "
                                <a href=format!("/export/cutover/{id}.csv") download="" rel="external">"Export CSV"</a>
                                " writes them. The columns: "
                                <code>{super::csv_columns()}</code>
                                ". Only ID and Title are required; predecessor IDs are separated by spaces; times are in "
                                {e.time_zone.clone()}
                                ". The import replaces every task of the plan, and one problem anywhere means nothing changes."
                            </p>
                            <ActionForm action=import attr:class="stack form-card wide" attr:data-testid="plan-import-form">
                                <input type="hidden" name="plan" value=id.to_string()/>
                                <input type="hidden" name="revision" value=e.revision.to_string()/>
                                <label>"Tasks (CSV)" <TextArea name="csv" attr:rows="16" attr:required=true attr:spellcheck="false" attr:class="code"/></label>
                                <label>"Why (kept in the revision)" <input name="comment" placeholder="Durations from the second rehearsal"/></label>
                                <button type="submit" class="primary">"Import tasks"</button>
                            </ActionForm>
                        }.into_any()
                    })}
                </Transition>
            </RoleGate>
        </Layout>
    }
}

/// Every revision of a plan, with compare and restore.
#[component]
pub fn CutoverHistoryPage() -> impl IntoView {
    let id = plan_id();
    let restore = ServerAction::<RestoreCutoverPlan>::new();
    let history = Resource::new(
        move || (id.get(), restore.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => cutover_plan_history(id).await,
                None => Err(missing()),
            }
        },
    );
    view! {
        <Layout title="Cutover plan history">
            {move || action_error(restore.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let h = match history.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(h) => h,
                    };
                    let id = h.id;
                    let current = h.revisions.first().map(|r| r.revision).unwrap_or(1);
                    view! {
                        <p class="context">
                            <a href=format!("/cutover/plans/{id}")>{h.name.clone()}</a>
                            {format!(" · {} · {}", h.environment, plural(h.revisions.len(), "revision", "revisions"))}
                            {h.deleted.then_some(" · deleted")}
                        </p>
                        {crate::maps::view::revision_table(format!("/cutover/plans/{id}/diff"), h.revisions, current, h.deleted, h.can_edit)}
                        {h.can_edit.then(|| (1..=current).map(|rev| view! {
                            <ActionForm action=restore attr:id=format!("restore-{rev}") attr:class="hidden-form">
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="revision" value=rev.to_string()/>
                            </ActionForm>
                        }).collect_view())}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// What changed in a plan between two revisions.
#[component]
pub fn CutoverDiffPage() -> impl IntoView {
    let id = plan_id();
    let query = leptos_router::hooks::use_query_map();
    let args = move || {
        let q = query.read();
        let n = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
        (id.get(), n("from"), n("to"))
    };
    let diff = Resource::new(args, |(id, from, to)| async move {
        match (id, from, to) {
            (Some(id), Some(from), Some(to)) => cutover_plan_diff(id, from, to).await,
            _ => Err(AppError::validation(
                "from",
                "Pick two revisions to compare on the history page.",
            )),
        }
    });
    view! {
        <Layout title="Compare plan revisions">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match diff.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) => d,
                    };
                    view! {
                        <p class="context">
                            <a href=format!("/cutover/plans/{}", d.id)>{d.name.clone()}</a>
                            {format!(" · revision {} → {}", d.from, d.to)}
                            " · " <a href=format!("/cutover/plans/{}/history", d.id)>"History"</a>
                        </p>
                        {if d.changes.is_empty() {
                            view! { <p class="empty">"No difference."</p> }.into_any()
                        } else {
                            view! { <ul data-testid="plan-changes">{d.changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul> }.into_any()
                        }}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}
