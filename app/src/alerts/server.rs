//! The alert store: rules (current state in `alert_rules`, every change a
//! revision and an audit entry), each series' instance in
//! `alert_instances`, and the changes of state in `alert_history`.

use super::rule::{RuleContent, starter_set};
use super::silence::{Active, Silence};
use super::state::{Instance, Notice, State};
use super::{AlertRule, HistoryRow, InstanceRow};
use crate::audit::server::{Actor, Event, record};
use crate::db::db_now;
use crate::db::{Conn, Pool};
use crate::environments::Environment;
use crate::error::{AppError, OnConstraint as _};
use crate::revisions::Revision;

/// Object type of alert rules in the revision store and the audit log.
pub const OBJECT: &str = "alert_rule";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    environment_id: i64,
    definition: String,
    revision: i64,
    deleted: bool,
    updated_at: String,
    evaluated_at: Option<i64>,
}

fn unreadable(id: i64, e: impl std::fmt::Display) -> AppError {
    tracing::error!(rule.id = id, error = %e, "unreadable alert rule definition");
    AppError::Internal
}

/// A stored row as a rule, its environment already named (one lookup per
/// list, not one per rule).
fn to_rule(r: Row, environment: String) -> Result<AlertRule, AppError> {
    let content = serde_json::from_str(&r.definition).map_err(|e| unreadable(r.id, e))?;
    Ok(AlertRule {
        id: r.id,
        environment_id: r.environment_id,
        environment,
        content,
        revision: r.revision,
        deleted: r.deleted,
        updated_at: r.updated_at,
        evaluated_at: r.evaluated_at,
    })
}

/// The rules of an environment (live, or the deleted ones), by name; a
/// name deleted more than once lists the newest first.
#[tracing::instrument(skip_all, fields(environment.id = environment_id, deleted))]
pub async fn list(
    conn: &mut dyn Conn,
    environment_id: i64,
    deleted: bool,
) -> Result<Vec<AlertRule>, AppError> {
    let rows: Vec<Row> = crate::db::query_as(
        "select id, environment_id, definition, revision, deleted, updated_at, evaluated_at from alert_rules
         where environment_id = $1 and deleted = $2 order by name, id desc",
    )
    .bind(environment_id)
    .bind(deleted)
    .fetch_all(&mut *conn)
    .await?;
    let name = crate::environments::server::name_of(conn, environment_id)
        .await?
        .unwrap_or_default();
    rows.into_iter().map(|r| to_rule(r, name.clone())).collect()
}

/// Every live rule of every environment (evaluation takes the enabled).
pub async fn all_live(conn: &mut dyn Conn) -> Result<Vec<AlertRule>, AppError> {
    let rows: Vec<Row> = crate::db::query_as(
        "select id, environment_id, definition, revision, deleted, updated_at, evaluated_at from alert_rules
         where deleted = false order by environment_id, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let names: std::collections::HashMap<i64, String> = crate::environments::server::list(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e.name))
        .collect();
    rows.into_iter()
        .map(|r| {
            let name = names.get(&r.environment_id).cloned().unwrap_or_default();
            to_rule(r, name)
        })
        .collect()
}

