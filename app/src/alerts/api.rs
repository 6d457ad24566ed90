//! Server functions for alerts. Anyone signed in reads rules, alerts and
//! previews; editors and admins write rules and acknowledge alerts. Every
//! rule change is a revision and an audit entry; each write redirects, so
//! the forms work without JavaScript.

use super::rule::RuleForm;
use super::{AlertRule, AlertsPage, Editor, RuleDiff, RulePage};
use crate::error::AppError;
use crate::revisions::Revision;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    //! Helpers shared by the alert server functions.
    use crate::auth::Role;
    use crate::auth::server::caller;

    /// Whether the caller may edit rules.
    pub fn can_edit() -> bool {
        caller().is_some_and(|u| u.role.allows(Role::Editor))
    }

    /// Now, in Unix seconds.
    pub fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }
}

/// The alerts of one environment (`env` by name; the first when absent):
/// what is not Normal, most urgent first, and every rule.
#[server(prefix = "/sfn", endpoint = "list_alerts")]
pub async fn list_alerts(env: Option<String>) -> Result<AlertsPage, AppError> {
    use super::RuleLine;
    use super::state::State;
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let Some(environment) = crate::environments::pick(&all, env.as_deref()).cloned() else {
        return Ok(AlertsPage {
            environment: None,
            can_edit: ssr::can_edit(),
            active: vec![],
            rules: vec![],
            deleted: vec![],
            channels: vec![],
            sweep: None,
        });
    };
    let rules = super::server::list(&mut conn, environment.id, false).await?;
    let deleted = super::server::list(&mut conn, environment.id, true)
        .await?
        .into_iter()
        .map(|r| (r.id, r.content.name))
        .collect();
    let ids: Vec<i64> = rules.iter().map(|r| r.id).collect();
    let instances = super::server::instances(&mut conn, &ids).await?;
    let names = crate::maps::server::names_by_id(&mut conn, environment.id).await?;
    // The rules and instances just read: no second read for the alerts.
    let active = super::active_of(&rules, &instances);
    let mut lines = vec![];
    for r in &rules {
        let mut states: Vec<(State, usize)> = vec![];
        for i in instances.iter().filter(|i| i.rule_id == r.id) {
            match states.iter_mut().find(|(s, _)| *s == i.instance.state) {
                Some((_, n)) => *n += 1,
                None => states.push((i.instance.state, 1)),
            }
        }
        let map = r.content.map_id.and_then(|m| names.get(&m).cloned());
        let scope = r.content.facts(map.as_deref())[3].1.clone();
        lines.push(RuleLine {
            id: r.id,
            name: r.content.name.clone(),
            watches: format!("{} · {scope}", r.content.watch.label()),
            fires: r.content.test_words(),
            severity: r.content.severity,
            enabled: r.content.enabled,
            states,
            evaluated_at: r.evaluated_at,
        });
    }
    let channels = super::outbox::list(&mut conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let sweep = super::outbox::sweep_setting(&mut conn, environment.id).await?;
    Ok(AlertsPage {
        environment: Some(environment.name),
        can_edit: ssr::can_edit(),
        active,
        rules: lines,
        deleted,
        channels,
        sweep,
    })
}

/// One rule with its instances, its last 7 days as a chart (of `series`,
/// else the most urgent instance's) and its recent changes of state.
#[server(prefix = "/sfn", endpoint = "alert_rule_page")]
pub async fn alert_rule_page(rule_id: i64, series: Option<String>) -> Result<RulePage, AppError> {
    use super::series::{Key, Run};
    use super::state::State;
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let rule = super::server::get(&mut conn, rule_id).await?;
    let maps = crate::maps::server::names(&mut conn, rule.environment_id).await?;
    let map = rule
        .content
        .map_id
        .and_then(|m| maps.iter().find(|(id, _)| *id == m).map(|(_, n)| n.clone()));
    let facts = rule
        .content
        .facts(map.as_deref())
        .into_iter()
        .filter(|(l, _, text)| !*text && *l != "Name")
        .map(|(l, v, _)| (l.to_string(), v))
        .collect();
    let instances = super::server::instances(&mut conn, &[rule_id]).await?;
    let now = ssr::now();
    let from = now - 7 * 86_400;
    let history = super::server::history(&mut conn, rule_id, from - 86_400 * 30, 500).await?;
    // The series drawn: the one asked for, else the most urgent.
    let chosen = series
        .filter(|s| instances.iter().any(|i| i.series == *s))
        .or_else(|| {
            instances
                .iter()
                .min_by_key(|i| {
                    (
                        i.instance.state == State::Normal,
                        i.instance.value.map(|v| -(v as i64)),
                    )
                })
                .map(|i| i.series.clone())
        })
        .unwrap_or_default();
    let mut chart = None;
    if !rule.deleted {
        let gathered = super::evaluate::gather(
            &mut conn,
            rule.environment_id,
            &rule.content,
            &maps,
            (super::evaluate::data_from(&rule.content, from), now),
        )
        .await?;
        let key = gathered
            .keys()
            .find(|k| k.name == chosen)
            .cloned()
            .unwrap_or_else(Key::whole);
        if let Some(series) = gathered.get(&key) {
            let times = super::series::times(from, now, rule.content.interval_secs);
            let run = super::evaluate::run_instance(&rule.content, series, &times, None, now, None);
            let name = if key.name.is_empty() {
                "The environment".to_string()
            } else {
                key.name.clone()
            };
            let mut c = super::chart::of_run(&rule.content, &name, &run, (from, now), "alert-rule");
            // The shaded periods are what really happened, from the stored
            // history, not the replay's.
            let stored = Run {
                changes: history
                    .iter()
                    .rev()
                    .filter(|h| h.series == key.name)
                    .map(|h| (h.at, h.state))
                    .collect(),
                ..Run::default()
            };
            c.shades = super::chart::shades_of(
                &stored.periods(&[State::Pending]),
                "Pending",
                super::chart::PENDING,
                now,
            );
            c.shades.extend(super::chart::shades_of(
                &stored.periods(&[State::Firing, State::Recovering]),
                "Firing",
                super::chart::FIRING,
                now,
            ));
            c.caption
                .push_str(" Shaded: when it was really pending and firing.");
            chart = Some(c);
        }
    }
    let runbook_html = crate::markdown::render(&rule.content.runbook);
    let mut history = history;
    history.truncate(100);
    Ok(RulePage {
        rule,
        facts,
        runbook_html,
        instances,
        series: chosen,
        chart,
        history,
        can_edit: ssr::can_edit(),
    })
}

/// Reads the rule editor: a new rule in `env`, or rule `rule_id`. With a
/// `draft` (the form as typed) and `preview_days`, also what the draft
/// would have done over that many days.
#[server(prefix = "/sfn", endpoint = "alert_rule_editor")]
pub async fn alert_rule_editor(
    env: Option<String>,
    rule_id: Option<i64>,
    draft: Option<RuleForm>,
    preview_days: Option<i64>,
) -> Result<Editor, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let (environment, rule) = match rule_id {
        Some(id) => {
            let r = super::server::get(&mut conn, id).await?;
            let env = crate::environments::server::by_name(&mut conn, &r.environment).await?;
            (env, Some(r))
        }
        None => {
            let all = crate::environments::server::list(&mut conn).await?;
            let env = crate::environments::pick(&all, env.as_deref())
                .cloned()
                .ok_or_else(|| AppError::not_found("An environment (an admin adds them first)"))?;
            (env, None)
        }
    };
    let maps = crate::maps::server::names(&mut conn, environment.id).await?;
    let channels: Vec<(i64, String)> = super::outbox::list(&mut conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let channel_ids: Vec<i64> = channels.iter().map(|c| c.0).collect();
    let form = match (&draft, &rule) {
        (Some(d), _) => d.clone(),
        (None, Some(r)) => RuleForm::from(&r.content),
        (None, None) => {
            let mut f = RuleForm::from(&super::rule::starter_set()[0]);
            f.name.clear();
            f
        }
    };
    let preview = match (draft, preview_days) {
        (Some(d), Some(days)) => Some(match d.validate(&maps, &channel_ids) {
            Err((field, message)) => Err((field.to_string(), message)),
            Ok(content) => {
                Ok(
                    super::evaluate::preview(&mut conn, environment.id, &content, days, ssr::now())
                        .await?,
                )
            }
        }),
        _ => None,
    };
    Ok(Editor {
        environment: environment.name,
        maps,
        channels,
        rule: rule.map(|r| (r.id, r.revision, r.content.name)),
        form,
        preview,
    })
}

/// Creates a rule in `env` (no `rule_id`) or saves the next revision of one
/// (with the `expected_revision` the form was opened at).
#[server(prefix = "/sfn", endpoint = "save_alert_rule")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn save_alert_rule(
    env: String,
    rule_id: Option<i64>,
    expected_revision: Option<i64>,
    form: RuleForm,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "edit alert rules")?;
    let actor = Actor::user(&user, client_ip());
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let environment = match rule_id {
        Some(id) => {
            let r = super::server::get(&mut tx, id).await?;
            crate::environments::server::by_name(&mut tx, &r.environment).await?
        }
        None => crate::environments::server::by_name(&mut tx, &env).await?,
    };
    let maps = crate::maps::server::names(&mut tx, environment.id).await?;
    let channels: Vec<i64> = super::outbox::list(&mut tx)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let content = form
        .validate(&maps, &channels)
        .map_err(|(field, message)| AppError::validation(field, message))?;
    let id = match rule_id {
        None => super::server::create(&mut tx, &actor, &environment, &content, &comment).await?,
        Some(id) => {
            let expected = expected_revision.ok_or_else(|| {
                AppError::validation(
                    "expected_revision",
                    "The form is missing the revision it was opened at; reload it.",
                )
            })?;
            super::server::update(&mut tx, &actor, id, expected, &content, &comment).await?;
            id
        }
    };
    tx.commit().await?;
    leptos_axum::redirect(&format!("/alerts/rules/{id}"));
    Ok(())
}

