-- The results of connection tests, so the collectors page shows them from
-- here by a random token in its address: before, the page printed whatever
-- text its address carried in a green box (a link could make the console
-- "say" anything), and with several servers the next request may reach a
-- server that did not run the test. Kept for a day.
create table connection_tests (
    token       text primary key,   -- random, 128 bits, hex
    environment text not null,
    checks      text not null,      -- JSON: [{"check", "ok", "detail"}]
    tested_by   text not null,      -- the admin's email
    tested_at   text not null
);
create index connection_tests_tested_at on connection_tests (tested_at);
