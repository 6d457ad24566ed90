//! The sign-in and first-run setup pages. Both are plain forms that work
//! with and without JavaScript.

use super::api::{Login, SetupAdmin};
use crate::auth::MIN_PASSWORD_LEN;
use crate::components::{FormMemory, HydrationMark, action_error};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Sign-in form. `?next=/path` chooses where to go afterwards.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <leptos_meta::Title text="Sign in"/>
        <main class="content narrow auth-page">
            <p class="brand-large">"Dual-write Console"</p>
            <h1>"Sign in"</h1>
            {move || action_error(login.value().get())}
            <ActionForm action=login attr:class="stack">
                <input type="hidden" name="next" value=next/>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>
                    "Password"
                    <PasswordInput/>
                </label>
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
            <p class="muted">
                "Accounts are created by an admin of this console. Forgot your password? Ask an admin to set a new one."
            </p>
            <FormMemory/>
            <HydrationMark/>
        </main>
    }
}

/// First-run page: creates the first admin account. The server refuses it
/// once any account exists.
#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<SetupAdmin>::new();
    view! {
        <leptos_meta::Title text="Set up"/>
        <main class="content narrow auth-page">
            <p class="brand-large">"Dual-write Console"</p>
            <h1>"Create the first admin"</h1>
            <p>
                "This console has no accounts yet. The account you create here is an admin: it can add
                 the rest of the team and create API tokens for collectors. There is no default password."
            </p>
            {move || action_error(setup.value().get())}
            <ActionForm action=setup attr:class="stack">
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>
                    {format!("Password (at least {MIN_PASSWORD_LEN} characters)")}
                    <input type="password" name="password" autocomplete="new-password" required minlength=MIN_PASSWORD_LEN/>
                </label>
                <label>
                    "Repeat the password"
                    <input type="password" name="confirm" autocomplete="new-password" required/>
                </label>
                <button type="submit" class="primary" disabled=move || setup.pending().get()>
                    "Create admin and sign in"
                </button>
            </ActionForm>
            <FormMemory/>
            <HydrationMark/>
        </main>
    }
}

/// The sign-in password field with a Show/Hide toggle. An island: the
/// toggle needs the browser, so it appears only once hydrated; without
/// JavaScript the field is a plain password field.
#[island]
fn PasswordInput() -> impl IntoView {
    let show = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <span class="password-row">
            <input
                type=move || if show.get() { "text" } else { "password" }
                name="password"
                autocomplete="current-password"
                required
            />
            {move || hydrated.get().then(|| view! {
                <button
                    type="button"
                    class="link show-password"
                    aria-pressed=move || show.get().to_string()
                    on:click=move |_| show.update(|s| *s = !*s)
                >
                    {move || if show.get() { "Hide" } else { "Show" }}
                </button>
            })}
        </span>
    }
}
