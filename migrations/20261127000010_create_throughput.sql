-- Sync throughput: records synced and failed per map, direction and
-- period, kept as three grains maintained together on every ingest
-- (minute, hour, day), so any range reads at most a few thousand rows.
-- Latency is a histogram of power-of-two millisecond slots per period,
-- so percentiles survive the rollups. Minute rows are pruned after the
-- retention period; hours and days stay.

create table throughput (
    map_id    integer not null references table_maps (id),
    direction text    not null check (direction in ('fo_to_dataverse', 'dataverse_to_fo')),
    grain     text    not null check (grain in ('minute', 'hour', 'day')),
    bucket    integer not null,                 -- period start, Unix seconds (UTC)
    synced    integer not null,
    failed    integer not null,
    primary key (map_id, direction, grain, bucket)
) without rowid;

create table throughput_latency (
    map_id    integer not null references table_maps (id),
    direction text    not null,
    grain     text    not null,
    bucket    integer not null,
    slot      integer not null,                 -- 0: under 1 ms; k: 2^(k-1) to 2^k ms
    n         integer not null,
    primary key (map_id, direction, grain, bucket, slot)
) without rowid;

-- Items already counted, so a retried batch adds nothing twice.
create table throughput_items (
    environment_id integer not null references environments (id),
    item_id        text    not null,
    minute         integer not null,
    primary key (environment_id, item_id)
) without rowid;
create index throughput_items_minute on throughput_items (minute);
