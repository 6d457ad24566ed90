-- Alert rules and what their evaluation keeps. A rule's content is one
-- JSON document (alerts::rule::RuleContent): evaluation and the preview
-- read it whole in Rust, nothing filters on its parts in SQL. Every change
-- also writes a revision ('alert_rule') to `revisions`, which is the
-- history; deleted rules keep their row, so history and restore work.
-- Times in the alert tables are Unix seconds: evaluation compares them
-- every round.
create table alert_rules (
    id             integer primary key,
    environment_id integer not null references environments (id),
    name           text    not null,
    definition     text    not null,   -- JSON
    revision       integer not null,
    deleted        boolean not null default 0,
    updated_at     text    not null,
    evaluated_at   integer             -- the last evaluation round that took it
);
create unique index alert_rules_live_name on alert_rules (environment_id, name) where deleted = 0;

-- One row per series a rule watches (the environment, a map or a
-- collector): where it stands after the last evaluation, so a restart
-- neither loses an alert nor sends it again.
create table alert_instances (
    rule_id         integer not null references alert_rules (id),
    series          text    not null,   -- '' for the environment, else the map's or collector's name
    map_id          integer,
    state           text    not null check (state in ('normal', 'pending', 'firing', 'recovering', 'no_data', 'error')),
    since           integer not null,
    fired_at        integer,
    value           real,
    evaluated_at    integer not null,
    acknowledged_by text,               -- set until the alert resolves: no repeats meanwhile
    acknowledged_at integer,
    ack_comment     text,
    primary key (rule_id, series)
) without rowid;

-- Every change of state with the value then, and what was sent (or which
-- silence held it). Kept 400 days.
create table alert_history (
    id         integer primary key,
    rule_id    integer not null references alert_rules (id),
    series     text    not null,
    at         integer not null,
    state      text    not null,
    value      real,
    notice     text,                    -- firing, resolved, no_data, error; null when none
    silence_id integer,                 -- the silence that kept the notice from being sent
    detail     text    not null default ''
);
create index alert_history_rule on alert_history (rule_id, at);
create index alert_history_at on alert_history (at);
