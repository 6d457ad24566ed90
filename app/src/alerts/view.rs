//! The alert pages: what is alerting in an environment and its rules; one
//! rule with its chart and history; the rule editor with a preview over
//! stored history; revisions and their differences. Plain forms, so every
//! one works without JavaScript: a preview is a GET of the same page with
//! the form in its address.

use super::api::{
    AcknowledgeAlert, ApplyAlertStarter, CreateChannel, CreateSilence, DeleteAlertRule,
    DeleteChannel, EnableChannel, ExpireSilence, RestoreAlertRule, SaveAlertRule, SetChannelTiming,
    SetSweep, TestChannel, alert_rule_diff, alert_rule_editor, alert_rule_page,
    alert_rule_revisions, list_alerts, list_channels, list_silences,
};
use super::channels::ChannelKind;
use super::rule::{RuleForm, Watch};
use super::state::State;
use super::{Missing, Preview, Severity};
use crate::auth::Role;
use crate::chart::draw::ChartView;
use crate::components::{
    ErrorBox, TextArea, action_error, fmt_count, fmt_time, percent_encode, plural,
};
use crate::environments::view::{EnvironmentSwitcher, use_env_param};
use crate::error::AppError;
use crate::errors::Category;
use crate::layout::{Layout, RoleGate};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

/// A Unix time as people read it: `2026-12-01 08:05 UTC`.
pub fn fmt_at(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// A duration as people read it: `3 h 20 min`, `2 d 4 h`.
pub fn fmt_span(secs: i64) -> String {
    let m = secs.max(0) / 60;
    match (m / 1440, m / 60 % 24, m % 60) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn state_badge(s: State) -> impl IntoView {
    view! { <span class=format!("state state-{}", s.as_str())>{s.label()}</span> }
}

fn severity_badge(s: Severity) -> impl IntoView {
    view! { <span class=format!("sev sev-{}", s.as_str())>{s.label()}</span> }
}

fn value_text(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) => format!("{} {unit}", super::fmt_number(v)),
        None => "no value".into(),
    }
}

fn series_name(s: &str) -> String {
    if s.is_empty() {
        "The environment".into()
    } else {
        s.to_string()
    }
}

fn rule_id() -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").and_then(|v| v.parse().ok()))
}

