//! Server functions for user administration. All require the admin role.

use super::UserSummary;
use crate::error::AppError;
use leptos::prelude::*;

/// Every user of the console.
#[server(prefix = "/sfn", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::auth::{Role, server::*};
    use crate::db::*;
    require_role(Role::Admin, "manage users")?;
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    super::server::list(&mut conn).await
}

/// Adds a user with an initial password that the admin hands over.
#[server(prefix = "/sfn", endpoint = "add_user")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn add_user(email: String, role: String, password: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "add users")?;
    let role: Role = role.parse().map_err(|m| AppError::validation("role", m))?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::create(
        &mut tx,
        &Actor::user(&admin, client_ip()),
        &email,
        password,
        role,
    )
    .await?;
    tx.commit().await?;
    // The page says so after the form's reload (with or without JavaScript).
    done_notice("added");
    Ok(())
}

/// Changes a user's role. Admins cannot change their own role, so nobody
/// locks themselves out by accident.
#[server(prefix = "/sfn", endpoint = "change_user_role")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn change_user_role(user_id: i64, role: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "change roles")?;
    if admin.id == user_id {
        return Err(AppError::validation(
            "role",
            "You cannot change your own role; ask another admin.",
        ));
    }
    let role: Role = role.parse().map_err(|m| AppError::validation("role", m))?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::change_role(&mut tx, &Actor::user(&admin, client_ip()), user_id, role).await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates (`active = false`) or reactivates a user.
#[server(prefix = "/sfn", endpoint = "set_user_active")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_user_active(user_id: i64, active: bool) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "deactivate users")?;
    if admin.id == user_id && !active {
        return Err(AppError::validation(
            "active",
            "You cannot deactivate yourself; ask another admin.",
        ));
    }
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::set_active(&mut tx, &Actor::user(&admin, client_ip()), user_id, active).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password for a user who lost theirs; the admin hands it over.
#[server(prefix = "/sfn", endpoint = "set_user_password")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn set_user_password(user_id: i64, password: String) -> Result<(), AppError> {
    use crate::audit::server::Actor;
    use crate::auth::{Role, server::*};
    use crate::db::*;
    let admin = require_role(Role::Admin, "set passwords")?;
    let pool = db()?;
    let mut tx = crate::db::begin_write(&pool).await?;
    super::server::set_password(
        &mut tx,
        &Actor::user(&admin, client_ip()),
        user_id,
        password,
    )
    .await?;
    tx.commit().await?;
    done_notice("password");
    Ok(())
}

/// Sends the browser back to the Users page with what was `done` in its
/// address: a fixed word the page turns into its notice (see
/// `view::done_notice`), so a link cannot make the page say anything else.
#[cfg(feature = "ssr")]
fn done_notice(done: &str) {
    leptos_axum::redirect(&format!("/admin/users?done={done}"));
}
