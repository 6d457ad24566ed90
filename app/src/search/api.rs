//! Server function for searching the rule book (any signed-in role).

use super::Hit;
use crate::error::AppError;
use leptos::prelude::*;

/// Up to 50 hits for `q` in environment `env` (the first when absent).
#[server(prefix = "/sfn", endpoint = "search_rule_book")]
pub async fn search_rule_book(q: String, env: Option<String>) -> Result<Vec<Hit>, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let Some(query) = super::fts_query(&q) else {
        return Ok(vec![]);
    };
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let all = crate::environments::server::list(&mut conn).await?;
    let Some(environment) = crate::environments::pick(&all, env.as_deref()) else {
        return Ok(vec![]);
    };
    super::server::search(&mut conn, environment.id, &query, 50).await
}
