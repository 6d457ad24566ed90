-- What each self-checking gate of a run found, every time it was checked:
-- the evidence behind a gate's colour and its pass. A row lasts while the
-- judgement stays the same (first_at .. last_at); a new row starts when the
-- outcome or the evidence's words change, so a weekend of checks every
-- minute keeps a short, readable history.
create table cutover_gate_checks (
    id        integer primary key,
    run_id    integer not null references cutover_runs (id),
    task_id   text    not null,
    first_at  integer not null,   -- Unix seconds
    last_at   integer not null,
    pass      integer not null check (pass in (0, 1)),
    summary   text    not null,
    findings  text    not null    -- JSON: cutover::gate::Finding list
);
create index cutover_gate_checks_task on cutover_gate_checks (run_id, task_id, id);

-- How a finished gate got there: passed by its own check, or passed by a
-- person overriding it (kept and shown as an override, never as a pass).
alter table cutover_run_tasks add column decided_by text
    check (decided_by in ('check', 'override'));
