-- Where alert notifications go, and the outbox that delivers them at least
-- once, across restarts. A channel's target (a webhook URL, which holds a
-- secret in its query) and its signing secret are never
-- shown whole after saving. Times are Unix seconds.
create table alert_channels (
    id                  integer primary key,
    name                text    not null unique,
    kind                text    not null check (kind in ('teams', 'webhook')),
    target              text    not null,
    secret              text,                       -- webhook: the whsec_ signing secret
    group_wait_secs     integer not null default 30,
    group_interval_secs integer not null default 300,
    repeat_secs         integer not null default 14400,
    send_resolved       boolean not null default 1,
    disabled_reason     text,                       -- set when the receiver answered 410 Gone, or an admin paused it
    created_at          integer not null,
    created_by          text    not null
);

-- One notification to send: one or several alerts of one rule grouped,
-- a test, or a daily sweep. Rows stay after delivery (done_at set); the
-- attempts are in alert_deliveries.
create table alert_outbox (
    id          integer primary key,
    channel_id  integer not null references alert_channels (id),
    group_key   text    not null,                   -- 'rule:<id>', 'test', 'sweep:<environment id>'
    created_at  integer not null,
    due_at      integer not null,
    attempts    integer not null default 0,
    payload     text    not null,                   -- JSON list of messages
    done_at     integer,
    outcome     text                                -- sent, gave_up, disabled
);
create index alert_outbox_pending on alert_outbox (done_at, due_at);
create index alert_outbox_group on alert_outbox (channel_id, group_key, id);

-- Every delivery attempt, with the receiver's answer.
create table alert_deliveries (
    id         integer primary key,
    outbox_id  integer not null references alert_outbox (id),
    channel_id integer not null references alert_channels (id),
    at         integer not null,
    status     integer,                             -- HTTP status; null when there was no answer
    outcome    text    not null,                    -- sent, retry, gave_up, disabled
    detail     text    not null default ''
);
create index alert_deliveries_channel on alert_deliveries (channel_id, at);

-- When an instance last notified, for the repeat interval.
alter table alert_instances add column notified_at integer;
