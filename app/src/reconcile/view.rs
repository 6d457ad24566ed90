//! The reconciliation page of a map: run a sample or a full diff, watch a
//! full diff's progress, read the latest result against the run before,
//! the drift-rate trend, and every difference with both sides' values.

use super::api::{
    CancelReconcile, ExplainDifference, SaveReconcileSettings, StartReconcile, get_reconcile,
};
use super::{Difference, ReconcilePage, Run, fmt_rate, kind_label};
use crate::components::{AutoRefresh, ErrorBox, action_error, fmt_count, fmt_time};
use crate::layout::Layout;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

fn status_badge(status: &str) -> impl IntoView + use<> {
    let class = match status {
        "done" => "accepted",
        "running" => "proposed",
        _ => "rejected",
    };
    view! { <span class=format!("status status-{class}")>{status.to_string()}</span> }
}

fn run_kind(r: &Run) -> String {
    match (r.kind.as_str(), r.sample_size) {
        ("sample", Some(n)) => format!("Sample of {n} per side"),
        ("sample", None) => "Sample".into(),
        _ => "Full diff".into(),
    }
}

/// The result of one finished run, in numbers.
fn summary(r: &Run) -> impl IntoView + use<> {
    view! {
        <dl class="facts" data-testid="reconcile-summary">
            <dt>"Run"</dt>
            <dd>{format!("{} · {} · started {} by {}", run_kind(r), r.status, fmt_time(&r.started_at), r.requested_by)}</dd>
            <dt>"Records compared"</dt><dd>{fmt_count(r.records)}</dd>
            <dt>"Missing in Dataverse"</dt><dd data-testid="missing-in-dataverse">{fmt_count(r.missing_in_dataverse)}</dd>
            <dt>"Missing in F&O"</dt><dd data-testid="missing-in-fo">{fmt_count(r.missing_in_fo)}</dd>
            <dt>"Records with differing fields"</dt><dd data-testid="differing">{fmt_count(r.differing)}</dd>
            <dt>"Drift rate"</dt><dd data-testid="drift-rate"><strong>{fmt_rate(r.drift_rate())}</strong></dd>
            <dt>"Cleared on re-check"</dt>
            <dd>{format!("{} (in sync when read again {} s later: sync lag, not drift)", fmt_count(r.cleared_by_recheck), r.recheck_secs)}</dd>
            <dt>"Against the run before"</dt>
            <dd data-testid="reconcile-changes">{format!("{} new · {} persisting · {} fixed", r.new_differences, r.persisting, r.fixed)}</dd>
        </dl>
    }
}

fn progress(r: &Run) -> impl IntoView + use<> {
    let pct = r.progress();
    view! {
        <div class="progress" data-testid="reconcile-progress">
            <p>
                <strong>{format!("{} running", run_kind(r))}</strong>
                {format!(" — read {} F&O and {} Dataverse records", fmt_count(r.fo_read), fmt_count(r.dataverse_read))}
                {pct.map(|p| format!(" (about {p:.0} %)"))}
            </p>
            {pct.map(|p| view! { <progress max="100" value=format!("{p:.0}")></progress> })}
        </div>
    }
}

