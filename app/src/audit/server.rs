//! Writing and querying the audit log.

use super::{AUDIT_PAGE_SIZE, AuditEntry, AuditFilter, AuditPage, parse_day};
use crate::auth::CurrentUser;
use crate::db::db_now;
use crate::db::{Conn, QueryBuilder};
use crate::error::AppError;

/// Who performed an action, as the audit log records it.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The user, when a signed-in person acted.
    pub user_id: Option<i64>,
    /// Email, `token:<name>`, `cli` or `anonymous`.
    pub label: String,
    /// Client address, where known.
    pub ip: Option<String>,
}

impl Actor {
    /// A signed-in user acting from `ip`.
    pub fn user(user: &CurrentUser, ip: Option<String>) -> Self {
        Self {
            user_id: Some(user.id),
            label: user.email.clone(),
            ip,
        }
    }

    /// The command line (`dwconsole …`), run by whoever has the machine.
    pub fn cli() -> Self {
        Self {
            user_id: None,
            label: "cli".into(),
            ip: None,
        }
    }

    /// Someone not signed in (failed logins, first-run setup).
    pub fn anonymous(label: impl Into<String>, ip: Option<String>) -> Self {
        Self {
            user_id: None,
            label: label.into(),
            ip,
        }
    }
}

/// One entry to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Dotted action name.
    pub action: &'a str,
    /// Kind of object.
    pub object_type: &'a str,
    /// The object's id.
    pub object_id: Option<String>,
    /// One readable sentence.
    pub summary: String,
    /// Changed values.
    pub detail: Option<serde_json::Value>,
    /// The name of the environment the object belongs to (maps, fields,
    /// rules, error groups, notes, runs), stored with the entry.
    pub environment: Option<String>,
}

