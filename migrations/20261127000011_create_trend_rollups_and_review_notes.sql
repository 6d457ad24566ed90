-- Trend rollups and the weekly review's notes.
--
-- error_group_hours: entries per error group per hour (UTC), beside the
-- daily counts, kept after retention prunes raw entries. They let an
-- editor's recategorisation move a group's history between categories.
--
-- error_rollup: entries per environment, category and hour or day, for
-- every map together (map_id 0) and per map. The trend charts, the
-- overview and the review read it, so a chart reads at most categories ×
-- periods rows, however many groups and entries there are. Ingest adds to
-- it; recategorising a group moves the group's hours and days.
--
-- Both are filled from what is already kept.

create table error_group_hours (
    group_id integer not null references error_groups (id),
    hour     text    not null,                   -- YYYY-MM-DDTHH
    count    integer not null,
    primary key (group_id, hour)
) without rowid;

insert into error_group_hours (group_id, hour, count)
select group_id, substr(occurred_at, 1, 13), count(*) from error_entries group by 1, 2;

create table error_rollup (
    environment_id integer not null references environments (id),
    map_id         integer not null,             -- 0: every map, and entries without one
    category       text    not null,             -- the effective category (an editor's, else the classifier's)
    grain          text    not null check (grain in ('hour', 'day')),
    bucket         text    not null,             -- YYYY-MM-DDTHH or YYYY-MM-DD
    count          integer not null,
    primary key (environment_id, map_id, grain, bucket, category)
) without rowid;

insert into error_rollup (environment_id, map_id, category, grain, bucket, count)
select g.environment_id, 0, coalesce(g.category_override, g.category), 'hour', h.hour, sum(h.count)
from error_group_hours h join error_groups g on g.id = h.group_id group by 1, 3, 5;
insert into error_rollup (environment_id, map_id, category, grain, bucket, count)
select g.environment_id, g.map_id, coalesce(g.category_override, g.category), 'hour', h.hour, sum(h.count)
from error_group_hours h join error_groups g on g.id = h.group_id where g.map_id is not null group by 1, 2, 3, 5;
insert into error_rollup (environment_id, map_id, category, grain, bucket, count)
select g.environment_id, 0, coalesce(g.category_override, g.category), 'day', d.day, sum(d.count)
from error_group_days d join error_groups g on g.id = d.group_id group by 1, 3, 5;
insert into error_rollup (environment_id, map_id, category, grain, bucket, count)
select g.environment_id, g.map_id, coalesce(g.category_override, g.category), 'day', d.day, sum(d.count)
from error_group_days d join error_groups g on g.id = d.group_id where g.map_id is not null group by 1, 2, 3, 5;

-- The count-difference chart reads the last count of each period per map
-- from this index alone.
create index record_counts_time on record_counts (map_id, company, counted_at, fo_count, dataverse_count);

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
