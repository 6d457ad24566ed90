//! Cutover pages: an environment's plans, one plan with its schedule and
//! critical path, its settings, a task, the CSV import and the history.
//! Every form is a server action that redirects, so it works without
//! JavaScript.

use super::api::*;
use super::run::{RunKind, Status};
use super::{PlanPage, RunSummary, RunTaskRow, TaskKind, TaskRow};
use crate::components::{AutoRefresh, ErrorBox, TextArea, action_error, percent_encode, plural};
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

fn runs_section(
    p: &PlanPage,
    start: Option<ServerAction<StartCutoverRun>>,
) -> impl IntoView + use<> {
    let id = p.plan.id;
    let runs = p.runs.clone();
    let tz = p.time_zone.clone();
    let rehearsal_start = p.rehearsal_start.clone();
    let live_start = p.live_start.replace('T', " ");
    view! {
        <h2>"Runs"</h2>
        {if runs.is_empty() {
            view! { <p class="empty">"Not run yet. Rehearse it: the same steps and timing, on another date."</p> }.into_any()
        } else {
            view! {
                <ul class="runs" data-testid="plan-runs">
                    {runs.into_iter().map(|r| view! {
                        <li>
                            <a href=format!("/cutover/runs/{}", r.id)>{r.name.clone()}</a>
                            {format!(" · started {} · {}", r.started, r.state)}
                            {(!r.ended).then(|| view! { " · " <a href=format!("/cutover/runs/{}/status", r.id)>"Status page"</a> })}
                            " · " <a href=format!("/cutover/runs/{}/report", r.id)>"Report"</a>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {start.map(|start| view! {
            <details class="add-form" data-testid="start-run">
                <summary>"Start a run"</summary>
                <ActionForm action=start attr:class="stack form-card">
                    <input type="hidden" name="plan" value=id.to_string()/>
                    <fieldset>
                        <legend>"Kind"</legend>
                        <label class="check"><input type="radio" name="kind" value="rehearsal" checked=true/>" Rehearsal (a mock cutover)"</label>
                        <label class="check"><input type="radio" name="kind" value="live"/>" The live weekend"</label>
                    </fieldset>
                    <label>{format!("Freeze starts ({tz}); the plan's timing moves with it")}
                        <input type="datetime-local" name="starts_at" required value=rehearsal_start/>
                    </label>
                    <p class="muted small">{format!("The plan's own freeze starts {live_start}.")}</p>
                    <button type="submit" class="primary">"Start run"</button>
                </ActionForm>
            </details>
        })}
    }
}

fn plan_body(p: PlanPage, start: ServerAction<StartCutoverRun>) -> impl IntoView {
    let runs = runs_section(&p, (p.can_edit && !p.plan.deleted).then_some(start));
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
                <a href=format!("/cutover/plans/{id}/edit")>"Freeze window, rollback criteria and alert silences"</a>
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
        {runs}
    }
}

/// One plan: its freeze window, schedule by stage, critical path,
/// warnings and rollback path.
#[component]
pub fn CutoverPlanPage() -> impl IntoView {
    let id = plan_id();
    let start = ServerAction::<StartCutoverRun>::new();
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
            {move || action_error(start.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => plan_body(p, start).into_any(),
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
                                <input type="hidden" name="form[id]" value=id.to_string()/>
                                <input type="hidden" name="form[revision]" value=e.revision.to_string()/>
                                <label>"Name" <input name="form[name]" required maxlength="80" value=e.name.clone()/></label>
                                <div class="two">
                                    <label>{format!("Freeze starts ({})", e.time_zone)} <input type="datetime-local" name="form[starts_at]" required value=e.starts_at/></label>
                                    <label>{format!("Freeze ends — unfreeze by ({})", e.time_zone)} <input type="datetime-local" name="form[ends_at]" required value=e.ends_at/></label>
                                </div>
                                <label>"Rollback criteria (Markdown): when to roll back, decided beforehand"
                                    <TextArea name="form[rollback_criteria]" text=e.rollback_criteria attr:rows="8"/>
                                </label>
                                <fieldset data-testid="silence-rules">
                                    <legend>"During the freeze, silence these alert rules"</legend>
                                    // Always sent, so that choosing none still sends the field.
                                    <input type="hidden" name="form[silence_rules][]" value=""/>
                                    {if e.alert_rules.is_empty() {
                                        view! { <p class="muted small">"The environment has no alert rule."</p> }.into_any()
                                    } else {
                                        e.alert_rules.iter().map(|(name, on)| view! {
                                            <label class="check"><input type="checkbox" name="form[silence_rules][]" value=name.clone() checked=*on/>" " {name.clone()}</label>
                                        }).collect_view().into_any()
                                    }}
                                    <p class="muted small">"Each run silences them in this environment from its freeze's start to its end, and ends the silences if it ends early. They are listed on the Alerts page."</p>
                                </fieldset>
                                <label>"Why (kept in the revision)" <input name="form[comment]" placeholder="Unfreeze moved to 06:00"/></label>
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
                        let gate_fields = gate_check_fields(&e);
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
                                {gate_fields}
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

/// The task form's gate check: what a gate checks by itself against the
/// console's data, each setting a field of its own.
fn gate_check_fields(e: &super::TaskEditor) -> impl IntoView + use<> {
    use super::gate::KINDS;
    let c = e.check.clone();
    let maps = if e.maps.is_empty() {
        "The environment has no map yet.".to_string()
    } else {
        format!("Maps: {}", e.maps.join(", "))
    };
    let severity = c.severity.clone();
    view! {
        <details class="gate-check" open=e.task.kind == TaskKind::Gate data-testid="gate-check">
            <summary>"Gate check: what a gate checks by itself (gates only)"</summary>
            <p class="muted small">"The console checks the gate when it starts and every minute after, and passes it when the check holds on fresh evidence. Without a check, a person passes or fails the gate."</p>
            <label>"Check"
                <select name="form[check_kind]">
                    <option value="" selected=c.kind.is_empty()>"None: a person decides"</option>
                    {KINDS.iter().map(|(k, label)| view! { <option value=*k selected=c.kind == *k>{*label}</option> }).collect_view()}
                </select>
            </label>
            <label>"Maps (names separated by commas; empty: every synced map)" <input name="form[check_maps]" value=c.maps.clone()/></label>
            <p class="muted small">{maps}</p>
            <div class="three">
                <label>"Counts apart, or drift allowed (records, or a share like 0.1%)" <input name="form[check_tolerance]" value=c.tolerance.clone() placeholder="0"/></label>
                <label>"Open error groups allowed" <input name="form[check_open]" inputmode="numeric" value=c.open.clone() placeholder="0"/></label>
                <label>"No new error group for" <input name="form[check_quiet]" value=c.quiet.clone() placeholder="30m"/></label>
            </div>
            <div class="three">
                <label>"Alerts: least severity that holds the gate"
                    <select name="form[check_severity]">
                        {["critical", "warning", "info"].into_iter().map(|v| view! { <option value=v selected=severity == v>{v}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Test record: map" <input name="form[check_map]" value=c.map.clone() list="map-names"/></label>
                <label>"Test record: key (or give it during the run)" <input name="form[check_key]" value=c.key.clone()/></label>
            </div>
            <label>"Evidence no older than (e.g. 30m or 1h; empty: the check's default)" <input name="form[check_fresh]" value=c.fresh.clone()/></label>
            <datalist id="map-names">{e.maps.iter().map(|m| view! { <option value=m.clone()></option> }).collect_view()}</datalist>
        </details>
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

fn status_badge(status: Status, words: String) -> impl IntoView {
    view! { <span class=format!("badge run-{}", status.as_str())>{words}</span> }
}

/// A run at a glance: the figures a manager reads first, the gates, what
/// is failed or blocked, what comes next, and the chart.
pub(super) fn summary_view(s: RunSummary) -> impl IntoView {
    let percent = (s.done * 100).checked_div(s.total).unwrap_or(0);
    view! {
        {s.ended.clone().map(|e| view! { <p class="ok-box" role="status" data-testid="run-ended">{format!("This run has ended: {e}.")}</p> })}
        <div class="cards run-cards" data-testid="run-summary">
            <div class="card">
                <p class="card-label">"Stage"</p>
                <p class="card-text" data-testid="run-stage">{s.stage.clone().unwrap_or_else(|| "All done".into())}</p>
                <p class="muted" data-testid="run-done">{format!("{} of {} tasks done ({percent} %)", s.done, s.total)}</p>
            </div>
            <div class=if s.behind { "card warn" } else { "card" }>
                <p class="card-label">"Against the plan"</p>
                <p class="card-text" data-testid="run-schedule">{s.schedule.clone()}</p>
            </div>
            <div class=if s.over { "card warn" } else { "card" }>
                <p class="card-label">"Forecast end"</p>
                <p class="card-text" data-testid="run-forecast-end">{s.forecast_end.clone()}</p>
                <p class="muted" data-testid="run-deadline">{format!("{} ({})", s.deadline_words, s.deadline)}</p>
            </div>
        </div>
        {(!s.failed.is_empty()).then(|| view! {
            <div class="error-box" role="alert" data-testid="run-failed"><strong>"Failed: "</strong>{s.failed.join(" · ")}</div>
        })}
        {(!s.blocked.is_empty()).then(|| view! {
            <div class="warn-box" data-testid="run-blocked"><strong>"Blocked by a failure: "</strong>{s.blocked.join(" · ")}</div>
        })}
        <h2>"Gates and sign-offs"</h2>
        {if s.gates.is_empty() {
            view! { <p class="empty">"The plan has no gate or sign-off."</p> }.into_any()
        } else {
            view! {
                <ul class="gates" data-testid="run-gates">
                    {s.gates.into_iter().map(|g| view! {
                        <li data-status=g.status.as_str() data-light=g.light.clone() data-gate=g.id.clone() class=format!("gate-{}", g.light)>
                            <span class=format!("badge light-{}", g.light)>{g.words.clone()}</span>
                            " " <strong>{g.id.clone()}</strong> " " {g.title.clone()}
                            {(!g.check.is_empty()).then(|| view! { <div class="muted small">{format!("Checks: {}", g.check)}</div> })}
                            {(!g.findings.is_empty()).then(|| view! {
                                <ul class="findings" data-testid="gate-findings">
                                    {g.findings.iter().map(|f| view! {
                                        <li class:bad=!f.ok><span class="mark">{if f.ok { "✓ " } else { "✗ " }}</span><strong>{f.subject.clone()}</strong>{format!(": {}", f.detail)}</li>
                                    }).collect_view()}
                                </ul>
                            })}
                            {(!g.checked.is_empty()).then(|| view! { <div class="muted small" data-testid="gate-checked">{g.checked.clone()}</div> })}
                            {g.needs_key.then(|| view! { <div class="muted small">"Waiting for the test record's key."</div> })}
                            {(!g.evidence.is_empty()).then(|| view! { <div class="muted small">{g.evidence.clone()}</div> })}
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <h2>"Now and next"</h2>
        {if s.next.is_empty() {
            view! { <p class="empty">"Nothing to start now."</p> }.into_any()
        } else {
            view! {
                <ul class="next" data-testid="run-next">
                    {s.next.into_iter().map(|n| view! {
                        <li>
                            <strong>{n.id.clone()}</strong> " " {n.title.clone()}
                            <div class="muted small">{format!("{} · {}", n.who, n.when)}{n.late.then_some(" · late")}</div>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {(!s.gantt_svg.is_empty()).then(|| view! {
            <figure class="chart gantt">
                <figcaption>"Each stage as planned (grey) and as done or forecast (green done, blue going, red late); the red line is the end of the freeze, the dark one now."</figcaption>
                <div class="chart-svg" role="img" aria-label="Stages planned against actual and forecast; the same times are in the table of tasks" inner_html=s.gantt_svg.clone()></div>
            </figure>
        })}
        <p class="muted small" data-testid="run-as-of">{format!("Data as of {}", s.as_of)}</p>
    }
}

/// The run's id from the path.
pub(super) fn run_id() -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|v| v.parse().ok()))
}

/// The run page's forms: acting on a task, checking a gate now, giving
/// a test record's key.
#[derive(Clone, Copy)]
struct RunForms {
    act: ServerAction<ActOnCutoverTask>,
    check: ServerAction<CheckCutoverGate>,
    key: ServerAction<SetCutoverRecordKey>,
}

fn run_table(rows: Vec<RunTaskRow>, run: i64, forms: RunForms) -> impl IntoView {
    let RunForms { act, check, key } = forms;
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Tasks of the run">
        <table class="data plan-tasks run-tasks">
            <thead><tr><th>"ID"</th><th>"Task"</th><th>"Status"</th><th>"Planned"</th><th>"Actual · forecast"</th><th>"Do"</th></tr></thead>
            <tbody>
            {rows.into_iter().map(|r| {
                let t = r.task;
                let id = t.id.clone();
                let (id2, id3) = (id.clone(), id.clone());
                let comment_label = format!("Comment on {}", t.id);
                view! {
                    <tr id=format!("task-{}", t.id) class:critical=r.critical data-testid="run-task" data-status=r.status.as_str()>
                        <td class="nowrap">{t.id.clone()}</td>
                        <td>
                            {t.title.clone()} " " {(t.kind != TaskKind::Task).then(|| kind_badge(t.kind))}
                            {r.critical.then(|| view! { " " <span class="badge critical-badge">"Critical"</span> })}
                            <div class="muted small">{[t.owner.clone(), t.backup_owner.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" / ")}</div>
                        </td>
                        <td>{status_badge(r.status, r.status.label().to_string())}</td>
                        <td class="nowrap">{r.planned}</td>
                        <td class="nowrap">
                            {r.actual}{r.forecast.then(|| view! { <span class="muted small">" (forecast)"</span> })}
                            {(!r.lateness.is_empty()).then(|| view! { <div class:flag=r.late class:muted=!r.late>{r.lateness.clone()}</div> })}
                        </td>
                        <td>
                            {(!r.actions.is_empty()).then(|| view! {
                                <ActionForm action=act attr:class="task-act">
                                    <input type="hidden" name="run" value=run.to_string()/>
                                    <input type="hidden" name="task" value=id.clone()/>
                                    <input name="comment" aria-label=comment_label.clone() placeholder=if r.needs_comment.iter().any(|(_, n)| *n) { "Comment or evidence" } else { "Comment (optional)" }/>
                                    <div class="actions-row">
                                        {r.actions.into_iter().map(|(a, words)| view! {
                                            <button type="submit" name="action" value=a.as_str() class="small">{words}</button>
                                        }).collect_view()}
                                    </div>
                                </ActionForm>
                            })}
                            {r.check_now.then(|| view! {
                                <ActionForm action=check attr:class="task-act">
                                    <input type="hidden" name="run" value=run.to_string()/>
                                    <input type="hidden" name="task" value=id2.clone()/>
                                    <button type="submit" class="small" data-testid="check-now">"Check now"</button>
                                </ActionForm>
                            })}
                            {r.ask_key.then(|| view! {
                                <ActionForm action=key attr:class="task-act">
                                    <input type="hidden" name="run" value=run.to_string()/>
                                    <input type="hidden" name="task" value=id3.clone()/>
                                    <input name="key" required aria-label=format!("Test record key for {id3}") placeholder="Test record key"/>
                                    <button type="submit" class="small">"Check this record"</button>
                                </ActionForm>
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// A run for the people working it: every task with its planned, actual
/// and forecast times, the actions, re-baselining and ending the run, and
/// its log.
#[component]
pub fn CutoverRunPage() -> impl IntoView {
    let id = run_id();
    let act = ServerAction::<ActOnCutoverTask>::new();
    let check = ServerAction::<CheckCutoverGate>::new();
    let key = ServerAction::<SetCutoverRecordKey>::new();
    let forms = RunForms { act, check, key };
    let rebaseline = ServerAction::<RebaselineCutoverRun>::new();
    let end = ServerAction::<EndCutoverRun>::new();
    let page = Resource::new(
        move || {
            (
                id.get(),
                act.version().get(),
                check.version().get(),
                key.version().get(),
                rebaseline.version().get(),
                end.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => cutover_run_page(id).await,
                None => Err(AppError::not_found("That cutover run")),
            }
        },
    );
    view! {
        <Layout title="Cutover run">
            {move || action_error(act.value().get())}
            {move || action_error(check.value().get())}
            {move || action_error(key.value().get())}
            {move || action_error(rebaseline.value().get())}
            {move || action_error(end.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let id = p.id;
                    view! {
                        <p class="context">
                            <a href=format!("/cutover/plans/{}", p.plan_id)>{p.plan_name.clone()}</a>
                            {format!(" (revision {}) · {} · times in {}", p.plan_revision, p.environment, p.time_zone)}
                        </p>
                        <h2 class="doc-title" data-testid="run-name">
                            {p.name.clone()} " " <span class=format!("badge run-kind-{}", p.kind.as_str())>{if p.kind == RunKind::Live { "Live" } else { "Rehearsal" }}</span>
                        </h2>
                        <p class="muted">{format!("Freeze {} · {}", p.window, p.started)}</p>
                        {(!p.silenced.is_empty()).then(|| view! {
                            <p class="muted" data-testid="run-silenced">
                                {format!("Alert rules silenced during the freeze: {}. ", p.silenced.join(", "))}
                                <a href="/alerts/silences">"Silences"</a>
                            </p>
                        })}
                        <p class="actions">
                            <a href=format!("/cutover/runs/{id}/status") data-testid="status-link">"Status page for managers"</a>
                            " · " <a href=format!("/cutover/runs/{id}/report") data-testid="report-link">"Report"</a>
                        </p>
                        {summary_view(p.summary)}
                        {p.stages.into_iter().map(|(stage, rows)| view! {
                            <h3>{stage}</h3>
                            {run_table(rows, id, forms)}
                        }).collect_view()}
                        {(!p.rollback.is_empty()).then(|| view! {
                            <h3>"Rollback path"</h3>
                            {run_table(p.rollback, id, forms)}
                        })}
                        {p.can_act.then(|| view! {
                            <details class="add-form">
                                <summary>"Re-baseline"</summary>
                                <ActionForm action=rebaseline attr:class="stack form-card">
                                    <input type="hidden" name="run" value=id.to_string()/>
                                    <p class="muted">"The forecast becomes the plan: lateness is measured from now on against it."</p>
                                    <label>"Why" <input name="comment" required placeholder="Initial sync re-run agreed at the go/no-go"/></label>
                                    <button type="submit">"Re-baseline"</button>
                                </ActionForm>
                            </details>
                            <details class="danger-zone">
                                <summary>"End this run"</summary>
                                <ActionForm action=end attr:class="stack">
                                    <input type="hidden" name="run" value=id.to_string()/>
                                    <label>"How it ended"
                                        <select name="outcome">
                                            <option value="completed">"Completed"</option>
                                            <option value="rolled_back">"Rolled back"</option>
                                            <option value="abandoned">"Abandoned"</option>
                                        </select>
                                    </label>
                                    <label>"Why (required unless completed)" <input name="comment"/></label>
                                    <button type="submit" class="danger">"End run"</button>
                                </ActionForm>
                            </details>
                        })}
                        <h2>"Log"</h2>
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Log of the run">
                        <table class="data" data-testid="run-log">
                            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Comment"</th></tr></thead>
                            <tbody>
                            {p.events.into_iter().map(|e| view! {
                                <tr><td class="nowrap">{e.at}</td><td>{e.actor}</td><td>{e.what}</td><td>{e.comment}</td></tr>
                            }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// The managers' page of a run: read-only, readable on a phone and a wall
/// screen, reading itself again every 30 seconds when hydrated.
#[component]
pub fn CutoverStatusPage() -> impl IntoView {
    let id = run_id();
    let page = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => cutover_status(id).await,
                None => Err(AppError::not_found("That cutover run")),
            }
        },
    );
    view! {
        <Layout title="Cutover status">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    view! {
                        <p class="context">{format!("{} · times in {}", p.environment, p.time_zone)}</p>
                        <h2 class="doc-title" data-testid="status-title">{p.title.clone()}</h2>
                        <p class="actions">
                            <a href=format!("/cutover/runs/{}", p.id)>"All tasks and the log"</a>
                            " · " <a href=format!("/cutover/runs/{}/report", p.id)>"Report"</a>
                        </p>
                        // While the run goes on, read it again every 30 seconds.
                        {p.summary.ended.is_none().then(|| view! { <AutoRefresh seconds=30/> })}
                        {summary_view(p.summary)}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}
