//! What alert notifications look like on the wire: a Microsoft Teams
//! Workflows message with an Adaptive Card, a generic JSON webhook
//! signed as Standard Webhooks v1 says, and an email. Pure builders, checked by tests
//! against the shapes the receivers require, and the outbox's retry
//! decisions; and the delivery task that sends what the outbox holds.

pub mod deliver;
pub mod email;
pub mod retry;
pub mod teams;
pub mod webhook;
