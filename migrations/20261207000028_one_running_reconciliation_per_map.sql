-- At most one run of a map goes on at a time, across servers too: two
-- servers asked at the same moment could each find none going on and both
-- start one. Runs that already break this (only possible through that
-- race) keep the newest; the others end as failed, saying why.
update reconcile_runs
   set status = 'failed',
       finished_at = started_at,
       error = 'another run of the map was going on at the same time',
       checkpoint = null
 where status = 'running'
   and id not in (select max(id) from reconcile_runs where status = 'running' group by map_id);

create unique index reconcile_runs_one_going on reconcile_runs (map_id) where status = 'running';
