//! Notification channels (a Teams Workflows webhook, a signed JSON
//! webhook) and the outbox that delivers to them at least once: grouped as
//! Alertmanager does (wait 30 s for more alerts of the same rule, then at
//! most one notification per 5 minutes; a still-firing alert again after 4
//! hours), retried with backoff, every attempt kept.

use serde::{Deserialize, Serialize};

/// What kind of receiver a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A Microsoft Teams Workflows webhook (Adaptive Card).
    Teams,
    /// A JSON webhook signed as Standard Webhooks says.
    Webhook,
}

str_enum!(ChannelKind {
    Teams => "teams", "Microsoft Teams (Workflows webhook)";
    Webhook => "webhook", "JSON webhook (signed)";
});

/// A channel as pages list it: its target shown only in part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ChannelKind,
    /// The target, masked: a URL's scheme and host only (its path and
    /// query hold the secret).
    pub target: String,
    /// Why it is disabled (410 Gone, or an admin), if it is.
    pub disabled_reason: Option<String>,
    /// Seconds the first notification of a group waits for more.
    pub group_wait_secs: i64,
    /// Seconds between two notifications of one group.
    pub group_interval_secs: i64,
    /// Seconds before a still-firing alert notifies again.
    pub repeat_secs: i64,
    /// Whether resolved alerts notify too.
    pub send_resolved: bool,
    /// Notifications waiting to be delivered.
    pub pending: i64,
}

/// One delivery attempt, as a channel's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// When (Unix seconds).
    pub at: i64,
    /// The channel's name.
    pub channel: String,
    /// What was sent: `rule:<id>`, `test`, `sweep:<environment id>`.
    pub what: String,
    /// The HTTP status, when there was an answer.
    pub status: Option<i64>,
    /// sent, retry, gave_up or disabled.
    pub outcome: String,
    /// More, in words.
    pub detail: String,
}

/// The channel form as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelForm {
    /// Name.
    pub name: String,
    /// Kind (stored name).
    pub kind: String,
    /// The webhook URL.
    pub target: String,
}

/// A checked channel: (name, kind, target).
pub type NewChannel = (String, ChannelKind, String);

/// Whether `url` may receive notifications: HTTPS, or plain HTTP to this
/// machine (the simulator's receiver, a local relay).
fn allowed_url(url: &str) -> bool {
    let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
    (url.starts_with("https://") && url.len() > "https://".len())
        || local
            .iter()
            .any(|p| url.starts_with(p) && url[p.len()..].starts_with([':', '/']))
}

impl ChannelForm {
    /// Checks the form; `Err` names the field and says what is wrong.
    pub fn validate(&self) -> Result<NewChannel, (&'static str, String)> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err((
                "name",
                "Give the channel a name of 1 to 80 characters.".into(),
            ));
        }
        let kind = ChannelKind::parse(self.kind.trim())
            .ok_or_else(|| crate::maps::not_a_choice("kind", &self.kind))?;
        let target = self.target.trim();
        if target.chars().any(char::is_whitespace) || !allowed_url(target) {
            return Err((
                "target",
                "Give the webhook's https:// URL (plain http only to 127.0.0.1 or localhost)."
                    .into(),
            ));
        }
        Ok((name.to_string(), kind, target.to_string()))
    }
}

/// A target as pages show it: a URL's scheme and host with the rest
/// hidden (a Workflows URL carries its signature in the query).
pub fn mask(_kind: ChannelKind, target: &str) -> String {
    let (scheme, rest) = target.split_once("://").unwrap_or(("", target));
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{host}/…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_and_urls_never_shown_whole() {
        let form = |kind: &str, target: &str| ChannelForm {
            name: "Ops".into(),
            kind: kind.into(),
            target: target.into(),
        };
        let url = "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=SECRET";
        assert!(form("teams", url).validate().is_ok());
        assert!(
            form("webhook", "http://127.0.0.1:3200/hook")
                .validate()
                .is_ok()
        );
        assert_eq!(
            form("webhook", "http://example.com/hook")
                .validate()
                .unwrap_err()
                .0,
            "target"
        );
        assert_eq!(
            form("webhook", "http://localhost.evil.com/x")
                .validate()
                .unwrap_err()
                .0,
            "target"
        );
        assert_eq!(form("sms", "x").validate().unwrap_err().0, "kind");
        let shown = mask(ChannelKind::Teams, url);
        assert_eq!(shown, "https://prod-12.westeurope.logic.azure.com:443/…");
        assert!(!shown.contains("SECRET"));
    }
}
