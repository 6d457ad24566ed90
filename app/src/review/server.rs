//! Reading the weekly review and saving its note. The week's figures come
//! from the rollups (group days, throughput days), the runs and counts,
//! and the rule book's revisions.

use super::{
    CategoryWeek, GroupLine, MAX_NOTE, MapDrift, MapFlow, Review, ReviewNote, RuleChange,
    week_start,
};
use crate::audit::server::{Actor, Event, record};
use crate::db::Conn;
use crate::error::AppError;
use crate::errors::Category;
use crate::trends::{DAY, Span};
use chrono::{Duration, NaiveDate};

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn stored(d: NaiveDate) -> String {
    crate::db::db_time(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

use crate::errors::server::WeekGroup as GroupRow;

/// A conflict rule's revision names no object of its own: the review says
/// which map and field, the rule as it stands, who decided, and (without a
/// comment) the rationale as the why.
async fn describe_rule(conn: &mut dyn Conn, change: &mut RuleChange) -> Result<(), AppError> {
    let rule = match crate::rules::server::get_rule(conn, change.object_id).await {
        Ok(r) => r,
        // A rule removed since: keep the row as it was recorded.
        Err(AppError::NotFound { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let map = crate::maps::server::get(conn, rule.map_id).await?;
    change.object = format!(
        "{} · {}: {} ({}), decided by {}",
        map.content.name,
        rule.field_label.as_deref().unwrap_or("map default"),
        rule.winner.label(),
        rule.status.label().to_lowercase(),
        rule.decided_by
    );
    if change.comment.trim().is_empty() {
        change.comment = crate::markdown::plain_excerpt(&rule.rationale, 240);
    }
    Ok(())
}

fn group_line((id, pattern, category, map, entries, state): GroupRow) -> GroupLine {
    GroupLine {
        id,
        pattern,
        category: Category::parse(&category).unwrap_or(Category::Other),
        map,
        entries,
        state,
    }
}

/// The review of `env` (or the first environment) for the week starting
/// `week` (default: the last 7 days) at `now`.
#[tracing::instrument(skip(conn))]
pub async fn load(
    conn: &mut dyn Conn,
    env: Option<&str>,
    week: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
    can_edit: bool,
) -> Result<Review, AppError> {
    let today = now.date_naive();
    let start = week_start(week, today).map_err(|m| AppError::validation("week", m))?;
    let env = crate::environments::server::named_or_first(conn, env).await?;
    let end = start + Duration::days(7);
    let (first, last) = (ymd(start), ymd(end - Duration::days(1)));
    let prev = start - Duration::days(7);
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp()
    };
    let this =
        crate::errors::server::category_totals(conn, env.id, (midnight(start), midnight(end)))
            .await?;
    let before =
        crate::errors::server::category_totals(conn, env.id, (midnight(prev), midnight(start)))
            .await?;
    let categories = Category::ALL
        .iter()
        .map(|c| CategoryWeek {
            category: *c,
            this_week: this.get(c).copied().unwrap_or(0),
            previous: before.get(c).copied().unwrap_or(0),
        })
        .filter(|c| c.this_week > 0 || c.previous > 0)
        .collect();
    let span = Span {
        from: start
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp(),
        to: end
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp(),
        step: DAY,
    };
    let chart = crate::trends::server::errors_chart(conn, env.id, span, now.timestamp()).await?;

    let week = crate::errors::server::week_groups(
        conn,
        env.id,
        (&first, &last),
        (&stored(start), &stored(end)),
    )
    .await?;
    let maps = crate::maps::server::names(conn, env.id).await?;
    let mut drift = Vec::new();
    let mut throughput = Vec::new();
    for (id, name) in &maps {
        let week = (stored(start), stored(end));
        let week = (week.0.as_str(), week.1.as_str());
        let run = crate::reconcile::server::latest_done_between(conn, *id, week).await?;
        let count = crate::counts::server::latest_between(conn, *id, week).await?;
        let count_difference = count.and_then(|(fo, dv)| Some(fo? - dv?));
        if run.is_some_and(|(_, _, d)| d > 0) || count_difference.is_some_and(|d| d != 0) {
            drift.push(MapDrift {
                map_id: *id,
                map: name.clone(),
                run,
                count_difference,
            });
        }
        let (synced, failed) =
            crate::throughput::server::day_totals(conn, *id, (span.from, span.to)).await?;
        if synced + failed > 0 {
            throughput.push(MapFlow {
                map_id: *id,
                map: name.clone(),
                synced,
                failed,
            });
        }
    }
    throughput.sort_by_key(|f| std::cmp::Reverse(f.synced + f.failed));

    let changes =
        crate::revisions::changes_between(conn, env.id, (&stored(start), &stored(end)), 200)
            .await?;
    let mut rule_changes = Vec::with_capacity(changes.len());
    for (at, author, action, object_type, object_id, object, comment) in changes {
        let mut change = RuleChange {
            at,
            author,
            action,
            object_type,
            object_id,
            object: object.unwrap_or_default(),
            comment,
        };
        if change.object_type == "conflict_rule" {
            describe_rule(conn, &mut change).await?;
        }
        rule_changes.push(change);
    }
    let changes = rule_changes;
    let note: Option<ReviewNote> = crate::db::query_as::<(String, String, String)>(
        "select body, updated_at, updated_by from review_notes where environment_id = $1 and week = $2",
    )
    .bind(env.id)
    .bind(&first)
    .fetch_optional(&mut *conn)
    .await?
    .map(|(body, updated_at, updated_by)| ReviewNote {
        html: crate::markdown::render(&body),
        body,
        updated_at,
        updated_by,
    });
    Ok(Review {
        environment: env.name,
        week: first,
        last_day: last,
        previous_week: ymd(prev),
        next_week: (end <= today).then(|| ymd(end)),
        categories,
        chart,
        top_groups: week.top.into_iter().map(group_line).collect(),
        new_groups: week.new.into_iter().map(group_line).collect(),
        resolved_groups: week.resolved.into_iter().map(group_line).collect(),
        drift,
        throughput,
        changes,
        note,
        can_edit,
    })
}

/// Saves the note of `env`'s week (an empty text deletes it), audited;
/// call it in a write transaction.
pub async fn save_note(
    conn: &mut dyn Conn,
    actor: &Actor,
    env: &str,
    week: &str,
    body: &str,
    today: NaiveDate,
) -> Result<(String, String), AppError> {
    let start = week_start(Some(week), today).map_err(|m| AppError::validation("week", m))?;
    let body = body.trim();
    if body.chars().count() > MAX_NOTE {
        return Err(AppError::validation(
            "body",
            format!(
                "The note has {} characters; keep it under {MAX_NOTE}.",
                body.chars().count()
            ),
        ));
    }
    let env = crate::environments::server::by_name(conn, env).await?;
    let week = ymd(start);
    if body.is_empty() {
        crate::db::query("delete from review_notes where environment_id = $1 and week = $2")
            .bind(env.id)
            .bind(&week)
            .execute(&mut *conn)
            .await?;
    } else {
        crate::db::query(
            "insert into review_notes (environment_id, week, body, updated_at, updated_by) values ($1, $2, $3, $4, $5)
             on conflict (environment_id, week) do update set body = excluded.body,
                updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(env.id)
        .bind(&week)
        .bind(body)
        .bind(crate::db::db_now())
        .bind(&actor.label)
        .execute(&mut *conn)
        .await?;
    }
    record(
        conn,
        actor,
        Event {
            action: "review.note",
            object_type: "review_note",
            object_id: Some(format!("{}/{week}", env.id)),
            summary: if body.is_empty() {
                format!(
                    "Cleared the review note of {} for the week of {week}",
                    env.name
                )
            } else {
                format!(
                    "Saved the review note of {} for the week of {week}",
                    env.name
                )
            },
            detail: Some(serde_json::json!({ "body": body })),
            environment: Some(env.name.clone()),
        },
    )
    .await?;
    Ok((env.name, week))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_week_with_its_errors_drift_flow_changes_and_note() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (env, map) = crate::maps::server::uat_with_starter(&mut conn).await;
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .unwrap()
            .to_utc();
        // Two groups this week, one the week before; one resolved.
        for (id, day, cat, n) in [
            (1, "2026-11-24", "plugin_throw", 5),
            (2, "2026-11-25", "other", 2),
            (3, "2026-11-16", "other", 7),
        ] {
            crate::db::query(
                "insert into error_groups (id, environment_id, map_id, direction, category, rule, fingerprint, pattern, first_seen, last_seen, entry_count)
                 values ($1, $2, $3, 'fo_to_dataverse', $4, 'r', $1, 'pattern ' || $1, $5 || 'T08:00:00.000Z', $5 || 'T08:00:00.000Z', $6)",
            )
            .bind(id).bind(env.id).bind(map).bind(cat).bind(day).bind(n)
            .execute(&mut *conn).await.unwrap();
            crate::db::query(
                "insert into error_group_days (group_id, day, count) values ($1, $2, $3)",
            )
            .bind(id)
            .bind(day)
            .bind(n)
            .execute(&mut *conn)
            .await
            .unwrap();
            crate::db::query(
                "insert into error_rollup (environment_id, map_id, category, grain, bucket, count)
                 values ($1, 0, $2, 'day', $3, $4)",
            )
            .bind(env.id)
            .bind(cat)
            .bind(day)
            .bind(n)
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        crate::db::query("update error_groups set state = 'resolved', state_changed_at = '2026-11-25T10:00:00.000Z' where id = 3")
            .execute(&mut *conn).await.unwrap();
        crate::db::query("insert into reconcile_runs (map_id, kind, status, requested_by, started_at, finished_at, recheck_secs, records, differing)
                     values ($1, 'sample', 'done', 'cli', '2026-11-24T01:00:00.000Z', '2026-11-24T01:00:00.000Z', 0, 100, 3)")
            .bind(map).execute(&mut *conn).await.unwrap();
        let sample = crate::throughput::Sample {
            item_id: "a".into(),
            map_id: map,
            direction: "fo_to_dataverse",
            minute: now.timestamp() - 86_400,
            synced: 95,
            failed: 5,
            slots: [0; crate::throughput::SLOTS],
        };
        crate::throughput::server::ingest(&mut conn, env.id, &[sample])
            .await
            .unwrap();
        // The starter maps were created today; date them in the week.
        crate::db::query("update revisions set created_at = '2026-11-23T09:00:00.000Z'")
            .execute(&mut *conn)
            .await
            .unwrap();

        let r = load(&mut conn, None, None, now, true).await.unwrap();
        assert_eq!(
            (r.week.as_str(), r.last_day.as_str(), r.next_week.as_deref()),
            ("2026-11-20", "2026-11-26", None)
        );
        let cats: Vec<_> = r
            .categories
            .iter()
            .map(|c| (c.category, c.this_week, c.previous))
            .collect();
        assert_eq!(
            cats,
            vec![(Category::PluginThrow, 5, 0), (Category::Other, 2, 7)]
        );
        assert_eq!(
            r.top_groups
                .iter()
                .map(|g| (g.id, g.entries))
                .collect::<Vec<_>>(),
            vec![(1, 5), (2, 2)]
        );
        assert_eq!(r.new_groups.len(), 2);
        assert_eq!(
            r.resolved_groups[0].id, 3,
            "resolved this week, though first seen before"
        );
        assert_eq!(r.drift[0].run.map(|(_, n, d)| (n, d)), Some((100, 3)));
        assert_eq!(r.throughput[0].failure_rate(), Some(5.0));
        assert!(
            r.changes
                .iter()
                .any(|c| c.object == "Customers V3" && c.action == "create"),
            "the starter maps, created in the week"
        );
        assert_eq!(
            r.chart
                .series
                .iter()
                .map(|s| s.values.iter().flatten().sum::<f64>())
                .sum::<f64>(),
            7.0
        );

        let mut tx = crate::db::begin_write(&pool).await.unwrap();
        save_note(
            &mut tx,
            &Actor::cli(),
            "UAT",
            "2026-11-20",
            "  Plug-in errors traced to the credit check.  ",
            now.date_naive(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let r = load(&mut conn, Some("UAT"), Some("2026-11-20"), now, true)
            .await
            .unwrap();
        assert_eq!(
            r.note.map(|n| n.body).as_deref(),
            Some("Plug-in errors traced to the credit check.")
        );
        let audited: i64 =
            crate::db::query_scalar("select count(*) from audit_log where action = 'review.note'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(audited, 1);
        let long = "x".repeat(MAX_NOTE + 1);
        let e = save_note(
            &mut conn,
            &Actor::cli(),
            "UAT",
            "2026-11-20",
            &long,
            now.date_naive(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("keep it under"));
        let e = load(&mut conn, None, Some("2027-01-01"), now, true)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("has not started"));
    }
}