/// Deletes a rule (a revision; restorable from its history). Its alerts
/// end without notifying.
#[server(prefix = "/sfn", endpoint = "delete_alert_rule")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn delete_alert_rule(rule_id: i64, comment: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "delete alert rules")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::server::delete(&mut tx, &Actor::user(&user, client_ip()), rule_id, &comment).await?;
    let env = super::server::get(&mut tx, rule_id).await?.environment;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/alerts?env={}",
        crate::components::percent_encode(&env, b"")
    ));
    Ok(())
}

/// Makes an old revision of a rule current again, as a new revision.
#[server(prefix = "/sfn", endpoint = "restore_alert_rule")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn restore_alert_rule(rule_id: i64, revision: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "restore alert rules")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::server::restore(&mut tx, &Actor::user(&user, client_ip()), rule_id, revision).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/alerts/rules/{rule_id}"));
    Ok(())
}

/// Every revision of a rule, newest first, and whether the caller may
/// restore one.
#[server(prefix = "/sfn", endpoint = "alert_rule_revisions")]
pub async fn alert_rule_revisions(
    rule_id: i64,
) -> Result<(AlertRule, Vec<Revision>, bool), AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let rule = super::server::get(&mut conn, rule_id).await?;
    let revisions = super::server::revisions(&mut conn, rule_id).await?;
    Ok((rule, revisions, ssr::can_edit()))
}

