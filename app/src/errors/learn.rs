//! What the team teaches the classifier, and re-classifying the queue.
//!
//! A lesson is an editor's category override turned into a rule for its
//! environment: a new group whose normalised message equals the overridden
//! group's takes the editor's category. Re-classification runs the current
//! classifier over every group again (after the classifier changed),
//! moving each group's history in the trend rollups with it, so the trends
//! and the queue keep agreeing.

use super::classify::classify;
use super::server::{GroupAgg, GroupIds, group_key, roll_group};
use super::{Category, ErrorDirection, Lesson, Reclassified};
use crate::audit::server::{Actor, Event, record};
use crate::db::Conn;
use crate::db::db_now;
use crate::error::AppError;
use std::collections::{BTreeMap, HashMap};

/// A lesson as ingest uses it.
#[derive(Debug, Clone, Copy)]
pub struct Taught {
    /// The lesson's id.
    pub id: i64,
    /// The category it teaches.
    pub category: Category,
}

/// Lessons by pattern, for one environment.
pub type Lessons = HashMap<String, Taught>;

/// The environment's lessons for these patterns.
pub async fn for_patterns<'a>(
    conn: &mut dyn Conn,
    environment_id: i64,
    patterns: impl Iterator<Item = &'a str>,
) -> Result<Lessons, AppError> {
    let patterns: Vec<&str> = patterns.collect();
    if patterns.is_empty() {
        return Ok(Lessons::new());
    }
    let rows: Vec<(i64, String, String)> = crate::db::query_as(
        "select id, pattern, category from error_lessons
         where environment_id = $1 and pattern in (select value from json_each($2))",
    )
    .bind(environment_id)
    .bind(serde_json::to_string(&patterns).unwrap_or_else(|_| "[]".into()))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, p, c)| {
            Some((
                p,
                Taught {
                    id,
                    category: Category::parse(&c)?,
                },
            ))
        })
        .collect())
}

