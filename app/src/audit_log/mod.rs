//! The audit log page: everything anyone changed, filtered and paged, for
//! every signed-in role. The entries and their store are `audit`'s.

pub mod api;
pub mod view;