/// One rule, deleted or not.
#[tracing::instrument(skip_all, fields(rule.id = id))]
pub async fn get(conn: &mut dyn Conn, id: i64) -> Result<AlertRule, AppError> {
    let row: Option<Row> = crate::db::query_as(
        "select id, environment_id, definition, revision, deleted, updated_at, evaluated_at from alert_rules where id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| AppError::not_found(format!("Alert rule {id}")))?;
    let name = crate::environments::server::name_of(conn, row.environment_id)
        .await?
        .unwrap_or_default();
    to_rule(row, name)
}

fn definition(c: &RuleContent) -> Result<String, AppError> {
    serde_json::to_string(c).map_err(|e| {
        tracing::error!(error = %e, "cannot serialise an alert rule");
        AppError::Internal
    })
}

fn duplicate(name: &str) -> impl FnOnce() -> AppError + '_ {
    move || {
        AppError::validation(
            "name",
            format!("There is already an alert rule named '{name}' in this environment."),
        )
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the revision's parts, each named"
)]
async fn write_revision(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    id: i64,
    revision: i64,
    action: &str,
    comment: &str,
    content: &RuleContent,
) -> Result<(), AppError> {
    let snapshot = serde_json::to_value(content).map_err(|e| unreadable(id, e))?;
    let of = crate::revisions::RevisionOf {
        object_type: OBJECT,
        object_id: id,
        revision,
        environment_id,
        action,
    };
    crate::revisions::append(conn, actor, of, comment, &snapshot).await?;
    let verb = match action {
        "create" => "Created",
        "delete" => "Deleted",
        "restore" => "Restored",
        _ => "Changed",
    };
    let environment = crate::environments::server::name_of(conn, environment_id).await?;
    record(
        conn,
        actor,
        Event {
            action: match action {
                "create" => "alert_rule.create",
                "delete" => "alert_rule.delete",
                "restore" => "alert_rule.restore",
                _ => "alert_rule.update",
            },
            object_type: OBJECT,
            object_id: Some(id.to_string()),
            summary: format!("{verb} alert rule '{}' (revision {revision})", content.name),
            detail: (!comment.trim().is_empty())
                .then(|| serde_json::json!({ "comment": comment.trim() })),
            environment,
        },
    )
    .await
}

async fn store(
    conn: &mut dyn Conn,
    id: i64,
    content: &RuleContent,
    revision: i64,
    deleted: bool,
) -> Result<(), AppError> {
    crate::db::query(
        "update alert_rules set name = $1, definition = $2, revision = $3, deleted = $4, updated_at = $5 where id = $6",
    )
    .bind(&content.name)
    .bind(definition(content)?)
    .bind(revision)
    .bind(deleted)
    .bind(db_now())
    .bind(id)
    .execute(conn)
    .await
    .on_unique(duplicate(&content.name))?;
    Ok(())
}

/// Creates a rule as revision 1.
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &Environment,
    content: &RuleContent,
    comment: &str,
) -> Result<i64, AppError> {
    let id: i64 = crate::db::query_scalar(
        "insert into alert_rules (environment_id, name, definition, revision, updated_at)
         values ($1, $2, $3, 1, $4) returning id",
    )
    .bind(environment.id)
    .bind(&content.name)
    .bind(definition(content)?)
    .bind(db_now())
    .fetch_one(&mut *conn)
    .await
    .on_unique(duplicate(&content.name))?;
    write_revision(
        conn,
        actor,
        environment.id,
        id,
        1,
        "create",
        comment,
        content,
    )
    .await?;
    Ok(id)
}

/// Saves new content as the next revision; refused when someone saved
/// after `expected_revision`, the one the editor opened.
#[tracing::instrument(skip_all, fields(rule.id = id))]
pub async fn update(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    expected_revision: i64,
    content: &RuleContent,
    comment: &str,
) -> Result<i64, AppError> {
    let current = get(conn, id).await?;
    if current.deleted {
        return Err(AppError::Conflict(format!(
            "The alert rule '{}' is deleted; restore a revision from its history first.",
            current.content.name
        )));
    }
    if current.revision != expected_revision {
        let last = crate::revisions::last_author(conn, OBJECT, id).await?;
        return Err(AppError::Conflict(format!(
            "{} saved revision {} of this rule after you opened it. Reload, then make your change again.",
            last.unwrap_or_else(|| "Someone".into()),
            current.revision
        )));
    }
    if &current.content == content {
        return Ok(current.revision);
    }
    let revision = current.revision + 1;
    store(conn, id, content, revision, false).await?;
    // Instances of series the rule no longer watches, or of a paused rule,
    // would stand still forever: they go, and evaluation starts afresh.
    let c = &current.content;
    let same_series = (c.watch, c.map_id, c.split_per_map, c.direction, c.category)
        == (
            content.watch,
            content.map_id,
            content.split_per_map,
            content.direction,
            content.category,
        );
    if !same_series || !content.enabled {
        drop_instances(conn, id).await?;
    }
    write_revision(
        conn,
        actor,
        current.environment_id,
        id,
        revision,
        "update",
        comment,
        content,
    )
    .await?;
    Ok(revision)
}

