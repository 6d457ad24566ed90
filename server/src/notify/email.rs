//! Alert notifications by email: the message (a subject, plain text and
//! HTML as `multipart/alternative`, so every mail client shows one of
//! them) and sending it through the SMTP relay the settings name. Every
//! piece of text that came from a person (rule and map names, the runbook
//! note) is escaped in the HTML part, and nothing of it reaches a header
//! unfiltered.

use super::retry::Outcome;
use crate::config::{SmtpSettings, SmtpTls};
use app::alerts::Message;
use app::alerts::channels::SweepMessage;
use app::alerts::state::Notice;
use app::components::escape_html as esc;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How long the relay has for each step of a conversation.
const TIMEOUT: Duration = Duration::from_secs(15);

/// An email's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The subject, on one line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (a whole document).
    pub html: String,
}

/// The colour a notice's heading takes: red while firing, amber for no
/// data, green once resolved (the Teams card's colours).
fn colour(n: Notice) -> &'static str {
    match n {
        Notice::Firing | Notice::Error => "#a4262c",
        Notice::NoData => "#8a6100",
        Notice::Resolved => "#107c10",
    }
}

/// A message's facts, in the order the Teams card gives them.
fn facts(m: &Message) -> Vec<(&'static str, String)> {
    let mut f = vec![("Environment", m.environment.clone())];
    if let Some(map) = &m.map {
        f.push(("Map", map.clone()));
    }
    f.extend([
        ("Value", m.value_line()),
        ("Since", m.since.clone()),
        ("Severity", m.severity.as_str().to_string()),
    ]);
    f
}

/// One line, whatever it was given: a header must not carry a line break.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The subject for alerts grouped into one notification: the one alert's
/// title, or how many of each notice, then the rule and environment
/// (a group is always one rule's alerts).
fn subject(ms: &[Message]) -> String {
    let line = match ms {
        [] => "No alerts".to_string(),
        [m] => m.title(),
        [first, ..] => {
            let counts: Vec<String> = Notice::ALL
                .iter()
                .filter_map(|n| {
                    let k = ms.iter().filter(|m| m.notice == *n).count();
                    (k > 0).then(|| format!("{} {k}", n.label()))
                })
                .collect();
            format!(
                "{} alerts ({}): {} · {}",
                ms.len(),
                counts.join(", "),
                first.rule,
                first.environment
            )
        }
    };
    one_line(&line)
}

/// The page around an HTML body, with the footer every notification has.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:'Segoe UI',Arial,sans-serif;color:#1b1b1b;line-height:1.45;max-width:42em\">\n{body}\
         <p style=\"color:#5c5c5c;font-size:12px;margin-top:2em\">Sent by Dual-write Console.</p>\n</body></html>\n",
        esc(title)
    )
}

/// A table of facts as HTML.
fn facts_html(rows: &[(&str, String)]) -> String {
    let mut html = String::from("<table style=\"border-collapse:collapse\">\n");
    for (k, v) in rows {
        html.push_str(&format!(
            "<tr><th style=\"text-align:left;padding:2px 12px 2px 0;vertical-align:top\">{}</th><td style=\"padding:2px 0\">{}</td></tr>\n",
            esc(k),
            esc(v)
        ));
    }
    html.push_str("</table>\n");
    html
}

/// A link as a button-like anchor.
fn link_html(url: &str, label: &str) -> String {
    format!(
        "<p><a href=\"{}\" style=\"color:#0f6cbd\">{}</a></p>\n",
        esc(url),
        esc(label)
    )
}

