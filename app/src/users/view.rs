//! The admin page for users: add, change role, deactivate and reactivate.

use super::api::{AddUser, ChangeUserRole, SetUserActive, SetUserPassword, list_users};
use crate::auth::{MIN_PASSWORD_LEN, Role};
use crate::components::{ErrorBox, action_error, fmt_time};
use crate::layout::{Layout, RoleGate};
use leptos::prelude::*;

/// Lists users with per-row actions; admins only (the server enforces it).
#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddUser>::new();
    let change = ServerAction::<ChangeUserRole>::new();
    let activate = ServerAction::<SetUserActive>::new();
    let reset = ServerAction::<SetUserPassword>::new();
    let users = Resource::new(
        move || {
            (
                add.version().get(),
                change.version().get(),
                activate.version().get(),
            )
        },
        |_| list_users(),
    );
    view! {
        <Layout title="Users">
            <RoleGate needed=Role::Admin action="manage users">
                <p class="lead">
                    "Viewers read everything; editors also change data; admins also manage users, API tokens and settings."
                </p>
                {move || action_error(change.value().get())}
                {move || action_error(activate.value().get())}
                {move || action_error(reset.value().get())}
                {done_notice()}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match users.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Users">
                                <table class="data" data-testid="users-table">
                                    <thead><tr><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Last sign-in"</th><th>"Created"</th><th></th></tr></thead>
                                    <tbody>
                                    {list.into_iter().map(|u| {
                                        let id = u.id.to_string();
                                        let id2 = id.clone();
                                        let id3 = id.clone();
                                        let role_label = format!("Role of {}", u.email);
                                        let password_label = format!("New password for {}", u.email);
                                        let current = u.role.clone();
                                        view! {
                                            <tr class:inactive=!u.active>
                                                <td>{u.email.clone()}</td>
                                                <td>
                                                    <ActionForm action=change attr:class="inline">
                                                        <input type="hidden" name="user_id" value=id/>
                                                        <select name="role" aria-label=role_label>
                                                            {Role::ALL.into_iter().map(|r| view! {
                                                                <option value=r.as_str() selected=current == r.as_str()>{r.as_str()}</option>
                                                            }).collect_view()}
                                                        </select>
                                                        <button type="submit" class="small">"Change role"</button>
                                                    </ActionForm>
                                                </td>
                                                <td>{if u.active { "active" } else { "deactivated" }}</td>
                                                <td>{u.last_login_at.as_deref().map(fmt_time).unwrap_or_else(|| "never".into())}</td>
                                                <td>{fmt_time(&u.created_at)}</td>
                                                <td>
                                                    <ActionForm action=activate attr:class="inline">
                                                        <input type="hidden" name="user_id" value=id2/>
                                                        <input type="hidden" name="active" value=(!u.active).to_string()/>
                                                        <button type="submit" class="small secondary">
                                                            {if u.active { "Deactivate" } else { "Reactivate" }}
                                                        </button>
                                                    </ActionForm>
                                                    <details class="row-action">
                                                        <summary>"Set password"</summary>
                                                        <ActionForm action=reset attr:class="inline">
                                                            <input type="hidden" name="user_id" value=id3/>
                                                            <input
                                                                type="password"
                                                                name="password"
                                                                required
                                                                minlength=MIN_PASSWORD_LEN
                                                                autocomplete="new-password"
                                                                aria-label=password_label
                                                            />
                                                            <button type="submit" class="small">"Set"</button>
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

                <h2>"Add a user"</h2>
                <p class="muted">"Give the new user their initial password in person or through your password manager."</p>
                {move || action_error(add.value().get())}
                <ActionForm action=add attr:class="stack form-card">
                    <label>"Email" <input type="email" name="email" required autocomplete="off"/></label>
                    <label>"Role"
                        <select name="role">
                            <option value="viewer">"viewer"</option>
                            <option value="editor">"editor"</option>
                            <option value="admin">"admin"</option>
                        </select>
                    </label>
                    <label>{format!("Initial password (at least {MIN_PASSWORD_LEN} characters)")}
                        <input type="password" name="password" required minlength=MIN_PASSWORD_LEN autocomplete="new-password"/>
                    </label>
                    <button type="submit" class="primary">"Add user"</button>
                </ActionForm>
            </RoleGate>
        </Layout>
    }
}

/// The notice for `?done=` after a plain form post: a fixed sentence per
/// known word, nothing for any other.
fn done_notice() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    move || {
        let text = match query.read().get("done").as_deref() {
            Some("added") => {
                "User added. Give them their initial password in person or through your password manager."
            }
            Some("password") => "Password set. The user's open sessions were ended.",
            _ => return None,
        };
        Some(view! { <p class="ok-box" role="status" data-testid="done-notice">{text}</p> })
    }
}
