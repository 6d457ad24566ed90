//! Error-queue pages: the queue of groups with filters in the URL, the
//! daily sweep and bulk triage; one group with its entries; CSV import.
//! Every form is a plain form, so all of it works without JavaScript.

use super::api::{
    ForgetErrorLesson, ImportErrors, ReclassifyErrors, SetErrorGroupCategory, TriageErrorGroups,
    error_import_target, get_classifier, get_error_group, list_error_groups,
};
use super::{Category, ErrorDirection, GroupFilter, GroupRow, GroupState, Sweep};
use crate::components::{ErrorBox, TextArea, action_error, fmt_count, fmt_time, percent_encode};
use crate::environments::view::EnvironmentSwitcher;
use crate::environments::view::use_env_param;
use crate::layout::Layout;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A 7-bar sparkline of daily entries (oldest day first).
fn sparkline(days: &[i64]) -> impl IntoView + use<> {
    let total: i64 = days.iter().sum();
    crate::components::sparkline(
        &days.iter().map(|d| *d as f64).collect::<Vec<_>>(),
        format!(
            "{total} entries in the last 7 days: {}",
            days.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

fn category_badge(c: Category, overridden: bool) -> impl IntoView + use<> {
    view! {
        <span class=format!("badge cat-{}", c.as_str()) title=if overridden { "set by an editor" } else { "set by the classifier" }>
            {c.label()}{overridden.then_some(" ✎")}
        </span>
    }
}

fn filter_from_query() -> Memo<GroupFilter> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        let s = |k: &str| q.get(k).filter(|v| !v.is_empty());
        GroupFilter {
            env: s("env"),
            map: s("map"),
            direction: s("direction"),
            category: s("category"),
            state: s("state"),
            from: s("from"),
            to: s("to"),
            q: s("q"),
            sort: s("sort"),
            after: s("after"),
        }
    })
}

/// The raw detail for reading: JSON indented (the stored text stays
/// verbatim), anything else as sent.
fn pretty_detail(detail: &str) -> String {
    serde_json::from_str::<serde_json::Value>(detail)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| detail.to_string())
}

/// The confirmation after bulk triage, from the `triaged` and `triaged_as` values
/// the action puts in the address: "12 groups acknowledged."
fn triage_done(q: &leptos_router::params::ParamsMap) -> Option<AnyView> {
    let n: usize = q.get("triaged")?.parse().ok()?;
    let state = GroupState::parse(&q.get("triaged_as")?)?;
    let text = match n {
        0 => format!(
            "No group changed: the chosen groups were already {}.",
            state.label().to_lowercase()
        ),
        1 => format!("1 group {}.", state.label().to_lowercase()),
        n => format!(
            "{} groups {}.",
            fmt_count(n as i64),
            state.label().to_lowercase()
        ),
    };
    Some(view! { <p class="ok-box" role="status" data-testid="triage-done">{text}</p> }.into_any())
}

