//! The search page: a GET form (works without JavaScript, shareable URL)
//! and hits with highlighted snippets that link to the field or rule.

use super::api::search_rule_book;
use super::snippet_pieces;
use crate::components::ErrorBox;
use crate::environments::view::EnvironmentSwitcher;
use crate::environments::view::use_env_param;
use crate::layout::Layout;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Search across maps, field mappings and rule rationale.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let env = use_env_param();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let hits = Resource::new(
        move || (q.get(), env.get()),
        |(q, env)| search_rule_book(q, env),
    );
    view! {
        <Layout title="Search the rule book" switcher=EnvironmentSwitcher>
            <form method="get" action="/search" class="filters" role="search">
                {move || env.get().map(|e| view! { <input type="hidden" name="env" value=e/> })}
                <label>"Words in map names, fields, notes or rationale"
                    <input type="search" name="q" class="search-words" value=move || q.get() autofocus/>
                </label>
                <button type="submit">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    let typed = q.get();
                    match hits.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(list) if list.is_empty() && !typed.trim().is_empty() => view! {
                            <p class="empty">{format!("Nothing in this environment's rule book matches '{typed}'.")}</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ol class="hits" data-testid="search-hits">
                                {list.into_iter().map(|h| view! {
                                    <li>
                                        <a href=h.href.clone()>{format!("{} · {}", h.map_name, h.title)}</a>
                                        <span class="muted">{format!(" ({})", h.kind)}</span>
                                        <p class="snippet">
                                            {snippet_pieces(&h.snippet).into_iter().map(|(text, marked)| {
                                                if marked { view! { <mark>{text}</mark> }.into_any() } else { view! { <span>{text}</span> }.into_any() }
                                            }).collect_view()}
                                        </p>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}
