-- As the SQLite migration of the same name: the search index keeps the
-- rows of a deleted map, filed under no environment, so that restoring the
-- map shows its fields and rules again. Rebuilt once from the rule book.
delete from search_index;

insert into search_index (title, body, kind, object_id, map_id, environment_id)
select name,
       name || ' ' || fo_entity || ' ' || dataverse_table || ' ' || tags || ' ' || not_synced_reason || ' ' || notes,
       'map', id, id, case when not deleted then environment_id end
from table_maps;

insert into search_index (title, body, kind, object_id, map_id, environment_id)
select f.fo_field || ' ↔ ' || f.dataverse_column,
       f.fo_field || ' ' || f.dataverse_column || ' ' || f.default_value,
       'field', f.id, f.map_id, case when not m.deleted then m.environment_id end
from field_mappings f join table_maps m on m.id = f.map_id
where not f.deleted;

insert into search_index (title, body, kind, object_id, map_id, environment_id)
select coalesce(f.fo_field || ' ↔ ' || f.dataverse_column, 'Map default rule'),
       r.rationale,
       'rule', r.id, r.map_id, case when not m.deleted then m.environment_id end
from conflict_rules r join table_maps m on m.id = r.map_id
     left join field_mappings f on f.id = r.field_mapping_id
where not r.deleted;
