//! The one error type of the console: every failure a user can see is an
//! [`AppError`], worded for the person reading it, never a library's text.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A failure that crosses from the server to the browser or an API client.
///
/// Variants carry only what is safe and useful to show; internal causes are
/// logged once on the server (see the `ssr` conversions) and replaced by
/// [`AppError::Internal`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The named thing does not exist (or the caller may not know it does).
    #[error("{what} was not found.")]
    NotFound {
        /// What was looked for, e.g. "user alice@example.com".
        what: String,
    },
    /// Input was rejected; `field` names the form field or JSON key.
    #[error("{message}")]
    Validation {
        /// The form field or JSON key at fault.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The change conflicts with existing data (a duplicate name, a lost race).
    #[error("{0}")]
    Conflict(String),
    /// No valid session or API token was presented.
    #[error("Sign in to continue.")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("Your role ({role}) does not allow you to {action}.")]
    Forbidden {
        /// The caller's role.
        role: String,
        /// What was attempted, e.g. "add users".
        action: String,
    },
    /// Too many attempts in a short time (login throttling).
    #[error("{0}")]
    RateLimited(String),
    /// The database cannot be reached or is locked for too long.
    #[error("The console's database is unavailable right now; try again in a moment.")]
    Unavailable,
    /// Anything unexpected. The cause is in the server log, never here.
    #[error("Something went wrong on the server. The cause is in the server log.")]
    Internal,
    /// The browser could not talk to the server, or the request was malformed.
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// A validation error for `field` with a user-facing `message`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A not-found error naming `what`.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound { .. } => 404,
            Self::Validation { .. } => 422,
            Self::Conflict(_) => 409,
            Self::Unauthorized => 401,
            Self::Forbidden { .. } => 403,
            Self::RateLimited(_) => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
            Self::Transport(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                Self::validation("", format!("The form was incomplete or malformed: {m}"))
            }
            ServerFnErrorErr::Request(_) => {
                Self::Transport("The console server could not be reached.".into())
            }
            other => Self::Transport(format!("The request failed: {other}")),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    //! Server-side conversions: library errors become [`AppError`]s here,
    //! logged once with their full cause.

    use super::AppError;
    use axum::response::{IntoResponse, Response};

    impl From<sqlx::Error> for AppError {
        fn from(err: sqlx::Error) -> Self {
            match &err {
                sqlx::Error::RowNotFound => AppError::not_found("The record"),
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                    tracing::error!(error = ?err, "database unavailable");
                    AppError::Unavailable
                }
                // SQLITE_BUSY / SQLITE_LOCKED after the busy timeout, or
                // PostgreSQL's lock_not_available after the write lock's
                // timeout: the database is held by a long write; the
                // caller may retry.
                sqlx::Error::Database(db)
                    if matches!(
                        db.code().as_deref(),
                        Some("5" | "6" | "517" | "262" | "55P03")
                    ) =>
                {
                    tracing::warn!(error = ?err, "database busy beyond the busy timeout");
                    AppError::Unavailable
                }
                _ => {
                    tracing::error!(error = ?err, "database error");
                    AppError::Internal
                }
            }
        }
    }

    /// Marks a failed response whose cause was already logged at error
    /// (where it became an [`AppError`]), so the request log does not log
    /// the failure a second time; a 5xx without it is logged there.
    #[derive(Debug, Clone, Copy)]
    pub struct CauseLogged;

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = axum::http::StatusCode::from_u16(self.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            let body = serde_json::json!({ "error": self.to_string() });
            let mut res = (status, axum::Json(body)).into_response();
            if status.is_server_error() {
                res.extensions_mut().insert(CauseLogged);
            }
            res
        }
    }

    /// Turns a UNIQUE violation into a user-facing error; passes others through.
    pub trait OnConstraint<T> {
        /// Maps a UNIQUE constraint failure to `make()`.
        fn on_unique(self, make: impl FnOnce() -> AppError) -> Result<T, AppError>;
    }

    impl<T> OnConstraint<T> for Result<T, sqlx::Error> {
        fn on_unique(self, make: impl FnOnce() -> AppError) -> Result<T, AppError> {
            self.map_err(|e| match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => make(),
                _ => e.into(),
            })
        }
    }
}

#[cfg(feature = "ssr")]
pub use ssr::{CauseLogged, OnConstraint};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_the_meaning_of_each_variant() {
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(
            AppError::Forbidden {
                role: "viewer".into(),
                action: "add users".into()
            }
            .status(),
            403
        );
        assert_eq!(AppError::validation("email", "bad").status(), 422);
    }

    #[test]
    fn forbidden_message_names_role_and_action() {
        let e = AppError::Forbidden {
            role: "viewer".into(),
            action: "add users".into(),
        };
        assert_eq!(
            e.to_string(),
            "Your role (viewer) does not allow you to add users."
        );
    }

    #[test]
    fn errors_round_trip_through_the_server_fn_encoding() {
        let e = AppError::validation("email", "Enter an email address.");
        let back = AppError::de(e.ser());
        assert_eq!(back, e);
    }
}
