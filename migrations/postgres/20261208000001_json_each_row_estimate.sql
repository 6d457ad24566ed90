-- json_each(list) is planned as a function the planner cannot see into
-- (it is strict, so not inlined), and PostgreSQL's default estimate for
-- such a function is 1,000 rows. An id list is a handful of maps or groups,
-- so with that estimate `map_id in (select ... from json_each($1))` joined
-- a hash of "1,000" ids against a parallel scan of the whole table: the
-- throughput chart of 20 maps over 7 days read all 866k rows of
-- `throughput` (169 ms) instead of 20 index ranges of its primary key
-- (7 ms, backends-bench's data). Ten rows is nearer every list the stores
-- bind, and a longer list still walks the index once per id.
alter function json_each(text) rows 10;
