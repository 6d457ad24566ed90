//! The admin page for API tokens: create (secret shown once), list, revoke.

use super::api::{CreateToken, RevokeToken, list_tokens, take_new_token};
use crate::auth::Role;
use crate::components::{ErrorBox, action_error, fmt_time};
use crate::layout::{Layout, RoleGate};
use leptos::prelude::*;

/// Token list with create and revoke; admins only (the server enforces it).
#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_tokens(),
    );
    // Set only after a plain (no-JavaScript) form post; see `take_new_token`.
    // Blocking, so the clearing Set-Cookie goes out with the page head.
    let flashed = Resource::new_blocking(|| (), |_| take_new_token());
    view! {
        <Layout title="API tokens">
            <RoleGate needed=Role::Admin action="manage API tokens">
                <p class="lead">
                    "Collectors and scripts authenticate with "<code>"Authorization: Bearer <token>"</code>
                    ". A token's secret is shown once, when it is created; only a hash is stored."
                </p>
                {move || action_error(revoke.value().get())}
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match tokens.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(list) if list.is_empty() => view! { <p class="empty">"No API tokens yet."</p> }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Tokens">
                                <table class="data" data-testid="tokens-table">
                                    <thead><tr><th>"Name"</th><th>"Starts with"</th><th>"Created"</th><th>"By"</th><th>"Last used"</th><th>"Status"</th><th></th></tr></thead>
                                    <tbody>
                                    {list.into_iter().map(|t| {
                                        let live = t.revoked_at.is_none();
                                        view! {
                                            <tr class:inactive=!live>
                                                <td>{t.name.clone()}</td>
                                                <td><code>{format!("{}…", t.prefix)}</code></td>
                                                <td>{fmt_time(&t.created_at)}</td>
                                                <td>{t.created_by.clone().unwrap_or_else(|| "command line".into())}</td>
                                                <td>{t.last_used_at.as_deref().map(fmt_time).unwrap_or_else(|| "never".into())}</td>
                                                <td>{t.revoked_at.as_deref().map(|r| format!("revoked {}", fmt_time(r))).unwrap_or_else(|| "active".into())}</td>
                                                <td>
                                                    {live.then(|| view! {
                                                        <ActionForm action=revoke attr:class="inline">
                                                            <input type="hidden" name="token_id" value=t.id.to_string()/>
                                                            <button type="submit" class="small danger">"Revoke"</button>
                                                        </ActionForm>
                                                    })}
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

                <h2>"Create a token"</h2>
                {move || action_error(create.value().get())}
                {move || match create.value().get() {
                    Some(Ok(secret)) => Some(new_token_box(secret)),
                    _ => None,
                }}
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        flashed.await.ok().flatten().map(new_token_box)
                    })}
                </Suspense>
                <ActionForm action=create attr:class="stack form-card">
                    <label>"Name" <input type="text" name="name" required maxlength="80" placeholder="prod error collector"/></label>
                    <button type="submit" class="primary">"Create token"</button>
                </ActionForm>
            </RoleGate>
        </Layout>
    }
}

fn new_token_box(secret: String) -> impl IntoView {
    view! {
        <div class="ok-box" role="status">
            <p>"Copy this token now. It will not be shown again."</p>
            <code class="secret" data-testid="new-token">{secret}</code>
        </div>
    }
}
