//! Dual-write Console UI: the Leptos application shared by the server (SSR)
//! and the browser (hydration) — routes, pages, server functions and the
//! types they exchange.

// Leptos views are nested generic types; the map page nests deep enough to
// pass the default limit of 128 in the wasm build.
#![recursion_limit = "256"]

/// Implements `ALL`, `as_str`, `label` and `parse` for a fieldless enum
/// stored by name (defined before the modules so they can all use it).
macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal, $label:literal;)* }) => {
        impl $t {
            /// Every value, in display order.
            pub const ALL: &'static [$t] = &[$(<$t>::$v),*];
            /// The stored name.
            pub fn as_str(self) -> &'static str { match self { $(<$t>::$v => $s),* } }
            /// The label shown to people.
            pub fn label(self) -> &'static str { match self { $(<$t>::$v => $label),* } }
            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some(<$t>::$v),)* _ => None } }
        }
    };
}

pub mod alerts;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod chart;
pub mod collectors;
pub mod components;
pub mod counts;
pub mod csv_cell;
pub mod cutover;
#[cfg(feature = "ssr")]
pub mod db;
pub mod environments;
pub mod error;
pub mod errors;
pub mod layout;
pub mod maps;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod overview;
pub mod reconcile;
pub mod review;
pub mod revisions;
pub mod rulebook;
pub mod rules;
pub mod search;
pub mod servers;
pub mod signin;
pub mod throughput;
pub mod tokens;
pub mod trends;
pub mod users;
#[cfg(feature = "ssr")]
pub mod zone;

use leptos::prelude::*;
use leptos_meta::{MetaTags, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.ico"/>
                <link rel="stylesheet" href="/pkg/main.css"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The CSP nonce the server minted for this response, stored in the request
/// extensions by its security-headers middleware.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);

/// Hands the request's CSP nonce to Leptos so its inline hydration script
/// carries it and the strict Content-Security-Policy allows it. The server
/// calls this in the context it provides to every render.
#[cfg(feature = "ssr")]
pub fn provide_request_nonce() {
    let nonce =
        use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned());
    if let Some(n) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

/// The application: every route of the console.
///
/// Pages render with `SsrMode::Async`: the server sends each page complete,
/// with its data, so it reads and works without JavaScript (out-of-order
/// streaming needs a script to put late content in place) and so status codes
/// and cookies set while rendering reach the response head.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <leptos_meta::Title formatter=|t: String| format!("{t} · Dual-write Console")/>
        <Router>
            <Routes fallback=layout::NotFound>
                <Route path=path!("/login") view=signin::view::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=signin::view::SetupPage ssr=SsrMode::Async/>
                <Route path=path!("/") view=overview::view::OverviewPage ssr=SsrMode::Async/>
                <Route path=path!("/audit") view=audit_log::view::AuditPage ssr=SsrMode::Async/>
                <Route path=path!("/alerts") view=alerts::view::AlertsPage ssr=SsrMode::Async/>
                <Route path=path!("/alerts/channels") view=alerts::view::ChannelsPage ssr=SsrMode::Async/>
                <Route path=path!("/alerts/silences") view=alerts::view::SilencesPage ssr=SsrMode::Async/>
                <Route path=path!("/alerts/rules/new") view=alerts::view::AlertRuleEditPage ssr=SsrMode::Async/>
                <Route path=path!("/alerts/rules/:id") view=alerts::view::AlertRulePage ssr=SsrMode::Async/>
                <Route path=path!("/alerts/rules/:id/edit") view=alerts::view::AlertRuleEditPage ssr=SsrMode::Async/>
                <Route path=path!("/alerts/rules/:id/history") view=alerts::view::AlertRuleHistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/alerts/rules/:id/diff") view=alerts::view::AlertRuleDiffPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover") view=cutover::view::CutoverPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/plans/:id") view=cutover::view::CutoverPlanPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/plans/:id/edit") view=cutover::view::CutoverPlanEditPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/plans/:id/import") view=cutover::view::CutoverImportPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/plans/:id/history") view=cutover::view::CutoverHistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/plans/:id/diff") view=cutover::view::CutoverDiffPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/runs/:id") view=cutover::view::CutoverRunPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/runs/:id/status") view=cutover::view::CutoverStatusPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/runs/:id/report") view=cutover::report_view::CutoverReportPage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/runs/:id/compare") view=cutover::report_view::CutoverComparePage ssr=SsrMode::Async/>
                <Route path=path!("/cutover/plans/:id/tasks/:task") view=cutover::view::CutoverTaskPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users") view=users::view::UsersPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/tokens") view=tokens::view::TokensPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/environments") view=environments::view::EnvironmentsPage ssr=SsrMode::Async/>
                <Route path=path!("/maps") view=rulebook::view::MapsPage ssr=SsrMode::Async/>
                <Route path=path!("/search") view=search::view::SearchPage ssr=SsrMode::Async/>
                <Route path=path!("/errors") view=errors::view::ErrorsPage ssr=SsrMode::Async/>
                <Route path=path!("/trends") view=trends::view::TrendsPage ssr=SsrMode::Async/>
                <Route path=path!("/trends/:page") view=trends::view::TrendsPage ssr=SsrMode::Async/>
                <Route path=path!("/review") view=review::view::ReviewPage ssr=SsrMode::Async/>
                <Route path=path!("/collectors") view=collectors::view::CollectorsPage ssr=SsrMode::Async/>
                <Route path=path!("/errors/import") view=errors::view::ErrorsImportPage ssr=SsrMode::Async/>
                <Route path=path!("/errors/classifier") view=errors::view::ErrorsClassifierPage ssr=SsrMode::Async/>
                <Route path=path!("/errors/groups/:id") view=errors::view::ErrorGroupPage ssr=SsrMode::Async/>
                <Route path=path!("/maps/new") view=maps::view::MapEditPage ssr=SsrMode::Async/>
                <Route path=path!("/maps/import") view=rulebook::view::MapsImportPage ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id/import") view=rulebook::view::FieldsImportPage ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id") view=rulebook::view::MapPage ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id/edit") view=maps::view::MapEditPage ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id/history") view=maps::view::MapHistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id/reconcile") view=reconcile::view::ReconcilePage ssr=SsrMode::Async/>
                <Route path=path!("/maps/:id/diff") view=maps::view::MapDiffPage ssr=SsrMode::Async/>
                <Route path=path!("/fields/:id/edit") view=rules::view::FieldEditPage ssr=SsrMode::Async/>
                <Route path=path!("/fields/:id/history") view=rules::view::ObjectHistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/fields/:id/diff") view=rules::view::ObjectDiffPage ssr=SsrMode::Async/>
                <Route path=path!("/rules/:id/history") view=rules::view::ObjectHistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/rules/:id/diff") view=rules::view::ObjectDiffPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
