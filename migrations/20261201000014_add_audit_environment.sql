-- The environment an audit entry concerns, by name as it was then: two
-- environments often hold a map of the same name ("Customers V3" in UAT
-- and Production), and the entry must say which. Null for account-level
-- actions (users, tokens, sign-ins).
alter table audit_log add column environment text;

-- Entries recorded before: taken from the revisions and groups they name.
update audit_log set environment = (
    select e.name from revisions r join environments e on e.id = r.environment_id
    where r.object_type = audit_log.object_type and r.object_id = cast(audit_log.object_id as integer)
    limit 1)
where object_type in ('table_map', 'field_mapping', 'conflict_rule') and object_id is not null;

update audit_log set environment = (
    select e.name from error_groups g join environments e on e.id = g.environment_id
    where g.id = cast(audit_log.object_id as integer))
where object_type = 'error_group' and object_id is not null;

update audit_log set environment = (
    select name from environments where id = cast(audit_log.object_id as integer))
where object_type = 'environment' and object_id is not null;
