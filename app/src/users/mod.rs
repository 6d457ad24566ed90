//! User administration: list, add, change roles, deactivate and reactivate.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

/// A user as the admin page lists them (the type lives with the `users`
/// table, in `auth`).
pub use crate::auth::UserSummary;
