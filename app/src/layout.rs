//! The page frame every signed-in page renders in (header, navigation,
//! the signed-in user, sign-out, the demo banner), the role gate of pages
//! for editors and admins, and the page for unknown addresses. It builds on
//! `auth` (who is looking) and `signin` (sign-out); features build on it.

use crate::auth::{Role, Visitor};
use crate::components::{FormMemory, HydrationMark, MenuDismiss};
use crate::error::AppError;
use crate::signin::api::{Logout, get_visitor};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// The page frame: header with navigation and the signed-in user, then the
/// page. Navigation lists only the areas that exist and that the role may use.
#[component]
pub fn Layout(
    /// The page's heading, also used in the browser tab.
    title: &'static str,
    /// Beside the heading: the environment switcher of pages scoped to one
    /// environment (`environments::view::EnvironmentSwitcher`), passed in
    /// so the frame does not depend on the features it frames.
    #[prop(optional, into)]
    switcher: Option<ViewFn>,
    /// The page body.
    children: Children,
) -> impl IntoView {
    let location = use_location();
    // Read for every page the server renders, so an expired session or a
    // changed role shows up at once.
    let visitor = Resource::new(move || location.pathname.get(), |_| get_visitor());
    let logout = ServerAction::<Logout>::new();

    view! {
        <leptos_meta::Title text=title/>
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">"Dual-write Console"</a>
                // A disclosure, not a script: on a phone the links fold
                // under "Menu" with or without JavaScript; on a wide screen
                // the stylesheet shows them and hides the summary.
                <details class="nav-menu">
                    <summary class="menu-toggle">"Menu"</summary>
                    <nav id="main-nav" class="nav" aria-label="Main">
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                let visitor = visitor.await.unwrap_or(Visitor { user: None, needs_setup: false, demo: None });
                                nav_links(visitor, logout)
                            })}
                        </Transition>
                    </nav>
                </details>
            </header>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let demo = visitor.await.ok().and_then(|v| v.user.is_some().then_some(v.demo).flatten());
                    demo.map(|env| view! {
                        <p class="demo-banner" role="note" data-testid="demo-banner">
                            <strong>"Demo mode. "</strong>
                            {format!("“{env}” is a simulated environment: its errors, map states, record counts and throughput come from the built-in simulator, not from a Dynamics tenant. ")}
                            "Configure a real connection (README, “Connections”) to replace it."
                        </p>
                    })
                })}
            </Transition>
            <main class="content">
                <div class="page-head">
                    <h1>{title}</h1>
                    {switcher.map(|s| s.run())}
                </div>
                {children()}
            </main>
            <FormMemory/>
            <MenuDismiss/>
            <HydrationMark/>
        </div>
    }
}

fn nav_links(visitor: Visitor, logout: ServerAction<Logout>) -> AnyView {
    let Some(user) = visitor.user else {
        return view! { <div class="nav-links"><A href="/login">"Sign in"</A></div> }.into_any();
    };
    let is_admin = user.role.allows(Role::Admin);
    view! {
        <div class="nav-links">
            <A href="/" exact=true>"Overview"</A>
            <A href="/alerts">"Alerts"</A>
            <A href="/cutover">"Cutover"</A>
            <A href="/errors">"Error queue"</A>
            <A href="/trends">"Trends"</A>
            <A href="/review">"Weekly review"</A>
            <A href="/maps">"Table maps"</A>
            // The pages that look after the console itself, under one
            // entry so the header keeps to one line.
            <details class="nav-group">
                <summary>{if is_admin { "Admin" } else { "More" }}</summary>
                <div class="nav-group-links">
                    <A href="/collectors">"Collectors"</A>
                    <A href="/audit">"Audit log"</A>
                    {is_admin.then(|| view! {
                        <A href="/admin/environments">"Environments"</A>
                        <A href="/admin/users">"Users"</A>
                        <A href="/admin/tokens">"API tokens"</A>
                    })}
                </div>
            </details>
        </div>
        <div class="nav-user">
            <span class="who" data-testid="signed-in-as">
                <span class="who-email" title=user.email.clone()>{user.email.clone()}</span>
                " " <span class=format!("role role-{}", user.role)>{user.role.to_string()}</span>
            </span>
            <ActionForm action=logout attr:class="inline">
                <button type="submit" class="link">"Sign out"</button>
            </ActionForm>
        </div>
    }
    .into_any()
}

/// The page for unknown addresses, in the normal layout (so the way on is
/// in the navigation); answers with HTTP 404 during SSR.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Layout title="Page not found">
            <p data-testid="not-found">"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p><a href="/">"Go to the overview"</a></p>
        </Layout>
    }
}

/// Shows its content only to a role that includes `needed`; anyone else
/// gets a plain page saying which role the page needs (HTTP 403 during
/// SSR) instead of a form that would fail on submit.
#[component]
pub fn RoleGate(
    /// The lowest role that may use the page.
    needed: Role,
    /// Completes "Your role does not allow you to …", e.g. "edit table maps".
    action: &'static str,
    /// The page.
    children: ChildrenFn,
) -> impl IntoView {
    let visitor = Resource::new(|| (), |_| get_visitor());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let role = visitor.await.ok().and_then(|v| v.user).map(|u| u.role);
                    if role.is_some_and(|r| r.allows(needed)) {
                        return children().into_any();
                    }
                    #[cfg(feature = "ssr")]
                    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                        res.set_status(http::StatusCode::FORBIDDEN);
                    }
                    let refusal = match role {
                        Some(r) => AppError::Forbidden { role: r.to_string(), action: action.into() }.to_string(),
                        None => AppError::Unauthorized.to_string(),
                    };
                    view! {
                        <div class="error-box" role="alert" data-testid="forbidden">
                            {format!("{refusal} This page needs the {needed} role; an admin can change roles on the Users page.")}
                        </div>
                        <p><a href="/">"Go to the overview"</a></p>
                    }.into_any()
                })
            }}
        </Suspense>
    }
}
