//! Environment queries and the write path shared by the page and the CLI.

use super::{Environment, EnvironmentInput};
use crate::audit::server::{Actor, Event, record};
use crate::db::Conn;
use crate::db::db_now;
use crate::error::{AppError, OnConstraint as _};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    fo_url: String,
    dataverse_url: String,
    legal_entities: String,
    time_zone: String,
}

impl From<Row> for Environment {
    fn from(r: Row) -> Self {
        Environment {
            id: r.id,
            name: r.name,
            fo_url: r.fo_url,
            dataverse_url: r.dataverse_url,
            legal_entities: serde_json::from_str(&r.legal_entities).unwrap_or_default(),
            time_zone: r.time_zone,
        }
    }
}

/// Every environment, by name.
#[tracing::instrument(skip_all)]
pub async fn list(conn: &mut dyn Conn) -> Result<Vec<Environment>, AppError> {
    let rows: Vec<Row> = crate::db::query_as(
        "select id, name, fo_url, dataverse_url, legal_entities, time_zone from environments order by name",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Environment::from).collect())
}

/// The name of environment `id`, if it exists.
pub async fn name_of(conn: &mut dyn Conn, id: i64) -> Result<Option<String>, AppError> {
    Ok(
        crate::db::query_scalar("select name from environments where id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The named environment, or the first by name when no name is given
/// (what every page scoped to one environment shows by default).
pub async fn named_or_first(
    conn: &mut dyn Conn,
    name: Option<&str>,
) -> Result<Environment, AppError> {
    match name.map(str::trim).filter(|e| !e.is_empty()) {
        Some(name) => by_name(conn, name).await,
        None => list(conn)
            .await?
            .into_iter()
            .next()
            .ok_or_else(super::no_environment),
    }
}

/// One environment by name (case-insensitive); unknown names are a 404
/// naming the environment. Not logged as an error here: an unknown name is
/// the caller's answer to give (a 422 to an API client, a create on the
/// demo's first start), and a failing query logs itself.
#[tracing::instrument(skip_all)]
pub async fn by_name(conn: &mut dyn Conn, name: &str) -> Result<Environment, AppError> {
    let row: Option<Row> = crate::db::query_as(
        "select id, name, fo_url, dataverse_url, legal_entities, time_zone from environments where lower(name) = lower($1)",
    )
    .bind(name.trim())
    .fetch_optional(conn)
    .await?;
    row.map(Environment::from)
        .ok_or_else(|| AppError::not_found(format!("The environment '{}'", name.trim())))
}

/// One environment by id.
pub async fn by_id(conn: &mut dyn Conn, id: i64) -> Result<Environment, AppError> {
    let row: Option<Row> = crate::db::query_as(
        "select id, name, fo_url, dataverse_url, legal_entities, time_zone from environments where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(Environment::from)
        .ok_or_else(|| AppError::not_found(format!("Environment {id}")))
}

/// Creates (`id = None`) or changes an environment, audited.
#[tracing::instrument(skip_all)]
pub async fn save(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: Option<i64>,
    input: &EnvironmentInput,
) -> Result<i64, AppError> {
    let entities = serde_json::to_string(&input.legal_entities).unwrap_or_else(|_| "[]".into());
    let now = db_now();
    let conflict = || {
        AppError::Conflict(format!(
            "An environment named '{}' already exists.",
            input.name
        ))
    };
    let (id, action, verb) = match id {
        None => {
            let id: i64 = crate::db::query_scalar(
                "insert into environments (name, fo_url, dataverse_url, legal_entities, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6) returning id",
            )
            .bind(&input.name)
            .bind(&input.fo_url)
            .bind(&input.dataverse_url)
            .bind(&entities)
            .bind(&now)
            .bind(&now)
            .fetch_one(&mut *conn)
            .await
            .on_unique(conflict)?;
            (id, "environment.create", "Added")
        }
        Some(id) => {
            let done = crate::db::query(
                "update environments set name = $1, fo_url = $2, dataverse_url = $3, legal_entities = $4, updated_at = $5
                 where id = $6",
            )
            .bind(&input.name)
            .bind(&input.fo_url)
            .bind(&input.dataverse_url)
            .bind(&entities)
            .bind(&now)
            .bind(id)
            .execute(&mut *conn)
            .await
            .on_unique(conflict)?;
            if done.rows_affected() == 0 {
                return Err(AppError::not_found(format!("Environment {id}")));
            }
            (id, "environment.update", "Changed")
        }
    };
    record(
        conn,
        actor,
        Event {
            action,
            object_type: "environment",
            object_id: Some(id.to_string()),
            summary: format!("{verb} environment {}", input.name),
            detail: Some(serde_json::json!({
                "fo_url": input.fo_url,
                "dataverse_url": input.dataverse_url,
                "legal_entities": input.legal_entities,
            })),
            environment: Some(input.name.clone()),
        },
    )
    .await?;
    Ok(id)
}

/// Sets the environment's time zone (an IANA name, checked), audited.
#[tracing::instrument(skip_all, fields(environment.id = id))]
pub async fn set_time_zone(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    time_zone: &str,
) -> Result<(), AppError> {
    let zone = crate::zone::parse(time_zone).map_err(|m| AppError::validation("time_zone", m))?;
    let name = name_of(conn, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("Environment {id}")))?;
    crate::db::query("update environments set time_zone = $1, updated_at = $2 where id = $3")
        .bind(zone.name())
        .bind(db_now())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    record(
        conn,
        actor,
        Event {
            action: "environment.time_zone",
            object_type: "environment",
            object_id: Some(id.to_string()),
            summary: format!("Set the time zone of {name} to {}", zone.name()),
            detail: None,
            environment: Some(name),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environments::validate_environment;

    #[tokio::test]
    async fn environments_are_created_renamed_and_found_by_name() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let input = validate_environment("UAT", "https://uat.example.com", "", "USMF").unwrap();
        let id = save(&mut conn, &cli, None, &input).await.unwrap();
        assert_eq!(
            by_name(&mut conn, "uat").await.unwrap().legal_entities,
            vec!["USMF"]
        );

        assert_eq!(by_name(&mut conn, "UAT").await.unwrap().time_zone, "UTC");
        set_time_zone(&mut conn, &cli, id, " Europe/Amsterdam ")
            .await
            .unwrap();
        assert_eq!(
            by_name(&mut conn, "UAT").await.unwrap().time_zone,
            "Europe/Amsterdam"
        );
        let bad = set_time_zone(&mut conn, &cli, id, "CET+1")
            .await
            .unwrap_err();
        assert!(bad.to_string().contains("IANA name"), "{bad}");

        let dup = save(&mut conn, &cli, None, &input).await.unwrap_err();
        assert!(matches!(dup, AppError::Conflict(_)));

        let renamed = validate_environment("Test", "", "", "").unwrap();
        save(&mut conn, &cli, Some(id), &renamed).await.unwrap();
        assert!(matches!(
            by_name(&mut conn, "UAT").await,
            Err(AppError::NotFound { .. })
        ));
        assert_eq!(list(&mut conn).await.unwrap()[0].name, "Test");
        let n: i64 = crate::db::query_scalar(
            "select count(*) from audit_log where object_type = 'environment'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(n, 3, "added, time zone set, renamed");
    }
}
