//! Notification channels (a Teams Workflows webhook, a signed JSON
//! webhook, email through the configured SMTP relay) and the outbox that delivers to them at least once: grouped as
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
    /// Email to one or more addresses, through the SMTP relay the
    /// settings name.
    Email,
}

str_enum!(ChannelKind {
    Teams => "teams", "Microsoft Teams (Workflows webhook)";
    Webhook => "webhook", "JSON webhook (signed)";
    Email => "email", "Email";
});

/// Where email goes out, in words ("smtp.example.com:587, STARTTLS"), or
/// `None` when no SMTP relay is configured and email channels cannot be
/// added. The server provides it as context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailRelay(pub Option<String>);

/// Most recipients one email channel may have.
pub const MAX_RECIPIENTS: usize = 20;

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
    /// query hold the secret); an email channel's addresses.
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
    /// The receiver's status when there was an answer: HTTP's, or the
    /// mail server's reply code.
    pub status: Option<i64>,
    /// `sent`, `retry`, `gave_up` or `disabled`.
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
    /// The webhook URL, or the email addresses (commas between).
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

/// Whether `a` reads as one email address: a local part and a domain of
/// dot-separated labels, no spaces, quotes or brackets. Deliberately
/// plain: the relay has the last word, and its answer is logged.
fn email_address(a: &str) -> bool {
    let Some((local, domain)) = a.rsplit_once('@') else {
        return false;
    };
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[]\\,;:\"@".contains(c))
    };
    a.len() <= 254
        && local.len() <= 64
        && plain(local)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// An email channel's recipients, checked: commas or semicolons between,
/// each one address, 1 to [`MAX_RECIPIENTS`], no repeats. Gives them
/// joined by ", ".
pub fn recipients(v: &str) -> Result<String, (&'static str, String)> {
    let mut list: Vec<&str> = Vec::new();
    for a in v.split([',', ';']).map(str::trim).filter(|a| !a.is_empty()) {
        if !email_address(a) {
            return Err((
                "target",
                format!("'{a}' is not an email address like oncall@example.com."),
            ));
        }
        if !list.iter().any(|b| b.eq_ignore_ascii_case(a)) {
            list.push(a);
        }
    }
    match list.len() {
        0 => Err((
            "target",
            "Give one or more email addresses, with commas between.".into(),
        )),
        n if n > MAX_RECIPIENTS => Err((
            "target",
            format!(
                "{n} addresses is too many for one channel; at most {MAX_RECIPIENTS} (use a distribution list)."
            ),
        )),
        _ => Ok(list.join(", ")),
    }
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
        if kind == ChannelKind::Email {
            return Ok((name.to_string(), kind, recipients(target)?));
        }
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

/// How a channel groups and repeats, as its timing form posts it:
/// Alertmanager's three intervals in the units people set them in, and
/// whether resolved alerts notify too.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimingForm {
    /// Seconds the first notification of a group waits for more (0–600).
    pub group_wait: String,
    /// Minutes between two notifications of one group (1–1440).
    pub group_interval: String,
    /// Hours before a still-firing alert notifies again (1–168).
    pub repeat: String,
    /// Present when resolved alerts notify.
    #[serde(default)]
    pub send_resolved: Option<String>,
}

/// A channel's timing, checked, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Group wait.
    pub group_wait_secs: i64,
    /// Group interval.
    pub group_interval_secs: i64,
    /// Repeat interval.
    pub repeat_secs: i64,
    /// Whether resolved alerts notify.
    pub send_resolved: bool,
}

impl TimingForm {
    /// Checks the form; `Err` names the field and says what is wrong.
    pub fn validate(&self) -> Result<Timing, (&'static str, String)> {
        let whole =
            |field: &'static str, v: &str, range: std::ops::RangeInclusive<i64>, unit: &str| {
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| {
                        (
                            field,
                            format!(
                                "Give the {} in whole {unit}, from {} to {}; '{}' is not.",
                                field.replace('_', " "),
                                range.start(),
                                range.end(),
                                v.trim()
                            ),
                        )
                    })
            };
        Ok(Timing {
            group_wait_secs: whole("group_wait", &self.group_wait, 0..=600, "seconds")?,
            group_interval_secs: whole(
                "group_interval",
                &self.group_interval,
                1..=1440,
                "minutes",
            )? * 60,
            repeat_secs: whole("repeat", &self.repeat, 1..=168, "hours")? * 3600,
            send_resolved: self.send_resolved.is_some(),
        })
    }
}

/// A target as pages show it: a URL's scheme and host with the rest
/// hidden (a Workflows URL carries its signature in the query); email
/// addresses as they are (they hold no secret, and admins need to see
/// who is told).
pub fn mask(kind: ChannelKind, target: &str) -> String {
    if kind == ChannelKind::Email {
        return target.to_string();
    }
    let (scheme, rest) = target.split_once("://").unwrap_or(("", target));
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{host}/…")
}

