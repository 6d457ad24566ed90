-- Runs of a cutover plan: rehearsals and the live weekend. A run copies
-- the plan's document at its start (moved to the run's freeze start, so a
-- rehearsal keeps the plan's timing on another date) with the baseline
-- schedule computed from it; editing the plan later never changes a run.
-- Times are Unix seconds (UTC).
create table cutover_runs (
    id             integer primary key,
    plan_id        integer not null references cutover_plans (id),
    environment_id integer not null references environments (id),
    kind           text    not null check (kind in ('rehearsal', 'live')),
    name           text    not null,   -- "Rehearsal 2", "Live"
    plan_revision  integer not null,
    definition     text    not null,   -- JSON: the plan as run (cutover::PlanContent)
    baseline       text    not null,   -- JSON: task id -> [planned start, planned end]
    started_at     integer not null,
    started_by     text    not null,
    rebaselined_at integer,
    ended_at       integer,
    outcome        text    check (outcome in ('completed', 'rolled_back', 'abandoned')),
    end_comment    text    not null default ''
);
create index cutover_runs_plan on cutover_runs (plan_id, id);
create index cutover_runs_open on cutover_runs (environment_id) where ended_at is null;

-- Where each task of a run stands.
create table cutover_run_tasks (
    run_id     integer not null references cutover_runs (id),
    task_id    text    not null,
    status     text    not null check (status in ('pending', 'running', 'done', 'failed', 'skipped')),
    started_at integer,
    ended_at   integer,
    primary key (run_id, task_id)
) without rowid;

-- Everything people did in a run, with who, when and why: the run's log
-- and the after-run report's comments.
create table cutover_run_events (
    id       integer primary key,
    run_id   integer not null references cutover_runs (id),
    task_id  text,                    -- null for the run's own events
    action   text    not null,        -- start, complete, fail, skip, reopen, rebaseline, end
    status   text,                    -- the task's status after it
    at       integer not null,
    actor    text    not null,
    comment  text    not null default ''
);
create index cutover_run_events_run on cutover_run_events (run_id, id);
