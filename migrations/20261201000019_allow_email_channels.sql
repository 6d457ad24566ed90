-- no-transaction
-- Email joins the channel kinds. SQLite cannot change a check constraint
-- in place, so the table is rebuilt the way SQLite's documentation says
-- (its "other kinds of table schema changes"): foreign keys off while the
-- outbox and the delivery log still point at the old table's name, the
-- copy, drop and rename in one transaction, keys on again. Ids are kept,
-- so every outbox row and delivery still names its channel.
pragma foreign_keys = off;

begin;

create table alert_channels_new (
    id                  integer primary key,
    name                text    not null unique,
    kind                text    not null check (kind in ('teams', 'webhook', 'email')),
    target              text    not null,               -- webhook URL, or email addresses (", " between)
    secret              text,                           -- webhook: the whsec_ signing secret
    group_wait_secs     integer not null default 30,
    group_interval_secs integer not null default 300,
    repeat_secs         integer not null default 14400,
    send_resolved       boolean not null default 1,
    disabled_reason     text,
    created_at          integer not null,
    created_by          text    not null
);

insert into alert_channels_new
    (id, name, kind, target, secret, group_wait_secs, group_interval_secs,
     repeat_secs, send_resolved, disabled_reason, created_at, created_by)
select id, name, kind, target, secret, group_wait_secs, group_interval_secs,
       repeat_secs, send_resolved, disabled_reason, created_at, created_by
from alert_channels;

drop table alert_channels;

alter table alert_channels_new rename to alert_channels;

commit;

pragma foreign_keys = on;
