//! After a run: its report (printable, with a CSV beside it) and two runs
//! side by side. Server-rendered; the one form (taking a run's durations
//! into the plan) is a server action that redirects, so it works without
//! JavaScript.

use super::report_api::*;
use super::run::RunKind;
use super::view::{run_id, summary_view};
use super::{CompareRow, ReportRow, TaskKind};
use crate::components::{ErrorBox, action_error};
use crate::error::AppError;
use crate::layout::Layout;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// One stage's tasks, planned against actual.
fn report_table(rows: Vec<ReportRow>, label: String) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
        <table class="data report-tasks">
            <thead><tr>
                <th>"Task"</th><th>"Owner"</th><th>"Status"</th>
                <th>"Planned"</th><th>"Actual"</th><th>"Over plan"</th><th>"Comment or evidence"</th>
            </tr></thead>
            <tbody>
            {rows.into_iter().map(|r| {
                let decided = (!r.decided.is_empty()).then(|| format!(" {}", r.decided));
                view! {
                    <tr data-task=r.id.clone() data-status=r.status.as_str()>
                        <td><strong>{r.id.clone()}</strong> " " {r.title.clone()}
                            {(r.kind != TaskKind::Task).then(|| view! { <span class="muted small">{format!(" ({})", r.kind.label().to_lowercase())}</span> })}
                        </td>
                        <td>{r.owner.clone()}</td>
                        <td>{r.status_words.clone()}{decided}</td>
                        <td class="nowrap">{r.planned_start.clone()}<div class="muted small">{r.planned.clone()}</div></td>
                        <td class="nowrap">{r.actual_start.clone()}<div class="muted small">{r.actual.clone()}</div></td>
                        <td class="nowrap" class:flag=r.over_flag data-testid="over">{r.over.clone()}</td>
                        <td>{r.comment.clone()}</td>
                    </tr>
                }
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// A run's report: its figures, the gates with their evidence, every task
/// planned against actual, the whole log; a CSV of the same; the run
/// compared with another; and the durations the plan should take from it.
#[component]
pub fn CutoverReportPage() -> impl IntoView {
    let id = run_id();
    let adopt = ServerAction::<AdoptCutoverDurations>::new();
    let page = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => cutover_run_report(id).await,
                None => Err(AppError::not_found("That cutover run")),
            }
        },
    );
    view! {
        <Layout title="Cutover run report">
            {move || action_error(adopt.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let id = p.id;
                    let kind = if p.kind == RunKind::Live { "Live" } else { "Rehearsal" };
                    view! {
                        <div class="review cutover-report">
                        <p class="context">
                            <a href=format!("/cutover/plans/{}", p.plan_id)>{p.plan_name.clone()}</a>
                            {format!(" (revision {}) · {} · times in {}", p.plan_revision, p.environment, p.time_zone)}
                        </p>
                        <h2 class="doc-title" data-testid="report-title">{format!("Report: {} ", p.name)}<span class=format!("badge run-kind-{}", p.kind.as_str())>{kind}</span></h2>
                        <p class="muted">{format!("Freeze {} · {}", p.window, p.started)}</p>
                        <p class="actions">
                            <a href=format!("/cutover/runs/{id}")>"The run"</a>
                            " · " <a href=format!("/export/cutover/runs/{id}.csv") download="" rel="external" data-testid="report-csv">"Download CSV"</a>
                            " · " <span class="muted">"Print this page for the file: the forms and navigation are left off."</span>
                        </p>
                        <dl class="facts" data-testid="report-facts">
                            {p.facts.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                        </dl>
                        {p.others.is_empty().then(|| view! {
                            <p class="muted" data-testid="compare-none">"No other run of this plan to compare with yet: start another rehearsal from the plan's page."</p>
                        })}
                        {(!p.others.is_empty()).then(|| view! {
                            <form method="get" action=format!("/cutover/runs/{id}/compare") class="inline" data-testid="compare-form">
                                <label>"Compare with "
                                    <select name="with">
                                        {p.others.iter().map(|(oid, name)| view! { <option value=oid.to_string()>{name.clone()}</option> }).collect_view()}
                                    </select>
                                </label>
                                " " <button type="submit" class="small">"Compare"</button>
                            </form>
                        })}
                        {summary_view(p.summary)}
                        <h2>"Planned against actual"</h2>
                        {p.stages.into_iter().map(|(stage, rows)| {
                            let label = format!("Tasks of {stage}, planned against actual");
                            view! { <h3>{stage}</h3> {report_table(rows, label)} }
                        }).collect_view()}
                        {(!p.rollback.is_empty()).then(|| view! {
                            <h3>"Rollback path"</h3>
                            {report_table(p.rollback, "Rollback steps, planned against actual".into())}
                        })}
                        <h2>"Durations for the next rehearsal"</h2>
                        {match (p.plan_now, p.changes.is_empty()) {
                            (None, _) => view! { <p class="empty">"The plan has been deleted; restore it to take durations from this run."</p> }.into_any(),
                            (Some(_), true) => view! { <p class="empty" data-testid="no-duration-changes">"The plan's durations match what this run took (within 5 minutes or a tenth)."</p> }.into_any(),
                            (Some(revision), false) => view! {
                                <p>"These tasks took at least 5 minutes and a tenth more or less than the plan now says:"</p>
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Durations the plan should change">
                                <table class="data" data-testid="duration-changes">
                                    <thead><tr><th>"Task"</th><th>"Plan now"</th><th>"This run took"</th></tr></thead>
                                    <tbody>
                                    {p.changes.into_iter().map(|c| view! {
                                        <tr><td><strong>{c.id}</strong> " " {c.title}</td><td>{c.from}</td><td>{c.to}</td></tr>
                                    }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                                {p.can_edit.then(|| view! {
                                    <ActionForm action=adopt attr:class="stack form-card">
                                        <input type="hidden" name="run" value=id.to_string()/>
                                        <input type="hidden" name="revision" value=revision.to_string()/>
                                        <label>"Why (optional)" <input name="comment" placeholder="Rehearsal 2 timings agreed in the review"/></label>
                                        <button type="submit" data-testid="adopt-durations">"Plan with these durations"</button>
                                    </ActionForm>
                                })}
                            }.into_any(),
                        }}
                        <h2>"Log"</h2>
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Log of the run, oldest first">
                        <table class="data" data-testid="report-log">
                            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Comment"</th></tr></thead>
                            <tbody>
                            {p.events.into_iter().map(|e| view! {
                                <tr><td class="nowrap">{e.at}</td><td>{e.actor}</td><td>{e.what}</td><td>{e.comment}</td></tr>
                            }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

fn compare_table(rows: Vec<CompareRow>, a: String, b: String) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Tasks in both runs">
        <table class="data" data-testid="compare-table">
            <thead><tr>
                <th>"Task"</th><th>"Stage"</th><th>"Planned"</th>
                <th>{a}</th><th>{b}</th><th>"Difference"</th>
            </tr></thead>
            <tbody>
            {rows.into_iter().map(|r| view! {
                <tr data-task=r.id.clone()>
                    <td><strong>{r.id.clone()}</strong> " " {r.title.clone()}</td>
                    <td>{r.stage.clone()}</td>
                    <td class="nowrap">{r.planned.clone()}</td>
                    <td class="nowrap">{r.a.clone()}</td>
                    <td class="nowrap">{r.b.clone()}</td>
                    <td class="nowrap" class:flag=r.longer data-testid="delta">{r.delta.clone()}</td>
                </tr>
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// Two runs of a plan side by side: which tasks took longer, and by how
/// much (`/cutover/runs/:id/compare?with=OTHER`).
#[component]
pub fn CutoverComparePage() -> impl IntoView {
    let id = run_id();
    let query = use_query_map();
    let with = Memo::new(move |_| query.read().get("with").and_then(|v| v.parse::<i64>().ok()));
    let page = Resource::new(
        move || (id.get(), with.get()),
        |(id, with)| async move {
            match (id, with) {
                (Some(id), Some(with)) => cutover_run_comparison(id, with).await,
                (None, _) => Err(AppError::not_found("That cutover run")),
                (Some(_), None) => Err(AppError::validation(
                    "with",
                    "Choose a run to compare with on the run's report.",
                )),
            }
        },
    );
    view! {
        <Layout title="Compare cutover runs">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let c = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(c) => c,
                    };
                    let (a, b) = (c.a.1.clone(), c.b.1.clone());
                    view! {
                        <div class="review">
                        <p class="context">
                            <a href=format!("/cutover/plans/{}", c.plan.0)>{c.plan.1.clone()}</a>
                            " · " <a href=format!("/cutover/runs/{}/report", c.a.0)>{format!("{a}'s report")}</a>
                            " · " <a href=format!("/cutover/runs/{}/report", c.b.0)>{format!("{b}'s report")}</a>
                        </p>
                        <h2 class="doc-title" data-testid="compare-title">{format!("{a} against {b}")}</h2>
                        <p data-testid="compare-verdict">{c.verdict.clone()}</p>
                        <dl class="facts">
                            <dt>{format!("{a} took")}</dt><dd>{c.elapsed.0.clone()}</dd>
                            <dt>{format!("{b} took")}</dt><dd>{c.elapsed.1.clone()}</dd>
                        </dl>
                        <p class="muted small">"Tasks are matched by their ID; the difference is how much longer the second run took. A task not done in one of the runs has no difference."</p>
                        {compare_table(c.rows, a, b)}
                        </div>
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}
