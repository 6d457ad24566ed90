//! Server functions for API tokens. All require the admin role.

use super::TokenSummary;
use crate::error::AppError;
use leptos::prelude::*;

/// Every API token (without secrets).
#[server(prefix = "/sfn", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    require_role(Role::Admin, "manage API tokens")?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    super::server::list(&mut conn).await
}

/// Creates a token and returns its secret. This is the only time the secret
/// is ever shown.
#[server(prefix = "/sfn", endpoint = "create_token")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn create_token(name: String) -> Result<String, AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "create API tokens")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    let (_, secret) =
        super::server::create(&mut tx, &Actor::user(&admin, client_ip()), &name).await?;
    tx.commit().await?;
    hand_over_once(NEW_TOKEN_COOKIE, "/admin/tokens", &secret);
    Ok(secret)
}

/// Cookie that carries a new token's secret to the page once, for browsers
/// without JavaScript.
#[cfg(feature = "ssr")]
const NEW_TOKEN_COOKIE: &str = "dwc_new_token";

/// The secret of a token just created by a plain form post, if any; clears it
/// so it is shown exactly once. Admins only.
#[server(prefix = "/sfn", endpoint = "take_new_token")]
pub async fn take_new_token() -> Result<Option<String>, AppError> {
    use crate::auth::{Role, server::*};
    require_role(Role::Admin, "manage API tokens")?;
    let secret = take_handed_over(NEW_TOKEN_COOKIE, "/admin/tokens");
    Ok(secret)
}

/// Revokes a token.
#[server(prefix = "/sfn", endpoint = "revoke_token")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn revoke_token(token_id: i64) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "revoke API tokens")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::revoke(&mut tx, &Actor::user(&admin, client_ip()), token_id).await?;
    tx.commit().await?;
    Ok(())
}
