#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster and stops the cluster
# afterwards, whatever the command's outcome:
#
#   tools/with-postgres.sh cargo test -p app -p server
#
# The cluster lives in a new folder under /tmp and listens on a Unix socket
# in that folder only, no TCP port: only its owner (and root) can reach it,
# so trusting its connections lets no one else in. The command finds it in
# DWCONSOLE_TEST_POSTGRES (postgres://postgres@localhost/postgres?host=DIR);
# the tests that need PostgreSQL create their own databases in it.
#
# initdb refuses to run as root, so as root the cluster runs as the
# `postgres` user that Debian's package creates.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "with-postgres: PostgreSQL's server is not installed (apt-get install postgresql)" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/dwconsole-pg.XXXXXX)
as=()
stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
trap stop EXIT
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi

"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: the cluster is thrown away after the run, so durability buys
# nothing and costs the tests' time. Benchmarks set WITH_POSTGRES_FSYNC=on:
# then PostgreSQL syncs its log and checkpoints as the console's SQLite
# does (WAL, synchronous=NORMAL), and neither syncs each commit
# (synchronous_commit=off: a power cut may lose the last commits, as on
# SQLite).
fsync="${WITH_POSTGRES_FSYNC:-off}"
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/server.log" \
  -o "-k $dir -c listen_addresses= -c fsync=$fsync -c synchronous_commit=off -c max_connections=300" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export DWCONSOLE_TEST_POSTGRES="postgres://postgres@localhost/postgres?host=$dir"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on the socket in $dir for: $*" >&2
"$@"