fn difference_row(
    d: Difference,
    can_edit: bool,
    explain: ServerAction<ExplainDifference>,
) -> impl IntoView + use<> {
    let fixed = d.change == "fixed";
    view! {
        <tr class:inactive=fixed>
            <td class="nowrap"><code>{d.record_key.clone()}</code></td>
            <td class="nowrap">{kind_label(&d.kind).to_string()}</td>
            <td>{d.field.clone()}</td>
            <td class="value">{d.fo_value.clone()}</td>
            <td class="value">{d.dataverse_value.clone()}</td>
            <td>{d.change.clone()}</td>
            <td>
                {match d.explanation.clone() {
                    Some(text) => view! {
                        <div data-testid="explanation">{text}<div class="muted small">{format!("{} · {}", d.explained_by.clone().unwrap_or_default(), d.explained_at.as_deref().map(fmt_time).unwrap_or_default())}</div></div>
                    }.into_any(),
                    None if can_edit && !fixed => view! {
                        <ActionForm action=explain attr:class="inline" attr:data-testid="explain-form">
                            <input type="hidden" name="difference_id" value=d.id.to_string()/>
                            <input name="explanation" placeholder="Why it is expected" required aria-label=format!("Why the difference on {} is expected", d.record_key)/>
                            <button type="submit">"Explain"</button>
                        </ActionForm>
                    }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}

/// The page's actions; each result re-reads the page.
#[derive(Clone, Copy)]
struct Actions {
    start: ServerAction<StartReconcile>,
    cancel: ServerAction<CancelReconcile>,
    settings: ServerAction<SaveReconcileSettings>,
    explain: ServerAction<ExplainDifference>,
}

fn page_view(p: ReconcilePage, a: Actions) -> impl IntoView + use<> {
    let Actions {
        start,
        cancel,
        settings,
        explain,
    } = a;
    let running = p.runs.iter().find(|r| r.status == "running").cloned();
    let busy = running.is_some();
    let map_id = p.map_id;
    let shown_id = p.shown.as_ref().map(|r| r.id);
    view! {
        <p class="context">
            <a href=format!("/maps/{map_id}")>{p.map_name.clone()}</a>{format!(" · {}", p.environment)}
        </p>
        {p.blocked.clone().map(|b| view! { <p class="flag" data-testid="reconcile-blocked">{b}</p> })}
        // While a run goes on, read the page again every two seconds.
        {busy.then(|| view! { <AutoRefresh seconds=2/> })}
        {(p.can_edit && p.blocked.is_none()).then(|| view! {
            <div class="actions">
                <ActionForm action=start attr:class="inline">
                    <input type="hidden" name="map_id" value=map_id.to_string()/>
                    <input type="hidden" name="full" value="false"/>
                    <button type="submit" class="primary" disabled=busy>{format!("Run a sample now ({} per side)", p.settings.sample_size)}</button>
                </ActionForm>
                <ActionForm action=start attr:class="inline">
                    <input type="hidden" name="map_id" value=map_id.to_string()/>
                    <input type="hidden" name="full" value="true"/>
                    <button type="submit" disabled=busy>"Run a full diff now"</button>
                </ActionForm>
            </div>
        })}
        {move || action_error(start.value().get())}
        {running.map(|r| {
            let id = r.id;
            view! {
                {progress(&r)}
                <p class="muted"><a href=format!("/maps/{map_id}/reconcile?run={id}")>"Refresh"</a>" to see the latest progress (the page refreshes itself while a run goes on)."</p>
                {(p.can_edit && r.kind == "full").then(|| view! {
                    <ActionForm action=cancel attr:class="inline">
                        <input type="hidden" name="run_id" value=id.to_string()/>
                        <button type="submit" class="danger">"Cancel the full diff"</button>
                    </ActionForm>
                })}
                {move || action_error(cancel.value().get())}
            }
        })}
        {match p.shown.clone().filter(|r| r.status != "running") {
            None if busy => ().into_any(),
            None => view! { <p class="empty">"No reconciliation has finished for this map yet."</p> }.into_any(),
            Some(r) => view! {
                <h3>{if Some(r.id) == p.runs.iter().find(|x| x.status == "done").map(|x| x.id) { "Latest result".to_string() } else { format!("Run #{}", r.id) }}</h3>
                {r.error.clone().map(|e| view! { <p class="flag">{e}</p> })}
                {summary(&r)}
                <h3>"Differences"</h3>
                {if p.differences.is_empty() {
                    view! { <p class="muted">"None: every compared record matches."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Differences">
                        <table class="data" data-testid="differences-table">
                            <thead><tr><th>"Key"</th><th>"Difference"</th><th>"Field"</th><th>"F&O value"</th><th>"Dataverse value"</th><th>"Since last run"</th><th>"Explained"</th></tr></thead>
                            <tbody>{p.differences.into_iter().map(|d| difference_row(d, p.can_edit, explain)).collect_view()}</tbody>
                        </table>
                        </div>
                        {move || action_error(explain.value().get())}
                        {(p.more_differences > 0).then(|| view! {
                            <p class="muted">{format!("{} more differences are counted but not listed.", fmt_count(p.more_differences))}</p>
                        })}
                    }.into_any()
                }}
            }.into_any(),
        }}
        <h3>"Drift rate by run"</h3>
        {
            // Finished runs, oldest first: the trend at a glance.
            let done: Vec<&Run> = p.runs.iter().rev().filter(|r| r.status == "done").collect();
            (done.len() > 1).then(|| {
                let rates: Vec<f64> = done.iter().map(|r| r.drift_rate()).collect();
                let words = done.iter().map(|r| fmt_rate(r.drift_rate())).collect::<Vec<_>>().join(", ");
                view! {
                    <p class="trend" data-testid="drift-trend">
                        {crate::components::sparkline(&rates, format!("Drift rate of the last {} runs, oldest first: {words}", done.len()))}
                        <span class="muted small">{format!(" last {} finished runs, oldest first", done.len())}</span>
                    </p>
                }
            })
        }
        {if p.runs.is_empty() {
            view! { <p class="muted">"No runs yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Reconciliation runs"><table class="data compact" data-testid="runs-table">
                    <thead><tr><th>"Started"</th><th>"Run"</th><th>"Status"</th><th class="num">"Records"</th><th class="num">"Drifting"</th><th class="num">"Drift rate"</th><th></th></tr></thead>
                    <tbody>
                        {p.runs.iter().map(|r| view! {
                            <tr class:current=Some(r.id) == shown_id>
                                <td class="nowrap">{fmt_time(&r.started_at)}</td>
                                <td>{run_kind(r)}</td>
                                <td>{status_badge(&r.status)}</td>
                                <td class="num">{fmt_count(r.records)}</td>
                                <td class="num">{fmt_count(r.drifting())}</td>
                                <td class="num">{if r.status == "done" { fmt_rate(r.drift_rate()) } else { "—".into() }}</td>
                                <td><a href=format!("/maps/{map_id}/reconcile?run={}", r.id)>"Open"</a></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        {p.can_edit.then(|| view! {
            <h3>"Schedule"</h3>
            <ActionForm action=settings attr:class="stack form-card" attr:data-testid="reconcile-settings">
                <input type="hidden" name="map_id" value=map_id.to_string()/>
                <label>"Daily sample, records per side" <input name="sample_size" type="number" min="1" max="10000" value=p.settings.sample_size.to_string()/></label>
                <label>"Full diff every (days; 0 = on demand only)" <input name="full_every_days" type="number" min="0" max="365" value=p.settings.full_every_days.to_string()/></label>
                <button type="submit">"Save schedule"</button>
            </ActionForm>
            {move || action_error(settings.value().get())}
        })}
    }
}

/// `/maps/:id/reconcile`.
#[component]
pub fn ReconcilePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let map_id = Memo::new(move |_| params.read().get("id").and_then(|v| v.parse::<i64>().ok()));
    let run = Memo::new(move |_| query.read().get("run").and_then(|v| v.parse::<i64>().ok()));
    let actions = Actions {
        start: ServerAction::new(),
        cancel: ServerAction::new(),
        settings: ServerAction::new(),
        explain: ServerAction::new(),
    };
    let page = Resource::new(
        move || {
            (
                map_id.get(),
                run.get(),
                actions.start.version().get(),
                actions.cancel.version().get(),
                actions.settings.version().get(),
                actions.explain.version().get(),
            )
        },
        |(id, run, ..)| async move {
            match id {
                Some(id) => get_reconcile(id, run).await,
                None => Err(crate::error::AppError::not_found("That table map")),
            }
        },
    );
    view! {
        <Layout title="Reconciliation">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => page_view(p, actions).into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}
