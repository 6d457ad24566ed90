-- Record counts per table map on both sides, per run of the counts
-- collector: one row for all legal entities (company ''), and for a
-- company-specific map one per legal entity in the environment's scope. A side that could not be counted (its entity set
-- is not exposed, or the environment has no URL for it) is null, and
-- `problem` says why; a run that fails to reach a system writes no rows.

create table record_counts (
    id              integer primary key,
    map_id          integer not null references table_maps (id),
    counted_at      text    not null,
    company         text    not null default '',   -- '' for all legal entities
    fo_count        integer,
    dataverse_count integer,
    problem         text    not null default ''
);
create index record_counts_map on record_counts (map_id, id desc);