/// The daily sweep of an environment's error queue, as channels render
/// it: the last 24 hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepMessage {
    /// The environment.
    pub environment: String,
    /// Start of the 24 hours (RFC 3339, UTC).
    pub since: String,
    /// Entries received.
    pub entries: i64,
    /// Groups first seen: (category label, pattern, entries), the largest
    /// first, at most 10.
    pub new_groups: Vec<(String, String, i64)>,
    /// Entries per category label, most first.
    pub top_categories: Vec<(String, i64)>,
    /// Maps with the most entries.
    pub top_maps: Vec<(String, i64)>,
    /// Groups open now.
    pub open_now: i64,
    /// Groups open 24 hours before.
    pub open_before: i64,
    /// The error queue in the console, absolute.
    pub url: String,
}

impl SweepMessage {
    /// One line: "Error queue, last 24 h · UAT: 42 entries, 3 new groups".
    pub fn title(&self) -> String {
        format!(
            "Error queue, last 24 h · {}: {} entries, {} new groups",
            self.environment,
            self.entries,
            self.new_groups.len()
        )
    }

    /// The first five of a top list in one line ("Lookup: 30 · Other: 2"),
    /// or "none".
    pub fn top_line(rows: &[(String, i64)]) -> String {
        if rows.is_empty() {
            return "none".into();
        }
        rows.iter()
            .take(5)
            .map(|(n, c)| format!("{n}: {c}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Open groups against the day before, in words.
    pub fn open_line(&self) -> String {
        let d = self.open_now - self.open_before;
        let change = match d {
            0 => "the same as the day before".to_string(),
            d if d > 0 => format!("{d} more than the day before"),
            d => format!("{} fewer than the day before", -d),
        };
        format!(
            "{} open groups, {change} ({})",
            self.open_now, self.open_before
        )
    }
}

/// When and where an environment's daily sweep goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSetting {
    /// Minutes after midnight UTC.
    pub minute_of_day: i64,
    /// The channel.
    pub channel_id: i64,
    /// The day it was last sent (YYYY-MM-DD), if ever.
    pub last_day: Option<String>,
}

/// Parses a sweep time `HH:MM` (UTC) into minutes after midnight.
pub fn parse_sweep_time(v: &str) -> Result<i64, (&'static str, String)> {
    let (h, m) = v
        .trim()
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<i64>().ok()?, m.parse::<i64>().ok()?)))
        .filter(|(h, m)| (0..24).contains(h) && (0..60).contains(m))
        .ok_or((
            "time",
            format!("Give the time like 07:30 (UTC); '{}' is not.", v.trim()),
        ))?;
    Ok(h * 60 + m)
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
        assert_eq!(parse_sweep_time("07:30"), Ok(450));
        assert_eq!(parse_sweep_time("24:00").unwrap_err().0, "time");
        let shown = mask(ChannelKind::Teams, url);
        assert_eq!(shown, "https://prod-12.westeurope.logic.azure.com:443/…");
        assert!(!shown.contains("SECRET"));
    }

    #[test]
    fn a_channels_timing_is_read_in_its_units_and_bounded() {
        let form = |w: &str, i: &str, r: &str| TimingForm {
            group_wait: w.into(),
            group_interval: i.into(),
            repeat: r.into(),
            send_resolved: None,
        };
        assert_eq!(
            form("30", " 5 ", "4").validate(),
            Ok(Timing {
                group_wait_secs: 30,
                group_interval_secs: 300,
                repeat_secs: 4 * 3600,
                send_resolved: false,
            })
        );
        let (field, why) = form("601", "5", "4").validate().unwrap_err();
        assert_eq!(field, "group_wait");
        assert_eq!(
            why,
            "Give the group wait in whole seconds, from 0 to 600; '601' is not."
        );
        assert_eq!(
            form("0", "0", "4").validate().unwrap_err().0,
            "group_interval"
        );
        assert_eq!(form("0", "1", "1.5").validate().unwrap_err().0, "repeat");
    }

    #[test]
    fn an_email_channel_takes_a_list_of_addresses_and_names_a_bad_one() {
        let form = |target: &str| ChannelForm {
            name: "On call".into(),
            kind: "email".into(),
            target: target.into(),
        };
        assert_eq!(
            form(" oncall@example.com; Ops.Team@example.co.uk ,oncall@EXAMPLE.com ")
                .validate()
                .unwrap()
                .2,
            "oncall@example.com, Ops.Team@example.co.uk"
        );
        for bad in [
            "oncall",
            "oncall@",
            "@example.com",
            "on call@example.com",
            "oncall@example..com",
            "oncall@-example.com",
            "a..b@example.com",
            "<oncall@example.com>",
            "oncall@example.com\r\nBcc: x@y.z",
        ] {
            let (field, why) = form(bad).validate().unwrap_err();
            assert_eq!(field, "target", "{bad}");
            assert!(why.contains("not an email address"), "{bad}: {why}");
        }
        assert!(
            form(" , ")
                .validate()
                .unwrap_err()
                .1
                .contains("one or more")
        );
        let many = (0..21)
            .map(|i| format!("p{i}@example.com"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(form(&many).validate().unwrap_err().1.contains("at most 20"));
        assert_eq!(
            mask(ChannelKind::Email, "oncall@example.com"),
            "oncall@example.com"
        );
    }
}