/// The changes between two revisions of a rule (in either order).
#[server(prefix = "/sfn", endpoint = "alert_rule_diff")]
pub async fn alert_rule_diff(rule_id: i64, from: i64, to: i64) -> Result<RuleDiff, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let (from, to) = (from.min(to), from.max(to));
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let rule = super::server::get(&mut conn, rule_id).await?;
    let names = crate::maps::server::names_by_id(&mut conn, rule.environment_id).await?;
    let before = super::server::revision_content(&mut conn, rule_id, from).await?;
    let after = super::server::revision_content(&mut conn, rule_id, to).await?;
    let map = |c: &super::rule::RuleContent| c.map_id.and_then(|m| names.get(&m).cloned());
    let rows = before
        .facts(map(&before).as_deref())
        .into_iter()
        .zip(after.facts(map(&after).as_deref()))
        .map(|((label, b, text), (_, a, _))| (label, b, a, text));
    Ok(RuleDiff {
        rule,
        from,
        to,
        changes: crate::maps::diff::changed(rows),
    })
}

/// Adds the runbook's starter rules that an environment does not have.
#[server(prefix = "/sfn", endpoint = "apply_alert_starter")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn apply_alert_starter(env: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "add alert rules")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let environment = crate::environments::server::by_name(&mut tx, &env).await?;
    super::server::apply_starter(&mut tx, &Actor::user(&user, client_ip()), &environment).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/alerts?env={}",
        crate::components::percent_encode(&environment.name, b"")
    ));
    Ok(())
}

