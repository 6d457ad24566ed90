//! The environments admin page and the environment switcher in the header.

use super::api::{SaveEnvironment, list_environments};
use crate::auth::Role;
use crate::components::{ErrorBox, action_error};
use crate::layout::{Layout, RoleGate};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

/// Lists environments with an edit form each, and a form to add one.
#[component]
pub fn EnvironmentsPage() -> impl IntoView {
    let save = ServerAction::<SaveEnvironment>::new();
    let query = leptos_router::hooks::use_query_map();
    let envs = Resource::new(move || save.version().get(), |_| list_environments());
    view! {
        <Layout title="Environments">
            <RoleGate needed=Role::Admin action="manage environments">
                <p class="lead">
                    "Each environment pairs an F&O environment with its Dataverse environment, and names the legal
                     entities (company codes) in scope. Table maps and rules belong to one environment."
                </p>
                {move || action_error(save.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match envs.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <p class="empty">"No environments yet. Add the first one below."</p>
                            }.into_any(),
                            Ok(list) => view! {
                                {saved_notice(&query.read_untracked(), &list)}
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Environments">
                                <table class="data" data-testid="environments-table">
                                    <thead><tr><th>"Name"</th><th>"F&O"</th><th>"Dataverse"</th><th>"Legal entities"</th><th>"Time zone"</th><th></th></tr></thead>
                                    <tbody>
                                    {list.into_iter().map(|e| {
                                        let entities = e.legal_entities.join(", ");
                                        view! {
                                            <tr>
                                                <td><a href=format!("/maps?env={}", e.name)>{e.name.clone()}</a></td>
                                                <td class="break">{e.fo_url.clone()}</td>
                                                <td class="break">{e.dataverse_url.clone()}</td>
                                                <td>{entities.clone()}</td>
                                                <td>{e.time_zone.clone()}</td>
                                                <td>
                                                    <details class="row-action">
                                                        <summary>"Edit"</summary>
                                                        <ActionForm action=save attr:class="stack">
                                                            <input type="hidden" name="environment_id" value=e.id.to_string()/>
                                                            <label>"Name" <input name="name" required value=e.name.clone()/></label>
                                                            <label>"F&O URL" <input name="fo_url" type="url" value=e.fo_url.clone()/></label>
                                                            <label>"Dataverse URL" <input name="dataverse_url" type="url" value=e.dataverse_url.clone()/></label>
                                                            <label>"Legal entities" <input name="legal_entities" value=entities/></label>
                                                            <label>"Time zone (IANA name, for cutover plans)" <input name="time_zone" value=e.time_zone.clone() placeholder="Europe/Amsterdam"/></label>
                                                            <button type="submit" class="small">"Save"</button>
                                                        </ActionForm>
                                                    </details>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                    </tbody>
                                </table>
                                </div>
                            }.into_any(),
                        }
                    })}
                </Transition>
                <h2>"Add an environment"</h2>
                <ActionForm action=save attr:class="stack form-card" attr:data-testid="add-environment-form">
                    <label>"Name" <input name="name" required placeholder="UAT"/></label>
                    <label>"F&O environment URL" <input name="fo_url" type="url" placeholder="https://contoso-uat.sandbox.operations.dynamics.com"/></label>
                    <label>"Dataverse environment URL" <input name="dataverse_url" type="url" placeholder="https://contoso-uat.crm.dynamics.com"/></label>
                    <label>"Legal entities in scope (comma-separated company codes)" <input name="legal_entities" placeholder="USMF, DEMF"/></label>
                    <label>"Time zone where the team works (IANA name; cutover plans use it)" <input name="time_zone" placeholder="UTC, or e.g. Europe/Amsterdam"/></label>
                    <button type="submit" class="primary">"Add environment"</button>
                </ActionForm>
            </RoleGate>
        </Layout>
    }
}

/// The environment named in the URL (`?env=`), if any.
pub fn use_env_param() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("env").filter(|v| !v.is_empty()))
}

/// Header control that switches the environment of the current page. A GET
/// form, so it works without JavaScript; the choice lives in the URL, so a
/// view can be shared.
#[component]
pub fn EnvironmentSwitcher() -> impl IntoView {
    let location = use_location();
    let wanted = use_env_param();
    let envs = Resource::new(|| (), |_| list_environments());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = envs.await.unwrap_or_default();
                if list.is_empty() {
                    return None;
                }
                let current = super::pick(&list, wanted.get().as_deref()).map(|e| e.name.clone());
                let path = location.pathname.get();
                Some(view! {
                    <form method="get" action=path class="env-switch" aria-label="Environment">
                        <select name="env" aria-label="Environment">
                            {list.into_iter().map(|e| {
                                let selected = current.as_deref() == Some(e.name.as_str());
                                view! { <option value=e.name.clone() selected=selected>{e.name.clone()}</option> }
                            }).collect_view()}
                        </select>
                        <button type="submit" class="small">"Switch"</button>
                    </form>
                })
            })}
        </Transition>
    }
}

/// "Environment X added." after a save: the address names the environment
/// by id (`added=` or `saved=`), and only one in `list` is named.
fn saved_notice(
    q: &leptos_router::params::ParamsMap,
    list: &[super::Environment],
) -> Option<impl IntoView + use<>> {
    let (verb, id) = match (q.get("added"), q.get("saved")) {
        (Some(id), _) => ("added", id),
        (None, Some(id)) => ("saved", id),
        _ => return None,
    };
    let id: i64 = id.parse().ok()?;
    let name = list.iter().find(|e| e.id == id)?.name.clone();
    Some(
        view! { <p class="ok-box" role="status" data-testid="environment-saved">{format!("Environment {name} {verb}.")}</p> },
    )
}
