-- Full-text search over the rule book: one row per live map, field mapping
-- and conflict rule. The application rebuilds a map's rows inside every
-- write that touches the map, so the index never drifts from the data.
create virtual table search_index using fts5(
    title,
    body,
    kind unindexed,            -- 'map', 'field' or 'rule'
    object_id unindexed,
    map_id unindexed,
    environment_id unindexed,
    tokenize = 'unicode61 remove_diacritics 2'
);

insert into search_index (title, body, kind, object_id, map_id, environment_id)
select name,
       name || ' ' || fo_entity || ' ' || dataverse_table || ' ' || tags || ' ' || not_synced_reason || ' ' || notes,
       'map', id, id, environment_id
from table_maps where deleted = 0;

insert into search_index (title, body, kind, object_id, map_id, environment_id)
select f.fo_field || ' ↔ ' || f.dataverse_column,
       f.fo_field || ' ' || f.dataverse_column || ' ' || f.default_value,
       'field', f.id, f.map_id, m.environment_id
from field_mappings f join table_maps m on m.id = f.map_id
where f.deleted = 0 and m.deleted = 0;

insert into search_index (title, body, kind, object_id, map_id, environment_id)
select coalesce(f.fo_field || ' ↔ ' || f.dataverse_column, 'Map default rule'),
       r.rationale,
       'rule', r.id, r.map_id, m.environment_id
from conflict_rules r join table_maps m on m.id = r.map_id
     left join field_mappings f on f.id = r.field_mapping_id
where r.deleted = 0 and m.deleted = 0;
