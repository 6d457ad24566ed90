-- Collectors pull from the connected systems on a schedule. Every run is
-- recorded; a cursor per environment and collector says where the next
-- run starts, and moves only in the transaction that stores what was read.

create table collector_runs (
    id             integer primary key,
    environment_id integer not null references environments (id),
    collector      text    not null,            -- e.g. 'errors'
    started_at     text    not null,
    finished_at    text    not null,
    outcome        text    not null check (outcome in ('ok', 'failed')),
    items          integer not null default 0,  -- rows stored by the run
    error          text                         -- what failed, naming the endpoint
);
create index collector_runs_env on collector_runs (environment_id, collector, id desc);

create table collector_cursors (
    environment_id integer not null references environments (id),
    collector      text    not null,
    cursor         text    not null,
    updated_at     text    not null,
    primary key (environment_id, collector)
) without rowid;