/// Acknowledges an alert: it stops repeating until it resolves.
#[server(prefix = "/sfn", endpoint = "acknowledge_alert")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn acknowledge_alert(
    rule_id: i64,
    series: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "acknowledge alerts")?;
    if comment.trim().is_empty() {
        return Err(AppError::validation(
            "comment",
            "Say who is on it or what is being done, so the team knows.",
        ));
    }
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let actor = Actor::user(&user, client_ip());
    super::server::acknowledge(&mut tx, &actor, rule_id, &series, &comment, ssr::now()).await?;
    let env = super::server::get(&mut tx, rule_id).await?.environment;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/alerts?env={}",
        crate::components::percent_encode(&env, b"")
    ));
    Ok(())
}

/// The channels page: every channel, and the latest delivery attempts.
#[server(prefix = "/sfn", endpoint = "list_channels")]
pub async fn list_channels() -> Result<super::ChannelsPage, AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    require_role(Role::Admin, "manage notification channels")?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    Ok(super::ChannelsPage {
        email_relay: email_relay().0,
        channels: super::outbox::list(&mut conn).await?,
        deliveries: super::outbox::deliveries(&mut conn, 50).await?,
        new_secret: take_handed_over(NEW_SECRET_COOKIE, "/alerts/channels"),
    })
}

/// Where email goes out, as the server configured it.
#[cfg(feature = "ssr")]
fn email_relay() -> super::channels::EmailRelay {
    use_context::<super::channels::EmailRelay>().unwrap_or_default()
}

/// Cookie that carries a new webhook's signing secret to the channels page
/// once, for browsers without JavaScript.
#[cfg(feature = "ssr")]
const NEW_SECRET_COOKIE: &str = "dwc_new_webhook_secret";

/// Adds a channel (admins); for a webhook, gives the signing secret, shown
/// once.
#[server(prefix = "/sfn", endpoint = "create_channel")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn create_channel(
    form: super::channels::ChannelForm,
) -> Result<Option<String>, AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "add notification channels")?;
    let new = form
        .validate()
        .map_err(|(f, m)| AppError::validation(f, m))?;
    if new.1 == super::channels::ChannelKind::Email && email_relay().0.is_none() {
        return Err(AppError::validation(
            "kind",
            "Email needs an SMTP relay, and none is configured: set smtp-host and smtp-from (see the README's settings), then restart.",
        ));
    }
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let (_, secret) =
        super::outbox::create(&mut tx, &Actor::user(&admin, client_ip()), &new, ssr::now()).await?;
    tx.commit().await?;
    if let Some(s) = &secret {
        hand_over_once(NEW_SECRET_COOKIE, "/alerts/channels", s);
    }
    leptos_axum::redirect("/alerts/channels");
    Ok(secret)
}

/// Removes a channel (admins).
#[server(prefix = "/sfn", endpoint = "delete_channel")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn delete_channel(channel_id: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "remove notification channels")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::outbox::delete(&mut tx, &Actor::user(&admin, client_ip()), channel_id).await?;
    tx.commit().await?;
    leptos_axum::redirect("/alerts/channels");
    Ok(())
}

/// Turns a disabled channel on again (admins).
#[server(prefix = "/sfn", endpoint = "enable_channel")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn enable_channel(channel_id: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "turn notification channels on")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::outbox::enable(&mut tx, &Actor::user(&admin, client_ip()), channel_id).await?;
    tx.commit().await?;
    leptos_axum::redirect("/alerts/channels");
    Ok(())
}

/// Sets how a channel groups and repeats (admins).
#[server(prefix = "/sfn", endpoint = "set_channel_timing")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_channel_timing(
    channel_id: i64,
    form: super::channels::TimingForm,
) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "change notification channels")?;
    let timing = form
        .validate()
        .map_err(|(f, m)| AppError::validation(f, m))?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::outbox::set_timing(
        &mut tx,
        &Actor::user(&admin, client_ip()),
        channel_id,
        &timing,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/alerts/channels");
    Ok(())
}

