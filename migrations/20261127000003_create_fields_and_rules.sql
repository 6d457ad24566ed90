-- Field mappings of a table map, and the conflict rules the team decided:
-- one default per map plus per-field overrides. Both keep every change as a
-- revision in `revisions` (object types 'field_mapping' and 'conflict_rule').

create table field_mappings (
    id               integer primary key,
    map_id           integer not null references table_maps (id),
    fo_field         text    not null,
    dataverse_column text    not null,
    direction        text    not null check (direction in ('both', 'fo_to_dataverse', 'dataverse_to_fo')),
    value_type       text    not null check (value_type in ('text', 'number', 'date', 'boolean', 'enum', 'lookup', 'guid')),
    transform        text    not null check (transform in ('none', 'default', 'value_map')),
    default_value    text    not null default '',
    value_map        text    not null default '[]',   -- JSON [[fo_value, dataverse_value], ...]
    revision         integer not null,
    deleted          boolean not null default 0,
    updated_at       text    not null
);
create unique index field_mappings_live on field_mappings (map_id, fo_field, dataverse_column) where deleted = 0;

-- Who wins for a map (field_mapping_id null) or one field. `enforced_by`
-- says what actually enforces it: the initial-sync master, the async-mode
-- primary, or only team policy (live sync has no conflict resolution).
create table conflict_rules (
    id               integer primary key,
    map_id           integer not null references table_maps (id),
    field_mapping_id integer references field_mappings (id),
    winner           text    not null check (winner in ('fo', 'dataverse', 'last_write')),
    enforced_by      text    not null check (enforced_by in ('initial_sync_master', 'async_primary', 'team_policy')),
    rationale        text    not null,                 -- Markdown, required
    decided_by       text    not null,                 -- the deciding user's email
    decided_on       text    not null,                 -- YYYY-MM-DD
    status           text    not null check (status in ('proposed', 'accepted', 'superseded', 'rejected')),
    superseded_by    integer references conflict_rules (id),
    revision         integer not null,
    deleted          boolean not null default 0,
    updated_at       text    not null
);
create index conflict_rules_map on conflict_rules (map_id, deleted);