/// The email for the alerts of one notification.
pub fn alerts_mail(ms: &[Message]) -> Mail {
    let mut text = String::new();
    let mut html = String::new();
    for (i, m) in ms.iter().enumerate() {
        if i > 0 {
            text.push_str("\n----\n\n");
            html.push_str("<hr style=\"border:0;border-top:1px solid #d1d1d1\">\n");
        }
        let rows = facts(m);
        text.push_str(&m.title());
        text.push_str("\n\n");
        for (k, v) in &rows {
            text.push_str(&format!("{k:<12} {v}\n"));
        }
        html.push_str(&format!(
            "<h2 style=\"color:{};font-size:18px;margin:0 0 8px\">{}</h2>\n",
            colour(m.notice),
            esc(&m.title())
        ));
        html.push_str(&facts_html(&rows));
        // A resolved alert needs nothing done.
        if !m.runbook.trim().is_empty() && m.notice != Notice::Resolved {
            text.push_str("\nWhat to do:\n");
            text.push_str(m.runbook.trim());
            text.push('\n');
            html.push_str(&format!(
                "<h3 style=\"font-size:15px;margin:12px 0 4px\">What to do</h3>\n<p style=\"white-space:pre-wrap;margin:0\">{}</p>\n",
                esc(m.runbook.trim())
            ));
        }
        text.push_str(&format!("\nOpen in the console: {}\n", m.url));
        html.push_str(&link_html(&m.url, "Open in the console"));
    }
    let subject = subject(ms);
    Mail {
        html: document(&subject, &html),
        subject,
        text,
    }
}

/// The email for the daily sweep of an error queue.
pub fn sweep_mail(s: &SweepMessage) -> Mail {
    let rows = [
        ("Entries", s.entries.to_string()),
        ("Open groups", s.open_line()),
        ("Top categories", SweepMessage::top_line(&s.top_categories)),
        ("Top maps", SweepMessage::top_line(&s.top_maps)),
        ("Since", s.since.clone()),
    ];
    let mut text = format!("{}\n\n", s.title());
    for (k, v) in &rows {
        text.push_str(&format!("{k:<15} {v}\n"));
    }
    let mut html = format!(
        "<h2 style=\"font-size:18px;margin:0 0 8px\">{}</h2>\n{}",
        esc(&s.title()),
        facts_html(&rows)
    );
    if !s.new_groups.is_empty() {
        text.push_str("\nNew groups:\n");
        html.push_str("<h3 style=\"font-size:15px;margin:12px 0 4px\">New groups</h3>\n<ul>\n");
        for (category, pattern, n) in &s.new_groups {
            text.push_str(&format!("  {n} × {category}: {pattern}\n"));
            html.push_str(&format!(
                "<li>{n} × {}: <code>{}</code></li>\n",
                esc(category),
                esc(pattern)
            ));
        }
        html.push_str("</ul>\n");
    }
    text.push_str(&format!("\nOpen the error queue: {}\n", s.url));
    html.push_str(&link_html(&s.url, "Open the error queue"));
    let subject = one_line(&s.title());
    Mail {
        html: document(&subject, &html),
        subject,
        text,
    }
}

/// Sends email through the configured relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// A mailer for the relay `s`; fails when the sender does not parse or
    /// TLS cannot be set up for the host.
    pub fn new(s: &SmtpSettings) -> anyhow::Result<Self> {
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("setting smtp_from (--smtp-from, APP_SMTP_FROM): {e}"))?;
        let builder = match s.tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)?,
            // Only to a relay on this machine (the settings check it).
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        };
        let mut builder = builder.port(s.port).timeout(Some(TIMEOUT));
        if let Some((user, password)) = &s.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `mail` to `to` (addresses with commas between); the outcome
    /// carries the relay's reply code, which decides what happens next.
    pub async fn send(&self, to: &str, mail: &Mail) -> Outcome {
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .subject(one_line(&mail.subject))
            .user_agent(concat!("dwconsole/", env!("CARGO_PKG_VERSION")).to_string());
        for address in to.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            match address.parse::<Mailbox>() {
                Ok(m) => builder = builder.to(m),
                Err(e) => return Outcome::Invalid(format!("'{address}' is not an address: {e}")),
            }
        }
        let message = match builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        )) {
            Ok(m) => m,
            Err(e) => return Outcome::Invalid(format!("the email could not be built: {e}")),
        };
        match self.transport.send(message).await {
            Ok(reply) => Outcome::Smtp(
                reply.code().to_string().parse().unwrap_or(250),
                reply.message().next().unwrap_or_default().to_string(),
            ),
            Err(e) => match e.status() {
                Some(code) => {
                    Outcome::Smtp(code.to_string().parse().unwrap_or(554), first_line(&e))
                }
                None if e.is_timeout() => Outcome::Timeout,
                None => Outcome::Network(first_line(&e)),
            },
        }
    }
}

