-- The error queue. Entries are kept verbatim; entries with the same
-- fingerprint (environment + map + direction + category + normalised
-- message) form a group, which is what people triage. Daily counts per
-- group feed the sparklines and survive retention, which prunes only the
-- raw entries.

create table error_groups (
    id                integer primary key,
    environment_id    integer not null references environments (id),
    map_id            integer references table_maps (id),
    direction         text    not null check (direction in ('fo_to_dataverse', 'dataverse_to_fo', 'unknown')),
    category          text    not null,          -- the classifier's category
    rule              text    not null,          -- the classifier rule that decided it
    category_override text,                      -- an editor's category, when set
    fingerprint       text    not null unique,   -- sha256 hex of the grouping key
    pattern           text    not null,          -- the normalised message
    first_seen        text    not null,
    last_seen         text    not null,
    entry_count       integer not null,
    state             text    not null default 'open' check (state in ('open', 'acknowledged', 'resolved', 'ignored')),
    state_changed_at  text,
    state_changed_by  text,
    state_comment     text
);
create index error_groups_env_last on error_groups (environment_id, last_seen desc, id desc);
create index error_groups_env_first on error_groups (environment_id, first_seen);

create table error_entries (
    id             integer primary key,
    group_id       integer not null references error_groups (id),
    environment_id integer not null references environments (id),
    client_id      text    not null,             -- the sender's id, or sha256 of the content
    occurred_at    text    not null,
    received_at    text    not null,
    record_key     text    not null default '',
    legal_entity   text    not null default '',
    category       text    not null,
    rule           text    not null,
    message        text    not null,
    detail         text,                         -- verbatim JSON or text
    source         text    not null check (source in ('api', 'csv', 'connector')),
    source_ref     text    not null default '',
    unique (environment_id, client_id)
);
create index error_entries_group on error_entries (group_id, occurred_at desc, id desc);
create index error_entries_occurred on error_entries (occurred_at);

-- Entries per group per day (UTC): sparklines, time-range counts, and the
-- trend that stays after retention prunes raw entries.
create table error_group_days (
    group_id integer not null references error_groups (id),
    day      text    not null,                   -- YYYY-MM-DD
    count    integer not null,
    primary key (group_id, day)
) without rowid;
create index error_group_days_day on error_group_days (day, group_id);
