//! The audit-log page: filters kept in the URL, newest first, keyset paging.

use super::api::list_audit;
use crate::audit::AuditFilter;
use crate::components::{ErrorBox, fmt_time, percent_encode};
use crate::layout::Layout;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// Filterable list of everything anyone changed.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        let s = |k: &str| q.get(k).filter(|v| !v.is_empty());
        AuditFilter {
            action: s("action"),
            actor: s("actor"),
            text: s("text"),
            from: s("from"),
            to: s("to"),
            before: s("before").and_then(|v| v.parse().ok()),
        }
    };
    let page = Resource::new(filter, list_audit);

    view! {
        <Layout title="Audit log">
            <p class="lead">"Who did what to which object, and when. Every change in the console is recorded here."</p>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let f = filter();
                    match page.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => {
                            let older = p.next_before.map(|b| {
                                let mut href = format!("/audit?before={b}");
                                for (k, v) in [("action", &f.action), ("actor", &f.actor), ("text", &f.text), ("from", &f.from), ("to", &f.to)] {
                                    if let Some(v) = v {
                                        href.push_str(&format!("&{k}={}", percent_encode(v, b"")));
                                    }
                                }
                                href
                            });
                            let empty = p.entries.is_empty();
                            view! {
                                <Form method="GET" action="/audit" attr:class="filters">
                                    <label>"Action"
                                        <select name="action">
                                            <option value="">"any"</option>
                                            {p.actions.into_iter().map(|a| {
                                                let selected = f.action.as_deref() == Some(a.as_str());
                                                view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <label>"Who"
                                        <select name="actor">
                                            <option value="">"anyone"</option>
                                            {p.actors.into_iter().map(|a| {
                                                let selected = f.actor.as_deref() == Some(a.as_str());
                                                view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <label>"Text" <input type="search" name="text" value=f.text.clone().unwrap_or_default()/></label>
                                    <label>"From" <input type="date" name="from" value=f.from.clone().unwrap_or_default()/></label>
                                    <label>"To" <input type="date" name="to" value=f.to.clone().unwrap_or_default()/></label>
                                    <button type="submit">"Filter"</button>
                                    <a href="/audit" class="button secondary">"Clear"</a>
                                </Form>
                                {empty.then(|| view! { <p class="empty">"No entries match these filters."</p> })}
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Audit log">
                                <table class="data" data-testid="audit-table">
                                    <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Environment"</th><th>"What"</th><th>"From"</th></tr></thead>
                                    <tbody>
                                        {p.entries.into_iter().map(|e| {
                                            let href = e.href();
                                            view! {
                                                <tr>
                                                    <td class="nowrap">{fmt_time(&e.occurred_at)}</td>
                                                    <td>{e.actor}</td>
                                                    <td><code>{e.action}</code></td>
                                                    <td>{e.environment.unwrap_or_default()}</td>
                                                    <td>{match href {
                                                        Some(href) => view! { <a href=href>{e.summary}</a> }.into_any(),
                                                        None => view! { {e.summary} }.into_any(),
                                                    }}</td>
                                                    <td class="muted">{e.ip.unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                                {older.map(|href| view! { <p><a href=href class="button secondary">"Older entries →"</a></p> })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </Layout>
    }
}