/// Queues a test notification on a channel, due now (admins): the next
/// delivery round, within seconds, sends it and logs the answer.
#[server(prefix = "/sfn", endpoint = "test_channel")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn test_channel(channel_id: i64) -> Result<(), AppError> {
    use super::state::Notice;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "test notification channels")?;
    let base = use_context::<super::BaseUrl>()
        .map(|b| b.0)
        .unwrap_or_default();
    let now = ssr::now();
    let message = super::Message {
        notice: Notice::Firing,
        rule: "Test notification".into(),
        severity: super::Severity::Info,
        environment: format!("sent by {}", admin.email),
        map: None,
        value: None,
        unit: String::new(),
        condition: super::rule::starter_set()[0].condition(None),
        since: db_time_secs(now),
        runbook:
            "Nothing to do: this checks that the channel receives the console's notifications."
                .into(),
        url: format!("{}/alerts/channels", base.trim_end_matches('/')),
    };
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::outbox::enqueue_at(
        &mut tx,
        channel_id,
        &format!("test:{now}"),
        &[message],
        now,
        now,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/alerts/channels");
    Ok(())
}

/// The silences page: live silences and maintenance windows, the latest
/// ended ones, and what the form offers for `env`.
#[server(prefix = "/sfn", endpoint = "list_silences")]
pub async fn list_silences(env: Option<String>) -> Result<super::SilencesPage, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let now = ssr::now();
    let all = crate::environments::server::list(&mut conn).await?;
    let environment = crate::environments::pick(&all, env.as_deref()).cloned();
    let (maps, rules) = match &environment {
        Some(e) => (
            crate::maps::server::names(&mut conn, e.id)
                .await?
                .into_iter()
                .map(|(_, n)| n)
                .collect(),
            super::server::list(&mut conn, e.id, false)
                .await?
                .into_iter()
                .map(|r| r.content.name)
                .collect(),
        ),
        None => (vec![], vec![]),
    };
    let show = |s: super::silence::Silence| super::SilenceLine {
        active_now: s.is_active(now),
        describe: s.describe(),
        silence: s,
    };
    Ok(super::SilencesPage {
        environment: environment.map(|e| e.name),
        live: super::server::live_silences(&mut conn, now)
            .await?
            .into_iter()
            .map(show)
            .collect(),
        ended: super::server::ended_silences(&mut conn, now, 20)
            .await?
            .into_iter()
            .map(show)
            .collect(),
        maps,
        rules,
        can_edit: ssr::can_edit(),
        now,
    })
}

/// Adds a silence or a weekly maintenance window (editors and admins).
#[server(prefix = "/sfn", endpoint = "create_silence")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn create_silence(form: super::silence::SilenceForm) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "add silences")?;
    let now = ssr::now();
    let silence = form
        .validate(&user.email, now)
        .map_err(|(f, m)| AppError::validation(f, m))?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let id =
        super::server::create_silence(&mut tx, &Actor::user(&user, client_ip()), &silence, now)
            .await?;
    tx.commit().await?;
    // The page says what was added, found by id among the live silences.
    leptos_axum::redirect(&format!(
        "/alerts/silences?env={}&added={id}",
        crate::components::percent_encode(&form.environment, b"")
    ));
    Ok(())
}

/// Ends a silence now (editors and admins).
#[server(prefix = "/sfn", endpoint = "expire_silence")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn expire_silence(silence_id: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "end silences")?;
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    super::server::expire_silence(
        &mut tx,
        &Actor::user(&user, client_ip()),
        silence_id,
        ssr::now(),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/alerts/silences");
    Ok(())
}

/// Sets when (`time`, `HH:MM` UTC) and where (`channel`, an id) an
/// environment's daily error-queue sweep is posted; an empty channel turns
/// it off (editors and admins).
#[server(prefix = "/sfn", endpoint = "set_sweep")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_sweep(env: String, time: String, channel: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let user = require_role(Role::Editor, "set the daily sweep")?;
    let channel_id = match channel.trim() {
        "" => None,
        c => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::validation("channel", format!("'{c}' is not a channel.")))?,
        ),
    };
    let setting = match channel_id {
        Some(c) => Some((
            super::channels::parse_sweep_time(&time)
                .map_err(|(f, m)| AppError::validation(f, m))?,
            c,
        )),
        None => None,
    };
    let pool = db()?;
    let mut tx = begin_write(&pool).await?;
    let environment = crate::environments::server::by_name(&mut tx, &env).await?;
    super::outbox::set_sweep(
        &mut tx,
        &Actor::user(&user, client_ip()),
        &environment,
        setting,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!(
        "/alerts?env={}",
        crate::components::percent_encode(&env, b"")
    ));
    Ok(())
}
