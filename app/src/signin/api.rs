//! Server functions for signing in and out and for first-run setup. Every
//! server function is a public HTTP endpoint; each checks what it needs.

use crate::auth::Visitor;
use crate::error::AppError;
use leptos::prelude::*;

/// Who is looking at the page, and whether first-run setup is pending.
#[server(prefix = "/sfn", endpoint = "get_visitor")]
pub async fn get_visitor() -> Result<Visitor, AppError> {
    use crate::auth::server::{any_users, caller};
    use crate::db::db;
    let user = caller();
    let needs_setup = if user.is_some() {
        false
    } else {
        let pool = db()?;
        let mut conn = pool.acquire().await?;
        !any_users(&mut conn).await?
    };
    let demo = use_context::<crate::auth::DemoMode>().and_then(|d| d.0);
    Ok(Visitor {
        user,
        needs_setup,
        demo,
    })
}

/// Signs in with email and password, sets the session cookie and goes to
/// `next` (a path on this site) or the home page.
#[server(prefix = "/sfn", endpoint = "login")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::audit::server::{Actor, Event, record};
    use crate::auth::server::*;
    use crate::db::db;

    let cfg = auth_config();
    let ip = client_ip();
    let email =
        crate::auth::normalize_email(&email).map_err(|m| AppError::validation("email", m))?;
    let key = format!("{}|{email}", ip.as_deref().unwrap_or("?"));
    // A second, looser limit per address stops one client from spraying
    // many emails, each under the per-email limit. Behind a reverse proxy
    // the address is the real client's only with --trusted-proxies set.
    let ip_key = format!("{}|*", ip.as_deref().unwrap_or("?"));
    let pool = db()?;
    let mut conn = pool.acquire().await?;
    let blocked =
        match throttle::blocked_for(&mut conn, &key, cfg.login_max_failures, cfg.login_window)
            .await?
        {
            Some(w) => Some((w, format!("for {email}"))),
            None => throttle::blocked_for(
                &mut conn,
                &ip_key,
                cfg.login_max_failures.saturating_mul(10),
                cfg.login_window,
            )
            .await?
            .map(|w| (w, "from this address".into())),
        };
    drop(conn);
    if let Some((wait, scope)) = blocked {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return Err(AppError::RateLimited(format!(
            "Too many failed sign-ins {scope}. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        )));
    }

    // The password is checked before the write transaction: argon2 takes
    // tens of milliseconds, and every write of every server would wait for
    // it. The row is read again inside, so a password reset or a
    // deactivation in between wins.
    let before = find_login(&mut *pool.acquire().await?, &email).await?;
    let usable = before.as_ref().filter(|r| r.active);
    let ok = verify_password(password, usable.map(|r| r.password_hash.clone())).await;
    let mut tx = crate::db::begin_write(&pool).await?;
    let row = find_login(&mut tx, &email).await?;
    let unchanged = matches!(
        (&before, &row),
        (Some(b), Some(r)) if b.password_hash == r.password_hash && b.active == r.active
    );
    let usable = row.as_ref().filter(|r| r.active);
    let Some(row) = usable.filter(|_| ok && unchanged) else {
        throttle::record_failure(&mut tx, &key).await?;
        throttle::record_failure(&mut tx, &ip_key).await?;
        let why = match &row {
            None => "unknown email",
            Some(r) if !r.active => "deactivated user",
            Some(_) => "wrong password",
        };
        record(
            &mut tx,
            &Actor::anonymous(email.clone(), ip),
            Event {
                action: "auth.login_failed",
                object_type: "user",
                object_id: row.as_ref().map(|r| r.id.to_string()),
                summary: format!("Failed sign-in for {email} ({why})"),
                detail: None,
                environment: None,
            },
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::validation(
            "password",
            "The email address or password is incorrect.",
        ));
    };
    throttle::clear(&mut tx, &key).await?;
    let secret = create_session(&mut tx, row.id, cfg.session_ttl).await?;
    let user = crate::auth::CurrentUser {
        id: row.id,
        email: row.email.clone(),
        role: parse_role(&row.role)?,
    };
    record(
        &mut tx,
        &Actor::user(&user, ip),
        Event {
            action: "auth.login",
            object_type: "user",
            object_id: Some(user.id.to_string()),
            summary: format!("{} signed in", user.email),
            detail: None,
            environment: None,
        },
    )
    .await?;
    tx.commit().await?;
    append_set_cookie(&session_cookie(&secret, &cfg));
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Ends the current session and returns to the sign-in page.
#[server(prefix = "/sfn", endpoint = "logout")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn logout() -> Result<(), AppError> {
    use crate::audit::server::{Actor, Event, record};
    use crate::auth::server::*;
    use crate::db::db;

    let cfg = auth_config();
    let secret = use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get(http::header::COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(session_secret_from_cookie_header)
            .map(str::to_string)
    });
    if let (Some(secret), Some(user)) = (secret, caller()) {
        let pool = db()?;
        let mut tx = crate::db::begin_write(&pool).await?;
        delete_session(&mut tx, &secret).await?;
        record(
            &mut tx,
            &Actor::user(&user, client_ip()),
            Event {
                action: "auth.logout",
                object_type: "user",
                object_id: Some(user.id.to_string()),
                summary: format!("{} signed out", user.email),
                detail: None,
                environment: None,
            },
        )
        .await?;
        tx.commit().await?;
    }
    append_set_cookie(&clear_session_cookie(&cfg));
    leptos_axum::redirect("/login");
    Ok(())
}

/// Creates the first admin on an empty database and signs them in. Refused
/// once any user exists, so it cannot be used to add accounts later.
#[server(prefix = "/sfn", endpoint = "setup_admin")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all))]
pub async fn setup_admin(email: String, password: String, confirm: String) -> Result<(), AppError> {
    use crate::audit::server::{Actor, Event, record};
    use crate::auth::server::*;
    use crate::db::{begin_write, db};

    let email =
        crate::auth::normalize_email(&email).map_err(|m| AppError::validation("email", m))?;
    crate::auth::check_new_password(&password).map_err(|m| AppError::validation("password", m))?;
    if password != confirm {
        return Err(AppError::validation(
            "confirm",
            "The two passwords do not match.",
        ));
    }
    let cfg = auth_config();
    let hash = hash_password(password).await?;
    let pool = db()?;
    // The write lock is taken before the check, so two racing setup
    // requests cannot both see an empty table. Dropping the transaction on
    // an error rolls it back.
    let mut tx = begin_write(&pool).await?;
    let conn = &mut *tx;
    if any_users(conn).await? {
        return Err(AppError::Conflict(
            "The console is already set up; sign in instead.".into(),
        ));
    }
    let id = insert_user(conn, &email, &hash, crate::auth::Role::Admin).await?;
    let user = crate::auth::CurrentUser {
        id,
        email: email.clone(),
        role: crate::auth::Role::Admin,
    };
    record(
        conn,
        &Actor::anonymous(email.clone(), client_ip()),
        Event {
            action: "user.create",
            object_type: "user",
            object_id: Some(id.to_string()),
            summary: format!("First-run setup created the admin {email}"),
            detail: Some(serde_json::json!({ "role": "admin", "via": "first-run setup" })),
            environment: None,
        },
    )
    .await?;
    let secret = create_session(conn, user.id, cfg.session_ttl).await?;
    tx.commit().await?;
    append_set_cookie(&session_cookie(&secret, &cfg));
    leptos_axum::redirect("/");
    Ok(())
}
