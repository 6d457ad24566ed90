-- The alert silences a run created for its freeze (a JSON list of
-- alert_silences ids), so that ending the run early ends them too.
alter table cutover_runs add column silences text not null default '[]';
