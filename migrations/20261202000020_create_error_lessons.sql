-- Categories editors taught the classifier. An editor's category override
-- on an error group becomes a lesson for its environment: a new group whose
-- normalised message (pattern) is the same takes the lesson's category as
-- its override. `decided` counts the entries that arrived under a lesson.
-- Removing a lesson leaves the groups it decided as they are.

create table error_lessons (
    id             integer primary key,
    environment_id integer not null references environments (id),
    pattern        text    not null,
    category       text    not null,
    group_id       integer not null,             -- the group it was taught on (may be gone)
    created_at     text    not null,
    created_by     text    not null,
    decided        integer not null default 0,
    unique (environment_id, pattern)
);
