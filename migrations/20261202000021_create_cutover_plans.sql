-- Cutover plans. The environment's time zone is where its people work:
-- plans are kept in UTC and shown and entered in it.
alter table environments add column time_zone text not null default 'UTC';

-- A plan is one JSON document (cutover::PlanContent: the freeze window,
-- the rollback criteria and every task): the schedule is computed from it
-- whole in Rust, nothing filters on its parts in SQL. Every change also
-- writes a revision ('cutover_plan') to `revisions`, which is the history;
-- deleted plans keep their row, so history and restore work. A run copies
-- the document at its start, so editing a plan never changes a run.
create table cutover_plans (
    id             integer primary key,
    environment_id integer not null references environments (id),
    name           text    not null,
    definition     text    not null,   -- JSON
    revision       integer not null,
    deleted        boolean not null default 0,
    updated_at     text    not null
);
create unique index cutover_plans_live_name on cutover_plans (environment_id, name) where deleted = 0;
