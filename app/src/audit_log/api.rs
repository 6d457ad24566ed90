//! Server function for reading the audit log (any signed-in role).

use crate::audit::{AuditFilter, AuditPage};
use crate::error::AppError;
use leptos::prelude::*;

/// One page of the audit log matching `filter`.
// JSON input: a filter with every field empty would encode to nothing as a form.
#[server(prefix = "/sfn", endpoint = "list_audit", input = leptos::server_fn::codec::Json)]
pub async fn list_audit(filter: AuditFilter) -> Result<AuditPage, AppError> {
    use crate::auth::server::*;
    use crate::db::*;
    require_user()?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    crate::audit::server::query(&mut conn, &filter).await
}
