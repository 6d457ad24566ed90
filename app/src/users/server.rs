//! The write paths on accounts shared by the admin page and the CLI: the
//! checks, the audit entries and the sessions each change ends. The `users`
//! table itself belongs to `auth::server`, which signs people in from it.

use super::UserSummary;
use crate::audit::server::{Actor, Event, record};
use crate::auth::server::{
    delete_user_sessions, hash_password, insert_user, other_active_admins, set_password_hash,
    set_user_active, set_user_role, user_by_id,
};
use crate::auth::{Role, check_new_password, normalize_email};
use crate::db::Conn;
use crate::error::AppError;

/// Every user, active first, then by email.
pub async fn list(conn: &mut dyn Conn) -> Result<Vec<UserSummary>, AppError> {
    crate::auth::server::list_users(conn).await
}

/// Validates and creates a user, recording it in the audit log. The caller
/// owns the transaction.
#[tracing::instrument(skip_all, fields(user.role = %role))]
pub async fn create(
    conn: &mut dyn Conn,
    actor: &Actor,
    email: &str,
    password: String,
    role: Role,
) -> Result<i64, AppError> {
    let email = normalize_email(email).map_err(|m| AppError::validation("email", m))?;
    check_new_password(&password).map_err(|m| AppError::validation("password", m))?;
    let hash = hash_password(password).await?;
    let id = insert_user(conn, &email, &hash, role).await?;
    record(
        conn,
        actor,
        Event {
            action: "user.create",
            object_type: "user",
            object_id: Some(id.to_string()),
            summary: format!("Added {email} as {role}"),
            detail: Some(serde_json::json!({ "email": email, "role": role })),
            environment: None,
        },
    )
    .await?;
    Ok(id)
}

/// Changes a user's role. The last active admin cannot be demoted, so the
/// console always has someone who can manage it. Ends the user's sessions so
/// the new role applies at once.
#[tracing::instrument(skip_all, fields(user.id = id, user.role = %role))]
pub async fn change_role(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    role: Role,
) -> Result<(), AppError> {
    let (email, old, active) = user_by_id(conn, id).await?;
    if old == role {
        return Ok(());
    }
    if old == Role::Admin && active && other_active_admins(conn, id).await? == 0 {
        return Err(AppError::Conflict(format!(
            "{email} is the only active admin; make someone else an admin first."
        )));
    }
    set_user_role(conn, id, role).await?;
    delete_user_sessions(conn, id).await?;
    record(
        conn,
        actor,
        Event {
            action: "user.role_change",
            object_type: "user",
            object_id: Some(id.to_string()),
            summary: format!("Changed {email} from {old} to {role}"),
            detail: Some(serde_json::json!({ "from": old, "to": role })),
            environment: None,
        },
    )
    .await
}

/// Deactivates or reactivates a user. Deactivation ends their sessions; the
/// last active admin cannot be deactivated.
#[tracing::instrument(skip_all, fields(user.id = id, user.active = active))]
pub async fn set_active(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    active: bool,
) -> Result<(), AppError> {
    let (email, role, was_active) = user_by_id(conn, id).await?;
    if was_active == active {
        return Ok(());
    }
    if !active && role == Role::Admin && other_active_admins(conn, id).await? == 0 {
        return Err(AppError::Conflict(format!(
            "{email} is the only active admin and cannot be deactivated."
        )));
    }
    set_user_active(conn, id, active).await?;
    if !active {
        delete_user_sessions(conn, id).await?;
    }
    let (action, verb) = if active {
        ("user.reactivate", "Reactivated")
    } else {
        ("user.deactivate", "Deactivated")
    };
    record(
        conn,
        actor,
        Event {
            action,
            object_type: "user",
            object_id: Some(id.to_string()),
            summary: format!("{verb} {email}"),
            detail: None,
            environment: None,
        },
    )
    .await
}

