//! The channel store: `alert_channels`, the `alert_outbox` of
//! notifications to deliver, and `alert_deliveries`, every attempt. The
//! server's delivery task reads what is due and records each attempt here.

use super::Message;
use super::channels::{Channel, ChannelKind, Delivery, NewChannel, Timing, mask};
use crate::audit::server::{Actor, Event, record};
use crate::db::Conn;
use crate::error::{AppError, OnConstraint as _};

/// The prefix of a signing secret as people see it (Standard Webhooks).
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: 32 random bytes, shown as `whsec_<base64>`.
pub fn new_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!(
        "{SECRET_PREFIX}{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

const OBJECT: &str = "alert_channel";

/// Adds a channel; gives its id and, for a webhook, the signing secret
/// (shown once: it is not shown again).
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut dyn Conn,
    actor: &Actor,
    (name, kind, target): &NewChannel,
    now: i64,
) -> Result<(i64, Option<String>), AppError> {
    let secret = (*kind == ChannelKind::Webhook).then(new_secret);
    let id: i64 = crate::db::query_scalar(
        "insert into alert_channels (name, kind, target, secret, created_at, created_by)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(name)
    .bind(kind.as_str())
    .bind(target)
    .bind(&secret)
    .bind(now)
    .bind(&actor.label)
    .fetch_one(&mut *conn)
    .await
    .on_unique(|| {
        AppError::validation(
            "name",
            format!("There is already a channel named '{name}'."),
        )
    })?;
    record(
        conn,
        actor,
        Event {
            action: "alert_channel.create",
            object_type: OBJECT,
            object_id: Some(id.to_string()),
            summary: format!(
                "Added notification channel '{name}' ({})",
                mask(*kind, target)
            ),
            detail: None,
            environment: None,
        },
    )
    .await?;
    Ok((id, secret))
}

/// The channel named `name`, created or pointed at `target` (demo mode:
/// the simulator's receiver moves to a new port on every start); gives its
/// id.
pub async fn ensure(
    conn: &mut dyn Conn,
    actor: &Actor,
    (name, kind, target): &NewChannel,
    now: i64,
) -> Result<i64, AppError> {
    let id: Option<i64> = crate::db::query_scalar("select id from alert_channels where name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    match id {
        Some(id) => {
            crate::db::query("update alert_channels set kind = $1, target = $2 where id = $3")
                .bind(kind.as_str())
                .bind(target)
                .bind(id)
                .execute(conn)
                .await?;
            Ok(id)
        }
        None => Ok(
            create(conn, actor, &(name.clone(), *kind, target.clone()), now)
                .await?
                .0,
        ),
    }
}

type ChannelRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
    bool,
    i64,
);

fn to_channel(r: ChannelRow) -> Channel {
    let kind = ChannelKind::parse(&r.2).unwrap_or(ChannelKind::Webhook);
    Channel {
        id: r.0,
        name: r.1,
        kind,
        target: mask(kind, &r.3),
        disabled_reason: r.4,
        group_wait_secs: r.5,
        group_interval_secs: r.6,
        repeat_secs: r.7,
        send_resolved: r.8,
        pending: r.9,
    }
}

