//! The overview page.

use super::api::get_overview;
use crate::components::{ErrorBox, Layout, fmt_time};
use leptos::prelude::*;

/// Home page: access figures and the latest changes.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <Layout title="Overview">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(o) => {
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
                                <ul class="activity">
                                    {o.recent.into_iter().map(|e| view! {
                                        <li><span class="muted nowrap">{fmt_time(&e.occurred_at)}</span> " " <strong>{e.actor}</strong> " — " {e.summary}</li>
                                    }).collect_view()}
                                </ul>
                                <p><a href="/audit">"Full audit log →"</a></p>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </Layout>
    }
}