/// Appends an entry. Call it inside the transaction of the write it records,
/// so the write and its audit entry land together or not at all.
#[tracing::instrument(skip_all, fields(audit.action = event.action))]
pub async fn record(conn: &mut dyn Conn, actor: &Actor, event: Event<'_>) -> Result<(), AppError> {
    crate::db::query(
        "insert into audit_log
           (occurred_at, actor_user_id, actor, action, object_type, object_id, summary, detail, ip, environment)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(db_now())
    .bind(actor.user_id)
    .bind(&actor.label)
    .bind(event.action)
    .bind(event.object_type)
    .bind(event.object_id)
    .bind(event.summary)
    .bind(event.detail.map(|d| d.to_string()))
    .bind(&actor.ip)
    .bind(event.environment)
    .execute(conn)
    .await?;
    Ok(())
}

/// One page of entries matching `filter`, newest first, by keyset on `id`
/// (never OFFSET, so deep pages cost the same as the first).
#[tracing::instrument(skip_all)]
pub async fn query(conn: &mut dyn Conn, filter: &AuditFilter) -> Result<AuditPage, AppError> {
    let mut q: QueryBuilder<'_> = QueryBuilder::new(
        "select id, occurred_at, actor, action, object_type, object_id, summary, detail, ip, environment
         from audit_log where 1 = 1",
    );
    if let Some(action) = filter.action.as_deref().filter(|s| !s.is_empty()) {
        if let Some(prefix) = action.strip_suffix('.') {
            q.push(" and action like ").push_bind(format!("{prefix}.%"));
        } else {
            q.push(" and action = ").push_bind(action.to_string());
        }
    }
    if let Some(actor) = filter.actor.as_deref().filter(|s| !s.is_empty()) {
        q.push(" and actor = ").push_bind(actor.to_string());
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", text.replace('%', "\\%").replace('_', "\\_"));
        // `lower` on both sides: SQLite's `like` ignores ASCII case,
        // PostgreSQL's does not.
        q.push(" and (lower(summary) like lower(")
            .push_bind(pattern.clone())
            .push(") escape '\\' or lower(object_id) like lower(")
            .push_bind(pattern)
            .push(") escape '\\')");
    }
    if let Some(from) = filter.from.as_deref().filter(|s| !s.is_empty()) {
        let day = parse_day("from", from).map_err(|m| AppError::validation("from", m))?;
        q.push(" and occurred_at >= ")
            .push_bind(format!("{day}T00:00:00.000Z"));
    }
    if let Some(to) = filter.to.as_deref().filter(|s| !s.is_empty()) {
        let day = parse_day("to", to).map_err(|m| AppError::validation("to", m))?;
        q.push(" and occurred_at <= ")
            .push_bind(format!("{day}T23:59:59.999Z"));
    }
    if let Some(before) = filter.before {
        q.push(" and id < ").push_bind(before);
    }
    q.push(" order by id desc limit ")
        .push_bind(AUDIT_PAGE_SIZE + 1);
    let mut entries: Vec<AuditEntry> = q.build_query_as().fetch_all(&mut *conn).await?;
    let next_before = if entries.len() as i64 > AUDIT_PAGE_SIZE {
        entries.truncate(AUDIT_PAGE_SIZE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let actions = crate::db::query_scalar("select distinct action from audit_log order by action")
        .fetch_all(&mut *conn)
        .await?;
    let actors = crate::db::query_scalar("select distinct actor from audit_log order by actor")
        .fetch_all(&mut *conn)
        .await?;
    Ok(AuditPage {
        entries,
        next_before,
        actions,
        actors,
    })
}

/// How many entries of `action` were recorded since `since` (stored time).
#[tracing::instrument(skip_all, fields(audit.action = action))]
pub async fn count_since(conn: &mut dyn Conn, action: &str, since: &str) -> Result<i64, AppError> {
    Ok(crate::db::query_scalar(
        "select count(*) from audit_log where action = $1 and occurred_at >= $2",
    )
    .bind(action)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// The most recent changes to the rule book, the error queue, the review
/// and reconciliations, for the overview: what the team did, without the
/// sign-ins and account changes (those are on the audit page).
#[tracing::instrument(skip_all)]
pub async fn recent_changes(conn: &mut dyn Conn, limit: i64) -> Result<Vec<AuditEntry>, AppError> {
    Ok(crate::db::query_as(
        "select id, occurred_at, actor, action, object_type, object_id, summary, detail, ip, environment
         from audit_log
         where action not like 'auth.%' and action not like 'user.%' and action not like 'token.%'
         order by id desc limit $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &'static str, summary: &str) -> Event<'static> {
        Event {
            action,
            object_type: "user",
            object_id: Some("7".into()),
            summary: summary.into(),
            detail: None,
            environment: None,
        }
    }

    #[tokio::test]
    async fn entries_are_filtered_by_action_prefix_actor_and_text() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let anon = Actor::anonymous("anonymous", Some("127.0.0.1".into()));
        record(
            &mut conn,
            &cli,
            ev("user.create", "Added ana@example.com as viewer"),
        )
        .await
        .unwrap();
        record(
            &mut conn,
            &cli,
            ev("user.role_change", "Made ana an editor"),
        )
        .await
        .unwrap();
        record(
            &mut conn,
            &anon,
            ev("auth.login_failed", "Failed sign-in for bo@example.com"),
        )
        .await
        .unwrap();

        let by_prefix = AuditFilter {
            action: Some("user.".into()),
            ..Default::default()
        };
        assert_eq!(query(&mut conn, &by_prefix).await.unwrap().entries.len(), 2);

        let by_actor = AuditFilter {
            actor: Some("anonymous".into()),
            ..Default::default()
        };
        let page = query(&mut conn, &by_actor).await.unwrap();
        assert_eq!(page.entries.len(), 1);
        assert_eq!(page.entries[0].ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(
            page.actors,
            vec!["anonymous".to_string(), "cli".to_string()]
        );

        let by_text = AuditFilter {
            text: Some("ANA@example".into()),
            ..Default::default()
        };
        assert_eq!(query(&mut conn, &by_text).await.unwrap().entries.len(), 1);
    }

    #[tokio::test]
    async fn pages_follow_the_keyset_cursor_without_gaps_or_repeats() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        for i in 0..(AUDIT_PAGE_SIZE + 5) {
            record(&mut conn, &cli, ev("user.create", &format!("entry {i}")))
                .await
                .unwrap();
        }
        let first = query(&mut conn, &AuditFilter::default()).await.unwrap();
        assert_eq!(first.entries.len() as i64, AUDIT_PAGE_SIZE);
        let cursor = first.next_before.expect("a second page");
        let second = query(
            &mut conn,
            &AuditFilter {
                before: Some(cursor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(second.entries.len(), 5);
        assert!(second.next_before.is_none());
        assert!(second.entries.iter().all(|e| e.id < cursor));
    }

    #[tokio::test]
    async fn a_malformed_date_filter_names_the_field() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let err = query(
            &mut conn,
            &AuditFilter {
                from: Some("yesterday".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(err, AppError::Validation { field, .. } if field == "from"));
    }
}