/// An error's text on one line, at most 200 characters.
fn first_line(e: &lettre::transport::smtp::Error) -> String {
    let mut text = one_line(&e.to_string());
    if let Some((cut, _)) = text.char_indices().nth(200) {
        text.truncate(cut);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::teams::tests::message;

    #[test]
    fn an_alert_mail_has_a_subject_both_parts_and_escapes_what_people_wrote() {
        let mut m = message(Notice::Firing);
        m.rule = "Errors <b>spike</b> & \"more\"".into();
        m.runbook = "Check <script>alert(1)</script>\nthen restart the map.".into();
        m.url = "http://console.example/alerts?a=1&b=\"x\"".into();
        let mail = alerts_mail(std::slice::from_ref(&m));
        assert_eq!(mail.subject, m.title());
        assert!(mail.text.contains("Map          Customers V3"));
        assert!(mail.text.contains("What to do:\nCheck <script>"));
        assert!(
            mail.text
                .contains("Open in the console: http://console.example/alerts?a=1")
        );
        assert!(!mail.html.contains("<script>") && !mail.html.contains("<b>spike"));
        assert!(
            mail.html
                .contains("Errors &lt;b&gt;spike&lt;/b&gt; &amp; &quot;more&quot;")
        );
        assert!(
            mail.html
                .contains("href=\"http://console.example/alerts?a=1&amp;b=&quot;x&quot;\"")
        );
        assert!(mail.html.contains("#a4262c"), "firing is red");
        // Resolved: green, and no runbook.
        let resolved = alerts_mail(&[message(Notice::Resolved)]);
        assert!(resolved.html.contains("#107c10"));
        assert!(!resolved.text.contains("What to do"));
    }

    #[test]
    fn a_grouped_mail_counts_its_notices_and_a_subject_stays_on_one_line() {
        let mut a = message(Notice::Firing);
        a.rule = "Errors\r\nBcc: someone@example.com".into();
        let b = Message {
            map: Some("Vendors V2".into()),
            ..a.clone()
        };
        let c = Message {
            notice: Notice::Resolved,
            ..a.clone()
        };
        let mail = alerts_mail(&[a, b, c]);
        assert_eq!(
            mail.subject,
            "3 alerts (Firing 2, Resolved 1): Errors  Bcc: someone@example.com · UAT"
        );
        assert_eq!(mail.text.matches("\n----\n").count(), 2);
        assert_eq!(mail.html.matches("<h2").count(), 3);
    }

    #[test]
    fn the_sweep_mail_lists_new_groups_and_links_the_queue() {
        let s = SweepMessage {
            environment: "UAT".into(),
            since: "2026-11-30T07:00:00Z".into(),
            entries: 42,
            new_groups: vec![("Lookup".into(), "Field <x> not found".into(), 7)],
            top_categories: vec![("Lookup".into(), 30)],
            top_maps: vec![("Customers V3".into(), 40)],
            open_now: 5,
            open_before: 3,
            url: "http://console.example/errors?env=UAT".into(),
        };
        let mail = sweep_mail(&s);
        assert_eq!(mail.subject, s.title());
        assert!(mail.text.contains("7 × Lookup: Field <x> not found"));
        assert!(mail.html.contains("<code>Field &lt;x&gt; not found</code>"));
        assert!(mail.text.contains("2 more than the day before"));
        assert!(mail.html.contains("Open the error queue"));
    }
}
