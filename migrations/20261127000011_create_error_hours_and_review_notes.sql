-- Entries per error group per hour (UTC), beside the daily counts: the
-- error trend charts read hours for ranges up to a week and days beyond,
-- so a chart never scans raw entries. Like the days, hours stay after
-- retention prunes the raw entries. Filled from the entries already kept.

create table error_group_hours (
    group_id integer not null references error_groups (id),
    hour     text    not null,                   -- YYYY-MM-DDTHH
    count    integer not null,
    primary key (group_id, hour)
) without rowid;
create index error_group_hours_hour on error_group_hours (hour, group_id);

insert into error_group_hours (group_id, hour, count)
select group_id, substr(occurred_at, 1, 13), count(*) from error_entries group by 1, 2;

-- The weekly review's notes: one text per environment and week (the
-- week's first day), changed in place; every change is in the audit log.

create table review_notes (
    environment_id integer not null references environments (id),
    week           text    not null,             -- YYYY-MM-DD, the first day
    body           text    not null,
    updated_at     text    not null,
    updated_by     text    not null,
    primary key (environment_id, week)
) without rowid;
