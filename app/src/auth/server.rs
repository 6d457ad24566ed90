//! Server-only half of accounts and access: password hashing, sessions, the
//! login throttle, and the helpers every server function uses to find the
//! database and check the caller's role.

use super::{CurrentUser, Role};
use crate::db::Conn;
use crate::db::{db_now, db_time};
use crate::error::AppError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration as ChronoDuration, Utc};
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::time::Duration;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "dwc_session";

/// Settings the auth code needs, provided to every request as context.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// How long a session lasts after sign-in.
    pub session_ttl: Duration,
    /// Whether cookies carry the `Secure` attribute (served over https).
    pub secure_cookies: bool,
    /// Failed sign-ins allowed per address and email within `login_window`.
    pub login_max_failures: u32,
    /// The window over which failed sign-ins are counted.
    pub login_window: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            login_max_failures: 5,
            login_window: Duration::from_secs(15 * 60),
        }
    }
}

/// The caller as resolved by the server's session middleware, stored in the
/// request's extensions. `None` inside means an anonymous visitor.
#[derive(Debug, Clone, Default)]
pub struct Caller(pub Option<CurrentUser>);

/// The auth settings, provided as context by the server.
pub fn auth_config() -> AuthConfig {
    leptos::prelude::use_context::<AuthConfig>().unwrap_or_default()
}

/// The request's parts (headers, extensions), available during SSR and in
/// server functions.
fn request_parts() -> Option<http::request::Parts> {
    leptos::prelude::use_context::<http::request::Parts>()
}

/// The signed-in user of this request, if any.
pub fn caller() -> Option<CurrentUser> {
    request_parts()
        .and_then(|p| p.extensions.get::<Caller>().cloned())
        .and_then(|c| c.0)
}

/// The caller's address, for the audit log and the login throttle.
pub fn client_ip() -> Option<String> {
    request_parts().and_then(|p| {
        p.extensions
            .get::<super::ClientAddr>()
            .map(|c| c.0.to_string())
            .or_else(|| {
                p.extensions
                    .get::<axum::extract::ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip().to_string())
            })
    })
}

/// The signed-in user, or [`AppError::Unauthorized`].
pub fn require_user() -> Result<CurrentUser, AppError> {
    caller().ok_or(AppError::Unauthorized)
}

/// The signed-in user if their role includes `needed`; `action` completes the
/// sentence "Your role does not allow you to …".
pub fn require_role(needed: Role, action: &str) -> Result<CurrentUser, AppError> {
    let user = require_user()?;
    if user.role.allows(needed) {
        Ok(user)
    } else {
        Err(AppError::Forbidden {
            role: user.role.to_string(),
            action: action.to_string(),
        })
    }
}

/// A new random secret of 32 bytes, URL-safe base64 (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a high-entropy secret (session id or API token), hex-encoded.
/// A slow hash adds nothing for 256-bit random values and would cost every request.
pub fn secret_hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with argon2id (the crate's default parameters, which
/// follow the OWASP recommendation) on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let mut salt_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes)?;
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::Internal
    })?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        AppError::Internal
    })
}

/// A well-formed argon2id hash of no real password, checked when the email is
/// unknown so that the response time does not reveal which emails exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXlkdW1teWR1bW15ZHVtbXlkdW1teWR1bW15ZHU";

/// Verifies a password against a stored argon2 hash on a blocking thread.
/// With no stored hash, a dummy hash is checked so that unknown emails take
/// as long as known ones.
pub async fn verify_password(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known
    })
    .await
    .unwrap_or(false)
}

/// Failed sign-ins, counted per key (`address|email`, `address|*`) in the
/// `login_failures` table: a key is paused once it reaches the limit
/// within the window. In the database, so a restart keeps the pause.
pub mod throttle {
    use super::AppError;
    use crate::db::Conn;
    use std::time::Duration;

    fn now_ms() -> i64 {
        chrono::Utc::now().timestamp_millis()
    }

    fn window_ms(window: Duration) -> i64 {
        i64::try_from(window.as_millis()).unwrap_or(i64::MAX)
    }

