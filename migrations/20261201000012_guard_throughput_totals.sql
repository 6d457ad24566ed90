-- Stored throughput totals stay exact: SQLite turns an integer sum that
-- overflows into a float, so an update that would take a period past
-- 2^53 - 1 (the largest count JSON readers using doubles keep exact) is
-- refused instead. The ingest code maps the message to a 422.
create trigger throughput_total_guard
before update of synced, failed on throughput
when new.synced > 9007199254740991 or new.failed > 9007199254740991
  or typeof(new.synced) <> 'integer' or typeof(new.failed) <> 'integer'
begin
    select raise(abort, 'throughput total over limit');
end;

create trigger throughput_latency_total_guard
before update of n on throughput_latency
when new.n > 9007199254740991 or typeof(new.n) <> 'integer'
begin
    select raise(abort, 'throughput total over limit');
end;
