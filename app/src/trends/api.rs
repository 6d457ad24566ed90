//! Server function for the chart pages (any signed-in role).

use super::{TrendPage, TrendQuery};
use crate::error::AppError;
use leptos::prelude::*;

/// The charts of `page` (`errors`, `throughput` or `drift`) for `query`.
// JSON input: a query with every field empty would encode to nothing as a form.
#[server(prefix = "/sfn", endpoint = "get_trends", input = leptos::server_fn::codec::Json)]
pub async fn get_trends(page: String, query: TrendQuery) -> Result<TrendPage, AppError> {
    use crate::auth::server::require_user;
    use crate::db::db;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    super::server::load(&mut conn, &page, &query, chrono::Utc::now().timestamp()).await
}
