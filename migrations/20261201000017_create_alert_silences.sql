-- Silences and maintenance windows: while one holds, the alert instances
-- it matches keep their states and history but notify nobody. Matchers and
-- when it holds (once, or weekly) are JSON (alerts::silence). Times are
-- Unix seconds; a silence is never deleted, it expires.
create table alert_silences (
    id         integer primary key,
    matchers   text    not null,   -- JSON list of {label, value, negate}
    active     text    not null,   -- JSON: {"kind": "once", start, end} or {"kind": "weekly", start_minute, minutes}
    ends_at    integer,            -- a one-off silence's end, for listing the live ones; null for weekly
    created_by text    not null,
    created_at integer not null,
    comment    text    not null,
    expired_at integer,            -- set when someone ended it early
    expired_by text
);