/// Every channel, by name, with how many notifications wait.
pub async fn list(conn: &mut dyn Conn) -> Result<Vec<Channel>, AppError> {
    let rows: Vec<ChannelRow> = crate::db::query_as(
        "select c.id, c.name, c.kind, c.target, c.disabled_reason, c.group_wait_secs, c.group_interval_secs,
                c.repeat_secs, c.send_resolved,
                (select count(*) from alert_outbox o where o.channel_id = c.id and o.done_at is null)
         from alert_channels c order by c.name",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(to_channel).collect())
}

/// Where and how to deliver to a channel: kind, full target, secret,
/// disabled reason.
pub async fn target(
    conn: &mut dyn Conn,
    id: i64,
) -> Result<(ChannelKind, String, Option<String>, Option<String>), AppError> {
    let row: Option<(String, String, Option<String>, Option<String>)> = crate::db::query_as(
        "select kind, target, secret, disabled_reason from alert_channels where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    let (kind, target, secret, disabled) =
        row.ok_or_else(|| AppError::not_found(format!("Notification channel {id}")))?;
    Ok((
        ChannelKind::parse(&kind).unwrap_or(ChannelKind::Webhook),
        target,
        secret,
        disabled,
    ))
}

/// Removes a channel with its outbox and delivery log. Rules that named it
/// stop notifying there.
#[tracing::instrument(skip_all, fields(channel.id = id))]
pub async fn delete(conn: &mut dyn Conn, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name: Option<String> =
        crate::db::query_scalar("select name from alert_channels where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let name = name.ok_or_else(|| AppError::not_found(format!("Notification channel {id}")))?;
    for sql in [
        "delete from alert_deliveries where channel_id = $1",
        "delete from alert_outbox where channel_id = $1",
        "delete from alert_channels where id = $1",
    ] {
        crate::db::query(sql).bind(id).execute(&mut *conn).await?;
    }
    record(
        conn,
        actor,
        Event {
            action: "alert_channel.delete",
            object_type: OBJECT,
            object_id: Some(id.to_string()),
            summary: format!("Removed notification channel '{name}'"),
            detail: None,
            environment: None,
        },
    )
    .await
}

/// Sets how a channel groups and repeats, audited; notifications already
/// waiting keep the time they were given.
pub async fn set_timing(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    t: &Timing,
) -> Result<(), AppError> {
    let name: Option<String> = crate::db::query_scalar(
        "update alert_channels set group_wait_secs = $1, group_interval_secs = $2, repeat_secs = $3,
                send_resolved = $4
         where id = $5 returning name",
    )
    .bind(t.group_wait_secs)
    .bind(t.group_interval_secs)
    .bind(t.repeat_secs)
    .bind(t.send_resolved)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let name = name.ok_or_else(|| AppError::not_found(format!("notification channel {id}")))?;
    record(
        conn,
        actor,
        Event {
            action: "alert_channel.timing",
            object_type: OBJECT,
            object_id: Some(id.to_string()),
            summary: format!(
                "Set notification channel '{name}' to wait {} s, then at most one notification per {} min, repeat after {} h, resolved alerts {}",
                t.group_wait_secs,
                t.group_interval_secs / 60,
                t.repeat_secs / 3600,
                if t.send_resolved { "notify" } else { "stay quiet" }
            ),
            detail: None,
            environment: None,
        },
    )
    .await
}

/// Turns a channel on again after it was disabled, audited; what waited
/// in its outbox is delivered.
pub async fn enable(conn: &mut dyn Conn, actor: &Actor, id: i64) -> Result<(), AppError> {
    crate::db::query("update alert_channels set disabled_reason = null where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    record(
        conn,
        actor,
        Event {
            action: "alert_channel.enable",
            object_type: OBJECT,
            object_id: Some(id.to_string()),
            summary: format!("Turned notification channel {id} on again"),
            detail: None,
            environment: None,
        },
    )
    .await
}

/// Queues `messages` for channel `id` under `group_key`, grouped: joined to
/// a notification of the same group still waiting; else due after the
/// group wait, or one group interval after the group's last one.
pub async fn enqueue(
    conn: &mut dyn Conn,
    channel: &Channel,
    group_key: &str,
    messages: &[Message],
    now: i64,
) -> Result<(), AppError> {
    let waiting: Option<(i64, String)> = crate::db::query_as(
        "select id, payload from alert_outbox
         where channel_id = $1 and group_key = $2 and done_at is null and attempts = 0
         order by id desc limit 1",
    )
    .bind(channel.id)
    .bind(group_key)
    .fetch_optional(&mut *conn)
    .await?;
    let bad = |e: serde_json::Error| {
        tracing::error!(error = %e, "unreadable outbox payload");
        AppError::Internal
    };
    if let Some((id, payload)) = waiting {
        let mut all: Vec<Message> = serde_json::from_str(&payload).map_err(bad)?;
        all.extend_from_slice(messages);
        crate::db::query("update alert_outbox set payload = $1 where id = $2")
            .bind(serde_json::to_string(&all).map_err(bad)?)
            .bind(id)
            .execute(conn)
            .await?;
        return Ok(());
    }
    let last: Option<i64> = crate::db::query_scalar(
        "select max(due_at) from alert_outbox where channel_id = $1 and group_key = $2",
    )
    .bind(channel.id)
    .bind(group_key)
    .fetch_one(&mut *conn)
    .await?;
    let due = match last {
        Some(l) if now - l < channel.group_interval_secs => l + channel.group_interval_secs,
        _ => now + channel.group_wait_secs,
    };
    enqueue_at(conn, channel.id, group_key, messages, now, due).await
}

/// Queues `messages` for channel `channel_id`, due at `due` (a test: now).
pub async fn enqueue_at(
    conn: &mut dyn Conn,
    channel_id: i64,
    group_key: &str,
    messages: &[Message],
    now: i64,
    due: i64,
) -> Result<(), AppError> {
    let payload = serde_json::to_string(messages).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise a notification");
        AppError::Internal
    })?;
    let done = crate::db::query(
        "insert into alert_outbox (channel_id, group_key, created_at, due_at, payload)
         select id, $1, $2, $3, $4 from alert_channels where id = $5",
    )
    .bind(group_key)
    .bind(now)
    .bind(due)
    .bind(payload)
    .bind(channel_id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!(
            "Notification channel {channel_id}"
        )));
    }
    Ok(())
}

