-- Several servers on one database. Each running server holds a lease named
-- 'server:<id>' that it renews every few seconds (so the others can tell
-- it is alive), and one of them holds 'scheduler': only that one runs the
-- scheduled work (collectors, counts, alert rules, gates, notifications,
-- retention, scheduled reconciliations). A lease not renewed by its
-- expiry is free for another server to take; `term` grows by one at each
-- change of holder, so each holding can be told apart.
create table leases (
    name        text    primary key,
    holder      text    not null,   -- the server's id: host, process id, random part
    term        integer not null,
    acquired_at text    not null,
    expires_at  text    not null
);

-- The server running a reconciliation: a run whose server is no longer
-- alive is taken over by the scheduler's holder. Runs from before this
-- migration have none and count as left behind.
alter table reconcile_runs add column runner text;
