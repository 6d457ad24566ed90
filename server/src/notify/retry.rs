//! What a channel's outbox does after each delivery attempt: done, try
//! again later (on Standard Webhooks' suggested schedule, or later when the
//! receiver asks with `Retry-After`), give up, or disable the channel when
//! the receiver says the endpoint is gone (410). A mail relay's reply codes
//! follow SMTP's classes instead: 4xx waits and tries again, 5xx gives up.

/// Seconds to wait after the first, second, … failed attempt: Standard
/// Webhooks' schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h,
/// 24 h), about three days in all; after the last, the outbox gives up.
pub const SCHEDULE: [i64; 9] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered with this status, and maybe `Retry-After`
    /// seconds.
    Status(u16, Option<i64>),
    /// No answer within the timeout.
    Timeout,
    /// The connection failed (DNS, refused, TLS), with why.
    Network(String),
    /// A mail relay answered with this reply code and text.
    Smtp(u16, String),
    /// The notification cannot be sent as it is (an address that does not
    /// parse), with why: waiting does not help.
    Invalid(String),
}

/// What the outbox does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Delivered.
    Done,
    /// Try again at this time (Unix seconds).
    RetryAt(i64),
    /// Stop trying this message, with why (shown on the channel's page).
    GiveUp(String),
    /// Stop the channel, with why: it needs an admin.
    Disable(String),
}

/// The next step after attempt number `attempt` (1 for the first) ended
/// with `outcome` at `at` (Unix seconds).
pub fn next(attempt: usize, outcome: &Outcome, at: i64) -> Next {
    let retry = |after: Option<i64>| match SCHEDULE.get(attempt.saturating_sub(1)) {
        Some(wait) => Next::RetryAt(at + after.map_or(*wait, |a| a.clamp(*wait, 24 * 3600))),
        None => Next::GiveUp(format!(
            "{attempt} attempts over about three days failed; the last: {}",
            describe(outcome)
        )),
    };
    match outcome {
        Outcome::Status(200..=299, _) => Next::Done,
        Outcome::Status(410, _) => Next::Disable(
            "The receiver answered 410 Gone: the webhook no longer exists. Give the channel a new URL."
                .into(),
        ),
        Outcome::Status(408 | 429 | 500..=599, after) => retry(*after),
        Outcome::Timeout | Outcome::Network(_) => retry(None),
        // SMTP's classes: 2xx done, 4xx transient (a full mailbox, a
        // greylisting relay), 5xx permanent.
        Outcome::Smtp(200..=299, _) => Next::Done,
        Outcome::Smtp(400..=499, _) => retry(None),
        Outcome::Smtp(..) => Next::GiveUp(format!(
            "The mail server refused the message: {}.",
            describe(outcome)
        )),
        Outcome::Invalid(why) => Next::GiveUp(format!("The message cannot be sent: {why}.")),
        // Other refusals (400, 401, 403, 404, 413) do not go away by
        // waiting: the message or the channel needs a person.
        Outcome::Status(..) => Next::GiveUp(format!(
            "The receiver refused the message: {}.",
            describe(outcome)
        )),
    }
}

/// An attempt's outcome in words, for the channel's page.
pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Status(s, _) => format!("HTTP {s}"),
        Outcome::Timeout => "no answer in time".into(),
        Outcome::Network(why) => format!("could not connect ({why})"),
        Outcome::Smtp(code, text) if text.is_empty() => format!("SMTP {code}"),
        Outcome::Smtp(code, text) => format!("SMTP {code} {text}"),
        Outcome::Invalid(why) => why.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_retry_on_the_schedule_then_give_up() {
        let at = 1_000;
        assert_eq!(next(1, &Outcome::Status(204, None), at), Next::Done);
        assert_eq!(
            next(1, &Outcome::Status(503, None), at),
            Next::RetryAt(at + 5)
        );
        assert_eq!(next(2, &Outcome::Timeout, at), Next::RetryAt(at + 300));
        assert_eq!(
            next(9, &Outcome::Network("refused".into()), at),
            Next::RetryAt(at + 24 * 3600)
        );
        let Next::GiveUp(why) = next(10, &Outcome::Status(500, None), at) else {
            panic!("gives up after the schedule")
        };
        assert!(why.contains("HTTP 500"), "{why}");
        assert_eq!(SCHEDULE.iter().sum::<i64>(), 272_105, "about three days");
    }

    #[test]
    fn retry_after_is_honoured_but_never_sooner_than_the_schedule() {
        assert_eq!(
            next(1, &Outcome::Status(429, Some(60)), 0),
            Next::RetryAt(60)
        );
        assert_eq!(
            next(3, &Outcome::Status(429, Some(60)), 0),
            Next::RetryAt(1800)
        );
        assert_eq!(
            next(1, &Outcome::Status(429, Some(10 * 86_400)), 0),
            Next::RetryAt(86_400),
            "capped at a day"
        );
    }

    #[test]
    fn gone_disables_the_channel_and_other_refusals_give_up_at_once() {
        assert!(matches!(
            next(1, &Outcome::Status(410, None), 0),
            Next::Disable(_)
        ));
        for status in [400, 401, 403, 404, 413] {
            assert!(
                matches!(next(1, &Outcome::Status(status, None), 0), Next::GiveUp(_)),
                "{status}"
            );
        }
    }

    #[test]
    fn mail_replies_follow_smtp_classes() {
        assert_eq!(next(1, &Outcome::Smtp(250, "OK".into()), 0), Next::Done);
        assert_eq!(
            next(1, &Outcome::Smtp(451, "try again later".into()), 0),
            Next::RetryAt(5)
        );
        let Next::GiveUp(why) = next(1, &Outcome::Smtp(550, "no such user".into()), 0) else {
            panic!("a permanent refusal gives up")
        };
        assert_eq!(
            why,
            "The mail server refused the message: SMTP 550 no such user."
        );
        assert!(matches!(
            next(1, &Outcome::Invalid("bad address".into()), 0),
            Next::GiveUp(_)
        ));
    }
}
