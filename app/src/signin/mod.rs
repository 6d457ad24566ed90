//! Signing in and out and the first-run admin setup: the pages and their
//! server functions, which record each sign-in, failure and sign-out in
//! the audit log. Who the caller is and what a role may do are `auth`'s.

pub mod api;
pub mod view;