/// Counts, per lesson, the new entries whose group took its category.
pub(super) async fn count_decided(
    conn: &mut dyn Conn,
    lessons: &Lessons,
    groups: &HashMap<String, GroupAgg>,
    group_ids: &GroupIds,
) -> Result<(), AppError> {
    let mut decided: HashMap<i64, i64> = HashMap::new();
    for (fp, g) in groups {
        if let Some(l) = lessons.get(&g.pattern)
            && group_ids[fp].1 == l.category
        {
            *decided.entry(l.id).or_default() += g.count;
        }
    }
    for (id, n) in decided {
        crate::db::query("update error_lessons set decided = decided + $1 where id = $2")
            .bind(n)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records (or, with `None`, takes back) what an editor's override on a
/// group teaches: its pattern's category in its environment. Called in the
/// override's transaction; the override's audit entry says it.
pub(super) async fn teach(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    group_id: i64,
    pattern: &str,
    category: Option<Category>,
) -> Result<(), AppError> {
    match category {
        Some(c) => {
            crate::db::query(
                "insert into error_lessons (environment_id, pattern, category, group_id, created_at, created_by)
                 values ($1, $2, $3, $4, $5, $6)
                 on conflict (environment_id, pattern) do update set
                    decided = case when error_lessons.category = excluded.category then error_lessons.decided else 0 end,
                    category = excluded.category, group_id = excluded.group_id,
                    created_at = excluded.created_at, created_by = excluded.created_by",
            )
            .bind(environment_id)
            .bind(pattern)
            .bind(c.as_str())
            .bind(group_id)
            .bind(db_now())
            .bind(&actor.label)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            // Only the group that taught a lesson takes it back by clearing
            // its override; other groups' overrides are their own.
            crate::db::query(
                "delete from error_lessons where environment_id = $1 and pattern = $2 and group_id = $3",
            )
            .bind(environment_id)
            .bind(pattern)
            .bind(group_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The lessons of an environment, newest first.
pub async fn list(conn: &mut dyn Conn, environment_id: i64) -> Result<Vec<Lesson>, AppError> {
    let rows: Vec<(i64, String, String, i64, String, String, i64)> = crate::db::query_as(
        "select id, pattern, category, group_id, created_at, created_by, decided from error_lessons
         where environment_id = $1 order by created_at desc, id desc",
    )
    .bind(environment_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, pattern, category, group_id, at, by, decided)| Lesson {
                id,
                pattern,
                category: Category::parse(&category).unwrap_or(Category::Other),
                group_id,
                created_at: at,
                created_by: by,
                decided,
            },
        )
        .collect())
}

/// Removes a lesson of an environment (audited). Groups it decided keep
/// their category.
pub async fn forget(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: i64,
    id: i64,
) -> Result<(), AppError> {
    let gone: Option<(String, String, i64)> = crate::db::query_as(
        "delete from error_lessons where id = $1 and environment_id = $2
         returning pattern, category, decided",
    )
    .bind(id)
    .bind(environment_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (pattern, category, decided) =
        gone.ok_or_else(|| AppError::not_found(format!("Learned category {id}")))?;
    let environment = crate::environments::server::name_of(conn, environment_id).await?;
    record(
        conn,
        actor,
        Event {
            action: "error_lesson.forget",
            object_type: "error_lesson",
            object_id: Some(id.to_string()),
            summary: format!(
                "Forgot that \"{pattern}\" is {category} (it decided {decided} entr{})",
                if decided == 1 { "y" } else { "ies" }
            ),
            detail: Some(
                serde_json::json!({ "pattern": pattern, "category": category, "decided": decided }),
            ),
            environment,
        },
    )
    .await
}

/// One group as re-classification reads it.
#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    environment_id: i64,
    map_id: Option<i64>,
    direction: String,
    category: String,
    rule: String,
    category_override: Option<String>,
    pattern: String,
    entry_count: i64,
    message: Option<String>,
    detail: Option<String>,
}

/// Runs the classifier over every group of the environment (or of all of
/// them) again, reading each group's newest entry (its pattern when
/// retention removed them all). A group whose category changes moves: its
/// history leaves the old category in the trend rollups and joins the new
/// one, unless an editor's override holds it; when a group with the new
/// category and the same message already exists, the two become one.
/// Audited as one entry with the moves.
#[tracing::instrument(skip_all)]
pub async fn reclassify(
    conn: &mut dyn Conn,
    actor: &Actor,
    environment_id: Option<i64>,
) -> Result<Reclassified, AppError> {
    let rows: Vec<Row> = crate::db::query_as(
        "select g.id, g.environment_id, g.map_id, g.direction, g.category, g.rule, g.category_override,
                g.pattern, g.entry_count, e.message, e.detail
         from error_groups g
         left join error_entries e on e.id = (select n.id from error_entries n where n.group_id = g.id
                                              order by n.occurred_at desc, n.id desc limit 1)
         where cast($1 as bigint) is null or g.environment_id = $1 order by g.id",
    )
    .bind(environment_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut moves: BTreeMap<(Category, Category), (i64, i64)> = BTreeMap::new();
    let mut merged = 0;
    let checked = rows.len();
    for row in rows {
        let old = Category::parse(&row.category).unwrap_or(Category::Other);
        let c = classify(
            row.message.as_deref().unwrap_or(&row.pattern),
            row.detail.as_deref().unwrap_or(""),
        );
        if c.category == old {
            if c.rule != row.rule {
                crate::db::query("update error_groups set rule = $1 where id = $2")
                    .bind(&c.rule)
                    .bind(row.id)
                    .execute(&mut *conn)
                    .await?;
            }
            continue;
        }
        let direction = ErrorDirection::parse(&row.direction).unwrap_or(ErrorDirection::Unknown);
        let fingerprint = group_key(
            row.environment_id,
            row.map_id,
            direction,
            c.category,
            &row.pattern,
        );
        let from = row
            .category_override
            .clone()
            .unwrap_or(row.category.clone());
        crate::db::query("update error_entries set category = $1, rule = $2 where group_id = $3")
            .bind(c.category.as_str())
            .bind(&c.rule)
            .bind(row.id)
            .execute(&mut *conn)
            .await?;
        let twin: Option<(i64, Option<String>)> = crate::db::query_as(
            "select id, category_override from error_groups where fingerprint = $1",
        )
        .bind(&fingerprint)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((twin, twin_override)) = twin {
            let to = twin_override.unwrap_or_else(|| c.category.as_str().to_string());
            if from != to {
                roll_group(conn, row.id, &from, -1).await?;
                roll_group(conn, row.id, &to, 1).await?;
            }
            merge(conn, row.id, twin).await?;
            merged += 1;
        } else {
            crate::db::query(
                "update error_groups set category = $1, rule = $2, fingerprint = $3 where id = $4",
            )
            .bind(c.category.as_str())
            .bind(&c.rule)
            .bind(&fingerprint)
            .bind(row.id)
            .execute(&mut *conn)
            .await?;
            if row.category_override.is_none() {
                roll_group(conn, row.id, &from, -1).await?;
                roll_group(conn, row.id, c.category.as_str(), 1).await?;
            }
        }
        let m = moves.entry((old, c.category)).or_default();
        m.0 += 1;
        m.1 += row.entry_count;
    }
    let report = Reclassified {
        checked,
        moves: moves
            .into_iter()
            .map(|((from, to), (groups, entries))| (from, to, groups, entries))
            .collect(),
        merged,
    };
    let environment = match environment_id {
        Some(id) => crate::environments::server::name_of(conn, id).await?,
        None => None,
    };
    record(
        conn,
        actor,
        Event {
            action: "error_groups.reclassify",
            object_type: "error_group",
            object_id: None,
            summary: report.summary(),
            detail: Some(serde_json::to_value(&report).unwrap_or_default()),
            environment,
        },
    )
    .await?;
    Ok(report)
}

/// Moves group `from` into group `into`: entries, hours, days and counts;
/// lessons taught on it follow. `from` is deleted.
async fn merge(conn: &mut dyn Conn, from: i64, into: i64) -> Result<(), AppError> {
    for table in ["error_group_hours", "error_group_days"] {
        let column = if table == "error_group_hours" {
            "hour"
        } else {
            "day"
        };
        let sql = format!(
            "insert into {table} (group_id, {column}, count) select $1, {column}, count from {table} where group_id = $2
             on conflict (group_id, {column}) do update set count = {table}.count + excluded.count"
        );
        crate::db::query(sqlx::AssertSqlSafe(sql))
            .bind(into)
            .bind(from)
            .execute(&mut *conn)
            .await?;
        crate::db::query(sqlx::AssertSqlSafe(format!(
            "delete from {table} where group_id = $1"
        )))
        .bind(from)
        .execute(&mut *conn)
        .await?;
    }
    crate::db::query("update error_entries set group_id = $1 where group_id = $2")
        .bind(into)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    crate::db::query(
        "update error_groups set entry_count = error_groups.entry_count + f.entry_count,
            first_seen = min(error_groups.first_seen, f.first_seen),
            last_seen = max(error_groups.last_seen, f.last_seen)
         from (select entry_count, first_seen, last_seen from error_groups where id = $1) as f
         where error_groups.id = $2",
    )
    .bind(from)
    .bind(into)
    .execute(&mut *conn)
    .await?;
    crate::db::query("update error_lessons set group_id = $1 where group_id = $2")
        .bind(into)
        .bind(from)
        .execute(&mut *conn)
        .await?;
    crate::db::query("delete from error_groups where id = $1")
        .bind(from)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Pool;
    use crate::errors::Source;
    use crate::errors::server::{
        Accepted, Commit, Origin, RawEntry, Sweeps, ValidEntry, check_entry, override_category,
        store_batch,
    };

    async fn environment(pool: &Pool) -> i64 {
        let mut conn = pool.acquire().await.unwrap();
        let input = crate::environments::validate_environment("UAT", "", "", "").unwrap();
        crate::environments::server::save(&mut conn, &Actor::cli(), None, &input)
            .await
            .unwrap()
    }

    fn entry(id: &str, direction: &str, message: &str) -> ValidEntry {
        let raw = RawEntry {
            id: Some(id.into()),
            occurred_at: Some(crate::db::db_time(
                chrono::Utc::now() - chrono::Duration::hours(1),
            )),
            direction: (!direction.is_empty()).then(|| direction.into()),
            message: Some(message.into()),
            ..Default::default()
        };
        check_entry(raw, &HashMap::new()).unwrap()
    }

    async fn store(pool: &Pool, env: i64, entries: Vec<ValidEntry>) -> Vec<Accepted> {
        let actor = Actor::cli();
        let origin = Origin {
            actor: &actor,
            source: Source::Api,
            source_ref: "test",
        };
        store_batch(
            pool,
            &Sweeps::default(),
            env,
            entries,
            origin,
            Commit::default(),
            &mut |_| {},
            async |_, _| Ok(()),
        )
        .await
        .unwrap()
    }

    /// Two ingests at once, upserting the same groups and counters, both
    /// land: write transactions take their turn on both backends. On
    /// PostgreSQL without the write lock they deadlocked (the test failed
    /// in each of three runs; the order of the upserts follows hash maps,
    /// so that is likely, not certain).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_ingests_of_the_same_groups_both_land() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let env = environment(&pool).await;
        let messages: Vec<String> = (0..40)
            .map(|g| format!("Entity {g} failed: record {{n}} is locked"))
            .collect();
        let batch = |side: &str, round: usize| {
            let mut entries: Vec<ValidEntry> = (0..40)
                .map(|g| {
                    entry(
                        &format!("{side}-{round}-{g}"),
                        "fo_to_dataverse",
                        &messages[g].replace("{n}", &round.to_string()),
                    )
                })
                .collect();
            if side == "b" {
                entries.reverse();
            }
            entries
        };
        for round in 0..10 {
            let (a, b) = (batch("a", round), batch("b", round));
            let (pa, pb) = (pool.clone(), pool.clone());
            let a = tokio::spawn(async move { store(&pa, env, a).await.len() });
            let b = tokio::spawn(async move { store(&pb, env, b).await.len() });
            assert_eq!((a.await.unwrap(), b.await.unwrap()), (40, 40));
        }
        let stored: i64 = crate::db::query_scalar("select count(*) from error_entries")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(stored, 800);
        assert_rollups_match_queue(&pool, env).await;
    }

    /// Entries per effective category, from the queue and from each
    /// rollup grain: the trends must agree with the queue.
    async fn assert_rollups_match_queue(pool: &Pool, env: i64) {
        let queue: BTreeMap<String, i64> = crate::db::query_as(
            "select coalesce(g.category_override, g.category), count(*) from error_entries e
             join error_groups g on g.id = e.group_id where e.environment_id = $1 group by 1",
        )
        .bind(env)
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        for grain in ["hour", "day"] {
            let rolled: BTreeMap<String, i64> = crate::db::query_as(
                "select category, cast(sum(count) as bigint) from error_rollup
                 where environment_id = $1 and map_id = 0 and grain = $2 group by 1 having cast(sum(count) as bigint) <> 0",
            )
            .bind(env)
            .bind(grain)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
            assert_eq!(rolled, queue, "{grain} rollup against the queue");
        }
        let counted: i64 = crate::db::query_scalar(
            "select count(*) from error_groups g where g.entry_count <>
               (select count(*) from error_entries e where e.group_id = g.id)
               or g.entry_count <> (select coalesce(cast(sum(count) as bigint), 0) from error_group_hours h where h.group_id = g.id)",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(counted, 0, "groups whose counts disagree");
    }

    #[tokio::test]
    async fn an_override_teaches_new_groups_with_the_same_message() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let env = environment(&pool).await;
        let message = "Customer US-0001 was refused by the CreditGate hook";
        let first = store(&pool, env, vec![entry("a", "fo_to_dataverse", message)]).await;
        let group = first[0].group_id;
        let editor = Actor {
            user_id: None,
            label: "ed@example.com".into(),
            ip: None,
        };
        let mut conn = pool.acquire().await.unwrap();
        override_category(
            &mut conn,
            &editor,
            group,
            Some(Category::PluginThrow),
            "our hook",
        )
        .await
        .unwrap();
        drop(conn);

        // The same message in the other direction: a new group, which takes
        // the editor's category.
        let message = "Customer US-0777 was refused by the CreditGate hook";
        let later = store(
            &pool,
            env,
            vec![
                entry("b", "dataverse_to_fo", message),
                entry("c", "dataverse_to_fo", message),
            ],
        )
        .await;
        assert_ne!(later[0].group_id, group);
        assert!(later.iter().all(|a| a.category == Category::PluginThrow));
        let mut conn = pool.acquire().await.unwrap();
        let lessons = list(&mut conn, env).await.unwrap();
        assert_eq!(lessons.len(), 1);
        let lesson = &lessons[0];
        assert_eq!(
            (
                lesson.category,
                lesson.group_id,
                lesson.decided,
                lesson.created_by.as_str()
            ),
            (Category::PluginThrow, group, 2, "ed@example.com")
        );
        assert!(lesson.pattern.contains("CreditGate"));
        assert_rollups_match_queue(&pool, env).await;

        // Forgetting it: audited; new groups are classified as before,
        // groups it decided keep their category.
        forget(&mut conn, &editor, env, lesson.id).await.unwrap();
        assert!(list(&mut conn, env).await.unwrap().is_empty());
        let audit: String = crate::db::query_scalar(
            "select summary from audit_log where action = 'error_lesson.forget'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert!(audit.contains("decided 2 entries"), "{audit}");
        assert!(
            forget(&mut conn, &editor, env, lesson.id).await.is_err(),
            "a lesson is forgotten once"
        );
        drop(conn);
        let unknown = store(&pool, env, vec![entry("d", "", message)]).await;
        assert_ne!(unknown[0].category, Category::PluginThrow);

        // Clearing the override on the group that taught takes the lesson back.
        let mut conn = pool.acquire().await.unwrap();
        override_category(
            &mut conn,
            &editor,
            group,
            Some(Category::DuplicateRecord),
            "",
        )
        .await
        .unwrap();
        assert_eq!(list(&mut conn, env).await.unwrap().len(), 1);
        override_category(&mut conn, &editor, group, None, "")
            .await
            .unwrap();
        assert!(list(&mut conn, env).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn reclassification_moves_groups_and_keeps_the_trends_equal_to_the_queue() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let env = environment(&pool).await;
        let lookup = "Couldn't resolve the guid for the field: primarycontactid. The lookup was not found: 0001.";
        let key = "Integration keys are missing";
        let held = "The server is busy and the request was not completed.";
        store(
            &pool,
            env,
            vec![
                entry("1", "fo_to_dataverse", lookup),
                entry("2", "fo_to_dataverse", lookup),
                entry("3", "fo_to_dataverse", key),
                entry("4", "dataverse_to_fo", held),
            ],
        )
        .await;
        // An older classifier put every group under `other`: the groups,
        // their entries and the rollups say so, as they would have then.
        let mut conn = pool.acquire().await.unwrap();
        let groups: Vec<(i64, String, String, String)> = crate::db::query_as(
            "select id, category, direction, pattern from error_groups order by id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for (id, category, direction, pattern) in &groups {
            roll_group(&mut conn, *id, category, -1).await.unwrap();
            roll_group(&mut conn, *id, "other", 1).await.unwrap();
            let fp = group_key(
                env,
                None,
                ErrorDirection::parse(direction).unwrap(),
                Category::Other,
                pattern,
            );
            crate::db::query("update error_groups set category = 'other', rule = 'old', fingerprint = $1 where id = $2")
                .bind(fp)
                .bind(id)
                .execute(&mut *conn)
                .await
                .unwrap();
        }
        crate::db::query("update error_entries set category = 'other', rule = 'old'")
            .execute(&mut *conn)
            .await
            .unwrap();
        // An editor had set one group's category; that stays.
        let busy = groups
            .iter()
            .find(|g| g.3.starts_with("The server is busy"))
            .unwrap()
            .0;
        override_category(
            &mut conn,
            &Actor::cli(),
            busy,
            Some(Category::PluginThrow),
            "",
        )
        .await
        .unwrap();
        drop(conn);
        assert_rollups_match_queue(&pool, env).await;
        // Since then the lookup error also arrived under today's category:
        // a second group with the same message.
        let today = store(&pool, env, vec![entry("5", "fo_to_dataverse", lookup)]).await;
        assert_eq!(today[0].category, Category::DependencyOrder);
        assert_rollups_match_queue(&pool, env).await;

        let mut conn = pool.acquire().await.unwrap();
        let report = reclassify(&mut conn, &Actor::cli(), Some(env))
            .await
            .unwrap();
        assert_eq!(report.checked, 4);
        assert_eq!(report.merged, 1, "{report:?}");
        assert_eq!(
            report.moves,
            vec![
                (Category::Other, Category::MissingFieldMapping, 1, 1),
                (Category::Other, Category::DependencyOrder, 1, 2),
                (Category::Other, Category::ThrottlingTimeout, 1, 1),
            ]
        );
        drop(conn);
        assert_rollups_match_queue(&pool, env).await;
        let (groups, lookups, held_category): (i64, i64, String) = crate::db::query_as(
            "select (select count(*) from error_groups),
                    (select entry_count from error_groups where pattern like 'Couldn''t resolve%'),
                    (select coalesce(category_override, category) from error_groups where id = $1)",
        )
        .bind(busy)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            (groups, lookups, held_category.as_str()),
            (3, 3, "plugin_throw")
        );
        let stale: i64 =
            crate::db::query_scalar("select count(*) from error_entries where rule = 'old'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(stale, 0);
        let audit: String = crate::db::query_scalar(
            "select summary from audit_log where action = 'error_groups.reclassify'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(audit.contains("3 moved"), "{audit}");
        // Once more: nothing moves.
        let mut conn = pool.acquire().await.unwrap();
        let again = reclassify(&mut conn, &Actor::cli(), Some(env))
            .await
            .unwrap();
        assert!(again.moves.is_empty() && again.merged == 0, "{again:?}");
    }
}