fn sweep_view(s: Sweep) -> impl IntoView {
    let categories = s
        .top_categories
        .iter()
        .map(|(c, n)| format!("{} {}", c.label(), fmt_count(*n)))
        .collect::<Vec<_>>()
        .join(" · ");
    let maps = s
        .top_maps
        .iter()
        .map(|(m, n)| format!("{m} {}", fmt_count(*n)))
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <section class="sweep" data-testid="sweep" aria-label="Last 24 hours">
            <h2>"Last 24 hours"</h2>
            <p>
                <strong>{fmt_count(s.entries)}</strong>" entries since "{fmt_time(&s.since)}
                {format!(" · {} new group{}", s.new_groups.len(), if s.new_groups.len() == 1 { "" } else { "s" })}
            </p>
            {(!categories.is_empty()).then(|| view! { <p><span class="muted">"Top categories: "</span>{categories}</p> })}
            {(!maps.is_empty()).then(|| view! { <p><span class="muted">"Maps with the most errors: "</span>{maps}</p> })}
            {(!s.new_groups.is_empty()).then(|| view! {
                <ul class="new-groups">
                    {s.new_groups.into_iter().map(|(id, c, p, n)| view! {
                        <li><a href=format!("/errors/groups/{id}")>{p}</a>" "{category_badge(c, false)}{format!(" ×{}", fmt_count(n))}</li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

fn option<T: Copy + PartialEq + Send + Sync + 'static>(
    all: &'static [T],
    current: Option<&str>,
    value: fn(T) -> &'static str,
    text: fn(T) -> &'static str,
) -> impl IntoView + use<T> {
    let current = current.map(str::to_string);
    all.iter()
        .map(|v| {
            let selected = current.as_deref() == Some(value(*v));
            view! { <option value=value(*v) selected=selected>{text(*v)}</option> }
        })
        .collect_view()
}

/// The error queue: groups with filters, sweep and bulk triage.
#[component]
pub fn ErrorsPage() -> impl IntoView {
    let filter = filter_from_query();
    let query = use_query_map();
    let triage = ServerAction::<TriageErrorGroups>::new();
    let page = Resource::new(
        move || (filter.get(), triage.version().get()),
        |(f, _)| list_error_groups(f),
    );
    view! {
        <Layout title="Error queue">
            <p class="lead">
                "Every dual-write error the console has received, kept after Microsoft purges it, classified and grouped: \
                 entries whose message differs only in keys, numbers or values form one group."
            </p>
            {move || action_error(triage.value().get())}
            {move || triage_done(&query.read())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let f = filter.get_untracked();
                    let p = match page.await {
                        // A bad filter value in a shared link: say which, and offer a way out.
                        Err(e) => return view! {
                            <ErrorBox error=e/>
                            <p><a href="/errors">"Show the error queue without filters"</a></p>
                        }.into_any(),
                        Ok(p) => p,
                    };
                    let Some(env) = p.environment.clone() else {
                        return view! {
                            <p class="empty">"No environments yet. An admin adds them on the "<a href="/admin/environments">"Environments"</a>" page; errors belong to one."</p>
                        }.into_any();
                    };
                    let query = GroupFilter { env: Some(env.clone()), after: None, ..f.clone() }.query();
                    let next = p.next.clone().map(|n| format!("/errors?{query}&after={}", percent_encode(&n, b"")));
                    let can_edit = p.can_edit;
                    let total = p.total;
                    let sel = |v: &Option<String>| v.clone().unwrap_or_default();
                    view! {
                        {p.sweep.map(sweep_view)}
                        <form method="get" action="/errors" class="filters" data-testid="error-filters">
                            <label>"Environment"
                                <select name="env">
                                    {p.environments.iter().map(|e| view! { <option value=e.clone() selected=*e == env>{e.clone()}</option> }).collect_view()}
                                </select>
                            </label>
                            <label>"Map"
                                <select name="map">
                                    <option value="">"any"</option>
                                    <option value="none" selected=f.map.as_deref() == Some("none")>"(no map)"</option>
                                    {p.maps.iter().map(|(id, name)| {
                                        let v = id.to_string();
                                        let selected = f.map.as_deref() == Some(v.as_str());
                                        view! { <option value=v selected=selected>{name.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>"Direction"
                                <select name="direction">
                                    <option value="">"any"</option>
                                    {option(ErrorDirection::ALL, f.direction.as_deref(), ErrorDirection::as_str, ErrorDirection::label)}
                                </select>
                            </label>
                            <label>"Category"
                                <select name="category">
                                    <option value="">"any"</option>
                                    {option(Category::ALL, f.category.as_deref(), Category::as_str, Category::label)}
                                </select>
                            </label>
                            <label>"State"
                                <select name="state">
                                    <option value="active">"open or acknowledged"</option>
                                    <option value="all" selected=f.state.as_deref() == Some("all")>"any"</option>
                                    {option(GroupState::ALL, f.state.as_deref(), GroupState::as_str, GroupState::label)}
                                </select>
                            </label>
                            <label>"From" <input type="date" name="from" value=sel(&f.from)/></label>
                            <label>"To" <input type="date" name="to" value=sel(&f.to)/></label>
                            <label>"Text" <input type="search" name="q" value=sel(&f.q) placeholder="words in the message"/></label>
                            <label>"Sort"
                                <select name="sort">
                                    <option value="last_seen">"last seen"</option>
                                    <option value="count" selected=f.sort.as_deref() == Some("count")>"most entries"</option>
                                    <option value="first_seen" selected=f.sort.as_deref() == Some("first_seen")>"first seen"</option>
                                </select>
                            </label>
                            <button type="submit" class="secondary">"Filter"</button>
                            <a href=format!("/errors?env={}", percent_encode(&env, b""))>"Clear"</a>
                        </form>
                        <p class="context">
                            {format!("{} group{} match", fmt_count(total), if total == 1 { "" } else { "s" })}
                            {(can_edit).then(|| view! { " · "<a href=format!("/errors/import?env={}", percent_encode(&env, b""))>"Import CSV"</a> })}
                            " · "<a href=format!("/errors/classifier?env={}", percent_encode(&env, b""))>"Classifier"</a>
                        </p>
                        {if p.groups.is_empty() {
                            view! { <p class="empty" data-testid="no-groups">"No error groups match. Errors arrive through the ingest API (POST /api/v1/errors), a CSV import or a connector."</p> }.into_any()
                        } else {
                            let rows = p.groups.into_iter().enumerate().map(|(i, g)| group_row(i, g, can_edit)).collect_view();
                            view! {
                                <ActionForm action=triage attr:class="triage" attr:data-testid="triage-form">
                                    <input type="hidden" name="filter[env]" value=env.clone()/>
                                    {[("map", &f.map), ("direction", &f.direction), ("category", &f.category), ("state", &f.state),
                                      ("from", &f.from), ("to", &f.to), ("q", &f.q), ("sort", &f.sort)]
                                        .into_iter()
                                        .filter_map(|(k, v)| v.clone().map(|v| view! { <input type="hidden" name=format!("filter[{k}]") value=v/> }))
                                        .collect_view()}
                                    <div class="table-wrap" tabindex="0" role="region" aria-label="Error groups">
                                    <table class="data" data-testid="groups-table">
                                        <thead><tr>
                                            {can_edit.then(|| view! { <th><span class="visually-hidden">"Select"</span></th> })}
                                            <th>"Category"</th><th>"Message"</th><th>"Map · direction"</th>
                                            <th class="num">"Entries"</th><th>"Last seen · first"</th><th>"7 days"</th><th>"State"</th>
                                        </tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                    </div>
                                    {can_edit.then(|| view! {
                                        <fieldset class="bulk form-card wide">
                                            <legend>"Triage"</legend>
                                            <label class="inline-choice"><input type="radio" name="scope" value="selected" checked=true/>" the ticked groups"</label>
                                            <label class="inline-choice"><input type="radio" name="scope" value="matching"/>{format!(" all {} groups matching the filter", fmt_count(total))}</label>
                                            <div class="two">
                                                <label>"New state"
                                                    <select name="state">{option(GroupState::ALL, Some("acknowledged"), GroupState::as_str, GroupState::label)}</select>
                                                </label>
                                                <label>"Comment (kept with the groups and in the audit log)" <input name="comment"/></label>
                                            </div>
                                            <button type="submit" class="primary">"Apply"</button>
                                        </fieldset>
                                    })}
                                </ActionForm>
                            }.into_any()
                        }}
                        {next.map(|href| view! { <p><a href=href rel="next">"Older groups →"</a></p> })}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

fn group_row(i: usize, g: GroupRow, can_edit: bool) -> impl IntoView {
    let id = g.id;
    view! {
        <tr>
            {can_edit.then(|| view! {
                <td><input type="checkbox" name=format!("ids[{i}]") value=id.to_string() aria-label=format!("Select group {id}")/></td>
            })}
            <td>{category_badge(g.category, g.overridden)}</td>
            <td class="pattern"><a href=format!("/errors/groups/{id}")>{g.pattern.clone()}</a></td>
            <td class="map-dir">
                {g.map.clone().map(|(mid, name)| view! { <a href=format!("/maps/{mid}")>{name}</a> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"no map"</span> }.into_any())}
                <span class="sub">{g.direction.label()}</span>
            </td>
            <td class="num">{fmt_count(g.count_in_range)}</td>
            <td class="seen">
                {fmt_time(&g.last_seen)}
                <span class="sub">{format!("first {}", fmt_time(&g.first_seen))}</span>
            </td>
            <td>{sparkline(&g.last_7_days)}</td>
            <td><span class=format!("status status-{}", g.state.as_str())>{g.state.label()}</span></td>
        </tr>
    }
}

/// One error group: what it is, its state and category, and its entries.
#[component]
pub fn ErrorGroupPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let triage = ServerAction::<TriageErrorGroups>::new();
    let recategorise = ServerAction::<SetErrorGroupCategory>::new();
    let detail = Resource::new(
        move || {
            (
                params.read().get("id").and_then(|v| v.parse::<i64>().ok()),
                query.read().get("before"),
                triage.version().get() + recategorise.version().get(),
            )
        },
        |(id, before, _)| async move {
            match id {
                Some(id) => get_error_group(id, before).await,
                None => Err(crate::error::AppError::not_found("That error group")),
            }
        },
    );
    view! {
        <Layout title="Error group">
            {move || action_error(triage.value().get())}
            {move || action_error(recategorise.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let d = match detail.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(d) => d,
                    };
                    let g = d.group.clone();
                    let id = g.id;
                    let env = d.environment.clone();
                    let (classified, rule) = d.classified_as.clone();
                    let next = d.next.clone().map(|n| format!("/errors/groups/{id}?before={}", percent_encode(&n, b"")));
                    let classifier_href = format!("/errors/classifier?env={}", percent_encode(&env, b""));
                    view! {
                        <p class="context">
                            <a href=format!("/errors?env={}", percent_encode(&env, b""))>{format!("Error queue · {env}")}</a>
                            {format!(" · group {id}")}
                        </p>
                        <article class="group-doc" data-testid="group-doc">
                            <p class="pattern-title">{g.pattern.clone()}</p>
                            <dl class="facts">
                                <dt>"Category"</dt>
                                <dd>
                                    {category_badge(g.category, g.overridden)}
                                    {format!(" Classifier: {} — rule: {rule}", classified.label())}
                                </dd>
                                <dt>"State"</dt>
                                <dd>
                                    <span class=format!("status status-{}", g.state.as_str())>{g.state.label()}</span>
                                    {d.state_note.clone().map(|(at, by, c)| format!(" since {} by {by}{}", fmt_time(&at), if c.is_empty() { String::new() } else { format!(": {c}") }))}
                                </dd>
                                <dt>"Map"</dt>
                                <dd>{g.map.clone().map(|(mid, name)| view! { <a href=format!("/maps/{mid}")>{name}" (rule book)"</a> }.into_any()).unwrap_or_else(|| view! { "not named by the sender" }.into_any())}</dd>
                                <dt>"Direction"</dt><dd>{g.direction.label()}</dd>
                                <dt>"Entries"</dt><dd>{format!("{} · first {} · last {}", fmt_count(g.count), fmt_time(&g.first_seen), fmt_time(&g.last_seen))}</dd>
                                <dt>"Last 7 days"</dt><dd>{sparkline(&g.last_7_days)}</dd>
                            </dl>
                            {d.can_edit.then(|| view! {
                                <div class="two group-actions">
                                    <ActionForm action=triage attr:class="stack form-card" attr:data-testid="group-triage">
                                        <input type="hidden" name="filter[env]" value=env.clone()/>
                                        <input type="hidden" name="filter[state]" value="all"/>
                                        <input type="hidden" name="scope" value="selected"/>
                                        <input type="hidden" name="ids[0]" value=id.to_string()/>
                                        <label>"State" <select name="state">{option(GroupState::ALL, Some(g.state.as_str()), GroupState::as_str, GroupState::label)}</select></label>
                                        <label>"Comment" <input name="comment"/></label>
                                        <button type="submit" class="primary">"Set state"</button>
                                    </ActionForm>
                                    <ActionForm action=recategorise attr:class="stack form-card" attr:data-testid="group-category">
                                        <input type="hidden" name="group_id" value=id.to_string()/>
                                        <label>"Category"
                                            <select name="category">
                                                <option value="">{format!("classifier's ({})", classified.label())}</option>
                                                {option(Category::ALL, g.overridden.then_some(g.category.as_str()), Category::as_str, Category::label)}
                                            </select>
                                        </label>
                                        <label>"Why" <input name="comment"/></label>
                                        <p class="muted">
                                            "New groups with the same message in this environment take it too ("
                                            <a href=classifier_href>"Classifier"</a>")."
                                        </p>
                                        <button type="submit">"Set category"</button>
                                    </ActionForm>
                                </div>
                            })}
                            <h3>"Entries"</h3>
                            <div class="table-wrap" tabindex="0" role="region" aria-label="Entries">
                            <table class="data" data-testid="entries-table">
                                <thead><tr><th>"Occurred"</th><th>"Record key"</th><th>"Company"</th><th>"Message"</th><th>"Classified by"</th><th>"Source"</th></tr></thead>
                                <tbody>
                                {d.entries.into_iter().map(|e| view! {
                                    <tr>
                                        <td class="nowrap">{fmt_time(&e.occurred_at)}</td>
                                        <td><code>{e.record_key.clone()}</code></td>
                                        <td>{e.legal_entity.clone()}</td>
                                        <td class="message">
                                            {e.message.clone()}
                                            {e.detail.clone().map(|detail| view! {
                                                <details class="raw"><summary>"Raw detail"</summary><pre class="raw-detail" tabindex="0">{pretty_detail(&detail)}</pre></details>
                                            })}
                                        </td>
                                        <td class="muted">{format!("{}: {}", e.category.label(), e.rule)}</td>
                                        <td class="muted">{format!("{}{}", e.source.label(), if e.source_ref.is_empty() { String::new() } else { format!(" · {}", e.source_ref) })}</td>
                                    </tr>
                                }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                            {next.map(|href| view! { <p><a href=href rel="next">"Older entries →"</a></p> })}
                        </article>
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// Imports error entries from a CSV export.
#[component]
pub fn ErrorsImportPage() -> impl IntoView {
    let env = use_env_param();
    let import = ServerAction::<ImportErrors>::new();
    let target = Resource::new(move || env.get(), error_import_target);
    view! {
        <Layout title="Import errors (CSV)" switcher=EnvironmentSwitcher>
            {crate::components::import_result()}
            {move || action_error(import.value().get())}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (env, can_edit) = match target.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(t) => t,
                    };
                    let Some(env) = env else {
                        return view! { <p class="empty">"Add an environment first; errors belong to one."</p> }.into_any();
                    };
                    view! {
                        <p class="lead">
                            "Paste a CSV export of dual-write errors. Columns are found by name — the console's own ("
                            <code>"occurred_at, map, direction, record_key, legal_entity, message, detail, id"</code>
                            ") or common export names such as Created on, Project name, Integration key, Company, Error message, \
                             Verbose error. Name others below. Every row is checked first; one bad row means nothing is \
                             imported, and rows already imported are recognised and skipped."
                        </p>
                        <p class="context">{format!("Into {env}")}</p>
                        {if can_edit {
                            view! {
                                <ActionForm action=import attr:class="stack form-card wide" attr:data-testid="errors-import-form">
                                    <input type="hidden" name="env" value=env.clone()/>
                                    <label>"CSV" <TextArea name="csv" attr:rows="14" attr:required=true attr:spellcheck="false" attr:class="code"/></label>
                                    <label>"Column mapping (optional)" <input name="mapping" placeholder="message=Error text, occurred_at=When"/></label>
                                    <button type="submit" class="primary">"Import errors"</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <p class="empty">"Only editors and admins import errors."</p> }.into_any()
                        }}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}

/// How the queue is classified, what editors taught it, and (admins)
/// re-classifying every group after the classifier changed.
#[component]
pub fn ErrorsClassifierPage() -> impl IntoView {
    let env = use_env_param();
    let forget = ServerAction::<ForgetErrorLesson>::new();
    let rerun = ServerAction::<ReclassifyErrors>::new();
    let page = Resource::new(
        move || (env.get(), forget.version().get(), rerun.version().get()),
        |(env, _, _)| get_classifier(env),
    );
    view! {
        <Layout title="Error classifier" switcher=EnvironmentSwitcher>
            <p class="lead">
                "Each error gets a category in two steps. Rules read what is explicit: Dataverse error codes, HTTP \
                 statuses and phrases from Microsoft's troubleshooting articles. What they miss, a model trained on \
                 real dual-write error messages reads by its wording; it shows the words that weighed most and how \
                 sure it is, and below 50 % it answers Other with its best guess. An editor's category on a group \
                 teaches the console: new groups with the same message in the environment take it."
            </p>
            {move || action_error(forget.value().get())}
            {move || action_error(rerun.value().get())}
            {move || rerun.value().get().and_then(Result::ok).map(|r| view! {
                <p class="notice" role="status" data-testid="reclassify-result">{r.summary()}</p>
            })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = match page.await {
                        Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => p,
                    };
                    let Some(env) = p.environment.clone() else {
                        return view! { <p class="empty">"Add an environment first; errors belong to one."</p> }.into_any();
                    };
                    let can_edit = p.can_edit;
                    let lessons = if p.lessons.is_empty() {
                        view! {
                            <p class="empty" data-testid="no-lessons">
                                "Nothing learned yet. When an editor changes a group's category on its page, \
                                 it is listed here."
                            </p>
                        }.into_any()
                    } else {
                        let env = env.clone();
                        let rows = p.lessons.into_iter().map(|l| {
                            let env = env.clone();
                            view! {
                                <tr>
                                    <td class="message">{l.pattern.clone()}</td>
                                    <td>{category_badge(l.category, true)}</td>
                                    <td>
                                        {l.created_by.clone()}" · "{fmt_time(&l.created_at)}" · "
                                        <a href=format!("/errors/groups/{}", l.group_id)>{format!("group {}", l.group_id)}</a>
                                    </td>
                                    <td class="num">{fmt_count(l.decided)}</td>
                                    {can_edit.then(|| view! {
                                        <td>
                                            <ActionForm action=forget>
                                                <input type="hidden" name="env" value=env/>
                                                <input type="hidden" name="id" value=l.id.to_string()/>
                                                <button type="submit" class="secondary" aria-label=format!("Forget: {}", l.pattern)>"Forget"</button>
                                            </ActionForm>
                                        </td>
                                    })}
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-wrap" tabindex="0" role="region" aria-label="Lessons">
                                <table class="data" data-testid="lessons-table">
                                    <thead><tr>
                                        <th>"Message"</th><th>"Category"</th><th>"Taught by · when · on"</th>
                                        <th class="num">"Entries decided"</th>
                                        {can_edit.then(|| view! { <th><span class="visually-hidden">"Remove"</span></th> })}
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    };
                    view! {
                        <h2>"Learned categories"</h2>
                        <p class="context">{format!("In {env}. Removing one leaves the groups it decided as they are.")}</p>
                        {lessons}
                        <h2>"Re-classify"</h2>
                        <p>
                            "Runs the current classifier over every group of the environment again, after the \
                             classifier changed. A group whose category changes takes its history with it, so the \
                             trends still agree with the queue; groups an editor categorised keep that category."
                        </p>
                        {p.last_run.map(|(at, by, summary)| view! {
                            <p class="context" data-testid="last-reclassify">{format!("Last run {} by {by}: {summary}", fmt_time(&at))}</p>
                        })}
                        {if p.is_admin {
                            view! {
                                <ActionForm action=rerun attr:data-testid="reclassify-form">
                                    <input type="hidden" name="env" value=env.clone()/>
                                    <button type="submit" class="primary">{format!("Re-classify every group in {env}")}</button>
                                </ActionForm>
                            }.into_any()
                        } else {
                            view! { <p class="empty">"Only admins re-classify."</p> }.into_any()
                        }}
                    }.into_any()
                })}
            </Transition>
        </Layout>
    }
}
