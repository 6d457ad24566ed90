//! The overview page: the chosen environment at a glance, then the
//! console's own figures.

use super::api::{get_env_overview, get_overview};
use super::{EnvOverview, Overview, STATES};
use crate::collectors::collector_label;
use crate::components::{ErrorBox, fmt_count, fmt_time, percent_encode, sparkline};
use crate::environments::view::EnvironmentSwitcher;
use crate::environments::view::use_env_param;
use crate::layout::Layout;
use leptos::prelude::*;

/// Home page: the environment, then access figures and the latest changes.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let env = use_env_param();
    let glance = Resource::new(move || env.get(), get_env_overview);
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <Layout title="Overview" switcher=EnvironmentSwitcher>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match glance.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(None) => view! {
                            <p class="empty">"No environment yet. An admin "<a href="/admin/environments">"adds the first one"</a>"; its table maps, errors and trends then show here."</p>
                        }.into_any(),
                        Ok(Some(o)) => environment_view(o).into_any(),
                    }
                })}
            </Transition>
            <h2>"Console"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(o) => console_view(o).into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

fn environment_view(o: EnvOverview) -> impl IntoView {
    let env_q = percent_encode(&o.environment, b"");
    let total_maps = o.maps.len();
    let states = STATES
        .iter()
        .zip(&o.states)
        .filter(|(_, n)| **n > 0)
        .map(|((_, label), n)| format!("{n} {}", label.to_lowercase()))
        .collect::<Vec<_>>()
        .join(" · ");
    let not_running = o.states[1] + o.states[2] + o.states[3];
    let failed_collectors = o.collectors.iter().filter(|c| c.outcome != "ok").count();
    let errors_total: f64 = o.errors_24h.iter().sum();
    let collectors = o
        .collectors
        .iter()
        .map(|c| {
            let ok = c.outcome == "ok";
            view! {
                <li class:bad=!ok title=c.error.clone().unwrap_or_default()>
                    {if ok { "✓ " } else { "✗ " }}{collector_label(&c.collector).to_string()}
                    <span class="muted">{format!(" · {}", fmt_time(&c.finished_at))}</span>
                </li>
            }
        })
        .collect_view();
    let no_collectors = o.collectors.is_empty();
    let rows = o
        .maps
        .into_iter()
        .map(|m| {
            let synced: f64 = m.synced_24h.iter().sum();
            let label = format!("{} records synced per hour over the last 24 hours", m.name);
            let reconcile = m.reconcile.map(|r| {
                let text = if r.status == "failed" {
                    "failed".to_string()
                } else if r.differences == 0 {
                    format!("in step ({} records)", fmt_count(r.records))
                } else {
                    format!("{} of {} differ", fmt_count(r.differences), fmt_count(r.records))
                };
                view! {
                    <a href=format!("/maps/{}/reconcile?run={}", m.id, r.run_id) class:bad={r.differences > 0 || r.status == "failed"}>{text}</a>
                    <span class="muted small">{format!(" {} · {}", r.kind, fmt_time(&r.finished_at))}</span>
                }
            });
            view! {
                <tr>
                    <td><a href=format!("/maps/{}", m.id)>{m.name.clone()}</a></td>
                    <td>{m.state.clone().map(|s| s.replace('_', " ")).unwrap_or_else(|| "not observed".into())}</td>
                    <td class="num"><a href=format!("/errors?env={env_q}&map={}", m.id)>{fmt_count(m.open_groups)}</a></td>
                    <td class="num">{fmt_count(m.errors_24h)}</td>
                    <td class="nowrap">{sparkline(&m.synced_24h, label)}" "{fmt_count(synced as i64)}</td>
                    <td class="num" class:bad={m.failed_24h > 0}>{fmt_count(m.failed_24h)}</td>
                    <td class="num" class:bad={m.count_difference.is_some_and(|d| d != 0)}>{m.count_difference.map(fmt_count).unwrap_or_else(|| "—".into())}</td>
                    <td>{reconcile.map(IntoAny::into_any).unwrap_or_else(|| view! { <span class="muted">"none yet"</span> }.into_any())}</td>
                </tr>
            }
        })
        .collect_view();
    let alerts = o.alerts.clone();
    let firing = alerts
        .iter()
        .filter(|a| a.row.instance.state == crate::alerts::state::State::Firing)
        .count();
    let alerts_view = (!alerts.is_empty()).then(|| {
        let env_q = env_q.clone();
        view! {
            <section class="alerts-now" aria-labelledby="alerts-now-h" data-testid="overview-alerts">
                <h2 id="alerts-now-h">{format!("Alerts: {firing} firing")}</h2>
                <ul>
                    {alerts.into_iter().take(8).map(|a| {
                        let series = if a.row.series.is_empty() { String::new() } else { format!(" · {}", a.row.series) };
                        view! {
                            <li>
                                <span class=format!("state state-{}", a.row.instance.state.as_str())>{a.row.instance.state.label()}</span>" "
                                <a href=format!("/alerts/rules/{}?series={}", a.rule_id, percent_encode(&a.row.series, b""))>{format!("{}{series}", a.rule)}</a>
                                <span class="muted">{format!(" · {}", crate::alerts::view::fmt_at(a.row.instance.since))}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <p><a href=format!("/alerts?env={env_q}")>"All alerts"</a></p>
            </section>
        }
    });
    let cutover_view = (!o.cutover.is_empty()).then(|| {
        view! {
            <section class="cutover-now" aria-labelledby="cutover-now-h" data-testid="overview-cutover">
                <h2 id="cutover-now-h">"Cutover"</h2>
                <ul>
                    {o.cutover.iter().map(|c| view! {
                        <li>
                            <a href=format!("/cutover/runs/{}/status", c.id)>{c.title.clone()}</a>
                            {format!(" · {} · {} of {} done · ", c.stage.clone().unwrap_or_else(|| "all done".into()), c.done.0, c.done.1)}
                            <span class:flag=c.behind>{c.schedule.clone()}</span>
                            <span class:flag=c.over>{format!(" · forecast end {}", c.forecast_end)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        }
    });
    view! {
        {cutover_view}
        {alerts_view}
        <section class="cards" data-testid="env-overview">
            <div class="card" class:warn={not_running > 0}>
                <p class="card-label">"Table maps"</p>
                <p class="card-figure">{total_maps}</p>
                <p class="muted" data-testid="maps-by-state">{if states.is_empty() { "none yet".to_string() } else { states }}</p>
            </div>
            <div class="card" class:warn={o.open_groups > 0}>
                <p class="card-label">"Open error groups"</p>
                <p class="card-figure">{fmt_count(o.open_groups)}</p>
                <p class="muted">
                    {sparkline(&o.errors_24h, format!("{} error entries per hour over the last 24 hours", o.environment))}
                    {format!(" {} entries in 24 h · {} new group{}", fmt_count(errors_total as i64), o.new_groups_24h, if o.new_groups_24h == 1 { "" } else { "s" })}
                </p>
                <p class="muted"><a href=format!("/errors?env={env_q}")>"Open the queue"</a>" · "<a href=format!("/trends/errors?env={env_q}&range=24h")>"Errors by hour"</a></p>
            </div>
            <div class="card" class:warn={failed_collectors > 0}>
                <p class="card-label">"Collectors"</p>
                {if no_collectors {
                    view! { <p class="muted">"No runs yet: nothing is collected until a connection is configured."</p> }.into_any()
                } else {
                    view! { <ul class="health">{collectors}</ul> }.into_any()
                }}
                <p class="muted"><a href="/collectors">"Runs and connections"</a></p>
            </div>
        </section>
        <h2>"Table maps"</h2>
        <div class="table-wrap" tabindex="0" role="region" aria-label="Table maps">
            <table class="data" data-testid="overview-maps">
                <thead><tr>
                    <th>"Map"</th><th>"State (F&O)"</th><th class="num">"Open groups"</th><th class="num">"Errors, 24 h"</th>
                    <th>"Synced, 24 h"</th><th class="num">"Failed, 24 h"</th><th class="num" title="F&O minus Dataverse at the last count">"Count difference"</th><th>"Last reconciliation"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <p>
            <a href=format!("/trends/errors?env={env_q}")>"Trends →"</a>" · "
            <a href=format!("/review?env={env_q}")>"Weekly review →"</a>
        </p>
    }
}

fn console_view(o: Overview) -> impl IntoView {
    let no_recent = o.recent.is_empty();
    let [viewers, editors, admins] = o.active_by_role;
    view! {
        <section class="cards">
            <div class="card">
                <p class="card-label">"Active users"</p>
                <p class="card-figure">{viewers + editors + admins}</p>
                <p class="muted">{format!("{admins} admin · {editors} editor · {viewers} viewer · {} deactivated", o.deactivated)}</p>
            </div>
            <div class="card">
                <p class="card-label">"Live API tokens"</p>
                <p class="card-figure">{o.live_tokens}</p>
                <p class="muted">{format!("{} used in the last 24 h", o.tokens_used_24h)}</p>
            </div>
            <div class="card" class:warn={o.failed_logins_24h > 0}>
                <p class="card-label">"Failed sign-ins, 24 h"</p>
                <p class="card-figure">{o.failed_logins_24h}</p>
                <p class="muted"><a href="/audit?action=auth.login_failed">"See them in the audit log"</a></p>
            </div>
        </section>
        <h2>"Recent changes"</h2>
        {no_recent.then(|| view! { <p class="empty">"No changes to the rule book, the error queue or the review yet; sign-ins are in the audit log."</p> })}
        <ul class="activity">
            {o.recent.into_iter().map(|e| {
                let href = e.href();
                let env = e.environment.clone().map(|n| format!(" [{n}]")).unwrap_or_default();
                view! {
                    <li>
                        <span class="muted nowrap">{fmt_time(&e.occurred_at)}</span> " " <strong>{e.actor}</strong>
                        <span class="muted">{env}</span> " — "
                        {match href {
                            Some(href) => view! { <a href=href>{e.summary}</a> }.into_any(),
                            None => view! { {e.summary} }.into_any(),
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
        <p><a href="/audit">"Full audit log →"</a></p>
    }
}