/// What is alerting in an environment, and its rules.
#[component]
pub fn AlertsPage() -> impl IntoView {
    let env = use_env_param();
    let starter = ServerAction::<ApplyAlertStarter>::new();
    let ack = ServerAction::<AcknowledgeAlert>::new();
    let sweep = ServerAction::<SetSweep>::new();
    let page = Resource::new(
        move || {
            (
                env.get(),
                starter.version().get(),
                ack.version().get(),
                sweep.version().get(),
            )
        },
        |(env, _, _, _)| list_alerts(env),
    );
    view! {
        <Layout title="Alerts" switcher=EnvironmentSwitcher>
            <p class="lead">
                "Rules on the data the console collects: errors, throughput, counts, reconciliations, collectors and map states. "
                "A rule fires after its pending period, resolves at its recovery threshold, and keeps a history of every change."
            </p>
            {move || action_error(starter.value().get())}
            {move || action_error(ack.value().get())}
            {move || action_error(sweep.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let Some(env_name) = p.environment.clone() else {
                        return view! {
                            <p class="empty">"No environments yet. An admin adds them on the "<a href="/admin/environments">"Environments"</a>" page."</p>
                        }.into_any();
                    };
                    let can_edit = p.can_edit;
                    let alerting = p.active.iter().filter(|a| a.row.instance.state == State::Firing).count();
                    let env_q = percent_encode(&env_name, b"");
                    let sweep_part = sweep_form(&env_name, p.sweep.clone(), p.channels.clone(), can_edit, sweep);
                    view! {
                        <p class="context">
                            <strong>{env_name.clone()}</strong>
                            {format!(" · {} · {} firing", plural(p.rules.len(), "rule", "rules"), alerting)}
                        </p>
                        <p class="actions-row">
                            <a href=format!("/alerts/silences?env={env_q}")>"Silences and maintenance windows"</a>
                            " · "<a href="/alerts/channels">"Notification channels"</a>
                        </p>
                        <section aria-labelledby="active-h">
                            <h2 id="active-h">"Alerting now"</h2>
                            {active_table(p.active, can_edit, ack)}
                        </section>
                        <section aria-labelledby="rules-h">
                            <h2 id="rules-h">"Rules"</h2>
                            {can_edit.then(|| view! {
                                <div class="actions-row">
                                    <a class="button primary" href=format!("/alerts/rules/new?env={env_q}")>"New rule"</a>
                                    <ActionForm action=starter attr:class="inline">
                                        <input type="hidden" name="env" value=env_name.clone()/>
                                        <button type="submit" class="secondary">"Apply the starter set"</button>
                                    </ActionForm>
                                </div>
                                <p class="muted">"The starter set is the runbook's monitoring: more than 10 errors an hour on a map, any reconciliation drift, record counts apart for over an hour, a collector silent for 15 minutes, a map not Running. Rules it already has are kept."</p>
                            })}
                            {rules_table(p.rules)}
                            {sweep_part}
                            {(!p.deleted.is_empty()).then(|| view! {
                                <details class="deleted">
                                    <summary>{format!("Deleted rules ({})", p.deleted.len())}</summary>
                                    <ul>{p.deleted.into_iter().map(|(id, name)| view! {
                                        <li><a href=format!("/alerts/rules/{id}/history")>{name}</a>" — restore it from its history"</li>
                                    }).collect_view()}</ul>
                                </details>
                            })}
                        </section>
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

fn sweep_form(
    env: &str,
    current: Option<super::channels::SweepSetting>,
    channels: Vec<(i64, String)>,
    can_edit: bool,
    action: ServerAction<SetSweep>,
) -> impl IntoView + use<> {
    let name_of = |id: i64| {
        channels
            .iter()
            .find(|c| c.0 == id)
            .map(|c| c.1.clone())
            .unwrap_or_default()
    };
    let status = match &current {
        Some(s) => format!(
            "Posted every day at {:02}:{:02} UTC to {}{}.",
            s.minute_of_day / 60,
            s.minute_of_day % 60,
            name_of(s.channel_id),
            s.last_day
                .as_ref()
                .map(|d| format!("; last sent {d}"))
                .unwrap_or_default()
        ),
        None => "Off.".into(),
    };
    let time = current
        .as_ref()
        .map(|s| format!("{:02}:{:02}", s.minute_of_day / 60, s.minute_of_day % 60))
        .unwrap_or_else(|| "07:30".into());
    let chosen = current.as_ref().map(|s| s.channel_id);
    let env = env.to_string();
    view! {
        <section aria-labelledby="sweep-h">
            <h2 id="sweep-h">"Daily sweep"</h2>
            <p data-testid="sweep-status">"The last 24 hours of the error queue — entries, new groups, top categories and maps, open groups against the day before — posted to a channel. "{status}</p>
            {(can_edit && !channels.is_empty()).then(|| view! {
                <ActionForm action=action attr:class="toolbar" attr:data-testid="sweep-form">
                    <input type="hidden" name="env" value=env/>
                    <label>"At (UTC) " <input type="time" name="time" value=time required/></label>
                    <label>"To "
                        <select name="channel">
                            <option value="" selected=chosen.is_none()>"Off"</option>
                            {channels.iter().map(|(id, name)| view! { <option value=id.to_string() selected=chosen == Some(*id)>{name.clone()}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="small">"Save"</button>
                </ActionForm>
            })}
        </section>
    }
}

fn active_table(
    active: Vec<super::ActiveAlert>,
    can_edit: bool,
    ack: ServerAction<AcknowledgeAlert>,
) -> AnyView {
    if active.is_empty() {
        return view! { <p class="empty" data-testid="no-alerts">"Nothing is alerting: every instance is Normal."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Alerting now">
        <table class="data" data-testid="active-alerts">
            <thead><tr><th>"State"</th><th>"Rule"</th><th>"Where"</th><th>"Value"</th><th>"Since"</th><th>"Acknowledged"</th></tr></thead>
            <tbody>
            {active.into_iter().map(|a| {
                let i = a.row.instance.clone();
                let can_ack = can_edit && a.row.acknowledged.is_none()
                    && matches!(i.state, State::Firing | State::Recovering | State::NoData | State::Error);
                let series = a.row.series.clone();
                let where_href = format!("/alerts/rules/{}?series={}", a.rule_id, percent_encode(&series, b""));
                view! {
                    <tr data-testid="active-alert" data-state=i.state.as_str()>
                        <td>{state_badge(i.state)}" "{severity_badge(a.severity)}</td>
                        <td><a href=format!("/alerts/rules/{}", a.rule_id)>{a.rule.clone()}</a></td>
                        <td><a href=where_href>{series_name(&series)}</a></td>
                        <td class="num">{value_text(i.value, &a.unit)}</td>
                        <td class="nowrap">{fmt_at(i.since)}</td>
                        <td>
                            {a.row.acknowledged.clone().map(|(by, at, comment)| view! {
                                <span>{format!("{by}, {}: {comment}", fmt_at(at))}</span>
                            })}
                            {can_edit.then(|| view! {
                                <a class="small" href=format!("/alerts/silences?env={}&rule={}&map={}", percent_encode(&a.environment, b""), percent_encode(&a.rule, b""), percent_encode(&series, b""))>"Silence…"</a>
                            })}
                            {can_ack.then(|| view! {
                                <ActionForm action=ack attr:class="inline ack-form">
                                    <input type="hidden" name="rule_id" value=a.rule_id.to_string()/>
                                    <input type="hidden" name="series" value=series.clone()/>
                                    <input name="comment" required placeholder="Who is on it, what is done" aria-label=format!("Acknowledge {} on {}: comment", a.rule, series_name(&series))/>
                                    <button type="submit" class="small">"Acknowledge"</button>
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
    .into_any()
}

fn rules_table(rules: Vec<super::RuleLine>) -> AnyView {
    if rules.is_empty() {
        return view! { <p class="empty">"No alert rules in this environment yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Rules">
        <table class="data" data-testid="rules-table">
            <thead><tr><th>"Rule"</th><th>"Watches"</th><th>"Fires"</th><th>"Alerts"</th><th>"Last evaluated"</th></tr></thead>
            <tbody>
            {rules.into_iter().map(|r| {
                let states = if r.states.is_empty() {
                    "none yet".to_string()
                } else {
                    r.states.iter().map(|(s, n)| format!("{n} {}", s.label().to_lowercase())).collect::<Vec<_>>().join(", ")
                };
                view! {
                    <tr data-testid="rule-row">
                        <td>
                            <a href=format!("/alerts/rules/{}", r.id)>{r.name.clone()}</a>" "{severity_badge(r.severity)}
                            {(!r.enabled).then(|| view! { " "<span class="status">"Paused"</span> })}
                        </td>
                        <td>{r.watches.clone()}</td>
                        <td>{r.fires.clone()}</td>
                        <td>{states}</td>
                        <td class="nowrap">{r.evaluated_at.map(fmt_at).unwrap_or_else(|| "not yet".into())}</td>
                    </tr>
                }
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

/// One rule: what it is, its alerts, its last 7 days and its history.
#[component]
pub fn AlertRulePage() -> impl IntoView {
    let id = rule_id();
    let query = use_query_map();
    let delete = ServerAction::<DeleteAlertRule>::new();
    let page = Resource::new(
        move || (id.get(), query.read().get("series")),
        |(id, series)| async move {
            match id {
                Some(id) => alert_rule_page(id, series).await,
                None => Err(AppError::not_found("That alert rule")),
            }
        },
    );
    view! {
        <Layout title="Alert rule">
            {move || action_error(delete.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let r = p.rule.clone();
                    let id = r.id;
                    let unit = r.content.watch.unit().to_string();
                    let env_q = percent_encode(&r.environment, b"");
                    view! {
                        <article class="rule-doc" data-testid="alert-rule">
                            <h2 class="doc-title">{r.content.name.clone()}" "{severity_badge(r.content.severity)}</h2>
                            <p class="context">
                                <a href=format!("/alerts?env={env_q}")>{r.environment.clone()}</a>
                                {format!(" · revision {} · last changed {}", r.revision, fmt_time(&r.updated_at))}
                                {r.deleted.then_some(" · deleted")}
                                {(!r.content.enabled).then_some(" · paused")}
                                " · "<a href=format!("/alerts/rules/{id}/history")>"History"</a>
                                {(p.can_edit && !r.deleted).then(|| view! {
                                    " · "<a href=format!("/alerts/rules/{id}/edit")>"Edit"</a>
                                })}
                            </p>
                            <dl class="facts">
                                {p.facts.into_iter().map(|(l, v)| view! { <dt>{l}</dt><dd>{v}</dd> }).collect_view()}
                            </dl>
                            {(!r.content.runbook.is_empty()).then(|| view! {
                                <h3>"What to do"</h3>
                                <div class="prose" inner_html=p.runbook_html.clone()></div>
                            })}
                            <h3>"Alerts"</h3>
                            {instances_table(id, &unit, p.instances, &p.series)}
                            {p.chart.map(|c| view! { <ChartView chart=c/> })}
                            <h3>"Changes of state"</h3>
                            {history_table(&unit, p.history)}
                            {(p.can_edit && !r.deleted).then(|| view! {
                                <ActionForm action=delete attr:class="stack form-card danger-zone">
                                    <input type="hidden" name="rule_id" value=id.to_string()/>
                                    <label>"Why delete it (kept in the history)" <input name="comment"/></label>
                                    <button type="submit" class="secondary">"Delete this rule"</button>
                                </ActionForm>
                            })}
                        </article>
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

fn instances_table(
    rule: i64,
    unit: &str,
    instances: Vec<super::InstanceRow>,
    shown: &str,
) -> AnyView {
    if instances.is_empty() {
        return view! { <p class="empty">"Not evaluated yet, or no series to watch: evaluation runs every minute."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Alerts of this rule">
        <table class="data" data-testid="instances-table">
            <thead><tr><th>"Where"</th><th>"State"</th><th>"Value"</th><th>"Since"</th><th>"Evaluated"</th><th>"Acknowledged"</th></tr></thead>
            <tbody>
            {instances.into_iter().map(|i| {
                let here = i.series == shown;
                view! {
                    <tr class:current=here>
                        <td><a href=format!("/alerts/rules/{rule}?series={}", percent_encode(&i.series, b"")) aria-current=here.then_some("true")>{series_name(&i.series)}</a></td>
                        <td>{state_badge(i.instance.state)}</td>
                        <td class="num">{value_text(i.instance.value, unit)}</td>
                        <td class="nowrap">{fmt_at(i.instance.since)}</td>
                        <td class="nowrap">{fmt_at(i.evaluated_at)}</td>
                        <td>{i.acknowledged.map(|(by, at, c)| format!("{by}, {}: {c}", fmt_at(at)))}</td>
                    </tr>
                }
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

fn history_table(unit: &str, history: Vec<super::HistoryRow>) -> AnyView {
    if history.is_empty() {
        return view! { <p class="empty">"No changes of state yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Changes of state">
        <table class="data" data-testid="alert-history">
            <thead><tr><th>"When"</th><th>"Where"</th><th>"State"</th><th>"Value"</th><th>"Notified"</th><th>"Detail"</th></tr></thead>
            <tbody>
            {history.into_iter().map(|h| view! {
                <tr>
                    <td class="nowrap">{fmt_at(h.at)}</td>
                    <td>{series_name(&h.series)}</td>
                    <td>{state_badge(h.state)}</td>
                    <td class="num">{value_text(h.value, unit)}</td>
                    <td>{match (h.notice, h.silence_id) {
                        (Some(_), Some(s)) => format!("held by silence #{s}"),
                        (Some(n), None) => n.label().to_string(),
                        (None, _) => "—".into(),
                    }}</td>
                    <td>{h.detail}</td>
                </tr>
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

/// The form as typed, from a preview's address (`form[name]=…`).
fn draft_from(q: &ParamsMap) -> Option<RuleForm> {
    let g = |k: &str| q.get(&format!("form[{k}]"));
    g("watch")?;
    Some(RuleForm {
        name: g("name").unwrap_or_default(),
        enabled: g("enabled"),
        watch: g("watch").unwrap_or_default(),
        map: g("map").unwrap_or_default(),
        direction: g("direction").unwrap_or_default(),
        category: g("category").unwrap_or_default(),
        split: g("split"),
        comparator: g("comparator").unwrap_or_default(),
        threshold: g("threshold").unwrap_or_default(),
        recovery: g("recovery").unwrap_or_default(),
        pending: g("pending").unwrap_or_default(),
        keep_firing: g("keep_firing").unwrap_or_default(),
        interval: g("interval").unwrap_or_default(),
        window: g("window").unwrap_or_default(),
        no_data: g("no_data").unwrap_or_default(),
        error: g("error").unwrap_or_default(),
        severity: g("severity").unwrap_or_default(),
        runbook: g("runbook").unwrap_or_default(),
        channels: (0..100)
            .filter_map(|i| q.get(&format!("form[channels][{i}]")))
            .collect(),
    })
}

fn choice<T: Copy + 'static>(
    name: &'static str,
    label: &'static str,
    all: &'static [T],
    current: &str,
    value: fn(T) -> &'static str,
    text: fn(T) -> &'static str,
    any: Option<&'static str>,
) -> impl IntoView + use<T> {
    let current = current.to_string();
    view! {
        <label>{label}
            <select name=name>
                {any.map(|a| view! { <option value="" selected=current.is_empty()>{a}</option> })}
                {all.iter().map(|v| {
                    let selected = value(*v) == current;
                    view! { <option value=value(*v) selected=selected>{text(*v)}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

const COMPARATORS: [(&str, &str); 4] = [
    ("above", "Above the threshold"),
    ("below", "Below the threshold"),
    ("times", "Above k × the hour's usual level"),
    ("deviations", "Above the usual level + k deviations"),
];

/// The rule editor: `/alerts/rules/new?env=…` creates, `/alerts/rules/:id/edit`
/// edits. "Preview" replays the form over stored history before saving.
#[component]
pub fn AlertRuleEditPage() -> impl IntoView {
    let id = rule_id();
    let env = use_env_param();
    let query = use_query_map();
    let save = ServerAction::<SaveAlertRule>::new();
    let editor = Resource::new(
        move || {
            let q = query.read();
            let days = q.get("preview").and_then(|d| d.parse::<i64>().ok());
            (id.get(), env.get(), draft_from(&q), days)
        },
        |(id, env, draft, days)| alert_rule_editor(env, id, draft, days),
    );
    view! {
        <Layout title="Edit alert rule">
            <RoleGate needed=Role::Editor action="edit alert rules">
                {move || action_error(save.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let e = match editor.await {
                            Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                            Ok(e) => e,
                        };
                        let f = e.form.clone();
                        let here = match e.rule {
                            Some((id, _, _)) => format!("/alerts/rules/{id}/edit"),
                            None => "/alerts/rules/new".into(),
                        };
                        let maps = e.maps.clone();
                        view! {
                            <p class="context">
                                {match &e.rule {
                                    Some((_, rev, name)) => format!("Editing revision {rev} of '{name}' in {}", e.environment),
                                    None => format!("New alert rule in {}", e.environment),
                                }}
                            </p>
                            <ActionForm action=save attr:class="stack form-card wide" attr:data-testid="alert-rule-form">
                                {e.rule.as_ref().map(|(id, rev, _)| view! {
                                    <input type="hidden" name="rule_id" value=id.to_string()/>
                                    <input type="hidden" name="expected_revision" value=rev.to_string()/>
                                })}
                                <input type="hidden" name="env" value=e.environment.clone()/>
                                <label>"Name" <input name="form[name]" required value=f.name.clone()/></label>
                                <label class="check"><input type="checkbox" name="form[enabled]" value="on" checked=f.enabled.is_some()/>" Evaluate this rule (untick to pause it)"</label>
                                <div class="two">
                                    {choice("form[watch]", "Watches", Watch::ALL, &f.watch, Watch::as_str, Watch::label, None)}
                                    <label>"Map"
                                        <select name="form[map]">
                                            <option value="" selected=f.map.is_empty()>"Every map"</option>
                                            {maps.into_iter().map(|(id, name)| {
                                                let selected = f.map == id.to_string();
                                                view! { <option value=id.to_string() selected=selected>{name}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                </div>
                                <label class="check"><input type="checkbox" name="form[split]" value="on" checked=f.split.is_some()/>" One alert per map (per collector, for collector silence) rather than one for the environment"</label>
                                <div class="two">
                                    <label>"Direction (error watches)"
                                        <select name="form[direction]">
                                            <option value="" selected=f.direction.is_empty()>"Any"</option>
                                            <option value="fo_to_dataverse" selected=f.direction == "fo_to_dataverse">"F&O → Dataverse"</option>
                                            <option value="dataverse_to_fo" selected=f.direction == "dataverse_to_fo">"Dataverse → F&O"</option>
                                        </select>
                                    </label>
                                    {choice("form[category]", "Category (error watches)", Category::ALL, &f.category, Category::as_str, Category::label, Some("Any"))}
                                </div>
                                <div class="two">
                                    <label>"Fires when the value is"
                                        <select name="form[comparator]">
                                            {COMPARATORS.iter().map(|(v, t)| view! { <option value=*v selected=f.comparator == *v>{*t}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label>"Threshold (k for a baseline)" <input name="form[threshold]" required inputmode="decimal" value=f.threshold.clone()/></label>
                                </div>
                                <div class="two">
                                    <label>"Recovery threshold (empty: resolves at the threshold)" <input name="form[recovery]" inputmode="decimal" value=f.recovery.clone()/></label>
                                    {choice("form[severity]", "Severity", Severity::ALL, &f.severity, Severity::as_str, Severity::label, None)}
                                </div>
                                <div class="two">
                                    <label>"Window (minutes)" <input name="form[window]" required inputmode="numeric" value=f.window.clone()/></label>
                                    <label>"Evaluate every (minutes)" <input name="form[interval]" required inputmode="numeric" value=f.interval.clone()/></label>
                                </div>
                                <div class="two">
                                    <label>"Pending for (minutes before it fires)" <input name="form[pending]" inputmode="numeric" value=f.pending.clone()/></label>
                                    <label>"Keep firing for (minutes after it recovers)" <input name="form[keep_firing]" inputmode="numeric" value=f.keep_firing.clone()/></label>
                                </div>
                                <div class="two">
                                    {choice("form[no_data]", "With no data", Missing::ALL, &f.no_data, Missing::as_str, Missing::label, None)}
                                    {choice("form[error]", "When the data cannot be read", Missing::ALL, &f.error, Missing::as_str, Missing::label, None)}
                                </div>
                                <label>"What to do (Markdown; shown on the alert and in notifications)" <TextArea name="form[runbook]" text=f.runbook.clone() attr:rows="5"/></label>
                                <fieldset class="channels">
                                    <legend>"Notify"</legend>
                                    {if e.channels.is_empty() {
                                        view! { <p class="muted">"No notification channels yet: an admin adds them on the "<a href="/alerts/channels">"Channels"</a>" page. Until then the rule's alerts show here only."</p> }.into_any()
                                    } else {
                                        e.channels.iter().enumerate().map(|(i, (id, name))| {
                                            let checked = f.channels.iter().any(|c| *c == id.to_string());
                                            view! { <label class="check"><input type="checkbox" name=format!("form[channels][{i}]") value=id.to_string() checked=checked/>" "{name.clone()}</label> }
                                        }).collect_view().into_any()
                                    }}
                                </fieldset>
                                <label>"What changed and why (kept in the history)" <input name="comment"/></label>
                                <div class="actions-row">
                                    <button type="submit" class="primary">"Save"</button>
                                    <button type="submit" class="secondary" formmethod="get" formaction=here.clone() formnovalidate=true name="preview" value="7" data-testid="preview-7">"Preview 7 days"</button>
                                    <button type="submit" class="secondary" formmethod="get" formaction=here formnovalidate=true name="preview" value="30">"Preview 30 days"</button>
                                </div>
                            </ActionForm>
                            {e.preview.map(preview_view)}
                        }.into_any()
                    })}
                </Transition>
            </RoleGate>
        </Layout>
    }
}

fn preview_view(p: Result<Preview, (String, String)>) -> AnyView {
    let p = match p {
        Err((field, message)) => {
            return view! { <ErrorBox error=AppError::validation(field, message)/> }.into_any();
        }
        Ok(p) => p,
    };
    let fired: usize = p.series.iter().map(|s| s.fired).sum();
    view! {
        <section class="preview" aria-labelledby="preview-h" data-testid="alert-preview">
            <h2 id="preview-h">{format!("Preview: the last {} days", p.days)}</h2>
            <p data-testid="preview-summary">
                {format!(
                    "Replayed over the stored data every evaluation interval ({} evaluations per series), this rule would have fired {} and sent {} (before grouping).",
                    fmt_count(p.steps as i64),
                    plural(fired, "time", "times"),
                    plural(p.notifications, "notification", "notifications"),
                )}
            </p>
            {p.chart.map(|c| view! { <ChartView chart=c/> })}
            <div class="table-wrap" tabindex="0" role="region" aria-label="Preview by map">
            <table class="data" data-testid="preview-table">
                <thead><tr><th>"Where"</th><th>"Fired"</th><th>"Time firing"</th><th>"Notifications"</th><th>"Highest value"</th><th>"When it fired"</th></tr></thead>
                <tbody>
                {p.series.into_iter().map(|s| {
                    let periods = s.periods.iter().take(5).map(|(a, b)| match b {
                        Some(b) => format!("{} → {}", fmt_at(*a), fmt_at(*b)),
                        None => format!("{} → still firing", fmt_at(*a)),
                    }).collect::<Vec<_>>().join("; ");
                    let more = s.periods.len().saturating_sub(5);
                    view! {
                        <tr data-testid="preview-row">
                            <td>{s.name.clone()}</td>
                            <td class="num">{s.fired}</td>
                            <td>{fmt_span(s.firing_secs)}</td>
                            <td class="num">{s.notices}</td>
                            <td class="num">{s.max.map(super::fmt_number).unwrap_or_else(|| "—".into())}</td>
                            <td>{periods}{(more > 0).then(|| format!(" and {more} more"))}</td>
                        </tr>
                    }
                }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
    }
    .into_any()
}

/// Every revision of a rule: compare two, or restore one.
#[component]
pub fn AlertRuleHistoryPage() -> impl IntoView {
    let id = rule_id();
    let restore = ServerAction::<RestoreAlertRule>::new();
    let history = Resource::new(
        move || (id.get(), restore.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => alert_rule_revisions(id).await,
                None => Err(AppError::not_found("That alert rule")),
            }
        },
    );
    view! {
        <Layout title="Alert rule history">
            {move || action_error(restore.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (rule, revisions, can_edit) = match history.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(h) => h,
                    };
                    let id = rule.id;
                    let newest = revisions.first().map(|r| r.revision).unwrap_or(1);
                    view! {
                        <p class="context">
                            <a href=format!("/alerts/rules/{id}")>{rule.content.name.clone()}</a>
                            {format!(" · {}", plural(revisions.len(), "revision", "revisions"))}
                            {rule.deleted.then_some(" · deleted")}
                        </p>
                        {crate::maps::view::revision_table(format!("/alerts/rules/{id}/diff"), revisions, rule.revision, rule.deleted, can_edit)}
                        {can_edit.then(|| (1..=newest).map(|rev| view! {
                            <ActionForm action=restore attr:id=format!("restore-{rev}") attr:class="hidden-form">
                                <input type="hidden" name="rule_id" value=id.to_string()/>
                                <input type="hidden" name="revision" value=rev.to_string()/>
                            </ActionForm>
                        }).collect_view())}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// The changes between two revisions of a rule.
#[component]
pub fn AlertRuleDiffPage() -> impl IntoView {
    let id = rule_id();
    let query = use_query_map();
    let args = move || {
        let q = query.read();
        let n = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
        (id.get(), n("from"), n("to"))
    };
    let diff = Resource::new(args, |(id, from, to)| async move {
        match (id, from, to) {
            (Some(id), Some(from), Some(to)) => alert_rule_diff(id, from, to).await,
            _ => Err(AppError::validation(
                "from",
                "Pick two revisions to compare on the history page.",
            )),
        }
    });
    view! {
        <Layout title="Compare revisions">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match diff.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) => d,
                    };
                    let id = d.rule.id;
                    view! {
                        <p class="context">
                            <a href=format!("/alerts/rules/{id}")>{d.rule.content.name.clone()}</a>
                            {format!(" · revision {} → revision {}", d.from, d.to)}
                            " · "<a href=format!("/alerts/rules/{id}/history")>"history"</a>
                        </p>
                        {crate::maps::view::changes_table(d.from, d.to, d.changes)}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// The notification channels (admins): add one, send a test, turn one on
/// again, remove one; and every delivery attempt.
#[component]
pub fn ChannelsPage() -> impl IntoView {
    let create = ServerAction::<CreateChannel>::new();
    let delete = ServerAction::<DeleteChannel>::new();
    let enable = ServerAction::<EnableChannel>::new();
    let test = ServerAction::<TestChannel>::new();
    let timing = ServerAction::<SetChannelTiming>::new();
    let page = Resource::new(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                enable.version().get(),
                test.version().get(),
                timing.version().get(),
            )
        },
        |_| list_channels(),
    );
    let secret_box = |secret: String| {
        view! {
            <div class="ok-box" role="status">
                <p>"The webhook's signing secret. Copy it to the receiver now: it will not be shown again."</p>
                <code class="secret" data-testid="new-secret">{secret}</code>
            </div>
        }
    };
    view! {
        <Layout title="Notification channels">
            <RoleGate needed=Role::Admin action="manage notification channels">
                <p class="lead">
                    "Where alert rules send their notifications: a Microsoft Teams channel (a Workflows webhook, “When a Teams webhook request is received”), any JSON webhook, signed as Standard Webhooks says, or email (plain text and HTML). "
                    "Alerts of one rule are grouped: by default the first waits 30 s for others, then at most one notification goes per 5 minutes, and a firing alert nobody acknowledged notifies again after 4 hours (“Grouping and repeats” changes these per channel). Delivery is retried with backoff for about three days."
                </p>
                {move || action_error(create.value().get())}
                {move || action_error(delete.value().get())}
                {move || action_error(enable.value().get())}
                {move || action_error(test.value().get())}
                {move || action_error(timing.value().get())}
                {move || match create.value().get() {
                    Some(Ok(Some(secret))) => Some(secret_box(secret)),
                    _ => None,
                }}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let p = match page.await {
                            Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                            Ok(p) => p,
                        };
                        view! {
                            {p.new_secret.map(secret_box)}
                            <p data-testid="email-relay">{match p.email_relay {
                                Some(relay) => format!("Email goes out through {relay}."),
                                None => "Email is off: no SMTP relay is configured (the settings smtp-host and smtp-from).".into(),
                            }}</p>
                            {if p.channels.is_empty() {
                                view! { <p class="empty">"No channels yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap" tabindex="0" role="region" aria-label="Channels">
                                    <table class="data" data-testid="channels-table">
                                        <thead><tr><th>"Channel"</th><th>"Kind"</th><th>"Target"</th><th>"Status"</th><th>"Timing"</th><th>"Waiting"</th><th></th></tr></thead>
                                        <tbody>
                                        {p.channels.clone().into_iter().map(|c| {
                                            let (test_label, remove_label) = (format!("Send a test to {}", c.name), format!("Remove {}", c.name));
                                            view! {
                                            <tr data-testid="channel-row">
                                                <td>{c.name.clone()}</td>
                                                <td>{c.kind.label()}</td>
                                                <td><code>{c.target.clone()}</code></td>
                                                <td>{match c.disabled_reason.clone() {
                                                    Some(why) => view! { <span class="flag">"Disabled: "</span>{why} }.into_any(),
                                                    None => view! { <span>"On"</span> }.into_any(),
                                                }}</td>
                                                <td data-testid="channel-timing">{timing_words(&c)}</td>
                                                <td class="num">{c.pending}</td>
                                                <td><div class="row-actions">
                                                    <ActionForm action=test attr:class="inline">
                                                        <input type="hidden" name="channel_id" value=c.id.to_string()/>
                                                        <button type="submit" class="small" aria-label=test_label>"Send test"</button>
                                                    </ActionForm>
                                                    {c.disabled_reason.is_some().then(|| view! {
                                                        <ActionForm action=enable attr:class="inline">
                                                            <input type="hidden" name="channel_id" value=c.id.to_string()/>
                                                            <button type="submit" class="small">"Turn on again"</button>
                                                        </ActionForm>
                                                    })}
                                                    <ActionForm action=delete attr:class="inline">
                                                        <input type="hidden" name="channel_id" value=c.id.to_string()/>
                                                        <button type="submit" class="small secondary" aria-label=remove_label>"Remove"</button>
                                                    </ActionForm>
                                                </div></td>
                                            </tr>
                                        }}).collect_view()}
                                        </tbody>
                                    </table>
                                    </div>
                                }.into_any()
                            }}
                            {(!p.channels.is_empty()).then(|| view! {
                                <h2>"Grouping and repeats"</h2>
                                {p.channels.into_iter().map(|c| view! {
                                    <details class="channel-timing" data-testid="timing-form">
                                        <summary>{c.name.clone()}": "{timing_words(&c)}</summary>
                                        <ActionForm action=timing attr:class="stack form-card">
                                            <input type="hidden" name="channel_id" value=c.id.to_string()/>
                                            <label>"Group wait: seconds the first alert waits for others (0–600)" <input name="form[group_wait]" type="number" min="0" max="600" required value=c.group_wait_secs.to_string()/></label>
                                            <label>"Group interval: minutes between notifications of one rule (1–1440)" <input name="form[group_interval]" type="number" min="1" max="1440" required value=(c.group_interval_secs / 60).to_string()/></label>
                                            <label>"Repeat: hours before a firing alert notifies again (1–168)" <input name="form[repeat]" type="number" min="1" max="168" required value=(c.repeat_secs / 3600).to_string()/></label>
                                            <label class="check"><input type="checkbox" name="form[send_resolved]" value="on" checked=c.send_resolved/>" Notify when alerts resolve"</label>
                                            <button type="submit" class="small">"Save timing"</button>
                                        </ActionForm>
                                    </details>
                                }).collect_view()}
                            })}
                            <h2>"Delivery attempts"</h2>
                            {if p.deliveries.is_empty() {
                                view! { <p class="empty">"Nothing sent yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap" tabindex="0" role="region" aria-label="Delivery attempts">
                                    <table class="data" data-testid="deliveries-table">
                                        <thead><tr><th>"When"</th><th>"Channel"</th><th>"What"</th><th>"Answer"</th><th>"Outcome"</th><th>"Detail"</th></tr></thead>
                                        <tbody>
                                        {p.deliveries.into_iter().map(|d| view! {
                                            <tr data-testid="delivery-row">
                                                <td class="nowrap">{fmt_at(d.at)}</td>
                                                <td>{d.channel}</td>
                                                <td>{what_words(&d.what)}</td>
                                                <td class="num">{d.status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                                                <td>{d.outcome}</td>
                                                <td>{d.detail}</td>
                                            </tr>
                                        }).collect_view()}
                                        </tbody>
                                    </table>
                                    </div>
                                }.into_any()
                            }}
                        }.into_any()
                    })}
                </Transition>
                <h2>"Add a channel"</h2>
                <ActionForm action=create attr:class="stack form-card" attr:data-testid="channel-form">
                    <label>"Name" <input name="form[name]" required maxlength="80" placeholder="Integration team (Teams)"/></label>
                    <label>"Kind"
                        <select name="form[kind]">
                            {ChannelKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Webhook URL (kept secret: shown only as its host after saving), or for email the addresses, with commas between" <input name="form[target]" required maxlength="2000" autocomplete="off" placeholder="https://…logic.azure.com/workflows/… or oncall@example.com"/></label>
                    <button type="submit" class="primary">"Add channel"</button>
                </ActionForm>
            </RoleGate>
        </Layout>
    }
}

/// A channel's grouping in words: "30 s, then every 5 min; repeats
/// after 4 h; resolved too".
fn timing_words(c: &super::channels::Channel) -> String {
    format!(
        "{} s, then every {} min; repeats after {} h; {}",
        c.group_wait_secs,
        c.group_interval_secs / 60,
        c.repeat_secs / 3600,
        if c.send_resolved {
            "resolved too"
        } else {
            "not when resolved"
        }
    )
}

/// Silences and weekly maintenance windows: what holds now, add one,
/// end one early.
#[component]
pub fn SilencesPage() -> impl IntoView {
    let env = use_env_param();
    let query = use_query_map();
    let create = ServerAction::<CreateSilence>::new();
    let expire = ServerAction::<ExpireSilence>::new();
    let page = Resource::new(
        move || (env.get(), create.version().get(), expire.version().get()),
        |(env, _, _)| list_silences(env),
    );
    view! {
        <Layout title="Silences" switcher=EnvironmentSwitcher>
            <p class="lead">
                "While a silence holds, the alerts it matches keep their states and history but notify nobody; the history says which silence held them. "
                "A maintenance window holds every week at the same time."
            </p>
            {move || action_error(create.value().get())}
            {move || action_error(expire.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let q = query.read_untracked();
                    let pre = |k: &str| q.get(k).unwrap_or_default();
                    let (rule, map) = (pre("rule"), pre("map"));
                    let can_edit = p.can_edit;
                    let start = fmt_input(p.now);
                    let end = fmt_input(p.now + 2 * 3600);
                    // After an add: which silence, and what it holds.
                    let added = q
                        .get("added")
                        .and_then(|id| id.parse::<i64>().ok())
                        .and_then(|id| p.live.iter().find(|l| l.silence.id == id))
                        .map(|l| view! {
                            <p class="ok-box" role="status" data-testid="silence-added">
                                {format!("Silence #{} added: {}.", l.silence.id, l.describe)}
                            </p>
                        });
                    view! {
                        {added}
                        <h2>"Live"</h2>
                        {silence_table(p.live, can_edit.then_some(expire), "live-silences")}
                        {(!p.ended.is_empty()).then(|| view! {
                            <details><summary>"Ended"</summary>{silence_table(p.ended, None, "ended-silences")}</details>
                        })}
                        {match (can_edit, p.environment) {
                            (true, Some(env_name)) => Some(view! {
                                <h2>{format!("Add a silence in {env_name}")}</h2>
                                <ActionForm action=create attr:class="stack form-card wide" attr:data-testid="silence-form">
                                    <input type="hidden" name="form[environment]" value=env_name.clone()/>
                                    <div class="two">
                                        <label>"Rule"
                                            <select name="form[rule]">
                                                <option value="">"Any rule"</option>
                                                {p.rules.into_iter().map(|r| { let sel = r == rule; view! { <option value=r.clone() selected=sel>{r.clone()}</option> } }).collect_view()}
                                            </select>
                                        </label>
                                        <label>"Map"
                                            <select name="form[map]">
                                                <option value="">"Any map"</option>
                                                {p.maps.into_iter().map(|m| { let sel = m == map; view! { <option value=m.clone() selected=sel>{m.clone()}</option> } }).collect_view()}
                                            </select>
                                        </label>
                                    </div>
                                    <div class="two">
                                        {choice("form[severity]", "Severity", Severity::ALL, "", Severity::as_str, Severity::label, Some("Any severity"))}
                                        {choice("form[category]", "Error category", Category::ALL, "", Category::as_str, Category::label, Some("Any category"))}
                                    </div>
                                    <fieldset>
                                        <legend>"When"</legend>
                                        <label class="check"><input type="radio" name="form[kind]" value="once" checked=true/>" Once, from … to … (UTC)"</label>
                                        <div class="two">
                                            <label>"Starts" <input type="datetime-local" name="form[starts]" value=start/></label>
                                            <label>"Ends" <input type="datetime-local" name="form[ends]" value=end/></label>
                                        </div>
                                        <label class="check"><input type="radio" name="form[kind]" value="weekly"/>" Every week (a maintenance window)"</label>
                                        <div class="three">
                                            <label>"Day"
                                                <select name="form[day]">
                                                    {super::silence::WEEKDAYS.iter().enumerate().map(|(i, d)| view! { <option value=i.to_string() selected=i == 6>{*d}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            <label>"From (UTC)" <input type="time" name="form[time]" value="22:00"/></label>
                                            <label>"Hours" <input name="form[hours]" inputmode="decimal" value="4"/></label>
                                        </div>
                                    </fieldset>
                                    <label>"Why (shown with the silence)" <input name="form[comment]" required placeholder="F&O platform update"/></label>
                                    <button type="submit" class="primary">"Add silence"</button>
                                </ActionForm>
                            }),
                            _ => None,
                        }}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// What a notification was, from its group key.
fn what_words(key: &str) -> String {
    match key.split_once(':') {
        Some(("rule", id)) => format!("Alert rule #{id}"),
        Some(("test", _)) => "Test".into(),
        Some(("sweep", _)) => "Daily sweep".into(),
        _ => key.to_string(),
    }
}

/// A Unix time as a `datetime-local` value (UTC).
fn fmt_input(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn silence_table(
    lines: Vec<super::SilenceLine>,
    expire: Option<ServerAction<ExpireSilence>>,
    testid: &'static str,
) -> AnyView {
    if lines.is_empty() {
        return view! { <p class="empty">"None."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Silences">
        <table class="data" data-testid=testid>
            <thead><tr><th>"Silence"</th><th>"Matches · when"</th><th>"By"</th><th>"Why"</th><th></th></tr></thead>
            <tbody>
            {lines.into_iter().map(|l| {
                let id = l.silence.id;
                view! {
                    <tr data-testid="silence-row">
                        <td>{format!("#{id}")}{l.active_now.then(|| view! { " "<span class="state state-pending">"Holding now"</span> })}</td>
                        <td>{l.describe}</td>
                        <td>{l.silence.created_by.clone()}</td>
                        <td>{l.silence.comment.clone()}</td>
                        <td>{expire.map(|a| view! {
                            <ActionForm action=a attr:class="inline">
                                <input type="hidden" name="silence_id" value=id.to_string()/>
                                <button type="submit" class="small secondary">"End now"</button>
                            </ActionForm>
                        })}</td>
                    </tr>
                }
            }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_times_read_as_people_write_them() {
        assert_eq!(fmt_span(200 * 60), "3 h 20 min");
        assert_eq!(fmt_span(52 * 3600), "2 d 4 h");
        assert_eq!(fmt_span(45 * 60), "45 min");
        assert_eq!(fmt_at(1_780_000_000), "2026-05-28 20:26 UTC");
    }

    #[test]
    fn a_preview_address_gives_back_the_form() {
        let f = RuleForm::from(&crate::alerts::rule::starter_set()[0]);
        let mut q = ParamsMap::new();
        for (k, v) in [
            ("name", &f.name),
            ("watch", &f.watch),
            ("comparator", &f.comparator),
            ("threshold", &f.threshold),
            ("recovery", &f.recovery),
            ("pending", &f.pending),
            ("keep_firing", &f.keep_firing),
            ("interval", &f.interval),
            ("window", &f.window),
            ("no_data", &f.no_data),
            ("error", &f.error),
            ("severity", &f.severity),
            ("runbook", &f.runbook),
        ] {
            q.insert(format!("form[{k}]"), v.clone());
        }
        q.insert("form[enabled]".to_string(), "on".into());
        q.insert("form[split]".to_string(), "on".into());
        assert_eq!(draft_from(&q), Some(f));
        assert_eq!(draft_from(&ParamsMap::new()), None);
    }
}