/// A notification due for delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    /// The outbox row.
    pub id: i64,
    /// The channel.
    pub channel_id: i64,
    /// What it is (`rule:<id>`, `test`, `sweep:<id>`).
    pub group_key: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The messages, as JSON.
    pub payload: String,
}

/// Notifications due at `now` on channels that are on, oldest first.
pub async fn due(conn: &mut dyn Conn, now: i64, limit: i64) -> Result<Vec<Due>, AppError> {
    Ok(crate::db::query_as(
        "select o.id, o.channel_id, o.group_key, o.attempts, o.payload from alert_outbox o
         join alert_channels c on c.id = o.channel_id
         where o.done_at is null and o.due_at <= $1 and c.disabled_reason is null
         order by o.due_at, o.id limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// What to do with a notification after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Delivered.
    Sent,
    /// Try again at this time.
    RetryAt(i64),
    /// Stop trying this one, with why.
    GiveUp(String),
    /// Stop the channel, with why (the receiver is gone).
    Disable(String),
}

/// Records an attempt at notification `due` and what follows it.
pub async fn record_attempt(
    conn: &mut dyn Conn,
    due: &Due,
    at: i64,
    status: Option<u16>,
    detail: &str,
    after: &After,
) -> Result<(), AppError> {
    let outcome = match after {
        After::Sent => "sent",
        After::RetryAt(_) => "retry",
        After::GiveUp(_) => "gave_up",
        After::Disable(_) => "disabled",
    };
    let detail = match after {
        After::GiveUp(why) | After::Disable(why) => why.clone(),
        After::RetryAt(t) => format!("{detail}; next try at {}", crate::db::db_time_secs(*t)),
        After::Sent => detail.to_string(),
    };
    crate::db::query(
        "insert into alert_deliveries (outbox_id, channel_id, at, status, outcome, detail) values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(due.id)
    .bind(due.channel_id)
    .bind(at)
    .bind(status.map(i64::from))
    .bind(outcome)
    .bind(&detail)
    .execute(&mut *conn)
    .await?;
    let (done, next) = match after {
        After::RetryAt(t) => (None, *t),
        _ => (Some(at), at),
    };
    crate::db::query("update alert_outbox set attempts = attempts + 1, due_at = $1, done_at = $2, outcome = $3 where id = $4")
        .bind(next)
        .bind(done)
        .bind(done.map(|_| outcome))
        .bind(due.id)
        .execute(&mut *conn)
        .await?;
    if let After::Disable(why) = after {
        crate::db::query("update alert_channels set disabled_reason = $1 where id = $2")
            .bind(why)
            .bind(due.channel_id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The latest delivery attempts on every channel, newest first.
pub async fn deliveries(conn: &mut dyn Conn, limit: i64) -> Result<Vec<Delivery>, AppError> {
    let rows: Vec<(i64, String, String, Option<i64>, String, String)> = crate::db::query_as(
        "select d.at, c.name, o.group_key, d.status, d.outcome, d.detail from alert_deliveries d
         join alert_channels c on c.id = d.channel_id join alert_outbox o on o.id = d.outbox_id
         order by d.id desc limit $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, channel, what, status, outcome, detail)| Delivery {
            at,
            channel,
            what,
            status,
            outcome,
            detail,
        })
        .collect())
}

/// An environment's daily sweep setting, if it has one.
pub async fn sweep_setting(
    conn: &mut dyn Conn,
    environment_id: i64,
) -> Result<Option<super::channels::SweepSetting>, AppError> {
    let row: Option<(i64, i64, Option<String>)> = crate::db::query_as(
        "select minute_of_day, channel_id, last_day from alert_sweeps where environment_id = $1",
    )
    .bind(environment_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(
        |(minute_of_day, channel_id, last_day)| super::channels::SweepSetting {
            minute_of_day,
            channel_id,
            last_day,
        },
    ))
}

/// Sets (or, with `None`, turns off) an environment's daily sweep, audited.
pub async fn set_sweep(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &crate::environments::Environment,
    setting: Option<(i64, i64)>,
) -> Result<(), AppError> {
    let summary = match setting {
        Some((minute, channel)) => {
            let exists: Option<i64> =
                crate::db::query_scalar("select id from alert_channels where id = $1")
                    .bind(channel)
                    .fetch_optional(&mut *conn)
                    .await?;
            if exists.is_none() {
                return Err(AppError::validation(
                    "channel",
                    format!("There is no notification channel {channel}."),
                ));
            }
            crate::db::query(
                "insert into alert_sweeps (environment_id, minute_of_day, channel_id, updated_by) values ($1, $2, $3, $4)
                 on conflict (environment_id) do update set minute_of_day = excluded.minute_of_day,
                    channel_id = excluded.channel_id, updated_by = excluded.updated_by",
            )
            .bind(environment.id)
            .bind(minute)
            .bind(channel)
            .bind(&actor.label)
            .execute(&mut *conn)
            .await?;
            format!(
                "Daily error-queue sweep at {:02}:{:02} UTC to channel {channel}",
                minute / 60,
                minute % 60
            )
        }
        None => {
            crate::db::query("delete from alert_sweeps where environment_id = $1")
                .bind(environment.id)
                .execute(&mut *conn)
                .await?;
            "Turned the daily error-queue sweep off".to_string()
        }
    };
    record(
        conn,
        actor,
        Event {
            action: "alert_sweep.set",
            object_type: "environment",
            object_id: Some(environment.id.to_string()),
            summary,
            detail: None,
            environment: Some(environment.name.clone()),
        },
    )
    .await
}

/// The sweeps due at `now` (their minute has come today and they were not
/// sent today): (environment id, channel id), each marked sent for today.
pub async fn take_due_sweeps(conn: &mut dyn Conn, now: i64) -> Result<Vec<(i64, i64)>, AppError> {
    let today = crate::db::db_time_secs(now)[..10].to_string();
    let minute = now.rem_euclid(86_400) / 60;
    let due: Vec<(i64, i64)> = crate::db::query_as(
        "update alert_sweeps set last_day = $1
         where minute_of_day <= $2 and (last_day is null or last_day < $1)
         returning environment_id, channel_id",
    )
    .bind(&today)
    .bind(minute)
    .fetch_all(conn)
    .await?;
    Ok(due)
}

/// Queues a sweep for delivery now.
pub async fn enqueue_sweep(
    conn: &mut dyn Conn,
    channel_id: i64,
    environment_id: i64,
    sweep: &super::channels::SweepMessage,
    now: i64,
) -> Result<(), AppError> {
    let payload = serde_json::to_string(&[sweep]).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise a sweep");
        AppError::Internal
    })?;
    crate::db::query(
        "insert into alert_outbox (channel_id, group_key, created_at, due_at, payload) values ($1, $2, $3, $4, $5)",
    )
    .bind(channel_id)
    .bind(format!("sweep:{environment_id}"))
    .bind(now)
    .bind(now)
    .bind(payload)
    .execute(conn)
    .await?;
    Ok(())
}

/// Outbox rows by outcome, and attempts by outcome, for `/metrics`.
pub async fn counts(conn: &mut dyn Conn) -> Result<(Vec<(String, i64)>, i64), AppError> {
    let by: Vec<(String, i64)> = crate::db::query_as(
        "select outcome, count(*) from alert_deliveries group by outcome order by outcome",
    )
    .fetch_all(&mut *conn)
    .await?;
    let waiting: i64 =
        crate::db::query_scalar("select count(*) from alert_outbox where done_at is null")
            .fetch_one(conn)
            .await?;
    Ok((by, waiting))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(rule: &str) -> Message {
        Message {
            notice: super::super::state::Notice::Firing,
            rule: rule.into(),
            severity: super::super::Severity::Warning,
            environment: "UAT".into(),
            map: None,
            value: Some(12.0),
            unit: "entries".into(),
            condition: super::super::rule::starter_set()[0].condition(None),
            since: "2026-12-01T08:00:00Z".into(),
            runbook: String::new(),
            url: "http://127.0.0.1/alerts".into(),
        }
    }

    #[tokio::test]
    async fn a_channels_timing_changes_how_its_next_notifications_group() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let new = (
            "Ops".to_string(),
            ChannelKind::Email,
            "ops@example.com".to_string(),
        );
        let (id, _) = create(&mut conn, &Actor::cli(), &new, 1000).await.unwrap();
        let timing = Timing {
            group_wait_secs: 0,
            group_interval_secs: 60,
            repeat_secs: 3600,
            send_resolved: false,
        };
        set_timing(&mut conn, &Actor::cli(), id, &timing)
            .await
            .unwrap();
        let ch = list(&mut conn).await.unwrap().remove(0);
        assert_eq!(
            (
                ch.group_wait_secs,
                ch.group_interval_secs,
                ch.repeat_secs,
                ch.send_resolved
            ),
            (0, 60, 3600, false)
        );
        // No group wait: due at once.
        enqueue(&mut conn, &ch, "rule:1", &[message("a")], 1000)
            .await
            .unwrap();
        assert_eq!(due(&mut conn, 1000, 10).await.unwrap().len(), 1);
        let missing = set_timing(&mut conn, &Actor::cli(), id + 1, &timing).await;
        assert!(matches!(missing, Err(AppError::NotFound { .. })));
    }

    /// The migration that lets email in rebuilds `alert_channels`: the
    /// channels, their outbox rows and delivery log come through it whole,
    /// and the foreign keys hold afterwards.
    #[sqlx::test(migrations = false)]
    async fn channels_and_their_outbox_survive_the_rebuild_that_allows_email(
        pool: sqlx::SqlitePool,
    ) {
        let sqlite = pool.clone();
        let pool = crate::db::Pool::from(pool);
        let migrator = sqlx::migrate!("../migrations");
        migrator.run_to(20261201000018, &sqlite).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let new = (
            "Ops".to_string(),
            ChannelKind::Teams,
            "https://example.com/hook?sig=x".to_string(),
        );
        let (id, _) = create(&mut conn, &Actor::cli(), &new, 1000).await.unwrap();
        let ch = list(&mut conn).await.unwrap().remove(0);
        enqueue(&mut conn, &ch, "rule:1", &[message("a")], 1000)
            .await
            .unwrap();
        let d = due(&mut conn, 2000, 10).await.unwrap().remove(0);
        record_attempt(
            &mut conn,
            &d,
            2000,
            Some(503),
            "HTTP 503",
            &After::RetryAt(2100),
        )
        .await
        .unwrap();
        drop(conn);

        migrator.run(&sqlite).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(
            list(&mut conn).await.unwrap(),
            vec![Channel { pending: 1, ..ch }]
        );
        assert_eq!(target(&mut conn, id).await.unwrap().1, new.2);
        assert_eq!(
            deliveries(&mut conn, 10).await.unwrap()[0].status,
            Some(503)
        );
        let email = (
            "On call".to_string(),
            ChannelKind::Email,
            "oncall@example.com".to_string(),
        );
        let (_, secret) = create(&mut conn, &Actor::cli(), &email, 3000)
            .await
            .unwrap();
        assert_eq!(secret, None, "an email channel has no signing secret");
        let fk: i64 = crate::db::query_scalar("pragma foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let orphan = crate::db::query(
            "insert into alert_outbox (channel_id, group_key, created_at, due_at, payload)
             values (999, 'test', 0, 0, '[]')",
        )
        .execute(&mut *conn)
        .await;
        assert!(orphan.is_err(), "the outbox still refers to channels");
        let sms = crate::db::query(
            "insert into alert_channels (name, kind, target, created_at, created_by)
             values ('x', 'sms', '1', 0, 'cli')",
        )
        .execute(&mut *conn)
        .await;
        assert!(sms.is_err(), "the kind is still checked");
    }

    #[tokio::test]
    async fn notifications_group_then_wait_an_interval_and_attempts_are_kept() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let actor = Actor::cli();
        let new = (
            "Ops".to_string(),
            ChannelKind::Webhook,
            "http://127.0.0.1:9/hook".to_string(),
        );
        let (id, secret) = create(&mut conn, &actor, &new, 1000).await.unwrap();
        assert!(secret.unwrap().starts_with("whsec_"));
        let ch = list(&mut conn).await.unwrap().remove(0);
        assert_eq!(ch.target, "http://127.0.0.1:9/…");
        // Two alerts of one rule 10 s apart: one notification, due after
        // the 30 s group wait.
        enqueue(&mut conn, &ch, "rule:1", &[message("a")], 1000)
            .await
            .unwrap();
        enqueue(&mut conn, &ch, "rule:1", &[message("b")], 1010)
            .await
            .unwrap();
        assert!(due(&mut conn, 1029, 10).await.unwrap().is_empty());
        let d = due(&mut conn, 1030, 10).await.unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(
            serde_json::from_str::<Vec<Message>>(&d[0].payload)
                .unwrap()
                .len(),
            2
        );
        record_attempt(
            &mut conn,
            &d[0],
            1030,
            Some(503),
            "HTTP 503",
            &After::RetryAt(1035),
        )
        .await
        .unwrap();
        // A new alert of the same rule while the first is retried waits a
        // group interval after it.
        enqueue(&mut conn, &ch, "rule:1", &[message("c")], 1031)
            .await
            .unwrap();
        let d = due(&mut conn, 1035, 10).await.unwrap();
        assert_eq!(d.len(), 1, "only the retry is due");
        record_attempt(
            &mut conn,
            &d[0],
            1035,
            Some(410),
            "HTTP 410",
            &After::Disable("gone".into()),
        )
        .await
        .unwrap();
        assert!(
            due(&mut conn, 9999, 10).await.unwrap().is_empty(),
            "a disabled channel gets nothing"
        );
        assert_eq!(
            list(&mut conn).await.unwrap()[0].disabled_reason.as_deref(),
            Some("gone")
        );
        enable(&mut conn, &actor, id).await.unwrap();
        let d = due(&mut conn, 1035 + 300, 10).await.unwrap();
        assert_eq!(d.len(), 1);
        let log = deliveries(&mut conn, 10).await.unwrap();
        assert_eq!(
            log.iter().map(|d| d.outcome.as_str()).collect::<Vec<_>>(),
            ["disabled", "retry"]
        );
    }
}