/// Sets a new password for a user (an admin's reset). Ends the user's
/// sessions, so the old password's sign-ins stop working at once.
#[tracing::instrument(skip_all, fields(user.id = id))]
pub async fn set_password(
    conn: &mut dyn Conn,
    actor: &Actor,
    id: i64,
    password: String,
) -> Result<(), AppError> {
    let (email, _, _) = user_by_id(conn, id).await?;
    check_new_password(&password).map_err(|m| AppError::validation("password", m))?;
    let hash = hash_password(password).await?;
    set_password_hash(conn, id, &hash).await?;
    delete_user_sessions(conn, id).await?;
    record(
        conn,
        actor,
        Event {
            action: "user.password_reset",
            object_type: "user",
            object_id: Some(id.to_string()),
            summary: format!("Set a new password for {email}"),
            detail: None,
            environment: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn audit_actions(conn: &mut dyn Conn) -> Vec<String> {
        crate::db::query_scalar("select action from audit_log order by id")
            .fetch_all(conn)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn creating_a_user_validates_input_and_is_audited() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let err = create(
            &mut conn,
            &cli,
            "not-an-email",
            "long enough pw!".into(),
            Role::Viewer,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, AppError::Validation { ref field, .. } if field == "email"));
        let err = create(
            &mut conn,
            &cli,
            "ana@example.com",
            "short".into(),
            Role::Viewer,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, AppError::Validation { ref field, .. } if field == "password"));

        create(
            &mut conn,
            &cli,
            "Ana@Example.com",
            "long enough pw!".into(),
            Role::Viewer,
        )
        .await
        .unwrap();
        let users = list(&mut conn).await.unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].email, "ana@example.com");
        assert_eq!(audit_actions(&mut conn).await, vec!["user.create"]);
    }

    #[tokio::test]
    async fn the_last_active_admin_can_be_neither_demoted_nor_deactivated() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let admin = create(
            &mut conn,
            &cli,
            "root@example.com",
            "long enough pw!".into(),
            Role::Admin,
        )
        .await
        .unwrap();
        assert!(matches!(
            change_role(&mut conn, &cli, admin, Role::Viewer).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            set_active(&mut conn, &cli, admin, false).await,
            Err(AppError::Conflict(_))
        ));

        let second = create(
            &mut conn,
            &cli,
            "two@example.com",
            "long enough pw!".into(),
            Role::Admin,
        )
        .await
        .unwrap();
        change_role(&mut conn, &cli, admin, Role::Editor)
            .await
            .unwrap();
        set_active(&mut conn, &cli, admin, false).await.unwrap();
        assert!(set_active(&mut conn, &cli, second, false).await.is_err());
        assert_eq!(
            audit_actions(&mut conn).await,
            vec![
                "user.create",
                "user.create",
                "user.role_change",
                "user.deactivate"
            ]
        );
    }

    #[tokio::test]
    async fn a_password_reset_replaces_the_hash_ends_sessions_and_is_audited() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        use crate::auth::server::{create_session, find_login, verify_password};
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let id = create(
            &mut conn,
            &cli,
            "ana@example.com",
            "long enough pw!".into(),
            Role::Viewer,
        )
        .await
        .unwrap();
        create_session(&mut conn, id, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        assert!(
            set_password(&mut conn, &cli, id, "short".into())
                .await
                .is_err()
        );
        set_password(&mut conn, &cli, id, "a brand new passphrase".into())
            .await
            .unwrap();
        let row = find_login(&mut conn, "ana@example.com")
            .await
            .unwrap()
            .unwrap();
        assert!(
            verify_password(
                "a brand new passphrase".into(),
                Some(row.password_hash.clone())
            )
            .await
        );
        assert!(!verify_password("long enough pw!".into(), Some(row.password_hash)).await);
        let sessions: i64 = crate::db::query_scalar("select count(*) from sessions")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(sessions, 0);
        assert_eq!(
            audit_actions(&mut conn).await,
            vec!["user.create", "user.password_reset"]
        );
    }

    #[tokio::test]
    async fn deactivation_ends_the_users_sessions() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let cli = Actor::cli();
        let id = create(
            &mut conn,
            &cli,
            "ana@example.com",
            "long enough pw!".into(),
            Role::Editor,
        )
        .await
        .unwrap();
        crate::auth::server::create_session(&mut conn, id, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        set_active(&mut conn, &cli, id, false).await.unwrap();
        let n: i64 = crate::db::query_scalar("select count(*) from sessions")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 0);
    }
}
