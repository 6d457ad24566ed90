-- Failed sign-ins, for the throttle. Kept in the database so a restart
-- does not reset a pause, and so every server that shares the database
-- sees the same counts. Rows older than the window are pruned hourly.
create table login_failures (
    key text    not null,            -- 'address|email' or 'address|*'
    at  integer not null             -- Unix milliseconds
);
create index login_failures_key_at on login_failures (key, at);