/// Deletes a rule (a revision; restorable). Its instances go: a deleted
/// rule alerts nobody.
#[tracing::instrument(skip_all, fields(rule.id = id))]
pub async fn delete(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    comment: &str,
) -> Result<(), AppError> {
    let current = get(conn, id).await?;
    if current.deleted {
        return Ok(());
    }
    let revision = current.revision + 1;
    store(conn, id, &current.content, revision, true).await?;
    drop_instances(conn, id).await?;
    write_revision(
        conn,
        actor,
        current.environment_id,
        id,
        revision,
        "delete",
        comment,
        &current.content,
    )
    .await
}

async fn drop_instances(conn: &mut dyn Conn, id: i64) -> Result<(), AppError> {
    crate::db::query("delete from alert_instances where rule_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The content of one revision.
pub async fn revision_content(
    conn: &mut dyn Conn,
    id: i64,
    revision: i64,
) -> Result<RuleContent, AppError> {
    crate::revisions::state_at(conn, OBJECT, id, revision, &format!("alert rule {id}")).await
}

/// Makes an old revision current again, as a new revision (also undeletes).
#[tracing::instrument(skip_all, fields(rule.id = id, revision))]
pub async fn restore(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    revision: i64,
) -> Result<i64, AppError> {
    let current = get(conn, id).await?;
    let old = revision_content(conn, id, revision).await?;
    let next = current.revision + 1;
    store(conn, id, &old, next, false).await?;
    let comment = format!("Restored revision {revision}");
    write_revision(
        conn,
        actor,
        current.environment_id,
        id,
        next,
        "restore",
        &comment,
        &old,
    )
    .await?;
    Ok(next)
}

/// Every revision of a rule, newest first.
pub async fn revisions(conn: &mut dyn Conn, id: i64) -> Result<Vec<Revision>, AppError> {
    crate::revisions::history(conn, OBJECT, id).await
}

/// Adds the starter rules an environment does not have yet (by name);
/// gives how many were added.
#[tracing::instrument(skip_all)]
pub async fn apply_starter(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &Environment,
) -> Result<usize, AppError> {
    apply_starter_with(conn, actor, environment, |_| {}).await
}

/// [`apply_starter`], each rule changed by `tweak` first (demo mode: the
/// simulated channel, and evaluation every minute).
pub async fn apply_starter_with(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment: &Environment,
    tweak: impl Fn(&mut RuleContent),
) -> Result<usize, AppError> {
    let existing: Vec<String> = crate::db::query_scalar(
        "select name from alert_rules where environment_id = $1 and deleted = false",
    )
    .bind(environment.id)
    .fetch_all(&mut *conn)
    .await?;
    let mut added = 0;
    for mut content in starter_set() {
        tweak(&mut content);
        if !existing.contains(&content.name) {
            create(conn, actor, environment, &content, "Starter set").await?;
            added += 1;
        }
    }
    if added == 0 {
        return Err(AppError::Conflict(format!(
            "{} already has every starter rule.",
            environment.name
        )));
    }
    Ok(added)
}

#[derive(sqlx::FromRow)]
struct InstanceDb {
    rule_id: i64,
    series: String,
    map_id: Option<i64>,
    state: String,
    since: i64,
    fired_at: Option<i64>,
    value: Option<f64>,
    evaluated_at: i64,
    acknowledged_by: Option<String>,
    acknowledged_at: Option<i64>,
    ack_comment: Option<String>,
    notified_at: Option<i64>,
}

impl From<InstanceDb> for InstanceRow {
    fn from(r: InstanceDb) -> Self {
        InstanceRow {
            rule_id: r.rule_id,
            series: r.series,
            map_id: r.map_id,
            instance: Instance {
                state: State::parse(&r.state).unwrap_or(State::Error),
                since: r.since,
                fired_at: r.fired_at,
                value: r.value,
            },
            evaluated_at: r.evaluated_at,
            acknowledged: r.acknowledged_by.map(|by| {
                (
                    by,
                    r.acknowledged_at.unwrap_or(0),
                    r.ack_comment.unwrap_or_default(),
                )
            }),
            notified_at: r.notified_at,
        }
    }
}

/// The instances of `rules`, by rule and series.
pub async fn instances(conn: &mut dyn Conn, rules: &[i64]) -> Result<Vec<InstanceRow>, AppError> {
    let rows: Vec<InstanceDb> = crate::db::query_as(
        "select rule_id, series, map_id, state, since, fired_at, value, evaluated_at,
                acknowledged_by, acknowledged_at, ack_comment, notified_at
         from alert_instances where rule_id in (select cast(value as bigint) from json_each($1))
         order by rule_id, series",
    )
    .bind(crate::db::id_list(rules))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(InstanceRow::from).collect())
}

/// Stores an instance after an evaluation. An instance back to Normal
/// loses its acknowledgement: the next time it fires, people hear again.
pub async fn save_instance(conn: &mut dyn Conn, row: &InstanceRow) -> Result<(), AppError> {
    let i = &row.instance;
    crate::db::query(
        "insert into alert_instances (rule_id, series, map_id, state, since, fired_at, value, evaluated_at, notified_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (rule_id, series) do update set map_id = excluded.map_id, state = excluded.state,
            since = excluded.since, fired_at = excluded.fired_at, value = excluded.value,
            evaluated_at = excluded.evaluated_at, notified_at = excluded.notified_at,
            acknowledged_by = case when excluded.state = 'normal' then null else alert_instances.acknowledged_by end,
            acknowledged_at = case when excluded.state = 'normal' then null else alert_instances.acknowledged_at end,
            ack_comment = case when excluded.state = 'normal' then null else alert_instances.ack_comment end",
    )
    .bind(row.rule_id)
    .bind(&row.series)
    .bind(row.map_id)
    .bind(i.state.as_str())
    .bind(i.since)
    .bind(i.fired_at)
    .bind(i.value)
    .bind(row.evaluated_at)
    .bind(row.notified_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that `rules` were evaluated at `at`.
pub async fn mark_evaluated(conn: &mut dyn Conn, rules: &[i64], at: i64) -> Result<(), AppError> {
    crate::db::query(
        "update alert_rules set evaluated_at = $1 where id in (select cast(value as bigint) from json_each($2))",
    )
    .bind(at)
    .bind(crate::db::id_list(rules))
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends a change of state to the history.
pub async fn append_history(conn: &mut dyn Conn, h: &HistoryRow) -> Result<(), AppError> {
    crate::db::query(
        "insert into alert_history (rule_id, series, at, state, value, notice, silence_id, detail)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(h.rule_id)
    .bind(&h.series)
    .bind(h.at)
    .bind(h.state.as_str())
    .bind(h.value)
    .bind(h.notice.map(Notice::as_str))
    .bind(h.silence_id)
    .bind(&h.detail)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct HistoryDb {
    rule_id: i64,
    series: String,
    at: i64,
    state: String,
    value: Option<f64>,
    notice: Option<String>,
    silence_id: Option<i64>,
    detail: String,
}

/// A rule's changes of state since `from` (Unix seconds), newest first,
/// at most `limit`.
pub async fn history(
    conn: &mut dyn Conn,
    rule_id: i64,
    from: i64,
    limit: i64,
) -> Result<Vec<HistoryRow>, AppError> {
    let rows: Vec<HistoryDb> = crate::db::query_as(
        "select rule_id, series, at, state, value, notice, silence_id, detail from alert_history
         where rule_id = $1 and at >= $2 order by at desc, id desc limit $3",
    )
    .bind(rule_id)
    .bind(from)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| HistoryRow {
            rule_id: r.rule_id,
            series: r.series,
            at: r.at,
            state: State::parse(&r.state).unwrap_or(State::Error),
            value: r.value,
            notice: r.notice.as_deref().and_then(Notice::parse),
            silence_id: r.silence_id,
            detail: r.detail,
        })
        .collect())
}

/// Acknowledges an alerting instance: it stops repeating until it
/// resolves. Audited, and kept in its history.
#[tracing::instrument(skip_all, fields(rule.id = rule_id))]
pub async fn acknowledge(
    conn: &mut dyn Conn,
    actor: &Actor,
    rule_id: i64,
    series: &str,
    comment: &str,
    at: i64,
) -> Result<(), AppError> {
    let rule = get(conn, rule_id).await?;
    let current = instances(conn, &[rule_id])
        .await?
        .into_iter()
        .find(|i| i.series == series)
        .ok_or_else(|| {
            AppError::not_found(format!("The alert '{}' on '{series}'", rule.content.name))
        })?;
    if matches!(current.instance.state, State::Normal | State::Pending) {
        return Err(AppError::Conflict(format!(
            "'{}'{} is {}: only an alert that notified can be acknowledged.",
            rule.content.name,
            series_words(series),
            current.instance.state.label().to_lowercase()
        )));
    }
    crate::db::query(
        "update alert_instances set acknowledged_by = $1, acknowledged_at = $2, ack_comment = $3
         where rule_id = $4 and series = $5",
    )
    .bind(&actor.label)
    .bind(at)
    .bind(comment.trim())
    .bind(rule_id)
    .bind(series)
    .execute(&mut *conn)
    .await?;
    append_history(
        conn,
        &HistoryRow {
            rule_id,
            series: series.into(),
            at,
            state: current.instance.state,
            value: current.instance.value,
            notice: None,
            silence_id: None,
            detail: format!("Acknowledged by {}: {}", actor.label, comment.trim()),
        },
    )
    .await?;
    let environment = Some(rule.environment.clone());
    record(
        conn,
        actor,
        Event {
            action: "alert.acknowledge",
            object_type: OBJECT,
            object_id: Some(rule_id.to_string()),
            summary: format!(
                "Acknowledged alert '{}'{}",
                rule.content.name,
                series_words(series)
            ),
            detail: Some(serde_json::json!({ "series": series, "comment": comment.trim() })),
            environment,
        },
    )
    .await
}

/// Adds a silence (checked by the caller), audited; gives its id.
#[tracing::instrument(skip_all)]
pub async fn create_silence(
    conn: &mut dyn Conn,
    actor: &Actor,
    silence: &Silence,
    now: i64,
) -> Result<i64, AppError> {
    let ends_at = match silence.active {
        Active::Once { end, .. } => Some(end),
        Active::Weekly { .. } => None,
    };
    let json = |v: serde_json::Result<String>| {
        v.map_err(|e| {
            tracing::error!(error = %e, "cannot serialise a silence");
            AppError::Internal
        })
    };
    let id: i64 = crate::db::query_scalar(
        "insert into alert_silences (matchers, active, ends_at, created_by, created_at, comment)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(json(serde_json::to_string(&silence.matchers))?)
    .bind(json(serde_json::to_string(&silence.active))?)
    .bind(ends_at)
    .bind(&actor.label)
    .bind(now)
    .bind(silence.comment.trim())
    .fetch_one(&mut *conn)
    .await?;
    record(
        conn,
        actor,
        Event {
            action: "alert_silence.create",
            object_type: "alert_silence",
            object_id: Some(id.to_string()),
            summary: format!("Added silence #{id}: {}", silence.describe()),
            detail: Some(serde_json::json!({ "comment": silence.comment.trim() })),
            environment: None,
        },
    )
    .await?;
    Ok(id)
}

/// Ends a silence now, audited.
pub async fn expire_silence(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    now: i64,
) -> Result<(), AppError> {
    let done = crate::db::query(
        "update alert_silences set expired_at = $1, expired_by = $2 where id = $3 and expired_at is null",
    )
    .bind(now)
    .bind(&actor.label)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found(format!(
            "A silence #{id} that has not ended"
        )));
    }
    record(
        conn,
        actor,
        Event {
            action: "alert_silence.expire",
            object_type: "alert_silence",
            object_id: Some(id.to_string()),
            summary: format!("Ended silence #{id} early"),
            detail: None,
            environment: None,
        },
    )
    .await
}

type SilenceRow = (i64, String, String, String, String, Option<i64>);

fn to_silence(r: SilenceRow) -> Option<Silence> {
    Some(Silence {
        id: r.0,
        matchers: serde_json::from_str(&r.1).ok()?,
        active: serde_json::from_str(&r.2).ok()?,
        created_by: r.3,
        comment: r.4,
        expired_at: r.5,
    })
}

/// Silences that have not ended by `now`: weekly windows, and one-off
/// silences still to come or holding.
pub async fn live_silences(conn: &mut dyn Conn, now: i64) -> Result<Vec<Silence>, AppError> {
    let rows: Vec<SilenceRow> = crate::db::query_as(
        "select id, matchers, active, created_by, comment, expired_at from alert_silences
         where expired_at is null and (ends_at is null or ends_at > $1) order by id",
    )
    .bind(now)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter_map(to_silence).collect())
}

/// Silences that ended (expired early or past their end), newest first.
pub async fn ended_silences(
    conn: &mut dyn Conn,
    now: i64,
    limit: i64,
) -> Result<Vec<Silence>, AppError> {
    let rows: Vec<SilenceRow> = crate::db::query_as(
        "select id, matchers, active, created_by, comment, expired_at from alert_silences
         where expired_at is not null or ends_at <= $1 order by id desc limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().filter_map(to_silence).collect())
}

/// Live rules (enabled, paused) and the last evaluation (Unix seconds), for
/// `/metrics`.
pub async fn rule_totals(conn: &mut dyn Conn) -> Result<(i64, i64, Option<i64>), AppError> {
    let rules = all_live(conn).await?;
    let enabled = rules.iter().filter(|r| r.content.enabled).count() as i64;
    let last = rules.iter().filter_map(|r| r.evaluated_at).max();
    Ok((enabled, rules.len() as i64 - enabled, last))
}

/// Instances by state over every live rule, for `/metrics`.
pub async fn instance_counts(conn: &mut dyn Conn) -> Result<Vec<(String, i64)>, AppError> {
    Ok(crate::db::query_as(
        "select i.state, count(*) from alert_instances i join alert_rules r on r.id = i.rule_id
         where r.deleted = false group by i.state order by i.state",
    )
    .fetch_all(conn)
    .await?)
}

/// The instances of an environment's live rules that are not Normal, the
/// most urgent first (the overview shows them before anything else).
pub async fn active(
    conn: &mut dyn Conn,
    environment: &Environment,
) -> Result<Vec<super::ActiveAlert>, AppError> {
    let rules = list(conn, environment.id, false).await?;
    let ids: Vec<i64> = rules.iter().map(|r| r.id).collect();
    let all = instances(conn, &ids).await?;
    Ok(super::active_of(&rules, &all))
}

/// " on Customers V3", or nothing for the environment as a whole.
pub fn series_words(series: &str) -> String {
    if series.is_empty() {
        String::new()
    } else {
        format!(" on {series}")
    }
}

/// Removes history older than `cutoff` (Unix seconds); gives how many
/// changes went.
pub async fn prune_history(pool: &Pool, cutoff: i64) -> Result<u64, AppError> {
    let mut tx = crate::db::begin_write(pool).await?;
    let n = crate::db::query("delete from alert_history where at < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rules_keep_their_history_refuse_stale_saves_and_restore() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (env, _) = crate::maps::server::uat_with_starter(&mut conn).await;
        let actor = Actor::cli();
        assert_eq!(apply_starter(&mut conn, &actor, &env).await.unwrap(), 5);
        assert!(matches!(
            apply_starter(&mut conn, &actor, &env).await,
            Err(AppError::Conflict(_))
        ));
        let rules = list(&mut conn, env.id, false).await.unwrap();
        let r = rules
            .iter()
            .find(|r| r.content.name.starts_with("More than 10"))
            .unwrap();
        let mut changed = r.content.clone();
        changed.pending_secs = 600;
        assert_eq!(
            update(&mut conn, &actor, r.id, 1, &changed, "calmer")
                .await
                .unwrap(),
            2
        );
        assert!(matches!(
            update(&mut conn, &actor, r.id, 1, &changed, "again").await,
            Err(AppError::Conflict(m)) if m.contains("revision 2")
        ));
        let mut dup = changed.clone();
        dup.name = "Map not Running".into();
        assert!(matches!(
            update(&mut conn, &actor, r.id, 2, &dup, "").await,
            Err(AppError::Validation { .. })
        ));
        delete(&mut conn, &actor, r.id, "noisy").await.unwrap();
        assert!(get(&mut conn, r.id).await.unwrap().deleted);
        assert_eq!(restore(&mut conn, &actor, r.id, 1).await.unwrap(), 4);
        let back = get(&mut conn, r.id).await.unwrap();
        assert!(!back.deleted);
        assert_eq!(back.content, r.content);
        let revs = revisions(&mut conn, r.id).await.unwrap();
        assert_eq!(
            revs.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            ["restore", "delete", "update", "create"]
        );
        let audited: i64 = crate::db::query_scalar(
            "select count(*) from audit_log where action like 'alert_rule.%'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(audited, 5 + 3);
    }

    #[tokio::test]
    async fn an_acknowledgement_holds_until_the_instance_is_normal_again() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (env, _) = crate::maps::server::uat_with_starter(&mut conn).await;
        let actor = Actor::cli();
        apply_starter(&mut conn, &actor, &env).await.unwrap();
        let rule = list(&mut conn, env.id, false).await.unwrap()[0].id;
        let mut row = InstanceRow {
            rule_id: rule,
            series: "Customers V3".into(),
            map_id: None,
            instance: Instance {
                state: State::Pending,
                since: 100,
                fired_at: None,
                value: Some(11.0),
            },
            evaluated_at: 100,
            acknowledged: None,
            notified_at: None,
        };
        save_instance(&mut conn, &row).await.unwrap();
        assert!(matches!(
            acknowledge(&mut conn, &actor, rule, "Customers V3", "on it", 150).await,
            Err(AppError::Conflict(_))
        ));
        row.instance.state = State::Firing;
        save_instance(&mut conn, &row).await.unwrap();
        acknowledge(&mut conn, &actor, rule, "Customers V3", "on it", 200)
            .await
            .unwrap();
        let now = &instances(&mut conn, &[rule]).await.unwrap()[0];
        assert_eq!(now.acknowledged, Some(("cli".into(), 200, "on it".into())));
        row.instance.state = State::Recovering;
        save_instance(&mut conn, &row).await.unwrap();
        assert!(
            instances(&mut conn, &[rule]).await.unwrap()[0]
                .acknowledged
                .is_some()
        );
        row.instance.state = State::Normal;
        save_instance(&mut conn, &row).await.unwrap();
        assert_eq!(
            instances(&mut conn, &[rule]).await.unwrap()[0].acknowledged,
            None
        );
        let h = history(&mut conn, rule, 0, 10).await.unwrap();
        assert!(h[0].detail.contains("Acknowledged by cli: on it"));
    }
}
