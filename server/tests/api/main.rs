//! HTTP tests against the real router, started on port 0 with a temporary
//! database. One binary for all of them (faster to link than one per file).

mod access;
mod alerts;
mod api_tokens;
mod auth;
mod cli;
mod collect;
mod cutover;
mod errors;
mod hardening;
mod helpers;
mod maps;
mod probe;
mod reconcile;
mod servers;
mod throughput;
mod transfer;
mod trends;
mod users;
