//! Token storage and bearer authentication.

use super::{TOKEN_PREFIX, TokenSummary, check_token_name};
use crate::audit::server::{Actor, Event, record};
use crate::auth::server::{random_secret, secret_hash};
use crate::db::Conn;
use crate::db::{db_now, db_time};
use crate::error::{AppError, OnConstraint as _};

/// The identity behind a valid bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenIdentity {
    /// Token id.
    pub id: i64,
    /// Token name.
    pub name: String,
}

/// Creates a token; returns its id and the secret, which is shown once and
/// never stored.
#[tracing::instrument(skip_all)]
pub async fn create(
    conn: &mut dyn Conn,
    actor: &Actor,
    name: &str,
) -> Result<(i64, String), AppError> {
    let name = check_token_name(name).map_err(|m| AppError::validation("name", m))?;
    let secret = format!("{TOKEN_PREFIX}{}", random_secret());
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let id: i64 = crate::db::query_scalar(
        "insert into api_tokens (name, token_hash, prefix, created_by, created_at)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(&name)
    .bind(secret_hash(&secret))
    .bind(&prefix)
    .bind(actor.user_id)
    .bind(db_now())
    .fetch_one(&mut *conn)
    .await
    .on_unique(|| AppError::Conflict(format!("A token named '{name}' already exists.")))?;
    record(
        conn,
        actor,
        Event {
            action: "token.create",
            object_type: "api_token",
            object_id: Some(id.to_string()),
            summary: format!("Created API token '{name}' ({prefix}…)"),
            detail: None,
            environment: None,
        },
    )
    .await?;
    Ok((id, secret))
}

/// Every token, newest first, naming who created it.
#[tracing::instrument(skip_all)]
pub async fn list(conn: &mut dyn Conn) -> Result<Vec<TokenSummary>, AppError> {
    /// A token row; its creator is named from `auth`'s users.
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        name: String,
        prefix: String,
        created_by: Option<i64>,
        created_at: String,
        last_used_at: Option<String>,
        revoked_at: Option<String>,
    }
    let rows: Vec<Row> = crate::db::query_as(
        "select id, name, prefix, created_by, created_at, last_used_at, revoked_at
         from api_tokens order by revoked_at is not null, id desc",
    )
    .fetch_all(&mut *conn)
    .await?;
    let emails = crate::auth::server::emails(conn).await?;
    Ok(rows
        .into_iter()
        .map(|r| TokenSummary {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_by: r.created_by.and_then(|u| emails.get(&u).cloned()),
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
        .collect())
}

/// Live (unrevoked) tokens, and how many of them were used since `since`.
#[tracing::instrument(skip_all)]
pub async fn usage(conn: &mut dyn Conn, since: &str) -> Result<(i64, i64), AppError> {
    Ok(crate::db::query_as(
        "select count(*), coalesce(cast(sum(case when last_used_at >= $1 then 1 else 0 end) as bigint), 0) from api_tokens where revoked_at is null",
    )
    .bind(since)
    .fetch_one(conn)
    .await?)
}

/// Revokes a token; it stops working at once. Revoking twice is harmless.
#[tracing::instrument(skip_all, fields(token.id = id))]
pub async fn revoke(conn: &mut dyn Conn, actor: &Actor, id: i64) -> Result<(), AppError> {
    let row: Option<(String, Option<String>)> =
        crate::db::query_as("select name, revoked_at from api_tokens where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (name, revoked) = row.ok_or_else(|| AppError::not_found(format!("API token {id}")))?;
    if revoked.is_some() {
        return Ok(());
    }
    crate::db::query("update api_tokens set revoked_at = $1 where id = $2")
        .bind(db_now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    record(
        conn,
        actor,
        Event {
            action: "token.revoke",
            object_type: "api_token",
            object_id: Some(id.to_string()),
            summary: format!("Revoked API token '{name}'"),
            detail: None,
            environment: None,
        },
    )
    .await
}

/// The live token behind a bearer secret, noting its use. The last-used time
/// is written at most once a minute so busy collectors do not turn every
/// read into a write.
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    conn: &mut dyn Conn,
    secret: &str,
) -> Result<Option<TokenIdentity>, AppError> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let row: Option<(i64, String, Option<String>)> = crate::db::query_as(
        "select id, name, last_used_at from api_tokens where token_hash = $1 and revoked_at is null",
    )
    .bind(secret_hash(secret))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, name, last_used)) = row else {
        return Ok(None);
    };
    let now = chrono::Utc::now();
    let stale = db_time(now - chrono::Duration::minutes(1));
    // Even an update that changes nothing takes SQLite's write lock, so it
    // runs only when the noted time is stale; and noting the use is
    // best-effort: a busy database must not refuse a valid token.
    if last_used.is_none_or(|t| t < stale) {
        let noted = crate::db::query(
            "update api_tokens set last_used_at = $1
             where id = $2 and (last_used_at is null or last_used_at < $3)",
        )
        .bind(db_time(now))
        .bind(id)
        .bind(&stale)
        .execute(conn)
        .await;
        if let Err(e) = noted {
            tracing::warn!(token.id = id, error = %e, "could not note the token's use; will try on a later call");
        }
    }
    Ok(Some(TokenIdentity { id, name }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_token_authenticates_until_revoked_and_notes_its_use() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let (id, secret) = create(&mut conn, &cli, "collector").await.unwrap();
        assert!(secret.starts_with("dwc_"));

        let who = authenticate(&mut conn, &secret).await.unwrap();
        assert_eq!(
            who,
            Some(TokenIdentity {
                id,
                name: "collector".into()
            })
        );
        let listed = list(&mut conn).await.unwrap();
        assert!(listed[0].last_used_at.is_some());
        assert!(secret.starts_with(&listed[0].prefix));

        assert_eq!(authenticate(&mut conn, "dwc_wrong").await.unwrap(), None);
        revoke(&mut conn, &cli, id).await.unwrap();
        assert_eq!(authenticate(&mut conn, &secret).await.unwrap(), None);
        let actions: Vec<String> =
            crate::db::query_scalar("select action from audit_log order by id")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(actions, vec!["token.create", "token.revoke"]);
    }

    #[tokio::test]
    async fn token_names_are_unique() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        create(&mut conn, &Actor::cli(), "collector").await.unwrap();
        let err = create(&mut conn, &Actor::cli(), "collector")
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict(_)));
    }

    #[tokio::test]
    async fn the_secret_is_not_stored() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let (_, secret) = create(&mut conn, &Actor::cli(), "collector").await.unwrap();
        let stored: String = crate::db::query_scalar("select token_hash from api_tokens")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_ne!(stored, secret);
        assert!(!stored.contains(&secret[4..]));
    }
}
