-- What F&O says each table map's state is (DualWriteProjectConfigurations),
-- one row per observed change. The rule book's own state is what the team
-- documented; this is what the system reports.

create table map_state_observations (
    id          integer primary key,
    map_id      integer not null references table_maps (id),
    state       text    not null check (state in ('not_running', 'running', 'paused', 'stopped')),
    observed_at text    not null,
    detail      text    not null default ''   -- the F&O rows' statuses, e.g. "Running, Paused"
);
create index map_state_observations_map on map_state_observations (map_id, id desc);
