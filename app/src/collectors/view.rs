//! The collectors page.

use super::api::{TestConnection, list_collectors};
use crate::components::{ErrorBox, fmt_count, fmt_time};
use crate::layout::Layout;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What each collector last did, and its recent runs.
#[component]
pub fn CollectorsPage() -> impl IntoView {
    let test = ServerAction::<TestConnection>::new();
    let query = use_query_map();
    let page = Resource::new(
        move || (test.version().get(), query.read().get("test")),
        |(_, token)| list_collectors(token),
    );
    view! {
        <Layout title="Collectors">
            <p class="lead">
                "Collectors pull from each connected environment on a schedule: the dual-write plug-in trace log into the \
                 error queue, F&O's map states onto each map's page, every synced map's record counts on both sides, and \
                 its changes and failures per minute (throughput). \
                 A run stores everything it read in one step, or nothing; a failed run is retried by the next."
            </p>
            {move || crate::components::action_error(test.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let can_test = p.can_test;
                    let scheduling = scheduling_note(&p.scheduling);
                    let gone = p.test_gone.then(|| view! {
                        <p class="warn-box" role="status" data-testid="connection-test-gone">
                            "This connection test's result is no longer kept (results are kept for a day), or the link is wrong. "
                            {if can_test { "Run the test again below." } else { "An admin can run it again." }}
                        </p>
                    });
                    let tested = p.test.clone().map(|t| {
                        let all_ok = t.checks.iter().all(|c| c.ok);
                        let lines = t
                            .checks
                            .iter()
                            .map(|c| format!("{} {}: {}", if c.ok { "✓" } else { "✗" }, c.check, c.detail))
                            .collect::<Vec<_>>()
                            .join("\n");
                        view! {
                            <div class=if all_ok { "ok-box" } else { "warn-box" } role="status" data-testid="connection-test">
                                <strong>{format!(
                                    "Connection test of {}: {} ({}, {})",
                                    t.environment,
                                    if all_ok { "every check passed" } else { "a check failed" },
                                    t.tested_by,
                                    fmt_time(&t.tested_at)
                                )}</strong>
                                <pre class="checks">{lines}</pre>
                            </div>
                        }
                    });
                    let connections = (!p.connections.is_empty()).then(|| view! {
                        <h2>"Connections"</h2>
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Connections">
                        <table class="data" data-testid="connections-table">
                            <thead><tr><th>"Environment"</th><th>"Tenant / client id"</th><th>"Dataverse"</th><th>"F&O"</th><th></th></tr></thead>
                            <tbody>
                            {p.connections.clone().into_iter().map(|c| view! {
                                <tr>
                                    <td>{c.environment.clone()}{c.simulated.then_some(" (simulated)")}</td>
                                    <td><code>{format!("{} / {}", c.tenant, c.client_id)}</code></td>
                                    <td class="break">{c.dataverse_url.clone()}</td>
                                    <td class="break">{c.fo_url.clone()}</td>
                                    <td>
                                        {can_test.then(|| view! {
                                            <ActionForm action=test attr:class="inline">
                                                <input type="hidden" name="env" value=c.environment.clone()/>
                                                <button type="submit" class="small">"Test connection"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    });
                    if p.collectors.is_empty() {
                        return view! {
                            {scheduling}
                            {gone}
                            {tested}
                            {connections}
                            <p class="empty">"No collector has run yet. Collectors run for environments with a configured connection (see the README, “Connections”), and for the simulated demo environment."</p>
                        }.into_any();
                    }
                    view! {
                        {scheduling}
                        {gone}
                        {tested}
                        {connections}
                        <h2>"Collectors"</h2>
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Collectors">
                        <table class="data" data-testid="collectors-table">
                            <thead><tr><th>"Environment"</th><th>"Collector"</th><th>"Last success"</th><th>"Last run"</th><th class="num">"Stored, 24 h"</th><th>"Failures since success"</th></tr></thead>
                            <tbody>
                            {p.collectors.into_iter().map(|c| {
                                let failed = c.last_run.outcome != "ok";
                                view! {
                                    <tr class:warn-row=failed>
                                        <td>{c.environment}</td>
                                        <td>{super::collector_label(&c.collector).to_string()}</td>
                                        <td class="nowrap">{c.last_success.as_deref().map(fmt_time).unwrap_or_else(|| "never".into())}</td>
                                        <td>
                                            <span class=format!("status status-{}", if failed { "rejected" } else { "accepted" })>{c.last_run.outcome.clone()}</span>
                                            " "{fmt_time(&c.last_run.finished_at)}
                                            {c.last_run.error.clone().map(|e| view! { <div class="muted small">{e}</div> })}
                                        </td>
                                        <td class="num">{fmt_count(c.items_24h)}</td>
                                        <td class="num">{c.failures_since_success}</td>
                                    </tr>
                                }
                            }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                        <h2>"Recent runs"</h2>
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Recent runs">
                        <table class="data" data-testid="runs-table">
                            <thead><tr><th>"Started"</th><th>"Environment"</th><th>"Collector"</th><th>"Outcome"</th><th class="num">"Stored"</th><th>"Error"</th></tr></thead>
                            <tbody>
                            {p.runs.into_iter().map(|r| view! {
                                <tr>
                                    <td class="nowrap">{fmt_time(&r.started_at)}</td>
                                    <td>{r.environment}</td>
                                    <td>{super::collector_label(&r.collector).to_string()}</td>
                                    <td>{r.outcome}</td>
                                    <td class="num">{fmt_count(r.items)}</td>
                                    <td class="muted">{r.error.unwrap_or_default()}</td>
                                </tr>
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

/// Where the scheduled work runs, when it is worth saying: with several
/// servers on the database, which one runs it; with none holding the
/// scheduler lease, that collectors and alert rules wait.
fn scheduling_note(s: &crate::servers::Scheduling) -> Option<AnyView> {
    match &s.holder {
        None => Some(
            view! {
                <p class="warn-box" role="status" data-testid="scheduling">
                    "No server runs the scheduled work right now (collectors, record counts, alert rules, gates, \
                     notifications, retention): it waits until a server takes the scheduler lease, which a running \
                     server does within the lease time (--lease-secs)."
                </p>
            }
            .into_any(),
        ),
        Some((who, since)) if s.servers.len() > 1 => Some(
            view! {
                <p class="muted" data-testid="scheduling">
                    {format!(
                        "{} servers share this database; the scheduled work (these collectors among it) runs on {who}, since {}.",
                        s.servers.len(),
                        fmt_time(since)
                    )}
                </p>
            }
            .into_any(),
        ),
        Some(_) => None,
    }
}
