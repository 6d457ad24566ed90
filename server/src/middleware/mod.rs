//! HTTP middleware of the console, outermost first in the stack built by
//! [`crate::startup::build_router`]: security headers with a per-request CSP
//! nonce, the same-origin (CSRF) guard, session resolution with the
//! anonymous-access gate, and status codes for server-function errors.

pub mod access;
pub mod limits;
pub mod security;
pub mod server_fn_status;
