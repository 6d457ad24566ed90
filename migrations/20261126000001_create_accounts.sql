-- Accounts and access: users, browser sessions, API tokens and the audit log.
-- Timestamps are UTC text in one fixed-width RFC 3339 form
-- ('2026-11-26T22:40:00.000Z'), written by the application, so that text
-- comparison is time order on SQLite and the columns port to PostgreSQL.

create table users (
    id            integer primary key,
    email         text    not null unique,          -- normalised: trimmed, lower case
    password_hash text    not null,                 -- argon2id PHC string
    role          text    not null check (role in ('viewer', 'editor', 'admin')),
    active        boolean not null default 1,       -- deactivated users cannot sign in
    created_at    text    not null,
    last_login_at text
);

-- Only a SHA-256 of the session secret is kept: a copy of the database
-- cannot be used to take over a session.
create table sessions (
    token_hash text    primary key,
    user_id    integer not null references users (id) on delete cascade,
    created_at text    not null,
    expires_at text    not null
);
create index sessions_user_id on sessions (user_id);
create index sessions_expires_at on sessions (expires_at);

-- API tokens for collectors and scripts; the secret is shown once and only
-- its SHA-256 is kept. `prefix` (the first characters) lets people tell
-- tokens apart without the secret.
create table api_tokens (
    id           integer primary key,
    name         text    not null unique,
    token_hash   text    not null unique,
    prefix       text    not null,
    created_by   integer references users (id),
    created_at   text    not null,
    last_used_at text,
    revoked_at   text
);

-- Who did what to which object, and when. Rows are only ever inserted.
create table audit_log (
    id            integer primary key,
    occurred_at   text    not null,
    actor_user_id integer references users (id),
    actor         text    not null,   -- email, 'token:<name>', 'cli' or 'anonymous'
    action        text    not null,   -- dotted: 'user.create', 'auth.login_failed', ...
    object_type   text    not null,   -- 'user', 'api_token', 'session', ...
    object_id     text,
    summary       text    not null,   -- one readable sentence
    detail        text,               -- JSON with the changed values, if any
    ip            text
);
create index audit_log_occurred_at on audit_log (occurred_at);
create index audit_log_action on audit_log (action, id);
create index audit_log_actor on audit_log (actor, id);