    /// If `key` has `max` failures within `window`, how long until it may
    /// try again.
    pub async fn blocked_for(
        conn: &mut dyn Conn,
        key: &str,
        max: u32,
        window: Duration,
    ) -> Result<Option<Duration>, AppError> {
        let now = now_ms();
        let (n, oldest): (i64, Option<i64>) = crate::db::query_as(
            "select count(*), min(at) from login_failures where key = $1 and at > $2",
        )
        .bind(key)
        .bind(now.saturating_sub(window_ms(window)))
        .fetch_one(conn)
        .await?;
        Ok(match oldest {
            Some(oldest) if n >= i64::from(max) => {
                let left = window_ms(window) - (now - oldest);
                Some(Duration::from_millis(u64::try_from(left).unwrap_or(0)))
            }
            _ => None,
        })
    }

    /// Records one failed attempt for `key`.
    pub async fn record_failure(conn: &mut dyn Conn, key: &str) -> Result<(), AppError> {
        crate::db::query("insert into login_failures (key, at) values ($1, $2)")
            .bind(key)
            .bind(now_ms())
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Forgets the failures of `key` after a successful sign-in.
    pub async fn clear(conn: &mut dyn Conn, key: &str) -> Result<(), AppError> {
        crate::db::query("delete from login_failures where key = $1")
            .bind(key)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// Drops failures older than `window`; returns how many.
    pub async fn prune(conn: &mut dyn Conn, window: Duration) -> Result<u64, AppError> {
        Ok(
            crate::db::query("delete from login_failures where at <= $1")
                .bind(now_ms().saturating_sub(window_ms(window)))
                .execute(conn)
                .await?
                .rows_affected(),
        )
    }
}

/// A user row as sign-in needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginRow {
    /// Database id.
    pub id: i64,
    /// Sign-in email.
    pub email: String,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Role name.
    pub role: String,
    /// Deactivated users cannot sign in.
    pub active: bool,
}

/// Parses a role read from the database; an unknown value is a data error.
pub fn parse_role(s: &str) -> Result<Role, AppError> {
    s.parse().map_err(|e: String| {
        tracing::error!(role = s, error = %e, "unknown role in database");
        AppError::Internal
    })
}

/// Whether any user exists yet (false means first-run setup is pending).
#[tracing::instrument(skip_all)]
pub async fn any_users(conn: &mut dyn Conn) -> Result<bool, AppError> {
    let n: i64 = crate::db::query_scalar("select count(*) from users")
        .fetch_one(conn)
        .await?;
    Ok(n > 0)
}

/// Looks a user up by (normalised) email for sign-in.
#[tracing::instrument(skip_all)]
pub async fn find_login(conn: &mut dyn Conn, email: &str) -> Result<Option<LoginRow>, AppError> {
    Ok(crate::db::query_as::<LoginRow>(
        "select id, email, password_hash, role, active from users where email = $1",
    )
    .bind(email)
    .fetch_optional(conn)
    .await?)
}

/// Inserts a user; a duplicate email is a [`AppError::Conflict`].
#[tracing::instrument(skip_all, fields(user.role = %role))]
pub async fn insert_user(
    conn: &mut dyn Conn,
    email: &str,
    password_hash: &str,
    role: Role,
) -> Result<i64, AppError> {
    use crate::error::OnConstraint as _;
    let id: i64 = crate::db::query_scalar(
        "insert into users (email, password_hash, role, active, created_at)
         values ($1, $2, $3, true, $4) returning id",
    )
    .bind(email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(db_now())
    .fetch_one(conn)
    .await
    .on_unique(|| AppError::Conflict(format!("A user with the email {email} already exists.")))?;
    Ok(id)
}

/// Every user, active first, then by email.
#[tracing::instrument(skip_all)]
pub async fn list_users(conn: &mut dyn Conn) -> Result<Vec<super::UserSummary>, AppError> {
    Ok(crate::db::query_as(
        "select id, email, role, active, created_at, last_login_at
         from users order by active desc, email",
    )
    .fetch_all(conn)
    .await?)
}

/// (email, role, active) of one user.
pub async fn user_by_id(conn: &mut dyn Conn, id: i64) -> Result<(String, Role, bool), AppError> {
    let row: Option<(String, String, bool)> =
        crate::db::query_as("select email, role, active from users where id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    let (email, role, active) = row.ok_or_else(|| AppError::not_found(format!("User {id}")))?;
    Ok((email, parse_role(&role)?, active))
}

/// Active admins other than `except`.
pub async fn other_active_admins(conn: &mut dyn Conn, except: i64) -> Result<i64, AppError> {
    Ok(crate::db::query_scalar(
        "select count(*) from users where role = 'admin' and active = true and id <> $1",
    )
    .bind(except)
    .fetch_one(conn)
    .await?)
}

/// Stores a user's role (the checks are the caller's).
pub async fn set_user_role(conn: &mut dyn Conn, id: i64, role: Role) -> Result<(), AppError> {
    crate::db::query("update users set role = $1 where id = $2")
        .bind(role.as_str())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores whether a user may sign in (the checks are the caller's).
pub async fn set_user_active(conn: &mut dyn Conn, id: i64, active: bool) -> Result<(), AppError> {
    crate::db::query("update users set active = $1 where id = $2")
        .bind(active)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a user's new password hash.
pub async fn set_password_hash(conn: &mut dyn Conn, id: i64, hash: &str) -> Result<(), AppError> {
    crate::db::query("update users set password_hash = $1 where id = $2")
        .bind(hash)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Active users per role (viewer, editor, admin) and deactivated users.
#[tracing::instrument(skip_all)]
pub async fn user_counts(conn: &mut dyn Conn) -> Result<([i64; 3], i64), AppError> {
    let mut active_by_role = [0i64; 3];
    let rows: Vec<(String, bool, i64)> =
        crate::db::query_as("select role, active, count(*) from users group by role, active")
            .fetch_all(conn)
            .await?;
    let mut deactivated = 0;
    for (role, active, n) in rows {
        if !active {
            deactivated += n;
            continue;
        }
        active_by_role[match parse_role(&role)? {
            Role::Viewer => 0,
            Role::Editor => 1,
            Role::Admin => 2,
        }] += n;
    }
    Ok((active_by_role, deactivated))
}

/// Every user's email by id, for lists that name who did something.
pub async fn emails(
    conn: &mut dyn Conn,
) -> Result<std::collections::HashMap<i64, String>, AppError> {
    let rows: Vec<(i64, String)> = crate::db::query_as("select id, email from users")
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Starts a session for `user_id`; returns the secret for the cookie. Only
/// its hash is stored, so a copy of the database cannot be used to sign in.
#[tracing::instrument(skip_all, fields(user.id = user_id))]
pub async fn create_session(
    conn: &mut dyn Conn,
    user_id: i64,
    ttl: Duration,
) -> Result<String, AppError> {
    let secret = random_secret();
    let now = Utc::now();
    let expires = now + ChronoDuration::from_std(ttl).unwrap_or(ChronoDuration::hours(12));
    crate::db::query(
        "insert into sessions (token_hash, user_id, created_at, expires_at) values ($1, $2, $3, $4)",
    )
    .bind(secret_hash(&secret))
    .bind(user_id)
    .bind(db_time(now))
    .bind(db_time(expires))
    .execute(&mut *conn)
    .await?;
    crate::db::query("update users set last_login_at = $1 where id = $2")
        .bind(db_time(now))
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(secret)
}

/// The active user behind a session secret, if the session exists and has
/// not expired.
#[tracing::instrument(skip_all)]
pub async fn session_user(
    conn: &mut dyn Conn,
    secret: &str,
) -> Result<Option<CurrentUser>, AppError> {
    let row: Option<(i64, String, String)> = crate::db::query_as(
        "select u.id, u.email, u.role from sessions s join users u on u.id = s.user_id
         where s.token_hash = $1 and s.expires_at > $2 and u.active = true",
    )
    .bind(secret_hash(secret))
    .bind(db_now())
    .fetch_optional(conn)
    .await?;
    row.map(|(id, email, role)| {
        Ok(CurrentUser {
            id,
            email,
            role: parse_role(&role)?,
        })
    })
    .transpose()
}

/// Ends one session.
#[tracing::instrument(skip_all)]
pub async fn delete_session(conn: &mut dyn Conn, secret: &str) -> Result<(), AppError> {
    crate::db::query("delete from sessions where token_hash = $1")
        .bind(secret_hash(secret))
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (on deactivation or role change).
#[tracing::instrument(skip_all, fields(user.id = user_id))]
pub async fn delete_user_sessions(conn: &mut dyn Conn, user_id: i64) -> Result<(), AppError> {
    crate::db::query("delete from sessions where user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes expired sessions; run periodically by the server.
#[tracing::instrument(skip_all)]
pub async fn purge_expired_sessions(conn: &mut dyn Conn) -> Result<u64, AppError> {
    let done = crate::db::query("delete from sessions where expires_at <= $1")
        .bind(db_now())
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Adds a `Set-Cookie` header to the response being built (page or server
/// function).
pub fn append_set_cookie(value: &str) {
    if let (Some(opts), Ok(v)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        opts.append_header(http::header::SET_COOKIE, v);
    }
}

/// Hands `value` (a secret shown once) to the page at `path` when the
/// request is a plain form post: the redirect back to the page would lose
/// it, so it travels in a short-lived cookie only that page reads (with
/// [`take_handed_over`]) and clears. A hydrated form gets it in the
/// server function's answer instead.
pub fn hand_over_once(cookie: &str, path: &str, value: &str) {
    let plain_form = leptos::prelude::use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if plain_form {
        let secure = if auth_config().secure_cookies {
            "; Secure"
        } else {
            ""
        };
        append_set_cookie(&format!(
            "{cookie}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age=120{secure}"
        ));
    }
}

/// The value [`hand_over_once`] left for this page, if any; clears it so
/// it is shown exactly once.
pub fn take_handed_over(cookie: &str, path: &str) -> Option<String> {
    let value = leptos::prelude::use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| cookie_value(v, cookie))
            .map(str::to_string)
    });
    if value.is_some() {
        append_set_cookie(&format!(
            "{cookie}=; Path={path}; HttpOnly; SameSite=Strict; Max-Age=0"
        ));
    }
    value
}

/// The `Set-Cookie` value that stores a session.
pub fn session_cookie(secret: &str, cfg: &AuthConfig) -> String {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        cfg.session_ttl.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(cfg: &AuthConfig) -> String {
    let secure = if cfg.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The value of cookie `name` in a `Cookie` header value, if present and non-empty.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Reads the session secret from a `Cookie` header value.
pub fn session_secret_from_cookie_header(header: &str) -> Option<&str> {
    cookie_value(header, SESSION_COOKIE)
}

/// Only same-site paths are allowed as a post-login destination, so a link
/// cannot bounce a user to another site after sign-in.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.starts_with("/login")
                && !p.starts_with("/setup") =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_time_is_fixed_width_so_text_order_is_time_order() {
        let a = db_time("2026-11-26T10:00:00Z".parse().unwrap());
        let b = db_time("2026-11-26T10:00:00.5Z".parse().unwrap());
        assert_eq!(a, "2026-11-26T10:00:00.000Z");
        assert_eq!(a.len(), b.len());
        assert!(a < b);
    }

    #[test]
    fn session_cookie_is_httponly_lax_and_secure_only_over_https() {
        let mut cfg = AuthConfig::default();
        let c = session_cookie("abc", &cfg);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"));
        assert!(!c.contains("Secure"));
        cfg.secure_cookies = true;
        assert!(session_cookie("abc", &cfg).ends_with("; Secure"));
    }

    #[test]
    fn session_secret_is_found_among_other_cookies() {
        assert_eq!(
            session_secret_from_cookie_header("a=1; dwc_session=xyz; b=2"),
            Some("xyz")
        );
        assert_eq!(session_secret_from_cookie_header("dwc_session="), None);
        assert_eq!(session_secret_from_cookie_header("other=1"), None);
    }

    #[test]
    fn next_destination_stays_on_this_site() {
        assert_eq!(safe_next(Some("/audit?x=1")), "/audit?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/login",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[tokio::test]
    async fn the_throttle_pauses_a_key_after_its_failures_and_clears_on_success() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let window = Duration::from_secs(900);
        for _ in 0..2 {
            throttle::record_failure(&mut conn, "k").await.unwrap();
        }
        assert!(
            throttle::blocked_for(&mut conn, "k", 3, window)
                .await
                .unwrap()
                .is_none()
        );
        throttle::record_failure(&mut conn, "k").await.unwrap();
        let wait = throttle::blocked_for(&mut conn, "k", 3, window)
            .await
            .unwrap()
            .unwrap();
        assert!(
            wait > Duration::from_secs(890) && wait <= window,
            "{wait:?}"
        );
        assert!(
            throttle::blocked_for(&mut conn, "other", 3, window)
                .await
                .unwrap()
                .is_none()
        );
        // A new connection (as after a restart) sees the same pause.
        drop(conn);
        let mut conn = pool.acquire().await.unwrap();
        assert!(
            throttle::blocked_for(&mut conn, "k", 3, window)
                .await
                .unwrap()
                .is_some()
        );
        throttle::clear(&mut conn, "k").await.unwrap();
        assert!(
            throttle::blocked_for(&mut conn, "k", 3, window)
                .await
                .unwrap()
                .is_none()
        );
        throttle::record_failure(&mut conn, "old").await.unwrap();
        assert_eq!(throttle::prune(&mut conn, Duration::ZERO).await.unwrap(), 1);
    }

    #[test]
    fn secrets_are_random_and_hashes_are_stable() {
        let a = random_secret();
        assert_ne!(a, random_secret());
        assert_eq!(a.len(), 43);
        assert_eq!(secret_hash("x"), secret_hash("x"));
        assert_eq!(secret_hash("x").len(), 64);
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify_password("wrong horse battery".into(), Some(h)).await);
        assert!(!verify_password("anything".into(), None).await);
    }

    #[test]
    fn the_dummy_hash_parses_so_unknown_emails_cost_a_real_verification() {
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[tokio::test]
    async fn a_session_resolves_to_its_user_until_deleted() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        assert!(!any_users(&mut conn).await.unwrap());
        let id = insert_user(&mut conn, "ana@example.com", "x", Role::Editor)
            .await
            .unwrap();
        let secret = create_session(&mut conn, id, Duration::from_secs(60))
            .await
            .unwrap();
        let user = session_user(&mut conn, &secret).await.unwrap().unwrap();
        assert_eq!(user.email, "ana@example.com");
        assert_eq!(user.role, Role::Editor);
        delete_session(&mut conn, &secret).await.unwrap();
        assert!(session_user(&mut conn, &secret).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn expired_sessions_and_inactive_users_do_not_resolve() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        let id = insert_user(&mut conn, "bo@example.com", "x", Role::Viewer)
            .await
            .unwrap();
        let expired = create_session(&mut conn, id, Duration::ZERO).await.unwrap();
        assert!(session_user(&mut conn, &expired).await.unwrap().is_none());
        assert_eq!(purge_expired_sessions(&mut conn).await.unwrap(), 1);

        let live = create_session(&mut conn, id, Duration::from_secs(60))
            .await
            .unwrap();
        crate::db::query("update users set active = false where id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await
            .unwrap();
        assert!(session_user(&mut conn, &live).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn duplicate_emails_are_a_conflict() {
        let (pool, _db) = crate::db::testing::test_pool().await;
        let mut conn = pool.acquire().await.unwrap();
        insert_user(&mut conn, "ana@example.com", "x", Role::Viewer)
            .await
            .unwrap();
        let err = insert_user(&mut conn, "ana@example.com", "y", Role::Admin)
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Conflict(m) if m.contains("ana@example.com")));
    }
}
