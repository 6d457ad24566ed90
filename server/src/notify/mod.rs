//! What alert notifications look like on the wire: a Microsoft Teams
//! Workflows message with an Adaptive Card, and a generic JSON webhook
//! signed as Standard Webhooks v1 says. Pure builders, checked by tests
//! against the shapes the receivers require; sending, retries and the
//! outbox come with the channels.

pub mod teams;
pub mod webhook;
