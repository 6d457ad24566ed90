//! The delivery task: every few seconds, sends the notifications that are
//! due in the outbox (Teams cards, signed webhooks, email), records each attempt
//! with the receiver's answer, and follows the retry schedule. A message
//! keeps its `webhook-id` across retries, so a receiver can drop repeats.
//! The full target URL holds a secret: it is never logged.

use super::email::{Mail, Mailer};
use super::retry::{self, Outcome};
use app::alerts::Message;
use app::alerts::channels::{ChannelKind, SweepMessage};
use app::alerts::outbox::{After, Due};
use app::db::Pool;
use app::error::AppError;
use std::time::Duration;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Delivers what is due every 5 seconds, until dropped; email goes out
/// through `mailer` (none configured: email notifications wait and retry,
/// and say why on the channel's page).
pub async fn run(pool: Pool, mailer: Option<Mailer>) {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the HTTP client for notifications; none will be delivered");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = chrono::Utc::now().timestamp();
        if let Err(e) = deliver_due(&pool, &client, mailer.as_ref(), now).await {
            tracing::warn!(error = %e, "could not deliver notifications; will try again in 5 s");
        }
    }
}

/// The HTTP client notifications go out with.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("dwconsole/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Sends every notification due at `now`; gives how many were attempted.
pub async fn deliver_due(
    pool: &Pool,
    client: &reqwest::Client,
    mailer: Option<&Mailer>,
    now: i64,
) -> Result<usize, AppError> {
    let due = {
        let mut conn = pool.acquire().await?;
        app::alerts::outbox::due(&mut conn, now, 50).await?
    };
    for d in &due {
        let (kind, target, secret, _) = {
            let mut conn = pool.acquire().await?;
            app::alerts::outbox::target(&mut conn, d.channel_id).await?
        };
        let body = request_body(kind, d, now);
        let (outcome, after) = match body {
            Ok(body) => {
                let outcome = match body {
                    Body::Json(body) => {
                        send(client, kind, &target, secret.as_deref(), d, body, now).await
                    }
                    Body::Mail(mail) => match mailer {
                        Some(m) => m.send(&target, &mail).await,
                        None => Outcome::Network(
                            "no SMTP relay is configured (the settings smtp-host and smtp-from)"
                                .into(),
                        ),
                    },
                };
                let after = match retry::next(d.attempts as usize + 1, &outcome, now) {
                    retry::Next::Done => After::Sent,
                    retry::Next::RetryAt(t) => After::RetryAt(t),
                    retry::Next::GiveUp(why) => After::GiveUp(why),
                    retry::Next::Disable(why) => After::Disable(why),
                };
                (outcome, after)
            }
            Err(e) => {
                tracing::error!(outbox.id = d.id, error = %e, "unreadable notification in the outbox");
                let why = format!("The stored notification could not be read ({e}).");
                (Outcome::Network(why.clone()), After::GiveUp(why))
            }
        };
        let status = match outcome {
            Outcome::Status(s, _) | Outcome::Smtp(s, _) => Some(s),
            _ => None,
        };
        tracing::info!(
            outbox.id = d.id,
            channel.id = d.channel_id,
            attempt = d.attempts + 1,
            status,
            outcome = ?after,
            "notification delivery attempt"
        );
        let mut tx = app::db::begin_write(pool).await?;
        app::alerts::outbox::record_attempt(
            &mut tx,
            d,
            now,
            status,
            &retry::describe(&outcome),
            &after,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(due.len())
}

/// What goes out for one notification.
enum Body {
    /// A JSON request body (Teams, webhook).
    Json(serde_json::Value),
    /// An email.
    Mail(Mail),
}

/// The body for a notification on a channel of `kind`: alerts, or a
/// daily sweep (its group key says which).
fn request_body(kind: ChannelKind, d: &Due, now: i64) -> serde_json::Result<Body> {
    if d.group_key.starts_with("sweep:") {
        let sweeps: Vec<SweepMessage> = serde_json::from_str(&d.payload)?;
        let Some(sweep) = sweeps.first() else {
            return Err(serde::de::Error::custom("an empty sweep"));
        };
        return Ok(match kind {
            ChannelKind::Teams => Body::Json(super::teams::sweep_body(sweep)),
            ChannelKind::Webhook => Body::Json(serde_json::json!({
                "type": "error_queue.sweep",
                "timestamp": chrono::DateTime::from_timestamp(now, 0).map(|t| t.to_rfc3339()),
                "data": sweep,
            })),
            ChannelKind::Email => Body::Mail(super::email::sweep_mail(sweep)),
        });
    }
    let messages: Vec<Message> = serde_json::from_str(&d.payload)?;
    Ok(match kind {
        ChannelKind::Teams => Body::Json(super::teams::body_many(&messages)),
        ChannelKind::Webhook => Body::Json(super::webhook::payload(&d.group_key, now, &messages)),
        ChannelKind::Email => Body::Mail(super::email::alerts_mail(&messages)),
    })
}

/// One attempt: the request for the channel's kind, and how it ended.
async fn send(
    client: &reqwest::Client,
    kind: ChannelKind,
    target: &str,
    secret: Option<&str>,
    d: &Due,
    body: serde_json::Value,
    now: i64,
) -> Outcome {
    let bytes = body.to_string();
    let headers = match kind {
        ChannelKind::Teams | ChannelKind::Email => vec![],
        ChannelKind::Webhook => {
            let key = match secret.map(super::webhook::secret_key) {
                Some(Ok(k)) => k,
                _ => return Outcome::Network("the channel has no valid signing secret".into()),
            };
            let id = format!("msg_dwc_{}", d.id);
            super::webhook::headers(&key, &id, now, bytes.as_bytes()).to_vec()
        }
    };
    let mut req = client
        .post(target)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(bytes);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    match req.send().await {
        Ok(resp) => {
            let after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok());
            Outcome::Status(resp.status().as_u16(), after)
        }
        Err(e) if e.is_timeout() => Outcome::Timeout,
        // Without the URL: it holds the channel's secret.
        Err(e) => Outcome::Network(describe_error(e)),
    }
}

/// A transport error in words, without the URL.
fn describe_error(e: reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or unreachable".into()
    } else {
        let mut text = e.without_url().to_string();
        text.truncate(200);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::alerts::channels::ChannelKind;
    use app::audit::server::Actor;
    use axum::http::{HeaderMap, StatusCode};
    use base64::Engine as _;
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<(HeaderMap, String)>>>;

    /// A receiver at /hook that answers 503 once, then 200, keeping what
    /// it got; and /gone, which answers 410.
    async fn receiver() -> (String, Seen) {
        let seen: Seen = Arc::default();
        let kept = seen.clone();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(move |headers: HeaderMap, body: String| {
                    let kept = kept.clone();
                    async move {
                        let mut k = kept.lock().unwrap();
                        k.push((headers, body));
                        if k.len() == 1 {
                            StatusCode::SERVICE_UNAVAILABLE
                        } else {
                            StatusCode::OK
                        }
                    }
                }),
            )
            .route("/gone", axum::routing::post(|| async { StatusCode::GONE }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), seen)
    }

    fn message() -> Message {
        crate::notify::teams::tests::message(app::alerts::state::Notice::Firing)
    }

    #[tokio::test]
    async fn teams_cards_and_signed_webhooks_are_delivered_retried_and_a_gone_receiver_disables_its_channel()
     {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::connect(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap();
        crate::db::migrate(&pool).await.unwrap();
        let (url, seen) = receiver().await;
        let (sim, sim_addr, _task) = crate::simulator::serve(
            "127.0.0.1:0".parse().unwrap(),
            crate::simulator::SimConfig::default(),
        )
        .await
        .unwrap();
        let now = 1_780_000_000;
        let mut conn = pool.acquire().await.unwrap();
        let actor = Actor::cli();
        let mut ids = vec![];
        let mut secret = None;
        for (name, kind, target) in [
            ("Hook", ChannelKind::Webhook, format!("{url}/hook")),
            (
                "Teams",
                ChannelKind::Teams,
                format!("http://{sim_addr}/teams/webhook"),
            ),
            ("Gone", ChannelKind::Webhook, format!("{url}/gone")),
        ] {
            let (id, s) =
                app::alerts::outbox::create(&mut conn, &actor, &(name.into(), kind, target), now)
                    .await
                    .unwrap();
            if name == "Hook" {
                secret = s;
            }
            app::alerts::outbox::enqueue_at(&mut conn, id, "rule:1", &[message()], now, now)
                .await
                .unwrap();
            ids.push(id);
        }
        drop(conn);
        let client = client().unwrap();
        assert_eq!(deliver_due(&pool, &client, None, now).await.unwrap(), 3);
        // The Teams receiver took the card; the webhook answered 503 and
        // is due again in 5 s; the gone one disabled its channel.
        assert_eq!(sim.received().len(), 1);
        assert_eq!(
            crate::notify::teams::check_envelope(&sim.received()[0]),
            Ok(1)
        );
        let mut conn = pool.acquire().await.unwrap();
        let channels = app::alerts::outbox::list(&mut conn).await.unwrap();
        let gone = channels.iter().find(|c| c.name == "Gone").unwrap();
        assert!(gone.disabled_reason.as_deref().unwrap().contains("410"));
        assert_eq!(
            channels.iter().find(|c| c.name == "Hook").unwrap().pending,
            1
        );
        drop(conn);
        assert_eq!(deliver_due(&pool, &client, None, now + 4).await.unwrap(), 0);
        assert_eq!(deliver_due(&pool, &client, None, now + 5).await.unwrap(), 1);
        // Both attempts carried the same id; the signature is the spec's
        // HMAC over id.timestamp.body with the secret shown at creation.
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        let header = |h: &HeaderMap, k: &str| h.get(k).unwrap().to_str().unwrap().to_string();
        assert_eq!(
            header(&seen[0].0, "webhook-id"),
            header(&seen[1].0, "webhook-id")
        );
        let (headers, body) = &seen[1];
        let key = crate::notify::webhook::secret_key(&secret.unwrap()).unwrap();
        let signed = format!(
            "{}.{}.{body}",
            header(headers, "webhook-id"),
            header(headers, "webhook-timestamp")
        );
        let expected = base64::engine::general_purpose::STANDARD
            .encode(crate::notify::webhook::hmac_sha256(&key, signed.as_bytes()));
        assert_eq!(
            header(headers, "webhook-signature"),
            format!("v1,{expected}")
        );
        let payload: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["type"], "alert.notification");
        assert_eq!(
            payload["data"]["alerts"][0]["rule"],
            "More than 10 errors per hour"
        );
        let mut conn = pool.acquire().await.unwrap();
        let log = app::alerts::outbox::deliveries(&mut conn, 10)
            .await
            .unwrap();
        let outcomes: Vec<_> = log
            .iter()
            .map(|d| (d.channel.as_str(), d.outcome.as_str()))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("Hook", "sent"),
                ("Gone", "disabled"),
                ("Teams", "sent"),
                ("Hook", "retry")
            ]
        );
    }

    #[tokio::test]
    async fn email_reaches_a_local_smtp_sink_in_two_parts_and_refusals_follow_smtp_classes() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::connect(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap();
        let mailbox = Arc::<crate::simulator::mailbox::Mailbox>::default();
        let (addr, _task) =
            crate::simulator::mailbox::serve(mailbox.clone(), "127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
        let mailer = Mailer::new(&crate::config::SmtpSettings {
            host: addr.ip().to_string(),
            port: addr.port(),
            tls: crate::config::SmtpTls::None,
            credentials: None,
            from: "Dual-write Console <dwconsole@example.com>".into(),
        })
        .unwrap();
        let now = 1_780_000_000;
        let mut conn = pool.acquire().await.unwrap();
        for (name, to) in [
            ("Team", "oncall@example.com, lead@example.com"),
            ("Busy", "busy@example.com"),
            ("Nobody", "nobody@example.com"),
        ] {
            let new = (name.into(), ChannelKind::Email, to.into());
            let (id, secret) = app::alerts::outbox::create(&mut conn, &Actor::cli(), &new, now)
                .await
                .unwrap();
            assert_eq!(secret, None);
            app::alerts::outbox::enqueue_at(&mut conn, id, "rule:1", &[message()], now, now)
                .await
                .unwrap();
        }
        drop(conn);
        let client = client().unwrap();
        // Without a relay nothing is lost: every email waits and retries.
        assert_eq!(deliver_due(&pool, &client, None, now).await.unwrap(), 3);
        assert!(mailbox.received().is_empty());
        assert_eq!(
            deliver_due(&pool, &client, Some(&mailer), now + 5)
                .await
                .unwrap(),
            3
        );
        let got = mailbox.received();
        assert_eq!(got.len(), 1, "one message for the team's two addresses");
        let mail = &got[0];
        assert_eq!(mail.from, "dwconsole@example.com");
        assert_eq!(mail.to, ["oncall@example.com", "lead@example.com"]);
        // The subject's middle dots travel as RFC 2047 encoded words.
        assert_eq!(
            mail.subject,
            "Firing: More than 10 errors per hour =?utf-8?b?wrc=?= UAT =?utf-8?b?wrc=?= Customers V3"
        );
        for part in [
            "Content-Type: multipart/alternative",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Type: text/html; charset=utf-8",
            "To: oncall@example.com, lead@example.com",
            "dwconsole@example.com",
        ] {
            assert!(mail.data.contains(part), "{part} in:\n{}", mail.data);
        }
        let mut conn = pool.acquire().await.unwrap();
        let log = app::alerts::outbox::deliveries(&mut conn, 10)
            .await
            .unwrap();
        let mut latest: Vec<_> = log
            .iter()
            .take(3)
            .map(|d| (d.channel.as_str(), d.status, d.outcome.as_str()))
            .collect();
        latest.sort();
        assert_eq!(
            latest,
            [
                ("Busy", Some(451), "retry"),
                ("Nobody", Some(550), "gave_up"),
                ("Team", Some(250), "sent"),
            ]
        );
        assert!(
            log[3..]
                .iter()
                .all(|d| d.outcome == "retry" && d.detail.contains("no SMTP relay")),
            "{log:?}"
        );
    }
}
