-- The daily error-queue sweep: per environment, the minute of the day
-- (UTC) it is posted and the channel it goes to; `last_day` keeps it to
-- once a day across restarts.
create table alert_sweeps (
    environment_id integer primary key references environments (id),
    minute_of_day  integer not null check (minute_of_day between 0 and 1439),
    channel_id     integer not null references alert_channels (id),
    last_day       text,               -- YYYY-MM-DD of the last sweep sent
    updated_by     text    not null
);
