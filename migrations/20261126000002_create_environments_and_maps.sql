-- The rule book's first objects: environments and table maps, plus the
-- revision store that gives every documented object a wiki-like history.

-- A named pair of F&O and Dataverse environments (e.g. "UAT", "Production").
create table environments (
    id             integer primary key,
    name           text not null unique,
    fo_url         text not null default '',
    dataverse_url  text not null default '',
    legal_entities text not null default '[]',   -- JSON array of company codes in scope
    created_at     text not null,
    updated_at     text not null
);

-- The current state of each table map. Every change also writes a full
-- snapshot to `revisions`, which is the history; this table is what pages
-- and checks query. Deleted maps keep their row (deleted = 1) so history
-- and restore work; the name is unique only among live maps.
create table table_maps (
    id               integer primary key,
    environment_id   integer not null references environments (id),
    name             text    not null,
    fo_entity        text    not null,
    dataverse_table  text    not null,
    direction        text    not null check (direction in ('bidirectional', 'fo_to_dataverse', 'dataverse_to_fo', 'not_synced')),
    not_synced_reason text   not null default '',
    master_side      text    not null check (master_side in ('fo', 'dataverse', 'none')),
    fo_keys          text    not null default '',   -- comma-separated integration key fields
    dataverse_keys   text    not null default '',
    initial_sync     text    not null check (initial_sync in ('dual_write', 'dmf_then_delta', 'snapshot_reconcile', 'skip')),
    expected_records integer,
    state            text    not null check (state in ('not_running', 'running', 'paused', 'stopped')),
    tags             text    not null default '',   -- comma-separated
    notes            text    not null default '',   -- Markdown, rendered sanitized
    revision         integer not null,
    deleted          boolean not null default 0,
    updated_at       text    not null
);
create unique index table_maps_live_name on table_maps (environment_id, name) where deleted = 0;
create index table_maps_environment on table_maps (environment_id, deleted, name);

-- Every revision of every documented object: author, time, comment and the
-- object's full state as JSON. Restoring writes an old snapshot back as a
-- new revision; deleting is a revision too. Nothing is ever removed.
create table revisions (
    id             integer primary key,
    object_type    text    not null,   -- 'table_map' (field mappings and rules follow)
    object_id      integer not null,
    revision       integer not null,
    environment_id integer not null references environments (id),
    action         text    not null check (action in ('create', 'update', 'delete', 'restore')),
    author_user_id integer references users (id),
    author         text    not null,
    created_at     text    not null,
    comment        text    not null default '',
    snapshot       text    not null,   -- JSON
    unique (object_type, object_id, revision)
);
create index revisions_environment on revisions (environment_id, id);
