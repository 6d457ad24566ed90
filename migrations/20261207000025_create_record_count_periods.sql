-- The last count of each hour and day per map (all legal entities, both
-- sides counted): what the count-difference chart reads. Before, the chart
-- took the last of every period from every count in its range (43,000
-- counts for 20 maps over 90 days: 20 ms of a 25 ms page); now it reads one
-- row per map and period. A trigger keeps it with every count inserted,
-- whoever inserts it; counts are never updated in place.

create table record_count_periods (
    map_id     integer not null references table_maps (id),
    grain      text    not null check (grain in ('hour', 'day')),
    period     text    not null,                 -- YYYY-MM-DDTHH or YYYY-MM-DD
    counted_at text    not null,                 -- the period's last count
    difference integer not null,                 -- F&O − Dataverse at that count
    primary key (map_id, grain, period)
) without rowid;

create trigger record_counts_to_periods after insert on record_counts
when new.company = '' and new.fo_count is not null and new.dataverse_count is not null
begin
    insert into record_count_periods (map_id, grain, period, counted_at, difference)
    values (new.map_id, 'hour', substr(new.counted_at, 1, 13), new.counted_at,
            new.fo_count - new.dataverse_count)
    on conflict (map_id, grain, period) do update
        set counted_at = excluded.counted_at, difference = excluded.difference
        where excluded.counted_at >= record_count_periods.counted_at;
    insert into record_count_periods (map_id, grain, period, counted_at, difference)
    values (new.map_id, 'day', substr(new.counted_at, 1, 10), new.counted_at,
            new.fo_count - new.dataverse_count)
    on conflict (map_id, grain, period) do update
        set counted_at = excluded.counted_at, difference = excluded.difference
        where excluded.counted_at >= record_count_periods.counted_at;
end;

-- The counts already taken (SQLite takes the bare columns from the row
-- with the max).
insert into record_count_periods (map_id, grain, period, counted_at, difference)
select map_id, 'hour', substr(counted_at, 1, 13), max(counted_at), fo_count - dataverse_count
from record_counts
where company = '' and fo_count is not null and dataverse_count is not null
group by map_id, substr(counted_at, 1, 13);

insert into record_count_periods (map_id, grain, period, counted_at, difference)
select map_id, 'day', substr(counted_at, 1, 10), max(counted_at), fo_count - dataverse_count
from record_counts
where company = '' and fo_count is not null and dataverse_count is not null
group by map_id, substr(counted_at, 1, 10);
