-- Reconciliation: every run of a map's sample or full keyed diff with its
-- parameters, progress and counts, and the differences it found. Runs are
-- never deleted; a difference can be marked explained (audited), and the
-- explanation follows it while it persists.

create table reconcile_runs (
    id                   integer primary key,
    map_id               integer not null references table_maps (id),
    kind                 text    not null check (kind in ('sample', 'full')),
    status               text    not null check (status in ('running', 'done', 'failed', 'cancelled')),
    requested_by         text    not null,            -- a user's email, or 'schedule' / 'cli'
    started_at           text    not null,
    finished_at          text,
    sample_size          integer,                     -- per side, for samples
    recheck_secs         integer not null,            -- the lag guard's pause before re-reading
    records              integer not null default 0,  -- distinct records compared
    fo_read              integer not null default 0,
    dataverse_read       integer not null default 0,
    fo_total             integer,                     -- expected, for progress
    dataverse_total      integer,
    missing_in_dataverse integer not null default 0,
    missing_in_fo        integer not null default 0,
    differing            integer not null default 0,  -- records with a differing field
    cleared_by_recheck   integer not null default 0,  -- differences gone on the re-check
    new_differences      integer not null default 0,
    persisting           integer not null default 0,
    fixed                integer not null default 0,
    cancel_requested     boolean not null default 0,
    checkpoint           text,                        -- full diff: where to resume (JSON)
    error                text
);
create index reconcile_runs_map on reconcile_runs (map_id, id desc);
create index reconcile_runs_status on reconcile_runs (status);

create table reconcile_differences (
    id               integer primary key,
    run_id           integer not null references reconcile_runs (id),
    record_key       text    not null,
    kind             text    not null check (kind in ('missing_in_dataverse', 'missing_in_fo', 'field')),
    field            text    not null default '',     -- 'FOField ↔ column' for kind 'field'
    fo_value         text    not null default '',
    dataverse_value  text    not null default '',
    change           text    not null check (change in ('new', 'persisting', 'fixed')),
    explained_by     text,
    explained_at     text,
    explanation      text
);
create index reconcile_differences_run on reconcile_differences (run_id, kind, record_key);

-- Per-map reconciliation settings; a map without a row uses the defaults.
create table reconcile_settings (
    map_id          integer primary key references table_maps (id),
    sample_size     integer not null default 100,
    full_every_days integer not null default 0        -- 0: full diffs on demand only
);
